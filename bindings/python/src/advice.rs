//! `hcas.Explanation`, `hcas.ExplanationReason`, `hcas.LedgerContext`,
//! `hcas.Alternatives` and the functions `explain_with_ledger` and
//! `alternatives`: why a start is not offered, and the nearest free ones
//! (`hcas_core::advice`). `Availability.explain` lives with `Availability`
//! (`availability.rs`) and answers through [`explain`]. The reason kinds are
//! the Python `enum.Enum` `hcas.Reason` (defined in `python/hcas/__init__.py`,
//! its values the engine's wire names).

use std::hash::{Hash, Hasher};

use hcas_core::advice::{
    self, AlternativeSearch, Alternatives, Explanation, LedgerContext, Reason,
};
use hcas_core::booking::Request;
use hcas_core::chrono::{NaiveDate, TimeDelta};
use hcas_core::{Availability, ErrorCode, Interval, SlotQuery, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyTuple};

use crate::availability::{PyAvailability, slot_query};
use crate::booking::{PyConflict, PyLedger};
use crate::convert;
use crate::errors::{IntoPyResult, error};

/// `[start, end)` as a (start, end) pair of aware UTC datetimes.
pub(crate) fn interval_pair<'py>(py: Python<'py>, iv: &Interval) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            convert::to_datetime(py, iv.start())?,
            convert::to_datetime(py, iv.end())?,
        ],
    )
}

/// The member of the `enum.Enum` `hcas.<name>` whose value is `value`.
pub(crate) fn enum_member<'py>(
    py: Python<'py>,
    name: &str,
    value: &str,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("hcas")?.getattr(name)?.call1((value,))
}

/// A dict in the engine's JSON shape of `what`, as `T`; a dict of another
/// shape is `invalid_request` naming what it should be.
fn from_wire<T>(
    data: &Bound<'_, PyAny>,
    what: &str,
    read: impl FnOnce(serde_json::Value) -> serde_json::Result<T>,
) -> PyResult<T> {
    let value = crate::json::to_json(data, "data")?;
    read(value).map_err(|e| {
        error(
            ErrorCode::InvalidRequest,
            format!("data is not the engine's JSON shape of {what}: {e}"),
        )
    })
}

/// One reason a start is not offered: `reason` says which (an
/// `hcas.Reason`), and the attributes that reason carries are set (the
/// others are `None`). From `Explanation.reasons`; `to_dict()` is the
/// engine's JSON shape.
#[pyclass(name = "ExplanationReason", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyReason(Reason);

impl Hash for PyReason {
    /// Its JSON text, which every field takes part in.
    fn hash<H: Hasher>(&self, state: &mut H) {
        serde_json::to_string(&self.0)
            .unwrap_or_default()
            .hash(state);
    }
}

impl PyReason {
    /// The wire name (`off_grid`), from the engine's JSON shape.
    fn wire_name(&self) -> String {
        serde_json::to_value(&self.0)
            .ok()
            .and_then(|v| v.get("reason").and_then(|r| r.as_str().map(String::from)))
            .unwrap_or_default()
    }
}

