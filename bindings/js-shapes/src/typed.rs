//! The typed level's arguments: a recurrence from its RRULE text, local
//! start, zone and local exception lists; an availability from a zone name,
//! the rules and overrides as JSON text (the wire shapes of
//! `docs/vectors.md`) and busy time as a flat list of instants, start and
//! end by turns.

use hcas_core::recurrence::parse_local_list;
use hcas_core::time::parse_local_datetime;
use hcas_core::wire::{OverrideSpec, RuleSpec, parse_overrides, parse_rules};
use hcas_core::{
    Availability, Error, ErrorCode, Interval, RRule, Recurrence, Result, Timestamp, Zone,
};

use crate::text::shaped;

/// The engine's recurrence of `rrule` from the local wall time `dtstart`
/// in `zone`, without the local starts `exdates` and with `rdates`, each
/// argument checked in that order and named in the error.
pub fn recurrence(
    rrule: &str,
    dtstart: &str,
    zone: &str,
    exdates: &[String],
    rdates: &[String],
) -> Result<Recurrence> {
    let rule = RRule::parse(rrule).map_err(|e| e.at("rrule"))?;
    let start = parse_local_datetime(dtstart).map_err(|e| e.at("dtstart"))?;
    let zone = Zone::parse(zone).map_err(|e| e.at("zone"))?;
    let exdates = parse_local_list("exdates", exdates)?;
    let rdates = parse_local_list("rdates", rdates)?;
    Recurrence::new(rule, start, zone)
        .with_exdates(exdates)
        .and_then(|r| r.with_rdates(rdates))
}

/// The engine's availability of `zone`, `rules_json`, `overrides_json` and
/// `busy` (`[start0, end0, start1, end1, ...]`, each read by `instant` as
/// the binding takes an instant, named `busy[i].start` / `busy[i].end`),
/// checked in that order; `err` maps this crate's errors to the caller's.
pub fn availability<A, E>(
    zone: &str,
    rules_json: &str,
    overrides_json: &str,
    busy: &[A],
    instant: impl Fn(&A, &str) -> std::result::Result<Timestamp, E>,
    err: impl Fn(Error) -> E,
) -> std::result::Result<Availability, E> {
    let zone = Zone::parse(zone).map_err(|e| err(e.at("zone")))?;
    let rules: Vec<RuleSpec> = shaped(rules_json, "rules").map_err(&err)?;
    let overrides: Vec<OverrideSpec> = shaped(overrides_json, "overrides").map_err(&err)?;
    let rules = parse_rules(&rules).map_err(&err)?;
    let overrides = parse_overrides(&overrides).map_err(&err)?;
    hcas_core::id::check_count("busy", busy.len() / 2, "MAX_BUSY", hcas_core::id::MAX_BUSY)
        .map_err(&err)?;
    let mut intervals = Vec::with_capacity(busy.len() / 2);
    for (i, pair) in busy.chunks(2).enumerate() {
        let [s, e] = pair else {
            return Err(err(Error::new(
                ErrorCode::InvalidRequest,
                format!("busy[{i}]: an interval needs a start and an end"),
            )));
        };
        let s = instant(s, &format!("busy[{i}].start"))?;
        let e = instant(e, &format!("busy[{i}].end"))?;
        intervals.push(Interval::new(s, e).map_err(|e| err(e.at(&format!("busy[{i}]"))))?);
    }
    Ok(Availability::from_parts(zone, rules, overrides, intervals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::instant_text;

    fn text(v: &&str, name: &str) -> Result<Timestamp> {
        instant_text(v, name)
    }

    const RULES: &str = r#"[{"rrule":"FREQ=WEEKLY;BYDAY=MO","dtstart":"2026-01-05","start":"09:00","end":"12:00"}]"#;

    #[test]
    fn busy_comes_in_pairs_named_by_place() {
        let odd = availability("UTC", RULES, "[]", &["2026-03-09T09:00:00Z"], text, |e| e).err();
        assert_eq!(
            odd.map(|e| e.message().to_string()).as_deref(),
            Some("busy[0]: an interval needs a start and an end")
        );
        let bad = availability(
            "UTC",
            RULES,
            "[]",
            &[
                "2026-03-09T09:00:00Z",
                "2026-03-09T10:00:00Z",
                "2026-03-09T11:00:00Z",
                "noon",
            ],
            text,
            |e| e,
        )
        .err();
        assert!(bad.is_some_and(|e| e.message().starts_with("busy[1].end")));
        // An end before its start names the pair.
        let back = availability(
            "UTC",
            RULES,
            "[]",
            &["2026-03-09T10:00:00Z", "2026-03-09T09:00:00Z"],
            text,
            |e| e,
        )
        .err();
        assert!(back.is_some_and(|e| e.message().starts_with("busy[0]")));
    }

    #[test]
    fn a_recurrence_names_its_bad_argument() -> Result<()> {
        let none: &[String] = &[];
        let r = recurrence(
            "FREQ=DAILY;COUNT=2",
            "2026-03-09T09:00",
            "Europe/London",
            none,
            none,
        )?;
        assert_eq!(r.rule().to_string(), "FREQ=DAILY;COUNT=2");
        let rule = recurrence("FREQ=SOMETIMES", "2026-03-09T09:00", "UTC", none, none).err();
        assert!(rule.is_some_and(|e| e.message().starts_with("rrule")));
        let start = recurrence("FREQ=DAILY", "tomorrow", "UTC", none, none).err();
        assert!(start.is_some_and(|e| e.message().starts_with("dtstart")));
        let zone = recurrence("FREQ=DAILY", "2026-03-09T09:00", "Nowhere/City", none, none).err();
        assert!(zone.is_some_and(|e| e.message().starts_with("zone")));
        let ex = recurrence(
            "FREQ=DAILY",
            "2026-03-09T09:00",
            "UTC",
            &["x".to_string()],
            none,
        )
        .err();
        assert!(ex.is_some_and(|e| e.message().starts_with("exdates")));
        Ok(())
    }

    #[test]
    fn zone_and_json_are_checked_first() {
        let zone = availability("Mars/Olympus", RULES, "[]", &[] as &[&str], text, |e| e).err();
        assert!(zone.is_some_and(|e| e.message().starts_with("zone")));
        let rules = availability("UTC", "{", "[]", &[] as &[&str], text, |e| e).err();
        assert!(rules.is_some_and(|e| e.message().starts_with("rules is not JSON text")));
        assert!(availability("Europe/London", RULES, "[]", &[] as &[&str], text, |e| e).is_ok());
    }
}
