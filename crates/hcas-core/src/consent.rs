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
//! use hcas_core::consent::{
//!     decide, Accessor, Basis, Category, Consent, ConsentRequest, Effect, Purpose, Role, RolePolicy,
//! };
//! let t = |s: &str| s.parse().unwrap();
//! let consent = Consent::deny("K2", "Pat9", t("2025-03-01T00:00:00Z"));
//! let request = ConsentRequest::builder(Accessor::new("DrX", "OrgA").with_role(Role::Doctor), "Pat9")
//!     .read(Category::Labs)
//!     .for_purpose(Purpose::Treat)
//!     .at(t("2025-09-01T10:00:00Z"))
//!     .build()
//!     .unwrap();
//! let d = decide(&request, &[consent], &RolePolicy::default()).unwrap();
//! assert_eq!((d.decision, d.basis, d.consent.as_deref()), (Effect::Deny, Basis::Consent, Some("K2")));
//! ```
//!
//! The same values parse from (and serialise to) the JSON of `CONSENT.md`:
//! [`Consent::from_json`], [`ConsentRequest::from_json`],
//! [`RolePolicy::from_json`], or `serde`.

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
#[non_exhaustive]
pub struct Period {
    /// Inclusive start (none: since always).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Timestamp>,
    /// Exclusive end (none: for ever).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

impl Period {
    /// The period from `start` (inclusive) on, for ever.
    ///
    /// ```
    /// use hcas_core::consent::Period;
    /// let t = |s: &str| s.parse().unwrap();
    /// let p = Period::since(t("2025-01-01T00:00:00Z"));
    /// assert!(p.contains(t("2030-01-01T00:00:00Z")) && !p.contains(t("2024-12-31T23:59:59Z")));
    /// ```
    #[must_use]
    pub const fn since(start: Timestamp) -> Self {
        Self {
            start: Some(start),
            end: None,
        }
    }

    /// The period up to `end` (exclusive), since always.
    #[must_use]
    pub const fn until(end: Timestamp) -> Self {
        Self {
            start: None,
            end: Some(end),
        }
    }

    /// The period `[start, end)`.
    ///
    /// # Errors
    /// `invalid_consent` when `end` is not after `start`.
    pub fn between(start: Timestamp, end: Timestamp) -> Result<Self> {
        let p = Self {
            start: Some(start),
            end: Some(end),
        };
        p.validate_at("period")?;
        Ok(p)
    }

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
#[non_exhaustive]
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

/// Add `value` to the list in `slot`, starting the list if the field was absent.
fn push<T>(slot: &mut Option<Vec<T>>, value: T) {
    slot.get_or_insert_with(Vec::new).push(value);
}

impl Match {
    /// The match without conditions: it holds for every request (add
    /// conditions with the `with_*` methods; each adds one value to its list,
    /// and a list holds when any of its values matches).
    ///
    /// ```
    /// use hcas_core::consent::{Match, Purpose, Role};
    /// let m = Match::any().with_role(Role::Doctor).with_role(Role::Nurse).with_purpose(Purpose::Treat);
    /// assert_eq!(m.roles.as_deref(), Some(&[Role::Doctor, Role::Nurse][..]));
    /// assert_eq!(m.actors, None); // absent: any actor
    /// ```
    #[must_use]
    pub fn any() -> Self {
        Self::default()
    }

    /// Also match the accessor `id`.
    #[must_use]
    pub fn with_actor(mut self, id: impl Into<String>) -> Self {
        push(&mut self.actors, id.into());
        self
    }

    /// Also match actors with `role`.
    #[must_use]
    pub fn with_role(mut self, role: Role) -> Self {
        push(&mut self.roles, role);
        self
    }

    /// Also match actors of the organisation `org`.
    #[must_use]
    pub fn with_org(mut self, org: impl Into<String>) -> Self {
        push(&mut self.orgs, org.into());
        self
    }

    /// Also match the purpose `purpose`.
    #[must_use]
    pub fn with_purpose(mut self, purpose: Purpose) -> Self {
        push(&mut self.purposes, purpose);
        self
    }

