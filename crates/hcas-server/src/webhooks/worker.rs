//! The delivery worker: one task per organization claims due deliveries
//! from the store's queue and POSTs each in a task of its own, so a slow
//! receiver holds up only its own deliveries (and, through the store's
//! order, the later events of the same appointments), never other
//! subscriptions. Each POST has a time limit; redirects are not followed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::header;
use hcas_store::{AttemptReport, Delivery, Outcome, Store, Subscription};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::{now_ms, signature};
use crate::config::WebhookConfig;
use crate::org_workers::OrgWorkers;
use crate::tenants::OrgId;

/// Most POSTs in flight per organization.
const MAX_IN_FLIGHT: usize = 64;
/// How long an idle worker waits before looking again without a nudge or
/// a retry it scheduled itself falling due: what it does not know of (the
/// leases a killed process left, deliveries another process enqueued) is
/// claimed at most this late. A claim is a write (SQLite's write lock), so
/// an idle worker does not poll often.
const IDLE: Duration = Duration::from_secs(5);
/// How long a worker waits after the store failed.
const BACKOFF: Duration = Duration::from_secs(1);
/// A claim's lease beyond the POST's time limit: a delivery whose attempt
/// was never recorded (the process died) is claimed again after it.
const LEASE_MARGIN_MS: i64 = 5_000;

/// The header with the event id.
pub const ID_HEADER: &str = "hcas-webhook-id";
/// The header with the Unix second the delivery was signed at.
pub const TIMESTAMP_HEADER: &str = "hcas-webhook-timestamp";
/// The header with the signature (`v1=<hex>`).
pub const SIGNATURE_HEADER: &str = "hcas-webhook-signature";

struct Shared {
    settings: WebhookConfig,
    client: reqwest::Client,
}

/// The delivery workers, one per organization.
pub struct Dispatcher {
    shared: Arc<Shared>,
    workers: OrgWorkers,
}

impl Dispatcher {
    /// Workers delivering with `settings`.
    #[must_use]
    pub fn new(settings: WebhookConfig) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hcas-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            shared: Arc::new(Shared { settings, client }),
            workers: OrgWorkers::default(),
        }
    }

    /// Start the worker of `org` if it is not running (inside a tokio runtime).
    pub fn ensure(&self, org: &OrgId, store: Arc<dyn Store>) {
        let shared = Arc::clone(&self.shared);
        self.workers
            .ensure(org, |nudge| run(org.clone(), store, shared, nudge));
    }

    /// Wake the worker of `org` (deliveries were enqueued or replayed).
    pub fn wake(&self, org: &OrgId) {
        self.workers.wake(org);
    }
}

