//! The demo workspace's tag catalogue, and which tags a demo conversation gets.

use super::Scenario;

/// Name and colour of each demo tag.
pub const DEMO_TAGS: &[(&str, &str)] = &[
    ("account", "#27ae60"),
    ("billing", "#2f80ed"),
    ("bug", "#9b51e0"),
    ("cancellation", "#828282"),
    ("privacy", "#56ccf2"),
    ("refund", "#eb5757"),
    ("sales", "#219653"),
    ("shipping", "#f2994a"),
    ("vip-followup", "#f2c94c"),
];

/// The tags an agent would have put on a conversation about this scenario, from its topic.
pub fn tags_for(scenario: &Scenario) -> Vec<String> {
    let topic = scenario.topic.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| topic.contains(w));
    let mut tags = Vec::new();
    if has(&["billing", "charge", "invoice", "plan", "sla credit"]) {
        tags.push("billing");
    }
    if has(&["refund", "double charge", "sla credit"]) {
        tags.push("refund");
    }
    if has(&["shipping", "parcel", "damaged", "customs"]) {
        tags.push("shipping");
    }
    if has(&["login error", "api rate", "sso"]) {
        tags.push("bug");
    }
    if has(&["2fa", "password", "account locked", "login"]) {
        tags.push("account");
    }
    if has(&["cancellation"]) {
        tags.push("cancellation");
    }
    if has(&["gdpr"]) {
        tags.push("privacy");
    }
    if has(&["enterprise", "callback", "annual billing"]) && scenario.account_value.unwrap_or(0) >= 5_000 {
        tags.push("sales");
    }
    if scenario.vip {
        tags.push("vip-followup");
    }
    tags.into_iter().map(str::to_string).collect()
}
