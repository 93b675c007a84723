//! `hcas.WorkingRule`, `hcas.DateOverride` and `hcas.Availability`: one
//! provider's hours and busy time, and the slots they offer.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hcas_core::chrono::NaiveDate;
use hcas_core::{
    Availability, DateOverride, Interval, LocalTime, LocalWindow, RRule, SlotQuery, WorkingRule,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::convert;
use crate::errors::IntoPyResult;
use crate::zone::PyZone;

/// A start and an end (`time` or `"HH:MM"` text; the end may be `"24:00"`).
fn window(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<LocalWindow> {
    let (start, end): (Bound<'_, PyAny>, Bound<'_, PyAny>) = obj.extract().map_err(|_| {
        crate::errors::error(
            hcas_core::ErrorCode::InvalidRequest,
            format!("{name} must be a (start, end) pair"),
        )
    })?;
    let start = convert::local_time(&start, &format!("{name}.start"), false)?;
    let end = convert::local_time(&end, &format!("{name}.end"), true)?;
    LocalWindow::new(start, end).map_err(|e| e.at(name)).py()
}

fn items<'py>(obj: Option<&Bound<'py, PyAny>>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(Vec::new()),
        Some(o) => o.try_iter()?.collect(),
    }
}

fn time_text(t: LocalTime) -> String {
    t.to_string()
}

/// Working hours repeating on days: an RRULE of days (`FREQ=WEEKLY;BYDAY=MO,WE`)
/// from the local date `dtstart`, open from `start` to `end` wall time
/// (`datetime.time` or `"HH:MM"`; `end` may be `"24:00"`, and an end at or
/// before the start runs into the next day).
#[pyclass(name = "WorkingRule", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyWorkingRule(pub(crate) WorkingRule);

impl Hash for PyWorkingRule {
    /// The parts `WorkingRule`'s equality compares.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.rrule().hash(state);
        self.0.dtstart().hash(state);
        self.0.window().hash(state);
    }
}

#[pymethods]
impl PyWorkingRule {
    #[new]
    #[pyo3(signature = (rrule, start, end, dtstart))]
    fn new(
        rrule: &str,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        dtstart: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let rule = RRule::parse(rrule).map_err(|e| e.at("rrule")).py()?;
        let dtstart = convert::local_date(dtstart, "dtstart")?;
        let start = convert::local_time(start, "start", false)?;
        let end = convert::local_time(end, "end", true)?;
        WorkingRule::new(rule, dtstart, start, end).py().map(Self)
    }

    /// The rule, as normalised RRULE text.
    #[getter]
    fn rrule(&self) -> String {
        self.0.rrule().to_string()
    }

    /// The local date the rule starts on.
    #[getter]
    fn dtstart(&self) -> NaiveDate {
        self.0.dtstart()
    }

    /// The opening wall time, `"HH:MM"` (or `"HH:MM:SS"`).
    #[getter]
    fn start(&self) -> String {
        time_text(self.0.window().start())
    }

    /// The closing wall time, `"HH:MM"` (`"24:00"` for the end of the day).
    #[getter]
    fn end(&self) -> String {
        time_text(self.0.window().end())
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, String, String, NaiveDate)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.rrule(), me.start(), me.end(), me.dtstart()))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.WorkingRule({:?}, {:?}, {:?}, dtstart=datetime.date({}))",
            self.0.rrule().to_string(),
            self.start(),
            self.end(),
            self.0.dtstart().format("%Y, %-m, %-d"),
        )
    }
}

/// Different hours on one local date: `windows` of (start, end) wall times
/// replace every rule window starting that day; no windows: closed.
#[pyclass(name = "DateOverride", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyDateOverride(pub(crate) DateOverride);

