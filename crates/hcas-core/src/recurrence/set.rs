//! [`Recurrence`]: DTSTART + RRULE + RDATE/EXDATE in a zone, and its window queries.

use chrono::{Datelike, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::expand::{Plan, naive_from_seconds, walk};
use super::iter::Occurrences;
use super::rule::{RRule, Until};
use super::{MAX_OCCURRENCES, MAX_RECURRENCE_WINDOW_DAYS, WALK_MARGIN, parse_local_list};
use crate::error::{Error, Result};
use crate::id::{MAX_RECURRENCE_DATES, check_count};
use crate::time::{DAY, Timestamp, parse_local_datetime};
use crate::zone::{Resolver, Zone};

/// A recurrence set: a rule from a local `DTSTART` in a zone, with EXDATEs and RDATEs.
///
/// ```
/// use hcas_core::{Timestamp, Recurrence, Zone};
/// let rec = Recurrence::new(
///     "FREQ=WEEKLY;BYDAY=MO;COUNT=4".parse().unwrap(),
///     hcas_core::time::parse_local_datetime("2026-03-02T09:00").unwrap(),
///     Zone::parse("America/New_York").unwrap(),
/// );
/// let got = rec.between("2026-03-01T00:00:00Z".parse().unwrap(), "2026-04-01T00:00:00Z".parse().unwrap(), None).unwrap();
/// // 09:00 local keeps its wall-clock time across the DST change on 2026-03-08.
/// assert_eq!(got[0].to_string(), "2026-03-02T14:00:00Z");
/// assert_eq!(got[1].to_string(), "2026-03-09T13:00:00Z");
/// assert_eq!(got.len(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct Recurrence {
    rule: RRule,
    zone: Zone,
    /// Local seconds, sorted.
    exdates: Vec<i64>,
    rdates: Vec<NaiveDateTime>,
    plan: Plan,
}

impl Recurrence {
    /// A recurrence of `rule` from local `dtstart` in `zone`.
    #[must_use]
    pub fn new(rule: RRule, dtstart: NaiveDateTime, zone: Zone) -> Self {
        let plan = Plan::new(&rule, dtstart);
        Self {
            rule,
            zone,
            exdates: Vec::new(),
            rdates: Vec::new(),
            plan,
        }
    }

    /// Remove the occurrences at these local datetimes (EXDATE), replacing
    /// any earlier EXDATEs. An EXDATE applies to the whole set, RDATEs included
    /// (RFC 5545 §3.8.5.1).
    ///
    /// # Errors
    /// `limit_exceeded` for more than [`MAX_RECURRENCE_DATES`] entries.
    pub fn with_exdates(mut self, exdates: Vec<NaiveDateTime>) -> Result<Self> {
        check_count(
            "exdates",
            exdates.len(),
            "MAX_RECURRENCE_DATES",
            MAX_RECURRENCE_DATES,
        )?;
        let mut ex: Vec<i64> = exdates.iter().map(|d| d.and_utc().timestamp()).collect();
        ex.sort_unstable();
        ex.dedup();
        self.exdates = ex;
        Ok(self)
    }

    /// Add occurrences at these local datetimes (RDATE), replacing any
    /// earlier RDATEs.
    ///
    /// # Errors
    /// `limit_exceeded` for more than [`MAX_RECURRENCE_DATES`] entries.
    pub fn with_rdates(mut self, rdates: Vec<NaiveDateTime>) -> Result<Self> {
        check_count(
            "rdates",
            rdates.len(),
            "MAX_RECURRENCE_DATES",
            MAX_RECURRENCE_DATES,
        )?;
        self.rdates = rdates;
        Ok(self)
    }

    /// The rule.
    #[must_use]
    pub const fn rule(&self) -> &RRule {
        &self.rule
    }

    /// The zone.
    #[must_use]
    pub const fn zone(&self) -> Zone {
        self.zone
    }

    /// Local `DTSTART`.
    #[must_use]
    pub const fn dtstart(&self) -> NaiveDateTime {
        self.plan.dtstart
    }

