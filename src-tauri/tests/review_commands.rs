//! The Review view's commands through Tauri's IPC (mock runtime) over the demo workspace synced
//! from a real service: the report, its exports to the Downloads folder, the preferences, and
//! the weekly reminder's schedule.
//!
//! One test in this binary: it points HOME at a temporary directory before anything else runs,
//! so exports never land in the real Downloads folder.

mod common;

use common::ipc::{invoke, mock_app};
use handoff_core::Engine;
use handoff_desk::session::AppState;
use handoff_service::ServiceConfig;
use serde_json::{json, Value};

#[test]
fn the_review_is_computed_exported_and_reminded_of() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // Before any thread reads the environment.
    std::env::set_var("HOME", &home);
    std::env::set_var("XDG_CONFIG_HOME", home.join(".config"));

    let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.seed_demo = true;
    config.wait_notice_after = None;
    let service = tauri::async_runtime::block_on(handoff_service::start(config)).unwrap();
    let tokens = handoff_service::demo::demo_tokens(service.store().as_ref()).unwrap();
    let engine = Engine::open(&dir.path().join("desk")).unwrap();
    engine.use_credentials(&service.base_url(), &tokens[0].token).unwrap();
    tauri::async_runtime::block_on(engine.sync_once()).unwrap();
    let data_dir = dir.path().join("desk");
    let state = tauri::async_runtime::block_on(async move { AppState::for_engine(engine, data_dir) });
    let (app, webview) = mock_app(state.clone());

    // The last 7 days of the demo workspace, days and hours in this computer's local time.
    let now = chrono::Utc::now();
    let week = json!({"since": now - chrono::Duration::days(7), "until": now});
    let local_offset = chrono::Local::now().offset().local_minus_utc() / 60;
    let report = invoke(&webview, "review_report", json!({"period": week})).unwrap();
    let total = report["total_handoffs"].as_u64().unwrap();
    assert!(total >= 20, "the demo has a week of handoffs: {report}");
    assert_eq!(report["utc_offset_minutes"], local_offset);
    assert_eq!(report["by_hour"].as_array().unwrap().len(), 24);
    assert_eq!(report["by_day"].as_array().unwrap().len(), 8, "7 days back and today");
    let groups = report["groups"].as_array().unwrap();
    let grouped: u64 = groups.iter().map(|g| g["size"].as_u64().unwrap()).sum();
    assert_eq!(grouped, total, "every handoff is in exactly one group");
    assert!(groups.iter().any(|g| g["size"].as_u64().unwrap() > 1), "the demo repeats questions");
    assert!(groups.iter().all(|g| !g["label"].as_str().unwrap().is_empty()));

    // The flag share comes from the preferences: at 1% every repeated question is flagged.
    let prefs = invoke(&webview, "review_prefs", json!({})).unwrap();
    assert_eq!(
        prefs,
        json!({"flag_percent": 20, "reminder_enabled": true, "reminder_weekday": 0, "reminder_time": "09:00"})
    );
    let everything =
        json!({"flag_percent": 1, "reminder_enabled": true, "reminder_weekday": 2, "reminder_time": "17:30"});
    invoke(&webview, "set_review_prefs", json!({"prefs": everything})).unwrap();
    assert_eq!(invoke(&webview, "review_prefs", json!({})).unwrap(), everything);
    let flagged = invoke(&webview, "review_report", json!({"period": week})).unwrap();
    let repeated = flagged["groups"].as_array().unwrap().iter().filter(|g| g["size"].as_u64().unwrap() > 1);
    for group in repeated {
        assert_eq!(group["flagged"], true, "{group}");
        assert!(group["suggestion"].as_str().unwrap().starts_with("Update the bot:"), "{group}");
    }
    let bad = json!({"flag_percent": 20, "reminder_enabled": true, "reminder_weekday": 0, "reminder_time": "25:00"});
    let refused = invoke(&webview, "set_review_prefs", json!({"prefs": bad})).unwrap_err();
    assert_eq!(refused["kind"], "invalid");
    assert!(refused["message"].as_str().unwrap().contains("HH:MM"), "{refused}");
    let backwards = json!({"since": now, "until": now - chrono::Duration::days(1)});
    assert_eq!(invoke(&webview, "review_report", json!({"period": backwards})).unwrap_err()["kind"], "invalid");

    // Exports land in the Downloads folder, never over an earlier one.
    let markdown = export(&webview, &week, "markdown");
    assert_eq!(markdown.parent(), Some(home.join("Downloads").as_path()));
    let name = markdown.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("handoff-review-") && name.ends_with(".md"), "{name}");
    let text = std::fs::read_to_string(&markdown).unwrap();
    assert!(text.starts_with("# Handoff review "), "{text}");
    assert!(text.contains("## By hour (UTC") && text.contains("## Question groups"), "{text}");
    let again = export(&webview, &week, "markdown");
    assert_ne!(again, markdown);
    assert!(again.to_string_lossy().ends_with(" (2).md"), "{}", again.display());
    let csv = std::fs::read_to_string(export(&webview, &week, "csv")).unwrap();
    assert!(csv.starts_with("label,size,share,flagged,conversation_ids,example\r\n"), "{csv}");
    assert_eq!(csv.lines().count(), flagged["groups"].as_array().unwrap().len() + 1);
    let outside = invoke(&webview, "reveal_export", json!({"path": "/etc/passwd"})).unwrap_err();
    assert_eq!(outside["kind"], "invalid");

    // Waiting-timer thresholds.
    assert_eq!(
        invoke(&webview, "wait_thresholds", json!({})).unwrap(),
        json!({"warn_minutes": 2, "urgent_minutes": 5})
    );
    invoke(&webview, "set_wait_thresholds", json!({"thresholds": {"warn_minutes": 3, "urgent_minutes": 10}})).unwrap();
    assert_eq!(
        invoke(&webview, "wait_thresholds", json!({})).unwrap(),
        json!({"warn_minutes": 3, "urgent_minutes": 10})
    );
    let unordered = json!({"thresholds": {"warn_minutes": 10, "urgent_minutes": 3}});
    assert_eq!(invoke(&webview, "set_wait_thresholds", unordered).unwrap_err()["kind"], "invalid");

    // The reminder (Wednesday 17:30 now): nothing owed on the first check, then once a week.
    let engine = state.engine();
    let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap();
    assert!(engine.take_review_reminder(&at("2026-11-25T17:00:00+01:00")).unwrap().is_none(), "first check");
    assert!(engine.take_review_reminder(&at("2026-11-25T17:29:00+01:00")).unwrap().is_none());
    assert!(engine.take_review_reminder(&at("2026-11-25T17:30:05+01:00")).unwrap().is_some());
    assert!(engine.take_review_reminder(&at("2026-11-25T17:30:20+01:00")).unwrap().is_none(), "once");
    assert!(engine.take_review_reminder(&at("2026-11-30T17:30:20+01:00")).unwrap().is_none());
    assert!(engine.take_review_reminder(&at("2026-12-02T17:31:00+01:00")).unwrap().is_some(), "next week");

    tauri::async_runtime::block_on(state.stop());
    drop(app);
    tauri::async_runtime::block_on(service.shutdown());
}

fn export(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    period: &Value,
    format: &str,
) -> std::path::PathBuf {
    let path = invoke(webview, "export_review", json!({"period": period, "format": format})).unwrap();
    std::path::PathBuf::from(path.as_str().unwrap())
}
