//! Consent: who may see or change what of a patient's data, for which
//! purpose, when (the shared `CONSENT.md`, in the project's words in
//! `docs/consent.md`).
//!
//! The model follows the FHIR R5 `Consent` resource: a [`Consent`] has a base
//! [`Effect`] and a tree of [`Provision`]s, each an exception to its parent
//! with the opposite effect. A [`ConsentRequest`] is decided by five steps,
//! the first that decides wins:
//!
//! 1. **self**: a patient on their own data reads everything but
//!    psychotherapy notes and writes appointments only; a patient-only actor
//!    on someone else's data is denied (basis `role`);
//! 2. **role gate**: the organisation's [`RolePolicy`] bounds what each role may
//!    ever do;
//! 3. **break-glass**: a doctor or nurse in an emergency, for at most an hour;
//! 4. **consents**: the latest applicable consent decides (deny first on a
//!    tie of dates, then the smallest id);
//! 5. **default**: HIPAA's treatment/payment/operations defaults.
//!
//! Every request that carries `break_glass` gets the obligation
//! [`AUDIT_BREAK_GLASS`], whatever was decided. Writing the audit record is
//! the caller's job; a caller that cannot write it must refuse the access.
//!
//! [`decide`] answers one request; [`CompiledConsents`] compiles one
//! patient's consents once (bitsets, integer intervals, pre-sorted consents)
//! and answers many requests fast. [`booking_allowed`] asks "may this
//! appointment be booked?" as consent questions.
//!
//! ```
//! use hcas_core::consent::{decide, Basis, Consent, ConsentRequest, Effect, RolePolicy};
//! let consent = Consent::from_json(&serde_json::json!({
//!     "id": "K2", "patient": "Pat9", "status": "active",
//!     "date": "2025-03-01T00:00:00Z", "decision": "deny"
//! }), "consent").unwrap();
//! let request = ConsentRequest::from_json(&serde_json::json!({
//!     "actor": { "id": "DrX", "roles": ["doctor"], "org": "OrgA" },
//!     "patient": "Pat9", "category": "labs", "action": "read", "purpose": "TREAT",
//!     "at": "2025-09-01T10:00:00Z"
//! }), "request").unwrap();
//! let d = decide(&request, &[consent], &RolePolicy::default()).unwrap();
//! assert_eq!((d.decision, d.basis, d.consent.as_deref()), (Effect::Deny, Basis::Consent, Some("K2")));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;

mod appointment;
mod compiled;
mod json;

pub use appointment::{
    AppointmentKind, BOOKING_PURPOSE, BookingQuestion, BookingVerdict, Refusal, TELEHEALTH_LABEL,
    booking_allowed,
};
pub use compiled::CompiledConsents;

/// The FHIR R4/R5 `Consent` mapping, kept at this path for existing callers;
/// its home is [`crate::fhir::consent`] (with the other FHIR resources).
#[cfg(feature = "fhir")]
#[doc(no_inline)]
pub use crate::fhir::consent as fhir;

/// The obligation every request carrying `break_glass` gets: the caller must
/// write an audit record of the attempt (and refuse the access if it cannot).
pub const AUDIT_BREAK_GLASS: &str = "audit-break-glass";

/// How long a break-glass session lasts: `started_at` may be at most this
/// many seconds before `at` (60 minutes, inclusive).
pub const BREAK_GLASS_SECONDS: i64 = 60 * 60;

/// How deep provisions may nest (a provision inside a provision ... inside a
/// consent). Real consents use two or three levels; the bound keeps every
/// recursion over the tree shallow.
pub const MAX_PROVISION_DEPTH: usize = 32;

/// A fixed vocabulary of codes (roles, categories, actions, purposes).
pub(crate) trait Code: Copy + Sized + 'static {
    /// One code, for messages (`a role`, `an action`, ...).
    const WHAT: &'static str;
    /// Every code.
    const ALL: &'static [Self];
    /// The value of a wire code, if it is one.
    fn from_code(code: &str) -> Option<Self>;
    /// The wire code.
    fn code(self) -> &'static str;
    /// The code's bit in a one-byte set.
    fn bit(self) -> u8;
}

