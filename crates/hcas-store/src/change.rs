//! The one home of what a booking change decides, for every adapter.
//!
//! A status change, a reschedule and a re-anchoring are each the same
//! decision in every adapter: load the booking, check the expected version,
//! ask the core ([`hcas_core::lifecycle`], the [`Ledger`],
//! [`hcas_core::anchor`]), and build the booking after the change, its
//! history entry and its outbox event. Only the persistence differs (a
//! mutex around a ledger, one SQLite transaction, PostgreSQL advisory locks
//! and retries). So an adapter loads, hands what it read to a plan here
//! ([`StatusPlan`], [`ReschedulePlan`], [`reanchor_plan`]), lets the plan
//! check a ledger it read under its locks, and writes what the plan says;
//! no adapter decides anything of its own.
//!
//! The event payloads (a booking plus its `transition` object) and their
//! reading back as a history ([`history_from_events`]) live here too, so
//! what is written and what is read are one format.

use hcas_core::anchor;
use hcas_core::booking::{BookOutcome, Booking, Ledger, Status};
use hcas_core::lifecycle::{
    self, LifecyclePolicy, Outcome, Party, TransitionRequest, Transitioned,
};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use hcas_core::series::{SeriesEdit, plan_shift};
use hcas_core::{Error, ErrorCode, Timestamp};
use serde::{Deserialize, Serialize};

use crate::records::StatusChange;
use crate::{Rescheduled, StatusChanged, StoreError, Stored, kind};

/// Refuse `booking` if it would conflict on `ledger` at `now`, not counting
/// the booking `exclude` itself (the one being changed): the core's
/// [`Ledger::check_excluding`], answered as [`StoreError::Conflict`].
pub(crate) fn check_free(
    ledger: &Ledger,
    booking: &Booking,
    now: Timestamp,
    exclude: &str,
) -> Result<(), StoreError> {
    let check = ledger.check_excluding(&booking.request(), now, Some(exclude))?;
    if check.ok {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            conflicts: check.conflicts,
        })
    }
}

/// A status change the core allowed, ready to be written: what
/// [`crate::AppointmentStore::set_status`] writes in every adapter.
///
/// The adapter loads the booking under its write lock, builds the plan with
/// [`StatusPlan::new`], and if [`StatusPlan::recheck`] is set reads a ledger
/// of what overlaps [`StatusPlan::booking`] and calls [`StatusPlan::check`].
/// Then it writes `booking` at [`StatusPlan::version`] and one event of
/// `kind` with `payload`, and answers [`StatusPlan::done`].
#[derive(Debug)]
pub(crate) struct StatusPlan {
    /// The booking before the change, at the expected version.
    pub(crate) before: Stored<Booking>,
    /// The booking after the change.
    pub(crate) booking: Booking,
    /// Whether the change makes the booking occupy its resources when it did
    /// not at `now` (`proposed`/`waitlist` to `pending`/`booked`): the
    /// adapter must [`StatusPlan::check`] conflicts before writing.
    pub(crate) recheck: bool,
    /// The outbox event's kind ([`kind::for_status`]).
    pub(crate) kind: &'static str,
    /// The outbox event's payload: the booking after the change and its
    /// `transition` ([`change_payload`]).
    pub(crate) payload: serde_json::Value,
    transition: Transitioned,
    now: Timestamp,
}

impl StatusPlan {
    /// Decide `change` on booking `id` as `found` by the adapter:
    /// [`StoreError::NotFound`] if there is none, [`StoreError::VersionMismatch`]
    /// unless it is at `expected`, then the core's lifecycle under `policy`
    /// ([`decide`]).
    pub(crate) fn new(
        id: &str,
        found: Option<Stored<Booking>>,
        expected: i64,
        change: &TransitionRequest,
        policy: &LifecyclePolicy,
    ) -> Result<Self, StoreError> {
        let before = at_version(id, found, expected)?;
        let decided = decide(&before.value, change, policy)?;
        let payload = change_payload(&decided.booking, &decided.transition, change);
        Ok(Self {
            kind: kind::for_status(decided.booking.status),
            booking: decided.booking,
            recheck: decided.recheck,
            payload,
            transition: decided.transition,
            now: change.now,
            before,
        })
    }

    /// The booking's id.
    pub(crate) fn id(&self) -> &str {
        &self.before.value.id
    }

    /// The version the change writes (the expected one + 1).
    pub(crate) const fn version(&self) -> i64 {
        self.before.version + 1
    }

