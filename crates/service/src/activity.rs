//! Presence inside conversations: an in-memory board of who is viewing or typing where, with
//! expiry, broadcast to every open change stream as `event: activity` (never stored, never in
//! the feed, no cursor).
//!
//! One entry per (conversation, agent); the last post wins. Typing implies viewing: when a
//! typing entry lapses while the agent's viewing is still fresh, the entry falls back to
//! `viewing` (broadcast) instead of disappearing. A lapsed or revoked entry is broadcast as
//! `left`, so clients may either trust `expires_at` or wait for that event.
//!
//! Rate: a post that only extends the expiry is broadcast again only once the last broadcast is
//! `min(refresh_every, ttl / 2)` old — often enough that a client trusting `expires_at` never
//! drops an agent who keeps posting, rarely enough that a chatty client cannot flood streams.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use handoff_protocol::{Activity, AgentRef, ConversationActivity};
use tokio::sync::{broadcast, watch};

/// How long activity lasts without a new post, and how often a refresh is re-broadcast.
#[derive(Debug, Clone)]
pub struct ActivityConfig {
    pub viewing_ttl: Duration,
    pub typing_ttl: Duration,
    pub refresh_every: Duration,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        Self {
            viewing_ttl: Duration::from_secs(30),
            typing_ttl: Duration::from_secs(8),
            refresh_every: Duration::from_secs(10),
        }
    }
}

struct Entry {
    agent: AgentRef,
    activity: Activity,
    expires: Instant,
    /// Until when the agent counts as viewing (every post extends it, typing too).
    viewing_until: Instant,
    broadcast_at: Instant,
}

pub struct ActivityBoard {
    config: ActivityConfig,
    entries: Mutex<HashMap<(i64, i64), Entry>>,
    events: broadcast::Sender<ConversationActivity>,
}

/// The wall-clock time of a monotonic instant, for `expires_at`.
fn wall(at: Instant, now: Instant) -> DateTime<Utc> {
    let ahead = at.saturating_duration_since(now);
    Utc::now() + chrono::Duration::from_std(ahead).unwrap_or_default()
}

