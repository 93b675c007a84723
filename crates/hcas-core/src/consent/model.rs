//! A patient's consent: [`Consent`], its [`Provision`] tree, the [`Match`]
//! conditions and [`Period`]s, with their constructors and validation.

use super::*;

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

    pub(super) fn validate_at(&self, at: &str) -> Result<()> {
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

    pub(super) fn validate_at(&self, at: &str) -> Result<()> {
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

    pub(super) fn validate_at(&self, at: &str, depth: usize) -> Result<()> {
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
