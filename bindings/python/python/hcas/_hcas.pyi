"""Type stubs of hcas._hcas, the native module (re-exported by ``hcas``)."""

import array
import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Optional, Union

from typing_extensions import TypeAlias

__version__: Final[str]
#: The vector kinds :func:`evaluate` knows.
KINDS: Final[list[str]]
#: The IANA tz database release the engine embeds, e.g. ``"2025b"``.
TZDB_VERSION: Final[str]
#: The wire names of every appointment status (the values of ``hcas.Status``).
STATUSES: Final[list[str]]
#: Every stable error code, e.g. ``"invalid_rrule"``.
ERROR_CODES: Final[list[str]]

if TYPE_CHECKING:
    from hcas import Status

ZoneLike: TypeAlias = Union["Zone", str, datetime.tzinfo]
LocalTimeLike: TypeAlias = Union[datetime.time, str]
Json: TypeAlias = Any

class HcasError(ValueError):
    """Any engine error: ``code`` is stable, ``message`` says what to fix."""

    code: str
    message: str

class InvalidRruleError(HcasError):
    """``invalid_rrule``: malformed RRULE text or a broken RFC 5545 constraint."""

class InvalidTimezoneError(HcasError):
    """``invalid_timezone``: not an IANA zone the engine knows."""

class InvalidDatetimeError(HcasError):
    """``invalid_datetime``: a malformed, impossible or naive datetime."""

class InvalidIntervalError(HcasError):
    """``invalid_interval``: an end not after its start."""

class InvalidDurationError(HcasError):
    """``invalid_duration``: not a positive whole number of minutes."""

class InvalidWindowError(HcasError):
    """``invalid_window``: a query beyond the engine's documented maximum."""

class InvalidConsentError(HcasError):
    """``invalid_consent``: a consent that breaks the consent model."""

class InvalidRequestError(HcasError):
    """``invalid_request``: a missing or unknown field, a wrong type."""

class InvalidTransitionError(HcasError):
    """``invalid_transition``: a lifecycle change not allowed now."""

class NotPermittedError(HcasError):
    """``not_permitted``: the actor's role may not make this change."""

class LimitExceededError(HcasError):
    """``limit_exceeded``: an input beyond a documented size limit."""

def evaluate(kind: str, input: Mapping[str, Json]) -> dict[str, Json]:
    """Evaluate one input of ``kind`` in its vector JSON shape (``docs/vectors.md``)."""

def check_vector(case: Mapping[str, Json], answer: Union[Mapping[str, Json], str]) -> Optional[str]:
    """Judge an answer (output dict or error code) to a vector: ``None`` or the failure line."""

