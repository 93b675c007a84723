//! `hcas.Booking`, `hcas.Conflict`, `hcas.BookOutcome` and `hcas.Ledger`: the
//! bookings ledger, its conflict check and its atomic operations (book with
//! an idempotency key, hold, confirm, reschedule, move) of
//! `hcas_core::booking`. Statuses are the Python `enum.Enum` `hcas.Status`
//! (defined in `python/hcas/__init__.py`, its values the wire names of
//! `hcas.STATUSES`); an outcome's kind is `hcas.BookOutcomeKind`.

use std::hash::{Hash, Hasher};

use hcas_core::booking::{
    BookOptions, BookOutcome, Booking, CheckOptions, Conflict, HoldOptions, Ledger, Request,
    RescheduleOptions, Status,
};
use hcas_core::{Interval, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::convert;
use crate::errors::IntoPyResult;
use crate::series::{conflicts, conflicts_from};

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

/// Resource names from any iterable of `str` (here for `series` and
/// `fhir_ops`, which read them from this module).
pub(crate) use crate::convert::resources;

/// One booking: `id`, the `resources` it uses (`"provider:P1"`,
/// `"patient:X1"`, ...), `[start, end)` as aware datetimes, its `status`
/// (`Status.BOOKED` by default) and, for `Status.HELD`, when the hold lapses;
/// for an occurrence of a series, its `series` (`hcas.SeriesRef`); why it
/// was cancelled (`cancel_reason`); and, after a reschedule, the booking it
/// `replaces` and the one it was `replaced_by` (ids).
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
            &b.replaces,
            &b.replaced_by,
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
        cancel_reason = None, replaces = None, replaced_by = None
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
        replaces: Option<String>,
        replaced_by: Option<String>,
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
        if let Some(id) = replaces {
            b = b.replaces(id);
        }
        if let Some(id) = replaced_by {
            b = b.replaced_by(id);
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

    /// The id of the booking this one replaces (a reschedule), or `None`.
    #[getter]
    fn replaces(&self) -> Option<&str> {
        self.0.replaces.as_deref()
    }

    /// The id of the booking that replaced this one (a reschedule), or `None`.
    #[getter]
    fn replaced_by(&self) -> Option<&str> {
        self.0.replaced_by.as_deref()
    }

    /// Whether `other` (an `hcas.Booking`) asks for the same interval and
    /// resources: the test by which a repeated idempotency key is the same
    /// request (ids, statuses and links do not count).
    fn same_request(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.0.same_request(&self::booking(other, "other")?))
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
            Option<String>,
            Option<String>,
        ),
    > {
        let py = slf.py();
        let me = slf.get();
        convert::reduce_new(
            slf,
            (
                me.0.id.clone(),
                me.resources(py)?,
                me.start(py)?,
                me.end(py)?,
                me.0.status.as_str(),
                me.hold_expires(py)?,
                me.series(),
                me.0.cancel_reason.clone(),
                me.0.replaces.clone(),
                me.0.replaced_by.clone(),
            ),
        )
    }

    fn __repr__(&self) -> String {
        let b = &self.0;
        let quoted = |v: &Option<String>| v.as_ref().map(|v| format!("{v:?}"));
        format!(
            "hcas.Booking({:?}, {:?}, {}, {}, status={:?}{}{}{}{}{})",
            b.id,
            b.resources,
            convert::instant_repr(b.start),
            convert::instant_repr(b.end),
            b.status.as_str(),
            convert::kw_repr("hold_expires", b.hold_expires.map(convert::instant_repr)),
            convert::kw_repr("series", self.series().map(|s| s.__repr__())),
            convert::kw_repr("cancel_reason", quoted(&b.cancel_reason)),
            convert::kw_repr("replaces", quoted(&b.replaces)),
            convert::kw_repr("replaced_by", quoted(&b.replaced_by)),
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
        convert::reduce_new(slf, (me.resource.clone(), me.bookings.clone()))
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
        self.0.insert(self::booking(booking, "booking")?).py()
    }

    /// Book atomically at the aware instant `now`: check, then insert only
    /// when free (`BookOutcome` of kind `booked`, or `conflict` with every
    /// conflict, the ledger unchanged). With `idempotency_key`, a key seen
    /// within `hcas.IDEMPOTENCY_TTL` returns the booking it made (kind
    /// `existing`, nothing new written); the same key for a different
    /// interval or resources raises `InvalidRequestError`. A reused booking
    /// id raises `InvalidRequestError`. The GIL is released while the engine
    /// checks.
    #[pyo3(signature = (booking, *, now, idempotency_key = None))]
    fn book(
        &mut self,
        py: Python<'_>,
        booking: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        idempotency_key: Option<&str>,
    ) -> PyResult<PyBookOutcome> {
        let b = self::booking(booking, "booking")?;
        let options =
            BookOptions::at(convert::instant(now, "now")?).idempotency_key(idempotency_key);
        let ledger = &mut self.0;
        let out = py.detach(|| ledger.book(b, options)).py()?;
        Ok(out.into())
    }

    /// Place the hold `id` on `resources` over `[start, end)` at `now`: a
    /// tentative booking (`Status.HELD`) that blocks others until it lapses,
    /// at `expires` (an aware datetime after `now`) or after `length` (a
    /// `timedelta` of whole minutes); give exactly one of the two. Booked as
    /// `book` does: `BookOutcome` of kind `booked` (the hold) or `conflict`.
    #[pyo3(signature = (id, resources, start, end, *, now, expires = None, length = None))]
    #[allow(clippy::too_many_arguments)]
    fn hold(
        &mut self,
        py: Python<'_>,
        id: &str,
        resources: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        expires: Option<&Bound<'_, PyAny>>,
        length: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyBookOutcome> {
        let request = self::request(resources, start, end)?;
        let now = convert::instant(now, "now")?;
        let options = match (
            convert::opt_instant(expires, "expires")?,
            convert::opt_minutes(length, "length")?,
        ) {
            (Some(e), None) => HoldOptions::new(now, e),
            (None, Some(l)) => HoldOptions::lasting(now, l).py()?,
            _ => {
                return Err(crate::errors::error(
                    hcas_core::ErrorCode::InvalidRequest,
                    "give exactly one of expires (an aware datetime) and length (a timedelta) for a hold",
                ));
            }
        };
        let ledger = &mut self.0;
        let out = py.detach(|| ledger.hold(id, &request, options)).py()?;
        Ok(out.into())
    }

    /// Turn the live hold `id` into a booking at `now`, checked against
    /// everything but the hold itself in the same step (`BookOutcome` of
    /// kind `booked`, the booking now `Status.BOOKED`, or `conflict`). An
    /// unknown id or a booking that is not a hold raises
    /// `InvalidRequestError`; a lapsed hold `InvalidTransitionError`.
    #[pyo3(signature = (id, *, now))]
    fn confirm_hold(
        &mut self,
        py: Python<'_>,
        id: &str,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<PyBookOutcome> {
        let now = convert::instant(now, "now")?;
        let ledger = &mut self.0;
        let out = py.detach(|| ledger.confirm_hold(id, now)).py()?;
        Ok(out.into())
    }

    /// Reschedule the booking `id` to the `hcas.Booking` `new`: book `new`
    /// (its `replaces` set to `id`; the old booking does not count against
    /// it) and cancel `id` with `reason` as its `cancel_reason` and
    /// `replaced_by` set to `new.id`, or change nothing when `new`
    /// conflicts (`BookOutcome` of kind `booked`, the new booking, or
    /// `conflict`). Only proposed, pending, held or booked bookings can be
    /// rescheduled (`InvalidRequestError` otherwise, and for an unknown id).
    #[pyo3(signature = (id, new, *, now, reason))]
    fn reschedule(
        &mut self,
        py: Python<'_>,
        id: &str,
        new: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        reason: &str,
    ) -> PyResult<PyBookOutcome> {
        let new = self::booking(new, "new")?;
        let options = RescheduleOptions::new(convert::instant(now, "now")?, reason);
        let ledger = &mut self.0;
        let out = py.detach(|| ledger.reschedule(id, new, options)).py()?;
        Ok(out.into())
    }

    /// Move the booking `id` to `[start, end)` (same resources, same id),
    /// checked against everything but itself at `now` (`BookOutcome` of
    /// kind `booked`, the moved booking, or `conflict`, nothing moved). An
    /// unknown id raises `InvalidRequestError`.
    #[pyo3(signature = (id, start, end, *, now))]
    fn move_booking(
        &mut self,
        py: Python<'_>,
        id: &str,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<PyBookOutcome> {
        let to = Interval::new(
            convert::instant(start, "start")?,
            convert::instant(end, "end")?,
        )
        .py()?;
        let now = convert::instant(now, "now")?;
        let ledger = &mut self.0;
        let out = py.detach(|| ledger.move_booking(id, to, now)).py()?;
        Ok(out.into())
    }

    /// The bookings that block `resource` at `now` and overlap
    /// `[start, end)`, by start (touching is not overlapping).
    #[pyo3(signature = (resource, start, end, *, now))]
    fn blocking_on(
        &self,
        resource: &str,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PyBooking>> {
        let window = Interval::new(
            convert::instant(start, "start")?,
            convert::instant(end, "end")?,
        )
        .py()?;
        let now = convert::instant(now, "now")?;
        Ok(self
            .0
            .blocking_on(resource, &window, now)
            .into_iter()
            .cloned()
            .map(PyBooking)
            .collect())
    }

    /// Forget every idempotency key first used at or before
    /// `now - hcas.IDEMPOTENCY_TTL` (`book` does it itself; this prunes
    /// without booking).
    fn expire_idempotency_keys(&mut self, now: &Bound<'_, PyAny>) -> PyResult<()> {
        self.0
            .expire_idempotency_keys(convert::instant(now, "now")?);
        Ok(())
    }

    /// How many idempotency keys the ledger remembers.
    fn idempotency_keys(&self) -> usize {
        self.0.idempotency_keys()
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
    /// booked), by resource name. Touching is not overlapping. `exclude`:
    /// the id of a booking to ignore (one being moved or confirmed);
    /// `extra`: `hcas.Booking`s to count as if they were in the ledger.
    /// Changes nothing. The GIL is released while the engine checks.
    #[pyo3(signature = (resources, start, end, now, *, exclude = None, extra = None))]
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        py: Python<'_>,
        resources: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        exclude: Option<&str>,
        extra: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyConflict>> {
        let request = self::request(resources, start, end)?;
        let now: Timestamp = convert::instant(now, "now")?;
        let extra: Vec<Booking> = match extra.filter(|e| !e.is_none()) {
            Some(items) => items
                .try_iter()?
                .map(|b| self::booking(&b?, "extra"))
                .collect::<PyResult<_>>()?,
            None => Vec::new(),
        };
        let mut options = CheckOptions::at(now).extra(&extra);
        if let Some(id) = exclude {
            options = options.exclude(id);
        }
        let ledger = &self.0;
        let check = py.detach(|| ledger.check_with(&request, options)).py()?;
        Ok(conflicts(check.conflicts))
    }

    fn __repr__(&self) -> String {
        format!("<hcas.Ledger of {} bookings>", self.0.len())
    }
}

/// A core booking from an `hcas.Booking` (anything else is refused, naming
/// `name`).
pub(crate) fn booking(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Booking> {
    obj.cast::<PyBooking>()
        .map(|b| b.get().0.clone())
        .map_err(|_| {
            crate::errors::error(
                hcas_core::ErrorCode::InvalidRequest,
                format!("{name} must be an hcas.Booking"),
            )
        })
}

/// A request for `resources` over `[start, end)` (aware datetimes).
fn request(
    resources: &Bound<'_, PyAny>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
) -> PyResult<Request> {
    let interval = Interval::new(
        convert::instant(start, "start")?,
        convert::instant(end, "end")?,
    )
    .py()?;
    Ok(Request::new(
        self::resources(resources, "resources")?,
        interval,
    ))
}

/// The wire names of the kinds of `BookOutcome` (`hcas.BookOutcomeKind`'s
/// values), as the engine's JSON `outcome` tag.
const BOOKED: &str = "booked";
/// An idempotent repeat: the booking the key made before.
const EXISTING: &str = "existing";
/// Not booked: conflicts stand in the way.
const CONFLICT: &str = "conflict";

/// What a booking operation of the ledger did (`hcas_core::booking::BookOutcome`):
/// `kind` is an `hcas.BookOutcomeKind`: `BOOKED` (written now; `booking`
/// is what was written), `EXISTING` (an idempotency key seen before:
/// `booking` is the one it made, nothing new was written) or `CONFLICT`
/// (nothing written; `conflicts` lists every conflicting resource with
/// every booking on it in the way). `ok` is whether there is a booking.
#[pyclass(name = "BookOutcome", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyBookOutcome {
    kind: &'static str,
    booking: Option<PyBooking>,
    conflicts: Vec<PyConflict>,
}

impl From<BookOutcome> for PyBookOutcome {
    fn from(o: BookOutcome) -> Self {
        match o {
            BookOutcome::Booked(b) => Self {
                kind: BOOKED,
                booking: Some(PyBooking(b)),
                conflicts: Vec::new(),
            },
            BookOutcome::Existing(b) => Self {
                kind: EXISTING,
                booking: Some(PyBooking(b)),
                conflicts: Vec::new(),
            },
            BookOutcome::Conflict(cs) => Self {
                kind: CONFLICT,
                booking: None,
                conflicts: conflicts(cs),
            },
        }
    }
}

impl PyBookOutcome {
    /// The engine's value.
    fn core(&self) -> BookOutcome {
        match (&self.booking, self.kind) {
            (Some(b), EXISTING) => BookOutcome::Existing(b.0.clone()),
            (Some(b), _) => BookOutcome::Booked(b.0.clone()),
            (None, _) => BookOutcome::Conflict(
                self.conflicts
                    .iter()
                    .map(|c| Conflict::new(c.resource.clone(), c.bookings.clone()))
                    .collect(),
            ),
        }
    }
}

#[pymethods]
impl PyBookOutcome {
    #[new]
    #[pyo3(signature = (kind, booking = None, conflicts = None))]
    fn new(
        kind: &Bound<'_, PyAny>,
        booking: Option<&Bound<'_, PyAny>>,
        conflicts: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let text = crate::lifecycle::wire_name(kind, "kind", "BookOutcomeKind")?;
        let booking = booking
            .filter(|b| !b.is_none())
            .map(|b| self::booking(b, "booking").map(PyBooking))
            .transpose()?;
        let conflicts = conflicts
            .filter(|c| !c.is_none())
            .map(|c| conflicts_from(c, "conflicts"))
            .transpose()?
            .unwrap_or_default();
        let refuse = |m: &str| {
            Err(crate::errors::error(
                hcas_core::ErrorCode::InvalidRequest,
                m.to_string(),
            ))
        };
        let kind = match text.as_str() {
            BOOKED => BOOKED,
            EXISTING => EXISTING,
            CONFLICT => CONFLICT,
            other => {
                return refuse(&format!(
                    "kind: `{other}` is not a book outcome; give booked, existing or conflict"
                ));
            }
        };
        match (kind, &booking, conflicts.is_empty()) {
            (CONFLICT, None, false) | (BOOKED | EXISTING, Some(_), true) => Ok(Self {
                kind,
                booking,
                conflicts,
            }),
            (CONFLICT, _, _) => {
                refuse("a conflict outcome takes conflicts (at least one) and no booking")
            }
            _ => refuse("a booked or existing outcome takes a booking and no conflicts"),
        }
    }

    /// What happened: an `hcas.BookOutcomeKind`.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::lifecycle::member(py, "BookOutcomeKind", self.kind)
    }

    /// The booking written now (`BOOKED`) or before (`EXISTING`); `None`
    /// for `CONFLICT`.
    #[getter]
    fn booking(&self) -> Option<PyBooking> {
        self.booking.clone()
    }

    /// For `CONFLICT`: every conflicting resource (by name) with the
    /// bookings in the way; else empty.
    #[getter]
    fn conflicts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.conflicts.clone())
    }

    /// Whether there is a booking (`BOOKED` or `EXISTING`), i.e. not `CONFLICT`.
    #[getter]
    fn ok(&self) -> bool {
        self.booking.is_some()
    }

    /// The engine's JSON shape: `{"outcome": "booked", ..the booking}`,
    /// `{"outcome": "existing", ..}` or `{"outcome": "conflict",
    /// "conflicts": [{"resource": ..., "with": [...]}]}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(self.core()).map_err(|e| {
            crate::errors::error(hcas_core::ErrorCode::InvalidRequest, e.to_string())
        })?;
        crate::json::to_py(py, &v)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (&'static str, Option<PyBooking>, Vec<PyConflict>)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.kind, me.booking.clone(), me.conflicts.clone()))
    }

    fn __repr__(&self) -> String {
        match &self.booking {
            Some(b) => format!("hcas.BookOutcome({:?}, {})", self.kind, b.__repr__()),
            None => format!(
                "hcas.BookOutcome(\"conflict\", conflicts={})",
                convert::list_repr(self.conflicts.iter().map(PyConflict::__repr__))
            ),
        }
    }
}

/// The wire names of every status, in `Status::ALL`'s order.
pub(crate) fn statuses() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.as_str()).collect()
}
