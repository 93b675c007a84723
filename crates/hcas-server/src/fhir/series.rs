//! `Appointment/$book` of a recurring appointment: an `appointment-resource`
//! carrying R5's `recurrenceTemplate` (as the R4 cross-version extension,
//! mapped by `hcas_core::fhir::recurrence`) books every occurrence, or none,
//! through the REST series service (`services::appointments::series`, the
//! code path of `POST /v1/series`); status `cancelled` on a template with
//! the series' id cancels its remaining occurrences (`POST
//! /v1/series/{id}/cancel`, scope all).
//!
//! The answer is a `searchset` Bundle: the template Appointment first (id =
//! the series id, `start`/`end` = the first occurrence, `meta.versionId` =
//! the series version, the sum of its occurrences' versions), then every
//! occurrence as stored (each with its hcas `recurrence-id`, R5's
//! `recurrenceId` = its number in the series, and `originatingAppointment`).
//! The template is not a stored resource: only
//! the occurrences can be read or searched.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hcas_core::booking::{Booking, Status};
use hcas_core::fhir::{
    FhirSeries, SearchEntry, recurrence_numbers, searchset, series_conflict_outcome, series_to_fhir,
};
use hcas_core::series::{EditScope, SeriesCancel, SeriesPolicy};
use hcas_store::Stored;
use sha2::{Digest, Sha256};

use super::ops::{bad_param, unsupported};
use super::resources as res;
use super::{base_url, fhir_response};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::services::appointments::series::{
    cancel_occurrences, create_series, load_series, series_version,
};
use crate::services::appointments::{idempotency_key, open, party, resource_id};
use crate::services::http::now;

/// What `$book` was given for a series: the template, whether it named its
/// id, and the version it was read at (`meta.versionId`).
pub(crate) struct SeriesTarget {
    pub(crate) series: FhirSeries,
    pub(crate) had_id: bool,
    pub(crate) version: Option<i64>,
}

/// `$book` of a series template: book it (status `proposed`, `pending` or
/// `booked`) or cancel it (status `cancelled`, with the series' id).
pub(crate) async fn book(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    target: SeriesTarget,
    header_version: Option<i64>,
    comment: Option<String>,
) -> Result<Response, ApiError> {
    match target.series.template.status {
        Status::Proposed | Status::Pending | Status::Booked => {
            create(state, principal, headers, target).await
        }
        Status::Cancelled => {
            let version = header_version.or(target.version);
            cancel(state, principal, headers, target, version, comment).await
        }
        s => Err(unsupported(format!(
            "`appointment-resource`: $book books a recurrence template (status `booked`, \
             `pending` or `proposed`) or cancels one (`cancelled`), not `{s}`"
        ))),
    }
}

/// The series id of a new template: its own id, else one derived from the
/// `Idempotency-Key` and the caller (so a retry names the same series), else
/// a fresh one.
fn series_id(principal: &Principal, target: &SeriesTarget, key: Option<&str>) -> String {
    if target.had_id {
        return target.series.template.id.clone();
    }
    match key {
        Some(key) => {
            let digest = Sha256::new()
                .chain_update(principal.org.as_str().as_bytes())
                .chain_update([0])
                .chain_update(principal.subject.as_bytes())
                .chain_update([0])
                .chain_update(key.as_bytes())
                .finalize();
            let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
            format!("k{hex}")
        }
        None => uuid::Uuid::new_v4().simple().to_string(),
    }
}

