//! The typed level (a start): `Zone`, `Recurrence` and `Availability` as
//! UniFFI objects, with
//! instants as the custom type `Timestamp` (Unix seconds on the wire; Kotlin
//! sees `java.time.Instant` through `uniffi.toml`, Swift an `Int64`).

use std::sync::Arc;

use hcas_core::{Interval, Minutes, RRule, SlotQuery, Timestamp};

use crate::HcasError;

// `hcas_core::Timestamp` crosses the FFI as its Unix seconds. A foreign value
// outside the years 0001-9999 cannot be lifted; UniFFI reports that as an
// unexpected error rather than `HcasError` (its custom types cannot choose
// the error type).
uniffi::custom_type!(Timestamp, i64, {
    remote,
    lower: |t| t.unix(),
    try_lift: |secs| Ok(Timestamp::from_unix(secs)?),
});

/// An IANA time zone the engine knows (`Europe/Berlin`, `UTC`).
#[derive(Debug, uniffi::Object)]
pub struct Zone(pub(crate) hcas_core::Zone);

#[uniffi::export]
impl Zone {
    /// The zone named `name`.
    ///
    /// # Errors
    /// `invalid_timezone` when the engine does not know the name.
    #[uniffi::constructor]
    pub fn new(name: String) -> Result<Arc<Self>, HcasError> {
        Ok(Arc::new(Self(hcas_core::Zone::parse(&name)?)))
    }

    /// The IANA name.
    pub fn name(&self) -> String {
        self.0.name().to_string()
    }
}

/// An RFC 5545 recurrence: a rule repeating a local wall time in a zone.
#[derive(Debug, uniffi::Object)]
pub struct Recurrence(pub(crate) hcas_core::Recurrence);

#[uniffi::export]
impl Recurrence {
    /// `rrule` (RRULE text, `RRULE:` prefix optional) from the local
    /// datetime `dtstart` (`2026-03-28T09:00`) in `zone`.
    ///
    /// # Errors
    /// `invalid_rrule` for the rule, `invalid_datetime` for `dtstart`.
    #[uniffi::constructor]
    pub fn new(rrule: String, dtstart: String, zone: Arc<Zone>) -> Result<Arc<Self>, HcasError> {
        let rule = RRule::parse(&rrule).map_err(|e| e.at("rrule"))?;
        let start = hcas_core::time::parse_local_datetime(&dtstart).map_err(|e| e.at("dtstart"))?;
        Ok(Arc::new(Self(hcas_core::Recurrence::new(
            rule, start, zone.0,
        ))))
    }

    /// Every occurrence `t` with `from <= t < to`, ascending, at most
    /// `limit` of them.
    ///
    /// # Errors
    /// `invalid_interval` when `to <= from`; `invalid_window` for a window or
    /// an answer beyond the engine's limits (`docs/limits.md`).
    pub fn between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: Option<u32>,
    ) -> Result<Vec<Timestamp>, HcasError> {
        let limit = limit.map(|n| n as usize);
        Ok(self.0.between(from, to, limit)?)
    }
}

/// One working rule in the wire form of `docs/vectors.md`: days from the
/// RRULE repeated from the local date `dtstart`, open from `start` to `end`
/// (local times, `09:00`; `end` may be `24:00`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkingHours {
    /// RRULE text of the days (FREQ=DAILY or coarser).
    pub rrule: String,
    /// First local date (`2026-03-23`).
    pub dtstart: String,
    /// Local opening time.
    pub start: String,
    /// Local closing time.
    pub end: String,
}

/// A busy interval `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Busy {
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
}

/// A provider's availability: working rules in a zone minus busy time.
#[derive(Debug, uniffi::Object)]
pub struct Availability(pub(crate) hcas_core::Availability);

