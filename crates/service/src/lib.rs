//! The reference chat service of the Handoff API v1.
//!
//! Start it in-process with [`server::start`] (tests bind `127.0.0.1:0`), or run the
//! `handoff-service` binary.

pub mod access;
pub mod activity;
pub mod api;
pub mod connections;
pub mod demo;
pub mod error;
pub mod replay;
pub mod server;
pub mod store;
pub mod validate;
pub mod wait_notice;
pub mod webhook;

pub use server::{start, ServiceConfig, ServiceHandle, StartError};
pub use store::{SqliteStore, Store};

/// The OpenAPI document of the API, as served at `/v1/openapi.json`.
pub fn openapi_json() -> String {
    use utoipa::OpenApi;
    api::ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
