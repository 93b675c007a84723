"""Type stubs of hcas._hcas, the native module (re-exported by ``hcas``)."""

import array
import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Optional, Union

from typing_extensions import TypeAlias

#: The package version (the workspace version of the engine it wraps).
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
    def explain(
        self,
        at: datetime.datetime,
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
    ) -> "Explanation":
        """Why ``at`` is (not) among :meth:`slots` with the same arguments, with every reason."""
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
        replaces: Optional[str] = None,
        replaced_by: Optional[str] = None,
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
    @property
    def replaces(self) -> Optional[str]:
        """The id of the booking this one replaces (a reschedule), or ``None``."""
    @property
    def replaced_by(self) -> Optional[str]:
        """The id of the booking that replaced this one (a reschedule), or ``None``."""
    def same_request(self, other: "Booking") -> bool:
        """Whether ``other`` asks for the same interval and resources (the idempotency key test)."""
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
        *,
        exclude: Optional[str] = None,
        extra: Optional[Iterable[Booking]] = None,
    ) -> list[Conflict]:
        """The conflicts in the way of booking ``resources`` over ``[start, end)`` at ``now``; empty: free.

        ``exclude``: a booking id to ignore; ``extra``: bookings to count as if in the ledger.
        """
    def book(
        self, booking: Booking, *, now: datetime.datetime, idempotency_key: Optional[str] = None
    ) -> "BookOutcome":
        """Book atomically at ``now`` (check, then insert only when free); a key seen before answers ``EXISTING``."""
    def hold(
        self,
        id: str,
        resources: Iterable[str],
        start: datetime.datetime,
        end: datetime.datetime,
        *,
        now: datetime.datetime,
        expires: Optional[datetime.datetime] = None,
        length: Optional[datetime.timedelta] = None,
    ) -> "BookOutcome":
        """Place the hold ``id`` lapsing at ``expires`` or after ``length`` (exactly one of them)."""
    def confirm_hold(self, id: str, *, now: datetime.datetime) -> "BookOutcome":
        """Turn the live hold ``id`` into a booking (a lapsed hold raises ``InvalidTransitionError``)."""
    def reschedule(
        self, id: str, new: Booking, *, now: datetime.datetime, reason: str
    ) -> "BookOutcome":
        """Book ``new`` as the replacement of ``id`` and cancel ``id`` for ``reason``, or change nothing."""
    def move_booking(
        self, id: str, start: datetime.datetime, end: datetime.datetime, *, now: datetime.datetime
    ) -> "BookOutcome":
        """Move the booking ``id`` to ``[start, end)``, checked against everything but itself."""
    def blocking_on(
        self, resource: str, start: datetime.datetime, end: datetime.datetime, *, now: datetime.datetime
    ) -> list[Booking]:
        """The bookings that block ``resource`` at ``now`` and overlap ``[start, end)``, by start."""
    def expire_idempotency_keys(self, now: datetime.datetime) -> None:
        """Forget the idempotency keys first used at or before ``now - IDEMPOTENCY_TTL``."""
    def idempotency_keys(self) -> int:
        """How many idempotency keys the ledger remembers."""

# --- consent ---

from typing import Literal

if TYPE_CHECKING:
    from hcas import (
        Action,
        AppointmentKind,
        Basis,
        Category,
        ConsentStatus,
        Effect,
        Purpose,
        RefusalCheck,
        Role,
    )

RoleLike: TypeAlias = Union["Role", str]
CategoryLike: TypeAlias = Union["Category", str]
ActionLike: TypeAlias = Union["Action", str]
PurposeLike: TypeAlias = Union["Purpose", str]
EffectLike: TypeAlias = Union["Effect", str]
FhirVersion: TypeAlias = Literal["r4", "r5", "R4", "R5"]

#: ``{enum name: [wire names]}`` for every consent vocabulary (the values of ``hcas.Role``, ...).
CONSENT_VOCABULARY: Final[dict[str, list[str]]]
#: The obligation every request carrying ``break_glass`` gets: the caller must audit it.
AUDIT_BREAK_GLASS: Final[str]
#: How long a break-glass override lasts, in seconds (60 minutes, inclusive).
BREAK_GLASS_SECONDS: Final[int]
#: How deep provisions may nest.
MAX_PROVISION_DEPTH: Final[int]
#: The security label a telehealth appointment's data carries.
TELEHEALTH_LABEL: Final[str]
#: The wire name of the purpose a booking is asked for (``hcas.BOOKING_PURPOSE`` is the member).
BOOKING_PURPOSE: Final[str]

