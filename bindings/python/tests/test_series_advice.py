"""A series' conflicts with advice (SeriesSpec.add_alternatives over
hcas_core::series and advice::AlternativeSearch), the FHIR series template
as a SeriesSpec (FhirSeries.spec) and a refused series as an
OperationOutcome (series_conflict_outcome). Expectations worked out by hand
(London is UTC+0 until 29 March 2026 and UTC+1 after)."""

import copy
import datetime as dt
import pickle

import pytest

import hcas
from hcas import Alternatives, Availability, Booking, Ledger, OccurrenceResult, Recurrence, SeriesSpec, WorkingRule

UTC = dt.timezone.utc


def may(day: int, h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, h, m, tzinfo=UTC)


def three_days_and_a_taken_seventh() -> tuple[SeriesSpec, Ledger]:
    """Daily 09:00-09:30 UTC on 5, 6 and 7 May for P1, who is taken on 7 May at 09:00 by b7."""
    spec = SeriesSpec(
        "s", Recurrence("FREQ=DAILY;COUNT=3", dt.datetime(2026, 5, 5, 9), "UTC"), dt.timedelta(minutes=30), ["provider:P1"]
    )
    ledger = Ledger([Booking("b7", ["provider:P1"], may(7, 9), may(7, 9, 30))])
    return spec, ledger


# P1 works 09:00-12:00 UTC every day.
HOURS = Availability("UTC", [WorkingRule("FREQ=DAILY", "09:00", "12:00", dtstart=dt.date(2026, 5, 1))])


def test_add_alternatives_finds_the_nearest_free_starts_around_each_conflicting_occurrence() -> None:
    spec, ledger = three_days_and_a_taken_seventh()
    plan = spec.plan(ledger, may(1, 0))
    assert [o.ok for o in plan] == [True, True, False]
    got = spec.add_alternatives(plan, ledger, HOURS, now=may(1, 0), count=2)
    # The free occurrences come back as they were.
    assert got[:2] == plan[:2] and all(o.alternatives is None for o in got[:2])
    seventh = got[2]
    assert (seventh.id, seventh.ok, seventh.conflicts) == (plan[2].id, False, plan[2].conflicts)
    # On the half-hour grid of the occurrence: after 09:00 on 7 May, 09:30 and
    # 10:00 are free; before it, the last starts of 6 May's hours, 11:30 and
    # 11:00 (plan books nothing, so 6 May's own occurrence is not in the way).
    assert seventh.alternatives == Alternatives(before=[may(6, 11, 30), may(6, 11)], after=[may(7, 9, 30), may(7, 10)])
    # The same as asking hcas.alternatives for that occurrence's interval and resources.
    assert seventh.alternatives == hcas.alternatives(
        HOURS, ledger, ["provider:P1"], seventh.start, seventh.end, now=may(1, 0), count=2
    )
    # The step and the radius are the search's.
    one = spec.add_alternatives(plan, ledger, HOURS, now=may(1, 0), count=1, step=dt.timedelta(minutes=15), search_days=1)
    assert one[2].alternatives == Alternatives(before=[may(6, 11, 30)], after=[may(7, 9, 30)])
    # The answer is a value: it pickles with its alternatives, and shows them.
    assert pickle.loads(pickle.dumps(seventh)) == seventh and copy.deepcopy(seventh) == seventh
    assert seventh != plan[2] and "alternatives=hcas.Alternatives(" in repr(seventh)


def test_add_alternatives_refuses_what_the_search_refuses() -> None:
    spec, ledger = three_days_and_a_taken_seventh()
    plan = spec.plan(ledger, may(1, 0))
    with pytest.raises(hcas.HcasError):
        spec.add_alternatives(plan, ledger, HOURS, now=may(1, 0), count=0)
    with pytest.raises(hcas.HcasError):
        spec.add_alternatives(plan, ledger, HOURS, now=may(1, 0), count=1, search_days=0)
    with pytest.raises(hcas.InvalidDatetimeError):
        spec.add_alternatives(plan, ledger, HOURS, now=dt.datetime(2026, 5, 1), count=1)
    with pytest.raises(hcas.InvalidRequestError, match="OccurrenceResult"):
        spec.add_alternatives(["x"], ledger, HOURS, now=may(1, 0), count=1)  # type: ignore[list-item]
    with pytest.raises(hcas.InvalidRequestError, match="Availability"):
        spec.add_alternatives(plan, ledger, "HOURS", now=may(1, 0), count=1)  # type: ignore[arg-type]
    with pytest.raises(hcas.InvalidRequestError, match="Alternatives"):
        OccurrenceResult("s.x", "2026-05-07T09:00:00", may(7, 9), may(7, 9, 30), False, alternatives=[])  # type: ignore[arg-type]


