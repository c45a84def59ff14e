//! Applying what the service sends — change-feed pages, snapshots, command answers — to the cache.

use std::collections::BTreeSet;

use handoff_protocol::*;
use rusqlite::{params, Connection, Transaction};

use super::rows::*;
use super::{now_ms, LocalStore};
use crate::error::CoreResult;
use crate::views::{DeliveryState, OutboxItem};

/// A conversation whose cached messages have a hole: fetch messages after `after_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapToFill {
    pub conversation_id: i64,
    pub after_seq: i64,
}

/// What applying a batch changed, for events and follow-up work.
#[derive(Debug, Default)]
pub struct ApplyOutcome {
    pub conversations: Vec<Conversation>,
    pub messages: Vec<Message>,
    /// Waiting conversations that were never announced on this device (now marked announced).
    pub new_escalations: Vec<Conversation>,
    /// Outbox items the service acknowledged through the feed.
    pub acknowledged: Vec<OutboxItem>,
    /// Messages for conversations this cache does not know: fetch those conversations.
    pub unknown_conversations: BTreeSet<i64>,
    pub gaps: Vec<GapToFill>,
    pub agents_changed: bool,
}

/// The first seq after which messages are missing, if any.
fn gap_after(conn: &Connection, conversation: &Conversation) -> CoreResult<Option<i64>> {
    let (count, max): (i64, i64) = conn
        .prepare_cached("SELECT count(*), coalesce(max(seq), 0) FROM messages WHERE conversation_id = ?1")?
        .query_row(params![conversation.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if count == max {
        // Contiguous from 1: at most the tail is missing.
        return Ok((max < conversation.last_message_seq).then_some(max));
    }
    let first_hole: i64 = conn
        .prepare_cached(
            "SELECT coalesce((SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND seq = 1)), \
             (SELECT min(m.seq) FROM messages m WHERE m.conversation_id = ?1 AND NOT EXISTS \
               (SELECT 1 FROM messages n WHERE n.conversation_id = ?1 AND n.seq = m.seq + 1)))",
        )?
        .query_row(params![conversation.id], |r| r.get(0))?;
    Ok(Some(first_hole))
}

fn apply_message(tx: &Transaction, message: &Message, outcome: &mut ApplyOutcome) -> CoreResult<()> {
    if !conversation_exists(tx, message.conversation_id)? {
        outcome.unknown_conversations.insert(message.conversation_id);
        return Ok(());
    }
    if insert_message(tx, message)? {
        outcome.messages.push(message.clone());
    }
    if let Some(client_id) = &message.client_id {
        if let Some(item) = LocalStore::take_acknowledged(tx, client_id)? {
            outcome.acknowledged.push(item);
        }
    }
    Ok(())
}

fn announce(tx: &Transaction, conversation: &Conversation) -> CoreResult<bool> {
    let Some(handoff) = &conversation.handoff else { return Ok(false) };
    if conversation.status != ConversationStatus::Waiting {
        return Ok(false);
    }
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO announcements (conversation_id, escalated_at_ms, announced_at_ms) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![conversation.id, handoff.escalated_at.timestamp_millis(), now_ms()])?;
    Ok(inserted > 0)
}

impl LocalStore {
    /// Applies one page of the change feed and moves the cursor, in one transaction.
    pub fn apply_changes(&self, changes: &[Change], new_cursor: i64) -> CoreResult<ApplyOutcome> {
        self.write(|tx| {
            let mut outcome = ApplyOutcome::default();
            let mut touched = BTreeSet::new();
            for change in changes {
                match &change.entity {
                    ChangeEntity::Conversation { conversation } => {
                        if upsert_conversation(tx, conversation)? {
                            outcome.conversations.push(conversation.clone());
                        }
                        touched.insert(conversation.id);
                    }
                    ChangeEntity::Message { message } => {
                        apply_message(tx, message, &mut outcome)?;
                        touched.insert(message.conversation_id);
                    }
                    ChangeEntity::Agent { agent } => {
                        tx.prepare_cached(
                            "INSERT INTO agents (id, name, presence) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO UPDATE \
                             SET name = excluded.name, presence = excluded.presence",
                        )?
                        .execute(params![agent.id, agent.name, agent.presence.as_str()])?;
                        outcome.agents_changed = true;
                    }
                }
            }
            Self::finish_batch(tx, &touched, &mut outcome)?;
            Self::put_key(tx, "sync_state", "cursor", &new_cursor)?;
            Self::put_key(tx, "sync_state", "last_synced_at", &chrono::Utc::now())?;
            Ok(outcome)
        })
    }

    /// Announcements and gap detection for the conversations a batch touched.
    fn finish_batch(tx: &Transaction, touched: &BTreeSet<i64>, outcome: &mut ApplyOutcome) -> CoreResult<()> {
        for id in touched {
            Self::end_stale_snooze(tx, *id)?;
            let Some(conversation) = load_conversation(tx, *id)? else { continue };
            match gap_after(tx, &conversation)? {
                Some(after_seq) => outcome.gaps.push(GapToFill { conversation_id: *id, after_seq }),
                // Announced once its transcript is here, so the announcement can quote it.
                None => {
                    if announce(tx, &conversation)? {
                        outcome.new_escalations.push(conversation.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// Stores conversations and messages fetched outside the feed (resync, gap filling,
    /// command answers). Does not move the cursor.
    pub fn apply_snapshot(&self, conversations: &[Conversation], messages: &[Message]) -> CoreResult<ApplyOutcome> {
        self.write(|tx| {
            let mut outcome = ApplyOutcome::default();
            let mut touched = BTreeSet::new();
            for conversation in conversations {
                if upsert_conversation(tx, conversation)? {
                    outcome.conversations.push(conversation.clone());
                }
                touched.insert(conversation.id);
            }
            for message in messages {
                apply_message(tx, message, &mut outcome)?;
                touched.insert(message.conversation_id);
            }
            Self::finish_batch(tx, &touched, &mut outcome)?;
            Ok(outcome)
        })
    }

    /// Records the service's answer to an outgoing message: the outbox item becomes the message.
    pub fn complete_outbox_item(&self, client_id: &str, message: &Message) -> CoreResult<ApplyOutcome> {
        self.write(|tx| {
            let mut outcome = ApplyOutcome::default();
            apply_message(tx, message, &mut outcome)?;
            if let Some(item) = Self::take_acknowledged(tx, client_id)? {
                outcome.acknowledged.push(item);
            }
            Ok(outcome)
        })
    }

    /// Deletes an outbox item whose message the service has; returns it marked sent.
    fn take_acknowledged(tx: &Transaction, client_id: &str) -> CoreResult<Option<OutboxItem>> {
        let Some(mut item) = Self::outbox_item_in(tx, client_id)? else { return Ok(None) };
        tx.prepare_cached("DELETE FROM outbox WHERE client_id = ?1")?.execute(params![client_id])?;
        item.state = DeliveryState::Sent;
        item.error = None;
        Ok(Some(item))
    }

    /// The hole in a cached conversation's messages, if any.
    pub fn gap(&self, conversation_id: i64) -> CoreResult<Option<GapToFill>> {
        self.read(|conn| {
            let Some(conversation) = load_conversation(conn, conversation_id)? else { return Ok(None) };
            Ok(gap_after(conn, &conversation)?.map(|after_seq| GapToFill { conversation_id, after_seq }))
        })
    }

    /// Drops cached conversations the service no longer has (its data was reset).
    pub fn retain_conversations(&self, ids: &BTreeSet<i64>) -> CoreResult<usize> {
        self.write(|tx| {
            let cached: Vec<i64> =
                tx.prepare("SELECT id FROM conversations")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut removed = 0;
            for id in cached.into_iter().filter(|id| !ids.contains(id)) {
                tx.execute("DELETE FROM messages WHERE conversation_id = ?1", params![id])?;
                removed += tx.execute("DELETE FROM conversations WHERE id = ?1", params![id])?;
            }
            Ok(removed)
        })
    }

    /// Replaces the cached list of agents.
    pub fn replace_agents(&self, agents: &[Agent]) -> CoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM agents", [])?;
            for agent in agents {
                tx.execute(
                    "INSERT INTO agents (id, name, presence) VALUES (?1, ?2, ?3)",
                    params![agent.id, agent.name, agent.presence.as_str()],
                )?;
            }
            Ok(())
        })
    }

    /// Moves the cursor without applying anything (after a resync from a snapshot).
    pub fn set_cursor(&self, cursor: i64) -> CoreResult<()> {
        self.write(|tx| {
            Self::put_key(tx, "sync_state", "cursor", &cursor)?;
            Self::put_key(tx, "sync_state", "last_synced_at", &chrono::Utc::now())
        })
    }
}
