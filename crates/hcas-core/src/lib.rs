//! The pure scheduling engine of hcas: time zones, RFC 5545 recurrence,
//! availability and slots, bookings and conflicts, series, the appointment
//! lifecycle, consent, and FHIR mapping.
//!
//! No I/O, no clock reads, no async: `now` is always a parameter and data is
//! always handed in as values, so every answer is a function of its inputs.
//! Storage lives in `hcas-store`, HTTP in `hcas-server`; the Python, Node and
//! Kotlin/Swift bindings wrap this API one to one.
//!
//! Every value below is built with constructors and builders; no JSON or text
//! is needed. [`wire`] is the JSON front door (what the conformance vectors,
//! the server and the bindings' dict forms send), built on the same API.
//!
//! # Time
//!
//! Inside, time is a [`Timestamp`] (UTC, one-second resolution, years
//! 0001-9999) and a half-open [`Interval`]; at the edges, local wall time in a
//! [`Zone`] (IANA, embedded database [`TZDB_VERSION`]), resolved with RFC 5545's
//! rule: a time in a DST gap moves forward by the gap, a time in a fold takes
//! the first (earlier) instant. Lengths are [`Minutes`]. `Timestamp` converts to
//! and from `chrono::DateTime<Utc>`, `std::time::SystemTime` and (feature
//! `jiff`) `jiff::Timestamp`.
//!
//! # Slots
//!
//! An [`Availability`] is a provider's working hours ([`WorkingRule`]s), date
//! [`DateOverride`]s and busy time in one zone; a [`SlotQuery`] asks for starts
//! in a window with a length, grid step, buffers, notice and horizon.
//!
//! ```
//! use hcas_core::chrono::{NaiveDate, Weekday};
//! use hcas_core::{Availability, Interval, LocalTime, Minutes, SlotQuery, WorkingRule, Zone};
//!
//! let hours = WorkingRule::weekly(
//!     [Weekday::Mon, Weekday::Wed],
//!     LocalTime::new(9, 0)?,
//!     LocalTime::new(12, 0)?,
//!     NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date"),
//! )?;
//! let dr_lee = Availability::new(Zone::parse("Europe/London")?)
//!     .with_rule(hours)
//!     .with_busy([Interval::parse("2026-03-30T08:00:00Z", "2026-03-30T09:00:00Z")?]);
//! // Monday 30 March 2026, the day after the UK clocks go forward.
//! let query = SlotQuery::new(
//!     "2026-03-30T00:00:00Z".parse()?,
//!     "2026-03-31T00:00:00Z".parse()?,
//!     Minutes::new(60),
//! );
//! let starts: Vec<String> = dr_lee.slots(&query)?.iter().map(|t| t.to_string()).collect();
//! // 09:00 BST (08:00Z) is busy; 10:00 and 11:00 BST are free.
//! assert_eq!(starts, ["2026-03-30T09:00:00Z", "2026-03-30T10:00:00Z"]);
//! # Ok::<(), hcas_core::Error>(())
//! ```
//!
//! [`pooled_slots`] answers the same query over many providers at once ("any
//! doctor of this specialty"); [`advice`] says why a start is not offered and
//! finds the nearest ones that are.
//!
//! # Recurrence
//!
//! [`RRule`] is a validated RFC 5545 rule, parsed from text or built part by
//! part; [`Recurrence`] adds a local `DTSTART`, a zone, RDATEs and EXDATEs,
//! and expands in wall time, as window queries or as a lazy iterator.
//!
//! ```
//! use hcas_core::chrono::{NaiveDate, Weekday};
//! use hcas_core::{Frequency, RRule, Recurrence, WeekdayNum, Zone};
//!
//! // The last Friday of every month, three times.
//! let rule = RRule::builder(Frequency::Monthly)
//!     .by_day([WeekdayNum::nth(-1, Weekday::Fri)?])
//!     .count(3)
//!     .build()?;
//! assert_eq!(rule.to_string(), "FREQ=MONTHLY;COUNT=3;BYDAY=-1FR");
//! let dtstart = NaiveDate::from_ymd_opt(2026, 1, 30).and_then(|d| d.and_hms_opt(15, 0, 0));
//! let rec = Recurrence::new(rule, dtstart.expect("a datetime"), Zone::parse("America/Chicago")?);
//! let got: Vec<String> = rec.iter().map(|t| t.map(|t| t.to_string())).collect::<Result<_, _>>()?;
//! // 15:00 local: CST (UTC-6) in winter, CDT (UTC-5) from 8 March.
//! assert_eq!(got, ["2026-01-30T21:00:00Z", "2026-02-27T21:00:00Z", "2026-03-27T20:00:00Z"]);
//! # Ok::<(), hcas_core::Error>(())
//! ```
//!
//! # Booking
//!
//! A [`booking::Ledger`] holds bookings by resource (`provider:P1`,
//! `patient:X1`, `room:R2`, with capacities) and books atomically: every
//! conflict is reported, holds expire, idempotency keys make retries safe.
//! [`lifecycle`] moves a booking through the FHIR statuses, saying who may do
//! what and when (late cancellations, no-shows).
//!
//! ```
//! use hcas_core::booking::{BookOptions, BookOutcome, Booking, Ledger, Status};
//! use hcas_core::lifecycle::{self, LifecyclePolicy, Outcome, Party, TransitionRequest};
//! use hcas_core::Interval;
//!
//! let mut ledger = Ledger::new();
//! let slot = Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z")?;
//! let now = "2026-05-04T08:00:00Z".parse()?;
//! let a1 = Booking::new("a1", vec!["provider:P1".into(), "patient:X1".into()], slot);
//! assert!(matches!(ledger.book(a1, BookOptions::at(now))?, BookOutcome::Booked(_)));
//! let a2 = Booking::new("a2", vec!["provider:P1".into(), "patient:X2".into()], slot);
//! assert!(matches!(ledger.book(a2, BookOptions::at(now))?, BookOutcome::Conflict(_)));
//!
//! // The patient cancels an hour before: late by the default 24-hour policy.
//! let cancel = TransitionRequest::new(Status::Cancelled, Party::Patient, now).reason("unwell");
//! let done = lifecycle::apply(&mut ledger, "a1", &cancel, &LifecyclePolicy::default())?;
//! assert!(done.outcomes.iter().any(|o| matches!(o, Outcome::LateCancellation { .. })));
//! # Ok::<(), hcas_core::Error>(())
//! ```
//!
//! [`reminder::schedule`] says when to remind the patient of a booking: leads
//! in local days or elapsed minutes, in the patient's zone, outside quiet
//! hours, never before the booking was made.
//!
//! # Series
//!
//! [`series::SeriesSpec`] books a recurring appointment: every occurrence is
//! checked, answered one by one, booked all-or-nothing or where free; edits
//! ([`series::shift_occurrences`], [`series::cancel_occurrences`]) take RFC
//! 5545 ranges and shift in wall time.
//!
//! ```
//! use hcas_core::booking::Ledger;
//! use hcas_core::series::{SeriesBookOptions, SeriesSpec};
//! use hcas_core::{Minutes, Recurrence, Zone};
//!
//! let weekly = "FREQ=WEEKLY;COUNT=6".parse()?;
//! let dtstart = hcas_core::time::parse_local_datetime("2026-03-02T09:00")?;
//! let course = Recurrence::new(weekly, dtstart, Zone::parse("America/New_York")?);
//! let physio = SeriesSpec::new("physio1", course, Minutes::new(45), vec!["provider:P1".into()]);
//! let mut ledger = Ledger::new();
//! let result = physio.book(&mut ledger, SeriesBookOptions::at("2026-03-01T00:00:00Z".parse()?))?;
//! assert!(result.booked);
//! assert_eq!(ledger.len(), 6);
//! # Ok::<(), hcas_core::Error>(())
//! ```
//!
//! # Consent
//!
//! [`consent::decide`] answers "may this accessor do this to this patient's
//! data, for this purpose, now?" from the patient's consents and the
//! organisation's [`consent::RolePolicy`], with the basis of the decision;
//! [`consent::booking_allowed`] answers it for booking on someone's behalf.
//!
//! ```
//! use hcas_core::consent::{
//!     decide, Accessor, Basis, Category, Consent, ConsentRequest, Effect, Match, Provision,
//!     Purpose, Role, RolePolicy,
//! };
//! // Pat1 refuses research use of their records.
//! let no_research = Consent::permit("K1", "Pat1", "2026-01-01T00:00:00Z".parse()?)
//!     .with_provision(Provision::new(Match::any().with_purpose(Purpose::Hresch)));
//! let researcher = Accessor::new("R7", "Org1").with_role(Role::Researcher);
//! let ask = ConsentRequest::builder(researcher, "Pat1")
//!     .read(Category::Records)
//!     .for_purpose(Purpose::Hresch)
//!     .at("2026-06-01T12:00:00Z".parse()?)
//!     .build()?;
//! let d = decide(&ask, &[no_research], &RolePolicy::default())?;
//! assert_eq!((d.decision, d.basis), (Effect::Deny, Basis::Consent));
//! # Ok::<(), hcas_core::Error>(())
//! ```
//!
//! # FHIR
//!
//! With the `fhir` feature (on by default), `hcas_core::fhir` maps bookings to and
//! from FHIR R4 `Appointment`, slots to `Slot`, availability to `Schedule`,
//! and consents to and from R4 and R5 `Consent`.
//!
//! # Errors
//!
//! Every fallible call returns [`Error`]: a stable [`ErrorCode`]
//! (`invalid_rrule`, `invalid_timezone`, `limit_exceeded`, ...) and a message
//! that names the field to fix. Sizes are bounded ([`id`] lists every limit).
//!
//! # Cargo features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `fhir` | on | `hcas_core::fhir`: FHIR R4/R5 JSON mapping |
//! | `jiff` | off | `Timestamp` conversions to and from `jiff::Timestamp` |
//! | `zone-registry` | off | `hcas_core::zone::{encode, register, Registry}`: zone data loaded at run time (`docs/zones.md`) |