class Zone:
    """An IANA time zone of the engine's embedded tz database."""

    def __init__(self, name: ZoneLike) -> None: ...
    @property
    def name(self) -> str:
        """The IANA name."""
    def offset_at(self, at: datetime.datetime) -> datetime.timedelta:
        """The UTC offset in force at the aware instant ``at``."""
    def to_local(self, at: datetime.datetime) -> datetime.datetime:
        """The wall time (naive) at the aware instant ``at``."""
    def resolve(self, local: datetime.datetime) -> datetime.datetime:
        """The instant (aware, UTC) of the naive wall time ``local``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Occurrences(Iterator[datetime.datetime]):
    """The occurrences of a :class:`Recurrence`, ascending, lazily (aware UTC datetimes)."""

    def __iter__(self) -> "Occurrences": ...
    def __next__(self) -> datetime.datetime: ...

class Recurrence:
    """An RRULE from a wall-time ``dtstart`` in a zone, with EXDATEs and RDATEs."""

    def __init__(
        self,
        rrule: str,
        dtstart: datetime.datetime,
        zone: Optional[ZoneLike] = None,
        exdates: Optional[Iterable[datetime.datetime]] = None,
        rdates: Optional[Iterable[datetime.datetime]] = None,
    ) -> None: ...
    @property
    def rrule(self) -> str:
        """The rule, as normalised RRULE text."""
    @property
    def dtstart(self) -> datetime.datetime:
        """The first occurrence's wall time (naive)."""
    @property
    def zone(self) -> Zone:
        """The zone of the wall times."""
    @property
    def exdates(self) -> tuple[datetime.datetime, ...]:
        """The EXDATEs (naive wall times), ascending."""
    @property
    def rdates(self) -> tuple[datetime.datetime, ...]:
        """The RDATEs (naive wall times), as given."""
    def between(
        self, start: datetime.datetime, end: datetime.datetime, limit: Optional[int] = None
    ) -> list[datetime.datetime]:
        """Occurrences in ``[start, end)``, ascending, at most ``limit``."""
    def between_epoch(
        self, start: datetime.datetime, end: datetime.datetime, limit: Optional[int] = None
    ) -> "array.array[int]":
        """As :meth:`between`, as Unix seconds in one ``array.array("q")``."""
    def iter_from(self, start: datetime.datetime) -> Occurrences:
        """The occurrences at or after ``start``, lazily."""
    def __iter__(self) -> Occurrences: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class WorkingRule:
    """Working hours from ``start`` to ``end`` on the days of an RRULE, from ``dtstart``."""

    def __init__(
        self, rrule: str, start: LocalTimeLike, end: LocalTimeLike, dtstart: datetime.date
    ) -> None: ...
    @property
    def rrule(self) -> str:
        """The rule, as normalised RRULE text."""
    @property
    def dtstart(self) -> datetime.date:
        """The local date the rule starts on."""
    @property
    def start(self) -> str:
        """The opening wall time, ``"HH:MM"``."""
    @property
    def end(self) -> str:
        """The closing wall time, ``"HH:MM"`` (``"24:00"`` for the end of the day)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class DateOverride:
    """Different hours (or closed, with no windows) on one local date."""

    def __init__(
        self,
        date: datetime.date,
        windows: Optional[Iterable[tuple[LocalTimeLike, LocalTimeLike]]] = None,
    ) -> None: ...
    @property
    def date(self) -> datetime.date:
        """The local date."""
    @property
    def windows(self) -> list[tuple[str, str]]:
        """The windows, as ``("HH:MM", "HH:MM")`` pairs."""
    @property
    def closed(self) -> bool:
        """Whether the date is closed."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Availability:
    """One provider's working rules, date overrides and busy time in a zone."""

    def __init__(
        self,
        zone: ZoneLike,
        rules: Optional[Iterable[WorkingRule]] = None,
        overrides: Optional[Iterable[DateOverride]] = None,
        busy: Optional[Iterable[Sequence[datetime.datetime]]] = None,
    ) -> None: ...
    @property
    def zone(self) -> Zone:
        """The zone of the working rules."""
    @property
    def rules(self) -> list[WorkingRule]:
        """The working rules, in the order given."""
    @property
    def overrides(self) -> list[DateOverride]:
        """The date overrides, by date."""
    @property
    def busy(self) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The busy time, merged, as aware UTC (start, end) pairs."""
    def with_busy(self, busy: Iterable[Sequence[datetime.datetime]]) -> "Availability":
        """A copy with more busy time."""
    def slots(
        self,
        start: datetime.datetime,
        end: datetime.datetime,
        duration: datetime.timedelta,
        *,
        step: Optional[datetime.timedelta] = None,
        buffer_before: Optional[datetime.timedelta] = None,
        buffer_after: Optional[datetime.timedelta] = None,
        now: Optional[datetime.datetime] = None,
        min_notice: Optional[datetime.timedelta] = None,
        horizon: Optional[datetime.timedelta] = None,
    ) -> list[datetime.datetime]:
        """Slot starts (aware UTC) in ``[start, end)`` for appointments of ``duration``."""
    def slots_epoch(
        self,
        start: datetime.datetime,
        end: datetime.datetime,
        duration: datetime.timedelta,
        *,
        step: Optional[datetime.timedelta] = None,
        buffer_before: Optional[datetime.timedelta] = None,
        buffer_after: Optional[datetime.timedelta] = None,
        now: Optional[datetime.datetime] = None,
        min_notice: Optional[datetime.timedelta] = None,
        horizon: Optional[datetime.timedelta] = None,
    ) -> "array.array[int]":
        """As :meth:`slots`, as Unix seconds in one ``array.array("q")``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def pooled_slots(
    providers: Sequence[Availability],
    start: datetime.datetime,
    end: datetime.datetime,
    duration: datetime.timedelta,
    *,
    step: Optional[datetime.timedelta] = None,
    buffer_before: Optional[datetime.timedelta] = None,
    buffer_after: Optional[datetime.timedelta] = None,
    now: Optional[datetime.datetime] = None,
    min_notice: Optional[datetime.timedelta] = None,
    horizon: Optional[datetime.timedelta] = None,
) -> list[tuple[datetime.datetime, tuple[int, ...]]]:
    """Slot starts over several providers, each with the indexes of those free at it."""

