//! `handoff://` links: what a notification click (Windows toasts launch them), a second launch or
//! the browser hands to the running app. Anything on the computer can open such a link, so the
//! parser takes only the exact forms [`to_link`] writes.

use serde::{Deserialize, Serialize};

pub const SCHEME: &str = "handoff";

/// The largest id a link may name: ids travel to the front end as JSON numbers, which are exact
/// only up to 2^53 − 1.
pub const MAX_ID: i64 = (1 << 53) - 1;

/// Where the window should go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "view", rename_all = "snake_case")]
pub enum NavigateTarget {
    Queue,
    Conversation { id: i64 },
    Review,
}

/// `handoff://conversation/42` → the conversation to open; also `handoff://queue` and
/// `handoff://review`. One trailing slash is allowed (some launchers add it); anything else —
/// a query, a fragment, a sign, leading zeros, an id of 0 or above [`MAX_ID`] — is not a link.
pub fn parse(url: &str) -> Option<NavigateTarget> {
    let rest = url.trim().strip_prefix("handoff://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match rest {
        "queue" => Some(NavigateTarget::Queue),
        "review" => Some(NavigateTarget::Review),
        rest => {
            let digits = rest.strip_prefix("conversation/")?;
            // `str::parse` would take "+42" and "042"; a link has exactly one spelling.
            if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let id = digits.parse::<i64>().ok().filter(|id| *id <= MAX_ID)?;
            Some(NavigateTarget::Conversation { id })
        }
    }
}

/// The link that opens `target`; [`parse`] reads it back (for ids from 1 to [`MAX_ID`]).
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
    use proptest::prelude::*;

    #[test]
    fn links_name_a_conversation_the_queue_or_the_review() {
        assert_eq!(parse("handoff://conversation/42"), Some(NavigateTarget::Conversation { id: 42 }));
        assert_eq!(parse("handoff://conversation/42/"), Some(NavigateTarget::Conversation { id: 42 }));
        assert_eq!(parse(" handoff://queue\n"), Some(NavigateTarget::Queue));
        assert_eq!(parse("handoff://review"), Some(NavigateTarget::Review));
        assert_eq!(
            parse(&format!("handoff://conversation/{MAX_ID}")),
            Some(NavigateTarget::Conversation { id: MAX_ID })
        );
        for wrong in [
            "handoff://conversation/abc",
            "https://conversation/42",
            "handoff://settings",
            "handoff://conversation/0",
            "handoff://conversation/-3",
            "handoff://conversation/+3",
            "handoff://conversation/042",
            "handoff://conversation/",
            "handoff://conversation/42//",
            "handoff://conversation/42?x=1",
            "handoff://conversation/42#top",
            "handoff://conversation/9007199254740992",
            "handoff://conversation/99999999999999999999999",
            "handoff://queue//",
            "",
        ] {
            assert_eq!(parse(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn every_target_round_trips_through_its_link() {
        for target in [NavigateTarget::Queue, NavigateTarget::Review, NavigateTarget::Conversation { id: 9_007 }] {
            assert_eq!(parse(&to_link(&target)), Some(target));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Whatever launches the app, the parser answers and never panics; what it accepts is
        /// exactly a link [`to_link`] would write.
        #[test]
        fn arbitrary_text_never_panics_and_only_canonical_links_parse(text in any::<String>()) {
            if let Some(target) = parse(&text) {
                let link = to_link(&target);
                let trimmed = text.trim();
                prop_assert!(trimmed == link || trimmed == format!("{link}/"), "{text:?} parsed as {target:?}");
                if let NavigateTarget::Conversation { id } = target {
                    prop_assert!((1..=MAX_ID).contains(&id));
                }
            }
        }

        /// Near misses: the right prefix followed by anything.
        #[test]
        fn conversation_links_parse_only_with_a_positive_id_in_range(rest in "[-+0-9a-z/?#% ]{0,24}") {
            let text = format!("handoff://conversation/{rest}");
            // Surrounding whitespace is trimmed (launchers add newlines), then one slash may go.
            let rest = rest.trim_end();
            let digits = rest.strip_suffix('/').unwrap_or(rest);
            let expected = (!digits.is_empty() && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<i64>().ok())
                .flatten()
                .filter(|id| *id <= MAX_ID)
                .map(|id| NavigateTarget::Conversation { id });
            prop_assert_eq!(parse(&text), expected);
        }

        #[test]
        fn built_links_round_trip(id in 1..=MAX_ID, slash in any::<bool>()) {
            let target = NavigateTarget::Conversation { id };
            let link = to_link(&target);
            let link = if slash { format!("{link}/") } else { link };
            prop_assert_eq!(parse(&link), Some(target));
        }

        #[test]
        fn ids_out_of_range_never_parse(id in prop_oneof![i64::MIN..=0, (MAX_ID + 1)..=i64::MAX]) {
            prop_assert_eq!(parse(&to_link(&NavigateTarget::Conversation { id })), None);
        }
    }
}
