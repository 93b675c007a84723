"""Independent check of hcas iCalendar output (crates/hcas-server/tests/feeds.rs).

Usage: check.py CALENDAR.ics EXPECTED.json

Parses the calendar with `icalendar` (PyPI) and expands every event, recurring
ones included, with `recurring-ical-events`; the occurrences as UTC instants
with their STATUS must equal EXPECTED.json, a list of
{"start": "...Z", "end": "...Z", "status": "CONFIRMED"}. Exit 0 when equal,
1 with a diff otherwise.
"""

import datetime as dt
import json
import sys

import icalendar
import recurring_ical_events


def utc(value):
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise SystemExit(f"not a zoned date-time: {value!r}")
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(ics_path, expected_path):
    with open(ics_path, "rb") as f:
        raw = f.read()
    for n, line in enumerate(raw.split(b"\r\n")):
        if len(line) > 75:
            raise SystemExit(f"line {n} has {len(line)} octets (RFC 5545 3.1: 75)")
    cal = icalendar.Calendar.from_ical(raw)
    if cal.get("METHOD") != "PUBLISH" or cal.get("VERSION") != "2.0":
        raise SystemExit("VCALENDAR without METHOD:PUBLISH / VERSION:2.0")
    if not all(c.get("TZID") for c in cal.walk("VTIMEZONE")):
        raise SystemExit("VTIMEZONE without TZID")
    events = recurring_ical_events.of(cal).between(
        dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2200, 1, 1, tzinfo=dt.timezone.utc),
    )
    got = sorted(
        (utc(e["DTSTART"].dt), utc(e["DTEND"].dt), str(e.get("STATUS")))
        for e in events
    )
    with open(expected_path) as f:
        want = sorted((x["start"], x["end"], x["status"]) for x in json.load(f))
    if got != want:
        print("occurrences differ", file=sys.stderr)
        print("  only in the calendar:", sorted(set(got) - set(want)), file=sys.stderr)
        print("  only expected:      ", sorted(set(want) - set(got)), file=sys.stderr)
        print("  calendar:", got, file=sys.stderr)
        sys.exit(1)
    print(f"ok: {len(got)} occurrences")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
