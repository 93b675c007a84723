//! Booking throughput on PostgreSQL: hcas-store (`PgStore::book`, with group
//! commit, the default, and without it, `max_batch = 1`) next to raw
//! single-row INSERTs into a table with the same exclusion constraint, same
//! server, same run. Issue 5, section "Speed".
//!
//! Run: `cargo run --release -p hcas-store --features postgres --example pg_bench`
//!
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) names
//! the admin database; the bench creates `hcas_bench_<pid>_<nanos>`, runs in it
//! and drops it (`WITH (FORCE)`), also when a step fails. `BENCH_N` (default
//! 4000) sets the number of inserts / booking attempts per phase; `BENCH_CLIENTS`
//! (default 8) the number of concurrent clients; `BENCH_IN_FLIGHT` and
//! `BENCH_MAX_BATCH` override the batched store's `max_in_flight` and
//! `max_batch`. Output: `key=value` lines.
//! Exit code 1 when any step fails or an overlap beyond capacity is found.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    missing_docs
)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hcas_core::Timestamp;
use hcas_core::booking::Booking;
use hcas_store::postgres::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use hcas_store::postgres::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection, PgPool};
use hcas_store::postgres::{BatchStats, PgStore, PgStoreOptions};
use hcas_store::{AppointmentStore, StoreError};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// A fixed epoch for the booked slots (2027-01-15); slots are 30 minutes.
const BASE: i64 = 1_800_000_000;
const SLOT: i64 = 1800;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// splitmix64: deterministic pseudo-random choices, one stream per client.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin_options() -> Result<PgConnectOptions, BoxError> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    Ok(PgConnectOptions::from_str(&url)?)
}

async fn admin_sql(sql: String) -> Result<(), BoxError> {
    let mut c = admin_options()?.connect().await?;
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut c).await?;
    c.close().await?;
    Ok(())
}

