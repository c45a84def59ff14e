//! The global change feed: paged (`GET /v1/changes`) and live (`GET /v1/changes/stream`).

use std::convert::Infallible;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use handoff_protocol::{Activity, ChangesPage, ConversationActivity, ErrorBody};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::auth::CurrentAgent;
use super::extract::{page_limit, ApiQuery};
use super::AppState;
use crate::error::{ServiceError, ServiceResult};
use crate::store::FeedPage;

/// Page size the stream uses to catch up from the database.
const CATCH_UP_PAGE: u32 = 1_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Return changes with a cursor greater than this; 0 for the beginning.
    #[serde(default)]
    #[param(minimum = 0)]
    after: i64,
    /// At most this many changes (default 100).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<u32>,
}

/// Builds the page JSON from the stored records without re-serialising them.
fn page_json(after: i64, page: &FeedPage) -> String {
    let mut out = String::with_capacity(64 + page.records.iter().map(|r| r.json.len() + 1).sum::<usize>());
    out.push_str("{\"changes\":[");
    for (i, record) in page.records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&record.json);
    }
    let next_after = page.records.last().map_or(after, |r| r.cursor);
    out.push_str(&format!("],\"next_after\":{next_after},\"head\":{},\"has_more\":{}}}", page.head, page.has_more));
    out
}

/// Changes after a cursor, oldest first.
#[utoipa::path(
    get, path = "/v1/changes", tag = "feed", params(ChangesQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = ChangesPage),
        (status = 410, description = "The cursor is older than the oldest kept change: resync", body = ErrorBody),
    )
)]
pub async fn list_changes(
    State(state): State<AppState>,
    _agent: CurrentAgent,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> ServiceResult<Response> {
    let limit = page_limit(query.limit)?;
    let after = query.after;
    let page = state.blocking(move |store| store.changes_after(after, limit)).await?;
    Ok(([(CONTENT_TYPE, "application/json")], page_json(after, &page)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Replay changes after this cursor before going live; the `Last-Event-ID` header wins
    /// over it. Without either, the stream starts at the current head.
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// A cursor sent back by a client (`Last-Event-ID`): an integer, spaces around it allowed.
/// Whether the feed still has it is the store's question (410); anything else is a 400.
pub fn parse_cursor(value: &[u8]) -> ServiceResult<i64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| ServiceError::bad_request("invalid_cursor", "Last-Event-ID must be a cursor (an integer)"))
}

fn event(cursor: i64, json: &str) -> Event {
    Event::default().id(cursor.to_string()).event("change").data(json)
}

/// Presence in a conversation: no `id`, so it never moves a client's `Last-Event-ID`.
fn activity_event(entry: &ConversationActivity) -> Option<Event> {
    serde_json::to_string(entry).ok().map(|json| Event::default().event("activity").data(json))
}

/// The same records as `GET /v1/changes`, live, as Server-Sent Events (`event: change`,
/// `id: <cursor>`), with a heartbeat comment while idle. Once live, it also carries presence
/// inside conversations as `event: activity` (no `id`; data `ConversationActivity`).
#[utoipa::path(
    get, path = "/v1/changes/stream", tag = "feed", params(StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "Resume after this cursor")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream of change records", content_type = "text/event-stream"),
        (status = 410, description = "The cursor is older than the oldest kept change: resync", body = ErrorBody),
        (status = 429, description = "This agent has too many streams open (`too_many_streams`); see Retry-After", body = ErrorBody),
    )
)]
pub async fn stream_changes(
    State(state): State<AppState>,
    CurrentAgent(agent): CurrentAgent,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
) -> ServiceResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let last_event_id = headers.get("last-event-id").map(|value| parse_cursor(value.as_bytes())).transpose()?;
    // A malformed `after` is refused even when Last-Event-ID wins over it: the request is wrong
    // either way, and a client should hear so.
    if query.after.is_some_and(|after| after < 0) {
        return Err(ServiceError::bad_request("invalid_cursor", "the cursor `after` must not be negative"));
    }
    let mut pass = state.access.open_stream(agent.id)?;
    // Subscribe before reading the backlog so nothing committed in between is missed.
    let mut live = state.store.subscribe();
    let mut activity = state.activity.subscribe();
    let mut activity_open = true;
    let start = last_event_id.or(query.after).unwrap_or_else(|| state.store.head_cursor());
    state.store.check_cursor(start)?;
    let mut shutdown = state.shutdown.clone();
    let heartbeat = state.heartbeat;

    let stream = async_stream::stream! {
        let mut last = start;
        'outer: loop {
            // Catch up from the database.
            loop {
                let after = last;
                let page = state.blocking(move |store| store.changes_after(after, CATCH_UP_PAGE)).await;
                let page = match page {
                    Ok(page) => page,
                    Err(error) => {
                        let body = serde_json::to_string(&error.body()).unwrap_or_default();
                        yield Ok(Event::default().event("error").data(body));
                        break 'outer;
                    }
                };
                if pass.is_revoked() {
                    break 'outer;
                }
                for record in &page.records {
                    last = record.cursor;
                    yield Ok(event(record.cursor, &record.json));
                }
                if !page.has_more {
                    break;
                }
            }
            // Live, until a gap or lag sends us back to the database.
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break 'outer,
                    // A revoked agent hears nothing more: the stream ends, and so does the token.
                    _ = pass.revoked() => break 'outer,
                    received = live.recv() => match received {
                        Ok(record) if record.cursor <= last => {}
                        Ok(record) if record.cursor == last + 1 => {
                            last = record.cursor;
                            yield Ok(event(record.cursor, &record.json));
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => continue 'outer,
                        Err(RecvError::Closed) => break 'outer,
                    },
                    // Ephemeral: what lagged or went stale while catching up is skipped, not
                    // replayed.
                    received = activity.recv(), if activity_open => match received {
                        Ok(entry) if entry.activity == Activity::Left || entry.expires_at > chrono::Utc::now() => {
                            if let Some(event) = activity_event(&entry) {
                                yield Ok(event);
                            }
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => activity_open = false,
                    },
                }
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(heartbeat).text("heartbeat")))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        #[test]
        fn any_cursor_bytes_parse_or_are_a_400(value in proptest::collection::vec(any::<u8>(), 0..40)) {
            match parse_cursor(&value) {
                Ok(cursor) => {
                    let text = std::str::from_utf8(&value).expect("only UTF-8 parses");
                    prop_assert_eq!(text.trim().parse::<i64>().ok(), Some(cursor));
                }
                Err(error) => prop_assert_eq!(error.code(), "invalid_cursor"),
            }
        }

        #[test]
        fn every_cursor_round_trips(cursor in any::<i64>(), pad in " {0,3}") {
            prop_assert_eq!(parse_cursor(format!("{pad}{cursor}{pad}").as_bytes()).ok(), Some(cursor));
        }
    }
}
