//! Agents, presence and queue statistics.

use axum::extract::State;
use axum::Json;
use handoff_protocol::*;

use super::auth::CurrentAgent;
use super::extract::ApiJson;
use super::AppState;
use crate::error::ServiceResult;

/// All active agents with their presence (for transfer pickers).
#[utoipa::path(
    get, path = "/v1/agents", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = AgentsList))
)]
pub async fn list_agents(State(state): State<AppState>, _agent: CurrentAgent) -> ServiceResult<Json<AgentsList>> {
    let agents = state.blocking(|store| store.agents()).await?;
    Ok(Json(AgentsList { agents }))
}

/// The agent the token belongs to.
#[utoipa::path(
    get, path = "/v1/agents/me", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Agent), (status = 401, body = ErrorBody))
)]
pub async fn me(State(state): State<AppState>, CurrentAgent(agent): CurrentAgent) -> ServiceResult<Json<Agent>> {
    Ok(Json(state.blocking(move |store| store.agent(agent.id)).await?))
}

/// Set one's own presence; only `available` agents count for the queue's estimates.
#[utoipa::path(
    put, path = "/v1/agents/me/presence", tag = "agents", security(("bearer" = [])),
    request_body = PresenceRequest,
    responses((status = 200, body = Agent), (status = 422, body = ErrorBody))
)]
pub async fn set_presence(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiJson(body): ApiJson<PresenceRequest>,
) -> ServiceResult<Json<Agent>> {
    Ok(Json(state.blocking(move |store| store.set_presence(&agent, body.presence)).await?))
}

/// Waiting count, available agents and the estimated wait (median of the last 20 claims'
/// waits within 24 h; 60 s per queued handoff per available agent without history).
#[utoipa::path(
    get, path = "/v1/queue", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = QueueStats))
)]
pub async fn queue(State(state): State<AppState>, _agent: CurrentAgent) -> ServiceResult<Json<QueueStats>> {
    Ok(Json(state.blocking(|store| store.queue_stats()).await?))
}
