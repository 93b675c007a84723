use super::*;

fn iv(a: i64, b: i64) -> Interval {
    Interval::new(Timestamp(a), Timestamp(b)).unwrap()
}

#[test]
fn parse_instants_strictly() {
    assert_eq!(
        Timestamp::parse("2026-03-08T09:00:00-05:00")
            .unwrap()
            .to_string(),
        "2026-03-08T14:00:00Z"
    );
    assert!(Timestamp::parse("2026-03-08T09:00:00.000Z").is_ok());
    for bad in [
        "2026-03-08T09:00:00",
        "2026-03-08",
        "2026-02-30T00:00:00Z",
        "2026-03-08T09:00:00.5Z",
        "",
    ] {
        assert_eq!(
            Timestamp::parse(bad).unwrap_err().code(),
            crate::ErrorCode::InvalidDatetime,
            "{bad}"
        );
    }
}

#[test]
fn parse_local_values() {
    assert!(parse_local_date("2024-02-29").is_ok());
    for bad in [
        "2026-02-29",
        "2026-3-08",
        "20260308",
        "2026-13-01",
        "0000-01-01",
    ] {
        assert!(parse_local_date(bad).is_err(), "{bad}");
    }
    assert_eq!(LocalTime::parse_end("24:00").unwrap().seconds(), 86_400);
    assert!(LocalTime::parse("24:00").is_err());
    assert!(LocalTime::parse("24:00:00").is_err());
    assert!(LocalTime::parse_end("24:01").is_err());
    assert!(LocalTime::parse_end("24:00:01").is_err());
    assert!(LocalTime::parse_end("25:00").is_err());
    assert_eq!(LocalTime::parse("09:30:15").unwrap().seconds(), 34_215);
    assert_eq!(LocalTime::parse_end("09:30:15").unwrap().seconds(), 34_215);
    assert!(parse_local_datetime("2026-03-02T09:00").is_ok());
    assert!(parse_local_datetime("2026-03-02T09:00Z").is_err());
    assert!(parse_local_datetime("2026-03-02T24:00").is_err());
}

#[test]
fn from_unix_checks_the_range_like_parse() {
    let min = Timestamp::parse("0001-01-01T00:00:00Z").unwrap();
    let max = Timestamp::parse("9999-12-31T23:59:59Z").unwrap();
    assert_eq!((Timestamp::MIN, Timestamp::MAX), (min, max));
    assert_eq!(Timestamp::from_unix(min.unix()).unwrap(), min);
    assert_eq!(Timestamp::from_unix(max.unix()).unwrap(), max);
    for bad in [
        min.unix() - 1,
        max.unix() + 1,
        i64::MIN,
        i64::MAX,
        i64::MIN / 2,
    ] {
        let e = Timestamp::from_unix(bad).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidDatetime, "{bad}");
        assert!(e.message().contains("0001-9999"), "{e}");
    }
    assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01T00:00:00Z");
}

#[test]
fn arithmetic_that_leaves_the_range_is_an_error() {
    let max = Timestamp::MAX;
    assert_eq!(
        max.plus_minutes(1).unwrap_err().code(),
        crate::ErrorCode::InvalidDatetime
    );
    assert!(Timestamp::MIN.plus_minutes(-1).is_err());
    assert!(Timestamp::MIN.plus_seconds(-1).is_err());
    assert!(Timestamp::EPOCH.plus_minutes(i64::MAX).is_err());
    assert!(Timestamp::EPOCH.plus_minutes(i64::MIN).is_err());
    assert!(max.plus_seconds(i64::MAX).is_err());
    assert_eq!(
        max.plus_minutes(-1).unwrap().to_string(),
        "9999-12-31T23:58:59Z"
    );
    let t = Timestamp::parse("2026-03-08T14:00:00Z").unwrap();
    assert_eq!(
        t.plus_minutes(90).unwrap().to_string(),
        "2026-03-08T15:30:00Z"
    );
}

