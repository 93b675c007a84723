//! Status changes and reschedules: optimistic versions, the core's lifecycle
//! (transitions, actors, reasons, the clock rules, the policy), and refused
//! writes that change nothing.

use super::holds::TapHeld;
use super::*;

/// Optimistic concurrency: a stale version is refused; each change writes an
/// event. A cancelled booking cannot be booked again (the lifecycle); a
/// change that makes a booking block again is checked for conflicts.
pub async fn suite_version_mismatch(store: &dyn AppointmentStore) {
    let now = at(-60);
    store
        .book(booked("a1", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let v2 = store
        .set_status(
            "a1",
            1,
            &change(Status::Cancelled, Party::Patient, Some("ill"), now),
        )
        .await
        .unwrap();
    assert_eq!(v2.booking.version, 2);
    assert_eq!(v2.booking.value.status, Status::Cancelled);
    assert_eq!(v2.booking.value.cancel_reason.as_deref(), Some("ill"));
    assert_eq!(
        (v2.transition.from, v2.transition.to),
        (Status::Booked, Status::Cancelled)
    );
    let err = store
        .set_status("a1", 1, &change(Status::Booked, Party::Staff, None, now))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::VersionMismatch { id, expected: 1, found: 2 } if id == "a1"),
        "{err:?}"
    );
    assert_eq!(err.code(), "version_mismatch");
    // Cancelled is final: it cannot be booked again, at the right version either.
    let err = store
        .set_status("a1", 2, &change(Status::Booked, Party::Staff, None, now))
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidTransition), "{err}");
    // A proposal blocks nothing; booking it after someone took the slot conflicts.
    let mut p1 = booked("p1", 0, 30, &["provider:P1"]);
    p1.status = Status::Proposed;
    store.book(p1, None, now).await.unwrap();
    store
        .book(booked("a2", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let r = store
        .set_status("p1", 1, &change(Status::Booked, Party::Staff, None, now))
        .await;
    assert_eq!(conflicts_of(r), vec![c("provider:P1", &["a2"])]);
    let v3 = store
        .set_status("a2", 1, &change(Status::Arrived, Party::Staff, None, now))
        .await
        .unwrap();
    assert_eq!(v3.booking.version, 2);
    assert_eq!(store.get("a2").await.unwrap(), v3.booking);
    let kinds: Vec<String> = store
        .outbox_pending(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            kind::APPOINTMENT_CREATED,
            kind::APPOINTMENT_CANCELLED,
            kind::APPOINTMENT_CREATED,
            kind::APPOINTMENT_CREATED,
            kind::APPOINTMENT_UPDATED
        ]
    );
}

