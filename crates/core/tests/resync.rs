//! 410 resync, announcements across restarts, and retention.

mod common;

use std::time::Duration;

use common::*;
use handoff_core::*;
use handoff_protocol::*;

fn escalation_events(events: &mut tokio::sync::broadcast::Receiver<CoreEvent>) -> Vec<CoreEvent> {
    let mut found = Vec::new();
    while let Ok(event) = events.try_recv() {
        if matches!(event, CoreEvent::NewEscalation { .. } | CoreEvent::EscalationBacklog { .. }) {
            found.push(event);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pruned_cursor_triggers_a_full_resync_that_keeps_the_outbox() {
    let harness = Harness::start().await;
    let id = harness.escalate("Sam");
    harness.store().claim(id, &harness.alice_ref()).unwrap();
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    let cursor = engine.store().cursor().unwrap();

    // While the device is away, lots happens and the service forgets old changes.
    for i in 0..20 {
        let other = harness.escalate(&format!("Later {i}"));
        harness.customer_says(other, "hello?");
    }
    harness.customer_says(id, "still there?");
    harness.store().prune_changes(5).unwrap();
    assert!(harness.store().check_cursor(cursor).is_err());
    let unsent = engine.reply(id, "written before the resync", false).unwrap();
    let report = engine.sync_once().await.unwrap();
    assert!(report.resynced, "{report:?}");
    assert!(engine.store().outbox_item(&unsent.client_id).unwrap().is_none(), "delivered after the resync");
    assert!(harness
        .store()
        .messages(id, 0, 100)
        .unwrap()
        .messages
        .iter()
        .any(|m| m.text == "written before the resync"));
    engine.sync_once().await.unwrap();
    harness.assert_converged(&engine);
    assert_eq!(engine.store().cursor().unwrap(), harness.store().head_cursor());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_service_is_resynced_and_stale_conversations_dropped() {
    let mut harness = Harness::start().await;
    for i in 0..4 {
        harness.escalate(&format!("Old {i}"));
    }
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    assert_eq!(engine.store().conversations().unwrap().len(), 4);

    // The service's database is replaced by a fresh one: the device's cursor is from the future.
    harness.stop().await;
    std::fs::remove_file(&harness.db).unwrap();
    let _ = std::fs::remove_file(harness.db.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(harness.db.with_extension("sqlite-shm"));
    harness.restart().await;
    let alice = harness.store().add_agent("Alice").unwrap();
    harness.escalate("New world");
    let engine = harness.engine_as("desk", &alice.token, &harness.url());
    let report = engine.sync_once().await.unwrap();
    assert!(report.resynced);
    harness.assert_converged(&engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalations_are_announced_once_even_across_restarts() {
    let harness = Harness::start().await;
    for i in 0..12 {
        harness.escalate(&format!("Backlog {i}"));
    }
    let engine = harness.engine("desk");
    let mut events = engine.subscribe();
    engine.sync_once().await.unwrap();
    let found = escalation_events(&mut events);
    assert_eq!(found.len(), 1, "a backlog is one summary: {found:?}");
    let CoreEvent::EscalationBacklog { count, conversation_ids } = &found[0] else { panic!("{found:?}") };
    assert_eq!(*count, 12);
    assert_eq!(conversation_ids.len(), 12);

    // Restart the app: nothing is announced again.
    drop(events);
    drop(engine);
    let engine = harness.engine("desk");
    let mut events = engine.subscribe();
    let single = harness.escalate("Just one");
    engine.sync_once().await.unwrap();
    let found = escalation_events(&mut events);
    assert_eq!(found.len(), 1);
    assert!(matches!(&found[0], CoreEvent::NewEscalation { conversation, .. } if conversation.id == single));

    // Released back to the queue: the same escalation, not announced again.
    harness.store().claim(single, &harness.alice_ref()).unwrap();
    harness.store().release(single, &harness.alice_ref()).unwrap();
    engine.sync_once().await.unwrap();
    assert!(escalation_events(&mut events).is_empty());

    // Back to the bot, then escalated again: a new escalation, announced.
    harness.store().claim(single, &harness.alice_ref()).unwrap();
    harness.store().resolve(single, &harness.alice_ref(), ResolveOutcome::BackToBot).unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let external_id = harness.store().conversation(single).unwrap().external_id;
    harness.escalate_with(&external_id, "Just one", Priority::High);
    engine.sync_once().await.unwrap();
    let found = escalation_events(&mut events);
    assert_eq!(found.len(), 1, "{found:?}");

    // A second device announces on its own.
    let other = harness.engine("laptop");
    let mut other_events = other.subscribe();
    other.sync_once().await.unwrap();
    let found = escalation_events(&mut other_events);
    assert!(matches!(&found[..], [CoreEvent::EscalationBacklog { count: 13, .. }]), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_resolved_conversations_are_purged_with_messages_and_index_rows() {
    let harness = Harness::start().await;
    let resolved = harness.escalate("Resolved Customer");
    harness.customer_says(resolved, "my zebra-striped parcel is missing");
    harness.store().claim(resolved, &harness.alice_ref()).unwrap();
    harness.store().resolve(resolved, &harness.alice_ref(), ResolveOutcome::Solved).unwrap();
    let recent = harness.escalate("Recent Resolved");
    harness.customer_says(recent, "another zebra question");
    harness.store().claim(recent, &harness.alice_ref()).unwrap();
    harness.store().resolve(recent, &harness.alice_ref(), ResolveOutcome::Solved).unwrap();
    let waiting = harness.escalate("Waiting Customer");
    harness.customer_says(waiting, "zebra waiting");
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    assert_eq!(engine.store().search("zebra", 10).unwrap().len(), 3);

    // Age one resolved conversation by 40 days.
    {
        let conn = rusqlite::Connection::open(engine.store().path()).unwrap();
        handoff_core::credentials::cache_key(engine.data_dir()).unwrap().apply(&conn).unwrap();
        let forty_days = 40 * 24 * 3600 * 1000_i64;
        conn.execute(
            "UPDATE conversations SET updated_at_ms = updated_at_ms - ?2 WHERE id = ?1",
            [resolved, forty_days],
        )
        .unwrap();
    }
    assert_eq!(engine.purge(30).unwrap(), 1);
    assert!(engine.store().conversation(resolved).unwrap().is_none());
    assert!(engine.store().messages(resolved).unwrap().is_empty());
    let hits = engine.store().search("zebra", 10).unwrap();
    assert_eq!(hits.len(), 2, "index rows went too");
    assert!(hits.iter().all(|h| h.conversation_id != resolved));
    // Waiting conversations are never purged, whatever their age.
    assert_eq!(engine.purge(0).unwrap(), 1);
    assert!(engine.store().conversation(waiting).unwrap().is_some());
    assert_eq!(engine.store().integrity_check().unwrap(), "ok");
}
