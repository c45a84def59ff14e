//! The signed bot-side intake over real HTTP: escalations, re-escalations, customer messages,
//! signature checks and untrusted text.

mod common;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use common::*;
use handoff_protocol::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use handoff_protocol::*;
use handoff_service::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};

const HANDOFFS: &str = "/v1/intake/handoffs";

fn now_secs() -> i64 {
    Utc::now().timestamp()
}

fn messages_path(external_id: &str) -> String {
    format!("/v1/intake/conversations/{external_id}/messages")
}

/// The two v2 signature headers of a POST of `body` to `path`, signed with `secret` at `timestamp`.
fn signed_for(secret: &[u8], timestamp: i64, path: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (SIGNATURE_HEADER, signing::sign_v2(secret, timestamp, "POST", path, body)),
    ]
}

/// [`signed_for`] the handoff route.
fn signed(secret: &[u8], timestamp: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    signed_for(secret, timestamp, HANDOFFS, body)
}

/// A POST of raw bytes with exactly the given extra headers (no signing of its own).
async fn post_raw(service: &TestService, path: &str, body: &[u8], headers: &[(&str, String)]) -> (StatusCode, Value) {
    let mut request =
        service.http.post(service.url(path)).header("content-type", "application/json").body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    read(request.send().await.expect("request reaches the service")).await
}

/// A correctly signed intake POST of a JSON value.
async fn intake_json(service: &TestService, path: &str, body: &Value) -> (StatusCode, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    service.intake_raw(path, &bytes, None, INTAKE_SECRET).await
}

async fn all_conversations(service: &TestService) -> Vec<Conversation> {
    let (status, json) = service.get(&service.alice, "/v1/conversations?limit=5000").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    serde_json::from_value::<ConversationsPage>(json).unwrap().conversations
}

