//! Serving HTTP so that hostile or broken clients cannot lock agents out: hyper's connection
//! settings (a header-read timeout that also ends idle keep-alive connections), a cap on open
//! connections kept below the process's file limit (the connection past the cap gets a 503 with
//! `Retry-After` and is closed, instead of waiting in the kernel's queue), tower's load shedding
//! of requests past the in-flight limit and its request timeout (both 503 + `Retry-After`), and
//! hyper-util's graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::{BoxError, ServiceBuilder};

use crate::error::ServiceError;

/// What the service accepts from the network.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// A client must send a request's headers within this; it also ends keep-alive connections
    /// idle for that long (a silent TCP connection costs a file descriptor).
    pub header_read_timeout: Duration,
    /// The longest a request may take to answer, body included; streams are exempt once open.
    pub request_timeout: Duration,
    /// Open connections at most (also kept below the process's file limit).
    pub max_connections: usize,
    /// Requests being handled at once; more are answered 503 at once.
    pub max_in_flight: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 4_096,
            max_in_flight: 512,
        }
    }
}

/// File descriptors kept free for the database, the log and outbound webhooks.
#[cfg(unix)]
const RESERVED_FILES: u64 = 128;

/// Seconds a shed client is told to wait.
const RETRY_AFTER_SECONDS: u64 = 1;

/// The connection cap this process can honour: at most the file limit less a reserve.
pub fn effective_max_connections(wanted: usize) -> usize {
    #[cfg(unix)]
    if let Ok((soft, _)) = rlimit::Resource::NOFILE.get() {
        let room = soft.saturating_sub(RESERVED_FILES).max(16);
        return wanted.min(usize::try_from(room).unwrap_or(usize::MAX));
    }
    wanted
}

/// Raises the soft limit of open files to the hard limit (Unix), so the connection cap rather
/// than `EMFILE` decides when clients are turned away. Returns the new soft limit.
pub fn raise_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::increase_nofile_limit(u64::MAX).ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

fn overloaded(message: &str) -> Response {
    ServiceError::Unavailable(message.to_string()).into_response()
}

async fn handle_middleware_error(error: BoxError) -> Response {
    let mut response = if error.is::<tower::load_shed::error::Overloaded>() {
        overloaded("the service is busy; try again in a moment")
    } else if error.is::<tower::timeout::error::Elapsed>() {
        overloaded("the service took too long to answer; try again")
    } else {
        ServiceError::Internal(error.to_string()).into_response()
    };
    response.headers_mut().insert(RETRY_AFTER, RETRY_AFTER_SECONDS.into());
    response
}

/// The first bytes a client past the connection cap receives, before the connection closes.
fn refusal() -> Vec<u8> {
    let body =
        serde_json::to_string(&ServiceError::Unavailable("too many connections; try again in a moment".into()).body())
            .unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: \
         {RETRY_AFTER_SECONDS}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `router` on `listener` until `shutdown` flips, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(handle_middleware_error))
        .load_shed()
        .concurrency_limit(limits.max_in_flight.max(1))
        .timeout(limits.request_timeout)
        .service(router);
    let max_connections = effective_max_connections(limits.max_connections).max(1);
    let open = Arc::new(Semaphore::new(max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // HTTP/1.1 only: clients are the app, the CLI and bot platforms (a TLS proxy in front may
    // speak HTTP/2 to the world). hyper-util's auto builder would first wait, without a timeout,
    // for the bytes that tell HTTP/1 from HTTP/2 — exactly what a silent connection never sends.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let refusal: Arc<[u8]> = refusal().into();
    tracing::debug!(max_connections, max_in_flight = limits.max_in_flight, "accepting connections");

    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors or a connection reset while queued: breathe, go on.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max_connections, "too many connections: refusing one");
            let refusal = refusal.clone();
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&refusal)).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, error = %error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
