//! The token in the OS keychain, for real: `handoff login` stores it in the Secret Service
//! (gnome-keyring in a private D-Bus session, started by scripts/test.sh) — or, for the Windows
//! build under Wine, in Wine's Credential Manager —, later commands read it from there, and no
//! file holds it. Without a keychain, `login` says what to do instead.
// Test diagnostics, not service data on a user's terminal: crates/cli/clippy.toml's print ban
// is for the binary.
#![allow(clippy::disallowed_macros)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use handoff_service::{ServiceConfig, Store};

fn handoff(home: &Path, args: &[&str]) -> Output {
    common::handoff_command()
        .args(args)
        .env("HANDOFF_DATA_DIR", home.join("data"))
        .env("HOME", home)
        .env_remove("HANDOFF_SERVER")
        .env_remove("HANDOFF_TOKEN")
        .env_remove("HANDOFF_LOG")
        .output()
        .expect("handoff runs")
}

/// Runs `handoff` with `input` piped on its standard input; `no_keychain` hides the Secret
/// Service (a D-Bus address where nothing listens).
/// One key for every run without a keychain, so no run finds the cache of another unreadable.
const TEST_CACHE_KEY: &str = "4b6579206f66207468652074657374732720636163686573206f6e6c792e2e2e";

fn handoff_piped(home: &Path, args: &[&str], input: &[u8], no_keychain: bool) -> Output {
    let mut command = common::handoff_command();
    command
        .args(args)
        .env("HANDOFF_DATA_DIR", home.join("data"))
        .env("HOME", home)
        .env_remove("HANDOFF_SERVER")
        .env_remove("HANDOFF_TOKEN")
        .env_remove("HANDOFF_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if no_keychain {
        // The cache key comes from the environment then, so only the token needs the keychain.
        command
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}/no-bus", home.display()))
            .env("HANDOFF_CACHE_KEY", TEST_CACHE_KEY)
            .env_remove("DISPLAY");
    }
    let mut child = command.spawn().expect("handoff runs");
    let mut stdin = child.stdin.take().expect("stdin");
    // A refusal before reading everything closes the pipe; that is the binary's business.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().expect("handoff finishes")
}

fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            files_contain(&path, needle)
        } else {
            std::fs::read(&path).map(|bytes| bytes.windows(needle.len()).any(|w| w == needle)).unwrap_or(false)
        }
    })
}

async fn service() -> (tempfile::TempDir, handoff_service::ServiceHandle, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.wait_notice_after = None;
    let handle = handoff_service::start(config).await.unwrap();
    let token = handle.store().add_agent("Keychain Kim").unwrap().token;
    (dir, handle, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_keeps_the_token_in_the_os_keychain() {
    if std::env::var("HANDOFF_TEST_KEYCHAIN").as_deref() != Ok("1") {
        eprintln!("skipped: run through scripts/test.sh, which starts gnome-keyring in a private D-Bus session");
        return;
    }
    let (_dir, service, token) = service().await;
    let home = tempfile::tempdir().unwrap();
    let url = service.base_url();
    let (home_path, login_url, login_token) = (home.path().to_path_buf(), url.clone(), token.clone());
    let out = tokio::task::spawn_blocking(move || {
        handoff(&home_path, &["login", "--server", &login_url, "--token", &login_token])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "login: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Keychain Kim"));

    // Later commands find the token in the keychain; no environment variables are set.
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || handoff(&home_path, &["sync"])).await.unwrap();
    assert!(out.status.success(), "sync: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!files_contain(home.path(), token.as_bytes()), "the token must not be in any file of the profile");

    // Signing out removes it from the keychain.
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let logout = handoff(&home_path, &["logout"]);
        assert!(logout.status.success(), "{}", String::from_utf8_lossy(&logout.stderr));
        handoff(&home_path, &["sync"])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed in"));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_login_says_how_to_use_environment_variables() {
    if !common::is_native() {
        eprintln!("skipped: the Credential Manager of the Windows build cannot be taken away like a D-Bus session");
        return;
    }
    let (_dir, service, token) = service().await;
    let home = tempfile::tempdir().unwrap();
    let url = service.base_url();
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        common::handoff_command()
            .args(["login", "--server", &url, "--token", &token])
            .env("HANDOFF_DATA_DIR", home_path.join("data"))
            .env("HOME", &home_path)
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}/no-bus", home_path.display()))
            .env_remove("DISPLAY")
            .env_remove("HANDOFF_TOKEN")
            .env_remove("HANDOFF_SERVER")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keychain") && stderr.contains("HANDOFF_TOKEN"), "{stderr}");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_reads_a_piped_token_into_the_os_keychain() {
    if std::env::var("HANDOFF_TEST_KEYCHAIN").as_deref() != Ok("1") {
        eprintln!("skipped: run through scripts/test.sh, which starts gnome-keyring in a private D-Bus session");
        return;
    }
    let (_dir, service, token) = service().await;
    let home = tempfile::tempdir().unwrap();
    let (home_path, url) = (home.path().to_path_buf(), service.base_url());
    let out = tokio::task::spawn_blocking(move || {
        let login = handoff_piped(&home_path, &["login", "--server", &url], format!("{token}\n").as_bytes(), false);
        (login, handoff(&home_path, &["sync"]))
    })
    .await
    .unwrap();
    let (login, sync) = out;
    assert!(login.status.success(), "login: {}", String::from_utf8_lossy(&login.stderr));
    assert!(
        String::from_utf8_lossy(&login.stdout).contains("signed in")
            && String::from_utf8_lossy(&login.stdout).contains("Keychain Kim")
    );
    assert!(sync.status.success(), "sync with the stored token: {}", String::from_utf8_lossy(&sync.stderr));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_without_a_token_on_stdin_says_how_to_give_one() {
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_path_buf();
    // Nothing listens there: the token is missing before anything is asked of a service.
    let url = "http://127.0.0.1:9";
    let outs = tokio::task::spawn_blocking(move || {
        [&b""[..], b"\n", b"  \r\n\t"].map(|input| handoff_piped(&home_path, &["login", "--server", url], input, true))
    })
    .await
    .unwrap();
    for out in outs {
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: no token given"), "{stderr}");
        assert!(stderr.contains("standard input") && stderr.contains("--token"), "{stderr}");
        assert!(out.stdout.is_empty(), "{out:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_checks_the_piped_token_with_the_service() {
    if !common::is_native() {
        eprintln!("skipped: the Credential Manager of the Windows build cannot be taken away like a D-Bus session");
        return;
    }
    let (_dir, service, token) = service().await;
    let home = tempfile::tempdir().unwrap();
    let (home_path, url) = (home.path().to_path_buf(), service.base_url());
    let (wrong, right, two) = tokio::task::spawn_blocking(move || {
        let login = |input: String| handoff_piped(&home_path, &["login", "--server", &url], input.as_bytes(), true);
        (login("hd_not-a-real-token\n".into()), login(format!("{token}\n")), login(format!("{token}\n{token}\n")))
    })
    .await
    .unwrap();
    // The service refused the wrong token: it was read and sent.
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refused the token"), "{stderr}");
    assert!(!stderr.contains("hd_not-a-real-token"), "the token is not echoed: {stderr}");
    // The right one passed the service's check and only the missing keychain stopped the login.
    let stderr = String::from_utf8_lossy(&right.stderr);
    assert_eq!(right.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("keychain") && !stderr.contains("refused"), "{stderr}");
    // Two lines are not one token.
    let stderr = String::from_utf8_lossy(&two.stderr);
    assert_eq!(two.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("one word"), "{stderr}");
    service.shutdown().await;
}
