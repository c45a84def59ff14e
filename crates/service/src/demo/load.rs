//! A synthetic workload for benchmarks: many conversations with long transcripts.

use chrono::Utc;
use handoff_protocol::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::ServiceResult;
use crate::store::{ImportedConversation, Store};

const WORDS: &[&str] = &[
    "order",
    "refund",
    "invoice",
    "annual",
    "billing",
    "plan",
    "shipping",
    "parcel",
    "login",
    "password",
    "account",
    "locked",
    "charge",
    "twice",
    "discount",
    "upgrade",
    "cancel",
    "subscription",
    "delivery",
    "late",
    "damaged",
    "replacement",
    "address",
    "email",
    "callback",
    "contract",
    "security",
    "code",
    "please",
    "help",
    "thanks",
    "today",
    "week",
    "still",
    "waiting",
    "payment",
    "card",
    "declined",
    "receipt",
    "export",
    "privacy",
    "café",
];

/// A random support-flavoured sentence of `words` words.
pub fn synthetic_sentence(rng: &mut StdRng, words: usize) -> String {
    (0..words).map(|_| WORDS[rng.gen_range(0..WORDS.len())]).collect::<Vec<_>>().join(" ")
}

/// Writes `conversations` waiting conversations of `messages` lines each; returns their ids.
pub fn seed_synthetic(store: &dyn Store, conversations: usize, messages: usize, seed: u64) -> ServiceResult<Vec<i64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    let mut ids = Vec::with_capacity(conversations);
    for i in 0..conversations {
        let transcript = (0..messages)
            .map(|k| TranscriptEntry {
                role: if k % 2 == 0 { Role::Customer } else { Role::Bot },
                text: synthetic_sentence(&mut rng, 12),
                at: None,
                message_id: None,
            })
            .collect();
        let conversation = store.import_conversation(&ImportedConversation {
            handoff: IntakeHandoff {
                external_id: format!("load-{seed}-{i}"),
                channel: "web".into(),
                customer: Customer {
                    id: format!("load-{i}"),
                    name: format!("Customer {i}"),
                    email: Some(format!("customer{i}@example.com")),
                    phone: None,
                    vip: i.is_multiple_of(17),
                    account_value: None,
                },
                reason: HandoffReason::ExplicitRequest,
                trigger: "customer typed 'human'".into(),
                priority: Priority::Normal,
                summary: None,
                topic: None,
                transcript,
            },
            escalated_at: now,
            claimed: None,
            agent_replies: Vec::new(),
            customer_follow_ups: Vec::new(),
            final_status: ConversationStatus::Waiting,
        })?;
        ids.push(conversation.id);
    }
    Ok(ids)
}
