"""Inputs of the conformance vectors of kind `conflict` (FORMAT.md) and `series` (the team's kind).

`python oracle.py generate` turns each case into tests/vectors/<kind>/<name>.json (see cases.py).
A case with `expect_error` is hand-written; every other case gets its `expect` from the oracle.
Key order inside the inputs follows FORMAT.md's example so the files read like it.
"""

DAY = "2026-05-04"          # a Monday
NOW = "2026-05-04T08:00:00Z"


def T(hhmm, day=DAY, off="Z"):
    """Instant on `day` at HH:MM[:SS] (UTC unless another offset is given)."""
    if len(hhmm) == 5:
        hhmm += ":00"
    return "%sT%s%s" % (day, hhmm, off)


def bk(bid, start, end, resources, status="booked", hold_expires=None, **extra):
    b = {"id": bid, "start": start if "T" in start else T(start), "end": end if "T" in end else T(end),
         "status": status}
    if hold_expires is not None:
        b["hold_expires"] = hold_expires
    b["resources"] = resources
    b.update(extra)
    return b


def req(start, end, resources, **extra):
    r = {"start": start if "T" in start else T(start), "end": end if "T" in end else T(end),
         "resources": resources}
    r.update(extra)
    return r


def con(name, description, bookings, request, now=NOW, capacity=None, expect_error=None, **extra):
    inp = {}
    if now is not None:
        inp["now"] = now
    if capacity is not None:
        inp["capacity"] = capacity
    if bookings is not None:
        inp["bookings"] = bookings
    if request is not None:
        inp["request"] = request
    inp.update(extra)
    case = {"name": name, "description": description, "input": inp}
    if expect_error:
        case["expect_error"] = expect_error
    return case


P1, P2, X1, X2, R1, R2, G1 = ("provider:P1", "provider:P2", "patient:X1", "patient:X2", "room:R1",
                              "room:R2", "room:G1")

# =============================================================================================
# conflict


def status_case(status, blocking):
    verdict = "blocks" if blocking else "never blocks"
    return con("status-%s" % status,
               "A booking with status `%s` overlapping the request on its provider %s." % (status, verdict),
               [bk("a1", "09:00", "09:30", [P1], status=status)],
               req("09:15", "09:45", [P1]))


CONFLICT = [status_case(s, True) for s in ("pending", "booked", "arrived", "checked-in", "fulfilled")]
CONFLICT += [status_case(s, False) for s in ("proposed", "cancelled", "noshow", "entered-in-error", "waitlist")]

