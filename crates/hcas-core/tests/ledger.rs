//! Property tests of the booking ledger: its answer equals a brute-force scan,
//! and booking only what it calls free never exceeds any capacity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use hcas_core::Timestamp;
use hcas_core::booking::{
    BookOptions, BookOutcome, Booking, CheckOptions, HoldOptions, Ledger, Request,
    RescheduleOptions, Status,
};
use proptest::prelude::*;

const RESOURCES: &[&str] = &[
    "provider:P1",
    "provider:P2",
    "patient:X1",
    "patient:X2",
    "room:R1",
    "room:R2",
];

fn t(m: i64) -> Timestamp {
    Timestamp::from_unix(1_780_000_000 + m * 60).unwrap()
}

#[derive(Debug, Clone)]
struct B {
    start: i64,
    len: i64,
    status: Status,
    hold_expires: i64,
    resources: BTreeSet<usize>,
}

fn arb_booking() -> impl Strategy<Value = B> {
    (
        0i64..600,
        1i64..180,
        prop::sample::select(Status::ALL.to_vec()),
        0i64..200,
        prop::collection::btree_set(0..RESOURCES.len(), 1..4),
    )
        .prop_map(|(start, len, status, hold_expires, resources)| B {
            start,
            len,
            status,
            hold_expires,
            resources,
        })
}

fn to_booking(i: usize, b: &B) -> Booking {
    let mut x = Booking::new(
        format!("b{i}"),
        b.resources
            .iter()
            .map(|&r| RESOURCES[r].to_string())
            .collect(),
        hcas_core::Interval::new(t(b.start), t(b.start + b.len)).unwrap(),
    )
    .status(b.status);
    if b.status == Status::Held {
        x.hold_expires = Some(t(b.hold_expires));
    }
    x
}

fn blocks(b: &B, now: i64) -> bool {
    match b.status {
        Status::Pending
        | Status::Booked
        | Status::Arrived
        | Status::CheckedIn
        | Status::Fulfilled => true,
        Status::Held => b.hold_expires > now,
        _ => false,
    }
}

