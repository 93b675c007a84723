//! Conflict checks on a large ledger and a year-long weekly series.
//!
//! `cargo bench -p hcas-benches --bench ledger`
//!
//! The ledger: 1,000,000 bookings over 10,000 resources (5,000 providers and
//! 5,000 patients; each booking uses one of each), 30-60 minutes each, spread
//! over a year of working hours, about 5% cancelled and some holds.
//!
//! `long_block`: one resource with 100,000 half-hour bookings (one an hour,
//! from 2026 for 11 years) plus one year-long block (leave, a room closed for
//! a year) at the start: a check must not scan the year's bookings because one
//! booking is long (`cargo bench -p hcas-benches --bench ledger -- long_block`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hcas_benches::Rng;
use hcas_core::booking::{Booking, Ledger, Request, Status};
use hcas_core::series::SeriesSpec;
use hcas_core::{Recurrence, Timestamp, Zone};

const BASE: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

#[allow(clippy::unwrap_used)]
fn ledger() -> Ledger {
    let mut rng = Rng::new(42);
    let mut ledger = Ledger::new();
    for i in 0..1_000_000u64 {
        let provider = rng.below(5000);
        let patient = rng.below(5000);
        let day = i64::try_from(rng.below(365)).unwrap_or(0);
        let slot = i64::try_from(rng.below(16)).unwrap_or(0);
        let start = BASE + day * 86_400 + 13 * 3600 + slot * 1800;
        let len = if rng.below(2) == 0 { 1800 } else { 3600 };
        let status = match rng.below(20) {
            0 => Status::Cancelled,
            1 => Status::Held,
            _ => Status::Booked,
        };
        let mut b = Booking::new(
            format!("b{i}"),
            vec![
                format!("provider:P{provider}"),
                format!("patient:X{patient}"),
            ],
            hcas_core::Interval::new(
                Timestamp::from_unix(start).unwrap(),
                Timestamp::from_unix(start + len).unwrap(),
            )
            .unwrap(),
        )
        .status(status);
        if status == Status::Held {
            b.hold_expires = Some(Timestamp::from_unix(BASE + 600).unwrap());
        }
        ledger.insert(b).unwrap();
    }
    ledger
}

#[allow(clippy::unwrap_used)]
fn benches(c: &mut Criterion) {
    let ledger = ledger();
    let now = Timestamp::from_unix(BASE).unwrap();
    let mut rng = Rng::new(7);
    let requests: Vec<Request> = (0..1024)
        .map(|_| {
            let day = i64::try_from(rng.below(365)).unwrap_or(0);
            let slot = i64::try_from(rng.below(16)).unwrap_or(0);
            let start = BASE + day * 86_400 + 13 * 3600 + slot * 1800;
            Request::new(
                vec![
                    format!("provider:P{}", rng.below(5000)),
                    format!("patient:X{}", rng.below(5000)),
                ],
                hcas_core::Interval::new(
                    Timestamp::from_unix(start).unwrap(),
                    Timestamp::from_unix(start + 1800).unwrap(),
                )
                .unwrap(),
            )
        })
        .collect();
    let conflicts = requests
        .iter()
        .filter(|r| !ledger.check(r, now).unwrap().ok)
        .count();
    assert!(
        conflicts > 0,
        "the workload must contain conflicting requests"
    );
    let mut i = 0usize;
    c.bench_function("ledger_1m_bookings_10k_resources/check", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            black_box(&ledger).check(black_box(&requests[i]), now)
        });
    });

    // The same request again and again: the ledger's data for it stays in
    // cache, which shows the check's own cost apart from memory latency.
    let hot = &requests[0];
    c.bench_function("ledger_1m_bookings_10k_resources/check_cached", |b| {
        b.iter(|| black_box(&ledger).check(black_box(hot), now));
    });

    let spec = SeriesSpec::new(
        "S",
        Recurrence::new(
            "FREQ=WEEKLY;BYDAY=TU;COUNT=52".parse().unwrap(),
            hcas_core::time::parse_local_datetime("2026-01-06T09:00").unwrap(),
            Zone::parse("America/New_York").unwrap(),
        ),
        hcas_core::Minutes::new(45),
        vec!["provider:P17".into(), "patient:X4242".into()],
    );
    assert_eq!(spec.occurrences().unwrap().len(), 52);
    c.bench_function("series_weekly_52_occurrences/plan", |b| {
        b.iter(|| black_box(&spec).plan(black_box(&ledger), now));
    });
}

/// One resource, 100,000 short bookings and one year-long block.
#[allow(clippy::unwrap_used)]
fn long_block(c: &mut Criterion) {
    const HOUR: i64 = 3600;
    let resource = "room:R1".to_string();
    let mut ledger = Ledger::new();
    for i in 0..100_000i64 {
        let start = BASE + i * HOUR;
        ledger
            .insert(Booking::new(
                format!("b{i}"),
                vec![resource.clone()],
                hcas_core::Interval::new(
                    Timestamp::from_unix(start).unwrap(),
                    Timestamp::from_unix(start + HOUR / 2).unwrap(),
                )
                .unwrap(),
            ))
            .unwrap();
    }
    let now = Timestamp::from_unix(BASE).unwrap();
    let mut rng = Rng::new(11);
    // Free half hours after the block's year (each check is ok) ...
    let free: Vec<Request> = (0..1024)
        .map(|_| {
            let k = 9000 + i64::try_from(rng.below(90_000)).unwrap_or(0);
            let start = BASE + k * HOUR + HOUR / 2;
            Request::new(
                vec![resource.clone()],
                hcas_core::Interval::new(
                    Timestamp::from_unix(start).unwrap(),
                    Timestamp::from_unix(start + HOUR / 2).unwrap(),
                )
                .unwrap(),
            )
        })
        .collect();
    assert!(free.iter().all(|r| ledger.check(r, now).unwrap().ok));
    let mut i = 0usize;
    c.bench_function("long_block/100k_short/check", |b| {
        b.iter(|| {
            i = (i + 1) % free.len();
            black_box(&ledger).check(black_box(&free[i]), now)
        });
    });
    ledger
        .insert(Booking::new(
            "leave",
            vec![resource.clone()],
            hcas_core::Interval::new(
                Timestamp::from_unix(BASE - 10 * 86_400).unwrap(),
                Timestamp::from_unix(BASE + 355 * 86_400).unwrap(),
            )
            .unwrap(),
        ))
        .unwrap();
    assert!(free.iter().all(|r| ledger.check(r, now).unwrap().ok));
    c.bench_function("long_block/100k_short_plus_year/check", |b| {
        b.iter(|| {
            i = (i + 1) % free.len();
            black_box(&ledger).check(black_box(&free[i]), now)
        });
    });
    // Inside the year: every check conflicts with the block and one short booking.
    let inside = Request::new(
        vec![resource],
        hcas_core::Interval::new(
            Timestamp::from_unix(BASE + 100 * 86_400).unwrap(),
            Timestamp::from_unix(BASE + 100 * 86_400 + HOUR).unwrap(),
        )
        .unwrap(),
    );
    assert_eq!(
        ledger.check(&inside, now).unwrap().conflicts[0].with.len(),
        2
    );
    c.bench_function("long_block/100k_short_plus_year/check_inside", |b| {
        b.iter(|| black_box(&ledger).check(black_box(&inside), now));
    });
}

criterion_group!(ledger_benches, benches, long_block);
criterion_main!(ledger_benches);