#[test]
fn every_instant_prints_its_own_wall_clock() {
    // The two ends print as themselves (no 1970-01-01 fallback) and parse back.
    for t in [Timestamp::MIN, Timestamp::MAX, Timestamp::EPOCH] {
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
    }
    assert_eq!(Timestamp::MIN.to_string(), "0001-01-01T00:00:00Z");
    assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
    let far = NaiveDate::from_ymd_opt(10_000, 1, 1)
        .unwrap()
        .and_time(NaiveTime::MIN);
    assert!(Timestamp::from_naive_utc(far).is_err());
    let bad: std::result::Result<Timestamp, _> = serde_json::from_str("\"+10000-01-01T00:00:00Z\"");
    assert!(bad.is_err());
}

#[test]
fn checked_add_and_sub_take_minutes() {
    let t = Timestamp::parse("1969-12-31T23:00:00Z").unwrap();
    assert_eq!(
        t.checked_add(Minutes::hours(2)).unwrap().to_string(),
        "1970-01-01T01:00:00Z"
    );
    assert_eq!(
        t.checked_sub(Minutes::new(-60)).unwrap().to_string(),
        "1970-01-01T00:00:00Z"
    );
    assert_eq!(
        t.checked_sub(Minutes::days(1)).unwrap().to_string(),
        "1969-12-30T23:00:00Z"
    );
    for bad in [
        Timestamp::MAX.checked_add(Minutes::new(1)),
        Timestamp::MIN.checked_sub(Minutes::new(1)),
        t.checked_sub(Minutes::new(i64::MIN)),
        t.checked_add(Minutes::new(i64::MAX)),
    ] {
        assert_eq!(bad.unwrap_err().code(), crate::ErrorCode::InvalidDatetime);
    }
    assert_eq!(
        (Timestamp::MAX - Timestamp::MIN).num_seconds(),
        MAX_UNIX - MIN_UNIX
    );
    assert_eq!((Timestamp::EPOCH - t).num_minutes(), 60);
    assert_eq!((t - Timestamp::EPOCH).num_seconds(), -3600);
}

#[test]
fn minutes_arithmetic_is_checked() {
    assert_eq!(Minutes::from_seconds(0).unwrap(), Minutes::ZERO);
    assert_eq!(Minutes::from_seconds(-120).unwrap(), Minutes::new(-2));
    for bad in [1, 59, -61, i64::MAX] {
        assert_eq!(
            Minutes::from_seconds(bad).unwrap_err().code(),
            crate::ErrorCode::InvalidDuration,
            "{bad}"
        );
    }
    let m = Minutes::new(40);
    assert_eq!(m.checked_add(Minutes::new(-50)).unwrap(), Minutes::new(-10));
    assert_eq!(m.checked_sub(Minutes::new(50)).unwrap(), Minutes::new(-10));
    assert_eq!(m.checked_mul(-3).unwrap(), Minutes::new(-120));
    assert!(Minutes::new(i64::MIN).checked_sub(Minutes::new(1)).is_err());
    assert!(Minutes::new(i64::MIN).checked_mul(-1).is_err());
    assert!(Minutes::new(i64::MAX).checked_add(Minutes::new(1)).is_err());
}

#[test]
fn chrono_conversions_round_trip_and_check_the_range() {
    use chrono::{FixedOffset, TimeZone};
    for t in [
        Timestamp::MIN,
        Timestamp::MAX,
        Timestamp::EPOCH,
        Timestamp::parse("1900-02-28T13:14:15Z").unwrap(),
    ] {
        let dt: DateTime<Utc> = t.into();
        assert_eq!(dt.timestamp(), t.unix());
        assert_eq!(Timestamp::try_from(dt).unwrap(), t);
    }
    // Any offset: the instant it names.
    let east = FixedOffset::east_opt(5 * 3600 + 45 * 60).unwrap();
    let k = east.with_ymd_and_hms(1960, 6, 1, 9, 0, 0).unwrap();
    assert_eq!(
        Timestamp::try_from(k).unwrap().to_string(),
        "1960-06-01T03:15:00Z"
    );
    // A local wall clock inside 0001-9999 can still name an instant outside it.
    let west = FixedOffset::west_opt(5 * 3600).unwrap();
    let late = west.with_ymd_and_hms(9999, 12, 31, 23, 0, 0).unwrap();
    let early = east.with_ymd_and_hms(1, 1, 1, 0, 30, 0).unwrap();
    for bad in [Timestamp::try_from(late), Timestamp::try_from(early)] {
        assert_eq!(bad.unwrap_err().code(), crate::ErrorCode::InvalidDatetime);
    }
    // Sub-second parts fall to the second that contains them, before 1970 too.
    let frac = DateTime::from_timestamp(10, 999_999_999).unwrap();
    assert_eq!(Timestamp::try_from(frac).unwrap().unix(), 10);
    let before = DateTime::from_timestamp(-1, 500_000_000).unwrap(); // -0.5 s
    assert_eq!(Timestamp::try_from(before).unwrap().unix(), -1);
}

