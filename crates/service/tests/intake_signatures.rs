//! Intake signatures that cannot be moved or replayed (v2: method, path and body signed),
//! bounded future skew, the v1 compatibility flag, and idempotency on the platform's message id.

mod common;

use chrono::Utc;
use common::*;
use handoff_protocol::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use handoff_protocol::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const HANDOFFS: &str = "/v1/intake/handoffs";

fn now_secs() -> i64 {
    Utc::now().timestamp()
}

fn messages_path(external_id: &str) -> String {
    format!("/v1/intake/conversations/{external_id}/messages")
}

fn v2(timestamp: i64, path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (SIGNATURE_HEADER, signing::sign_v2(INTAKE_SECRET, timestamp, "POST", path, body)),
    ]
}

fn v1(timestamp: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (SIGNATURE_HEADER, signing::sign_v1(INTAKE_SECRET, timestamp, body)),
    ]
}

async fn post_raw(service: &TestService, path: &str, body: &[u8], headers: &[(&str, String)]) -> (StatusCode, Value) {
    let mut request =
        service.http.post(service.url(path)).header("content-type", "application/json").body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    read(request.send().await.expect("request reaches the service")).await
}

async fn status_of(service: &TestService, id: i64) -> Conversation {
    let (status, json) = service.get(&service.alice, &format!("/v1/conversations/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    serde_json::from_value(json).expect("a conversation")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_message_moved_to_another_conversations_path_is_refused() {
    let service = TestService::start().await;
    let victim = service.escalate("web-victim", "Vic").await;
    let target = service.escalate("web-target", "Tara").await;
    let head = service.store().head_cursor();

    // A customer message signed for the victim's conversation, posted to the target's path.
    let body = serde_json::to_vec(&json!({"role": "customer", "text": "please refund to IBAN X"})).unwrap();
    let headers = v2(now_secs(), &messages_path("web-victim"), &body);
    let (status, json) = post_raw(&service, &messages_path("web-target"), &body, &headers).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert_eq!(error_code(&json), "unauthorized");
    assert_eq!(service.store().head_cursor(), head, "the moved request changed nothing");
    assert_eq!(service.messages(target).await.len(), 3);

    // A query string is part of what is signed, too.
    let (status, json) = post_raw(&service, &format!("{}?x=1", messages_path("web-victim")), &body, &headers).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");

    // On its own path the same request goes through (it was never accepted before).
    let (status, json) = post_raw(&service, &messages_path("web-victim"), &body, &headers).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(service.messages(victim).await.len(), 4);
    assert_eq!(service.messages(target).await.len(), 3);

    // The path is signed as sent, percent-encoding included.
    let spaced = service.escalate("web spaced", "Sam").await;
    let encoded = messages_path("web%20spaced");
    let body = serde_json::to_vec(&json!({"role": "customer", "text": "hi"})).unwrap();
    let (status, json) = post_raw(&service, &encoded, &body, &v2(now_secs(), &encoded, &body)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(service.messages(spaced).await.len(), 4);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_signed_request_twice_is_refused_the_second_time() {
    let service = TestService::start().await;
    let id = service.escalate("web-twice", "Sam").await;
    let path = messages_path("web-twice");
    let body = serde_json::to_vec(&json!({"role": "customer", "text": "Any news?"})).unwrap();
    let headers = v2(now_secs(), &path, &body);

    let (status, json) = post_raw(&service, &path, &body, &headers).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let head = service.store().head_cursor();
    let (status, json) = post_raw(&service, &path, &body, &headers).await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    assert_eq!(error_code(&json), "replayed_request");
    assert!(json["error"]["message"].as_str().unwrap().contains("signed again"), "{json}");
    assert_eq!(service.store().head_cursor(), head);
    assert_eq!(service.messages(id).await.len(), 4, "one message, not two");

    // Racing copies of one fresh request: exactly one is taken.
    let body = serde_json::to_vec(&json!({"role": "customer", "text": "race"})).unwrap();
    let headers = v2(now_secs(), &path, &body);
    let attempts = (0..8).map(|_| post_raw(&service, &path, &body, &headers));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 7, "{statuses:?}");
    assert_eq!(service.messages(id).await.len(), 5);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_cannot_reopen_a_resolved_conversation() {
    let service = TestService::start().await;
    let body = serde_json::to_vec(&handoff_body("web-resolved", "Sam")).unwrap();
    let captured = v2(now_secs(), HANDOFFS, &body);
    let (status, json) = post_raw(&service, HANDOFFS, &body, &captured).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let id = json["conversation"]["id"].as_i64().unwrap();

    for outcome in ["solved", "back_to_bot"] {
        if outcome == "back_to_bot" {
            // Escalated again legitimately (freshly signed), then handed back to the bot.
            let (status, json) = post_raw(&service, HANDOFFS, &body, &v2(now_secs() - 2, HANDOFFS, &body)).await;
            assert_eq!(status, StatusCode::OK, "{json}");
        }
        let (status, json) = service.claim(&service.alice, id).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        let (status, json) =
            service.post(&service.alice, &format!("/v1/conversations/{id}/resolve"), json!({"outcome": outcome})).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        let closed = status_of(&service, id).await;
        let head = service.store().head_cursor();

        // The captured escalation, re-sent inside its window, must not reopen it.
        let (status, json) = post_raw(&service, HANDOFFS, &body, &captured).await;
        assert_eq!(status, StatusCode::CONFLICT, "{outcome}: {json}");
        assert_eq!(error_code(&json), "replayed_request");
        assert_eq!(status_of(&service, id).await, closed, "{outcome}: the replay changed the conversation");
        assert_eq!(service.store().head_cursor(), head);
    }
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timestamp_31_s_ahead_is_refused_29_s_ahead_is_accepted() {
    let service = TestService::start().await;
    let id = service.escalate("web-clock", "Sam").await;
    let path = messages_path("web-clock");
    let head = service.store().head_cursor();

    let body = serde_json::to_vec(&json!({"role": "customer", "text": "from the future"})).unwrap();
    let (status, json) = post_raw(&service, &path, &body, &v2(now_secs() + 31, &path, &body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("ahead"), "{json}");
    let handoff = serde_json::to_vec(&handoff_body("web-clock-2", "Kim")).unwrap();
    let (status, json) = post_raw(&service, HANDOFFS, &handoff, &v2(now_secs() + 31, HANDOFFS, &handoff)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert_eq!(service.store().head_cursor(), head);

    let (status, json) = post_raw(&service, &path, &body, &v2(now_secs() + 29, &path, &body)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let (status, json) = post_raw(&service, HANDOFFS, &handoff, &v2(now_secs() + 29, HANDOFFS, &handoff)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(service.messages(id).await.len(), 4);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_signatures_are_refused_by_default_and_accepted_with_the_compat_flag() {
    let service = TestService::start().await;
    let head = service.store().head_cursor();
    let body = serde_json::to_vec(&handoff_body("web-v1", "Sam")).unwrap();
    let (status, json) = post_raw(&service, HANDOFFS, &body, &v1(now_secs(), &body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("v2"), "the refusal says what to do: {json}");
    assert_eq!(service.store().head_cursor(), head);
    service.handle.shutdown().await;

    let service = TestService::start_with(|config| config.accept_v1_intake_signatures = true).await;
    let headers = v1(now_secs(), &body);
    let (status, json) = post_raw(&service, HANDOFFS, &body, &headers).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    // Replays and the future limit hold for v1 as well.
    let (status, json) = post_raw(&service, HANDOFFS, &body, &headers).await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    let (status, json) = post_raw(&service, HANDOFFS, &body, &v1(now_secs() + 31, &body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    // v2 keeps working beside it.
    let (status, json) = post_raw(&service, HANDOFFS, &body, &v2(now_secs(), HANDOFFS, &body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_id_twice_stores_one_message() {
    let service = TestService::start().await;
    let id = service.escalate("web-mid", "Sam").await;
    let other = service.escalate("web-mid-other", "Kim").await;
    let path = messages_path("web-mid");

    let first = json!({"role": "customer", "text": "Where is my parcel?", "message_id": "plat-msg-1"});
    let bytes = serde_json::to_vec(&first).unwrap();
    let (status, json) = post_raw(&service, &path, &bytes, &v2(now_secs(), &path, &bytes)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let stored: Message = serde_json::from_value(json).unwrap();
    let head = service.store().head_cursor();
    let version = status_of(&service, id).await.version;

    // The platform retries (signed afresh), even with other text: the first message, nothing new.
    for body in [first.clone(), json!({"role": "customer", "text": "edited?", "message_id": "plat-msg-1"})] {
        let bytes = serde_json::to_vec(&body).unwrap();
        let (status, json) = post_raw(&service, &path, &bytes, &v2(now_secs() - 1, &path, &bytes)).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        assert_eq!(serde_json::from_value::<Message>(json).unwrap(), stored);
    }
    assert_eq!(service.store().head_cursor(), head, "the repeats wrote nothing");
    assert_eq!(status_of(&service, id).await.version, version);
    assert_eq!(service.messages(id).await.len(), 4);

    // The same id in another conversation is another message.
    let other_path = messages_path("web-mid-other");
    let (status, json) = post_raw(&service, &other_path, &bytes, &v2(now_secs(), &other_path, &bytes)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(service.messages(other).await.len(), 4);

    // Transcript lines named by the platform are not stored again on a re-escalation.
    let (status, json) = service.claim(&service.alice, id).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (status, json) = service
        .post(&service.alice, &format!("/v1/conversations/{id}/resolve"), json!({"outcome": "back_to_bot"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let mut again = handoff_body("web-mid", "Sam");
    again["transcript"] = json!([
        {"role": "customer", "text": "Where is my parcel?", "message_id": "plat-msg-1"},
        {"role": "customer", "text": "Still nothing", "message_id": "plat-msg-2"},
        {"role": "customer", "text": "Still nothing", "message_id": "plat-msg-2"},
    ]);
    let bytes = serde_json::to_vec(&again).unwrap();
    let (status, json) = post_raw(&service, HANDOFFS, &bytes, &v2(now_secs(), HANDOFFS, &bytes)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let messages = service.messages(id).await;
    assert_eq!(messages.len(), 5, "only plat-msg-2 is new, once: {messages:#?}");
    assert_eq!(messages[4].text, "Still nothing");

    // A message id out of bounds is refused with a clear code.
    for bad in [json!(""), json!("x".repeat(201))] {
        let bytes = serde_json::to_vec(&json!({"role": "customer", "text": "hi", "message_id": bad})).unwrap();
        let (status, json) = post_raw(&service, &path, &bytes, &v2(now_secs(), &path, &bytes)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
        assert_eq!(error_code(&json), "invalid_message_id");
    }
    service.handle.shutdown().await;
}