def test_a_refused_series_as_an_operation_outcome() -> None:
    spec, ledger = three_days_and_a_taken_seventh()
    plan = spec.plan(ledger, may(1, 0))
    oo = hcas.series_conflict_outcome("taken", plan)
    # The conflict issue of operation_outcome, then one issue for the 7 May occurrence.
    assert oo["resourceType"] == "OperationOutcome" and len(oo["issue"]) == 2
    assert oo["issue"][0] == hcas.operation_outcome("conflict", "conflict", "taken")["issue"][0]
    text = "occurrence 2026-05-07T09:00:00 (start 2026-05-07T09:00:00Z): Appointment/b7 holds Practitioner/P1"
    assert oo["issue"][1]["diagnostics"] == text and oo["issue"][1]["details"]["text"] == text
    assert oo["issue"][1]["severity"] == "error" and oo["issue"][1]["code"] == "conflict"
    # Free occurrences add nothing.
    assert len(hcas.series_conflict_outcome("taken", plan[:2])["issue"]) == 1


def test_a_fhir_series_template_is_a_series_spec() -> None:
    # Tuesdays at 09:00 London, 45 minutes, four times from 24 March 2026.
    template = Booking("tpl", ["provider:P1", "patient:X1"], dt.datetime(2026, 3, 24, 9, tzinfo=UTC), dt.datetime(2026, 3, 24, 9, 45, tzinfo=UTC))
    rec = hcas.RecurrenceTemplate("Europe/London", hcas.RecurrenceType.WEEKLY, days=["TU"], occurrence_count=4)
    spec = hcas.FhirSeries(template, rec).spec("s1")
    assert (spec.id, spec.duration, spec.resources) == ("s1", dt.timedelta(minutes=45), ("provider:P1", "patient:X1"))
    starts = [start for _, start, _ in spec.occurrences()]
    # 09:00 GMT on 24 March, 09:00 BST (08:00Z) after the change.
    assert starts == [
        dt.datetime(2026, 3, 24, 9, tzinfo=UTC),
        dt.datetime(2026, 3, 31, 8, tzinfo=UTC),
        dt.datetime(2026, 4, 7, 8, tzinfo=UTC),
        dt.datetime(2026, 4, 14, 8, tzinfo=UTC),
    ]
    assert [local for local, _, _ in spec.occurrences()][1] == dt.datetime(2026, 3, 31, 9)
    # Read from FHIR, the same spec.
    series = hcas.series_from_fhir(hcas.series_to_fhir(hcas.FhirSeries(template, rec)))
    assert series is not None and series.spec("s1") == spec
    odd = Booking("tpl", ["provider:P1"], template.start, template.end + dt.timedelta(seconds=30))
    with pytest.raises(hcas.InvalidRequestError, match="whole minutes"):
        hcas.FhirSeries(odd, rec).spec("s1")


def test_hand_made_results_keep_every_field_through_add_alternatives() -> None:
    # Results built in Python (not by plan) reach the engine whole: a free one
    # marked booked and carrying stale alternatives comes back unchanged (only
    # conflicting occurrences are searched), a conflicting one keeps its
    # conflicts and gets the 7 May alternatives worked out above.
    spec, ledger = three_days_and_a_taken_seventh()
    stale = Alternatives(before=[may(1, 9)], after=[may(2, 9)])
    free = OccurrenceResult("s.20260505T090000", "2026-05-05T09:00:00", may(5, 9), may(5, 9, 30), True, booked=True, alternatives=stale)
    taken = OccurrenceResult(
        "s.20260507T090000",
        "2026-05-07T09:00:00",
        may(7, 9),
        may(7, 9, 30),
        False,
        conflicts=[hcas.Conflict("provider:P1", ["b7"])],
        alternatives=stale,
    )
    got = spec.add_alternatives([free, taken], ledger, HOURS, now=may(1, 0), count=2)
    assert got[0] == free and got[0].booked and got[0].alternatives == stale
    assert (got[1].id, got[1].ok, got[1].booked, got[1].conflicts) == (taken.id, False, False, taken.conflicts)
    assert got[1].alternatives == Alternatives(before=[may(6, 11, 30), may(6, 11)], after=[may(7, 9, 30), may(7, 10)])
    # The hand-made conflict reads as the engine's in an OperationOutcome.
    oo = hcas.series_conflict_outcome("taken", [free, taken])
    assert [i["diagnostics"] for i in oo["issue"][1:]] == [
        "occurrence 2026-05-07T09:00:00 (start 2026-05-07T09:00:00Z): Appointment/b7 holds Practitioner/P1"
    ]
