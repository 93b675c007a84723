"""A sample using the series, lifecycle and waitlist API, checked by
`mypy --strict` (scripts/test) and run by test_typed_series.py: the stubs must
describe what the package does. It uses every name those three areas add."""

import datetime as dt
from typing import Optional

import hcas

UTC = dt.timezone.utc


def book_course(ledger: hcas.Ledger, now: dt.datetime) -> hcas.SeriesResult:
    """Weekly physio on Mondays 09:00 New York time, three times, 45 minutes each."""
    rec = hcas.Recurrence("FREQ=WEEKLY;BYDAY=MO;COUNT=3", dt.datetime(2026, 3, 2, 9), "America/New_York")
    spec = hcas.SeriesSpec("physio", rec, dt.timedelta(minutes=45), ["provider:lee", "patient:ann"])
    plan: list[hcas.OccurrenceResult] = spec.plan(ledger, now)
    assert all(o.ok for o in plan)
    first: tuple[dt.datetime, dt.datetime, dt.datetime] = spec.occurrences()[0]
    assert spec.occurrence_id(first[0]) == "physio.20260302T090000"
    return spec.book(ledger, now, policy=hcas.SeriesPolicy.ALL_OR_NOTHING)


def move_and_cancel(ledger: hcas.Ledger, now: dt.datetime) -> list[str]:
    """Push the last two a week later, then cancel the first; describe what happened."""
    out: list[str] = []
    second = hcas.SeriesRef("physio", dt.datetime(2026, 3, 9, 9))
    edit = hcas.SeriesEdit(
        second,
        hcas.EditScope.THIS_AND_FOLLOWING,
        "America/New_York",
        hcas.Party.STAFF,
        shift=hcas.WallShift(days=7, minutes=dt.timedelta(0)),
        reason="clinic closed",
        policy=hcas.LifecyclePolicy(late_cancel=dt.timedelta(hours=48)),
    )
    series: list[hcas.Booking] = hcas.series_bookings(ledger, "physio")
    plan: hcas.ShiftPlan = hcas.plan_shift(series, edit, now)
    moves: tuple[hcas.Move, ...] = plan.moves
    out.append(",".join(m.start.isoformat() for m in moves))
    done: hcas.EditResult = hcas.shift_occurrences(ledger, edit, now)
    out.append(f"applied={done.applied} skipped={len(done.skipped)}")
    cancel = hcas.SeriesCancel(hcas.SeriesRef("physio", "2026-03-02T09:00:00"), "this", hcas.Party.PATIENT, "moving away")
    preview: hcas.CancelResult = hcas.plan_cancel(hcas.series_bookings(ledger, "physio"), cancel, now)
    result = hcas.cancel_occurrences(ledger, cancel, now)
    assert result == preview
    for c in result.cancelled:
        c_occ: hcas.CancelledOccurrence = c
        kinds = [o.kind.value for o in c_occ.outcomes]
        out.append(f"{c_occ.id} from {c_occ.from_.value}: {' '.join(kinds)}")
    first = ledger.get("physio.20260302T090000")
    if first is not None:
        ref: Optional[hcas.SeriesRef] = first.series
        reason: Optional[str] = first.cancel_reason
        out.append(f"{ref.recurrence_id if ref is not None else None} {reason}")
    again = hcas.cancel_occurrences(ledger, cancel, now)
    skipped: hcas.Skipped = again.skipped[0]
    err: hcas.HcasError = skipped.error
    out.append(f"{skipped.id} {skipped.status.value} {skipped.code} {type(err).__name__}")
    return out