macro_rules! vocabulary {
    (
        $(#[$doc:meta])* $name:ident, $what:literal,
        { $($(#[$vdoc:meta])* $var:ident = $code:literal),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $var),+
        }

        impl $name {
            /// Every code, in the order of `CONSENT.md`.
            pub const ALL: &'static [Self] = &[$(Self::$var),+];

            /// The wire code.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$var => $code),+
                }
            }

            /// The value of a wire code (exact, case-sensitive), if it is one.
            #[must_use]
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Self::$var),)+
                    _ => None,
                }
            }

            /// This code's bit in a one-byte set of codes (`1 << index`).
            #[must_use]
            pub const fn bit(self) -> u8 {
                1 << (self as u8)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Code for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = $name::ALL;
            fn from_code(code: &str) -> Option<Self> {
                Self::parse(code)
            }
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn bit(self) -> u8 {
                $name::bit(self)
            }
        }
    };
}

vocabulary!(
    /// Who the actor is, as far as the role gate is concerned.
    Role, "a role", {
        /// A patient (or their portal account).
        Patient = "patient",
        /// A physician.
        Doctor = "doctor",
        /// A nurse.
        Nurse = "nurse",
        /// Front desk, billing.
        Admin = "admin",
        /// A researcher.
        Researcher = "researcher",
    }
);

vocabulary!(
    /// What kind of data is accessed.
    Category, "a category", {
        /// Appointments (bookings, cancellations).
        Appointments = "appointments",
        /// The medical record.
        Records = "records",
        /// Clinical notes.
        Notes = "notes",
        /// Laboratory results.
        Labs = "labs",
        /// Psychotherapy notes (HIPAA keeps them apart, even from the patient).
        Psychotherapy = "psychotherapy",
    }
);

vocabulary!(
    /// What is done with the data.
    Action, "an action", {
        /// See it.
        Read = "read",
        /// Create or change it.
        Write = "write",
    }
);

vocabulary!(
    /// Why (HL7 v3 ActReason).
    Purpose, "a purpose", {
        /// Treatment.
        Treat = "TREAT",
        /// Emergency treatment.
        Etreat = "ETREAT",
        /// Payment.
        Hpaymt = "HPAYMT",
        /// Healthcare operations.
        Hoperat = "HOPERAT",
        /// Research.
        Hresch = "HRESCH",
        /// Marketing.
        Hmarkt = "HMARKT",
    }
);

/// Permit or deny: a consent's base decision, a provision's effect, a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Access is allowed.
    Permit,
    /// Access is refused.
    Deny,
}

impl Effect {
    /// The opposite effect (a provision's effect is the opposite of its parent's).
    #[must_use]
    pub const fn flip(self) -> Self {
        match self {
            Self::Permit => Self::Deny,
            Self::Deny => Self::Permit,
        }
    }

    /// `permit` or `deny`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Permit => "permit",
            Self::Deny => "deny",
        }
    }

    /// The value of `permit` or `deny`.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "permit" => Some(Self::Permit),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A consent's status; only [`ConsentStatus::Active`] consents count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentStatus {
    /// In force.
    Active,
    /// Revoked.
    Inactive,
    /// Not yet in force.
    Draft,
    /// Recorded by mistake.
    EnteredInError,
}

impl ConsentStatus {
    /// The wire code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Draft => "draft",
            Self::EnteredInError => "entered-in-error",
        }
    }

    /// The value of a wire code (exact, case-sensitive), if it is one.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            "draft" => Some(Self::Draft),
            "entered-in-error" => Some(Self::EnteredInError),
            _ => None,
        }
    }
}

/// A half-open period `[start, end)`; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct Period {
    /// Inclusive start (none: since always).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Timestamp>,
    /// Exclusive end (none: for ever).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

