//! The outbound webhook: agent replies reach a real receiver, signed, retried with the same
//! delivery id and a growing delay, in order per conversation, kept as dead letters after
//! `max_attempts` until redelivered; redirects are not followed and the URL is never shown whole.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode as AxumStatus, Uri};
use axum::response::IntoResponse;
use axum::Router;
use common::*;
use handoff_protocol::signing::{self, SignatureError, DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use handoff_protocol::*;
use handoff_service::error::ServiceError;
use handoff_service::store::DeliveryStatus;
use handoff_service::webhook::WebhookConfig;
use handoff_service::Store;
use reqwest::StatusCode;

const HOOK_SECRET: &[u8] = b"hook-secret";
const DEADLINE: Duration = Duration::from_secs(10);

/// One request the receiver got, and what it answered.
#[derive(Debug, Clone)]
struct Received {
    uri: Uri,
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn reply(&self) -> OutboundReply {
        serde_json::from_slice(&self.body).expect("the body is an OutboundReply")
    }
}

/// Answers request number `n` (from 0) with this status.
type Policy = Arc<dyn Fn(usize) -> u16 + Send + Sync>;

#[derive(Clone)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    policy: Policy,
}

impl Receiver {
    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn record(State(receiver): State<Receiver>, uri: Uri, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let mut received = receiver.received.lock().unwrap();
    let answered = (receiver.policy)(received.len());
    received.push(Received { uri, at: Instant::now(), headers, body, answered });
    AxumStatus::from_u16(answered).unwrap()
}

/// A bot-platform stand-in on 127.0.0.1:0, answering on any path; returns its URL.
async fn start_receiver(policy: impl Fn(usize) -> u16 + Send + Sync + 'static) -> (String, Receiver) {
    let receiver = Receiver { received: Arc::default(), policy: Arc::new(policy) };
    let app = Router::new().fallback(record).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hook"), receiver)
}

/// A receiver that answers every request with `status` and `Location: location`; returns its
/// URL and how many requests it got.
async fn start_redirector(status: u16, location: String) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let location = location.clone();
        async move { (AxumStatus::from_u16(status).unwrap(), [(header::LOCATION, location)]).into_response() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hook"), hits)
}

async fn start_service(url: String, adjust: impl FnOnce(&mut WebhookConfig)) -> TestService {
    let mut webhook = WebhookConfig::new(&url, Arc::from(HOOK_SECRET.to_vec())).expect("a loopback URL is accepted");
    webhook.retry_base = Duration::from_millis(50);
    adjust(&mut webhook);
    TestService::start_with(move |config| config.webhook = Some(webhook)).await
}

/// Polls the outbox until `done` holds or the deadline passes.
async fn wait_for_deliveries(service: &TestService, done: impl Fn(&[DeliveryStatus]) -> bool) -> Vec<DeliveryStatus> {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let deliveries = service.handle.store().deliveries().expect("deliveries");
        if done(&deliveries) {
            return deliveries;
        }
        assert!(tokio::time::Instant::now() < deadline, "deliveries did not settle in time: {deliveries:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn escalated_and_claimed(service: &TestService, external_id: &str) -> i64 {
    let id = service.escalate(external_id, "Sam Lee").await;
    let (status, json) = service.claim(&service.alice, id).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    id
}

async fn reply(service: &TestService, id: i64, key: &str, text: &str, private: bool) -> Message {
    let (status, json) = service.send_message(&service.alice, id, key, text, private).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    serde_json::from_value(json).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_is_retried_with_one_delivery_id_and_signed_and_notes_stay_private() {
    let (url, receiver) = start_receiver(|n| if n < 2 { 500 } else { 200 }).await;
    let service = start_service(url, |_| {}).await;
    let id = escalated_and_claimed(&service, "wa-hook").await;
    let sent = reply(&service, id, "reply-1", "Your refund is on its way.", false).await;
    let note = reply(&service, id, "note-1", "internal: finance approved the refund", true).await;
    assert!(note.private);

    let deliveries =
        wait_for_deliveries(&service, |d| d.iter().all(|d| d.delivered || d.failed) && !d.is_empty()).await;
    assert_eq!(deliveries.len(), 1, "only the public reply is queued: {deliveries:#?}");
    let delivery = &deliveries[0];
    assert_eq!(
        delivery,
        &DeliveryStatus {
            id: delivery.id.clone(),
            conversation_id: id,
            attempts: 3,
            delivered: true,
            failed: false,
            last_error: None,
        }
    );

    let received = receiver.all();
    assert_eq!(received.len(), 3, "two failures and one success: {received:#?}");
    assert_eq!(received.iter().map(|r| r.answered).collect::<Vec<_>>(), vec![500, 500, 200]);
    for (attempt, request) in received.iter().enumerate() {
        assert_eq!(request.header(DELIVERY_HEADER), Some(delivery.id.as_str()), "attempt {attempt}");
        assert_eq!(request.body, received[0].body, "attempt {attempt} sent a different body");
        assert_eq!(request.header("content-type"), Some("application/json"));
        let timestamp = request.header(TIMESTAMP_HEADER);
        let signature = request.header(SIGNATURE_HEADER);
        let now = chrono::Utc::now().timestamp();
        assert_eq!(signing::verify(HOOK_SECRET, timestamp, signature, &request.body, now), Ok(()), "attempt {attempt}");
        assert_eq!(
            signing::verify(b"other-secret", timestamp, signature, &request.body, now),
            Err(SignatureError::Mismatch),
            "the signature depends on the secret"
        );
        let payload = request.reply();
        assert_eq!(payload.delivery_id, delivery.id);
        assert_eq!(payload.external_id, "wa-hook");
        assert_eq!(payload.conversation_id, id);
        assert_eq!(payload.message, sent, "the payload carries the reply as stored");
        assert_eq!(payload.message.text, "Your refund is on its way.");
        assert_eq!(payload.message.role, Role::Agent);
        assert_eq!(payload.message.author, "Alice");
    }
    assert!(
        received.iter().all(|r| !String::from_utf8_lossy(&r.body).contains("finance approved")),
        "the private note leaked to the bot platform"
    );
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_arrive_in_seq_order_even_when_the_receiver_fails() {
    // Fails the first two requests, and once more in the middle.
    let (url, receiver) = start_receiver(|n| if matches!(n, 0 | 1 | 3) { 500 } else { 200 }).await;
    let service = start_service(url, |_| {}).await;
    let id = escalated_and_claimed(&service, "wa-order").await;
    let mut sent = Vec::new();
    for (n, text) in ["first", "second", "third"].into_iter().enumerate() {
        sent.push(reply(&service, id, &format!("order-{n}"), text, false).await);
    }
    let seqs: Vec<i64> = sent.iter().map(|m| m.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));

    let deliveries = wait_for_deliveries(&service, |d| d.len() == 3 && d.iter().all(|d| d.delivered)).await;
    assert_eq!(deliveries.iter().map(|d| d.attempts).collect::<Vec<_>>(), vec![3, 2, 1]);

    let received = receiver.all();
    assert_eq!(received.len(), 6, "{received:#?}");
    let attempted: Vec<i64> = received.iter().map(|r| r.reply().message.seq).collect();
    assert!(
        attempted.windows(2).all(|w| w[0] <= w[1]),
        "a later reply was tried before an earlier one was delivered: {attempted:?}"
    );
    let delivered: Vec<&Received> = received.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(delivered.iter().map(|r| r.reply().message.seq).collect::<Vec<_>>(), seqs);
    assert_eq!(delivered.iter().map(|r| r.reply().message.text).collect::<Vec<_>>(), vec!["first", "second", "third"]);
    for (request, delivery) in delivered.iter().zip(&deliveries) {
        assert_eq!(request.header(DELIVERY_HEADER), Some(delivery.id.as_str()));
        assert_eq!(request.reply().delivery_id, delivery.id);
    }
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_given_up_after_max_attempts() {
    let (url, receiver) = start_receiver(|_| 500).await;
    let service = start_service(url, |webhook| webhook.max_attempts = 3).await;
    let id = escalated_and_claimed(&service, "wa-down").await;
    reply(&service, id, "down-1", "Hello?", false).await;

    let deliveries = wait_for_deliveries(&service, |d| d.len() == 1 && d[0].failed).await;
    let first = &deliveries[0];
    assert_eq!(first.attempts, 3);
    assert!(!first.delivered);
    let error = first.last_error.as_deref().expect("the last error is kept");
    assert!(error.contains("500"), "{error}");
    assert_eq!(receiver.all().len(), 3);

    // A given-up delivery does not block the conversation's later replies.
    reply(&service, id, "down-2", "Still there?", false).await;
    let deliveries = wait_for_deliveries(&service, |d| d.len() == 2 && d[1].failed).await;
    assert_eq!(deliveries[0], *first, "the given-up delivery is not tried again");
    assert_eq!((deliveries[1].attempts, deliveries[1].delivered), (3, false));
    let received = receiver.all();
    assert_eq!(received.len(), 6);
    assert!(received[..3].iter().all(|r| r.reply().message.text == "Hello?"));
    assert!(received[3..].iter().all(|r| r.reply().message.text == "Still there?"));
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_receiver_is_retried_then_given_up() {
    // A port that was just free: nothing listens there.
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let service = start_service(format!("http://{addr}/hook"), |webhook| webhook.max_attempts = 2).await;
    let id = escalated_and_claimed(&service, "wa-nowhere").await;
    reply(&service, id, "nowhere-1", "Hello?", false).await;
    let deliveries = wait_for_deliveries(&service, |d| d.len() == 1 && d[0].failed).await;
    assert_eq!(deliveries[0].attempts, 2);
    let error = deliveries[0].last_error.as_deref().unwrap();
    assert!(error.contains("could not be reached"), "{error}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_from_the_platform_are_not_echoed_back_but_wait_notices_are() {
    let (url, receiver) = start_receiver(|_| 200).await;
    let service = start_service(url, |_| {}).await;

    // The platform's own lines (customer, bot and system, in the transcript and afterwards)
    // came from the platform: sending them back would echo them to the customer.
    let mut body = handoff_body("wa-echo", "Sam Lee");
    body["transcript"].as_array_mut().unwrap().push(serde_json::json!({"role": "system", "text": "sentiment -0.8"}));
    let (status, json) =
        service.intake_raw("/v1/intake/handoffs", body.to_string().as_bytes(), None, INTAKE_SECRET).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let id = json["conversation"]["id"].as_i64().unwrap();
    for line in [
        serde_json::json!({"role": "customer", "text": "still there?"}),
        serde_json::json!({"role": "bot", "text": "An agent is on the way."}),
        serde_json::json!({"role": "system", "text": "customer opened the pricing page"}),
    ] {
        let (status, json) = service
            .intake_raw("/v1/intake/conversations/wa-echo/messages", line.to_string().as_bytes(), None, INTAKE_SECRET)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
    }
    assert_eq!(service.handle.store().deliveries().unwrap(), vec![], "platform lines were queued for the platform");

    // The service's own customer-facing notice and the agent's reply do go out.
    let (status, json) =
        service.post(&service.bob, &format!("/v1/conversations/{id}/wait-notice"), serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let notice: Message = serde_json::from_value(json).unwrap();
    let (status, json) = service.claim(&service.alice, id).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let answer = reply(&service, id, "echo-1", "Hi Sam, Alice here.", false).await;

    let deliveries = wait_for_deliveries(&service, |d| d.len() == 2 && d.iter().all(|d| d.delivered)).await;
    assert!(deliveries.iter().all(|d| d.attempts == 1 && d.conversation_id == id));
    let received = receiver.all();
    assert_eq!(received.iter().map(|r| r.reply().message).collect::<Vec<_>>(), vec![notice, answer]);
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_back_off_exponentially() {
    let (url, receiver) = start_receiver(|_| 503).await;
    let service = start_service(url, |webhook| {
        webhook.retry_base = Duration::from_millis(100);
        webhook.max_attempts = 4;
    })
    .await;
    let id = escalated_and_claimed(&service, "wa-backoff").await;
    reply(&service, id, "backoff-1", "Hello?", false).await;
    wait_for_deliveries(&service, |d| d.len() == 1 && d[0].failed).await;
    let at: Vec<Instant> = receiver.all().iter().map(|r| r.at).collect();
    assert_eq!(at.len(), 4);
    // base × 2^n, less at most a fifth of jitter: at least 80, 160 and 320 ms.
    for (n, pair) in at.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        let least = Duration::from_millis(80) * 2u32.pow(n as u32);
        assert!(gap >= least, "retry {n} came after {gap:?}, before {least:?}");
    }
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_and_counts_as_a_failed_attempt() {
    let (elsewhere_url, elsewhere) = start_receiver(|_| 200).await;
    let elsewhere_port = elsewhere_url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/hook").to_string();
    let (url, hits) = start_redirector(307, format!("{elsewhere_url}/stolen?token=ELSEWHERE-SECRET")).await;
    let service = start_service(url, |webhook| webhook.max_attempts = 2).await;
    let id = escalated_and_claimed(&service, "wa-redirect").await;
    reply(&service, id, "redirect-1", "Your refund is on its way.", false).await;

    let deliveries = wait_for_deliveries(&service, |d| d.len() == 1 && d[0].failed).await;
    assert_eq!(hits.load(Ordering::SeqCst), 2, "each attempt asks the configured receiver only");
    assert!(elsewhere.all().is_empty(), "the signed reply followed the redirect: {:#?}", elsewhere.all());
    let error = deliveries[0].last_error.as_deref().unwrap();
    assert!(error.contains("307") && error.contains("redirects are not followed"), "{error}");
    assert!(error.contains(&format!("to http://127.0.0.1:{elsewhere_port}/…")), "{error}");
    assert!(!error.contains("SECRET") && !error.contains("stolen"), "{error}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_url_is_never_shown_whole() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hooks/PATH-SECRET?token=QUERY-SECRET");
    let config = WebhookConfig::new(&url, Arc::from(HOOK_SECRET.to_vec())).unwrap();
    assert_eq!(config.url().to_string(), format!("http://127.0.0.1:{port}/…"));
    let mut service_config = config_in(std::path::Path::new("/nonexistent"));
    service_config.webhook = Some(config);
    let debug = format!("{service_config:?}");
    assert!(!debug.contains("SECRET") && debug.contains(&format!("http://127.0.0.1:{port}/…")), "{debug}");
    let secret_bytes = format!("{:?}", HOOK_SECRET);
    assert!(!debug.contains(&secret_bytes[1..secret_bytes.len() - 1]), "the signing secret is in {debug}");

    // reqwest's errors name the URL; the stored error (the admin's dead-letter listing) must not.
    let service = start_service(url, |webhook| webhook.max_attempts = 1).await;
    let id = escalated_and_claimed(&service, "wa-secret-url").await;
    reply(&service, id, "secret-1", "Hello?", false).await;
    let deliveries = wait_for_deliveries(&service, |d| d.len() == 1 && d[0].failed).await;
    let error = deliveries[0].last_error.as_deref().unwrap();
    assert!(error.contains("could not be reached"), "{error}");
    assert!(!error.contains("SECRET") && !error.contains("/hooks"), "{error}");
    service.handle.shutdown().await;

    let refused = WebhookConfig::new("http://hooks.example.com/PATH-SECRET?t=QUERY-SECRET", Arc::from(&b"k"[..]))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("use https") && refused.contains("http://hooks.example.com/…"), "{refused}");
    assert!(!refused.contains("SECRET"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_kept_listed_and_redelivered_on_request() {
    let (url, receiver) = start_receiver(|n| if n < 2 { 500 } else { 200 }).await;
    let service = start_service(url, |webhook| webhook.max_attempts = 2).await;
    let id = escalated_and_claimed(&service, "wa-dead").await;
    reply(&service, id, "dead-1", "Your refund is on its way.", false).await;
    let deliveries = wait_for_deliveries(&service, |d| d.len() == 1 && d[0].failed).await;
    let delivery_id = deliveries[0].id.clone();

    // Nothing retries a dead letter on its own.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.all().len(), 2);
    let store = service.handle.store();
    let dead = store.dead_letters().unwrap();
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(
        (dead[0].id.as_str(), dead[0].conversation_id, dead[0].external_id.as_str()),
        (delivery_id.as_str(), id, "wa-dead")
    );
    assert_eq!(dead[0].attempts, 2);
    assert!(dead[0].last_error.as_deref().is_some_and(|e| e.contains("500")), "{dead:#?}");
    assert!(dead[0].failed_at >= dead[0].created_at);

    // All or nothing: an unknown id requeues nothing.
    let unknown = store.redeliver(Some(&[delivery_id.clone(), "no-such-delivery".into()])).unwrap_err();
    assert!(matches!(unknown, ServiceError::NotFound(_)), "{unknown}");
    assert!(unknown.to_string().contains("webhooks dead-letters"), "{unknown}");
    assert_eq!(store.dead_letters().unwrap(), dead);

    assert_eq!(store.redeliver(Some(std::slice::from_ref(&delivery_id))).unwrap(), vec![delivery_id.clone()]);
    let deliveries = wait_for_deliveries(&service, |d| d.len() == 1 && d[0].delivered).await;
    assert_eq!(deliveries[0].attempts, 1, "a redelivery starts a fresh count of attempts");
    assert_eq!(deliveries[0].last_error, None);
    assert!(store.dead_letters().unwrap().is_empty());
    let received = receiver.all();
    assert_eq!(received.iter().map(|r| r.answered).collect::<Vec<_>>(), vec![500, 500, 200]);
    assert!(received.iter().all(|r| r.header(DELIVERY_HEADER) == Some(delivery_id.as_str())));
    assert!(received.iter().all(|r| r.uri.path() == "/hook"));
    assert_eq!(store.redeliver(None).unwrap(), Vec::<String>::new());
    let delivered = store.redeliver(Some(std::slice::from_ref(&delivery_id))).unwrap_err();
    assert!(matches!(delivered, ServiceError::NotFound(_)), "a delivered one is not a dead letter: {delivered}");
    service.handle.shutdown().await;
}
