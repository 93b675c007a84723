//! The documented size limits (`hcas_core::id`, `docs/limits.md`): each is
//! checked, and its error says `limit_exceeded` and names the limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use hcas_core::booking::Request;
use hcas_core::id::{MAX_BUSY, MAX_POOLED_ENTRIES, MAX_RECURRENCE_DATES, MAX_RESOURCES, MAX_RULES};
use hcas_core::{
    Availability, ErrorCode, Interval, LocalTime, Minutes, SlotQuery, Timestamp, WorkingRule, Zone,
    pooled_slots, wire,
};
use serde_json::json;

fn limit(e: &hcas_core::Error, name: &str, value: usize) {
    assert_eq!(e.code(), ErrorCode::LimitExceeded, "{e}");
    assert!(
        e.message().contains(&format!("{name} = {value}")),
        "the message names the limit: {e}"
    );
}

fn all_day() -> WorkingRule {
    WorkingRule::new(
        "FREQ=DAILY".parse().unwrap(),
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        LocalTime::parse("00:00").unwrap(),
        LocalTime::parse_end("24:00").unwrap(),
    )
    .unwrap()
}

/// 400 days at a 1-minute step over many round-the-clock providers would
/// need gigabytes; the pooled answer stops at MAX_POOLED_ENTRIES.
#[test]
fn a_pooled_answer_stops_at_its_limit() {
    let utc = Zone::parse("UTC").unwrap();
    let pool: Vec<Availability> = (0..12)
        .map(|_| Availability::from_parts(utc, vec![all_day()], vec![], vec![]))
        .collect();
    let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let q = SlotQuery::new(
        from,
        from.plus_minutes(400 * 24 * 60).unwrap(),
        Minutes::new(1),
    )
    .step(Minutes::new(1));
    let e = pooled_slots(&pool, &q).unwrap_err();
    limit(&e, "MAX_POOLED_ENTRIES", MAX_POOLED_ENTRIES);
    // A clinic-sized query is far below it.
    let week = SlotQuery::new(
        from,
        from.plus_minutes(7 * 24 * 60).unwrap(),
        Minutes::new(15),
    )
    .step(Minutes::new(5));
    assert_eq!(pooled_slots(&pool, &week).unwrap().len(), 7 * 24 * 12);
}

#[test]
fn a_request_names_at_most_max_resources() {
    let t: Timestamp = "2026-05-04T09:00:00Z".parse().unwrap();
    let mut r = Request::new(
        (0..MAX_RESOURCES).map(|i| format!("room:R{i}")).collect(),
        hcas_core::Interval::new(t, t.plus_minutes(30).unwrap()).unwrap(),
    );
    assert!(r.validate().is_ok());
    r.resources.push("room:one-more".into());
    limit(&r.validate().unwrap_err(), "MAX_RESOURCES", MAX_RESOURCES);
}

#[test]
fn schedules_and_queries_are_bounded() {
    let utc = Zone::parse("UTC").unwrap();
    let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let q = SlotQuery::new(from, from.plus_minutes(24 * 60).unwrap(), Minutes::new(30));
    let many = Availability::from_parts(utc, vec![all_day(); MAX_RULES + 1], vec![], vec![]);
    limit(&many.slots(&q).unwrap_err(), "MAX_RULES", MAX_RULES);
    let busy: Vec<Interval> = (0..=MAX_BUSY as i64)
        .map(|i| {
            let s = from.plus_minutes(2 * i).unwrap();
            Interval::new(s, s.plus_minutes(1).unwrap()).unwrap()
        })
        .collect();
    let busy = Availability::from_parts(utc, vec![all_day()], vec![], busy);
    limit(&busy.slots(&q).unwrap_err(), "MAX_BUSY", MAX_BUSY);
    // The wire checks before parsing.
    let rdates: Vec<String> = (0..=MAX_RECURRENCE_DATES)
        .map(|_| "2026-01-01T09:00".to_string())
        .collect();
    let e = wire::evaluate(
        "recurrence",
        &json!({
            "rrule": "FREQ=DAILY;COUNT=1", "dtstart": "2026-01-01T09:00", "timezone": "UTC",
            "rdates": rdates, "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"
        }),
    )
    .unwrap_err();
    limit(&e, "MAX_RECURRENCE_DATES", MAX_RECURRENCE_DATES);
}
