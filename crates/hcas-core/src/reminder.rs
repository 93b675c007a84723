//! When to remind a patient of an appointment: lead times in the patient's
//! zone, quiet hours, DST changes, and "never before now".
//!
//! [`schedule`] is a pure function (no clock, no I/O): the notification
//! service hands in the appointment start, the patient's [`Zone`], the lead
//! times, the patient's [`QuietHours`] and `not_before` (when the booking was
//! made, or now), and gets back the instants to send at, sorted, each with the
//! [`Lead`] that produced it and how it was [`Adjustment`]-ed, plus every lead
//! that gave no reminder and why ([`DropReason`]), so the service can log and
//! explain.
//!
//! # Lead times
//!
//! - [`Lead::Days`]`(n)` is calendar time: the same local wall time `n` local
//!   days before the start, resolved with the engine's rule ([`Zone::resolve`]:
//!   a wall time in a DST gap moves forward by the gap, a wall time in a fold
//!   is the earlier instant). "The day before at 09:00" stays 09:00 local
//!   across a DST change, so it may be 23 or 25 hours before.
//! - [`Lead::Minutes`]`(n)` is elapsed time: exactly `n` minutes before the
//!   start, whatever the wall clock says.
//!
//! A lead must be at least 1 and at most 60 days ([`MAX_LEAD_DAYS`]), else
//! `invalid_request` naming `leads[i]`; a schedule takes at most
//! [`MAX_LEADS`] leads (`limit_exceeded`, as every list limit).
//!
//! # Quiet hours
//!
//! [`QuietHours`] is a local wall-clock window `[start, end)` that may wrap
//! midnight (`21:00-08:00`). An instant is quiet when its local wall time (in
//! the patient's zone, [`Zone::to_local`]) lies in the window, so on a DST
//! night the window is as long as the wall clock says. A reminder whose
//! instant is quiet is moved:
//!
//! 1. **earlier**, to the last second before that quiet stretch began (the
//!    patient still hears in time), if that is not before `not_before`;
//! 2. else **later**, to the first second after the quiet stretch ends, if
//!    that is still before the appointment start;
//! 3. else it is dropped ([`DropReason::QuietHours`]).
//!
//! # Not before, not after
//!
//! A reminder is never before `not_before` and always before the start: a
//! lead whose instant (before any quiet-hours move) is before `not_before` is
//! dropped ([`DropReason::Passed`]), as is one that is not before the start
//! ([`DropReason::NotBeforeStart`], only possible when a whole local day is
//! skipped). Reminders that land on the same instant are merged into one
//! (the first lead in input order names it, the others are in
//! [`Reminder::merged`]).
//!
//! ```
//! use hcas_core::reminder::{schedule, Adjustment, Lead, QuietHours};
//! use hcas_core::{LocalTime, Zone};
//!
//! let berlin = Zone::parse("Europe/Berlin")?;
//! // Sunday 29 March 2026, 09:00 CEST (07:00Z): the clocks went forward at 02:00 that night.
//! let start = "2026-03-29T07:00:00Z".parse()?;
//! let quiet = QuietHours::new(LocalTime::new(21, 0)?, LocalTime::new(8, 0)?)?;
//! let leads = [Lead::Days(1), Lead::Minutes(24 * 60), Lead::Minutes(120)];
//! let plan = schedule(start, berlin, &leads, Some(quiet), "2026-03-20T12:00:00Z".parse()?)?;
//! let got: Vec<(String, Lead, Adjustment)> =
//!     plan.reminders.iter().map(|r| (r.at.to_string(), r.lead, r.adjustment)).collect();
//! assert_eq!(got, [
//!     // 24 h: 08:00 CET on Saturday, just outside quiet hours.
//!     ("2026-03-28T07:00:00Z".to_string(), Lead::Minutes(1440), Adjustment::Exact),
//!     // The day before at the same wall time: 09:00 CET on Saturday.
//!     ("2026-03-28T08:00:00Z".to_string(), Lead::Days(1), Adjustment::Exact),
//!     // 2 h: 07:00 CEST is quiet, so 20:59:59 CET the evening before.
//!     ("2026-03-28T19:59:59Z".to_string(), Lead::Minutes(120), Adjustment::MovedEarlier),
//! ]);
//! # Ok::<(), hcas_core::Error>(())
//! ```

