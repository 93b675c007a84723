//! Search: `GET /fhir/r4/{type}?…` and `POST /fhir/r4/{type}/_search` (a
//! form body), answered as a `searchset` Bundle with `total` (every match
//! the caller may see), `_count` pages and `self`/`next` links (`_offset`).
//! Repeated parameters are AND, comma-separated values OR.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use hcas_core::Interval;
use hcas_core::Timestamp;
use hcas_core::booking::Booking;
use hcas_core::fhir::search::{DateParam, ReferenceParam, TokenParam};
use hcas_core::fhir::{SPECIALTY_SYSTEM, SearchEntry, searchset};
use hcas_store::{Provider, Store, Stored};
use serde_json::Value;

use super::params::{self, Search, Spec};
use super::resources::{self as res, in_search};
use super::{bad_search, base_url, fhir_response};
use crate::AppState;
use crate::auth::{Interaction, Principal};
use crate::error::ApiError;
use crate::extract::Path;
use crate::services::appointments::{MAX_POOL, MAX_WINDOW_DAYS};

/// The most bookings one Appointment search reads per resource before it
/// asks the client to narrow it (`date`).
pub(crate) const MAX_SCAN: usize = 1000;

/// Slot search's window when `start` does not close it, in days.
pub(crate) const DEFAULT_SLOT_DAYS: i64 = 7;

/// The Appointment status system (R4 `appointmentstatus`).
const APPOINTMENT_STATUS: &str = "http://hl7.org/fhir/appointmentstatus";
/// The Slot status system (R4 `slotstatus`).
const SLOT_STATUS: &str = "http://hl7.org/fhir/slotstatus";
/// The Consent status system (R4 `consent-state-codes`).
const CONSENT_STATUS: &str = "http://hl7.org/fhir/consent-state-codes";

/// Every searchable type: its parameters (R4 names and types) and includes.
pub(crate) const SPECS: &[Spec] = &[
    Spec {
        ty: "Appointment",
        params: &[
            ("_lastUpdated", "date", "When the appointment last changed"),
            (
                "actor",
                "reference",
                "Any participant: Practitioner, Patient, Location or Device",
            ),
            ("date", "date", "The appointment's period (start to end)"),
            (
                "location",
                "reference",
                "The Location: its practitioner's (PractitionerRole.location), or a booked room",
            ),
            ("patient", "reference", "The patient participant"),
            ("practitioner", "reference", "The practitioner participant"),
            (
                "slot",
                "reference",
                "A Slot it occupies: its practitioner's, overlapping the Slot's period",
            ),
            (
                "status",
                "token",
                "The appointment's status (a held slot is `pending`)",
            ),
        ],
        includes: &[
            "Appointment:actor",
            "Appointment:patient",
            "Appointment:practitioner",
        ],
    },
    Spec {
        ty: "AuditEvent",
        params: &[
            ("action", "token", "C, R, U, D or E (comma: any of them)"),
            (
                "agent",
                "reference",
                "Who did it: Practitioner, Patient or Device (the actor's id)",
            ),
            (
                "date",
                "date",
                "When it was recorded; repeat for a window (`ge…` and `lt…`)",
            ),
            (
                "entity",
                "reference",
                "What it was about: Appointment, Patient, Consent or Practitioner",
            ),
            ("outcome", "token", "0 (success), 4 (refused) or 8 (failed)"),
            ("patient", "reference", "Whose data it touched"),
            (
                "type",
                "token",
                "DICOM 110110 (a patient's data) or audit-event-type rest",
            ),
        ],
        includes: &[],
    },
    Spec {
        ty: "Consent",
        params: &[
            ("patient", "reference", "Whose consent"),
            ("status", "token", "active, inactive, ..."),
        ],
        includes: &[],
    },
    Spec {
        ty: "Location",
        params: &[
            ("_id", "token", "The location's id"),
            ("name", "string", "The name, or a word of it, starts with"),
        ],
        includes: &[],
    },
    Spec {
        ty: "Patient",
        params: &[("_id", "token", "The patient's id")],
        includes: &[],
    },
    Spec {
        ty: "Practitioner",
        params: &[
            ("_id", "token", "The provider's id"),
            ("active", "token", "Takes appointments (true/false)"),
            ("name", "string", "The name, or a word of it, starts with"),
        ],
        includes: &[],
    },
    Spec {
        ty: "PractitionerRole",
        params: &[
            ("_id", "token", "The role's id (the provider's id)"),
            ("active", "token", "Takes appointments (true/false)"),
            ("practitioner", "reference", "The Practitioner"),
            ("specialty", "token", "An hcas specialty code"),
        ],
        includes: &["PractitionerRole:practitioner"],
    },
    Spec {
        ty: "Schedule",
        params: &[
            ("_id", "token", "The schedule's id (the provider's id)"),
            ("active", "token", "In use (true/false)"),
            (
                "actor",
                "reference",
                "The Practitioner whose schedule it is",
            ),
            ("date", "date", "The planning horizon"),
            (
                "service-type",
                "token",
                "A service booked in it: an hcas specialty code",
            ),
            ("specialty", "token", "An hcas specialty code"),
        ],
        includes: &["Schedule:actor"],
    },
    Spec {
        ty: "Slot",
        params: &[
            ("schedule", "reference", "The Schedule (one per provider)"),
            (
                "service-type",
                "token",
                "A service bookable in it: an hcas specialty code of its Schedule",
            ),
            (
                "start",
                "date",
                "The slot's start; `ge`/`gt` and `le`/`lt` bound the window",
            ),
            (
                "status",
                "token",
                "`free`, or `busy` (a booking or hold takes it)",
            ),
        ],
        includes: &["Slot:schedule"],
    },
];

