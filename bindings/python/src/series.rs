//! Recurring series of appointments (`hcas_core::series`): `hcas.SeriesSpec`
//! (plan and book against an `hcas.Ledger`), its answers `OccurrenceResult`
//! and `SeriesResult`, and the RFC 5545 edits: `SeriesRef`, `WallShift`,
//! `SeriesEdit`, `SeriesCancel`, with `shift_occurrences`,
//! `cancel_occurrences`, their plans `plan_shift` / `plan_cancel`
//! (`ShiftPlan`, `Move`) and answers (`EditResult`, `CancelResult`,
//! `CancelledOccurrence`, `Skipped`), and `series_bookings`. The booking
//! policy and the edit scope are the Python `enum.Enum`s `hcas.SeriesPolicy`
//! and `hcas.EditScope` (their values the engine's wire names).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hcas_core::advice::{AlternativeSearch, Alternatives};
use hcas_core::booking::{Booking, SeriesRef, Status};
use hcas_core::chrono::{NaiveDateTime, TimeDelta};
use hcas_core::lifecycle::Outcome;
use hcas_core::series::{
    self, EditScope, SeriesBookOptions, SeriesCancel, SeriesEdit, SeriesPolicy, SeriesSpec,
    WallShift,
};
use hcas_core::{Error, ErrorCode, Minutes, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyList, PyString, PyTuple};

use crate::advice::PyAlternatives;
use crate::availability::PyAvailability;
use crate::booking::{PyBooking, PyConflict, resources, status, status_to_py};
use crate::convert;
use crate::errors::{IntoPyResult, error, to_py};
use crate::lifecycle::{
    PyLifecyclePolicy, delta, ledger, member, outcomes, outcomes_to_py, party, party_to_py,
    wire_name,
};
use crate::recurrence::PyRecurrence;
use crate::zone::PyZone;

/// A recurrence id as text: `YYYY-MM-DDTHH:MM:SS` (the engine's form).
fn recurrence_text(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A `SeriesPolicy` from an `hcas.SeriesPolicy` member or its wire name.
fn series_policy(obj: Option<&Bound<'_, PyAny>>) -> PyResult<SeriesPolicy> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(SeriesPolicy::AllOrNothing);
    };
    match wire_name(obj, "policy", "SeriesPolicy")?.as_str() {
        "all_or_nothing" => Ok(SeriesPolicy::AllOrNothing),
        "book_free" => Ok(SeriesPolicy::BookFree),
        other => Err(error(
            ErrorCode::InvalidRequest,
            format!("policy: `{other}` is not a series policy; give all_or_nothing or book_free"),
        )),
    }
}

/// The wire name of an edit scope (`hcas.EditScope`'s values).
const fn scope_name(scope: EditScope) -> &'static str {
    match scope {
        EditScope::This => "this",
        EditScope::ThisAndFollowing => "this_and_following",
        EditScope::All => "all",
    }
}

/// An `EditScope` from an `hcas.EditScope` member or its wire name.
fn scope(obj: &Bound<'_, PyAny>) -> PyResult<EditScope> {
    match wire_name(obj, "scope", "EditScope")?.as_str() {
        "this" => Ok(EditScope::This),
        "this_and_following" => Ok(EditScope::ThisAndFollowing),
        "all" => Ok(EditScope::All),
        other => Err(error(
            ErrorCode::InvalidRequest,
            format!("scope: `{other}` is not an edit scope; give this, this_and_following or all"),
        )),
    }
}

/// One occurrence of a series: the series `id` and the occurrence's
/// `recurrence_id`, its original local start (`RFC 5545 RECURRENCE-ID`) as
/// `"YYYY-MM-DDTHH:MM:SS"` text; a naive `datetime` is accepted for it too.
/// It names the occurrence even after the occurrence is moved.
#[pyclass(name = "SeriesRef", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PySeriesRef {
    id: String,
    recurrence_id: String,
}

impl From<&SeriesRef> for PySeriesRef {
    fn from(s: &SeriesRef) -> Self {
        Self {
            id: s.id.clone(),
            recurrence_id: s.recurrence_id.clone(),
        }
    }
}

impl PySeriesRef {
    fn core(&self) -> SeriesRef {
        SeriesRef::new(self.id.clone(), self.recurrence_id.clone())
    }
}

/// An `hcas.SeriesRef`, or an `invalid_request` error naming `name`.
pub(crate) fn series_ref(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<SeriesRef> {
    obj.cast::<PySeriesRef>()
        .map(|s| s.get().core())
        .map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                format!("{name} must be an hcas.SeriesRef"),
            )
        })
}

#[pymethods]
impl PySeriesRef {
    #[new]
    fn new(id: String, recurrence_id: &Bound<'_, PyAny>) -> PyResult<Self> {
        let recurrence_id = if let Ok(s) = recurrence_id.cast::<PyString>() {
            s.to_cow()?.into_owned()
        } else {
            recurrence_text(convert::local_datetime(recurrence_id, "recurrence_id")?)
        };
        Ok(Self { id, recurrence_id })
    }

    /// The series id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// The occurrence's original local start, `"YYYY-MM-DDTHH:MM:SS"`.
    #[getter]
    fn recurrence_id(&self) -> &str {
        &self.recurrence_id
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (String, String)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (me.id.clone(), me.recurrence_id.clone()),
        ))
    }

    pub(crate) fn __repr__(&self) -> String {
        format!("hcas.SeriesRef({:?}, {:?})", self.id, self.recurrence_id)
    }
}

/// A recurring appointment to book: series `id` (`[A-Za-z0-9.-]{1,48}`), an
/// `hcas.Recurrence` (rule, wall-time dtstart, zone, EXDATEs, RDATEs), the
/// `duration` of each occurrence (a `timedelta` of whole minutes), the
/// `resources` each uses, and, for a rule with neither COUNT nor UNTIL, the
/// exclusive end `until` (an aware datetime). Checked when its occurrences
/// are listed, planned or booked. Occurrence booking ids are
/// `<id>.<YYYYMMDDTHHMMSS>` of their recurrence id.
#[pyclass(name = "SeriesSpec", module = "hcas", frozen, eq, hash)]
#[derive(Clone)]
pub(crate) struct PySeriesSpec(pub(crate) SeriesSpec);