class Period:
    """A half-open period ``[start, end)`` of aware datetimes; either end may be open."""

    def __init__(
        self, start: Optional[datetime.datetime] = None, end: Optional[datetime.datetime] = None
    ) -> None: ...
    @staticmethod
    def since(start: datetime.datetime) -> "Period":
        """The period from ``start`` on, for ever."""
    @staticmethod
    def until(end: datetime.datetime) -> "Period":
        """The period up to ``end`` (exclusive), since always."""
    @property
    def start(self) -> Optional[datetime.datetime]:
        """The inclusive start (aware, UTC), or ``None``."""
    @property
    def end(self) -> Optional[datetime.datetime]:
        """The exclusive end (aware, UTC), or ``None``."""
    def contains(self, t: datetime.datetime) -> bool:
        """Whether ``t`` lies in ``[start, end)``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Match:
    """Conditions of a scope or provision: every field given must hold, a list holds when any value does."""

    def __init__(
        self,
        actors: Optional[Iterable[str]] = None,
        roles: Optional[Iterable[RoleLike]] = None,
        orgs: Optional[Iterable[str]] = None,
        purposes: Optional[Iterable[PurposeLike]] = None,
        categories: Optional[Iterable[CategoryLike]] = None,
        actions: Optional[Iterable[ActionLike]] = None,
        labels: Optional[Iterable[str]] = None,
        period: Optional[Period] = None,
        data_period: Optional[Period] = None,
    ) -> None: ...
    @property
    def actors(self) -> Optional[tuple[str, ...]]:
        """Accessor ids, or ``None``: any."""
    @property
    def roles(self) -> Optional[tuple["Role", ...]]:
        """Roles, or ``None``: any."""
    @property
    def orgs(self) -> Optional[tuple[str, ...]]:
        """Organisations, or ``None``: any."""
    @property
    def purposes(self) -> Optional[tuple["Purpose", ...]]:
        """Purposes, or ``None``: any."""
    @property
    def categories(self) -> Optional[tuple["Category", ...]]:
        """Data categories, or ``None``: any."""
    @property
    def actions(self) -> Optional[tuple["Action", ...]]:
        """Actions, or ``None``: any."""
    @property
    def labels(self) -> Optional[tuple[str, ...]]:
        """Security labels, or ``None``: any data."""
    @property
    def period(self) -> Optional[Period]:
        """When the access happens, or ``None``: any time."""
    @property
    def data_period(self) -> Optional[Period]:
        """When the data was recorded, or ``None``: any data."""
    def holds(self, request: "ConsentRequest") -> bool:
        """Whether the match holds for ``request``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Provision:
    """An exception to its parent, with the opposite effect, when ``when`` holds."""

    def __init__(
        self, when: Optional[Match] = None, provisions: Optional[Iterable["Provision"]] = None
    ) -> None: ...
    @property
    def when(self) -> Match:
        """When the exception applies."""
    @property
    def provisions(self) -> tuple["Provision", ...]:
        """The exceptions to this exception."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Consent:
    """A patient's consent: a base effect, when it is in force, where it applies, and exceptions."""

    def __init__(
        self,
        id: str,
        patient: str,
        date: datetime.datetime,
        decision: EffectLike,
        status: Union["ConsentStatus", str, None] = None,
        period: Optional[Period] = None,
        scope: Optional[Match] = None,
        provisions: Optional[Iterable[Provision]] = None,
    ) -> None: ...
    @staticmethod
    def permit(
        id: str,
        patient: str,
        date: datetime.datetime,
        *,
        status: Union["ConsentStatus", str, None] = None,
        period: Optional[Period] = None,
        scope: Optional[Match] = None,
        provisions: Optional[Iterable[Provision]] = None,
    ) -> "Consent":
        """A consent with base effect ``Effect.PERMIT`` (opt-in)."""
    @staticmethod
    def deny(
        id: str,
        patient: str,
        date: datetime.datetime,
        *,
        status: Union["ConsentStatus", str, None] = None,
        period: Optional[Period] = None,
        scope: Optional[Match] = None,
        provisions: Optional[Iterable[Provision]] = None,
    ) -> "Consent":
        """A consent with base effect ``Effect.DENY`` (opt-out)."""
    @staticmethod
    def from_fhir(resource: Mapping[str, Json], version: FhirVersion = "r4") -> "Consent":
        """The consent a FHIR R4 or R5 ``Consent`` resource (a dict of its JSON) describes."""
    def to_fhir(self, version: FhirVersion = "r4") -> dict[str, Json]:
        """The FHIR R4 or R5 ``Consent`` resource of this consent, as a dict."""
    @property
    def id(self) -> str:
        """Its unique id."""
    @property
    def patient(self) -> str:
        """The patient whose data it governs."""
    @property
    def status(self) -> "ConsentStatus":
        """Its status (only active consents count)."""
    @property
    def date(self) -> datetime.datetime:
        """When it was given (aware, UTC)."""
    @property
    def period(self) -> Optional[Period]:
        """When it is in force, or ``None``: always."""
    @property
    def decision(self) -> "Effect":
        """Its base effect."""
    @property
    def scope(self) -> Optional[Match]:
        """Where it applies at all, or ``None``: everywhere."""
    @property
    def provisions(self) -> tuple[Provision, ...]:
        """The exceptions to the base effect."""
    def applies(self, request: "ConsentRequest") -> bool:
        """Whether it applies to ``request`` (active, the patient's, in force, scope holds)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Accessor:
    """Who asks: an actor id of an organisation, with roles."""

    def __init__(self, id: str, org: str, roles: Optional[Iterable[RoleLike]] = None) -> None: ...
    @property
    def id(self) -> str:
        """The actor's id."""
    @property
    def org(self) -> str:
        """The actor's organisation."""
    @property
    def roles(self) -> tuple["Role", ...]:
        """The actor's roles."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class BreakGlass:
    """An emergency override asked for at ``started_at`` for ``reason`` (60 minutes)."""

    def __init__(self, reason: str, started_at: datetime.datetime) -> None: ...
    @property
    def reason(self) -> str:
        """Why."""
    @property
    def started_at(self) -> datetime.datetime:
        """When the glass was broken (aware, UTC)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class ConsentRequest:
    """May ``actor`` do ``action`` on ``patient``'s ``category`` data for ``purpose`` at ``at``?"""

    def __init__(
        self,
        actor: Accessor,
        patient: str,
        category: CategoryLike,
        action: ActionLike,
        purpose: PurposeLike,
        at: datetime.datetime,
        data_date: Optional[datetime.datetime] = None,
        labels: Optional[Iterable[str]] = None,
        originator: Optional[str] = None,
        break_glass: Optional[BreakGlass] = None,
    ) -> None: ...
    @property
    def actor(self) -> Accessor:
        """Who asks."""
    @property
    def patient(self) -> str:
        """Whose data."""
    @property
    def category(self) -> "Category":
        """Which data."""
    @property
    def action(self) -> "Action":
        """Read or write."""
    @property
    def purpose(self) -> "Purpose":
        """Why."""
    @property
    def at(self) -> datetime.datetime:
        """When the access happens (aware, UTC)."""
    @property
    def data_date(self) -> Optional[datetime.datetime]:
        """When the data was recorded, if known."""
    @property
    def labels(self) -> tuple[str, ...]:
        """The data's security labels (empty: unlabelled)."""
    @property
    def originator(self) -> Optional[str]:
        """Who authored the data, if known."""
    @property
    def break_glass(self) -> Optional[BreakGlass]:
        """The break-glass override asked for, if any."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Rights:
    """A row of the role table: categories, actions and purposes allowed in every combination."""

    def __init__(
        self,
        categories: Iterable[CategoryLike],
        actions: Iterable[ActionLike],
        purposes: Iterable[PurposeLike],
    ) -> None: ...
    @staticmethod
    def all() -> "Rights":
        """The row allowing everything."""
    @property
    def categories(self) -> tuple["Category", ...]:
        """The categories."""
    @property
    def actions(self) -> tuple["Action", ...]:
        """The actions."""
    @property
    def purposes(self) -> tuple["Purpose", ...]:
        """The purposes."""
    def allows(self, category: CategoryLike, action: ActionLike, purpose: PurposeLike) -> bool:
        """Whether the row allows this category, action and purpose."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class RolePolicy:
    """The role table (step 2); ``RolePolicy()`` is the default of ``CONSENT.md``."""

    def __init__(
        self, roles: Union[Mapping["Role", Rights], Mapping[str, Rights], None] = None
    ) -> None: ...
    @staticmethod
    def empty() -> "RolePolicy":
        """The table without rows: no role may use anything."""
    @property
    def roles(self) -> dict["Role", Rights]:
        """The rows, by role."""
    def rights(self, role: RoleLike) -> Optional[Rights]:
        """The row of ``role``, or ``None``."""
    def with_role(self, role: RoleLike, rights: Rights) -> "RolePolicy":
        """A copy with ``role``'s row set to ``rights``."""
    def without_role(self, role: RoleLike) -> "RolePolicy":
        """A copy without a row for ``role``."""
    def allows(self, request: ConsentRequest) -> bool:
        """The role gate: whether any of the actor's roles may make the request."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Decision:
    """The answer to a request: effect, basis, deciding consent, obligations, provision path."""

    def __init__(
        self,
        decision: EffectLike,
        basis: Union["Basis", str],
        consent: Optional[str] = None,
        obligations: Optional[Iterable[str]] = None,
        path: Optional[Sequence[int]] = None,
    ) -> None: ...
    @property
    def decision(self) -> "Effect":
        """Permit or deny."""
    @property
    def basis(self) -> "Basis":
        """The step that decided."""
    @property
    def consent(self) -> Optional[str]:
        """The deciding consent's id, exactly with ``Basis.CONSENT``."""
    @property
    def obligations(self) -> tuple[str, ...]:
        """Obligation names, sorted."""
    @property
    def path(self) -> tuple[int, ...]:
        """With ``Basis.CONSENT``: the provision indices whose effect decided."""
    def is_permit(self) -> bool:
        """Whether access is permitted."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class BookingQuestion:
    """``actor`` books an appointment of ``kind`` for ``patient`` at ``at`` (a minor needs a guardian)."""

    def __init__(
        self,
        actor: Accessor,
        patient: str,
        at: datetime.datetime,
        kind: Union["AppointmentKind", str, None] = None,
        patient_is_minor: bool = False,
        guardian: Optional[str] = None,
    ) -> None: ...
    @property
    def actor(self) -> Accessor:
        """Who books."""
    @property
    def patient(self) -> str:
        """For whom."""
    @property
    def at(self) -> datetime.datetime:
        """When the booking is made (aware, UTC)."""
    @property
    def kind(self) -> "AppointmentKind":
        """In person or telehealth."""
    @property
    def patient_is_minor(self) -> bool:
        """Whether the patient is a minor."""
    @property
    def guardian(self) -> Optional[str]:
        """The guardian who books or authorises it."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Refusal:
    """One failed booking check and the decision that failed it, if any."""

    def __init__(self, check: Union["RefusalCheck", str], decision: Optional[Decision] = None) -> None: ...
    @property
    def check(self) -> "RefusalCheck":
        """Which check failed."""
    @property
    def decision(self) -> Optional[Decision]:
        """The decision that failed it, if any."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class BookingVerdict:
    """Allowed, or every check that failed (true exactly when allowed)."""

    def __init__(self, refusals: Optional[Iterable[Refusal]] = None) -> None: ...
    @property
    def allowed(self) -> bool:
        """Whether the booking may go ahead."""
    @property
    def refusals(self) -> tuple[Refusal, ...]:
        """The failed checks, in the order they are made."""
    def __bool__(self) -> bool:
        """True exactly when the booking is allowed."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class CompiledConsents:
    """One patient's consents and a policy, compiled once to answer many requests."""

    def __init__(
        self, patient: str, consents: Iterable[Consent], policy: Optional[RolePolicy] = None
    ) -> None: ...
    @property
    def patient(self) -> str:
        """The patient these consents are about."""
    def __len__(self) -> int: ...
    def decide(self, request: ConsentRequest) -> Decision:
        """Decide ``request`` by the five steps."""
    def by_consent(self, request: ConsentRequest) -> Optional[Decision]:
        """Step 4 alone: the consents' decision, or ``None`` when none applies."""
    def booking_allowed(self, question: BookingQuestion) -> BookingVerdict:
        """Whether the appointment of ``question`` may be booked."""

