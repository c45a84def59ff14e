//! End to end: the real `handoff-desk` under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, against a real `handoff-service`, with a real notification daemon (dunst)
//! on a private D-Bus session. `scripts/test-session.sh` sets all of that up and exports
//! HANDOFF_TEST_DESKTOP=1; elsewhere these tests say they were skipped.
//!
//! With HANDOFF_SCREENSHOTS=<dir>, the screenshots for the docs are written there.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::webdriver::Driver;
use handoff_protocol::signing;
use handoff_protocol::*;
use handoff_service::{ServiceConfig, ServiceHandle, Store};
use serde_json::{json, Value};

const APP: &str = env!("CARGO_BIN_EXE_handoff-desk");
const SECRET: &[u8] = b"desktop-test-secret";
const WAIT: Duration = Duration::from_secs(30);

/// One app at a time: they share the display and the notification daemon.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Start from an empty screen: nothing left over from an earlier test.
    let _ = Command::new("dunstctl").arg("close-all").status();
    guard
}

fn enabled() -> bool {
    if std::env::var("HANDOFF_TEST_DESKTOP").as_deref() == Ok("1") {
        return true;
    }
    eprintln!("skipped: run through scripts/test.sh, which starts Xvfb, D-Bus and dunst for the desktop tests");
    false
}

fn screenshots() -> Option<PathBuf> {
    std::env::var_os("HANDOFF_SCREENSHOTS").map(PathBuf::from)
}

/// The screen's top-left 1280×800 (the window at its default size, and notification popups), as
/// a person sees it.
fn screen_shot(name: &str) {
    screen_area_shot(name, 1280, 800);
}

/// The top-left `width`×`height` of the display, where the window sits (no window manager).
fn screen_area_shot(name: &str, width: u32, height: u32) {
    if let Some(dir) = screenshots() {
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("import")
            .args(["-window", "root", "-crop", &format!("{width}x{height}+0+0"), "+repage"])
            .arg(dir.join(name))
            .status();
        assert!(status.is_ok_and(|s| s.success()), "import (ImageMagick) failed");
    }
}

struct Service {
    runtime: tokio::runtime::Runtime,
    handle: Option<ServiceHandle>,
    db: PathBuf,
    addr: std::net::SocketAddr,
    token: String,
    /// Priya Peer's, a colleague working through the API.
    peer_token: String,
}

impl Service {
    fn start(dir: &Path) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let db = dir.join("service.sqlite");
        let handle =
            runtime.block_on(handoff_service::start(Self::config(&db, "127.0.0.1:0".parse().unwrap()))).unwrap();
        let token = handle.store().add_agent("Dana Desk").unwrap().token;
        let peer_token = handle.store().add_agent("Priya Peer").unwrap().token;
        let addr = handle.addr();
        Self { runtime, handle: Some(handle), db, addr, token, peer_token }
    }

    fn config(db: &Path, addr: std::net::SocketAddr) -> ServiceConfig {
        let mut config = ServiceConfig::new(db.to_path_buf(), addr);
        config.intake_secret = Some(SECRET.to_vec());
        config.wait_notice_after = None;
        config.heartbeat = Duration::from_secs(1);
        config
    }

    fn store(&self) -> &dyn Store {
        self.handle.as_ref().expect("running").store().as_ref()
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }

    fn restart(&mut self) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.runtime.block_on(handoff_service::start(Self::config(&self.db, self.addr))) {
                Ok(handle) => {
                    self.handle = Some(handle);
                    return;
                }
                Err(error) => assert!(Instant::now() < deadline, "restart failed: {error}"),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Escalates through the signed intake, as a bot platform would.
    fn escalate(&self, external_id: &str, customer: &str, vip: bool, last_line: &str) -> i64 {
        let body = json!({
            "external_id": external_id, "channel": "web",
            "customer": {"id": format!("c-{external_id}"), "name": customer, "email": "customer@example.com", "phone": null, "vip": vip},
            "reason": "explicit_request", "trigger": "customer typed 'human'", "priority": if vip { "urgent" } else { "normal" },
            "summary": "Asks about switching to annual billing", "topic": "annual billing",
            "transcript": [
                {"role": "customer", "text": "Hi, can I switch to annual billing?"},
                {"role": "bot", "text": "You can change your plan under Settings → Billing."},
                {"role": "customer", "text": last_line}
            ]
        })
        .to_string();
        let json = self.signed_post("/v1/intake/handoffs", &body);
        json["conversation"]["id"].as_i64().unwrap_or_else(|| panic!("escalation failed: {json}"))
    }

    fn customer_says(&self, external_id: &str, text: &str) {
        let body = json!({"role": "customer", "text": text}).to_string();
        self.signed_post(&format!("/v1/intake/conversations/{external_id}/messages"), &body);
    }

    fn signed_post(&self, path: &str, body: &str) -> Value {
        let timestamp = chrono::Utc::now().timestamp();
        reqwest::blocking::Client::new()
            .post(format!("{}{path}", self.url()))
            .header("content-type", "application/json")
            .header(signing::TIMESTAMP_HEADER, timestamp.to_string())
            .header(signing::SIGNATURE_HEADER, signing::sign_v2(SECRET, timestamp, "POST", path, body.as_bytes()))
            .body(body.to_string())
            .send()
            .expect("intake request")
            .json()
            .expect("intake JSON")
    }

    /// Priya Peer does something through the agent API.
    fn peer_post(&self, path: &str, body: Value) -> reqwest::StatusCode {
        reqwest::blocking::Client::new()
            .post(format!("{}{path}", self.url()))
            .bearer_auth(&self.peer_token)
            .json(&body)
            .send()
            .expect("agent request")
            .status()
    }

    fn agent(&self, name: &str) -> AgentRef {
        let agent = self.store().agents().unwrap().into_iter().find(|a| a.name == name).expect("agent exists");
        AgentRef { id: agent.id, name: agent.name }
    }

    fn agent_messages(&self, id: i64, text: &str) -> usize {
        self.store()
            .messages(id, 0, 5000)
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.role == Role::Agent && m.text == text)
            .count()
    }
}