impl PartialEq for PySeriesSpec {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        a.id == b.id
            && a.recurrence == b.recurrence
            && a.duration == b.duration
            && a.resources == b.resources
            && a.until == b.until
    }
}

impl Eq for PySeriesSpec {}

impl Hash for PySeriesSpec {
    /// The parts equality compares (the recurrence as `hcas.Recurrence` hashes it).
    fn hash<H: Hasher>(&self, state: &mut H) {
        let s = &self.0;
        (&s.id, s.duration, &s.resources, s.until).hash(state);
        PyRecurrence(Arc::new(s.recurrence.clone())).hash(state);
    }
}

/// Occurrence answers as a list of `hcas.OccurrenceResult`s.
fn occurrence_results(results: Vec<series::OccurrenceResult>) -> Vec<PyOccurrenceResult> {
    results.into_iter().map(PyOccurrenceResult::from).collect()
}

#[pymethods]
impl PySeriesSpec {
    #[new]
    #[pyo3(signature = (id, recurrence, duration, resources, until = None))]
    fn new(
        id: String,
        recurrence: &Bound<'_, PyAny>,
        duration: &Bound<'_, PyAny>,
        resources: &Bound<'_, PyAny>,
        until: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let rec = recurrence.cast::<PyRecurrence>().map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                "recurrence must be an hcas.Recurrence",
            )
        })?;
        let mut spec = SeriesSpec::new(
            id,
            (*rec.get().0).clone(),
            convert::minutes(duration, "duration")?,
            self::resources(resources, "resources")?,
        );
        if let Some(u) = convert::opt_instant(until, "until")? {
            spec = spec.until(u);
        }
        Ok(Self(spec))
    }

    /// The series id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The recurrence.
    #[getter]
    fn recurrence(&self) -> PyRecurrence {
        PyRecurrence(Arc::new(self.0.recurrence.clone()))
    }

    /// The length of each occurrence.
    #[getter]
    fn duration(&self) -> TimeDelta {
        TimeDelta::minutes(self.0.duration.get())
    }

    /// The resources every occurrence uses, as given.
    #[getter]
    fn resources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.resources)
    }

    /// The exclusive end of an open-ended rule (aware, UTC), or `None`.
    #[getter]
    fn until<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0
            .until
            .map(|t| Ok(convert::to_datetime(py, t)?.into_any()))
            .transpose()
    }

    /// Validate and list the occurrences, by start: `(recurrence id as a
    /// naive wall time, start, end)` with aware UTC instants. The rule's
    /// instances (to `until`) and every RDATE, less the EXDATEs. Raises
    /// `InvalidDurationError` for a duration that is not positive,
    /// `InvalidRequestError` for a bad series id, no resources, an
    /// open-ended rule without `until`, or more than 1000 occurrences. The
    /// GIL is released while the engine computes.
    #[allow(clippy::type_complexity)]
    fn occurrences<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<
        Vec<(
            NaiveDateTime,
            Bound<'py, PyDateTime>,
            Bound<'py, PyDateTime>,
        )>,
    > {
        let spec = &self.0;
        let got = py.detach(|| spec.occurrences()).py()?;
        got.into_iter()
            .map(|(l, s, e)| {
                Ok((
                    l,
                    convert::to_datetime(py, s)?,
                    convert::to_datetime(py, e)?,
                ))
            })
            .collect()
    }

    /// Check every occurrence against `ledger` at the aware instant `now`
    /// (and against the series' own earlier free occurrences) without
    /// booking anything: one `hcas.OccurrenceResult` per occurrence, with
    /// `booked` false. The GIL is released while the engine checks.
    fn plan(
        &self,
        py: Python<'_>,
        ledger: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PyOccurrenceResult>> {
        let ledger = self::ledger(ledger, "ledger")?;
        let now = convert::instant(now, "now")?;
        let l = ledger.borrow();
        let (spec, l) = (&self.0, &l.0);
        let got = py.detach(|| spec.plan(l, now)).py()?;
        Ok(occurrence_results(got))
    }

    /// `results` (this series' `OccurrenceResult`s, e.g. `plan`'s) with,
    /// for every conflicting one, up to `count` free starts before and after
    /// it (`alternatives`): inside `availability`'s working windows (the
    /// provider's, on a grid of `step`, default the occurrence's length),
    /// free in `ledger` for all the series' resources at the aware instant
    /// `now` (no start before it), within `search_days` days either side (1
    /// to 200, default 7); free occurrences are returned unchanged. Raises as
    /// `hcas.alternatives`. The GIL is released while the engine searches.
    #[pyo3(signature = (
        results, ledger, availability, *, now, count, step = None,
        search_days = AlternativeSearch::DEFAULT_SEARCH_DAYS
    ))]
    #[allow(clippy::too_many_arguments)]
    fn add_alternatives(
        &self,
        py: Python<'_>,
        results: &Bound<'_, PyAny>,
        ledger: &Bound<'_, PyAny>,
        availability: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        count: i64,
        step: Option<&Bound<'_, PyAny>>,
        search_days: i64,
    ) -> PyResult<Vec<PyOccurrenceResult>> {
        let mut list: Vec<series::OccurrenceResult> = occurrences_from(results, "results")?
            .iter()
            .map(PyOccurrenceResult::to_core)
            .collect();
        let ledger = self::ledger(ledger, "ledger")?;
        let availability = availability.cast::<PyAvailability>().map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                "availability must be an hcas.Availability",
            )
        })?;
        // A negative count is as refused as 0, with the engine's message.
        let mut search = AlternativeSearch::new(
            convert::instant(now, "now")?,
            usize::try_from(count).unwrap_or(0),
        )
        .search_days(search_days);
        if let Some(step) = convert::opt_minutes(step, "step")? {
            search = search.step(step);
        }
        let l = ledger.try_borrow()?;
        let (spec, l, avail) = (&self.0, &l.0, &availability.get().0);
        py.detach(|| spec.add_alternatives(&mut list, l, avail, &search))
            .py()?;
        Ok(occurrence_results(list))
    }

    /// Plan, then book into `ledger` at the aware instant `now` by `policy`
    /// (an `hcas.SeriesPolicy`, default all or nothing: every occurrence or
    /// none; book free: the free ones). Each booked occurrence is a
    /// `Status.BOOKED` booking with id `<id>.<YYYYMMDDTHHMMSS>` and its
    /// `series`. Answers an `hcas.SeriesResult`. Raises as `occurrences`,
    /// and `InvalidRequestError` for an occurrence id already in the ledger;
    /// the ledger is then unchanged. The GIL is released while the engine books.
    #[pyo3(signature = (ledger, now, policy = None))]
    fn book(
        &self,
        py: Python<'_>,
        ledger: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySeriesResult> {
        let ledger = self::ledger(ledger, "ledger")?;
        let options =
            SeriesBookOptions::at(convert::instant(now, "now")?).policy(series_policy(policy)?);
        let mut l = ledger.borrow_mut();
        let (spec, l) = (&self.0, &mut l.0);
        let got = py.detach(|| spec.book(l, options)).py()?;
        Ok(PySeriesResult {
            booked: got.booked,
            occurrences: occurrence_results(got.occurrences),
        })
    }

    /// The booking id of the occurrence whose original local start is the
    /// naive wall time `local`: `<id>.<YYYYMMDDTHHMMSS>`.
    fn occurrence_id(&self, local: &Bound<'_, PyAny>) -> PyResult<String> {
        Ok(self
            .0
            .occurrence_id(convert::local_datetime(local, "local")?))
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            String,
            PyRecurrence,
            TimeDelta,
            Bound<'py, PyTuple>,
            Option<Bound<'py, PyAny>>,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (
                me.0.id.clone(),
                me.recurrence(),
                me.duration(),
                me.resources(py)?,
                me.until(py)?,
            ),
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let until = self
            .0
            .until
            .map(|t| format!(", until={:?}", t.to_string()))
            .unwrap_or_default();
        Ok(format!(
            "hcas.SeriesSpec({:?}, {}, duration=datetime.timedelta(seconds={}), resources={:?}{until})",
            self.0.id,
            Bound::new(py, self.recurrence())?.repr()?,
            self.0.duration.as_seconds(),
            self.0.resources
        ))
    }
}

