//! The typed commands the front end invokes. Each is a thin call into the engine.

use std::sync::Arc;

use handoff_core::insights::canned::CannedResponse;
use handoff_core::insights::context::HandoffContext;
use handoff_core::links::{self, LinkSegment};
use handoff_core::notifications::NotificationPrefs;
use handoff_core::*;
use handoff_protocol::*;
use tauri::{AppHandle, Emitter, Manager, Runtime, State, WebviewWindow};
use tauri_plugin_autostart::AutoLaunchManager;
use tauri_plugin_opener::OpenerExt;

use crate::attention::Attention;
use crate::notifier::{Notifier, SystemNotifier};
use crate::session::AppState;
use crate::types::*;

type Result<T> = std::result::Result<T, CommandError>;
type App<'a> = State<'a, Arc<AppState>>;

const QUEUE_LIMIT: u32 = 1_000;
const SEARCH_LIMIT: u32 = 50;

pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        queue,
        open_conversation,
        close_conversation,
        open_conversation_window,
        tags,
        set_tags,
        report_activity,
        conversation_activity,
        snooze,
        unsnooze,
        service_targets,
        set_service_targets,
        search,
        sync_status,
        queue_stats,
        agents,
        claim,
        release,
        resolve,
        transfer,
        send_message,
        retry_message,
        discard_message,
        set_presence,
        send_wait_notice,
        get_draft,
        save_draft,
        notification_prefs,
        set_notification_prefs,
        notification_permission,
        open_notification_settings,
        start_at_login,
        set_start_at_login,
        retention_days,
        set_retention_days,
        sign_in,
        sign_out,
        open_link,
        link_segments,
        take_pending_navigation,
        ui_ready,
        handoff_context,
        greeting_template,
        set_greeting_template,
        away_after_minutes,
        set_away_after_minutes,
        canned_responses,
        save_canned_response,
        delete_canned_response,
        render_canned,
        search_canned,
        crate::review::review_report,
        crate::review::export_review,
        crate::review::reveal_export,
        crate::review::review_prefs,
        crate::review::set_review_prefs,
        crate::review::wait_thresholds,
        crate::review::set_wait_thresholds,
    ]
}

/// "Sam Lee · Handoff Desk", or just the app's name.
pub fn window_title(customer: Option<&str>) -> String {
    match customer.map(str::trim).filter(|c| !c.is_empty()) {
        Some(name) => {
            let name: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
            format!("{name} · Handoff Desk")
        }
        None => "Handoff Desk".into(),
    }
}

#[tauri::command]
fn app_info(state: App<'_>) -> Result<AppInfo> {
    let engine = state.engine();
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        demo: state.is_demo(),
        server: engine.stored_server()?.or_else(|| profile::env_value(profile::SERVER_ENV)),
        me: engine.me(),
        data_dir: state.data_dir().display().to_string(),
        log_dir: profile::log_dir().map(|dir| dir.display().to_string()),
        cache_notice: engine.cache_notice(),
    })
}

/// One queue tab from the cache; with `tag`, only the conversations carrying it.
#[tauri::command]
fn queue(state: App<'_>, tab: QueueTab, tag: Option<String>) -> Result<Vec<QueueItem>> {
    let engine = state.engine();
    let me = engine.me().map(|a| a.id);
    Ok(engine.store().queue(tab, me, tag.as_deref().filter(|t| !t.is_empty()), QUEUE_LIMIT)?)
}

/// The team's tag catalogue, as last synced.
#[tauri::command]
fn tags(state: App<'_>) -> Result<Vec<Tag>> {
    Ok(state.engine().tags()?)
}

/// Replaces the conversation's tags (names from the catalogue).
#[tauri::command]
async fn set_tags(state: App<'_>, id: i64, tags: Vec<String>) -> Result<Conversation> {
    Ok(state.engine().set_tags(id, &tags).await?)
}

/// Snoozes one of my conversations until `until` (on this device); it comes back at the top
/// of Mine, with a notification, when the time comes or the customer writes.
#[tauri::command]
fn snooze(state: App<'_>, id: i64, until: chrono::DateTime<chrono::Utc>) -> Result<()> {
    Ok(state.engine().snooze(id, until)?)
}

#[tauri::command]
fn unsnooze(state: App<'_>, id: i64) -> Result<bool> {
    Ok(state.engine().unsnooze(id)?)
}

