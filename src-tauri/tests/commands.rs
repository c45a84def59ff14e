//! The shell's commands through Tauri's IPC (mock runtime, no window system), against a real
//! service on 127.0.0.1 and a real cache.

mod common;

use std::sync::Arc;

use common::ipc::{invoke, mock_app};
use handoff_core::Engine;
use handoff_desk::session::AppState;
use handoff_protocol::*;
use handoff_service::{ServiceConfig, Store};
use serde_json::{json, Value};

#[test]
fn commands_read_the_cache_queue_replies_and_report_errors_for_people() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServiceConfig::new(dir.path().join("service.sqlite"), "127.0.0.1:0".parse().unwrap());
    config.wait_notice_after = None;
    let service = tauri::async_runtime::block_on(handoff_service::start(config)).unwrap();
    let store = service.store().clone();
    let me = store.add_agent("Cmd Agent").unwrap();
    let other = store.add_agent("Other Agent").unwrap();
    let ids = handoff_service::demo::seed_synthetic(store.as_ref(), 3, 4, 1).unwrap();
    store.claim(ids[1], &other.agent).unwrap();

    let engine = Engine::open(&dir.path().join("desk")).unwrap();
    engine.use_credentials(&service.base_url(), &me.token).unwrap();
    tauri::async_runtime::block_on(engine.sync_once()).unwrap();
    let data_dir = dir.path().join("desk");
    // The engine's loops run on Tauri's async runtime, as in the app.
    let state = tauri::async_runtime::block_on(async move { AppState::for_engine(engine, data_dir) });

    let (app, webview) = mock_app(state.clone());

    // The queue, from the cache, with the generated shape.
    let queue = invoke(&webview, "queue", json!({"tab": "waiting"})).unwrap();
    let rows = queue.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["status"] == "waiting" && r["customer_name"].is_string()));

    // Opening a conversation returns the whole transcript and marks it read. (The window title
    // it sets is checked on the real window by the desktop end-to-end test.)
    let view = invoke(&webview, "open_conversation", json!({"id": ids[0]})).unwrap();
    assert_eq!(view["messages"].as_array().unwrap().len(), 4);
    let rows = invoke(&webview, "queue", json!({"tab": "waiting"})).unwrap();
    let opened = rows.as_array().unwrap().iter().find(|r| r["id"] == json!(ids[0])).unwrap().clone();
    assert_eq!(opened["unread"], 0);
    invoke(&webview, "close_conversation", json!({})).unwrap();

    // Claim, then a reply queued as pending; the draft is cleared.
    let claimed = invoke(&webview, "claim", json!({"id": ids[0]})).unwrap();
    assert_eq!(claimed["status"], "assigned");
    invoke(&webview, "save_draft", json!({"id": ids[0], "text": "half-written"})).unwrap();
    assert_eq!(invoke(&webview, "get_draft", json!({"id": ids[0]})).unwrap(), json!("half-written"));
    let item = invoke(&webview, "send_message", json!({"id": ids[0], "text": "Hi there!", "private": false})).unwrap();
    assert_eq!(item["state"], "pending");
    assert_eq!(invoke(&webview, "get_draft", json!({"id": ids[0]})).unwrap(), Value::Null);

    // A lost claim race says who won; bad input is refused with a reason.
    let lost = invoke(&webview, "claim", json!({"id": ids[1]})).unwrap_err();
    assert_eq!(lost["kind"], "already_claimed");
    assert_eq!(lost["assignee"]["name"], "Other Agent");
    let empty = invoke(&webview, "send_message", json!({"id": ids[0], "text": "  ", "private": false})).unwrap_err();
    assert_eq!(empty["kind"], "invalid");
    for url in [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "mailto:sam@example.com?bcc=eve@example.com",
        "https://u:p@x.example",
    ] {
        let link = invoke(&webview, "open_link", json!({"url": url})).unwrap_err();
        assert_eq!(link["kind"], "invalid", "{url}");
    }
    // Message text comes back split into text and the links it may show, checked by handoff-core.
    let segments = invoke(
        &webview,
        "link_segments",
        json!({"text": "See https://example.com/help. Or mailto:sam@example.com?bcc=eve@example.com"}),
    )
    .unwrap();
    assert_eq!(
        segments,
        json!([
            {"kind": "text", "text": "See "},
            {"kind": "link", "text": "https://example.com/help", "href": "https://example.com/help"},
            {"kind": "text", "text": ". Or mailto:sam@example.com?bcc=eve@example.com"},
        ])
    );
    let missing = invoke(&webview, "open_conversation", json!({"id": 424242})).unwrap_err();
    assert_eq!(missing["kind"], "not_found");

    // Preferences round-trip through the cache.
    let prefs = json!({"enabled": true, "vip_and_urgent_only": true, "sound": false, "customer_messages": false, "quiet_from": "22:00", "quiet_until": "07:00"});
    invoke(&webview, "set_notification_prefs", json!({"prefs": prefs})).unwrap();
    assert_eq!(invoke(&webview, "notification_prefs", json!({})).unwrap(), prefs);
    assert_eq!(invoke(&webview, "set_retention_days", json!({"days": 0})).unwrap_err()["kind"], "invalid");
    invoke(&webview, "set_retention_days", json!({"days": 30})).unwrap();
    assert_eq!(invoke(&webview, "retention_days", json!({})).unwrap(), json!(30));
    assert_eq!(invoke(&webview, "away_after_minutes", json!({})).unwrap(), json!(10), "the default");
    invoke(&webview, "set_away_after_minutes", json!({"minutes": 0})).unwrap();
    assert_eq!(invoke(&webview, "away_after_minutes", json!({})).unwrap(), json!(0));
    assert_eq!(invoke(&webview, "set_away_after_minutes", json!({"minutes": 5000})).unwrap_err()["kind"], "invalid");
    let template = "Hello {customer.first_name}, {agent.name} here about {topic}.";
    invoke(&webview, "set_greeting_template", json!({"template": template})).unwrap();
    assert_eq!(invoke(&webview, "greeting_template", json!({})).unwrap(), json!(template));
    let card = invoke(&webview, "handoff_context", json!({"id": ids[0]})).unwrap();
    assert_eq!(card["greeting"], json!("Hello Customer, Cmd Agent here about your question."));
    // Canned responses: a starter set, fuzzy search, variables filled, saved and deleted.
    let found = invoke(&webview, "search_canned", json!({"query": "rfnd"})).unwrap();
    assert_eq!(found[0]["title"], "Refund on its way");
    let text = found[0]["text"].as_str().unwrap();
    let rendered = invoke(&webview, "render_canned", json!({"conversationId": ids[0], "text": text})).unwrap();
    assert!(rendered.as_str().unwrap().starts_with("Hi Customer, I've checked your refund"), "{rendered}");
    let saved = invoke(
        &webview,
        "save_canned_response",
        json!({"response": {"id": "", "title": "Callback", "text": "We'll call {customer.name}."}}),
    )
    .unwrap();
    assert!(!saved["id"].as_str().unwrap().is_empty());
    let all = invoke(&webview, "canned_responses", json!({})).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 5);
    invoke(&webview, "delete_canned_response", json!({"id": saved["id"]})).unwrap();
    assert_eq!(invoke(&webview, "canned_responses", json!({})).unwrap().as_array().unwrap().len(), 4);
    let empty = json!({"response": {"id": "", "title": " ", "text": "x"}});
    assert_eq!(invoke(&webview, "save_canned_response", empty).unwrap_err()["kind"], "invalid");
    let info = invoke(&webview, "app_info", json!({})).unwrap();
    assert_eq!(info["demo"], false);

    // The system's notification service, asked for real over D-Bus: dunst in scripts/test.sh's
    // session, nothing without one. Linux has no notification settings to open.
    assert_eq!(invoke(&webview, "notification_permission", json!({})).unwrap_err()["kind"], "internal");
    handoff_desk::notifier::install(app.handle());
    let permission = invoke(&webview, "notification_permission", json!({})).unwrap();
    assert_eq!(permission["can_open_settings"], false);
    if std::env::var("HANDOFF_TEST_DESKTOP").as_deref() == Ok("1") {
        assert_eq!(permission["state"], "granted", "{permission}");
        assert!(permission["service"].as_str().unwrap().starts_with("dunst"), "{permission}");
    } else {
        assert!(permission["advice"].is_string() || permission["state"] == "granted", "{permission}");
    }
    assert_eq!(invoke(&webview, "open_notification_settings", json!({})).unwrap_err()["kind"], "invalid");

    // The live engine delivers the queued reply.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !store
        .messages(ids[0], 0, 100)
        .unwrap()
        .messages
        .iter()
        .any(|m| m.text == "Hi there!" && m.role == Role::Agent)
    {
        assert!(std::time::Instant::now() < deadline, "the reply was not delivered");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tauri::async_runtime::block_on(state.stop());
    drop(app);
    drop(store);
    tauri::async_runtime::block_on(service.shutdown());
    let _: Arc<AppState> = state;
}
