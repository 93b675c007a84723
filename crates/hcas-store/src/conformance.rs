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
    Instant::from_unix(1_777_885_200).plus_minutes(minutes)
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
    hcas_core::series::SeriesSpec {
        id: id.to_string(),
        recurrence: hcas_core::Recurrence::new(
            rule,
            hcas_core::time::parse_local_datetime(dtstart).unwrap(),
            hcas_core::Zone::parse(zone).unwrap(),
        ),
        duration: 30,
        resources: resources.iter().map(|r| (*r).to_string()).collect(),
        until: None,
    }
}

/// A staff member's shift of `series_id` from occurrence `recurrence_id`, in `zone`.
fn shift_edit(
    series_id: &str,
    zone: &str,
    recurrence_id: &str,
    scope: hcas_core::series::EditScope,
    shift: hcas_core::series::WallShift,
) -> hcas_core::series::SeriesEdit {
    hcas_core::series::SeriesEdit {
        series_id: series_id.to_string(),
        recurrence_id: recurrence_id.to_string(),
        scope,
        zone: hcas_core::Zone::parse(zone).unwrap(),
        shift,
        duration: None,
        actor: hcas_core::lifecycle::Actor::Staff,
        reason: None,
        policy: hcas_core::lifecycle::Policy::default(),
    }
}

/// A staff member's cancellation of `series_id` from occurrence `recurrence_id`.
fn series_cancel(
    series_id: &str,
    recurrence_id: &str,
    scope: hcas_core::series::EditScope,
) -> hcas_core::series::SeriesCancel {
    hcas_core::series::SeriesCancel {
        series_id: series_id.to_string(),
        recurrence_id: recurrence_id.to_string(),
        scope,
        actor: hcas_core::lifecycle::Actor::Staff,
        reason: "course ended".to_string(),
        policy: hcas_core::lifecycle::Policy::default(),
    }
}

/// Everything a series edit could touch, as the ports show it: counts,
/// every outbox event, the series' bookings and `others` with versions, and
/// the busy time of `resources` over a wide window.
async fn edit_snapshot(
    store: &dyn Store,
    series: &[&str],
    others: &[&str],
    resources: &[&str],
    now: Instant,
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
    let answered: Vec<(&str, Instant, bool, bool)> = r
        .occurrences
        .iter()
        .map(|o| (o.id.as_str(), o.start, o.ok, o.booked))
        .collect();
    let want: Vec<(&str, Instant, bool, bool)> = (1..=4)
        .map(|k| (ids[k - 1], at(i64::try_from(k).unwrap() * WEEK), true, true))
        .collect();
    assert_eq!(answered, want);
    // Stored: same ids and recurrence ids, one week later, version 2.
    let stored = store.series_bookings("S1").await.unwrap();
    let got: Vec<(String, String, Instant, Instant, i64)> = stored
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
    let want: Vec<(String, String, Instant, Instant, i64)> = (0..4)
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
    let starts: Vec<Instant> = busy.iter().map(Interval::start).collect();
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
    longer.duration = Some(3 * 24 * 60);
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
    let now: Instant = "2026-03-01T00:00:00Z".parse().unwrap();
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
        b.series = Some(SeriesRef {
            id: "S1".into(),
            recurrence_id: format!("2026-05-{day}T10:00:00"),
        });
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
        let got: Vec<(Instant, i64)> = store
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
