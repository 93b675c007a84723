//! The notifications API, staff only: an appointment's delivery log
//! (`GET /v1/appointments/{id}/notifications`, through the consent gate and
//! audited like every read of the appointment) and resending one
//! notification (`POST /v1/notifications/{id}/resend`). Neither answers a
//! message, an address or a name: only what was sent when, on which channel.

use axum::extract::State;
use hcas_core::consent::Action;
use hcas_store::{MAX_NOTIFICATION_PAGE, Notification, channel_str};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::services::appointments::{load_authorized, open};
use crate::services::http::{invalid, now};
use crate::webhooks::now_ms;

/// The notifications' routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log))
        .routes(routes!(resend))
}

/// One notification: what was (or is to be) sent, on which channel, and
/// where it stands. Never the message or the address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    /// Its id (for resend).
    pub id: i64,
    /// The event's id (the webhook event id of the same change).
    pub event_id: String,
    /// `appointment.created`, `appointment.confirmed`, `appointment.cancelled`,
    /// `appointment.rescheduled`, `waitlist.offered` or `appointment.reminder`.
    pub event_type: String,
    /// `email`, `sms` or `push`.
    pub channel: String,
    /// The patient's id.
    pub patient: String,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    /// Attempts since it was (re)queued.
    pub attempts: u32,
    /// When the next attempt is due (pending only), RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// Why the last attempt failed (`http_500`, `no_address`,
    /// `consent_denied`, `smtp_transient`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was enqueued, RFC 3339 UTC.
    pub created: String,
    /// When it was last sent, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// A reminder: when it is scheduled, its lead and how quiet hours moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder: Option<ReminderView>,
}

/// When a reminder is scheduled (`hcas_core::reminder::schedule`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReminderView {
    /// The instant it is due, RFC 3339 UTC (in the patient's zone it is the
    /// lead's local time, or moved out of quiet hours).
    pub due: String,
    /// The lead as configured: `1d` (the same local wall time a day before)
    /// or `120m` (elapsed minutes).
    pub lead: String,
    /// `exact`, `moved_earlier` or `moved_later` (out of quiet hours).
    pub adjustment: String,
}

/// The reminder part of a queued event, if it is a reminder.
fn reminder_of(payload: &str) -> Option<ReminderView> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    let r = v.get("reminder")?;
    let text = |k: &str| r.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Some(ReminderView {
        due: text("due")?,
        lead: text("lead")?,
        adjustment: text("adjustment")?,
    })
}

/// An appointment's notifications.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationLog {
    /// In event order.
    pub notifications: Vec<NotificationView>,
}

fn rfc3339(ms: i64) -> String {
    hcas_core::Timestamp::from_unix(ms.div_euclid(1000))
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn view(n: Notification) -> NotificationView {
    let pending = n.status == hcas_store::NotificationStatus::Pending;
    let reminder = reminder_of(&n.payload);
    NotificationView {
        id: n.id,
        event_id: n.event_id,
        event_type: n.event_type,
        channel: channel_str(n.channel).to_string(),
        patient: n.recipient,
        status: n.status.as_str().to_string(),
        attempts: n.attempts,
        next_attempt_at: pending.then(|| rfc3339(n.next_attempt_ms)),
        last_error: n.last_error,
        created: rfc3339(n.created_ms),
        sent_at: n.sent_ms.map(rfc3339),
        reminder,
    }
}

fn staff_only(principal: &Principal) -> Result<(), ApiError> {
    if principal.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only staff (admin, doctor, nurse) see and resend notifications",
        ))
    }
}

/// The delivery log of an appointment: every notification of its events,
/// per channel, with its status. Staff only; passes the consent gate for the
/// appointment's patient and is audited (`notification.log`).
#[utoipa::path(
    get,
    path = "/v1/appointments/{id}/notifications",
    tag = "notifications",
    params(("id" = String, Path, description = "The appointment's id")),
    responses(
        (status = 200, description = "The notifications, in event order", body = NotificationLog),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or the consent gate denied it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An appointment id that breaks the id rule (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database or the audit trail is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn log(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<NotificationLog>, ApiError> {
    staff_only(&principal)?;
    hcas_core::id::check_id("id", &id)?;
    let store = open(&state, &principal.org).await?;
    load_authorized(
        &store,
        &principal,
        &id,
        Action::Read,
        "notification.log",
        now()?,
    )
    .await?;
    let list = store.notifications_of(&id, MAX_NOTIFICATION_PAGE).await?;
    Ok(axum::Json(NotificationLog {
        notifications: list.into_iter().map(view).collect(),
    }))
}

/// Send a notification again: a sent or dead one is queued anew (attempts
/// from 0, due now); a pending one is made due now. Staff only; passes the
/// consent gate (write) for the appointment's patient and is audited
/// (`notification.resend`).
#[utoipa::path(
    post,
    path = "/v1/notifications/{id}/resend",
    tag = "notifications",
    params(("id" = i64, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification, queued", body = NotificationView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff, or the consent gate denied it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notification", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id that is not a positive integer (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database or the audit trail is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn resend(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<NotificationView>, ApiError> {
    staff_only(&principal)?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| invalid("`id`: give a notification id, a positive integer"))?;
    let store = open(&state, &principal.org).await?;
    let found = store.notification_get(id).await?;
    load_authorized(
        &store,
        &principal,
        &found.appointment,
        Action::Write,
        "notification.resend",
        now()?,
    )
    .await?;
    let queued = store.notification_resend(id, now_ms()).await?;
    state.bus.notifier().wake(&principal.org);
    tracing::info!(notification = id, "notification resent");
    Ok(axum::Json(view(queued)))
}
