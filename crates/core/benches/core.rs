//! Core benchmarks against a real service on 127.0.0.1 (run with `cargo bench -p handoff-core`):
//!
//! 1. first sync of 10,000 conversations / 500,000 messages;
//! 2. opening a cached 1,000-message transcript, against fetching it from the service;
//! 3. full-text search over 1,000,000 cached messages;
//! 4. a change on the service → the subscriber's event.
//!
//! Prints one line per figure; docs/benchmarks.md records the results.

use std::time::{Duration, Instant};

use chrono::Utc;
use handoff_core::store::CacheKey;
use handoff_core::{CoreEvent, Engine, LocalStore};
use handoff_protocol::*;
use handoff_service::demo::{seed_synthetic, synthetic_sentence};
use handoff_service::{ServiceConfig, Store};
use rand::rngs::StdRng;
use rand::SeedableRng;

#[path = "../tests/common/handoffs.rs"]
mod handoffs;
#[path = "../tests/common/metrics.rs"]
mod metrics;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn bench() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.wait_notice_after = None;
    let service = handoff_service::start(config).await.expect("service");
    let store = service.store().clone();
    let token = store.add_agent("Bench").expect("agent").token;
    let url = service.base_url();

    // 1. First sync: 10,000 conversations with 50 messages each.
    let started = Instant::now();
    let long_id = tokio::task::spawn_blocking({
        let store = store.clone();
        move || {
            seed_synthetic(store.as_ref(), 10_000, 50, 1).expect("seed");
            // One long conversation for the transcript benchmark.
            seed_synthetic(store.as_ref(), 1, 1_000, 2).expect("long")[0]
        }
    })
    .await
    .expect("seed");
    println!("seeded 10,001 conversations / 501,000 messages in {:.1} s", started.elapsed().as_secs_f64());

    // The key is the bench's own: no keychain is needed, and the cost measured is SQLCipher's.
    let engine = Engine::open_with_key(&dir.path().join("desk"), &CacheKey::random()).expect("engine");
    engine.use_credentials(&url, &token).expect("credentials");
    let mut runs = Vec::new();
    let started = Instant::now();
    let report = engine.sync_once().await.expect("first sync");
    runs.push(started.elapsed());
    println!(
        "first sync: {} changes ({} messages) in {:.2} s ({:.0} messages/s)",
        report.changes,
        report.messages_added,
        runs[0].as_secs_f64(),
        report.messages_added as f64 / runs[0].as_secs_f64()
    );

    // 2. Open a cached 1,000-message transcript vs. fetching it over loopback.
    let mut cold = Vec::new();
    for _ in 0..1_000 {
        let started = Instant::now();
        let view = engine.store().read_conversation_view(long_id).expect("view");
        cold.push(started.elapsed());
        assert_eq!(view.messages.len(), 1_000);
    }
    let mut cached = Vec::new();
    for _ in 0..1_000 {
        let started = Instant::now();
        let view = engine.store().conversation_view(long_id).expect("view");
        cached.push(started.elapsed());
        assert_eq!(view.messages.len(), 1_000);
    }
    let client = engine.client().await.expect("client");
    let mut fetched = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        let conversation = client.conversation(long_id).await.expect("conversation");
        let page = client.messages(long_id, 0, 1_000).await.expect("messages");
        fetched.push(started.elapsed());
        assert_eq!(page.messages.len(), 1_000);
        assert_eq!(conversation.id, long_id);
    }
    let cold_p50 = percentile(&mut cold, 0.5);
    let cold_p99 = percentile(&mut cold, 0.99);
    let cached_p50 = percentile(&mut cached, 0.5);
    let cached_p99 = percentile(&mut cached, 0.99);
    let fetched_p50 = percentile(&mut fetched, 0.5);
    println!(
        "open 1,000-message transcript from SQLite: p50 {:.3} ms, p99 {:.3} ms → {:.0}× faster than the service",
        ms(cold_p50),
        ms(cold_p99),
        fetched_p50.as_secs_f64() / cold_p50.as_secs_f64()
    );
    println!(
        "reopen it (engine API, validated in-memory copy): p50 {:.3} ms, p99 {:.3} ms → {:.0}× faster than the service",
        ms(cached_p50),
        ms(cached_p99),
        fetched_p50.as_secs_f64() / cached_p50.as_secs_f64()
    );
    println!("fetch it from the service over loopback (conversation + messages): p50 {:.2} ms", ms(fetched_p50));

    // 4. Change on the service → the subscriber's event, live.
    let mut events = engine.subscribe();
    let mut status = engine.status();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = engine.run(shutdown);
    // The live stream is open once the session went through connecting to online.
    let live = async {
        status.wait_for(|s| matches!(s.connection, handoff_core::ConnectionState::Connecting { .. })).await.ok();
        status.wait_for(|s| s.connection == handoff_core::ConnectionState::Online).await.ok();
    };
    tokio::time::timeout(Duration::from_secs(60), live).await.expect("goes live");
    let external_id = store.conversation(long_id).expect("long").external_id;
    let mut latencies = Vec::new();
    for k in 0..200 {
        let text = format!("latency probe {k}");
        let started = Instant::now();
        {
            let store = store.clone();
            let external_id = external_id.clone();
            let text = text.clone();
            tokio::task::spawn_blocking(move || {
                store
                    .intake_message(
                        &external_id,
                        &IntakeMessage { role: Role::Customer, text, at: None, message_id: None },
                    )
                    .expect("message")
            })
            .await
            .expect("write");
        }
        loop {
            match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
                Ok(Ok(CoreEvent::MessageAdded { message })) if message.text == text => break,
                Ok(_) => continue,
                Err(_) => panic!("no event for probe {k}"),
            }
        }
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "service change → subscriber event: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (200 changes)",
        ms(percentile(&mut latencies, 0.5)),
        ms(percentile(&mut latencies, 0.95)),
        ms(percentile(&mut latencies, 1.0))
    );
    let _ = stop.send(true);
    task.await.expect("engine stops");
    drop(store);
    service.shutdown().await;

    // 3. Search over 1,000,000 cached messages (written straight into a cache).
    let cache_dir = dir.path().join("search");
    let started = Instant::now();
    let cache = tokio::task::spawn_blocking(move || {
        let cache = LocalStore::open(&cache_dir, &CacheKey::random()).expect("cache");
        let mut rng = StdRng::seed_from_u64(3);
        let now = Utc::now();
        for batch in 0..100 {
            let mut conversations = Vec::new();
            let mut messages = Vec::new();
            for c in 0..100 {
                let id = (batch * 100 + c + 1) as i64;
                conversations.push(Conversation {
                    id,
                    external_id: format!("s-{id}"),
                    channel: "web".into(),
                    status: ConversationStatus::Resolved,
                    assignee: None,
                    customer: Customer {
                        id: format!("c-{id}"),
                        name: format!("Customer {id}"),
                        email: None,
                        phone: None,
                        vip: false,
                        account_value: None,
                    },
                    handoff: None,
                    priority: Priority::Normal,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                    last_message_seq: 100,
                    tags: Vec::new(),
                });
                for seq in 1..=100 {
                    messages.push(Message {
                        conversation_id: id,
                        seq,
                        role: if seq % 2 == 0 { Role::Agent } else { Role::Customer },
                        author: "x".into(),
                        text: synthetic_sentence(&mut rng, 14),
                        private: false,
                        client_id: None,
                        created_at: now,
                    });
                }
            }
            cache.apply_snapshot(&conversations, &messages).expect("write");
        }
        cache
    })
    .await
    .expect("cache");
    println!("built a cache of 1,000,000 messages in {:.1} s", started.elapsed().as_secs_f64());
    let queries =
        ["refund", "annual billing", "damaged parcel", "cafe", "pass", "locked account", "VAT invoice", "zzz"];
    let mut samples = Vec::new();
    for _ in 0..25 {
        for query in queries {
            let started = Instant::now();
            let hits = cache.search(query, 50).expect("search");
            samples.push(started.elapsed());
            if query == "zzz" {
                assert!(hits.is_empty());
            }
        }
    }
    println!(
        "search over 1,000,000 messages (50 hits, snippets): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        ms(percentile(&mut samples, 0.5)),
        ms(percentile(&mut samples, 0.95)),
        ms(percentile(&mut samples, 1.0))
    );
}

