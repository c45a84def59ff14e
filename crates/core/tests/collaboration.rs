//! The engine with colleagues: presence from the live stream, transfers with a note, and tags
//! (the catalogue, a conversation's tags, the queue filtered by one) — against the real service.

mod common;

use std::time::Duration;

use common::*;
use handoff_core::*;
use handoff_protocol::*;

const WAIT: Duration = Duration::from_secs(15);

async fn go_live(engine: &std::sync::Arc<Engine>) -> (tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let mut events = engine.subscribe();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = engine.run(shutdown);
    let online = wait_for_event(
        &mut events,
        WAIT,
        |e| matches!(e, CoreEvent::ConnectionChanged { status } if status.connection == ConnectionState::Online),
    )
    .await;
    assert!(online.is_some(), "goes online");
    (stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_colleagues_activity_arrives_as_an_event_and_moves_no_cursor() {
    let harness = Harness::start().await;
    let id = harness.escalate("Sam Lee");
    let alice = harness.engine("alice");
    let bob = harness.engine_as("bob", &harness.bob.token, &harness.url());
    let mut events = alice.subscribe();
    let (stop, task) = go_live(&alice).await;
    let cursor = alice.store().cursor().unwrap();

    bob.report_activity(id, Activity::TypingNote).await.unwrap();
    let event = wait_for_event(&mut events, WAIT, |e| matches!(e, CoreEvent::ConversationActivity { .. })).await;
    let Some(CoreEvent::ConversationActivity { conversation_id, agent, activity, expires_at }) = event else {
        panic!("no activity event")
    };
    assert_eq!((conversation_id, agent.id, agent.name.as_str()), (id, harness.bob.agent.id, "Bob"));
    assert_eq!(activity, Activity::TypingNote);
    assert!(expires_at > chrono::Utc::now());

    // A conversation just opened asks who is there.
    let there = alice.conversation_activity(id).await.unwrap();
    assert_eq!(there.len(), 1);
    assert_eq!((there[0].agent.id, there[0].activity), (harness.bob.agent.id, Activity::TypingNote));

    bob.report_activity(id, Activity::Left).await.unwrap();
    let left = wait_for_event(&mut events, WAIT, |e| {
        matches!(e, CoreEvent::ConversationActivity { activity: Activity::Left, .. })
    })
    .await;
    assert!(left.is_some(), "left arrives");
    assert!(alice.conversation_activity(id).await.unwrap().is_empty());
    assert_eq!(alice.store().cursor().unwrap(), cursor, "presence never moves the cursor");

    // Best effort, never queued: an unknown conversation is refused at once.
    let error = bob.report_activity(424_242, Activity::Viewing).await.unwrap_err();
    assert!(matches!(error, CoreError::Refused { status: 404, .. }), "{error}");
    stop.send(true).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_note_shows_in_the_transcript_as_a_private_line() {
    let harness = Harness::start().await;
    let id = harness.escalate("Sam Lee");
    let engine = harness.engine("desk");
    engine.sync_once().await.unwrap();
    engine.claim(id).await.unwrap();

    let too_long = "x".repeat(501);
    let error = engine.transfer(id, harness.bob.agent.id, Some(&too_long)).await.unwrap_err();
    assert!(matches!(error, CoreError::Invalid(_)), "{error}");
    assert_eq!(harness.store().conversation(id).unwrap().assignee.map(|a| a.id), Some(harness.alice.agent.id));

    let conversation = engine.transfer(id, harness.bob.agent.id, Some("VIP, wants a callback")).await.unwrap();
    assert_eq!(conversation.assignee.map(|a| a.name).as_deref(), Some("Bob"));
    engine.sync_once().await.unwrap();
    let view = engine.store().conversation_view(id).unwrap();
    let line = view.messages.last().expect("a line");
    assert_eq!(
        (line.role, line.text.as_str(), line.private),
        (Role::System, "Alice → Bob: VIP, wants a callback", true)
    );
    harness.assert_converged(&engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_come_from_the_catalogue_and_filter_the_queue() {
    let harness = Harness::start().await;
    harness.store().add_tag("billing", Some("#2f80ed")).unwrap();
    harness.store().add_tag("refund", None).unwrap();
    let a = harness.escalate("Ada");
    let b = harness.escalate("Ben");
    let c = harness.escalate("Cy");
    harness.store().set_tags(a, &["billing".to_string()]).unwrap();

    let engine = harness.engine("desk");
    let mut events = engine.subscribe();
    assert!(engine.tags().unwrap().is_empty(), "nothing cached before the first sync");
    engine.sync_once().await.unwrap();
    let names: Vec<String> = engine.tags().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["billing", "refund"]);
    let changed = wait_for_event(&mut events, WAIT, |e| matches!(e, CoreEvent::TagsChanged { .. })).await;
    assert!(matches!(changed, Some(CoreEvent::TagsChanged { tags }) if tags.len() == 2));
    harness.assert_converged(&engine);

    let billing = engine.store().queue(QueueTab::Waiting, None, Some("billing"), 100).unwrap();
    assert_eq!(billing.iter().map(|i| i.id).collect::<Vec<_>>(), [a]);
    assert_eq!(billing[0].tags, ["billing"]);
    assert_eq!(engine.store().queue(QueueTab::Waiting, None, None, 100).unwrap().len(), 3);

    // Tagging goes through the service and lands in the cache at once.
    let tagged = engine.set_tags(b, &["refund".into(), "billing".into()]).await.unwrap();
    assert_eq!(tagged.tags, ["billing", "refund"]);
    let billing: Vec<i64> =
        engine.store().queue(QueueTab::Waiting, None, Some("billing"), 100).unwrap().iter().map(|i| i.id).collect();
    assert_eq!(billing, [a, b]);
    let error = engine.set_tags(c, &["nope".into()]).await.unwrap_err();
    assert!(matches!(&error, CoreError::Refused { status: 422, code, .. } if code == "unknown_tag"), "{error}");

    // Adding and removing works on the service's current set, keeping a colleague's tag.
    harness.store().set_tags(c, &["refund".to_string()]).unwrap();
    let edited = engine.edit_tags(c, &["billing".into()], &[]).await.unwrap();
    assert_eq!(edited.tags, ["billing", "refund"]);
    let edited = engine.edit_tags(c, &[], &["refund".into()]).await.unwrap();
    assert_eq!(edited.tags, ["billing"]);
    engine.sync_once().await.unwrap();
    harness.assert_converged(&engine);

    // The catalogue follows the service at every sync start; a removed tag leaves every
    // conversation through the feed.
    harness.store().add_tag("shipping", None).unwrap();
    harness.store().remove_tag("billing").unwrap();
    engine.sync_once().await.unwrap();
    let names: Vec<String> = engine.tags().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["refund", "shipping"]);
    assert!(engine.store().queue(QueueTab::Waiting, None, Some("billing"), 100).unwrap().is_empty());
    harness.assert_converged(&engine);
}
