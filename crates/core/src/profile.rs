//! Where a profile keeps its data — `--data-dir`, else `HANDOFF_DATA_DIR`, else the system's data
//! folder — and where the app writes its log. Each system's conventions:
//!
//! | system  | data (cache, outbox, settings)               | log                                 |
//! |---------|-----------------------------------------------|-------------------------------------|
//! | Linux   | `$XDG_DATA_HOME/handoff-desk` (~/.local/share) | `$XDG_STATE_HOME/handoff-desk/logs` |
//! | macOS   | `~/Library/Application Support/handoff-desk`  | `~/Library/Logs/handoff-desk`       |
//! | Windows | `%APPDATA%\handoff-desk`                      | `%LOCALAPPDATA%\handoff-desk\logs`  |

use std::path::PathBuf;

use crate::error::{CoreError, CoreResult};

pub const DATA_DIR_ENV: &str = "HANDOFF_DATA_DIR";
pub const SERVER_ENV: &str = "HANDOFF_SERVER";
pub const TOKEN_ENV: &str = "HANDOFF_TOKEN";
pub const LOG_DIR_ENV: &str = "HANDOFF_LOG_DIR";
/// 64 hex digits: the cache key, for machines without an OS keychain.
pub const CACHE_KEY_ENV: &str = "HANDOFF_CACHE_KEY";

/// The folder of the app's log files: `HANDOFF_LOG_DIR`, else the system's log folder.
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(LOG_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if cfg!(target_os = "macos") {
        dirs::home_dir().map(|home| home.join("Library").join("Logs").join("handoff-desk"))
    } else if cfg!(windows) {
        dirs::data_local_dir().map(|local| local.join("handoff-desk").join("logs"))
    } else {
        dirs::state_dir().or_else(dirs::data_local_dir).map(|state| state.join("handoff-desk").join("logs"))
    }
}

/// The profile's data directory.
pub fn data_dir(explicit: Option<PathBuf>) -> CoreResult<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("handoff-desk")).ok_or_else(|| CoreError::DataDir {
        path: "(none)".into(),
        reason: format!("the OS has no user data directory; pass --data-dir or set {DATA_DIR_ENV}"),
    })
}

/// A non-empty environment variable.
pub fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Creates `dir` and its missing parents, readable by this user only on Unix (0700): they hold
/// customers' conversations and the app's log.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
