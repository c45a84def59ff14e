//! Mapping between cache rows and protocol types.

use handoff_protocol::*;
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::time_from_ms;
use crate::error::CoreResult;

/// How many columns `CONVERSATION_COLUMNS` has (a query may add its own after them).
pub const CONVERSATION_COLUMN_COUNT: usize = 23;

pub const CONVERSATION_COLUMNS: &str = "c.id, c.external_id, c.channel, c.status, c.assignee_id, c.assignee_name, \
     c.customer_id, c.customer_name, c.customer_email, c.customer_phone, c.customer_vip, c.customer_account_value, \
     c.handoff_reason, c.handoff_trigger, c.escalated_at_ms, c.summary, c.topic, c.priority, c.version, \
     c.created_at_ms, c.updated_at_ms, c.last_message_seq, c.tags";

pub const MESSAGE_COLUMNS: &str = "conversation_id, seq, role, author, text, private, client_id, created_at_ms";

fn parsed<T>(row: &Row, index: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(index, Type::Text, format!("unknown value {text:?}").into())
    })
}

pub fn conversation_from_row(row: &Row) -> rusqlite::Result<Conversation> {
    let assignee = match (row.get::<_, Option<i64>>(4)?, row.get::<_, Option<String>>(5)?) {
        (Some(id), Some(name)) => Some(AgentRef { id, name }),
        _ => None,
    };
    let handoff = match row.get::<_, Option<String>>(12)? {
        Some(_) => Some(Handoff {
            reason: parsed(row, 12, HandoffReason::parse)?,
            trigger: row.get::<_, Option<String>>(13)?.unwrap_or_default(),
            escalated_at: time_from_ms(row.get::<_, Option<i64>>(14)?.unwrap_or_default()),
            summary: row.get(15)?,
            topic: row.get(16)?,
        }),
        None => None,
    };
    Ok(Conversation {
        id: row.get(0)?,
        external_id: row.get(1)?,
        channel: row.get(2)?,
        status: parsed(row, 3, ConversationStatus::parse)?,
        assignee,
        customer: Customer {
            id: row.get(6)?,
            name: row.get(7)?,
            email: row.get(8)?,
            phone: row.get(9)?,
            vip: row.get(10)?,
            account_value: row.get(11)?,
        },
        handoff,
        priority: parsed(row, 17, Priority::parse)?,
        version: row.get(18)?,
        created_at: time_from_ms(row.get(19)?),
        updated_at: time_from_ms(row.get(20)?),
        last_message_seq: row.get(21)?,
        tags: tags_from_json(&row.get::<_, String>(22)?),
    })
}

/// The `tags` column: a JSON array written by [`upsert_conversation`]; anything else reads as none.
pub fn tags_from_json(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

pub fn message_from_row(row: &Row) -> rusqlite::Result<Message> {
    Ok(Message {
        conversation_id: row.get(0)?,
        seq: row.get(1)?,
        role: parsed(row, 2, Role::parse)?,
        author: row.get(3)?,
        text: row.get(4)?,
        private: row.get(5)?,
        client_id: row.get(6)?,
        created_at: time_from_ms(row.get(7)?),
    })
}

pub fn load_conversation(conn: &Connection, id: i64) -> CoreResult<Option<Conversation>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?1"))?
        .query_row(params![id], conversation_from_row)
        .optional()?)
}

/// Inserts or updates a conversation unless the cached copy is newer. Returns whether it changed.
pub fn upsert_conversation(conn: &Connection, c: &Conversation) -> CoreResult<bool> {
    let handoff = c.handoff.as_ref();
    let changed = conn
        .prepare_cached(
            "INSERT INTO conversations (id, external_id, channel, status, assignee_id, assignee_name, customer_id, \
         customer_name, customer_email, customer_phone, customer_vip, customer_account_value, handoff_reason, \
         handoff_trigger, escalated_at_ms, summary, topic, priority, priority_rank, version, created_at_ms, \
         updated_at_ms, last_message_seq, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
         ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) \
         ON CONFLICT(id) DO UPDATE SET external_id = excluded.external_id, channel = excluded.channel, \
         status = excluded.status, assignee_id = excluded.assignee_id, assignee_name = excluded.assignee_name, \
         customer_id = excluded.customer_id, customer_name = excluded.customer_name, \
         customer_email = excluded.customer_email, customer_phone = excluded.customer_phone, \
         customer_vip = excluded.customer_vip, customer_account_value = excluded.customer_account_value, \
         handoff_reason = excluded.handoff_reason, handoff_trigger = excluded.handoff_trigger, \
         escalated_at_ms = excluded.escalated_at_ms, summary = excluded.summary, topic = excluded.topic, \
         priority = excluded.priority, priority_rank = excluded.priority_rank, version = excluded.version, \
         created_at_ms = excluded.created_at_ms, updated_at_ms = excluded.updated_at_ms, \
         last_message_seq = excluded.last_message_seq, tags = excluded.tags \
         WHERE excluded.version > conversations.version",
        )?
        .execute(params![
            c.id,
            c.external_id,
            c.channel,
            c.status.as_str(),
            c.assignee.as_ref().map(|a| a.id),
            c.assignee.as_ref().map(|a| a.name.as_str()),
            c.customer.id,
            c.customer.name,
            c.customer.email,
            c.customer.phone,
            c.customer.vip,
            c.customer.account_value,
            handoff.map(|h| h.reason.as_str()),
            handoff.map(|h| h.trigger.as_str()),
            handoff.map(|h| h.escalated_at.timestamp_millis()),
            handoff.and_then(|h| h.summary.as_deref()),
            handoff.and_then(|h| h.topic.as_deref()),
            c.priority.as_str(),
            c.priority.rank(),
            c.version,
            c.created_at.timestamp_millis(),
            c.updated_at.timestamp_millis(),
            c.last_message_seq,
            tags_json(&c.tags),
        ])?;
    Ok(changed > 0)
}

/// The full-text index row of a message: unique as long as a conversation has fewer than 2^20
/// messages.
pub fn fts_id(conversation_id: i64, seq: i64) -> i64 {
    (conversation_id << 20) | (seq & 0xF_FFFF)
}

/// Inserts a message unless it is cached already. Returns whether it was new.
pub fn insert_message(conn: &Connection, m: &Message) -> CoreResult<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO messages (conversation_id, seq, fts_id, role, author, text, private, client_id, \
             created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            m.conversation_id,
            m.seq,
            fts_id(m.conversation_id, m.seq),
            m.role.as_str(),
            m.author,
            m.text,
            m.private,
            m.client_id,
            m.created_at.timestamp_millis()
        ])?;
    Ok(inserted > 0)
}

pub fn conversation_exists(conn: &Connection, id: i64) -> CoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM conversations WHERE id = ?1)")?
        .query_row(params![id], |r| r.get(0))?)
}

#[cfg(test)]
mod column_count {
    #[test]
    fn the_count_matches_the_list() {
        assert_eq!(super::CONVERSATION_COLUMNS.split(',').count(), super::CONVERSATION_COLUMN_COUNT);
    }
}