impl Period {
    /// Whether `t` lies in `[start, end)`.
    #[must_use]
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t < e)
    }

    fn validate_at(&self, at: &str) -> Result<()> {
        if let (Some(s), Some(e)) = (self.start, self.end)
            && e <= s
        {
            return Err(consent_error(format!(
                "the end {e} must be after the start {s} (periods are half-open [start, end))"
            ))
            .at(at));
        }
        Ok(())
    }
}

/// A match: the optional conditions of a consent's `scope` or of a
/// provision. It holds when every field it has holds; a list holds when any
/// of its values matches the request; an absent field always holds. A field
/// that needs a value the request does not carry (`data_period` without
/// `data_date`, `labels` on unlabelled data) does not hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct Match {
    /// Accessor ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actors: Option<Vec<String>>,
    /// Roles (any of the actor's roles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    /// Organisations (the actor's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orgs: Option<Vec<String>>,
    /// Purposes of use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purposes: Option<Vec<Purpose>>,
    /// Data categories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<Category>>,
    /// Actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
    /// Security labels (the data carries any of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// When the access happens (`at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// When the data was recorded (`data_date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_period: Option<Period>,
}

impl Match {
    /// Whether the match holds for `request`, exactly as `CONSENT.md` says.
    #[must_use]
    pub fn holds(&self, request: &ConsentRequest) -> bool {
        fn any<T: PartialEq>(list: Option<&Vec<T>>, pred: impl Fn(&T) -> bool) -> bool {
            list.is_none_or(|l| l.iter().any(pred))
        }
        let r = request;
        any(self.actors.as_ref(), |a| *a == r.actor.id)
            && any(self.roles.as_ref(), |x| r.actor.roles.contains(x))
            && any(self.orgs.as_ref(), |o| *o == r.actor.org)
            && any(self.purposes.as_ref(), |p| *p == r.purpose)
            && any(self.categories.as_ref(), |c| *c == r.category)
            && any(self.actions.as_ref(), |a| *a == r.action)
            && any(self.labels.as_ref(), |l| r.labels.contains(l))
            && self.period.is_none_or(|p| p.contains(r.at))
            && self
                .data_period
                .is_none_or(|p| r.data_date.is_some_and(|d| p.contains(d)))
    }

    fn validate_at(&self, at: &str) -> Result<()> {
        strings(self.actors.as_ref(), at, "actors", "actor id")?;
        codes(self.roles.as_ref(), at, "roles")?;
        strings(self.orgs.as_ref(), at, "orgs", "organisation")?;
        codes(self.purposes.as_ref(), at, "purposes")?;
        codes(self.categories.as_ref(), at, "categories")?;
        codes(self.actions.as_ref(), at, "actions")?;
        strings(self.labels.as_ref(), at, "labels", "label")?;
        if let Some(p) = &self.period {
            p.validate_at(&format!("{at}.period"))?;
        }
        if let Some(p) = &self.data_period {
            p.validate_at(&format!("{at}.data_period"))?;
        }
        Ok(())
    }
}

fn strings(list: Option<&Vec<String>>, at: &str, field: &str, what: &str) -> Result<()> {
    let Some(list) = list else { return Ok(()) };
    if list.is_empty() {
        return Err(empty_list(at, field));
    }
    for (i, s) in list.iter().enumerate() {
        if s.is_empty() {
            return Err(consent_error(format!("an empty string is not a {what}"))
                .at(&format!("{at}.{field}[{i}]")));
        }
    }
    Ok(())
}

fn codes<T>(list: Option<&Vec<T>>, at: &str, field: &str) -> Result<()> {
    match list {
        Some(l) if l.is_empty() => Err(empty_list(at, field)),
        _ => Ok(()),
    }
}

fn empty_list(at: &str, field: &str) -> Error {
    consent_error(
        "an empty list would never match; leave the field out to match anything \
         (lists in a consent have at least one entry, as in FHIR JSON)",
    )
    .at(&format!("{at}.{field}"))
}

