//! The webhooks port, [`WebhookStore`]: subscriptions (where to POST which
//! event types, with the secret that signs them), the durable delivery queue
//! (one row per subscription and event, unique on the pair, so enqueuing an
//! event twice is harmless) and the log of every attempt.
//!
//! The store decides nothing about HTTP, backoff or signatures: the server's
//! delivery worker claims due deliveries ([`WebhookStore::webhook_claim`]),
//! posts them, and records each attempt with its outcome
//! ([`WebhookStore::webhook_record`]). What the store guarantees:
//!
//! - **Order per aggregate.** A claim never returns a delivery while an
//!   earlier one (lower [`NewDelivery::seq`]) of the same subscription and
//!   aggregate (one appointment) is still pending: event k+1 of an
//!   appointment waits until event k is delivered or dead.
//! - **Leases.** A claim moves each claimed delivery's next attempt to
//!   `lease_until`, so no other claim returns it while it is in flight; a
//!   worker that dies mid-attempt leaves it to be claimed again after the
//!   lease (at least once, never lost).
//! - **Secrets** are stored as given (they sign every delivery); the store
//!   returns them to the worker, and the server never shows them after
//!   creation.
//!
//! Times here are Unix **milliseconds** (`*_ms`), so retry schedules below a
//! second work (tests use them).

use async_trait::async_trait;
use hcas_core::{Error, ErrorCode, Timestamp};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Longest subscription URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Most event types one subscription names.
pub const MAX_EVENT_TYPES: usize = 16;
/// Longest secret, in bytes.
pub const MAX_SECRET_LEN: usize = 256;
/// Most deliveries one [`WebhookStore::webhook_claim`] or
/// [`WebhookStore::webhook_deliveries`] returns.
pub const MAX_WEBHOOK_PAGE: usize = 1000;

/// Where to POST which events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Unique id (the id rule of `docs/limits.md`).
    pub id: String,
    /// An absolute `http://` or `https://` URL.
    pub url: String,
    /// The event types to deliver (each 1 to 64 of `a-z`, `.`, `_`, or `*`
    /// for every type).
    pub events: Vec<String>,
    /// The HMAC key that signs every delivery (never shown after creation).
    pub secret: String,
    /// An inactive subscription gets nothing enqueued and nothing delivered.
    pub active: bool,
    /// When it was created.
    pub created: Timestamp,
}

fn invalid(at: &str, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InvalidRequest, format!("{at}: {what}"))
}

impl Subscription {
    /// Whether this subscription wants events of type `event_type`.
    #[must_use]
    pub fn wants(&self, event_type: &str) -> bool {
        self.active && self.events.iter().any(|e| e == "*" || e == event_type)
    }

    /// Check the fields: an id-shaped id, an `http(s)://` URL of at most
    /// [`MAX_URL_LEN`] bytes without whitespace, 1 to [`MAX_EVENT_TYPES`]
    /// event types, and a secret of 1 to [`MAX_SECRET_LEN`] bytes without
    /// control characters.
    ///
    /// # Errors
    /// `invalid_request` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        hcas_core::id::check_id("subscription.id", &self.id)?;
        let u = &self.url;
        let lower = u.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        if u.len() > MAX_URL_LEN
            || u.chars().any(|c| c.is_whitespace() || c.is_control())
            || rest.is_none_or(|r| r.is_empty() || r.starts_with('/'))
        {
            return Err(invalid(
                "subscription.url",
                format!(
                    "must be an http:// or https:// URL with a host, at most {MAX_URL_LEN} bytes"
                ),
            ));
        }
        if self.events.is_empty() || self.events.len() > MAX_EVENT_TYPES {
            return Err(invalid(
                "subscription.events",
                format!("give 1 to {MAX_EVENT_TYPES} event types"),
            ));
        }
        for e in &self.events {
            let ok = e == "*"
                || (!e.is_empty()
                    && e.len() <= 64
                    && e.bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'));
            if !ok {
                return Err(invalid(
                    "subscription.events",
                    "each event type is 1 to 64 of a-z, `.` and `_`, or `*`",
                ));
            }
        }
        if self.secret.is_empty()
            || self.secret.len() > MAX_SECRET_LEN
            || self.secret.chars().any(char::is_control)
        {
            return Err(invalid(
                "subscription.secret",
                format!("must be 1 to {MAX_SECRET_LEN} bytes without control characters"),
            ));
        }
        Ok(())
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Not delivered yet: due at `next_attempt_ms` (or in flight).
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Given up after the last attempt; replayable.
    Dead,
}

impl DeliveryStatus {
    /// The stored word: `pending`, `delivered`, `dead`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// The status stored as `s`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// A delivery to enqueue: one event for one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDelivery {
    /// The subscription's id.
    pub subscription: String,
    /// The event's unique id (deliveries are unique per subscription and event id).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// What the event is about (an appointment id): order is kept per
    /// subscription and aggregate.
    pub aggregate: String,
    /// The event's place among its aggregate's events (increasing in change order).
    pub seq: i64,
    /// The exact body to POST (it is signed as stored, so every attempt
    /// sends the same bytes).
    pub body: String,
    /// When it is first due, Unix milliseconds.
    pub due_ms: i64,
}

/// A delivery in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The subscription's id.
    pub subscription: String,
    /// The event's id.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// What the event is about.
    pub aggregate: String,
    /// The event's place among its aggregate's events.
    pub seq: i64,
    /// The body to POST.
    pub body: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is next due (pending), Unix milliseconds.
    pub next_attempt_ms: i64,
    /// The HTTP status of the last attempt, if an answer came.
    pub last_status: Option<u16>,
    /// Why the last attempt failed without an answer (`timeout`, ...).
    pub last_error: Option<String>,
    /// When it was enqueued, Unix milliseconds.
    pub created_ms: i64,
}

