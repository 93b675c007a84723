//! Answers for people: why a start is not offered (the core's
//! [`Availability::explain`](hcas_core::Availability::explain)) and the nearest
//! free starts around one ([`hcas_core::advice::alternatives`]), both from the
//! read model like slot search. Neither names other patients' bookings: busy
//! time is only an interval.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use hcas_core::advice::{AlternativeSearch, Explanation};
use hcas_core::booking::{Ledger, Request};
use hcas_core::{Interval, SlotQuery, Timestamp};
use hcas_store::AppointmentStore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{MAX_DURATION_MINUTES, instant, minutes, open};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::services::http::{invalid, now, query_rejection};

/// One start of one provider.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StartParams {
    /// The provider's id.
    pub provider: String,
    /// The start asked about, RFC 3339 UTC.
    pub start: String,
    /// Appointment length in minutes (1 to 1440).
    pub duration: i64,
    /// Grid step in minutes (default: the duration), as in slot search.
    pub step: Option<i64>,
    /// For alternatives: most starts each side (1 to 20, default 3).
    pub count: Option<usize>,
}

struct Asked {
    provider: String,
    start: Timestamp,
    query: SlotQuery,
    span: Interval,
    now: Timestamp,
}

fn asked(p: StartParams) -> Result<Asked, ApiError> {
    let start = instant("start", &p.start)?;
    let duration = minutes("duration", p.duration, MAX_DURATION_MINUTES)?;
    let now = now()?;
    let from = start.plus_minutes(-24 * 60)?;
    let to = start.plus_minutes(24 * 60)?;
    let mut query = SlotQuery::new(from, to, duration).now(now);
    if let Some(step) = p.step {
        query = query.step(minutes("step", step, MAX_DURATION_MINUTES)?);
    }
    let span = Interval::new(from, to.plus_minutes(duration.get())?)?;
    Ok(Asked {
        provider: p.provider,
        start,
        query,
        span,
        now,
    })
}

/// Why a start is (not) offered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExplanationView {
    /// The start asked about.
    #[schema(value_type = String)]
    pub start: Timestamp,
    /// Whether slot search offers it (exactly when `reasons` is empty).
    pub offered: bool,
    /// Every reason it is not: `outside_working_hours` (with the nearest
    /// windows), `does_not_fit`, `off_grid` (with the grid points around it),
    /// `busy`, `buffer`, `before_notice`, ... (`reason` names each).
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<hcas_core::advice::Reason>,
}

impl From<Explanation> for ExplanationView {
    fn from(e: Explanation) -> Self {
        Self {
            start: e.start,
            offered: e.offered,
            reasons: e.reasons,
        }
    }
}

/// Why is this start not offered? Every reason, from the provider's
/// schedule, time off and busy time.
#[utoipa::path(
    get,
    path = "/v1/slots/explain",
    tag = "appointments",
    params(StartParams),
    responses(
        (status = 200, description = "The explanation", body = ExplanationView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad start, duration or step", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn explain(
    State(state): State<AppState>,
    principal: Principal,
    params: Result<Query<StartParams>, QueryRejection>,
) -> Result<axum::Json<ExplanationView>, ApiError> {
    let Query(p) = params.map_err(|e| query_rejection(&e))?;
    if p.count.is_some() {
        return Err(invalid("`count` is for /v1/slots/alternatives"));
    }
    let a = asked(p)?;
    let store: Arc<dyn AppointmentStore> = open(&state, &principal.org).await?;
    let entry = state
        .slots
        .entry(&principal.org, &store, &a.provider, a.span, a.now)
        .await?;
    Ok(axum::Json(entry.full.explain(a.start, &a.query)?.into()))
}

/// The nearest free starts around one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlternativesView {
    /// Free starts before the one asked about, nearest first.
    #[schema(value_type = Vec<String>)]
    pub before: Vec<Timestamp>,
    /// Free starts after it, nearest first.
    #[schema(value_type = Vec<String>)]
    pub after: Vec<Timestamp>,
}

/// The nearest free starts of a provider before and after a start (say,
/// one that just answered 409), within 7 days either side.
#[utoipa::path(
    get,
    path = "/v1/slots/alternatives",
    tag = "appointments",
    params(StartParams),
    responses(
        (status = 200, description = "The nearest free starts", body = AlternativesView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad start, duration, step or count", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn alternatives(
    State(state): State<AppState>,
    principal: Principal,
    params: Result<Query<StartParams>, QueryRejection>,
) -> Result<axum::Json<AlternativesView>, ApiError> {
    let Query(p) = params.map_err(|e| query_rejection(&e))?;
    let count = p.count.unwrap_or(3);
    if !(1..=20).contains(&count) {
        return Err(invalid(format!("`count`: give 1 to 20, got {count}")));
    }
    let step = p.step;
    let a = asked(p)?;
    let days = AlternativeSearch::DEFAULT_SEARCH_DAYS;
    let duration = a.query.duration;
    let span = Interval::new(
        a.start.plus_minutes(-days * 24 * 60)?,
        a.start.plus_minutes(days * 24 * 60 + duration.get())?,
    )?;
    let store: Arc<dyn AppointmentStore> = open(&state, &principal.org).await?;
    let entry = state
        .slots
        .entry(&principal.org, &store, &a.provider, span, a.now)
        .await?;
    let mut search = AlternativeSearch::new(a.now, count);
    if let Some(step) = step {
        search = search.step(minutes("step", step, MAX_DURATION_MINUTES)?);
    }
    // The busy time is in the availability already; the ledger adds nothing.
    let request = Request::new(
        vec![hcas_store::records::resource_of(&a.provider)],
        Interval::new(a.start, a.start.plus_minutes(duration.get())?)?,
    );
    let found = hcas_core::advice::alternatives(&entry.full, &Ledger::new(), &request, &search)?;
    Ok(axum::Json(AlternativesView {
        before: found.before,
        after: found.after,
    }))
}
