"""The ledger's booking operations and SeriesSpec.add_alternatives release
the GIL while the engine works: shown, as in test_gil.py, by another thread
getting to run during the call with preemption switched off, never by timing.
The calls are made long enough to be sure the other thread gets in: a room
where 3000 bookings overlap one hour, so every refusal lists 3000 ids."""

import datetime as dt

import hcas
from test_gil import ran_during

UTC = dt.timezone.utc


def at(h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, 4, h, m, tzinfo=UTC)


def crowded() -> hcas.Ledger:
    ledger = hcas.Ledger([hcas.Booking(f"b{i}", ["room:Big"], at(9), at(10)) for i in range(3000)])
    ledger.insert(hcas.Booking("mine", ["room:Big"], at(12), at(13)))
    return ledger


def test_book_and_move_release_the_gil() -> None:
    ledger = crowded()
    wanted = hcas.Booking("x", ["room:Big"], at(9, 30), at(10, 30))
    got = ledger.book(wanted, now=at(8))
    assert got.kind is hcas.BookOutcomeKind.CONFLICT and len(got.conflicts[0].bookings) == 3000
    assert ran_during(lambda: ledger.book(wanted, now=at(8)))
    assert ran_during(lambda: ledger.move_booking("mine", at(9, 30), at(10, 30), now=at(8)))
    assert len(ledger) == 3001 and ledger.get("x") is None


def test_add_alternatives_releases_the_gil() -> None:
    ledger = crowded()
    rec = hcas.Recurrence("FREQ=DAILY;COUNT=20", dt.datetime(2026, 5, 4, 9), "UTC")
    spec = hcas.SeriesSpec("s", rec, dt.timedelta(minutes=5), ["room:Big"])
    hours = hcas.Availability("UTC", [hcas.WorkingRule("FREQ=DAILY", "00:00", "24:00", dtstart=dt.date(2026, 5, 1))])
    plan = spec.plan(ledger, at(8))
    assert not plan[0].ok and all(o.ok for o in plan[1:])
    assert ran_during(lambda: spec.add_alternatives(plan, ledger, hours, now=at(8), count=5))
