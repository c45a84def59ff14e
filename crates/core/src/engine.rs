//! The engine a front end holds: the cache, the sign-in, commands, and the live sync loop.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use handoff_protocol::*;
use tokio::sync::{broadcast, watch, Notify};

use crate::api::ApiClient;
use crate::credentials::{self, Credentials};
use crate::error::{CoreError, CoreResult};
use crate::insights::canned::{self, CannedResponse};
use crate::insights::context::{self, HandoffContext};
use crate::insights::review::{self, ReviewOptions, ReviewReport};
use crate::notifications::{self, Notice, NotificationPrefs};
use crate::preferences::{ReviewPrefs, ServiceTargets, WaitThresholds, SERVICE_TARGETS_SETTING};
use crate::store::{CacheKey, LocalStore, DEFAULT_RETENTION_DAYS};
use crate::views::*;

/// Settings keys.
const SERVER_SETTING: &str = "server";
const AGENT_SETTING: &str = "agent";
const NOTIFICATIONS_SETTING: &str = "notifications";
const RETENTION_SETTING: &str = "retention_days";
const GREETING_SETTING: &str = "greeting_template";
const AWAY_SETTING: &str = "away_after_minutes";
const CANNED_SETTING: &str = "canned_responses";
const WAIT_THRESHOLDS_SETTING: &str = "wait_thresholds";
const REVIEW_SETTING: &str = "review";
const REVIEW_REMINDED_SETTING: &str = "review_reminded_at";
/// Minutes without keyboard or mouse before presence turns `away` by itself.
pub const DEFAULT_AWAY_AFTER_MINUTES: u32 = 10;

pub struct Engine {
    data_dir: PathBuf,
    store: Arc<LocalStore>,
    events: broadcast::Sender<CoreEvent>,
    status: watch::Sender<SyncStatus>,
    client: RwLock<Option<ApiClient>>,
    me: RwLock<Option<AgentRef>>,
    /// Poked when the outbox has something to send.
    pub(crate) outbox_wake: Notify,
    /// Poked to cut a reconnect backoff short.
    pub(crate) reconnect_wake: Notify,
    /// Poked when the queue may have changed, to refresh its statistics.
    pub(crate) stats_wake: Notify,
    /// One outbox flush at a time keeps replies in order.
    pub(crate) flush_lock: tokio::sync::Mutex<()>,
    /// Turned on to stop the live loops for good (sign out), whoever started them.
    pub(crate) halt: watch::Sender<bool>,
    /// How many [`Engine::run`] tasks are still going; a wipe waits for none.
    pub(crate) running: watch::Sender<usize>,
    /// The review's language model, loaded only while questions are being embedded.
    pub(crate) model: crate::question_vectors::ModelSlot,
}

/// Runs a blocking cache call off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    store: &Arc<LocalStore>,
    f: impl FnOnce(&LocalStore) -> CoreResult<T> + Send + 'static,
) -> CoreResult<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| CoreError::Protocol(format!("a cache task failed: {e}")))?
}

impl Engine {
    /// Opens the profile in `data_dir` (creating its encrypted cache on first use) with the
    /// cache key from `HANDOFF_CACHE_KEY` or the OS keychain (made there on first use).
    pub fn open(data_dir: &Path) -> CoreResult<Arc<Self>> {
        let key = credentials::cache_key(data_dir)?;
        Self::open_with_key(data_dir, &key)
    }

