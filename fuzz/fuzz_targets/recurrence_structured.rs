//! Structured recurrence fuzzing: `arbitrary` builds a small rule (parts drawn
//! from small ranges and kept mostly RFC-valid, so the parser rarely rejects
//! it), a DTSTART in 1990-2040, a zone from a list of awkward ones, EXDATEs and
//! RDATEs near DTSTART and a query window of at most 400 days, so the fuzzer
//! spends its time in expansion rather than in parse errors.
//!
//! Properties of `Recurrence::between(from, to, limit)`:
//! * never panics;
//! * the answer is strictly ascending (sorted and unique) and inside `[from, to)`;
//! * without a limit it holds at most `MAX_OCCURRENCES`, and with `COUNT=c` at
//!   most `c + rdates` occurrences;
//! * with `limit = L` it is the first `L` occurrences of the unlimited answer
//!   (and succeeds whenever the unlimited query does);
//! * splitting the window at any instant `mid` gives the same occurrences:
//!   `between(from, mid) ++ between(mid, to) == between(from, to)`.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use hcas_core::recurrence::MAX_OCCURRENCES;
use hcas_core::{Timestamp, RRule, Recurrence, Zone};
use libfuzzer_sys::fuzz_target;

/// Zones with unusual offsets or transitions: half-hour DST (Lord Howe),
/// +05:45 (Kathmandu), +12:45/+13:45 (Chatham), DST at midnight (Santiago),
/// Ramadan DST suspensions (Casablanca), negative DST (Dublin), a skipped
/// calendar day (Apia, 2011-12-30), +14 (Kiritimati), -03:30 (St John's).
const ZONES: &[&str] = &[
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Santiago",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "Europe/Dublin",
    "UTC",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "America/St_Johns",
];

/// Keeps UNTIL offsets inside the years the parser accepts.
const FIFTY_YEARS_MIN: i64 = 50 * 366 * 24 * 60;

const FREQS: [&str; 7] = [
    "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
];
const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

#[derive(Arbitrary, Debug)]
enum End {
    Forever,
    Count(u16),
    /// Days after DTSTART (may be before it).
    UntilDate(i16),
    /// Minutes after DTSTART, compared in local time.
    UntilLocal(i32),
    /// Minutes after DTSTART read as UTC, compared as an instant.
    UntilUtc(i32),
}

#[derive(Arbitrary, Debug)]
enum Span {
    Seconds(u16),
    Minutes(u16),
    Days(u16),
}

/// Up to `N` items, in a fixed number of input bytes (so a short input still
/// fills every scalar of [`Case`], and lengths do not steal bytes from the end).
#[derive(Arbitrary, Debug)]
struct Few<T, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T, const N: usize> Few<T, N> {
    fn get(&self) -> &[T] {
        // Half the time absent, so plain rules stay common.
        let n = if self.len < 128 {
            0
        } else {
            usize::from(self.len) % (N + 1)
        };
        &self.items[..n]
    }
}

/// The scalars come first: libFuzzer starts with short inputs, and `arbitrary`
/// fills fields in order, so the window, zone and limit always get real bytes.
#[derive(Arbitrary, Debug)]
struct Case {
    freq: u8,
    interval: u16,
    end: End,
    wkst: u8,
    /// Years after 1990 (mod 51), day of year, seconds of day.
    start_year: u8,
    start_day: u16,
    start_sec: u32,
    zone: u8,
    /// Hours (signed) from DTSTART to the window start: mostly within ±60
    /// days, one case in four within ±12 years.
    from_hours: i32,
    span: Span,
    /// Where to split the window, in 1/65536ths of its length.
    split: u16,
    limit: Option<u16>,
    by_second: Few<u8, 3>,
    by_minute: Few<u8, 3>,
    by_hour: Few<u8, 3>,
    /// (ordinal or 0, weekday)
    by_day: Few<(i8, u8), 4>,
    by_month_day: Few<i8, 3>,
    by_year_day: Few<i16, 3>,
    by_week_no: Few<i8, 2>,
    by_month: Few<u8, 3>,
    by_set_pos: Few<i16, 3>,
    /// (amount, unit) offsets from DTSTART: unit 0 = hours, 1 = days, 2 = weeks.
    exdates: Few<(u16, u8), 3>,
    rdates: Few<(i16, u8), 3>,
}

/// A non-zero value in ±1..=max from a raw integer.
fn signed(raw: i64, max: i64) -> i64 {
    let m = i64::try_from(raw.unsigned_abs() % max.unsigned_abs()).unwrap_or(0) + 1;
    if raw < 0 { -m } else { m }
}

