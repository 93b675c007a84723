//! FHIR R4 search parameter values, parsed and matched: `date` values with
//! their prefixes (`eq`, `ne`, `gt`, `lt`, `ge`, `le`, `sa`, `eb`), `token`
//! values (`[system|]code`), `reference` values (`Type/id` or `id`) and
//! `_count`. Pure: the server parses what a client sent here and filters
//! with the answers.
//!
//! # Dates are ranges
//!
//! A FHIR date search value stands for the range its precision implies:
//! `2026` is the whole year, `2026-05-04` the whole (UTC) day,
//! `2026-05-04T09:00:00Z` one second. A target is a range too: an instant
//! (`Slot.start`) is a point, a period (`Appointment` `start`..`end`,
//! `Schedule.planningHorizon`) the half-open range `[start, end)`. The
//! prefixes compare the two ranges as the R4 search page defines them:
//!
//! | prefix | matches when |
//! |---|---|
//! | `eq` (none) | the value's range contains the whole target |
//! | `ne` | not `eq` |
//! | `gt` | part of the target lies after the value's range |
//! | `lt` | part of the target lies before the value's range |
//! | `ge` | `gt` or `eq` |
//! | `le` | `lt` or `eq` |
//! | `sa` | the whole target lies after the value's range |
//! | `eb` | the whole target lies before the value's range |
//!
//! A date or partial date is read as UTC (hcas stores instants; the server
//! documents this). A value with a time must carry an offset (`Z` or
//! `±HH:MM`): a local time without a zone is ambiguous and refused.
//!
//! ```
//! use hcas_core::fhir::search::DateParam;
//! let t = |s: &str| s.parse().unwrap();
//! let ge = DateParam::parse("ge2026-05-04").unwrap();
//! assert!(ge.matches_instant(t("2026-05-04T00:00:00Z")));
//! assert!(!ge.matches_instant(t("2026-05-03T23:59:59Z")));
//! let lt = DateParam::parse("lt2026-05-04T10:00:00Z").unwrap();
//! assert!(lt.matches_period(t("2026-05-04T09:30:00Z"), t("2026-05-04T10:30:00Z")));
//! assert!(!lt.matches_period(t("2026-05-04T10:00:00Z"), t("2026-05-04T10:30:00Z")));
//! ```

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// A search prefix of an ordered value (R4 `search.html#prefix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    /// `eq`: equal (the default).
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `gt`: greater than.
    Gt,
    /// `lt`: less than.
    Lt,
    /// `ge`: greater or equal.
    Ge,
    /// `le`: less or equal.
    Le,
    /// `sa`: starts after.
    Sa,
    /// `eb`: ends before.
    Eb,
}

impl Prefix {
    /// Every prefix.
    pub const ALL: [Self; 8] = [
        Self::Eq,
        Self::Ne,
        Self::Gt,
        Self::Lt,
        Self::Ge,
        Self::Le,
        Self::Sa,
        Self::Eb,
    ];

    /// The two-letter code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Ge => "ge",
            Self::Le => "le",
            Self::Sa => "sa",
            Self::Eb => "eb",
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `date` search value: a prefix and the half-open range `[lower, upper)`
/// its precision implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DateParam {
    /// The prefix (`eq` when none was given).
    pub prefix: Prefix,
    /// The first second of the value's range.
    pub lower: Timestamp,
    /// The first second after the value's range.
    pub upper: Timestamp,
}

fn bad(text: &str, why: &str) -> Error {
    Error::request(format!(
        "`{text}` is not a FHIR date search value ({why}); write e.g. `ge2026-05-04` or \
         `lt2026-05-04T10:00:00Z`"
    ))
}

fn day_start(d: NaiveDate, text: &str) -> Result<Timestamp> {
    let naive = d
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| bad(text, "no such day"))?;
    Timestamp::from_naive_utc(naive).map_err(|_| bad(text, "outside the years 0001-9999"))
}

/// The first day after year `y`, month `m` (1-based), or `None` past 9999.
fn next_month(y: i32, m: u32) -> Option<NaiveDate> {
    if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
}

