//! Retention: closed conversations older than the configured age leave the cache.

use rusqlite::params;

use super::{now_ms, LocalStore};
use crate::error::CoreResult;

/// Default days a resolved conversation stays cached.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

impl LocalStore {
    /// Purges resolved (and handed-back) conversations last changed more than `days` ago, with
    /// their messages and search-index rows. Returns how many conversations went.
    pub fn purge_older_than(&self, days: u32) -> CoreResult<usize> {
        let cutoff = now_ms() - i64::from(days) * 24 * 3600 * 1000;
        self.write(|tx| {
            // Messages first, so the index trigger sees each row; the cascade would too, but
            // explicit is cheaper to reason about.
            tx.execute(
                "DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations \
                 WHERE status IN ('resolved', 'bot') AND updated_at_ms < ?1)",
                params![cutoff],
            )?;
            let purged = tx.execute(
                "DELETE FROM conversations WHERE status IN ('resolved', 'bot') AND updated_at_ms < ?1",
                params![cutoff],
            )?;
            Ok(purged)
        })
    }
}
