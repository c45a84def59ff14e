//! The HTTP API: routes, shared state and the generated OpenAPI document.

mod activity;
mod agents;
mod auth;
mod conversations;
mod extract;
mod feed;
pub mod intake;
mod tags;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use handoff_protocol::{Health, MAX_BODY_BYTES};
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::error::{ServiceError, ServiceResult};
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The intake's secret, signature policy and replay cache.
    pub intake: Arc<intake::IntakeAuth>,
    /// How often an idle change stream sends a heartbeat.
    pub heartbeat: Duration,
    /// Flips to `true` when the service shuts down, ending open streams.
    pub shutdown: watch::Receiver<bool>,
    /// Who may keep a stream open: revocations, and the cap per agent.
    pub access: Arc<crate::access::Access>,
    /// The shortest time between two wait notices of one conversation.
    pub wait_notice_interval: Duration,
    /// Who is viewing or typing in which conversation.
    pub activity: Arc<crate::activity::ActivityBoard>,
}

impl AppState {
    /// Runs a blocking store call on tokio's blocking pool.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> ServiceResult<T> + Send + 'static,
    ) -> ServiceResult<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| ServiceError::Internal(format!("store task failed: {e}")))?
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Handoff API",
        version = "1.0.0",
        description = "Conversations that AI chat agents hand to humans: queues, transcripts, \
                       agent commands, a global change feed, and signed bot-side webhooks."
    ),
    paths(
        health,
        openapi_json,
        feed::list_changes,
        feed::stream_changes,
        conversations::list_conversations,
        conversations::get_conversation,
        conversations::list_messages,
        conversations::post_message,
        conversations::claim,
        conversations::release,
        conversations::resolve,
        conversations::transfer,
        conversations::send_wait_notice,
        activity::report_activity,
        activity::conversation_activity,
        tags::set_tags,
        tags::list_tags,
        agents::list_agents,
        agents::me,
        agents::set_presence,
        agents::queue,
        intake::handoff,
        intake::customer_message,
    ),
    components(schemas(handoff_protocol::Change, handoff_protocol::OutboundReply, handoff_protocol::ConversationActivity)),
    modifiers(&BearerAuth, &StandardResponses),
    tags(
        (name = "feed", description = "The global change feed"),
        (name = "conversations", description = "Conversations, transcripts and agent commands"),
        (name = "agents", description = "Agents, presence and queue statistics"),
        (name = "tags", description = "The team's tag catalogue"),
        (name = "intake", description = "Signed webhooks for bot platforms"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Declares the refusals every operation of a kind can answer, so the document lists each status
/// the service returns: 503 (load shedding, connection cap, request timeout) everywhere; 401 on
/// token-secured operations; 400 where a path or query parameter can be malformed; 404 where a
/// path names a resource; 400/413/422 where a JSON body is read. An operation's own declaration
/// of a status (with its specific description) is kept.
struct StandardResponses;

impl utoipa::Modify for StandardResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations =
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head];
            for operation in operations.into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_path = path.contains('{');
                let has_body = operation.request_body.is_some();
                for parameter in operation.parameters.iter_mut().flatten() {
                    if parameter.required == utoipa::openapi::Required::False {
                        not_nullable(parameter);
                    }
                }
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let has_query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
                let has_header = parameters.iter().any(|p| p.parameter_in == ParameterIn::Header);
                let mut add = |status: &str, description: &str| {
                    if !operation.responses.responses.contains_key(status) {
                        operation.responses.responses.insert(status.to_string(), error_response(description).into());
                    }
                };
                if has_path || has_query || has_header {
                    add("400", "A path, query or header parameter is malformed (`invalid_path`, `invalid_query`, …)");
                }
                if secured {
                    add("401", "Missing, unknown or revoked bearer token");
                }
                if has_path {
                    add("404", "No such resource");
                }
                if has_body {
                    add("400", "The body is not JSON, or not UTF-8");
                    add("413", "The body is larger than 256 KiB");
                    add("422", "The JSON body does not fit the schema, or a field breaks a stated rule");
                }
                add(
                    "503",
                    "The service is overloaded (`unavailable`): too many requests or connections at once, or the \
                     request took too long. Retry after the `Retry-After` seconds",
                );
            }
        }
    }
}

/// An optional parameter has no value by being absent: the service never takes a literal
/// `null` (`?after=null` is a 400), so the document must not offer one.
fn not_nullable(parameter: &mut utoipa::openapi::path::Parameter) {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    use utoipa::openapi::RefOr;
    if let Some(RefOr::T(Schema::Object(object))) = &mut parameter.schema {
        if let SchemaType::Array(types) = &object.schema_type {
            let types: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
            if let [only] = types.as_slice() {
                object.schema_type = SchemaType::Type(only.clone());
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
}

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/changes", get(feed::list_changes))
        .route("/changes/stream", get(feed::stream_changes))
        .route("/conversations", get(conversations::list_conversations))
        .route("/conversations/{id}", get(conversations::get_conversation))
        .route("/conversations/{id}/messages", get(conversations::list_messages).post(conversations::post_message))
        .route("/conversations/{id}/claim", post(conversations::claim))
        .route("/conversations/{id}/release", post(conversations::release))
        .route("/conversations/{id}/resolve", post(conversations::resolve))
        .route("/conversations/{id}/transfer", post(conversations::transfer))
        .route("/conversations/{id}/wait-notice", post(conversations::send_wait_notice))
        .route("/conversations/{id}/activity", get(activity::conversation_activity).post(activity::report_activity))
        .route("/conversations/{id}/tags", put(tags::set_tags))
        .route("/tags", get(tags::list_tags))
        .route("/agents", get(agents::list_agents))
        .route("/agents/me", get(agents::me))
        .route("/agents/me/presence", put(agents::set_presence))
        .route("/queue", get(agents::queue))
        .route("/intake/handoffs", post(intake::handoff))
        .route("/intake/conversations/{external_id}/messages", post(intake::customer_message));
    Router::new()
        .route("/healthz", get(health))
        .nest("/v1", v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| ServiceError::Internal("a request handler panicked".into()).into_response()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ServiceError {
    ServiceError::NotFound("no such route; see GET /v1/openapi.json for the API".into())
}

async fn method_not_allowed() -> Response {
    let mut response =
        ServiceError::bad_request("method_not_allowed", "this route does not take that method").into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// Liveness and the feed head; needs no token.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        head_cursor: state.store.head_cursor(),
    })
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", responses((status = 200, description = "The OpenAPI 3.1 document")))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
