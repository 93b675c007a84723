//! The bookings ledger (`hcas_core::booking`): [`Ledger`] as a UniFFI object
//! (it is state: one per app or per provider), [`Booking`], [`Conflict`] and
//! [`SeriesRef`] as records, [`BookingStatus`] and [`BookOutcome`] as enums.
//! Conversions only: every check and every outcome is the core ledger's.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hcas_core::booking::{self as core, BookOptions, CheckOptions, HoldOptions, RescheduleOptions};
use hcas_core::{ErrorCode, Interval, Minutes, Timestamp};

use crate::HcasError;
use crate::errors::error;

/// A booking's status: the FHIR R4 `Appointment.status` values plus `Held`
/// (a tentative reservation that lapses at `holdExpires`). Pending, booked,
/// arrived, checked-in and fulfilled bookings block their resources; a hold
/// blocks until it lapses; the others do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum BookingStatus {
    /// Suggested, not yet asked for (`proposed`).
    Proposed,
    /// Asked for, awaiting confirmation (`pending`).
    Pending,
    /// Confirmed (`booked`).
    Booked,
    /// The patient has arrived (`arrived`).
    Arrived,
    /// The patient has checked in (`checked-in`).
    CheckedIn,
    /// The appointment took place (`fulfilled`).
    Fulfilled,
    /// Cancelled before it took place (`cancelled`).
    Cancelled,
    /// The patient did not come (`noshow`).
    Noshow,
    /// Recorded by mistake (`entered-in-error`).
    EnteredInError,
    /// On a waitlist for a slot (`waitlist`).
    Waitlist,
    /// Tentatively reserved until `holdExpires` (`held`).
    Held,
}

/// Each binding status with the engine's, in `core::Status::ALL`'s order.
const STATUSES: [(BookingStatus, core::Status); 11] = [
    (BookingStatus::Proposed, core::Status::Proposed),
    (BookingStatus::Pending, core::Status::Pending),
    (BookingStatus::Booked, core::Status::Booked),
    (BookingStatus::Arrived, core::Status::Arrived),
    (BookingStatus::CheckedIn, core::Status::CheckedIn),
    (BookingStatus::Fulfilled, core::Status::Fulfilled),
    (BookingStatus::Cancelled, core::Status::Cancelled),
    (BookingStatus::Noshow, core::Status::Noshow),
    (BookingStatus::EnteredInError, core::Status::EnteredInError),
    (BookingStatus::Waitlist, core::Status::Waitlist),
    (BookingStatus::Held, core::Status::Held),
];

impl BookingStatus {
    /// The engine's status.
    pub(crate) fn core(self) -> core::Status {
        STATUSES
            .iter()
            .find(|(b, _)| *b == self)
            .map_or(core::Status::Booked, |(_, c)| *c)
    }

    /// The binding's status for the engine's; `invalid_request` for a status
    /// added to the engine after this binding.
    pub(crate) fn from_core(status: core::Status) -> Result<Self, HcasError> {
        STATUSES
            .iter()
            .find(|(_, c)| *c == status)
            .map(|(b, _)| *b)
            .ok_or_else(|| {
                error(
                    ErrorCode::InvalidRequest,
                    format!("status `{status}` is newer than this binding; update hcas-mobile"),
                )
            })
    }
}

/// The wire name of a status (`checked-in`, `entered-in-error`, ...), as in
/// the engine's JSON and FHIR `Appointment.status`.
#[uniffi::export]
pub fn booking_status_name(status: BookingStatus) -> String {
    status.core().as_str().to_string()
}

/// The status with this wire name.
///
/// # Errors
/// `invalid_request` for a name that is not a status.
#[uniffi::export]
pub fn booking_status_parse(name: String) -> Result<BookingStatus, HcasError> {
    BookingStatus::from_core(core::Status::parse(&name)?)
}

/// The occurrence of a recurring series a booking is: the series' id and the
/// occurrence's recurrence id (its original local start, `2026-05-04T10:00:00`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct SeriesRef {
    /// The series' id.
    pub id: String,
    /// The occurrence's recurrence id.
    pub recurrence_id: String,
}

