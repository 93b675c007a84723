//! Bookings and the ledger that decides whether a request can be booked.
//!
//! Semantics are the `conflict` kind of `docs/vectors.md`: a resource (any
//! string, by convention `provider:…`, `patient:…`, `room:…`, `device:…`) has a
//! capacity (1 unless said otherwise); a booking *blocks* when its status is
//! `pending`, `booked`, `arrived`, `checked-in` or `fulfilled`, or `held` with a
//! hold that expires after `now`; a request conflicts on a resource when, at
//! some instant inside it, the blocking bookings on that resource already
//! number its capacity. The answer lists **every** conflicting resource with
//! **every** blocking booking on it that overlaps the request.
//!
//! The ledger keeps, per resource, its bookings sorted by start in length
//! classes (powers of 4 seconds), so an overlap query is one binary search per
//! class plus a scan of the bookings that can reach the request: O(log n + k)
//! whatever the mix of lengths (a year-long block does not make checks of
//! short bookings scan the year), never a scan of the ledger.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::{Interval, Timestamp};

mod check;
mod idempotency;
mod index;
mod ledger;
mod options;

pub use idempotency::IDEMPOTENCY_TTL;
pub use ledger::Ledger;
pub use options::{BookOptions, CheckOptions, HoldOptions, RescheduleOptions};

/// Appointment status: the FHIR R4 `Appointment.status` values plus `held`
/// (a tentative reservation with an expiry; FHIR has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Status {
    /// Suggested, not yet asked for.
    Proposed,
    /// Asked for, awaiting confirmation.
    Pending,
    /// Confirmed.
    Booked,
    /// The patient has arrived.
    Arrived,
    /// The patient has checked in.
    CheckedIn,
    /// The appointment took place.
    Fulfilled,
    /// Cancelled before it took place.
    Cancelled,
    /// The patient did not come.
    Noshow,
    /// Recorded by mistake.
    EnteredInError,
    /// On a waitlist for a slot.
    Waitlist,
    /// Tentatively reserved until `hold_expires`.
    Held,
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 11] = [
        Self::Proposed,
        Self::Pending,
        Self::Booked,
        Self::Arrived,
        Self::CheckedIn,
        Self::Fulfilled,
        Self::Cancelled,
        Self::Noshow,
        Self::EnteredInError,
        Self::Waitlist,
        Self::Held,
    ];

    /// The wire name (`checked-in`, `entered-in-error`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Pending => "pending",
            Self::Booked => "booked",
            Self::Arrived => "arrived",
            Self::CheckedIn => "checked-in",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
            Self::Noshow => "noshow",
            Self::EnteredInError => "entered-in-error",
            Self::Waitlist => "waitlist",
            Self::Held => "held",
        }
    }

    /// Whether a booking in this status occupies its resources at `now`; a
    /// hold only until `hold_expires` (the rule of [`Booking::blocks`], for
    /// callers that hold the columns rather than a whole booking).
    #[must_use]
    pub fn blocks(self, hold_expires: Option<Timestamp>, now: Timestamp) -> bool {
        match self {
            Self::Held => hold_expires.is_some_and(|e| e > now),
            s => s.occupies(),
        }
    }

    /// Parse a wire name.
    ///
    /// # Errors
    /// `invalid_request` for an unknown status.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                Error::request(format!(
                    "`{s}` is not a status; use one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }

    /// Whether a booking in this status occupies its resources (a hold only
    /// while it has not expired, which [`Booking::blocks`] checks).
    #[must_use]
    pub const fn occupies(self) -> bool {
        matches!(
            self,
            Self::Pending
                | Self::Booked
                | Self::Arrived
                | Self::CheckedIn
                | Self::Fulfilled
                | Self::Held
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One booking (appointment, hold, or any other use of resources).
///
/// Build one with [`Booking::new`] and the chainable setters, and check it
/// with [`Booking::build`] (or let [`Ledger::insert`] / [`Ledger::book`]
/// check it). Deserialising checks it too: JSON that [`Booking::validate`]
/// refuses does not become a `Booking`.
///
/// ```
/// use hcas_core::booking::{Booking, SeriesRef, Status};
/// use hcas_core::Interval;
/// let slot = Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap();
/// let appt = Booking::new("a1", vec!["provider:P1".into(), "patient:X1".into()], slot)
///     .series(SeriesRef::new("physio", "2026-05-04T10:00:00"))
///     .build()
///     .unwrap();
/// assert_eq!(appt.status, Status::Booked);
/// let hold = Booking::new("h1", vec!["provider:P1".into()], slot)
///     .hold_until("2026-05-04T08:15:00Z".parse().unwrap());
/// assert_eq!(hold.status, Status::Held);
/// // A hold must expire: without `hold_until` it is refused.
/// assert!(Booking::new("h2", vec!["provider:P1".into()], slot).status(Status::Held).build().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BookingRaw")]
#[non_exhaustive]
pub struct Booking {
    /// Unique id.
    pub id: String,
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive), after `start`.
    pub end: Timestamp,
    /// Status.
    pub status: Status,
    /// For `held`: when the hold lapses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_expires: Option<Timestamp>,
    /// Resources used, e.g. `provider:P1`, `patient:X1`, `room:R2`.
    pub resources: Vec<String>,
    /// Why it was cancelled (or entered in error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// The booking this one replaces (a reschedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The booking that replaced this one (a reschedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The series this booking is an occurrence of, with its local recurrence id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesRef>,
    /// The local wall time and IANA zone it was booked for, so it can follow
    /// tz rule changes ([`crate::anchor`]); `None`: instants only. Boxed: most
    /// bookings have none, and it keeps `Booking` small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Box<crate::anchor::WallAnchor>>,
}

/// A booking's place in a recurring series (RFC 5545 `RECURRENCE-ID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SeriesRef {
    /// The series id.
    pub id: String,
    /// The occurrence's original local start (`YYYY-MM-DDTHH:MM:SS`), which
    /// identifies it even after it is moved.
    pub recurrence_id: String,
}

