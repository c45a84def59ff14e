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
