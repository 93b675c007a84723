"""The datetime conversions on every path: aware inputs in any tzinfo (fold,
fixed offsets, a tzinfo written in Python, datetime subclasses, one whose
arithmetic says nothing useful), and outputs at the ends of the range.
Expectations are worked out by hand from the UTC offsets involved."""

import array
import datetime as dt
from typing import Any, Optional
from zoneinfo import ZoneInfo

import pytest

import hcas

UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")
READ = hcas.Zone("UTC")  # to_local in UTC shows the instant an input names


def instant(value: Any) -> dt.datetime:
    """The instant hcas reads from an input, as a naive UTC wall time."""
    return READ.to_local(value)


class MinusThree(dt.tzinfo):
    """A tzinfo written in Python: always UTC-03:00."""

    def utcoffset(self, d: Optional[dt.datetime]) -> dt.timedelta:
        return dt.timedelta(hours=-3)

    def dst(self, d: Optional[dt.datetime]) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, d: Optional[dt.datetime]) -> str:
        return "-03"


class NoOffset(dt.tzinfo):
    """A tzinfo that knows no offset: its datetimes are naive."""

    def utcoffset(self, d: Optional[dt.datetime]) -> None:
        return None

    def dst(self, d: Optional[dt.datetime]) -> None:
        return None

    def tzname(self, d: Optional[dt.datetime]) -> None:
        return None


class Stamp(dt.datetime):
    """A datetime subclass that changes nothing."""


class OddArithmetic(dt.datetime):
    """A datetime subclass whose subtraction answers something else entirely."""

    def __sub__(self, other: Any) -> Any:
        return "not a timedelta"


def test_fold_picks_which_of_two_equal_wall_times() -> None:
    # 01:30 on 1 November 2026 happens twice in New York: EDT (UTC-4), then EST (UTC-5).
    first = dt.datetime(2026, 11, 1, 1, 30, tzinfo=NY)
    second = first.replace(fold=1)
    assert instant(first) == dt.datetime(2026, 11, 1, 5, 30)
    assert instant(second) == dt.datetime(2026, 11, 1, 6, 30)


def test_any_tzinfo_names_its_instant() -> None:
    # 12:00 at +05:30 is 06:30Z; 12:00 at -03:00 is 15:00Z; 12:00 EST (January) is 17:00Z.
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert instant(dt.datetime(2026, 1, 10, 12, tzinfo=india)) == dt.datetime(2026, 1, 10, 6, 30)
    assert instant(dt.datetime(2026, 1, 10, 12, tzinfo=MinusThree())) == dt.datetime(2026, 1, 10, 15)
    assert instant(dt.datetime(2026, 1, 10, 12, tzinfo=NY)) == dt.datetime(2026, 1, 10, 17)
    # An offset of whole seconds is fine (+00:00:30: 12:00:00 is 11:59:30Z) ...
    odd = dt.timezone(dt.timedelta(seconds=30))
    assert instant(dt.datetime(2026, 1, 10, 12, tzinfo=odd)) == dt.datetime(2026, 1, 10, 11, 59, 30)
    # ... one with sub-seconds is refused, whatever the datetime's own microseconds.
    for micro in (0, 250_000):
        sub_second = dt.timezone(dt.timedelta(seconds=1, microseconds=500))
        with pytest.raises(hcas.InvalidDatetimeError, match="at: the UTC offset"):
            instant(dt.datetime(2026, 1, 10, 12, 0, 0, micro, tzinfo=sub_second))


def test_sub_seconds_truncate_towards_the_past_in_any_zone() -> None:
    # 1969-12-31 18:59:59.75 EST is 23:59:59.75Z: the second that holds it starts at 23:59:59Z.
    t = dt.datetime(1969, 12, 31, 18, 59, 59, 750_000, tzinfo=NY)
    assert instant(t) == dt.datetime(1969, 12, 31, 23, 59, 59)
    rec = hcas.Recurrence("FREQ=SECONDLY;COUNT=3", dt.datetime(1969, 12, 31, 23, 59, 59), "UTC")
    # Occurrences at 23:59:59Z, 00:00:00Z and 00:00:01Z; the window starts in the first one.
    got = rec.between_epoch(t, dt.datetime(1970, 1, 1, 1, tzinfo=UTC))
    assert list(got) == [-1, 0, 1]


def test_datetime_subclasses_are_read_as_datetimes() -> None:
    assert instant(Stamp(2026, 5, 1, 9, tzinfo=NY)) == dt.datetime(2026, 5, 1, 13)
    # Subtraction that answers nonsense: read field by field instead.
    assert instant(OddArithmetic(2026, 5, 1, 9, tzinfo=NY)) == dt.datetime(2026, 5, 1, 13)
    assert instant(OddArithmetic(2026, 5, 1, 9, tzinfo=UTC)) == dt.datetime(2026, 5, 1, 9)


def test_naive_and_offsetless_datetimes_are_refused() -> None:
    for naive in (dt.datetime(2026, 5, 1, 9), dt.datetime(2026, 5, 1, 9, tzinfo=NoOffset())):
        with pytest.raises(hcas.InvalidDatetimeError, match="at is a naive datetime"):
            instant(naive)
    with pytest.raises(hcas.InvalidDatetimeError, match="at is a naive datetime"):
        instant(OddArithmetic(2026, 5, 1, 9))
    with pytest.raises(hcas.InvalidDatetimeError, match="aware datetime.datetime, got date"):
        instant(dt.date(2026, 5, 1))


