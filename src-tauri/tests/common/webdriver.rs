#![allow(dead_code)]
//! A small W3C WebDriver client over plain HTTP, for `tauri-driver`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `tauri-driver` (which runs WebKitWebDriver) plus one session with the app.
pub struct Driver {
    process: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
}

fn tauri_driver() -> String {
    if let Ok(path) = which("tauri-driver") {
        return path;
    }
    let home =
        std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
    format!("{home}/bin/tauri-driver")
}

fn which(name: &str) -> Result<String, ()> {
    let path = std::env::var("PATH").map_err(|_| ())?;
    path.split(':').map(|dir| format!("{dir}/{name}")).find(|p| Path::new(p).exists()).ok_or(())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    /// Starts the app at `application` with `env` (and nothing of this process's HANDOFF_*).
    pub fn launch(application: &str, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new(tauri_driver());
        command
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for key in ["HANDOFF_SERVER", "HANDOFF_TOKEN", "HANDOFF_DATA_DIR"] {
            command.env_remove(key);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let process = command.spawn().expect("tauri-driver starts (install it with `cargo install tauri-driver`)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(300)).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "wry",
                "tauri:options": {"application": application}
            }}}))
            .send()
            .expect("session request")
            .json()
            .expect("session JSON");
        let session =
            response["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {response}")).to_string();
        Self { process, base, session, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.http.post(self.url(path)).json(&body).send().expect("webdriver request").json().expect("webdriver JSON")
    }

    fn get(&self, path: &str) -> Value {
        self.http.get(self.url(path)).send().expect("webdriver request").json().expect("webdriver JSON")
    }

    /// The first element matching `css`, if any.
    pub fn find(&self, css: &str) -> Option<String> {
        let response = self.post("/element", json!({"using": "css selector", "value": css}));
        response["value"][ELEMENT_KEY].as_str().map(str::to_string)
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        let response = self.post("/elements", json!({"using": "css selector", "value": css}));
        response["value"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e[ELEMENT_KEY].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    /// Waits for an element matching `css`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find(css) {
                return element;
            }
            assert!(Instant::now() < deadline, "no element matches {css:?} after {timeout:?}\n{}", self.describe());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `check` holds.
    pub fn wait_until(&self, what: &str, timeout: Duration, mut check: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + timeout;
        while !check(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}\n{}", self.describe());
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// What the window shows, for failure messages.
    pub fn describe(&self) -> String {
        let source = self.get("/source");
        let text: String = source["value"].as_str().unwrap_or_default().chars().take(1500).collect();
        format!(
            "title: {:?}\npage: {text}\nraw: {}",
            self.title(),
            source.to_string().chars().take(300).collect::<String>()
        )
    }

    pub fn click(&self, element: &str) {
        let response = self.post(&format!("/element/{element}/click"), json!({}));
        assert!(response["value"].is_null(), "click failed: {response}");
    }

    pub fn clear(&self, element: &str) {
        let response = self.post(&format!("/element/{element}/clear"), json!({}));
        assert!(response["value"].is_null(), "clear failed: {response}");
    }

    pub fn type_text(&self, element: &str, text: &str) {
        let response = self.post(&format!("/element/{element}/value"), json!({"text": text}));
        assert!(response["value"].is_null(), "typing failed: {response}");
    }

    pub fn text(&self, element: &str) -> String {
        self.get(&format!("/element/{element}/text"))["value"].as_str().unwrap_or_default().to_string()
    }

    pub fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.get(&format!("/element/{element}/attribute/{name}"))["value"].as_str().map(str::to_string)
    }

    /// Runs JavaScript in the page and returns its value.
    pub fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))["value"].clone()
    }

    /// Runs asynchronous JavaScript: it calls its last argument with the result.
    pub fn script_async(&self, script: &str) -> Value {
        self.post("/execute/async", json!({"script": script, "args": []}))["value"].clone()
    }

    /// Resizes the window (W3C Set Window Rect) and waits until the page has the new size.
    pub fn set_window_size(&self, width: u32, height: u32) {
        let response = self.post("/window/rect", json!({"width": width, "height": height}));
        assert!(response["value"].is_object(), "resizing failed: {response}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.script("return [window.innerWidth, window.innerHeight];") != json!([width, height]) {
            assert!(Instant::now() < deadline, "the page never got {width}×{height}: {response}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Presses keys on the focused element (W3C Perform Actions), e.g. `["\u{E008}", "\u{E007}"]`
    /// for Shift+Enter: each key goes down in order, then all come up in reverse.
    pub fn press(&self, keys: &[&str]) {
        let mut actions: Vec<Value> = keys.iter().map(|k| json!({"type": "keyDown", "value": k})).collect();
        actions.extend(keys.iter().rev().map(|k| json!({"type": "keyUp", "value": k})));
        let response =
            self.post("/actions", json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}));
        assert!(response["value"].is_null(), "key actions failed: {response}");
    }

    pub fn title(&self) -> String {
        self.get("/title")["value"].as_str().unwrap_or_default().to_string()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
