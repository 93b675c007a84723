//! The conformance suite every adapter must pass, written once against
//! `&dyn AppointmentStore`. Each `suite_*` function wants a fresh, empty
//! store; adapters' tests call them (see `tests/conformance.rs`).
//!
//! Test code: it asserts and panics on failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    clippy::missing_panics_doc
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hcas_core::booking::{Booking, Conflict, Status};
use hcas_core::lifecycle::{LifecyclePolicy, Outcome, Party, TransitionRequest};
use hcas_core::{ErrorCode, Interval, Minutes, Timestamp};

use crate::{AppointmentStore, Counts, StoreError, kind};

/// A status change to `to` by `actor`, with `reason`, at `now`.
#[must_use]
pub fn change(to: Status, actor: Party, reason: Option<&str>, now: Timestamp) -> TransitionRequest {
    let mut x = TransitionRequest::new(to, actor, now);
    x.reason = reason.map(str::to_string);
    x
}

/// 2026-05-04T09:00:00Z plus `minutes`.
#[must_use]
pub fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix(1_777_885_200 + minutes * 60).unwrap()
}

/// A booked appointment from `at(from)` to `at(to)` on `resources`.
#[must_use]
pub fn booked(id: &str, from: i64, to: i64, resources: &[&str]) -> Booking {
    let resources = resources.iter().map(|r| (*r).to_string()).collect();
    let mut b = Booking::new(
        id,
        resources,
        Interval::new(Timestamp::MIN, Timestamp::MAX).unwrap(),
    );
    // Set after construction: the suites also need empty intervals, to
    // check that stores refuse them.
    b.start = at(from);
    b.end = at(to);
    b
}

/// A hold from `at(from)` to `at(to)` expiring at `at(expires)`.
#[must_use]
pub fn held(id: &str, from: i64, to: i64, expires: i64, resources: &[&str]) -> Booking {
    let mut b = booked(id, from, to, resources);
    b.status = Status::Held;
    b.hold_expires = Some(at(expires));
    b
}

fn conflicts_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> Vec<Conflict> {
    match r {
        Err(StoreError::Conflict { conflicts }) => conflicts,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn c(resource: &str, with: &[&str]) -> Conflict {
    Conflict::new(
        resource.to_string(),
        with.iter().map(|s| (*s).to_string()).collect(),
    )
}

/// Before anything: a booking made is the booking read back, at version 1,
/// with one `appointment.created` event; unknown ids are `not_found`.
pub async fn suite_book_then_get(store: &dyn AppointmentStore) {
    let now = at(-60);
    let b = booked("a1", 0, 30, &["provider:P1", "patient:X1"]);
    let stored = store.book(b.clone(), None, now).await.unwrap();
    assert_eq!(stored.value, b);
    assert_eq!(stored.version, 1);
    let got = store.get("a1").await.unwrap();
    assert_eq!(got, stored);
    let err = store.get("nope").await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    let events = store.outbox_pending(10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, kind::APPOINTMENT_CREATED);
    assert_eq!(events[0].aggregate_id, "a1");
    assert_eq!(events[0].created, now);
    assert_eq!(events[0].payload["id"], "a1");
    store.outbox_mark_sent(&[events[0].id]).await.unwrap();
    assert!(store.outbox_pending(10).await.unwrap().is_empty());
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 1,
            outbox: 1
        }
    );
}

/// Every conflicting resource is reported, each with every blocking booking.
pub async fn suite_every_conflict_named(store: &dyn AppointmentStore) {
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
        .book(
            booked("a2", 15, 45, &["provider:P2", "patient:X2"]),
            None,
            now,
        )
        .await
        .unwrap();
    store
        .book(booked("a3", 20, 50, &["room:R1", "patient:X3"]), None, now)
        .await
        .unwrap();
    // Touching, not overlapping: free.
    store
        .book(
            booked("a4", 30, 60, &["provider:P1", "patient:X9"]),
            None,
            now,
        )
        .await
        .unwrap();
    let err = store
        .book(
            booked("q", 10, 25, &["provider:P1", "patient:X2", "room:R1"]),
            None,
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("a1"));
    assert_eq!(
        conflicts_of::<()>(Err(err)),
        vec![
            c("patient:X2", &["a2"]),
            c("provider:P1", &["a1"]),
            c("room:R1", &["a3"])
        ]
    );
}

/// A room of capacity 3 takes 3 overlapping bookings, not 4.
pub async fn suite_capacity(store: &dyn AppointmentStore) {
    let now = at(-60);
    store.set_capacity("room:R1", 3).await.unwrap();
    for (i, p) in ["X1", "X2", "X3"].iter().enumerate() {
        let start = i64::try_from(i).unwrap() * 5;
        store
            .book(
                booked(
                    &format!("r{i}"),
                    start,
                    start + 30,
                    &["room:R1", &format!("patient:{p}")],
                ),
                None,
                now,
            )
            .await
            .unwrap();
    }
    let r = store
        .book(booked("r3", 12, 20, &["room:R1", "patient:X4"]), None, now)
        .await;
    assert_eq!(conflicts_of(r), vec![c("room:R1", &["r0", "r1", "r2"])]);
    // After the first one ends there is room again.
    store
        .book(booked("r4", 30, 40, &["room:R1", "patient:X4"]), None, now)
        .await
        .unwrap();
    let err = store.set_capacity("room:R2", 0).await.unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
}

/// A live hold blocks; an expired one does not.
pub async fn suite_holds(store: &dyn AppointmentStore) {
    store
        .book(held("h1", 0, 30, 10, &["provider:P1"]), None, at(0))
        .await
        .unwrap();
    let r = store
        .book(booked("b1", 0, 30, &["provider:P1"]), None, at(5))
        .await;
    assert_eq!(conflicts_of(r), vec![c("provider:P1", &["h1"])]);
    // At the expiry instant the hold has lapsed.
    store
        .book(booked("b1", 0, 30, &["provider:P1"]), None, at(10))
        .await
        .unwrap();
    let err = store
        .book(
            booked("h2", 0, 30, &["provider:P2"]).tap_held(),
            None,
            at(0),
        )
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
}

trait TapHeld {
    fn tap_held(self) -> Self;
}
impl TapHeld for Booking {
    /// Held without an expiry: invalid.
    fn tap_held(mut self) -> Self {
        self.status = Status::Held;
        self
    }
}

/// A repeated idempotency key returns the first booking and writes one event.
pub async fn suite_idempotency(store: &dyn AppointmentStore) {
    let now = at(-60);
    let first = store
        .book(booked("a1", 0, 30, &["provider:P1"]), Some("k1"), now)
        .await
        .unwrap();
    // A retry, even with a freshly generated id, returns the first booking.
    let again = store
        .book(booked("a1-retry", 0, 30, &["provider:P1"]), Some("k1"), now)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 1,
            outbox: 1
        }
    );
    let err = store
        .book(booked("a2", 30, 60, &["provider:P1"]), Some("k1"), now)
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
    assert!(matches!(
        store.get("a1-retry").await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Idempotency keys expire [`crate::IDEMPOTENCY_TTL_SECONDS`] (24 h) after
/// their first use, by the caller's `now`: reused within the TTL the key
/// returns the first booking (and refuses other details); reused after it,
/// the key is forgotten and the request books anew, and the key then
/// belongs to the new booking.
pub async fn suite_idempotency_expires(store: &dyn AppointmentStore) {
    let ttl_minutes = crate::IDEMPOTENCY_TTL_SECONDS / 60;
    let first_use = at(-60);
    let first = store
        .book(booked("a1", 0, 30, &["provider:P1"]), Some("k1"), first_use)
        .await
        .unwrap();
    // One minute before expiry: still the first booking, and still bound to its details.
    let late = first_use.plus_minutes(ttl_minutes - 1).unwrap();
    let again = store
        .book(
            booked("a1-retry", 0, 30, &["provider:P1"]),
            Some("k1"),
            late,
        )
        .await
        .unwrap();
    assert_eq!(again, first);
    let err = store
        .book(booked("a2", 60, 90, &["provider:P1"]), Some("k1"), late)
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
    // One minute after expiry: forgotten, so other details book anew.
    let expired = first_use.plus_minutes(ttl_minutes + 1).unwrap();
    let anew = store
        .book(booked("a2", 60, 90, &["provider:P1"]), Some("k1"), expired)
        .await
        .unwrap();
    assert_eq!((anew.value.id.as_str(), anew.version), ("a2", 1));
    assert_eq!(store.get("a2").await.unwrap(), anew);
    // A same-details repeat after expiry books anew too (here it meets the first booking).
    let k2 = store
        .book(
            booked("b1", 120, 150, &["provider:P2"]),
            Some("k2"),
            first_use,
        )
        .await
        .unwrap();
    assert_eq!(k2.value.id, "b1");
    let r = store
        .book(
            booked("b1-again", 120, 150, &["provider:P2"]),
            Some("k2"),
            expired,
        )
        .await;
    assert_eq!(conflicts_of(r), vec![c("provider:P2", &["b1"])]);
    // The key now belongs to the new booking a2, from its new first use.
    let repeat = store
        .book(
            booked("a2-retry", 60, 90, &["provider:P1"]),
            Some("k1"),
            expired,
        )
        .await
        .unwrap();
    assert_eq!(repeat, anew);
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 3,
            outbox: 3
        }
    );
}

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
            .reschedule(id, version, elsewhere("m1"), actor, reason, when)
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
            Party::Patient,
            "x",
            at(60 - 90),
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

/// `busy` returns exactly the blocking bookings overlapping the window.
pub async fn suite_busy(store: &dyn AppointmentStore) {
    let p = "provider:P1";
    let now = at(0);
    let book = |b: Booking| async move { store.book(b, None, now).await.unwrap() };
    book(booked("before", -30, 0, &[p])).await; // touches the window: out
    book(booked("b1", 0, 30, &[p, "patient:X1"])).await;
    let c1 = book(booked("c1", 30, 60, &[p])).await;
    store
        .set_status(
            "c1",
            c1.version,
            &change(Status::Cancelled, Party::Staff, Some("sick"), now),
        )
        .await
        .unwrap();
    book(held("h-live", 60, 90, 120, &[p])).await;
    book(held("h-gone", 90, 120, 5, &[p])).await; // expires at +5 min
    book(booked("b2", 120, 200, &[p])).await; // starts inside, ends outside
    book(booked("after", 120, 150, &["provider:P2"])).await; // other resource
    book(booked("late", 200, 230, &[p])).await; // after the window
    let busy = store.busy(p, at(0), at(125), at(10)).await.unwrap();
    let expect: Vec<Interval> = [(0, 30), (60, 90), (120, 200)]
        .iter()
        .map(|&(s, e)| Interval::new(at(s), at(e)).unwrap())
        .collect();
    assert_eq!(busy, expect);
    // Before the hold lapsed, it was busy too.
    assert_eq!(store.busy(p, at(0), at(125), at(1)).await.unwrap().len(), 4);
}

