//! The gate in front of patient data: every read or write of a patient's
//! data asks the consent engine (`hcas_core::consent::decide`) with the
//! patient's consents from the store, and appends one audit record with the
//! decision, before the service may go on. If the audit record cannot be
//! written the access is refused (fail closed).

use std::sync::Arc;

use hcas_core::Timestamp;
use hcas_core::consent::{
    Accessor, Action, Category, ConsentRequest, Decision, Purpose, Role, RolePolicy,
};
use hcas_store::{AuditEvent, Store};

use crate::auth::Principal;
use crate::error::ApiError;

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
        }
    }
}

/// The purpose a principal acts for when neither the token nor the request
/// names one: treatment for clinicians and patients, operations for admin
/// staff, research for researchers.
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
    let purpose = principal
        .purpose
        .unwrap_or_else(|| default_purpose(principal));
    let mut actor = Accessor::new(principal.subject.clone(), principal.org.as_str());
    for role in &principal.roles {
        actor = actor.with_role(*role);
    }
    let request = ConsentRequest::builder(actor, access.patient.clone())
        .access(access.action, access.category)
        .for_purpose(purpose)
        .at(now)
        .build()?;
    let consents: Vec<_> = store
        .consents_for(&access.patient)
        .await?
        .into_iter()
        .map(|s| s.value)
        .collect();
    let decision = hcas_core::consent::decide(&request, &consents, &RolePolicy::default())?;
    let event = AuditEvent {
        at: now,
        actor: principal.subject.clone(),
        action: access.operation.to_string(),
        target: access.target.clone(),
        patient: Some(access.patient.clone()),
        purpose: Some(purpose.as_str().to_string()),
        outcome: decision.decision.as_str().to_string(),
        detail: serde_json::json!({
            "roles": principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "category": access.category.as_str(),
            "access": access.action.as_str(),
            "basis": decision.basis,
            "consent": decision.consent,
            "request_id": crate::error::REQUEST_ID.try_with(Clone::clone).ok(),
        }),
    };
    store.audit_append(event).await.map_err(|e| {
        tracing::error!(code = e.code(), "audit record not written; access refused");
        ApiError::unavailable("the audit trail cannot be written; access refused")
    })?;
    if decision.is_permit() {
        Ok(decision)
    } else {
        Err(ApiError::forbidden(format!(
            "access denied (basis: {})",
            serde_json::to_value(decision.basis)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        )))
    }
}