fn per_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!("hcas_bench_{}_{nanos}", std::process::id());
    if let Err(e) = admin_sql(format!("CREATE DATABASE \"{name}\"")).await {
        eprintln!("error: cannot create database {name}: {e}");
        std::process::exit(1);
    }
    println!("database={name}");
    let result = run(&name).await;
    let dropped = admin_sql(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
    match &dropped {
        Ok(()) => println!("database_dropped=true"),
        Err(e) => eprintln!("warning: could not drop database {name}: {e}"),
    }
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(name: &str) -> Result<(), BoxError> {
    let n = env_usize("BENCH_N", 4000);
    let clients = env_usize("BENCH_CLIENTS", 8).max(1);
    let options = admin_options()?.database(name);

    // 1. The store (applies the migrations, incl. btree_gist) with a pool of 8,
    //    group commit on (the default; `BENCH_IN_FLIGHT` overrides the number
    //    of batches at once, `BENCH_MAX_BATCH` the batch size), and a second
    //    store on the same database with group commit off (max_batch = 1).
    let mut batched_options = PgStoreOptions::new(8);
    batched_options.max_in_flight = env_usize("BENCH_IN_FLIGHT", 0);
    batched_options.max_batch = env_usize("BENCH_MAX_BATCH", batched_options.max_batch);
    let store = PgStore::open_with_options(options.clone(), batched_options)
        .await
        .map_err(|e| format!("open PgStore: {e}"))?;
    let unbatched = PgStore::open_with_options(options.clone(), PgStoreOptions::unbatched(8))
        .await
        .map_err(|e| format!("open unbatched PgStore: {e}"))?;
    println!("store_max_batch={}", batched_options.max_batch);
    println!("store_max_in_flight={}", batched_options.in_flight());

    // A separate pool for the baseline clients.
    let raw = PgPoolOptions::new()
        .max_connections(u32::try_from(clients)?)
        .connect_with(options.clone())
        .await?;
    let settings: (String, String) =
        sqlx::query_as("SELECT current_setting('fsync'), current_setting('synchronous_commit')")
            .fetch_one(&raw)
            .await?;
    println!("fsync={}", settings.0);
    println!("synchronous_commit={}", settings.1);
    println!("clients={clients}");
    println!("n={n}");
    sqlx::raw_sql(
        "CREATE TABLE raw_excl (resource text NOT NULL, during tstzrange NOT NULL,
             EXCLUDE USING gist (resource WITH =, during WITH &&));
         CREATE TABLE raw_plain (resource text NOT NULL, during tstzrange NOT NULL);",
    )
    .execute(&raw)
    .await?;

    // 2. Baseline: single-row autocommit INSERTs, non-overlapping by construction
    //    (every insert has its own 30-minute slot), random resources of 1,000.
    let raw_excl = raw_inserts(&raw, "raw_excl", clients, n).await?;
    let raw_excl_rate = per_s(n, raw_excl);
    println!("raw_exclusion_inserts={n}");
    println!("raw_exclusion_seconds={:.3}", raw_excl.as_secs_f64());
    println!("raw_exclusion_inserts_per_s={raw_excl_rate:.0}");
    let plain = raw_inserts(&raw, "raw_plain", clients, n).await?;
    let plain_rate = per_s(n, plain);
    println!("plain_inserts={n}");
    println!("plain_seconds={:.3}", plain.as_secs_f64());
    println!("plain_inserts_per_s={plain_rate:.0}");

    // 3. hcas-store: one provider + one patient per booking; the same
    //    attempts (same seeds) through the unbatched store (tags `lu`, `hu`)
    //    and the batched one (`lo`, `hi`), on disjoint resources.
    let store = Arc::new(store);
    let unbatched = Arc::new(unbatched);
    // (a) low contention: 1,000 providers, 200 slots each, 10,000 patients.
    let u_low = store_phase(&unbatched, "lu", 0, clients, n, 1000, 200, 10_000).await?;
    u_low.print("store_unbatched_low_contention");
    let s0 = store.batch_stats();
    let low = store_phase(&store, "lo", 0, clients, n, 1000, 200, 10_000).await?;
    let s1 = store.batch_stats();
    low.print("store_low_contention");
    print_batches("store_low_contention", s0, s1);
    // (b) high contention: 10 providers, 40 slots each (400 cells), 1,000 patients.
    let high_n = n / 2;
    let high = store_phase(&store, "hi", 500, clients, high_n, 10, 40, 1000).await?;
    let s2 = store.batch_stats();
    high.print("store_high_contention");
    print_batches("store_high_contention", s1, s2);
    let u_high = store_phase(&unbatched, "hu", 500, clients, high_n, 10, 40, 1000).await?;
    u_high.print("store_unbatched_high_contention");

    // 4. Rates and ratios against the raw exclusion-insert rate (target >= 0.8
    //    for the default, batched store at low contention).
    let ratio = |rate: f64| rate / raw_excl_rate;
    let low_rate = per_s(low.ok, low.elapsed);
    let u_low_rate = per_s(u_low.ok, u_low.elapsed);
    let high_attempts = per_s(high_n, high.elapsed);
    let u_high_attempts = per_s(high_n, u_high.elapsed);
    println!("store_low_contention_bookings_per_s={low_rate:.0}");
    println!("store_unbatched_low_contention_bookings_per_s={u_low_rate:.0}");
    println!("store_high_contention_attempts_per_s={high_attempts:.0}");
    println!(
        "store_high_contention_successes_per_s={:.0}",
        per_s(high.ok, high.elapsed)
    );
    println!("store_unbatched_high_contention_attempts_per_s={u_high_attempts:.0}");
    println!(
        "store_unbatched_high_contention_successes_per_s={:.0}",
        per_s(u_high.ok, u_high.elapsed)
    );
    println!("ratio_store_low_bookings_to_raw={:.3}", ratio(low_rate));
    println!(
        "ratio_store_unbatched_low_bookings_to_raw={:.3}",
        ratio(u_low_rate)
    );
    println!(
        "ratio_store_low_attempts_to_raw={:.3}",
        ratio(per_s(n, low.elapsed))
    );
    println!(
        "ratio_store_high_attempts_to_raw={:.3}",
        ratio(high_attempts)
    );
    println!(
        "ratio_store_unbatched_high_attempts_to_raw={:.3}",
        ratio(u_high_attempts)
    );
    println!(
        "ratio_store_batched_to_unbatched_low={:.3}",
        low_rate / u_low_rate
    );
    println!(
        "ratio_raw_plain_to_raw_exclusion={:.3}",
        plain_rate / raw_excl_rate
    );
    println!("target_met={}", ratio(low_rate) >= 0.8);

    // Zero overlaps beyond capacity: at each booking's start, how many blocking
    // bookings on the same resource cover that instant.
    let over: Vec<(String, String, i64, i32)> = sqlx::query_as(
        "SELECT r.booking_id, r.resource, COUNT(*), COALESCE(MAX(c.capacity), 1)
         FROM booking_resources r
         JOIN booking_resources o
           ON o.resource = r.resource AND o.start_s <= r.start_s AND o.end_s > r.start_s
         JOIN bookings b ON b.id = o.booking_id
         LEFT JOIN capacities c ON c.resource = r.resource
         WHERE b.status IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
         GROUP BY r.booking_id, r.resource
         HAVING COUNT(*) > COALESCE(MAX(c.capacity), 1)",
    )
    .fetch_all(store.pool())
    .await?;
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bookings")
        .fetch_one(store.pool())
        .await?;
    let expected = i64::try_from(low.ok + high.ok + u_low.ok + u_high.ok)?;
    println!("stored_bookings={stored}");
    println!("overlaps={}", over.len());
    let over_ok = over.is_empty();
    let count_ok = stored == expected;
    // 5. Profile (after the checks; rows under `prof:` resources): the store's
    //    statement sequence replayed by hand, each statement timed, and the same
    //    work in 5 round trips instead of 10.
    if env_usize("BENCH_PROFILE", 1) == 1 {
        let pool = store.pool().clone();
        profile(&pool, clients, n, false).await?;
        profile(&pool, clients, n, true).await?;
        let f = function_bookings(&pool, clients, n).await?;
        println!("profile_one_call_function_per_s={:.0}", per_s(n, f));
        println!(
            "ratio_one_call_function_to_raw={:.3}",
            per_s(n, f) / raw_excl_rate
        );
        let tx1 = tx_inserts(&raw, clients, n).await?;
        println!("raw_exclusion_in_tx_per_s={:.0}", per_s(n, tx1));
    }
    raw.close().await;
    store.pool().close().await;
    unbatched.pool().close().await;
    if !over_ok {
        return Err(format!(
            "overlaps beyond capacity: {:?}",
            &over[..over.len().min(10)]
        )
        .into());
    }
    if !count_ok {
        return Err(format!("stored {stored} bookings, {expected} successes reported").into());
    }
    Ok(())
}

