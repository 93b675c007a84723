//! `hcas.Booking`, `hcas.Conflict` and `hcas.Ledger`: the bookings ledger and
//! its conflict check (`hcas_core::booking`). Statuses are the Python
//! `enum.Enum` `hcas.Status` (defined in `python/hcas/__init__.py`, its values
//! the wire names of `hcas.STATUSES`).

use std::hash::{Hash, Hasher};

use hcas_core::booking::{Booking, Conflict, Ledger, Request, Status};
use hcas_core::{Interval, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::convert;
use crate::errors::IntoPyResult;

/// A status: an `hcas.Status` member or its wire name (`"checked-in"`).
pub(crate) fn status(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Status> {
    let text = if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else {
        obj.getattr("value")
            .and_then(|v| v.extract::<String>())
            .map_err(|_| {
                crate::errors::error(
                    hcas_core::ErrorCode::InvalidRequest,
                    format!("{name} must be an hcas.Status or its name, e.g. \"booked\""),
                )
            })?
    };
    Status::parse(&text).map_err(|e| e.at(name)).py()
}

/// `status` as its `hcas.Status` member.
pub(crate) fn status_to_py(py: Python<'_>, status: Status) -> PyResult<Bound<'_, PyAny>> {
    py.import("hcas")?
        .getattr("Status")?
        .call1((status.as_str(),))
}

/// Resource names from any iterable of `str` (a lone `str` is refused: it
/// would read as its characters).
pub(crate) fn resources(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    let refuse = || {
        crate::errors::error(
            hcas_core::ErrorCode::InvalidRequest,
            format!("{name} must be a list of resource names, e.g. [\"provider:P1\"]"),
        )
    };
    if obj.is_instance_of::<PyString>() {
        return Err(refuse());
    }
    obj.try_iter()
        .map_err(|_| refuse())?
        .map(|r| r.and_then(|r| r.extract::<String>()).map_err(|_| refuse()))
        .collect()
}

/// One booking: `id`, the `resources` it uses (`"provider:P1"`,
/// `"patient:X1"`, ...), `[start, end)` as aware datetimes, its `status`
/// (`Status.BOOKED` by default) and, for `Status.HELD`, when the hold lapses;
/// for an occurrence of a series, its `series` (`hcas.SeriesRef`), and why it
/// was cancelled (`cancel_reason`).
#[pyclass(name = "Booking", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyBooking(pub(crate) Booking);

impl Hash for PyBooking {
    /// The fields this binding sets (the rest stay at their defaults).
    fn hash<H: Hasher>(&self, state: &mut H) {
        let b = &self.0;
        (
            &b.id,
            b.start,
            b.end,
            b.status,
            b.hold_expires,
            &b.resources,
            &b.cancel_reason,
            b.series.as_ref().map(|s| (&s.id, &s.recurrence_id)),
        )
            .hash(state);
    }
}

#[pymethods]
impl PyBooking {
    #[new]
    #[pyo3(signature = (
        id, resources, start, end, status = None, hold_expires = None, series = None,
        cancel_reason = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: String,
        resources: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        status: Option<&Bound<'_, PyAny>>,
        hold_expires: Option<&Bound<'_, PyAny>>,
        series: Option<&Bound<'_, PyAny>>,
        cancel_reason: Option<String>,
    ) -> PyResult<Self> {
        let resources = self::resources(resources, "resources")?;
        let interval = Interval::new(
            convert::instant(start, "start")?,
            convert::instant(end, "end")?,
        )
        .py()?;
        let mut b = Booking::new(id, resources, interval);
        if let Some(s) = status.filter(|s| !s.is_none()) {
            b = b.status(self::status(s, "status")?);
        }
        if let Some(e) = convert::opt_instant(hold_expires, "hold_expires")? {
            b = b.hold_until(e);
        }
        if let Some(s) = series.filter(|s| !s.is_none()) {
            b = b.series(crate::series::series_ref(s, "series")?);
        }
        if let Some(r) = cancel_reason {
            b = b.cancel_reason(r);
        }
        b.build().py().map(Self)
    }

    /// The booking's id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The resources it uses, as given.
    #[getter]
    fn resources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.resources)
    }

    /// Its start (aware, UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(convert::to_datetime(py, self.0.start)?.into_any())
    }

    /// Its end (aware, UTC), after the start.
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(convert::to_datetime(py, self.0.end)?.into_any())
    }

    /// Its status, an `hcas.Status`.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status_to_py(py, self.0.status)
    }

    /// For a hold: when it lapses (aware, UTC); else `None`.
    #[getter]
    fn hold_expires<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0
            .hold_expires
            .map(|t| Ok(convert::to_datetime(py, t)?.into_any()))
            .transpose()
    }

    /// The series occurrence it is (`hcas.SeriesRef`: series id and
    /// recurrence id), or `None`.
    #[getter]
    fn series(&self) -> Option<crate::series::PySeriesRef> {
        self.0.series.as_ref().map(crate::series::PySeriesRef::from)
    }

    /// Why it was cancelled (or entered in error), or `None`.
    #[getter]
    fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }

    /// Whether it occupies its resources at the aware instant `now` (a hold
    /// only until it lapses).
    fn blocks(&self, now: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.0.blocks(convert::instant(now, "now")?))
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            String,
            Bound<'py, PyTuple>,
            Bound<'py, PyAny>,
            Bound<'py, PyAny>,
            &'static str,
            Option<Bound<'py, PyAny>>,
            Option<crate::series::PySeriesRef>,
            Option<String>,
        ),
    > {
        let py = slf.py();
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (
                me.0.id.clone(),
                me.resources(py)?,
                me.start(py)?,
                me.end(py)?,
                me.0.status.as_str(),
                me.hold_expires(py)?,
                me.series(),
                me.0.cancel_reason.clone(),
            ),
        ))
    }

    fn __repr__(&self) -> String {
        let hold = self
            .0
            .hold_expires
            .map(|t| format!(", hold_expires={:?}", t.to_string()))
            .unwrap_or_default();
        let series = self
            .series()
            .map(|s| format!(", series={}", s.__repr__()))
            .unwrap_or_default();
        let reason = self
            .0
            .cancel_reason
            .as_ref()
            .map(|r| format!(", cancel_reason={r:?}"))
            .unwrap_or_default();
        format!(
            "hcas.Booking({:?}, {:?}, {:?}, {:?}, status={:?}{hold}{series}{reason})",
            self.0.id,
            self.0.resources,
            self.0.start.to_string(),
            self.0.end.to_string(),
            self.0.status.as_str()
        )
    }
}