pub(crate) fn consent_error(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidConsent, message)
}

/// A provision: an exception to its parent (the consent or a provision),
/// with the opposite effect. It applies when its [`Match`] holds; its own
/// provisions are exceptions to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct Provision {
    /// When the exception applies.
    #[serde(flatten)]
    pub when: Match,
    /// Exceptions to this exception.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provisions: Vec<Provision>,
}

impl Provision {
    fn validate_at(&self, at: &str, depth: usize) -> Result<()> {
        self.when.validate_at(at)?;
        validate_provisions(&self.provisions, at, depth + 1)
    }
}

fn validate_provisions(list: &[Provision], at: &str, depth: usize) -> Result<()> {
    if !list.is_empty() && depth > MAX_PROVISION_DEPTH {
        return Err(consent_error(format!(
            "provisions nest more than {MAX_PROVISION_DEPTH} levels deep"
        ))
        .at(&format!("{at}.provisions")));
    }
    for (i, p) in list.iter().enumerate() {
        p.validate_at(&format!("{at}.provisions[{i}]"), depth)?;
    }
    Ok(())
}

/// A patient's consent (FHIR R5 `Consent`, reduced to what the decision needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct Consent {
    /// Unique id (ties between consents of one date go to the smallest).
    pub id: String,
    /// The patient whose data it governs.
    pub patient: String,
    /// Only `active` consents count.
    pub status: ConsentStatus,
    /// When it was given: the latest applicable consent decides.
    pub date: Timestamp,
    /// When it is in force (`at` inside `[start, end)`); none: always.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// The base effect.
    pub decision: Effect,
    /// Where it applies at all; none: everywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Match>,
    /// Exceptions to the base effect.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provisions: Vec<Provision>,
}

impl Consent {
    /// Parse and validate one consent from its JSON (`CONSENT.md`); `at`
    /// names it in messages (e.g. `consents[2]`).
    ///
    /// # Errors
    /// `invalid_datetime` for a malformed instant; `invalid_consent` for
    /// anything else that breaks the model (see [`Consent::validate`]).
    pub fn from_json(value: &Value, at: &str) -> Result<Self> {
        let c = json::consent(value, at)?;
        c.validate_at(at)?;
        Ok(c)
    }

    /// Check the consent against the model: non-empty `id` and `patient`,
    /// every list non-empty (an empty list would never match), no empty
    /// strings in lists, every period's end after its start, provisions at
    /// most [`MAX_PROVISION_DEPTH`] deep.
    ///
    /// # Errors
    /// `invalid_consent`, naming the field.
    pub fn validate(&self) -> Result<()> {
        self.validate_at("consent")
    }

    pub(crate) fn validate_at(&self, at: &str) -> Result<()> {
        if self.id.is_empty() {
            return Err(consent_error("must not be empty").at(&format!("{at}.id")));
        }
        if self.patient.is_empty() {
            return Err(consent_error("must not be empty").at(&format!("{at}.patient")));
        }
        for (field, v) in [("id", &self.id), ("patient", &self.patient)] {
            if !crate::id::is_id(v) {
                return Err(consent_error(format!(
                    "`{}` is not an id: use 1 to {} characters of A-Z a-z 0-9 . - (the FHIR id rule)",
                    v.escape_debug(),
                    crate::id::MAX_ID_LEN
                ))
                .at(&format!("{at}.{field}")));
            }
        }
        if let Some(p) = &self.period {
            p.validate_at(&format!("{at}.period"))?;
        }
        if let Some(s) = &self.scope {
            s.validate_at(&format!("{at}.scope"))?;
        }
        validate_provisions(&self.provisions, at, 1)
    }

    /// Whether the consent applies to `request` (step 4): active, the
    /// request's patient's, `at` inside its period, its scope holds.
    #[must_use]
    pub fn applies(&self, request: &ConsentRequest) -> bool {
        self.status == ConsentStatus::Active
            && self.patient == request.patient
            && self.period.is_none_or(|p| p.contains(request.at))
            && self.scope.as_ref().is_none_or(|s| s.holds(request))
    }
}

