//! What one event of the live change stream means to the engine. The stream carries feed
//! records (`change`, with an id), presence inside conversations (`activity`, no id), and a
//! fatal `error`; whatever else a newer service may send is ignored.

use handoff_protocol::{Change, ConversationActivity, ErrorBody};

use crate::error::{CoreError, CoreResult};
use crate::sse::SseEvent;

#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    Change(Box<Change>),
    Activity(ConversationActivity),
    /// The service ends the stream; its error body when it sent a readable one.
    Error {
        body: Option<ErrorBody>,
        raw: String,
    },
    /// Unknown event types, and presence this engine cannot read (say, a newer activity):
    /// ephemeral, so skipping it loses nothing that matters.
    Ignored,
}

/// Reads one event. Only a `change` that does not parse is an error: skipping it would leave a
/// hole in the cache.
pub fn classify(event: &SseEvent) -> CoreResult<LiveEvent> {
    Ok(match event.event.as_deref() {
        Some("change") => LiveEvent::Change(Box::new(
            serde_json::from_str(&event.data)
                .map_err(|e| CoreError::Protocol(format!("a change record did not parse: {e}")))?,
        )),
        Some("activity") => match serde_json::from_str(&event.data) {
            Ok(activity) => LiveEvent::Activity(activity),
            Err(error) => {
                tracing::debug!(%error, "an activity event did not parse; skipped");
                LiveEvent::Ignored
            }
        },
        Some("error") => LiveEvent::Error { body: serde_json::from_str(&event.data).ok(), raw: event.data.clone() },
        _ => LiveEvent::Ignored,
    })
}

#[cfg(test)]
mod tests {
    use handoff_protocol::Activity;

    use super::*;
    use crate::sse::SseParser;

    fn events(text: &str) -> Vec<SseEvent> {
        SseParser::default().feed(text.as_bytes())
    }

    #[test]
    fn activity_has_no_id_and_is_read() {
        let stream = "event: activity\ndata: {\"conversation_id\":7,\"agent\":{\"id\":2,\"name\":\"Ben\"},\
                      \"activity\":\"typing_note\",\"expires_at\":\"2026-11-25T10:00:08Z\"}\n\n";
        let [event] = events(stream).try_into().expect("one event");
        assert_eq!(event.id, None);
        match classify(&event) {
            Ok(LiveEvent::Activity(a)) => {
                assert_eq!((a.conversation_id, a.agent.name.as_str(), a.activity), (7, "Ben", Activity::TypingNote))
            }
            other => panic!("not an activity: {other:?}"),
        }
    }

    #[test]
    fn unknown_events_and_unreadable_activity_are_ignored() {
        let stream = "event: confetti\ndata: {}\n\nevent: activity\ndata: {\"activity\":\"dancing\"}\n\n\
                      data: no event name\n\nevent: activity\ndata: not json\n\n";
        for event in events(stream) {
            assert_eq!(classify(&event).ok(), Some(LiveEvent::Ignored), "{event:?}");
        }
    }

    #[test]
    fn a_broken_change_is_an_error_and_error_events_keep_their_body() {
        let [broken] = events("id: 3\nevent: change\ndata: {\"cursor\":\n\n").try_into().expect("one event");
        assert!(matches!(classify(&broken), Err(CoreError::Protocol(_))));
        let body = "{\"error\":{\"code\":\"cursor_expired\",\"message\":\"resync\"}}";
        let [error] = events(&format!("event: error\ndata: {body}\n\n")).try_into().expect("one event");
        match classify(&error) {
            Ok(LiveEvent::Error { body: Some(body), .. }) => assert_eq!(body.error.code, "cursor_expired"),
            other => panic!("not an error: {other:?}"),
        }
    }
}