use chrono::Days;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::{DAY, LocalTime, Timestamp};
use crate::zone::Zone;

/// The longest lead accepted: 60 days (as [`Lead::Days`] or [`Lead::Minutes`]).
pub const MAX_LEAD_DAYS: u32 = 60;

/// The most leads one [`schedule`] call takes.
pub const MAX_LEADS: usize = 16;

/// How long before the start a reminder is due.
///
/// In JSON: `{"days": 1}` or `{"minutes": 120}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lead {
    /// The same local wall time this many local days before (calendar time).
    Days(u32),
    /// Exactly this many minutes before (elapsed time).
    Minutes(u32),
}

impl Lead {
    fn validate(self) -> Result<()> {
        let (n, max, unit) = match self {
            Self::Days(n) => (n, MAX_LEAD_DAYS, "days"),
            Self::Minutes(n) => (n, MAX_LEAD_DAYS * 24 * 60, "minutes"),
        };
        if n == 0 {
            Err(Error::request(format!(
                "a lead of 0 {unit} is not a reminder: give at least 1"
            )))
        } else if n > max {
            Err(Error::request(format!(
                "a lead of {n} {unit} is more than the {MAX_LEAD_DAYS} days allowed (at most {max} {unit})"
            )))
        } else {
            Ok(())
        }
    }

    /// The instant this lead points at before `start`, before quiet hours;
    /// `None` when it is before the years the engine represents.
    fn instant(self, start: Timestamp, zone: Zone) -> Option<Timestamp> {
        match self {
            Self::Minutes(m) => start.plus_minutes(-i64::from(m)).ok(),
            Self::Days(d) => {
                let wall = zone
                    .to_local(start)
                    .checked_sub_days(Days::new(u64::from(d)))?;
                Some(zone.resolve(wall))
            }
        }
    }
}

/// A patient's quiet hours: a local wall-clock window `[start, end)` in which
/// no reminder is sent; `start > end` wraps midnight (`21:00-08:00`).
///
/// ```
/// use hcas_core::reminder::QuietHours;
/// use hcas_core::{ErrorCode, LocalTime};
/// let night = QuietHours::new(LocalTime::new(21, 0)?, LocalTime::new(8, 0)?)?;
/// assert!(night.contains_local(LocalTime::new(23, 30)?));
/// assert!(night.contains_local(LocalTime::new(7, 59)?));
/// assert!(!night.contains_local(LocalTime::new(8, 0)?));
/// let none = QuietHours::new(LocalTime::new(8, 0)?, LocalTime::new(8, 0)?);
/// assert_eq!(none.unwrap_err().code(), ErrorCode::InvalidRequest);
/// # Ok::<(), hcas_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "QuietHoursWire", into = "QuietHoursWire")]
pub struct QuietHours {
    start: LocalTime,
    end: LocalTime,
}

#[derive(Serialize, Deserialize)]
struct QuietHoursWire {
    start: LocalTime,
    end: LocalTime,
}

impl TryFrom<QuietHoursWire> for QuietHours {
    type Error = Error;
    fn try_from(w: QuietHoursWire) -> Result<Self> {
        Self::new(w.start, w.end)
    }
}

impl From<QuietHours> for QuietHoursWire {
    fn from(q: QuietHours) -> Self {
        Self {
            start: q.start,
            end: q.end,
        }
    }
}

