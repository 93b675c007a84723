//! Python values to and from engine values: aware `datetime` <-> `Timestamp`,
//! naive `datetime` <-> local wall time, `date`, `time`, `timedelta` <->
//! `Minutes`, and a zone given as `hcas.Zone`, `zoneinfo.ZoneInfo` or an IANA
//! name. Every refusal is an `hcas` error naming the argument.

use hcas_core::chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc,
};
use hcas_core::{ErrorCode, LocalTime, Minutes, Timestamp, Zone};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBytes, PyDate, PyDateTime, PyDelta, PyDict, PyString, PyTime, PyType, PyTzInfo,
};

use crate::errors::{IntoPyResult, error};

/// The Python objects every conversion uses, found once per interpreter
/// instead of imported on each call.
struct Cached {
    /// `datetime.datetime`.
    datetime: Py<PyType>,
    /// `datetime.timezone.utc`.
    utc: Py<PyTzInfo>,
    /// `1970-01-01T00:00:00+00:00`: an aware datetime minus it is its Unix time.
    epoch: Py<PyAny>,
    /// `array.array`.
    array: Py<PyAny>,
    /// Whether `datetime(state, tzinfo)` with the 10-byte state of its pickle
    /// form builds the datetime the state's fields say (checked once, below).
    from_state: bool,
}

static CACHED: PyOnceLock<Cached> = PyOnceLock::new();

