//! `Appointment/$find` (IHE ITI-115, Find Potential Appointments): the
//! IHE parameters in (a `Parameters` body, or the query string of a GET),
//! a `searchset` Bundle of proposed Appointments out. Each is a free start
//! of the same read model and grid as `GET /fhir/r4/Slot` and `/v1/slots`
//! ([`res::free_slots`]), so held and booked starts are never offered.
//!
//! `_count` pages the proposals: while more remain, the Bundle's `next`
//! link is this search as a `GET` (every parameter as a string, `timing`
//! as its JSON) with `_offset`, hcas's paging parameter as in search.
//! `timing`'s days and times of day are read at the UTC offset of `start`
//! (`start=2030-01-09T00:00:00+02:00` makes `09:00:00` 07:00 UTC); a date
//! `start` is UTC.

use std::collections::BTreeSet;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hcas_core::consent::{Action, Category, Role};
use hcas_core::fhir::search::{ReferenceParam, TokenParam, parse_count};
use hcas_core::fhir::{Parameter, SPECIALTY_SYSTEM, SearchEntry, proposed_appointment, searchset};
use hcas_core::{Interval, Timestamp};
use serde_json::Value;

use super::ops::{bad_param, unsupported};
use super::params::DEFAULT_COUNT;
use super::resources::{self as res, SLOT_MINUTES};
use super::{base_url, fhir_response};
use crate::AppState;
use crate::access::{Access, authorize};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::services::appointments::{MAX_POOL, MAX_WINDOW_DAYS};

/// The `$find` parameters hcas answers no value of, with why.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("visit-type", "hcas has no visit types"),
    (
        "location-string",
        "hcas keeps no Location resources (a provider's location is free text)",
    ),
    (
        "location-reference",
        "hcas keeps no Location resources (a provider's location is free text)",
    ),
    (
        "patient-resource",
        "hcas proposes appointments for registered patients only; give `patient-reference`",
    ),
    ("reason", "hcas does not choose providers by reason"),
    ("referral-identifier", "hcas keeps no referrals"),
    ("insurance-reference", "hcas keeps no insurance"),
];

/// A `$find` request, checked.
struct Find {
    from: Timestamp,
    to: Timestamp,
    practitioners: Option<BTreeSet<String>>,
    specialties: Vec<TokenParam>,
    patient: Option<String>,
    timing: Timing,
    count: usize,
    offset: usize,
    /// The parameters as `GET` pairs, for the `self` and `next` links.
    query: Vec<(String, String)>,
}

/// The `timing` hcas reads: `repeat.dayOfWeek` and `repeat.timeOfDay`, at
/// `utc_offset` seconds from UTC (`start`'s).
#[derive(Default)]
struct Timing {
    days: Vec<u32>,
    times: Vec<u32>,
    utc_offset: i64,
}

impl Timing {
    fn admits(&self, t: Timestamp) -> bool {
        let local = t.unix() + self.utc_offset;
        let day = (local.div_euclid(86_400) + 3).rem_euclid(7);
        let second = local.rem_euclid(86_400);
        (self.days.is_empty() || self.days.iter().any(|d| i64::from(*d) == day))
            && (self.times.is_empty() || self.times.iter().any(|s| i64::from(*s) == second))
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Read `timing`: a `Timing` with only `repeat.dayOfWeek` and
/// `repeat.timeOfDay` (in a query string, its JSON); anything else is
/// refused, named.
fn timing(v: &Value) -> Result<Timing, ApiError> {
    let bad = |what: &str| {
        unsupported(format!(
            "`timing`: {what}; hcas reads `repeat.dayOfWeek` (mon..sun) and `repeat.timeOfDay` \
             (hh:mm:ss, at the offset of `start`) only"
        ))
    };
    let parsed;
    let v = match v {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|_| bad("in a query string, give the Timing as JSON"))?;
            &parsed
        }
        v => v,
    };
    let o = v.as_object().ok_or_else(|| bad("not a Timing object"))?;
    if let Some(k) = o.keys().find(|k| k.as_str() != "repeat") {
        return Err(bad(&format!("`{k}` is not read")));
    }
    let mut out = Timing::default();
    let Some(repeat) = o.get("repeat") else {
        return Ok(out);
    };
    let r = repeat
        .as_object()
        .ok_or_else(|| bad("`repeat` is not an object"))?;
    for (k, v) in r {
        let items = v
            .as_array()
            .ok_or_else(|| bad(&format!("`repeat.{k}` is not a list")))?;
        for item in items {
            let text = item.as_str().unwrap_or_default();
            match k.as_str() {
                "dayOfWeek" => out.days.push(
                    DAYS.iter()
                        .position(|d| *d == text)
                        .and_then(|d| u32::try_from(d).ok())
                        .ok_or_else(|| bad(&format!("`{text}` is not a day of week")))?,
                ),
                "timeOfDay" => out.times.push(
                    chrono::NaiveTime::parse_from_str(text, "%H:%M:%S")
                        .map(|t| chrono::Timelike::num_seconds_from_midnight(&t))
                        .map_err(|_| bad(&format!("`{text}` is not a time hh:mm:ss")))?,
                ),
                _ => return Err(bad(&format!("`repeat.{k}` is not read"))),
            }
        }
    }
    Ok(out)
}

