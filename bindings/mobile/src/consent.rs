//! The consent engine (`hcas_core::consent`, the shared `CONSENT.md`) as
//! UniFFI values: the vocabularies as enums, `Consent` and its parts as
//! records, the functions [`decide`] and [`booking_allowed`], the object
//! [`CompiledConsents`] (one patient's consents compiled once, for many
//! offline decisions), and FHIR R4/R5 `Consent` JSON text in and out.
//! Conversions only: every check and answer is the engine's.

use std::collections::HashMap;
use std::sync::Arc;

use hcas_core::consent as c;
use hcas_core::{ErrorCode, Timestamp};

use crate::{HcasError, errors, parse_json};

/// Declares a UniFFI enum mirroring one of the engine's vocabularies, with
/// the conversions both ways (same variant names).
macro_rules! mirror {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $var:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vdoc])* $var),+
        }

        impl From<$name> for c::$name {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$var => Self::$var),+
                }
            }
        }

        impl From<c::$name> for $name {
            fn from(v: c::$name) -> Self {
                match v {
                    $(c::$name::$var => Self::$var),+
                }
            }
        }
    };
}

mirror!(
    /// Who the actor is, for the role gate (`CONSENT.md`, Vocabulary).
    Role {
        /// A patient (or their portal account): `patient`.
        Patient,
        /// A physician: `doctor`.
        Doctor,
        /// A nurse: `nurse`.
        Nurse,
        /// Front desk, billing: `admin`.
        Admin,
        /// A researcher: `researcher`.
        Researcher,
    }
);

mirror!(
    /// What kind of data is accessed.
    Category {
        /// Appointments (bookings, cancellations): `appointments`.
        Appointments,
        /// The medical record: `records`.
        Records,
        /// Clinical notes: `notes`.
        Notes,
        /// Laboratory results: `labs`.
        Labs,
        /// Psychotherapy notes (kept apart, even from the patient): `psychotherapy`.
        Psychotherapy,
    }
);

mirror!(
    /// What is done with the data.
    Action {
        /// See it: `read`.
        Read,
        /// Create or change it: `write`.
        Write,
    }
);

mirror!(
    /// Why (HL7 v3 ActReason; the variant is the code).
    Purpose {
        /// Treatment: `TREAT`.
        Treat,
        /// Emergency treatment: `ETREAT`.
        Etreat,
        /// Payment: `HPAYMT`.
        Hpaymt,
        /// Healthcare operations: `HOPERAT`.
        Hoperat,
        /// Research: `HRESCH`.
        Hresch,
        /// Marketing: `HMARKT`.
        Hmarkt,
    }
);

mirror!(
    /// Permit or deny: a consent's base decision, a decision.
    Effect {
        /// Access is allowed.
        Permit,
        /// Access is refused.
        Deny,
    }
);

mirror!(
    /// A consent's status; only `Active` consents count.
    ConsentStatus {
        /// In force: `active`.
        Active,
        /// Revoked: `inactive`.
        Inactive,
        /// Not yet in force: `draft`.
        Draft,
        /// Recorded by mistake: `entered-in-error`.
        EnteredInError,
    }
);

mirror!(
    /// The step of `CONSENT.md` that decided.
    Basis {
        /// Step 1, a patient on their own data: `self`.
        SelfAccess,
        /// Step 1 (a patient-only actor on another's data) or step 2, the role gate: `role`.
        Role,
        /// Step 3, break-glass granted or refused: `break-glass`.
        BreakGlass,
        /// Step 4, an applicable consent: `consent`.
        Consent,
        /// Step 5, no applicable consent: `default`.
        Default,
    }
);

/// In person or remote (a telehealth booking needs the patient's consent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum AppointmentKind {
    /// At the clinic.
    InPerson,
    /// Video or phone.
    Telehealth,
}

impl From<AppointmentKind> for c::AppointmentKind {
    fn from(k: AppointmentKind) -> Self {
        match k {
            AppointmentKind::InPerson => Self::InPerson,
            AppointmentKind::Telehealth => Self::Telehealth,
        }
    }
}

