//! Delivers agent replies to the bot platform: signed POSTs from a durable outbox, retried
//! with exponential backoff, in order per conversation. The receiver dedupes by delivery id.
//! A delivery that runs out of attempts becomes a dead letter, kept in the database until an
//! admin redelivers it (`handoff-service webhooks`).
//!
//! The URL often carries the receiver's own secret (a token in the path or query), so it is
//! only ever shown redacted ([`WebhookUrl`]'s `Display` and `Debug`), and a redirect is never
//! followed: the signed body must not be re-sent to an address the admin did not configure.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use handoff_protocol::signing::{self, DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use rand::Rng;
use reqwest::Url;
use tokio::sync::watch;

use crate::store::{DeliveryAttempt, DueDelivery, Store};

/// How long the worker sleeps at most between two looks at the outbox.
pub const IDLE_POLL: Duration = Duration::from_secs(5);

/// Why a webhook URL was refused at configuration time.
#[derive(Debug, thiserror::Error)]
pub enum WebhookUrlError {
    #[error("the webhook URL is not a valid absolute URL ({0}); use e.g. https://hooks.example.com/handoff")]
    Invalid(url::ParseError),
    #[error("the webhook URL must be https:// (got {scheme}://); use an https receiver")]
    Scheme { scheme: String },
    #[error(
        "the webhook URL {url} uses plain http, which would send the signed replies and the URL's \
         own secret in clear; use https, or http only to a loopback receiver (127.0.0.0/8, ::1, \
         localhost)"
    )]
    PlainHttp { url: String },
}

/// The receiver's URL. Shown only as scheme, host and port, with path and query replaced by `…`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// Accepts `https://…`, and `http://…` only to a loopback host.
    pub fn parse(url: &str) -> Result<Self, WebhookUrlError> {
        let parsed = Url::parse(url.trim()).map_err(WebhookUrlError::Invalid)?;
        match parsed.scheme() {
            "https" => {}
            "http" if is_loopback(&parsed) => {}
            "http" => return Err(WebhookUrlError::PlainHttp { url: redact(&parsed) }),
            other => return Err(WebhookUrlError::Scheme { scheme: other.to_string() }),
        }
        if parsed.host().is_none() {
            return Err(WebhookUrlError::Invalid(url::ParseError::EmptyHost));
        }
        Ok(Self(parsed))
    }

    /// The full URL, secrets included: for the request only, never for output.
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", redact(&self.0))
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `scheme://host[:port]/…`: user info, path, query and fragment may all carry secrets.
pub fn redact(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = if url.path() == "/" && url.query().is_none() && url.fragment().is_none() { "/" } else { "/…" };
    format!("{}://{host}{port}{rest}", url.scheme())
}

#[derive(Clone)]
pub struct WebhookConfig {
    url: WebhookUrl,
    secret: Arc<[u8]>,
    /// Delay before the first retry; doubles per attempt.
    pub retry_base: Duration,
    /// Upper bound of one retry delay.
    pub retry_max: Duration,
    /// After this many failed attempts the delivery becomes a dead letter.
    pub max_attempts: u32,
    pub timeout: Duration,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("retry_base", &self.retry_base)
            .field("retry_max", &self.retry_max)
            .field("max_attempts", &self.max_attempts)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WebhookConfig {
    /// Refuses a URL the service must not post to (see [`WebhookUrl::parse`]).
    pub fn new(url: &str, secret: Arc<[u8]>) -> Result<Self, WebhookUrlError> {
        Ok(Self {
            url: WebhookUrl::parse(url)?,
            secret,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            max_attempts: 15,
            timeout: Duration::from_secs(10),
        })
    }

    pub fn url(&self) -> &WebhookUrl {
        &self.url
    }

    /// The delay after the `attempts_so_far + 1`-th failure: `retry_base × 2^attempts_so_far`,
    /// capped at `retry_max`, minus up to a fifth at random so that deliveries that failed
    /// together (a receiver outage) do not all come back at the same instant.
    fn backoff(&self, attempts_so_far: u32) -> Duration {
        let factor = 1u32.checked_shl(attempts_so_far.min(20)).unwrap_or(u32::MAX);
        let full = self.retry_base.saturating_mul(factor).min(self.retry_max);
        full.mul_f64(rand::thread_rng().gen_range(0.8..=1.0))
    }
}

pub async fn run_worker(store: Arc<dyn Store>, config: WebhookConfig, mut shutdown: watch::Receiver<bool>) {
    let client =
        match reqwest::Client::builder().timeout(config.timeout).redirect(reqwest::redirect::Policy::none()).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "cannot build the webhook HTTP client; outbound webhooks are off");
                return;
            }
        };
    let enqueued = store.deliveries_enqueued();
    tracing::info!(url = %config.url, "outbound webhook worker started");
    loop {
        let due = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.due_deliveries(Utc::now(), 50)).await
        };
        match due {
            Ok(Ok(due)) => {
                for delivery in due {
                    let attempt = deliver(&client, &config, &delivery).await;
                    let store = store.clone();
                    let id = delivery.id.clone();
                    let recorded =
                        tokio::task::spawn_blocking(move || store.record_delivery_attempt(&id, &attempt)).await;
                    if !matches!(recorded, Ok(Ok(()))) {
                        tracing::error!(delivery = %delivery.id, "could not record a webhook attempt");
                    }
                }
            }
            _ => tracing::error!("could not read due webhook deliveries"),
        }
        let next = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.next_delivery_at()).await
        };
        // Polled at least every few seconds: an admin's redelivery from another process (the
        // CLI) cannot wake this task, and the query is one index lookup.
        let sleep_for = match next {
            Ok(Ok(Some(at))) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(IDLE_POLL),
            _ => IDLE_POLL,
        };
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = enqueued.notified() => {}
            _ = tokio::time::sleep(sleep_for.max(Duration::from_millis(5))) => {}
        }
    }
    tracing::info!("outbound webhook worker stopped");
}

