//! The README's run command: the next week's slots for a sample clinic.
//!
//! `cargo run -p hcas-core --example clinic_week` prints, for three doctors of
//! a New York clinic, the 30-minute starts of the next seven days, pooled
//! ("any doctor"): each start with the doctors free at it. This example is an
//! edge, so it may read the clock; the engine itself never does.

#![allow(clippy::expect_used)]

use chrono::NaiveDate;
use hcas_core::{
    Availability, DateOverride, Interval, LocalTime, LocalWindow, SlotQuery, Timestamp,
    WorkingRule, Zone, pooled_slots,
};

fn t(s: &str) -> LocalTime {
    LocalTime::parse(s, true).expect("valid local time")
}

fn rule(rrule: &str, start: &str, end: &str) -> WorkingRule {
    WorkingRule::new(
        rrule.parse().expect("valid rule"),
        NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"),
        t(start),
        t(end),
    )
    .expect("valid working rule")
}

#[allow(clippy::print_stdout, clippy::disallowed_methods)]
fn main() -> Result<(), hcas_core::Error> {
    let zone = Zone::parse("America/New_York")?;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let now = Timestamp::from_unix(secs - secs % 60)?;
    let week_later = now.plus_minutes(7 * 24 * 60)?;
    let tomorrow = zone.to_local(now).date() + chrono::TimeDelta::days(1);

    let names = [
        "Dr. Adams (family medicine)",
        "Dr. Baker (family medicine)",
        "Dr. Chen (family medicine)",
    ];
    let doctors = vec![
        Availability::new(
            zone,
            vec![
                rule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "09:00", "12:00"),
                rule("FREQ=WEEKLY;BYDAY=MO,WE", "13:00", "17:00"),
            ],
            vec![],
            vec![Interval::new(
                now.plus_minutes(24 * 60)?,
                now.plus_minutes(24 * 60 + 45)?,
            )?],
        ),
        Availability::new(
            zone,
            vec![rule("FREQ=WEEKLY;BYDAY=TU,TH,SA", "10:00", "16:00")],
            vec![DateOverride {
                date: tomorrow,
                windows: vec![LocalWindow::new(t("08:00"), t("10:00"))?],
            }],
            vec![],
        ),
        Availability::new(
            zone,
            vec![rule("FREQ=DAILY", "18:00", "22:00")],
            vec![],
            vec![],
        ),
    ];
    let mut query = SlotQuery::new(now, week_later, 30);
    query.now = Some(now);
    query.min_notice = 120;
    query.buffer_after = 5;

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
