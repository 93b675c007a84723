//! The table of legal status changes and who may make them.

use super::Party;
use crate::booking::Status;

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
