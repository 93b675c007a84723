"""Explain and alternatives (hcas_core::advice) through the typed API. Every
expectation is worked out by hand from the rules in docs/booking.md ("Explain
and alternatives") and the core's doc comments, for a provider in New York
in January 2026 (EST, UTC-5: 09:00 local is 14:00Z)."""

import copy
import datetime as dt
import pickle
from zoneinfo import ZoneInfo

import pytest

import hcas
from hcas import Availability, Booking, DateOverride, Ledger, LedgerContext, Reason, WorkingRule

UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")
MIN30 = dt.timedelta(minutes=30)


def local(day: int, h: int, m: int = 0) -> dt.datetime:
    """A wall time in New York in January 2026, as an aware datetime."""
    return dt.datetime(2026, 1, day, h, m, tzinfo=NY)


def z(day: int, h: int = 0, m: int = 0) -> dt.datetime:
    """An instant in January 2026, in UTC."""
    return dt.datetime(2026, 1, day, h, m, tzinfo=UTC)


# Weekdays 09:00-12:00 New York from Monday 5 January 2026; Thursday 8 January
# closed by an override; busy on Tuesday 6 January 10:00-10:30 local.
AVAIL = Availability(
    "America/New_York",
    [WorkingRule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "09:00", "12:00", dtstart=dt.date(2026, 1, 5))],
    [DateOverride(dt.date(2026, 1, 8))],
    busy=[(local(6, 10), local(6, 10, 30))],
)
# The query: the whole week Monday 5 to Saturday 10 January, local midnights.
WEEK = (local(5, 0), local(10, 0), MIN30)


def only(why: hcas.Explanation) -> hcas.ExplanationReason:
    assert not why.offered
    assert len(why.reasons) == 1, why.to_dict()
    return why.reasons[0]


def test_the_reason_enum_holds_the_engines_wire_names() -> None:
    assert len(Reason) == 9 and Reason("off_grid") is Reason.OFF_GRID
    for r in only(AVAIL.explain(local(6, 10), *WEEK)), only(AVAIL.explain(local(6, 13), *WEEK)):
        assert r.to_dict()["reason"] == r.reason.value


def test_a_start_in_working_hours_on_the_grid_and_free_is_offered() -> None:
    why = AVAIL.explain(local(6, 9), *WEEK)
    assert why.offered and why.reasons == ()
    assert why.start == z(6, 14) and why.start.tzinfo is not None


def test_a_start_inside_busy_time_is_busy() -> None:
    r = only(AVAIL.explain(local(6, 10), *WEEK))
    assert r.reason is Reason.BUSY
    assert r.interval == (z(6, 15), z(6, 15, 30))
    # the attributes other reasons carry are None
    assert (r.window, r.step, r.earliest, r.conflict, r.local_date) == (None, None, None, None, None)


def test_a_start_whose_buffer_touches_busy_time_is_buffer() -> None:
    # 09:30-10:00 only touches 10:00-10:30; 30 minutes after it reach into it.
    assert AVAIL.explain(local(6, 9, 30), *WEEK).offered
    r = only(AVAIL.explain(local(6, 9, 30), *WEEK, buffer_after=MIN30))
    assert r.reason is Reason.BUFFER and r.interval == (z(6, 15), z(6, 15, 30))


def test_a_start_outside_working_hours_names_the_day_and_the_nearest_windows() -> None:
    r = only(AVAIL.explain(local(6, 13), *WEEK))
    assert r.reason is Reason.OUTSIDE_WORKING_HOURS
    assert r.local_date == dt.date(2026, 1, 6) and r.override_date is False
    # Tuesday's window before it, Wednesday's after: 09:00-12:00 local.
    assert r.nearest == ((z(6, 14), z(6, 17)), (z(7, 14), z(7, 17)))


def test_a_start_on_a_closed_date_says_an_override_closed_it() -> None:
    r = only(AVAIL.explain(local(8, 10), *WEEK))
    assert r.reason is Reason.OUTSIDE_WORKING_HOURS
    assert r.local_date == dt.date(2026, 1, 8) and r.override_date is True


