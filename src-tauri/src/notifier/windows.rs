//! Windows: toasts through WinRT's ToastNotificationManager, with protocol activation (see
//! `toast_xml`). The toast names the app by its AppUserModelID — the bundle identifier, which
//! the MSI and NSIS installers put on the Start menu shortcut, so Windows shows "Handoff Desk"
//! and its icon. For a run without the installer (a portable copy, development) the ID is also
//! registered for the current user, with the name and icon.

use windows::core::{w, HSTRING, PCWSTR};
use windows::Data::Xml::Dom::XmlDocument;
use windows::Win32::System::Registry::{
    RegCloseKey, RegCreateKeyExW, RegSetValueExW, HKEY, HKEY_CURRENT_USER, KEY_WRITE, REG_OPTION_NON_VOLATILE, REG_SZ,
};
use windows::Win32::UI::Shell::SetCurrentProcessExplicitAppUserModelID;
use windows::UI::Notifications::{NotificationSetting, ToastNotification, ToastNotificationManager};

use super::toast_xml::{toast_xml, GROUP};
use super::{Alert, Notifier};
use crate::types::{NotificationPermission, PermissionState};

const SERVICE: &str = "Windows notifications";
const TURN_ON: &str = "Turn them on in Settings → System → Notifications → Handoff Desk (and check that \
                       Do not disturb is off).";

pub struct ToastNotifier {
    app_id: HSTRING,
}

impl ToastNotifier {
    pub fn new(app_id: &str) -> Self {
        let app_id = HSTRING::from(app_id);
        // The taskbar groups the window under the shortcut's ID, like the toasts.
        if let Err(error) = unsafe { SetCurrentProcessExplicitAppUserModelID(&app_id) } {
            tracing::warn!(%error, "the AppUserModelID could not be set");
        }
        if let Err(error) = register_app_id(&app_id) {
            tracing::warn!(%error, "the AppUserModelID could not be registered for this user");
        }
        Self { app_id }
    }

    fn try_show(&self, alert: &Alert) -> windows::core::Result<()> {
        let document = XmlDocument::new()?;
        document.LoadXml(&HSTRING::from(toast_xml(alert)))?;
        let toast = ToastNotification::CreateToastNotification(&document)?;
        toast.SetTag(&HSTRING::from(alert.tag()))?;
        toast.SetGroup(&HSTRING::from(GROUP))?;
        ToastNotificationManager::CreateToastNotifierWithId(&self.app_id)?.Show(&toast)
    }
}

impl Notifier for ToastNotifier {
    fn show(&self, alert: Alert) {
        if let Err(error) = self.try_show(&alert) {
            tracing::warn!(%error, "the toast could not be shown");
        }
    }

    fn permission(&self) -> NotificationPermission {
        let setting = ToastNotificationManager::CreateToastNotifierWithId(&self.app_id).and_then(|n| n.Setting());
        let denied =
            |why: &str| NotificationPermission::new(PermissionState::Denied, SERVICE, Some(format!("{why} {TURN_ON}")));
        match setting {
            Ok(NotificationSetting::Enabled) => NotificationPermission::granted(SERVICE),
            Ok(NotificationSetting::DisabledForApplication) => denied("Notifications are off for Handoff Desk."),
            Ok(NotificationSetting::DisabledForUser) => denied("Notifications are off for all apps."),
            Ok(NotificationSetting::DisabledByGroupPolicy) => NotificationPermission::new(
                PermissionState::Denied,
                SERVICE,
                Some("Your organisation's policy turns notifications off; ask your IT team.".into()),
            ),
            Ok(_) => denied("Windows does not allow notifications for this app."),
            Err(error) => NotificationPermission::new(
                PermissionState::Unavailable,
                SERVICE,
                Some(format!("Windows notifications cannot be reached ({error}).")),
            ),
        }
    }

    fn settings_url(&self) -> Option<&'static str> {
        Some("ms-settings:notifications")
    }
}

/// `HKCU\Software\Classes\AppUserModelId\<id>`: the name and icon Windows shows on the toast when
/// no installed shortcut carries the ID.
fn register_app_id(app_id: &HSTRING) -> windows::core::Result<()> {
    let key_path = HSTRING::from(format!("Software\\Classes\\AppUserModelId\\{app_id}"));
    let mut key = HKEY::default();
    unsafe {
        RegCreateKeyExW(
            HKEY_CURRENT_USER,
            &key_path,
            None,
            None,
            REG_OPTION_NON_VOLATILE,
            KEY_WRITE,
            None,
            &mut key,
            None,
        )
        .ok()?;
    }
    let result = set_string(key, w!("DisplayName"), "Handoff Desk").and_then(|()| match icon_path() {
        Some(icon) => set_string(key, w!("IconUri"), &icon),
        None => Ok(()),
    });
    unsafe {
        let _ = RegCloseKey(key);
    }
    result
}

fn set_string(key: HKEY, name: PCWSTR, value: &str) -> windows::core::Result<()> {
    let wide: Vec<u16> = value.encode_utf16().chain(std::iter::once(0)).collect();
    let bytes: Vec<u8> = wide.iter().flat_map(|unit| unit.to_le_bytes()).collect();
    unsafe { RegSetValueExW(key, name, None, REG_SZ, Some(&bytes)).ok() }
}

/// The app icon as a PNG file the notification platform can read (written once per version).
fn icon_path() -> Option<String> {
    const ICON: &[u8] = include_bytes!("../../../icons/128x128.png");
    let dir = dirs_local_data()?.join("handoff-desk");
    let path = dir.join(format!("toast-icon-{}.png", env!("CARGO_PKG_VERSION")));
    if !path.exists() {
        std::fs::create_dir_all(&dir).ok()?;
        std::fs::write(&path, ICON).ok()?;
    }
    Some(path.display().to_string())
}

fn dirs_local_data() -> Option<std::path::PathBuf> {
    std::env::var_os("LOCALAPPDATA").map(std::path::PathBuf::from)
}
