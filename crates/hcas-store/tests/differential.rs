//! Differential test: random sequences of bookings, status changes,
//! reschedules, capacity changes and busy queries, applied to every adapter in
//! the same order. Every answer (value and version with the lifecycle's
//! transition, or the error code and core code, or the conflicts), the final
//! state and the outbox events must be the same in memory (the core's ledger
//! under a lock), SQLite and PostgreSQL. The conformance suite checks chosen
//! cases; this looks for the cases nobody chose.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

use std::sync::Arc;

use hcas_core::booking::{Booking, Conflict, Status};
use hcas_core::lifecycle::{Party, TransitionRequest};
use hcas_core::{ErrorCode, Interval, Timestamp};
use hcas_store::conformance::at;
use hcas_store::{AppointmentStore, Rescheduled, StatusChanged, StoreError, Stored};

#[cfg(feature = "postgres")]
mod pg_support;

const SEQUENCES: u64 = 24;
const OPS: usize = 80;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[usize::try_from(self.below(xs.len() as u64)).unwrap()]
    }
}

const RESOURCES: &[&str] = &[
    "provider:P1",
    "provider:P2",
    "patient:X1",
    "patient:X2",
    "patient:X3",
    "room:R1",
];
const STATUSES: &[Status] = &[
    Status::Pending,
    Status::Booked,
    Status::Arrived,
    Status::CheckedIn,
    Status::Fulfilled,
    Status::Cancelled,
    Status::Noshow,
    Status::EnteredInError,
    Status::Held,
    Status::Proposed,
];
const REASONS: &[Option<&str>] = &[None, Some(" "), Some("moved")];

/// An answer reduced to what must agree: the stored value and version, or
/// the error code with every conflict (sorted by the store already).
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Booking(Stored<Booking>),
    Changed(Box<StatusChanged>),
    Pair(Box<Rescheduled>),
    Busy(Vec<Interval>),
    Done,
    Conflict(Vec<Conflict>),
    Error(&'static str, Option<ErrorCode>),
}

fn answer<T>(r: Result<T, StoreError>, ok: impl FnOnce(T) -> Answer) -> Answer {
    match r {
        Ok(v) => ok(v),
        Err(StoreError::Conflict { conflicts }) => Answer::Conflict(conflicts),
        Err(e) => {
            assert!(
                !matches!(e, StoreError::Unavailable(_) | StoreError::Internal(_)),
                "{e}"
            );
            Answer::Error(e.code(), e.core_code())
        }
    }
}

fn booking(rng: &mut Rng, id: String, now: Timestamp) -> Booking {
    let slot = i64::try_from(rng.below(8)).unwrap() * 30;
    let len = if rng.below(3) == 0 { 60 } else { 30 };
    let mut resources = vec![rng.pick(RESOURCES).to_string()];
    if rng.below(2) == 0 {
        resources.push(rng.pick(RESOURCES).to_string());
    }
    let mut b = Booking::new(
        id,
        resources,
        hcas_core::Interval::new(at(slot), at(slot + len)).unwrap(),
    );
    match rng.below(6) {
        0 => {
            b.status = Status::Held;
            b.hold_expires = Some(
                now.plus_minutes(i64::try_from(rng.below(40)).unwrap() + 1)
                    .unwrap(),
            );
        }
        1 => b.status = Status::Pending,
        3 => b.status = Status::Proposed,
        2 if rng.below(4) == 0 => b.end = b.start, // malformed
        _ => {}
    }
    b
}

/// How often each kind of answer came up (so the sequences exercise them all).
#[derive(Debug, Default)]
struct Tally {
    booked: usize,
    rescheduled: usize,
    changed: usize,
    conflicts: usize,
    errors: usize,
}