/// The spec of `ty`, or 404 naming what exists.
pub(crate) fn spec(ty: &str) -> Result<&'static Spec, ApiError> {
    SPECS.iter().find(|s| s.ty == ty).ok_or_else(|| {
        let known: Vec<&str> = SPECS.iter().map(|s| s.ty).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_resource_type",
            format!(
                "`{ty}` is not served here; the types are {}",
                known.join(", ")
            ),
        )
    })
}

/// `GET /fhir/r4/{type}?…`.
pub(crate) async fn search_get(
    State(state): State<AppState>,
    principal: Principal,
    Path(ty): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = params::pairs(query.unwrap_or_default().as_bytes());
    run(&state, &principal, &ty, pairs, &headers).await
}

/// `POST /fhir/r4/{type}/_search` with `application/x-www-form-urlencoded`
/// parameters (and any in the query string).
pub(crate) async fn search_post(
    State(state): State<AppState>,
    principal: Principal,
    Path(ty): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !form {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the search parameters as `Content-Type: application/x-www-form-urlencoded`",
        ));
    }
    let mut pairs = params::pairs(query.unwrap_or_default().as_bytes());
    pairs.extend(params::pairs(&body));
    run(&state, &principal, &ty, pairs, &headers).await
}

/// Whether the token's SMART scopes (if any) let an `_include`d resource
/// come along: they must grant reading or searching its type.
fn may_include(principal: &Principal, resource: &Value) -> bool {
    let ty = resource["resourceType"].as_str().unwrap_or_default();
    principal.scope_allows(ty, Interaction::Read) || principal.scope_allows(ty, Interaction::Search)
}