/// FORMAT.md's conflict rule, minute by minute.
fn brute(
    bs: &[B],
    caps: &[u32],
    now: i64,
    qs: i64,
    qe: i64,
    want: &BTreeSet<usize>,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for &r in want {
        let on: Vec<(usize, &B)> = bs
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                blocks(b, now) && b.resources.contains(&r) && b.start < qe && qs < b.start + b.len
            })
            .collect();
        let full = (qs..qe).any(|m| {
            let n = on
                .iter()
                .filter(|(_, b)| b.start <= m && m < b.start + b.len)
                .count();
            n >= caps[r] as usize
        });
        if full {
            let mut ids: Vec<String> = on.iter().map(|(i, _)| format!("b{i}")).collect();
            ids.sort();
            out.insert(RESOURCES[r].to_string(), ids);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn check_equals_brute_force(
        bs in prop::collection::vec(arb_booking(), 0..40),
        caps in prop::collection::vec(1u32..4, RESOURCES.len()),
        now in 0i64..200,
        q in (0i64..600, 1i64..200),
        want in prop::collection::btree_set(0..RESOURCES.len(), 1..4),
    ) {
        let mut ledger = Ledger::new();
        for (r, c) in RESOURCES.iter().zip(&caps) {
            ledger.set_capacity(r, *c).unwrap();
        }
        for (i, b) in bs.iter().enumerate() {
            ledger.insert(to_booking(i, b)).unwrap();
        }
        let req = Request::new(want.iter().map(|&r| RESOURCES[r].to_string()).collect(), hcas_core::Interval::new(t(q.0), t(q.0 + q.1)).unwrap());
        let got = ledger.check(&req, t(now)).unwrap();
        let got_map: BTreeMap<String, Vec<String>> = got.conflicts.iter().map(|c| (c.resource.clone(), c.with.clone())).collect();
        let want_map = brute(&bs, &caps, now, q.0, q.0 + q.1, &want);
        prop_assert_eq!(got.ok, want_map.is_empty());
        prop_assert_eq!(got_map, want_map);
        // Conflicts are listed sorted by resource.
        prop_assert!(got.conflicts.windows(2).all(|w| w[0].resource < w[1].resource));
    }

    /// Very long bookings (up to 60 days, starting up to 70 days before the
    /// query) mixed with short ones, some removed again: the length-class
    /// index answers as the brute force does, and `blocking_on` lists the same
    /// bookings by start.
    #[test]
    fn check_equals_brute_force_with_long_bookings(
        bs in prop::collection::vec(
            (arb_booking(), any::<bool>(), -100_800i64..600, 1i64..86_400, any::<bool>()),
            0..40,
        ),
        caps in prop::collection::vec(1u32..4, RESOURCES.len()),
        now in 0i64..200,
        q in (0i64..600, 1i64..200),
        want in prop::collection::btree_set(0..RESOURCES.len(), 1..4),
    ) {
        let mut ledger = Ledger::new();
        for (r, c) in RESOURCES.iter().zip(&caps) {
            ledger.set_capacity(r, *c).unwrap();
        }
        let mut kept: Vec<B> = Vec::new();
        let mut ids: Vec<usize> = Vec::new();
        for (i, (b, long, start, len, removed)) in bs.iter().enumerate() {
            let mut b = b.clone();
            if *long {
                b.start = *start;
                b.len = *len;
            }
            ledger.insert(to_booking(i, &b)).unwrap();
            if *removed {
                let id = format!("b{i}");
                let gone = ledger.remove(&id).is_some();
                prop_assert!(gone);
            } else {
                kept.push(b);
                ids.push(i);
            }
        }
        let req = Request::new(want.iter().map(|&r| RESOURCES[r].to_string()).collect(), hcas_core::Interval::new(t(q.0), t(q.0 + q.1)).unwrap());
        let got = ledger.check(&req, t(now)).unwrap();
        let got_map: BTreeMap<String, Vec<String>> = got.conflicts.iter().map(|c| (c.resource.clone(), c.with.clone())).collect();
        // The brute force names bookings by position in `kept`: rename them.
        let want_map: BTreeMap<String, Vec<String>> = brute(&kept, &caps, now, q.0, q.0 + q.1, &want)
            .into_iter()
            .map(|(r, with)| {
                let mut with: Vec<String> = with
                    .iter()
                    .map(|w| format!("b{}", ids[w[1..].parse::<usize>().unwrap()]))
                    .collect();
                with.sort();
                (r, with)
            })
            .collect();
        prop_assert_eq!(got.ok, want_map.is_empty());
        prop_assert_eq!(got_map, want_map);
        let window = hcas_core::Interval::new(t(q.0), t(q.0 + q.1)).unwrap();
        for (r, name) in RESOURCES.iter().enumerate() {
            let listed = ledger.blocking_on(name, &window, t(now));
            prop_assert!(listed.windows(2).all(|w| w[0].start <= w[1].start));
            let mut listed: Vec<String> = listed.iter().map(|b| b.id.clone()).collect();
            listed.sort();
            let mut brute_ids: Vec<String> = kept
                .iter()
                .zip(&ids)
                .filter(|(b, _)| blocks(b, now) && b.resources.contains(&r) && b.start < q.0 + q.1 && q.0 < b.start + b.len)
                .map(|(_, i)| format!("b{i}"))
                .collect();
            brute_ids.sort();
            prop_assert_eq!(listed, brute_ids);
        }
    }

    #[test]
    fn booking_what_is_free_never_exceeds_capacity(
        reqs in prop::collection::vec(arb_booking(), 1..60),
        caps in prop::collection::vec(1u32..4, RESOURCES.len()),
    ) {
        let mut ledger = Ledger::new();
        for (r, c) in RESOURCES.iter().zip(&caps) {
            ledger.set_capacity(r, *c).unwrap();
        }
        let now = 0;
        let mut kept: Vec<B> = Vec::new();
        for (i, b) in reqs.iter().enumerate() {
            let mut b = b.clone();
            if b.status == Status::Held { b.hold_expires = b.hold_expires.max(1); }
            if let BookOutcome::Booked(_) = ledger.book(to_booking(i, &b), BookOptions::at(t(now))).unwrap() {
                kept.push(b);
            }
        }
        for (r, cap) in caps.iter().enumerate() {
            for m in 0..800 {
                let n = kept.iter().filter(|b| blocks(b, now) && b.resources.contains(&r) && b.start <= m && m < b.start + b.len).count();
                prop_assert!(n <= *cap as usize, "{} has {} at minute {}", RESOURCES[r], n, m);
            }
        }
    }
}