/// What one racing attempt got.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: String,
    pub slot: usize,
    pub result: Result<(), Vec<Conflict>>,
}

/// Race: `tasks` tasks split over `stores` (separate handles or pools on the
/// same data) make `attempts` bookings in total of random slots (30 min each,
/// `slots` of them back to back) on `resource`. Checks every slot has exactly
/// `capacity` winners and every loser got a conflict naming exactly that
/// slot's winners. Returns the winners per slot.
pub async fn race(
    stores: &[Arc<dyn AppointmentStore>],
    resource: &str,
    capacity: usize,
    slots: usize,
    tasks: usize,
    attempts: usize,
) -> BTreeMap<usize, BTreeSet<String>> {
    let now = at(-600);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        let resource = resource.to_string();
        let mine = attempts / tasks + usize::from(t < attempts % tasks);
        handles.push(tokio::spawn(async move {
            let mut rng =
                0x9E37_79B9_7F4A_7C15_u64 ^ (t as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            let mut out = Vec::with_capacity(mine);
            for j in 0..mine {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let slot = (rng % slots as u64) as usize;
                let start = 30 * slot as i64;
                let id = format!("t{t}-{j}");
                let patient = format!("patient:{id}");
                let r = store
                    .book(
                        booked(&id, start, start + 30, &[&resource, &patient]),
                        None,
                        now,
                    )
                    .await;
                let result = match r {
                    Ok(_) => Ok(()),
                    Err(StoreError::Conflict { conflicts }) => Err(conflicts),
                    Err(e) => panic!("attempt {id}: {e}"),
                };
                out.push(Attempt { id, slot, result });
            }
            out
        }));
    }
    let mut all = Vec::with_capacity(attempts);
    for h in handles {
        all.extend(h.await.unwrap());
    }
    assert_eq!(all.len(), attempts);
    let mut winners: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for a in all.iter().filter(|a| a.result.is_ok()) {
        winners.entry(a.slot).or_default().insert(a.id.clone());
    }
    assert_eq!(winners.len(), slots, "every slot booked");
    for (slot, w) in &winners {
        assert_eq!(w.len(), capacity, "slot {slot}: winners {w:?}");
    }
    for a in &all {
        if let Err(conflicts) = &a.result {
            let expect = vec![Conflict::new(
                resource.to_string(),
                winners[&a.slot].iter().cloned().collect(),
            )];
            assert_eq!(conflicts, &expect, "loser {}", a.id);
        }
    }
    let counts = stores[0].counts().await.unwrap();
    assert_eq!(counts.bookings as usize, slots * capacity);
    assert_eq!(counts.outbox as usize, slots * capacity);
    winners
}

/// The largest number of `bookings` (all blocking) on one resource at one instant, per resource.
#[must_use]
pub fn peaks(bookings: &[Booking]) -> BTreeMap<String, usize> {
    let mut by: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for b in bookings {
        for r in &b.resources {
            by.entry(r.clone())
                .or_default()
                .push((b.start.unix(), b.end.unix()));
        }
    }
    by.into_iter()
        .map(|(r, ivs)| {
            let peak = ivs
                .iter()
                .map(|&(s, _)| ivs.iter().filter(|&&(s2, e2)| s2 <= s && e2 > s).count())
                .max()
                .unwrap_or(0);
            (r, peak)
        })
        .collect()
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
                Party::Patient,
                "later",
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("provider:P1", &["b1"])]);
    let err = store
        .reschedule(
            "a1",
            1,
            booked("b1", 15, 30, &["provider:P1"]),
            Party::Staff,
            "x",
            now,
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
            .reschedule("a1", 1, bad, Party::Staff, "x", now)
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
            Party::Staff,
            "x",
            now,
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
            Party::Staff,
            "x",
            now,
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
            Party::Patient,
            "patient asked",
            at(-30),
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
            Party::Staff,
            "x",
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.core_code()),
        ("invalid", Some(ErrorCode::InvalidTransition))
    );
    assert_eq!(store.counts().await.unwrap(), after);
}

