//! What the engine hands to front ends: queue rows, transcripts, search hits, status, events.

use chrono::{DateTime, Utc};
use handoff_protocol::*;
use serde::{Deserialize, Serialize};

/// Which slice of the queue to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum QueueTab {
    /// Waiting for a human: past the first-response target first, then most urgent, then
    /// longest wait.
    Waiting,
    /// Assigned to the signed-in agent and not snoozed: snoozes that just ended first, then
    /// past the first-response target, then priority and longest wait.
    Mine,
    /// Recently resolved or handed back to the bot.
    Recent,
    /// The signed-in agent's conversations snoozed on this device, the soonest back first.
    Snoozed,
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueItem {
    pub id: i64,
    pub status: ConversationStatus,
    pub channel: String,
    pub customer_name: String,
    pub vip: bool,
    pub reason: Option<HandoffReason>,
    pub trigger: Option<String>,
    pub topic: Option<String>,
    pub priority: Priority,
    pub escalated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub assignee: Option<AgentRef>,
    /// The newest line the customer wrote.
    pub last_customer_text: Option<String>,
    /// Messages the agent has not seen on this device.
    pub unread: i64,
    /// The conversation's tags, sorted.
    pub tags: Vec<String>,
    /// When the first-response target runs out: set while no agent has answered since the
    /// handoff (waiting or assigned), None once answered or with the target off. Colour it with
    /// `ServiceTargets::level`.
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// Until when the conversation is snoozed on this device (only in the Snoozed tab).
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Back from a snooze (its time came, or the customer wrote) and not opened since.
    pub woke_from_snooze: bool,
}

/// Unread messages for the tray, the Mine tab, the window title and the badge. Refresh it on
/// `MessageAdded`, `ConversationChanged` and after marking a conversation read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnreadSummary {
    /// Unread messages over the conversations assigned to me (snoozed ones left out).
    pub mine_unread: i64,
    /// How many of those conversations have unread messages.
    pub mine_conversations_unread: i64,
    /// Unread messages over every open conversation I can act on: waiting ones and mine (not
    /// snoozed).
    pub total: i64,
}

/// Delivery state of a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Sent,
    Pending,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Pending => "pending",
            Self::Failed => "failed",
        }
    }
}

/// One line of a transcript: a message from the service, or an outgoing one not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TranscriptLine {
    /// None while the message is not acknowledged by the service.
    pub seq: Option<i64>,
    pub role: Role,
    pub author: String,
    pub text: String,
    pub private: bool,
    pub created_at: DateTime<Utc>,
    pub state: DeliveryState,
    pub client_id: Option<String>,
    /// Why the service refused a failed message.
    pub error: Option<String>,
}

/// A conversation with its whole transcript, as cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationView {
    pub conversation: Conversation,
    pub messages: Vec<TranscriptLine>,
}

/// A piece of a search snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SnippetPart {
    pub text: String,
    pub highlight: bool,
}

/// A message that matched a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    pub conversation_id: i64,
    pub seq: i64,
    pub customer_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub snippet: Vec<SnippetPart>,
}

/// An outbox item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxItem {
    pub client_id: String,
    pub conversation_id: i64,
    pub text: String,
    pub private: bool,
    pub state: DeliveryState,
    pub error: Option<String>,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

/// The link to the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Caught up and following the live feed.
    Online,
    /// Connecting or catching up.
    Connecting { attempt: u32 },
    /// Unreachable since `since`; the next attempt is due at `retry_at`.
    Offline { since: DateTime<Utc>, error: String, retry_at: Option<DateTime<Utc>> },
    /// The service refused this device's token (revoked or expired): sign in again with a new
    /// token, or sign out and wipe the cache.
    Refused { since: DateTime<Utc>, error: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub connection: ConnectionState,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub cursor: i64,
}

/// What subscribers (the desktop shell, `handoff sync --follow`) are told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CoreEvent {
    /// A conversation entered the queue and was never announced on this device.
    NewEscalation {
        conversation: Conversation,
        last_customer_text: Option<String>,
    },
    /// Many escalations found at once (first sync, back from offline): one summary.
    EscalationBacklog {
        count: usize,
        conversation_ids: Vec<i64>,
    },
    ConversationChanged {
        conversation: Conversation,
    },
    /// The customer wrote (live, not during a catch-up) in a conversation assigned to the
    /// signed-in agent; `conversation` is as cached after the message. Also sent as
    /// `MessageAdded`.
    CustomerWrote {
        conversation: Conversation,
        message: Message,
    },
    /// A catch-up (back from sleep or offline, not the first sync) found customer lines in
    /// several conversations assigned to the signed-in agent: one summary. With one such
    /// conversation the catch-up sends `CustomerWrote` for its newest line instead.
    CustomerBacklog {
        count: usize,
        conversation_ids: Vec<i64>,
    },
    MessageAdded {
        message: Message,
    },
    ConnectionChanged {
        status: SyncStatus,
    },
    OutboxChanged {
        item: OutboxItem,
    },
    QueueStatsChanged {
        stats: QueueStats,
    },
    /// An agent was added, revoked or changed presence.
    AgentsChanged {
        agents: Vec<Agent>,
    },
    /// Someone (the signed-in agent's other devices included) opened, typed in or left a
    /// conversation. Ephemeral: nothing is cached. `left` means the entry ended (closed, lapsed
    /// or revoked); otherwise it holds until `expires_at` unless another event replaces it.
    ConversationActivity {
        conversation_id: i64,
        agent: AgentRef,
        activity: Activity,
        expires_at: DateTime<Utc>,
    },
    /// The team's tag catalogue changed (fetched at every sync start).
    TagsChanged {
        tags: Vec<Tag>,
    },
}