/// What an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Outcome {
    /// Delivered (a 2xx answer).
    Delivered,
    /// Failed; try again at this Unix millisecond.
    Retry {
        /// When.
        next_ms: i64,
    },
    /// Failed for the last time.
    Dead,
}

/// One attempt, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptReport {
    /// When it was made, Unix milliseconds.
    pub at_ms: i64,
    /// The HTTP status, if an answer came.
    pub http_status: Option<u16>,
    /// Why it failed without an answer (a short word, never a secret or a body).
    pub error: Option<String>,
    /// What follows.
    pub outcome: Outcome,
}

/// One logged attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Its number since the delivery was (re)queued (1 for the first; a
    /// replay starts again at 1, the log keeps the earlier ones).
    pub attempt: u32,
    /// When it was made, Unix milliseconds.
    pub at_ms: i64,
    /// The HTTP status, if an answer came.
    pub http_status: Option<u16>,
    /// Why it failed without an answer.
    pub error: Option<String>,
    /// The delivery's status after it.
    pub status: DeliveryStatus,
}

/// Webhook subscriptions, their delivery queue and its log, of one organization.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Create a subscription.
    ///
    /// # Errors
    /// `AlreadyExists`, `Invalid` ([`Subscription::validate`]), `Unavailable`.
    async fn webhook_create(&self, subscription: Subscription) -> Result<Subscription, StoreError>;

    /// The subscription with this id (with its secret).
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn webhook_get(&self, id: &str) -> Result<Subscription, StoreError>;

    /// Every subscription, by creation time then id.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn webhook_list(&self) -> Result<Vec<Subscription>, StoreError>;

    /// Delete a subscription with its deliveries and their log.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn webhook_delete(&self, id: &str) -> Result<(), StoreError>;

    /// Enqueue deliveries, all in one transaction; a delivery whose
    /// (subscription, event id) is already queued, or whose subscription does
    /// not exist, is skipped. Returns how many were added.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn webhook_enqueue(&self, deliveries: &[NewDelivery]) -> Result<u64, StoreError>;

    /// Claim up to `limit` due deliveries: pending, due at `now_ms`, of an
    /// active subscription, and with no earlier pending delivery of the same
    /// subscription and aggregate; each claimed one is due again at
    /// `lease_until_ms` (unless recorded before). The earliest due are
    /// chosen first; they are returned by sequence.
    ///
    /// # Errors
    /// `Invalid` for `limit` 0 or above [`MAX_WEBHOOK_PAGE`]; `Unavailable`.
    async fn webhook_claim(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Log an attempt of a pending delivery and apply its outcome (attempts
    /// +1; delivered, due again at `next_ms`, or dead); returns the delivery
    /// after it. A delivery that is no longer pending is left as it is (a
    /// late report after a replay or a second worker) and returned.
    ///
    /// # Errors
    /// `NotFound` (the subscription or delivery is gone), `Unavailable`.
    async fn webhook_record(
        &self,
        subscription: &str,
        event_id: &str,
        report: &AttemptReport,
    ) -> Result<Delivery, StoreError>;

    /// Up to `limit` deliveries of a subscription (optionally in one
    /// status), newest first (by creation, then by sequence).
    ///
    /// # Errors
    /// `NotFound` for an unknown subscription; `Invalid` for `limit` 0 or
    /// above [`MAX_WEBHOOK_PAGE`]; `Unavailable`.
    async fn webhook_deliveries(
        &self,
        subscription: &str,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// One delivery with every logged attempt, oldest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown delivery, `Unavailable`.
    async fn webhook_delivery(
        &self,
        subscription: &str,
        event_id: &str,
    ) -> Result<(Delivery, Vec<Attempt>), StoreError>;

    /// Put every dead delivery of a subscription back in the queue: pending,
    /// no attempts, due at `now_ms` (the log keeps the old attempts).
    /// Returns how many.
    ///
    /// # Errors
    /// `NotFound` for an unknown subscription, `Unavailable`.
    async fn webhook_replay(&self, subscription: &str, now_ms: i64) -> Result<u64, StoreError>;
}

/// `limit` of a webhook page, checked.
pub(crate) fn check_page(limit: usize) -> Result<(), StoreError> {
    if limit == 0 || limit > MAX_WEBHOOK_PAGE {
        return Err(invalid(
            "limit",
            format!("give 1 to {MAX_WEBHOOK_PAGE}, got {limit}"),
        )
        .into());
    }
    Ok(())
}

/// The not-found error of a subscription.
pub(crate) fn no_subscription(id: &str) -> StoreError {
    StoreError::NotFound {
        what: "webhook subscription",
        id: id.to_string(),
    }
}

/// The not-found error of a delivery.
pub(crate) fn no_delivery(event_id: &str) -> StoreError {
    StoreError::NotFound {
        what: "webhook delivery",
        id: event_id.to_string(),
    }
}

/// The delivery's status and due time after `report`.
pub(crate) const fn after(report: &AttemptReport, due: i64) -> (DeliveryStatus, i64) {
    match report.outcome {
        Outcome::Delivered => (DeliveryStatus::Delivered, due),
        Outcome::Retry { next_ms } => (DeliveryStatus::Pending, next_ms),
        Outcome::Dead => (DeliveryStatus::Dead, due),
    }
}
