//! The warm handoff: everything an agent should know before the first message — why the bot
//! gave up, what the customer wants (the bot's summary, or one computed here), key facts, how
//! long they waited, their earlier conversations — and a greeting built from it.

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use serde::{Deserialize, Serialize};

use super::facts::{self, KeyFact};

/// The team's greeting, until Settings changes it.
pub const DEFAULT_GREETING_TEMPLATE: &str =
    "Hi {customer.first_name}, I see you were asking about {topic}. Let me help you with that.";

/// Lines that say nothing about the problem.
const FILLER: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "human",
    "agent",
    "person",
    "representative",
    "operator",
    "help",
    "yes",
    "no",
    "ok",
    "okay",
    "thanks",
    "thank you",
    "please",
    "hello?",
    "anyone there?",
    "is anyone there?",
];

/// An earlier conversation of the same customer, from the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EarlierConversation {
    pub id: i64,
    pub status: ConversationStatus,
    pub topic: Option<String>,
    pub summary: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
}

/// The context card above a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HandoffContext {
    pub conversation_id: i64,
    pub reason: Option<HandoffReason>,
    pub trigger: Option<String>,
    /// The bot's summary, or one computed from the customer's messages.
    pub summary: Option<String>,
    /// Whether `summary` was computed here because the service sent none.
    pub summary_is_local: bool,
    pub topic: Option<String>,
    pub facts: Vec<KeyFact>,
    /// How long the customer waited (until claimed, or until now).
    pub waited_seconds: Option<i64>,
    pub earlier: Vec<EarlierConversation>,
    /// The greeting for the composer, from the team's template.
    pub greeting: String,
}

fn normalized(line: &str) -> String {
    line.trim().trim_matches(|c: char| c.is_ascii_punctuation() && c != '?').to_lowercase()
}

fn clip(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max.saturating_sub(1)).collect::<String>().trim_end())
    }
}

/// A one-line summary from what the customer wrote: their first substantive line (preferring
/// a question), with a second line when the first is short.
pub fn local_summary<'a>(customer_lines: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let substantive: Vec<&str> = customer_lines
        .into_iter()
        .map(str::trim)
        .filter(|line| {
            let n = normalized(line);
            !n.is_empty() && !FILLER.contains(&n.as_str()) && n.split_whitespace().count() >= 3
        })
        .collect();
    let first = substantive.iter().find(|l| l.contains('?')).or(substantive.first())?;
    let mut summary = clip(first, 160);
    if summary.chars().count() < 60 {
        if let Some(next) = substantive.iter().find(|l| *l != first) {
            summary = clip(&format!("{summary} {next}"), 160);
        }
    }
    Some(summary)
}

/// A topic as it reads mid-sentence: "Annual billing" → "annual billing", but acronyms and
/// names keep their capitals ("SLA credit", "iPhone delivery").
pub fn topic_in_sentence(topic: &str) -> String {
    let topic = topic.trim();
    let first_word = topic.split_whitespace().next().unwrap_or("");
    let mut chars = first_word.chars();
    let capitalised = chars.next().is_some_and(char::is_uppercase) && chars.all(|c| !c.is_uppercase());
    let has_lower = first_word.chars().skip(1).any(char::is_lowercase);
    if capitalised && has_lower {
        let mut all = topic.chars();
        let mut out: String = all.next().map(|c| c.to_lowercase().collect()).unwrap_or_default();
        out.extend(all);
        out
    } else {
        topic.to_string()
    }
}

/// The first word of a name ("Sam" of "Sam Lee"); the whole name when it has one word.
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// Fills `{customer.first_name}`, `{customer.name}`, `{agent.name}`, `{agent.first_name}` and
/// `{topic}`; unknown placeholders stay as written so a typo is visible, not silent.
pub fn render_template(template: &str, customer: &str, agent: &str, topic: &str) -> String {
    template
        .replace("{customer.first_name}", first_name(customer))
        .replace("{customer.name}", customer)
        .replace("{agent.first_name}", first_name(agent))
        .replace("{agent.name}", agent)
        .replace("{topic}", topic)
}

