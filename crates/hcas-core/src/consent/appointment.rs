//! "May this appointment be booked?" asked as consent questions: no second
//! rules engine, only requests put to the same decision procedure.
//!
//! | check | the consent question | passes when |
//! |---|---|---|
//! | access | steps 1-5: the booking actor `write`s the patient's `appointments` for [`BOOKING_PURPOSE`] (`HOPERAT`) | permit |
//! | telehealth (only for [`AppointmentKind::Telehealth`]) | step 4 alone: the booking actor, `appointments`, `write`, `TREAT`, data labelled [`TELEHEALTH_LABEL`] | an applicable consent permits (the default step does not count: telehealth needs consent) |
//! | guardian (only for a minor) | step 4 alone: the guardian as actor (role `patient`, the booking actor's org), `appointments`, `write`, `TREAT` | a consent permits the guardian **and** the same question for an actor no consent names is not permitted by a consent (the consent must single the guardian out, not let anyone in) |
//!
//! When the booking actor is the minor's guardian, the guardian check is
//! their access check (steps 1-2 know no guardians: a patient-only actor on
//! someone else's data is denied by step 1).

use serde::{Deserialize, Serialize};

use super::{
    Accessor, Action, Category, CompiledConsents, Consent, ConsentRequest, Decision, Effect,
    Purpose, Role, RolePolicy,
};
use crate::error::Result;
use crate::time::Timestamp;

/// The security label a telehealth appointment's data carries.
pub const TELEHEALTH_LABEL: &str = "telehealth";

/// The purpose of booking: scheduling care is a healthcare operation, the one
/// purpose every booking role of the default policy (doctor, nurse, admin)
/// may use. A patient booking their own appointment is decided by step 1,
/// where the purpose plays no part.
pub const BOOKING_PURPOSE: Purpose = Purpose::Hoperat;

/// In person or remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentKind {
    /// At the clinic.
    InPerson,
    /// Video or phone; needs the patient's consent.
    Telehealth,
}

/// One booking, as the consent checks see it.
#[derive(Debug, Clone, Copy)]
pub struct BookingQuestion<'a> {
    /// Who books (the patient, a guardian, front desk, a clinician).
    pub actor: &'a Accessor,
    /// For whom.
    pub patient: &'a str,
    /// When the booking is made (consents in force then count).
    pub at: Timestamp,
    /// In person or telehealth.
    pub kind: AppointmentKind,
    /// Whether the patient is a minor (then a guardian is needed).
    pub patient_is_minor: bool,
    /// The id of the guardian who books or authorises the booking.
    pub guardian: Option<&'a str>,
}

/// Why a booking is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Refusal {
    /// Steps 1-5 deny the booking actor writing the patient's appointments.
    Access {
        /// The decision that denied.
        decision: Decision,
    },
    /// No applicable consent permits telehealth (`None`: no consent applies).
    Telehealth {
        /// The consents' decision, if any applied.
        decision: Option<Decision>,
    },
    /// The patient is a minor and no guardian was named.
    GuardianMissing,
    /// No consent singles the named guardian out as allowed to book.
    Guardian {
        /// The consents' decision for the guardian, if any applied.
        decision: Option<Decision>,
    },
}

/// The answer: allowed, or every check that failed, in the order of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingVerdict {
    /// Whether the booking may go ahead.
    pub allowed: bool,
    /// The failed checks (empty exactly when `allowed`).
    pub refusals: Vec<Refusal>,
}

fn question(
    actor: Accessor,
    patient: &str,
    at: Timestamp,
    purpose: Purpose,
    labels: Vec<String>,
) -> ConsentRequest {
    ConsentRequest {
        actor,
        patient: patient.to_string(),
        category: Category::Appointments,
        action: Action::Write,
        purpose,
        at,
        data_date: None,
        labels,
        originator: None,
        break_glass: None,
    }
}

fn consent_permits(d: Option<&Decision>) -> bool {
    d.is_some_and(|d| d.decision == Effect::Permit)
}

