"""The FHIR operation and search shapes (hcas_core::fhir::operation and
::search) through the typed API: the `Parameters` of $find/$hold/$book,
the ids and Appointments of $find proposals, and search parameter values
parsed and matched. Expectations from the module docs (the proposal id
layout, the R4 prefix table: a date value is the range its precision
implies) and worked out by hand."""

import copy
import datetime as dt
import pickle

import pytest

import hcas
from hcas import DateParam, Parameter, Proposal, ReferenceParam, SearchPrefix, TokenParam

UTC = dt.timezone.utc


def t(day: int, h: int = 0, m: int = 0, s: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, h, m, s, tzinfo=UTC)


# --- operation ---


def test_a_proposal_id_carries_start_provider_and_patient() -> None:
    start = dt.datetime(2030, 1, 9, 14, tzinfo=UTC)
    unix = int(start.timestamp())
    # <unix seconds>-<length of the provider id>-<provider id><patient id>
    assert hcas.proposal_id("dr-lee", "pat-alice", start) == f"{unix}-6-dr-leepat-alice"
    p = hcas.parse_proposal_id(f"{unix}-6-dr-leepat-alice")
    assert p == Proposal("dr-lee", "pat-alice", start) and p is not None and p.id() == f"{unix}-6-dr-leepat-alice"
    assert (p.provider, p.patient, p.start) == ("dr-lee", "pat-alice", start)
    # Dashes and dots in the ids: the length says where the provider ends.
    q = hcas.parse_proposal_id(f"{unix}-5-x.1-23-y")
    assert q is not None and (q.provider, q.patient) == ("x.1-2", "3-y")
    for not_one in ("8c7e2f4a-1b2c-4d5e-8f90-123456789abc", f"{unix}-0-ab", f"{unix}-9-ab", "x-1-ab"):
        assert hcas.parse_proposal_id(not_one) is None, not_one
    # Too long for a FHIR id (64 characters).
    assert hcas.proposal_id("p" * 40, "q" * 30, start) is None
    assert pickle.loads(pickle.dumps(p)) == p and hash(p) == hash(copy.deepcopy(p))
    with pytest.raises(hcas.InvalidDatetimeError):
        hcas.proposal_id("dr-lee", "pat-alice", dt.datetime(2030, 1, 9, 14))


def test_a_proposed_appointment_is_a_proposed_booking_of_both() -> None:
    start, end = dt.datetime(2030, 1, 9, 14, tzinfo=UTC), dt.datetime(2030, 1, 9, 14, 30, tzinfo=UTC)
    appt = hcas.proposed_appointment("dr-lee", "pat-alice", start, end)
    assert appt["resourceType"] == "Appointment" and appt["status"] == "proposed"
    assert appt["id"] == hcas.proposal_id("dr-lee", "pat-alice", start)
    assert (appt["start"], appt["end"]) == ("2030-01-09T14:00:00Z", "2030-01-09T14:30:00Z")
    refs = {p["actor"]["reference"] for p in appt["participant"]}
    assert refs == {"Practitioner/dr-lee", "Patient/pat-alice"}
    b = hcas.appointment_from_fhir(appt)
    assert b.status is hcas.Status.PROPOSED and set(b.resources) == {"provider:dr-lee", "patient:pat-alice"}
    with pytest.raises(hcas.InvalidRequestError, match="no proposed Appointment id"):
        hcas.proposed_appointment("p" * 40, "q" * 30, start, end)
    with pytest.raises(hcas.InvalidIntervalError):
        hcas.proposed_appointment("dr-lee", "pat-alice", end, start)


def test_read_parameters_in_order_with_their_text() -> None:
    coding = {"system": "http://snomed.info/sct", "code": "394814009"}
    got = hcas.read_parameters(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "start", "valueDate": "2030-01-09"},
                {"name": "practitioner", "valueReference": {"reference": "Practitioner/dr-lee"}},
                {"name": "specialty", "valueCoding": coding},
                {"name": "count", "valueInteger": 3},
                {"name": "when", "valuePeriod": {"start": "2030-01-09"}},
            ],
        }
    )
    assert [(p.name, p.element) for p in got] == [
        ("start", "valueDate"),
        ("practitioner", "valueReference"),
        ("specialty", "valueCoding"),
        ("count", "valueInteger"),
        ("when", "valuePeriod"),
    ]
    assert [p.text() for p in got] == ["2030-01-09", "Practitioner/dr-lee", "http://snomed.info/sct|394814009", "3", None]
    assert got[2].value == coding and got[2] == Parameter("specialty", "valueCoding", coding)
    assert Parameter.string("start", "2030") == Parameter("start", "valueString", "2030")
    for p in got:
        assert pickle.loads(pickle.dumps(p)) == p and hash(p) == hash(copy.deepcopy(p))


def test_read_parameters_refuses_what_the_operations_cannot_take() -> None:
    with pytest.raises(hcas.InvalidRequestError):
        hcas.read_parameters({"resourceType": "Patient"})
    bad = [
        ({"name": "x"}, "has no value"),
        ({"name": "x", "valueString": "a", "valueInteger": 1}, "more than one value"),
        ({"name": "x", "part": [], "valueString": "a"}, "nested"),
        ({"valueString": "a"}, "name"),
    ]
    for param, why in bad:
        with pytest.raises(hcas.InvalidRequestError, match=why) as e:
            hcas.read_parameters({"resourceType": "Parameters", "parameter": [param]})
        assert "parameter[0]" in e.value.message


