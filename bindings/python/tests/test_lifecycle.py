"""The appointment lifecycle (hcas_core::lifecycle) through the typed classes.
Expectations are worked out by hand from docs/booking.md's table and clock rules
(late cancellation inside `late_cancel` before the start, check-in from
`checkin_opens` before it to the end, no-show from `noshow_grace` after it) and
the core's doc comments; every transition vector is also built as typed values
and must answer as its `expect` and as `hcas.evaluate`."""

import copy
import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import hcas
from hcas import Booking, LifecyclePolicy, Outcome, OutcomeKind, Party, Status, TransitionRequest, Transitioned

UTC = dt.timezone.utc
VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "transition"


def at(h: int, m: int = 0, day: int = 4) -> dt.datetime:
    return dt.datetime(2026, 5, day, h, m, tzinfo=UTC)


def appt(status: Any = Status.BOOKED) -> Booking:
    # 4 May 2026 09:00Z-09:30Z.
    return Booking("a1", ["provider:P1", "patient:X1"], at(9), at(9, 30), status)


def test_enums_are_the_engines_wire_names() -> None:
    assert [p.value for p in Party] == hcas.PARTIES == ["patient", "practitioner", "staff", "system"]
    assert [k.value for k in OutcomeKind] == ["cancelled", "late_cancellation", "no_show", "slot_freed"]
    assert TransitionRequest("cancelled", "staff", at(8)).actor is Party.STAFF


def test_policy_defaults_are_the_cores() -> None:
    # The core's defaults (LifecyclePolicy::new): 24 hours, 15 minutes, 60 minutes.
    p = LifecyclePolicy()
    assert (p.late_cancel, p.noshow_grace, p.checkin_opens) == (dt.timedelta(hours=24), dt.timedelta(minutes=15), dt.timedelta(hours=1))
    assert p == LifecyclePolicy(dt.timedelta(days=1), dt.timedelta(minutes=15), dt.timedelta(minutes=60))
    assert LifecyclePolicy(late_cancel=dt.timedelta(hours=2)).noshow_grace == dt.timedelta(minutes=15)
    assert LifecyclePolicy(late_cancel=dt.timedelta(0)).late_cancel == dt.timedelta(0)
    assert LifecyclePolicy(checkin_opens=dt.timedelta(days=366)).checkin_opens == dt.timedelta(days=366)
    for bad in ({"late_cancel": dt.timedelta(minutes=-1)}, {"noshow_grace": dt.timedelta(days=366, minutes=1)}):
        with pytest.raises(hcas.InvalidDurationError, match="between 0 and 527040"):
            LifecyclePolicy(**bad)
    with pytest.raises(hcas.InvalidDurationError, match="^checkin_opens: .*whole number of minutes"):
        LifecyclePolicy(checkin_opens=dt.timedelta(seconds=30))
    with pytest.raises(hcas.InvalidDurationError, match="timedelta"):
        LifecyclePolicy(late_cancel=60)  # type: ignore[arg-type]


def test_cancelling_late_or_not() -> None:
    # The core's example: cancelled two hours ahead, late under 24 hours.
    req = TransitionRequest(Status.CANCELLED, Party.PATIENT, at(7), reason="flu")
    done = hcas.transition(appt(), req)
    assert done == Transitioned(
        Status.BOOKED,
        Status.CANCELLED,
        [Outcome(OutcomeKind.CANCELLED), Outcome(OutcomeKind.LATE_CANCELLATION, dt.timedelta(minutes=120)), Outcome(OutcomeKind.SLOT_FREED)],
    )
    assert (done.from_, done.to) == (Status.BOOKED, Status.CANCELLED)
    assert done.outcomes[1].minutes_before_start == dt.timedelta(hours=2) and done.outcomes[0].minutes_before_start is None
    # Under a one-hour window it is not late.
    lenient = LifecyclePolicy(late_cancel=dt.timedelta(hours=1))
    assert hcas.transition(appt(), req, lenient).outcomes == (Outcome("cancelled"), Outcome("slot_freed"))
    # Rounded down: 90.5 minutes ahead is 90 minutes.
    req = TransitionRequest("cancelled", "patient", at(7, 29) + dt.timedelta(seconds=30), reason="flu")
    assert hcas.transition(appt(), req).outcomes[1] == Outcome("late_cancellation", dt.timedelta(minutes=90))


