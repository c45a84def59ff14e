//! What the engine works out from the cache for the handoff itself: key facts, the context card
//! and its greeting.

pub mod context;
pub mod facts;
