//! Recurring series of appointments: every occurrence checked, per-occurrence
//! answers, two booking policies, and RFC 5545 style edits (one occurrence,
//! this-and-following, all).
//!
//! A series is an RRULE from a local `DTSTART` in a zone, a duration and the
//! resources each occurrence uses. Occurrences are the recurrence's instants
//! (DST-correct, see [`Recurrence`]); each is identified by its original local
//! start, its RFC 5545 `RECURRENCE-ID`, which stays its id when it is moved.
//! An occurrence's booking id is `<series id>.<YYYYMMDDTHHMMSS>` (a valid FHIR
//! id: series ids are `[A-Za-z0-9.-]{1,48}`).
//!
//! Edits ([`shift_occurrences`], [`cancel_occurrences`]) are all-or-nothing on
//! the `&mut Ledger`: every change is checked before any is made, and on an
//! error or a conflict the ledger is exactly as before. Shifts are in wall-clock
//! time of the series' zone ([`WallShift`]). Only occurrences the lifecycle
//! still lets change are edited; the others come back in `skipped`, with the
//! lifecycle's error saying why.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::advice::{Alternatives, alternatives};
use crate::availability::Availability;
use crate::booking::{Booking, Conflict, Ledger, SeriesRef, Status};
use crate::error::{Error, ErrorCode, Result};
use crate::lifecycle::{self, LifecyclePolicy, Outcome, Party, TransitionRequest};
use crate::recurrence::Recurrence;
use crate::time::{DAY, Minutes, Timestamp};
use crate::zone::Zone;

/// Longest a series may run when its rule has neither COUNT nor UNTIL and no
/// end is given: the same 400 days as a slot query.
pub const OPEN_SERIES_DAYS: i64 = 400;
/// Most occurrences one series may have.
pub const MAX_SERIES_OCCURRENCES: usize = 1000;
/// Longest a series id may be: with `.` and the 15 characters of the
/// recurrence id, an occurrence id stays within FHIR's 64.
pub const MAX_SERIES_ID_LEN: usize = 48;
/// Largest shift of a series edit, in days either way (and in minutes,
/// `MAX_SHIFT_DAYS * 1440`).
pub const MAX_SHIFT_DAYS: i64 = OPEN_SERIES_DAYS;

/// Check a series id: `[A-Za-z0-9.-]{1,48}`, so that every occurrence id
/// (`<series id>.<YYYYMMDDTHHMMSS>`) is a valid FHIR id (`[A-Za-z0-9.-]{1,64}`).
fn check_series_id(id: &str) -> Result<()> {
    // The shared id rule, shortened so `<id>.<YYYYMMDDTHHMMSS>` fits its 64 characters.
    let ok = id.len() <= MAX_SERIES_ID_LEN && crate::id::is_id(id);
    if ok {
        Ok(())
    } else {
        Err(Error::request(format!(
            "series id {id:?} must match [A-Za-z0-9.-]{{1,{MAX_SERIES_ID_LEN}}} \
             (1 to {MAX_SERIES_ID_LEN} letters, digits, `.` or `-`), so that its occurrence ids \
             `<series id>.<YYYYMMDDTHHMMSS>` are valid FHIR ids"
        ))
        .at("series.id"))
    }
}

/// What to do when some occurrences conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesPolicy {
    /// Book every occurrence or none.
    #[default]
    AllOrNothing,
    /// Book the free occurrences and report the others.
    BookFree,
}

/// A recurring appointment to book.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SeriesSpec {
    /// Series id, `[A-Za-z0-9.-]{1,48}`; occurrence ids are
    /// `<id>.<YYYYMMDDTHHMMSS>` of their recurrence id.
    pub id: String,
    /// The recurrence (rule, local DTSTART, zone, EXDATEs).
    pub recurrence: Recurrence,
    /// Length of each occurrence, minutes.
    pub duration: Minutes,
    /// Resources every occurrence uses.
    pub resources: Vec<String>,
    /// End of an open-ended rule (exclusive); required when the rule has no COUNT/UNTIL.
    pub until: Option<Timestamp>,
}

/// One occurrence's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OccurrenceResult {
    /// The occurrence id (`<series>.<YYYYMMDDTHHMMSS>` of the recurrence id).
    pub id: String,
    /// The original local start (`RECURRENCE-ID`).
    pub recurrence_id: String,
    /// Start instant.
    pub start: Timestamp,
    /// End instant.
    pub end: Timestamp,
    /// Free to book.
    pub ok: bool,
    /// What stands in the way (empty when `ok`).
    pub conflicts: Vec<Conflict>,
    /// Whether it was booked by this call.
    pub booked: bool,
    /// For a conflicting occurrence, the nearest free starts (see
    /// [`SeriesSpec::add_alternatives`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<Alternatives>,
}

