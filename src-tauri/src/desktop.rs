//! Desktop integration: the tray icon (the menu bar on macOS) and bringing the window to the
//! front. Notifications are in `notifier`.

use std::sync::Arc;

use handoff_core::Engine;
use handoff_protocol::Presence;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::session::AppState;

const TRAY_ID: &str = "main";
const WAITING_ITEM: &str = "waiting";

/// `HANDOFF_DESK_QUIT_ON_CLOSE=1` makes closing the window quit (kiosk setups, some tests).
pub fn quit_on_close() -> bool {
    std::env::var("HANDOFF_DESK_QUIT_ON_CLOSE").as_deref() == Ok("1")
}

pub fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

fn tray_tooltip(waiting: i64, unread: i64) -> String {
    let waiting = match waiting {
        0 => "Handoff Desk — nobody waiting".to_string(),
        1 => "Handoff Desk — 1 conversation waiting".to_string(),
        n => format!("Handoff Desk — {n} conversations waiting"),
    };
    match unread {
        0 => waiting,
        1 => format!("{waiting} · 1 unread line in yours"),
        n => format!("{waiting} · {n} unread lines in yours"),
    }
}

pub fn install_tray(app: &AppHandle, state: &Arc<AppState>) -> tauri::Result<()> {
    let waiting = MenuItem::with_id(app, WAITING_ITEM, tray_tooltip(0, 0), false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Handoff Desk", true, None::<&str>)?;
    let available = MenuItem::with_id(app, "available", "Set presence: Available", true, None::<&str>)?;
    let away = MenuItem::with_id(app, "away", "Set presence: Away", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &waiting,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &available,
            &away,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let state = state.clone();
    let mut builder =
        TrayIconBuilder::with_id(TRAY_ID).tooltip(tray_tooltip(0, 0)).menu(&menu).show_menu_on_left_click(false);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder
        .on_menu_event(move |app, event| match event.id().as_ref() {
            "open" => bring_to_front(app),
            "available" | "away" => {
                let presence = if event.id().as_ref() == "available" { Presence::Available } else { Presence::Away };
                let engine = state.engine();
                tauri::async_runtime::spawn(async move {
                    if let Err(error) = engine.set_presence(presence).await {
                        tracing::warn!(%error, "presence not changed from the tray");
                    }
                });
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                bring_to_front(tray.app_handle());
            }
        })
        .build(app)?;
    // Keep the menu item to update its text with the waiting count.
    app.manage(WaitingItem(waiting));
    Ok(())
}

struct WaitingItem(MenuItem<tauri::Wry>);

/// Puts the waiting count and my unread lines in the tray's tooltip and menu.
pub fn refresh_tray<R: Runtime>(app: &AppHandle<R>, engine: &Engine) {
    let waiting = engine.store().waiting_count().unwrap_or(0);
    let unread = engine.unread_summary().map(|u| u.mine_unread).unwrap_or(0);
    let text = tray_tooltip(waiting, unread);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(&text));
        // The menu bar shows no tooltip until hovered: put the count beside the icon.
        #[cfg(target_os = "macos")]
        let _ = tray.set_title((waiting > 0).then(|| waiting.to_string()));
    }
    if let Some(item) = app.try_state::<WaitingItem>() {
        let _ = item.0.set_text(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_says_how_many_wait() {
        assert_eq!(tray_tooltip(0, 0), "Handoff Desk — nobody waiting");
        assert_eq!(tray_tooltip(3, 0), "Handoff Desk — 3 conversations waiting");
        assert_eq!(tray_tooltip(1, 0), "Handoff Desk — 1 conversation waiting");
        assert_eq!(tray_tooltip(1, 2), "Handoff Desk — 1 conversation waiting · 2 unread lines in yours");
    }
}
