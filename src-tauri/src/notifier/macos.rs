//! macOS: the User Notifications framework (UNUserNotificationCenter). The app asks for
//! permission once, when its window first shows with notifications turned on (see
//! `commands::ui_ready`); a refusal shows in Settings with the way back. A click reaches the
//! delegate installed at start, which navigates — also when the click launched the app.
//!
//! The notification center belongs to an app bundle: a bare binary (`cargo run`) has none, and
//! asking for the center there raises an Objective-C exception. Such a process gets no
//! notifications and says why in Settings.

use std::sync::mpsc;
use std::time::Duration;

use block2::RcBlock;
use objc2::rc::Retained;
use objc2::runtime::{Bool, NSObject, NSObjectProtocol, ProtocolObject};
use objc2::{define_class, msg_send, AllocAnyThread, DefinedClass};
use objc2_foundation::{NSBundle, NSError, NSString};
use objc2_user_notifications::{
    UNAuthorizationOptions, UNAuthorizationStatus, UNMutableNotificationContent, UNNotification,
    UNNotificationDefaultActionIdentifier, UNNotificationPresentationOptions, UNNotificationRequest,
    UNNotificationResponse, UNNotificationSettings, UNNotificationSound, UNUserNotificationCenter,
    UNUserNotificationCenterDelegate,
};

use super::{Alert, ClickHandler, Notifier};
use crate::deep_link;
use crate::types::{NotificationPermission, PermissionState};

const SERVICE: &str = "macOS Notification Center";
const SETTINGS: &str = "System Settings → Notifications → Handoff Desk";

define_class!(
    // SAFETY: NSObject has no subclassing requirements, and this class does not implement Drop.
    #[unsafe(super(NSObject))]
    #[name = "HandoffDeskNotificationDelegate"]
    #[ivars = ClickHandler]
    struct ClickDelegate;

    unsafe impl NSObjectProtocol for ClickDelegate {}

    unsafe impl UNUserNotificationCenterDelegate for ClickDelegate {
        // Also show alerts while the app is in front: the agent may be reading another chat.
        #[unsafe(method(userNotificationCenter:willPresentNotification:withCompletionHandler:))]
        fn will_present(
            &self,
            _center: &UNUserNotificationCenter,
            _notification: &UNNotification,
            completion: &block2::DynBlock<dyn Fn(UNNotificationPresentationOptions)>,
        ) {
            let options = UNNotificationPresentationOptions::Banner
                | UNNotificationPresentationOptions::List
                | UNNotificationPresentationOptions::Sound;
            completion.call((options,));
        }

        #[unsafe(method(userNotificationCenter:didReceiveNotificationResponse:withCompletionHandler:))]
        fn did_receive(
            &self,
            _center: &UNUserNotificationCenter,
            response: &UNNotificationResponse,
            completion: &block2::DynBlock<dyn Fn()>,
        ) {
            let clicked = unsafe { &*response.actionIdentifier() == UNNotificationDefaultActionIdentifier };
            if clicked {
                // The thread of a notification is its link (see `show`).
                let link = response.notification().request().content().threadIdentifier().to_string();
                match deep_link::parse(&link) {
                    Some(target) => (self.ivars())(target),
                    None => tracing::warn!(%link, "a clicked notification carried no link"),
                }
            }
            completion.call(());
        }
    }
);

impl ClickDelegate {
    fn new(on_click: ClickHandler) -> Retained<Self> {
        let this = Self::alloc().set_ivars(on_click);
        unsafe { msg_send![super(this), init] }
    }
}

pub struct UserNotificationsNotifier {
    /// False outside an app bundle, where the framework cannot be used.
    bundled: bool,
}

/// Whether this process is an app bundle the notification center accepts.
fn is_bundled() -> bool {
    let bundle = NSBundle::mainBundle();
    bundle.bundleIdentifier().is_some() && bundle.bundlePath().to_string().ends_with(".app")
}