fn cached(py: Python<'_>) -> PyResult<&'static Cached> {
    CACHED.get_or_try_init(py, || {
        let module = py.import("datetime")?;
        let datetime = module.getattr("datetime")?.cast_into::<PyType>()?;
        let utc = module
            .getattr("timezone")?
            .getattr("utc")?
            .cast_into::<PyTzInfo>()?;
        let epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
        let array = py.import("array")?.getattr("array")?;
        // The pickle state is CPython's stable pickle format (pickles load
        // across versions); still, each field is compared with the documented
        // constructor's answer once, and a mismatch keeps that constructor.
        let from_state = [
            (1, 1, 1, 0, 0, 0),
            (1969, 12, 31, 23, 59, 59),
            (2026, 3, 8, 7, 30, 45),
            (9999, 12, 31, 23, 59, 59),
        ]
        .iter()
        .all(|&(y, mo, d, h, mi, sec)| {
            let by_state = datetime.call1((PyBytes::new(py, &state(y, mo, d, h, mi, sec)), &utc));
            let by_fields = datetime.call1((y, mo, d, h, mi, sec, 0, &utc));
            match (by_state, by_fields) {
                (Ok(a), Ok(b)) => a.eq(&b).unwrap_or(false) && a.get_type().is(&datetime),
                _ => false,
            }
        });
        Ok(Cached {
            datetime: datetime.unbind(),
            utc: utc.unbind(),
            epoch: epoch.unbind(),
            array: array.unbind(),
            from_state,
        })
    })
}

/// A datetime's pickle state: year (2 bytes), month, day, hour, minute,
/// second, microsecond (3 bytes), big-endian; fold 0.
fn state(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> [u8; 10] {
    let [_, _, hi, lo] = year.to_be_bytes();
    [hi, lo, month, day, hour, minute, second, 0, 0, 0]
}

fn type_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(obj.get_type().name()?.to_string())
}

/// An aware `datetime` as the instant it names (sub-seconds truncated, as
/// `Timestamp::try_from(DateTime)` does); a naive one is refused.
///
/// Read as `obj - 1970-01-01T00:00Z` (Python's own aware arithmetic: the
/// offset is `obj.utcoffset()`, so `fold` counts), whole days and seconds of
/// it; anything that way cannot answer (naive, an offset with sub-seconds,
/// out of range, an odd subclass) takes [`instant_checked`], which says why.
pub(crate) fn instant(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Timestamp> {
    if obj.is_instance_of::<PyDateTime>()
        && let Some(t) = instant_by_difference(obj)?
    {
        return Ok(t);
    }
    instant_checked(obj, name)
}

/// `instant`'s quick way, or `None` to go the checked way.
fn instant_by_difference(obj: &Bound<'_, PyAny>) -> PyResult<Option<Timestamp>> {
    let py = obj.py();
    let c = cached(py)?;
    let Ok(delta) = obj.sub(c.epoch.bind(py)) else {
        return Ok(None);
    };
    if !delta.is_instance_of::<PyDelta>() {
        return Ok(None);
    }
    let days: i64 = delta.getattr(intern!(py, "days"))?.extract()?;
    let seconds: i64 = delta.getattr(intern!(py, "seconds"))?.extract()?;
    // The difference keeps obj's microseconds unless the offset had some.
    let micros: i64 = delta.getattr(intern!(py, "microseconds"))?.extract()?;
    let own: i64 = obj.getattr(intern!(py, "microsecond"))?.extract()?;
    if micros != own {
        return Ok(None);
    }
    Ok(days
        .checked_mul(hcas_core::time::DAY)
        .and_then(|d| d.checked_add(seconds))
        .and_then(|secs| Timestamp::from_unix(secs).ok()))
}

/// `instant` field by field, with an error that says what is wrong.
fn instant_checked(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Timestamp> {
    if !obj.is_instance_of::<PyDateTime>() {
        return Err(error(
            ErrorCode::InvalidDatetime,
            format!(
                "{name} must be an aware datetime.datetime, got {}",
                type_name(obj)?
            ),
        ));
    }
    let offset = obj.call_method0("utcoffset")?;
    if offset.is_none() {
        return Err(error(
            ErrorCode::InvalidDatetime,
            format!(
                "{name} is a naive datetime ({}): an instant needs its zone, e.g. \
                 tzinfo=ZoneInfo(\"Europe/London\") or tzinfo=timezone.utc",
                obj.str()?
            ),
        ));
    }
    let offset: TimeDelta = offset.extract()?;
    let fixed = i32::try_from(offset.num_seconds())
        .ok()
        .filter(|_| offset.subsec_nanos() == 0)
        .and_then(FixedOffset::east_opt)
        .ok_or_else(|| {
            error(
                ErrorCode::InvalidDatetime,
                format!(
                    "{name}: the UTC offset {offset} is not a whole number of seconds under a day"
                ),
            )
        })?;
    let py = obj.py();
    let naive = PyDict::new(py);
    naive.set_item("tzinfo", py.None())?;
    let wall: NaiveDateTime = obj.call_method("replace", (), Some(&naive))?.extract()?;
    let dt: DateTime<FixedOffset> = wall
        .checked_sub_offset(fixed)
        .map(|utc| DateTime::from_naive_utc_and_offset(utc, fixed))
        .ok_or_else(|| error(ErrorCode::InvalidDatetime, format!("{name}: out of range")))?;
    Timestamp::try_from(dt).map_err(|e| e.at(name)).py()
}

/// An optional instant (`None` stays `None`).
pub(crate) fn opt_instant(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<Timestamp>> {
    obj.filter(|o| !o.is_none())
        .map(|o| instant(o, name))
        .transpose()
}

/// An instant as an aware `datetime` in UTC (`tzinfo` is `timezone.utc`),
/// made by one constructor call from its civil fields, computed here: the
/// abi3 API has no datetime C API, so lists of slots and occurrences pay a
/// Python call per item, and this keeps it to the cheapest one. That is
/// `datetime(state, tzinfo)` with the 10-byte pickle state (no argument
/// parsing), checked once against the field constructor (`cached`), which
/// is used instead if they ever differ. Every `Timestamp` lies in the years
/// 0001-9999, as every `datetime` does.
pub(crate) fn to_datetime(py: Python<'_>, t: Timestamp) -> PyResult<Bound<'_, PyDateTime>> {
    let c = cached(py)?;
    let dt: DateTime<Utc> = t.into();
    let (date, time) = (dt.date_naive(), dt.time());
    let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    let (y, mo, d) = (date.year(), narrow(date.month()), narrow(date.day()));
    let (h, mi, sec) = (
        narrow(time.hour()),
        narrow(time.minute()),
        narrow(time.second()),
    );
    let (datetime, utc) = (c.datetime.bind(py), c.utc.bind(py));
    let made = if c.from_state {
        datetime.call1((PyBytes::new(py, &state(y, mo, d, h, mi, sec)), utc))?
    } else {
        datetime.call1((y, mo, d, h, mi, sec, 0, utc))?
    };
    Ok(made.cast_into::<PyDateTime>()?)
}

/// Instants as a list of aware UTC datetimes ([`to_datetime`]).
pub(crate) fn datetimes<'py>(
    py: Python<'py>,
    items: &[Timestamp],
) -> PyResult<Bound<'py, pyo3::types::PyList>> {
    let made = items
        .iter()
        .map(|&t| to_datetime(py, t))
        .collect::<PyResult<Vec<_>>>()?;
    pyo3::types::PyList::new(py, made)
}

/// Instants as an `array.array("q")` of Unix seconds: one Python object for
/// the lot (`numpy.frombuffer(a, dtype="int64")` reads it without a copy),
/// made in one call from the seconds' bytes.
pub(crate) fn epoch_array<'py>(
    py: Python<'py>,
    items: &[Timestamp],
) -> PyResult<Bound<'py, PyAny>> {
    let c = cached(py)?;
    let bytes = PyBytes::new_with(py, items.len() * 8, |buf| {
        for (chunk, t) in buf.chunks_exact_mut(8).zip(items) {
            chunk.copy_from_slice(&t.unix().to_ne_bytes());
        }
        Ok(())
    })?;
    c.array.bind(py).call1((intern!(py, "q"), bytes))
}

/// A naive `datetime`: wall time in some zone (an aware one is refused: say
/// the zone separately).
pub(crate) fn local_datetime(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<NaiveDateTime> {
    if !obj.is_instance_of::<PyDateTime>() {
        return Err(error(
            ErrorCode::InvalidDatetime,
            format!(
                "{name} must be a naive datetime.datetime (wall time), got {}",
                type_name(obj)?
            ),
        ));
    }
    if !obj.getattr("tzinfo")?.is_none() {
        return Err(error(
            ErrorCode::InvalidDatetime,
            format!(
                "{name} is wall time and must be naive (no tzinfo), got {}; give the zone as `zone`",
                obj.str()?
            ),
        ));
    }
    obj.extract()
}

/// A `datetime.date` (not a `datetime`, whose time would be dropped).
pub(crate) fn local_date(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<NaiveDate> {
    if !obj.is_instance_of::<PyDate>() || obj.is_instance_of::<PyDateTime>() {
        return Err(error(
            ErrorCode::InvalidDatetime,
            format!("{name} must be a datetime.date, got {}", type_name(obj)?),
        ));
    }
    obj.extract()
}

/// A local time of day: a naive `datetime.time` (whole seconds) or text
/// `HH:MM[:SS]`; with `end`, `24:00` (the end of the day) too.
pub(crate) fn local_time(obj: &Bound<'_, PyAny>, name: &str, end: bool) -> PyResult<LocalTime> {
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s.to_cow()?;
        let parsed = if end {
            LocalTime::parse_end(&s)
        } else {
            LocalTime::parse(&s)
        };
        return parsed.map_err(|e| e.at(name)).py();
    }
    if obj.is_instance_of::<PyTime>() {
        if !obj.getattr("tzinfo")?.is_none() {
            return Err(error(
                ErrorCode::InvalidDatetime,
                format!("{name} is wall time and must have no tzinfo"),
            ));
        }
        let t: NaiveTime = obj.extract()?;
        return LocalTime::try_from(t).map_err(|e| e.at(name)).py();
    }
    Err(error(
        ErrorCode::InvalidDatetime,
        format!(
            "{name} must be a datetime.time or \"HH:MM\" text, got {}",
            type_name(obj)?
        ),
    ))
}

/// A `timedelta` of whole minutes.
pub(crate) fn minutes(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Minutes> {
    let Ok(delta) = obj.extract::<TimeDelta>() else {
        return Err(error(
            ErrorCode::InvalidDuration,
            format!(
                "{name} must be a datetime.timedelta, got {}",
                type_name(obj)?
            ),
        ));
    };
    if delta.subsec_nanos() != 0 {
        return Err(error(
            ErrorCode::InvalidDuration,
            format!("{name} must be whole minutes, got {delta}"),
        ));
    }
    Minutes::from_seconds(delta.num_seconds())
        .map_err(|e| e.at(name))
        .py()
}

/// An optional `timedelta` of whole minutes.
pub(crate) fn opt_minutes(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<Minutes>> {
    obj.filter(|o| !o.is_none())
        .map(|o| minutes(o, name))
        .transpose()
}

/// A zone: `hcas.Zone`, `zoneinfo.ZoneInfo` (its `key`), or an IANA name.
pub(crate) fn zone(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Zone> {
    if let Ok(z) = obj.cast::<crate::zone::PyZone>() {
        return Ok(z.get().0);
    }
    let text = if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow()?.to_string()
    } else if let Ok(key) = obj.getattr("key").and_then(|k| k.extract::<String>()) {
        key
    } else {
        return Err(error(
            ErrorCode::InvalidTimezone,
            format!(
                "{name} must be an IANA name, a zoneinfo.ZoneInfo or an hcas.Zone, got {}",
                type_name(obj)?
            ),
        ));
    };
    Zone::parse(&text).map_err(|e| e.at(name)).py()
}
