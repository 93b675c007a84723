"""The waitlist (hcas_core::waitlist) through the typed classes. Expectations
are worked out by hand from docs/booking.md ("Waitlist") and the core's doc
comments: entries are served by `created`, then id; an offer goes to the first
entry that wants the freed slot's provider, whose window contains the slot
(long enough for its preferences) and whose patient and provider are free;
a hold made from the offer blocks the slot until it lapses."""

import copy
import datetime as dt
import pickle
from typing import Any

import pytest

import hcas
from hcas import Booking, Ledger, Offer, Preferences, Status, WaitEntry, Waitlist

UTC = dt.timezone.utc


def t(day: int, h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, h, m, tzinfo=UTC)


WINDOW = (t(4, 0), t(9, 0))
NOW = t(4, 8)


def entry(id: str, patient: str, created: dt.datetime, **kw: Any) -> WaitEntry:
    return WaitEntry(id, f"patient:{patient}", kw.pop("provider", "provider:P1"), kw.pop("window", WINDOW), created, **kw)


def freed() -> Booking:
    # Tuesday 5 May 09:00Z-09:30Z with provider P1, cancelled by patient X1.
    return Booking("a1", ["provider:P1", "patient:X1", "room:R1"], t(5, 9), t(5, 9, 30), Status.CANCELLED)


def test_first_come_first_served_and_the_hold() -> None:
    wl = Waitlist([entry("w3", "X3", t(2, 10)), entry("w2", "X2", t(1, 10)), entry("w1", "X4", t(2, 10))])
    # By created, then id.
    assert [e.id for e in wl.entries()] == ["w2", "w1", "w3"] and len(wl) == 3
    offer = wl.offer(freed(), Ledger(), NOW, dt.timedelta(minutes=20))
    assert offer == Offer("w2", "patient:X2", t(5, 9), t(5, 9, 30), t(4, 8, 20))
    assert offer is not None and (offer.entry_id, offer.patient, offer.hold_expires) == ("w2", "patient:X2", t(4, 8, 20))
    # The offer removes nobody.
    assert len(wl) == 3
    hold = hcas.make_hold(offer, "provider:P1", "h1")
    assert (hold.id, hold.status, hold.resources, hold.start, hold.end, hold.hold_expires) == (
        "h1",
        Status.HELD,
        ("provider:P1", "patient:X2"),
        t(5, 9),
        t(5, 9, 30),
        t(4, 8, 20),
    )
    ledger = Ledger([freed(), hold])
    # While the hold lives the slot is offered to nobody; once it lapses, to w2 again.
    assert wl.offer(freed(), ledger, NOW, dt.timedelta(minutes=15)) is None
    again = wl.offer(freed(), ledger, t(4, 8, 20), dt.timedelta(minutes=15))
    assert again is not None and again.entry_id == "w2" and again.hold_expires == t(4, 8, 35)
    # Same created: the smaller id first.
    assert wl.remove("w2") == entry("w2", "X2", t(1, 10)) and wl.remove("w2") is None
    got = wl.offer(freed(), Ledger(), NOW, dt.timedelta(minutes=15))
    assert got is not None and got.entry_id == "w1"


def test_who_is_skipped() -> None:
    # X2 is busy elsewhere over 09:29Z-10:00Z: w2 (X3) is next.
    busy = Ledger([Booking("b9", ["provider:P7", "patient:X2"], t(5, 9, 29), t(5, 10))])
    wl = Waitlist([entry("w1", "X2", t(1, 10)), entry("w2", "X3", t(2, 10))])
    got = wl.offer(freed(), busy, NOW, dt.timedelta(minutes=15))
    assert got is not None and got.entry_id == "w2"
    # Windows that do not contain the slot, another provider, a slot shorter than preferred.
    wl = Waitlist(
        [
            entry("w1", "X2", t(1, 10), window=(t(5, 8), t(5, 9, 15))),
            entry("w2", "X3", t(1, 11), window=(t(5, 9, 1), t(5, 12))),
            entry("w3", "X4", t(1, 12), provider="provider:P2"),
            entry("w4", "X5", t(1, 13), preferences=Preferences(min_duration=dt.timedelta(minutes=31))),
            entry("w5", "X6", t(1, 14), window=(t(5, 9), t(5, 9, 30)), preferences=Preferences(dt.timedelta(minutes=30))),
        ]
    )
    got = wl.offer(freed(), Ledger(), NOW, dt.timedelta(minutes=15))
    assert got is not None and got.entry_id == "w5"
    wl.remove("w5")
    assert wl.offer(freed(), Ledger(), NOW, dt.timedelta(minutes=15)) is None
    # A slot that has started is offered to nobody.
    assert Waitlist([entry("w1", "X2", t(1, 10))]).offer(freed(), Ledger(), t(5, 9), dt.timedelta(minutes=15)) is None


