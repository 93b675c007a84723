//! The waitlist (`hcas_core::waitlist`) as the packages' `Waitlist`
//! answers it: instants as ISO strings in UTC, the window as
//! `windowStart` and `windowEnd`.

use hcas_core::waitlist::{Offer, WaitEntry};
use serde::Serialize;

/// A waitlist entry as the packages answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitEntryOut {
    /// Unique id in the waitlist.
    pub id: String,
    /// The patient resource.
    pub patient: String,
    /// The provider resource.
    pub provider: String,
    /// The start of the window the patient can come in, an ISO string in UTC.
    pub window_start: String,
    /// Its end, an ISO string in UTC.
    pub window_end: String,
    /// The shortest slot accepted, in minutes, or `null`.
    pub min_duration_minutes: Option<i64>,
    /// When the patient joined the list, an ISO string in UTC.
    pub created: String,
}

/// An entry as the packages answer it.
pub fn wait_entry(e: &WaitEntry) -> WaitEntryOut {
    WaitEntryOut {
        id: e.id.clone(),
        patient: e.patient.clone(),
        provider: e.provider.clone(),
        window_start: e.window.start().to_string(),
        window_end: e.window.end().to_string(),
        min_duration_minutes: e.preferences.min_duration_minutes.map(|m| m.get()),
        created: e.created.to_string(),
    }
}

/// A freed slot offered to an entry, as the packages answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferOut {
    /// The waitlist entry served.
    pub entry_id: String,
    /// Its patient resource.
    pub patient: String,
    /// The slot's start, an ISO string in UTC.
    pub start: String,
    /// The slot's end, an ISO string in UTC.
    pub end: String,
    /// When the hold on the slot lapses, an ISO string in UTC.
    pub hold_expires: String,
}

/// An offer as the packages answer it.
pub fn offer(o: Offer) -> OfferOut {
    OfferOut {
        entry_id: o.entry_id,
        patient: o.patient,
        start: o.start.to_string(),
        end: o.end.to_string(),
        hold_expires: o.hold_expires.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcas_core::waitlist::Preferences;
    use hcas_core::{Interval, Minutes, Result, Timestamp};

    #[test]
    fn an_entry_names_its_window_and_instants_in_utc() -> Result<()> {
        // 2026-03-09 is day 20_521 after the epoch.
        let day = 20_521 * 86_400;
        let window = Interval::new(
            Timestamp::from_unix(day + 8 * 3_600)?,
            Timestamp::from_unix(day + 12 * 3_600)?,
        )?;
        let e = WaitEntry::builder("w1")
            .patient("patient:X1")
            .provider("provider:P1")
            .window(window)
            .preferences(Preferences::new().min_duration(Minutes::new(30)))
            .created(Timestamp::from_unix(day)?)
            .build()?;
        assert_eq!(
            serde_json::to_string(&wait_entry(&e)).ok().as_deref(),
            Some(concat!(
                r#"{"id":"w1","patient":"patient:X1","provider":"provider:P1","#,
                r#""windowStart":"2026-03-09T08:00:00Z","windowEnd":"2026-03-09T12:00:00Z","#,
                r#""minDurationMinutes":30,"created":"2026-03-09T00:00:00Z"}"#
            ))
        );
        Ok(())
    }
}
