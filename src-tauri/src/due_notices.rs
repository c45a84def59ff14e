//! Notices that come from the clock, not from the service: a first reply that is now overdue and
//! a snooze whose time came. Every 15 s the task asks the engine (which remembers in the cache
//! what it already announced, so a restart does not repeat them) and shows what is due.

use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, Emitter};

use crate::session::AppState;
use crate::types::{DeskEvent, DESK_EVENT};

const CHECK_EVERY: Duration = Duration::from_secs(15);

pub fn spawn(app: AppHandle, state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let engine = state.engine();
            let due = tauri::async_runtime::spawn_blocking(move || {
                let now = chrono::Local::now();
                let mut notices = engine.take_overdue_notices(&now)?;
                notices.extend(engine.take_due_snoozes(&now)?);
                Ok::<_, handoff_core::CoreError>(notices)
            })
            .await;
            match due {
                Ok(Ok(notices)) if !notices.is_empty() => {
                    for notice in &notices {
                        crate::notifier::show(&app, notice);
                    }
                    let _ = app.emit(DESK_EVENT, DeskEvent::QueueChanged);
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "due notices could not be checked"),
                Err(error) => tracing::warn!(%error, "the due-notice task failed"),
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}
