//! The appointment lifecycle (FHIR R4 `Appointment.status`, plus `held`) as a
//! state machine: which status may follow which, who may make each change,
//! when, and with which reason.
//!
//! [`TRANSITIONS`] is the whole table of legal changes and the roles allowed to
//! make each; [`transition`] checks one request against it and against the
//! clock rules of a [`LifecyclePolicy`], without changing anything; [`apply`] does the
//! same for a booking in a [`Ledger`] and records the new status.
//!
//! A request is checked in this order, and the first failure is reported:
//!
//! 1. the change is in [`TRANSITIONS`] (same status, a terminal status, or any
//!    other change not listed: `invalid_transition`, naming the legal targets);
//! 2. the actor is allowed to make it (`not_permitted`, naming who is);
//! 3. the clock allows it now (`invalid_transition`, saying when it would be
//!    allowed or what to do instead);
//! 4. a reason is given where one is required, see [`reason_required`]
//!    (`invalid_request`).
//!
//! Clock rules (all bounds in the policy's minutes, `start`/`end` the booking's):
//!
//! | change | allowed when |
//! |---|---|
//! | `held` → `booked` | `now < hold_expires` |
//! | `booked` → `arrived`, `checked-in` | `start - checkin_opens_minutes <= now < end` |
//! | `booked` → `cancelled` | `now < start`; late (outcome [`Outcome::LateCancellation`]) when `now > start - late_cancel_minutes` |
//! | `booked` → `noshow` | `now >= start + noshow_grace_minutes` |
//! | `arrived`, `checked-in` → `fulfilled` | `now >= start` |

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::booking::{Booking, Ledger, Request, Status};
use crate::error::{Error, ErrorCode, Result};
use crate::time::{MINUTE, Timestamp};

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The patient the appointment is for.
    Patient,
    /// The clinician who sees the patient.
    Practitioner,
    /// Front desk or scheduling staff.
    Staff,
    /// The scheduling system itself (automations, integrations).
    System,
}

impl Party {
    /// Every actor, in declaration order.
    pub const ALL: [Self; 4] = [Self::Patient, Self::Practitioner, Self::Staff, Self::System];

    /// The wire name (`patient`, `practitioner`, `staff`, `system`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Practitioner => "practitioner",
            Self::Staff => "staff",
            Self::System => "system",
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The largest value any [`LifecyclePolicy`] field may take: 366 days, in minutes.
pub const MAX_POLICY_MINUTES: i64 = 366 * 24 * 60;

/// The clinic's timing rules for the lifecycle, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecyclePolicy {
    /// A cancellation less than this long before the start is late
    /// ([`Outcome::LateCancellation`]). Default 1440 (24 hours).
    pub late_cancel_minutes: i64,
    /// A booked patient becomes a no-show this long after the start. Default 15.
    pub noshow_grace_minutes: i64,
    /// Arrival and check-in open this long before the start. Default 60.
    pub checkin_opens_minutes: i64,
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        Self {
            late_cancel_minutes: 1440,
            noshow_grace_minutes: 15,
            checkin_opens_minutes: 60,
        }
    }
}

impl LifecyclePolicy {
    /// Check the policy's own fields.
    ///
    /// # Errors
    /// `invalid_duration` for a negative field or one above [`MAX_POLICY_MINUTES`].
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("late_cancel_minutes", self.late_cancel_minutes),
            ("noshow_grace_minutes", self.noshow_grace_minutes),
            ("checkin_opens_minutes", self.checkin_opens_minutes),
        ] {
            if !(0..=MAX_POLICY_MINUTES).contains(&value) {
                return Err(Error::new(
                    ErrorCode::InvalidDuration,
                    format!("{value} must be between 0 and {MAX_POLICY_MINUTES} minutes"),
                )
                .at(&format!("policy.{name}")));
            }
        }
        Ok(())
    }
}

/// A request to move a booking to another status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRequest {
    /// The status wanted.
    pub to: Status,
    /// Who asks.
    pub actor: Party,
    /// Why; required for some changes (see [`reason_required`]). Blank counts as missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The current time.
    pub now: Timestamp,
}

/// A consequence of a transition that the caller may act on (notify, charge
/// a fee, offer the slot to the waitlist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The booking was cancelled (whatever its previous status).
    Cancelled,
    /// A booked appointment was cancelled inside the policy's late-cancellation
    /// window; always together with [`Outcome::Cancelled`].
    LateCancellation {
        /// Whole minutes from `now` to the start (rounded down).
        minutes_before_start: i64,
    },
    /// The patient did not come.
    NoShow,
    /// The booking held its resources at `now` and no longer does, and its
    /// start is still ahead: the slot may be offered again (e.g. to the waitlist).
    SlotFreed,
}

/// A transition that is allowed, with its consequences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transitioned {
    /// The status before.
    pub from: Status,
    /// The status after.
    pub to: Status,
    /// What follows from it, in this order: `cancelled`, `late_cancellation`,
    /// `no_show`, `slot_freed` (each at most once).
    pub outcomes: Vec<Outcome>,
}

