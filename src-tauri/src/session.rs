//! Which engine the window shows: the signed-in profile, or — with no service configured — a
//! demo workspace backed by the reference service running in this process.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use handoff_core::notifications::NotificationPolicy;
use handoff_core::{profile, CoreEvent, Engine};
use handoff_service::demo::{self, SimulatorConfig};
use handoff_service::{ServiceConfig, ServiceHandle};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::{broadcast, watch};

use crate::desktop;
use crate::types::*;

/// A running engine and, in demo mode, the service it talks to.
pub struct Session {
    pub engine: Arc<Engine>,
    pub demo_service: Option<ServiceHandle>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Subscribed before the engine starts, so the event bridge — which starts later — misses
    /// nothing the first sync publishes (a lost backlog event would be a lost notification, and
    /// the engine remembers it as announced).
    first_events: Mutex<Option<broadcast::Receiver<CoreEvent>>>,
}

impl Session {
    fn start(engine: Arc<Engine>, demo_service: Option<ServiceHandle>) -> Arc<Self> {
        let (stop, shutdown) = watch::channel(false);
        let first_events = Mutex::new(Some(engine.subscribe()));
        let task = engine.run(shutdown);
        Arc::new(Self { engine, demo_service, stop, task: Mutex::new(Some(task)), first_events })
    }

    /// The receiver made before the engine started, or a fresh one once that was taken.
    fn events(&self) -> broadcast::Receiver<CoreEvent> {
        let first = self.first_events.lock().unwrap_or_else(|p| p.into_inner()).take();
        first.unwrap_or_else(|| self.engine.subscribe())
    }

    async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

pub struct AppState {
    data_dir: PathBuf,
    session: RwLock<Arc<Session>>,
    pending_navigation: Mutex<Option<NavigateTarget>>,
    /// Bumped on every session change, so the event bridge follows the new engine.
    generation: watch::Sender<u64>,
}

fn env_configured() -> bool {
    profile::env_value(profile::SERVER_ENV).is_some() && profile::env_value(profile::TOKEN_ENV).is_some()
}

/// Seconds between simulated events in the demo (`HANDOFF_DEMO_SIMULATE_EVERY`, 0 = off).
fn demo_simulation() -> Option<SimulatorConfig> {
    let every = std::env::var("HANDOFF_DEMO_SIMULATE_EVERY").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(25.0);
    (every > 0.0).then(|| SimulatorConfig { every: Duration::from_secs_f64(every), ..Default::default() })
}

/// Starts the reference service in-process with the demo workspace, and an engine signed in
/// as the first demo agent. The demo starts fresh on every launch.
async fn start_demo(data_dir: &Path) -> anyhow::Result<Arc<Session>> {
    let dir = data_dir.join("demo");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot reset the demo in {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let mut config = ServiceConfig::new(dir.join("service.sqlite"), "127.0.0.1:0".parse()?);
    config.seed_demo = true;
    config.intake_secret = Some(b"demo-intake-secret".to_vec());
    config.simulator = demo_simulation();
    let service = handoff_service::start(config).await?;
    let store = service.store().clone();
    let tokens = tokio::task::spawn_blocking(move || demo::demo_tokens(store.as_ref())).await??;
    let me = tokens.first().context("the demo has no agents")?;
    let engine = Engine::open(&dir.join("desk"))?;
    engine.use_credentials(&service.base_url(), &me.token)?;
    tracing::info!(url = %service.base_url(), agent = %me.agent.name, "demo workspace running");
    Ok(Session::start(engine, Some(service)))
}

impl AppState {
    /// The profile in `HANDOFF_DATA_DIR` (or the OS data dir): signed in, or configured through
    /// `HANDOFF_SERVER` + `HANDOFF_TOKEN` → that service; otherwise the demo.
    pub async fn start() -> anyhow::Result<Arc<Self>> {
        let data_dir = profile::data_dir(None)?;
        let session = Self::open_session(&data_dir).await?;
        Ok(Arc::new(Self {
            data_dir,
            session: RwLock::new(session),
            pending_navigation: Mutex::new(None),
            generation: watch::channel(0).0,
        }))
    }

    /// A state over an engine that is already signed in (tests of the commands).
    pub fn for_engine(engine: Arc<Engine>, data_dir: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            data_dir,
            session: RwLock::new(Session::start(engine, None)),
            pending_navigation: Mutex::new(None),
            generation: watch::channel(0).0,
        })
    }

