"""The FHIR R4 mapping (hcas_core::fhir, Consent aside) through the typed API.
Expectations come from the mapping tables in the core's module docs and
docs/fhir.md (resources are plain dicts; instants are written in UTC with
`Z`; errors start with the JSON path or hcas field to fix); ids and instants
are recomputed here with the standard library."""

import copy
import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import hcas
from hcas import Booking, FhirSchedule, FhirSlot, ScheduleAvailability, SlotStatus, Status, WorkingRule

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")
HOLD_EXPIRES = "https://hcas.dev/fhir/StructureDefinition/hold-expires"
RECURRENCE_ID = "https://hcas.dev/fhir/StructureDefinition/recurrence-id"
R5_RECURRENCE_ID = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId"
ORIGINATING = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment"


def at(h: int, m: int = 0, day: int = 4) -> dt.datetime:
    return dt.datetime(2026, 5, day, h, m, tzinfo=UTC)


def parse(text: str) -> dt.datetime:
    """A FHIR instant written with `Z`, read by the standard library."""
    assert text.endswith("Z"), text
    return dt.datetime.fromisoformat(text[:-1] + "+00:00")


# --- Appointment ---


def test_a_booking_round_trips_through_an_appointment() -> None:
    b = Booking("a1", ["provider:P1", "patient:X1", "room:R2"], at(9), at(9, 45))
    fhir = hcas.appointment_to_fhir(b)
    assert fhir == {
        "resourceType": "Appointment",
        "id": "a1",
        "status": "booked",
        "start": "2026-05-04T09:00:00Z",
        "end": "2026-05-04T09:45:00Z",
        "minutesDuration": 45,
        "participant": [
            {"actor": {"reference": "Practitioner/P1"}, "status": "accepted"},
            {"actor": {"reference": "Patient/X1"}, "status": "accepted"},
            {"actor": {"reference": "Location/R2"}, "status": "accepted"},
        ],
    }
    assert hcas.appointment_from_fhir(fhir) == b


def test_a_hold_is_pending_with_its_expiry() -> None:
    h = Booking("h1", ["provider:P1"], at(9), at(9, 30), Status.HELD, hold_expires=at(8, 10))
    fhir = hcas.appointment_to_fhir(h)
    assert fhir["status"] == "pending"
    assert fhir["extension"] == [{"url": HOLD_EXPIRES, "valueInstant": "2026-05-04T08:10:00Z"}]
    back = hcas.appointment_from_fhir(fhir)
    assert back == h and back.status is Status.HELD and back.hold_expires == at(8, 10)
    # Every other status keeps its code (device maps to Device).
    for status in Status:
        if status is not Status.HELD:
            b = Booking("a1", ["device:D1"], at(9), at(10), status)
            assert hcas.appointment_to_fhir(b)["status"] == status.value
            assert hcas.appointment_from_fhir(hcas.appointment_to_fhir(b)) == b


def test_the_fields_an_import_requires_are_named_when_missing() -> None:
    good = hcas.appointment_to_fhir(Booking("a1", ["provider:P1"], at(9), at(10)))
    for key in ("id", "status", "start", "end"):
        bad = {k: v for k, v in good.items() if k != key}
        with pytest.raises(hcas.InvalidRequestError) as e:
            hcas.appointment_from_fhir(bad)
        assert e.value.code == "invalid_request" and e.value.message.startswith(key), e.value.message
    with pytest.raises(hcas.InvalidRequestError, match="^resourceType"):
        hcas.appointment_from_fhir({**good, "resourceType": "Slot"})


