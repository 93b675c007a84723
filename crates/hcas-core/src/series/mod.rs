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

use crate::advice::{AlternativeSearch, Alternatives, alternatives};
use crate::availability::Availability;
use crate::booking::{Booking, Conflict, Ledger, SeriesRef, Status};
use crate::error::{Error, Result};
use crate::recurrence::Recurrence;
use crate::time::{DAY, Minutes, Timestamp};

mod edit;

pub use edit::{
    CancelResult, CancelledOccurrence, EditResult, EditScope, Move, SeriesCancel, SeriesEdit,
    ShiftPlan, Skipped, WallShift, cancel_occurrences, plan_cancel, plan_shift, series_bookings,
    shift_occurrences,
};

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
#[non_exhaustive]
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

impl OccurrenceResult {
    /// The answer for occurrence `id` (`<series>.<YYYYMMDDTHHMMSS>`) with
    /// recurrence id `recurrence_id` over `[start, end)`: free to book when
    /// `ok`, not booked, with no conflicts and no alternatives; add those
    /// with [`OccurrenceResult::with_conflicts`],
    /// [`OccurrenceResult::with_booked`] and
    /// [`OccurrenceResult::with_alternatives`]. Nothing is checked: this
    /// rebuilds an answer the engine gave (e.g. one kept by a binding), as
    /// its serde form does.
    ///
    /// ```
    /// use hcas_core::booking::Conflict;
    /// use hcas_core::series::OccurrenceResult;
    /// let t = |s: &str| s.parse().unwrap();
    /// let o = OccurrenceResult::new(
    ///     "physio.20260324T090000",
    ///     "2026-03-24T09:00:00",
    ///     t("2026-03-24T09:00:00Z"),
    ///     t("2026-03-24T09:45:00Z"),
    ///     false,
    /// )
    /// .with_conflicts(vec![Conflict::new("P1", vec!["b7".into()])]);
    /// assert!(!o.ok && !o.booked);
    /// assert_eq!(o.conflicts[0].resource, "P1");
    /// ```
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        recurrence_id: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
        ok: bool,
    ) -> Self {
        Self {
            id: id.into(),
            recurrence_id: recurrence_id.into(),
            start,
            end,
            ok,
            conflicts: Vec::new(),
            booked: false,
            alternatives: None,
        }
    }

    /// The same answer with `conflicts` as what stands in the way.
    #[must_use]
    pub fn with_conflicts(mut self, conflicts: Vec<Conflict>) -> Self {
        self.conflicts = conflicts;
        self
    }

    /// The same answer, booked by the call that gave it or not.
    #[must_use]
    pub const fn with_booked(mut self, booked: bool) -> Self {
        self.booked = booked;
        self
    }

    /// The same answer with the nearest free starts around it (`None`: none
    /// were searched).
    #[must_use]
    pub fn with_alternatives(mut self, alternatives: Option<Alternatives>) -> Self {
        self.alternatives = alternatives;
        self
    }
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
    /// `search.search_days`.
    ///
    /// # Errors
    /// As [`crate::advice::alternatives`].
    pub fn add_alternatives(
        &self,
        results: &mut [OccurrenceResult],
        ledger: &Ledger,
        availability: &Availability,
        search: &AlternativeSearch,
    ) -> Result<()> {
        for o in results.iter_mut().filter(|o| !o.ok) {
            let request = crate::booking::Request {
                start: o.start,
                end: o.end,
                resources: self.resources.clone(),
            };
            o.alternatives = Some(alternatives(availability, ledger, &request, search)?);
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