def test_an_off_grid_start_names_the_grid_points_either_side() -> None:
    r = only(AVAIL.explain(local(7, 10, 10), *WEEK))
    assert r.reason is Reason.OFF_GRID
    assert r.window == (z(7, 14), z(7, 17)) and r.step == MIN30
    assert (r.previous, r.next) == (z(7, 15), z(7, 15, 30))


def test_a_start_that_runs_past_the_window_does_not_fit() -> None:
    # On a 15-minute grid 11:45 is a grid point, but 11:45 + 30 min > 12:00.
    r = only(AVAIL.explain(local(7, 11, 45), *WEEK, step=dt.timedelta(minutes=15)))
    assert r.reason is Reason.DOES_NOT_FIT and r.window == (z(7, 14), z(7, 17))


def test_a_start_too_soon_is_before_the_notice() -> None:
    now = local(6, 9, 30)
    r = only(AVAIL.explain(local(6, 11), *WEEK, now=now, min_notice=dt.timedelta(hours=2)))
    assert r.reason is Reason.BEFORE_NOTICE and r.earliest == z(6, 16, 30)


def test_a_start_beyond_the_horizon() -> None:
    r = only(AVAIL.explain(local(6, 9, 30), *WEEK, now=z(5, 14), horizon=dt.timedelta(days=1)))
    assert r.reason is Reason.BEYOND_HORIZON and r.latest == z(6, 14)


def test_a_start_outside_the_query() -> None:
    r = only(AVAIL.explain(local(7, 10), local(6, 0), local(7, 0), MIN30))
    assert r.reason is Reason.OUTSIDE_QUERY
    assert (r.from_, r.to) == (z(6, 5), z(7, 5))


def test_every_reason_is_given_not_just_the_first() -> None:
    # 10:10 on Tuesday: off the grid, inside busy time, and too soon.
    why = AVAIL.explain(local(6, 10, 10), *WEEK, now=local(6, 9), min_notice=dt.timedelta(hours=3))
    assert {r.reason for r in why.reasons} == {Reason.OFF_GRID, Reason.BUSY, Reason.BEFORE_NOTICE}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"buffer_before": MIN30, "now": z(6, 14, 40), "min_notice": dt.timedelta(minutes=20)},
        {"step": dt.timedelta(minutes=20), "buffer_after": dt.timedelta(minutes=10)},
    ],
)
def test_explain_agrees_with_slots_over_every_start_of_a_day(options: dict[str, object]) -> None:
    start, end = local(6, 0), local(7, 0)
    offered = set(AVAIL.slots(start, end, MIN30, **options))  # type: ignore[arg-type]
    assert offered, "the day offers something"
    t, seen = start, 0
    while t < end:
        why = AVAIL.explain(t, start, end, MIN30, **options)  # type: ignore[arg-type]
        assert why.offered == (t in offered), (t, why.to_dict())
        assert why.offered == (why.reasons == ())
        seen += why.offered
        t += dt.timedelta(minutes=5)
    assert seen == len(offered)


def test_explain_refuses_naive_datetimes_and_bad_queries() -> None:
    with pytest.raises(hcas.InvalidDatetimeError, match="at"):
        AVAIL.explain(dt.datetime(2026, 1, 6, 9), *WEEK)
    with pytest.raises(hcas.InvalidDurationError):
        AVAIL.explain(local(6, 9), local(5, 0), local(10, 0), dt.timedelta(0))


