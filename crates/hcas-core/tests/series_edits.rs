//! Series edits: all-or-nothing on the ledger, wall-clock shifts, lifecycle
//! skips, RDATEs and FHIR-valid occurrence ids (issue 9, item 1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hcas_core::ErrorCode;
use hcas_core::booking::{Booking, Ledger, SeriesRef, Status};
use hcas_core::lifecycle::Party;
use hcas_core::series::{
    EditScope, SeriesBookOptions, SeriesCancel, SeriesEdit, SeriesSpec, WallShift,
    cancel_occurrences, series_bookings, shift_occurrences,
};
use hcas_core::time::parse_local_datetime;
use hcas_core::{Minutes, Recurrence, Timestamp, Zone};
use proptest::prelude::*;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn weekly(id: &str, zone: &str, dtstart: &str, count: u32) -> SeriesSpec {
    SeriesSpec::new(
        id,
        Recurrence::new(
            format!("FREQ=WEEKLY;COUNT={count}").parse().unwrap(),
            parse_local_datetime(dtstart).unwrap(),
            Zone::parse(zone).unwrap(),
        ),
        Minutes::new(60),
        vec!["provider:P1".into(), "patient:X1".into()],
    )
}

fn edit(zone: &str, recurrence_id: &str, scope: EditScope, shift: WallShift) -> SeriesEdit {
    SeriesEdit::new(
        SeriesRef::new("S", recurrence_id),
        scope,
        Zone::parse(zone).unwrap(),
        Party::Staff,
    )
    .shift(shift)
    .reason("therapist moved the course")
}

/// The whole ledger as data: every booking, by id.
fn snapshot(ledger: &Ledger) -> Vec<Booking> {
    let mut v: Vec<Booking> = ledger.bookings().cloned().collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// Set a booking's status behind the lifecycle's back (test setup only).
fn force_status(ledger: &mut Ledger, id: &str, status: Status) {
    let mut b = ledger.remove(id).unwrap();
    b.status = status;
    ledger.insert(b).unwrap();
}

#[test]
fn pushing_a_weekly_course_back_one_week_moves_every_occurrence() {
    // Each occurrence lands on its sibling's old slot, which the old code
    // refused one by one (dropping the conflict) while reporting booked = true.
    let mut ledger = Ledger::new();
    let now = t("2026-05-01T00:00:00Z");
    assert!(
        weekly("S", "UTC", "2026-05-05T10:00", 4)
            .book(&mut ledger, SeriesBookOptions::at(now))
            .unwrap()
            .booked
    );
    let done = shift_occurrences(
        &mut ledger,
        &edit(
            "UTC",
            "2026-05-05T10:00:00",
            EditScope::All,
            WallShift::days(7),
        ),
        now,
    )
    .unwrap();
    assert!(done.applied);
    assert_eq!(done.occurrences.len(), 4);
    for o in &done.occurrences {
        let b = ledger.get(&o.id).unwrap();
        assert!(o.booked && o.ok);
        assert_eq!(
            (b.start, b.end),
            (o.start, o.end),
            "{} not where reported",
            o.id
        );
    }
    let starts: Vec<String> = series_bookings(&ledger, "S")
        .iter()
        .map(|b| b.start.to_string())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-05-12T10:00:00Z",
            "2026-05-19T10:00:00Z",
            "2026-05-26T10:00:00Z",
            "2026-06-02T10:00:00Z"
        ]
    );
}

