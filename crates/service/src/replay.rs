//! The signatures of intake requests accepted inside the replay window, so that a captured,
//! validly signed request is taken once and never again.
//!
//! A signature stays valid for [`REPLAY_WINDOW_SECS`] after its signed timestamp; after that the
//! timestamp check refuses it anyway, so an entry is forgotten then. The cache is in memory and
//! bounded: when it is full of live entries the service refuses new intake (429) instead of
//! forgetting a signature that could still be replayed. A restart forgets everything, so a
//! request captured before a restart could be replayed once after it within its window; intake
//! stays idempotent on `external_id` and `message_id` for that case.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use handoff_protocol::signing::REPLAY_WINDOW_SECS;

/// Signatures remembered at most, by default: 100 000 intake requests in five minutes (333 a
/// second) is far above any platform's rate, and costs a few MiB.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayError {
    /// This exact signature was accepted before.
    Replayed,
    /// The cache holds `capacity` live signatures.
    Full { capacity: usize },
}

#[derive(Default)]
struct Inner {
    /// Signature → unix second after which it can be forgotten.
    seen: HashMap<[u8; 32], i64>,
    /// The same entries, soonest expiry first.
    expiries: BinaryHeap<Reverse<(i64, [u8; 32])>>,
}

pub struct ReplayCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl ReplayCache {
    pub fn new(capacity: usize) -> Self {
        Self { inner: Mutex::new(Inner::default()), capacity: capacity.max(1) }
    }

    /// Records `mac` signed at `timestamp`; refuses one recorded before. Check and record are one
    /// step, so of two identical requests racing, exactly one passes.
    pub fn check_and_record(&self, mac: [u8; 32], timestamp: i64, now: i64) -> Result<(), ReplayError> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(Reverse((expires, key))) = inner.expiries.peek().copied() {
            if expires >= now {
                break;
            }
            inner.expiries.pop();
            inner.seen.remove(&key);
        }
        if inner.seen.contains_key(&mac) {
            return Err(ReplayError::Replayed);
        }
        if inner.seen.len() >= self.capacity {
            return Err(ReplayError::Full { capacity: self.capacity });
        }
        let expires = timestamp.saturating_add(REPLAY_WINDOW_SECS);
        inner.seen.insert(mac, expires);
        inner.expiries.push(Reverse((expires, mac)));
        Ok(())
    }

    /// Signatures remembered now (expired ones are dropped on the next check).
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_passes_once_until_it_expires() {
        let cache = ReplayCache::new(10);
        assert_eq!(cache.check_and_record([1; 32], 1_000, 1_000), Ok(()));
        assert_eq!(cache.check_and_record([1; 32], 1_000, 1_001), Err(ReplayError::Replayed));
        assert_eq!(cache.check_and_record([1; 32], 1_000, 1_000 + REPLAY_WINDOW_SECS), Err(ReplayError::Replayed));
        // Past the window the timestamp check refuses it anyway, so the entry goes.
        assert_eq!(cache.check_and_record([2; 32], 1_400, 1_000 + REPLAY_WINDOW_SECS + 1), Ok(()));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_full_cache_refuses_instead_of_forgetting_live_signatures() {
        let cache = ReplayCache::new(2);
        assert_eq!(cache.check_and_record([1; 32], 100, 100), Ok(()));
        assert_eq!(cache.check_and_record([2; 32], 100, 100), Ok(()));
        assert_eq!(cache.check_and_record([3; 32], 100, 100), Err(ReplayError::Full { capacity: 2 }));
        assert_eq!(cache.check_and_record([1; 32], 100, 101), Err(ReplayError::Replayed));
        assert_eq!(cache.check_and_record([3; 32], 500, 500), Ok(()), "room again once the others expired");
    }
}