/// The answer for a whole series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SeriesResult {
    /// Whether anything was booked.
    pub booked: bool,
    /// Every occurrence, in order.
    pub occurrences: Vec<OccurrenceResult>,
}

/// How to [`SeriesSpec::book`]: at which instant, and by which
/// [`SeriesPolicy`] (all or nothing by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeriesBookOptions {
    /// The current instant: decides which holds still block.
    pub now: Timestamp,
    /// What to do when some occurrences conflict.
    pub policy: SeriesPolicy,
}

impl SeriesBookOptions {
    /// Book at `now`, all or nothing.
    #[must_use]
    pub const fn at(now: Timestamp) -> Self {
        Self {
            now,
            policy: SeriesPolicy::AllOrNothing,
        }
    }

    /// These options with `policy`.
    #[must_use]
    pub const fn policy(mut self, policy: SeriesPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// How to [`SeriesSpec::add_alternatives`]: at which instant, how many free
/// starts either side of each conflicting occurrence, and how far to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlternativesOptions {
    /// The current instant.
    pub now: Timestamp,
    /// Free starts wanted before and after each conflicting occurrence.
    pub count: usize,
    /// How many days either side to search (1 to 200).
    pub search_days: i64,
}

impl AlternativesOptions {
    /// Up to `count` free starts either side, within `search_days`, at `now`.
    #[must_use]
    pub const fn new(now: Timestamp, count: usize, search_days: i64) -> Self {
        Self {
            now,
            count,
            search_days,
        }
    }
}

fn recurrence_id(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl SeriesSpec {
    /// A series `id` of `duration`-long occurrences of `recurrence`, each
    /// using `resources`; an open-ended rule also needs [`SeriesSpec::until`].
    /// Checked when planned or booked.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        recurrence: Recurrence,
        duration: Minutes,
        resources: Vec<String>,
    ) -> Self {
        Self {
            id: id.into(),
            recurrence,
            duration,
            resources,
            until: None,
        }
    }

    /// This series ending (exclusive) at `until`.
    #[must_use]
    pub const fn until(mut self, until: Timestamp) -> Self {
        self.until = Some(until);
        self
    }

    /// Validate and list the occurrences: (recurrence id, start, end), by start.
    /// The rule's instances from `DTSTART` (up to `until`) and every RDATE
    /// (wherever it falls), less the EXDATEs; an RDATE on a rule instance's
    /// instant counts once.
    ///
    /// # Errors
    /// `invalid_duration` for a non-positive duration; `invalid_request` for a
    /// series id that is not `[A-Za-z0-9.-]{1,48}`, an open-ended rule without
    /// `until`, or more than [`MAX_SERIES_OCCURRENCES`] occurrences.
    pub fn occurrences(&self) -> Result<Vec<(NaiveDateTime, Timestamp, Timestamp)>> {
        check_series_id(&self.id)?;
        let minutes = self.duration.get();
        if minutes <= 0 || minutes > OPEN_SERIES_DAYS * 24 * 60 {
            return Err(Error::duration(format!(
                "series duration must be a positive number of minutes, got {minutes}"
            )));
        }
        if self.resources.is_empty() || self.resources.iter().any(String::is_empty) {
            return Err(Error::request(
                "a series needs at least one non-empty resource",
            ));
        }
        let rule = self.recurrence.rule();
        let zone = self.recurrence.zone();
        let first = zone.resolve(self.recurrence.dtstart());
        let bounded = rule.count().is_some() || rule.until().is_some();
        let end = match (self.until, bounded) {
            (Some(u), _) => u,
            (None, true) => first.plus_minutes(
                crate::recurrence::MAX_RECURRENCE_WINDOW_DAYS * 24 * 60 - 2 * 24 * 60,
            )?,
            (None, false) => {
                return Err(Error::request(
                    "the series' rule has neither COUNT nor UNTIL: give `until` (the end of the series)",
                ));
            }
        };
        let from = first.plus_seconds(-DAY)?;
        let mut out = Vec::new();
        let mut too_many = false;
        let mut failed = None;
        self.recurrence.for_each_instance(from, end, |local, t| {
            if t >= end || t < from {
                return true;
            }
            if out.len() == MAX_SERIES_OCCURRENCES {
                too_many = true;
                return false;
            }
            match t.plus_minutes(self.duration.get()) {
                Ok(e) => out.push((local, t, e)),
                Err(e) => {
                    failed = Some(e);
                    return false;
                }
            }
            true
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        if too_many {
            return Err(Error::request(format!(
                "a series may have at most {MAX_SERIES_OCCURRENCES} occurrences; add COUNT or an earlier UNTIL"
            )));
        }
        for &local in self.recurrence.rdates() {
            let t = zone.resolve(local);
            out.push((local, t, t.plus_minutes(self.duration.get())?));
        }
        let ex = self.recurrence.exdates_local();
        out.retain(|(l, _, _)| ex.binary_search(&l.and_utc().timestamp()).is_err());
        // Stable: a rule instance comes before an RDATE on the same instant.
        out.sort_by_key(|o| o.1);
        out.dedup_by_key(|o| o.1);
        if out.len() > MAX_SERIES_OCCURRENCES {
            return Err(Error::request(format!(
                "a series may have at most {MAX_SERIES_OCCURRENCES} occurrences, RDATEs included; \
                 add COUNT, an earlier UNTIL or fewer RDATEs"
            )));
        }
        Ok(out)
    }

    /// Check every occurrence against `ledger` and against the series' own
    /// earlier free occurrences (a series must not double-book itself).
    ///
    /// # Errors
    /// As [`SeriesSpec::occurrences`].
    pub fn plan(&self, ledger: &Ledger, now: Timestamp) -> Result<Vec<OccurrenceResult>> {
        let occ = self.occurrences()?;
        let mut out: Vec<OccurrenceResult> = Vec::with_capacity(occ.len());
        // Occurrences judged free so far count like bookings for the later ones,
        // as if each free one were booked in turn.
        let mut accepted: Vec<Booking> = Vec::new();
        let mut near: Vec<Booking> = Vec::new();
        let mut checker = ledger.checker(&self.resources, now, None);
        for (local, start, end) in &occ {
            near.clear();
            near.extend(
                accepted
                    .iter()
                    .filter(|b| b.start < *end && *start < b.end)
                    .cloned(),
            );
            let check = checker.check(start.unix(), end.unix(), &near);
            let id = self.occurrence_id(*local);
            if check.ok && occ.len() > 1 {
                // Only occurrences that can overlap a later one need keeping.
                if accepted.last().is_some_and(|b| b.end <= *start) {
                    accepted.clear();
                }
                accepted.push(Booking::from_parts(
                    id.clone(),
                    *start,
                    *end,
                    Status::Booked,
                    self.resources.clone(),
                ));
            }
            out.push(OccurrenceResult {
                id,
                recurrence_id: recurrence_id(*local),
                start: *start,
                end: *end,
                ok: check.ok,
                conflicts: check.conflicts,
                booked: false,
                alternatives: None,
            });
        }
        Ok(out)
    }

    /// Fill in, for every conflicting occurrence, up to `options.count` free
    /// starts before and after it inside `availability`'s working windows (the
    /// provider's), free in `ledger` for all the series' resources, within
    /// `options.search_days`.
    ///
    /// # Errors
    /// As [`crate::advice::alternatives`].
    pub fn add_alternatives(
        &self,
        results: &mut [OccurrenceResult],
        ledger: &Ledger,
        availability: &Availability,
        options: AlternativesOptions,
    ) -> Result<()> {
        let AlternativesOptions {
            now,
            count: n,
            search_days,
        } = options;
        for o in results.iter_mut().filter(|o| !o.ok) {
            let request = crate::booking::Request {
                start: o.start,
                end: o.end,
                resources: self.resources.clone(),
            };
            o.alternatives = Some(alternatives(
                availability,
                ledger,
                &request,
                now,
                n,
                None,
                search_days,
            )?);
        }
        Ok(())
    }

    /// The booking id of the occurrence whose original local start is
    /// `local` (`<series id>.<YYYYMMDDTHHMMSS>`), as [`SeriesSpec::book`] names it.
    #[must_use]
    pub fn occurrence_id(&self, local: NaiveDateTime) -> String {
        format!("{}.{}", self.id, local.format("%Y%m%dT%H%M%S"))
    }

    /// Plan, then book by `options.policy`: all-or-nothing books every
    /// occurrence or none; book-free books the free ones. Checks and inserts
    /// happen in one call on one `&mut Ledger`, so nothing can slip in between.
    ///
    /// ```
    /// use hcas_core::booking::{Booking, Ledger};
    /// use hcas_core::series::{SeriesBookOptions, SeriesPolicy, SeriesSpec};
    /// use hcas_core::{Interval, Minutes, Recurrence, Zone};
    /// let rule = "FREQ=WEEKLY;COUNT=3".parse().unwrap();
    /// let dtstart = hcas_core::time::parse_local_datetime("2026-05-05T09:00").unwrap();
    /// let spec = SeriesSpec::new("physio", Recurrence::new(rule, dtstart, Zone::parse("Europe/London").unwrap()),
    ///     Minutes::new(45), vec!["provider:P1".into(), "patient:X1".into()]);
    /// let mut ledger = Ledger::new();
    /// // The provider is away on 12 May (09:00 BST is 08:00Z).
    /// ledger.insert(Booking::new("leave", vec!["provider:P1".into()],
    ///     Interval::parse("2026-05-12T08:00:00Z", "2026-05-12T09:00:00Z").unwrap())).unwrap();
    /// let now = "2026-05-01T00:00:00Z".parse().unwrap();
    /// let all = spec.book(&mut ledger, SeriesBookOptions::at(now)).unwrap();
    /// assert!(!all.booked);
    /// assert_eq!(all.occurrences[1].conflicts[0].with, ["leave"]);
    /// let free = spec.book(&mut ledger, SeriesBookOptions::at(now).policy(SeriesPolicy::BookFree)).unwrap();
    /// assert_eq!(free.occurrences.iter().filter(|o| o.booked).count(), 2);
    /// assert!(ledger.get("physio.20260505T090000").is_some());
    /// ```
    ///
    /// # Errors
    /// As [`SeriesSpec::occurrences`]; `invalid_request` for an id already used.
    pub fn book(&self, ledger: &mut Ledger, options: SeriesBookOptions) -> Result<SeriesResult> {
        let SeriesBookOptions { now, policy } = options;
        let mut occ = self.plan(ledger, now)?;
        let all_ok = occ.iter().all(|o| o.ok);
        if policy == SeriesPolicy::AllOrNothing && !all_ok {
            return Ok(SeriesResult {
                booked: false,
                occurrences: occ,
            });
        }
        if let Some(o) = occ.iter().find(|o| o.ok && ledger.get(&o.id).is_some()) {
            return Err(Error::request(format!(
                "booking id {} is already used",
                o.id
            )));
        }
        let mut any = false;
        for o in occ.iter_mut().filter(|o| o.ok) {
            let mut b = Booking::from_parts(
                o.id.clone(),
                o.start,
                o.end,
                Status::Booked,
                self.resources.clone(),
            );
            b.series = Some(SeriesRef {
                id: self.id.clone(),
                recurrence_id: o.recurrence_id.clone(),
            });
            ledger.insert(b)?;
            o.booked = true;
            any = true;
        }
        Ok(SeriesResult {
            booked: any,
            occurrences: occ,
        })
    }
}

/// Which occurrences an edit applies to (RFC 5545 `RANGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditScope {
    /// Only the named occurrence (`RECURRENCE-ID`).
    This,
    /// The named occurrence and every later one (`RANGE=THISANDFUTURE`).
    ThisAndFollowing,
    /// Every occurrence.
    All,
}

/// A shift in wall-clock time: calendar days, then minutes, added to each
/// occurrence's local start in the series' zone. "One week later" is
/// `{ days: 7, minutes: 0 }` and keeps 10:00 local across a DST change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WallShift {
    /// Calendar days (negative: earlier), at most [`MAX_SHIFT_DAYS`] either way.
    #[serde(default)]
    pub days: i64,
    /// Minutes of wall-clock time (negative: earlier), at most
    /// `MAX_SHIFT_DAYS * 1440` either way.
    #[serde(default)]
    pub minutes: Minutes,
}

impl WallShift {
    /// A shift of whole days.
    #[must_use]
    pub const fn days(days: i64) -> Self {
        Self {
            days,
            minutes: Minutes::ZERO,
        }
    }