/// A resolved handoff of three messages, escalated at `escalated_at`, for one of five reasons.
fn synthetic_conversation(id: i64, escalated_at: chrono::DateTime<Utc>) -> Conversation {
    let mut conversation = handoffs::handed_off(id, escalated_at, ConversationStatus::Resolved);
    if let Some(handoff) = conversation.handoff.as_mut() {
        handoff.reason = HandoffReason::ALL[id as usize % 5];
    }
    conversation.last_message_seq = 3;
    conversation
}

/// The review over 10,000 cached handoffs whose questions are realistic: the labelled fixture's,
/// with small variations, each with a bot line and an agent answer.
fn review_bench(dir: &std::path::Path) {
    use handoff_core::insights::review::{build_report, ReviewOptions};
    let fixture = include_str!("../tests/fixtures/handoff_questions.tsv");
    let questions: Vec<&str> = fixture.lines().skip(1).filter_map(|l| l.split_once('\t').map(|(_, q)| q)).collect();
    let cache = LocalStore::open(&dir.join("review"), &CacheKey::random()).expect("cache");
    let now = Utc::now();
    let mut conversations = Vec::new();
    let mut messages = Vec::new();
    for i in 0..10_000usize {
        let id = i as i64 + 1;
        let escalated_at = now - chrono::Duration::minutes((i % (7 * 24 * 60 - 1)) as i64);
        conversations.push(synthetic_conversation(id, escalated_at));
        let lines = [
            (Role::Customer, format!("{} (order {})", questions[i % questions.len()], 10_000 + i)),
            (Role::Bot, "I'm connecting you with a human expert now.".to_string()),
            (Role::Agent, "Thanks for waiting — I've sorted this out for you.".to_string()),
        ];
        for (k, (role, text)) in lines.into_iter().enumerate() {
            messages.push(Message {
                conversation_id: id,
                seq: k as i64 + 1,
                role,
                author: "x".into(),
                text,
                private: false,
                client_id: None,
                created_at: escalated_at + chrono::Duration::seconds(if k == 0 { -30 } else { 60 * k as i64 }),
            });
        }
    }
    cache.apply_snapshot(&conversations, &messages).expect("write");
    let mut runs = Vec::new();
    let mut summary = String::new();
    for _ in 0..3 {
        let started = Instant::now();
        let options = ReviewOptions::last(chrono::Duration::days(7), Utc::now());
        let (conversations, messages) = cache.escalated_between(options.since, options.until).expect("load");
        let report = build_report(&conversations, &messages, &options);
        runs.push(started.elapsed());
        let flagged: Vec<&str> = report.groups.iter().filter(|g| g.flagged).map(|g| g.label.as_str()).collect();
        summary = format!("{} handoffs, {} groups, flagged {flagged:?}", report.total_handoffs, report.groups.len());
    }
    println!("review of 10,000 cached handoffs ({summary}): median {:.0} ms (3 runs)", ms(percentile(&mut runs, 0.5)));
}

