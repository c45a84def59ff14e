//! On-device sentence embeddings for the review: the same question in other words lands close
//! together ("I was billed two times" / "you took my money twice").
//!
//! The review only knows the [`Embedder`] trait. The one model behind it today is
//! all-MiniLM-L6-v2 ([`MiniLm`]), run with candle on the CPU from files that ship with the app
//! (never fetched at run time). When the files are missing or broken, [`load`] says why and the
//! review groups by words instead.

mod error;
mod location;
mod minilm;

pub use error::{EmbedError, EmbedResult};
pub use location::{ModelLocation, MODEL_DIR_ENV, MODEL_DIR_NAME};
pub use minilm::{MiniLm, MINILM_ID};

/// Turns texts into unit-length vectors whose dot product is their cosine similarity.
pub trait Embedder: Send + Sync {
    /// Names the model and its weights; a vector stored under another id is stale.
    fn model_id(&self) -> &str;
    /// Length of every vector.
    fn dimensions(&self) -> usize;
    /// One L2-normalised vector per text, in order.
    fn embed(&self, texts: &[&str]) -> EmbedResult<Vec<Vec<f32>>>;
}

/// Loads the model from `location`, or says why it cannot.
pub fn load(location: &ModelLocation) -> EmbedResult<Box<dyn Embedder>> {
    let dir = location.dir()?;
    Ok(Box::new(MiniLm::load(dir)?))
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
