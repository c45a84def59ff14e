//! Linux (and the BSDs): the freedesktop notification service over D-Bus. A click runs the
//! notification's default action; a thread per notification waits for it.

use std::sync::Arc;

use super::{Alert, ClickHandler, Notifier};
use crate::types::{NotificationPermission, PermissionState};

pub struct FreedesktopNotifier {
    on_click: ClickHandler,
    /// The daemon's id of each slot's notification on screen, so the next one replaces it.
    slots: Arc<std::sync::Mutex<std::collections::HashMap<&'static str, u32>>>,
}

impl FreedesktopNotifier {
    pub fn new(on_click: ClickHandler) -> Self {
        Self { on_click, slots: Default::default() }
    }
}

impl Notifier for FreedesktopNotifier {
    fn show(&self, alert: Alert) {
        let on_click = self.on_click.clone();
        let slots = self.slots.clone();
        // The D-Bus calls block; keep them off the async runtime and the main thread.
        std::thread::spawn(move || {
            let replaces = alert.slot.and_then(|slot| slots.lock().ok()?.get(slot).copied());
            let mut notification = notify_rust::Notification::new();
            notification
                .appname("Handoff Desk")
                .summary(&alert.title)
                // Servers may read markup in the body; customer text must stay text.
                .body(&escape_markup(&alert.body))
                .icon("handoff-desk")
                .hint(notify_rust::Hint::Category("im.received".into()))
                .action("default", "Open");
            if alert.sound {
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
            if let (Some(slot), Ok(mut slots)) = (alert.slot, slots.lock()) {
                slots.insert(slot, handle.id());
            }
            let target = alert.target;
            handle.wait_for_action(|action| {
                if action == "default" {
                    on_click(target.clone());
                }
            });
        });
    }

    fn permission(&self) -> NotificationPermission {
        match notify_rust::get_server_information() {
            Ok(server) => NotificationPermission::granted(format!("{} {}", server.name, server.version)),
            Err(error) => NotificationPermission::new(
                PermissionState::Unavailable,
                "no notification service",
                Some(format!(
                    "No notification service answers on this desktop ({error}). Log in to a desktop \
                     that shows notifications, or start a notification daemon such as dunst or mako."
                )),
            ),
        }
    }
}

fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_text_is_never_markup() {
        assert_eq!(escape_markup("<b>hi</b> & <script>"), "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;");
    }
}
