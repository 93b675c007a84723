//! Who asks for what: [`Accessor`], [`BreakGlass`], [`ConsentRequest`] and its builder.

use super::*;

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
