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

/// The parse path of an (already verified) handoff body: JSON, shape, then the field rules.
/// Any input gives a value or a 400/422 error, never a panic.
pub fn parse_handoff(body: &[u8]) -> ServiceResult<IntakeHandoff> {
    let handoff: IntakeHandoff = parse_json(body)?;
    crate::validate::intake_handoff(&handoff)?;
    Ok(handoff)
}

/// The parse path of an (already verified) intake message body.
pub fn parse_message(body: &[u8]) -> ServiceResult<IntakeMessage> {
    let message: IntakeMessage = parse_json(body)?;
    crate::validate::intake_message(&message)?;
    Ok(message)
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
        ("X-Handoff-Signature" = String, Header, pattern = "^v2=[0-9a-fA-F]{64}$", description = SIGNATURE_DOC),
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
    let handoff = parse_handoff(&body)?;
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
        ("X-Handoff-Signature" = String, Header, pattern = "^v2=[0-9a-fA-F]{64}$", description = SIGNATURE_DOC),
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
    let message = parse_message(&body)?;
    let posted = state.blocking(move |store| store.intake_message(&external_id, &message)).await?;
    let status = if posted.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(posted.message)).into_response())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;

    fn is_typed_refusal(error: &ServiceError) -> bool {
        matches!(error, ServiceError::BadRequest { .. } | ServiceError::Unprocessable { .. })
    }

    /// Any JSON value, a few levels deep, with the intake's own keys mixed in.
    fn any_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("external_id".to_string()),
            Just("channel".to_string()),
            Just("customer".to_string()),
            Just("reason".to_string()),
            Just("transcript".to_string()),
            Just("role".to_string()),
            Just("text".to_string()),
            Just("at".to_string()),
            Just("message_id".to_string()),
            Just("id".to_string()),
            Just("name".to_string()),
            ".{0,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,20}".prop_map(Value::String),
            prop_oneof![Just("customer"), Just("bot"), Just("agent"), Just("vip"), Just("2026-11-25T10:00:00Z")]
                .prop_map(|s| Value::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(key.clone(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic_and_are_refused_as_typed_errors(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Err(error) = parse_handoff(&body) {
                prop_assert!(is_typed_refusal(&error), "{error:?}");
            }
            if let Err(error) = parse_message(&body) {
                prop_assert!(is_typed_refusal(&error), "{error:?}");
            }
        }

        #[test]
        fn arbitrary_json_never_panics_and_is_refused_as_typed_errors(value in any_json()) {
            let body = serde_json::to_vec(&value).unwrap_or_default();
            for result in [parse_handoff(&body).map(|_| ()), parse_message(&body).map(|_| ())] {
                if let Err(error) = result {
                    prop_assert!(is_typed_refusal(&error), "{error:?}");
                    prop_assert!(!error.body().error.message.is_empty());
                }
            }
        }

        /// Well-shaped messages with arbitrary strings: accepted exactly when the field rules
        /// hold, otherwise a 422.
        #[test]
        fn shaped_messages_follow_the_field_rules(
            text in ".{0,40}",
            message_id in proptest::option::of(".{0,210}"),
            role in prop_oneof![Just("customer"), Just("bot"), Just("system"), Just("agent")],
        ) {
            let mut value = json!({"role": role, "text": text});
            if let Some(id) = &message_id {
                value["message_id"] = json!(id);
            }
            let result = parse_message(&serde_json::to_vec(&value).unwrap_or_default());
            let valid = role != "agent"
                && !text.trim().is_empty()
                && match &message_id {
                    None => true,
                    Some(id) => !id.is_empty() && id.len() <= MAX_IDEMPOTENCY_KEY_BYTES,
                };
            match result {
                Ok(message) => {
                    prop_assert!(valid);
                    prop_assert_eq!(message.text, text);
                    prop_assert_eq!(message.message_id, message_id);
                }
                Err(error) => {
                    prop_assert!(!valid, "refused a valid message: {error:?}");
                    prop_assert!(matches!(error, ServiceError::Unprocessable { .. }), "{error:?}");
                }
            }
        }
    }
}