/// Conflicts as `hcas.Conflict`s.
pub(crate) fn conflicts(cs: Vec<hcas_core::booking::Conflict>) -> Vec<PyConflict> {
    cs.into_iter()
        .map(|c| PyConflict {
            resource: c.resource,
            bookings: c.with,
        })
        .collect()
}

/// `hcas.Conflict`s from any iterable.
pub(crate) fn conflicts_from(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<PyConflict>> {
    obj.try_iter()?
        .map(|c| {
            let c = c?;
            c.cast::<PyConflict>()
                .map(|c| c.get().clone())
                .map_err(|_| {
                    error(
                        ErrorCode::InvalidRequest,
                        format!("{name} must hold hcas.Conflict values"),
                    )
                })
        })
        .collect()
}

/// An instant as text for a `repr`.
fn text(t: Timestamp) -> String {
    t.to_string()
}

/// One occurrence's answer: its booking `id`, `recurrence_id` (original
/// local start, `"YYYY-MM-DDTHH:MM:SS"`), `[start, end)` (aware, UTC),
/// whether it is free (`ok`), what stands in the way (`conflicts`, empty
/// when free), whether this call `booked` it and, for a conflicting one
/// after `SeriesSpec.add_alternatives`, the nearest free starts around it
/// (`alternatives`, an `hcas.Alternatives`, else `None`).
#[pyclass(name = "OccurrenceResult", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyOccurrenceResult {
    id: String,
    recurrence_id: String,
    start: Timestamp,
    end: Timestamp,
    ok: bool,
    conflicts: Vec<PyConflict>,
    booked: bool,
    alternatives: Option<PyAlternatives>,
}

impl PyOccurrenceResult {
    /// The engine's value, built by its constructor.
    pub(crate) fn to_core(&self) -> series::OccurrenceResult {
        let conflicts = self
            .conflicts
            .iter()
            .map(|c| hcas_core::booking::Conflict::new(c.resource.clone(), c.bookings.clone()))
            .collect();
        series::OccurrenceResult::new(
            self.id.clone(),
            self.recurrence_id.clone(),
            self.start,
            self.end,
            self.ok,
        )
        .with_conflicts(conflicts)
        .with_booked(self.booked)
        .with_alternatives(
            self.alternatives
                .as_ref()
                .map(|a| Alternatives::new(a.before.clone(), a.after.clone())),
        )
    }

    /// As [`PyOccurrenceResult::to_core`], which cannot fail; kept as a
    /// `PyResult` for the callers that collect it so (`fhir.rs`).
    #[allow(clippy::unnecessary_wraps)]
    pub(crate) fn core(&self) -> PyResult<series::OccurrenceResult> {
        Ok(self.to_core())
    }
}

impl From<series::OccurrenceResult> for PyOccurrenceResult {
    fn from(o: series::OccurrenceResult) -> Self {
        Self {
            id: o.id,
            recurrence_id: o.recurrence_id,
            start: o.start,
            end: o.end,
            ok: o.ok,
            conflicts: conflicts(o.conflicts),
            booked: o.booked,
            alternatives: o.alternatives.map(PyAlternatives::from),
        }
    }
}