impl SeriesRef {
    /// The occurrence of series `id` whose original local start is
    /// `recurrence_id` (`YYYY-MM-DDTHH:MM:SS`).
    #[must_use]
    pub fn new(id: impl Into<String>, recurrence_id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            recurrence_id: recurrence_id.into(),
        }
    }
}

/// The serialised shape of a [`Booking`], checked by [`Booking::validate`]
/// on the way in.
#[derive(Deserialize)]
struct BookingRaw {
    id: String,
    start: Timestamp,
    end: Timestamp,
    status: Status,
    #[serde(default)]
    hold_expires: Option<Timestamp>,
    resources: Vec<String>,
    #[serde(default)]
    cancel_reason: Option<String>,
    #[serde(default)]
    replaces: Option<String>,
    #[serde(default)]
    replaced_by: Option<String>,
    #[serde(default)]
    series: Option<SeriesRef>,
    #[serde(default)]
    anchor: Option<Box<crate::anchor::WallAnchor>>,
}

impl TryFrom<BookingRaw> for Booking {
    type Error = Error;
    fn try_from(r: BookingRaw) -> Result<Self> {
        let b = Self {
            id: r.id,
            start: r.start,
            end: r.end,
            status: r.status,
            hold_expires: r.hold_expires,
            resources: r.resources,
            cancel_reason: r.cancel_reason,
            replaces: r.replaces,
            replaced_by: r.replaced_by,
            series: r.series,
            anchor: r.anchor,
        };
        b.validate()?;
        Ok(b)
    }
}

impl Booking {
    /// A `booked` booking `id` of `resources` over `interval`, with no hold,
    /// links, series or anchor; change those with the setters below. Not yet
    /// checked: see [`Booking::build`].
    #[must_use]
    pub fn new(id: impl Into<String>, resources: Vec<String>, interval: Interval) -> Self {
        Self::from_parts(
            id,
            interval.start(),
            interval.end(),
            Status::Booked,
            resources,
        )
    }

    /// A booking from its parts without any check, for the engine's own
    /// callers that validate afterwards in their usual order (id first).
    pub(crate) fn from_parts(
        id: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
        status: Status,
        resources: Vec<String>,
    ) -> Self {
        Self {
            id: id.into(),
            start,
            end,
            status,
            hold_expires: None,
            resources,
            cancel_reason: None,
            replaces: None,
            replaced_by: None,
            series: None,
            anchor: None,
        }
    }

    /// This booking with `status` (a `held` one also needs
    /// [`Booking::hold_until`]).
    #[must_use]
    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// This booking as a hold (`held`) that lapses at `expires`.
    #[must_use]
    pub fn hold_until(mut self, expires: Timestamp) -> Self {
        self.status = Status::Held;
        self.hold_expires = Some(expires);
        self
    }

