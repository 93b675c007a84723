//! The waitlist: patients waiting for a provider within a time window, on
//! the store's [`hcas_store::WaitlistStore`] port. When a cancellation frees
//! a slot ahead (the lifecycle's `slot_freed` outcome), the core's
//! [`Waitlist::offer`] picks the first entry in serving order that fits and a
//! `held` booking reserves the slot for that patient ([`OFFER_HOLD_MINUTES`]);
//! the entry leaves the list when the offer is made, and the patient confirms
//! the hold like any other (`POST /v1/appointments/{id}/confirm`) before it lapses.
//!
//! Entries are the patient's data: adding, reading and removing one passes the
//! consent gate; the offer is made by the system (audited as
//! [`SYSTEM_ACTOR`]).

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hcas_core::booking::Booking;
use hcas_core::consent::{Action, Category, Role};
use hcas_core::waitlist::{Preferences, WaitEntry, Waitlist, make_hold};
use hcas_core::{Interval, Minutes, Timestamp};
use hcas_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{MAX_DURATION_MINUTES, id_in, minutes, open, relay};
use crate::AppState;
use crate::access::{Access, authorize};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::services::http::{invalid, now, query_rejection};
use crate::tenants::OrgId;

/// How long a waitlist offer holds the freed slot, in minutes.
pub const OFFER_HOLD_MINUTES: i64 = 60;
/// The actor id the audit trail records for offers the system makes.
pub const SYSTEM_ACTOR: &str = "system:waitlist";

/// Join the waitlist.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitInput {
    /// The provider's id.
    pub provider: String,
    /// The patient's id.
    pub patient: String,
    /// The earliest start the patient accepts, RFC 3339 UTC.
    #[schema(value_type = String)]
    pub from: Timestamp,
    /// The latest end the patient accepts.
    #[schema(value_type = String)]
    pub to: Timestamp,
    /// Only offer slots at least this long, in minutes.
    #[serde(default)]
    pub min_duration: Option<i64>,
}

/// A waitlist entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitView {
    /// The entry id.
    pub id: String,
    /// The provider's id.
    pub provider: String,
    /// The patient's id.
    pub patient: String,
    /// The earliest start accepted.
    #[schema(value_type = String)]
    pub from: Timestamp,
    /// The latest end accepted.
    #[schema(value_type = String)]
    pub to: Timestamp,
    /// When the patient joined (earlier is served first).
    #[schema(value_type = String)]
    pub created: Timestamp,
}

fn strip<'a>(resource: &'a str, kind: &str) -> &'a str {
    id_in(resource, kind).unwrap_or(resource)
}

impl From<WaitEntry> for WaitView {
    fn from(e: WaitEntry) -> Self {
        Self {
            provider: strip(&e.provider, "provider").to_string(),
            patient: strip(&e.patient, "patient").to_string(),
            id: e.id,
            from: e.window.start(),
            to: e.window.end(),
            created: e.created,
        }
    }
}

/// An entry id that sorts in joining order: the list serves by `created`
/// (whole seconds), then by id, so two patients joining in the same second
/// are served in the order they joined.
fn time_ordered_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("w{nanos:032x}-{}", &random[..8])
}

fn access(patient: &str, action: Action, operation: &'static str, id: &str) -> Access {
    Access::new(
        patient,
        Category::Appointments,
        action,
        operation,
        format!("waitlist:{id}"),
    )
}

/// Put a patient on a provider's waitlist for a time window.
#[utoipa::path(
    post,
    path = "/v1/waitlist",
    tag = "appointments",
    request_body = WaitInput,
    responses(
        (status = 201, description = "On the list", body = WaitView),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad window or length", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn join(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<WaitInput>,
) -> Result<Response, ApiError> {
    let org = &principal.org;
    let now = now()?;
    let window = Interval::new(input.from, input.to).map_err(|e| e.at("from..to"))?;
    if window.end() <= now {
        return Err(invalid("the window has already ended"));
    }
    let mut preferences = Preferences::default();
    if let Some(m) = input.min_duration {
        preferences.min_duration_minutes = Some(minutes("min_duration", m, MAX_DURATION_MINUTES)?);
    }
    let id = time_ordered_id();
    let store = open(&state, org).await?;
    authorize(
        &store,
        &principal,
        &access(&input.patient, Action::Write, "waitlist.add", &id),
        now,
    )
    .await?;
    state.doctors.provider(org, &input.provider).await?;
    let entry = WaitEntry::builder(id)
        .patient(format!("patient:{}", input.patient))
        .provider(format!("provider:{}", input.provider))
        .window(window)
        .preferences(preferences)
        .created(now)
        .build()?;
    let entry = store.waitlist_add(entry).await?;
    Ok((StatusCode::CREATED, axum::Json(WaitView::from(entry))).into_response())
}

/// Whose waitlist.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WaitParams {
    /// The provider's id.
    pub provider: String,
}