    /// A shift of wall-clock minutes.
    #[must_use]
    pub const fn minutes(minutes: Minutes) -> Self {
        Self { days: 0, minutes }
    }

    fn validate(self) -> Result<()> {
        if self.days.abs() > MAX_SHIFT_DAYS || self.minutes.get().abs() > MAX_SHIFT_DAYS * 24 * 60 {
            return Err(Error::duration(format!(
                "a series shift may be at most {MAX_SHIFT_DAYS} days and {} minutes either way, got {} days and {} minutes",
                MAX_SHIFT_DAYS * 24 * 60,
                self.days,
                self.minutes.get()
            ))
            .at("shift"));
        }
        Ok(())
    }

    /// `start` moved by this shift on the wall clock of `zone`, resolved by
    /// the engine's compatible rule ([`Zone::resolve`]: a time in a gap moves
    /// forward by the gap, an ambiguous time takes the earlier instant). A
    /// zero shift leaves `start` as it is.
    fn apply(self, zone: Zone, start: Timestamp) -> Result<Timestamp> {
        if self.days == 0 && self.minutes == Minutes::ZERO {
            return Ok(start);
        }
        let local = zone.to_local(start);
        let moved = local
            .checked_add_signed(chrono::TimeDelta::days(self.days))
            .and_then(|l| l.checked_add_signed(chrono::TimeDelta::minutes(self.minutes.get())))
            .ok_or_else(|| {
                Error::datetime(format!("{local} shifted by {self:?} is out of range"))
            })?;
        Ok(zone.resolve(moved))
    }
}

/// A series edit that moves occurrences (and may change their length): see
/// [`shift_occurrences`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeriesEdit {
    /// The series.
    pub series_id: String,
    /// The occurrence the scope starts from (its `RECURRENCE-ID`,
    /// `YYYY-MM-DDTHH:MM:SS` local).
    pub recurrence_id: String,
    /// One occurrence, this and following, or all.
    pub scope: EditScope,
    /// The series' zone: the shift is in its wall-clock time.
    pub zone: Zone,
    /// How far to move each occurrence (zero: keep the starts).
    pub shift: WallShift,
    /// New length of each occurrence in minutes; `None` keeps each one's length.
    pub duration: Option<Minutes>,
    /// Who asks (the lifecycle decides whether they may).
    pub actor: Party,
    /// Why (optional for a move; stores record it in the history).
    pub reason: Option<String>,
    /// The clinic's lifecycle timing rules.
    pub policy: LifecyclePolicy,
}

