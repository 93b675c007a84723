#!/usr/bin/env python3
"""Independent oracle for the hcas conformance vectors of kind `recurrence`, `slots`, `conflict`
and `series` (the team's own kind, README.md).

It implements /work/shared/vectors/FORMAT.md (copied into the project as the vector contract)
straight from the text, with python-dateutil for RRULE expansion (except the rules dateutil gets
wrong, which a brute force expands: BYWEEKNO, mixed plain/numbered BYDAY, see README.md) and
zoneinfo (tzdata package, pinned) for time zones.  It shares no code with the Rust engine.

Usage (run with the pinned venv and PYTHONTZPATH= so zoneinfo uses the tzdata package):

    python oracle.py generate              # write tests/vectors/<kind>/*.json from cases*.py
    python oracle.py check [DIR ...]       # recompute every vector below DIR (default tests/vectors)
    python oracle.py selftest              # internal cross-checks (resolution, RFC 5545 examples,
                                           # conflict peak against a minute scan)

check also takes --judge-errors (report where the oracle's own validation disagrees with a
hand-written expect_error; informational only) and every command refuses to run outside the
pinned environment unless given --any-version.
"""

import calendar
import datetime as dt
import functools
import json
import math
import os
import re
import sys
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VECTORS = os.path.join(REPO, "tests", "vectors")

PINNED = {"python-dateutil": "2.9.0.post0", "tzdata": "2025.2", "tzdb": "2025b"}


def environment_problems():
    """The answers depend on the tz database and on dateutil: insist on the pinned ones."""
    problems = []
    if zoneinfo.TZPATH:
        problems.append("zoneinfo.TZPATH is %r: run with PYTHONTZPATH= (empty) so zoneinfo uses the "
                        "pinned tzdata package" % (zoneinfo.TZPATH,))
    try:
        import tzdata
        if tzdata.__version__ != PINNED["tzdata"] or tzdata.IANA_VERSION != PINNED["tzdb"]:
            problems.append("tzdata %s (tzdb %s) installed, %s (tzdb %s) pinned"
                            % (tzdata.__version__, tzdata.IANA_VERSION, PINNED["tzdata"], PINNED["tzdb"]))
    except ImportError:
        problems.append("the tzdata package is not installed")
    try:
        import dateutil
        if dateutil.__version__ != PINNED["python-dateutil"]:
            problems.append("python-dateutil %s installed, %s pinned"
                            % (dateutil.__version__, PINNED["python-dateutil"]))
    except ImportError:
        problems.append("python-dateutil is not installed")
    return problems


from dateutil.rrule import rrulestr  # noqa: E402

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

ERROR_CODES = [
    "invalid_rrule", "invalid_timezone", "invalid_datetime", "invalid_interval",
    "invalid_duration", "invalid_window", "invalid_consent", "invalid_request", "limit_exceeded",
]
KINDS = ("recurrence", "slots", "conflict", "series")

SLOTS_MAX_SPAN = dt.timedelta(days=400)          # documented maximum for a slots query
RECURRENCE_MAX_SPAN = dt.timedelta(days=36525)   # documented maximum for a recurrence query


class OracleError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------------------------
# Shared encodings

# RFC 3339: `T` and `Z` may be lower case; a fraction of a second is accepted only when it is zero
RE_INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")
RE_LOCAL_DT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$")
RE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
RE_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$")


