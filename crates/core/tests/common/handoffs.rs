//! Handed-off conversations made from fixture questions, for review tests.
#![allow(dead_code)] // each test uses some of them

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use handoff_protocol::*;

pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-03-03T00:00:00Z").unwrap().with_timezone(&Utc) + Duration::seconds(seconds)
}

/// A conversation the bot handed off at `escalated_at` (reason: the customer asked for a human),
/// one minute after it started.
pub fn handed_off(id: i64, escalated_at: DateTime<Utc>, status: ConversationStatus) -> Conversation {
    Conversation {
        id,
        external_id: format!("fixture-{id}"),
        channel: "web".into(),
        status,
        assignee: None,
        customer: Customer {
            id: format!("c-{id}"),
            name: format!("Customer {id}"),
            email: None,
            phone: None,
            vip: false,
            account_value: None,
        },
        handoff: Some(Handoff {
            reason: HandoffReason::ExplicitRequest,
            trigger: "customer typed 'human'".into(),
            escalated_at,
            summary: None,
            topic: None,
        }),
        priority: Priority::Normal,
        version: 1,
        created_at: escalated_at - Duration::seconds(60),
        updated_at: escalated_at,
        last_message_seq: 0,
        tags: Vec::new(),
    }
}

/// One handed-off conversation per fixture row: the customer asks, then types "human".
pub fn synthetic(rows: &[(String, String)]) -> (Vec<Conversation>, HashMap<i64, Vec<Message>>) {
    let mut conversations = Vec::new();
    let mut messages = HashMap::new();
    for (i, (_, question)) in rows.iter().enumerate() {
        let id = i as i64 + 1;
        let escalated_at = at(id * 1800);
        let mut conversation = handed_off(id, escalated_at, ConversationStatus::Waiting);
        conversation.last_message_seq = 2;
        conversations.push(conversation);
        let message = |seq: i64, role: Role, text: &str, offset: i64| Message {
            conversation_id: id,
            seq,
            role,
            author: role.as_str().into(),
            text: text.into(),
            private: false,
            client_id: None,
            created_at: escalated_at + Duration::seconds(offset),
        };
        messages.insert(id, vec![message(1, Role::Customer, question, -20), message(2, Role::Customer, "human", -5)]);
    }
    (conversations, messages)
}
