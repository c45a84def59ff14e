//! The real `handoff` binary against a real `handoff-service` started in-process on
//! 127.0.0.1:0. Every test has its own temporary directory holding both the service database
//! and the client profile; credentials come from `HANDOFF_SERVER` / `HANDOFF_TOKEN`, so no
//! keychain is involved.
// Test diagnostics, not service data on a user's terminal: crates/cli/clippy.toml's print ban
// is for the binary.
#![allow(clippy::disallowed_macros)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use handoff_protocol::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use handoff_protocol::*;
use handoff_service::store::ImportedConversation;
use handoff_service::{ServiceConfig, ServiceHandle, Store};
use serde_json::{json, Value};

const INTAKE_SECRET: &[u8] = b"cli-test-intake-secret";
/// A single CLI run that takes longer than this is a hang, not a slow machine.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

// --- running the binary -------------------------------------------------------------------

/// What one run of the binary did.
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

impl Out {
    /// Asserts exit 0 and returns self.
    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "expected success: {self:?}");
        self
    }

    /// Asserts the exit code and returns self.
    #[track_caller]
    fn code(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "expected exit {code}: {self:?}");
        self
    }

    /// Asserts a runtime error: exit 1 and an `error:` line on stderr, nothing on stdout.
    #[track_caller]
    fn runtime_error(self) -> Self {
        let out = self.code(1);
        assert!(out.stderr.contains("error:"), "no `error:` on stderr: {out:?}");
        assert!(out.stdout.trim().is_empty(), "a failed command printed to stdout: {out:?}");
        out
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

/// The environment of one profile.
#[derive(Clone)]
struct Profile {
    root: PathBuf,
    server: Option<String>,
    token: Option<String>,
}

impl Profile {
    fn command(&self, args: &[String]) -> Command {
        let mut command = common::handoff_command();
        command
            .args(args)
            .env("HANDOFF_DATA_DIR", self.root.join("data"))
            .env("HOME", &self.root)
            .env("XDG_DATA_HOME", self.root.join("xdg"))
            .env_remove("HANDOFF_LOG")
            .stdin(Stdio::null());
        match &self.server {
            Some(server) => command.env("HANDOFF_SERVER", server),
            None => command.env_remove("HANDOFF_SERVER"),
        };
        match &self.token {
            Some(token) => command.env("HANDOFF_TOKEN", token),
            None => command.env_remove("HANDOFF_TOKEN"),
        };
        command
    }

    /// Runs the binary to its end (killed after `RUN_TIMEOUT`). Blocks.
    fn run_blocking(&self, args: &[String]) -> Out {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the handoff binary starts");
        let stdout = drain(child.stdout.take().expect("stdout"));
        let stderr = drain(child.stderr.take().expect("stderr"));
        let deadline = Instant::now() + RUN_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the binary") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`handoff {}` did not finish within {RUN_TIMEOUT:?}", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Out {
            code: status.code(),
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        }
    }

    /// Runs the binary off the async runtime, so the in-process service keeps serving.
    async fn run(&self, args: &[&str]) -> Out {
        let profile = self.clone();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || profile.run_blocking(&args)).await.expect("the run task")
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8(bytes).expect("the binary writes UTF-8")
    })
}

// --- the service --------------------------------------------------------------------------

fn service_config(db_path: &Path, addr: SocketAddr) -> ServiceConfig {
    let mut config = ServiceConfig::new(db_path.to_path_buf(), addr);
    config.intake_secret = Some(INTAKE_SECRET.to_vec());
    config.wait_notice_after = None;
    config.heartbeat = Duration::from_millis(300);
    config
}

/// A service, its agents Alice and Bob, and Alice's `handoff` profile.
struct Desk {
    dir: tempfile::TempDir,
    service: Option<ServiceHandle>,
    addr: SocketAddr,
    http: reqwest::Client,
    alice: AgentRef,
    alice_token: String,
    bob: AgentRef,
    bob_token: String,
}

impl Desk {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = service_config(&dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
        let service = handoff_service::start(config).await.expect("the service starts");
        let alice = service.store().add_agent("Alice").expect("add Alice");
        let bob = service.store().add_agent("Bob").expect("add Bob");
        Self {
            addr: service.addr(),
            dir,
            service: Some(service),
            http: reqwest::Client::new(),
            alice: alice.agent,
            alice_token: alice.token,
            bob: bob.agent,
            bob_token: bob.token,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    fn store(&self) -> &dyn Store {
        self.service.as_ref().expect("the service is running").store().as_ref()
    }

    /// Alice's profile, signed in through the environment.
    fn alice(&self) -> Profile {
        Profile {
            root: self.dir.path().to_path_buf(),
            server: Some(self.base_url()),
            token: Some(self.alice_token.clone()),
        }
    }

    async fn run(&self, args: &[&str]) -> Out {
        self.alice().run(args).await
    }

    /// Stops the service gracefully; the database stays.
    async fn stop(&mut self) {
        self.service.take().expect("the service is running").shutdown().await;
    }

    /// Starts the service again on the same address and database.
    async fn restart(&mut self) {
        assert!(self.service.is_none(), "stop the service first");
        let config = service_config(&self.dir.path().join("service.sqlite"), self.addr);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match handoff_service::start(config.clone()).await {
                Ok(service) => {
                    assert_eq!(service.addr(), self.addr);
                    self.service = Some(service);
                    return;
                }
                Err(error) if Instant::now() < deadline => {
                    eprintln!("restart on {} not possible yet: {error}", self.addr);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("the service does not start again on {}: {error}", self.addr),
            }
        }
    }

    /// Escalates through the signed intake, as a bot platform does; returns the conversation id.
    async fn escalate(&self, body: &Value) -> i64 {
        let raw = body.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .http
            .post(self.url("/v1/intake/handoffs"))
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                SIGNATURE_HEADER,
                signing::sign_v2(INTAKE_SECRET, timestamp, "POST", "/v1/intake/handoffs", raw.as_bytes()),
            )
            .body(raw)
            .send()
            .await
            .expect("the intake request reaches the service");
        let status = response.status();
        let json: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "escalation refused: {status} {json}");
        json["conversation"]["id"].as_i64().expect("a conversation id")
    }

    /// Imports a conversation escalated `minutes_ago`, ending in `status`.
    fn import(&self, body: &Value, minutes_ago: i64, status: ConversationStatus) -> i64 {
        let handoff: IntakeHandoff = serde_json::from_value(body.clone()).expect("an intake body");
        let conversation = ImportedConversation {
            handoff,
            escalated_at: chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
            claimed: None,
            agent_replies: Vec::new(),
            customer_follow_ups: Vec::new(),
            final_status: status,
        };
        self.store().import_conversation(&conversation).expect("import").id
    }

