//! Desktop integration: native notifications (click → that conversation), the tray icon and
//! bringing the window to the front.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use handoff_core::notifications::Notice;
use handoff_core::Engine;
use handoff_protocol::Presence;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager};

use crate::session::{notice_target, AppState};

const TRAY_ID: &str = "main";
const WAITING_ITEM: &str = "waiting";

/// `HANDOFF_DESK_QUIT_ON_CLOSE=1` makes closing the window quit (kiosk setups, some tests).
pub fn quit_on_close() -> bool {
    std::env::var("HANDOFF_DESK_QUIT_ON_CLOSE").as_deref() == Ok("1")
}

pub fn bring_to_front(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Shows `notice` through the desktop's notification daemon; its default action (a click)
/// brings the window to the front with the conversation (or the queue) open.
pub fn show_notification(app: &AppHandle, notice: Notice) {
    // The id of the summary on screen, so the next one replaces it instead of piling up.
    static SUMMARY_ID: AtomicU32 = AtomicU32::new(0);
    let target = notice_target(&notice);
    let app = app.clone();
    // The D-Bus calls block; keep them off the async runtime.
    std::thread::spawn(move || {
        let (title, body, sound, replaces) = match &notice {
            Notice::Escalation { title, body, sound, .. } => (title, body, *sound, None),
            Notice::Summary { title, body, sound, .. } => {
                (title, body, *sound, Some(SUMMARY_ID.load(Ordering::SeqCst)).filter(|id| *id != 0))
            }
            Notice::Review { title, body } => (title, body, false, None),
        };
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Handoff Desk")
            .summary(title)
            // Servers may read markup in the body; customer text must stay text.
            .body(&escape_markup(body))
            .icon("handoff-desk")
            .hint(notify_rust::Hint::Category("im.received".into()))
            .action("default", "Open");
        if sound {
            notification.sound_name("message-new-instant");
        }
        if let Some(id) = replaces {
            notification.id(id);
        }
        let handle = match notification.show() {
            Ok(handle) => handle,
            Err(error) => {
                tracing::warn!(%error, "the notification could not be shown");
                return;
            }
        };
        if matches!(notice, Notice::Summary { .. }) {
            SUMMARY_ID.store(handle.id(), Ordering::SeqCst);
        }
        handle.wait_for_action(|action| {
            if action == "default" {
                crate::navigate(&app, target.clone());
            }
        });
    });
}

fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn tray_tooltip(waiting: i64) -> String {
    match waiting {
        0 => "Handoff Desk — nobody waiting".into(),
        1 => "Handoff Desk — 1 conversation waiting".into(),
        n => format!("Handoff Desk — {n} conversations waiting"),
    }
}

pub fn install_tray(app: &AppHandle, state: &Arc<AppState>) -> tauri::Result<()> {
    let waiting = MenuItem::with_id(app, WAITING_ITEM, tray_tooltip(0), false, None::<&str>)?;
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
        TrayIconBuilder::with_id(TRAY_ID).tooltip(tray_tooltip(0)).menu(&menu).show_menu_on_left_click(false);
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

/// Puts the waiting count in the tray's tooltip and menu.
pub fn refresh_tray(app: &AppHandle, engine: &Engine) {
    let waiting = engine.store().waiting_count().unwrap_or(0);
    let text = tray_tooltip(waiting);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(&text));
    }
    if let Some(item) = app.try_state::<WaitingItem>() {
        let _ = item.0.set_text(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_text_is_never_markup() {
        assert_eq!(escape_markup("<b>hi</b> & <script>"), "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;");
        assert_eq!(tray_tooltip(3), "Handoff Desk — 3 conversations waiting");
        assert_eq!(tray_tooltip(1), "Handoff Desk — 1 conversation waiting");
    }
}
