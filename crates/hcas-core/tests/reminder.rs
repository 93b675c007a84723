//! Property tests of `hcas_core::reminder::schedule`: around DST changes in
//! zones with odd offsets, every reminder is within `[not_before, start)`,
//! never in quiet hours (checked by converting back to local wall time with
//! the core's `Zone`, not with the module's own arithmetic), sorted and
//! unique; every lead is accounted for; exact reminders are where their lead
//! says; moved ones are the nearest non-quiet second to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Days, NaiveDate, Timelike};
use hcas_core::reminder::{Adjustment, DropReason, Lead, QuietHours, schedule};
use hcas_core::{LocalTime, Timestamp, Zone};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kathmandu",
    "UTC",
];

/// UTC days just before the 2026 DST changes of the zones above.
const BASE_DAYS: &[(u32, u32)] = &[(3, 6), (3, 27), (4, 3), (9, 4), (10, 2), (10, 23), (10, 30)];

#[derive(Debug, Clone)]
struct Input {
    zone: &'static str,
    start: Timestamp,
    leads: Vec<Lead>,
    quiet: Option<(u32, u32)>, // seconds after local midnight
    not_before: Timestamp,
}

fn arb_lead() -> impl Strategy<Value = Lead> {
    prop_oneof![
        (1u32..=3).prop_map(Lead::Days),
        (1u32..=3000).prop_map(Lead::Minutes),
        prop::sample::select(vec![60u32, 120, 1440]).prop_map(Lead::Minutes),
        (1u32..=60).prop_map(Lead::Days),
    ]
}

fn arb_input() -> impl Strategy<Value = Input> {
    let quiet_secs = prop_oneof![(0u32..96).prop_map(|q| q * 900), (0u32..86_400),];
    (
        0..ZONES.len(),
        0..BASE_DAYS.len(),
        0i64..4 * 86_400,
        prop::collection::vec(arb_lead(), 0..6),
        prop::option::of((quiet_secs.clone(), quiet_secs)),
        0i64..5 * 86_400,
    )
        .prop_filter("quiet start and end differ", |i| {
            i.4.is_none_or(|(s, e)| s != e)
        })
        .prop_map(|(z, d, offset, leads, quiet, back)| {
            let (m, day) = BASE_DAYS[d];
            let base = NaiveDate::from_ymd_opt(2026, m, day)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            let start = Timestamp::from_naive_utc(base)
                .unwrap()
                .plus_seconds(offset)
                .unwrap();
            Input {
                zone: ZONES[z],
                start,
                leads,
                quiet,
                not_before: start.plus_seconds(-back).unwrap(),
            }
        })
}

fn local_time(s: u32) -> LocalTime {
    LocalTime::from_hms(s / 3600, s / 60 % 60, s % 60).unwrap()
}

/// Whether `t` is quiet, from its local wall time as the core's `Zone` gives it.
fn quiet_at(zone: Zone, (s, e): (u32, u32), t: Timestamp) -> bool {
    let sod = zone.to_local(t).time().num_seconds_from_midnight();
    if s < e {
        s <= sod && sod < e
    } else {
        sod >= s || sod < e
    }
}

