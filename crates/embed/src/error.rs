use std::path::PathBuf;

pub type EmbedResult<T> = Result<T, EmbedError>;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "the language model is not installed (looked in {}): run scripts/fetch-model.sh, or set {} to its folder",
        .looked_in.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        crate::MODEL_DIR_ENV
    )]
    Missing { looked_in: Vec<PathBuf> },
    #[error("the language model in {dir} cannot be read ({reason}): reinstall it with scripts/fetch-model.sh")]
    Broken { dir: PathBuf, reason: String },
    #[error("the language model failed on a text: {0}")]
    Inference(String),
}

impl From<candle_core::Error> for EmbedError {
    fn from(error: candle_core::Error) -> Self {
        Self::Inference(error.to_string())
    }
}
