//! SMART Scheduling Links: `GET /fhir/r4/$bulk-publish` (the manifest) and
//! `GET /fhir/r4/$bulk-publish/{type}.ndjson` (Location, Schedule, Slot,
//! PractitionerRole), public, for the one organization `publish_org`
//! names (404 when none does). Resources are mapped by
//! `hcas_core::fhir::publish`; the slots come from the slot search's read
//! model, as the FHIR API's.
//!
//! What is published: every active provider with a `location`, its
//! Location (one per distinct location text), its Schedule (actor: the
//! Location), its PractitionerRole, and its 30-minute grid starts within
//! working hours from now to `publish_horizon_days` after the start of
//! today (UTC): `free` when bookable (with the booking deep link), `busy`
//! when a booking or hold blocks it. Nothing about a booking is written.
//!
//! `_since=<instant>` narrows the Slot file to the grid starts a booking
//! overlapping them changed at or after that instant (its last status
//! change, or a hold lapsing); Location, Schedule and PractitionerRole have
//! no change times in hcas and are always whole. `transactionTime` is the
//! answer's time rounded down to the minute, so a client passing it back
//! as `_since` misses nothing.
//!
//! Each output of the manifest has `extension.state`: the states of the
//! published locations' configured addresses (the specification's hint).
//!
//! Every answer carries `Cache-Control: public, max-age=60` and a strong
//! `ETag` (a hash of the body); `If-None-Match` with it answers 304.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hcas_core::fhir::publish::{FHIR_NDJSON, deep_link, ndjson};
use hcas_core::fhir::{
    Address, FhirLocation, PublishedSlot, bulk_manifest, location_to_fhir, published_schedule,
    published_slot,
};
use hcas_core::{Interval, Timestamp};
use hcas_store::{AppointmentStore, Provider, Store, Stored};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::base_url;
use super::resources::{SLOT_MINUTES, grid, practitioner_role};
use crate::AppState;
use crate::config::LocationDetails;
use crate::error::ApiError;
use crate::extract::Path;
use crate::tenants::OrgId;

/// The files of the manifest, in its order.
pub(crate) const TYPES: [&str; 4] = ["Location", "Schedule", "Slot", "PractitionerRole"];

/// `Cache-Control` of every answer: a client should poll at most once a
/// minute (the specification's advice).
const CACHE_CONTROL: &str = "public, max-age=60";

/// Most bookings per provider `_since` looks at; beyond, the Slot file is
/// whole (the specification lets a server ignore `_since`).
const SINCE_LIMIT: usize = 1_000;

fn not_published() -> ApiError {
    ApiError::not_found(
        "this server publishes no availability; set `publish_org` to the organization to publish",
    )
}

/// The published organization.
fn org(state: &AppState) -> Result<OrgId, ApiError> {
    let org = state
        .config
        .publish
        .org
        .as_deref()
        .ok_or_else(not_published)?;
    OrgId::parse(org)
}

/// `_since` of the query: an instant with an offset (fractions of a
/// second ignored), or 400 `invalid_search`.
fn since(query: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    let Some(raw) = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "_since")
        .map(|(_, v)| v.into_owned())
    else {
        return Ok(None);
    };
    let t = chrono::DateTime::parse_from_rfc3339(&raw)
        .ok()
        .and_then(|d| Timestamp::from_unix(d.timestamp()).ok())
        .ok_or_else(|| {
            super::bad_search(format!(
                "`_since`: `{raw}` is not an instant with an offset; write e.g. `2026-05-04T10:00:00Z`"
            ))
        })?;
    Ok(Some(t))
}

