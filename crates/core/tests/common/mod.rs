//! Harness: a real `handoff-service` on 127.0.0.1 (stoppable, restartable on the same address
//! and database), engines with their own data dirs, and a proxy that can lose answers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use handoff_core::{CoreEvent, Engine};
use handoff_protocol::*;
use handoff_service::store::IssuedToken;
use handoff_service::{ServiceConfig, ServiceHandle, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub addr: SocketAddr,
    service: Option<ServiceHandle>,
    pub alice: IssuedToken,
    pub bob: IssuedToken,
    external: AtomicUsize,
}

pub fn config(db: PathBuf, addr: SocketAddr) -> ServiceConfig {
    let mut config = ServiceConfig::new(db, addr);
    config.wait_notice_after = None;
    config.heartbeat = Duration::from_millis(500);
    config
}

impl Harness {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("service.sqlite");
        let service = handoff_service::start(config(db.clone(), "127.0.0.1:0".parse().unwrap())).await.expect("start");
        let alice = service.store().add_agent("Alice").unwrap();
        let bob = service.store().add_agent("Bob").unwrap();
        let addr = service.addr();
        Self { dir, db, addr, service: Some(service), alice, bob, external: AtomicUsize::new(0) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &dyn Store {
        self.service.as_ref().expect("the service is running").store().as_ref()
    }

    /// The service's store, for threads of their own.
    pub fn store_handle(&self) -> Arc<dyn Store> {
        self.service.as_ref().expect("the service is running").store().clone()
    }

    pub fn alice_ref(&self) -> AgentRef {
        self.alice.agent.clone()
    }

    /// Stops the service gracefully (in-flight requests finish, streams end).
    pub async fn stop(&mut self) {
        if let Some(service) = self.service.take() {
            service.shutdown().await;
        }
    }

    /// Stops the service the way a crash would.
    pub async fn kill(&mut self) {
        if let Some(service) = self.service.take() {
            service.abort().await;
        }
    }

    /// Starts the service again on the same address and database.
    pub async fn restart(&mut self) {
        assert!(self.service.is_none(), "stop it first");
        let mut last_error = None;
        for _ in 0..50 {
            match handoff_service::start(config(self.db.clone(), self.addr)).await {
                Ok(service) => {
                    self.service = Some(service);
                    return;
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the service did not restart: {last_error:?}");
    }

    pub fn is_running(&self) -> bool {
        self.service.is_some()
    }

    /// An engine with its own data dir, signed in as Alice (or `token`) for this session.
    pub fn engine(&self, name: &str) -> Arc<Engine> {
        self.engine_as(name, &self.alice.token, &self.url())
    }

    pub fn engine_as(&self, name: &str, token: &str, url: &str) -> Arc<Engine> {
        let engine = Engine::open(&self.dir.path().join(name)).expect("engine opens");
        engine.use_credentials(url, token).expect("credentials");
        engine
    }

    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Escalates a new conversation; returns its id.
    pub fn escalate(&self, customer: &str) -> i64 {
        let n = self.external.fetch_add(1, Ordering::SeqCst);
        self.escalate_with(&format!("ext-{n}-{customer}"), customer, Priority::Normal)
    }

    pub fn escalate_with(&self, external_id: &str, customer: &str, priority: Priority) -> i64 {
        let handoff = IntakeHandoff {
            external_id: external_id.to_string(),
            channel: "web".into(),
            customer: Customer {
                id: format!("c-{customer}"),
                name: customer.to_string(),
                email: None,
                phone: None,
                vip: false,
                account_value: None,
            },
            reason: HandoffReason::ExplicitRequest,
            trigger: "customer typed 'human'".into(),
            priority,
            summary: None,
            topic: None,
            transcript: vec![
                TranscriptEntry {
                    role: Role::Customer,
                    text: format!("Hi, I'm {customer} and I need help"),
                    at: None,
                    message_id: None,
                },
                TranscriptEntry {
                    role: Role::Bot,
                    text: "Let me get a human for you.".into(),
                    at: None,
                    message_id: None,
                },
            ],
        };
        self.store().intake_handoff(&handoff).expect("escalation").conversation.id
    }

    pub fn customer_says(&self, id: i64, text: &str) {
        let external_id = self.store().conversation(id).unwrap().external_id;
        self.store()
            .intake_message(
                &external_id,
                &IntakeMessage { role: Role::Customer, text: text.into(), at: None, message_id: None },
            )
            .unwrap();
    }

    /// Every conversation and message the service has.
    pub fn service_state(&self) -> (Vec<Conversation>, BTreeMap<i64, Vec<Message>>) {
        let conversations = self.store().list_conversations(None, 0, 5000).unwrap().conversations;
        let messages =
            conversations.iter().map(|c| (c.id, self.store().messages(c.id, 0, 5000).unwrap().messages)).collect();
        (conversations, messages)
    }

    /// Asserts the engine's cache holds exactly what the service holds.
    pub fn assert_converged(&self, engine: &Engine) {
        let (conversations, messages) = self.service_state();
        let cached = engine.store().conversations().unwrap();
        assert_eq!(cached.len(), conversations.len(), "conversation count");
        for (mine, theirs) in cached.iter().zip(&conversations) {
            assert_eq!(mine, theirs, "conversation {}", theirs.id);
            let cached_messages = engine.store().messages(theirs.id).unwrap();
            assert_eq!(&cached_messages, &messages[&theirs.id], "messages of conversation {}", theirs.id);
        }
    }
}

/// Waits for an event matching `pred`, up to `timeout`.
pub async fn wait_for_event(
    events: &mut tokio::sync::broadcast::Receiver<CoreEvent>,
    timeout: Duration,
    mut pred: impl FnMut(&CoreEvent) -> bool,
) -> Option<CoreEvent> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return None,
            Ok(Ok(event)) if pred(&event) => return Some(event),
            Ok(Ok(_)) => {}
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(_)) => return None,
        }
    }
}

/// Polls `check` until it holds or `timeout` passes.
pub async fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    check()
}

/// A TCP proxy in front of the service that can swallow answers: the request reaches the
/// service and is committed, but the client never hears back — a lost acknowledgement.
pub struct LossyProxy {
    pub addr: SocketAddr,
    swallow: Arc<AtomicUsize>,
}

impl LossyProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let swallow = Arc::new(AtomicUsize::new(0));
        let counter = swallow.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream_pump = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                    });
                    let mut buffer = vec![0u8; 64 * 1024];
                    loop {
                        let n = match server_read.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let swallow =
                            counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1)).is_ok();
                        if swallow {
                            // Drop the connection: the answer never arrives.
                            break;
                        }
                        if client_write.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                    upstream_pump.abort();
                });
            }
        });
        Self { addr, swallow }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `n` answers are swallowed.
    pub fn swallow_next(&self, n: usize) {
        self.swallow.store(n, Ordering::SeqCst);
    }
}