#[test]
fn a_conflicting_edit_leaves_the_whole_ledger_as_it_was() {
    let mut ledger = Ledger::new();
    let now = t("2026-05-01T00:00:00Z");
    weekly("S", "UTC", "2026-05-05T10:00", 4)
        .book(&mut ledger, SeriesBookOptions::at(now))
        .unwrap();
    // Something else on the patient in the week after the last occurrence.
    ledger
        .insert(Booking::new(
            "dentist",
            vec!["patient:X1".into()],
            hcas_core::Interval::new(t("2026-06-02T10:30:00Z"), t("2026-06-02T11:00:00Z")).unwrap(),
        ))
        .unwrap();
    let before = snapshot(&ledger);
    let done = shift_occurrences(
        &mut ledger,
        &edit(
            "UTC",
            "2026-05-05T10:00:00",
            EditScope::All,
            WallShift::days(7),
        ),
        now,
    )
    .unwrap();
    assert!(!done.applied);
    assert!(done.occurrences.iter().all(|o| !o.booked));
    let bad: Vec<&str> = done
        .occurrences
        .iter()
        .filter(|o| !o.ok)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(bad, ["S.20260526T100000"]);
    assert_eq!(done.occurrences[3].conflicts[0].with, ["dentist"]);
    assert_eq!(snapshot(&ledger), before);
}

#[test]
fn one_week_later_keeps_the_wall_clock_across_dst() {
    for (zone, dtstart, first, moved) in [
        // London springs forward on 29 March 2026: 10:00 GMT is 10:00Z, 10:00 BST is 09:00Z.
        (
            "Europe/London",
            "2026-03-23T10:00",
            "2026-03-23T10:00:00Z",
            "2026-03-30T09:00:00Z",
        ),
        // New York springs forward on 8 March 2026: 10:00 EST is 15:00Z, 10:00 EDT 14:00Z.
        (
            "America/New_York",
            "2026-03-02T10:00",
            "2026-03-02T15:00:00Z",
            "2026-03-09T14:00:00Z",
        ),
        // New York falls back on 1 November 2026: 10:00 EDT 14:00Z, 10:00 EST 15:00Z.
        (
            "America/New_York",
            "2026-10-26T10:00",
            "2026-10-26T14:00:00Z",
            "2026-11-02T15:00:00Z",
        ),
    ] {
        let mut ledger = Ledger::new();
        let now = t("2026-01-01T00:00:00Z");
        weekly("S", zone, dtstart, 1)
            .book(&mut ledger, SeriesBookOptions::at(now))
            .unwrap();
        let id = format!("S.{}", dtstart.replace(['-', ':'], "") + "00");
        assert_eq!(ledger.get(&id).unwrap().start, t(first));
        let rid = format!("{dtstart}:00");
        let done = shift_occurrences(
            &mut ledger,
            &edit(zone, &rid, EditScope::This, WallShift::days(7)),
            now,
        )
        .unwrap();
        assert!(done.applied, "{zone}");
        let b = ledger.get(&id).unwrap();
        assert_eq!(b.start, t(moved), "{zone}");
        assert_eq!(b.end.unix() - b.start.unix(), 3600, "{zone}: length kept");
    }
}

#[test]
fn a_shift_into_a_dst_gap_moves_forward_by_the_gap() {
    // 02:30 on 8 March 2026 does not exist in New York: compatible rule gives 03:30 EDT.
    let mut ledger = Ledger::new();
    let now = t("2026-01-01T00:00:00Z");
    weekly("S", "America/New_York", "2026-03-01T02:30", 1)
        .book(&mut ledger, SeriesBookOptions::at(now))
        .unwrap();
    let done = shift_occurrences(
        &mut ledger,
        &edit(
            "America/New_York",
            "2026-03-01T02:30:00",
            EditScope::All,
            WallShift::days(7),
        ),
        now,
    )
    .unwrap();
    assert!(done.applied);
    assert_eq!(
        ledger.get("S.20260301T023000").unwrap().start,
        t("2026-03-08T07:30:00Z")
    );
}