/// Builds the card from a conversation, its messages and the customer's earlier conversations.
pub fn build(
    conversation: &Conversation,
    messages: &[Message],
    earlier: Vec<EarlierConversation>,
    claimed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    agent_name: &str,
    template: &str,
) -> HandoffContext {
    let handoff = conversation.handoff.as_ref();
    let customer_lines: Vec<&str> =
        messages.iter().filter(|m| m.role == Role::Customer).map(|m| m.text.as_str()).collect();
    let escalated_at = handoff.map(|h| h.escalated_at);
    let before_handoff: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::Customer && escalated_at.is_none_or(|at| m.created_at <= at))
        .map(|m| m.text.as_str())
        .collect();
    let bot_summary = handoff.and_then(|h| h.summary.clone()).filter(|s| !s.trim().is_empty());
    let (summary, summary_is_local) = match bot_summary {
        Some(summary) => (Some(summary), false),
        None => {
            let lines = if before_handoff.is_empty() { &customer_lines } else { &before_handoff };
            (local_summary(lines.iter().copied()), true)
        }
    };
    let topic = handoff.and_then(|h| h.topic.clone()).filter(|t| !t.trim().is_empty());
    let greeting_topic = topic.as_deref().map(topic_in_sentence).unwrap_or_else(|| "your question".to_string());
    HandoffContext {
        conversation_id: conversation.id,
        reason: handoff.map(|h| h.reason),
        trigger: handoff.map(|h| h.trigger.clone()).filter(|t| !t.is_empty()),
        summary,
        summary_is_local,
        topic,
        facts: facts::extract(customer_lines.iter().copied()),
        waited_seconds: escalated_at.map(|at| ((claimed_at.unwrap_or(now) - at).num_seconds()).max(0)),
        earlier,
        greeting: render_template(template, &conversation.customer.name, agent_name, &greeting_topic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_summary_skips_filler_and_prefers_the_question() {
        let lines = ["hi", "human", "My order #A-1 is late. Where is my parcel? It was due Monday.", "agent!!"];
        assert_eq!(
            local_summary(lines).as_deref(),
            Some("My order #A-1 is late. Where is my parcel? It was due Monday.")
        );
        let short = ["Refund please now", "I returned the blender three weeks ago and still have no refund"];
        assert_eq!(
            local_summary(short).as_deref(),
            Some("Refund please now I returned the blender three weeks ago and still have no refund")
        );
        assert_eq!(local_summary(["hi", "human", "?"]), None);
        let long = "x ".repeat(200);
        assert!(local_summary([long.as_str()]).unwrap().chars().count() <= 160);
    }

    #[test]
    fn topics_read_naturally_mid_sentence() {
        assert_eq!(topic_in_sentence("Annual billing"), "annual billing");
        assert_eq!(topic_in_sentence("SLA credit"), "SLA credit");
        assert_eq!(topic_in_sentence("iPhone delivery"), "iPhone delivery");
        assert_eq!(topic_in_sentence("refund"), "refund");
        assert_eq!(topic_in_sentence("GDPR Export"), "GDPR Export");
        assert_eq!(topic_in_sentence("Éclair order"), "éclair order");
    }

    #[test]
    fn the_greeting_template_fills_the_known_variables() {
        assert_eq!(
            render_template(DEFAULT_GREETING_TEMPLATE, "Sam Lee", "Alex Morgan", "annual billing"),
            "Hi Sam, I see you were asking about annual billing. Let me help you with that."
        );
        assert_eq!(
            render_template("{agent.first_name} here for {customer.name} — {unknown}", "李娜", "Alex Morgan", "x"),
            "Alex here for 李娜 — {unknown}"
        );
    }
}