/// A `start`/`end` value: a date (that UTC day; `end` means its end) or a
/// dateTime with an offset.
fn bound(name: &str, text: &str, end: bool) -> Result<Timestamp, ApiError> {
    let d = (text.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| hcas_core::fhir::search::DateParam::parse(text).ok())
        .flatten()
        .ok_or_else(|| {
            bad_param(format!(
                "`{name}`: `{text}` is not a FHIR date or dateTime; write e.g. `2030-01-09` or \
                 `2030-01-09T14:00:00Z`"
            ))
        })?;
    Ok(if end && !text.contains('T') {
        d.upper
    } else {
        d.lower
    })
}

/// The UTC offset, in seconds, of a `start` that [`bound`] accepted: that
/// of a dateTime (`Z`, `±hh:mm`), 0 for a date.
fn utc_offset(text: &str) -> i64 {
    if !text.contains('T') || text.ends_with(['Z', 'z']) {
        return 0;
    }
    let tail = text.get(text.len().saturating_sub(6)..).unwrap_or_default();
    let field = |r: std::ops::Range<usize>| tail.get(r).and_then(|x| x.parse::<i64>().ok());
    match (tail.chars().next(), field(1..3), field(4..6)) {
        (Some(sign @ ('+' | '-')), Some(h), Some(m)) => {
            let seconds = h * 3600 + m * 60;
            if sign == '-' { -seconds } else { seconds }
        }
        _ => 0,
    }
}

fn one<'a>(params: &'a [Parameter], name: &str) -> Result<Option<&'a Parameter>, ApiError> {
    let mut it = params.iter().filter(|p| p.name == name);
    match (it.next(), it.next()) {
        (p, None) => Ok(p),
        _ => Err(bad_param(format!("`{name}` may be given once"))),
    }
}

fn text(p: &Parameter) -> Result<String, ApiError> {
    p.text().ok_or_else(|| {
        bad_param(format!(
            "`{}`: `{}` is not a value hcas reads here",
            p.name, p.element
        ))
    })
}

fn required_bound(params: &[Parameter], name: &str, end: bool) -> Result<Timestamp, ApiError> {
    let p = one(params, name)?.ok_or_else(|| {
        bad_param(format!(
            "`{name}` is required (the IHE $find window), e.g. `{name}=2030-01-09`"
        ))
    })?;
    bound(name, &text(p)?, end)
}

fn reference(p: &Parameter, ty: &str) -> Result<String, ApiError> {
    let v = text(p)?;
    let r = ReferenceParam::parse(&v, &[ty])
        .map_err(|e| bad_param(format!("`{}`: {}", p.name, e.message())))?;
    Ok(r.id)
}

