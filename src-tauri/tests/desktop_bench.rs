//! Desktop measurements (run by `scripts/bench.sh` inside the test session, with
//! HANDOFF_BENCH_DESKTOP=1): cold start to first paint, memory of the whole app idle with the
//! demo workspace, and opening a 1,000-message transcript end to end (IPC, JSON, rendering).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::webdriver::Driver;
use handoff_service::{ServiceConfig, Store};

const APP: &str = env!("CARGO_BIN_EXE_handoff-desk");
const WAIT: Duration = Duration::from_secs(60);

fn enabled() -> bool {
    std::env::var("HANDOFF_BENCH_DESKTOP").as_deref() == Ok("1") && std::env::var("DISPLAY").is_ok()
}

fn demo_env(home: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", home.display().to_string()),
        ("XDG_DATA_HOME", home.join("data").display().to_string()),
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("XDG_CACHE_HOME", home.join("cache").display().to_string()),
        ("HANDOFF_DATA_DIR", home.join("desk").display().to_string()),
        ("HANDOFF_DESK_QUIT_ON_CLOSE", "1".into()),
    ]
}

/// Proportional set size (kB) of a process and all of its descendants (WebKit's processes).
fn pss_kb(pid: u32) -> u64 {
    let mut total = 0;
    let mut stack = vec![pid];
    while let Some(pid) = stack.pop() {
        if let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
            total += rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            stack.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    total
}

#[test]
fn cold_start_and_idle_memory() {
    if !enabled() {
        eprintln!("skipped: scripts/bench.sh runs this with HANDOFF_BENCH_DESKTOP=1");
        return;
    }
    let mut firsts = Vec::new();
    for round in 0..5 {
        let home = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let mut child = Command::new(APP)
            .envs(demo_env(home.path()))
            .env("HANDOFF_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("first paint") {
                    let _ = tx.send(line);
                }
            }
        });
        let line = rx.recv_timeout(WAIT).expect("the app reports its first paint");
        let external = started.elapsed();
        firsts.push(external);
        println!("round {round}: first paint {} ms after spawn ({line})", external.as_millis());
        if round == 4 {
            std::thread::sleep(Duration::from_secs(15));
            let kb = pss_kb(child.id());
            println!("idle with the demo workspace: {:.0} MB PSS (app + WebKit processes)", kb as f64 / 1024.0);
        }
        let _ = child.kill();
        let _ = child.wait();
        // WebKit's helpers exit with their parent.
        std::thread::sleep(Duration::from_millis(500));
    }
    firsts.sort();
    println!(
        "cold start to first paint: median {} ms, worst {} ms (5 launches)",
        firsts[2].as_millis(),
        firsts[4].as_millis()
    );
}

#[test]
fn open_a_thousand_message_transcript() {
    if !enabled() {
        eprintln!("skipped: scripts/bench.sh runs this with HANDOFF_BENCH_DESKTOP=1");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.wait_notice_after = None;
    let service = runtime.block_on(handoff_service::start(config)).unwrap();
    let token = service.store().add_agent("Bench").unwrap().token;
    handoff_service::demo::seed_synthetic(service.store().as_ref(), 20, 30, 1).unwrap();
    let long = handoff_service::demo::seed_synthetic(service.store().as_ref(), 1, 1_000, 2).unwrap()[0];
    let mut env = demo_env(&dir.path().join("home"));
    env.push(("HANDOFF_SERVER", service.base_url()));
    env.push(("HANDOFF_TOKEN", token));
    let driver = Driver::launch(APP, &env);
    driver.wait_for(&format!("[data-testid=queue-row][data-id='{long}']"), WAIT);
    let mut samples = Vec::new();
    let mut complete = Vec::new();
    for round in 0..10 {
        // Open another conversation first, so each round opens the long one afresh.
        let other = driver
            .find_all("[data-testid=queue-row]")
            .into_iter()
            .find(|e| driver.attribute(e, "data-id") != Some(long.to_string()));
        if let Some(other) = other {
            driver.click(&other);
            std::thread::sleep(Duration::from_millis(300));
        }
        let times = driver.script_async(&format!(
            "const done = arguments[arguments.length - 1];\
             const row = document.querySelector(\"[data-testid=queue-row][data-id='{long}']\");\
             const t0 = performance.now();\
             let first = null;\
             row.click();\
             const check = () => {{\
               const pane = document.querySelector(\"[data-testid=conversation][data-id='{long}']\");\
               const rows = pane ? pane.querySelectorAll('[data-testid=message]').length : 0;\
               if (first === null && rows > 0) {{ first = performance.now() - t0; }}\
               if (rows >= 1000) {{\
                 requestAnimationFrame(() => done([first, performance.now() - t0]));\
               }} else {{ requestAnimationFrame(check); }}\
             }};\
             check();"
        ));
        let first = times[0].as_f64().unwrap_or(f64::NAN);
        let all = times[1].as_f64().unwrap_or(f64::NAN);
        println!("round {round}: newest messages on screen after {first:.1} ms, all 1,000 rendered after {all:.1} ms");
        samples.push(first);
        complete.push(all);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    complete.sort_by(|a, b| a.total_cmp(b));
    println!(
        "open a 1,000-message transcript in the window: newest messages painted after median {:.1} ms \
         (worst {:.1}); all 1,000 rows rendered after median {:.1} ms (10 opens)",
        samples[5], samples[9], complete[5]
    );
    drop(driver);
    runtime.block_on(service.shutdown());
}