    /// This booking as the occurrence `series` of a recurring series.
    #[must_use]
    pub fn series(mut self, series: SeriesRef) -> Self {
        self.series = Some(series);
        self
    }

    /// This booking anchored to a local wall time ([`crate::anchor`]).
    #[must_use]
    pub fn anchor(mut self, anchor: crate::anchor::WallAnchor) -> Self {
        self.anchor = Some(Box::new(anchor));
        self
    }

    /// This booking with why it was cancelled (or entered in error).
    #[must_use]
    pub fn cancel_reason(mut self, reason: impl Into<String>) -> Self {
        self.cancel_reason = Some(reason.into());
        self
    }

    /// This booking as the replacement of booking `id` (a reschedule).
    #[must_use]
    pub fn replaces(mut self, id: impl Into<String>) -> Self {
        self.replaces = Some(id.into());
        self
    }

    /// This booking as replaced by booking `id` (a reschedule).
    #[must_use]
    pub fn replaced_by(mut self, id: impl Into<String>) -> Self {
        self.replaced_by = Some(id.into());
        self
    }

    /// This booking, checked by [`Booking::validate`]: the end of a chain of
    /// setters.
    ///
    /// # Errors
    /// As [`Booking::validate`].
    pub fn build(self) -> Result<Self> {
        self.validate()?;
        Ok(self)
    }

    /// The request this booking answers: its interval and resources.
    #[must_use]
    pub fn request(&self) -> Request {
        Request {
            start: self.start,
            end: self.end,
            resources: self.resources.clone(),
        }
    }

    /// Whether `other` asks for the same interval and resources: the test by
    /// which a repeated idempotency key is the same request (stores use it too).
    #[must_use]
    pub fn same_request(&self, other: &Self) -> bool {
        self.start == other.start && self.end == other.end && self.resources == other.resources
    }

    /// Whether this booking occupies its resources at `now`.
    #[must_use]
    pub fn blocks(&self, now: Timestamp) -> bool {
        self.status.blocks(self.hold_expires, now)
    }

    /// The booked interval.
    ///
    /// # Errors
    /// `invalid_interval` when `end <= start`.
    pub fn interval(&self) -> Result<Interval> {
        Interval::new(self.start, self.end).map_err(|e| e.at(&format!("booking {}", self.id)))
    }

    /// Check the booking's own fields.
    ///
    /// # Errors
    /// `invalid_interval` for an empty interval; `invalid_request` for an empty
    /// id, no resources, an empty resource name, or a hold without expiry.
    pub fn validate(&self) -> Result<()> {
        crate::id::check_id("id", &self.id)?;
        self.interval()?;
        if self.resources.is_empty() {
            return Err(Error::request(format!(
                "booking {} uses no resources",
                self.id
            )));
        }
        crate::id::check_resources("resources", &self.resources)?;
        self.check_links()?;
        if self.status == Status::Held && self.hold_expires.is_none() {
            return Err(Error::request(format!(
                "booking {} is held without hold_expires; a hold must expire",
                self.id
            )));
        }
        Ok(())
    }
}

impl Booking {
    /// The id rule for the links and the text rule for the reason.
    fn check_links(&self) -> Result<()> {
        use crate::id::{check_id, check_text};
        for (field, v) in [
            ("replaces", &self.replaces),
            ("replaced_by", &self.replaced_by),
        ] {
            if let Some(v) = v {
                check_id(field, v)?;
            }
        }
        if let Some(r) = &self.cancel_reason {
            check_text("cancel_reason", r)?;
        }
        if let Some(s) = &self.series {
            check_id("series.id", &s.id)?;
            check_text("series.recurrence_id", &s.recurrence_id)?;
        }
        Ok(())
    }
}

/// A request to use resources over `[start, end)`.
///
/// ```
/// use hcas_core::booking::Request;
/// use hcas_core::Interval;
/// let slot = Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap();
/// let req = Request::new(vec!["provider:P1".into()], slot);
/// assert_eq!(req.validate().unwrap(), slot);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Request {
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
    /// Resources wanted.
    pub resources: Vec<String>,
}

impl Request {
    /// A request for `resources` over `interval`.
    #[must_use]
    pub fn new(resources: Vec<String>, interval: Interval) -> Self {
        Self {
            start: interval.start(),
            end: interval.end(),
            resources,
        }
    }

