//! The notifications port, [`NotificationStore`]: the durable queue of
//! messages to patients (one row per event, channel and recipient, unique on
//! the three, so enqueuing an event twice sends it once) and its delivery log
//! per appointment.
//!
//! Like the webhook queue ([`crate::WebhookStore`]) the store decides nothing
//! about channels, templates or backoff: the server's notification worker
//! claims due notifications ([`NotificationStore::notification_claim`]),
//! renders and sends each, and records the attempt
//! ([`NotificationStore::notification_record`]). What the store guarantees:
//!
//! - **Once per key.** (event id, channel, recipient) is unique: a duplicate
//!   enqueue is skipped.
//! - **Order per appointment.** A claim never returns a notification while an
//!   earlier one (lower [`NewNotification::seq`]) of the same appointment,
//!   channel and recipient is still pending.
//! - **Leases.** A claim moves each claimed notification's next attempt to
//!   `lease_until`, so no other claim returns it while it is in flight; a
//!   worker that dies mid-attempt leaves it to be claimed again (at least
//!   once, never lost).
//! - **Withdrawal.** An appointment's pending notifications of one type
//!   (its reminders, due later) can be made dead at once when it is
//!   cancelled or moved ([`NotificationStore::notification_withdraw`]).
//! - **No patient data in the queue.** The payload is the event (ids and
//!   times); names, addresses and the message are produced when it is sent.
//!   The last error is a short word given by the worker.
//!
//! Times are Unix **milliseconds** (`*_ms`).

use async_trait::async_trait;
use hcas_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::{Channel, Outcome, StoreError};

/// Most notifications one claim or one page returns.
pub const MAX_NOTIFICATION_PAGE: usize = 1000;
/// Longest last error, in bytes (longer ones are cut).
pub const MAX_NOTIFICATION_ERROR: usize = 200;

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NotificationStatus {
    /// Not sent yet: due at `next_attempt_ms` (or in flight).
    Pending,
    /// Handed to the channel (the SMTP server or SMS provider accepted it).
    Sent,
    /// Given up after the last attempt; can be resent.
    Dead,
}

impl NotificationStatus {
    /// The stored word: `pending`, `sent`, `dead`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }

    /// The status stored as `s`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "sent" => Some(Self::Sent),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// The stored word of a channel: `email`, `sms`, `push`.
#[must_use]
pub const fn channel_str(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Sms => "sms",
        Channel::Push => "push",
    }
}

/// The channel stored as `s`.
#[must_use]
pub fn parse_channel(s: &str) -> Option<Channel> {
    match s {
        "email" => Some(Channel::Email),
        "sms" => Some(Channel::Sms),
        "push" => Some(Channel::Push),
        _ => None,
    }
}

/// A notification to enqueue: one event for one recipient on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNotification {
    /// The event's unique id.
    pub event_id: String,
    /// The event's type (`appointment.created`, ...).
    pub event_type: String,
    /// The channel.
    pub channel: Channel,
    /// The recipient: a patient id (their address is read when sending).
    pub recipient: String,
    /// The appointment the event is about.
    pub appointment: String,
    /// The event's place among its appointment's events.
    pub seq: i64,
    /// The event as JSON (ids and times; no names, addresses or notes).
    pub payload: String,
    /// When it is first due, Unix milliseconds (a reminder: its instant).
    pub due_ms: i64,
    /// When it is enqueued, Unix milliseconds (the delivery log's `created`).
    pub created_ms: i64,
}

/// A notification in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The queue's id for it (positive, unique).
    pub id: i64,
    /// The event's id.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The channel.
    pub channel: Channel,
    /// The recipient (a patient id).
    pub recipient: String,
    /// The appointment.
    pub appointment: String,
    /// The event's place among its appointment's events.
    pub seq: i64,
    /// The event as JSON.
    pub payload: String,
    /// Where it stands.
    pub status: NotificationStatus,
    /// Attempts made since it was (re)queued.
    pub attempts: u32,
    /// When it is next due (pending), Unix milliseconds.
    pub next_attempt_ms: i64,
    /// Why the last attempt failed (a short word, never patient data).
    pub last_error: Option<String>,
    /// When it was enqueued, Unix milliseconds.
    pub created_ms: i64,
    /// When it was last sent, Unix milliseconds.
    pub sent_ms: Option<i64>,
}

