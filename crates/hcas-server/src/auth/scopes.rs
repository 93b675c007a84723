//! SMART App Launch scopes in tokens (`patient/Appointment.rs`,
//! `user/Slot.rs`, `system/*.cruds`, and v1's `.read`, `.write`, `.*`).
//! They only narrow: a token with at least one SMART resource scope reaches
//! on the FHIR API only the resource types and interactions its scopes grant,
//! and still only the records its roles and the consent engine allow; a token
//! without any is decided by its roles alone. Which records a scope's context
//! (`patient/`, `user/`, `system/`) covers is the roles' and consent
//! engine's decision: hcas has no launch context. A scope with a query
//! (`patient/Observation.rs?category=…`) grants nothing (fail closed).

/// An interaction on a FHIR resource type (SMART v2's `c`, `r`, `u`, `d`, `s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interaction {
    /// `c`: create (`$hold`, `$book` of a proposal).
    Create,
    /// `r`: read by id.
    Read,
    /// `u`: update (`$book` of a stored appointment, cancel).
    Update,
    /// `d`: delete.
    Delete,
    /// `s`: search (and `$find`).
    Search,
}

impl Interaction {
    /// The SMART v2 letter.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            Self::Create => 'c',
            Self::Read => 'r',
            Self::Update => 'u',
            Self::Delete => 'd',
            Self::Search => 's',
        }
    }
}

/// One granted scope: a resource type (`None`: `*`) and its letters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    ty: Option<String>,
    letters: String,
}

/// The SMART resource scopes of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Grant>);

impl Scopes {
    /// The SMART resource scopes in a space-separated `scope` value; `None`
    /// if it has none (other scopes such as `openid` or `launch` are not
    /// resource scopes and are ignored).
    #[must_use]
    pub fn parse(scope: &str) -> Option<Self> {
        let grants: Vec<Grant> = scope.split_whitespace().filter_map(grant).collect();
        (!grants.is_empty()).then_some(Self(grants))
    }

    /// Whether some scope grants `interaction` on resource type `ty`.
    #[must_use]
    pub fn allows(&self, ty: &str, interaction: Interaction) -> bool {
        self.0.iter().any(|g| {
            g.ty.as_deref().is_none_or(|t| t == ty) && g.letters.contains(interaction.letter())
        })
    }
}

/// One scope as a grant, if it is a SMART resource scope (a query keeps it
/// recognised but grants nothing).
fn grant(scope: &str) -> Option<Grant> {
    let (context, rest) = scope.split_once('/')?;
    if !matches!(context, "patient" | "user" | "system") {
        return None;
    }
    let (ty, perm) = rest.split_once('.')?;
    let type_ok = ty == "*" || (!ty.is_empty() && ty.bytes().all(|b| b.is_ascii_alphabetic()));
    if !type_ok {
        return None;
    }
    let (perm, query) = match perm.split_once('?') {
        Some((p, _)) => (p, true),
        None => (perm, false),
    };
    let letters = match perm {
        "read" => "rs".to_string(),
        "write" => "cud".to_string(),
        "*" => "cruds".to_string(),
        v2 if is_v2(v2) => v2.to_string(),
        _ => return None,
    };
    Some(Grant {
        ty: (ty != "*").then(|| ty.to_string()),
        letters: if query { String::new() } else { letters },
    })
}

/// `cruds` or a non-empty part of it in that order.
fn is_v2(perm: &str) -> bool {
    let mut order = "cruds".chars();
    !perm.is_empty() && perm.chars().all(|c| order.any(|o| o == c))
}

#[cfg(test)]
mod tests {
    use super::Interaction::{Create, Delete, Read, Search, Update};
    use super::*;

    #[test]
    fn v2_scopes_grant_their_letters_on_their_type() {
        let s = Scopes::parse("openid fhirUser patient/Appointment.rs user/Slot.s launch").unwrap();
        assert!(s.allows("Appointment", Read) && s.allows("Appointment", Search));
        assert!(!s.allows("Appointment", Create) && !s.allows("Appointment", Update));
        assert!(s.allows("Slot", Search) && !s.allows("Slot", Read));
        assert!(!s.allows("Patient", Read));
    }

    #[test]
    fn wildcards_v1_and_malformed_scopes() {
        let s = Scopes::parse("system/*.cruds").unwrap();
        for i in [Create, Read, Update, Delete, Search] {
            assert!(s.allows("Consent", i));
        }
        let v1 = Scopes::parse("user/Patient.read patient/Appointment.write").unwrap();
        assert!(v1.allows("Patient", Read) && v1.allows("Patient", Search));
        assert!(!v1.allows("Patient", Update) && v1.allows("Appointment", Update));
        assert!(!v1.allows("Appointment", Read));
        // Out of order, repeated, unknown letters or context: not scopes.
        for bad in [
            "patient/Slot.sr",
            "patient/Slot.rr",
            "patient/Slot.x",
            "org/Slot.r",
            "patient/.r",
            "patient/Slot.",
        ] {
            assert_eq!(Scopes::parse(bad), None, "{bad}");
        }
        // A query: recognised, grants nothing.
        let q = Scopes::parse("patient/Appointment.rs?status=booked").unwrap();
        assert!(!q.allows("Appointment", Read));
        assert_eq!(Scopes::parse("openid api offline_access"), None);
    }
}
