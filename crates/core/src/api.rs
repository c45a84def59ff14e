//! A typed client of the Handoff API v1 (reqwest with rustls).

use std::time::Duration;

use handoff_protocol::*;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{CoreError, CoreResult};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A 410 from the feed: the cursor was pruned, or the service's data was reset.
pub fn gone(error: CoreError, after: i64) -> CoreError {
    match error {
        CoreError::Refused { status: 410, code, .. } if code == "cursor_unknown" => CoreError::ServiceReset(after),
        CoreError::Refused { status: 410, .. } => CoreError::CursorGone(after),
        other => other,
    }
}

#[derive(Clone)]
pub struct ApiClient {
    base: String,
    token: String,
    http: reqwest::Client,
    /// Without a total timeout: change streams stay open for hours.
    streaming: reqwest::Client,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient").field("base", &self.base).finish_non_exhaustive()
    }
}

fn build(timeout: Option<Duration>) -> CoreResult<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("handoff-desk/", env!("CARGO_PKG_VERSION")));
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().map_err(|e| CoreError::Protocol(format!("cannot build the HTTP client: {e}")))
}

impl ApiClient {
    pub fn new(server: &str, token: &str) -> CoreResult<Self> {
        let base = server.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CoreError::Invalid(format!(
                "the server URL must start with http:// or https:// (got {server:?})"
            )));
        }
        Ok(Self { base, token: token.trim().to_string(), http: build(Some(REQUEST_TIMEOUT))?, streaming: build(None)? })
    }

    pub fn server(&self) -> &str {
        &self.base
    }

    fn offline(&self, error: &reqwest::Error) -> CoreError {
        let reason = if error.is_timeout() {
            "timed out".to_string()
        } else if error.is_connect() {
            "connection refused or no route".to_string()
        } else {
            error.to_string()
        };
        CoreError::Offline {
            server: self.base.clone(),
            reason,
            what: "cached conversations stay readable, and replies wait in the outbox".into(),
        }
    }

    /// Turns a non-success answer into the matching error.
    async fn refusal(response: reqwest::Response) -> CoreError {
        let status = response.status();
        let body: Option<ErrorBody> = response.json().await.ok();
        let (code, message, assignee) = match body {
            Some(body) => (body.error.code, body.error.message, body.error.assignee),
            None => ("unknown".into(), format!("HTTP {status}"), None),
        };
        match (status, assignee) {
            (StatusCode::UNAUTHORIZED, _) => CoreError::Unauthorized(message),
            (StatusCode::CONFLICT, Some(assignee)) if code == "already_claimed" => {
                CoreError::AlreadyClaimed { assignee }
            }
            _ => CoreError::Refused { status: status.as_u16(), code, message },
        }
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder, retry_safe: bool) -> CoreResult<T> {
        let request = request.bearer_auth(&self.token);
        // A pooled connection may have died with a restarted service; a request that is safe
        // to repeat (reads, idempotency-keyed posts) gets one more try on a fresh connection.
        let retry = if retry_safe { request.try_clone() } else { None };
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) if !error.is_timeout() && retry.is_some() => {
                tracing::debug!(%error, "retrying once on a fresh connection");
                retry.expect("checked").send().await.map_err(|e| self.offline(&e))?
            }
            Err(error) => return Err(self.offline(&error)),
        };
        if !response.status().is_success() {
            return Err(Self::refusal(response).await);
        }
        response.json().await.map_err(|e| {
            if e.is_decode() {
                CoreError::Protocol(format!("cannot read the service's answer: {e}"))
            } else {
                self.offline(&e)
            }
        })
    }

    async fn call<T: DeserializeOwned>(&self, method: Method, path: &str) -> CoreResult<T> {
        let retry_safe = method == Method::GET;
        self.send(self.http.request(method, format!("{}{path}", self.base)), retry_safe).await
    }

    async fn call_with<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> CoreResult<T> {
        let retry_safe = method == Method::PUT;
        self.send(self.http.request(method, format!("{}{path}", self.base)).json(body), retry_safe).await
    }

    pub async fn me(&self) -> CoreResult<Agent> {
        self.call(Method::GET, "/v1/agents/me").await
    }

    pub async fn agents(&self) -> CoreResult<Vec<Agent>> {
        Ok(self.call::<AgentsList>(Method::GET, "/v1/agents").await?.agents)
    }

    pub async fn changes(&self, after: i64, limit: u32) -> CoreResult<ChangesPage> {
        self.call(Method::GET, &format!("/v1/changes?after={after}&limit={limit}")).await.map_err(|e| gone(e, after))
    }

    /// Opens the live change stream after `after`.
    pub async fn stream(&self, after: i64) -> CoreResult<reqwest::Response> {
        let response = self
            .streaming
            .get(format!("{}/v1/changes/stream", self.base))
            .bearer_auth(&self.token)
            .header("Last-Event-ID", after.to_string())
            .header("Accept", "text/event-stream")
            .send()
            .await
            .map_err(|e| self.offline(&e))?;
        match response.status() {
            StatusCode::OK => Ok(response),
            _ => Err(gone(Self::refusal(response).await, after)),
        }
    }

    pub async fn conversations(&self, after: i64, limit: u32) -> CoreResult<ConversationsPage> {
        self.call(Method::GET, &format!("/v1/conversations?after={after}&limit={limit}")).await
    }

    pub async fn conversation(&self, id: i64) -> CoreResult<Conversation> {
        self.call(Method::GET, &format!("/v1/conversations/{id}")).await
    }

    pub async fn messages(&self, id: i64, after: i64, limit: u32) -> CoreResult<MessagesPage> {
        self.call(Method::GET, &format!("/v1/conversations/{id}/messages?after={after}&limit={limit}")).await
    }

    pub async fn claim(&self, id: i64) -> CoreResult<Conversation> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/claim")).await
    }

    pub async fn release(&self, id: i64) -> CoreResult<Conversation> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/release")).await
    }

    pub async fn resolve(&self, id: i64, outcome: ResolveOutcome) -> CoreResult<Conversation> {
        self.call_with(Method::POST, &format!("/v1/conversations/{id}/resolve"), &ResolveRequest { outcome }).await
    }

    pub async fn transfer(&self, id: i64, agent_id: i64, note: Option<&str>) -> CoreResult<Conversation> {
        let body = TransferRequest { agent_id, note: note.map(str::to_string) };
        self.call_with(Method::POST, &format!("/v1/conversations/{id}/transfer"), &body).await
    }

    /// Reports what this agent does in a conversation (answered 204, no body).
    pub async fn report_activity(&self, id: i64, activity: Activity) -> CoreResult<()> {
        let request = self
            .http
            .post(format!("{}/v1/conversations/{id}/activity", self.base))
            .bearer_auth(&self.token)
            .json(&ActivityRequest { activity });
        let response = request.send().await.map_err(|e| self.offline(&e))?;
        if !response.status().is_success() {
            return Err(Self::refusal(response).await);
        }
        Ok(())
    }

    pub async fn conversation_activity(&self, id: i64) -> CoreResult<Vec<ConversationActivity>> {
        Ok(self.call::<ActivityList>(Method::GET, &format!("/v1/conversations/{id}/activity")).await?.activity)
    }

    pub async fn tags(&self) -> CoreResult<Vec<Tag>> {
        Ok(self.call::<TagsList>(Method::GET, "/v1/tags").await?.tags)
    }

    /// Replaces the conversation's tags (a PUT: safe to repeat).
    pub async fn set_tags(&self, id: i64, tags: &[String]) -> CoreResult<Conversation> {
        let body = SetTagsRequest { tags: tags.to_vec() };
        self.call_with(Method::PUT, &format!("/v1/conversations/{id}/tags"), &body).await
    }

    pub async fn wait_notice(&self, id: i64) -> CoreResult<Message> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/wait-notice")).await
    }

    /// Posts a reply or note with its client id as the idempotency key.
    pub async fn post_message(&self, id: i64, client_id: &str, text: &str, private: bool) -> CoreResult<Message> {
        let request = self
            .http
            .post(format!("{}/v1/conversations/{id}/messages", self.base))
            .header(IDEMPOTENCY_KEY_HEADER, client_id)
            .json(&PostMessage { text: text.to_string(), private });
        self.send(request, true).await
    }

    pub async fn set_presence(&self, presence: Presence) -> CoreResult<Agent> {
        self.call_with(Method::PUT, "/v1/agents/me/presence", &PresenceRequest { presence }).await
    }

    pub async fn queue(&self) -> CoreResult<QueueStats> {
        self.call(Method::GET, "/v1/queue").await
    }
}