    /// Refuse the change if the booking after it conflicts on `ledger` (what
    /// overlaps it, read under the adapter's locks), itself not counted.
    pub(crate) fn check(&self, ledger: &Ledger) -> Result<(), StoreError> {
        check_free(ledger, &self.booking, self.now, self.id())
    }

    /// The answer once written.
    pub(crate) fn done(self) -> StatusChanged {
        StatusChanged {
            booking: Stored {
                version: self.version(),
                value: self.booking,
            },
            transition: self.transition,
        }
    }
}

/// A reschedule the core allowed so far: the cancellation of the old
/// booking is decided; [`ReschedulePlan::apply`] books the replacement. What
/// [`crate::AppointmentStore::reschedule`] writes in every adapter.
///
/// The adapter calls [`ReschedulePlan::precheck`] before it opens a
/// transaction, builds the plan with [`ReschedulePlan::new`] from the booking
/// it loaded under its locks, refuses a replacement id already used
/// ([`id_used`]), reads a ledger of what overlaps the replacement and calls
/// [`ReschedulePlan::apply`]. Then it writes the replacement (version 1, an
/// `appointment.created` event), the old booking as `apply` left it (at
/// [`ReschedulePlan::version`], an `appointment.cancelled` event with
/// [`ReschedulePlan::payload`]), and answers [`ReschedulePlan::done`].
#[derive(Debug)]
pub(crate) struct ReschedulePlan {
    /// The old booking, at the expected version.
    pub(crate) before: Stored<Booking>,
    /// The cancellation of the old booking, as a lifecycle request.
    pub(crate) cancel: TransitionRequest,
    transition: Transitioned,
}

impl ReschedulePlan {
    /// What refuses a replacement before anything is read: its wall-time
    /// anchor must match its instants ([`hcas_core::anchor::check`]).
    pub(crate) fn precheck(new: &Booking) -> Result<(), StoreError> {
        Ok(anchor::check(new)?)
    }

    /// The cancellation of the old booking by `actor` with `reason` at `now`.
    pub(crate) fn cancel_request(actor: Party, reason: &str, now: Timestamp) -> TransitionRequest {
        TransitionRequest::new(Status::Cancelled, actor, now).reason(reason.to_string())
    }

    /// Decide the cancellation `cancel` of booking `id` as `found` by the
    /// adapter: not found, version mismatch, then the core's lifecycle.
    pub(crate) fn new(
        id: &str,
        found: Option<Stored<Booking>>,
        expected: i64,
        cancel: &TransitionRequest,
        policy: &LifecyclePolicy,
    ) -> Result<Self, StoreError> {
        let before = at_version(id, found, expected)?;
        let decided = decide(&before.value, cancel, policy)?;
        Ok(Self {
            before,
            cancel: cancel.clone(),
            transition: decided.transition,
        })
    }

    /// Let the core book `new` as the replacement on `ledger` (which holds at
    /// least what overlaps `new`; the old booking is added if it does not,
    /// and is left out of the check) and cancel the old booking
    /// ([`Ledger::reschedule`]). Answers the old booking after the change and
    /// the new one; on a conflict the ledger is unchanged.
    pub(crate) fn apply(
        &self,
        ledger: &mut Ledger,
        new: Booking,
    ) -> Result<(Booking, Booking), StoreError> {
        let id = self.before.value.id.as_str();
        if ledger.get(id).is_none() {
            ledger.insert(self.before.value.clone()).map_err(|e| {
                StoreError::Internal(format!("corrupt booking in the database: {e}"))
            })?;
        }
        let reason = self.cancel.reason.as_deref().unwrap_or_default();
        let new = match ledger.reschedule(
            id,
            new,
            hcas_core::booking::RescheduleOptions::new(self.cancel.now, reason),
        )? {
            BookOutcome::Booked(new) => new,
            BookOutcome::Conflict(conflicts) => return Err(StoreError::Conflict { conflicts }),
            BookOutcome::Existing(_) => {
                return Err(StoreError::Internal(
                    "reschedule answered with an existing booking".to_string(),
                ));
            }
        };
        let old = ledger
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::Internal(format!("booking {id} lost")))?;
        Ok((old, new))
    }

    /// The version the old booking is written at (the expected one + 1).
    pub(crate) const fn version(&self) -> i64 {
        self.before.version + 1
    }

    /// The payload of the old booking's `appointment.cancelled` event.
    pub(crate) fn payload(&self, old: &Booking) -> serde_json::Value {
        change_payload(old, &self.transition, &self.cancel)
    }

    /// The answer once written.
    pub(crate) fn done(self, old: Booking, new: Booking) -> Rescheduled {
        Rescheduled {
            old: Stored {
                version: self.version(),
                value: old,
            },
            new: Stored {
                value: new,
                version: 1,
            },
            transition: self.transition,
        }
    }
}

