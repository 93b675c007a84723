//! The waitlist (`hcas_core::waitlist`): `hcas.Preferences`, `hcas.WaitEntry`,
//! the mutable `hcas.Waitlist` (first come, first served), the `hcas.Offer`
//! it makes for a freed slot, and `make_hold`, the held booking that
//! reserves an offer.

use hcas_core::chrono::TimeDelta;
use hcas_core::waitlist::{self, Offer, Preferences, WaitEntry, Waitlist};
use hcas_core::{ErrorCode, Interval, Timestamp};
use pyo3::prelude::*;
use pyo3::types::PyDateTime;

use crate::booking::PyBooking;
use crate::convert;
use crate::errors::{IntoPyResult, error};
use crate::lifecycle::{booking, delta, ledger};

/// What a waiting patient accepts beyond provider and time window: only
/// slots at least `min_duration` long (a `timedelta` of whole minutes;
/// `None`, the default: any length).
#[pyclass(name = "Preferences", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct PyPreferences(Preferences);

#[pymethods]
impl PyPreferences {
    #[new]
    #[pyo3(signature = (min_duration = None))]
    fn new(min_duration: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut p = Preferences::new();
        if let Some(m) = convert::opt_minutes(min_duration, "min_duration")? {
            p = p.min_duration(m);
        }
        Ok(Self(p))
    }

    /// The shortest slot accepted, or `None`.
    #[getter]
    fn min_duration(&self) -> Option<TimeDelta> {
        self.0.min_duration_minutes.map(delta)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (Option<TimeDelta>,)> {
        Ok((slf.get_type().into_any(), (slf.get().min_duration(),)))
    }

    fn __repr__(&self) -> String {
        match self.0.min_duration_minutes {
            Some(m) => format!(
                "hcas.Preferences(min_duration=datetime.timedelta(seconds={}))",
                m.as_seconds()
            ),
            None => "hcas.Preferences()".to_string(),
        }
    }
}

/// A `(start, end)` pair of aware datetimes as an interval.
fn window(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Interval> {
    let (start, end): (Bound<'_, PyAny>, Bound<'_, PyAny>) = obj.extract().map_err(|_| {
        error(
            ErrorCode::InvalidRequest,
            format!("{name} must be a (start, end) pair of aware datetimes"),
        )
    })?;
    Interval::new(
        convert::instant(&start, &format!("{name}.start"))?,
        convert::instant(&end, &format!("{name}.end"))?,
    )
    .map_err(|e| e.at(name))
    .py()
}

/// One patient waiting for a slot with one provider: entry `id`, the
/// `patient` and `provider` resources (`"patient:X1"`, `"provider:P1"`),
/// the `window` they would accept (a `(start, end)` pair of aware
/// datetimes; an offered slot lies wholly inside it), when they joined
/// (`created`, aware; earlier is served first) and further `preferences`.
/// Checked on construction (`InvalidRequestError` for an empty or invalid
/// id or resource, `InvalidDurationError` for a `min_duration` that is not
/// positive).
#[pyclass(name = "WaitEntry", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyWaitEntry(WaitEntry);

#[pymethods]
impl PyWaitEntry {
    #[new]
    #[pyo3(signature = (id, patient, provider, window, created, preferences = None))]
    fn new(
        id: String,
        patient: String,
        provider: String,
        window: &Bound<'_, PyAny>,
        created: &Bound<'_, PyAny>,
        preferences: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut b = WaitEntry::builder(id)
            .patient(patient)
            .provider(provider)
            .window(self::window(window, "window")?)
            .created(convert::instant(created, "created")?);
        if let Some(p) = preferences.filter(|p| !p.is_none()) {
            let p = p.cast::<PyPreferences>().map_err(|_| {
                error(
                    ErrorCode::InvalidRequest,
                    "preferences must be an hcas.Preferences",
                )
            })?;
            b = b.preferences(p.get().0.clone());
        }
        b.build().py().map(Self)
    }

    /// The entry's id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The patient resource.
    #[getter]
    fn patient(&self) -> &str {
        &self.0.patient
    }

    /// The provider resource wanted.
    #[getter]
    fn provider(&self) -> &str {
        &self.0.provider
    }

    /// The time range accepted, as a `(start, end)` pair (aware, UTC).
    #[getter]
    fn window<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyDateTime>, Bound<'py, PyDateTime>)> {
        Ok((
            convert::to_datetime(py, self.0.window.start())?,
            convert::to_datetime(py, self.0.window.end())?,
        ))
    }

    /// When the patient joined the list (aware, UTC).
    #[getter]
    fn created<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.0.created)
    }

    /// Further conditions on the slot.
    #[getter]
    fn preferences(&self) -> PyPreferences {
        PyPreferences(self.0.preferences.clone())
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
            String,
            (Bound<'py, PyDateTime>, Bound<'py, PyDateTime>),
            Bound<'py, PyDateTime>,
            PyPreferences,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (
                me.0.id.clone(),
                me.0.patient.clone(),
                me.0.provider.clone(),
                me.window(py)?,
                me.created(py)?,
                me.preferences(),
            ),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.WaitEntry({:?}, {:?}, {:?}, ({:?}, {:?}), {:?}, {})",
            self.0.id,
            self.0.patient,
            self.0.provider,
            self.0.window.start().to_string(),
            self.0.window.end().to_string(),
            self.0.created.to_string(),
            self.preferences().__repr__()
        )
    }
}

