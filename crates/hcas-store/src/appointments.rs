//! The appointments port, [`AppointmentStore`]: bookings, holds, statuses
//! (through the core's lifecycle), reschedules, capacities, busy time and
//! the outbox; and what it answers ([`Stored`], [`StatusChanged`],
//! [`Rescheduled`], [`Counts`], [`OutboxEvent`] of a [`kind`]).

use async_trait::async_trait;
use hcas_core::booking::Booking;
use hcas_core::lifecycle::{Party, TransitionRequest, Transitioned};
use hcas_core::{Interval, Timestamp};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A record with its optimistic-concurrency version (1 on creation, +1 per change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored<T> {
    /// The record.
    pub value: T,
    /// Its version.
    pub version: i64,
}

/// The version of a whole series: the sum of its occurrences' versions.
/// Every change to an occurrence raises its version, so any change to the
/// series raises this sum (an `ETag` for the series as one resource).
#[must_use]
pub fn series_version(all: &[Stored<Booking>]) -> i64 {
    all.iter().map(|s| s.version).sum()
}

/// `VersionMismatch` unless series `id`, as `all` holds it now, is at
/// version `expected` (any version when `None`).
///
/// # Errors
/// `VersionMismatch` naming the series, the expected and the current version.
pub(crate) fn check_series_version(
    id: &str,
    all: &[Stored<Booking>],
    expected: Option<i64>,
) -> Result<(), StoreError> {
    let found = series_version(all);
    match expected {
        Some(expected) if expected != found => Err(StoreError::VersionMismatch {
            id: id.to_string(),
            expected,
            found,
        }),
        _ => Ok(()),
    }
}

/// Outbox event kinds.
pub mod kind {
    /// A booking was created.
    pub const APPOINTMENT_CREATED: &str = "appointment.created";
    /// A booking's status changed (other than to cancelled).
    pub const APPOINTMENT_UPDATED: &str = "appointment.updated";
    /// A booking was cancelled.
    pub const APPOINTMENT_CANCELLED: &str = "appointment.cancelled";
    /// A consent was created or changed (payload: the consent).
    pub const CONSENT_CHANGED: &str = "consent.changed";
    /// A booking was moved onto its wall-time anchor after a tz rule change
    /// (payload: the booking with its new instants).
    pub const APPOINTMENT_REANCHORED: &str = "appointment.reanchored";
    /// A provider's schedule was created or changed (payload: the schedule).
    pub const SCHEDULE_CHANGED: &str = "schedule.changed";

    /// The kind of the event for a status change to `status`.
    #[must_use]
    pub const fn for_status(status: hcas_core::booking::Status) -> &'static str {
        match status {
            hcas_core::booking::Status::Cancelled => APPOINTMENT_CANCELLED,
            _ => APPOINTMENT_UPDATED,
        }
    }
}

/// A domain event written in the same transaction as the change it reports,
/// to be published later (at least once) by a relay.
///
/// What a consumer may rely on: ids are unique per store, and the events of
/// one aggregate (one booking, consent or schedule) have increasing ids in
/// the order of its changes (its n-th `appointment.*` event is its version n),
/// because every change of one aggregate is serialised by the store. Across
/// aggregates ids are **not** commit order on PostgreSQL (an id is taken from
/// a sequence at insert time, so a later id can commit first): never use the
/// highest id seen as a cursor; read [`AppointmentStore::outbox_pending`] (every
/// unsent event, whatever its id) and mark what was published with
/// [`AppointmentStore::outbox_mark_sent`]. On memory and SQLite writers are
/// serialised, so ids there are also commit order, but portable consumers
/// should not depend on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// Unique id; increasing per aggregate in change order (see the type's docs).
    pub id: i64,
    /// One of [`kind`].
    pub kind: String,
    /// The id of the record the event is about.
    pub aggregate_id: String,
    /// The record after the change. For a booking's status change (and the
    /// cancelled side of a reschedule) also a `transition` object:
    /// `{"from", "to", "actor", "reason" (if given), "outcomes"}`.
    pub payload: serde_json::Value,
    /// When the change was made (the caller's `now`).
    pub created: Timestamp,
}

/// Who reschedules, why and when: the cancellation half of
/// [`AppointmentStore::reschedule`] (a lifecycle transition of the old
/// booking to `cancelled`), as [`TransitionRequest`] is for
/// [`AppointmentStore::set_status`].
///
/// ```
/// use hcas_core::lifecycle::Party;
/// use hcas_store::RescheduleRequest;
/// let r = RescheduleRequest::new(Party::Patient, "clashes with work", "2026-05-01T09:00:00Z".parse().unwrap());
/// assert_eq!((r.actor, r.reason.as_str()), (Party::Patient, "clashes with work"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RescheduleRequest {
    /// Who asks (the lifecycle checks they may cancel the old booking now).
    pub actor: Party,
    /// Why (required, non-blank; stored as the old booking's cancel reason).
    pub reason: String,
    /// When (the caller's clock; the store never reads one).
    pub now: Timestamp,
}

impl RescheduleRequest {
    /// `actor` moves a booking at `now` because of `reason`.
    #[must_use]
    pub fn new(actor: Party, reason: impl Into<String>, now: Timestamp) -> Self {
        Self {
            actor,
            reason: reason.into(),
            now,
        }
    }
}

/// What [`AppointmentStore::set_status`] did: the booking after the change
/// and the lifecycle's answer (from, to, outcomes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanged {
    /// The booking after the change, at its new version.
    pub booking: Stored<Booking>,
    /// The transition made, with its outcomes (cancelled, late cancellation,
    /// no-show, slot freed).
    pub transition: Transitioned,
}