impl SeriesEdit {
    /// An edit by `actor` of the occurrence `from` of a series (and, by
    /// `scope`, the ones after it or all), in the series' `zone`. It moves
    /// nothing until given a [`SeriesEdit::shift`] or a
    /// [`SeriesEdit::duration`]; no reason, the default policy.
    #[must_use]
    pub fn new(from: SeriesRef, scope: EditScope, zone: Zone, actor: Party) -> Self {
        Self {
            series_id: from.id,
            recurrence_id: from.recurrence_id,
            scope,
            zone,
            shift: WallShift::default(),
            duration: None,
            actor,
            reason: None,
            policy: LifecyclePolicy::new(),
        }
    }

    /// This edit moving each occurrence by `shift`.
    #[must_use]
    pub const fn shift(mut self, shift: WallShift) -> Self {
        self.shift = shift;
        self
    }

    /// This edit giving each occurrence the length `duration`.
    #[must_use]
    pub const fn duration(mut self, duration: Minutes) -> Self {
        self.duration = Some(duration);
        self
    }

    /// This edit with a reason (recorded in the history by stores).
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// This edit under the clinic's `policy`.
    #[must_use]
    pub const fn policy(mut self, policy: LifecyclePolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// A series edit that cancels occurrences: see [`cancel_occurrences`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SeriesCancel {
    /// The series.
    pub series_id: String,
    /// The occurrence the scope starts from (its `RECURRENCE-ID`).
    pub recurrence_id: String,
    /// One occurrence, this and following, or all.
    pub scope: EditScope,
    /// Who asks.
    pub actor: Party,
    /// Why (required, non-blank); stored as each occurrence's cancellation reason.
    pub reason: String,
    /// The clinic's lifecycle timing rules (late cancellation).
    #[serde(default)]
    pub policy: LifecyclePolicy,
}

impl SeriesCancel {
    /// A cancellation by `actor`, for `reason`, of the occurrence `from` of a
    /// series (and, by `scope`, the ones after it or all), under the default
    /// policy.
    #[must_use]
    pub fn new(from: SeriesRef, scope: EditScope, actor: Party, reason: impl Into<String>) -> Self {
        Self {
            series_id: from.id,
            recurrence_id: from.recurrence_id,
            scope,
            actor,
            reason: reason.into(),
            policy: LifecyclePolicy::new(),
        }
    }