    /// The RDATEs (local datetimes), as given.
    #[must_use]
    pub fn rdates(&self) -> &[NaiveDateTime] {
        &self.rdates
    }

    /// The EXDATEs (local datetimes), ascending and unique.
    #[must_use]
    pub fn exdates(&self) -> Vec<NaiveDateTime> {
        self.exdates
            .iter()
            .map(|&s| naive_from_seconds(s))
            .collect()
    }

    pub(super) const fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Every occurrence, ascending and unique, computed lazily: the same
    /// occurrences [`Recurrence::between`] returns (RDATEs added, EXDATEs
    /// removed, `COUNT` and `UNTIL` applied), with no window to choose. Each
    /// item is a `Result`: see [`Occurrences`] for the work each step may do
    /// and how a rule that runs away ends (one `Err`, then `None`).
    ///
    /// ```
    /// use hcas_core::{Recurrence, Timestamp, Zone};
    /// use hcas_core::time::parse_local_datetime;
    /// let rec = Recurrence::new(
    ///     "FREQ=DAILY".parse().unwrap(),
    ///     parse_local_datetime("2026-03-07T09:00").unwrap(),
    ///     Zone::parse("America/New_York").unwrap(),
    /// )
    /// .with_exdates(vec![parse_local_datetime("2026-03-09T09:00").unwrap()])
    /// .unwrap();
    /// // An endless rule: take what you need.
    /// let first: Vec<String> = rec
    ///     .iter()
    ///     .take(3)
    ///     .map(|t| t.unwrap().to_string())
    ///     .collect();
    /// // 09:00 EST, 09:00 EDT (after the change on 2026-03-08), 03-09 excluded.
    /// assert_eq!(first, ["2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-10T13:00:00Z"]);
    /// ```
    pub fn iter(&self) -> Occurrences<'_> {
        Occurrences::new(self, Timestamp::MIN)
    }

    /// As [`Recurrence::iter`], from the first occurrence at or after `start`.
    /// Like the window queries, a rule without `COUNT` starts at the period
    /// that contains `start` instead of walking from `DTSTART`; a rule with
    /// `COUNT` walks from `DTSTART` (its instances are counted from there).
    ///
    /// ```
    /// use hcas_core::{Recurrence, Timestamp, Zone};
    /// use hcas_core::time::parse_local_datetime;
    /// let rec = Recurrence::new(
    ///     "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU".parse().unwrap(),
    ///     parse_local_datetime("1990-03-25T10:00").unwrap(),
    ///     Zone::parse("Europe/Berlin").unwrap(),
    /// );
    /// let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let next = rec.iter_from(start).next().unwrap().unwrap();
    /// assert_eq!(next.to_string(), "2026-03-29T08:00:00Z");
    /// ```
    pub fn iter_from(&self, start: Timestamp) -> Occurrences<'_> {
        Occurrences::new(self, start)
    }

    /// The EXDATEs as local seconds since 1970-01-01T00:00, sorted.
    pub(crate) fn exdates_local(&self) -> &[i64] {
        &self.exdates
    }

    /// Walk instances (local seconds) whose local time may resolve into
    /// `[from, to)`, with their instants; UTC `UNTIL` applied.
    fn instances(
        &self,
        from: Timestamp,
        to: Timestamp,
        mut visit: impl FnMut(i64, Timestamp) -> bool,
    ) -> Result<()> {
        let lo = from.unix() - WALK_MARGIN;
        let mut hi = to.unix() + WALK_MARGIN;
        let until_instant = match self.rule.until {
            Some(Until::Timestamp(u)) => {
                hi = hi.min(u.unix() + WALK_MARGIN);
                Some(u)
            }
            _ => None,
        };
        let mut resolver = Resolver::new(self.zone, Timestamp::clamped(hi + WALK_MARGIN));
        walk(&self.rule, &self.plan, lo, hi, |local| {
            if local < lo {
                return true;
            }
            let t = resolver.resolve_seconds(local);
            if until_instant.is_some_and(|u| t > u) {
                return true;
            }
            visit(local, t)
        })
    }

    /// Visit each rule instance (before EXDATE/RDATE) in ascending local time
    /// whose local datetime may resolve into `[from, to)`, with its instant.
    /// `UNTIL` is applied; `visit` returns `false` to stop.
    ///
    /// # Errors
    /// `invalid_window` when the rule would need too many steps to reach the window.
    pub fn for_each_instance(
        &self,
        from: Timestamp,
        to: Timestamp,
        mut visit: impl FnMut(NaiveDateTime, Timestamp) -> bool,
    ) -> Result<()> {
        self.instances(from, to, |local, t| visit(naive_from_seconds(local), t))
    }

    /// Visit the local datetimes of the rule's instances in `[lo, hi]` (local wall
    /// time), ascending, with COUNT and a local or date UNTIL applied. A UTC
    /// UNTIL is the caller's to apply (it needs the resolved instant).
    ///
    /// # Errors
    /// `invalid_window` when the rule would need too many steps to reach `hi`.
    pub fn for_each_local(
        &self,
        lo: NaiveDateTime,
        hi: NaiveDateTime,
        mut visit: impl FnMut(NaiveDateTime) -> bool,
    ) -> Result<()> {
        self.for_each_local_seconds(lo.and_utc().timestamp(), hi.and_utc().timestamp(), |l| {
            visit(naive_from_seconds(l))
        })
    }

    /// As [`Recurrence::for_each_local`], in local seconds since 1970-01-01T00:00.
    pub(crate) fn for_each_local_seconds(
        &self,
        lo: i64,
        hi: i64,
        mut visit: impl FnMut(i64) -> bool,
    ) -> Result<()> {
        walk(&self.rule, &self.plan, lo, hi, |local| {
            local < lo || visit(local)
        })
    }

    /// Every occurrence `s` with `from <= s < to`, ascending and unique, at most
    /// `limit` of them. EXDATEs remove instances by local datetime (they do not
    /// replenish COUNT); RDATEs add instances.
    ///
    /// ```
    /// use hcas_core::{Recurrence, Timestamp, Zone};
    /// use hcas_core::time::parse_local_datetime;
    /// let rec = Recurrence::new(
    ///     "FREQ=MONTHLY;BYMONTHDAY=-1".parse().unwrap(),
    ///     parse_local_datetime("2026-01-31T17:00").unwrap(),
    ///     Zone::parse("UTC").unwrap(),
    /// )
    /// .with_rdates(vec![parse_local_datetime("2026-02-14T12:00").unwrap()])
    /// .unwrap();
    /// let from: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
    /// let to: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
    /// let got: Vec<String> = rec.between(from, to, Some(3)).unwrap().iter().map(ToString::to_string).collect();
    /// assert_eq!(got, ["2026-02-14T12:00:00Z", "2026-02-28T17:00:00Z", "2026-03-31T17:00:00Z"]);
    /// ```
    ///
    /// # Errors
    /// `invalid_interval` when `to <= from`; `invalid_window` when the window spans
    /// more than [`MAX_RECURRENCE_WINDOW_DAYS`] or the answer would exceed
    /// [`MAX_OCCURRENCES`] without a `limit`.
    pub fn between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: Option<usize>,
    ) -> Result<Vec<Timestamp>> {
        if to <= from {
            return Err(Error::new(
                crate::ErrorCode::InvalidInterval,
                format!("the query window end {to} must be after its start {from}"),
            ));
        }
        if to.unix() - from.unix() > MAX_RECURRENCE_WINDOW_DAYS * DAY {
            return Err(Error::window(format!(
                "a recurrence query may span at most {MAX_RECURRENCE_WINDOW_DAYS} days; split {from}..{to}"
            )));
        }
        // Without a limit, collect one more than the maximum to detect overflow.
        let cap = limit.unwrap_or(MAX_OCCURRENCES + 1);
        let mut out: Vec<Timestamp> = Vec::new();
        // Instances come in local order; a DST gap can move one past a later
        // local time by at most the gap, and two instances can resolve to one
        // instant, so once `cap` *distinct* instants are in hand the walk goes
        // on for a margin of local time, then stops.
        let mut stop_after: Option<i64> = None;
        self.instances(from, to, |local, t| {
            if stop_after.is_some_and(|s| local > s) {
                return false;
            }
            if t < from || t >= to || self.exdates.binary_search(&local).is_ok() {
                return true;
            }
            out.push(t);
            if stop_after.is_none() && out.len() >= cap {
                out.sort_unstable();
                out.dedup();
                if out.len() >= cap {
                    stop_after = Some(local + WALK_MARGIN);
                }
            }
            true
        })?;
        for &r in &self.rdates {
            if self.exdates.binary_search(&r.and_utc().timestamp()).is_ok() {
                continue;
            }
            let t = self.zone.resolve(r);
            if from <= t && t < to {
                out.push(t);
            }
        }
        out.sort_unstable();
        out.dedup();
        if limit.is_none() && out.len() > MAX_OCCURRENCES {
            return Err(Error::window(format!(
                "the window holds more than {MAX_OCCURRENCES} occurrences; pass a limit or narrow it"
            )));
        }
        out.truncate(cap);
        Ok(out)
    }
}

