//! Storage of the service behind one trait, so the HTTP layer never sees SQL.
//!
//! Every mutating method is one transaction: it either applies completely, with its change-feed
//! records, or not at all. Methods block; the HTTP layer calls them on tokio's blocking pool.

mod migrations;
mod rows;
mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use tokio::sync::{broadcast, Notify};

use crate::error::ServiceResult;

pub use sqlite::{wait_notice_text, OpenError, SqliteStore, StoreOptions};

/// One change-feed record as stored: its cursor and the exact JSON the API serves.
#[derive(Debug, Clone)]
pub struct FeedRecord {
    pub cursor: i64,
    pub json: Arc<str>,
}

/// A page of raw feed records.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub records: Vec<FeedRecord>,
    pub head: i64,
    pub has_more: bool,
}

/// A message after `post_agent_message` or `intake_message`.
#[derive(Debug, Clone)]
pub struct PostedMessage {
    pub message: Message,
    /// `true` when the idempotency key (or the platform's message id) was already used and no
    /// new message was made.
    pub replayed: bool,
}

/// A new agent and the one copy of its bearer token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub agent: AgentRef,
    pub token: String,
}

/// What `add_tag` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagSaved {
    Created(Tag),
    /// It existed; its colour is now the given one.
    Recoloured(Tag),
    /// It existed and no colour was given: nothing changed.
    Unchanged(Tag),
}

/// An agent as the `agents list` admin command shows it.
#[derive(Debug, Clone)]
pub struct AgentRecord {
    pub id: i64,
    pub name: String,
    pub presence: Presence,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub tokens: i64,
}

/// An outbound webhook delivery that is due.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: String,
    pub payload: String,
    pub attempts: u32,
}

/// What happened to one delivery attempt.
#[derive(Debug, Clone)]
pub enum DeliveryAttempt {
    Delivered,
    /// Try again at the given time.
    Retry {
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// Give up: too many attempts.
    GiveUp {
        error: String,
    },
}

/// A delivery as the admin and tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    pub id: String,
    pub conversation_id: i64,
    pub attempts: u32,
    pub delivered: bool,
    pub failed: bool,
    pub last_error: Option<String>,
}

/// A delivery that ran out of attempts (a dead letter), as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub id: String,
    pub conversation_id: i64,
    pub external_id: String,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub failed_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// Who asks for a wait notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitNoticeRequest {
    /// The wait-notice task: posts only if the conversation still waits and got no notice since
    /// its escalation; `None` otherwise.
    Automatic,
    /// An agent: the conversation must be waiting (409 `not_waiting`) and its last notice at
    /// least `min_interval` old (429 `wait_notice_too_soon` with the seconds left).
    Manual { min_interval: std::time::Duration },
}

/// A conversation with its history, written with the given times (demo data, imports).
#[derive(Debug, Clone)]
pub struct ImportedConversation {
    pub handoff: IntakeHandoff,
    pub escalated_at: DateTime<Utc>,
    /// Who claimed it and when.
    pub claimed: Option<(i64, DateTime<Utc>)>,
    /// Replies of the claiming agent, after the claim.
    pub agent_replies: Vec<(DateTime<Utc>, String)>,
    /// Customer messages after the handoff.
    pub customer_follow_ups: Vec<(DateTime<Utc>, String)>,
    pub final_status: ConversationStatus,
}