/// Overlap queries are bounded below by each resource's longest booking:
/// a 30-day block is still found by every query that reaches into it from
/// far after its start, also after shorter bookings were written, and a
/// longer one written later widens the bound.
pub async fn suite_long_bookings_are_found(store: &dyn AppointmentStore) {
    let now = at(-60);
    let day = 24 * 60;
    store
        .book(booked("short", -120, -90, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(booked("block", 0, 30 * day, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(
            booked("after", 31 * day, 31 * day + 30, &["room:R1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let taken = conflicts_of(
        store
            .book(
                booked("x", 20 * day, 20 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["block"])]);
    let busy = store
        .busy("room:R1", at(25 * day), at(25 * day + 60), now)
        .await
        .unwrap();
    assert_eq!(busy, vec![Interval::new(at(0), at(30 * day)).unwrap()]);
    store
        .book(
            booked("p", 29 * day, 29 * day + 30, &["patient:X1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let moved = conflicts_of(
        store
            .reschedule(
                "p",
                1,
                booked("p2", 29 * day, 29 * day + 30, &["patient:X1", "room:R1"]),
                Party::Staff,
                "x",
                now,
            )
            .await,
    );
    assert_eq!(moved, vec![c("room:R1", &["block"])]);
    // A longer booking on another resource does not loosen this one's
    // answers; a longer one here is found from even further away.
    store
        .book(booked("long", 40 * day, 100 * day, &["room:R1"]), None, now)
        .await
        .unwrap();
    let taken = conflicts_of(
        store
            .book(
                booked("y", 99 * day, 99 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["long"])]);
    let taken = conflicts_of(
        store
            .book(
                booked("z", 29 * day, 29 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["block"])]);
}

/// The overlap bound follows the bookings that still occupy a resource: a
/// year-long block cancelled (by a reschedule) no longer widens it, while a
/// 60-day block that still blocks is found from deep inside it, as are the
/// short bookings; the moved block is found at its new time.
pub async fn suite_extent_shrinks_but_finds_blocking(store: &dyn AppointmentStore) {
    let now = at(-60);
    let day = 24 * 60;
    for i in 0..4 {
        store
            .book(
                booked(&format!("s{i}"), i * 60, i * 60 + 30, &["room:R1"]),
                None,
                now,
            )
            .await
            .unwrap();
    }
    store
        .book(booked("year", day, 366 * day, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(
            booked("leave", 400 * day, 460 * day, &["room:R1"]),
            None,
            now,
        )
        .await
        .unwrap();
    // Cancel the year by moving it to one short slot.
    store
        .reschedule(
            "year",
            1,
            booked("year-moved", 500 * day, 500 * day + 30, &["room:R1"]),
            Party::Staff,
            "shorter",
            now,
        )
        .await
        .unwrap();
    // The year no longer blocks: day 200 is free.
    store
        .book(
            booked("d200", 200 * day, 200 * day + 30, &["room:R1"]),
            None,
            now,
        )
        .await
        .unwrap();
    // The 60-day block still blocks, 55 days in.
    let taken = conflicts_of(
        store
            .book(
                booked("d455", 455 * day, 455 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["leave"])]);
    let busy = store
        .busy("room:R1", at(455 * day), at(455 * day + 60), now)
        .await
        .unwrap();
    assert_eq!(
        busy,
        vec![Interval::new(at(400 * day), at(460 * day)).unwrap()]
    );
    let taken = conflicts_of(
        store
            .book(booked("s", 70, 100, &["room:R1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["s1"])]);
    let taken = conflicts_of(
        store
            .book(
                booked("m", 500 * day + 10, 500 * day + 20, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["year-moved"])]);
}

// ---------------------------------------------------------------------------
// The other ports. Each case wants a fresh store implementing every port.

use crate::records::{AuditEvent, Patient, Provider, RecordMeta, Schedule, TimeOff};
use crate::{Store, Stored};
use hcas_core::wire::RuleSpec;

fn code_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> (&'static str, Option<ErrorCode>) {
    let e = r.expect_err("expected an error");
    (e.code(), e.core_code())
}

/// Create, read, update with the right and a stale version, refuse bad input
/// and a second create; a refused write changes nothing.
pub async fn suite_patients(store: &dyn Store) {
    let mut p = Patient::new("X1", "Ada Lovelace");
    p.birth_date = chrono::NaiveDate::from_ymd_opt(2015, 12, 10);
    p.guardians = vec!["G1".into()];
    let v1 = store.put_patient(p.clone(), None).await.unwrap();
    assert_eq!((v1.version, &v1.value), (1, &p));
    assert_eq!(store.get_patient("X1").await.unwrap(), v1);
    assert_eq!(
        code_of(store.put_patient(p.clone(), None).await).0,
        "already_exists"
    );
    let mut p2 = p.clone();
    p2.email = Some("ada@example.org".into());
    let v2 = store.put_patient(p2.clone(), Some(1)).await.unwrap();
    assert_eq!(v2.version, 2);
    match store.put_patient(p.clone(), Some(1)).await {
        Err(StoreError::VersionMismatch {
            expected, found, ..
        }) => assert_eq!((expected, found), (1, 2)),
        other => panic!("expected a version mismatch, got {other:?}"),
    }
    let mut bad = p2.clone();
    bad.name = " ".into();
    assert_eq!(
        code_of(store.put_patient(bad, Some(2)).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut bad = p2.clone();
    bad.email = Some("not-an-address".into());
    assert_eq!(code_of(store.put_patient(bad, Some(2)).await).0, "invalid");
    let mut bad = Patient::new("has space", "B");
    assert_eq!(
        code_of(store.put_patient(bad.clone(), None).await).0,
        "invalid"
    );
    bad.id = "Y1".into();
    assert_eq!(
        code_of(store.put_patient(bad, Some(1)).await).0,
        "not_found"
    );
    assert_eq!(store.get_patient("X1").await.unwrap(), v2);
    assert_eq!(code_of(store.get_patient("Y1").await).0, "not_found");
    assert_eq!(code_of(store.get_patient("has space").await).0, "not_found");
}

fn weekday_mornings(provider: &str) -> Schedule {
    let mut s = Schedule::new(provider, "Europe/London");
    s.rules.push(RuleSpec {
        rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".into(),
        dtstart: "2026-01-05".into(),
        start: "09:00".into(),
        end: "12:00".into(),
    });
    s
}

fn starts(a: &crate::ProviderAvailability, duration: i64) -> Vec<String> {
    // The day of `at(0)`: Monday 2026-05-04, London on BST (UTC+1).
    let q = hcas_core::SlotQuery::new(at(-9 * 60), at(15 * 60), hcas_core::Minutes::new(duration));
    a.availability
        .slots(&q)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Providers and schedules; availability from the store equals what the
/// schedule and the blocking bookings give, worked out by hand.
pub async fn suite_providers_and_availability(store: &dyn Store) {
    let now = at(-24 * 60);
    let p = Provider::new("P1", "Dr One");
    assert_eq!(
        store.put_provider(p.clone(), None).await.unwrap().version,
        1
    );
    store
        .put_provider(Provider::new("P2", "Dr Two"), None)
        .await
        .unwrap();
    assert_eq!(store.get_provider("P1").await.unwrap().value, p);
    let mut inactive = p.clone();
    inactive.active = false;
    assert_eq!(
        store.put_provider(inactive, Some(1)).await.unwrap().version,
        2
    );
    assert_eq!(
        code_of(store.put_provider(Provider::new("P1", ""), Some(2)).await).0,
        "invalid"
    );

    // Schedules: the provider must exist; bad rules and zones are refused
    // with the core's codes and leave no event behind.
    let before = store.counts().await.unwrap();
    assert_eq!(
        code_of(store.put_schedule(weekday_mornings("P9"), None, now).await).0,
        "not_found"
    );
    let mut bad = weekday_mornings("P1");
    bad.timezone = "Mars/Olympus".into();
    assert_eq!(
        code_of(store.put_schedule(bad, None, now).await).1,
        Some(ErrorCode::InvalidTimezone)
    );
    let mut bad = weekday_mornings("P1");
    bad.rules[0].rrule = "FREQ=HOURLY".into();
    assert_eq!(
        code_of(store.put_schedule(bad, None, now).await).1,
        Some(ErrorCode::InvalidRrule)
    );
    let mut bad = weekday_mornings("P1");
    bad.time_off.push(TimeOff {
        start: at(60),
        end: at(60),
        reason: None,
    });
    assert_eq!(
        code_of(store.put_schedule(bad, None, now).await).1,
        Some(ErrorCode::InvalidInterval)
    );
    assert_eq!(store.counts().await.unwrap(), before);
    assert_eq!(code_of(store.get_schedule("P1").await).0, "not_found");

    let s1 = store
        .put_schedule(weekday_mornings("P1"), None, now)
        .await
        .unwrap();
    assert_eq!(s1.version, 1);
    assert_eq!(store.get_schedule("P1").await.unwrap(), s1);
    let events = store.outbox_pending(100).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.aggregate_id.as_str()),
        (kind::SCHEDULE_CHANGED, "P1")
    );

    // London 09:00-12:00 BST = 08:00-11:00 UTC: three hour slots.
    let window = Interval::new(at(-24 * 60), at(24 * 60)).unwrap();
    let ids = vec!["P1".to_string(), "P2".to_string()];
    let got = store.availability(&ids, window, now).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].provider_id.as_str(), got[0].schedule_version),
        ("P1", Some(1))
    );
    assert_eq!(
        starts(&got[0], 60),
        [
            "2026-05-04T08:00:00Z",
            "2026-05-04T09:00:00Z",
            "2026-05-04T10:00:00Z"
        ]
    );
    // P2 has no schedule: no working hours.
    assert_eq!(
        (got[1].provider_id.as_str(), got[1].schedule_version),
        ("P2", None)
    );
    assert!(starts(&got[1], 60).is_empty());

    // Bookings: a booked one blocks, a cancelled one and an expired hold do
    // not, a live hold does; other resources do not matter.
    store
        .book(
            booked("b1", 0, 60, &["provider:P1", "patient:X1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let c = store
        .book(booked("b2", 60, 120, &["provider:P1"]), None, now)
        .await
        .unwrap();
    store
        .set_status(
            "b2",
            c.version,
            &change(Status::Cancelled, Party::Staff, Some("sick"), now),
        )
        .await
        .unwrap();
    store
        .book(
            held("h1", -60, 0, -24 * 60 - 30, &["provider:P1"]),
            None,
            at(-25 * 60),
        )
        .await
        .unwrap();
    store
        .book(booked("b3", -60, 0, &["provider:P2"]), None, now)
        .await
        .unwrap();
    let got = store.availability(&ids[..1], window, now).await.unwrap();
    assert_eq!(
        starts(&got[0], 60),
        ["2026-05-04T08:00:00Z", "2026-05-04T10:00:00Z"]
    );
    store
        .book(held("h2", 60, 90, 60 * 24, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let got = store.availability(&ids[..1], window, now).await.unwrap();
    assert_eq!(starts(&got[0], 60), ["2026-05-04T08:00:00Z"]);
    assert_eq!(
        starts(&got[0], 30),
        [
            "2026-05-04T08:00:00Z",
            "2026-05-04T08:30:00Z",
            "2026-05-04T10:30:00Z"
        ]
    );
    // A window that ends before the bookings does not load them.
    let early = Interval::new(at(-24 * 60), at(-60)).unwrap();
    let got = store.availability(&ids[..1], early, now).await.unwrap();
    assert_eq!(starts(&got[0], 60).len(), 3);

    // Time off replaces the schedule at version 2.
    let mut s2 = weekday_mornings("P1");
    s2.time_off.push(TimeOff {
        start: at(-60),
        end: at(0),
        reason: Some("training".into()),
    });
    assert_eq!(
        code_of(store.put_schedule(s2.clone(), None, now).await).0,
        "already_exists"
    );
    assert_eq!(
        store
            .put_schedule(s2.clone(), Some(1), now)
            .await
            .unwrap()
            .version,
        2
    );
    assert_eq!(
        code_of(store.put_schedule(s2, Some(1), now).await).0,
        "version_mismatch"
    );
    let got = store.availability(&ids[..1], window, now).await.unwrap();
    assert_eq!(got[0].schedule_version, Some(2));
    assert!(starts(&got[0], 60).is_empty());
    assert_eq!(starts(&got[0], 30), ["2026-05-04T10:30:00Z"]);

    assert_eq!(
        code_of(store.availability(&["P7".to_string()], window, now).await).0,
        "not_found"
    );
    assert_eq!(
        code_of(store.availability(&[], window, now).await).0,
        "invalid"
    );
}

fn weekly_series(id: &str, count: u32) -> hcas_core::series::SeriesSpec {
    // Mondays 10:00 London (09:00 UTC in May), from 2026-05-04.
    let rule: hcas_core::RRule = format!("FREQ=WEEKLY;COUNT={count}").parse().unwrap();
    let zone = hcas_core::Zone::parse("Europe/London").unwrap();
    let dtstart = chrono::NaiveDate::from_ymd_opt(2026, 5, 4)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    hcas_core::series::SeriesSpec::new(
        id,
        hcas_core::Recurrence::new(rule, dtstart, zone),
        Minutes::new(30),
        vec!["provider:P1".into(), "patient:X1".into()],
    )
}

/// Series: all-or-nothing books nothing when one occurrence conflicts;
/// book-free books the rest with one event each; ids cannot be reused.
pub async fn suite_series(store: &dyn Store) {
    use hcas_core::series::SeriesPolicy;
    let now = at(-24 * 60);
    // The third Monday (2026-05-18 09:00 UTC) is taken.
    let third = 14 * 24 * 60;
    store
        .book(booked("x", third, third + 60, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let before = store.counts().await.unwrap();
    let spec = weekly_series("S1", 4);
    let r = store
        .book_series(&spec, SeriesPolicy::AllOrNothing, now)
        .await
        .unwrap();
    assert!(!r.booked);
    let ok: Vec<bool> = r.occurrences.iter().map(|o| o.ok).collect();
    assert_eq!(ok, [true, true, false, true]);
    assert_eq!(r.occurrences[2].conflicts, vec![c("provider:P1", &["x"])]);
    assert!(r.occurrences.iter().all(|o| !o.booked));
    assert_eq!(store.counts().await.unwrap(), before);
    assert!(store.series_bookings("S1").await.unwrap().is_empty());

    let r = store
        .book_series(&spec, SeriesPolicy::BookFree, now)
        .await
        .unwrap();
    assert!(r.booked);
    let booked_ids: Vec<&str> = r
        .occurrences
        .iter()
        .filter(|o| o.booked)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        booked_ids,
        [
            "S1.20260504T100000",
            "S1.20260511T100000",
            "S1.20260525T100000"
        ]
    );
    let stored = store.series_bookings("S1").await.unwrap();
    let got: Vec<(String, String, i64)> = stored
        .iter()
        .map(|s| (s.value.id.clone(), s.value.start.to_string(), s.version))
        .collect();
    assert_eq!(
        got,
        [
            (
                "S1.20260504T100000".into(),
                "2026-05-04T09:00:00Z".into(),
                1
            ),
            (
                "S1.20260511T100000".into(),
                "2026-05-11T09:00:00Z".into(),
                1
            ),
            (
                "S1.20260525T100000".into(),
                "2026-05-25T09:00:00Z".into(),
                1
            ),
        ]
    );
    assert_eq!(
        stored[0].value.series.as_ref().unwrap().recurrence_id,
        "2026-05-04T10:00:00"
    );
    let after = store.counts().await.unwrap();
    assert_eq!(
        (after.bookings, after.outbox),
        (before.bookings + 3, before.outbox + 3)
    );
    // The series now blocks others.
    let taken = conflicts_of(
        store
            .book(booked("y", 0, 30, &["patient:X1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("patient:X1", &["S1.20260504T100000"])]);
    // Booking it again: every free occurrence now conflicts with itself.
    let again = store
        .book_series(&spec, SeriesPolicy::BookFree, now)
        .await
        .unwrap();
    assert!(!again.booked);
    // Another series must not reuse the ids.
    let mut other = weekly_series("S2", 2);
    other.resources = vec!["provider:P2".into()];
    other.id = "S1".into();
    assert_eq!(
        code_of(store.book_series(&other, SeriesPolicy::BookFree, now).await).0,
        "invalid"
    );
    assert_eq!(store.counts().await.unwrap(), after);
    // Bad specs are refused with the core's codes.
    let mut bad = weekly_series("S3", 2);
    bad.duration = Minutes::ZERO;
    assert_eq!(
        code_of(store.book_series(&bad, SeriesPolicy::BookFree, now).await).1,
        Some(ErrorCode::InvalidDuration)
    );
}

/// A booking's history: one entry per change, from its events, with who
/// made it, when, from and to which status, why, and what followed; a
/// refused change adds nothing.
pub async fn suite_history(store: &dyn Store) {
    let b = store
        .book(booked("a1", 0, 30, &["provider:P1"]), None, at(-100))
        .await
        .unwrap();
    let b = store
        .set_status(
            "a1",
            b.version,
            &change(Status::Arrived, Party::Staff, None, at(-5)),
        )
        .await
        .unwrap();
    let refused = store
        .set_status(
            "a1",
            b.booking.version,
            &change(Status::Cancelled, Party::Patient, Some("left"), at(1)),
        )
        .await;
    assert_eq!(code_of(refused).1, Some(ErrorCode::NotPermitted));
    store
        .set_status(
            "a1",
            b.booking.version,
            &change(Status::Cancelled, Party::Staff, Some("left"), at(1)),
        )
        .await
        .unwrap();
    store
        .book(booked("a2", 0, 30, &["provider:P2"]), None, at(-50))
        .await
        .unwrap();
    let h = store.history("a1").await.unwrap();
    type Row<'a> = (
        i64,
        Status,
        Timestamp,
        &'a str,
        Option<Status>,
        Option<Party>,
        Option<&'a str>,
        &'a [Outcome],
    );
    let got: Vec<Row> = h
        .iter()
        .map(|c| {
            (
                c.version,
                c.status,
                c.at,
                c.kind.as_str(),
                c.from,
                c.actor,
                c.reason.as_deref(),
                c.outcomes.as_slice(),
            )
        })
        .collect();
    let expect: Vec<Row> = vec![
        (
            1,
            Status::Booked,
            at(-100),
            kind::APPOINTMENT_CREATED,
            None,
            None,
            None,
            &[],
        ),
        (
            2,
            Status::Arrived,
            at(-5),
            kind::APPOINTMENT_UPDATED,
            Some(Status::Booked),
            Some(Party::Staff),
            None,
            &[],
        ),
        (
            3,
            Status::Cancelled,
            at(1),
            kind::APPOINTMENT_CANCELLED,
            Some(Status::Arrived),
            Some(Party::Staff),
            Some("left"),
            &[Outcome::Cancelled],
        ),
    ];
    assert_eq!(got, expect);
    // A reschedule records the cancellation of the old booking the same way.
    store
        .reschedule(
            "a2",
            1,
            booked("a3", 60, 90, &["provider:P2"]),
            Party::Patient,
            "moved",
            at(-40),
        )
        .await
        .unwrap();
    let h = store.history("a2").await.unwrap();
    assert_eq!(h.len(), 2);
    let last = &h[1];
    assert_eq!(
        (
            last.version,
            last.status,
            last.at,
            last.from,
            last.actor,
            last.reason.as_deref()
        ),
        (
            2,
            Status::Cancelled,
            at(-40),
            Some(Status::Booked),
            Some(Party::Patient),
            Some("moved")
        )
    );
    assert_eq!(
        last.outcomes,
        [
            Outcome::Cancelled,
            Outcome::LateCancellation {
                minutes_before_start: Minutes::new(40)
            },
            Outcome::SlotFreed
        ]
    );
    assert_eq!(store.history("a3").await.unwrap().len(), 1);
    assert_eq!(code_of(store.history("zz").await).0, "not_found");
}

fn entry(id: &str, patient: &str, created: i64, window_end: i64) -> hcas_core::waitlist::WaitEntry {
    let mut e = hcas_core::waitlist::WaitEntry::builder(id)
        .patient("patient:X")
        .provider("provider:P1")
        .window(Interval::new(at(0), at(window_end)).unwrap())
        .created(at(created))
        .build()
        .unwrap();
    // Set after building: the suite also adds bad patients, to check that
    // stores refuse them.
    e.patient = patient.into();
    e
}

/// The waitlist keeps serving order (created, then id), drops ended windows
/// from the listing, refuses duplicates and bad entries.
pub async fn suite_waitlist(store: &dyn Store) {
    let now = at(0);
    store
        .waitlist_add(entry("w2", "patient:A", -30, 600))
        .await
        .unwrap();
    store
        .waitlist_add(entry("w1", "patient:B", -20, 600))
        .await
        .unwrap();
    store
        .waitlist_add(entry("w0", "patient:C", -30, 600))
        .await
        .unwrap();
    store
        .waitlist_add(entry("old", "patient:D", -90, 10))
        .await
        .unwrap();
    let mut other = entry("o1", "patient:E", -99, 600);
    other.provider = "provider:P2".into();
    store.waitlist_add(other).await.unwrap();
    let ids =
        |v: Vec<hcas_core::waitlist::WaitEntry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.waitlist("provider:P1", now).await.unwrap()),
        ["old", "w0", "w2", "w1"]
    );
    assert_eq!(
        ids(store.waitlist("provider:P1", at(10)).await.unwrap()),
        ["w0", "w2", "w1"]
    );
    assert_eq!(
        code_of(store.waitlist_add(entry("w1", "patient:Z", 0, 60)).await).0,
        "already_exists"
    );
    assert_eq!(
        code_of(store.waitlist_add(entry("w9", " ", 0, 60)).await).1,
        Some(ErrorCode::InvalidRequest)
    );
    let removed = store.waitlist_remove("w2").await.unwrap();
    assert_eq!(removed, entry("w2", "patient:A", -30, 600));
    assert_eq!(code_of(store.waitlist_remove("w2").await).0, "not_found");
    assert_eq!(
        ids(store.waitlist("provider:P1", now).await.unwrap()),
        ["old", "w0", "w1"]
    );
}

fn consent(id: &str, patient: &str, decision: &str) -> hcas_core::consent::Consent {
    let v = serde_json::json!({
        "id": id, "patient": patient, "status": "active",
        "date": "2026-01-01T00:00:00Z", "decision": decision,
    });
    hcas_core::consent::Consent::from_json(&v, "consent").unwrap()
}

/// Consents: versioned, one `consent.changed` event per change, listed per patient by id.
pub async fn suite_consents(store: &dyn Store) {
    let now = at(0);
    let before = store.counts().await.unwrap();
    store
        .put_consent(consent("K2", "Pat9", "deny"), None, now)
        .await
        .unwrap();
    store
        .put_consent(consent("K1", "Pat9", "permit"), None, now)
        .await
        .unwrap();
    store
        .put_consent(consent("K3", "Pat8", "permit"), None, now)
        .await
        .unwrap();
    let v2 = store
        .put_consent(consent("K2", "Pat9", "permit"), Some(1), at(5))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(
        code_of(
            store
                .put_consent(consent("K2", "Pat9", "deny"), Some(1), now)
                .await
        )
        .0,
        "version_mismatch"
    );
    assert_eq!(
        code_of(
            store
                .put_consent(consent("K1", "Pat9", "deny"), None, now)
                .await
        )
        .0,
        "already_exists"
    );
    let mut bad = consent("K4", "Pat9", "deny");
    bad.patient = String::new();
    assert_eq!(
        code_of(store.put_consent(bad, None, now).await).1,
        Some(ErrorCode::InvalidConsent)
    );
    let list = store.consents_for("Pat9").await.unwrap();
    let got: Vec<(&str, i64)> = list
        .iter()
        .map(|c| (c.value.id.as_str(), c.version))
        .collect();
    assert_eq!(got, [("K1", 1), ("K2", 2)]);
    assert_eq!(list[1].value, consent("K2", "Pat9", "permit"));
    assert_eq!(store.get_consent("K3").await.unwrap().value.patient, "Pat8");
    assert!(store.consents_for("Nobody").await.unwrap().is_empty());
    let after = store.counts().await.unwrap();
    assert_eq!(after.outbox, before.outbox + 4);
    let events = store.outbox_pending(100).await.unwrap();
    let k2: Vec<(&str, Timestamp)> = events
        .iter()
        .filter(|e| e.aggregate_id == "K2")
        .map(|e| (e.kind.as_str(), e.created))
        .collect();
    assert_eq!(
        k2,
        [(kind::CONSENT_CHANGED, now), (kind::CONSENT_CHANGED, at(5))]
    );
    assert_eq!(
        events
            .iter()
            .find(|e| e.aggregate_id == "K2")
            .unwrap()
            .payload["decision"],
        "deny"
    );
}

fn record(id: &str, patient: &str, category: &str, created: i64) -> RecordMeta {
    RecordMeta {
        id: id.into(),
        patient: patient.into(),
        category: category.into(),
        labels: vec!["N".into()],
        title: format!("Record {id}"),
        author: "DrX".into(),
        created: at(created),
        content_ref: Some(format!("s3://records/{id}")),
    }
}

/// Record metadata: versioned, listed per patient by creation, filtered by category.
pub async fn suite_records(store: &dyn Store) {
    store
        .put_record(record("r2", "Pat9", "lab-results", 10), None)
        .await
        .unwrap();
    store
        .put_record(record("r1", "Pat9", "clinical-notes", 20), None)
        .await
        .unwrap();
    store
        .put_record(record("r3", "Pat9", "lab-results", 5), None)
        .await
        .unwrap();
    store
        .put_record(record("r4", "Pat8", "lab-results", 1), None)
        .await
        .unwrap();
    let ids = |v: Vec<Stored<RecordMeta>>| v.into_iter().map(|r| r.value.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.records_for("Pat9", None).await.unwrap()),
        ["r3", "r2", "r1"]
    );
    assert_eq!(
        ids(store
            .records_for("Pat9", Some("lab-results"))
            .await
            .unwrap()),
        ["r3", "r2"]
    );
    let mut r = record("r1", "Pat9", "clinical-notes", 20);
    r.labels.push("PSY".into());
    assert_eq!(
        store.put_record(r.clone(), Some(1)).await.unwrap().version,
        2
    );
    assert_eq!(store.get_record("r1").await.unwrap().value, r);
    assert_eq!(
        code_of(store.put_record(r.clone(), Some(1)).await).0,
        "version_mismatch"
    );
    let mut bad = r.clone();
    bad.title = String::new();
    assert_eq!(code_of(store.put_record(bad, Some(2)).await).0, "invalid");
    assert_eq!(store.get_record("r1").await.unwrap().version, 2);
    assert_eq!(code_of(store.get_record("r9").await).0, "not_found");
}

fn audit(actor: &str, patient: Option<&str>, minutes: i64) -> AuditEvent {
    AuditEvent {
        at: at(minutes),
        actor: actor.into(),
        action: "read".into(),
        target: "record:r1".into(),
        patient: patient.map(Into::into),
        purpose: Some("TREAT".into()),
        outcome: "permit".into(),
        detail: serde_json::json!({"basis": "consent", "consent": "K1"}),
    }
}

/// The audit trail: increasing sequence numbers, queries by patient and
/// window, export after a sequence number; bad events refused.
pub async fn suite_audit(store: &dyn Store) {
    let a = store
        .audit_append(audit("DrX", Some("Pat9"), 0))
        .await
        .unwrap();
    let b = store
        .audit_append(audit("DrY", Some("Pat8"), 5))
        .await
        .unwrap();
    let c = store
        .audit_append(audit("DrZ", Some("Pat9"), 10))
        .await
        .unwrap();
    let d = store.audit_append(audit("svc", None, 11)).await.unwrap();
    assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
    let mut bad = audit("DrX", Some("Pat9"), 0);
    bad.actor = String::new();
    assert_eq!(code_of(store.audit_append(bad).await).0, "invalid");
    let got = store
        .audit_for_patient("Pat9", at(0), at(11), 10)
        .await
        .unwrap();
    let seen: Vec<(i64, &str)> = got
        .iter()
        .map(|r| (r.seq, r.event.actor.as_str()))
        .collect();
    assert_eq!(seen, [(a, "DrX"), (c, "DrZ")]);
    assert_eq!(got[1].event, audit("DrZ", Some("Pat9"), 10));
    assert_eq!(
        store
            .audit_for_patient("Pat9", at(1), at(10), 10)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        store
            .audit_for_patient("Pat9", at(0), at(11), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        code_of(store.audit_for_patient("Pat9", at(5), at(5), 1).await).0,
        "invalid"
    );
    let after: Vec<i64> = store
        .audit_after(a, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(after, [b, c, d]);
    assert_eq!(store.audit_after(d, 10).await.unwrap().len(), 0);
}

/// Races series against single bookings: `tasks` tasks over `stores` (two
/// handles = two instances) book weekly series (6 Mondays 10:00 London,
/// 30 minutes, on `provider:P1`; all-or-nothing and book-free alternately) or
/// single bookings at those same times. Afterwards: the provider is never
/// double-booked, every success reported is stored and nothing else is, and
/// an all-or-nothing series is stored whole or not at all.
pub async fn series_race(stores: &[Arc<dyn Store>], tasks: usize, attempts_per_task: usize) {
    use hcas_core::series::SeriesPolicy;
    let now = at(-24 * 60);
    let week = 7 * 24 * 60;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        handles.push(tokio::spawn(async move {
            let mut rng = 0x2545_F491_4F6C_DD1D_u64 ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9);
            // (series id, policy, booked ids) or (single id, booked?)
            let mut series = Vec::new();
            let mut singles = Vec::new();
            for j in 0..attempts_per_task {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                if (t + j).is_multiple_of(2) {
                    let id = format!("S{t}-{j}");
                    let mut spec = weekly_series(&id, 6);
                    spec.resources = vec!["provider:P1".into(), format!("patient:{id}")];
                    let policy = if rng.is_multiple_of(2) {
                        SeriesPolicy::AllOrNothing
                    } else {
                        SeriesPolicy::BookFree
                    };
                    let r = store.book_series(&spec, policy, now).await.unwrap();
                    let ids: Vec<String> = r
                        .occurrences
                        .iter()
                        .filter(|o| o.booked)
                        .map(|o| o.id.clone())
                        .collect();
                    if policy == SeriesPolicy::AllOrNothing {
                        assert!(ids.is_empty() || ids.len() == 6, "{id}: {ids:?}");
                    }
                    series.push((id, policy, ids));
                } else {
                    let id = format!("b{t}-{j}");
                    let k = (rng >> 8) % 6;
                    let start = i64::try_from(k).unwrap() * week;
                    let r = store
                        .book(booked(&id, start, start + 30, &["provider:P1"]), None, now)
                        .await;
                    match r {
                        Ok(_) => singles.push(id),
                        Err(StoreError::Conflict { conflicts }) => {
                            assert_eq!(conflicts.len(), 1, "{id}: {conflicts:?}");
                            assert_eq!(conflicts[0].with.len(), 1, "{id}: {conflicts:?}");
                        }
                        Err(e) => panic!("{id}: {e}"),
                    }
                }
            }
            (series, singles)
        }));
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let store = &stores[0];
    for h in handles {
        let (series, singles) = h.await.unwrap();
        for (id, _policy, ids) in series {
            let stored: BTreeSet<String> = store
                .series_bookings(&id)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.value.id)
                .collect();
            let said: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(stored, said, "series {id}: stored vs reported");
            reported.extend(ids);
        }
        for id in singles {
            assert_eq!(store.get(&id).await.unwrap().value.id, id);
            reported.insert(id);
        }
    }
    // Exactly the reported bookings hold the provider, one per Monday at most.
    let busy = store
        .busy("provider:P1", at(-60), at(6 * week), now)
        .await
        .unwrap();
    assert_eq!(busy.len(), reported.len(), "stored vs reported bookings");
    // Every Monday ends up taken: a free one is booked by the next single or book-free series.
    assert_eq!(busy.len(), 6, "{busy:?}");
    for pair in busy.windows(2) {
        assert!(pair[0].end() <= pair[1].start(), "double-booked: {pair:?}");
    }
    assert_eq!(
        store.counts().await.unwrap().bookings as usize,
        reported.len()
    );
}

/// Races reschedules into one room slot: `tasks` patients over `stores` (two
/// handles = two instances) each move their own booking to the same
/// capacity-1 room slot. Exactly one succeeds; every other gets a conflict
/// naming the winner and keeps its old booking unchanged.
pub async fn reschedule_race(stores: &[Arc<dyn AppointmentStore>], tasks: usize) {
    let now = at(-600);
    for t in 0..tasks {
        let patient = format!("patient:X{t}");
        let t30 = 30 * i64::try_from(t).unwrap();
        stores[0]
            .book(
                booked(&format!("r{t}"), t30, t30 + 30, &[&patient]),
                None,
                now,
            )
            .await
            .unwrap();
    }
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        handles.push(tokio::spawn(async move {
            let patient = format!("patient:X{t}");
            let new = booked(&format!("n{t}"), 6000, 6030, &["room:R1", &patient]);
            (
                t,
                store
                    .reschedule(&format!("r{t}"), 1, new, Party::Patient, "moved", now)
                    .await,
            )
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            (t, Ok(r)) => {
                assert_eq!(r.old.value.status, Status::Cancelled);
                winners.push(t);
            }
            (t, Err(StoreError::Conflict { conflicts })) => losers.push((t, conflicts)),
            (t, Err(e)) => panic!("reschedule r{t}: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners {winners:?}");
    let w = format!("n{}", winners[0]);
    for (t, conflicts) in losers {
        assert_eq!(conflicts, vec![c("room:R1", &[&w])], "loser r{t}");
        let old = stores[0].get(&format!("r{t}")).await.unwrap();
        assert_eq!((old.value.status, old.version), (Status::Booked, 1), "r{t}");
        assert_eq!(
            stores[0].get(&format!("n{t}")).await.unwrap_err().code(),
            "not_found"
        );
    }
    let busy = stores[0]
        .busy("room:R1", at(0), at(7000), now)
        .await
        .unwrap();
    assert_eq!(busy.len(), 1);
    let counts = stores[0].counts().await.unwrap();
    assert_eq!(counts.bookings as usize, tasks + 1);
}

// ---------------------------------------------------------------------------
// Wall-time anchors (issue 9, item 12).

use hcas_core::anchor::WallAnchor;

/// Test support: write a booking as the adapter's `book` would, without the
/// anchor check, as if it had been made under older tz data.
#[async_trait::async_trait]
pub trait Plant: Store {
    /// Store `b` (valid, not conflicting) with its `appointment.created` event.
    async fn plant(&self, b: Booking, now: Timestamp);
}

#[cfg(feature = "memory")]
#[async_trait::async_trait]
impl Plant for crate::memory::MemoryStore {
    async fn plant(&self, b: Booking, now: Timestamp) {
        self.plant_unchecked(b, now).await;
    }
}

#[cfg(feature = "sqlite")]
#[async_trait::async_trait]
impl Plant for crate::sqlite::SqliteStore {
    async fn plant(&self, b: Booking, now: Timestamp) {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
        crate::sqlite::insert_booking(&mut tx, &b).await.unwrap();
        crate::sqlite::push_event(&mut tx, kind::APPOINTMENT_CREATED, &b, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

#[cfg(feature = "postgres")]
#[async_trait::async_trait]
impl Plant for crate::postgres::PgStore {
    async fn plant(&self, b: Booking, now: Timestamp) {
        let mut tx = self.pool().begin().await.unwrap();
        let row = crate::postgres::Accepted {
            booking: &b,
            key: None,
            created: now,
        };
        let ledger = hcas_core::booking::Ledger::new();
        let n = crate::postgres::insert_accepted(&mut tx, &[row], &ledger)
            .await
            .unwrap();
        assert_eq!(n, 1);
        tx.commit().await.unwrap();
    }
}

fn utc(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// A booking on `resource` at UTC `start`..`end`, anchored at local
/// `local_start`..`local_end` in `zone`.
fn anchored(
    id: &str,
    resource: &str,
    (start, end): (&str, &str),
    zone: &str,
    (local_start, local_end): (&str, &str),
) -> Booking {
    let mut b = Booking::new(
        id,
        vec![resource.to_string()],
        hcas_core::Interval::new(utc(start), utc(end)).unwrap(),
    );
    b.anchor = Some(Box::new(WallAnchor::new(
        hcas_core::Zone::parse(zone).unwrap(),
        hcas_core::time::parse_local_datetime(local_start).unwrap(),
        hcas_core::time::parse_local_datetime(local_end).unwrap(),
    )));
    b
}

/// Bookings whose instants were computed under other offsets than today's
/// tz data says (Mexico City in July at the pre-2022 UTC-5 where the data
/// now says UTC-6; Berlin in July computed without DST) are listed by the
/// sweep with the instants their wall time has now; correct, past,
/// cancelled and unanchored ones are not. Re-anchoring moves a booking (same
/// id, version + 1, an `appointment.reanchored` event, its resources follow)
/// and the sweep then no longer lists it; a re-anchor onto a taken slot is
/// refused with the conflict and changes nothing. `book` refuses an anchor
/// that does not resolve to the booking's instants today.
pub async fn suite_anchor_drift(store: &dyn Plant) {
    let now = utc("2026-06-01T00:00:00Z");
    let mx = anchored(
        "mx",
        "provider:P1",
        ("2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z"),
        "America/Mexico_City",
        ("2026-07-15T09:00", "2026-07-15T09:30"),
    );
    let de = anchored(
        "de",
        "provider:P1",
        ("2026-07-15T09:00:00Z", "2026-07-15T10:00:00Z"),
        "Europe/Berlin",
        ("2026-07-15T10:00", "2026-07-15T11:00"),
    );
    let taken = anchored(
        "taken",
        "provider:P2",
        ("2026-07-20T14:00:00Z", "2026-07-20T14:30:00Z"),
        "America/Mexico_City",
        ("2026-07-20T09:00", "2026-07-20T09:30"),
    );
    let past = anchored(
        "past",
        "provider:P3",
        ("2026-05-20T14:00:00Z", "2026-05-20T14:30:00Z"),
        "America/Mexico_City",
        ("2026-05-20T09:00", "2026-05-20T09:30"),
    );
    let mut cancelled = anchored(
        "cancelled",
        "provider:P3",
        ("2026-07-21T14:00:00Z", "2026-07-21T14:30:00Z"),
        "America/Mexico_City",
        ("2026-07-21T09:00", "2026-07-21T09:30"),
    );
    cancelled.status = Status::Cancelled;
    let created = utc("2021-06-01T00:00:00Z");
    for b in [&mx, &de, &taken, &past, &cancelled] {
        store.plant(b.clone(), created).await;
    }
    // Made today, with the wall time resolved by today's data: accepted, never listed.
    let ok = anchored(
        "ok",
        "provider:P1",
        ("2026-07-16T08:00:00Z", "2026-07-16T09:00:00Z"),
        "Europe/Berlin",
        ("2026-07-16T10:00", "2026-07-16T11:00"),
    );
    store.book(ok.clone(), None, now).await.unwrap();
    store
        .book(
            Booking::new(
                "plain",
                vec!["provider:P1".into()],
                hcas_core::Interval::new(utc("2026-07-17T14:00:00Z"), utc("2026-07-17T14:30:00Z"))
                    .unwrap(),
            ),
            None,
            now,
        )
        .await
        .unwrap();
    // The slot `taken` should move to is booked by someone else.
    store
        .book(
            Booking::new(
                "blocker",
                vec!["provider:P2".into()],
                hcas_core::Interval::new(utc("2026-07-20T15:00:00Z"), utc("2026-07-20T15:30:00Z"))
                    .unwrap(),
            ),
            None,
            now,
        )
        .await
        .unwrap();
    // `book` refuses an anchor that is not the booking's instants today.
    let mut stale = mx.clone();
    stale.id = "stale".into();
    stale.resources = vec!["provider:P9".into()];
    let err = store.book(stale, None, now).await.unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest), "{err}");
    assert!(err.to_string().contains("2026-07-15T15:00:00Z"), "{err}");

    let page = store.drifted(now, None, 100).await.unwrap();
    let listed: Vec<(&str, String, String)> = page
        .drifted
        .iter()
        .map(|d| {
            (
                d.id.as_str(),
                d.wanted_start.to_string(),
                d.wanted_end.to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "de",
                "2026-07-15T08:00:00Z".into(),
                "2026-07-15T09:00:00Z".into()
            ),
            (
                "mx",
                "2026-07-15T15:00:00Z".into(),
                "2026-07-15T15:30:00Z".into()
            ),
            (
                "taken",
                "2026-07-20T15:00:00Z".into(),
                "2026-07-20T15:30:00Z".into()
            ),
        ]
    );
    assert_eq!(page.next, None);
    assert_eq!(page.drifted[1].start, utc("2026-07-15T14:00:00Z"));
    assert_eq!(page.drifted[1].shift_seconds(), 3600);
    // Page by page, one at a time.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let p = store.drifted(now, after.as_ref(), 1).await.unwrap();
        assert!(p.drifted.len() <= 1);
        seen.extend(p.drifted.into_iter().map(|d| d.id));
        match p.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["de", "mx", "taken"]);
    let err = store.drifted(now, None, 0).await.unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
    // Once `mx` has begun, it is left as it is.
    let later = store
        .drifted(utc("2026-07-15T14:10:00Z"), None, 100)
        .await
        .unwrap();
    let ids: Vec<&str> = later.drifted.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["taken"]);

    // Onto a taken slot: refused with the conflict, nothing changes.
    let before = store.counts().await.unwrap();
    let r = store.reanchor("taken", 1, now).await;
    assert_eq!(conflicts_of(r), vec![c("provider:P2", &["blocker"])]);
    assert_eq!(store.get("taken").await.unwrap().value, taken);
    assert_eq!(store.counts().await.unwrap(), before);
    // Stale version, no anchor, past, cancelled: refused.
    let r = store.reanchor("mx", 2, now).await;
    assert_eq!(r.unwrap_err().code(), "version_mismatch");
    for id in ["plain", "past", "cancelled"] {
        let r = store.reanchor(id, 1, now).await;
        assert_eq!(
            code_of(r),
            ("invalid", Some(ErrorCode::InvalidRequest)),
            "{id}"
        );
    }
    // On its wall time already: unchanged, no new version or event.
    assert_eq!(store.reanchor("ok", 1, now).await.unwrap().value, ok);
    assert_eq!(store.counts().await.unwrap(), before);

    // Re-anchor `mx`: same booking, new instants, version 2, one event.
    let moved = store.reanchor("mx", 1, now).await.unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(
        (moved.value.start, moved.value.end),
        (utc("2026-07-15T15:00:00Z"), utc("2026-07-15T15:30:00Z"))
    );
    assert_eq!(
        (&moved.value.id, moved.value.status, &moved.value.anchor),
        (&mx.id, mx.status, &mx.anchor)
    );
    assert_eq!(store.get("mx").await.unwrap(), moved);
    let events = store.outbox_pending(100).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.aggregate_id.as_str()),
        (kind::APPOINTMENT_REANCHORED, "mx")
    );
    assert_eq!(last.payload["start"], "2026-07-15T15:00:00Z");
    // Its resource moved with it: the old time is free, the new one taken.
    let probe = |id: &str, s: &str, e: &str| {
        Booking::new(
            id,
            vec!["provider:P1".into()],
            hcas_core::Interval::new(utc(s), utc(e)).unwrap(),
        )
    };
    store
        .book(
            probe("old-slot", "2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z"),
            None,
            now,
        )
        .await
        .unwrap();
    let r = store
        .book(
            probe("new-slot", "2026-07-15T15:00:00Z", "2026-07-15T15:30:00Z"),
            None,
            now,
        )
        .await;
    assert_eq!(conflicts_of(r), vec![c("provider:P1", &["mx"])]);
    store.reanchor("de", 1, now).await.unwrap();
    // Free the slot `taken` wants (reschedule the blocker away), then re-anchor it.
    store
        .reschedule(
            "blocker",
            1,
            Booking::new(
                "blocker-2",
                vec!["provider:P2".into()],
                hcas_core::Interval::new(utc("2026-07-20T17:00:00Z"), utc("2026-07-20T17:30:00Z"))
                    .unwrap(),
            ),
            Party::Staff,
            "make room",
            now,
        )
        .await
        .unwrap();
    store.reanchor("taken", 1, now).await.unwrap();
    let page = store.drifted(now, None, 100).await.unwrap();
    assert_eq!(page.drifted, vec![]);
    assert_eq!(page.next, None);
    // The moved booking's history counts the move as a version.
    assert_eq!(store.get("taken").await.unwrap().version, 2);
}

// ---------------------------------------------------------------------------
// Series edits (`SeriesStore::shift_series`, `SeriesStore::cancel_series`).

/// A weekly series (`COUNT=count`) from local `dtstart` (`YYYY-MM-DDTHH:MM`)
/// in `zone`, 30 minutes, on `resources`.
fn series_at(
    id: &str,
    zone: &str,
    dtstart: &str,
    count: u32,
    resources: &[&str],
) -> hcas_core::series::SeriesSpec {
    let rule: hcas_core::RRule = format!("FREQ=WEEKLY;COUNT={count}").parse().unwrap();
    hcas_core::series::SeriesSpec::new(
        id,
        hcas_core::Recurrence::new(
            rule,
            hcas_core::time::parse_local_datetime(dtstart).unwrap(),
            hcas_core::Zone::parse(zone).unwrap(),
        ),
        Minutes::new(30),
        resources.iter().map(|r| (*r).to_string()).collect(),
    )
}

/// A staff member's shift of `series_id` from occurrence `recurrence_id`, in `zone`.
fn shift_edit(
    series_id: &str,
    zone: &str,
    recurrence_id: &str,
    scope: hcas_core::series::EditScope,
    shift: hcas_core::series::WallShift,
) -> hcas_core::series::SeriesEdit {
    hcas_core::series::SeriesEdit::new(
        hcas_core::booking::SeriesRef::new(series_id, recurrence_id),
        scope,
        hcas_core::Zone::parse(zone).unwrap(),
        hcas_core::lifecycle::Party::Staff,
    )
    .shift(shift)
}

/// A staff member's cancellation of `series_id` from occurrence `recurrence_id`.
fn series_cancel(
    series_id: &str,
    recurrence_id: &str,
    scope: hcas_core::series::EditScope,
) -> hcas_core::series::SeriesCancel {
    hcas_core::series::SeriesCancel::new(
        hcas_core::booking::SeriesRef::new(series_id, recurrence_id),
        scope,
        hcas_core::lifecycle::Party::Staff,
        "course ended",
    )
}

/// Everything a series edit could touch, as the ports show it: counts,
/// every outbox event, the series' bookings and `others` with versions, and
/// the busy time of `resources` over a wide window.
async fn edit_snapshot(
    store: &dyn Store,
    series: &[&str],
    others: &[&str],
    resources: &[&str],
    now: Timestamp,
) -> (
    Counts,
    Vec<crate::OutboxEvent>,
    Vec<Stored<Booking>>,
    Vec<Vec<Interval>>,
) {
    let mut bookings = Vec::new();
    for s in series {
        bookings.extend(store.series_bookings(s).await.unwrap());
    }
    for id in others {
        bookings.push(store.get(id).await.unwrap());
    }
    let mut busy = Vec::new();
    for r in resources {
        busy.push(
            store
                .busy(r, at(-60 * 24 * 7), at(60 * 24 * 7 * 12), now)
                .await
                .unwrap(),
        );
    }
    (
        store.counts().await.unwrap(),
        store.outbox_pending(100_000).await.unwrap(),
        bookings,
        busy,
    )
}

const WEEK: i64 = 7 * 24 * 60;

/// Pushing a weekly course back one week (every occurrence lands on its
/// sibling's old slot, the case that lost data) moves all of them, keeps
/// their ids and recurrence ids, and writes one `appointment.updated` event
/// and one version per moved occurrence; the first slot is free again. A
/// longer occurrence is found by every later query (the overlap bound follows it).
pub async fn suite_series_shift_push_back_one_week(store: &dyn Store) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    let now = at(-24 * 60);
    let spec = weekly_series("S1", 4);
    assert!(
        store
            .book_series(&spec, SeriesPolicy::AllOrNothing, now)
            .await
            .unwrap()
            .booked
    );
    let before = store.counts().await.unwrap();
    let edit = shift_edit(
        "S1",
        "Europe/London",
        "2026-05-04T10:00:00",
        EditScope::All,
        WallShift::days(7),
    );
    let r = store.shift_series(&edit, now).await.unwrap();
    assert!(r.applied, "{r:?}");
    assert!(r.skipped.is_empty());
    let ids = [
        "S1.20260504T100000",
        "S1.20260511T100000",
        "S1.20260518T100000",
        "S1.20260525T100000",
    ];
    let answered: Vec<(&str, Timestamp, bool, bool)> = r
        .occurrences
        .iter()
        .map(|o| (o.id.as_str(), o.start, o.ok, o.booked))
        .collect();
    let want: Vec<(&str, Timestamp, bool, bool)> = (1..=4)
        .map(|k| (ids[k - 1], at(i64::try_from(k).unwrap() * WEEK), true, true))
        .collect();
    assert_eq!(answered, want);
    // Stored: same ids and recurrence ids, one week later, version 2.
    let stored = store.series_bookings("S1").await.unwrap();
    let got: Vec<(String, String, Timestamp, Timestamp, i64)> = stored
        .iter()
        .map(|s| {
            (
                s.value.id.clone(),
                s.value.series.as_ref().unwrap().recurrence_id.clone(),
                s.value.start,
                s.value.end,
                s.version,
            )
        })
        .collect();
    let want: Vec<(String, String, Timestamp, Timestamp, i64)> = (0..4)
        .map(|k: i64| {
            (
                ids[usize::try_from(k).unwrap()].to_string(),
                format!("2026-05-{:02}T10:00:00", 4 + 7 * k),
                at((k + 1) * WEEK),
                at((k + 1) * WEEK + 30),
                2,
            )
        })
        .collect();
    assert_eq!(got, want);
    // One `appointment.updated` event per occurrence, with its new time.
    let after = store.counts().await.unwrap();
    assert_eq!(
        (after.bookings, after.outbox),
        (before.bookings, before.outbox + 4)
    );
    let events = store.outbox_pending(100).await.unwrap();
    let last: Vec<(&str, &str, String)> = events[events.len() - 4..]
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.aggregate_id.as_str(),
                e.payload["start"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(&str, &str, String)> = (1..=4)
        .map(|k| {
            (
                kind::APPOINTMENT_UPDATED,
                ids[k - 1],
                at(i64::try_from(k).unwrap() * WEEK).to_string(),
            )
        })
        .collect();
    assert_eq!(last, want);
    let h: Vec<(i64, String)> = store
        .history(ids[0])
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.version, c.kind))
        .collect();
    assert_eq!(
        h,
        [
            (1, kind::APPOINTMENT_CREATED.to_string()),
            (2, kind::APPOINTMENT_UPDATED.to_string())
        ]
    );
    // The provider is busy exactly at the new times; the first Monday is free.
    let busy = store
        .busy("provider:P1", at(-60), at(6 * WEEK), now)
        .await
        .unwrap();
    let starts: Vec<Timestamp> = busy.iter().map(Interval::start).collect();
    assert_eq!(starts, [at(WEEK), at(2 * WEEK), at(3 * WEEK), at(4 * WEEK)]);
    store
        .book(booked("y", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    // The last occurrence made three days long: a query far after its start
    // still finds it (the stores' overlap bound grows with it).
    let mut longer = shift_edit(
        "S1",
        "Europe/London",
        "2026-05-25T10:00:00",
        EditScope::This,
        WallShift::default(),
    );
    longer.duration = Some(Minutes::days(3));
    assert!(store.shift_series(&longer, now).await.unwrap().applied);
    let late = 4 * WEEK + 2 * 24 * 60;
    let taken = conflicts_of(
        store
            .book(booked("z", late, late + 30, &["provider:P1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("provider:P1", &[ids[3]])]);
}

/// "One week later" across the start of summer time keeps 10:00 on the
/// wall clock (09:00Z instead of 10:00Z); this-and-following leaves the
/// earlier occurrence (and its version) alone.
pub async fn suite_series_shift_keeps_wall_time_across_dst(store: &dyn Store) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    // Mondays 16, 23 and 30 March 10:00 London; summer time starts 29 March.
    let spec = series_at(
        "D1",
        "Europe/London",
        "2026-03-16T10:00",
        3,
        &["provider:P1", "patient:X1"],
    );
    assert!(
        store
            .book_series(&spec, SeriesPolicy::AllOrNothing, now)
            .await
            .unwrap()
            .booked
    );
    let edit = shift_edit(
        "D1",
        "Europe/London",
        "2026-03-23T10:00:00",
        EditScope::ThisAndFollowing,
        WallShift::days(7),
    );
    let r = store.shift_series(&edit, now).await.unwrap();
    assert!(r.applied, "{r:?}");
    let got: Vec<(String, String, i64)> = store
        .series_bookings("D1")
        .await
        .unwrap()
        .iter()
        .map(|s| (s.value.id.clone(), s.value.start.to_string(), s.version))
        .collect();
    assert_eq!(
        got,
        [
            (
                "D1.20260316T100000".to_string(),
                "2026-03-16T10:00:00Z".to_string(),
                1
            ),
            (
                "D1.20260323T100000".to_string(),
                "2026-03-30T09:00:00Z".to_string(),
                2
            ),
            (
                "D1.20260330T100000".to_string(),
                "2026-04-06T09:00:00Z".to_string(),
                2
            ),
        ]
    );
}

/// A shift that conflicts for one occurrence moves none: every booking,
/// version, busy interval and outbox event is as before, and the answer
/// names what stands in the way. Unknown occurrences and shifts out of range
/// are refused with the core's codes, changing nothing.
pub async fn suite_series_shift_conflict_changes_nothing(store: &dyn Store) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    let now = at(-24 * 60);
    assert!(
        store
            .book_series(&weekly_series("S1", 4), SeriesPolicy::AllOrNothing, now)
            .await
            .unwrap()
            .booked
    );
    // The Monday after the course is taken.
    store
        .book(
            booked("x", 4 * WEEK, 4 * WEEK + 60, &["provider:P1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let resources = ["provider:P1", "patient:X1"];
    let before = edit_snapshot(store, &["S1"], &["x"], &resources, now).await;
    let edit = shift_edit(
        "S1",
        "Europe/London",
        "2026-05-04T10:00:00",
        EditScope::All,
        WallShift::days(7),
    );
    let r = store.shift_series(&edit, now).await.unwrap();
    assert!(!r.applied);
    let ok: Vec<bool> = r.occurrences.iter().map(|o| o.ok).collect();
    assert_eq!(ok, [true, true, true, false]);
    assert!(r.occurrences.iter().all(|o| !o.booked));
    assert_eq!(r.occurrences[3].conflicts, vec![c("provider:P1", &["x"])]);
    assert_eq!(
        edit_snapshot(store, &["S1"], &["x"], &resources, now).await,
        before
    );
    // Refused before anything is written.
    let mut unknown = edit.clone();
    unknown.recurrence_id = "2026-05-05T10:00:00".into();
    assert_eq!(
        code_of(store.shift_series(&unknown, now).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut too_far = edit.clone();
    too_far.shift = WallShift::days(hcas_core::series::MAX_SHIFT_DAYS + 1);
    assert_eq!(
        code_of(store.shift_series(&too_far, now).await),
        ("invalid", Some(ErrorCode::InvalidDuration))
    );
    let mut none = series_cancel("S9", "2026-05-04T10:00:00", EditScope::All);
    assert_eq!(
        code_of(store.cancel_series(&none, now).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    none.series_id = "S1".into();
    none.reason = " ".into();
    assert_eq!(
        code_of(store.cancel_series(&none, now).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    assert_eq!(
        edit_snapshot(store, &["S1"], &["x"], &resources, now).await,
        before
    );
}

/// Cancel all: a fulfilled and an arrived occurrence are skipped with
/// `invalid_transition` and left as they are; the others become cancelled
/// with the reason, one version and one `appointment.cancelled` event each,
/// and stop blocking. Cancelling again changes nothing.
pub async fn suite_series_cancel_all_skips_final(store: &dyn Store) {
    use hcas_core::booking::SeriesRef;
    use hcas_core::series::{EditScope, SeriesPolicy};
    let now = at(-24 * 60);
    // Two occurrences already stored as fulfilled and arrived (through
    // `book`, which keeps the status given; no status change is involved).
    for (k, day, status) in [(1, 11, Status::Fulfilled), (2, 18, Status::Arrived)] {
        let mut b = booked(
            &format!("S1.202605{day}T100000"),
            k * WEEK,
            k * WEEK + 30,
            &["provider:P1", "patient:X1"],
        );
        b.status = status;
        b.series = Some(SeriesRef::new("S1", format!("2026-05-{day}T10:00:00")));
        store.book(b, None, now).await.unwrap();
    }
    let r = store
        .book_series(&weekly_series("S1", 4), SeriesPolicy::BookFree, now)
        .await
        .unwrap();
    let booked_ids: Vec<&str> = r
        .occurrences
        .iter()
        .filter(|o| o.booked)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(booked_ids, ["S1.20260504T100000", "S1.20260525T100000"]);
    let before = store.counts().await.unwrap();
    let cancel = series_cancel("S1", "2026-05-04T10:00:00", EditScope::All);
    let done = store.cancel_series(&cancel, now).await.unwrap();
    let cancelled: Vec<(&str, Status)> = done
        .cancelled
        .iter()
        .map(|c| (c.id.as_str(), c.from))
        .collect();
    assert_eq!(
        cancelled,
        [
            ("S1.20260504T100000", Status::Booked),
            ("S1.20260525T100000", Status::Booked)
        ]
    );
    let skipped: Vec<(&str, Status, ErrorCode)> = done
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.status, s.error.code()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "S1.20260511T100000",
                Status::Fulfilled,
                ErrorCode::InvalidTransition
            ),
            (
                "S1.20260518T100000",
                Status::Arrived,
                ErrorCode::InvalidTransition
            ),
        ]
    );
    assert!(done.skipped[0].error.message().contains("fulfilled"));
    let got: Vec<(String, Status, Option<String>, i64)> = store
        .series_bookings("S1")
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.value.id, s.value.status, s.value.cancel_reason, s.version))
        .collect();
    let reason = Some("course ended".to_string());
    assert_eq!(
        got,
        [
            (
                "S1.20260504T100000".into(),
                Status::Cancelled,
                reason.clone(),
                2
            ),
            ("S1.20260511T100000".into(), Status::Fulfilled, None, 1),
            ("S1.20260518T100000".into(), Status::Arrived, None, 1),
            ("S1.20260525T100000".into(), Status::Cancelled, reason, 2),
        ]
    );
    let after = store.counts().await.unwrap();
    assert_eq!(
        (after.bookings, after.outbox),
        (before.bookings, before.outbox + 2)
    );
    let events = store.outbox_pending(100).await.unwrap();
    let last: Vec<(&str, &str)> = events[events.len() - 2..]
        .iter()
        .map(|e| (e.kind.as_str(), e.aggregate_id.as_str()))
        .collect();
    assert_eq!(
        last,
        [
            (kind::APPOINTMENT_CANCELLED, "S1.20260504T100000"),
            (kind::APPOINTMENT_CANCELLED, "S1.20260525T100000")
        ]
    );
    let h: Vec<(i64, Status)> = store
        .history("S1.20260525T100000")
        .await
        .unwrap()
        .iter()
        .map(|c| (c.version, c.status))
        .collect();
    assert_eq!(h, [(1, Status::Booked), (2, Status::Cancelled)]);
    // History says who cancelled it, from what, and why, as for a single change.
    let change = store
        .history("S1.20260525T100000")
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (
            change.from,
            change.actor,
            change.reason.as_deref(),
            change
                .outcomes
                .contains(&hcas_core::lifecycle::Outcome::SlotFreed)
        ),
        (
            Some(Status::Booked),
            Some(hcas_core::lifecycle::Party::Staff),
            Some("course ended"),
            true
        )
    );
    // The cancelled times are free again; the skipped ones still block.
    store
        .book(booked("y", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let taken = conflicts_of(
        store
            .book(booked("z", WEEK, WEEK + 30, &["provider:P1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("provider:P1", &["S1.20260511T100000"])]);
    // Again: nothing left to cancel, nothing written.
    let before = store.counts().await.unwrap();
    let again = store.cancel_series(&cancel, now).await.unwrap();
    assert!(again.cancelled.is_empty());
    assert_eq!(again.skipped.len(), 4);
    assert_eq!(store.counts().await.unwrap(), before);
}

/// Races series shifts against single bookings: `tasks` tasks over `stores`
/// (two handles = two instances) either move series A or B (two weekly
/// occurrences each, UTC, on `provider:P1`) a week earlier or later
/// (towards the first 32 Mondays), or book a single 30 minutes on
/// `provider:P1` on one of those Mondays. Afterwards: the provider is never double-booked; every shift
/// is applied whole or not at all (each series' occurrences stay a week
/// apart and sit where the applied shifts put them, one version per applied
/// shift); every single reported booked is stored and nothing else is; one
/// outbox event per creation and per moved occurrence.
pub async fn series_shift_race(stores: &[Arc<dyn Store>], tasks: usize, attempts_per_task: usize) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    // Far before every slot a shift can reach: no occurrence has started.
    let now = at(-200 * WEEK);
    let specs = [
        series_at(
            "A",
            "UTC",
            "2026-05-04T09:00",
            2,
            &["provider:P1", "patient:A"],
        ),
        series_at(
            "B",
            "UTC",
            "2026-06-01T09:00",
            2,
            &["provider:P1", "patient:B"],
        ),
    ];
    for spec in &specs {
        assert!(
            stores[0]
                .book_series(spec, SeriesPolicy::AllOrNothing, now)
                .await
                .unwrap()
                .booked
        );
    }
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = Arc::clone(&stores[t % stores.len()]);
        handles.push(tokio::spawn(async move {
            let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ (t as u64 + 1).wrapping_mul(0x2545_F491);
            // (series index, weeks) of every applied shift; singles booked.
            let mut shifts: Vec<(usize, i64)> = Vec::new();
            let mut singles = Vec::new();
            for j in 0..attempts_per_task {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let week = i64::try_from((rng >> 8) % 32).unwrap();
                if (rng >> 16).is_multiple_of(4) {
                    let id = format!("b{t}-{j}");
                    let r = store
                        .book(
                            booked(&id, week * WEEK, week * WEEK + 30, &["provider:P1"]),
                            None,
                            now,
                        )
                        .await;
                    match r {
                        Ok(_) => singles.push(id),
                        Err(StoreError::Conflict { conflicts }) => {
                            assert_eq!(conflicts.len(), 1, "{id}: {conflicts:?}");
                        }
                        Err(e) => panic!("{id}: {e}"),
                    }
                } else {
                    let which = usize::try_from((rng >> 24) % 2).unwrap();
                    let (name, first) =
                        [("A", "2026-05-04T09:00:00"), ("B", "2026-06-01T09:00:00")][which];
                    // Towards the Mondays the singles take, at random in between.
                    let now_at = store.series_bookings(name).await.unwrap()[0].value.start;
                    let weeks = if now_at < at(2 * WEEK) {
                        1
                    } else if now_at > at(28 * WEEK) || (rng >> 32).is_multiple_of(2) {
                        -1
                    } else {
                        1
                    };
                    let edit = shift_edit(
                        name,
                        "UTC",
                        first,
                        EditScope::All,
                        WallShift::days(7 * weeks),
                    );
                    let r = store.shift_series(&edit, now).await.unwrap();
                    assert!(r.skipped.is_empty(), "{r:?}");
                    assert_eq!(r.occurrences.len(), 2, "{r:?}");
                    if r.applied {
                        assert!(r.occurrences.iter().all(|o| o.ok && o.booked), "{r:?}");
                        shifts.push((which, weeks));
                    } else {
                        assert!(r.occurrences.iter().all(|o| !o.booked), "{r:?}");
                        assert!(r.occurrences.iter().any(|o| !o.conflicts.is_empty()));
                    }
                }
            }
            (shifts, singles)
        }));
    }
    let mut net = [0_i64; 2];
    let mut applied = [0_i64; 2];
    let mut singles = Vec::new();
    for h in handles {
        let (shifts, s) = h.await.unwrap();
        for (which, weeks) in shifts {
            net[which] += weeks;
            applied[which] += 1;
        }
        singles.extend(s);
    }
    // The race was a race: edits went through and singles got in between.
    assert!(
        applied[0] + applied[1] > 0 && !singles.is_empty(),
        "{applied:?}"
    );
    let store = &stores[0];
    let mut on_provider: Vec<Booking> = Vec::new();
    for (k, (name, base)) in [("A", 0), ("B", 4)].into_iter().enumerate() {
        let got: Vec<(Timestamp, i64)> = store
            .series_bookings(name)
            .await
            .unwrap()
            .into_iter()
            .map(|s| {
                on_provider.push(s.value.clone());
                (s.value.start, s.version)
            })
            .collect();
        let first = (base + net[k]) * WEEK;
        assert_eq!(
            got,
            [
                (at(first), 1 + applied[k]),
                (at(first + WEEK), 1 + applied[k])
            ],
            "series {name}: stored vs applied shifts"
        );
    }
    for id in &singles {
        on_provider.push(store.get(id).await.unwrap().value);
    }
    on_provider.sort_by_key(|b| b.start);
    for pair in on_provider.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "double-booked: {} and {}",
            pair[0].id,
            pair[1].id
        );
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.bookings as usize, 4 + singles.len());
    assert_eq!(
        counts.outbox,
        4 + singles.len() as u64 + 2 * u64::try_from(applied[0] + applied[1]).unwrap()
    );
}
