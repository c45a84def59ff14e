//! Starting and stopping the service: the HTTP listener plus its background tasks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use handoff_protocol::signing::V1Policy;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::activity::{ActivityBoard, ActivityConfig};
use crate::api::{router, AppState};
use crate::connections::{self, ConnectionLimits};
use crate::demo::{self, SimulatorConfig};
use crate::store::{SqliteStore, Store, StoreOptions};
use crate::wait_notice;
use crate::webhook::{self, WebhookConfig};

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub db_path: PathBuf,
    pub addr: SocketAddr,
    /// Shared secret of the intake webhooks; intake answers 503 without one.
    pub intake_secret: Option<Vec<u8>>,
    /// Also accept v1 intake signatures (timestamp and body only). Deprecated: a v1 request can
    /// be moved to another conversation's path; only for platforms not yet moved to v2.
    pub accept_v1_intake_signatures: bool,
    /// Intake signatures remembered inside the replay window at most.
    pub intake_replay_capacity: usize,
    /// Where agent replies are posted for the bot platform.
    pub webhook: Option<WebhookConfig>,
    /// Post the estimated-wait notice when a conversation waits this long unclaimed.
    pub wait_notice_after: Option<Duration>,
    /// The shortest time between two wait notices of one conversation; an agent asking sooner
    /// gets 429 with `Retry-After`.
    pub wait_notice_interval: Duration,
    /// Heartbeat interval of idle change streams.
    pub heartbeat: Duration,
    /// How many change-feed records are kept; older cursors get 410.
    pub feed_retention: u64,
    /// How often the feed is pruned to `feed_retention`.
    pub prune_every: Duration,
    /// Seed the demo workspace into an empty database.
    pub seed_demo: bool,
    pub simulator: Option<SimulatorConfig>,
    /// Open change streams one agent may hold at once; more get 429.
    pub max_streams_per_agent: usize,
    /// Timeouts and caps on what the network may ask of the service.
    pub limits: ConnectionLimits,
    /// How long presence inside a conversation lasts without a new post.
    pub activity: ActivityConfig,
}