impl Find {
    /// This `$find` as a `GET` URL at `offset` (`self` and `next`).
    fn url(&self, base: &str, offset: usize) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (n, v) in &self.query {
            q.append_pair(n, v);
        }
        q.append_pair("_count", &self.count.to_string());
        if offset > 0 {
            q.append_pair("_offset", &offset.to_string());
        }
        format!("{base}/Appointment/$find?{}", q.finish())
    }

    /// Check `params` for `principal`.
    fn parse(params: &[Parameter], principal: &Principal) -> Result<Self, ApiError> {
        let from = required_bound(params, "start", false)?;
        let start_text = one(params, "start")?.map(text).transpose()?;
        let to = required_bound(params, "end", true)?;
        if to <= from {
            return Err(bad_param("`end` must be after `start`"));
        }
        if to.unix() - from.unix() > MAX_WINDOW_DAYS * 86_400 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "window_too_large",
                format!("find at most {MAX_WINDOW_DAYS} days at once; narrow `start`..`end`"),
            ));
        }
        let mut find = Self {
            from,
            to,
            practitioners: None,
            specialties: Vec::new(),
            patient: None,
            timing: Timing::default(),
            count: DEFAULT_COUNT,
            offset: 0,
            query: Vec::new(),
        };
        for p in params {
            find.add(p, principal)?;
        }
        find.timing.utc_offset = start_text.as_deref().map_or(0, utc_offset);
        if find.patient.is_none() && principal.has(Role::Patient) {
            find.patient = Some(principal.subject.clone());
        }
        Ok(find)
    }

    fn add(&mut self, p: &Parameter, principal: &Principal) -> Result<(), ApiError> {
        match p.name.as_str() {
            "start" | "end" => {}
            "specialty" => {
                let t = TokenParam::parse(&text(p)?)
                    .map_err(|e| bad_param(format!("`specialty`: {}", e.message())))?;
                if t.system.as_deref().is_some_and(|s| s != SPECIALTY_SYSTEM) {
                    return Err(unsupported(format!(
                        "`specialty`: hcas codes specialties in `{SPECIALTY_SYSTEM}` only"
                    )));
                }
                self.specialties.push(t);
            }
            "practitioner" => {
                let id = reference(p, "Practitioner")?;
                self.practitioners
                    .get_or_insert_with(BTreeSet::new)
                    .insert(id);
            }
            "organization" => {
                let id = reference(p, "Organization")?;
                if id != principal.org.as_str() {
                    return Err(unsupported(format!(
                        "`organization`: this token finds appointments of `Organization/{}` only",
                        principal.org.as_str()
                    )));
                }
            }
            "patient-reference" => {
                let id = reference(p, "Patient")?;
                if self.patient.replace(id).is_some() {
                    return Err(unsupported(
                        "`patient-reference`: hcas books no group appointments; name one patient",
                    ));
                }
            }
            "timing" => self.timing = timing(&p.value)?,
            "_count" => {
                self.count = parse_count(&text(p)?)
                    .map_err(|e| bad_param(format!("`_count`: {}", e.message())))?;
            }
            "_offset" => {
                let v = text(p)?;
                self.offset = v
                    .parse()
                    .map_err(|_| bad_param(format!("`_offset={v}`: give a whole number from 0")))?;
            }
            name => {
                let why = UNSUPPORTED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or("it is not an IHE $find parameter", |(_, why)| *why);
                return Err(unsupported(format!(
                    "`{name}` is not supported: {why}; $find takes start, end, specialty, \
                     practitioner, organization, patient-reference, timing, _count and _offset"
                )));
            }
        }
        // Checked: kept for the links (paging is added by them).
        match (p.name.as_str(), &p.value) {
            ("_count" | "_offset", _) => {}
            ("timing", Value::String(s)) => self.query.push((p.name.clone(), s.clone())),
            ("timing", v) => self.query.push((p.name.clone(), v.to_string())),
            _ => self.query.push((p.name.clone(), text(p)?)),
        }
        Ok(())
    }
}

/// The active providers `find` names (all of them when it names none).
async fn providers(
    state: &AppState,
    principal: &Principal,
    find: &Find,
) -> Result<Vec<String>, ApiError> {
    let dir = state.slots.directory(&principal.org).await?;
    let ids: Vec<String> = dir
        .iter()
        .filter(|p| p.active)
        .filter(|p| {
            find.practitioners
                .as_ref()
                .is_none_or(|w| w.contains(&p.id))
        })
        .filter(|p| {
            find.specialties.is_empty()
                || find.specialties.iter().any(|t| {
                    p.specialties
                        .iter()
                        .any(|c| t.matches(Some(SPECIALTY_SYSTEM), c))
                })
        })
        .map(|p| p.id.clone())
        .collect();
    if ids.len() > MAX_POOL {
        return Err(bad_param(format!(
            "more than {MAX_POOL} practitioners match; narrow with `practitioner` or `specialty`"
        )));
    }
    Ok(ids)
}

/// Run `$find` with `params` for `principal`: the proposed Appointments as
/// a searchset Bundle.
pub(crate) async fn find(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    params: &[Parameter],
) -> Result<Response, ApiError> {
    let find = Find::parse(params, principal)?;
    let patient = find.patient.clone().ok_or_else(|| {
        bad_param("`patient-reference` is required: name the patient to propose appointments for")
    })?;
    let store = state.tenants.store(&principal.org).await?;
    let gate = Access::new(
        patient.clone(),
        Category::Appointments,
        Action::Write,
        "appointment.find",
        format!("patient:{patient}"),
    );
    authorize(&store, principal, &gate, crate::access::now()).await?;
    let ids = providers(state, principal, &find).await?;
    let free = res::free_slots(state, &principal.org, &ids, find.from, find.to).await?;
    let base = base_url(state, headers);
    let mut entries = Vec::new();
    for (provider, start) in free.into_iter().filter(|(_, s)| find.timing.admits(*s)) {
        let slot = Interval::new(start, start.plus_minutes(SLOT_MINUTES)?)?;
        // Ids too long for a proposal id have no proposal (as Slot ids).
        if let Ok(a) = proposed_appointment(&provider, &patient, slot) {
            entries.push(SearchEntry::matched(&base, a));
        }
    }
    let total = entries.len();
    let page: Vec<SearchEntry> = entries
        .into_iter()
        .skip(find.offset)
        .take(find.count)
        .collect();
    let next = find.offset.saturating_add(find.count);
    let self_url = find.url(&base, find.offset);
    let next_url = (find.count > 0 && next < total).then(|| find.url(&base, next));
    Ok(fhir_response(
        StatusCode::OK,
        &searchset(total, &self_url, next_url.as_deref(), page),
        None,
    ))
}
