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
    PyBytes, PyDate, PyDateTime, PyDelta, PyDict, PyString, PyTime, PyTuple, PyType, PyTzInfo,
};

use crate::errors::{IntoPyResult, error};

/// The Python objects every conversion uses, found once per interpreter
/// instead of imported on each call.
struct Cached {
    /// `datetime.datetime`.
    datetime: Py<PyType>,
    /// `datetime.timedelta`.
    timedelta: Py<PyType>,
    /// `datetime.timezone.utc`.
    utc: Py<PyTzInfo>,
    /// `1970-01-01T00:00:00+00:00`: an aware datetime minus it is its Unix time.
    epoch: Py<PyAny>,
    /// `array.array`.
    array: Py<PyAny>,
    /// Whether `datetime(state, tzinfo)` with the 10-byte state of its pickle
    /// form builds the datetime the state's fields say (checked once, below).
    from_state: bool,
    /// Whether a `datetime`'s `__reduce__()` is `(datetime, (state, tzinfo))`
    /// with that same state (checked once, below), so [`instant_utc`] can
    /// read a UTC datetime from it.
    reduce_state: bool,
}

static CACHED: PyOnceLock<Cached> = PyOnceLock::new();

fn cached(py: Python<'_>) -> PyResult<&'static Cached> {
    CACHED.get_or_try_init(py, || {
        let module = py.import("datetime")?;
        let datetime = module.getattr("datetime")?.cast_into::<PyType>()?;
        let timedelta = module.getattr("timedelta")?.cast_into::<PyType>()?;
        let utc = module
            .getattr("timezone")?
            .getattr("utc")?
            .cast_into::<PyTzInfo>()?;
        let epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
        let array = py.import("array")?.getattr("array")?;
        // The pickle state is CPython's stable pickle format (pickles load
        // across versions); still, each field is compared with the documented
        // constructor's answer once, and a mismatch keeps that constructor.
        const SAMPLES: [(i32, u8, u8, u8, u8, u8); 4] = [
            (1, 1, 1, 0, 0, 0),
            (1969, 12, 31, 23, 59, 59),
            (2026, 3, 8, 7, 30, 45),
            (9999, 12, 31, 23, 59, 59),
        ];
        let from_state = SAMPLES.iter().all(|&(y, mo, d, h, mi, sec)| {
            let by_state = datetime.call1((PyBytes::new(py, &state(y, mo, d, h, mi, sec)), &utc));
            let by_fields = datetime.call1((y, mo, d, h, mi, sec, 0, &utc));
            match (by_state, by_fields) {
                (Ok(a), Ok(b)) => a.eq(&b).unwrap_or(false) && a.get_type().is(&datetime),
                _ => false,
            }
        });
        // The other way: each sample (with microseconds, which the state
        // carries and instants drop) reduces to its state and `utc`.
        let reduce_state = SAMPLES.iter().all(|&(y, mo, d, h, mi, sec)| {
            let Ok(dt) = datetime.call1((y, mo, d, h, mi, sec, 999_999, &utc)) else {
                return false;
            };
            let mut expected = state(y, mo, d, h, mi, sec);
            expected[7..].copy_from_slice(&999_999_u32.to_be_bytes()[1..]);
            let want = (&datetime, (PyBytes::new(py, &expected), &utc));
            dt.call_method0("__reduce__")
                .and_then(|got| got.eq(want))
                .unwrap_or(false)
        });
        Ok(Cached {
            datetime: datetime.unbind(),
            timedelta: timedelta.unbind(),
            utc: utc.unbind(),
            epoch: epoch.unbind(),
            array: array.unbind(),
            from_state,
            reduce_state,
        })
    })
}

/// A datetime's pickle state: year (2 bytes), month, day, hour, minute,
/// second, microsecond (3 bytes), big-endian; fold 0.
fn state(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> [u8; 10] {
    let [_, _, hi, lo] = year.to_be_bytes();
    [hi, lo, month, day, hour, minute, second, 0, 0, 0]
}

/// The name of `obj`'s type, for a refusal (`?` if it has none).
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string())
}