/// A provider's waitlist in serving order (doctors, nurses, administrators;
/// each entry read passes the consent gate).
#[utoipa::path(
    get,
    path = "/v1/waitlist",
    tag = "appointments",
    operation_id = "list_waitlist",
    params(WaitParams),
    responses(
        (status = 200, description = "The entries still waiting, first served first", body = Vec<WaitView>),
        (status = 403, description = "Not staff, or an entry's patient does not permit it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `provider`, or a query string that does not fit (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    params: Result<Query<WaitParams>, QueryRejection>,
) -> Result<axum::Json<Vec<WaitView>>, ApiError> {
    let Query(p) = params.map_err(|e| query_rejection(&e))?;
    if !(principal.has(Role::Admin) || principal.has(Role::Doctor) || principal.has(Role::Nurse)) {
        return Err(ApiError::forbidden("only staff read a provider's waitlist"));
    }
    let now = now()?;
    let store = open(&state, &principal.org).await?;
    let entries = store
        .waitlist(&format!("provider:{}", p.provider), now)
        .await?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let patient = strip(&e.patient, "patient").to_string();
        authorize(
            &store,
            &principal,
            &access(&patient, Action::Read, "waitlist.read", &e.id),
            now,
        )
        .await?;
        out.push(WaitView::from(e));
    }
    Ok(axum::Json(out))
}

/// Take an entry off a provider's waitlist.
#[utoipa::path(
    delete,
    path = "/v1/waitlist/{id}",
    tag = "appointments",
    params(("id" = String, Path, description = "The entry id"), WaitParams),
    responses(
        (status = 200, description = "Removed", body = WaitView),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry on this provider's list", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `provider`, or a query string that does not fit (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn leave(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    params: Result<Query<WaitParams>, QueryRejection>,
) -> Result<axum::Json<WaitView>, ApiError> {
    let Query(p) = params.map_err(|e| query_rejection(&e))?;
    let now = now()?;
    let store = open(&state, &principal.org).await?;
    let entry = store
        .waitlist(&format!("provider:{}", p.provider), now)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no entry {id} on this provider's waitlist")))?;
    let patient = strip(&entry.patient, "patient").to_string();
    authorize(
        &store,
        &principal,
        &access(&patient, Action::Write, "waitlist.remove", &id),
        now,
    )
    .await?;
    Ok(axum::Json(WaitView::from(
        store.waitlist_remove(&id).await?,
    )))
}

/// A slot was freed by `freed`'s cancellation: offer it to the first
/// waiting patient who fits, as a hold. Failures are logged, never the
/// cancelling caller's problem (the cancellation has happened).
pub(super) async fn offer_freed(
    state: &AppState,
    org: &OrgId,
    store: &Arc<dyn Store>,
    freed: &Booking,
) {
    if let Err(e) = try_offer(state, org, store, freed).await {
        tracing::warn!(booking = %freed.id, code = e.code(), "waitlist offer not made");
    }
}

async fn try_offer(
    state: &AppState,
    org: &OrgId,
    store: &Arc<dyn Store>,
    freed: &Booking,
) -> Result<(), ApiError> {
    let now = now()?;
    for provider in freed
        .resources
        .iter()
        .filter(|r| r.starts_with("provider:"))
    {
        let entries = store.waitlist(provider, now).await?;
        if entries.is_empty() {
            continue;
        }
        let list = Waitlist::try_from(entries)?;
        // The store re-checks the hold; the core's offer picks who.
        let Some(offer) = list.offer(
            freed,
            &hcas_core::booking::Ledger::new(),
            now,
            Minutes::new(OFFER_HOLD_MINUTES),
        )?
        else {
            continue;
        };
        // The prefix tells webhooks this hold is an offer (`waitlist.offered`).
        let id = format!(
            "{}{}",
            crate::webhooks::OFFER_ID_PREFIX,
            uuid::Uuid::new_v4()
        );
        let patient = strip(&offer.patient, "patient").to_string();
        let system = Principal::new(SYSTEM_ACTOR, org.clone(), vec![Role::Admin]);
        authorize(
            store,
            &system,
            &access(&patient, Action::Write, "waitlist.offer", &offer.entry_id),
            now,
        )
        .await?;
        let mut hold = make_hold(&offer, provider, id.clone());
        // A new booking of the provider: it holds their room too, if any.
        if let Some(room) = &state
            .slots
            .base(org, strip(provider, "provider"))
            .await?
            .room
        {
            hold.resources
                .push(hcas_store::records::room_resource_of(room));
        }
        let interval = Interval::new(hold.start, hold.end)?;
        let resources = hold.resources.clone();
        store.book(hold, None, now).await?;
        store.waitlist_remove(&offer.entry_id).await?;
        state.slots.note_booked(org, &resources, interval);
        relay(state, org, store);
        tracing::info!(entry = %offer.entry_id, hold = %id, "waitlist offer held");
    }
    Ok(())
}
