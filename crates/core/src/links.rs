//! The one place where links are made from customer data. A customer writes the text the desk
//! shows, so a link in it may try `javascript:`, `file:` or a custom scheme, or a `mailto:` that
//! quietly adds `?bcc=` or a prefilled body. Only two kinds become links:
//! - web links: `https:` or `http:` with a host and no user name or password (which would hide
//!   the real host: `https://bank.example@evil.example`);
//! - mail links: `mailto:` and one plain address, nothing after it.
//!
//! Everything else stays text. Front ends show [`segments`] and open only what [`external_url`]
//! returns.

use std::sync::LazyLock;

use regex::Regex;
use reqwest::Url;
use serde::{Deserialize, Serialize};

/// A piece of message text: plain, or a link to open in the system's browser or mail program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkSegment {
    Text {
        text: String,
    },
    /// `text` as the customer wrote it; `href` the checked URL to open.
    Link {
        text: String,
        href: String,
    },
}

// A URL runs until whitespace or a character that cannot appear unescaped in one.
static CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(?:https?://|mailto:)[^\s<>"'`{}|\\^]+"#).expect("the link pattern compiles"));

/// Splits untrusted text into plain text and checked links; the pieces join back to `text`.
pub fn segments(text: &str) -> Vec<LinkSegment> {
    let mut out = Vec::new();
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = CANDIDATE.find_at(text, from) {
        let candidate = trim_url(found.as_str());
        let end = found.start() + candidate.len();
        from = end.max(found.start() + 1);
        let Some(href) = external_url(candidate) else { continue };
        if found.start() > last {
            out.push(LinkSegment::Text { text: text[last..found.start()].to_string() });
        }
        out.push(LinkSegment::Link { text: candidate.to_string(), href });
        last = end;
    }
    if last < text.len() {
        out.push(LinkSegment::Text { text: text[last..].to_string() });
    }
    out
}

/// Drops punctuation that ends a sentence rather than the URL, keeping balanced brackets:
/// "(see https://x.example/a_(b))." links `https://x.example/a_(b)`.
fn trim_url(url: &str) -> &str {
    const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', '…', '\'', '"', '”', '’', '»', ')', ']', '}', '>'];
    let mut result = url;
    while let Some(last) = result.chars().next_back().filter(|c| TRAILING.contains(c)) {
        let open = match last {
            ')' => Some('('),
            ']' => Some('['),
            '}' => Some('{'),
            _ => None,
        };
        if let Some(open) = open {
            if result.matches(open).count() >= result.matches(last).count() {
                return result;
            }
        }
        result = &result[..result.len() - last.len_utf8()];
    }
    result
}

/// The URL to hand to the system for a link the customer wrote, or `None` when it must stay
/// text. Web links come back normalised (what is opened is exactly what was checked); a mail
/// link comes back as `mailto:` and its one address.
pub fn external_url(candidate: &str) -> Option<String> {
    if candidate.len() > 4096 || candidate.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, rest) = candidate.split_once(':')?;
    if scheme.eq_ignore_ascii_case("mailto") {
        return mailto(rest, None);
    }
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return None;
    }
    // The host must be spelled out: `url` reads `https:///x` and `https:\\x` as host `x`.
    let authority = rest.strip_prefix("//")?;
    if authority.starts_with('/') || authority.contains('\\') {
        return None;
    }
    let url = Url::parse(candidate).ok()?;
    let web = matches!(url.scheme(), "https" | "http");
    let host = url.host_str().is_some_and(|host| !host.is_empty());
    (web && host && url.username().is_empty() && url.password().is_none()).then(|| url.to_string())
}

/// A `mailto:` link to one address, with a subject the app adds (percent-encoded as RFC 6068
/// asks: `%20`, not `+`). `None` when `address` is not one plain address.
pub fn mailto(address: &str, subject: Option<&str>) -> Option<String> {
    if !is_email_address(address) {
        return None;
    }
    let mut link = format!("mailto:{address}");
    if let Some(subject) = subject.filter(|s| !s.is_empty()) {
        link.push_str("?subject=");
        link.push_str(&percent_encode(subject));
    }
    Some(link)
}

