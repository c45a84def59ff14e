//! The only way out to the terminal. Whatever the service sends (customer and agent names,
//! channels, reasons, message text, its error messages) is untrusted: printed raw, an escape
//! sequence could clear the screen, retitle the window or rewrite what the agent reads, and a
//! newline or carriage return could forge a line of output. Every value goes through [`safe`],
//! and every write goes through [`out`], [`json`] or [`error`], which apply it again, so a
//! forgotten call cannot let a control character through. crates/cli/clippy.toml forbids
//! `println!` and friends elsewhere in the binary.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use std::io::Write;

/// Untrusted text as one safe run of characters: every control character (C0, DEL, C1 — ANSI
/// escapes, `\r` and `\n` included) and every bidi control is shown escaped, as `\u{1b}` or
/// `\n` — the same characters the logs escape.
pub fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if handoff_protocol::log::needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Text made of lines: each line made [`safe`]. The `\r` of a `\r\n` line end stays (the CSV
/// export ends its lines that way, and alone before a newline it overwrites nothing).
fn safe_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        match line.strip_suffix('\r') {
            Some(body) => {
                out.push_str(&safe(body));
                out.push('\r');
            }
            None => out.push_str(&safe(line)),
        }
    }
    out
}

/// Prints `text` (which may hold several lines) to stdout as it is, escaped.
pub fn out(text: &str) {
    write_to(&mut std::io::stdout().lock(), &safe_lines(text));
}

/// Prints one line to stdout.
pub fn line(text: &str) {
    out(&format!("{text}\n"));
}

/// Prints a value as pretty JSON (one line with `compact`). serde_json escapes C0 controls
/// inside strings; DEL and C1 controls it leaves raw, so they are escaped here the JSON way
/// (they can only occur inside strings, where `\u00XX` means the same character).
pub fn json<T: serde::Serialize>(value: &T, compact: bool) -> anyhow::Result<()> {
    let text = if compact { serde_json::to_string(value)? } else { serde_json::to_string_pretty(value)? };
    let mut escaped = json_escaped(&text);
    escaped.push('\n');
    write_to(&mut std::io::stdout().lock(), &escaped);
    Ok(())
}

/// JSON text with DEL and C1 controls escaped (see [`json`]).
fn json_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            escaped.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// A pretty JSON array written to stdout an element at a time, escaped like [`json`], so a long
/// listing never has to be held whole: `[`, then each element, then `]` from
/// [`JsonArray::finish`]. The text is the same as [`json`] of the whole list.
pub struct JsonArray {
    count: usize,
}

impl JsonArray {
    pub fn start() -> Self {
        write_to(&mut std::io::stdout().lock(), "[");
        Self { count: 0 }
    }

    pub fn push<T: serde::Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let element = serde_json::to_string_pretty(value)?;
        let mut text = String::from(if self.count == 0 { "\n" } else { ",\n" });
        text.push_str(&element.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n"));
        write_to(&mut std::io::stdout().lock(), &json_escaped(&text));
        self.count += 1;
        Ok(())
    }

    pub fn finish(self) {
        write_to(&mut std::io::stdout().lock(), if self.count == 0 { "]\n" } else { "\n]\n" });
    }
}

/// Prints `error: …` to stderr on one line: an error may quote the service.
pub fn error(message: &str) {
    write_to(&mut std::io::stderr().lock(), &format!("error: {}\n", safe(message)));
}

/// Prints `note: …` to stderr on one line: something the user should know, not a failure.
pub fn note(message: &str) {
    write_to(&mut std::io::stderr().lock(), &format!("note: {}\n", safe(message)));
}

/// Where `HANDOFF_LOG` diagnostics go. tracing-subscriber (0.3.20 and later) escapes control
/// characters in what it logs, so service text in a log line cannot drive the terminal either.
pub fn log_writer() -> std::io::Stderr {
    std::io::stderr()
}

/// Whether stderr is a terminal (log lines are coloured only then).
pub fn stderr_is_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}

fn write_to(sink: &mut impl Write, text: &str) {
    // A closed pipe (`handoff queue | head`) is not worth a panic or an error message.
    let _ = sink.write_all(text.as_bytes()).and_then(|()| sink.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_escaped() {
        assert_eq!(safe("a\u{1b}[31mred\u{7}"), "a\\u{1b}[31mred\\u{7}");
        assert_eq!(safe("one\ntwo\rthree\u{9b}2J\u{7f}"), "one\\ntwo\\rthree\\u{9b}2J\\u{7f}");
        assert_eq!(safe("Zoë 😀 ★"), "Zoë 😀 ★");
        // A right-to-left override would show "txt.exe" as "exe.txt".
        assert_eq!(safe("a\u{202e}txt.exe\u{2066}"), "a\\u{202e}txt.exe\\u{2066}");
        // Escaping twice changes nothing: the final guard may see already safe text.
        assert_eq!(safe(&safe("\u{1b}[2J\n")), safe("\u{1b}[2J\n"));
    }

    #[test]
    fn lines_keep_their_breaks_and_lose_everything_else() {
        assert_eq!(safe_lines("a\u{1b}[2J\nb\r\nc\rd\n"), "a\\u{1b}[2J\nb\r\nc\\rd\n");
    }
}
