//! The review's sentence vectors, one per handoff question, kept beside the transcripts (and
//! encrypted with them).

use std::collections::HashMap;

use handoff_protocol::*;
use rusqlite::params;

use super::queries::MessagesByConversation;
use super::rows::*;
use super::LocalStore;
use crate::error::CoreResult;

/// A question's vector as stored: the question it was made from and the vector.
pub type StoredVector = (String, Vec<f32>);

fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

impl LocalStore {
    /// Up to `limit` handoffs without a vector of `model`, the newest escalation first (what a
    /// review looks at first), with their messages.
    pub fn handoffs_without_vectors(
        &self,
        model: &str,
        limit: usize,
    ) -> CoreResult<(Vec<Conversation>, MessagesByConversation)> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
                 WHERE c.escalated_at_ms IS NOT NULL AND NOT EXISTS \
                   (SELECT 1 FROM question_vectors v WHERE v.conversation_id = c.id AND v.model = ?1) \
                 ORDER BY c.escalated_at_ms DESC, c.id LIMIT ?2"
            ))?;
            let conversations: Vec<Conversation> =
                stmt.query_map(params![model, limit as i64], conversation_from_row)?.collect::<Result<_, _>>()?;
            let mut messages: MessagesByConversation = HashMap::new();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 ORDER BY seq"
            ))?;
            for conversation in &conversations {
                let list = stmt.query_map([conversation.id], message_from_row)?.collect::<Result<_, _>>()?;
                messages.insert(conversation.id, list);
            }
            Ok((conversations, messages))
        })
    }

    /// Stores vectors of `model` (one transaction), replacing older ones.
    pub fn save_question_vectors(&self, model: &str, vectors: &[(i64, String, Vec<f32>)]) -> CoreResult<()> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO question_vectors (conversation_id, model, question, vector) \
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ?1) \
                 ON CONFLICT (conversation_id) DO UPDATE SET \
                   model = excluded.model, question = excluded.question, vector = excluded.vector",
            )?;
            for (id, question, vector) in vectors {
                stmt.execute(params![id, model, question, to_blob(vector)])?;
            }
            Ok(())
        })
    }

    /// The vectors of `model` for handoffs escalated in the period, by conversation id.
    pub fn question_vectors_between(
        &self,
        model: &str,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<HashMap<i64, StoredVector>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT v.conversation_id, v.question, v.vector FROM question_vectors v \
                 JOIN conversations c ON c.id = v.conversation_id \
                 WHERE v.model = ?1 AND c.escalated_at_ms BETWEEN ?2 AND ?3",
            )?;
            let rows = stmt.query_map(params![model, since.timestamp_millis(), until.timestamp_millis()], |row| {
                Ok((row.get::<_, i64>(0)?, (row.get::<_, String>(1)?, from_blob(&row.get::<_, Vec<u8>>(2)?))))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}
