"""Value classes (immutable, equal by value, hashable), availability and
slots for one provider, and the dict API giving the same answers."""

import copy
import datetime as dt
import pickle
from typing import Any

import pytest

import hcas

UTC = dt.timezone.utc


def lee() -> hcas.Availability:
    # Dr Lee: Mondays and Wednesdays 09:00-12:00 London time, busy 08:00Z-09:00Z on 30 March.
    hours = hcas.WorkingRule("FREQ=WEEKLY;BYDAY=MO,WE", dt.time(9), "12:00", dtstart=dt.date(2026, 3, 2))
    busy = [(dt.datetime(2026, 3, 30, 8, tzinfo=UTC), dt.datetime(2026, 3, 30, 9, tzinfo=UTC))]
    return hcas.Availability("Europe/London", [hours], busy=busy)


def test_slots_for_one_provider() -> None:
    # Monday 30 March 2026, the day after the UK clocks go forward: 09:00 BST
    # (08:00Z) is busy; 10:00 and 11:00 BST are free (by hand).
    got = lee().slots(dt.datetime(2026, 3, 30, tzinfo=UTC), dt.datetime(2026, 3, 31, tzinfo=UTC), dt.timedelta(hours=1))
    assert got == [dt.datetime(2026, 3, 30, 9, tzinfo=UTC), dt.datetime(2026, 3, 30, 10, tzinfo=UTC)]


def test_keyword_arguments_and_overrides() -> None:
    a = lee()
    wed = dt.datetime(2026, 4, 1, tzinfo=UTC)
    end = wed + dt.timedelta(days=1)
    hour = dt.timedelta(hours=1)
    assert len(a.slots(wed, end, hour)) == 3  # 08:00Z, 09:00Z, 10:00Z
    # Booked 09:00Z-10:00Z with 15 minutes kept free after each appointment: 10:00Z stays.
    b = a.with_busy([(dt.datetime(2026, 4, 1, 9, tzinfo=UTC), dt.datetime(2026, 4, 1, 10, tzinfo=UTC))])
    assert b.slots(wed, end, hour) == [dt.datetime(2026, 4, 1, 8, tzinfo=UTC), dt.datetime(2026, 4, 1, 10, tzinfo=UTC)]
    assert b.slots(wed, end, hour, buffer_after=dt.timedelta(minutes=15)) == [dt.datetime(2026, 4, 1, 10, tzinfo=UTC)]
    # Asked at 08:30Z with an hour's notice: only 10:00Z.
    now = dt.datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
    assert a.slots(wed, end, hour, now=now, min_notice=hour) == [dt.datetime(2026, 4, 1, 10, tzinfo=UTC)]
    # The original is unchanged (with_busy made a copy).
    assert len(a.busy) == 1 and len(b.busy) == 2
    closed = hcas.Availability(
        "Europe/London", a.rules, overrides=[hcas.DateOverride(dt.date(2026, 4, 1))], busy=a.busy
    )
    assert closed.slots(wed, end, hour) == []
    short = hcas.DateOverride(dt.date(2026, 4, 1), [("14:00", dt.time(15))])
    assert short.windows == [("14:00", "15:00")] and not short.closed
    assert hcas.Availability("Europe/London", a.rules, [short]).slots(wed, end, hour) == [
        dt.datetime(2026, 4, 1, 13, tzinfo=UTC)
    ]


def test_bulk_results_as_epoch_seconds() -> None:
    day = dt.datetime(2026, 3, 30, tzinfo=UTC)
    got = lee().slots_epoch(day, day + dt.timedelta(days=1), dt.timedelta(hours=1))
    assert got.typecode == "q" and list(got) == [int(t.timestamp()) for t in lee().slots(day, day + dt.timedelta(days=1), dt.timedelta(hours=1))]
    assert list(got) == [1774861200, 1774864800]  # 09:00Z and 10:00Z on 2026-03-30 (date -d)
    rec = hcas.Recurrence("FREQ=HOURLY", dt.datetime(2026, 1, 1), "UTC")
    many = rec.between_epoch(day, day + dt.timedelta(days=30))
    assert len(many) == 720 and many[0] == int(day.timestamp()) and many[1] - many[0] == 3600
    assert memoryview(many).itemsize == 8