/// `day_start` of `d`, or the end of time when there is no such day (the
/// range reaches past 9999).
fn upper_of(d: Option<NaiveDate>, text: &str) -> Result<Timestamp> {
    match d {
        Some(d) if d.year() <= 9999 => day_start(d, text),
        _ => Ok(Timestamp::MAX),
    }
}

impl DateParam {
    /// The value with `prefix` over the half-open range `[lower, upper)`, as
    /// [`DateParam::parse`] makes from text (`ge2026-05-04` is `Ge` over
    /// `[2026-05-04T00:00:00Z, 2026-05-05T00:00:00Z)`).
    ///
    /// ```
    /// use hcas_core::fhir::search::{DateParam, Prefix};
    /// let t = |s: &str| s.parse().unwrap();
    /// let d = DateParam::new(Prefix::Ge, t("2026-05-04T00:00:00Z"), t("2026-05-05T00:00:00Z")).unwrap();
    /// assert_eq!(d, DateParam::parse("ge2026-05-04").unwrap());
    /// ```
    ///
    /// # Errors
    /// `invalid_request` when `lower` is not before `upper` (an empty range
    /// matches no value's precision).
    pub fn new(prefix: Prefix, lower: Timestamp, upper: Timestamp) -> Result<Self> {
        if lower >= upper {
            return Err(Error::request(format!(
                "a date search range [{lower}, {upper}) is empty; `lower` must be before \
                 `upper` (a second, a day, a month or a year)"
            ))
            .at("upper"));
        }
        Ok(Self {
            prefix,
            lower,
            upper,
        })
    }

    /// Parse `[prefix]value`: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (UTC) or an
    /// RFC 3339 instant with an offset (`YYYY-MM-DDThh:mm:ssZ`; `hh:mm`
    /// without seconds is read as `hh:mm:00`).
    ///
    /// # Errors
    /// `invalid_request` naming the value and what to write instead.
    pub fn parse(text: &str) -> Result<Self> {
        let (prefix, value) = Prefix::ALL
            .into_iter()
            .find_map(|p| text.strip_prefix(p.as_str()).map(|v| (p, v)))
            .unwrap_or((Prefix::Eq, text));
        let (lower, upper) = Self::range(value, text)?;
        Ok(Self {
            prefix,
            lower,
            upper,
        })
    }