/// The FHIR release of a resource's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum FhirVersion {
    /// FHIR R4 (4.0.1).
    R4,
    /// FHIR R5 (5.0.0).
    R5,
}

fn into_all<A: Copy + Into<B>, B>(list: &[A]) -> Vec<B> {
    list.iter().map(|&v| v.into()).collect()
}

fn from_all<A: Copy + Into<B>, B>(list: Option<&Vec<A>>) -> Option<Vec<B>> {
    list.map(|l| into_all(l))
}

// --- the consent model ------------------------------------------------------

/// A half-open period `[start, end)`; either end may be open (`null`/`nil`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Period {
    /// Inclusive start (none: since always).
    #[uniffi(default)]
    pub start: Option<Timestamp>,
    /// Exclusive end (none: for ever).
    #[uniffi(default)]
    pub end: Option<Timestamp>,
}

impl From<Period> for c::Period {
    fn from(p: Period) -> Self {
        let mut out = p.start.map_or_else(Self::default, Self::since);
        out.end = p.end;
        out
    }
}

impl From<c::Period> for Period {
    fn from(p: c::Period) -> Self {
        Self {
            start: p.start,
            end: p.end,
        }
    }
}

/// The conditions of a consent's `scope` or of a provision: it holds when
/// every field it has holds; a list holds when any of its values matches; an
/// absent field (`null`/`nil`) always holds. Lists must not be empty
/// (`invalid_consent`: leave the field out to match anything).
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct Match {
    /// Accessor ids.
    #[uniffi(default)]
    pub actors: Option<Vec<String>>,
    /// Roles (any of the actor's).
    #[uniffi(default)]
    pub roles: Option<Vec<Role>>,
    /// Organisations (the actor's).
    #[uniffi(default)]
    pub orgs: Option<Vec<String>>,
    /// Purposes of use.
    #[uniffi(default)]
    pub purposes: Option<Vec<Purpose>>,
    /// Data categories.
    #[uniffi(default)]
    pub categories: Option<Vec<Category>>,
    /// Actions.
    #[uniffi(default)]
    pub actions: Option<Vec<Action>>,
    /// Security labels (the data carries any of them).
    #[uniffi(default)]
    pub labels: Option<Vec<String>>,
    /// When the access happens (the request's `at`).
    #[uniffi(default)]
    pub period: Option<Period>,
    /// When the data was recorded (the request's `dataDate`).
    #[uniffi(default)]
    pub data_period: Option<Period>,
}

impl From<Match> for c::Match {
    fn from(m: Match) -> Self {
        let mut out = Self::any();
        out.actors = m.actors;
        out.roles = from_all(m.roles.as_ref());
        out.orgs = m.orgs;
        out.purposes = from_all(m.purposes.as_ref());
        out.categories = from_all(m.categories.as_ref());
        out.actions = from_all(m.actions.as_ref());
        out.labels = m.labels;
        out.period = m.period.map(Into::into);
        out.data_period = m.data_period.map(Into::into);
        out
    }
}

impl From<c::Match> for Match {
    fn from(m: c::Match) -> Self {
        Self {
            actors: m.actors,
            roles: from_all(m.roles.as_ref()),
            orgs: m.orgs,
            purposes: from_all(m.purposes.as_ref()),
            categories: from_all(m.categories.as_ref()),
            actions: from_all(m.actions.as_ref()),
            labels: m.labels,
            period: m.period.map(Into::into),
            data_period: m.data_period.map(Into::into),
        }
    }
}

/// An exception to its parent (the consent or a provision), with the
/// opposite effect: it applies when `conditions` hold (the engine's `when`,
/// a Kotlin keyword); its own `provisions` are exceptions to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct Provision {
    /// When the exception applies.
    pub conditions: Match,
    /// The exceptions to this exception.
    #[uniffi(default)]
    pub provisions: Vec<Provision>,
}

