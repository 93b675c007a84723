//! Booking throughput through the API: `POST /v1/appointments` from
//! `--clients` concurrent clients (closed loop: each sends its next booking
//! when the last one is answered), `--n` bookings in all, every one of a
//! distinct free slot, so each request does the whole work of a booking
//! (token check, consent gate and its audit record, working-hours check,
//! the store's conflict check and insert, the outbox) and none is a conflict.
//!
//! Booking `k` goes to provider `{prefix}{k % providers + 1}` at slot
//! `k / providers` of a grid of `--slots-per-day` starts every
//! `--slot-minutes` from `--day-start` UTC each day from `--first-day`, for
//! patient `{patient-prefix}{k % patients + 1}` (`--patients` must be at least
//! `--providers`, so two bookings at the same start never share a patient).
//! The providers must work those hours (`scripts/bench-api` sets them up).
//!
//! ```text
//! cargo run --release -p hcas-server --example book_bench -- \
//!     --url http://127.0.0.1:8080 --token "$TOKEN" --n 4000 --clients 8
//! ```
//!
//! Prints `key=value` lines; exit code 1 when any booking is not a 201.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use clap::Parser;

/// Closed-loop booking load through the API.
#[derive(Debug, Parser)]
struct Args {
    /// The server, `http://host:port`.
    #[arg(long)]
    url: String,
    /// A bearer token allowed to book for the patients.
    #[arg(long)]
    token: String,
    /// Bookings in all.
    #[arg(long, default_value_t = 4000)]
    n: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Providers `{provider_prefix}1..=N`.
    #[arg(long, default_value_t = 20)]
    providers: usize,
    #[arg(long, default_value = "book-")]
    provider_prefix: String,
    /// Patients `{patient_prefix}1..=M` (M ≥ providers).
    #[arg(long, default_value_t = 50)]
    patients: usize,
    #[arg(long, default_value = "book-pat-")]
    patient_prefix: String,
    /// The first day of the grid (UTC).
    #[arg(long, default_value = "2030-01-07")]
    first_day: NaiveDate,
    /// The first start of each day, minutes after 00:00 UTC.
    #[arg(long, default_value_t = 480)]
    day_start: i64,
    #[arg(long, default_value_t = 24)]
    slots_per_day: usize,
    #[arg(long, default_value_t = 30)]
    slot_minutes: i64,
    /// Prefix of the printed keys.
    #[arg(long, default_value = "api")]
    label: String,
}

fn body(args: &Args, k: usize) -> String {
    let provider = k % args.providers + 1;
    let slot = k / args.providers;
    let day = i64::try_from(slot / args.slots_per_day).unwrap_or(i64::MAX);
    let index = i64::try_from(slot % args.slots_per_day).unwrap_or(0);
    let start = args.first_day.and_hms_opt(0, 0, 0).unwrap_or_default()
        + Duration::days(day)
        + Duration::minutes(args.day_start + index * args.slot_minutes);
    let patient = k % args.patients + 1;
    format!(
        r#"{{"provider":"{}{provider}","patient":"{}{patient}","start":"{}Z","duration":{}}}"#,
        args.provider_prefix,
        args.patient_prefix,
        start.format("%Y-%m-%dT%H:%M:%S"),
        args.slot_minutes
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Arc::new(Args::parse());
    if args.patients < args.providers || args.providers == 0 || args.clients == 0 {
        eprintln!("need 0 < providers <= patients and clients > 0");
        return ExitCode::FAILURE;
    }
    let client = match reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot build the HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let next = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (args, client, next, created, failed) = (
            Arc::clone(&args),
            client.clone(),
            Arc::clone(&next),
            Arc::clone(&created),
            Arc::clone(&failed),
        );
        tasks.push(tokio::spawn(async move {
            let url = format!("{}/v1/appointments", args.url.trim_end_matches('/'));
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= args.n {
                    break;
                }
                let answer = client
                    .post(&url)
                    .bearer_auth(&args.token)
                    .header("content-type", "application/json")
                    .body(body(&args, k))
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        created.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("booking {k}: {status} {text}");
                        }
                    }
                    Err(e) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("booking {k}: {e}");
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let ok = created.load(Ordering::Relaxed);
    let bad = failed.load(Ordering::Relaxed);
    let label = &args.label;
    println!("{label}_clients={}", args.clients);
    println!("{label}_bookings={ok}");
    println!("{label}_failed={bad}");
    println!("{label}_seconds={seconds:.3}");
    #[allow(clippy::cast_precision_loss)]
    let rate = ok as f64 / seconds;
    println!("{label}_bookings_per_s={rate:.0}");
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
