//! The sync engine: catch up by paging the change feed from the stored cursor, then follow the
//! live stream; on any disconnect back off with jitter and resume from the cursor. A 410 means
//! the feed moved on without us: resync from a snapshot. The outbox is flushed whenever the
//! service is reachable.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use handoff_protocol::*;
use rand::Rng;
use tokio::sync::watch;

use crate::api::ApiClient;
use crate::engine::{blocking, Engine};
use crate::error::{CoreError, CoreResult};
use crate::live::{classify, LiveEvent};
use crate::sse::{next_chunk, SseParser};
use crate::store::{ApplyOutcome, GapToFill};
use crate::views::*;

/// Changes per catch-up page.
const PAGE: u32 = 5_000;
/// Messages per gap-filling page.
const MESSAGE_PAGE: u32 = 1_000;
/// A stream silent this long (the service heartbeats every 10 s) is considered dead.
const STREAM_IDLE: Duration = Duration::from_secs(35);
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How often queue statistics are refreshed while online and idle.
const STATS_EVERY: Duration = Duration::from_secs(30);

/// What one `sync_once` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub changes: usize,
    pub conversations_changed: usize,
    pub messages_added: usize,
    pub new_escalations: usize,
    pub sent: usize,
    pub failed: usize,
    pub resynced: bool,
}

/// What an outbox flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub sent: usize,
    pub failed: usize,
}

