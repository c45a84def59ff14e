//! Canned responses: the team's saved replies, inserted from the composer with `/`. Their
//! variables (`{customer.first_name}`, `{agent.name}`, `{topic}`…) are filled from the
//! conversation by the same template rules as the greeting.

use serde::{Deserialize, Serialize};

/// One saved reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CannedResponse {
    /// Stable id; empty when saving a new one.
    pub id: String,
    /// What the `/` picker shows and matches.
    pub title: String,
    pub text: String,
}

/// The replies a new profile starts with.
pub fn starter_set() -> Vec<CannedResponse> {
    let reply =
        |id: &str, title: &str, text: &str| CannedResponse { id: id.into(), title: title.into(), text: text.into() };
    vec![
        reply(
            "starter-annual",
            "Annual billing",
            "Hi {customer.first_name}, paying yearly gives you two months free. You can switch under Settings → Billing → Plan; unused days of this month are credited to the annual invoice.",
        ),
        reply(
            "starter-refund",
            "Refund on its way",
            "Hi {customer.first_name}, I've checked your refund: it is approved and reaches your account within 5–7 business days. Sorry for the wait!",
        ),
        reply(
            "starter-looking",
            "Looking into it",
            "Thanks {customer.first_name}, I'm looking into {topic} right now and will be back in a couple of minutes.",
        ),
        reply(
            "starter-closing",
            "Anything else?",
            "Is there anything else I can help you with today, {customer.first_name}? — {agent.first_name}",
        ),
    ]
}

/// How well a query matches, best first: the tier is the first thing the `/` picker sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// The title starts with the query ("ref" → "Refund on its way").
    TitlePrefix,
    /// Every word of the query is a word of the title.
    TitleWords,
    /// Every word of the query starts a word of the title ("on w" → "Refund on its way").
    TitleWordPrefixes,
    /// Every word of the query is a word of the text.
    TextWords,
    /// Every word of the query starts a word of the text.
    TextWordPrefixes,
    /// The query's letters in order in the title, tightly: from the start of a word, each
    /// letter next to the one before, at most two letters skipped inside a word, or starting a
    /// later word ("rfnd" → "Refund", "ae" → "Anything else?"). Letters scattered anywhere
    /// else do not match at all.
    TitleLetters,
}

/// Lower-case words of a text (letters and digits).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// The query's letters in order in `title`, tightly (see [`MatchKind::TitleLetters`]); the
/// number of letters skipped, when they match.
fn tight_letters(query: &[char], title: &str) -> Option<usize> {
    let hay: Vec<char> = title.to_lowercase().chars().collect();
    let word_start = |i: usize| hay[i].is_alphanumeric() && (i == 0 || !hay[i - 1].is_alphanumeric());
    // Depth-first over the places each letter may go; titles are short.
    fn place(query: &[char], hay: &[char], from: Option<usize>, word_start: &dyn Fn(usize) -> bool) -> Option<usize> {
        let Some((first, rest)) = query.split_first() else { return Some(0) };
        let mut best: Option<usize> = None;
        let start = from.map_or(0, |p| p + 1);
        for i in start..hay.len() {
            if hay[i] != *first {
                continue;
            }
            let skipped = match from {
                None if word_start(i) => 0,
                None => continue,
                Some(p) if i == p + 1 => 0,
                Some(_) if word_start(i) => 1,
                // Skipping inside the same word: at most two letters, none of them a break.
                Some(p) if i - p <= 3 && hay[p + 1..i].iter().all(|c| c.is_alphanumeric()) => i - p - 1,
                Some(_) => continue,
            };
            if let Some(more) = place(rest, hay, Some(i), word_start) {
                let total = skipped + more;
                best = Some(best.map_or(total, |b: usize| b.min(total)));
            }
        }
        best
    }
    place(query, &hay, None, &word_start)
}

