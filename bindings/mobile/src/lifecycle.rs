//! The appointment lifecycle (`hcas_core::lifecycle`): which status may
//! follow which, who may make each change, when, and with which reason.
//! [`transition`] checks a change without making it; [`Ledger::apply_transition`]
//! makes it on a booking of a ledger. The table, the clock rules and the
//! error codes are the core's.

use hcas_core::lifecycle::{self as core, TransitionRequest};
use hcas_core::{ErrorCode, Minutes, Timestamp};

use crate::HcasError;
use crate::errors::error;
use crate::ledger::{Booking, BookingStatus, Ledger};

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
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

/// Each binding party with the engine's.
const PARTIES: [(Party, core::Party); 4] = [
    (Party::Patient, core::Party::Patient),
    (Party::Practitioner, core::Party::Practitioner),
    (Party::Staff, core::Party::Staff),
    (Party::System, core::Party::System),
];

impl Party {
    /// The engine's party.
    pub(crate) fn core(self) -> core::Party {
        PARTIES
            .iter()
            .find(|(p, _)| *p == self)
            .map_or(core::Party::System, |(_, c)| *c)
    }

    /// The binding's party for the engine's; `invalid_request` for one added
    /// to the engine after this binding.
    fn from_core(party: core::Party) -> Result<Self, HcasError> {
        PARTIES
            .iter()
            .find(|(_, c)| *c == party)
            .map(|(p, _)| *p)
            .ok_or_else(|| {
                error(
                    ErrorCode::InvalidRequest,
                    format!("party `{party}` is newer than this binding; update hcas-mobile"),
                )
            })
    }
}

/// The clinic's timing rules for the lifecycle, in whole minutes
/// ([`default_lifecycle_policy`] gives the engine's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Record)]
pub struct LifecyclePolicy {
    /// A cancellation less than this long before the start is late.
    pub late_cancel_minutes: u32,
    /// A booked patient becomes a no-show this long after the start.
    pub noshow_grace_minutes: u32,
    /// Arrival and check-in open this long before the start.
    pub checkin_opens_minutes: u32,
}

impl LifecyclePolicy {
    /// The engine's policy (checked by the engine where it is used).
    fn core(self) -> core::LifecyclePolicy {
        let m = |v: u32| Minutes::new(i64::from(v));
        core::LifecyclePolicy::new()
            .late_cancel(m(self.late_cancel_minutes))
            .noshow_grace(m(self.noshow_grace_minutes))
            .checkin_opens(m(self.checkin_opens_minutes))
    }
}

/// The given policy, or the engine's default.
pub(crate) fn policy(p: Option<LifecyclePolicy>) -> core::LifecyclePolicy {
    p.map_or_else(core::LifecyclePolicy::default, LifecyclePolicy::core)
}

/// The engine's default policy: late cancellation within 24 hours of the
/// start, no-show 15 minutes after it, check-in from 60 minutes before it.
#[uniffi::export]
pub fn default_lifecycle_policy() -> LifecyclePolicy {
    let p = core::LifecyclePolicy::default();
    let m = |v: Minutes| u32::try_from(v.get()).unwrap_or(u32::MAX);
    LifecyclePolicy {
        late_cancel_minutes: m(p.late_cancel_minutes),
        noshow_grace_minutes: m(p.noshow_grace_minutes),
        checkin_opens_minutes: m(p.checkin_opens_minutes),
    }
}

/// A consequence of a transition the app may act on (notify, charge a fee,
/// offer the slot to the waitlist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TransitionOutcome {
    /// The booking was cancelled.
    Cancelled,
    /// A booked appointment was cancelled inside the policy's
    /// late-cancellation window (always with `Cancelled`).
    LateCancellation {
        /// Whole minutes from `now` to the start (rounded down).
        minutes_before_start: i64,
    },
    /// The patient did not come.
    NoShow,
    /// The booking held its resources and no longer does, and its start is
    /// still ahead: the slot may be offered again.
    SlotFreed,
}

