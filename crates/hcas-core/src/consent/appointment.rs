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
use serde_json::Value;

use super::{
    Accessor, Action, Category, CompiledConsents, Consent, ConsentRequest, Decision, Effect,
    Purpose, Role, RolePolicy,
};
use crate::error::{Error, ErrorCode, Result};
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
#[non_exhaustive]
pub enum AppointmentKind {
    /// At the clinic.
    InPerson,
    /// Video or phone; needs the patient's consent.
    Telehealth,
}

/// One booking, as the consent checks see it. Build one with
/// [`BookingQuestion::new`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
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

impl<'a> BookingQuestion<'a> {
    /// `actor` books an in-person appointment for the adult `patient`, at
    /// `at`; say otherwise with [`BookingQuestion::with_kind`] and
    /// [`BookingQuestion::for_minor`].
    #[must_use]
    pub const fn new(actor: &'a Accessor, patient: &'a str, at: Timestamp) -> Self {
        Self {
            actor,
            patient,
            at,
            kind: AppointmentKind::InPerson,
            patient_is_minor: false,
            guardian: None,
        }
    }

    /// An appointment of kind `kind`.
    #[must_use]
    pub const fn with_kind(mut self, kind: AppointmentKind) -> Self {
        self.kind = kind;
        self
    }

    /// The patient is a minor, and `guardian` (if any) books or authorises
    /// the booking.
    #[must_use]
    pub const fn for_minor(mut self, guardian: Option<&'a str>) -> Self {
        self.patient_is_minor = true;
        self.guardian = guardian;
        self
    }

    /// Booked by `actor` instead.
    #[must_use]
    pub const fn by(mut self, actor: &'a Accessor) -> Self {
        self.actor = actor;
        self
    }
}

/// Why a booking is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
#[non_exhaustive]
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
#[serde(try_from = "Value")]
#[non_exhaustive]
pub struct BookingVerdict {
    /// Whether the booking may go ahead.
    pub allowed: bool,
    /// The failed checks (empty exactly when `allowed`).
    pub refusals: Vec<Refusal>,
}

impl BookingVerdict {
    /// The verdict of these failed checks: allowed exactly when there are none.
    #[must_use]
    pub fn new(refusals: Vec<Refusal>) -> Self {
        Self {
            allowed: refusals.is_empty(),
            refusals,
        }
    }
}

/// The shape of a verdict, before `allowed` is checked against `refusals`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerdictJson {
    allowed: bool,
    refusals: Vec<Refusal>,
}

impl TryFrom<Value> for BookingVerdict {
    type Error = Error;
    fn try_from(value: Value) -> Result<Self> {
        let v = VerdictJson::deserialize(&value).map_err(|e| {
            Error::new(
                ErrorCode::InvalidRequest,
                format!("does not have the documented shape: {e}"),
            )
            .at("verdict")
        })?;
        if v.allowed != v.refusals.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                "must be true exactly when there are no refusals",
            )
            .at("verdict.allowed"));
        }
        Ok(Self::new(v.refusals))
    }
}

/// The consent question "may `actor` write `patient`'s appointments for
/// `purpose` at `at`?", on unlabelled data.
fn question(actor: Accessor, patient: &str, at: Timestamp, purpose: Purpose) -> ConsentRequest {
    ConsentRequest {
        actor,
        patient: patient.to_string(),
        category: Category::Appointments,
        action: Action::Write,
        purpose,
        at,
        data_date: None,
        labels: Vec::new(),
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
        let access = question(q.actor.clone(), q.patient, q.at, BOOKING_PURPOSE);
        let decision = self.decide(&access)?;
        if !acting_guardian && !decision.is_permit() {
            refusals.push(Refusal::Access { decision });
        }
        if q.kind == AppointmentKind::Telehealth {
            let mut tele = question(q.actor.clone(), q.patient, q.at, Purpose::Treat);
            tele.labels.push(TELEHEALTH_LABEL.to_string());
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
                    let ask = question(as_guardian(g), q.patient, q.at, Purpose::Treat);
                    let decision = self.by_consent(&ask)?;
                    // The same question for an actor no consent can name
                    // (consent actor ids are never empty).
                    let anyone = question(as_guardian(""), q.patient, q.at, Purpose::Treat);
                    let open_to_anyone = consent_permits(self.by_consent_valid(&anyone).as_ref());
                    if !consent_permits(decision.as_ref()) || open_to_anyone {
                        refusals.push(Refusal::Guardian { decision });
                    }
                }
            }
        }
        Ok(BookingVerdict::new(refusals))
    }
}

/// Whether an appointment may be booked, asked as consent questions of the
/// patient's `consents` under `policy` (see the table in `docs/consent.md`).
///
/// ```
/// use hcas_core::consent::{booking_allowed, Accessor, AppointmentKind, BookingQuestion, Category,
///     Consent, Match, Provision, RolePolicy, Refusal, Role};
/// let t = |s: &str| s.parse().unwrap();
/// // Kid's consent: nobody, except Mum for appointments.
/// let consents = [Consent::deny("T1", "Kid", t("2025-01-01T00:00:00Z")).with_provision(
///     Provision::new(Match::any().with_actor("Mum").with_category(Category::Appointments)),
/// )];
/// let desk = Accessor::new("Fd1", "OrgA").with_role(Role::Admin);
/// let q = BookingQuestion::new(&desk, "Kid", t("2025-06-01T09:00:00Z")).for_minor(Some("Mum"));
/// // The deny-all consent refuses the front desk itself (access), but names Mum.
/// let v = booking_allowed(&consents, &RolePolicy::default(), &q).unwrap();
/// assert!(matches!(v.refusals.as_slice(), [Refusal::Access { .. }]));
/// // Mum books herself: allowed.
/// let mum = Accessor::new("Mum", "OrgA").with_role(Role::Patient);
/// assert!(booking_allowed(&consents, &RolePolicy::default(), &q.by(&mum)).unwrap().allowed);
/// // Telehealth needs a consent that permits it for the booking actor: none does for the desk.
/// let tele = q.with_kind(AppointmentKind::Telehealth);
/// let v = booking_allowed(&consents, &RolePolicy::default(), &tele).unwrap();
/// assert!(matches!(v.refusals.as_slice(), [Refusal::Access { .. }, Refusal::Telehealth { .. }]));
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