/// Run a search of `ty` and answer the page as a Bundle.
async fn run(
    state: &AppState,
    principal: &Principal,
    ty: &str,
    pairs: Vec<(String, String)>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let spec = spec(ty)?;
    super::scoped(principal, ty, Interaction::Search)?;
    if ty == "AuditEvent" {
        return super::audit_events::search(state, principal, pairs, headers).await;
    }
    let search = params::parse(pairs, spec, params::strict(headers))?;
    let ctx = Ctx {
        state,
        principal,
        store: state.tenants.store(&principal.org).await?,
        search: &search,
    };
    let Found {
        total,
        page,
        included,
    } = match ty {
        "Appointment" => appointments(&ctx).await?,
        "Consent" => consents(&ctx).await?,
        "Patient" => patients(&ctx).await?,
        "Location" => locations(&ctx).await?,
        "Practitioner" | "PractitionerRole" | "Schedule" => providers(&ctx, ty).await?,
        _ => slots(&ctx).await?,
    };
    let base = base_url(state, headers);
    let next = search.offset.saturating_add(search.count);
    let self_url = format!("{base}/{ty}?{}", search.query(search.offset));
    let next_url =
        (search.count > 0 && next < total).then(|| format!("{base}/{ty}?{}", search.query(next)));
    let mut entries: Vec<SearchEntry> = page
        .into_iter()
        .map(|v| SearchEntry::matched(&base, v))
        .collect();
    entries.extend(
        included
            .into_iter()
            .filter(|v| may_include(principal, v))
            .map(|v| SearchEntry::included(&base, v)),
    );
    let bundle = searchset(total, &self_url, next_url.as_deref(), entries);
    Ok(fhir_response(StatusCode::OK, &bundle, None))
}

/// The Appointments the search `query` (a query string, strict handling)
/// finds for `principal` through the search's gates: how many in all, and
/// the first page (`If-None-Exist` of `$book`).
pub(crate) async fn appointments_matching(
    state: &AppState,
    principal: &Principal,
    query: &str,
) -> Result<(usize, Vec<Value>), ApiError> {
    let search = params::parse(params::pairs(query.as_bytes()), spec("Appointment")?, true)?;
    let ctx = Ctx {
        state,
        principal,
        store: state.tenants.store(&principal.org).await?,
        search: &search,
    };
    let found = appointments(&ctx).await?;
    Ok((found.total, found.page))
}

/// A search's answer: how many match in all, this page's matches and what
/// they `_include`.
struct Found {
    total: usize,
    page: Vec<Value>,
    included: Vec<Value>,
}

/// What every search reads.
struct Ctx<'a> {
    state: &'a AppState,
    principal: &'a Principal,
    store: Arc<dyn Store>,
    search: &'a Search,
}

impl Ctx<'_> {
    /// The page of `all`: `_offset`, then `_count` of them.
    fn page<T>(&self, all: Vec<T>) -> (usize, Vec<T>) {
        let total = all.len();
        let page = all
            .into_iter()
            .skip(self.search.offset)
            .take(self.search.count)
            .collect();
        (total, page)
    }
}

/// The comma-separated values of one occurrence.
fn values(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').filter(|s| !s.is_empty())
}

/// Every occurrence of `name` matches (AND), each by one of its values (OR).
fn all_match<T>(
    s: &Search,
    name: &str,
    parse: impl Fn(&str) -> Result<T, hcas_core::Error>,
    matches: impl Fn(&T) -> bool,
) -> Result<bool, ApiError> {
    for occurrence in s.all(name) {
        let mut any = false;
        for v in values(occurrence) {
            let p = parse(v).map_err(|e| bad_search(format!("`{name}`: {}", e.message())))?;
            any |= matches(&p);
        }
        if !any {
            return Ok(false);
        }
    }
    Ok(true)
}

fn token(v: &str) -> Result<TokenParam, hcas_core::Error> {
    TokenParam::parse(v)
}

fn date(v: &str) -> Result<DateParam, hcas_core::Error> {
    DateParam::parse(v)
}

/// A boolean token (`true`/`false`).
fn boolean(name: &str, t: &TokenParam) -> Result<bool, ApiError> {
    match t.code.as_deref() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(bad_search(format!("`{name}`: give true or false"))),
    }
}

