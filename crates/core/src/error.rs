//! Errors of the engine, worded for the person at the keyboard.

use handoff_protocol::AgentRef;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("the local cache failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("cannot use the data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error(
        "the local cache has schema version {found}, newer than this app knows ({known}); update the app \
         or use another --data-dir"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("not signed in: run `handoff login --server URL` (it asks for the token), or set HANDOFF_SERVER and HANDOFF_TOKEN")]
    NotSignedIn,
    #[error("{0}")]
    Keychain(String),
    #[error("the service at {server} cannot be reached ({reason}); {what}")]
    Offline { server: String, reason: String, what: String },
    #[error("the service refused the token ({0}); sign in again with a valid token")]
    Unauthorized(String),
    #[error("{} claimed this conversation first", .assignee.name)]
    AlreadyClaimed { assignee: AgentRef },
    #[error("the service refused: {message} ({code})")]
    Refused { status: u16, code: String, message: String },
    #[error("the service's change feed no longer has cursor {0}; a full resync is needed")]
    CursorGone(i64),
    #[error("the service does not know cursor {0}: its data was reset; the cache is rebuilt")]
    ServiceReset(i64),
    #[error("unexpected answer from the service: {0}")]
    Protocol(String),
    #[error("conversation {0} is not in the local cache; run a sync first")]
    UnknownConversation(i64),
    #[error("{0}")]
    Invalid(String),
    #[error("outbox item {0} does not exist (already sent or discarded)")]
    UnknownOutboxItem(String),
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    /// Whether the failure is the network's: worth retrying later.
    pub fn is_transient(&self) -> bool {
        matches!(self, CoreError::Offline { .. })
            || matches!(self, CoreError::Refused { status, .. } if *status >= 500 || *status == 429)
    }
}
