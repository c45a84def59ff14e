//! Extractors that turn every malformed request into a JSON error instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use handoff_protocol::{DEFAULT_PAGE_LIMIT, MAX_BODY_BYTES, MAX_PAGE_LIMIT};
use serde::de::DeserializeOwned;

use crate::error::ServiceError;

/// Parses a JSON body; syntax errors (and invalid UTF-8) are 400, wrong shapes are 422.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    if body.is_empty() {
        return Err(ServiceError::bad_request("invalid_json", "the request body is empty; send a JSON object"));
    }
    if let Err(e) = std::str::from_utf8(body) {
        return Err(ServiceError::bad_request(
            "invalid_utf8",
            format!("the body is not valid UTF-8 (first bad byte at offset {}); send UTF-8 JSON", e.valid_up_to()),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        // Whatever serde calls the failure, a body that is valid JSON has the wrong shape.
        if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
            ServiceError::unprocessable("invalid_field", format!("the JSON body does not fit: {e}"))
        } else {
            ServiceError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
        }
    })
}

pub fn body_rejection(rejection: BytesRejection) -> ServiceError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ServiceError::PayloadTooLarge { limit: MAX_BODY_BYTES }
    } else {
        ServiceError::bad_request("unreadable_body", rejection.body_text())
    }
}

/// A JSON request body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| ServiceError::bad_request("invalid_path", e.body_text()))
    }
}

/// Query parameters.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ServiceError::bad_request("invalid_query", e.body_text()))
    }
}

/// A list's `limit` query parameter: 1 to 5000, default 100. Out of range is refused rather than
/// clamped, as the OpenAPI document states.
pub fn page_limit(limit: Option<u32>) -> Result<u32, ServiceError> {
    match limit {
        None => Ok(DEFAULT_PAGE_LIMIT),
        Some(limit) if (1..=MAX_PAGE_LIMIT).contains(&limit) => Ok(limit),
        Some(limit) => Err(ServiceError::bad_request(
            "invalid_query",
            format!("limit is {limit}; pass 1 to {MAX_PAGE_LIMIT}, or leave it out for {DEFAULT_PAGE_LIMIT}"),
        )),
    }
}
