//! Conversations in windows of their own ("pop-out"). Each is a webview window labelled
//! `conversation-<id>` that loads the same front end with `?conversation=<id>`; opening one that
//! exists brings it to the front. The window-state plugin restores size and position per label,
//! so a conversation's window comes back where the agent last put it.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// The label prefix of pop-out windows; `capabilities/default.json` grants them the event API.
pub const LABEL_PREFIX: &str = "conversation-";

pub fn label(id: i64) -> String {
    format!("{LABEL_PREFIX}{id}")
}

/// Opens conversation `id` in its own window, or brings that window to the front.
pub fn open<R: Runtime>(app: &AppHandle<R>, id: i64, title: &str) -> tauri::Result<()> {
    let label = label(id);
    if let Some(window) = app.get_webview_window(&label) {
        let _ = window.unminimize();
        window.show()?;
        return window.set_focus();
    }
    let window =
        WebviewWindowBuilder::new(app, &label, WebviewUrl::App(format!("index.html?conversation={id}").into()))
            .title(title)
            .inner_size(760.0, 780.0)
            .min_inner_size(520.0, 440.0)
            .build()?;
    window.set_focus()
}
