#!/usr/bin/env python3
"""Independent oracle for the hcas conformance vectors of kind `recurrence`, `slots`, `conflict`
and `series` (the team's own kind, README.md).

It implements /work/shared/vectors/FORMAT.md (copied into the project as the vector contract)
straight from the text, with python-dateutil for RRULE expansion and zoneinfo (tzdata package,
pinned) for time zones.  It shares no code with the Rust engine.

Usage (run with the pinned venv and PYTHONTZPATH= so zoneinfo uses the tzdata package):

    python oracle.py generate              # write tests/vectors/<kind>/*.json from cases*.py
    python oracle.py check [DIR ...]       # recompute every vector below DIR (default tests/vectors)
    python oracle.py selftest              # internal cross-checks (resolution, RFC 5545 examples,
                                           # conflict peak against a minute scan)

check also takes --judge-errors (report where the oracle's own validation disagrees with a
hand-written expect_error; informational only) and every command refuses to run outside the
pinned environment unless given --any-version.
"""

import datetime as dt
import json
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
    "invalid_duration", "invalid_window", "invalid_consent", "invalid_request",
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

RE_INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})$")
RE_LOCAL_DT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$")
RE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
RE_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$")


def parse_instant(s):
    m = RE_INSTANT.match(s) if isinstance(s, str) else None
    if not m:
        raise OracleError("invalid_datetime", "not an RFC 3339 instant with offset: %r" % (s,))
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    off = m.group(7)
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
# RRULE syntax (RFC 5545 section 3.3.10), validated here; expansion is left to dateutil.

FREQS = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
RE_BYDAY = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
RE_INT = re.compile(r"^[+-]?\d{1,4}$")
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

    until is ("utc", aware datetime) | ("local", naive datetime) | ("date", date)."""
    if not isinstance(text, str) or not text:
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
    if "COUNT" in parts:
        if not re.match(r"^\d+$", parts["COUNT"]) or int(parts["COUNT"]) < 1:
            raise OracleError("invalid_rrule", "bad COUNT")
    if "INTERVAL" in parts:
        if not re.match(r"^\d+$", parts["INTERVAL"]) or int(parts["INTERVAL"]) < 1:
            raise OracleError("invalid_rrule", "bad INTERVAL")
    if "BYSECOND" in parts:
        _int_list("BYSECOND", parts["BYSECOND"], 0, 60, False)
    if "BYMINUTE" in parts:
        _int_list("BYMINUTE", parts["BYMINUTE"], 0, 59, False)
    if "BYHOUR" in parts:
        _int_list("BYHOUR", parts["BYHOUR"], 0, 23, False)
    if "BYMONTHDAY" in parts:
        _int_list("BYMONTHDAY", parts["BYMONTHDAY"], 1, 31, True)
        if freq == "WEEKLY":
            raise OracleError("invalid_rrule", "BYMONTHDAY with FREQ=WEEKLY")
    if "BYYEARDAY" in parts:
        _int_list("BYYEARDAY", parts["BYYEARDAY"], 1, 366, True)
        if freq in ("DAILY", "WEEKLY", "MONTHLY"):
            raise OracleError("invalid_rrule", "BYYEARDAY with FREQ=%s" % freq)
    if "BYWEEKNO" in parts:
        _int_list("BYWEEKNO", parts["BYWEEKNO"], 1, 53, True)
        if freq != "YEARLY":
            raise OracleError("invalid_rrule", "BYWEEKNO needs FREQ=YEARLY")
    if "BYMONTH" in parts:
        _int_list("BYMONTH", parts["BYMONTH"], 1, 12, False)
    if "BYSETPOS" in parts:
        _int_list("BYSETPOS", parts["BYSETPOS"], 1, 366, True)
        if not any(k.startswith("BY") and k != "BYSETPOS" for k in parts):
            raise OracleError("invalid_rrule", "BYSETPOS without another BYxxx")
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise OracleError("invalid_rrule", "bad WKST")
    if "BYDAY" in parts:
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
            elif m.group(1):
                raise OracleError("invalid_rrule", "sign without ordinal %r" % item)
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
    stripped = ";".join("%s=%s" % (k, parts[k]) for k in order if k != "UNTIL")
    return parts, "RRULE:" + stripped, until


def iter_rule(rule_text_no_until, dtstart_naive):
    """Naive local datetimes of the rule (without UNTIL), ascending, as dateutil generates them."""
    return iter(rrulestr(rule_text_no_until, dtstart=dtstart_naive))


def rule_instances(rule_text, until, dtstart, zone, exdates, stop_naive):
    """(naive local, instant) of every instance of the rule, in generation order, after UNTIL
    (all three forms) and EXDATE removal; iteration stops once the local time passes
    `stop_naive` (None: run the rule to its end, for rules bounded by COUNT or UNTIL)."""
    for local in iter_rule(rule_text, dtstart):
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
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise OracleError("invalid_request", "bad limit")

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


def _minutes_field(q, name, default, positive):
    v = q.get(name, default)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise OracleError("invalid_request", "%s must be an integer number of minutes" % name)
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
    horizon = _minutes_field(q, "horizon", None, True)
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
        for local in iter_rule(rule_text, dt.datetime(day0.year, day0.month, day0.day)):
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
    if not isinstance(sid, str) or not sid:
        raise OracleError("invalid_request", "series id must be a non-empty string")
    parts, rule_text, until = parse_rrule(sr["rrule"])
    zone = get_zone(sr["timezone"])
    dtstart = parse_local_datetime(sr["dtstart"])
    duration = sr["duration"]
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        raise OracleError("invalid_request", "duration must be a number of minutes")
    if not isinstance(duration, int) or duration <= 0:
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
            accepted.append({"id": "%s@%s" % (sid, _local_id(local)), "start": s, "end": e,
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
            passed += 1
            continue
        try:
            got = compute(kind, v["input"])
        except OracleError as e:
            print("%s: expected %s, got error %s (%s)" % (vid, json.dumps(v["expect"]), e.code, e))
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
        got = [x.strftime("%Y-%m-%dT%H:%M") for x in rrulestr(rule, dtstart=parse_local_datetime(start))]
        if got != want:
            bad += 1
            print("RFC example %s: want %s got %s" % (rule, want, got))
    print("RFC 5545 examples: %d checked" % len(RFC_EXAMPLES))
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
