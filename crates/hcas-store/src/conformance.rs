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