class Booking:
    """One booking of ``resources`` over ``[start, end)``; ``Status.BOOKED`` by default."""

    def __init__(
        self,
        id: str,
        resources: Iterable[str],
        start: datetime.datetime,
        end: datetime.datetime,
        status: Union["Status", str, None] = None,
        hold_expires: Optional[datetime.datetime] = None,
        series: Optional["SeriesRef"] = None,
        cancel_reason: Optional[str] = None,
    ) -> None: ...
    @property
    def id(self) -> str:
        """The booking's id."""
    @property
    def resources(self) -> tuple[str, ...]:
        """The resources it uses, as given."""
    @property
    def start(self) -> datetime.datetime:
        """Its start (aware, UTC)."""
    @property
    def end(self) -> datetime.datetime:
        """Its end (aware, UTC)."""
    @property
    def status(self) -> "Status":
        """Its status."""
    @property
    def hold_expires(self) -> Optional[datetime.datetime]:
        """For a hold: when it lapses (aware, UTC); else ``None``."""
    @property
    def series(self) -> Optional["SeriesRef"]:
        """The series occurrence it is, or ``None``."""
    @property
    def cancel_reason(self) -> Optional[str]:
        """Why it was cancelled (or entered in error), or ``None``."""
    def blocks(self, now: datetime.datetime) -> bool:
        """Whether it occupies its resources at ``now`` (a hold only until it lapses)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Conflict:
    """A conflicting resource and the ids of the bookings on it that overlap (sorted)."""

    def __init__(self, resource: str, bookings: Iterable[str]) -> None: ...
    @property
    def resource(self) -> str:
        """The resource taken."""
    @property
    def bookings(self) -> tuple[str, ...]:
        """The ids of the bookings that take it, sorted."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Ledger:
    """The bookings ledger: bookings by resource, capacities, and the conflict check (mutable state, equal only to itself)."""

    def __init__(self, bookings: Optional[Iterable[Booking]] = None) -> None: ...
    def __len__(self) -> int: ...
    def insert(self, booking: Booking) -> None:
        """Add a booking without a conflict check; a duplicate id raises ``InvalidRequestError``."""
    def get(self, id: str) -> Optional[Booking]:
        """The booking with this id, or ``None``."""
    def remove(self, id: str) -> Optional[Booking]:
        """Take the booking with this id out of the ledger."""
    def bookings(self) -> list[Booking]:
        """Every booking, by start, then id."""
    def set_capacity(self, resource: str, capacity: int) -> None:
        """Let ``capacity`` (at least 1) bookings overlap on ``resource``."""
    def capacity(self, resource: str) -> int:
        """The capacity of ``resource`` (1 unless set)."""
    def check(
        self,
        resources: Iterable[str],
        start: datetime.datetime,
        end: datetime.datetime,
        now: datetime.datetime,
    ) -> list[Conflict]:
        """The conflicts in the way of booking ``resources`` over ``[start, end)`` at ``now``; empty: free."""