/// What re-anchoring `cur` at `now` writes: `None` when it is on its wall
/// time already. The adapter then checks the moved booking ([`check_free`])
/// and writes it at the next version with an `appointment.reanchored` event.
///
/// # Errors
/// `Invalid` when it cannot be re-anchored (see [`crate::AnchorStore::reanchor`]).
pub(crate) fn reanchor_plan(cur: &Booking, now: Timestamp) -> Result<Option<Booking>, StoreError> {
    let moved = anchor::reanchored(cur)?;
    if !anchor::due(cur, now) {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "booking {} is not a future booking that still blocks at {now}; \
                 only those are re-anchored",
                cur.id
            ),
        )
        .into());
    }
    Ok((moved.start != cur.start || moved.end != cur.end).then_some(moved))
}

/// Where the moves of a series shift land, from the series' bookings and
/// the core's plan ([`hcas_core::series::plan_shift`]): the moved
/// occurrences' resources (sorted, deduplicated) and the span of their new
/// times. `None` when nothing moves. An SQL adapter reads the ledger of that
/// window, adds the series ([`with_series`]) and lets the core shift.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn shift_window(
    series: &[Stored<Booking>],
    edit: &SeriesEdit,
    now: Timestamp,
) -> Result<Option<(Vec<String>, Timestamp, Timestamp)>, StoreError> {
    let refs: Vec<&Booking> = series.iter().map(|s| &s.value).collect();
    let plan = plan_shift(&refs, edit, now)?;
    let (Some(start), Some(end)) = (
        plan.moves.iter().map(|m| m.start).min(),
        plan.moves.iter().map(|m| m.end).max(),
    ) else {
        return Ok(None);
    };
    let mut resources: Vec<String> = series
        .iter()
        .filter(|s| plan.moves.iter().any(|m| m.id == s.value.id))
        .flat_map(|s| s.value.resources.iter().cloned())
        .collect();
    resources.sort_unstable();
    resources.dedup();
    Ok(Some((resources, start, end)))
}

/// Add the series' own bookings to `ledger` (read for a window), those it
/// does not hold yet: the core decides a series edit on all of them.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn with_series(
    ledger: &mut Ledger,
    series: &[Stored<Booking>],
) -> Result<(), StoreError> {
    for s in series {
        if ledger.get(&s.value.id).is_none() {
            ledger.insert(s.value.clone()).map_err(|e| {
                StoreError::Internal(format!("corrupt booking in the database: {e}"))
            })?;
        }
    }
    Ok(())
}

/// The bookings of the occurrences the core marked `booked` in `occurrences`
/// (a series booking or a shift), as they now stand in `ledger`.
pub(crate) fn booked_occurrences<'a>(
    ledger: &'a Ledger,
    occurrences: &[hcas_core::series::OccurrenceResult],
) -> Result<Vec<&'a Booking>, StoreError> {
    booked(
        ledger,
        occurrences
            .iter()
            .filter(|o| o.booked)
            .map(|o| o.id.as_str()),
    )
}

/// The bookings the core booked or moved (`ids`, in order), as it left them
/// on `ledger`: what the adapter writes.
pub(crate) fn booked<'a, 'b>(
    ledger: &'a Ledger,
    ids: impl IntoIterator<Item = &'b str>,
) -> Result<Vec<&'a Booking>, StoreError> {
    ids.into_iter()
        .map(|id| {
            ledger
                .get(id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {id} lost")))
        })
        .collect()
}

/// The `transition` object of an `appointment.*` event's payload: what the
/// lifecycle decided and who asked, beside the booking after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct EventTransition {
    from: hcas_core::booking::Status,
    to: hcas_core::booking::Status,
    actor: Party,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default)]
    outcomes: Vec<Outcome>,
}

