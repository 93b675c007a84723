"""A real FHIR client against a running hcas server.

fhirpy (PyPI) searches, pages (following the server's `next` links) and
`_include`s, and runs the IHE ITI Scheduling operations ($find, $hold,
$book, cancel through $book); every resource the server answers, Bundles and
OperationOutcomes included, is validated with the R4B models of
fhir.resources (PyPI), an implementation no one here wrote. Driven by
crates/hcas-server/tests/fhir_client.rs, which starts the server, loads the
data described there and passes:

  HCAS_FHIR_URL    the FHIR base (http://127.0.0.1:PORT/fhir/r4)
  HCAS_URL         the server (for the REST slot search to compare with)
  HCAS_DOCTOR      a doctor's bearer token
  HCAS_PATIENT     patient X1's bearer token
  HCAS_PATIENT2    patient X2's bearer token (X2 has a consent)
  HCAS_FROM/HCAS_TO  the window of day 2 (RFC 3339)

Exits non-zero (an assertion or validation error) on the first mismatch and
prints how many resources it validated.
"""

import json
import os
import sys

import requests
from fhir.resources.R4B import get_fhir_model_class
from fhirpy import SyncFHIRClient

BASE = os.environ["HCAS_FHIR_URL"]
REST = os.environ["HCAS_URL"]
DOCTOR = os.environ["HCAS_DOCTOR"]
PATIENT = os.environ["HCAS_PATIENT"]
PATIENT2 = os.environ["HCAS_PATIENT2"]
FROM = os.environ["HCAS_FROM"]
TO = os.environ["HCAS_TO"]

validated = {}


def validate(data):
    """Validate one resource (and, for a Bundle, every entry's) as R4B."""
    if hasattr(data, "serialize"):
        data = data.serialize()
    data = json.loads(json.dumps(data))
    kind = data["resourceType"]
    get_fhir_model_class(kind).model_validate(data)
    validated[kind] = validated.get(kind, 0) + 1
    for entry in data.get("entry", []):
        validate(entry["resource"])
    return data