impl PartialEq for Recurrence {
    /// Equal rule, `DTSTART`, zone, RDATEs (in order) and EXDATEs (as a set).
    fn eq(&self, other: &Self) -> bool {
        self.rule == other.rule
            && self.plan.dtstart == other.plan.dtstart
            && self.zone == other.zone
            && self.rdates == other.rdates
            && self.exdates == other.exdates
    }
}

impl Eq for Recurrence {}

/// The serde form of a [`Recurrence`]: the field names of the wire
/// `recurrence` request (see `docs/vectors.md`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc<R, L> {
    rrule: R,
    dtstart: String,
    timezone: Zone,
    #[serde(default)]
    rdates: L,
    #[serde(default)]
    exdates: L,
}

/// Local datetimes as `YYYY-MM-DDTHH:MM:SS`, or an error for a year the text
/// form cannot carry (it would not parse back).
fn local_text(values: impl IntoIterator<Item = NaiveDateTime>) -> Result<Vec<String>> {
    values
        .into_iter()
        .map(|l| {
            if (1..=9999).contains(&l.year()) {
                Ok(l.format("%Y-%m-%dT%H:%M:%S").to_string())
            } else {
                Err(Error::datetime(format!(
                    "{l}: a recurrence's local datetimes serialise only in years 0001..9999"
                )))
            }
        })
        .collect()
}