    /// Check the request's own fields.
    ///
    /// # Errors
    /// `invalid_interval` or `invalid_request`.
    pub fn validate(&self) -> Result<Interval> {
        let iv = Interval::new(self.start, self.end).map_err(|e| e.at("request"))?;
        if self.resources.is_empty() {
            return Err(Error::request(
                "a request needs at least one non-empty resource",
            ));
        }
        crate::id::check_resources("request.resources", &self.resources)?;
        Ok(iv)
    }
}

/// One conflicting resource and every blocking booking on it that overlaps the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Conflict {
    /// The resource.
    pub resource: String,
    /// Ids of the blocking bookings that overlap the request, sorted.
    pub with: Vec<String>,
}

impl Conflict {
    /// `resource` taken by the bookings `with` (sorted and deduplicated here,
    /// as the ledger answers them).
    #[must_use]
    pub fn new(resource: impl Into<String>, mut with: Vec<String>) -> Self {
        with.sort_unstable();
        with.dedup();
        Self {
            resource: resource.into(),
            with,
        }
    }
}

/// The answer to "can this be booked?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Check {
    /// True exactly when `conflicts` is empty.
    pub ok: bool,
    /// Conflicting resources, sorted by name.
    pub conflicts: Vec<Conflict>,
}

/// What [`Ledger::book`] did.
///
/// In JSON: `{"outcome": "booked", ..the booking}`, `{"outcome": "existing",
/// ..the booking}` or `{"outcome": "conflict", "conflicts": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "BookOutcomeJson", into = "BookOutcomeJson")]
pub enum BookOutcome {
    /// Booked now.
    Booked(Booking),
    /// The idempotency key had already booked this; nothing new was written.
    Existing(Booking),
    /// Not booked: these conflicts stand in the way.
    Conflict(Vec<Conflict>),
}

/// The JSON shape of [`BookOutcome`]: serde cannot tag a newtype variant
/// holding a list, so the conflicts go under `conflicts`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum BookOutcomeJson {
    Booked(Booking),
    Existing(Booking),
    Conflict { conflicts: Vec<Conflict> },
}

impl From<BookOutcomeJson> for BookOutcome {
    fn from(j: BookOutcomeJson) -> Self {
        match j {
            BookOutcomeJson::Booked(b) => Self::Booked(b),
            BookOutcomeJson::Existing(b) => Self::Existing(b),
            BookOutcomeJson::Conflict { conflicts } => Self::Conflict(conflicts),
        }
    }
}