#[test]
fn cancel_all_skips_fulfilled_and_on_site_occurrences_and_says_why() {
    let mut ledger = Ledger::new();
    let now = t("2026-05-01T00:00:00Z");
    weekly("S", "UTC", "2026-05-05T10:00", 4)
        .book(&mut ledger, SeriesBookOptions::at(now))
        .unwrap();
    force_status(&mut ledger, "S.20260512T100000", Status::Fulfilled);
    force_status(&mut ledger, "S.20260519T100000", Status::Arrived);
    let cancel = SeriesCancel::new(
        SeriesRef::new("S", "2026-05-05T10:00:00"),
        EditScope::All,
        Party::Staff,
        "course ended",
    );
    let done = cancel_occurrences(&mut ledger, &cancel, now).unwrap();
    let cancelled: Vec<&str> = done.cancelled.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(cancelled, ["S.20260505T100000", "S.20260526T100000"]);
    let skipped: Vec<(&str, Status, ErrorCode)> = done
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.status, s.error.code()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "S.20260512T100000",
                Status::Fulfilled,
                ErrorCode::InvalidTransition
            ),
            (
                "S.20260519T100000",
                Status::Arrived,
                ErrorCode::InvalidTransition
            ),
        ]
    );
    assert!(done.skipped[0].error.message().contains("fulfilled"));
    let status = |id: &str| ledger.get(id).unwrap().status;
    assert_eq!(status("S.20260512T100000"), Status::Fulfilled);
    assert_eq!(status("S.20260519T100000"), Status::Arrived);
    assert_eq!(status("S.20260505T100000"), Status::Cancelled);
    assert_eq!(
        ledger
            .get("S.20260526T100000")
            .unwrap()
            .cancel_reason
            .as_deref(),
        Some("course ended")
    );
}