#[test]
fn idempotency_key_returns_the_first_booking() {
    let mut ledger = Ledger::new();
    let b = Booking::new(
        "a",
        vec!["provider:P1".into()],
        hcas_core::Interval::new(t(0), t(30)).unwrap(),
    );
    let first = ledger
        .book(b.clone(), BookOptions::at(t(0)).idempotency_key("key-1"))
        .unwrap();
    assert!(matches!(first, BookOutcome::Booked(_)));
    let mut again = b;
    again.id = "a-retry".into();
    let second = ledger
        .book(again, BookOptions::at(t(0)).idempotency_key("key-1"))
        .unwrap();
    match second {
        BookOutcome::Existing(x) => assert_eq!(x.id, "a"),
        other => panic!("expected the existing booking, got {other:?}"),
    }
    assert_eq!(ledger.len(), 1);
}

#[test]
fn hold_then_confirm_is_atomic_and_expires() {
    let mut ledger = Ledger::new();
    let req = Request::new(
        vec!["provider:P1".into()],
        hcas_core::Interval::new(t(60), t(90)).unwrap(),
    );
    assert!(matches!(
        ledger
            .hold("h1", &req, HoldOptions::new(t(0), t(10)))
            .unwrap(),
        BookOutcome::Booked(_)
    ));
    // While the hold lives, nobody else gets the slot.
    let other = Booking::new(
        "x",
        vec!["provider:P1".into()],
        hcas_core::Interval::new(t(60), t(90)).unwrap(),
    );
    assert!(matches!(
        ledger.book(other.clone(), BookOptions::at(t(5))).unwrap(),
        BookOutcome::Conflict(_)
    ));
    // The hold confirms without conflicting with itself.
    assert!(matches!(
        ledger.confirm_hold("h1", t(5)).unwrap(),
        BookOutcome::Booked(_)
    ));
    assert_eq!(ledger.get("h1").unwrap().status, Status::Booked);
    // A second hold that expires cannot be confirmed afterwards.
    let req2 = Request::new(
        vec!["provider:P1".into()],
        hcas_core::Interval::new(t(120), t(150)).unwrap(),
    );
    ledger
        .hold("h2", &req2, HoldOptions::new(t(0), t(10)))
        .unwrap();
    assert_eq!(
        ledger.confirm_hold("h2", t(10)).unwrap_err().code(),
        hcas_core::ErrorCode::InvalidTransition
    );
    // ... and its slot is free again.
    let y = Booking::new(
        "y",
        vec!["provider:P1".into()],
        hcas_core::Interval::new(t(120), t(150)).unwrap(),
    );
    assert!(matches!(
        ledger.book(y, BookOptions::at(t(11))).unwrap(),
        BookOutcome::Booked(_)
    ));
}

fn iv(a: i64, b: i64) -> hcas_core::Interval {
    hcas_core::Interval::new(t(a), t(b)).unwrap()
}

#[test]
fn hold_options_set_the_expiry_and_refuse_a_past_one() {
    let mut ledger = Ledger::new();
    let req = Request::new(vec!["room:R1".into()], iv(60, 90));
    let opts = HoldOptions::lasting(t(0), hcas_core::Minutes::new(15)).unwrap();
    assert_eq!(opts.expires, t(15));
    let BookOutcome::Booked(h) = ledger.hold("h1", &req, opts).unwrap() else {
        panic!("not held")
    };
    assert_eq!((h.status, h.hold_expires), (Status::Held, Some(t(15))));
    let e = ledger
        .hold("h2", &req, HoldOptions::new(t(20), t(20)))
        .unwrap_err();
    assert_eq!(e.code(), hcas_core::ErrorCode::InvalidDuration);
}

#[test]
fn move_booking_takes_an_interval_and_changes_nothing_on_a_conflict() {
    let mut ledger = Ledger::new();
    for (id, a, b) in [("a", 0, 30), ("b", 60, 90)] {
        ledger
            .insert(Booking::new(id, vec!["provider:P1".into()], iv(a, b)))
            .unwrap();
    }
    // Onto b: refused, a stays.
    assert!(matches!(
        ledger.move_booking("a", iv(70, 100), t(0)).unwrap(),
        BookOutcome::Conflict(c) if c[0].with == ["b"]
    ));
    assert_eq!(ledger.get("a").unwrap().start, t(0));
    // Overlapping its own old time is fine.
    let BookOutcome::Booked(moved) = ledger.move_booking("a", iv(15, 45), t(0)).unwrap() else {
        panic!("not moved")
    };
    assert_eq!((moved.start, moved.end), (t(15), t(45)));
    assert_eq!(ledger.get("a").unwrap().end, t(45));
    assert_eq!(
        ledger
            .move_booking("zz", iv(0, 1), t(0))
            .unwrap_err()
            .code(),
        hcas_core::ErrorCode::InvalidRequest
    );
}

