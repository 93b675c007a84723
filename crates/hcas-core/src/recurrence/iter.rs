//! [`Occurrences`]: a recurrence set as a lazy, ascending iterator.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::iter::FusedIterator;

use super::WALK_MARGIN;
use super::expand::Walker;
use super::rule::Until;
use super::set::Recurrence;
use crate::error::Result;
use crate::time::{DAY, Timestamp};
use crate::zone::ZoneSpans;

/// Local time one table of zone offsets covers before the iterator finds the next.
const SPAN_CHUNK: i64 = 366 * DAY;

/// The occurrences of a [`Recurrence`], ascending and unique, computed lazily:
/// made by [`Recurrence::iter`] and [`Recurrence::iter_from`].
///
/// It yields exactly what [`Recurrence::between`] returns for any window it
/// passes through: rule instances resolved in the zone (compatible DST rule,
/// so a DST gap moves an instance forward and a fold takes its earlier
/// instant), `COUNT` and `UNTIL` applied, RDATEs added, EXDATEs removed, and
/// two instances that resolve to one instant given once.
///
/// **Laziness and bounds.** Rule instances are produced period by period and
/// held only until no later one can resolve before them (two days of local
/// time at most, the margin the window queries use); RDATEs (at most
/// [`MAX_RECURRENCE_DATES`](crate::id::MAX_RECURRENCE_DATES)) are resolved
/// when the iterator is made. A rule without `COUNT` or `UNTIL` goes on to
/// year 9999, then the iterator ends. Each `next()` steps through at most
/// [`MAX_PERIODS`](super::MAX_PERIODS) rule periods (the bound
/// [`Recurrence::between`] puts on a whole query); a rule that finds no
/// occurrence within them (say `FREQ=SECONDLY;BYMONTH=2` walked from a
/// `DTSTART` in March, or a far `iter_from` start on a rule with `COUNT`)
/// yields one `Err` (`invalid_window`), then `None` from then on.
#[derive(Debug, Clone)]
#[must_use = "an iterator does nothing until it is consumed"]
pub struct Occurrences<'a> {
    rec: &'a Recurrence,
    walker: Walker<'a>,
    walker_done: bool,
    /// Resolved rule instances not yet handed out.
    pending: BinaryHeap<Reverse<Timestamp>>,
    /// RDATE instants at or after `start` and not excluded, ascending; `rpos` is the next.
    rdates: Vec<Timestamp>,
    rpos: usize,
    /// Every rule instance still to come resolves after this (UTC seconds).
    floor: i64,
    /// Local seconds: earlier instances are skipped (they resolve before `start`).
    lo: i64,
    start: Timestamp,
    until_instant: Option<Timestamp>,
    spans: Option<(i64, ZoneSpans)>,
    last: Option<Timestamp>,
    failed: bool,
}

impl<'a> Occurrences<'a> {
    pub(super) fn new(rec: &'a Recurrence, start: Timestamp) -> Self {
        let lo = start.unix() - WALK_MARGIN;
        let (until_instant, hi) = match rec.rule().until() {
            Some(Until::Timestamp(u)) => (Some(u), u.unix() + WALK_MARGIN),
            _ => (None, i64::MAX),
        };
        let ex = rec.exdates_local();
        let mut rdates: Vec<Timestamp> = rec
            .rdates()
            .iter()
            .filter(|r| ex.binary_search(&r.and_utc().timestamp()).is_err())
            .map(|&r| rec.zone().resolve(r))
            .filter(|&t| t >= start)
            .collect();
        rdates.sort_unstable();
        rdates.dedup();
        Self {
            rec,
            walker: Walker::new(rec.rule(), rec.plan(), lo, hi),
            walker_done: false,
            pending: BinaryHeap::new(),
            rdates,
            rpos: 0,
            floor: i64::MIN,
            lo,
            start,
            until_instant,
            spans: None,
            last: None,
            failed: false,
        }
    }

    /// Resolve local seconds in the zone, through a table of its offsets
    /// built a year of local time at a time (answers as `Zone::resolve`).
    fn resolve(&mut self, local: i64) -> Timestamp {
        match &self.spans {
            Some((end, spans)) if local < *end => spans.resolve_seconds(local),
            _ => {
                let spans = ZoneSpans::new(
                    self.rec.zone(),
                    Timestamp::clamped(local - 2 * WALK_MARGIN),
                    Timestamp::clamped(local + SPAN_CHUNK + 2 * WALK_MARGIN),
                );
                let t = spans.resolve_seconds(local);
                self.spans = Some((local + SPAN_CHUNK, spans));
                t
            }
        }
    }
}

