#![doc = "The pure scheduling engine of hcas: time zones, RFC 5545 recurrence, availability and slots."]
//!
//! No I/O, no clock reads, no async: `now` is always a parameter, data is
//! always handed in as values. See `ARCHITECTURE.md` and `docs/` in the repository.

pub mod error;
pub mod id;
pub mod recurrence;
pub mod time;
pub mod zone;

pub use error::{Error, ErrorCode, Result};
pub use recurrence::{Frequency, RRule, Recurrence, Until, WeekdayNum};
pub use time::{Interval, IntervalSet, LocalTime, Minutes, Timestamp};
pub use zone::{Zone, ZoneSpans};

/// The IANA time zone database release the engine embeds (via `chrono-tz`,
/// pinned exactly in the workspace), e.g. `"2025b"`. Every local-time answer
/// depends on it; the wire `slots` and `recurrence` answers carry it as `tzdb`.
pub const TZDB_VERSION: &str = chrono_tz::IANA_TZDB_VERSION;
pub mod availability;
pub use availability::{
    Availability, DateOverride, LocalWindow, MAX_SLOT_WINDOW_DAYS, PooledSlots, SlotQuery,
    WorkingRule, pooled_slots,
};
pub mod wire;

/// The `chrono` crate, re-exported: its `NaiveDate`, `NaiveDateTime` and
/// `NaiveTime` appear in this crate's signatures.
pub use chrono;
/// The `chrono-tz` crate, re-exported: [`Zone`] wraps its `Tz`.
pub use chrono_tz;

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
pub mod advice;
pub mod anchor;
pub mod booking;
pub mod consent;
#[cfg(feature = "fhir")]
pub mod fhir;
pub mod lifecycle;
pub mod series;
pub mod waitlist;

#[doc = include_str!("../../../docs/booking.md")]
#[cfg(doctest)]
pub struct BookingDocDoctests;