#[test]
fn cancel_goes_through_the_lifecycle_actor_and_late_cancellation() {
    let mut ledger = Ledger::new();
    let booked_at = t("2026-05-01T00:00:00Z");
    weekly("S", "UTC", "2026-05-05T10:00", 2)
        .book(&mut ledger, SeriesBookOptions::at(booked_at))
        .unwrap();
    // Two hours before the first: late under the default 24-hour policy; the
    // second is a week away.
    let now = t("2026-05-05T08:00:00Z");
    let mut cancel = SeriesCancel::new(
        SeriesRef::new("S", "2026-05-05T10:00:00"),
        EditScope::All,
        Party::Patient,
        "moving away",
    );
    // A blank reason is refused before anything changes.
    cancel.reason = " ".into();
    let before = snapshot(&ledger);
    let err = cancel_occurrences(&mut ledger, &cancel, now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    assert_eq!(snapshot(&ledger), before);
    cancel.reason = "moving away".into();
    let done = cancel_occurrences(&mut ledger, &cancel, now).unwrap();
    assert_eq!(done.cancelled.len(), 2);
    assert!(done.cancelled[0].outcomes.contains(
        &hcas_core::lifecycle::Outcome::LateCancellation {
            minutes_before_start: Minutes::new(120)
        }
    ));
    assert!(
        !done.cancelled[1]
            .outcomes
            .iter()
            .any(|o| matches!(o, hcas_core::lifecycle::Outcome::LateCancellation { .. }))
    );
}

#[test]
fn a_started_occurrence_is_not_moved_and_the_rest_are() {
    let mut ledger = Ledger::new();
    weekly("S", "UTC", "2026-05-05T10:00", 3)
        .book(
            &mut ledger,
            SeriesBookOptions::at(t("2026-05-01T00:00:00Z")),
        )
        .unwrap();
    // 10:30 on the first day: the first occurrence has started.
    let now = t("2026-05-05T10:30:00Z");
    let done = shift_occurrences(
        &mut ledger,
        &edit(
            "UTC",
            "2026-05-05T10:00:00",
            EditScope::All,
            WallShift::minutes(Minutes::new(120)),
        ),
        now,
    )
    .unwrap();
    assert!(done.applied);
    assert_eq!(done.skipped.len(), 1);
    assert_eq!(done.skipped[0].id, "S.20260505T100000");
    assert_eq!(done.skipped[0].error.code(), ErrorCode::InvalidTransition);
    assert_eq!(
        ledger.get("S.20260505T100000").unwrap().start,
        t("2026-05-05T10:00:00Z")
    );
    assert_eq!(
        ledger.get("S.20260512T100000").unwrap().start,
        t("2026-05-12T12:00:00Z")
    );
}

#[test]
fn rdates_are_occurrences_and_get_booked() {
    let mut spec = weekly("S", "Europe/London", "2026-05-05T10:00", 2);
    spec.recurrence = spec
        .recurrence
        .clone()
        .with_rdates(vec![
            parse_local_datetime("2026-05-07T15:00").unwrap(),
            // Same as a rule instance: counts once.
            parse_local_datetime("2026-05-12T10:00").unwrap(),
            // Removed by its EXDATE below.
            parse_local_datetime("2026-05-08T09:00").unwrap(),
        ])
        .unwrap()
        .with_exdates(vec![parse_local_datetime("2026-05-08T09:00").unwrap()])
        .unwrap();
    let mut ledger = Ledger::new();
    let res = spec
        .book(
            &mut ledger,
            SeriesBookOptions::at(t("2026-05-01T00:00:00Z")),
        )
        .unwrap();
    assert!(res.booked);
    let got: Vec<(&str, String)> = res
        .occurrences
        .iter()
        .map(|o| (o.recurrence_id.as_str(), o.start.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-05-05T10:00:00", "2026-05-05T09:00:00Z".to_string()),
            ("2026-05-07T15:00:00", "2026-05-07T14:00:00Z".to_string()),
            ("2026-05-12T10:00:00", "2026-05-12T09:00:00Z".to_string()),
        ]
    );
    assert_eq!(
        ledger.get("S.20260507T150000").unwrap().start,
        t("2026-05-07T14:00:00Z")
    );
}

#[test]
fn occurrence_ids_are_fhir_ids_and_bad_series_ids_are_refused() {
    let spec = weekly("physio-7.a", "UTC", "2026-05-05T10:00", 1);
    let occ = spec.occurrences().unwrap();
    let id = spec.occurrence_id(occ[0].0);
    assert_eq!(id, "physio-7.a.20260505T100000");
    assert!(
        id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    );
    for bad in ["", "S@1", "a b", "ü", &"x".repeat(49)] {
        let err = weekly(bad, "UTC", "2026-05-05T10:00", 1)
            .occurrences()
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidRequest, "{bad:?}");
        assert!(
            err.message().contains("[A-Za-z0-9.-]{1,48}"),
            "{}",
            err.message()
        );
    }
    assert!(
        weekly(&"x".repeat(48), "UTC", "2026-05-05T10:00", 1)
            .occurrences()
            .is_ok()
    );
}

/// `value` back from its own JSON.
fn round_trip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    serde_json::from_value(serde_json::to_value(value).unwrap()).unwrap()
}