    fn range(value: &str, text: &str) -> Result<(Timestamp, Timestamp)> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if value.contains('T') {
            let full = match value.split_once('T') {
                // `hh:mm` then an offset: add the seconds.
                Some((d, t)) if t.as_bytes().get(5).is_none_or(|b| *b != b':') => {
                    match (t.get(..5), t.get(5..)) {
                        (Some(hm), Some(rest)) => format!("{d}T{hm}:00{rest}"),
                        _ => value.to_string(),
                    }
                }
                _ => value.to_string(),
            };
            let t = Timestamp::parse(&full).map_err(|_| {
                bad(
                    text,
                    "an instant needs a date, a time and an offset such as `Z`",
                )
            })?;
            let upper = t.plus_seconds(1).unwrap_or(Timestamp::MAX);
            return Ok((t, upper));
        }
        let parts: Vec<&str> = value.split('-').collect();
        match parts.as_slice() {
            [y] if y.len() == 4 && digits(y) => {
                let y: i32 = y.parse().map_err(|_| bad(text, "not a year"))?;
                let first =
                    NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| bad(text, "no such year"))?;
                Ok((
                    day_start(first, text)?,
                    upper_of(NaiveDate::from_ymd_opt(y + 1, 1, 1), text)?,
                ))
            }
            [y, m] if y.len() == 4 && m.len() == 2 && digits(y) && digits(m) => {
                let (y, m): (i32, u32) = (
                    y.parse().map_err(|_| bad(text, "not a year"))?,
                    m.parse().map_err(|_| bad(text, "not a month"))?,
                );
                let first =
                    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| bad(text, "no such month"))?;
                Ok((day_start(first, text)?, upper_of(next_month(y, m), text)?))
            }
            [y, m, d]
                if y.len() == 4
                    && m.len() == 2
                    && d.len() == 2
                    && digits(y)
                    && digits(m)
                    && digits(d) =>
            {
                let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .map_err(|_| bad(text, "no such day"))?;
                Ok((day_start(date, text)?, upper_of(date.succ_opt(), text)?))
            }
            _ => Err(bad(text, "not a date, month, year or instant")),
        }
    }

    /// Whether the instant `t` (a point) matches.
    #[must_use]
    pub fn matches_instant(&self, t: Timestamp) -> bool {
        self.matches(t, t, true)
    }

    /// Whether the period `[start, end)` matches (an empty period is the
    /// point `start`).
    #[must_use]
    pub fn matches_period(&self, start: Timestamp, end: Timestamp) -> bool {
        self.matches(start, end, end <= start)
    }

    fn matches(&self, start: Timestamp, end: Timestamp, point: bool) -> bool {
        let (lo, hi) = (self.lower, self.upper);
        // Some of the target at or after `hi`; some before `lo`; all inside.
        let after = if point { start >= hi } else { end > hi };
        let before = start < lo;
        let inside = start >= lo && if point { start < hi } else { end <= hi };
        match self.prefix {
            Prefix::Eq => inside,
            Prefix::Ne => !inside,
            Prefix::Gt => after,
            Prefix::Lt => before,
            Prefix::Ge => after || inside,
            Prefix::Le => before || inside,
            Prefix::Sa => start >= hi,
            Prefix::Eb => {
                if point {
                    start < lo
                } else {
                    end <= lo
                }
            }
        }
    }

    /// The earliest instant a matching point or period can reach, and the
    /// first instant after the latest, as far as this value bounds them
    /// (`None`: unbounded on that side). The server narrows a store query
    /// with it and filters exactly with [`DateParam::matches_period`].
    #[must_use]
    pub fn bounds(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        match self.prefix {
            Prefix::Eq => (Some(self.lower), Some(self.upper)),
            Prefix::Ne => (None, None),
            Prefix::Gt | Prefix::Ge => (Some(self.lower), None),
            Prefix::Sa => (Some(self.upper), None),
            Prefix::Lt | Prefix::Le => (None, Some(self.upper)),
            Prefix::Eb => (None, Some(self.lower)),
        }
    }

    /// The instants this value matches, exactly, as `[from, to)` (`None`:
    /// unbounded on that side): what a store query by instant needs, with
    /// no filtering after it. `None` for `ne`, which is not one range.
    ///
    /// ```
    /// use hcas_core::fhir::search::DateParam;
    /// let t = |s: &str| s.parse().unwrap();
    /// let d = DateParam::parse("lt2026-05-04").unwrap();
    /// assert_eq!(d.instant_range(), Some((None, Some(t("2026-05-04T00:00:00Z")))));
    /// let d = DateParam::parse("2026-05-04").unwrap();
    /// assert_eq!(d.instant_range(), Some((Some(t("2026-05-04T00:00:00Z")), Some(t("2026-05-05T00:00:00Z")))));
    /// assert_eq!(DateParam::parse("ne2026").unwrap().instant_range(), None);
    /// ```
    #[must_use]
    pub fn instant_range(&self) -> Option<(Option<Timestamp>, Option<Timestamp>)> {
        let (lo, hi) = (self.lower, self.upper);
        match self.prefix {
            Prefix::Eq => Some((Some(lo), Some(hi))),
            Prefix::Ne => None,
            Prefix::Gt | Prefix::Sa => Some((Some(hi), None)),
            Prefix::Ge => Some((Some(lo), None)),
            Prefix::Lt | Prefix::Eb => Some((None, Some(lo))),
            Prefix::Le => Some((None, Some(hi))),
        }
    }
}

/// A `token` search value: `code`, `system|code`, `|code` (no system) or
/// `system|` (any code of the system).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenParam {
    /// The system: `None` when not given, `Some("")` for `|code`.
    pub system: Option<String>,
    /// The code; `None` for `system|`.
    pub code: Option<String>,
}

