//! Property tests: the slot sweep against a brute-force minute scan, the
//! invariants of `docs/vectors.md`, pooled slots against per-provider slots,
//! and the recurrence expander against the `rrule` crate and against itself
//! (window queries equal a full expansion).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use hcas_core::{
    Availability, DateOverride, Interval, LocalTime, LocalWindow, Minutes, Recurrence, SlotQuery,
    Timestamp, WorkingRule, Zone, pooled_slots,
};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Santiago",
    "America/St_Johns",
];

/// Days around the 2026 DST changes of the zones above, so gaps and folds are hit often.
const BASE_DAYS: &[(u32, u32)] = &[(3, 6), (3, 27), (4, 3), (9, 4), (10, 2), (10, 23), (10, 30)];

#[derive(Debug, Clone)]
struct RuleIn {
    weekly_days: Option<u8>, // None: DAILY; Some(mask): WEEKLY;BYDAY=mask
    dtstart_offset: i64,     // days before the base day
    start: u32,              // minutes
    end: u32,                // minutes, 1440 = 24:00
}

#[derive(Debug, Clone)]
struct Input {
    zone: &'static str,
    base: NaiveDate,
    rules: Vec<RuleIn>,
    overrides: Vec<(i64, Vec<(u32, u32)>)>,
    busy: Vec<(i64, i64)>, // minutes relative to base 00:00 UTC
    from: i64,             // minutes relative to base 00:00 UTC
    span: i64,
    duration: i64,
    step: Option<i64>,
    before: i64,
    after: i64,
    now: Option<(i64, i64, Option<i64>)>, // (now, min_notice, horizon)
}

fn minute_time(m: u32) -> LocalTime {
    if m == 1440 {
        LocalTime::MIDNIGHT_END
    } else {
        LocalTime::new(m / 60, m % 60).unwrap()
    }
}

fn arb_input() -> impl Strategy<Value = Input> {
    let rule = (
        prop::option::of(1u8..128),
        0i64..10,
        (0u32..96).prop_map(|q| q * 15),
        prop_oneof![(1u32..97).prop_map(|q| q * 15), Just(1440u32), (0u32..1440)],
    )
        .prop_map(|(weekly_days, dtstart_offset, start, end)| RuleIn {
            weekly_days,
            dtstart_offset,
            start,
            end,
        });
    let window = ((0u32..1440), (0u32..=1440));
    (
        (0..ZONES.len(), 0..BASE_DAYS.len()),
        prop::collection::vec(rule, 0..3),
        prop::collection::vec((0i64..4, prop::collection::vec(window, 0..3)), 0..2),
        prop::collection::vec((0i64..5760, 1i64..240), 0..6),
        (0i64..1440, 60i64..4320),
        (1i64..120, prop::option::of(1i64..90), 0i64..30, 0i64..30),
        prop::option::of((0i64..2880, 0i64..600, prop::option::of(0i64..4000))),
    )
        .prop_map(
            |(
                (z, b),
                rules,
                overrides,
                busy,
                (from, span),
                (duration, step, before, after),
                now,
            )| {
                let (m, d) = BASE_DAYS[b];
                Input {
                    zone: ZONES[z],
                    base: NaiveDate::from_ymd_opt(2026, m, d).unwrap(),
                    rules,
                    overrides: overrides
                        .into_iter()
                        .map(|(day, ws)| (day, ws.into_iter().filter(|(s, _)| *s < 1440).collect()))
                        .collect(),
                    busy,
                    from,
                    span,
                    duration,
                    step,
                    before,
                    after,
                    now,
                }
            },
        )
}

fn at(base: NaiveDate, minutes: i64) -> Timestamp {
    Timestamp::from_naive_utc(base.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::minutes(minutes))
        .unwrap()
}

fn weekday_mask_rule(mask: u8) -> String {
    let names = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let days: Vec<&str> = (0..7)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| names[i])
        .collect();
    format!("FREQ=WEEKLY;BYDAY={}", days.join(","))
}