/// How `query` matches a canned response, and a score within that kind (lower is better); None
/// when it does not match well enough to show.
pub fn match_kind(query: &str, response: &CannedResponse) -> Option<(MatchKind, usize)> {
    let query_words = words(query);
    if query_words.is_empty() {
        return Some((MatchKind::TitlePrefix, 0));
    }
    let title = response.title.to_lowercase();
    let joined = query_words.join(" ");
    let title_words = words(&title);
    if words(&title).join(" ").starts_with(&joined) {
        return Some((MatchKind::TitlePrefix, 0));
    }
    // Where the query's first word sits in the title: earlier is better.
    let position = |list: &[String], exact: bool| -> Option<usize> {
        let found = |q: &String| list.iter().position(|w| if exact { w == q } else { w.starts_with(q.as_str()) });
        let positions: Option<Vec<usize>> = query_words.iter().map(found).collect();
        positions.map(|p| p.into_iter().min().unwrap_or(0))
    };
    if let Some(at) = position(&title_words, true) {
        return Some((MatchKind::TitleWords, at));
    }
    if let Some(at) = position(&title_words, false) {
        return Some((MatchKind::TitleWordPrefixes, at));
    }
    let text_words = words(&response.text);
    if let Some(at) = position(&text_words, true) {
        return Some((MatchKind::TextWords, at));
    }
    if let Some(at) = position(&text_words, false) {
        return Some((MatchKind::TextWordPrefixes, at));
    }
    let letters: Vec<char> = joined.chars().filter(|c| c.is_alphanumeric()).collect();
    tight_letters(&letters, &title).map(|skipped| (MatchKind::TitleLetters, skipped))
}

/// One number to sort by, lower is better: the kind first, then the score within it.
pub fn match_score(query: &str, response: &CannedResponse) -> Option<usize> {
    match_kind(query, response).map(|(kind, score)| kind as usize * 10_000 + score.min(9_999))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(title: &str, text: &str) -> CannedResponse {
        CannedResponse { id: title.to_lowercase(), title: title.into(), text: text.into() }
    }

    fn ranked(query: &str, all: &[CannedResponse]) -> Vec<String> {
        let mut scored: Vec<(usize, &CannedResponse)> =
            all.iter().filter_map(|r| match_score(query, r).map(|s| (s, r))).collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.title.cmp(&b.1.title)));
        scored.into_iter().map(|(_, r)| r.title.clone()).collect()
    }

    #[test]
    fn prefixes_rank_before_words_before_word_prefixes_before_letters() {
        let all = vec![
            reply("Refund on its way", "Your refund is approved."),
            reply("Partial refund", "We refunded part of the order."),
            reply("Order not received", "Sorry, we are checking where the parcel is: we may refund it."),
            reply("Referral bonus", "Invite a friend and you both get a month."),
            reply("Free trial", "Your trial lasts 14 days."),
            reply("Password reset", "Use the link we sent to reset it."),
        ];
        let kind = |q: &str, title: &str| match_kind(q, all.iter().find(|r| r.title == title).unwrap()).map(|k| k.0);
        assert_eq!(kind("refund", "Refund on its way"), Some(MatchKind::TitlePrefix));
        assert_eq!(kind("refund", "Partial refund"), Some(MatchKind::TitleWords));
        assert_eq!(kind("refund", "Order not received"), Some(MatchKind::TextWords));
        assert_eq!(
            ranked("refund", &all),
            ["Refund on its way", "Partial refund", "Order not received"],
            "a title prefix, a whole title word, a whole word of a text"
        );
        assert_eq!(kind("ref", "Partial refund"), Some(MatchKind::TitleWordPrefixes));
        assert_eq!(
            ranked("ref", &all),
            ["Referral bonus", "Refund on its way", "Partial refund", "Order not received"],
            "title prefixes (alphabetical), then a title word prefix, then a word prefix in the text"
        );
        assert_eq!(kind("on w", "Refund on its way"), Some(MatchKind::TitleWordPrefixes));
        assert_eq!(kind("rfnd", "Refund on its way"), Some(MatchKind::TitleLetters));
        assert_eq!(kind("pr", "Partial refund"), Some(MatchKind::TitleLetters), "one letter skipped");
        assert_eq!(kind("pwd", "Password reset"), None, "six letters skipped inside the word");
    }

    #[test]
    fn scattered_letters_no_longer_match() {
        let all = starter_set();
        // Before, "ref" matched every starter reply through letters scattered in their text
        // ("r…e…f"): now only the refund reply.
        assert_eq!(ranked("ref", &all), ["Refund on its way"]);
        assert_eq!(ranked("zzz", &all), Vec::<String>::new());
        let annual = all.iter().find(|r| r.id == "starter-annual").unwrap();
        assert_eq!(match_kind("ann", annual), Some((MatchKind::TitlePrefix, 0)));
        assert_eq!(match_kind("ail", annual), None, "letters scattered over the title");
        assert_eq!(match_kind("nual", annual), None, "a match starts at the start of a word");
        assert_eq!(match_kind("two months", annual).map(|k| k.0), Some(MatchKind::TextWords));
        assert!(match_score("business days", &all[1]).unwrap() > match_score("refund", &all[1]).unwrap());
        assert_eq!(match_score("", &all[3]), Some(0));
        assert_eq!(ranked("rfnd", &all), ["Refund on its way"], "letters in order in a title word still match");
    }
}