# --- search ---


def test_date_values_are_the_ranges_their_precision_implies() -> None:
    assert [p.value for p in SearchPrefix] == hcas.SEARCH_PREFIXES and len(SearchPrefix) == 8
    year, month, day = DateParam("2026"), DateParam("2026-05"), DateParam("ge2026-05-04")
    assert (year.prefix, year.lower, year.upper) == (SearchPrefix.EQ, t(1, month=1), dt.datetime(2027, 1, 1, tzinfo=UTC))
    assert (month.lower, month.upper) == (t(1), t(1, month=6))
    assert (day.prefix, day.lower, day.upper) == (SearchPrefix.GE, t(4), t(5))
    second = DateParam("lt2026-05-04T10:00:00+02:00")
    assert (second.prefix, second.lower, second.upper) == (SearchPrefix.LT, t(4, 8), t(4, 8, 0, 1))
    with pytest.raises(hcas.InvalidRequestError, match="not a FHIR date search value"):
        DateParam("2026-05-04T10:00:00")  # a time without an offset is ambiguous
    with pytest.raises(hcas.InvalidRequestError):
        DateParam("ge2026-02-30")


def test_date_prefixes_compare_ranges_as_r4_defines_them() -> None:
    assert DateParam("ge2026-05-04").matches_instant(t(4))
    assert not DateParam("ge2026-05-04").matches_instant(t(3, 23, 59, 59))
    lt = DateParam("lt2026-05-04T10:00:00Z")
    # Part of 09:30-10:30 lies before 10:00:00; nothing of 10:00-10:30 does.
    assert lt.matches_period(t(4, 9, 30), t(4, 10, 30)) and not lt.matches_period(t(4, 10), t(4, 10, 30))
    day = DateParam("2026-05-04")
    # eq: the whole target inside the day; a period reaching the 5th is not.
    assert day.matches_period(t(4, 9), t(5)) and not day.matches_period(t(4, 23), t(5, 1))
    assert DateParam("ne2026-05-04").matches_period(t(4, 23), t(5, 1))
    # sa / eb: the whole target after / before the day.
    assert DateParam("sa2026-05-04").matches_instant(t(5)) and not DateParam("sa2026-05-04").matches_instant(t(4, 23))
    assert DateParam("eb2026-05-04").matches_period(t(3, 23), t(4)) and not DateParam("eb2026-05-04").matches_period(t(3, 23), t(4, 0, 1))
    # Ranges for a store query.
    assert DateParam("lt2026-05-04").instant_range() == (None, t(4))
    assert day.instant_range() == (t(4), t(5)) and DateParam("ne2026").instant_range() is None
    assert DateParam("sa2026-05-04").bounds() == (t(5), None) and DateParam("eb2026-05-04").bounds() == (None, t(4))
    assert DateParam("ne2026").bounds() == (None, None)


def test_date_values_are_values() -> None:
    a, b = DateParam("2026-05-04"), DateParam("eq2026-05-04")
    assert a == b and hash(a) == hash(b) and a != DateParam("ge2026-05-04")
    assert pickle.loads(pickle.dumps(a)) == a and pickle.loads(pickle.dumps(b)).text == "eq2026-05-04"
    assert repr(a) == 'hcas.DateParam("2026-05-04")'


def test_tokens() -> None:
    t1 = TokenParam("http://x|gp")
    assert (t1.system, t1.code) == ("http://x", "gp")
    assert t1.matches("http://x", "gp") and not t1.matches("http://y", "gp") and not t1.matches(None, "gp")
    bare = TokenParam("gp")
    assert bare.matches(None, "gp") and bare.matches("http://y", "gp") and not bare.matches(None, "gq")
    no_system = TokenParam("|gp")
    assert no_system.system == "" and no_system.matches(None, "gp") and not no_system.matches("http://x", "gp")
    any_code = TokenParam("http://x|")
    assert any_code.code is None and any_code.matches("http://x", "whatever") and not any_code.matches(None, "whatever")
    for bad in ("", "|"):
        with pytest.raises(hcas.InvalidRequestError, match="not a token"):
            TokenParam(bad)
    assert pickle.loads(pickle.dumps(t1)) == t1 and hash(TokenParam("gp")) == hash(bare)


def test_references_and_count() -> None:
    types = ["Practitioner", "Patient"]
    r = ReferenceParam("Practitioner/P1", types)
    assert (r.resource_type, r.id, r.types) == ("Practitioner", "P1", types)
    assert r.names("Practitioner", "P1") and not r.names("Patient", "P1") and not r.names("Practitioner", "P2")
    bare = ReferenceParam("P1", types)
    assert bare.resource_type is None and bare.names("Patient", "P1") and bare.names("Practitioner", "P1")
    for bad in ("Device/D1", "http://example.org/Practitioner/P1", "Practitioner/P1/_history/2", "Practitioner/"):
        with pytest.raises(hcas.InvalidRequestError):
            ReferenceParam(bad, types)
    assert pickle.loads(pickle.dumps(r)) == r and r != ReferenceParam("Practitioner/P1", ["Practitioner"])
    assert hcas.MAX_COUNT == 500
    assert (hcas.parse_count("0"), hcas.parse_count("500")) == (0, 500)
    for bad in ("501", "-1", "ten", ""):
        with pytest.raises(hcas.InvalidRequestError, match="_count"):
            hcas.parse_count(bad)
