//! Log lines carry outside text: customer and agent text, names, external ids, paths, and error
//! messages that quote them. Written raw, a `\n` in such a value forges a log line of its own and
//! an ESC starts a terminal control sequence. tracing-subscriber (0.3.23) escapes ANSI only in
//! the `message` of an event, and newlines nowhere, so every binary of the workspace formats
//! fields through [`escaping_fields`] (`fmt().fmt_fields(escaping_fields())`, or
//! `fmt::layer().fmt_fields(…)`); [`Escaped`] does the same for text printed to a terminal.
//! Here, behind the `log` feature, because the service and the clients share no other crate.

use std::fmt::{self, Write as _};

use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{self, Writer};
use tracing_subscriber::fmt::FormatFields;

/// Shows `T` with control characters (and the Unicode ones that move or reorder text) escaped
/// as `\n`, `\r`, `\t` or `\u{…}`; everything else, non-ASCII letters included, stays readable.
pub struct Escaped<T>(pub T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(EscapingWriter(f), "{}", self.0)
    }
}

impl<T: fmt::Debug> fmt::Debug for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(EscapingWriter(f), "{:?}", self.0)
    }
}

/// Whether a character of untrusted text must be shown escaped wherever people read it (logs,
/// terminals): control characters, line and paragraph separators, and the bidi controls that
/// reorder what is displayed.
pub fn needs_escape(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

struct EscapingWriter<W>(W);

impl<W: fmt::Write> fmt::Write for EscapingWriter<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(needs_escape) {
            self.0.write_str(&rest[..at])?;
            let ch = rest[at..].chars().next().unwrap_or_default();
            match ch {
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                other => write!(self.0, "\\u{{{:x}}}", other as u32)?,
            }
            rest = &rest[at + ch.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

/// The field formatter of the service's log: `name=value` pairs and the message as
/// tracing-subscriber writes them, with every value escaped as [`Escaped`] does, whether it was
/// recorded with `%`, `?` or as a message.
pub fn escaping_fields() -> impl for<'writer> FormatFields<'writer> + Send + Sync + 'static {
    format::debug_fn(|writer: &mut Writer<'_>, field: &tracing::field::Field, value: &dyn fmt::Debug| {
        let mut out = EscapingWriter(writer);
        match field.name() {
            "message" => write!(out, "{value:?}"),
            // Metadata of `log` records, already shown by the event formatter.
            name if name.starts_with("log.") => Ok(()),
            name => write!(out, "{}={value:?}", name.strip_prefix("r#").unwrap_or(name)),
        }
    })
    .delimited(" ")
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    const HOSTILE: &str = "x\n2026-01-01T00:00:00Z  INFO forged: \x1b[31mred\u{202e}";

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// What a subscriber writes for `log`, with or without the escaping field formatter.
    fn capture(escaping: bool, log: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let builder = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone());
        if escaping {
            tracing::subscriber::with_default(builder.fmt_fields(escaping_fields()).finish(), log);
        } else {
            tracing::subscriber::with_default(builder.finish(), log);
        }
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    fn everything() {
        let span = tracing::info_span!("request", uri = %HOSTILE);
        let _entered = span.enter();
        tracing::info!(name = %HOSTILE, debug = ?HOSTILE, "message {HOSTILE}");
    }

    #[test]
    fn what_the_default_formatter_does_with_hostile_text() {
        // Why every binary brings its own field formatter (should this fail after an upgrade,
        // tracing-subscriber may now escape by itself). 0.3.23 escapes ESC in the message, but
        // not its newline...
        let message = capture(false, || tracing::info!("message {HOSTILE}"));
        assert_eq!(message.lines().count(), 2, "{message:?}");
        assert!(!message.contains('\x1b') && message.contains(r"\x1b[31m"), "{message:?}");
        // ...and neither in `%` fields, nor in span fields.
        let field = capture(false, || tracing::info!(name = %HOSTILE, "field"));
        assert!(field.lines().count() == 2 && field.contains('\x1b'), "{field:?}");
        let span = capture(false, || {
            let _entered = tracing::info_span!("request", uri = %HOSTILE).entered();
            tracing::info!("in a span");
        });
        assert!(span.lines().count() == 2 && span.contains('\x1b'), "{span:?}");
        // `?` (Debug) escapes both.
        let debug = capture(false, || tracing::info!(name = ?HOSTILE, "debug"));
        assert!(debug.lines().count() == 1 && !debug.contains('\x1b'), "{debug:?}");
    }

    #[test]
    fn every_field_span_and_message_is_one_escaped_line() {
        let line = capture(true, everything);
        assert_eq!(line.lines().count(), 1, "{line:?}");
        assert!(!line.contains('\x1b') && !line.contains('\u{202e}'), "{line:?}");
        assert!(line.contains(r"request{uri=x\n2026-01-01T00:00:00Z  INFO forged: \u{1b}[31mred\u{202e}}"), "{line}");
        assert!(line.contains(r"message x\n2026"), "{line}");
        assert!(line.contains(r"name=x\n2026"), "{line}");
        assert!(line.contains(r#"debug="x\n2026"#), "{line}");
    }

    #[test]
    fn escaped_keeps_letters_and_escapes_controls() {
        assert_eq!(Escaped("Zoë\t\r\n\x1b[0m\u{2028}").to_string(), r"Zoë\t\r\n\u{1b}[0m\u{2028}");
    }
}