#[pymethods]
impl PyOccurrenceResult {
    #[new]
    #[pyo3(signature = (
        id, recurrence_id, start, end, ok, conflicts = None, booked = false, alternatives = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: String,
        recurrence_id: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        ok: bool,
        conflicts: Option<&Bound<'_, PyAny>>,
        booked: bool,
        alternatives: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let alternatives = alternatives
            .filter(|a| !a.is_none())
            .map(|a| {
                a.cast::<PyAlternatives>()
                    .map(|a| a.get().clone())
                    .map_err(|_| {
                        error(
                            ErrorCode::InvalidRequest,
                            "alternatives must be an hcas.Alternatives",
                        )
                    })
            })
            .transpose()?;
        let conflicts = match conflicts.filter(|c| !c.is_none()) {
            None => Vec::new(),
            Some(c) => conflicts_from(c, "conflicts")?,
        };
        Ok(Self {
            id,
            recurrence_id,
            start: convert::instant(start, "start")?,
            end: convert::instant(end, "end")?,
            ok,
            conflicts,
            booked,
            alternatives,
        })
    }

    /// For a conflicting occurrence after `SeriesSpec.add_alternatives`:
    /// the nearest free starts around it (`hcas.Alternatives`); else `None`.
    #[getter]
    fn alternatives(&self) -> Option<PyAlternatives> {
        self.alternatives.clone()
    }

    /// The occurrence's booking id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// Its original local start, `"YYYY-MM-DDTHH:MM:SS"` (`RECURRENCE-ID`).
    #[getter]
    fn recurrence_id(&self) -> &str {
        &self.recurrence_id
    }

    /// Its start (aware, UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.start)
    }

    /// Its end (aware, UTC).
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.end)
    }

    /// Whether it is free.
    #[getter]
    fn ok(&self) -> bool {
        self.ok
    }

    /// What stands in the way, as `hcas.Conflict`s (empty when free).
    #[getter]
    fn conflicts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.conflicts.clone())
    }

    /// Whether this call booked (or moved) it.
    #[getter]
    fn booked(&self) -> bool {
        self.booked
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            String,
            String,
            Bound<'py, PyDateTime>,
            Bound<'py, PyDateTime>,
            bool,
            Bound<'py, PyTuple>,
            bool,
            Option<PyAlternatives>,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (
                me.id.clone(),
                me.recurrence_id.clone(),
                me.start(py)?,
                me.end(py)?,
                me.ok,
                me.conflicts(py)?,
                me.booked,
                me.alternatives.clone(),
            ),
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let conflicts: Vec<String> = self
            .conflicts
            .iter()
            .map(|c| Ok(Bound::new(py, c.clone())?.repr()?.to_string()))
            .collect::<PyResult<_>>()?;
        let alternatives = self
            .alternatives
            .as_ref()
            .map(|a| format!(", alternatives={}", a.__repr__()))
            .unwrap_or_default();
        Ok(format!(
            "hcas.OccurrenceResult({:?}, {:?}, {:?}, {:?}, ok={}, conflicts=[{}], booked={}{alternatives})",
            self.id,
            self.recurrence_id,
            text(self.start),
            text(self.end),
            if self.ok { "True" } else { "False" },
            conflicts.join(", "),
            if self.booked { "True" } else { "False" },
        ))
    }
}

/// `hcas.OccurrenceResult`s from any iterable.
pub(crate) fn occurrences_from(
    obj: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<Vec<PyOccurrenceResult>> {
    obj.try_iter()?
        .map(|o| {
            let o = o?;
            o.cast::<PyOccurrenceResult>()
                .map(|o| o.get().clone())
                .map_err(|_| {
                    error(
                        ErrorCode::InvalidRequest,
                        format!("{name} must hold hcas.OccurrenceResult values"),
                    )
                })
        })
        .collect()
}

/// The answer for a whole series: whether anything was `booked`, and every
/// occurrence's answer, in order.
#[pyclass(name = "SeriesResult", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PySeriesResult {
    booked: bool,
    occurrences: Vec<PyOccurrenceResult>,
}

#[pymethods]
impl PySeriesResult {
    #[new]
    fn new(booked: bool, occurrences: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            booked,
            occurrences: occurrences_from(occurrences, "occurrences")?,
        })
    }

    /// Whether anything was booked.
    #[getter]
    fn booked(&self) -> bool {
        self.booked
    }

    /// Every occurrence's answer, in order.
    #[getter]
    fn occurrences<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.occurrences.clone())
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (bool, Bound<'py, PyTuple>)> {
        let (me, py) = (slf.get(), slf.py());
        Ok((slf.get_type().into_any(), (me.booked, me.occurrences(py)?)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.SeriesResult booked={} of {} occurrences ({} free)>",
            if self.booked { "True" } else { "False" },
            self.occurrences.len(),
            self.occurrences.iter().filter(|o| o.ok).count()
        )
    }
}

/// A shift in wall-clock time of the series' zone: calendar `days`, then
/// `minutes` (a `timedelta` of whole minutes), added to each occurrence's
/// local start; negative is earlier. `WallShift(days=7)` keeps 10:00 local
/// across a DST change. At most 400 days either way.
#[pyclass(name = "WallShift", module = "hcas", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct PyWallShift {
    days: i64,
    minutes: Minutes,
}

impl PyWallShift {
    fn core(self) -> WallShift {
        let mut w = WallShift::days(self.days);
        w.minutes = self.minutes;
        w
    }
}

#[pymethods]
impl PyWallShift {
    #[new]
    #[pyo3(signature = (days = 0, minutes = None))]
    fn new(days: i64, minutes: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(Self {
            days,
            minutes: convert::opt_minutes(minutes, "minutes")?.unwrap_or(Minutes::ZERO),
        })
    }

    /// Calendar days.
    #[getter]
    fn days(&self) -> i64 {
        self.days
    }

