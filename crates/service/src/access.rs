//! Who may keep a live change stream open: revocation ends an agent's streams at once, and no
//! agent holds more than a few streams (a leaked or looping client must not use up the service).
//!
//! Tokens are revoked by the admin CLI, which may write to the database of a running service
//! from another process, so the service looks every [`REVOCATION_POLL`]: for revoked agents
//! (published to every open stream through a `watch` channel) and for feed records written by
//! another process (published to the live streams like its own: a conversation that a
//! revocation sent back to the queue reaches every agent's app at once).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::error::ServiceError;
use crate::store::Store;

/// How often the service looks for revoked agents; a revoked agent's streams end within this
/// (plus a moment), well inside a second.
pub const REVOCATION_POLL: Duration = Duration::from_millis(250);

/// Open change streams per agent, by default. A desktop app holds one; a few more allow a CLI
/// `sync --follow` and a reconnect that overlaps the old connection.
pub const DEFAULT_STREAMS_PER_AGENT: usize = 4;

pub struct Access {
    revoked: watch::Receiver<Arc<HashSet<i64>>>,
    streams: Mutex<HashMap<i64, usize>>,
    max_streams_per_agent: usize,
}

impl Access {
    /// Starts watching for revocations (until `shutdown` flips).
    pub fn start(
        store: Arc<dyn Store>,
        max_streams_per_agent: usize,
        mut shutdown: watch::Receiver<bool>,
    ) -> (Arc<Self>, impl std::future::Future<Output = ()> + Send + 'static) {
        let initial = store.revoked_agent_ids().unwrap_or_default();
        let (publish, revoked) = watch::channel(Arc::new(initial.into_iter().collect::<HashSet<_>>()));
        let watcher = async move {
            let mut tick = tokio::time::interval(REVOCATION_POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = tick.tick() => {}
                }
                let store = store.clone();
                let looked = tokio::task::spawn_blocking(move || {
                    store.publish_external_changes()?;
                    store.revoked_agent_ids()
                });
                let ids = match looked.await {
                    Ok(Ok(ids)) => ids.into_iter().collect::<HashSet<_>>(),
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "revoked agents could not be read");
                        continue;
                    }
                    Err(_) => continue,
                };
                publish.send_if_modified(|current| {
                    let changed = **current != ids;
                    if changed {
                        *current = Arc::new(ids);
                    }
                    changed
                });
            }
        };
        let access = Arc::new(Self { revoked, streams: Mutex::new(HashMap::new()), max_streams_per_agent });
        (access, watcher)
    }

    /// The live set of revoked agents (the activity board drops their entries).
    pub fn revoked_agents(&self) -> watch::Receiver<Arc<HashSet<i64>>> {
        self.revoked.clone()
    }

    /// A place for one more stream of `agent`, or 429 when the agent has too many open.
    pub fn open_stream(self: &Arc<Self>, agent: i64) -> Result<StreamPass, ServiceError> {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let open = streams.entry(agent).or_default();
        if *open >= self.max_streams_per_agent {
            return Err(ServiceError::TooManyRequests {
                code: "too_many_streams",
                message: format!(
                    "this agent already has {open} change streams open (at most {}); close one first",
                    self.max_streams_per_agent
                ),
                retry_after_seconds: 5,
            });
        }
        *open += 1;
        Ok(StreamPass { access: self.clone(), agent, revoked: self.revoked.clone() })
    }
}

/// An open stream's place; dropping it (the stream ended) frees the place.
pub struct StreamPass {
    access: Arc<Access>,
    agent: i64,
    revoked: watch::Receiver<Arc<HashSet<i64>>>,
}

impl StreamPass {
    /// Whether the agent is revoked now.
    pub fn is_revoked(&self) -> bool {
        self.revoked.borrow().contains(&self.agent)
    }

    /// Resolves when the agent is revoked.
    pub async fn revoked(&mut self) {
        let agent = self.agent;
        if self.revoked.wait_for(|ids| ids.contains(&agent)).await.is_err() {
            // The watcher ended with the service; the shutdown signal ends the stream.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for StreamPass {
    fn drop(&mut self) {
        let mut streams = self.access.streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(open) = streams.get_mut(&self.agent) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                streams.remove(&self.agent);
            }
        }
    }
}
