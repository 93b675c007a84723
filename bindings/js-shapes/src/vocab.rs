//! The vocabularies the wrappers read when they load, as the engine's wire
//! names.

use serde::Serialize;
use serde_json::Value;

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
}