def decide(
    request: ConsentRequest, consents: Iterable[Consent], policy: Optional[RolePolicy] = None
) -> Decision:
    """Decide ``request`` against ``consents`` under ``policy`` (default: ``RolePolicy()``)."""

def booking_allowed(
    question: BookingQuestion, consents: Iterable[Consent], policy: Optional[RolePolicy] = None
) -> BookingVerdict:
    """Whether the appointment of ``question`` may be booked, as consent questions."""

# --- advice ---

if TYPE_CHECKING:
    from hcas import Reason

class ExplanationReason:
    """One reason a start is not offered: ``reason`` says which; the attributes it carries are set, the others ``None``."""

    @property
    def reason(self) -> "Reason":
        """Which reason."""
    @property
    def from_(self) -> Optional[datetime.datetime]:
        """``OUTSIDE_QUERY``: the query's start."""
    @property
    def to(self) -> Optional[datetime.datetime]:
        """``OUTSIDE_QUERY``: the query's end (exclusive)."""
    @property
    def earliest(self) -> Optional[datetime.datetime]:
        """``BEFORE_NOTICE``: the earliest start the notice allows."""
    @property
    def latest(self) -> Optional[datetime.datetime]:
        """``BEYOND_HORIZON``: starts must be before this."""
    @property
    def local_date(self) -> Optional[datetime.date]:
        """``OUTSIDE_WORKING_HOURS``: the provider's local date at the start."""
    @property
    def override_date(self) -> Optional[bool]:
        """``OUTSIDE_WORKING_HOURS``: whether a date override replaces that date's rules."""
    @property
    def nearest(self) -> Optional[tuple[tuple[datetime.datetime, datetime.datetime], ...]]:
        """``OUTSIDE_WORKING_HOURS``: the nearest working windows before and after."""
    @property
    def window(self) -> Optional[tuple[datetime.datetime, datetime.datetime]]:
        """``DOES_NOT_FIT``, ``OFF_GRID``: the merged working window."""
    @property
    def step(self) -> Optional[datetime.timedelta]:
        """``OFF_GRID``: the grid step."""
    @property
    def previous(self) -> Optional[datetime.datetime]:
        """``OFF_GRID``: the grid point before the start."""
    @property
    def next(self) -> Optional[datetime.datetime]:
        """``OFF_GRID``: the grid point after the start."""
    @property
    def interval(self) -> Optional[tuple[datetime.datetime, datetime.datetime]]:
        """``BUSY``, ``BUFFER``: the busy interval hit."""
    @property
    def conflict(self) -> Optional[Conflict]:
        """``CONFLICT``: the resource at capacity and the bookings taking it."""
    def to_dict(self) -> dict[str, Json]:
        """The engine's JSON shape (``{"reason": "off_grid", ...}``)."""
    @staticmethod
    def from_dict(data: Mapping[str, Json]) -> "ExplanationReason":
        """The reason :meth:`to_dict` gave."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Explanation:
    """Why a start is or is not offered, with every reason."""

    @property
    def start(self) -> datetime.datetime:
        """The start asked about (aware, UTC)."""
    @property
    def offered(self) -> bool:
        """Whether the slot engine offers it (exactly when ``reasons`` is empty)."""
    @property
    def reasons(self) -> tuple[ExplanationReason, ...]:
        """Every reason it is not offered."""
    def to_dict(self) -> dict[str, Json]:
        """The engine's JSON shape (``{"start": ..., "offered": ..., "reasons": [...]}``)."""
    @staticmethod
    def from_dict(data: Mapping[str, Json]) -> "Explanation":
        """The explanation :meth:`to_dict` gave."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class LedgerContext:
    """The ledger side of a question: a ledger, the appointment's resources, and when it is asked."""

    def __init__(self, ledger: Ledger, resources: Iterable[str], now: datetime.datetime) -> None: ...
    @property
    def ledger(self) -> Ledger:
        """The ledger (the same object)."""
    @property
    def resources(self) -> tuple[str, ...]:
        """The resources the appointment would use."""
    @property
    def now(self) -> datetime.datetime:
        """When it is asked (aware, UTC)."""