/// One booking: `id`, the `resources` it uses (`provider:P1`, `patient:X1`,
/// `room:R1`, ...), `[start, end)`, its `status` and, for a hold, when it
/// lapses; for an occurrence of a series, its `series`; why it was cancelled;
/// and, after a reschedule, the booking it `replaces` and the one it was
/// `replacedBy` (ids). Checked by the engine wherever it enters the ledger.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Booking {
    /// Unique id.
    pub id: String,
    /// The resources it uses.
    pub resources: Vec<String>,
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive), after the start.
    pub end: Timestamp,
    /// Its status (`Booked` for an ordinary appointment).
    pub status: BookingStatus,
    /// For `Held`: when the hold lapses (required for a hold).
    #[uniffi(default = None)]
    pub hold_expires: Option<Timestamp>,
    /// The series occurrence it is, if any.
    #[uniffi(default = None)]
    pub series: Option<SeriesRef>,
    /// Why it was cancelled (or entered in error).
    #[uniffi(default = None)]
    pub cancel_reason: Option<String>,
    /// The id of the booking this one replaces (a reschedule).
    #[uniffi(default = None)]
    pub replaces: Option<String>,
    /// The id of the booking that replaced this one (a reschedule).
    #[uniffi(default = None)]
    pub replaced_by: Option<String>,
}

impl Booking {
    /// The engine's booking, checked (`core::Booking::validate`).
    pub(crate) fn core(self) -> Result<core::Booking, HcasError> {
        let interval = Interval::new(self.start, self.end)
            .map_err(|e| e.at(&format!("booking {}", self.id)))?;
        let mut b =
            core::Booking::new(self.id, self.resources, interval).status(self.status.core());
        b.hold_expires = self.hold_expires;
        if let Some(s) = self.series {
            b = b.series(core::SeriesRef::new(s.id, s.recurrence_id));
        }
        b.cancel_reason = self.cancel_reason;
        b.replaces = self.replaces;
        b.replaced_by = self.replaced_by;
        Ok(b.build()?)
    }

    /// The binding's booking for the engine's.
    pub(crate) fn from_core(b: core::Booking) -> Result<Self, HcasError> {
        Ok(Self {
            status: BookingStatus::from_core(b.status)?,
            id: b.id,
            resources: b.resources,
            start: b.start,
            end: b.end,
            hold_expires: b.hold_expires,
            series: b.series.map(|s| SeriesRef {
                id: s.id,
                recurrence_id: s.recurrence_id,
            }),
            cancel_reason: b.cancel_reason,
            replaces: b.replaces,
            replaced_by: b.replaced_by,
        })
    }
}

/// Bookings from the engine's.
pub(crate) fn bookings_from_core(
    items: impl IntoIterator<Item = core::Booking>,
) -> Result<Vec<Booking>, HcasError> {
    items.into_iter().map(Booking::from_core).collect()
}

/// One conflicting resource and the ids of the blocking bookings on it that
/// overlap the request (sorted).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Conflict {
    /// The resource taken.
    pub resource: String,
    /// The ids of the bookings that take it, sorted.
    pub bookings: Vec<String>,
}

impl From<core::Conflict> for Conflict {
    fn from(c: core::Conflict) -> Self {
        Self {
            resource: c.resource,
            bookings: c.with,
        }
    }
}

/// Conflicts from the engine's.
pub(crate) fn conflicts_from_core(items: Vec<core::Conflict>) -> Vec<Conflict> {
    items.into_iter().map(Conflict::from).collect()
}

/// What a booking operation of the [`Ledger`] did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BookOutcome {
    /// Written now: the booking as stored.
    Booked {
        /// The booking written.
        booking: Booking,
    },
    /// The idempotency key was used before: the booking it made; nothing
    /// new was written.
    Existing {
        /// The booking the key made.
        booking: Booking,
    },
    /// Nothing written: every conflicting resource (by name) with every
    /// booking on it in the way.
    Conflict {
        /// The conflicts, at least one.
        conflicts: Vec<Conflict>,
    },
}

impl BookOutcome {
    /// The binding's outcome for the engine's.
    fn from_core(o: core::BookOutcome) -> Result<Self, HcasError> {
        Ok(match o {
            core::BookOutcome::Booked(b) => Self::Booked {
                booking: Booking::from_core(b)?,
            },
            core::BookOutcome::Existing(b) => Self::Existing {
                booking: Booking::from_core(b)?,
            },
            core::BookOutcome::Conflict(cs) => Self::Conflict {
                conflicts: conflicts_from_core(cs),
            },
        })
    }
}