def test_remove_expired_and_get() -> None:
    wl = Waitlist([entry("w1", "X2", t(1, 10), window=(t(1, 0), t(5, 9, 30))), entry("w2", "X3", t(2, 10))])
    assert wl.get("w2") == entry("w2", "X3", t(2, 10)) and wl.get("w9") is None
    assert wl.remove_expired(t(5, 9, 29)) == [] and len(wl) == 2
    gone = wl.remove_expired(t(5, 9, 30))  # w1's window ends then
    assert [e.id for e in gone] == ["w1"] and [e.id for e in wl.entries()] == ["w2"]
    with pytest.raises(hcas.InvalidDatetimeError):
        wl.remove_expired(dt.datetime(2026, 5, 6))


def test_waitlist_errors() -> None:
    wl = Waitlist([entry("w1", "X2", t(1, 10))])
    with pytest.raises(hcas.InvalidRequestError, match="w1 is already used"):
        wl.add(entry("w1", "X3", t(2, 10)))
    with pytest.raises(hcas.InvalidRequestError, match="patient"):
        WaitEntry("w2", " ", "provider:P1", WINDOW, t(1, 10))
    with pytest.raises(hcas.InvalidDurationError, match="min_duration_minutes"):
        entry("w3", "X3", t(1, 10), preferences=Preferences(min_duration=dt.timedelta(0)))
    with pytest.raises(hcas.InvalidDatetimeError, match="naive"):
        WaitEntry("w4", "patient:X3", "provider:P1", WINDOW, dt.datetime(2026, 5, 1))
    with pytest.raises(hcas.InvalidDatetimeError, match="window.end"):
        WaitEntry("w4", "patient:X3", "provider:P1", (t(4, 0), dt.datetime(2026, 5, 9)), t(1, 10))
    with pytest.raises(hcas.InvalidIntervalError):
        WaitEntry("w4", "patient:X3", "provider:P1", (t(9, 0), t(4, 0)), t(1, 10))
    with pytest.raises(hcas.InvalidRequestError, match="pair"):
        WaitEntry("w4", "patient:X3", "provider:P1", t(4, 0), t(1, 10))  # type: ignore[arg-type]
    for hold in (dt.timedelta(0), dt.timedelta(minutes=-5), dt.timedelta(days=7, minutes=1)):
        with pytest.raises(hcas.InvalidDurationError, match="between 1 and 10080"):
            wl.offer(freed(), Ledger(), NOW, hold)
    assert wl.offer(freed(), Ledger(), NOW, dt.timedelta(days=7)) is not None
    with pytest.raises(hcas.InvalidRequestError, match="hcas.WaitEntry"):
        wl.add("w5")  # type: ignore[arg-type]
    with pytest.raises(hcas.InvalidRequestError, match="hcas.Booking"):
        wl.offer("a1", Ledger(), NOW, dt.timedelta(minutes=5))  # type: ignore[arg-type]
    with pytest.raises(hcas.InvalidRequestError, match="hcas.Offer"):
        hcas.make_hold("o", "provider:P1", "h1")  # type: ignore[arg-type]
    assert len(wl) == 1


def test_value_classes() -> None:
    e = entry("w1", "X2", t(1, 10), preferences=Preferences(min_duration=dt.timedelta(minutes=20)))
    offer = Offer("w1", "patient:X2", t(5, 9), t(5, 9, 30), t(4, 8, 15))
    pairs: list[tuple[Any, Any, Any]] = [
        (Preferences(), Preferences(None), Preferences(dt.timedelta(minutes=1))),
        (e, entry("w1", "X2", t(1, 10), preferences=Preferences(dt.timedelta(minutes=20))), entry("w1", "X2", t(1, 10))),
        (offer, Offer("w1", "patient:X2", t(5, 9), t(5, 9, 30), t(4, 8, 15)), Offer("w1", "patient:X2", t(5, 9), t(5, 9, 30), t(4, 8, 16))),
    ]
    for a, same, other in pairs:
        assert a == same and hash(a) == hash(same) and a is not same
        assert a != other and len({a, same, other}) == 2
        assert repr(a).startswith("hcas." + type(a).__name__ + "(")
        with pytest.raises(AttributeError):
            a.id = "x"
        for back in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
            assert back == a and hash(back) == hash(a) and type(back) is type(a) and repr(back) == repr(a)
    assert (e.id, e.patient, e.provider, e.window, e.created) == ("w1", "patient:X2", "provider:P1", WINDOW, t(1, 10))
    assert e.preferences.min_duration == dt.timedelta(minutes=20) and Preferences().min_duration is None
    # The waitlist is mutable state: equal by its entries, unhashable, picklable.
    wl = Waitlist([e, entry("w0", "X3", t(2, 10))])
    back = pickle.loads(pickle.dumps(wl))
    assert back == wl and back is not wl and back.entries() == wl.entries()
    back.remove("w0")
    assert back != wl
    with pytest.raises(TypeError):
        hash(wl)
    assert repr(wl) == "<hcas.Waitlist of 2 entries>"
