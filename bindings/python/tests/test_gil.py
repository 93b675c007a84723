"""The GIL is released while the engine computes: shown by what other threads
manage to do during the calls, never by how long anything takes."""

import concurrent.futures
import datetime as dt
import sys
import threading
from typing import Any, Callable

import hcas

UTC = dt.timezone.utc
SLOTS: dict[str, Any] = {
    "timezone": "America/New_York",
    "rules": [{"rrule": "FREQ=DAILY", "dtstart": "2026-01-01", "start": "00:00", "end": "24:00"}],
    "query": {"from": "2026-03-01T00:00:00Z", "to": "2026-03-31T00:00:00Z", "duration": 5},
}


def ran_during(call: Callable[[], object], rounds: int = 200) -> bool:
    """Whether a waiting Python thread got to run while this thread was in
    `call`. Preemption is switched off (a switch interval of 1000 s), so the
    only way the other thread can take the GIL from this one is a call that
    releases it; this thread never blocks or sleeps between calls."""
    go = threading.Event()
    ran = threading.Event()

    def other() -> None:
        go.wait()  # blocks, GIL released, until `go` is set
        ran.set()  # needs the GIL: only while this thread is in `call`

    t = threading.Thread(target=other)
    old = sys.getswitchinterval()
    t.start()
    sys.setswitchinterval(1000.0)
    try:
        go.set()
        for _ in range(rounds):
            call()
            if ran.is_set():
                return True
        return False
    finally:
        sys.setswitchinterval(old)
        t.join()


def test_the_gil_is_released_while_the_engine_computes() -> None:
    assert ran_during(lambda: hcas.evaluate("slots", SLOTS))
    rec = hcas.Recurrence("FREQ=MINUTELY;INTERVAL=7", dt.datetime(2026, 1, 1), "Europe/Paris")
    start = dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert ran_during(lambda: rec.between(start, start + dt.timedelta(days=30)))
    rule = hcas.WorkingRule("FREQ=DAILY", "00:00", "24:00", dtstart=dt.date(2026, 1, 1))
    avail = hcas.Availability("America/New_York", [rule])
    assert ran_during(lambda: avail.slots(start, start + dt.timedelta(days=30), dt.timedelta(minutes=5)))


def test_the_check_itself_can_fail() -> None:
    # A call that holds the GIL throughout (pure Python) lets no other thread in.
    assert not ran_during(lambda: sum(range(20_000)))


def test_a_thread_pool_gets_the_sequential_answers() -> None:
    inputs = []
    for day in range(1, 29):
        q = dict(SLOTS["query"], **{"from": f"2026-02-{day:02d}T00:00:00Z", "to": f"2026-02-{day:02d}T12:00:00Z"})
        inputs.append(dict(SLOTS, query=q))
    sequential = [hcas.evaluate("slots", i) for i in inputs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda i: hcas.evaluate("slots", i), inputs))
    assert parallel == sequential
    assert all(len(out["slots"]) == 144 for out in sequential)  # 12 hours of 5-minute slots
