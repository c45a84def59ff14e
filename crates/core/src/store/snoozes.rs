//! Snoozes: an agent puts one of their conversations out of sight until a time, on this device
//! only. A snooze wakes when its time comes or when the customer writes, and ends by itself
//! when the conversation stops being the agent's (transferred, released, resolved) — in the
//! same transaction that applies that change.

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use rusqlite::{params, Transaction};

use super::rows::*;
use super::{time_from_ms, LocalStore};
use crate::error::{CoreError, CoreResult};

/// The longest snooze: further out, a reminder in a calendar is the better tool.
pub const MAX_SNOOZE_DAYS: i64 = 365;

/// A snooze whose time came.
#[derive(Debug, Clone, PartialEq)]
pub struct WokenSnooze {
    pub conversation: Conversation,
    pub until: DateTime<Utc>,
}

/// Woke (time came, or the customer wrote since): `s` is the snoozes row.
const WOKE: &str = "(s.until_ms <= ?2 OR EXISTS (SELECT 1 FROM messages w WHERE w.conversation_id = s.conversation_id \
     AND w.seq > s.snoozed_seq AND w.role = 'customer'))";

impl LocalStore {
    /// Snoozes `agent_id`'s conversation until `until`; refused (and nothing written) unless it
    /// is assigned to that agent in the cache and `until` is after `now`. Snoozing again moves
    /// the time.
    pub fn snooze(
        &self,
        conversation_id: i64,
        agent_id: i64,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> CoreResult<()> {
        if until <= now {
            return Err(CoreError::Invalid(format!(
                "{} is in the past: snooze until a later time",
                until.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        if until - now > chrono::Duration::days(MAX_SNOOZE_DAYS) {
            return Err(CoreError::Invalid(format!("snooze for at most {MAX_SNOOZE_DAYS} days")));
        }
        self.write(|tx| {
            let conversation =
                load_conversation(tx, conversation_id)?.ok_or(CoreError::UnknownConversation(conversation_id))?;
            let mine = conversation.status == ConversationStatus::Assigned
                && conversation.assignee.as_ref().is_some_and(|a| a.id == agent_id);
            if !mine {
                let whose = match (&conversation.status, &conversation.assignee) {
                    (ConversationStatus::Assigned, Some(other)) => format!("assigned to {}", other.name),
                    (status, _) => status.as_str().to_string(),
                };
                return Err(CoreError::Invalid(format!(
                    "conversation {conversation_id} is {whose}, not assigned to you: only your own conversations \
                     can be snoozed (claim it first)"
                )));
            }
            tx.prepare_cached(
                "INSERT INTO snoozes (conversation_id, agent_id, until_ms, snoozed_at_ms, snoozed_seq, notified) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT(conversation_id) DO UPDATE SET agent_id = excluded.agent_id, \
                 until_ms = excluded.until_ms, snoozed_at_ms = excluded.snoozed_at_ms, \
                 snoozed_seq = excluded.snoozed_seq, notified = 0",
            )?
            .execute(params![
                conversation_id,
                agent_id,
                until.timestamp_millis(),
                now.timestamp_millis(),
                conversation.last_message_seq
            ])?;
            Ok(())
        })
    }

    /// Ends a snooze now; false when there was none.
    pub fn unsnooze(&self, conversation_id: i64) -> CoreResult<bool> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached("DELETE FROM snoozes WHERE conversation_id = ?1")?
                .execute(params![conversation_id])?
                > 0)
        })
    }

    /// The snoozes of `agent_id` whose time has come by `now` and that were not handed out yet,
    /// each once (marked in the same transaction). Woken by the customer instead, a snooze is
    /// marked silently: their message was a notification already. Snoozes of conversations that
    /// are no longer the agent's go.
    pub fn take_due_snoozes(&self, agent_id: i64, now: DateTime<Utc>) -> CoreResult<Vec<WokenSnooze>> {
        let now_ms = now.timestamp_millis();
        self.write(|tx| {
            tx.prepare_cached(
                "DELETE FROM snoozes WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = snoozes.conversation_id \
                 AND c.status = 'assigned' AND c.assignee_id = snoozes.agent_id)",
            )?
            .execute([])?;
            let due: Vec<(i64, i64)> = tx
                .prepare_cached(&format!(
                    "SELECT s.conversation_id, s.until_ms FROM snoozes s WHERE s.agent_id = ?1 AND s.notified = 0 \
                     AND {WOKE} ORDER BY s.until_ms, s.conversation_id"
                ))?
                .query_map(params![agent_id, now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut woken = Vec::new();
            for (id, until_ms) in due {
                tx.prepare_cached("UPDATE snoozes SET notified = 1 WHERE conversation_id = ?1")?.execute(params![id])?;
                if until_ms > now_ms {
                    continue;
                }
                if let Some(conversation) = load_conversation(tx, id)? {
                    woken.push(WokenSnooze { conversation, until: time_from_ms(until_ms) });
                }
            }
            Ok(woken)
        })
    }

    /// A woken snooze is over once the agent opens the conversation.
    pub(super) fn end_woken_snooze(tx: &Transaction, conversation_id: i64, now: DateTime<Utc>) -> CoreResult<()> {
        tx.prepare_cached(&format!("DELETE FROM snoozes AS s WHERE s.conversation_id = ?1 AND {WOKE}"))?
            .execute(params![conversation_id, now.timestamp_millis()])?;
        Ok(())
    }

    /// Ends the snooze of a conversation that is no longer its agent's.
    pub(super) fn end_stale_snooze(tx: &Transaction, conversation_id: i64) -> CoreResult<()> {
        tx.prepare_cached(
            "DELETE FROM snoozes WHERE conversation_id = ?1 AND NOT EXISTS (SELECT 1 FROM conversations c \
             WHERE c.id = ?1 AND c.status = 'assigned' AND c.assignee_id = snoozes.agent_id)",
        )?
        .execute(params![conversation_id])?;
        Ok(())
    }
}