impl UserNotificationsNotifier {
    /// Installs the click delegate (before the app finishes launching, so that a click that
    /// launched the app is delivered too).
    pub fn install(on_click: ClickHandler) -> std::sync::Arc<dyn Notifier> {
        let bundled = is_bundled();
        if bundled {
            let delegate = ClickDelegate::new(on_click);
            let center = UNUserNotificationCenter::currentNotificationCenter();
            center.setDelegate(Some(ProtocolObject::from_ref(&*delegate)));
            // The center holds its delegate weakly; this one lives as long as the process.
            std::mem::forget(delegate);
        } else {
            tracing::warn!("not running from an app bundle: macOS notifications are unavailable");
        }
        std::sync::Arc::new(Self { bundled })
    }

    fn status(&self) -> Option<UNAuthorizationStatus> {
        let (sender, receiver) = mpsc::channel();
        let handler = RcBlock::new(move |settings: std::ptr::NonNull<UNNotificationSettings>| {
            let status = unsafe { settings.as_ref() }.authorizationStatus();
            let _ = sender.send(status);
        });
        UNUserNotificationCenter::currentNotificationCenter().getNotificationSettingsWithCompletionHandler(&handler);
        receiver.recv_timeout(Duration::from_secs(3)).ok()
    }
}

impl Notifier for UserNotificationsNotifier {
    fn show(&self, alert: Alert) {
        if !self.bundled {
            return;
        }
        let content = UNMutableNotificationContent::new();
        content.setTitle(&NSString::from_str(&alert.title));
        content.setBody(&NSString::from_str(&alert.body));
        // One thread per conversation, named by its link: the click handler reads it back.
        content.setThreadIdentifier(&NSString::from_str(&deep_link::to_link(&alert.target)));
        if alert.sound {
            content.setSound(Some(&UNNotificationSound::defaultSound()));
        }
        // The same identifier replaces the earlier notification (a conversation's, the summary).
        let identifier = NSString::from_str(&alert.tag());
        let request = UNNotificationRequest::requestWithIdentifier_content_trigger(&identifier, &content, None);
        let handler = RcBlock::new(|error: *mut NSError| {
            if let Some(error) = unsafe { error.as_ref() } {
                tracing::warn!(error = %error.localizedDescription(), "the notification could not be shown");
            }
        });
        UNUserNotificationCenter::currentNotificationCenter()
            .addNotificationRequest_withCompletionHandler(&request, Some(&handler));
    }

    fn permission(&self) -> NotificationPermission {
        if !self.bundled {
            return NotificationPermission::new(
                PermissionState::Unavailable,
                SERVICE,
                Some("Notifications need the installed app: open Handoff Desk from Applications.".into()),
            );
        }
        match self.status() {
            Some(
                UNAuthorizationStatus::Authorized
                | UNAuthorizationStatus::Provisional
                | UNAuthorizationStatus::Ephemeral,
            ) => NotificationPermission::granted(SERVICE),
            Some(UNAuthorizationStatus::Denied) => NotificationPermission::new(
                PermissionState::Denied,
                SERVICE,
                Some(format!("Notifications are off for Handoff Desk. Allow them in {SETTINGS}.")),
            ),
            Some(_) => NotificationPermission::new(
                PermissionState::NotDetermined,
                SERVICE,
                Some("macOS will ask whether Handoff Desk may notify you.".into()),
            ),
            None => NotificationPermission::new(
                PermissionState::Unavailable,
                SERVICE,
                Some("The Notification Center did not answer.".into()),
            ),
        }
    }

    fn request_permission(&self) {
        if !self.bundled || self.status() != Some(UNAuthorizationStatus::NotDetermined) {
            return;
        }
        let handler = RcBlock::new(|granted: Bool, error: *mut NSError| match unsafe { error.as_ref() } {
            Some(error) => {
                tracing::warn!(error = %error.localizedDescription(), "notification permission request failed")
            }
            None => tracing::info!(granted = granted.as_bool(), "notification permission answered"),
        });
        let options = UNAuthorizationOptions::Alert | UNAuthorizationOptions::Sound | UNAuthorizationOptions::Badge;
        UNUserNotificationCenter::currentNotificationCenter()
            .requestAuthorizationWithOptions_completionHandler(options, &handler);
    }

    fn settings_url(&self) -> Option<&'static str> {
        Some("x-apple.systempreferences:com.apple.preference.notifications")
    }
}
