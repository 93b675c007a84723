"""Issue 13's speed comparison, run by scripts/bench-python (see there for the set-up).

    bench.py MONTH_QUERY_JSON

Same inputs, same run, each answer checked against the others BEFORE anything is
timed (a difference is an error, exit 1):

1. recurrence: a weekday rule for a year and a monthly last Friday for ten years,
   both 09:00 America/New_York, through hcas, python-dateutil's rrule and
   recurring-ical-events;
2. a month of slots for one provider (the anchor workload of benches/src/lib.rs,
   read from the JSON that benches/src/bin/month_query.rs printed) through hcas
   and through `plain_slots` below, a straightforward dateutil + zoneinfo loop;
3. the binding's overhead: the same month query from Python against the
   pure-Rust time in that JSON.

Times are medians of HCAS_BENCH_REPEATS batches (default 15) of enough calls to
last about HCAS_BENCH_BATCH_SECONDS (default 0.05 s); nothing asserts a time.
"""

import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from importlib import metadata
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from dateutil.rrule import rrulestr

import hcas

UTC = dt.timezone.utc
NY = "America/New_York"
REPEATS = int(os.environ.get("HCAS_BENCH_REPEATS", "15"))
BATCH_SECONDS = float(os.environ.get("HCAS_BENCH_BATCH_SECONDS", "0.05"))


def median_seconds(fn):
    """Median seconds per call of fn(), over REPEATS batches of a calibrated size."""
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t >= BATCH_SECONDS / 10 or n >= 1 << 20:
            break
        n *= 2
    per_call = (time.perf_counter() - t) / n
    n = max(1, int(BATCH_SECONDS / max(per_call, 1e-9)))
    runs = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t) / n)
    return statistics.median(runs)


def fmt(seconds):
    if seconds < 1e-3:
        return "%.1f us" % (seconds * 1e6)
    return "%.2f ms" % (seconds * 1e3)


def same(what, answers):
    """Every answer (name -> list of aware datetimes) equal as UTC instants, or exit 1."""
    names = list(answers)
    first = [t.astimezone(UTC) for t in answers[names[0]]]
    for name in names[1:]:
        other = [t.astimezone(UTC) for t in answers[name]]
        if other != first:
            diff = sorted(set(first) ^ set(other))[:5]
            sys.exit(
                "%s: %s gives %d instants, %s gives %d; first differences: %s"
                % (what, names[0], len(first), name, len(other), [t.isoformat() for t in diff])
            )
    return len(first)


def recurrence_case(title, rule, dtstart, start, end):
    """One rule through all three; prints the times and the ratios against hcas."""
    zone = ZoneInfo(NY)

    def with_hcas():
        return hcas.Recurrence(rule, dtstart, zone=NY).between(start, end)

    def with_hcas_epoch():
        return hcas.Recurrence(rule, dtstart, zone=NY).between_epoch(start, end)

    def with_dateutil():
        # between() excludes both ends; no occurrence falls on them here (midnight UTC).
        return rrulestr(rule, dtstart=dtstart.replace(tzinfo=zone)).between(start, end)

    cal = icalendar.Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hcas//bench-python//EN\r\n"
        "BEGIN:VEVENT\r\nUID:bench@hcas\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=%s:%s\r\nDURATION:PT30M\r\nRRULE:%s\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n" % (NY, dtstart.strftime("%Y%m%dT%H%M%S"), rule)
    )

    def with_recurring_ical_events():
        # The calendar is parsed once, outside the timing: only the expansion counts.
        return [e["DTSTART"].dt for e in recurring_ical_events.of(cal).between(start, end)]

    n = same(
        title,
        {
            "hcas": with_hcas(),
            "hcas between_epoch": [dt.datetime.fromtimestamp(t, UTC) for t in with_hcas_epoch()],
            "dateutil": with_dateutil(),
            "recurring-ical-events": with_recurring_ical_events(),
        },
    )
    ours = median_seconds(with_hcas)
    print("-- %s: %s, %d occurrences" % (title, rule, n))
    print("hcas Recurrence.between (list of datetime): %s" % fmt(ours))
    print("hcas Recurrence.between_epoch (array of seconds): %s" % fmt(median_seconds(with_hcas_epoch)))
    for name, fn, target in (
        ("dateutil", with_dateutil, " (target >= 30x)"),
        ("recurring-ical-events", with_recurring_ical_events, ""),
    ):
        theirs = median_seconds(fn)
        print("%s: %s; ratio %s / hcas between = %.1fx%s" % (name, fmt(theirs), name, theirs / ours, target))


