//! Checks of client input that serde's types cannot express.

use handoff_protocol::{
    IntakeHandoff, IntakeMessage, Role, MAX_IDEMPOTENCY_KEY_BYTES, MAX_TAGS_PER_CONVERSATION, MAX_TAG_NAME_CHARS,
    MAX_TEXT_BYTES, MAX_TRANSFER_NOTE_CHARS,
};

use crate::error::{ServiceError, ServiceResult};

/// Longest name, id, channel, trigger or topic, in characters.
pub const MAX_SHORT_FIELD_CHARS: usize = 1_000;

/// Message text: not blank, at most 64 KiB. The text itself is kept byte for byte.
pub fn message_text(text: &str) -> ServiceResult<()> {
    if text.trim().is_empty() {
        return Err(ServiceError::unprocessable("empty_text", "the message text is empty"));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(ServiceError::unprocessable(
            "text_too_long",
            format!("the message text is {} bytes; at most {MAX_TEXT_BYTES} bytes are accepted", text.len()),
        ));
    }
    Ok(())
}

fn short_field(name: &str, value: &str, required: bool) -> ServiceResult<()> {
    if required && value.trim().is_empty() {
        return Err(ServiceError::unprocessable("missing_field", format!("`{name}` must not be empty")));
    }
    // Counted in characters, as the OpenAPI document's maxLength counts them.
    if value.chars().count() > MAX_SHORT_FIELD_CHARS {
        return Err(ServiceError::unprocessable(
            "field_too_long",
            format!("`{name}` is longer than {MAX_SHORT_FIELD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// 1 to 200 printable ASCII characters (space inside only), as the OpenAPI document's pattern
/// says: a header value may also carry a tab, which a key must not.
pub fn idempotency_key(key: &str) -> ServiceResult<()> {
    let printable = key.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let trimmed = !key.starts_with(' ') && !key.ends_with(' ');
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES || !printable || !trimmed {
        return Err(ServiceError::bad_request(
            "invalid_idempotency_key",
            format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} printable ASCII characters, \
                 with no space at either end"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod idempotency_key_tests {
    use super::idempotency_key;

    #[test]
    fn keys_follow_the_documented_pattern() {
        assert!(idempotency_key("3f1c6a2e-7b1d-4a8e-9c55-0d2b7f9e8a10").is_ok());
        assert!(idempotency_key("a b").is_ok());
        for bad in ["", " a", "a ", "a\tb", "é", &"x".repeat(201)] {
            assert!(idempotency_key(bad).is_err(), "{bad:?}");
        }
    }
}

pub fn agent_name(name: &str) -> ServiceResult<()> {
    short_field("name", name, true)
}

/// A line a bot platform sends: from the customer, the bot or the system, never as an agent.
pub fn intake_line(role: Role, text: &str) -> ServiceResult<()> {
    if role == Role::Agent {
        return Err(ServiceError::unprocessable(
            "invalid_role",
            "intake messages come from the customer, the bot or the system; agents reply through \
             POST /v1/conversations/{id}/messages",
        ));
    }
    message_text(text)
}

/// The platform's own id of a line: 1 to 200 bytes, like an idempotency key.
pub fn message_id(id: &str) -> ServiceResult<()> {
    if id.is_empty() || id.len() > MAX_IDEMPOTENCY_KEY_BYTES {
        return Err(ServiceError::unprocessable(
            "invalid_message_id",
            format!("`message_id` must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} bytes, or left out"),
        ));
    }
    Ok(())
}

pub fn intake_message(message: &IntakeMessage) -> ServiceResult<()> {
    intake_line(message.role, &message.text)?;
    if let Some(id) = &message.message_id {
        message_id(id)?;
    }
    Ok(())
}

pub fn intake_handoff(handoff: &IntakeHandoff) -> ServiceResult<()> {
    short_field("external_id", &handoff.external_id, true)?;
    short_field("channel", &handoff.channel, true)?;
    short_field("customer.id", &handoff.customer.id, true)?;
    short_field("customer.name", &handoff.customer.name, true)?;
    for (name, value) in [
        ("customer.email", &handoff.customer.email),
        ("customer.phone", &handoff.customer.phone),
        ("topic", &handoff.topic),
    ] {
        if let Some(value) = value {
            short_field(name, value, false)?;
        }
    }
    short_field("trigger", &handoff.trigger, false)?;
    if let Some(summary) = &handoff.summary {
        if summary.len() > MAX_TEXT_BYTES {
            return Err(ServiceError::unprocessable("field_too_long", "`summary` is longer than 64 KiB"));
        }
    }
    for (index, line) in handoff.transcript.iter().enumerate() {
        let checked = intake_line(line.role, &line.text).and_then(|()| match &line.message_id {
            Some(id) => message_id(id),
            None => Ok(()),
        });
        checked.map_err(|e| match e {
            ServiceError::Unprocessable { code, message } => {
                ServiceError::Unprocessable { code, message: format!("transcript[{index}]: {message}") }
            }
            other => other,
        })?;
    }
    Ok(())
}

/// A transfer note, trimmed: `None` when absent or blank, else at most 500 characters.
pub fn transfer_note(note: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(None) };
    let chars = note.chars().count();
    if chars > MAX_TRANSFER_NOTE_CHARS {
        return Err(ServiceError::unprocessable(
            "note_too_long",
            format!("the transfer note is {chars} characters; shorten it to at most {MAX_TRANSFER_NOTE_CHARS}"),
        ));
    }
    Ok(Some(note.to_string()))
}

/// A catalogue name: 1 to 40 of `a-z`, `0-9`, `-`, `_`, not starting with `-` or `_`. Kept this
/// narrow so a tag reads the same in every front end and filter, and never needs escaping.
pub fn tag_name(name: &str) -> ServiceResult<()> {
    let well_formed = !name.is_empty()
        && name.chars().count() <= MAX_TAG_NAME_CHARS
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !name.starts_with(['-', '_']);
    if !well_formed {
        return Err(ServiceError::unprocessable(
            "invalid_tag",
            format!(
                "{name:?} is not a tag name: use 1 to {MAX_TAG_NAME_CHARS} lower-case letters, digits, `-` or `_`, \
                 starting with a letter or digit (for example \"vip-followup\")"
            ),
        ));
    }
    Ok(())
}

/// A tag colour: `#rrggbb`; returned in lower case.
pub fn tag_color(color: &str) -> ServiceResult<String> {
    let color = color.trim();
    let hex = color.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ServiceError::unprocessable(
            "invalid_color",
            format!("{color:?} is not a colour; write it as #rrggbb, for example #2f80ed"),
        ));
    }
    Ok(color.to_ascii_lowercase())
}

/// A conversation's new set of tags: well-formed names, duplicates dropped, at most 20; sorted.
/// Whether each is in the catalogue is the store's question.
pub fn tag_set(tags: &[String]) -> ServiceResult<Vec<String>> {
    let mut set: Vec<String> = tags.to_vec();
    set.sort_unstable();
    set.dedup();
    if set.len() > MAX_TAGS_PER_CONVERSATION {
        return Err(ServiceError::unprocessable(
            "too_many_tags",
            format!("{} tags given; a conversation takes at most {MAX_TAGS_PER_CONVERSATION}", set.len()),
        ));
    }
    for name in &set {
        if tag_name(name).is_err() {
            return Err(unknown_tag(name));
        }
    }
    Ok(set)
}

pub fn unknown_tag(name: &str) -> ServiceError {
    ServiceError::unprocessable(
        "unknown_tag",
        format!("{name:?} is not in the team's tag catalogue; GET /v1/tags lists the tags an admin set up"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_narrow() {
        for good in ["billing", "vip-followup", "p1", "a_b", &"x".repeat(40)] {
            assert!(tag_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Billing", "-x", "_x", "a b", "a\nb", "café", &"x".repeat(41)] {
            assert_eq!(tag_name(bad).map_err(|e| e.code()), Err("invalid_tag"), "{bad:?}");
        }
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(transfer_note(None).ok(), Some(None));
        assert_eq!(transfer_note(Some("  \n ")).ok(), Some(None));
        assert_eq!(transfer_note(Some("  call back at 3 ")).ok(), Some(Some("call back at 3".into())));
        assert!(transfer_note(Some(&"é".repeat(500))).is_ok());
        assert_eq!(transfer_note(Some(&"é".repeat(501))).map_err(|e| e.code()), Err("note_too_long"));
    }

    #[test]
    fn colours_are_hex_triplets() {
        assert_eq!(tag_color(" #2F80ED ").ok().as_deref(), Some("#2f80ed"));
        for bad in ["2f80ed", "#2f80e", "#2f80edd", "#gggggg", "red"] {
            assert_eq!(tag_color(bad).map_err(|e| e.code()), Err("invalid_color"), "{bad}");
        }
    }

    #[test]
    fn tag_sets_dedupe_sort_and_cap() {
        let set = tag_set(&["refund".into(), "billing".into(), "refund".into()]).ok();
        assert_eq!(set, Some(vec!["billing".to_string(), "refund".to_string()]));
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(tag_set(&many).map_err(|e| e.code()), Err("too_many_tags"));
        assert_eq!(tag_set(&["Nope".into()]).map_err(|e| e.code()), Err("unknown_tag"));
    }
}
