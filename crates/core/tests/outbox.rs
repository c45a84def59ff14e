//! The outbox: written locally first, delivered in order and exactly once, whatever fails.

mod common;

use std::time::Duration;

use common::*;
use handoff_core::*;
use handoff_protocol::*;

const WAIT: Duration = Duration::from_secs(30);

fn agent_texts(harness: &Harness, id: i64) -> Vec<String> {
    harness
        .store()
        .messages(id, 0, 5000)
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.role == Role::Agent)
        .map(|m| m.text)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_replies_written_offline_are_delivered_once_in_order() {
    let mut harness = Harness::start().await;
    let first = harness.escalate("Sam");
    let second = harness.escalate("Kim");
    harness.store().claim(first, &harness.alice_ref()).unwrap();
    harness.store().claim(second, &harness.alice_ref()).unwrap();
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    harness.stop().await;

    let mut expected_first = Vec::new();
    for i in 0..200 {
        let (id, text) =
            if i % 3 == 0 { (second, format!("to Kim #{i}")) } else { (first, format!("to Sam #{i} ✓")) };
        let item = engine.reply(id, &text, false).unwrap();
        assert_eq!(item.state, DeliveryState::Pending);
        if id == first {
            expected_first.push(text);
        }
    }
    // Shown in the transcript at once, as pending.
    let view = engine.store().conversation_view(first).unwrap();
    let pending: Vec<&TranscriptLine> = view.messages.iter().filter(|m| m.state == DeliveryState::Pending).collect();
    assert_eq!(pending.len(), expected_first.len());
    assert!(pending.iter().all(|m| m.seq.is_none()));
    // A flush while the service is down keeps everything.
    let client = engine.client().await.unwrap();
    assert!(engine.flush_outbox(&client).await.is_err());
    assert_eq!(engine.store().outbox().unwrap().len(), 200);

    // The app restarts while offline: the outbox survives.
    drop(engine);
    let engine = harness.engine("desk");
    assert_eq!(engine.store().pending_outbox().unwrap().len(), 200);

    harness.restart().await;
    let mut events = engine.subscribe();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = engine.run(shutdown);
    assert!(eventually(WAIT, || engine.store().outbox().unwrap().is_empty()).await, "everything delivered");
    assert_eq!(agent_texts(&harness, first), expected_first, "exactly once, in order");
    assert_eq!(agent_texts(&harness, second).len(), 67);
    let sent = wait_for_event(
        &mut events,
        WAIT,
        |e| matches!(e, CoreEvent::OutboxChanged { item } if item.state == DeliveryState::Sent),
    )
    .await;
    assert!(sent.is_some());
    assert!(eventually(WAIT, || engine.store().cursor().unwrap() == harness.store().head_cursor()).await);
    harness.assert_converged(&engine);
    let view = engine.store().conversation_view(first).unwrap();
    assert!(view.messages.iter().all(|m| m.state == DeliveryState::Sent && m.seq.is_some()));
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_whose_acknowledgement_is_lost_is_not_duplicated() {
    let harness = Harness::start().await;
    let id = harness.escalate("Sam");
    harness.store().claim(id, &harness.alice_ref()).unwrap();
    let proxy = LossyProxy::start(harness.addr).await;
    let engine = harness.engine_as("desk", &harness.alice.token, &proxy.url());
    engine.sync_once().await.unwrap();

    // One lost answer is absorbed at once: the client retries on a fresh connection with the
    // same idempotency key, and the service answers with the message it already has.
    let first = engine.reply(id, "Absorbed", false).unwrap();
    let client = engine.client().await.unwrap();
    proxy.swallow_next(1);
    let report = engine.flush_outbox(&client).await.unwrap();
    assert_eq!(report.sent, 1);
    assert!(engine.store().outbox_item(&first.client_id).unwrap().is_none());
    assert_eq!(agent_texts(&harness, id), vec!["Absorbed".to_string()]);

    // Both tries lost: the device cannot know whether the service has it.
    let item = engine.reply(id, "Hi Sam, on it!", false).unwrap();
    proxy.swallow_next(2);
    let lost = engine.flush_outbox(&client).await;
    assert!(lost.is_err(), "the answer never came: {lost:?}");
    // The service committed it; the device does not know.
    assert_eq!(agent_texts(&harness, id), vec!["Absorbed".to_string(), "Hi Sam, on it!".to_string()]);
    let still = engine.store().outbox_item(&item.client_id).unwrap().expect("kept");
    assert_eq!(still.state, DeliveryState::Pending);
    assert_eq!(still.attempts, 1);

    // The retry carries the same idempotency key: the service answers with the same message.
    let report = engine.flush_outbox(&client).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(agent_texts(&harness, id), vec!["Absorbed".to_string(), "Hi Sam, on it!".to_string()], "not duplicated");
    assert!(engine.store().outbox().unwrap().is_empty());
    let messages = engine.store().messages(id).unwrap();
    assert_eq!(messages.iter().filter(|m| m.client_id.as_deref() == Some(item.client_id.as_str())).count(), 1);

    // Lost again, but this time the feed brings the message first: no second POST is needed.
    let item = engine.reply(id, "Second", false).unwrap();
    proxy.swallow_next(2);
    assert!(engine.flush_outbox(&client).await.is_err());
    engine.sync_once().await.unwrap();
    assert!(engine.store().outbox_item(&item.client_id).unwrap().is_none(), "acknowledged through the feed");
    assert_eq!(
        agent_texts(&harness, id),
        vec!["Absorbed".to_string(), "Hi Sam, on it!".to_string(), "Second".to_string()]
    );
    harness.assert_converged(&engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_killed_mid_send_loses_and_duplicates_nothing() {
    let mut harness = Harness::start().await;
    let id = harness.escalate("Sam");
    harness.store().claim(id, &harness.alice_ref()).unwrap();
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    let texts: Vec<String> = (0..60).map(|i| format!("reply {i}")).collect();
    for text in &texts {
        engine.reply(id, text, false).unwrap();
    }
    let client = engine.client().await.unwrap();
    let flush = {
        let engine = engine.clone();
        let client = client.clone();
        tokio::spawn(async move { engine.flush_outbox(&client).await })
    };
    assert!(eventually(WAIT, || engine.store().outbox().unwrap().len() < 55).await);
    harness.kill().await;
    let _ = flush.await.unwrap();
    harness.restart().await;
    let report = engine.sync_once().await.unwrap();
    assert!(engine.store().outbox().unwrap().is_empty(), "{report:?}");
    assert_eq!(agent_texts(&harness, id), texts);
    harness.assert_converged(&engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_refusals_are_kept_as_failed_for_retry_edit_or_discard() {
    let harness = Harness::start().await;
    let id = harness.escalate("Sam");
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    harness.store().claim(id, &harness.bob.agent).unwrap();

    // Not the assignee: 403 → failed with the service's reason, nothing lost.
    let item = engine.reply(id, "Hi Sam!", false).unwrap();
    let note = engine.reply(id, "Bob has this one", true).unwrap();
    let client = engine.client().await.unwrap();
    let report = engine.flush_outbox(&client).await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 1), "the note goes, the reply is refused");
    let failed = engine.store().outbox_item(&item.client_id).unwrap().unwrap();
    assert_eq!(failed.state, DeliveryState::Failed);
    assert!(failed.error.as_deref().unwrap().contains("only the assignee"), "{failed:?}");
    assert!(engine.store().outbox_item(&note.client_id).unwrap().is_none());
    let view = engine.store().conversation_view(id).unwrap();
    let line = view.messages.iter().find(|m| m.client_id.as_deref() == Some(item.client_id.as_str())).unwrap();
    assert_eq!(line.state, DeliveryState::Failed);
    assert!(line.error.is_some());
    // Failed items are not retried by themselves.
    let report = engine.flush_outbox(&client).await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 0));
    // Pending items cannot be discarded; failed ones can.
    let pending = engine.reply(id, "pending", true).unwrap();
    assert!(engine.discard_outbox_item(&pending.client_id).is_err());
    engine.flush_outbox(&client).await.unwrap();

    // Bob hands it over; retry with edited text goes through with a new key.
    harness.store().transfer(id, &harness.bob.agent, harness.alice.agent.id, None).unwrap();
    let retried = engine.retry_outbox_item(&item.client_id, Some("Hi Sam — Alice here!")).unwrap();
    assert_ne!(retried.client_id, item.client_id);
    assert_eq!(retried.state, DeliveryState::Pending);
    engine.flush_outbox(&client).await.unwrap();
    assert!(agent_texts(&harness, id).contains(&"Hi Sam — Alice here!".to_string()));

    // Discard: refused again after the conversation was resolved, then dropped for good.
    harness.store().resolve(id, &harness.alice_ref(), ResolveOutcome::Solved).unwrap();
    let doomed = engine.reply(id, "too late", false).unwrap();
    engine.flush_outbox(&client).await.unwrap();
    assert_eq!(engine.store().outbox_item(&doomed.client_id).unwrap().unwrap().state, DeliveryState::Failed);
    engine.discard_outbox_item(&doomed.client_id).unwrap();
    assert!(engine.store().outbox().unwrap().is_empty());
    assert!(engine.reply(id, "   ", false).is_err(), "empty text is refused before queueing");
    assert!(engine.reply(id, &"x".repeat(MAX_TEXT_BYTES + 1), false).is_err());
    assert!(engine.reply(424242, "unknown", false).is_err());
}