def explain_with_ledger(
    availability: Availability,
    context: LedgerContext,
    at: datetime.datetime,
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
) -> Explanation:
    """As :meth:`Availability.explain`, adding the context ledger's conflicts."""

class Alternatives:
    """The nearest free starts before and after a request, nearest first."""

    def __init__(
        self,
        before: Optional[Iterable[datetime.datetime]] = None,
        after: Optional[Iterable[datetime.datetime]] = None,
    ) -> None: ...
    @property
    def before(self) -> tuple[datetime.datetime, ...]:
        """Free starts before the request's start, nearest first."""
    @property
    def after(self) -> tuple[datetime.datetime, ...]:
        """Free starts after the request's start, nearest first."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def alternatives(
    availability: Availability,
    ledger: Ledger,
    resources: Iterable[str],
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    now: datetime.datetime,
    count: int,
    step: Optional[datetime.timedelta] = None,
    search_days: int = 7,
) -> Alternatives:
    """Up to ``count`` free starts either side of a request, in working hours and free in ``ledger``."""

# --- fhir ---

if TYPE_CHECKING:
    from hcas import RecurrenceType, SlotStatus

#: The R4 codes of every slot status (the values of ``hcas.SlotStatus``).
SLOT_STATUSES: Final[list[str]]
#: The code system of hcas's error codes in ``OperationOutcome.issue.details.coding``.
ERROR_SYSTEM: Final[str]

SlotStatusLike: TypeAlias = Union["SlotStatus", str]

def appointment_to_fhir(booking: Booking) -> dict[str, Json]:
    """The FHIR R4 ``Appointment`` of a booking."""

def appointment_from_fhir(resource: Mapping[str, Json]) -> Booking:
    """The booking an R4 ``Appointment`` describes; refusals name the JSON path."""

def occurrence_to_fhir(booking: Booking, number: int) -> dict[str, Json]:
    """An occurrence's ``Appointment`` with R5's ``recurrenceId`` = ``number``."""

def recurrence_numbers(occurrences: Iterable[Booking]) -> list[int]:
    """Each occurrence's 1-based place among its series' distinct recurrence ids."""

class FhirSlot:
    """An R4 ``Slot`` as hcas models it."""

    def __init__(
        self,
        schedule: str,
        start: datetime.datetime,
        end: datetime.datetime,
        status: SlotStatusLike,
        id: Optional[str] = None,
        service_types: Optional[Iterable[str]] = None,
    ) -> None: ...
    @property
    def id(self) -> str:
        """The slot id (``<schedule>-<unix start>`` unless given)."""
    @property
    def schedule(self) -> str:
        """The id of its Schedule."""
    @property
    def start(self) -> datetime.datetime:
        """Its start (aware, UTC)."""
    @property
    def end(self) -> datetime.datetime:
        """Its end (aware, UTC)."""
    @property
    def status(self) -> "SlotStatus":
        """Its status."""
    @property
    def service_types(self) -> tuple[str, ...]:
        """The services bookable in it (hcas specialty codes)."""
    def to_fhir(self) -> dict[str, Json]:
        """The R4 ``Slot``, keeping this slot's id."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def slot_to_fhir(
    schedule_id: str, start: datetime.datetime, end: datetime.datetime, status: SlotStatusLike
) -> dict[str, Json]:
    """The R4 ``Slot`` ``[start, end)`` of a schedule, with the deterministic id."""