def test_an_invalid_appointment_raises_its_family_naming_the_field() -> None:
    good = hcas.appointment_to_fhir(Booking("a1", ["provider:P1", "patient:X1"], at(9), at(10)))
    other = copy.deepcopy(good)
    other["participant"][1]["actor"]["reference"] = "Organization/O1"
    with pytest.raises(hcas.InvalidRequestError) as e:
        hcas.appointment_from_fhir(other)
    assert e.value.message.startswith("participant[1].actor.reference:")
    with pytest.raises(hcas.InvalidDatetimeError) as d:
        hcas.appointment_from_fhir({**good, "start": "2026-05-04T09:00:00"})
    assert d.value.message.startswith("start")
    with pytest.raises(hcas.InvalidIntervalError) as i:
        hcas.appointment_from_fhir({**good, "end": "2026-05-04T08:00:00Z"})
    assert i.value.message.startswith("end")
    with pytest.raises(hcas.InvalidRequestError, match="^minutesDuration"):
        hcas.appointment_from_fhir({**good, "minutesDuration": 30})
    with pytest.raises(hcas.InvalidRequestError, match="^modifierExtension"):
        hcas.appointment_from_fhir({**good, "modifierExtension": [{"url": "x"}]})
    with pytest.raises(hcas.InvalidRequestError, match="resource"):
        hcas.appointment_from_fhir({**good, "start": object()})


def test_an_export_refuses_what_fhir_cannot_carry_naming_the_hcas_field() -> None:
    with pytest.raises(hcas.InvalidRequestError) as e:
        hcas.appointment_to_fhir(Booking("a1", ["provider:P1", "kind:X"], at(9), at(10)))
    assert e.value.message.startswith("resources[1]")


def occurrence(id: str, day: int) -> dict[str, Any]:
    """An occurrence of series s at 09:00 on 2026-05-<day>, as the core writes it."""
    return {
        "resourceType": "Appointment",
        "id": id,
        "status": "booked",
        "start": f"2026-05-{day:02}T09:00:00Z",
        "end": f"2026-05-{day:02}T09:30:00Z",
        "minutesDuration": 30,
        "participant": [{"actor": {"reference": "Practitioner/P1"}, "status": "accepted"}],
        "extension": [
            {"url": RECURRENCE_ID, "valueString": f"2026-05-{day:02}T09:00:00"},
            {"url": ORIGINATING, "valueReference": {"reference": "Appointment/s"}},
        ],
    }


def test_series_occurrences_are_numbered_and_keep_their_recurrence_id() -> None:
    fhir = [occurrence("s-12", 12), occurrence("s-05", 5), occurrence("s-19", 19)]
    series = [hcas.appointment_from_fhir(f) for f in fhir]
    # FHIR -> hcas -> FHIR keeps every element.
    assert [hcas.appointment_to_fhir(b) for b in series] == fhir
    # Places among the distinct recurrence ids, earliest first: 5 May, 12 May, 19 May.
    assert hcas.recurrence_numbers(series) == [2, 1, 3]
    numbered = hcas.occurrence_to_fhir(series[0], 2)
    assert numbered["extension"][-1] == {"url": R5_RECURRENCE_ID, "valuePositiveInt": 2}
    assert hcas.appointment_from_fhir(numbered) == series[0]
    single = Booking("a1", ["provider:P1"], at(9), at(10))
    with pytest.raises(hcas.InvalidRequestError, match="^series"):
        hcas.occurrence_to_fhir(single, 1)
    with pytest.raises(hcas.InvalidRequestError, match="occurrences\\[1\\]"):
        hcas.recurrence_numbers([series[0], single])
    for bad in (0, -1):
        with pytest.raises(hcas.InvalidRequestError):
            hcas.occurrence_to_fhir(series[0], bad)


def test_a_booking_read_from_fhir_keeps_its_series_through_pickle() -> None:
    b = hcas.appointment_from_fhir(occurrence("s-05", 5))
    assert b.series is not None and b.series.id == "s"
    back = pickle.loads(pickle.dumps(b))
    assert back == b and back.series == b.series


# --- Slot ---


