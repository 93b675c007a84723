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

use hcas_core::consent::{Action, Category};
use hcas_core::reminder::{Lead, QuietHours, schedule};
use hcas_core::{Timestamp, Zone};
use hcas_store::{NewNotification, OutboxEvent, Store, StoreError};

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

    /// A reminder of a booked appointment, due before its start
    /// (`hcas_core::reminder`; one per appointment, lead and channel).
    pub const REMINDER: &str = "appointment.reminder";

    /// Every type.
    pub const ALL: [&str; 6] = [
        CREATED,
        CONFIRMED,
        CANCELLED,
        RESCHEDULED,
        WAITLIST_OFFERED,
        REMINDER,
    ];
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
/// none gets none); for each event of a booked appointment, its reminders
/// (`reminders`: one per reminder and channel, due at its instant); for
/// each event of an appointment no longer booked, withdraw its pending
/// reminders. How many were added. Call before marking the events sent.
///
/// Only the patient's channel choice is read without the consent gate; the
/// patient's time zone (for reminders) is used past the gate (audited
/// `notification.schedule`), the rest when a notification is sent.
///
/// # Errors
/// The store's error: then the events must stay unsent; the pass repeated
/// adds nothing twice (every notification's key is stable) and withdraws
/// nothing more.
pub async fn enqueue(
    org: &OrgId,
    store: &Arc<dyn Store>,
    events: &[OutboxEvent],
    reminders: &Reminders,
) -> Result<u64, StoreError> {
    let now = crate::access::now();
    let due = crate::webhooks::now_ms();
    let mut items = Vec::new();
    let mut added = 0;
    for e in events {
        let Some(event) = event_of(org, e) else {
            continue;
        };
        let Some(patient) = event.data.patient.clone() else {
            continue;
        };
        let booked = event.data.status == "booked" && event.kind != types::WAITLIST_OFFERED;
        if !booked {
            // Cancelled, moved away (the old half of a reschedule), no-show, ...:
            // its pending reminders are withdrawn, after what came before it in
            // this pass is queued (a repeated pass repeats both, changing nothing).
            if !items.is_empty() {
                added += store.notification_enqueue(&items).await?;
                items.clear();
            }
            let reason = if event.data.replaced_by.is_some() || event.kind == types::RESCHEDULED {
                "rescheduled"
            } else if event.data.status == "cancelled" {
                "cancelled"
            } else {
                "withdrawn"
            };
            store
                .notification_withdraw(&event.appointment_id, kinds::REMINDER, reason)
                .await?;
        }
        let kind = kind_of(&event);
        if kind.is_none() && !booked {
            continue;
        }
        let patient_record = match store.get_patient(&patient).await {
            Ok(p) => p.value,
            Err(StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let payload = serde_json::to_value(&event)
            .map_err(|e| StoreError::Internal(format!("notification payload: {e}")))?;
        let text = payload.to_string();
        if let Some(kind) = kind {
            for &channel in &patient_record.channels {
                items.push(NewNotification {
                    event_id: event.id.clone(),
                    event_type: kind.to_string(),
                    channel,
                    recipient: patient.clone(),
                    appointment: event.appointment_id.clone(),
                    seq: event.sequence,
                    payload: text.clone(),
                    due_ms: due,
                    created_ms: due,
                });
            }
        }
        if booked && !patient_record.channels.is_empty() && !reminders.leads.is_empty() {
            // The patient's zone is patient data: used only past the consent
            // gate (audited `notification.schedule`; a denial queues no
            // reminders, an unreadable consent store or audit trail keeps the
            // events unsent, to be tried again).
            if !schedule_permitted(org, store, &patient, &event.appointment_id, now).await? {
                continue;
            }
            let zone = match patient_record
                .timezone
                .as_deref()
                .and_then(|z| Zone::parse(z).ok())
            {
                Some(z) => z,
                None => provider_zone_of(store, event.data.provider.as_deref()).await?,
            };
            for r in reminders.of(&event, &payload, zone, now) {
                for &channel in &patient_record.channels {
                    items.push(NewNotification {
                        event_id: r.event_id.clone(),
                        event_type: kinds::REMINDER.to_string(),
                        channel,
                        recipient: patient.clone(),
                        appointment: event.appointment_id.clone(),
                        seq: r.seq,
                        payload: r.payload.clone(),
                        due_ms: r.due_ms,
                        created_ms: due,
                    });
                }
            }
        }
    }
    if !items.is_empty() {
        added += store.notification_enqueue(&items).await?;
    }
    Ok(added)
}

/// The consent gate for scheduling `patient`'s reminders, as the
/// notification system actor (the send's gate, audited as
/// `notification.schedule`): whether it permits; a denial is `false`.
///
/// # Errors
/// `Unavailable` when the consent store or the audit trail cannot be used.
async fn schedule_permitted(
    org: &OrgId,
    store: &Arc<dyn Store>,
    patient: &str,
    appointment: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let access = crate::access::Access::new(
        patient.to_string(),
        Category::Appointments,
        Action::Read,
        "notification.schedule",
        format!("booking:{appointment}"),
    );
    match crate::access::authorize(store, &worker::system_principal(org), &access, now).await {
        Ok(_) => Ok(true),
        Err(e) if e.status().as_u16() == 403 => {
            tracing::info!(org = %org, appointment = %appointment, "reminders not scheduled: consent denied");
            Ok(false)
        }
        Err(_) => Err(StoreError::Unavailable(
            "consent gate for reminders unavailable".to_string(),
        )),
    }
}

/// The zone of provider `id` (its profile's), else UTC.
async fn provider_zone_of(store: &Arc<dyn Store>, id: Option<&str>) -> Result<Zone, StoreError> {
    let Some(id) = id else {
        return Ok(Zone::UTC);
    };
    match store.get_provider(id).await {
        Ok(p) => Ok(crate::services::appointments::ics::provider_zone(Some(
            &p.value,
        ))),
        Err(StoreError::NotFound { .. }) => Ok(Zone::UTC),
        Err(e) => Err(e),
    }
}

/// Where reminders start in an appointment's sequence: above every event's
/// sequence (outbox ids), so a reminder never holds back a later event of
/// its appointment (a cancellation is not kept waiting for a reminder due
/// tomorrow), while reminders among themselves go in instant order.
pub const REMINDER_SEQ_BASE: i64 = 1 << 40;

/// The reminder settings: leads and quiet hours (`HCAS_REMINDER_*`).
#[derive(Debug, Clone, Default)]
pub struct Reminders {
    /// The leads (empty: no reminders).
    pub leads: Vec<Lead>,
    /// The quiet hours, in the patient's zone.
    pub quiet: Option<QuietHours>,
}

/// One reminder of one appointment, to be queued per channel.
#[derive(Debug, Clone)]
struct Planned {
    event_id: String,
    seq: i64,
    payload: String,
    due_ms: i64,
}

/// `1d`, `120m`: a lead as the configuration writes it.
fn lead_name(lead: Lead) -> String {
    match lead {
        Lead::Days(n) => format!("{n}d"),
        Lead::Minutes(n) => format!("{n}m"),
    }
}

impl Reminders {
    /// The reminders of the booked appointment of `event` (the webhook event
    /// as JSON in `payload`) in `zone`, booked at `now`: the engine's
    /// schedule (`hcas_core::reminder::schedule`), each named
    /// `rem_<org>_<appointment>_<lead>` (stable, so a repeated pass adds nothing).
    fn of(
        &self,
        event: &WebhookEvent,
        payload: &serde_json::Value,
        zone: Zone,
        now: Timestamp,
    ) -> Vec<Planned> {
        if self.leads.is_empty() {
            return Vec::new();
        }
        let Ok(start) = event.data.start.parse::<Timestamp>() else {
            return Vec::new();
        };
        let plan = match schedule(start, zone, &self.leads, self.quiet, now) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "reminder settings refused by the engine; no reminders");
                return Vec::new();
            }
        };
        for d in &plan.dropped {
            tracing::info!(
                appointment = %event.appointment_id,
                lead = %lead_name(d.lead),
                reason = ?d.reason,
                "reminder dropped"
            );
        }
        plan.reminders
            .iter()
            .map(|r| {
                let mut p = payload.clone();
                p["reminder"] = serde_json::json!({
                    "lead": lead_name(r.lead),
                    "due": r.at.to_string(),
                    "adjustment": r.adjustment,
                });
                Planned {
                    event_id: format!(
                        "rem_{}_{}_{}",
                        event.org,
                        event.appointment_id,
                        lead_name(r.lead)
                    ),
                    seq: REMINDER_SEQ_BASE + r.at.unix(),
                    payload: p.to_string(),
                    due_ms: r.at.unix().saturating_mul(1000),
                }
            })
            .collect()
    }
}