fn build(input: &Input) -> (Availability, SlotQuery) {
    let zone = Zone::parse(input.zone).unwrap();
    let rules = input
        .rules
        .iter()
        .map(|r| {
            let rrule = r
                .weekly_days
                .map_or_else(|| "FREQ=DAILY".to_string(), weekday_mask_rule);
            WorkingRule::new(
                rrule.parse().unwrap(),
                input.base - TimeDelta::days(r.dtstart_offset),
                minute_time(r.start),
                minute_time(r.end),
            )
            .unwrap()
        })
        .collect();
    let overrides = input
        .overrides
        .iter()
        .map(|(day, ws)| {
            DateOverride::hours(
                input.base + TimeDelta::days(*day),
                ws.iter()
                    .map(|(s, e)| LocalWindow::new(minute_time(*s), minute_time(*e)).unwrap()),
            )
        })
        .collect();
    let busy = input
        .busy
        .iter()
        .map(|(s, len)| Interval::new(at(input.base, *s), at(input.base, s + len)).unwrap())
        .collect();
    let mut q = SlotQuery::new(
        at(input.base, input.from),
        at(input.base, input.from + input.span),
        Minutes::new(input.duration),
    )
    .buffers(Minutes::new(input.before), Minutes::new(input.after));
    q.step = input.step.map(Minutes::new);
    if let Some((now, notice, horizon)) = input.now {
        q = q.now(at(input.base, now)).notice(Minutes::new(notice));
        q.horizon = horizon.map(Minutes::new);
    }
    (Availability::from_parts(zone, rules, overrides, busy), q)
}

/// Compatible resolution by brute force over UTC minutes, using only
/// `offset_at` (UTC -> offset), never the zone's local lookup.
fn brute_resolve(zone: &Zone, local: NaiveDateTime) -> i64 {
    let wall = local.and_utc().timestamp() / 60;
    let local_of =
        |u: i64| u + i64::from(zone.offset_at(Timestamp::from_unix(u * 60).unwrap())) / 60;
    let mut first_at_or_after = None;
    for u in (wall - 16 * 60)..=(wall + 16 * 60) {
        if local_of(u) == wall {
            return u; // earliest instant with this wall time (fold: earlier)
        }
        if first_at_or_after.is_none() && local_of(u) > wall {
            first_at_or_after = Some(u);
        }
    }
    // In a gap: the transition instant plus how far `local` is into the gap.
    let t = first_at_or_after.unwrap();
    let gap_start = local_of(t - 1) + 1;
    t + (wall - gap_start)
}