def parse_instant(s):
    m = RE_INSTANT.match(s) if isinstance(s, str) else None
    if not m:
        raise OracleError("invalid_datetime", "not an RFC 3339 instant with offset: %r" % (s,))
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    if m.group(7) is not None and int(m.group(7)) != 0:
        raise OracleError("invalid_datetime", "instants are whole seconds: %r" % (s,))
    off = m.group(8).upper()
    if off == "Z":
        tz = UTC
    else:
        sign = 1 if off[0] == "+" else -1
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            raise OracleError("invalid_datetime", "bad offset %r" % (s,))
        tz = dt.timezone(sign * dt.timedelta(hours=oh, minutes=om))
    try:
        return dt.datetime(y, mo, d, h, mi, se, tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise OracleError("invalid_datetime", "impossible instant %r" % (s,))


def parse_local_datetime(s):
    m = RE_LOCAL_DT.match(s) if isinstance(s, str) else None
    if not m:
        raise OracleError("invalid_datetime", "not a local datetime YYYY-MM-DDTHH:MM[:SS]: %r" % (s,))
    y, mo, d, h, mi = (int(x) for x in m.groups()[:5])
    se = int(m.group(6) or 0)
    try:
        return dt.datetime(y, mo, d, h, mi, se)
    except ValueError:
        raise OracleError("invalid_datetime", "impossible local datetime %r" % (s,))


def parse_date(s):
    m = RE_DATE.match(s) if isinstance(s, str) else None
    if not m:
        raise OracleError("invalid_datetime", "not a local date YYYY-MM-DD: %r" % (s,))
    try:
        return dt.date(*(int(x) for x in m.groups()))
    except ValueError:
        raise OracleError("invalid_datetime", "impossible date %r" % (s,))


def parse_time(s, allow_24=False):
    """Returns minutes after midnight (24:00 -> 1440 when allowed)."""
    m = RE_TIME.match(s) if isinstance(s, str) else None
    if not m:
        raise OracleError("invalid_datetime", "not a local time HH:MM: %r" % (s,))
    h, mi, se = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if allow_24 and h == 24 and mi == 0 and se == 0:
        return 1440
    if h > 23 or mi > 59 or se > 59:
        raise OracleError("invalid_datetime", "impossible local time %r" % (s,))
    if se != 0:
        raise OracleError("invalid_datetime", "oracle works in whole minutes: %r" % (s,))
    return h * 60 + mi


def get_zone(name):
    if not isinstance(name, str) or not name:
        raise OracleError("invalid_timezone", "no time zone")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise OracleError("invalid_timezone", "unknown time zone %r" % (name,))


def resolve(naive, zone):
    """Local wall time -> UTC instant, "compatible" resolution.

    zoneinfo with fold=0 uses the offset in force *before* a transition: in a gap the local
    time therefore moves forward by the length of the gap, in a fold the earlier instant wins.
    (selftest cross-checks this against a brute-force search.)"""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def resolve_bruteforce(naive, zone):
    """Independent check of `resolve`: search the instants whose local time is `naive`."""
    base = naive.replace(tzinfo=UTC)
    offsets = set()
    for h in range(-30, 31):
        t = base + dt.timedelta(hours=h)
        offsets.add(t.astimezone(zone).utcoffset())
    hits = []
    for off in offsets:
        t = base - off
        if t.astimezone(zone).replace(tzinfo=None) == naive:
            hits.append(t)
    if hits:
        return min(hits)
    # gap: take the last local time before it that exists and walk forward on the UTC line
    # walk back minute by minute (local wall clock) to the last existing local time
    step = dt.timedelta(minutes=1)
    back = naive
    for _ in range(3 * 24 * 60):
        back = back - step
        b = back.replace(tzinfo=UTC)
        found = None
        for off in offsets:
            t = b - off
            if t.astimezone(zone).replace(tzinfo=None) == back:
                found = t if found is None else max(found, t)
        if found is not None:
            return found + (naive - back)
    raise RuntimeError("could not resolve %s" % naive)


def fmt_instant(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_minutes(t):
    d = t - EPOCH
    secs = d.days * 86400 + d.seconds
    if secs % 60 or d.microseconds:
        raise OracleError("invalid_datetime", "oracle works in whole minutes: %s" % t)
    return secs // 60


def from_minutes(m):
    return EPOCH + dt.timedelta(minutes=m)


# ---------------------------------------------------------------------------------------------
# RRULE syntax (RFC 5545 section 3.3.10), validated here; expansion below.

FREQS = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
RE_BYDAY = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
RE_INT = re.compile(r"^[+-]?\d{1,4}$")
RULE_WHITESPACE = " \t\n\r\f\v"   # ASCII whitespace around the whole rule text is ignored
RE_UNTIL = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$")


def _int_list(name, value, lo, hi, signed):
    out = []
    for item in value.split(","):
        if not RE_INT.match(item):
            raise OracleError("invalid_rrule", "%s: bad value %r" % (name, item))
        n = int(item)
        if (not signed) and item[0] in "+-":
            raise OracleError("invalid_rrule", "%s: no sign allowed %r" % (name, item))
        if n == 0 and signed:
            raise OracleError("invalid_rrule", "%s: 0 not allowed" % name)
        if not (lo <= abs(n) <= hi) if signed else not (lo <= n <= hi):
            raise OracleError("invalid_rrule", "%s: out of range %r" % (name, item))
        out.append(n)
    return out


def parse_rrule(text):
    """Validates an RRULE and returns (parts dict, rule text without UNTIL, until tuple or None).

    The rule text is case-insensitive and surrounding ASCII whitespace is ignored (team
    decisions); `parts` holds the upper-cased values and the returned rule text is a canonical
    `RRULE:...` rebuilt from them (no `+` signs, no leading zeros), which is what `iter_rule` reads.
    until is ("utc", aware datetime) | ("local", naive datetime) | ("date", date)."""
    if not isinstance(text, str) or not text.isascii():
        raise OracleError("invalid_rrule", "rule is not ASCII text")
    text = text.strip(RULE_WHITESPACE).upper()
    if not text:
        raise OracleError("invalid_rrule", "empty rule")
    body = text[6:] if text.startswith("RRULE:") else text
    parts = {}
    order = []
    for chunk in body.split(";"):
        if "=" not in chunk:
            raise OracleError("invalid_rrule", "bad part %r" % chunk)
        k, v = chunk.split("=", 1)
        if k in parts:
            raise OracleError("invalid_rrule", "duplicate part %s" % k)
        if v == "":
            raise OracleError("invalid_rrule", "empty value for %s" % k)
        parts[k] = v
        order.append(k)
    known = ("FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
             "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST")
    for k in order:
        if k not in known:
            raise OracleError("invalid_rrule", "unknown part %s" % k)
    if "FREQ" not in parts:
        raise OracleError("invalid_rrule", "FREQ missing")
    freq = parts["FREQ"]
    if freq not in FREQS:
        raise OracleError("invalid_rrule", "unknown FREQ %r" % freq)
    if "COUNT" in parts and "UNTIL" in parts:
        raise OracleError("invalid_rrule", "COUNT and UNTIL together")
    canon = {"FREQ": freq}
    if "COUNT" in parts:
        if not re.match(r"^\d+$", parts["COUNT"]) or int(parts["COUNT"]) < 1:
            raise OracleError("invalid_rrule", "bad COUNT")
        canon["COUNT"] = str(int(parts["COUNT"]))
    if "INTERVAL" in parts:            # no upper bound (team decision)
        if not re.match(r"^\d+$", parts["INTERVAL"]) or int(parts["INTERVAL"]) < 1:
            raise OracleError("invalid_rrule", "bad INTERVAL")
        canon["INTERVAL"] = str(int(parts["INTERVAL"]))
    # (name, lo, hi, signed): a sign, `+` included, only where negatives are allowed
    for name, lo, hi, signed in (("BYSECOND", 0, 59, False), ("BYMINUTE", 0, 59, False),
                                 ("BYHOUR", 0, 23, False), ("BYMONTHDAY", 1, 31, True),
                                 ("BYYEARDAY", 1, 366, True), ("BYWEEKNO", 1, 53, True),
                                 ("BYMONTH", 1, 12, False), ("BYSETPOS", 1, 366, True)):
        if name in parts:
            canon[name] = ",".join(str(n) for n in _int_list(name, parts[name], lo, hi, signed))
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise OracleError("invalid_rrule", "BYMONTHDAY with FREQ=WEEKLY")
    if "BYYEARDAY" in parts and freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise OracleError("invalid_rrule", "BYYEARDAY with FREQ=%s" % freq)
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise OracleError("invalid_rrule", "BYWEEKNO needs FREQ=YEARLY")
    if "BYSETPOS" in parts and not any(k.startswith("BY") and k != "BYSETPOS" for k in parts):
        raise OracleError("invalid_rrule", "BYSETPOS without another BYxxx")
    if "WKST" in parts:
        if parts["WKST"] not in WEEKDAYS:
            raise OracleError("invalid_rrule", "bad WKST")
        canon["WKST"] = parts["WKST"]
    if "BYDAY" in parts:
        items = []
        for item in parts["BYDAY"].split(","):
            m = RE_BYDAY.match(item)
            if not m:
                raise OracleError("invalid_rrule", "bad BYDAY %r" % item)
            if m.group(2) is not None:
                n = int(m.group(2))
                if not 1 <= n <= 53:
                    raise OracleError("invalid_rrule", "bad BYDAY ordinal %r" % item)
                if freq not in ("MONTHLY", "YEARLY"):
                    raise OracleError("invalid_rrule", "numeric BYDAY with FREQ=%s" % freq)
                if freq == "YEARLY" and "BYWEEKNO" in parts:
                    raise OracleError("invalid_rrule", "numeric BYDAY with BYWEEKNO")
                items.append("%d%s" % (-n if m.group(1) == "-" else n, m.group(3)))
            elif m.group(1):
                raise OracleError("invalid_rrule", "sign without ordinal %r" % item)
            else:
                items.append(m.group(3))
        canon["BYDAY"] = ",".join(items)
    until = None
    if "UNTIL" in parts:
        m = RE_UNTIL.match(parts["UNTIL"])
        if not m:
            raise OracleError("invalid_rrule", "malformed UNTIL %r" % parts["UNTIL"])
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            if m.group(4) is None:
                until = ("date", dt.date(y, mo, d))
            else:
                h, mi, se = int(m.group(4)), int(m.group(5)), int(m.group(6))
                if m.group(7) == "Z":
                    until = ("utc", dt.datetime(y, mo, d, h, mi, se, tzinfo=UTC))
                else:
                    until = ("local", dt.datetime(y, mo, d, h, mi, se))
        except ValueError:
            raise OracleError("invalid_rrule", "impossible UNTIL %r" % parts["UNTIL"])
    stripped = ";".join("%s=%s" % (k, canon[k]) for k in order if k != "UNTIL")
    return parts, "RRULE:" + stripped, until


# ---------------------------------------------------------------------------------------------
# Expansion.  Most rules go to dateutil.  Three kinds do not, because dateutil gets them wrong:
#  - FREQ=YEARLY with BYWEEKNO: dateutil 2.9 misses late-December days of next year's week 1 for
#    negative week numbers and numbers early-January days of last year's final week with the
#    current year's length (2011-01-01 is ISO week 52 of 2010; dateutil says 53);
#  - MONTHLY/YEARLY whose BYDAY mixes plain and numbered days (BYDAY=TU,2TU): dateutil intersects
#    the two kinds, RFC 5545 lists days, so they add up;
#  - a numbered BYDAY beyond +-5 counted within a month (it never matches; dateutil raises
#    IndexError).
# Those go to `iter_bruteforce`, a day-by-day search of each period.  A sub-daily rule whose time
# parts can never be reached from dtstart (FREQ=HOURLY;INTERVAL=2;BYHOUR=23 from 02:15) is found
# empty by `subdaily_unreachable` before dateutil, which raises ValueError on it, is asked.


class OracleLimitation(Exception):
    """dateutil did something the oracle did not foresee: the vector cannot be judged."""


def _split_canonical(rule_text):
    return dict(chunk.split("=", 1) for chunk in rule_text[len("RRULE:"):].split(";"))


def _ints(parts, name):
    return [int(x) for x in parts[name].split(",")] if name in parts else None


def _byday(parts):
    """[(n or None, weekday 0=MO..6=SU)] of a canonical BYDAY, or None."""
    if "BYDAY" not in parts:
        return None
    out = []
    for item in parts["BYDAY"].split(","):
        n, wd = item[:-2], WEEKDAYS.index(item[-2:])
        out.append((int(n) if n else None, wd))
    return out


def _jan1(y):
    """Proleptic Gregorian ordinal of 1 January of year y (date(1, 1, 1) is 1); any y >= 1."""
    p = y - 1
    return p * 365 + p // 4 - p // 100 + p // 400 + 1


def _weekday(o):
    return (o - 1) % 7               # 0 = Monday, as date.weekday()


def _week1_start(y, wkst):
    """Ordinal of the first day of week 1 of year y: the week (starting on wkst) holding 4 January,
    the first week with at least four days in y."""
    jan4 = _jan1(y) + 3
    return jan4 - (_weekday(jan4) - wkst) % 7


def week_of(o, wkst):
    """(week-numbering year, week number, weeks in that year) of the day with ordinal o, for weeks
    starting on wkst (RFC 5545 BYWEEKNO, ISO 8601 when wkst is Monday).  A week belongs to the year
    that holds at least four of its days, i.e. the year of its fourth day."""
    y = dt.date.fromordinal(o).year
    start = o - (_weekday(o) - wkst) % 7
    fourth = start + 3
    wy = y - 1 if fourth < _jan1(y) else (y + 1 if fourth >= _jan1(y + 1) else y)
    w1 = _week1_start(wy, wkst)
    return wy, (start - w1) // 7 + 1, (_week1_start(wy + 1, wkst) - w1) // 7


@functools.lru_cache(maxsize=None)
def _week_owner(s):
    """The year holding at least four of the seven days from date s."""
    in_first = sum(1 for i in range(7) if (s + dt.timedelta(days=i)).year == s.year)
    return s.year if in_first >= 4 else s.year + 1


def week_of_by_definition(d, wkst):
    """The same as week_of, straight from the definition and slowly (selftest only): the owner of
    d's week, then its weeks counted one by one before and after d's week."""
    week = dt.timedelta(days=7)
    s = d - dt.timedelta(days=(d.weekday() - wkst) % 7)
    wy = _week_owner(s)
    n, t = 1, s
    while _week_owner(t - week) == wy:
        n, t = n + 1, t - week
    total, t = n, s
    while _week_owner(t + week) == wy:
        total, t = total + 1, t + week
    return wy, n, total


def needs_bruteforce(parts):
    freq = parts["FREQ"]
    if freq not in ("YEARLY", "MONTHLY"):
        return False
    if "BYWEEKNO" in parts:
        return True
    byday = _byday(parts)
    if not byday:
        return False
    numbered = [n for n, _ in byday if n is not None]
    if numbered and len(numbered) < len(byday):
        return True                   # plain and numbered days together
    month_scope = freq == "MONTHLY" or "BYMONTH" in parts
    return month_scope and any(abs(n) > 5 for n in numbered)


BRUTEFORCE_CYCLE = {"YEARLY": 400, "MONTHLY": 4800}   # the Gregorian calendar repeats every 400 years


def iter_bruteforce(parts, dtstart, stop=None):
    """Naive local datetimes of a FREQ=YEARLY or MONTHLY rule (canonical parts, UNTIL already taken
    out), ascending, COUNT applied: every day of each period (the calendar year dtstart.year +
    k*INTERVAL, or the month) that every BY part present accepts, times the BYHOUR x BYMINUTE x
    BYSECOND times (dtstart's by default), BYSETPOS over the period's sorted set, instances before
    dtstart dropped.  Stops once a period starts after the naive datetime `stop`, after year 9999,
    or after a whole calendar cycle of empty periods (nothing can come later)."""
    freq = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    wkst = WEEKDAYS.index(parts.get("WKST", "MO"))
    bymonth = _ints(parts, "BYMONTH")
    byweekno = _ints(parts, "BYWEEKNO")
    byyearday = _ints(parts, "BYYEARDAY")
    bymonthday = _ints(parts, "BYMONTHDAY")
    bysetpos = _ints(parts, "BYSETPOS")
    byday = _byday(parts)
    if bymonthday is None and byday is None and byyearday is None and byweekno is None:
        bymonthday = [dtstart.day]                       # RFC 5545 implicit day part
        if freq == "YEARLY" and bymonth is None:
            bymonth = [dtstart.month]
    month_scope = freq == "MONTHLY" or bymonth is not None   # where a numbered BYDAY counts
    times = sorted({dt.time(h, m, s_) for h in (_ints(parts, "BYHOUR") or [dtstart.hour])
                    for m in (_ints(parts, "BYMINUTE") or [dtstart.minute])
                    for s_ in (_ints(parts, "BYSECOND") or [dtstart.second])})

    def day_ok(o):
        d = dt.date.fromordinal(o)
        if bymonth is not None and d.month not in bymonth:
            return False
        if byday is not None and not any(w == d.weekday() for _, w in byday):
            return False
        ylen = _jan1(d.year + 1) - _jan1(d.year)
        yday = o - _jan1(d.year) + 1
        mlen = calendar.monthrange(d.year, d.month)[1]
        if byweekno is not None:
            _, w, nweeks = week_of(o, wkst)
            if not any(w == (n if n > 0 else nweeks + 1 + n) for n in byweekno):
                return False
        if byyearday is not None and not any(yday == (n if n > 0 else ylen + 1 + n) for n in byyearday):
            return False
        if bymonthday is not None and not any(d.day == (n if n > 0 else mlen + 1 + n) for n in bymonthday):
            return False
        if byday is not None:
            wd = d.weekday()
            if month_scope:
                nth, nth_last = (d.day - 1) // 7 + 1, -((mlen - d.day) // 7 + 1)
            else:
                nth, nth_last = (yday - 1) // 7 + 1, -((ylen - yday) // 7 + 1)
            if not any(w == wd and (n is None or n == nth or n == nth_last) for n, w in byday):
                return False
        return True

    emitted, empty_run, k = 0, 0, 0
    while True:
        if freq == "YEARLY":
            y = dtstart.year + k * interval
            if y > 9999:
                return
            first, end = _jan1(y), _jan1(y + 1)
        else:
            y, m0 = divmod(dtstart.year * 12 + dtstart.month - 1 + k * interval, 12)
            if y > 9999:
                return
            first = dt.date(y, m0 + 1, 1).toordinal()
            end = _jan1(y + 1) if m0 == 11 else dt.date(y, m0 + 2, 1).toordinal()
        if stop is not None and first > stop.toordinal():
            return
        found = [dt.datetime.combine(dt.date.fromordinal(o), t)
                 for o in range(first, end) if day_ok(o) for t in times]
        if bysetpos is not None:
            found = sorted({found[n - 1 if n > 0 else len(found) + n]
                            for n in bysetpos if -len(found) <= n <= len(found)})
        found = [x for x in found if x >= dtstart]
        if found or k == 0:
            empty_run = 0
        else:
            empty_run += 1
            if empty_run >= BRUTEFORCE_CYCLE[freq]:
                return
        for x in found:
            yield x
            emitted += 1
            if count is not None and emitted >= count:
                return
        k += 1


SUBDAILY_UNIT = {"HOURLY": 3600, "MINUTELY": 60, "SECONDLY": 1}


def subdaily_unreachable(parts, dtstart):
    """True when a HOURLY/MINUTELY/SECONDLY rule can never produce an instance because its time
    filters exclude every time of day it reaches.  Period starts are dtstart + k*INTERVAL units in
    naive local time, so their time of day (in seconds) is t0 + k*step mod 86400: exactly the
    values congruent to t0 modulo gcd(step, 86400).  BYHOUR filters HOURLY and finer, BYMINUTE
    MINUTELY and finer, BYSECOND SECONDLY (coarser ones expand instead)."""
    freq = parts["FREQ"]
    if freq not in SUBDAILY_UNIT:
        return False
    hours = set(_ints(parts, "BYHOUR") or ()) or None
    minutes = (set(_ints(parts, "BYMINUTE") or ()) or None) if freq != "HOURLY" else None
    seconds = (set(_ints(parts, "BYSECOND") or ()) or None) if freq == "SECONDLY" else None
    if hours is None and minutes is None and seconds is None:
        return False
    g = math.gcd(int(parts.get("INTERVAL", "1")) * SUBDAILY_UNIT[freq], 86400)
    t0 = dtstart.hour * 3600 + dtstart.minute * 60 + dtstart.second
    for t in range(t0 % g, 86400, g):
        h, rest = divmod(t, 3600)
        m, s_ = divmod(rest, 60)
        if (hours is None or h in hours) and (minutes is None or m in minutes) \
                and (seconds is None or s_ in seconds):
            return False
    return True


def _iter_dateutil(rule_text, dtstart):
    try:
        it = iter(rrulestr(rule_text, dtstart=dtstart))
    except ValueError as e:        # "generates an empty set": subdaily_unreachable should have said so
        raise OracleLimitation("dateutil refused %s from %s: %r" % (rule_text, dtstart, e))
    while True:
        try:
            x = next(it)
        except StopIteration:
            return
        except OverflowError:      # the next period lies beyond year 9999 (huge INTERVAL)
            return
        except ValueError as e:
            if "out of range" in str(e):    # year 10000 and beyond
                return
            raise OracleLimitation("dateutil failed on %s from %s: %r" % (rule_text, dtstart, e))
        except IndexError as e:
            raise OracleLimitation("dateutil failed on %s from %s: %r" % (rule_text, dtstart, e))
        yield x


def iter_rule(rule_text, dtstart_naive, stop=None):
    """Naive local datetimes of the rule (canonical text from parse_rrule, without UNTIL),
    ascending, COUNT applied.  `stop` (naive) is a hint: the iterator may end once every later
    instance would be after it."""
    parts = _split_canonical(rule_text)
    if needs_bruteforce(parts):
        return iter_bruteforce(parts, dtstart_naive, stop)
    if subdaily_unreachable(parts, dtstart_naive):
        return iter(())
    return _iter_dateutil(rule_text, dtstart_naive)


def rule_instances(rule_text, until, dtstart, zone, exdates, stop_naive):
    """(naive local, instant) of every instance of the rule, in generation order, after UNTIL
    (all three forms) and EXDATE removal; iteration stops once the local time passes
    `stop_naive` (None: run the rule to its end, for rules bounded by COUNT or UNTIL)."""
    stop = stop_naive
    if until is not None and until[0] in ("date", "local"):
        u = until[1] if until[0] == "local" else dt.datetime.combine(until[1], dt.time(23, 59, 59))
        stop = u if stop is None else min(stop, u)
    for local in iter_rule(rule_text, dtstart, stop):
        if stop_naive is not None and local > stop_naive:
            break
        if until is not None:
            kind, u = until
            if kind == "date" and local.date() > u:
                break
            if kind == "local" and local > u:
                break
        if local in exdates:   # applied after COUNT: excluded dates do not replenish
            continue
        inst = resolve(local, zone)
        if until is not None and until[0] == "utc" and inst > until[1]:
            continue
        yield local, inst

# ---------------------------------------------------------------------------------------------
# kind: recurrence

RECURRENCE_FIELDS = {"rrule", "dtstart", "timezone", "exdates", "rdates", "from", "to", "limit"}


def recurrence(inp):
    unknown = set(inp) - RECURRENCE_FIELDS
    if unknown:
        raise OracleError("invalid_request", "unknown fields %s" % sorted(unknown))
    for req in ("rrule", "dtstart", "timezone", "from", "to"):
        if req not in inp:
            raise OracleError("invalid_request", "missing %s" % req)
    parts, rule_text, until = parse_rrule(inp["rrule"])
    zone = get_zone(inp["timezone"])
    dtstart = parse_local_datetime(inp["dtstart"])
    exdates = {parse_local_datetime(x) for x in inp.get("exdates", [])}
    rdates = [parse_local_datetime(x) for x in inp.get("rdates", [])]
    t_from = parse_instant(inp["from"])
    t_to = parse_instant(inp["to"])
    if t_to <= t_from:
        raise OracleError("invalid_interval", "to is not after from")
    if t_to - t_from > RECURRENCE_MAX_SPAN:
        raise OracleError("invalid_window", "query spans more than 36525 days")
    limit = inp.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise OracleError("invalid_request", "bad limit")      # limit 0 is valid: an empty answer

    # Iterate in naive local time; every local time L resolves to an instant within 26 h of
    # L read as UTC, so once L passes `to` (read as naive UTC) by two days nothing more counts.
    stop_naive = t_to.replace(tzinfo=None) + dt.timedelta(days=2)
    if until is not None and until[0] == "utc":
        stop_naive = min(stop_naive, until[1].replace(tzinfo=None) + dt.timedelta(days=2))

    occurrences = set()
    for local, inst in rule_instances(rule_text, until, dtstart, zone, exdates, stop_naive):
        occurrences.add(inst)
    for local in rdates:
        if local in exdates:   # EXDATE excludes from the whole set, RDATEs included (RFC 5545, dateutil's rruleset)
            continue
        occurrences.add(resolve(local, zone))
    out = sorted(s for s in occurrences if t_from <= s < t_to)
    if limit is not None:
        out = out[:limit]
    return {"occurrences": [fmt_instant(s) for s in out]}


# ---------------------------------------------------------------------------------------------
# kind: slots (brute-force minute scan of FORMAT.md's numbered rules)

SLOTS_FIELDS = {"timezone", "rules", "overrides", "busy", "query"}
RULE_FIELDS = {"rrule", "dtstart", "start", "end"}
OVERRIDE_FIELDS = {"date", "windows"}
WINDOW_FIELDS = {"start", "end"}
BUSY_FIELDS = {"start", "end"}
QUERY_FIELDS = {"from", "to", "duration", "step", "buffer_before", "buffer_after",
                "now", "min_notice", "horizon"}


def _check_fields(obj, allowed, required, what):
    if not isinstance(obj, dict):
        raise OracleError("invalid_request", "%s is not an object" % what)
    unknown = set(obj) - allowed
    if unknown:
        raise OracleError("invalid_request", "unknown fields in %s: %s" % (what, sorted(unknown)))
    for r in required:
        if r not in obj:
            raise OracleError("invalid_request", "%s: missing %s" % (what, r))


def whole_minutes(v, name):
    """A JSON number of whole minutes: 30 and 30.0 are 30; 30.5 is invalid_duration; anything that
    is not a number is invalid_request."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise OracleError("invalid_request", "%s must be a number of minutes" % name)
    if isinstance(v, float):
        if not v.is_integer():
            raise OracleError("invalid_duration", "%s must be a whole number of minutes" % name)
        v = int(v)
    return v


def _minutes_field(q, name, default, positive):
    v = q.get(name, default)
    if v is None:
        return None
    v = whole_minutes(v, name)
    if positive and v <= 0:
        raise OracleError("invalid_duration", "%s must be positive" % name)
    if not positive and v < 0:
        raise OracleError("invalid_duration", "%s must not be negative" % name)
    return v


def window_bounds(day, start_min, end_min, zone):
    """[start, end) in epoch minutes for a window on local date `day` (FORMAT.md slots rule 1)."""
    d0 = dt.datetime(day.year, day.month, day.day)
    start_local = d0 + dt.timedelta(minutes=start_min)
    if end_min == 1440:
        end_local = d0 + dt.timedelta(days=1)
    elif end_min <= start_min:
        end_local = d0 + dt.timedelta(days=1, minutes=end_min)
    else:
        end_local = d0 + dt.timedelta(minutes=end_min)
    return to_minutes(resolve(start_local, zone)), to_minutes(resolve(end_local, zone))


def slots(inp):
    _check_fields(inp, SLOTS_FIELDS, ("timezone", "rules", "query"), "input")
    zone = get_zone(inp["timezone"])
    q = inp["query"]
    _check_fields(q, QUERY_FIELDS, ("from", "to", "duration"), "query")

    rules = []
    for r in inp["rules"]:
        _check_fields(r, RULE_FIELDS, ("rrule", "dtstart", "start", "end"), "rule")
        parts, rule_text, until = parse_rrule(r["rrule"])
        if parts["FREQ"] in ("HOURLY", "MINUTELY", "SECONDLY"):
            raise OracleError("invalid_rrule", "working rules repeat days")
        if any(k in parts for k in ("BYHOUR", "BYMINUTE", "BYSECOND")):
            raise OracleError("invalid_rrule", "working rules repeat days")
        if until is not None and until[0] != "date":
            raise OracleError("invalid_request", "oracle only handles DATE UNTIL in working rules")
        day0 = parse_date(r["dtstart"])
        rules.append((rule_text, until, day0, parse_time(r["start"]), parse_time(r["end"], allow_24=True)))

    overrides = {}
    for o in inp.get("overrides", []):
        _check_fields(o, OVERRIDE_FIELDS, ("date", "windows"), "override")
        day = parse_date(o["date"])
        lst = overrides.setdefault(day, [])   # several overrides on one date: union
        for w in o["windows"]:
            _check_fields(w, WINDOW_FIELDS, ("start", "end"), "window")
            lst.append((parse_time(w["start"]), parse_time(w["end"], allow_24=True)))

    busy = []
    for b in inp.get("busy", []):
        _check_fields(b, BUSY_FIELDS, ("start", "end"), "busy")
        bs, be = to_minutes(parse_instant(b["start"])), to_minutes(parse_instant(b["end"]))
        if be <= bs:
            raise OracleError("invalid_interval", "busy end not after start")
        busy.append((bs, be))

    t_from = parse_instant(q["from"])
    t_to = parse_instant(q["to"])
    duration = _minutes_field(q, "duration", None, True)
    step = _minutes_field(q, "step", duration, True)
    buf_before = _minutes_field(q, "buffer_before", 0, False)
    buf_after = _minutes_field(q, "buffer_after", 0, False)
    now = parse_instant(q["now"]) if "now" in q else None
    min_notice = _minutes_field(q, "min_notice", 0, False)
    horizon = _minutes_field(q, "horizon", None, False)     # 0 is valid: nothing is offered
    if t_to <= t_from:
        raise OracleError("invalid_interval", "to is not after from")
    if t_to - t_from > SLOTS_MAX_SPAN:
        raise OracleError("invalid_window", "query spans more than 400 days")
    m_from, m_to = to_minutes(t_from), to_minutes(t_to)

    # 1. Working windows.  Every window of local date D lies within local [D, D+2 days), i.e.
    # within UTC [D - 1 day, D + 3 days); dates after to + duration + 3 days cannot matter.
    last_day = (t_to + dt.timedelta(minutes=duration) + dt.timedelta(days=3)).date()
    windows = []
    for rule_text, until, day0, smin, emin in rules:
        for local in iter_rule(rule_text, dt.datetime(day0.year, day0.month, day0.day),
                               dt.datetime(last_day.year, last_day.month, last_day.day)):
            day = local.date()
            if day > last_day:
                break
            if until is not None and day > until[1]:
                break
            if day in overrides:          # the override replaces every rule window of that date
                continue
            windows.append(window_bounds(day, smin, emin, zone))
    for day, lst in overrides.items():
        for smin, emin in lst:
            windows.append(window_bounds(day, smin, emin, zone))
    windows = [(a, b) for a, b in windows if b > a]  # zero-length windows contribute nothing
    if not windows:
        return {"slots": []}

    lo = min(a for a, _ in windows)
    hi = max(b for _, b in windows)
    covered = bytearray(hi - lo)
    for a, b in windows:
        covered[a - lo:b - lo] = b"\x01" * (b - a)

    # maximal runs of covered minutes = merged windows (overlapping and touching ones merge)
    runs = []
    i, n = 0, len(covered)
    while i < n:
        j = covered.find(b"\x01", i)
        if j < 0:
            break
        k = covered.find(b"\x00", j)
        if k < 0:
            k = n
        runs.append((lo + j, lo + k))
        i = k

    offered = []
    for ws, we in runs:
        s = ws
        while s + duration <= we:                                   # 2. candidates
            ok = m_from <= s < m_to                                  # 3. offered checks
            if ok:
                a, b = s - buf_before, s + duration + buf_after
                for bs, be in busy:
                    if a < be and bs < b:
                        ok = False
                        break
            if ok and now is not None:
                m_now = to_minutes(now)
                if s < m_now + min_notice:
                    ok = False
                if horizon is not None and not s < m_now + horizon:
                    ok = False
            if ok:
                offered.append(s)
            s += step
    offered = sorted(set(offered))                                 # 4. ascending, UTC
    return {"slots": [fmt_instant(from_minutes(m)) for m in offered]}


# ---------------------------------------------------------------------------------------------
# kind: conflict (brute force over the event points of each requested resource)

BLOCKING_STATUSES = ("pending", "booked", "arrived", "checked-in", "fulfilled")
NEVER_BLOCKING_STATUSES = ("proposed", "cancelled", "noshow", "entered-in-error", "waitlist")
STATUSES = BLOCKING_STATUSES + ("held",) + NEVER_BLOCKING_STATUSES      # exactly these 11

CONFLICT_FIELDS = {"now", "capacity", "bookings", "request"}
BOOKING_FIELDS = {"id", "start", "end", "status", "hold_expires", "resources"}
REQUEST_FIELDS = {"start", "end", "resources"}


def _resource_list(value, what, allow_empty):
    if not isinstance(value, list) or not all(isinstance(r, str) and r for r in value):
        raise OracleError("invalid_request", "%s: resources must be a list of non-empty strings" % what)
    if not value and not allow_empty:
        raise OracleError("invalid_request", "%s: no resources" % what)
    return sorted(set(value))


def parse_capacity(value):
    """{resource: integer >= 1}; a resource not named has capacity 1."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OracleError("invalid_request", "capacity is not an object")
    for r, c in value.items():
        if not r:
            raise OracleError("invalid_request", "capacity: empty resource name")
        if not isinstance(c, int) or isinstance(c, bool) or c < 1:
            raise OracleError("invalid_request", "capacity of %s must be an integer >= 1: %r" % (r, c))
    return dict(value)


def parse_bookings(value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise OracleError("invalid_request", "bookings is not a list")
    out = []
    seen = set()
    for b in value:
        _check_fields(b, BOOKING_FIELDS, ("id", "start", "end", "status", "resources"), "booking")
        bid = b["id"]
        if not isinstance(bid, str) or not bid:
            raise OracleError("invalid_request", "booking id must be a non-empty string")
        if bid in seen:
            raise OracleError("invalid_request", "duplicate booking id %r" % bid)
        seen.add(bid)
        status = b["status"]
        if status not in STATUSES:
            raise OracleError("invalid_request", "unknown booking status %r" % (status,))
        start, end = parse_instant(b["start"]), parse_instant(b["end"])
        if end <= start:
            raise OracleError("invalid_interval", "booking %s: end not after start" % bid)
        expires = None
        if "hold_expires" in b:
            expires = parse_instant(b["hold_expires"])
        if status == "held" and expires is None:
            raise OracleError("invalid_request", "held booking %s without hold_expires" % bid)
        out.append({"id": bid, "start": start, "end": end, "status": status, "expires": expires,
                    "resources": _resource_list(b["resources"], "booking %s" % bid, True)})
    return out


def blocks(b, now):
    """FORMAT.md: pending/booked/arrived/checked-in/fulfilled block; held blocks while
    hold_expires is strictly after now (every hold is live when there is no now)."""
    if b["status"] in BLOCKING_STATUSES:
        return True
    if b["status"] == "held":
        return now is None or b["expires"] > now
    return False


def conflicts_of(start, end, resources, bookings, capacity, now):
    """[{"resource", "with"}] for the request [start, end) on `resources` (sorted, unique)."""
    out = []
    for r in resources:
        cap = capacity.get(r, 1)
        on_r = [b for b in bookings
                if r in b["resources"] and blocks(b, now) and b["start"] < end and start < b["end"]]
        # event points: the request start and every booking boundary that falls inside the request
        points = {start}
        for b in on_r:
            for t in (b["start"], b["end"]):
                if start <= t < end:
                    points.add(t)
        peak = max(sum(1 for b in on_r if b["start"] <= t < b["end"]) for t in points)
        if peak >= cap:
            out.append({"resource": r, "with": sorted(b["id"] for b in on_r)})
    return out


def conflict(inp):
    _check_fields(inp, CONFLICT_FIELDS, ("request",), "input")
    now = parse_instant(inp["now"]) if "now" in inp else None
    capacity = parse_capacity(inp.get("capacity"))
    bookings = parse_bookings(inp.get("bookings"))
    req = inp["request"]
    _check_fields(req, REQUEST_FIELDS, ("start", "end", "resources"), "request")
    start, end = parse_instant(req["start"]), parse_instant(req["end"])
    resources = _resource_list(req["resources"], "request", False)
    if end <= start:
        raise OracleError("invalid_interval", "request end not after start")
    found = conflicts_of(start, end, resources, bookings, capacity, now)
    return {"ok": not found, "conflicts": found}


# ---------------------------------------------------------------------------------------------
# kind: series (the team's own kind): a recurring booking checked occurrence by occurrence

SERIES_INPUT_FIELDS = {"now", "capacity", "bookings", "series", "policy"}
SERIES_FIELDS = {"id", "rrule", "dtstart", "timezone", "duration", "resources", "exdates", "until"}
SERIES_POLICIES = ("all_or_nothing", "book_free")
SERIES_MAX_OCCURRENCES = 1000


def series_occurrences(rule_text, until, dtstart, zone, exdates, until_field):
    """{instant: naive local} of the series, as kind `recurrence` expands it over the window
    [instant of dtstart - 1 day, until_field) (until_field None: to the rule's own end)."""
    lo = resolve(dtstart, zone) - dt.timedelta(days=1)
    stop_naive = None
    if until_field is not None:
        stop_naive = until_field.replace(tzinfo=None) + dt.timedelta(days=2)
    if until is not None and until[0] == "utc":
        u = until[1].replace(tzinfo=None) + dt.timedelta(days=2)
        stop_naive = u if stop_naive is None else min(stop_naive, u)
    found = {}
    for local, inst in rule_instances(rule_text, until, dtstart, zone, exdates, stop_naive):
        if inst < lo or (until_field is not None and not inst < until_field):
            continue
        if inst not in found:          # same instant twice: keep the first generated (earlier local)
            found[inst] = local
            if len(found) > SERIES_MAX_OCCURRENCES:
                raise OracleError("invalid_request", "more than %d occurrences" % SERIES_MAX_OCCURRENCES)
    return found


def _local_id(local):
    return local.strftime("%Y%m%dT%H%M%S")


def series(inp):
    _check_fields(inp, SERIES_INPUT_FIELDS, ("series",), "input")
    now = parse_instant(inp["now"]) if "now" in inp else None
    capacity = parse_capacity(inp.get("capacity"))
    bookings = parse_bookings(inp.get("bookings"))
    policy = inp.get("policy", "all_or_nothing")
    if policy not in SERIES_POLICIES:
        raise OracleError("invalid_request", "unknown policy %r" % (policy,))
    sr = inp["series"]
    _check_fields(sr, SERIES_FIELDS, ("rrule", "dtstart", "timezone", "duration", "resources"), "series")
    sid = sr.get("id", "S")
    if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9.-]{1,48}", sid):
        raise OracleError("invalid_request",
                          "series id must match [A-Za-z0-9.-]{1,48} so occurrence ids are FHIR ids")
    parts, rule_text, until = parse_rrule(sr["rrule"])
    zone = get_zone(sr["timezone"])
    dtstart = parse_local_datetime(sr["dtstart"])
    duration = whole_minutes(sr["duration"], "duration")
    if duration <= 0:
        raise OracleError("invalid_duration", "duration must be a positive whole number of minutes")
    resources = _resource_list(sr["resources"], "series", False)
    if not isinstance(sr.get("exdates", []), list):
        raise OracleError("invalid_request", "exdates is not a list")
    exdates = {parse_local_datetime(x) for x in sr.get("exdates", [])}
    until_field = parse_instant(sr["until"]) if "until" in sr else None
    if until_field is None and "COUNT" not in parts and "UNTIL" not in parts:
        raise OracleError("invalid_request", "open-ended rule without `until`")

    found = series_occurrences(rule_text, until, dtstart, zone, exdates, until_field)
    length = dt.timedelta(minutes=duration)
    accepted = []          # the series' own occurrences judged ok so far, as booked bookings
    occ = []
    for inst in sorted(found):
        local = found[inst]
        s, e = inst, inst + length
        found_conflicts = conflicts_of(s, e, resources, bookings + accepted, capacity, now)
        ok = not found_conflicts
        if ok:
            accepted.append({"id": "%s.%s" % (sid, _local_id(local)), "start": s, "end": e,
                             "status": "booked", "expires": None, "resources": resources})
        occ.append({"recurrence_id": local.strftime("%Y-%m-%dT%H:%M:%S"),
                    "start": fmt_instant(s), "end": fmt_instant(e),
                    "ok": ok, "booked": False, "conflicts": found_conflicts})
    if policy == "all_or_nothing":
        booked = all(o["ok"] for o in occ)
        for o in occ:
            o["booked"] = booked
    else:
        for o in occ:
            o["booked"] = o["ok"]
        booked = any(o["booked"] for o in occ)
    return {"booked": booked, "occurrences": occ}


COMPUTE = {"recurrence": recurrence, "slots": slots, "conflict": conflict, "series": series}


def compute(kind, inp):
    return COMPUTE[kind](inp)


# ---------------------------------------------------------------------------------------------
# generate / check

def _dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def build_vector(kind, case):
    name = case["name"]
    v = {"id": "%s/%s" % (kind, name), "kind": kind, "description": case["description"],
         "input": case["input"]}
    if "expect_error" in case:
        v["expect_error"] = {"code": case["expect_error"]}
        try:
            compute(kind, case["input"])
            got = None
        except OracleError as e:
            got = e.code
        if got != case["expect_error"]:
            sys.stderr.write("note: %s/%s is hand-written as %s; the oracle's own validation says %s\n"
                             % (kind, name, case["expect_error"], got))
    else:
        v["expect"] = compute(kind, case["input"])
    return v


def generate(outdir=VECTORS):
    sys.path.insert(0, HERE)
    import cases
    total = 0
    for kind in KINDS:
        lst = cases.CASES[kind]
        names = [c["name"] for c in lst]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise SystemExit("duplicate case names: %s" % sorted(dupes))
        d = os.path.join(outdir, kind)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):                     # drop vectors no longer in the cases
            if f.endswith(".json") and f[:-5] not in names:
                os.remove(os.path.join(d, f))
        for c in lst:
            if not re.match(r"^[a-z0-9][a-z0-9-]*$", c["name"]):
                raise SystemExit("bad case name %r" % c["name"])
            v = build_vector(kind, c)
            with open(os.path.join(d, c["name"] + ".json"), "w") as fh:
                fh.write(_dump(v))
            total += 1
        print("%s: %d vectors" % (kind, len(lst)))
    print("wrote %d vectors below %s" % (total, outdir))


RE_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def envelope_problem(v, path):
    if not isinstance(v, dict):
        return "not a JSON object"
    allowed = {"id", "kind", "description", "input", "expect", "expect_error"}
    extra = set(v) - allowed
    if extra:
        return "unknown envelope fields %s" % sorted(extra)
    for k in ("id", "kind", "description", "input"):
        if k not in v:
            return "missing %s" % k
    if ("expect" in v) == ("expect_error" in v):
        return "needs exactly one of expect / expect_error"
    stem = os.path.splitext(os.path.basename(path))[0]
    if v["id"] != "%s/%s" % (v["kind"], stem):
        return "id %r does not match kind/filename %s/%s" % (v["id"], v["kind"], stem)
    if not isinstance(v["description"], str) or not v["description"].strip():
        return "empty description"
    if "expect_error" in v:
        e = v["expect_error"]
        if not isinstance(e, dict) or set(e) != {"code"} or e["code"] not in ERROR_CODES:
            return "expect_error must be {\"code\": <known code>}"
    elif v["kind"] == "conflict":
        return conflict_expect_problem(v["expect"])
    elif v["kind"] == "series":
        return series_expect_problem(v["expect"])
    else:
        key = "occurrences" if v["kind"] == "recurrence" else "slots"
        ex = v["expect"]
        if not isinstance(ex, dict) or set(ex) != {key} or not isinstance(ex[key], list):
            return "expect must be {\"%s\": [...]}" % key
        for s in ex[key]:
            if not isinstance(s, str) or not RE_Z.match(s):
                return "expect instant %r is not YYYY-MM-DDTHH:MM:SSZ" % (s,)
    return None


RE_RECURRENCE_ID = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _conflict_list_problem(lst):
    if not isinstance(lst, list):
        return "conflicts must be a list"
    for c in lst:
        if not isinstance(c, dict) or set(c) != {"resource", "with"} or not isinstance(c["resource"], str) \
                or not isinstance(c["with"], list) or not all(isinstance(x, str) for x in c["with"]):
            return "each conflict must be {\"resource\": str, \"with\": [str]}"
    return None


def conflict_expect_problem(ex):
    if not isinstance(ex, dict) or not set(ex) <= {"ok", "conflicts"} or not isinstance(ex.get("ok"), bool):
        return "expect must be {\"ok\": bool, \"conflicts\": [...]}"
    if "conflicts" not in ex:
        return None if ex["ok"] else "conflicts may be omitted only when ok is true"
    return _conflict_list_problem(ex["conflicts"])


SERIES_OCC_KEYS = {"recurrence_id", "start", "end", "ok", "booked", "conflicts"}


def series_expect_problem(ex):
    if not isinstance(ex, dict) or set(ex) != {"booked", "occurrences"} or not isinstance(ex["booked"], bool) \
            or not isinstance(ex["occurrences"], list):
        return "expect must be {\"booked\": bool, \"occurrences\": [...]}"
    for o in ex["occurrences"]:
        if not isinstance(o, dict) or set(o) != SERIES_OCC_KEYS:
            return "each occurrence must have exactly %s" % sorted(SERIES_OCC_KEYS)
        if not isinstance(o["recurrence_id"], str) or not RE_RECURRENCE_ID.match(o["recurrence_id"]):
            return "recurrence_id %r is not YYYY-MM-DDTHH:MM:SS" % (o["recurrence_id"],)
        for k in ("start", "end"):
            if not isinstance(o[k], str) or not RE_Z.match(o[k]):
                return "expect instant %r is not YYYY-MM-DDTHH:MM:SSZ" % (o[k],)
        if not isinstance(o["ok"], bool) or not isinstance(o["booked"], bool):
            return "ok and booked must be booleans"
        p = _conflict_list_problem(o["conflicts"])
        if p:
            return p
    return None


def normalized_expect(kind, ex):
    """FORMAT.md lets a conflict answer with ok true omit `conflicts`."""
    if kind == "conflict" and "conflicts" not in ex:
        return dict(ex, conflicts=[])
    return ex


def _short(lst, n=6):
    if len(lst) <= n:
        return json.dumps(lst)
    return json.dumps(lst[:n])[:-1] + ", ... (%d in all)]" % len(lst)


def check(dirs, judge_errors=False):
    files = []
    for d in dirs:
        if os.path.isfile(d):
            files.append(d)
            continue
        for root, _, names in os.walk(d):
            for f in names:
                if f.endswith(".json"):
                    files.append(os.path.join(root, f))
    files.sort()
    passed = failed = 0
    skipped = {}
    for path in files:
        try:
            with open(path) as fh:
                v = json.load(fh)
        except (OSError, ValueError) as e:
            print("%s: unreadable JSON: %s" % (path, e))
            failed += 1
            continue
        kind = v.get("kind") if isinstance(v, dict) else None
        if kind not in KINDS:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        vid = v.get("id", path)
        prob = envelope_problem(v, path)
        if prob:
            print("%s: malformed vector: %s" % (vid, prob))
            failed += 1
            continue
        if "expect_error" in v:
            if judge_errors:
                try:
                    compute(kind, v["input"])
                    print("note: %s: expected error %s, the oracle computes a result"
                          % (vid, v["expect_error"]["code"]))
                except OracleError as e:
                    if e.code != v["expect_error"]["code"]:
                        print("note: %s: expected error %s, the oracle's validation says %s"
                              % (vid, v["expect_error"]["code"], e.code))
                except Exception as e:      # noqa: BLE001  (reported, never aborts the run)
                    print("note: %s: the oracle cannot judge it: %r" % (vid, e))
            passed += 1
            continue
        try:
            got = compute(kind, v["input"])
        except OracleError as e:
            print("%s: expected %s, got error %s (%s)" % (vid, json.dumps(v["expect"]), e.code, e))
            failed += 1
            continue
        except Exception as e:              # noqa: BLE001  (an oracle failure fails this vector only)
            print("%s: the oracle cannot judge it: %r" % (vid, e))
            failed += 1
            continue
        if got == normalized_expect(kind, v["expect"]):
            passed += 1
        elif kind in ("conflict", "series"):
            print("%s: expected %s, got %s" % (vid, json.dumps(v["expect"], separators=(",", ":")),
                                              json.dumps(got, separators=(",", ":"))))
            failed += 1
        else:
            key = "occurrences" if kind == "recurrence" else "slots"
            exp, g = v["expect"][key], got[key]
            missing = [x for x in exp if x not in g]
            extra = [x for x in g if x not in exp]
            print("%s: expected %s, got %s (missing %s, extra %s)"
                  % (vid, _short(exp), _short(g), _short(missing), _short(extra)))
            failed += 1
    if skipped:
        print("skipped: %d vectors of other kinds (%s)"
              % (sum(skipped.values()), ", ".join("%s: %d" % (k, n) for k, n in sorted(skipped.items(), key=str))))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


# ---------------------------------------------------------------------------------------------
# selftest: check the tools the oracle leans on

RFC_EXAMPLES = [
    # (rule, dtstart local New York, expected local datetimes) straight from RFC 5545 3.8.5.3
    ("FREQ=DAILY;COUNT=10", "1997-09-02T09:00",
     ["1997-09-%02dT09:00" % d for d in range(2, 12)]),
    ("FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TU,TH;COUNT=8", "1997-09-02T09:00",
     ["1997-09-02T09:00", "1997-09-04T09:00", "1997-09-16T09:00", "1997-09-18T09:00",
      "1997-09-30T09:00", "1997-10-02T09:00", "1997-10-14T09:00", "1997-10-16T09:00"]),
    ("FREQ=MONTHLY;COUNT=10;BYDAY=1FR", "1997-09-05T09:00",
     ["1997-09-05T09:00", "1997-10-03T09:00", "1997-11-07T09:00", "1997-12-05T09:00",
      "1998-01-02T09:00", "1998-02-06T09:00", "1998-03-06T09:00", "1998-04-03T09:00",
      "1998-05-01T09:00", "1998-06-05T09:00"]),
    ("FREQ=MONTHLY;BYMONTHDAY=-3;COUNT=6", "1997-09-28T09:00",
     ["1997-09-28T09:00", "1997-10-29T09:00", "1997-11-28T09:00", "1997-12-29T09:00",
      "1998-01-29T09:00", "1998-02-26T09:00"]),
    ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO;COUNT=3", "1997-05-12T09:00",
     ["1997-05-12T09:00", "1998-05-11T09:00", "1999-05-17T09:00"]),
    ("FREQ=MONTHLY;BYDAY=TU,WE,TH;BYSETPOS=3;COUNT=3", "1997-09-04T09:00",
     ["1997-09-04T09:00", "1997-10-07T09:00", "1997-11-06T09:00"]),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2;COUNT=7", "1997-09-29T09:00",
     ["1997-09-29T09:00", "1997-10-30T09:00", "1997-11-27T09:00", "1997-12-30T09:00",
      "1998-01-29T09:00", "1998-02-26T09:00", "1998-03-30T09:00"]),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", "1997-08-05T09:00",
     ["1997-08-05T09:00", "1997-08-10T09:00", "1997-08-19T09:00", "1997-08-24T09:00"]),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", "1997-08-05T09:00",
     ["1997-08-05T09:00", "1997-08-17T09:00", "1997-08-19T09:00", "1997-08-31T09:00"]),
    ("FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200", "1997-01-01T09:00",
     ["1997-01-01T09:00", "1997-04-10T09:00", "1997-07-19T09:00", "2000-01-01T09:00",
      "2000-04-09T09:00", "2000-07-18T09:00", "2003-01-01T09:00", "2003-04-10T09:00",
      "2003-07-19T09:00", "2006-01-01T09:00"]),
    ("FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR;COUNT=5", "1997-09-02T09:00",
     ["1998-02-13T09:00", "1998-03-13T09:00", "1998-11-13T09:00", "1999-08-13T09:00",
      "2000-10-13T09:00"]),
]


