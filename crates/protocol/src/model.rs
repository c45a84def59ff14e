//! Resources of the Handoff API: conversations, messages, agents and change-feed records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a conversation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The bot is handling it; no human needed.
    Bot,
    /// Handed off and waiting in the queue for a human.
    Waiting,
    /// A human agent has claimed it.
    Assigned,
    /// Closed by an agent.
    Resolved,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 4] = [Self::Bot, Self::Waiting, Self::Assigned, Self::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Waiting => "waiting",
            Self::Assigned => "assigned",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Why the bot handed the conversation to a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The customer's sentiment turned negative.
    Sentiment,
    /// The customer asked for a person.
    ExplicitRequest,
    /// An automation rule fired.
    Workflow,
    /// A VIP customer or a large deal.
    Vip,
    Other,
}

impl HandoffReason {
    pub const ALL: [HandoffReason; 5] =
        [Self::Sentiment, Self::ExplicitRequest, Self::Workflow, Self::Vip, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sentiment => "sentiment",
            Self::ExplicitRequest => "explicit_request",
            Self::Workflow => "workflow",
            Self::Vip => "vip",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// How urgent a handoff is; the queue sorts by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Self::Urgent, Self::High, Self::Normal, Self::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::High => "high",
            Self::Normal => "normal",
            Self::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// 0 for the most urgent; used for sorting.
    pub fn rank(self) -> u8 {
        self as u8
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Bot,
    Agent,
    System,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Customer, Self::Bot, Self::Agent, Self::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Bot => "bot",
            Self::Agent => "agent",
            Self::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// An agent's availability; only `available` agents count for queue estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Available,
    Away,
    Offline,
}

impl Presence {
    pub const ALL: [Presence; 3] = [Self::Available, Self::Away, Self::Offline];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The person on the other side of the chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Customer {
    /// The bot platform's id for the customer; not blank, at most 1000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 1000,
            pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub id: String,
    /// Not blank, at most 1000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 1000,
            pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub email: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub phone: Option<String>,
    #[serde(default)]
    pub vip: bool,
    /// Yearly account value in whole US dollars, when the platform knows it.
    #[serde(default, deserialize_with = "crate::integer::option_i64")]
    pub account_value: Option<i64>,
}

/// Why and when the bot gave up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Handoff {
    pub reason: HandoffReason,
    /// What fired: the phrase, the workflow name, the sentiment score.
    pub trigger: String,
    pub escalated_at: DateTime<Utc>,
    /// The bot's one-line summary of the conversation so far.
    pub summary: Option<String>,
    /// What the customer is asking about.
    pub topic: Option<String>,
}

/// A reference to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgentRef {
    pub id: i64,
    pub name: String,
}

/// A conversation as the service holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conversation {
    pub id: i64,
    /// The bot platform's id of the conversation.
    pub external_id: String,
    /// Where the chat takes place: `web`, `whatsapp`, `email`, …
    pub channel: String,
    pub status: ConversationStatus,
    pub assignee: Option<AgentRef>,
    pub customer: Customer,
    /// Absent while the conversation was never handed off.
    pub handoff: Option<Handoff>,
    pub priority: Priority,
    /// Bumped on every change of the conversation or its messages.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The seq of the newest message, 0 when there is none.
    pub last_message_seq: i64,
    /// Names from the team's tag catalogue (`GET /v1/tags`), sorted. Absent in records written
    /// before tags existed, hence the default.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    pub conversation_id: i64,
    /// Dense per conversation, from 1.
    pub seq: i64,
    pub role: Role,
    /// Display name of the author.
    pub author: String,
    /// Plain, untrusted text, returned byte for byte as received.
    pub text: String,
    /// An internal note, never shown to the customer.
    pub private: bool,
    /// The idempotency key an agent message was sent with.
    pub client_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An agent as other agents see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Agent {
    pub id: i64,
    pub name: String,
    pub presence: Presence,
}

/// One entry of the team's tag catalogue, managed by admins (`handoff-service tags`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Tag {
    /// 1 to 40 characters: lower-case ASCII letters, digits, `-` and `_`, starting with a letter
    /// or digit.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9][a-z0-9_-]*$"))]
    pub name: String,
    /// `#rrggbb`, or null for the front end's default.
    #[cfg_attr(feature = "openapi", schema(pattern = "^#[0-9a-f]{6}$"))]
    pub color: Option<String>,
}

/// What a change-feed record carries: the full new state of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
// Records are built once and moved along; boxing would only complicate every match on them.
#[allow(clippy::large_enum_variant)]
pub enum ChangeEntity {
    Conversation { conversation: Conversation },
    Message { message: Message },
    Agent { agent: Agent },
}

/// One record of the global change feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Change {
    /// Global, strictly increasing position in the feed.
    pub cursor: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub entity: ChangeEntity,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorDetail {
    /// Stable, machine-readable code such as `not_found` or `already_claimed`.
    pub code: String,
    /// What happened and what to do, for people.
    pub message: String,
    /// The current assignee, on `already_claimed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<AgentRef>,
    /// The oldest cursor still served, on `cursor_expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_cursor: Option<i64>,
}
