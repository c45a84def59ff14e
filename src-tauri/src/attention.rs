//! What asks for the agent's attention outside the page: the unread total in the main window's
//! title, the taskbar / Dock badge and the tray; and which conversation the agent is looking at
//! (open in the focused window), so that a customer's new line there raises no notification.

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::{AppHandle, Manager, Runtime};

use crate::commands::window_title;

/// Per window: the conversation it shows and its customer's name; and which window has focus.
#[derive(Default)]
pub struct Attention {
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    open: HashMap<String, (i64, String)>,
    focused: Option<String>,
    unread: i64,
}

/// "(3) Sam Lee · Handoff Desk": the unread total first, where a taskbar shows it.
pub fn titled(customer: Option<&str>, unread: i64) -> String {
    let base = window_title(customer);
    if unread > 0 {
        format!("({}) {base}", if unread > 99 { "99+".to_string() } else { unread.to_string() })
    } else {
        base
    }
}

impl Attention {
    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The window `label` now shows conversation `id` (None: nothing open).
    pub fn set_open<R: Runtime>(&self, app: &AppHandle<R>, label: &str, open: Option<(i64, String)>) {
        let unread = {
            let mut windows = self.lock();
            match open {
                Some(open) => windows.open.insert(label.to_string(), open),
                None => windows.open.remove(label),
            };
            windows.unread
        };
        self.retitle(app, label, unread);
    }

    pub fn set_focused(&self, label: &str, focused: bool) {
        let mut windows = self.lock();
        if focused {
            windows.focused = Some(label.to_string());
        } else if windows.focused.as_deref() == Some(label) {
            windows.focused = None;
        }
    }

    pub fn window_closed(&self, label: &str) {
        let mut windows = self.lock();
        windows.open.remove(label);
        if windows.focused.as_deref() == Some(label) {
            windows.focused = None;
        }
    }

    /// The conversation on screen in the focused window, if any.
    pub fn focused_conversation(&self) -> Option<i64> {
        let windows = self.lock();
        let label = windows.focused.as_ref()?;
        windows.open.get(label).map(|(id, _)| *id)
    }

    /// Shows a new unread total: main window title, badge (Dock, Unity launchers), overlay dot
    /// (Windows taskbar).
    /// Returns whether the total changed.
    pub fn set_unread<R: Runtime>(&self, app: &AppHandle<R>, unread: i64) -> bool {
        {
            let mut windows = self.lock();
            if windows.unread == unread {
                return false;
            }
            windows.unread = unread;
        }
        self.retitle(app, "main", unread);
        if let Some(window) = app.get_webview_window("main") {
            #[cfg(not(windows))]
            let _ = window.set_badge_count((unread > 0).then_some(unread));
            #[cfg(windows)]
            let _ = window.set_overlay_icon((unread > 0).then(unread_dot));
        }
        true
    }

    fn retitle<R: Runtime>(&self, app: &AppHandle<R>, label: &str, unread: i64) {
        let customer = self.lock().open.get(label).map(|(_, name)| name.clone());
        // Only the main window counts unread; a pop-out window is one conversation.
        let unread = if label == "main" { unread } else { 0 };
        if let Some(window) = app.get_webview_window(label) {
            let _ = window.set_title(&titled(customer.as_deref(), unread));
        }
    }
}

/// A 16×16 red dot for the Windows taskbar button (Windows has no numeric badge).
#[cfg(windows)]
fn unread_dot() -> tauri::image::Image<'static> {
    let mut rgba = vec![0u8; 16 * 16 * 4];
    for y in 0..16 {
        for x in 0..16 {
            let (dx, dy) = (x as f32 - 7.5, y as f32 - 7.5);
            if dx * dx + dy * dy <= 7.0 * 7.0 {
                let i = (y * 16 + x) * 4;
                rgba[i..i + 4].copy_from_slice(&[0xc9, 0x28, 0x1c, 0xff]);
            }
        }
    }
    tauri::image::Image::new_owned(rgba, 16, 16)
}

/// Recomputes the unread total of my conversations from the cache and shows it; true when it
/// changed (the tray then says so too).
pub fn refresh_unread<R: Runtime>(app: &AppHandle<R>, attention: &Attention, engine: &handoff_core::Engine) -> bool {
    match engine.unread_summary() {
        Ok(summary) => attention.set_unread(app, summary.mine_unread),
        Err(error) => {
            tracing::warn!(%error, "the unread total could not be read");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_leads_with_the_unread_total() {
        assert_eq!(titled(Some("Sam Lee"), 0), "Sam Lee · Handoff Desk");
        assert_eq!(titled(Some("Sam Lee"), 3), "(3) Sam Lee · Handoff Desk");
        assert_eq!(titled(None, 120), "(99+) Handoff Desk");
    }

    #[test]
    fn the_focused_window_decides_what_the_agent_is_looking_at() {
        let attention = Attention::default();
        {
            let mut windows = attention.lock();
            windows.open.insert("main".into(), (7, "Sam".into()));
            windows.open.insert("conversation-9".into(), (9, "Ana".into()));
        }
        assert_eq!(attention.focused_conversation(), None);
        attention.set_focused("conversation-9", true);
        assert_eq!(attention.focused_conversation(), Some(9));
        attention.set_focused("main", true);
        assert_eq!(attention.focused_conversation(), Some(7));
        attention.set_focused("main", false);
        assert_eq!(attention.focused_conversation(), None);
        attention.set_focused("conversation-9", true);
        attention.window_closed("conversation-9");
        assert_eq!(attention.focused_conversation(), None);
    }
}
