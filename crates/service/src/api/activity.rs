//! Presence inside a conversation: report what one is doing there, and see who else is there.
//! Changes reach other agents as `event: activity` on the change stream.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use handoff_protocol::*;

use super::auth::CurrentAgent;
use super::extract::{ApiJson, ApiPath};
use super::AppState;
use crate::error::ServiceResult;

/// Tell the other agents what you are doing in a conversation: `viewing` (re-post about every
/// 15 s; lapses after 30 s), `typing_reply` / `typing_note` (lapse after 8 s), `left`. Never
/// stored; broadcast on the change stream as `event: activity`.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/activity", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = ActivityRequest,
    responses(
        (status = 204, description = "Recorded"),
        (status = 404, body = ErrorBody, description = "No such conversation"),
    )
)]
pub async fn report_activity(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ActivityRequest>,
) -> ServiceResult<StatusCode> {
    // Anyone who may read the conversation may be seen in it; it must exist.
    state.blocking(move |store| store.conversation(id)).await?;
    state.activity.report(id, &agent, body.activity);
    Ok(StatusCode::NO_CONTENT)
}

/// Who is in a conversation now (viewing or typing), sorted by name.
#[utoipa::path(
    get, path = "/v1/conversations/{id}/activity", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses((status = 200, body = ActivityList), (status = 404, body = ErrorBody))
)]
pub async fn conversation_activity(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> ServiceResult<Json<ActivityList>> {
    state.blocking(move |store| store.conversation(id)).await?;
    Ok(Json(ActivityList { activity: state.activity.current(id) }))
}
