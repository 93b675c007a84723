//! Webhooks: signed JSON POSTs of appointment events to subscribers' URLs,
//! driven from the store's outbox (`docs/webhooks.md` is the public contract).
//!
//! - **Enqueue** ([`enqueue`]): the outbox relay ([`crate::events`]) maps each
//!   pass's events to webhook events ([`event_of`]) and enqueues one delivery
//!   per matching active subscription in the store's durable queue
//!   ([`hcas_store::WebhookStore`]) *before* it marks the events sent. A crash
//!   in between leaves them unsent: the next pass enqueues them again, and
//!   the queue's key (subscription, event id) drops the duplicates. Nothing
//!   depends on the in-process broadcast channel, which may lag.
//! - **Deliver** (`worker.rs`): one worker per organization claims due
//!   deliveries (the store keeps them in order per appointment and leases
//!   them), POSTs each in its own task with a time limit, and records the
//!   attempt: 2xx delivered; otherwise a retry after an exponential backoff
//!   with jitter, capped, until the last attempt makes it dead.
//! - **API** (`routes.rs`): subscriptions, their deliveries and attempts,
//!   replay of dead deliveries, a test ping; administrators only.
//!
//! Event ids are `evt_<org>_<outbox id>`: unique, and the same every time the
//! same committed change is enqueued, so receivers detect duplicates.

use std::sync::Arc;

use hcas_core::booking::{Booking, Status};
use hcas_store::{NewDelivery, OutboxEvent, Store, kind};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::tenants::OrgId;

pub mod routes;
pub(crate) mod worker;

