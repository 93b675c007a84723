//! `AuditEvent`: the audit log (`crate::audit`) read as FHIR R4, search
//! (`GET /fhir/r4/AuditEvent?…`, POST `_search`) and read
//! (`GET /fhir/r4/AuditEvent/{seq}`), mapped by `hcas_core::fhir::audit`.
//!
//! # Who may read it
//!
//! Admin staff (the role `/v1/audit/verify` allows) read the whole log of
//! their organization. A patient reads their own access history: only
//! records about them (a search is narrowed to them; naming anyone else is
//! 403). Every other role is 403. Every reading, allowed or not, is itself
//! an audit record (`audit.search` / `audit.read`, written before any
//! record is answered: fail closed).
//!
//! # Paging
//!
//! The log is read one page at a time, filtered in the store
//! ([`hcas_store::AuditStore::audit_search`]), by sequence number; the
//! `next` link carries the last sequence number of the page (`_after`), so
//! the Bundle has no `total` (R4 makes it optional) and `_offset` is not
//! used here.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hcas_core::consent::Role;
use hcas_core::fhir::audit::{
    AUDIT_EVENT_TYPE_SYSTEM, AuditAction, DICOM_SYSTEM, TYPE_PATIENT_RECORD, TYPE_REST,
    outcomes_of, target_of,
};
use hcas_core::fhir::search::{DateParam, ReferenceParam, TokenParam};
use hcas_core::fhir::{AuditFacts, SearchEntry, audit_event_to_fhir, searchset_page};
use hcas_store::{AuditQuery, AuditRecord, Store};
use serde_json::Value;

use super::params::{self, Search};
use super::{bad_search, base_url, fhir_response};
use crate::AppState;
use crate::access::{self, Verdict};
use crate::auth::Principal;
use crate::error::ApiError;

/// The paging cursor of the `next` link: the last sequence number seen.
const AFTER: &str = "_after";

/// The R4 `audit-event-action` system (`action` tokens may name it).
const ACTION_SYSTEM: &str = "http://hl7.org/fhir/audit-event-action";
/// The R4 `audit-event-outcome` system.
const OUTCOME_SYSTEM: &str = "http://hl7.org/fhir/audit-event-outcome";

/// Who reads: the whole log, or one patient's records.
enum Reader {
    All,
    Patient(String),
}

/// What `principal` may read of the log, if anything.
fn reader(principal: &Principal) -> Option<Reader> {
    if principal.has(Role::Admin) {
        Some(Reader::All)
    } else if principal.has(Role::Patient) {
        Some(Reader::Patient(principal.subject.clone()))
    } else {
        None
    }
}

/// Record the reading (or its refusal) in the log itself; fail closed.
async fn record(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: Option<&str>,
    operation: &'static str,
    target: String,
    verdict: &Verdict,
) -> Result<(), ApiError> {
    access::record_verdict(
        store,
        principal,
        patient,
        "audit",
        operation,
        target,
        verdict,
        access::now(),
    )
    .await
}

const fn permit(basis: &'static str) -> Verdict {
    Verdict {
        permit: true,
        basis,
    }
}

const fn deny(basis: &'static str) -> Verdict {
    Verdict {
        permit: false,
        basis,
    }
}

fn not_allowed() -> ApiError {
    ApiError::forbidden(
        "the audit log is for admin staff; a patient reads only the records about them",
    )
}

