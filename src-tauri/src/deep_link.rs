//! `handoff://` links: the parsing is handoff-core's (`handoff_core::deep_link`, tested there
//! without Tauri); the shell registers the scheme and routes what it parses (lib.rs).

pub use handoff_core::deep_link::{parse, to_link, SCHEME};
