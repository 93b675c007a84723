//! `hcas-mobile`: the hcas engine for Android (Kotlin) and iOS (Swift)
//! through UniFFI (proc-macro mode). Conversions and error mapping only:
//! every answer is `hcas_core`'s.
//!
//! - the JSON level: [`evaluate`] over `hcas_core::wire::evaluate` and
//!   [`check_vector`] over `hcas_core::wire::check`, with the vector JSON
//!   shapes of `docs/vectors.md` as strings (apps bring their own JSON
//!   library);
//! - constants: [`kinds`], [`tzdb_version`], [`error_codes`], [`version`];
//! - the typed level (a start, `typed`): [`Zone`], [`Recurrence`] and
//!   [`Availability`], instants as the custom type `Timestamp` (Unix seconds;
//!   `java.time.Instant` in Kotlin);
//! - advice (`advice`): [`Availability`]'s `explain` (why a start is or is
//!   not offered: an [`Explanation`] with every [`Reason`]) and
//!   `explainWithLedger` (adding a [`Ledger`]'s conflicts) and
//!   `alternatives` (the nearest starts around a wanted one that the
//!   availability offers and a [`Ledger`] has room for);
//! - consent (`consent`, the shared `CONSENT.md`): [`decide`] answering a
//!   [`Decision`], [`booking_allowed`] answering a [`BookingVerdict`],
//!   [`CompiledConsents`] (one patient's consents compiled once for many
//!   offline decisions), the vocabularies as enums ([`Role`], [`Category`],
//!   [`Action`], [`Purpose`], ...), [`Consent`] and its parts as records, FHIR
//!   R4/R5 `Consent` JSON text through [`consent_from_fhir`] and
//!   [`consent_to_fhir`];
//! - FHIR R4 (`fhir`): `Slot` JSON text through [`slot_to_fhir`],
//!   [`slots_to_fhir`], [`slot_from_fhir`] ([`FhirSlot`]) and
//!   [`parse_slot_id`], and [`operation_outcome`];
//! - the bookings ledger (`ledger`): the [`Ledger`] object (insert, check,
//!   book with an idempotency key, hold, confirm, reschedule, move) with
//!   [`Booking`], [`BookingStatus`], [`Conflict`] and [`BookOutcome`];
//! - pooled availability (`pooled`): [`pooled_slots`] over several
//!   [`Availability`] objects, each start with the providers free at it;
//! - the lifecycle (`lifecycle`): [`transition`], [`Ledger::apply_transition`],
//!   [`legal_targets`], [`allowed_actors`], [`reason_required`],
//!   [`is_terminal`], with [`Party`] and [`LifecyclePolicy`];
//! - series (`series`): [`Ledger::plan_series`], [`Ledger::book_series`],
//!   [`Ledger::shift_series`], [`Ledger::cancel_series`] and the pure plans
//!   [`plan_series_shift`] / [`plan_series_cancel`], with occurrence results;
//! - errors: [`HcasError`], one variant per error family (`errors`).
//!
//! The Kotlin and Swift sources generated from this crate are committed under
//! `bindings/mobile/generated/` (`bindings/mobile/generate`).

mod advice;
mod consent;
mod errors;
mod fhir;
mod ledger;
mod lifecycle;
mod pooled;
mod series;
mod typed;

use hcas_core::ErrorCode;
use serde_json::Value;

pub use crate::advice::{Alternatives, Explanation, Reason, TimeInterval};
pub use crate::consent::{
    Accessor, Action, AppointmentKind, Basis, BookingQuestion, BookingVerdict, BreakGlass,
    Category, CompiledConsents, Consent, ConsentRequest, ConsentStatus, Decision, Effect,
    FhirVersion, Match, Period, Provision, Purpose, Refusal, Rights, Role, RolePolicy,
    booking_allowed, consent_from_fhir, consent_from_json, consent_to_fhir, decide,
    default_role_policy,
};
pub use crate::errors::HcasError;
pub use crate::fhir::{
    FhirSlot, SlotId, SlotStatus, appointment_from_fhir, appointment_to_fhir, fhir_slot_to_fhir,
    operation_outcome, parse_slot_id, slot_from_fhir, slot_to_fhir, slots_to_fhir,
};
pub use crate::ledger::{
    BookOutcome, Booking, BookingStatus, Conflict, Ledger, SeriesRef, booking_status_name,
    booking_status_parse,
};
pub use crate::lifecycle::{
    LifecyclePolicy, Party, TransitionOutcome, Transitioned, allowed_actors,
    default_lifecycle_policy, is_terminal, legal_targets, reason_required, transition,
};
pub use crate::pooled::{PooledSlot, pooled_slots};
pub use crate::series::{
    CancelResult, CancelledOccurrence, EditResult, EditScope, Move, OccurrenceResult, SeriesPolicy,
    SeriesResult, ShiftPlan, Skipped, plan_series_cancel, plan_series_shift,
};
pub use crate::typed::{Availability, Busy, Recurrence, WorkingHours, Zone};

uniffi::setup_scaffolding!();

/// Parse `text` as JSON; `invalid_request` naming `what` when it is not.
fn parse_json(text: &str, what: &str) -> Result<Value, HcasError> {
    serde_json::from_str(text).map_err(|e| {
        errors::error(
            ErrorCode::InvalidRequest,
            format!("{what} is not JSON text: {e}"),
        )
    })
}