    /// Also match the data category `category`.
    #[must_use]
    pub fn with_category(mut self, category: Category) -> Self {
        push(&mut self.categories, category);
        self
    }

    /// Also match the action `action`.
    #[must_use]
    pub fn with_action(mut self, action: Action) -> Self {
        push(&mut self.actions, action);
        self
    }

    /// Also match data carrying the security label `label`.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        push(&mut self.labels, label.into());
        self
    }

    /// Match only accesses (`at`) inside `period` (replacing any earlier one).
    #[must_use]
    pub const fn with_period(mut self, period: Period) -> Self {
        self.period = Some(period);
        self
    }

    /// Match only data recorded (`data_date`) inside `period` (replacing any
    /// earlier one).
    #[must_use]
    pub const fn with_data_period(mut self, period: Period) -> Self {
        self.data_period = Some(period);
        self
    }

    /// Check the match against the model: every list non-empty, no empty
    /// strings, every period's end after its start.
    ///
    /// # Errors
    /// `invalid_consent`, naming the field.
    pub fn validate(&self) -> Result<()> {
        self.validate_at("match")
    }

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
#[non_exhaustive]
pub struct Provision {
    /// When the exception applies.
    #[serde(flatten)]
    pub when: Match,
    /// Exceptions to this exception.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provisions: Vec<Provision>,
}

impl Provision {
    /// An exception that applies when `when` holds, with no exceptions of its own.
    ///
    /// ```
    /// use hcas_core::consent::{Match, Provision, Purpose};
    /// // "except for marketing, but a marketing e-mail from OrgA is fine"
    /// let p = Provision::new(Match::any().with_purpose(Purpose::Hmarkt))
    ///     .with_provision(Provision::new(Match::any().with_org("OrgA")));
    /// assert_eq!(p.provisions.len(), 1);
    /// assert!(p.validate().is_ok());
    /// ```
    #[must_use]
    pub const fn new(when: Match) -> Self {
        Self {
            when,
            provisions: Vec::new(),
        }
    }

    /// Add an exception to this exception (it has this provision's opposite effect).
    #[must_use]
    pub fn with_provision(mut self, provision: Self) -> Self {
        self.provisions.push(provision);
        self
    }

    /// Check the provision and its exceptions against the model (as
    /// [`Consent::validate`] does for a top-level provision).
    ///
    /// # Errors
    /// `invalid_consent`, naming the field.
    pub fn validate(&self) -> Result<()> {
        self.validate_at("provision", 1)
    }

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
#[non_exhaustive]
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
    /// An `active` consent with base effect `decision`, in force always,
    /// applying everywhere, without exceptions (add them with the `with_*`
    /// methods). Nothing is checked here: [`Consent::validate`] (and every
    /// function that decides) does.
    ///
    /// ```
    /// use hcas_core::consent::{Consent, ConsentStatus, Effect, Match, Period, Provision, Purpose};
    /// let t = |s: &str| s.parse().unwrap();
    /// let c = Consent::new("K1", "Pat9", t("2025-03-01T00:00:00Z"), Effect::Permit)
    ///     .with_period(Period::since(t("2025-03-01T00:00:00Z")))
    ///     .with_provision(Provision::new(Match::any().with_purpose(Purpose::Hmarkt)));
    /// assert_eq!(c.status, ConsentStatus::Active);
    /// assert!(c.validate().is_ok());
    /// // The JSON of CONSENT.md, unchanged.
    /// assert_eq!(serde_json::to_value(&c).unwrap(), serde_json::json!({
    ///     "id": "K1", "patient": "Pat9", "status": "active", "date": "2025-03-01T00:00:00Z",
    ///     "period": { "start": "2025-03-01T00:00:00Z" }, "decision": "permit",
    ///     "provisions": [ { "purposes": ["HMARKT"] } ]
    /// }));
    /// ```
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        patient: impl Into<String>,
        date: Timestamp,
        decision: Effect,
    ) -> Self {
        Self {
            id: id.into(),
            patient: patient.into(),
            status: ConsentStatus::Active,
            date,
            period: None,
            decision,
            scope: None,
            provisions: Vec::new(),
        }
    }

