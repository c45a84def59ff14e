//! Change-feed benchmarks over real loopback HTTP (run with `cargo bench -p handoff-service`):
//!
//! 1. paging throughput: a client pages through 100,000 changes with `GET /v1/changes`;
//! 2. fan-out: 500 concurrent SSE subscribers, each must receive every one of 200 new changes.
//!
//! Prints one line per figure; docs/benchmarks.md records the results.

use std::sync::Arc;
use std::time::{Duration, Instant};

use handoff_protocol::*;
use handoff_service::{ServiceConfig, Store};

const CONVERSATIONS: usize = 2_000;
const MESSAGES_PER_CONVERSATION: usize = 48;
const SUBSCRIBERS: usize = 500;
const FANOUT_CHANGES: usize = 200;

fn seed(store: &dyn Store) {
    handoff_service::demo::seed_synthetic(store, CONVERSATIONS, MESSAGES_PER_CONVERSATION, 1).expect("seed");
}

async fn page_through(client: &reqwest::Client, base: &str, token: &str, limit: u32) -> usize {
    let mut after = 0i64;
    let mut total = 0;
    loop {
        let page: serde_json::Value = client
            .get(format!("{base}/v1/changes?after={after}&limit={limit}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        let changes = page["changes"].as_array().expect("changes");
        total += changes.len();
        after = page["next_after"].as_i64().expect("next_after");
        if !page["has_more"].as_bool().unwrap_or(false) {
            return total;
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

async fn bench() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServiceConfig::new(dir.path().join("bench.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.wait_notice_after = None;
    let handle = handoff_service::start(config).await.expect("start");
    let store: Arc<dyn Store> = handle.store().clone();
    let started = Instant::now();
    tokio::task::spawn_blocking({
        let store = store.clone();
        move || seed(store.as_ref())
    })
    .await
    .expect("seed");
    let token = store.issue_token("Bench Reader").expect("token").token;
    let head = store.head_cursor();
    println!("seeded {head} changes in {:.2} s", started.elapsed().as_secs_f64());
    let base = handle.base_url();
    let client = reqwest::Client::new();

    for limit in [1_000u32, 5_000] {
        let mut rates = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let total = page_through(&client, &base, &token, limit).await;
            assert_eq!(total as i64, head);
            rates.push(total as f64 / started.elapsed().as_secs_f64());
        }
        println!(
            "paging {head} changes, limit {limit}: median {:.0} changes/s (best {:.0})",
            median(rates.clone()),
            rates.iter().cloned().fold(0.0, f64::max)
        );
    }

    // Fan-out: every subscriber must see every new change.
    let writer_agent = store.add_agent("Bench Writer").expect("writer");
    let conversation =
        store.list_conversations(Some(ConversationStatus::Waiting), 0, 1).expect("list").conversations[0].id;
    store.claim(conversation, &writer_agent.agent).expect("claim");
    let start_cursor = store.head_cursor();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(SUBSCRIBERS);
    let mut subscribers = tokio::task::JoinSet::new();
    for _ in 0..SUBSCRIBERS {
        let client = client.clone();
        let url = format!("{base}/v1/changes/stream?after={start_cursor}");
        let token = token.clone();
        let ready = ready_tx.clone();
        subscribers.spawn(async move {
            let mut response = client.get(url).bearer_auth(token).send().await.expect("stream");
            assert_eq!(response.status(), 200);
            ready.send(()).await.expect("ready");
            let expected = FANOUT_CHANGES * 2; // each message also changes its conversation
            let mut seen = 0;
            let mut buffer = String::new();
            while seen < expected {
                let chunk = response.chunk().await.expect("chunk").expect("stream open");
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    if buffer[..end].contains("event: change") {
                        seen += 1;
                    }
                    buffer.drain(..end + 2);
                }
            }
            Instant::now()
        });
    }
    for _ in 0..SUBSCRIBERS {
        ready_rx.recv().await.expect("subscriber ready");
    }
    let started = Instant::now();
    tokio::task::spawn_blocking({
        let store = store.clone();
        move || {
            for k in 0..FANOUT_CHANGES {
                let body = PostMessage { text: format!("fan-out message {k}"), private: false };
                store
                    .post_agent_message(conversation, &writer_agent.agent, Some(&format!("fan-{k}")), &body)
                    .expect("post");
            }
        }
    })
    .await
    .expect("writer");
    let written = started.elapsed();
    let mut last = started;
    let deadline = Duration::from_secs(120);
    while let Some(done) = tokio::time::timeout(deadline, subscribers.join_next()).await.expect("fan-out finishes") {
        last = last.max(done.expect("subscriber"));
    }
    let total = last - started;
    let events = (SUBSCRIBERS * FANOUT_CHANGES * 2) as f64;
    println!(
        "fan-out: {SUBSCRIBERS} SSE subscribers each received all {} changes; writes took {:.0} ms, \
         last subscriber done after {:.0} ms ({:.0} events/s delivered)",
        FANOUT_CHANGES * 2,
        written.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        events / total.as_secs_f64()
    );
    handle.shutdown().await;
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench`-less args; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("change_feed: run with `cargo bench -p handoff-service` to measure");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(bench());
}
