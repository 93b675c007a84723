"""Booking through the ledger (hcas_core::booking: Ledger.book with an
idempotency key, holds and their confirmation, reschedule, move) through the
typed classes. Every expectation is worked out by hand from the rules of
docs/vectors.md's `conflict` kind and the core's documentation (overlap is
[start, end) against [start, end), touching is not overlapping, a hold
blocks while its expiry is after `now`, cancelled never blocks, a resource
of capacity c is full at an instant where c blocking bookings overlap), and
the conflict vectors are cross-checked against `hcas.evaluate`."""

import copy
import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import hcas
from hcas import BookOutcome, BookOutcomeKind, Booking, Conflict, Ledger, Status

UTC = dt.timezone.utc
VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "conflict"


def at(h: int, m: int = 0, s: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, 4, h, m, s, tzinfo=UTC)


def ids(outcome: BookOutcome) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.resource, c.bookings) for c in outcome.conflicts]


def test_a_double_booking_is_refused_with_every_conflict_and_changes_nothing() -> None:
    ledger = Ledger()
    a1 = Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 30))
    r1 = Booking("r1", ["room:R1"], at(9, 40), at(10))
    for b in (a1, r1):
        got = ledger.book(b, now=at(8))
        assert got.kind is BookOutcomeKind.BOOKED and got.ok and got.booking == b and got.conflicts == ()
    # 09:15-09:45 on P1, X1 and R1: P1 and X1 are a1's until 09:30, R1 is r1's from 09:40.
    b = Booking("b", ["room:R1", "provider:P1", "patient:X1"], at(9, 15), at(9, 45))
    got = ledger.book(b, now=at(8))
    assert got.kind is BookOutcomeKind.CONFLICT and not got.ok and got.booking is None
    assert ids(got) == [("patient:X1", ("a1",)), ("provider:P1", ("a1",)), ("room:R1", ("r1",))]
    assert len(ledger) == 2 and ledger.get("b") is None
    # The same answer as the check, which changes nothing either.
    assert list(got.conflicts) == ledger.check(b.resources, b.start, b.end, at(8))


def test_touching_bookings_are_both_booked() -> None:
    ledger = Ledger([Booking("a1", ["provider:P1"], at(9), at(9, 30))])
    before = Booking("a0", ["provider:P1"], at(8, 30), at(9))
    after = Booking("a2", ["provider:P1"], at(9, 30), at(10))
    for b in (before, after):
        assert ledger.book(b, now=at(8)) == BookOutcome("booked", b)
    assert [x.id for x in ledger.bookings()] == ["a0", "a1", "a2"]
    # One second of overlap is a conflict.
    one = Booking("a3", ["provider:P1"], at(9, 59, 59), at(10, 30))
    assert ids(ledger.book(one, now=at(8))) == [("provider:P1", ("a2",))]


def test_a_cancelled_booking_does_not_block() -> None:
    ledger = Ledger([Booking("c1", ["provider:P1"], at(9), at(10), status=Status.CANCELLED)])
    assert ledger.book(Booking("a1", ["provider:P1"], at(9), at(10)), now=at(8)).ok


def test_capacity_lets_bookings_overlap_up_to_it() -> None:
    ledger = Ledger()
    ledger.set_capacity("room:Gym", 2)
    gym = ["room:Gym"]
    assert ledger.book(Booking("g1", gym, at(9), at(10)), now=at(8)).ok
    assert ledger.book(Booking("g2", gym, at(9, 30), at(10, 30)), now=at(8)).ok
    # 09:45-10:00: g1 and g2 both there, the room is full.
    assert ids(ledger.book(Booking("g3", gym, at(9, 45), at(10)), now=at(8))) == [("room:Gym", ("g1", "g2"))]
    # 10:00-10:30: only g2 (g1 ends at 10:00).
    assert ledger.book(Booking("g4", gym, at(10), at(10, 30)), now=at(8)).ok
    # 10:15-10:20: g2 and g4.
    assert ids(ledger.book(Booking("g5", gym, at(10, 15), at(10, 20)), now=at(8))) == [("room:Gym", ("g2", "g4"))]
    # Another resource of the request keeps capacity 1.
    ledger.insert(Booking("p1", ["provider:P1"], at(11), at(12)))
    got = ledger.book(Booking("g6", ["room:Gym", "provider:P1"], at(11), at(11, 30)), now=at(8))
    assert ids(got) == [("provider:P1", ("p1",))]


