//! Appointments that keep their wall-clock time when time-zone rules change.
//!
//! A booking stores UTC instants. When a country changes its DST rules
//! (Mexico abolished DST in 2022; some country does every year) and the tz
//! data is updated, a future appointment keeps its instant and silently moves
//! on the wall clock: "09:00 in Mexico City" booked under the old rules as
//! 14:00Z is 08:00 local under the new ones. A [`WallAnchor`] records the
//! local wall time and IANA zone a booking was made for (RFC 5545's
//! `DTSTART;TZID=…` / `DTEND;TZID=…`), so the instants can be checked against
//! the current tz data and moved back onto the wall time.
//!
//! Everything here is pure: the tz data is the engine's (`chrono-tz`), local
//! times resolve with the **compatible** rule of [`Zone::resolve`] (a time in
//! a DST gap moves forward by the gap, a time in a fold is the earlier
//! instant), and `now` is a parameter.
//!
//! - [`check`]: a booking's anchor resolves to exactly its instants (what a
//!   store checks when the booking is made).
//! - [`drift`]: the instants an anchored booking's wall time resolves to now,
//!   when they differ from the stored ones.
//! - [`due`]: whether a booking is one a sweep looks at (anchored, in the
//!   future, still blocking).
//! - [`reanchored`]: the booking moved onto its wall time.
//!
//! ```
//! use hcas_core::anchor::{self, WallAnchor};
//! use hcas_core::booking::Booking;
//! use hcas_core::time::parse_local_datetime;
//! use hcas_core::Zone;
//!
//! let zone = Zone::parse("America/Mexico_City").unwrap();
//! let anchor = WallAnchor::new(
//!     zone,
//!     parse_local_datetime("2026-07-15T09:00").unwrap(),
//!     parse_local_datetime("2026-07-15T09:30").unwrap(),
//! );
//! // Booked before 2022 under the old rules (CDT, UTC-5): 14:00Z.
//! let slot = hcas_core::Interval::parse("2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z").unwrap();
//! let b = Booking::new("a1", vec!["provider:P1".into()], slot).anchor(anchor);
//! assert!(anchor::check(&b).is_err());                 // not what the wall time is today
//! let d = anchor::drift(&b).unwrap();                 // today's data: CST all year, UTC-6
//! assert_eq!(d.wanted_start.to_string(), "2026-07-15T15:00:00Z");
//! assert_eq!(d.shift_seconds(), 3600);
//! let moved = anchor::reanchored(&b).unwrap();
//! assert!(anchor::check(&moved).is_ok() && anchor::drift(&moved).is_none());
//! ```

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::booking::Booking;
use crate::error::{Error, ErrorCode, Result};
use crate::time::{Interval, Timestamp, parse_local_datetime};
use crate::zone::Zone;

/// The local wall time a booking was made for, in its IANA zone: start and
/// end as the clinic's calendar shows them (`YYYY-MM-DDTHH:MM:SS`, no offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WallAnchor {
    /// The IANA zone (an unknown name does not deserialize).
    pub zone: Zone,
    /// Local start.
    #[serde(with = "local")]
    pub start: NaiveDateTime,
    /// Local end.
    #[serde(with = "local")]
    pub end: NaiveDateTime,
}

/// `YYYY-MM-DDTHH:MM:SS`, read with the strict [`parse_local_datetime`].
mod local {
    use super::{Deserialize, Deserializer, NaiveDateTime, Serializer, parse_local_datetime};

    pub(super) fn serialize<S: Serializer>(
        t: &NaiveDateTime,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(&t.format(super::LOCAL_FORMAT))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<NaiveDateTime, D::Error> {
        let text = String::deserialize(d)?;
        parse_local_datetime(&text).map_err(serde::de::Error::custom)
    }
}

/// How local wall times are written (`2026-07-15T09:00:00`).
pub const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

impl WallAnchor {
    /// An anchor at local `start`..`end` in `zone`.
    #[must_use]
    pub const fn new(zone: Zone, start: NaiveDateTime, end: NaiveDateTime) -> Self {
        Self { zone, start, end }
    }