/// Book every occurrence of a new template, or none (409 naming every
/// conflicting occurrence). A series that already exists with exactly these
/// occurrences (an `Idempotency-Key` retry, or the same template id sent
/// again) answers 200 with it; with other occurrences, 409 `already_exists`.
async fn create(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    target: SeriesTarget,
) -> Result<Response, ApiError> {
    let key = idempotency_key(headers)?;
    let b = &target.series.template;
    let (Some(provider), Some(patient), 2) = (
        resource_id(b, "provider"),
        resource_id(b, "patient"),
        b.resources.len(),
    ) else {
        return Err(unsupported(
            "`appointment-resource`: a recurrence template has exactly one Practitioner and one \
             Patient participant",
        ));
    };
    let id = series_id(principal, &target, key.as_deref());
    let spec = target
        .series
        .spec(&id)
        .map_err(|e| bad_param(format!("`appointment-resource`: {}", e.message())))?;
    let planned = spec
        .occurrences()
        .map_err(|e| bad_param(format!("`appointment-resource`: {}", e.message())))?;
    let store = open(state, &principal.org).await?;
    if !store.series_bookings(&id).await?.is_empty() {
        let all = load_series(
            &store,
            principal,
            &id,
            hcas_core::consent::Action::Read,
            "series.read",
            now()?,
        )
        .await?;
        let same = all.len() == planned.len()
            && all.iter().zip(&planned).all(|(s, (local, start, end))| {
                s.value.id == spec.occurrence_id(*local)
                    && s.value.start == *start
                    && s.value.end == *end
                    && s.value.resources == spec.resources
            });
        if !same {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_exists",
                format!(
                    "series {id} already exists with other occurrences; an Idempotency-Key or \
                     template id names one series (use another to book another)"
                ),
            ));
        }
        return answer(
            state,
            principal,
            headers,
            &target.series,
            &id,
            StatusCode::OK,
        )
        .await;
    }
    let result = create_series(
        state,
        principal,
        &spec,
        provider,
        patient,
        SeriesPolicy::AllOrNothing,
    )
    .await?;
    if !result.booked {
        let blocked = result.occurrences.iter().filter(|o| !o.ok).count();
        let outcome = series_conflict_outcome(
            &format!(
                "{blocked} of the series' {} occurrences conflict; nothing was booked",
                result.occurrences.len()
            ),
            &result.occurrences,
        );
        return Ok(fhir_response(StatusCode::CONFLICT, &outcome, None));
    }
    answer(
        state,
        principal,
        headers,
        &target.series,
        &id,
        StatusCode::CREATED,
    )
    .await
}

/// Cancel every remaining occurrence of the series the template names (the
/// lifecycle leaves past, fulfilled or already cancelled ones alone).
async fn cancel(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    target: SeriesTarget,
    version: Option<i64>,
    comment: Option<String>,
) -> Result<Response, ApiError> {
    if !target.had_id {
        return Err(bad_param(
            "`appointment-resource`: to cancel a series, give the template's `id` (the series id)",
        ));
    }
    let id = target.series.template.id.clone();
    let reason = target
        .series
        .template
        .cancel_reason
        .clone()
        .or(comment)
        .ok_or_else(|| {
            bad_param("to cancel, say why: `cancelationReason.text` or the `comment` parameter")
        })?;
    let store = open(state, &principal.org).await?;
    let first = store
        .series_bookings(&id)
        .await?
        .into_iter()
        .find_map(|s| s.value.series)
        .ok_or_else(|| ApiError::not_found(format!("no series {id}")))?;
    let cancel = SeriesCancel::new(first, EditScope::All, party(principal), reason);
    cancel_occurrences(state, principal, &id, cancel, version).await?;
    answer(
        state,
        principal,
        headers,
        &target.series,
        &id,
        StatusCode::OK,
    )
    .await
}

/// The Bundle of series `id`: its template (from `series`, with the series
/// id, the first occurrence's times and the series version) and its
/// occurrences as stored, by start. The caller has passed the gate.
async fn answer(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    series: &FhirSeries,
    id: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let store = open(state, &principal.org).await?;
    let all: Vec<Stored<Booking>> = store.series_bookings(id).await?;
    let base = base_url(state, headers);
    let mut template = series.clone();
    template.template.id = id.to_string();
    if let Some(first) = all.first() {
        template.template.start = first.value.start;
        template.template.end = first.value.end;
    }
    let template = series_to_fhir(&template).map_err(|e| bad_param(e.message().to_string()))?;
    let mut entries = vec![SearchEntry::matched(
        &base,
        res::with_meta(template, Some(series_version(&all)), None),
    )];
    let values: Vec<Booking> = all.iter().map(|s| s.value.clone()).collect();
    let numbers = recurrence_numbers(&values).map_err(|e| res::mapping(&e))?;
    for (s, number) in all.iter().zip(numbers) {
        let updated = res::last_updated(&store, &s.value.id).await?;
        entries.push(SearchEntry::matched(
            &base,
            res::occurrence(s, number, updated)?,
        ));
    }
    let bundle = searchset(
        entries.len(),
        &format!("{base}/Appointment/$book"),
        None,
        entries,
    );
    Ok(fhir_response(status, &bundle, None))
}