/// `clients` tasks, each holding its own connection of `pool`, insert `n` rows
/// in total into `table`; returns the wall time.
async fn raw_inserts(
    pool: &PgPool,
    table: &str,
    clients: usize,
    n: usize,
) -> Result<Duration, BoxError> {
    let sql = format!(
        "INSERT INTO {table} (resource, during) VALUES ($1, tstzrange(to_timestamp($2::double precision), to_timestamp($3::double precision), '[)'))"
    );
    let mut conns = Vec::new();
    for _ in 0..clients {
        conns.push(pool.acquire().await?);
    }
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for (c, mut conn) in conns.into_iter().enumerate() {
        let sql = sql.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(c as u64 + 1);
            // Client c takes the slots c, c + clients, c + 2 * clients, ...
            let mut i = c;
            while i < n {
                let resource = format!("provider:{}", rng.below(1000));
                let s = BASE + i64::try_from(i)? * SLOT;
                sqlx::query(AssertSqlSafe(sql.clone()))
                    .bind(resource)
                    .bind(s)
                    .bind(s + SLOT)
                    .execute(&mut *conn)
                    .await?;
                i += clients;
            }
            Ok::<_, BoxError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(start.elapsed())
}

/// The batcher's work between two snapshots.
fn print_batches(prefix: &str, before: BatchStats, after: BatchStats) {
    let batches = after.batches - before.batches;
    println!("{prefix}_batches={batches}");
    println!(
        "{prefix}_mean_batch={:.2}",
        (after.bookings - before.bookings) as f64 / batches.max(1) as f64
    );
    println!("{prefix}_batch_retries={}", after.retries - before.retries);
    println!(
        "{prefix}_batch_fallbacks={}",
        after.fallbacks - before.fallbacks
    );
    // Requests left out of a batch because a lock was busy (re-queued).
    println!(
        "{prefix}_batch_deferred={}",
        after.deferred - before.deferred
    );
}

#[derive(Debug, Default)]
struct Phase {
    ok: usize,
    conflicts: usize,
    elapsed: Duration,
}

impl Phase {
    fn print(&self, prefix: &str) {
        println!("{prefix}_attempts={}", self.ok + self.conflicts);
        println!("{prefix}_successes={}", self.ok);
        println!("{prefix}_conflicts={}", self.conflicts);
        println!("{prefix}_seconds={:.3}", self.elapsed.as_secs_f64());
    }
}

/// `clients` tasks book `n` attempts in total through `store`: each a random
/// provider of `providers`, a random slot of `slots`, a random patient of
/// `patients` (client `c`'s choices seeded with `1000 + seed + c`). Conflicts
/// are counted; any other error fails the phase.
#[allow(clippy::too_many_arguments)]
async fn store_phase(
    store: &Arc<PgStore>,
    tag: &str,
    seed: u64,
    clients: usize,
    n: usize,
    providers: u64,
    slots: u64,
    patients: u64,
) -> Result<Phase, BoxError> {
    let now = Timestamp::from_unix(BASE - 86_400).unwrap();
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let store = Arc::clone(store);
        let tag = tag.to_string();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(1000 + seed + c as u64);
            let mut phase = Phase::default();
            let mut i = c;
            while i < n {
                let provider = rng.below(providers);
                let slot = i64::try_from(rng.below(slots))?;
                let patient = rng.below(patients);
                let s = BASE + slot * SLOT;
                let booking = Booking::new(
                    format!("{tag}-{c}-{i}"),
                    vec![
                        format!("provider:{tag}{provider}"),
                        format!("patient:{tag}{patient}"),
                    ],
                    hcas_core::Interval::new(
                        Timestamp::from_unix(s).unwrap(),
                        Timestamp::from_unix(s + SLOT).unwrap(),
                    )
                    .unwrap(),
                );
                match store.book(booking, None, now).await {
                    Ok(_) => phase.ok += 1,
                    Err(StoreError::Conflict { .. }) => phase.conflicts += 1,
                    Err(e) => return Err::<Phase, BoxError>(format!("book: {e}").into()),
                }
                i += clients;
            }
            Ok(phase)
        }));
    }
    let mut total = Phase::default();
    for t in tasks {
        let p = t.await??;
        total.ok += p.ok;
        total.conflicts += p.conflicts;
    }
    total.elapsed = start.elapsed();
    Ok(total)
}