    /// Opens the profile with a cache key the caller keeps (benchmarks, tools).
    pub fn open_with_key(data_dir: &Path, key: &CacheKey) -> CoreResult<Arc<Self>> {
        let store = Arc::new(LocalStore::open(data_dir, key)?);
        let status = SyncStatus {
            connection: ConnectionState::Connecting { attempt: 0 },
            last_synced_at: store.sync_value("last_synced_at")?,
            cursor: store.cursor()?,
        };
        let me = store.setting::<AgentRef>(AGENT_SETTING)?;
        Ok(Arc::new(Self {
            data_dir: data_dir.to_path_buf(),
            store,
            events: broadcast::channel(4096).0,
            status: watch::channel(status).0,
            client: RwLock::new(None),
            me: RwLock::new(me),
            outbox_wake: Notify::new(),
            reconnect_wake: Notify::new(),
            stats_wake: Notify::new(),
            flush_lock: tokio::sync::Mutex::new(()),
            halt: watch::channel(false).0,
            running: watch::channel(0).0,
            model: crate::question_vectors::ModelSlot::new(handoff_embed::ModelLocation::standard()),
        }))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn store(&self) -> &Arc<LocalStore> {
        &self.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    pub(crate) fn emit(&self, event: CoreEvent) {
        let _ = self.events.send(event);
    }

    pub(crate) fn set_connection(&self, connection: ConnectionState) {
        let cursor = self.store.cursor().unwrap_or_default();
        let last_synced_at = self.store.sync_value("last_synced_at").ok().flatten();
        let status = SyncStatus { connection, last_synced_at, cursor };
        let changed = *self.status.borrow() != status;
        if changed {
            self.status.send_replace(status.clone());
            self.emit(CoreEvent::ConnectionChanged { status });
        }
    }

    pub fn is_online(&self) -> bool {
        matches!(self.status.borrow().connection, ConnectionState::Online)
    }

    /// The signed-in agent, as last confirmed by the service.
    pub fn me(&self) -> Option<AgentRef> {
        self.me.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The stored server URL, if signed in.
    pub fn stored_server(&self) -> CoreResult<Option<String>> {
        self.store.setting(SERVER_SETTING)
    }

    // --- sign-in ------------------------------------------------------------------------

    /// Checks the token against the service, then keeps the server in the cache and the token
    /// in the OS keychain. Signing in to another server clears the cache, unless unsent
    /// messages for the old one would be lost.
    pub async fn login(&self, server: &str, token: &str) -> CoreResult<Agent> {
        let client = ApiClient::new(server, token)?;
        let agent = client.me().await?;
        let server = client.server().to_string();
        let previous = self.stored_server()?;
        if previous.as_deref().is_some_and(|p| p != server) {
            let unsent = self.store.outbox()?.len();
            if unsent > 0 {
                return Err(CoreError::Invalid(format!(
                    "{unsent} unsent message(s) belong to {}; send or discard them (`handoff outbox`) before \
                     signing in to another service",
                    previous.unwrap_or_default()
                )));
            }
            blocking(&self.store, |store| store.wipe()).await?;
        }
        let data_dir = self.data_dir.clone();
        let (keep_server, keep_token) = (server.clone(), token.trim().to_string());
        tokio::task::spawn_blocking(move || credentials::store_token(&data_dir, &keep_server, &keep_token))
            .await
            .map_err(|e| CoreError::Keychain(e.to_string()))??;
        self.store.set_setting(SERVER_SETTING, &server)?;
        let me = AgentRef { id: agent.id, name: agent.name.clone() };
        self.store.set_setting(AGENT_SETTING, &me)?;
        *self.me.write().unwrap_or_else(|p| p.into_inner()) = Some(me);
        *self.client.write().unwrap_or_else(|p| p.into_inner()) = Some(client);
        Ok(agent)
    }

    /// Signs out: forgets the token; with `wipe`, first stops the live sync (so nothing is
    /// written back) and then removes every customer's words from the cache ([`LocalStore::wipe`]).
    pub async fn sign_out(&self, wipe: bool) -> CoreResult<()> {
        if wipe {
            self.stop_live_sync().await;
        }
        if let Some(server) = self.stored_server()? {
            let data_dir = self.data_dir.clone();
            tokio::task::spawn_blocking(move || credentials::delete_token(&data_dir, &server))
                .await
                .map_err(|e| CoreError::Keychain(e.to_string()))??;
        }
        self.store.remove_setting(SERVER_SETTING)?;
        self.store.remove_setting(AGENT_SETTING)?;
        *self.client.write().unwrap_or_else(|p| p.into_inner()) = None;
        *self.me.write().unwrap_or_else(|p| p.into_inner()) = None;
        if wipe {
            blocking(&self.store, |store| store.wipe()).await?;
        }
        Ok(())
    }

    /// Stops the loops [`Engine::run`] started and waits until they have ended.
    pub async fn stop_live_sync(&self) {
        self.halt.send_replace(true);
        let mut running = self.running.subscribe();
        let _ = running.wait_for(|n| *n == 0).await;
    }

    /// What opening the cache found that the person should know (encrypted an old cache, or
    /// started afresh because the key did not fit), once per start.
    pub fn cache_notice(&self) -> Option<String> {
        self.store.opening().notice()
    }

    /// The credentials in force (environment first, then the keychain).
    pub async fn credentials(&self) -> CoreResult<Credentials> {
        let data_dir = self.data_dir.clone();
        let stored = self.stored_server()?;
        tokio::task::spawn_blocking(move || credentials::resolve(&data_dir, stored))
            .await
            .map_err(|e| CoreError::Keychain(e.to_string()))?
    }

    /// Uses this server and token for this session only, bypassing the keychain and the
    /// environment (the embedded demo service, tests).
    pub fn use_credentials(&self, server: &str, token: &str) -> CoreResult<()> {
        let client = ApiClient::new(server, token)?;
        *self.client.write().unwrap_or_else(|p| p.into_inner()) = Some(client);
        Ok(())
    }

    /// The API client, built from the credentials on first use.
    pub async fn client(&self) -> CoreResult<ApiClient> {
        if let Some(client) = self.client.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(client);
        }
        let credentials = self.credentials().await?;
        let client = ApiClient::new(&credentials.server, &credentials.token)?;
        *self.client.write().unwrap_or_else(|p| p.into_inner()) = Some(client.clone());
        Ok(client)
    }

    /// Confirms who the token belongs to (when online) and remembers it.
    pub(crate) async fn refresh_me(&self, client: &ApiClient) -> CoreResult<()> {
        let agent = client.me().await?;
        let me = AgentRef { id: agent.id, name: agent.name };
        if self.me().as_ref() != Some(&me) {
            self.store.set_setting(AGENT_SETTING, &me)?;
            *self.me.write().unwrap_or_else(|p| p.into_inner()) = Some(me);
        }
        Ok(())
    }

    // --- commands that need the service to decide ---------------------------------------

    fn needs_service(what: &str) -> impl FnOnce(CoreError) -> CoreError + '_ {
        move |error| match error {
            CoreError::Offline { server, reason, .. } => CoreError::Offline {
                server,
                reason,
                what: format!("{what} needs the service to decide; try again when the connection is back"),
            },
            other => other,
        }
    }

    async fn conversation_command(
        &self,
        what: &str,
        call: impl std::future::Future<Output = CoreResult<Conversation>>,
    ) -> CoreResult<Conversation> {
        let conversation = call.await.map_err(Self::needs_service(what))?;
        let stored = conversation.clone();
        let outcome = blocking(&self.store, move |store| store.apply_snapshot(&[stored], &[])).await?;
        self.publish(&outcome, false);
        self.stats_wake.notify_one();
        Ok(conversation)
    }

    /// Claims a waiting conversation; a lost race is `AlreadyClaimed` with the winner.
    pub async fn claim(&self, id: i64) -> CoreResult<Conversation> {
        let client = self.client().await?;
        self.conversation_command("claiming", client.claim(id)).await
    }

    pub async fn release(&self, id: i64) -> CoreResult<Conversation> {
        let client = self.client().await?;
        self.conversation_command("releasing", client.release(id)).await
    }

    pub async fn resolve(&self, id: i64, outcome: ResolveOutcome) -> CoreResult<Conversation> {
        let client = self.client().await?;
        self.conversation_command("resolving", client.resolve(id, outcome)).await
    }

    /// Hands the conversation to another agent; `note` (at most 500 characters) is shown in the
    /// transcript as a private system line `"You → Them: note"`.
    pub async fn transfer(&self, id: i64, agent_id: i64, note: Option<&str>) -> CoreResult<Conversation> {
        if let Some(note) = note {
            let chars = note.trim().chars().count();
            if chars > MAX_TRANSFER_NOTE_CHARS {
                return Err(CoreError::Invalid(format!(
                    "the transfer note is {chars} characters; shorten it to at most {MAX_TRANSFER_NOTE_CHARS}"
                )));
            }
        }
        let client = self.client().await?;
        self.conversation_command("transferring", client.transfer(id, agent_id, note)).await
    }

    /// Replaces the conversation's tags with `tags` (names from [`Engine::tags`]; at most 20).
    /// Not queued: offline it fails at once.
    pub async fn set_tags(&self, id: i64, tags: &[String]) -> CoreResult<Conversation> {
        let client = self.client().await?;
        self.conversation_command("tagging", client.set_tags(id, tags)).await
    }

    /// Adds and removes tags on the conversation's current set as the service has it now (so a
    /// colleague's tag added meanwhile is kept), then replaces the set.
    pub async fn edit_tags(&self, id: i64, add: &[String], remove: &[String]) -> CoreResult<Conversation> {
        let client = self.client().await?;
        let current = client.conversation(id).await.map_err(Self::needs_service("tagging"))?;
        let mut tags: Vec<String> = current.tags.into_iter().filter(|t| !remove.contains(t)).collect();
        for tag in add {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        tags.sort();
        self.conversation_command("tagging", client.set_tags(id, &tags)).await
    }

    /// The team's tag catalogue, from the cache (refreshed at every sync start).
    pub fn tags(&self) -> CoreResult<Vec<Tag>> {
        self.store.tags()
    }

    /// Tells the other agents what this one does in a conversation (viewing, typing, left).
    /// Best effort: never queued; offline it fails and the caller may simply drop it.
    pub async fn report_activity(&self, conversation_id: i64, activity: Activity) -> CoreResult<()> {
        let client = self.client().await?;
        client.report_activity(conversation_id, activity).await
    }

    /// Who is in a conversation now, as the service knows it (for a conversation just opened;
    /// later changes arrive as [`CoreEvent::ConversationActivity`]).
    pub async fn conversation_activity(&self, conversation_id: i64) -> CoreResult<Vec<ConversationActivity>> {
        let client = self.client().await?;
        client.conversation_activity(conversation_id).await
    }

    pub async fn set_presence(&self, presence: Presence) -> CoreResult<Agent> {
        let client = self.client().await?;
        client.set_presence(presence).await.map_err(Self::needs_service("changing presence"))
    }

    /// Posts the estimated-wait notice to the customer now.
    pub async fn send_wait_notice(&self, id: i64) -> CoreResult<Message> {
        let client = self.client().await?;
        let message = client.wait_notice(id).await.map_err(Self::needs_service("sending the wait notice"))?;
        let stored = message.clone();
        let outcome = blocking(&self.store, move |store| store.apply_snapshot(&[], &[stored])).await?;
        self.publish(&outcome, false);
        Ok(message)
    }

    // --- the outbox -----------------------------------------------------------------------

    /// Writes a reply (or a private note) to the outbox; it is delivered when the service is
    /// reachable, in order, exactly once.
    pub fn reply(&self, conversation_id: i64, text: &str, private: bool) -> CoreResult<OutboxItem> {
        if self.store.conversation(conversation_id)?.is_none() {
            return Err(CoreError::UnknownConversation(conversation_id));
        }
        let author = self.me().map(|a| a.name).unwrap_or_else(|| "You".into());
        let item = self.store.enqueue(conversation_id, text, private, &author)?;
        self.emit(CoreEvent::OutboxChanged { item: item.clone() });
        self.outbox_wake.notify_one();
        self.reconnect_wake.notify_one();
        Ok(item)
    }

    /// Queues a failed message again, optionally with new text.
    pub fn retry_outbox_item(&self, client_id: &str, new_text: Option<&str>) -> CoreResult<OutboxItem> {
        let item = self.store.retry_outbox_item(client_id, new_text)?;
        self.emit(CoreEvent::OutboxChanged { item: item.clone() });
        self.outbox_wake.notify_one();
        Ok(item)
    }

    pub fn discard_outbox_item(&self, client_id: &str) -> CoreResult<OutboxItem> {
        self.store.discard_outbox_item(client_id)
    }

    /// Purges closed conversations older than `days`.
    pub fn purge(&self, days: u32) -> CoreResult<usize> {
        self.store.purge_older_than(days)
    }

    // --- per-profile preferences ----------------------------------------------------------

    /// The unsent text of a conversation's composer, kept across restarts.
    pub fn draft(&self, conversation_id: i64) -> CoreResult<Option<String>> {
        self.store.setting(&format!("draft:{conversation_id}"))
    }

    pub fn save_draft(&self, conversation_id: i64, text: &str) -> CoreResult<()> {
        let key = format!("draft:{conversation_id}");
        if text.trim().is_empty() {
            self.store.remove_setting(&key)
        } else {
            self.store.set_setting(&key, text)
        }
    }

    /// The context card of a conversation: why, what, key facts, wait, history, greeting.
    pub fn handoff_context(&self, id: i64) -> CoreResult<HandoffContext> {
        let conversation = self.store.conversation(id)?.ok_or(CoreError::UnknownConversation(id))?;
        let messages = self.store.messages(id)?;
        let earlier = self.store.customer_history(&conversation.customer.id, id, 5)?;
        let escalated_at = conversation.handoff.as_ref().map(|h| h.escalated_at);
        // The first agent reply after the handoff ends the wait.
        let answered_at = messages
            .iter()
            .find(|m| m.role == Role::Agent && !m.private && escalated_at.is_some_and(|at| m.created_at >= at))
            .map(|m| m.created_at);
        let agent = self.me().map(|a| a.name).unwrap_or_default();
        let template = self.greeting_template()?;
        Ok(context::build(&conversation, &messages, earlier, answered_at, chrono::Utc::now(), &agent, &template))
    }

    /// The review of a period from the cache (works offline): volumes, reasons, waits and the
    /// groups of questions handoffs asked, flagged when a group reaches `options.flag_share`.
    pub fn review(&self, options: &ReviewOptions) -> CoreResult<ReviewReport> {
        let (conversations, messages) = self.store.escalated_between(options.since, options.until)?;
        let grouping = self.review_grouping(&conversations, &messages, options.since, options.until)?;
        Ok(review::build_grouped_report(&conversations, &messages, options, grouping))
    }

    /// The review a person asks for: days and hours in this computer's local time, groups
    /// flagged at the share set in the review preferences.
    pub fn review_between(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<ReviewReport> {
        if since > until {
            return Err(CoreError::Invalid("the period starts after it ends: pick a start before the end".into()));
        }
        let options = ReviewOptions {
            flag_share: self.review_prefs()?.flag_share(),
            ..ReviewOptions::last(until - since, until).in_local_time()
        };
        self.review(&options)
    }

    pub fn review_prefs(&self) -> CoreResult<ReviewPrefs> {
        Ok(self.store.setting(REVIEW_SETTING)?.unwrap_or_default())
    }

    pub fn set_review_prefs(&self, prefs: &ReviewPrefs) -> CoreResult<()> {
        prefs.validate()?;
        self.store.set_setting(REVIEW_SETTING, prefs)
    }

    /// The weekly review reminder, when it is due at `now` — with the headline of the last 7
    /// days' review. A reminder returned is recorded as shown, so it shows once per week. On the
    /// first check of a profile nothing is due: a reminder scheduled before the app was ever
    /// used is not owed.
    pub fn take_review_reminder<Tz: chrono::TimeZone>(&self, now: &chrono::DateTime<Tz>) -> CoreResult<Option<Notice>> {
        let prefs = self.review_prefs()?;
        let now_utc = now.to_utc();
        let Some(last_shown) = self.store.setting::<chrono::DateTime<chrono::Utc>>(REVIEW_REMINDED_SETTING)? else {
            self.store.set_setting(REVIEW_REMINDED_SETTING, &now_utc)?;
            return Ok(None);
        };
        if !prefs.reminder_due(now, last_shown) {
            return Ok(None);
        }
        self.store.set_setting(REVIEW_REMINDED_SETTING, &now_utc)?;
        let week = self.review_between(now_utc - chrono::Duration::days(7), now_utc)?;
        Ok(Some(notifications::review_reminder(&week)))
    }

    // --- an agent's day: unread counts, service targets, snoozes -----------------------------

    /// Unread messages for the tray, the Mine tab, the window title and the badge, in one query.
    /// It changes with `MessageAdded` and `ConversationChanged` events and when a conversation is
    /// marked read: refresh it then.
    pub fn unread_summary(&self) -> CoreResult<UnreadSummary> {
        self.store.unread_summary(self.me().map(|a| a.id), chrono::Utc::now())
    }

    /// The first-response target and when its deadline turns amber.
    pub fn service_targets(&self) -> CoreResult<ServiceTargets> {
        Ok(self.store.setting(SERVICE_TARGETS_SETTING)?.unwrap_or_default())
    }

    pub fn set_service_targets(&self, targets: &ServiceTargets) -> CoreResult<()> {
        targets.validate()?;
        self.store.set_setting(SERVICE_TARGETS_SETTING, targets)
    }

    /// Conversations that passed their first-response target since the last call, each once per
    /// device and escalation (recorded in the cache, so a restart does not repeat them): one
    /// `Notice::Overdue` each, or one `Notice::Summary` when more than three are due at once.
    /// Meant to be polled (the desktop asks every 15 s, like [`Engine::take_review_reminder`]).
    /// Deadlines passed while notifications are off or quiet are recorded and not shown later:
    /// the queue lists them first anyway. Waiting conversations count, and mine not yet answered.
    pub fn take_overdue_notices<Tz: chrono::TimeZone>(&self, now: &chrono::DateTime<Tz>) -> CoreResult<Vec<Notice>> {
        let targets = self.service_targets()?;
        if !targets.enabled() {
            return Ok(Vec::new());
        }
        let now_utc = now.to_utc();
        let overdue = self.store.take_overdue(self.me().map(|a| a.id), now_utc)?;
        // Their place in the queue changed with the clock alone: tell front ends to sort again.
        for item in &overdue {
            self.local_change(item.conversation.id);
        }
        let prefs = self.notification_prefs()?;
        if overdue.is_empty() || !prefs.allows_at(now.naive_local().time()) {
            return Ok(Vec::new());
        }
        let wanted: Vec<_> = overdue
            .into_iter()
            .filter(|o| {
                let c = &o.conversation;
                !prefs.vip_and_urgent_only || c.customer.vip || c.priority == Priority::Urgent
            })
            .collect();
        Ok(match wanted.len() {
            0 => Vec::new(),
            1..=3 => wanted
                .iter()
                .map(|o| notifications::overdue(&o.conversation, targets.first_response_minutes, now_utc))
                .collect(),
            count => vec![notifications::overdue_summary(count, targets.first_response_minutes)],
        })
    }

    /// Snoozes one of my conversations until `until`: it leaves the Mine tab (listed in
    /// Snoozed) and comes back at the top when the time comes or the customer writes. Local to
    /// this device. Refused when the conversation is not assigned to me, or `until` has passed.
    pub fn snooze(&self, conversation_id: i64, until: chrono::DateTime<chrono::Utc>) -> CoreResult<()> {
        let me = self.me().ok_or(CoreError::NotSignedIn)?;
        self.store.snooze(conversation_id, me.id, until, chrono::Utc::now())?;
        self.local_change(conversation_id);
        Ok(())
    }

    /// Ends a snooze now; false when the conversation was not snoozed.
    pub fn unsnooze(&self, conversation_id: i64) -> CoreResult<bool> {
        let ended = self.store.unsnooze(conversation_id)?;
        if ended {
            self.local_change(conversation_id);
        }
        Ok(ended)
    }

    /// My snoozes whose time came by `now`, each once: a `Notice::SnoozeOver` each (none while
    /// notifications are off or quiet; the conversation is at the top of Mine all the same).
    /// Snoozes the customer ended by writing are not repeated here: their line was the
    /// notification. Meant to be polled with [`Engine::take_overdue_notices`].
    pub fn take_due_snoozes<Tz: chrono::TimeZone>(&self, now: &chrono::DateTime<Tz>) -> CoreResult<Vec<Notice>> {
        let Some(me) = self.me() else { return Ok(Vec::new()) };
        let woken = self.store.take_due_snoozes(me.id, now.to_utc())?;
        for snooze in &woken {
            self.local_change(snooze.conversation.id);
        }
        if woken.is_empty() || !self.notification_prefs()?.allows_at(now.naive_local().time()) {
            return Ok(Vec::new());
        }
        Ok(woken
            .iter()
            .map(|snooze| {
                let id = snooze.conversation.id;
                let last = self
                    .store
                    .messages(id)
                    .ok()
                    .and_then(|m| m.into_iter().rev().find(|m| m.role == Role::Customer).map(|m| m.text));
                notifications::snooze_over(&snooze.conversation, last.as_deref())
            })
            .collect())
    }

    /// Tells front ends that a conversation's place in the queue changed on this device only.
    fn local_change(&self, conversation_id: i64) {
        if let Ok(Some(conversation)) = self.store.conversation(conversation_id) {
            self.emit(CoreEvent::ConversationChanged { conversation });
        }
    }

    /// When the queue's waiting timers change colour.
    pub fn wait_thresholds(&self) -> CoreResult<WaitThresholds> {
        Ok(self.store.setting(WAIT_THRESHOLDS_SETTING)?.unwrap_or_default())
    }

    pub fn set_wait_thresholds(&self, thresholds: &WaitThresholds) -> CoreResult<()> {
        thresholds.validate()?;
        self.store.set_setting(WAIT_THRESHOLDS_SETTING, thresholds)
    }

    /// The team's greeting template (`{customer.first_name}`, `{agent.name}`, `{topic}`…).
    pub fn greeting_template(&self) -> CoreResult<String> {
        Ok(self.store.setting(GREETING_SETTING)?.unwrap_or_else(|| context::DEFAULT_GREETING_TEMPLATE.to_string()))
    }

    pub fn set_greeting_template(&self, template: &str) -> CoreResult<()> {
        if template.trim().is_empty() {
            self.store.remove_setting(GREETING_SETTING)
        } else {
            self.store.set_setting(GREETING_SETTING, template)
        }
    }

    /// The team's canned responses (a starter set until the first change).
    pub fn canned_responses(&self) -> CoreResult<Vec<CannedResponse>> {
        Ok(self.store.setting(CANNED_SETTING)?.unwrap_or_else(canned::starter_set))
    }

    /// Adds (empty id) or replaces a canned response; returns it with its id.
    pub fn save_canned_response(&self, response: CannedResponse) -> CoreResult<CannedResponse> {
        if response.title.trim().is_empty() || response.text.trim().is_empty() {
            return Err(CoreError::Invalid("a canned response needs a title and a text".into()));
        }
        crate::store::check_text(&response.text)?;
        let mut all = self.canned_responses()?;
        let saved = CannedResponse {
            id: if response.id.is_empty() { uuid::Uuid::new_v4().to_string() } else { response.id },
            title: response.title.trim().to_string(),
            text: response.text,
        };
        match all.iter_mut().find(|r| r.id == saved.id) {
            Some(existing) => *existing = saved.clone(),
            None => all.push(saved.clone()),
        }
        self.store.set_setting(CANNED_SETTING, &all)?;
        Ok(saved)
    }

    pub fn delete_canned_response(&self, id: &str) -> CoreResult<()> {
        let mut all = self.canned_responses()?;
        all.retain(|r| r.id != id);
        self.store.set_setting(CANNED_SETTING, &all)
    }

    /// Canned responses matching what was typed after `/`, best first.
    pub fn search_canned(&self, query: &str) -> CoreResult<Vec<CannedResponse>> {
        let mut scored: Vec<(usize, CannedResponse)> = self
            .canned_responses()?
            .into_iter()
            .filter_map(|r| canned::match_score(query, &r).map(|score| (score, r)))
            .collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.title.cmp(&b.1.title)));
        Ok(scored.into_iter().map(|(_, r)| r).collect())
    }

    /// A canned response's text with its variables filled for this conversation.
    pub fn render_canned(&self, conversation_id: i64, text: &str) -> CoreResult<String> {
        let conversation =
            self.store.conversation(conversation_id)?.ok_or(CoreError::UnknownConversation(conversation_id))?;
        let topic = conversation
            .handoff
            .as_ref()
            .and_then(|h| h.topic.as_deref())
            .filter(|t| !t.trim().is_empty())
            .map(context::topic_in_sentence)
            .unwrap_or_else(|| "your question".to_string());
        let agent = self.me().map(|a| a.name).unwrap_or_default();
        Ok(context::render_template(text, &conversation.customer.name, &agent, &topic))
    }

    /// Minutes of inactivity after which presence turns `away` by itself (0 = never).
    pub fn away_after_minutes(&self) -> CoreResult<u32> {
        Ok(self.store.setting(AWAY_SETTING)?.unwrap_or(DEFAULT_AWAY_AFTER_MINUTES))
    }

    pub fn set_away_after_minutes(&self, minutes: u32) -> CoreResult<()> {
        if minutes > 24 * 60 {
            return Err(CoreError::Invalid("choose at most 1440 minutes (a day), or 0 for never".into()));
        }
        self.store.set_setting(AWAY_SETTING, &minutes)
    }

    pub fn notification_prefs(&self) -> CoreResult<NotificationPrefs> {
        Ok(self.store.setting(NOTIFICATIONS_SETTING)?.unwrap_or_default())
    }

    pub fn set_notification_prefs(&self, prefs: &NotificationPrefs) -> CoreResult<()> {
        self.store.set_setting(NOTIFICATIONS_SETTING, prefs)
    }

    /// Days a resolved conversation stays in the cache.
    pub fn retention_days(&self) -> CoreResult<u32> {
        Ok(self.store.setting(RETENTION_SETTING)?.unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    /// Changes the retention and applies it at once; returns how many conversations went.
    pub fn set_retention_days(&self, days: u32) -> CoreResult<usize> {
        if days == 0 {
            return Err(CoreError::Invalid("keep resolved conversations for at least one day".into()));
        }
        self.store.set_setting(RETENTION_SETTING, &days)?;
        self.purge(days)
    }
}