/// One address, `local@domain`, in the plain form mail programs agree on: the local part from
/// RFC 5322's dot-atom without `%` and `?` (which mean something else in a mailto URL), an ASCII
/// domain of at least two labels. Lists (`a@x,b@y`), quoted local parts, comments and
/// percent-encoding are refused — such an address stays text.
pub fn is_email_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&'*+-/=^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// RFC 3986 percent-encoding of everything but the unreserved characters. Written out because
/// the query helpers of `url` encode for forms (spaces as `+`), which mail programs show as `+`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn link(text: &str, href: &str) -> LinkSegment {
        LinkSegment::Link { text: text.into(), href: href.into() }
    }

    fn plain(text: &str) -> LinkSegment {
        LinkSegment::Text { text: text.into() }
    }

    #[test]
    fn web_links_need_http_or_https_and_a_host() {
        assert_eq!(external_url("https://example.com/a?b=1#c").as_deref(), Some("https://example.com/a?b=1#c"));
        assert_eq!(external_url("HTTP://Example.COM").as_deref(), Some("http://example.com/"));
        for wrong in [
            "javascript:alert(1)",
            "JavaScript://example.com/%0Aalert(1)",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "handoff://conversation/1",
            "vbscript:msgbox",
            "ms-settings:privacy",
            "https:example.com",
            "https://",
            "https:///path",
            "https://bank.example@evil.example/",
            "https://user:pw@example.com/",
            "https://example.com/a b",
            "https://example.com/\nx",
            "https://exa\u{1b}mple.com",
            "ftp://example.com/",
            "",
            ":",
        ] {
            assert_eq!(external_url(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn mail_links_take_one_plain_address_and_nothing_else() {
        assert_eq!(
            external_url("mailto:sam.lee+desk@example.co.uk").as_deref(),
            Some("mailto:sam.lee+desk@example.co.uk")
        );
        assert_eq!(external_url("MAILTO:sam@example.com").as_deref(), Some("mailto:sam@example.com"));
        for wrong in [
            "mailto:",
            "mailto:sam@example.com?bcc=evil@example.com",
            "mailto:sam@example.com?body=send%20me%20your%20password",
            "mailto:sam@example.com&cc=evil@example.com",
            "mailto:?to=sam@example.com",
            "mailto:sam@example.com,evil@example.com",
            "mailto:sam@example.com;evil@example.com",
            "mailto:sam%40example.com",
            "mailto:sam@example.com%0Abcc:evil@example.com",
            "mailto:sam@example.com\nBcc: evil@example.com",
            "mailto:\"sam\"@example.com",
            "mailto:sam@localhost",
            "mailto:sam@-example.com",
            "mailto:sam@exa_mple.com",
            "mailto:.sam@example.com",
            "mailto:sa..m@example.com",
            "mailto:sam@@example.com",
            "mailto:sam@example..com",
        ] {
            assert_eq!(external_url(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn subjects_the_app_adds_are_percent_encoded() {
        assert_eq!(
            mailto("sam@example.com", Some("Re: order #42 & refund?\r\nBcc: x@y.z")).as_deref(),
            Some("mailto:sam@example.com?subject=Re%3A%20order%20%2342%20%26%20refund%3F%0D%0ABcc%3A%20x%40y.z")
        );
        assert_eq!(mailto("sam@example.com", Some("Zoë")).as_deref(), Some("mailto:sam@example.com?subject=Zo%C3%AB"));
        assert_eq!(mailto("sam@example.com", None).as_deref(), Some("mailto:sam@example.com"));
        assert_eq!(mailto("sam@example.com?cc=x@y.z", Some("hi")), None);
    }

    #[test]
    fn text_splits_into_plain_pieces_and_checked_links() {
        assert_eq!(
            segments("See https://example.com/help. Or (https://en.example.org/A_(b)) and mailto:sam@example.com!"),
            vec![
                plain("See "),
                link("https://example.com/help", "https://example.com/help"),
                plain(". Or ("),
                link("https://en.example.org/A_(b)", "https://en.example.org/A_(b)"),
                plain(") and "),
                link("mailto:sam@example.com", "mailto:sam@example.com"),
                plain("!"),
            ]
        );
        // Refused candidates stay text, whole.
        let text =
            "write to mailto:sam@example.com?bcc=evil@example.com or javascript:alert(1) or https://u:p@x.example";
        assert_eq!(segments(text), vec![plain(text)]);
        assert_eq!(segments(""), vec![]);
        assert_eq!(segments("no links"), vec![plain("no links")]);
    }

    fn joined(segments: &[LinkSegment]) -> String {
        segments
            .iter()
            .map(|s| match s {
                LinkSegment::Text { text } | LinkSegment::Link { text, .. } => text.as_str(),
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        /// Whatever a customer writes: no panic, nothing lost, and every link opens an
        /// http(s) URL with a host or a mailto of one address.
        #[test]
        fn any_text_splits_without_loss_into_safe_links(
            text in "([a-z.@:/?&=#%() \\n]|https?://|mailto:|javascript:|file:|example\\.com|é|😀){0,40}"
        ) {
            let pieces = segments(&text);
            prop_assert_eq!(joined(&pieces), text.clone());
            for piece in &pieces {
                if let LinkSegment::Link { href, .. } = piece {
                    if let Some(address) = href.strip_prefix("mailto:") {
                        prop_assert!(is_email_address(address), "{href}");
                    } else {
                        let url = Url::parse(href).expect("a checked link parses");
                        prop_assert!(matches!(url.scheme(), "https" | "http"), "{href}");
                        prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{href}");
                    }
                }
            }
        }

        #[test]
        fn arbitrary_urls_never_panic(text in any::<String>()) {
            if let Some(href) = external_url(&text) {
                prop_assert!(href.starts_with("https://") || href.starts_with("http://") || href.starts_with("mailto:"));
                prop_assert!(!href.contains(['?', '\n', '\r', ',']) || !href.starts_with("mailto:"));
            }
        }

        #[test]
        fn subjects_never_add_a_header(subject in any::<String>()) {
            let link = mailto("sam@example.com", Some(&subject)).expect("a valid address");
            let query = link.strip_prefix("mailto:sam@example.com").expect("the address first");
            prop_assert!(query.is_empty() || query.starts_with("?subject="));
            prop_assert!(!query.trim_start_matches("?subject=").contains(['&', '?', '=', '\n', '\r', ' ']));
        }
    }
}