#[test]
fn check_options_exclude_and_count_extra_bookings() {
    let mut ledger = Ledger::new();
    ledger
        .insert(Booking::new("a", vec!["room:R1".into()], iv(0, 30)))
        .unwrap();
    let req = Request::new(vec!["room:R1".into()], iv(10, 20));
    let now = t(0);
    assert!(!ledger.check_with(&req, CheckOptions::at(now)).unwrap().ok);
    assert!(
        ledger
            .check_with(&req, CheckOptions::at(now).exclude("a"))
            .unwrap()
            .ok
    );
    assert_eq!(
        ledger
            .check_with(&req, CheckOptions::at(now).exclude("a"))
            .unwrap(),
        ledger.check_excluding(&req, now, Some("a")).unwrap()
    );
    let extra = [Booking::new("x", vec!["room:R1".into()], iv(15, 45))];
    let c = ledger
        .check_with(&req, CheckOptions::at(now).exclude("a").extra(&extra))
        .unwrap();
    assert_eq!(
        (c.ok, c.conflicts[0].with.as_slice()),
        (false, ["x".to_string()].as_slice())
    );
}

#[test]
fn reschedule_links_both_ways() {
    let mut ledger = Ledger::new();
    ledger
        .insert(Booking::new(
            "a",
            vec!["provider:P1".into()],
            hcas_core::Interval::new(t(0), t(30)).unwrap(),
        ))
        .unwrap();
    let new = Booking::new(
        "b",
        vec!["provider:P1".into()],
        hcas_core::Interval::new(t(15), t(45)).unwrap(),
    );
    // Overlaps only the booking it replaces: allowed.
    assert!(matches!(
        ledger
            .reschedule("a", new, RescheduleOptions::new(t(0), "patient asked"))
            .unwrap(),
        BookOutcome::Booked(_)
    ));
    assert_eq!(ledger.get("a").unwrap().status, Status::Cancelled);
    assert_eq!(ledger.get("a").unwrap().replaced_by.as_deref(), Some("b"));
    assert_eq!(ledger.get("b").unwrap().replaces.as_deref(), Some("a"));
    assert_eq!(
        ledger.get("a").unwrap().cancel_reason.as_deref(),
        Some("patient asked")
    );
}

mod series_and_advice {
    use chrono::NaiveDate;
    use hcas_core::advice::{AlternativeSearch, Alternatives, alternatives};
    use hcas_core::booking::{Booking, Conflict, Ledger, Request, SeriesRef, Status};
    use hcas_core::lifecycle::Party;
    use hcas_core::series::{
        EditScope, OccurrenceResult, SeriesBookOptions, SeriesCancel, SeriesEdit, SeriesSpec,
        WallShift, cancel_occurrences, series_bookings, shift_occurrences,
    };
    use hcas_core::{Availability, LocalTime, Recurrence, Timestamp, WorkingRule, Zone};

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn weekday_hours() -> Availability {
        let rule = WorkingRule::new(
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".parse().unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            LocalTime::parse("09:00").unwrap(),
            LocalTime::parse_end("12:00").unwrap(),
        )
        .unwrap();
        Availability::from_parts(Zone::parse("UTC").unwrap(), vec![rule], vec![], vec![])
    }

    fn physio(count: u32) -> SeriesSpec {
        SeriesSpec::new(
            "S",
            Recurrence::new(
                format!("FREQ=WEEKLY;BYDAY=TU;COUNT={count}")
                    .parse()
                    .unwrap(),
                hcas_core::time::parse_local_datetime("2026-05-05T10:00").unwrap(),
                Zone::parse("UTC").unwrap(),
            ),
            hcas_core::Minutes::new(60),
            vec!["provider:P1".into(), "patient:X1".into()],
        )
    }

