//! Recently opened transcripts, kept in memory: reopening one costs a signature check instead of
//! reading and decoding every message again. An entry is used only while the signature of the
//! conversation in the cache (version, message count, outbox state) is the one it was built at,
//! so no write path needs to remember to invalidate it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::views::ConversationView;

/// How many transcripts stay in memory.
const CAPACITY: usize = 16;

#[derive(Default)]
pub struct TranscriptCache {
    entries: Mutex<HashMap<i64, Entry>>,
}

struct Entry {
    signature: String,
    view: Arc<ConversationView>,
    last_used: u64,
}

impl TranscriptCache {
    fn tick(entries: &HashMap<i64, Entry>) -> u64 {
        entries.values().map(|e| e.last_used).max().unwrap_or(0) + 1
    }

    pub fn get(&self, id: i64, signature: &str) -> Option<Arc<ConversationView>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let tick = Self::tick(&entries);
        let entry = entries.get_mut(&id).filter(|e| e.signature == signature)?;
        entry.last_used = tick;
        Some(entry.view.clone())
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn put(&self, id: i64, signature: String, view: Arc<ConversationView>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&id) {
            if let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.last_used).map(|(id, _)| *id) {
                entries.remove(&oldest);
            }
        }
        let last_used = Self::tick(&entries);
        entries.insert(id, Entry { signature, view, last_used });
    }
}