/// The first-response target (minutes; 0 = off) and when its countdown turns amber.
#[tauri::command]
fn service_targets(state: App<'_>) -> Result<handoff_core::preferences::ServiceTargets> {
    Ok(state.engine().service_targets()?)
}

#[tauri::command]
fn set_service_targets(state: App<'_>, targets: handoff_core::preferences::ServiceTargets) -> Result<()> {
    Ok(state.engine().set_service_targets(&targets)?)
}

/// Tells colleagues this agent views, types in or left the conversation. Best effort.
#[tauri::command]
async fn report_activity(state: App<'_>, id: i64, activity: Activity) -> Result<()> {
    Ok(state.engine().report_activity(id, activity).await?)
}

/// Who is in the conversation now.
#[tauri::command]
async fn conversation_activity(state: App<'_>, id: i64) -> Result<Vec<ConversationActivity>> {
    Ok(state.engine().conversation_activity(id).await?)
}

/// The transcript from the cache; marks it read and names the customer in the window title.
#[tauri::command]
fn open_conversation<R: Runtime>(state: App<'_>, window: WebviewWindow<R>, id: i64) -> Result<ConversationView> {
    let engine = state.engine();
    let view = engine.store().conversation_view(id)?;
    engine.store().mark_read(id)?;
    let app = window.app_handle();
    // Managed by the app's setup; a shell without it (the IPC tests) still opens conversations.
    if let Some(attention) = app.try_state::<Attention>() {
        attention.set_open(app, window.label(), Some((id, view.conversation.customer.name.clone())));
        if crate::attention::refresh_unread(app, &attention, &engine) {
            crate::desktop::refresh_tray(app, &engine);
        }
    } else {
        let _ = window.set_title(&window_title(Some(&view.conversation.customer.name)));
    }
    Ok(view.as_ref().clone())
}

#[tauri::command]
fn close_conversation<R: Runtime>(window: WebviewWindow<R>) {
    match window.app_handle().try_state::<Attention>() {
        Some(attention) => attention.set_open(window.app_handle(), window.label(), None),
        None => {
            let _ = window.set_title(&window_title(None));
        }
    }
}

/// Opens the conversation in a window of its own, or brings its window to the front.
#[tauri::command]
fn open_conversation_window<R: Runtime>(state: App<'_>, app: tauri::AppHandle<R>, id: i64) -> Result<()> {
    let view = state.engine().store().conversation_view(id)?;
    crate::conversation_windows::open(&app, id, &window_title(Some(&view.conversation.customer.name)))
        .map_err(|error| CommandError::internal(format!("The conversation's window could not be opened: {error}")))
}

/// The warm-handoff card: reason, summary, key facts, wait, earlier conversations, greeting.
#[tauri::command]
fn handoff_context(state: App<'_>, id: i64) -> Result<HandoffContext> {
    Ok(state.engine().handoff_context(id)?)
}

#[tauri::command]
fn greeting_template(state: App<'_>) -> Result<String> {
    Ok(state.engine().greeting_template()?)
}

#[tauri::command]
fn set_greeting_template(state: App<'_>, template: String) -> Result<()> {
    Ok(state.engine().set_greeting_template(&template)?)
}

#[tauri::command]
fn canned_responses(state: App<'_>) -> Result<Vec<CannedResponse>> {
    Ok(state.engine().canned_responses()?)
}

#[tauri::command]
fn save_canned_response(state: App<'_>, response: CannedResponse) -> Result<CannedResponse> {
    Ok(state.engine().save_canned_response(response)?)
}

#[tauri::command]
fn delete_canned_response(state: App<'_>, id: String) -> Result<()> {
    Ok(state.engine().delete_canned_response(&id)?)
}

/// Canned responses matching what was typed after `/`, best first.
#[tauri::command]
fn search_canned(state: App<'_>, query: String) -> Result<Vec<CannedResponse>> {
    Ok(state.engine().search_canned(&query)?)
}

/// A canned response's text with the conversation's variables filled in.
#[tauri::command]
fn render_canned(state: App<'_>, conversation_id: i64, text: String) -> Result<String> {
    Ok(state.engine().render_canned(conversation_id, &text)?)
}

#[tauri::command]
fn away_after_minutes(state: App<'_>) -> Result<u32> {
    Ok(state.engine().away_after_minutes()?)
}

#[tauri::command]
fn set_away_after_minutes(state: App<'_>, minutes: u32) -> Result<()> {
    Ok(state.engine().set_away_after_minutes(minutes)?)
}