/// Evaluate one input of `kind` (one of [`kinds`]) given as JSON text in its
/// vector shape (`docs/vectors.md`), and answer the output in the same shape
/// as compact JSON text.
///
/// # Errors
/// The engine's error for the input; `invalid_request` for text that is not
/// JSON or an unknown kind.
#[uniffi::export]
pub fn evaluate(kind: String, input_json: String) -> Result<String, HcasError> {
    let input = parse_json(&input_json, "input_json")?;
    let out = hcas_core::wire::evaluate(&kind, &input)?;
    Ok(out.to_string())
}

/// What a front door answered for one conformance vector: the output JSON
/// text, or the code of the error it got.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Answer {
    /// The output, as JSON text ([`evaluate`]'s answer).
    Output {
        /// The output object as JSON text.
        json: String,
    },
    /// The call failed with this error code (`HcasError`'s `code`).
    Failed {
        /// The stable error code.
        code: String,
    },
}

/// Judge `answer` to one conformance vector, `case_json` being the whole
/// vector file's text: `None` when it passes, else the failure line. This is
/// `hcas_core::wire::check`, the comparison every front door uses.
///
/// # Errors
/// `invalid_request` when `case_json` or an output's `json` is not JSON text.
#[uniffi::export]
pub fn check_vector(case_json: String, answer: Answer) -> Result<Option<String>, HcasError> {
    let case = parse_json(&case_json, "case_json")?;
    let verdict = match answer {
        Answer::Output { json } => {
            let out = parse_json(&json, "the answer's json")?;
            hcas_core::wire::check(&case, Ok(&out))
        }
        Answer::Failed { code } => hcas_core::wire::check(&case, Err(&code)),
    };
    Ok(verdict.err())
}

/// The vector kinds [`evaluate`] knows (`hcas_core::wire::KINDS`).
#[uniffi::export]
pub fn kinds() -> Vec<String> {
    hcas_core::wire::KINDS
        .iter()
        .map(|k| (*k).to_string())
        .collect()
}

/// The IANA tzdb release compiled into the engine (e.g. `2025b`); every zone
/// answer names it.
#[uniffi::export]
pub fn tzdb_version() -> String {
    hcas_core::TZDB_VERSION.to_string()
}

/// Every stable error code, in the engine's order (`hcas_core::ErrorCode`).
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}

/// This binding's version (the workspace's).
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn evaluate_answers_json_text_and_maps_errors() {
        // One hour of work 09:00-10:00 New York on 2026-03-09 (EDT since
        // 2026-03-08, UTC-4): one 60-minute slot at 13:00Z.
        let input = r#"{"timezone":"America/New_York",
            "rules":[{"rrule":"FREQ=DAILY","dtstart":"2026-03-01","start":"09:00","end":"10:00"}],
            "query":{"from":"2026-03-09T00:00:00Z","to":"2026-03-10T00:00:00Z","duration":60}}"#;
        let out: Value =
            serde_json::from_str(&evaluate("slots".into(), input.into()).unwrap()).unwrap();
        assert_eq!(out["slots"], serde_json::json!(["2026-03-09T13:00:00Z"]));

        let e = evaluate("slots".into(), "{nope".into()).unwrap_err();
        assert!(matches!(e, HcasError::InvalidRequest { .. }), "{e:?}");
        let e = evaluate("nope".into(), "{}".into()).unwrap_err();
        assert!(matches!(e, HcasError::InvalidRequest { .. }), "{e:?}");
        let bad_zone = input.replace("America/New_York", "Mars/Olympus_Mons");
        let e = evaluate("slots".into(), bad_zone).unwrap_err();
        assert!(matches!(e, HcasError::InvalidTimezone { .. }), "{e:?}");
        assert_eq!(e.code(), "invalid_timezone");
    }

    #[test]
    fn check_vector_passes_and_fails() {
        let case = r#"{"id":"v1","expect":{"n":2}}"#.to_string();
        let ok = Answer::Output {
            json: r#"{"n":2,"more":true}"#.into(),
        };
        assert_eq!(check_vector(case.clone(), ok).unwrap(), None);
        let wrong = Answer::Output {
            json: r#"{"n":3}"#.into(),
        };
        let line = check_vector(case.clone(), wrong).unwrap().unwrap();
        assert!(line.starts_with("v1: n: expected 2 got 3"), "{line}");
        let failed = Answer::Failed {
            code: "invalid_request".into(),
        };
        assert!(check_vector(case.clone(), failed).unwrap().is_some());

        let err_case = r#"{"id":"v2","expect_error":{"code":"invalid_rrule"}}"#.to_string();
        let failed = Answer::Failed {
            code: "invalid_rrule".into(),
        };
        assert_eq!(check_vector(err_case, failed).unwrap(), None);
        let e = check_vector("[".into(), Answer::Failed { code: "x".into() }).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }

    #[test]
    fn constants_are_the_engines() {
        assert_eq!(kinds(), hcas_core::wire::KINDS);
        assert_eq!(error_codes().len(), ErrorCode::ALL.len());
        assert_eq!(error_codes()[0], "invalid_rrule");
        assert_eq!(tzdb_version(), hcas_core::TZDB_VERSION);
    }
}
