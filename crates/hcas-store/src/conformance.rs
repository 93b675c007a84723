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
use hcas_core::{ErrorCode, Instant, Interval};

use crate::{AppointmentStore, Counts, StoreError, kind};

/// 2026-05-04T09:00:00Z plus `minutes`.
#[must_use]
pub fn at(minutes: i64) -> Instant {
    Instant::from_unix(1_777_885_200 + minutes * 60).unwrap()
}

/// A booked appointment from `at(from)` to `at(to)` on `resources`.
#[must_use]
pub fn booked(id: &str, from: i64, to: i64, resources: &[&str]) -> Booking {
    Booking::new(
        id,
        at(from),
        at(to),
        Status::Booked,
        resources.iter().map(|r| (*r).to_string()).collect(),
    )
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
    Conflict {
        resource: resource.to_string(),
        with: with.iter().map(|s| (*s).to_string()).collect(),
    }
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
    assert_eq!(err.http_status(), 404);
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
    assert_eq!(err.http_status(), 409);
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
    assert_eq!(err.http_status(), 422);
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

/// Optimistic concurrency: a stale version is refused; each change writes an event.
pub async fn suite_version_mismatch(store: &dyn AppointmentStore) {
    let now = at(-60);
    store
        .book(booked("a1", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let v2 = store
        .set_status("a1", Status::Cancelled, 1, now)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.value.status, Status::Cancelled);
    let err = store
        .set_status("a1", Status::Booked, 1, now)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::VersionMismatch { id, expected: 1, found: 2 } if id == "a1"),
        "{err:?}"
    );
    assert_eq!(err.code(), "version_mismatch");
    // The cancelled slot is free; taking it back after someone else booked it conflicts.
    store
        .book(booked("a2", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let r = store.set_status("a1", Status::Booked, 2, now).await;
    assert_eq!(conflicts_of(r), vec![c("provider:P1", &["a2"])]);
    let v3 = store
        .set_status("a2", Status::Arrived, 1, now)
        .await
        .unwrap();
    assert_eq!(v3.version, 2);
    assert_eq!(store.get("a2").await.unwrap(), v3);
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
        (
            "stale version",
            store.set_status("a1", Status::Cancelled, 7, now).await,
        ),
        (
            "unknown booking",
            store.set_status("nope", Status::Cancelled, 1, now).await,
        ),
        (
            "held without expiry",
            store.set_status("a1", Status::Held, 1, now).await,
        ),
    ];
    for (what, r) in rejected {
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

/// `busy` returns exactly the blocking bookings overlapping the window.
pub async fn suite_busy(store: &dyn AppointmentStore) {
    let p = "provider:P1";
    let now = at(0);
    let book = |b: Booking| async move { store.book(b, None, now).await.unwrap() };
    book(booked("before", -30, 0, &[p])).await; // touches the window: out
    book(booked("b1", 0, 30, &[p, "patient:X1"])).await;
    let c1 = book(booked("c1", 30, 60, &[p])).await;
    store
        .set_status("c1", Status::Cancelled, c1.version, now)
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
            let expect = vec![Conflict {
                resource: resource.to_string(),
                with: winners[&a.slot].iter().cloned().collect(),
            }];
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
                "later",
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("provider:P1", &["b1"])]);
    let err = store
        .reschedule("a1", 1, booked("b1", 15, 30, &["provider:P1"]), "x", now)
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
            .reschedule("a1", 1, bad, "x", now)
            .await
            .unwrap_err()
            .code(),
        "invalid"
    );
    match store
        .reschedule("a1", 7, booked("a4", 15, 30, &["provider:P1"]), "x", now)
        .await
    {
        Err(StoreError::VersionMismatch {
            expected, found, ..
        }) => assert_eq!((expected, found), (7, 1)),
        other => panic!("expected a version mismatch, got {other:?}"),
    }
    let err = store
        .reschedule("zz", 1, booked("a5", 15, 30, &["provider:P1"]), "x", now)
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
            "patient asked",
            at(-30),
        )
        .await
        .unwrap();
    assert_eq!((r.old.version, r.new.version), (2, 1));
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
    let last: Vec<(&str, &str, Instant)> = events[events.len() - 2..]
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
    let starts: Vec<Instant> = busy.iter().map(Interval::start).collect();
    assert_eq!(starts, [at(15), at(30)]);
    // The cancelled booking cannot move again.
    let err = store
        .reschedule("a1", 2, booked("a6", 90, 120, &["provider:P1"]), "x", now)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.core_code()),
        ("invalid", Some(ErrorCode::InvalidRequest))
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
    let q = hcas_core::SlotQuery::new(at(-9 * 60), at(15 * 60), duration);
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
        .set_status("b2", Status::Cancelled, c.version, now)
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
    hcas_core::series::SeriesSpec {
        id: id.to_string(),
        recurrence: hcas_core::Recurrence::new(rule, dtstart, zone),
        duration: 30,
        resources: vec!["provider:P1".into(), "patient:X1".into()],
        until: None,
    }
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
    bad.duration = 0;
    assert_eq!(
        code_of(store.book_series(&bad, SeriesPolicy::BookFree, now).await).1,
        Some(ErrorCode::InvalidDuration)
    );
}

/// A booking's history: one entry per change, from its events.
pub async fn suite_history(store: &dyn Store) {
    let b = store
        .book(booked("a1", 0, 30, &["provider:P1"]), None, at(-100))
        .await
        .unwrap();
    let b = store
        .set_status("a1", Status::Arrived, b.version, at(-5))
        .await
        .unwrap();
    store
        .set_status("a1", Status::Cancelled, b.version, at(1))
        .await
        .unwrap();
    store
        .book(booked("a2", 0, 30, &["provider:P2"]), None, at(-50))
        .await
        .unwrap();
    let h = store.history("a1").await.unwrap();
    let got: Vec<(i64, Status, Instant, &str)> = h
        .iter()
        .map(|c| (c.version, c.status, c.at, c.kind.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (1, Status::Booked, at(-100), kind::APPOINTMENT_CREATED),
            (2, Status::Arrived, at(-5), kind::APPOINTMENT_UPDATED),
            (3, Status::Cancelled, at(1), kind::APPOINTMENT_CANCELLED),
        ]
    );
    assert_eq!(store.history("a2").await.unwrap().len(), 1);
    assert_eq!(code_of(store.history("zz").await).0, "not_found");
}

fn entry(id: &str, patient: &str, created: i64, window_end: i64) -> hcas_core::waitlist::WaitEntry {
    hcas_core::waitlist::WaitEntry {
        id: id.into(),
        patient: patient.into(),
        provider: "provider:P1".into(),
        window: Interval::new(at(0), at(window_end)).unwrap(),
        preferences: hcas_core::waitlist::Preferences::default(),
        created: at(created),
    }
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
    let k2: Vec<(&str, Instant)> = events
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
                    .reschedule(&format!("r{t}"), 1, new, "moved", now)
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