impl ServiceConfig {
    pub fn new(db_path: PathBuf, addr: SocketAddr) -> Self {
        Self {
            db_path,
            addr,
            intake_secret: None,
            accept_v1_intake_signatures: false,
            intake_replay_capacity: crate::replay::DEFAULT_REPLAY_CAPACITY,
            webhook: None,
            wait_notice_after: Some(Duration::from_secs(60)),
            wait_notice_interval: Duration::from_secs(60),
            heartbeat: Duration::from_secs(10),
            feed_retention: 1_000_000,
            prune_every: Duration::from_secs(60),
            seed_demo: false,
            simulator: None,
            max_streams_per_agent: crate::access::DEFAULT_STREAMS_PER_AGENT,
            limits: ConnectionLimits::default(),
            activity: ActivityConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Open(#[from] crate::store::OpenError),
    #[error("cannot listen on {addr}: {source} (is another service using the port? try --addr 127.0.0.1:0)")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("seeding the demo workspace failed: {0}")]
    Demo(#[from] crate::error::ServiceError),
}

/// A running service. Dropping it without `shutdown` leaves the tasks running until the
/// runtime ends.
pub struct ServiceHandle {
    addr: SocketAddr,
    store: Arc<SqliteStore>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl ServiceHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &Arc<SqliteStore> {
        &self.store
    }

    /// Stops accepting connections, ends open streams and background tasks, and waits for
    /// in-flight requests to finish. When it returns, the database is closed: on Windows an open
    /// file cannot be moved, replaced or deleted, so an admin (or a test) may do that next.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
        self.release_store().await;
    }

    /// Waits (briefly) until nothing but this handle holds the store — the tasks of the last
    /// connections drop their copy of the router a moment after they end — and closes it.
    async fn release_store(self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.store) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if Arc::strong_count(&self.store) > 1 {
            tracing::warn!("the database is still in use after shutdown; it closes when the last user ends");
        }
        let store = self.store;
        // SQLite's close may wait for the disk (WAL checkpoint); keep it off the async threads.
        let _ = tokio::task::spawn_blocking(move || drop(store)).await;
    }

    /// Stops at once, the way a crash would: in-flight requests are dropped.
    pub async fn abort(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Resolves when every task has ended (after a shutdown signal).
    pub async fn wait(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }

    /// A sender that triggers `shutdown` from elsewhere (signal handlers).
    pub fn shutdown_trigger(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Opens the database, binds the address and starts serving.
pub async fn start(config: ServiceConfig) -> Result<ServiceHandle, StartError> {
    let options = StoreOptions { outbound_webhooks: config.webhook.is_some(), ..StoreOptions::default() };
    let db_path = config.db_path.clone();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&db_path, options))
        .await
        .map_err(|e| crate::error::ServiceError::Internal(e.to_string()))??;
    let store = Arc::new(store);
    let dyn_store: Arc<dyn Store> = store.clone();
    if config.seed_demo {
        let seed_store = dyn_store.clone();
        tokio::task::spawn_blocking(move || demo::seed_if_empty(seed_store.as_ref()))
            .await
            .map_err(|e| crate::error::ServiceError::Internal(e.to_string()))??;
    }

    let listener =
        TcpListener::bind(config.addr).await.map_err(|source| StartError::Bind { addr: config.addr, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.addr, source })?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let (access, revocation_watch) =
        crate::access::Access::start(dyn_store.clone(), config.max_streams_per_agent, shutdown_rx.clone());
    tasks.spawn(revocation_watch);
    if config.accept_v1_intake_signatures {
        tracing::warn!(
            "accepting deprecated v1 intake signatures: they cover only timestamp and body, so a captured \
             request can be posted to another conversation's path. Move the platform to v2 signatures \
             (docs/api.md) and drop --accept-v1-intake-signatures; v1 intake support will be removed"
        );
    }
    let intake = crate::api::intake::IntakeAuth {
        secret: config.intake_secret.clone(),
        v1: if config.accept_v1_intake_signatures { V1Policy::Accept } else { V1Policy::Refuse },
        replays: crate::replay::ReplayCache::new(config.intake_replay_capacity),
    };
    let activity = ActivityBoard::new(config.activity.clone());
    tasks.spawn(activity.clone().run_sweeper(access.revoked_agents(), shutdown_rx.clone()));
    let state = AppState {
        store: dyn_store.clone(),
        intake: Arc::new(intake),
        heartbeat: config.heartbeat,
        shutdown: shutdown_rx.clone(),
        access,
        wait_notice_interval: config.wait_notice_interval,
        activity,
    };

    let app = router(state);
    tasks.spawn(connections::serve(listener, app, config.limits.clone(), shutdown_rx.clone()));
    if let Some(webhook) = config.webhook.clone() {
        tasks.spawn(webhook::run_worker(dyn_store.clone(), webhook, shutdown_rx.clone()));
    }
    if let Some(after) = config.wait_notice_after {
        tasks.spawn(wait_notice::run(dyn_store.clone(), after, shutdown_rx.clone()));
    }
    tasks.spawn(prune_feed(dyn_store.clone(), config.feed_retention, config.prune_every, shutdown_rx.clone()));
    if let Some(simulator) = config.simulator.clone() {
        tasks.spawn(demo::run_simulator(dyn_store.clone(), simulator, shutdown_rx.clone()));
    }
    tracing::info!(%addr, db = %config.db_path.display(), "handoff-service started");
    Ok(ServiceHandle { addr, store, shutdown: shutdown_tx, tasks })
}

async fn prune_feed(store: Arc<dyn Store>, keep: u64, every: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep(every) => {}
        }
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.prune_changes(keep)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "pruned the change feed"),
            Ok(Err(error)) => tracing::error!(%error, "pruning the change feed failed"),
            Err(error) => tracing::error!(%error, "the prune task failed"),
        }
    }
}