def test_who_and_when() -> None:
    policy = LifecyclePolicy()
    # A patient cannot record their own no-show (not_permitted names who can).
    with pytest.raises(hcas.NotPermittedError, match="practitioner, staff, system") as e:
        hcas.transition(appt(), TransitionRequest(Status.NOSHOW, Party.PATIENT, at(9, 20)), policy)
    assert e.value.code == "not_permitted"
    # No-show from start + 15 minutes; nothing is freed after the start.
    with pytest.raises(hcas.InvalidTransitionError, match="noshow before"):
        hcas.transition(appt(), TransitionRequest("noshow", "staff", at(9, 14)))
    assert hcas.transition(appt(), TransitionRequest("noshow", "staff", at(9, 15))).outcomes == (Outcome(OutcomeKind.NO_SHOW),)
    # Check-in from 60 minutes before the start to its end.
    with pytest.raises(hcas.InvalidTransitionError):
        hcas.transition(appt(), TransitionRequest(Status.CHECKED_IN, Party.PATIENT, at(7, 59)))
    ok = hcas.transition(appt(), TransitionRequest(Status.CHECKED_IN, Party.PATIENT, at(8)))
    assert (ok.to, ok.outcomes) == (Status.CHECKED_IN, ())
    with pytest.raises(hcas.InvalidTransitionError, match="noshow instead"):
        hcas.transition(appt(), TransitionRequest(Status.CHECKED_IN, Party.PATIENT, at(9, 30)))
    # A reason is required to cancel a booked appointment; blank is missing.
    for reason in (None, "   "):
        with pytest.raises(hcas.InvalidRequestError, match="reason"):
            hcas.transition(appt(), TransitionRequest(Status.CANCELLED, Party.STAFF, at(7), reason))
    # From cancelled only entered-in-error; the same status is not a change.
    with pytest.raises(hcas.InvalidTransitionError, match="may become: entered-in-error$"):
        hcas.transition(appt(Status.CANCELLED), TransitionRequest(Status.BOOKED, Party.STAFF, at(7)))
    with pytest.raises(hcas.InvalidTransitionError, match="already booked"):
        hcas.transition(appt(), TransitionRequest(Status.BOOKED, Party.STAFF, at(7)))
    with pytest.raises(hcas.InvalidDatetimeError, match="naive"):
        TransitionRequest(Status.CANCELLED, Party.STAFF, dt.datetime(2026, 5, 4, 7))
    with pytest.raises(hcas.InvalidRequestError, match="not a party"):
        TransitionRequest(Status.CANCELLED, "nurse", at(7))
    with pytest.raises(hcas.InvalidRequestError):
        TransitionRequest("done", Party.STAFF, at(7))
    with pytest.raises(hcas.InvalidRequestError, match="hcas.Booking"):
        hcas.transition("a1", TransitionRequest("cancelled", "staff", at(7)))  # type: ignore[arg-type]
    with pytest.raises(hcas.InvalidRequestError, match="LifecyclePolicy"):
        hcas.transition(appt(), TransitionRequest("cancelled", "staff", at(7), "x"), {"late_cancel": 0})  # type: ignore[arg-type]


def test_apply_records_the_change_in_the_ledger() -> None:
    ledger = hcas.Ledger([appt()])
    req = TransitionRequest(Status.CANCELLED, Party.STAFF, at(9, 0, day=1), reason="provider ill")
    done = hcas.apply(ledger, "a1", req)
    assert done.to is Status.CANCELLED and Outcome(OutcomeKind.SLOT_FREED) in done.outcomes
    a1 = ledger.get("a1")
    assert a1 is not None and (a1.status, a1.cancel_reason) == (Status.CANCELLED, "provider ill")
    # Errors leave the ledger as it was.
    with pytest.raises(hcas.InvalidTransitionError):
        hcas.apply(ledger, "a1", TransitionRequest(Status.BOOKED, Party.STAFF, at(8)))
    with pytest.raises(hcas.InvalidRequestError, match="no booking has id a2"):
        hcas.apply(ledger, "a2", req)
    assert ledger.get("a1") == a1
    # A proposed booking becoming booked may not overbook: P1 is taken by b1.
    ledger = hcas.Ledger([Booking("b1", ["provider:P1"], at(9), at(10)), appt(Status.PROPOSED)])
    with pytest.raises(hcas.InvalidTransitionError, match="taken"):
        hcas.apply(ledger, "a1", TransitionRequest(Status.BOOKED, Party.STAFF, at(8)))
    got = ledger.get("a1")
    assert got is not None and got.status is Status.PROPOSED
    with pytest.raises(hcas.InvalidRequestError, match="hcas.Ledger"):
        hcas.apply([appt()], "a1", req)  # type: ignore[arg-type]


def test_the_transition_table() -> None:
    # docs/booking.md's table.
    assert hcas.legal_targets(Status.FULFILLED) == [Status.ENTERED_IN_ERROR]
    assert hcas.legal_targets("entered-in-error") == []
    assert hcas.legal_targets(Status.BOOKED) == [Status.ARRIVED, Status.CHECKED_IN, Status.CANCELLED, Status.NOSHOW, Status.ENTERED_IN_ERROR]
    assert hcas.allowed_actors(Status.BOOKED, Status.NOSHOW) == [Party.PRACTITIONER, Party.STAFF, Party.SYSTEM]
    assert hcas.allowed_actors("held", "booked") == [Party.PATIENT, Party.STAFF, Party.SYSTEM]
    assert hcas.allowed_actors(Status.FULFILLED, Status.ENTERED_IN_ERROR) == [Party.STAFF]
    assert hcas.allowed_actors(Status.FULFILLED, Status.BOOKED) is None
    assert hcas.reason_required(Status.BOOKED, Status.CANCELLED)
    assert not hcas.reason_required(Status.HELD, Status.CANCELLED)
    assert hcas.reason_required(Status.FULFILLED, Status.ENTERED_IN_ERROR)
    assert [s for s in Status if hcas.is_terminal(s)] == [Status.FULFILLED, Status.CANCELLED, Status.NOSHOW, Status.ENTERED_IN_ERROR]
    with pytest.raises(hcas.InvalidRequestError):
        hcas.is_terminal("finished")