#[tauri::command]
fn search(state: App<'_>, query: String) -> Result<Vec<SearchHit>> {
    Ok(state.engine().store().search(&query, SEARCH_LIMIT)?)
}

#[tauri::command]
fn sync_status(state: App<'_>) -> SyncStatus {
    state.engine().status().borrow().clone()
}

#[tauri::command]
fn queue_stats(state: App<'_>) -> Result<Option<QueueStats>> {
    Ok(state.engine().store().queue_stats()?)
}

#[tauri::command]
fn agents(state: App<'_>) -> Result<Vec<Agent>> {
    Ok(state.engine().store().agents()?)
}

#[tauri::command]
async fn claim(state: App<'_>, id: i64) -> Result<Conversation> {
    Ok(state.engine().claim(id).await?)
}

#[tauri::command]
async fn release(state: App<'_>, id: i64) -> Result<Conversation> {
    Ok(state.engine().release(id).await?)
}

#[tauri::command]
async fn resolve(state: App<'_>, id: i64, outcome: ResolveOutcome) -> Result<Conversation> {
    Ok(state.engine().resolve(id, outcome).await?)
}

#[tauri::command]
async fn transfer(state: App<'_>, id: i64, agent_id: i64, note: Option<String>) -> Result<Conversation> {
    let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    Ok(state.engine().transfer(id, agent_id, note).await?)
}

/// Queues a reply or note; it shows as pending at once and is delivered exactly once.
#[tauri::command]
fn send_message(state: App<'_>, id: i64, text: String, private: bool) -> Result<OutboxItem> {
    let engine = state.engine();
    let item = engine.reply(id, &text, private)?;
    engine.save_draft(id, "")?;
    Ok(item)
}

#[tauri::command]
fn retry_message(state: App<'_>, client_id: String, text: Option<String>) -> Result<OutboxItem> {
    Ok(state.engine().retry_outbox_item(&client_id, text.as_deref())?)
}

#[tauri::command]
fn discard_message(state: App<'_>, client_id: String) -> Result<OutboxItem> {
    Ok(state.engine().discard_outbox_item(&client_id)?)
}

#[tauri::command]
async fn set_presence(state: App<'_>, presence: Presence) -> Result<Agent> {
    Ok(state.engine().set_presence(presence).await?)
}

#[tauri::command]
async fn send_wait_notice(state: App<'_>, id: i64) -> Result<Message> {
    Ok(state.engine().send_wait_notice(id).await?)
}

#[tauri::command]
fn get_draft(state: App<'_>, id: i64) -> Result<Option<String>> {
    Ok(state.engine().draft(id)?)
}

#[tauri::command]
fn save_draft(state: App<'_>, id: i64, text: String) -> Result<()> {
    Ok(state.engine().save_draft(id, &text)?)
}

#[tauri::command]
fn notification_prefs(state: App<'_>) -> Result<NotificationPrefs> {
    Ok(state.engine().notification_prefs()?)
}

/// Saves the preferences; turning notifications on asks the system for permission where it asks.
#[tauri::command]
fn set_notification_prefs<R: Runtime>(app: AppHandle<R>, state: App<'_>, prefs: NotificationPrefs) -> Result<()> {
    state.engine().set_notification_prefs(&prefs)?;
    if prefs.enabled {
        request_notification_permission(&app);
    }
    Ok(())
}

fn notifier<R: Runtime>(app: &AppHandle<R>) -> Result<Arc<dyn Notifier>> {
    app.try_state::<SystemNotifier>()
        .map(|n| n.0.clone())
        .ok_or_else(|| CommandError::internal("notifications are not set up in this window"))
}

fn request_notification_permission<R: Runtime>(app: &AppHandle<R>) {
    if let Ok(notifier) = notifier(app) {
        std::thread::spawn(move || notifier.request_permission());
    }
}

/// Whether the system shows the app's notifications, and how to turn them on if not.
#[tauri::command]
async fn notification_permission<R: Runtime>(app: AppHandle<R>) -> Result<NotificationPermission> {
    let notifier = notifier(&app)?;
    // Asking the notification service may take a moment (D-Bus, the Notification Center).
    tauri::async_runtime::spawn_blocking(move || NotificationPermission {
        can_open_settings: notifier.settings_url().is_some(),
        ..notifier.permission()
    })
    .await
    .map_err(|e| CommandError::internal(format!("the notification service could not be asked: {e}")))
}