# --- series, lifecycle, waitlist ---

if TYPE_CHECKING:
    from hcas import EditScope, OutcomeKind, Party, SeriesPolicy

#: The wire names of every party (the values of ``hcas.Party``).
PARTIES: Final[list[str]]

PartyLike: TypeAlias = Union["Party", str]
StatusLike: TypeAlias = Union["Status", str]

class LifecyclePolicy:
    """The clinic's timing rules: late cancellation, no-show grace, check-in opening."""

    def __init__(
        self,
        late_cancel: Optional[datetime.timedelta] = None,
        noshow_grace: Optional[datetime.timedelta] = None,
        checkin_opens: Optional[datetime.timedelta] = None,
    ) -> None:
        """Defaults (``None``): 24 hours, 15 minutes, 60 minutes (the engine's)."""
    @property
    def late_cancel(self) -> datetime.timedelta:
        """A cancellation less than this long before the start is late."""
    @property
    def noshow_grace(self) -> datetime.timedelta:
        """A booked patient becomes a no-show this long after the start."""
    @property
    def checkin_opens(self) -> datetime.timedelta:
        """Arrival and check-in open this long before the start."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class TransitionRequest:
    """``actor`` asks at ``now`` to move a booking to ``to``, with an optional ``reason``."""

    def __init__(self, to: StatusLike, actor: PartyLike, now: datetime.datetime, reason: Optional[str] = None) -> None: ...
    @property
    def to(self) -> "Status":
        """The status wanted."""
    @property
    def actor(self) -> "Party":
        """Who asks."""
    @property
    def now(self) -> datetime.datetime:
        """The current instant (aware, UTC)."""
    @property
    def reason(self) -> Optional[str]:
        """Why, or ``None``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Outcome:
    """A consequence of a transition; a late cancellation carries ``minutes_before_start``."""

    def __init__(
        self, kind: Union["OutcomeKind", str], minutes_before_start: Optional[datetime.timedelta] = None
    ) -> None: ...
    @property
    def kind(self) -> "OutcomeKind":
        """What happened."""
    @property
    def minutes_before_start(self) -> Optional[datetime.timedelta]:
        """For a late cancellation: how long before the start (whole minutes); else ``None``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Transitioned:
    """An allowed transition: the status before and after, and its outcomes."""

    def __init__(self, from_: StatusLike, to: StatusLike, outcomes: Iterable[Outcome]) -> None: ...
    @property
    def from_(self) -> "Status":
        """The status before."""
    @property
    def to(self) -> "Status":
        """The status after."""
    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """What follows, in the engine's order."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def transition(booking: Booking, request: TransitionRequest, policy: Optional[LifecyclePolicy] = None) -> Transitioned:
    """Whether ``request`` may move ``booking``, and what follows; changes nothing."""

def apply(ledger: Ledger, id: str, request: TransitionRequest, policy: Optional[LifecyclePolicy] = None) -> Transitioned:
    """:func:`transition` for the booking ``id`` in ``ledger``, then record the new status."""

def legal_targets(from_: StatusLike) -> list["Status"]:
    """The statuses ``from_`` may legally move to."""

def allowed_actors(from_: StatusLike, to: StatusLike) -> Optional[list["Party"]]:
    """Who may move ``from_`` to ``to``; ``None`` when the change is not legal."""

def reason_required(from_: StatusLike, to: StatusLike) -> bool:
    """Whether the change needs a non-blank reason."""

def is_terminal(status: StatusLike) -> bool:
    """Whether no change but entered-in-error leaves ``status``."""

