//! FHIR R4 mapping: fixtures modelled on the official R4 examples
//! (`Appointment/example`, `2docs`, `examplereq`, `Slot/example`, `1`, `3`,
//! `Schedule/example`) plus hcas-specific ones (holds, series, working hours);
//! round trips both ways, every error path, and a property test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use hcas_core::booking::{Booking, SeriesRef, Status};
use hcas_core::fhir::{
    EXT_AVAILABILITY, EXT_HOLD_EXPIRES, EXT_ORIGINATING_APPOINTMENT, EXT_R5_RECURRENCE_ID,
    EXT_RECURRENCE_ID, EXT_REPLACED_BY, EXT_REPLACES, FhirSchedule, FhirSlot, ScheduleAvailability,
    SlotStatus, appointment_from_fhir, appointment_to_fhir, occurrence_to_fhir, recurrence_numbers,
    schedule_from_fhir, schedule_to_fhir, slot_from_fhir, slot_to_fhir, slots_to_fhir,
};
use hcas_core::{
    ErrorCode, Interval, LocalTime, Minutes, Result, SlotQuery, Timestamp, WorkingRule, Zone,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/fhir/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn res(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_string()).collect()
}

/// Set (`Some`) or remove (`None`) the element at a JSON pointer; an index one
/// past the end of an array appends.
fn with(v: &Value, pointer: &str, new: Option<Value>) -> Value {
    let mut v = v.clone();
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    let target = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match (target, new) {
        (Value::Object(o), Some(n)) => {
            o.insert(last.to_string(), n);
        }
        (Value::Object(o), None) => {
            o.remove(last).unwrap_or_else(|| panic!("no {pointer}"));
        }
        (Value::Array(a), Some(n)) => {
            let i: usize = last.parse().unwrap();
            if i == a.len() {
                a.push(n);
            } else {
                a[i] = n;
            }
        }
        (Value::Array(a), None) => {
            a.remove(last.parse().unwrap());
        }
        _ => panic!("{parent} is not a container"),
    }
    v
}

#[track_caller]
fn assert_err<T: std::fmt::Debug>(r: Result<T>, path: &str, code: ErrorCode) {
    let e = r.expect_err(&format!("expected an error at {path}"));
    assert!(
        e.message().starts_with(&format!("{path}: ")),
        "expected path `{path}`, got: {e}"
    );
    assert_eq!(e.code(), code, "{e}");
}

// ---------------------------------------------------------------------------
// Appointment
// ---------------------------------------------------------------------------

fn ext<'a>(v: &'a Value, url: &str) -> Option<&'a Value> {
    v["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["url"] == url)
}

/// The elements of an Appointment that hcas models, normalised (instants to UTC).
fn modeled_appointment(v: &Value) -> Value {
    let instant = |x: Option<&Value>| x.and_then(Value::as_str).map(|s| t(s).to_string());
    let reference = |url| ext(v, url).map(|e| e["valueReference"]["reference"].clone());
    let actors: Vec<Value> = v["participant"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["actor"]["reference"].clone())
        .collect();
    json!({
        "id": v["id"],
        "status": v["status"],
        "start": instant(v.get("start")),
        "end": instant(v.get("end")),
        "actors": actors,
        "cancel": v.pointer("/cancelationReason/text"),
        "hold": instant(ext(v, EXT_HOLD_EXPIRES).map(|e| &e["valueInstant"])),
        "replaces": reference(EXT_REPLACES),
        "replaced_by": reference(EXT_REPLACED_BY),
        "recurrence_id": ext(v, EXT_RECURRENCE_ID).map(|e| e["valueString"].clone()),
        "series": reference(EXT_ORIGINATING_APPOINTMENT),
    })
}

/// FHIR → hcas → FHIR keeps every modelled element, and hcas → FHIR → hcas is the identity.
fn fhir_round_trip(src: &Value) -> Booking {
    let b = appointment_from_fhir(src).unwrap();
    let out = appointment_to_fhir(&b).unwrap();
    assert_eq!(modeled_appointment(&out), modeled_appointment(src));
    if let Some(m) = src.get("minutesDuration") {
        assert_eq!(&out["minutesDuration"], m);
    }
    assert_eq!(appointment_from_fhir(&out).unwrap(), b);
    b
}

#[test]
fn official_example_round_trips() {
    let src = load("appointment-example.json");
    let b = fhir_round_trip(&src);
    assert_eq!(
        b,
        Booking::new(
            "example",
            res(&["patient:example", "provider:example", "room:1"]),
            hcas_core::Interval::new(t("2013-12-10T09:00:00Z"), t("2013-12-10T11:00:00Z")).unwrap()
        )
    );
    // The exact output: informational elements are not written back.
    assert_eq!(
        appointment_to_fhir(&b).unwrap(),
        json!({
            "resourceType": "Appointment",
            "id": "example",
            "status": "booked",
            "start": "2013-12-10T09:00:00Z",
            "end": "2013-12-10T11:00:00Z",
            "minutesDuration": 120,
            "participant": [
                { "actor": { "reference": "Patient/example" }, "status": "accepted" },
                { "actor": { "reference": "Practitioner/example" }, "status": "accepted" },
                { "actor": { "reference": "Location/1" }, "status": "accepted" },
            ],
        })
    );
}

#[test]
fn official_2docs_refuses_the_phone_call_participant() {
    let src = load("appointment-2docs.json");
    assert_err(
        appointment_from_fhir(&src),
        "participant[3].actor.reference",
        ErrorCode::InvalidRequest,
    );
    let without = with(&src, "/participant/3", None);
    let b = fhir_round_trip(&without);
    assert_eq!(
        b.resources,
        res(&["patient:example", "provider:example", "provider:f202"])
    );
    assert_eq!(b.status, Status::Booked);
}