/// What one role may ever use: the row of the policy's role table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rights {
    /// Categories (`["*"]` on the wire: all).
    pub categories: Vec<Category>,
    /// Actions (`["*"]` on the wire: all).
    pub actions: Vec<Action>,
    /// Purposes (`["*"]` on the wire: all).
    pub purposes: Vec<Purpose>,
}

impl Rights {
    /// Whether the row allows this category, action and purpose.
    #[must_use]
    pub fn allows(&self, category: Category, action: Action, purpose: Purpose) -> bool {
        self.categories.contains(&category)
            && self.actions.contains(&action)
            && self.purposes.contains(&purpose)
    }
}

/// The organisation's role table (step 2): per role, the categories, actions
/// and purposes it may ever use. A role without a row may use nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct RolePolicy {
    /// The rows.
    pub roles: BTreeMap<Role, Rights>,
}

impl Default for RolePolicy {
    /// The default table of `CONSENT.md`.
    fn default() -> Self {
        use Category::{Appointments, Labs, Notes, Records};
        use Purpose::{Etreat, Hoperat, Hpaymt, Hresch, Treat};
        let rw = vec![Action::Read, Action::Write];
        let clinical = vec![Treat, Etreat, Hoperat];
        let roles = BTreeMap::from([
            (
                Role::Doctor,
                Rights {
                    categories: Category::ALL.to_vec(),
                    actions: rw.clone(),
                    purposes: clinical.clone(),
                },
            ),
            (
                Role::Nurse,
                Rights {
                    categories: vec![Appointments, Records, Notes, Labs],
                    actions: rw.clone(),
                    purposes: clinical,
                },
            ),
            (
                Role::Admin,
                Rights {
                    categories: vec![Appointments],
                    actions: rw,
                    purposes: vec![Hoperat, Hpaymt],
                },
            ),
            (
                Role::Researcher,
                Rights {
                    categories: vec![Records, Labs],
                    actions: vec![Action::Read],
                    purposes: vec![Hresch],
                },
            ),
        ]);
        Self { roles }
    }
}

impl RolePolicy {
    /// Parse a policy `{ "roles": { "<role>": { "categories": [...],
    /// "actions": [...], "purposes": [...] } } }`; `"*"` in a list means
    /// every code. `at` names it in messages.
    ///
    /// # Errors
    /// `invalid_request` for a wrong shape, an unknown role or code.
    pub fn from_json(value: &Value, at: &str) -> Result<Self> {
        json::policy(value, at)
    }

    /// Whether any of `roles` may use this category, action and purpose.
    #[must_use]
    pub fn allows(
        &self,
        roles: &[Role],
        category: Category,
        action: Action,
        purpose: Purpose,
    ) -> bool {
        roles.iter().any(|r| {
            self.roles
                .get(r)
                .is_some_and(|row| row.allows(category, action, purpose))
        })
    }
}

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Accessor {
    /// The actor's id (a patient acting on their own data has the patient's id).
    pub id: String,
    /// The actor's roles (passing the role gate with any one is enough).
    pub roles: Vec<Role>,
    /// The actor's organisation.
    pub org: String,
}

/// An emergency override asked for by the actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BreakGlass {
    /// Why (must not be blank for the override to be granted).
    pub reason: String,
    /// When the actor broke the glass (the override lasts 60 minutes).
    pub started_at: Timestamp,
}

/// One access request: may `actor` do `action` on `patient`'s `category`
/// data for `purpose` at `at`?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_date: Option<Timestamp>,
    /// The data's security labels (empty: unlabelled).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Who authored the data, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator: Option<String>,
    /// A break-glass override, if the actor asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<BreakGlass>,
}