fn matches_bool(s: &Search, name: &str, actual: bool) -> Result<bool, ApiError> {
    for occurrence in s.all(name) {
        let mut any = false;
        for v in values(occurrence) {
            let t = token(v).map_err(|e| bad_search(e.message().to_string()))?;
            any |= boolean(name, &t)? == actual;
        }
        if !any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The ids named by every occurrence of a reference parameter of `types`
/// (AND of occurrences, OR within one): `None` when not given.
fn ids(s: &Search, name: &str, types: &[&str]) -> Result<Option<BTreeSet<String>>, ApiError> {
    let mut out: Option<BTreeSet<String>> = None;
    for occurrence in s.all(name) {
        let mut set = BTreeSet::new();
        for v in values(occurrence) {
            let r = ReferenceParam::parse(v, types)
                .map_err(|e| bad_search(format!("`{name}`: {}", e.message())))?;
            set.insert(r.id);
        }
        out = Some(match out {
            None => set,
            Some(prev) => prev.intersection(&set).cloned().collect(),
        });
    }
    Ok(out)
}

/// Whether a token names one of `codes` (hcas specialty codes, the
/// `specialty` and `serviceType` of Schedule and Slot).
fn specialty_matches(t: &TokenParam, codes: &[String]) -> bool {
    codes.iter().any(|c| t.matches(Some(SPECIALTY_SYSTEM), c))
}

/// The string search: the name or one of its words starts with the value
/// (case-insensitive).
fn name_matches(name: &str, value: &str) -> bool {
    let (n, v) = (name.to_lowercase(), value.to_lowercase());
    n.starts_with(&v) || n.split_whitespace().any(|w| w.starts_with(&v))
}

// ------------------------------------------------------------ providers

async fn providers(ctx: &Ctx<'_>, ty: &str) -> Result<Found, ApiError> {
    let s = ctx.search;
    let now = crate::access::now();
    let horizon = res::horizon(now)?;
    let wanted_ids = ids(s, "_id", &[])?;
    let actor_ids = ids(s, "actor", &["Practitioner"])?;
    let practitioner_ids = ids(s, "practitioner", &["Practitioner"])?;
    let all = ctx.state.doctors.providers(&ctx.principal.org).await?;
    let mut found: Vec<Stored<Provider>> = Vec::new();
    for p in all {
        let v = &p.value;
        let keep = wanted_ids.as_ref().is_none_or(|i| i.contains(&v.id))
            && actor_ids.as_ref().is_none_or(|i| i.contains(&v.id))
            && practitioner_ids.as_ref().is_none_or(|i| i.contains(&v.id))
            && matches_bool(s, "active", v.active)?
            && all_match(s, "specialty", token, |t| {
                specialty_matches(t, &v.specialties)
            })?
            && all_match(s, "service-type", token, |t| {
                specialty_matches(t, &v.specialties)
            })?
            && s.all("name")
                .all(|n| values(n).any(|x| name_matches(&v.name, x)))
            && all_match(s, "date", date, |d| {
                d.matches_period(horizon.start(), horizon.end())
            })?;
        if keep {
            found.push(p);
        }
    }
    let (total, page) = ctx.page(found);
    let mut matches = Vec::with_capacity(page.len());
    let mut included = Vec::new();
    for p in &page {
        matches.push(match ty {
            "Practitioner" => res::practitioner(p)?,
            "PractitionerRole" => res::practitioner_role(p)?,
            _ => res::schedule(&p.value, now)?,
        });
        if s.includes("PractitionerRole:practitioner") || s.includes("Schedule:actor") {
            included.push(res::practitioner(p)?);
        }
    }
    Ok(Found {
        total,
        page: matches,
        included,
    })
}

// ------------------------------------------------------------ locations

async fn locations(ctx: &Ctx<'_>) -> Result<Found, ApiError> {
    let s = ctx.search;
    let wanted_ids = ids(s, "_id", &[])?;
    let providers = ctx.state.doctors.providers(&ctx.principal.org).await?;
    let found: Vec<Value> = super::bulk::locations(ctx.state, &providers)?
        .into_iter()
        .filter(|l| {
            let (id, name) = (
                l["id"].as_str().unwrap_or(""),
                l["name"].as_str().unwrap_or(""),
            );
            wanted_ids.as_ref().is_none_or(|i| i.contains(id))
                && s.all("name")
                    .all(|n| values(n).any(|x| name_matches(name, x)))
        })
        .collect();
    let (total, page) = ctx.page(found);
    Ok(Found {
        total,
        page,
        included: Vec::new(),
    })
}

// ---------------------------------------------------------------- slots

async fn slots(ctx: &Ctx<'_>) -> Result<Found, ApiError> {
    let s = ctx.search;
    let org = &ctx.principal.org;
    let now = crate::access::now();
    // The window: the tightest bounds the `start` values give, from now
    // when open below, DEFAULT_SLOT_DAYS long when open above.
    let (mut from, mut to) = (None::<Timestamp>, None::<Timestamp>);
    for occurrence in s.all("start") {
        let vs: Vec<&str> = values(occurrence).collect();
        if vs.len() != 1 {
            continue; // an OR of dates bounds nothing; matched exactly below
        }
        let d = date(vs[0]).map_err(|e| bad_search(format!("`start`: {}", e.message())))?;
        let (lo, hi) = d.bounds();
        if let Some(lo) = lo {
            from = Some(from.map_or(lo, |f| f.max(lo)));
        }
        if let Some(hi) = hi {
            to = Some(to.map_or(hi, |t| t.min(hi)));
        }
    }
    let from = from.map_or(now, |f| f.max(now));
    let to = match to {
        Some(t) => t,
        None => from.plus_seconds(DEFAULT_SLOT_DAYS * 86_400)?,
    };
    if to.unix() - from.unix() > MAX_WINDOW_DAYS * 86_400 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "window_too_large",
            format!(
                "search slots at most {MAX_WINDOW_DAYS} days at once; bound `start` with ge and lt"
            ),
        ));
    }
    let providers: Vec<String> = match ids(s, "schedule", &["Schedule"])? {
        Some(set) => set.into_iter().collect(),
        None => {
            let dir = ctx.state.slots.directory(org).await?;
            let active: Vec<String> = dir
                .iter()
                .filter(|p| p.active)
                .map(|p| p.id.clone())
                .collect();
            if active.len() > MAX_POOL {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "search_too_costly",
                    format!("more than {MAX_POOL} schedules; name them with `schedule`"),
                ));
            }
            active
        }
    };
    let dir = ctx.state.slots.directory(org).await?;
    let mut found = Vec::new();
    if to > from {
        for (provider, start, free) in res::slot_grid(ctx.state, org, &providers, from, to).await? {
            let Some(p) = dir.iter().find(|p| p.id == provider) else {
                continue;
            };
            let status = if free { "free" } else { "busy" };
            // Without `status`, the free ones: what a client can book.
            let keep = all_match(s, "start", date, |d| d.matches_instant(start))?
                && (free || s.has("status"))
                && all_match(s, "status", token, |t| t.matches(Some(SLOT_STATUS), status))?
                && all_match(s, "service-type", token, |t| {
                    specialty_matches(t, &p.specialties)
                })?;
            if keep && let Some(slot) = res::slot(p, start, free)? {
                found.push((provider, slot));
            }
        }
    }
    let (total, page) = ctx.page(found);
    let mut included = Vec::new();
    if s.includes("Slot:schedule") {
        let wanted: BTreeSet<&str> = page.iter().map(|(p, _)| p.as_str()).collect();
        for p in dir.iter().filter(|p| wanted.contains(p.id.as_str())) {
            included.push(res::schedule(p, now)?);
        }
    }
    Ok(Found {
        total,
        page: page.into_iter().map(|(_, v)| v).collect(),
        included,
    })
}