def test_slots_across_a_dst_change_keep_their_local_time_written_in_utc() -> None:
    # Weekdays 09:00-10:00 London; the clocks go forward on Sunday 29 March 2026.
    hours = WorkingRule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "09:00", "10:00", dtstart=dt.date(2026, 3, 2))
    avail = hcas.Availability("Europe/London", [hours])
    hour = dt.timedelta(hours=1)
    starts = avail.slots(dt.datetime(2026, 3, 27, tzinfo=UTC), dt.datetime(2026, 3, 31, tzinfo=UTC), hour)
    slots = hcas.slots_to_fhir("dr-lee", starts, hour)
    # Friday 09:00 GMT is 09:00Z; Monday 09:00 BST is 08:00Z.
    assert [(s["start"], s["end"]) for s in slots] == [
        ("2026-03-27T09:00:00Z", "2026-03-27T10:00:00Z"),
        ("2026-03-30T08:00:00Z", "2026-03-30T09:00:00Z"),
    ]
    for s, offset in zip(slots, (dt.timedelta(0), hour)):
        wall = parse(s["start"]).astimezone(LONDON)
        assert (wall.hour, wall.minute, wall.utcoffset()) == (9, 0, offset)
        assert s["status"] == "free" and s["schedule"] == {"reference": "Schedule/dr-lee"}
        assert s["id"] == f"dr-lee-{int(parse(s['start']).timestamp())}"
        assert s["resourceType"] == "Slot"
        assert hcas.slot_from_fhir(s) == FhirSlot("dr-lee", parse(s["start"]), parse(s["end"]), SlotStatus.FREE)
        assert hcas.parse_slot_id(s["id"]) == ("dr-lee", parse(s["start"]))


def test_a_slot_round_trips_and_statuses_are_an_enum() -> None:
    assert [s.value for s in SlotStatus] == hcas.SLOT_STATUSES and len(SlotStatus) == 5
    slot = hcas.slot_to_fhir("S1", at(9), at(9, 30), "busy-tentative")
    assert slot["id"] == f"S1-{int(at(9).timestamp())}" and slot["status"] == "busy-tentative"
    got = hcas.slot_from_fhir(slot)
    assert got.status is SlotStatus.BUSY_TENTATIVE and got.schedule == "S1" and got.id == slot["id"]
    assert got.to_fhir() == slot
    tagged = FhirSlot("S1", at(9), at(9, 30), SlotStatus.FREE, id="x9", service_types=["cardiology"])
    out = tagged.to_fhir()
    assert out["id"] == "x9" and out["serviceType"][0]["coding"][0]["code"] == "cardiology"
    assert tagged.service_types == ("cardiology",)
    assert pickle.loads(pickle.dumps(tagged)) == tagged and hash(copy.copy(tagged)) == hash(tagged)
    assert tagged != FhirSlot("S1", at(9), at(9, 30), SlotStatus.FREE)
    assert hcas.parse_slot_id("dr-lee") is None and hcas.parse_slot_id("dr-lee-0012") is None
    with pytest.raises(hcas.InvalidRequestError, match="status"):
        FhirSlot("S1", at(9), at(9, 30), "open")
    with pytest.raises(hcas.InvalidRequestError, match="^schedule"):
        hcas.slot_from_fhir({**slot, "schedule": {"reference": "Practitioner/P1"}})
    with pytest.raises(hcas.InvalidIntervalError, match="^end"):
        hcas.slot_from_fhir({**slot, "end": slot["start"]})
    with pytest.raises(hcas.InvalidDatetimeError):
        hcas.slots_to_fhir("S1", [dt.datetime(2026, 5, 4, 9)], dt.timedelta(minutes=30))


# --- Schedule ---


