//! Recurring series (`hcas_core::series`): plan and book a series on a
//! [`Ledger`], move (shift) or cancel occurrences of one by scope, and the
//! pure plans of a shift or a cancellation over a list of bookings. Every
//! occurrence id, check and outcome is the core's.

use std::sync::Arc;

use hcas_core::booking::{self as booking_core, SeriesRef as CoreSeriesRef};
use hcas_core::series::{
    self as core, SeriesBookOptions, SeriesCancel, SeriesEdit, SeriesSpec, WallShift,
};
use hcas_core::{Minutes, Timestamp};

use crate::HcasError;
use crate::ledger::{Booking, BookingStatus, Conflict, Ledger, conflicts_from_core};
use crate::lifecycle::{LifecyclePolicy, Party, TransitionOutcome};
use crate::typed::{Recurrence, Zone};

/// What to do when some occurrences of a series conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SeriesPolicy {
    /// Book every occurrence or none.
    AllOrNothing,
    /// Book the free occurrences and report the others.
    BookFree,
}

/// Which occurrences an edit applies to (RFC 5545 `RANGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EditScope {
    /// Only the named occurrence.
    This,
    /// The named occurrence and every later one (`THISANDFUTURE`).
    ThisAndFollowing,
    /// Every occurrence.
    All,
}

impl EditScope {
    /// The engine's scope.
    const fn core(self) -> core::EditScope {
        match self {
            Self::This => core::EditScope::This,
            Self::ThisAndFollowing => core::EditScope::ThisAndFollowing,
            Self::All => core::EditScope::All,
        }
    }
}

/// One occurrence's answer: its id (`<series>.<YYYYMMDDTHHMMSS>`), its
/// recurrence id (original local start), its times, whether it is free
/// (`ok`, else the `conflicts`) and whether this call booked (or moved) it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OccurrenceResult {
    /// The occurrence's booking id.
    pub id: String,
    /// Its `RECURRENCE-ID` (`2026-05-04T09:00:00`, local).
    pub recurrence_id: String,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Free to book.
    pub ok: bool,
    /// What stands in the way (empty when `ok`).
    pub conflicts: Vec<Conflict>,
    /// Whether this call booked or moved it.
    pub booked: bool,
}

impl From<core::OccurrenceResult> for OccurrenceResult {
    fn from(o: core::OccurrenceResult) -> Self {
        Self {
            id: o.id,
            recurrence_id: o.recurrence_id,
            start: o.start,
            end: o.end,
            ok: o.ok,
            conflicts: conflicts_from_core(o.conflicts),
            booked: o.booked,
        }
    }
}

/// Occurrence results from the engine's.
fn occurrences(items: Vec<core::OccurrenceResult>) -> Vec<OccurrenceResult> {
    items.into_iter().map(OccurrenceResult::from).collect()
}

/// The answer for a whole series.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SeriesResult {
    /// Whether anything was booked.
    pub booked: bool,
    /// Every occurrence, in order.
    pub occurrences: Vec<OccurrenceResult>,
}

/// An occurrence in an edit's scope that the edit left alone, and why (the
/// lifecycle's error code and message).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Skipped {
    /// The occurrence's booking id.
    pub id: String,
    /// Its `RECURRENCE-ID`.
    pub recurrence_id: String,
    /// Its status, unchanged.
    pub status: BookingStatus,
    /// Why: the stable code (`invalid_transition`, `not_permitted`, ...).
    pub code: String,
    /// Why: the message.
    pub message: String,
}

/// Skipped occurrences from the engine's.
fn skipped(items: Vec<core::Skipped>) -> Result<Vec<Skipped>, HcasError> {
    items
        .into_iter()
        .map(|s| {
            Ok(Skipped {
                status: BookingStatus::from_core(s.status)?,
                code: s.error.code().as_str().to_string(),
                message: s.error.message().to_string(),
                id: s.id,
                recurrence_id: s.recurrence_id,
            })
        })
        .collect()
}