    /// The anchor of instants `start`..`end` in `zone` under the current tz
    /// data: their local wall times. It resolves back to them except for an
    /// instant in the second pass of a DST fold (the compatible rule picks
    /// the first), which [`check`] then refuses.
    #[must_use]
    pub fn of(zone: Zone, start: Timestamp, end: Timestamp) -> Self {
        Self::new(zone, zone.to_local(start), zone.to_local(end))
    }

    /// The instants the wall time resolves to under the current tz data
    /// (compatible rule), start and end; `end` may not be after `start` when
    /// a rule change put a gap or fold between them ([`WallAnchor::interval`]
    /// refuses that).
    #[must_use]
    pub fn instants(&self) -> (Timestamp, Timestamp) {
        (self.zone.resolve(self.start), self.zone.resolve(self.end))
    }

    /// The interval the wall time resolves to under the current tz data.
    ///
    /// # Errors
    /// `invalid_interval` when the local end does not resolve after the local start.
    pub fn interval(&self) -> Result<Interval> {
        let (start, end) = self.instants();
        Interval::new(start, end).map_err(|_| {
            Error::new(
                ErrorCode::InvalidInterval,
                format!(
                    "anchor: {} to {} in {} resolves to {start} .. {end}, which is empty; \
                     give a local end after the local start",
                    self.start.format(LOCAL_FORMAT),
                    self.end.format(LOCAL_FORMAT),
                    self.zone
                ),
            )
        })
    }
}

/// Check a booking's anchor: none, or one whose wall time resolves, under
/// the current tz data, to exactly the booking's `start` and `end`. Stores
/// call it when a booking is made (and for a reschedule's new booking); a
/// stored booking may drift later, when the tz data changes ([`drift`]).
///
/// # Errors
/// `invalid_interval` for an anchor that resolves to an empty interval;
/// `invalid_request` for one that resolves to other instants, naming both.
pub fn check(booking: &Booking) -> Result<()> {
    let Some(anchor) = booking.anchor.as_deref() else {
        return Ok(());
    };
    let iv = anchor
        .interval()
        .map_err(|e| e.at(&format!("booking {}", booking.id)))?;
    if iv.start() != booking.start || iv.end() != booking.end {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "booking {}: anchor {} to {} in {} is {} .. {} under the current tz data, \
                 not the booking's {} .. {}; compute start and end from the wall time \
                 (or anchor the instants with WallAnchor::of)",
                booking.id,
                anchor.start.format(LOCAL_FORMAT),
                anchor.end.format(LOCAL_FORMAT),
                anchor.zone,
                iv.start(),
                iv.end(),
                booking.start,
                booking.end
            ),
        ));
    }
    Ok(())
}

/// Whether a sweep looks at this booking at `now`: it has an anchor, starts
/// after `now`, and still blocks (an appointment that has begun, or no longer
/// holds its resources, is left as it is).
#[must_use]
pub fn due(booking: &Booking, now: Timestamp) -> bool {
    booking.anchor.is_some() && booking.start > now && booking.blocks(now)
}

/// An anchored booking whose stored instants are not what its wall time
/// resolves to under the current tz data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Drift {
    /// The booking's id.
    pub id: String,
    /// Its anchor.
    pub anchor: WallAnchor,
    /// The stored start.
    pub start: Timestamp,
    /// The stored end.
    pub end: Timestamp,
    /// The start the wall time resolves to now.
    pub wanted_start: Timestamp,
    /// The end the wall time resolves to now (not after `wanted_start` only
    /// if a rule change put a gap between the local start and end; such a
    /// booking cannot be re-anchored).
    pub wanted_end: Timestamp,
}

impl Drift {
    /// The drift of a booking given by its parts (for stores that read
    /// columns): `None` when the anchor resolves to exactly `start` and `end`.
    #[must_use]
    pub fn find(id: &str, start: Timestamp, end: Timestamp, anchor: &WallAnchor) -> Option<Self> {
        let (wanted_start, wanted_end) = anchor.instants();
        (wanted_start != start || wanted_end != end).then(|| Self {
            id: id.to_string(),
            anchor: *anchor,
            start,
            end,
            wanted_start,
            wanted_end,
        })
    }

    /// How far the start moves when re-anchored, in seconds (positive: later).
    #[must_use]
    pub const fn shift_seconds(&self) -> i64 {
        self.wanted_start.unix() - self.start.unix()
    }
}