#[pymethods]
impl PyDateOverride {
    #[new]
    #[pyo3(signature = (date, windows = None))]
    fn new(date: &Bound<'_, PyAny>, windows: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let date = convert::local_date(date, "date")?;
        let windows = items(windows)?
            .iter()
            .enumerate()
            .map(|(i, w)| window(w, &format!("windows[{i}]")))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Self(DateOverride::hours(date, windows)))
    }

    /// The local date.
    #[getter]
    fn date(&self) -> NaiveDate {
        self.0.date()
    }

    /// The windows, as (start, end) `"HH:MM"` pairs.
    #[getter]
    fn windows(&self) -> Vec<(String, String)> {
        self.0
            .windows()
            .iter()
            .map(|w| (time_text(w.start()), time_text(w.end())))
            .collect()
    }

    /// Whether the date is closed (no windows).
    #[getter]
    fn closed(&self) -> bool {
        self.0.is_closed()
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (NaiveDate, Vec<(String, String)>)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.date(), me.windows()))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.DateOverride(datetime.date({}), {:?})",
            self.0.date().format("%Y, %-m, %-d"),
            self.windows()
        )
    }
}

/// One provider's availability in a zone: working rules, date overrides and
/// busy time ((start, end) pairs of aware datetimes, merged).
#[pyclass(name = "Availability", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyAvailability(pub(crate) Arc<Availability>);

impl Hash for PyAvailability {
    /// The parts `Availability`'s equality compares.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let a = &self.0;
        a.zone().hash(state);
        for r in a.rules() {
            PyWorkingRule(r.clone()).hash(state);
        }
        a.overrides().hash(state);
        a.busy().intervals().hash(state);
    }
}

fn busy_list(busy: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Interval>> {
    items(busy)?
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            let name = format!("busy[{i}]");
            let (s, e): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract().map_err(|_| {
                crate::errors::error(
                    hcas_core::ErrorCode::InvalidRequest,
                    format!("{name} must be a (start, end) pair of aware datetimes"),
                )
            })?;
            let start = convert::instant(&s, &format!("{name}.start"))?;
            let end = convert::instant(&e, &format!("{name}.end"))?;
            Interval::new(start, end).map_err(|e| e.at(&name)).py()
        })
        .collect()
}

#[pymethods]
impl PyAvailability {
    #[new]
    #[pyo3(signature = (zone, rules = None, overrides = None, busy = None))]
    fn new(
        zone: &Bound<'_, PyAny>,
        rules: Option<&Bound<'_, PyAny>>,
        overrides: Option<&Bound<'_, PyAny>>,
        busy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let zone = convert::zone(zone, "zone")?;
        let rules = items(rules)?
            .iter()
            .map(|r| Ok(r.cast::<PyWorkingRule>()?.get().0.clone()))
            .collect::<PyResult<Vec<_>>>()?;
        let overrides = items(overrides)?
            .iter()
            .map(|o| Ok(o.cast::<PyDateOverride>()?.get().0.clone()))
            .collect::<PyResult<Vec<_>>>()?;
        let busy = busy_list(busy)?;
        let avail = Availability::from_parts(zone, rules, overrides, busy);
        avail.check_limits().py()?;
        Ok(Self(Arc::new(avail)))
    }

    /// The zone of the working rules.
    #[getter]
    fn zone(&self) -> PyZone {
        PyZone(self.0.zone())
    }

    /// The working rules, in the order given.
    #[getter]
    fn rules(&self) -> Vec<PyWorkingRule> {
        self.0.rules().iter().cloned().map(PyWorkingRule).collect()
    }

    /// The date overrides, by date.
    #[getter]
    fn overrides(&self) -> Vec<PyDateOverride> {
        self.0
            .overrides()
            .iter()
            .cloned()
            .map(PyDateOverride)
            .collect()
    }