def test_instants_outside_the_years_0001_to_9999_are_refused() -> None:
    # Midnight of 1 January 0001 at +01:00 is 23:00Z on 31 December of year 0.
    with pytest.raises(hcas.InvalidDatetimeError, match="^at: .* is outside the years 0001-9999"):
        instant(dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    with pytest.raises(hcas.InvalidDatetimeError, match="^at: .* is outside the years 0001-9999"):
        instant(dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-1))))
    # At the very ends, in range.
    assert instant(dt.datetime(1, 1, 1, tzinfo=UTC)) == dt.datetime(1, 1, 1)
    assert instant(dt.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == dt.datetime(9999, 12, 31, 23, 59, 59)


def test_outputs_are_plain_utc_datetimes_across_the_range() -> None:
    z = hcas.Zone("UTC")
    for wall in (
        dt.datetime(1, 1, 1),
        dt.datetime(1969, 12, 31, 23, 59, 59),
        dt.datetime(1970, 1, 1),
        dt.datetime(2026, 2, 28, 13, 7, 5),
        dt.datetime(2028, 2, 29, 23, 0, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59),
    ):
        got = z.resolve(wall)
        assert type(got) is dt.datetime
        assert got.tzinfo is UTC and got.fold == 0 and got.microsecond == 0
        assert got == wall.replace(tzinfo=UTC)
        assert (got.year, got.month, got.day, got.hour, got.minute, got.second) == (
            wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second,
        )


def test_lists_and_arrays_agree_at_the_end_of_year_9999() -> None:
    rec = hcas.Recurrence("FREQ=DAILY;BYHOUR=0,23", dt.datetime(9999, 12, 30), "UTC")
    start = dt.datetime(9999, 12, 30, tzinfo=UTC)
    end = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    got = rec.between(start, end)
    assert got == [
        dt.datetime(9999, 12, 30, 0, tzinfo=UTC),
        dt.datetime(9999, 12, 30, 23, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 0, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 23, tzinfo=UTC),
    ]
    seconds = rec.between_epoch(start, end)
    assert isinstance(seconds, array.array) and seconds.typecode == "q"
    # 9999-12-31T00:00:00Z is 253402214400 s after 1970 (2932896 days x 86400).
    assert list(seconds) == [253402214400 - 86400, 253402214400 - 3600, 253402214400, 253402214400 + 82800]
    assert [dt.datetime.fromtimestamp(s, UTC) for s in seconds] == got
    assert len(rec.between_epoch(start, start + dt.timedelta(minutes=1), limit=0)) == 0


class Span(dt.timedelta):
    """A timedelta subclass that changes nothing."""


def test_utc_datetimes_name_their_wall_time_whichever_way_they_are_read() -> None:
    # A plain datetime in timezone.utc is read from its fields; a named zero offset
    # (not the timezone.utc object), ZoneInfo("UTC") and a datetime subclass take
    # the other ways. Every one names its wall time, sub-seconds dropped.
    named_zero = dt.timezone(dt.timedelta(0), "Z")
    assert named_zero is not UTC
    for wall in (
        dt.datetime(1, 1, 1),
        dt.datetime(1969, 12, 31, 23, 59, 59, 500_000),
        dt.datetime(1970, 1, 1),
        dt.datetime(2026, 3, 8, 7, 30, 45, 123_456),
        dt.datetime(2028, 2, 29, 23, 0, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999_999),
    ):
        want = wall.replace(microsecond=0)
        for tz in (UTC, named_zero, ZoneInfo("UTC")):
            assert instant(wall.replace(tzinfo=tz)) == want
        assert instant(wall.replace(tzinfo=UTC, fold=1)) == want
        assert instant(Stamp.combine(wall.date(), wall.time(), tzinfo=UTC)) == want


def test_a_utc_datetime_as_unix_seconds() -> None:
    # 2026-03-08T07:30:45Z: 20454 days to 2026 (56 years, 14 of them leap), 66 more
    # to 8 March, so (20454 + 66) x 86400 + 27045 = 1772955045 s.
    t = dt.datetime(2026, 3, 8, 7, 30, 45, 123_456, tzinfo=UTC)
    rec = hcas.Recurrence("FREQ=SECONDLY;COUNT=3", dt.datetime(2026, 3, 8, 7, 30, 45), "UTC")
    assert list(rec.between_epoch(t, t + dt.timedelta(seconds=2))) == [1772955045, 1772955046]


def test_durations_name_their_minutes_whichever_way_they_are_read() -> None:
    # Open 09:00-10:00 UTC daily. 2026-01-01T00:00Z is 20454 x 86400 = 1767225600 s;
    # 09:00 and 09:30 are 32400 and 34200 s later, and a day is 86400 s.
    rule = hcas.WorkingRule("FREQ=DAILY", dt.time(9), dt.time(10), dtstart=dt.date(2026, 1, 1))
    avail = hcas.Availability("UTC", [rule])
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    end = start + dt.timedelta(days=3)
    day = 1767225600
    every_day = [day + d * 86400 + s for d in range(3) for s in (32400, 34200)]
    # A plain timedelta is read from its fields; a subclass the general way.
    for thirty in (dt.timedelta(minutes=30), dt.timedelta(seconds=1800), Span(minutes=30)):
        assert list(avail.slots_epoch(start, end, thirty)) == every_day
    # A horizon of one day (the days field) from midnight keeps the first day only.
    for one_day in (dt.timedelta(days=1), Span(days=1)):
        got = avail.slots_epoch(start, end, dt.timedelta(minutes=30), now=start, horizon=one_day)
        assert list(got) == every_day[:2]
    # Not whole minutes: refused, naming the argument, on either way.
    for bad in (dt.timedelta(seconds=90), Span(seconds=90), dt.timedelta(minutes=30, microseconds=1)):
        with pytest.raises(hcas.InvalidDurationError, match="^duration.*minutes"):
            avail.slots_epoch(start, end, bad)
