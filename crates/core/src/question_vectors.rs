//! The review's sentence vectors: made in the background after each sync lands handoffs in the
//! cache, stored beside them, and read by the review — which therefore never waits for the model
//! over thousands of questions.
//!
//! The model is loaded when there is work and dropped when the work is done (it holds ~90 MB
//! while loaded): an app with no review open and nothing new to read holds none of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};

use handoff_embed::{Embedder, ModelLocation};
use tokio::sync::{watch, Notify};

use crate::engine::Engine;
use crate::error::CoreResult;
use crate::insights::review::{self, Grouping};
use crate::store::LocalStore;

/// Handoffs embedded per round (one read, one model run, one write transaction).
const ROUND: usize = 256;
/// Questions the review embeds itself when the background has not got to them yet; with more
/// missing, the review groups by words and says so rather than keep the agent waiting.
pub const REVIEW_EMBEDS_AT_MOST: usize = 256;

/// The model, loaded on first use and shared while anyone uses it; dropped with its last user.
pub struct ModelSlot {
    location: RwLock<ModelLocation>,
    loaded: Mutex<Weak<dyn Embedder>>,
    /// Poked when handoffs may have landed without vectors.
    pub(crate) wake: Notify,
}

impl ModelSlot {
    pub fn new(location: ModelLocation) -> Self {
        let nothing: Weak<dyn Embedder> = Weak::<handoff_embed::MiniLm>::new();
        Self { location: RwLock::new(location), loaded: Mutex::new(nothing), wake: Notify::new() }
    }

    pub fn set_location(&self, location: ModelLocation) {
        *self.location.write().unwrap_or_else(|p| p.into_inner()) = location;
        *self.loaded.lock().unwrap_or_else(|p| p.into_inner()) = Weak::<handoff_embed::MiniLm>::new();
        self.wake.notify_one();
    }

    /// The model (loading it when nobody holds it), or why it cannot be had.
    pub fn acquire(&self) -> Result<Arc<dyn Embedder>, handoff_embed::EmbedError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(model) = loaded.upgrade() {
            return Ok(model);
        }
        let location = self.location.read().unwrap_or_else(|p| p.into_inner()).clone();
        let model: Arc<dyn Embedder> = Arc::from(handoff_embed::load(&location)?);
        *loaded = Arc::downgrade(&model);
        Ok(model)
    }

    /// Whether a model is in memory now (for tests of the memory promise).
    pub fn is_loaded(&self) -> bool {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).strong_count() > 0
    }
}

/// Embeds the questions of `conversations` and stores the vectors.
fn embed_and_store(
    store: &LocalStore,
    model: &dyn Embedder,
    questions: Vec<(i64, String)>,
) -> CoreResult<HashMap<i64, Vec<f32>>> {
    if questions.is_empty() {
        return Ok(HashMap::new());
    }
    let texts: Vec<&str> = questions.iter().map(|(_, q)| q.as_str()).collect();
    let vectors = model.embed(&texts).map_err(|e| crate::CoreError::Invalid(e.to_string()))?;
    let rows: Vec<(i64, String, Vec<f32>)> =
        questions.into_iter().zip(vectors).map(|((id, question), vector)| (id, question, vector)).collect();
    store.save_question_vectors(model.model_id(), &rows)?;
    Ok(rows.into_iter().map(|(id, _, vector)| (id, vector)).collect())
}

impl Engine {
    /// Where the review's model is (the desktop passes its bundled resources).
    pub fn set_model_location(&self, location: ModelLocation) {
        self.model.set_location(location);
    }

    /// Whether the review's model is in memory right now.
    pub fn model_loaded(&self) -> bool {
        self.model.is_loaded()
    }

    /// Embeds every cached handoff that has no vector yet, newest first, in rounds; returns how
    /// many were embedded. Blocking: runs on a worker thread, the model on its own threads.
    pub fn embed_pending_questions(&self) -> CoreResult<usize> {
        self.embed_pending_until(&|| false)
    }

