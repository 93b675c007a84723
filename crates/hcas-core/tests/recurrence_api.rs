//! The recurrence API as outside code sees it: `Recurrence::iter` and
//! `iter_from` against `Recurrence::between` (the lazy iterator must hand out
//! exactly the window answers, in order, for rules with and without COUNT and
//! UNTIL, RDATEs and EXDATEs, across DST gaps and folds), and the serde forms
//! against hostile documents.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use hcas_core::{Recurrence, Result, Timestamp, Zone};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kathmandu",
];

/// Days near the 2026 DST changes of the zones above (month, day).
const BASE_DAYS: &[(u32, u32)] = &[(3, 7), (3, 28), (4, 4), (9, 5), (10, 3), (10, 24), (10, 31)];

/// A rule body (no COUNT/UNTIL) drawn from the shapes the engine treats differently.
fn arb_body() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..3).prop_map(|i| format!("FREQ=DAILY;INTERVAL={i}")),
        (1u32..4, 1u8..128).prop_map(|(i, mask)| {
            let days: Vec<&str> = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
                .iter()
                .enumerate()
                .filter(|(k, _)| mask & (1 << k) != 0)
                .map(|(_, d)| *d)
                .collect();
            format!("FREQ=WEEKLY;INTERVAL={i};BYDAY={}", days.join(","))
        }),
        (1u32..4).prop_map(|i| format!("FREQ=HOURLY;INTERVAL={i}")),
        (1u32..4).prop_map(|i| format!("FREQ=MINUTELY;INTERVAL={}", 15 * i)),
        Just("FREQ=DAILY;BYHOUR=0,1,2,3;BYMINUTE=0,30".to_string()),
        Just("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1".to_string()),
        Just("FREQ=MONTHLY;BYMONTHDAY=1,15,-1".to_string()),
        Just("FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU;BYHOUR=1,2".to_string()),
    ]
}

#[derive(Debug, Clone)]
enum End {
    None,
    Count(u32),
    UntilUtc(i64),
    UntilLocal(i64),
    UntilDate(i64),
}