const ANYONE: &[Party] = &[
    Party::Patient,
    Party::Practitioner,
    Party::Staff,
    Party::System,
];
const NOT_PRACTITIONER: &[Party] = &[Party::Patient, Party::Staff, Party::System];
const NOT_PATIENT: &[Party] = &[Party::Practitioner, Party::Staff, Party::System];
const OFFICE: &[Party] = &[Party::Staff, Party::System];
const CLINICIAN: &[Party] = &[Party::Practitioner, Party::System];
const ON_SITE: &[Party] = &[Party::Practitioner, Party::Staff];
const STAFF: &[Party] = &[Party::Staff];

/// Every legal status change and the actors allowed to make it, grouped by
/// the status it leaves. Any change not listed is `invalid_transition`.
///
/// Every status but `entered-in-error` may become `entered-in-error` (staff
/// only); `fulfilled`, `cancelled` and `noshow` allow nothing else, and
/// `entered-in-error` allows nothing at all.
pub const TRANSITIONS: &[(Status, Status, &[Party])] = &[
    (Status::Proposed, Status::Pending, NOT_PRACTITIONER),
    (Status::Proposed, Status::Booked, NOT_PATIENT),
    (Status::Proposed, Status::Cancelled, ANYONE),
    (Status::Proposed, Status::EnteredInError, STAFF),
    (Status::Pending, Status::Booked, NOT_PATIENT),
    (Status::Pending, Status::Cancelled, ANYONE),
    (Status::Pending, Status::EnteredInError, STAFF),
    (Status::Held, Status::Booked, NOT_PRACTITIONER),
    (Status::Held, Status::Cancelled, ANYONE),
    (Status::Held, Status::EnteredInError, STAFF),
    (Status::Waitlist, Status::Pending, OFFICE),
    (Status::Waitlist, Status::Booked, OFFICE),
    (Status::Waitlist, Status::Cancelled, NOT_PRACTITIONER),
    (Status::Waitlist, Status::EnteredInError, STAFF),
    (Status::Booked, Status::Arrived, OFFICE),
    (Status::Booked, Status::CheckedIn, NOT_PRACTITIONER),
    (Status::Booked, Status::Cancelled, ANYONE),
    (Status::Booked, Status::Noshow, NOT_PATIENT),
    (Status::Booked, Status::EnteredInError, STAFF),
    (Status::Arrived, Status::CheckedIn, OFFICE),
    (Status::Arrived, Status::Fulfilled, CLINICIAN),
    (Status::Arrived, Status::Cancelled, ON_SITE),
    (Status::Arrived, Status::EnteredInError, STAFF),
    (Status::CheckedIn, Status::Fulfilled, CLINICIAN),
    (Status::CheckedIn, Status::Cancelled, ON_SITE),
    (Status::CheckedIn, Status::EnteredInError, STAFF),
    (Status::Fulfilled, Status::EnteredInError, STAFF),
    (Status::Cancelled, Status::EnteredInError, STAFF),
    (Status::Noshow, Status::EnteredInError, STAFF),
];

/// The statuses `from` may legally move to, in the order of [`TRANSITIONS`].
///
/// ```
/// use hcas_core::booking::Status;
/// use hcas_core::lifecycle::legal_targets;
/// assert_eq!(legal_targets(Status::Fulfilled), [Status::EnteredInError]);
/// assert!(legal_targets(Status::EnteredInError).is_empty());
/// ```
#[must_use]
pub const fn legal_targets(from: Status) -> &'static [Status] {
    use Status::{
        Arrived, Booked, Cancelled, CheckedIn, EnteredInError, Fulfilled, Held, Noshow, Pending,
        Proposed, Waitlist,
    };
    match from {
        Proposed => &[Pending, Booked, Cancelled, EnteredInError],
        Pending | Held => &[Booked, Cancelled, EnteredInError],
        Waitlist => &[Pending, Booked, Cancelled, EnteredInError],
        Booked => &[Arrived, CheckedIn, Cancelled, Noshow, EnteredInError],
        Arrived => &[CheckedIn, Fulfilled, Cancelled, EnteredInError],
        CheckedIn => &[Fulfilled, Cancelled, EnteredInError],
        Fulfilled | Cancelled | Noshow => &[EnteredInError],
        EnteredInError => &[],
    }
}

/// The actors allowed to move `from` → `to`, or `None` when the change is not legal.
#[must_use]
pub fn allowed_actors(from: Status, to: Status) -> Option<&'static [Party]> {
    TRANSITIONS
        .iter()
        .find(|&&(f, t, _)| f == from && t == to)
        .map(|&(_, _, actors)| actors)
}

/// Whether the change `from` → `to` needs a non-blank reason: cancelling a
/// `pending`, `booked`, `arrived` or `checked-in` booking, and any change to
/// `entered-in-error`. Cancelling a `proposed`, `held` or `waitlist` booking
/// does not.
#[must_use]
pub const fn reason_required(from: Status, to: Status) -> bool {
    match to {
        Status::EnteredInError => true,
        Status::Cancelled => matches!(
            from,
            Status::Pending | Status::Booked | Status::Arrived | Status::CheckedIn
        ),
        _ => false,
    }
}

