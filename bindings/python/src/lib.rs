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
//! - the bookings ledger: `Booking`, `Conflict`, `Ledger` (`booking`), with
//!   statuses as the `enum.Enum` `hcas.Status` (values `STATUSES`);
//! - errors: `HcasError` and one subclass per error code (`errors`).
//!
//! The GIL is released (`Python::detach`) while the engine computes.

mod availability;
mod booking;
mod convert;
mod errors;
mod json;
mod recurrence;
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
    Ok(())
}