/// Delay before reconnect attempt `attempt` (1-based): exponential, capped, with jitter.
pub fn backoff(attempt: u32) -> Duration {
    let exponential = BACKOFF_BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exponential.min(BACKOFF_MAX);
    // Between half and all of it, so many clients do not reconnect in lockstep.
    capped.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

impl Engine {
    /// Emits events for what a batch changed. Catch-up batches announce escalations later, in
    /// one go, and do not report each message.
    pub(crate) fn publish(&self, outcome: &ApplyOutcome, live: bool) {
        let mut latest: BTreeMap<i64, &Conversation> = BTreeMap::new();
        for conversation in &outcome.conversations {
            latest.insert(conversation.id, conversation);
        }
        for conversation in latest.values() {
            self.emit(CoreEvent::ConversationChanged { conversation: (*conversation).clone() });
        }
        if live {
            for message in &outcome.messages {
                self.emit(CoreEvent::MessageAdded { message: message.clone() });
            }
            for message in outcome.messages.iter().filter(|m| m.role == Role::Customer) {
                if let Some(conversation) = self.held_by_me(message.conversation_id) {
                    self.emit(CoreEvent::CustomerWrote { conversation, message: message.clone() });
                }
            }
            for conversation in &outcome.new_escalations {
                self.announce_one(conversation);
            }
        }
        for item in &outcome.acknowledged {
            self.emit(CoreEvent::OutboxChanged { item: item.clone() });
        }
        if !outcome.conversations.is_empty() {
            self.model.wake.notify_one();
        }
        if !outcome.conversations.is_empty() || outcome.agents_changed {
            self.stats_wake.notify_one();
        }
        if outcome.agents_changed {
            if let Ok(agents) = self.store().agents() {
                self.emit(CoreEvent::AgentsChanged { agents });
            }
        }
    }

    /// The cached conversation, when it is assigned to the signed-in agent.
    fn held_by_me(&self, conversation_id: i64) -> Option<Conversation> {
        let me = self.me()?;
        let conversation = self.store().conversation(conversation_id).ok().flatten()?;
        let mine = conversation.status == ConversationStatus::Assigned
            && conversation.assignee.as_ref().is_some_and(|a| a.id == me.id);
        mine.then_some(conversation)
    }

    /// Tells of the customer lines a catch-up found in my conversations: the newest line for one
    /// conversation, a summary for several.
    fn announce_customer_lines(&self, newest: BTreeMap<i64, Message>) {
        let mine: Vec<(Conversation, Message)> = newest
            .into_values()
            .filter_map(|message| self.held_by_me(message.conversation_id).map(|c| (c, message)))
            .collect();
        match mine.len() {
            0 => {}
            1 => {
                if let Some((conversation, message)) = mine.into_iter().next() {
                    self.emit(CoreEvent::CustomerWrote { conversation, message });
                }
            }
            count => self
                .emit(CoreEvent::CustomerBacklog { count, conversation_ids: mine.iter().map(|(c, _)| c.id).collect() }),
        }
    }

    fn announce_one(&self, conversation: &Conversation) {
        let last_customer_text = self
            .store()
            .messages(conversation.id)
            .ok()
            .and_then(|m| m.into_iter().rev().find(|m| m.role == Role::Customer).map(|m| m.text));
        self.emit(CoreEvent::NewEscalation { conversation: conversation.clone(), last_customer_text });
    }

    /// Announces the escalations a catch-up found: one event for one, a summary for several.
    fn announce_backlog(&self, escalations: Vec<Conversation>) -> usize {
        let mut still_waiting: BTreeMap<i64, Conversation> = BTreeMap::new();
        for conversation in escalations {
            let current = self.store().conversation(conversation.id).ok().flatten();
            if current.as_ref().is_some_and(|c| c.status == ConversationStatus::Waiting) {
                still_waiting.insert(conversation.id, current.unwrap_or(conversation));
            }
        }
        match still_waiting.len() {
            0 => {}
            1 => {
                if let Some(conversation) = still_waiting.values().next() {
                    self.announce_one(conversation);
                }
            }
            count => self.emit(CoreEvent::EscalationBacklog {
                count,
                conversation_ids: still_waiting.keys().copied().collect(),
            }),
        }
        still_waiting.len()
    }

    /// Fetches conversations the feed mentioned but the cache lacks, and fills message gaps.
    async fn follow_up(&self, client: &ApiClient, outcome: &ApplyOutcome, live: bool) -> CoreResult<ApplyOutcome> {
        let mut extra = ApplyOutcome::default();
        for id in &outcome.unknown_conversations {
            let conversation = match client.conversation(*id).await {
                Ok(conversation) => conversation,
                Err(CoreError::Refused { status: 404, .. }) => continue,
                Err(e) => return Err(e),
            };
            let messages = self.fetch_messages(client, *id, 0).await?;
            let applied = blocking(self.store(), move |store| store.apply_snapshot(&[conversation], &messages)).await?;
            self.publish(&applied, live);
            extra.new_escalations.extend(applied.new_escalations);
            extra.messages.extend(applied.messages);
        }
        let gaps: BTreeSet<i64> = outcome.gaps.iter().map(|g| g.conversation_id).collect();
        for id in gaps {
            // Re-check: a later page may have filled it already.
            let Some(GapToFill { after_seq, .. }) = blocking(self.store(), move |store| store.gap(id)).await? else {
                continue;
            };
            tracing::debug!(conversation = id, after_seq, "filling a message gap");
            let messages = self.fetch_messages(client, id, after_seq).await?;
            let applied = blocking(self.store(), move |store| store.apply_snapshot(&[], &messages)).await?;
            self.publish(&applied, live);
            extra.new_escalations.extend(applied.new_escalations);
            extra.messages.extend(applied.messages);
        }
        Ok(extra)
    }

    async fn fetch_messages(&self, client: &ApiClient, id: i64, after: i64) -> CoreResult<Vec<Message>> {
        let mut messages = Vec::new();
        let mut after = after;
        loop {
            let page = client.messages(id, after, MESSAGE_PAGE).await?;
            messages.extend(page.messages);
            match page.next_after {
                Some(next) => after = next,
                None => return Ok(messages),
            }
        }
    }

    /// Pages the change feed from the stored cursor to its head; resyncs on 410. The next page
    /// is fetched while the current one is written.
    pub(crate) async fn catch_up(&self, client: &ApiClient, report: &mut SyncReport) -> CoreResult<()> {
        let mut escalations = Vec::new();
        let mut gaps = ApplyOutcome::default();
        let mut cursor = self.store().cursor()?;
        // The first sync fills an empty cache: its customer lines are history, not news.
        let first_sync = cursor == 0;
        let mut customer_lines: BTreeMap<i64, Message> = BTreeMap::new();
        let mut note_customer_lines = |messages: &[Message]| {
            for message in messages.iter().filter(|m| m.role == Role::Customer) {
                let newest = customer_lines.entry(message.conversation_id).or_insert_with(|| message.clone());
                if message.seq > newest.seq {
                    *newest = message.clone();
                }
            }
        };
        let fetch = |after: i64| {
            let client = client.clone();
            tokio::spawn(async move { client.changes(after, PAGE).await })
        };
        let mut pending = fetch(cursor);
        loop {
            let page = match pending.await.map_err(|e| CoreError::Protocol(e.to_string()))? {
                Ok(page) => page,
                Err(error @ (CoreError::CursorGone(_) | CoreError::ServiceReset(_))) => {
                    if matches!(error, CoreError::ServiceReset(_)) {
                        // Ids and versions of the old data mean nothing now.
                        tracing::warn!("the service's data was reset; rebuilding the cache");
                        blocking(self.store(), |store| store.clear_synced()).await?;
                    }
                    self.resync(client).await?;
                    report.resynced = true;
                    cursor = self.store().cursor()?;
                    pending = fetch(cursor);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if page.has_more {
                pending = fetch(page.next_after);
            } else {
                pending = tokio::spawn(async { Err(CoreError::Protocol("no page requested".into())) });
            }
            report.changes += page.changes.len();
            let next_after = page.next_after;
            let changes = page.changes;
            let outcome = blocking(self.store(), move |store| store.apply_changes(&changes, next_after)).await?;
            report.conversations_changed += outcome.conversations.len();
            report.messages_added += outcome.messages.len();
            self.publish(&outcome, false);
            note_customer_lines(&outcome.messages);
            escalations.extend(outcome.new_escalations.iter().cloned());
            gaps.unknown_conversations.extend(outcome.unknown_conversations);
            gaps.gaps.extend(outcome.gaps);
            if !page.has_more {
                pending.abort();
                break;
            }
        }
        let extra = self.follow_up(client, &gaps, false).await?;
        note_customer_lines(&extra.messages);
        escalations.extend(extra.new_escalations);
        report.new_escalations += self.announce_backlog(escalations);
        if !first_sync && !report.resynced {
            self.announce_customer_lines(customer_lines);
        }
        Ok(())
    }

    /// Rebuilds the cache from a snapshot when the feed no longer has our cursor. The outbox
    /// is untouched: unsent replies survive any resync.
    async fn resync(&self, client: &ApiClient) -> CoreResult<()> {
        tracing::info!("the change feed no longer has our cursor; resyncing from a snapshot");
        let mut after = 0;
        let mut head = None;
        let mut seen = BTreeSet::new();
        loop {
            let page = client.conversations(after, 1_000).await?;
            head.get_or_insert(page.head_cursor);
            seen.extend(page.conversations.iter().map(|c| c.id));
            let conversations = page.conversations;
            let outcome = blocking(self.store(), move |store| store.apply_snapshot(&conversations, &[])).await?;
            self.publish(&outcome, false);
            self.follow_up(client, &outcome, false).await?;
            match page.next_after {
                Some(next) => after = next,
                None => break,
            }
        }
        let removed = blocking(self.store(), move |store| store.retain_conversations(&seen)).await?;
        if removed > 0 {
            tracing::info!(removed, "dropped conversations the service no longer has");
        }
        let head = head.unwrap_or_default();
        blocking(self.store(), move |store| store.set_cursor(head)).await?;
        if let Ok(agents) = client.agents().await {
            blocking(self.store(), move |store| store.replace_agents(&agents)).await?;
        }
        Ok(())
    }

    /// Sends pending outbox items in order. Stops at the first network failure; a permanent
    /// refusal marks that item failed (kept for retry, edit or discard) and goes on.
    pub async fn flush_outbox(&self, client: &ApiClient) -> CoreResult<FlushReport> {
        let _one_at_a_time = self.flush_lock.lock().await;
        let mut report = FlushReport::default();
        let pending = blocking(self.store(), |store| store.pending_outbox()).await?;
        for item in pending {
            // It may have been acknowledged through the feed meanwhile.
            let client_id = item.client_id.clone();
            let current = blocking(self.store(), move |store| store.outbox_item(&client_id)).await?;
            if current.is_none_or(|c| c.state != DeliveryState::Pending) {
                continue;
            }
            match client.post_message(item.conversation_id, &item.client_id, &item.text, item.private).await {
                Ok(message) => {
                    let client_id = item.client_id.clone();
                    let applied =
                        blocking(self.store(), move |store| store.complete_outbox_item(&client_id, &message)).await?;
                    if applied.acknowledged.is_empty() {
                        continue;
                    }
                    report.sent += 1;
                    self.publish(&applied, true);
                    if !applied.unknown_conversations.is_empty() {
                        self.follow_up(client, &applied, true).await?;
                    }
                }
                Err(error @ (CoreError::Refused { status: 400..=499, .. } | CoreError::AlreadyClaimed { .. }))
                    if !matches!(error, CoreError::Refused { status: 429, .. }) =>
                {
                    let reason = match &error {
                        CoreError::Refused { message, .. } => message.clone(),
                        other => other.to_string(),
                    };
                    let client_id = item.client_id.clone();
                    let failed =
                        blocking(self.store(), move |store| store.fail_outbox_item(&client_id, &reason)).await?;
                    report.failed += 1;
                    if let Some(item) = failed {
                        tracing::warn!(client_id = %item.client_id, error = ?item.error, "the service refused a message");
                        self.emit(CoreEvent::OutboxChanged { item });
                    }
                }
                Err(error) => {
                    let client_id = item.client_id.clone();
                    blocking(self.store(), move |store| store.note_attempt(&client_id)).await?;
                    return Err(error);
                }
            }
        }
        Ok(report)
    }

    /// Fetches the tag catalogue into the cache; tells subscribers when it changed. Best effort:
    /// a service without tags, or a failed fetch, leaves the cached catalogue as it was.
    pub(crate) async fn refresh_tags(&self, client: &ApiClient) {
        let tags = match client.tags().await {
            Ok(tags) => tags,
            Err(error) => {
                tracing::debug!(%error, "the tag catalogue was not refreshed");
                return;
            }
        };
        let stored = tags.clone();
        match blocking(self.store(), move |store| store.replace_tags(&stored)).await {
            Ok(true) => {
                let tags = self.store().tags().unwrap_or(tags);
                self.emit(CoreEvent::TagsChanged { tags });
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "the tag catalogue could not be cached"),
        }
    }

    async fn refresh_queue_stats(&self, client: &ApiClient) -> CoreResult<()> {
        let stats = client.queue().await?;
        let previous = self.store().queue_stats()?;
        if previous.as_ref() != Some(&stats) {
            let stored = stats.clone();
            blocking(self.store(), move |store| store.set_sync_value("queue_stats", &stored)).await?;
            self.emit(CoreEvent::QueueStatsChanged { stats });
        }
        Ok(())
    }

    /// Catches up, fills gaps, flushes the outbox, refreshes queue stats — then returns.
    pub async fn sync_once(&self) -> CoreResult<SyncReport> {
        let client = self.client().await?;
        self.set_connection(ConnectionState::Connecting { attempt: 1 });
        let result = self.sync_once_with(&client).await;
        match &result {
            Ok(_) => self.set_connection(ConnectionState::Online),
            Err(error) => self.set_connection(ConnectionState::Offline {
                since: Utc::now(),
                error: error.to_string(),
                retry_at: None,
            }),
        }
        result
    }

    async fn sync_once_with(&self, client: &ApiClient) -> CoreResult<SyncReport> {
        let mut report = SyncReport::default();
        self.refresh_me(client).await?;
        self.refresh_tags(client).await;
        self.catch_up(client, &mut report).await?;
        let flushed = self.flush_outbox(client).await?;
        report.sent = flushed.sent;
        report.failed = flushed.failed;
        if flushed.sent > 0 {
            // Bring in what the deliveries changed on the service (conversation versions).
            let mut after_flush = SyncReport::default();
            self.catch_up(client, &mut after_flush).await?;
            report.changes += after_flush.changes;
        }
        self.refresh_queue_stats(client).await?;
        Ok(report)
    }

    /// Follows the live stream from the cursor until it ends.
    async fn follow(&self, client: &ApiClient, shutdown: &mut watch::Receiver<bool>) -> CoreResult<()> {
        let cursor = self.store().cursor()?;
        let mut response = client.stream(cursor).await?;
        self.set_connection(ConnectionState::Online);
        let mut parser = SseParser::default();
        loop {
            let chunk = tokio::select! {
                _ = shutdown.changed() => return Ok(()),
                chunk = next_chunk(&mut response, STREAM_IDLE) => chunk,
            };
            let chunk = chunk.map_err(|end| CoreError::Offline {
                server: client.server().to_string(),
                reason: format!("the live stream ended: {end:?}"),
                what: "reconnecting".into(),
            })?;
            let mut changes = Vec::new();
            for event in parser.feed(&chunk) {
                match classify(&event)? {
                    LiveEvent::Change(change) => changes.push(*change),
                    LiveEvent::Activity(entry) => self.emit(CoreEvent::ConversationActivity {
                        conversation_id: entry.conversation_id,
                        agent: entry.agent,
                        activity: entry.activity,
                        expires_at: entry.expires_at,
                    }),
                    LiveEvent::Error { body, raw } => {
                        return match body {
                            Some(body) if body.error.code == "cursor_unknown" => Err(CoreError::ServiceReset(cursor)),
                            Some(body) if body.error.code.starts_with("cursor_") => Err(CoreError::CursorGone(cursor)),
                            _ => Err(CoreError::Protocol(format!("the stream reported an error: {raw}"))),
                        };
                    }
                    LiveEvent::Ignored => {}
                }
            }
            let Some(last) = changes.last().map(|c| c.cursor) else { continue };
            let outcome = blocking(self.store(), move |store| store.apply_changes(&changes, last)).await?;
            self.publish(&outcome, true);
            if !outcome.unknown_conversations.is_empty() || !outcome.gaps.is_empty() {
                self.follow_up(client, &outcome, true).await?;
            }
            if !outcome.messages.is_empty() || !outcome.conversations.is_empty() {
                self.set_connection(ConnectionState::Online);
            }
        }
    }

    /// One connected session: catch up, flush, then follow live until the stream ends.
    async fn session(&self, shutdown: &mut watch::Receiver<bool>, attempt: u32) -> CoreResult<()> {
        self.set_connection(ConnectionState::Connecting { attempt });
        let client = self.client().await?;
        self.refresh_me(&client).await?;
        if let Ok(agents) = client.agents().await {
            blocking(self.store(), move |store| store.replace_agents(&agents)).await?;
        }
        self.refresh_tags(&client).await;
        let mut report = SyncReport::default();
        self.catch_up(&client, &mut report).await?;
        self.outbox_wake.notify_one();
        self.stats_wake.notify_one();
        match self.follow(&client, shutdown).await {
            Err(CoreError::CursorGone(_) | CoreError::ServiceReset(_)) => {
                let mut report = SyncReport::default();
                self.catch_up(&client, &mut report).await
            }
            other => other,
        }
    }

    /// Runs sync, outbox delivery and queue statistics until `shutdown` turns true.
    /// [`Engine::stop_live_sync`] stops them too.
    pub fn run(self: &Arc<Self>, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        let running = RunningGuard::new(self);
        let (stop, stopped) = watch::channel(false);
        let mut halt = self.halt.subscribe();
        tokio::spawn(async move {
            let _running = running;
            let relay = tokio::spawn(async move {
                tokio::select! {
                    _ = shutdown.wait_for(|stop| *stop) => {}
                    _ = halt.wait_for(|halt| *halt) => {}
                }
                let _ = stop.send(true);
            });
            let outbox = tokio::spawn(engine.clone().outbox_loop(stopped.clone()));
            let stats = tokio::spawn(engine.clone().stats_loop(stopped.clone()));
            let embedding = tokio::spawn(engine.clone().embed_loop(stopped.clone()));
            engine.sync_loop(stopped).await;
            let _ = outbox.await;
            let _ = stats.await;
            let _ = embedding.await;
            relay.abort();
        })
    }

    async fn sync_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut attempt = 1;
        let mut offline_since = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let result = self.session(&mut shutdown, attempt).await;
            if *shutdown.borrow() {
                break;
            }
            let refused = matches!(result, Err(CoreError::Unauthorized(_)));
            let error = match result {
                Ok(()) => "the live stream closed".to_string(),
                Err(CoreError::Unauthorized(message)) => format!("the service refused the token: {message}"),
                Err(error) => error.to_string(),
            };
            let was_online = self.is_online();
            if was_online {
                attempt = 1;
            }
            let since = *offline_since.get_or_insert_with(Utc::now);
            let delay = backoff(attempt);
            tracing::info!(%error, attempt, retry_in_ms = delay.as_millis() as u64, "sync disconnected");
            self.set_connection(if refused {
                ConnectionState::Refused { since, error }
            } else {
                ConnectionState::Offline {
                    since,
                    error,
                    retry_at: Some(Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default()),
                }
            });
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(delay) => {}
                _ = self.reconnect_wake.notified() => {}
            }
            attempt = attempt.saturating_add(1);
            if self.is_online() {
                offline_since = None;
            }
        }
    }

    async fn outbox_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut status = self.status();
        loop {
            let online = matches!(status.borrow().connection, ConnectionState::Online);
            if online {
                if let Ok(client) = self.client().await {
                    if let Err(error) = self.flush_outbox(&client).await {
                        tracing::info!(%error, "outbox delivery paused");
                        // The stream may not have noticed yet; let the sync loop reconnect.
                        self.reconnect_wake.notify_one();
                    }
                }
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = self.outbox_wake.notified() => {}
                _ = status.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            }
        }
    }

    async fn stats_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = self.stats_wake.notified() => {
                    // Coalesce bursts of changes into one request.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                _ = tokio::time::sleep(STATS_EVERY) => {}
            }
            if self.is_online() {
                if let Ok(client) = self.client().await {
                    if let Err(error) = self.refresh_queue_stats(&client).await {
                        tracing::debug!(%error, "queue statistics not refreshed");
                    }
                }
            }
        }
    }
}

/// Counts a live [`Engine::run`] task for as long as it exists, even if it panics.
struct RunningGuard(watch::Sender<usize>);

impl RunningGuard {
    fn new(engine: &Engine) -> Self {
        engine.running.send_modify(|n| *n += 1);
        Self(engine.running.clone())
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        for attempt in 1..=20 {
            let nominal = BACKOFF_BASE.saturating_mul(1 << (attempt - 1).min(16)).min(BACKOFF_MAX);
            let delay = backoff(attempt);
            assert!(delay <= nominal && delay >= nominal / 2, "attempt {attempt}: {delay:?} vs {nominal:?}");
        }
        assert!(backoff(30) <= BACKOFF_MAX);
    }
}
