use super::*;
use crate::ErrorCode;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn lt(s: &str) -> LocalTime {
    LocalTime::parse_end(s).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn slot_query_setters_fill_every_field_and_keep_the_wire_shape() {
    let q = SlotQuery::new(
        t("2026-03-02T00:00:00Z"),
        t("2026-03-09T00:00:00Z"),
        Minutes::new(30),
    );
    assert_eq!((q.step, q.now, q.horizon), (None, None, None));
    assert_eq!(q.effective_step(), Minutes::new(30));
    let q = q
        .step(Minutes::new(10))
        .buffers(Minutes::new(5), Minutes::new(7))
        .now(t("2026-03-01T12:00:00Z"))
        .notice(Minutes::new(90))
        .horizon(Minutes::days(3));
    assert_eq!(q.step, Some(Minutes::new(10)));
    assert_eq!(
        (q.buffer_before, q.buffer_after),
        (Minutes::new(5), Minutes::new(7))
    );
    assert_eq!(q.now, Some(t("2026-03-01T12:00:00Z")));
    assert_eq!(q.min_notice, Minutes::new(90));
    assert_eq!(q.horizon, Some(Minutes::new(4320)));
    assert_eq!(q.effective_step(), Minutes::new(10));
    // Integers of minutes on the wire, as before `Minutes`.
    let wire = serde_json::json!({
        "from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z", "duration": 30,
        "step": 10, "buffer_before": 5, "buffer_after": 7, "now": "2026-03-01T12:00:00Z",
        "min_notice": 90, "horizon": 4320
    });
    assert_eq!(serde_json::to_value(q).unwrap(), wire);
    assert_eq!(serde_json::from_value::<SlotQuery>(wire).unwrap(), q);
}

#[test]
fn slot_query_refusals_keep_their_codes_and_messages() {
    let base = serde_json::json!({
        "from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z", "duration": 30
    });
    let with = |k: &str, v: serde_json::Value| {
        let mut d = base.clone();
        d[k] = v;
        serde_json::from_value::<SlotQuery>(d)
            .unwrap_err()
            .to_string()
    };
    let e = with("step", 0.into());
    assert!(
        e.contains("invalid_duration: query.step must be a positive number of minutes"),
        "{e}"
    );
    assert!(e.contains("got 0"), "{e}");
    let e = with("buffer_after", (-1).into());
    assert!(
        e.contains("query.buffer_after") && e.contains("got -1"),
        "{e}"
    );
    assert!(with("duration", 1.5.into()).contains("invalid type"));
    assert!(with("extra", 1.into()).contains("unknown field"));
    let q = SlotQuery::new(
        t("2026-03-02T00:00:00Z"),
        t("2026-03-03T00:00:00Z"),
        Minutes::new(30),
    );
    let e = q.horizon(Minutes::new(-1)).validate().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidDuration);
    let e = q.step(Minutes::ZERO).validate().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidDuration);
}

#[test]
fn weekly_and_daily_rules_write_the_rrule() {
    let from = date(2026, 1, 5);
    let r = WorkingRule::weekly(
        [Weekday::Fri, Weekday::Mon, Weekday::Fri],
        lt("08:00"),
        lt("24:00"),
        from,
    )
    .unwrap();
    assert_eq!(r.rrule().to_string(), "FREQ=WEEKLY;BYDAY=MO,FR");
    assert_eq!(r.dtstart(), from);
    assert_eq!(r.window(), LocalWindow::parse("08:00", "24:00").unwrap());
    assert_eq!(
        r,
        WorkingRule::new(
            "FREQ=WEEKLY;BYDAY=MO,FR".parse().unwrap(),
            from,
            lt("08:00"),
            lt("24:00")
        )
        .unwrap()
    );
    let none: [Weekday; 0] = [];
    let e = WorkingRule::weekly(none, lt("08:00"), lt("09:00"), from).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRrule);
    let e = WorkingRule::weekly([Weekday::Sun], lt("24:00"), lt("09:00"), from).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidDatetime);
    let d = WorkingRule::daily(lt("22:00"), lt("06:00"), from).unwrap();
    assert_eq!(d.rrule().to_string(), "FREQ=DAILY");
    assert!(d.window().crosses_midnight());
    assert!(!r.window().crosses_midnight());
}