def test_a_hold_blocks_until_it_lapses_and_can_be_confirmed_while_live() -> None:
    ledger = Ledger()
    held = ledger.hold("h1", ["room:R1"], at(9), at(10), now=at(8), length=dt.timedelta(minutes=15))
    assert held.kind is BookOutcomeKind.BOOKED and held.booking is not None
    assert (held.booking.status, held.booking.hold_expires) == (Status.HELD, at(8, 15))
    other = Booking("x1", ["room:R1"], at(9, 30), at(10, 30))
    # At 08:10 the hold (until 08:15) is in the way; from 08:15 on it has lapsed.
    assert ids(ledger.book(other, now=at(8, 10))) == [("room:R1", ("h1",))]
    with pytest.raises(hcas.InvalidTransitionError) as e:
        ledger.confirm_hold("h1", now=at(8, 15))
    assert e.value.code == "invalid_transition" and "h1" in e.value.message
    assert ledger.book(other, now=at(8, 15)).ok

    # A live hold (expires given as an instant) is confirmed: booked, no expiry.
    ledger.hold("h2", ["room:R2"], at(9), at(10), now=at(8), expires=at(8, 30))
    got = ledger.confirm_hold("h2", now=at(8, 29))
    assert got.kind is BookOutcomeKind.BOOKED and got.booking is not None
    assert (got.booking.id, got.booking.status, got.booking.hold_expires) == ("h2", Status.BOOKED, None)
    assert ledger.get("h2") == got.booking

    # A hold over a booking that was loaded without a check: the confirmation
    # checks against everything but the hold, and refuses.
    ledger.hold("h3", ["room:R3"], at(9), at(10), now=at(8), expires=at(8, 30))
    ledger.insert(Booking("y1", ["room:R3"], at(9, 50), at(11)))
    assert ids(ledger.confirm_hold("h3", now=at(8, 5))) == [("room:R3", ("y1",))]
    h3 = ledger.get("h3")
    assert h3 is not None and h3.status is Status.HELD

    # A hold on a taken resource is not placed.
    got = ledger.hold("h4", ["room:R3"], at(10), at(10, 30), now=at(8), expires=at(8, 30))
    assert ids(got) == [("room:R3", ("y1",))] and ledger.get("h4") is None


def test_holds_are_refused_when_they_cannot_lapse_properly() -> None:
    ledger = Ledger([Booking("a1", ["room:R1"], at(9), at(10))])
    with pytest.raises(hcas.InvalidDurationError, match="after now"):
        ledger.hold("h1", ["room:R2"], at(9), at(10), now=at(8), expires=at(8))
    with pytest.raises(hcas.InvalidDurationError):
        ledger.hold("h1", ["room:R2"], at(9), at(10), now=at(8), length=dt.timedelta(0))
    neither: dict[str, Any] = {}
    for kwargs in (neither, {"expires": at(8, 30), "length": dt.timedelta(minutes=5)}):
        with pytest.raises(hcas.InvalidRequestError, match="exactly one of expires"):
            ledger.hold("h1", ["room:R2"], at(9), at(10), now=at(8), **kwargs)
    with pytest.raises(hcas.InvalidRequestError, match="not a hold"):
        ledger.confirm_hold("a1", now=at(8))
    with pytest.raises(hcas.InvalidRequestError, match="no hold"):
        ledger.confirm_hold("nope", now=at(8))
    with pytest.raises(hcas.InvalidDatetimeError):
        ledger.hold("h1", ["room:R2"], at(9), at(10), now=dt.datetime(2026, 5, 4, 8), expires=at(8, 30))