    /// The conversation's messages as the service has them.
    async fn service_messages(&self, id: i64) -> Vec<Message> {
        let response = self
            .http
            .get(self.url(&format!("/v1/conversations/{id}/messages?limit=1000")))
            .bearer_auth(&self.bob_token)
            .send()
            .await
            .expect("the request reaches the service");
        assert!(response.status().is_success(), "messages of {id}: {}", response.status());
        response.json::<MessagesPage>().await.expect("a messages page").messages
    }
}

/// An intake body; adjust fields with `body["priority"] = json!(…)`.
fn handoff_body(external_id: &str, customer: &str, customer_lines: &[&str]) -> Value {
    let mut transcript = vec![json!({"role": "bot", "text": "Hello! How can I help?"})];
    for line in customer_lines {
        transcript.push(json!({"role": "customer", "text": line}));
    }
    json!({
        "external_id": external_id,
        "channel": "web",
        "customer": {"id": format!("c-{external_id}"), "name": customer, "email": "sam@example.com", "phone": null, "vip": false},
        "reason": "explicit_request",
        "trigger": "customer typed 'human'",
        "priority": "normal",
        "summary": "Asks about switching to annual billing",
        "topic": "annual billing",
        "transcript": transcript
    })
}

fn ids(items: &Value) -> Vec<i64> {
    items.as_array().expect("a JSON array").iter().map(|i| i["id"].as_i64().expect("id")).collect()
}

/// The transcript lines of `show --json` with exactly this text.
fn lines_with_text<'a>(view: &'a Value, text: &str) -> Vec<&'a Value> {
    view["messages"].as_array().expect("messages").iter().filter(|m| m["text"] == text).collect()
}