impl From<Provision> for c::Provision {
    fn from(p: Provision) -> Self {
        p.provisions
            .into_iter()
            .fold(Self::new(p.conditions.into()), |out, sub| {
                out.with_provision(sub.into())
            })
    }
}

impl From<c::Provision> for Provision {
    fn from(p: c::Provision) -> Self {
        Self {
            conditions: p.when.into(),
            provisions: p.provisions.into_iter().map(Into::into).collect(),
        }
    }
}

/// A patient's consent (FHIR R5 `Consent`, reduced to what a decision
/// needs): base effect `decision` given at `date`, with `status` (only
/// `Active` consents count), in force during `period` (none: always),
/// applying where `scope` holds (none: everywhere), with `provisions` as
/// exceptions. Checked when used (`invalid_consent` naming the field).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Consent {
    /// Unique id (1-64 characters of `A-Z a-z 0-9 . -`).
    pub id: String,
    /// The patient whose data it governs.
    pub patient: String,
    /// When it was given: the latest applicable consent decides.
    pub date: Timestamp,
    /// The base effect.
    pub decision: Effect,
    /// Only `Active` consents count.
    pub status: ConsentStatus,
    /// When it is in force; none: always.
    #[uniffi(default)]
    pub period: Option<Period>,
    /// Where it applies at all; none: everywhere.
    #[uniffi(default)]
    pub scope: Option<Match>,
    /// Exceptions to the base effect.
    #[uniffi(default)]
    pub provisions: Vec<Provision>,
}

impl From<Consent> for c::Consent {
    fn from(k: Consent) -> Self {
        let mut out =
            Self::new(k.id, k.patient, k.date, k.decision.into()).with_status(k.status.into());
        out.period = k.period.map(Into::into);
        out.scope = k.scope.map(Into::into);
        out.provisions = k.provisions.into_iter().map(Into::into).collect();
        out
    }
}

impl From<c::Consent> for Consent {
    fn from(k: c::Consent) -> Self {
        Self {
            id: k.id,
            patient: k.patient,
            date: k.date,
            decision: k.decision.into(),
            status: k.status.into(),
            period: k.period.map(Into::into),
            scope: k.scope.map(Into::into),
            provisions: k.provisions.into_iter().map(Into::into).collect(),
        }
    }
}

fn core_consents(consents: Vec<Consent>) -> Vec<c::Consent> {
    consents.into_iter().map(Into::into).collect()
}

// --- requests and policies --------------------------------------------------

/// Who asks: the actor `id` of organisation `org`, with `roles` (passing the
/// role gate with any one is enough). A patient acting on their own data has
/// the patient's id and `Role.Patient`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Accessor {
    /// The actor's id.
    pub id: String,
    /// The actor's organisation.
    pub org: String,
    /// The actor's roles.
    #[uniffi(default)]
    pub roles: Vec<Role>,
}

impl From<Accessor> for c::Accessor {
    fn from(a: Accessor) -> Self {
        a.roles
            .into_iter()
            .fold(Self::new(a.id, a.org), |out, r| out.with_role(r.into()))
    }
}

/// An emergency override asked for at `startedAt` for `reason`; it lasts 60
/// minutes. A blank reason is refused by the decision (basis `BreakGlass`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BreakGlass {
    /// Why.
    pub reason: String,
    /// When the actor broke the glass.
    pub started_at: Timestamp,
}

/// One access request: may `actor` do `action` on `patient`'s `category`
/// data for `purpose` at `at`? Optionally on data recorded at `dataDate`,
/// carrying security `labels`, authored by `originator`, with a
/// `breakGlass` override. Checked when used (`invalid_request` naming the
/// field).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentRequest {
    /// Who asks.
    pub actor: Accessor,
    /// Whose data.
    pub patient: String,
    /// Which data.
    pub category: Category,
    /// Read or write.
    pub action: Action,
    /// Why.
    pub purpose: Purpose,
    /// When the access happens.
    pub at: Timestamp,
    /// When the data was recorded, if known.
    #[uniffi(default)]
    pub data_date: Option<Timestamp>,
    /// The data's security labels (empty: unlabelled).
    #[uniffi(default)]
    pub labels: Vec<String>,
    /// Who authored the data, if known.
    #[uniffi(default)]
    pub originator: Option<String>,
    /// The break-glass override asked for, if any.
    #[uniffi(default)]
    pub break_glass: Option<BreakGlass>,
}