impl Iterator for Occurrences<'_> {
    type Item = Result<Timestamp>;

    fn next(&mut self) -> Option<Result<Timestamp>> {
        if self.failed {
            return None;
        }
        loop {
            let rule_next = self.pending.peek().map(|r| r.0);
            let rdate_next = self.rdates.get(self.rpos).copied();
            let next = match (rule_next, rdate_next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            // Hand out `next` once no instance still to walk can resolve at or before it.
            if self.walker_done || next.is_some_and(|t| t.unix() < self.floor) {
                let t = next?;
                if rdate_next == Some(t) {
                    self.rpos += 1;
                } else {
                    self.pending.pop();
                }
                if self.last.is_some_and(|l| t <= l) {
                    continue;
                }
                self.last = Some(t);
                self.walker.reset_budget();
                return Some(Ok(t));
            }
            match self.walker.next_instance() {
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                Ok(None) => self.walker_done = true,
                Ok(Some(local)) => {
                    // Instances come in ascending local time, and an instant is
                    // its local time minus an offset (gap shifts included) of
                    // less than the margin.
                    self.floor = local - WALK_MARGIN;
                    if local < self.lo || self.rec.exdates_local().binary_search(&local).is_ok() {
                        continue;
                    }
                    let t = self.resolve(local);
                    if t < self.start || self.until_instant.is_some_and(|u| t > u) {
                        continue;
                    }
                    self.pending.push(Reverse(t));
                }
            }
        }
    }
}

