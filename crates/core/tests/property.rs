//! Property: whatever interleaving of service changes, disconnects and local replies happens,
//! once the service is back and the device syncs, the cache equals the service and every local
//! reply was delivered exactly once or kept as failed.

mod common;

use common::*;
use handoff_core::*;
use handoff_protocol::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Escalate,
    CustomerMessage(usize),
    AliceClaims(usize),
    BobClaims(usize),
    Resolve(usize),
    LocalReply(usize),
    LocalNote(usize),
    Sync,
    ServiceDown,
    ServiceUp,
    Prune,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Escalate),
        3 => (0..8usize).prop_map(Step::CustomerMessage),
        2 => (0..8usize).prop_map(Step::AliceClaims),
        1 => (0..8usize).prop_map(Step::BobClaims),
        1 => (0..8usize).prop_map(Step::Resolve),
        4 => (0..8usize).prop_map(Step::LocalReply),
        1 => (0..8usize).prop_map(Step::LocalNote),
        3 => Just(Step::Sync),
        1 => Just(Step::ServiceDown),
        2 => Just(Step::ServiceUp),
        1 => Just(Step::Prune),
    ]
}

async fn run(steps: Vec<Step>) {
    let mut harness = Harness::start().await;
    let engine = harness.engine("desk");
    let mut ids: Vec<i64> = Vec::new();
    let mut written: Vec<String> = Vec::new();
    let pick = |ids: &[i64], k: usize| (!ids.is_empty()).then(|| ids[k % ids.len()]);
    for (n, step) in steps.into_iter().enumerate() {
        let up = harness.is_running();
        match step {
            Step::Escalate if up => ids.push(harness.escalate(&format!("Customer {n}"))),
            Step::CustomerMessage(k) if up => {
                if let Some(id) = pick(&ids, k) {
                    harness.customer_says(id, &format!("customer line {n}"));
                }
            }
            Step::AliceClaims(k) | Step::BobClaims(k) if up => {
                if let Some(id) = pick(&ids, k) {
                    let agent = if matches!(step, Step::AliceClaims(_)) { &harness.alice } else { &harness.bob };
                    let _ = harness.store().claim(id, &agent.agent);
                }
            }
            Step::Resolve(k) if up => {
                if let Some(id) = pick(&ids, k) {
                    let _ = harness.store().resolve(id, &harness.alice_ref(), ResolveOutcome::Solved);
                }
            }
            Step::LocalReply(k) | Step::LocalNote(k) => {
                if let Some(id) = pick(&ids, k) {
                    let text = format!("local {n}");
                    if engine.reply(id, &text, matches!(step, Step::LocalNote(_))).is_ok() {
                        written.push(text);
                    }
                }
            }
            Step::Sync => {
                let _ = engine.sync_once().await;
            }
            Step::ServiceDown if up => harness.kill().await,
            Step::ServiceUp if !up => harness.restart().await,
            Step::Prune if up => {
                let _ = harness.store().prune_changes(3);
            }
            _ => {}
        }
    }
    if !harness.is_running() {
        harness.restart().await;
    }
    engine.sync_once().await.expect("the final sync succeeds");
    engine.sync_once().await.expect("and a second one settles the feed");
    harness.assert_converged(&engine);

    // Every local message: on the service exactly once, or kept as failed — never lost.
    let (_, messages) = harness.service_state();
    let failed: Vec<OutboxItem> = engine.store().outbox().unwrap();
    assert!(failed.iter().all(|i| i.state == DeliveryState::Failed), "nothing left pending: {failed:?}");
    for text in &written {
        let on_service = messages.values().flatten().filter(|m| &m.text == text).count();
        let kept = failed.iter().filter(|i| &i.text == text).count();
        assert_eq!(on_service + kept, 1, "{text:?}: {on_service} on the service, {kept} failed");
    }
    assert_eq!(engine.store().integrity_check().unwrap(), "ok");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn cache_converges_to_the_service(steps in prop::collection::vec(step(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(steps));
    }
}
