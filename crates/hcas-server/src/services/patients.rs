//! The patients service: registration, the profile (demographics, guardians,
//! contact details, preferred channels, language, time zone), and the gate's
//! own route `POST /v1/patients/{id}/access` ("may I, and act now": the
//! decision for a category, action, purpose and break-glass request).
//!
//! Categories (docs/security.md, `## Roles, purposes and consent`):
//! - reading a profile is `records` read;
//! - changing the demographics (name, birth date, guardians) is `records`
//!   write;
//! - changing only contact details and preferences (email, phone, channels,
//!   language, time zone) is `appointments` write: scheduling data, which a
//!   patient may change on their own (CONSENT.md step 1) and the front desk
//!   may too;
//! - registering a patient is `appointments` write (scheduling intake), by
//!   admin staff, doctors and nurses only.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::NaiveDate;
use hcas_core::consent::{Action, Category, Purpose, Role};
use hcas_store::{Channel, Patient, Stored};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::{self, Access, Verdict};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::services::http::{BadIfMatch, require_if_match, with_etag};

/// The patients service's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(read, update))
        .routes(routes!(check_access))
}

/// A patient's profile as sent (registration, update).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatientInput {
    /// The id (registration only; generated when absent; on update it must
    /// be the path's id if given).
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// Display name.
    pub(crate) name: String,
    /// Date of birth, `YYYY-MM-DD` (under 18: guardians act for the patient).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) birth_date: Option<NaiveDate>,
    /// Patient ids of the guardians (registered patients).
    #[serde(default)]
    pub(crate) guardians: Vec<String>,
    /// E-mail address.
    #[serde(default)]
    pub(crate) email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub(crate) phone: Option<String>,
    /// Preferred notification channels, in order: `email`, `sms`, `push`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub(crate) channels: Vec<Channel>,
    /// Preferred language, a BCP 47 tag (`en`, `pt-BR`).
    #[serde(default)]
    pub(crate) language: Option<String>,
    /// IANA time zone (`Europe/Lisbon`).
    #[serde(default)]
    pub(crate) timezone: Option<String>,
}

impl PatientInput {
    fn into_patient(self, id: String) -> Patient {
        let mut p = Patient::new(id, self.name);
        p.birth_date = self.birth_date;
        p.guardians = self.guardians;
        p.email = self.email;
        p.phone = self.phone;
        p.channels = self.channels;
        p.language = self.language;
        p.timezone = self.timezone;
        p
    }
}

/// A patient's profile with its version (also the `ETag`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PatientView {
    /// The id.
    pub(crate) id: String,
    /// The version, for `If-Match`.
    pub(crate) version: i64,
    /// Display name.
    pub(crate) name: String,
    /// Date of birth.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) birth_date: Option<NaiveDate>,
    /// Guardians' patient ids.
    pub(crate) guardians: Vec<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) phone: Option<String>,
    /// Preferred channels, in order.
    #[schema(value_type = Vec<String>)]
    pub(crate) channels: Vec<Channel>,
    /// Preferred language (BCP 47).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<String>,
    /// IANA time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timezone: Option<String>,
}

fn view(s: Stored<Patient>) -> Response {
    let p = s.value;
    let body = PatientView {
        id: p.id,
        version: s.version,
        name: p.name,
        birth_date: p.birth_date,
        guardians: p.guardians,
        email: p.email,
        phone: p.phone,
        channels: p.channels,
        language: p.language,
        timezone: p.timezone,
    };
    with_etag(StatusCode::OK, s.version, body)
}

/// 422 for a malformed patient id (before anything is read or audited).
pub(crate) fn check_patient_id(id: &str) -> Result<(), ApiError> {
    hcas_core::id::check_id("id", id).map_err(ApiError::from)
}

