"""A sample using the API, checked by `mypy --strict` (scripts/test) and run
by test_typed_sample.py: the stubs must describe what the package does."""

import array
import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

import hcas


def next_free_morning(now: dt.datetime) -> Optional[dt.datetime]:
    """The first free hour on a Monday or Wednesday morning in London, within a week."""
    hours = hcas.WorkingRule("FREQ=WEEKLY;BYDAY=MO,WE", dt.time(9), "12:00", dtstart=dt.date(2026, 1, 5))
    closed: hcas.DateOverride = hcas.DateOverride(dt.date(2026, 4, 6))
    zone: hcas.Zone = hcas.Zone(ZoneInfo("Europe/London"))
    avail = hcas.Availability(zone, [hours], [closed], busy=[(now, now + dt.timedelta(hours=1))])
    starts: list[dt.datetime] = avail.slots(
        now, now + dt.timedelta(days=7), dt.timedelta(hours=1), min_notice=dt.timedelta(hours=2), now=now
    )
    return starts[0] if starts else None


def first_three(rrule: str) -> list[dt.datetime]:
    """The first three occurrences of a rule at 09:00 New York time, lazily."""
    rec = hcas.Recurrence(rrule, dt.datetime(2026, 3, 2, 9), "America/New_York")
    out: list[dt.datetime] = []
    for t in rec:
        out.append(t)
        if len(out) == 3:
            break
    return out


def who_is_in_the_way(ledger: hcas.Ledger, start: dt.datetime, now: dt.datetime) -> list[str]:
    """Who holds Dr Lee or room 2 for the half hour from ``start``, as "resource: ids"."""
    conflicts: list[hcas.Conflict] = ledger.check(["provider:lee", "room:2"], start, start + dt.timedelta(minutes=30), now)
    return [f"{c.resource}: {','.join(c.bookings)}" for c in conflicts]


def describe(e: hcas.HcasError) -> str:
    """An error's stable code and message."""
    return f"{e.code}: {e.message}"


def main() -> list[str]:
    """Everything above, as text."""
    utc = dt.timezone.utc
    lines = [str(next_free_morning(dt.datetime(2026, 3, 30, 6, tzinfo=utc)))]
    lines += [t.isoformat() for t in first_three("FREQ=DAILY")]
    try:
        hcas.Recurrence("FREQ=NEVER", dt.datetime(2026, 3, 2, 9), "UTC")
    except hcas.InvalidRruleError as e:
        lines.append(describe(e))
    out = hcas.evaluate("slots", {"timezone": "UTC", "query": {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "duration": 30}})
    lines.append(str(out["slots"]))
    verdict: Optional[str] = hcas.check_vector({"id": "x", "expect": {"slots": []}}, out)
    lines.append(str(verdict))
    pool = hcas.pooled_slots([hcas.Availability("UTC")], dt.datetime(2026, 1, 1, tzinfo=utc), dt.datetime(2026, 1, 2, tzinfo=utc), dt.timedelta(minutes=30))
    lines.append(str([(t.isoformat(), list(free)) for t, free in pool]))
    seconds: "array.array[int]" = hcas.Recurrence("FREQ=DAILY;COUNT=2", dt.datetime(2026, 1, 1), "UTC").between_epoch(
        dt.datetime(2026, 1, 1, tzinfo=utc), dt.datetime(2026, 2, 1, tzinfo=utc)
    )
    lines.append(str(list(seconds)))
    lines.append(hcas.TZDB_VERSION + " " + ",".join(hcas.KINDS))
    nine = dt.datetime(2026, 5, 4, 9, tzinfo=utc)
    ledger = hcas.Ledger([hcas.Booking("b1", ["provider:lee", "patient:ann"], nine, nine + dt.timedelta(hours=1))])
    ledger.insert(
        hcas.Booking("h1", ("room:2",), nine, nine + dt.timedelta(hours=1), hcas.Status.HELD, hold_expires=nine)
    )
    held: Optional[hcas.Booking] = ledger.get("h1")
    status: Optional[hcas.Status] = held.status if held is not None else None
    lines.append(f"{status} {len(ledger)} {ledger.capacity('room:2')}")
    lines += who_is_in_the_way(ledger, nine + dt.timedelta(minutes=45), nine - dt.timedelta(hours=1))
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