    /// This cancellation under the clinic's `policy`.
    #[must_use]
    pub const fn policy(mut self, policy: LifecyclePolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// An occurrence in an edit's scope that the edit left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Skipped {
    /// The occurrence's booking id.
    pub id: String,
    /// Its `RECURRENCE-ID`.
    pub recurrence_id: String,
    /// Its status, unchanged.
    pub status: Status,
    /// Why: the lifecycle's error (`invalid_transition`, `not_permitted`, ...).
    pub error: Error,
}

/// The answer to [`shift_occurrences`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EditResult {
    /// Whether the edit was applied: every occurrence in `occurrences` moved.
    /// When false, nothing changed.
    pub applied: bool,
    /// Every occurrence the edit moves (or would move), by original start,
    /// with its new times; `ok` false with the conflicts that stand in the way.
    pub occurrences: Vec<OccurrenceResult>,
    /// Occurrences in scope the lifecycle does not let change (left as they are).
    pub skipped: Vec<Skipped>,
}

/// One occurrence cancelled by [`cancel_occurrences`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CancelledOccurrence {
    /// The occurrence's booking id.
    pub id: String,
    /// Its `RECURRENCE-ID`.
    pub recurrence_id: String,
    /// Its status before.
    pub from: Status,
    /// What follows (the lifecycle's outcomes: `cancelled`, `late_cancellation`, `slot_freed`).
    pub outcomes: Vec<Outcome>,
}

/// The answer to [`cancel_occurrences`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CancelResult {
    /// Occurrences cancelled, by start.
    pub cancelled: Vec<CancelledOccurrence>,
    /// Occurrences in scope the lifecycle does not let cancel (left as they are).
    pub skipped: Vec<Skipped>,
}

