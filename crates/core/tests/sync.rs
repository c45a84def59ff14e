//! Sync against the real service: first sync, live updates, the service going away and coming
//! back, gap filling, and commands that need the service.

mod common;

use std::time::Duration;

use common::*;
use handoff_core::*;
use handoff_protocol::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_fills_the_cache_with_everything_the_service_has() {
    let harness = Harness::start().await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(harness.escalate(&format!("Customer {i}")));
    }
    for (k, id) in ids.iter().enumerate().take(10) {
        harness.customer_says(*id, &format!("follow-up {k} — ünïcödé ✓"));
    }
    harness.store().claim(ids[3], &harness.alice_ref()).unwrap();
    let engine = harness.engine("desk");
    let report = engine.sync_once().await.unwrap();
    assert!(report.changes > 90, "{report:?}");
    harness.assert_converged(&engine);
    assert_eq!(engine.store().cursor().unwrap(), harness.store().head_cursor());
    assert_eq!(engine.store().integrity_check().unwrap(), "ok");

    // The queue comes from the cache.
    let waiting = engine.store().queue(QueueTab::Waiting, None, None, 100).unwrap();
    assert_eq!(waiting.len(), 29);
    let mine = engine.store().queue(QueueTab::Mine, Some(harness.alice.agent.id), None, 100).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, ids[3]);
    let stats = engine.store().queue_stats().unwrap().expect("queue stats cached");
    assert_eq!(stats.waiting, 29);

    // A second sync with nothing new is a no-op.
    let again = engine.sync_once().await.unwrap();
    assert_eq!(again.changes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_arrive_as_typed_events() {
    let harness = Harness::start().await;
    let engine = harness.engine("desk");
    let mut events = engine.subscribe();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = engine.run(shutdown);
    assert!(
        wait_for_event(&mut events, WAIT, |e| matches!(e, CoreEvent::ConnectionChanged { status }
            if status.connection == ConnectionState::Online))
        .await
        .is_some(),
        "goes online"
    );

    let id = harness.escalate("Sam Lee");
    let event = wait_for_event(&mut events, WAIT, |e| matches!(e, CoreEvent::NewEscalation { .. })).await.unwrap();
    let CoreEvent::NewEscalation { conversation, last_customer_text } = event else { unreachable!() };
    assert_eq!(conversation.id, id);
    assert_eq!(conversation.customer.name, "Sam Lee");
    assert_eq!(last_customer_text.as_deref(), Some("Hi, I'm Sam Lee and I need help"));

    harness.customer_says(id, "Are you there?");
    let event = wait_for_event(
        &mut events,
        WAIT,
        |e| matches!(e, CoreEvent::MessageAdded { message } if message.text == "Are you there?"),
    )
    .await;
    assert!(event.is_some(), "message added");
    harness.store().claim(id, &harness.bob.agent).unwrap();
    let event = wait_for_event(&mut events, WAIT, |e| {
        matches!(e, CoreEvent::ConversationChanged { conversation }
        if conversation.status == ConversationStatus::Assigned)
    })
    .await;
    assert!(event.is_some(), "conversation changed");
    assert!(eventually(WAIT, || engine.store().cursor().unwrap() == harness.store().head_cursor()).await);
    harness.assert_converged(&engine);
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_going_away_and_back_is_survived() {
    let mut harness = Harness::start().await;
    for i in 0..5 {
        harness.escalate(&format!("Before {i}"));
    }
    let engine = harness.engine("desk");
    let mut status = engine.status();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = engine.run(shutdown);
    assert!(eventually(WAIT, || engine.is_online()).await);

    harness.stop().await;
    // Offline is observable, with the time it started.
    let offline =
        tokio::time::timeout(WAIT, status.wait_for(|s| matches!(s.connection, ConnectionState::Offline { .. })))
            .await
            .expect("offline is noticed")
            .unwrap()
            .clone();
    let ConnectionState::Offline { since, error, .. } = offline.connection else { unreachable!() };
    assert!(since <= chrono::Utc::now());
    assert!(!error.is_empty());
    // The cache stays readable offline.
    assert_eq!(engine.store().queue(QueueTab::Waiting, None, None, 100).unwrap().len(), 5);
    assert!(!engine.store().search("Before", 10).unwrap().is_empty());
    // Commands that need the service fail at once with a clear message.
    let started = std::time::Instant::now();
    let refused = engine.claim(1).await.unwrap_err();
    assert!(matches!(refused, CoreError::Offline { .. }), "{refused}");
    assert!(refused.to_string().contains("claiming needs the service"), "{refused}");
    assert!(started.elapsed() < Duration::from_secs(6));

    harness.restart().await;
    let late = harness.escalate("After restart");
    assert!(eventually(WAIT, || engine.store().conversation(late).unwrap().is_some()).await, "resumes from the cursor");
    // The catch-up can land the new conversation a moment before the live stream is up.
    assert!(eventually(WAIT, || engine.is_online()).await, "back online");
    assert!(eventually(WAIT, || engine.store().cursor().unwrap() == harness.store().head_cursor()).await);
    harness.assert_converged(&engine);
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_stopped_in_the_middle_of_a_sync_converges_later() {
    let mut harness = Harness::start().await;
    for i in 0..300 {
        let id = harness.escalate(&format!("Customer {i}"));
        for k in 0..5 {
            harness.customer_says(id, &format!("message {k} of {i}"));
        }
    }
    let engine = harness.engine("desk");
    let sync = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.sync_once().await })
    };
    // Kill the service while the catch-up is under way.
    assert!(eventually(WAIT, || engine.store().cursor().unwrap() > 0).await);
    harness.kill().await;
    let result = sync.await.unwrap();
    if let Ok(report) = &result {
        // It may have finished just before the kill; then it must be complete.
        assert!(report.changes > 0);
    }
    assert_eq!(engine.store().integrity_check().unwrap(), "ok");
    harness.restart().await;
    engine.sync_once().await.unwrap();
    harness.assert_converged(&engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_in_a_transcript_are_detected_and_filled() {
    let harness = Harness::start().await;
    let id = harness.escalate("Sam");
    for k in 0..6 {
        harness.customer_says(id, &format!("line {k}"));
    }
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    // Punch holes into the cache, as a lost page would.
    {
        let conn = rusqlite::Connection::open(engine.store().path()).unwrap();
        handoff_core::credentials::cache_key(engine.data_dir()).unwrap().apply(&conn).unwrap();
        conn.execute("DELETE FROM messages WHERE conversation_id = ?1 AND seq IN (2, 3, 6)", [id]).unwrap();
    }
    assert_eq!(engine.store().messages(id).unwrap().len(), 5);
    // An opened transcript is remembered, and never served stale.
    let before = engine.store().conversation_view(id).unwrap();
    assert_eq!(before.messages.len(), 5);
    assert!(std::sync::Arc::ptr_eq(&before, &engine.store().conversation_view(id).unwrap()), "reused");
    // The next change to that conversation reveals the gap; it is filled from the service.
    harness.customer_says(id, "one more");
    engine.sync_once().await.unwrap();
    let seqs: Vec<i64> = engine.store().messages(id).unwrap().iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=9).collect::<Vec<_>>());
    let after = engine.store().conversation_view(id).unwrap();
    assert_eq!(after.messages.len(), 9, "the filled gap shows in the reopened transcript");
    engine.reply(id, "pending line", true).unwrap();
    assert_eq!(engine.store().conversation_view(id).unwrap().messages.len(), 10, "so does a queued reply");
    harness.assert_converged(&engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_claim_race_says_who_has_it() {
    let harness = Harness::start().await;
    let id = harness.escalate("Sam");
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    harness.store().claim(id, &harness.bob.agent).unwrap();
    let error = engine.claim(id).await.unwrap_err();
    match error {
        CoreError::AlreadyClaimed { assignee } => assert_eq!(assignee.name, "Bob"),
        other => panic!("expected AlreadyClaimed, got {other}"),
    }
    // A won claim updates the cache at once.
    let other = harness.escalate("Kim");
    engine.sync_once().await.unwrap();
    let claimed = engine.claim(other).await.unwrap();
    assert_eq!(claimed.status, ConversationStatus::Assigned);
    assert_eq!(engine.store().conversation(other).unwrap().unwrap().assignee.unwrap().name, "Alice");
    engine.release(other).await.unwrap();
    assert_eq!(engine.store().conversation(other).unwrap().unwrap().status, ConversationStatus::Waiting);
    engine.claim(other).await.unwrap();
    let transferred = engine.transfer(other, harness.bob.agent.id, None).await.unwrap();
    assert_eq!(transferred.assignee.unwrap().name, "Bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_is_diacritics_insensitive_with_highlighted_snippets() {
    let harness = Harness::start().await;
    let id = harness.escalate("Zoë");
    harness.customer_says(id, "The crème brûlée arrived cold and the Café was closed");
    harness.customer_says(id, "Can I switch to annual billing please?");
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    let hits = engine.store().search("creme brulee", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].conversation_id, id);
    let highlighted: Vec<&str> = hits[0].snippet.iter().filter(|p| p.highlight).map(|p| p.text.as_str()).collect();
    assert_eq!(highlighted, vec!["crème", "brûlée"]);
    let hits = engine.store().search("annual bil", 10).unwrap();
    assert_eq!(hits.len(), 1, "the last word matches as a prefix");
    assert!(engine.store().search("\"unbalanced AND (", 10).unwrap().is_empty(), "query syntax is not exposed");
    assert!(engine.store().search("", 10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_lists_only_conversations_begun_before_this_one() {
    let harness = Harness::start().await;
    let first = harness.escalate("Repeat Customer");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = harness.escalate("Repeat Customer");
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();

    let newer = engine.handoff_context(second).unwrap();
    assert_eq!(newer.earlier.iter().map(|e| e.id).collect::<Vec<_>>(), vec![first]);
    // The newer conversation, still waiting, is not the older one's history.
    let older = engine.handoff_context(first).unwrap();
    assert!(older.earlier.is_empty(), "{:?}", older.earlier);
}
