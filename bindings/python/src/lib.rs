//! `hcas._hcas`, the native module of the Python package `hcas`
//! (`bindings/python/hcas/` re-exports it). Conversions and error mapping
//! only: every answer is `hcas_core`'s.
//!
//! - the dict level: [`evaluate`] over `hcas_core::wire::evaluate` (the
//!   vector JSON shapes of `docs/vectors.md`) and [`check_vector`] over
//!   `hcas_core::wire::check`, the comparison every front door uses;
//! - the typed level: `Zone`, `Recurrence` (+ its lazy `Occurrences`),
//!   `WorkingRule`, `DateOverride` and `Availability`, with aware `datetime`s
//!   in and out and `timedelta` durations (`convert`);
//! - the bookings ledger: `Booking`, `Conflict`, `Ledger` and its booking
//!   operations' `BookOutcome` (`booking`), with statuses as the `enum.Enum`
//!   `hcas.Status` (values `STATUSES`);
//! - errors: `HcasError` and one subclass per error code (`errors`).
//!
//! The GIL is released (`Python::detach`) while the engine computes.

mod advice;
mod availability;
mod booking;
mod consent;
mod convert;
mod errors;
mod fhir;
mod fhir_ops;
mod json;
mod lifecycle;
mod recurrence;
mod series;
mod waitlist;
mod zone;

use hcas_core::Timestamp;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::errors::IntoPyResult;

/// What `__reduce__` answers: the class and its constructor's arguments
/// (pickling and `copy` rebuild a value through its constructor).
type Reduced<'py, A> = PyResult<(Bound<'py, PyAny>, A)>;

/// Instants as a list of aware UTC datetimes.
fn datetimes<'py>(py: Python<'py>, items: &[Timestamp]) -> PyResult<Bound<'py, PyList>> {
    convert::datetimes(py, items)
}

/// Instants as an `array.array("q")` of Unix seconds: one Python object for
/// the lot (`numpy.frombuffer(a, dtype="int64")` reads it without a copy).
fn epoch_array<'py>(py: Python<'py>, items: &[Timestamp]) -> PyResult<Bound<'py, PyAny>> {
    convert::epoch_array(py, items)
}

/// Evaluate one input of `kind` (`hcas.KINDS`) in its vector JSON shape
/// (`docs/vectors.md`) and answer in the same shape, as dicts. Errors are
/// `HcasError` subclasses. The GIL is released while the engine computes.
#[pyfunction]
fn evaluate<'py>(
    py: Python<'py>,
    kind: &str,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let input = json::to_json(input, "input")?;
    let out = py.detach(|| hcas_core::wire::evaluate(kind, &input)).py()?;
    json::to_py(py, &out)
}

/// Judge a front door's answer to one conformance vector `case` (the whole
/// vector as a dict): `answer` is the output dict, or the error code (str)
/// that was raised. `None` when it passes, else the failure line. This is
/// `hcas_core::wire::check`, the comparison every front door uses.
#[pyfunction]
fn check_vector(case: &Bound<'_, PyAny>, answer: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let case = json::to_json(case, "case")?;
    let verdict = if let Ok(code) = answer.cast::<PyString>() {
        hcas_core::wire::check(&case, Err(&code.to_cow()?))
    } else {
        let out = json::to_json(answer, "answer")?;
        hcas_core::wire::check(&case, Ok(&out))
    };
    Ok(verdict.err())
}