// --------------------------------------------------------- appointments

/// hcas resource kinds by the FHIR types an Appointment's actors have.
const ACTOR_KINDS: [(&str, &str); 4] = [
    ("Practitioner", "provider"),
    ("Patient", "patient"),
    ("Location", "room"),
    ("Device", "device"),
];

/// The hcas resources one reference value names (a bare id: every kind).
fn actor_resources(r: &ReferenceParam, types: &[&str]) -> Vec<String> {
    ACTOR_KINDS
        .iter()
        .filter(|(ty, _)| types.contains(ty))
        .filter(|(ty, _)| r.resource_type.as_deref().is_none_or(|t| t == *ty))
        .map(|(_, kind)| format!("{kind}:{}", r.id))
        .collect()
}

/// The resources every occurrence of `name` allows (AND of occurrences,
/// OR within one); `None` when not given.
fn resource_sets(
    s: &Search,
    name: &str,
    types: &[&str],
) -> Result<Vec<BTreeSet<String>>, ApiError> {
    let mut out = Vec::new();
    for occurrence in s.all(name) {
        let mut set = BTreeSet::new();
        for v in values(occurrence) {
            let r = ReferenceParam::parse(v, types)
                .map_err(|e| bad_search(format!("`{name}`: {}", e.message())))?;
            set.extend(actor_resources(&r, types));
        }
        out.push(set);
    }
    Ok(out)
}

