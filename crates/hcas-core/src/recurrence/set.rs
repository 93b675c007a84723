//! [`Recurrence`]: DTSTART + RRULE + RDATE/EXDATE in a zone, and its window queries.

use chrono::NaiveDateTime;

use super::expand::{Plan, naive_from_seconds, walk};
use super::rule::{RRule, Until};
use super::{MAX_OCCURRENCES, MAX_RECURRENCE_WINDOW_DAYS, WALK_MARGIN};
use crate::error::{Error, Result};
use crate::time::{DAY, Timestamp};
use crate::zone::{Zone, ZoneSpans};

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

    /// Remove the occurrences at these local datetimes (EXDATE). An EXDATE
    /// applies to the whole set, RDATEs included (RFC 5545 §3.8.5.1).
    #[must_use]
    pub fn with_exdates(mut self, exdates: Vec<NaiveDateTime>) -> Self {
        let mut ex: Vec<i64> = exdates.iter().map(|d| d.and_utc().timestamp()).collect();
        ex.sort_unstable();
        ex.dedup();
        self.exdates = ex;
        self
    }

    /// Add occurrences at these local datetimes (RDATE).
    #[must_use]
    pub fn with_rdates(mut self, rdates: Vec<NaiveDateTime>) -> Self {
        self.rdates = rdates;
        self
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
    pub(crate) fn rdates(&self) -> &[NaiveDateTime] {
        &self.rdates
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
        let spans = ZoneSpans::new(
            self.zone,
            Timestamp::clamped(lo - WALK_MARGIN),
            Timestamp::clamped(hi + WALK_MARGIN),
        );
        walk(&self.rule, &self.plan, lo, hi, |local| {
            if local < lo {
                return true;
            }
            let t = spans.resolve_seconds(local);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_local_datetime;

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