#[test]
fn working_rules_round_trip_and_refuse_what_new_refuses() {
    let r =
        WorkingRule::weekly([Weekday::Tue], lt("09:00"), lt("12:30"), date(2026, 2, 3)).unwrap();
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"rrule": "FREQ=WEEKLY;BYDAY=TU", "dtstart": "2026-02-03",
                           "window": {"start": "09:00", "end": "12:30"}})
    );
    assert_eq!(serde_json::from_value::<WorkingRule>(json).unwrap(), r);
    for (bad, why) in [
        (
            r#"{"rrule":"FREQ=HOURLY","dtstart":"2026-02-03","window":{"start":"09:00","end":"10:00"}}"#,
            "invalid_rrule",
        ),
        (
            r#"{"rrule":"FREQ=DAILY;BYHOUR=9","dtstart":"2026-02-03","window":{"start":"09:00","end":"10:00"}}"#,
            "invalid_rrule",
        ),
        (
            r#"{"rrule":"FREQ=DAILY","dtstart":"2026-02-03","window":{"start":"24:00","end":"10:00"}}"#,
            "24:00",
        ),
        (
            r#"{"rrule":"FREQ=DAILY","dtstart":"2026-02-30","window":{"start":"09:00","end":"10:00"}}"#,
            "",
        ),
        (
            r#"{"rrule":"FREQ=DAILY","dtstart":"2026-02-03","window":{"start":"09:00","end":"10:00"},"x":1}"#,
            "unknown field",
        ),
    ] {
        let e = serde_json::from_str::<WorkingRule>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

#[test]
fn date_overrides_build_read_and_round_trip() {
    let d = date(2026, 12, 25);
    let closed = DateOverride::closed(d);
    assert!(closed.is_closed() && closed.windows().is_empty());
    assert_eq!(closed.date(), d);
    let w = LocalWindow::parse("10:00", "14:00").unwrap();
    let short = DateOverride::hours(d, [w]);
    assert!(!short.is_closed());
    assert_eq!(short.windows(), [w]);
    for o in [closed, short] {
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<DateOverride>(&json).unwrap(), o);
    }
    for bad in [
        r#"{"date":"2026-12-25","windows":[{"start":"24:00","end":"10:00"}]}"#,
        r#"{"date":"2026-12-25","windows":[],"x":1}"#,
        r#"{"date":"2026-12-25"}"#,
    ] {
        assert!(serde_json::from_str::<DateOverride>(bad).is_err(), "{bad}");
    }
}

#[test]
fn local_window_getters_and_parse() {
    let w = LocalWindow::parse("22:00", "06:00:30").unwrap();
    assert_eq!((w.start(), w.end()), (lt("22:00"), lt("06:00:30")));
    assert!(w.crosses_midnight());
    assert!(
        !LocalWindow::parse("00:00", "24:00")
            .unwrap()
            .crosses_midnight()
    );
    assert!(LocalWindow::parse("24:00", "06:00").is_err());
    assert!(LocalWindow::parse("9:00", "10:00").is_err());
}

fn clinic() -> (Vec<WorkingRule>, Vec<DateOverride>, Vec<Interval>) {
    let rules = vec![
        WorkingRule::weekly(
            [Weekday::Mon, Weekday::Tue, Weekday::Wed],
            lt("09:00"),
            lt("13:00"),
            date(2026, 3, 2),
        )
        .unwrap(),
        WorkingRule::daily(lt("20:00"), lt("02:00"), date(2026, 3, 1)).unwrap(),
    ];
    let overrides = vec![
        DateOverride::hours(
            date(2026, 3, 4),
            [LocalWindow::parse("14:00", "15:00").unwrap()],
        ),
        DateOverride::closed(date(2026, 3, 3)),
        DateOverride::hours(
            date(2026, 3, 4),
            [LocalWindow::parse("16:00", "17:00").unwrap()],
        ),
    ];
    let busy = vec![
        Interval::parse("2026-03-02T14:00:00Z", "2026-03-02T15:00:00Z").unwrap(),
        Interval::parse("2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z").unwrap(),
    ];
    (rules, overrides, busy)
}