/// One stored record as an `AuditEvent`.
fn to_fhir(r: &AuditRecord, org: &str) -> Result<Value, ApiError> {
    let e = &r.event;
    let detail = e.detail.as_object();
    let roles = detail
        .and_then(|d| d.get("roles"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let details = detail
        .map(|d| {
            d.iter()
                .filter(|(k, v)| !matches!(k.as_str(), "org" | "roles" | "prev") && !v.is_null())
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    let site = detail
        .and_then(|d| d.get("org"))
        .and_then(Value::as_str)
        .unwrap_or(org)
        .to_string();
    let facts = AuditFacts {
        id: r.seq.to_string(),
        recorded: e.at,
        actor: e.actor.clone(),
        roles,
        action: e.action.clone(),
        target: e.target.clone(),
        patient: e.patient.clone(),
        purpose: e.purpose.clone(),
        outcome: e.outcome.clone(),
        details,
        site: Some(site),
    };
    Ok(audit_event_to_fhir(&facts)?)
}

/// The one value of `name`, if given (a second occurrence or a list is 400).
fn one<'a>(s: &'a Search, name: &'a str) -> Result<Option<&'a str>, ApiError> {
    let mut all = s.all(name);
    let first = all.next();
    if all.next().is_some() {
        return Err(bad_search(format!(
            "`{name}`: give it once (AuditEvent search does not AND it)"
        )));
    }
    Ok(first)
}

/// The comma-separated values of `name` given once, as tokens.
fn tokens(s: &Search, name: &str) -> Result<Option<Vec<TokenParam>>, ApiError> {
    let Some(v) = one(s, name)? else {
        return Ok(None);
    };
    v.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| TokenParam::parse(x).map_err(|e| bad_search(format!("`{name}`: {}", e.message()))))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The reference `name` names (one value, of `types`).
fn reference(s: &Search, name: &str, types: &[&str]) -> Result<Option<ReferenceParam>, ApiError> {
    let Some(v) = one(s, name)? else {
        return Ok(None);
    };
    if v.contains(',') {
        return Err(bad_search(format!(
            "`{name}`: give one reference (AuditEvent search does not OR it)"
        )));
    }
    ReferenceParam::parse(v, types)
        .map(Some)
        .map_err(|e| bad_search(format!("`{name}`: {}", e.message())))
}

/// Set `slot` to `value`; a different value already there means nothing
/// can match (`None` answered).
fn narrow(slot: &mut Option<String>, value: String) -> Option<()> {
    match slot {
        Some(v) if *v != value => None,
        _ => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// The store query of the search's parameters; `Ok(None)` when they
/// cannot all match.
fn query_of(s: &Search) -> Result<Option<AuditQuery>, ApiError> {
    let mut q = AuditQuery::default();
    for v in s.all("date") {
        for x in v.split(',').filter(|x| !x.is_empty()) {
            let d =
                DateParam::parse(x).map_err(|e| bad_search(format!("`date`: {}", e.message())))?;
            let (from, to) = d.instant_range().ok_or_else(|| {
                bad_search("`date`: the prefix `ne` is not supported on AuditEvent; use `lt` and `ge` in two `date` parameters")
            })?;
            if v.contains(',') {
                return Err(bad_search(
                    "`date`: give one value per `date` (repeat the parameter to AND them)",
                ));
            }
            q.from = q.from.max(from);
            q.to = match (q.to, to) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && to <= from
    {
        return Ok(None);
    }
    if let Some(r) = reference(s, "agent", &["Practitioner", "Patient", "Device"])? {
        q.actor = Some(r.id);
    }
    if let Some(r) = reference(s, "patient", &["Patient"])? {
        q.patient = Some(r.id);
    }
    if let Some(r) = reference(
        s,
        "entity",
        &["Appointment", "Patient", "Consent", "Practitioner"],
    )? {
        let Some(ty) = r.resource_type.as_deref() else {
            return Err(bad_search(
                "`entity`: give a relative reference `Type/id` (Appointment, Patient, Consent or Practitioner)",
            ));
        };
        let done = if ty == "Patient" {
            narrow(&mut q.patient, r.id.clone())
        } else {
            target_of(ty, &r.id).and_then(|t| narrow(&mut q.target, t))
        };
        if done.is_none() {
            return Ok(None);
        }
    }
    if let Some(ts) = tokens(s, "action")? {
        let mut asked = Vec::new();
        for t in &ts {
            let a = t
                .code
                .as_deref()
                .filter(|_| t.system.as_deref().is_none_or(|x| x == ACTION_SYSTEM))
                .and_then(AuditAction::parse)
                .ok_or_else(|| bad_search("`action`: give C, R, U, D or E"))?;
            asked.push(a);
        }
        if asked.contains(&AuditAction::Execute) {
            q.verbs_not = AuditAction::ALL
                .into_iter()
                .filter(|a| !asked.contains(a))
                .flat_map(AuditAction::verbs)
                .map(str::to_string)
                .collect();
        } else {
            q.verbs = asked
                .into_iter()
                .flat_map(AuditAction::verbs)
                .map(str::to_string)
                .collect();
        }
    }
    if let Some(ts) = tokens(s, "outcome")? {
        for t in &ts {
            let o = t
                .code
                .as_deref()
                .filter(|_| t.system.as_deref().is_none_or(|x| x == OUTCOME_SYSTEM))
                .and_then(outcomes_of)
                .ok_or_else(|| bad_search("`outcome`: give 0, 4 or 8"))?;
            q.outcomes.extend(o.iter().map(|x| (*x).to_string()));
        }
    }
    if let Some(ts) = tokens(s, "type")? {
        let patient = ts
            .iter()
            .any(|t| t.matches(Some(DICOM_SYSTEM), TYPE_PATIENT_RECORD));
        let rest = ts
            .iter()
            .any(|t| t.matches(Some(AUDIT_EVENT_TYPE_SYSTEM), TYPE_REST));
        match (patient, rest) {
            (true, true) => {}
            (true, false) => q.about_patient = Some(true),
            (false, true) => q.about_patient = Some(false),
            (false, false) => return Ok(None),
        }
    }
    Ok(Some(q))
}

/// `GET /fhir/r4/AuditEvent?…` and `POST /fhir/r4/AuditEvent/_search`
/// (the SMART scope already checked).
pub(crate) async fn search(
    state: &AppState,
    principal: &Principal,
    pairs: Vec<(String, String)>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let spec = super::search::spec("AuditEvent")?;
    let mut after = 0_i64;
    let mut rest = Vec::with_capacity(pairs.len());
    for (n, v) in pairs {
        if n == AFTER {
            after = v.parse().ok().filter(|a: &i64| *a >= 0).ok_or_else(|| {
                bad_search(format!(
                    "`{AFTER}={v}`: give the `next` link as the server sent it"
                ))
            })?;
        } else {
            rest.push((n, v));
        }
    }
    let s = params::parse(rest, spec, params::strict(headers))?;
    if s.offset > 0 {
        return Err(bad_search(
            "`_offset`: AuditEvent pages by sequence number; follow the `next` link",
        ));
    }
    let store = state.tenants.store(&principal.org).await?;
    let query = query_of(&s)?;
    let target = "audit".to_string();
    let asked_patient = query.as_ref().and_then(|q| q.patient.clone());
    let query = match reader(principal) {
        None => {
            record(
                &store,
                principal,
                asked_patient.as_deref(),
                "audit.search",
                target,
                &deny("role"),
            )
            .await?;
            return Err(not_allowed());
        }
        Some(Reader::Patient(me)) => {
            if asked_patient.as_ref().is_some_and(|p| *p != me) {
                record(
                    &store,
                    principal,
                    asked_patient.as_deref(),
                    "audit.search",
                    target,
                    &deny("self"),
                )
                .await?;
                return Err(ApiError::forbidden(
                    "a patient reads only the audit records about them: name no other patient",
                ));
            }
            query.map(|mut q| {
                q.patient = Some(me.clone());
                q
            })
        }
        Some(Reader::All) => query,
    };
    let page = match &query {
        Some(q) if s.count > 0 => store
            .audit_search(q, after, s.count.saturating_add(1))
            .await
            .map_err(|e| {
                tracing::error!(code = e.code(), "audit log not readable");
                ApiError::unavailable("the audit log cannot be read; retry later")
            })?,
        _ => Vec::new(),
    };
    let patient = match reader(principal) {
        Some(Reader::Patient(me)) => Some(me),
        _ => asked_patient,
    };
    let basis = if patient.is_some() && !principal.has(Role::Admin) {
        "self"
    } else {
        "role"
    };
    record(
        &store,
        principal,
        patient.as_deref(),
        "audit.search",
        target,
        &permit(basis),
    )
    .await?;
    let more = page.len() > s.count;
    let shown = &page[..page.len().min(s.count)];
    let base = base_url(state, headers);
    let here = s.query(0);
    let self_url = if after > 0 {
        format!("{base}/AuditEvent?{here}&{AFTER}={after}")
    } else {
        format!("{base}/AuditEvent?{here}")
    };
    let next_url = shown
        .last()
        .filter(|_| more)
        .map(|r| format!("{base}/AuditEvent?{here}&{AFTER}={}", r.seq));
    let mut entries = Vec::with_capacity(shown.len());
    for r in shown {
        entries.push(SearchEntry::matched(
            &base,
            to_fhir(r, principal.org.as_str())?,
        ));
    }
    let bundle = searchset_page(&self_url, next_url.as_deref(), entries);
    Ok(fhir_response(StatusCode::OK, &bundle, None))
}

/// `GET /fhir/r4/AuditEvent/{seq}` (the SMART scope already checked).
pub(crate) async fn read(
    store: &Arc<dyn Store>,
    principal: &Principal,
    id: &str,
) -> Result<Value, ApiError> {
    let gone = || ApiError::not_found(format!("no AuditEvent with id `{id}`"));
    let seq: i64 = id.parse().ok().filter(|s| *s > 0).ok_or_else(gone)?;
    let target = format!("audit:{seq}");
    let Some(reader) = reader(principal) else {
        record(store, principal, None, "audit.read", target, &deny("role")).await?;
        return Err(not_allowed());
    };
    let found = store
        .audit_after(seq - 1, 1)
        .await
        .map_err(|e| {
            tracing::error!(code = e.code(), "audit log not readable");
            ApiError::unavailable("the audit log cannot be read; retry later")
        })?
        .into_iter()
        .find(|r| r.seq == seq)
        .ok_or_else(gone)?;
    let about = found.event.patient.as_deref();
    if let Reader::Patient(me) = &reader
        && about != Some(me.as_str())
    {
        record(
            store,
            principal,
            Some(me),
            "audit.read",
            target,
            &deny("self"),
        )
        .await?;
        return Err(ApiError::forbidden(
            "a patient reads only the audit records about them",
        ));
    }
    let basis = match reader {
        Reader::All => "role",
        Reader::Patient(_) => "self",
    };
    record(
        store,
        principal,
        about,
        "audit.read",
        target,
        &permit(basis),
    )
    .await?;
    to_fhir(&found, principal.org.as_str())
}
