//! Notifications: messages to patients about their appointments, driven
//! from the store's outbox like webhooks (`docs/notifications.md`).
//!
//! - **Enqueue** ([`enqueue`]): the outbox relay ([`crate::events`]) maps each
//!   pass's events to notification events ([`kind_of`]: created, confirmed,
//!   cancelled, rescheduled, waitlist offer) and enqueues one notification
//!   per channel the patient chose in the store's durable queue
//!   ([`hcas_store::NotificationStore`]) *before* it marks the events sent.
//!   The queue is unique on (event id, channel, patient), so an event
//!   relayed twice is sent once. The queue holds the event (ids and times),
//!   never a name, an address or the message.
//! - **Send** (`worker.rs`): one worker per organization claims due
//!   notifications, passes the consent gate for the patient (a system actor
//!   with purpose HOPERAT; audited; a denial makes the notification dead
//!   with `consent_denied`), renders the message in the patient's language
//!   and time zone (`templates.rs`), and hands it to the channel
//!   (`channels.rs`: the development sink, SMTP e-mail with an `.ics`, an
//!   SMS provider): sent, or a retry after an exponential backoff with
//!   jitter (the webhook worker's), dead after the last attempt.
//! - **API** (`routes.rs`): an appointment's delivery log and resend, staff only.

use std::sync::Arc;

use hcas_store::{Channel, NewNotification, OutboxEvent, Store, StoreError};

use crate::tenants::OrgId;
use crate::webhooks::{WebhookEvent, event_of, types};

mod channels;
pub mod routes;
mod templates;
mod worker;

pub use worker::{Notifier, SINK_FILE, SYSTEM_SUBJECT};

/// The notification event types.
pub mod kinds {
    /// An appointment was booked (not a hold, not the new half of a reschedule).
    pub const CREATED: &str = "appointment.created";
    /// A pending or proposed appointment became booked.
    pub const CONFIRMED: &str = "appointment.confirmed";
    /// An appointment was cancelled (not rescheduled).
    pub const CANCELLED: &str = "appointment.cancelled";
    /// An appointment was moved: sent for the new appointment, with its time.
    pub const RESCHEDULED: &str = "appointment.rescheduled";
    /// A freed slot is offered (held) to the patient from the waitlist.
    pub const WAITLIST_OFFERED: &str = "waitlist.offered";

    /// Every type.
    pub const ALL: [&str; 5] = [CREATED, CONFIRMED, CANCELLED, RESCHEDULED, WAITLIST_OFFERED];
}

/// The notification type of a webhook event, if the patient is told of it.
#[must_use]
pub fn kind_of(e: &WebhookEvent) -> Option<&'static str> {
    let d = &e.data;
    match e.kind.as_str() {
        types::WAITLIST_OFFERED => Some(kinds::WAITLIST_OFFERED),
        types::CREATED if d.status == "held" => None,
        types::CREATED if d.replaces.is_some() => Some(kinds::RESCHEDULED),
        types::CREATED => Some(kinds::CREATED),
        types::UPDATED
            if d.status == "booked"
                && matches!(d.previous_status.as_deref(), Some("pending" | "proposed")) =>
        {
            Some(kinds::CONFIRMED)
        }
        types::CANCELLED => Some(kinds::CANCELLED),
        // The old half of a reschedule: the new appointment's event tells it.
        _ => None,
    }
}

/// Enqueue the notifications of `events`: for each event the patient is
/// told of, one per channel in the patient's `channels` (a patient who chose
/// none gets none), in one store transaction; how many were added. Call
/// before marking the events sent.
///
/// Only the patient's channel choice is read here; the consent gate and its
/// audit record come when a notification is sent, before any other patient
/// data is used.
///
/// # Errors
/// The store's error: then nothing is enqueued and the events must stay unsent.
pub async fn enqueue(
    org: &OrgId,
    store: &Arc<dyn Store>,
    events: &[OutboxEvent],
) -> Result<u64, StoreError> {
    let due = crate::webhooks::now_ms();
    let mut items = Vec::new();
    for e in events {
        let Some(event) = event_of(org, e) else {
            continue;
        };
        let Some(kind) = kind_of(&event) else {
            continue;
        };
        let Some(patient) = event.data.patient.clone() else {
            continue;
        };
        let channels: Vec<Channel> = match store.get_patient(&patient).await {
            Ok(p) => p.value.channels,
            Err(StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let payload = serde_json::to_string(&event)
            .map_err(|e| StoreError::Internal(format!("notification payload: {e}")))?;
        for channel in channels {
            items.push(NewNotification {
                event_id: event.id.clone(),
                event_type: kind.to_string(),
                channel,
                recipient: patient.clone(),
                appointment: event.appointment_id.clone(),
                seq: event.sequence,
                payload: payload.clone(),
                due_ms: due,
            });
        }
    }
    if items.is_empty() {
        return Ok(0);
    }
    store.notification_enqueue(&items).await
}