/// Whether no change but `entered-in-error` leaves `status`.
#[must_use]
pub const fn is_terminal(status: Status) -> bool {
    matches!(
        status,
        Status::Fulfilled | Status::Cancelled | Status::Noshow | Status::EnteredInError
    )
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::InvalidTransition, message)
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `t` moved by `minutes` (bounded by [`LifecyclePolicy::validate`]), clamped into the
/// engine's years: exact for the comparisons below, since no `now` lies outside.
fn shift(t: Timestamp, minutes: i64) -> Timestamp {
    Timestamp::clamped(t.unix().saturating_add(minutes.saturating_mul(MINUTE)))
}

/// Check whether `req` may move `booking` to `req.to`, and what follows.
/// Pure: the booking is not changed (see [`apply`] for a ledger).
///
/// # Errors
/// - `invalid_duration` for an invalid policy ([`LifecyclePolicy::validate`]);
/// - `invalid_transition` for a change not in [`TRANSITIONS`] (including to
///   the same status and out of a terminal status), or not allowed at
///   `req.now` (an expired hold, a check-in outside its window, a cancellation
///   after the start, a no-show before the grace period, fulfilling before the start);
/// - `not_permitted` when `req.actor` may not make this change;
/// - `invalid_request` when a required reason is missing or blank.
///
/// ```
/// use hcas_core::booking::{Booking, Status};
/// use hcas_core::lifecycle::{transition, Party, Outcome, LifecyclePolicy, TransitionRequest};
/// use hcas_core::ErrorCode;
/// let t = |s: &str| s.parse().unwrap();
/// let appt = Booking::new("a1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"),
///     Status::Booked, vec!["provider:P1".into(), "patient:X1".into()]);
///
/// // Cancelled two hours ahead: late under the default 24-hour policy.
/// let req = TransitionRequest { to: Status::Cancelled, actor: Party::Patient,
///     reason: Some("flu".into()), now: t("2026-05-04T07:00:00Z") };
/// let done = transition(&appt, &req, &LifecyclePolicy::default()).unwrap();
/// assert_eq!(done.outcomes, [
///     Outcome::Cancelled,
///     Outcome::LateCancellation { minutes_before_start: 120 },
///     Outcome::SlotFreed,
/// ]);
///
/// // A patient cannot record their own no-show.
/// let req = TransitionRequest { to: Status::Noshow, actor: Party::Patient,
///     reason: None, now: t("2026-05-04T09:20:00Z") };
/// let err = transition(&appt, &req, &LifecyclePolicy::default()).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::NotPermitted);
/// ```
pub fn transition(
    booking: &Booking,
    req: &TransitionRequest,
    policy: &LifecyclePolicy,
) -> Result<Transitioned> {
    policy.validate()?;
    let (from, to, now) = (booking.status, req.to, req.now);
    let id = &booking.id;

    if from == to {
        return Err(invalid(format!("booking {id} is already {from}")));
    }
    let Some(actors) = allowed_actors(from, to) else {
        let targets = legal_targets(from);
        return Err(invalid(if targets.is_empty() {
            format!("booking {id} is {from}, which is final: it cannot become {to}")
        } else {
            format!(
                "booking {id} cannot go from {from} to {to}; from {from} it may become: {}",
                join(targets)
            )
        }));
    };
    if !actors.contains(&req.actor) {
        return Err(Error::new(
            ErrorCode::NotPermitted,
            format!(
                "{} may not move booking {id} from {from} to {to}; only {} may",
                req.actor,
                join(actors)
            ),
        ));
    }
    check_clock(booking, to, now, policy)?;
    if reason_required(from, to) && req.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!("a non-blank reason is required to move booking {id} from {from} to {to}"),
        )
        .at("reason"));
    }

    let mut outcomes = Vec::new();
    if to == Status::Cancelled {
        outcomes.push(Outcome::Cancelled);
        let late_from = shift(booking.start, -policy.late_cancel_minutes);
        if from == Status::Booked && now > late_from {
            outcomes.push(Outcome::LateCancellation {
                minutes_before_start: (booking.start.unix() - now.unix()).div_euclid(MINUTE),
            });
        }
    }
    if to == Status::Noshow {
        outcomes.push(Outcome::NoShow);
    }
    if booking.blocks(now) && !to.occupies() && now < booking.start {
        outcomes.push(Outcome::SlotFreed);
    }
    Ok(Transitioned { from, to, outcomes })
}