def test_explain_with_ledger_adds_the_ledgers_conflicts() -> None:
    ledger = Ledger([Booking("b1", ["provider:P1", "patient:X1"], local(6, 9), local(6, 9, 30))])
    ctx = LedgerContext(ledger, ["provider:P1", "patient:X2"], z(1, 0))
    assert ctx.ledger is ledger and ctx.resources == ("provider:P1", "patient:X2") and ctx.now == z(1, 0)
    r = only(hcas.explain_with_ledger(AVAIL, ctx, local(6, 9), *WEEK))
    assert r.reason is Reason.CONFLICT and r.conflict == hcas.Conflict("provider:P1", ["b1"])
    assert r.to_dict() == {"reason": "conflict", "resource": "provider:P1", "with": ["b1"]}
    free = hcas.explain_with_ledger(AVAIL, LedgerContext(ledger, ["room:R1"], z(1, 0)), local(6, 9), *WEEK)
    assert free.offered
    # The context reads the ledger when asked: a booking removed no longer conflicts.
    ledger.remove("b1")
    assert hcas.explain_with_ledger(AVAIL, ctx, local(6, 9), *WEEK).offered


def test_explanations_are_values() -> None:
    why = AVAIL.explain(local(7, 10, 10), *WEEK)
    same = AVAIL.explain(local(7, 10, 10, ), local(5, 0), local(10, 0), MIN30)
    assert why == same and hash(why) == hash(same)
    assert why != AVAIL.explain(local(7, 10, 20), *WEEK)
    assert pickle.loads(pickle.dumps(why)) == why and copy.deepcopy(why) == why
    r = why.reasons[0]
    assert pickle.loads(pickle.dumps(r)) == r and hash(r) == hash(hcas.ExplanationReason.from_dict(r.to_dict()))
    assert hcas.Explanation.from_dict(why.to_dict()) == why
    assert why.to_dict()["start"] == "2026-01-07T15:10:00Z"
    with pytest.raises(hcas.InvalidRequestError, match="offered"):
        hcas.Explanation.from_dict({**why.to_dict(), "offered": True})
    with pytest.raises(hcas.InvalidRequestError):
        hcas.ExplanationReason.from_dict({"reason": "tired"})
    assert "off_grid" in repr(why) and "off_grid" in repr(r)


# Alternatives: the ledger holds provider P1 on Tuesday 09:30-10:00 and
# 10:00-10:30 local; the provider has no busy time of its own.
FREE = Availability("America/New_York", AVAIL.rules)


def booked_ledger() -> Ledger:
    return Ledger(
        [
            Booking("b1", ["provider:P1"], local(6, 10), local(6, 10, 30)),
            Booking("b2", ["provider:P1"], local(6, 9, 30), local(6, 10)),
        ]
    )


def test_alternatives_are_the_nearest_free_starts_either_side() -> None:
    ledger = booked_ledger()
    got = hcas.alternatives(FREE, ledger, ["provider:P1"], local(6, 10), local(6, 10, 30), now=z(1, 0), count=2)
    # Before 10:00 Tuesday, nearest first: 09:30 is taken, so 09:00 Tuesday, then
    # Monday's last start 11:30. After: 10:30 and 11:00 Tuesday.
    assert got.before == (z(6, 14), z(5, 16, 30))
    assert got.after == (z(6, 15, 30), z(6, 16))
    # Each is offered by slots() over the search (7 days either side) and free.
    offered = set(FREE.slots(local(6, 10) - dt.timedelta(days=7), local(6, 10) + dt.timedelta(days=7), MIN30, now=z(1, 0)))
    for t in got.before + got.after:
        assert t in offered and ledger.check(["provider:P1"], t, t + MIN30, z(1, 0)) == []
    # Ordered as documented: before descending, after ascending, around the start.
    assert list(got.before) == sorted(got.before, reverse=True) and all(t < local(6, 10) for t in got.before)
    assert list(got.after) == sorted(got.after) and all(t > local(6, 10) for t in got.after)