async fn run(org: OrgId, store: Arc<dyn Store>, shared: Arc<Shared>, nudge: Arc<Notify>) {
    // Each task answers when its delivery is due again (a retry), if it is.
    let mut in_flight: JoinSet<Option<i64>> = JoinSet::new();
    // The earliest retry this worker scheduled that is not claimed yet.
    let mut wake_at: Option<i64> = None;
    let lease = i64::try_from(shared.settings.timeout_ms).unwrap_or(60_000) + LEASE_MARGIN_MS;
    loop {
        while let Some(done) = in_flight.try_join_next() {
            if let Ok(Some(at)) = done {
                wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
            }
        }
        let room = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
        if room > 0 {
            let now = now_ms();
            if wake_at.is_some_and(|w| w <= now) {
                wake_at = None;
            }
            match store.webhook_claim(now, now + lease, room).await {
                Ok(batch) if !batch.is_empty() => {
                    let full = batch.len() == room;
                    match store.webhook_list().await {
                        Ok(subs) => {
                            let subs: HashMap<String, Subscription> =
                                subs.into_iter().map(|s| (s.id.clone(), s)).collect();
                            for d in batch {
                                // A subscription deleted since the claim: its deliveries are gone.
                                if let Some(s) = subs.get(&d.subscription) {
                                    in_flight.spawn(deliver(
                                        Arc::clone(&store),
                                        Arc::clone(&shared),
                                        s.clone(),
                                        d,
                                    ));
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(org = %org, code = e.code(), "webhook subscriptions unreadable; the claimed deliveries are retried after their lease");
                            tokio::time::sleep(BACKOFF).await;
                        }
                    }
                    if full {
                        continue;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(org = %org, code = e.code(), "webhook queue unreadable; retrying");
                    tokio::time::sleep(BACKOFF).await;
                    continue;
                }
            }
        }
        let idle = wake_at.map_or(IDLE, |w| {
            Duration::from_millis(u64::try_from(w - now_ms()).unwrap_or(0)).min(IDLE)
        });
        tokio::select! {
            () = nudge.notified() => {}
            () = tokio::time::sleep(idle) => {}
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Ok(Some(at)) = done {
                    wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
                }
            }
        }
    }
}

/// The delay before attempt `attempts + 1` after `attempts` failed ones:
/// `backoff_ms * 2^(attempts - 1)`, capped at `backoff_max_ms`, then a random
/// point in its upper half (jitter, so receivers that come back are not hit
/// by every retry at once).
pub(crate) fn backoff_ms(settings: &WebhookConfig, attempts: u32, random: u32) -> i64 {
    let doubling = attempts.saturating_sub(1).min(40);
    let full = settings
        .backoff_ms
        .saturating_mul(1u64 << doubling)
        .min(settings.backoff_max_ms);
    let half = full / 2;
    let jitter = (full - half) * u64::from(random) / u64::from(u32::MAX);
    i64::try_from(half + jitter).unwrap_or(i64::MAX)
}

pub(crate) fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // Without randomness the delay is the full one: still a valid schedule.
    if getrandom::getrandom(&mut b).is_err() {
        return u32::MAX;
    }
    u32::from_le_bytes(b)
}

/// Why a POST got no answer, in a word (never the URL, which may carry a token).
fn failure(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_redirect() {
        "redirect"
    } else {
        "request"
    }
}

/// POST one delivery and record the attempt; when it is due again (a retry).
async fn deliver(
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    sub: Subscription,
    d: Delivery,
) -> Option<i64> {
    let settings = &shared.settings;
    let timestamp = now_ms() / 1000;
    let sent = shared
        .client
        .post(&sub.url)
        .timeout(Duration::from_millis(settings.timeout_ms))
        .header(header::CONTENT_TYPE, "application/json")
        .header(ID_HEADER, &d.event_id)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature(&sub.secret, timestamp, &d.body))
        .body(d.body.clone())
        .send()
        .await;
    let (http_status, error) = match sent {
        Ok(r) => (Some(r.status().as_u16()), None),
        Err(e) => (None, Some(failure(&e).to_string())),
    };
    let attempt = d.attempts + 1;
    let at = now_ms();
    let outcome = if http_status.is_some_and(|s| (200..300).contains(&s)) {
        Outcome::Delivered
    } else if attempt >= settings.max_attempts {
        Outcome::Dead
    } else {
        Outcome::Retry {
            next_ms: at + backoff_ms(settings, attempt, random_u32()),
        }
    };
    let retry_at = match outcome {
        Outcome::Retry { next_ms } => Some(next_ms),
        _ => None,
    };
    let report = AttemptReport {
        at_ms: at,
        http_status,
        error,
        outcome,
    };
    match store
        .webhook_record(&d.subscription, &d.event_id, &report)
        .await
    {
        Ok(after) => tracing::info!(
            subscription = %d.subscription,
            event = %d.event_id,
            attempt,
            http_status,
            status = after.status.as_str(),
            "webhook attempt"
        ),
        Err(hcas_store::StoreError::NotFound { .. }) => {}
        Err(e) => tracing::warn!(
            subscription = %d.subscription,
            event = %d.event_id,
            code = e.code(),
            "webhook attempt not recorded; it is retried after its lease"
        ),
    }
    retry_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_in_the_upper_half() {
        let s = WebhookConfig {
            timeout_ms: 1000,
            backoff_ms: 100,
            backoff_max_ms: 1000,
            max_attempts: 10,
        };
        // Full delay (random at its top): 100, 200, 400, 800, then the cap.
        let top: Vec<i64> = (1..=6).map(|n| backoff_ms(&s, n, u32::MAX)).collect();
        assert_eq!(top, [100, 200, 400, 800, 1000, 1000]);
        // Random at the bottom: half of each.
        let low: Vec<i64> = (1..=6).map(|n| backoff_ms(&s, n, 0)).collect();
        assert_eq!(low, [50, 100, 200, 400, 500, 500]);
        // Huge attempt counts do not overflow.
        assert_eq!(backoff_ms(&s, u32::MAX, u32::MAX), 1000);
    }
}
