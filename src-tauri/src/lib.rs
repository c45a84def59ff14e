//! The desktop shell of Handoff Desk. Thin by design: it owns the core engine (all logic lives
//! in `handoff-core`), turns engine events into UI events and native notifications, and exposes
//! typed commands to the front end.

pub mod bindings;
pub mod commands;
mod desktop;
pub mod review;
pub mod session;
mod types;

use std::sync::Arc;

use tauri::{Emitter, Manager, RunEvent, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;

pub use types::*;

use crate::session::AppState;

static LAUNCHED_AT: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// When this process started its `main`.
pub fn launched_at() -> std::time::Instant {
    *LAUNCHED_AT.get_or_init(std::time::Instant::now)
}

/// `handoff://conversation/42` → the conversation to open.
pub fn parse_deep_link(url: &str) -> Option<NavigateTarget> {
    let rest = url.trim().strip_prefix("handoff://")?;
    let rest = rest.trim_end_matches('/');
    if rest == "queue" {
        return Some(NavigateTarget::Queue);
    }
    let id = rest.strip_prefix("conversation/")?.parse::<i64>().ok()?;
    Some(NavigateTarget::Conversation { id })
}

/// Shows the main window, in front, and opens `target` in it.
pub fn navigate(app: &tauri::AppHandle, target: NavigateTarget) {
    desktop::bring_to_front(app);
    if let Some(state) = app.try_state::<Arc<AppState>>() {
        state.set_pending_navigation(target.clone());
    }
    let _ = app.emit(DESK_EVENT, DeskEvent::Navigate { target });
}

fn open_urls(app: &tauri::AppHandle, urls: impl IntoIterator<Item = String>) {
    for url in urls {
        match parse_deep_link(&url) {
            Some(target) => navigate(app, target),
            None => tracing::warn!(%url, "ignoring an unknown handoff:// link"),
        }
    }
}

pub fn run() {
    launched_at();
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() && std::env::var_os("HANDOFF_DESK_GPU").is_none() {
        // A queue and transcripts need no GPU compositing; without it WebKit's web process uses
        // ~90 MB less and the first paint comes ~0.5 s sooner (docs/benchmarks.md).
        // HANDOFF_DESK_GPU=1 keeps compositing on. Set before GTK starts: no other thread yet.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANDOFF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tao=warn,wry=warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let app = tauri::Builder::default()
        // First: a second launch hands its arguments (a deep link) to this instance and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            desktop::bring_to_front(app);
            open_urls(app, argv.into_iter().filter(|a| a.starts_with("handoff://")));
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let handle = app.handle().clone();
            let state = tauri::async_runtime::block_on(AppState::start())?;
            app.manage(state.clone());
            desktop::install_tray(&handle, &state)?;
            session::spawn_event_bridge(handle.clone(), state.clone());
            review::spawn_reminder(handle.clone(), state.clone());
            let links = handle.clone();
            app.deep_link().on_open_url(move |event| {
                open_urls(&links, event.urls().into_iter().map(|u| u.to_string()));
            });
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                open_urls(&handle, urls.into_iter().map(|u| u.to_string()));
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps the app running in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if !desktop::quit_on_close() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            eprintln!("error: Handoff Desk could not start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<Arc<AppState>>() {
                tauri::async_runtime::block_on(state.stop());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_name_a_conversation_or_the_queue() {
        assert_eq!(parse_deep_link("handoff://conversation/42"), Some(NavigateTarget::Conversation { id: 42 }));
        assert_eq!(parse_deep_link("handoff://conversation/42/"), Some(NavigateTarget::Conversation { id: 42 }));
        assert_eq!(parse_deep_link("handoff://queue"), Some(NavigateTarget::Queue));
        assert_eq!(parse_deep_link("handoff://conversation/abc"), None);
        assert_eq!(parse_deep_link("https://conversation/42"), None);
        assert_eq!(parse_deep_link("handoff://settings"), None);
    }
}
