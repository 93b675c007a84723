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
* consent: :func:`decide` and :func:`booking_allowed` over :class:`Consent`
  values (:class:`Provision`, :class:`Match`, :class:`Period`; FHIR R4/R5
  with :meth:`Consent.from_fhir` and :meth:`Consent.to_fhir`), a
  :class:`ConsentRequest` by an :class:`Accessor` and a :class:`RolePolicy`,
  answered by a :class:`Decision`; the vocabularies are enums (:class:`Role`,
  :class:`Category`, :class:`Action`, :class:`Purpose`, :class:`Effect`,
  :class:`Basis`, ...);
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


__all__ = [
    "AUDIT_BREAK_GLASS",
    "BOOKING_PURPOSE",
    "BREAK_GLASS_SECONDS",
    "CONSENT_VOCABULARY",
    "ERROR_CODES",
    "KINDS",
    "MAX_PROVISION_DEPTH",
    "STATUSES",
    "TELEHEALTH_LABEL",
    "TZDB_VERSION",
    "Accessor",
    "Action",
    "AppointmentKind",
    "Availability",
    "Basis",
    "Booking",
    "BookingQuestion",
    "BookingVerdict",
    "BreakGlass",
    "Category",
    "CompiledConsents",
    "Conflict",
    "Consent",
    "ConsentRequest",
    "ConsentStatus",
    "DateOverride",
    "Decision",
    "Effect",
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
    "LimitExceededError",
    "Match",
    "NotPermittedError",
    "Occurrences",
    "Period",
    "Provision",
    "Purpose",
    "Recurrence",
    "Refusal",
    "RefusalCheck",
    "Rights",
    "Role",
    "RolePolicy",
    "Status",
    "WorkingRule",
    "Zone",
    "__version__",
    "booking_allowed",
    "check_vector",
    "decide",
    "evaluate",
    "pooled_slots",
]