impl FusedIterator for Occurrences<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_local_datetime;
    use crate::zone::Zone;

    fn rec(rule: &str, dtstart: &str, zone: &str) -> Recurrence {
        Recurrence::new(
            rule.parse().unwrap(),
            parse_local_datetime(dtstart).unwrap(),
            Zone::parse(zone).unwrap(),
        )
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn texts(v: impl IntoIterator<Item = Timestamp>) -> Vec<String> {
        v.into_iter().map(|t| t.to_string()).collect()
    }

    /// The iterator from `from`, cut at `to`, next to `between(from, to)`.
    fn both(r: &Recurrence, from: &str, to: &str) -> (Vec<String>, Vec<String>) {
        let (from, to) = (ts(from), ts(to));
        let it: Vec<Timestamp> = r
            .iter_from(from)
            .map(Result::unwrap)
            .take_while(|t| *t < to)
            .collect();
        (texts(it), texts(r.between(from, to, None).unwrap()))
    }

    #[test]
    fn dst_gap_and_fold_resolve_as_between_does() {
        // 02:30 does not exist on 2026-03-08 in New York: it moves to 03:30 EDT.
        let gap = rec("FREQ=DAILY;COUNT=3", "2026-03-07T02:30", "America/New_York");
        let (it, win) = both(&gap, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
        assert_eq!(
            it,
            [
                "2026-03-07T07:30:00Z",
                "2026-03-08T07:30:00Z",
                "2026-03-09T06:30:00Z"
            ]
        );
        assert_eq!(it, win);
        // Every 30 minutes through the gap: 02:00 and 02:30 resolve onto 03:00
        // and 03:30, which are instances too; each instant comes once.
        let half = rec(
            "FREQ=MINUTELY;INTERVAL=30",
            "2026-03-08T01:00",
            "America/New_York",
        );
        let (it, win) = both(&half, "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z");
        assert_eq!(
            it,
            [
                "2026-03-08T06:00:00Z",
                "2026-03-08T06:30:00Z",
                "2026-03-08T07:00:00Z",
                "2026-03-08T07:30:00Z",
                "2026-03-08T08:00:00Z",
                "2026-03-08T08:30:00Z"
            ]
        );
        assert_eq!(it, win);
        // 01:00-02:00 happens twice on 2026-11-01: the earlier instant is taken.
        let fold = rec("FREQ=HOURLY", "2026-11-01T00:00", "America/New_York");
        let (it, win) = both(&fold, "2026-11-01T04:00:00Z", "2026-11-01T09:00:00Z");
        assert_eq!(
            it,
            [
                "2026-11-01T04:00:00Z",
                "2026-11-01T05:00:00Z",
                "2026-11-01T07:00:00Z",
                "2026-11-01T08:00:00Z"
            ]
        );
        assert_eq!(it, win);
    }

    #[test]
    fn rdates_exdates_count_and_until_apply() {
        let r = rec(
            "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
            "2026-03-02T09:00",
            "Europe/London",
        )
        .with_rdates(vec![
            // Before DTSTART, between instances, on an instance, excluded.
            parse_local_datetime("2026-02-01T10:00").unwrap(),
            parse_local_datetime("2026-03-04T10:00").unwrap(),
            parse_local_datetime("2026-03-16T09:00").unwrap(),
            parse_local_datetime("2026-03-18T10:00").unwrap(),
        ])
        .unwrap()
        .with_exdates(vec![
            parse_local_datetime("2026-03-09T09:00").unwrap(),
            parse_local_datetime("2026-03-18T10:00").unwrap(),
        ])
        .unwrap();
        let all: Vec<Timestamp> = r.iter().map(Result::unwrap).collect();
        // COUNT=4 counts the excluded 03-09 instance: 03-02, 03-16, 03-23 remain.
        assert_eq!(
            texts(all.clone()),
            [
                "2026-02-01T10:00:00Z",
                "2026-03-02T09:00:00Z",
                "2026-03-04T10:00:00Z",
                "2026-03-16T09:00:00Z",
                "2026-03-23T09:00:00Z"
            ]
        );
        let win = r
            .between(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), None)
            .unwrap();
        assert_eq!(all, win);
        assert_eq!(
            texts(r.iter_from(ts("2026-03-04T10:00:00Z")).map(Result::unwrap)),
            [
                "2026-03-04T10:00:00Z",
                "2026-03-16T09:00:00Z",
                "2026-03-23T09:00:00Z"
            ]
        );
        // A UTC UNTIL bounds the resolved instant; a local one the wall time.
        for rule in [
            "FREQ=DAILY;UNTIL=20260310T140000Z",
            "FREQ=DAILY;UNTIL=20260310T100000",
            "FREQ=DAILY;UNTIL=20260310",
        ] {
            let r = rec(rule, "2026-03-07T10:00", "America/New_York");
            let all: Vec<Timestamp> = r.iter().map(Result::unwrap).collect();
            assert_eq!(all.len(), 4, "{rule}");
            assert_eq!(all.last().unwrap().to_string(), "2026-03-10T14:00:00Z");
            let win = r
                .between(ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z"), None)
                .unwrap();
            assert_eq!(all, win, "{rule}");
        }
    }

    #[test]
    fn iter_from_skips_ahead_instead_of_walking_from_dtstart() {
        // Walking every second from the year 1000 would take far more than
        // MAX_PERIODS steps; starting at the period that holds `start` takes one.
        let r = rec("FREQ=SECONDLY", "1000-01-01T00:00", "Europe/Paris");
        let got: Vec<Timestamp> = r
            .iter_from(ts("2026-07-01T12:00:00Z"))
            .take(3)
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            texts(got),
            [
                "2026-07-01T12:00:00Z",
                "2026-07-01T12:00:01Z",
                "2026-07-01T12:00:02Z"
            ]
        );
    }

    #[test]
    fn endless_and_ending_rules() {
        // An endless rule keeps going; a finite one ends and stays ended.
        let endless = rec("FREQ=YEARLY", "2026-02-28T09:00", "UTC");
        assert_eq!(endless.iter().take(500).count(), 500);
        let feb29 = rec(
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2",
            "2026-01-01T09:00",
            "UTC",
        );
        let mut finite = feb29.iter();
        assert_eq!(
            finite.next().unwrap().unwrap().to_string(),
            "2028-02-29T09:00:00Z"
        );
        assert_eq!(
            finite.next().unwrap().unwrap().to_string(),
            "2032-02-29T09:00:00Z"
        );
        assert!(finite.next().is_none());
        assert!(finite.next().is_none());
        // A rule that matches nothing runs to year 9999, then ends.
        assert!(
            rec(
                "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
                "2026-01-01T09:00",
                "UTC"
            )
            .iter()
            .next()
            .is_none()
        );
    }

    #[test]
    fn a_runaway_rule_yields_one_error_then_ends() {
        // Every minute at second 0 walked, none at second 30: no occurrence ever.
        let r = rec(
            "FREQ=SECONDLY;INTERVAL=60;BYSECOND=30",
            "2026-01-01T00:00",
            "UTC",
        );
        let mut it = r.iter();
        let e = it.next().unwrap().unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidWindow);
        assert!(it.next().is_none());
        assert!(it.next().is_none());
    }
}