/// A freed slot offered to a waiting patient: the waitlist `entry_id`
/// served, its `patient`, the slot `[start, end)` and when the offer lapses
/// (`hold_expires`), all aware (UTC).
#[pyclass(name = "Offer", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyOffer {
    entry_id: String,
    patient: String,
    start: Timestamp,
    end: Timestamp,
    hold_expires: Timestamp,
}

impl From<Offer> for PyOffer {
    fn from(o: Offer) -> Self {
        Self {
            entry_id: o.entry_id,
            patient: o.patient,
            start: o.start,
            end: o.end,
            hold_expires: o.hold_expires,
        }
    }
}

impl PyOffer {
    /// The engine's `Offer`, built by its constructor.
    fn core(&self) -> Offer {
        Offer::new(
            self.entry_id.clone(),
            self.patient.clone(),
            self.start,
            self.end,
            self.hold_expires,
        )
    }
}

#[pymethods]
impl PyOffer {
    #[new]
    fn new(
        entry_id: String,
        patient: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        hold_expires: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self {
            entry_id,
            patient,
            start: convert::instant(start, "start")?,
            end: convert::instant(end, "end")?,
            hold_expires: convert::instant(hold_expires, "hold_expires")?,
        })
    }

    /// The waitlist entry served.
    #[getter]
    fn entry_id(&self) -> &str {
        &self.entry_id
    }

    /// Its patient resource.
    #[getter]
    fn patient(&self) -> &str {
        &self.patient
    }

    /// The slot's start (aware, UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.start)
    }

    /// The slot's end (aware, UTC).
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.end)
    }

    /// When the offer lapses (aware, UTC): `now + hold`.
    #[getter]
    fn hold_expires<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.hold_expires)
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
            Bound<'py, PyDateTime>,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (
                me.entry_id.clone(),
                me.patient.clone(),
                me.start(py)?,
                me.end(py)?,
                me.hold_expires(py)?,
            ),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Offer({:?}, {:?}, {:?}, {:?}, {:?})",
            self.entry_id,
            self.patient,
            self.start.to_string(),
            self.end.to_string(),
            self.hold_expires.to_string()
        )
    }
}

/// Waiting patients in serving order (by `created`, then `id`). Mutable (it
/// is state, like `hcas.Ledger`): equal to another waitlist with the same
/// entries, unhashable; picklable as its entries.
#[pyclass(name = "Waitlist", module = "hcas", eq)]
#[derive(Default, PartialEq)]
pub(crate) struct PyWaitlist(Waitlist);