#[test]
fn the_builder_and_from_parts_agree() {
    let zone = Zone::parse("Europe/Paris").unwrap();
    let (rules, overrides, busy) = clinic();
    let parts = Availability::from_parts(zone, rules.clone(), overrides.clone(), busy.clone());
    let mut built = Availability::new(zone);
    for r in rules {
        built = built.with_rule(r);
    }
    for o in overrides {
        built = built.with_override(o);
    }
    let built = built
        .with_busy(busy[..1].to_vec())
        .with_busy(busy[1..].to_vec());
    assert_eq!(built, parts);
    assert_eq!(built.override_days, parts.override_days);
    assert_eq!(built.rules().len(), 2);
    let dates: Vec<NaiveDate> = built.overrides().iter().map(DateOverride::date).collect();
    assert_eq!(
        dates,
        [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 4)]
    );
    let q = SlotQuery::new(
        t("2026-03-01T00:00:00Z"),
        t("2026-03-06T00:00:00Z"),
        Minutes::new(30),
    );
    let slots = built.slots(&q).unwrap();
    assert_eq!(slots, parts.slots(&q).unwrap());
    // The rules are bound to the zone: 09:00 Paris is 08:00 UTC in March.
    assert_eq!(slots[0], t("2026-03-01T19:00:00Z"));
    assert!(slots.contains(&t("2026-03-02T08:00:00Z")));
    // 3 March is closed: only the night shift begun on 2 March runs into
    // it (until 02:00 Paris, 01:00 UTC). 4 March has only the override
    // hours, its night shift gone with it.
    let closed = Interval::parse("2026-03-03T01:00:00Z", "2026-03-04T13:00:00Z").unwrap();
    assert!(slots.contains(&t("2026-03-03T00:30:00Z")));
    assert!(!slots.iter().any(|s| closed.contains(*s)));
    assert!(!slots.contains(&t("2026-03-04T19:00:00Z")));
    assert!(slots.contains(&t("2026-03-04T13:00:00Z")));
    assert!(slots.contains(&t("2026-03-04T15:30:00Z")));
    assert!(!slots.contains(&t("2026-03-04T08:00:00Z")));
    let empty = Availability::new(zone);
    assert!(empty.slots(&q).unwrap().is_empty());
}

