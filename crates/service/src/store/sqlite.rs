//! The SQLite implementation of [`Store`]: one writer connection behind a mutex (so commands
//! are serialised and races have exactly one winner) and a small pool of readers (WAL lets
//! them read while the writer writes).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, Notify};

use super::migrations::{migrate, MigrationError};
use super::rows::*;
use super::*;
use crate::error::{ServiceError, ServiceResult};
use crate::validate;

/// How many recent claims the wait estimate looks at.
const ESTIMATE_SAMPLE: i64 = 20;
/// Claims older than this do not count for the wait estimate.
const ESTIMATE_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// Assumed handling pace when there is no claim history yet.
const DEFAULT_SECONDS_PER_HANDOFF: i64 = 60;
/// The team's pace for a customer's own estimate: claims in this window…
const PACE_WINDOW_MS: i64 = 3600 * 1000;
/// …when there are at least this many of them.
const MIN_CLAIMS_FOR_PACE: i64 = 3;
const SYSTEM_AUTHOR: &str = "Handoff Desk";
const BOT_AUTHOR: &str = "Bot";

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Enqueue outbound webhook deliveries for agent replies and customer-facing notices.
    pub outbound_webhooks: bool,
    /// How many readers may be open at once.
    pub readers: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { outbound_webhooks: false, readers: 8 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(transparent)]
    Migration(#[from] MigrationError),
}

struct Writer {
    conn: Connection,
    next_cursor: i64,
}

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Writer>,
    readers: Mutex<Vec<Connection>>,
    max_idle_readers: usize,
    head: AtomicI64,
    /// Every cursor at or below this was pruned.
    pruned_through: AtomicI64,
    feed: broadcast::Sender<FeedRecord>,
    deliveries: Arc<Notify>,
    options: StoreOptions,
}

fn open_connection(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("hd_{}", hex::encode(bytes))
}

/// One write transaction plus the feed records it produces.
struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    next_cursor: i64,
    records: Vec<FeedRecord>,
    /// While set, emitted entities wait here instead of entering the feed.
    held: Option<Vec<ChangeEntity>>,
    now_ms: i64,
    enqueued_delivery: bool,
    outbound_webhooks: bool,
}

impl Tx<'_> {
    fn emit(&mut self, entity: ChangeEntity) -> ServiceResult<()> {
        if let Some(held) = self.held.as_mut() {
            held.push(entity);
            return Ok(());
        }
        let cursor = self.next_cursor;
        let change = Change { cursor, at: time_from_ms(self.now_ms), entity };
        let json = serde_json::to_string(&change).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.tx.execute("INSERT INTO changes (cursor, record) VALUES (?1, ?2)", params![cursor, json])?;
        self.next_cursor += 1;
        self.records.push(FeedRecord { cursor, json: json.into() });
        Ok(())
    }

    fn conversation(&self, id: i64) -> ServiceResult<Conversation> {
        load_conversation(&self.tx, id)
    }

    /// Bumps the version and announces the conversation's new state.
    fn touch_conversation(&mut self, id: i64) -> ServiceResult<Conversation> {
        self.tx.execute(
            "UPDATE conversations SET version = version + 1, updated_at_ms = ?2 WHERE id = ?1",
            params![id, self.now_ms],
        )?;
        let conversation = self.conversation(id)?;
        self.emit(ChangeEntity::Conversation { conversation: conversation.clone() })?;
        Ok(conversation)
    }

    #[allow(clippy::too_many_arguments)]
    fn append_message(
        &mut self,
        conversation_id: i64,
        role: Role,
        author: &str,
        text: &str,
        private: bool,
        client_id: Option<&str>,
        agent_id: Option<i64>,
        created_at_ms: i64,
    ) -> ServiceResult<Message> {
        let seq: i64 = self.tx.query_row(
            "UPDATE conversations SET last_message_seq = last_message_seq + 1 WHERE id = ?1 \
             RETURNING last_message_seq",
            params![conversation_id],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT INTO messages (conversation_id, seq, role, author, text, private, client_id, \
             agent_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![conversation_id, seq, role.as_str(), author, text, private, client_id, agent_id, created_at_ms],
        )?;
        let message = Message {
            conversation_id,
            seq,
            role,
            author: author.to_string(),
            text: text.to_string(),
            private,
            client_id: client_id.map(str::to_string),
            created_at: time_from_ms(created_at_ms),
        };
        self.emit(ChangeEntity::Message { message: message.clone() })?;
        Ok(message)
    }

    /// Queues `message` for the bot platform (agent replies and customer-facing notices; never
    /// notes, never lines that came from the platform itself).
    fn enqueue_delivery(&mut self, message: &Message) -> ServiceResult<()> {
        if !self.outbound_webhooks || message.private {
            return Ok(());
        }
        let external_id: String = self.tx.query_row(
            "SELECT external_id FROM conversations WHERE id = ?1",
            params![message.conversation_id],
            |r| r.get(0),
        )?;
        let delivery_id = uuid::Uuid::new_v4().to_string();
        let payload = OutboundReply {
            delivery_id: delivery_id.clone(),
            external_id,
            conversation_id: message.conversation_id,
            message: message.clone(),
        };
        let payload = serde_json::to_string(&payload).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.tx.execute(
            "INSERT INTO webhook_deliveries (id, conversation_id, payload, next_attempt_at_ms, \
             created_at_ms) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![delivery_id, message.conversation_id, payload, self.now_ms],
        )?;
        self.enqueued_delivery = true;
        Ok(())
    }
}

fn load_conversation(conn: &Connection, id: i64) -> ServiceResult<Conversation> {
    conn.query_row(
        &format!("SELECT {CONVERSATION_COLUMNS} {CONVERSATION_FROM} WHERE c.id = ?1"),
        params![id],
        conversation_from_row,
    )
    .optional()?
    .ok_or_else(|| ServiceError::conversation_not_found(id))
}

fn load_agent(conn: &Connection, id: i64) -> ServiceResult<Agent> {
    conn.query_row(
        "SELECT id, name, presence FROM agents WHERE id = ?1 AND revoked_at_ms IS NULL",
        params![id],
        agent_from_row,
    )
    .optional()?
    .ok_or_else(|| ServiceError::NotFound(format!("agent {id} does not exist or was revoked")))
}

