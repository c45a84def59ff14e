//! `handoff review` with the real binary, after a `handoff sync` from a real in-process
//! `handoff-service` seeded with its demo workspace (a week of handoffs; about a quarter of the
//! scenarios are about annual billing). Each test has its own temporary directory, service
//! database and profile; credentials come from `HANDOFF_SERVER` / `HANDOFF_TOKEN`.
// Test diagnostics, not service data on a user's terminal: crates/cli/clippy.toml's print ban
// is for the binary.
#![allow(clippy::disallowed_macros)]

mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use handoff_service::{ServiceConfig, ServiceHandle, Store};
use serde_json::Value;

struct Demo {
    dir: tempfile::TempDir,
    service: ServiceHandle,
    token: String,
}

impl Demo {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
        config.wait_notice_after = None;
        config.heartbeat = Duration::from_millis(300);
        let service = handoff_service::start(config).await.expect("the service starts");
        handoff_service::demo::seed_if_empty(service.store().as_ref()).expect("the demo data");
        let token = service.store().add_agent("Reviewer").expect("an agent").token;
        Self { dir, service, token }
    }

    /// Runs the binary off the async runtime, so the in-process service keeps serving.
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = common::handoff_command();
        command
            .args(args)
            .env("HANDOFF_SERVER", format!("http://{}", self.service.addr()))
            .env("HANDOFF_TOKEN", &self.token)
            .env("HANDOFF_DATA_DIR", self.dir.path().join("data"))
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env_remove("HANDOFF_LOG")
            .stdin(Stdio::null());
        let args = args.join(" ");
        let output = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::task::spawn_blocking(move || command.output().expect("the handoff binary runs")),
        )
        .await
        .unwrap_or_else(|_| panic!("`handoff {args}` did not finish in time"))
        .expect("the run task");
        assert!(
            output.status.success(),
            "`handoff {args}` failed: {:?}\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    async fn stdout(&self, args: &[&str]) -> String {
        String::from_utf8(self.run(args).await.stdout).expect("UTF-8 output")
    }
}

fn dir_is_profile(dir: &Path) -> bool {
    dir.join("data").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_json_lists_every_group_with_its_conversations() {
    let demo = Demo::start().await;
    demo.run(&["sync"]).await;
    assert!(dir_is_profile(demo.dir.path()), "sync wrote the profile");

    let report: Value = serde_json::from_str(&demo.stdout(&["review", "--json"]).await).expect("JSON");
    let total = report["total_handoffs"].as_u64().expect("total_handoffs") as usize;
    assert!(total >= 40, "a week of demo handoffs: {total}");
    let groups = report["groups"].as_array().expect("groups");
    assert!(!groups.is_empty());
    let mut ids: Vec<i64> = Vec::new();
    let mut shares = 0.0;
    for group in groups {
        let label = group["label"].as_str().expect("label");
        assert!(!label.trim().is_empty());
        let size = group["size"].as_u64().expect("size") as usize;
        let members: Vec<i64> = group["conversation_ids"]
            .as_array()
            .expect("conversation_ids")
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(members.len(), size, "{group}");
        shares += group["share"].as_f64().expect("share");
        ids.extend(members);
    }
    assert!((shares - 1.0).abs() < 1e-6, "shares sum to 1: {shares}");
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "a conversation is in one group only");
    assert_eq!(ids.len(), total, "every handoff of the period is in a group");
    // Grouped by meaning, by the on-device model the test command installs.
    assert_eq!(report["grouping"]["method"], "meaning", "{}", report["grouping"]);
    assert!(report["grouping"]["model"].as_str().is_some_and(|m| m.contains("all-MiniLM-L6-v2")));
    assert_eq!(report["grouping"]["note"], Value::Null);
    assert_eq!(report["by_hour"].as_array().expect("by_hour").len(), 24);
    let by_day: u64 = report["by_day"].as_array().expect("by_day").iter().map(|d| d["count"].as_u64().unwrap()).sum();
    assert_eq!(by_day as usize, total);
    assert!(
        report["median_wait_seconds"].as_i64().is_some_and(|s| s > 0),
        "agents answered: {}",
        report["median_wait_seconds"]
    );

    // The biggest group of the demo is annual billing, about a quarter of the handoffs.
    let top = &groups[0];
    println!("top group: {} ({} handoffs, {:.0}%)", top["label"], top["size"], top["share"].as_f64().unwrap() * 100.0);
    let flagged: Vec<&Value> = groups.iter().filter(|g| g["flagged"] == true).collect();
    for group in &flagged {
        assert!(group["share"].as_f64().unwrap() >= 0.2);
        assert!(group["suggestion"].as_str().is_some_and(|s| s.starts_with("Update the bot: ")), "{group}");
    }

    // A shorter period has fewer handoffs (history goes back up to a week).
    let hour: Value = serde_json::from_str(&demo.stdout(&["review", "--since", "1h", "--json"]).await).expect("JSON");
    assert!(hour["total_handoffs"].as_u64().unwrap() < total as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_prints_markdown_by_default_and_csv_on_request() {
    let demo = Demo::start().await;
    demo.run(&["sync"]).await;

    let markdown = demo.stdout(&["review", "--markdown"]).await;
    assert!(markdown.starts_with("# Handoff review "), "{markdown}");
    assert!(markdown.contains("## Question groups"), "{markdown}");
    assert!(markdown.contains("| # | group | handoffs | share | example |"), "{markdown}");
    assert!(markdown.contains("## Why the bot handed off"), "{markdown}");
    // The title names the period to the minute, and the two runs may straddle one.
    let body = |md: &str| md.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default();
    let default = demo.stdout(&["review"]).await;
    assert!(default.starts_with("# Handoff review "), "{default}");
    assert_eq!(body(&default), body(&markdown), "Markdown is the default");

    let csv = demo.stdout(&["review", "--since", "7d", "--csv"]).await;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("label,size,share,flagged,conversation_ids,example"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty(), "{csv}");
    for row in &rows {
        let fields = csv_fields(row);
        assert_eq!(fields.len(), 6, "{row}");
        assert!(!fields[0].is_empty(), "label in {row}");
        assert!(fields[1].parse::<usize>().is_ok(), "size in {row}");
        assert!(fields[2].parse::<f64>().is_ok(), "share in {row}");
        assert!(fields[3] == "true" || fields[3] == "false", "flagged in {row}");
        assert!(fields[4].split(' ').all(|id| id.parse::<i64>().is_ok()), "ids in {row}");
    }

    // Usage errors exit 2.
    let bad = common::handoff_command()
        .args(["review", "--since", "7w"])
        .env("HANDOFF_DATA_DIR", demo.dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let both = common::handoff_command()
        .args(["review", "--json", "--csv"])
        .env("HANDOFF_DATA_DIR", demo.dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
}

/// The fields of one RFC 4180 line (quotes doubled inside quoted fields).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}
