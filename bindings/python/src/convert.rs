//! Python values to and from engine values: aware `datetime` <-> `Timestamp`,
//! naive `datetime` <-> local wall time, `date`, `time`, `timedelta` <->
//! `Minutes`, and a zone given as `hcas.Zone`, `zoneinfo.ZoneInfo` or an IANA
//! name. Every refusal is an `hcas` error naming the argument.

use hcas_core::chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc,
};
use hcas_core::{ErrorCode, LocalTime, Minutes, Timestamp, Zone};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDict, PyString, PyTime, PyTzInfo};

use crate::errors::{IntoPyResult, error};

fn type_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(obj.get_type().name()?.to_string())
}

/// An aware `datetime` as the instant it names (sub-seconds truncated, as
/// `Timestamp::try_from(DateTime)` does); a naive one is refused.
pub(crate) fn instant(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Timestamp> {
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

/// An instant as an aware `datetime` in UTC. Built from its fields with
/// `timezone.utc` directly: under the abi3 API pyo3's `DateTime<Utc>`
/// conversion also passes `fold` as a keyword (a dict per datetime), which
/// UTC never needs; lists of slots and occurrences make one per item.
pub(crate) fn to_datetime(py: Python<'_>, t: Timestamp) -> PyResult<Bound<'_, PyDateTime>> {
    let dt: DateTime<Utc> = t.into();
    let (date, time) = (dt.date_naive(), dt.time());
    let utc = PyTzInfo::utc(py)?;
    let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    PyDateTime::new(
        py,
        date.year(),
        narrow(date.month()),
        narrow(date.day()),
        narrow(time.hour()),
        narrow(time.minute()),
        narrow(time.second()),
        0,
        Some(&utc),
    )
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
