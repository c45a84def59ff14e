//! The one error type of the service: every failure maps to an HTTP status and a JSON body
//! `{"error": {"code", "message"}}` that says what happened and what to do.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use handoff_protocol::{AgentRef, ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String, assignee: Option<AgentRef> },
    #[error("cursor {after} is older than the oldest change this service keeps ({oldest})")]
    CursorExpired { after: i64, oldest: i64 },
    #[error(
        "cursor {after} is ahead of this service's feed (head {head}); the service's data was \
         probably reset"
    )]
    CursorAhead { after: i64, head: i64 },
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    Unavailable(String),
    /// Too many at once (streams of one agent, wait notices of one conversation); try later.
    #[error("{message}")]
    TooManyRequests { code: &'static str, message: String, retry_after_seconds: u64 },
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into(), assignee: None }
    }

    pub fn conversation_not_found(id: i64) -> Self {
        Self::NotFound(format!("conversation {id} does not exist"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::CursorExpired { .. } | Self::CursorAhead { .. } => StatusCode::GONE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Conflict { code, .. }
            | Self::TooManyRequests { code, .. } => code,
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::CursorExpired { .. } => "cursor_expired",
            Self::CursorAhead { .. } => "cursor_unknown",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Unavailable(_) => "unavailable",
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let message = match self {
            Self::CursorExpired { .. } | Self::CursorAhead { .. } => {
                format!("{self}. Resync: list GET /v1/conversations, then follow the feed from its head_cursor.")
            }
            // Internal details go to the log, not to the client.
            Self::Database(_) | Self::Internal(_) => {
                "the service hit an internal error; the change was not applied, try again".into()
            }
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message,
                assignee: match self {
                    Self::Conflict { assignee, .. } => assignee.clone(),
                    _ => None,
                },
                oldest_cursor: match self {
                    Self::CursorExpired { oldest, .. } => Some(*oldest),
                    _ => None,
                },
            },
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, code = self.code(), "request refused");
        }
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_seconds, .. } => Some(*retry_after_seconds),
            _ => None,
        };
        let mut response = (status, Json(self.body())).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