/// A status change the lifecycle allowed, ready to be written.
#[derive(Debug)]
struct Decided {
    /// The booking after the change.
    booking: Booking,
    /// The lifecycle's answer.
    transition: Transitioned,
    /// Whether the change makes the booking occupy its resources when it did
    /// not at `now` (`proposed`/`waitlist` to `pending`/`booked`): the store
    /// must check conflicts before writing.
    recheck: bool,
}

/// A reason as recorded: a blank one counts as none.
fn given(reason: Option<&str>) -> Option<String> {
    reason.filter(|r| !r.trim().is_empty()).map(str::to_string)
}

/// Decide `change` on the stored booking `cur` with the core's lifecycle
/// ([`hcas_core::lifecycle::transition`] under `policy`), and build the
/// booking after it as [`hcas_core::lifecycle::apply`] records it: the new
/// status, no hold expiry, and for `cancelled` / `entered-in-error` the
/// reason as `cancel_reason`. No rule of the store's own.
fn decide(
    cur: &Booking,
    change: &TransitionRequest,
    policy: &LifecyclePolicy,
) -> Result<Decided, crate::StoreError> {
    let transition = lifecycle::transition(cur, change, policy)?;
    let mut booking = cur.clone();
    booking.status = transition.to;
    booking.hold_expires = None;
    if matches!(
        transition.to,
        hcas_core::booking::Status::Cancelled | hcas_core::booking::Status::EnteredInError
    ) {
        booking.cancel_reason = given(change.reason.as_deref());
    }
    booking.validate()?;
    let recheck = transition.to.occupies() && !cur.blocks(change.now);
    Ok(Decided {
        booking,
        transition,
        recheck,
    })
}

/// The payload of the event of a status change: the booking after it plus
/// `transition` (from, to, actor, reason, outcomes). Serialising these types
/// cannot fail (string keys only), so this is infallible, like every payload.
pub(crate) fn change_payload(
    booking: &Booking,
    transition: &Transitioned,
    change: &TransitionRequest,
) -> serde_json::Value {
    let mut payload = serde_json::to_value(booking).unwrap_or_default();
    let record = EventTransition {
        from: transition.from,
        to: transition.to,
        actor: change.actor,
        reason: given(change.reason.as_deref()),
        outcomes: transition.outcomes.clone(),
    };
    if let (Some(map), Ok(record)) = (payload.as_object_mut(), serde_json::to_value(record)) {
        map.insert("transition".to_string(), record);
    }
    payload
}

/// The event payload of an occurrence cancelled by a series edit: the
/// booking after the change and the same `transition` object a single status
/// change writes (from, to, the edit's actor and reason, the lifecycle's
/// outcomes), so `history` says who cancelled it and why.
pub(crate) fn series_cancel_payload(
    booking: &Booking,
    cancelled: &hcas_core::series::CancelledOccurrence,
    cancel: &hcas_core::series::SeriesCancel,
) -> serde_json::Value {
    let mut payload = serde_json::to_value(booking).unwrap_or_default();
    let record = EventTransition {
        from: cancelled.from,
        to: booking.status,
        actor: cancel.actor,
        reason: given(Some(cancel.reason.as_str())),
        outcomes: cancelled.outcomes.clone(),
    };
    if let (Some(map), Ok(record)) = (payload.as_object_mut(), serde_json::to_value(record)) {
        map.insert("transition".to_string(), record);
    }
    payload
}

/// A booking's history from its `appointment.*` outbox events (kind,
/// payload = the booking after the change with its `transition` if any,
/// created), oldest first: each change wrote exactly one event, so the n-th
/// event is version n. Events without `transition` (creations, and changes
/// written before the store recorded it) read with no from, actor or reason.
pub(crate) fn history_from_events<'a>(
    events: impl Iterator<Item = (&'a str, &'a serde_json::Value, Timestamp)>,
) -> Result<Vec<StatusChange>, crate::StoreError> {
    let corrupt = |kind: &str, what: &str| {
        crate::StoreError::Internal(format!("corrupt outbox event: {kind} {what}"))
    };
    let mut out = Vec::new();
    for (i, (kind, payload, at)) in events.enumerate() {
        let status = payload
            .get("status")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| corrupt(kind, "without a status"))?;
        let transition: Option<EventTransition> = payload
            .get("transition")
            .map(|t| serde_json::from_value(t.clone()))
            .transpose()
            .map_err(|e| corrupt(kind, &format!("with an unreadable transition: {e}")))?;
        let (from, actor, reason, outcomes) = match transition {
            Some(t) => (Some(t.from), Some(t.actor), t.reason, t.outcomes),
            None => (None, None, None, Vec::new()),
        };
        out.push(StatusChange {
            version: i64::try_from(i).unwrap_or(i64::MAX - 1) + 1,
            status,
            at,
            kind: kind.to_string(),
            from,
            actor,
            reason,
            outcomes,
        });
    }
    Ok(out)
}