def test_a_schedule_round_trips_with_its_working_hours() -> None:
    rule = WorkingRule("FREQ=WEEKLY;BYDAY=MO,TU", "09:00", "24:00", dtstart=dt.date(2026, 1, 5))
    hours = ScheduleAvailability(ZoneInfo("Europe/London"), [rule])
    s = FhirSchedule("S1", ["provider:P1"], planning_horizon=(at(0), at(0, day=11)), availability=hours, specialties=["cardiology"])
    fhir = hcas.schedule_to_fhir(s)
    assert fhir["resourceType"] == "Schedule" and fhir["id"] == "S1" and fhir["active"] is True
    assert fhir["actor"] == [{"reference": "Practitioner/P1"}]
    assert fhir["planningHorizon"] == {"start": "2026-05-04T00:00:00Z", "end": "2026-05-11T00:00:00Z"}
    ext = fhir["extension"][0]["extension"]
    assert ext[0] == {"url": "timezone", "valueCode": "Europe/London"}
    assert ext[1]["extension"] == [
        {"url": "rrule", "valueString": "FREQ=WEEKLY;BYDAY=MO,TU"},
        {"url": "dtstart", "valueDate": "2026-01-05"},
        {"url": "start", "valueTime": "09:00:00"},
        {"url": "end", "valueString": "24:00:00"},
    ]
    back = hcas.schedule_from_fhir(fhir)
    assert back == s and back.availability == hours and back.specialties == ("cardiology",)
    assert back.planning_horizon == (at(0), at(0, day=11))
    assert pickle.loads(pickle.dumps(s)) == s and hash(pickle.loads(pickle.dumps(s))) == hash(s)
    assert pickle.loads(pickle.dumps(hours)) == hours
    # The working hours give the slots the rule describes: Monday 4 May, 09:00 BST = 08:00Z.
    avail = hours.to_availability()
    assert avail.slots(at(0), at(12), dt.timedelta(hours=1))[0] == at(8)
    inactive = FhirSchedule("S2", ["room:R1"], active=False)
    assert hcas.schedule_to_fhir(inactive)["active"] is False
    assert hcas.schedule_from_fhir(hcas.schedule_to_fhir(inactive)) == inactive


def test_an_invalid_schedule_names_the_field() -> None:
    fhir = hcas.schedule_to_fhir(FhirSchedule("S1", ["provider:P1"]))
    with pytest.raises(hcas.InvalidRequestError) as e:
        hcas.schedule_from_fhir({**fhir, "actor": [{"reference": "Organization/O1"}]})
    assert e.value.message.startswith("actor[0].reference")
    with pytest.raises(hcas.InvalidRequestError, match="^actors"):
        hcas.schedule_to_fhir(FhirSchedule("S1", []))
    with pytest.raises(hcas.InvalidRequestError, match="^actors\\[0\\]"):
        hcas.schedule_to_fhir(FhirSchedule("S1", ["kind:X"]))
    with pytest.raises(hcas.InvalidRequestError, match="^planningHorizon.end"):
        hcas.schedule_from_fhir({**fhir, "planningHorizon": {"start": "2026-05-04T00:00:00Z"}})
    with pytest.raises(hcas.InvalidIntervalError):
        FhirSchedule("S1", ["provider:P1"], planning_horizon=(at(10), at(9)))


# --- Bundle, OperationOutcome ---


def test_a_searchset_bundle() -> None:
    appt = hcas.appointment_to_fhir(Booking("a1", ["provider:P1"], at(9), at(10)))
    m = hcas.SearchEntry.matched("http://h/fhir/r4", appt)
    inc = hcas.SearchEntry.included("http://h/fhir/r4", {"resourceType": "Practitioner", "id": "P1"})
    assert (m.full_url, m.mode, m.resource) == ("http://h/fhir/r4/Appointment/a1", "match", appt)
    b = hcas.searchset(3, "http://h/x?_count=2", "http://h/x?_count=2&_offset=2", [m, inc])
    assert b["resourceType"] == "Bundle" and b["type"] == "searchset" and b["total"] == 3
    assert b["link"] == [
        {"relation": "self", "url": "http://h/x?_count=2"},
        {"relation": "next", "url": "http://h/x?_count=2&_offset=2"},
    ]
    assert [e["search"]["mode"] for e in b["entry"]] == ["match", "include"]
    assert b["entry"][1]["fullUrl"] == "http://h/fhir/r4/Practitioner/P1"
    page = hcas.searchset_page("http://h/x", None, [])
    assert "total" not in page and "entry" not in page and len(page["link"]) == 1
    assert pickle.loads(pickle.dumps(inc)) == inc and pickle.loads(pickle.dumps(m)) == m
    assert m != inc and hash(m) == hash(hcas.SearchEntry.matched("http://h/fhir/r4", appt))


