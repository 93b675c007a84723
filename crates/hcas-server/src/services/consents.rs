//! The consents service: grant, list and revoke a patient's consents (the
//! core's `Consent`, FHIR R5 shaped, validated by the core).
//!
//! Who may manage a patient's consents is fixed, not itself a consent (a
//! consent cannot govern who edits it): the patient themself (basis
//! `self`), a guardian of a minor (basis `guardian`), and admin staff on
//! the patient's behalf (basis `role`). Everyone else is denied, basis
//! `role`. Every attempt is audited like a gate decision (category
//! `consents`, operations `consent.grant`, `consent.list`, `consent.revoke`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use hcas_core::consent::{Action, Consent, ConsentStatus, Role};
use hcas_store::{Patient, Store, Stored};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::{self, Verdict};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::services::http::{BadIfMatch, if_match};
use crate::services::patients::{check_patient_id, find, no_patient};

/// The consents service's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(grant, list))
        .routes(routes!(revoke))
}

/// A stored consent and its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ConsentView {
    /// The version (1 on grant, +1 per change).
    pub(crate) version: i64,
    /// The consent (CONSENT.md's JSON).
    #[schema(value_type = Object)]
    pub(crate) consent: Consent,
}

/// A patient's consents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ConsentList {
    /// Every consent of the patient (any status), by id.
    pub(crate) consents: Vec<ConsentView>,
}

fn view(s: Stored<Consent>) -> ConsentView {
    ConsentView {
        version: s.version,
        consent: s.value,
    }
}

/// Who may manage `patient`'s consents (see the module docs).
fn manager(principal: &Principal, found: Option<&Stored<Patient>>, id: &str) -> (Verdict, bool) {
    if principal.has(Role::Patient) && principal.subject == id {
        return (
            Verdict {
                permit: true,
                basis: "self",
            },
            false,
        );
    }
    if found.is_some_and(|p| access::acts_as_guardian(principal, &p.value, access::now())) {
        return (
            Verdict {
                permit: true,
                basis: "guardian",
            },
            true,
        );
    }
    (
        Verdict {
            permit: principal.has(Role::Admin),
            basis: "role",
        },
        false,
    )
}

/// Decide and audit a consent-management request; the stored patient.
pub(crate) async fn gate(
    store: &Arc<dyn Store>,
    principal: &Principal,
    id: &str,
    action: Action,
    operation: &'static str,
    target: String,
) -> Result<Stored<Patient>, ApiError> {
    let found = find(store, id).await?;
    let (verdict, guardian) = manager(principal, found.as_ref(), id);
    access::record_decision(
        store,
        principal,
        id,
        "consents",
        action,
        operation,
        target,
        &verdict,
        guardian,
        access::now(),
    )
    .await?;
    if !verdict.permit {
        return Err(access::denied(verdict.basis));
    }
    found.ok_or_else(no_patient)
}

/// Grant a consent: the body is CONSENT.md's consent JSON; `id` (a new
/// one is generated when absent), `patient` (the path's when absent; must
/// be it) and `date` (now when absent) may be left out.
#[utoipa::path(
    post,
    path = "/v1/patients/{id}/consents",
    tag = "consents",
    params(("id" = String, Path, description = "The patient id")),
    request_body(content = Object, description = "A consent (CONSENT.md)"),
    responses(
        (status = 201, description = "Granted", body = ConsentView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient, a guardian or admin staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The consent id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The consent is invalid (`invalid_consent`, naming the field)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn grant(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    check_patient_id(&id)?;
    let now = access::now();
    let Some(obj) = body.as_object_mut() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_consent",
            "the body must be a consent object (CONSENT.md)",
        ));
    };
    obj.entry("id")
        .or_insert_with(|| Value::String(uuid::Uuid::new_v4().to_string()));
    obj.entry("patient")
        .or_insert_with(|| Value::String(id.clone()));
    obj.entry("date")
        .or_insert_with(|| Value::String(now.to_string()));
    let consent = Consent::from_json(&body, "consent")?;
    if consent.patient != id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_consent",
            "consent.patient must be the path's patient id",
        ));
    }
    hcas_core::id::check_id("consent.id", &consent.id)?;
    let store = state.tenants.store(&principal.org).await?;
    gate(
        &store,
        &principal,
        &id,
        Action::Write,
        "consent.grant",
        format!("consent:{}", consent.id),
    )
    .await?;
    let stored = store.put_consent(consent, None, now).await?;
    Ok((StatusCode::CREATED, axum::Json(view(stored))))
}

/// The patient's consents (any status).
#[utoipa::path(
    get,
    path = "/v1/patients/{id}/consents",
    tag = "consents",
    operation_id = "list_consents",
    params(("id" = String, Path, description = "The patient id")),
    responses(
        (status = 200, description = "The consents", body = ConsentList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient, a guardian or admin staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a patient id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<ConsentList>, ApiError> {
    check_patient_id(&id)?;
    let store = state.tenants.store(&principal.org).await?;
    gate(
        &store,
        &principal,
        &id,
        Action::Read,
        "consent.list",
        format!("patient:{id}"),
    )
    .await?;
    let consents = store.consents_for(&id).await?;
    Ok(axum::Json(ConsentList {
        consents: consents.into_iter().map(view).collect(),
    }))
}

/// Revoke a consent: its status becomes `inactive` (a new version). With
/// `If-Match: <version>`, only if it is still at that version (412 if not).
#[utoipa::path(
    post,
    path = "/v1/patients/{id}/consents/{cid}/revoke",
    tag = "consents",
    params(
        ("id" = String, Path, description = "The patient id"),
        ("cid" = String, Path, description = "The consent id"),
        ("If-Match" = Option<String>, Header, description = "The consent's version (optional)"),
    ),
    responses(
        (status = 200, description = "Revoked", body = ConsentView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient, a guardian or admin staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient or consent", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The version is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a patient or consent id, or an `If-Match` that is not a version (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, cid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<axum::Json<ConsentView>, ApiError> {
    check_patient_id(&id)?;
    hcas_core::id::check_id("cid", &cid)?;
    let expected = if_match(&headers, BadIfMatch::Invalid)?;
    let store = state.tenants.store(&principal.org).await?;
    gate(
        &store,
        &principal,
        &id,
        Action::Write,
        "consent.revoke",
        format!("consent:{cid}"),
    )
    .await?;
    let current = match store.get_consent(&cid).await {
        Ok(c) if c.value.patient == id => c,
        Ok(_) | Err(hcas_store::StoreError::NotFound { .. }) => {
            return Err(ApiError::not_found("the patient has no such consent"));
        }
        Err(e) => return Err(e.into()),
    };
    if current.value.status == ConsentStatus::Inactive {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_revoked",
            "the consent is already revoked",
        ));
    }
    let version = expected.unwrap_or(current.version);
    let mut consent = current.value;
    consent.status = ConsentStatus::Inactive;
    let stored = store
        .put_consent(consent, Some(version), access::now())
        .await?;
    Ok(axum::Json(view(stored)))
}