CONFLICT += [
    con("all-eleven-statuses",
        "Eleven bookings on one provider, one per status, all overlapping the request: the five blocking statuses and the live hold are listed, the five never-blocking ones are not.",
        [bk("s01-pending", "09:00", "10:00", [P1], status="pending"),
         bk("s02-booked", "09:00", "10:00", [P1], status="booked"),
         bk("s03-arrived", "09:00", "10:00", [P1], status="arrived"),
         bk("s04-checked-in", "09:00", "10:00", [P1], status="checked-in"),
         bk("s05-fulfilled", "09:00", "10:00", [P1], status="fulfilled"),
         bk("s06-held", "09:00", "10:00", [P1], status="held", hold_expires=T("08:05")),
         bk("s07-proposed", "09:00", "10:00", [P1], status="proposed"),
         bk("s08-cancelled", "09:00", "10:00", [P1], status="cancelled"),
         bk("s09-noshow", "09:00", "10:00", [P1], status="noshow"),
         bk("s10-entered-in-error", "09:00", "10:00", [P1], status="entered-in-error"),
         bk("s11-waitlist", "09:00", "10:00", [P1], status="waitlist")],
        req("09:30", "10:30", [P1])),
    con("format-example",
        "The example of FORMAT.md: the patient is booked elsewhere (a1) and a live hold (h1) blocks provider P2; room R2 (capacity 2) is not requested.",
        [bk("a1", "09:00", "09:30", [P1, X1, R2]),
         bk("h1", "09:15", "09:45", [P2], status="held", hold_expires=T("08:10"))],
        req("09:20", "09:50", [P2, X1]), capacity={R2: 2}),
    # ---- holds ---------------------------------------------------------------------------------
    con("hold-live",
        "A hold expiring at 08:10 is live at now 08:00 and blocks its provider.",
        [bk("h1", "09:00", "09:30", [P1], status="held", hold_expires=T("08:10"))],
        req("09:00", "09:30", [P1])),
    con("hold-expired",
        "A hold that expired at 07:59 (before now 08:00) no longer blocks.",
        [bk("h1", "09:00", "09:30", [P1], status="held", hold_expires=T("07:59"))],
        req("09:00", "09:30", [P1])),
    con("hold-expires-equal-to-now",
        "A hold whose hold_expires equals now is expired (it must be strictly after now) and does not block.",
        [bk("h1", "09:00", "09:30", [P1], status="held", hold_expires=NOW)],
        req("09:00", "09:30", [P1])),
    con("hold-expires-one-second-after-now",
        "A hold expiring one second after now is still live and blocks.",
        [bk("h1", "09:00", "09:30", [P1], status="held", hold_expires=T("08:00:01"))],
        req("09:00", "09:30", [P1])),
    con("hold-without-now-is-live",
        "Without `now` every hold counts as live, even one whose hold_expires is years in the past.",
        [bk("h1", "09:00", "09:30", [P1], status="held", hold_expires="2020-01-01T00:00:00Z")],
        req("09:00", "09:30", [P1]), now=None),
    con("hold-expiry-compared-as-instant",
        "now is 04:00-04:00 (08:00Z) and hold_expires is 10:00+02:00 (also 08:00Z): equal instants, so the hold is expired although its wall time is later.",
        [bk("h1", "09:00", "09:30", [P1], status="held", hold_expires="2026-05-04T10:00:00+02:00")],
        req("09:00", "09:30", [P1]), now="2026-05-04T04:00:00-04:00"),
    con("hold-live-and-expired-mixed",
        "Two holds on one provider: only the live one is listed.",
        [bk("h-live", "09:00", "09:30", [P1], status="held", hold_expires=T("09:00")),
         bk("h-old", "09:10", "09:40", [P1], status="held", hold_expires=T("07:00"))],
        req("09:00", "10:00", [P1])),
    # ---- touching and overlap ----------------------------------------------------------------
    con("touching-before",
        "A booking ending exactly when the request starts does not overlap (half-open intervals).",
        [bk("a1", "09:00", "09:30", [P1])],
        req("09:30", "10:00", [P1])),
    con("touching-after",
        "A booking starting exactly when the request ends does not overlap.",
        [bk("a1", "10:00", "10:30", [P1])],
        req("09:30", "10:00", [P1])),
    con("touching-on-both-sides",
        "The request fits exactly into the gap between two bookings.",
        [bk("a1", "09:00", "09:30", [P1]), bk("a2", "10:00", "10:30", [P1])],
        req("09:30", "10:00", [P1])),
    con("one-second-overlap",
        "A booking ending one second after the request starts overlaps it.",
        [bk("a1", "09:00", "09:30:01", [P1])],
        req("09:30", "10:00", [P1])),
    con("request-inside-booking",
        "A request lying entirely inside a booking conflicts with it.",
        [bk("a1", "09:00", "11:00", [P1])],
        req("09:30", "10:00", [P1])),
    con("request-covers-bookings",
        "A long request covering two bookings conflicts with both; a booking after the request is not listed.",
        [bk("a1", "09:00", "09:30", [P1]), bk("a2", "10:00", "10:30", [P1]), bk("a3", "12:00", "13:00", [P1])],
        req("08:00", "12:00", [P1])),
    con("request-covers-bookings-capacity-2",
        "The same request in a room of capacity 2: the two bookings never overlap each other, so the room is never full.",
        [bk("a1", "09:00", "09:30", [R1]), bk("a2", "10:00", "10:30", [R1]), bk("a3", "12:00", "13:00", [R1])],
        req("08:00", "12:00", [R1]), capacity={R1: 2}),
    con("instants-with-offsets",
        "A booking given in +02:00 (11:00-11:30 = 09:00Z-09:30Z) and a request given in -04:00 (05:15-05:45 = 09:15Z-09:45Z) overlap.",
        [bk("a1", "2026-05-04T11:00:00+02:00", "2026-05-04T11:30:00+02:00", [P1])],
        req("2026-05-04T05:15:00-04:00", "2026-05-04T05:45:00-04:00", [P1])),
    con("no-bookings",
        "An empty ledger never conflicts.",
        [], req("09:00", "10:00", [P1, X1, R1])),
    con("ids-sorted-as-strings",
        "The ids of the blocking bookings are sorted as strings: a9 < b10 < b2.",
        [bk("b2", "09:00", "09:20", [P1]), bk("b10", "09:20", "09:40", [P1]), bk("a9", "09:40", "10:00", [P1])],
        req("09:00", "10:00", [P1])),
    # ---- capacity ------------------------------------------------------------------------------
    con("capacity-2-second-fits",
        "A room of capacity 2 with one overlapping session still takes the request.",
        [bk("g1", "09:00", "10:00", [G1])],
        req("09:30", "10:30", [G1]), capacity={G1: 2}),
    con("capacity-2-full",
        "A room of capacity 2 with two sessions overlapping each other inside the request is full.",
        [bk("g1", "09:00", "10:00", [G1]), bk("g2", "09:30", "10:30", [G1])],
        req("09:45", "10:15", [G1]), capacity={G1: 2}),
    con("capacity-2-back-to-back",
        "Two back-to-back sessions (touching) in a capacity-2 room never run at the same time: the request spanning both fits.",
        [bk("g1", "09:00", "09:30", [G1]), bk("g2", "09:30", "10:00", [G1])],
        req("09:00", "10:00", [G1]), capacity={G1: 2}),
    con("capacity-1-back-to-back",
        "The same two back-to-back sessions in a room of default capacity 1: the request conflicts with both.",
        [bk("g1", "09:00", "09:30", [G1]), bk("g2", "09:30", "10:00", [G1])],
        req("09:00", "10:00", [G1])),
    con("capacity-3-staggered-below-peak",
        "Capacity 3, three sessions overlapping the request but at most two at once (09:20-09:40 and 09:45-10:00): ok.",
        [bk("g1", "09:00", "09:40", [G1]), bk("g2", "09:20", "10:00", [G1]), bk("g3", "09:45", "10:30", [G1])],
        req("09:00", "10:30", [G1]), capacity={G1: 3}),
    con("capacity-3-staggered-at-peak",
        "Capacity 3, three staggered sessions that all run at once from 09:45 to 09:50: conflict with all three.",
        [bk("g1", "09:00", "09:50", [G1]), bk("g2", "09:20", "10:00", [G1]), bk("g3", "09:45", "10:30", [G1])],
        req("09:00", "10:30", [G1]), capacity={G1: 3}),
    con("capacity-2-peak-before-request",
        "Capacity 2: two sessions overlap 08:30-09:10, but the request starts at 09:10, when only one is left: ok.",
        [bk("g1", "08:00", "09:30", [G1]), bk("g2", "08:30", "09:10", [G1])],
        req("09:10", "10:00", [G1]), capacity={G1: 2}),
    con("capacity-2-peak-one-second-inside",
        "Capacity 2: the second session ends one second after the request starts, so both run at 09:10:00: conflict.",
        [bk("g1", "08:00", "09:30", [G1]), bk("g2", "08:30", "09:10:01", [G1])],
        req("09:10", "10:00", [G1]), capacity={G1: 2}),
    con("capacity-2-lists-every-overlapping-booking",
        "Capacity 2, full from 09:30 to 10:00: the conflict lists every blocking booking overlapping the request, including g3 which is not part of the peak.",
        [bk("g1", "09:00", "10:00", [G1]), bk("g2", "09:30", "10:00", [G1]), bk("g3", "10:30", "11:00", [G1])],
        req("09:00", "11:00", [G1]), capacity={G1: 2}),
    con("capacity-2-chain-of-five",
        "Five sessions each overlapping the next (at most two at once) fill a capacity-2 room; all five are listed.",
        [bk("c1", "09:00", "09:40", [G1]), bk("c2", "09:30", "10:10", [G1]), bk("c3", "10:00", "10:40", [G1]),
         bk("c4", "10:30", "11:10", [G1]), bk("c5", "11:00", "11:40", [G1])],
        req("09:00", "12:00", [G1]), capacity={G1: 2}),
    con("capacity-3-chain-of-five",
        "The same five chained sessions in a capacity-3 room: never three at once, ok.",
        [bk("c1", "09:00", "09:40", [G1]), bk("c2", "09:30", "10:10", [G1]), bk("c3", "10:00", "10:40", [G1]),
         bk("c4", "10:30", "11:10", [G1]), bk("c5", "11:00", "11:40", [G1])],
        req("09:00", "12:00", [G1]), capacity={G1: 3}),
    con("capacity-2-cancelled-does-not-count",
        "Capacity 2 with a booked and a cancelled session at the same time: only one counts, ok.",
        [bk("g1", "09:00", "10:00", [G1]), bk("g2", "09:00", "10:00", [G1], status="cancelled")],
        req("09:00", "10:00", [G1]), capacity={G1: 2}),
    con("capacity-2-live-hold-counts",
        "Capacity 2 with a booked session and a live hold at the same time: full, both listed.",
        [bk("g1", "09:00", "10:00", [G1]), bk("h1", "09:00", "10:00", [G1], status="held", hold_expires=T("08:30"))],
        req("09:00", "10:00", [G1]), capacity={G1: 2}),
    con("capacity-for-another-resource",
        "Capacity 3 is given for room R1 only; room R2 keeps the default capacity 1 and one booking fills it.",
        [bk("a1", "09:00", "10:00", [R2])],
        req("09:00", "10:00", [R2]), capacity={R1: 3}),
    con("capacity-1-explicit",
        "An explicit capacity of 1 behaves like the default.",
        [bk("a1", "09:00", "10:00", [R1])],
        req("09:30", "10:30", [R1]), capacity={R1: 1}),
    # ---- several resources ---------------------------------------------------------------------
    con("several-resources-sorted",
        "Conflicts on room, provider and patient at once come out sorted by resource name; the device is free.",
        [bk("r1", "09:00", "10:00", [R1]), bk("p1", "09:30", "10:30", [P1]), bk("x1", "08:30", "09:15", [X1]),
         bk("d1", "10:00", "11:00", ["device:D1"])],
        req("09:00", "10:00", [R1, "device:D1", P1, X1])),
    con("same-booking-blocks-several-resources",
        "One booking using provider, patient and room blocks all three resources of the request.",
        [bk("a1", "09:00", "09:30", [P1, X1, R1])],
        req("09:15", "09:45", [R1, X1, P1])),
    con("duplicate-resources-in-request",
        "A resource named twice in the request is checked, and reported, once.",
        [bk("a1", "09:00", "09:30", [P1])],
        req("09:15", "09:45", [P1, P1, X1, P1])),
    con("resource-absent-from-ledger",
        "A resource no booking uses is free; bookings of other resources at the same time do not matter.",
        [bk("a1", "09:00", "10:00", [P1, X1]), bk("a2", "09:00", "10:00", [R1])],
        req("09:00", "10:00", [P2, X2, R2])),
    con("room-closure-30-days",
        "A 30-day room closure (20 April to 20 May) that started long before the request blocks it; the provider is free.",
        [bk("closure-R1", "2026-04-20T00:00:00Z", "2026-05-20T00:00:00Z", [R1]),
         bk("a1", "2026-05-04T07:00:00Z", "2026-05-04T09:00:00Z", [P1])],
        req("09:00", "09:30", [P1, R1])),
    con("room-closure-in-shared-room",
        "A closure booking in a capacity-2 room uses one place only: with one more session the room is full.",
        [bk("closure-G1", "2026-04-20T00:00:00Z", "2026-05-20T00:00:00Z", [G1]),
         bk("g1", "09:20", "09:40", [G1])],
        req("09:00", "10:00", [G1]), capacity={G1: 2}),
    con("capacity-per-resource",
        "One booking uses a shared room (capacity 2) and the provider: the request conflicts on the provider only.",
        [bk("a1", "09:00", "10:00", [P1, G1])],
        req("09:30", "10:30", [G1, P1]), capacity={G1: 2}),
]