    /// Wall-clock time after the days.
    #[getter]
    fn minutes(&self) -> TimeDelta {
        delta(self.minutes)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (i64, TimeDelta)> {
        let me = slf.get();
        Ok((slf.get_type().into_any(), (me.days, me.minutes())))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.WallShift(days={}, minutes=datetime.timedelta(seconds={}))",
            self.days,
            self.minutes.as_seconds()
        )
    }
}

/// A series edit that moves occurrences: from the occurrence `occurrence`
/// (an `hcas.SeriesRef`) by `scope` (an `hcas.EditScope`: this one, this
/// and following, all), in the series' `zone`, asked by `actor` (an
/// `hcas.Party`); each moved by `shift` (an `hcas.WallShift`, default none)
/// and given the length `duration` when set (else each keeps its own), with
/// an optional `reason`, under `policy` (default `LifecyclePolicy()`).
#[pyclass(name = "SeriesEdit", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PySeriesEdit(SeriesEdit);

impl Hash for PySeriesEdit {
    /// Every field.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let e = &self.0;
        (
            &e.series_id,
            &e.recurrence_id,
            scope_name(e.scope),
            e.zone,
            e.shift.days,
            e.shift.minutes,
            e.duration,
            e.actor,
            &e.reason,
            e.policy,
        )
            .hash(state);
    }
}

#[pymethods]
impl PySeriesEdit {
    #[new]
    #[pyo3(signature = (occurrence, scope, zone, actor, shift = None, duration = None, reason = None, policy = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        occurrence: &Bound<'_, PyAny>,
        scope: &Bound<'_, PyAny>,
        zone: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        shift: Option<&Bound<'_, PyAny>>,
        duration: Option<&Bound<'_, PyAny>>,
        reason: Option<String>,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut edit = SeriesEdit::new(
            series_ref(occurrence, "occurrence")?,
            self::scope(scope)?,
            convert::zone(zone, "zone")?,
            party(actor, "actor")?,
        );
        if let Some(s) = shift.filter(|s| !s.is_none()) {
            let s = s
                .cast::<PyWallShift>()
                .map_err(|_| error(ErrorCode::InvalidRequest, "shift must be an hcas.WallShift"))?;
            edit = edit.shift(s.get().core());
        }
        if let Some(d) = convert::opt_minutes(duration, "duration")? {
            edit = edit.duration(d);
        }
        if let Some(r) = reason {
            edit = edit.reason(r);
        }
        Ok(Self(
            edit.policy(crate::lifecycle::policy(policy, "policy")?),
        ))
    }

    /// The occurrence the scope starts from.
    #[getter]
    fn occurrence(&self) -> PySeriesRef {
        PySeriesRef {
            id: self.0.series_id.clone(),
            recurrence_id: self.0.recurrence_id.clone(),
        }
    }

    /// Which occurrences: an `hcas.EditScope`.
    #[getter]
    fn scope<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        member(py, "EditScope", scope_name(self.0.scope))
    }

    /// The series' zone (the shift is in its wall-clock time).
    #[getter]
    fn zone(&self) -> PyZone {
        PyZone(self.0.zone)
    }

    /// Who asks: an `hcas.Party`.
    #[getter]
    fn actor<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        party_to_py(py, self.0.actor)
    }

    /// How far each occurrence moves.
    #[getter]
    fn shift(&self) -> PyWallShift {
        PyWallShift {
            days: self.0.shift.days,
            minutes: self.0.shift.minutes,
        }
    }

    /// The new length of each occurrence, or `None` (each keeps its own).
    #[getter]
    fn duration(&self) -> Option<TimeDelta> {
        self.0.duration.map(delta)
    }

    /// Why, or `None`.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The clinic's lifecycle timing rules.
    #[getter]
    fn policy(&self) -> PyLifecyclePolicy {
        PyLifecyclePolicy(self.0.policy)
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            PySeriesRef,
            &'static str,
            &'static str,
            &'static str,
            PyWallShift,
            Option<TimeDelta>,
            Option<String>,
            PyLifecyclePolicy,
        ),
    > {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (
                me.occurrence(),
                scope_name(me.0.scope),
                me.0.zone.name(),
                me.0.actor.as_str(),
                me.shift(),
                me.duration(),
                me.0.reason.clone(),
                me.policy(),
            ),
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut s = format!(
            "hcas.SeriesEdit({}, {:?}, {:?}, {:?}, shift={}",
            self.occurrence().__repr__(),
            scope_name(self.0.scope),
            self.0.zone.name(),
            self.0.actor.as_str(),
            self.shift().__repr__()
        );
        if let Some(d) = self.0.duration {
            s.push_str(&format!(
                ", duration=datetime.timedelta(seconds={})",
                d.as_seconds()
            ));
        }
        if let Some(r) = &self.0.reason {
            s.push_str(&format!(", reason={r:?}"));
        }
        s.push_str(&format!(", policy={})", self.policy().__repr__(py)?));
        Ok(s)
    }
}

/// A series edit that cancels occurrences through the lifecycle: from
/// `occurrence` (an `hcas.SeriesRef`) by `scope` (an `hcas.EditScope`),
/// asked by `actor` (an `hcas.Party`) for `reason` (required, non-blank;
/// stored as each occurrence's `cancel_reason`), under `policy` (default
/// `LifecyclePolicy()`: late cancellation).
#[pyclass(name = "SeriesCancel", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PySeriesCancel(SeriesCancel);

impl Hash for PySeriesCancel {
    /// Every field.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let c = &self.0;
        (
            &c.series_id,
            &c.recurrence_id,
            scope_name(c.scope),
            c.actor,
            &c.reason,
            c.policy,
        )
            .hash(state);
    }
}

#[pymethods]
impl PySeriesCancel {
    #[new]
    #[pyo3(signature = (occurrence, scope, actor, reason, policy = None))]
    fn new(
        occurrence: &Bound<'_, PyAny>,
        scope: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: String,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let cancel = SeriesCancel::new(
            series_ref(occurrence, "occurrence")?,
            self::scope(scope)?,
            party(actor, "actor")?,
            reason,
        );
        Ok(Self(
            cancel.policy(crate::lifecycle::policy(policy, "policy")?),
        ))
    }

