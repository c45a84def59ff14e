//! A minimal Server-Sent Events reader for the change stream.

use std::time::Duration;

/// One event of the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// Parses the text/event-stream format incrementally.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes, not text: a multi-byte character may be split across chunks.
    buffer: Vec<u8>,
    pending: SseEvent,
    has_data: bool,
}

impl SseParser {
    /// Feeds bytes; returns the events they completed. Comments (heartbeats) yield nothing.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if self.has_data {
                    events.push(std::mem::take(&mut self.pending));
                    self.has_data = false;
                } else {
                    self.pending = SseEvent::default();
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => self.pending.id = Some(value.to_string()),
                "event" => self.pending.event = Some(value.to_string()),
                "data" => {
                    if self.has_data {
                        self.pending.data.push('\n');
                    }
                    self.pending.data.push_str(value);
                    self.has_data = true;
                }
                _ => {}
            }
        }
        events
    }
}

/// Why a stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    Closed,
    Idle(Duration),
    Failed(String),
}

/// Reads the next chunk of the response within `idle`; heartbeats keep a healthy stream busy.
pub async fn next_chunk(response: &mut reqwest::Response, idle: Duration) -> Result<bytes::Bytes, StreamEnd> {
    match tokio::time::timeout(idle, response.chunk()).await {
        Err(_) => Err(StreamEnd::Idle(idle)),
        Ok(Err(e)) => Err(StreamEnd::Failed(e.to_string())),
        Ok(Ok(None)) => Err(StreamEnd::Closed),
        Ok(Ok(Some(chunk))) => Ok(chunk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `bytes` cut at `cuts` (positions, in any order, out-of-range ones clamped).
    fn feed_split(bytes: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            events.extend(parser.feed(&bytes[start..cut]));
            start = cut;
        }
        events
    }

    /// One event as the service writes it, with the fields that vary.
    fn event_strategy() -> impl Strategy<Value = SseEvent> {
        // No line breaks inside a field (they would end it); any other text, non-ASCII included.
        let field = "[^\\r\\n]{0,12}";
        (
            proptest::option::of("[0-9]{1,6}"),
            proptest::option::of("[a-z_]{1,10}"),
            proptest::collection::vec(field, 1..4),
        )
            .prop_map(|(id, event, lines)| SseEvent { id, event, data: lines.join("\n") })
    }

    fn encode(events: &[SseEvent], crlf: bool) -> Vec<u8> {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut out = String::new();
        for event in events {
            out.push_str(&format!(": heartbeat{end}"));
            if let Some(id) = &event.id {
                out.push_str(&format!("id: {id}{end}"));
            }
            if let Some(name) = &event.event {
                out.push_str(&format!("event: {name}{end}"));
            }
            for line in event.data.split('\n') {
                out.push_str(&format!("data: {line}{end}"));
            }
            out.push_str(end);
        }
        out.into_bytes()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Whatever the network delivers, in whatever pieces, the parser neither panics nor
        /// keeps more than the unfinished last line.
        #[test]
        fn arbitrary_chunks_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)) {
            let mut parser = SseParser::default();
            for chunk in &chunks {
                parser.feed(chunk);
                prop_assert!(!parser.buffer.contains(&b'\n'));
            }
        }

        /// Lines made of the stream's own vocabulary, so fields and blank lines really occur.
        #[test]
        fn arbitrary_field_lines_never_panic(text in "((id|event|data|retry|:|)(: ?)?[a-zé😀 ]{0,6}(\r\n|\n|\r)?){0,20}", cut in any::<usize>()) {
            let whole = SseParser::default().feed(text.as_bytes());
            prop_assert_eq!(feed_split(text.as_bytes(), &[cut]), whole);
        }

        /// A valid stream cut anywhere — inside a field name, a CRLF or a multi-byte character —
        /// yields the same events as in one piece, and they are the events written.
        #[test]
        fn any_split_of_a_valid_stream_gives_the_same_events(
            events in proptest::collection::vec(event_strategy(), 0..6),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let bytes = encode(&events, crlf);
            let mut whole = SseParser::default();
            prop_assert_eq!(&whole.feed(&bytes), &events);
            prop_assert_eq!(feed_split(&bytes, &cuts), events);
        }
    }

    #[test]
    fn keeps_characters_split_across_chunks() {
        let mut parser = SseParser::default();
        let bytes = "data: Zoë 😀\n\n".as_bytes();
        let split = bytes.iter().position(|&b| b == 0xF0).unwrap() + 2;
        assert!(parser.feed(&bytes[..split]).is_empty());
        assert_eq!(parser.feed(&bytes[split..])[0].data, "Zoë 😀");
    }

    #[test]
    fn parses_events_across_chunk_boundaries_and_skips_comments() {
        let mut parser = SseParser::default();
        assert!(parser.feed(b": heartbeat\n\nid: 7\nevent: cha").is_empty());
        let events = parser.feed(b"nge\ndata: {\"a\":1}\n\nid: 8\r\ndata: x\r\ndata: y\r\n\r\n");
        assert_eq!(
            events,
            vec![
                SseEvent { id: Some("7".into()), event: Some("change".into()), data: "{\"a\":1}".into() },
                SseEvent { id: Some("8".into()), event: None, data: "x\ny".into() },
            ]
        );
    }
}