# ---- conflict errors (hand-written) ------------------------------------------------------------
OK_REQ = req("09:00", "10:00", [P1])


def con_err(name, description, code, bookings=None, request=OK_REQ, now=NOW, capacity=None, **extra):
    return con(name, description, bookings if bookings is not None else [], request, now=now,
               capacity=capacity, expect_error=code, **extra)


CONFLICT += [
    con_err("err-unknown-status", "`confirmed` is not one of the eleven booking statuses.", "invalid_request",
            [bk("a1", "09:00", "10:00", [P1], status="confirmed")]),
    con_err("err-status-wrong-case", "Statuses are exact: `Booked` is not `booked`.", "invalid_request",
            [bk("a1", "09:00", "10:00", [P1], status="Booked")]),
    con_err("err-status-no-show-hyphen", "The status is `noshow`; `no-show` is not a status.", "invalid_request",
            [bk("a1", "09:00", "10:00", [P1], status="no-show")]),
    con_err("err-held-without-hold-expires", "A held booking must say when its hold expires.", "invalid_request",
            [bk("h1", "09:00", "10:00", [P1], status="held")]),
    con_err("err-duplicate-booking-id", "Two bookings with the same id.", "invalid_request",
            [bk("a1", "09:00", "10:00", [P1]), bk("a1", "11:00", "12:00", [P2])]),
    con_err("err-booking-missing-status", "A booking without a status.", "invalid_request",
            [{"id": "a1", "start": T("09:00"), "end": T("10:00"), "resources": [P1]}]),
    con_err("err-booking-end-equals-start", "A booking whose end equals its start.", "invalid_interval",
            [bk("a1", "09:00", "09:00", [P1])]),
    con_err("err-booking-end-before-start", "A booking whose end is before its start.", "invalid_interval",
            [bk("a1", "10:00", "09:00", [P1])]),
    con_err("err-request-end-equals-start", "A request whose end equals its start.", "invalid_interval",
            request=req("09:00", "09:00", [P1])),
    con_err("err-request-end-before-start", "A request whose end is before its start.", "invalid_interval",
            request=req("10:00", "09:00", [P1])),
    con_err("err-request-no-resources", "A request must name at least one resource.", "invalid_request",
            request=req("09:00", "10:00", [])),
    con_err("err-request-too-many-resources",
            "A request may name at most 64 resources (MAX_RESOURCES, docs/limits.md); 65 is refused.",
            "limit_exceeded", request=req("09:00", "10:00", ["room:R%d" % i for i in range(65)])),
    con_err("err-booking-id-outside-id-rule",
            "Ids follow the FHIR id rule [A-Za-z0-9.-]{1,64}: `a_1` (underscore) is refused.",
            "invalid_request", [bk("a_1", "09:00", "10:00", [P1])]),
    con_err("err-resource-with-nul",
            "A resource name with a NUL byte is refused (resource names are kind:id).",
            "invalid_request", request=req("09:00", "10:00", ["provider:P\u00001"])),
    con_err("err-missing-request", "A conflict input without a request.", "invalid_request", request=None),
    con_err("err-unknown-input-field", "A misspelt top-level field (`bookngs`) is rejected, not ignored.",
            "invalid_request", bookngs=[]),
    con_err("err-unknown-booking-field", "An unknown booking field (`notes`) is rejected.", "invalid_request",
            [bk("a1", "09:00", "10:00", [P1], notes="x")]),
    con_err("err-unknown-request-field", "An unknown request field (`duration`) is rejected.", "invalid_request",
            request=req("09:00", "10:00", [P1], duration=60)),
    con_err("err-capacity-zero", "A capacity of 0 is not allowed (capacities are integers >= 1).", "invalid_request",
            capacity={P1: 0}),
    con_err("err-capacity-negative", "A negative capacity.", "invalid_request", capacity={R1: -2}),
    con_err("err-capacity-fraction", "A capacity of 1.5 is not an integer.", "invalid_request", capacity={R1: 1.5}),
    con_err("err-capacity-as-text", "A capacity given as text.", "invalid_request", capacity={R1: "2"}),
    con_err("err-booking-start-without-offset", "A booking start without an offset is not an instant.",
            "invalid_datetime", [bk("a1", "2026-05-04T09:00:00", "2026-05-04T10:00:00Z", [P1])]),
    con_err("err-request-impossible-date", "A request on 30 February.", "invalid_datetime",
            request=req("2026-02-30T09:00:00Z", "2026-02-30T10:00:00Z", [P1])),
    con_err("err-now-malformed", "`now` must be an RFC 3339 instant.", "invalid_datetime", now="today"),
    con_err("err-hold-expires-malformed", "hold_expires without an offset.", "invalid_datetime",
            [bk("h1", "09:00", "10:00", [P1], status="held", hold_expires="2026-05-04T08:10:00")]),
]

