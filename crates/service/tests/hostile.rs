//! Hostile and broken clients on raw TCP: idle connections cannot exhaust the service, silent
//! keep-alive connections are closed, slow requests time out, and a flood is shed with 503 +
//! `Retry-After` instead of hanging — while agents get clear answers.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Everything the server sends until it closes the connection or `limit` passes.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), false),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cannot_lock_agents_out() {
    let service = TestService::start_with(|config| {
        config.limits.max_connections = 8;
        config.limits.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let addr = service.handle.addr();
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Past the cap: an immediate, clear refusal, not a hang.
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let (answer, closed) = read_until_closed(&mut extra, Duration::from_secs(3)).await;
    assert!(closed, "the refused connection was left open");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("too many connections"), "{answer}");

    // The silent connections are closed once they have sent no request for the header timeout…
    for stream in &mut idle {
        let (_, closed) = read_until_closed(stream, Duration::from_secs(5)).await;
        assert!(closed, "an idle connection was kept open");
    }
    // …and agents get in again.
    let (status, body) = service.get(&service.alice, "/v1/queue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    service.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_that_goes_quiet_is_closed() {
    let service = TestService::start_with(|config| config.limits.header_read_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(service.handle.addr()).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n").await.unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed && started.elapsed() < Duration::from_secs(4), "kept open for {:?}", started.elapsed());

    // A request whose headers trickle in too slowly is dropped as well.
    let mut slow = TcpStream::connect(service.handle.addr()).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: loc").await.unwrap();
    let (answer, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "a half-sent header kept the connection: {answer}");
    service.handle.shutdown().await;
}

/// Starts a POST whose body never finishes: the request stays in flight.
async fn stalled_post(service: &TestService) -> TcpStream {
    let mut stream = TcpStream::connect(service.handle.addr()).await.unwrap();
    let head = format!(
        "POST /v1/conversations/1/messages HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"text\": \"",
        service.alice
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_shed_with_503_and_a_slow_request_times_out() {
    let service = TestService::start_with(|config| {
        config.limits.max_in_flight = 1;
        config.limits.request_timeout = Duration::from_secs(2);
    })
    .await;
    let mut stalled = stalled_post(&service).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The only place is taken: the next request is shed at once, with a time to come back.
    let started = Instant::now();
    let response = service.http.get(service.url("/v1/queue")).bearer_auth(&service.alice).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(1), "shedding took {:?}", started.elapsed());
    assert_eq!(response.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let (_, body) = read(response).await;
    assert_eq!(error_code(&body), "unavailable");

    // The stalled request is answered 503 when its time is up, and frees its place.
    let (answer, _) = read_until_closed(&mut stalled, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("took too long"), "{answer}");
    let (status, body) = service.get(&service.alice, "/v1/queue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    service.handle.shutdown().await;
}