/// Opens the system's notification settings (Windows, macOS).
#[tauri::command]
fn open_notification_settings<R: Runtime>(app: AppHandle<R>) -> Result<()> {
    let url = notifier(&app)?
        .settings_url()
        .ok_or_else(|| CommandError::invalid("this system has no notification settings to open"))?;
    app.opener().open_url(url, None::<&str>).map_err(|e| CommandError::internal(e.to_string()))
}

/// Whether the app starts (to the tray) when the agent logs in.
#[tauri::command]
fn start_at_login<R: Runtime>(app: AppHandle<R>) -> Result<bool> {
    login_item(&app)?.is_enabled().map_err(login_item_error)
}

#[tauri::command]
fn set_start_at_login<R: Runtime>(app: AppHandle<R>, enabled: bool) -> Result<bool> {
    let login_item = login_item(&app)?;
    let result = if enabled { login_item.enable() } else { login_item.disable() };
    result.map_err(login_item_error)?;
    login_item.is_enabled().map_err(login_item_error)
}

fn login_item<R: Runtime>(app: &AppHandle<R>) -> Result<State<'_, AutoLaunchManager>> {
    app.try_state::<AutoLaunchManager>()
        .ok_or_else(|| CommandError::internal("the login item is not set up in this window"))
}

fn login_item_error(error: tauri_plugin_autostart::Error) -> CommandError {
    CommandError::internal(format!("the login item could not be changed: {error}"))
}

#[tauri::command]
fn retention_days(state: App<'_>) -> Result<u32> {
    Ok(state.engine().retention_days()?)
}

/// Sets the retention and purges at once; returns how many conversations left the cache.
#[tauri::command]
fn set_retention_days(state: App<'_>, days: u32) -> Result<usize> {
    Ok(state.engine().set_retention_days(days)?)
}

#[tauri::command]
async fn sign_in<R: Runtime>(app: AppHandle<R>, state: App<'_>, server: String, token: String) -> Result<Agent> {
    let agent = state.sign_in(&server, &token).await?;
    let _ = app.emit(DESK_EVENT, DeskEvent::SessionChanged);
    Ok(agent)
}

#[tauri::command]
async fn sign_out<R: Runtime>(app: AppHandle<R>, state: App<'_>, clear_cache: bool) -> Result<()> {
    state.sign_out(clear_cache).await?;
    let _ = app.emit(DESK_EVENT, DeskEvent::SessionChanged);
    Ok(())
}

/// Opens a link from a message in the OS browser or mail program, only on a click. The front
/// end only offers links from [`link_segments`]; this checks again, with the same rules, because
/// a command can be called with anything.
#[tauri::command]
fn open_link<R: Runtime>(app: AppHandle<R>, url: String) -> Result<()> {
    let url = links::external_url(&url).ok_or_else(|| {
        CommandError::invalid(
            "this link does not open: only https/http links with a host and mailto links to one address do",
        )
    })?;
    app.opener().open_url(url, None::<&str>).map_err(|e| CommandError::internal(e.to_string()))
}

/// Message text split into plain text and the links it may show (handoff-core's `links`).
#[tauri::command]
fn link_segments(text: String) -> Vec<LinkSegment> {
    links::segments(&text)
}

/// Where a notification or deep link asked to go before the front end was listening.
#[tauri::command]
fn take_pending_navigation(state: App<'_>) -> Option<NavigateTarget> {
    state.take_pending_navigation()
}

/// The front end painted its first screen: logs the time since launch (the cold-start benchmark
/// reads this line), and — now that the agent sees the app — lets the system ask for permission
/// to notify (macOS asks once; elsewhere nothing happens).
#[tauri::command]
fn ui_ready<R: Runtime>(app: AppHandle<R>, state: App<'_>) {
    let elapsed = crate::launched_at().elapsed();
    tracing::info!(ms = elapsed.as_millis() as u64, "first paint");
    if state.engine().notification_prefs().is_ok_and(|prefs| prefs.enabled) {
        request_notification_permission(&app);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_the_customer() {
        assert_eq!(window_title(Some("Sam Lee")), "Sam Lee · Handoff Desk");
        assert_eq!(window_title(Some("  ")), "Handoff Desk");
        assert_eq!(window_title(None), "Handoff Desk");
        assert_eq!(window_title(Some("Evil\u{1b}[31m\nName")), "Evil[31mName · Handoff Desk");
    }
}