/// The lead's own instant, by the documented rule, from the core's helpers.
fn lead_instant(zone: Zone, start: Timestamp, lead: Lead) -> Timestamp {
    match lead {
        Lead::Minutes(m) => start.plus_minutes(-i64::from(m)).unwrap(),
        Lead::Days(d) => zone.resolve(
            zone.to_local(start)
                .checked_sub_days(Days::new(u64::from(d)))
                .unwrap(),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reminders_are_in_range_outside_quiet_hours_sorted_and_accounted(input in arb_input()) {
        let zone = Zone::parse(input.zone).unwrap();
        let quiet = input.quiet.map(|(s, e)| QuietHours::new(local_time(s), local_time(e)).unwrap());
        let plan = schedule(input.start, zone, &input.leads, quiet, input.not_before).unwrap();

        for w in plan.reminders.windows(2) {
            prop_assert!(w[0].at < w[1].at, "not sorted and unique: {:?}", plan.reminders);
        }
        let mut seen: Vec<Lead> = Vec::new();
        for r in &plan.reminders {
            prop_assert!(r.at >= input.not_before, "{r:?} before not_before");
            prop_assert!(r.at < input.start, "{r:?} not before the start");
            if let Some(q) = input.quiet {
                prop_assert!(!quiet_at(zone, q, r.at), "{r:?} in quiet hours at {}", zone.to_local(r.at));
            }
            let own = lead_instant(zone, input.start, r.lead);
            match r.adjustment {
                Adjustment::Exact => prop_assert_eq!(r.at, own),
                Adjustment::MovedEarlier | Adjustment::MovedLater => {
                    let q = input.quiet.expect("moved only for quiet hours");
                    prop_assert!(quiet_at(zone, q, own), "{r:?} moved, but its own instant is not quiet");
                    // Nearest: everything strictly between the reminder and the
                    // lead's own instant is quiet (sampled each minute, and the
                    // second next to the reminder).
                    let (lo, hi) = if r.adjustment == Adjustment::MovedEarlier {
                        prop_assert!(r.at < own);
                        (r.at.plus_seconds(1).unwrap(), own)
                    } else {
                        prop_assert!(r.at > own);
                        (own, r.at.plus_seconds(-1).unwrap())
                    };
                    prop_assert!(quiet_at(zone, q, lo) && quiet_at(zone, q, hi), "{r:?}");
                    if r.adjustment == Adjustment::MovedLater {
                        // Earlier was preferred, so it had no room: quiet back to not_before.
                        let mut u = input.not_before;
                        while u < own {
                            prop_assert!(quiet_at(zone, q, u), "{r:?}: {u} was free earlier");
                            u = u.plus_seconds(60).unwrap();
                        }
                    }
                    let mut u = lo;
                    while u < hi {
                        prop_assert!(quiet_at(zone, q, u), "{r:?}: {u} between is not quiet");
                        u = u.plus_seconds(60).unwrap();
                    }
                }
            }
            for m in &r.merged {
                // A merged lead lands on the same instant: exact leads by their rule.
                if !quiet.is_some_and(|q| q.contains(zone, lead_instant(zone, input.start, *m))) {
                    prop_assert_eq!(lead_instant(zone, input.start, *m), r.at);
                }
            }
            seen.push(r.lead);
            seen.extend(r.merged.iter().copied());
        }
        for d in &plan.dropped {
            let own = lead_instant(zone, input.start, d.lead);
            match d.reason {
                DropReason::Passed => prop_assert!(own < input.not_before, "{d:?}"),
                DropReason::NotBeforeStart => prop_assert!(own >= input.start, "{d:?}"),
                DropReason::QuietHours => {
                    let q = input.quiet.expect("dropped for quiet hours without any");
                    prop_assert!(quiet_at(zone, q, own), "{d:?}");
                    prop_assert!(own >= input.not_before && own < input.start, "{d:?}");
                    // Dropped only when no second of [not_before, start) is free
                    // (the quiet stretch around it covers both ends): sampled
                    // each minute, and both ends.
                    let last = input.start.plus_seconds(-1).unwrap();
                    prop_assert!(quiet_at(zone, q, input.not_before) && quiet_at(zone, q, last), "{d:?}");
                    let mut u = input.not_before;
                    while u < last {
                        prop_assert!(quiet_at(zone, q, u), "{d:?}: {u} is free");
                        u = u.plus_seconds(60).unwrap();
                    }
                }
            }
            seen.push(d.lead);
        }
        // Every lead exactly once, reminder or dropped.
        let mut want = input.leads.clone();
        let key = |l: &Lead| match *l { Lead::Days(n) => (0, n), Lead::Minutes(n) => (1, n) };
        want.sort_by_key(key);
        seen.sort_by_key(key);
        prop_assert_eq!(seen, want);
    }

    #[test]
    fn without_quiet_hours_every_lead_in_range_is_exact(input in arb_input()) {
        let zone = Zone::parse(input.zone).unwrap();
        let plan = schedule(input.start, zone, &input.leads, None, input.not_before).unwrap();
        for lead in &input.leads {
            let own = lead_instant(zone, input.start, *lead);
            let found = plan.reminders.iter().find(|r| r.lead == *lead || r.merged.contains(lead));
            if own >= input.not_before && own < input.start {
                let r = found.expect("an in-range lead gives a reminder");
                prop_assert_eq!(r.at, own);
                prop_assert_eq!(r.adjustment, Adjustment::Exact);
            } else {
                prop_assert!(found.is_none(), "{lead:?} out of range yet scheduled");
            }
        }
    }
}