impl ConsentRequest {
    /// The engine's request, built and validated by its builder.
    fn to_core(&self) -> hcas_core::Result<c::ConsentRequest> {
        let r = self.clone();
        let mut b = c::ConsentRequest::builder(r.actor.into(), r.patient)
            .access(r.action.into(), r.category.into())
            .for_purpose(r.purpose.into())
            .at(r.at);
        if let Some(d) = r.data_date {
            b = b.data_date(d);
        }
        for l in r.labels {
            b = b.label(l);
        }
        if let Some(o) = r.originator {
            b = b.originator(o);
        }
        if let Some(g) = r.break_glass {
            b = b.break_glass(c::BreakGlass::new(g.reason, g.started_at));
        }
        b.build()
    }
}

/// One row of a role table: the categories, actions and purposes a role may
/// ever use.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Rights {
    /// The categories.
    pub categories: Vec<Category>,
    /// The actions.
    pub actions: Vec<Action>,
    /// The purposes.
    pub purposes: Vec<Purpose>,
}

/// The organisation's role table (step 2): per role, the `Rights` it may
/// ever use; a role without a row may use nothing. Where a policy is
/// optional, none means the default table of `CONSENT.md`
/// ([`default_role_policy`]).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RolePolicy {
    /// The rows.
    pub roles: HashMap<Role, Rights>,
}

impl From<RolePolicy> for c::RolePolicy {
    fn from(p: RolePolicy) -> Self {
        p.roles.into_iter().fold(Self::empty(), |out, (role, r)| {
            out.with_role(
                role.into(),
                c::Rights::new(
                    into_all(&r.categories),
                    into_all(&r.actions),
                    into_all(&r.purposes),
                ),
            )
        })
    }
}

fn core_policy(policy: Option<RolePolicy>) -> c::RolePolicy {
    policy.map_or_else(c::RolePolicy::default, Into::into)
}

/// The default role table of `CONSENT.md` (doctor, nurse, admin,
/// researcher rows).
#[uniffi::export]
pub fn default_role_policy() -> RolePolicy {
    let roles = c::RolePolicy::default()
        .roles
        .into_iter()
        .map(|(role, r)| {
            (
                role.into(),
                Rights {
                    categories: into_all(&r.categories),
                    actions: into_all(&r.actions),
                    purposes: into_all(&r.purposes),
                },
            )
        })
        .collect();
    RolePolicy { roles }
}

// --- answers ----------------------------------------------------------------

/// The answer to a [`ConsentRequest`]: `decision` on `basis` (the step that
/// decided), the deciding `consent`'s id (exactly with `Basis.Consent`), the
/// `obligations` (sorted; `audit-break-glass` for every break-glass request:
/// the caller must write that audit record or refuse) and, with
/// `Basis.Consent`, the `path` of provision indices whose effect decided
/// (empty: the consent's base decision).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Decision {
    /// Permit or deny.
    pub decision: Effect,
    /// The step that decided.
    pub basis: Basis,
    /// The deciding consent's id, exactly when the basis is `Consent`.
    pub consent: Option<String>,
    /// Obligation names, sorted.
    pub obligations: Vec<String>,
    /// Provision indices from the consent's top-level list down.
    pub path: Vec<u32>,
}

impl From<c::Decision> for Decision {
    fn from(d: c::Decision) -> Self {
        Self {
            decision: d.decision.into(),
            basis: d.basis.into(),
            consent: d.consent,
            obligations: d.obligations,
            path: d
                .path
                .into_iter()
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
                .collect(),
        }
    }
}