class SeriesRef:
    """One occurrence of a series: the series id and its recurrence id (original local start)."""

    def __init__(self, id: str, recurrence_id: Union[str, datetime.datetime]) -> None: ...
    @property
    def id(self) -> str:
        """The series id."""
    @property
    def recurrence_id(self) -> str:
        """The original local start, ``"YYYY-MM-DDTHH:MM:SS"``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class OccurrenceResult:
    """One occurrence's answer: id, recurrence id, times, free or not, conflicts, booked."""

    def __init__(
        self,
        id: str,
        recurrence_id: str,
        start: datetime.datetime,
        end: datetime.datetime,
        ok: bool,
        conflicts: Optional[Iterable[Conflict]] = None,
        booked: bool = False,
    ) -> None: ...
    @property
    def id(self) -> str:
        """The occurrence's booking id."""
    @property
    def recurrence_id(self) -> str:
        """Its original local start."""
    @property
    def start(self) -> datetime.datetime:
        """Its start (aware, UTC)."""
    @property
    def end(self) -> datetime.datetime:
        """Its end (aware, UTC)."""
    @property
    def ok(self) -> bool:
        """Whether it is free."""
    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        """What stands in the way."""
    @property
    def booked(self) -> bool:
        """Whether this call booked (or moved) it."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class SeriesResult:
    """The answer for a whole series."""

    def __init__(self, booked: bool, occurrences: Iterable[OccurrenceResult]) -> None: ...
    @property
    def booked(self) -> bool:
        """Whether anything was booked."""
    @property
    def occurrences(self) -> tuple[OccurrenceResult, ...]:
        """Every occurrence's answer, in order."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class SeriesSpec:
    """A recurring appointment: id, recurrence, duration, resources, and ``until`` for an open rule."""

    def __init__(
        self,
        id: str,
        recurrence: Recurrence,
        duration: datetime.timedelta,
        resources: Iterable[str],
        until: Optional[datetime.datetime] = None,
    ) -> None: ...
    @property
    def id(self) -> str:
        """The series id."""
    @property
    def recurrence(self) -> Recurrence:
        """The recurrence."""
    @property
    def duration(self) -> datetime.timedelta:
        """The length of each occurrence."""
    @property
    def resources(self) -> tuple[str, ...]:
        """The resources every occurrence uses."""
    @property
    def until(self) -> Optional[datetime.datetime]:
        """The exclusive end of an open-ended rule, or ``None``."""
    def occurrences(self) -> list[tuple[datetime.datetime, datetime.datetime, datetime.datetime]]:
        """Validate and list ``(recurrence id as naive wall time, start, end)``, by start."""
    def plan(self, ledger: Ledger, now: datetime.datetime) -> list[OccurrenceResult]:
        """Check every occurrence without booking."""
    def book(
        self, ledger: Ledger, now: datetime.datetime, policy: Union["SeriesPolicy", str, None] = None
    ) -> SeriesResult:
        """Plan, then book all or nothing (default) or the free occurrences."""
    def occurrence_id(self, local: datetime.datetime) -> str:
        """The booking id of the occurrence whose original local start is ``local``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class WallShift:
    """A shift in wall-clock time: calendar days, then minutes."""

    def __init__(self, days: int = 0, minutes: Optional[datetime.timedelta] = None) -> None: ...
    @property
    def days(self) -> int:
        """Calendar days."""
    @property
    def minutes(self) -> datetime.timedelta:
        """Wall-clock time after the days."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class SeriesEdit:
    """A series edit that moves occurrences (one, this and following, all)."""

    def __init__(
        self,
        occurrence: SeriesRef,
        scope: Union["EditScope", str],
        zone: ZoneLike,
        actor: PartyLike,
        shift: Optional[WallShift] = None,
        duration: Optional[datetime.timedelta] = None,
        reason: Optional[str] = None,
        policy: Optional[LifecyclePolicy] = None,
    ) -> None: ...
    @property
    def occurrence(self) -> SeriesRef:
        """The occurrence the scope starts from."""
    @property
    def scope(self) -> "EditScope":
        """Which occurrences."""
    @property
    def zone(self) -> Zone:
        """The series' zone."""
    @property
    def actor(self) -> "Party":
        """Who asks."""
    @property
    def shift(self) -> WallShift:
        """How far each occurrence moves."""
    @property
    def duration(self) -> Optional[datetime.timedelta]:
        """The new length of each occurrence, or ``None``."""
    @property
    def reason(self) -> Optional[str]:
        """Why, or ``None``."""
    @property
    def policy(self) -> LifecyclePolicy:
        """The clinic's lifecycle timing rules."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class SeriesCancel:
    """A series edit that cancels occurrences through the lifecycle."""

    def __init__(
        self,
        occurrence: SeriesRef,
        scope: Union["EditScope", str],
        actor: PartyLike,
        reason: str,
        policy: Optional[LifecyclePolicy] = None,
    ) -> None: ...
    @property
    def occurrence(self) -> SeriesRef:
        """The occurrence the scope starts from."""
    @property
    def scope(self) -> "EditScope":
        """Which occurrences."""
    @property
    def actor(self) -> "Party":
        """Who asks."""
    @property
    def reason(self) -> str:
        """Why."""
    @property
    def policy(self) -> LifecyclePolicy:
        """The clinic's lifecycle timing rules."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Skipped:
    """An occurrence an edit left alone, with the lifecycle's error code and message."""

    def __init__(self, id: str, recurrence_id: str, status: StatusLike, code: str, message: str) -> None: ...
    @property
    def id(self) -> str:
        """The occurrence's booking id."""
    @property
    def recurrence_id(self) -> str:
        """Its original local start."""
    @property
    def status(self) -> "Status":
        """Its status, unchanged."""
    @property
    def code(self) -> str:
        """Why, as the stable error code."""
    @property
    def message(self) -> str:
        """Why, in words."""
    @property
    def error(self) -> HcasError:
        """Why, as the exception of its code (not raised)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class EditResult:
    """The answer to :func:`shift_occurrences`."""

    def __init__(self, applied: bool, occurrences: Iterable[OccurrenceResult], skipped: Iterable[Skipped]) -> None: ...
    @property
    def applied(self) -> bool:
        """Whether every occurrence moved (when false, nothing changed)."""
    @property
    def occurrences(self) -> tuple[OccurrenceResult, ...]:
        """Every occurrence the edit moves (or would move)."""
    @property
    def skipped(self) -> tuple[Skipped, ...]:
        """The occurrences in scope left as they are."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class CancelledOccurrence:
    """One occurrence cancelled: id, recurrence id, status before, outcomes."""

    def __init__(self, id: str, recurrence_id: str, from_: StatusLike, outcomes: Iterable[Outcome]) -> None: ...
    @property
    def id(self) -> str:
        """The occurrence's booking id."""
    @property
    def recurrence_id(self) -> str:
        """Its original local start."""
    @property
    def from_(self) -> "Status":
        """Its status before."""
    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """What follows."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class CancelResult:
    """The answer to :func:`cancel_occurrences` and :func:`plan_cancel`."""

    def __init__(self, cancelled: Iterable[CancelledOccurrence], skipped: Iterable[Skipped]) -> None: ...
    @property
    def cancelled(self) -> tuple[CancelledOccurrence, ...]:
        """The occurrences cancelled, by start."""
    @property
    def skipped(self) -> tuple[Skipped, ...]:
        """The occurrences in scope left as they are."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Move:
    """One planned move: id, recurrence id, new start and end."""

    def __init__(self, id: str, recurrence_id: str, start: datetime.datetime, end: datetime.datetime) -> None: ...
    @property
    def id(self) -> str:
        """The occurrence's booking id."""
    @property
    def recurrence_id(self) -> str:
        """Its original local start."""
    @property
    def start(self) -> datetime.datetime:
        """The new start (aware, UTC)."""
    @property
    def end(self) -> datetime.datetime:
        """The new end (aware, UTC)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class ShiftPlan:
    """What a shift would do, before any conflict check."""

    def __init__(self, moves: Iterable[Move], skipped: Iterable[Skipped]) -> None: ...
    @property
    def moves(self) -> tuple[Move, ...]:
        """The moves, by original start."""
    @property
    def skipped(self) -> tuple[Skipped, ...]:
        """The occurrences in scope left as they are."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def shift_occurrences(ledger: Ledger, edit: SeriesEdit, now: datetime.datetime) -> EditResult:
    """Move occurrences of a series, all or nothing."""