impl TransitionOutcome {
    /// The binding's outcome for the engine's.
    pub(crate) fn from_core(o: core::Outcome) -> Result<Self, HcasError> {
        Ok(match o {
            core::Outcome::Cancelled => Self::Cancelled,
            core::Outcome::LateCancellation {
                minutes_before_start,
            } => Self::LateCancellation {
                minutes_before_start: minutes_before_start.get(),
            },
            core::Outcome::NoShow => Self::NoShow,
            core::Outcome::SlotFreed => Self::SlotFreed,
            other => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    format!("outcome {other:?} is newer than this binding; update hcas-mobile"),
                ));
            }
        })
    }
}

/// An allowed change, with its consequences.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Transitioned {
    /// The status before.
    pub from: BookingStatus,
    /// The status after.
    pub to: BookingStatus,
    /// What follows from it, in the engine's order.
    pub outcomes: Vec<TransitionOutcome>,
}

impl Transitioned {
    /// The binding's answer for the engine's.
    fn from_core(t: core::Transitioned) -> Result<Self, HcasError> {
        Ok(Self {
            from: BookingStatus::from_core(t.from)?,
            to: BookingStatus::from_core(t.to)?,
            outcomes: t
                .outcomes
                .into_iter()
                .map(TransitionOutcome::from_core)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The engine's request.
fn request(
    to: BookingStatus,
    actor: Party,
    now: Timestamp,
    reason: Option<String>,
) -> TransitionRequest {
    let req = TransitionRequest::new(to.core(), actor.core(), now);
    match reason {
        Some(r) => req.reason(r),
        None => req,
    }
}

/// Check whether `actor` may move `booking` to `to` at `now` (with `reason`,
/// under `policy`, default the engine's), without changing anything.
///
/// # Errors
/// `invalid_transition` for a change not in the table or not allowed by the
/// clock now; `not_permitted` for an actor who may not make it;
/// `invalid_request` for a missing reason where one is required;
/// `invalid_duration` for a bad policy; the booking's validation errors.
#[uniffi::export(default(reason = None, policy = None))]
pub fn transition(
    booking: Booking,
    to: BookingStatus,
    actor: Party,
    now: Timestamp,
    reason: Option<String>,
    policy: Option<LifecyclePolicy>,
) -> Result<Transitioned, HcasError> {
    let b = booking.core()?;
    let req = request(to, actor, now, reason);
    Transitioned::from_core(core::transition(&b, &req, &self::policy(policy))?)
}

/// The statuses `from` may move to, in the engine's order (empty for
/// `EnteredInError`).
#[uniffi::export]
pub fn legal_targets(from: BookingStatus) -> Result<Vec<BookingStatus>, HcasError> {
    core::legal_targets(from.core())
        .iter()
        .map(|s| BookingStatus::from_core(*s))
        .collect()
}

/// The parties allowed to move `from` to `to`, or null when the change is
/// not legal.
#[uniffi::export]
pub fn allowed_actors(
    from: BookingStatus,
    to: BookingStatus,
) -> Result<Option<Vec<Party>>, HcasError> {
    core::allowed_actors(from.core(), to.core())
        .map(|ps| {
            ps.iter()
                .map(|p| Party::from_core(*p))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
}

/// Whether moving `from` to `to` needs a non-blank reason.
#[uniffi::export]
pub fn reason_required(from: BookingStatus, to: BookingStatus) -> bool {
    core::reason_required(from.core(), to.core())
}

/// Whether no change but `EnteredInError` leaves `status`.
#[uniffi::export]
pub fn is_terminal(status: BookingStatus) -> bool {
    core::is_terminal(status.core())
}

#[uniffi::export]
impl Ledger {
    /// Move the booking `id` to `to` as [`transition`] allows, and record
    /// it (a cancellation also records `reason` as its `cancelReason`).
    ///
    /// # Errors
    /// `invalid_request` for an unknown id; the errors of [`transition`];
    /// `invalid_transition` when the change would overbook a resource.
    #[uniffi::method(default(reason = None, policy = None))]
    pub fn apply_transition(
        &self,
        id: String,
        to: BookingStatus,
        actor: Party,
        now: Timestamp,
        reason: Option<String>,
        policy: Option<LifecyclePolicy>,
    ) -> Result<Transitioned, HcasError> {
        let req = request(to, actor, now, reason);
        let done = core::apply(&mut self.lock(), &id, &req, &self::policy(policy))?;
        Transitioned::from_core(done)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn appt() -> Booking {
        Booking {
            id: "a1".into(),
            resources: vec!["provider:P1".into()],
            start: t("2026-05-04T09:00:00Z"),
            end: t("2026-05-04T09:30:00Z"),
            status: BookingStatus::Booked,
            hold_expires: None,
            series: None,
            cancel_reason: None,
            replaces: None,
            replaced_by: None,
        }
    }

    #[test]
    fn cancelling_late_and_early() {
        // 2 hours before a 09:00 start, under the default 24-hour window: late.
        let got = transition(
            appt(),
            BookingStatus::Cancelled,
            Party::Patient,
            t("2026-05-04T07:00:00Z"),
            Some("sick".into()),
            None,
        )
        .unwrap();
        assert_eq!(
            got.outcomes,
            [
                TransitionOutcome::Cancelled,
                TransitionOutcome::LateCancellation {
                    minutes_before_start: 120
                },
                TransitionOutcome::SlotFreed,
            ]
        );
        // With a 1-hour window it is not late.
        let policy = LifecyclePolicy {
            late_cancel_minutes: 60,
            ..default_lifecycle_policy()
        };
        let got = transition(
            appt(),
            BookingStatus::Cancelled,
            Party::Patient,
            t("2026-05-04T07:00:00Z"),
            Some("sick".into()),
            Some(policy),
        )
        .unwrap();
        assert_eq!(
            got.outcomes,
            [TransitionOutcome::Cancelled, TransitionOutcome::SlotFreed]
        );
        // A booked cancellation needs a reason.
        let e = transition(
            appt(),
            BookingStatus::Cancelled,
            Party::Patient,
            t("2026-05-04T07:00:00Z"),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }

    #[test]
    fn the_table_and_the_ledger() {
        assert_eq!(
            default_lifecycle_policy(),
            LifecyclePolicy {
                late_cancel_minutes: 1440,
                noshow_grace_minutes: 15,
                checkin_opens_minutes: 60
            }
        );
        assert!(
            legal_targets(BookingStatus::EnteredInError)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            legal_targets(BookingStatus::Fulfilled).unwrap(),
            [BookingStatus::EnteredInError]
        );
        assert!(is_terminal(BookingStatus::Noshow));
        assert!(!is_terminal(BookingStatus::Booked));
        assert!(reason_required(
            BookingStatus::Booked,
            BookingStatus::Cancelled
        ));
        assert!(!reason_required(
            BookingStatus::Held,
            BookingStatus::Cancelled
        ));
        assert_eq!(
            allowed_actors(BookingStatus::Fulfilled, BookingStatus::Booked).unwrap(),
            None
        );
        let ledger = Ledger::new();
        ledger.insert(appt()).unwrap();
        // A no-show only from 15 minutes after the start.
        let e = ledger
            .apply_transition(
                "a1".into(),
                BookingStatus::Noshow,
                Party::Staff,
                t("2026-05-04T09:10:00Z"),
                None,
                None,
            )
            .unwrap_err();
        assert!(matches!(e, HcasError::InvalidTransition { .. }), "{e:?}");
        let done = ledger
            .apply_transition(
                "a1".into(),
                BookingStatus::Noshow,
                Party::Staff,
                t("2026-05-04T09:15:00Z"),
                None,
                None,
            )
            .unwrap();
        assert_eq!(done.from, BookingStatus::Booked);
        assert_eq!(done.outcomes, [TransitionOutcome::NoShow]);
        assert_eq!(
            ledger.get("a1".into()).unwrap().unwrap().status,
            BookingStatus::Noshow
        );
        let e = ledger
            .apply_transition(
                "zz".into(),
                BookingStatus::Noshow,
                Party::Staff,
                t("2026-05-04T09:15:00Z"),
                None,
                None,
            )
            .unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }
}
