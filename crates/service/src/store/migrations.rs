//! Versioned schema migrations, applied in order and tracked in `PRAGMA user_version`.

use rusqlite::Connection;

/// Released migrations are never edited; a schema change is a new entry.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_intake_idempotency.sql"),
    include_str!("../../migrations/0003_tags.sql"),
];

/// Brings the schema up to date; refuses a database written by a newer service.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrationError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(MigrationError::TooNew { found: current, known });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied service schema migration");
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the database has schema version {found}, but this handoff-service knows only up to \
         {known}; use a newer handoff-service or another --db"
    )]
    TooNew { found: i64, known: i64 },
    #[error("migrating the database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