def test_pooled_slots_name_the_free_providers() -> None:
    def daily(opens: int) -> hcas.Availability:
        return hcas.Availability("UTC", [hcas.WorkingRule("FREQ=DAILY", dt.time(opens), "12:00", dt.date(2026, 1, 1))])

    day = dt.datetime(2026, 1, 1, tzinfo=UTC)
    hour = dt.timedelta(hours=1)
    got = hcas.pooled_slots([daily(9), daily(10)], day, day + dt.timedelta(days=1), hour)
    # By hand: 09:00 only the first; 10:00 and 11:00 both.
    assert got == [(day.replace(hour=9), (0,)), (day.replace(hour=10), (0, 1)), (day.replace(hour=11), (0, 1))]
    busy = daily(9).with_busy([(day.replace(hour=10), day.replace(hour=11))])
    assert hcas.pooled_slots([busy, daily(10)], day, day + dt.timedelta(days=1), hour, now=day.replace(hour=9, minute=30)) == [
        (day.replace(hour=10), (1,)),
        (day.replace(hour=11), (0, 1)),
    ]
    assert hcas.pooled_slots([], day, day + dt.timedelta(days=1), hour) == []
    with pytest.raises(TypeError):
        hcas.pooled_slots(["UTC"], day, day + dt.timedelta(days=1), hour)  # type: ignore[list-item]


def test_values_are_immutable_equal_by_value_and_hashable() -> None:
    def rule() -> hcas.WorkingRule:
        return hcas.WorkingRule("FREQ=WEEKLY;BYDAY=MO", "09:00", "24:00", dtstart=dt.date(2026, 1, 5))

    rec = lambda ex: hcas.Recurrence(  # noqa: E731
        "FREQ=DAILY", dt.datetime(2026, 1, 5, 9), "UTC", exdates=ex
    )
    pairs: list[tuple[Any, Any, Any]] = [
        (hcas.Zone("Europe/Paris"), hcas.Zone("Europe/Paris"), hcas.Zone("Europe/Rome")),
        (rule(), rule(), hcas.WorkingRule("FREQ=WEEKLY;BYDAY=TU", "09:00", "24:00", dtstart=dt.date(2026, 1, 5))),
        (
            rec([dt.datetime(2026, 1, 7, 9), dt.datetime(2026, 1, 6, 9)]),
            rec([dt.datetime(2026, 1, 6, 9), dt.datetime(2026, 1, 7, 9)]),
            rec([dt.datetime(2026, 1, 6, 9)]),
        ),
        (hcas.DateOverride(dt.date(2026, 1, 1)), hcas.DateOverride(dt.date(2026, 1, 1), []), hcas.DateOverride(dt.date(2026, 1, 2))),
        (lee(), lee(), hcas.Availability("Europe/London", lee().rules)),
    ]
    for a, same, other in pairs:
        assert a == same and hash(a) == hash(same) and a is not same
        assert a != other
        assert len({a, same, other}) == 2
        r = repr(a)
        assert r.startswith("hcas." + type(a).__name__ + "(")
        with pytest.raises(AttributeError):
            a.zone = "UTC"
        for back in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
            assert back == a and hash(back) == hash(a) and type(back) is type(a)
            assert back != other and repr(back) == r
    assert rule().end == "24:00" and rule().start == "09:00"
    assert rec([]).rrule == "FREQ=DAILY"
    assert rec([dt.datetime(2026, 1, 7, 9), dt.datetime(2026, 1, 6, 9)]).exdates == (
        dt.datetime(2026, 1, 6, 9),
        dt.datetime(2026, 1, 7, 9),
    )


def test_the_dict_api_answers_as_the_typed_one() -> None:
    out = hcas.evaluate(
        "slots",
        {
            "timezone": "Europe/London",
            "rules": [{"rrule": "FREQ=WEEKLY;BYDAY=MO,WE", "dtstart": "2026-03-02", "start": "09:00", "end": "12:00"}],
            "busy": [{"start": "2026-03-30T08:00:00Z", "end": "2026-03-30T09:00:00Z"}],
            "query": {"from": "2026-03-30T00:00:00Z", "to": "2026-03-31T00:00:00Z", "duration": 60},
        },
    )
    typed = lee().slots(dt.datetime(2026, 3, 30, tzinfo=UTC), dt.datetime(2026, 3, 31, tzinfo=UTC), dt.timedelta(hours=1))
    assert out == {
        "slots": [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in typed],
        "tzdb": hcas.TZDB_VERSION,
    }
    assert out["slots"] == ["2026-03-30T09:00:00Z", "2026-03-30T10:00:00Z"]


def test_check_vector_is_the_doors_comparison() -> None:
    case = {"id": "v1", "kind": "slots", "input": {}, "expect": {"slots": ["2026-03-30T09:00:00Z"]}}
    assert hcas.check_vector(case, {"slots": ["2026-03-30T09:00:00Z"], "tzdb": "x"}) is None
    line = hcas.check_vector(case, {"slots": []})
    assert line is not None and line.startswith("v1: slots")
    assert hcas.check_vector(case, "invalid_request") == 'v1: expected {"slots":["2026-03-30T09:00:00Z"]} got error invalid_request'
    err = {"id": "v2", "expect_error": {"code": "invalid_rrule"}}
    assert hcas.check_vector(err, "invalid_rrule") is None
    assert hcas.check_vector(err, "invalid_timezone") == "v2: expected error invalid_rrule got error invalid_timezone"
