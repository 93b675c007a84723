//! The typed level (a start): `Zone` and `Recurrence` as UniFFI objects, with
//! instants as the custom type `Timestamp` (Unix seconds on the wire; Kotlin
//! sees `java.time.Instant` through `uniffi.toml`, Swift an `Int64`).

use std::sync::Arc;

use hcas_core::{RRule, Timestamp};

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
pub struct Zone(hcas_core::Zone);

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
pub struct Recurrence(hcas_core::Recurrence);

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
}