/// "May this appointment be booked?": `actor` books an appointment of
/// `kind` for `patient` at `at`; for a minor (`patientIsMinor`), `guardian`
/// is the id of the guardian who books or authorises it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BookingQuestion {
    /// Who books.
    pub actor: Accessor,
    /// For whom.
    pub patient: String,
    /// When the booking is made (consents in force then count).
    pub at: Timestamp,
    /// In person or telehealth.
    pub kind: AppointmentKind,
    /// Whether the patient is a minor (then a guardian is needed).
    #[uniffi(default = false)]
    pub patient_is_minor: bool,
    /// The guardian who books or authorises (only for a minor).
    #[uniffi(default)]
    pub guardian: Option<String>,
}

impl BookingQuestion {
    /// The engine's verdict for this question through `ask` (the engine
    /// borrows the question's parts).
    fn verdict(
        &self,
        ask: impl FnOnce(&c::BookingQuestion<'_>) -> hcas_core::Result<c::BookingVerdict>,
    ) -> Result<BookingVerdict, HcasError> {
        if self.guardian.is_some() && !self.patient_is_minor {
            return Err(errors::error(
                ErrorCode::InvalidRequest,
                "guardian: a guardian is only asked for a minor; set patientIsMinor",
            ));
        }
        let actor: c::Accessor = self.actor.clone().into();
        let mut q =
            c::BookingQuestion::new(&actor, &self.patient, self.at).with_kind(self.kind.into());
        if self.patient_is_minor {
            q = q.for_minor(self.guardian.as_deref());
        }
        Ok(ask(&q)?.into())
    }
}

/// One failed check of a booking (`docs/consent.md`, booking table), with
/// the decision that failed it where there is one.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Refusal {
    /// Steps 1-5 deny the booking actor writing the patient's appointments.
    Access {
        /// The decision that denied.
        decision: Decision,
    },
    /// No applicable consent permits telehealth (none: no consent applies).
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

/// The answer to a [`BookingQuestion`]: allowed, or every check that failed,
/// in the order of the table.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BookingVerdict {
    /// Whether the booking may go ahead.
    pub allowed: bool,
    /// The failed checks (empty exactly when `allowed`).
    pub refusals: Vec<Refusal>,
}

impl From<c::BookingVerdict> for BookingVerdict {
    fn from(v: c::BookingVerdict) -> Self {
        let refusals = v
            .refusals
            .into_iter()
            .filter_map(|r| match r {
                c::Refusal::Access { decision } => Some(Refusal::Access {
                    decision: decision.into(),
                }),
                c::Refusal::Telehealth { decision } => Some(Refusal::Telehealth {
                    decision: decision.map(Into::into),
                }),
                c::Refusal::GuardianMissing => Some(Refusal::GuardianMissing),
                c::Refusal::Guardian { decision } => Some(Refusal::Guardian {
                    decision: decision.map(Into::into),
                }),
                // A check added to the engine after this binding: it still
                // refuses (`allowed` is false), unnamed.
                _ => None,
            })
            .collect();
        Self {
            allowed: v.allowed,
            refusals,
        }
    }
}

// --- functions and the compiled form -----------------------------------------

/// Decide `request` against `consents` (only the request's patient's count)
/// under `policy` (none: the default table) by the five steps of
/// `CONSENT.md`. To decide many requests about one patient, build a
/// [`CompiledConsents`] once.
///
/// # Errors
/// `invalid_consent` (or `invalid_datetime`) for a consent that breaks the
/// model, duplicate ids included; `invalid_request` for a request with an
/// empty id, label or originator.
#[uniffi::export]
pub fn decide(
    request: ConsentRequest,
    consents: Vec<Consent>,
    policy: Option<RolePolicy>,
) -> Result<Decision, HcasError> {
    let r = request.to_core()?;
    Ok(c::decide(&r, &core_consents(consents), &core_policy(policy))?.into())
}