impl QuietHours {
    /// Quiet from `start` (included) to `end` (excluded), local wall time;
    /// `24:00` ([`LocalTime::MIDNIGHT_END`]) is the same as `00:00`.
    ///
    /// # Errors
    /// `invalid_request` (at `quiet_hours`) when `start` and `end` are the same
    /// time of day: such a window is empty or the whole day, and neither is meant.
    pub fn new(start: LocalTime, end: LocalTime) -> Result<Self> {
        let q = Self { start, end };
        if q.start_secs() == q.end_secs() {
            return Err(Error::request(format!(
                "quiet hours from {start} to {end} start and end at the same time of day: \
                 give a window such as 21:00 to 08:00, or no quiet hours"
            ))
            .at("quiet_hours"));
        }
        Ok(q)
    }

    /// The local time quiet hours start (included).
    #[must_use]
    pub const fn start(&self) -> LocalTime {
        self.start
    }

    /// The local time quiet hours end (excluded).
    #[must_use]
    pub const fn end(&self) -> LocalTime {
        self.end
    }

    fn start_secs(&self) -> i64 {
        i64::from(self.start.seconds()) % DAY
    }

    fn end_secs(&self) -> i64 {
        i64::from(self.end.seconds()) % DAY
    }

    /// Whether a local time of day is quiet.
    #[must_use]
    pub fn contains_local(&self, t: LocalTime) -> bool {
        self.contains_secs(i64::from(t.seconds()) % DAY)
    }

    /// Whether the instant `t` is quiet for someone in `zone` (by its local wall time).
    #[must_use]
    pub fn contains(&self, zone: Zone, t: Timestamp) -> bool {
        let wall = t.unix() + i64::from(zone.offset_at(t));
        self.contains_secs(wall.rem_euclid(DAY))
    }

    /// `sod`: seconds after local midnight, `0..DAY`.
    fn contains_secs(&self, sod: i64) -> bool {
        let (s, e) = (self.start_secs(), self.end_secs());
        if s < e {
            s <= sod && sod < e
        } else {
            sod >= s || sod < e
        }
    }

    /// The last instant before `t` that is not quiet, looking back up to two days.
    fn free_before(&self, zone: Zone, t: Timestamp) -> Option<Timestamp> {
        let spans = offset_spans(zone, t.unix() - 2 * DAY, t.unix());
        spans
            .iter()
            .rev()
            .find_map(|&(s, e, off)| {
                let u0 = e - 1;
                let wall = u0 + i64::from(off);
                let sod = wall.rem_euclid(DAY);
                if !self.contains_secs(sod) {
                    return Some(u0);
                }
                // The wall time this quiet stretch began, then one second before it.
                let began = wall - (sod - self.start_secs()).rem_euclid(DAY);
                let u = began - i64::from(off) - 1;
                (u >= s).then_some(u)
            })
            .and_then(|u| self.checked(zone, u))
    }

    /// The first instant at or after `t` that is not quiet, looking ahead up to two days.
    fn free_from(&self, zone: Zone, t: Timestamp) -> Option<Timestamp> {
        let spans = offset_spans(zone, t.unix(), t.unix() + 2 * DAY);
        spans
            .iter()
            .find_map(|&(s, e, off)| {
                let wall = s + i64::from(off);
                let sod = wall.rem_euclid(DAY);
                if !self.contains_secs(sod) {
                    return Some(s);
                }
                let ends = wall + (self.end_secs() - sod).rem_euclid(DAY);
                let u = ends - i64::from(off);
                (u < e).then_some(u)
            })
            .and_then(|u| self.checked(zone, u))
    }

    /// `u` as an instant, if it is one and is not quiet (a last check of the
    /// arithmetic above against the zone itself: fail closed).
    fn checked(&self, zone: Zone, u: i64) -> Option<Timestamp> {
        Timestamp::from_unix(u)
            .ok()
            .filter(|t| !self.contains(zone, *t))
    }
}

