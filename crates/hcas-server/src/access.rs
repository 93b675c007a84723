//! The gate in front of patient data: every read or write of a patient's
//! data asks the consent engine (`hcas_core::consent::decide`) with the
//! patient's consents from the store, and appends one audit record with the
//! decision (through [`crate::audit`], the hash chain), before the service may
//! go on. If the audit record cannot be written the access is refused (fail
//! closed, 503).
//!
//! # Purpose of use
//!
//! The purpose is, in this order: the token's `purpose` claim; else the
//! request's (a `purpose` field of the body, via [`Access::with_purpose`], or
//! the `X-Purpose-Of-Use` header, checked by the `purpose_header` layer:
//! an unknown code is 422 `invalid_purpose`); else [`default_purpose`] of the
//! caller's roles (ETREAT for a break-glass request). A request that names a
//! purpose other than its token's is denied and audited (basis `purpose`).
//! Whether a role may use a purpose is the consent engine's role gate: an
//! admin sending `X-Purpose-Of-Use: TREAT` is denied, basis `role`.
//!
//! # Break-glass
//!
//! Only through [`Access::with_break_glass`], which services call for an
//! explicit `break_glass: {"reason": ...}` member of a POST body (never from
//! a header or the token). The engine grants it to a doctor or nurse with
//! purpose ETREAT and a non-blank reason; every attempt, granted or not,
//! carries the obligation `audit-break-glass`, recorded in the audit record
//! with the reason.
//!
//! # Guardians
//!
//! A guardian of a minor (a patient principal whose id is in the minor's
//! `guardians`, the minor under 18 on the day of the request; see
//! [`acts_as_guardian`]) acts for the minor: the engine sees the minor
//! acting on their own data (step 1, basis `self`), and the audit record
//! names the guardian as the actor with `guardian_for` the minor.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use hcas_core::Timestamp;
use hcas_core::consent::{
    AUDIT_BREAK_GLASS, Accessor, Action, BreakGlass, Category, ConsentRequest, Decision, Purpose,
    Role, RolePolicy,
};
use hcas_store::{AuditEvent, Patient, Store};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::error::ApiError;

/// The header a request names its purpose of use in.
pub const PURPOSE_HEADER: &str = "x-purpose-of-use";

tokio::task_local! {
    /// The current request's `X-Purpose-Of-Use`, checked.
    static HEADER_PURPOSE: Option<Purpose>;
}

/// One access to a patient's data.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Access {
    /// The patient whose data it is.
    pub patient: String,
    /// What kind of data.
    pub category: Category,
    /// Read or write.
    pub action: Action,
    /// What is done, for the audit trail (`appointment.book`, `patient.read`, ...).
    pub operation: &'static str,
    /// The record acted on, for the audit trail.
    pub target: String,
    /// The purpose the request names (a body field); see the module docs.
    pub purpose: Option<Purpose>,
    /// A break-glass request's reason (possibly blank: then refused).
    pub break_glass: Option<String>,
    /// Whether the caller acts as the patient's guardian (checked by the
    /// service with [`acts_as_guardian`]).
    pub as_guardian: bool,
    /// The data's security labels (empty: unlabelled), matched by consent
    /// provisions.
    pub labels: Vec<String>,
    /// When the data was recorded, if known (consents with a data period).
    pub data_date: Option<Timestamp>,
    /// Who authored the data, if known.
    pub originator: Option<String>,
}

impl Access {
    /// Access `action` on `category` data of `patient`, doing `operation` on `target`.
    #[must_use]
    pub fn new(
        patient: impl Into<String>,
        category: Category,
        action: Action,
        operation: &'static str,
        target: impl Into<String>,
    ) -> Self {
        Self {
            patient: patient.into(),
            category,
            action,
            operation,
            target: target.into(),
            purpose: None,
            break_glass: None,
            as_guardian: false,
            labels: Vec::new(),
            data_date: None,
            originator: None,
        }
    }

    /// On data with these security labels, recorded at `data_date` and
    /// authored by `originator` (a medical record's metadata).
    #[must_use]
    pub fn on_data(
        mut self,
        labels: &[String],
        data_date: Timestamp,
        originator: impl Into<String>,
    ) -> Self {
        self.labels = labels.to_vec();
        self.data_date = Some(data_date);
        self.originator = Some(originator.into());
        self
    }

    /// With the purpose the request's body names (`None`: none named).
    #[must_use]
    pub fn with_purpose(mut self, purpose: Option<Purpose>) -> Self {
        self.purpose = purpose;
        self
    }

    /// A break-glass request, for `reason` (from an explicit
    /// `break_glass: {"reason": ...}` member of a POST body only).
    #[must_use]
    pub fn with_break_glass(mut self, reason: impl Into<String>) -> Self {
        self.break_glass = Some(reason.into());
        self
    }

