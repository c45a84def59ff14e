//! Checks of client input that serde's types cannot express.

use handoff_protocol::{IntakeHandoff, IntakeMessage, Role, MAX_IDEMPOTENCY_KEY_BYTES, MAX_TEXT_BYTES};

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

pub fn idempotency_key(key: &str) -> ServiceResult<()> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
        return Err(ServiceError::bad_request(
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} bytes"),
        ));
    }
    Ok(())
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
