//! Revocation that bites: the admin CLI (another process, as in production) revokes an agent
//! while its change stream is open — the stream ends within a second, the next request fails,
//! and its conversations go back to the queue where every other agent sees them at once.
//! Also the per-agent cap on open streams, and the admin's explicit reassignment.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use handoff_protocol::*;
use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_handoff-service");

/// Runs the admin CLI on the service's database, off the async runtime.
async fn admin(service: &TestService, args: &[&str]) -> std::process::Output {
    let db = service.dir.path().join("service.sqlite");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN).args(&args).arg("--db").arg(db).env_remove("HANDOFF_LOG").output().expect("the CLI runs")
    })
    .await
    .unwrap()
}

/// Reads `stream` until it ends; how long that took (None: still open after `limit`).
async fn time_to_end(stream: &mut SseReader, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if stream.next(limit - started.elapsed()).await.is_none() {
            return (started.elapsed() < limit).then(|| started.elapsed());
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_agent_loses_its_stream_at_once_and_its_conversations_return_to_the_queue() {
    let service = TestService::start().await;
    let id = service.escalate("web-revoke", "Rita Revoke").await;
    assert_eq!(service.claim(&service.bob, id).await.0, StatusCode::OK);
    let mut bob_stream = SseReader::open(&service, &service.bob, "", None).await.expect("Bob's stream");
    let mut alice_stream = SseReader::open(&service, &service.alice, "", None).await.expect("Alice's stream");

    let out = admin(&service, &["agents", "revoke", "Bob"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains(&format!("back in the waiting queue: conversation {id}")), "{printed}");

    let ended = time_to_end(&mut bob_stream, Duration::from_secs(5)).await;
    assert!(ended.is_some_and(|t| t < Duration::from_secs(1)), "Bob's stream ended after {ended:?}");
    let (status, body) = service.get(&service.bob, "/v1/queue").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(SseReader::open(&service, &service.bob, "", None).await.is_err(), "a revoked token opens no stream");

    // Alice's app hears that the conversation waits again — written by the other process.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let change = alice_stream.next_change(Duration::from_secs(5)).await.expect("Alice's stream stays open");
        if let ChangeEntity::Conversation { conversation } = change.entity {
            if conversation.id == id && conversation.status == ConversationStatus::Waiting {
                assert!(conversation.assignee.is_none());
                break;
            }
        }
        assert!(Instant::now() < deadline, "Alice never heard the conversation return to the queue");
    }
    let note = service.messages(id).await.pop().expect("a system note");
    assert_eq!(note.role, Role::System);
    assert!(note.private, "the customer does not see the note: {note:?}");
    assert!(note.text.contains("Bob's access was revoked"), "{}", note.text);

    // An admin hands it to Alice explicitly, or back to the queue; a revoked agent cannot get it.
    let out = admin(&service, &["conversations", "reassign", &id.to_string(), "--to", "Alice"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conversation = service.store().conversation(id).unwrap();
    assert_eq!(conversation.assignee.map(|a| a.name).as_deref(), Some("Alice"));
    let out = admin(&service, &["conversations", "reassign", &id.to_string(), "--to", "Bob"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = admin(&service, &["conversations", "reassign", &id.to_string(), "--queue"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(service.store().conversation(id).unwrap().status, ConversationStatus::Waiting);
    assert!(service.messages(id).await.last().unwrap().text.contains("back in the waiting queue"));
    drop(alice_stream);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agent_cannot_hold_more_than_its_share_of_streams() {
    let service = TestService::start_with(|config| config.max_streams_per_agent = 2).await;
    let first = SseReader::open(&service, &service.alice, "", None).await.expect("first");
    let _second = SseReader::open(&service, &service.alice, "", None).await.expect("second");
    let Err((status, body)) = SseReader::open(&service, &service.alice, "", None).await else {
        panic!("a third stream was accepted");
    };
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "too_many_streams");
    // Bob is not held back by Alice's streams.
    let _bob = SseReader::open(&service, &service.bob, "", None).await.expect("Bob's stream");
    // A closed stream frees its place.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    while SseReader::open(&service, &service.alice, "", None).await.is_err() {
        assert!(Instant::now() < deadline, "the closed stream's place was not freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    service.handle.shutdown().await;
}