/// The drift of a booking: `None` when it has no anchor or its instants are
/// what the wall time resolves to under the current tz data.
#[must_use]
pub fn drift(booking: &Booking) -> Option<Drift> {
    let anchor = booking.anchor.as_deref()?;
    Drift::find(&booking.id, booking.start, booking.end, anchor)
}

/// The drifted bookings a sweep would list at `now`, in the order given:
/// [`due`] and [`drift`] together.
pub fn sweep<'a>(
    bookings: impl IntoIterator<Item = &'a Booking>,
    now: Timestamp,
) -> impl Iterator<Item = Drift> {
    bookings
        .into_iter()
        .filter(move |b| due(b, now))
        .filter_map(drift)
}

/// The booking moved onto its wall time: `start` and `end` are what the
/// anchor resolves to under the current tz data; everything else is kept.
/// (A booking without drift comes back unchanged.) Whether the new time is
/// free is the ledger's question, as for a reschedule.
///
/// # Errors
/// `invalid_request` for a booking without an anchor; `invalid_interval`
/// when the wall time now resolves to an empty interval.
pub fn reanchored(booking: &Booking) -> Result<Booking> {
    let anchor = booking.anchor.as_deref().ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "booking {} has no wall-time anchor to re-anchor to; book it with one",
                booking.id
            ),
        )
    })?;
    let iv = anchor
        .interval()
        .map_err(|e| e.at(&format!("booking {}", booking.id)))?;
    let mut moved = booking.clone();
    moved.start = iv.start();
    moved.end = iv.end();
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::Status;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn anchored(id: &str, zone: &str, local: (&str, &str), utc: (&str, &str)) -> Booking {
        let mut b = Booking::from_parts(
            id,
            t(utc.0),
            t(utc.1),
            Status::Booked,
            vec!["provider:P1".into()],
        );
        b.anchor = Some(Box::new(WallAnchor::new(
            Zone::parse(zone).unwrap(),
            parse_local_datetime(local.0).unwrap(),
            parse_local_datetime(local.1).unwrap(),
        )));
        b
    }

    /// Mexico City under pre-2022 rules (CDT, UTC-5 in July) against today's
    /// data (CST all year, UTC-6); Berlin computed without DST (UTC+1 in July,
    /// CEST is UTC+2); Berlin in January computed right.
    #[test]
    fn drift_under_other_offsets() {
        let mx = anchored(
            "mx",
            "America/Mexico_City",
            ("2026-07-15T09:00", "2026-07-15T09:30"),
            ("2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z"),
        );
        let d = drift(&mx).unwrap();
        assert_eq!(
            (d.wanted_start, d.wanted_end),
            (t("2026-07-15T15:00:00Z"), t("2026-07-15T15:30:00Z"))
        );
        assert_eq!(d.shift_seconds(), 3600);
        assert_eq!(check(&mx).unwrap_err().code(), ErrorCode::InvalidRequest);
        let berlin = anchored(
            "de",
            "Europe/Berlin",
            ("2026-07-15T10:00", "2026-07-15T11:00"),
            ("2026-07-15T09:00:00Z", "2026-07-15T10:00:00Z"),
        );
        let d = drift(&berlin).unwrap();
        assert_eq!(d.wanted_start, t("2026-07-15T08:00:00Z"));
        assert_eq!(d.shift_seconds(), -3600);
        let winter = anchored(
            "ok",
            "Europe/Berlin",
            ("2026-01-15T10:00", "2026-01-15T11:00"),
            ("2026-01-15T09:00:00Z", "2026-01-15T10:00:00Z"),
        );
        assert_eq!(drift(&winter), None);
        check(&winter).unwrap();
        let moved = reanchored(&berlin).unwrap();
        assert_eq!(
            (moved.start, moved.end),
            (t("2026-07-15T08:00:00Z"), t("2026-07-15T09:00:00Z"))
        );
        assert_eq!(drift(&moved), None);
        assert_eq!(moved.id, "de");
        assert_eq!(reanchored(&winter).unwrap(), winter);
    }

    #[test]
    fn sweep_skips_past_cancelled_and_unanchored() {
        let now = t("2026-07-01T00:00:00Z");
        let mx = anchored(
            "mx",
            "America/Mexico_City",
            ("2026-07-15T09:00", "2026-07-15T09:30"),
            ("2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z"),
        );
        let mut past = mx.clone();
        past.id = "past".into();
        let mut cancelled = mx.clone();
        cancelled.id = "cancelled".into();
        cancelled.status = Status::Cancelled;
        let mut plain = mx.clone();
        plain.id = "plain".into();
        plain.anchor = None;
        let later = t("2026-07-20T00:00:00Z");
        assert!(due(&mx, now) && !due(&mx, later));
        assert!(!due(&cancelled, now) && !due(&plain, now));
        let ids: Vec<String> = sweep([&mx, &cancelled, &plain], now)
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, ["mx"]);
        assert_eq!(sweep([&past], later).count(), 0);
        assert_eq!(
            reanchored(&plain).unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
    }

    /// The compatible rule: a wall time in a gap resolves forward, in a fold
    /// to the first pass; an anchor of the fold's second pass is refused.
    #[test]
    fn gaps_and_folds() {
        // New York, 2026-03-08: 02:30 does not exist, it is 03:30 EDT (07:30Z).
        let gap = anchored(
            "gap",
            "America/New_York",
            ("2026-03-08T02:30", "2026-03-08T04:00"),
            ("2026-03-08T07:30:00Z", "2026-03-08T08:00:00Z"),
        );
        check(&gap).unwrap();
        // 2026-11-01: 01:30 happens twice; the anchor means the first (EDT, 05:30Z).
        let ny = Zone::parse("America/New_York").unwrap();
        let second = (t("2026-11-01T06:30:00Z"), t("2026-11-01T07:30:00Z"));
        let mut fold = Booking::from_parts(
            "fold",
            second.0,
            second.1,
            Status::Booked,
            vec!["provider:P1".into()],
        );
        fold.anchor = Some(Box::new(WallAnchor::of(ny, second.0, second.1)));
        assert_eq!(check(&fold).unwrap_err().code(), ErrorCode::InvalidRequest);
        let first = (t("2026-11-01T05:30:00Z"), t("2026-11-01T07:30:00Z"));
        fold.start = first.0;
        fold.end = first.1;
        fold.anchor = Some(Box::new(WallAnchor::of(ny, first.0, first.1)));
        check(&fold).unwrap();
        // An anchor whose end resolves before its start cannot be honoured.
        let empty = anchored(
            "empty",
            "America/New_York",
            ("2026-03-08T02:30", "2026-03-08T03:00"),
            ("2026-03-08T07:30:00Z", "2026-03-08T08:00:00Z"),
        );
        assert_eq!(
            check(&empty).unwrap_err().code(),
            ErrorCode::InvalidInterval
        );
        assert_eq!(
            reanchored(&empty).unwrap_err().code(),
            ErrorCode::InvalidInterval
        );
    }

    #[test]
    fn json_shape_and_strictness() {
        let b = anchored(
            "de",
            "Europe/Berlin",
            ("2026-01-15T10:00", "2026-01-15T11:00"),
            ("2026-01-15T09:00:00Z", "2026-01-15T10:00:00Z"),
        );
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(
            v["anchor"],
            serde_json::json!({"zone": "Europe/Berlin", "start": "2026-01-15T10:00:00", "end": "2026-01-15T11:00:00"})
        );
        let back: Booking = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, b);
        let wall = *b.anchor.as_deref().unwrap();
        let back: WallAnchor = serde_json::from_value(serde_json::to_value(wall).unwrap()).unwrap();
        assert_eq!(back, wall);
        let mut moved = b.clone();
        moved.start = t("2026-01-15T08:00:00Z");
        let d = drift(&moved).unwrap();
        let back: Drift = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(back, d);
        // No anchor: no key, as before.
        let mut plain = b.clone();
        plain.anchor = None;
        assert!(
            serde_json::to_value(&plain)
                .unwrap()
                .get("anchor")
                .is_none()
        );
        for (field, bad) in [
            ("zone", "Mars/Base"),
            ("start", "2026-01-15T10:00:00Z"),
            ("end", "2026-02-30T10:00"),
        ] {
            let mut w = v.clone();
            w["anchor"][field] = serde_json::json!(bad);
            assert!(serde_json::from_value::<Booking>(w).is_err(), "{field}");
        }
    }
}