/// A reqwest error with its causes, without the URL (which reqwest's `Display` includes).
fn describe(error: reqwest::Error) -> String {
    let timeout = error.is_timeout();
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if timeout {
        text.push_str(" (timed out)");
    }
    text
}

async fn deliver(client: &reqwest::Client, config: &WebhookConfig, delivery: &DueDelivery) -> DeliveryAttempt {
    let timestamp = Utc::now().timestamp();
    let signature = signing::sign(&config.secret, timestamp, delivery.payload.as_bytes());
    let result = client
        .post(config.url.expose().clone())
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .header(DELIVERY_HEADER, &delivery.id)
        .body(delivery.payload.clone())
        .send()
        .await;
    let error = match result {
        Ok(response) if response.status().is_success() => {
            tracing::debug!(delivery = %delivery.id, "webhook delivered");
            return DeliveryAttempt::Delivered;
        }
        Ok(response) if response.status().is_redirection() => {
            let target = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|location| config.url.expose().join(location).ok())
                .map(|target| format!(" to {}", redact(&target)))
                .unwrap_or_default();
            format!(
                "the receiver answered {} (a redirect{target}); redirects are not followed, so the signed \
                 reply is never sent to another address: set --webhook-url to the final address",
                response.status()
            )
        }
        Ok(response) => format!("the receiver answered {}", response.status()),
        Err(error) => format!("the receiver could not be reached: {}", describe(error)),
    };
    let attempts = delivery.attempts + 1;
    if attempts >= config.max_attempts {
        tracing::warn!(
            delivery = %delivery.id, %error, attempts,
            "a webhook delivery ran out of attempts and is now a dead letter; see `handoff-service webhooks dead-letters`"
        );
        return DeliveryAttempt::GiveUp { error };
    }
    let delay = config.backoff(delivery.attempts);
    tracing::info!(delivery = %delivery.id, %error, retry_in_ms = delay.as_millis() as u64, "webhook delivery failed");
    DeliveryAttempt::Retry {
        error,
        next_attempt_at: Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_to_scheme_host_and_port() {
        let shown = |url: &str| WebhookUrl::parse(url).map(|u| u.to_string());
        assert_eq!(shown("https://hooks.example.com/t/SECRET?k=SECRET").unwrap(), "https://hooks.example.com/…");
        assert_eq!(shown("https://user:SECRET@hooks.example.com:8443/").unwrap(), "https://hooks.example.com:8443/");
        assert_eq!(shown("http://[::1]:9000/hook#SECRET").unwrap(), "http://[::1]:9000/…");
        let debug = format!("{:?}", WebhookConfig::new("https://h.example/x?SECRET", Arc::from(&b"k"[..])).unwrap());
        assert!(!debug.contains("SECRET") && !debug.contains("[107]"), "{debug}");
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        for ok in [
            "http://127.0.0.1:1/h",
            "http://127.9.9.9/h",
            "http://[::1]/h",
            "http://LOCALHOST:80/h",
            "https://x.example/h",
        ] {
            assert!(WebhookUrl::parse(ok).is_ok(), "{ok}");
        }
        for refused in
            ["http://hooks.example.com/SECRET", "http://10.0.0.1/SECRET", "http://localhost.evil.example/SECRET"]
        {
            let error = WebhookUrl::parse(refused).unwrap_err().to_string();
            assert!(error.contains("use https") && !error.contains("SECRET"), "{error}");
        }
        assert!(WebhookUrl::parse("ftp://x.example/h").unwrap_err().to_string().contains("https://"));
        assert!(WebhookUrl::parse("hooks.example.com/h").is_err());
    }

    #[test]
    fn backoff_doubles_to_the_cap_with_at_most_a_fifth_of_jitter() {
        let config = WebhookConfig::new("https://h.example/", Arc::from(&b"k"[..])).unwrap();
        for (attempts, full) in [(0, 1), (1, 2), (3, 8), (9, 512), (10, 600), (30, 600)] {
            let delay = config.backoff(attempts).as_secs_f64();
            assert!((full as f64 * 0.8..=full as f64).contains(&delay), "{attempts}: {delay}");
        }
    }
}
