//! Bearer-token authentication: every agent route names the agent it acts for.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use handoff_protocol::AgentRef;

use super::AppState;
use crate::error::ServiceError;

/// The agent whose token came with the request.
pub struct CurrentAgent(pub AgentRef);

impl FromRequestParts<AppState> for CurrentAgent {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ServiceError::Unauthorized(
                "missing Authorization header; send `Authorization: Bearer <token>` with a token from \
                 `handoff-service agents add NAME`"
                    .into(),
            )
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ServiceError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?
            .to_string();
        let agent = state.blocking(move |store| store.authenticate(&token)).await?;
        agent.map(CurrentAgent).ok_or_else(|| {
            ServiceError::Unauthorized("the token is unknown or was revoked; ask an admin for a new one".into())
        })
    }
}