/// Every rejected write leaves bookings, versions and the outbox as they were.
pub async fn suite_rejected_writes_change_nothing(store: &dyn AppointmentStore) {
    let now = at(-60);
    store
        .book(
            booked("a1", 0, 30, &["provider:P1", "patient:X1"]),
            Some("k1"),
            now,
        )
        .await
        .unwrap();
    store.set_capacity("room:R1", 1).await.unwrap();
    let before = store.counts().await.unwrap();
    let outbox_before = store.outbox_pending(100).await.unwrap();
    let a1_before = store.get("a1").await.unwrap();

    let mut empty_id = booked("", 0, 30, &["provider:P2"]);
    empty_id.id.clear();
    let rejected: Vec<(&str, Result<_, StoreError>)> = vec![
        (
            "conflict",
            store
                .book(booked("x1", 10, 20, &["provider:P1"]), None, now)
                .await,
        ),
        (
            "no resources",
            store.book(booked("x2", 10, 20, &[]), None, now).await,
        ),
        (
            "empty resource",
            store.book(booked("x3", 10, 20, &[""]), None, now).await,
        ),
        (
            "end before start",
            store
                .book(booked("x4", 20, 10, &["provider:P2"]), None, now)
                .await,
        ),
        (
            "empty interval",
            store
                .book(booked("x5", 20, 20, &["provider:P2"]), None, now)
                .await,
        ),
        ("empty id", store.book(empty_id, None, now).await),
        (
            "hold without expiry",
            store
                .book(booked("x6", 40, 50, &["provider:P2"]).tap_held(), None, now)
                .await,
        ),
        (
            "duplicate id",
            store
                .book(booked("a1", 100, 130, &["provider:P9"]), None, now)
                .await,
        ),
        (
            "key reused for other details",
            store
                .book(booked("x7", 100, 130, &["provider:P9"]), Some("k1"), now)
                .await,
        ),
    ];
    for (what, r) in rejected {
        assert!(r.is_err(), "{what}: accepted: {r:?}");
    }
    let cancel = change(Status::Cancelled, Party::Staff, Some("x"), now);
    let status_changes = [
        ("stale version", store.set_status("a1", 7, &cancel).await),
        (
            "unknown booking",
            store.set_status("nope", 1, &cancel).await,
        ),
        (
            "to held",
            store
                .set_status("a1", 1, &change(Status::Held, Party::Staff, None, now))
                .await,
        ),
    ];
    for (what, r) in status_changes {
        assert!(r.is_err(), "{what}: accepted: {r:?}");
    }
    assert!(store.set_capacity("room:R1", 0).await.is_err());
    assert!(
        store
            .busy("provider:P1", at(10), at(10), now)
            .await
            .is_err()
    );

    assert_eq!(store.counts().await.unwrap(), before);
    assert_eq!(store.outbox_pending(100).await.unwrap(), outbox_before);
    assert_eq!(store.get("a1").await.unwrap(), a1_before);
    // room:R1 kept capacity 1.
    store
        .book(booked("r1", 0, 30, &["room:R1"]), None, now)
        .await
        .unwrap();
    let r = store
        .book(booked("r2", 0, 30, &["room:R1"]), None, now)
        .await;
    assert_eq!(conflicts_of(r), vec![c("room:R1", &["r1"])]);
}

/// A snapshot of what a refused write must leave alone: counts, the unsent
/// outbox, and the given bookings with their versions.
async fn snapshot(
    store: &dyn AppointmentStore,
    ids: &[&str],
) -> (Counts, Vec<crate::OutboxEvent>, Vec<crate::Stored<Booking>>) {
    let mut bookings = Vec::new();
    for id in ids {
        bookings.push(store.get(id).await.unwrap());
    }
    (
        store.counts().await.unwrap(),
        store.outbox_pending(10_000).await.unwrap(),
        bookings,
    )
}