    /// [`Consent::new`] with base effect `permit` (opt-in).
    #[must_use]
    pub fn permit(id: impl Into<String>, patient: impl Into<String>, date: Timestamp) -> Self {
        Self::new(id, patient, date, Effect::Permit)
    }

    /// [`Consent::new`] with base effect `deny` (opt-out).
    #[must_use]
    pub fn deny(id: impl Into<String>, patient: impl Into<String>, date: Timestamp) -> Self {
        Self::new(id, patient, date, Effect::Deny)
    }

    /// With status `status` (only `active` consents count).
    #[must_use]
    pub const fn with_status(mut self, status: ConsentStatus) -> Self {
        self.status = status;
        self
    }

    /// In force only during `period`.
    #[must_use]
    pub const fn with_period(mut self, period: Period) -> Self {
        self.period = Some(period);
        self
    }

    /// Applying only where `scope` holds.
    #[must_use]
    pub fn with_scope(mut self, scope: Match) -> Self {
        self.scope = Some(scope);
        self
    }

    /// With one more exception to the base effect.
    #[must_use]
    pub fn with_provision(mut self, provision: Provision) -> Self {
        self.provisions.push(provision);
        self
    }

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
#[serde(try_from = "Value")]
#[non_exhaustive]
pub struct Rights {
    /// Categories (`["*"]` on the wire: all).
    pub categories: Vec<Category>,
    /// Actions (`["*"]` on the wire: all).
    pub actions: Vec<Action>,
    /// Purposes (`["*"]` on the wire: all).
    pub purposes: Vec<Purpose>,
}

impl Rights {
    /// A row allowing these categories, actions and purposes (in every
    /// combination). `Rights::default()` allows nothing.
    ///
    /// ```
    /// use hcas_core::consent::{Action, Category, Purpose, Rights};
    /// let r = Rights::new([Category::Records, Category::Labs], [Action::Read], [Purpose::Hresch]);
    /// assert!(r.allows(Category::Labs, Action::Read, Purpose::Hresch));
    /// assert!(!r.allows(Category::Labs, Action::Write, Purpose::Hresch));
    /// ```
    #[must_use]
    pub fn new(
        categories: impl IntoIterator<Item = Category>,
        actions: impl IntoIterator<Item = Action>,
        purposes: impl IntoIterator<Item = Purpose>,
    ) -> Self {
        Self {
            categories: categories.into_iter().collect(),
            actions: actions.into_iter().collect(),
            purposes: purposes.into_iter().collect(),
        }
    }

    /// A row allowing every category, action and purpose (`"*"` in all three
    /// lists on the wire).
    #[must_use]
    pub fn all() -> Self {
        Self::new(
            Category::ALL.iter().copied(),
            Action::ALL.iter().copied(),
            Purpose::ALL.iter().copied(),
        )
    }

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
#[non_exhaustive]
pub struct RolePolicy {
    /// The rows.
    pub roles: BTreeMap<Role, Rights>,
}

impl Default for RolePolicy {
    /// The default table of `CONSENT.md`.
    fn default() -> Self {
        use Category::{Appointments, Labs, Notes, Records};
        use Purpose::{Etreat, Hoperat, Hpaymt, Hresch, Treat};
        let rw = [Action::Read, Action::Write];
        let clinical = [Treat, Etreat, Hoperat];
        Self::empty()
            .with_role(
                Role::Doctor,
                Rights::new(Category::ALL.iter().copied(), rw, clinical),
            )
            .with_role(
                Role::Nurse,
                Rights::new([Appointments, Records, Notes, Labs], rw, clinical),
            )
            .with_role(
                Role::Admin,
                Rights::new([Appointments], rw, [Hoperat, Hpaymt]),
            )
            .with_role(
                Role::Researcher,
                Rights::new([Records, Labs], [Action::Read], [Hresch]),
            )
    }
}

impl RolePolicy {
    /// The table without rows: no role may use anything (build it up with
    /// [`RolePolicy::with_role`]; [`RolePolicy::default`] is the table of
    /// `CONSENT.md`).
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            roles: BTreeMap::new(),
        }
    }