/// The clock rules of the module table, for a change already known to be legal.
fn check_clock(
    booking: &Booking,
    to: Status,
    now: Timestamp,
    policy: &LifecyclePolicy,
) -> Result<()> {
    let (id, from, start, end) = (&booking.id, booking.status, booking.start, booking.end);
    match (from, to) {
        (Status::Held, Status::Booked) => match booking.hold_expires {
            Some(expires) if now < expires => Ok(()),
            Some(expires) => Err(invalid(format!(
                "the hold on booking {id} expired at {expires}; it can no longer be booked, \
                 book the slot anew"
            ))),
            None => Err(invalid(format!(
                "booking {id} is held without hold_expires, so the hold cannot be confirmed"
            ))),
        },
        (Status::Booked, Status::Arrived | Status::CheckedIn) => {
            let opens = shift(start, -policy.checkin_opens_minutes);
            if now < opens {
                Err(invalid(format!(
                    "booking {id} cannot become {to} before {opens} \
                     ({} minutes before its start {start})",
                    policy.checkin_opens_minutes
                )))
            } else if now >= end {
                Err(invalid(format!(
                    "booking {id} ended at {end}, so it can no longer become {to}; \
                     record a noshow instead"
                )))
            } else {
                Ok(())
            }
        }
        (Status::Booked, Status::Cancelled) if now >= start => Err(invalid(format!(
            "booking {id} started at {start} and can no longer be cancelled; \
             record a noshow from {} instead",
            shift(start, policy.noshow_grace_minutes)
        ))),
        (Status::Booked, Status::Noshow) => {
            let from_t = shift(start, policy.noshow_grace_minutes);
            if now < from_t {
                Err(invalid(format!(
                    "booking {id} cannot be a noshow before {from_t} \
                     ({} minutes after its start {start})",
                    policy.noshow_grace_minutes
                )))
            } else {
                Ok(())
            }
        }
        (Status::Arrived | Status::CheckedIn, Status::Fulfilled) if now < start => Err(invalid(
            format!("booking {id} cannot be fulfilled before its start {start}"),
        )),
        _ => Ok(()),
    }
}