def test_operation_outcomes_carry_the_hcas_code() -> None:
    oo = hcas.operation_outcome("not-found", "not_found", "no such patient")
    issue = oo["issue"][0]
    assert oo["resourceType"] == "OperationOutcome" and issue["severity"] == "error" and issue["code"] == "not-found"
    assert issue["details"]["coding"] == [{"system": hcas.ERROR_SYSTEM, "code": "not_found"}]
    assert issue["details"]["text"] == issue["diagnostics"] == "no such patient"
    # A conflict from the ledger: b1 holds P1 and X1, b2 holds P1 (09:30-10:00).
    # Ledger.check answers by resource name (patient: before provider:), and the
    # outcome lists each booking's resources in that order, bookings by id.
    ledger = hcas.Ledger(
        [
            Booking("b1", ["provider:P1", "patient:X1"], at(9), at(10)),
            Booking("b2", ["provider:P1"], at(9, 30), at(10)),
        ]
    )
    ledger.set_capacity("provider:P1", 1)
    conflicts = ledger.check(["provider:P1", "patient:X1"], at(9, 30), at(10), at(8))
    out = hcas.conflict_outcome("taken", conflicts)
    assert [i["diagnostics"] for i in out["issue"]] == [
        "taken",
        "Appointment/b1 holds Patient/X1, Practitioner/P1",
        "Appointment/b2 holds Practitioner/P1",
    ]
    assert all(i["code"] == "conflict" for i in out["issue"])


# --- AuditEvent ---


def test_an_audit_record_as_an_audit_event() -> None:
    facts = hcas.AuditFacts(
        "42",
        at(9),
        "D1",
        "patient.read",
        "patient:X1",
        "permit",
        roles=["doctor"],
        patient="X1",
        purpose="TREAT",
        details=[("basis", "consent")],
        site="org-a",
    )
    e = hcas.audit_event_to_fhir(facts)
    assert e["resourceType"] == "AuditEvent" and e["id"] == "42" and e["recorded"] == "2026-05-04T09:00:00Z"
    assert e["type"]["code"] == "110110"  # a patient's data: DICOM Patient Record
    assert (e["action"], e["outcome"]) == ("R", "0")
    assert e["entity"][0]["what"]["reference"] == "Patient/X1"
    assert e["agent"][0]["who"]["identifier"]["value"] == "D1" and e["agent"][0]["requestor"] is True
    assert e["purposeOfEvent"][0]["coding"][0]["code"] == "TREAT"
    # A refused booking by a patient, no patient data touched: C, outcome 4, rest.
    deny = hcas.AuditFacts("43", at(9), "X1", "appointment.book", "booking:a1", "deny", roles=["patient"])
    d = hcas.audit_event_to_fhir(deny)
    assert (d["action"], d["outcome"], d["type"]["code"]) == ("C", "4", "rest")
    assert d["agent"][0]["who"] == {"reference": "Patient/X1"}
    assert d["entity"][0]["what"]["reference"] == "Appointment/a1"
    assert pickle.loads(pickle.dumps(facts)) == facts and hash(copy.copy(facts)) == hash(facts)
    assert facts != deny and facts.details == [("basis", "consent")] and facts.roles == ("doctor",)
    with pytest.raises(hcas.InvalidRequestError, match="^id"):
        hcas.audit_event_to_fhir(hcas.AuditFacts("4_2", at(9), "D1", "patient.read", "patient:X1", "permit"))
    with pytest.raises(hcas.InvalidRequestError, match="^actor"):
        hcas.audit_event_to_fhir(hcas.AuditFacts("42", at(9), "", "patient.read", "patient:X1", "permit"))
    with pytest.raises(hcas.InvalidDatetimeError):
        hcas.AuditFacts("42", dt.datetime(2026, 5, 4, 9), "D1", "patient.read", "patient:X1", "permit")


# --- Series template (R5 recurrenceTemplate) ---

RECURRENCE_TEMPLATE = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceTemplate"


def weekly_tuesdays() -> dict[str, Any]:
    """Four Tuesdays at 09:00 London from 24 March 2026, as the core writes it
    (sub-extensions in its order: timezone, recurrenceType, occurrenceCount,
    weeklyTemplate)."""
    return {
        "url": RECURRENCE_TEMPLATE,
        "extension": [
            {
                "url": "timezone",
                "valueCodeableConcept": {"coding": [{"system": "https://www.iana.org/time-zones", "code": "Europe/London"}]},
            },
            {"url": "recurrenceType", "valueCodeableConcept": {"coding": [{"system": "http://unitsofmeasure.org", "code": "wk"}]}},
            {"url": "occurrenceCount", "valuePositiveInt": 4},
            {
                "url": "weeklyTemplate",
                "extension": [{"url": "tuesday", "valueBoolean": True}, {"url": "weekInterval", "valuePositiveInt": 1}],
            },
        ],
    }