#[pymethods]
impl PyReason {
    /// Which reason, an `hcas.Reason`.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_member(py, "Reason", &self.wire_name())
    }

    /// `OUTSIDE_QUERY`: the query's start (the engine's `from`).
    #[getter]
    fn from_<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        let t = match &self.0 {
            Reason::OutsideQuery { from, .. } => Some(*from),
            _ => None,
        };
        convert::opt_datetime(py, t)
    }

    /// `OUTSIDE_QUERY`: the query's end (exclusive).
    #[getter]
    fn to<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        let t = match &self.0 {
            Reason::OutsideQuery { to, .. } => Some(*to),
            _ => None,
        };
        convert::opt_datetime(py, t)
    }

    /// `BEFORE_NOTICE`: the earliest start the notice allows.
    #[getter]
    fn earliest<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        let t = match &self.0 {
            Reason::BeforeNotice { earliest } => Some(*earliest),
            _ => None,
        };
        convert::opt_datetime(py, t)
    }

    /// `BEYOND_HORIZON`: starts must be before this.
    #[getter]
    fn latest<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        let t = match &self.0 {
            Reason::BeyondHorizon { latest } => Some(*latest),
            _ => None,
        };
        convert::opt_datetime(py, t)
    }

    /// `OUTSIDE_WORKING_HOURS`: the provider's local date at the start.
    #[getter]
    fn local_date(&self) -> Option<NaiveDate> {
        match &self.0 {
            Reason::OutsideWorkingHours { local_date, .. } => Some(*local_date),
            _ => None,
        }
    }

    /// `OUTSIDE_WORKING_HOURS`: whether a date override replaces that date's rules.
    #[getter]
    fn override_date(&self) -> Option<bool> {
        match &self.0 {
            Reason::OutsideWorkingHours { override_date, .. } => Some(*override_date),
            _ => None,
        }
    }

    /// `OUTSIDE_WORKING_HOURS`: the nearest working windows before and after
    /// (those there are), as (start, end) pairs of aware UTC datetimes.
    #[getter]
    fn nearest<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        match &self.0 {
            Reason::OutsideWorkingHours { nearest, .. } => {
                let pairs = nearest
                    .iter()
                    .map(|iv| interval_pair(py, iv))
                    .collect::<PyResult<Vec<_>>>()?;
                PyTuple::new(py, pairs).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// `DOES_NOT_FIT`, `OFF_GRID`: the merged working window, (start, end).
    #[getter]
    fn window<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        match &self.0 {
            Reason::DoesNotFit { window } | Reason::OffGrid { window, .. } => {
                interval_pair(py, window).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// `OFF_GRID`: the grid step, a `timedelta`.
    #[getter]
    fn step(&self) -> Option<TimeDelta> {
        match &self.0 {
            Reason::OffGrid { step, .. } => Some(TimeDelta::minutes(step.get())),
            _ => None,
        }
    }

    /// `OFF_GRID`: the grid point before the start.
    #[getter]
    fn previous<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        let t = match &self.0 {
            Reason::OffGrid { previous, .. } => Some(*previous),
            _ => None,
        };
        convert::opt_datetime(py, t)
    }

    /// `OFF_GRID`: the grid point after the start (it may not fit the window).
    #[getter]
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        let t = match &self.0 {
            Reason::OffGrid { next, .. } => Some(*next),
            _ => None,
        };
        convert::opt_datetime(py, t)
    }

    /// `BUSY`, `BUFFER`: the busy interval hit, (start, end).
    #[getter]
    fn interval<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        match &self.0 {
            Reason::Busy { interval } | Reason::Buffer { interval } => {
                interval_pair(py, interval).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// `CONFLICT`: the resource at capacity and the bookings taking it, an
    /// `hcas.Conflict`.
    #[getter]
    fn conflict<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.0 {
            Reason::Conflict(c) => py
                .get_type::<PyConflict>()
                .call1((c.resource.clone(), c.with.clone()))
                .map(Some),
            _ => Ok(None),
        }
    }

    /// The engine's JSON shape: `{"reason": "off_grid", "window": ..., ...}`
    /// (instants as text, the step in minutes).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(&self.0).map_err(|e| {
            error(
                ErrorCode::InvalidRequest,
                format!("unrepresentable reason: {e}"),
            )
        })?;
        crate::json::to_py(py, &v)
    }

    /// The reason `to_dict()` gave.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        from_wire(data, "a reason", serde_json::from_value).map(Self)
    }

    /// Pickled as its dict.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (Bound<'py, PyAny>,)> {
        let py = slf.py();
        convert::reduce_by(slf, "from_dict", (slf.get().to_dict(py)?,))
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.ExplanationReason {}>",
            serde_json::to_string(&self.0).unwrap_or_default()
        )
    }
}

/// Why a start is or is not offered: `start`, `offered` (exactly when
/// `reasons` is empty, and exactly when the same query's `slots()` has the
/// start) and every reason it is not, as `hcas.ExplanationReason`s.
#[pyclass(name = "Explanation", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyExplanation(Explanation);

impl Hash for PyExplanation {
    /// Its JSON text, which every field takes part in.
    fn hash<H: Hasher>(&self, state: &mut H) {
        serde_json::to_string(&self.0)
            .unwrap_or_default()
            .hash(state);
    }
}