    /// The occurrence the scope starts from.
    #[getter]
    fn occurrence(&self) -> PySeriesRef {
        PySeriesRef {
            id: self.0.series_id.clone(),
            recurrence_id: self.0.recurrence_id.clone(),
        }
    }

    /// Which occurrences: an `hcas.EditScope`.
    #[getter]
    fn scope<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        member(py, "EditScope", scope_name(self.0.scope))
    }

    /// Who asks: an `hcas.Party`.
    #[getter]
    fn actor<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        party_to_py(py, self.0.actor)
    }

    /// Why.
    #[getter]
    fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The clinic's lifecycle timing rules.
    #[getter]
    fn policy(&self) -> PyLifecyclePolicy {
        PyLifecyclePolicy(self.0.policy)
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            PySeriesRef,
            &'static str,
            &'static str,
            String,
            PyLifecyclePolicy,
        ),
    > {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (
                me.occurrence(),
                scope_name(me.0.scope),
                me.0.actor.as_str(),
                me.0.reason.clone(),
                me.policy(),
            ),
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "hcas.SeriesCancel({}, {:?}, {:?}, {:?}, policy={})",
            self.occurrence().__repr__(),
            scope_name(self.0.scope),
            self.0.actor.as_str(),
            self.0.reason,
            self.policy().__repr__(py)?
        ))
    }
}

/// An occurrence in an edit's scope that the edit left alone, and why: its
/// booking `id`, `recurrence_id`, unchanged `status`, and the lifecycle's
/// error as its stable `code` and `message` (`error` is it as the
/// `hcas.HcasError` subclass it would raise).
#[pyclass(name = "Skipped", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PySkipped {
    id: String,
    recurrence_id: String,
    status: Status,
    code: ErrorCode,
    message: String,
}

impl From<series::Skipped> for PySkipped {
    fn from(s: series::Skipped) -> Self {
        Self {
            id: s.id,
            recurrence_id: s.recurrence_id,
            status: s.status,
            code: s.error.code(),
            message: s.error.message().to_string(),
        }
    }
}

#[pymethods]
impl PySkipped {
    #[new]
    fn new(
        id: String,
        recurrence_id: String,
        status: &Bound<'_, PyAny>,
        code: &str,
        message: String,
    ) -> PyResult<Self> {
        Ok(Self {
            id,
            recurrence_id,
            status: self::status(status, "status")?,
            code: code.parse::<ErrorCode>().map_err(|e| e.at("code")).py()?,
            message,
        })
    }

    /// The occurrence's booking id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// Its original local start, `"YYYY-MM-DDTHH:MM:SS"`.
    #[getter]
    fn recurrence_id(&self) -> &str {
        &self.recurrence_id
    }

    /// Its status, unchanged: an `hcas.Status`.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status_to_py(py, self.status)
    }

    /// Why, as the stable error code (`invalid_transition`, `not_permitted`, ...).
    #[getter]
    fn code(&self) -> &'static str {
        self.code.as_str()
    }

    /// Why, in words.
    #[getter]
    fn message(&self) -> &str {
        &self.message
    }

    /// Why, as the `hcas.HcasError` subclass instance of its code (not raised).
    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        to_py(&Error::new(self.code, self.message.clone()))
            .value(py)
            .clone()
            .into_any()
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, String, &'static str, &'static str, String)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (
                me.id.clone(),
                me.recurrence_id.clone(),
                me.status.as_str(),
                me.code.as_str(),
                me.message.clone(),
            ),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Skipped({:?}, {:?}, {:?}, {:?}, {:?})",
            self.id,
            self.recurrence_id,
            self.status.as_str(),
            self.code.as_str(),
            self.message
        )
    }
}

fn skipped_list(items: Vec<series::Skipped>) -> Vec<PySkipped> {
    items.into_iter().map(PySkipped::from).collect()
}

fn skipped_from(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<PySkipped>> {
    obj.try_iter()?
        .map(|o| {
            let o = o?;
            o.cast::<PySkipped>().map(|o| o.get().clone()).map_err(|_| {
                error(
                    ErrorCode::InvalidRequest,
                    format!("{name} must hold hcas.Skipped values"),
                )
            })
        })
        .collect()
}

/// The answer to `shift_occurrences`: whether the edit was `applied` (every
/// occurrence in `occurrences` moved; when false nothing changed), each
/// moved (or would-be moved) occurrence with its new times and conflicts,
/// and the occurrences in scope the lifecycle did not let change (`skipped`).
#[pyclass(name = "EditResult", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyEditResult {
    applied: bool,
    occurrences: Vec<PyOccurrenceResult>,
    skipped: Vec<PySkipped>,
}

#[pymethods]
impl PyEditResult {
    #[new]
    fn new(
        applied: bool,
        occurrences: &Bound<'_, PyAny>,
        skipped: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self {
            applied,
            occurrences: occurrences_from(occurrences, "occurrences")?,
            skipped: skipped_from(skipped, "skipped")?,
        })
    }

    /// Whether the edit was applied.
    #[getter]
    fn applied(&self) -> bool {
        self.applied
    }

    /// Every occurrence the edit moves (or would move), by original start.
    #[getter]
    fn occurrences<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.occurrences.clone())
    }

    /// The occurrences in scope left as they are, and why.
    #[getter]
    fn skipped<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.skipped.clone())
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (bool, Bound<'py, PyTuple>, Bound<'py, PyTuple>)> {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (me.applied, me.occurrences(py)?, me.skipped(py)?),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.EditResult applied={} of {} occurrences, {} skipped>",
            if self.applied { "True" } else { "False" },
            self.occurrences.len(),
            self.skipped.len()
        )
    }
}