impl TokenParam {
    /// The value of `system` (`None`: any system, `Some("")`: a coding
    /// without one) and `code` (`None`: any code of the system), as
    /// [`TokenParam::parse`] makes from `system|code`, `|code`, `code` or
    /// `system|`.
    ///
    /// ```
    /// use hcas_core::fhir::search::TokenParam;
    /// let t = TokenParam::new(Some("http://x".into()), Some("gp".into())).unwrap();
    /// assert_eq!(t, TokenParam::parse("http://x|gp").unwrap());
    /// assert!(TokenParam::new(None, None).is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_request` when neither a code nor a non-empty system is
    /// given, for an empty code (give `None` for any code), and for a system
    /// holding `|` (the token's text could not say where it ends).
    pub fn new(system: Option<String>, code: Option<String>) -> Result<Self> {
        if code.as_deref() == Some("") {
            return Err(Error::request(
                "a token's code must not be empty; give None for any code of the system",
            )
            .at("code"));
        }
        if let Some(s) = system.as_deref()
            && s.contains('|')
        {
            return Err(Error::request(format!(
                "token system `{s}` holds `|`, which ends a system in `system|code`; give the \
                 system alone"
            ))
            .at("system"));
        }
        if code.is_none() && system.as_deref().is_none_or(str::is_empty) {
            return Err(Error::request(
                "a token needs a code or a system; give `code`, or `system` for any of its codes",
            ));
        }
        Ok(Self { system, code })
    }

    /// Parse a token value.
    ///
    /// ```
    /// use hcas_core::fhir::search::TokenParam;
    /// let t = TokenParam::parse("http://x|gp").unwrap();
    /// assert!(t.matches(Some("http://x"), "gp"));
    /// assert!(!t.matches(Some("http://y"), "gp"));
    /// assert!(TokenParam::parse("gp").unwrap().matches(None, "gp"));
    /// ```
    ///
    /// # Errors
    /// `invalid_request` for an empty value or `|` alone.
    pub fn parse(text: &str) -> Result<Self> {
        let (system, code) = match text.split_once('|') {
            Some((s, c)) => (Some(s.to_string()), (!c.is_empty()).then(|| c.to_string())),
            None => (None, (!text.is_empty()).then(|| text.to_string())),
        };
        if code.is_none() && system.as_deref().is_none_or(str::is_empty) {
            return Err(Error::request(format!(
                "`{text}` is not a token; give `code` or `system|code`"
            )));
        }
        Ok(Self { system, code })
    }

    /// Whether a coding of `system` (`None`: it has none) and `code` matches.
    #[must_use]
    pub fn matches(&self, system: Option<&str>, code: &str) -> bool {
        let system_ok = match self.system.as_deref() {
            None => true,
            Some("") => system.is_none(),
            Some(s) => system == Some(s),
        };
        system_ok && self.code.as_deref().is_none_or(|c| c == code)
    }
}

/// A `reference` search value: `Type/id`, or a bare `id` (any of the
/// parameter's target types).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferenceParam {
    /// The resource type, if given.
    pub resource_type: Option<String>,
    /// The id.
    pub id: String,
}

impl ReferenceParam {
    /// The value naming `id`, of `resource_type` (`None`: of any of the
    /// parameter's target types), as [`ReferenceParam::parse`] makes from
    /// `Type/id` or a bare `id`. Which types a parameter allows is the
    /// caller's to check (as `parse` does with its `types`).
    ///
    /// ```
    /// use hcas_core::fhir::search::ReferenceParam;
    /// let r = ReferenceParam::new(Some("Practitioner".into()), "P1".into()).unwrap();
    /// assert_eq!(r, ReferenceParam::parse("Practitioner/P1", &["Practitioner"]).unwrap());
    /// assert!(ReferenceParam::new(None, "no/id".into()).is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_request` for an `id` that is no FHIR id (1 to 64 of A-Z,
    /// a-z, 0-9, `-`, `.`) and for a resource type that is not a FHIR type
    /// name (letters and digits, starting with a capital: `Practitioner`).
    pub fn new(resource_type: Option<String>, id: String) -> Result<Self> {
        if let Some(ty) = resource_type.as_deref()
            && !(ty.starts_with(|c: char| c.is_ascii_uppercase())
                && ty.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(Error::request(format!(
                "`{ty}` is not a FHIR resource type; give a type name such as `Practitioner`, \
                 or None for any of the parameter's types"
            ))
            .at("resource_type"));
        }
        if !super::is_fhir_id(&id) {
            return Err(Error::request(format!(
                "`{id}` is not a FHIR id (1 to 64 of A-Z, a-z, 0-9, `-`, `.`)"
            ))
            .at("id"));
        }
        Ok(Self { resource_type, id })
    }