// --- 1. first sync and the queue ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_fills_the_queue_overdue_first_then_by_priority_and_longest_wait() {
    let desk = Desk::start().await;
    // Created in an order where ids do not match the expected queue order.
    let cleo = desk.import(
        &handoff_body("ext-cleo", "Cleo Normal", &["hi", "Cleo waited 2 minutes"]),
        2,
        ConversationStatus::Waiting,
    );
    let ada = desk.import(
        &handoff_body("ext-ada", "Ada Normal", &["hi", "Ada waited 10 minutes"]),
        10,
        ConversationStatus::Waiting,
    );
    let mut urgent = handoff_body("ext-bea", "Bea Urgent", &["this is unacceptable", "Bea is furious"]);
    urgent["priority"] = json!("urgent");
    urgent["reason"] = json!("sentiment");
    let bea = desk.escalate(&urgent).await;
    let mut vip = handoff_body("ext-dan", "Dan VIP", &["Dan needs the enterprise contract"]);
    vip["priority"] = json!("high");
    vip["reason"] = json!("vip");
    vip["customer"]["vip"] = json!(true);
    let dan = desk.import(&vip, 5, ConversationStatus::Waiting);
    // Neither of these is waiting.
    desk.import(&handoff_body("ext-bot", "Bo Bot", &["thanks bot"]), 30, ConversationStatus::Bot);
    let taken = desk.escalate(&handoff_body("ext-taken", "Tia Taken", &["taken by Bob"])).await;
    desk.store().claim(taken, &desk.bob).expect("Bob claims");

    // Nothing cached before the first sync.
    let before = desk.run(&["queue", "--json"]).await.ok();
    assert_eq!(before.json(), json!([]));
    assert_eq!(desk.run(&["queue"]).await.ok().stdout, "nothing here\n");

    let sync = desk.run(&["sync"]).await.ok();
    let line = sync.stdout.lines().find(|l| l.starts_with("synced: ")).unwrap_or_else(|| panic!("{sync:?}"));
    let changes: usize = line["synced: ".len()..].split(' ').next().unwrap().parse().expect("a change count");
    assert!(changes > 0, "{sync:?}");
    assert!(line.contains(" change(s)"), "{sync:?}");
    assert!(line.contains("4 new escalation(s)"), "the four waiting conversations are announced: {sync:?}");

    let queue = desk.run(&["queue", "--json"]).await.ok().json();
    // Past the 5-minute first-response target first (Dan and Ada, by priority), then urgent,
    // then the longest wait.
    assert_eq!(ids(&queue), vec![dan, ada, bea, cleo], "{queue:#}");
    let expected = [
        (dan, "Dan VIP", "vip", "high", true, "Dan needs the enterprise contract"),
        (ada, "Ada Normal", "explicit_request", "normal", false, "Ada waited 10 minutes"),
        (bea, "Bea Urgent", "sentiment", "urgent", false, "Bea is furious"),
        (cleo, "Cleo Normal", "explicit_request", "normal", false, "Cleo waited 2 minutes"),
    ];
    for (item, (id, name, reason, priority, vip, last)) in queue.as_array().unwrap().iter().zip(expected) {
        assert_eq!(item["id"], id);
        assert_eq!(item["status"], "waiting");
        assert_eq!(item["customer_name"], name);
        assert_eq!(item["reason"], reason);
        assert_eq!(item["priority"], priority);
        assert_eq!(item["vip"], vip);
        assert_eq!(item["last_customer_text"], last);
        assert!(item["escalated_at"].is_string(), "{item}");
        assert!(item["first_response_due_at"].is_string(), "nobody answered yet: {item}");
    }

    let human = desk.run(&["queue"]).await.ok().stdout;
    assert!(human.starts_with(&format!("{:>6}  PRIORITY", "ID")), "{human}");
    let rows: Vec<&str> = human.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{human}");
    for (row, (id, name, reason, priority, vip, last)) in rows.iter().zip(expected) {
        assert!(row.trim_start().starts_with(&id.to_string()), "{row}");
        for part in [name, reason, priority, last] {
            assert!(row.contains(part), "{part:?} missing in {row:?}");
        }
        assert_eq!(row.contains('★'), vip, "{row}");
    }

    assert!(rows[0].contains("[overdue "), "{human}");
    assert!(rows[3].contains("[answer within "), "{human}");

    // A second sync finds nothing new.
    let again = desk.run(&["sync"]).await.ok();
    assert!(again.stdout.starts_with("synced: 0 change(s)"), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_lists_every_conversation_and_limit_says_what_it_left_out() {
    let desk = Desk::start().await;
    // More than the 500 the queue used to stop at.
    const COUNT: i64 = 520;
    for n in 0..COUNT {
        let body = handoff_body(&format!("ext-{n}"), &format!("Customer {n}"), &["hi", "where is my order?"]);
        desk.import(&body, n % 90, ConversationStatus::Waiting);
    }
    desk.run(&["sync"]).await.ok();

    let all = desk.run(&["queue", "--json"]).await.ok();
    let listed = ids(&all.json());
    assert_eq!(listed.len(), COUNT as usize);
    let unique: std::collections::BTreeSet<i64> = listed.iter().copied().collect();
    assert_eq!(unique.len(), COUNT as usize, "every conversation once");
    assert!(all.stderr.is_empty(), "nothing left out, nothing to say: {all:?}");

    let first = desk.run(&["queue", "--json", "--limit", "50"]).await.ok();
    assert_eq!(ids(&first.json()), listed[..50], "the first 50 of the same order");
    assert_eq!(first.stderr, format!("note: showing 50 of {COUNT} conversations (--limit)\n"), "{first:?}");

    let human = desk.run(&["queue", "--limit", "3"]).await.ok().stdout;
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 5, "header, 3 rows, the footer: {human}");
    assert_eq!(lines[4], format!("showing 3 of {COUNT} conversations (--limit)"));
    let everything = desk.run(&["queue"]).await.ok().stdout;
    assert_eq!(everything.lines().count(), COUNT as usize + 1, "the header and every row");
    let none = desk.run(&["queue", "--json", "--limit", "0"]).await.ok();
    assert_eq!(none.json(), json!([]));
    assert!(none.stderr.contains(&format!("showing 0 of {COUNT}")), "{none:?}");
    desk.run(&["queue", "--limit", "-1"]).await.code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snooze_hides_my_conversation_until_it_is_time_and_unsnooze_brings_it_back() {
    let desk = Desk::start().await;
    let mine = desk.escalate(&handoff_body("ext-mine", "Mo Mine", &["my parcel?"])).await;
    let waiting = desk.escalate(&handoff_body("ext-waiting", "Wu Waiting", &["hello?"])).await;
    desk.run(&["sync"]).await.ok();
    desk.run(&["claim", &mine.to_string()]).await.ok();
    let mine_tab = || async { ids(&desk.run(&["queue", "--tab", "mine", "--json"]).await.ok().json()) };
    assert_eq!(mine_tab().await, [mine]);

    let snoozed = desk.run(&["snooze", &mine.to_string(), "--until", "2h"]).await.ok();
    assert!(snoozed.stdout.starts_with(&format!("snoozed conversation {mine} until ")), "{snoozed:?}");
    assert!(mine_tab().await.is_empty());
    let list = desk.run(&["queue", "--tab", "snoozed", "--json"]).await.ok().json();
    assert_eq!(ids(&list), [mine]);
    let until = chrono::DateTime::parse_from_rfc3339(list[0]["snoozed_until"].as_str().expect("snoozed_until"))
        .expect("a time")
        .to_utc();
    let expected = chrono::Utc::now() + chrono::Duration::hours(2);
    assert!((until - expected).num_seconds().abs() < 60, "{until} vs {expected}");
    let human = desk.run(&["queue", "--tab", "snoozed"]).await.ok().stdout;
    assert!(human.contains("[snoozed until "), "{human}");

    // Refused: a conversation that is not mine, a time in the past, a time nobody can read.
    let not_mine = desk.run(&["snooze", &waiting.to_string(), "--until", "30m"]).await.runtime_error();
    assert!(not_mine.stderr.contains("not assigned to you"), "{not_mine:?}");
    let past = desk.run(&["snooze", &mine.to_string(), "--until", "2020-01-01T09:00:00Z"]).await.runtime_error();
    assert!(past.stderr.contains("in the past"), "{past:?}");
    let unreadable = desk.run(&["snooze", &mine.to_string(), "--until", "soonish"]).await.code(2);
    assert!(unreadable.stderr.contains("tomorrow 09:00"), "{unreadable:?}");

    let back = desk.run(&["unsnooze", &mine.to_string()]).await.ok();
    assert_eq!(back.stdout, format!("conversation {mine} is back in `handoff queue --tab mine`\n"));
    assert_eq!(mine_tab().await, [mine]);
    let again = desk.run(&["unsnooze", &mine.to_string()]).await.ok();
    assert_eq!(again.stdout, format!("conversation {mine} was not snoozed\n"));
}

// --- 2. untrusted text ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_keeps_untrusted_text_exact_in_json_and_escapes_it_for_humans() {
    let desk = Desk::start().await;
    let nasty = "<script>alert('x')</script><b>bold</b> &amp; \u{0}nul 😀 emoji \u{1b}[31mred\u{1b}[0m \"quoted\" \\ \u{7}bell\nsecond line";
    let id = desk.escalate(&handoff_body("ext-nasty", "Zoë Ünicode", &["hello", nasty])).await;
    desk.run(&["sync"]).await.ok();

    let show = desk.run(&["show", &id.to_string(), "--json"]).await.ok();
    assert!(!show.stdout.contains('\u{1b}') && !show.stdout.contains('\u{0}'), "JSON escapes control characters");
    let view = show.json();
    assert_eq!(view.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["conversation", "messages"]);
    assert_eq!(view["conversation"]["id"], id);
    assert_eq!(view["conversation"]["status"], "waiting");
    assert_eq!(view["conversation"]["customer"]["name"], "Zoë Ünicode");
    let messages = view["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{view:#}");
    for (index, message) in messages.iter().enumerate() {
        for key in ["seq", "role", "author", "text", "private", "created_at", "state"] {
            assert!(message.get(key).is_some(), "{key} missing in {message}");
        }
        assert_eq!(message["seq"], index as i64 + 1);
        assert_eq!(message["state"], "sent");
        assert_eq!(message["private"], false);
    }
    assert_eq!(messages[0]["role"], "bot");
    assert_eq!(messages[1]["text"], "hello");
    let line = &messages[2];
    assert_eq!(line["role"], "customer");
    assert_eq!(line["author"], "Zoë Ünicode");
    assert_eq!(line["text"].as_str().unwrap(), nasty, "the text survives byte for byte");
    assert_eq!(line["text"].as_str().unwrap().as_bytes(), nasty.as_bytes());

    let human = desk.run(&["show", &id.to_string()]).await.ok().stdout;
    for raw in ['\u{1b}', '\u{0}', '\u{7}'] {
        assert!(!human.contains(raw), "a raw {raw:?} reached the terminal: {human:?}");
    }
    assert!(human.contains("\\u{1b}[31mred\\u{1b}[0m"), "{human}");
    assert!(human.contains("\\u{0}nul") && human.contains("\\u{7}bell"), "{human}");
    assert!(human.contains("<script>alert('x')</script><b>bold</b> &amp;"), "{human}");
    assert!(human.contains("😀 emoji") && human.contains("\"quoted\" \\ "), "{human}");
    assert!(human.contains("\n     second line"), "continuation lines are indented: {human}");
    assert!(human.starts_with(&format!("#{id} Zoë Ünicode — waiting via web")), "{human}");

    // The queue's one-line preview is escaped too.
    let clear = "\u{1b}[2J\u{1b}[Hyour screen is gone";
    let other = desk.escalate(&handoff_body("ext-clear", "Cy Clear", &[clear])).await;
    desk.run(&["sync"]).await.ok();
    let queue = desk.run(&["queue"]).await.ok().stdout;
    assert!(!queue.contains('\u{1b}') && !queue.contains('\u{0}'), "{queue:?}");
    assert!(queue.contains("\\u{1b}[2J\\u{1b}[Hyour screen is gone"), "{queue}");
    let queue = desk.run(&["queue", "--json"]).await.ok().json();
    assert_eq!(ids(&queue), vec![id, other]);
    assert_eq!(queue[0]["last_customer_text"].as_str().unwrap(), nasty);
    assert_eq!(queue[1]["last_customer_text"].as_str().unwrap(), clear);
}