/// The resources each occurrence of `location` allows (AND of
/// occurrences, OR within one): a booked room with the Location's id, and
/// every provider whose `location` is that Location (as
/// `PractitionerRole.location`).
async fn location_sets(ctx: &Ctx<'_>) -> Result<Vec<BTreeSet<String>>, ApiError> {
    let s = ctx.search;
    if !s.has("location") {
        return Ok(Vec::new());
    }
    let dir = ctx.state.slots.directory(&ctx.principal.org).await?;
    let at: Vec<(String, &str)> = dir
        .iter()
        .filter_map(|p| {
            let name = super::bulk::location_of(p)?;
            Some((hcas_core::fhir::location_id(name), p.id.as_str()))
        })
        .collect();
    let mut out = Vec::new();
    for occurrence in s.all("location") {
        let mut set = BTreeSet::new();
        for v in values(occurrence) {
            let r = ReferenceParam::parse(v, &["Location"])
                .map_err(|e| bad_search(format!("`location`: {}", e.message())))?;
            set.insert(format!("room:{}", r.id));
            set.extend(
                at.iter()
                    .filter(|(loc, _)| *loc == r.id)
                    .map(|(_, p)| format!("provider:{p}")),
            );
        }
        out.push(set);
    }
    Ok(out)
}

/// The Slots each occurrence of `slot` names (AND of occurrences, OR
/// within one), as (provider, slot period); an id that is not an hcas
/// Slot id (`<schedule>-<unix start>`) names none.
fn slot_periods(s: &Search) -> Result<Vec<Vec<(String, Interval)>>, ApiError> {
    let mut out = Vec::new();
    for occurrence in s.all("slot") {
        let mut named = Vec::new();
        for v in values(occurrence) {
            let r = ReferenceParam::parse(v, &["Slot"])
                .map_err(|e| bad_search(format!("`slot`: {}", e.message())))?;
            if let Some((provider, start)) = hcas_core::fhir::parse_slot_id(&r.id) {
                let period = Interval::new(start, start.plus_minutes(res::SLOT_MINUTES)?)?;
                named.push((provider.to_string(), period));
            }
        }
        out.push(named);
    }
    Ok(out)
}

/// Whether booking `b` occupies one of `slots`: it is the slot's
/// provider's and overlaps its period.
fn occupies(b: &Booking, slots: &[(String, Interval)]) -> bool {
    slots.iter().any(|(p, period)| {
        b.resources
            .iter()
            .any(|r| r.strip_prefix("provider:") == Some(p.as_str()))
            && b.start < period.end()
            && period.start() < b.end
    })
}