/// Whether an appointment may be booked, asked as consent questions of the
/// patient's `consents` under `policy` (none: the default table).
///
/// # Errors
/// `invalid_consent` for a malformed consent; `invalid_request` for an
/// empty actor id or org, or a guardian named for a patient who is not a
/// minor.
#[uniffi::export]
pub fn booking_allowed(
    question: BookingQuestion,
    consents: Vec<Consent>,
    policy: Option<RolePolicy>,
) -> Result<BookingVerdict, HcasError> {
    let consents = core_consents(consents);
    let policy = core_policy(policy);
    question.verdict(|q| c::booking_allowed(&consents, &policy, q))
}

/// One patient's consents compiled once under a policy: fast repeated
/// decisions, e.g. offline on a device.
#[derive(Debug, uniffi::Object)]
pub struct CompiledConsents(c::CompiledConsents);

#[uniffi::export]
impl CompiledConsents {
    /// Validate every consent in `consents` (whoever's they are), then
    /// compile `patient`'s active ones under `policy` (none: the default
    /// table).
    ///
    /// # Errors
    /// `invalid_consent` for a consent that breaks the model or two consents
    /// with one id.
    #[uniffi::constructor]
    pub fn new(
        patient: String,
        consents: Vec<Consent>,
        policy: Option<RolePolicy>,
    ) -> Result<Arc<Self>, HcasError> {
        let compiled =
            c::CompiledConsents::new(&patient, &core_consents(consents), &core_policy(policy))?;
        Ok(Arc::new(Self(compiled)))
    }

    /// The patient these consents are about.
    pub fn patient(&self) -> String {
        self.0.patient().to_string()
    }

