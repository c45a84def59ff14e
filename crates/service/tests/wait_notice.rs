//! The estimated-wait notice: posted once when nobody claims a conversation in time, on
//! demand by an agent (only while it waits, at most one per interval), and the queue statistics
//! behind it.

mod common;

use std::time::Duration;

use common::*;
use handoff_protocol::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const NOTICE_AFTER: Duration = Duration::from_millis(300);
const DEADLINE: Duration = Duration::from_secs(5);
/// The shortest time between two notices of one conversation, in the tests that post several.
const INTERVAL: Duration = Duration::from_millis(400);

async fn set_presence(service: &TestService, token: &str, presence: &str) {
    let (status, json) =
        service.call(token, Method::PUT, "/v1/agents/me/presence", Some(json!({"presence": presence}))).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["presence"], presence);
}

async fn queue(service: &TestService) -> QueueStats {
    let (status, json) = service.get(&service.alice, "/v1/queue").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    serde_json::from_value(json).expect("queue stats")
}

fn system_messages(messages: &[Message]) -> Vec<Message> {
    messages.iter().filter(|m| m.role == Role::System).cloned().collect()
}

/// Polls until the conversation holds a system message; returns it.
async fn wait_for_notice(service: &TestService, id: i64) -> Message {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(notice) = system_messages(&service.messages(id).await).into_iter().next() {
            return notice;
        }
        assert!(tokio::time::Instant::now() < deadline, "no wait notice on conversation {id} in time");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn assert_is_notice(message: &Message) {
    assert_eq!(message.role, Role::System);
    assert_eq!(message.author, "Handoff Desk");
    assert!(!message.private, "the customer must see the notice");
    assert_eq!(message.client_id, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unclaimed_conversation_gets_exactly_one_estimated_wait_notice() {
    let service = TestService::start_with(|config| config.wait_notice_after = Some(NOTICE_AFTER)).await;
    set_presence(&service, &service.alice, "available").await;

    // Claimed right away: must never get a notice.
    let started = tokio::time::Instant::now();
    let claimed = service.escalate("web-claimed", "Kim").await;
    let (status, json) = service.claim(&service.bob, claimed).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(started.elapsed() < NOTICE_AFTER, "the claim must land before the notice is due");

    let id = service.escalate("web-waits", "Sam Lee").await;
    let escalated_at = service.store().conversation(id).unwrap().handoff.unwrap().escalated_at;
    let notice = wait_for_notice(&service, id).await;
    assert_is_notice(&notice);
    assert_eq!(notice.seq, 4, "after the three transcript lines");
    assert!(notice.text.contains("wait time is about"), "{}", notice.text);
    assert!(notice.text.contains("minute"), "{}", notice.text);
    assert!(!notice.text.contains("email"), "an agent is available: {}", notice.text);
    let waited = notice.created_at - escalated_at;
    assert!(waited >= chrono::Duration::from_std(NOTICE_AFTER).unwrap(), "posted too early: after {waited}");

    // Several more ticks of the notice task: still exactly one, and none on the claimed one.
    tokio::time::sleep(NOTICE_AFTER * 3).await;
    let messages = service.messages(id).await;
    assert_eq!(system_messages(&messages), vec![notice.clone()], "{messages:#?}");
    assert_eq!(messages.len(), 4);
    let conversation = service.store().conversation(id).unwrap();
    assert_eq!(conversation.status, ConversationStatus::Waiting);
    assert_eq!(conversation.last_message_seq, 4);
    let claimed_messages = service.messages(claimed).await;
    assert!(system_messages(&claimed_messages).is_empty(), "{claimed_messages:#?}");
    assert_eq!(claimed_messages.len(), 3);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nobody_available_the_notice_offers_email_follow_up() {
    let service = TestService::start_with(|config| config.wait_notice_after = Some(NOTICE_AFTER)).await;
    let stats = queue(&service).await;
    assert_eq!(stats.available_agents, 0, "agents start offline");
    let id = service.escalate("web-nobody", "Sam Lee").await;
    let notice = wait_for_notice(&service, id).await;
    assert_is_notice(&notice);
    assert!(notice.text.contains("email"), "{}", notice.text);
    assert!(!notice.text.contains("wait time is about"), "{}", notice.text);

    tokio::time::sleep(NOTICE_AFTER * 3).await;
    assert_eq!(system_messages(&service.messages(id).await), vec![notice]);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_can_post_the_notice_on_demand() {
    let service = TestService::start_with(|config| config.wait_notice_interval = INTERVAL).await;
    let id = service.escalate("web-manual", "Sam Lee").await;
    let path = format!("/v1/conversations/{id}/wait-notice");

    let (status, json) = service.post(&service.bob, &path, serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let first: Message = serde_json::from_value(json).unwrap();
    assert_is_notice(&first);
    assert_eq!((first.conversation_id, first.seq), (id, 4));
    assert!(first.text.contains("email"), "nobody is available yet: {}", first.text);

    set_presence(&service, &service.alice, "available").await;
    tokio::time::sleep(INTERVAL).await;
    let (status, json) = service.post(&service.alice, &path, serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let second: Message = serde_json::from_value(json).unwrap();
    assert_is_notice(&second);
    assert_eq!(second.seq, 5);
    assert!(second.text.contains("wait time is about") && second.text.contains("minute"), "{}", second.text);

    let messages = service.messages(id).await;
    assert_eq!(system_messages(&messages), vec![first, second]);

    let head = service.store().head_cursor();
    let (status, json) = service.post("not-a-token", &path, serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert_eq!(error_code(&json), "unauthorized");
    let (status, json) =
        service.post(&service.alice, "/v1/conversations/999999/wait-notice", serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    assert_eq!(error_code(&json), "not_found");
    assert_eq!(service.store().head_cursor(), head);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_notice_replaces_the_automatic_one() {
    let service = TestService::start_with(|config| config.wait_notice_after = Some(NOTICE_AFTER)).await;
    let started = tokio::time::Instant::now();
    let id = service.escalate("web-manual-first", "Sam Lee").await;
    let (status, json) =
        service.post(&service.alice, &format!("/v1/conversations/{id}/wait-notice"), serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert!(started.elapsed() < NOTICE_AFTER, "the manual notice must land before the automatic one is due");
    let manual: Message = serde_json::from_value(json).unwrap();

    tokio::time::sleep(NOTICE_AFTER * 4).await;
    assert_eq!(system_messages(&service.messages(id).await), vec![manual], "the notice task posted a second one");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_reports_waiting_agents_and_the_estimate() {
    let service = TestService::start().await;
    let empty = queue(&service).await;
    assert_eq!(
        empty,
        QueueStats { waiting: 0, available_agents: 0, estimated_wait_seconds: None, longest_wait_seconds: None }
    );

    let first = service.escalate("web-q1", "Sam Lee").await;
    service.escalate("web-q2", "Kim").await;
    let stats = queue(&service).await;
    assert_eq!(stats.waiting, 2);
    assert_eq!(stats.available_agents, 0);
    assert_eq!(stats.estimated_wait_seconds, None, "no estimate while nobody is available");
    assert!(stats.longest_wait_seconds.is_some_and(|s| s >= 0), "{stats:?}");

    set_presence(&service, &service.alice, "available").await;
    let one_agent = queue(&service).await;
    assert_eq!((one_agent.waiting, one_agent.available_agents), (2, 1));
    let one_agent_estimate = one_agent.estimated_wait_seconds.expect("an estimate once someone is available");
    assert!(one_agent_estimate >= 60, "without claim history the estimate is at least a minute: {one_agent:?}");

    set_presence(&service, &service.bob, "available").await;
    let two_agents = queue(&service).await;
    assert_eq!(two_agents.available_agents, 2);
    let two_agents_estimate = two_agents.estimated_wait_seconds.unwrap();
    assert!(
        (1..=one_agent_estimate).contains(&two_agents_estimate),
        "more agents never make the wait longer: {two_agents_estimate} vs {one_agent_estimate}"
    );

    let (status, json) = service.claim(&service.alice, first).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let after_claim = queue(&service).await;
    assert_eq!(after_claim.waiting, 1);
    assert!(after_claim.estimated_wait_seconds.is_some_and(|s| s >= 1), "{after_claim:?}");

    set_presence(&service, &service.alice, "away").await;
    set_presence(&service, &service.bob, "offline").await;
    let nobody = queue(&service).await;
    assert_eq!((nobody.waiting, nobody.available_agents, nobody.estimated_wait_seconds), (1, 0, None));

    let (status, json) = service.get("not-a-token", "/v1/queue").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    service.handle.shutdown().await;
}

async fn post_notice(service: &TestService, id: i64) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = service
        .http
        .post(service.url(&format!("/v1/conversations/{id}/wait-notice")))
        .bearer_auth(&service.alice)
        .send()
        .await
        .expect("request reaches the service");
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let (status, json) = read(response).await;
    (status, retry_after, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_is_only_for_a_waiting_conversation() {
    let service = TestService::start().await;
    let id = service.escalate("web-not-waiting", "Sam Lee").await;
    let (status, json) = service.claim(&service.bob, id).await;
    assert_eq!(status, StatusCode::OK, "{json}");

    let (status, _, json) = post_notice(&service, id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    assert_eq!(error_code(&json), "not_waiting");
    assert!(json["error"]["message"].as_str().unwrap().contains("is assigned"), "{json}");

    let (status, json) =
        service.post(&service.bob, &format!("/v1/conversations/{id}/resolve"), json!({"outcome": "solved"})).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (status, _, json) = post_notice(&service, id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    assert!(json["error"]["message"].as_str().unwrap().contains("is resolved"), "{json}");

    assert!(system_messages(&service.messages(id).await).is_empty());
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_one_notice_per_conversation_per_interval() {
    let service = TestService::start_with(|config| config.wait_notice_interval = Duration::from_secs(90)).await;
    let id = service.escalate("web-spam", "Sam Lee").await;
    let other = service.escalate("web-spam-other", "Kim").await;

    // Agents racing to post: exactly one notice.
    let results = futures::future::join_all((0..8).map(|_| post_notice(&service, id))).await;
    let created = results.iter().filter(|(status, _, _)| *status == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{results:#?}");
    for (status, retry_after, json) in results.iter().filter(|(status, _, _)| *status != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{json}");
        assert_eq!(error_code(json), "wait_notice_too_soon");
        let seconds: u64 = retry_after.as_deref().expect("Retry-After").parse().unwrap();
        assert!((89..=90).contains(&seconds), "Retry-After {seconds}");
        assert!(json["error"]["message"].as_str().unwrap().contains(&format!("try again in {seconds} s")), "{json}");
    }
    assert_eq!(system_messages(&service.messages(id).await).len(), 1);

    // Another conversation has its own interval.
    let (status, _, json) = post_notice(&service, other).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_automatic_notice_counts_toward_the_interval() {
    let service = TestService::start_with(|config| {
        config.wait_notice_after = Some(NOTICE_AFTER);
        config.wait_notice_interval = Duration::from_secs(60);
    })
    .await;
    let id = service.escalate("web-auto-then-manual", "Sam Lee").await;
    wait_for_notice(&service, id).await;
    let (status, retry_after, json) = post_notice(&service, id).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{json}");
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| (1..=60).contains(&s))));
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_declares_the_notice_refusals() {
    let service = TestService::start().await;
    let (status, json) = service.get(&service.alice, "/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let responses = &json["paths"]["/v1/conversations/{id}/wait-notice"]["post"]["responses"];
    assert!(responses["409"].is_object(), "{responses}");
    assert!(responses["429"]["headers"]["Retry-After"].is_object(), "{responses}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_estimates_this_customers_wait_from_their_place_and_the_teams_pace() {
    let service = TestService::start_with(|config| config.wait_notice_interval = INTERVAL).await;
    set_presence(&service, &service.alice, "available").await;
    // Four claims in the last hour: a pace of one customer every 15 minutes.
    for i in 0..4 {
        let id = service.escalate(&format!("web-pace-{i}"), "Earlier Customer").await;
        let (status, json) =
            service.post(&service.alice, &format!("/v1/conversations/{id}/claim"), serde_json::Value::Null).await;
        assert_eq!(status, StatusCode::OK, "{json}");
    }
    let first = service.escalate("web-first", "First In Line").await;
    service.escalate("web-second", "Second In Line").await;
    let third = service.escalate("web-third", "Third In Line").await;

    let notice = |id: i64| {
        let service = &service;
        async move {
            let (status, json) = service
                .post(&service.alice, &format!("/v1/conversations/{id}/wait-notice"), serde_json::Value::Null)
                .await;
            assert_eq!(status, StatusCode::CREATED, "{json}");
            serde_json::from_value::<Message>(json).unwrap().text
        }
    };
    let text = notice(first).await;
    assert!(text.contains("about 15 minutes"), "first in line: {text}");
    let text = notice(third).await;
    assert!(text.contains("about 45 minutes"), "third in line: {text}");
}
