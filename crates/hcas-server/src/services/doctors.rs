//! The doctors service: provider profiles (specialties, location, languages,
//! time zone) and schedules (working rules, date overrides, time off), on
//! its own store port, [`ProviderStore`]. Other services reach it through
//! [`DoctorsClient`] and never read its tables.
//!
//! Anyone with a valid token of the organization may read profiles and
//! schedules (they are not patient data); only an administrator writes
//! them. Every write is versioned: the answer carries an `ETag`, and a
//! replace needs `If-Match` with it.

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hcas_core::wire::{OverrideSpec, RuleSpec};
use hcas_store::{OutboxEvent, Provider, ProviderStore, Schedule, StoreError, Stored, TimeOff};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::http::{BadIfMatch, if_match, invalid, now, precondition_required, query_rejection};
use super::http::{require_admin, require_if_match, with_etag};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::tenants::{OrgId, Tenants};

/// The kind of the in-process event published after a profile changes.
pub const PROVIDER_CHANGED: &str = "provider.changed";

/// What other services may ask the doctors service.
#[async_trait]
pub trait DoctorsClient: Send + Sync {
    /// One provider's profile.
    ///
    /// # Errors
    /// 404 `not_found`; 503 `unavailable`.
    async fn provider(&self, org: &OrgId, id: &str) -> Result<Stored<Provider>, ApiError>;

    /// Every provider of the organization (active or not), by id.
    ///
    /// # Errors
    /// 503 `unavailable`.
    async fn providers(&self, org: &OrgId) -> Result<Vec<Stored<Provider>>, ApiError>;

    /// A provider's schedule; `None` when the provider has none yet (no
    /// working hours).
    ///
    /// # Errors
    /// 404 `not_found` for an unknown provider; 503 `unavailable`.
    async fn schedule(
        &self,
        org: &OrgId,
        provider_id: &str,
    ) -> Result<Option<Stored<Schedule>>, ApiError>;
}

/// The in-process [`DoctorsClient`]: the organization's store, seen
/// through the doctors' port only.
pub struct LocalDoctors {
    tenants: Arc<Tenants>,
}

impl LocalDoctors {
    /// The client over these tenants.
    #[must_use]
    pub fn new(tenants: Arc<Tenants>) -> Self {
        Self { tenants }
    }

    async fn port(&self, org: &OrgId) -> Result<Arc<dyn ProviderStore>, ApiError> {
        let store: Arc<dyn ProviderStore> = self.tenants.store(org).await?;
        Ok(store)
    }
}

#[async_trait]
impl DoctorsClient for LocalDoctors {
    async fn provider(&self, org: &OrgId, id: &str) -> Result<Stored<Provider>, ApiError> {
        Ok(self.port(org).await?.get_provider(id).await?)
    }

    async fn providers(&self, org: &OrgId) -> Result<Vec<Stored<Provider>>, ApiError> {
        Ok(self.port(org).await?.providers().await?)
    }

