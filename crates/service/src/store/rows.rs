//! Mapping between SQLite rows and API types.

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use rusqlite::types::Type;
use rusqlite::Row;

pub const CONVERSATION_COLUMNS: &str = "c.id, c.external_id, c.channel, c.status, c.assignee_id, \
     a.name, c.customer_id, c.customer_name, c.customer_email, c.customer_phone, c.customer_vip, \
     c.customer_account_value, c.handoff_reason, c.handoff_trigger, c.escalated_at_ms, c.summary, \
     c.topic, c.priority, c.version, c.created_at_ms, c.updated_at_ms, c.last_message_seq, \
     (SELECT group_concat(t.tag, char(10)) FROM conversation_tags t WHERE t.conversation_id = c.id)";

pub const CONVERSATION_FROM: &str = "FROM conversations c LEFT JOIN agents a ON a.id = c.assignee_id";

pub const MESSAGE_COLUMNS: &str = "conversation_id, seq, role, author, text, private, client_id, created_at_ms";

pub fn time_from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn bad_value(index: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        Type::Text,
        format!("unknown {what} {value:?} in the database").into(),
    )
}

fn parsed<T>(row: &Row, index: usize, what: &str, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).ok_or_else(|| bad_value(index, what, &text))
}

pub fn conversation_from_row(row: &Row) -> rusqlite::Result<Conversation> {
    let assignee = match (row.get::<_, Option<i64>>(4)?, row.get::<_, Option<String>>(5)?) {
        (Some(id), Some(name)) => Some(AgentRef { id, name }),
        _ => None,
    };
    let handoff = match row.get::<_, Option<String>>(12)? {
        Some(reason) => Some(Handoff {
            reason: HandoffReason::parse(&reason).ok_or_else(|| bad_value(12, "reason", &reason))?,
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
        status: parsed(row, 3, "status", ConversationStatus::parse)?,
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
        priority: parsed(row, 17, "priority", Priority::parse)?,
        version: row.get(18)?,
        created_at: time_from_ms(row.get(19)?),
        updated_at: time_from_ms(row.get(20)?),
        last_message_seq: row.get(21)?,
        tags: tags_from_column(row.get(22)?),
    })
}

/// Tag names are one line each (the catalogue allows no line breaks); sorted here, as
/// `group_concat` promises no order.
fn tags_from_column(joined: Option<String>) -> Vec<String> {
    let mut tags: Vec<String> =
        joined.unwrap_or_default().split('\n').filter(|t| !t.is_empty()).map(str::to_string).collect();
    tags.sort_unstable();
    tags
}

pub fn message_from_row(row: &Row) -> rusqlite::Result<Message> {
    Ok(Message {
        conversation_id: row.get(0)?,
        seq: row.get(1)?,
        role: parsed(row, 2, "role", Role::parse)?,
        author: row.get(3)?,
        text: row.get(4)?,
        private: row.get(5)?,
        client_id: row.get(6)?,
        created_at: time_from_ms(row.get(7)?),
    })
}

/// `id, name, presence` columns of `agents`.
pub fn agent_from_row(row: &Row) -> rusqlite::Result<Agent> {
    Ok(Agent { id: row.get(0)?, name: row.get(1)?, presence: parsed(row, 2, "presence", Presence::parse)? })
}
