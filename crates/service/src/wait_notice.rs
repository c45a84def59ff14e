//! Tells customers how long they will wait when nobody claims their conversation in time.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use crate::store::{Store, WaitNoticeRequest};

pub async fn run(store: Arc<dyn Store>, after: Duration, mut shutdown: watch::Receiver<bool>) {
    let tick = (after / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let after = chrono::Duration::from_std(after).unwrap_or_else(|_| chrono::Duration::minutes(1));
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep(tick) => {}
        }
        let store = store.clone();
        let posted = tokio::task::spawn_blocking(move || -> crate::error::ServiceResult<usize> {
            let mut posted = 0;
            for id in store.overdue_waiting(Utc::now() - after)? {
                if store.post_wait_notice(id, WaitNoticeRequest::Automatic)?.is_some() {
                    posted += 1;
                }
            }
            Ok(posted)
        })
        .await;
        match posted {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(count = n, "posted wait notices"),
            Ok(Err(error)) => tracing::error!(%error, "posting wait notices failed"),
            Err(error) => tracing::error!(%error, "the wait-notice task failed"),
        }
    }
}