/// The error for a booking id that is already used (the same words in every adapter).
pub(crate) fn id_used(id: &str) -> Error {
    Error::new(
        ErrorCode::InvalidRequest,
        format!("booking id {id} is already used"),
    )
}

/// A booking read for a change at `expected` version: `NotFound` when there
/// is none, `VersionMismatch` when someone changed it first.
pub(crate) fn at_version(
    id: &str,
    found: Option<crate::Stored<hcas_core::booking::Booking>>,
    expected: i64,
) -> Result<crate::Stored<hcas_core::booking::Booking>, crate::StoreError> {
    let cur = found.ok_or_else(|| crate::StoreError::NotFound {
        what: "booking",
        id: id.to_string(),
    })?;
    if cur.version != expected {
        return Err(crate::StoreError::VersionMismatch {
            id: id.to_string(),
            expected,
            found: cur.version,
        });
    }
    Ok(cur)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn payload(status: &str, transition: Option<serde_json::Value>) -> serde_json::Value {
        let mut p = serde_json::json!({
            "id": "a1", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T09:30:00Z",
            "status": status, "resources": ["provider:P1"]
        });
        if let Some(t) = transition {
            p["transition"] = t;
        }
        p
    }

    /// Events written before the store recorded transitions (a bare booking)
    /// still read, with no from, actor, reason or outcomes; new ones read in full.
    #[test]
    fn history_reads_old_and_new_events() {
        let at: Timestamp = "2026-05-04T08:00:00Z".parse().unwrap();
        let old = payload("cancelled", None);
        let new = payload(
            "entered-in-error",
            Some(serde_json::json!({
                "from": "cancelled", "to": "entered-in-error", "actor": "staff",
                "reason": "duplicate", "outcomes": []
            })),
        );
        let events = [
            ("appointment.cancelled", &old, at),
            ("appointment.updated", &new, at),
        ];
        let h = history_from_events(events.into_iter()).unwrap();
        assert_eq!(
            (
                h[0].version,
                h[0].status,
                h[0].from,
                h[0].actor,
                &h[0].reason
            ),
            (1, Status::Cancelled, None, None, &None)
        );
        assert!(h[0].outcomes.is_empty());
        assert_eq!(
            (h[1].version, h[1].from, h[1].actor, h[1].reason.as_deref()),
            (
                2,
                Some(Status::Cancelled),
                Some(Party::Staff),
                Some("duplicate")
            )
        );
        // A transition that does not read is corrupt data, not a silent gap.
        let bad = payload("booked", Some(serde_json::json!({"from": "nowhere"})));
        let err = history_from_events([("appointment.updated", &bad, at)].into_iter()).unwrap_err();
        assert_eq!(err.code(), "internal");
    }

    /// What `change_payload` writes is what `history_from_events` reads.
    #[test]
    fn change_payload_round_trips() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let b = Booking::new(
            "a1",
            vec!["provider:P1".into()],
            hcas_core::Interval::new(t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z")).unwrap(),
        );
        let change =
            TransitionRequest::new(Status::Cancelled, Party::Patient, t("2026-05-04T08:00:00Z"))
                .reason("ill");
        let d = decide(&b, &change, &LifecyclePolicy::default()).unwrap();
        assert_eq!(d.booking.cancel_reason.as_deref(), Some("ill"));
        assert!(!d.recheck);
        let p = change_payload(&d.booking, &d.transition, &change);
        let back: Booking = serde_json::from_value(p.clone()).unwrap();
        assert_eq!(back, d.booking);
        let h =
            history_from_events([("appointment.cancelled", &p, change.now)].into_iter()).unwrap();
        assert_eq!(
            (
                h[0].from,
                h[0].actor,
                h[0].reason.as_deref(),
                &h[0].outcomes
            ),
            (
                Some(Status::Booked),
                Some(Party::Patient),
                Some("ill"),
                &d.transition.outcomes
            )
        );
        assert!(h[0].outcomes.contains(&Outcome::LateCancellation {
            minutes_before_start: hcas_core::Minutes::new(60)
        }));
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn booking(id: &str, status: Status, from: &str, to: &str) -> Booking {
        Booking::new(
            id,
            vec!["provider:P1".into()],
            hcas_core::Interval::new(
                t(&format!("2026-05-04T{from}:00Z")),
                t(&format!("2026-05-04T{to}:00Z")),
            )
            .unwrap(),
        )
        .status(status)
    }

    fn stored(b: Booking, version: i64) -> Option<Stored<Booking>> {
        Some(Stored { value: b, version })
    }

    fn request(to: Status, actor: Party, reason: Option<&str>) -> TransitionRequest {
        let mut x = TransitionRequest::new(to, actor, t("2026-05-04T08:00:00Z"));
        x.reason = reason.map(str::to_string);
        x
    }

    /// No booking is `not_found`, another version `version_mismatch` naming
    /// both versions; neither reaches the lifecycle.
    #[test]
    fn status_plan_refuses_missing_and_stale_bookings() {
        let policy = LifecyclePolicy::default();
        let change = request(Status::Cancelled, Party::Patient, Some("ill"));
        let e = StatusPlan::new("a1", None, 1, &change, &policy).unwrap_err();
        assert_eq!(e.code(), "not_found");
        let b = booking("a1", Status::Booked, "09:00", "09:30");
        match StatusPlan::new("a1", stored(b, 2), 1, &change, &policy).unwrap_err() {
            StoreError::VersionMismatch {
                id,
                expected,
                found,
            } => assert_eq!((id.as_str(), expected, found), ("a1", 1, 2)),
            other => panic!("expected a version mismatch, got {other:?}"),
        }
    }

    /// A plan carries everything the adapters write: the booking after the
    /// change, the next version, the event's kind and payload (with its
    /// `transition`), and answers the lifecycle's outcomes.
    #[test]
    fn status_plan_builds_the_booking_version_and_event() {
        let b = booking("a1", Status::Booked, "09:00", "09:30");
        let change = request(Status::Cancelled, Party::Patient, Some("ill"));
        let plan =
            StatusPlan::new("a1", stored(b, 3), 3, &change, &LifecyclePolicy::default()).unwrap();
        assert_eq!(plan.id(), "a1");
        assert_eq!(plan.version(), 4);
        assert!(!plan.recheck);
        assert_eq!(plan.kind, kind::APPOINTMENT_CANCELLED);
        assert_eq!(plan.booking.status, Status::Cancelled);
        assert_eq!(plan.booking.cancel_reason.as_deref(), Some("ill"));
        assert_eq!(plan.payload["status"], "cancelled");
        assert_eq!(plan.payload["transition"]["from"], "booked");
        assert_eq!(plan.payload["transition"]["actor"], "patient");
        let done = plan.done();
        assert_eq!(done.booking.version, 4);
        assert_eq!(done.booking.value.status, Status::Cancelled);
        assert!(
            done.transition
                .outcomes
                .contains(&Outcome::LateCancellation {
                    minutes_before_start: hcas_core::Minutes::new(60)
                })
        );
        // The lifecycle's refusal is the plan's refusal.
        let b = booking("a2", Status::Booked, "09:00", "09:30");
        let illegal = request(Status::Fulfilled, Party::Staff, None);
        let e = StatusPlan::new("a2", stored(b, 1), 1, &illegal, &LifecyclePolicy::default())
            .unwrap_err();
        assert_eq!(e.core_code(), Some(ErrorCode::InvalidTransition));
    }

    /// A change that makes a booking occupy again asks for a check, and the
    /// check names what blocks it on the ledger (never the booking itself).
    #[test]
    fn status_plan_rechecks_a_booking_that_occupies_again() {
        let proposed = booking("a1", Status::Proposed, "09:00", "09:30");
        let change = request(Status::Booked, Party::Staff, None);
        let plan = StatusPlan::new(
            "a1",
            stored(proposed.clone(), 1),
            1,
            &change,
            &LifecyclePolicy::default(),
        )
        .unwrap();
        assert!(plan.recheck);
        assert_eq!(plan.kind, kind::APPOINTMENT_UPDATED);
        let mut ledger = Ledger::new();
        ledger.insert(proposed).unwrap();
        plan.check(&ledger).unwrap();
        ledger
            .insert(booking("b1", Status::Booked, "09:15", "09:45"))
            .unwrap();
        match plan.check(&ledger).unwrap_err() {
            StoreError::Conflict { conflicts } => {
                assert_eq!(conflicts.len(), 1);
                assert_eq!(conflicts[0].resource, "provider:P1");
                assert_eq!(conflicts[0].with, vec!["b1".to_string()]);
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    /// On a ledger that holds only what overlaps the new time (an SQL
    /// adapter's), the plan adds the old booking, books the replacement and
    /// cancels the old one with `replaced_by`, at the next version, with the
    /// cancellation's payload.
    #[test]
    fn reschedule_plan_books_the_replacement_on_a_partial_ledger() {
        let old = booking("a1", Status::Booked, "09:00", "09:30");
        let cancel =
            ReschedulePlan::cancel_request(Party::Staff, "moved", t("2026-05-04T08:00:00Z"));
        assert_eq!(cancel.to, Status::Cancelled);
        assert_eq!(cancel.reason.as_deref(), Some("moved"));
        let plan = ReschedulePlan::new(
            "a1",
            stored(old, 2),
            2,
            &cancel,
            &LifecyclePolicy::default(),
        )
        .unwrap();
        let mut ledger = Ledger::new();
        let new = booking("a2", Status::Booked, "11:00", "11:30");
        ReschedulePlan::precheck(&new).unwrap();
        let (old, new) = plan.apply(&mut ledger, new).unwrap();
        assert_eq!(old.status, Status::Cancelled);
        assert_eq!(old.replaced_by.as_deref(), Some("a2"));
        assert_eq!(new.replaces.as_deref(), Some("a1"));
        assert_eq!(plan.version(), 3);
        let payload = plan.payload(&old);
        assert_eq!(payload["transition"]["to"], "cancelled");
        assert_eq!(payload["transition"]["reason"], "moved");
        let done = plan.done(old, new);
        assert_eq!((done.old.version, done.new.version), (3, 1));
    }

    /// A replacement that conflicts is refused naming the blocker, and a
    /// stale version never reaches the ledger.
    #[test]
    fn reschedule_plan_refuses_conflicts_and_stale_versions() {
        let policy = LifecyclePolicy::default();
        let cancel =
            ReschedulePlan::cancel_request(Party::Staff, "moved", t("2026-05-04T08:00:00Z"));
        let old = booking("a1", Status::Booked, "09:00", "09:30");
        let e = ReschedulePlan::new("a1", stored(old.clone(), 2), 1, &cancel, &policy).unwrap_err();
        assert_eq!(e.code(), "version_mismatch");
        let plan = ReschedulePlan::new("a1", stored(old, 1), 1, &cancel, &policy).unwrap();
        let mut ledger = Ledger::new();
        ledger
            .insert(booking("b1", Status::Booked, "11:00", "12:00"))
            .unwrap();
        let e = plan
            .apply(&mut ledger, booking("a2", Status::Booked, "11:00", "11:30"))
            .unwrap_err();
        assert_eq!(e.code(), "conflict");
        assert!(ledger.get("a2").is_none());
    }

    /// `check_free` does not count the booking being changed, and names
    /// every other blocker.
    #[test]
    fn check_free_excludes_the_booking_itself() {
        let a = booking("a1", Status::Booked, "09:00", "09:30");
        let mut ledger = Ledger::new();
        ledger.insert(a.clone()).unwrap();
        let now = t("2026-05-04T08:00:00Z");
        check_free(&ledger, &a, now, "a1").unwrap();
        let e = check_free(&ledger, &a, now, "other").unwrap_err();
        assert_eq!(e.code(), "conflict");
    }

    /// `booked` answers the core's bookings in the order asked, and a
    /// booking the core reported but the ledger lacks is an internal error,
    /// never skipped; `with_series` adds only what the ledger lacks.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[test]
    fn booked_and_with_series_read_the_ledger() {
        let a = booking("a1", Status::Booked, "09:00", "09:30");
        let b = booking("a2", Status::Booked, "10:00", "10:30");
        let mut ledger = Ledger::new();
        ledger.insert(a.clone()).unwrap();
        with_series(
            &mut ledger,
            &[
                Stored {
                    value: a,
                    version: 1,
                },
                Stored {
                    value: b,
                    version: 1,
                },
            ],
        )
        .unwrap();
        let got = booked(&ledger, ["a2", "a1"]).unwrap();
        assert_eq!(
            got.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
            ["a2", "a1"]
        );
        let e = booked(&ledger, ["a3"]).unwrap_err();
        assert_eq!(e.code(), "internal");
    }
}
