//! Native notifications: one small trait, one implementation per system, picked by `cfg`. The
//! rest of the app hands over an [`Alert`] and never learns which system it runs on.
//!
//! | system  | implementation | a click …                                                       |
//! |---------|----------------|-----------------------------------------------------------------|
//! | Linux   | `freedesktop`  | runs the default action, which the shell turns into navigation  |
//! | Windows | `windows`      | launches the toast's `handoff://` link (protocol activation), which the deep-link and single-instance plugins route into the running app — also from the Action Center, and when the app is not running |
//! | macOS   | `macos`        | reaches the User Notifications delegate, which navigates        |

use std::sync::Arc;

use handoff_core::notifications::Notice;
use tauri::{AppHandle, Manager, Runtime};

use crate::types::{NavigateTarget, NotificationPermission};

#[cfg(all(unix, not(target_os = "macos")))]
mod freedesktop;
#[cfg(target_os = "macos")]
mod macos;
// Built everywhere so that the toast's XML is tested on every system; shown only on Windows.
#[cfg_attr(not(windows), allow(dead_code))]
mod toast_xml;
#[cfg(windows)]
mod windows;

/// One notification, as every system shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub title: String,
    /// Plain text (customer words): each notifier escapes it for its system.
    pub body: String,
    pub sound: bool,
    /// What a click opens.
    pub target: NavigateTarget,
    /// Alerts with the same slot replace each other on screen (the backlog summary); others stack.
    pub slot: Option<&'static str>,
}

impl Alert {
    /// Alerts with the same tag replace each other on screen: one per conversation, one summary,
    /// one reminder. (Windows keeps tags to 64 characters.)
    pub fn tag(&self) -> String {
        match (self.slot, &self.target) {
            (Some(slot), _) => slot.to_string(),
            (None, NavigateTarget::Conversation { id }) => format!("conversation-{id}"),
            (None, NavigateTarget::Queue) => "queue".into(),
            (None, NavigateTarget::Review) => "review".into(),
        }
    }
}

impl From<&Notice> for Alert {
    fn from(notice: &Notice) -> Self {
        match notice {
            Notice::Escalation { conversation_id, title, body, sound } => Alert {
                title: title.clone(),
                body: body.clone(),
                sound: *sound,
                target: NavigateTarget::Conversation { id: *conversation_id },
                slot: None,
            },
            Notice::Summary { title, body, sound, .. } => Alert {
                title: title.clone(),
                body: body.clone(),
                sound: *sound,
                target: NavigateTarget::Queue,
                slot: Some("summary"),
            },
            Notice::Review { title, body } => Alert {
                title: title.clone(),
                body: body.clone(),
                sound: false,
                target: NavigateTarget::Review,
                slot: Some("review"),
            },
            // A customer's new line, an overdue first reply, a snooze that ended: each takes its
            // conversation's slot, so a burst in one conversation stays one notification.
            Notice::CustomerMessage { conversation_id, title, body, sound } => Alert {
                title: title.clone(),
                body: body.clone(),
                sound: *sound,
                target: NavigateTarget::Conversation { id: *conversation_id },
                slot: None,
            },
            Notice::Overdue { conversation_id, title, body } | Notice::SnoozeOver { conversation_id, title, body } => {
                Alert {
                    title: title.clone(),
                    body: body.clone(),
                    sound: false,
                    target: NavigateTarget::Conversation { id: *conversation_id },
                    slot: None,
                }
            }
            Notice::CustomerMessages { title, body, sound, .. } => Alert {
                title: title.clone(),
                body: body.clone(),
                sound: *sound,
                target: NavigateTarget::Queue,
                slot: Some("customer-messages"),
            },
        }
    }
}

/// What the system's notification service can do for the app.
pub trait Notifier: Send + Sync {
    /// Shows the alert; never blocks the caller, never fails loudly (a lost notification is
    /// logged: the queue still shows the conversation).
    fn show(&self, alert: Alert);

    /// Whether notifications reach the agent, and if not, how to change that. May block briefly.
    fn permission(&self) -> NotificationPermission;