impl ConsentRequest {
    /// Parse and validate a request from its JSON (`CONSENT.md`); `at`
    /// names it in messages (e.g. `request`).
    ///
    /// # Errors
    /// `invalid_datetime` for a malformed instant; `invalid_request` for a
    /// wrong shape, an unknown code or an empty id.
    pub fn from_json(value: &Value, at: &str) -> Result<Self> {
        let r = json::request(value, at)?;
        r.validate_at(at)?;
        Ok(r)
    }

    /// Check what the types cannot: non-empty `actor.id`, `actor.org`,
    /// `patient`, labels and `originator`. (An empty break-glass reason is
    /// not an error: the override is then refused, basis `break-glass`.)
    ///
    /// # Errors
    /// `invalid_request`, naming the field.
    pub fn validate(&self) -> Result<()> {
        self.validate_at("request")
    }

    pub(crate) fn validate_at(&self, at: &str) -> Result<()> {
        let empty = |field: &str| {
            Error::new(ErrorCode::InvalidRequest, "must not be empty").at(&format!("{at}.{field}"))
        };
        if self.actor.id.is_empty() {
            return Err(empty("actor.id"));
        }
        if self.actor.org.is_empty() {
            return Err(empty("actor.org"));
        }
        if self.patient.is_empty() {
            return Err(empty("patient"));
        }
        if let Some(i) = self.labels.iter().position(String::is_empty) {
            return Err(empty(&format!("labels[{i}]")));
        }
        if self.originator.as_ref().is_some_and(String::is_empty) {
            return Err(empty("originator"));
        }
        Ok(())
    }
}

/// On what ground a decision was made (the step that decided).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Basis {
    /// Step 1: a patient on their own data.
    #[serde(rename = "self")]
    SelfAccess,
    /// Step 1 (a patient-only actor on another patient's data) or step 2 (the role gate).
    #[serde(rename = "role")]
    Role,
    /// Step 3: break-glass, granted or refused.
    #[serde(rename = "break-glass")]
    BreakGlass,
    /// Step 4: an applicable consent.
    #[serde(rename = "consent")]
    Consent,
    /// Step 5: no applicable consent.
    #[serde(rename = "default")]
    Default,
}

impl Basis {
    /// The wire code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SelfAccess => "self",
            Self::Role => "role",
            Self::BreakGlass => "break-glass",
            Self::Consent => "consent",
            Self::Default => "default",
        }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to a [`ConsentRequest`], with what explains and audits it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Decision {
    /// Permit or deny.
    pub decision: Effect,
    /// The step that decided.
    pub basis: Basis,
    /// The deciding consent's id, exactly when `basis` is `consent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    /// Obligation names, sorted (today only [`AUDIT_BREAK_GLASS`]).
    pub obligations: Vec<String>,
    /// With basis `consent`: the indices of the provisions, from the
    /// consent's top-level list down, whose effect decided (`[]`: the
    /// consent's base decision; `[0, 1]`: the second child of the first
    /// provision). Among matching siblings the first whose result equals the
    /// combined result is followed. Empty for other bases.
    #[serde(default)]
    pub path: Vec<usize>,
}

impl Decision {
    /// Whether access is permitted.
    #[must_use]
    pub fn is_permit(&self) -> bool {
        self.decision == Effect::Permit
    }
}

/// Decide one request against a list of consents (any patients': only the
/// request's patient's count) and a policy. Compiles the consents first; to
/// answer many requests about one patient, build a [`CompiledConsents`] once.
///
/// # Errors
/// `invalid_consent` (or `invalid_datetime`) for a consent that breaks the
/// model, duplicate consent ids included; `invalid_request` for a request
/// that fails [`ConsentRequest::validate`].
pub fn decide(
    request: &ConsentRequest,
    consents: &[Consent],
    policy: &RolePolicy,
) -> Result<Decision> {
    CompiledConsents::new(&request.patient, consents, policy)?.decide(request)
}

#[doc = include_str!("../../../docs/consent.md")]
#[cfg(all(doctest, feature = "fhir"))]
pub struct ConsentDocDoctests;