const STEPS: [&str; 10] = [
    "begin",
    "lock_1",
    "lock_2",
    "select_overlaps",
    "select_capacities",
    "insert_booking",
    "insert_resource_1",
    "insert_resource_2",
    "insert_outbox",
    "commit",
];
const BATCHED_STEPS: [&str; 5] = [
    "begin",
    "lock_all",
    "select_overlaps_and_capacities",
    "insert_all_cte",
    "commit",
];

/// Replays `PgStore::book`'s statements (`batched = false`, 10 round trips) or
/// the same work in 5 round trips (`batched = true`) with `clients` tasks over
/// `n` low-contention bookings; prints the rate and the mean latency per step.
#[allow(clippy::too_many_lines)]
async fn profile(pool: &PgPool, clients: usize, n: usize, batched: bool) -> Result<(), BoxError> {
    let tag = if batched { "pb" } else { "pu" };
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut rng = Rng::new(7000 + c as u64);
            let mut times = vec![Duration::ZERO; 10];
            let mut i = c;
            while i < n {
                // Non-overlapping by construction: one slot per attempt.
                let s = BASE + i64::try_from(i)? * SLOT;
                let mut resources = vec![
                    format!("prof:{tag}:provider:{}", rng.below(1000)),
                    format!("prof:{tag}:patient:{}", rng.below(10_000)),
                ];
                resources.sort();
                let booking = Booking::new(format!("{tag}-{c}-{i}"), resources.clone(), hcas_core::Interval::new(Timestamp::from_unix(s).unwrap(), Timestamp::from_unix(s + SLOT).unwrap()).unwrap());
                let payload = serde_json::to_string(&booking)?;
                let mut t = std::time::Instant::now();
                let mut lap = |k: usize, times: &mut Vec<Duration>| {
                    times[k] += t.elapsed();
                    t = std::time::Instant::now();
                };
                let mut tx = conn.begin().await?;
                lap(0, &mut times);
                if batched {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtext(r)) FROM unnest($1::text[]) WITH ORDINALITY AS u(r, o) ORDER BY o")
                        .bind(&resources)
                        .execute(&mut *tx)
                        .await?;
                    lap(1, &mut times);
                    let _rows: Vec<(String, i32)> = sqlx::query_as(
                        "SELECT b.payload::text, 0 FROM bookings b WHERE b.id IN (
                             SELECT r.booking_id FROM booking_resources r
                             WHERE r.resource = ANY($1) AND r.start_s < $2 AND r.end_s > $3)
                         UNION ALL
                         SELECT resource, capacity FROM capacities WHERE resource = ANY($1)",
                    )
                    .bind(&resources)
                    .bind(s + SLOT)
                    .bind(s)
                    .fetch_all(&mut *tx)
                    .await?;
                    lap(2, &mut times);
                    sqlx::query(
                        "WITH b AS (
                             INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
                             VALUES ($1, $2, $3, 'booked', NULL, 1, $4::jsonb) RETURNING id),
                         r AS (
                             INSERT INTO booking_resources (booking_id, resource, start_s, end_s, blocking, capacity_one)
                             SELECT $1, x, $2, $3, true, true FROM unnest($5::text[]) AS x),
                         o AS (
                             INSERT INTO outbox (kind, aggregate_id, payload, created_s)
                             VALUES ('appointment.created', $1, $4::jsonb, $2))
                         SELECT id FROM b",
                    )
                    .bind(&booking.id)
                    .bind(s)
                    .bind(s + SLOT)
                    .bind(&payload)
                    .bind(&resources)
                    .execute(&mut *tx)
                    .await?;
                    lap(3, &mut times);
                    tx.commit().await?;
                    lap(4, &mut times);
                } else {
                    for (k, r) in resources.iter().enumerate() {
                        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                            .bind(r)
                            .execute(&mut *tx)
                            .await?;
                        lap(1 + k, &mut times);
                    }
                    let _rows: Vec<(String,)> = sqlx::query_as(
                        "SELECT b.payload::text FROM bookings b WHERE b.id IN (
                             SELECT r.booking_id FROM booking_resources r
                             WHERE r.resource = ANY($1) AND r.start_s < $2 AND r.end_s > $3)",
                    )
                    .bind(&resources)
                    .bind(s + SLOT)
                    .bind(s)
                    .fetch_all(&mut *tx)
                    .await?;
                    lap(3, &mut times);
                    let _caps: Vec<(String, i32)> = sqlx::query_as(
                        "SELECT resource, capacity FROM capacities WHERE resource = ANY($1)",
                    )
                    .bind(&resources)
                    .fetch_all(&mut *tx)
                    .await?;
                    lap(4, &mut times);
                    sqlx::query(
                        "INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
                         VALUES ($1, $2, $3, $4, $5, 1, $6::jsonb) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(&booking.id)
                    .bind(s)
                    .bind(s + SLOT)
                    .bind("booked")
                    .bind(None::<i64>)
                    .bind(&payload)
                    .execute(&mut *tx)
                    .await?;
                    lap(5, &mut times);
                    for (k, r) in resources.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO booking_resources
                                 (booking_id, resource, start_s, end_s, blocking, capacity_one)
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(&booking.id)
                        .bind(r)
                        .bind(s)
                        .bind(s + SLOT)
                        .bind(true)
                        .bind(true)
                        .execute(&mut *tx)
                        .await?;
                        lap(6 + k, &mut times);
                    }
                    sqlx::query(
                        "INSERT INTO outbox (kind, aggregate_id, payload, created_s) VALUES ($1, $2, $3::jsonb, $4)",
                    )
                    .bind("appointment.created")
                    .bind(&booking.id)
                    .bind(&payload)
                    .bind(s)
                    .execute(&mut *tx)
                    .await?;
                    lap(8, &mut times);
                    tx.commit().await?;
                    lap(9, &mut times);
                }
                i += clients;
            }
            Ok::<_, BoxError>(times)
        }));
    }
    let mut total = [Duration::ZERO; 10];
    for t in tasks {
        for (k, d) in t.await??.into_iter().enumerate() {
            total[k] += d;
        }
    }
    let elapsed = start.elapsed();
    let name = if batched {
        "profile_batched"
    } else {
        "profile_replica"
    };
    println!("{name}_per_s={:.0}", per_s(n, elapsed));
    let steps: &[&str] = if batched { &BATCHED_STEPS } else { &STEPS };
    for (k, step) in steps.iter().enumerate() {
        println!(
            "{name}_{step}_mean_us={:.0}",
            total[k].as_secs_f64() * 1e6 / n as f64
        );
    }
    Ok(())
}