def _take_until(it, stop, limit=None):
    out = []
    for x in it:
        if x > stop or (limit is not None and len(out) >= limit):
            break
        out.append(x)
    return out


def selftest_expansion():
    """The expansion paths that do not use dateutil, checked against other formulations."""
    import random
    bad = 0
    rnd = random.Random(20110101)
    # a. week numbers: ISO weeks (WKST=MO) against date.isocalendar(); every WKST against the
    #    definition (a week belongs to the year holding four of its days), around every New Year
    d, checked = dt.date(1990, 1, 1), 0
    while d < dt.date(2041, 1, 1):
        iy, iw, _ = d.isocalendar()
        got = week_of(d.toordinal(), 0)
        if got[:2] != (iy, iw) or got[2] != dt.date(iy, 12, 28).isocalendar()[1]:
            bad += 1
            print("week_of(%s, MO) = %s, isocalendar %s" % (d, got, (iy, iw)))
        d += dt.timedelta(days=1)
        checked += 1
    for y in range(1995, 2036):
        for wkst in range(7):
            for off in range(-10, 11):
                d = dt.date(y, 1, 1) + dt.timedelta(days=off)
                if week_of(d.toordinal(), wkst) != week_of_by_definition(d, wkst):
                    bad += 1
                    print("week_of(%s, %s) = %s, by definition %s" % (d, WEEKDAYS[wkst],
                          week_of(d.toordinal(), wkst), week_of_by_definition(d, wkst)))
                checked += 1
    print("week numbers: %d days checked (isocalendar, and the 4-day definition for every WKST)" % checked)
    # b. BYWEEKNO alone, WKST=MO: the brute force against isocalendar (a day of calendar year Y
    #    matches n when its ISO week is n, or n counted from the end of its ISO year)
    stop = dt.datetime(2036, 1, 1)
    for n in (1, 2, 26, 52, 53, -1, -2, -52, -53):
        _, text, _ = parse_rrule("FREQ=YEARLY;BYWEEKNO=%d" % n)
        got = _take_until(iter_rule(text, dt.datetime(1995, 1, 1, 9)), stop)
        want, d = [], dt.date(1995, 1, 1)
        while d < stop.date():
            iy, iw, _ = d.isocalendar()
            last = dt.date(iy, 12, 28).isocalendar()[1]
            if iw == (n if n > 0 else last + 1 + n):
                want.append(dt.datetime.combine(d, dt.time(9)))
            d += dt.timedelta(days=1)
        if got != want:
            bad += 1
            print("BYWEEKNO=%d: brute force %d days, isocalendar %d" % (n, len(got), len(want)))
    for rule, start, frm, to, want in [   # the hand-checked year-boundary cases (recurrence/weekno-*)
            ("FREQ=YEARLY;BYWEEKNO=-52;BYDAY=MO", "2024-01-01T09:00", "2024-12-01", "2025-01-01", ["2024-12-30"]),
            ("FREQ=YEARLY;BYWEEKNO=53", "2010-01-01T09:00", "2011-01-01", "2011-01-03", []),
            ("FREQ=YEARLY;BYWEEKNO=52", "2010-01-01T09:00", "2011-01-01", "2011-01-03", ["2011-01-01", "2011-01-02"])]:
        _, text, _ = parse_rrule(rule)
        got = [x.strftime("%Y-%m-%d") for x in _take_until(iter_rule(text, parse_local_datetime(start)),
                                                            parse_local_datetime(to + "T00:00"))]
        got = [x for x in got if x >= frm]
        if got != want:
            bad += 1
            print("%s from %s in [%s, %s): got %s, want %s" % (rule, start, frm, to, got, want))
    # c. the brute force against dateutil where dateutil is right: random YEARLY/MONTHLY rules
    #    without BYWEEKNO, without mixed BYDAY and without numbered days beyond 5 in a month
    compared = 0
    for _ in range(300):
        freq = rnd.choice(["YEARLY", "MONTHLY"])
        p = ["FREQ=" + freq]
        if rnd.random() < 0.4:
            p.append("INTERVAL=%d" % rnd.choice([2, 3, 5]))
        has_month = rnd.random() < 0.5
        if has_month:
            p.append("BYMONTH=" + ",".join(str(m) for m in sorted(rnd.sample(range(1, 13), rnd.randint(1, 3)))))
        if rnd.random() < 0.4:
            p.append("BYMONTHDAY=" + ",".join(str(x) for x in rnd.sample([1, 5, 13, 28, 29, 30, 31, -1, -2, -31], 2)))
        if freq == "YEARLY" and rnd.random() < 0.25:
            p.append("BYYEARDAY=" + ",".join(str(x) for x in rnd.sample([1, 59, 60, 100, 200, 365, 366, -1, -366], 3)))
        r = rnd.random()
        if r < 0.35:
            p.append("BYDAY=" + ",".join(rnd.sample(WEEKDAYS, rnd.randint(1, 3))))
        elif r < 0.7:
            top = 5 if (freq == "MONTHLY" or has_month) else 53
            p.append("BYDAY=" + ",".join("%d%s" % (rnd.choice([1, -1]) * rnd.randint(1, top), w)
                                         for w in rnd.sample(WEEKDAYS, rnd.randint(1, 2))))
        if rnd.random() < 0.3:
            p.append("BYHOUR=" + ",".join(str(h) for h in rnd.sample(range(24), 2)))
        if len(p) > 1 and any(x.startswith("BY") for x in p) and rnd.random() < 0.3:
            p.append("BYSETPOS=" + ",".join(str(x) for x in rnd.sample([1, 2, 3, -1, -2], 2)))
        p.append("COUNT=%d" % rnd.randint(1, 8))
        if rnd.random() < 0.3:
            p.append("WKST=" + rnd.choice(WEEKDAYS))
        start = dt.datetime(rnd.randint(1998, 2030), rnd.randint(1, 12), rnd.randint(1, 28),
                            rnd.randint(0, 23), rnd.choice([0, 15, 30]))
        _, text, _ = parse_rrule(";".join(p))
        parts = _split_canonical(text)
        if needs_bruteforce(parts):
            continue
        bf = list(iter_bruteforce(parts, start, start + dt.timedelta(days=366 * 40)))
        if len(bf) < int(parts["COUNT"]):
            continue                     # sparse: dateutil might walk to year 9999
        du = list(_iter_dateutil(text, start))
        compared += 1
        if bf != du:
            bad += 1
            print("brute force and dateutil differ on %s from %s: %s / %s" % (text, start, bf[:4], du[:4]))
    # d. mixed plain and numbered BYDAY is the union of the two rules
    for _ in range(60):
        freq = rnd.choice(["YEARLY", "MONTHLY"])
        month = rnd.random() < 0.5 and freq == "YEARLY"
        plain = rnd.sample(WEEKDAYS, rnd.randint(1, 2))
        top = 5 if (freq == "MONTHLY" or month) else 53
        numbered = ["%d%s" % (rnd.choice([1, -1]) * rnd.randint(1, top), w) for w in rnd.sample(WEEKDAYS, 2)]
        base = "FREQ=%s%s" % (freq, ";BYMONTH=2,7" if month else "")
        start = dt.datetime(rnd.randint(2000, 2030), 1, 1, 9)
        stop = start + dt.timedelta(days=3 * 366)
        texts = [parse_rrule("%s;BYDAY=%s" % (base, ",".join(x)))[1] for x in (plain + numbered, plain, numbered)]
        mixed = _take_until(iter_rule(texts[0], start), stop)
        union = sorted(set(_take_until(_iter_dateutil(texts[1], start), stop))
                       | set(_take_until(_iter_dateutil(texts[2], start), stop)))
        if mixed != union:
            bad += 1
            print("mixed BYDAY %s: not the union of its plain and numbered days" % texts[0])
    # e. sub-daily rules: subdaily_unreachable says empty exactly when dateutil refuses the rule
    agree = 0
    for _ in range(600):
        freq = rnd.choice(["HOURLY", "MINUTELY", "SECONDLY"])
        p = ["FREQ=" + freq, "INTERVAL=%d" % rnd.choice([2, 3, 4, 5, 6, 7, 8, 10, 12, 25, 45, 90, 120, 7200])]
        for name, top, pr in (("BYHOUR", 24, 0.6), ("BYMINUTE", 60, 0.5), ("BYSECOND", 60, 0.3)):
            if rnd.random() < pr:
                p.append("%s=%s" % (name, ",".join(str(x) for x in rnd.sample(range(top), rnd.randint(1, 2)))))
        start = dt.datetime(2026, 3, 2, rnd.randint(0, 23), rnd.randint(0, 59), rnd.choice([0, 0, 30]))
        text = parse_rrule(";".join(p))[1]
        try:
            first = next(iter(rrulestr(text, dtstart=start)), None)
            refused = False
        except ValueError:
            refused = True
        if refused != subdaily_unreachable(_split_canonical(text), start) or (not refused and first is None):
            bad += 1
            print("sub-daily %s from %s: dateutil refuses it: %s, subdaily_unreachable: %s"
                  % (text, start, refused, subdaily_unreachable(_split_canonical(text), start)))
        agree += 1
    print("expansion: %d BYWEEKNO/isocalendar rules, %d random rules brute force = dateutil, "
          "60 mixed BYDAY = union, %d sub-daily reachability checks" % (9 + 3, compared, agree))
    return bad