// --- 3. claim, reply, note ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_reply_and_note_reach_the_service_exactly_once() {
    let desk = Desk::start().await;
    let id = desk.escalate(&handoff_body("ext-1", "Sam Customer", &["Can I switch to annual billing?"])).await;
    let sid = id.to_string();
    desk.run(&["sync"]).await.ok();

    let claim = desk.run(&["claim", &sid]).await.ok();
    assert_eq!(claim.stdout.trim(), format!("claimed conversation {id} (Sam Customer)"));
    let conversation = desk.store().conversation(id).unwrap();
    assert_eq!(conversation.status, ConversationStatus::Assigned);
    assert_eq!(conversation.assignee.as_ref().map(|a| a.id), Some(desk.alice.id));
    let mine = desk.run(&["queue", "--tab", "mine", "--json"]).await.ok().json();
    assert_eq!(ids(&mine), vec![id]);

    let reply = "Happy to help — annual billing is under Settings → Plan ✓";
    assert_eq!(desk.run(&["reply", &sid, reply]).await.ok().stdout, "sent\n");
    let note = "customer seems ready to upgrade";
    assert_eq!(desk.run(&["note", &sid, note]).await.ok().stdout, "sent\n");

    let on_service = desk.service_messages(id).await;
    let replies: Vec<&Message> = on_service.iter().filter(|m| m.text == reply).collect();
    assert_eq!(replies.len(), 1, "{on_service:#?}");
    assert_eq!((replies[0].role, replies[0].author.as_str(), replies[0].private), (Role::Agent, "Alice", false));
    let notes: Vec<&Message> = on_service.iter().filter(|m| m.text == note).collect();
    assert_eq!(notes.len(), 1, "{on_service:#?}");
    assert!(notes[0].private, "a note is private");

    // A later sync brings both back through the feed without duplicating them.
    desk.run(&["sync"]).await.ok();
    let view = desk.run(&["show", &sid, "--json"]).await.ok().json();
    let reply_lines = lines_with_text(&view, reply);
    assert_eq!(reply_lines.len(), 1, "{view:#}");
    assert_eq!(reply_lines[0]["state"], "sent");
    assert_eq!(reply_lines[0]["private"], false);
    assert_eq!(reply_lines[0]["seq"], replies[0].seq);
    assert_eq!(reply_lines[0]["client_id"].as_str(), replies[0].client_id.as_deref());
    let note_lines = lines_with_text(&view, note);
    assert_eq!(note_lines.len(), 1, "{view:#}");
    assert_eq!(note_lines[0]["private"], true);
    assert_eq!(note_lines[0]["state"], "sent");
    assert_eq!(desk.run(&["outbox", "--json"]).await.ok().json(), json!([]));
    assert_eq!(desk.service_messages(id).await.iter().filter(|m| m.text == reply).count(), 1);

    let human = desk.run(&["show", &sid]).await.ok().stdout;
    assert!(human.contains("Alice (agent) [note]:\n     customer seems ready to upgrade"), "{human}");
    assert!(human.contains("  assignee: Alice"), "{human}");
}