def test_alternatives_follow_the_search_options() -> None:
    ledger = booked_ledger()
    # A 15-minute grid: 09:45 conflicts with b2, 09:15 too; 09:00 is free. After:
    # 10:15 overlaps b1; 10:30 and 10:45 are free.
    got = hcas.alternatives(
        FREE, ledger, ["provider:P1"], local(6, 10), local(6, 10, 30), now=z(1, 0), count=2, step=dt.timedelta(minutes=15)
    )
    assert got.before == (z(6, 14), z(5, 16, 30))
    assert got.after == (z(6, 15, 30), z(6, 15, 45))
    # No start before now: asked on Tuesday 09:00 local, nothing is before it.
    soon = hcas.alternatives(FREE, ledger, ["provider:P1"], local(6, 10), local(6, 10, 30), now=local(6, 9), count=3)
    assert soon.before == (z(6, 14),)
    # P1's bookings are not in the way of another provider.
    other = hcas.alternatives(FREE, ledger, ["provider:P2"], local(6, 10), local(6, 10, 30), now=z(1, 0), count=1)
    assert other.before == (z(6, 14, 30),) and other.after == (z(6, 15, 30),)


def test_alternatives_refuse_what_the_core_refuses() -> None:
    ledger = booked_ledger()
    args = (FREE, ledger, ["provider:P1"], local(6, 10), local(6, 10, 30))
    for bad in ({"count": 0}, {"count": -1}, {"count": 1, "search_days": 0}, {"count": 1, "search_days": 201}):
        with pytest.raises(hcas.InvalidRequestError, match="count"):
            hcas.alternatives(*args, now=z(1, 0), **bad)  # type: ignore[arg-type]
    with pytest.raises(hcas.InvalidDatetimeError, match="now"):
        hcas.alternatives(*args, now=dt.datetime(2026, 1, 1), count=1)
    with pytest.raises(hcas.InvalidIntervalError):
        hcas.alternatives(FREE, ledger, ["provider:P1"], local(6, 10), local(6, 9), now=z(1, 0), count=1)
    with pytest.raises(hcas.InvalidRequestError, match="resource names"):
        hcas.alternatives(FREE, ledger, "provider:P1", local(6, 10), local(6, 10, 30), now=z(1, 0), count=1)


def test_alternatives_are_values() -> None:
    a = hcas.Alternatives(before=[z(6, 14)], after=[local(6, 10, 30)])
    assert a == hcas.Alternatives([z(6, 14)], [z(6, 15, 30)]) and hash(a) == hash(hcas.Alternatives([z(6, 14)], [z(6, 15, 30)]))
    assert a != hcas.Alternatives() and hcas.Alternatives().before == ()
    assert pickle.loads(pickle.dumps(a)) == a and copy.deepcopy(a) == a
    assert repr(a) == 'hcas.Alternatives(before=["2026-01-06T14:00:00Z"], after=["2026-01-06T15:30:00Z"])'
    with pytest.raises(hcas.InvalidDatetimeError):
        hcas.Alternatives(before=[dt.datetime(2026, 1, 6, 9)])


def test_the_gil_is_released_while_explain_and_alternatives_compute() -> None:
    from test_gil import ran_during

    # Enough work that the waiting thread can be scheduled during a call:
    # explain looks at every busy interval (40,000 one-minute ones here).
    rule = WorkingRule("FREQ=DAILY", "00:00", "24:00", dtstart=dt.date(2026, 1, 1))
    busy = [(z(1) + dt.timedelta(minutes=10 * i), z(1) + dt.timedelta(minutes=10 * i + 1)) for i in range(40_000)]
    busy_day = Availability("America/New_York", [rule], busy=busy)
    assert ran_during(lambda: busy_day.explain(local(6, 9), local(1, 0), local(31, 0), dt.timedelta(minutes=5)))
    ledger = Ledger([Booking("b1", ["provider:P1"], local(6, 9), local(6, 10))])
    ctx = LedgerContext(ledger, ["provider:P1"], z(1, 0))
    assert ran_during(lambda: hcas.explain_with_ledger(busy_day, ctx, local(6, 9), local(1, 0), local(31, 0), MIN30))
    # alternatives computes the slots of 30 days either side, here on a 1-minute grid.
    all_day = Availability("America/New_York", [rule])
    step = dt.timedelta(minutes=1)
    assert ran_during(
        lambda: hcas.alternatives(all_day, ledger, ["provider:P1"], local(6, 9), local(6, 10), now=z(1), count=5, step=step, search_days=30)
    )
