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

/// Case-insensitive subsequence match of `query` in the title (then the text); lower is better.
pub fn fuzzy_score(query: &str, response: &CannedResponse) -> Option<usize> {
    let query: Vec<char> = query.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    if query.is_empty() {
        return Some(0);
    }
    let score_in = |haystack: &str| -> Option<usize> {
        let hay: Vec<char> = haystack.to_lowercase().chars().collect();
        let (mut at, mut first, mut gaps) = (0usize, None, 0usize);
        for q in &query {
            let found = hay[at..].iter().position(|c| c == q)?;
            if first.is_none() {
                first = Some(at + found);
            } else {
                gaps += found;
            }
            at += found + 1;
        }
        Some(first.unwrap_or(0) + gaps * 2)
    };
    score_in(&response.title).or_else(|| score_in(&response.text).map(|s| s + 1_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_matching_prefers_titles_and_close_letters() {
        let all = starter_set();
        let score = |q: &str, id: &str| fuzzy_score(q, all.iter().find(|r| r.id == id).unwrap());
        assert!(score("ann", "starter-annual").unwrap() < 10);
        assert!(score("rfnd", "starter-refund").is_some(), "letters in order, gaps allowed");
        assert_eq!(score("zzz", "starter-refund"), None);
        assert!(score("business days", "starter-refund").unwrap() >= 1_000, "text matches rank after titles");
        assert_eq!(score("", "starter-closing"), Some(0));
    }
}