def slots_to_fhir(
    schedule_id: str, starts: Iterable[datetime.datetime], duration: datetime.timedelta
) -> list[dict[str, Json]]:
    """``free`` R4 Slots of ``duration`` at each start."""

def slot_from_fhir(resource: Mapping[str, Json]) -> FhirSlot:
    """The slot an R4 ``Slot`` describes; refusals name the JSON path."""

def parse_slot_id(id: str) -> Optional[tuple[str, datetime.datetime]]:
    """The schedule id and start a deterministic slot id stands for, or ``None``."""

class ScheduleAvailability:
    """Working hours a Schedule carries: a zone and working rules."""

    def __init__(self, zone: ZoneLike, rules: Optional[Iterable[WorkingRule]] = None) -> None: ...
    @property
    def zone(self) -> Zone:
        """The zone of the rules' local times."""
    @property
    def rules(self) -> list[WorkingRule]:
        """The working rules."""
    def to_availability(self) -> Availability:
        """An availability with these rules, no overrides and no busy time."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class FhirSchedule:
    """An R4 ``Schedule`` as hcas models it."""

    def __init__(
        self,
        id: str,
        actors: Iterable[str],
        planning_horizon: Optional[Sequence[datetime.datetime]] = None,
        active: bool = True,
        availability: Optional[ScheduleAvailability] = None,
        specialties: Optional[Iterable[str]] = None,
    ) -> None: ...
    @property
    def id(self) -> str:
        """The schedule id."""
    @property
    def actors(self) -> tuple[str, ...]:
        """The hcas resources whose availability this is."""
    @property
    def planning_horizon(self) -> Optional[tuple[datetime.datetime, datetime.datetime]]:
        """The period it covers, or ``None``."""
    @property
    def active(self) -> bool:
        """Whether it is in use."""
    @property
    def availability(self) -> Optional[ScheduleAvailability]:
        """Its working hours, or ``None``."""
    @property
    def specialties(self) -> tuple[str, ...]:
        """Its specialty codes."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def schedule_to_fhir(schedule: FhirSchedule) -> dict[str, Json]:
    """The R4 ``Schedule`` (working hours in the hcas ``availability`` extension)."""