    /// How many consents count (the patient's active ones).
    pub fn count(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Decide `request` by the five steps ([`decide`]'s answer).
    ///
    /// # Errors
    /// `invalid_request` for a request that fails validation or is about
    /// another patient than the one compiled for.
    pub fn decide(&self, request: ConsentRequest) -> Result<Decision, HcasError> {
        Ok(self.0.decide(&request.to_core()?)?.into())
    }

    /// Step 4 alone: the consents' decision, or none when no consent applies
    /// ("does a consent permit this?").
    ///
    /// # Errors
    /// As [`CompiledConsents::decide`].
    pub fn by_consent(&self, request: ConsentRequest) -> Result<Option<Decision>, HcasError> {
        Ok(self.0.by_consent(&request.to_core()?)?.map(Into::into))
    }

    /// Whether `question` may be booked ([`booking_allowed`]'s answer).
    ///
    /// # Errors
    /// `invalid_request` as [`booking_allowed`], or for another patient than
    /// the one compiled for.
    pub fn booking_allowed(&self, question: BookingQuestion) -> Result<BookingVerdict, HcasError> {
        question.verdict(|q| self.0.booking_allowed(q))
    }
}

// --- FHIR and JSON ------------------------------------------------------------

/// The consent a FHIR `Consent` resource (JSON text) of `version`
/// describes (`hcas_core::fhir::consent_from_fhir_r4` / `_r5`).
///
/// # Errors
/// `invalid_request` for text that is not JSON or what hcas cannot
/// represent (naming the JSON path), `invalid_datetime` for a malformed
/// date, `invalid_consent` for a period whose end is not after its start.
#[uniffi::export]
pub fn consent_from_fhir(
    resource_json: String,
    version: FhirVersion,
) -> Result<Consent, HcasError> {
    let value = parse_json(&resource_json, "resource_json")?;
    let consent = match version {
        FhirVersion::R4 => hcas_core::fhir::consent_from_fhir_r4(&value)?,
        FhirVersion::R5 => hcas_core::fhir::consent_from_fhir_r5(&value)?,
    };
    Ok(consent.into())
}

/// The FHIR `Consent` resource of `consent` in `version`, as compact JSON
/// text (`hcas_core::fhir::consent_to_fhir_r4` / `_r5`).
///
/// # Errors
/// `invalid_consent` for a consent that breaks the model; `invalid_request`
/// for what the version cannot carry (e.g. a `scope.period` in R4).
#[uniffi::export]
pub fn consent_to_fhir(consent: Consent, version: FhirVersion) -> Result<String, HcasError> {
    let consent: c::Consent = consent.into();
    let out = match version {
        FhirVersion::R4 => hcas_core::fhir::consent_to_fhir_r4(&consent)?,
        FhirVersion::R5 => hcas_core::fhir::consent_to_fhir_r5(&consent)?,
    };
    Ok(out.to_string())
}

/// The consent of its `CONSENT.md` JSON text (as in the `consent` vectors).
///
/// # Errors
/// `invalid_request` for text that is not JSON; `invalid_datetime` for a
/// malformed instant; `invalid_consent` for anything else that breaks the
/// model.
#[uniffi::export]
pub fn consent_from_json(json: String) -> Result<Consent, HcasError> {
    let value = parse_json(&json, "json")?;
    Ok(c::Consent::from_json(&value, "consent")?.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn doctor() -> Accessor {
        Accessor {
            id: "DrA".into(),
            org: "Org1".into(),
            roles: vec![Role::Doctor],
        }
    }

    fn labs(actor: Accessor, purpose: Purpose) -> ConsentRequest {
        ConsentRequest {
            actor,
            patient: "P1".into(),
            category: Category::Labs,
            action: Action::Read,
            purpose,
            at: t("2025-06-15T12:00:00Z"),
            data_date: None,
            labels: vec![],
            originator: None,
            break_glass: None,
        }
    }

    fn deny_all() -> Consent {
        Consent {
            id: "C1".into(),
            patient: "P1".into(),
            date: t("2025-03-01T00:00:00Z"),
            decision: Effect::Deny,
            status: ConsentStatus::Active,
            period: None,
            scope: None,
            provisions: vec![],
        }
    }

    #[test]
    fn decisions_follow_consent_md() {
        // Step 5: no consent, a doctor reading labs for treatment is permitted.
        let d = decide(labs(doctor(), Purpose::Treat), vec![], None).unwrap();
        assert_eq!(
            (d.decision, d.basis, d.consent),
            (Effect::Permit, Basis::Default, None)
        );
        // Step 4: a deny-all consent denies, naming it.
        let d = decide(labs(doctor(), Purpose::Treat), vec![deny_all()], None).unwrap();
        assert_eq!(
            (d.decision, d.basis, d.consent.as_deref()),
            (Effect::Deny, Basis::Consent, Some("C1"))
        );
        // Step 3: break-glass 30 minutes old, ETREAT, overrides the consent.
        let mut r = labs(doctor(), Purpose::Etreat);
        r.break_glass = Some(BreakGlass {
            reason: "unconscious in ED".into(),
            started_at: t("2025-06-15T11:30:00Z"),
        });
        let d = decide(r, vec![deny_all()], None).unwrap();
        assert_eq!((d.decision, d.basis), (Effect::Permit, Basis::BreakGlass));
        assert_eq!(d.obligations, ["audit-break-glass"]);
        // An empty id is invalid_consent; two consents with one id too.
        let bad = Consent {
            id: String::new(),
            ..deny_all()
        };
        let e = decide(labs(doctor(), Purpose::Treat), vec![bad], None).unwrap_err();
        assert_eq!(e.code(), "invalid_consent");
        let e = CompiledConsents::new("P1".into(), vec![deny_all(), deny_all()], None).unwrap_err();
        assert_eq!(e.code(), "invalid_consent");
    }

    #[test]
    fn default_policy_round_trips() {
        let p = default_role_policy();
        assert_eq!(p.roles.len(), 4);
        assert_eq!(
            c::RolePolicy::from(p.clone()),
            c::RolePolicy::default(),
            "{p:?}"
        );
    }
}