/// A request for `resources` over `[start, end)`.
fn request(
    resources: Vec<String>,
    start: Timestamp,
    end: Timestamp,
) -> Result<core::Request, HcasError> {
    Ok(core::Request::new(resources, Interval::new(start, end)?))
}

/// The bookings ledger: bookings indexed by resource, resource capacities (1
/// unless set), idempotency keys, and the conflict check. Every operation is
/// atomic (one lock); the object may be shared between threads.
#[derive(Debug, Default, uniffi::Object)]
pub struct Ledger(Mutex<core::Ledger>);

impl Ledger {
    /// The engine's ledger, locked. A panic while it was held cannot leave
    /// it half-changed (every change is one engine call), so a poisoned lock
    /// is taken as is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, core::Ledger> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl Ledger {
    /// An empty ledger.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// How many bookings it holds (any status).
    pub fn count(&self) -> u64 {
        self.lock().len() as u64
    }

    /// Add a booking without a conflict check (loading existing data).
    ///
    /// # Errors
    /// The booking's validation errors; `invalid_request` for an id already
    /// in the ledger.
    pub fn insert(&self, booking: Booking) -> Result<(), HcasError> {
        let b = booking.core()?;
        Ok(self.lock().insert(b)?)
    }

    /// The booking with this id, or null.
    ///
    /// # Errors
    /// Only for a status newer than this binding.
    pub fn get(&self, id: String) -> Result<Option<Booking>, HcasError> {
        self.lock()
            .get(&id)
            .cloned()
            .map(Booking::from_core)
            .transpose()
    }

    /// Take the booking with this id out of the ledger (null if there is none).
    ///
    /// # Errors
    /// Only for a status newer than this binding.
    pub fn remove(&self, id: String) -> Result<Option<Booking>, HcasError> {
        self.lock().remove(&id).map(Booking::from_core).transpose()
    }

    /// Every booking, ordered by start, then id.
    ///
    /// # Errors
    /// Only for a status newer than this binding.
    pub fn bookings(&self) -> Result<Vec<Booking>, HcasError> {
        let mut all: Vec<core::Booking> = self.lock().bookings().cloned().collect();
        all.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        bookings_from_core(all)
    }

    /// Let `capacity` bookings overlap on `resource` (a room with two chairs).
    ///
    /// # Errors
    /// `invalid_request` for a capacity of 0.
    pub fn set_capacity(&self, resource: String, capacity: u32) -> Result<(), HcasError> {
        Ok(self.lock().set_capacity(&resource, capacity)?)
    }

    /// The capacity of `resource` (1 unless set).
    pub fn capacity(&self, resource: String) -> u32 {
        self.lock().capacity(&resource)
    }

    /// The conflicts that stand in the way of booking `resources` over
    /// `[start, end)` at `now` (empty: it can be booked), by resource name.
    /// Touching is not overlapping. `exclude`: the id of a booking to ignore
    /// (one being moved); `extra`: bookings to count as if they were in the
    /// ledger. Changes nothing.
    ///
    /// # Errors
    /// `invalid_interval` when `end <= start`; `invalid_request` for no or
    /// bad resource names, or a bad booking in `extra`.
    #[uniffi::method(default(exclude = None, extra = []))]
    pub fn check(
        &self,
        resources: Vec<String>,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
        exclude: Option<String>,
        extra: Vec<Booking>,
    ) -> Result<Vec<Conflict>, HcasError> {
        let request = request(resources, start, end)?;
        let extra = extra
            .into_iter()
            .map(Booking::core)
            .collect::<Result<Vec<_>, _>>()?;
        let mut options = CheckOptions::at(now).extra(&extra);
        if let Some(id) = exclude.as_deref() {
            options = options.exclude(id);
        }
        let check = self.lock().check_with(&request, options)?;
        Ok(conflicts_from_core(check.conflicts))
    }

