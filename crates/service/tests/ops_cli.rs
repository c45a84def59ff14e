//! The real `handoff-service` binary on the operations side: the webhook URL rule at startup,
//! the dead-letter admin commands against a live service, and log lines that outside text
//! cannot forge.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_handoff-service");

fn command(home: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("HANDOFF_SERVICE_DB")
        .env_remove("HANDOFF_INTAKE_SECRET")
        .env_remove("HANDOFF_WEBHOOK_URL")
        .env_remove("HANDOFF_WEBHOOK_SECRET")
        .env("HANDOFF_LOG", "debug");
    command
}

fn run(args: &[&str], home: &Path) -> Output {
    command(home).args(args).output().expect("the binary runs")
}

fn stdout_of(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A running `serve` whose stderr (the log) goes to a file.
struct Served {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Served {
    fn log(&self) -> Vec<u8> {
        std::fs::read(&self.log).unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str], home: &Path) -> Served {
    let log = home.join("serve.log");
    let mut child = command(home)
        .arg("serve")
        .args(["--addr", "127.0.0.1:0", "--wait-notice-after", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(File::create(&log).unwrap())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut served = Served { child, url: String::new(), log };
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).unwrap();
        assert!(read > 0, "serve exited early: {}", String::from_utf8_lossy(&served.log()));
        if let Some(url) = line.trim_end().strip_prefix("listening on ") {
            served.url = url.to_string();
            return served;
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn plain_http_to_a_remote_webhook_is_refused_at_startup_without_showing_the_url() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("svc.sqlite");
    let mut child = command(home.path())
        .args(["serve", "--addr", "127.0.0.1:0", "--db", db.to_str().unwrap()])
        .args(["--webhook-url", "http://hooks.example.com/PATH-SECRET?token=QUERY-SECRET", "--webhook-secret", "s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the service started with a plain-http webhook URL to a remote host");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--webhook-url") && stderr.contains("use https"), "{stderr}");
    assert!(stderr.contains("http://hooks.example.com/…") && stderr.contains("loopback"), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

#[test]
fn dead_letters_are_listed_redacted_and_redelivered_by_the_admin_cli() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("svc.sqlite");
    let db = db.to_str().unwrap();
    let token =
        stdout_of(&run(&["agents", "add", "Alice", "--db", db], home.path())).lines().last().unwrap().to_string();
    // One waiting conversation (external id `load-7-0`), without the intake and its signature.
    stdout_of(&run(&["seed", "--db", db, "--conversations", "1", "--messages", "2"], home.path()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hook = format!("http://127.0.0.1:{port}/hooks/PATH-SECRET?token=QUERY-SECRET");
    let served = serve(
        &[
            "--db",
            db,
            "--webhook-url",
            &hook,
            "--webhook-secret",
            "ops-hook-secret",
            "--webhook-max-attempts",
            "2",
            "--webhook-retry-base",
            "0.05",
        ],
        home.path(),
    );

    // A reply while nothing listens at the hook: two attempts, then a dead letter.
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let claim = client.post(format!("{}/v1/conversations/1/claim", served.url)).bearer_auth(&token);
        assert_eq!(claim.send().await.unwrap().status(), 200);
        let response = client
            .post(format!("{}/v1/conversations/1/messages", served.url))
            .bearer_auth(&token)
            .header("Idempotency-Key", "ops-reply-1")
            .json(&serde_json::json!({"text": "Hi, Alice here.", "private": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    });
    let mut listing = String::new();
    wait_until("the dead letter", Duration::from_secs(20), || {
        listing = stdout_of(&run(&["webhooks", "dead-letters", "--db", db], home.path()));
        listing.contains("last error")
    });
    assert!(listing.contains("conversation 1 (\"load-7-0\")") && listing.contains("2 attempts"), "{listing}");
    assert!(listing.contains("could not be reached"), "{listing}");
    assert!(!listing.contains("SECRET"), "{listing}");
    let delivery_id = listing.split_whitespace().next().unwrap().to_string();

    // The receiver comes up; the admin redelivers; the running service sends it.
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let receiver_runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    receiver_runtime.spawn(async move {
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let counter = counter.clone();
            async move {
                // The request went to the full URL, secrets and all.
                assert_eq!(uri.to_string(), "/hooks/PATH-SECRET?token=QUERY-SECRET");
                counter.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        axum::serve(listener, app).await.unwrap();
    });
    let out = run(&["webhooks", "redeliver", "no-such-id", "--db", db], home.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a dead letter"));
    let out = stdout_of(&run(&["webhooks", "redeliver", "--all", "--db", db], home.path()));
    assert!(out.contains("queued 1 dead letter") && out.contains(&delivery_id), "{out}");
    wait_until("the redelivery", Duration::from_secs(20), || received.load(Ordering::SeqCst) == 1);
    let listing = stdout_of(&run(&["webhooks", "dead-letters", "--db", db], home.path()));
    assert!(listing.contains("no dead letters"), "{listing}");

    let log = String::from_utf8(served.log()).unwrap();
    assert!(log.contains(&format!("url=http://127.0.0.1:{port}/…")), "{log}");
    assert!(log.contains("dead letter"), "{log}");
    assert!(!log.contains("SECRET"), "the log shows the webhook URL: {log}");
}

#[test]
fn hostile_text_in_a_request_cannot_forge_a_log_line() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("svc.sqlite");
    let db = db.to_str().unwrap();
    let token =
        stdout_of(&run(&["agents", "add", "Alice", "--db", db], home.path())).lines().last().unwrap().to_string();
    let served = serve(&["--db", db], home.path());
    let hostile = "x\n2026-01-01T00:00:00.000000Z  INFO FORGED-LINE \u{1b}[31mred\u{1b}[0m";
    runtime().block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/conversations/1/resolve", served.url))
            .bearer_auth(&token)
            .json(&serde_json::json!({"outcome": hostile}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
    });
    let mut log = Vec::new();
    wait_until("the refusal in the log", Duration::from_secs(10), || {
        log = served.log();
        String::from_utf8_lossy(&log).contains("request refused")
    });
    assert!(!log.contains(&0x1b), "a raw ESC reached the log: {}", String::from_utf8_lossy(&log));
    let log = String::from_utf8(log).unwrap();
    let lines: Vec<&str> = log.lines().filter(|line| line.contains("FORGED-LINE")).collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(lines[0].contains("request refused"), "{log}");
    assert!(lines[0].contains(r"x\n2026-01-01T00:00:00.000000Z  INFO FORGED-LINE \u{1b}[31mred"), "{log}");
}