// --- 4. offline -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_reply_waits_in_the_outbox_and_is_delivered_once_after_restart() {
    let mut desk = Desk::start().await;
    let id = desk.escalate(&handoff_body("ext-1", "Olga Offline", &["are you there?"])).await;
    let other = desk.escalate(&handoff_body("ext-2", "Otto Other", &["me too"])).await;
    let (sid, sother) = (id.to_string(), other.to_string());
    desk.run(&["sync"]).await.ok();
    desk.run(&["claim", &sid]).await.ok();

    desk.stop().await;
    let text = "Sorry for the wait — I'm on it (sent while offline)";
    let reply = desk.run(&["reply", &sid, text]).await.ok();
    assert_eq!(reply.stdout, "queued: will be sent when online\n", "{reply:?}");

    let view = desk.run(&["show", &sid, "--json"]).await.ok().json();
    let pending = lines_with_text(&view, text);
    assert_eq!(pending.len(), 1, "{view:#}");
    assert_eq!(pending[0]["state"], "pending");
    assert_eq!(pending[0]["seq"], Value::Null);
    assert_eq!(pending[0]["role"], "agent");
    assert!(desk.run(&["show", &sid]).await.ok().stdout.contains("[pending]"));

    let outbox = desk.run(&["outbox", "--json"]).await.ok().json();
    let items = outbox.as_array().unwrap();
    assert_eq!(items.len(), 1, "{outbox:#}");
    assert_eq!(items[0]["conversation_id"], id);
    assert_eq!(items[0]["text"], text);
    assert_eq!(items[0]["state"], "pending");
    assert_eq!(items[0]["private"], false);
    let client_id = items[0]["client_id"].as_str().unwrap().to_string();
    assert!(pending[0]["client_id"] == client_id.as_str(), "{view:#}");
    assert!(desk.run(&["outbox"]).await.ok().stdout.contains(&client_id));

    // Commands the service must decide fail fast, and say why.
    let started = Instant::now();
    let claim = desk.run(&["claim", &sother]).await.runtime_error();
    assert!(claim.stderr.contains("cannot be reached"), "{claim:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "claiming offline took {:?}", started.elapsed());
    let sync = desk.run(&["sync"]).await.runtime_error();
    assert!(sync.stderr.contains("cannot be reached"), "{sync:?}");
    assert_eq!(desk.run(&["outbox", "--json"]).await.ok().json().as_array().unwrap().len(), 1);

    desk.restart().await;
    let sync = desk.run(&["sync"]).await.ok();
    assert!(sync.stdout.contains("outbox: 1 sent, 0 failed"), "{sync:?}");

    let on_service = desk.service_messages(id).await;
    let delivered: Vec<&Message> = on_service.iter().filter(|m| m.text == text).collect();
    assert_eq!(delivered.len(), 1, "{on_service:#?}");
    assert_eq!(delivered[0].client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!(delivered[0].author, "Alice");

    let view = desk.run(&["show", &sid, "--json"]).await.ok().json();
    let sent = lines_with_text(&view, text);
    assert_eq!(sent.len(), 1, "{view:#}");
    assert_eq!(sent[0]["state"], "sent");
    assert_eq!(sent[0]["seq"], delivered[0].seq);
    assert_eq!(desk.run(&["outbox", "--json"]).await.ok().json(), json!([]));

    // Syncing again delivers nothing twice.
    let again = desk.run(&["sync"]).await.ok();
    assert!(!again.stdout.contains("outbox:"), "{again:?}");
    assert_eq!(desk.service_messages(id).await.iter().filter(|m| m.text == text).count(), 1);
    // And the other conversation can be claimed now.
    desk.run(&["claim", &sother]).await.ok();
}

// --- 5. refused replies ---------------------------------------------------------------------

/// The client id in "failed: … — kept in the outbox as ID (retry or discard …)".
fn failed_client_id(out: &Out) -> String {
    let rest = out.stdout.split("kept in the outbox as ").nth(1).unwrap_or_else(|| panic!("{out:?}"));
    rest.split_whitespace().next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_reply_fails_with_the_reason_and_can_be_discarded_or_retried() {
    let desk = Desk::start().await;
    let id = desk.escalate(&handoff_body("ext-1", "Rita Refused", &["hello?"])).await;
    let sid = id.to_string();
    desk.store().claim(id, &desk.bob).expect("Bob claims first");
    desk.run(&["sync"]).await.ok();

    let text = "Alice answering Bob's customer";
    let reply = desk.run(&["reply", &sid, text]).await.ok();
    assert!(reply.stdout.starts_with("failed: "), "{reply:?}");
    assert!(reply.stdout.contains("only the assignee can reply"), "{reply:?}");
    let client_id = failed_client_id(&reply);

    let outbox = desk.run(&["outbox", "--json"]).await.ok().json();
    let items = outbox.as_array().unwrap();
    assert_eq!(items.len(), 1, "{outbox:#}");
    assert_eq!(items[0]["client_id"], client_id.as_str());
    assert_eq!(items[0]["state"], "failed");
    assert_eq!(items[0]["text"], text);
    let error = items[0]["error"].as_str().expect("the service's reason");
    assert!(error.contains("only the assignee can reply"), "{error}");
    assert!(error.contains("assigned to another agent"), "{error}");
    let view = desk.run(&["show", &sid, "--json"]).await.ok().json();
    let failed = lines_with_text(&view, text);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["state"], "failed");
    assert_eq!(failed[0]["error"], error);
    assert!(desk.service_messages(id).await.iter().all(|m| m.text != text));

    let discard = desk.run(&["outbox", "discard", &client_id]).await.ok();
    assert_eq!(discard.stdout, format!("discarded {client_id}\n"));
    assert_eq!(desk.run(&["outbox", "--json"]).await.ok().json(), json!([]));
    assert!(lines_with_text(&desk.run(&["show", &sid, "--json"]).await.ok().json(), text).is_empty());

    let unknown = desk.run(&["outbox", "retry", "no-such-client-id"]).await.runtime_error();
    assert!(unknown.stderr.contains("does not exist"), "{unknown:?}");
    desk.run(&["outbox", "discard", &client_id]).await.runtime_error();

    // Refused again; once Alice owns the conversation, a retry goes through, once.
    let second = "Alice, now the assignee";
    let client_id = failed_client_id(&desk.run(&["reply", &sid, second]).await.ok());
    desk.store().release(id, &desk.bob).expect("Bob releases");
    desk.run(&["claim", &sid]).await.ok();
    // A new reply is reported on its own, not by the older failed one beside it.
    let fresh = "A fresh reply while an older one is still failed";
    let out = desk.run(&["reply", &sid, fresh]).await.ok();
    assert_eq!(out.stdout, "sent\n", "{out:?}");
    assert_eq!(desk.service_messages(id).await.iter().filter(|m| m.text == fresh).count(), 1);
    let outbox = desk.run(&["outbox", "--json"]).await.ok().json();
    assert_eq!(outbox.as_array().unwrap().len(), 1, "{outbox:#}");
    assert_eq!(outbox[0]["client_id"], client_id.as_str());
    assert_eq!(outbox[0]["state"], "failed");
    let retry = desk.run(&["outbox", "retry", &client_id]).await.ok();
    assert_eq!(retry.stdout, "sent\n", "{retry:?}");
    assert_eq!(desk.service_messages(id).await.iter().filter(|m| m.text == second).count(), 1);
    assert_eq!(desk.run(&["outbox", "--json"]).await.ok().json(), json!([]));
}

// --- 6. search ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_cached_messages_with_highlights_ignoring_diacritics() {
    let desk = Desk::start().await;
    let billing = desk.escalate(&handoff_body("ext-1", "Sam Billing", &["Can I switch to annual billing?"])).await;
    let dessert =
        desk.escalate(&handoff_body("ext-2", "Chloé Dessert", &["Le dessert était une crème brûlée parfaite"])).await;
    desk.run(&["sync"]).await.ok();

    let hits = desk.run(&["search", "annual billing", "--json"]).await.ok().json();
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["conversation_id"] == billing && h["role"] == "customer")
        .unwrap_or_else(|| panic!("no hit in conversation {billing}: {hits:#}"));
    assert_eq!(hit["customer_name"], "Sam Billing");
    assert!(hit["seq"].as_i64().unwrap() >= 1);
    let parts = hit["snippet"].as_array().unwrap();
    let highlighted: Vec<String> =
        parts.iter().filter(|p| p["highlight"] == true).map(|p| p["text"].as_str().unwrap().to_lowercase()).collect();
    assert!(highlighted.contains(&"annual".to_string()), "{parts:?}");
    assert!(highlighted.contains(&"billing".to_string()), "{parts:?}");
    assert!(parts.iter().any(|p| p["highlight"] == false), "{parts:?}");
    let whole: String = parts.iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert!(whole.contains("switch to annual billing"), "{whole}");

    let hits = desk.run(&["search", "creme brulee", "--json"]).await.ok().json();
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0]["conversation_id"], dessert);
    let highlighted: Vec<&str> = hits[0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["highlight"] == true)
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(highlighted, vec!["crème", "brûlée"]);

    let human = desk.run(&["search", "creme brulee"]).await.ok().stdout;
    assert!(human.starts_with(&format!("#{dessert}:")), "{human}");
    assert!(human.contains("Chloé Dessert") && human.contains("[crème] [brûlée]"), "{human}");
    assert_eq!(desk.run(&["search", "zanzibar"]).await.ok().stdout, "no matches\n");
    assert_eq!(desk.run(&["search", "zanzibar", "--json"]).await.ok().json(), json!([]));
}

