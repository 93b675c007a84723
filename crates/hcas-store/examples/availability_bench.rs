//! Availability served from the store: 50 providers' month, one query, against
//! the N+1 way (per provider: its schedule, then its busy time), same store,
//! same run. SQLite (a temporary file) and PostgreSQL (a fresh database,
//! dropped at the end; `DATABASE_URL`, default the local server).
//!
//! `cargo run --release -p hcas-store --features sqlite,postgres --example availability_bench`
//!
//! Setup: 50 providers with weekday 08:00-17:00 schedules in New York,
//! 6 half-hour bookings per provider per working day over March 2026 (the
//! month queried, which has the DST change) and the two months before it
//! (history the query must not read). Prints `key=value` lines: medians of
//! `AVAIL_RUNS` (default 30) runs, in milliseconds, and the ratio.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant as Clock, SystemTime, UNIX_EPOCH};

use hcas_core::availability::pooled_slots;
use hcas_core::booking::Booking;
use hcas_core::wire::RuleSpec;
use hcas_core::{Availability, Interval, SlotQuery, Timestamp};
use hcas_store::postgres::PgStore;
use hcas_store::postgres::sqlx::{
    self, AssertSqlSafe, ConnectOptions, Connection, postgres::PgConnectOptions,
};
use hcas_store::sqlite::SqliteStore;
use hcas_store::{Provider, Schedule, Store};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PROVIDERS: usize = 50;
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

async fn setup(store: Arc<dyn Store>) -> Result<usize, BoxError> {
    let now = t("2025-12-01T00:00:00Z");
    for p in 0..PROVIDERS {
        let id = format!("P{p}");
        store
            .put_provider(Provider::new(&id, format!("Dr {p}")), None)
            .await?;
        let mut s = Schedule::new(&id, "America/New_York");
        s.rules.push(RuleSpec::new(
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "2025-01-06",
            "08:00",
            "17:00",
        ));
        store.put_schedule(s, None, now).await?;
    }
    // Bookings from 2026-01-01 to 2026-04-01, weekdays, 6 per provider-day,
    // 14:00Z + 60 min * k (inside New York working hours either side of DST).
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            let first = t("2026-01-01T00:00:00Z").unix();
            for day in 0..90 {
                let midnight = first + day * 86_400;
                // 2026-01-01 is a Thursday: skip Saturdays and Sundays.
                if matches!((day + 3) % 7, 5 | 6) {
                    continue;
                }
                for p in (w..PROVIDERS).step_by(8) {
                    for k in 0..6 {
                        let start = Timestamp::from_unix(midnight + 14 * 3600 + k * 3600).unwrap();
                        let b = Booking::new(
                            format!("b{p}-{day}-{k}"),
                            vec![format!("provider:P{p}"), format!("patient:X{p}-{day}-{k}")],
                            hcas_core::Interval::new(start, start.plus_minutes(30).unwrap())
                                .unwrap(),
                        );
                        store.book(b, None, now).await.unwrap();
                        n += 1;
                    }
                }
            }
            n
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await?;
    }
    Ok(total)
}

/// The N+1 way: per provider, its schedule, then its busy time.
async fn one_by_one(
    store: &dyn Store,
    ids: &[String],
    window: Interval,
    now: Timestamp,
) -> Result<Vec<Availability>, BoxError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let s = store.get_schedule(id).await?;
        let busy = store
            .busy(&format!("provider:{id}"), window.start(), window.end(), now)
            .await?;
        out.push(s.value.availability(busy)?);
    }
    Ok(out)
}

async fn measure(label: &str, store: Arc<dyn Store>) -> Result<(), BoxError> {
    let clock = Clock::now();
    let booked = setup(Arc::clone(&store)).await?;
    println!(
        "{label}_setup_bookings={booked} {label}_setup_s={:.1}",
        clock.elapsed().as_secs_f64()
    );
    let runs = std::env::var("AVAIL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30usize);
    let ids: Vec<String> = (0..PROVIDERS).map(|p| format!("P{p}")).collect();
    let now = t("2026-02-27T12:00:00Z");
    // March plus a day either side for 60-minute slots and buffers.
    let window = Interval::new(t("2026-02-28T00:00:00Z"), t("2026-04-02T00:00:00Z"))?;
    let query = SlotQuery::new(
        t("2026-03-01T00:00:00Z"),
        t("2026-04-01T00:00:00Z"),
        hcas_core::Minutes::new(30),
    );
    let (mut one, mut each, mut pooled) = (Vec::new(), Vec::new(), Vec::new());
    let mut slots = 0;
    for _ in 0..runs {
        let c = Clock::now();
        let found = store.availability(&ids, window, now).await?;
        one.push(c.elapsed());
        let c = Clock::now();
        let avail: Vec<Availability> = found.into_iter().map(|f| f.availability).collect();
        slots = pooled_slots(&avail, &query)?.len();
        pooled.push(c.elapsed());
        let c = Clock::now();
        let again = one_by_one(&*store, &ids, window, now).await?;
        each.push(c.elapsed());
        assert_eq!(
            pooled_slots(&again, &query)?.len(),
            slots,
            "both ways agree"
        );
    }
    let (one, each, pooled) = (median(one), median(each), median(pooled));
    println!("{label}_pooled_slot_starts={slots}");
    println!("{label}_availability_one_query_ms={one:.2}");
    println!("{label}_availability_per_provider_ms={each:.2}");
    println!("{label}_ratio_per_provider_to_one_query={:.1}", each / one);
    println!("{label}_pooled_slots_ms={pooled:.2}");
    Ok(())
}

async fn admin_sql(sql: String) -> Result<(), BoxError> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    let mut c = PgConnectOptions::from_str(&url)?.connect().await?;
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut c).await?;
    c.close().await?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("hcas_avail_{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = SqliteStore::open(&format!("sqlite://{}", dir.join("a.db").display()), 4).await?;
    let r = measure("sqlite", Arc::new(sqlite)).await;
    std::fs::remove_dir_all(&dir)?;
    r?;

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!("hcas_avail_{}_{nanos}", std::process::id());
    admin_sql(format!("CREATE DATABASE \"{name}\"")).await?;
    let run = async {
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
        let options = PgConnectOptions::from_str(&url)?.database(&name);
        let store = PgStore::open_with(options, 8).await?;
        measure("postgres", Arc::new(store.clone())).await?;
        store.pool().close().await;
        Ok::<(), BoxError>(())
    }
    .await;
    admin_sql(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
    run
}
