//! The vocabularies the wrappers read when they load, as the engine's wire
//! names.

use hcas_core::consent::{AppointmentKind, Basis, ConsentStatus, Effect};
use serde::Serialize;
use serde_json::Value;

/// The `check` names of a booking refusal, in the order the checks are made
/// (the engine's serde tags of `Refusal`).
pub const REFUSAL_CHECKS: [&str; 4] = ["access", "telehealth", "guardian_missing", "guardian"];

/// The effects' wire names (`permit`, `deny`).
pub fn effects() -> Vec<String> {
    wire(&[Effect::Permit, Effect::Deny])
}

/// The consent statuses' wire names; only `active` consents count.
pub fn consent_statuses() -> Vec<String> {
    wire(&[
        ConsentStatus::Active,
        ConsentStatus::Inactive,
        ConsentStatus::Draft,
        ConsentStatus::EnteredInError,
    ])
}

/// The bases of an access decision (the step that decided), in the order
/// of the steps.
pub fn bases() -> Vec<String> {
    wire(&[
        Basis::SelfAccess,
        Basis::Role,
        Basis::BreakGlass,
        Basis::Consent,
        Basis::Default,
    ])
}

/// The appointment kinds' wire names (`in_person`, `telehealth`).
pub fn appointment_kinds() -> Vec<String> {
    wire(&[AppointmentKind::InPerson, AppointmentKind::Telehealth])
}

/// The serde wire names of `items` (each serialises as a JSON string; any
/// other is left out), in their order.
pub fn wire<T: Serialize>(items: &[T]) -> Vec<String> {
    items
        .iter()
        .filter_map(|v| match serde_json::to_value(v) {
            Ok(Value::String(s)) => Some(s),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcas_core::consent::{Action, Effect};

    #[test]
    fn wire_names_are_the_serde_strings_in_order() {
        // CONSENT.md: the actions are `read` and `write`, the effects
        // `permit` and `deny`.
        assert_eq!(wire(Action::ALL), ["read", "write"]);
        assert_eq!(wire(&[Effect::Deny, Effect::Permit]), ["deny", "permit"]);
        // A value that is not a JSON string is left out.
        assert_eq!(wire(&[1, 2]), Vec::<String>::new());
    }

    #[test]
    fn consent_vocabularies_are_consent_md_s() {
        // docs/consent.md and index.d.ts: FHIR Consent statuses, the decision
        // steps in order (basis `break-glass`),
        // the two appointment kinds (`AppointmentKind`).
        assert_eq!(effects(), ["permit", "deny"]);
        assert_eq!(
            consent_statuses(),
            ["active", "inactive", "draft", "entered-in-error"]
        );
        assert_eq!(
            bases(),
            ["self", "role", "break-glass", "consent", "default"]
        );
        assert_eq!(appointment_kinds(), ["in_person", "telehealth"]);
        assert_eq!(REFUSAL_CHECKS.len(), 4);
    }
}
