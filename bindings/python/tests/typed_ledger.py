"""A sample using the ledger's booking operations and the series advice,
checked by `mypy --strict` (scripts/test) and run by test_typed_ledger.py:
the stubs must describe what the package does. It uses every name the ledger
area adds (BookOutcome, BookOutcomeKind, IDEMPOTENCY_TTL, the Ledger
operations, Booking's reschedule links, SeriesSpec.add_alternatives,
OccurrenceResult.alternatives, FhirSeries.spec, series_conflict_outcome)."""

import datetime as dt
from typing import Any, Optional

import hcas

UTC = dt.timezone.utc


def at(h: int, m: int = 0) -> dt.datetime:
    """An instant on 4 May 2026, UTC."""
    return dt.datetime(2026, 5, 4, h, m, tzinfo=UTC)


def describe(outcome: hcas.BookOutcome) -> str:
    """One line: the kind, then the booking id or every conflict."""
    kind: hcas.BookOutcomeKind = outcome.kind
    booking: Optional[hcas.Booking] = outcome.booking
    if booking is not None:
        return f"{kind.value} {booking.id} {booking.status.value}"
    conflicts: tuple[hcas.Conflict, ...] = outcome.conflicts
    return f"{kind.value} " + " ".join(f"{c.resource}={','.join(c.bookings)}" for c in conflicts)


def book_day(now: dt.datetime) -> list[str]:
    """Book, retry, clash, hold, confirm, reschedule and move on one ledger."""
    ledger = hcas.Ledger()
    out: list[str] = []
    a1 = hcas.Booking("a1", ["provider:lee", "patient:ann"], at(9), at(9, 30))
    out.append(describe(ledger.book(a1, now=now, idempotency_key="req-1")))
    assert a1.same_request(hcas.Booking("a1-again", ["provider:lee", "patient:ann"], at(9), at(9, 30)))
    retry = ledger.book(a1, now=now, idempotency_key="req-1")
    out.append(f"{describe(retry)} ok={retry.ok} keys={ledger.idempotency_keys()}")
    clash = hcas.Booking("a2", ["provider:lee", "patient:bo"], at(9, 15), at(9, 45))
    out.append(describe(ledger.book(clash, now=now)))
    held = ledger.hold("h1", ["room:R1"], at(10), at(11), now=now, length=dt.timedelta(minutes=15))
    out.append(describe(held))
    out.append(describe(ledger.confirm_hold("h1", now=now + dt.timedelta(minutes=5))))
    new = hcas.Booking("a3", ["provider:lee", "patient:ann"], at(11), at(11, 30))
    moved = ledger.reschedule("a1", new, now=now, reason="patient asked")
    old = ledger.get("a1")
    assert old is not None and moved.booking is not None
    replaces: Optional[str] = moved.booking.replaces
    replaced_by: Optional[str] = old.replaced_by
    out.append(f"{describe(moved)} replaces={replaces} old={old.status.value} replaced_by={replaced_by}")
    out.append(describe(ledger.move_booking("a3", at(10, 30), at(11), now=now)))
    blocking: list[hcas.Booking] = ledger.blocking_on("provider:lee", at(9), at(12), now=now)
    out.append(",".join(b.id for b in blocking))
    free: list[hcas.Conflict] = ledger.check(["room:R1"], at(10), at(11), now, exclude="h1", extra=[clash])
    out.append(f"free={free == []}")
    ledger.expire_idempotency_keys(now + hcas.IDEMPOTENCY_TTL)
    out.append(f"keys={ledger.idempotency_keys()}")
    wire: dict[str, Any] = hcas.BookOutcome(hcas.BookOutcomeKind.CONFLICT, conflicts=[hcas.Conflict("r", ["x"])]).to_dict()
    out.append(str(wire["outcome"]))
    return out


def series_advice(now: dt.datetime) -> list[str]:
    """A FHIR weekly template as a series; its clash with advice and as an OperationOutcome."""
    template = hcas.Booking("tpl", ["provider:lee"], dt.datetime(2026, 5, 5, 9, tzinfo=UTC), dt.datetime(2026, 5, 5, 9, 30, tzinfo=UTC))
    rec = hcas.RecurrenceTemplate("UTC", hcas.RecurrenceType.DAILY, occurrence_count=2)
    spec: hcas.SeriesSpec = hcas.FhirSeries(template, rec).spec("daily")
    ledger = hcas.Ledger([hcas.Booking("x6", ["provider:lee"], dt.datetime(2026, 5, 6, 9, tzinfo=UTC), dt.datetime(2026, 5, 6, 10, tzinfo=UTC))])
    hours = hcas.Availability("UTC", [hcas.WorkingRule("FREQ=DAILY", "09:00", "12:00", dtstart=dt.date(2026, 5, 1))])
    plan = spec.add_alternatives(spec.plan(ledger, now), ledger, hours, now=now, count=1)
    out: list[str] = []
    for o in plan:
        alt: Optional[hcas.Alternatives] = o.alternatives
        after = "" if alt is None else ",".join(t.isoformat() for t in alt.after)
        out.append(f"{o.id} ok={o.ok} after={after}")
    oo: dict[str, Any] = hcas.series_conflict_outcome("taken", plan)
    out.append(str(oo["issue"][-1]["diagnostics"]))
    return out


def main() -> list[str]:
    """Every line the sample prints."""
    now = at(8)
    return book_day(now) + series_advice(now)


if __name__ == "__main__":
    for line in main():
        print(line)