/// The answer to a shift: `applied` when every occurrence in `occurrences`
/// moved (else nothing changed, and the ones not `ok` say why).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EditResult {
    /// Whether the edit was applied.
    pub applied: bool,
    /// Every occurrence the edit moves (or would move), with its new times.
    pub occurrences: Vec<OccurrenceResult>,
    /// Occurrences in scope the lifecycle does not let change.
    pub skipped: Vec<Skipped>,
}

/// One planned move of a shift.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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

/// What a shift would do, before any conflict check.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ShiftPlan {
    /// The moves, by original start.
    pub moves: Vec<Move>,
    /// Occurrences in scope the lifecycle does not let change.
    pub skipped: Vec<Skipped>,
}

/// One cancelled occurrence.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CancelledOccurrence {
    /// The occurrence's booking id.
    pub id: String,
    /// Its `RECURRENCE-ID`.
    pub recurrence_id: String,
    /// Its status before.
    pub from: BookingStatus,
    /// The lifecycle's outcomes (`Cancelled`, `LateCancellation`, `SlotFreed`).
    pub outcomes: Vec<TransitionOutcome>,
}

/// The answer to a cancellation (or its plan).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CancelResult {
    /// Occurrences cancelled, by start.
    pub cancelled: Vec<CancelledOccurrence>,
    /// Occurrences in scope the lifecycle does not let cancel.
    pub skipped: Vec<Skipped>,
}

impl CancelResult {
    /// The binding's answer for the engine's.
    fn from_core(r: core::CancelResult) -> Result<Self, HcasError> {
        let cancelled = r
            .cancelled
            .into_iter()
            .map(|c| {
                Ok(CancelledOccurrence {
                    from: BookingStatus::from_core(c.from)?,
                    outcomes: c
                        .outcomes
                        .into_iter()
                        .map(TransitionOutcome::from_core)
                        .collect::<Result<_, HcasError>>()?,
                    id: c.id,
                    recurrence_id: c.recurrence_id,
                })
            })
            .collect::<Result<_, HcasError>>()?;
        Ok(Self {
            cancelled,
            skipped: skipped(r.skipped)?,
        })
    }
}

/// The engine's series.
fn spec(
    id: String,
    recurrence: &Recurrence,
    duration_minutes: u32,
    resources: Vec<String>,
    until: Option<Timestamp>,
) -> SeriesSpec {
    let s = SeriesSpec::new(
        id,
        recurrence.0.clone(),
        Minutes::new(i64::from(duration_minutes)),
        resources,
    );
    match until {
        Some(u) => s.until(u),
        None => s,
    }
}

/// The engine's shift edit.
#[allow(clippy::too_many_arguments)]
fn edit(
    series_id: String,
    recurrence_id: String,
    scope: EditScope,
    zone: &Zone,
    shift_days: i64,
    shift_minutes: i64,
    duration_minutes: Option<u32>,
    actor: Party,
    reason: Option<String>,
    policy: Option<LifecyclePolicy>,
) -> SeriesEdit {
    let mut shift = WallShift::days(shift_days);
    shift.minutes = Minutes::new(shift_minutes);
    let mut e = SeriesEdit::new(
        CoreSeriesRef::new(series_id, recurrence_id),
        scope.core(),
        zone.0,
        actor.core(),
    )
    .shift(shift)
    .policy(crate::lifecycle::policy(policy));
    if let Some(d) = duration_minutes {
        e = e.duration(Minutes::new(i64::from(d)));
    }
    if let Some(r) = reason {
        e = e.reason(r);
    }
    e
}

/// The engine's cancellation.
fn cancel(
    series_id: String,
    recurrence_id: String,
    scope: EditScope,
    actor: Party,
    reason: String,
    policy: Option<LifecyclePolicy>,
) -> SeriesCancel {
    SeriesCancel::new(
        CoreSeriesRef::new(series_id, recurrence_id),
        scope.core(),
        actor.core(),
        reason,
    )
    .policy(crate::lifecycle::policy(policy))
}

/// Engine bookings from the binding's (checked).
fn core_bookings(items: Vec<Booking>) -> Result<Vec<booking_core::Booking>, HcasError> {
    items.into_iter().map(Booking::core).collect()
}