def transition_input_to_typed(inp: dict[str, Any]) -> tuple[Booking, TransitionRequest, LifecyclePolicy]:
    """A `transition` vector input as typed values (written for this test)."""

    def instant(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    b = inp["booking"]
    hold = instant(b["hold_expires"]) if b.get("hold_expires") else None
    booking = Booking(b["id"], b["resources"], instant(b["start"]), instant(b["end"]), b["status"], hold)
    r = inp["request"]
    request = TransitionRequest(r["to"], r["actor"], instant(r["now"]), r.get("reason"))
    p = inp.get("policy") or {}
    policy = LifecyclePolicy(
        **{name: dt.timedelta(minutes=p[f"{name}_minutes"]) for name in ("late_cancel", "noshow_grace", "checkin_opens") if f"{name}_minutes" in p}
    )
    return booking, request, policy


def as_wire(t: Transitioned) -> dict[str, Any]:
    outcomes: list[dict[str, Any]] = []
    for o in t.outcomes:
        d: dict[str, Any] = {"outcome": o.kind.value}
        if o.minutes_before_start is not None:
            d["minutes_before_start"] = o.minutes_before_start // dt.timedelta(minutes=1)
        outcomes.append(d)
    return {"from": t.from_.value, "to": t.to.value, "outcomes": outcomes}


@pytest.mark.parametrize("path", sorted(VECTORS.glob("*.json")), ids=lambda p: p.stem)
def test_transition_vectors_typed_as_evaluate(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    try:
        booking, request, policy = transition_input_to_typed(case["input"])
        answer: Any = as_wire(hcas.transition(booking, request, policy))
    except hcas.HcasError as e:
        answer = e.code
    assert hcas.check_vector(case, answer) is None
    try:
        wire: Any = hcas.evaluate("transition", case["input"])
    except hcas.HcasError as e:
        wire = e.code
    assert answer == wire


def test_value_classes() -> None:
    late = Outcome(OutcomeKind.LATE_CANCELLATION, minutes_before_start=dt.timedelta(minutes=90))
    req = TransitionRequest(Status.CANCELLED, Party.PATIENT, at(7), reason="flu")
    done = Transitioned(Status.BOOKED, Status.CANCELLED, [Outcome("cancelled"), late])
    pairs: list[tuple[Any, Any, Any]] = [
        (LifecyclePolicy(), LifecyclePolicy(late_cancel=dt.timedelta(hours=24)), LifecyclePolicy(noshow_grace=dt.timedelta(minutes=5))),
        (req, TransitionRequest("cancelled", "patient", at(7).astimezone(dt.timezone(dt.timedelta(hours=-4))), "flu"), TransitionRequest("cancelled", "patient", at(7))),
        (late, Outcome("late_cancellation", dt.timedelta(hours=1.5)), Outcome("late_cancellation", dt.timedelta(minutes=91))),
        (Outcome(OutcomeKind.NO_SHOW), Outcome("no_show"), Outcome("slot_freed")),
        (done, Transitioned("booked", "cancelled", (Outcome("cancelled"), late)), Transitioned("booked", "cancelled", [Outcome("cancelled")])),
    ]
    for a, same, other in pairs:
        assert a == same and hash(a) == hash(same) and a is not same
        assert a != other and len({a, same, other}) == 2
        assert repr(a).startswith("hcas." + type(a).__name__ + "(")
        with pytest.raises(AttributeError):
            a.to = "x"
        for back in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
            assert back == a and hash(back) == hash(a) and type(back) is type(a) and repr(back) == repr(a)
    assert (req.to, req.actor, req.now, req.reason) == (Status.CANCELLED, Party.PATIENT, at(7), "flu")
    assert repr(LifecyclePolicy()) == (
        "hcas.LifecyclePolicy(late_cancel=datetime.timedelta(days=1), "
        "noshow_grace=datetime.timedelta(seconds=900), checkin_opens=datetime.timedelta(seconds=3600))"
    )
    assert late.kind is OutcomeKind.LATE_CANCELLATION
    with pytest.raises(hcas.InvalidRequestError, match="needs minutes_before_start"):
        Outcome(OutcomeKind.LATE_CANCELLATION)
    with pytest.raises(hcas.InvalidRequestError, match="only for late_cancellation"):
        Outcome(OutcomeKind.CANCELLED, dt.timedelta(minutes=5))
    with pytest.raises(hcas.InvalidRequestError, match="not an outcome"):
        Outcome("refund")