/// Status and assignee of a conversation, for command preconditions.
fn status_of(conn: &Connection, id: i64) -> ServiceResult<(ConversationStatus, Option<i64>)> {
    let row: Option<(String, Option<i64>)> = conn
        .query_row("SELECT status, assignee_id FROM conversations WHERE id = ?1", params![id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (status, assignee) = row.ok_or_else(|| ServiceError::conversation_not_found(id))?;
    let status = ConversationStatus::parse(&status)
        .ok_or_else(|| ServiceError::Internal(format!("unknown status {status:?}")))?;
    Ok((status, assignee))
}

fn require_assignee(conn: &Connection, id: i64, agent: &AgentRef, action: &str) -> ServiceResult<()> {
    let (status, assignee) = status_of(conn, id)?;
    if status != ConversationStatus::Assigned {
        return Err(ServiceError::conflict(
            "not_assigned",
            format!("conversation {id} is {}; claim it before you {action} it", status.as_str()),
        ));
    }
    if assignee != Some(agent.id) {
        return Err(ServiceError::Forbidden(format!(
            "conversation {id} is assigned to another agent; only its assignee can {action} it"
        )));
    }
    Ok(())
}

fn queue_stats(conn: &Connection, now_ms: i64) -> ServiceResult<QueueStats> {
    let (waiting, oldest): (i64, Option<i64>) =
        conn.query_row("SELECT count(*), min(escalated_at_ms) FROM conversations WHERE status = 'waiting'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let available_agents: i64 = conn.query_row(
        "SELECT count(*) FROM agents WHERE presence = 'available' AND revoked_at_ms IS NULL",
        [],
        |r| r.get(0),
    )?;
    let mut waits: Vec<i64> = conn
        .prepare_cached("SELECT waited_ms FROM claims WHERE claimed_at_ms >= ?1 ORDER BY claimed_at_ms DESC LIMIT ?2")?
        .query_map(params![now_ms - ESTIMATE_WINDOW_MS, ESTIMATE_SAMPLE], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    waits.sort_unstable();
    let estimated_wait_seconds = (available_agents > 0).then(|| match waits.len() {
        0 => DEFAULT_SECONDS_PER_HANDOFF * ((waiting + available_agents) / available_agents),
        n => (waits[n / 2] / 1000).max(1),
    });
    Ok(QueueStats {
        waiting,
        available_agents,
        estimated_wait_seconds,
        longest_wait_seconds: oldest.map(|t| ((now_ms - t) / 1000).max(0)),
    })
}

/// Who wrote a line the bot platform sent.
fn platform_author(role: Role, customer_name: &str) -> &str {
    match role {
        Role::Customer => customer_name,
        Role::System => SYSTEM_AUTHOR,
        _ => BOT_AUTHOR,
    }
}

/// How long the customer of waiting conversation `id` will likely still wait, in seconds: their
/// place in the queue divided by the team's recent pace (claims in the last hour), or — with
/// too few recent claims to measure a pace — the queue's estimate once per round of available
/// agents ahead of them. None when nobody is available.
fn conversation_wait_estimate(
    conn: &Connection,
    id: i64,
    now_ms: i64,
    stats: &QueueStats,
) -> ServiceResult<Option<i64>> {
    if stats.available_agents == 0 {
        return Ok(None);
    }
    let position: i64 = conn.query_row(
        "SELECT count(*) FROM conversations WHERE status = 'waiting' \
         AND escalated_at_ms <= (SELECT escalated_at_ms FROM conversations WHERE id = ?1)",
        params![id],
        |r| r.get(0),
    )?;
    let position = position.max(1);
    let recent_claims: i64 = conn.query_row(
        "SELECT count(*) FROM claims WHERE claimed_at_ms >= ?1",
        params![now_ms - PACE_WINDOW_MS],
        |r| r.get(0),
    )?;
    let estimate = if recent_claims >= MIN_CLAIMS_FOR_PACE {
        position * PACE_WINDOW_MS / 1000 / recent_claims
    } else {
        let rounds = (position + stats.available_agents - 1) / stats.available_agents;
        stats.estimated_wait_seconds.unwrap_or(DEFAULT_SECONDS_PER_HANDOFF) * rounds
    };
    Ok(Some(estimate.max(1)))
}

/// The text of the estimated-wait message the customer sees, from `estimated_wait_seconds`
/// (this customer's, when the service knows it, else the queue's).
pub fn wait_notice_text(stats: &QueueStats) -> String {
    match stats.estimated_wait_seconds {
        Some(seconds) => {
            let minutes = ((seconds + 59) / 60).max(1);
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            format!(
                "I'm connecting you with a human expert now. Our current wait time is about {minutes} \
                 {unit}. Thanks for your patience — you can keep writing here, and they will see \
                 everything you've said."
            )
        }
        None => "I'm connecting you with a human expert, but everyone is busy right now. If you'd \
                 rather not wait, reply with your email address and we'll follow up by email as \
                 soon as someone is free."
            .to_string(),
    }
}

impl SqliteStore {
    pub fn open(path: &Path, options: StoreOptions) -> Result<Self, OpenError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        let open_err = |source| OpenError::Open { path: path.to_path_buf(), source };
        let mut conn = open_connection(path).map_err(open_err)?;
        migrate(&mut conn)?;
        let head: i64 =
            conn.query_row("SELECT coalesce(max(cursor), 0) FROM changes", [], |r| r.get(0)).map_err(open_err)?;
        let pruned: i64 = conn
            .query_row("SELECT value FROM meta WHERE key = 'pruned_through'", [], |r| r.get::<_, String>(0))
            .optional()
            .map_err(open_err)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let (feed, _) = broadcast::channel(4096);
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(Writer { conn, next_cursor: head.max(pruned) + 1 }),
            readers: Mutex::new(Vec::new()),
            max_idle_readers: options.readers.max(1),
            head: AtomicI64::new(head.max(pruned)),
            pruned_through: AtomicI64::new(pruned),
            feed,
            deliveries: Arc::new(Notify::new()),
            options,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The catalogue with how many conversations carry each tag (`tags list`).
    pub fn tag_usage(&self) -> ServiceResult<Vec<(Tag, i64)>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT t.name, t.color, (SELECT count(*) FROM conversation_tags c WHERE c.tag = t.name) \
                 FROM tags t ORDER BY t.name",
            )?;
            let rows = stmt.query_map([], |r| Ok((Tag { name: r.get(0)?, color: r.get(1)? }, r.get(2)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // A panic inside a transaction rolls it back; the connection stays usable.
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction; publishes its feed records after commit.
    fn write<T>(&self, f: impl FnOnce(&mut Tx) -> ServiceResult<T>) -> ServiceResult<T> {
        let (out, enqueued_delivery) = {
            let mut guard = self.lock_writer();
            let writer = &mut *guard;
            let tx = writer.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Read inside the write lock: another process (`agents add`) may have written.
            let stored_head: i64 =
                tx.prepare_cached("SELECT coalesce(max(cursor), 0) FROM changes")?.query_row([], |r| r.get(0))?;
            let next_cursor = writer.next_cursor.max(stored_head + 1);
            let mut ctx = Tx {
                tx,
                next_cursor,
                records: Vec::new(),
                now_ms: now_ms(),
                enqueued_delivery: false,
                held: None,
                outbound_webhooks: self.options.outbound_webhooks,
            };
            let out = f(&mut ctx)?;
            let Tx { tx, next_cursor: next, records, enqueued_delivery, .. } = ctx;
            tx.commit()?;
            writer.next_cursor = next;
            if let Some(last) = records.last() {
                self.head.store(last.cursor, Ordering::Release);
            }
            // Sent while the writer lock is held, so subscribers see cursors in order.
            for record in records {
                let _ = self.feed.send(record);
            }
            (out, enqueued_delivery)
        };
        if enqueued_delivery {
            self.deliveries.notify_one();
        }
        Ok(out)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> ServiceResult<T>) -> ServiceResult<T> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = open_connection(&self.path)?;
                conn.pragma_update(None, "query_only", true)?;
                conn
            }
        };
        let out = f(&conn);
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle_readers {
            idle.push(conn);
        }
        out
    }

    fn agent_id_by_name(conn: &Connection, name: &str) -> ServiceResult<Option<(i64, bool)>> {
        Ok(conn
            .query_row("SELECT id, revoked_at_ms IS NOT NULL FROM agents WHERE name = ?1", params![name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn insert_token(tx: &mut Tx, agent: &AgentRef) -> ServiceResult<IssuedToken> {
        let token = new_token();
        tx.tx.execute(
            "INSERT INTO agent_tokens (token_hash, agent_id, created_at_ms) VALUES (?1, ?2, ?3)",
            params![hash_token(&token), agent.id, tx.now_ms],
        )?;
        Ok(IssuedToken { agent: agent.clone(), token })
    }

    fn insert_agent(tx: &mut Tx, name: &str) -> ServiceResult<AgentRef> {
        tx.tx.execute(
            "INSERT INTO agents (name, presence, created_at_ms) VALUES (?1, 'offline', ?2)",
            params![name, tx.now_ms],
        )?;
        let agent = AgentRef { id: tx.tx.last_insert_rowid(), name: name.to_string() };
        tx.emit(ChangeEntity::Agent {
            agent: Agent { id: agent.id, name: agent.name.clone(), presence: Presence::Offline },
        })?;
        Ok(agent)
    }

    /// Inserts a new conversation escalated at `escalated_at_ms`, with its transcript.
    fn insert_handoff(tx: &mut Tx, h: &IntakeHandoff, escalated_at_ms: i64) -> ServiceResult<i64> {
        let created_at_ms = h
            .transcript
            .first()
            .and_then(|line| line.at)
            .map(|at| at.timestamp_millis().min(escalated_at_ms))
            .unwrap_or(escalated_at_ms);
        tx.tx.execute(
            "INSERT INTO conversations (external_id, channel, status, customer_id, customer_name, \
             customer_email, customer_phone, customer_vip, customer_account_value, handoff_reason, \
             handoff_trigger, escalated_at_ms, summary, topic, priority, version, created_at_ms, \
             updated_at_ms) VALUES (?1, ?2, 'waiting', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
             ?13, ?14, 0, ?15, ?15)",
            params![
                h.external_id,
                h.channel,
                h.customer.id,
                h.customer.name,
                h.customer.email,
                h.customer.phone,
                h.customer.vip,
                h.customer.account_value,
                h.reason.as_str(),
                h.trigger,
                escalated_at_ms,
                h.summary,
                h.topic,
                h.priority.as_str(),
                created_at_ms,
            ],
        )?;
        let id = tx.tx.last_insert_rowid();
        // The feed carries the new conversation, in its final state, before its messages: a
        // reader always knows the conversation a message belongs to.
        tx.held = Some(Vec::new());
        let appended = Self::append_transcript(tx, id, &h.customer.name, &h.transcript, i64::MIN, escalated_at_ms);
        let messages = tx.held.take().unwrap_or_default();
        appended?;
        tx.touch_conversation(id)?;
        for message in messages {
            tx.emit(message)?;
        }
        Ok(id)
    }

    /// Appends the transcript lines said after `after_ms` (lines without a time always count).
    fn append_transcript(
        tx: &mut Tx,
        id: i64,
        customer_name: &str,
        transcript: &[TranscriptEntry],
        after_ms: i64,
        default_ms: i64,
    ) -> ServiceResult<()> {
        for line in transcript {
            let at_ms = line.at.map(|t| t.timestamp_millis());
            if at_ms.is_some_and(|t| t <= after_ms) {
                continue;
            }
            if let Some(message_id) = &line.message_id {
                // A line the platform named before is never stored twice, whatever its time says.
                if Self::intake_message_seq(tx, id, message_id)?.is_some() {
                    continue;
                }
            }
            let author = platform_author(line.role, customer_name);
            let message =
                tx.append_message(id, line.role, author, &line.text, false, None, None, at_ms.unwrap_or(default_ms))?;
            if let Some(message_id) = &line.message_id {
                Self::remember_intake_message(tx, id, message_id, message.seq)?;
            }
        }
        Ok(())
    }

    /// The seq of the message the platform named `message_id` in conversation `id`, if stored.
    fn intake_message_seq(tx: &Tx, id: i64, message_id: &str) -> ServiceResult<Option<i64>> {
        Ok(tx
            .tx
            .query_row(
                "SELECT seq FROM intake_message_ids WHERE conversation_id = ?1 AND message_id = ?2",
                params![id, message_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn remember_intake_message(tx: &Tx, id: i64, message_id: &str, seq: i64) -> ServiceResult<()> {
        tx.tx.execute(
            "INSERT INTO intake_message_ids (conversation_id, message_id, seq) VALUES (?1, ?2, ?3)",
            params![id, message_id, seq],
        )?;
        Ok(())
    }

    fn set_assignee(tx: &mut Tx, id: i64, status: ConversationStatus, assignee: Option<i64>) -> ServiceResult<()> {
        tx.tx.execute(
            "UPDATE conversations SET status = ?2, assignee_id = ?3 WHERE id = ?1",
            params![id, status.as_str(), assignee],
        )?;
        Ok(())
    }

    fn claim_in(tx: &mut Tx, id: i64, agent: &AgentRef) -> ServiceResult<Conversation> {
        let conversation = tx.conversation(id)?;
        match (conversation.status, &conversation.assignee) {
            (ConversationStatus::Waiting, _) => {}
            (ConversationStatus::Assigned, Some(current)) if current.id == agent.id => return Ok(conversation),
            (ConversationStatus::Assigned, Some(current)) => {
                return Err(ServiceError::Conflict {
                    code: "already_claimed",
                    message: format!("{} claimed conversation {id} first", current.name),
                    assignee: Some(current.clone()),
                })
            }
            (status, _) => {
                return Err(ServiceError::conflict(
                    "not_waiting",
                    format!("conversation {id} is {}; only waiting conversations can be claimed", status.as_str()),
                ))
            }
        }
        let escalated_ms = conversation.handoff.as_ref().map(|h| h.escalated_at.timestamp_millis());
        let waited_ms = escalated_ms.map(|e| (tx.now_ms - e).max(0)).unwrap_or(0);
        tx.tx.execute(
            "INSERT INTO claims (conversation_id, agent_id, waited_ms, claimed_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![id, agent.id, waited_ms, tx.now_ms],
        )?;
        tx.tx.execute("UPDATE conversations SET assigned_at_ms = ?2 WHERE id = ?1", params![id, tx.now_ms])?;
        Self::set_assignee(tx, id, ConversationStatus::Assigned, Some(agent.id))?;
        tx.touch_conversation(id)
    }

    fn post_wait_notice_in(tx: &mut Tx, id: i64, request: WaitNoticeRequest) -> ServiceResult<Option<Message>> {
        let (status, _) = status_of(&tx.tx, id)?;
        let noticed: Option<i64> =
            tx.tx.query_row("SELECT wait_notice_at_ms FROM conversations WHERE id = ?1", params![id], |r| r.get(0))?;
        match request {
            WaitNoticeRequest::Automatic => {
                if status != ConversationStatus::Waiting || noticed.is_some() {
                    return Ok(None);
                }
            }
            WaitNoticeRequest::Manual { min_interval } => {
                if status != ConversationStatus::Waiting {
                    return Err(ServiceError::conflict(
                        "not_waiting",
                        format!(
                            "conversation {id} is {}; the wait notice is only for conversations waiting for an agent",
                            status.as_str()
                        ),
                    ));
                }
                let min_ms = i64::try_from(min_interval.as_millis()).unwrap_or(i64::MAX);
                if let Some(last) = noticed {
                    let left_ms = last.saturating_add(min_ms).saturating_sub(tx.now_ms);
                    if left_ms > 0 {
                        let seconds = (left_ms as u64).div_ceil(1000).max(1);
                        return Err(ServiceError::TooManyRequests {
                            code: "wait_notice_too_soon",
                            message: format!(
                                "conversation {id} got a wait notice {} s ago and takes at most one every \
                                 {} s; try again in {seconds} s",
                                (tx.now_ms - last).max(0) / 1000,
                                min_interval.as_secs_f64().ceil() as u64
                            ),
                            retry_after_seconds: seconds,
                        });
                    }
                }
            }
        }
        let mut stats = queue_stats(&tx.tx, tx.now_ms)?;
        stats.estimated_wait_seconds = conversation_wait_estimate(&tx.tx, id, tx.now_ms, &stats)?;
        let now = tx.now_ms;
        let message =
            tx.append_message(id, Role::System, SYSTEM_AUTHOR, &wait_notice_text(&stats), false, None, None, now)?;
        tx.enqueue_delivery(&message)?;
        tx.tx.execute("UPDATE conversations SET wait_notice_at_ms = ?2 WHERE id = ?1", params![id, now])?;
        tx.touch_conversation(id)?;
        Ok(Some(message))
    }
}

impl Store for SqliteStore {
    fn head_cursor(&self) -> i64 {
        self.head.load(Ordering::Acquire)
    }

    fn check_cursor(&self, after: i64) -> ServiceResult<()> {
        if after < 0 {
            return Err(ServiceError::bad_request("invalid_cursor", "the cursor must not be negative"));
        }
        let pruned = self.pruned_through.load(Ordering::Acquire);
        if after < pruned {
            return Err(ServiceError::CursorExpired { after, oldest: pruned });
        }
        let mut head = self.head_cursor();
        if after > head {
            // Another process may have written changes this one has not seen yet.
            let stored: i64 = self
                .read(|conn| Ok(conn.query_row("SELECT coalesce(max(cursor), 0) FROM changes", [], |r| r.get(0))?))?;
            head = self.head.fetch_max(stored, Ordering::AcqRel).max(stored);
        }
        if after > head {
            return Err(ServiceError::CursorAhead { after, head });
        }
        Ok(())
    }

    fn changes_after(&self, after: i64, limit: u32) -> ServiceResult<FeedPage> {
        self.check_cursor(after)?;
        let head = self.head_cursor();
        let limit = limit.clamp(1, MAX_PAGE_LIMIT) as i64;
        let mut records = self.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT cursor, record FROM changes WHERE cursor > ?1 ORDER BY cursor LIMIT ?2")?;
            let rows = stmt.query_map(params![after, limit + 1], |r| {
                Ok(FeedRecord { cursor: r.get(0)?, json: r.get::<_, String>(1)?.into() })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let has_more = records.len() as i64 > limit;
        records.truncate(limit as usize);
        // Pruning may have raced with the read: check again so no gap is ever served.
        self.check_cursor(after)?;
        Ok(FeedPage { records, head: head.max(self.head_cursor()), has_more })
    }

    fn publish_external_changes(&self) -> ServiceResult<usize> {
        // Under the writer lock, so these records reach subscribers in cursor order with this
        // process's own.
        let _writer = self.lock_writer();
        let head = self.head_cursor();
        let records = self.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT cursor, record FROM changes WHERE cursor > ?1 ORDER BY cursor")?;
            let rows = stmt.query_map(params![head], |r| {
                Ok(FeedRecord { cursor: r.get(0)?, json: r.get::<_, String>(1)?.into() })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let count = records.len();
        if let Some(last) = records.last() {
            self.head.fetch_max(last.cursor, Ordering::AcqRel);
        }
        for record in records {
            let _ = self.feed.send(record);
        }
        Ok(count)
    }

    fn subscribe(&self) -> broadcast::Receiver<FeedRecord> {
        self.feed.subscribe()
    }

    fn prune_changes(&self, keep: u64) -> ServiceResult<u64> {
        let mut writer = self.lock_writer();
        let tx = writer.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: i64 = tx.query_row("SELECT coalesce(max(cursor), 0) FROM changes", [], |r| r.get(0))?;
        let through = head - keep as i64;
        if through <= self.pruned_through.load(Ordering::Acquire) {
            return Ok(0);
        }
        let removed = tx.execute("DELETE FROM changes WHERE cursor <= ?1", params![through])?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('pruned_through', ?1) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![through.to_string()],
        )?;
        tx.commit()?;
        self.pruned_through.store(through, Ordering::Release);
        Ok(removed as u64)
    }

    fn list_conversations(
        &self,
        status: Option<ConversationStatus>,
        after: i64,
        limit: u32,
    ) -> ServiceResult<ConversationsPage> {
        let limit = limit.clamp(1, MAX_PAGE_LIMIT) as i64;
        // The head is read before the rows, so following the feed from it misses nothing.
        let head_cursor = self.head_cursor();
        let mut conversations = self.read(|conn| {
            let sql = format!(
                "SELECT {CONVERSATION_COLUMNS} {CONVERSATION_FROM} WHERE c.id > ?1 \
                 AND (?2 IS NULL OR c.status = ?2) ORDER BY c.id LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![after, status.map(|s| s.as_str()), limit + 1], conversation_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let more = conversations.len() as i64 > limit;
        conversations.truncate(limit as usize);
        let next_after = if more { conversations.last().map(|c| c.id) } else { None };
        Ok(ConversationsPage { conversations, next_after, head_cursor })
    }

    fn conversation(&self, id: i64) -> ServiceResult<Conversation> {
        self.read(|conn| load_conversation(conn, id))
    }

    fn messages(&self, id: i64, after: i64, limit: u32) -> ServiceResult<MessagesPage> {
        let limit = limit.clamp(1, MAX_PAGE_LIMIT) as i64;
        self.read(|conn| {
            let exists: bool =
                conn.query_row("SELECT EXISTS(SELECT 1 FROM conversations WHERE id = ?1)", params![id], |r| r.get(0))?;
            if !exists {
                return Err(ServiceError::conversation_not_found(id));
            }
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND seq > ?2 \
                 ORDER BY seq LIMIT ?3"
            ))?;
            let mut messages =
                stmt.query_map(params![id, after, limit + 1], message_from_row)?.collect::<Result<Vec<_>, _>>()?;
            let more = messages.len() as i64 > limit;
            messages.truncate(limit as usize);
            let next_after = if more { messages.last().map(|m| m.seq) } else { None };
            Ok(MessagesPage { messages, next_after })
        })
    }

    fn agents(&self) -> ServiceResult<Vec<Agent>> {
        self.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT id, name, presence FROM agents WHERE revoked_at_ms IS NULL ORDER BY name")?;
            let agents = stmt.query_map([], agent_from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(agents)
        })
    }

    fn agent(&self, id: i64) -> ServiceResult<Agent> {
        self.read(|conn| load_agent(conn, id))
    }

    fn queue_stats(&self) -> ServiceResult<QueueStats> {
        self.read(|conn| queue_stats(conn, now_ms()))
    }

    fn tags(&self) -> ServiceResult<Vec<Tag>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT name, color FROM tags ORDER BY name")?;
            let tags = stmt.query_map([], |r| Ok(Tag { name: r.get(0)?, color: r.get(1)? }))?;
            Ok(tags.collect::<Result<_, _>>()?)
        })
    }

    fn authenticate(&self, token: &str) -> ServiceResult<Option<AgentRef>> {
        let hash = hash_token(token);
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT a.id, a.name FROM agent_tokens t JOIN agents a ON a.id = t.agent_id \
                     WHERE t.token_hash = ?1 AND a.revoked_at_ms IS NULL",
                )?
                .query_row(params![hash], |r| Ok(AgentRef { id: r.get(0)?, name: r.get(1)? }))
                .optional()?)
        })
    }

    fn claim(&self, id: i64, agent: &AgentRef) -> ServiceResult<Conversation> {
        self.write(|tx| Self::claim_in(tx, id, agent))
    }

    fn release(&self, id: i64, agent: &AgentRef) -> ServiceResult<Conversation> {
        self.write(|tx| {
            require_assignee(&tx.tx, id, agent, "release")?;
            Self::set_assignee(tx, id, ConversationStatus::Waiting, None)?;
            tx.touch_conversation(id)
        })
    }

    fn resolve(&self, id: i64, agent: &AgentRef, outcome: ResolveOutcome) -> ServiceResult<Conversation> {
        self.write(|tx| {
            require_assignee(&tx.tx, id, agent, "resolve")?;
            match outcome {
                ResolveOutcome::Solved => Self::set_assignee(tx, id, ConversationStatus::Resolved, Some(agent.id))?,
                ResolveOutcome::BackToBot => Self::set_assignee(tx, id, ConversationStatus::Bot, None)?,
            }
            tx.touch_conversation(id)
        })
    }

    fn transfer(&self, id: i64, agent: &AgentRef, to_agent: i64, note: Option<&str>) -> ServiceResult<Conversation> {
        let note = validate::transfer_note(note)?;
        self.write(|tx| {
            require_assignee(&tx.tx, id, agent, "transfer")?;
            // Both are about the state of things, not the request's shape (which is valid): a
            // conflict with who holds it, and an agent id that names no active agent.
            if to_agent == agent.id {
                return Err(ServiceError::conflict(
                    "transfer_to_self",
                    "the conversation is already yours; pick another agent",
                ));
            }
            let target = load_agent(&tx.tx, to_agent).map_err(|_| {
                ServiceError::NotFound(format!(
                    "agent {to_agent} does not exist or was revoked; GET /v1/agents lists who can take it"
                ))
            })?;
            Self::set_assignee(tx, id, ConversationStatus::Assigned, Some(to_agent))?;
            // The transcript says who handed it to whom and why; private, so the customer never
            // sees colleagues' reasons.
            let line = match &note {
                Some(note) => format!("{} → {}: {note}", agent.name, target.name),
                None => format!("{} → {}", agent.name, target.name),
            };
            let now = tx.now_ms;
            tx.append_message(id, Role::System, SYSTEM_AUTHOR, &line, true, None, None, now)?;
            tx.touch_conversation(id)
        })
    }

    fn set_tags(&self, id: i64, tags: &[String]) -> ServiceResult<Conversation> {
        let wanted = validate::tag_set(tags)?;
        self.write(|tx| {
            let current = tx.conversation(id)?;
            for name in &wanted {
                let known: bool = tx
                    .tx
                    .prepare_cached("SELECT EXISTS(SELECT 1 FROM tags WHERE name = ?1)")?
                    .query_row(params![name], |r| r.get(0))?;
                if !known {
                    return Err(validate::unknown_tag(name));
                }
            }
            if current.tags == wanted {
                return Ok(current);
            }
            tx.tx.execute("DELETE FROM conversation_tags WHERE conversation_id = ?1", params![id])?;
            for name in &wanted {
                tx.tx.execute(
                    "INSERT INTO conversation_tags (conversation_id, tag) VALUES (?1, ?2)",
                    params![id, name],
                )?;
            }
            tx.touch_conversation(id)
        })
    }

    fn post_agent_message(
        &self,
        id: i64,
        agent: &AgentRef,
        idempotency_key: Option<&str>,
        body: &PostMessage,
    ) -> ServiceResult<PostedMessage> {
        if let Some(key) = idempotency_key {
            validate::idempotency_key(key)?;
        }
        validate::message_text(&body.text)?;
        self.write(|tx| {
            if let Some(key) = idempotency_key {
                let existing = tx
                    .tx
                    .query_row(
                        &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE agent_id = ?1 AND client_id = ?2"),
                        params![agent.id, key],
                        message_from_row,
                    )
                    .optional()?;
                if let Some(message) = existing {
                    if message.conversation_id != id || message.text != body.text || message.private != body.private {
                        return Err(ServiceError::conflict(
                            "idempotency_key_reused",
                            "this Idempotency-Key was already used for a different message; use a new key \
                             for a new message",
                        ));
                    }
                    return Ok(PostedMessage { message, replayed: true });
                }
            }
            let (status, assignee) = status_of(&tx.tx, id)?;
            if !body.private && (status != ConversationStatus::Assigned || assignee != Some(agent.id)) {
                return Err(ServiceError::Forbidden(format!(
                    "only the assignee can reply to conversation {id} (it is {}{}); claim it first, \
                     or post a private note",
                    status.as_str(),
                    if assignee.is_some() { ", assigned to another agent" } else { "" }
                )));
            }
            let now = tx.now_ms;
            let message = tx.append_message(
                id,
                Role::Agent,
                &agent.name,
                &body.text,
                body.private,
                idempotency_key,
                Some(agent.id),
                now,
            )?;
            tx.enqueue_delivery(&message)?;
            tx.touch_conversation(id)?;
            Ok(PostedMessage { message, replayed: false })
        })
    }

    fn set_presence(&self, agent: &AgentRef, presence: Presence) -> ServiceResult<Agent> {
        self.write(|tx| {
            let changed = tx.tx.execute(
                "UPDATE agents SET presence = ?2 WHERE id = ?1 AND presence <> ?2",
                params![agent.id, presence.as_str()],
            )?;
            let current = load_agent(&tx.tx, agent.id)?;
            if changed > 0 {
                tx.emit(ChangeEntity::Agent { agent: current.clone() })?;
            }
            Ok(current)
        })
    }

    fn post_wait_notice(&self, id: i64, request: WaitNoticeRequest) -> ServiceResult<Option<Message>> {
        self.write(|tx| Self::post_wait_notice_in(tx, id, request))
    }

    fn overdue_waiting(&self, cutoff: DateTime<Utc>) -> ServiceResult<Vec<i64>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM conversations WHERE status = 'waiting' AND wait_notice_at_ms IS NULL \
                 AND escalated_at_ms <= ?1 ORDER BY escalated_at_ms",
            )?;
            let ids = stmt.query_map(params![cutoff.timestamp_millis()], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(ids)
        })
    }

    fn intake_handoff(&self, h: &IntakeHandoff) -> ServiceResult<IntakeHandoffResult> {
        validate::intake_handoff(h)?;
        self.write(|tx| {
            let existing: Option<i64> = tx
                .tx
                .query_row("SELECT id FROM conversations WHERE external_id = ?1", params![h.external_id], |r| r.get(0))
                .optional()?;
            let Some(id) = existing else {
                let now = tx.now_ms;
                let id = Self::insert_handoff(tx, h, now)?;
                let conversation = tx.conversation(id)?;
                return Ok(IntakeHandoffResult { conversation, created: true });
            };
            let conversation = tx.conversation(id)?;
            if matches!(conversation.status, ConversationStatus::Waiting | ConversationStatus::Assigned) {
                // Already with the humans: a retried or repeated escalation changes nothing.
                return Ok(IntakeHandoffResult { conversation, created: false });
            }
            // Escalated again after the bot took it back or it was resolved.
            let last_at: i64 = tx.tx.query_row(
                "SELECT coalesce(max(created_at_ms), 0) FROM messages WHERE conversation_id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            tx.tx.execute(
                "UPDATE conversations SET status = 'waiting', assignee_id = NULL, channel = ?2, \
                 customer_name = ?3, customer_email = ?4, customer_phone = ?5, customer_vip = ?6, \
                 customer_account_value = ?7, handoff_reason = ?8, handoff_trigger = ?9, \
                 escalated_at_ms = ?10, summary = ?11, topic = ?12, priority = ?13, \
                 assigned_at_ms = NULL, wait_notice_at_ms = NULL WHERE id = ?1",
                params![
                    id,
                    h.channel,
                    h.customer.name,
                    h.customer.email,
                    h.customer.phone,
                    h.customer.vip,
                    h.customer.account_value,
                    h.reason.as_str(),
                    h.trigger,
                    tx.now_ms,
                    h.summary,
                    h.topic,
                    h.priority.as_str(),
                ],
            )?;
            let now = tx.now_ms;
            Self::append_transcript(tx, id, &h.customer.name, &h.transcript, last_at, now)?;
            let conversation = tx.touch_conversation(id)?;
            Ok(IntakeHandoffResult { conversation, created: false })
        })
    }

    fn intake_message(&self, external_id: &str, m: &IntakeMessage) -> ServiceResult<PostedMessage> {
        validate::intake_message(m)?;
        self.write(|tx| {
            let row: Option<(i64, String)> = tx
                .tx
                .query_row(
                    "SELECT id, customer_name FROM conversations WHERE external_id = ?1",
                    params![external_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (id, customer_name) = row.ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no conversation has external id {external_id:?}; escalate it first with POST /v1/intake/handoffs"
                ))
            })?;
            if let Some(message_id) = &m.message_id {
                if let Some(seq) = Self::intake_message_seq(tx, id, message_id)? {
                    // The platform sent this message before (a retry): answer with what was
                    // stored then and change nothing.
                    let message = tx.tx.query_row(
                        &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND seq = ?2"),
                        params![id, seq],
                        message_from_row,
                    )?;
                    return Ok(PostedMessage { message, replayed: true });
                }
            }
            let author = platform_author(m.role, &customer_name);
            let at = m.at.map(|t| t.timestamp_millis()).unwrap_or(tx.now_ms);
            let message = tx.append_message(id, m.role, author, &m.text, false, None, None, at)?;
            if let Some(message_id) = &m.message_id {
                Self::remember_intake_message(tx, id, message_id, message.seq)?;
            }
            tx.touch_conversation(id)?;
            Ok(PostedMessage { message, replayed: false })
        })
    }

    fn import_conversation(&self, c: &ImportedConversation) -> ServiceResult<Conversation> {
        validate::intake_handoff(&c.handoff)?;
        self.write(|tx| {
            let id = Self::insert_handoff(tx, &c.handoff, c.escalated_at.timestamp_millis())?;
            if let Some((agent_id, claimed_at)) = &c.claimed {
                let agent = load_agent(&tx.tx, *agent_id)?;
                let claimed_ms = claimed_at.timestamp_millis();
                tx.tx.execute(
                    "INSERT INTO claims (conversation_id, agent_id, waited_ms, claimed_at_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![id, agent.id, (claimed_ms - c.escalated_at.timestamp_millis()).max(0), claimed_ms],
                )?;
                tx.tx.execute(
                    "UPDATE conversations SET status = 'assigned', assignee_id = ?2, assigned_at_ms = ?3 WHERE id = ?1",
                    params![id, agent.id, claimed_ms],
                )?;
                let mut lines: Vec<(i64, Role, &str, &str, Option<i64>)> = c
                    .agent_replies
                    .iter()
                    .map(|(at, text)| {
                        (at.timestamp_millis(), Role::Agent, agent.name.as_str(), text.as_str(), Some(agent.id))
                    })
                    .collect();
                lines.extend(c.customer_follow_ups.iter().map(|(at, text)| {
                    (at.timestamp_millis(), Role::Customer, c.handoff.customer.name.as_str(), text.as_str(), None)
                }));
                lines.sort_by_key(|line| line.0);
                for (at, role, author, text, agent_id) in lines {
                    tx.append_message(id, role, author, text, false, None, agent_id, at)?;
                }
            } else {
                for (at, text) in &c.customer_follow_ups {
                    let name = c.handoff.customer.name.as_str();
                    tx.append_message(id, Role::Customer, name, text, false, None, None, at.timestamp_millis())?;
                }
            }
            match c.final_status {
                ConversationStatus::Resolved | ConversationStatus::Bot => {
                    tx.tx.execute(
                        "UPDATE conversations SET status = ?2, assignee_id = CASE WHEN ?2 = 'bot' THEN NULL \
                         ELSE assignee_id END WHERE id = ?1",
                        params![id, c.final_status.as_str()],
                    )?;
                }
                _ => {}
            }
            tx.touch_conversation(id)
        })
    }

    fn deliveries_enqueued(&self) -> Arc<Notify> {
        self.deliveries.clone()
    }

    fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> ServiceResult<Vec<DueDelivery>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT d.id, d.payload, d.attempts FROM webhook_deliveries d \
                 WHERE d.delivered_at_ms IS NULL AND d.failed_at_ms IS NULL AND d.next_attempt_at_ms <= ?1 \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.conversation_id = d.conversation_id \
                   AND e.delivered_at_ms IS NULL AND e.failed_at_ms IS NULL AND e.seq < d.seq) \
                 ORDER BY d.seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now.timestamp_millis(), limit], |r| {
                Ok(DueDelivery { id: r.get(0)?, payload: r.get(1)?, attempts: r.get(2)? })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn record_delivery_attempt(&self, id: &str, attempt: &DeliveryAttempt) -> ServiceResult<()> {
        self.write(|tx| {
            let now = tx.now_ms;
            match attempt {
                DeliveryAttempt::Delivered => tx.tx.execute(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at_ms = ?2, last_error = NULL \
                     WHERE id = ?1",
                    params![id, now],
                ),
                DeliveryAttempt::Retry { error, next_attempt_at } => tx.tx.execute(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?2, next_attempt_at_ms = ?3 \
                     WHERE id = ?1",
                    params![id, error, next_attempt_at.timestamp_millis()],
                ),
                DeliveryAttempt::GiveUp { error } => tx.tx.execute(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?2, failed_at_ms = ?3 \
                     WHERE id = ?1",
                    params![id, error, now],
                ),
            }?;
            Ok(())
        })
    }

    fn next_delivery_at(&self) -> ServiceResult<Option<DateTime<Utc>>> {
        self.read(|conn| {
            let next: Option<i64> = conn.query_row(
                "SELECT min(next_attempt_at_ms) FROM webhook_deliveries \
                 WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL",
                [],
                |r| r.get(0),
            )?;
            Ok(next.map(time_from_ms))
        })
    }

    fn deliveries(&self) -> ServiceResult<Vec<DeliveryStatus>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, conversation_id, attempts, delivered_at_ms IS NOT NULL, failed_at_ms IS NOT NULL, \
                 last_error FROM webhook_deliveries ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(DeliveryStatus {
                    id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    attempts: r.get(2)?,
                    delivered: r.get(3)?,
                    failed: r.get(4)?,
                    last_error: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn dead_letters(&self) -> ServiceResult<Vec<DeadLetter>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT d.id, d.conversation_id, c.external_id, d.attempts, d.created_at_ms, d.failed_at_ms, \
                 d.last_error FROM webhook_deliveries d JOIN conversations c ON c.id = d.conversation_id \
                 WHERE d.failed_at_ms IS NOT NULL AND d.delivered_at_ms IS NULL ORDER BY d.seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(DeadLetter {
                    id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    external_id: r.get(2)?,
                    attempts: r.get(3)?,
                    created_at: time_from_ms(r.get(4)?),
                    failed_at: time_from_ms(r.get(5)?),
                    last_error: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn redeliver(&self, ids: Option<&[String]>) -> ServiceResult<Vec<String>> {
        let requeued = self.write(|tx| {
            let dead: Vec<String> = tx
                .tx
                .prepare_cached(
                    "SELECT id FROM webhook_deliveries WHERE failed_at_ms IS NOT NULL AND delivered_at_ms IS NULL \
                     ORDER BY seq",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let chosen = match ids {
                None => dead,
                Some(ids) => {
                    for id in ids {
                        if !dead.contains(id) {
                            return Err(ServiceError::NotFound(format!(
                                "{id:?} is not a dead letter (unknown, delivered, or still being retried); \
                                 see `handoff-service webhooks dead-letters`"
                            )));
                        }
                    }
                    ids.to_vec()
                }
            };
            let now = tx.now_ms;
            for id in &chosen {
                // The last error stays until the next attempt replaces it.
                tx.tx.execute(
                    "UPDATE webhook_deliveries SET failed_at_ms = NULL, attempts = 0, next_attempt_at_ms = ?2 \
                     WHERE id = ?1",
                    params![id, now],
                )?;
            }
            Ok(chosen)
        })?;
        if !requeued.is_empty() {
            self.deliveries.notify_one();
        }
        Ok(requeued)
    }

    fn add_agent(&self, name: &str) -> ServiceResult<IssuedToken> {
        let name = name.trim();
        validate::agent_name(name)?;
        self.write(|tx| {
            if Self::agent_id_by_name(&tx.tx, name)?.is_some() {
                return Err(ServiceError::conflict(
                    "agent_exists",
                    format!("an agent named {name:?} already exists; pick another name"),
                ));
            }
            let agent = Self::insert_agent(tx, name)?;
            Self::insert_token(tx, &agent)
        })
    }

    fn issue_token(&self, name: &str) -> ServiceResult<IssuedToken> {
        let name = name.trim();
        validate::agent_name(name)?;
        self.write(|tx| {
            let agent = match Self::agent_id_by_name(&tx.tx, name)? {
                Some((_, true)) => {
                    return Err(ServiceError::Forbidden(format!("agent {name:?} was revoked")));
                }
                Some((id, false)) => AgentRef { id, name: name.to_string() },
                None => Self::insert_agent(tx, name)?,
            };
            Self::insert_token(tx, &agent)
        })
    }

    fn list_agents(&self) -> ServiceResult<Vec<AgentRecord>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT a.id, a.name, a.presence, a.created_at_ms, a.revoked_at_ms, \
                 (SELECT count(*) FROM agent_tokens t WHERE t.agent_id = a.id) FROM agents a ORDER BY a.id",
            )?;
            let rows = stmt.query_map([], |r| {
                let presence: String = r.get(2)?;
                Ok(AgentRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    presence: Presence::parse(&presence).unwrap_or(Presence::Offline),
                    created_at: time_from_ms(r.get(3)?),
                    revoked_at: r.get::<_, Option<i64>>(4)?.map(time_from_ms),
                    tokens: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn revoke_agent(&self, name: &str) -> ServiceResult<Vec<i64>> {
        self.write(|tx| {
            let Some((id, _)) = Self::agent_id_by_name(&tx.tx, name.trim())? else {
                return Err(ServiceError::NotFound(format!("no agent is named {name:?}; see `agents list`")));
            };
            let now = tx.now_ms;
            tx.tx.execute(
                "UPDATE agents SET revoked_at_ms = coalesce(revoked_at_ms, ?2), presence = 'offline' WHERE id = ?1",
                params![id, now],
            )?;
            tx.tx.execute("DELETE FROM agent_tokens WHERE agent_id = ?1", params![id])?;
            let name = name.trim().to_string();
            tx.emit(ChangeEntity::Agent { agent: Agent { id, name: name.clone(), presence: Presence::Offline } })?;
            // Nobody may wait on an agent who can no longer answer.
            let held: Vec<i64> = tx
                .tx
                .prepare("SELECT id FROM conversations WHERE status = 'assigned' AND assignee_id = ?1 ORDER BY id")?
                .query_map(params![id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for &conversation in &held {
                Self::set_assignee(tx, conversation, ConversationStatus::Waiting, None)?;
                let note = format!("{name}'s access was revoked; the conversation is back in the waiting queue.");
                tx.append_message(conversation, Role::System, SYSTEM_AUTHOR, &note, true, None, None, now)?;
                tx.touch_conversation(conversation)?;
            }
            Ok(held)
        })
    }

    fn revoked_agent_ids(&self) -> ServiceResult<Vec<i64>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id FROM agents WHERE revoked_at_ms IS NOT NULL")?;
            let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(ids)
        })
    }

    fn reassign(&self, id: i64, to: Option<&str>) -> ServiceResult<Conversation> {
        self.write(|tx| {
            let (status, _) = status_of(&tx.tx, id)?;
            if !matches!(status, ConversationStatus::Waiting | ConversationStatus::Assigned) {
                return Err(ServiceError::conflict(
                    "not_with_humans",
                    format!(
                        "conversation {id} is {}; only waiting or assigned ones can be reassigned",
                        status.as_str()
                    ),
                ));
            }
            let now = tx.now_ms;
            let note = match to {
                Some(name) => {
                    let agent = match Self::agent_id_by_name(&tx.tx, name.trim())? {
                        Some((agent, false)) => agent,
                        Some((_, true)) => {
                            return Err(ServiceError::unprocessable("unknown_agent", format!("{name:?} was revoked")))
                        }
                        None => {
                            return Err(ServiceError::unprocessable(
                                "unknown_agent",
                                format!("no agent is named {name:?}; see `agents list`"),
                            ))
                        }
                    };
                    Self::set_assignee(tx, id, ConversationStatus::Assigned, Some(agent))?;
                    format!("An admin assigned the conversation to {}.", name.trim())
                }
                None => {
                    Self::set_assignee(tx, id, ConversationStatus::Waiting, None)?;
                    "An admin put the conversation back in the waiting queue.".to_string()
                }
            };
            tx.append_message(id, Role::System, SYSTEM_AUTHOR, &note, true, None, None, now)?;
            tx.touch_conversation(id)
        })
    }

    fn add_tag(&self, name: &str, color: Option<&str>) -> ServiceResult<TagSaved> {
        let name = name.trim();
        validate::tag_name(name)?;
        let color = color.map(validate::tag_color).transpose()?;
        self.write(|tx| {
            let existing: Option<Option<String>> =
                tx.tx.query_row("SELECT color FROM tags WHERE name = ?1", params![name], |r| r.get(0)).optional()?;
            let tag = Tag { name: name.to_string(), color: color.clone() };
            match (existing, color) {
                (None, _) => {
                    tx.tx.execute(
                        "INSERT INTO tags (name, color, created_at_ms) VALUES (?1, ?2, ?3)",
                        params![name, tag.color, tx.now_ms],
                    )?;
                    Ok(TagSaved::Created(tag))
                }
                (Some(old), Some(new)) if old.as_deref() != Some(new.as_str()) => {
                    tx.tx.execute("UPDATE tags SET color = ?2 WHERE name = ?1", params![name, new])?;
                    Ok(TagSaved::Recoloured(tag))
                }
                (Some(old), _) => Ok(TagSaved::Unchanged(Tag { name: name.to_string(), color: old })),
            }
        })
    }

    fn remove_tag(&self, name: &str) -> ServiceResult<Vec<i64>> {
        let name = name.trim();
        self.write(|tx| {
            let known: bool =
                tx.tx.query_row("SELECT EXISTS(SELECT 1 FROM tags WHERE name = ?1)", params![name], |r| r.get(0))?;
            if !known {
                return Err(ServiceError::NotFound(format!(
                    "no tag is named {name:?}; `handoff-service tags list` shows the catalogue"
                )));
            }
            let tagged: Vec<i64> = tx
                .tx
                .prepare("SELECT conversation_id FROM conversation_tags WHERE tag = ?1 ORDER BY conversation_id")?
                .query_map(params![name], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            // The cascade takes the tag off every conversation; each one's new state goes to the
            // feed so every app drops it too.
            tx.tx.execute("DELETE FROM tags WHERE name = ?1", params![name])?;
            for &id in &tagged {
                tx.touch_conversation(id)?;
            }
            Ok(tagged)
        })
    }

    fn is_empty(&self) -> ServiceResult<bool> {
        self.read(|conn| Ok(conn.query_row("SELECT NOT EXISTS(SELECT 1 FROM conversations)", [], |r| r.get(0))?))
    }
}