/// [`transition`] for the booking `id` in `ledger`, then record the new status.
///
/// The hold expiry is cleared (no legal change keeps a booking `held`). A change
/// that makes a booking occupy its resources when it did not at `req.now`
/// (`proposed` or `waitlist` to `pending` or `booked`) is refused when it would
/// overbook any of them. On any error the ledger is unchanged.
///
/// A change to `cancelled` or `entered-in-error` stores `req.reason` as the
/// booking's `cancel_reason` (a missing or blank reason stores none); other
/// changes leave `cancel_reason` as it was. The storage adapters of
/// `hcas-store` record the booking after a change the same way.
///
/// ```
/// use hcas_core::booking::{Booking, Ledger, Status};
/// use hcas_core::lifecycle::{apply, Party, LifecyclePolicy, TransitionRequest};
/// let t = |s: &str| s.parse().unwrap();
/// let mut ledger = Ledger::new();
/// ledger.insert(Booking::new("a1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"),
///     Status::Booked, vec!["provider:P1".into()])).unwrap();
/// let req = TransitionRequest { to: Status::Cancelled, actor: Party::Staff,
///     reason: Some("provider ill".into()), now: t("2026-05-01T09:00:00Z") };
/// apply(&mut ledger, "a1", &req, &LifecyclePolicy::default()).unwrap();
/// let a1 = ledger.get("a1").unwrap();
/// assert_eq!((a1.status, a1.cancel_reason.as_deref()), (Status::Cancelled, Some("provider ill")));
/// ```
///
/// # Errors
/// `invalid_request` for an unknown id; the errors of [`transition`];
/// `invalid_transition` when the change would overbook a resource.
pub fn apply(
    ledger: &mut Ledger,
    id: &str,
    req: &TransitionRequest,
    policy: &LifecyclePolicy,
) -> Result<Transitioned> {
    let booking = ledger.get(id).ok_or_else(|| {
        Error::new(ErrorCode::InvalidRequest, format!("no booking has id {id}")).at("id")
    })?;
    let done = transition(booking, req, policy)?;
    if done.to.occupies() && !booking.blocks(req.now) {
        let check = ledger.check_excluding(
            &Request {
                start: booking.start,
                end: booking.end,
                resources: booking.resources.clone(),
            },
            req.now,
            Some(id),
        )?;
        if !check.ok {
            let taken: Vec<String> = check
                .conflicts
                .iter()
                .map(|c| format!("{} (by {})", c.resource, c.with.join(", ")))
                .collect();
            return Err(invalid(format!(
                "booking {id} cannot become {} now: its resources are taken: {}",
                done.to,
                taken.join("; ")
            )));
        }
    }
    if !ledger.set_status(id, done.to, None) {
        return Err(
            Error::new(ErrorCode::InvalidRequest, format!("no booking has id {id}")).at("id"),
        );
    }
    if matches!(done.to, Status::Cancelled | Status::EnteredInError) {
        ledger.set_cancel_reason(id, req.reason.clone().filter(|r| !r.trim().is_empty()));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Start of the test appointment: 2026-05-04T09:00:00Z; it lasts 30 minutes.
    const START: i64 = 1_777_885_200;

    fn at(minutes_from_start: i64) -> Timestamp {
        Timestamp::from_unix(START + minutes_from_start * MINUTE).unwrap()
    }

    fn booking(status: Status) -> Booking {
        let mut b = Booking::new(
            "a1",
            at(0),
            at(30),
            status,
            vec!["provider:P1".into(), "patient:X1".into()],
        );
        if status == Status::Held {
            b.hold_expires = Some(at(-2 * 24 * 60 + 10));
        }
        b
    }

    fn req(to: Status, actor: Party, reason: Option<&str>, now: Timestamp) -> TransitionRequest {
        TransitionRequest {
            to,
            actor,
            reason: reason.map(str::to_string),
            now,
        }
    }

    fn go(
        from: Status,
        to: Status,
        actor: Party,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<Transitioned> {
        transition(
            &booking(from),
            &req(to, actor, reason, now),
            &LifecyclePolicy::default(),
        )
    }

    fn code(r: Result<Transitioned>) -> ErrorCode {
        r.unwrap_err().code()
    }

    /// A time at which the (legal) change from → to is allowed by the clock.
    fn good_now(from: Status, to: Status) -> Timestamp {
        match (from, to) {
            (Status::Booked, Status::Arrived | Status::CheckedIn) => at(-30),
            (Status::Booked, Status::Noshow) => at(20),
            (Status::Arrived | Status::CheckedIn, _) => at(5),
            _ => at(-2 * 24 * 60),
        }
    }

    #[test]
    fn every_row_is_allowed_for_its_actors_and_refused_for_the_others() {
        for &(from, to, actors) in TRANSITIONS {
            for actor in Party::ALL {
                let r = go(from, to, actor, Some("a reason"), good_now(from, to));
                if actors.contains(&actor) {
                    let done = r.unwrap_or_else(|e| panic!("{from} -> {to} by {actor}: {e}"));
                    assert_eq!((done.from, done.to), (from, to));
                } else {
                    let e = r.unwrap_err();
                    assert_eq!(
                        e.code(),
                        ErrorCode::NotPermitted,
                        "{from} -> {to} by {actor}"
                    );
                    for a in actors {
                        assert!(e.message().contains(a.as_str()), "{e}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_change_not_in_the_table_is_an_invalid_transition() {
        for from in Status::ALL {
            for to in Status::ALL {
                if allowed_actors(from, to).is_some() {
                    continue;
                }
                for actor in Party::ALL {
                    let e = go(from, to, actor, Some("r"), good_now(from, to)).unwrap_err();
                    assert_eq!(e.code(), ErrorCode::InvalidTransition, "{from} -> {to}");
                }
            }
        }
    }

    #[test]
    fn table_and_legal_targets_agree() {
        for from in Status::ALL {
            let listed: Vec<Status> = TRANSITIONS
                .iter()
                .filter(|r| r.0 == from)
                .map(|r| r.1)
                .collect();
            assert_eq!(listed, legal_targets(from), "{from}");
            assert!(!listed.contains(&from), "{from} -> itself");
            let eie = listed.contains(&Status::EnteredInError);
            assert_eq!(eie, from != Status::EnteredInError, "{from}");
            if is_terminal(from) {
                assert!(
                    listed.iter().all(|&t| t == Status::EnteredInError),
                    "{from}"
                );
            }
        }
        for &(f, t, actors) in TRANSITIONS {
            assert!(!actors.is_empty());
            assert_eq!(
                TRANSITIONS.iter().filter(|r| r.0 == f && r.1 == t).count(),
                1,
                "{f} -> {t} listed twice"
            );
        }
    }

    #[test]
    fn messages_name_the_statuses_and_the_legal_targets() {
        let e = go(Status::Proposed, Status::Arrived, Party::Staff, None, at(0)).unwrap_err();
        for word in [
            "proposed",
            "arrived",
            "pending",
            "booked",
            "cancelled",
            "entered-in-error",
        ] {
            assert!(e.message().contains(word), "{word}: {e}");
        }
        let e = go(Status::Booked, Status::Booked, Party::Staff, None, at(0)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert!(e.message().contains("already booked"), "{e}");
        let e = go(
            Status::EnteredInError,
            Status::Booked,
            Party::Staff,
            None,
            at(0),
        )
        .unwrap_err();
        assert!(e.message().contains("final"), "{e}");
        let e = go(Status::Booked, Status::Noshow, Party::Patient, None, at(20)).unwrap_err();
        assert_eq!(
            e.message(),
            "patient may not move booking a1 from booked to noshow; only practitioner, staff, system may"
        );
    }

    #[test]
    fn terminal_statuses_only_become_entered_in_error() {
        for from in [Status::Fulfilled, Status::Cancelled, Status::Noshow] {
            assert!(is_terminal(from));
            for to in Status::ALL {
                let r = go(from, to, Party::Staff, Some("duplicate"), at(0));
                if to == Status::EnteredInError {
                    assert_eq!(r.unwrap().to, to);
                } else {
                    assert_eq!(code(r), ErrorCode::InvalidTransition, "{from} -> {to}");
                }
            }
        }
        for to in Status::ALL {
            let r = go(Status::EnteredInError, to, Party::Staff, Some("x"), at(0));
            assert_eq!(code(r), ErrorCode::InvalidTransition);
        }
    }

    #[test]
    fn entered_in_error_is_staff_only_and_needs_a_reason() {
        for from in Status::ALL {
            if from == Status::EnteredInError {
                continue;
            }
            let to = Status::EnteredInError;
            for actor in [Party::Patient, Party::Practitioner, Party::System] {
                assert_eq!(
                    code(go(from, to, actor, Some("x"), at(0))),
                    ErrorCode::NotPermitted
                );
            }
            assert_eq!(
                code(go(from, to, Party::Staff, None, at(0))),
                ErrorCode::InvalidRequest
            );
            assert!(go(from, to, Party::Staff, Some("wrong patient"), at(0)).is_ok());
        }
    }

    #[test]
    fn reasons_required_where_the_table_says() {
        use Status::{Arrived, Booked, Cancelled, CheckedIn, Held, Pending, Proposed, Waitlist};
        for from in [Pending, Booked, Arrived, CheckedIn] {
            assert!(reason_required(from, Cancelled));
            let now = good_now(from, Cancelled);
            for blank in [None, Some(""), Some("  \t")] {
                let e = go(from, Cancelled, Party::Staff, blank, now).unwrap_err();
                assert_eq!(e.code(), ErrorCode::InvalidRequest, "{from}");
                assert!(e.message().starts_with("reason: "), "{e}");
            }
            assert!(go(from, Cancelled, Party::Staff, Some("patient left"), now).is_ok());
        }
        for from in [Proposed, Held, Waitlist] {
            assert!(!reason_required(from, Cancelled));
            assert!(
                go(
                    from,
                    Cancelled,
                    Party::Staff,
                    None,
                    good_now(from, Cancelled)
                )
                .is_ok()
            );
            assert!(
                go(
                    from,
                    Cancelled,
                    Party::Staff,
                    Some(" "),
                    good_now(from, Cancelled)
                )
                .is_ok()
            );
        }
        assert!(!reason_required(Proposed, Booked));
        assert!(go(Proposed, Booked, Party::Staff, None, at(-60)).is_ok());
    }

    #[test]
    fn wrong_actor_is_reported_before_a_missing_reason_or_the_clock() {
        let e = go(
            Status::Arrived,
            Status::Cancelled,
            Party::Patient,
            None,
            at(5),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotPermitted);
        let e = go(
            Status::Booked,
            Status::Noshow,
            Party::Patient,
            None,
            at(-100),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotPermitted);
        // The clock is checked before the reason.
        let e = go(Status::Booked, Status::Cancelled, Party::Staff, None, at(1)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
    }

    #[test]
    fn a_hold_is_confirmed_only_before_it_expires() {
        let mut b = booking(Status::Held);
        b.hold_expires = Some(at(-100));
        let p = LifecyclePolicy::default();
        let ok = transition(&b, &req(Status::Booked, Party::Patient, None, at(-101)), &p).unwrap();
        assert!(ok.outcomes.is_empty());
        for now in [at(-100), at(-99), at(10)] {
            let e =
                transition(&b, &req(Status::Booked, Party::Patient, None, now), &p).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidTransition);
            assert!(e.message().contains("expired"), "{e}");
        }
        b.hold_expires = None;
        let e = transition(&b, &req(Status::Booked, Party::Staff, None, at(-101)), &p).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        // Releasing a hold needs no reason; an expired hold frees nothing new.
        b.hold_expires = Some(at(-100));
        let live = transition(
            &b,
            &req(Status::Cancelled, Party::Patient, None, at(-101)),
            &p,
        )
        .unwrap();
        assert_eq!(live.outcomes, [Outcome::Cancelled, Outcome::SlotFreed]);
        let lapsed = transition(
            &b,
            &req(Status::Cancelled, Party::System, None, at(-99)),
            &p,
        )
        .unwrap();
        assert_eq!(lapsed.outcomes, [Outcome::Cancelled]);
    }

    #[test]
    fn arrival_and_check_in_window() {
        for to in [Status::Arrived, Status::CheckedIn] {
            let r = |now| go(Status::Booked, to, Party::Staff, None, now);
            assert_eq!(code(r(at(-61))), ErrorCode::InvalidTransition);
            assert!(r(at(-61)).unwrap_err().message().contains("before"));
            assert!(r(at(-60)).is_ok());
            assert!(r(at(0)).is_ok());
            assert!(r(Timestamp::from_unix(at(30).unix() - 1).unwrap()).is_ok());
            let e = r(at(30)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidTransition);
            assert!(e.message().contains("noshow"), "{e}");
        }
        let p = LifecyclePolicy {
            checkin_opens_minutes: 0,
            ..LifecyclePolicy::default()
        };
        let b = booking(Status::Booked);
        let r = |now| transition(&b, &req(Status::CheckedIn, Party::Patient, None, now), &p);
        assert!(r(at(-1)).is_err());
        assert!(r(at(0)).is_ok());
    }

    #[test]
    fn cancelling_a_booked_appointment() {
        let r = |now| {
            go(
                Status::Booked,
                Status::Cancelled,
                Party::Patient,
                Some("ill"),
                now,
            )
        };
        // Exactly 24 hours ahead is not late; a minute less is.
        assert_eq!(
            r(at(-1440)).unwrap().outcomes,
            [Outcome::Cancelled, Outcome::SlotFreed]
        );
        assert_eq!(
            r(at(-1439)).unwrap().outcomes,
            [
                Outcome::Cancelled,
                Outcome::LateCancellation {
                    minutes_before_start: 1439
                },
                Outcome::SlotFreed
            ]
        );
        // Rounded down: 30 seconds before the start is 0 minutes before.
        let half = Timestamp::from_unix(START - 30).unwrap();
        assert_eq!(
            r(half).unwrap().outcomes[1],
            Outcome::LateCancellation {
                minutes_before_start: 0
            }
        );
        for now in [at(0), at(10), at(60)] {
            let e = r(now).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidTransition);
            assert!(e.message().contains("noshow"), "{e}");
        }
        // Other cancellations are never late.
        let done = go(
            Status::Pending,
            Status::Cancelled,
            Party::Patient,
            Some("x"),
            at(-5),
        )
        .unwrap();
        assert_eq!(done.outcomes, [Outcome::Cancelled, Outcome::SlotFreed]);
        let done = go(
            Status::Proposed,
            Status::Cancelled,
            Party::Patient,
            None,
            at(-5),
        )
        .unwrap();
        assert_eq!(done.outcomes, [Outcome::Cancelled]);
    }

    #[test]
    fn noshow_after_the_grace_period() {
        let r = |now| {
            go(
                Status::Booked,
                Status::Noshow,
                Party::Practitioner,
                None,
                now,
            )
        };
        assert_eq!(code(r(at(14))), ErrorCode::InvalidTransition);
        assert_eq!(
            code(r(Timestamp::from_unix(at(15).unix() - 1).unwrap())),
            ErrorCode::InvalidTransition
        );
        assert_eq!(r(at(15)).unwrap().outcomes, [Outcome::NoShow]);
        assert_eq!(r(at(600)).unwrap().outcomes, [Outcome::NoShow]);
    }

    #[test]
    fn fulfilled_from_the_start() {
        for from in [Status::Arrived, Status::CheckedIn] {
            let r = |now| go(from, Status::Fulfilled, Party::Practitioner, None, now);
            let e = r(Timestamp::from_unix(START - 1).unwrap()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidTransition);
            assert!(r(at(0)).is_ok());
            assert!(r(at(500)).unwrap().outcomes.is_empty());
        }
        // The patient leaving before being seen.
        let done = go(
            Status::Arrived,
            Status::Cancelled,
            Party::Staff,
            Some("left"),
            at(-10),
        )
        .unwrap();
        assert_eq!(done.outcomes, [Outcome::Cancelled, Outcome::SlotFreed]);
        let done = go(
            Status::CheckedIn,
            Status::Cancelled,
            Party::Staff,
            Some("left"),
            at(10),
        )
        .unwrap();
        assert_eq!(done.outcomes, [Outcome::Cancelled]);
    }

    #[test]
    fn entered_in_error_frees_a_future_slot() {
        let done = go(
            Status::Booked,
            Status::EnteredInError,
            Party::Staff,
            Some("dup"),
            at(-5),
        )
        .unwrap();
        assert_eq!(done.outcomes, [Outcome::SlotFreed]);
        let done = go(
            Status::Proposed,
            Status::EnteredInError,
            Party::Staff,
            Some("dup"),
            at(-5),
        )
        .unwrap();
        assert!(done.outcomes.is_empty());
    }

    #[test]
    fn policy_is_validated() {
        for bad in [
            LifecyclePolicy {
                late_cancel_minutes: -1,
                ..LifecyclePolicy::default()
            },
            LifecyclePolicy {
                noshow_grace_minutes: MAX_POLICY_MINUTES + 1,
                ..LifecyclePolicy::default()
            },
            LifecyclePolicy {
                checkin_opens_minutes: i64::MIN,
                ..LifecyclePolicy::default()
            },
        ] {
            let e = transition(
                &booking(Status::Proposed),
                &req(Status::Pending, Party::Patient, None, at(0)),
                &bad,
            )
            .unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidDuration);
            assert!(e.message().starts_with("policy."), "{e}");
        }
    }

    #[test]
    fn serde_shapes() {
        let p: LifecyclePolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(p, LifecyclePolicy::default());
        let p: LifecyclePolicy = serde_json::from_str(r#"{"noshow_grace_minutes": 5}"#).unwrap();
        assert_eq!((p.noshow_grace_minutes, p.late_cancel_minutes), (5, 1440));
        assert!(serde_json::from_str::<LifecyclePolicy>(r#"{"grace": 5}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Party::Practitioner).unwrap(),
            r#""practitioner""#
        );
        let r: TransitionRequest = serde_json::from_str(
            r#"{"to": "checked-in", "actor": "staff", "now": "2026-05-04T08:30:00Z"}"#,
        )
        .unwrap();
        assert_eq!(r, req(Status::CheckedIn, Party::Staff, None, at(-30)));
        let done = go(
            Status::Booked,
            Status::Cancelled,
            Party::Patient,
            Some("x"),
            at(-30),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            serde_json::json!({
                "from": "booked", "to": "cancelled",
                "outcomes": [
                    {"outcome": "cancelled"},
                    {"outcome": "late_cancellation", "minutes_before_start": 30},
                    {"outcome": "slot_freed"}
                ]
            })
        );
        let back: Transitioned =
            serde_json::from_value(serde_json::to_value(&done).unwrap()).unwrap();
        assert_eq!(back, done);
    }

    fn ledger_with(b: Booking) -> Ledger {
        let mut l = Ledger::new();
        l.insert(b).unwrap();
        l
    }

    #[test]
    fn apply_records_the_status() {
        let mut l = ledger_with(booking(Status::Booked));
        let p = LifecyclePolicy::default();
        let done = apply(
            &mut l,
            "a1",
            &req(Status::CheckedIn, Party::Patient, None, at(-5)),
            &p,
        )
        .unwrap();
        assert_eq!(done.to, Status::CheckedIn);
        assert_eq!(l.get("a1").unwrap().status, Status::CheckedIn);
        // A refused change leaves the ledger as it was.
        let e = apply(
            &mut l,
            "a1",
            &req(Status::Noshow, Party::Staff, None, at(60)),
            &p,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert_eq!(l.get("a1").unwrap().status, Status::CheckedIn);

        let e = apply(
            &mut l,
            "nope",
            &req(Status::Booked, Party::Staff, None, at(0)),
            &p,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        assert!(e.message().contains("nope"), "{e}");
    }

    #[test]
    fn apply_clears_the_hold_when_confirming() {
        let mut held = booking(Status::Held);
        held.hold_expires = Some(at(-100));
        let mut l = ledger_with(held);
        let p = LifecyclePolicy::default();
        apply(
            &mut l,
            "a1",
            &req(Status::Booked, Party::Patient, None, at(-110)),
            &p,
        )
        .unwrap();
        let b = l.get("a1").unwrap();
        assert_eq!((b.status, b.hold_expires), (Status::Booked, None));
        assert!(b.validate().is_ok());
    }

    #[test]
    fn apply_refuses_to_overbook() {
        let mut l = ledger_with(booking(Status::Booked));
        let mut other = booking(Status::Proposed);
        other.id = "a2".into();
        other.resources = vec!["provider:P1".into(), "patient:X2".into()];
        l.insert(other).unwrap();
        let p = LifecyclePolicy::default();
        for to in [Status::Booked, Status::Pending] {
            let e = apply(&mut l, "a2", &req(to, Party::Staff, None, at(-60)), &p).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidTransition);
            assert!(e.message().contains("provider:P1 (by a1)"), "{e}");
            assert_eq!(l.get("a2").unwrap().status, Status::Proposed);
        }
        // Once a1 is cancelled, a2 can take the slot.
        apply(
            &mut l,
            "a1",
            &req(Status::Cancelled, Party::Staff, Some("moved"), at(-60)),
            &p,
        )
        .unwrap();
        apply(
            &mut l,
            "a2",
            &req(Status::Booked, Party::Staff, None, at(-60)),
            &p,
        )
        .unwrap();
        assert_eq!(l.get("a2").unwrap().status, Status::Booked);
    }

    fn any_status() -> impl Strategy<Value = Status> {
        prop::sample::select(Status::ALL.to_vec())
    }

    fn any_step() -> impl Strategy<Value = TransitionRequest> {
        (
            any_status(),
            prop::sample::select(Party::ALL.to_vec()),
            // From two days before the start to a day after, in minutes, so the
            // policy boundaries are hit often.
            -2880i64..1440,
            prop::option::of(prop::sample::select(vec!["", " ", "patient request"])),
        )
            .prop_map(|(to, actor, minutes, reason)| req(to, actor, reason, at(minutes)))
    }

    /// Apply `steps` to a ledger holding `start` and check every step.
    fn check_walk(
        start: Booking,
        steps: &[TransitionRequest],
    ) -> std::result::Result<(), TestCaseError> {
        let mut l = ledger_with(start);
        let policy = LifecyclePolicy::default();
        for step in steps {
            let before = l.get("a1").unwrap().status;
            match apply(&mut l, "a1", step, &policy) {
                Ok(done) => {
                    prop_assert_eq!(done.from, before);
                    prop_assert_eq!(done.to, step.to);
                    let actors = allowed_actors(before, step.to);
                    prop_assert!(
                        actors.is_some(),
                        "{} -> {} is not in TRANSITIONS",
                        before,
                        step.to
                    );
                    prop_assert!(actors.unwrap_or_default().contains(&step.actor));
                    prop_assert!(legal_targets(before).contains(&step.to));
                    prop_assert_eq!(l.get("a1").unwrap().status, step.to);
                    if is_terminal(before) {
                        prop_assert_eq!(step.to, Status::EnteredInError);
                        prop_assert_ne!(before, Status::EnteredInError);
                    }
                    if reason_required(before, step.to) {
                        prop_assert!(step.reason.as_deref().is_some_and(|r| !r.trim().is_empty()));
                    }
                }
                Err(e) => {
                    prop_assert_eq!(l.get("a1").unwrap().status, before);
                    let expected = match allowed_actors(before, step.to) {
                        None => vec![ErrorCode::InvalidTransition],
                        Some(a) if !a.contains(&step.actor) => vec![ErrorCode::NotPermitted],
                        Some(_) => vec![ErrorCode::InvalidTransition, ErrorCode::InvalidRequest],
                    };
                    prop_assert!(expected.contains(&e.code()), "{}", e);
                }
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn walks_from_proposed_follow_the_table(
            steps in prop::collection::vec(any_step(), 0..16),
        ) {
            check_walk(booking(Status::Proposed), &steps)?;
        }

        #[test]
        fn walks_from_any_status_follow_the_table(
            from in any_status(),
            hold in -2880i64..1440,
            steps in prop::collection::vec(any_step(), 0..16),
        ) {
            let mut b = booking(from);
            if from == Status::Held {
                b.hold_expires = Some(at(hold));
            }
            check_walk(b, &steps)?;
        }
    }
}
