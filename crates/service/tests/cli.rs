//! The real `handoff-service` binary: agent admin, serve, demo, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_handoff-service");

fn run(args: &[&str], home: &std::path::Path) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("HANDOFF_SERVICE_DB")
        .env_remove("HANDOFF_INTAKE_SECRET")
        .output()
        .expect("the binary runs")
}

/// A running `serve` process and the lines it printed up to `listening on`.
struct Served {
    child: Child,
    lines: Vec<String>,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str], home: &std::path::Path) -> Served {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("HANDOFF_SERVICE_DB")
        .env_remove("HANDOFF_INTAKE_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    // Owned by `Served` from here on, so every panic below still kills the process.
    let mut served = Served { child, lines: Vec::new(), url: String::new() };
    let mut reader = BufReader::new(stdout);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "serve exited early: {:?}", served.lines);
        let line = line.trim_end().to_string();
        served.lines.push(line.clone());
        if let Some(url) = line.strip_prefix("listening on ") {
            served.url = url.to_string();
            return served;
        }
        assert!(Instant::now() < deadline, "no listening line: {:?}", served.lines);
    }
}

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new().get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

#[test]
fn agents_add_prints_the_token_alone_on_the_last_line_and_revoke_kills_it() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("svc.sqlite");
    let db = db.to_str().unwrap();

    let out = run(&["agents", "add", "Sam Agent", "--db", db], home.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().to_string();
    assert!(token.starts_with("hd_") && token.len() == 67 && !token.contains(' '), "{stdout}");
    let raw = std::fs::read(home.path().join("svc.sqlite")).unwrap();
    assert!(!raw.windows(token.len()).any(|w| w == token.as_bytes()), "the token is stored hashed only");

    let out = run(&["agents", "add", "Sam Agent", "--db", db], home.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let served = serve(&["--db", db, "--addr", "127.0.0.1:0"], home.path());
    assert!(served.url.starts_with("http://127.0.0.1:") && !served.url.ends_with(":0"), "{}", served.url);
    let (status, body) = get(&format!("{}/v1/agents/me", served.url), Some(&token));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Sam Agent"));

    let out = run(&["agents", "list", "--db", db], home.path());
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(listing.contains("Sam Agent") && listing.contains("offline"), "{listing}");

    let out = run(&["agents", "revoke", "Sam Agent", "--db", db], home.path());
    assert!(out.status.success());
    let (status, body) = get(&format!("{}/v1/agents/me", served.url), Some(&token));
    assert_eq!(status, 401, "a revoked token stops working at once: {body}");
    let out = run(&["agents", "list", "--db", db], home.path());
    assert!(String::from_utf8(out.stdout).unwrap().contains("revoked"));

    // The admin CLI wrote to the feed behind the running service's back; writes still work
    // and cursors stay dense.
    let out = run(&["agents", "add", "Other Agent", "--db", db], home.path());
    let other = String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_string();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let response = client
            .put(format!("{}/v1/agents/me/presence", served.url))
            .bearer_auth(&other)
            .json(&serde_json::json!({"presence": "available"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let page: serde_json::Value = client
            .get(format!("{}/v1/changes?after=0", served.url))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let cursors: Vec<i64> =
            page["changes"].as_array().unwrap().iter().map(|c| c["cursor"].as_i64().unwrap()).collect();
        assert_eq!(cursors, (1..=cursors.len() as i64).collect::<Vec<_>>());
        assert_eq!(cursors.len(), 4, "add, revoke, add, presence: {page}");
    });

    let out = run(&["agents", "revoke", "Nobody", "--db", db], home.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no agent is named"));
}

#[test]
fn serve_defaults_to_the_data_dir_and_stops_gracefully_on_sigterm() {
    let home = tempfile::tempdir().unwrap();
    let mut served = serve(&["--addr", "127.0.0.1:0"], home.path());
    let (status, body) = get(&format!("{}/healthz", served.url), None);
    assert_eq!(status, 200);
    assert!(body.contains("\"ok\""));
    assert!(home.path().join("data/handoff-service/service.sqlite").exists());

    let pid = served.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful exit: {status:?}");
}

#[test]
fn a_busy_port_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["serve", "--db", home.path().join("x.sqlite").to_str().unwrap(), "--addr", &addr], home.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot listen on") && stderr.contains(&addr), "{stderr}");
}

#[test]
fn demo_serves_a_seeded_workspace_with_a_live_feed() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(&["--demo", "--addr", "127.0.0.1:0", "--simulate-every", "0.3"], home.path());
    let token = served
        .lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("Alex Morgan"))
        .map(|t| t.trim().to_string())
        .unwrap_or_else(|| panic!("no demo token printed: {:?}", served.lines));
    assert!(served.lines.iter().any(|l| l.contains("intake secret")));

    let (status, body) = get(&format!("{}/healthz", served.url), None);
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&format!("{}/v1/conversations?limit=1000", served.url), Some(&token));
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let conversations = page["conversations"].as_array().unwrap();
    assert!(conversations.len() >= 30, "a few dozen conversations: {}", conversations.len());
    for reason in ["sentiment", "explicit_request", "workflow", "vip"] {
        assert!(conversations.iter().any(|c| c["handoff"]["reason"] == reason), "no {reason} handoff");
    }
    assert!(conversations.iter().any(|c| c["customer"]["vip"] == true));
    assert!(conversations.iter().filter(|c| c["status"] == "waiting").count() >= 10);
    assert!(conversations.iter().any(|c| c["status"] == "resolved"));

    // The simulator keeps the feed moving: the stream shows new changes within seconds.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut response = reqwest::Client::new()
            .get(format!("{}/v1/changes/stream", served.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while !text.contains("event: change") {
            let chunk = tokio::time::timeout_at(deadline, response.chunk()).await.expect("a live change").unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    });
}