    /// The caller acts for the patient as their guardian; only after
    /// [`acts_as_guardian`] said so.
    #[must_use]
    pub fn as_guardian(mut self) -> Self {
        self.as_guardian = true;
        self
    }
}

/// Now, from the system clock.
#[must_use]
pub fn now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    Timestamp::from_unix(secs).unwrap_or(Timestamp::MIN)
}

/// The calendar date (UTC) of `t`.
fn date_of(t: Timestamp) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp(t.unix(), 0).map(|d| d.date_naive())
}

/// Whether `patient` (born on `birth_date`) is under 18 on the UTC date of
/// `now`. Without a birth date: not a minor.
#[must_use]
pub fn is_minor(patient: &Patient, now: Timestamp) -> bool {
    let (Some(born), Some(today)) = (patient.birth_date, date_of(now)) else {
        return false;
    };
    let mut age = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age < 18
}

/// Whether `principal` may act for `patient` as a guardian: a patient
/// principal (subject = their own patient id) listed in `patient.guardians`,
/// the patient a minor at `now`.
#[must_use]
pub fn acts_as_guardian(principal: &Principal, patient: &Patient, now: Timestamp) -> bool {
    principal.has(Role::Patient)
        && principal.subject != patient.id
        && patient.guardians.contains(&principal.subject)
        && is_minor(patient, now)
}

/// The purpose a principal acts for when neither the token nor the request
/// names one: treatment (TREAT) for doctors, nurses and patients, operations
/// (HOPERAT) for admin staff, research (HRESCH) for researchers; a
/// break-glass request defaults to ETREAT instead.
#[must_use]
pub fn default_purpose(principal: &Principal) -> Purpose {
    if principal.has(Role::Doctor) || principal.has(Role::Nurse) || principal.has(Role::Patient) {
        Purpose::Treat
    } else if principal.has(Role::Admin) {
        Purpose::Hoperat
    } else {
        Purpose::Hresch
    }
}

/// The layer that reads `X-Purpose-Of-Use` for [`authorize`]: an unknown
/// code (or several values) is 422 `invalid_purpose`.
pub(crate) async fn purpose_header(req: Request, next: Next) -> Response {
    let values: Vec<_> = req.headers().get_all(PURPOSE_HEADER).iter().collect();
    let purpose = match values.as_slice() {
        [] => None,
        [one] => match one.to_str().ok().map(str::trim).and_then(Purpose::parse) {
            Some(p) => Some(p),
            None => return invalid_purpose().into_response(),
        },
        _ => return invalid_purpose().into_response(),
    };
    HEADER_PURPOSE.scope(purpose, next.run(req)).await
}

fn invalid_purpose() -> ApiError {
    let codes: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_purpose",
        format!(
            "`X-Purpose-Of-Use` must be one purpose code, one of {}",
            codes.join(", ")
        ),
    )
}

/// The purposes the request names: the body's, then the header's.
fn asked_purposes(access: &Access) -> Vec<Purpose> {
    let header = HEADER_PURPOSE.try_with(|p| *p).ok().flatten();
    [access.purpose, header].into_iter().flatten().collect()
}

/// The purpose `access` is decided for: the token's, else the body's, else
/// the `X-Purpose-Of-Use` header's, else ETREAT for break-glass, else
/// [`default_purpose`]. (When the request names another purpose than this,
/// [`authorize`] denies it, basis `purpose`.)
#[must_use]
pub fn purpose_for(principal: &Principal, access: &Access) -> Purpose {
    principal
        .purpose
        .or_else(|| asked_purposes(access).first().copied())
        .unwrap_or_else(|| {
            if access.break_glass.is_some() {
                Purpose::Etreat
            } else {
                default_purpose(principal)
            }
        })
}

/// The purpose of a request without a body purpose or break-glass: the
/// token's, else the header's, else the role's default.
fn request_purpose(principal: &Principal) -> Purpose {
    principal
        .purpose
        .or_else(|| HEADER_PURPOSE.try_with(|p| *p).ok().flatten())
        .unwrap_or_else(|| default_purpose(principal))
}

/// A decision the server makes itself (not the engine), for
/// [`record_decision`].
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// Permit?
    pub(crate) permit: bool,
    /// On what ground (`role`, `self`, `guardian`, `purpose`, ...).
    pub(crate) basis: &'static str,
}