    /// Book atomically at `now`: check, then insert only when free
    /// (`Booked`, or `Conflict` with every conflict and the ledger
    /// unchanged). With `idempotencyKey`, a key used within the last 24
    /// hours answers the booking it made (`Existing`, nothing new written).
    ///
    /// # Errors
    /// The booking's validation errors; `invalid_request` for a reused id or
    /// a key reused for a different interval or resources.
    #[uniffi::method(default(idempotency_key = None))]
    pub fn book(
        &self,
        booking: Booking,
        now: Timestamp,
        idempotency_key: Option<String>,
    ) -> Result<BookOutcome, HcasError> {
        let b = booking.core()?;
        let options = BookOptions::at(now).idempotency_key(idempotency_key.as_deref());
        let out = self.lock().book(b, options)?;
        BookOutcome::from_core(out)
    }

    /// Place the hold `id` on `resources` over `[start, end)` at `now`,
    /// lapsing at `expires`: a tentative booking (`Held`) that blocks others
    /// until then. Booked as [`Ledger::book`] books (`Booked` or `Conflict`).
    ///
    /// # Errors
    /// `invalid_duration` when `expires <= now`; the request's validation
    /// errors; `invalid_request` for a reused id.
    pub fn hold(
        &self,
        id: String,
        resources: Vec<String>,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<BookOutcome, HcasError> {
        let request = request(resources, start, end)?;
        let out = self
            .lock()
            .hold(&id, &request, HoldOptions::new(now, expires))?;
        BookOutcome::from_core(out)
    }

    /// As [`Ledger::hold`], lapsing `lengthMinutes` after `now`.
    ///
    /// # Errors
    /// `invalid_duration` for a length of 0; as [`Ledger::hold`].
    pub fn hold_for(
        &self,
        id: String,
        resources: Vec<String>,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
        length_minutes: u32,
    ) -> Result<BookOutcome, HcasError> {
        let request = request(resources, start, end)?;
        let options = HoldOptions::lasting(now, Minutes::new(i64::from(length_minutes)))?;
        let out = self.lock().hold(&id, &request, options)?;
        BookOutcome::from_core(out)
    }

    /// Turn the live hold `id` into a booking at `now`, checked against
    /// everything but the hold itself in the same step (`Booked`, the
    /// booking now `Booked`, or `Conflict`).
    ///
    /// # Errors
    /// `invalid_request` for an unknown id or a booking that is not a hold;
    /// `invalid_transition` for a hold that has lapsed.
    pub fn confirm_hold(&self, id: String, now: Timestamp) -> Result<BookOutcome, HcasError> {
        let out = self.lock().confirm_hold(&id, now)?;
        BookOutcome::from_core(out)
    }

    /// Reschedule the booking `id` to `new`: book `new` (its `replaces` set
    /// to `id`; the old booking does not count against it) and cancel `id`
    /// with `reason` and `replacedBy` set to `new.id`, or change nothing when
    /// `new` conflicts (`Booked`, the new booking, or `Conflict`).
    ///
    /// # Errors
    /// `invalid_request` for an unknown id or a booking that is not
    /// proposed, pending, held or booked; `new`'s validation errors.
    pub fn reschedule(
        &self,
        id: String,
        new: Booking,
        now: Timestamp,
        reason: String,
    ) -> Result<BookOutcome, HcasError> {
        let new = new.core()?;
        let out = self
            .lock()
            .reschedule(&id, new, RescheduleOptions::new(now, &reason))?;
        BookOutcome::from_core(out)
    }

    /// Move the booking `id` to `[start, end)` (same id, same resources),
    /// checked against everything but itself at `now` (`Booked`, the moved
    /// booking, or `Conflict`, nothing moved).
    ///
    /// # Errors
    /// `invalid_request` for an unknown id; `invalid_interval` when
    /// `end <= start`.
    pub fn move_booking(
        &self,
        id: String,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> Result<BookOutcome, HcasError> {
        let to = Interval::new(start, end)?;
        let out = self.lock().move_booking(&id, to, now)?;
        BookOutcome::from_core(out)
    }

    /// The bookings that block `resource` at `now` and overlap
    /// `[start, end)`, by start (touching is not overlapping).
    ///
    /// # Errors
    /// `invalid_interval` when `end <= start`.
    pub fn blocking_on(
        &self,
        resource: String,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Booking>, HcasError> {
        let window = Interval::new(start, end)?;
        let hits: Vec<core::Booking> = self
            .lock()
            .blocking_on(&resource, &window, now)
            .into_iter()
            .cloned()
            .collect();
        bookings_from_core(hits)
    }

    /// How many idempotency keys the ledger remembers.
    pub fn idempotency_keys(&self) -> u64 {
        self.lock().idempotency_keys() as u64
    }

    /// Forget every idempotency key first used 24 hours or more before
    /// `now` ([`Ledger::book`] does it itself; this prunes without booking).
    pub fn expire_idempotency_keys(&self, now: Timestamp) {
        self.lock().expire_idempotency_keys(now);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn appt(id: &str, resources: &[&str], start: &str, end: &str) -> Booking {
        Booking {
            id: id.into(),
            resources: resources.iter().map(|r| (*r).to_string()).collect(),
            start: t(start),
            end: t(end),
            status: BookingStatus::Booked,
            hold_expires: None,
            series: None,
            cancel_reason: None,
            replaces: None,
            replaced_by: None,
        }
    }

    #[test]
    fn every_engine_status_has_a_variant_and_its_wire_name() {
        for s in core::Status::ALL {
            let b = BookingStatus::from_core(s).unwrap();
            assert_eq!(b.core(), s);
            assert_eq!(booking_status_name(b), s.as_str());
            assert_eq!(booking_status_parse(s.as_str().into()).unwrap(), b);
        }
        assert_eq!(booking_status_name(BookingStatus::CheckedIn), "checked-in");
        let e = booking_status_parse("done".into()).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }

    #[test]
    fn book_check_and_conflicts_are_the_engines() {
        let ledger = Ledger::new();
        let now = t("2026-05-04T08:00:00Z");
        let a1 = appt(
            "a1",
            &["provider:P1", "patient:X1"],
            "2026-05-04T09:00:00Z",
            "2026-05-04T09:30:00Z",
        );
        let out = ledger.book(a1.clone(), now, Some("k1".into())).unwrap();
        assert_eq!(
            out,
            BookOutcome::Booked {
                booking: a1.clone()
            }
        );
        // The same key again: the booking it made, nothing new.
        let again = ledger.book(a1.clone(), now, Some("k1".into())).unwrap();
        assert_eq!(
            again,
            BookOutcome::Existing {
                booking: a1.clone()
            }
        );
        assert_eq!((ledger.count(), ledger.idempotency_keys()), (1, 1));
        // P1 is taken 09:00-09:30; P2 and X2 are free; touching at 09:30 is fine.
        let a2 = appt(
            "a2",
            &["provider:P1", "patient:X2"],
            "2026-05-04T09:15:00Z",
            "2026-05-04T09:45:00Z",
        );
        let want = vec![Conflict {
            resource: "provider:P1".into(),
            bookings: vec!["a1".into()],
        }];
        assert_eq!(
            ledger.book(a2.clone(), now, None).unwrap(),
            BookOutcome::Conflict {
                conflicts: want.clone()
            }
        );
        assert_eq!(
            ledger
                .check(a2.resources.clone(), a2.start, a2.end, now, None, vec![])
                .unwrap(),
            want
        );
        let touching = ledger
            .check(
                vec!["provider:P1".into()],
                t("2026-05-04T09:30:00Z"),
                t("2026-05-04T10:00:00Z"),
                now,
                None,
                vec![],
            )
            .unwrap();
        assert!(touching.is_empty());
        // Excluding a1, nothing is in the way.
        let free = ledger
            .check(
                a2.resources.clone(),
                a2.start,
                a2.end,
                now,
                Some("a1".into()),
                vec![],
            )
            .unwrap();
        assert!(free.is_empty());
        // The same key for another booking is refused.
        let e = ledger.book(a2, now, Some("k1".into())).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
        assert_eq!(ledger.get("a1".into()).unwrap(), Some(a1.clone()));
        assert_eq!(ledger.bookings().unwrap(), vec![a1.clone()]);
        assert_eq!(ledger.remove("a1".into()).unwrap(), Some(a1));
        assert_eq!(ledger.count(), 0);
    }

    #[test]
    fn holds_confirm_reschedule_and_capacity() {
        let ledger = Ledger::new();
        let now = t("2026-05-04T08:00:00Z");
        let (s, e) = (t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"));
        let held = ledger
            .hold_for("h1".into(), vec!["provider:P1".into()], s, e, now, 10)
            .unwrap();
        let BookOutcome::Booked { booking } = held else {
            panic!("the hold was not placed")
        };
        assert_eq!(booking.status, BookingStatus::Held);
        assert_eq!(booking.hold_expires, Some(t("2026-05-04T08:10:00Z")));
        // Confirmed before it lapses: booked.
        let ok = ledger
            .confirm_hold("h1".into(), t("2026-05-04T08:05:00Z"))
            .unwrap();
        assert!(
            matches!(&ok, BookOutcome::Booked { booking } if booking.status == BookingStatus::Booked && booking.hold_expires.is_none()),
            "{ok:?}"
        );
        // A second hold lapses; confirming it after is an invalid transition.
        ledger
            .hold(
                "h2".into(),
                vec!["provider:P2".into()],
                s,
                e,
                now,
                t("2026-05-04T08:10:00Z"),
            )
            .unwrap();
        let err = ledger
            .confirm_hold("h2".into(), t("2026-05-04T08:10:00Z"))
            .unwrap_err();
        assert!(
            matches!(err, HcasError::InvalidTransition { .. }),
            "{err:?}"
        );
        let err = ledger
            .hold("h3".into(), vec!["provider:P3".into()], s, e, now, now)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_duration");
        // Reschedule h1 to 10:00: the new booking replaces it, h1 is cancelled.
        let new = appt(
            "h1b",
            &["provider:P1"],
            "2026-05-04T10:00:00Z",
            "2026-05-04T10:30:00Z",
        );
        let out = ledger
            .reschedule("h1".into(), new, now, "patient asked".into())
            .unwrap();
        let BookOutcome::Booked { booking } = out else {
            panic!("not rescheduled")
        };
        assert_eq!(booking.replaces.as_deref(), Some("h1"));
        let old = ledger.get("h1".into()).unwrap().unwrap();
        assert_eq!(old.status, BookingStatus::Cancelled);
        assert_eq!(old.replaced_by.as_deref(), Some("h1b"));
        assert_eq!(old.cancel_reason.as_deref(), Some("patient asked"));
        // A room for two: the second overlapping booking fits, the third not.
        ledger.set_capacity("room:R1".into(), 2).unwrap();
        assert_eq!(ledger.capacity("room:R1".into()), 2);
        assert_eq!(ledger.capacity("room:R2".into()), 1);
        for id in ["r1", "r2"] {
            let b = appt(
                id,
                &["room:R1"],
                "2026-05-04T11:00:00Z",
                "2026-05-04T12:00:00Z",
            );
            assert!(matches!(
                ledger.book(b, now, None).unwrap(),
                BookOutcome::Booked { .. }
            ));
        }
        let b3 = appt(
            "r3",
            &["room:R1"],
            "2026-05-04T11:30:00Z",
            "2026-05-04T12:30:00Z",
        );
        let BookOutcome::Conflict { conflicts } = ledger.book(b3, now, None).unwrap() else {
            panic!("r3 booked")
        };
        assert_eq!(conflicts[0].bookings, ["r1", "r2"]);
        assert_eq!(
            ledger.set_capacity("room:R1".into(), 0).unwrap_err().code(),
            "invalid_request"
        );
    }

    #[test]
    fn bad_bookings_are_refused_with_their_codes() {
        let ledger = Ledger::new();
        let mut b = appt(
            "a1",
            &["provider:P1"],
            "2026-05-04T09:00:00Z",
            "2026-05-04T09:00:00Z",
        );
        assert_eq!(
            ledger.insert(b.clone()).unwrap_err().code(),
            "invalid_interval"
        );
        b.end = t("2026-05-04T09:30:00Z");
        b.status = BookingStatus::Held;
        // A hold must expire.
        assert_eq!(
            ledger.insert(b.clone()).unwrap_err().code(),
            "invalid_request"
        );
        b.status = BookingStatus::Booked;
        b.resources.clear();
        assert_eq!(
            ledger.insert(b.clone()).unwrap_err().code(),
            "invalid_request"
        );
        b.resources = vec!["provider:P1".into()];
        ledger.insert(b.clone()).unwrap();
        assert_eq!(ledger.insert(b).unwrap_err().code(), "invalid_request");
        let e = ledger
            .move_booking(
                "nope".into(),
                t("2026-05-04T10:00:00Z"),
                t("2026-05-04T10:30:00Z"),
                t("2026-05-04T08:00:00Z"),
            )
            .unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }
}