#[test]
fn constructors_and_setters_fill_their_fields() {
    let spec = weekly("S", "UTC", "2026-05-05T10:00", 3);
    assert_eq!(
        (spec.id.as_str(), spec.duration, spec.until),
        ("S", Minutes::new(60), None)
    );
    assert_eq!(
        spec.until(t("2026-06-01T00:00:00Z")).until,
        Some(t("2026-06-01T00:00:00Z"))
    );

    let utc = Zone::parse("UTC").unwrap();
    let e = SeriesEdit::new(
        SeriesRef::new("S", "2026-05-05T10:00:00"),
        EditScope::All,
        utc,
        Party::Patient,
    );
    assert_eq!(
        (
            e.series_id.as_str(),
            e.recurrence_id.as_str(),
            e.scope,
            e.zone,
            e.actor
        ),
        (
            "S",
            "2026-05-05T10:00:00",
            EditScope::All,
            utc,
            Party::Patient
        )
    );
    assert_eq!(
        (e.shift, e.duration, e.reason.as_deref()),
        (WallShift::default(), None, None)
    );
    assert_eq!(e.policy, hcas_core::lifecycle::LifecyclePolicy::default());
    let lenient = hcas_core::lifecycle::LifecyclePolicy::new().late_cancel(Minutes::ZERO);
    let e = e
        .shift(WallShift::minutes(Minutes::new(30)))
        .duration(Minutes::new(45))
        .reason("room change")
        .policy(lenient);
    assert_eq!(
        (e.shift.minutes, e.duration, e.reason.as_deref(), e.policy),
        (
            Minutes::new(30),
            Some(Minutes::new(45)),
            Some("room change"),
            lenient
        )
    );

    let c = SeriesCancel::new(
        SeriesRef::new("S", "r"),
        EditScope::This,
        Party::Staff,
        "ended",
    );
    assert_eq!(
        (
            c.series_id.as_str(),
            c.recurrence_id.as_str(),
            c.scope,
            c.actor,
            c.reason.as_str()
        ),
        ("S", "r", EditScope::This, Party::Staff, "ended")
    );
    assert_eq!(c.clone().policy(lenient).policy, lenient);

    let now = t("2026-05-01T00:00:00Z");
    let o = SeriesBookOptions::at(now);
    assert_eq!(
        (o.now, o.policy),
        (now, hcas_core::series::SeriesPolicy::AllOrNothing)
    );
    assert_eq!(
        o.policy(hcas_core::series::SeriesPolicy::BookFree).policy,
        hcas_core::series::SeriesPolicy::BookFree
    );
}