async fn appointments(ctx: &Ctx<'_>) -> Result<Found, ApiError> {
    let s = ctx.search;
    let mut sets = resource_sets(s, "patient", &["Patient"])?;
    sets.extend(resource_sets(s, "practitioner", &["Practitioner"])?);
    sets.extend(resource_sets(
        s,
        "actor",
        &["Practitioner", "Patient", "Location", "Device"],
    )?);
    sets.extend(location_sets(ctx).await?);
    let slots = slot_periods(s)?;
    sets.extend(slots.iter().map(|named| {
        named
            .iter()
            .map(|(p, _)| format!("provider:{p}"))
            .collect::<BTreeSet<_>>()
    }));
    // The store is asked for the smallest named set; the others filter.
    let Some(first) = sets.iter().min_by_key(|x| x.len()).cloned() else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "search_too_costly",
            "name whose appointments: give `patient`, `practitioner`, `actor`, `location` or \
             `slot`",
        ));
    };
    // The window: what the single-valued `date` values and single slots bound.
    let (mut lo, mut hi) = (Timestamp::MIN, Timestamp::MAX);
    for occurrence in s.all("date") {
        let vs: Vec<&str> = values(occurrence).collect();
        if let [one] = vs.as_slice() {
            let d = date(one).map_err(|e| bad_search(format!("`date`: {}", e.message())))?;
            let (l, h) = d.bounds();
            lo = lo.max(l.unwrap_or(Timestamp::MIN));
            hi = hi.min(h.unwrap_or(Timestamp::MAX));
        }
    }
    for named in &slots {
        if let [(_, period)] = named.as_slice() {
            lo = lo.max(period.start());
            hi = hi.min(period.end());
        }
    }
    let mut candidates: BTreeMap<String, Stored<Booking>> = BTreeMap::new();
    if lo < hi {
        let window = Interval::new(lo, hi)?;
        for resource in &first {
            let got = ctx
                .store
                .bookings_on(resource, window, MAX_SCAN + 1)
                .await?;
            if got.len() > MAX_SCAN {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "search_too_costly",
                    format!(
                        "more than {MAX_SCAN} appointments match; narrow the search with `date`"
                    ),
                ));
            }
            for b in got {
                candidates.insert(b.value.id.clone(), b);
            }
        }
    }
    let want_updated = s.has("_lastUpdated");
    let mut matched: Vec<(Stored<Booking>, Option<Timestamp>)> = Vec::new();
    for (_, b) in candidates {
        let v = &b.value;
        let status = hcas_core::fhir::appointment_to_fhir(v)
            .ok()
            .and_then(|j| j["status"].as_str().map(str::to_string))
            .unwrap_or_default();
        let keep = sets
            .iter()
            .all(|set| v.resources.iter().any(|r| set.contains(r)))
            && slots.iter().all(|named| occupies(v, named))
            && all_match(s, "date", date, |d| d.matches_period(v.start, v.end))?
            && all_match(s, "status", token, |t| {
                t.matches(Some(APPOINTMENT_STATUS), &status)
            })?;
        if !keep {
            continue;
        }
        let updated = if want_updated {
            let at = res::last_updated(&ctx.store, &v.id).await?;
            let fits = all_match(s, "_lastUpdated", date, |d| {
                at.is_some_and(|t| d.matches_instant(t))
            })?;
            if !fits {
                continue;
            }
            at
        } else {
            None
        };
        matched.push((b, updated));
    }
    matched.sort_by(|a, b| (a.0.value.start, &a.0.value.id).cmp(&(b.0.value.start, &b.0.value.id)));
    // The gate: once per patient; bookings without one are staff's.
    let single = sets
        .iter()
        .any(|set| set.len() == 1 && set.iter().all(|r| r.starts_with("patient:")));
    let mut permitted: BTreeMap<String, bool> = BTreeMap::new();
    let mut visible = Vec::new();
    for (b, updated) in matched {
        let patient = b
            .value
            .resources
            .iter()
            .find_map(|r| r.strip_prefix("patient:"));
        let ok = match patient {
            None => res::staff(ctx.principal),
            Some(p) => {
                if let Some(ok) = permitted.get(p) {
                    *ok
                } else {
                    let gate = res::appointments_gate(
                        &ctx.store,
                        ctx.principal,
                        p,
                        "appointment.search",
                        format!("patient:{p}"),
                    )
                    .await;
                    let ok = in_search(gate, single)?.is_some();
                    permitted.insert(p.to_string(), ok);
                    ok
                }
            }
        };
        if ok {
            visible.push((b, updated));
        }
    }
    let (total, page) = ctx.page(visible);
    let mut matches = Vec::with_capacity(page.len());
    let (mut patients, mut practitioners) = (BTreeSet::new(), BTreeSet::new());
    for (b, updated) in &page {
        let updated = match updated {
            Some(t) => Some(*t),
            None => res::last_updated(&ctx.store, &b.value.id).await?,
        };
        matches.push(res::appointment(b, updated)?);
        for r in &b.value.resources {
            if let Some(p) = r.strip_prefix("patient:") {
                patients.insert(p.to_string());
            } else if let Some(p) = r.strip_prefix("provider:") {
                practitioners.insert(p.to_string());
            }
        }
    }
    let mut included = Vec::new();
    let actor = s.includes("Appointment:actor");
    if actor || s.includes("Appointment:patient") {
        for p in &patients {
            // The Patient resource is `records` data: its own gate.
            let found = in_search(res::read_patient(&ctx.store, ctx.principal, p).await, false)?;
            if let Some(Some(found)) = found {
                included.push(res::patient(&found)?);
            }
        }
    }
    if actor || s.includes("Appointment:practitioner") {
        for p in &practitioners {
            match ctx.state.doctors.provider(&ctx.principal.org, p).await {
                Ok(found) => included.push(res::practitioner(&found)?),
                Err(e) if e.status() == StatusCode::NOT_FOUND => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(Found {
        total,
        page: matches,
        included,
    })
}

// ------------------------------------------------------ patient records

/// The patients a search names with `param` (comma OR; repeated AND), or
/// the caller when they are a patient and name none.
fn named_patients(ctx: &Ctx<'_>, param: &str, types: &[&str]) -> Result<Vec<String>, ApiError> {
    match ids(ctx.search, param, types)? {
        Some(set) => Ok(set.into_iter().collect()),
        None if ctx.principal.has(hcas_core::consent::Role::Patient) => {
            Ok(vec![ctx.principal.subject.clone()])
        }
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "search_too_costly",
            format!("name the patients: give `{param}`"),
        )),
    }
}

