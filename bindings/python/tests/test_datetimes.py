"""Aware datetimes in and out, naive ones refused where an instant is meant,
timedelta durations; expectations worked out by hand or with zoneinfo (the
system's tz database, independent of the engine's)."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

import hcas

UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")


def test_the_installed_package_is_tested() -> None:
    # Not a source tree on sys.path: the wheel's package, native module included.
    assert "site-packages" in (hcas.__file__ or "")


def test_instants_in_any_zone_or_offset_name_the_same_instant() -> None:
    rec = hcas.Recurrence("FREQ=DAILY;COUNT=3", dt.datetime(2026, 3, 7, 9), NY)
    by_utc = rec.between(dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC))
    by_ny = rec.between(dt.datetime(2026, 2, 28, 19, tzinfo=NY), dt.datetime(2026, 3, 31, 20, tzinfo=NY))
    plus2 = dt.timezone(dt.timedelta(hours=2))
    by_offset = rec.between(
        dt.datetime(2026, 3, 1, 2, tzinfo=plus2), dt.datetime(2026, 4, 1, 2, tzinfo=plus2)
    )
    # 09:00 wall time in New York, across the change to EDT on 8 March (zoneinfo's answer).
    want = [dt.datetime(2026, 3, d, 9, tzinfo=NY).astimezone(UTC) for d in (7, 8, 9)]
    assert by_utc == by_ny == by_offset == want
    assert [t.utcoffset() for t in by_utc] == [dt.timedelta(0)] * 3
    assert all(t.tzinfo is UTC for t in by_utc)


def test_naive_instants_are_refused_with_a_clear_error() -> None:
    rec = hcas.Recurrence("FREQ=DAILY", dt.datetime(2026, 1, 5, 9), "UTC")
    with pytest.raises(hcas.InvalidDatetimeError) as info:
        rec.between(dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1, tzinfo=UTC))
    assert info.value.code == "invalid_datetime"
    assert "start is a naive datetime" in info.value.message
    with pytest.raises(hcas.InvalidDatetimeError, match="end"):
        hcas.Availability("UTC").slots(
            dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 2), dt.timedelta(minutes=30)
        )
    with pytest.raises(hcas.InvalidDatetimeError, match="busy"):
        hcas.Availability("UTC", busy=[(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2))])
    with pytest.raises(hcas.InvalidDatetimeError):
        hcas.Zone("UTC").offset_at(dt.datetime(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(hcas.InvalidDatetimeError):
        rec.between("2026-01-01T00:00:00Z", dt.datetime(2026, 2, 1, tzinfo=UTC))  # type: ignore[arg-type]


def test_wall_times_are_naive_and_zones_come_three_ways() -> None:
    a = hcas.Recurrence("FREQ=WEEKLY;COUNT=2", dt.datetime(2026, 3, 2, 9), "America/New_York")
    b = hcas.Recurrence("FREQ=WEEKLY;COUNT=2", dt.datetime(2026, 3, 2, 9), NY)
    c = hcas.Recurrence("FREQ=WEEKLY;COUNT=2", dt.datetime(2026, 3, 2, 9, tzinfo=NY))
    d = hcas.Recurrence("FREQ=WEEKLY;COUNT=2", dt.datetime(2026, 3, 2, 9), hcas.Zone(NY))
    assert a == b == c == d
    assert a.dtstart == dt.datetime(2026, 3, 2, 9) and a.dtstart.tzinfo is None
    with pytest.raises(hcas.InvalidTimezoneError, match="zone"):
        hcas.Recurrence("FREQ=DAILY", dt.datetime(2026, 3, 2, 9))
    with pytest.raises(hcas.InvalidTimezoneError):
        hcas.Recurrence("FREQ=DAILY", dt.datetime(2026, 3, 2, 9, tzinfo=NY), "Europe/Paris")
    with pytest.raises(hcas.InvalidDatetimeError, match="naive"):
        hcas.Zone("UTC").resolve(dt.datetime(2026, 3, 2, 9, tzinfo=UTC))


def test_gaps_move_forward_and_folds_take_the_earlier_instant() -> None:
    z = hcas.Zone("America/New_York")
    # 02:30 on 8 March 2026 does not exist (02:00 EST -> 03:00 EDT): 03:30 EDT, 07:30Z.
    assert z.resolve(dt.datetime(2026, 3, 8, 2, 30)) == dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    # 01:30 on 1 November 2026 happens twice: the first, EDT (UTC-4), 05:30Z.
    assert z.resolve(dt.datetime(2026, 11, 1, 1, 30)) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert z.offset_at(dt.datetime(2026, 7, 1, tzinfo=UTC)) == dt.timedelta(hours=-4)
    assert z.to_local(dt.datetime(2026, 1, 1, 12, tzinfo=UTC)) == dt.datetime(2026, 1, 1, 7)
    assert z.name == str(z) == "America/New_York"


def test_sub_seconds_are_truncated_to_the_containing_second() -> None:
    z = hcas.Zone("UTC")
    t = dt.datetime(2026, 1, 1, 12, 0, 0, 999_999, tzinfo=UTC)
    assert z.to_local(t) == dt.datetime(2026, 1, 1, 12, 0, 0)
    before_1970 = dt.datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)
    assert z.to_local(before_1970) == dt.datetime(1969, 12, 31, 23, 59, 59)


def test_the_lazy_iterator_matches_the_window_query_across_batches() -> None:
    rec = hcas.Recurrence(
        "FREQ=DAILY;BYHOUR=9,17", dt.datetime(2026, 1, 1, 9), "Europe/London",
        exdates=[dt.datetime(2026, 3, 29, 9)], rdates=[dt.datetime(2026, 2, 14, 12)],
    )
    # An endless rule: take 1000 lazily (many batches), compare with the window.
    got = list(itertools.islice(iter(rec), 1000))
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    window = rec.between(start, got[-1] + dt.timedelta(seconds=1))
    assert got == window and len(got) == 1000
    assert got == sorted(set(got))
    # By hand: 09:00 GMT then 09:00 BST; the EXDATE and the RDATE are honoured.
    assert got[0] == dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert dt.datetime(2026, 2, 14, 12, tzinfo=UTC) in got
    assert dt.datetime(2026, 3, 29, 8, tzinfo=UTC) not in got
    assert dt.datetime(2026, 3, 30, 8, tzinfo=UTC) in got
    later = rec.iter_from(dt.datetime(2026, 6, 1, 12, tzinfo=UTC))
    assert next(later) == dt.datetime(2026, 6, 1, 16, tzinfo=UTC)
    # A rule with COUNT ends.
    counted = hcas.Recurrence("FREQ=MONTHLY;COUNT=40;BYDAY=-1FR", dt.datetime(2026, 1, 30, 15), "America/Chicago")
    assert len(list(counted)) == 40
    assert list(counted)[:3] == [
        dt.datetime(2026, 1, 30, 21, tzinfo=UTC),
        dt.datetime(2026, 2, 27, 21, tzinfo=UTC),
        dt.datetime(2026, 3, 27, 20, tzinfo=UTC),
    ]


def test_durations_are_timedeltas_of_whole_minutes() -> None:
    rule = hcas.WorkingRule("FREQ=DAILY", dt.time(9), dt.time(12), dtstart=dt.date(2026, 1, 1))
    avail = hcas.Availability("UTC", [rule])
    day = dt.datetime(2026, 1, 5, tzinfo=UTC)
    got = avail.slots(day, day + dt.timedelta(days=1), dt.timedelta(minutes=45), step=dt.timedelta(minutes=30))
    # 45-minute slots on a 30-minute grid from 09:00, ending by 12:00: by hand.
    assert [t.time() for t in got] == [dt.time(9), dt.time(9, 30), dt.time(10), dt.time(10, 30), dt.time(11)]
    with pytest.raises(hcas.InvalidDurationError, match="duration"):
        avail.slots(day, day + dt.timedelta(days=1), 30)  # type: ignore[arg-type]
