//! Key facts a customer mentioned: order numbers, email addresses, phone numbers, amounts and
//! plan names — so the agent sees them before reading the whole transcript.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What kind of fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    OrderNumber,
    Email,
    Phone,
    Amount,
    Plan,
}

/// One fact, as written in the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyFact {
    pub kind: FactKind,
    pub value: String,
}

struct Patterns {
    order: Regex,
    email: Regex,
    phone: Regex,
    amount: Regex,
    plan: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        // "#A-20931", "order 558120", "order number: 77-1234", "INV-2024-0044"
        order: Regex::new(
            r"(?i)(?:#[A-Z]{0,4}-?\d{3,}[A-Z0-9-]*|\b(?:order|invoice|ticket|case|ref(?:erence)?)(?:\s+(?:no\.?|number|#|id))?[\s:#]*([A-Z]{0,4}-?\d[\d-]{3,}[A-Z0-9]*)\b|\bINV-[\d-]{4,}\b)",
        )
        .expect("order pattern"),
        email: Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b").expect("email pattern"),
        // International or grouped numbers with at least 7 digits.
        phone: Regex::new(r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}").expect("phone pattern"),
        amount: Regex::new(
            r"(?i)(?:[$€£¥]\s?\d[\d,.]*(?:\s?(?:k|m))?|\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros|pounds)\b)",
        )
        .expect("amount pattern"),
        plan: Regex::new(r"(?i)\b(?:free|starter|basic|pro|plus|premium|business|team|enterprise|growth)\s+(?:plan|tier|subscription)\b")
            .expect("plan pattern"),
    })
}

fn push(facts: &mut Vec<KeyFact>, kind: FactKind, value: &str) {
    let value = value.trim().trim_end_matches(['.', ',', ';', ':']).to_string();
    if value.is_empty() {
        return;
    }
    let key = value.to_lowercase();
    if !facts.iter().any(|f| f.kind == kind && f.value.to_lowercase() == key) {
        facts.push(KeyFact { kind, value });
    }
}

/// The facts found in `texts` (the customer's lines), in order of first mention, deduplicated.
pub fn extract<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<KeyFact> {
    let p = patterns();
    let mut facts = Vec::new();
    for text in texts {
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for m in p.email.find_iter(text) {
            push(&mut facts, FactKind::Email, m.as_str());
            taken.push((m.start(), m.end()));
        }
        for captures in p.order.captures_iter(text) {
            let whole = captures.get(0).expect("match");
            let value = captures.get(1).map(|c| c.as_str()).unwrap_or(whole.as_str());
            push(&mut facts, FactKind::OrderNumber, value);
            taken.push((whole.start(), whole.end()));
        }
        for m in p.amount.find_iter(text) {
            push(&mut facts, FactKind::Amount, m.as_str());
            taken.push((m.start(), m.end()));
        }
        for m in p.phone.find_iter(text) {
            let overlaps = taken.iter().any(|(s, e)| m.start() < *e && *s < m.end());
            let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
            if !overlaps && (7..=15).contains(&digits) {
                push(&mut facts, FactKind::Phone, m.as_str());
            }
        }
        for m in p.plan.find_iter(text) {
            push(&mut facts, FactKind::Plan, m.as_str());
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(kind: FactKind, facts: &[KeyFact]) -> Vec<String> {
        facts.iter().filter(|f| f.kind == kind).map(|f| f.value.clone()).collect()
    }

    #[test]
    fn finds_orders_emails_phones_amounts_and_plans() {
        let facts = extract([
            "Hi, my order #A-20931 never arrived and I paid $129.00 for it.",
            "You can reach me at sam.lee@example.com or +1-555-0142, or call (030) 1234 5678.",
            "Also order 558120 was charged twice: €1,200 each! I'm on the Pro plan.",
            "Invoice INV-2024-0044 shows 49 USD. Email me at SAM.LEE@example.com.",
        ]);
        assert_eq!(of(FactKind::OrderNumber, &facts), vec!["A-20931", "558120", "INV-2024-0044"]);
        assert_eq!(of(FactKind::Email, &facts), vec!["sam.lee@example.com"], "deduplicated, case-insensitively");
        assert_eq!(of(FactKind::Phone, &facts), vec!["+1-555-0142", "(030) 1234 5678"]);
        assert_eq!(of(FactKind::Amount, &facts), vec!["$129.00", "€1,200", "49 USD"]);
        assert_eq!(of(FactKind::Plan, &facts), vec!["Pro plan"]);
    }

    #[test]
    fn ordinary_numbers_are_not_facts() {
        let facts = extract(["I have 3 kids, waited 20 minutes, it's 2026 and page 12 is blank."]);
        assert!(facts.is_empty(), "{facts:?}");
    }
}