async fn patients(ctx: &Ctx<'_>) -> Result<Found, ApiError> {
    let wanted = named_patients(ctx, "_id", &[])?;
    let single = wanted.len() == 1;
    let mut found = Vec::new();
    for id in &wanted {
        if let Some(Some(p)) = in_search(
            res::read_patient(&ctx.store, ctx.principal, id).await,
            single,
        )? {
            found.push(p);
        }
    }
    let (total, page) = ctx.page(found);
    Ok(Found {
        total,
        page: page.iter().map(res::patient).collect::<Result<_, _>>()?,
        included: Vec::new(),
    })
}

async fn consents(ctx: &Ctx<'_>) -> Result<Found, ApiError> {
    let wanted = named_patients(ctx, "patient", &["Patient"])?;
    let single = wanted.len() == 1;
    let mut found = Vec::new();
    for id in &wanted {
        let gate = res::consents_gate(&ctx.store, ctx.principal, id).await;
        if in_search(gate, single)?.is_none() {
            continue;
        }
        for c in ctx.store.consents_for(id).await? {
            let json = res::consent(&c)?;
            let status = json["status"].as_str().unwrap_or_default().to_string();
            if all_match(ctx.search, "status", token, |t| {
                t.matches(Some(CONSENT_STATUS), &status)
            })? {
                found.push(json);
            }
        }
    }
    let (total, page) = ctx.page(found);
    Ok(Found {
        total,
        page,
        included: Vec::new(),
    })
}
