//! The XML of a Windows toast, kept free of Windows APIs so that it is tested on every system.
//!
//! The toast uses protocol activation: a click launches its `handoff://` link. Windows hands the
//! link to the registered handler (`handoff-desk.exe "handoff://…"`), and the single-instance and
//! deep-link plugins route it into the running app — or start the app when it is not running. So a
//! click works from the pop-up, from the Action Center long after the pop-up is gone, and after
//! the app was restarted; an in-process `Activated` handler would work only while the process that
//! showed the toast is alive. See docs/platforms.md.

use super::Alert;
use crate::deep_link;

/// The toast group of every Handoff Desk notification (tags are unique within it).
pub const GROUP: &str = "handoff";

/// The toast's XML document (the ToastGeneric template).
pub fn toast_xml(alert: &Alert) -> String {
    let audio =
        if alert.sound { r#"<audio src="ms-winsoundevent:Notification.IM"/>"# } else { r#"<audio silent="true"/>"# };
    format!(
        concat!(
            r#"<toast launch="{launch}" activationType="protocol">"#,
            r#"<visual><binding template="ToastGeneric">"#,
            r#"<text hint-maxLines="1">{title}</text><text>{body}</text>"#,
            r#"</binding></visual>{audio}</toast>"#
        ),
        launch = escape(&deep_link::to_link(&alert.target)),
        title = escape(&alert.title),
        body = escape(&alert.body),
        audio = audio,
    )
}

/// Text as XML character data: markup escaped, and characters XML 1.0 cannot carry (most control
/// characters, which customers can type) dropped, since one of them would make Windows refuse the
/// whole toast.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < '\u{20}' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::NavigateTarget;

    fn alert(target: NavigateTarget, slot: Option<&'static str>) -> Alert {
        Alert {
            title: "Nora <VIP>".into(),
            body: "I said \"now\" & \u{1b}[31mnow\u{0}".into(),
            sound: false,
            target,
            slot,
        }
    }

    #[test]
    fn a_click_launches_the_conversation_link() {
        let xml = toast_xml(&alert(NavigateTarget::Conversation { id: 42 }, None));
        assert!(xml.starts_with(r#"<toast launch="handoff://conversation/42" activationType="protocol">"#), "{xml}");
        assert!(xml.contains(r#"<audio silent="true"/>"#));
    }

    #[test]
    fn customer_text_stays_text_and_control_characters_cannot_break_the_document() {
        let xml = toast_xml(&alert(NavigateTarget::Queue, Some("summary")));
        assert!(xml.contains("<text hint-maxLines=\"1\">Nora &lt;VIP&gt;</text>"), "{xml}");
        assert!(xml.contains("<text>I said &quot;now&quot; &amp; [31mnow</text>"), "{xml}");
        assert!(!xml.chars().any(|c| c < '\u{20}'), "{xml:?}");
    }

    #[test]
    fn sound_uses_the_systems_message_sound() {
        let mut with_sound = alert(NavigateTarget::Review, None);
        with_sound.sound = true;
        assert!(toast_xml(&with_sound).contains("ms-winsoundevent:Notification.IM"));
    }
}
