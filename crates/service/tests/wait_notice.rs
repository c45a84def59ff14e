//! The estimated-wait notice: posted once when nobody claims a conversation in time, on
//! demand by an agent, and the queue statistics behind it.

mod common;

use std::time::Duration;

use common::*;
use handoff_protocol::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const NOTICE_AFTER: Duration = Duration::from_millis(300);
const DEADLINE: Duration = Duration::from_secs(5);

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
    let service = TestService::start().await;
    let id = service.escalate("web-manual", "Sam Lee").await;
    let path = format!("/v1/conversations/{id}/wait-notice");

    let (status, json) = service.post(&service.bob, &path, serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let first: Message = serde_json::from_value(json).unwrap();
    assert_is_notice(&first);
    assert_eq!((first.conversation_id, first.seq), (id, 4));
    assert!(first.text.contains("email"), "nobody is available yet: {}", first.text);

    set_presence(&service, &service.alice, "available").await;
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