/// One occurrence cancelled by `cancel_occurrences`: its booking `id`,
/// `recurrence_id`, its status before (`from_`) and the lifecycle's
/// `outcomes` (cancelled, late cancellation, slot freed).
#[pyclass(name = "CancelledOccurrence", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyCancelledOccurrence {
    id: String,
    recurrence_id: String,
    from: Status,
    outcomes: Vec<Outcome>,
}

#[pymethods]
impl PyCancelledOccurrence {
    #[new]
    fn new(
        id: String,
        recurrence_id: String,
        from_: &Bound<'_, PyAny>,
        outcomes: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self {
            id,
            recurrence_id,
            from: status(from_, "from_")?,
            outcomes: self::outcomes(outcomes, "outcomes")?,
        })
    }

    /// The occurrence's booking id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// Its original local start, `"YYYY-MM-DDTHH:MM:SS"`.
    #[getter]
    fn recurrence_id(&self) -> &str {
        &self.recurrence_id
    }

    /// Its status before: an `hcas.Status`.
    #[getter]
    fn from_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status_to_py(py, self.from)
    }

    /// What follows, as `hcas.Outcome`s.
    #[getter]
    fn outcomes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        outcomes_to_py(py, &self.outcomes)
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, String, &'static str, Bound<'py, PyTuple>)> {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (
                me.id.clone(),
                me.recurrence_id.clone(),
                me.from.as_str(),
                me.outcomes(py)?,
            ),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.CancelledOccurrence({:?}, {:?}, {:?}, <{} outcomes>)",
            self.id,
            self.recurrence_id,
            self.from.as_str(),
            self.outcomes.len()
        )
    }
}

/// The answer to `cancel_occurrences` (and `plan_cancel`): the occurrences
/// `cancelled` (by start) and those in scope left as they are (`skipped`).
#[pyclass(name = "CancelResult", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyCancelResult {
    cancelled: Vec<PyCancelledOccurrence>,
    skipped: Vec<PySkipped>,
}

impl From<series::CancelResult> for PyCancelResult {
    fn from(r: series::CancelResult) -> Self {
        Self {
            cancelled: r
                .cancelled
                .into_iter()
                .map(|c| PyCancelledOccurrence {
                    id: c.id,
                    recurrence_id: c.recurrence_id,
                    from: c.from,
                    outcomes: c.outcomes,
                })
                .collect(),
            skipped: skipped_list(r.skipped),
        }
    }
}

#[pymethods]
impl PyCancelResult {
    #[new]
    fn new(cancelled: &Bound<'_, PyAny>, skipped: &Bound<'_, PyAny>) -> PyResult<Self> {
        let cancelled = cancelled
            .try_iter()?
            .map(|o| {
                let o = o?;
                o.cast::<PyCancelledOccurrence>()
                    .map(|o| o.get().clone())
                    .map_err(|_| {
                        error(
                            ErrorCode::InvalidRequest,
                            "cancelled must hold hcas.CancelledOccurrence values",
                        )
                    })
            })
            .collect::<PyResult<_>>()?;
        Ok(Self {
            cancelled,
            skipped: skipped_from(skipped, "skipped")?,
        })
    }

    /// The occurrences cancelled, by start.
    #[getter]
    fn cancelled<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.cancelled.clone())
    }

    /// The occurrences in scope left as they are, and why.
    #[getter]
    fn skipped<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.skipped.clone())
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (Bound<'py, PyTuple>, Bound<'py, PyTuple>)> {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (me.cancelled(py)?, me.skipped(py)?),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.CancelResult {} cancelled, {} skipped>",
            self.cancelled.len(),
            self.skipped.len()
        )
    }
}

/// One planned move of a series edit: the occurrence's booking `id`,
/// `recurrence_id`, and its new `[start, end)` (aware, UTC).
#[pyclass(name = "Move", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyMove {
    id: String,
    recurrence_id: String,
    start: Timestamp,
    end: Timestamp,
}

#[pymethods]
impl PyMove {
    #[new]
    fn new(
        id: String,
        recurrence_id: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self {
            id,
            recurrence_id,
            start: convert::instant(start, "start")?,
            end: convert::instant(end, "end")?,
        })
    }

    /// The occurrence's booking id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// Its original local start, `"YYYY-MM-DDTHH:MM:SS"`.
    #[getter]
    fn recurrence_id(&self) -> &str {
        &self.recurrence_id
    }

    /// The new start (aware, UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.start)
    }

    /// The new end (aware, UTC).
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.end)
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            String,
            String,
            Bound<'py, PyDateTime>,
            Bound<'py, PyDateTime>,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (
                me.id.clone(),
                me.recurrence_id.clone(),
                me.start(py)?,
                me.end(py)?,
            ),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Move({:?}, {:?}, {:?}, {:?})",
            self.id,
            self.recurrence_id,
            text(self.start),
            text(self.end)
        )
    }
}

/// What a shift would do, before any conflict check: the `moves`, by
/// original start, and the occurrences in scope the lifecycle does not let
/// change (`skipped`).
#[pyclass(name = "ShiftPlan", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyShiftPlan {
    moves: Vec<PyMove>,
    skipped: Vec<PySkipped>,
}

#[pymethods]
impl PyShiftPlan {
    #[new]
    fn new(moves: &Bound<'_, PyAny>, skipped: &Bound<'_, PyAny>) -> PyResult<Self> {
        let moves = moves
            .try_iter()?
            .map(|o| {
                let o = o?;
                o.cast::<PyMove>().map(|o| o.get().clone()).map_err(|_| {
                    error(
                        ErrorCode::InvalidRequest,
                        "moves must hold hcas.Move values",
                    )
                })
            })
            .collect::<PyResult<_>>()?;
        Ok(Self {
            moves,
            skipped: skipped_from(skipped, "skipped")?,
        })
    }