/// One attempt, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationReport {
    /// When it was made, Unix milliseconds.
    pub at_ms: i64,
    /// Why it failed (a short word, never patient data), if it did.
    pub error: Option<String>,
    /// What follows ([`Outcome::Delivered`]: sent).
    pub outcome: Outcome,
}

/// The notification queue of one organization.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Enqueue notifications, all in one transaction; one whose (event id,
    /// channel, recipient) is already queued is skipped. Returns how many
    /// were added.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn notification_enqueue(&self, items: &[NewNotification]) -> Result<u64, StoreError>;

    /// Claim up to `limit` due notifications: pending, due at `now_ms`, and
    /// with no earlier pending one of the same appointment, channel and
    /// recipient; each claimed one is due again at `lease_until_ms` (unless
    /// recorded before). The earliest due are chosen first; they are
    /// returned by sequence, then id.
    ///
    /// # Errors
    /// `Invalid` for `limit` 0 or above [`MAX_NOTIFICATION_PAGE`]; `Unavailable`.
    async fn notification_claim(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;

    /// Apply an attempt's outcome to a pending notification (attempts +1;
    /// sent, due again at `next_ms`, or dead; the error is kept, cut to
    /// [`MAX_NOTIFICATION_ERROR`] bytes); returns it after. One that is no
    /// longer pending is left as it is and returned.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn notification_record(
        &self,
        id: i64,
        report: &NotificationReport,
    ) -> Result<Notification, StoreError>;

    /// The notification with this id.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn notification_get(&self, id: i64) -> Result<Notification, StoreError>;

    /// The delivery log of an appointment: up to `limit` of its
    /// notifications, oldest first (by sequence, then id).
    ///
    /// # Errors
    /// `Invalid` for `limit` 0 or above [`MAX_NOTIFICATION_PAGE`]; `Unavailable`.
    async fn notifications_of(
        &self,
        appointment: &str,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;

    /// Queue a notification again (sent or dead: pending, no attempts, due
    /// at `now_ms`; a pending one only becomes due at `now_ms`). Returns it after.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn notification_resend(&self, id: i64, now_ms: i64) -> Result<Notification, StoreError>;

    /// Withdraw the pending notifications of `appointment` whose type is
    /// `event_type` (scheduled reminders of an appointment that was
    /// cancelled or moved): each becomes dead with `reason` as its last
    /// error (cut like every error), attempts unchanged; sent and dead ones
    /// are left as they are. Returns how many were withdrawn (0 when called
    /// again).
    ///
    /// # Errors
    /// `Unavailable`.
    async fn notification_withdraw(
        &self,
        appointment: &str,
        event_type: &str,
        reason: &str,
    ) -> Result<u64, StoreError>;
}

/// `limit` of a notification page, checked.
pub(crate) fn check_page(limit: usize) -> Result<(), StoreError> {
    if limit == 0 || limit > MAX_NOTIFICATION_PAGE {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!("limit: give 1 to {MAX_NOTIFICATION_PAGE}, got {limit}"),
        )
        .into());
    }
    Ok(())
}

/// The not-found error of a notification.
pub(crate) fn no_notification(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "notification",
        id: id.to_string(),
    }
}

/// The error as stored: at most [`MAX_NOTIFICATION_ERROR`] bytes, cut at a
/// character boundary.
pub(crate) fn cut_error(error: Option<&str>) -> Option<String> {
    error.map(|e| {
        let mut end = e.len().min(MAX_NOTIFICATION_ERROR);
        while !e.is_char_boundary(end) {
            end -= 1;
        }
        e[..end].to_string()
    })
}

/// The status, due time and sent time after `report`.
pub(crate) const fn after(
    report: &NotificationReport,
    due: i64,
    sent: Option<i64>,
) -> (NotificationStatus, i64, Option<i64>) {
    match report.outcome {
        Outcome::Delivered => (NotificationStatus::Sent, due, Some(report.at_ms)),
        Outcome::Retry { next_ms } => (NotificationStatus::Pending, next_ms, sent),
        Outcome::Dead => (NotificationStatus::Dead, due, sent),
    }
}
