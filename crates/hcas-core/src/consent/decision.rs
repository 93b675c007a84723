//! The answer: [`Decision`].

use super::*;

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