    async fn open_session(data_dir: &Path) -> anyhow::Result<Arc<Session>> {
        let engine = Engine::open(data_dir)?;
        if env_configured() || engine.stored_server()?.is_some() {
            Ok(Session::start(engine, None))
        } else {
            start_demo(data_dir).await
        }
    }

    pub fn session(&self) -> Arc<Session> {
        self.session.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn engine(&self) -> Arc<Engine> {
        self.session().engine.clone()
    }

    pub fn is_demo(&self) -> bool {
        self.session().demo_service.is_some()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Signs in to a real service: the demo (if any) stops and the profile's engine takes over.
    pub async fn sign_in(&self, server: &str, token: &str) -> Result<handoff_protocol::Agent, CommandError> {
        let engine = Engine::open(&self.data_dir)?;
        let agent = engine.login(server, token).await?;
        self.replace(Session::start(engine, None)).await;
        Ok(agent)
    }

    /// Signs out of the real service (optionally clearing the cache) and returns to the demo.
    pub async fn sign_out(&self, clear_cache: bool) -> Result<(), CommandError> {
        if !self.is_demo() {
            self.engine().sign_out(clear_cache).await?;
        }
        let demo = start_demo(&self.data_dir).await.map_err(|e| CommandError::internal(e.to_string()))?;
        self.replace(demo).await;
        Ok(())
    }

    async fn replace(&self, session: Arc<Session>) {
        let old = std::mem::replace(&mut *self.session.write().unwrap_or_else(|p| p.into_inner()), session);
        old.stop().await;
        if let Some(service) = Arc::into_inner(old).and_then(|s| s.demo_service) {
            service.shutdown().await;
        }
        self.generation.send_modify(|g| *g += 1);
    }

    pub async fn stop(&self) {
        self.session().stop().await;
    }

    pub fn set_pending_navigation(&self, target: NavigateTarget) {
        *self.pending_navigation.lock().unwrap_or_else(|p| p.into_inner()) = Some(target);
    }

    pub fn take_pending_navigation(&self) -> Option<NavigateTarget> {
        self.pending_navigation.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Forwards engine events to the window, the tray and the notification daemon; follows the
/// engine across sign-ins.
pub fn spawn_event_bridge(app: AppHandle, state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        let mut generation = state.generation.subscribe();
        loop {
            let session = state.session();
            let engine = session.engine.clone();
            let mut events = session.events();
            let prefs = engine.notification_prefs().unwrap_or_default();
            let mut policy = NotificationPolicy::new(prefs);
            desktop::refresh_tray(&app, &engine);
            let _ = app.emit(DESK_EVENT, DeskEvent::SessionChanged);
            loop {
                let event = tokio::select! {
                    changed = generation.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        break;
                    }
                    event = events.recv() => event,
                };
                let event = match event {
                    Ok(event) => event,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                if matches!(
                    event,
                    CoreEvent::NewEscalation { .. }
                        | CoreEvent::EscalationBacklog { .. }
                        | CoreEvent::CustomerWrote { .. }
                        | CoreEvent::CustomerBacklog { .. }
                ) {
                    // Preferences may have changed in Settings since the last one.
                    policy.prefs = engine.notification_prefs().unwrap_or_default();
                    // The conversation on screen in the focused window needs no notification.
                    let focused = app.try_state::<crate::attention::Attention>().and_then(|a| a.focused_conversation());
                    policy.set_focused_conversation(focused);
                    let local = chrono::Local::now().time();
                    if let Some(notice) = policy.on_event(&event, chrono::Utc::now(), local) {
                        crate::notifier::show(&app, &notice);
                    }
                }
                if matches!(
                    event,
                    CoreEvent::ConversationChanged { .. }
                        | CoreEvent::QueueStatsChanged { .. }
                        | CoreEvent::EscalationBacklog { .. }
                ) {
                    desktop::refresh_tray(&app, &engine);
                }
                if matches!(event, CoreEvent::ConversationChanged { .. } | CoreEvent::MessageAdded { .. }) {
                    if let Some(attention) = app.try_state::<crate::attention::Attention>() {
                        if crate::attention::refresh_unread(&app, &attention, &engine) {
                            desktop::refresh_tray(&app, &engine);
                        }
                    }
                }
                let _ = app.emit(DESK_EVENT, DeskEvent::Core { event });
            }
        }
    });
}
