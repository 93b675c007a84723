"""Series calls on a ledger release the GIL while the engine works: shown, as
in test_gil.py, by another thread getting to run during the call with
preemption switched off, never by timing. (The lifecycle and waitlist calls
release it the same way, but one of them is too short a call for the other
thread to be sure to get in, so they are not asserted here.)"""

import datetime as dt

import hcas
from test_gil import ran_during

UTC = dt.timezone.utc


def test_calls_on_a_ledger_release_the_gil() -> None:
    rec = hcas.Recurrence("FREQ=HOURLY;COUNT=1000", dt.datetime(2026, 3, 1), "UTC")
    spec = hcas.SeriesSpec("big", rec, dt.timedelta(minutes=30), ["provider:P1"])
    now = dt.datetime(2026, 2, 1, tzinfo=UTC)
    ledger = hcas.Ledger()
    assert ran_during(lambda: spec.plan(ledger, now))
    assert ran_during(lambda: spec.book(ledger, now))  # books once, then finds every occurrence taken
    assert len(ledger) == 1000
    cancel = hcas.SeriesCancel(hcas.SeriesRef("big", "2026-03-01T00:00:00"), "all", "staff", "closed")
    assert ran_during(lambda: hcas.cancel_occurrences(ledger, cancel, now))
    assert all(b.status is hcas.Status.CANCELLED for b in ledger.bookings())
