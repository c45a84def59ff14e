//! The desktop shell of Handoff Desk. Thin by design: it owns the core engine (all logic lives
//! in `handoff-core`), turns engine events into UI events and native notifications, and exposes
//! typed commands to the front end.

mod attention;
pub mod bindings;
pub mod commands;
mod conversation_windows;
pub mod deep_link;
mod desktop;
mod due_notices;
mod logging;
pub mod notifier;
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

/// The argument the login item starts the app with: straight to the tray, no window.
pub const BACKGROUND_ARG: &str = "--background";

/// Shows the main window, in front, and opens `target` in it.
pub fn navigate<R: tauri::Runtime>(app: &tauri::AppHandle<R>, target: NavigateTarget) {
    desktop::bring_to_front(app);
    if let Some(state) = app.try_state::<Arc<AppState>>() {
        state.set_pending_navigation(target.clone());
    }
    let _ = app.emit(DESK_EVENT, DeskEvent::Navigate { target });
}

fn open_urls(app: &tauri::AppHandle, urls: impl IntoIterator<Item = String>) {
    for url in urls {
        match deep_link::parse(&url) {
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
    let _log_writer = logging::init();

    let app = tauri::Builder::default()
        // First: a second launch hands its arguments (a deep link) to this instance and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // The login item starting while the app already runs changes nothing.
            if argv.iter().any(|arg| arg == BACKGROUND_ARG) {
                return;
            }
            desktop::bring_to_front(app);
            open_urls(app, argv.into_iter().filter(|a| a.starts_with("handoff://")));
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_autostart::Builder::new().arg(BACKGROUND_ARG).build())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let handle = app.handle().clone();
            // First, so that a click that launched the app (macOS) finds its handler.
            notifier::install(&handle);
            // An installer registers handoff:// for the installed copy; a portable copy or a
            // development build registers itself for this user, so that toast clicks reach it.
            #[cfg(windows)]
            if let Err(error) = app.deep_link().register_all() {
                tracing::warn!(%error, "handoff:// links could not be registered");
            }
            if std::env::args().any(|arg| arg == BACKGROUND_ARG) {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.hide();
                }
            }
            app.manage(attention::Attention::default());
            let state = tauri::async_runtime::block_on(AppState::start())?;
            app.manage(state.clone());
            desktop::install_tray(&handle, &state)?;
            session::spawn_event_bridge(handle.clone(), state.clone());
            review::spawn_reminder(handle.clone(), state.clone());
            due_notices::spawn(handle.clone(), state.clone());
            let links = handle.clone();
            app.deep_link().on_open_url(move |event| {
                open_urls(&links, event.urls().into_iter().map(|u| u.to_string()));
            });
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                open_urls(&handle, urls.into_iter().map(|u| u.to_string()));
            }
            Ok(())
        })
        .on_window_event(|window, event| match event {
            // Closing the main window keeps the app running in the tray; a conversation's own
            // window just closes.
            WindowEvent::CloseRequested { api, .. } if window.label() == "main" && !desktop::quit_on_close() => {
                api.prevent_close();
                let _ = window.hide();
            }
            WindowEvent::Focused(focused) => {
                if let Some(attention) = window.try_state::<attention::Attention>() {
                    attention.set_focused(window.label(), *focused);
                }
            }
            WindowEvent::Destroyed => {
                if let Some(attention) = window.try_state::<attention::Attention>() {
                    attention.window_closed(window.label());
                }
            }
            _ => {}
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
    app.run(|handle, event| match event {
        RunEvent::Exit => {
            if let Some(state) = handle.try_state::<Arc<AppState>>() {
                tauri::async_runtime::block_on(state.stop());
            }
        }
        // A click on the Dock icon brings back the window that closing hid.
        #[cfg(target_os = "macos")]
        RunEvent::Reopen { .. } => desktop::bring_to_front(handle),
        _ => {}
    });
}