#[pymethods]
impl PyExplanation {
    /// The start asked about (aware, UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.0.start)
    }

    /// Whether the slot engine offers it.
    #[getter]
    fn offered(&self) -> bool {
        self.0.offered
    }

    /// Every reason it is not offered, in the engine's order (empty when offered).
    #[getter]
    fn reasons<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.reasons.iter().cloned().map(PyReason))
    }

    /// The engine's JSON shape: `{"start": ..., "offered": ..., "reasons": [...]}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(&self.0).map_err(|e| {
            error(
                ErrorCode::InvalidRequest,
                format!("unrepresentable explanation: {e}"),
            )
        })?;
        crate::json::to_py(py, &v)
    }

    /// The explanation `to_dict()` gave; `offered` must be true exactly when
    /// `reasons` is empty.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let why: Explanation = from_wire(data, "an explanation", serde_json::from_value)?;
        if why.offered != why.reasons.is_empty() {
            return Err(error(
                ErrorCode::InvalidRequest,
                "data.offered must be true exactly when data.reasons is empty",
            ));
        }
        Ok(Self(why))
    }

    /// Pickled as its dict.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (Bound<'py, PyAny>,)> {
        let py = slf.py();
        convert::reduce_by(slf, "from_dict", (slf.get().to_dict(py)?,))
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .0
            .reasons
            .iter()
            .map(|r| PyReason(r.clone()).wire_name())
            .collect();
        let offered = convert::bool_repr(self.0.offered);
        format!(
            "<hcas.Explanation {} offered={offered} reasons={names:?}>",
            self.0.start
        )
    }
}

/// `Availability.explain`'s answer for the instant `at` under `query`, the
/// GIL released while the engine computes.
pub(crate) fn explain(
    py: Python<'_>,
    availability: &Availability,
    at: &Bound<'_, PyAny>,
    query: &SlotQuery,
) -> PyResult<PyExplanation> {
    let start = convert::instant(at, "at")?;
    py.detach(|| availability.explain(start, query))
        .py()
        .map(PyExplanation)
}

/// The ledger side of a question: the bookings of `ledger` (an
/// `hcas.Ledger`, read when asked, not copied), the `resources` the
/// appointment would use, and the aware instant `now` it is asked at (for
/// expiring holds).
#[pyclass(name = "LedgerContext", module = "hcas", frozen)]
pub(crate) struct PyLedgerContext {
    ledger: Py<PyLedger>,
    resources: Vec<String>,
    now: Timestamp,
}

#[pymethods]
impl PyLedgerContext {
    #[new]
    fn new(
        ledger: Bound<'_, PyLedger>,
        resources: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self {
            resources: convert::resources(resources, "resources")?,
            now: convert::instant(now, "now")?,
            ledger: ledger.unbind(),
        })
    }

    /// The ledger (the same object).
    #[getter]
    fn ledger(&self, py: Python<'_>) -> Py<PyLedger> {
        self.ledger.clone_ref(py)
    }

    /// The resources the appointment would use.
    #[getter]
    fn resources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.resources)
    }

    /// When it is asked (aware, UTC).
    #[getter]
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.now)
    }

    fn __repr__(&self) -> String {
        format!("<hcas.LedgerContext {:?} at {}>", self.resources, self.now)
    }
}

/// As `Availability.explain`, adding the conflicts `context`'s ledger has for
/// its resources (`CONFLICT` reasons, by resource). The GIL is released
/// while the engine computes.
#[pyfunction]
#[pyo3(signature = (
    availability, context, at, start, end, duration, *, step = None, buffer_before = None,
    buffer_after = None, now = None, min_notice = None, horizon = None
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn explain_with_ledger(
    py: Python<'_>,
    availability: &Bound<'_, PyAvailability>,
    context: &Bound<'_, PyLedgerContext>,
    at: &Bound<'_, PyAny>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    duration: &Bound<'_, PyAny>,
    step: Option<&Bound<'_, PyAny>>,
    buffer_before: Option<&Bound<'_, PyAny>>,
    buffer_after: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
    min_notice: Option<&Bound<'_, PyAny>>,
    horizon: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyExplanation> {
    let query = slot_query(
        start,
        end,
        duration,
        [step, buffer_before, buffer_after, now, min_notice, horizon],
    )?;
    let at = convert::instant(at, "at")?;
    let ctx = context.get();
    let ledger = ctx.ledger.bind(py).try_borrow()?;
    let avail = &availability.get().0;
    let (ledger, resources, asked) = (&ledger.0, &ctx.resources, ctx.now);
    py.detach(|| {
        let context = LedgerContext::new(ledger, resources, asked);
        advice::explain_with_ledger(avail, &context, at, &query)
    })
    .py()
    .map(PyExplanation)
}

/// Aware datetimes from any iterable (`None`: none), each named `name[i]`
/// in a refusal.
fn instants(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Vec<Timestamp>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(Vec::new()),
        Some(o) => o
            .try_iter()?
            .enumerate()
            .map(|(i, t)| convert::instant(&t?, &format!("{name}[{i}]")))
            .collect(),
    }
}