/// `body` as `content_type` with the cache headers, or 304 when the
/// client's `If-None-Match` names its ETag.
fn answer(headers: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let digest = Sha256::digest(&body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{hex}\"");
    let matched = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    let mut res = if matched {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// `GET /fhir/r4/$bulk-publish[?_since=…]`: the manifest.
pub(crate) async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let org = org(&state)?;
    let since = since(uri.query())?;
    let base = base_url(&state, &headers);
    let suffix = since.map_or_else(String::new, |t| {
        let t: String = form_urlencoded::byte_serialize(t.to_string().as_bytes()).collect();
        format!("?_since={t}")
    });
    // `request` is the URL as asked (`base` ends with the path's first part).
    let origin = base.strip_suffix(super::BASE).unwrap_or(&base);
    let request = format!(
        "{origin}{}",
        uri.path_and_query().map_or("", |p| p.as_str())
    );
    let outputs: Vec<(&str, String)> = TYPES
        .iter()
        .map(|ty| (*ty, format!("{base}/$bulk-publish/{ty}.ndjson{suffix}")))
        .collect();
    let now = crate::access::now();
    let published = Timestamp::from_unix(now.unix() - now.unix().rem_euclid(60))?;
    let providers = published_providers(&state, &org).await?;
    let body = bulk_manifest(published, &request, &outputs, &states(&state, &providers))?;
    Ok(answer(
        &headers,
        "application/json",
        serde_json::to_vec(&body).unwrap_or_default(),
    ))
}

/// `GET /fhir/r4/$bulk-publish/{type}.ndjson[?_since=…]`: one file.
pub(crate) async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let org = org(&state)?;
    let ty = name
        .strip_suffix(".ndjson")
        .filter(|t| TYPES.contains(t))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no file `{name}`; the files are {}",
                TYPES.map(|t| format!("{t}.ndjson")).join(", ")
            ))
        })?;
    let since = since(query.as_deref())?;
    let providers = published_providers(&state, &org).await?;
    let lines = match ty {
        "Location" => locations(&state, &providers)?,
        "Schedule" => schedules(&providers)?,
        "PractitionerRole" => providers
            .iter()
            .map(practitioner_role)
            .collect::<Result<_, _>>()?,
        _ => {
            let link = state
                .config
                .publish
                .booking_url
                .clone()
                .unwrap_or_else(|| format!("{}/Slot/{{slot}}", base_url(&state, &headers)));
            slots(&state, &org, &providers, since, &link).await?
        }
    };
    Ok(answer(&headers, FHIR_NDJSON, ndjson(&lines).into_bytes()))
}

/// The states (jurisdictions) of the published locations' configured
/// addresses, sorted, each once.
fn states(state: &AppState, providers: &[Stored<Provider>]) -> Vec<String> {
    let set: BTreeSet<String> = providers
        .iter()
        .filter_map(|p| state.config.publish.locations.get(location_of(&p.value)?))
        .map(|d| d.state.trim().to_string())
        .collect();
    set.into_iter().collect()
}

/// The providers published: active, with a location.
async fn published_providers(
    state: &AppState,
    org: &OrgId,
) -> Result<Vec<Stored<Provider>>, ApiError> {
    let all = state.doctors.providers(org).await?;
    Ok(all
        .into_iter()
        .filter(|p| p.value.active && location_of(&p.value).is_some())
        .collect())
}

/// A provider's location text, when not blank.
pub(crate) fn location_of(p: &Provider) -> Option<&str> {
    p.location.as_deref().filter(|l| !l.trim().is_empty())
}

/// The `Location`s of `providers`' location texts (one per distinct text,
/// by id), with the configured address and contacts.
pub(crate) fn locations(
    state: &AppState,
    providers: &[Stored<Provider>],
) -> Result<Vec<Value>, ApiError> {
    let names: BTreeSet<&str> = providers
        .iter()
        .filter_map(|p| location_of(&p.value))
        .collect();
    let mut by_id = BTreeMap::new();
    for name in names {
        let l = location(name, state.config.publish.locations.get(name));
        by_id.insert(l.id.clone(), l);
    }
    by_id
        .values()
        .map(|l| location_to_fhir(l).map_err(|e| mapping(&e)))
        .collect()
}

fn location(name: &str, details: Option<&LocationDetails>) -> FhirLocation {
    let l = FhirLocation::new(name);
    let Some(d) = details else { return l };
    let mut a = Address::default();
    a.line.clone_from(&d.line);
    a.city.clone_from(&d.city);
    a.state.clone_from(&d.state);
    a.postal_code.clone_from(&d.postal_code);
    a.district.clone_from(&d.district);
    l.with_contact(Some(a), d.phone.clone(), d.url.clone())
}