def schedule_from_fhir(resource: Mapping[str, Json]) -> FhirSchedule:
    """The schedule an R4 ``Schedule`` describes; refusals name the JSON path."""

class SearchEntry:
    """One entry of a searchset Bundle."""

    @staticmethod
    def matched(base: str, resource: Mapping[str, Json]) -> "SearchEntry":
        """A resource that matched, under the FHIR base URL ``base``."""
    @staticmethod
    def included(base: str, resource: Mapping[str, Json]) -> "SearchEntry":
        """A resource ``_include``d by a match."""
    @property
    def full_url(self) -> str:
        """``fullUrl``: the base and ``Type/id``."""
    @property
    def resource(self) -> dict[str, Json]:
        """The resource."""
    @property
    def mode(self) -> str:
        """``"match"`` or ``"include"``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def searchset(total: int, self_url: str, next_url: Optional[str], entries: Iterable[SearchEntry]) -> dict[str, Json]:
    """A ``searchset`` Bundle with ``total``, the page's entries and its links."""

def searchset_page(self_url: str, next_url: Optional[str], entries: Iterable[SearchEntry]) -> dict[str, Json]:
    """A ``searchset`` Bundle without ``total``."""

def operation_outcome(issue_type: str, code: str, text: str) -> dict[str, Json]:
    """An ``OperationOutcome`` with one error issue carrying the hcas ``code``."""

def conflict_outcome(text: str, conflicts: Iterable[Conflict]) -> dict[str, Json]:
    """The ``OperationOutcome`` of a booking conflict, one issue per conflicting booking."""