#[test]
fn availability_round_trips_and_checks_on_the_way_in() {
    let zone = Zone::parse("America/New_York").unwrap();
    let (rules, overrides, busy) = clinic();
    let a = Availability::from_parts(zone, rules, overrides, busy);
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["zone"], "America/New_York");
    let back: Availability = serde_json::from_value(json).unwrap();
    assert_eq!(back, a);
    let q = SlotQuery::new(
        t("2026-03-01T00:00:00Z"),
        t("2026-03-06T00:00:00Z"),
        Minutes::new(20),
    );
    assert_eq!(back.slots(&q).unwrap(), a.slots(&q).unwrap());
    let only_zone: Availability = serde_json::from_str(r#"{"zone":"UTC"}"#).unwrap();
    assert_eq!(only_zone, Availability::new(Zone::parse("UTC").unwrap()));
    for (bad, why) in [
        (r#"{"zone":"Mars/Base"}"#, "invalid_timezone"),
        (r#"{"zone":"UTC","x":[]}"#, "unknown field"),
        (r#"{"rules":[]}"#, "missing field"),
        (
            r#"{"zone":"UTC","busy":[{"start":"2026-01-01T01:00:00Z","end":"2026-01-01T00:00:00Z"}]}"#,
            "invalid_interval",
        ),
    ] {
        let e = serde_json::from_str::<Availability>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

#[test]
fn deserialising_an_availability_checks_the_limits() {
    let rule = serde_json::json!({"rrule": "FREQ=DAILY", "dtstart": "2026-01-01",
                                  "window": {"start": "09:00", "end": "10:00"}});
    let too_many = serde_json::json!({
        "zone": "UTC",
        "rules": vec![rule.clone(); crate::id::MAX_RULES + 1],
    });
    let e = serde_json::from_value::<Availability>(too_many)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("limit_exceeded") && e.contains("MAX_RULES"),
        "{e}"
    );
    let at_limit = serde_json::json!({
        "zone": "UTC",
        "rules": vec![rule; crate::id::MAX_RULES],
    });
    assert!(serde_json::from_value::<Availability>(at_limit).is_ok());
    // Busy intervals count as given, before they merge.
    let one = serde_json::json!({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"});
    let busy = serde_json::json!({
        "zone": "UTC",
        "busy": vec![one; crate::id::MAX_BUSY + 1],
    });
    let e = serde_json::from_value::<Availability>(busy)
        .unwrap_err()
        .to_string();
    assert!(e.contains("MAX_BUSY"), "{e}");
}

#[test]
fn pooled_slots_round_trip_and_refuse_broken_rows() {
    let mk = |start: &str| {
        Availability::new(Zone::parse("UTC").unwrap())
            .with_rule(WorkingRule::daily(lt(start), lt("12:00"), date(2026, 1, 1)).unwrap())
    };
    let q = SlotQuery::new(
        t("2026-01-01T00:00:00Z"),
        t("2026-01-02T00:00:00Z"),
        Minutes::new(60),
    );
    let got = pooled_slots(&[mk("10:00"), mk("09:00")], &q).unwrap();
    let json = serde_json::to_value(&got).unwrap();
    assert_eq!(json["offsets"], serde_json::json!([0, 1, 3, 5]));
    // Shared or borrowed providers, not cloned per query: the same answer.
    let shared = [
        std::sync::Arc::new(mk("10:00")),
        std::sync::Arc::new(mk("09:00")),
    ];
    assert_eq!(pooled_slots(&shared, &q).unwrap(), got);
    let (a, b) = (mk("10:00"), mk("09:00"));
    assert_eq!(pooled_slots(&[&a, &b], &q).unwrap(), got);
    assert_eq!(serde_json::from_value::<PooledSlots>(json).unwrap(), got);
    let bad = serde_json::json!({"starts": ["2026-01-01T09:00:00Z"], "offsets": [0, 2],
                                 "members": [1, 0]});
    let e = serde_json::from_value::<PooledSlots>(bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("strictly ascending"), "{e}");
}

#[test]
fn pooled_slots_take_shared_or_borrowed_providers() {
    // Provider 0 works 10:00-12:00, provider 1 09:00-12:00 (UTC), hourly
    // slots: 09:00 only 1, 10:00 and 11:00 both. The same rows whether the
    // pool holds the availabilities, references to them or `Arc`s.
    let mk = |start: &str| {
        Availability::new(Zone::parse("UTC").unwrap())
            .with_rule(WorkingRule::daily(lt(start), lt("12:00"), date(2026, 1, 1)).unwrap())
    };
    let q = SlotQuery::new(
        t("2026-01-01T00:00:00Z"),
        t("2026-01-02T00:00:00Z"),
        Minutes::new(60),
    );
    let owned = [mk("10:00"), mk("09:00")];
    let rows = |p: &PooledSlots| -> Vec<(String, Vec<u32>)> {
        p.iter().map(|(s, m)| (s.to_string(), m.to_vec())).collect()
    };
    let expected = vec![
        ("2026-01-01T09:00:00Z".to_string(), vec![1]),
        ("2026-01-01T10:00:00Z".to_string(), vec![0, 1]),
        ("2026-01-01T11:00:00Z".to_string(), vec![0, 1]),
    ];
    assert_eq!(rows(&pooled_slots(&owned, &q).unwrap()), expected);
    let borrowed: Vec<&Availability> = owned.iter().collect();
    assert_eq!(rows(&pooled_slots(&borrowed, &q).unwrap()), expected);
    let shared: Vec<std::sync::Arc<Availability>> =
        owned.iter().cloned().map(std::sync::Arc::new).collect();
    assert_eq!(rows(&pooled_slots(&shared, &q).unwrap()), expected);
}