    #[test]
    fn alternatives_are_the_nearest_free_starts_in_working_hours() {
        let mut ledger = Ledger::new();
        // 10:00-11:00 taken on Tuesday 5 May; 11:00-12:00 taken too.
        for (id, s, e) in [("a", "10:00", "11:00"), ("b", "11:00", "12:00")] {
            ledger
                .insert(Booking::new(
                    id,
                    vec!["provider:P1".into()],
                    hcas_core::Interval::new(
                        t(&format!("2026-05-05T{s}:00Z")),
                        t(&format!("2026-05-05T{e}:00Z")),
                    )
                    .unwrap(),
                ))
                .unwrap();
        }
        let req = Request::new(
            vec!["provider:P1".into()],
            hcas_core::Interval::new(t("2026-05-05T10:00:00Z"), t("2026-05-05T11:00:00Z")).unwrap(),
        );
        let search = AlternativeSearch::new(t("2026-05-01T00:00:00Z"), 2).search_days(7);
        let alt = alternatives(&weekday_hours(), &ledger, &req, &search).unwrap();
        // Before: 09:00 the same day, then Monday 11:00 (the last hour that fits on 4 May).
        assert_eq!(
            alt.before,
            [t("2026-05-05T09:00:00Z"), t("2026-05-04T11:00:00Z")]
        );
        // After: Wednesday 09:00 and 10:00 (11:00 on Tuesday is taken).
        assert_eq!(
            alt.after,
            [t("2026-05-06T09:00:00Z"), t("2026-05-06T10:00:00Z")]
        );
    }

    #[test]
    fn series_reports_alternatives_for_conflicting_occurrences() {
        let mut ledger = Ledger::new();
        ledger
            .insert(Booking::new(
                "x",
                vec!["patient:X1".into()],
                hcas_core::Interval::new(t("2026-05-12T10:00:00Z"), t("2026-05-12T11:00:00Z"))
                    .unwrap(),
            ))
            .unwrap();
        let spec = physio(3);
        let mut plan = spec.plan(&ledger, t("2026-05-01T00:00:00Z")).unwrap();
        spec.add_alternatives(
            &mut plan,
            &ledger,
            &weekday_hours(),
            &AlternativeSearch::new(t("2026-05-01T00:00:00Z"), 1).search_days(3),
        )
        .unwrap();
        assert!(plan[0].alternatives.is_none() && plan[2].alternatives.is_none());
        let alt = plan[1].alternatives.as_ref().unwrap();
        assert_eq!(alt.before, [t("2026-05-12T09:00:00Z")]);
        assert_eq!(alt.after, [t("2026-05-12T11:00:00Z")]);
    }

