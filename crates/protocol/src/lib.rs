//! Wire types of the Handoff API v1, shared by the reference service and its clients.
//!
//! Everything here is plain data: serde types, the limits both sides enforce, and the
//! HMAC signing used by the bot-side webhooks. No I/O.

pub mod activity;
pub mod integer;
#[cfg(feature = "log")]
pub mod log;
pub mod model;
pub mod requests;
pub mod signing;

pub use activity::*;
pub use model::*;
pub use requests::*;

/// Largest accepted request body, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Largest accepted message text, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Largest page any list endpoint returns.
pub const MAX_PAGE_LIMIT: u32 = 5_000;
/// Page size used when a request names none.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// The header carrying an agent message's idempotency key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
/// Largest accepted idempotency key, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 200;
/// Longest transfer note, in characters (after trimming).
pub const MAX_TRANSFER_NOTE_CHARS: usize = 500;
/// Most tags one conversation may carry.
pub const MAX_TAGS_PER_CONVERSATION: usize = 20;
/// Longest tag name, in characters.
pub const MAX_TAG_NAME_CHARS: usize = 40;