    /// The table with `role`'s row set to `rights` (replacing the row it had).
    ///
    /// ```
    /// use hcas_core::consent::{Action, Category, Purpose, Rights, Role, RolePolicy};
    /// // The default table, but researchers may also read notes.
    /// let policy = RolePolicy::default().with_role(
    ///     Role::Researcher,
    ///     Rights::new([Category::Records, Category::Labs, Category::Notes], [Action::Read], [Purpose::Hresch]),
    /// );
    /// assert!(policy.rights(Role::Researcher).unwrap().allows(Category::Notes, Action::Read, Purpose::Hresch));
    /// assert!(policy.rights(Role::Patient).is_none()); // patients are decided by step 1
    /// ```
    #[must_use]
    pub fn with_role(mut self, role: Role, rights: Rights) -> Self {
        self.roles.insert(role, rights);
        self
    }

    /// The table without a row for `role` (it may then use nothing).
    #[must_use]
    pub fn without_role(mut self, role: Role) -> Self {
        self.roles.remove(&role);
        self
    }

    /// The row of `role`, if it has one.
    #[must_use]
    pub fn rights(&self, role: Role) -> Option<&Rights> {
        self.roles.get(&role)
    }

    /// Parse a policy `{ "roles": { "<role>": { "categories": [...],
    /// "actions": [...], "purposes": [...] } } }`; `"*"` in a list means
    /// every code. `at` names it in messages.
    ///
    /// # Errors
    /// `invalid_request` for a wrong shape, an unknown role or code.
    pub fn from_json(value: &Value, at: &str) -> Result<Self> {
        json::policy(value, at)
    }

    /// The role gate (step 2): whether any of the request's actor's roles
    /// may use the request's category, action and purpose.
    #[must_use]
    pub fn allows(&self, request: &ConsentRequest) -> bool {
        let r = request;
        r.actor.roles.iter().any(|role| {
            self.roles
                .get(role)
                .is_some_and(|row| row.allows(r.category, r.action, r.purpose))
        })
    }
}

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Value")]
#[non_exhaustive]
pub struct Accessor {
    /// The actor's id (a patient acting on their own data has the patient's id).
    pub id: String,
    /// The actor's roles (passing the role gate with any one is enough).
    pub roles: Vec<Role>,
    /// The actor's organisation.
    pub org: String,
}

impl Accessor {
    /// The actor `id` of organisation `org`, with no role yet (add them with
    /// [`Accessor::with_role`]; an actor without roles passes no role gate).
    ///
    /// ```
    /// use hcas_core::consent::{Accessor, Role};
    /// let dr = Accessor::new("DrX", "OrgA").with_role(Role::Doctor);
    /// assert_eq!((dr.id.as_str(), dr.roles.as_slice()), ("DrX", &[Role::Doctor][..]));
    /// assert!(Accessor::new("", "OrgA").validate().is_err());
    /// ```
    #[must_use]
    pub fn new(id: impl Into<String>, org: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            roles: Vec::new(),
            org: org.into(),
        }
    }

    /// With one more role.
    #[must_use]
    pub fn with_role(mut self, role: Role) -> Self {
        self.roles.push(role);
        self
    }

    /// Check what the types cannot: non-empty `id` and `org`.
    ///
    /// # Errors
    /// `invalid_request`, naming the field.
    pub fn validate(&self) -> Result<()> {
        self.validate_at("actor")
    }

    pub(crate) fn validate_at(&self, at: &str) -> Result<()> {
        for (field, v) in [("id", &self.id), ("org", &self.org)] {
            if v.is_empty() {
                return Err(Error::new(ErrorCode::InvalidRequest, "must not be empty")
                    .at(&format!("{at}.{field}")));
            }
        }
        Ok(())
    }
}