// Time, zones and errors: the vocabulary of every other module.
pub mod error;
pub mod id;
pub mod time;
pub mod zone;

// Recurrence and availability: what can be offered.
pub mod availability;
pub mod recurrence;

// Bookings: what is taken, and what happens to it.
pub mod anchor;
pub mod booking;
pub mod lifecycle;
pub mod reminder;
pub mod series;
pub mod waitlist;

// Advice: why a start is not offered, and what is near.
pub mod advice;

// Consent: who may see and book what.
pub mod consent;

// Standards and front doors.
#[cfg(feature = "fhir")]
pub mod fhir;
pub mod ical;
pub mod wire;

pub use availability::{
    Availability, DateOverride, LocalWindow, MAX_SLOT_WINDOW_DAYS, PooledSlots, SlotQuery,
    WorkingRule, pooled_slots,
};
pub use error::{Error, ErrorCode, Result};
pub use recurrence::{Frequency, RRule, RRuleBuilder, Recurrence, Until, WeekdayNum};
pub use time::{Interval, IntervalSet, LocalTime, Minutes, Timestamp};
pub use zone::{Zone, ZoneSpans};

/// The `chrono` crate, re-exported: its `NaiveDate`, `NaiveDateTime`,
/// `NaiveTime` and `Weekday` appear in this crate's signatures.
pub use chrono;
/// The `chrono-tz` crate, re-exported: [`Zone`] wraps its `Tz`.
pub use chrono_tz;

/// The IANA time zone database release the engine embeds (via `chrono-tz`,
/// pinned exactly in the workspace), e.g. `"2025b"`. Every local-time answer
/// depends on it; the wire `slots` and `recurrence` answers carry it as `tzdb`.
pub const TZDB_VERSION: &str = chrono_tz::IANA_TZDB_VERSION;

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[doc = include_str!("../../../docs/zones.md")]
#[cfg(all(doctest, feature = "zone-registry"))]
pub struct ZonesDocDoctests;

#[doc = include_str!("../../../docs/booking.md")]
#[cfg(doctest)]
pub struct BookingDocDoctests;
