//! `HANDOFF_CACHE_KEY`, the cache key for machines without a keychain: a malformed one is a clear
//! error, and a key that does not open the cache gives a note and a fresh sync — never a crash.

mod common;

use std::path::Path;
use std::process::Output;

use handoff_core::store::CacheKey;
use handoff_service::{ServiceConfig, Store};

fn handoff(data: &Path, url: &str, token: &str, key: &str, args: &[&str]) -> Output {
    common::handoff_command()
        .args(args)
        .env("HANDOFF_DATA_DIR", data)
        .env("HANDOFF_SERVER", url)
        .env("HANDOFF_TOKEN", token)
        .env("HANDOFF_CACHE_KEY", key)
        .env("HOME", data)
        .env_remove("HANDOFF_LOG")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_key_from_the_environment_is_checked_and_a_wrong_one_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.wait_notice_after = None;
    let service = handoff_service::start(config).await.unwrap();
    let store = service.store().clone();
    let token = store.add_agent("Alice").unwrap().token;
    tokio::task::spawn_blocking(move || handoff_service::demo::seed_synthetic(store.as_ref(), 20, 5, 1).unwrap())
        .await
        .unwrap();
    let (url, data) = (service.base_url(), dir.path().join("desk"));
    let first = CacheKey::random().to_hex();

    let out = tokio::task::spawn_blocking({
        let (data, url, token) = (data.clone(), url.clone(), token.clone());
        move || {
            let malformed = handoff(&data, &url, &token, "not-a-key", &["sync"]);
            let synced = handoff(&data, &url, &token, &first, &["sync"]);
            let again = handoff(&data, &url, &token, &first, &["queue", "--json"]);
            let other = handoff(&data, &url, &token, &CacheKey::random().to_hex(), &["sync"]);
            [malformed, synced, again, other]
        }
    })
    .await
    .unwrap();
    let [malformed, synced, again, other] = out;
    let text = |o: &Output| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));

    assert_eq!(malformed.status.code(), Some(1), "{}", text(&malformed));
    assert!(text(&malformed).contains("HANDOFF_CACHE_KEY must be 64 hexadecimal digits"), "{}", text(&malformed));
    assert!(synced.status.success(), "{}", text(&synced));
    assert!(again.status.success() && !text(&again).contains("note:"), "{}", text(&again));
    assert!(other.status.success(), "{}", text(&other));
    let note = String::from_utf8_lossy(&other.stderr);
    assert!(note.contains("could not be read") && note.contains("fresh sync"), "{note}");
    assert!(data.join("cache.unreadable.sqlite").exists());
    service.shutdown().await;
}