def test_a_series_template_round_trips_and_keeps_its_wall_time_across_bst() -> None:
    first = dt.datetime(2026, 3, 24, 9, tzinfo=UTC)  # a Tuesday, 09:00 GMT
    appt = {**hcas.appointment_to_fhir(Booking("s1", ["provider:P1"], first, first + dt.timedelta(minutes=30)))}
    appt["extension"] = [weekly_tuesdays()]
    series = hcas.series_from_fhir(appt)
    assert series is not None
    expected = hcas.RecurrenceTemplate("Europe/London", hcas.RecurrenceType.WEEKLY, days=["TU"], occurrence_count=4)
    assert series.recurrence == expected and series.template == Booking("s1", ["provider:P1"], first, first + dt.timedelta(minutes=30))
    assert hcas.series_to_fhir(series) == appt
    assert hcas.series_to_fhir(hcas.FhirSeries(series.template, expected)) == appt
    t = series.recurrence
    assert (t.recurrence_type, t.days, t.day, t.interval, t.occurrence_count) == (hcas.RecurrenceType.WEEKLY, ["TU"], None, 1, 4)
    assert t.zone == hcas.Zone("Europe/London") and t.to_fhir() == weekly_tuesdays()
    # 09:00 local each Tuesday: GMT before 29 March, BST (08:00Z) after.
    rec = t.recurrence(dt.datetime(2026, 3, 24, 9))
    assert rec.between(first, first + dt.timedelta(days=60)) == [
        first,
        dt.datetime(2026, 3, 31, 8, tzinfo=UTC),
        dt.datetime(2026, 4, 7, 8, tzinfo=UTC),
        dt.datetime(2026, 4, 14, 8, tzinfo=UTC),
    ]
    assert pickle.loads(pickle.dumps(series)) == series and hash(copy.copy(series)) == hash(series)
    assert hcas.series_from_fhir(hcas.appointment_to_fhir(series.template)) is None


def test_recurrence_templates_of_each_type() -> None:
    monthly = hcas.RecurrenceTemplate(
        "UTC", "mo", day=31, interval=2, last_occurrence_date=dt.date(2026, 12, 31), excluding_dates=[dt.date(2026, 3, 31)]
    )
    ext = monthly.to_fhir()["extension"]
    assert {"url": "lastOccurrenceDate", "valueDate": "2026-12-31"} in ext
    assert {"url": "excludingDate", "valueDate": "2026-03-31"} == ext[-1]
    assert {
        "url": "monthlyTemplate",
        "extension": [{"url": "dayOfMonth", "valuePositiveInt": 31}, {"url": "monthInterval", "valuePositiveInt": 2}],
    } in ext
    assert hcas.RecurrenceTemplate.from_fhir(monthly.to_fhir()) == monthly
    assert pickle.loads(pickle.dumps(monthly)) == monthly and monthly.excluding_dates == [dt.date(2026, 3, 31)]
    # Every other month on the 31st from 31 January: January, (March excluded), May, July...
    got = monthly.recurrence(dt.datetime(2026, 1, 31, 10)).between(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 8, 1, tzinfo=UTC))
    assert [t.date() for t in got] == [dt.date(2026, 1, 31), dt.date(2026, 5, 31), dt.date(2026, 7, 31)]
    daily = hcas.RecurrenceTemplate("UTC", hcas.RecurrenceType.DAILY, occurrence_count=2, occurrence_dates=[dt.date(2026, 2, 1)])
    assert daily.interval == 1 and daily.days == [] and daily.occurrence_dates == [dt.date(2026, 2, 1)]
    yearly = hcas.RecurrenceTemplate("UTC", "a", interval=3, occurrence_count=2)
    assert yearly.recurrence_type is hcas.RecurrenceType.YEARLY and yearly.interval == 3
    assert yearly != hcas.RecurrenceTemplate("UTC", "a", interval=2, occurrence_count=2)


