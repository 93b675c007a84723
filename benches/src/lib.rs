//! Shared fixtures for the criterion benchmarks in `benches/benches/`.
//!
//! The anchor workload (from the issue): one provider, Mon-Fri 09:00-17:00
//! America/New_York, 30-minute slots, 0-6 bookings a day, one month.

use chrono::{NaiveDate, TimeDelta};
use hcas_core::{Availability, Interval, LocalTime, SlotQuery, Timestamp, WorkingRule, Zone};

/// A small deterministic generator (xorshift), so every run books the same times.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// Next value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The anchor month: March 2026 (it contains the New York DST change).
#[must_use]
pub fn month() -> (Timestamp, Timestamp) {
    (
        Timestamp::parse("2026-03-01T05:00:00Z").unwrap_or(Timestamp::EPOCH),
        Timestamp::parse("2026-04-01T04:00:00Z").unwrap_or(Timestamp::EPOCH),
    )
}

/// One provider of the anchor workload; `seed` varies its bookings.
#[must_use]
pub fn provider(seed: u64) -> Availability {
    provider_with_hours(seed, "09:00", "17:00")
}

/// A provider like [`provider`] whose own hours start on a different half
/// hour (07:00-15:00 ... 10:30-18:30) by `seed`, so pooled providers do not
/// share one grid.
#[must_use]
pub fn provider_own_hours(seed: u64) -> Availability {
    let h = 7 * 60 + 30 * (seed % 8);
    let (s, e) = (
        format!("{:02}:{:02}", h / 60, h % 60),
        format!("{:02}:{:02}", h / 60 + 8, h % 60),
    );
    provider_with_hours(seed, &s, &e)
}

#[allow(clippy::unwrap_used)]
fn provider_with_hours(seed: u64, start: &str, end: &str) -> Availability {
    let zone = Zone::parse("America/New_York").unwrap();
    let rule = WorkingRule::new(
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".parse().unwrap(),
        NaiveDate::from_ymd_opt(2025, 1, 6).unwrap(),
        LocalTime::parse(start).unwrap(),
        LocalTime::parse_end(end).unwrap(),
    )
    .unwrap();
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7));
    let mut busy = Vec::new();
    let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    for day in 0..31 {
        let date = first + TimeDelta::days(day);
        for _ in 0..rng.below(7) {
            // A 30- or 60-minute booking on the half hour between 09:00 and 16:30 local.
            let half_hours = i64::try_from(rng.below(16)).unwrap_or(0);
            let len = if rng.below(2) == 0 { 30 } else { 60 };
            let local = date.and_hms_opt(9, 0, 0).unwrap() + TimeDelta::minutes(30 * half_hours);
            let start = zone.resolve(local);
            busy.push(Interval::new(start, start.plus_minutes(len).unwrap()).unwrap());
        }
    }
    Availability::from_parts(zone, vec![rule], vec![], busy)
}

/// The anchor query: the month, 30-minute slots on a 30-minute grid.
#[must_use]
pub fn query() -> SlotQuery {
    let (from, to) = month();
    SlotQuery::new(from, to, hcas_core::Minutes::new(30))
}