    #[test]
    fn occurrence_results_built_from_parts_equal_the_engines() {
        let mut ledger = Ledger::new();
        ledger
            .insert(Booking::new(
                "x",
                vec!["patient:X1".into()],
                hcas_core::Interval::new(t("2026-05-12T10:00:00Z"), t("2026-05-12T11:00:00Z"))
                    .unwrap(),
            ))
            .unwrap();
        let spec = physio(2);
        let mut plan = spec.plan(&ledger, t("2026-05-01T00:00:00Z")).unwrap();
        spec.add_alternatives(
            &mut plan,
            &ledger,
            &weekday_hours(),
            &AlternativeSearch::new(t("2026-05-01T00:00:00Z"), 1).search_days(3),
        )
        .unwrap();
        // By hand: Tuesday 5 May is free; Tuesday 12 May is held by `x` for
        // X1, with 09:00 before it and 11:00 after it free.
        let free = OccurrenceResult::new(
            "S.20260505T100000",
            "2026-05-05T10:00:00",
            t("2026-05-05T10:00:00Z"),
            t("2026-05-05T11:00:00Z"),
            true,
        );
        let taken = OccurrenceResult::new(
            "S.20260512T100000",
            "2026-05-12T10:00:00",
            t("2026-05-12T10:00:00Z"),
            t("2026-05-12T11:00:00Z"),
            false,
        )
        .with_conflicts(vec![Conflict::new("patient:X1", vec!["x".into()])])
        .with_alternatives(Some(Alternatives::new(
            vec![t("2026-05-12T09:00:00Z")],
            vec![t("2026-05-12T11:00:00Z")],
        )));
        assert_eq!(plan, [free.clone(), taken.clone()]);
        assert!(!free.booked && free.conflicts.is_empty() && free.alternatives.is_none());
        // `with_booked` sets only `booked`; the serde form, written by hand,
        // is the same value.
        let booked = free.clone().with_booked(true);
        assert!(booked.booked && booked.ok && booked.id == free.id);
        let json: OccurrenceResult = serde_json::from_str(
            r#"{"id": "S.20260505T100000", "recurrence_id": "2026-05-05T10:00:00",
                "start": "2026-05-05T10:00:00Z", "end": "2026-05-05T11:00:00Z",
                "ok": true, "conflicts": [], "booked": true}"#,
        )
        .unwrap();
        assert_eq!(booked, json);
    }

    fn edit(
        recurrence_id: &str,
        scope: EditScope,
        minutes: i64,
        duration: Option<i64>,
    ) -> SeriesEdit {
        let mut x = SeriesEdit::new(
            SeriesRef::new("S", recurrence_id),
            scope,
            Zone::parse("UTC").unwrap(),
            Party::Staff,
        )
        .shift(WallShift::minutes(hcas_core::Minutes::new(minutes)));
        x.duration = duration.map(hcas_core::Minutes::new);
        x
    }

    #[test]
    fn edits_this_following_and_all() {
        let mut ledger = Ledger::new();
        let now = t("2026-05-01T00:00:00Z");
        let res = physio(4)
            .book(&mut ledger, SeriesBookOptions::at(now))
            .unwrap();
        assert!(res.booked);
        // Move only the second occurrence one hour later: its id (RECURRENCE-ID) stays.
        let moved = shift_occurrences(
            &mut ledger,
            &edit("2026-05-12T10:00:00", EditScope::This, 60, None),
            now,
        )
        .unwrap();
        assert!(moved.applied && moved.occurrences.len() == 1 && moved.occurrences[0].booked);
        let b = ledger.get("S.20260512T100000").unwrap();
        assert_eq!(
            (b.start, b.end),
            (t("2026-05-12T11:00:00Z"), t("2026-05-12T12:00:00Z"))
        );
        // A conflicting move of this-and-following changes nothing.
        ledger
            .insert(Booking::new(
                "blocker",
                vec!["provider:P1".into()],
                hcas_core::Interval::new(t("2026-05-26T09:30:00Z"), t("2026-05-26T10:00:00Z"))
                    .unwrap(),
            ))
            .unwrap();
        let refused = shift_occurrences(
            &mut ledger,
            &edit(
                "2026-05-19T10:00:00",
                EditScope::ThisAndFollowing,
                -30,
                None,
            ),
            now,
        )
        .unwrap();
        assert!(!refused.applied);
        assert!(
            refused.occurrences.iter().any(|r| !r.ok)
                && refused.occurrences.iter().all(|r| !r.booked)
        );
        assert_eq!(
            ledger.get("S.20260519T100000").unwrap().start,
            t("2026-05-19T10:00:00Z")
        );
        // Cancel this and following from the third: two cancelled, first two kept.
        let cancel = SeriesCancel::new(
            SeriesRef::new("S", "2026-05-19T10:00:00"),
            EditScope::ThisAndFollowing,
            Party::Staff,
            "course ended",
        );
        let done = cancel_occurrences(&mut ledger, &cancel, now).unwrap();
        let ids: Vec<&str> = done.cancelled.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["S.20260519T100000", "S.20260526T100000"]);
        assert!(done.skipped.is_empty());
        let live: Vec<String> = series_bookings(&ledger, "S")
            .iter()
            .filter(|b| b.status == Status::Booked)
            .map(|b| b.id.clone())
            .collect();
        assert_eq!(live, ["S.20260505T100000", "S.20260512T100000"]);
        // All: shorten every remaining occurrence to 45 minutes; the two
        // cancelled ones are skipped, with why.
        let all = shift_occurrences(
            &mut ledger,
            &edit("2026-05-05T10:00:00", EditScope::All, 0, Some(45)),
            now,
        )
        .unwrap();
        assert!(all.applied);
        assert_eq!(all.occurrences.len(), 2);
        assert_eq!(all.skipped.len(), 2);
        assert_eq!(
            ledger.get("S.20260505T100000").unwrap().end,
            t("2026-05-05T10:45:00Z")
        );
    }
}
