"""hcas: the hcas scheduling engine for Python.

Time zones, RFC 5545 recurrence, availability and slots, computed by the
same Rust engine (``hcas_core``) as every other hcas front door, so the
answers are the same everywhere.

Two levels:

* typed: :class:`Zone`, :class:`Recurrence`, :class:`WorkingRule`,
  :class:`DateOverride`, :class:`Availability` and :func:`pooled_slots`, with aware
  :class:`datetime.datetime` in and out (naive ones are refused where an
  instant is meant) and :class:`datetime.timedelta` durations;
* dicts: :func:`evaluate` takes and returns the vector JSON shapes of
  ``docs/vectors.md`` (``hcas.KINDS``), for pipelines.

Every error is an :class:`HcasError` subclass, one per error family, with the
stable ``code`` and a ``message`` saying what to fix. The GIL is released
while the engine computes, so a thread pool runs queries in parallel.
"""

from hcas._hcas import (
    ERROR_CODES,
    KINDS,
    TZDB_VERSION,
    Availability,
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

__all__ = [
    "ERROR_CODES",
    "KINDS",
    "TZDB_VERSION",
    "Availability",
    "DateOverride",
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
    "LimitExceededError",
    "NotPermittedError",
    "Occurrences",
    "Recurrence",
    "WorkingRule",
    "Zone",
    "__version__",
    "check_vector",
    "evaluate",
    "pooled_slots",
]