// --- 7. resolve and release -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_back_to_bot_and_release_change_the_status() {
    let desk = Desk::start().await;
    let solved = desk.escalate(&handoff_body("ext-1", "Sol Solved", &["fix it"])).await;
    let bot = desk.escalate(&handoff_body("ext-2", "Bob Bot", &["never mind"])).await;
    let released = desk.escalate(&handoff_body("ext-3", "Rae Released", &["anyone?"])).await;
    desk.run(&["sync"]).await.ok();
    let status_of = |view: &Value| view["conversation"]["status"].as_str().unwrap().to_string();

    let s = solved.to_string();
    desk.run(&["claim", &s]).await.ok();
    let out = desk.run(&["resolve", &s]).await.ok();
    assert_eq!(out.stdout, format!("conversation {solved} is now resolved\n"));
    assert_eq!(status_of(&desk.run(&["show", &s, "--json"]).await.ok().json()), "resolved");
    assert_eq!(desk.store().conversation(solved).unwrap().status, ConversationStatus::Resolved);

    let b = bot.to_string();
    desk.run(&["claim", &b]).await.ok();
    let out = desk.run(&["resolve", &b, "--back-to-bot"]).await.ok();
    assert_eq!(out.stdout, format!("conversation {bot} is now bot\n"));
    let view = desk.run(&["show", &b, "--json"]).await.ok().json();
    assert_eq!(status_of(&view), "bot");
    assert_eq!(view["conversation"]["assignee"], Value::Null);
    assert_eq!(desk.store().conversation(bot).unwrap().status, ConversationStatus::Bot);

    let r = released.to_string();
    desk.run(&["claim", &r]).await.ok();
    let view = desk.run(&["show", &r, "--json"]).await.ok().json();
    assert_eq!(status_of(&view), "assigned");
    assert_eq!(view["conversation"]["assignee"]["name"], "Alice");
    assert!(ids(&desk.run(&["queue", "--json"]).await.ok().json()).is_empty());
    let out = desk.run(&["release", &r]).await.ok();
    assert_eq!(out.stdout, format!("released conversation {released}; it is waiting again\n"));
    let view = desk.run(&["show", &r, "--json"]).await.ok().json();
    assert_eq!(status_of(&view), "waiting");
    assert_eq!(view["conversation"]["assignee"], Value::Null);
    assert_eq!(desk.store().conversation(released).unwrap().status, ConversationStatus::Waiting);
    assert_eq!(ids(&desk.run(&["queue", "--json"]).await.ok().json()), vec![released]);
    assert!(ids(&desk.run(&["queue", "--tab", "mine", "--json"]).await.ok().json()).is_empty());
    let mut recent = ids(&desk.run(&["queue", "--tab", "recent", "--json"]).await.ok().json());
    recent.sort();
    assert_eq!(recent, vec![solved, bot]);

    // Agents reach the cache through the feed: transferring by name works after a sync.
    desk.run(&["claim", &r]).await.ok();
    let out = desk.run(&["transfer", &r, "Bob"]).await.ok();
    assert_eq!(out.stdout, format!("conversation {released} transferred to Bob\n"));
    assert_eq!(desk.store().conversation(released).unwrap().assignee.map(|a| a.id), Some(desk.bob.id));
    let unknown = desk.run(&["transfer", &r, "Nobody"]).await.runtime_error();
    assert!(unknown.stderr.contains("no agent named \"Nobody\""), "{unknown:?}");

    // Resolving what is no longer ours is refused by the service.
    let refused = desk.run(&["resolve", &s]).await.runtime_error();
    assert!(refused.stderr.contains("the service refused"), "{refused:?}");
}

// --- 8. exit codes --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_and_runtime_errors_exit_1() {
    let desk = Desk::start().await;
    for args in [
        &["frobnicate"][..],
        &["show"],
        &["show", "abc"],
        &["reply", "12"],
        &["claim", "1.5"],
        &["queue", "--tab", "everything"],
        &["sync", "--json"],
        &["purge"],
    ] {
        let out = desk.run(args).await.code(2);
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
        assert!(out.stderr.starts_with("error: "), "{args:?}: {out:?}");
        assert!(out.stderr.contains("Usage: ") || out.stderr.contains("try '--help'"), "{args:?}: {out:?}");
    }
    assert!(desk.run(&["--help"]).await.ok().stdout.contains("sync"));

    desk.run(&["sync"]).await.ok();
    let missing = desk.run(&["show", "999999"]).await.runtime_error();
    assert!(missing.stderr.contains("999999") && missing.stderr.contains("not in the local cache"), "{missing:?}");
    let missing = desk.run(&["reply", "999999", "hello"]).await.runtime_error();
    assert!(missing.stderr.contains("not in the local cache"), "{missing:?}");

    let mut bad = desk.alice();
    bad.token = Some("hd_not-a-real-token".into());
    let out = bad.run(&["sync"]).await.runtime_error();
    assert!(out.stderr.contains("token"), "{out:?}");
    assert!(!out.stderr.contains("hd_not-a-real-token"), "the token is not echoed: {out:?}");

    let mut bad = desk.alice();
    bad.server = Some("ftp://example.invalid".into());
    let out = bad.run(&["sync"]).await.runtime_error();
    assert!(out.stderr.contains("http://"), "{out:?}");
}

// --- 9. sync --follow --json ----------------------------------------------------------------