    /// Parse a reference value, allowing the target types `types`
    /// (`["Practitioner", "Patient"]`). Absolute URLs, `_history` versions
    /// and chained forms are refused.
    ///
    /// ```
    /// use hcas_core::fhir::search::ReferenceParam;
    /// let r = ReferenceParam::parse("Practitioner/P1", &["Practitioner", "Patient"]).unwrap();
    /// assert_eq!((r.resource_type.as_deref(), r.id.as_str()), (Some("Practitioner"), "P1"));
    /// assert!(ReferenceParam::parse("Device/D1", &["Practitioner"]).is_err());
    /// assert_eq!(ReferenceParam::parse("P1", &["Practitioner"]).unwrap().id, "P1");
    /// ```
    ///
    /// # Errors
    /// `invalid_request` naming what is wrong.
    pub fn parse(text: &str, types: &[&str]) -> Result<Self> {
        let (ty, id) = match text.split_once('/') {
            Some((ty, id)) => (Some(ty), id),
            None => (None, text),
        };
        if let Some(ty) = ty
            && !types.contains(&ty)
        {
            return Err(Error::request(format!(
                "`{text}`: this parameter refers to {} only (a relative `Type/id` or a bare id)",
                types.join(", ")
            )));
        }
        if !super::is_fhir_id(id) {
            return Err(Error::request(format!(
                "`{text}` is not a relative reference `Type/id` with a FHIR id (1 to 64 of \
                 A-Z, a-z, 0-9, `-`, `.`)"
            )));
        }
        Ok(Self {
            resource_type: ty.map(str::to_string),
            id: id.to_string(),
        })
    }

    /// Whether this value may name a resource of type `ty` with id `id`.
    #[must_use]
    pub fn names(&self, ty: &str, id: &str) -> bool {
        self.id == id && self.resource_type.as_deref().is_none_or(|t| t == ty)
    }
}

/// The page size a client may ask for with `_count` at most.
pub const MAX_COUNT: usize = 500;