# =============================================================================================
# series

LON, NY, SYD = "Europe/London", "America/New_York", "Australia/Sydney"


def ser(rrule, dtstart, timezone, duration, resources, sid=None, exdates=None, until=None, **extra):
    s = {}
    if sid is not None:
        s["id"] = sid
    s.update({"rrule": rrule, "dtstart": dtstart, "timezone": timezone, "duration": duration,
              "resources": resources})
    if exdates is not None:
        s["exdates"] = exdates
    if until is not None:
        s["until"] = until
    s.update(extra)
    return s


def srs(name, description, series, bookings=None, now=None, capacity=None, policy=None,
        expect_error=None, **extra):
    inp = {}
    if now is not None:
        inp["now"] = now
    if capacity is not None:
        inp["capacity"] = capacity
    if bookings is not None:
        inp["bookings"] = bookings
    if series is not None:
        inp["series"] = series
    if policy is not None:
        inp["policy"] = policy
    inp.update(extra)
    case = {"name": name, "description": description, "input": inp}
    if expect_error:
        case["expect_error"] = expect_error
    return case


WEEKLY4 = ser("FREQ=WEEKLY;BYDAY=MO;COUNT=4", "2026-05-04T09:00", LON, 30, [P1, X1])
# London is +01 in May: the occurrences are 08:00Z on 4, 11, 18 and 25 May.
BLOCK_18 = bk("b1", "2026-05-18T08:15:00Z", "2026-05-18T08:45:00Z", [P1, X2])