/// The review by meaning over 10,000 handoffs asking the labelled evaluation set's questions
/// (each of the 372 asked by about 27 customers): how fast the model embeds, how fast the review
/// is once the vectors are cached, and how well it groups and flags.
fn semantic_review_bench(dir: &std::path::Path) {
    use std::collections::{HashMap, HashSet};

    use handoff_core::insights::review::{handoff_question, GroupingMethod, ReviewOptions};
    let fixture = include_str!("../tests/fixtures/review_eval.tsv");
    let rows: Vec<(&str, &str)> = fixture
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut fields = l.splitn(3, '\t');
            let _split = fields.next()?;
            Some((fields.next()?, fields.next()?))
        })
        .collect();
    let engine = handoff_core::Engine::open_with_key(&dir.join("semantic"), &CacheKey::random()).expect("engine");
    let now = Utc::now();
    let mut conversations = Vec::new();
    let mut messages = Vec::new();
    let mut topics = Vec::new();
    for i in 0..10_000usize {
        let id = i as i64 + 1;
        let (topic, question) = rows[i % rows.len()];
        topics.push(topic);
        let escalated_at = now - chrono::Duration::minutes((i % (7 * 24 * 60 - 1)) as i64);
        let mut conversation = synthetic_conversation(id, escalated_at);
        conversation.last_message_seq = 1;
        conversations.push(conversation);
        messages.push(Message {
            conversation_id: id,
            seq: 1,
            role: Role::Customer,
            author: "x".into(),
            text: question.to_string(),
            private: false,
            client_id: None,
            created_at: escalated_at - chrono::Duration::seconds(30),
        });
    }
    engine.store().apply_snapshot(&conversations, &messages).expect("write");

    let before = resident_mb();
    let loaded_at = Instant::now();
    let model =
        handoff_embed::load(&handoff_embed::ModelLocation::standard()).expect("the model (scripts/fetch-model.sh)");
    let load_took = loaded_at.elapsed();
    let loaded = resident_mb();
    // The questions as the review reads them; each distinct one is embedded once.
    let questions: Vec<String> =
        conversations.iter().zip(&messages).map(|(c, m)| handoff_question(c, std::slice::from_ref(m))).collect();
    let distinct: Vec<&str> = {
        let mut seen = HashSet::new();
        questions.iter().map(String::as_str).filter(|q| seen.insert(*q)).collect()
    };
    let started = Instant::now();
    let vectors = model.embed(&distinct).expect("embedding");
    let took = started.elapsed();
    let model_id = model.model_id().to_string();
    drop(model);
    println!(
        "semantic: model load {:.0} ms; resident memory {before:.0} MB → {loaded:.0} MB loaded (+{:.0} MB) → {:.0} MB after drop",
        ms(load_took),
        loaded - before,
        resident_mb()
    );
    let by_question: HashMap<&str, &Vec<f32>> = distinct.iter().copied().zip(&vectors).collect();
    let rows_to_save: Vec<(i64, String, Vec<f32>)> =
        conversations.iter().zip(&questions).map(|(c, q)| (c.id, q.clone(), by_question[q.as_str()].clone())).collect();
    engine.store().save_question_vectors(&model_id, &rows_to_save).expect("vectors saved");
    println!(
        "semantic: embedded {} questions in {:.1} s: {:.0} vectors/s (the model's pool: {} of {} cores)",
        distinct.len(),
        took.as_secs_f64(),
        distinct.len() as f64 / took.as_secs_f64(),
        std::thread::available_parallelism().map(|n| (n.get() / 2).max(1)).unwrap_or(1),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    );
    let mut runs = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        let started = Instant::now();
        let options = ReviewOptions::last(chrono::Duration::days(7), Utc::now());
        report = Some(engine.review(&options).expect("review"));
        runs.push(started.elapsed());
    }
    let report = report.expect("a report");
    assert_eq!(report.grouping.method, GroupingMethod::Meaning, "{:?}", report.grouping);
    let mut of = vec![0usize; topics.len()];
    for (g, group) in report.groups.iter().enumerate() {
        for &id in &group.conversation_ids {
            of[id as usize - 1] = g;
        }
    }
    let ari = metrics::adjusted_rand_index(&topics, &of);
    let flagged: HashSet<usize> = report
        .groups
        .iter()
        .filter(|g| g.flagged)
        .flat_map(|g| g.conversation_ids.iter().map(|&id| id as usize - 1))
        .collect();
    let big: HashSet<usize> = (0..topics.len()).filter(|&i| topics[i] == "charged_twice").collect();
    let hits = flagged.intersection(&big).count() as f64;
    println!(
        "semantic: review of 10,000 handoffs with cached vectors: median {:.0} ms (3 runs); {} groups, ARI {ari:.3}, \
         flagged {} group(s), flag precision {:.3}, recall {:.3}",
        ms(percentile(&mut runs, 0.5)),
        report.groups.len(),
        report.groups.iter().filter(|g| g.flagged).count(),
        if flagged.is_empty() { 0.0 } else { hits / flagged.len() as f64 },
        hits / big.len() as f64,
    );
}

/// This process's resident memory (Linux; 0 elsewhere).
fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("core: run with `cargo bench -p handoff-core` to measure");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    // HANDOFF_BENCH_ONLY=review measures just the review.
    if std::env::var("HANDOFF_BENCH_ONLY").as_deref() != Ok("review") {
        runtime.block_on(bench());
    }
    let dir = tempfile::tempdir().expect("temp dir");
    review_bench(dir.path());
    semantic_review_bench(dir.path());
}