impl Serialize for Recurrence {
    /// As `{"rrule": "FREQ=...", "dtstart": "2026-03-02T09:00:00", "timezone":
    /// "America/New_York", "rdates": [...], "exdates": [...]}` (local datetimes;
    /// RDATEs as given, EXDATEs ascending). Fails for a local datetime outside
    /// the years 0001..9999.
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let text = |v: Vec<NaiveDateTime>| local_text(v).map_err(serde::ser::Error::custom);
        Doc {
            rrule: &self.rule,
            dtstart: text(vec![self.plan.dtstart])?.remove(0),
            timezone: self.zone,
            rdates: text(self.rdates.clone())?,
            exdates: text(self.exdates())?,
        }
        .serialize(s)
    }
}

/// A list of at most [`MAX_RECURRENCE_DATES`] strings, refused as soon as it
/// grows past that (before the rest of the document is read).
#[derive(Default)]
struct Bounded(Vec<String>);

impl<'de> Deserialize<'de> for Bounded {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Bounded;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    "a list of at most {MAX_RECURRENCE_DATES} local datetimes"
                )
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Bounded, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    if out.len() == MAX_RECURRENCE_DATES {
                        return Err(serde::de::Error::custom(format!(
                            "more than MAX_RECURRENCE_DATES = {MAX_RECURRENCE_DATES} entries"
                        )));
                    }
                    out.push(v);
                }
                Ok(Bounded(out))
            }
        }
        d.deserialize_seq(Visit)
    }
}