/// The nearest free starts around a request: `before` and `after` it,
/// nearest first, as aware UTC datetimes.
#[pyclass(name = "Alternatives", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyAlternatives {
    pub(crate) before: Vec<Timestamp>,
    pub(crate) after: Vec<Timestamp>,
}

impl From<Alternatives> for PyAlternatives {
    fn from(a: Alternatives) -> Self {
        Self {
            before: a.before,
            after: a.after,
        }
    }
}

#[pymethods]
impl PyAlternatives {
    #[new]
    #[pyo3(signature = (before = None, after = None))]
    fn new(before: Option<&Bound<'_, PyAny>>, after: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(Self {
            before: instants(before, "before")?,
            after: instants(after, "after")?,
        })
    }

    /// Free starts before the request's start, nearest first.
    #[getter]
    fn before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let items = self
            .before
            .iter()
            .map(|&t| convert::to_datetime(py, t))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items)
    }

    /// Free starts after the request's start, nearest first.
    #[getter]
    fn after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let items = self
            .after
            .iter()
            .map(|&t| convert::to_datetime(py, t))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (Bound<'py, PyTuple>, Bound<'py, PyTuple>)> {
        let (me, py) = (slf.get(), slf.py());
        convert::reduce_new(slf, (me.before(py)?, me.after(py)?))
    }

    pub(crate) fn __repr__(&self) -> String {
        let text =
            |v: &[Timestamp]| convert::list_repr(v.iter().map(|&t| convert::instant_repr(t)));
        format!(
            "hcas.Alternatives(before={}, after={})",
            text(&self.before),
            text(&self.after)
        )
    }
}

/// Up to `count` free starts before and after a request for `resources` over
/// `[start, end)` (aware datetimes), for the same resources and length:
/// inside `availability`'s working windows (on a grid of `step`, default the
/// request's length), free in `ledger` at the aware instant `now` (no start
/// before it), searched within `search_days` days either side (1 to 200,
/// default 7). Nearest first on each side. The GIL is released while the
/// engine computes.
#[pyfunction]
#[pyo3(signature = (
    availability, ledger, resources, start, end, *, now, count, step = None,
    search_days = AlternativeSearch::DEFAULT_SEARCH_DAYS
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn alternatives(
    py: Python<'_>,
    availability: &Bound<'_, PyAvailability>,
    ledger: &Bound<'_, PyLedger>,
    resources: &Bound<'_, PyAny>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
    count: i64,
    step: Option<&Bound<'_, PyAny>>,
    search_days: i64,
) -> PyResult<PyAlternatives> {
    let interval = Interval::new(
        convert::instant(start, "start")?,
        convert::instant(end, "end")?,
    )
    .py()?;
    let request = Request::new(convert::resources(resources, "resources")?, interval);
    // A negative count is as refused as 0, with the engine's message.
    let mut search = AlternativeSearch::new(
        convert::instant(now, "now")?,
        usize::try_from(count).unwrap_or(0),
    )
    .search_days(search_days);
    if let Some(step) = convert::opt_minutes(step, "step")? {
        search = search.step(step);
    }
    let ledger = ledger.try_borrow()?;
    let (avail, ledger) = (&availability.get().0, &ledger.0);
    py.detach(|| advice::alternatives(avail, ledger, &request, &search))
        .py()
        .map(PyAlternatives::from)
}