fn list(parts: &mut Vec<String>, name: &str, items: Vec<String>) {
    if !items.is_empty() {
        parts.push(format!("{name}={}", items.join(",")));
    }
}

impl Case {
    fn dtstart(&self) -> NaiveDateTime {
        let year = 1990 + i32::from(self.start_year % 51);
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
        let date = jan1 + TimeDelta::days(i64::from(self.start_day % 366));
        date.and_hms_opt(0, 0, 0).expect("midnight")
            + TimeDelta::seconds(i64::from(self.start_sec % 86_400))
    }

    fn rule_text(&self, dtstart: NaiveDateTime) -> String {
        let f = usize::from(self.freq % 7);
        let (monthly, yearly, weekly) = (f == 5, f == 6, f == 4);
        let day_or_longer = f >= 3;
        let mut parts = vec![format!("FREQ={}", FREQS[f])];
        let interval = if self.interval < 60_000 {
            1 + u32::from(self.interval % 12)
        } else {
            u32::from(self.interval - 59_999) * 16
        };
        if interval != 1 {
            parts.push(format!("INTERVAL={interval}"));
        }
        match self.end {
            End::Forever => {}
            End::Count(c) => parts.push(format!("COUNT={}", 1 + c % 500)),
            End::UntilDate(d) => {
                let u = dtstart.date() + TimeDelta::days(i64::from(d));
                parts.push(format!("UNTIL={}", u.format("%Y%m%d")));
            }
            End::UntilLocal(m) => {
                let u = dtstart + TimeDelta::minutes(i64::from(m) % FIFTY_YEARS_MIN);
                parts.push(format!("UNTIL={}", u.format("%Y%m%dT%H%M%S")));
            }
            End::UntilUtc(m) => {
                let u = dtstart + TimeDelta::minutes(i64::from(m) % FIFTY_YEARS_MIN);
                parts.push(format!("UNTIL={}", u.format("%Y%m%dT%H%M%SZ")));
            }
        }
        let base = parts.len();
        let nums =
            |v: &[u8], n: u8| -> Vec<String> { v.iter().map(|x| (x % n).to_string()).collect() };
        list(&mut parts, "BYSECOND", nums(self.by_second.get(), 60));
        list(&mut parts, "BYMINUTE", nums(self.by_minute.get(), 60));
        list(&mut parts, "BYHOUR", nums(self.by_hour.get(), 24));
        let week_no: Vec<String> = if yearly {
            self.by_week_no
                .get()
                .iter()
                .map(|&w| signed(i64::from(w), 53).to_string())
                .collect()
        } else {
            Vec::new()
        };
        let days: Vec<String> = self
            .by_day
            .get()
            .iter()
            .map(|&(n, d)| {
                let wd = DAYS[usize::from(d % 7)];
                let n = i64::from(n);
                if n == 0 || !(monthly || yearly) || (yearly && !week_no.is_empty()) {
                    wd.to_string()
                } else if monthly {
                    format!("{}{wd}", signed(n, 5))
                } else {
                    format!("{}{wd}", signed(n, 53))
                }
            })
            .collect();
        list(&mut parts, "BYDAY", days);
        if !weekly {
            let md = self
                .by_month_day
                .get()
                .iter()
                .map(|&d| signed(i64::from(d), 31).to_string())
                .collect();
            list(&mut parts, "BYMONTHDAY", md);
        }
        if yearly || !day_or_longer {
            let yd = self
                .by_year_day
                .get()
                .iter()
                .map(|&d| signed(i64::from(d), 366).to_string())
                .collect();
            list(&mut parts, "BYYEARDAY", yd);
        }
        list(&mut parts, "BYWEEKNO", week_no);
        let months = self
            .by_month
            .get()
            .iter()
            .map(|m| (1 + m % 12).to_string())
            .collect();
        list(&mut parts, "BYMONTH", months);
        if parts.len() > base {
            let sp = self
                .by_set_pos
                .get()
                .iter()
                .map(|&p| {
                    // Mostly small positions (the sets are small), sometimes any.
                    let p = i64::from(p);
                    if p.abs() < 16_000 {
                        signed(p, 8).to_string()
                    } else {
                        signed(p, 366).to_string()
                    }
                })
                .collect();
            list(&mut parts, "BYSETPOS", sp);
        }
        if self.wkst % 7 != 0 {
            parts.push(format!("WKST={}", DAYS[usize::from(self.wkst % 7)]));
        }
        parts.join(";")
    }
}

