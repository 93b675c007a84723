//! The fixed vocabularies of `CONSENT.md`: roles, categories, actions,
//! purposes, effects, statuses and the bases of a decision.

use super::*;

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