SERIES = [
    srs("weekly-count-all-free",
        "Four weekly Monday 09:00 London sessions (08:00Z in summer time) with an empty ledger: all booked.",
        WEEKLY4),
    srs("weekly-conflict-all-or-nothing",
        "The provider is booked on 18 May: that occurrence conflicts and, under the default all_or_nothing policy, nothing is booked.",
        WEEKLY4, bookings=[BLOCK_18]),
    srs("weekly-conflict-all-or-nothing-explicit",
        "The same with policy all_or_nothing given explicitly.",
        WEEKLY4, bookings=[BLOCK_18], policy="all_or_nothing"),
    srs("weekly-conflict-book-free",
        "The same under book_free: the three free occurrences are booked, 18 May is not.",
        WEEKLY4, bookings=[BLOCK_18], policy="book_free"),
    srs("exdate-skips-conflicting-occurrence",
        "Excluding 18 May with an EXDATE removes the conflicting occurrence (without a replacement for COUNT): the other three are booked.",
        ser("FREQ=WEEKLY;BYDAY=MO;COUNT=4", "2026-05-04T09:00", LON, 30, [P1, X1], exdates=["2026-05-18T09:00"]),
        bookings=[BLOCK_18]),
    srs("patient-busy-elsewhere",
        "The patient has an appointment with another provider during the second occurrence: conflict on the patient only.",
        WEEKLY4, bookings=[bk("other", "2026-05-11T07:45:00Z", "2026-05-11T08:15:00Z", [P2, X1])],
        policy="book_free"),
    srs("conflict-on-two-resources",
        "One booking uses both the provider and the patient of the third occurrence: two conflicts, sorted by resource.",
        WEEKLY4, bookings=[bk("dup", "2026-05-18T08:00:00Z", "2026-05-18T08:30:00Z", [X1, P1])],
        policy="book_free"),
    srs("touching-bookings-do-not-block",
        "Bookings ending exactly at an occurrence's start and starting exactly at its end do not block it.",
        WEEKLY4, bookings=[bk("before", "2026-05-11T07:30:00Z", "2026-05-11T08:00:00Z", [P1]),
                           bk("after", "2026-05-11T08:30:00Z", "2026-05-11T09:00:00Z", [P1, X1])]),
    srs("non-blocking-statuses-ignored",
        "Cancelled, proposed, noshow, entered-in-error and waitlist bookings on the occurrences never block.",
        WEEKLY4, bookings=[bk("c", "2026-05-04T08:00:00Z", "2026-05-04T08:30:00Z", [P1], status="cancelled"),
                           bk("p", "2026-05-11T08:00:00Z", "2026-05-11T08:30:00Z", [P1], status="proposed"),
                           bk("n", "2026-05-18T08:00:00Z", "2026-05-18T08:30:00Z", [X1], status="noshow"),
                           bk("e", "2026-05-25T08:00:00Z", "2026-05-25T08:30:00Z", [P1], status="entered-in-error"),
                           bk("w", "2026-05-25T08:00:00Z", "2026-05-25T08:30:00Z", [X1], status="waitlist")]),
    srs("live-hold-blocks-expired-does-not",
        "now is 3 May 12:00Z: a hold expiring on 3 May 12:05Z blocks the second occurrence, a hold that expired at 11:00Z does not block the third.",
        WEEKLY4, now="2026-05-03T12:00:00Z", policy="book_free",
        bookings=[bk("h-live", "2026-05-11T08:00:00Z", "2026-05-11T08:30:00Z", [P1], status="held",
                     hold_expires="2026-05-03T12:05:00Z"),
                  bk("h-old", "2026-05-18T08:00:00Z", "2026-05-18T08:30:00Z", [P1], status="held",
                     hold_expires="2026-05-03T11:00:00Z")]),
    srs("hold-without-now-is-live",
        "Without `now` every hold is live: the hold on the third occurrence blocks it.",
        WEEKLY4, bookings=[bk("h1", "2026-05-18T08:00:00Z", "2026-05-18T08:30:00Z", [P1], status="held",
                              hold_expires="2020-01-01T00:00:00Z")]),
    srs("group-room-capacity-2",
        "A weekly group session in a capacity-2 room: one other session (4 May) fits, two at once (11 May) fill the room, two one after the other (18 May) do not.",
        ser("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2026-05-04T14:00", LON, 60, [G1]),
        capacity={G1: 2}, policy="book_free",
        bookings=[bk("g1", "2026-05-04T13:00:00Z", "2026-05-04T14:00:00Z", [G1]),
                  bk("g2", "2026-05-11T13:00:00Z", "2026-05-11T14:00:00Z", [G1]),
                  bk("g3", "2026-05-11T13:30:00Z", "2026-05-11T13:45:00Z", [G1]),
                  bk("g4", "2026-05-18T13:00:00Z", "2026-05-18T13:30:00Z", [G1]),
                  bk("g5", "2026-05-18T13:30:00Z", "2026-05-18T14:00:00Z", [G1])]),
    srs("room-closure-blocks-two",
        "A 30-day closure of the room from 10 May blocks the second and third occurrences; under book_free only the first is booked.",
        ser("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2026-05-04T09:00", LON, 45, [P1, R1]),
        bookings=[bk("closure", "2026-05-10T00:00:00Z", "2026-06-09T00:00:00Z", [R1])], policy="book_free"),
    srs("book-free-nothing-free",
        "Every occurrence falls into a room closure: under book_free nothing is booked and the top-level booked is false.",
        ser("FREQ=DAILY;COUNT=3", "2026-05-11T09:00", LON, 45, [R1]),
        bookings=[bk("closure", "2026-05-10T00:00:00Z", "2026-06-09T00:00:00Z", [R1])], policy="book_free"),
    # ---- recurrence forms ------------------------------------------------------------------------
    srs("daily-until-field-exclusive",
        "An open-ended daily rule bounded by `until` 8 May 08:00Z: `until` is exclusive, so the 08:00Z occurrence of 8 May is not part of the series.",
        ser("FREQ=DAILY", "2026-05-04T09:00", LON, 30, [P1], until="2026-05-08T08:00:00Z")),
    srs("daily-rrule-until-inclusive",
        "The same series bounded by the rule's UNTIL=20260508T080000Z instead: RRULE UNTIL is inclusive, so 8 May is included.",
        ser("FREQ=DAILY;UNTIL=20260508T080000Z", "2026-05-04T09:00", LON, 30, [P1])),
    srs("rrule-until-local",
        "A local RRULE UNTIL compares as wall time, inclusive: weekly until 25 May 09:00 local includes 25 May.",
        ser("FREQ=WEEKLY;UNTIL=20260525T090000", "2026-05-04T09:00", LON, 30, [P1])),
    srs("rrule-until-date",
        "A DATE-only RRULE UNTIL covers that whole local day.",
        ser("FREQ=DAILY;UNTIL=20260506", "2026-05-04T17:30", NY, 30, [P1])),
    srs("count-and-until-field",
        "COUNT=10 and `until` both apply: `until` 7 May 00:00Z leaves three occurrences.",
        ser("FREQ=DAILY;COUNT=10", "2026-05-04T09:00", LON, 30, [P1], until="2026-05-07T00:00:00Z")),
    srs("until-field-with-offset",
        "`until` is an instant and may carry an offset: 11:00+02:00 on 6 May is 09:00Z, after that day's 08:00Z occurrence.",
        ser("FREQ=DAILY", "2026-05-04T09:00", LON, 30, [P1], until="2026-05-06T11:00:00+02:00")),
    srs("monthly-bysetpos-last-weekday",
        "Monthly on the last weekday (BYSETPOS=-1), three occurrences, New York (EDT): 29 May, 30 June, 31 July.",
        ser("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3", "2026-05-29T16:00", NY, 60, [P1, R1])),
    srs("monthly-count-across-dst",
        "Monthly on the 15th at 10:00 New York, January to June: 15:00Z in winter, 14:00Z from 15 March.",
        ser("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6", "2026-01-15T10:00", NY, 30, [P1])),
    srs("dtstart-not-matching-rule",
        "A Monday dtstart with a Tuesday-only rule: the series starts on the first Tuesday (as kind recurrence).",
        ser("FREQ=WEEKLY;BYDAY=TU;COUNT=2", "2026-05-04T09:00", LON, 30, [P1])),
    srs("exdate-does-not-replenish-count",
        "COUNT=4 with one EXDATE gives three occurrences.",
        ser("FREQ=DAILY;COUNT=4", "2026-05-04T09:00", LON, 30, [P1], exdates=["2026-05-05T09:00"])),
    srs("duplicate-resources-in-series",
        "A resource named twice in the series is used, and reported, once.",
        ser("FREQ=DAILY;COUNT=2", "2026-05-04T09:00", LON, 30, [P1, P1]),
        bookings=[bk("a1", "2026-05-05T08:00:00Z", "2026-05-05T08:10:00Z", [P1])], policy="book_free"),
    # ---- DST -------------------------------------------------------------------------------------
    srs("london-spring-forward-shifts-utc",
        "Weekly Monday 09:00 London across 29 March: 09:00Z, then 08:00Z; a booking at 09:00Z on 30 March does not block the shifted occurrence.",
        ser("FREQ=WEEKLY;BYDAY=MO;COUNT=4", "2026-03-16T09:00", LON, 30, [P1]),
        bookings=[bk("a1", "2026-03-30T09:00:00Z", "2026-03-30T09:30:00Z", [P1])]),
    srs("london-fall-back-shifts-utc",
        "Weekly Monday 09:00 London across 25 October: 08:00Z, then 09:00Z; a booking at 08:00Z on 26 October does not block.",
        ser("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2026-10-19T09:00", LON, 30, [P1]),
        bookings=[bk("a1", "2026-10-26T08:00:00Z", "2026-10-26T08:30:00Z", [P1])]),
    srs("new-york-spring-forward-conflict",
        "Weekly Thursday 09:00 New York across 8 March: 14:00Z, then 13:00Z; a booking at 13:00Z on 12 March blocks the shifted occurrence.",
        ser("FREQ=WEEKLY;BYDAY=TH;COUNT=3", "2026-03-05T09:00", NY, 30, [P1]),
        bookings=[bk("a1", "2026-03-12T13:00:00Z", "2026-03-12T13:30:00Z", [P1])], policy="book_free"),
    srs("sydney-fall-back-conflict",
        "Weekly Wednesday 10:00 Sydney across 5 April: 23:00Z the day before while +11, then 00:00Z while +10; a booking 23:30Z-00:15Z on 7/8 April blocks only the shifted third occurrence.",
        ser("FREQ=WEEKLY;BYDAY=WE;COUNT=3", "2026-03-25T10:00", SYD, 30, [P1]),
        bookings=[bk("a1", "2026-04-07T23:30:00Z", "2026-04-08T00:15:00Z", [P1])], policy="book_free"),
    srs("sydney-spring-forward",
        "Daily 02:30 Sydney: on 4 October 02:30 does not exist and moves to 03:30 +11 (16:30Z on 3 October), its recurrence_id keeps 02:30.",
        ser("FREQ=DAILY;COUNT=3", "2026-10-03T02:30", SYD, 30, [P1])),
    srs("new-york-gap-recurrence-id",
        "A 24-hour daily device booking at 02:30 New York: 8 March 02:30 moves to 03:30 EDT (07:30Z) and only touches the 7 March one; 9 March (06:30Z) overlaps it and the conflict names it S.20260308T023000.",
        ser("FREQ=DAILY;COUNT=3", "2026-03-07T02:30", NY, 1440, ["device:holter-1"]), policy="book_free"),
    srs("new-york-fall-back-fold",
        "Daily 01:30 New York across 1 November: that day's 01:30 is the earlier instant (EDT, 05:30Z).",
        ser("FREQ=DAILY;COUNT=3", "2026-10-31T01:30", NY, 30, [P1])),
    # ---- the series against itself ----------------------------------------------------------------
    srs("self-overlap-hourly",
        "Hourly, 3 occurrences of 90 minutes: 10:00 London is 09:00Z; the second overlaps the first (booked as S.20260504T100000, its local start) and conflicts; the third overlaps only the second, which was not ok, so it is ok; all_or_nothing books nothing.",
        ser("FREQ=HOURLY;COUNT=3", "2026-05-04T10:00", LON, 90, [P1])),
    srs("self-overlap-hourly-book-free",
        "The same self-overlapping series under book_free: the first and third occurrences are booked.",
        ser("FREQ=HOURLY;COUNT=3", "2026-05-04T10:00", LON, 90, [P1]), policy="book_free"),
    srs("self-overlap-custom-id",
        "A series with its own id: the second occurrence conflicts with physio-7.20260504T100000.",
        ser("FREQ=HOURLY;COUNT=2", "2026-05-04T10:00", LON, 75, [P1], sid="physio-7"), policy="book_free"),
    srs("self-overlap-capacity-2",
        "Hourly 150-minute sessions in a capacity-2 room: the second shares the room with the first, the third would be the third at 11:00Z and conflicts with both.",
        ser("FREQ=HOURLY;COUNT=3", "2026-05-04T10:00", LON, 150, [G1]), capacity={G1: 2}, policy="book_free"),
    srs("self-overlap-with-ledger",
        "A ledger booking and the series' own first occurrence together fill a capacity-2 room for the second occurrence.",
        ser("FREQ=HOURLY;COUNT=2", "2026-05-04T10:00", LON, 90, [G1]), capacity={G1: 2}, policy="book_free",
        bookings=[bk("g1", "2026-05-04T10:00:00Z", "2026-05-04T10:30:00Z", [G1])]),
    srs("max-1000-occurrences",
        "Exactly 1000 daily occurrences are allowed.",
        ser("FREQ=DAILY;COUNT=1000", "2026-01-01T09:00", "UTC", 15, [P1])),
]

