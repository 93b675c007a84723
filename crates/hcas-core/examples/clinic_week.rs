//! The README's run command: the next week's slots for a sample clinic.
//!
//! `cargo run -p hcas-core --example clinic_week` prints, for three doctors of
//! a New York clinic, the 30-minute starts of the next seven days, pooled
//! ("any doctor"): each start with the doctors free at it. This example is an
//! edge, so it may read the clock; the engine itself never does.

#![allow(clippy::expect_used)]

use chrono::{NaiveDate, Weekday};
use hcas_core::{
    Availability, DateOverride, Interval, LocalTime, LocalWindow, Minutes, SlotQuery, Timestamp,
    WorkingRule, Zone, pooled_slots,
};

fn t(s: &str) -> LocalTime {
    LocalTime::parse_end(s).expect("valid local time")
}

fn weekly(days: &[Weekday], start: &str, end: &str) -> WorkingRule {
    let from = NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date");
    WorkingRule::weekly(days.iter().copied(), t(start), t(end), from).expect("valid working rule")
}

#[allow(clippy::print_stdout, clippy::disallowed_methods)]
fn main() -> Result<(), hcas_core::Error> {
    use Weekday::{Fri, Mon, Sat, Thu, Tue, Wed};
    let zone = Zone::parse("America/New_York")?;
    let clock = Timestamp::try_from(std::time::SystemTime::now())?;
    let now = Timestamp::from_unix(clock.unix() - clock.unix().rem_euclid(60))?;
    let week_later = now.checked_add(Minutes::days(7))?;
    let tomorrow = zone.to_local(now).date() + chrono::TimeDelta::days(1);

    let names = [
        "Dr. Adams (family medicine)",
        "Dr. Baker (family medicine)",
        "Dr. Chen (family medicine)",
    ];
    let in_a_day = now.checked_add(Minutes::days(1))?;
    let doctors = vec![
        Availability::new(zone)
            .with_rule(weekly(&[Mon, Tue, Wed, Thu, Fri], "09:00", "12:00"))
            .with_rule(weekly(&[Mon, Wed], "13:00", "17:00"))
            .with_busy([Interval::new(
                in_a_day,
                in_a_day.checked_add(Minutes::new(45))?,
            )?]),
        Availability::new(zone)
            .with_rule(weekly(&[Tue, Thu, Sat], "10:00", "16:00"))
            .with_override(DateOverride::hours(
                tomorrow,
                [LocalWindow::new(t("08:00"), t("10:00"))?],
            )),
        Availability::new(zone).with_rule(WorkingRule::daily(
            t("18:00"),
            t("22:00"),
            NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"),
        )?),
    ];
    let query = SlotQuery::new(now, week_later, Minutes::new(30))
        .now(now)
        .notice(Minutes::hours(2))
        .buffers(Minutes::ZERO, Minutes::new(5));

    let pooled = pooled_slots(&doctors, &query)?;
    println!(
        "Sample clinic, {} ({} slot starts in the next 7 days, 30 min, 2 h notice)",
        zone,
        pooled.len()
    );
    let mut day = None;
    for (start, who) in pooled.iter() {
        let local = zone.to_local(start);
        if day != Some(local.date()) {
            day = Some(local.date());
            println!("\n{}", local.format("%A %Y-%m-%d"));
        }
        let names: Vec<&str> = who.iter().map(|&i| names[i as usize]).collect();
        println!(
            "  {}  ({start})  {}",
            local.format("%H:%M"),
            names.join(", ")
        );
    }
    Ok(())
}