/// One random sequence on every store; panics at the first disagreement.
async fn run_sequence(seed: u64, stores: &[(&str, Arc<dyn AppointmentStore>)], tally: &mut Tally) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    let mut now = at(-120);
    let mut ids: Vec<String> = Vec::new();
    for op in 0..OPS {
        let kind = rng.below(10);
        if rng.below(5) == 0 {
            now = now
                .plus_minutes(i64::try_from(rng.below(30)).unwrap())
                .unwrap();
        }
        // The version each store is asked to expect: the reference's, or a stale one.
        let target = if ids.is_empty() {
            "none".to_string()
        } else {
            ids[usize::try_from(rng.below(ids.len() as u64)).unwrap()].clone()
        };
        let version = match stores[0].1.get(&target).await {
            Ok(s) if rng.below(6) != 0 => s.version,
            _ => 1 + i64::try_from(rng.below(3)).unwrap(),
        };
        let new_id = if rng.below(8) == 0 && !ids.is_empty() {
            target.clone() // a used id
        } else {
            format!("s{seed}-{op}")
        };
        let new = booking(&mut rng, new_id.clone(), now);
        let key = (rng.below(4) == 0).then(|| format!("k{}", rng.below(5)));
        let status = STATUSES[usize::try_from(rng.below(STATUSES.len() as u64)).unwrap()];
        let resource = rng.pick(RESOURCES);
        let capacity = u32::try_from(rng.below(3)).unwrap() + 1;
        let actor = Party::ALL[usize::try_from(rng.below(4)).unwrap()];
        let reason = REASONS[usize::try_from(rng.below(REASONS.len() as u64)).unwrap()];
        let change = {
            let mut x = TransitionRequest::new(status, actor, now);
            x.reason = reason.map(str::to_string);
            x
        };
        let mut answers = Vec::new();
        for (name, store) in stores {
            let a = match kind {
                0..=3 => answer(
                    store.book(new.clone(), key.as_deref(), now).await,
                    Answer::Booking,
                ),
                4 | 5 => answer(store.set_status(&target, version, &change).await, |c| {
                    Answer::Changed(Box::new(c))
                }),
                6 => answer(
                    store
                        .reschedule(
                            &target,
                            version,
                            new.clone(),
                            &hcas_store::RescheduleRequest::new(
                                actor,
                                reason.unwrap_or_default(),
                                now,
                            ),
                        )
                        .await,
                    |r| Answer::Pair(Box::new(r)),
                ),
                7 => answer(store.set_capacity(resource, capacity).await, |()| {
                    Answer::Done
                }),
                _ => answer(
                    store.busy(resource, at(-60), at(300), now).await,
                    Answer::Busy,
                ),
            };
            answers.push((name, a));
        }
        let (first_name, first) = &answers[0];
        for (name, a) in &answers[1..] {
            assert_eq!(
                a, first,
                "seed {seed} op {op} (kind {kind}): {name} differs from {first_name}"
            );
        }
        match first {
            Answer::Booking(_) => tally.booked += 1,
            Answer::Changed(_) => tally.changed += 1,
            Answer::Pair(_) => tally.rescheduled += 1,
            Answer::Conflict(_) => tally.conflicts += 1,
            Answer::Error(..) => tally.errors += 1,
            Answer::Busy(_) | Answer::Done => {}
        }
        if matches!(first, Answer::Booking(_) | Answer::Pair(_)) && !ids.contains(&new_id) {
            ids.push(new_id);
        }
    }
    // The final state: every booking, every resource's busy time.
    for id in &ids {
        let reference = stores[0].1.get(id).await.ok();
        for (name, store) in &stores[1..] {
            assert_eq!(
                store.get(id).await.ok(),
                reference,
                "seed {seed}: {id} in {name}"
            );
        }
    }
    for r in RESOURCES {
        let reference = stores[0].1.busy(r, at(-60), at(300), now).await.unwrap();
        for (name, store) in &stores[1..] {
            let got = store.busy(r, at(-60), at(300), now).await.unwrap();
            assert_eq!(got, reference, "seed {seed}: busy {r} in {name}");
        }
    }
    // The events alike too (ids aside: PostgreSQL's sequence may skip):
    // kinds, bookings, and each change's transition (actor, reason, outcomes).
    let events = |e: Vec<hcas_store::OutboxEvent>| -> Vec<_> {
        e.into_iter()
            .map(|e| (e.kind, e.aggregate_id, e.payload, e.created))
            .collect()
    };
    let reference = events(stores[0].1.outbox_pending(100_000).await.unwrap());
    for (name, store) in &stores[1..] {
        let got = events(store.outbox_pending(100_000).await.unwrap());
        assert_eq!(got, reference, "seed {seed}: outbox in {name}");
    }
    let counts = stores[0].1.counts().await.unwrap();
    for (name, store) in &stores[1..] {
        assert_eq!(
            store.counts().await.unwrap(),
            counts,
            "seed {seed}: counts in {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_adapter_answers_alike() {
    let mut answered = 0;
    let mut tally = Tally::default();
    for seed in 0..SEQUENCES {
        let mut stores: Vec<(&str, Arc<dyn AppointmentStore>)> =
            vec![("memory", Arc::new(hcas_store::memory::MemoryStore::new()))];
        #[cfg(feature = "sqlite")]
        let dir = tempfile::tempdir().unwrap();
        #[cfg(feature = "sqlite")]
        {
            let url = format!("sqlite://{}", dir.path().join("d.db").display());
            let s = hcas_store::sqlite::SqliteStore::open(&url, 2)
                .await
                .unwrap();
            stores.push(("sqlite", Arc::new(s)));
        }
        #[cfg(feature = "postgres")]
        let db = pg_support::fresh_db("differential").await;
        #[cfg(feature = "postgres")]
        if let Some(db) = &db {
            let s = hcas_store::postgres::PgStore::open_with(db.options.clone(), 2)
                .await
                .unwrap();
            stores.push(("postgres", Arc::new(s)));
        }
        run_sequence(seed, &stores, &mut tally).await;
        answered += stores.len();
    }
    // Without a second adapter there is nothing to compare.
    assert!(answered >= 2 * usize::try_from(SEQUENCES).unwrap());
    // The sequences reach every kind of answer, each many times.
    println!("{tally:?}");
    assert!(
        tally.booked >= 50
            && tally.changed >= 20
            && tally.rescheduled >= 5
            && tally.conflicts >= 50
            && tally.errors >= 50,
        "{tally:?}"
    );
}