    async fn schedule(
        &self,
        org: &OrgId,
        provider_id: &str,
    ) -> Result<Option<Stored<Schedule>>, ApiError> {
        let port = self.port(org).await?;
        match port.get_schedule(provider_id).await {
            Ok(s) => Ok(Some(s)),
            Err(StoreError::NotFound { .. }) => {
                port.get_provider(provider_id).await?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The doctors' routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_provider, list_providers))
        .routes(routes!(get_provider, replace_provider))
        .routes(routes!(get_schedule, put_schedule))
}

/// A provider's profile as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    /// The id (letters, digits, `-`, `_`, `.`); on create, generated when
    /// absent; on replace, the path's id if given.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// Specialties (free codes, e.g. `cardiology` or a SNOMED CT code).
    #[serde(default)]
    pub specialties: Vec<String>,
    /// Where the provider sees patients.
    #[serde(default)]
    pub location: Option<String>,
    /// The room the provider sees patients in (an id: letters, digits, `-`,
    /// `_`, `.`). While set, every new booking of the provider also holds
    /// `room:<id>`, so providers sharing a room are never booked into it at
    /// once; existing bookings keep the room they were made with.
    #[serde(default)]
    pub room: Option<String>,
    /// Languages spoken (BCP 47 tags: `en`, `pt-BR`).
    #[serde(default)]
    pub languages: Vec<String>,
    /// IANA time zone, e.g. `Europe/London`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Whether the provider takes appointments (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

const fn yes() -> bool {
    true
}

impl ProviderInput {
    fn into_provider(self, id: String) -> Provider {
        let mut p = Provider::new(id, self.name);
        p.specialties = self.specialties;
        p.location = self.location;
        p.room = self.room;
        p.languages = self.languages;
        p.timezone = self.timezone;
        p.active = self.active;
        p
    }
}

/// A provider's profile with its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderView {
    /// The id; the booking resource is `provider:<id>`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Specialties.
    pub specialties: Vec<String>,
    /// Where the provider sees patients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The room the provider's new bookings hold (`room:<id>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Languages spoken.
    pub languages: Vec<String>,
    /// IANA time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Whether the provider takes appointments.
    pub active: bool,
    /// The version (also the `ETag`); send it as `If-Match` to replace.
    pub version: i64,
}

impl From<Stored<Provider>> for ProviderView {
    fn from(s: Stored<Provider>) -> Self {
        let p = s.value;
        Self {
            id: p.id,
            name: p.name,
            specialties: p.specialties,
            location: p.location,
            room: p.room,
            languages: p.languages,
            timezone: p.timezone,
            active: p.active,
            version: s.version,
        }
    }
}

/// Tell the appointments read model and the bus that a provider changed.
fn changed(state: &AppState, org: &OrgId, id: &str, payload: serde_json::Value) {
    state.slots.provider_changed(org, id);
    if let Ok(created) = now() {
        state.bus.publish(
            org,
            OutboxEvent {
                id: 0,
                kind: PROVIDER_CHANGED.to_string(),
                aggregate_id: id.to_string(),
                payload,
                created,
            },
        );
    }
}

async fn port(state: &AppState, org: &OrgId) -> Result<Arc<dyn ProviderStore>, ApiError> {
    let store: Arc<dyn ProviderStore> = state.tenants.store(org).await?;
    Ok(store)
}

/// Create a provider (administrators).
#[utoipa::path(
    post,
    path = "/v1/providers",
    tag = "providers",
    request_body = ProviderInput,
    responses(
        (status = 201, description = "Created; `ETag` is the version", body = ProviderView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken (`already_exists`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (named in `detail`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_provider(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<ProviderInput>,
) -> Result<Response, ApiError> {
    require_admin(&principal)?;
    let id = input
        .id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let provider = input.into_provider(id.clone());
    let stored = port(&state, &principal.org)
        .await?
        .put_provider(provider, None)
        .await?;
    tracing::info!(provider = %id, "provider created");
    changed(&state, &principal.org, &id, serde_json::json!({ "id": id }));
    Ok(with_etag(
        StatusCode::CREATED,
        stored.version,
        ProviderView::from(stored),
    ))
}

/// Which providers to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProviderFilter {
    /// Only providers with this specialty.
    pub specialty: Option<String>,
    /// Only active (true) or inactive (false) providers.
    pub active: Option<bool>,
    /// Only providers who speak this language.
    pub language: Option<String>,
}

/// The providers of the organization, by id, optionally filtered.
#[utoipa::path(
    get,
    path = "/v1/providers",
    tag = "providers",
    params(ProviderFilter),
    responses(
        (status = 200, description = "The providers", body = Vec<ProviderView>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_providers(
    State(state): State<AppState>,
    principal: Principal,
    filter: Result<Query<ProviderFilter>, QueryRejection>,
) -> Result<axum::Json<Vec<ProviderView>>, ApiError> {
    let Query(filter) = filter.map_err(|e| query_rejection(&e))?;
    let all = state.doctors.providers(&principal.org).await?;
    Ok(axum::Json(
        all.into_iter()
            .filter(|p| {
                filter
                    .specialty
                    .as_ref()
                    .is_none_or(|s| p.value.specialties.contains(s))
                    && filter.active.is_none_or(|a| p.value.active == a)
                    && filter
                        .language
                        .as_ref()
                        .is_none_or(|l| p.value.languages.iter().any(|x| x.eq_ignore_ascii_case(l)))
            })
            .map(ProviderView::from)
            .collect(),
    ))
}

/// One provider's profile.
#[utoipa::path(
    get,
    path = "/v1/providers/{id}",
    tag = "providers",
    params(("id" = String, Path, description = "The provider's id")),
    responses(
        (status = 200, description = "The profile; `ETag` is the version", body = ProviderView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_provider(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let stored = state.doctors.provider(&principal.org, &id).await?;
    Ok(with_etag(
        StatusCode::OK,
        stored.version,
        ProviderView::from(stored),
    ))
}

/// Replace a provider's profile (administrators; `If-Match` required).
#[utoipa::path(
    put,
    path = "/v1/providers/{id}",
    tag = "providers",
    params(
        ("id" = String, Path, description = "The provider's id"),
        ("If-Match" = String, Header, description = "The version last read (its ETag)"),
    ),
    request_body = ProviderInput,
    responses(
        (status = 200, description = "Replaced; `ETag` is the new version", body = ProviderView),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn replace_provider(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(input): Json<ProviderInput>,
) -> Result<Response, ApiError> {
    require_admin(&principal)?;
    let version = require_if_match(&headers, BadIfMatch::Malformed)?;
    if input.id.as_ref().is_some_and(|b| *b != id) {
        return Err(invalid(
            "the body's `id` differs from the path's; omit it or send the same",
        ));
    }
    let stored = port(&state, &principal.org)
        .await?
        .put_provider(input.into_provider(id.clone()), Some(version))
        .await?;
    tracing::info!(provider = %id, version = stored.version, "provider replaced");
    changed(&state, &principal.org, &id, serde_json::json!({ "id": id }));
    Ok(with_etag(
        StatusCode::OK,
        stored.version,
        ProviderView::from(stored),
    ))
}

/// Time off as sent and shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffView {
    /// Start (inclusive), RFC 3339 UTC.
    #[schema(value_type = String, example = "2026-05-04T12:00:00Z")]
    pub start: hcas_core::Timestamp,
    /// End (exclusive), after `start`.
    #[schema(value_type = String, example = "2026-05-04T13:00:00Z")]
    pub end: hcas_core::Timestamp,
    /// Why (shown to staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A schedule as sent: working rules and date overrides in local wall time
/// of `timezone` (the engine's `slots` shapes, docs/vectors.md), and time off.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// IANA zone of the rules and overrides.
    pub timezone: String,
    /// Working rules: `{"rrule": "FREQ=WEEKLY;BYDAY=MO,WE", "dtstart": "2026-01-05", "start": "09:00", "end": "12:00"}`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<RuleSpec>,
    /// Date overrides: `{"date": "2026-12-24", "windows": [{"start": "09:00", "end": "11:00"}]}` (no windows: closed).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub overrides: Vec<OverrideSpec>,
    /// Time off (absolute instants).
    #[serde(default)]
    pub time_off: Vec<TimeOffView>,
}

/// A schedule with its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleView {
    /// The provider.
    pub provider_id: String,
    /// IANA zone of the rules and overrides.
    pub timezone: String,
    /// Working rules.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<RuleSpec>,
    /// Date overrides.
    #[schema(value_type = Vec<Object>)]
    pub overrides: Vec<OverrideSpec>,
    /// Time off.
    pub time_off: Vec<TimeOffView>,
    /// The version (also the `ETag`).
    pub version: i64,
}

impl From<Stored<Schedule>> for ScheduleView {
    fn from(s: Stored<Schedule>) -> Self {
        let v = s.value;
        Self {
            provider_id: v.provider_id,
            timezone: v.timezone,
            rules: v.rules,
            overrides: v.overrides,
            time_off: v
                .time_off
                .into_iter()
                .map(|t| TimeOffView {
                    start: t.start,
                    end: t.end,
                    reason: t.reason,
                })
                .collect(),
            version: s.version,
        }
    }
}

/// A provider's schedule.
#[utoipa::path(
    get,
    path = "/v1/providers/{id}/schedule",
    tag = "providers",
    params(("id" = String, Path, description = "The provider's id")),
    responses(
        (status = 200, description = "The schedule; `ETag` is the version", body = ScheduleView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider, or no schedule yet", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_schedule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let stored = state
        .doctors
        .schedule(&principal.org, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("provider {id} has no schedule yet")))?;
    Ok(with_etag(
        StatusCode::OK,
        stored.version,
        ScheduleView::from(stored),
    ))
}

/// Create (no `If-Match`) or replace (`If-Match`: the version) a provider's
/// schedule (administrators). Slot search sees the change at once.
#[utoipa::path(
    put,
    path = "/v1/providers/{id}/schedule",
    tag = "providers",
    params(
        ("id" = String, Path, description = "The provider's id"),
        ("If-Match" = Option<String>, Header, description = "The version last read; required once a schedule exists"),
    ),
    request_body = ScheduleInput,
    responses(
        (status = 201, description = "Created", body = ScheduleView),
        (status = 200, description = "Replaced", body = ScheduleView),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rule, zone or interval the engine refuses (its code)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "A schedule exists; send `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn put_schedule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(input): Json<ScheduleInput>,
) -> Result<Response, ApiError> {
    require_admin(&principal)?;
    let version = if_match(&headers, BadIfMatch::Malformed)?;
    let mut schedule = Schedule::new(id.clone(), input.timezone);
    schedule.rules = input.rules;
    schedule.overrides = input.overrides;
    schedule.time_off = input
        .time_off
        .into_iter()
        .map(|t| TimeOff {
            start: t.start,
            end: t.end,
            reason: t.reason,
        })
        .collect();
    let store = port(&state, &principal.org).await?;
    let stored = match store.put_schedule(schedule, version, now()?).await {
        Err(StoreError::AlreadyExists { .. }) => return Err(precondition_required()),
        other => other?,
    };
    tracing::info!(provider = %id, version = stored.version, "schedule written");
    // The store wrote `schedule.changed` to the outbox; apply it here too
    // so this process's slot search sees it at once, and wake the relay.
    state.slots.provider_changed(&principal.org, &id);
    let full = state.tenants.store(&principal.org).await?;
    state.bus.relay(&principal.org, full);
    let status = if version.is_none() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(with_etag(
        status,
        stored.version,
        ScheduleView::from(stored),
    ))
}
