//! What the engine works out from the cache for the handoff itself: key facts, the context card
//! and its greeting — and, over a period, the review of what handoffs keep asking about.

pub mod canned;
pub mod cluster;
pub mod context;
pub mod facts;
pub mod review;
pub mod semantic;
