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
use crate::time::{MINUTE, Minutes, Timestamp};

mod policy;
mod table;

pub use policy::{LifecyclePolicy, MAX_POLICY_MINUTES};
pub use table::{TRANSITIONS, allowed_actors, is_terminal, legal_targets, reason_required};

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
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

/// A request to move a booking to another status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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

impl TransitionRequest {
    /// `actor` asks at `now` to move a booking to `to`, giving no reason
    /// (add one with [`TransitionRequest::reason`]).
    #[must_use]
    pub const fn new(to: Status, actor: Party, now: Timestamp) -> Self {
        Self {
            to,
            actor,
            reason: None,
            now,
        }
    }

    /// This request with `reason` (required for some changes, see
    /// [`reason_required`]).
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// A consequence of a transition that the caller may act on (notify, charge
/// a fee, offer the slot to the waitlist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The booking was cancelled (whatever its previous status).
    Cancelled,
    /// A booked appointment was cancelled inside the policy's late-cancellation
    /// window; always together with [`Outcome::Cancelled`].
    LateCancellation {
        /// Whole minutes from `now` to the start (rounded down).
        minutes_before_start: Minutes,
    },
    /// The patient did not come.
    NoShow,
    /// The booking held its resources at `now` and no longer does, and its
    /// start is still ahead: the slot may be offered again (e.g. to the waitlist).
    SlotFreed,
}

/// A transition that is allowed, with its consequences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transitioned {
    /// The status before.
    pub from: Status,
    /// The status after.
    pub to: Status,
    /// What follows from it, in this order: `cancelled`, `late_cancellation`,
    /// `no_show`, `slot_freed` (each at most once).
    pub outcomes: Vec<Outcome>,
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
/// use hcas_core::{ErrorCode, Interval, Minutes};
/// let t = |s: &str| s.parse().unwrap();
/// let appt = Booking::new("a1", vec!["provider:P1".into(), "patient:X1".into()],
///     Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap());
///
/// // Cancelled two hours ahead: late under the default 24-hour policy.
/// let req = TransitionRequest::new(Status::Cancelled, Party::Patient, t("2026-05-04T07:00:00Z"))
///     .reason("flu");
/// let done = transition(&appt, &req, &LifecyclePolicy::default()).unwrap();
/// assert_eq!(done.outcomes, [
///     Outcome::Cancelled,
///     Outcome::LateCancellation { minutes_before_start: Minutes::new(120) },
///     Outcome::SlotFreed,
/// ]);
/// // Under a 1-hour policy it is not late.
/// let lenient = LifecyclePolicy::new().late_cancel(Minutes::hours(1));
/// assert_eq!(transition(&appt, &req, &lenient).unwrap().outcomes, [Outcome::Cancelled, Outcome::SlotFreed]);
///
/// // A patient cannot record their own no-show.
/// let req = TransitionRequest::new(Status::Noshow, Party::Patient, t("2026-05-04T09:20:00Z"));
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
        let late_from = shift(booking.start, -policy.late_cancel_minutes.get());
        if from == Status::Booked && now > late_from {
            outcomes.push(Outcome::LateCancellation {
                minutes_before_start: Minutes::new(
                    (booking.start.unix() - now.unix()).div_euclid(MINUTE),
                ),
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
            let opens = shift(start, -policy.checkin_opens_minutes.get());
            if now < opens {
                Err(invalid(format!(
                    "booking {id} cannot become {to} before {opens} \
                     ({} minutes before its start {start})",
                    policy.checkin_opens_minutes.get()
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
            shift(start, policy.noshow_grace_minutes.get())
        ))),
        (Status::Booked, Status::Noshow) => {
            let from_t = shift(start, policy.noshow_grace_minutes.get());
            if now < from_t {
                Err(invalid(format!(
                    "booking {id} cannot be a noshow before {from_t} \
                     ({} minutes after its start {start})",
                    policy.noshow_grace_minutes.get()
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
/// use hcas_core::Interval;
/// let mut ledger = Ledger::new();
/// ledger.insert(Booking::new("a1", vec!["provider:P1".into()],
///     Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap())).unwrap();
/// let req = TransitionRequest::new(Status::Cancelled, Party::Staff, "2026-05-01T09:00:00Z".parse().unwrap())
///     .reason("provider ill");
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
mod tests;