def test_an_idempotent_retry_answers_with_the_booking_it_made() -> None:
    ledger = Ledger()
    assert hcas.IDEMPOTENCY_TTL == dt.timedelta(hours=24)
    a1 = Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 30))
    first = ledger.book(a1, now=at(8), idempotency_key="req-1")
    assert first.kind is BookOutcomeKind.BOOKED and ledger.idempotency_keys() == 1
    again = ledger.book(a1, now=at(8, 1), idempotency_key="req-1")
    assert again == BookOutcome(BookOutcomeKind.EXISTING, a1) and again.ok and len(ledger) == 1
    # The test is the same interval and resources: a retry that lost its id
    # still gets the booking the key made.
    renamed = Booking("a1-retry", ["provider:P1", "patient:X1"], at(9), at(9, 30))
    assert renamed.same_request(a1) and not Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 45)).same_request(a1)
    assert ledger.book(renamed, now=at(8, 2), idempotency_key="req-1").booking == a1
    assert ledger.get("a1-retry") is None
    # The same key for another interval is refused with the core's code.
    moved = Booking("a2", ["provider:P1", "patient:X1"], at(10), at(10, 30))
    with pytest.raises(hcas.InvalidRequestError) as e:
        ledger.book(moved, now=at(8, 3), idempotency_key="req-1")
    assert e.value.code == "invalid_request" and "req-1" in e.value.message and "a1" in e.value.message
    assert len(ledger) == 1
    # A conflict under a new key remembers nothing.
    clash = Booking("a3", ["provider:P1"], at(9), at(9, 15))
    assert ledger.book(clash, now=at(8), idempotency_key="req-2").kind is BookOutcomeKind.CONFLICT
    assert ledger.idempotency_keys() == 1
    # Without a key, the same booking again is a reused id.
    with pytest.raises(hcas.InvalidRequestError, match="already used"):
        ledger.book(Booking("a1", ["room:R9"], at(12), at(13)), now=at(8))


def test_idempotency_keys_are_forgotten_after_the_ttl() -> None:
    ledger = Ledger()
    ledger.book(Booking("a1", ["provider:P1"], at(9), at(9, 30)), now=at(8), idempotency_key="k")
    ttl = hcas.IDEMPOTENCY_TTL
    ledger.expire_idempotency_keys(at(8) + ttl - dt.timedelta(seconds=1))
    assert ledger.idempotency_keys() == 1
    ledger.expire_idempotency_keys(at(8) + ttl)
    assert ledger.idempotency_keys() == 0
    # Forgotten, the key books anew: here the provider is taken by a1 itself.
    again = Booking("a2", ["provider:P1"], at(9), at(9, 30))
    assert ids(ledger.book(again, now=at(8) + ttl, idempotency_key="k")) == [("provider:P1", ("a1",))]


def test_reschedule_books_the_new_one_and_cancels_the_old_linking_both() -> None:
    ledger = Ledger([Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 30))])
    ledger.insert(Booking("b1", ["provider:P1"], at(11), at(12)))
    # 09:15-09:45 overlaps a1 itself, which does not count against its replacement.
    new = Booking("a2", ["provider:P1", "patient:X1"], at(9, 15), at(9, 45))
    got = ledger.reschedule("a1", new, now=at(8), reason="patient asked")
    assert got.kind is BookOutcomeKind.BOOKED and got.booking is not None
    assert (got.booking.id, got.booking.replaces, got.booking.replaced_by) == ("a2", "a1", None)
    old = ledger.get("a1")
    assert old is not None
    assert (old.status, old.cancel_reason, old.replaced_by, old.replaces) == (Status.CANCELLED, "patient asked", "a2", None)
    assert ledger.get("a2") == got.booking
    # Onto b1's hour: refused, nothing changes.
    clash = Booking("a3", ["provider:P1", "patient:X1"], at(11, 30), at(12, 30))
    assert ids(ledger.reschedule("a2", clash, now=at(8), reason="x")) == [("provider:P1", ("b1",))]
    assert ledger.get("a3") is None and ledger.get("a2") == got.booking
    # A cancelled booking cannot be rescheduled; nor an unknown one.
    with pytest.raises(hcas.InvalidRequestError, match="cancelled"):
        ledger.reschedule("a1", Booking("a4", ["provider:P1"], at(13), at(14)), now=at(8), reason="x")
    with pytest.raises(hcas.InvalidRequestError, match="no booking"):
        ledger.reschedule("zz", Booking("a4", ["provider:P1"], at(13), at(14)), now=at(8), reason="x")