pub trait Store: Send + Sync + 'static {
    // --- change feed -------------------------------------------------------------------
    /// The newest cursor; 0 on an empty feed.
    fn head_cursor(&self) -> i64;
    /// Fails with `CursorExpired` when records after `after` were already pruned.
    fn check_cursor(&self, after: i64) -> ServiceResult<()>;
    fn changes_after(&self, after: i64, limit: u32) -> ServiceResult<FeedPage>;
    /// Records committed from now on, in cursor order.
    fn subscribe(&self) -> broadcast::Receiver<FeedRecord>;
    /// Publishes to subscribers the feed records another process (the admin CLI) committed to
    /// the database since this one last looked; returns how many.
    fn publish_external_changes(&self) -> ServiceResult<usize>;
    /// Deletes all but the newest `keep` records; returns how many went.
    fn prune_changes(&self, keep: u64) -> ServiceResult<u64>;

    // --- reads -------------------------------------------------------------------------
    fn list_conversations(
        &self,
        status: Option<ConversationStatus>,
        after: i64,
        limit: u32,
    ) -> ServiceResult<ConversationsPage>;
    fn conversation(&self, id: i64) -> ServiceResult<Conversation>;
    fn messages(&self, id: i64, after: i64, limit: u32) -> ServiceResult<MessagesPage>;
    fn agents(&self) -> ServiceResult<Vec<Agent>>;
    fn agent(&self, id: i64) -> ServiceResult<Agent>;
    fn queue_stats(&self) -> ServiceResult<QueueStats>;
    /// The team's tag catalogue, sorted by name.
    fn tags(&self) -> ServiceResult<Vec<Tag>>;

    // --- agent commands ----------------------------------------------------------------
    /// The agent a bearer token belongs to, if it is valid and not revoked.
    fn authenticate(&self, token: &str) -> ServiceResult<Option<AgentRef>>;
    fn claim(&self, id: i64, agent: &AgentRef) -> ServiceResult<Conversation>;
    fn release(&self, id: i64, agent: &AgentRef) -> ServiceResult<Conversation>;
    fn resolve(&self, id: i64, agent: &AgentRef, outcome: ResolveOutcome) -> ServiceResult<Conversation>;
    /// Hands the conversation to `to_agent` and writes, in the same transaction, a private
    /// system line `"From → To"` (`": note"` appended when given) to the transcript.
    fn transfer(&self, id: i64, agent: &AgentRef, to_agent: i64, note: Option<&str>) -> ServiceResult<Conversation>;
    /// Replaces a conversation's tags with `tags` (catalogue names only, at most 20). An
    /// unchanged set writes nothing; a changed one bumps the version and writes a feed record.
    fn set_tags(&self, id: i64, tags: &[String]) -> ServiceResult<Conversation>;
    fn post_agent_message(
        &self,
        id: i64,
        agent: &AgentRef,
        idempotency_key: Option<&str>,
        body: &PostMessage,
    ) -> ServiceResult<PostedMessage>;
    fn set_presence(&self, agent: &AgentRef, presence: Presence) -> ServiceResult<Agent>;
    /// Posts the estimated-wait notice to the customer, if `request`'s conditions hold.
    fn post_wait_notice(&self, id: i64, request: WaitNoticeRequest) -> ServiceResult<Option<Message>>;
    /// Waiting conversations escalated at or before `cutoff` that got no wait notice yet.
    fn overdue_waiting(&self, cutoff: DateTime<Utc>) -> ServiceResult<Vec<i64>>;

    // --- bot side ----------------------------------------------------------------------
    fn intake_handoff(&self, handoff: &IntakeHandoff) -> ServiceResult<IntakeHandoffResult>;
    /// Appends a platform line; a `message_id` already stored in that conversation makes nothing
    /// new and answers with the stored message (`replayed`).
    fn intake_message(&self, external_id: &str, message: &IntakeMessage) -> ServiceResult<PostedMessage>;
    fn import_conversation(&self, conversation: &ImportedConversation) -> ServiceResult<Conversation>;

    // --- outbound webhook outbox -------------------------------------------------------
    /// Woken whenever a delivery is enqueued.
    fn deliveries_enqueued(&self) -> Arc<Notify>;
    /// Due deliveries, oldest first, at most one per conversation so each conversation's
    /// replies reach the platform in order.
    fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> ServiceResult<Vec<DueDelivery>>;
    fn record_delivery_attempt(&self, id: &str, attempt: &DeliveryAttempt) -> ServiceResult<()>;
    /// When the next open delivery falls due, if any.
    fn next_delivery_at(&self) -> ServiceResult<Option<DateTime<Utc>>>;
    fn deliveries(&self) -> ServiceResult<Vec<DeliveryStatus>>;
    /// Deliveries that ran out of attempts, oldest first.
    fn dead_letters(&self) -> ServiceResult<Vec<DeadLetter>>;
    /// Puts dead letters back in the outbox, due now and with a full set of attempts: the given
    /// ids, or every dead letter with `None`. All or nothing: an id that is not a dead letter
    /// fails the call. Returns the ids queued again.
    fn redeliver(&self, ids: Option<&[String]>) -> ServiceResult<Vec<String>>;

    // --- administration ----------------------------------------------------------------
    /// Creates the agent and its first token.
    fn add_agent(&self, name: &str) -> ServiceResult<IssuedToken>;
    /// A fresh token for an existing agent, created if missing (demo sign-in).
    fn issue_token(&self, name: &str) -> ServiceResult<IssuedToken>;
    fn list_agents(&self) -> ServiceResult<Vec<AgentRecord>>;
    /// Revokes the agent's tokens at once; its assigned conversations go back to the waiting
    /// queue, each with a private system note. Returns those conversations' ids.
    fn revoke_agent(&self, name: &str) -> ServiceResult<Vec<i64>>;
    /// The ids of every revoked agent (the service ends their live streams).
    fn revoked_agent_ids(&self) -> ServiceResult<Vec<i64>>;
    /// An admin's reassignment: to the agent named `to`, or back to the waiting queue (`None`),
    /// whoever holds it now; a private system note says so.
    fn reassign(&self, id: i64, to: Option<&str>) -> ServiceResult<Conversation>;
    /// Adds a tag to the catalogue, or changes the colour of an existing one (`color` given).
    fn add_tag(&self, name: &str, color: Option<&str>) -> ServiceResult<TagSaved>;
    /// Removes a tag from the catalogue and from every conversation carrying it (each gets a
    /// new version and feed record). Returns those conversations' ids.
    fn remove_tag(&self, name: &str) -> ServiceResult<Vec<i64>>;
    /// Whether the store holds no conversation yet.
    fn is_empty(&self) -> ServiceResult<bool>;
}
