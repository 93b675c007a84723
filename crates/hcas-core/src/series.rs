//! Recurring series of appointments: every occurrence checked, per-occurrence
//! answers, two booking policies, and RFC 5545 style edits (one occurrence,
//! this-and-following, all).
//!
//! A series is an RRULE from a local `DTSTART` in a zone, a duration and the
//! resources each occurrence uses. Occurrences are the recurrence's instants
//! (DST-correct, see [`Recurrence`]); each is identified by its original local
//! start, its RFC 5545 `RECURRENCE-ID`, which stays its id when it is moved.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::advice::{Alternatives, alternatives};
use crate::availability::Availability;
use crate::booking::{BookOutcome, Booking, Conflict, Ledger, SeriesRef, Status};
use crate::error::{Error, Result};
use crate::recurrence::Recurrence;
use crate::time::{DAY, Instant, MINUTE};

/// Longest a series may run when its rule has neither COUNT nor UNTIL and no
/// end is given: the same 400 days as a slot query.
pub const OPEN_SERIES_DAYS: i64 = 400;
/// Most occurrences one series may have.
pub const MAX_SERIES_OCCURRENCES: usize = 1000;

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
pub struct SeriesSpec {
    /// Series id; occurrence ids are `<id>@<YYYYMMDDTHHMMSS>` of their recurrence id.
    pub id: String,
    /// The recurrence (rule, local DTSTART, zone, EXDATEs).
    pub recurrence: Recurrence,
    /// Length of each occurrence, minutes.
    pub duration: i64,
    /// Resources every occurrence uses.
    pub resources: Vec<String>,
    /// End of an open-ended rule (exclusive); required when the rule has no COUNT/UNTIL.
    pub until: Option<Instant>,
}

/// One occurrence's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceResult {
    /// The occurrence id (`<series>@<recurrence id>`).
    pub id: String,
    /// The original local start (`RECURRENCE-ID`).
    pub recurrence_id: String,
    /// Start instant.
    pub start: Instant,
    /// End instant.
    pub end: Instant,
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
pub struct SeriesResult {
    /// Whether anything was booked.
    pub booked: bool,
    /// Every occurrence, in order.
    pub occurrences: Vec<OccurrenceResult>,
}