class AuditFacts:
    """One audit record's fields, as :func:`audit_event_to_fhir` maps them."""

    def __init__(
        self,
        id: str,
        recorded: datetime.datetime,
        actor: str,
        action: str,
        target: str,
        outcome: str,
        roles: Optional[Iterable[str]] = None,
        patient: Optional[str] = None,
        purpose: Optional[str] = None,
        details: Optional[Iterable[tuple[str, str]]] = None,
        site: Optional[str] = None,
    ) -> None: ...
    @property
    def id(self) -> str:
        """The resource id (the record's sequence number)."""
    @property
    def recorded(self) -> datetime.datetime:
        """When it happened (aware, UTC)."""
    @property
    def actor(self) -> str:
        """Who (a token's subject)."""
    @property
    def action(self) -> str:
        """What was done (``patient.read``, ...)."""
    @property
    def target(self) -> str:
        """What it was done to (``booking:a1``, ...)."""
    @property
    def outcome(self) -> str:
        """``permit``, ``deny``, ``ok``, ``error``."""
    @property
    def roles(self) -> tuple[str, ...]:
        """The actor's roles."""
    @property
    def patient(self) -> Optional[str]:
        """The patient whose data it touched."""
    @property
    def purpose(self) -> Optional[str]:
        """The purpose of use (``TREAT``, ...)."""
    @property
    def details(self) -> list[tuple[str, str]]:
        """The record's detail, (name, text) pairs in order."""
    @property
    def site(self) -> Optional[str]:
        """The organization whose log it is."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def audit_event_to_fhir(facts: AuditFacts) -> dict[str, Json]:
    """The audit record as an R4 ``AuditEvent`` (export only)."""

class RecurrenceTemplate:
    """An R5 ``recurrenceTemplate`` hcas can book: zone, pattern, and its end."""

    def __init__(
        self,
        zone: ZoneLike,
        recurrence_type: Union["RecurrenceType", str],
        days: Optional[Iterable[str]] = None,
        day: Optional[int] = None,
        interval: int = 1,
        occurrence_count: Optional[int] = None,
        last_occurrence_date: Optional[datetime.date] = None,
        occurrence_dates: Optional[Iterable[datetime.date]] = None,
        excluding_dates: Optional[Iterable[datetime.date]] = None,
    ) -> None: ...
    @property
    def zone(self) -> Zone:
        """The zone its wall times are in."""
    @property
    def recurrence_type(self) -> "RecurrenceType":
        """``recurrenceType``."""
    @property
    def days(self) -> list[str]:
        """A weekly template's days (``"MO"``..``"SU"``); else empty."""
    @property
    def day(self) -> Optional[int]:
        """A monthly template's day of the month."""
    @property
    def interval(self) -> int:
        """Every how many weeks, months or years (1 for daily)."""
    @property
    def occurrence_count(self) -> Optional[int]:
        """``occurrenceCount``."""
    @property
    def last_occurrence_date(self) -> Optional[datetime.date]:
        """``lastOccurrenceDate``."""
    @property
    def occurrence_dates(self) -> list[datetime.date]:
        """``occurrenceDate``: extra dates."""
    @property
    def excluding_dates(self) -> list[datetime.date]:
        """``excludingDate``: dates left out."""
    def recurrence(self, dtstart: datetime.datetime) -> Recurrence:
        """The recurrence this template describes from the naive local ``dtstart``."""
    def to_fhir(self) -> dict[str, Json]:
        """The ``recurrenceTemplate`` extension."""
    @staticmethod
    def from_fhir(extension: Mapping[str, Json], path: str = "extension[0]") -> "RecurrenceTemplate":
        """The template of a ``recurrenceTemplate`` extension; refusals start with ``path``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class FhirSeries:
    """A series template Appointment: its booking (the first occurrence) and its recurrence template."""

    def __init__(self, template: Booking, recurrence: RecurrenceTemplate) -> None: ...
    @property
    def template(self) -> Booking:
        """The Appointment read as a booking."""
    @property
    def recurrence(self) -> RecurrenceTemplate:
        """The recurrence template."""
    def spec(self, id: str) -> "SeriesSpec":
        """The series ``id`` to book: occurrences as long as the template, with its resources."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def series_from_fhir(resource: Mapping[str, Json]) -> Optional[FhirSeries]:
    """The series template an Appointment describes, or ``None`` for a single appointment."""

def series_to_fhir(series: FhirSeries) -> dict[str, Json]:
    """The series template Appointment (``appointment_to_fhir`` plus ``recurrenceTemplate``)."""

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
        alternatives: Optional[Alternatives] = None,
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
    @property
    def alternatives(self) -> Optional[Alternatives]:
        """For a conflicting occurrence after :meth:`SeriesSpec.add_alternatives`: the nearest free starts."""
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
    def add_alternatives(
        self,
        results: Iterable[OccurrenceResult],
        ledger: Ledger,
        availability: Availability,
        *,
        now: datetime.datetime,
        count: int,
        step: Optional[datetime.timedelta] = None,
        search_days: int = 7,
    ) -> list[OccurrenceResult]:
        """``results`` with, for each conflicting occurrence, up to ``count`` free starts each side."""
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

# --- ledger ---

if TYPE_CHECKING:
    from hcas import BookOutcomeKind

#: How long an idempotency key of :meth:`Ledger.book` is remembered after its first use (24 hours).
IDEMPOTENCY_TTL: Final[datetime.timedelta]

