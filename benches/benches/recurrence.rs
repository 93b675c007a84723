//! Recurrence expansion: a weekday rule over one year and the last Friday of
//! the month over ten, hcas-core next to the `rrule` crate on the same input
//! in the same run.
//!
//! `cargo bench -p hcas-benches --bench recurrence`

use chrono::{NaiveDate, TimeZone};
use criterion::{Criterion, criterion_group, criterion_main};
use hcas_core::{Recurrence, Timestamp, Zone};
use std::hint::black_box;

#[allow(clippy::unwrap_used)]
fn recurrence(c: &mut Criterion) {
    let rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";
    let ny = Zone::parse("America/New_York").unwrap();
    let dtstart = NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let to: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    let ours = Recurrence::new(rule.parse().unwrap(), dtstart, ny);
    let n = ours.between(from, to, None).unwrap().len();

    let tz = rrule::Tz::America__New_York;
    let set: rrule::RRuleSet =
        format!("DTSTART;TZID=America/New_York:20260101T090000\nRRULE:{rule}")
            .parse()
            .unwrap();
    let (a, b) = (
        tz.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        tz.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
    );
    let theirs = set.clone().after(a).before(b).all(10_000).dates;
    assert_eq!(n, theirs.len(), "both expand the same year");

    let mut g = c.benchmark_group("recurrence_weekdays_one_year_ny");
    g.bench_function("hcas_core", |bch| {
        bch.iter(|| black_box(&ours).between(black_box(from), black_box(to), None));
    });
    g.bench_function("rrule_crate", |bch| {
        bch.iter(|| black_box(set.clone()).after(a).before(b).all(10_000));
    });
    g.finish();

    // The last Friday of each month for ten years: a rule that keeps about
    // one day in thirty (BYDAY with an ordinal in a MONTHLY period).
    let last_friday = "FREQ=MONTHLY;BYDAY=-1FR";
    let fridays = Recurrence::new(
        last_friday.parse().unwrap(),
        NaiveDate::from_ymd_opt(2026, 1, 30)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        ny,
    );
    let decade: Timestamp = "2036-01-01T00:00:00Z".parse().unwrap();
    let n = fridays.between(from, decade, None).unwrap().len();
    let set: rrule::RRuleSet =
        format!("DTSTART;TZID=America/New_York:20260130T090000\nRRULE:{last_friday}")
            .parse()
            .unwrap();
    let b10 = tz.with_ymd_and_hms(2036, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        n,
        set.clone().after(a).before(b10).all(10_000).dates.len(),
        "both expand the same ten years"
    );
    let mut g = c.benchmark_group("recurrence_last_friday_ten_years_ny");
    g.bench_function("hcas_core", |bch| {
        bch.iter(|| black_box(&fridays).between(black_box(from), black_box(decade), None));
    });
    g.bench_function("rrule_crate", |bch| {
        bch.iter(|| black_box(set.clone()).after(a).before(b10).all(10_000));
    });
    g.finish();

    // A long-running rule queried 30 years after DTSTART: window skip-ahead.
    let old = Recurrence::new(
        rule.parse().unwrap(),
        NaiveDate::from_ymd_opt(1996, 1, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        ny,
    );
    let (mf, mt): (Timestamp, Timestamp) = (
        "2026-03-01T00:00:00Z".parse().unwrap(),
        "2026-04-01T00:00:00Z".parse().unwrap(),
    );
    c.bench_function("recurrence_weekdays_month_dtstart_30y_ago", |bch| {
        bch.iter(|| black_box(&old).between(black_box(mf), black_box(mt), None));
    });
}

criterion_group!(benches, recurrence);
criterion_main!(benches);