/// An emergency override asked for by the actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Value")]
#[non_exhaustive]
pub struct BreakGlass {
    /// Why (must not be blank for the override to be granted).
    pub reason: String,
    /// When the actor broke the glass (the override lasts 60 minutes).
    pub started_at: Timestamp,
}

impl BreakGlass {
    /// An override asked for at `started_at`, for `reason` (a blank reason is
    /// allowed here, and refused by the decision: basis `break-glass`).
    #[must_use]
    pub fn new(reason: impl Into<String>, started_at: Timestamp) -> Self {
        Self {
            reason: reason.into(),
            started_at,
        }
    }
}

/// One access request: may `actor` do `action` on `patient`'s `category`
/// data for `purpose` at `at`? Build one with [`ConsentRequest::builder`]
/// or parse it from JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
#[non_exhaustive]
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
    /// Start a request by `actor` about `patient`'s data; say what is done
    /// ([`ConsentRequestBuilder::read`] or [`ConsentRequestBuilder::write`]),
    /// why ([`ConsentRequestBuilder::for_purpose`]) and when
    /// ([`ConsentRequestBuilder::at`]), then [`ConsentRequestBuilder::build`].
    ///
    /// ```
    /// use hcas_core::consent::{Accessor, Category, ConsentRequest, Purpose, Role};
    /// let dr = Accessor::new("DrX", "OrgA").with_role(Role::Doctor);
    /// let request = ConsentRequest::builder(dr, "Pat9")
    ///     .read(Category::Labs)
    ///     .for_purpose(Purpose::Treat)
    ///     .at("2025-09-01T10:00:00Z".parse().unwrap())
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(request.patient, "Pat9");
    /// ```
    pub fn builder(actor: Accessor, patient: impl Into<String>) -> ConsentRequestBuilder {
        ConsentRequestBuilder {
            actor,
            patient: patient.into(),
            access: None,
            purpose: None,
            at: None,
            data_date: None,
            labels: Vec::new(),
            originator: None,
            break_glass: None,
        }
    }

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
        self.actor.validate_at(&format!("{at}.actor"))?;
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

/// A [`ConsentRequest`] under construction (from [`ConsentRequest::builder`]).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ConsentRequestBuilder {
    actor: Accessor,
    patient: String,
    access: Option<(Action, Category)>,
    purpose: Option<Purpose>,
    at: Option<Timestamp>,
    data_date: Option<Timestamp>,
    labels: Vec<String>,
    originator: Option<String>,
    break_glass: Option<BreakGlass>,
}

impl ConsentRequestBuilder {
    /// Read `category` data.
    pub const fn read(self, category: Category) -> Self {
        self.access(Action::Read, category)
    }

    /// Write (create or change) `category` data.
    pub const fn write(self, category: Category) -> Self {
        self.access(Action::Write, category)
    }

    /// Do `action` on `category` data.
    pub const fn access(mut self, action: Action, category: Category) -> Self {
        self.access = Some((action, category));
        self
    }