/// The bookings of a series in the ledger, by start (then id).
#[must_use]
pub fn series_bookings<'a>(ledger: &'a Ledger, series_id: &str) -> Vec<&'a Booking> {
    let mut v: Vec<&Booking> = ledger
        .bookings()
        .filter(|b| b.series.as_ref().is_some_and(|s| s.id == series_id))
        .collect();
    v.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    v
}

fn recurrence_of(b: &Booking) -> String {
    b.series
        .as_ref()
        .map_or_else(String::new, |s| s.recurrence_id.clone())
}

/// The occurrences of `series` (the series' bookings, any status) an edit
/// applies to: the one with `recurrence_id`, it and every later one (by
/// current start), or all of them; by start.
fn select<'a>(
    series: &[&'a Booking],
    series_id: &str,
    recurrence_id: &str,
    scope: EditScope,
) -> Result<Vec<&'a Booking>> {
    let is_pivot = |b: &Booking| {
        b.series
            .as_ref()
            .is_some_and(|s| s.id == series_id && s.recurrence_id == recurrence_id)
    };
    let mut all: Vec<&Booking> = series
        .iter()
        .copied()
        .filter(|b| b.series.as_ref().is_some_and(|s| s.id == series_id))
        .collect();
    all.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    let pivot_start = all
        .iter()
        .find(|b| is_pivot(b))
        .ok_or_else(|| {
            Error::request(format!(
                "series {series_id} has no occurrence {recurrence_id}"
            ))
            .at("recurrence_id")
        })?
        .start;
    Ok(all
        .into_iter()
        .filter(|b| match scope {
            EditScope::This => is_pivot(b),
            EditScope::ThisAndFollowing => b.start >= pivot_start,
            EditScope::All => true,
        })
        .collect())
}

/// Whether the lifecycle lets a series edit change `b`: a cancellation (a
/// move is a reschedule, which cancels the old time) by `actor` at `now` must
/// be legal, and the patient must not be on site (a status from which
/// `fulfilled` is next: arrived, checked in), which only a change of that one
/// appointment may touch.
fn may_change(
    b: &Booking,
    what: &str,
    actor: Party,
    reason: &str,
    now: Timestamp,
    policy: &LifecyclePolicy,
) -> Result<Vec<Outcome>> {
    let why = |e: Error| {
        Error::new(
            e.code(),
            format!("occurrence {} cannot be {what}: {}", b.id, e.message()),
        )
    };
    if lifecycle::legal_targets(b.status).contains(&Status::Fulfilled) {
        return Err(why(Error::new(
            ErrorCode::InvalidTransition,
            format!(
                "it is {} (the patient is on site); change that appointment on its own",
                b.status
            ),
        )));
    }
    let req = TransitionRequest {
        to: Status::Cancelled,
        actor,
        reason: Some(reason.to_string()),
        now,
    };
    lifecycle::transition(b, &req, policy)
        .map(|t| t.outcomes)
        .map_err(why)
}

/// One planned move of a series edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Move {
    /// The occurrence's booking id.
    pub id: String,
    /// Its `RECURRENCE-ID`.
    pub recurrence_id: String,
    /// New start.
    pub start: Timestamp,
    /// New end.
    pub end: Timestamp,
}

/// What a shift would do, before any conflict check (see [`plan_shift`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ShiftPlan {
    /// The moves, by original start.
    pub moves: Vec<Move>,
    /// Occurrences in scope the lifecycle does not let change.
    pub skipped: Vec<Skipped>,
}

/// Plan a shift on the bookings of a series (any order, any status; other
/// bookings are ignored), without conflict checks: which occurrences move,
/// where to, and which are skipped and why. Pure; [`shift_occurrences`] uses
/// it, and a store can too (check the moves against its bookings, ignoring
/// the moved ones and counting the earlier free moves, then apply them all
/// in one transaction).
///
/// # Errors
/// `invalid_request` for an unknown occurrence; `invalid_duration` for a
/// duration that is not positive or above [`OPEN_SERIES_DAYS`] days, a shift
/// beyond [`MAX_SHIFT_DAYS`] or an invalid policy; `invalid_datetime` or
/// `invalid_interval` for a move out of the engine's range.
pub fn plan_shift(series: &[&Booking], edit: &SeriesEdit, now: Timestamp) -> Result<ShiftPlan> {
    edit.shift.validate()?;
    edit.policy.validate()?;
    if let Some(d) = edit.duration.map(Minutes::get)
        && (d <= 0 || d > OPEN_SERIES_DAYS * 24 * 60)
    {
        return Err(Error::duration(format!(
            "duration must be a positive number of minutes up to {}, got {d}",
            OPEN_SERIES_DAYS * 24 * 60
        ))
        .at("duration"));
    }
    let chosen = select(series, &edit.series_id, &edit.recurrence_id, edit.scope)?;
    let reason = edit
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or("moved with its series");
    let mut plan = ShiftPlan {
        moves: Vec::with_capacity(chosen.len()),
        skipped: Vec::new(),
    };
    for b in chosen {
        if let Err(error) = may_change(b, "moved", edit.actor, reason, now, &edit.policy) {
            plan.skipped.push(Skipped {
                id: b.id.clone(),
                recurrence_id: recurrence_of(b),
                status: b.status,
                error,
            });
            continue;
        }
        let start = edit.shift.apply(edit.zone, b.start)?;
        let end = match edit.duration {
            Some(d) => start.plus_minutes(d.get())?,
            None => start.plus_seconds(b.end.unix() - b.start.unix())?,
        };
        crate::time::Interval::new(start, end)
            .map_err(|e| e.at(&format!("occurrence {}", b.id)))?;
        plan.moves.push(Move {
            id: b.id.clone(),
            recurrence_id: recurrence_of(b),
            start,
            end,
        });
    }
    Ok(plan)
}

