//! The cache on a lost laptop: encrypted with a key from the OS keychain (the private session's
//! gnome-keyring under scripts/test.sh), upgraded from a plain cache in place, started afresh when
//! the key does not fit, and wiped for real on sign-out — after the live sync has stopped.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{eventually, wait_for_event, Harness};
use handoff_core::credentials::cache_key;
use handoff_core::store::{CacheKey, CacheOpening, CACHE_FILE};
use handoff_core::{ConnectionState, CoreEvent, Engine, LocalStore};
use tokio::sync::watch;

const SECRET: &str = "zebra lantern 4417";

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"].iter().map(|suffix| dir.join(format!("{CACHE_FILE}{suffix}"))).filter(|p| p.exists()).collect()
}

fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    cache_files(dir).iter().any(|path| std::fs::read(path).unwrap().windows(needle.len()).any(|w| w == needle))
}

/// A service with one escalation whose customer said [`SECRET`], and a synced engine's data dir.
async fn synced(harness: &Harness, name: &str) -> (i64, PathBuf) {
    let id = harness.escalate("Zoe");
    harness.customer_says(id, &format!("my code is {SECRET}"));
    let engine = harness.engine(name);
    engine.sync_once().await.unwrap();
    assert_eq!(engine.store().search("zebra", 10).unwrap().len(), 1);
    (id, harness.data_dir(name))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_is_encrypted_with_a_key_the_keychain_keeps() {
    let harness = Harness::start().await;
    let (id, dir) = synced(&harness, "desk").await;

    assert!(!files_contain(&dir, SECRET.as_bytes()), "customer text readable in the cache files");
    assert!(!files_contain(&dir, b"SQLite format 3"), "the cache has a plain SQLite header");
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700, "data folder");
        for file in cache_files(&dir) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    // The keychain holds the key that opens it; nothing else does.
    let key = cache_key(&dir).unwrap();
    let store = LocalStore::open(&dir, &key).unwrap();
    assert_eq!(store.opening(), &CacheOpening::Ready);
    assert_eq!(store.messages(id).unwrap().last().unwrap().text, format!("my code is {SECRET}"));
    let plain = rusqlite::Connection::open(dir.join(CACHE_FILE)).unwrap();
    let refused = plain.query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0));
    assert!(refused.is_err(), "a connection without the key read the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_cache_from_an_earlier_version_is_encrypted_in_place() {
    let harness = Harness::start().await;
    let (_, dir) = synced(&harness, "desk").await;

    // Make the cache what earlier versions wrote: plain SQLite, 0644.
    let key = cache_key(&dir).unwrap();
    let plain_copy = dir.join("plain.sqlite");
    {
        let conn = rusqlite::Connection::open(dir.join(CACHE_FILE)).unwrap();
        key.apply(&conn).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        conn.execute_batch(&format!(
            "ATTACH DATABASE '{}' AS plain KEY ''; SELECT sqlcipher_export('plain'); \
             PRAGMA plain.user_version = {version}; DETACH DATABASE plain;",
            plain_copy.display()
        ))
        .unwrap();
    }
    for file in cache_files(&dir) {
        std::fs::remove_file(file).unwrap();
    }
    std::fs::rename(&plain_copy, dir.join(CACHE_FILE)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(CACHE_FILE), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    assert!(files_contain(&dir, SECRET.as_bytes()), "the plain copy should be readable");

    let engine = harness.engine("desk");
    assert!(engine.cache_notice().unwrap().contains("now encrypted"), "{:?}", engine.cache_notice());
    harness.assert_converged(&engine);
    assert_eq!(engine.store().search("zebra", 10).unwrap().len(), 1, "the search index came along");
    drop(engine);
    assert!(!files_contain(&dir, SECRET.as_bytes()), "plain text left after the migration");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("plain") || name.contains("encrypting"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    #[cfg(unix)]
    assert_eq!(mode(&dir.join(CACHE_FILE)), 0o600);

    // Opened again: nothing more to do.
    assert_eq!(harness.engine("desk").cache_notice(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_does_not_fit_sets_the_cache_aside_and_a_fresh_sync_starts() {
    let harness = Harness::start().await;
    let (_, dir) = synced(&harness, "desk").await;

    // As after the keychain entry was deleted: another key.
    let engine = Engine::open_with_key(&dir, &CacheKey::random()).unwrap();
    let notice = engine.cache_notice().expect("a notice");
    assert!(notice.contains("could not be read") && notice.contains("fresh sync"), "{notice}");
    let set_aside = dir.join("cache.unreadable.sqlite");
    assert!(set_aside.exists(), "the unreadable cache is kept aside (still encrypted)");
    assert!(engine.store().conversations().unwrap().is_empty());
    engine.use_credentials(&harness.url(), &harness.alice.token).unwrap();
    engine.sync_once().await.unwrap();
    harness.assert_converged(&engine);
}

/// Customer messages keep arriving while the agent signs out; none may land in the wiped cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_stops_the_sync_then_leaves_no_customer_text_behind() {
    let harness = Harness::start().await;
    let (id, dir) = synced(&harness, "desk").await;
    let engine = harness.engine("desk");
    let (_keep_running, shutdown) = watch::channel(false);
    let mut events = engine.subscribe();
    let live = engine.run(shutdown);
    wait_for_event(
        &mut events,
        Duration::from_secs(10),
        |e| matches!(e, CoreEvent::ConnectionChanged { status } if status.connection == ConnectionState::Online),
    )
    .await
    .expect("online");
    harness.customer_says(id, "are you there?");
    wait_for_event(&mut events, Duration::from_secs(10), |e| matches!(e, CoreEvent::MessageAdded { .. }))
        .await
        .expect("live sync");
    engine.save_draft(id, &format!("draft about {SECRET}")).unwrap();
    engine.reply(id, &format!("reply about {SECRET}"), true).unwrap();

    let talking = {
        let store = harness.store_handle();
        let external_id = harness.store().conversation(id).unwrap().external_id;
        std::thread::spawn(move || {
            for n in 0..60 {
                let message = handoff_protocol::IntakeMessage {
                    role: handoff_protocol::Role::Customer,
                    text: format!("still typing {n}"),
                    at: None,
                    message_id: None,
                };
                let _ = store.intake_message(&external_id, &message);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    engine.sign_out(true).await.unwrap();
    assert!(eventually(Duration::from_secs(1), || live.is_finished()).await, "the live sync still runs");
    talking.join().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let store = engine.store();
    assert!(store.conversations().unwrap().is_empty());
    assert!(store.messages(id).unwrap().is_empty());
    assert!(store.search("zebra", 10).unwrap().is_empty());
    assert!(store.search("typing", 10).unwrap().is_empty());
    assert!(store.outbox().unwrap().is_empty());
    assert_eq!(engine.draft(id).unwrap(), None);
    assert_eq!(engine.stored_server().unwrap(), None);

    // VACUUM left no free page that could hold a deleted row, and the WAL is empty.
    let key = cache_key(&dir).unwrap();
    let conn = rusqlite::Connection::open(dir.join(CACHE_FILE)).unwrap();
    key.apply(&conn).unwrap();
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap();
    assert_eq!(free, 0, "free pages after the wipe");
    let fts_rows: i64 = conn.query_row("SELECT count(*) FROM messages_fts_data", [], |r| r.get(0)).unwrap();
    assert!(fts_rows <= 2, "the search index kept {fts_rows} segments");
    let wal = dir.join(format!("{CACHE_FILE}-wal"));
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0, "the WAL still holds frames");
    assert!(!files_contain(&dir, SECRET.as_bytes()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_shows_as_refused_and_the_same_wipe_is_offered() {
    let harness = Harness::start().await;
    let (_, _dir) = synced(&harness, "desk").await;
    let engine = harness.engine("desk");
    let (_keep_running, shutdown) = watch::channel(false);
    let mut events = engine.subscribe();
    let live = engine.run(shutdown);
    wait_for_event(
        &mut events,
        Duration::from_secs(10),
        |e| matches!(e, CoreEvent::ConnectionChanged { status } if status.connection == ConnectionState::Online),
    )
    .await
    .expect("online");

    harness.store().revoke_agent("Alice").unwrap();
    let refused = wait_for_event(&mut events, Duration::from_secs(10), |e| {
        matches!(e, CoreEvent::ConnectionChanged { status } if matches!(status.connection, ConnectionState::Refused { .. }))
    })
    .await;
    assert!(refused.is_some(), "the revoked token did not show as refused");

    engine.sign_out(true).await.unwrap();
    assert!(live.is_finished() || eventually(Duration::from_secs(1), || live.is_finished()).await);
    assert!(engine.store().conversations().unwrap().is_empty());
}
