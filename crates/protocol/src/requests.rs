//! Request and response bodies of the Handoff API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::*;
use crate::model::*;

/// `GET /v1/changes` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Pass as `after` to get the next page; equals the request's `after` when the page is empty.
    pub next_after: i64,
    /// The newest cursor at the time of the request.
    pub head: i64,
    /// Whether more changes follow right now.
    pub has_more: bool,
}

/// `GET /v1/conversations` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationsPage {
    pub conversations: Vec<Conversation>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<i64>,
    /// The change-feed head when this page was read: a client that lists everything and then
    /// follows the feed from the head of its first page misses nothing.
    pub head_cursor: i64,
}

/// `GET /v1/conversations/{id}/messages` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesPage {
    pub messages: Vec<Message>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<i64>,
}

/// `POST /v1/conversations/{id}/messages` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// Not blank (at least one character that is not Unicode White_Space); at most 65 536 bytes
    /// of UTF-8.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 65536,
            pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub text: String,
    /// `true` for an internal note that the customer never sees.
    #[serde(default)]
    pub private: bool,
}

/// How a conversation is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResolveOutcome {
    /// The agent solved it; status becomes `resolved`.
    Solved,
    /// The bot takes over again; status becomes `bot`.
    BackToBot,
}

/// `POST /v1/conversations/{id}/resolve` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    pub outcome: ResolveOutcome,
}

/// `POST /v1/conversations/{id}/transfer` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The id of the agent who takes the conversation over.
    #[serde(deserialize_with = "crate::integer::i64")]
    pub agent_id: i64,
    /// Why, for the colleague: shown in the transcript as `Ana → Ben: <note>` (a private system
    /// line). Trimmed; at most 500 characters; blank counts as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
}

/// `POST /v1/conversations/{id}/activity` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    pub activity: Activity,
}

/// `GET /v1/conversations/{id}/activity` answer: who is in the conversation now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityList {
    /// Current entries, sorted by agent name; `left` never appears here.
    pub activity: Vec<ConversationActivity>,
}

/// `GET /v1/tags` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagsList {
    /// The catalogue, sorted by name.
    pub tags: Vec<Tag>,
}

/// `PUT /v1/conversations/{id}/tags` body: the conversation's whole new set of tags.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetTagsRequest {
    /// Catalogue names (duplicates count once); at most 20.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub tags: Vec<String>,
}

/// `PUT /v1/agents/me/presence` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresenceRequest {
    pub presence: Presence,
}

/// `GET /v1/agents` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentsList {
    pub agents: Vec<Agent>,
}

/// `GET /v1/queue` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueStats {
    /// Conversations waiting for a human.
    pub waiting: i64,
    /// Agents whose presence is `available`.
    pub available_agents: i64,
    /// Expected wait for a new handoff, from recent claim times; null when no agent is available.
    pub estimated_wait_seconds: Option<i64>,
    /// How long the longest-waiting conversation has waited.
    pub longest_wait_seconds: Option<i64>,
}

/// The roles a platform may send: every [`Role`] but `agent` (agents reply through the agent API;
/// the service refuses it with 422 `invalid_role`).
#[cfg(feature = "openapi")]
fn intake_role_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let roles = Role::ALL.into_iter().filter(|r| *r != Role::Agent).map(Role::as_str);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(roles))
        .description(Some("`customer`, `bot` or `system`"))
        .build()
}

/// One transcript line of an escalation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TranscriptEntry {
    /// `customer`, `bot` or `system`.
    #[cfg_attr(feature = "openapi", schema(schema_with = intake_role_schema))]
    pub role: Role,
    /// Not blank; at most 65 536 bytes of UTF-8.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 65536,
            pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub text: String,
    /// When it was said; the service's clock when absent.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The platform's id of this line: a line whose id the conversation already has is not
    /// stored again (re-escalations resend the whole transcript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub message_id: Option<String>,
}

/// `POST /v1/intake/handoffs` body: a bot platform escalates a conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeHandoff {
    /// The platform's conversation id; not blank, at most 1000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 1000,
            pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub external_id: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 1000,
            pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub channel: String,
    pub customer: Customer,
    pub reason: HandoffReason,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub trigger: String,
    #[serde(default = "default_priority")]
    pub priority: Priority,
    /// At most 65 536 bytes of UTF-8.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 65536))]
    pub summary: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub topic: Option<String>,
    #[serde(default)]
    pub transcript: Vec<TranscriptEntry>,
}

fn default_priority() -> Priority {
    Priority::Normal
}

/// `POST /v1/intake/handoffs` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeHandoffResult {
    pub conversation: Conversation,
    /// `false` when the external id was already known and no new conversation was made.
    pub created: bool,
}

/// `POST /v1/intake/conversations/{external_id}/messages` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntakeMessage {
    /// `customer` (or `bot` for a bot line the platform forwards), or `system`.
    #[cfg_attr(feature = "openapi", schema(schema_with = intake_role_schema))]
    pub role: Role,
    /// Not blank; at most 65 536 bytes of UTF-8.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 65536,
            pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub text: String,
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The platform's id of the message: the same id in the same conversation is stored once;
    /// a repeat answers 200 with the first message and changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub message_id: Option<String>,
}

/// What the outbound webhook posts to the bot platform for every agent reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboundReply {
    /// Unique per delivery, stable across retries: the receiver dedupes by it.
    pub delivery_id: String,
    pub external_id: String,
    pub conversation_id: i64,
    pub message: Message,
}

/// `GET /healthz` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
    pub head_cursor: i64,
}