    /// Asks the system for permission where it has such a question (macOS), at a moment the
    /// agent expects it; elsewhere nothing.
    fn request_permission(&self) {}

    /// The system's notification settings, where the agent turns them back on.
    fn settings_url(&self) -> Option<&'static str> {
        None
    }
}

/// What a click on an alert does: the shell's navigation.
pub type ClickHandler = Arc<dyn Fn(NavigateTarget) + Send + Sync>;

/// The notifier the app holds in its state.
#[derive(Clone)]
pub struct SystemNotifier(pub Arc<dyn Notifier>);

/// The notifier of the system this build runs on. `app_id` is the bundle identifier: the
/// AppUserModelID of the Windows shortcut, the bundle id on macOS.
pub fn for_this_system(app_id: &str, on_click: ClickHandler) -> Arc<dyn Notifier> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let _ = app_id;
        Arc::new(freedesktop::FreedesktopNotifier::new(on_click))
    }
    #[cfg(windows)]
    {
        let _ = on_click;
        Arc::new(windows::ToastNotifier::new(app_id))
    }
    #[cfg(target_os = "macos")]
    {
        let _ = app_id;
        macos::UserNotificationsNotifier::install(on_click)
    }
}

/// Creates the system's notifier and keeps it in the app's state; a click navigates.
pub fn install<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    let on_click: ClickHandler = Arc::new(move |target| crate::navigate(&handle, target));
    let notifier = for_this_system(&app.config().identifier, on_click);
    app.manage(SystemNotifier(notifier));
}

/// Shows a notice through the installed notifier (none in headless tests: then it is logged).
pub fn show<R: Runtime>(app: &AppHandle<R>, notice: &Notice) {
    match app.try_state::<SystemNotifier>() {
        Some(notifier) => notifier.0.show(Alert::from(notice)),
        None => tracing::info!(?notice, "no notifier installed; notice not shown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_become_alerts_that_open_their_target() {
        let escalation = Notice::Escalation { conversation_id: 7, title: "t".into(), body: "b".into(), sound: true };
        let alert = Alert::from(&escalation);
        assert_eq!(alert.target, NavigateTarget::Conversation { id: 7 });
        assert!(alert.sound);
        assert_eq!(alert.slot, None);

        let summary = Notice::Summary { count: 3, title: "t".into(), body: "b".into(), sound: false };
        assert_eq!(Alert::from(&summary).target, NavigateTarget::Queue);
        assert_eq!(Alert::from(&summary).slot, Some("summary"));

        let review = Notice::Review { title: "t".into(), body: "b".into() };
        assert_eq!(Alert::from(&review).target, NavigateTarget::Review);

        let line = Notice::CustomerMessage { conversation_id: 9, title: "t".into(), body: "b".into(), sound: true };
        assert_eq!(Alert::from(&line).target, NavigateTarget::Conversation { id: 9 });
        assert_eq!(Alert::from(&line).tag(), "conversation-9");
        let overdue = Notice::Overdue { conversation_id: 4, title: "t".into(), body: "b".into() };
        assert_eq!(Alert::from(&overdue).target, NavigateTarget::Conversation { id: 4 });
        let lines = Notice::CustomerMessages {
            count: 2,
            conversation_ids: vec![1, 2],
            title: "t".into(),
            body: "b".into(),
            sound: false,
        };
        assert_eq!(Alert::from(&lines).target, NavigateTarget::Queue);
    }

    #[test]
    fn tags_replace_a_conversations_earlier_alert_and_the_previous_summary() {
        let escalation = Notice::Escalation { conversation_id: 7, title: "t".into(), body: "b".into(), sound: false };
        assert_eq!(Alert::from(&escalation).tag(), "conversation-7");
        let summary = Notice::Summary { count: 3, title: "t".into(), body: "b".into(), sound: false };
        assert_eq!(Alert::from(&summary).tag(), "summary");
        let longest =
            Notice::Escalation { conversation_id: i64::MIN, title: "t".into(), body: "b".into(), sound: false };
        assert!(Alert::from(&longest).tag().len() <= 64);
    }
}