    /// The busy time, merged, as (start, end) pairs of aware UTC datetimes.
    #[getter]
    fn busy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let pairs = self
            .0
            .busy()
            .intervals()
            .iter()
            .map(|iv| {
                PyTuple::new(
                    py,
                    [
                        convert::to_datetime(py, iv.start())?,
                        convert::to_datetime(py, iv.end())?,
                    ],
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, pairs)
    }

    /// A copy with more busy time ((start, end) pairs of aware datetimes).
    fn with_busy(&self, busy: &Bound<'_, PyAny>) -> PyResult<Self> {
        let busy = busy_list(Some(busy))?;
        let avail = (*self.0).clone().with_busy(busy);
        avail.check_limits().py()?;
        Ok(Self(Arc::new(avail)))
    }

    /// The slot starts (aware UTC datetimes) in `[start, end)` for
    /// appointments of `duration`: on a grid of `step` (default: the
    /// duration) from each window's start, with `buffer_before`/`buffer_after`
    /// kept free around them, at least `min_notice` after `now` and within
    /// `horizon` of it. Durations are `timedelta`s of whole minutes. The GIL
    /// is released while the engine computes.
    #[pyo3(signature = (
        start, end, duration, *, step = None, buffer_before = None, buffer_after = None,
        now = None, min_notice = None, horizon = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn slots<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        duration: &Bound<'py, PyAny>,
        step: Option<&Bound<'py, PyAny>>,
        buffer_before: Option<&Bound<'py, PyAny>>,
        buffer_after: Option<&Bound<'py, PyAny>>,
        now: Option<&Bound<'py, PyAny>>,
        min_notice: Option<&Bound<'py, PyAny>>,
        horizon: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let query = QueryArgs {
            start,
            end,
            duration,
            step,
            buffer_before,
            buffer_after,
            now,
            min_notice,
            horizon,
        }
        .build()?;
        let avail = &self.0;
        let got = py.detach(|| avail.slots(&query)).py()?;
        crate::datetimes(py, &got)
    }

    /// As `slots`, as an `array.array("q")` of Unix seconds (no Python
    /// object per slot; zero-copy into numpy with `numpy.frombuffer`).
    #[pyo3(signature = (
        start, end, duration, *, step = None, buffer_before = None, buffer_after = None,
        now = None, min_notice = None, horizon = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn slots_epoch<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        duration: &Bound<'py, PyAny>,
        step: Option<&Bound<'py, PyAny>>,
        buffer_before: Option<&Bound<'py, PyAny>>,
        buffer_after: Option<&Bound<'py, PyAny>>,
        now: Option<&Bound<'py, PyAny>>,
        min_notice: Option<&Bound<'py, PyAny>>,
        horizon: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let query = QueryArgs {
            start,
            end,
            duration,
            step,
            buffer_before,
            buffer_after,
            now,
            min_notice,
            horizon,
        }
        .build()?;
        let avail = &self.0;
        let got = py.detach(|| avail.slots(&query)).py()?;
        crate::epoch_array(py, &got)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, Bound<'py, PyTuple>> {
        let (me, py) = (slf.get(), slf.py());
        let args = (me.0.zone().name(), me.rules(), me.overrides(), me.busy(py)?);
        convert::reduce_new(slf, args.into_pyobject(py)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Availability({:?}, rules={}, overrides={}, busy={})",
            self.0.zone().name(),
            convert::list_repr(self.rules().iter().map(PyWorkingRule::__repr__)),
            convert::list_repr(self.overrides().iter().map(PyDateOverride::__repr__)),
            convert::list_repr(self.0.busy().intervals().iter().map(convert::interval_repr))
        )
    }

    /// Why the aware instant `at` is (not) among `slots(start, end,
    /// duration, ...)` with the same arguments: an `hcas.Explanation` with
    /// every reason (`hcas_core`'s `Availability::explain`; `at` is its
    /// `start`). The GIL is released while the engine computes.
    #[pyo3(signature = (
        at, start, end, duration, *, step = None, buffer_before = None, buffer_after = None,
        now = None, min_notice = None, horizon = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn explain(
        &self,
        py: Python<'_>,
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
    ) -> PyResult<crate::advice::PyExplanation> {
        let query = slot_query(
            start,
            end,
            duration,
            [step, buffer_before, buffer_after, now, min_notice, horizon],
        )?;
        crate::advice::explain(py, &self.0, at, &query)
    }
}

