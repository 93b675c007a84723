"""hcas: the hcas scheduling engine for Python.

Time zones, RFC 5545 recurrence, availability and slots, computed by the
same Rust engine (``hcas_core``) as every other hcas front door, so the
answers are the same everywhere.

Two levels:

* typed: :class:`Zone`, :class:`Recurrence`, :class:`WorkingRule`,
  :class:`DateOverride`, :class:`Availability` and :func:`pooled_slots`, the
  bookings ledger :class:`Ledger` of :class:`Booking` values with its conflict
  check (:class:`Conflict`), its atomic operations (:meth:`Ledger.book` with an
  idempotency key, holds, reschedule, move) answering :class:`BookOutcome`
  values, and statuses as the enum :class:`Status`, with aware
  :class:`datetime.datetime` in and out (naive ones are refused where an
  instant is meant) and :class:`datetime.timedelta` durations;
* consent: :func:`decide` and :func:`booking_allowed` over :class:`Consent`
  values (:class:`Provision`, :class:`Match`, :class:`Period`; FHIR R4/R5
  with :meth:`Consent.from_fhir` and :meth:`Consent.to_fhir`), a
  :class:`ConsentRequest` by an :class:`Accessor` and a :class:`RolePolicy`,
  answered by a :class:`Decision`; the vocabularies are enums (:class:`Role`,
  :class:`Category`, :class:`Action`, :class:`Purpose`, :class:`Effect`,
  :class:`Basis`, ...);
* on the ledger: recurring series (:class:`SeriesSpec`, booked all or nothing
  or where free, and edited by RFC 5545 range with :func:`shift_occurrences`
  and :func:`cancel_occurrences`), the appointment lifecycle
  (:class:`TransitionRequest` by a :class:`Party` under a
  :class:`LifecyclePolicy`, :func:`transition` and :func:`apply`, and what
  follows as :class:`Outcome` values), and the waitlist (:class:`Waitlist` of
  :class:`WaitEntry`, its :class:`Offer` and :func:`make_hold`);
* dicts: :func:`evaluate` takes and returns the vector JSON shapes of
  ``docs/vectors.md`` (``hcas.KINDS``), for pipelines.

:meth:`Availability.explain` says why a start is not offered (every
:class:`Reason`), :func:`explain_with_ledger` adds a ledger's conflicts and
:func:`alternatives` finds the nearest free starts. The FHIR R4 mapping is a
set of functions named as the engine's (:func:`appointment_to_fhir`,
:func:`slot_from_fhir`, :func:`schedule_to_fhir`, :func:`searchset`,
:func:`series_from_fhir`, :func:`audit_event_to_fhir`, ...), FHIR resources
being plain dicts; the operations' :func:`read_parameters` and ``$find``
proposals (:func:`proposed_appointment`), and search values parsed and
matched (:class:`DateParam`, :class:`TokenParam`, :class:`ReferenceParam`).

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
    AUDIT_BREAK_GLASS,
    BREAK_GLASS_SECONDS,
    CONSENT_VOCABULARY,
    MAX_PROVISION_DEPTH,
    TELEHEALTH_LABEL,
    Accessor,
    BookingQuestion,
    BookingVerdict,
    BreakGlass,
    CompiledConsents,
    Consent,
    ConsentRequest,
    Decision,
    Match,
    Period,
    Provision,
    Refusal,
    Rights,
    RolePolicy,
    booking_allowed,
    decide,
)
from hcas._hcas import BOOKING_PURPOSE as _BOOKING_PURPOSE
from hcas._hcas import (
    ERROR_SYSTEM,
    SLOT_STATUSES,
    Alternatives,
    AuditFacts,
    Explanation,
    ExplanationReason,
    FhirSchedule,
    FhirSeries,
    FhirSlot,
    LedgerContext,
    RecurrenceTemplate,
    ScheduleAvailability,
    SearchEntry,
    alternatives,
    appointment_from_fhir,
    appointment_to_fhir,
    audit_event_to_fhir,
    conflict_outcome,
    explain_with_ledger,
    occurrence_to_fhir,
    operation_outcome,
    parse_slot_id,
    recurrence_numbers,
    schedule_from_fhir,
    schedule_to_fhir,
    searchset,
    searchset_page,
    series_from_fhir,
    series_to_fhir,
    slot_from_fhir,
    slot_to_fhir,
    slots_to_fhir,
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
from hcas._hcas import (
    IDEMPOTENCY_TTL,
    BookOutcome,
    series_conflict_outcome,
)
from hcas._hcas import (
    MAX_COUNT,
    SEARCH_PREFIXES,
    DateParam,
    Parameter,
    Proposal,
    ReferenceParam,
    TokenParam,
    parse_count,
    parse_proposal_id,
    proposal_id,
    proposed_appointment,
    read_parameters,
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


class BookOutcomeKind(enum.Enum):
    """What a booking operation of a :class:`Ledger` did (the ``kind`` of a
    :class:`BookOutcome`).

    ``BOOKED``: written now; ``EXISTING``: an idempotency key seen before
    answered with the booking it made, nothing new written; ``CONFLICT``:
    nothing written, conflicts stand in the way. The values are the engine's
    wire names (the ``outcome`` tag of :meth:`BookOutcome.to_dict`); anywhere
    a kind is asked for, the wire name does as well.
    """

    BOOKED = "booked"
    EXISTING = "existing"
    CONFLICT = "conflict"


class SearchPrefix(enum.Enum):
    """A FHIR search prefix of a :class:`DateParam` (``hcas_core::fhir::search::Prefix``).

    The values are the two-letter codes (``hcas.SEARCH_PREFIXES``, in its
    order); ``EQ`` when a value has none.
    """

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    LT = "lt"
    GE = "ge"
    LE = "le"
    SA = "sa"
    EB = "eb"


class Role(enum.Enum):
    """Who an actor is, as far as the consent role gate is concerned.

    The values are the engine's wire names (``hcas.CONSENT_VOCABULARY["Role"]``);
    anywhere a role is asked for, the wire name does as well.
    """

    PATIENT = "patient"
    DOCTOR = "doctor"
    NURSE = "nurse"
    ADMIN = "admin"
    RESEARCHER = "researcher"


class Category(enum.Enum):
    """What kind of a patient's data is accessed (wire names as values)."""

    APPOINTMENTS = "appointments"
    RECORDS = "records"
    NOTES = "notes"
    LABS = "labs"
    PSYCHOTHERAPY = "psychotherapy"


