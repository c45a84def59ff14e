//! Where the model's files are: an explicit folder, `HANDOFF_MODEL_DIR`, the app's bundled
//! resources, or the cache folder the setup scripts fill.

use std::path::{Path, PathBuf};

use crate::error::{EmbedError, EmbedResult};

/// Names a folder holding the model's files (overrides every other place).
pub const MODEL_DIR_ENV: &str = "HANDOFF_MODEL_DIR";
/// The model's folder name, in the app's resources and in the cache.
pub const MODEL_DIR_NAME: &str = "all-minilm-l6-v2";
/// The app's product name: its resource folder on Linux.
const APP_NAME: &str = "Handoff Desk";
/// What a folder must hold to be the model.
pub(crate) const MODEL_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// The places to look for the model, first match wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelLocation {
    candidates: Vec<PathBuf>,
}

impl ModelLocation {
    /// Exactly this folder.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { candidates: vec![dir.into()] }
    }

    /// `HANDOFF_MODEL_DIR` when set; else the app's bundled resources (beside the executable on
    /// Windows, `Contents/Resources` on macOS, `/usr/lib/Handoff Desk` for the .deb), and the
    /// user's cache (`~/.cache/handoff-desk/models`, where the setup scripts put it).
    pub fn standard() -> Self {
        if let Some(dir) = std::env::var_os(MODEL_DIR_ENV).filter(|v| !v.is_empty()) {
            return Self::at(PathBuf::from(dir));
        }
        let mut candidates = Vec::new();
        if let Some(exe_dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)) {
            for resources in [exe_dir.clone(), exe_dir.join("../Resources"), exe_dir.join("../lib").join(APP_NAME)] {
                candidates.push(resources.join("models").join(MODEL_DIR_NAME));
            }
        }
        if let Some(cache) = dirs::cache_dir() {
            candidates.push(cache.join("handoff-desk").join("models").join(MODEL_DIR_NAME));
        }
        Self { candidates }
    }

    /// The first candidate holding every model file.
    pub fn dir(&self) -> EmbedResult<&Path> {
        self.candidates
            .iter()
            .find(|dir| MODEL_FILES.iter().all(|file| dir.join(file).is_file()))
            .map(PathBuf::as_path)
            .ok_or_else(|| EmbedError::Missing { looked_in: self.candidates.clone() })
    }
}
