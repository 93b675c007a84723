//! Booking throughput on SQLite: the default durability (`synchronous =
//! FULL`, every commit synced) next to the opt-in `Durability::Normal`, same
//! machine, same run, alternating rounds.
//!
//! Run: `cargo run --release -p hcas-store --features sqlite --example sqlite_bench`
//!
//! `BENCH_N` (default 2000) bookings per round, `BENCH_CLIENTS` (default 4)
//! concurrent clients, `BENCH_ROUNDS` (default 3) rounds per mode, each on a
//! fresh database file in a temporary directory. Output: `key=value` lines.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    missing_docs
)]

use std::sync::Arc;
use std::time::Instant as Clock;

use hcas_core::Timestamp;
use hcas_core::booking::Booking;
use hcas_store::AppointmentStore;
use hcas_store::sqlite::{Durability, SqliteStore};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Bookings per second: `n` bookings by `clients` clients, each on its own
/// provider and slot (no conflicts).
async fn round(store: SqliteStore, n: usize, clients: usize) -> f64 {
    let store = Arc::new(store);
    let base = Timestamp::from_unix(1_800_000_000).unwrap();
    let started = Clock::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            for i in (c..n).step_by(clients) {
                let start = base.plus_minutes(i64::try_from(i).unwrap() * 30).unwrap();
                let b = Booking::new(
                    format!("b{i}"),
                    vec![format!("provider:{c}"), format!("patient:{i}")],
                    hcas_core::Interval::new(start, start.plus_minutes(30).unwrap()).unwrap(),
                );
                store.book(b, None, base).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    store.pool().close().await;
    rate
}

#[tokio::main]
async fn main() {
    let n = env_usize("BENCH_N", 2000);
    let clients = env_usize("BENCH_CLIENTS", 4).max(1);
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let dir = tempfile::tempdir().unwrap();
    println!("n={n}\nclients={clients}\nrounds={rounds}");
    let (mut full, mut normal) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        for (name, durability) in [("full", Durability::Full), ("normal", Durability::Normal)] {
            let url = format!(
                "sqlite://{}",
                dir.path().join(format!("{name}{r}.db")).display()
            );
            let store = SqliteStore::open_with_durability(&url, 4, durability)
                .await
                .unwrap();
            let rate = round(store, n, clients).await;
            println!("round{r}_{name}_bookings_per_s={rate:.0}");
            if durability == Durability::Full {
                full.push(rate);
            } else {
                normal.push(rate);
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!("full_bookings_per_s={:.0}", mean(&full));
    println!("normal_bookings_per_s={:.0}", mean(&normal));
    println!("ratio_full_to_normal={:.3}", mean(&full) / mean(&normal));
}
