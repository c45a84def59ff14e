//! Shared harness: a real service on 127.0.0.1:0 with a real SQLite file, and HTTP helpers.
#![allow(dead_code)]

use std::time::Duration;

use handoff_protocol::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use handoff_protocol::*;
use handoff_service::{ServiceConfig, ServiceHandle, Store};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const INTAKE_SECRET: &[u8] = b"test-intake-secret";

pub struct TestService {
    pub handle: ServiceHandle,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// Tokens of the agents "Alice" and "Bob".
    pub alice: String,
    pub bob: String,
    pub alice_id: i64,
    pub bob_id: i64,
}

/// A config for a fresh database in `dir`, intake enabled, wait notices off.
pub fn config_in(dir: &std::path::Path) -> ServiceConfig {
    let mut config = ServiceConfig::new(dir.join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.intake_secret = Some(INTAKE_SECRET.to_vec());
    config.wait_notice_after = None;
    config.heartbeat = Duration::from_millis(300);
    config
}

impl TestService {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut ServiceConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = config_in(dir.path());
        adjust(&mut config);
        let handle = handoff_service::start(config).await.expect("service starts");
        let alice = handle.store().add_agent("Alice").expect("add Alice");
        let bob = handle.store().add_agent("Bob").expect("add Bob");
        Self {
            handle,
            dir,
            http: reqwest::Client::new(),
            alice_id: alice.agent.id,
            bob_id: bob.agent.id,
            alice: alice.token,
            bob: bob.token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    pub fn store(&self) -> &dyn Store {
        self.handle.store().as_ref()
    }

    /// An authenticated request; returns status and JSON body (Null when empty).
    pub async fn call(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the service");
        read(response).await
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(token, Method::GET, path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(token, Method::POST, path, Some(body)).await
    }

    /// POST a message with an idempotency key.
    pub async fn send_message(
        &self,
        token: &str,
        id: i64,
        key: &str,
        text: &str,
        private: bool,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(&format!("/v1/conversations/{id}/messages")))
            .bearer_auth(token)
            .header(IDEMPOTENCY_KEY_HEADER, key)
            .json(&serde_json::json!({"text": text, "private": private}))
            .send()
            .await
            .expect("request reaches the service");
        read(response).await
    }

    /// A v2-signed intake POST of raw bytes, signed at `timestamp` (default now).
    pub async fn intake_raw(
        &self,
        path: &str,
        body: &[u8],
        timestamp: Option<i64>,
        secret: &[u8],
    ) -> (StatusCode, Value) {
        let timestamp = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp() - next_signing_offset());
        let response = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signing::sign_v2(secret, timestamp, "POST", path, body))
            .body(body.to_vec())
            .send()
            .await
            .expect("request reaches the service");
        read(response).await
    }

    /// Escalates a conversation through the signed intake; returns its id.
    pub async fn escalate(&self, external_id: &str, customer: &str) -> i64 {
        let body = handoff_body(external_id, customer);
        let (status, json) =
            self.intake_raw("/v1/intake/handoffs", body.to_string().as_bytes(), None, INTAKE_SECRET).await;
        assert!(status.is_success(), "escalation failed: {status} {json}");
        json["conversation"]["id"].as_i64().expect("conversation id")
    }

    pub async fn claim(&self, token: &str, id: i64) -> (StatusCode, Value) {
        self.post(token, &format!("/v1/conversations/{id}/claim"), Value::Null).await
    }

    pub async fn messages(&self, id: i64) -> Vec<Message> {
        let (status, json) = self.get(&self.alice, &format!("/v1/conversations/{id}/messages?limit=5000")).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        serde_json::from_value::<MessagesPage>(json).expect("messages page").messages
    }

    pub async fn all_changes(&self) -> Vec<Change> {
        let mut after = 0;
        let mut all = Vec::new();
        loop {
            let (status, json) = self.get(&self.alice, &format!("/v1/changes?after={after}&limit=1000")).await;
            assert_eq!(status, StatusCode::OK, "{json}");
            let page: ChangesPage = serde_json::from_value(json).expect("changes page");
            all.extend(page.changes);
            after = page.next_after;
            if !page.has_more {
                return all;
            }
        }
    }
}

/// Seconds to sign "now" in the past by, different on every call: the service refuses a signed
/// request it has seen (409 `replayed_request`), and a platform that sends the same body again
/// (a retry, a repeated escalation) signs it again at another time, which tests sending the same
/// body twice within a second imitate this way. Stays far inside the 300 s window.
pub fn next_signing_offset() -> i64 {
    static CALLS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 120
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.expect("body");
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    (status, json)
}

pub fn handoff_body(external_id: &str, customer: &str) -> Value {
    serde_json::json!({
        "external_id": external_id,
        "channel": "web",
        "customer": {"id": format!("c-{external_id}"), "name": customer, "email": "sam@example.com", "phone": null, "vip": false},
        "reason": "explicit_request",
        "trigger": "customer typed 'human'",
        "priority": "normal",
        "summary": "Asks about switching to annual billing",
        "topic": "annual billing",
        "transcript": [
            {"role": "customer", "text": "Can I switch to annual billing?", "at": "2026-11-25T10:00:00Z"},
            {"role": "bot", "text": "You can change your plan in Settings.", "at": "2026-11-25T10:00:02Z"},
            {"role": "customer", "text": "human", "at": "2026-11-25T10:00:10Z"}
        ]
    })
}

/// Asserts the standard error shape and returns its code.
pub fn error_code(json: &Value) -> String {
    let code = json["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code in {json}"));
    let message = json["error"]["message"].as_str().unwrap_or_else(|| panic!("no error.message in {json}"));
    assert!(!message.is_empty());
    code.to_string()
}

/// Server-Sent Events read from a streaming response.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

#[derive(Debug, Clone, Default)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    /// A comment line (heartbeat) rather than an event.
    pub comment: Option<String>,
}

impl SseReader {
    pub async fn open(
        service: &TestService,
        token: &str,
        query: &str,
        last_event_id: Option<i64>,
    ) -> Result<Self, (StatusCode, Value)> {
        let mut request = service.http.get(service.url(&format!("/v1/changes/stream{query}"))).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.expect("stream request");
        if response.status() != StatusCode::OK {
            return Err(read(response).await);
        }
        Ok(Self { response, buffer: String::new() })
    }

    /// The next event or comment, or None on end of stream / timeout.
    pub async fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent::default();
                for line in block.lines() {
                    if let Some(rest) = line.strip_prefix(':') {
                        event.comment = Some(rest.trim().to_string());
                    } else if let Some((field, value)) = line.split_once(':') {
                        let value = value.strip_prefix(' ').unwrap_or(value);
                        match field {
                            "id" => event.id = Some(value.to_string()),
                            "event" => event.event = Some(value.to_string()),
                            "data" => event.data.push_str(value),
                            _ => {}
                        }
                    }
                }
                return Some(event);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `change` event's record, skipping heartbeats.
    pub async fn next_change(&mut self, timeout: Duration) -> Option<Change> {
        loop {
            let event = self.next(timeout).await?;
            if event.event.as_deref() == Some("change") {
                let change: Change = serde_json::from_str(&event.data).expect("change JSON");
                assert_eq!(event.id.as_deref(), Some(change.cursor.to_string().as_str()));
                return Some(change);
            }
        }
    }
}