/// The keyword arguments of a slot query, as given.
struct QueryArgs<'a, 'py> {
    start: &'a Bound<'py, PyAny>,
    end: &'a Bound<'py, PyAny>,
    duration: &'a Bound<'py, PyAny>,
    step: Option<&'a Bound<'py, PyAny>>,
    buffer_before: Option<&'a Bound<'py, PyAny>>,
    buffer_after: Option<&'a Bound<'py, PyAny>>,
    now: Option<&'a Bound<'py, PyAny>>,
    min_notice: Option<&'a Bound<'py, PyAny>>,
    horizon: Option<&'a Bound<'py, PyAny>>,
}

impl QueryArgs<'_, '_> {
    /// The engine's `SlotQuery` (buffers and notice default to zero); the
    /// engine validates it first thing in each query.
    fn build(&self) -> PyResult<SlotQuery> {
        let mut query = SlotQuery::new(
            convert::instant(self.start, "start")?,
            convert::instant(self.end, "end")?,
            convert::minutes(self.duration, "duration")?,
        );
        let zero = hcas_core::Minutes::new(0);
        query.step = convert::opt_minutes(self.step, "step")?;
        query.buffer_before =
            convert::opt_minutes(self.buffer_before, "buffer_before")?.unwrap_or(zero);
        query.buffer_after =
            convert::opt_minutes(self.buffer_after, "buffer_after")?.unwrap_or(zero);
        query.now = convert::opt_instant(self.now, "now")?;
        query.min_notice = convert::opt_minutes(self.min_notice, "min_notice")?.unwrap_or(zero);
        query.horizon = convert::opt_minutes(self.horizon, "horizon")?;
        Ok(query)
    }
}

/// Pooled slots ("any doctor of this specialty"): the query of
/// `Availability.slots` over several providers at once, answering each start
/// (an aware UTC datetime) with the indexes of the providers free at it, in
/// the order given. The GIL is released while the engine computes.
#[pyfunction]
#[pyo3(signature = (
    providers, start, end, duration, *, step = None, buffer_before = None, buffer_after = None,
    now = None, min_notice = None, horizon = None
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn pooled_slots<'py>(
    py: Python<'py>,
    providers: &Bound<'py, PyAny>,
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
    duration: &Bound<'py, PyAny>,
    step: Option<&Bound<'py, PyAny>>,
    buffer_before: Option<&Bound<'py, PyAny>>,
    buffer_after: Option<&Bound<'py, PyAny>>,
    now: Option<&Bound<'py, PyAny>>,
    min_notice: Option<&Bound<'py, PyAny>>,
    horizon: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let pool: Vec<Arc<Availability>> = items(Some(providers))?
        .iter()
        .map(|p| Ok(Arc::clone(&p.cast::<PyAvailability>()?.get().0)))
        .collect::<PyResult<_>>()?;
    let query = QueryArgs {
        start,
        end,
        duration,
        step,
        buffer_before,
        buffer_after,
        now,
        min_notice,
        horizon,
    }
    .build()?;
    let got = py.detach(|| hcas_core::pooled_slots(&pool, &query)).py()?;
    let rows = got
        .iter()
        .map(|(t, free)| {
            PyTuple::new(
                py,
                [
                    convert::to_datetime(py, t)?.into_any(),
                    PyTuple::new(py, free.iter().copied())?.into_any(),
                ],
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, rows)
}

/// The `SlotQuery` of `slots`' arguments: `start`, `end`, `duration`, then
/// `[step, buffer_before, buffer_after, now, min_notice, horizon]` as given
/// (shared with `advice`, whose calls take the same query).
pub(crate) fn slot_query<'py>(
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
    duration: &Bound<'py, PyAny>,
    options: [Option<&Bound<'py, PyAny>>; 6],
) -> PyResult<SlotQuery> {
    let [step, buffer_before, buffer_after, now, min_notice, horizon] = options;
    QueryArgs {
        start,
        end,
        duration,
        step,
        buffer_before,
        buffer_after,
        now,
        min_notice,
        horizon,
    }
    .build()
}