/// Move occurrences of a series (one, this and following, or all) by a
/// wall-clock shift in the series' zone, and to a new length when given.
///
/// All or nothing, atomically on `ledger`: every move is checked first,
/// against everything but the moved occurrences' old times and against the
/// earlier moves of this edit; if any conflicts, nothing changes and the
/// conflicts are returned per occurrence (`applied: false`). Otherwise every
/// move is made (`applied: true`, each `booked: true`). Occurrences the
/// lifecycle no longer lets change (final, on site, started; see
/// [`lifecycle::transition`]) stay where they are, are listed in `skipped`
/// with why, and count as obstacles for the others.
///
/// ```
/// use hcas_core::booking::{Ledger, SeriesRef};
/// use hcas_core::lifecycle::Party;
/// use hcas_core::series::{shift_occurrences, EditScope, SeriesBookOptions, SeriesEdit, SeriesSpec, WallShift};
/// use hcas_core::{Minutes, Recurrence, Zone};
/// let london = Zone::parse("Europe/London").unwrap();
/// let spec = SeriesSpec::new("physio",
///     Recurrence::new("FREQ=WEEKLY;COUNT=3".parse().unwrap(),
///         hcas_core::time::parse_local_datetime("2026-03-17T10:00").unwrap(), london),
///     Minutes::new(60), vec!["provider:P1".into()]);
/// let now = "2026-03-01T00:00:00Z".parse().unwrap();
/// let mut ledger = Ledger::new();
/// spec.book(&mut ledger, SeriesBookOptions::at(now)).unwrap();
/// // One week later, every occurrence: the first lands on the second's old slot.
/// let edit = SeriesEdit::new(SeriesRef::new("physio", "2026-03-17T10:00:00"), EditScope::All, london, Party::Staff)
///     .shift(WallShift::days(7));
/// let done = shift_occurrences(&mut ledger, &edit, now).unwrap();
/// assert!(done.applied);
/// // 24 March is GMT (10:00Z), 31 March is BST: still 10:00 local (09:00Z).
/// assert_eq!(ledger.get("physio.20260317T100000").unwrap().start.to_string(), "2026-03-24T10:00:00Z");
/// assert_eq!(ledger.get("physio.20260324T100000").unwrap().start.to_string(), "2026-03-31T09:00:00Z");
/// ```
///
/// # Errors
/// As [`plan_shift`]. On an error nothing changes.
pub fn shift_occurrences(
    ledger: &mut Ledger,
    edit: &SeriesEdit,
    now: Timestamp,
) -> Result<EditResult> {
    let plan = {
        let series = series_bookings(ledger, &edit.series_id);
        plan_shift(&series, edit, now)?
    };
    let moved_ids: Vec<&str> = plan.moves.iter().map(|m| m.id.as_str()).collect();
    let mut results = Vec::with_capacity(plan.moves.len());
    // Earlier moves judged free count for the later ones.
    let mut accepted: Vec<Booking> = Vec::new();
    let mut near: Vec<Booking> = Vec::new();
    for m in &plan.moves {
        let Some(old) = ledger.get(&m.id) else {
            return Err(Error::request(format!("no booking {}", m.id)));
        };
        let mut nb = old.clone();
        nb.start = m.start;
        nb.end = m.end;
        nb.validate()?;
        near.clear();
        near.extend(
            accepted
                .iter()
                .filter(|b| b.start < m.end && m.start < b.end)
                .cloned(),
        );
        let check = ledger
            .checker_excluding_all(&nb.resources, now, &moved_ids)
            .check(m.start.unix(), m.end.unix(), &near);
        if check.ok {
            accepted.push(nb);
        }
        results.push(OccurrenceResult {
            id: m.id.clone(),
            recurrence_id: m.recurrence_id.clone(),
            start: m.start,
            end: m.end,
            ok: check.ok,
            conflicts: check.conflicts,
            booked: false,
            alternatives: None,
        });
    }
    let applied = results.iter().all(|r| r.ok);
    if applied {
        // Every move is checked and valid; moving in place cannot fail.
        for (m, r) in plan.moves.iter().zip(&mut results) {
            r.booked = ledger.move_unchecked(&m.id, m.start, m.end);
        }
    }
    Ok(EditResult {
        applied,
        occurrences: results,
        skipped: plan.skipped,
    })
}