fn arb_end() -> impl Strategy<Value = End> {
    prop_oneof![
        Just(End::None),
        (1u32..60).prop_map(End::Count),
        (0i64..90 * 24).prop_map(End::UntilUtc),
        (0i64..90 * 24).prop_map(End::UntilLocal),
        (0i64..90).prop_map(End::UntilDate),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    rule: String,
    dtstart: NaiveDateTime,
    zone: &'static str,
    /// Offsets in minutes from DTSTART.
    rdates: Vec<i64>,
    exdates: Vec<i64>,
    /// Window start (minutes from DTSTART) and span (minutes).
    from: i64,
    span: i64,
}

fn arb_case() -> impl Strategy<Value = Case> {
    (
        arb_body(),
        arb_end(),
        0..BASE_DAYS.len(),
        0usize..ZONES.len(),
        0i64..3,
        prop::sample::select(vec![0i64, 30, 60, 90, 120, 150, 540, 1410]),
        prop::collection::vec(-3000i64..100_000, 0..4),
        prop::collection::vec(0i64..2000, 0..4),
        -2000i64..60_000,
        1i64..30_000,
    )
        .prop_map(
            |(body, end, base, zone, back, minute, rdates, ex_days, from, span)| {
                let (m, d) = BASE_DAYS[base];
                let dtstart = NaiveDate::from_ymd_opt(2026, m, d)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    - TimeDelta::days(back)
                    + TimeDelta::minutes(minute);
                let fmt_local = |dt: NaiveDateTime| dt.format("%Y%m%dT%H%M%S").to_string();
                let rule = match end {
                    End::None => body,
                    End::Count(c) => format!("{body};COUNT={c}"),
                    End::UntilUtc(h) => {
                        format!("{body};UNTIL={}Z", fmt_local(dtstart + TimeDelta::hours(h)))
                    }
                    End::UntilLocal(h) => {
                        format!("{body};UNTIL={}", fmt_local(dtstart + TimeDelta::hours(h)))
                    }
                    End::UntilDate(n) => format!(
                        "{body};UNTIL={}",
                        (dtstart + TimeDelta::days(n)).format("%Y%m%d")
                    ),
                };
                // EXDATEs on whole days after DTSTART at its time of day hit
                // DAILY/WEEKLY instances; others just miss.
                let exdates = ex_days.iter().map(|x| (x % 100) * 1440).collect();
                Case {
                    rule,
                    dtstart,
                    zone: ZONES[zone],
                    rdates,
                    exdates,
                    from,
                    span,
                }
            },
        )
}

fn build(case: &Case) -> Recurrence {
    let shift = |v: &[i64]| -> Vec<NaiveDateTime> {
        v.iter()
            .map(|&m| case.dtstart + TimeDelta::minutes(m))
            .collect()
    };
    Recurrence::new(
        case.rule.parse().unwrap(),
        case.dtstart,
        Zone::parse(case.zone).unwrap(),
    )
    .with_rdates(shift(&case.rdates))
    .unwrap()
    .with_exdates(shift(&case.exdates))
    .unwrap()
}

fn utc(case: &Case, minutes: i64) -> Timestamp {
    Timestamp::from_naive_utc(case.dtstart + TimeDelta::minutes(minutes)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::default())] // cases: $PROPTEST_CASES (default 256)

    /// `iter_from(from)` cut at `to` is `between(from, to)`.
    #[test]
    fn iter_from_equals_between(case in arb_case()) {
        let rec = build(&case);
        let (from, to) = (utc(&case, case.from), utc(&case, case.from + case.span));
        let window = rec.between(from, to, None).unwrap();
        let lazy: Result<Vec<Timestamp>> = rec
            .iter_from(from)
            .take_while(|t| t.as_ref().map_or(true, |t| *t < to))
            .collect();
        prop_assert_eq!(lazy.unwrap(), window, "{:?}", case);
    }

    /// `iter()` from the beginning, filtered to a window, is `between` too:
    /// skipping ahead changes nothing.
    #[test]
    fn iter_filtered_equals_between(case in arb_case()) {
        let rec = build(&case);
        let (from, to) = (utc(&case, case.from), utc(&case, case.from + case.span));
        let window = rec.between(from, to, None).unwrap();
        let lazy: Result<Vec<Timestamp>> = rec
            .iter()
            .take_while(|t| t.as_ref().map_or(true, |t| *t < to))
            .filter(|t| t.as_ref().map_or(true, |t| *t >= from))
            .collect();
        let lazy = lazy.unwrap();
        prop_assert!(lazy.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(lazy, window, "{:?}", case);
    }
}

/// Hostile documents: every recurrence type either refuses them or yields a
/// value that can be used (iterated, printed) without a panic.
#[test]
fn recurrence_types_survive_hostile_documents() {
    const HOSTILE: &[&str] = &[
        "null",
        "0",
        "\"\"",
        "\"\\u0000\"",
        "\"FREQ=DAILY;BYDAY=\\u00e9O\"",
        "[]",
        "{}",
        "{\"rrule\": \"FREQ=SECONDLY\", \"dtstart\": \"9999-12-31T23:59:59\", \"timezone\": \"Pacific/Kiritimati\"}",
        "{\"rrule\": \"FREQ=DAILY\", \"dtstart\": \"0001-01-01T00:00\", \"timezone\": \"Etc/GMT+12\", \"rdates\": [\"0001-01-01T00:00\"]}",
        "{\"rrule\": \"FREQ=DAILY\", \"dtstart\": \"2026-01-01T00:00\", \"timezone\": \"UTC\", \"rdates\": null}",
        "{\"rrule\": \"FREQ=DAILY\", \"dtstart\": \"2026-01-01T00:00\", \"timezone\": \"UTC\", \"exdates\": [1]}",
    ];
    for doc in HOSTILE {
        let got = std::panic::catch_unwind(|| {
            if let Ok(rec) = serde_json::from_str::<Recurrence>(doc) {
                let first: Vec<_> = rec.iter().take(3).collect();
                let _ = serde_json::to_string(&rec);
                format!("{first:?}")
            } else {
                let _ = serde_json::from_str::<hcas_core::RRule>(doc);
                let _ = serde_json::from_str::<hcas_core::WeekdayNum>(doc);
                let _ = serde_json::from_str::<hcas_core::Until>(doc);
                String::new()
            }
        });
        assert!(got.is_ok(), "panicked on {doc}");
    }
}