def lifecycle(now: dt.datetime) -> list[str]:
    """Cancel an appointment late, ask the table who may record a no-show."""
    start = now + dt.timedelta(hours=2)
    ledger = hcas.Ledger([hcas.Booking("a1", ["provider:lee", "patient:ann"], start, start + dt.timedelta(minutes=30))])
    req = hcas.TransitionRequest(hcas.Status.CANCELLED, hcas.Party.PATIENT, now, reason="flu")
    policy = hcas.LifecyclePolicy(late_cancel=dt.timedelta(hours=24), noshow_grace=dt.timedelta(minutes=10), checkin_opens=dt.timedelta(hours=1))
    would: hcas.Transitioned = hcas.transition(hcas.Booking("a2", ["r"], start, start + dt.timedelta(minutes=5)), req, policy)
    done = hcas.apply(ledger, "a1", req, policy)
    assert done == would
    late: Optional[dt.timedelta] = None
    for o in done.outcomes:
        outcome: hcas.Outcome = o
        if outcome.kind is hcas.OutcomeKind.LATE_CANCELLATION:
            late = outcome.minutes_before_start
    who: Optional[list[hcas.Party]] = hcas.allowed_actors(hcas.Status.BOOKED, hcas.Status.NOSHOW)
    targets: list[hcas.Status] = hcas.legal_targets("booked")
    return [
        f"{done.from_.value}->{done.to.value} late by {late}",
        ",".join(p.value for p in who or []),
        ",".join(s.value for s in targets),
        f"{hcas.reason_required('booked', hcas.Status.CANCELLED)} {hcas.is_terminal(hcas.Status.CANCELLED)} {','.join(hcas.PARTIES)}",
    ]


def waitlist(now: dt.datetime) -> list[str]:
    """Offer a freed slot to the first waiting patient and hold it for them."""
    slot = (now + dt.timedelta(days=1), now + dt.timedelta(days=1, minutes=30))
    entries = [
        hcas.WaitEntry("w2", "patient:bob", "provider:lee", (now, now + dt.timedelta(days=3)), now - dt.timedelta(hours=1)),
        hcas.WaitEntry(
            "w1",
            "patient:cat",
            "provider:lee",
            (now, now + dt.timedelta(days=3)),
            now - dt.timedelta(hours=2),
            preferences=hcas.Preferences(min_duration=dt.timedelta(minutes=30)),
        ),
    ]
    wl = hcas.Waitlist(entries)
    freed = hcas.Booking("a1", ["provider:lee", "patient:ann"], slot[0], slot[1], hcas.Status.CANCELLED)
    ledger = hcas.Ledger([freed])
    offer: Optional[hcas.Offer] = wl.offer(freed, ledger, now, dt.timedelta(minutes=15))
    lines = [f"{len(wl)} waiting, first {wl.entries()[0].id}"]
    if offer is not None:
        hold: hcas.Booking = hcas.make_hold(offer, "provider:lee", "h1")
        ledger.insert(hold)
        lines.append(f"offer to {offer.entry_id} ({offer.patient}) until {offer.hold_expires.isoformat()}; {hold.status.value}")
    cat: Optional[hcas.WaitEntry] = wl.remove("w1")
    prefs: Optional[dt.timedelta] = cat.preferences.min_duration if cat is not None else None
    gone: list[hcas.WaitEntry] = wl.remove_expired(now + dt.timedelta(days=4))
    wl.add(entries[1])
    lines.append(f"{prefs} {len(gone)} {wl.get('w1') is not None}")
    return lines


def main() -> list[str]:
    """Everything above, as text."""
    now = dt.datetime(2026, 3, 1, tzinfo=UTC)
    ledger = hcas.Ledger()
    booked = book_course(ledger, now)
    lines = [f"booked={booked.booked} " + ",".join(o.start.isoformat() for o in booked.occurrences)]
    lines += move_and_cancel(ledger, now)
    lines += lifecycle(dt.datetime(2026, 5, 4, 7, tzinfo=UTC))
    lines += waitlist(dt.datetime(2026, 5, 4, 8, tzinfo=UTC))
    scope: hcas.EditScope = hcas.EditScope.ALL
    policy: hcas.SeriesPolicy = hcas.SeriesPolicy.BOOK_FREE
    lines.append(f"{scope.value} {policy.value}")
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
