"""The Python side of overhead_instr.sh (see there): N calls on the anchor
month query, or an empty loop of N.

    overhead_instr.py MONTH_QUERY_JSON N call|slots|floor|empty

`call` is `Availability.slots_epoch` (one `array` of Unix seconds), `slots`
is `Availability.slots` (a list of aware UTC `datetime`s), and `floor` makes
no engine call: it builds, in plain Python, the same list of aware UTC
`datetime`s from the Unix seconds (`datetime.fromtimestamp(s, timezone.utc)`),
the least a pure-Python implementation pays just to hand back its answer.
Every mode prints the number of slots.

The workload is the one benches/src/bin/month_query.rs printed (zone, working
rules, merged busy time and the query, all as Unix seconds), so the Python call
answers the same question as the Rust one. Both modes build the same objects
and make one checked call first (the answer must be the Rust engine's slots,
else exit 1), so the two runs differ only by the N calls in the loop.
"""

import datetime as dt
import json
import sys

import hcas

UTC = dt.timezone.utc


def main() -> None:
    path, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path) as f:
        month = json.load(f)

    def instant(seconds: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(seconds, UTC)

    availability = hcas.Availability(
        month["zone"],
        rules=[
            hcas.WorkingRule(r["rrule"], r["start"], r["end"], dt.date.fromisoformat(r["dtstart"]))
            for r in month["rules"]
        ],
        busy=[(instant(a), instant(b)) for a, b in month["busy"]],
    )
    start, end = instant(month["from"]), instant(month["to"])
    duration = dt.timedelta(minutes=month["duration_minutes"])
    got = list(availability.slots_epoch(start, end, duration))
    if got != month["slots"]:
        sys.exit("overhead_instr.py: slots_epoch answers %d slots, the Rust engine %d" % (len(got), len(month["slots"])))
    if availability.slots(start, end, duration) != [instant(s) for s in got]:
        sys.exit("overhead_instr.py: slots and slots_epoch disagree")
    if mode == "call":
        for _ in range(n):
            availability.slots_epoch(start, end, duration)
    elif mode == "slots":
        for _ in range(n):
            availability.slots(start, end, duration)
    elif mode == "floor":
        fromtimestamp = dt.datetime.fromtimestamp
        for _ in range(n):
            [fromtimestamp(s, UTC) for s in got]
    elif mode == "empty":
        for _ in range(n):
            pass
    else:
        sys.exit("overhead_instr.py: mode must be call, slots, floor or empty, got %r" % mode)
    print(len(got))


if __name__ == "__main__":
    main()