class BookOutcome:
    """What a booking operation of a :class:`Ledger` did: ``BOOKED``, ``EXISTING`` (an idempotent repeat) or ``CONFLICT``."""

    def __init__(
        self,
        kind: Union["BookOutcomeKind", str],
        booking: Optional[Booking] = None,
        conflicts: Optional[Iterable[Conflict]] = None,
    ) -> None: ...
    @property
    def kind(self) -> "BookOutcomeKind":
        """What happened."""
    @property
    def booking(self) -> Optional[Booking]:
        """The booking written now (``BOOKED``) or before (``EXISTING``); ``None`` for ``CONFLICT``."""
    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        """For ``CONFLICT``: every conflicting resource with the bookings in the way; else empty."""
    @property
    def ok(self) -> bool:
        """Whether there is a booking (not ``CONFLICT``)."""
    def to_dict(self) -> dict[str, Json]:
        """The engine's JSON shape (``{"outcome": "booked", ...}``)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def series_conflict_outcome(text: str, occurrences: Iterable[OccurrenceResult]) -> dict[str, Json]:
    """The ``OperationOutcome`` of a series refused for conflicts, one issue per conflicting occurrence."""

# --- fhir operation and search ---

if TYPE_CHECKING:
    from hcas import SearchPrefix

#: The two-letter codes of the FHIR search prefixes (the values of ``hcas.SearchPrefix``).
SEARCH_PREFIXES: Final[list[str]]
#: The page size a client may ask for with ``_count`` at most.
MAX_COUNT: Final[int]

class Parameter:
    """One parameter of a ``Parameters`` resource: ``name``, the value ``element`` and the ``value``."""

    def __init__(self, name: str, element: str, value: Json) -> None: ...
    @staticmethod
    def string(name: str, value: str) -> "Parameter":
        """A parameter with a string value (``valueString``), as a query string gives it."""
    @property
    def name(self) -> str:
        """``name``."""
    @property
    def element(self) -> str:
        """The value element's name (``valueDateTime``, ``valueReference``, ..., or ``resource``)."""
    @property
    def value(self) -> Json:
        """The value: a str, number or bool, or a dict."""
    def text(self) -> Optional[str]:
        """The value as text (a primitive, a Reference's ``reference``, a Coding's ``system|code``), else ``None``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def read_parameters(resource: Mapping[str, Json]) -> list[Parameter]:
    """The parameters of a ``Parameters`` resource, in order."""

class Proposal:
    """What a proposed Appointment's id says: provider, patient, start."""

    def __init__(self, provider: str, patient: str, start: datetime.datetime) -> None: ...
    @property
    def provider(self) -> str:
        """The practitioner (hcas provider) id."""
    @property
    def patient(self) -> str:
        """The patient id."""
    @property
    def start(self) -> datetime.datetime:
        """The start (aware, UTC)."""
    def id(self) -> Optional[str]:
        """Its id, as :func:`proposal_id` writes it."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def proposal_id(provider: str, patient: str, start: datetime.datetime) -> Optional[str]:
    """The id of the proposed Appointment of ``provider`` with ``patient`` at ``start``, or ``None``."""

def parse_proposal_id(id: str) -> Optional[Proposal]:
    """What a proposed Appointment's id says, or ``None`` when it is not one."""

def proposed_appointment(
    provider: str, patient: str, start: datetime.datetime, end: datetime.datetime
) -> dict[str, Json]:
    """The proposed Appointment of ``provider`` with ``patient`` over ``[start, end)``."""

class DateParam:
    """A FHIR ``date`` search value parsed from its text: a prefix and the range ``[lower, upper)``."""

    def __init__(self, text: str) -> None: ...
    @property
    def text(self) -> str:
        """The text it was parsed from."""
    @property
    def prefix(self) -> "SearchPrefix":
        """The prefix (``EQ`` when none was written)."""
    @property
    def lower(self) -> datetime.datetime:
        """The first second of the value's range."""
    @property
    def upper(self) -> datetime.datetime:
        """The first second after the value's range."""
    def matches_instant(self, t: datetime.datetime) -> bool:
        """Whether the instant ``t`` matches."""
    def matches_period(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        """Whether the period ``[start, end)`` matches."""
    def bounds(self) -> tuple[Optional[datetime.datetime], Optional[datetime.datetime]]:
        """How far a matching point or period can reach (``None``: unbounded)."""
    def instant_range(
        self,
    ) -> Optional[tuple[Optional[datetime.datetime], Optional[datetime.datetime]]]:
        """The instants it matches as ``[from, to)``; ``None`` for ``ne``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class TokenParam:
    """A FHIR ``token`` search value: ``code``, ``system|code``, ``|code`` or ``system|``."""

    def __init__(self, text: str) -> None: ...
    @property
    def text(self) -> str:
        """The text it was parsed from."""
    @property
    def system(self) -> Optional[str]:
        """The system: ``None`` when not given, ``""`` for ``|code``."""
    @property
    def code(self) -> Optional[str]:
        """The code; ``None`` for ``system|``."""
    def matches(self, system: Optional[str], code: str) -> bool:
        """Whether a coding of ``system`` (``None``: none) and ``code`` matches."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class ReferenceParam:
    """A FHIR ``reference`` search value (``Type/id`` or ``id``) for a parameter of target ``types``."""

    def __init__(self, text: str, types: Iterable[str]) -> None: ...
    @property
    def text(self) -> str:
        """The text it was parsed from."""
    @property
    def types(self) -> list[str]:
        """The target types allowed."""
    @property
    def resource_type(self) -> Optional[str]:
        """The resource type, if given."""
    @property
    def id(self) -> str:
        """The id."""
    def names(self, resource_type: str, id: str) -> bool:
        """Whether this value may name a resource of ``resource_type`` with ``id``."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def parse_count(text: str) -> int:
    """``_count``: a whole number from 0 to :data:`MAX_COUNT`."""