/// One conflicting resource and the ids of the blocking bookings on it that
/// overlap the request (sorted).
#[pyclass(name = "Conflict", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyConflict {
    pub(crate) resource: String,
    pub(crate) bookings: Vec<String>,
}

#[pymethods]
impl PyConflict {
    #[new]
    fn new(resource: String, bookings: &Bound<'_, PyAny>) -> PyResult<Self> {
        let c = Conflict::new(resource, self::resources(bookings, "bookings")?);
        Ok(Self {
            resource: c.resource,
            bookings: c.with,
        })
    }

    /// The resource taken.
    #[getter]
    fn resource(&self) -> &str {
        &self.resource
    }

    /// The ids of the bookings that take it, sorted.
    #[getter]
    fn bookings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.bookings)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (String, Vec<String>)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (me.resource.clone(), me.bookings.clone()),
        ))
    }

    fn __repr__(&self) -> String {
        format!("hcas.Conflict({:?}, {:?})", self.resource, self.bookings)
    }
}

/// The bookings ledger: bookings indexed by resource, resource capacities
/// (1 by default), and the conflict check. Mutable (it is state, not a
/// value): equal only to itself, not picklable.
#[pyclass(name = "Ledger", module = "hcas")]
#[derive(Default)]
pub(crate) struct PyLedger(pub(crate) Ledger);

#[pymethods]
impl PyLedger {
    #[new]
    #[pyo3(signature = (bookings = None))]
    fn new(bookings: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut me = Self::default();
        if let Some(items) = bookings.filter(|b| !b.is_none()) {
            for b in items.try_iter()? {
                me.insert(&b?)?;
            }
        }
        Ok(me)
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    /// Add a booking without a conflict check (loading existing data); a
    /// duplicate id raises `InvalidRequestError`.
    fn insert(&mut self, booking: &Bound<'_, PyAny>) -> PyResult<()> {
        let b = booking.cast::<PyBooking>().map_err(|_| {
            crate::errors::error(
                hcas_core::ErrorCode::InvalidRequest,
                "booking must be an hcas.Booking",
            )
        })?;
        self.0.insert(b.get().0.clone()).py()
    }

    /// The booking with this id, or `None`.
    fn get(&self, id: &str) -> Option<PyBooking> {
        self.0.get(id).cloned().map(PyBooking)
    }

    /// Take the booking with this id out of the ledger (`None` if there is none).
    fn remove(&mut self, id: &str) -> Option<PyBooking> {
        self.0.remove(id).map(PyBooking)
    }

    /// Every booking, ordered by start, then id.
    fn bookings(&self) -> Vec<PyBooking> {
        let mut all: Vec<_> = self.0.bookings().cloned().collect();
        all.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        all.into_iter().map(PyBooking).collect()
    }

    /// Let `capacity` bookings overlap on `resource` (at least 1).
    fn set_capacity(&mut self, resource: &str, capacity: u32) -> PyResult<()> {
        self.0.set_capacity(resource, capacity).py()
    }

    /// The capacity of `resource` (1 unless set).
    fn capacity(&self, resource: &str) -> u32 {
        self.0.capacity(resource)
    }

    /// The conflicts that stand in the way of booking `resources` over
    /// `[start, end)` at the aware instant `now` (an empty list: it can be
    /// booked), by resource name. Touching is not overlapping. The GIL is
    /// released while the engine checks.
    fn check(
        &self,
        py: Python<'_>,
        resources: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PyConflict>> {
        let interval = Interval::new(
            convert::instant(start, "start")?,
            convert::instant(end, "end")?,
        )
        .py()?;
        let request = Request::new(self::resources(resources, "resources")?, interval);
        let now: Timestamp = convert::instant(now, "now")?;
        let ledger = &self.0;
        let check = py.detach(|| ledger.check(&request, now)).py()?;
        Ok(check
            .conflicts
            .into_iter()
            .map(|c| PyConflict {
                resource: c.resource,
                bookings: c.with,
            })
            .collect())
    }

    fn __repr__(&self) -> String {
        format!("<hcas.Ledger of {} bookings>", self.0.len())
    }
}

/// The wire names of every status, in `Status::ALL`'s order.
pub(crate) fn statuses() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.as_str()).collect()
}