/// The stored patient `id`, or `None`.
pub(crate) async fn find(
    store: &std::sync::Arc<dyn hcas_store::Store>,
    id: &str,
) -> Result<Option<Stored<Patient>>, ApiError> {
    match store.get_patient(id).await {
        Ok(p) => Ok(Some(p)),
        Err(hcas_store::StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The answer for a patient that does not exist (the same for every caller
/// and organization).
pub(crate) fn no_patient() -> ApiError {
    ApiError::not_found("no such patient")
}

/// Every guardian must be a registered patient other than the patient.
async fn check_guardians(
    store: &std::sync::Arc<dyn hcas_store::Store>,
    p: &Patient,
) -> Result<(), ApiError> {
    for (i, g) in p.guardians.iter().enumerate() {
        let bad = |why: &str| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_guardian",
                format!("guardians[{i}]: {why}"),
            )
        };
        if *g == p.id {
            return Err(bad("a patient cannot be their own guardian"));
        }
        if find(store, g).await?.is_none() {
            return Err(bad("register the guardian as a patient first"));
        }
    }
    Ok(())
}

/// Register a patient (admin staff, doctors, nurses). Audited as
/// `patient.register`, category `appointments` write.
#[utoipa::path(
    post,
    path = "/v1/patients",
    tag = "patients",
    request_body = PatientInput,
    responses(
        (status = 201, description = "Registered; `ETag` is the version", body = PatientView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to register patients", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (its code names it)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<PatientInput>,
) -> Result<Response, ApiError> {
    let id = input
        .id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let patient = input.into_patient(id.clone());
    patient.validate()?;
    let store = state.tenants.store(&principal.org).await?;
    let now = access::now();
    let staff = [Role::Admin, Role::Doctor, Role::Nurse]
        .iter()
        .any(|r| principal.has(*r));
    if !staff {
        access::record_decision(
            &store,
            &principal,
            &id,
            Category::Appointments.as_str(),
            Action::Write,
            "patient.register",
            format!("patient:{id}"),
            &Verdict {
                permit: false,
                basis: "role",
            },
            false,
            now,
        )
        .await?;
        return Err(access::denied("role"));
    }
    let gate = Access::new(
        id.clone(),
        Category::Appointments,
        Action::Write,
        "patient.register",
        format!("patient:{id}"),
    );
    access::authorize(&store, &principal, &gate, now).await?;
    check_guardians(&store, &patient).await?;
    let stored = store.put_patient(patient, None).await?;
    let mut res = view(stored);
    *res.status_mut() = StatusCode::CREATED;
    if let Ok(l) = HeaderValue::from_str(&format!("/v1/patients/{id}")) {
        res.headers_mut().insert(header::LOCATION, l);
    }
    Ok(res)
}

/// Whether the caller acts as the guardian of the stored patient.
fn guardian(principal: &Principal, found: Option<&Stored<Patient>>) -> bool {
    found.is_some_and(|p| access::acts_as_guardian(principal, &p.value, access::now()))
}

/// A patient's profile (category `records` read: the patient, a guardian of
/// a minor, clinicians for treatment; not admin staff).
#[utoipa::path(
    get,
    path = "/v1/patients/{id}",
    tag = "patients",
    params(("id" = String, Path, description = "The patient id")),
    responses(
        (status = 200, description = "The profile; `ETag` is the version", body = PatientView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Denied (the basis only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a patient id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn read(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    check_patient_id(&id)?;
    let store = state.tenants.store(&principal.org).await?;
    let found = find(&store, &id).await?;
    let mut gate = Access::new(
        id.clone(),
        Category::Records,
        Action::Read,
        "patient.read",
        format!("patient:{id}"),
    );
    if guardian(&principal, found.as_ref()) {
        gate = gate.as_guardian();
    }
    access::authorize(&store, &principal, &gate, access::now()).await?;
    found.map(view).ok_or_else(no_patient)
}

/// Replace a patient's profile, `If-Match: <version>` required (412 when
/// it is stale). Changing name, birth date or guardians is `records` write;
/// changing only contact details and preferences is `appointments` write
/// (the patient themself, a guardian of a minor, or staff).
#[utoipa::path(
    put,
    path = "/v1/patients/{id}",
    tag = "patients",
    params(
        ("id" = String, Path, description = "The patient id"),
        ("If-Match" = String, Header, description = "The version read (its ETag)"),
    ),
    request_body = PatientInput,
    responses(
        (status = 200, description = "Updated; `ETag` is the new version", body = PatientView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Denied (the basis only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The version is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(input): Json<PatientInput>,
) -> Result<Response, ApiError> {
    check_patient_id(&id)?;
    let expected = require_if_match(&headers, BadIfMatch::Invalid)?;
    if input.id.as_ref().is_some_and(|i| *i != id) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "`id` must be the path's patient id (or left out)",
        ));
    }
    let patient = input.into_patient(id.clone());
    patient.validate()?;
    let store = state.tenants.store(&principal.org).await?;
    let found = find(&store, &id).await?;
    let demographics = found.as_ref().is_none_or(|f| {
        f.value.name != patient.name
            || f.value.birth_date != patient.birth_date
            || f.value.guardians != patient.guardians
    });
    let category = if demographics {
        Category::Records
    } else {
        Category::Appointments
    };
    let mut gate = Access::new(
        id.clone(),
        category,
        Action::Write,
        "patient.update",
        format!("patient:{id}"),
    );
    if guardian(&principal, found.as_ref()) {
        gate = gate.as_guardian();
    }
    access::authorize(&store, &principal, &gate, access::now()).await?;
    if found.is_none() {
        return Err(no_patient());
    }
    check_guardians(&store, &patient).await?;
    Ok(view(store.put_patient(patient, Some(expected)).await?))
}

/// A break-glass request: why the emergency needs data the consents (or
/// their absence) keep from the caller.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BreakGlassInput {
    /// The reason (recorded in the audit log; a blank or missing reason is
    /// refused, and the attempt audited).
    #[serde(default)]
    pub(crate) reason: String,
}

/// What the caller wants to do with a patient's data.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessInput {
    /// `appointments`, `records`, `notes`, `labs` or `psychotherapy`.
    #[schema(value_type = String)]
    pub(crate) category: Category,
    /// `read` or `write`.
    #[schema(value_type = String)]
    pub(crate) action: Action,
    /// The purpose of use (HL7 ActReason: TREAT, ETREAT, HPAYMT, HOPERAT,
    /// HRESCH, HMARKT); default: the token's, the header's, or the role's.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub(crate) purpose: Option<Purpose>,
    /// An emergency override (doctors and nurses, purpose ETREAT; always audited).
    #[serde(default)]
    pub(crate) break_glass: Option<BreakGlassInput>,
}

/// A permit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AccessAnswer {
    /// `permit`.
    pub(crate) decision: String,
    /// The step that decided: `self`, `break-glass`, `consent`, `default`.
    pub(crate) basis: String,
    /// The purpose the decision was made for.
    pub(crate) purpose: String,
    /// Obligations (`audit-break-glass` for a break-glass request).
    pub(crate) obligations: Vec<String>,
}

/// May the caller do this with the patient's data now? Decided by the
/// consent engine and audited like any access (also how a break-glass
/// override is asked for, and the gate for categories without a service
/// yet: notes, labs, psychotherapy). 200 for a permit, 403 for a deny.
#[utoipa::path(
    post,
    path = "/v1/patients/{id}/access",
    tag = "patients",
    params(("id" = String, Path, description = "The patient id")),
    request_body = AccessInput,
    responses(
        (status = 200, description = "Permitted", body = AccessAnswer),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Denied (the basis only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown category, action or purpose", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn check_access(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(input): Json<AccessInput>,
) -> Result<axum::Json<AccessAnswer>, ApiError> {
    check_patient_id(&id)?;
    let store = state.tenants.store(&principal.org).await?;
    let found = find(&store, &id).await?;
    let mut gate = Access::new(
        id.clone(),
        input.category,
        input.action,
        "access.check",
        format!("patient:{id}"),
    )
    .with_purpose(input.purpose);
    if let Some(bg) = input.break_glass {
        gate = gate.with_break_glass(bg.reason);
    }
    if guardian(&principal, found.as_ref()) {
        gate = gate.as_guardian();
    }
    let decision = access::authorize(&store, &principal, &gate, access::now()).await?;
    if found.is_none() {
        return Err(no_patient());
    }
    let purpose = access::purpose_for(&principal, &gate).as_str().to_string();
    Ok(axum::Json(AccessAnswer {
        decision: decision.decision.as_str().to_string(),
        basis: decision.basis.as_str().to_string(),
        purpose,
        obligations: decision.obligations,
    }))
}
