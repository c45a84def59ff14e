//! The demo workspace: a realistic week of handoffs, demo agents, and a simulator that keeps
//! escalating new conversations so a connected app shows a live queue.

mod load;
mod scenarios;
mod tags;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

pub use load::{seed_synthetic, synthetic_sentence};
pub use scenarios::{Scenario, SCENARIOS};
pub use tags::{tags_for, DEMO_TAGS};

use crate::error::ServiceResult;
use crate::store::{ImportedConversation, IssuedToken, Store};

/// The demo agents; the first is the one a demo app signs in as.
pub const DEMO_AGENTS: [(&str, Presence); 3] =
    [("Alex Morgan", Presence::Available), ("Priya Shah", Presence::Available), ("Jonas Weber", Presence::Away)];

#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Mean time between simulated events.
    pub every: Duration,
    pub seed: u64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self { every: Duration::from_secs(20), seed: 42 }
    }
}

fn slug(name: &str) -> String {
    let slug: String = name.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    slug.trim_matches('-').to_string()
}

/// The escalation a bot platform would send for `scenario`, its lines said before `escalated_at`.
pub fn handoff_for(scenario: &Scenario, external_id: String, escalated_at: DateTime<Utc>) -> IntakeHandoff {
    let lines = scenario.transcript.len() as i64;
    IntakeHandoff {
        external_id,
        channel: scenario.channel.to_string(),
        customer: Customer {
            id: format!("c-{}", slug(scenario.customer_name)),
            name: scenario.customer_name.to_string(),
            email: scenario.email.map(str::to_string),
            phone: scenario.phone.map(str::to_string),
            vip: scenario.vip,
            account_value: scenario.account_value,
        },
        reason: scenario.reason,
        trigger: scenario.trigger.to_string(),
        priority: scenario.priority,
        summary: scenario.summary.map(str::to_string),
        topic: Some(scenario.topic.to_string()),
        transcript: scenario
            .transcript
            .iter()
            .enumerate()
            .map(|(i, (role, text))| TranscriptEntry {
                role: *role,
                text: text.to_string(),
                at: Some(escalated_at - chrono::Duration::seconds(25 * (lines - i as i64))),
                message_id: None,
            })
            .collect(),
    }
}

/// Fresh tokens for the demo agents (created if missing), with their presence set.
pub fn demo_tokens(store: &dyn Store) -> ServiceResult<Vec<IssuedToken>> {
    DEMO_AGENTS
        .iter()
        .map(|(name, presence)| {
            let issued = store.issue_token(name)?;
            store.set_presence(&issued.agent, *presence)?;
            Ok(issued)
        })
        .collect()
}

