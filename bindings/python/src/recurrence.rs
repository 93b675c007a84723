//! `hcas.Recurrence` (window queries) and `hcas.Occurrences` (its lazy iterator).

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hcas_core::chrono::NaiveDateTime;
use hcas_core::{Error, RRule, Recurrence, Timestamp, Zone};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyList, PyTuple};

use crate::convert;
use crate::errors::{IntoPyResult, to_py};
use crate::zone::PyZone;

/// A recurrence set: an RFC 5545 RRULE from a wall-time `dtstart` in a zone,
/// with EXDATEs and RDATEs (wall times too), expanded in wall time.
///
/// `dtstart` is a naive datetime with `zone` given, or a datetime whose
/// tzinfo is a `zoneinfo.ZoneInfo` (its wall time and key are taken).
/// Occurrences come back as aware datetimes in UTC.
#[pyclass(name = "Recurrence", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyRecurrence(pub(crate) Arc<Recurrence>);

impl Hash for PyRecurrence {
    /// The parts `Recurrence`'s equality compares.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let r = &self.0;
        r.rule().hash(state);
        r.dtstart().hash(state);
        r.zone().hash(state);
        r.rdates().hash(state);
        r.exdates().hash(state);
    }
}

fn local_list(items: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Vec<NaiveDateTime>> {
    let Some(items) = items.filter(|i| !i.is_none()) else {
        return Ok(Vec::new());
    };
    items
        .try_iter()?
        .enumerate()
        .map(|(i, item)| convert::local_datetime(&item?, &format!("{name}[{i}]")))
        .collect()
}

/// `dtstart` and `zone` as a wall time and a zone.
fn start_and_zone(
    dtstart: &Bound<'_, PyAny>,
    zone: Option<&Bound<'_, PyAny>>,
) -> PyResult<(NaiveDateTime, Zone)> {
    let zone = zone.filter(|z| !z.is_none());
    let tzinfo = if dtstart.is_instance_of::<PyDateTime>() {
        Some(dtstart.getattr("tzinfo")?).filter(|t| !t.is_none())
    } else {
        None
    };
    match (tzinfo, zone) {
        (None, Some(zone)) => Ok((
            convert::local_datetime(dtstart, "dtstart")?,
            convert::zone(zone, "zone")?,
        )),
        (Some(tzinfo), zone) => {
            let from_tzinfo = convert::zone(&tzinfo, "dtstart.tzinfo")?;
            if let Some(zone) = zone {
                let given = convert::zone(zone, "zone")?;
                if given != from_tzinfo {
                    return Err(crate::errors::error(
                        hcas_core::ErrorCode::InvalidTimezone,
                        format!(
                            "dtstart is in {} but zone is {}; give one of them",
                            from_tzinfo.name(),
                            given.name()
                        ),
                    ));
                }
            }
            let naive = pyo3::types::PyDict::new(dtstart.py());
            naive.set_item("tzinfo", dtstart.py().None())?;
            let wall = dtstart.call_method("replace", (), Some(&naive))?;
            Ok((convert::local_datetime(&wall, "dtstart")?, from_tzinfo))
        }
        (None, None) => Err(crate::errors::error(
            hcas_core::ErrorCode::InvalidTimezone,
            "dtstart is a naive datetime (wall time): give its zone as zone=\"Area/City\", \
             or a dtstart whose tzinfo is a zoneinfo.ZoneInfo",
        )),
    }
}

#[pymethods]
impl PyRecurrence {
    #[new]
    #[pyo3(signature = (rrule, dtstart, zone = None, exdates = None, rdates = None))]
    fn new(
        rrule: &str,
        dtstart: &Bound<'_, PyAny>,
        zone: Option<&Bound<'_, PyAny>>,
        exdates: Option<&Bound<'_, PyAny>>,
        rdates: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let rule = RRule::parse(rrule).map_err(|e| e.at("rrule")).py()?;
        let (dtstart, zone) = start_and_zone(dtstart, zone)?;
        let exdates = local_list(exdates, "exdates")?;
        let rdates = local_list(rdates, "rdates")?;
        let rec = Recurrence::new(rule, dtstart, zone)
            .with_exdates(exdates)
            .and_then(|r| r.with_rdates(rdates))
            .py()?;
        Ok(Self(Arc::new(rec)))
    }

    /// The rule, as normalised RRULE text (`FREQ=...`).
    #[getter]
    fn rrule(&self) -> String {
        self.0.rule().to_string()
    }

    /// The first occurrence's wall time (naive).
    #[getter]
    fn dtstart(&self) -> NaiveDateTime {
        self.0.dtstart()
    }

    /// The zone of the wall times.
    #[getter]
    fn zone(&self) -> PyZone {
        PyZone(self.0.zone())
    }

    /// The EXDATEs (wall times), ascending.
    #[getter]
    fn exdates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.exdates())
    }

    /// The RDATEs (wall times), as given.
    #[getter]
    fn rdates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.rdates().iter().copied())
    }

    /// Every occurrence `t` with `start <= t < end` (aware datetimes),
    /// ascending, at most `limit` of them. The GIL is released while the
    /// engine computes.
    #[pyo3(signature = (start, end, limit = None))]
    fn between<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let from = convert::instant(start, "start")?;
        let to = convert::instant(end, "end")?;
        let rec = &self.0;
        let got = py.detach(|| rec.between(from, to, limit)).py()?;
        crate::datetimes(py, &got)
    }

    /// As `between`, as an `array.array("q")` of Unix seconds (no Python
    /// object per occurrence; zero-copy into numpy with `numpy.frombuffer`).
    #[pyo3(signature = (start, end, limit = None))]
    fn between_epoch<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let from = convert::instant(start, "start")?;
        let to = convert::instant(end, "end")?;
        let rec = &self.0;
        let got = py.detach(|| rec.between(from, to, limit)).py()?;
        crate::epoch_array(py, &got)
    }

    /// The occurrences at or after `start` (an aware datetime), lazily.
    fn iter_from(&self, start: &Bound<'_, PyAny>) -> PyResult<PyOccurrences> {
        let start = convert::instant(start, "start")?;
        Ok(PyOccurrences::new(Arc::clone(&self.0), start))
    }

    /// All occurrences, ascending, lazily (an endless rule goes on to year 9999).
    fn __iter__(&self) -> PyOccurrences {
        PyOccurrences::new(Arc::clone(&self.0), Timestamp::MIN)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, Bound<'py, PyTuple>> {
        let (me, py) = (slf.get(), slf.py());
        let args = (
            me.rrule(),
            me.dtstart(),
            me.0.zone().name(),
            me.exdates(py)?,
            me.rdates(py)?,
        );
        Ok((slf.get_type().into_any(), args.into_pyobject(py)?))
    }

    fn __repr__(&self) -> String {
        let r = &self.0;
        let mut s = format!(
            "hcas.Recurrence({:?}, {:?}, zone={:?}",
            r.rule().to_string(),
            r.dtstart().format("%Y-%m-%dT%H:%M:%S").to_string(),
            r.zone().name()
        );
        for (name, list) in [("exdates", r.exdates()), ("rdates", r.rdates().to_vec())] {
            if !list.is_empty() {
                let items: Vec<String> = list
                    .iter()
                    .map(|l| format!("{:?}", l.format("%Y-%m-%dT%H:%M:%S").to_string()))
                    .collect();
                s.push_str(&format!(", {name}=[{}]", items.join(", ")));
            }
        }
        s.push(')');
        s
    }
}

