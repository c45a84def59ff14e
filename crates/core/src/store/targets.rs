//! Service targets: first-response deadlines that passed, each handed out once per device for a
//! notification (recorded with the deadline's escalation, so a re-escalation counts anew).

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use rusqlite::params;

use super::queue::DUE;
use super::rows::*;
use super::{time_from_ms, LocalStore};
use crate::error::CoreResult;

/// A conversation past its first-response target.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueConversation {
    pub conversation: Conversation,
    pub due_at: DateTime<Utc>,
}

impl LocalStore {
    /// Conversations that are past their first-response deadline at `now` — waiting ones, and
    /// `me`'s unanswered ones — and were never handed out on this device; recorded as handed out
    /// in the same transaction. Oldest deadline first.
    pub fn take_overdue(&self, me: Option<i64>, now: DateTime<Utc>) -> CoreResult<Vec<OverdueConversation>> {
        self.write(|tx| {
            let params = Self::queue_params(tx, me, now, 0, 0)?;
            let sql = format!(
                "SELECT {CONVERSATION_COLUMNS}, {DUE} AS due FROM conversations c \
                 WHERE (c.status = 'waiting' OR (c.status = 'assigned' AND c.assignee_id = :me)) \
                 AND due <= :now AND NOT EXISTS (SELECT 1 FROM overdue_notices o WHERE o.conversation_id = c.id \
                 AND o.escalated_at_ms = c.escalated_at_ms) ORDER BY due, c.id"
            );
            let mut overdue = Vec::new();
            {
                let mut stmt = tx.prepare_cached(&sql)?;
                params.bind(&mut stmt)?;
                let mut rows = stmt.raw_query();
                while let Some(row) = rows.next()? {
                    let conversation = conversation_from_row(row)?;
                    // Right after the conversation's own columns.
                    let due_at = time_from_ms(row.get(super::rows::CONVERSATION_COLUMN_COUNT)?);
                    overdue.push(OverdueConversation { conversation, due_at });
                }
            }
            let mut record = tx.prepare_cached(
                "INSERT OR IGNORE INTO overdue_notices (conversation_id, escalated_at_ms, notified_at_ms) \
                 VALUES (?1, ?2, ?3)",
            )?;
            for item in &overdue {
                let escalated = item.conversation.handoff.as_ref().map(|h| h.escalated_at.timestamp_millis());
                record.execute(params![item.conversation.id, escalated, now.timestamp_millis()])?;
            }
            Ok(overdue)
        })
    }
}
