//! Conversations, transcripts and the agent commands on them.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use handoff_protocol::*;
use serde::Deserialize;

use super::auth::CurrentAgent;
use super::extract::{page_limit, ApiJson, ApiPath, ApiQuery};
use super::AppState;
use crate::error::{ServiceError, ServiceResult};
use crate::store::WaitNoticeRequest;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only conversations in this status.
    #[param(value_type = Option<ConversationStatus>)]
    status: Option<ConversationStatus>,
    /// Return conversations with an id greater than this.
    #[serde(default)]
    after: i64,
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<u32>,
}

/// Conversations by id, optionally of one status.
#[utoipa::path(
    get, path = "/v1/conversations", tag = "conversations", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ConversationsPage), (status = 400, body = ErrorBody))
)]
pub async fn list_conversations(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ServiceResult<Json<ConversationsPage>> {
    let status = query.status;
    let limit = page_limit(query.limit)?;
    let after = query.after;
    Ok(Json(state.blocking(move |store| store.list_conversations(status, after, limit)).await?))
}

/// One conversation.
#[utoipa::path(
    get, path = "/v1/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses((status = 200, body = Conversation), (status = 404, body = ErrorBody))
)]
pub async fn get_conversation(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> ServiceResult<Json<Conversation>> {
    Ok(Json(state.blocking(move |store| store.conversation(id)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Return messages with a seq greater than this.
    #[serde(default)]
    after: i64,
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<u32>,
}

/// A conversation's messages in seq order.
#[utoipa::path(
    get, path = "/v1/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id"), MessagesQuery),
    responses((status = 200, body = MessagesPage), (status = 404, body = ErrorBody))
)]
pub async fn list_messages(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> ServiceResult<Json<MessagesPage>> {
    let limit = page_limit(query.limit)?;
    Ok(Json(state.blocking(move |store| store.messages(id, query.after, limit)).await?))
}

/// A reply to the customer (assignee only) or a private note (any agent). The same
/// `Idempotency-Key` always answers with the first message it made (200, header
/// `Idempotent-Replayed: true`) and never makes a second.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
            pattern = "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
            description = "Client id of the message, 1 to 200 printable ASCII characters; retries reuse it")),
    request_body = PostMessage,
    responses(
        (status = 201, body = Message, description = "Created"),
        (status = 200, body = Message, description = "Replayed: the key was used before"),
        (status = 400, body = ErrorBody, description = "Malformed Idempotency-Key, path or body"),
        (status = 403, body = ErrorBody, description = "A reply, but not the assignee"),
        (status = 409, body = ErrorBody, description = "The key was used for another message"),
        (status = 422, body = ErrorBody, description = "Empty or too long text, or an unknown field"),
    )
)]
pub async fn post_message(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PostMessage>,
) -> ServiceResult<Response> {
    let key = match headers.get(IDEMPOTENCY_KEY_HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| {
                    ServiceError::bad_request("invalid_idempotency_key", "Idempotency-Key must be printable ASCII")
                })?
                .to_string(),
        ),
        None => None,
    };
    let posted = state.blocking(move |store| store.post_agent_message(id, &agent, key.as_deref(), &body)).await?;
    let mut response = Json(posted.message).into_response();
    if posted.replayed {
        response.headers_mut().insert("Idempotent-Replayed", HeaderValue::from_static("true"));
    } else {
        *response.status_mut() = StatusCode::CREATED;
    }
    Ok(response)
}

/// Take a waiting conversation. Exactly one of several racing agents wins; the others get
/// 409 `already_claimed` with the winner as `assignee`. Claiming one's own is a no-op.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/claim", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, body = Conversation),
        (status = 409, body = ErrorBody, description = "Claimed by someone else, or not waiting"),
        (status = 404, body = ErrorBody, description = "No such conversation"),
    )
)]
pub async fn claim(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> ServiceResult<Json<Conversation>> {
    Ok(Json(state.blocking(move |store| store.claim(id, &agent)).await?))
}

/// Put one's conversation back in the waiting queue.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/release", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, body = Conversation),
        (status = 403, body = ErrorBody, description = "Assigned to another agent"),
        (status = 409, body = ErrorBody, description = "Not assigned (waiting, with the bot or resolved)"),
    )
)]
pub async fn release(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> ServiceResult<Json<Conversation>> {
    Ok(Json(state.blocking(move |store| store.release(id, &agent)).await?))
}

/// Close one's conversation: `solved` (status `resolved`) or `back_to_bot` (status `bot`).
#[utoipa::path(
    post, path = "/v1/conversations/{id}/resolve", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = ResolveRequest,
    responses(
        (status = 200, body = Conversation),
        (status = 403, body = ErrorBody, description = "Assigned to another agent"),
        (status = 409, body = ErrorBody, description = "Not assigned (waiting, with the bot or resolved)"),
    )
)]
pub async fn resolve(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ResolveRequest>,
) -> ServiceResult<Json<Conversation>> {
    Ok(Json(state.blocking(move |store| store.resolve(id, &agent, body.outcome)).await?))
}

/// Hand one's conversation to another agent, with an optional note for them. The transcript
/// gets a private system line `"From → To"` (or `"From → To: note"`).
#[utoipa::path(
    post, path = "/v1/conversations/{id}/transfer", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = TransferRequest,
    responses(
        (status = 200, body = Conversation),
        (status = 403, body = ErrorBody, description = "Assigned to another agent"),
        (status = 404, body = ErrorBody, description = "No such conversation, or no such (active) agent to transfer to"),
        (status = 409, body = ErrorBody, description = "Not assigned, or already assigned to that agent (`transfer_to_self`)"),
        (status = 422, body = ErrorBody, description = "`note_too_long` (over 500 characters), or a wrong shape"),
    )
)]
pub async fn transfer(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TransferRequest>,
) -> ServiceResult<Json<Conversation>> {
    Ok(Json(state.blocking(move |store| store.transfer(id, &agent, body.agent_id, body.note.as_deref())).await?))
}

/// Post the estimated-wait notice to the customer now (any agent). Only for a waiting
/// conversation, and at most one per conversation per `--wait-notice-interval` (default 60 s),
/// counting the automatic notice too.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/wait-notice", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 201, body = Message),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`not_waiting`: the conversation is not waiting for an agent"),
        (status = 429, body = ErrorBody, description = "`wait_notice_too_soon`: it got a notice less than the interval ago",
            headers(("Retry-After" = u64, description = "Seconds until a notice may be posted"))),
    )
)]
pub async fn send_wait_notice(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> ServiceResult<(StatusCode, Json<Message>)> {
    let request = WaitNoticeRequest::Manual { min_interval: state.wait_notice_interval };
    let message = state.blocking(move |store| store.post_wait_notice(id, request)).await?;
    let message = message.ok_or_else(|| ServiceError::Internal("the wait notice was not posted".into()))?;
    Ok((StatusCode::CREATED, Json(message)))
}