impl<'de> Deserialize<'de> for Recurrence {
    /// The form [`Recurrence`]'s `Serialize` writes, checked as the wire
    /// checks a `recurrence` request: the rule parsed, `dtstart` a local
    /// datetime (`YYYY-MM-DDTHH:MM[:SS]`), `timezone` an IANA name, `rdates`
    /// and `exdates` (optional) at most
    /// [`MAX_RECURRENCE_DATES`] local datetimes each.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let Doc {
            rrule,
            dtstart,
            timezone,
            rdates,
            exdates,
        } = Doc::<RRule, Bounded>::deserialize(d)?;
        let build = move || -> Result<Self> {
            let dtstart = parse_local_datetime(&dtstart).map_err(|e| e.at("dtstart"))?;
            Self::new(rrule, dtstart, timezone)
                .with_rdates(parse_local_list("rdates", &rdates.0)?)?
                .with_exdates(parse_local_list("exdates", &exdates.0)?)
        };
        build().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_local_datetime;

    fn local(text: &str) -> NaiveDateTime {
        parse_local_datetime(text).unwrap()
    }

    fn weekly() -> Recurrence {
        Recurrence::new(
            "FREQ=WEEKLY;BYDAY=MO,TH".parse().unwrap(),
            local("2026-03-02T09:00"),
            Zone::parse("America/New_York").unwrap(),
        )
    }

    #[test]
    fn typed_rdates_and_exdates_obey_max_recurrence_dates() {
        let dates = |n: usize| -> Vec<NaiveDateTime> {
            (0..n)
                .map(|i| {
                    local("2026-03-02T09:00")
                        + chrono::TimeDelta::minutes(i64::try_from(i).unwrap())
                })
                .collect()
        };
        let ok = weekly()
            .with_rdates(dates(MAX_RECURRENCE_DATES))
            .unwrap()
            .with_exdates(dates(MAX_RECURRENCE_DATES))
            .unwrap();
        assert_eq!(ok.rdates().len(), MAX_RECURRENCE_DATES);
        for e in [
            weekly()
                .with_rdates(dates(MAX_RECURRENCE_DATES + 1))
                .unwrap_err(),
            weekly()
                .with_exdates(dates(MAX_RECURRENCE_DATES + 1))
                .unwrap_err(),
        ] {
            assert_eq!(e.code(), crate::ErrorCode::LimitExceeded);
            assert!(
                e.message().contains("MAX_RECURRENCE_DATES"),
                "{}",
                e.message()
            );
        }
    }

    #[test]
    fn serde_round_trips_and_checks_on_the_way_in() {
        let rec = weekly()
            .with_rdates(vec![
                local("2026-03-04T12:30"),
                local("2026-03-03T08:00:15"),
            ])
            .unwrap()
            .with_exdates(vec![local("2026-03-09T09:00"), local("2026-03-05T09:00")])
            .unwrap();
        let json = serde_json::to_value(&rec).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "rrule": "FREQ=WEEKLY;BYDAY=MO,TH",
                "dtstart": "2026-03-02T09:00:00",
                "timezone": "America/New_York",
                "rdates": ["2026-03-04T12:30:00", "2026-03-03T08:00:15"],
                "exdates": ["2026-03-05T09:00:00", "2026-03-09T09:00:00"],
            })
        );
        let back: Recurrence = serde_json::from_value(json).unwrap();
        assert_eq!(back, rec);
        assert_eq!(
            back.exdates(),
            [local("2026-03-05T09:00"), local("2026-03-09T09:00")]
        );
        // The lists are optional, and the wire's short local form is accepted.
        let short: Recurrence = serde_json::from_str(
            r#"{"rrule": "FREQ=WEEKLY;BYDAY=MO,TH", "dtstart": "2026-03-02T09:00", "timezone": "America/New_York"}"#,
        )
        .unwrap();
        assert_eq!(short, weekly());
        let too_many: Vec<String> = (0..=MAX_RECURRENCE_DATES)
            .map(|_| "2026-03-02T09:00".to_string())
            .collect();
        for (doc, needle) in [
            (
                serde_json::json!({"rrule": "FREQ=WEEKLY;BYDAY=1MO", "dtstart": "2026-03-02T09:00", "timezone": "UTC"}),
                "BYDAY",
            ),
            (
                serde_json::json!({"rrule": "FREQ=DAILY", "dtstart": "2026-03-02T09:00Z", "timezone": "UTC"}),
                "dtstart",
            ),
            (
                serde_json::json!({"rrule": "FREQ=DAILY", "dtstart": "2026-03-02T09:00", "timezone": "Mars/Olympus"}),
                "Mars",
            ),
            (
                serde_json::json!({"rrule": "FREQ=DAILY", "dtstart": "2026-03-02T09:00", "timezone": "UTC", "rdates": ["2026-02-30T09:00"]}),
                "rdates[0]",
            ),
            (
                serde_json::json!({"rrule": "FREQ=DAILY", "dtstart": "2026-03-02T09:00", "timezone": "UTC", "exdates": too_many}),
                "MAX_RECURRENCE_DATES",
            ),
            (
                serde_json::json!({"rrule": "FREQ=DAILY", "dtstart": "2026-03-02T09:00", "timezone": "UTC", "rdate": []}),
                "rdate",
            ),
        ] {
            let e = serde_json::from_value::<Recurrence>(doc.clone())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{doc}: {e}");
        }
        // A typed DTSTART the text form cannot carry is refused, not mangled.
        let far = Recurrence::new(
            "FREQ=DAILY".parse().unwrap(),
            chrono::NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            Zone::parse("UTC").unwrap(),
        );
        assert!(serde_json::to_string(&far).is_err());
    }

    fn occ(rule: &str, dtstart: &str, tz: &str, from: &str, to: &str) -> Vec<String> {
        let r = Recurrence::new(
            rule.parse().unwrap(),
            parse_local_datetime(dtstart).unwrap(),
            Zone::parse(tz).unwrap(),
        );
        r.between(from.parse().unwrap(), to.parse().unwrap(), None)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn rfc5545_wkst_example() {
        // RFC 5545 §3.8.5.3: "An example where the days generated makes a difference
        // because of WKST": MO gives 5, 7, 19, 21; SU gives 5, 17, 19, 31 (Aug 1997).
        let mo = occ(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
            "1997-08-05T09:00",
            "UTC",
            "1997-08-01T00:00:00Z",
            "1997-09-01T00:00:00Z",
        );
        assert_eq!(
            mo,
            [
                "1997-08-05T09:00:00Z",
                "1997-08-10T09:00:00Z",
                "1997-08-19T09:00:00Z",
                "1997-08-24T09:00:00Z"
            ]
        );
        let su = occ(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
            "1997-08-05T09:00",
            "UTC",
            "1997-08-01T00:00:00Z",
            "1997-09-01T00:00:00Z",
        );
        assert_eq!(
            su,
            [
                "1997-08-05T09:00:00Z",
                "1997-08-17T09:00:00Z",
                "1997-08-19T09:00:00Z",
                "1997-08-31T09:00:00Z"
            ]
        );
    }

    #[test]
    fn last_workday_of_month() {
        let got = occ(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
            "2026-01-01T17:00",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-12-01T00:00:00Z",
        );
        // Jan 30 (Fri), Feb 27 (Fri), Mar 31 (Tue) 2026.
        assert_eq!(
            got,
            [
                "2026-01-30T17:00:00Z",
                "2026-02-27T17:00:00Z",
                "2026-03-31T17:00:00Z"
            ]
        );
    }
}