    /// The same, stopping between rounds once `stop` says so.
    fn embed_pending_until(&self, stop: &dyn Fn() -> bool) -> CoreResult<usize> {
        let store = self.store();
        let mut model: Option<Arc<dyn Embedder>> = None;
        let mut done = 0;
        loop {
            let model_id = match &model {
                Some(model) => model.model_id().to_string(),
                None => handoff_embed::MINILM_ID.to_string(),
            };
            let (conversations, messages) = store.handoffs_without_vectors(&model_id, ROUND)?;
            if conversations.is_empty() || stop() {
                return Ok(done);
            }
            let model = match &model {
                Some(model) => model.clone(),
                None => match self.model.acquire() {
                    Ok(loaded) => model.insert(loaded).clone(),
                    Err(error) => {
                        tracing::info!(%error, "questions are not embedded; the review groups by words");
                        return Ok(done);
                    }
                },
            };
            let questions: Vec<(i64, String)> = conversations
                .iter()
                .map(|c| (c.id, review::handoff_question(c, messages.get(&c.id).map_or(&[][..], Vec::as_slice))))
                .collect();
            let count = questions.len();
            embed_and_store(store, model.as_ref(), questions)?;
            done += count;
        }
    }

    /// Runs [`Engine::embed_pending_questions`] whenever handoffs may have landed.
    pub(crate) async fn embed_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            let engine = self.clone();
            let stopping = shutdown.clone();
            let work = move || engine.embed_pending_until(&|| *stopping.borrow());
            match tokio::task::spawn_blocking(work).await {
                Ok(Ok(0)) => {}
                Ok(Ok(count)) => tracing::debug!(count, "questions embedded"),
                Ok(Err(error)) => tracing::warn!(%error, "embedding questions failed"),
                Err(error) => tracing::warn!(%error, "the embedding task failed"),
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = self.model.wake.notified() => {
                    // Coalesce a burst of changes into one round.
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// How the review of these handoffs can group: by meaning when every question has a vector
    /// (embedding up to [`REVIEW_EMBEDS_AT_MOST`] missing ones now), else by words, with why.
    pub(crate) fn review_grouping(
        &self,
        conversations: &[handoff_protocol::Conversation],
        messages: &crate::store::MessagesByConversation,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<Grouping> {
        let store = self.store();
        let handoffs: Vec<(i64, String)> = conversations
            .iter()
            .filter(|c| c.handoff.as_ref().is_some_and(|h| h.escalated_at >= since && h.escalated_at <= until))
            .map(|c| (c.id, review::handoff_question(c, messages.get(&c.id).map_or(&[][..], Vec::as_slice))))
            .collect();
        if handoffs.is_empty() {
            return Ok(Grouping::Words { note: None });
        }
        let stored = store.question_vectors_between(handoff_embed::MINILM_ID, since, until)?;
        let mut vectors: HashMap<i64, Vec<f32>> = HashMap::new();
        let mut missing: Vec<(i64, String)> = Vec::new();
        for (id, question) in handoffs {
            match stored.get(&id) {
                Some((stored_question, vector)) if *stored_question == question => {
                    vectors.insert(id, vector.clone());
                }
                _ => missing.push((id, question)),
            }
        }
        if missing.len() > REVIEW_EMBEDS_AT_MOST {
            self.model.wake.notify_one();
            let total = vectors.len() + missing.len();
            return Ok(Grouping::Words {
                note: Some(format!(
                    "Grouped by shared words: the on-device language model is still reading {} of these {total} \
                     questions in the background. Open the review again in a minute to group them by meaning.",
                    missing.len()
                )),
            });
        }
        if !missing.is_empty() {
            let model = match self.model.acquire() {
                Ok(model) => model,
                Err(error) => return Ok(Grouping::Words { note: Some(words_because(&error)) }),
            };
            match embed_and_store(store, model.as_ref(), missing) {
                Ok(made) => vectors.extend(made),
                Err(error) => return Ok(Grouping::Words { note: Some(words_because(&error)) }),
            }
        }
        Ok(Grouping::Meaning { model: handoff_embed::MINILM_ID.to_string(), vectors })
    }
}

fn words_because(error: &dyn std::fmt::Display) -> String {
    format!("Grouped by shared words, not by meaning: {error}.")
}
