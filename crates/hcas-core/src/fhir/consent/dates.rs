//! FHIR dates, instants and periods ⇄ hcas instants and [`Period`]s (the
//! section "Dates and periods" of the module docs).

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    /// The first instant the date covers.
    Start,
    /// The first instant after the date (FHIR: an end includes its whole day).
    End,
}

/// A FHIR `date` (`date_only`) or `dateTime` as an hcas instant. A date
/// without a time is read at 00:00:00Z: its first day for a start, the day
/// after its last for an end.
pub(super) fn fhir_instant(
    text: &str,
    path: &str,
    bound: Bound,
    date_only: bool,
) -> Result<Timestamp> {
    if text.contains('T') {
        if date_only {
            return Err(Error::new(
                ErrorCode::InvalidDatetime,
                format!(
                    "`{text}` is a dateTime, and R5 Consent.date is a date (YYYY-MM-DD); the \
                     time goes in the extension {EXT_DATE_TIME}"
                ),
            )
            .at(path));
        }
        return Timestamp::parse(text).map_err(|e| e.at(path));
    }
    let bad = || {
        Error::new(
            ErrorCode::InvalidDatetime,
            format!("`{text}` is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD) or dateTime"),
        )
        .at(path)
    };
    let b = text.as_bytes();
    let number = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let year = |s: &[u8]| -> Option<i32> {
        number(s)
            .and_then(|y| i32::try_from(y).ok())
            .filter(|y| (1..=9999).contains(y))
    };
    let (first, next) = match b.len() {
        4 => {
            let y = year(b).ok_or_else(bad)?;
            (
                NaiveDate::from_ymd_opt(y, 1, 1),
                NaiveDate::from_ymd_opt(y + 1, 1, 1),
            )
        }
        7 if b[4] == b'-' => {
            let y = year(&b[..4]).ok_or_else(bad)?;
            let m = number(&b[5..])
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)
            };
            (NaiveDate::from_ymd_opt(y, m, 1), next)
        }
        10 => {
            let d = parse_local_date(text).map_err(|e| e.at(path))?;
            (Some(d), d.succ_opt())
        }
        _ => return Err(bad()),
    };
    let day = match bound {
        Bound::Start => first,
        Bound::End => next,
    }
    .ok_or_else(bad)?;
    if day.year() > 9999 {
        return Err(Error::new(
            ErrorCode::InvalidDatetime,
            format!("the end of `{text}` is after the year 9999, which hcas cannot write"),
        )
        .at(path));
    }
    Timestamp::from_naive_utc(day.and_time(NaiveTime::MIN)).map_err(|e| e.at(path))
}

/// A FHIR `Period`: at least one end, the end after the start.
pub(super) fn period(v: &Value, path: &str) -> Result<Period> {
    let o = object(v, path)?;
    check_keys(o, PERIOD_ELEMENTS, path)?;
    let bound = |key: &str, b: Bound| -> Result<Option<Timestamp>> {
        string(o, key, path)?
            .map(|s| fhir_instant(s, &field(path, key), b, false))
            .transpose()
    };
    let p = Period {
        start: bound("start", Bound::Start)?,
        end: bound("end", Bound::End)?,
    };
    match (p.start, p.end) {
        (None, None) => Err(invalid(
            path,
            "has neither start nor end; an unbounded period is written as no period",
        )),
        (Some(s), Some(e)) if e <= s => Err(consent_error(format!(
            "ends at {e}, not after its start {s} (hcas periods are half-open [start, end); a \
             date-only end includes its whole day)"
        ))
        .at(&field(path, "end"))),
        _ => Ok(p),
    }
}