pub use worker::{Dispatcher, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The event types a subscription may name (and `*`: all of them).
pub mod types {
    /// An appointment was booked or held (not a waitlist offer).
    pub const CREATED: &str = "appointment.created";
    /// An appointment's status or time changed (confirmed, arrived,
    /// fulfilled, no-show, a series shift, a move after a tz rule change).
    pub const UPDATED: &str = "appointment.updated";
    /// An appointment was cancelled (or entered in error), not rescheduled.
    pub const CANCELLED: &str = "appointment.cancelled";
    /// An appointment was replaced by a new one (`data.replaced_by`); the
    /// new one gets its own `appointment.created` with `data.replaces`.
    pub const RESCHEDULED: &str = "appointment.rescheduled";
    /// A freed slot was offered (held) to the first fitting waitlist entry.
    pub const WAITLIST_OFFERED: &str = "waitlist.offered";
    /// A test event sent by `POST /v1/webhooks/{id}/ping`.
    pub const PING: &str = "ping";

    /// Every type, in the order of the docs.
    pub const ALL: [&str; 6] = [
        CREATED,
        UPDATED,
        CANCELLED,
        RESCHEDULED,
        WAITLIST_OFFERED,
        PING,
    ];
}

/// The id prefix of the holds a waitlist offer makes: how an
/// `appointment.created` event is told to be an offer.
pub const OFFER_ID_PREFIX: &str = "offer-";

/// The body of every delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookEvent {
    /// Unique event id (`evt_<org>_<n>`): the same for every delivery of the
    /// same change, so duplicates are detectable.
    pub id: String,
    /// One of [`types`].
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change was committed (the store's time of the change), RFC 3339 UTC.
    pub occurred_at: String,
    /// The organization.
    pub org: String,
    /// The appointment the event is about.
    pub appointment_id: String,
    /// Increasing per appointment in change order (not contiguous): a
    /// receiver that has seen a higher one may ignore a lower one.
    pub sequence: i64,
    /// What changed.
    pub data: EventData,
}

/// The appointment after the change: ids, times and statuses, no names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventData {
    /// Its status after the change (FHIR Appointment.status words).
    pub status: String,
    /// Start, RFC 3339 UTC.
    pub start: String,
    /// End, RFC 3339 UTC.
    pub end: String,
    /// The provider's id, if the appointment has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The patient's id, if the appointment has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// Every resource (`provider:<id>`, `patient:<id>`, `room:<id>`, ...).
    pub resources: Vec<String>,
    /// For a hold (and an offer): when it lapses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_expires: Option<String>,
    /// The appointment this one replaces (the new half of a reschedule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The appointment that replaced this one (`appointment.rescheduled`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The series it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// For a status change: the status before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<String>,
    /// For a status change: who made it (`patient`, `practitioner`, `staff`, `system`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

fn id_of(resources: &[String], prefix: &str) -> Option<String> {
    resources
        .iter()
        .find_map(|r| r.strip_prefix(prefix).map(str::to_string))
}

/// The webhook event an outbox event is, if any (`docs/webhooks.md`,
/// "Event types"): `appointment.*` events only; consent and schedule events
/// are not delivered.
#[must_use]
pub fn event_of(org: &OrgId, e: &OutboxEvent) -> Option<WebhookEvent> {
    let booking: Booking = serde_json::from_value(e.payload.clone()).ok()?;
    let kind = match e.kind.as_str() {
        kind::APPOINTMENT_CREATED
            if booking.status == Status::Held && booking.id.starts_with(OFFER_ID_PREFIX) =>
        {
            types::WAITLIST_OFFERED
        }
        kind::APPOINTMENT_CREATED => types::CREATED,
        kind::APPOINTMENT_CANCELLED if booking.replaced_by.is_some() => types::RESCHEDULED,
        kind::APPOINTMENT_CANCELLED => types::CANCELLED,
        kind::APPOINTMENT_UPDATED | kind::APPOINTMENT_REANCHORED => types::UPDATED,
        _ => return None,
    };
    let transition = e.payload.get("transition");
    let word = |k: &str| {
        transition
            .and_then(|t| t.get(k))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    Some(WebhookEvent {
        id: format!("evt_{org}_{}", e.id),
        kind: kind.to_string(),
        occurred_at: e.created.to_string(),
        org: org.to_string(),
        appointment_id: booking.id.clone(),
        sequence: e.id,
        data: EventData {
            status: booking.status.as_str().to_string(),
            start: booking.start.to_string(),
            end: booking.end.to_string(),
            provider: id_of(&booking.resources, "provider:"),
            patient: id_of(&booking.resources, "patient:"),
            hold_expires: booking.hold_expires.map(|t| t.to_string()),
            replaces: booking.replaces.clone(),
            replaced_by: booking.replaced_by.clone(),
            series: booking.series.as_ref().map(|s| s.id.clone()),
            previous_status: word("from"),
            actor: word("actor"),
            resources: booking.resources,
        },
    })
}

/// The current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Enqueue the deliveries of `events` for every active subscription that
/// wants them, in one store transaction; how many were added (duplicates of
/// earlier passes are not). Call before marking the events sent.
///
/// # Errors
/// The store's error: then nothing is enqueued and the events must stay unsent.
pub async fn enqueue(
    org: &OrgId,
    store: &Arc<dyn Store>,
    events: &[OutboxEvent],
) -> Result<u64, hcas_store::StoreError> {
    let mapped: Vec<WebhookEvent> = events.iter().filter_map(|e| event_of(org, e)).collect();
    if mapped.is_empty() {
        return Ok(0);
    }
    let subscriptions = store.webhook_list().await?;
    if subscriptions.iter().all(|s| !s.active) {
        return Ok(0);
    }
    let due = now_ms();
    let mut deliveries = Vec::new();
    for event in &mapped {
        let body = serde_json::to_string(event)
            .map_err(|e| hcas_store::StoreError::Internal(format!("webhook body: {e}")))?;
        for s in subscriptions.iter().filter(|s| s.wants(&event.kind)) {
            deliveries.push(NewDelivery {
                subscription: s.id.clone(),
                event_id: event.id.clone(),
                event_type: event.kind.clone(),
                aggregate: event.appointment_id.clone(),
                seq: event.sequence,
                body: body.clone(),
                due_ms: due,
            });
        }
    }
    store.webhook_enqueue(&deliveries).await
}

/// The signature header's value for `body` sent at Unix second `timestamp`
/// with `secret`: `v1=` and the lower-case hex HMAC-SHA256 of
/// `"{timestamp}.{body}"`.
#[must_use]
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(3 + digest.len() * 2);
    hex.push_str("v1=");
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vector computed independently (Python's `hmac` module) over
    /// `1700000000.{"id":"evt_demo_1"}` with key `whsec_test`.
    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"id":"evt_demo_1"}"#),
            "v1=1d6a3f84025e1f65cee709de9ad8358f03f71707fd2775fa99c4172a46001159"
        );
        assert_ne!(
            signature("whsec_test", 1_700_000_001, r#"{"id":"evt_demo_1"}"#),
            signature("whsec_test", 1_700_000_000, r#"{"id":"evt_demo_1"}"#)
        );
    }
}
