//! Read queries for front ends, all served from the cache.

use std::sync::Arc;

use handoff_protocol::*;
use rusqlite::{params, OptionalExtension};

use super::rows::*;
use super::{time_from_ms, LocalStore};
use crate::error::{CoreError, CoreResult};
use crate::views::*;

/// Marks around highlighted words in FTS snippets; private-use code points that chat text
/// practically never contains.
const HIGHLIGHT_OPEN: char = '\u{E000}';
const HIGHLIGHT_CLOSE: char = '\u{E001}';

/// Messages grouped by their conversation's id.
pub type MessagesByConversation = std::collections::HashMap<i64, Vec<Message>>;

/// Everything a transcript view depends on: the conversation's version, its cached messages and
/// its outbox items. Equal signatures mean an equal view.
const VIEW_SIGNATURE: &str = "SELECT c.version || ':' || c.last_message_seq || ':' || \
     (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) || ':' || \
     (SELECT count(*) || ':' || coalesce(max(o.id), 0) || ':' || coalesce(sum(o.updated_at_ms), 0) || ':' || \
       coalesce(sum(o.state = 'failed'), 0) || ':' || coalesce(sum(o.attempts), 0) FROM outbox o WHERE o.conversation_id = c.id) \
     FROM conversations c WHERE c.id = ?1";

/// Turns what a person types into an FTS5 query: every word must match, the last one as a prefix.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    let (last, rest) = words.split_last()?;
    let mut query = rest.join(" ");
    if !query.is_empty() {
        query.push(' ');
    }
    query.push_str(last);
    query.push('*');
    Some(query)
}

