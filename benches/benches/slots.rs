//! Slot engine benchmarks: one provider's month, and 50 providers pooled.
//!
//! `cargo bench -p hcas-benches --bench slots`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hcas_benches::{provider, provider_own_hours, query};
use hcas_core::pooled_slots;
use std::hint::black_box;

fn slots(c: &mut Criterion) {
    let p = provider(1);
    let q = query();
    // Candidates = grid points in the working windows (22 weekdays x 16).
    let candidates = p.windows(q.from, q.to).map_or(0, |w| {
        w.iter()
            .filter(|w| w.start() >= q.from && w.start() < q.to)
            .map(|w| w.seconds() / 1800)
            .sum::<i64>()
    });
    let mut g = c.benchmark_group("slots");
    g.throughput(Throughput::Elements(u64::try_from(candidates).unwrap_or(1)));
    g.bench_function("one_provider_month_ny_30min", |b| {
        b.iter(|| black_box(&p).slots(black_box(&q)));
    });
    g.finish();

    let pool: Vec<_> = (0..50).map(provider).collect();
    let mut g = c.benchmark_group("pooled");
    g.throughput(Throughput::Elements(
        u64::try_from(candidates * 50).unwrap_or(1),
    ));
    g.bench_function("fifty_providers_month_ny_30min", |b| {
        b.iter(|| pooled_slots(black_box(&pool), black_box(&q)));
    });
    // The same with eight different shift patterns in the pool, so starts differ.
    let mixed: Vec<_> = (0..50).map(provider_own_hours).collect();
    g.bench_function("fifty_providers_month_ny_30min_mixed_hours", |b| {
        b.iter(|| pooled_slots(black_box(&mixed), black_box(&q)));
    });
    g.finish();
}

criterion_group!(benches, slots);
criterion_main!(benches);