    /// For `purpose`.
    pub const fn for_purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = Some(purpose);
        self
    }

    /// At `at` (consents, break-glass and periods are judged at this instant).
    pub const fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }

    /// On data recorded at `data_date`.
    pub const fn data_date(mut self, data_date: Timestamp) -> Self {
        self.data_date = Some(data_date);
        self
    }

    /// On data carrying the security label `label` (call again for more).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.labels.push(label.into());
        self
    }

    /// On data authored by `originator`.
    pub fn originator(mut self, originator: impl Into<String>) -> Self {
        self.originator = Some(originator.into());
        self
    }

    /// Asking for a break-glass override.
    pub fn break_glass(mut self, break_glass: BreakGlass) -> Self {
        self.break_glass = Some(break_glass);
        self
    }

    /// The request, validated ([`ConsentRequest::validate`]).
    ///
    /// # Errors
    /// `invalid_request` when the action and category, the purpose or the
    /// instant was not given (naming `request.action`, `request.purpose`,
    /// `request.at`), or when the request fails [`ConsentRequest::validate`].
    pub fn build(self) -> Result<ConsentRequest> {
        let missing = |field: &str, how: &str| {
            Error::new(ErrorCode::InvalidRequest, format!("is required ({how})"))
                .at(&format!("request.{field}"))
        };
        let (action, category) = self
            .access
            .ok_or_else(|| missing("action", "call read, write or access"))?;
        let purpose = self
            .purpose
            .ok_or_else(|| missing("purpose", "call for_purpose"))?;
        let at = self.at.ok_or_else(|| missing("at", "call at"))?;
        let r = ConsentRequest {
            actor: self.actor,
            patient: self.patient,
            category,
            action,
            purpose,
            at,
            data_date: self.data_date,
            labels: self.labels,
            originator: self.originator,
            break_glass: self.break_glass,
        };
        r.validate()?;
        Ok(r)
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
#[serde(try_from = "Value")]
#[non_exhaustive]
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
    /// A decision on `basis` without consent, path or obligations (add them
    /// with [`Decision::by_consent`] and [`Decision::with_obligation`]); for
    /// reference models and tests, as the engine builds its own.
    #[must_use]
    pub const fn new(decision: Effect, basis: Basis) -> Self {
        Self {
            decision,
            basis,
            consent: None,
            obligations: Vec::new(),
            path: Vec::new(),
        }
    }

    /// The decision of consent `id`, reached through the provisions `path`
    /// (basis `consent`).
    #[must_use]
    pub fn by_consent(decision: Effect, id: impl Into<String>, path: Vec<usize>) -> Self {
        Self {
            consent: Some(id.into()),
            path,
            ..Self::new(decision, Basis::Consent)
        }
    }

    /// With one more obligation (kept sorted and unique).
    #[must_use]
    pub fn with_obligation(mut self, obligation: impl Into<String>) -> Self {
        let o = obligation.into();
        if let Err(i) = self.obligations.binary_search(&o) {
            self.obligations.insert(i, o);
        }
        self
    }

    /// Check the invariants: `consent` present exactly with basis `consent`,
    /// then a non-empty id; `path` empty for other bases; obligations
    /// non-empty names, sorted, without repeats.
    ///
    /// # Errors
    /// `invalid_request`, naming the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, message: &str| {
            Err(Error::new(ErrorCode::InvalidRequest, message).at(&format!("decision.{field}")))
        };
        match (&self.consent, self.basis) {
            (None, Basis::Consent) => return bad("consent", "is required with basis `consent`"),
            (Some(c), Basis::Consent) if c.is_empty() => {
                return bad("consent", "must not be empty");
            }
            (Some(_), b) if b != Basis::Consent => {
                return bad("consent", "is only given with basis `consent`");
            }
            _ => {}
        }
        if self.basis != Basis::Consent && !self.path.is_empty() {
            return bad("path", "is only given with basis `consent`");
        }
        if self.obligations.iter().any(String::is_empty) {
            return bad("obligations", "an obligation name must not be empty");
        }
        if !self.obligations.is_sorted_by(|a, b| a < b) {
            return bad("obligations", "must be sorted, without repeats");
        }
        Ok(())
    }

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
/// ```
/// use hcas_core::consent::{decide, Accessor, Basis, BreakGlass, Category, ConsentRequest, Purpose,
///     Role, RolePolicy, AUDIT_BREAK_GLASS};
/// let t = |s: &str| s.parse().unwrap();
/// let nurse = Accessor::new("Nu1", "OrgA").with_role(Role::Nurse);
/// let request = ConsentRequest::builder(nurse, "Pat9")
///     .read(Category::Records)
///     .for_purpose(Purpose::Etreat)
///     .at(t("2025-09-01T10:30:00Z"))
///     .break_glass(BreakGlass::new("unconscious on arrival", t("2025-09-01T10:00:00Z")))
///     .build()
///     .unwrap();
/// let d = decide(&request, &[], &RolePolicy::default()).unwrap();
/// assert!(d.is_permit());
/// assert_eq!(d.basis, Basis::BreakGlass);
/// assert_eq!(d.obligations, [AUDIT_BREAK_GLASS]); // the caller must write the audit record
/// ```
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
