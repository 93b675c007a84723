//! The pure-Rust time of the anchor month query (`slots/one_provider_month_ny_30min`:
//! one provider, March 2026, 30-minute slots), for `scripts/bench-python`, which
//! asks the Python binding the same question and compares.
//!
//! `month_query [ITERATIONS] [REPEATS]` prints one JSON object: the workload
//! (zone, working rules, merged busy time as Unix seconds, the query), the
//! slots as Unix seconds (so the caller can check it gets the same answer), and
//! `ns_per_query`, the median over REPEATS batches of ITERATIONS queries.
//! No time is asserted anywhere.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::time::Instant;

use hcas_benches::{provider, query};

fn arg(n: usize, default: u32) -> u32 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

fn main() {
    let (iterations, repeats) = (arg(1, 2000), arg(2, 15));
    let p = provider(1);
    let q = query();
    let slots = match p.slots(&q) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("month_query: the anchor query failed: {e}");
            std::process::exit(1);
        }
    };
    let mut per_query: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iterations {
                let _ = black_box(black_box(&p).slots(black_box(&q)));
            }
            t.elapsed().as_secs_f64() * 1e9 / f64::from(iterations)
        })
        .collect();
    per_query.sort_by(f64::total_cmp);
    let median = per_query[per_query.len() / 2];

    let rules: Vec<String> = p
        .rules()
        .iter()
        .map(|r| {
            format!(
                r#"{{"rrule":"{}","dtstart":"{}","start":"{}","end":"{}"}}"#,
                r.rrule(),
                r.dtstart(),
                r.window().start(),
                r.window().end()
            )
        })
        .collect();
    let busy: Vec<String> = p
        .busy()
        .intervals()
        .iter()
        .map(|i| format!("[{},{}]", i.start().unix(), i.end().unix()))
        .collect();
    let slots: Vec<String> = slots.iter().map(|s| s.unix().to_string()).collect();
    println!(
        r#"{{"zone":"{}","rules":[{}],"busy":[{}],"from":{},"to":{},"duration_minutes":{},"slots":[{}],"ns_per_query":{:.1},"iterations":{},"repeats":{}}}"#,
        p.zone(),
        rules.join(","),
        busy.join(","),
        q.from.unix(),
        q.to.unix(),
        q.duration.get(),
        slots.join(","),
        median,
        iterations,
        repeats
    );
}