/// `[a, b)` (UTC seconds, clamped to the engine's years) cut where the zone's
/// offset changes, as `(start, end, offset)`. tzdb's offset changes since 1970
/// are more than 6.96 days apart (checked on the embedded data in `zone.rs`),
/// so a range of a few days holds at most one; anything the arithmetic gets
/// wrong elsewhere is caught by [`QuietHours::checked`].
fn offset_spans(zone: Zone, a: i64, b: i64) -> Vec<(i64, i64, i32)> {
    let (a, b) = (Timestamp::clamped(a).unix(), Timestamp::clamped(b).unix());
    if b <= a {
        return Vec::new();
    }
    let off = |t: i64| zone.offset_at(Timestamp::clamped(t));
    let (oa, ob) = (off(a), off(b - 1));
    if oa == ob {
        return vec![(a, b, oa)];
    }
    let (mut lo, mut hi) = (a, b - 1);
    while hi - lo > 1 {
        let m = lo + (hi - lo) / 2;
        if off(m) == oa {
            lo = m;
        } else {
            hi = m;
        }
    }
    vec![(a, hi, oa), (hi, b, off(hi))]
}

/// How a reminder's instant relates to its lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adjustment {
    /// At the lead's own instant.
    Exact,
    /// Moved earlier, to just before quiet hours began.
    MovedEarlier,
    /// Moved later, to the end of quiet hours (moving earlier would have been
    /// before `not_before`).
    MovedLater,
}

/// Why a lead gave no reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Its instant is before `not_before` (booked too late for this lead).
    Passed,
    /// Its instant is not before the start (a skipped local day).
    NotBeforeStart,
    /// Its instant is quiet, and neither before nor after the quiet stretch
    /// is there a time between `not_before` and the start.
    QuietHours,
}

/// One reminder to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// When to send it.
    pub at: Timestamp,
    /// The lead that produced it (the first in input order, when merged).
    pub lead: Lead,
    /// How `at` relates to `lead`'s own instant.
    pub adjustment: Adjustment,
    /// Other leads that landed on the same instant, in input order.
    pub merged: Vec<Lead>,
}

/// A lead that gave no reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// The lead.
    pub lead: Lead,
    /// Why.
    pub reason: DropReason,
}

/// The answer of [`schedule`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The reminders, ascending by instant, one per instant.
    pub reminders: Vec<Reminder>,
    /// The leads that gave none, in input order.
    pub dropped: Vec<Dropped>,
}

/// When to remind someone in `zone` of an appointment at `start`: see the
/// [module documentation](self) for the rules.
///
/// # Errors
/// `invalid_request` (at `leads[i]`) for a lead of 0 or over
/// [`MAX_LEAD_DAYS`]; `limit_exceeded` (at `leads`) for more than
/// [`MAX_LEADS`] leads.
pub fn schedule(
    start: Timestamp,
    zone: Zone,
    leads: &[Lead],
    quiet: Option<QuietHours>,
    not_before: Timestamp,
) -> Result<Schedule> {
    crate::id::check_count("leads", leads.len(), "MAX_LEADS", MAX_LEADS)?;
    for (i, lead) in leads.iter().enumerate() {
        lead.validate().map_err(|e| e.at(&format!("leads[{i}]")))?;
    }
    let mut found: Vec<(Timestamp, Lead, Adjustment)> = Vec::new();
    let mut dropped = Vec::new();
    for &lead in leads {
        match place(lead, start, zone, quiet, not_before) {
            Ok((at, adjustment)) => found.push((at, lead, adjustment)),
            Err(reason) => dropped.push(Dropped { lead, reason }),
        }
    }
    // Stable: equal instants keep input order, so the first lead names the merge.
    found.sort_by_key(|f| f.0);
    let mut reminders: Vec<Reminder> = Vec::with_capacity(found.len());
    for (at, lead, adjustment) in found {
        match reminders.last_mut() {
            Some(last) if last.at == at => last.merged.push(lead),
            _ => reminders.push(Reminder {
                at,
                lead,
                adjustment,
                merged: Vec::new(),
            }),
        }
    }
    Ok(Schedule { reminders, dropped })
}