/// Splits an FTS snippet with highlight marks into parts.
fn snippet_parts(snippet: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut highlight = false;
    for c in snippet.chars() {
        if c == HIGHLIGHT_OPEN || c == HIGHLIGHT_CLOSE {
            if !current.is_empty() {
                parts.push(SnippetPart { text: std::mem::take(&mut current), highlight });
            }
            highlight = c == HIGHLIGHT_OPEN;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push(SnippetPart { text: current, highlight });
    }
    parts
}

impl LocalStore {
    /// The team's tag catalogue as last fetched, sorted by name.
    pub fn tags(&self) -> CoreResult<Vec<Tag>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT name, color FROM tags ORDER BY name")?;
            let tags = stmt.query_map([], |r| Ok(Tag { name: r.get(0)?, color: r.get(1)? }))?;
            Ok(tags.collect::<Result<_, _>>()?)
        })
    }

    /// Replaces the cached catalogue; returns whether it changed.
    pub fn replace_tags(&self, tags: &[Tag]) -> CoreResult<bool> {
        let mut wanted = tags.to_vec();
        wanted.sort_by(|a, b| a.name.cmp(&b.name));
        if self.tags()? == wanted {
            return Ok(false);
        }
        self.write(|tx| {
            tx.execute("DELETE FROM tags", [])?;
            for tag in &wanted {
                tx.execute("INSERT OR REPLACE INTO tags (name, color) VALUES (?1, ?2)", params![tag.name, tag.color])?;
            }
            Ok(true)
        })
    }

    /// This customer's other conversations, newest first.
    pub fn customer_history(
        &self,
        customer_id: &str,
        except: i64,
        limit: u32,
    ) -> CoreResult<Vec<crate::insights::context::EarlierConversation>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                // Earlier means begun before this one: a newer conversation of the same customer
                // (still open, say) is not history.
                "SELECT id, status, topic, summary, escalated_at_ms FROM conversations \
                 WHERE customer_id = ?1 AND id <> ?2 \
                   AND created_at_ms < (SELECT created_at_ms FROM conversations WHERE id = ?2) \
                 ORDER BY coalesce(escalated_at_ms, created_at_ms) DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![customer_id, except, limit], |r| {
                let status: String = r.get(1)?;
                Ok(crate::insights::context::EarlierConversation {
                    id: r.get(0)?,
                    status: ConversationStatus::parse(&status).unwrap_or(ConversationStatus::Resolved),
                    topic: r.get(2)?,
                    summary: r.get(3)?,
                    escalated_at: r.get::<_, Option<i64>>(4)?.map(time_from_ms),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// How many conversations wait for a human, as cached.
    pub fn waiting_count(&self) -> CoreResult<i64> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT count(*) FROM conversations WHERE status = 'waiting'")?
                .query_row([], |r| r.get(0))?)
        })
    }

    pub fn conversation(&self, id: i64) -> CoreResult<Option<Conversation>> {
        self.read(|conn| load_conversation(conn, id))
    }

    /// A conversation with its whole transcript: cached messages, then outgoing ones not yet
    /// acknowledged, in the order they were written. Recently opened transcripts are kept in
    /// memory and reused while their signature in the cache is unchanged.
    pub fn conversation_view(&self, id: i64) -> CoreResult<Arc<ConversationView>> {
        self.read(|conn| {
            let signature: Option<String> =
                conn.prepare_cached(VIEW_SIGNATURE)?.query_row(params![id], |r| r.get(0)).optional()?;
            let signature = signature.ok_or(CoreError::UnknownConversation(id))?;
            if let Some(view) = self.transcripts.get(id, &signature) {
                return Ok(view);
            }
            let view = Arc::new(Self::load_view(conn, id)?);
            self.transcripts.put(id, signature, view.clone());
            Ok(view)
        })
    }

    /// The transcript read straight from SQLite, bypassing the in-memory copy (benchmarks).
    pub fn read_conversation_view(&self, id: i64) -> CoreResult<ConversationView> {
        self.read(|conn| Self::load_view(conn, id))
    }

    fn load_view(conn: &rusqlite::Connection, id: i64) -> CoreResult<ConversationView> {
        {
            let conversation = load_conversation(conn, id)?.ok_or(CoreError::UnknownConversation(id))?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 ORDER BY seq"
            ))?;
            let mut messages: Vec<TranscriptLine> = Vec::with_capacity(conversation.last_message_seq.max(0) as usize);
            let mut rows = stmt.query(params![id])?;
            while let Some(row) = rows.next()? {
                let m = message_from_row(row)?;
                messages.push(TranscriptLine {
                    seq: Some(m.seq),
                    role: m.role,
                    author: m.author,
                    text: m.text,
                    private: m.private,
                    created_at: m.created_at,
                    state: DeliveryState::Sent,
                    client_id: m.client_id,
                    error: None,
                });
            }
            let mut stmt = conn.prepare_cached(
                "SELECT author, text, private, created_at_ms, state, client_id, error FROM outbox \
                 WHERE conversation_id = ?1 ORDER BY id",
            )?;
            let outgoing = stmt.query_map(params![id], |row| {
                let state: String = row.get(4)?;
                Ok(TranscriptLine {
                    seq: None,
                    role: Role::Agent,
                    author: row.get(0)?,
                    text: row.get(1)?,
                    private: row.get(2)?,
                    created_at: time_from_ms(row.get(3)?),
                    state: if state == "failed" { DeliveryState::Failed } else { DeliveryState::Pending },
                    client_id: row.get(5)?,
                    error: row.get(6)?,
                })
            })?;
            for line in outgoing {
                messages.push(line?);
            }
            Ok(ConversationView { conversation, messages })
        }
    }

    /// Full-text search over every cached message, newest first, with highlighted snippets.
    pub fn search(&self, input: &str, limit: u32) -> CoreResult<Vec<SearchHit>> {
        let Some(query) = fts_query(input) else { return Ok(Vec::new()) };
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT m.conversation_id, m.seq, c.customer_name, m.role, m.created_at_ms, \
                 snippet(messages_fts, 0, '{HIGHLIGHT_OPEN}', '{HIGHLIGHT_CLOSE}', '…', 16) \
                 FROM messages_fts JOIN messages m ON m.fts_id = messages_fts.rowid \
                 JOIN conversations c ON c.id = m.conversation_id \
                 WHERE messages_fts MATCH ?1 ORDER BY messages_fts.rowid DESC LIMIT ?2"
            ))?;
            let hits = stmt
                .query_map(params![query, limit], |row| {
                    let role: String = row.get(3)?;
                    let snippet: String = row.get(5)?;
                    Ok(SearchHit {
                        conversation_id: row.get(0)?,
                        seq: row.get(1)?,
                        customer_name: row.get(2)?,
                        role: Role::parse(&role).unwrap_or(Role::Customer),
                        created_at: time_from_ms(row.get(4)?),
                        snippet: snippet_parts(&snippet),
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(hits)
        })
    }

    /// Agents as last seen.
    pub fn agents(&self) -> CoreResult<Vec<Agent>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id, name, presence FROM agents ORDER BY name")?;
            let agents = stmt
                .query_map([], |r| {
                    let presence: String = r.get(2)?;
                    Ok(Agent {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        presence: Presence::parse(&presence).unwrap_or(Presence::Offline),
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(agents)
        })
    }

    /// Queue statistics as last fetched from the service.
    pub fn queue_stats(&self) -> CoreResult<Option<QueueStats>> {
        self.sync_value("queue_stats")
    }

    /// Remembers that the agent has seen the conversation up to its newest message; a snooze
    /// that woke is over once its conversation is opened.
    pub fn mark_read(&self, id: i64) -> CoreResult<()> {
        self.write(|tx| {
            tx.execute("UPDATE conversations SET read_seq = last_message_seq WHERE id = ?1", params![id])?;
            Self::end_woken_snooze(tx, id, chrono::Utc::now())
        })
    }

    /// Every cached message of a conversation (for exports and the CLI).
    pub fn messages(&self, id: i64) -> CoreResult<Vec<Message>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 ORDER BY seq"
            ))?;
            let messages = stmt.query_map(params![id], message_from_row)?.collect::<Result<_, _>>()?;
            Ok(messages)
        })
    }

    /// Conversations escalated within `[since, until]` and all their messages, in two queries
    /// (the review reads thousands of conversations at once).
    pub fn escalated_between(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<(Vec<Conversation>, MessagesByConversation)> {
        let (since, until) = (since.timestamp_millis(), until.timestamp_millis());
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
                 WHERE c.escalated_at_ms BETWEEN ?1 AND ?2 ORDER BY c.id"
            ))?;
            let conversations: Vec<Conversation> =
                stmt.query_map(params![since, until], conversation_from_row)?.collect::<Result<_, _>>()?;
            let mut messages: MessagesByConversation = conversations.iter().map(|c| (c.id, Vec::new())).collect();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id IN \
                 (SELECT id FROM conversations WHERE escalated_at_ms BETWEEN ?1 AND ?2) ORDER BY conversation_id, seq"
            ))?;
            let mut rows = stmt.query(params![since, until])?;
            while let Some(row) = rows.next()? {
                let message = message_from_row(row)?;
                if let Some(list) = messages.get_mut(&message.conversation_id) {
                    list.push(message);
                }
            }
            Ok((conversations, messages))
        })
    }

    /// Every cached conversation, by id (for tests and exports).
    pub fn conversations(&self) -> CoreResult<Vec<Conversation>> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c ORDER BY c.id"))?;
            let conversations = stmt.query_map([], conversation_from_row)?.collect::<Result<_, _>>()?;
            Ok(conversations)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_input_becomes_a_safe_fts_query() {
        assert_eq!(fts_query("annual bill").as_deref(), Some("\"annual\" \"bill\"*"));
        assert_eq!(fts_query("  \"DROP\" OR NEAR(x) * ").as_deref(), Some("\"DROP\" \"OR\" \"NEAR\" \"x\"*"));
        assert_eq!(fts_query("--- !!"), None);
        assert_eq!(fts_query("crème brûlée").as_deref(), Some("\"crème\" \"brûlée\"*"));
    }

    #[test]
    fn snippets_split_into_highlighted_parts() {
        let parts = snippet_parts("…switch to \u{E000}annual\u{E001} billing");
        assert_eq!(
            parts,
            vec![
                SnippetPart { text: "…switch to ".into(), highlight: false },
                SnippetPart { text: "annual".into(), highlight: true },
                SnippetPart { text: " billing".into(), highlight: false },
            ]
        );
    }
}