    /// The moves, by original start.
    #[getter]
    fn moves<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.moves.clone())
    }

    /// The occurrences in scope left as they are, and why.
    #[getter]
    fn skipped<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.skipped.clone())
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (Bound<'py, PyTuple>, Bound<'py, PyTuple>)> {
        let (me, py) = (slf.get(), slf.py());
        Ok((slf.get_type().into_any(), (me.moves(py)?, me.skipped(py)?)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.ShiftPlan {} moves, {} skipped>",
            self.moves.len(),
            self.skipped.len()
        )
    }
}

fn edit(obj: &Bound<'_, PyAny>) -> PyResult<SeriesEdit> {
    obj.cast::<PySeriesEdit>()
        .map(|e| e.get().0.clone())
        .map_err(|_| error(ErrorCode::InvalidRequest, "edit must be an hcas.SeriesEdit"))
}

fn cancel(obj: &Bound<'_, PyAny>) -> PyResult<SeriesCancel> {
    obj.cast::<PySeriesCancel>()
        .map(|c| c.get().0.clone())
        .map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                "cancel must be an hcas.SeriesCancel",
            )
        })
}

/// `hcas.Booking`s from any iterable.
fn bookings(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Booking>> {
    obj.try_iter()?
        .map(|b| {
            let b = b?;
            crate::lifecycle::booking(&b, name).map(|b| b.get().0.clone())
        })
        .collect()
}

/// Move occurrences of a series (one, this and following, or all) in
/// `ledger` by `edit` (an `hcas.SeriesEdit`) at the aware instant `now`:
/// all or nothing, every move checked first (against everything but the
/// moved occurrences' old times and the edit's earlier moves). Answers an
/// `hcas.EditResult`; when any move conflicts, nothing changes and
/// `applied` is false. Occurrences the lifecycle no longer lets change stay
/// and come back in `skipped`. Raises as `plan_shift`; then nothing changes.
/// The GIL is released while the engine works.
#[pyfunction]
pub(crate) fn shift_occurrences(
    py: Python<'_>,
    ledger: &Bound<'_, PyAny>,
    edit: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
) -> PyResult<PyEditResult> {
    let ledger = self::ledger(ledger, "ledger")?;
    let edit = self::edit(edit)?;
    let now = convert::instant(now, "now")?;
    let mut l = ledger.borrow_mut();
    let l = &mut l.0;
    let got = py
        .detach(|| series::shift_occurrences(l, &edit, now))
        .py()?;
    Ok(PyEditResult {
        applied: got.applied,
        occurrences: occurrence_results(got.occurrences),
        skipped: skipped_list(got.skipped),
    })
}

/// Cancel occurrences of a series (one, this and following, or all) in
/// `ledger` by `cancel` (an `hcas.SeriesCancel`) at the aware instant `now`,
/// through the lifecycle: each the actor may cancel becomes
/// `Status.CANCELLED` with the reason; the others are left and listed in
/// `skipped`. Answers an `hcas.CancelResult`. Raises as `plan_cancel`; then
/// nothing changes.
#[pyfunction]
pub(crate) fn cancel_occurrences(
    py: Python<'_>,
    ledger: &Bound<'_, PyAny>,
    cancel: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
) -> PyResult<PyCancelResult> {
    let ledger = self::ledger(ledger, "ledger")?;
    let cancel = self::cancel(cancel)?;
    let now = convert::instant(now, "now")?;
    let mut l = ledger.borrow_mut();
    let l = &mut l.0;
    py.detach(|| series::cancel_occurrences(l, &cancel, now))
        .py()
        .map(PyCancelResult::from)
}

/// Plan a shift on the `bookings` of a series (any iterable of
/// `hcas.Booking`s, any order; others are ignored) without conflict checks:
/// which occurrences move where (`hcas.ShiftPlan`), and which are skipped.
/// Raises `InvalidRequestError` for an unknown occurrence,
/// `InvalidDurationError` for a bad duration, shift or policy.
#[pyfunction]
pub(crate) fn plan_shift(
    bookings: &Bound<'_, PyAny>,
    edit: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
) -> PyResult<PyShiftPlan> {
    let all = self::bookings(bookings, "bookings")?;
    let refs: Vec<&Booking> = all.iter().collect();
    let edit = self::edit(edit)?;
    let plan = series::plan_shift(&refs, &edit, convert::instant(now, "now")?).py()?;
    Ok(PyShiftPlan {
        moves: plan
            .moves
            .into_iter()
            .map(|m| PyMove {
                id: m.id,
                recurrence_id: m.recurrence_id,
                start: m.start,
                end: m.end,
            })
            .collect(),
        skipped: skipped_list(plan.skipped),
    })
}

/// Plan a cancellation on the `bookings` of a series without changing
/// anything: which occurrences the actor may cancel at `now` (with their
/// outcomes) and which are skipped (`hcas.CancelResult`). Raises
/// `InvalidRequestError` for a blank reason or an unknown occurrence.
#[pyfunction]
pub(crate) fn plan_cancel(
    bookings: &Bound<'_, PyAny>,
    cancel: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
) -> PyResult<PyCancelResult> {
    let all = self::bookings(bookings, "bookings")?;
    let refs: Vec<&Booking> = all.iter().collect();
    let cancel = self::cancel(cancel)?;
    series::plan_cancel(&refs, &cancel, convert::instant(now, "now")?)
        .py()
        .map(PyCancelResult::from)
}

/// The bookings of series `series_id` in `ledger` (any status), by start,
/// then id.
#[pyfunction]
pub(crate) fn series_bookings<'py>(
    py: Python<'py>,
    ledger: &Bound<'py, PyAny>,
    series_id: &str,
) -> PyResult<Bound<'py, PyList>> {
    let ledger = self::ledger(ledger, "ledger")?;
    let l = ledger.borrow();
    let found: Vec<PyBooking> = series::series_bookings(&l.0, series_id)
        .into_iter()
        .map(|b| PyBooking(b.clone()))
        .collect();
    PyList::new(py, found)
}