/// Plan a shift over the bookings of a series (`bookings`, any order; other
/// bookings are ignored) without conflict checks: which occurrences move,
/// where to, and which the lifecycle skips. See [`Ledger::shift_series`] for
/// the arguments.
///
/// # Errors
/// `invalid_request` for an unknown occurrence; `invalid_duration` for a
/// bad length, shift or policy; the bookings' validation errors.
#[uniffi::export(default(duration_minutes = None, reason = None, policy = None))]
#[allow(clippy::too_many_arguments)]
pub fn plan_series_shift(
    bookings: Vec<Booking>,
    series_id: String,
    recurrence_id: String,
    scope: EditScope,
    zone: Arc<Zone>,
    shift_days: i64,
    shift_minutes: i64,
    actor: Party,
    now: Timestamp,
    duration_minutes: Option<u32>,
    reason: Option<String>,
    policy: Option<LifecyclePolicy>,
) -> Result<ShiftPlan, HcasError> {
    let all = core_bookings(bookings)?;
    let refs: Vec<&booking_core::Booking> = all.iter().collect();
    let e = edit(
        series_id,
        recurrence_id,
        scope,
        &zone,
        shift_days,
        shift_minutes,
        duration_minutes,
        actor,
        reason,
        policy,
    );
    let plan = core::plan_shift(&refs, &e, now)?;
    Ok(ShiftPlan {
        moves: plan
            .moves
            .into_iter()
            .map(|m| Move {
                id: m.id,
                recurrence_id: m.recurrence_id,
                start: m.start,
                end: m.end,
            })
            .collect(),
        skipped: skipped(plan.skipped)?,
    })
}

/// Plan a cancellation over the bookings of a series without changing
/// anything: which occurrences would be cancelled (with their outcomes) and
/// which the lifecycle skips. See [`Ledger::cancel_series`].
///
/// # Errors
/// `invalid_request` for a blank reason or an unknown occurrence;
/// `invalid_duration` for a bad policy; the bookings' validation errors.
#[uniffi::export(default(policy = None))]
#[allow(clippy::too_many_arguments)]
pub fn plan_series_cancel(
    bookings: Vec<Booking>,
    series_id: String,
    recurrence_id: String,
    scope: EditScope,
    actor: Party,
    reason: String,
    now: Timestamp,
    policy: Option<LifecyclePolicy>,
) -> Result<CancelResult, HcasError> {
    let all = core_bookings(bookings)?;
    let refs: Vec<&booking_core::Booking> = all.iter().collect();
    let c = cancel(series_id, recurrence_id, scope, actor, reason, policy);
    CancelResult::from_core(core::plan_cancel(&refs, &c, now)?)
}

#[uniffi::export]
impl Ledger {
    /// Check every occurrence of the series `id` (`durationMinutes` long
    /// occurrences of `recurrence`, each using `resources`; `until` ends an
    /// open-ended rule) against the ledger and the series' own earlier free
    /// occurrences at `now`. Changes nothing.
    ///
    /// # Errors
    /// `invalid_request` for a bad series id or resources; `invalid_duration`;
    /// `invalid_window` / `limit_exceeded` for a series too long.
    #[uniffi::method(default(until = None))]
    pub fn plan_series(
        &self,
        id: String,
        recurrence: Arc<Recurrence>,
        duration_minutes: u32,
        resources: Vec<String>,
        now: Timestamp,
        until: Option<Timestamp>,
    ) -> Result<Vec<OccurrenceResult>, HcasError> {
        let s = spec(id, &recurrence, duration_minutes, resources, until);
        Ok(occurrences(s.plan(&self.lock(), now)?))
    }