/// The slots of FORMAT.md by a literal minute scan.
fn brute_slots(input: &Input) -> Vec<Timestamp> {
    let zone = Zone::parse(input.zone).unwrap();
    let origin = at(input.base, 0).unix() / 60;
    let lo_day = input.base - TimeDelta::days(12); // before every dtstart
    let hi_day = input.base + TimeDelta::days(8);
    let len = usize::try_from((hi_day - lo_day).num_days() * 1440 + 4 * 1440).unwrap();
    let lo_min = lo_day.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() / 60 - 1440;
    let idx = |m: i64| usize::try_from(m - lo_min).unwrap();
    let mut working = vec![false; len];
    let mut open = |date: NaiveDate, s: u32, e: u32| {
        let start = date.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::minutes(i64::from(s));
        let end_min = if e <= s { e + 1440 } else { e };
        let end = date.and_hms_opt(0, 0, 0).unwrap() + TimeDelta::minutes(i64::from(end_min));
        let (a, b) = (brute_resolve(&zone, start), brute_resolve(&zone, end));
        for m in a..b {
            working[idx(m)] = true;
        }
    };
    let mut d = lo_day;
    while d <= hi_day {
        let ov: Vec<&(i64, Vec<(u32, u32)>)> = input
            .overrides
            .iter()
            .filter(|(day, _)| input.base + TimeDelta::days(*day) == d)
            .collect();
        if ov.is_empty() {
            for r in &input.rules {
                let dtstart = input.base - TimeDelta::days(r.dtstart_offset);
                let on = d >= dtstart
                    && r.weekly_days
                        .is_none_or(|mask| mask & (1 << d.weekday().num_days_from_monday()) != 0);
                if on {
                    open(d, r.start, r.end);
                }
            }
        } else {
            for (_, ws) in ov {
                for (s, e) in ws {
                    open(d, *s, *e);
                }
            }
        }
        d += TimeDelta::days(1);
    }
    let mut busy = vec![false; len];
    for (s, l) in &input.busy {
        for m in (origin + s)..(origin + s + l) {
            busy[idx(m)] = true;
        }
    }
    let is_busy = |m: i64| m >= lo_min && idx(m) < len && busy[idx(m)];
    let from = origin + input.from;
    let to = from + input.span;
    let step = input.step.unwrap_or(input.duration);
    let mut out = Vec::new();
    let mut m = lo_min;
    let end = lo_min + i64::try_from(len).unwrap();
    while m < end {
        if !working[idx(m)] {
            m += 1;
            continue;
        }
        let ws = m;
        while m < end && working[idx(m)] {
            m += 1;
        }
        let we = m;
        let mut s = ws;
        while s + input.duration <= we {
            let mut ok = from <= s && s < to;
            ok &= ((s - input.before)..(s + input.duration + input.after)).all(|x| !is_busy(x));
            if let Some((now, notice, horizon)) = input.now {
                let now = origin + now;
                ok &= s >= now + notice;
                if let Some(h) = horizon {
                    ok &= s < now + h;
                }
            }
            if ok {
                out.push(Timestamp::from_unix(s * 60).unwrap());
            }
            s += step;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::default())] // cases: $PROPTEST_CASES (default 256)

    #[test]
    fn sweep_equals_brute_force(input in arb_input()) {
        let (avail, q) = build(&input);
        let fast = avail.slots(&q).unwrap();
        let slow = brute_slots(&input);
        prop_assert_eq!(fast, slow);
    }

    #[test]
    fn slots_are_sorted_unique_inside_windows_and_clear_of_busy(input in arb_input()) {
        let (avail, q) = build(&input);
        let slots = avail.slots(&q).unwrap();
        prop_assert!(slots.windows(2).all(|w| w[0] < w[1]));
        let windows = avail.windows(q.from, q.to).unwrap();
        for s in &slots {
            let end = s.checked_add(q.duration).unwrap();
            prop_assert!(windows.iter().any(|w| w.start() <= *s && end <= w.end()), "slot {} outside windows", s);
            let buffered = Interval::new(s.checked_sub(q.buffer_before).unwrap(), end.checked_add(q.buffer_after).unwrap()).unwrap();
            prop_assert!(!avail.busy().overlaps(&buffered), "slot {} hits busy time", s);
            prop_assert!(q.from <= *s && *s < q.to);
        }
    }

    #[test]
    fn adding_busy_never_adds_a_slot(input in arb_input(), extra in (0i64..5760, 1i64..300)) {
        let (mut avail, q) = build(&input);
        let before = avail.slots(&q).unwrap();
        avail.add_busy([Interval::new(at(input.base, extra.0), at(input.base, extra.0 + extra.1)).unwrap()]);
        let after = avail.slots(&q).unwrap();
        prop_assert!(after.iter().all(|s| before.binary_search(s).is_ok()));
    }

    #[test]
    fn explain_agrees_with_slots(input in arb_input(), probe in 0i64..5760) {
        let (avail, q) = build(&input);
        let slots = avail.slots(&q).unwrap();
        // Ask about every offered start and a random minute.
        let mut asks: Vec<Timestamp> = slots.iter().copied().take(20).collect();
        asks.push(at(input.base, probe));
        for s in asks {
            let why = avail.explain(s, &q).unwrap();
            prop_assert_eq!(why.offered, slots.binary_search(&s).is_ok(), "{} {:?}", s, why.reasons);
            prop_assert_eq!(why.offered, why.reasons.is_empty());
        }
    }

    #[test]
    fn pooled_equals_each_provider(inputs in prop::collection::vec(arb_input(), 1..5)) {
        // One query (the first input's) over every provider.
        let (_, q) = build(&inputs[0]);
        let providers: Vec<Availability> = inputs.iter().map(|i| build(i).0).collect();
        let pooled = pooled_slots(&providers, &q).unwrap();
        let mut want: BTreeMap<Timestamp, Vec<u32>> = BTreeMap::new();
        for (i, p) in providers.iter().enumerate() {
            for s in p.slots(&q).unwrap() {
                want.entry(s).or_default().push(u32::try_from(i).unwrap());
            }
        }
        let got: BTreeMap<Timestamp, Vec<u32>> = pooled.iter().map(|(s, m)| (s, m.to_vec())).collect();
        prop_assert_eq!(got, want);
    }
}