def plain_slots(zone_name, rules, busy, start, end, duration):
    """Slot starts the way a Python team would write them with dateutil and zoneinfo.

    For the bench's workload: working rules (an RRULE of days, opening and
    closing wall times), no date overrides, slots on a grid of `duration` from
    each window's opening, offered when inside [start, end), inside the window
    and overlapping no busy interval. Windows of different rules are not merged
    (the workload has one rule).
    """
    zone = ZoneInfo(zone_name)
    out = set()
    # Local dates whose windows can hold a start in [start, end).
    first = start.astimezone(zone).replace(tzinfo=None) - dt.timedelta(days=1)
    last = end.astimezone(zone).replace(tzinfo=None) + dt.timedelta(days=1)
    for rule in rules:
        opens = dt.time.fromisoformat(rule["start"])
        closes = dt.time.fromisoformat(rule["end"])
        dtstart = dt.datetime.fromisoformat(rule["dtstart"])
        for day in rrulestr(rule["rrule"], dtstart=dtstart).between(first, last, inc=True):
            s = dt.datetime.combine(day.date(), opens, tzinfo=zone).astimezone(UTC)
            window_end = dt.datetime.combine(day.date(), closes, tzinfo=zone).astimezone(UTC)
            while s + duration <= window_end:
                e = s + duration
                if start <= s < end and not any(b0 < e and s < b1 for b0, b1 in busy):
                    out.add(s)
                s += duration
    return sorted(out)


def slots_case(month):
    def instant(seconds):
        return dt.datetime.fromtimestamp(seconds, UTC)

    busy = [(instant(a), instant(b)) for a, b in month["busy"]]
    start, end = instant(month["from"]), instant(month["to"])
    duration = dt.timedelta(minutes=month["duration_minutes"])
    availability = hcas.Availability(
        month["zone"],
        rules=[
            hcas.WorkingRule(r["rrule"], r["start"], r["end"], dt.date.fromisoformat(r["dtstart"]))
            for r in month["rules"]
        ],
        busy=busy,
    )

    def with_hcas():
        return availability.slots(start, end, duration)

    def with_hcas_epoch():
        return availability.slots_epoch(start, end, duration)

    def with_plain():
        return plain_slots(month["zone"], month["rules"], busy, start, end, duration)

    n = same(
        "a month of slots",
        {
            "the Rust engine (month_query)": [instant(s) for s in month["slots"]],
            "hcas": with_hcas(),
            "hcas slots_epoch": [instant(s) for s in with_hcas_epoch()],
            "dateutil/zoneinfo loop": with_plain(),
        },
    )
    ours = median_seconds(with_hcas)
    ours_epoch = median_seconds(with_hcas_epoch)
    plain = median_seconds(with_plain)
    rust = month["ns_per_query"] / 1e9
    print(
        "-- a month of slots, one provider (%s, %s, busy intervals %d): %d slots"
        % (month["zone"], month["rules"][0]["rrule"], len(busy), n)
    )
    print("hcas Availability.slots (list of datetime): %s" % fmt(ours))
    print("hcas Availability.slots_epoch (array of seconds): %s" % fmt(ours_epoch))
    print("dateutil/zoneinfo loop: %s; ratio loop / hcas = %.0fx (target >= 200x)" % (fmt(plain), plain / ours))
    print(
        "-- the binding's overhead: pure Rust (month_query, %d x %d) %s; "
        "ratio Python / Rust = %.2fx for slots, %.2fx for slots_epoch (target <= 2x)"
        % (month["repeats"], month["iterations"], fmt(rust), ours / rust, ours_epoch / rust)
    )


def main():
    with open(sys.argv[1]) as f:
        month = json.load(f)
    versions = ", ".join(
        "%s %s" % (p, metadata.version(p))
        for p in ("hcas", "python-dateutil", "icalendar", "recurring-ical-events", "tzdata")
    )
    print("== Python %s; %s; hcas tzdb %s" % (platform.python_version(), versions, hcas.TZDB_VERSION))
    print("medians of %d batches of about %s s each" % (REPEATS, BATCH_SECONDS))
    year = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))
    recurrence_case(
        "weekdays for a year", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", dt.datetime(2026, 1, 1, 9), *year
    )
    decade = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2036, 1, 1, tzinfo=UTC))
    recurrence_case(
        "last Friday of the month for ten years", "FREQ=MONTHLY;BYDAY=-1FR", dt.datetime(2026, 1, 30, 9), *decade
    )
    slots_case(month)


if __name__ == "__main__":
    main()
