//! `hcas.Zone`: an IANA time zone of the engine's embedded tz database.

use hcas_core::Zone;
use hcas_core::chrono::{NaiveDateTime, TimeDelta};
use pyo3::prelude::*;
use pyo3::types::PyDateTime;

use crate::convert;

/// An IANA time zone, resolved with the engine's embedded tz database
/// (`hcas.TZDB_VERSION`), not the system's.
///
/// `Zone("Europe/London")`, `Zone(ZoneInfo("Europe/London"))`; anywhere a zone
/// is asked for, an IANA name or a `ZoneInfo` does as well.
#[pyclass(name = "Zone", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyZone(pub(crate) Zone);

#[pymethods]
impl PyZone {
    #[new]
    fn new(name: &Bound<'_, PyAny>) -> PyResult<Self> {
        convert::zone(name, "zone").map(Self)
    }

    /// The IANA name, e.g. `"Europe/London"`.
    #[getter]
    fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The UTC offset in force at the instant `at` (an aware datetime).
    fn offset_at(&self, at: &Bound<'_, PyAny>) -> PyResult<TimeDelta> {
        let t = convert::instant(at, "at")?;
        Ok(TimeDelta::seconds(i64::from(self.0.offset_at(t))))
    }

    /// The wall time (a naive datetime) at the instant `at` (an aware datetime).
    fn to_local(&self, at: &Bound<'_, PyAny>) -> PyResult<NaiveDateTime> {
        let t = convert::instant(at, "at")?;
        Ok(self.0.to_local(t))
    }

    /// The instant (an aware datetime in UTC) of the wall time `local` (a
    /// naive datetime): a time in a DST gap moves forward by the gap, a time
    /// in a fold takes the earlier instant (RFC 5545's rule).
    fn resolve<'py>(
        &self,
        py: Python<'py>,
        local: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDateTime>> {
        let l = convert::local_datetime(local, "local")?;
        convert::to_datetime(py, self.0.resolve(l))
    }

    /// Pickled as its name.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (&'static str,)> {
        Ok((slf.get_type().into_any(), (slf.get().0.name(),)))
    }

    fn __repr__(&self) -> String {
        format!("hcas.Zone({:?})", self.0.name())
    }

    fn __str__(&self) -> &'static str {
        self.0.name()
    }
}