def test_move_checks_the_new_time_against_everything_but_itself() -> None:
    ledger = Ledger([Booking("a1", ["provider:P1"], at(9), at(10)), Booking("b1", ["provider:P1"], at(11), at(12))])
    got = ledger.move_booking("a1", at(9, 30), at(10, 30), now=at(8))
    assert got.kind is BookOutcomeKind.BOOKED and got.booking == Booking("a1", ["provider:P1"], at(9, 30), at(10, 30))
    assert ledger.get("a1") == got.booking
    assert ids(ledger.move_booking("a1", at(10, 30), at(11, 30), now=at(8))) == [("provider:P1", ("b1",))]
    a1 = ledger.get("a1")
    assert a1 is not None and a1.start == at(9, 30)
    # Touching b1 is fine; the old place is free again.
    assert ledger.move_booking("a1", at(10), at(11), now=at(8)).ok
    assert ledger.check(["provider:P1"], at(9), at(10), at(8)) == []
    with pytest.raises(hcas.InvalidRequestError, match="no booking"):
        ledger.move_booking("zz", at(9), at(10), now=at(8))
    with pytest.raises(hcas.InvalidIntervalError):
        ledger.move_booking("a1", at(10), at(9), now=at(8))


def test_blocking_on_lists_what_blocks_a_resource_by_start() -> None:
    ledger = Ledger(
        [
            Booking("late", ["room:R1"], at(10), at(11)),
            Booking("early", ["room:R1"], at(9), at(9, 45)),
            Booking("gone", ["room:R1"], at(9), at(10), status=Status.CANCELLED),
            Booking("h1", ["room:R1"], at(9), at(10), status=Status.HELD, hold_expires=at(8, 30)),
            Booking("touch", ["room:R1"], at(8), at(9, 30)),
        ]
    )
    got = ledger.blocking_on("room:R1", at(9, 30), at(10, 30), now=at(8))
    # "touch" ends at 09:30 (touching); "gone" is cancelled.
    assert [b.id for b in got] == ["early", "h1", "late"]
    # At 08:30 the hold has lapsed.
    assert [b.id for b in ledger.blocking_on("room:R1", at(9, 30), at(10, 30), now=at(8, 30))] == ["early", "late"]
    assert ledger.blocking_on("room:Nope", at(9), at(10), now=at(8)) == []


def test_check_can_ignore_one_booking_and_count_extra_ones() -> None:
    ledger = Ledger([Booking("a1", ["provider:P1"], at(9), at(10))])
    assert ledger.check(["provider:P1"], at(9), at(10), at(8)) == [Conflict("provider:P1", ["a1"])]
    assert ledger.check(["provider:P1"], at(9), at(10), at(8), exclude="a1") == []
    extra = [Booking("e1", ["provider:P1"], at(9, 30), at(11))]
    got = ledger.check(["provider:P1"], at(10), at(10, 30), at(8), extra=extra)
    assert got == [Conflict("provider:P1", ["e1"])]
    got = ledger.check(["provider:P1"], at(9), at(10), at(8), exclude="a1", extra=extra)
    assert got == [Conflict("provider:P1", ["e1"])]
    with pytest.raises(hcas.InvalidRequestError, match="extra must be an hcas.Booking"):
        ledger.check(["provider:P1"], at(9), at(10), at(8), extra=["e1"])  # type: ignore[list-item]