#[uniffi::export]
impl Availability {
    /// Availability in `zone` from working rules and busy intervals.
    ///
    /// # Errors
    /// The rules' codes (`invalid_rrule`, `invalid_datetime`, ...),
    /// `invalid_interval` for a busy interval that does not end after it
    /// starts, `limit_exceeded` beyond the documented counts.
    #[uniffi::constructor]
    pub fn new(
        zone: Arc<Zone>,
        rules: Vec<WorkingHours>,
        busy: Vec<Busy>,
    ) -> Result<Arc<Self>, HcasError> {
        let specs: Vec<_> = rules
            .into_iter()
            .map(|r| hcas_core::wire::RuleSpec::new(r.rrule, r.dtstart, r.start, r.end))
            .collect();
        let rules = hcas_core::wire::parse_rules(&specs)?;
        let busy = busy
            .iter()
            .enumerate()
            .map(|(i, b)| Interval::new(b.start, b.end).map_err(|e| e.at(&format!("busy[{i}]"))))
            .collect::<hcas_core::Result<Vec<_>>>()?;
        let avail = hcas_core::Availability::from_parts(zone.0, rules, Vec::new(), busy);
        avail.check_limits()?;
        Ok(Arc::new(Self(avail)))
    }

    /// The bookable starts `s` with `from <= s < to` for appointments of
    /// `duration_minutes`, on a grid of `step_minutes` (default: the
    /// duration), ascending (`docs/vectors.md`, kind `slots`).
    ///
    /// # Errors
    /// `invalid_duration`, `invalid_interval`, `invalid_window` for the query.
    pub fn slots(
        &self,
        from: Timestamp,
        to: Timestamp,
        duration_minutes: u32,
        step_minutes: Option<u32>,
    ) -> Result<Vec<Timestamp>, HcasError> {
        let mut query = SlotQuery::new(from, to, Minutes::new(i64::from(duration_minutes)));
        query.step = step_minutes.map(|s| Minutes::new(i64::from(s)));
        Ok(self.0.slots(&query)?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn between_answers_the_engines_instants() {
        let zone = Zone::new("Europe/Berlin".into()).unwrap();
        assert_eq!(zone.name(), "Europe/Berlin");
        let rec =
            Recurrence::new("FREQ=DAILY;COUNT=2".into(), "2026-03-28T09:00".into(), zone).unwrap();
        let from = Timestamp::parse("2026-03-01T00:00:00Z").unwrap();
        let to = Timestamp::parse("2026-04-01T00:00:00Z").unwrap();
        // 09:00 CET is 08:00Z; after the change on 2026-03-29, 09:00 CEST is 07:00Z.
        let want =
            ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"].map(|t| Timestamp::parse(t).unwrap());
        assert_eq!(rec.between(from, to, None).unwrap(), want);
        let e = rec.between(to, from, None).unwrap_err();
        assert_eq!(e.code(), "invalid_interval");
        let e = Zone::new("Mars/Olympus_Mons".into()).unwrap_err();
        assert!(matches!(e, HcasError::InvalidTimezone { .. }));
    }

    #[test]
    fn slots_are_the_engines() {
        let t = |s: &str| Timestamp::parse(s).unwrap();
        let zone = Zone::new("UTC".into()).unwrap();
        let hours = WorkingHours {
            rrule: "FREQ=DAILY".into(),
            dtstart: "2026-06-01".into(),
            start: "09:00".into(),
            end: "11:00".into(),
        };
        let busy = Busy {
            start: t("2026-06-01T09:00:00Z"),
            end: t("2026-06-01T10:00:00Z"),
        };
        let avail = Availability::new(zone.clone(), vec![hours.clone()], vec![busy]).unwrap();
        // 09:00-11:00 UTC with 09:00-10:00 busy: one hour slot at 10:00.
        let got = avail.slots(
            t("2026-06-01T00:00:00Z"),
            t("2026-06-02T00:00:00Z"),
            60,
            None,
        );
        assert_eq!(got.unwrap(), [t("2026-06-01T10:00:00Z")]);
        let e = avail.slots(
            t("2026-06-01T00:00:00Z"),
            t("2026-06-02T00:00:00Z"),
            0,
            None,
        );
        assert_eq!(e.unwrap_err().code(), "invalid_duration");
        let bad = WorkingHours {
            end: "25:00".into(),
            ..hours
        };
        assert!(Availability::new(zone, vec![bad], vec![]).is_err());
    }
}