/// Raw exclusion inserts, each in an explicit BEGIN/INSERT/COMMIT (3 round trips).
async fn tx_inserts(pool: &PgPool, clients: usize, n: usize) -> Result<Duration, BoxError> {
    sqlx::raw_sql("TRUNCATE raw_excl").execute(pool).await?;
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut rng = Rng::new(9000 + c as u64);
            let mut i = c;
            while i < n {
                let s = BASE + i64::try_from(i)? * SLOT;
                let mut tx = conn.begin().await?;
                sqlx::query("INSERT INTO raw_excl (resource, during) VALUES ($1, tstzrange(to_timestamp($2::double precision), to_timestamp($3::double precision), '[)'))")
                    .bind(format!("provider:{}", rng.below(1000)))
                    .bind(s)
                    .bind(s + SLOT)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                i += clients;
            }
            Ok::<_, BoxError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(start.elapsed())
}

/// A sketch of a one-round-trip fast path: a PL/pgSQL function (created in the
/// bench database only) that takes the advisory locks, looks for any
/// overlapping row on the resources and, when there is none (then the core's
/// check cannot fail), inserts booking, resources and outbox event; otherwise
/// it returns the number of overlapping rows and the caller would fall back to
/// the full `Ledger::check` path. Called in autocommit: 1 round trip, 1 commit.
async fn function_bookings(pool: &PgPool, clients: usize, n: usize) -> Result<Duration, BoxError> {
    sqlx::raw_sql(
        "CREATE FUNCTION bench_book(p_id text, p_start bigint, p_end bigint, p_payload jsonb,
                                    p_resources text[], p_now bigint) RETURNS integer
         LANGUAGE plpgsql AS $f$
         DECLARE r text; n integer;
         BEGIN
             FOREACH r IN ARRAY p_resources LOOP
                 PERFORM pg_advisory_xact_lock(hashtext(r));
             END LOOP;
             SELECT count(*) INTO n FROM booking_resources br
              WHERE br.resource = ANY(p_resources) AND br.start_s < p_end AND br.end_s > p_start;
             IF n > 0 THEN RETURN n; END IF;
             INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
                  VALUES (p_id, p_start, p_end, 'booked', NULL, 1, p_payload);
             INSERT INTO booking_resources (booking_id, resource, start_s, end_s, blocking, capacity_one)
                  SELECT p_id, x, p_start, p_end, true,
                         COALESCE((SELECT capacity FROM capacities c WHERE c.resource = x), 1) = 1
                    FROM unnest(p_resources) AS x;
             INSERT INTO outbox (kind, aggregate_id, payload, created_s)
                  VALUES ('appointment.created', p_id, p_payload, p_now);
             RETURN 0;
         END $f$;",
    )
    .execute(pool)
    .await?;
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut rng = Rng::new(11_000 + c as u64);
            let mut i = c;
            while i < n {
                let s = BASE + i64::try_from(i)? * SLOT;
                let mut resources = vec![
                    format!("prof:fn:provider:{}", rng.below(1000)),
                    format!("prof:fn:patient:{}", rng.below(10_000)),
                ];
                resources.sort();
                let booking = Booking::new(
                    format!("fn-{c}-{i}"),
                    resources.clone(),
                    hcas_core::Interval::new(
                        Timestamp::from_unix(s).unwrap(),
                        Timestamp::from_unix(s + SLOT).unwrap(),
                    )
                    .unwrap(),
                );
                let (res,): (i32,) =
                    sqlx::query_as("SELECT bench_book($1, $2, $3, $4::jsonb, $5, $6)")
                        .bind(&booking.id)
                        .bind(s)
                        .bind(s + SLOT)
                        .bind(serde_json::to_string(&booking)?)
                        .bind(&resources)
                        .bind(s)
                        .fetch_one(&mut *conn)
                        .await?;
                if res != 0 {
                    return Err::<(), BoxError>(format!("fast path found {res} overlaps").into());
                }
                i += clients;
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(start.elapsed())
}