/// Every status change goes through the core's lifecycle: illegal changes
/// are `invalid_transition`, the wrong actor `not_permitted`, a missing
/// reason `invalid_request`; the clock rules hold (an expired hold is not
/// confirmed, a started appointment not cancelled); the same for the
/// cancelled side of a reschedule. A refused change writes nothing. Allowed
/// changes answer the lifecycle's outcomes (late cancellation, no-show).
pub async fn suite_lifecycle(store: &dyn AppointmentStore) {
    let early = at(-3000);
    let now = at(-60);
    for b in [
        booked("a1", 0, 30, &["provider:P1", "patient:X1"]),
        held("h1", 60, 90, -30, &["provider:P1"]),
        held("h2", 400, 430, -50, &["provider:P1"]),
        booked("c1", 120, 150, &["provider:P1"]),
        booked("n1", 200, 230, &["provider:P2"]),
        booked("n2", 300, 330, &["provider:P3"]),
    ] {
        store.book(b, None, early).await.unwrap();
    }
    // Two days ahead: an ordinary cancellation, freeing the slot.
    let c1 = store
        .set_status(
            "c1",
            1,
            &change(Status::Cancelled, Party::Staff, Some("duplicate"), early),
        )
        .await
        .unwrap();
    assert_eq!(
        c1.transition.outcomes,
        [Outcome::Cancelled, Outcome::SlotFreed]
    );
    let before = snapshot(store, &["a1", "h1", "h2", "c1", "n1", "n2"]).await;

    use ErrorCode::{InvalidRequest, InvalidTransition, NotPermitted};
    use Status::{Arrived, Booked, Cancelled, EnteredInError, Fulfilled, Held, Noshow};
    let refused: Vec<(&str, &str, i64, TransitionRequest, ErrorCode)> = vec![
        (
            "cancelled -> booked",
            "c1",
            2,
            change(Booked, Party::Staff, None, now),
            InvalidTransition,
        ),
        (
            "booked -> booked",
            "a1",
            1,
            change(Booked, Party::Staff, None, now),
            InvalidTransition,
        ),
        (
            "booked -> fulfilled, skipping arrival",
            "a1",
            1,
            change(Fulfilled, Party::Practitioner, None, at(5)),
            InvalidTransition,
        ),
        (
            "booked -> held",
            "a1",
            1,
            change(Held, Party::Staff, None, now),
            InvalidTransition,
        ),
        (
            "a patient records their own no-show",
            "a1",
            1,
            change(Noshow, Party::Patient, None, at(20)),
            NotPermitted,
        ),
        (
            "a practitioner enters in error",
            "a1",
            1,
            change(EnteredInError, Party::Practitioner, Some("dup"), now),
            NotPermitted,
        ),
        (
            "a practitioner confirms a hold",
            "h2",
            1,
            change(Booked, Party::Practitioner, None, at(-55)),
            NotPermitted,
        ),
        (
            "cancel a booked appointment without a reason",
            "a1",
            1,
            change(Cancelled, Party::Patient, None, now),
            InvalidRequest,
        ),
        (
            "a blank reason",
            "a1",
            1,
            change(Cancelled, Party::Patient, Some("  "), now),
            InvalidRequest,
        ),
        (
            "cancel after the start",
            "a1",
            1,
            change(Cancelled, Party::Patient, Some("ill"), at(1)),
            InvalidTransition,
        ),
        (
            "arrive before check-in opens",
            "a1",
            1,
            change(Arrived, Party::Staff, None, at(-61)),
            InvalidTransition,
        ),
        (
            "no-show inside the grace period",
            "a1",
            1,
            change(Noshow, Party::Staff, None, at(14)),
            InvalidTransition,
        ),
        (
            "confirm a hold at its expiry",
            "h1",
            1,
            change(Booked, Party::Patient, None, at(-30)),
            InvalidTransition,
        ),
        (
            "confirm an expired hold",
            "h1",
            1,
            change(Booked, Party::Staff, None, at(-10)),
            InvalidTransition,
        ),
    ];
    for (what, id, version, req, code) in &refused {
        let err = store.set_status(id, *version, req).await.unwrap_err();
        assert_eq!(err.code(), "invalid", "{what}: {err}");
        assert_eq!(err.core_code(), Some(*code), "{what}: {err}");
    }
    let err = store
        .set_status("h1", 1, &change(Booked, Party::Patient, None, at(-10)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    // The cancelled side of a reschedule follows the same rules.
    let elsewhere = |id: &str| booked(id, 600, 630, &["provider:P9"]);
    let moves = [
        (
            "after the start",
            "a1",
            1,
            Party::Patient,
            "ill",
            at(1),
            InvalidTransition,
        ),
        (
            "a blank reason",
            "a1",
            1,
            Party::Patient,
            " ",
            now,
            InvalidRequest,
        ),
        (
            "a cancelled booking",
            "c1",
            2,
            Party::Staff,
            "x",
            now,
            InvalidTransition,
        ),
    ];
    for (what, id, version, actor, reason, when, code) in moves {
        let err = store
            .reschedule(
                id,
                version,
                elsewhere("m1"),
                &crate::RescheduleRequest::new(actor, reason, when),
            )
            .await
            .unwrap_err();
        assert_eq!(err.core_code(), Some(code), "reschedule {what}: {err}");
    }
    assert_eq!(
        snapshot(store, &["a1", "h1", "h2", "c1", "n1", "n2"]).await,
        before,
        "a refused change wrote something"
    );
    assert_eq!(store.get("m1").await.unwrap_err().code(), "not_found");

    // Allowed changes, with the lifecycle's outcomes.
    let h2 = store
        .set_status("h2", 1, &change(Booked, Party::Patient, None, at(-55)))
        .await
        .unwrap();
    assert_eq!(
        (h2.booking.value.status, h2.booking.value.hold_expires),
        (Booked, None)
    );
    assert!(h2.transition.outcomes.is_empty());
    let a1 = store
        .set_status(
            "a1",
            1,
            &change(Cancelled, Party::Patient, Some("ill"), now),
        )
        .await
        .unwrap();
    assert_eq!(
        a1.transition.outcomes,
        [
            Outcome::Cancelled,
            Outcome::LateCancellation {
                minutes_before_start: Minutes::new(60)
            },
            Outcome::SlotFreed
        ]
    );
    assert_eq!(
        (
            a1.booking.version,
            a1.booking.value.cancel_reason.as_deref()
        ),
        (2, Some("ill"))
    );
    let n1 = store
        .set_status("n1", 1, &change(Noshow, Party::Practitioner, None, at(215)))
        .await
        .unwrap();
    assert_eq!(n1.transition.outcomes, [Outcome::NoShow]);
    let n2 = store
        .set_status(
            "n2",
            1,
            &change(Status::CheckedIn, Party::Patient, None, at(250)),
        )
        .await
        .unwrap();
    let n2 = store
        .set_status(
            "n2",
            n2.booking.version,
            &change(Fulfilled, Party::Practitioner, None, at(300)),
        )
        .await
        .unwrap();
    assert_eq!(
        (n2.booking.value.status, n2.booking.version),
        (Fulfilled, 3)
    );
    let e = store
        .set_status(
            "c1",
            2,
            &change(EnteredInError, Party::Staff, Some("wrong patient"), now),
        )
        .await
        .unwrap();
    assert_eq!(
        e.booking.value.cancel_reason.as_deref(),
        Some("wrong patient")
    );
    assert!(e.transition.outcomes.is_empty());
    for x in [&h2, &a1, &n1, &n2, &e] {
        assert_eq!(
            store.get(&x.booking.value.id).await.unwrap(),
            x.booking,
            "read back"
        );
    }
}

/// The timing rules a store built for [`suite_policy`] must have (not the default).
pub const POLICY: LifecyclePolicy = LifecyclePolicy::new()
    .late_cancel(Minutes::new(120))
    .noshow_grace(Minutes::new(5))
    .checkin_opens(Minutes::new(30));

/// A store built with [`POLICY`] decides every status change with it, not
/// with `LifecyclePolicy::default()`.
pub async fn suite_policy(store: &dyn AppointmentStore) {
    let early = at(-3000);
    for (i, id) in ["p1", "p2", "p3", "p4"].iter().enumerate() {
        let start = 60 * i64::try_from(i).unwrap();
        store
            .book(
                booked(id, start, start + 30, &[&format!("patient:{id}")]),
                None,
                early,
            )
            .await
            .unwrap();
    }
    // Three hours ahead is not late under POLICY (it is under the default).
    let r = store
        .set_status(
            "p1",
            1,
            &change(Status::Cancelled, Party::Patient, Some("x"), at(-180)),
        )
        .await
        .unwrap();
    assert_eq!(
        r.transition.outcomes,
        [Outcome::Cancelled, Outcome::SlotFreed]
    );
    // 90 minutes ahead is late.
    let r = store
        .reschedule(
            "p2",
            1,
            booked("p2b", 500, 530, &["patient:p2"]),
            &crate::RescheduleRequest::new(Party::Patient, "x", at(60 - 90)),
        )
        .await
        .unwrap();
    assert!(
        r.transition.outcomes.contains(&Outcome::LateCancellation {
            minutes_before_start: Minutes::new(90)
        }),
        "{:?}",
        r.transition
    );
    // Check-in opens 30 minutes before the start (the default: 60).
    let err = store
        .set_status(
            "p3",
            1,
            &change(Status::CheckedIn, Party::Patient, None, at(120 - 45)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidTransition), "{err}");
    // A no-show 5 minutes after the start (the default: 15).
    let r = store
        .set_status(
            "p4",
            1,
            &change(Status::Noshow, Party::Staff, None, at(180 + 5)),
        )
        .await
        .unwrap();
    assert_eq!(r.transition.outcomes, [Outcome::NoShow]);
}

/// Reschedule: all or nothing. A conflict, a stale version, an unknown id,
/// a status that cannot move, a used id or a malformed booking change
/// nothing; a success cancels the old booking and books the new one, linked
/// both ways, with one event each. The old booking does not block the new.
pub async fn suite_reschedule(store: &dyn AppointmentStore) {
    let now = at(-60);
    store
        .book(
            booked("a1", 0, 30, &["provider:P1", "patient:X1"]),
            None,
            now,
        )
        .await
        .unwrap();
    store
        .book(booked("b1", 30, 60, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let before = store.counts().await.unwrap();
    let taken = conflicts_of(
        store
            .reschedule(
                "a1",
                1,
                booked("a2", 15, 45, &["provider:P1", "patient:X1"]),
                &crate::RescheduleRequest::new(Party::Patient, "later", now),
            )
            .await,
    );
    assert_eq!(taken, vec![c("provider:P1", &["b1"])]);
    let err = store
        .reschedule(
            "a1",
            1,
            booked("b1", 15, 30, &["provider:P1"]),
            &crate::RescheduleRequest::new(Party::Staff, "x", now),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.core_code()),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut bad = booked("a3", 15, 30, &["provider:P1"]);
    bad.end = bad.start;
    assert_eq!(
        store
            .reschedule(
                "a1",
                1,
                bad,
                &crate::RescheduleRequest::new(Party::Staff, "x", now)
            )
            .await
            .unwrap_err()
            .code(),
        "invalid"
    );
    match store
        .reschedule(
            "a1",
            7,
            booked("a4", 15, 30, &["provider:P1"]),
            &crate::RescheduleRequest::new(Party::Staff, "x", now),
        )
        .await
    {
        Err(StoreError::VersionMismatch {
            expected, found, ..
        }) => assert_eq!((expected, found), (7, 1)),
        other => panic!("expected a version mismatch, got {other:?}"),
    }
    let err = store
        .reschedule(
            "zz",
            1,
            booked("a5", 15, 30, &["provider:P1"]),
            &crate::RescheduleRequest::new(Party::Staff, "x", now),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert_eq!(store.counts().await.unwrap(), before);
    assert_eq!(store.get("a1").await.unwrap().value.status, Status::Booked);

    // Overlapping its own old time is fine: the old booking does not count.
    let r = store
        .reschedule(
            "a1",
            1,
            booked("a2", 15, 30, &["provider:P1", "patient:X1"]),
            &crate::RescheduleRequest::new(Party::Patient, "patient asked", at(-30)),
        )
        .await
        .unwrap();
    assert_eq!((r.old.version, r.new.version), (2, 1));
    // Half an hour before the start: a late cancellation of the old booking.
    assert_eq!(
        (r.transition.from, r.transition.to),
        (Status::Booked, Status::Cancelled)
    );
    assert!(
        r.transition.outcomes.contains(&Outcome::LateCancellation {
            minutes_before_start: Minutes::new(30)
        }),
        "{:?}",
        r.transition
    );
    assert_eq!(r.old.value.status, Status::Cancelled);
    assert_eq!(r.old.value.cancel_reason.as_deref(), Some("patient asked"));
    assert_eq!(r.old.value.replaced_by.as_deref(), Some("a2"));
    assert_eq!(r.new.value.replaces.as_deref(), Some("a1"));
    assert_eq!(store.get("a1").await.unwrap(), r.old);
    assert_eq!(store.get("a2").await.unwrap(), r.new);
    let after = store.counts().await.unwrap();
    assert_eq!(
        (after.bookings, after.outbox),
        (before.bookings + 1, before.outbox + 2)
    );
    let events = store.outbox_pending(100).await.unwrap();
    let last: Vec<(&str, &str, Timestamp)> = events[events.len() - 2..]
        .iter()
        .map(|e| (e.kind.as_str(), e.aggregate_id.as_str(), e.created))
        .collect();
    assert_eq!(
        last,
        [
            (kind::APPOINTMENT_CREATED, "a2", at(-30)),
            (kind::APPOINTMENT_CANCELLED, "a1", at(-30))
        ]
    );
    let busy = store.busy("provider:P1", at(0), at(60), now).await.unwrap();
    let starts: Vec<Timestamp> = busy.iter().map(Interval::start).collect();
    assert_eq!(starts, [at(15), at(30)]);
    // The cancelled booking cannot move again: cancelled is final.
    let err = store
        .reschedule(
            "a1",
            2,
            booked("a6", 90, 120, &["provider:P1"]),
            &crate::RescheduleRequest::new(Party::Staff, "x", now),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.core_code()),
        ("invalid", Some(ErrorCode::InvalidTransition))
    );
    assert_eq!(store.counts().await.unwrap(), after);
}