def test_a_template_hcas_cannot_book_is_refused_naming_the_element() -> None:
    # excludingRecurrenceId is not supported (the module docs): refused at its path.
    unsupported = weekly_tuesdays()
    unsupported["extension"].append({"url": "excludingRecurrenceId", "valueString": "2026-03-31T09:00:00"})
    with pytest.raises(hcas.InvalidRequestError) as e:
        hcas.RecurrenceTemplate.from_fhir(unsupported, "extension[0]")
    assert e.value.message.startswith("extension[0].extension[4]")
    # A template without an end reads, but hcas books a finite series only:
    # expanding it is refused (below), naming occurrenceCount.
    no_end = weekly_tuesdays()
    del no_end["extension"][2]
    assert hcas.RecurrenceTemplate.from_fhir(no_end).occurrence_count is None
    no_zone = weekly_tuesdays()
    del no_zone["extension"][0]
    with pytest.raises(hcas.InvalidRequestError, match="timezone"):
        hcas.RecurrenceTemplate.from_fhir(no_zone)
    # Without an end it can be written but not expanded: hcas books a finite series.
    open_ended = hcas.RecurrenceTemplate("UTC", "wk", days=["MO"])
    with pytest.raises(hcas.InvalidRequestError, match="occurrenceCount"):
        open_ended.recurrence(dt.datetime(2026, 1, 5, 9))
    with pytest.raises(hcas.InvalidRequestError, match="^day"):
        hcas.RecurrenceTemplate("UTC", "mo", occurrence_count=1)
    with pytest.raises(hcas.InvalidRequestError, match="^days"):
        hcas.RecurrenceTemplate("UTC", "d", days=["MO"], occurrence_count=1)
    with pytest.raises(hcas.InvalidRequestError, match="days\\[1\\]"):
        hcas.RecurrenceTemplate("UTC", "wk", days=["MO", "Tuesday"], occurrence_count=1)
    with pytest.raises(hcas.InvalidRequestError, match="recurrence_type"):
        hcas.RecurrenceTemplate("UTC", "hourly", occurrence_count=1)
    with pytest.raises(hcas.InvalidDatetimeError):
        hcas.RecurrenceTemplate("UTC", "wk", days=["MO"], occurrence_count=1).recurrence(dt.datetime(2026, 1, 5, 9, tzinfo=UTC))


# --- The official HL7 R4 examples the core's tests keep (crates/hcas-core/tests/fhir) ---

EXAMPLES = Path(__file__).resolve().parents[3] / "crates" / "hcas-core" / "tests" / "fhir"


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def test_the_official_examples_read_as_their_participants_and_times_say() -> None:
    # appointment-example: Patient/example, Practitioner/example, Location/1, 09:00-11:00Z.
    b = hcas.appointment_from_fhir(example("appointment-example.json"))
    two = dt.datetime(2013, 12, 10, 9, tzinfo=UTC)
    assert b == Booking("example", ["patient:example", "provider:example", "room:1"], two, two + dt.timedelta(hours=2))
    # Informational elements are not written back; what hcas models reads back as itself.
    assert hcas.appointment_from_fhir(hcas.appointment_to_fhir(b)) == b
    # appointment-2docs: its fourth participant is given by type only (a phone call).
    with pytest.raises(hcas.InvalidRequestError) as e:
        hcas.appointment_from_fhir(example("appointment-2docs.json"))
    assert e.value.message.startswith("participant[3].actor.reference")
    slot = hcas.slot_from_fhir(example("slot-example.json"))
    assert (slot.id, slot.schedule, slot.status) == ("example", "example", SlotStatus.FREE)
    assert (slot.start, slot.end) == (dt.datetime(2013, 12, 25, 9, 15, tzinfo=UTC), dt.datetime(2013, 12, 25, 9, 30, tzinfo=UTC))
    schedule = hcas.schedule_from_fhir(example("schedule-example.json"))
    assert schedule == FhirSchedule("example", ["room:1"], planning_horizon=(slot.start, slot.end))
