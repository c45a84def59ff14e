//! Every kind of bad input gets a 4xx with `{"error": {"code", "message"}}` and changes nothing.

mod common;

use common::*;
use handoff_protocol::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: StatusCode,
    code: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_4xx_json_and_change_nothing() {
    let service = TestService::start().await;
    let id = service.escalate("web-1", "Sam").await;
    service.claim(&service.alice, id).await;
    let messages = format!("/v1/conversations/{id}/messages");
    let json_body = |v: serde_json::Value| v.to_string().into_bytes();
    let case = |name, method, path: &str, body: Vec<u8>, status, code| Case {
        name,
        method,
        path: path.to_string(),
        content_type: Some("application/json"),
        body,
        status,
        code,
    };
    let cases = vec![
        case(
            "malformed JSON",
            Method::POST,
            &messages,
            b"{\"text\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        case("not JSON at all", Method::POST, &messages, b"hello".to_vec(), StatusCode::BAD_REQUEST, "invalid_json"),
        case("empty body", Method::POST, &messages, Vec::new(), StatusCode::BAD_REQUEST, "invalid_json"),
        case(
            "invalid UTF-8 in a string",
            Method::POST,
            &messages,
            b"{\"text\": \"caf\xe9\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_utf8",
        ),
        case(
            "wrong type",
            Method::POST,
            &messages,
            json_body(json!({"text": 42})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        case(
            "missing field",
            Method::POST,
            &messages,
            json_body(json!({"private": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        case(
            "unknown field",
            Method::POST,
            &messages,
            json_body(json!({"text": "hi", "html": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        case(
            "empty text",
            Method::POST,
            &messages,
            json_body(json!({"text": ""})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
        ),
        case(
            "blank text",
            Method::POST,
            &messages,
            json_body(json!({"text": " \n\t "})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
        ),
        case(
            "text over 64 KiB",
            Method::POST,
            &messages,
            json_body(json!({"text": "a".repeat(MAX_TEXT_BYTES + 1)})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text_too_long",
        ),
        case(
            "body over 256 KiB",
            Method::POST,
            &messages,
            json_body(json!({"text": "a".repeat(MAX_BODY_BYTES + 10)})),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        case(
            "unknown conversation",
            Method::POST,
            "/v1/conversations/999999/messages",
            json_body(json!({"text": "hi"})),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        case(
            "non-numeric id",
            Method::GET,
            "/v1/conversations/abc",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        case(
            "id overflow",
            Method::GET,
            "/v1/conversations/99999999999999999999",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        case("unknown id", Method::GET, "/v1/conversations/424242", Vec::new(), StatusCode::NOT_FOUND, "not_found"),
        case(
            "messages of unknown id",
            Method::GET,
            "/v1/conversations/424242/messages",
            Vec::new(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        case(
            "bad status filter",
            Method::GET,
            "/v1/conversations?status=open",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        case(
            "bad limit",
            Method::GET,
            "/v1/conversations?limit=-1",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        case("bad after", Method::GET, "/v1/changes?after=x", Vec::new(), StatusCode::BAD_REQUEST, "invalid_query"),
        case(
            "negative cursor",
            Method::GET,
            "/v1/changes?after=-5",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        ),
        case("unknown route", Method::GET, "/v1/nope", Vec::new(), StatusCode::NOT_FOUND, "not_found"),
        case(
            "wrong method",
            Method::DELETE,
            "/v1/conversations",
            Vec::new(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        case(
            "resolve with unknown outcome",
            Method::POST,
            &format!("/v1/conversations/{id}/resolve"),
            json_body(json!({"outcome": "deleted"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        case(
            "transfer with a string id",
            Method::POST,
            &format!("/v1/conversations/{id}/transfer"),
            json_body(json!({"agent_id": "Bob"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        case(
            "presence as a number",
            Method::PUT,
            "/v1/agents/me/presence",
            json_body(json!({"presence": 1})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
    ];

    let before_head = service.store().head_cursor();
    let before = service.store().conversation(id).unwrap();
    for case in cases {
        let mut request =
            service.http.request(case.method.clone(), service.url(&case.path)).bearer_auth(&service.alice);
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.body(case.body).send().await.unwrap();
        let (status, body) = read(response).await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(error_code(&body), case.code, "{}: {body}", case.name);
    }
    assert_eq!(service.store().head_cursor(), before_head, "a refused request changed the feed");
    assert_eq!(service.store().conversation(id).unwrap(), before);

    // Idempotency keys: too long, or not text.
    let (status, body) = service.send_message(&service.alice, id, &"k".repeat(201), "hi", false).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::BAD_REQUEST, "invalid_idempotency_key"));
    let response = service
        .http
        .post(service.url(&messages))
        .bearer_auth(&service.alice)
        .header("Idempotency-Key", reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap())
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::BAD_REQUEST, "invalid_idempotency_key"));
    assert_eq!(service.store().head_cursor(), before_head);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_unicode_text_round_trips_byte_for_byte() {
    let service = TestService::start().await;
    let id = service.escalate("web-1", "Zoë Müller").await;
    service.claim(&service.alice, id).await;
    let emoji_wall = "😀".repeat(MAX_TEXT_BYTES / 4);
    assert_eq!(emoji_wall.len(), MAX_TEXT_BYTES);
    let texts = [
        "<script>alert('x')</script><img src=x onerror=alert(1)>".to_string(),
        "nul\u{0}byte and \u{7}bell and \u{1b}[31mred".to_string(),
        "\u{202e}reversed\u{202c} עברית العربية".to_string(),
        "e\u{301} vs é, ﬁ ligature, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, 👩‍👩‍👧‍👦".to_string(),
        "  leading and trailing spaces \r\n kept  ".to_string(),
        emoji_wall,
    ];
    for (i, text) in texts.iter().enumerate() {
        let (status, body) = service.send_message(&service.alice, id, &format!("k{i}"), text, false).await;
        assert_eq!(status, StatusCode::CREATED, "text {i}: {body}");
        assert_eq!(body["text"].as_str().unwrap(), text);
    }
    let stored = service.messages(id).await;
    let agent_texts: Vec<&str> = stored.iter().filter(|m| m.role == Role::Agent).map(|m| m.text.as_str()).collect();
    assert_eq!(agent_texts, texts.iter().map(String::as_str).collect::<Vec<_>>());
    let (_, json) = service.get(&service.alice, &format!("/v1/conversations/{id}")).await;
    assert_eq!(json["customer"]["name"], "Zoë Müller");
    service.handle.shutdown().await;
}
