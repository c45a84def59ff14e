//! The team's tag catalogue and the tags of a conversation.

use axum::extract::State;
use axum::Json;
use handoff_protocol::*;

use super::auth::CurrentAgent;
use super::extract::{ApiJson, ApiPath};
use super::AppState;
use crate::error::ServiceResult;

/// The tag catalogue, sorted by name (admins manage it with `handoff-service tags`).
#[utoipa::path(
    get, path = "/v1/tags", tag = "tags", security(("bearer" = [])),
    responses((status = 200, body = TagsList))
)]
pub async fn list_tags(State(state): State<AppState>, _agent: CurrentAgent) -> ServiceResult<Json<TagsList>> {
    Ok(Json(TagsList { tags: state.blocking(|store| store.tags()).await? }))
}

/// Replace a conversation's tags (any agent, any conversation). Only catalogue names; at most
/// 20. A changed set bumps the version and writes a feed record; the same set writes nothing.
#[utoipa::path(
    put, path = "/v1/conversations/{id}/tags", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = SetTagsRequest,
    responses(
        (status = 200, body = Conversation),
        (status = 404, body = ErrorBody, description = "No such conversation"),
        (status = 422, body = ErrorBody,
            description = "`unknown_tag` (a name not in the catalogue; the message names it), `too_many_tags`, or a wrong shape"),
    )
)]
pub async fn set_tags(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SetTagsRequest>,
) -> ServiceResult<Json<Conversation>> {
    Ok(Json(state.blocking(move |store| store.set_tags(id, &body.tags)).await?))
}