fn arb_rule() -> impl Strategy<Value = String> {
    let freq = prop_oneof![
        Just("DAILY"),
        Just("WEEKLY"),
        Just("MONTHLY"),
        Just("YEARLY")
    ];
    (
        freq,
        1u32..4,
        prop::option::of(prop::collection::btree_set(0usize..7, 1..4)),
        prop::option::of(prop::collection::btree_set(
            prop_oneof![1i32..29, -3i32..0],
            1..3,
        )),
        prop::option::of(prop::collection::btree_set(1u32..13, 1..3)),
        prop::option::of(prop::collection::btree_set(
            prop_oneof![1i32..4, -2i32..0],
            1..2,
        )),
        prop::option::of(prop::collection::btree_set(0u32..24, 1..3)),
        1u32..40,
    )
        .prop_map(
            |(freq, interval, byday, bymonthday, bymonth, bysetpos, byhour, count)| {
                let names = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
                let mut r = format!("FREQ={freq};INTERVAL={interval};COUNT={count}");
                let join = |v: Vec<String>| v.join(",");
                if let Some(d) = &byday {
                    r += &format!(
                        ";BYDAY={}",
                        join(d.iter().map(|i| names[*i].to_string()).collect())
                    );
                }
                if let Some(m) = bymonthday.filter(|_| freq != "WEEKLY") {
                    r += &format!(
                        ";BYMONTHDAY={}",
                        join(m.iter().map(ToString::to_string).collect())
                    );
                }
                if let Some(m) = bymonth {
                    r += &format!(
                        ";BYMONTH={}",
                        join(m.iter().map(ToString::to_string).collect())
                    );
                }
                if let Some(h) = byhour {
                    r += &format!(
                        ";BYHOUR={}",
                        join(h.iter().map(ToString::to_string).collect())
                    );
                }
                if let Some(p) = bysetpos.filter(|_| byday.is_some()) {
                    r += &format!(
                        ";BYSETPOS={}",
                        join(p.iter().map(ToString::to_string).collect())
                    );
                }
                r
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::default())] // cases: $PROPTEST_CASES (default 256)

    /// In UTC there is no DST, so our expander must agree with the `rrule` crate.
    #[test]
    fn recurrence_matches_rrule_crate_in_utc(rule in arb_rule(), day in 0i64..1500, minute in 0i64..1440) {
        let dtstart = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
            + TimeDelta::days(day) + TimeDelta::minutes(minute);
        let text = format!("DTSTART:{}\nRRULE:{rule}", dtstart.format("%Y%m%dT%H%M%SZ"));
        let theirs: rrule::RRuleSet = text.parse().unwrap();
        let end = dtstart + TimeDelta::days(36_000);
        let theirs: Vec<String> = theirs.all(1000).dates.iter()
            .filter(|d| d.naive_utc() < end)
            .map(|d| d.naive_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()).collect();
        let ours = Recurrence::new(rule.parse().unwrap(), dtstart, Zone::parse("UTC").unwrap());
        let ours: Vec<String> = ours
            .between(Timestamp::from_naive_utc(dtstart).unwrap(), Timestamp::from_naive_utc(dtstart + TimeDelta::days(36_000)).unwrap(), None)
            .unwrap().iter().map(ToString::to_string).collect();
        prop_assert_eq!(ours, theirs, "rule {}", rule);
    }

    /// Skipping ahead to the window (rules without COUNT) equals expanding from DTSTART.
    #[test]
    fn window_query_equals_full_expansion(
        rule in arb_rule(), zone in 0..ZONES.len(), years_back in 0i64..30, from_day in 0i64..365, span in 1i64..120,
    ) {
        let rule = rule.split(';').filter(|p| !p.starts_with("COUNT")).collect::<Vec<_>>().join(";");
        let dtstart = NaiveDate::from_ymd_opt(2026 - i32::try_from(years_back).unwrap(), 2, 11).unwrap().and_hms_opt(9, 30, 0).unwrap();
        let rec = Recurrence::new(rule.parse().unwrap(), dtstart, Zone::parse(ZONES[zone]).unwrap());
        let from = at(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), from_day * 1440);
        let to = from.plus_minutes(span * 1440).unwrap();
        let windowed = rec.between(from, to, None).unwrap();
        let mut full = Vec::new();
        rec.for_each_instance(Timestamp::from_naive_utc(dtstart - TimeDelta::days(2)).unwrap(), to, |_, t| { full.push(t); true }).unwrap();
        // for_each_instance starts at the period containing its lower bound, i.e. DTSTART's.
        let mut full: Vec<Timestamp> = full.into_iter().filter(|t| from <= *t && *t < to).collect();
        full.sort_unstable();
        full.dedup();
        prop_assert_eq!(windowed, full);
    }
}

#[test]
fn weekday_helper_is_consistent() {
    // A guard for the generators above: 2026-03-09 is a Monday.
    assert_eq!(
        NaiveDate::from_ymd_opt(2026, 3, 9).unwrap().weekday(),
        Weekday::Mon
    );
}