/// An aware `datetime` as the instant it names (sub-seconds truncated, as
/// `Timestamp::try_from(DateTime)` does); a naive one is refused.
///
/// Read as `obj - 1970-01-01T00:00Z` (Python's own aware arithmetic: the
/// offset is `obj.utcoffset()`, so `fold` counts), whole days and seconds of
/// it; anything that way cannot answer (naive, an offset with sub-seconds,
/// out of range, an odd subclass) takes [`instant_checked`], which says why.
pub(crate) fn instant(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Timestamp> {
    if let Some(t) = instant_utc(obj)? {
        return Ok(t);
    }
    if obj.is_instance_of::<PyDateTime>()
        && let Some(t) = instant_by_difference(obj)?
    {
        return Ok(t);
    }
    instant_checked(obj, name)
}

/// `instant`'s quickest way, for the commonest input (and what every output
/// here is): a plain `datetime` (not a subclass) whose `tzinfo` is
/// `timezone.utc`, so its wall fields are UTC. One C-level call,
/// `obj.__reduce__()`, answers `(datetime, (state, tzinfo))` with the
/// 10-byte pickle state of [`state`] (checked once in `cached`); the fields
/// are read from it, the microseconds dropped as everywhere. Asking the
/// `tzinfo` its offset, as `obj - epoch` does twice, costs more than the
/// rest of the conversion. Anything else: `None`, to take the other ways.
fn instant_utc(obj: &Bound<'_, PyAny>) -> PyResult<Option<Timestamp>> {
    let py = obj.py();
    let c = cached(py)?;
    if !c.reduce_state || !obj.get_type().is(c.datetime.bind(py)) {
        return Ok(None);
    }
    let Ok(reduced) = obj.call_method0(intern!(py, "__reduce__")) else {
        return Ok(None);
    };
    let args = reduced
        .cast_into::<PyTuple>()
        .ok()
        .and_then(|r| r.get_item(1).ok())
        .and_then(|a| a.cast_into::<PyTuple>().ok());
    let Some(args) = args.filter(|a| a.len() == 2) else {
        return Ok(None);
    };
    if !args.get_item(1)?.is(c.utc.bind(py)) {
        return Ok(None);
    }
    let fields = args.get_item(0)?;
    let Ok(fields) = fields.cast::<PyBytes>() else {
        return Ok(None);
    };
    let &[hi, lo, month, day, hour, minute, second, _, _, _] = fields.as_bytes() else {
        return Ok(None);
    };
    // The month's high bit is `fold` in the protocol 4 form; UTC has no fold.
    let unix = NaiveDate::from_ymd_opt(
        i32::from(u16::from_be_bytes([hi, lo])),
        u32::from(month & 0x7F),
        u32::from(day),
    )
    .and_then(|d| d.and_hms_opt(u32::from(hour), u32::from(minute), u32::from(second)))
    .map(|wall| wall.and_utc().timestamp());
    Ok(unix.and_then(|secs| Timestamp::from_unix(secs).ok()))
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
                type_name(obj)
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

/// An optional instant as an optional aware UTC datetime ([`to_datetime`]).
pub(crate) fn opt_datetime(
    py: Python<'_>,
    t: Option<Timestamp>,
) -> PyResult<Option<Bound<'_, PyDateTime>>> {
    t.map(|t| to_datetime(py, t)).transpose()
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
                type_name(obj)
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
            format!("{name} must be a datetime.date, got {}", type_name(obj)),
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
            type_name(obj)
        ),
    ))
}