def test_a_book_outcome_is_a_value() -> None:
    a1 = Booking("a1", ["provider:P1"], at(9), at(10))
    booked = BookOutcome("booked", a1)
    assert booked == BookOutcome(BookOutcomeKind.BOOKED, a1) and hash(booked) == hash(BookOutcome("booked", a1))
    assert booked != BookOutcome("existing", a1)
    clash = BookOutcome("conflict", conflicts=[Conflict("provider:P1", ["b", "a"])])
    for v in (booked, BookOutcome("existing", a1), clash):
        assert pickle.loads(pickle.dumps(v)) == v and copy.deepcopy(v) == v
    assert repr(clash) == 'hcas.BookOutcome("conflict", conflicts=[hcas.Conflict("provider:P1", ["a", "b"])])'
    assert repr(booked).startswith('hcas.BookOutcome("booked", hcas.Booking("a1"')
    # The engine's JSON shape (docs: {"outcome": ..., ..the booking} or the conflicts).
    assert clash.to_dict() == {"outcome": "conflict", "conflicts": [{"resource": "provider:P1", "with": ["a", "b"]}]}
    d = BookOutcome("existing", a1).to_dict()
    assert (d["outcome"], d["id"], d["status"], d["resources"]) == ("existing", "a1", "booked", ["provider:P1"])
    for bad in (
        {"kind": "booked"},
        {"kind": "conflict"},
        {"kind": "conflict", "booking": a1, "conflicts": [Conflict("r", ["x"])]},
        {"kind": "booked", "booking": a1, "conflicts": [Conflict("r", ["x"])]},
        {"kind": "done", "booking": a1},
    ):
        with pytest.raises(hcas.InvalidRequestError):
            BookOutcome(**bad)
    with pytest.raises(AttributeError):
        booked.kind = BookOutcomeKind.CONFLICT  # type: ignore[misc]


def test_a_booking_keeps_its_reschedule_links() -> None:
    b = Booking("a2", ["provider:P1"], at(9), at(10), replaces="a1", replaced_by="a3")
    assert (b.replaces, b.replaced_by) == ("a1", "a3")
    assert pickle.loads(pickle.dumps(b)) == b and b != Booking("a2", ["provider:P1"], at(9), at(10))
    assert 'replaces="a1", replaced_by="a3"' in repr(b)
    with pytest.raises(hcas.InvalidRequestError, match="replaces"):
        Booking("a2", ["provider:P1"], at(9), at(10), replaces="")
    # Through FHIR (the hcas replaces / replaced-by extensions) and back.
    back = hcas.appointment_from_fhir(hcas.appointment_to_fhir(b))
    assert (back.replaces, back.replaced_by) == ("a1", "a3")
    assert pickle.loads(pickle.dumps(back)) == back


# --- the conflict vectors, through the typed API, against evaluate() ---


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def typed_answer(input: dict[str, Any]) -> BookOutcome:
    """The vector's question asked of a Ledger: load its bookings, set its
    capacities, and book its request at its `now`."""
    ledger = Ledger()
    for resource, capacity in input.get("capacity", {}).items():
        ledger.set_capacity(resource, capacity)
    for b in input["bookings"]:
        hold = b.get("hold_expires")
        ledger.insert(
            Booking(
                b["id"],
                b["resources"],
                instant(b["start"]),
                instant(b["end"]),
                status=b["status"],
                hold_expires=instant(hold) if hold else None,
            )
        )
    req = input["request"]
    request = Booking("request-under-test", req["resources"], instant(req["start"]), instant(req["end"]))
    before = len(ledger)
    got = ledger.book(request, now=instant(input["now"]))
    assert len(ledger) == before + (1 if got.ok else 0)
    return got


def test_the_conflict_vectors_answer_the_same_through_the_ledger() -> None:
    ran = 0
    for path in sorted(VECTORS.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        input = case["input"]
        # Errors are the dict level's (unknown fields, malformed text);
        # without `now` the typed ledger has no instant to book at.
        if path.name.startswith("err-") or "now" not in input:
            continue
        got = typed_answer(input)
        answer = {"ok": got.ok, "conflicts": [{"resource": c.resource, "with": list(c.bookings)} for c in got.conflicts]}
        assert answer == hcas.evaluate("conflict", input), case["id"]
        assert hcas.check_vector(case, answer) is None, case["id"]
        ran += 1
    assert ran >= 40, ran
