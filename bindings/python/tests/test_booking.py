"""The bookings ledger and its conflict check (hcas_core::booking) through the
typed classes; every expectation below is worked out by hand from the rules in
docs (overlap is [start, end) against [start, end), touching is not
overlapping, a hold blocks until it lapses, cancelled never blocks)."""

import copy
import datetime as dt
import pickle

import pytest

import hcas
from hcas import Booking, Conflict, Ledger, Status

UTC = dt.timezone.utc


def at(h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, 4, h, m, tzinfo=UTC)


def test_status_is_an_enum_of_the_engines_wire_names() -> None:
    assert [s.value for s in Status] == hcas.STATUSES
    assert len(Status) == 11 and Status("checked-in") is Status.CHECKED_IN
    assert Booking("a1", ["provider:P1"], at(9), at(10)).status is Status.BOOKED
    assert Booking("a1", ["provider:P1"], at(9), at(10), status="noshow").status is Status.NOSHOW
    with pytest.raises(hcas.InvalidRequestError) as e:
        Booking("a1", ["provider:P1"], at(9), at(10), status="done")
    assert e.value.code == "invalid_request" and "status" in e.value.message


def test_a_booking_is_a_value() -> None:
    a = Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 30))
    b = Booking("a1", ("provider:P1", "patient:X1"), at(9).astimezone(dt.timezone(dt.timedelta(hours=2))), at(9, 30))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 30), status=Status.CANCELLED)
    assert (a.id, a.resources, a.start, a.end, a.hold_expires) == ("a1", ("provider:P1", "patient:X1"), at(9), at(9, 30), None)
    assert a.start.tzinfo is not None and a.start.utcoffset() == dt.timedelta(0)
    assert pickle.loads(pickle.dumps(a)) == a and copy.deepcopy(a) == a
    h = Booking("h1", ["room:R1"], at(9), at(10), Status.HELD, hold_expires=at(8, 50))
    assert pickle.loads(pickle.dumps(h)) == h and h.hold_expires == at(8, 50)
    assert repr(a).startswith("hcas.Booking(\"a1\"") and "status=\"booked\"" in repr(a)
    with pytest.raises(AttributeError):
        a.id = "b"  # type: ignore[misc]


def test_bad_bookings_are_refused_with_their_family() -> None:
    with pytest.raises(hcas.InvalidDatetimeError):
        Booking("a1", ["provider:P1"], dt.datetime(2026, 5, 4, 9), at(10))
    with pytest.raises(hcas.InvalidIntervalError):
        Booking("a1", ["provider:P1"], at(10), at(9))
    with pytest.raises(hcas.InvalidRequestError, match="list of resource names"):
        Booking("a1", "provider:P1", at(9), at(10))
    with pytest.raises(hcas.InvalidRequestError, match="hold must expire"):
        Booking("h1", ["room:R1"], at(9), at(10), status=Status.HELD)
    with pytest.raises(hcas.InvalidRequestError, match="no resources"):
        Booking("a1", [], at(9), at(10))


def test_blocks_follows_the_status_and_the_hold() -> None:
    assert Booking("a1", ["r"], at(9), at(10)).blocks(at(0))
    assert not Booking("a1", ["r"], at(9), at(10), status=Status.CANCELLED).blocks(at(0))
    hold = Booking("h1", ["r"], at(9), at(10), status=Status.HELD, hold_expires=at(8, 50))
    assert hold.blocks(at(8, 40)) and not hold.blocks(at(8, 50))


def test_the_conflict_check() -> None:
    ledger = Ledger([Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 30))])
    ledger.insert(Booking("c1", ["provider:P2"], at(9), at(10), status=Status.CANCELLED))
    ledger.insert(Booking("h1", ["room:R1"], at(9), at(10), status=Status.HELD, hold_expires=at(8, 50)))
    now = at(8)
    # P2 is free (its only booking is cancelled); X1 is taken by a1 over 09:15-09:30.
    assert ledger.check(["provider:P2", "patient:X1"], at(9, 15), at(9, 45), now) == [Conflict("patient:X1", ["a1"])]
    # Touching is not overlapping.
    assert ledger.check(["provider:P1", "patient:X1"], at(9, 30), at(10), now) == []
    # The hold blocks room R1 until 08:50.
    assert ledger.check(["room:R1"], at(9, 30), at(10), at(8, 40)) == [Conflict("room:R1", ["h1"])]
    assert ledger.check(["room:R1"], at(9, 30), at(10), at(8, 50)) == []
    # Conflicts come by resource name, each with its bookings' ids sorted.
    got = ledger.check(["room:R1", "provider:P1"], at(9), at(9, 5), at(8, 40))
    assert [(c.resource, c.bookings) for c in got] == [("provider:P1", ("a1",)), ("room:R1", ("h1",))]
    with pytest.raises(hcas.InvalidIntervalError):
        ledger.check(["provider:P1"], at(10), at(9), now)
    with pytest.raises(hcas.InvalidDatetimeError):
        ledger.check(["provider:P1"], at(9), at(10), dt.datetime(2026, 5, 4, 8))


def test_capacity_lets_bookings_overlap_up_to_it() -> None:
    ledger = Ledger()
    assert ledger.capacity("room:Gym") == 1
    ledger.set_capacity("room:Gym", 2)
    assert ledger.capacity("room:Gym") == 2
    ledger.insert(Booking("g2", ["room:Gym"], at(9), at(10)))
    assert ledger.check(["room:Gym"], at(9), at(10), at(8)) == []
    ledger.insert(Booking("g1", ["room:Gym"], at(9, 30), at(10, 30)))
    # Two overlap 09:30-10:00 already: a third there is refused, naming both, sorted.
    assert ledger.check(["room:Gym"], at(9, 45), at(10), at(8)) == [Conflict("room:Gym", ["g2", "g1"])]
    assert Conflict("room:Gym", ["g2", "g1"]).bookings == ("g1", "g2")
    # Before 09:30 only g2 is there.
    assert ledger.check(["room:Gym"], at(9), at(9, 30), at(8)) == []
    with pytest.raises(hcas.InvalidRequestError, match="at least 1"):
        ledger.set_capacity("room:Gym", 0)


def test_the_ledger_holds_bookings_by_id() -> None:
    b, c = Booking("b", ["r"], at(10), at(11)), Booking("a", ["s"], at(10), at(11))
    first = Booking("z", ["r"], at(9), at(10))
    ledger = Ledger([b, c, first])
    assert len(ledger) == 3 and ledger.get("b") == b and ledger.get("nope") is None
    assert [x.id for x in ledger.bookings()] == ["z", "a", "b"]  # by start, then id
    with pytest.raises(hcas.InvalidRequestError, match="already used"):
        ledger.insert(Booking("b", ["t"], at(12), at(13)))
    with pytest.raises(hcas.InvalidRequestError, match="hcas.Booking"):
        ledger.insert("b")  # type: ignore[arg-type]
    assert ledger.remove("b") == b and ledger.remove("b") is None and len(ledger) == 2
    # Removed, r is free at 10:00.
    assert ledger.check(["r"], at(10), at(11), at(8)) == []
    assert ledger == ledger and ledger != Ledger([c, first])