/// A `timedelta` of whole minutes.
///
/// A plain `timedelta` (not a subclass) is read from its three fields by
/// attribute (cheaper than the descriptor calls of the abi3 extraction);
/// a subclass, a wrong type or sub-seconds go the general way, which says
/// what is wrong.
pub(crate) fn minutes(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Minutes> {
    let py = obj.py();
    if obj.get_type().is(cached(py)?.timedelta.bind(py)) {
        let field = |f: &Bound<'_, PyString>| obj.getattr(f)?.extract::<i64>();
        let days = field(intern!(py, "days"))?;
        let seconds = field(intern!(py, "seconds"))?;
        if field(intern!(py, "microseconds"))? == 0
            && let Some(total) = days
                .checked_mul(hcas_core::time::DAY)
                .and_then(|d| d.checked_add(seconds))
        {
            return Minutes::from_seconds(total).map_err(|e| e.at(name)).py();
        }
    }
    let Ok(delta) = obj.extract::<TimeDelta>() else {
        return Err(error(
            ErrorCode::InvalidDuration,
            format!(
                "{name} must be a datetime.timedelta, got {}",
                type_name(obj)
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
                type_name(obj)
            ),
        ));
    };
    Zone::parse(&text).map_err(|e| e.at(name)).py()
}

/// The items of an iterable. A lone `str` is refused (it would read as its
/// characters), as is anything not iterable: an `ec` error saying `{name}
/// must be a list of {what}`; an error raised while iterating passes through.
pub(crate) fn list<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    what: &str,
    ec: ErrorCode,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let refuse = || {
        error(
            ec,
            format!("{name} must be a list of {what}, got {}", type_name(obj)),
        )
    };
    if obj.is_instance_of::<PyString>() {
        return Err(refuse());
    }
    obj.try_iter().map_err(|_| refuse())?.collect()
}

/// The strings of an iterable of `str` ([`list`]); an item of another type
/// is an `ec` error naming it (`{name}[{i}]`).
pub(crate) fn strings(obj: &Bound<'_, PyAny>, name: &str, ec: ErrorCode) -> PyResult<Vec<String>> {
    list(obj, name, "str", ec)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.extract::<String>().map_err(|_| {
                error(
                    ec,
                    format!("{name}[{i}] must be a str, got {}", type_name(v)),
                )
            })
        })
        .collect()
}

/// [`strings`], where any refusal (or error while iterating) is the
/// `invalid_request` error `refusal` words.
pub(crate) fn strings_or(
    obj: &Bound<'_, PyAny>,
    refusal: impl FnOnce() -> String,
) -> PyResult<Vec<String>> {
    strings(obj, "", ErrorCode::InvalidRequest)
        .map_err(|_| error(ErrorCode::InvalidRequest, refusal()))
}

/// Resource names (`"provider:P1"`, ...) from any iterable of `str`
/// ([`strings_or`]).
pub(crate) fn resources(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    strings_or(obj, || {
        format!("{name} must be a list of resource names, e.g. [\"provider:P1\"]")
    })
}

/// What `__reduce__` answers for a value its class's constructor rebuilds
/// from `args` (pickling and `copy` call it so).
pub(crate) fn reduce_new<'py, T: pyo3::PyClass, A>(
    slf: &Bound<'py, T>,
    args: A,
) -> crate::Reduced<'py, A> {
    Ok((slf.as_any().get_type().into_any(), args))
}

/// What `__reduce__` answers for a value the class method `make` rebuilds
/// from `args`.
pub(crate) fn reduce_by<'py, T: pyo3::PyClass, A>(
    slf: &Bound<'py, T>,
    make: &str,
    args: A,
) -> crate::Reduced<'py, A> {
    Ok((slf.as_any().get_type().getattr(make)?, args))
}

/// An instant in a `repr`: its RFC 3339 text, quoted.
pub(crate) fn instant_repr(t: Timestamp) -> String {
    format!("{:?}", t.to_string())
}

/// An optional instant in a `repr`: [`instant_repr`] or `None`.
pub(crate) fn opt_instant_repr(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "None".to_string(), instant_repr)
}

/// `[start, end)` in a `repr`: a pair of [`instant_repr`]s.
pub(crate) fn interval_repr(iv: &hcas_core::Interval) -> String {
    format!("({}, {})", instant_repr(iv.start()), instant_repr(iv.end()))
}

/// A `bool` in a `repr`: `True` or `False`.
pub(crate) fn bool_repr(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// An optional keyword argument in a `repr`: `, {name}={value}` (`value`
/// already written), or nothing when absent.
pub(crate) fn kw_repr(name: &str, value: Option<String>) -> String {
    value.map(|v| format!(", {name}={v}")).unwrap_or_default()
}

/// Items' `repr`s as a Python list: `[a, b]`.
pub(crate) fn list_repr(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}
