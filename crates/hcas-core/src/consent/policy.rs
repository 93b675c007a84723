//! The organisation's role table (step 2): [`RolePolicy`] and its [`Rights`] rows.

use super::*;

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
