//! Agents working side by side: presence inside a conversation (ephemeral, on the stream only),
//! transfers that say who handed what to whom in the transcript, and the team's tags.

mod common;

use std::time::Duration;

use common::*;
use handoff_protocol::*;
use handoff_service::activity::ActivityConfig;
use handoff_service::Store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_handoff-service");

/// The next `event: activity` of the stream, skipping heartbeats and change records.
async fn next_activity(stream: &mut SseReader, timeout: Duration) -> Option<(SseEvent, ConversationActivity)> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let event = stream.next(left).await?;
        if event.event.as_deref() == Some("activity") {
            let entry: ConversationActivity = serde_json::from_str(&event.data).expect("activity JSON");
            return Some((event, entry));
        }
    }
}

async fn report(service: &TestService, token: &str, id: i64, activity: &str) -> (StatusCode, Value) {
    service.post(token, &format!("/v1/conversations/{id}/activity"), json!({ "activity": activity })).await
}

async fn present(service: &TestService, id: i64) -> Vec<ConversationActivity> {
    let (status, json) = service.get(&service.bob, &format!("/v1/conversations/{id}/activity")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    serde_json::from_value::<ActivityList>(json).expect("activity list").activity
}

fn short_activity(config: &mut handoff_service::ServiceConfig) {
    config.activity = ActivityConfig {
        viewing_ttl: Duration::from_millis(900),
        typing_ttl: Duration::from_millis(300),
        refresh_every: Duration::from_secs(10),
    };
}

// --- presence --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_reaches_every_stream_without_an_id_and_never_enters_the_feed() {
    let service = TestService::start().await;
    let id = service.escalate("web-presence", "Sam").await;
    let mut bob_stream = SseReader::open(&service, &service.bob, "", None).await.expect("Bob's stream");
    let mut alice_stream = SseReader::open(&service, &service.alice, "", None).await.expect("Alice's stream");
    let head = service.store().head_cursor();
    let feed_before = service.all_changes().await.len();

    let (status, body) = report(&service, &service.alice, id, "viewing").await;
    assert_eq!((status, &body), (StatusCode::NO_CONTENT, &Value::Null));
    let (event, entry) = next_activity(&mut bob_stream, Duration::from_secs(5)).await.expect("Bob hears it");
    assert_eq!(event.id, None, "an activity event must not move Last-Event-ID");
    assert_eq!(entry.conversation_id, id);
    assert_eq!(entry.agent, AgentRef { id: service.alice_id, name: "Alice".into() });
    assert_eq!(entry.activity, Activity::Viewing);
    let ahead = entry.expires_at - chrono::Utc::now();
    assert!(ahead > chrono::Duration::seconds(25) && ahead <= chrono::Duration::seconds(30), "{ahead}");
    let (_, own) = next_activity(&mut alice_stream, Duration::from_secs(5)).await.expect("every stream hears it");
    assert_eq!(own.activity, Activity::Viewing);

    assert_eq!(report(&service, &service.alice, id, "typing_reply").await.0, StatusCode::NO_CONTENT);
    let (event, entry) = next_activity(&mut bob_stream, Duration::from_secs(5)).await.expect("typing");
    assert_eq!((event.id, entry.activity), (None, Activity::TypingReply));
    let ahead = entry.expires_at - chrono::Utc::now();
    assert!(ahead <= chrono::Duration::seconds(8), "typing lasts 8 s: {ahead}");

    // A client opening the conversation sees who is there.
    let there = present(&service, id).await;
    assert_eq!(there.len(), 1);
    assert_eq!((there[0].agent.id, there[0].activity), (service.alice_id, Activity::TypingReply));

    // Nothing of it is stored: no cursor moved, no record in the paged feed.
    assert_eq!(service.store().head_cursor(), head);
    let feed = service.all_changes().await;
    assert_eq!(feed.len(), feed_before);
    let (_, raw) = service.get(&service.alice, "/v1/changes?after=0&limit=5000").await;
    assert!(!raw.to_string().contains("typing_reply"), "activity leaked into the feed: {raw}");

    // A change record still arrives with its id after activity events.
    let (status, _) = service.claim(&service.bob, id).await;
    assert_eq!(status, StatusCode::OK);
    let change = bob_stream.next_change(Duration::from_secs(5)).await.expect("the claim");
    assert_eq!(change.cursor, head + 1);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lapsed_typing_falls_back_to_viewing_then_left_and_left_ends_at_once() {
    let service = TestService::start_with(short_activity).await;
    let id = service.escalate("web-lapse", "Sam").await;
    let mut stream = SseReader::open(&service, &service.bob, "", None).await.expect("stream");

    assert_eq!(report(&service, &service.alice, id, "typing_note").await.0, StatusCode::NO_CONTENT);
    let seen = [
        next_activity(&mut stream, Duration::from_secs(5)).await.expect("typing").1.activity,
        next_activity(&mut stream, Duration::from_secs(5)).await.expect("fallback").1.activity,
    ];
    assert_eq!(seen, [Activity::TypingNote, Activity::Viewing], "typing lapses to viewing while that is fresh");
    let (_, gone) = next_activity(&mut stream, Duration::from_secs(5)).await.expect("lapse");
    assert_eq!((gone.agent.id, gone.activity), (service.alice_id, Activity::Left));
    assert!(present(&service, id).await.is_empty());

    // `left` ends the entry at once and says so; a `left` of nobody is silent.
    assert_eq!(report(&service, &service.alice, id, "viewing").await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        next_activity(&mut stream, Duration::from_secs(5)).await.expect("viewing").1.activity,
        Activity::Viewing
    );
    assert_eq!(report(&service, &service.alice, id, "left").await.0, StatusCode::NO_CONTENT);
    assert_eq!(next_activity(&mut stream, Duration::from_secs(5)).await.expect("left").1.activity, Activity::Left);
    assert!(present(&service, id).await.is_empty());
    assert_eq!(report(&service, &service.alice, id, "left").await.0, StatusCode::NO_CONTENT);
    assert!(next_activity(&mut stream, Duration::from_millis(600)).await.is_none(), "nothing to say");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_reposts_only_extend_the_expiry_and_are_not_broadcast_again() {
    let service = TestService::start().await;
    let id = service.escalate("web-repost", "Sam").await;
    let mut stream = SseReader::open(&service, &service.bob, "", None).await.expect("stream");
    assert_eq!(report(&service, &service.alice, id, "viewing").await.0, StatusCode::NO_CONTENT);
    let (_, first) = next_activity(&mut stream, Duration::from_secs(5)).await.expect("first");
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..5 {
        assert_eq!(report(&service, &service.alice, id, "viewing").await.0, StatusCode::NO_CONTENT);
    }
    assert!(next_activity(&mut stream, Duration::from_millis(800)).await.is_none(), "a pure refresh is quiet");
    let there = present(&service, id).await;
    assert!(there[0].expires_at > first.expires_at, "the expiry moved on");
    // A change of state is always broadcast.
    assert_eq!(report(&service, &service.alice, id, "typing_reply").await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        next_activity(&mut stream, Duration::from_secs(5)).await.expect("typing").1.activity,
        Activity::TypingReply
    );
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_needs_a_readable_conversation_and_a_known_activity() {
    let service = TestService::start().await;
    let id = service.escalate("web-refuse", "Sam").await;
    let (status, json) = report(&service, &service.alice, 424_242, "viewing").await;
    assert_eq!((status, error_code(&json).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    let (status, json) = service.get(&service.alice, "/v1/conversations/424242/activity").await;
    assert_eq!((status, error_code(&json).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    for body in [json!({"activity": "dancing"}), json!({"activity": "viewing", "extra": 1}), json!({})] {
        let (status, json) = service.post(&service.alice, &format!("/v1/conversations/{id}/activity"), body).await;
        assert_eq!((status, error_code(&json).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    }
    let response = service
        .http
        .post(service.url(&format!("/v1/conversations/{id}/activity")))
        .json(&json!({"activity": "viewing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(present(&service, id).await.is_empty());
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_agent_vanishes_from_every_conversation() {
    let service = TestService::start().await;
    let id = service.escalate("web-revoke", "Sam").await;
    let other = service.escalate("web-revoke-2", "Kim").await;
    let mut stream = SseReader::open(&service, &service.alice, "", None).await.expect("stream");
    for conversation in [id, other] {
        assert_eq!(report(&service, &service.bob, conversation, "viewing").await.0, StatusCode::NO_CONTENT);
        next_activity(&mut stream, Duration::from_secs(5)).await.expect("viewing");
    }
    service.store().revoke_agent("Bob").unwrap();
    let mut left = Vec::new();
    for _ in 0..2 {
        let (_, entry) = next_activity(&mut stream, Duration::from_secs(5)).await.expect("Bob leaves");
        assert_eq!((entry.agent.id, entry.activity), (service.bob_id, Activity::Left));
        left.push(entry.conversation_id);
    }
    left.sort();
    assert_eq!(left, [id, other]);
    let (status, json) = service.get(&service.alice, &format!("/v1/conversations/{id}/activity")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, json!({"activity": []}));
    service.handle.shutdown().await;
}

// --- transfers in the transcript -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_writes_who_handed_it_to_whom_and_why_in_the_same_transaction() {
    let service = TestService::start().await;
    let id = service.escalate("web-transfer", "Sam").await;
    assert_eq!(service.claim(&service.alice, id).await.0, StatusCode::OK);
    let before = service.store().conversation(id).unwrap();
    let head = service.store().head_cursor();

    let body = json!({"agent_id": service.bob_id, "note": "  Prefers German; call back after 3 pm  "});
    let (status, json) = service.post(&service.alice, &format!("/v1/conversations/{id}/transfer"), body).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let conversation: Conversation = serde_json::from_value(json).unwrap();
    assert_eq!(conversation.assignee.as_ref().map(|a| a.id), Some(service.bob_id));
    assert_eq!(conversation.last_message_seq, before.last_message_seq + 1);
    let line = service.messages(id).await.pop().expect("a line");
    assert_eq!(
        (line.role, line.author.as_str(), line.text.as_str(), line.private, line.seq),
        (
            Role::System,
            "Handoff Desk",
            "Alice → Bob: Prefers German; call back after 3 pm",
            true,
            conversation.last_message_seq
        )
    );
    // One transaction: the line, then the conversation, in the feed.
    let records: Vec<Change> = service.all_changes().await.into_iter().filter(|c| c.cursor > head).collect();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(matches!(&records[0].entity, ChangeEntity::Message { message } if message.seq == line.seq));
    assert!(
        matches!(&records[1].entity, ChangeEntity::Conversation { conversation } if conversation.assignee.as_ref().map(|a| a.id) == Some(service.bob_id))
    );

    // Without a note (or a blank one) the line names the two agents only.
    let (status, _) = service
        .post(
            &service.bob,
            &format!("/v1/conversations/{id}/transfer"),
            json!({"agent_id": service.alice_id, "note": " \n "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(service.messages(id).await.pop().unwrap().text, "Bob → Alice");

    // A note over 500 characters is refused and nothing happens.
    let head = service.store().head_cursor();
    let long = "é".repeat(501);
    let (status, json) = service
        .post(
            &service.alice,
            &format!("/v1/conversations/{id}/transfer"),
            json!({"agent_id": service.bob_id, "note": long}),
        )
        .await;
    assert_eq!((status, error_code(&json).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "note_too_long"));
    assert_eq!(service.store().head_cursor(), head);
    assert_eq!(service.store().conversation(id).unwrap().assignee.map(|a| a.id), Some(service.alice_id));
    service.handle.shutdown().await;
}

// --- tags ------------------------------------------------------------------------------------

async fn put_tags(service: &TestService, token: &str, id: i64, tags: Value) -> (StatusCode, Value) {
    service.call(token, Method::PUT, &format!("/v1/conversations/{id}/tags"), Some(json!({ "tags": tags }))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_carry_catalogue_tags_through_the_api_and_the_feed() {
    let service = TestService::start().await;
    let id = service.escalate("web-tags", "Sam").await;
    let (_, json) = service.get(&service.alice, &format!("/v1/conversations/{id}")).await;
    assert_eq!(json["tags"], json!([]), "every conversation JSON has its tags");
    service.store().add_tag("refund", None).unwrap();
    service.store().add_tag("billing", Some("#2F80ED")).unwrap();
    let (status, json) = service.get(&service.bob, "/v1/tags").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, json!({"tags": [{"name": "billing", "color": "#2f80ed"}, {"name": "refund", "color": null}]}));

    // Any agent may tag any conversation it can read; duplicates count once; sorted.
    let version = service.store().conversation(id).unwrap().version;
    let head = service.store().head_cursor();
    let (status, json) = put_tags(&service, &service.bob, id, json!(["refund", "billing", "refund"])).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!((json["tags"].clone(), json["version"].as_i64()), (json!(["billing", "refund"]), Some(version + 1)));
    let records: Vec<Change> = service.all_changes().await.into_iter().filter(|c| c.cursor > head).collect();
    match &records[..] {
        [Change { entity: ChangeEntity::Conversation { conversation }, .. }] => {
            assert_eq!(conversation.tags, ["billing", "refund"])
        }
        other => panic!("one conversation record expected: {other:?}"),
    }
    let (_, page) = service.get(&service.alice, "/v1/conversations").await;
    assert_eq!(page["conversations"][0]["tags"], json!(["billing", "refund"]));

    // The same set again writes nothing.
    let head = service.store().head_cursor();
    let (status, json) = put_tags(&service, &service.alice, id, json!(["billing", "refund"])).await;
    assert_eq!((status, json["version"].as_i64()), (StatusCode::OK, Some(version + 1)));
    assert_eq!(service.store().head_cursor(), head);

    // Refusals name what is wrong and change nothing.
    let (status, json) = put_tags(&service, &service.alice, id, json!(["billing", "vip"])).await;
    assert_eq!((status, error_code(&json).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_tag"));
    assert!(json["error"]["message"].as_str().unwrap().contains("\"vip\""), "{json}");
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let (status, json) = put_tags(&service, &service.alice, id, json!(many)).await;
    assert_eq!((status, error_code(&json).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "too_many_tags"));
    let (status, json) = put_tags(&service, &service.alice, id, json!("billing")).await;
    assert_eq!((status, error_code(&json).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    let (status, json) = put_tags(&service, &service.alice, 424_242, json!(["billing"])).await;
    assert_eq!((status, error_code(&json).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(service.store().head_cursor(), head);

    // Clearing works; removing a tag from the catalogue takes it off every conversation.
    let other = service.escalate("web-tags-2", "Kim").await;
    assert_eq!(put_tags(&service, &service.alice, other, json!(["refund"])).await.0, StatusCode::OK);
    let head = service.store().head_cursor();
    let untagged = service.store().remove_tag("refund").unwrap();
    assert_eq!(untagged, [id, other]);
    assert_eq!(service.store().conversation(id).unwrap().tags, ["billing"]);
    assert!(service.store().conversation(other).unwrap().tags.is_empty());
    assert_eq!(service.store().head_cursor(), head + 2, "each untagged conversation goes to the feed");
    let (status, json) = put_tags(&service, &service.alice, id, json!([])).await;
    assert_eq!((status, json["tags"].clone()), (StatusCode::OK, json!([])));
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_has_the_collaboration_routes() {
    let service = TestService::start().await;
    let (_, doc) = service.get(&service.alice, "/v1/openapi.json").await;
    for (path, method) in [
        ("/v1/conversations/{id}/activity", "post"),
        ("/v1/conversations/{id}/activity", "get"),
        ("/v1/conversations/{id}/tags", "put"),
        ("/v1/tags", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Activity"]["enum"], json!(["viewing", "typing_reply", "typing_note", "left"]));
    assert!(schemas["ConversationActivity"].is_object());
    assert_eq!(schemas["TransferRequest"]["properties"]["note"]["maxLength"], json!(500));
    assert!(schemas["Conversation"]["properties"]["tags"].is_object());
    assert!(doc["paths"]["/v1/conversations/{id}/activity"]["post"]["responses"]["204"].is_object());
    service.handle.shutdown().await;
}

#[test]
fn the_tags_admin_commands_manage_the_catalogue_of_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("service.sqlite");
    let run = |args: &[&str]| {
        let output = std::process::Command::new(BIN)
            .args(args)
            .arg("--db")
            .arg(&db)
            .env_remove("HANDOFF_SERVICE_DB")
            .output()
            .expect("the binary runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["tags", "list"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("no tags yet"), "{out}");
    let (code, out, err) = run(&["tags", "add", "billing", "--color", "#2F80ED"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), "added tag billing (#2f80ed)");
    let (code, out, _) = run(&["tags", "add", "vip-followup"]);
    assert_eq!((code, out.trim()), (Some(0), "added tag vip-followup"));
    let (code, out, _) = run(&["tags", "add", "billing", "--color", "#000000"]);
    assert_eq!((code, out.trim()), (Some(0), "tag billing now has colour (#000000)"));
    let (code, _, err) = run(&["tags", "add", "VIP Follow-up"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a tag name") && err.contains("vip-followup"), "{err}");
    let (code, _, err) = run(&["tags", "add", "x", "--color", "red"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("#rrggbb"), "{err}");
    let (_, out, _) = run(&["tags", "list"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("billing") && lines[0].contains("#000000") && lines[0].ends_with("0 conversation(s)"));
    assert!(lines[1].starts_with("vip-followup"));
    let (code, out, _) = run(&["tags", "remove", "billing"]);
    assert_eq!((code, out.trim()), (Some(0), "removed tag billing; it was taken off 0 conversation(s)"));
    let (code, _, err) = run(&["tags", "remove", "billing"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no tag is named"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_workspace_has_a_catalogue_and_tags_a_good_share_of_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_in(dir.path());
    config.seed_demo = true;
    let handle = handoff_service::start(config).await.expect("demo starts");
    let store = handle.store();
    let catalogue: Vec<String> = store.tags().unwrap().into_iter().map(|t| t.name).collect();
    for name in ["billing", "refund", "shipping", "bug", "vip-followup"] {
        assert!(catalogue.iter().any(|t| t == name), "{name} missing from {catalogue:?}");
    }
    let conversations = store.list_conversations(None, 0, 5000).unwrap().conversations;
    let tagged = conversations.iter().filter(|c| !c.tags.is_empty()).count();
    assert!(tagged * 2 >= conversations.len(), "{tagged} of {} tagged", conversations.len());
    assert!(tagged < conversations.len(), "a few stay untagged, as in a real team");
    assert!(conversations.iter().flat_map(|c| &c.tags).all(|t| catalogue.contains(t)));
    handle.shutdown().await;
}