/// The native module.
#[pymodule]
fn _hcas(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(check_vector, m)?)?;
    m.add_function(wrap_pyfunction!(availability::pooled_slots, m)?)?;
    m.add("KINDS", hcas_core::wire::KINDS.to_vec())?;
    m.add("TZDB_VERSION", hcas_core::TZDB_VERSION)?;
    m.add(
        "ERROR_CODES",
        hcas_core::ErrorCode::ALL
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
    )?;
    m.add("STATUSES", booking::statuses())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<zone::PyZone>()?;
    m.add_class::<recurrence::PyRecurrence>()?;
    m.add_class::<recurrence::PyOccurrences>()?;
    m.add_class::<availability::PyWorkingRule>()?;
    m.add_class::<availability::PyDateOverride>()?;
    m.add_class::<availability::PyAvailability>()?;
    m.add_class::<booking::PyBooking>()?;
    m.add_class::<booking::PyConflict>()?;
    m.add_class::<booking::PyLedger>()?;
    // consent
    m.add_class::<consent::PyPeriod>()?;
    m.add_class::<consent::PyMatch>()?;
    m.add_class::<consent::PyProvision>()?;
    m.add_class::<consent::PyConsent>()?;
    m.add_class::<consent::PyAccessor>()?;
    m.add_class::<consent::PyBreakGlass>()?;
    m.add_class::<consent::PyConsentRequest>()?;
    m.add_class::<consent::PyRights>()?;
    m.add_class::<consent::PyRolePolicy>()?;
    m.add_class::<consent::PyDecision>()?;
    m.add_class::<consent::PyBookingQuestion>()?;
    m.add_class::<consent::PyRefusal>()?;
    m.add_class::<consent::PyBookingVerdict>()?;
    m.add_class::<consent::PyCompiledConsents>()?;
    m.add_function(wrap_pyfunction!(consent::decide, m)?)?;
    m.add_function(wrap_pyfunction!(consent::booking_allowed, m)?)?;
    m.add("CONSENT_VOCABULARY", consent::vocabulary(m.py())?)?;
    m.add("AUDIT_BREAK_GLASS", hcas_core::consent::AUDIT_BREAK_GLASS)?;
    m.add(
        "BREAK_GLASS_SECONDS",
        hcas_core::consent::BREAK_GLASS_SECONDS,
    )?;
    m.add(
        "MAX_PROVISION_DEPTH",
        hcas_core::consent::MAX_PROVISION_DEPTH,
    )?;
    m.add("TELEHEALTH_LABEL", hcas_core::consent::TELEHEALTH_LABEL)?;
    m.add(
        "BOOKING_PURPOSE",
        hcas_core::consent::BOOKING_PURPOSE.as_str(),
    )?;
    // advice
    m.add_class::<advice::PyExplanation>()?;
    m.add_class::<advice::PyReason>()?;
    m.add_class::<advice::PyLedgerContext>()?;
    m.add_class::<advice::PyAlternatives>()?;
    m.add_function(wrap_pyfunction!(advice::explain_with_ledger, m)?)?;
    m.add_function(wrap_pyfunction!(advice::alternatives, m)?)?;
    // fhir
    m.add("SLOT_STATUSES", fhir::slot_statuses())?;
    m.add("ERROR_SYSTEM", hcas_core::fhir::ERROR_SYSTEM)?;
    m.add_class::<fhir::PyFhirSlot>()?;
    m.add_class::<fhir::PyScheduleAvailability>()?;
    m.add_class::<fhir::PyFhirSchedule>()?;
    m.add_class::<fhir::PySearchEntry>()?;
    m.add_class::<fhir::PyAuditFacts>()?;
    m.add_class::<fhir::PyRecurrenceTemplate>()?;
    m.add_class::<fhir::PyFhirSeries>()?;
    m.add_function(wrap_pyfunction!(fhir::series_from_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::series_to_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::appointment_to_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::appointment_from_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::occurrence_to_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::recurrence_numbers, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::slot_to_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::slots_to_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::slot_from_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::parse_slot_id, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::schedule_to_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::schedule_from_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::searchset, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::searchset_page, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::operation_outcome, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::conflict_outcome, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::audit_event_to_fhir, m)?)?;
    // series, lifecycle, waitlist
    m.add("PARTIES", lifecycle::parties())?;
    m.add_class::<lifecycle::PyLifecyclePolicy>()?;
    m.add_class::<lifecycle::PyTransitionRequest>()?;
    m.add_class::<lifecycle::PyOutcome>()?;
    m.add_class::<lifecycle::PyTransitioned>()?;
    m.add_function(wrap_pyfunction!(lifecycle::transition, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::apply, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::legal_targets, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::allowed_actors, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::reason_required, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::is_terminal, m)?)?;
    m.add_class::<series::PySeriesRef>()?;
    m.add_class::<series::PySeriesSpec>()?;
    m.add_class::<series::PyOccurrenceResult>()?;
    m.add_class::<series::PySeriesResult>()?;
    m.add_class::<series::PyWallShift>()?;
    m.add_class::<series::PySeriesEdit>()?;
    m.add_class::<series::PySeriesCancel>()?;
    m.add_class::<series::PySkipped>()?;
    m.add_class::<series::PyEditResult>()?;
    m.add_class::<series::PyCancelledOccurrence>()?;
    m.add_class::<series::PyCancelResult>()?;
    m.add_class::<series::PyMove>()?;
    m.add_class::<series::PyShiftPlan>()?;
    m.add_function(wrap_pyfunction!(series::shift_occurrences, m)?)?;
    m.add_function(wrap_pyfunction!(series::cancel_occurrences, m)?)?;
    m.add_function(wrap_pyfunction!(series::plan_shift, m)?)?;
    m.add_function(wrap_pyfunction!(series::plan_cancel, m)?)?;
    m.add_function(wrap_pyfunction!(series::series_bookings, m)?)?;
    m.add_class::<waitlist::PyPreferences>()?;
    m.add_class::<waitlist::PyWaitEntry>()?;
    m.add_class::<waitlist::PyOffer>()?;
    m.add_class::<waitlist::PyWaitlist>()?;
    m.add_function(wrap_pyfunction!(waitlist::make_hold, m)?)?;
    // ledger
    m.add_class::<booking::PyBookOutcome>()?;
    m.add_function(wrap_pyfunction!(fhir::series_conflict_outcome, m)?)?;
    // fhir operation and search
    m.add("SEARCH_PREFIXES", fhir_ops::prefixes())?;
    m.add("MAX_COUNT", hcas_core::fhir::search::MAX_COUNT)?;
    m.add_class::<fhir_ops::PyParameter>()?;
    m.add_class::<fhir_ops::PyProposal>()?;
    m.add_class::<fhir_ops::PyDateParam>()?;
    m.add_class::<fhir_ops::PyTokenParam>()?;
    m.add_class::<fhir_ops::PyReferenceParam>()?;
    m.add_function(wrap_pyfunction!(fhir_ops::read_parameters, m)?)?;
    m.add_function(wrap_pyfunction!(fhir_ops::proposal_id, m)?)?;
    m.add_function(wrap_pyfunction!(fhir_ops::parse_proposal_id, m)?)?;
    m.add_function(wrap_pyfunction!(fhir_ops::proposed_appointment, m)?)?;
    m.add_function(wrap_pyfunction!(fhir_ops::parse_count, m)?)?;
    m.add(
        "IDEMPOTENCY_TTL",
        hcas_core::chrono::TimeDelta::seconds(hcas_core::booking::IDEMPOTENCY_TTL),
    )?;
    Ok(())
}