/// The environment of one app instance: its own data dir, home and XDG dirs.
fn app_env(home: &Path, server: Option<(&str, &str)>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("HOME", home.display().to_string()),
        ("XDG_DATA_HOME", home.join("data").display().to_string()),
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("XDG_CACHE_HOME", home.join("cache").display().to_string()),
        ("XDG_STATE_HOME", home.join("state").display().to_string()),
        ("HANDOFF_DATA_DIR", home.join("desk").display().to_string()),
        ("HANDOFF_DESK_QUIT_ON_CLOSE", "1".to_string()),
        ("HANDOFF_DEMO_SIMULATE_EVERY", "0".to_string()),
    ];
    if let Some((url, token)) = server {
        env.push(("HANDOFF_SERVER", url.to_string()));
        env.push(("HANDOFF_TOKEN", token.to_string()));
    }
    env
}

fn dunst_history() -> Vec<(String, String)> {
    let output = Command::new("dunstctl").arg("history").output().expect("dunstctl");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    json["data"][0]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|n| {
                    (
                        n["summary"]["data"].as_str().unwrap_or_default().to_string(),
                        n["body"]["data"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Closed notifications land in dunst's history, where their text can be read back.
fn dunst_history_after_closing() -> Vec<(String, String)> {
    let deadline = Instant::now() + WAIT;
    while displayed_notifications() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("dunstctl").arg("close-all").status().expect("dunstctl close-all");
    std::thread::sleep(Duration::from_millis(200));
    dunst_history()
}

fn displayed_notifications() -> usize {
    let output = Command::new("dunstctl").args(["count", "displayed"]).output().expect("dunstctl");
    String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(0)
}

/// Whether a top-level window with exactly this title exists on the display.
fn native_window_exists(title: &str) -> bool {
    let output = Command::new("xdotool").args(["search", "--name", &format!("^{}$", regex_escape(title))]).output();
    output.is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

fn regex_escape(text: &str) -> String {
    text.chars().map(|c| if "\\^$.|?*+()[]{}".contains(c) { format!("\\{c}") } else { c.to_string() }).collect()
}

/// How many top-level windows have exactly this title.
fn native_windows_titled(title: &str) -> usize {
    let output = Command::new("xdotool").args(["search", "--name", &format!("^{}$", regex_escape(title))]).output();
    output.map(|o| String::from_utf8_lossy(&o.stdout).lines().count()).unwrap_or(0)
}

/// The window at its current size, for the docs.
fn page_shot(driver: &Driver, name: &str) {
    let size = driver.script("return [window.innerWidth, window.innerHeight];");
    let (width, height) = (size[0].as_u64().unwrap_or(1280) as u32, size[1].as_u64().unwrap_or(800) as u32);
    let _ = Command::new("dunstctl").arg("close-all").status();
    std::thread::sleep(Duration::from_millis(300));
    screen_area_shot(name, width, height);
}

/// The transcript's box and the viewport: [width, height, innerWidth, innerHeight].
fn transcript_box(driver: &Driver) -> Vec<f64> {
    let value = driver.script(
        "const r = document.querySelector('[data-testid=transcript]').getBoundingClientRect();\
         return [r.width, r.height, window.innerWidth, window.innerHeight];",
    );
    value.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
}

fn transcript_at_newest(driver: &Driver) -> bool {
    driver.script(
        "const t = document.querySelector('[data-testid=transcript]');\
         return !!t && t.scrollHeight - t.scrollTop - t.clientHeight < 4;",
    ) == Value::Bool(true)
}

fn open_row(driver: &Driver, id: i64) {
    let row = driver
        .wait_for(&format!("[data-testid=queue-row][data-id='{id}'], [data-testid=rail-item][data-id='{id}']"), WAIT);
    driver.click(&row);
    driver.wait_for(&format!("[data-testid=conversation][data-id='{id}'] [data-testid=transcript]"), WAIT);
}

fn body_keys(driver: &Driver, keys: &[&str]) {
    // Keys go to the page, not to a text field that may hold focus.
    driver.script("document.activeElement instanceof HTMLElement && document.activeElement.blur();");
    driver.press(keys);
}

fn connection_state(driver: &Driver) -> String {
    driver.find("[data-testid=connection]").and_then(|e| driver.attribute(&e, "data-state")).unwrap_or_default()
}

fn message_state(driver: &Driver, text: &str) -> Option<String> {
    let script = format!(
        "const rows = [...document.querySelectorAll('[data-testid=message]')];\
         const row = rows.reverse().find(r => r.querySelector('[data-testid=message-text]')?.textContent === {});\
         return row ? row.getAttribute('data-state') : null;",
        serde_json::to_string(text).unwrap()
    );
    driver.script(&script).as_str().map(str::to_string)
}

fn send(driver: &Driver, text: &str) {
    let composer = driver.wait_for("[data-testid=composer]", WAIT);
    driver.type_text(&composer, text);
    let send = driver.wait_for("[data-testid=send]", WAIT);
    driver.click(&send);
}

#[test]
fn the_desk_end_to_end() {
    if !enabled() {
        return;
    }
    let _display = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path());
    for i in 0..6 {
        service.escalate(&format!("seed-{i}"), &format!("Queue Customer {i}"), i == 2, "Is anyone there?");
    }
    let url = service.url();
    let driver = Driver::launch(APP, &app_env(&dir.path().join("home"), Some((&url, &service.token))));
    driver.wait_until("online", WAIT, |d| connection_state(d) == "online");
    driver.wait_until("the queue", WAIT, |d| d.find_all("[data-testid=queue-row]").len() == 6);
    std::thread::sleep(Duration::from_millis(800));
    screen_shot("queue.png");

    // The backlog found at the first sync was one summary notification.
    let backlog = dunst_history_after_closing();
    assert!(backlog.iter().any(|(summary, _)| summary == "6 conversations waiting"), "{backlog:?}");

    // Presence set in the app reaches the service (and the queue's estimate).
    let presence = driver.wait_for("[data-testid=presence]", WAIT);
    driver.click(&presence);
    driver.wait_until("available on the service", WAIT, |_| {
        service.store().agents().unwrap().iter().any(|a| a.name == "Dana Desk" && a.presence == Presence::Available)
    });
    driver.wait_until("shown as available", WAIT, |d| {
        d.find("[data-testid=presence]").and_then(|e| d.attribute(&e, "data-presence")).as_deref() == Some("available")
    });

    // 1. A new escalation → a native notification → its default action opens that conversation.
    let nora = service.escalate("web-nora", "Nora Notify", true, "I want to talk to a person, please");
    let deadline = Instant::now() + WAIT;
    while displayed_notifications() == 0 {
        assert!(Instant::now() < deadline, "no notification was displayed");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(400));
    screen_shot("notification.png");
    // dunst keeps displayed notifications out of its history until they close; invoke the default action.
    let status = Command::new("dunstctl").args(["action", "0"]).status().expect("dunstctl action");
    assert!(status.success());
    driver.wait_for(&format!("[data-testid=conversation][data-id='{nora}']"), WAIT);
    driver.wait_until("the window title names the customer", WAIT, |_| {
        native_window_exists("Nora Notify · Handoff Desk")
    });
    let history = dunst_history_after_closing();
    let (summary, body) = history.iter().find(|(s, _)| s.contains("Nora Notify")).expect("the notification was Nora's");
    assert!(summary.contains("VIP"), "{summary}");
    assert!(body.contains("Asked for a human") && body.contains("talk to a person"), "{body}");

    // 2. Claim → reply → the service has the message exactly once.
    let claim = driver.wait_for("[data-testid=claim]", WAIT);
    driver.click(&claim);
    driver.wait_until("claimed", WAIT, |_| {
        service.store().conversation(nora).unwrap().assignee.is_some_and(|a| a.name == "Dana Desk")
    });
    // The warm greeting, from the team's template and the handoff's topic, waits in the composer.
    let composer = driver.wait_for("[data-testid=composer]", WAIT);
    let greeting = "Hi Nora, I see you were asking about annual billing. Let me help you with that.";
    driver.wait_until("the greeting in the composer", WAIT, |d| {
        d.script("return document.querySelector('[data-testid=composer]').value;") == json!(greeting)
    });
    driver.clear(&composer);
    let reply = "Hi Nora, I see you were asking about annual billing — let me help.";
    send(&driver, reply);
    driver.wait_until("delivered", WAIT, |_| service.agent_messages(nora, reply) == 1);
    driver.wait_until("shown as sent", WAIT, |d| message_state(d, reply).as_deref() == Some("sent"));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(service.agent_messages(nora, reply), 1, "exactly once");

    // A canned response, inserted by typing `/` and a few letters, variables filled.
    let composer = driver.wait_for("[data-testid=composer]", WAIT);
    driver.type_text(&composer, "/annu");
    driver.wait_for("[data-testid=canned-option]", WAIT);
    driver.type_text(&composer, "\u{E007}");
    driver.wait_until("the canned response in the composer", WAIT, |d| {
        d.script("return document.querySelector('[data-testid=composer]').value;")
            .as_str()
            .is_some_and(|v| v.starts_with("Hi Nora, paying yearly gives you two months free."))
    });
    driver.clear(&composer);
    screen_shot("conversation.png");

    // 3. Untrusted content shows as literal text and runs nothing.
    let payload = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned2'</script><b>bold?</b> & <a href='javascript:alert(1)'>click</a>";
    service.customer_says("web-nora", payload);
    driver.wait_until("the payload as text", WAIT, |d| {
        d.script(&format!(
            "return [...document.querySelectorAll('[data-testid=message-text]')].some(e => e.textContent === {});",
            serde_json::to_string(payload).unwrap()
        )) == Value::Bool(true)
    });
    let injected = driver.script(
        "return document.querySelectorAll('[data-testid=message-text] img, [data-testid=message-text] script, \
         [data-testid=message-text] b, [data-testid=message-text] a[href^=javascript]').length;",
    );
    assert_eq!(injected, json!(0), "customer HTML must not become elements");
    assert_eq!(driver.title(), "Handoff Desk", "no script ran");
    assert!(native_window_exists("Nora Notify · Handoff Desk"));

    // 4. The service goes away: offline is shown, a reply waits as pending, and goes once back online.
    service.stop();
    driver.wait_until("offline shown", WAIT, |d| connection_state(d) == "offline");
    let offline_reply = "Written while offline: I'll get back to you in a minute.";
    send(&driver, offline_reply);
    driver.wait_until("pending shown", WAIT, |d| message_state(d, offline_reply).as_deref() == Some("pending"));
    std::thread::sleep(Duration::from_millis(500));
    screen_shot("offline.png");
    service.restart();
    driver.wait_until("back online", Duration::from_secs(60), |d| connection_state(d) == "online");
    driver.wait_until("delivered after reconnect", WAIT, |_| service.agent_messages(nora, offline_reply) == 1);
    driver.wait_until("shown as sent", WAIT, |d| message_state(d, offline_reply).as_deref() == Some("sent"));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(service.agent_messages(nora, offline_reply), 1, "delivered once");

    // 5. Search (Ctrl+K) finds a cached message and opens the conversation at the hit.
    let body = driver.wait_for("body", WAIT);
    driver.type_text(&body, "\u{E009}k");
    let input = driver.wait_for("[data-testid=search-input]", WAIT);
    driver.type_text(&input, "annual billing");
    let hit = driver.wait_for("[data-testid=search-result]", WAIT);
    driver.click(&hit);
    driver.wait_for("[data-testid=conversation]", WAIT);
    let open = driver.find("[data-testid=conversation]").and_then(|e| driver.attribute(&e, "data-id"));
    assert!(open.is_some());
    service.stop();
}

#[test]
fn with_no_service_configured_the_demo_workspace_opens() {
    if !enabled() {
        return;
    }
    let _display = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let driver = Driver::launch(APP, &app_env(dir.path(), None));
    let banner = driver.wait_for("[data-testid=demo-banner]", WAIT);
    assert!(driver.text(&banner).to_lowercase().contains("demo"));
    driver.wait_until("online", WAIT, |d| connection_state(d) == "online");
    driver.wait_until("a live demo queue", WAIT, |d| d.find_all("[data-testid=queue-row]").len() >= 10);

    // A second launch with a deep link hands it to this instance and exits; the running window
    // opens that conversation.
    let rows = driver.find_all("[data-testid=queue-row]");
    let id = driver.attribute(&rows[3], "data-id").expect("rows carry their conversation id");
    let mut second = Command::new(APP);
    second.arg(format!("handoff://conversation/{id}"));
    for (key, value) in app_env(dir.path(), None) {
        second.env(key, value);
    }
    let mut child = second.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the second instance did not exit: single instance is not working");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the second instance exits cleanly: {status}");
    driver.wait_for(&format!("[data-testid=conversation][data-id='{id}']"), WAIT);

    // Settings: the notification daemon answers, so no warning about blocked notifications.
    driver.click(&driver.wait_for("[data-testid=settings-button]", WAIT));
    let login_item = driver.wait_for("[data-testid=start-at-login]", WAIT);
    driver.wait_until("the login item state is known", WAIT, |d| d.attribute(&login_item, "disabled").is_none());
    let service = driver.wait_for("[data-testid=notification-service]", WAIT);
    assert!(driver.text(&service).contains("dunst"), "{}", driver.text(&service));
    assert!(driver.find("[data-testid=notification-permission]").is_none(), "dunst runs, yet Settings warns");

    // Start at login: the XDG autostart entry starts the app in the tray; turned off, it is gone.
    let entry = dir.path().join(".config/autostart/Handoff Desk.desktop");
    assert!(!entry.exists());
    driver.click(&login_item);
    driver.wait_until("the autostart entry", WAIT, |_| entry.exists());
    let desktop_entry = std::fs::read_to_string(&entry).unwrap();
    assert!(desktop_entry.contains("--background"), "{desktop_entry}");
    assert!(desktop_entry.contains("handoff-desk"), "{desktop_entry}");
    driver.script("document.querySelector('[aria-labelledby=settings-startup]').scrollIntoView({block: 'center'})");
    std::thread::sleep(Duration::from_millis(400));
    screen_shot("settings.png");
    driver.click(&login_item);
    driver.wait_until("the autostart entry removed", WAIT, |_| !entry.exists());

    // The log goes to the XDG state folder too, for the agent to send when something is wrong.
    let logs = dir.path().join("state/handoff-desk/logs");
    driver.wait_until("a log file with the first paint", WAIT, |_| {
        std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .any(|file| std::fs::read_to_string(file.path()).is_ok_and(|text| text.contains("first paint")))
    });
}

/// A revoked token: the app says so and offers to wipe the device; the wipe leaves an empty,
/// still encrypted cache and the demo takes over.
#[test]
fn a_refused_token_offers_to_wipe_the_device() {
    if !enabled() {
        return;
    }
    let _display = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(dir.path());
    service.escalate("web-wendy", "Wendy Wipe", false, "my card ends in 4417");
    let home = dir.path().join("home");
    let driver = Driver::launch(APP, &app_env(&home, Some((&service.url(), &service.token))));
    driver.wait_until("online", WAIT, |d| connection_state(d) == "online");
    driver.wait_until("the queue", WAIT, |d| d.find_all("[data-testid=queue-row]").len() == 1);

    service.store().revoke_agent("Dana Desk").unwrap();
    driver.wait_for("[data-testid=refused-banner]", WAIT);
    driver.wait_until("the status says refused", WAIT, |d| connection_state(d) == "refused");
    let _ = Command::new("dunstctl").arg("close-all").status();
    std::thread::sleep(Duration::from_millis(400));
    screen_shot("refused.png");

    driver.click(&driver.wait_for("[data-testid=refused-wipe]", WAIT));
    driver.wait_for("[data-testid=demo-banner]", WAIT);
    let data = home.join("desk");
    let key = handoff_core::credentials::cache_key(&data).unwrap();
    let cache = handoff_core::LocalStore::open(&data, &key).unwrap();
    assert!(cache.conversations().unwrap().is_empty(), "the wiped cache still lists conversations");
    assert!(cache.search("4417", 10).unwrap().is_empty());
}

/// Sets a form control's value as typing or choosing would, so the UI's bindings see it.
fn set_value(driver: &Driver, css: &str, value: &str) {
    let script = format!(
        "const e = document.querySelector({}); e.value = {}; \
         e.dispatchEvent(new Event('input', {{bubbles: true}})); e.dispatchEvent(new Event('change', {{bubbles: true}}));",
        serde_json::to_string(css).unwrap(),
        serde_json::to_string(value).unwrap()
    );
    driver.script(&script);
}

#[test]
fn the_review_of_the_demo_workspace_and_its_weekly_reminder() {
    if !enabled() {
        return;
    }
    let _display = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let driver = Driver::launch(APP, &app_env(dir.path(), None));
    driver.wait_until("a live demo queue", WAIT, |d| d.find_all("[data-testid=queue-row]").len() >= 10);
    // The backlog summary of the first sync; the reminder below must be told apart from it.
    let _ = dunst_history_after_closing();

    // The weekly reminder, set in Settings for the next minute (local time, as the app reads it).
    let at = chrono::Local::now() + chrono::Duration::seconds(65);
    let reminder_time = at.format("%H:%M").to_string();
    let weekday = chrono::Datelike::weekday(&at).num_days_from_monday().to_string();
    driver.click(&driver.wait_for("[data-testid=settings-button]", WAIT));
    driver.wait_for("[data-testid=reminder-time]", WAIT);
    set_value(&driver, "[data-testid=reminder-weekday]", &weekday);
    set_value(&driver, "[data-testid=reminder-time]", &reminder_time);
    driver.click(&driver.wait_for("[data-testid=review-settings-save]", WAIT));
    driver.wait_until("the reminder saved", WAIT, |d| {
        d.script("return document.querySelector('[aria-labelledby=settings-review] .inline-ok')?.textContent ?? ''")
            .as_str()
            .is_some_and(|t| t.contains(&reminder_time))
    });
    // Waiting timers: the demo has customers waiting past the default 5 minutes (red); with
    // thresholds of an hour and two, every timer is calm.
    let late = |d: &Driver| d.find_all("[data-testid=queue-row] .wait-timer[data-level=late]").len();
    assert!(late(&driver) > 0, "some demo customers wait past 5 minutes");
    set_value(&driver, "[data-testid=wait-warn]", "60");
    set_value(&driver, "[data-testid=wait-urgent]", "120");
    driver.click(&driver.wait_for("[data-testid=wait-save]", WAIT));
    driver.wait_until("calm timers", WAIT, |d| {
        late(d) == 0 && d.find_all("[data-testid=queue-row] .wait-timer[data-level=warn]").is_empty()
    });
    // The first-response target, 5 minutes by default; off (0), no countdown is left anywhere and
    // no overdue notice competes with the reminder below.
    assert_eq!(driver.script("return document.querySelector('[data-testid=sla-minutes]').value;"), json!("5"));
    set_value(&driver, "[data-testid=sla-minutes]", "0");
    driver.click(&driver.wait_for("[data-testid=sla-save]", WAIT));
    driver.wait_until("no first-response countdowns", WAIT, |d| d.find_all("[data-testid=sla]").is_empty());
    driver.script("document.querySelector('[data-testid=settings] [aria-label=Close]')?.click()");
    driver.wait_until("settings closed", WAIT, |d| d.find("[data-testid=settings]").is_none());

    // The Review view over the demo's week: totals, charts, and the flagged repeated question.
    driver.click(&driver.wait_for("[data-testid=review-button]", WAIT));
    let total = driver.wait_for("[data-testid=review-total] strong", WAIT);
    let handoffs: usize = driver.text(&total).trim().parse().expect("a number of handoffs");
    assert!(handoffs >= 30, "the demo has a week of handoffs: {handoffs}");
    assert_eq!(driver.find_all("[data-testid=review-by-hour] li").len(), 24);
    // "7 days" is seven calendar days, today included: seven bars.
    assert_eq!(driver.find_all("[data-testid=review-by-day] li").len(), 7);
    assert!(driver.find_all("[data-testid=review-reasons] li").len() >= 4);
    // Grouped by meaning, by the on-device model (the test command installs it), no fallback note.
    assert_eq!(
        driver.script("return document.querySelector('[data-testid=review-grouping]').dataset.method"),
        json!("meaning")
    );
    assert!(driver.find("[data-testid=review-grouping-note]").is_none());
    let flagged = driver.wait_for("[data-testid=review-group][data-flagged=true]", WAIT);
    let card = driver.text(&flagged);
    assert!(card.to_lowercase().contains("annual"), "the demo's top question is annual billing: {card}");
    assert!(card.contains("Update the bot:"), "{card}");
    let draft = driver.text(&driver.wait_for("[data-testid=prompt-draft]", WAIT));
    // The draft quotes what customers asked, never what agents answered.
    assert!(draft.starts_with("When customers ask about") && draft.contains("\n- “"), "{draft}");
    assert!(!draft.contains("2 months free"), "an agent's answer in the draft: {draft}");
    std::thread::sleep(Duration::from_millis(500));
    screen_shot("review.png");
    driver.script(
        "document.querySelector('[data-testid=review-group][data-flagged=true]').scrollIntoView({block: 'end'})",
    );
    std::thread::sleep(Duration::from_millis(300));
    screen_shot("review-questions.png");

    // Export: a Markdown file in the Downloads folder.
    driver.click(&driver.wait_for("[data-testid=export-markdown]", WAIT));
    let done = driver.wait_for("[data-testid=export-done]", WAIT);
    assert!(driver.text(&done).contains("handoff-review-"), "{}", driver.text(&done));
    let downloads = dir.path().join("Downloads");
    let exported: Vec<PathBuf> = std::fs::read_dir(&downloads)
        .expect("the Downloads folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    assert_eq!(exported.len(), 1, "{exported:?}");
    let markdown = std::fs::read_to_string(&exported[0]).unwrap();
    assert!(
        markdown.starts_with("# Handoff review ") && markdown.contains("## What the bot should learn"),
        "{markdown}"
    );

    // An example opens its conversation.
    let example = driver.wait_for("[data-testid=review-group][data-flagged=true] .example", WAIT);
    driver.click(&example);
    driver.wait_for("[data-testid=conversation]", WAIT);
    assert!(driver.find("[data-testid=review]").is_none(), "back at the desk");

    // The reminder arrives at its minute; clicking it opens the review.
    let _ = Command::new("dunstctl").arg("close-all").status();
    let deadline = Instant::now() + Duration::from_secs(150);
    while displayed_notifications() == 0 {
        assert!(Instant::now() < deadline, "no reminder was displayed by {reminder_time}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = Command::new("dunstctl").args(["action", "0"]).status().expect("dunstctl action");
    assert!(status.success());
    driver.wait_for("[data-testid=review]", WAIT);
    let _ = Command::new("dunstctl").arg("close-all").status();
    let mut history = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !history.iter().any(|(summary, _): &(String, String)| summary == "Your weekly handoff review")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
        history = dunst_history();
    }
    let (_, body) = history
        .iter()
        .find(|(summary, _)| summary == "Your weekly handoff review")
        .unwrap_or_else(|| panic!("the reminder: {history:?}"));
    assert!(body.contains("handoffs in the last 7 days") && body.contains("coming back"), "{body}");
}

#[test]
fn dark_theme_screenshot() {
    if !enabled() || screenshots().is_none() {
        return;
    }
    let _display = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let mut env = app_env(dir.path(), None);
    env.push(("GTK_THEME", "Adwaita:dark".into()));
    let driver = Driver::launch(APP, &env);
    driver.wait_until("a live demo queue", WAIT, |d| d.find_all("[data-testid=queue-row]").len() >= 10);
    let first = driver.find_all("[data-testid=queue-row]")[0].clone();
    driver.click(&first);
    driver.wait_for("[data-testid=conversation]", WAIT);
    std::thread::sleep(Duration::from_millis(1200));
    screen_shot("dark.png");
}

#[test]
fn the_conversation_keeps_its_room_at_every_window_size() {
    if !enabled() {
        return;
    }
    let _display = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(dir.path());
    for i in 0..4 {
        service.escalate(&format!("other-{i}"), &format!("Queue Customer {i}"), false, "Hello?");
    }
    let id = service.escalate(
        "size-1",
        "Marguerite Delacroix-Whitfield",
        true,
        "I was charged twice for order ORD-48213, can a person please look at invoice INV-20931?",
    );
    for i in 0..40 {
        service.customer_says(
            "size-1",
            &format!("Line {i}: still here, and the card statement shows two payments of $149."),
        );
    }
    let url = service.url();
    let driver = Driver::launch(APP, &app_env(&dir.path().join("home"), Some((&url, &service.token))));
    driver.wait_until("online", WAIT, |d| connection_state(d) == "online");
    driver.set_window_size(1440, 900);
    open_row(&driver, id);
    let claim = driver.wait_for("[data-testid=claim]", WAIT);
    driver.click(&claim);
    driver.wait_until("claimed", WAIT, |_| service.store().conversation(id).unwrap().assignee.is_some());
    driver.wait_for("[data-testid=resolve-solved]", WAIT);

    for (width, height) in [(800u32, 560u32), (1024, 700), (1440, 900)] {
        driver.set_window_size(width, height);
        std::thread::sleep(Duration::from_millis(600));
        let b = transcript_box(&driver);
        page_shot(&driver, &format!("conversation-{width}x{height}.png"));
        assert_eq!(b.len(), 4, "{b:?}");
        assert!(b[1] >= f64::from(height) / 2.0, "at {width}×{height} the transcript is only {} px high", b[1]);
        assert!(b[0] >= f64::from(width) * 0.6, "at {width}×{height} the transcript is only {} px wide", b[0]);
        driver.wait_until("the newest message in view", WAIT, transcript_at_newest);
        // The queue folds into a rail only where it would crowd the conversation.
        assert_eq!(driver.find("[data-testid=queue-rail]").is_some(), width < 960, "at {width}×{height}");
    }

    // The details drawer opens over the transcript, which stays at the newest message.
    driver.set_window_size(1024, 700);
    body_keys(&driver, &["i"]);
    driver.wait_for("[data-testid=details] [data-testid=bot-summary]", WAIT);
    driver.wait_until("still at the newest message", WAIT, transcript_at_newest);
    page_shot(&driver, "details-1024x700.png");
    body_keys(&driver, &["i"]);
    driver.wait_until("the drawer closed", WAIT, |d| d.find("[data-testid=details]").is_none());

    // Scrolled up, a new customer line shows the "new messages" pill instead of moving the view.
    // As the agent would: a wheel turn, then the view moves up.
    driver.script(
        "const t = document.querySelector('[data-testid=transcript]');\
         t.dispatchEvent(new WheelEvent('wheel', {deltaY: -400, bubbles: true})); t.scrollTop = 0;",
    );
    std::thread::sleep(Duration::from_millis(300));
    service.customer_says("size-1", "Hello? Anyone reading this?");
    let pill = driver.wait_for("[data-testid=new-messages]", WAIT);
    assert!(!transcript_at_newest(&driver));
    driver.click(&pill);
    driver.wait_until("at the newest after the pill", WAIT, transcript_at_newest);
}

#[test]
fn an_agents_day_from_the_keyboard() {
    if !enabled() {
        return;
    }
    let _display = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(dir.path());
    let priya = service.agent("Priya Peer");
    let dana = service.agent("Dana Desk");
    let ann = service.escalate("day-ann", "Ann Able", false, "My parcel never arrived.");
    let bob = service.escalate("day-bob", "Bob Busy", false, "I need to change my address.");
    let cleo = service.escalate("day-cleo", "Cleo Colleague", false, "Refund please.");
    service.store().claim(cleo, &priya).unwrap();
    let dora = service.escalate("day-dora", "Dora Done", false, "Thanks for nothing.");
    service.store().claim(dora, &priya).unwrap();
    service.store().resolve(dora, &priya, ResolveOutcome::Solved).unwrap();
    let url = service.url();
    let driver = Driver::launch(APP, &app_env(&dir.path().join("home"), Some((&url, &service.token))));
    driver.wait_until("online", WAIT, |d| connection_state(d) == "online");
    driver.wait_until("the queue", WAIT, |d| d.find_all("[data-testid=queue-row]").len() == 2);
    let _ = dunst_history_after_closing();

    // "?" lists the shortcuts.
    body_keys(&driver, &["?"]);
    driver.wait_for("[data-testid=shortcuts]", WAIT);
    page_shot(&driver, "shortcuts.png");
    body_keys(&driver, &["\u{E00C}"]);
    driver.wait_until("the list closed", WAIT, |d| d.find("[data-testid=shortcuts]").is_none());

    // W opens the customer who waited longest; C claims it.
    body_keys(&driver, &["w"]);
    driver.wait_for(&format!("[data-testid=conversation][data-id='{ann}'] [data-testid=claim]"), WAIT);
    body_keys(&driver, &["c"]);
    driver.wait_until("claimed with C", WAIT, |_| {
        service.store().conversation(ann).unwrap().assignee.is_some_and(|a| a.id == dana.id)
    });
    driver.wait_until("the composer replies", WAIT, |d| {
        d.find("[data-testid=mode-hint]").and_then(|e| d.attribute(&e, "data-standing")).as_deref() == Some("mine")
    });

    // The composer says what can be done where replying is not possible.
    let waiting_hint = {
        open_row(&driver, bob);
        driver.text(&driver.wait_for("[data-testid=mode-hint]", WAIT))
    };
    assert!(waiting_hint.contains("Claim this conversation"), "{waiting_hint}");
    driver.click(&driver.wait_for("[data-testid=tab-recent]", WAIT));
    open_row(&driver, dora);
    let resolved = driver.text(&driver.wait_for("[data-testid=mode-hint]", WAIT));
    assert!(resolved.contains("Resolved") && !resolved.contains("Claim"), "{resolved}");
    // A colleague's conversation (found by search): what this agent can do instead.
    body_keys(&driver, &["\u{E009}", "k"]);
    let input = driver.wait_for("[data-testid=search-input]", WAIT);
    driver.type_text(&input, "Refund please");
    driver.click(&driver.wait_for("[data-testid=search-result]", WAIT));
    driver.wait_for(&format!("[data-testid=conversation][data-id='{cleo}'] [data-testid=colleague-hint]"), WAIT);
    let colleague = driver.text(&driver.wait_for("[data-testid=mode-hint]", WAIT));
    assert!(colleague.contains("Priya Peer") && colleague.contains("transfer"), "{colleague}");
    assert!(driver.find(&format!("[data-testid=conversation][data-id='{cleo}'] [data-testid=claim]")).is_none());

    // A customer writing again in my conversation, while another one is open: a notification,
    // the Mine tab's unread count and the window title.
    let deadline = Instant::now() + WAIT;
    service.customer_says("day-ann", "Any news about my parcel?");
    while !dunst_history_after_closing().iter().any(|(s, b)| s.contains("Ann Able") && b.contains("Any news")) {
        assert!(Instant::now() < deadline, "no notification of Ann's new line: {:?}", dunst_history());
        std::thread::sleep(Duration::from_millis(200));
    }
    driver.wait_until("Mine shows the unread line", WAIT, |d| {
        d.find("[data-testid=mine-unread]").map(|e| d.text(&e)).as_deref() == Some("1")
    });
    driver.wait_until("the title counts it", WAIT, |_| native_window_exists("(1) Cleo Colleague · Handoff Desk"));
    page_shot(&driver, "unread.png");

    // U opens it; read, the count goes.
    body_keys(&driver, &["u"]);
    driver.wait_for(&format!("[data-testid=conversation][data-id='{ann}']"), WAIT);
    driver.wait_until("the title without a count", WAIT, |_| native_window_exists("Ann Able · Handoff Desk"));
    driver.wait_until("the Mine badge without unread", WAIT, |d| d.find("[data-testid=mine-unread]").is_none());

    // Shift+Enter opens it in a window of its own, beside the main one.
    body_keys(&driver, &["\u{E008}", "\u{E007}"]);
    driver.wait_until("a second window for Ann", WAIT, |_| native_windows_titled("Ann Able · Handoff Desk") == 2);
    std::thread::sleep(Duration::from_millis(1200));
    page_shot(&driver, "popout.png");
    // It goes aside (right of the area the screenshots show); the main window stays as it was.
    let ids = Command::new("xdotool").args(["search", "--name", "^Ann Able · Handoff Desk$"]).output().unwrap();
    let popout = String::from_utf8_lossy(&ids.stdout)
        .lines()
        .map(str::trim)
        .find(|id| {
            let geometry = Command::new("xdotool").args(["getwindowgeometry", "--shell", id]).output().unwrap();
            String::from_utf8_lossy(&geometry.stdout).contains("WIDTH=760")
        })
        .expect("the pop-out window (760 px wide)")
        .to_string();
    assert!(Command::new("xdotool").args(["windowmove", &popout, "1300", "0"]).status().unwrap().success());

    // A colleague answered and handed the conversation over: sending needs a second press.
    service.store().claim(bob, &priya).unwrap();
    service
        .store()
        .post_agent_message(
            bob,
            &priya,
            None,
            &PostMessage { text: "Hi Bob, I changed it for you.".into(), private: false },
        )
        .unwrap();
    service.store().transfer(bob, &priya, dana.id, None).unwrap();
    driver.click(&driver.wait_for("[data-testid=tab-mine]", WAIT));
    open_row(&driver, bob);
    driver.wait_for("[data-testid=colleague-replied]", WAIT);
    send(&driver, "Hi Bob, I'm taking over from Priya.");
    driver.wait_until("the send button asks again", WAIT, |d| {
        d.find("[data-testid=send]").map(|e| d.text(&e)).is_some_and(|t| t.contains("Send anyway"))
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(service.agent_messages(bob, "Hi Bob, I'm taking over from Priya."), 0, "not sent on the first press");
    driver.click(&driver.wait_for("[data-testid=send]", WAIT));
    driver.wait_until("sent on the second press", WAIT, |_| {
        service.agent_messages(bob, "Hi Bob, I'm taking over from Priya.") == 1
    });

    // A colleague in the same conversation shows in its header while they type.
    open_row(&driver, bob);
    let status = service.peer_post(&format!("/v1/conversations/{bob}/activity"), json!({"activity": "typing_note"}));
    assert!(status.is_success(), "{status}");
    driver.wait_until("Priya shown typing", WAIT, |d| {
        d.script("return document.querySelector('[data-testid=typing]')?.textContent ?? '';")
            .as_str()
            .is_some_and(|t| t.contains("Priya Peer is writing a private note"))
    });
    page_shot(&driver, "presence.png");

    // A transfer to a colleague who is offline warns first; its note goes into the transcript.
    driver.click(&driver.wait_for("[data-testid=transfer]", WAIT));
    let note = driver.wait_for("[data-testid=transfer-note]", WAIT);
    driver.type_text(&note, "Needs a decision on the address change");
    let select = driver.wait_for("[data-testid=transfer-select]", WAIT);
    driver.script(&format!(
        "const s = document.querySelector('[data-testid=transfer-select]'); s.value = '{}'; s.dispatchEvent(new Event('change'));",
        priya.id
    ));
    let _ = select;
    driver.click(&driver.wait_for("[data-testid=transfer-confirm]", WAIT));
    driver.wait_for("[data-testid=transfer-warning]", WAIT);
    page_shot(&driver, "transfer.png");
    assert!(service.store().conversation(bob).unwrap().assignee.is_some_and(|a| a.id == dana.id), "not yet");
    driver.click(&driver.wait_for("[data-testid=transfer-confirm]", WAIT));
    driver.wait_until("transferred", WAIT, |_| {
        service.store().conversation(bob).unwrap().assignee.is_some_and(|a| a.id == priya.id)
    });
    let line = "Dana Desk → Priya Peer: Needs a decision on the address change";
    driver.wait_until("the transfer in the transcript", WAIT, |d| {
        d.script(&format!(
            "return [...document.querySelectorAll('[data-testid=message-text]')].some(e => e.textContent === {});",
            serde_json::to_string(line).unwrap()
        )) == Value::Bool(true)
    });

    // Enter sends, once chosen in Settings (Ctrl+Enter by default).
    driver.click(&driver.wait_for("[data-testid=settings-button]", WAIT));
    driver.click(&driver.wait_for("[data-testid=send-key-enter]", WAIT));
    driver.script("document.querySelector('[data-testid=settings] [aria-label=Close]')?.click()");
    driver.wait_until("settings closed", WAIT, |d| d.find("[data-testid=settings]").is_none());
    driver.click(&driver.wait_for("[data-testid=tab-mine]", WAIT));
    open_row(&driver, ann);
    let composer = driver.wait_for("[data-testid=composer]", WAIT);
    driver.clear(&composer);
    driver.type_text(&composer, "Your parcel is on its way again.\u{E007}");
    driver
        .wait_until("sent with Enter", WAIT, |_| service.agent_messages(ann, "Your parcel is on its way again.") == 1);
}
