"""hcas: the hcas scheduling engine for Python.

Time zones, RFC 5545 recurrence, availability and slots, computed by the
same Rust engine (``hcas_core``) as every other hcas front door, so the
answers are the same everywhere.

Two levels:

* typed: :class:`Zone`, :class:`Recurrence`, :class:`WorkingRule`,
  :class:`DateOverride`, :class:`Availability` and :func:`pooled_slots`, the
  bookings ledger :class:`Ledger` of :class:`Booking` values with its conflict
  check (:class:`Conflict`) and statuses as the enum :class:`Status`, with aware
  :class:`datetime.datetime` in and out (naive ones are refused where an
  instant is meant) and :class:`datetime.timedelta` durations;
* on the ledger: recurring series (:class:`SeriesSpec`, booked all or nothing
  or where free, and edited by RFC 5545 range with :func:`shift_occurrences`
  and :func:`cancel_occurrences`), the appointment lifecycle
  (:class:`TransitionRequest` by a :class:`Party` under a
  :class:`LifecyclePolicy`, :func:`transition` and :func:`apply`, and what
  follows as :class:`Outcome` values), and the waitlist (:class:`Waitlist` of
  :class:`WaitEntry`, its :class:`Offer` and :func:`make_hold`);
* dicts: :func:`evaluate` takes and returns the vector JSON shapes of
  ``docs/vectors.md`` (``hcas.KINDS``), for pipelines.

Every error is an :class:`HcasError` subclass, one per error family, with the
stable ``code`` and a ``message`` saying what to fix. The GIL is released
while the engine computes, so a thread pool runs queries in parallel.
"""

import enum

from hcas._hcas import (
    ERROR_CODES,
    KINDS,
    STATUSES,
    TZDB_VERSION,
    Availability,
    Booking,
    Conflict,
    DateOverride,
    HcasError,
    InvalidConsentError,
    InvalidDatetimeError,
    InvalidDurationError,
    InvalidIntervalError,
    InvalidRequestError,
    InvalidRruleError,
    InvalidTimezoneError,
    InvalidTransitionError,
    InvalidWindowError,
    Ledger,
    LimitExceededError,
    NotPermittedError,
    Occurrences,
    Recurrence,
    WorkingRule,
    Zone,
    __version__,
    check_vector,
    evaluate,
    pooled_slots,
)
from hcas._hcas import (
    PARTIES,
    CancelledOccurrence,
    CancelResult,
    EditResult,
    LifecyclePolicy,
    Move,
    OccurrenceResult,
    Offer,
    Outcome,
    Preferences,
    SeriesCancel,
    SeriesEdit,
    SeriesRef,
    SeriesResult,
    SeriesSpec,
    ShiftPlan,
    Skipped,
    Transitioned,
    TransitionRequest,
    WaitEntry,
    Waitlist,
    WallShift,
    allowed_actors,
    apply,
    cancel_occurrences,
    is_terminal,
    legal_targets,
    make_hold,
    plan_cancel,
    plan_shift,
    reason_required,
    series_bookings,
    shift_occurrences,
    transition,
)


class Status(enum.Enum):
    """An appointment's status: FHIR R4 ``Appointment.status`` plus ``held``.

    The values are the engine's wire names (``hcas.STATUSES``, in its order);
    anywhere a status is asked for, the wire name does as well.
    """

    PROPOSED = "proposed"
    PENDING = "pending"
    BOOKED = "booked"
    ARRIVED = "arrived"
    CHECKED_IN = "checked-in"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"
    ENTERED_IN_ERROR = "entered-in-error"
    WAITLIST = "waitlist"
    HELD = "held"


class Party(enum.Enum):
    """Who asks for a status change (``hcas_core::lifecycle::Party``).

    The values are the engine's wire names (``hcas.PARTIES``, in its order);
    anywhere a party is asked for, the wire name does as well.
    """

    PATIENT = "patient"
    PRACTITIONER = "practitioner"
    STAFF = "staff"
    SYSTEM = "system"


class OutcomeKind(enum.Enum):
    """What follows from a transition (the ``kind`` of an :class:`Outcome`).

    The values are the engine's wire names (the ``outcome`` tag of the
    ``transition`` vectors).
    """

    CANCELLED = "cancelled"
    LATE_CANCELLATION = "late_cancellation"
    NO_SHOW = "no_show"
    SLOT_FREED = "slot_freed"


class SeriesPolicy(enum.Enum):
    """What :meth:`SeriesSpec.book` does when some occurrences conflict.

    ``ALL_OR_NOTHING`` (the default) books every occurrence or none;
    ``BOOK_FREE`` books the free ones. The values are the wire names.
    """

    ALL_OR_NOTHING = "all_or_nothing"
    BOOK_FREE = "book_free"


class EditScope(enum.Enum):
    """Which occurrences a series edit applies to (RFC 5545 ``RANGE``).

    ``THIS``: the named occurrence; ``THIS_AND_FOLLOWING``: it and every
    later one (``RANGE=THISANDFUTURE``); ``ALL``: every occurrence. The values
    are the wire names.
    """

    THIS = "this"
    THIS_AND_FOLLOWING = "this_and_following"
    ALL = "all"


__all__ = [
    "ERROR_CODES",
    "KINDS",
    "PARTIES",
    "STATUSES",
    "TZDB_VERSION",
    "Availability",
    "Booking",
    "CancelledOccurrence",
    "CancelResult",
    "Conflict",
    "DateOverride",
    "EditResult",
    "EditScope",
    "HcasError",
    "InvalidConsentError",
    "InvalidDatetimeError",
    "InvalidDurationError",
    "InvalidIntervalError",
    "InvalidRequestError",
    "InvalidRruleError",
    "InvalidTimezoneError",
    "InvalidTransitionError",
    "InvalidWindowError",
    "Ledger",
    "LifecyclePolicy",
    "LimitExceededError",
    "Move",
    "NotPermittedError",
    "OccurrenceResult",
    "Occurrences",
    "Offer",
    "Outcome",
    "OutcomeKind",
    "Party",
    "Preferences",
    "Recurrence",
    "SeriesCancel",
    "SeriesEdit",
    "SeriesPolicy",
    "SeriesRef",
    "SeriesResult",
    "SeriesSpec",
    "ShiftPlan",
    "Skipped",
    "Status",
    "Transitioned",
    "TransitionRequest",
    "WaitEntry",
    "Waitlist",
    "WallShift",
    "WorkingRule",
    "Zone",
    "__version__",
    "allowed_actors",
    "apply",
    "cancel_occurrences",
    "check_vector",
    "evaluate",
    "is_terminal",
    "legal_targets",
    "make_hold",
    "plan_cancel",
    "plan_shift",
    "pooled_slots",
    "reason_required",
    "series_bookings",
    "shift_occurrences",
    "transition",
]