fn entry(obj: &Bound<'_, PyAny>) -> PyResult<WaitEntry> {
    obj.cast::<PyWaitEntry>()
        .map(|e| e.get().0.clone())
        .map_err(|_| error(ErrorCode::InvalidRequest, "entry must be an hcas.WaitEntry"))
}

#[pymethods]
impl PyWaitlist {
    #[new]
    #[pyo3(signature = (entries = None))]
    fn new(entries: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut me = Self::default();
        if let Some(items) = entries.filter(|e| !e.is_none()) {
            for e in items.try_iter()? {
                me.add(&e?)?;
            }
        }
        Ok(me)
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    /// Add an `hcas.WaitEntry` in its place in the serving order; an id
    /// already on the list raises `InvalidRequestError`.
    fn add(&mut self, entry: &Bound<'_, PyAny>) -> PyResult<()> {
        self.0.add(self::entry(entry)?).py()
    }

    /// Remove and return the entry with this id (`None` if there is none).
    fn remove(&mut self, id: &str) -> Option<PyWaitEntry> {
        self.0.remove(id).map(PyWaitEntry)
    }

    /// Remove every entry whose window has ended by the aware instant `now`;
    /// they are returned in serving order.
    fn remove_expired(&mut self, now: &Bound<'_, PyAny>) -> PyResult<Vec<PyWaitEntry>> {
        let now = convert::instant(now, "now")?;
        Ok(self
            .0
            .remove_expired(now)
            .into_iter()
            .map(PyWaitEntry)
            .collect())
    }

    /// The entries in serving order.
    fn entries(&self) -> Vec<PyWaitEntry> {
        self.0.entries().iter().cloned().map(PyWaitEntry).collect()
    }

    /// The entry with this id, or `None`.
    fn get(&self, id: &str) -> Option<PyWaitEntry> {
        self.0.get(id).cloned().map(PyWaitEntry)
    }

    /// The offer of the slot the booking `freed` leaves, to the first entry
    /// in serving order that wants one of its resources as provider, whose
    /// window contains the slot (and a slot at least its `min_duration`),
    /// and whose patient and provider are free then in `ledger` at the aware
    /// instant `now` (ignoring `freed` itself), held for `hold` (a
    /// `timedelta`, 1 minute to 7 days; else `InvalidDurationError`). `None`
    /// when no entry qualifies or the slot has started. Entries are never
    /// removed here. The GIL is released while the engine checks.
    fn offer(
        &self,
        py: Python<'_>,
        freed: &Bound<'_, PyAny>,
        ledger: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        hold: &Bound<'_, PyAny>,
    ) -> PyResult<Option<PyOffer>> {
        let freed = booking(freed, "freed")?;
        let ledger = self::ledger(ledger, "ledger")?;
        let now = convert::instant(now, "now")?;
        let hold = convert::minutes(hold, "hold")?;
        let l = ledger.borrow();
        let (list, l, freed) = (&self.0, &l.0, &freed.get().0);
        let got = py.detach(|| list.offer(freed, l, now, hold)).py()?;
        Ok(got.map(PyOffer::from))
    }

    /// Pickled as its entries.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (Vec<PyWaitEntry>,)> {
        let entries = slf.borrow().entries();
        Ok((slf.get_type().into_any(), (entries,)))
    }

    fn __repr__(&self) -> String {
        format!("<hcas.Waitlist of {} entries>", self.0.len())
    }
}

/// The `Status.HELD` `hcas.Booking` `id` that reserves `offer` for its
/// patient with `provider` until the offer lapses; book it into the ledger.
#[pyfunction]
pub(crate) fn make_hold(
    offer: &Bound<'_, PyAny>,
    provider: &str,
    id: String,
) -> PyResult<PyBooking> {
    let offer = offer
        .cast::<PyOffer>()
        .map_err(|_| error(ErrorCode::InvalidRequest, "offer must be an hcas.Offer"))?;
    let core = offer.get().core();
    Ok(PyBooking(waitlist::make_hold(&core, provider, id)))
}
