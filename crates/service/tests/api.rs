//! Every agent route over real HTTP: reads, commands, auth, presence and queue stats.

mod common;

use common::*;
use handoff_protocol::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_openapi_need_no_token() {
    let service = TestService::start().await;
    let health: Value = service.http.get(service.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["head_cursor"].as_i64().unwrap() >= 2, "adding two agents made changes");

    let doc: Value = service.http.get(service.url("/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/changes",
        "/v1/changes/stream",
        "/v1/conversations",
        "/v1/conversations/{id}",
        "/v1/conversations/{id}/messages",
        "/v1/conversations/{id}/claim",
        "/v1/conversations/{id}/release",
        "/v1/conversations/{id}/resolve",
        "/v1/conversations/{id}/transfer",
        "/v1/conversations/{id}/activity",
        "/v1/conversations/{id}/tags",
        "/v1/tags",
        "/v1/agents/me/presence",
        "/v1/queue",
        "/v1/intake/handoffs",
        "/v1/intake/conversations/{external_id}/messages",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["Conversation"].is_object());
    assert!(doc["components"]["schemas"]["Change"].is_object());
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_v1_route_refuses_missing_bad_and_revoked_tokens() {
    let service = TestService::start().await;
    let id = service.escalate("web-1", "Sam Lee").await;
    let routes: Vec<(Method, String)> = vec![
        (Method::GET, "/v1/changes".into()),
        (Method::GET, "/v1/changes/stream".into()),
        (Method::GET, "/v1/conversations".into()),
        (Method::GET, format!("/v1/conversations/{id}")),
        (Method::GET, format!("/v1/conversations/{id}/messages")),
        (Method::POST, format!("/v1/conversations/{id}/messages")),
        (Method::POST, format!("/v1/conversations/{id}/claim")),
        (Method::POST, format!("/v1/conversations/{id}/release")),
        (Method::POST, format!("/v1/conversations/{id}/resolve")),
        (Method::POST, format!("/v1/conversations/{id}/transfer")),
        (Method::POST, format!("/v1/conversations/{id}/wait-notice")),
        (Method::POST, format!("/v1/conversations/{id}/activity")),
        (Method::GET, format!("/v1/conversations/{id}/activity")),
        (Method::PUT, format!("/v1/conversations/{id}/tags")),
        (Method::GET, "/v1/tags".into()),
        (Method::GET, "/v1/agents".into()),
        (Method::GET, "/v1/agents/me".into()),
        (Method::PUT, "/v1/agents/me/presence".into()),
        (Method::GET, "/v1/queue".into()),
    ];
    service.store().revoke_agent("Bob").unwrap();
    let head = service.store().head_cursor();
    for (method, path) in &routes {
        for token in [None, Some("not-a-token"), Some(service.bob.as_str())] {
            let mut request = service.http.request(method.clone(), service.url(path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let (status, body) = read(request.json(&json!({"text": "x"})).send().await.unwrap()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} with {token:?}: {body}");
            assert_eq!(error_code(&body), "unauthorized");
        }
    }
    assert_eq!(service.store().head_cursor(), head, "refused requests changed nothing");
    let (status, body) =
        read(service.http.get(service.url("/v1/queue")).header("authorization", "Basic abc").send().await.unwrap())
            .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_and_messages_page_with_after_and_limit() {
    let service = TestService::start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(service.escalate(&format!("web-{i}"), &format!("Customer {i}")).await);
    }
    let (status, _) = service.claim(&service.alice, ids[2]).await;
    assert_eq!(status, StatusCode::OK);

    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let (status, json) = service.get(&service.alice, &format!("/v1/conversations?after={after}&limit=3")).await;
        assert_eq!(status, StatusCode::OK);
        let page: ConversationsPage = serde_json::from_value(json).unwrap();
        assert!(page.conversations.len() <= 3);
        assert!(page.head_cursor >= 1);
        seen.extend(page.conversations.iter().map(|c| c.id));
        match page.next_after {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(seen, ids);

    let (_, json) = service.get(&service.alice, "/v1/conversations?status=assigned").await;
    let page: ConversationsPage = serde_json::from_value(json).unwrap();
    assert_eq!(page.conversations.len(), 1);
    assert_eq!(page.conversations[0].id, ids[2]);
    assert_eq!(page.conversations[0].assignee.as_ref().map(|a| a.name.as_str()), Some("Alice"));
    let (_, json) = service.get(&service.alice, "/v1/conversations?status=waiting").await;
    assert_eq!(json["conversations"].as_array().unwrap().len(), 6);

    let (status, json) = service.get(&service.alice, &format!("/v1/conversations/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    let conversation: Conversation = serde_json::from_value(json).unwrap();
    assert_eq!(conversation.status, ConversationStatus::Waiting);
    assert_eq!(conversation.customer.name, "Customer 0");
    assert_eq!(conversation.last_message_seq, 3);
    let handoff = conversation.handoff.unwrap();
    assert_eq!(handoff.reason, HandoffReason::ExplicitRequest);
    assert_eq!(handoff.topic.as_deref(), Some("annual billing"));

    // Messages page by seq.
    let (_, json) = service.get(&service.alice, &format!("/v1/conversations/{}/messages?limit=2", ids[0])).await;
    let page: MessagesPage = serde_json::from_value(json).unwrap();
    assert_eq!(page.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(page.next_after, Some(2));
    let (_, json) = service.get(&service.alice, &format!("/v1/conversations/{}/messages?after=2", ids[0])).await;
    let page: MessagesPage = serde_json::from_value(json).unwrap();
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].seq, 3);
    assert_eq!(page.messages[0].text, "human");
    assert_eq!(page.next_after, None);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_release_transfer_resolve_follow_the_rules() {
    let service = TestService::start().await;
    let id = service.escalate("web-1", "Sam Lee").await;
    let path = |verb: &str| format!("/v1/conversations/{id}/{verb}");

    let body_for = |verb: &str, agent: i64| match verb {
        "resolve" => json!({"outcome": "solved"}),
        "transfer" => json!({"agent_id": agent}),
        _ => Value::Null,
    };
    // Only the assignee may release, resolve or transfer.
    for verb in ["release", "resolve", "transfer"] {
        let (status, body) = service.post(&service.alice, &path(verb), body_for(verb, service.bob_id)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{verb} before claim: {body}");
        assert_eq!(error_code(&body), "not_assigned");
    }
    let (status, body) = service.claim(&service.alice, id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "assigned");
    assert_eq!(body["assignee"]["name"], "Alice");
    let version = body["version"].as_i64().unwrap();

    // Claiming one's own conversation again is a no-op; someone else gets 409 with the assignee.
    let (status, body) = service.claim(&service.alice, id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"].as_i64().unwrap(), version);
    let (status, body) = service.claim(&service.bob, id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "already_claimed");
    assert_eq!(body["error"]["assignee"]["name"], "Alice");
    assert!(body["error"]["message"].as_str().unwrap().contains("Alice"));

    for verb in ["release", "resolve", "transfer"] {
        let (status, body) = service.post(&service.bob, &path(verb), body_for(verb, service.alice_id)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{verb} by a non-assignee: {body}");
        assert_eq!(error_code(&body), "forbidden");
    }

    // Release puts it back in the queue.
    let (status, body) = service.post(&service.alice, &path("release"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "waiting");
    assert!(body["assignee"].is_null());
    assert!(body["version"].as_i64().unwrap() > version);

    // Transfer to Bob, to oneself, to nobody.
    service.claim(&service.alice, id).await;
    let (status, body) = service.post(&service.alice, &path("transfer"), json!({"agent_id": service.alice_id})).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "transfer_to_self"));
    let (status, body) = service.post(&service.alice, &path("transfer"), json!({"agent_id": 999})).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = service.post(&service.alice, &path("transfer"), json!({"agent_id": service.bob_id})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["assignee"]["name"], "Bob");
    let (status, _) = service.send_message(&service.alice, id, "k-after-transfer", "still mine?", false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Resolve: solved keeps the assignee, back_to_bot hands it to the bot.
    let (status, body) = service.post(&service.bob, &path("resolve"), json!({"outcome": "solved"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["assignee"]["name"], "Bob");
    let (status, body) = service.claim(&service.alice, id).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "not_waiting"));

    let other = service.escalate("web-2", "Kim").await;
    service.claim(&service.bob, other).await;
    let (status, body) = service
        .post(&service.bob, &format!("/v1/conversations/{other}/resolve"), json!({"outcome": "back_to_bot"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "bot");
    assert!(body["assignee"].is_null());
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_need_the_assignee_notes_do_not_and_keys_are_idempotent() {
    let service = TestService::start().await;
    let id = service.escalate("web-1", "Sam Lee").await;

    let (status, body) = service.send_message(&service.alice, id, "k1", "Hi Sam!", false).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "reply before claim: {body}");
    let (status, body) = service.send_message(&service.bob, id, "note-1", "VIP? check CRM", true).await;
    assert_eq!(status, StatusCode::CREATED, "a note needs no claim: {body}");
    assert_eq!(body["private"], true);
    assert_eq!(body["role"], "agent");
    assert_eq!(body["author"], "Bob");

    service.claim(&service.alice, id).await;
    let (status, first) = service.send_message(&service.alice, id, "k1", "Hi Sam!", false).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(first["seq"], 5);
    assert_eq!(first["client_id"], "k1");

    // The same key again: the same message, 200, nothing new.
    let head = service.store().head_cursor();
    let response = service
        .http
        .post(service.url(&format!("/v1/conversations/{id}/messages")))
        .bearer_auth(&service.alice)
        .header("Idempotency-Key", "k1")
        .json(&json!({"text": "Hi Sam!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    let again: Value = response.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(service.store().head_cursor(), head);

    // The same key for different content is refused.
    let (status, body) = service.send_message(&service.alice, id, "k1", "Something else", false).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "idempotency_key_reused"));

    // A retry after losing the assignment still answers with the original message.
    service.post(&service.alice, &format!("/v1/conversations/{id}/release"), Value::Null).await;
    let (status, body) = service.send_message(&service.alice, id, "k1", "Hi Sam!", false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, first);

    let messages = service.messages(id).await;
    assert_eq!(messages.iter().filter(|m| m.client_id.as_deref() == Some("k1")).count(), 1);
    assert_eq!(messages.len(), 5);
    let conversation = service.store().conversation(id).unwrap();
    assert_eq!(conversation.last_message_seq, 5);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_and_queue_stats() {
    let service = TestService::start().await;
    let (status, me) = service.get(&service.alice, "/v1/agents/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "Alice");
    assert_eq!(me["presence"], "offline");

    let (_, queue) = service.get(&service.alice, "/v1/queue").await;
    assert_eq!(queue["waiting"], 0);
    assert_eq!(queue["available_agents"], 0);
    assert!(queue["estimated_wait_seconds"].is_null(), "nobody is available: {queue}");

    let (status, body) = service
        .call(&service.alice, Method::PUT, "/v1/agents/me/presence", Some(json!({"presence": "available"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["presence"], "available");
    let (status, body) =
        service.call(&service.alice, Method::PUT, "/v1/agents/me/presence", Some(json!({"presence": "asleep"}))).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));

    for i in 0..3 {
        service.escalate(&format!("web-{i}"), "C").await;
    }
    let (_, queue) = service.get(&service.alice, "/v1/queue").await;
    assert_eq!(queue["waiting"], 3);
    assert_eq!(queue["available_agents"], 1);
    assert_eq!(queue["estimated_wait_seconds"], 240, "no claim history: 60 s per handoff in line: {queue}");
    assert!(queue["longest_wait_seconds"].as_i64().is_some());

    // With claim history the estimate is the median of recent waits (here: about 0 s → 1 s).
    service.claim(&service.alice, 1).await;
    let (_, queue) = service.get(&service.alice, "/v1/queue").await;
    assert_eq!(queue["waiting"], 2);
    assert_eq!(queue["estimated_wait_seconds"], 1, "{queue}");

    let (_, agents) = service.get(&service.bob, "/v1/agents").await;
    let names: Vec<&str> = agents["agents"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Alice", "Bob"]);
    let changes = service.all_changes().await;
    assert!(changes.iter().any(|c| matches!(&c.entity,
        ChangeEntity::Agent { agent } if agent.name == "Alice" && agent.presence == Presence::Available)));
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_records_every_change_with_dense_cursors() {
    let service = TestService::start().await;
    let id = service.escalate("web-1", "Sam").await;
    service.claim(&service.alice, id).await;
    service.send_message(&service.alice, id, "k", "Hello", false).await;
    let changes = service.all_changes().await;
    let cursors: Vec<i64> = changes.iter().map(|c| c.cursor).collect();
    assert_eq!(cursors, (1..=cursors.len() as i64).collect::<Vec<_>>());
    // A new conversation is announced before its messages.
    let first_conversation =
        changes.iter().position(|c| matches!(c.entity, ChangeEntity::Conversation { .. })).unwrap();
    let first_message = changes.iter().position(|c| matches!(c.entity, ChangeEntity::Message { .. })).unwrap();
    assert!(first_conversation < first_message);
    // The last conversation record is its current state.
    let last = changes
        .iter()
        .rev()
        .find_map(|c| match &c.entity {
            ChangeEntity::Conversation { conversation } => Some(conversation.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(last, service.store().conversation(id).unwrap());

    // Paging: limit and has_more.
    let (_, json) = service.get(&service.alice, "/v1/changes?after=0&limit=2").await;
    let page: ChangesPage = serde_json::from_value(json).unwrap();
    assert_eq!(page.changes.len(), 2);
    assert!(page.has_more);
    assert_eq!(page.next_after, 2);
    assert_eq!(page.head, *cursors.last().unwrap());
    let (_, json) = service.get(&service.alice, &format!("/v1/changes?after={}", page.head)).await;
    let page: ChangesPage = serde_json::from_value(json).unwrap();
    assert!(page.changes.is_empty() && !page.has_more);
    assert_eq!(page.next_after, page.head);
    service.handle.shutdown().await;
}
