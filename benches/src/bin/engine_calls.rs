//! The engine calls of `scripts/bench-python`'s workloads, repeated, for an
//! instruction count under callgrind (wall-clock time on a shared machine is
//! noise; instructions are not):
//!
//! ```sh
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.N target/release/engine_calls WORKLOAD N
//! ```
//!
//! Per call: (instructions with N calls - instructions with 0 calls) / N.
//! WORKLOAD is `weekdays` (`FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR` for 2026),
//! `last_friday` (`FREQ=MONTHLY;BYDAY=-1FR` for 2026-2035), both from 09:00
//! America/New_York and building the `Recurrence` in each call as the Python
//! bench does, `month_slots` (the anchor month query of `month_query`), or
//! `empty` (no engine call: the loop alone, a baseline to subtract).
//! Prints the answer's length. No time is measured or asserted.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;

use chrono::NaiveDate;
use hcas_benches::{provider, query};
use hcas_core::{Recurrence, Result, Timestamp, Zone};

/// One Python bench recurrence call: parse the rule, bind it, query the window.
fn recurrence(rule: &str, dtstart: (i32, u32, u32), years: i32) -> Result<usize> {
    let ny = Zone::parse("America/New_York")?;
    let (y, m, d) = dtstart;
    let start = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|day| day.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let rec = Recurrence::new(rule.parse()?, start, ny);
    let from = Timestamp::parse("2026-01-01T00:00:00Z")?;
    let to = Timestamp::parse(&format!("{}-01-01T00:00:00Z", 2026 + years))?;
    Ok(rec.between(from, to, None)?.len())
}

fn main() {
    let workload = std::env::args().nth(1).unwrap_or_default();
    let n: u32 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let (p, q) = (provider(1), query());
    let once = || -> Result<usize> {
        match workload.as_str() {
            "weekdays" => recurrence("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", (2026, 1, 1), 1),
            "last_friday" => recurrence("FREQ=MONTHLY;BYDAY=-1FR", (2026, 1, 30), 10),
            "month_slots" => Ok(black_box(&p).slots(black_box(&q))?.len()),
            "empty" => Ok(black_box(0)),
            other => Err(hcas_core::Error::new(
                hcas_core::ErrorCode::InvalidRequest,
                format!("unknown workload `{other}`: weekdays, last_friday, month_slots or empty"),
            )),
        }
    };
    let mut len = 0;
    for _ in 0..=n {
        match once() {
            Ok(l) => len = black_box(l),
            Err(e) => {
                eprintln!("engine_calls: {e}");
                std::process::exit(2);
            }
        }
    }
    println!("{len}");
}