/// Plan a cancellation on the bookings of a series without changing
/// anything: which occurrences the lifecycle lets `cancel.actor` cancel at
/// `now` (with their outcomes, e.g. late cancellation) and which are skipped
/// and why. Pure; [`cancel_occurrences`] applies it, and a store can too.
///
/// # Errors
/// `invalid_request` for a blank reason or an unknown occurrence;
/// `invalid_duration` for an invalid policy.
pub fn plan_cancel(
    series: &[&Booking],
    cancel: &SeriesCancel,
    now: Timestamp,
) -> Result<CancelResult> {
    if cancel.reason.trim().is_empty() {
        return Err(Error::request("a cancellation needs a non-blank reason").at("reason"));
    }
    cancel.policy.validate()?;
    let chosen = select(
        series,
        &cancel.series_id,
        &cancel.recurrence_id,
        cancel.scope,
    )?;
    let mut out = CancelResult {
        cancelled: Vec::new(),
        skipped: Vec::new(),
    };
    for b in chosen {
        match may_change(
            b,
            "cancelled",
            cancel.actor,
            &cancel.reason,
            now,
            &cancel.policy,
        ) {
            Ok(outcomes) => out.cancelled.push(CancelledOccurrence {
                id: b.id.clone(),
                recurrence_id: recurrence_of(b),
                from: b.status,
                outcomes,
            }),
            Err(error) => out.skipped.push(Skipped {
                id: b.id.clone(),
                recurrence_id: recurrence_of(b),
                status: b.status,
                error,
            }),
        }
    }
    Ok(out)
}

/// Cancel occurrences of a series (one, this and following, or all) through
/// the lifecycle: each occurrence `cancel.actor` may cancel at `now` becomes
/// `cancelled` with `cancel.reason`; the others (fulfilled, no-show, already
/// cancelled, entered in error, on site, started, or not this actor's to
/// cancel) are left as they are and listed in `skipped` with the lifecycle's
/// error. Every check is made before any change; on an error nothing changes.
///
/// ```
/// use hcas_core::booking::{Ledger, SeriesRef, Status};
/// use hcas_core::lifecycle::{Outcome, Party};
/// use hcas_core::series::{cancel_occurrences, EditScope, SeriesBookOptions, SeriesCancel, SeriesSpec};
/// use hcas_core::{Minutes, Recurrence, Zone};
/// let spec = SeriesSpec::new("physio",
///     Recurrence::new("FREQ=DAILY;COUNT=3".parse().unwrap(),
///         hcas_core::time::parse_local_datetime("2026-05-04T09:00").unwrap(), Zone::parse("UTC").unwrap()),
///     Minutes::new(30), vec!["provider:P1".into(), "patient:X1".into()]);
/// let mut ledger = Ledger::new();
/// spec.book(&mut ledger, SeriesBookOptions::at("2026-05-01T00:00:00Z".parse().unwrap())).unwrap();
/// // From the second occurrence on, a few hours before it: late under the default policy.
/// let cancel = SeriesCancel::new(SeriesRef::new("physio", "2026-05-05T09:00:00"),
///     EditScope::ThisAndFollowing, Party::Patient, "moving away");
/// let done = cancel_occurrences(&mut ledger, &cancel, "2026-05-05T06:00:00Z".parse().unwrap()).unwrap();
/// assert_eq!(done.cancelled.len(), 2);
/// assert!(done.cancelled[0].outcomes.contains(&Outcome::LateCancellation { minutes_before_start: Minutes::hours(3) }));
/// assert_eq!(ledger.get("physio.20260504T090000").unwrap().status, Status::Booked);
/// assert_eq!(ledger.get("physio.20260506T090000").unwrap().cancel_reason.as_deref(), Some("moving away"));
/// ```
///
/// # Errors
/// As [`plan_cancel`].
pub fn cancel_occurrences(
    ledger: &mut Ledger,
    cancel: &SeriesCancel,
    now: Timestamp,
) -> Result<CancelResult> {
    let result = {
        let series = series_bookings(ledger, &cancel.series_id);
        plan_cancel(&series, cancel, now)?
    };
    for c in &result.cancelled {
        ledger.set_status(&c.id, Status::Cancelled, None);
        ledger.set_cancel_reason(&c.id, Some(cancel.reason.clone()));
    }
    Ok(result)
}