/// A running `handoff sync --follow --json`, killed on drop.
struct Follower {
    child: Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Follower {
    fn start(profile: &Profile) -> Self {
        let mut child = profile
            .command(&["sync".into(), "--follow".into(), "--json".into()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the follower starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines, seen: Vec::new() }
    }

    /// Reads JSON lines until one satisfies `wanted`, up to `deadline`.
    async fn until(&mut self, deadline: tokio::time::Instant, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("the follower ended; it printed:\n{}", self.seen.join("\n")),
                Err(_) => panic!("deadline passed; the follower printed:\n{}", self.seen.join("\n")),
            };
            self.seen.push(line.clone());
            let event: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
            assert!(event["type"].is_string(), "an event without a type: {line}");
            if wanted(&event) {
                return event;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_follow_json_prints_a_new_escalation_as_it_happens() {
    let desk = Desk::start().await;
    desk.escalate(&handoff_body("ext-old", "Olaf Old", &["already waiting"])).await;
    let mut follower = Follower::start(&desk.alice());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    follower
        .until(deadline, |e| e["type"] == "connection_changed" && e["status"]["connection"]["state"] == "online")
        .await;

    let body = handoff_body("ext-live", "Liv Live", &["I need a human \u{1b}[1mnow\u{1b}[0m"]);
    let id = desk.escalate(&body).await;
    let event = follower.until(deadline, |e| e["type"] == "new_escalation" && e["conversation"]["id"] == id).await;
    assert_eq!(event["conversation"]["customer"]["name"], "Liv Live");
    assert_eq!(event["conversation"]["status"], "waiting");
    assert_eq!(event["last_customer_text"], "I need a human \u{1b}[1mnow\u{1b}[0m");
    assert!(follower.seen.iter().all(|l| !l.contains('\u{1b}')), "JSON lines escape control characters");
    drop(follower);

    // The follower kept the cache up to date.
    let queue = desk.run(&["queue", "--json"]).await.ok().json();
    assert!(ids(&queue).contains(&id), "{queue:#}");
}

// --- 10. purge ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_removes_resolved_conversations_and_keeps_waiting_ones() {
    let desk = Desk::start().await;
    let resolved = desk.escalate(&handoff_body("ext-1", "Pia Purged", &["zebra crossing question"])).await;
    let imported =
        desk.import(&handoff_body("ext-2", "Ivo Imported", &["giraffe question"]), 60, ConversationStatus::Resolved);
    let waiting = desk.escalate(&handoff_body("ext-3", "Walt Waiting", &["zebra waiting question"])).await;
    desk.run(&["sync"]).await.ok();
    let r = resolved.to_string();
    desk.run(&["claim", &r]).await.ok();
    desk.run(&["resolve", &r]).await.ok();
    assert_eq!(desk.run(&["search", "zebra", "--json"]).await.ok().json().as_array().unwrap().len(), 2);

    // Nothing is a day old yet.
    let out = desk.run(&["purge", "--older-than", "1"]).await.ok();
    assert_eq!(out.stdout, "purged 0 resolved conversation(s) older than 1 days\n");
    desk.run(&["show", &r]).await.ok();

    let out = desk.run(&["purge", "--older-than", "0"]).await.ok();
    assert_eq!(out.stdout, "purged 2 resolved conversation(s) older than 0 days\n");
    for gone in [resolved, imported] {
        let out = desk.run(&["show", &gone.to_string()]).await.runtime_error();
        assert!(out.stderr.contains("not in the local cache"), "{out:?}");
    }
    let kept = desk.run(&["show", &waiting.to_string(), "--json"]).await.ok().json();
    assert_eq!(kept["conversation"]["status"], "waiting");
    assert_eq!(ids(&desk.run(&["queue", "--json"]).await.ok().json()), vec![waiting]);
    // Their messages left the search index too.
    let hits = desk.run(&["search", "zebra", "--json"]).await.ok().json();
    let hit_ids: Vec<i64> = hits.as_array().unwrap().iter().map(|h| h["conversation_id"].as_i64().unwrap()).collect();
    assert_eq!(hit_ids, vec![waiting]);
    assert_eq!(desk.run(&["search", "giraffe", "--json"]).await.ok().json(), json!([]));
    assert!(desk.run(&["queue", "--tab", "recent", "--json"]).await.ok().json().as_array().unwrap().is_empty());

    // A purged conversation escalated again comes back whole on the next sync.
    let again = desk.escalate(&handoff_body("ext-1", "Pia Purged", &["zebra crossing question", "back again"])).await;
    assert_eq!(again, resolved);
    desk.run(&["sync"]).await.ok();
    let view = desk.run(&["show", &r, "--json"]).await.ok().json();
    assert_eq!(view["conversation"]["status"], "waiting");
    let service = desk.service_messages(resolved).await;
    let seqs: Vec<i64> = view["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, service.iter().map(|m| m.seq).collect::<Vec<_>>(), "{view:#}");
    assert_eq!(view["messages"].as_array().unwrap().last().unwrap()["text"], "back again");
}

// --- 11. not signed in ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_without_credentials_tells_how_to_sign_in() {
    let desk = Desk::start().await;
    let mut nobody = desk.alice();
    nobody.server = None;
    nobody.token = None;
    let out = nobody.run(&["sync"]).await.runtime_error();
    assert!(out.stderr.contains("handoff login") && out.stderr.contains("HANDOFF_TOKEN"), "{out:?}");
    let out = nobody.run(&["sync", "--follow"]).await.runtime_error();
    assert!(out.stderr.contains("handoff login") || out.stderr.contains("HANDOFF_TOKEN"), "{out:?}");
    // Reading the (empty) cache needs no sign-in.
    assert_eq!(nobody.run(&["queue", "--json"]).await.ok().json(), json!([]));
    let status = nobody.run(&["status"]).await.ok();
    assert!(status.stdout.contains("(not signed in)"), "{status:?}");
}

// --- 12. terminal output --------------------------------------------------------------------

/// Clears the screen, homes the cursor, overwrites the line, forges a line of output, rings the
/// bell, and opens a C1 control sequence (CSI) that some terminals obey without an ESC.
const NASTY: &str = "N\u{1b}[2J\u{1b}[H\rover\nforged: line\u{7}\u{9b}31m\u{7f}";

/// No control character but line breaks (and the `\r` of a CSV `\r\n`) reached the terminal, and
/// no line was forged (except in CSV, where a quoted field may hold a line break).
#[track_caller]
fn assert_terminal_safe(what: &str, out: &Out) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let crlf = c == '\r' && chars.peek() == Some(&'\n');
            assert!(!c.is_control() || c == '\n' || crlf, "{what}: a raw {c:?} reached {stream}: {out:?}");
        }
        let csv = what.ends_with("--csv");
        assert!(
            csv || !text.lines().any(|l| l.starts_with("forged")),
            "{what}: a line was forged on {stream}: {out:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_escapes_what_the_service_sent() {
    let desk = Desk::start().await;
    // The signed-in agent, a transfer target and a rival all have names the service accepts.
    let nasty_me = desk.store().add_agent(&format!("Me {NASTY}")).expect("add an agent");
    let nasty_other = desk.store().add_agent(&format!("Other {NASTY}")).expect("add an agent");
    let me = Profile { token: Some(nasty_me.token.clone()), ..desk.alice() };

    let mut body = handoff_body("ext-nasty", &format!("Customer {NASTY}"), &[&format!("zebra {NASTY}")]);
    body["channel"] = json!(format!("web {NASTY}"));
    body["trigger"] = json!(format!("trigger {NASTY}"));
    body["summary"] = json!(format!("summary {NASTY}"));
    body["topic"] = json!(format!("topic {NASTY}"));
    body["customer"]["email"] = json!(format!("sam{NASTY}@example.com"));
    body["customer"]["phone"] = json!(format!("+1 {NASTY}"));
    let id = desk.escalate(&body).await;
    let taken = desk.escalate(&handoff_body("ext-taken", &format!("Taken {NASTY}"), &["zebra again"])).await;
    desk.store().claim(taken, &nasty_other.agent).expect("the rival claims");
    let (sid, staken, other_id) = (id.to_string(), taken.to_string(), nasty_other.agent.id.to_string());

    let mut runs = Vec::new();
    for args in [
        &["sync"][..],
        &["queue"],
        &["queue", "--json"],
        &["queue", "--tab", "mine"],
        &["show", &sid],
        &["show", &sid, "--json"],
        &["show", &staken],
        &["search", "zebra"],
        &["search", "zebra", "--json"],
        &["claim", &sid],
        &["reply", &sid, "hello"],
        &["presence", "away"],
        &["transfer", &sid, &other_id],
        &["status"],
        &["outbox"],
        &["review"],
        &["review", "--csv"],
        &["review", "--json"],
    ] {
        runs.push((args.join(" "), me.run(args).await.ok()));
    }
    // The service's refusal names the rival who holds the conversation.
    let refused = me.run(&["claim", &staken]).await.runtime_error();
    assert!(refused.stderr.contains("Other N\\u{1b}[2J"), "{refused:?}");
    runs.push(("claim (lost)".into(), refused));
    // An error quoting what the user typed back is escaped as well.
    let unknown = me.run(&["transfer", &sid, &format!("Nobody {NASTY}")]).await.runtime_error();
    runs.push(("transfer (unknown agent)".into(), unknown));
    for (what, out) in &runs {
        assert_terminal_safe(what, out);
    }

    // Escaped, not dropped: the text is still there to read.
    let find = |what: &str| &runs.iter().find(|(w, _)| w == what).expect("ran").1;
    let claim = find(&format!("claim {id}"));
    assert_eq!(
        claim.stdout,
        format!("claimed conversation {id} (Customer N\\u{{1b}}[2J\\u{{1b}}[H\\rover\\nforged: line\\u{{7}}\\u{{9b}}31m\\u{{7f}})\n")
    );
    let show = &find(&format!("show {id}")).stdout;
    for part in ["via web N\\u{1b}[2J", "trigger N\\u{1b}", "summary N\\u{1b}", "email: samN\\u{1b}"] {
        assert!(show.contains(part), "{part:?} missing: {show}");
    }
    assert!(show.contains("zebra N\\u{1b}[2J\\u{1b}[H\\rover\n     forged: line"), "message lines stay lines: {show}");
    assert!(find(&format!("show {taken}")).stdout.contains("  assignee: Other N\\u{1b}[2J"));
    let json = find(&format!("show {id} --json")).json();
    assert_eq!(json["conversation"]["customer"]["name"], format!("Customer {NASTY}"), "JSON keeps the text exact");
    assert!(find("presence away").stdout.starts_with("Me N\\u{1b}[2J"), "{:?}", find("presence away"));
    assert!(find(&format!("transfer {id} {other_id}")).stdout.contains("transferred to Other N\\u{1b}"));
    assert!(find("status").stdout.contains("agent:       Me N\\u{1b}"), "{:?}", find("status"));
}

// --- collaboration: tags and transfer notes --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_tag_untag_and_the_queue_filter_work_from_the_terminal() {
    let desk = Desk::start().await;
    desk.store().add_tag("billing", Some("#2f80ed")).unwrap();
    desk.store().add_tag("refund", None).unwrap();
    let id = desk.escalate(&handoff_body("ext-tag-1", "Sam Customer", &["Can I switch to annual billing?"])).await;
    let other = desk.escalate(&handoff_body("ext-tag-2", "Kim Customer", &["Where is my refund?"])).await;
    let sid = id.to_string();

    let empty = desk.run(&["tags"]).await.ok();
    assert!(empty.stdout.contains("no tags"), "nothing before a sync: {empty:?}");
    desk.run(&["sync"]).await.ok();
    let catalogue = desk.run(&["tags"]).await.ok().stdout;
    assert!(catalogue.lines().any(|l| l.starts_with("billing") && l.ends_with("#2f80ed")), "{catalogue}");
    assert_eq!(
        desk.run(&["tags", "--json"]).await.ok().json(),
        json!([{"name": "billing", "color": "#2f80ed"}, {"name": "refund", "color": null}])
    );

    let tagged = desk.run(&["tag", &sid, "refund", "billing"]).await.ok();
    assert_eq!(tagged.stdout.trim(), format!("conversation {id} tags: billing, refund"));
    let untagged = desk.run(&["untag", &sid, "refund"]).await.ok();
    assert_eq!(untagged.stdout.trim(), format!("conversation {id} tags: billing"));
    assert_eq!(desk.store().conversation(id).unwrap().tags, ["billing"]);
    let refused = desk.run(&["tag", &sid, "vip"]).await.runtime_error();
    assert!(refused.stderr.contains("unknown_tag") && refused.stderr.contains("\"vip\""), "{refused:?}");
    desk.run(&["tag", &sid]).await.code(2);

    desk.run(&["sync"]).await.ok();
    let billing = desk.run(&["queue", "--tag", "billing", "--json"]).await.ok().json();
    assert_eq!(ids(&billing), vec![id]);
    assert_eq!(billing[0]["tags"], json!(["billing"]));
    let all = desk.run(&["queue", "--json"]).await.ok().json();
    assert_eq!(ids(&all).len(), 2);
    assert!(ids(&all).contains(&other));
    let human = desk.run(&["queue", "--tag", "billing"]).await.ok().stdout;
    assert!(human.contains("tags: billing"), "{human}");
    assert!(desk.run(&["show", &sid]).await.ok().stdout.contains("  tags: billing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_with_a_note_leaves_it_in_the_transcript() {
    let desk = Desk::start().await;
    let id = desk.escalate(&handoff_body("ext-transfer", "Sam Customer", &["I need a callback"])).await;
    let sid = id.to_string();
    desk.run(&["sync"]).await.ok();
    desk.run(&["claim", &sid]).await.ok();
    let out = desk.run(&["transfer", &sid, "Bob", "--note", "wants a callback in German"]).await.ok();
    assert_eq!(out.stdout.trim(), format!("conversation {id} transferred to Bob"));
    let last = desk.service_messages(id).await.pop().expect("a line");
    assert_eq!((last.role, last.private), (Role::System, true));
    assert_eq!(last.text, "Alice → Bob: wants a callback in German");
    desk.run(&["sync"]).await.ok();
    let shown = desk.run(&["show", &sid]).await.ok().stdout;
    assert!(shown.contains("Alice → Bob: wants a callback in German"), "{shown}");
}