/// What [`AppointmentStore::reschedule`] made: the cancelled booking and its replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rescheduled {
    /// The old booking, now cancelled (`replaced_by` set), at its new version.
    pub old: Stored<Booking>,
    /// The new booking (`replaces` set), at version 1.
    pub new: Stored<Booking>,
    /// The cancellation of the old booking, with its outcomes (e.g. a late
    /// cancellation).
    pub transition: Transitioned,
}

/// Record counts, for tests and health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Bookings, in any status.
    pub bookings: u64,
    /// Outbox events, sent or not.
    pub outbox: u64,
}

/// The appointments port: bookings, holds, statuses, capacities, busy time
/// and the outbox. Object-safe: use it as `Arc<dyn AppointmentStore>`.
#[async_trait]
pub trait AppointmentStore: Send + Sync {
    /// Book atomically: check conflicts with the core's rules (capacities,
    /// holds, statuses), insert, and write an `appointment.created` outbox
    /// event, all in one transaction. A repeated `idempotency_key` returns the
    /// booking it first created and writes nothing.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] naming every blocking booking;
    /// [`StoreError::Invalid`] for a malformed booking, a reused id, or a key
    /// reused for other details; [`StoreError::Unavailable`].
    async fn book(
        &self,
        booking: Booking,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError>;

    /// The booking with this id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Unavailable`].
    async fn get(&self, id: &str) -> Result<Stored<Booking>, StoreError>;

    /// Move booking `id` to another status through the core's lifecycle, if
    /// it is still at `expected_version`, with an outbox event; answer the
    /// booking after the change and what follows from it (e.g.
    /// [`hcas_core::lifecycle::Outcome::LateCancellation`]).
    ///
    /// The change is decided by [`hcas_core::lifecycle::transition`] under the
    /// store's [`hcas_core::lifecycle::LifecyclePolicy`] (set when the store handle is
    /// built, `LifecyclePolicy::default()` unless changed): a legal transition
    /// ([`hcas_core::lifecycle::TRANSITIONS`]), an actor allowed to make it,
    /// the clock rules (an expired hold cannot be confirmed, a started
    /// appointment cannot be cancelled, ...) and a reason where one is
    /// required. The store adds no rule of its own; it only re-checks
    /// conflicts for a change that makes the booking occupy its resources
    /// again (`proposed`/`waitlist` to `pending`/`booked`). The new booking
    /// has no hold expiry, and a change to `cancelled` or `entered-in-error`
    /// records the reason as `cancel_reason`. The event's payload is the
    /// booking after the change plus a `transition` object (from, to, actor,
    /// reason, outcomes), which [`HistoryStore::history`](crate::HistoryStore::history) reads back.
    ///
    /// # Errors
    /// [`StoreError::VersionMismatch`]; [`StoreError::NotFound`];
    /// [`StoreError::Invalid`] with `invalid_transition` (not a legal change,
    /// or not now), `not_permitted` (this actor may not) or `invalid_request`
    /// (a required reason missing); [`StoreError::Conflict`];
    /// [`StoreError::Unavailable`]. A refused change writes nothing.
    async fn set_status(
        &self,
        id: &str,
        expected_version: i64,
        change: &TransitionRequest,
    ) -> Result<StatusChanged, StoreError>;

    /// Reschedule atomically: book `new` as the replacement of booking `id`
    /// (`new.replaces = id`) and cancel `id` (with `reason` and
    /// `replaced_by`), in one transaction with an `appointment.created` and an
    /// `appointment.cancelled` event; or change nothing. The old booking does
    /// not count against the new one (moving an appointment by 15 minutes
    /// works). The cancellation of `id` is a lifecycle transition to
    /// `cancelled` by `request.actor` with `request.reason` at `request.now`, decided as in
    /// [`AppointmentStore::set_status`] (its outcomes, e.g. a late
    /// cancellation, are in [`Rescheduled::transition`]); the rest are the
    /// core's [`hcas_core::booking::Ledger::reschedule`] rules.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::VersionMismatch`] if `id` is no
    /// longer at `expected_version`; [`StoreError::Invalid`] with
    /// `invalid_transition` or `not_permitted` when `actor` may not cancel
    /// `id` now, `invalid_request` for a missing reason, a status that cannot
    /// be rescheduled, a malformed `new` or an id already used;
    /// [`StoreError::Conflict`] naming what blocks `new`;
    /// [`StoreError::Unavailable`].
    async fn reschedule(
        &self,
        id: &str,
        expected_version: i64,
        new: Booking,
        request: &RescheduleRequest,
    ) -> Result<Rescheduled, StoreError>;

    /// Set a resource's capacity (1 unless set).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for 0; [`StoreError::Unavailable`].
    async fn set_capacity(&self, resource: &str, capacity: u32) -> Result<(), StoreError>;

    /// The intervals of bookings that block `resource` at `now` and overlap
    /// `[from, to)`, sorted by start, then end (not merged).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for `to <= from`; [`StoreError::Unavailable`].
    async fn busy(
        &self,
        resource: &str,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Interval>, StoreError>;

    /// Up to `limit` bookings of any status that use `resource`
    /// (`patient:X1`, `provider:P1`, ...) and overlap `window`, by start,
    /// then id, each with its version: what a search of a patient's or a
    /// provider's appointments reads (the FHIR API's `Appointment` search).
    /// Ask for one more than you show to learn whether there are more.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn bookings_on(
        &self,
        resource: &str,
        window: Interval,
        limit: usize,
    ) -> Result<Vec<Stored<Booking>>, StoreError>;

    /// Up to `limit` unsent outbox events, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError>;

    /// Mark outbox events as sent (unknown ids are ignored).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn outbox_mark_sent(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// How many bookings and outbox events the store holds.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn counts(&self) -> Result<Counts, StoreError>;
}