class Action(enum.Enum):
    """What is done with the data: read it, or write (create or change) it."""

    READ = "read"
    WRITE = "write"


class Purpose(enum.Enum):
    """Why the data is accessed: HL7 v3 ActReason codes (the wire names)."""

    TREAT = "TREAT"
    ETREAT = "ETREAT"
    HPAYMT = "HPAYMT"
    HOPERAT = "HOPERAT"
    HRESCH = "HRESCH"
    HMARKT = "HMARKT"


class Effect(enum.Enum):
    """Permit or deny: a consent's base decision, a provision's effect, a decision."""

    PERMIT = "permit"
    DENY = "deny"


class ConsentStatus(enum.Enum):
    """A consent's status; only ``ACTIVE`` consents count."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DRAFT = "draft"
    ENTERED_IN_ERROR = "entered-in-error"


class Basis(enum.Enum):
    """The step of the consent decision that decided (wire names as values)."""

    SELF = "self"
    ROLE = "role"
    BREAK_GLASS = "break-glass"
    CONSENT = "consent"
    DEFAULT = "default"


class AppointmentKind(enum.Enum):
    """In person or telehealth (which needs the patient's consent)."""

    IN_PERSON = "in_person"
    TELEHEALTH = "telehealth"


class RefusalCheck(enum.Enum):
    """The check of :func:`booking_allowed` that refused a booking."""

    ACCESS = "access"
    TELEHEALTH = "telehealth"
    GUARDIAN_MISSING = "guardian_missing"
    GUARDIAN = "guardian"


#: The purpose a booking is asked for (``Purpose.HOPERAT``: scheduling care is
#: a healthcare operation).
BOOKING_PURPOSE: Purpose = Purpose(_BOOKING_PURPOSE)
class Reason(enum.Enum):
    """Why a start is not offered: the kind of an :class:`ExplanationReason`.

    The values are the engine's wire names (``ExplanationReason.to_dict()["reason"]``).
    """

    OUTSIDE_QUERY = "outside_query"
    BEFORE_NOTICE = "before_notice"
    BEYOND_HORIZON = "beyond_horizon"
    OUTSIDE_WORKING_HOURS = "outside_working_hours"
    DOES_NOT_FIT = "does_not_fit"
    OFF_GRID = "off_grid"
    BUSY = "busy"
    BUFFER = "buffer"
    CONFLICT = "conflict"


class SlotStatus(enum.Enum):
    """FHIR R4 ``Slot.status``: the values are the R4 codes (``hcas.SLOT_STATUSES``, in
    its order); anywhere a slot status is asked for, the code does as well.
    """

    FREE = "free"
    BUSY = "busy"
    BUSY_TENTATIVE = "busy-tentative"
    BUSY_UNAVAILABLE = "busy-unavailable"
    ENTERED_IN_ERROR = "entered-in-error"


class RecurrenceType(enum.Enum):
    """R5 ``Appointment.recurrenceTemplate.recurrenceType`` of a :class:`RecurrenceTemplate`:
    the values are its UCUM codes; anywhere a recurrence type is asked for, the code does as well.
    """

    DAILY = "d"
    WEEKLY = "wk"
    MONTHLY = "mo"
    YEARLY = "a"
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
    "AUDIT_BREAK_GLASS",
    "Accessor",
    "Action",
    "Alternatives",
    "AppointmentKind",
    "AuditFacts",
    "Availability",
    "BOOKING_PURPOSE",
    "BREAK_GLASS_SECONDS",
    "Basis",
    "BookOutcome",
    "BookOutcomeKind",
    "Booking",
    "BookingQuestion",
    "BookingVerdict",
    "BreakGlass",
    "CONSENT_VOCABULARY",
    "CancelResult",
    "CancelledOccurrence",
    "Category",
    "CompiledConsents",
    "Conflict",
    "Consent",
    "ConsentRequest",
    "ConsentStatus",
    "DateOverride",
    "DateParam",
    "Decision",
    "ERROR_CODES",
    "ERROR_SYSTEM",
    "EditResult",
    "EditScope",
    "Effect",
    "Explanation",
    "ExplanationReason",
    "FhirSchedule",
    "FhirSeries",
    "FhirSlot",
    "HcasError",
    "IDEMPOTENCY_TTL",
    "InvalidConsentError",
    "InvalidDatetimeError",
    "InvalidDurationError",
    "InvalidIntervalError",
    "InvalidRequestError",
    "InvalidRruleError",
    "InvalidTimezoneError",
    "InvalidTransitionError",
    "InvalidWindowError",
    "KINDS",
    "Ledger",
    "LedgerContext",
    "LifecyclePolicy",
    "LimitExceededError",
    "MAX_COUNT",
    "MAX_PROVISION_DEPTH",
    "Match",
    "Move",
    "NotPermittedError",
    "OccurrenceResult",
    "Occurrences",
    "Offer",
    "Outcome",
    "OutcomeKind",
    "PARTIES",
    "Parameter",
    "Party",
    "Period",
    "Preferences",
    "Proposal",
    "Provision",
    "Purpose",
    "Reason",
    "Recurrence",
    "RecurrenceTemplate",
    "RecurrenceType",
    "ReferenceParam",
    "Refusal",
    "RefusalCheck",
    "Rights",
    "Role",
    "RolePolicy",
    "SEARCH_PREFIXES",
    "SLOT_STATUSES",
    "STATUSES",
    "ScheduleAvailability",
    "SearchEntry",
    "SearchPrefix",
    "SeriesCancel",
    "SeriesEdit",
    "SeriesPolicy",
    "SeriesRef",
    "SeriesResult",
    "SeriesSpec",
    "ShiftPlan",
    "Skipped",
    "SlotStatus",
    "Status",
    "TELEHEALTH_LABEL",
    "TZDB_VERSION",
    "TokenParam",
    "TransitionRequest",
    "Transitioned",
    "WaitEntry",
    "Waitlist",
    "WallShift",
    "WorkingRule",
    "Zone",
    "__version__",
    "allowed_actors",
    "alternatives",
    "apply",
    "appointment_from_fhir",
    "appointment_to_fhir",
    "audit_event_to_fhir",
    "booking_allowed",
    "cancel_occurrences",
    "check_vector",
    "conflict_outcome",
    "decide",
    "evaluate",
    "explain_with_ledger",
    "is_terminal",
    "legal_targets",
    "make_hold",
    "occurrence_to_fhir",
    "operation_outcome",
    "parse_count",
    "parse_proposal_id",
    "parse_slot_id",
    "plan_cancel",
    "plan_shift",
    "pooled_slots",
    "proposal_id",
    "proposed_appointment",
    "read_parameters",
    "reason_required",
    "recurrence_numbers",
    "schedule_from_fhir",
    "schedule_to_fhir",
    "searchset",
    "searchset_page",
    "series_bookings",
    "series_conflict_outcome",
    "series_from_fhir",
    "series_to_fhir",
    "shift_occurrences",
    "slot_from_fhir",
    "slot_to_fhir",
    "slots_to_fhir",
    "transition",
]
