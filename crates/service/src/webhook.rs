//! Delivers agent replies to the bot platform: signed POSTs from a durable outbox, retried
//! with exponential backoff, in order per conversation. The receiver dedupes by delivery id.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use handoff_protocol::signing::{self, DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use tokio::sync::watch;

use crate::store::{DeliveryAttempt, DueDelivery, Store};

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: Arc<[u8]>,
    /// Delay before the first retry; doubles per attempt.
    pub retry_base: Duration,
    /// Upper bound of one retry delay.
    pub retry_max: Duration,
    /// After this many failed attempts the delivery is given up and kept as failed.
    pub max_attempts: u32,
    pub timeout: Duration,
}

impl WebhookConfig {
    pub fn new(url: String, secret: Arc<[u8]>) -> Self {
        Self {
            url,
            secret,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            max_attempts: 15,
            timeout: Duration::from_secs(10),
        }
    }

    fn backoff(&self, attempts_so_far: u32) -> Duration {
        let factor = 1u32.checked_shl(attempts_so_far.min(20)).unwrap_or(u32::MAX);
        self.retry_base.saturating_mul(factor).min(self.retry_max)
    }
}

pub async fn run_worker(store: Arc<dyn Store>, config: WebhookConfig, mut shutdown: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder().timeout(config.timeout).build() {
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
        let sleep_for = match next {
            Ok(Ok(Some(at))) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(Duration::from_secs(30)),
            _ => Duration::from_secs(30),
        };
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = enqueued.notified() => {}
            _ = tokio::time::sleep(sleep_for.max(Duration::from_millis(5))) => {}
        }
    }
    tracing::info!("outbound webhook worker stopped");
}

async fn deliver(client: &reqwest::Client, config: &WebhookConfig, delivery: &DueDelivery) -> DeliveryAttempt {
    let timestamp = Utc::now().timestamp();
    let signature = signing::sign(&config.secret, timestamp, delivery.payload.as_bytes());
    let result = client
        .post(&config.url)
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
        Ok(response) => format!("the receiver answered {}", response.status()),
        Err(error) => format!("the receiver could not be reached: {error}"),
    };
    let attempts = delivery.attempts + 1;
    if attempts >= config.max_attempts {
        tracing::warn!(delivery = %delivery.id, %error, attempts, "giving up on a webhook delivery");
        return DeliveryAttempt::GiveUp { error };
    }
    let delay = config.backoff(delivery.attempts);
    tracing::info!(delivery = %delivery.id, %error, retry_in_ms = delay.as_millis() as u64, "webhook delivery failed");
    DeliveryAttempt::Retry {
        error,
        next_attempt_at: Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default(),
    }
}
