//! Editing a booked series: RFC 5545 ranges (one occurrence, this and
//! following, all), wall-clock shifts and cancellations through the lifecycle.

use serde::{Deserialize, Serialize};

use super::{MAX_SHIFT_DAYS, OPEN_SERIES_DAYS, OccurrenceResult};
use crate::booking::{Booking, Ledger, SeriesRef, Status};
use crate::error::{Error, ErrorCode, Result};
use crate::lifecycle::{self, LifecyclePolicy, Outcome, Party, TransitionRequest};
use crate::time::{Minutes, Timestamp};
use crate::zone::Zone;

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
