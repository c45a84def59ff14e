//! Where a profile keeps its data: `--data-dir`, else `HANDOFF_DATA_DIR`, else the OS data dir.

use std::path::PathBuf;

use crate::error::{CoreError, CoreResult};

pub const DATA_DIR_ENV: &str = "HANDOFF_DATA_DIR";
pub const SERVER_ENV: &str = "HANDOFF_SERVER";
pub const TOKEN_ENV: &str = "HANDOFF_TOKEN";

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