/// Seeds a week of history and a live queue into an empty store; does nothing otherwise.
pub fn seed_if_empty(store: &dyn Store) -> ServiceResult<()> {
    if !store.is_empty()? {
        return Ok(());
    }
    let agents: Vec<AgentRef> = demo_tokens(store)?.into_iter().map(|t| t.agent).collect();
    for (name, color) in DEMO_TAGS {
        store.add_tag(name, Some(color))?;
    }
    // Most conversations carry the tags their topic suggests; a few were never tagged, as in a
    // real team.
    let tag = |id: i64, scenario: &Scenario, i: usize| -> ServiceResult<()> {
        let tags = tags_for(scenario);
        if i % 4 != 3 && !tags.is_empty() {
            store.set_tags(id, &tags)?;
        }
        Ok(())
    };
    let mut rng = StdRng::seed_from_u64(7);
    let now = Utc::now();
    let minutes = |m: i64| chrono::Duration::minutes(m);

    // Last week: two thirds of the scenarios were handed off and solved before.
    for (i, scenario) in SCENARIOS.iter().enumerate().filter(|(i, _)| i % 3 != 2) {
        let escalated_at = now - minutes(rng.gen_range(60 * 24..60 * 24 * 7));
        let agent = &agents[i % agents.len()];
        let claimed_at = escalated_at + chrono::Duration::seconds(rng.gen_range(20..600));
        let conversation = store.import_conversation(&ImportedConversation {
            handoff: handoff_for(scenario, format!("demo-history-{i}"), escalated_at),
            escalated_at,
            claimed: Some((agent.id, claimed_at)),
            agent_replies: replies(scenario, claimed_at),
            customer_follow_ups: Vec::new(),
            final_status: ConversationStatus::Resolved,
        })?;
        tag(conversation.id, scenario, i)?;
    }

    // Now: most scenarios wait in the queue, some are being handled, a few went back to the bot.
    for (i, scenario) in SCENARIOS.iter().enumerate() {
        let (final_status, escalated_at) = match i % 10 {
            0..=5 => (ConversationStatus::Waiting, now - chrono::Duration::seconds(rng.gen_range(20..1500))),
            6 | 7 => (ConversationStatus::Assigned, now - minutes(rng.gen_range(5..90))),
            8 => (ConversationStatus::Resolved, now - minutes(rng.gen_range(90..600))),
            _ => (ConversationStatus::Bot, now - minutes(rng.gen_range(90..600))),
        };
        let claimed = (final_status != ConversationStatus::Waiting).then(|| {
            let agent = &agents[(i / 10) % 2];
            (agent.id, escalated_at + chrono::Duration::seconds(rng.gen_range(30..400)))
        });
        let follow_ups = scenario
            .follow_ups
            .iter()
            .take(if final_status == ConversationStatus::Waiting { i % 2 } else { 1 })
            .enumerate()
            .map(|(k, text)| (escalated_at + chrono::Duration::seconds(10 + 15 * k as i64), text.to_string()))
            .collect();
        let conversation = store.import_conversation(&ImportedConversation {
            handoff: handoff_for(scenario, format!("demo-{i}"), escalated_at),
            escalated_at,
            claimed,
            agent_replies: claimed.map(|(_, at)| replies(scenario, at)).unwrap_or_default(),
            customer_follow_ups: follow_ups,
            final_status,
        })?;
        tag(conversation.id, scenario, i)?;
    }
    tracing::info!(scenarios = SCENARIOS.len(), "seeded the demo workspace");
    Ok(())
}

fn replies(scenario: &Scenario, claimed_at: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
    scenario
        .agent_replies
        .iter()
        .enumerate()
        .map(|(k, text)| (claimed_at + chrono::Duration::seconds(40 + 70 * k as i64), text.to_string()))
        .collect()
}

/// Creates new escalations and customer messages at random, about one per `every`.
pub async fn run_simulator(store: Arc<dyn Store>, config: SimulatorConfig, mut shutdown: watch::Receiver<bool>) {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut counter: u64 = 0;
    let base_ms = config.every.as_millis().max(1) as u64;
    loop {
        let delay = Duration::from_millis(rng.gen_range(base_ms / 2..=base_ms + base_ms / 2));
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep(delay) => {}
        }
        counter += 1;
        let scenario_index = rng.gen_range(0..SCENARIOS.len());
        let follow_up = rng.gen_bool(0.4);
        let pick: usize = rng.gen();
        let external_id = format!("sim-{}-{counter}", Utc::now().timestamp());
        let store = store.clone();
        let outcome = tokio::task::spawn_blocking(move || -> ServiceResult<String> {
            if follow_up {
                let waiting = store.list_conversations(Some(ConversationStatus::Waiting), 0, 500)?.conversations;
                if let Some(conversation) = waiting.get(pick % waiting.len().max(1)) {
                    let scenario = SCENARIOS.iter().find(|s| s.customer_name == conversation.customer.name);
                    let text = scenario
                        .and_then(|s| s.follow_ups.get(pick % s.follow_ups.len().max(1)))
                        .copied()
                        .unwrap_or("Hello? Is anyone there?");
                    let message =
                        IntakeMessage { role: Role::Customer, text: text.to_string(), at: None, message_id: None };
                    store.intake_message(&conversation.external_id, &message)?;
                    return Ok(format!("customer message in conversation {}", conversation.id));
                }
            }
            let handoff = handoff_for(&SCENARIOS[scenario_index], external_id, Utc::now());
            let result = store.intake_handoff(&handoff)?;
            Ok(format!("new escalation {}", result.conversation.id))
        })
        .await;
        match outcome {
            Ok(Ok(what)) => tracing::debug!(%what, "simulator"),
            Ok(Err(error)) => tracing::warn!(%error, "simulator step failed"),
            Err(error) => tracing::warn!(%error, "simulator task failed"),
        }
    }
}