/// The first batch a lazy iterator computes; each next one doubles, up to
/// [`MAX_BATCH`], so a long walk crosses into Python rarely while a short
/// one computes little ahead.
const FIRST_BATCH: usize = 16;
const MAX_BATCH: usize = 4096;

/// The occurrences of a `Recurrence`, ascending, computed lazily in batches
/// (the GIL released while each is computed). An error (a rule that finds
/// no occurrence within the engine's step bound) is raised when reached.
#[pyclass(name = "Occurrences", module = "hcas")]
pub(crate) struct PyOccurrences {
    rec: Arc<Recurrence>,
    /// Where the next batch starts; `None` once the engine's iterator ended.
    next: Option<Timestamp>,
    batch: usize,
    ready: VecDeque<Timestamp>,
    error: Option<Error>,
}

impl PyOccurrences {
    fn new(rec: Arc<Recurrence>, start: Timestamp) -> Self {
        Self {
            rec,
            next: Some(start),
            batch: FIRST_BATCH,
            ready: VecDeque::new(),
            error: None,
        }
    }

    /// Compute the next batch with the engine's own iterator
    /// (`Recurrence::iter_from`, which yields exactly the occurrences at or
    /// after its start), resuming a second after the last one handed out.
    fn fill(&mut self, py: Python<'_>) {
        let Some(start) = self.next else { return };
        let (rec, batch) = (&self.rec, self.batch);
        let (items, error, ended) = py.detach(|| {
            let mut items = Vec::with_capacity(batch);
            for next in rec.iter_from(start) {
                match next {
                    Ok(t) => {
                        items.push(t);
                        if items.len() == batch {
                            return (items, None, false);
                        }
                    }
                    Err(e) => return (items, Some(e), true),
                }
            }
            (items, None, true)
        });
        self.next = if ended {
            None
        } else {
            items.last().and_then(|t| t.plus_seconds(1).ok())
        };
        self.error = error;
        self.ready.extend(items);
        self.batch = (self.batch * 2).min(MAX_BATCH);
    }
}

#[pymethods]
impl PyOccurrences {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        if self.ready.is_empty() && self.error.is_none() {
            self.fill(py);
        }
        if let Some(t) = self.ready.pop_front() {
            return convert::to_datetime(py, t).map(Some);
        }
        match self.error.take() {
            Some(e) => {
                self.next = None;
                Err(to_py(&e))
            }
            None => Ok(None),
        }
    }
}