#[test]
fn official_examplereq_needs_a_time_and_actors() {
    let src = load("appointment-examplereq.json");
    assert_err(
        appointment_from_fhir(&src),
        "start",
        ErrorCode::InvalidRequest,
    );
    let timed = with(
        &with(&src, "/start", Some("2016-06-02T09:00:00Z".into())),
        "/end",
        Some("2016-06-02T09:15:00Z".into()),
    );
    // minutesDuration 15 agrees; the participant given only by type does not map.
    assert_err(
        appointment_from_fhir(&timed),
        "participant[1].actor",
        ErrorCode::InvalidRequest,
    );
    let b = fhir_round_trip(&with(&timed, "/participant/1", None));
    assert_eq!(b.status, Status::Proposed);
    assert_eq!(b.resources, res(&["patient:example", "room:1"]));
}

#[test]
fn held_is_pending_with_hold_expires() {
    let src = load("appointment-held.json");
    let b = fhir_round_trip(&src);
    let mut expected = Booking::new(
        "hold-7f3a",
        res(&["provider:P1", "patient:X1", "room:R2"]),
        hcas_core::Interval::new(t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z")).unwrap(),
    )
    .status(Status::Held);
    expected.hold_expires = Some(t("2026-05-04T08:10:00Z"));
    assert_eq!(b, expected);

    let out = appointment_to_fhir(&b).unwrap();
    assert_eq!(out["status"], "pending");
    assert_eq!(
        out["extension"],
        json!([{ "url": EXT_HOLD_EXPIRES, "valueInstant": "2026-05-04T08:10:00Z" }])
    );

    // pending without the extension stays pending, and exports without it.
    let plain = with(&src, "/extension/1", None);
    let p = appointment_from_fhir(&plain).unwrap();
    assert_eq!((p.status, p.hold_expires), (Status::Pending, None));
    let out = appointment_to_fhir(&p).unwrap();
    assert_eq!(out["status"], "pending");
    assert!(out.get("extension").is_none());

    // The extension on any other status is refused, naming it.
    for status in ["booked", "proposed", "arrived", "waitlist"] {
        assert_err(
            appointment_from_fhir(&with(&src, "/status", Some(status.into()))),
            "extension[1]",
            ErrorCode::InvalidRequest,
        );
    }
}

#[test]
fn series_and_reschedule_extensions() {
    let src = load("appointment-series.json");
    let b = fhir_round_trip(&src);
    let mut expected = Booking::new(
        "physio-2026-03-16",
        res(&["patient:pat-204", "provider:physio-3", "device:treadmill-1"]),
        hcas_core::Interval::new(t("2026-03-16T14:00:00Z"), t("2026-03-16T14:45:00Z")).unwrap(),
    );
    expected.replaces = Some("physio-2026-03-16-orig".into());
    expected.series = Some(SeriesRef::new("physio-series", "2026-03-16T09:00:00"));
    assert_eq!(b, expected);
    let out = appointment_to_fhir(&b).unwrap();
    let written = json!([
        { "url": EXT_REPLACES, "valueReference": { "reference": "Appointment/physio-2026-03-16-orig" } },
        { "url": EXT_RECURRENCE_ID, "valueString": "2026-03-16T09:00:00" },
        { "url": EXT_ORIGINATING_APPOINTMENT, "valueReference": { "reference": "Appointment/physio-series" } },
    ]);
    assert_eq!(out["extension"], written);
    // Its series known, the occurrence also carries its R5 number: the
    // fixture's series starts Monday 2 March 2026, so 16 March is the third.
    let out = occurrence_to_fhir(&b, 3).unwrap();
    let mut numbered = written;
    numbered
        .as_array_mut()
        .unwrap()
        .push(json!({ "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": 3 }));
    assert_eq!(out["extension"], numbered);
    assert_eq!(
        ext(&src, EXT_R5_RECURRENCE_ID).unwrap()["valuePositiveInt"],
        3
    );
    assert_eq!(appointment_from_fhir(&out).unwrap(), b);
    assert_eq!(
        EXT_RECURRENCE_ID,
        "https://hcas.dev/fhir/StructureDefinition/recurrence-id"
    );
    assert_eq!(
        EXT_R5_RECURRENCE_ID,
        "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId"
    );
    assert_eq!(
        EXT_ORIGINATING_APPOINTMENT,
        "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment"
    );
}

#[test]
fn cancelled_with_reason_and_offsets() {
    let src = load("appointment-cancelled.json");
    let b = fhir_round_trip(&src);
    assert_eq!(b.status, Status::Cancelled);
    assert_eq!(
        b.cancel_reason.as_deref(),
        Some("Patient rescheduled via the portal")
    );
    assert_eq!(b.replaced_by.as_deref(), Some("a-5530"));
    // +02:00 in, Z out: the same instant.
    assert_eq!(b.start, t("2026-06-01T11:30:00Z"));
    let out = appointment_to_fhir(&b).unwrap();
    assert_eq!(out["start"], "2026-06-01T11:30:00Z");
    assert_eq!(
        out["cancelationReason"],
        json!({ "text": "Patient rescheduled via the portal" })
    );
}

/// A booking using every field, exported; extensions [0] hold, [1] replaces,
/// [2] replaced-by, [3] recurrenceId, [4] originatingAppointment; participants
/// [0] Practitioner, [1] Patient, [2] Location, [3] Device.
fn full_booking() -> Booking {
    let mut b = Booking::new(
        "a1",
        res(&["provider:P1", "patient:X1", "room:R2", "device:D1"]),
        hcas_core::Interval::new(t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z")).unwrap(),
    )
    .status(Status::Held);
    b.hold_expires = Some(t("2026-05-04T08:10:00Z"));
    b.cancel_reason = Some("clinic closed".into());
    b.replaces = Some("a0".into());
    b.replaced_by = Some("a2".into());
    b.series = Some(SeriesRef::new("s1", "2026-05-04T10:00:00"));
    b
}

#[test]
fn every_status_and_field_round_trips() {
    for status in Status::ALL {
        let mut b = full_booking();
        b.status = status;
        if status != Status::Held {
            b.hold_expires = None;
        }
        let out = appointment_to_fhir(&b).unwrap();
        assert_eq!(appointment_from_fhir(&out).unwrap(), b, "{status}");
        let expected = if status == Status::Held {
            "pending".to_string()
        } else {
            status.to_string()
        };
        assert_eq!(out["status"], expected.as_str());

        let bare = Booking::new(
            "b",
            res(&["patient:X"]),
            hcas_core::Interval::new(b.start, b.end).unwrap(),
        )
        .status(status);
        if status != Status::Held {
            let out = appointment_to_fhir(&bare).unwrap();
            assert_eq!(appointment_from_fhir(&out).unwrap(), bare, "{status}");
        }
    }
    // Not whole minutes: no minutesDuration, still the identity.
    let odd = Booking::new(
        "odd",
        res(&["room:R1", "room:R1"]),
        hcas_core::Interval::new(t("2026-05-04T09:00:00Z"), t("2026-05-04T09:00:30Z")).unwrap(),
    );
    let out = appointment_to_fhir(&odd).unwrap();
    assert!(out.get("minutesDuration").is_none());
    assert_eq!(appointment_from_fhir(&out).unwrap(), odd);
}

#[test]
fn appointment_import_errors_name_the_path() {
    use ErrorCode::{InvalidDatetime as Dt, InvalidInterval as Iv, InvalidRequest as Rq};
    let base = appointment_to_fhir(&full_booking()).unwrap();
    assert_eq!(appointment_from_fhir(&base).unwrap(), full_booking());
    let dup = base["extension"][1].clone();
    let cases: Vec<(&str, Option<Value>, &str, ErrorCode)> = vec![
        ("/resourceType", Some("Patient".into()), "resourceType", Rq),
        ("/resourceType", None, "resourceType", Rq),
        ("/id", None, "id", Rq),
        ("/id", Some("a_1".into()), "id", Rq),
        ("/id", Some(json!(7)), "id", Rq),
        ("/status", Some("scheduled".into()), "status", Rq),
        ("/status", Some("held".into()), "status", Rq),
        ("/status", None, "status", Rq),
        ("/start", None, "start", Rq),
        ("/start", Some(Value::Null), "start", Rq),
        ("/start", Some("2026-05-04".into()), "start", Dt),
        ("/start", Some("2026-05-04T09:00:00.5Z".into()), "start", Dt),
        ("/end", Some("2026-05-04T09:00:00Z".into()), "end", Iv),
        ("/end", None, "end", Rq),
        ("/minutesDuration", Some(json!(31)), "minutesDuration", Rq),
        ("/minutesDuration", Some(json!("30")), "minutesDuration", Rq),
        ("/minutesDuration", Some(json!(0)), "minutesDuration", Rq),
        ("/minutesDuration", Some(json!(29.5)), "minutesDuration", Rq),
        ("/participant", Some(json!([])), "participant", Rq),
        ("/participant", None, "participant", Rq),
        ("/participant", Some(json!({})), "participant", Rq),
        (
            "/participant/1",
            Some("Patient/X1".into()),
            "participant[1]",
            Rq,
        ),
        ("/participant/2/actor", None, "participant[2].actor", Rq),
        (
            "/participant/2/actor",
            Some(json!({ "display": "Room 2" })),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor",
            Some(json!({ "identifier": { "value": "R2" } })),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("Organization/1".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("PractitionerRole/1".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("HealthcareService/1".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("http://fhir.example.org/Location/R2".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("urn:uuid:1e3c5c1c-8f5b-4a52-9c55-5b0f4c1a9d11".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("#room".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("Location/R2/_history/3".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("Location/R_2".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some("Location".into()),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/reference",
            Some(json!(2)),
            "participant[2].actor.reference",
            Rq,
        ),
        (
            "/participant/2/actor/type",
            Some("Device".into()),
            "participant[2].actor.type",
            Rq,
        ),
        (
            "/participant/1/status",
            Some("declined".into()),
            "participant[1].status",
            Rq,
        ),
        (
            "/participant/1/status",
            Some("maybe".into()),
            "participant[1].status",
            Rq,
        ),
        (
            "/participant/1/period",
            Some(json!({ "start": "2026-05-04T09:00:00Z" })),
            "participant[1].period",
            Rq,
        ),
        (
            "/participant/1/modifierExtension",
            Some(json!([{ "url": "http://x.org/m", "valueBoolean": true }])),
            "participant[1].modifierExtension",
            Rq,
        ),
        (
            "/participant/1/role",
            Some("nurse".into()),
            "participant[1].role",
            Rq,
        ),
        (
            "/modifierExtension",
            Some(json!([{ "url": "http://x.org/m", "valueBoolean": true }])),
            "modifierExtension",
            Rq,
        ),
        (
            "/implicitRules",
            Some("http://x.org/rules".into()),
            "implicitRules",
            Rq,
        ),
        (
            "/subject",
            Some(json!({ "reference": "Patient/X1" })),
            "subject",
            Rq,
        ),
        (
            "/recurrenceId",
            Some("2026-05-04T10:00:00".into()),
            "recurrenceId",
            Rq,
        ),
        (
            "/cancelationReason",
            Some("no-show".into()),
            "cancelationReason",
            Rq,
        ),
        (
            "/cancelationReason/text",
            Some(json!(3)),
            "cancelationReason.text",
            Rq,
        ),
        (
            "/cancelationReason/text",
            Some("".into()),
            "cancelationReason.text",
            Rq,
        ),
        (
            "/cancelationReason/reason",
            Some("x".into()),
            "cancelationReason.reason",
            Rq,
        ),
        ("/status", Some("booked".into()), "extension[0]", Rq),
        ("/extension", Some(json!({})), "extension", Rq),
        ("/extension/0/url", None, "extension[0].url", Rq),
        (
            "/extension/0/valueInstant",
            None,
            "extension[0].valueInstant",
            Rq,
        ),
        (
            "/extension/0/valueDateTime",
            Some("2026-05-04T08:10:00Z".into()),
            "extension[0].valueDateTime",
            Rq,
        ),
        (
            "/extension/0/valueInstant",
            Some("soon".into()),
            "extension[0].valueInstant",
            Dt,
        ),
        (
            "/extension/1/valueReference/reference",
            Some("ServiceRequest/1".into()),
            "extension[1].valueReference.reference",
            Rq,
        ),
        (
            "/extension/1/valueReference/reference",
            Some("Appointment/a 0".into()),
            "extension[1].valueReference.reference",
            Rq,
        ),
        (
            "/extension/1/valueReference/type",
            Some("Encounter".into()),
            "extension[1].valueReference.type",
            Rq,
        ),
        (
            "/extension/2/valueReference",
            Some("Appointment/a2".into()),
            "extension[2].valueReference",
            Rq,
        ),
        (
            "/extension/2/valueReference",
            None,
            "extension[2].valueReference",
            Rq,
        ),
        (
            "/extension/3/valueString",
            Some("2026-05-04T10:00:00Z".into()),
            "extension[3].valueString",
            Dt,
        ),
        (
            "/extension/3/valueString",
            Some("2026-05-04T10:00:00+01:00".into()),
            "extension[3].valueString",
            Dt,
        ),
        (
            "/extension/3/valueString",
            Some("2026-05-04".into()),
            "extension[3].valueString",
            Dt,
        ),
        (
            "/extension/3/valueString",
            Some(json!(20_260_504)),
            "extension[3].valueString",
            Rq,
        ),
        // hcas' old form: the local recurrence id on R5's recurrenceId.
        (
            "/extension/3",
            Some(json!({ "url": EXT_R5_RECURRENCE_ID, "valueDateTime": "2026-05-04T10:00:00" })),
            "extension[3].valueDateTime",
            Rq,
        ),
        // R5's number alone does not name the occurrence.
        (
            "/extension/3",
            Some(json!({ "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": 1 })),
            "extension[3]",
            Rq,
        ),
        (
            "/extension/5",
            Some(json!({ "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": 0 })),
            "extension[5].valuePositiveInt",
            Rq,
        ),
        (
            "/extension/5",
            Some(json!({ "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": 2_147_483_648_u64 })),
            "extension[5].valuePositiveInt",
            Rq,
        ),
        (
            "/extension/5",
            Some(json!({ "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": "2" })),
            "extension[5].valuePositiveInt",
            Rq,
        ),
        (
            "/extension/5",
            Some(json!({ "url": EXT_R5_RECURRENCE_ID, "valueInteger": 2 })),
            "extension[5].valueInteger",
            Rq,
        ),
        ("/extension/4", None, "extension[3]", Rq),
        ("/extension/3", None, "extension[3]", Rq),
        ("/extension/5", Some(dup), "extension[5]", Rq),
    ];
    for (pointer, new, path, code) in cases {
        let v = with(&base, pointer, new.clone());
        let r = appointment_from_fhir(&v);
        assert!(r.is_err(), "{pointer} = {new:?} was accepted");
        assert_err(r, path, code);
    }
    // The non-object resource itself.
    assert_err(appointment_from_fhir(&json!([])), "Appointment", Rq);
    // The old form's error says where the recurrence id goes now.
    let old = with(
        &base,
        "/extension/3",
        Some(json!({ "url": EXT_R5_RECURRENCE_ID, "valueDateTime": "2026-05-04T10:00:00" })),
    );
    let e = appointment_from_fhir(&old).unwrap_err();
    assert!(e.message().contains(EXT_RECURRENCE_ID), "{e}");
    assert!(e.message().contains("positiveInt"), "{e}");
    // R5's number twice.
    let number = json!({ "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": 2 });
    let twice = with(&base, "/extension/5", Some(number.clone()));
    assert_eq!(appointment_from_fhir(&twice).unwrap(), full_booking());
    assert_err(
        appointment_from_fhir(&with(&twice, "/extension/6", Some(number))),
        "extension[6]",
        Rq,
    );
}

/// Occurrences numbered by hand: recurrence ids 2026-05-04T10:00 (1),
/// 2026-05-11T10:00 (2), 2026-05-18T09:30 (3, moved to start earlier on
/// its day) and a replaced booking sharing the first id (1).
#[test]
fn recurrence_numbers_rank_by_recurrence_id() {
    use ErrorCode::InvalidRequest as Rq;
    let occurrence = |id: &str, recurrence_id: &str| {
        let mut b = full_booking();
        b.id = id.into();
        b.series = Some(SeriesRef::new("s1", recurrence_id));
        b
    };
    let series = [
        occurrence("third", "2026-05-18T09:30:00"),
        occurrence("first", "2026-05-04T10:00:00"),
        occurrence("second", "2026-05-11T10:00:00"),
        occurrence("first-old", "2026-05-04T10:00:00"),
    ];
    assert_eq!(recurrence_numbers(&series).unwrap(), [3, 1, 2, 1]);
    assert_eq!(recurrence_numbers(&[]).unwrap(), Vec::<u32>::new());
    let out = occurrence_to_fhir(&series[0], 3).unwrap();
    assert_eq!(
        ext(&out, EXT_R5_RECURRENCE_ID).unwrap()["valuePositiveInt"],
        3
    );
    assert_eq!(
        ext(&out, EXT_RECURRENCE_ID).unwrap()["valueString"],
        "2026-05-18T09:30:00"
    );
    // Another series, no series, a bad recurrence id: named by position.
    let mut mixed = series.to_vec();
    mixed[2].series = Some(SeriesRef::new("s2", "2026-05-11T10:00:00"));
    assert_err(recurrence_numbers(&mixed), "occurrences[2]", Rq);
    let mut mixed = series.to_vec();
    mixed[1].series = None;
    assert_err(recurrence_numbers(&mixed), "occurrences[1]", Rq);
    let mut mixed = series.to_vec();
    mixed[3].series = Some(SeriesRef::new("s1", "2026-05-04"));
    assert_err(
        recurrence_numbers(&mixed),
        "occurrences[3].series.recurrence_id",
        ErrorCode::InvalidDatetime,
    );
    // occurrence_to_fhir: an occurrence, and a positiveInt.
    let mut single = full_booking();
    single.series = None;
    assert_err(occurrence_to_fhir(&single, 1), "series", Rq);
    assert_err(
        occurrence_to_fhir(&series[0], 0),
        "series.recurrence_id",
        Rq,
    );
}

#[test]
fn informational_elements_and_unknown_extensions_are_ignored() {
    let base = appointment_to_fhir(&full_booking()).unwrap();
    let mut v = base.clone();
    let o = v.as_object_mut().unwrap();
    for (k, x) in [
        ("meta", json!({ "versionId": "3" })),
        (
            "text",
            json!({ "status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" }),
        ),
        (
            "identifier",
            json!([{ "system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.3" }]),
        ),
        ("serviceType", json!([{ "text": "Physio" }])),
        ("comment", json!("bring referral")),
        (
            "_status",
            json!({ "extension": [{ "url": "http://x.org/e", "valueString": "x" }] }),
        ),
        ("priority", json!(3)),
        ("slot", json!([{ "reference": "Slot/s1" }])),
        ("requestedPeriod", json!([{ "start": "2026-05-01" }])),
    ] {
        o.insert(k.into(), x);
    }
    let v = with(
        &v,
        "/extension/5",
        Some(json!({ "url": "http://x.org/other", "valueString": "x" })),
    );
    let v = with(&v, "/participant/0/required", Some("optional".into()));
    let v = with(&v, "/participant/0/actor/display", Some("Dr P".into()));
    let v = with(&v, "/participant/0/status", Some("needs-action".into()));
    let v = with(
        &v,
        "/cancelationReason/coding",
        Some(json!([{ "code": "prov" }])),
    );
    assert_eq!(appointment_from_fhir(&v).unwrap(), full_booking());
}

#[test]
fn appointment_export_errors_name_the_field() {
    use ErrorCode::InvalidRequest as Rq;
    let ok = full_booking();
    let mut b = ok.clone();
    b.resources[1] = "kind:X".into();
    let e = appointment_to_fhir(&b).unwrap_err();
    assert!(e.message().contains("kind:X"), "{e}");
    assert_err(appointment_to_fhir(&b), "resources[1]", Rq);
    for bad in [
        "provider:P_1",
        "nocolon",
        "organization:O1",
        "room:",
        "provider:a:b",
    ] {
        let mut b = ok.clone();
        b.resources[0] = bad.into();
        assert_err(appointment_to_fhir(&b), "resources[0]", Rq);
    }
    let mut b = ok.clone();
    b.id = "a 1".into();
    assert_err(appointment_to_fhir(&b), "id", Rq);
    let mut b = ok.clone();
    b.status = Status::Booked;
    assert_err(appointment_to_fhir(&b), "hold_expires", Rq);
    let mut b = ok.clone();
    b.cancel_reason = Some(String::new());
    assert_err(appointment_to_fhir(&b), "cancel_reason", Rq);
    let mut b = ok.clone();
    b.replaces = Some("bad id!".into());
    assert_err(appointment_to_fhir(&b), "replaces", Rq);
    let mut b = ok.clone();
    b.replaced_by = Some(String::new());
    assert_err(appointment_to_fhir(&b), "replaced_by", Rq);
    let mut b = ok.clone();
    b.series.as_mut().unwrap().id = "s/1".into();
    assert_err(appointment_to_fhir(&b), "series.id", Rq);
    let mut b = ok.clone();
    b.series.as_mut().unwrap().recurrence_id = "2026-05-04T10:00:00Z".into();
    assert_err(
        appointment_to_fhir(&b),
        "series.recurrence_id",
        ErrorCode::InvalidDatetime,
    );
    // The booking's own validation.
    let mut b = ok.clone();
    b.hold_expires = None;
    assert_eq!(appointment_to_fhir(&b).unwrap_err().code(), Rq);
    let mut b = ok;
    b.end = b.start;
    assert_eq!(
        appointment_to_fhir(&b).unwrap_err().code(),
        ErrorCode::InvalidInterval
    );
    // An end after the year 9999 cannot be built any more.
    assert_eq!(
        Timestamp::from_unix(i64::MAX / 4).unwrap_err().code(),
        ErrorCode::InvalidDatetime
    );
}

fn fhir_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.-]{1,16}"
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const MIN_UNIX: i64 = -62_135_596_800;
const MAX_UNIX: i64 = 253_402_300_799;

fn any_booking() -> impl Strategy<Value = Booking> {
    let kinds = ["provider", "patient", "room", "device"];
    (
        fhir_id(),
        MIN_UNIX..MAX_UNIX - 10_000_000,
        1i64..10_000_000,
        0usize..Status::ALL.len(),
        prop::collection::vec((0usize..4, fhir_id()), 1..5),
        prop::option::of("[a-zA-Z ,.]{1,30}"),
        prop::option::of(fhir_id()),
        prop::option::of(fhir_id()),
        prop::option::of((fhir_id(), MIN_UNIX..MAX_UNIX)),
    )
        .prop_map(
            move |(id, start, len, st, rs, reason, replaces, replaced_by, series)| {
                let status = Status::ALL[st];
                let (start, end) = (
                    Timestamp::from_unix(start).unwrap(),
                    Timestamp::from_unix(start + len).unwrap(),
                );
                let resources = rs
                    .into_iter()
                    .map(|(k, x)| format!("{}:{x}", kinds[k]))
                    .collect();
                let mut b =
                    Booking::new(id, resources, hcas_core::Interval::new(start, end).unwrap())
                        .status(status);
                if status == Status::Held {
                    b.hold_expires = Some(Timestamp::from_unix(start.unix() - len).unwrap());
                }
                b.cancel_reason = reason;
                b.replaces = replaces;
                b.replaced_by = replaced_by;
                b.series = series.map(|(id, at)| {
                    SeriesRef::new(
                        id,
                        Timestamp::from_unix(at)
                            .unwrap()
                            .naive_utc()
                            .format("%Y-%m-%dT%H:%M:%S")
                            .to_string(),
                    )
                });
                b
            },
        )
}

proptest! {
    #[test]
    fn any_booking_round_trips(b in any_booking()) {
        let out = appointment_to_fhir(&b).unwrap();
        prop_assert_eq!(appointment_from_fhir(&out).unwrap(), b.clone());
        // And FHIR → hcas → FHIR is the identity on our own output.
        prop_assert_eq!(appointment_to_fhir(&appointment_from_fhir(&out).unwrap()).unwrap(), out);
    }
}

// ---------------------------------------------------------------------------
// Slot
// ---------------------------------------------------------------------------

fn modeled_slot(v: &Value) -> Value {
    json!({
        "id": v["id"],
        "schedule": v["schedule"]["reference"],
        "status": v["status"],
        "start": t(v["start"].as_str().unwrap()).to_string(),
        "end": t(v["end"].as_str().unwrap()).to_string(),
    })
}

#[test]
fn slot_fixtures_round_trip() {
    for (name, id, status, start, end) in [
        (
            "slot-example.json",
            "example",
            SlotStatus::Free,
            "2013-12-25T09:15:00Z",
            "2013-12-25T09:30:00Z",
        ),
        (
            "slot-1.json",
            "1",
            SlotStatus::Busy,
            "2013-12-25T09:00:00Z",
            "2013-12-25T09:15:00Z",
        ),
        (
            "slot-3.json",
            "3",
            SlotStatus::BusyUnavailable,
            "2013-12-25T09:30:00Z",
            "2013-12-25T09:45:00Z",
        ),
    ] {
        let src = load(name);
        let s = slot_from_fhir(&src).unwrap();
        assert_eq!(
            s,
            FhirSlot::new("example", t(start), t(end), status).with_id(id)
        );
        let out = s.to_fhir();
        assert_eq!(modeled_slot(&out), modeled_slot(&src), "{name}");
        assert_eq!(slot_from_fhir(&out).unwrap(), s);
    }
}

#[test]
fn slots_round_trip_with_deterministic_ids() {
    for status in SlotStatus::ALL {
        let v = slot_to_fhir(
            "S1",
            t("2026-05-04T09:00:00Z"),
            t("2026-05-04T09:20:00Z"),
            status,
        );
        let s = slot_from_fhir(&v).unwrap();
        assert_eq!(s.id, format!("S1-{}", t("2026-05-04T09:00:00Z").unix()));
        assert_eq!((s.schedule.as_str(), s.status), ("S1", status));
        assert_eq!(v["status"], status.as_str());
        assert_eq!(SlotStatus::parse(status.as_str()).unwrap(), status);
        assert_eq!(s.to_fhir(), v);
    }
    assert_eq!(
        SlotStatus::parse("open").unwrap_err().code(),
        ErrorCode::InvalidRequest
    );

    // From the slot engine to FHIR.
    let rule = WorkingRule::new(
        "FREQ=WEEKLY;BYDAY=MO".parse().unwrap(),
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        LocalTime::parse("09:00").unwrap(),
        LocalTime::parse_end("10:30").unwrap(),
    )
    .unwrap();
    let avail = ScheduleAvailability::new(Zone::parse("America/New_York").unwrap(), vec![rule])
        .to_availability();
    let starts = avail
        .slots(&SlotQuery::new(
            t("2026-05-04T00:00:00Z"),
            t("2026-05-05T00:00:00Z"),
            hcas_core::Minutes::new(30),
        ))
        .unwrap();
    let slots = slots_to_fhir("dr-p1", &starts, Minutes::new(30)).unwrap();
    let got: Vec<(String, String, String)> = slots
        .iter()
        .map(|v| {
            let s = slot_from_fhir(v).unwrap();
            assert_eq!((s.schedule.as_str(), s.status), ("dr-p1", SlotStatus::Free));
            assert_eq!(s.end.unix() - s.start.unix(), 30 * 60);
            (s.id, s.start.to_string(), s.end.to_string())
        })
        .collect();
    let id = |s: &str| format!("dr-p1-{}", t(s).unix());
    assert_eq!(
        got,
        [
            (
                id("2026-05-04T13:00:00Z"),
                "2026-05-04T13:00:00Z".into(),
                "2026-05-04T13:30:00Z".into()
            ),
            (
                id("2026-05-04T13:30:00Z"),
                "2026-05-04T13:30:00Z".into(),
                "2026-05-04T14:00:00Z".into()
            ),
            (
                id("2026-05-04T14:00:00Z"),
                "2026-05-04T14:00:00Z".into(),
                "2026-05-04T14:30:00Z".into()
            ),
        ]
    );
    assert_eq!(
        slots_to_fhir("dr-p1", &starts, Minutes::new(30)).unwrap(),
        slots,
        "deterministic"
    );
}

#[test]
fn slot_import_errors_name_the_path() {
    use ErrorCode::{InvalidDatetime as Dt, InvalidInterval as Iv, InvalidRequest as Rq};
    let base = load("slot-example.json");
    let cases: Vec<(&str, Option<Value>, &str, ErrorCode)> = vec![
        ("/resourceType", Some("Schedule".into()), "resourceType", Rq),
        ("/id", None, "id", Rq),
        ("/schedule", None, "schedule", Rq),
        ("/schedule", Some("Schedule/example".into()), "schedule", Rq),
        (
            "/schedule/reference",
            Some("Practitioner/1".into()),
            "schedule.reference",
            Rq,
        ),
        (
            "/schedule/reference",
            Some("Schedule/a b".into()),
            "schedule.reference",
            Rq,
        ),
        ("/schedule/reference", None, "schedule.reference", Rq),
        ("/status", Some("open".into()), "status", Rq),
        ("/status", None, "status", Rq),
        ("/start", Some("2013-12-25T09:15".into()), "start", Dt),
        ("/end", Some("2013-12-25T09:00:00Z".into()), "end", Iv),
        ("/end", None, "end", Rq),
        (
            "/modifierExtension",
            Some(json!([])),
            "modifierExtension",
            Rq,
        ),
        ("/isBookable", Some(json!(true)), "isBookable", Rq),
    ];
    for (pointer, new, path, code) in cases {
        assert_err(slot_from_fhir(&with(&base, pointer, new)), path, code);
    }
}

// ---------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------

fn modeled_schedule(v: &Value) -> Value {
    let actors: Vec<Value> = v["actor"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reference"].clone())
        .collect();
    let horizon = v.get("planningHorizon").map(|p| {
        [
            t(p["start"].as_str().unwrap()),
            t(p["end"].as_str().unwrap()),
        ]
        .map(|x| x.to_string())
    });
    json!({
        "id": v["id"],
        "active": v.get("active").cloned().unwrap_or(Value::Bool(true)),
        "actors": actors,
        "horizon": horizon,
        "availability": ext(v, EXT_AVAILABILITY),
    })
}

fn schedule_round_trip(src: &Value) -> FhirSchedule {
    let s = schedule_from_fhir(src).unwrap();
    let out = schedule_to_fhir(&s).unwrap();
    assert_eq!(modeled_schedule(&out), modeled_schedule(src));
    assert_eq!(schedule_from_fhir(&out).unwrap(), s);
    s
}

#[test]
fn official_schedule_example_round_trips() {
    let s = schedule_round_trip(&load("schedule-example.json"));
    assert_eq!(
        s,
        FhirSchedule::new("example", res(&["room:1"])).with_planning_horizon(
            Interval::parse("2013-12-25T09:15:00Z", "2013-12-25T09:30:00Z").unwrap()
        )
    );
}

#[test]
fn schedule_with_working_hours_round_trips() {
    let src = load("schedule-hcas.json");
    let s = schedule_round_trip(&src);
    assert_eq!(s.actors, res(&["provider:P1", "room:R2"]));
    let a = s.availability.as_ref().unwrap();
    assert_eq!(a.zone.name(), "Europe/London");
    let rules: Vec<(String, String, String)> = a
        .rules
        .iter()
        .map(|r| {
            (
                r.rrule().to_string(),
                r.window().start().to_string(),
                r.window().end().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            (
                "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".into(),
                "09:00".into(),
                "12:30".into()
            ),
            (
                "FREQ=WEEKLY;UNTIL=20261231;BYDAY=SA".into(),
                "22:00".into(),
                "06:00".into()
            ),
            (
                "FREQ=MONTHLY;BYDAY=-1FR".into(),
                "18:00".into(),
                "24:00".into()
            ),
        ]
    );
    // The extension is written back exactly as the fixture has it.
    let out = schedule_to_fhir(&s).unwrap();
    assert_eq!(ext(&out, EXT_AVAILABILITY), ext(&src, EXT_AVAILABILITY));

    // The rules work: Monday 2026-03-02 (GMT) mornings, 90-minute slots.
    let avail = a.to_availability();
    let q = SlotQuery::new(
        t("2026-03-02T00:00:00Z"),
        t("2026-03-03T00:00:00Z"),
        hcas_core::Minutes::new(90),
    );
    let starts: Vec<String> = avail
        .slots(&q)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(starts, ["2026-03-02T09:00:00Z", "2026-03-02T10:30:00Z"]);
    // dtstart is read back: no Saturday night before 2026-01-10.
    let q = SlotQuery::new(
        t("2026-01-03T00:00:00Z"),
        t("2026-01-04T12:00:00Z"),
        hcas_core::Minutes::new(60),
    );
    assert!(avail.slots(&q).unwrap().is_empty());
    let q = SlotQuery::new(
        t("2026-01-10T00:00:00Z"),
        t("2026-01-11T12:00:00Z"),
        hcas_core::Minutes::new(480),
    );
    assert_eq!(avail.slots(&q).unwrap(), [t("2026-01-10T22:00:00Z")]);
}

#[test]
fn schedule_hcas_to_fhir_to_hcas_is_identity() {
    let rule = |rrule: &str, d: u32, s: &str, e: &str| {
        WorkingRule::new(
            rrule.parse().unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, d).unwrap(),
            LocalTime::parse(s).unwrap(),
            LocalTime::parse_end(e).unwrap(),
        )
        .unwrap()
    };
    let schedules = [
        FhirSchedule::new(
            "S2",
            res(&["provider:P9", "device:MRI-1", "room:R.3", "patient:X"]),
        )
        .with_active(false)
        .with_availability(ScheduleAvailability::new(
            Zone::parse("Australia/Lord_Howe").unwrap(),
            vec![
                rule("FREQ=DAILY;INTERVAL=2;COUNT=10", 1, "07:15:30", "24:00"),
                rule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", 28, "00:00", "00:00"),
            ],
        )),
        FhirSchedule::new("S3", res(&["room:R1"]))
            .with_planning_horizon(
                Interval::parse("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z").unwrap(),
            )
            .with_availability(ScheduleAvailability::new(
                Zone::parse("UTC").unwrap(),
                vec![],
            )),
    ];
    for s in schedules {
        let out = schedule_to_fhir(&s).unwrap();
        assert_eq!(schedule_from_fhir(&out).unwrap(), s);
        assert_eq!(
            schedule_to_fhir(&schedule_from_fhir(&out).unwrap()).unwrap(),
            out
        );
    }
    // Equality sees dtstart.
    let a = ScheduleAvailability::new(
        Zone::parse("UTC").unwrap(),
        vec![rule("FREQ=DAILY", 1, "09:00", "10:00")],
    );
    let b = ScheduleAvailability::new(
        Zone::parse("UTC").unwrap(),
        vec![rule("FREQ=DAILY", 2, "09:00", "10:00")],
    );
    assert_ne!(a, b);
}

#[test]
fn schedule_errors_name_the_path() {
    use ErrorCode::{
        InvalidDatetime as Dt, InvalidInterval as Iv, InvalidRequest as Rq, InvalidRrule as Rr,
        InvalidTimezone as Tz,
    };
    let base = load("schedule-hcas.json");
    let r1 = "/extension/0/extension/1/extension";
    let cases: Vec<(String, Option<Value>, &str, ErrorCode)> = vec![
        (
            "/resourceType".into(),
            Some("Slot".into()),
            "resourceType",
            Rq,
        ),
        ("/id".into(), Some("".into()), "id", Rq),
        ("/active".into(), Some("yes".into()), "active", Rq),
        ("/actor".into(), Some(json!([])), "actor", Rq),
        ("/actor".into(), None, "actor", Rq),
        (
            "/actor/1/reference".into(),
            Some("PractitionerRole/1".into()),
            "actor[1].reference",
            Rq,
        ),
        (
            "/actor/1/reference".into(),
            Some("HealthcareService/1".into()),
            "actor[1].reference",
            Rq,
        ),
        ("/actor/1/reference".into(), None, "actor[1].reference", Rq),
        (
            "/planningHorizon/end".into(),
            None,
            "planningHorizon.end",
            Rq,
        ),
        (
            "/planningHorizon/start".into(),
            None,
            "planningHorizon.start",
            Rq,
        ),
        (
            "/planningHorizon/start".into(),
            Some("2026-01-01".into()),
            "planningHorizon.start",
            Dt,
        ),
        (
            "/planningHorizon/end".into(),
            Some("2025-01-01T00:00:00Z".into()),
            "planningHorizon.end",
            Iv,
        ),
        (
            "/modifierExtension".into(),
            Some(json!([])),
            "modifierExtension",
            Rq,
        ),
        (
            "/extension/0/extension/0/valueCode".into(),
            Some("Mars/Olympus_Mons".into()),
            "extension[0].extension[0].valueCode",
            Tz,
        ),
        ("/extension/0/extension/0".into(), None, "extension[0]", Rq),
        (
            "/extension/0/extension/4".into(),
            Some(json!({ "url": "timezone", "valueCode": "UTC" })),
            "extension[0].extension[4]",
            Rq,
        ),
        (
            "/extension/0/extension/4".into(),
            Some(json!({ "url": "override", "valueString": "x" })),
            "extension[0].extension[4].url",
            Rq,
        ),
        (
            "/extension/0/valueString".into(),
            Some("x".into()),
            "extension[0].valueString",
            Rq,
        ),
        (
            "/extension/1".into(),
            Some(base["extension"][0].clone()),
            "extension[1]",
            Rq,
        ),
        (
            format!("{r1}/0/valueString"),
            Some("FREQ=HOURLY".into()),
            "extension[0].extension[1]",
            Rr,
        ),
        (
            format!("{r1}/0/valueString"),
            Some("FREQ=FORTNIGHTLY".into()),
            "extension[0].extension[1].extension[0].valueString",
            Rr,
        ),
        (format!("{r1}/1"), None, "extension[0].extension[1]", Rq),
        (
            format!("{r1}/1/valueDate"),
            Some("2026-02-30".into()),
            "extension[0].extension[1].extension[1].valueDate",
            Dt,
        ),
        (
            format!("{r1}/2/valueTime"),
            Some("24:00:00".into()),
            "extension[0].extension[1].extension[2].valueTime",
            Dt,
        ),
        (
            format!("{r1}/3/valueString"),
            Some("24:30:00".into()),
            "extension[0].extension[1].extension[3].valueString",
            Dt,
        ),
        (
            format!("{r1}/3/valueTime"),
            Some("17:00:00".into()),
            "extension[0].extension[1].extension[3].valueTime",
            Rq,
        ),
        (
            format!("{r1}/4"),
            Some(json!({ "url": "exdate", "valueDate": "2026-03-02" })),
            "extension[0].extension[1].extension[4].url",
            Rq,
        ),
        (
            format!("{r1}/4"),
            Some(json!({ "url": "rrule", "valueString": "FREQ=DAILY" })),
            "extension[0].extension[1].extension[4]",
            Rq,
        ),
    ];
    for (pointer, new, path, code) in cases {
        assert_err(schedule_from_fhir(&with(&base, &pointer, new)), path, code);
    }

    // Export.
    let mut s = schedule_from_fhir(&base).unwrap();
    s.actors[0] = "kind:X".into();
    assert_err(schedule_to_fhir(&s), "actors[0]", Rq);
    s.actors.clear();
    assert_err(schedule_to_fhir(&s), "actors", Rq);
    let mut s = schedule_from_fhir(&base).unwrap();
    s.id = "S_1".into();
    assert_err(schedule_to_fhir(&s), "id", Rq);
}

#[test]
fn fhir_values_are_built_with_constructors() {
    let s = FhirSchedule::new("S1", ["provider:P1", "room:R1"]);
    assert_eq!(s.id, "S1");
    assert_eq!(s.actors, res(&["provider:P1", "room:R1"]));
    assert!(s.active && s.planning_horizon.is_none() && s.availability.is_none());
    assert!(!s.clone().with_active(false).active);
    let fhir = schedule_to_fhir(&s).unwrap();
    assert_eq!(fhir["active"], true);
    assert_eq!(schedule_from_fhir(&fhir).unwrap(), s);

    let slot = FhirSlot::new(
        "S1",
        t("2026-05-04T09:00:00Z"),
        t("2026-05-04T09:30:00Z"),
        SlotStatus::Busy,
    );
    assert_eq!(slot.id, "S1-1777885200", "the id slot_to_fhir writes");
    assert_eq!(slot.schedule, "S1");
    assert_eq!(
        slot.to_fhir(),
        slot_to_fhir(
            "S1",
            t("2026-05-04T09:00:00Z"),
            t("2026-05-04T09:30:00Z"),
            SlotStatus::Busy
        )
    );
    assert_eq!(slot.clone().with_id("x").id, "x");
    assert_eq!(
        slots_to_fhir("S1", &[t("2026-05-04T09:00:00Z")], Minutes::hours(2)).unwrap()[0]["end"],
        "2026-05-04T11:00:00Z"
    );
}
