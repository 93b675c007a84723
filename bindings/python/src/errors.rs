//! The one adapter from `hcas_core::Error` to Python: an `hcas.HcasError`
//! subclass per error family, carrying the stable `code` and the message.

use hcas_core::{Error, ErrorCode};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyType;

pyo3::create_exception!(
    hcas,
    HcasError,
    PyValueError,
    "Any error of the engine: `.code` is the stable code (docs/vectors.md), `.message` says what to fix."
);

/// Declares one subclass of `HcasError` per error code, and the table of them.
macro_rules! families {
    ($($code:ident => $name:ident: $doc:literal,)*) => {
        $(pyo3::create_exception!(hcas, $name, HcasError, $doc);)*

        /// The exception class of an error code.
        fn class_of(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
            match code {
                $(ErrorCode::$code => py.get_type::<$name>(),)*
                // A code added to the engine before this table knows it.
                _ => py.get_type::<HcasError>(),
            }
        }

        /// Add the base class and every family to the module, each class with
        /// its `code` as a class attribute.
        pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            let py = m.py();
            m.add("HcasError", py.get_type::<HcasError>())?;
            $(
                let class = py.get_type::<$name>();
                class.setattr("code", ErrorCode::$code.as_str())?;
                m.add(stringify!($name), class)?;
            )*
            Ok(())
        }
    };
}

families! {
    InvalidRrule => InvalidRruleError: "The RRULE text is malformed or breaks an RFC 5545 constraint (`invalid_rrule`).",
    InvalidTimezone => InvalidTimezoneError: "The time zone is not an IANA name the engine knows (`invalid_timezone`).",
    InvalidDatetime => InvalidDatetimeError: "A datetime, date or time is malformed, impossible, out of range, or naive where an instant is needed (`invalid_datetime`).",
    InvalidInterval => InvalidIntervalError: "An interval whose end is not after its start (`invalid_interval`).",
    InvalidDuration => InvalidDurationError: "A duration that is not a positive whole number of minutes, or a negative buffer, notice or horizon (`invalid_duration`).",
    InvalidWindow => InvalidWindowError: "A query window, or the work it implies, beyond the engine's documented maximum (`invalid_window`).",
    InvalidConsent => InvalidConsentError: "A consent resource that breaks the consent model (`invalid_consent`).",
    InvalidRequest => InvalidRequestError: "A structurally malformed request: a missing or unknown field, a wrong type (`invalid_request`).",
    InvalidTransition => InvalidTransitionError: "A lifecycle change not allowed from the current status (`invalid_transition`).",
    NotPermitted => NotPermittedError: "The actor's role may not make this change (`not_permitted`).",
    LimitExceeded => LimitExceededError: "An input beyond one of the engine's documented size limits (`limit_exceeded`).",
}

/// The Python exception for an engine error: its family's class, with
/// `.code` and `.message` on the instance and the message as `str(e)`.
pub(crate) fn to_py(err: &Error) -> PyErr {
    Python::attach(|py| {
        let e = PyErr::from_type(class_of(py, err.code()), (err.message().to_string(),));
        let value = e.value(py);
        // Setting attributes on a fresh exception instance cannot fail in
        // practice; if it did, the exception is still of the right class.
        let _ = value.setattr("code", err.code().as_str());
        let _ = value.setattr("message", err.message());
        e
    })
}

/// `hcas_core::Result` as a `PyResult`.
pub(crate) trait IntoPyResult<T> {
    /// Map the error through [`to_py`].
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for hcas_core::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}

/// An error of `code` raised by the binding itself (a Python value that
/// cannot become an engine value), with the same class and attributes.
pub(crate) fn error(code: ErrorCode, message: impl Into<String>) -> PyErr {
    to_py(&Error::new(code, message))
}
