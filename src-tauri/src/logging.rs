//! The app's log: to stderr (a terminal, the tests) and to a file a day in the system's log folder
//! (`profile::log_dir`), kept for a week — a Windows or macOS app started from its icon has no
//! terminal, and "send us your log" must have an answer. `HANDOFF_LOG` sets the filter.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

const KEEP_DAYS: usize = 7;

/// Starts logging; keep the guard until the process ends, so the last lines reach the file.
pub fn init() -> Option<WorkerGuard> {
    let filter = || EnvFilter::try_from_env("HANDOFF_LOG").unwrap_or_else(|_| EnvFilter::new("info,tao=warn,wry=warn"));
    // Customer and agent text reaches log fields: escaped, so it cannot forge a line.
    let stderr = fmt::layer()
        .fmt_fields(handoff_protocol::log::escaping_fields())
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let (file, guard, problem) = match log_file() {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer()
                .fmt_fields(handoff_protocol::log::escaping_fields())
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            (Some(layer), Some(guard), None)
        }
        Err(problem) => (None, None, Some(problem)),
    };
    tracing_subscriber::registry().with(stderr).with(file).init();
    if let Some(problem) = problem {
        tracing::warn!("logging to stderr only: {problem}");
    }
    guard
}

fn log_file() -> Result<RollingFileAppender, String> {
    let dir = handoff_core::profile::log_dir().ok_or("the system has no folder for logs")?;
    handoff_core::profile::create_private_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("handoff-desk")
        .filename_suffix("log")
        .max_log_files(KEEP_DAYS)
        .build(&dir)
        .map_err(|e| format!("cannot write logs in {}: {e}", dir.display()))
}
