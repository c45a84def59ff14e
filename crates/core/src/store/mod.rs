//! The local cache: one SQLite file per profile (WAL, foreign keys, versioned migrations).
//!
//! One writer connection and one reader connection: the sync engine writes while the UI reads.

mod apply;
mod encryption;
mod outbox;
mod queries;
mod queue;
mod retention;
mod rows;
mod snoozes;
mod targets;
mod transcripts;
mod vectors;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use apply::{ApplyOutcome, GapToFill};
pub use encryption::{CacheKey, CacheOpening};
pub use outbox::check_text;
pub use queries::MessagesByConversation;
pub use retention::DEFAULT_RETENTION_DAYS;
pub use snoozes::{WokenSnooze, MAX_SNOOZE_DAYS};
pub use targets::OverdueConversation;
pub use vectors::StoredVector;

use crate::error::{CoreError, CoreResult};

/// Applied in array order; `PRAGMA user_version` counts how many ran, so the array is the
/// schema's history. Every file adds to the schema without depending on a neighbour it does not
/// name, so a file merged in between (0002, made alongside 0003) builds the same schema on a
/// fresh cache. Released caches would need the order kept: nothing has shipped yet.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_agent_day.sql"),
    include_str!("../../migrations/0003_tags.sql"),
    include_str!("../../migrations/0004_question_vectors.sql"),
];

/// The cache file inside a data directory.
pub const CACHE_FILE: &str = "cache.sqlite";

pub struct LocalStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    transcripts: transcripts::TranscriptCache,
    opening: CacheOpening,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> CoreResult<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(CoreError::SchemaTooNew { found: current, known });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn time_from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl LocalStore {
    /// Opens (creating if needed) the encrypted cache in `data_dir` with `key`; see
    /// [`LocalStore::opening`] for what that took.
    pub fn open(data_dir: &Path, key: &CacheKey) -> CoreResult<Self> {
        crate::profile::create_private_dir(data_dir)
            .map_err(|e| CoreError::DataDir { path: data_dir.display().to_string(), reason: e.to_string() })?;
        let path = data_dir.join(CACHE_FILE);
        let opening = encryption::prepare(&path, key)?;
        let connect = || -> CoreResult<Connection> {
            let conn = Connection::open(&path)?;
            key.apply(&conn)?;
            configure(&conn)?;
            Ok(conn)
        };
        let mut writer = connect()?;
        migrate(&mut writer)?;
        // Fewer, larger merges of the search index while a sync writes many messages: each page
        // the index rewrites is encrypted again (FTS5's default merges at 4 segments a level).
        writer.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 8)", [])?;
        let reader = connect()?;
        reader.pragma_update(None, "query_only", true)?;
        // Every page read from the encrypted file is decrypted and checked again; a reader cache
        // of 16 MiB (default 2 MiB) keeps the open transcripts and the queue decrypted.
        reader.pragma_update(None, "cache_size", -16_384)?;
        Ok(Self {
            path,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            transcripts: transcripts::TranscriptCache::default(),
            opening,
        })
    }

    /// Whether opening found a plain cache to encrypt or an unreadable one to set aside.
    pub fn opening(&self) -> &CacheOpening {
        &self.opening
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction) -> CoreResult<T>) -> CoreResult<T> {
        let mut conn = self.lock_writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> CoreResult<T>) -> CoreResult<T> {
        let conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn)
    }

    /// `PRAGMA integrity_check`: "ok" for a healthy file.
    pub fn integrity_check(&self) -> CoreResult<String> {
        self.read(|conn| Ok(conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
    }

    // --- sync state and settings ------------------------------------------------------

    pub(crate) fn get_key<T: DeserializeOwned>(conn: &Connection, table: &str, key: &str) -> CoreResult<Option<T>> {
        let raw: Option<String> = conn
            .query_row(&format!("SELECT value FROM {table} WHERE key = ?1"), params![key], |r| r.get(0))
            .optional()?;
        Ok(raw.and_then(|raw| serde_json::from_str(&raw).ok()))
    }

    pub(crate) fn put_key<T: Serialize + ?Sized>(
        conn: &Connection,
        table: &str,
        key: &str,
        value: &T,
    ) -> CoreResult<()> {
        let raw = serde_json::to_string(value).map_err(|e| CoreError::Invalid(e.to_string()))?;
        conn.execute(
            &format!("INSERT INTO {table} (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
            params![key, raw],
        )?;
        Ok(())
    }

    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> CoreResult<Option<T>> {
        self.read(|conn| Self::get_key(conn, "settings", key))
    }

    pub fn set_setting<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> CoreResult<()> {
        self.write(|tx| Self::put_key(tx, "settings", key, value))
    }

    pub fn remove_setting(&self, key: &str) -> CoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM settings WHERE key = ?1", params![key])?;
            Ok(())
        })
    }

    pub fn sync_value<T: DeserializeOwned>(&self, key: &str) -> CoreResult<Option<T>> {
        self.read(|conn| Self::get_key(conn, "sync_state", key))
    }

    pub fn set_sync_value<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> CoreResult<()> {
        self.write(|tx| Self::put_key(tx, "sync_state", key, value))
    }

    /// The change-feed cursor this cache is synced to.
    pub fn cursor(&self) -> CoreResult<i64> {
        Ok(self.sync_value("cursor")?.unwrap_or(0))
    }

    /// Forgets every synced record (conversations, messages, agents, cursor) and what hangs on
    /// their ids (snoozes, notified deadlines) but keeps the outbox, announcements and settings.
    /// The tag catalogue stays too: it was fetched at this sync's start, after the reset.
    pub fn clear_synced(&self) -> CoreResult<()> {
        self.write(|tx| {
            tx.execute_batch(
                "DELETE FROM messages; DELETE FROM conversations; DELETE FROM agents; \
                 DELETE FROM sync_state; DELETE FROM snoozes; DELETE FROM overdue_notices;",
            )?;
            Ok(())
        })
    }

    /// Removes every customer's words from the cache (sign out, another service): conversations,
    /// messages and their search index, outbox, drafts, announcements, snoozes, notified
    /// deadlines, sync state and the sign-in; preferences stay. Then `VACUUM` rebuilds the file so no deleted row survives in
    /// a free page, and the WAL is truncated to nothing. A cache set aside as unreadable goes too.
    pub fn wipe(&self) -> CoreResult<()> {
        let mut writer = self.lock_writer();
        // No read may hold a snapshot while the WAL is truncated.
        let _reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "DELETE FROM messages; DELETE FROM conversations; DELETE FROM agents; DELETE FROM sync_state; \
             DELETE FROM outbox; DELETE FROM announcements; DELETE FROM tags; DELETE FROM snoozes; DELETE FROM overdue_notices; \
             DELETE FROM settings WHERE key LIKE 'draft:%' OR key IN ('server', 'agent'); \
             INSERT INTO messages_fts(messages_fts) VALUES ('delete-all');",
        )?;
        tx.commit()?;
        writer.execute_batch("VACUUM;")?;
        let busy: i64 = writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(CoreError::Invalid(
                "the cache is still in use by another Handoff Desk process; close it and sign out again".into(),
            ));
        }
        self.transcripts.clear();
        encryption::remove_set_aside(&self.path)?;
        Ok(())
    }
}