#[test]
fn system_time_conversions_round_trip_and_check_the_range() {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    for t in [
        Timestamp::MIN,
        Timestamp::MAX,
        Timestamp::EPOCH,
        Timestamp::parse("1969-07-20T20:17:40Z").unwrap(),
    ] {
        let st = SystemTime::try_from(t).unwrap();
        assert_eq!(Timestamp::try_from(st).unwrap(), t);
    }
    let pre = Timestamp::parse("1969-12-31T23:59:00Z").unwrap();
    assert_eq!(
        SystemTime::try_from(pre).unwrap(),
        UNIX_EPOCH - Duration::from_secs(60)
    );
    // Truncated to the containing second, towards the past.
    let frac = UNIX_EPOCH + Duration::new(3, 1);
    assert_eq!(Timestamp::try_from(frac).unwrap().unix(), 3);
    let neg = UNIX_EPOCH - Duration::new(3, 1);
    assert_eq!(Timestamp::try_from(neg).unwrap().unix(), -4);
    let exact_neg = UNIX_EPOCH - Duration::from_secs(3);
    assert_eq!(Timestamp::try_from(exact_neg).unwrap().unix(), -3);
    let after_max = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
    let before_min = UNIX_EPOCH - Duration::from_secs(62_135_596_801);
    for bad in [after_max, before_min] {
        assert_eq!(
            Timestamp::try_from(bad).unwrap_err().code(),
            crate::ErrorCode::InvalidDatetime
        );
    }
    // The last fraction of the last second is still in range.
    let last = UNIX_EPOCH + Duration::new(253_402_300_799, 999_999_999);
    assert_eq!(Timestamp::try_from(last).unwrap(), Timestamp::MAX);
}

#[cfg(feature = "jiff")]
#[test]
fn jiff_conversions_round_trip_and_check_the_range() {
    for t in [
        Timestamp::MIN,
        Timestamp::EPOCH,
        Timestamp::parse("1969-07-20T20:17:40Z").unwrap(),
        Timestamp::parse("9999-12-30T22:00:00Z").unwrap(),
    ] {
        let j = jiff::Timestamp::try_from(t).unwrap();
        assert_eq!(j.as_second(), t.unix());
        assert_eq!(Timestamp::try_from(j).unwrap(), t);
    }
    // jiff stops short of 9999-12-31T23:59:59Z.
    for t in [
        Timestamp::MAX,
        Timestamp::parse("9999-12-30T22:00:01Z").unwrap(),
    ] {
        assert_eq!(
            jiff::Timestamp::try_from(t).unwrap_err().code(),
            crate::ErrorCode::InvalidDatetime
        );
    }
    // Truncated to the containing second, towards the past.
    let frac = jiff::Timestamp::new(7, 250_000_000).unwrap();
    assert_eq!(Timestamp::try_from(frac).unwrap().unix(), 7);
    let neg = jiff::Timestamp::new(-7, -250_000_000).unwrap();
    assert_eq!(Timestamp::try_from(neg).unwrap().unix(), -8);
    // Outside 0001-9999, which jiff can hold.
    for bad in [
        jiff::Timestamp::from_second(MIN_UNIX - 1).unwrap(),
        jiff::Timestamp::MIN,
    ] {
        assert_eq!(
            Timestamp::try_from(bad).unwrap_err().code(),
            crate::ErrorCode::InvalidDatetime
        );
    }
}