impl CompiledConsents {
    /// Whether `q` may be booked (the checks of the table in
    /// [`booking_allowed`]'s module notes).
    ///
    /// # Errors
    /// `invalid_request` for an actor or guardian that fails
    /// [`ConsentRequest::validate`] (empty ids) or a patient other than the
    /// one compiled for.
    pub fn booking_allowed(&self, q: &BookingQuestion<'_>) -> Result<BookingVerdict> {
        let mut refusals = Vec::new();
        let acting_guardian = q.patient_is_minor && q.guardian == Some(q.actor.id.as_str());
        let access = question(
            q.actor.clone(),
            q.patient,
            q.at,
            BOOKING_PURPOSE,
            Vec::new(),
        );
        let decision = self.decide(&access)?;
        if !acting_guardian && !decision.is_permit() {
            refusals.push(Refusal::Access { decision });
        }
        if q.kind == AppointmentKind::Telehealth {
            let tele = question(
                q.actor.clone(),
                q.patient,
                q.at,
                Purpose::Treat,
                vec![TELEHEALTH_LABEL.to_string()],
            );
            let decision = self.by_consent(&tele)?;
            if !consent_permits(decision.as_ref()) {
                refusals.push(Refusal::Telehealth { decision });
            }
        }
        if q.patient_is_minor {
            match q.guardian {
                None => refusals.push(Refusal::GuardianMissing),
                Some(g) => {
                    let as_guardian = |id: &str| Accessor {
                        id: id.to_string(),
                        roles: vec![Role::Patient],
                        org: q.actor.org.clone(),
                    };
                    let ask = question(as_guardian(g), q.patient, q.at, Purpose::Treat, Vec::new());
                    let decision = self.by_consent(&ask)?;
                    // The same question for an actor no consent can name
                    // (consent actor ids are never empty).
                    let anyone =
                        question(as_guardian(""), q.patient, q.at, Purpose::Treat, Vec::new());
                    let open_to_anyone = consent_permits(self.by_consent_valid(&anyone).as_ref());
                    if !consent_permits(decision.as_ref()) || open_to_anyone {
                        refusals.push(Refusal::Guardian { decision });
                    }
                }
            }
        }
        Ok(BookingVerdict {
            allowed: refusals.is_empty(),
            refusals,
        })
    }
}

/// Whether an appointment may be booked, asked as consent questions of the
/// patient's `consents` under `policy` (see the table in `docs/consent.md`).
///
/// ```
/// use hcas_core::consent::{booking_allowed, Accessor, AppointmentKind, BookingQuestion, Consent,
///     RolePolicy, Refusal, Role};
/// let consents: Vec<Consent> = serde_json::from_value(serde_json::json!([{
///     "id": "T1", "patient": "Kid", "status": "active", "date": "2025-01-01T00:00:00Z",
///     "decision": "deny",
///     "provisions": [ { "actors": ["Mum"], "categories": ["appointments"] } ]
/// }])).unwrap();
/// let desk = Accessor { id: "Fd1".into(), roles: vec![Role::Admin], org: "OrgA".into() };
/// let mut q = BookingQuestion { actor: &desk, patient: "Kid", at: "2025-06-01T09:00:00Z".parse().unwrap(),
///     kind: AppointmentKind::InPerson, patient_is_minor: true, guardian: Some("Mum") };
/// // The deny-all consent refuses the front desk itself (access), but names Mum.
/// let v = booking_allowed(&consents, &RolePolicy::default(), &q).unwrap();
/// assert!(matches!(v.refusals.as_slice(), [Refusal::Access { .. }]));
/// // Mum books herself: allowed.
/// let mum = Accessor { id: "Mum".into(), roles: vec![Role::Patient], org: "OrgA".into() };
/// q.actor = &mum;
/// assert!(booking_allowed(&consents, &RolePolicy::default(), &q).unwrap().allowed);
/// ```
///
/// # Errors
/// `invalid_consent` for a malformed consent; `invalid_request` as
/// [`CompiledConsents::booking_allowed`].
pub fn booking_allowed(
    consents: &[Consent],
    policy: &RolePolicy,
    q: &BookingQuestion<'_>,
) -> Result<BookingVerdict> {
    CompiledConsents::new(q.patient, consents, policy)?.booking_allowed(q)
}