fn local_offset(amount: i64, unit: u8) -> TimeDelta {
    match unit % 3 {
        0 => TimeDelta::hours(amount),
        1 => TimeDelta::days(amount),
        _ => TimeDelta::weeks(amount),
    }
}

fn check_shape(what: &str, got: &[Timestamp], from: Timestamp, to: Timestamp, ctx: &str) {
    for w in got.windows(2) {
        assert!(
            w[0] < w[1],
            "{what}: not strictly ascending: {} then {} ({ctx})",
            w[0],
            w[1]
        );
    }
    for t in got {
        assert!(
            from <= *t && *t < to,
            "{what}: {t} outside [{from}, {to}) ({ctx})"
        );
    }
}

fuzz_target!(|case: Case| {
    let dtstart = case.dtstart();
    let text = case.rule_text(dtstart);
    let Ok(rule) = RRule::parse(&text) else {
        return;
    };
    let zone_name = ZONES[usize::from(case.zone) % ZONES.len()];
    let zone = Zone::parse(zone_name).expect("zone in the list");
    let exdates: Vec<NaiveDateTime> = case
        .exdates
        .get()
        .iter()
        .map(|&(a, u)| dtstart + local_offset(i64::from(a % 400), u))
        .collect();
    let rdates: Vec<NaiveDateTime> = case
        .rdates
        .get()
        .iter()
        .map(|&(a, u)| dtstart + local_offset(i64::from(a % 400), u))
        .collect();
    let n_rdates = rdates.len();
    let rec = Recurrence::new(rule.clone(), dtstart, zone)
        .with_exdates(exdates.clone())
        .expect("a few exdates are within MAX_RECURRENCE_DATES")
        .with_rdates(rdates.clone())
        .expect("a few rdates are within MAX_RECURRENCE_DATES");

    let start_utc = dtstart.and_utc().timestamp();
    let h = i64::from(case.from_hours);
    let from_hours = if h.rem_euclid(4) == 0 {
        h % (24 * 366 * 12)
    } else {
        h / 4 % (24 * 60)
    };
    let from = Timestamp::from_unix(start_utc + from_hours * 3600).unwrap();
    let span = match case.span {
        Span::Seconds(s) => i64::from(s),
        Span::Minutes(m) => i64::from(m) * 60,
        Span::Days(d) => i64::from(d % 401) * 86_400,
    }
    .clamp(1, 400 * 86_400);
    let to = Timestamp::from_unix(from.unix() + span).unwrap();
    let ctx = format!(
        "rule {text}; dtstart {dtstart}; zone {zone_name}; exdates {exdates:?}; rdates {rdates:?}; window [{from}, {to})"
    );

    let all = rec.between(from, to, None);
    if let Ok(all) = &all {
        check_shape("unlimited", all, from, to, &ctx);
        assert!(
            all.len() <= MAX_OCCURRENCES,
            "unlimited: {} occurrences > MAX_OCCURRENCES ({ctx})",
            all.len()
        );
        if let Some(c) = rule.count() {
            assert!(
                all.len() <= c as usize + n_rdates,
                "COUNT={c} but {} occurrences in the window ({ctx})",
                all.len()
            );
        }
    }

    if let Some(l) = case.limit {
        let l = usize::from(l % 300);
        match (&all, rec.between(from, to, Some(l))) {
            (Ok(all), Ok(lim)) => {
                let want = &all[..all.len().min(l)];
                assert_eq!(
                    lim.as_slice(),
                    want,
                    "limit {l}: not a prefix of the unlimited answer ({ctx})"
                );
            }
            (Ok(all), Err(e)) => panic!(
                "limit {l}: error {e} where the unlimited query gave {} occurrences ({ctx})",
                all.len()
            ),
            (Err(_), Ok(lim)) => {
                check_shape("limited", &lim, from, to, &ctx);
                assert!(
                    lim.len() <= l,
                    "limit {l}: {} occurrences ({ctx})",
                    lim.len()
                );
            }
            (Err(_), Err(_)) => {}
        }
    }

    if let Ok(all) = &all {
        let mid = from.unix() + (span * i64::from(case.split) >> 16);
        if mid > from.unix() && mid < to.unix() {
            let mid = Timestamp::from_unix(mid).unwrap();
            let (a, b) = match (rec.between(from, mid, None), rec.between(mid, to, None)) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => panic!(
                    "split at {mid}: {:?} / {:?} where the whole window succeeded ({ctx})",
                    a.err(),
                    b.err()
                ),
            };
            let joined: Vec<Timestamp> = a.into_iter().chain(b).collect();
            assert_eq!(
                &joined, all,
                "split at {mid}: halves differ from the whole window ({ctx})"
            );
        }
    }
});
