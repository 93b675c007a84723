//! The constants the wrapper (`bindings/node/index.js`) reads when it loads,
//! each the engine's own list or value, as the napi addon answers them. The
//! vocabularies of areas this build leaves out (FHIR, the waitlist) are
//! here too: the wrapper freezes them at load time, and they are the
//! engine's facts whatever the build.

use hcas_core::ErrorCode;
use hcas_core::booking::Status;
use hcas_core::consent::{Action, Category, Purpose, Role};
use hcas_core::fhir::search::{self as fsearch, Prefix};
use hcas_core::fhir::{self, SlotStatus};
use hcas_core::lifecycle::Party;
use hcas_core::waitlist::MAX_HOLD_MINUTES;
use hcas_js_shapes::vocab::wire;
use wasm_bindgen::prelude::*;

/// `&'static str`s as owned strings.
fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// The vector kinds this engine evaluates (`hcas_core::wire::KINDS`).
#[wasm_bindgen]
pub fn kinds() -> Vec<String> {
    owned(hcas_core::wire::KINDS)
}

/// Every stable error code, in the engine's order (`hcas_core::ErrorCode::ALL`).
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}

/// The IANA tz database release embedded in the engine (`hcas_core::TZDB_VERSION`).
#[wasm_bindgen(js_name = tzdbVersion)]
pub fn tzdb_version() -> String {
    hcas_core::TZDB_VERSION.to_string()
}

/// This crate's version, which is the package's.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The wire names of every booking status, in the engine's order.
#[wasm_bindgen]
pub fn statuses() -> Vec<String> {
    Status::ALL.iter().map(|s| s.as_str().to_string()).collect()
}

/// How long an idempotency key is remembered, in seconds.
// A small whole number of seconds: exact in an f64 (a JS number).
#[allow(clippy::cast_precision_loss)]
#[wasm_bindgen(js_name = idempotencyTtlSeconds)]
pub fn idempotency_ttl_seconds() -> f64 {
    hcas_core::booking::IDEMPOTENCY_TTL as f64
}

/// The parties of a lifecycle change, in the engine's order.
#[wasm_bindgen]
pub fn parties() -> Vec<String> {
    Party::ALL.iter().map(|p| p.as_str().to_string()).collect()
}

/// The longest a waitlist hold may last, in minutes.
// A week of minutes: exact in an f64.
#[allow(clippy::cast_precision_loss)]
#[wasm_bindgen(js_name = maxHoldMinutes)]
pub fn max_hold_minutes() -> f64 {
    MAX_HOLD_MINUTES.get() as f64
}

/// The roles' wire names (`patient`, `doctor`, ...), in the engine's order.
#[wasm_bindgen]
pub fn roles() -> Vec<String> {
    wire(Role::ALL)
}

/// The data categories' wire names, in the engine's order.
#[wasm_bindgen]
pub fn categories() -> Vec<String> {
    wire(Category::ALL)
}

/// The actions' wire names (`read`, `write`).
#[wasm_bindgen]
pub fn actions() -> Vec<String> {
    wire(Action::ALL)
}

/// The purposes of use (HL7 v3 ActReason codes: `TREAT`, ...).
#[wasm_bindgen]
pub fn purposes() -> Vec<String> {
    wire(Purpose::ALL)
}

/// The effects' wire names (`permit`, `deny`).
#[wasm_bindgen]
pub fn effects() -> Vec<String> {
    hcas_js_shapes::vocab::effects()
}

/// The consent statuses' wire names; only `active` consents count.
#[wasm_bindgen(js_name = consentStatuses)]
pub fn consent_statuses() -> Vec<String> {
    hcas_js_shapes::vocab::consent_statuses()
}

/// The bases of an access decision, in the engine's order.
#[wasm_bindgen]
pub fn bases() -> Vec<String> {
    hcas_js_shapes::vocab::bases()
}

/// The appointment kinds' wire names.
#[wasm_bindgen(js_name = appointmentKinds)]
pub fn appointment_kinds() -> Vec<String> {
    hcas_js_shapes::vocab::appointment_kinds()
}

/// The `check` names of a booking refusal, in the order the checks are made
/// (the engine's serde tags of `Refusal`, as the napi addon lists them).
#[wasm_bindgen(js_name = refusalChecks)]
pub fn refusal_checks() -> Vec<String> {
    owned(&hcas_js_shapes::vocab::REFUSAL_CHECKS)
}

/// The wire names of every reason a start is not offered, in the engine's
/// order (`hcas_core::advice::Reason`'s serde tags;
/// `hcas_js_shapes::advice::REASONS`, which the napi addon lists too).
#[wasm_bindgen]
pub fn reasons() -> Vec<String> {
    owned(&hcas_js_shapes::advice::REASONS)
}

/// The FHIR Slot statuses, in the engine's order.
#[wasm_bindgen(js_name = slotStatuses)]
pub fn slot_statuses() -> Vec<String> {
    SlotStatus::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

/// The code system of the engine's error codes in FHIR OperationOutcomes.
#[wasm_bindgen(js_name = errorSystem)]
pub fn error_system() -> String {
    fhir::ERROR_SYSTEM.to_string()
}

/// The two-letter codes of the FHIR search prefixes, in the engine's order.
#[wasm_bindgen(js_name = searchPrefixes)]
pub fn search_prefixes() -> Vec<String> {
    Prefix::ALL.iter().map(|p| p.as_str().to_string()).collect()
}

/// The largest `_count` of a FHIR search page.
#[wasm_bindgen(js_name = maxCount)]
pub fn max_count() -> u32 {
    u32::try_from(fsearch::MAX_COUNT).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_are_the_engines_wire_names() {
        assert_eq!(kinds().len(), hcas_core::wire::KINDS.len());
        assert_eq!(error_codes().len(), ErrorCode::ALL.len());
        // Every enum lists each of its codes once and none is dropped.
        assert_eq!(roles().len(), Role::ALL.len());
        assert_eq!(categories().len(), Category::ALL.len());
        assert_eq!(purposes().len(), Purpose::ALL.len());
        assert_eq!(bases().len(), 5);
        assert!(effects().contains(&"permit".to_string()));
    }
}
