//! Read: `GET /fhir/r4/{type}/{id}`, one resource with `ETag: W/"version"`
//! and `meta.versionId` where the store keeps versions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hcas_core::fhir::parse_slot_id;
use hcas_store::StoreError;
use serde_json::Value;

use super::fhir_response;
use super::resources as res;
use super::search::spec;
use crate::AppState;
use crate::auth::{Interaction, Principal};
use crate::error::ApiError;
use crate::extract::Path;

fn gone(ty: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("no {ty} with id `{id}`"))
}

/// `GET /fhir/r4/{type}/{id}`.
pub(crate) async fn read(
    State(state): State<AppState>,
    principal: Principal,
    Path((ty, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    spec(&ty)?;
    super::scoped(&principal, &ty, Interaction::Read)?;
    if !hcas_core::id::is_id(&id) {
        return Err(gone(&ty, &id));
    }
    let store = state.tenants.store(&principal.org).await?;
    let org = &principal.org;
    let now = crate::access::now();
    let (body, version): (Value, Option<i64>) = match ty.as_str() {
        "Practitioner" | "PractitionerRole" | "Schedule" => {
            let p = match state.doctors.provider(org, &id).await {
                Ok(p) => p,
                Err(e) if e.status() == StatusCode::NOT_FOUND => return Err(gone(&ty, &id)),
                Err(e) => return Err(e),
            };
            match ty.as_str() {
                "Practitioner" => (res::practitioner(&p)?, Some(p.version)),
                "PractitionerRole" => (res::practitioner_role(&p)?, Some(p.version)),
                _ => (res::schedule(&p.value, now)?, None),
            }
        }
        "Patient" => {
            let p = res::read_patient(&store, &principal, &id)
                .await?
                .ok_or_else(|| gone(&ty, &id))?;
            (res::patient(&p)?, Some(p.version))
        }
        "Appointment" => {
            let b = match store.get(&id).await {
                Ok(b) => b,
                Err(StoreError::NotFound { .. }) => return Err(gone(&ty, &id)),
                Err(e) => return Err(e.into()),
            };
            match b
                .value
                .resources
                .iter()
                .find_map(|r| r.strip_prefix("patient:"))
            {
                Some(p) => {
                    res::appointments_gate(
                        &store,
                        &principal,
                        p,
                        "appointment.read",
                        format!("booking:{id}"),
                    )
                    .await?;
                }
                None if res::staff(&principal) => {}
                None => return Err(ApiError::forbidden("this booking is not yours")),
            }
            let updated = res::last_updated(&store, &id).await?;
            (res::appointment(&b, updated)?, Some(b.version))
        }
        "AuditEvent" => (
            super::audit_events::read(&store, &principal, &id).await?,
            None,
        ),
        "Location" => {
            let providers = state.doctors.providers(org).await?;
            let found = super::bulk::locations(&state, &providers)?
                .into_iter()
                .find(|l| l["id"] == id.as_str())
                .ok_or_else(|| gone(&ty, &id))?;
            (found, None)
        }
        "Consent" => {
            let c = match store.get_consent(&id).await {
                Ok(c) => c,
                Err(StoreError::NotFound { .. }) => return Err(gone(&ty, &id)),
                Err(e) => return Err(e.into()),
            };
            res::consents_gate(&store, &principal, &c.value.patient).await?;
            (res::consent(&c)?, Some(c.version))
        }
        _ => {
            // Slot `<schedule>-<unix start>`: a grid start now, free or
            // busy, as search finds it.
            let (provider, start) = parse_slot_id(&id).ok_or_else(|| gone(&ty, &id))?;
            let to = start.plus_seconds(1)?;
            let grid = res::slot_grid(&state, org, &[provider.to_string()], start, to).await?;
            let free = grid
                .iter()
                .find(|(_, s, _)| *s == start)
                .map(|(_, _, free)| *free)
                .ok_or_else(|| gone(&ty, &id))?;
            let dir = state.slots.directory(org).await?;
            let p = dir
                .iter()
                .find(|p| p.id == provider)
                .ok_or_else(|| gone(&ty, &id))?;
            (
                res::slot(p, start, free)?.ok_or_else(|| gone(&ty, &id))?,
                None,
            )
        }
    };
    Ok(fhir_response(StatusCode::OK, &body, version))
}