impl ActivityBoard {
    pub fn new(config: ActivityConfig) -> Arc<Self> {
        Arc::new(Self { config, entries: Mutex::new(HashMap::new()), events: broadcast::channel(1024).0 })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(i64, i64), Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes from now on. Broadcasts happen under the board's lock, so a stream sees one
    /// conversation's changes in the order they were made.
    pub fn subscribe(&self) -> broadcast::Receiver<ConversationActivity> {
        self.events.subscribe()
    }

    fn ttl(&self, activity: Activity) -> Duration {
        if activity.is_typing() {
            self.config.typing_ttl
        } else {
            self.config.viewing_ttl
        }
    }

    fn send(&self, conversation_id: i64, entry: &Entry, now: Instant) {
        let _ = self.events.send(ConversationActivity {
            conversation_id,
            agent: entry.agent.clone(),
            activity: entry.activity,
            expires_at: wall(entry.expires, now),
        });
    }

    fn send_left(&self, conversation_id: i64, agent: AgentRef) {
        let _ = self.events.send(ConversationActivity {
            conversation_id,
            agent,
            activity: Activity::Left,
            expires_at: Utc::now(),
        });
    }

    /// Records what `agent` does in the conversation; returns whether it was broadcast.
    pub fn report(&self, conversation_id: i64, agent: &AgentRef, activity: Activity) -> bool {
        let now = Instant::now();
        let key = (conversation_id, agent.id);
        let mut entries = self.lock();
        if activity == Activity::Left {
            let existed = entries.remove(&key).is_some();
            if existed {
                self.send_left(conversation_id, agent.clone());
            }
            return existed;
        }
        let viewing_until = now + self.config.viewing_ttl;
        let expires = if activity.is_typing() { now + self.config.typing_ttl } else { viewing_until };
        match entries.get_mut(&key) {
            Some(entry) if entry.activity == activity => {
                entry.viewing_until = entry.viewing_until.max(viewing_until);
                entry.expires = expires;
                let gap = self.config.refresh_every.min(self.ttl(activity) / 2);
                if now.duration_since(entry.broadcast_at) < gap {
                    return false;
                }
                entry.broadcast_at = now;
                self.send(conversation_id, entry, now);
            }
            Some(entry) => {
                entry.viewing_until = entry.viewing_until.max(viewing_until);
                entry.activity = activity;
                entry.expires = expires;
                entry.broadcast_at = now;
                self.send(conversation_id, entry, now);
            }
            None => {
                let entry = Entry { agent: agent.clone(), activity, expires, viewing_until, broadcast_at: now };
                self.send(conversation_id, &entry, now);
                entries.insert(key, entry);
            }
        }
        true
    }

    /// Who is in the conversation now, sorted by agent name.
    pub fn current(&self, conversation_id: i64) -> Vec<ConversationActivity> {
        let now = Instant::now();
        let entries = self.lock();
        let mut current: Vec<ConversationActivity> = entries
            .iter()
            .filter(|((conversation, _), entry)| *conversation == conversation_id && entry.expires > now)
            .map(|(_, entry)| ConversationActivity {
                conversation_id,
                agent: entry.agent.clone(),
                activity: entry.activity,
                expires_at: wall(entry.expires, now),
            })
            .collect();
        current.sort_by(|a, b| a.agent.name.cmp(&b.agent.name).then(a.agent.id.cmp(&b.agent.id)));
        current
    }

    /// Ends lapsed entries (typing falls back to viewing while that is fresh) and every entry of
    /// a revoked agent, broadcasting each change. Returns how many entries changed.
    pub fn sweep(&self, revoked: &HashSet<i64>) -> usize {
        let now = Instant::now();
        let mut entries = self.lock();
        let mut changed = 0;
        entries.retain(|(conversation_id, agent_id), entry| {
            if revoked.contains(agent_id) {
                changed += 1;
                self.send_left(*conversation_id, entry.agent.clone());
                return false;
            }
            if entry.expires > now {
                return true;
            }
            changed += 1;
            if entry.activity.is_typing() && entry.viewing_until > now {
                entry.activity = Activity::Viewing;
                entry.expires = entry.viewing_until;
                entry.broadcast_at = now;
                self.send(*conversation_id, entry, now);
                return true;
            }
            self.send_left(*conversation_id, entry.agent.clone());
            false
        });
        changed
    }

    /// How often the sweeper looks: a quarter of the shortest lifetime, between 20 ms and 1 s.
    fn sweep_every(&self) -> Duration {
        (self.config.typing_ttl.min(self.config.viewing_ttl) / 4)
            .clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    /// Sweeps until `shutdown` flips; `revoked` is the live set of revoked agents.
    pub async fn run_sweeper(
        self: Arc<Self>,
        revoked: watch::Receiver<Arc<HashSet<i64>>>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(self.sweep_every());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tick.tick() => {}
            }
            let revoked = revoked.borrow().clone();
            self.sweep(&revoked);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(viewing_ms: u64, typing_ms: u64, refresh_ms: u64) -> Arc<ActivityBoard> {
        ActivityBoard::new(ActivityConfig {
            viewing_ttl: Duration::from_millis(viewing_ms),
            typing_ttl: Duration::from_millis(typing_ms),
            refresh_every: Duration::from_millis(refresh_ms),
        })
    }

    fn ana() -> AgentRef {
        AgentRef { id: 1, name: "Ana".into() }
    }

    #[test]
    fn a_pure_refresh_is_not_broadcast_again_too_soon() {
        let board = board(60_000, 8_000, 10_000);
        let mut events = board.subscribe();
        assert!(board.report(7, &ana(), Activity::Viewing));
        assert!(!board.report(7, &ana(), Activity::Viewing), "an identical re-post within 10 s is quiet");
        assert!(board.report(7, &ana(), Activity::TypingNote), "a change is always broadcast");
        assert_eq!(events.try_recv().map(|e| e.activity).ok(), Some(Activity::Viewing));
        assert_eq!(events.try_recv().map(|e| e.activity).ok(), Some(Activity::TypingNote));
        assert!(events.try_recv().is_err());
    }

    #[test]
    fn lapsed_typing_falls_back_to_viewing_then_leaves() {
        let board = board(120, 30, 10_000);
        let mut events = board.subscribe();
        board.report(7, &ana(), Activity::TypingReply);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(board.sweep(&HashSet::new()), 1);
        assert_eq!(board.current(7)[0].activity, Activity::Viewing);
        std::thread::sleep(Duration::from_millis(100));
        board.sweep(&HashSet::new());
        assert!(board.current(7).is_empty());
        let seen: Vec<Activity> = std::iter::from_fn(|| events.try_recv().ok()).map(|e| e.activity).collect();
        assert_eq!(seen, [Activity::TypingReply, Activity::Viewing, Activity::Left]);
    }

    #[test]
    fn revoked_agents_vanish_and_left_of_nobody_is_silent() {
        let board = board(60_000, 8_000, 10_000);
        assert!(!board.report(7, &ana(), Activity::Left));
        board.report(7, &ana(), Activity::Viewing);
        board.report(8, &ana(), Activity::Viewing);
        assert_eq!(board.sweep(&HashSet::from([1])), 2);
        assert!(board.current(7).is_empty() && board.current(8).is_empty());
    }
}