fn mapping(e: &hcas_core::Error) -> ApiError {
    tracing::error!(
        code = e.code().as_str(),
        "a published record has no FHIR form"
    );
    ApiError::internal()
}

fn schedules(providers: &[Stored<Provider>]) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::with_capacity(providers.len());
    for p in providers {
        let Some(name) = location_of(&p.value) else {
            continue;
        };
        let loc = hcas_core::fhir::location_id(name);
        out.push(
            published_schedule(&p.value.id, &loc, &p.value.specialties).map_err(|e| mapping(&e))?,
        );
    }
    Ok(out)
}

/// The published window: now to `publish_horizon_days` after the start of
/// today (UTC).
fn window(state: &AppState, now: Timestamp) -> Result<(Timestamp, Timestamp), ApiError> {
    let today = now.unix() - now.unix().rem_euclid(86_400);
    let days = i64::from(state.config.publish.horizon_days);
    Ok((now, Timestamp::from_unix(today + days * 86_400)?))
}

async fn slots(
    state: &AppState,
    org: &OrgId,
    providers: &[Stored<Provider>],
    since: Option<Timestamp>,
    link: &str,
) -> Result<Vec<Value>, ApiError> {
    let now = crate::access::now();
    let (from, to) = window(state, now)?;
    let store = crate::services::appointments::open(state, org).await?;
    let port: Arc<dyn AppointmentStore> = Arc::clone(&store) as _;
    let phone = state.config.publish.booking_phone.clone();
    let mut out = Vec::new();
    for p in providers {
        let id = &p.value.id;
        // The provider's own bookings and, when it has a room, every
        // booking of the room (another provider's takes this one's slot too).
        let mut resources = vec![hcas_store::records::resource_of(id)];
        if let Some(room) = &p.value.room {
            resources.push(hcas_store::records::room_resource_of(room));
        }
        let changed = match since {
            Some(t) => changed_since(&store, &resources, from, to, t, now).await?,
            None => None,
        };
        for (start, free) in grid(state, org, &port, id, from, to, now).await? {
            let end = start.plus_minutes(SLOT_MINUTES)?;
            if changed
                .as_ref()
                .is_some_and(|c| !c.iter().any(|i| i.start() < end && start < i.end()))
            {
                continue;
            }
            let s = if free {
                let s = PublishedSlot::free(id, start, end);
                let url = deep_link(link, &s.slot);
                s.with_deep_link(url)
            } else {
                PublishedSlot::busy(id, start, end)
            };
            // A provider id longer than 53 characters gives no slot id.
            if let Ok(v) = published_slot(&s.with_phone(phone.clone())) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// The periods of the bookings of `resources` (a provider's, and its
/// room's) in `[from, to)` that changed at or after `since` (last status
/// change, or a hold lapsing by `now`); `None` (publish everything) past
/// [`SINCE_LIMIT`] bookings of one resource.
async fn changed_since(
    port: &Arc<dyn Store>,
    resources: &[String],
    from: Timestamp,
    to: Timestamp,
    since: Timestamp,
    now: Timestamp,
) -> Result<Option<Vec<Interval>>, ApiError> {
    let mut bookings = Vec::new();
    for resource in resources {
        let got = port
            .bookings_on(resource, Interval::new(from, to)?, SINCE_LIMIT + 1)
            .await?;
        if got.len() > SINCE_LIMIT {
            return Ok(None);
        }
        bookings.extend(got);
    }
    let mut out = Vec::new();
    for b in bookings {
        let lapsed = b.value.hold_expires.is_some_and(|h| since <= h && h <= now);
        let history = port.history(&b.value.id).await?;
        if lapsed || history.last().is_some_and(|c| c.at >= since) {
            out.push(Interval::new(b.value.start, b.value.end)?);
        }
    }
    Ok(Some(out))
}