fn recurrence_id(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl SeriesSpec {
    /// Validate and list the occurrences: (recurrence id, start, end).
    ///
    /// # Errors
    /// `invalid_duration` for a non-positive duration; `invalid_request` for an
    /// open-ended rule without `until`, or more than [`MAX_SERIES_OCCURRENCES`].
    pub fn occurrences(&self) -> Result<Vec<(NaiveDateTime, Instant, Instant)>> {
        if self.duration <= 0 || self.duration > OPEN_SERIES_DAYS * 24 * 60 {
            return Err(Error::duration(format!(
                "series duration must be a positive number of minutes, got {}",
                self.duration
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
            match t.plus_minutes(self.duration) {
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
        let ex = self.recurrence.exdates_local();
        out.retain(|(l, _, _)| ex.binary_search(&l.and_utc().timestamp()).is_err());
        out.sort_by_key(|o| o.1);
        out.dedup_by_key(|o| o.1);
        Ok(out)
    }

    /// Check every occurrence against `ledger` and against the series' own
    /// earlier free occurrences (a series must not double-book itself).
    ///
    /// # Errors
    /// As [`SeriesSpec::occurrences`].
    pub fn plan(&self, ledger: &Ledger, now: Instant) -> Result<Vec<OccurrenceResult>> {
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
                accepted.push(Booking::new(
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

    /// Fill in, for every conflicting occurrence, up to `n` free starts before
    /// and after it inside `availability`'s working windows (the provider's),
    /// free in `ledger` for all the series' resources, within `search_days`.
    ///
    /// # Errors
    /// As [`crate::advice::alternatives`].
    pub fn add_alternatives(
        &self,
        results: &mut [OccurrenceResult],
        ledger: &Ledger,
        availability: &Availability,
        now: Instant,
        n: usize,
        search_days: i64,
    ) -> Result<()> {
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
    /// `local` (`<series id>@<YYYYMMDDTHHMMSS>`), as [`SeriesSpec::book`] names it.
    #[must_use]
    pub fn occurrence_id(&self, local: NaiveDateTime) -> String {
        format!("{}.{}", self.id, local.format("%Y%m%dT%H%M%S"))
    }

    /// Plan, then book by `policy`: all-or-nothing books every occurrence or
    /// none; book-free books the free ones. Checks and inserts happen in one
    /// call on one `&mut Ledger`, so nothing can slip in between.
    ///
    /// # Errors
    /// As [`SeriesSpec::occurrences`]; `invalid_request` for an id already used.
    pub fn book(
        &self,
        ledger: &mut Ledger,
        policy: SeriesPolicy,
        now: Instant,
    ) -> Result<SeriesResult> {
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
            let mut b = Booking::new(
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

/// The bookings of a series in the ledger, by start.
#[must_use]
pub fn series_bookings<'a>(ledger: &'a Ledger, series_id: &str) -> Vec<&'a Booking> {
    let mut v: Vec<&Booking> = ledger
        .bookings()
        .filter(|b| b.series.as_ref().is_some_and(|s| s.id == series_id))
        .collect();
    v.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    v
}

/// The live occurrences of a series an edit applies to: the one with
/// `recurrence_id`, it and every later one, or all of them.
fn select(
    ledger: &Ledger,
    series_id: &str,
    recurrence_id: &str,
    scope: EditScope,
) -> Result<Vec<Booking>> {
    let is_pivot = |b: &Booking| {
        b.series
            .as_ref()
            .is_some_and(|s| s.recurrence_id == recurrence_id)
    };
    let all = series_bookings(ledger, series_id);
    let pivot_start = all
        .iter()
        .find(|b| is_pivot(b))
        .ok_or_else(|| {
            Error::request(format!(
                "series {series_id} has no occurrence {recurrence_id}"
            ))
        })?
        .start;
    Ok(all
        .into_iter()
        .filter(|b| b.status.occupies() || b.status == Status::Proposed)
        .filter(|b| match scope {
            EditScope::This => is_pivot(b),
            EditScope::ThisAndFollowing => b.start >= pivot_start,
            EditScope::All => true,
        })
        .cloned()
        .collect())
}

/// Move occurrences of a series by `shift` minutes (and to `duration` minutes
/// when given): one occurrence, this and following, or all. Every moved
/// occurrence is checked first, against everything but the series' own moved
/// occurrences; if any would conflict nothing moves and the conflicts are
/// returned per occurrence.
///
/// # Errors
/// `invalid_request` for an unknown series or occurrence.
pub fn shift_occurrences(
    ledger: &mut Ledger,
    series_id: &str,
    recurrence_id: &str,
    scope: EditScope,
    shift: i64,
    duration: Option<i64>,
    now: Instant,
) -> Result<Vec<OccurrenceResult>> {
    let chosen = select(ledger, series_id, recurrence_id, scope)?;
    if let Some(d) = duration
        && d <= 0
    {
        return Err(Error::duration(format!(
            "duration must be positive, got {d}"
        )));
    }
    // Check all moves against the ledger without the moved bookings themselves.
    let mut scratch = ledger.clone();
    for b in &chosen {
        scratch.remove(&b.id);
    }
    let mut results = Vec::with_capacity(chosen.len());
    let mut moved: Vec<Booking> = Vec::with_capacity(chosen.len());
    for b in &chosen {
        let start = b.start.plus_minutes(shift)?;
        let len = duration.unwrap_or((b.end.unix() - b.start.unix()) / MINUTE);
        let end = start.plus_minutes(len)?;
        let mut nb = b.clone();
        nb.start = start;
        nb.end = end;
        let outcome = scratch.book(nb.clone(), now, None)?;
        let (ok, conflicts) = match outcome {
            BookOutcome::Conflict(c) => (false, c),
            _ => (true, Vec::new()),
        };
        results.push(OccurrenceResult {
            id: b.id.clone(),
            recurrence_id: b
                .series
                .as_ref()
                .map_or_else(String::new, |s| s.recurrence_id.clone()),
            start,
            end,
            ok,
            conflicts,
            booked: false,
            alternatives: None,
        });
        moved.push(nb);
    }
    if results.iter().all(|r| r.ok) {
        for nb in moved {
            ledger.move_booking(&nb.id.clone(), nb.start, nb.end, now)?;
        }
        for r in &mut results {
            r.booked = true;
        }
    }
    Ok(results)
}

/// Cancel occurrences of a series (one, this and following, or all) with a reason.
/// Returns the ids cancelled.
///
/// # Errors
/// `invalid_request` for an unknown series or occurrence, or an empty reason.
pub fn cancel_occurrences(
    ledger: &mut Ledger,
    series_id: &str,
    recurrence_id: &str,
    scope: EditScope,
    reason: &str,
) -> Result<Vec<String>> {
    if reason.trim().is_empty() {
        return Err(Error::request("a cancellation needs a reason"));
    }
    let ids: Vec<String> = select(ledger, series_id, recurrence_id, scope)?
        .into_iter()
        .map(|b| b.id)
        .collect();
    for id in &ids {
        ledger.set_status(id, Status::Cancelled, None);
        ledger.set_cancel_reason(id, Some(reason.to_string()));
    }
    Ok(ids)
}
