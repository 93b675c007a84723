//! The pure-Rust time of the pooled month query (`pooled`: PROVIDERS providers
//! of `provider_own_hours`, each on its own half-hour grid, March 2026,
//! 30-minute slots), for `scripts/bench-node`, which asks the Node binding and
//! a plain luxon implementation the same question and compares.
//!
//! `pool_query [PROVIDERS] [ITERATIONS] [REPEATS]` prints one JSON object: the
//! workload (zone, each provider's working rules and merged busy time as Unix
//! seconds, the query), the pooled answer as `[start, [provider, ...]]` rows
//! (Unix seconds), and `ns_per_query`, the median over REPEATS batches of
//! ITERATIONS queries. No time is asserted anywhere.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::time::Instant;

use hcas_benches::{provider_own_hours, query};
use hcas_core::{Availability, pooled_slots};

fn arg(n: usize, default: u32) -> u32 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// One provider's working rules and busy time as JSON.
fn provider_json(p: &Availability) -> String {
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
    format!(
        r#"{{"rules":[{}],"busy":[{}]}}"#,
        rules.join(","),
        busy.join(",")
    )
}

fn main() {
    let (providers, iterations, repeats) = (arg(1, 20), arg(2, 200), arg(3, 15));
    let pool: Vec<Availability> = (0..u64::from(providers)).map(provider_own_hours).collect();
    let q = query();
    let answer = match pooled_slots(&pool, &q) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pool_query: the pooled query failed: {e}");
            std::process::exit(1);
        }
    };
    let mut per_query: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iterations {
                let _ = black_box(pooled_slots(black_box(&pool), black_box(&q)));
            }
            t.elapsed().as_secs_f64() * 1e9 / f64::from(iterations)
        })
        .collect();
    per_query.sort_by(f64::total_cmp);
    let median = per_query[per_query.len() / 2];

    let zone = pool
        .first()
        .map(|p| p.zone().to_string())
        .unwrap_or_default();
    let providers: Vec<String> = pool.iter().map(provider_json).collect();
    let rows: Vec<String> = answer
        .iter()
        .map(|(s, m)| {
            let m: Vec<String> = m.iter().map(ToString::to_string).collect();
            format!("[{},[{}]]", s.unix(), m.join(","))
        })
        .collect();
    println!(
        r#"{{"zone":"{}","providers":[{}],"from":{},"to":{},"duration_minutes":{},"rows":[{}],"ns_per_query":{:.1},"iterations":{},"repeats":{}}}"#,
        zone,
        providers.join(","),
        q.from.unix(),
        q.to.unix(),
        q.duration.get(),
        rows.join(","),
        median,
        iterations,
        repeats
    );
}