def selftest():
    bad = 0
    # 1. zoneinfo fold=0 == compatible resolution, around every 2026 transition of the zones used
    zones = ["Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns",
             "Africa/Casablanca", "Europe/Dublin", "America/Santiago", "Australia/Sydney",
             "Pacific/Auckland", "America/New_York", "Europe/London", "Asia/Kolkata", "UTC"]
    checked = 0
    for name in zones:
        z = zoneinfo.ZoneInfo(name)
        t = dt.datetime(2026, 1, 1, tzinfo=UTC)
        prev = t.astimezone(z).utcoffset()
        while t < dt.datetime(2027, 1, 1, tzinfo=UTC):
            t2 = t + dt.timedelta(minutes=15)
            off = t2.astimezone(z).utcoffset()
            if off != prev:
                local = (t2 + prev).replace(tzinfo=None)
                for dm in range(-90, 91, 15):
                    naive = local + dt.timedelta(minutes=dm)
                    a, b = resolve(naive, z), resolve_bruteforce(naive, z)
                    checked += 1
                    if a != b:
                        bad += 1
                        print("resolution mismatch %s %s: zoneinfo %s, brute force %s" % (name, naive, a, b))
            prev, t = off, t2
    print("resolution: %d local times around transitions checked" % checked)
    ny = zoneinfo.ZoneInfo("America/New_York")
    for naive, want in [("2026-03-08T02:30", "2026-03-08T07:30:00Z"),
                        ("2026-11-01T01:30", "2026-11-01T05:30:00Z")]:
        got = fmt_instant(resolve(parse_local_datetime(naive), ny))
        if got != want:
            bad += 1
            print("resolution %s: want %s got %s" % (naive, want, got))
    # 2. dateutil against RFC 5545's published examples (local times)
    for rule, start, want in RFC_EXAMPLES:
        _, rule_text, _ = parse_rrule(rule)
        got = [x.strftime("%Y-%m-%dT%H:%M") for x in iter_rule(rule_text, parse_local_datetime(start))]
        if got != want:
            bad += 1
            print("RFC example %s: want %s got %s" % (rule, want, got))
    print("RFC 5545 examples: %d checked" % len(RFC_EXAMPLES))
    bad += selftest_expansion()
    # 3. conflict: the event-point peak against a minute-by-minute scan of random ledgers
    import random
    rnd = random.Random(5545)
    base = dt.datetime(2026, 5, 4, 8, tzinfo=UTC)
    mins = lambda m: base + dt.timedelta(minutes=m)        # noqa: E731
    for _ in range(2000):
        bookings = []
        for i in range(rnd.randint(0, 6)):
            a = rnd.randint(0, 50)
            status = rnd.choice(STATUSES)
            bookings.append({"id": "b%d" % i, "start": mins(a), "end": mins(a + rnd.randint(1, 25)),
                             "status": status, "expires": mins(rnd.randint(-5, 5)) if status == "held" else None,
                             "resources": rnd.sample(["r:A", "r:B"], rnd.randint(1, 2))})
        a = rnd.randint(0, 50)
        start, end = mins(a), mins(a + rnd.randint(1, 25))
        capacity = {"r:A": rnd.randint(1, 3)}
        now = rnd.choice([None, mins(0)])
        got = conflicts_of(start, end, ["r:A", "r:B"], bookings, capacity, now)
        want = []
        for r in ("r:A", "r:B"):
            live = [b for b in bookings if r in b["resources"] and blocks(b, now)]
            t, full = start, False
            while t < end:
                full = full or sum(1 for b in live if b["start"] <= t < b["end"]) >= capacity.get(r, 1)
                t += dt.timedelta(minutes=1)
            if full:
                want.append({"resource": r, "with": sorted(b["id"] for b in live
                                                           if b["start"] < end and start < b["end"])})
        if got != want:
            bad += 1
            print("conflict mismatch: %r %r -> %r, scan %r" % (bookings, (start, end), got, want))
            break
    print("conflict: 2000 random ledgers checked against a minute scan")
    import dateutil
    import tzdata
    print("python-dateutil %s, tzdata %s (tzdb %s)" % (dateutil.__version__, tzdata.__version__, tzdata.IANA_VERSION))
    if tzdata.IANA_VERSION != "2025b" or dateutil.__version__ != "2.9.0.post0":
        bad += 1
        print("unexpected versions: pin python-dateutil==2.9.0.post0 and tzdata==2025.2")
    if zoneinfo.TZPATH:
        bad += 1
        print("zoneinfo.TZPATH is %r: set PYTHONTZPATH= (empty)" % (zoneinfo.TZPATH,))
    print("%d passed, %d failed" % (1 if not bad else 0, 1 if bad else 0))
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("generate", "check", "selftest"):
        print(__doc__)
        return 2
    cmd = argv[1]
    problems = environment_problems()
    if problems:
        for p in problems:
            sys.stderr.write("oracle: %s\n" % p)
        sys.stderr.write("oracle: use tools/oracle/run, which sets up the pinned venv\n")
        if "--any-version" not in argv:
            return 2
    if cmd == "generate":
        generate()
        return 0
    if cmd == "selftest":
        return selftest()
    args = [a for a in argv[2:] if not a.startswith("--")]
    return check(args or [VECTORS], judge_errors="--judge-errors" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
