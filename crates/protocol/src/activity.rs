//! Presence inside a conversation: who is looking at it or typing in it right now. Ephemeral by
//! design — it is never stored and never enters the change feed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::AgentRef;

/// What an agent is doing in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Has the conversation open (re-posted about every 15 s; lapses after 30 s).
    Viewing,
    /// Writing a reply to the customer (lapses after 8 s without a new post).
    TypingReply,
    /// Writing a private note (lapses after 8 s without a new post).
    TypingNote,
    /// Closed the conversation; also what the service reports when an entry lapses.
    Left,
}

impl Activity {
    pub const ALL: [Activity; 4] = [Self::Viewing, Self::TypingReply, Self::TypingNote, Self::Left];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewing => "viewing",
            Self::TypingReply => "typing_reply",
            Self::TypingNote => "typing_note",
            Self::Left => "left",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn is_typing(self) -> bool {
        matches!(self, Self::TypingReply | Self::TypingNote)
    }
}

/// One agent's current activity in one conversation: an entry of
/// `GET /v1/conversations/{id}/activity`, and the data of an `event: activity` on the change
/// stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationActivity {
    pub conversation_id: i64,
    pub agent: AgentRef,
    pub activity: Activity,
    /// When the entry lapses unless the agent posts again; for `left`, the moment it ended.
    pub expires_at: DateTime<Utc>,
}
