//! Signed webhooks through which a bot platform escalates conversations and forwards the
//! customer's later messages.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use handoff_protocol::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use handoff_protocol::*;

use super::extract::{body_rejection, parse_json, ApiPath};
use super::AppState;
use crate::error::{ServiceError, ServiceResult};

/// Verifies the HMAC signature over the raw body before anything is parsed or stored.
fn verify(state: &AppState, headers: &HeaderMap, body: &[u8]) -> ServiceResult<()> {
    let secret = state.intake_secret.as_ref().ok_or_else(|| {
        ServiceError::Unavailable("intake is disabled: start handoff-service with HANDOFF_INTAKE_SECRET set".into())
    })?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    signing::verify(secret, header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER), body, chrono::Utc::now().timestamp())
        .map_err(|e| ServiceError::Unauthorized(format!("intake signature refused: {e}")))
}

/// Escalate a conversation with its transcript so far. The same `external_id` never makes a
/// second conversation: while it waits or is assigned, a repeat changes nothing (200); after
/// it went back to the bot or was resolved, it is escalated again (200).
#[utoipa::path(
    post, path = "/v1/intake/handoffs", tag = "intake", request_body = IntakeHandoff,
    params(
        ("X-Handoff-Timestamp" = i64, Header, description = "Unix seconds of signing"),
        ("X-Handoff-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"<timestamp>.<raw body>\">"),
    ),
    responses(
        (status = 201, body = IntakeHandoffResult, description = "A new conversation"),
        (status = 200, body = IntakeHandoffResult, description = "Known external id"),
        (status = 401, body = ErrorBody, description = "Bad or stale signature; nothing changed"),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn handoff(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ServiceResult<(StatusCode, Json<IntakeHandoffResult>)> {
    let body = body.map_err(body_rejection)?;
    verify(&state, &headers, &body)?;
    let handoff: IntakeHandoff = parse_json(&body)?;
    let result = state.blocking(move |store| store.intake_handoff(&handoff)).await?;
    let status = if result.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(result)))
}

/// A customer message after the handoff.
#[utoipa::path(
    post, path = "/v1/intake/conversations/{external_id}/messages", tag = "intake",
    request_body = IntakeMessage,
    params(
        ("external_id" = String, Path, description = "The platform's conversation id"),
        ("X-Handoff-Timestamp" = i64, Header, description = "Unix seconds of signing"),
        ("X-Handoff-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"<timestamp>.<raw body>\">"),
    ),
    responses(
        (status = 201, body = Message),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown external id"),
    )
)]
pub async fn customer_message(
    State(state): State<AppState>,
    ApiPath(external_id): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ServiceResult<(StatusCode, Json<Message>)> {
    let body = body.map_err(body_rejection)?;
    verify(&state, &headers, &body)?;
    let message: IntakeMessage = parse_json(&body)?;
    let message = state.blocking(move |store| store.intake_message(&external_id, &message)).await?;
    Ok((StatusCode::CREATED, Json(message)))
}