    /// Book the series (as [`Ledger::plan_series`] plans it): every
    /// occurrence or none (`AllOrNothing`, the default), or the free ones
    /// (`BookFree`). Each occurrence is a booking `<id>.<YYYYMMDDTHHMMSS>`
    /// carrying its `SeriesRef`.
    ///
    /// # Errors
    /// As [`Ledger::plan_series`]; `invalid_request` for an id already used.
    #[uniffi::method(default(until = None, policy = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn book_series(
        &self,
        id: String,
        recurrence: Arc<Recurrence>,
        duration_minutes: u32,
        resources: Vec<String>,
        now: Timestamp,
        until: Option<Timestamp>,
        policy: Option<SeriesPolicy>,
    ) -> Result<SeriesResult, HcasError> {
        let s = spec(id, &recurrence, duration_minutes, resources, until);
        let mut options = SeriesBookOptions::at(now);
        if policy == Some(SeriesPolicy::BookFree) {
            options = options.policy(core::SeriesPolicy::BookFree);
        }
        let r = s.book(&mut self.lock(), options)?;
        Ok(SeriesResult {
            booked: r.booked,
            occurrences: occurrences(r.occurrences),
        })
    }

    /// The bookings of the series `seriesId`, by start (then id).
    ///
    /// # Errors
    /// Only for a status newer than this binding.
    pub fn series_bookings(&self, series_id: String) -> Result<Vec<Booking>, HcasError> {
        let ledger = self.lock();
        let found: Vec<booking_core::Booking> = core::series_bookings(&ledger, &series_id)
            .into_iter()
            .cloned()
            .collect();
        crate::ledger::bookings_from_core(found)
    }

    /// Move occurrences of the series `seriesId` from the occurrence
    /// `recurrenceId` by `scope`: each by `shiftDays` calendar days then
    /// `shiftMinutes` of wall-clock time in `zone` (a week later keeps 10:00
    /// local across a DST change), optionally to a new length. All or
    /// nothing: `applied` false changes nothing and says which moves conflict.
    ///
    /// # Errors
    /// As [`plan_series_shift`].
    #[uniffi::method(default(duration_minutes = None, reason = None, policy = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn shift_series(
        &self,
        series_id: String,
        recurrence_id: String,
        scope: EditScope,
        zone: Arc<Zone>,
        shift_days: i64,
        shift_minutes: i64,
        actor: Party,
        now: Timestamp,
        duration_minutes: Option<u32>,
        reason: Option<String>,
        policy: Option<LifecyclePolicy>,
    ) -> Result<EditResult, HcasError> {
        let e = edit(
            series_id,
            recurrence_id,
            scope,
            &zone,
            shift_days,
            shift_minutes,
            duration_minutes,
            actor,
            reason,
            policy,
        );
        let r = core::shift_occurrences(&mut self.lock(), &e, now)?;
        Ok(EditResult {
            applied: r.applied,
            occurrences: occurrences(r.occurrences),
            skipped: skipped(r.skipped)?,
        })
    }

    /// Cancel occurrences of the series `seriesId` from `recurrenceId` by
    /// `scope`, for `reason` (recorded on each), as the lifecycle allows each
    /// one; the others are `skipped`.
    ///
    /// # Errors
    /// As [`plan_series_cancel`].
    #[uniffi::method(default(policy = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn cancel_series(
        &self,
        series_id: String,
        recurrence_id: String,
        scope: EditScope,
        actor: Party,
        reason: String,
        now: Timestamp,
        policy: Option<LifecyclePolicy>,
    ) -> Result<CancelResult, HcasError> {
        let c = cancel(series_id, recurrence_id, scope, actor, reason, policy);
        CancelResult::from_core(core::cancel_occurrences(&mut self.lock(), &c, now)?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn book_shift_and_cancel_a_series_across_bst() {
        let london = Zone::new("Europe/London".into()).unwrap();
        // Tuesdays 10:00 London from 17 March 2026, three times: 17 and 24
        // March are GMT (10:00Z); 31 March is BST (09:00Z).
        let rec = Recurrence::new(
            "FREQ=WEEKLY;COUNT=3".into(),
            "2026-03-17T10:00".into(),
            london.clone(),
        )
        .unwrap();
        let ledger = Ledger::new();
        let now = t("2026-03-01T00:00:00Z");
        let res = vec!["provider:P1".to_string()];
        let done = ledger
            .book_series(
                "physio".into(),
                rec.clone(),
                30,
                res.clone(),
                now,
                None,
                None,
            )
            .unwrap();
        assert!(done.booked);
        let got: Vec<_> = done
            .occurrences
            .iter()
            .map(|o| {
                (
                    o.id.as_str(),
                    o.recurrence_id.as_str(),
                    o.start,
                    o.ok,
                    o.booked,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "physio.20260317T100000",
                    "2026-03-17T10:00:00",
                    t("2026-03-17T10:00:00Z"),
                    true,
                    true
                ),
                (
                    "physio.20260324T100000",
                    "2026-03-24T10:00:00",
                    t("2026-03-24T10:00:00Z"),
                    true,
                    true
                ),
                (
                    "physio.20260331T100000",
                    "2026-03-31T10:00:00",
                    t("2026-03-31T09:00:00Z"),
                    true,
                    true
                ),
            ]
        );
        assert_eq!(ledger.series_bookings("physio".into()).unwrap().len(), 3);
        // Planning it again: every occurrence now conflicts with itself.
        let again = ledger
            .plan_series("physio".into(), rec, 30, res, now, None)
            .unwrap();
        assert!(again.iter().all(|o| !o.ok && !o.booked));
        assert_eq!(
            again[0].conflicts,
            [Conflict {
                resource: "provider:P1".into(),
                bookings: vec!["physio.20260317T100000".into()]
            }]
        );
        // A week later from the 24th on: the 24th goes to the 31st (BST,
        // 09:00Z) and the 31st to 7 April (09:00Z).
        let shifted = ledger
            .shift_series(
                "physio".into(),
                "2026-03-24T10:00:00".into(),
                EditScope::ThisAndFollowing,
                london.clone(),
                7,
                0,
                Party::Staff,
                now,
                None,
                None,
                None,
            )
            .unwrap();
        assert!(shifted.applied, "{shifted:?}");
        let starts: Vec<_> = shifted.occurrences.iter().map(|o| o.start).collect();
        assert_eq!(
            starts,
            [t("2026-03-31T09:00:00Z"), t("2026-04-07T09:00:00Z")]
        );
        let b = ledger
            .get("physio.20260324T100000".into())
            .unwrap()
            .unwrap();
        assert_eq!(b.start, t("2026-03-31T09:00:00Z"));
        // Cancel only the 17th, two weeks ahead: not late.
        let cancelled = ledger
            .cancel_series(
                "physio".into(),
                "2026-03-17T10:00:00".into(),
                EditScope::This,
                Party::Patient,
                "away".into(),
                now,
                None,
            )
            .unwrap();
        assert_eq!(
            cancelled.cancelled,
            [CancelledOccurrence {
                id: "physio.20260317T100000".into(),
                recurrence_id: "2026-03-17T10:00:00".into(),
                from: BookingStatus::Booked,
                outcomes: vec![TransitionOutcome::Cancelled, TransitionOutcome::SlotFreed],
            }]
        );
        assert!(cancelled.skipped.is_empty());
        // The pure plans over the bookings: the cancelled one is skipped now.
        let all = ledger.series_bookings("physio".into()).unwrap();
        let plan = plan_series_cancel(
            all.clone(),
            "physio".into(),
            "2026-03-17T10:00:00".into(),
            EditScope::All,
            Party::Patient,
            "moving".into(),
            now,
            None,
        )
        .unwrap();
        assert_eq!(plan.cancelled.len(), 2);
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(plan.skipped[0].code, "invalid_transition");
        let e = plan_series_cancel(
            all.clone(),
            "physio".into(),
            "2026-03-17T10:00:00".into(),
            EditScope::All,
            Party::Patient,
            " ".into(),
            now,
            None,
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_request");
        let moves = plan_series_shift(
            all,
            "physio".into(),
            "2026-03-24T10:00:00".into(),
            EditScope::This,
            london,
            0,
            60,
            Party::Staff,
            now,
            None,
            None,
            None,
        )
        .unwrap();
        // The 24th's occurrence now sits at 31 March 10:00 BST; an hour later is 10:00Z.
        assert_eq!(
            moves.moves,
            [Move {
                id: "physio.20260324T100000".into(),
                recurrence_id: "2026-03-24T10:00:00".into(),
                start: t("2026-03-31T10:00:00Z"),
                end: t("2026-03-31T10:30:00Z"),
            }]
        );
    }
}
