//! `handoff://` links: what a notification click (Windows toasts launch them), a second launch or
//! the browser hands to the running app.

use crate::types::NavigateTarget;

pub const SCHEME: &str = "handoff";

/// `handoff://conversation/42` → the conversation to open; also `handoff://queue` and
/// `handoff://review`.
pub fn parse(url: &str) -> Option<NavigateTarget> {
    let rest = url.trim().strip_prefix("handoff://")?;
    match rest.trim_end_matches('/') {
        "queue" => Some(NavigateTarget::Queue),
        "review" => Some(NavigateTarget::Review),
        rest => {
            let id = rest.strip_prefix("conversation/")?.parse::<i64>().ok()?;
            Some(NavigateTarget::Conversation { id })
        }
    }
}

/// The link that opens `target`; [`parse`] reads it back.
pub fn to_link(target: &NavigateTarget) -> String {
    match target {
        NavigateTarget::Queue => format!("{SCHEME}://queue"),
        NavigateTarget::Review => format!("{SCHEME}://review"),
        NavigateTarget::Conversation { id } => format!("{SCHEME}://conversation/{id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_a_conversation_the_queue_or_the_review() {
        assert_eq!(parse("handoff://conversation/42"), Some(NavigateTarget::Conversation { id: 42 }));
        assert_eq!(parse("handoff://conversation/42/"), Some(NavigateTarget::Conversation { id: 42 }));
        assert_eq!(parse("handoff://queue"), Some(NavigateTarget::Queue));
        assert_eq!(parse("handoff://review"), Some(NavigateTarget::Review));
        assert_eq!(parse("handoff://conversation/abc"), None);
        assert_eq!(parse("https://conversation/42"), None);
        assert_eq!(parse("handoff://settings"), None);
    }

    #[test]
    fn every_target_round_trips_through_its_link() {
        for target in [NavigateTarget::Queue, NavigateTarget::Review, NavigateTarget::Conversation { id: 9_007 }] {
            assert_eq!(parse(&to_link(&target)), Some(target));
        }
    }
}