/// Append the audit record of a decision the server made itself (who may
/// manage consents, who may register patients), with the same members as
/// the gate's records; `category` is free text here (`consents`).
///
/// # Errors
/// 503 `unavailable` when it cannot be written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_decision(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: &str,
    category: &str,
    action: Action,
    operation: &'static str,
    target: String,
    verdict: &Verdict,
    guardian: bool,
    now: Timestamp,
) -> Result<(), ApiError> {
    let mut detail = base_detail(principal, category, action, verdict.basis);
    if guardian {
        detail["guardian_for"] = json!(patient);
    }
    append_verdict(
        store,
        principal,
        Some(patient),
        operation,
        target,
        verdict,
        detail,
        now,
    )
    .await
}

/// Append the audit record of a decision the server made itself that
/// concerns one patient's data or none (reading the audit log itself).
///
/// # Errors
/// 503 `unavailable` when it cannot be written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_verdict(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: Option<&str>,
    category: &str,
    operation: &'static str,
    target: String,
    verdict: &Verdict,
    now: Timestamp,
) -> Result<(), ApiError> {
    let detail = base_detail(principal, category, Action::Read, verdict.basis);
    append_verdict(
        store, principal, patient, operation, target, verdict, detail, now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn append_verdict(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: Option<&str>,
    operation: &'static str,
    target: String,
    verdict: &Verdict,
    detail: Value,
    now: Timestamp,
) -> Result<(), ApiError> {
    let event = AuditEvent {
        at: now,
        actor: principal.subject.clone(),
        action: operation.to_string(),
        target,
        patient: patient.map(str::to_string),
        purpose: Some(request_purpose(principal).as_str().to_string()),
        outcome: if verdict.permit { "permit" } else { "deny" }.to_string(),
        detail,
    };
    crate::audit::append(store, event).await.map(|_| ())
}

fn base_detail(principal: &Principal, category: &str, action: Action, basis: &str) -> Value {
    json!({
        "org": principal.org.as_str(),
        "roles": principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "category": category,
        "access": action.as_str(),
        "basis": basis,
        "request_id": crate::error::REQUEST_ID.try_with(Clone::clone).ok(),
    })
}

/// 403 `forbidden` naming the basis of a denial (never a consent's
/// contents or id).
#[must_use]
pub fn denied(basis: &str) -> ApiError {
    ApiError::forbidden(format!("access denied (basis: {basis})"))
}

/// Decide `access` for `principal` now, audit it, and answer the decision:
/// `Ok` for a permit, 403 `forbidden` for a deny. The audit record is
/// written first in both cases; if it cannot be, 503 and no access.
///
/// # Errors
/// 403 `forbidden` (denied, with the basis), 503 `unavailable` (audit or
/// consents unreadable), 422 for a request the engine refuses.
pub async fn authorize(
    store: &Arc<dyn Store>,
    principal: &Principal,
    access: &Access,
    now: Timestamp,
) -> Result<Decision, ApiError> {
    let asked = asked_purposes(access);
    let purpose = purpose_for(principal, access);
    let mut detail = base_detail(principal, access.category.as_str(), access.action, "");
    if access.as_guardian {
        detail["guardian_for"] = json!(access.patient);
    }
    if let Some(reason) = &access.break_glass {
        detail["break_glass"] = json!({ "reason": reason });
    }
    let mut event = AuditEvent {
        at: now,
        actor: principal.subject.clone(),
        action: access.operation.to_string(),
        target: access.target.clone(),
        patient: Some(access.patient.clone()),
        purpose: Some(purpose.as_str().to_string()),
        outcome: "deny".to_string(),
        detail,
    };
    if asked.iter().any(|p| *p != purpose) {
        // The token fixes the purpose (or the body and header disagree).
        event.detail["basis"] = json!("purpose");
        if access.break_glass.is_some() {
            event.detail["obligations"] = json!([AUDIT_BREAK_GLASS]);
        }
        crate::audit::append(store, event).await?;
        return Err(ApiError::forbidden(format!(
            "access denied (basis: purpose): this request may only act for {purpose}, \
             the purpose its token (or its other purpose field) names"
        )));
    }
    let actor = if access.as_guardian {
        Accessor::new(access.patient.clone(), principal.org.as_str()).with_role(Role::Patient)
    } else {
        let mut a = Accessor::new(principal.subject.clone(), principal.org.as_str());
        for role in &principal.roles {
            a = a.with_role(*role);
        }
        a
    };
    let mut builder = ConsentRequest::builder(actor, access.patient.clone())
        .access(access.action, access.category)
        .for_purpose(purpose)
        .at(now);
    if let Some(reason) = &access.break_glass {
        builder = builder.break_glass(BreakGlass::new(reason.clone(), now));
    }
    builder = on_data(builder, access);
    let request = builder.build()?;
    let consents: Vec<_> = store
        .consents_for(&access.patient)
        .await
        .map_err(|e| {
            tracing::error!(code = e.code(), "consents not readable; access refused");
            ApiError::unavailable("the patient's consents cannot be read; access refused")
        })?
        .into_iter()
        .map(|s| s.value)
        .collect();
    let decision = hcas_core::consent::decide(&request, &consents, &RolePolicy::default())?;
    event.outcome = decision.decision.as_str().to_string();
    event.detail["basis"] = json!(decision.basis.as_str());
    event.detail["consent"] = json!(decision.consent);
    event.detail["obligations"] = json!(decision.obligations);
    crate::audit::append(store, event).await?;
    if decision.is_permit() {
        if decision.basis == hcas_core::consent::Basis::BreakGlass {
            crate::metrics::count(crate::metrics::Metrics::break_glass);
        }
        Ok(decision)
    } else {
        crate::metrics::count(crate::metrics::Metrics::consent_denied);
        Err(denied(decision.basis.as_str()))
    }
}

/// The request about `access`'s data: its labels, data date and originator.
fn on_data(
    mut builder: hcas_core::consent::ConsentRequestBuilder,
    access: &Access,
) -> hcas_core::consent::ConsentRequestBuilder {
    for label in &access.labels {
        builder = builder.label(label.clone());
    }
    if let Some(d) = access.data_date {
        builder = builder.data_date(d);
    }
    if let Some(o) = &access.originator {
        builder = builder.originator(o.clone());
    }
    builder
}

/// Decide each of `items` (accesses to one patient's data, with the same
/// purpose rules as [`authorize`]) without auditing them one by one, and
/// append ONE audit record for the lot: `operation` on `target`, outcome
/// `permit` if any was permitted (or there was nothing to decide), else
/// `deny`, with how many were returned and withheld (never which). With
/// `as_guardian` (checked with [`acts_as_guardian`]) the caller acts for the
/// patient. A listing uses it: the caller sees
/// the permitted items and nothing about the others.
///
/// # Errors
/// 503 `unavailable` (consents unreadable, audit unwritable: nothing is
/// returned), 403 `forbidden` when the request names a purpose its token
/// does not (audited), 422 for a request the engine refuses.
#[allow(clippy::too_many_arguments)]
pub async fn authorize_each(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: &str,
    operation: &'static str,
    target: String,
    items: &[Access],
    as_guardian: bool,
    now: Timestamp,
) -> Result<Vec<bool>, ApiError> {
    let probe = Access::new(patient, Category::Records, Action::Read, operation, target);
    let asked = asked_purposes(&probe);
    let purpose = purpose_for(principal, &probe);
    let mut event = AuditEvent {
        at: now,
        actor: principal.subject.clone(),
        action: operation.to_string(),
        target: probe.target.clone(),
        patient: Some(patient.to_string()),
        purpose: Some(purpose.as_str().to_string()),
        outcome: "deny".to_string(),
        detail: base_detail(principal, "records", Action::Read, "purpose"),
    };
    if asked.iter().any(|p| *p != purpose) {
        crate::audit::append(store, event).await?;
        return Err(ApiError::forbidden(format!(
            "access denied (basis: purpose): this request may only act for {purpose}, \
             the purpose its token (or its other purpose field) names"
        )));
    }
    if as_guardian {
        event.detail["guardian_for"] = json!(patient);
    }
    let actor = if as_guardian {
        Accessor::new(patient.to_string(), principal.org.as_str()).with_role(Role::Patient)
    } else {
        let mut a = Accessor::new(principal.subject.clone(), principal.org.as_str());
        for role in &principal.roles {
            a = a.with_role(*role);
        }
        a
    };
    let consents: Vec<_> = store
        .consents_for(patient)
        .await
        .map_err(|e| {
            tracing::error!(code = e.code(), "consents not readable; access refused");
            ApiError::unavailable("the patient's consents cannot be read; access refused")
        })?
        .into_iter()
        .map(|s| s.value)
        .collect();
    let engine =
        hcas_core::consent::CompiledConsents::new(patient, &consents, &RolePolicy::default())?;
    let mut verdicts = Vec::with_capacity(items.len());
    for item in items {
        let builder = ConsentRequest::builder(actor.clone(), patient.to_string())
            .access(item.action, item.category)
            .for_purpose(purpose)
            .at(now);
        let request = on_data(builder, item).build()?;
        verdicts.push(engine.decide(&request)?.is_permit());
    }
    let returned = verdicts.iter().filter(|v| **v).count();
    event.outcome = if returned > 0 || items.is_empty() {
        "permit"
    } else {
        "deny"
    }
    .to_string();
    event.detail["basis"] = json!("consent");
    event.detail["returned"] = json!(returned);
    event.detail["withheld"] = json!(items.len() - returned);
    crate::audit::append(store, event).await?;
    Ok(verdicts)
}