# ---- series errors (hand-written) --------------------------------------------------------------
OK_SER = ser("FREQ=WEEKLY;COUNT=2", "2026-05-04T09:00", LON, 30, [P1])


_DEFAULT = object()


def srs_err(name, description, code, series=_DEFAULT, **kw):
    return srs(name, description, OK_SER if series is _DEFAULT else series, expect_error=code, **kw)


def with_ser(**changes):
    s = dict(OK_SER)
    s.update(changes)
    return s


SERIES += [
    srs_err("err-open-ended-without-until", "A rule without COUNT or UNTIL needs `until`.", "invalid_request",
            with_ser(rrule="FREQ=WEEKLY")),
    srs_err("err-bad-rrule", "FREQ=FORTNIGHTLY is not an RRULE frequency.", "invalid_rrule",
            with_ser(rrule="FREQ=FORTNIGHTLY;COUNT=2")),
    srs_err("err-count-and-until-in-rule", "COUNT and UNTIL together are invalid (RFC 5545).", "invalid_rrule",
            with_ser(rrule="FREQ=DAILY;COUNT=2;UNTIL=20260510T000000Z")),
    srs_err("err-unknown-timezone", "Mars/Olympus_Mons is not an IANA time zone.", "invalid_timezone",
            with_ser(timezone="Mars/Olympus_Mons")),
    srs_err("err-duration-zero", "A duration of 0 minutes.", "invalid_duration", with_ser(duration=0)),
    srs_err("err-duration-negative", "A negative duration.", "invalid_duration", with_ser(duration=-30)),
    srs_err("err-duration-fraction", "Durations are whole minutes: 30.5 is not one.", "invalid_duration",
            with_ser(duration=30.5)),
    srs_err("err-more-than-1000-occurrences", "COUNT=1001 gives more than the 1000 occurrences a series may have.",
            "invalid_request", with_ser(rrule="FREQ=DAILY;COUNT=1001")),
    srs_err("err-more-than-1000-until", "Hourly until two months later is about 1460 occurrences, more than 1000.",
            "invalid_request", with_ser(rrule="FREQ=HOURLY", until="2026-07-04T00:00:00Z")),
    srs_err("err-unknown-policy", "`best_effort` is not a policy.", "invalid_request", policy="best_effort"),
    srs_err("err-unknown-series-field", "An unknown series field (`rdates`) is rejected.", "invalid_request",
            with_ser(rdates=["2026-05-05T09:00"])),
    srs_err("err-unknown-input-field", "An unknown top-level field (`request`) is rejected.", "invalid_request",
            request=req("09:00", "10:00", [P1])),
    srs_err("err-series-no-resources", "A series must name at least one resource.", "invalid_request",
            with_ser(resources=[])),
    srs_err("err-series-id-not-fhir", "A series id must be [A-Za-z0-9.-]{1,48} so that its occurrence ids "
            "(`<series id>.<YYYYMMDDTHHMMSS>`) are FHIR ids; `@` is not allowed.", "invalid_request",
            with_ser(id="S@1")),
    srs_err("err-series-id-too-long", "A series id of 49 characters would make occurrence ids longer than "
            "FHIR's 64.", "invalid_request", with_ser(id="x" * 49)),
    srs_err("err-missing-series", "A series input without `series`.", "invalid_request", series=None,
            bookings=[]),
    srs_err("err-dtstart-with-offset", "dtstart is a local datetime and must not carry an offset.",
            "invalid_datetime", with_ser(dtstart="2026-05-04T09:00:00Z")),
    srs_err("err-until-without-offset", "`until` is an instant and needs an offset.", "invalid_datetime",
            with_ser(rrule="FREQ=DAILY", until="2026-05-10T00:00:00")),
    srs_err("err-exdate-impossible", "An EXDATE on 31 April.", "invalid_datetime",
            with_ser(exdates=["2026-04-31T09:00"])),
    srs_err("err-booking-bad-status", "The ledger is validated as for kind conflict: `confirmed` is not a status.",
            "invalid_request", bookings=[bk("a1", "09:00", "10:00", [P1], status="confirmed")]),
    srs_err("err-booking-reversed", "A ledger booking whose end is before its start.", "invalid_interval",
            bookings=[bk("a1", "10:00", "09:00", [P1])]),
    srs_err("err-capacity-zero", "A capacity of 0 in a series input.", "invalid_request", capacity={P1: 0}),
]
