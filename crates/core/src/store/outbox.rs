//! The outbox: replies and notes are written here first and leave only when the service has them.

use handoff_protocol::MAX_TEXT_BYTES;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{now_ms, time_from_ms, LocalStore};
use crate::error::{CoreError, CoreResult};
use crate::views::{DeliveryState, OutboxItem};

const OUTBOX_COLUMNS: &str = "client_id, conversation_id, text, private, state, error, attempts, created_at_ms";

fn item_from_row(row: &Row) -> rusqlite::Result<OutboxItem> {
    let state: String = row.get(4)?;
    Ok(OutboxItem {
        client_id: row.get(0)?,
        conversation_id: row.get(1)?,
        text: row.get(2)?,
        private: row.get(3)?,
        state: if state == "failed" { DeliveryState::Failed } else { DeliveryState::Pending },
        error: row.get(5)?,
        attempts: row.get(6)?,
        created_at: time_from_ms(row.get(7)?),
    })
}

/// Refuses text the service would refuse, before it is queued.
pub fn check_text(text: &str) -> CoreResult<()> {
    if text.trim().is_empty() {
        return Err(CoreError::Invalid("the message is empty".into()));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(CoreError::Invalid(format!(
            "the message is {} bytes; the service accepts at most {MAX_TEXT_BYTES}",
            text.len()
        )));
    }
    Ok(())
}

impl LocalStore {
    pub(crate) fn outbox_item_in(conn: &Connection, client_id: &str) -> CoreResult<Option<OutboxItem>> {
        Ok(conn
            .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE client_id = ?1"))?
            .query_row(params![client_id], item_from_row)
            .optional()?)
    }

    /// Queues a reply or note; it shows in the transcript at once as pending.
    pub fn enqueue(&self, conversation_id: i64, text: &str, private: bool, author: &str) -> CoreResult<OutboxItem> {
        check_text(text)?;
        let client_id = uuid::Uuid::new_v4().to_string();
        self.write(|tx| {
            let now = now_ms();
            tx.execute(
                "INSERT INTO outbox (client_id, conversation_id, text, private, author, state, created_at_ms, \
                 updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)",
                params![client_id, conversation_id, text, private, author, now],
            )?;
            Self::outbox_item_in(tx, &client_id)?.ok_or_else(|| CoreError::UnknownOutboxItem(client_id.clone()))
        })
    }

    /// Pending items in the order they were written.
    pub fn pending_outbox(&self) -> CoreResult<Vec<OutboxItem>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'pending' ORDER BY id"))?;
            let items = stmt.query_map([], item_from_row)?.collect::<Result<_, _>>()?;
            Ok(items)
        })
    }

    /// Every item not yet sent: pending and failed.
    pub fn outbox(&self) -> CoreResult<Vec<OutboxItem>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id"))?;
            let items = stmt.query_map([], item_from_row)?.collect::<Result<_, _>>()?;
            Ok(items)
        })
    }

    pub fn outbox_item(&self, client_id: &str) -> CoreResult<Option<OutboxItem>> {
        self.read(|conn| Self::outbox_item_in(conn, client_id))
    }

    /// Counts a failed delivery attempt that will be retried.
    pub fn note_attempt(&self, client_id: &str) -> CoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, updated_at_ms = ?2 WHERE client_id = ?1",
                params![client_id, now_ms()],
            )?;
            Ok(())
        })
    }

    /// The service refused the item for good: keep it, failed, with the reason.
    pub fn fail_outbox_item(&self, client_id: &str, reason: &str) -> CoreResult<Option<OutboxItem>> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET state = 'failed', error = ?2, attempts = attempts + 1, updated_at_ms = ?3 \
                 WHERE client_id = ?1",
                params![client_id, reason, now_ms()],
            )?;
            Self::outbox_item_in(tx, client_id)
        })
    }

    /// Queues a failed item again, optionally with edited text. An edited text gets a new
    /// client id: the service may have seen the old one with the old text.
    pub fn retry_outbox_item(&self, client_id: &str, new_text: Option<&str>) -> CoreResult<OutboxItem> {
        if let Some(text) = new_text {
            check_text(text)?;
        }
        self.write(|tx| {
            let item = Self::outbox_item_in(tx, client_id)?
                .ok_or_else(|| CoreError::UnknownOutboxItem(client_id.to_string()))?;
            match new_text {
                Some(text) if text != item.text => {
                    let new_id = uuid::Uuid::new_v4().to_string();
                    tx.execute(
                        "UPDATE outbox SET client_id = ?2, text = ?3, state = 'pending', error = NULL, \
                         updated_at_ms = ?4 WHERE client_id = ?1",
                        params![client_id, new_id, text, now_ms()],
                    )?;
                    Self::outbox_item_in(tx, &new_id)?.ok_or(CoreError::UnknownOutboxItem(new_id))
                }
                _ => {
                    tx.execute(
                        "UPDATE outbox SET state = 'pending', error = NULL, updated_at_ms = ?2 WHERE client_id = ?1",
                        params![client_id, now_ms()],
                    )?;
                    Self::outbox_item_in(tx, client_id)?.ok_or_else(|| CoreError::UnknownOutboxItem(client_id.into()))
                }
            }
        })
    }

    /// Drops a failed item the user gave up on. Pending items cannot be discarded: they may
    /// be on their way.
    pub fn discard_outbox_item(&self, client_id: &str) -> CoreResult<OutboxItem> {
        self.write(|tx| {
            let item = Self::outbox_item_in(tx, client_id)?
                .ok_or_else(|| CoreError::UnknownOutboxItem(client_id.to_string()))?;
            if item.state != DeliveryState::Failed {
                return Err(CoreError::Invalid(
                    "only failed messages can be discarded; a pending one may already be on its way".into(),
                ));
            }
            tx.execute("DELETE FROM outbox WHERE client_id = ?1", params![client_id])?;
            Ok(item)
        })
    }
}