def cancel_occurrences(ledger: Ledger, cancel: SeriesCancel, now: datetime.datetime) -> CancelResult:
    """Cancel occurrences of a series through the lifecycle."""

def plan_shift(bookings: Iterable[Booking], edit: SeriesEdit, now: datetime.datetime) -> ShiftPlan:
    """Plan a shift on a series' bookings, without conflict checks."""

def plan_cancel(bookings: Iterable[Booking], cancel: SeriesCancel, now: datetime.datetime) -> CancelResult:
    """Plan a cancellation on a series' bookings, changing nothing."""

def series_bookings(ledger: Ledger, series_id: str) -> list[Booking]:
    """The bookings of a series, by start, then id."""

class Preferences:
    """What a waiting patient accepts beyond provider and window."""

    def __init__(self, min_duration: Optional[datetime.timedelta] = None) -> None: ...
    @property
    def min_duration(self) -> Optional[datetime.timedelta]:
        """The shortest slot accepted, or ``None``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class WaitEntry:
    """One patient waiting for a slot with one provider."""

    def __init__(
        self,
        id: str,
        patient: str,
        provider: str,
        window: Sequence[datetime.datetime],
        created: datetime.datetime,
        preferences: Optional[Preferences] = None,
    ) -> None: ...
    @property
    def id(self) -> str:
        """The entry's id."""
    @property
    def patient(self) -> str:
        """The patient resource."""
    @property
    def provider(self) -> str:
        """The provider resource wanted."""
    @property
    def window(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The time range accepted (aware, UTC)."""
    @property
    def created(self) -> datetime.datetime:
        """When the patient joined the list."""
    @property
    def preferences(self) -> Preferences:
        """Further conditions on the slot."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Offer:
    """A freed slot offered to a waiting patient, held until ``hold_expires``."""

    def __init__(
        self,
        entry_id: str,
        patient: str,
        start: datetime.datetime,
        end: datetime.datetime,
        hold_expires: datetime.datetime,
    ) -> None: ...
    @property
    def entry_id(self) -> str:
        """The waitlist entry served."""
    @property
    def patient(self) -> str:
        """Its patient resource."""
    @property
    def start(self) -> datetime.datetime:
        """The slot's start (aware, UTC)."""
    @property
    def end(self) -> datetime.datetime:
        """The slot's end (aware, UTC)."""
    @property
    def hold_expires(self) -> datetime.datetime:
        """When the offer lapses (aware, UTC)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Waitlist:
    """Waiting patients in serving order (mutable; equal by entries, unhashable)."""

    def __init__(self, entries: Optional[Iterable[WaitEntry]] = None) -> None: ...
    def __len__(self) -> int: ...
    def add(self, entry: WaitEntry) -> None:
        """Add an entry in its place; a used id raises ``InvalidRequestError``."""
    def remove(self, id: str) -> Optional[WaitEntry]:
        """Remove and return the entry with this id."""
    def remove_expired(self, now: datetime.datetime) -> list[WaitEntry]:
        """Remove the entries whose window has ended by ``now``."""
    def entries(self) -> list[WaitEntry]:
        """The entries in serving order."""
    def get(self, id: str) -> Optional[WaitEntry]:
        """The entry with this id, or ``None``."""
    def offer(self, freed: Booking, ledger: Ledger, now: datetime.datetime, hold: datetime.timedelta) -> Optional[Offer]:
        """The offer of the slot ``freed`` leaves to the first entry that qualifies, or ``None``."""
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

def make_hold(offer: Offer, provider: str, id: str) -> Booking:
    """The held booking ``id`` that reserves ``offer`` for its patient with ``provider``."""
