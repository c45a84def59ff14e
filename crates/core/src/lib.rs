//! The Handoff Desk client engine, free of any UI framework: an offline-first SQLite cache of
//! the handoff queues, live sync with the service's change feed, a durable outbox for replies,
//! and the queries front ends show.
//!
//! Data flows one way round a loop: service change feed → [`sync`] → [`store`] → events →
//! front end; and back: front end → outbox ([`store`]) → [`api`] → service.

pub mod api;
pub mod credentials;
pub mod deep_link;
pub mod engine;
pub mod error;
pub mod file_names;
pub mod insights;
pub mod links;
pub mod live;
pub mod notifications;
pub mod preferences;
pub mod profile;
pub mod question_vectors;
pub mod sse;
pub mod store;
pub mod sync;
pub mod views;

pub use engine::Engine;
pub use error::{CoreError, CoreResult};
pub use store::LocalStore;
pub use views::*;
