//! The `handoff` process killed with SIGKILL in the middle of a sync: the cache stays intact
//! and the next sync converges to the service.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use handoff_core::store::CacheKey;
use handoff_core::LocalStore;
use handoff_service::{ServiceConfig, Store};

/// Given to the CLI through the environment: the test opens the cache too, and under Wine the
/// Windows CLI's keychain is not this process's.
fn cache_key() -> CacheKey {
    static KEY: std::sync::OnceLock<CacheKey> = std::sync::OnceLock::new();
    KEY.get_or_init(CacheKey::random).clone()
}

fn open_cache(data: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(data.join("cache.sqlite"))?;
    cache_key().apply(&conn)?;
    Ok(conn)
}

fn handoff(data: &Path, url: &str, token: &str) -> Command {
    let mut command = common::handoff_command();
    command
        .env("HANDOFF_CACHE_KEY", cache_key().to_hex())
        .env("HANDOFF_DATA_DIR", data)
        .env("HANDOFF_SERVER", url)
        .env("HANDOFF_TOKEN", token)
        .env("HOME", data)
        .env_remove("HANDOFF_LOG");
    command
}

fn cursor_of(data: &Path) -> i64 {
    let Ok(conn) = open_cache(data) else { return 0 };
    conn.query_row("SELECT value FROM sync_state WHERE key = 'cursor'", [], |r| r.get::<_, String>(0))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_sync_the_cache_survives_and_converges() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.wait_notice_after = None;
    let service = handoff_service::start(config).await.unwrap();
    let store = service.store().clone();
    let token = store.add_agent("Alice").unwrap().token;
    tokio::task::spawn_blocking(move || handoff_service::demo::seed_synthetic(store.as_ref(), 1500, 20, 1).unwrap())
        .await
        .unwrap();
    let url = service.base_url();
    let data = dir.path().join("desk");
    let head = service.store().head_cursor();

    // Kill it a few times at different points of the catch-up.
    for round in 0..3 {
        let before = cursor_of(&data);
        let mut child =
            handoff(&data, &url, &token).arg("sync").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while cursor_of(&data) <= before && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let conn = open_cache(&data).unwrap();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        // Whatever was written is whole: every cached conversation's page arrived in one piece.
        let cursor = cursor_of(&data);
        assert!(cursor <= head);
    }

    let out = handoff(&data, &url, &token).arg("sync").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cache = LocalStore::open(&data, &cache_key()).unwrap();
    assert_eq!(cache.integrity_check().unwrap(), "ok");
    assert_eq!(cache.cursor().unwrap(), service.store().head_cursor());
    let conversations = service.store().list_conversations(None, 0, 5000).unwrap().conversations;
    let cached = cache.conversations().unwrap();
    assert_eq!(cached, conversations);
    for conversation in conversations.iter().step_by(97) {
        let messages = service.store().messages(conversation.id, 0, 5000).unwrap().messages;
        assert_eq!(cache.messages(conversation.id).unwrap(), messages);
    }
    let total: usize = conversations.iter().map(|c| cache.messages(c.id).unwrap().len()).sum();
    assert_eq!(total, 1500 * 20);
    service.shutdown().await;
}