/// One lead's instant and adjustment, or why it has none.
fn place(
    lead: Lead,
    start: Timestamp,
    zone: Zone,
    quiet: Option<QuietHours>,
    not_before: Timestamp,
) -> std::result::Result<(Timestamp, Adjustment), DropReason> {
    let at = lead.instant(start, zone).ok_or(DropReason::Passed)?;
    if at >= start {
        return Err(DropReason::NotBeforeStart);
    }
    if at < not_before {
        return Err(DropReason::Passed);
    }
    let Some(q) = quiet.filter(|q| q.contains(zone, at)) else {
        return Ok((at, Adjustment::Exact));
    };
    if let Some(e) = q.free_before(zone, at).filter(|e| *e >= not_before) {
        return Ok((e, Adjustment::MovedEarlier));
    }
    q.free_from(zone, at)
        .filter(|l| *l < start && *l >= not_before)
        .map(|l| (l, Adjustment::MovedLater))
        .ok_or(DropReason::QuietHours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn night() -> QuietHours {
        QuietHours::new(
            LocalTime::new(21, 0).unwrap(),
            LocalTime::new(8, 0).unwrap(),
        )
        .unwrap()
    }

    /// A reminder as `(at, lead, adjustment, merged)`.
    type Row = (String, Lead, Adjustment, Vec<Lead>);

    fn plan(
        start: &str,
        zone: &str,
        leads: &[Lead],
        quiet: Option<QuietHours>,
        not_before: &str,
    ) -> (Vec<Row>, Vec<Dropped>) {
        let s = schedule(
            t(start),
            Zone::parse(zone).unwrap(),
            leads,
            quiet,
            t(not_before),
        )
        .unwrap();
        (
            s.reminders
                .into_iter()
                .map(|r| (r.at.to_string(), r.lead, r.adjustment, r.merged))
                .collect(),
            s.dropped,
        )
    }

    use Adjustment::{Exact, MovedEarlier, MovedLater};
    use Lead::{Days, Minutes};

    #[test]
    fn berlin_day_after_spring_forward_merges_one_day_and_24_hours() {
        // Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z).
        // Start Monday 2026-03-30 09:00 CEST = 07:00Z.
        // 1 day: Sunday 09:00, already CEST = 07:00Z. 24 h: 07:00Z on Sunday, the
        // same instant (the change was at 01:00Z, before both): merged.
        // 2 h: 05:00Z = 07:00 CEST.
        let (r, d) = plan(
            "2026-03-30T07:00:00Z",
            "Europe/Berlin",
            &[Days(1), Minutes(1440), Minutes(120)],
            None,
            "2026-03-01T00:00:00Z",
        );
        assert_eq!(
            r,
            [
                (
                    "2026-03-29T07:00:00Z".into(),
                    Days(1),
                    Exact,
                    vec![Minutes(1440)]
                ),
                ("2026-03-30T05:00:00Z".into(), Minutes(120), Exact, vec![]),
            ]
        );
        assert!(d.is_empty());
    }

    #[test]
    fn berlin_on_spring_forward_day_one_day_is_23_hours() {
        // Start Sunday 2026-03-29 09:00 CEST = 07:00Z.
        // 1 day: Saturday 09:00 CET (+1) = 08:00Z (23 h before).
        // 24 h: Saturday 07:00Z = 08:00 CET.
        let (r, _) = plan(
            "2026-03-29T07:00:00Z",
            "Europe/Berlin",
            &[Days(1), Minutes(1440)],
            None,
            "2026-03-01T00:00:00Z",
        );
        assert_eq!(
            r,
            [
                ("2026-03-28T07:00:00Z".into(), Minutes(1440), Exact, vec![]),
                ("2026-03-28T08:00:00Z".into(), Days(1), Exact, vec![]),
            ]
        );
    }

    #[test]
    fn berlin_on_fall_back_day_one_day_is_25_hours() {
        // Berlin: 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
        // Start Sunday 2026-10-25 09:00 CET = 08:00Z.
        // 1 day: Saturday 09:00 CEST (+2) = 07:00Z (25 h before).
        // 24 h: Saturday 08:00Z = 10:00 CEST.
        let (r, _) = plan(
            "2026-10-25T08:00:00Z",
            "Europe/Berlin",
            &[Minutes(1440), Days(1)],
            None,
            "2026-10-01T00:00:00Z",
        );
        assert_eq!(
            r,
            [
                ("2026-10-24T07:00:00Z".into(), Days(1), Exact, vec![]),
                ("2026-10-24T08:00:00Z".into(), Minutes(1440), Exact, vec![]),
            ]
        );
    }

    #[test]
    fn new_york_one_day_into_the_gap_and_the_fold() {
        // New York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z).
        // Start Monday 2026-03-09 02:30 EDT = 06:30Z. 1 day: Sunday 02:30, in
        // the gap: forward by the gap to 03:30 EDT = 07:30Z. 24 h: Sunday
        // 06:30Z = 01:30 EST.
        let (r, _) = plan(
            "2026-03-09T06:30:00Z",
            "America/New_York",
            &[Days(1), Minutes(1440)],
            None,
            "2026-03-01T00:00:00Z",
        );
        assert_eq!(
            r,
            [
                ("2026-03-08T06:30:00Z".into(), Minutes(1440), Exact, vec![]),
                ("2026-03-08T07:30:00Z".into(), Days(1), Exact, vec![]),
            ]
        );
        // 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z): 01:00-02:00 twice.
        // Start Monday 2026-11-02 01:30 EST = 06:30Z. 1 day: Sunday 01:30, the
        // earlier (EDT, -4) = 05:30Z. 24 h: Sunday 06:30Z = the second 01:30 (EST).
        let (r, _) = plan(
            "2026-11-02T06:30:00Z",
            "America/New_York",
            &[Days(1), Minutes(1440)],
            None,
            "2026-10-01T00:00:00Z",
        );
        assert_eq!(
            r,
            [
                ("2026-11-01T05:30:00Z".into(), Days(1), Exact, vec![]),
                ("2026-11-01T06:30:00Z".into(), Minutes(1440), Exact, vec![]),
            ]
        );
    }

    #[test]
    fn quiet_hours_move_earlier_later_or_drop() {
        // New York in June is EDT (-4). Start 2026-06-10 08:30 EDT = 12:30Z.
        // 2 h: 06:30 EDT (10:30Z), quiet (21:00-08:00): quiet began 21:00 EDT
        // on the 9th = 01:00Z on the 10th, so 00:59:59Z.
        let ny = "America/New_York";
        let (r, _) = plan(
            "2026-06-10T12:30:00Z",
            ny,
            &[Minutes(120)],
            Some(night()),
            "2026-06-01T00:00:00Z",
        );
        assert_eq!(
            r,
            [(
                "2026-06-10T00:59:59Z".into(),
                Minutes(120),
                MovedEarlier,
                vec![]
            )]
        );
        // Booked at 22:00 EDT on the 9th (02:00Z): earlier is too early; quiet
        // ends 08:00 EDT = 12:00Z, before the start: later.
        let (r, _) = plan(
            "2026-06-10T12:30:00Z",
            ny,
            &[Minutes(120)],
            Some(night()),
            "2026-06-10T02:00:00Z",
        );
        assert_eq!(
            r,
            [(
                "2026-06-10T12:00:00Z".into(),
                Minutes(120),
                MovedLater,
                vec![]
            )]
        );
        // Start 07:30 EDT (11:30Z), 1 h: 06:30 EDT, quiet; earlier too early,
        // 08:00 EDT is after the start: dropped.
        let (r, d) = plan(
            "2026-06-10T11:30:00Z",
            ny,
            &[Minutes(60)],
            Some(night()),
            "2026-06-10T02:00:00Z",
        );
        assert!(r.is_empty());
        assert_eq!(
            d,
            [Dropped {
                lead: Minutes(60),
                reason: DropReason::QuietHours
            }]
        );
    }

    #[test]
    fn quiet_hours_across_dst_nights() {
        let ny = "America/New_York";
        // Spring forward night 2026-03-07/08. Start 08:30 EDT = 12:30Z; 2 h:
        // 06:30 EDT (10:30Z), quiet since 21:00 EST on the 7th = 02:00Z on the
        // 8th: 01:59:59Z (the quiet stretch straddles the change).
        let (r, _) = plan(
            "2026-03-08T12:30:00Z",
            ny,
            &[Minutes(120)],
            Some(night()),
            "2026-03-01T00:00:00Z",
        );
        assert_eq!(
            r,
            [(
                "2026-03-08T01:59:59Z".into(),
                Minutes(120),
                MovedEarlier,
                vec![]
            )]
        );
        // Fall-back night 2026-10-31/11-01. Start 08:30 EST = 13:30Z; 2 h:
        // 06:30 EST (11:30Z), quiet; earlier would be 20:59:59 EDT = 00:59:59Z
        // on the 1st, before not_before (04:00Z): later, 08:00 EST = 13:00Z.
        let (r, _) = plan(
            "2026-11-01T13:30:00Z",
            ny,
            &[Minutes(120)],
            Some(night()),
            "2026-11-01T04:00:00Z",
        );
        assert_eq!(
            r,
            [(
                "2026-11-01T13:00:00Z".into(),
                Minutes(120),
                MovedLater,
                vec![]
            )]
        );
    }

    #[test]
    fn passed_leads_are_dropped_and_moves_can_merge() {
        // Berlin, June (CEST, +2). Start 2026-06-10 09:00 CEST = 07:00Z.
        // Booked 2026-06-09 20:00Z (22:00 CEST): 1 day (07:00Z on the 9th)
        // has passed. 2 h (07:00 CEST) and 3 h (06:00 CEST) are both quiet;
        // earlier (20:59:59 CEST = 18:59:59Z) is before the booking, so both
        // move later to 08:00 CEST = 06:00Z: merged.
        let (r, d) = plan(
            "2026-06-10T07:00:00Z",
            "Europe/Berlin",
            &[Days(1), Minutes(120), Minutes(180)],
            Some(night()),
            "2026-06-09T20:00:00Z",
        );
        assert_eq!(
            r,
            [(
                "2026-06-10T06:00:00Z".into(),
                Minutes(120),
                MovedLater,
                vec![Minutes(180)]
            )]
        );
        assert_eq!(
            d,
            [Dropped {
                lead: Days(1),
                reason: DropReason::Passed
            }]
        );
    }

    #[test]
    fn bad_leads_and_quiet_hours_are_invalid_requests_naming_the_field() {
        let z = Zone::UTC;
        let start = t("2026-06-10T07:00:00Z");
        for (leads, field) in [
            (vec![Minutes(0)], "leads[0]"),
            (vec![Days(1), Days(0)], "leads[1]"),
            (vec![Days(61)], "leads[0]"),
            (vec![Minutes(60 * 1440 + 1)], "leads[0]"),
        ] {
            let e = schedule(start, z, &leads, None, Timestamp::EPOCH).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{leads:?}");
            assert!(e.message().starts_with(&format!("{field}:")), "{e}");
        }
        assert!(
            schedule(
                start,
                z,
                &[Days(60), Minutes(60 * 1440)],
                None,
                Timestamp::EPOCH
            )
            .is_ok()
        );
        let e = QuietHours::new(LocalTime::MIDNIGHT, LocalTime::MIDNIGHT_END).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        assert!(e.message().starts_with("quiet_hours:"), "{e}");
        let q: Result<QuietHours, _> = serde_json::from_str(r#"{"start":"09:00","end":"09:00"}"#);
        assert!(q.is_err());
        let q: QuietHours = serde_json::from_str(r#"{"start":"21:00","end":"08:00"}"#).unwrap();
        assert_eq!(q, night());
    }

    #[test]
    fn leads_serialize_as_small_objects() {
        assert_eq!(serde_json::to_string(&Days(1)).unwrap(), r#"{"days":1}"#);
        assert_eq!(
            serde_json::from_str::<Lead>(r#"{"minutes":120}"#).unwrap(),
            Minutes(120)
        );
    }
}
