//! Signed webhooks through which a bot platform escalates conversations and forwards the
//! customer's later messages.
//!
//! Every request is checked before anything is parsed or stored: the v2 signature over method,
//! path with query, timestamp and raw body (see `handoff_protocol::signing`), a timestamp at most
//! 300 s old and 30 s ahead, and a signature not accepted before (409 `replayed_request`).
//! Intake is idempotent besides: on `external_id` for handoffs, on the optional `message_id` for
//! lines.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use handoff_protocol::signing::{self, Scheme, V1Policy, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use handoff_protocol::*;

use super::extract::{body_rejection, parse_json, ApiPath};
use super::AppState;
use crate::error::{ServiceError, ServiceResult};
use crate::replay::{ReplayCache, ReplayError};

/// How the intake checks requests.
pub struct IntakeAuth {
    /// The shared secret; intake answers 503 while unset.
    pub secret: Option<Vec<u8>>,
    /// Whether deprecated v1 signatures (`sha256=` over timestamp and body) still pass.
    pub v1: V1Policy,
    pub replays: ReplayCache,
}

/// Verifies the signature of the request as it came over the wire, then records it so the same
/// signed request cannot be taken twice.
fn verify(state: &AppState, method: &Method, uri: &OriginalUri, headers: &HeaderMap, body: &[u8]) -> ServiceResult<()> {
    let auth = &state.intake;
    let secret = auth.secret.as_deref().ok_or_else(|| {
        ServiceError::Unavailable("intake is disabled: start handoff-service with HANDOFF_INTAKE_SECRET set".into())
    })?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // The request target as sent: what the platform signed, percent-encoding included.
    let target = uri.0.path_and_query().map_or_else(|| uri.0.path(), |p| p.as_str());
    let now = chrono::Utc::now().timestamp();
    let verified = signing::verify_request(
        secret,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        method.as_str(),
        target,
        body,
        now,
        auth.v1,
    )
    .map_err(|e| ServiceError::Unauthorized(format!("intake signature refused: {e}")))?;
    if verified.scheme == Scheme::V1 {
        tracing::warn!(
            path = target,
            "accepted a deprecated v1 intake signature (timestamp and body only); move the platform to v2 \
             signatures, then restart without --accept-v1-intake-signatures"
        );
    }
    auth.replays.check_and_record(verified.mac, verified.timestamp, now).map_err(|e| match e {
        ReplayError::Replayed => ServiceError::conflict(
            "replayed_request",
            "this signed request was already received; nothing changed. A retry must be signed \
             again with a fresh timestamp (intake is idempotent on external_id and message_id)",
        ),
        ReplayError::Full { capacity } => ServiceError::TooManyRequests {
            code: "too_many_intake_requests",
            message: format!(
                "more than {capacity} intake requests arrived within {} s; retry shortly",
                signing::REPLAY_WINDOW_SECS
            ),
            retry_after_seconds: 5,
        },
    })
}

/// Escalate a conversation with its transcript so far. The same `external_id` never makes a
/// second conversation: while it waits or is assigned, a repeat changes nothing (200); after
/// it went back to the bot or was resolved, it is escalated again (200). Transcript lines with
/// a `message_id` already stored in the conversation are not stored again.
#[utoipa::path(
    post, path = "/v1/intake/handoffs", tag = "intake", request_body = IntakeHandoff,
    params(
        ("X-Handoff-Timestamp" = i64, Header, description = "Unix seconds of signing; at most 300 s old, 30 s ahead"),
        ("X-Handoff-Signature" = String, Header, description = SIGNATURE_DOC),
    ),
    responses(
        (status = 201, body = IntakeHandoffResult, description = "A new conversation"),
        (status = 200, body = IntakeHandoffResult, description = "Known external id"),
        (status = 400, body = ErrorBody, description = "The body is not JSON, or not UTF-8"),
        (status = 401, body = ErrorBody, description = "Bad, stale, future or v1 signature; nothing changed"),
        (status = 409, body = ErrorBody, description = "`replayed_request`: this signed request was received before; nothing changed"),
        (status = 413, body = ErrorBody, description = "The body is larger than 256 KiB"),
        (status = 422, body = ErrorBody, description = "A field is missing, empty, too long or of the wrong type"),
        (status = 429, body = ErrorBody, description = "Too many intake requests inside the replay window; see Retry-After"),
        (status = 503, body = ErrorBody, description = "Intake is disabled (no secret), or the service is overloaded"),
    )
)]
pub async fn handoff(
    State(state): State<AppState>,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ServiceResult<(StatusCode, Json<IntakeHandoffResult>)> {
    let body = body.map_err(body_rejection)?;
    verify(&state, &method, &uri, &headers, &body)?;
    let handoff: IntakeHandoff = parse_json(&body)?;
    let result = state.blocking(move |store| store.intake_handoff(&handoff)).await?;
    let status = if result.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(result)))
}

pub const SIGNATURE_DOC: &str = "`v2=<64 hex digits>`: HMAC-SHA256 with the intake secret of \
     \"v2\\n<timestamp>\\n<METHOD>\\n<path and query as sent>\\n<raw body>\"";

/// A customer (or bot) message after the handoff. With a `message_id`, the same id in the same
/// conversation always answers with the first message it made (200) and never makes a second.
#[utoipa::path(
    post, path = "/v1/intake/conversations/{external_id}/messages", tag = "intake",
    request_body = IntakeMessage,
    params(
        ("external_id" = String, Path, description = "The platform's conversation id"),
        ("X-Handoff-Timestamp" = i64, Header, description = "Unix seconds of signing; at most 300 s old, 30 s ahead"),
        ("X-Handoff-Signature" = String, Header, description = SIGNATURE_DOC),
    ),
    responses(
        (status = 201, body = Message, description = "Stored"),
        (status = 200, body = Message, description = "The `message_id` was stored before: the first message, nothing changed"),
        (status = 400, body = ErrorBody, description = "The body is not JSON, or not UTF-8"),
        (status = 401, body = ErrorBody, description = "Bad, stale, future or v1 signature; nothing changed"),
        (status = 404, body = ErrorBody, description = "Unknown external id"),
        (status = 409, body = ErrorBody, description = "`replayed_request`: this signed request was received before; nothing changed"),
        (status = 413, body = ErrorBody, description = "The body is larger than 256 KiB"),
        (status = 422, body = ErrorBody, description = "Empty or too long text, an agent role, a bad message_id or unknown field"),
        (status = 429, body = ErrorBody, description = "Too many intake requests inside the replay window; see Retry-After"),
        (status = 503, body = ErrorBody, description = "Intake is disabled (no secret), or the service is overloaded"),
    )
)]
pub async fn customer_message(
    State(state): State<AppState>,
    method: Method,
    uri: OriginalUri,
    ApiPath(external_id): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ServiceResult<Response> {
    let body = body.map_err(body_rejection)?;
    verify(&state, &method, &uri, &headers, &body)?;
    let message: IntakeMessage = parse_json(&body)?;
    let posted = state.blocking(move |store| store.intake_message(&external_id, &message)).await?;
    let status = if posted.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(posted.message)).into_response())
}