impl From<BookOutcome> for BookOutcomeJson {
    fn from(o: BookOutcome) -> Self {
        match o {
            BookOutcome::Booked(b) => Self::Booked(b),
            BookOutcome::Existing(b) => Self::Existing(b),
            BookOutcome::Conflict(conflicts) => Self::Conflict { conflicts },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn slot() -> Interval {
        Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap()
    }

    fn res() -> Vec<String> {
        vec!["provider:P1".into(), "patient:X1".into()]
    }

    #[test]
    fn new_and_setters_fill_their_fields() {
        let b = Booking::new("a1", res(), slot());
        assert_eq!(
            (b.id.as_str(), b.start, b.end, b.status),
            ("a1", slot().start(), slot().end(), Status::Booked)
        );
        assert_eq!((b.hold_expires, &b.series, &b.anchor), (None, &None, &None));
        let h = b.clone().hold_until(t("2026-05-04T08:15:00Z"));
        assert_eq!(
            (h.status, h.hold_expires),
            (Status::Held, Some(t("2026-05-04T08:15:00Z")))
        );
        let zone = crate::Zone::parse("UTC").unwrap();
        let full = b
            .clone()
            .status(Status::Cancelled)
            .series(SeriesRef::new("s1", "2026-05-04T09:00:00"))
            .anchor(crate::anchor::WallAnchor::of(zone, b.start, b.end))
            .cancel_reason("ill")
            .replaces("a0")
            .replaced_by("a2");
        assert_eq!(full.status, Status::Cancelled);
        assert_eq!(
            full.series,
            Some(SeriesRef::new("s1", "2026-05-04T09:00:00"))
        );
        assert_eq!(full.anchor.as_deref().map(|a| a.zone), Some(zone));
        assert_eq!(
            (
                full.cancel_reason.as_deref(),
                full.replaces.as_deref(),
                full.replaced_by.as_deref()
            ),
            (Some("ill"), Some("a0"), Some("a2"))
        );
        assert_eq!(full.clone().build().unwrap(), full);
    }

    #[test]
    fn build_runs_validate() {
        let held = Booking::new("h", res(), slot()).status(Status::Held);
        assert_eq!(held.build().unwrap_err().code(), ErrorCode::InvalidRequest);
        assert_eq!(
            Booking::new("", res(), slot()).build().unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            Booking::new("a", vec![], slot())
                .build()
                .unwrap_err()
                .code(),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            Booking::new("a", res(), slot())
                .replaces("not an id!")
                .build()
                .unwrap_err()
                .code(),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn deserialising_refuses_what_validate_refuses() {
        let good = serde_json::json!({
            "id": "a1", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T09:30:00Z",
            "status": "booked", "resources": ["provider:P1"]
        });
        let b: Booking = serde_json::from_value(good.clone()).unwrap();
        assert_eq!(b, Booking::new("a1", vec!["provider:P1".into()], slot()));
        for (field, bad) in [
            ("end", serde_json::json!("2026-05-04T09:00:00Z")),
            ("end", serde_json::json!("2026-05-04T08:00:00Z")),
            ("resources", serde_json::json!([])),
            ("resources", serde_json::json!([""])),
            ("id", serde_json::json!("")),
            ("status", serde_json::json!("held")),
        ] {
            let mut v = good.clone();
            v[field] = bad.clone();
            let e = serde_json::from_value::<Booking>(v).unwrap_err();
            assert!(!e.to_string().is_empty(), "{field} = {bad}");
        }
        // A hold with its expiry is fine.
        let mut v = good;
        v["status"] = "held".into();
        v["hold_expires"] = "2026-05-04T08:15:00Z".into();
        assert_eq!(
            serde_json::from_value::<Booking>(v).unwrap().status,
            Status::Held
        );
    }

    #[test]
    fn serde_round_trips() {
        let zone = crate::Zone::parse("Europe/Berlin").unwrap();
        let b = Booking::new("a1", res(), slot())
            .hold_until(t("2026-05-04T08:15:00Z"))
            .series(SeriesRef::new("s1", "2026-05-04T11:00:00"))
            .anchor(crate::anchor::WallAnchor::of(
                zone,
                slot().start(),
                slot().end(),
            ))
            .cancel_reason("x")
            .replaces("a0")
            .replaced_by("a2");
        let back: Booking = serde_json::from_value(serde_json::to_value(&b).unwrap()).unwrap();
        assert_eq!(back, b);
        let plain = Booking::new("a1", res(), slot());
        let v = serde_json::to_value(&plain).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 5, "{v}");
        assert_eq!(serde_json::from_value::<Booking>(v).unwrap(), plain);

        let req = Request::new(res(), slot());
        let back: Request = serde_json::from_value(serde_json::to_value(&req).unwrap()).unwrap();
        assert_eq!(back, req);
        let check = Check {
            ok: false,
            conflicts: vec![Conflict::new("provider:P1", vec!["b".into(), "a".into()])],
        };
        let back: Check = serde_json::from_value(serde_json::to_value(&check).unwrap()).unwrap();
        assert_eq!(back, check);
        assert_eq!(
            serde_json::to_value(BookOutcome::Conflict(check.conflicts.clone())).unwrap(),
            serde_json::json!({"outcome": "conflict", "conflicts": [{"resource": "provider:P1", "with": ["a", "b"]}]})
        );
        assert_eq!(
            serde_json::to_value(BookOutcome::Booked(plain.clone())).unwrap()["outcome"],
            "booked"
        );
        for outcome in [
            BookOutcome::Booked(plain.clone()),
            BookOutcome::Existing(plain),
            BookOutcome::Conflict(check.conflicts),
        ] {
            let v = serde_json::to_value(&outcome).unwrap();
            assert_eq!(serde_json::from_value::<BookOutcome>(v).unwrap(), outcome);
        }
        for s in Status::ALL {
            let v = serde_json::to_value(s).unwrap();
            assert_eq!(v, s.as_str());
            assert_eq!(serde_json::from_value::<Status>(v).unwrap(), s);
        }
    }

    #[test]
    fn request_and_conflict_constructors() {
        let req = Request::new(res(), slot());
        assert_eq!(
            (req.start, req.end, req.resources.clone()),
            (slot().start(), slot().end(), res())
        );
        assert_eq!(Booking::new("a1", res(), slot()).request(), req);
        let c = Conflict::new("room:R1", vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(
            (c.resource.as_str(), c.with.as_slice()),
            ("room:R1", ["a".to_string(), "b".to_string()].as_slice())
        );
    }
}