#[test]
fn local_times_are_built_checked_and_read_back() {
    let t = LocalTime::from_hms(23, 59, 59).unwrap();
    assert_eq!((t.hour(), t.minute(), t.second()), (23, 59, 59));
    assert_eq!(t.seconds(), 86_399);
    assert_eq!(t.to_string(), "23:59:59");
    assert_eq!(LocalTime::new(0, 0).unwrap(), LocalTime::MIDNIGHT);
    for (h, m, s) in [(24, 0, 0), (23, 60, 0), (0, 0, 60), (25, 0, 0)] {
        assert_eq!(
            LocalTime::from_hms(h, m, s).unwrap_err().code(),
            crate::ErrorCode::InvalidDatetime
        );
    }
    assert!(
        LocalTime::new(24, 0)
            .unwrap_err()
            .message()
            .contains("MIDNIGHT_END")
    );
    let end = LocalTime::MIDNIGHT_END;
    assert_eq!((end.hour(), end.minute(), end.second()), (24, 0, 0));
    assert!(end.is_end_of_day() && !LocalTime::MIDNIGHT.is_end_of_day());
    assert_eq!(end.to_string(), "24:00");
    assert_eq!(end.to_naive_time(), None);
    assert_eq!(t.to_naive_time(), NaiveTime::from_hms_opt(23, 59, 59));
    assert_eq!(
        "07:05".parse::<LocalTime>().unwrap(),
        LocalTime::new(7, 5).unwrap()
    );
    assert!("24:00".parse::<LocalTime>().is_err());
    let nt = NaiveTime::from_hms_opt(7, 5, 9).unwrap();
    assert_eq!(
        LocalTime::try_from(nt).unwrap(),
        LocalTime::from_hms(7, 5, 9).unwrap()
    );
    let leap = NaiveTime::from_hms_milli_opt(23, 59, 59, 1_500).unwrap();
    assert!(LocalTime::try_from(leap).is_err());
    // The wire accepts 24:00 (a window's end); the window checks its start.
    let back: LocalTime = serde_json::from_str("\"24:00\"").unwrap();
    assert_eq!(back, end);
}

#[test]
fn set_operations() {
    let a = IntervalSet::from_intervals([iv(0, 10), iv(10, 20), iv(30, 40), iv(5, 8)]);
    assert_eq!(a.intervals(), &[iv(0, 20), iv(30, 40)]);
    let b = IntervalSet::from_intervals([iv(15, 35)]);
    assert_eq!(a.union(&b).intervals(), &[iv(0, 40)]);
    assert_eq!(a.intersection(&b).intervals(), &[iv(15, 20), iv(30, 35)]);
    assert_eq!(a.subtract(&b).intervals(), &[iv(0, 15), iv(35, 40)]);
    assert!(a.contains(Timestamp(0)) && !a.contains(Timestamp(20)) && a.contains(Timestamp(39)));
    assert!(!a.overlaps(&iv(20, 30)) && a.overlaps(&iv(19, 30)));
}

#[test]
fn display_is_chronos_iso_pattern_across_the_range() {
    // The oracle is chrono's own `%Y-%m-%dT%H:%M:%SZ`, which Display used to
    // call: the same text at both ends, around 1970, in years of fewer than
    // four digits, and at a spread of instants that steps through every field.
    let oracle = |t: Timestamp| t.naive_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut samples = vec![
        Timestamp::MIN,
        Timestamp::MAX,
        Timestamp::EPOCH,
        Timestamp(-1),
        Timestamp(1),
    ];
    let (lo, hi) = (Timestamp::MIN.0, Timestamp::MAX.0);
    let step = (hi - lo) / 100_003; // prime count: seconds, minutes, hours all vary
    samples.extend((0..100_003).map(|i| Timestamp(lo + i * step + i % 86_400)));
    samples.extend(
        [
            "0009-02-03T04:05:06Z",
            "0999-12-31T23:59:59Z",
            "2026-03-08T07:00:00Z",
        ]
        .map(|s| Timestamp::parse(s).unwrap()),
    );
    for t in samples {
        assert_eq!(t.to_string(), oracle(t), "{}", t.0);
    }
}