async fn conversation(service: &TestService, id: i64) -> Conversation {
    let (status, json) = service.get(&service.alice, &format!("/v1/conversations/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    serde_json::from_value(json).unwrap()
}

fn result_of(json: Value) -> IntakeHandoffResult {
    serde_json::from_value(json).expect("an IntakeHandoffResult")
}

fn at(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A handoff whose transcript lines are `(role, text, at)`.
fn handoff_with(external_id: &str, reason: &str, trigger: &str, lines: &[(&str, &str, DateTime<Utc>)]) -> Value {
    let transcript: Vec<Value> =
        lines.iter().map(|(role, text, time)| json!({"role": role, "text": text, "at": at(*time)})).collect();
    json!({
        "external_id": external_id,
        "channel": "whatsapp",
        "customer": {
            "id": "cust-42",
            "name": "Sam Lee",
            "email": "sam@example.com",
            "phone": "+1 555 0100",
            "vip": true,
            "account_value": 48000
        },
        "reason": reason,
        "trigger": trigger,
        "priority": "high",
        "summary": "Wants a refund for a double charge",
        "topic": "billing",
        "transcript": transcript,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_handoff_creates_a_waiting_conversation_with_its_transcript() {
    let service = TestService::start().await;
    let t0 = Utc::now() - ChronoDuration::minutes(10);
    let lines = [
        ("customer", "I was charged twice this month", t0),
        ("bot", "I can help with billing. Which invoice?", t0 + ChronoDuration::seconds(2)),
        ("customer", "INV-1001, and I want a person", t0 + ChronoDuration::seconds(9)),
        ("system", "Sentiment dropped below -0.6", t0 + ChronoDuration::seconds(10)),
    ];
    let body = handoff_with("wa-1001", "sentiment", "score -0.71", &lines);
    let before = Utc::now();
    let (status, json) = intake_json(&service, HANDOFFS, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let result = result_of(json);
    assert!(result.created);
    let c = result.conversation;
    assert_eq!(c.external_id, "wa-1001");
    assert_eq!(c.channel, "whatsapp");
    assert_eq!(c.status, ConversationStatus::Waiting);
    assert_eq!(c.assignee, None);
    assert_eq!(c.priority, Priority::High);
    assert_eq!(c.last_message_seq, 4);
    let expected_customer: Customer = serde_json::from_value(body["customer"].clone()).unwrap();
    assert_eq!(c.customer, expected_customer);
    let handoff = c.handoff.clone().expect("handoff details");
    assert_eq!(handoff.reason, HandoffReason::Sentiment);
    assert_eq!(handoff.trigger, "score -0.71");
    assert_eq!(handoff.summary.as_deref(), Some("Wants a refund for a double charge"));
    assert_eq!(handoff.topic.as_deref(), Some("billing"));
    assert!(
        handoff.escalated_at >= before - ChronoDuration::seconds(1)
            && handoff.escalated_at <= Utc::now() + ChronoDuration::seconds(1),
        "escalated_at is the service's clock: {}",
        handoff.escalated_at
    );
    assert_eq!(c.created_at.timestamp_millis(), t0.timestamp_millis(), "created at the first transcript line");

    // The stored conversation is what the intake answered.
    assert_eq!(conversation(&service, c.id).await, c);
    assert_eq!(all_conversations(&service).await, vec![c.clone()]);

    let messages = service.messages(c.id).await;
    assert_eq!(messages.len(), 4);
    let expected =
        [(Role::Customer, "Sam Lee"), (Role::Bot, "Bot"), (Role::Customer, "Sam Lee"), (Role::System, "Handoff Desk")];
    for (index, (message, (role, author))) in messages.iter().zip(expected).enumerate() {
        assert_eq!(message.conversation_id, c.id);
        assert_eq!(message.seq, index as i64 + 1, "dense seqs from 1");
        assert_eq!(message.role, role);
        assert_eq!(message.author, author);
        assert_eq!(message.text, lines[index].1);
        assert_eq!(message.created_at.timestamp_millis(), lines[index].2.timestamp_millis());
        assert!(!message.private);
        assert_eq!(message.client_id, None);
    }
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_external_id_never_makes_a_second_conversation() {
    let service = TestService::start().await;
    let body = handoff_body("web-dup", "Sam Lee");
    let (status, json) = intake_json(&service, HANDOFFS, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let first = result_of(json).conversation;
    let head = service.handle.store().head_cursor();

    let (status, json) = intake_json(&service, HANDOFFS, &body).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let again = result_of(json);
    assert!(!again.created);
    assert_eq!(again.conversation, first, "a repeat changes nothing, not even the version");
    assert_eq!(service.handle.store().head_cursor(), head, "a repeat writes no change");
    assert_eq!(all_conversations(&service).await.len(), 1);
    assert_eq!(service.messages(first.id).await.len(), 3);

    // Still nothing changes while it is assigned, even with a longer transcript.
    let (status, json) = service.claim(&service.alice, first.id).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let head = service.handle.store().head_cursor();
    let mut longer = body.clone();
    longer["transcript"].as_array_mut().unwrap().push(json!({"role": "customer", "text": "hello??"}));
    let (status, json) = intake_json(&service, HANDOFFS, &longer).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let result = result_of(json);
    assert!(!result.created);
    assert_eq!(result.conversation.id, first.id);
    assert_eq!(result.conversation.status, ConversationStatus::Assigned);
    assert_eq!(result.conversation.assignee.map(|a| a.id), Some(service.alice_id));
    assert_eq!(service.handle.store().head_cursor(), head);
    assert_eq!(all_conversations(&service).await.len(), 1);
    assert_eq!(service.messages(first.id).await.len(), 3, "no extra messages");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalating_again_after_back_to_bot_reopens_the_same_conversation() {
    let service = TestService::start().await;
    let t0 = Utc::now() - ChronoDuration::minutes(30);
    let mut lines = vec![
        ("customer", "Where is my order?", t0),
        ("bot", "It ships tomorrow.", t0 + ChronoDuration::seconds(3)),
        ("customer", "agent please", t0 + ChronoDuration::seconds(20)),
    ];
    let (status, json) =
        intake_json(&service, HANDOFFS, &handoff_with("web-again", "explicit_request", "agent please", &lines)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let id = result_of(json).conversation.id;

    let (status, json) = service.claim(&service.alice, id).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (status, json) = service.send_message(&service.alice, id, "r-1", "It left the warehouse today.", false).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let (status, json) = service
        .post(&service.alice, &format!("/v1/conversations/{id}/resolve"), json!({"outcome": "back_to_bot"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let back: Conversation = serde_json::from_value(json).unwrap();
    assert_eq!(back.status, ConversationStatus::Bot);
    assert_eq!(back.assignee, None);

    let before = service.messages(id).await;
    assert_eq!(before.len(), 4);
    let last_at = before.last().unwrap().created_at;

    // The bot talks on, then escalates again with its whole transcript.
    lines.push(("bot", "Anything else?", last_at + ChronoDuration::seconds(60)));
    lines.push(("customer", "It arrived broken, human please", last_at + ChronoDuration::seconds(75)));
    let body = handoff_with("web-again", "workflow", "damaged-goods flow", &lines);
    let (status, json) = intake_json(&service, HANDOFFS, &body).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let result = result_of(json);
    assert!(!result.created);
    let reopened = result.conversation;
    assert_eq!(reopened.id, id, "the same conversation");
    assert_eq!(reopened.status, ConversationStatus::Waiting);
    assert_eq!(reopened.assignee, None);
    let handoff = reopened.handoff.clone().unwrap();
    assert_eq!(handoff.reason, HandoffReason::Workflow);
    assert_eq!(handoff.trigger, "damaged-goods flow");
    assert!(handoff.escalated_at > back.updated_at - ChronoDuration::milliseconds(1));
    assert_eq!(reopened.last_message_seq, 6);
    assert!(reopened.version > back.version);

    let after = service.messages(id).await;
    assert_eq!(after.len(), 6, "only the two new lines were appended: {after:#?}");
    assert_eq!(&after[..4], &before[..], "older messages are untouched");
    assert_eq!((after[4].seq, after[4].role, after[4].author.as_str()), (5, Role::Bot, "Bot"));
    assert_eq!(after[4].text, "Anything else?");
    assert_eq!((after[5].seq, after[5].role, after[5].author.as_str()), (6, Role::Customer, "Sam Lee"));
    assert_eq!(after[5].text, "It arrived broken, human please");

    let all = all_conversations(&service).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0], reopened);

    // A solved conversation is re-opened the same way.
    let (status, json) = service.claim(&service.bob, id).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (status, json) =
        service.post(&service.bob, &format!("/v1/conversations/{id}/resolve"), json!({"outcome": "solved"})).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["status"], "resolved");
    let last_at = service.messages(id).await.last().unwrap().created_at;
    lines.push(("customer", "One more thing", last_at + ChronoDuration::seconds(5)));
    let (status, json) =
        intake_json(&service, HANDOFFS, &handoff_with("web-again", "explicit_request", "one more", &lines)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let result = result_of(json);
    assert!(!result.created);
    assert_eq!(result.conversation.id, id);
    assert_eq!(result.conversation.status, ConversationStatus::Waiting);
    assert_eq!(result.conversation.assignee, None);
    let messages = service.messages(id).await;
    assert_eq!(messages.len(), 7);
    assert_eq!(messages[6].text, "One more thing");
    assert_eq!(all_conversations(&service).await.len(), 1);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_are_refused_and_change_nothing() {
    let service = TestService::start().await;
    let existing = service.escalate("web-existing", "Ana").await;

    let body = serde_json::to_vec(&handoff_body("web-forged", "Mallory")).unwrap();
    let now = now_secs();
    let good = signing::sign_v2(INTAKE_SECRET, now, "POST", HANDOFFS, &body);
    let tampered = String::from_utf8(body.clone()).unwrap().replace("Mallory", "Mall0ry").into_bytes();
    assert_eq!(tampered.len(), body.len());
    let hex_only = good.strip_prefix("v2=").unwrap().to_string();

    type Case<'a> = (&'a str, Vec<u8>, Vec<(&'a str, String)>);
    let cases: Vec<Case> = vec![
        ("wrong secret", body.clone(), signed(b"not-the-secret", now, &body)),
        ("tampered body", tampered, signed(INTAKE_SECRET, now, &body)),
        ("no headers", body.clone(), vec![]),
        ("no signature", body.clone(), vec![(TIMESTAMP_HEADER, now.to_string())]),
        ("no timestamp", body.clone(), vec![(SIGNATURE_HEADER, good.clone())]),
        (
            "signature without prefix",
            body.clone(),
            vec![(TIMESTAMP_HEADER, now.to_string()), (SIGNATURE_HEADER, hex_only.clone())],
        ),
        (
            "md5 prefix",
            body.clone(),
            vec![(TIMESTAMP_HEADER, now.to_string()), (SIGNATURE_HEADER, format!("md5={hex_only}"))],
        ),
        (
            "non-hex signature",
            body.clone(),
            vec![(TIMESTAMP_HEADER, now.to_string()), (SIGNATURE_HEADER, format!("v2={}", "zz".repeat(32)))],
        ),
        (
            "short signature",
            body.clone(),
            vec![(TIMESTAMP_HEADER, now.to_string()), (SIGNATURE_HEADER, good[..good.len() - 2].to_string())],
        ),
        (
            "malformed timestamp",
            body.clone(),
            vec![(TIMESTAMP_HEADER, "yesterday".to_string()), (SIGNATURE_HEADER, good.clone())],
        ),
        (
            "timestamp header differs from the signed one",
            body.clone(),
            vec![(TIMESTAMP_HEADER, (now - 1).to_string()), (SIGNATURE_HEADER, good.clone())],
        ),
        ("stale timestamp", body.clone(), signed(INTAKE_SECRET, now - 301, &body)),
        ("future timestamp", body.clone(), signed(INTAKE_SECRET, now + 400, &body)),
    ];

    let head = service.handle.store().head_cursor();
    for (case, bytes, headers) in &cases {
        let (status, json) = post_raw(&service, HANDOFFS, bytes, headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {json}");
        assert_eq!(error_code(&json), "unauthorized", "{case}: {json}");
        assert_eq!(service.handle.store().head_cursor(), head, "{case} changed the feed");
    }
    let conversations = all_conversations(&service).await;
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0].id, existing);

    // Same for customer messages: nothing is appended.
    let message = serde_json::to_vec(&json!({"role": "customer", "text": "forged"})).unwrap();
    let path = messages_path("web-existing");
    let now = now_secs();
    for (case, headers) in [
        ("wrong secret", signed_for(b"not-the-secret", now, &path, &message)),
        ("stale", signed_for(INTAKE_SECRET, now - 301, &path, &message)),
        ("future", signed_for(INTAKE_SECRET, now + 400, &path, &message)),
        ("no headers", vec![]),
    ] {
        let (status, json) = post_raw(&service, &path, &message, &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {json}");
        assert_eq!(error_code(&json), "unauthorized");
    }
    assert_eq!(service.handle.store().head_cursor(), head);
    assert_eq!(service.messages(existing).await.len(), 3);

    // The correctly signed request still goes through afterwards.
    let (status, json) = post_raw(&service, HANDOFFS, &body, &signed(INTAKE_SECRET, now_secs(), &body)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(all_conversations(&service).await.len(), 2);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_request_is_refused_a_re_signed_retry_is_idempotent_and_an_old_one_is_refused() {
    let service = TestService::start().await;
    let body = serde_json::to_vec(&handoff_body("web-replay", "Sam Lee")).unwrap();
    let headers = signed(INTAKE_SECRET, now_secs(), &body);

    let (status, json) = post_raw(&service, HANDOFFS, &body, &headers).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let first = result_of(json).conversation;
    let head = service.handle.store().head_cursor();

    // The very same bytes and headers, captured and re-sent: the signature was used.
    let (status, json) = post_raw(&service, HANDOFFS, &body, &headers).await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    assert_eq!(error_code(&json), "replayed_request");
    assert_eq!(service.handle.store().head_cursor(), head);

    // A platform's retry signs again (a new timestamp): idempotent on the external id.
    let resigned = signed(INTAKE_SECRET, now_secs() - 1, &body);
    let (status, json) = post_raw(&service, HANDOFFS, &body, &resigned).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let replay = result_of(json);
    assert!(!replay.created);
    assert_eq!(replay.conversation, first);
    assert_eq!(service.handle.store().head_cursor(), head);
    assert_eq!(all_conversations(&service).await.len(), 1);
    assert_eq!(service.messages(first.id).await.len(), 3);

    // The same body signed six minutes ago lies outside the replay window.
    let old = signed(INTAKE_SECRET, now_secs() - 360, &body);
    let (status, json) = post_raw(&service, HANDOFFS, &body, &old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert_eq!(error_code(&json), "unauthorized");
    let fresh = serde_json::to_vec(&handoff_body("web-replay-2", "Kim")).unwrap();
    let (status, json) = post_raw(&service, HANDOFFS, &fresh, &signed(INTAKE_SECRET, now_secs() - 360, &fresh)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert_eq!(service.handle.store().head_cursor(), head);
    assert_eq!(all_conversations(&service).await.len(), 1);

    // Inside the window (four minutes ago) is still accepted.
    let (status, json) = post_raw(&service, HANDOFFS, &fresh, &signed(INTAKE_SECRET, now_secs() - 240, &fresh)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(all_conversations(&service).await.len(), 2);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_messages_after_the_handoff() {
    let service = TestService::start().await;
    let id = service.escalate("web-msg", "Sam Lee").await;
    let path = messages_path("web-msg");

    let (status, json) = intake_json(&service, &path, &json!({"role": "customer", "text": "Any news?"})).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let message: Message = serde_json::from_value(json).unwrap();
    assert_eq!(message.conversation_id, id);
    assert_eq!(message.seq, 4);
    assert_eq!(message.role, Role::Customer);
    assert_eq!(message.author, "Sam Lee");
    assert_eq!(message.text, "Any news?");
    assert!(!message.private);
    assert_eq!(message.client_id, None);

    let (status, json) =
        intake_json(&service, &path, &json!({"role": "bot", "text": "An agent will be with you."})).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!((json["seq"].as_i64(), json["author"].as_str()), (Some(5), Some("Bot")));

    let messages = service.messages(id).await;
    assert_eq!(messages.len(), 5);
    assert_eq!(messages[3], message);
    assert_eq!(conversation(&service, id).await.last_message_seq, 5);

    let head = service.handle.store().head_cursor();
    let (status, json) =
        intake_json(&service, &messages_path("no-such-conversation"), &json!({"role": "customer", "text": "hi"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    assert_eq!(error_code(&json), "not_found");

    let (status, json) = intake_json(&service, &path, &json!({"role": "agent", "text": "I am an agent"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    assert_eq!(error_code(&json), "invalid_role");

    for text in ["", "   \n\t"] {
        let (status, json) = intake_json(&service, &path, &json!({"role": "customer", "text": text})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text:?}: {json}");
        assert_eq!(error_code(&json), "empty_text");
    }

    let (status, json) =
        intake_json(&service, &path, &json!({"role": "customer", "text": "hi", "unexpected": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");

    let (status, json) = service.intake_raw(&path, b"{not json", None, INTAKE_SECRET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    assert_eq!(error_code(&json), "invalid_json");

    let unsigned = serde_json::to_vec(&json!({"role": "customer", "text": "unsigned"})).unwrap();
    let (status, json) = post_raw(&service, &path, &unsigned, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    assert_eq!(error_code(&json), "unauthorized");

    assert_eq!(service.handle.store().head_cursor(), head, "refused messages changed nothing");
    assert_eq!(service.messages(id).await.len(), 5);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_without_a_secret_is_unavailable() {
    let service = TestService::start_with(|config| config.intake_secret = None).await;
    let head = service.handle.store().head_cursor();
    let body = serde_json::to_vec(&handoff_body("web-off", "Sam Lee")).unwrap();
    let (status, json) = service.intake_raw(HANDOFFS, &body, None, INTAKE_SECRET).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    assert_eq!(error_code(&json), "unavailable");

    let message = serde_json::to_vec(&json!({"role": "customer", "text": "hello"})).unwrap();
    let (status, json) = service.intake_raw(&messages_path("web-off"), &message, None, INTAKE_SECRET).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    assert_eq!(error_code(&json), "unavailable");

    let (status, json) = post_raw(&service, HANDOFFS, &body, &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");

    assert_eq!(service.handle.store().head_cursor(), head);
    assert!(all_conversations(&service).await.is_empty());
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_customer_text_round_trips_byte_for_byte() {
    let service = TestService::start().await;
    let html = r#"<script>alert("pwned")</script><img src=x onerror="alert(1)"> &amp; &lt;b&gt; ' " \ </div>"#;
    let mut body = handoff_body("web-text", "Ünïcødé <b>Name</b>");
    body["transcript"][0]["text"] = json!(html);
    let (status, json) = intake_json(&service, HANDOFFS, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let id = result_of(json).conversation.id;
    let path = messages_path("web-text");

    let emoji_64k = "😀".repeat(16_384);
    assert_eq!(emoji_64k.len(), MAX_TEXT_BYTES);
    let family = "👩\u{200D}👩\u{200D}👧\u{200D}👦";
    let families = family.repeat(MAX_TEXT_BYTES / family.len());
    assert!(families.len() <= MAX_TEXT_BYTES);
    let texts: Vec<String> = vec![
        html.to_string(),
        "before\u{0000}after\u{0000}".to_string(),
        "\u{200F}שלום\u{202E}cba\u{202C} \u{200E}abc \u{2067}مرحبا\u{2069}".to_string(),
        "e\u{0301}\u{0301}\u{0301} Z\u{0351}\u{0360}\u{0361}a\u{0489}l\u{0334}g\u{0338}o n\u{0303}".to_string(),
        "\u{FEFF}  leading and trailing  \r\n\tspace\u{00A0}\n".to_string(),
        "\u{1F}\u{7F}\u{2028}\u{2029}\u{FFFD}".to_string(),
        emoji_64k.clone(),
        families.clone(),
    ];
    let mut sent = Vec::new();
    for text in &texts {
        let (status, json) = intake_json(&service, &path, &json!({"role": "customer", "text": text})).await;
        assert_eq!(status, StatusCode::CREATED, "{} bytes: {json}", text.len());
        let message: Message = serde_json::from_value(json).unwrap();
        assert_eq!(message.text.as_bytes(), text.as_bytes(), "the answer echoes the text as sent");
        sent.push(message);
    }

    let messages = service.messages(id).await;
    assert_eq!(messages.len(), 3 + texts.len());
    assert_eq!(messages[0].text.as_bytes(), html.as_bytes(), "transcript text is kept too");
    for (stored, text) in messages[3..].iter().zip(&texts) {
        assert_eq!(stored.text.as_bytes(), text.as_bytes(), "seq {} was altered", stored.seq);
        assert_eq!(stored.author, "Ünïcødé <b>Name</b>");
    }
    assert_eq!(&messages[3..], &sent[..]);

    // One byte over the limit is refused, from intake messages and from transcripts alike.
    let head = service.handle.store().head_cursor();
    let too_long = format!("{emoji_64k}a");
    assert_eq!(too_long.len(), MAX_TEXT_BYTES + 1);
    let (status, json) = intake_json(&service, &path, &json!({"role": "customer", "text": too_long})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    assert_eq!(error_code(&json), "text_too_long");
    let mut long_handoff = handoff_body("web-too-long", "Sam Lee");
    long_handoff["transcript"][1]["text"] = json!(too_long);
    let (status, json) = intake_json(&service, HANDOFFS, &long_handoff).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    assert_eq!(error_code(&json), "text_too_long");
    assert_eq!(service.handle.store().head_cursor(), head);
    assert_eq!(service.messages(id).await.len(), 3 + texts.len());
    assert_eq!(all_conversations(&service).await.len(), 1);
    service.handle.shutdown().await;
}
