//! The live change stream: catch-up, live delivery, resume with Last-Event-ID, heartbeats,
//! 410 for pruned cursors, and many subscribers.

mod common;

use std::time::Duration;

use common::*;
use handoff_protocol::*;
use handoff_service::Store;
use reqwest::StatusCode;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_replays_then_goes_live_and_resumes_without_loss() {
    let service = TestService::start().await;
    service.escalate("web-1", "Sam").await;
    let expected = service.all_changes().await;

    // From the beginning: the backlog, in order.
    let mut stream = SseReader::open(&service, &service.alice, "?after=0", None).await.unwrap();
    for change in &expected {
        assert_eq!(stream.next_change(WAIT).await.as_ref(), Some(change));
    }
    // Then live.
    let id = service.escalate("web-2", "Kim").await;
    let live = stream.next_change(WAIT).await.unwrap();
    assert_eq!(live.cursor, expected.last().unwrap().cursor + 1);
    assert!(matches!(live.entity, ChangeEntity::Conversation { ref conversation } if conversation.id == id));

    // Drop the connection mid-way, make changes while away, resume with Last-Event-ID.
    let resume_from = live.cursor;
    drop(stream);
    service.claim(&service.alice, id).await;
    for i in 0..20 {
        service.send_message(&service.alice, id, &format!("k{i}"), &format!("message {i}"), false).await;
    }
    let all = service.all_changes().await;
    let missed: Vec<&Change> = all.iter().filter(|c| c.cursor > resume_from).collect();
    assert!(missed.len() >= 41);
    let mut stream = SseReader::open(&service, &service.alice, "?after=0", Some(resume_from)).await.unwrap();
    for change in missed {
        assert_eq!(stream.next_change(WAIT).await.as_ref(), Some(change), "Last-Event-ID wins over ?after");
    }
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_racing_with_the_catch_up_are_neither_lost_nor_repeated() {
    let service = std::sync::Arc::new(TestService::start().await);
    let id = service.escalate("web-1", "Sam").await;
    service.claim(&service.alice, id).await;
    let writer = {
        let service = service.clone();
        tokio::spawn(async move {
            for i in 0..150 {
                service.send_message(&service.alice, id, &format!("k{i}"), &format!("m{i}"), true).await;
            }
        })
    };
    let mut stream = SseReader::open(&service, &service.bob, "?after=0", None).await.unwrap();
    writer.await.unwrap();
    let head = service.store().head_cursor();
    let mut cursors = Vec::new();
    while cursors.last() != Some(&head) {
        let change = stream.next_change(WAIT).await.expect("stream delivers up to the head");
        cursors.push(change.cursor);
    }
    assert_eq!(cursors, (1..=head).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_streams_send_heartbeats_and_default_to_the_head() {
    let service = TestService::start().await;
    service.escalate("web-1", "Sam").await;
    let mut stream = SseReader::open(&service, &service.alice, "", None).await.unwrap();
    // The harness sets a 300 ms heartbeat; no backlog is replayed without a cursor.
    let event = stream.next(Duration::from_secs(5)).await.expect("a heartbeat");
    assert_eq!(event.comment.as_deref(), Some("heartbeat"), "{event:?}");
    service.escalate("web-2", "Kim").await;
    let change = stream.next_change(WAIT).await.unwrap();
    assert!(
        matches!(change.entity, ChangeEntity::Conversation { ref conversation } if conversation.external_id == "web-2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_cursors_are_gone_and_unknown_ones_too() {
    let service = TestService::start().await;
    for i in 0..5 {
        service.escalate(&format!("web-{i}"), "Sam").await;
    }
    let head = service.store().head_cursor();
    let removed = service.store().prune_changes(3).unwrap();
    assert_eq!(removed as i64, head - 3);

    let (status, body) = service.get(&service.alice, "/v1/changes?after=0").await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(error_code(&body), "cursor_expired");
    assert_eq!(body["error"]["oldest_cursor"], head - 3);
    assert!(body["error"]["message"].as_str().unwrap().contains("Resync"));
    let (status, body) = SseReader::open(&service, &service.alice, "?after=1", None).await.err().unwrap();
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::GONE, "cursor_expired"));
    let (status, _) = SseReader::open(&service, &service.alice, "", Some(2)).await.err().unwrap();
    assert_eq!(status, StatusCode::GONE);

    // The kept tail is still served, from exactly the pruned point.
    let (status, body) = service.get(&service.alice, &format!("/v1/changes?after={}", head - 3)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["changes"].as_array().unwrap().len(), 3);

    // A cursor from the future means the service's data was reset.
    let (status, body) = service.get(&service.alice, &format!("/v1/changes?after={}", head + 100)).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::GONE, "cursor_unknown"));

    // A resync lists everything and follows the feed from the listing's head.
    let (_, body) = service.get(&service.alice, "/v1/conversations?limit=100").await;
    let page: ConversationsPage = serde_json::from_value(body).unwrap();
    assert_eq!(page.conversations.len(), 5);
    assert_eq!(page.head_cursor, head);
    let (status, _) = service.get(&service.alice, &format!("/v1/changes?after={}", page.head_cursor)).await;
    assert_eq!(status, StatusCode::OK);

    // Pruning survives a restart.
    let db = service.dir.path().join("service.sqlite");
    let dir = service.dir;
    service.handle.shutdown().await;
    let reopened = handoff_service::SqliteStore::open(&db, Default::default()).unwrap();
    assert!(reopened.check_cursor(0).is_err());
    assert!(reopened.check_cursor(head - 3).is_ok());
    assert_eq!(reopened.head_cursor(), head);
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams() {
    let service = TestService::start().await;
    let mut stream = SseReader::open(&service, &service.alice, "", None).await.unwrap();
    let handle = service.handle;
    tokio::time::timeout(Duration::from_secs(10), handle.shutdown()).await.expect("graceful shutdown does not hang");
    // The stream ends (no more events, not even heartbeats).
    let mut ended = false;
    for _ in 0..5 {
        match stream.next(Duration::from_secs(2)).await {
            None => {
                ended = true;
                break;
            }
            Some(_) => continue,
        }
    }
    assert!(ended);
}