#[test]
fn every_series_type_round_trips_through_json() {
    let now = t("2026-05-01T00:00:00Z");
    let mut ledger = Ledger::new();
    let booked = weekly("S", "Europe/London", "2026-05-05T10:00", 3)
        .book(&mut ledger, SeriesBookOptions::at(now))
        .unwrap();
    assert_eq!(round_trip(&booked), booked);
    // One occurrence fulfilled, so the edits skip it (Skipped carries an Error).
    force_status(&mut ledger, "S.20260505T100000", Status::Fulfilled);
    let e = edit(
        "Europe/London",
        "2026-05-05T10:00:00",
        EditScope::All,
        WallShift::days(1),
    )
    .duration(Minutes::new(30));
    let plan = hcas_core::series::plan_shift(&series_bookings(&ledger, "S"), &e, now).unwrap();
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(round_trip(&plan), plan);
    let moved = shift_occurrences(&mut ledger, &e, now).unwrap();
    assert!(moved.applied);
    assert_eq!(round_trip(&moved), moved);
    let c = SeriesCancel::new(
        SeriesRef::new("S", "2026-05-12T10:00:00"),
        EditScope::ThisAndFollowing,
        Party::Staff,
        "ended",
    );
    assert_eq!(round_trip(&c), c);
    // The policy may be left out, and nothing unknown is accepted.
    let v = serde_json::json!({"series_id": "S", "recurrence_id": "r", "scope": "this", "actor": "staff", "reason": "x"});
    let short: SeriesCancel = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(
        short,
        SeriesCancel::new(SeriesRef::new("S", "r"), EditScope::This, Party::Staff, "x")
    );
    let mut extra = v;
    extra["shift"] = serde_json::json!({});
    assert!(serde_json::from_value::<SeriesCancel>(extra).is_err());
    let cancelled = cancel_occurrences(&mut ledger, &c, now).unwrap();
    assert_eq!(cancelled.cancelled.len(), 2);
    assert_eq!(round_trip(&cancelled), cancelled);
    for shift in [
        WallShift::days(-3),
        WallShift::minutes(Minutes::new(90)),
        WallShift::default(),
    ] {
        assert_eq!(round_trip(&shift), shift);
    }
    assert_eq!(
        serde_json::to_value(WallShift::minutes(Minutes::new(90))).unwrap(),
        serde_json::json!({"days": 0, "minutes": 90})
    );
    for scope in [EditScope::This, EditScope::ThisAndFollowing, EditScope::All] {
        assert_eq!(round_trip(&scope), scope);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// An edit either makes every move it reports (and leaves every other
    /// booking as it was, with no moved booking overbooking anything), or
    /// leaves the whole ledger exactly as it was.
    #[test]
    fn an_edit_applies_every_move_or_none(
        count in 1u32..7,
        daily in any::<bool>(),
        blockers in prop::collection::vec((0i64..(14 * 24 * 4), 1i64..12, any::<bool>()), 0..6),
        done_at in prop::collection::vec(0usize..7, 0..3),
        shift_q in -(3 * 24 * 4i64)..(3 * 24 * 4),
        pivot in 0usize..7,
        scope in prop::sample::select(vec![EditScope::This, EditScope::ThisAndFollowing, EditScope::All]),
        duration in prop::option::of(15i64..180),
    ) {
        let freq = if daily { "DAILY" } else { "WEEKLY" };
        let spec = SeriesSpec::new("S", Recurrence::new( format!("FREQ={freq};COUNT={count}").parse().unwrap(), parse_local_datetime("2026-05-05T10:00").unwrap(), Zone::parse("Europe/London").unwrap(), ), Minutes::new(60), vec!["provider:P1".into(), "patient:X1".into()]);
        let now = t("2026-05-01T00:00:00Z");
        let mut ledger = Ledger::new();
        let res = spec.book(&mut ledger, SeriesBookOptions::at(now)).unwrap();
        prop_assert!(res.booked);
        let ids: Vec<String> = res.occurrences.iter().map(|o| o.id.clone()).collect();
        for &k in &done_at {
            if let Some(id) = ids.get(k) {
                force_status(&mut ledger, id, Status::Fulfilled);
            }
        }
        let base = t("2026-05-04T00:00:00Z").unix();
        for (i, &(q, len, on_patient)) in blockers.iter().enumerate() {
            let s = Timestamp::from_unix(base + q * 900).unwrap();
            let e = Timestamp::from_unix(base + (q + len) * 900).unwrap();
            let r = if on_patient { "patient:X1" } else { "provider:P1" };
            let b = Booking::new(format!("b{i}"), vec![r.into()], hcas_core::Interval::new(s, e).unwrap());
            if ledger.check(&b.request(), now).unwrap().ok {
                ledger.insert(b).unwrap();
            }
        }
        let rid = res.occurrences[pivot.min(ids.len() - 1)].recurrence_id.clone();
        let mut e = edit("Europe/London", &rid, scope, WallShift::minutes(Minutes::new(shift_q * 15)));
        e.duration = duration.map(Minutes::new);
        let before = snapshot(&ledger);
        let done = shift_occurrences(&mut ledger, &e, now).unwrap();
        if done.applied {
            let moved: Vec<&str> = done.occurrences.iter().map(|o| o.id.as_str()).collect();
            for o in &done.occurrences {
                let b = ledger.get(&o.id).unwrap();
                prop_assert!(o.booked);
                prop_assert_eq!((b.start, b.end), (o.start, o.end));
                prop_assert!(ledger.check_excluding(&b.request(), now, Some(&b.id)).unwrap().ok,
                    "{} overbooks after the edit", o.id);
            }
            for b in &before {
                if !moved.contains(&b.id.as_str()) {
                    prop_assert_eq!(ledger.get(&b.id), Some(b));
                }
            }
            prop_assert_eq!(ledger.len(), before.len());
        } else {
            prop_assert!(done.occurrences.iter().any(|o| !o.ok));
            prop_assert!(done.occurrences.iter().all(|o| !o.booked));
            prop_assert_eq!(&snapshot(&ledger), &before);
        }
        for s in &done.skipped {
            prop_assert_eq!(s.status, Status::Fulfilled);
            prop_assert_eq!(ledger.get(&s.id).map(|b| (b.start, b.status)),
                before.iter().find(|b| b.id == s.id).map(|b| (b.start, b.status)));
        }
    }
}