/// Parse `_count`: `0` (only the total) to [`MAX_COUNT`].
///
/// # Errors
/// `invalid_request` for a value that is not a whole number in range.
pub fn parse_count(text: &str) -> Result<usize> {
    text.parse::<usize>()
        .ok()
        .filter(|n| *n <= MAX_COUNT)
        .ok_or_else(|| {
            Error::request(format!(
                "`_count={text}`: give a whole number from 0 to {MAX_COUNT}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// `instant_range` says exactly what `matches_instant` says, for every
    /// prefix, at and around both ends of a day.
    #[test]
    fn instant_range_is_matches_instant() {
        let probes = [
            "2026-05-03T23:59:59Z",
            "2026-05-04T00:00:00Z",
            "2026-05-04T12:00:00Z",
            "2026-05-04T23:59:59Z",
            "2026-05-05T00:00:00Z",
            "2026-05-05T00:00:01Z",
        ];
        for p in Prefix::ALL {
            let d = DateParam::parse(&format!("{p}2026-05-04")).unwrap();
            let Some((from, to)) = d.instant_range() else {
                assert_eq!(p, Prefix::Ne);
                continue;
            };
            for x in probes {
                let x = t(x);
                let inside = from.is_none_or(|f| x >= f) && to.is_none_or(|e| x < e);
                assert_eq!(inside, d.matches_instant(x), "{p} at {x}");
            }
        }
    }

    #[test]
    fn precision_sets_the_range() {
        let y = DateParam::parse("2026").unwrap();
        assert_eq!(
            (y.lower, y.upper),
            (t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))
        );
        let m = DateParam::parse("2026-12").unwrap();
        assert_eq!(
            (m.lower, m.upper),
            (t("2026-12-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))
        );
        let d = DateParam::parse("2028-02-28").unwrap();
        assert_eq!(d.upper, t("2028-02-29T00:00:00Z"));
        let i = DateParam::parse("2026-05-04T11:00:00+02:00").unwrap();
        assert_eq!(
            (i.lower, i.upper),
            (t("2026-05-04T09:00:00Z"), t("2026-05-04T09:00:01Z"))
        );
        let hm = DateParam::parse("ge2026-05-04T09:00Z").unwrap();
        assert_eq!(
            (hm.prefix, hm.lower),
            (Prefix::Ge, t("2026-05-04T09:00:00Z"))
        );
        let end = DateParam::parse("9999").unwrap();
        assert_eq!(end.upper, Timestamp::MAX);
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            "",
            "ge",
            "2026-5-4",
            "2026-02-30",
            "2026-05-04T09:00:00",
            "xx2026",
            "26",
            "2026-13",
            "2026-05-04T25:00:00Z",
            "2026-05-04 09:00:00Z",
        ] {
            let e = DateParam::parse(bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn prefixes_on_points() {
        let at = |p: &str, x: &str| DateParam::parse(p).unwrap().matches_instant(t(x));
        let (before, first, last, after) = (
            "2026-05-03T23:59:59Z",
            "2026-05-04T00:00:00Z",
            "2026-05-04T23:59:59Z",
            "2026-05-05T00:00:00Z",
        );
        let table = [
            ("2026-05-04", [false, true, true, false]),
            ("ne2026-05-04", [true, false, false, true]),
            ("gt2026-05-04", [false, false, false, true]),
            ("ge2026-05-04", [false, true, true, true]),
            ("lt2026-05-04", [true, false, false, false]),
            ("le2026-05-04", [true, true, true, false]),
            ("sa2026-05-04", [false, false, false, true]),
            ("eb2026-05-04", [true, false, false, false]),
        ];
        for (p, want) in table {
            let got = [before, first, last, after].map(|x| at(p, x));
            assert_eq!(got, want, "{p}");
        }
    }

    #[test]
    fn prefixes_on_periods() {
        let p = |v: &str, s: &str, e: &str| DateParam::parse(v).unwrap().matches_period(t(s), t(e));
        // 09:30-10:30 straddles 10:00.
        let (s, e) = ("2026-05-04T09:30:00Z", "2026-05-04T10:30:00Z");
        assert!(p("lt2026-05-04T10:00:00Z", s, e));
        assert!(p("gt2026-05-04T10:00:00Z", s, e));
        assert!(!p("sa2026-05-04T10:00:00Z", s, e));
        assert!(!p("eb2026-05-04T10:00:00Z", s, e));
        assert!(p("2026-05-04", s, e));
        assert!(!p("2026-05-05", s, e));
        assert!(p("ne2026-05-05", s, e));
        // A period ending exactly where the day starts is before it.
        assert!(p(
            "eb2026-05-05",
            "2026-05-04T23:00:00Z",
            "2026-05-05T00:00:00Z"
        ));
        assert!(!p(
            "ge2026-05-05",
            "2026-05-04T23:00:00Z",
            "2026-05-05T00:00:00Z"
        ));
    }

    #[test]
    fn bounds_cover_every_match() {
        let value = DateParam::parse("ge2026-05-04").unwrap();
        assert_eq!(value.bounds(), (Some(t("2026-05-04T00:00:00Z")), None));
        let value = DateParam::parse("lt2026-05-04").unwrap();
        assert_eq!(value.bounds(), (None, Some(t("2026-05-05T00:00:00Z"))));
        assert!(!value.matches_period(t("2026-05-05T00:00:00Z"), t("2026-05-05T01:00:00Z")));
    }

    #[test]
    fn tokens_and_references() {
        assert!(TokenParam::parse("|gp").unwrap().matches(None, "gp"));
        assert!(!TokenParam::parse("|gp").unwrap().matches(Some("s"), "gp"));
        assert!(TokenParam::parse("s|").unwrap().matches(Some("s"), "any"));
        assert!(TokenParam::parse("|").is_err());
        assert!(TokenParam::parse("").is_err());
        assert!(ReferenceParam::parse("Practitioner/P1/_history/2", &["Practitioner"]).is_err());
        assert!(ReferenceParam::parse("http://x/Practitioner/P1", &["Practitioner"]).is_err());
        let r = ReferenceParam::parse("P1", &["Practitioner", "Patient"]).unwrap();
        assert!(
            r.names("Patient", "P1") && r.names("Practitioner", "P1") && !r.names("Patient", "P2")
        );
        assert_eq!(parse_count("0").unwrap(), 0);
        assert!(
            parse_count("501").is_err() && parse_count("-1").is_err() && parse_count("x").is_err()
        );
    }

    #[test]
    fn date_constructor_is_parse_from_parts() {
        // The ranges by hand: a UTC day, a month (February of a leap year),
        // one second.
        let day = DateParam::new(
            Prefix::Le,
            t("2026-05-04T00:00:00Z"),
            t("2026-05-05T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(day, DateParam::parse("le2026-05-04").unwrap());
        let month = DateParam::new(
            Prefix::Eq,
            t("2028-02-01T00:00:00Z"),
            t("2028-03-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(month, DateParam::parse("2028-02").unwrap());
        let second = DateParam::new(
            Prefix::Sa,
            t("2026-05-04T10:00:00Z"),
            t("2026-05-04T10:00:01Z"),
        )
        .unwrap();
        assert_eq!(
            second,
            DateParam::parse("sa2026-05-04T12:00:00+02:00").unwrap()
        );
        assert!(second.matches_instant(t("2026-05-04T10:00:01Z")));
        assert!(!second.matches_instant(t("2026-05-04T10:00:00Z")));
        // An empty or reversed range is refused with the stable code.
        for (lo, hi) in [
            ("2026-05-04T00:00:00Z", "2026-05-04T00:00:00Z"),
            ("2026-05-05T00:00:00Z", "2026-05-04T00:00:00Z"),
        ] {
            let e = DateParam::new(Prefix::Eq, t(lo), t(hi)).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidRequest, "{lo} {hi}");
            assert!(e.message().starts_with("upper: "), "{}", e.message());
        }
    }

    #[test]
    fn token_constructor_is_parse_from_parts() {
        let s = |v: &str| Some(v.to_string());
        for (system, code, text) in [
            (s("http://x"), s("gp"), "http://x|gp"),
            (None, s("gp"), "gp"),
            (s(""), s("gp"), "|gp"),
            (s("http://x"), None, "http://x|"),
            // A code may hold `|`: text splits at the first one.
            (s("a"), s("b|c"), "a|b|c"),
        ] {
            let made = TokenParam::new(system.clone(), code.clone()).unwrap();
            assert_eq!(made, TokenParam::parse(text).unwrap(), "{text}");
            assert_eq!((made.system, made.code), (system, code), "{text}");
        }
        assert!(TokenParam::new(s(""), s("gp")).unwrap().matches(None, "gp"));
        assert!(
            !TokenParam::new(s(""), s("gp"))
                .unwrap()
                .matches(Some("x"), "gp")
        );
        for (system, code) in [
            (None, None),
            (s(""), None),
            (None, s("")),
            (s("http://x"), s("")),
            (s("a|b"), s("c")),
        ] {
            let e = TokenParam::new(system.clone(), code.clone()).unwrap_err();
            assert_eq!(
                e.code(),
                crate::ErrorCode::InvalidRequest,
                "{system:?} {code:?}"
            );
        }
    }

    #[test]
    fn reference_constructor_is_parse_from_parts() {
        let types = ["Practitioner", "Patient"];
        let typed = ReferenceParam::new(Some("Patient".into()), "X1".into()).unwrap();
        assert_eq!(typed, ReferenceParam::parse("Patient/X1", &types).unwrap());
        assert!(typed.names("Patient", "X1") && !typed.names("Practitioner", "X1"));
        let bare = ReferenceParam::new(None, "a.b-9".into()).unwrap();
        assert_eq!(bare, ReferenceParam::parse("a.b-9", &types).unwrap());
        let long = "x".repeat(65);
        for (ty, id) in [
            (None, ""),
            (None, "P/1"),
            (None, "P_1"),
            (None, long.as_str()),
            (Some(""), "P1"),
            (Some("practitioner"), "P1"),
            (Some("Practitioner/x"), "P1"),
            (Some("http://x/Practitioner"), "P1"),
        ] {
            let e = ReferenceParam::new(ty.map(str::to_string), id.to_string()).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidRequest, "{ty:?} {id}");
        }
        // 64 characters is still an id.
        assert!(ReferenceParam::new(None, "x".repeat(64)).is_ok());
    }
}