def raw(path, token, **params):
    """GET under the base with requests; the body validated; (status, body)."""
    r = requests.get(
        f"{BASE}/{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.headers["content-type"].startswith("application/fhir+json"), r.headers
    return r.status_code, validate(r.json())


def parameters(**named):
    """A Parameters resource: each keyword (`_` for `-`) is (value element, value)."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": name.replace("_", "-"), element: value}
            for name, (element, value) in named.items()
        ],
    }


def reference(ref):
    return ("valueReference", {"reference": ref})


def rest_slots():
    """The starts the REST slot search offers P1 in the window now."""
    rest = requests.get(
        f"{REST}/v1/slots",
        params={"provider": "P1", "from": FROM, "to": TO, "duration": 30},
        headers={"Authorization": f"Bearer {PATIENT}"},
        timeout=30,
    ).json()
    return [s["start"] for s in rest["slots"]]


def one_appointment(bundle):
    entries = bundle["entry"]
    assert len(entries) == 1 and entries[0]["resource"]["resourceType"] == "Appointment", bundle
    return entries[0]["resource"]


def ihe_operations(patient):
    """IHE ITI Scheduling with fhirpy: $find, $hold, $book, cancel."""
    find = parameters(
        start=("valueDateTime", FROM),
        end=("valueDateTime", TO),
        practitioner=reference("Practitioner/P1"),
        patient_reference=reference("Patient/X1"),
    )
    proposals = validate(patient.execute("Appointment/$find", data=find))
    offered = [e["resource"]["start"] for e in proposals["entry"]]
    assert offered == rest_slots(), (offered, rest_slots())
    assert {e["resource"]["status"] for e in proposals["entry"]} == {"proposed"}, proposals
    got = validate(
        patient.execute(
            "Appointment/$find",
            method="get",
            params={"start": FROM, "end": TO, "practitioner": "Practitioner/P1"},
        )
    )
    assert [e["resource"]["start"] for e in got["entry"]] == offered, got

    first = proposals["entry"][0]["resource"]
    held = one_appointment(
        validate(
            patient.execute(
                "Appointment/$hold",
                data=parameters(appointment_reference=reference(f"Appointment/{first['id']}")),
            )
        )
    )
    assert held["status"] == "pending" and held["start"] == first["start"], held
    now = [e["resource"]["start"] for e in validate(patient.execute("Appointment/$find", data=find))["entry"]]
    assert first["start"] not in now and now == rest_slots(), now

    # Another patient holding it is refused: 409 naming the hold.
    other = dict(
        first,
        participant=[first["participant"][0], {"actor": {"reference": "Patient/X2"}, "status": "accepted"}],
    )
    other.pop("id")
    r = requests.post(
        f"{BASE}/Appointment/$hold",
        json=parameters(appointment_resource=("resource", other)),
        headers={"Authorization": f"Bearer {PATIENT2}"},
        timeout=30,
    )
    body = validate(r.json())
    assert r.status_code == 409 and body["resourceType"] == "OperationOutcome", body
    assert f"Appointment/{held['id']}" in body["issue"][1]["diagnostics"], body

    booked = one_appointment(
        validate(
            patient.execute(
                "Appointment/$book",
                data=parameters(appointment_reference=reference(f"Appointment/{held['id']}")),
            )
        )
    )
    assert booked["status"] == "booked" and booked["id"] == held["id"], booked
    cancel = dict(booked, status="cancelled", cancelationReason={"text": "plans changed"})
    cancelled = one_appointment(
        validate(
            patient.execute(
                "Appointment/$book", data=parameters(appointment_resource=("resource", cancel))
            )
        )
    )
    assert cancelled["status"] == "cancelled", cancelled
    assert first["start"] in rest_slots(), "a cancelled appointment frees its slot"


def main():
    doctor = SyncFHIRClient(BASE, authorization=f"Bearer {DOCTOR}")
    patient = SyncFHIRClient(BASE, authorization=f"Bearer {PATIENT}")

    # The CapabilityStatement (public).
    cs = validate(requests.get(f"{BASE}/metadata", timeout=30).json())
    assert cs["fhirVersion"] == "4.0.1"
    kinds = [r["type"] for r in cs["rest"][0]["resource"]]
    assert "Slot" in kinds and "Location" in kinds and "Device" not in kinds, kinds

    # Slots: fhirpy pages through `next` links, 2 at a time, and finds
    # exactly what the REST slot search offers.
    rest = requests.get(
        f"{REST}/v1/slots",
        params={"provider": "P1", "from": FROM, "to": TO, "duration": 30},
        headers={"Authorization": f"Bearer {PATIENT}"},
        timeout=30,
    ).json()
    want = [s["start"] for s in rest["slots"]]
    assert want, rest
    search = patient.resources("Slot").search(schedule="Schedule/P1", start__ge=FROM, start__lt=TO)
    paged = search.limit(2).fetch_all()
    for s in paged:
        validate(s)
    assert [s["start"] for s in paged] == want, ([s["start"] for s in paged], want)
    assert search.count() == len(want)

    # _include=Slot:schedule: the Schedule comes along.
    bundle = validate(search.include("Slot", "schedule").limit(50).fetch_raw())
    modes = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]}
    assert modes == {("Slot", "match"), ("Schedule", "include")}, modes
    assert bundle["total"] == len(want)

    # Appointments: the doctor sees X1's two, not X2's (consent denies).
    appts = doctor.resources("Appointment").search(practitioner="Practitioner/P1")
    found = appts.limit(1).fetch_all()
    for a in found:
        validate(a)
    assert len(found) == 2, [a["id"] for a in found]
    refs = {p["actor"]["reference"] for a in found for p in a["participant"]}
    assert refs == {"Practitioner/P1", "Patient/X1"}, refs
    bundle = validate(
        doctor.resources("Appointment")
        .search(patient="X1")
        .include("Appointment", "actor")
        .fetch_raw()
    )
    included = sorted(
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
        if e["search"]["mode"] == "include"
    )
    assert included == ["Patient/X1", "Practitioner/P1"], included
    # POST _search with a form body.
    r = requests.post(
        f"{BASE}/Appointment/_search",
        data={"patient": "X1", "status": "booked"},
        headers={"Authorization": f"Bearer {DOCTOR}"},
        timeout=30,
    )
    assert validate(r.json())["total"] == 2

    # Reads.
    p1 = validate(doctor.reference("Practitioner", "P1").to_resource())
    assert p1["name"][0]["text"] == "Dr P1"
    validate(patient.reference("Patient", "X1").to_resource())
    validate(patient.reference("Appointment", found[0]["id"]).to_resource())
    for kind in ("PractitionerRole", "Schedule"):
        validate(patient.resources(kind).fetch_raw())
    consents = validate(
        SyncFHIRClient(BASE, authorization=f"Bearer {PATIENT2}")
        .resources("Consent")
        .search(patient="Patient/X2")
        .fetch_raw()
    )
    assert consents["total"] == 1 and consents["entry"][0]["resource"]["id"] == "KX2", consents

    # The validator is not a rubber stamp: broken copies of a served Slot
    # (no schedule, a start that is no instant, an element R4 lacks) fail.
    # (It checks structure and datatypes, not code values: fhir.resources
    # accepts any code, so statuses are asserted above instead.)
    served = paged[0].serialize()
    without_schedule = {k: v for k, v in served.items() if k != "schedule"}
    for broken in (without_schedule, dict(served, start="tomorrow"), dict(served, overbook=True)):
        try:
            validate(broken)
        except Exception:  # noqa: BLE001 (pydantic's ValidationError)
            continue
        raise AssertionError(f"fhir.resources accepted a broken Slot: {broken}")

    # Errors are OperationOutcomes.
    status, body = raw("Appointment", DOCTOR, patient="X2")
    assert status == 403 and body["resourceType"] == "OperationOutcome", body
    status, body = raw("Device", DOCTOR)
    assert status == 404 and body["issue"][0]["code"] == "not-supported", body
    status, body = raw("Slot", DOCTOR, start="ge2026-13-01")
    assert status == 400 and body["issue"][0]["code"] == "invalid", body

    ihe_operations(patient)

    total = sum(validated.values())
    print(f"validated {total} resources as FHIR R4B: {dict(sorted(validated.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
