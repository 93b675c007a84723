#![doc = "Storage ports and adapters for hcas: race-proof booking with the core's rules."]
//!
//! Services and embedders program against the ports ([`AppointmentStore`]);
//! adapters implement them: [`memory`] (default feature), `sqlite`
//! (feature `sqlite`, sqlx) and `postgres` (feature `postgres`, sqlx). Every adapter asks `hcas-core` whether a booking
//! conflicts ([`hcas_core::booking::Ledger::check`]); no adapter re-implements
//! the conflict rules. See `README.md` for the storage model and what is missing.

use async_trait::async_trait;
use hcas_core::booking::{Booking, Conflict};
use hcas_core::lifecycle::{Party, TransitionRequest, Transitioned};
use hcas_core::{Interval, Timestamp};
use serde::{Deserialize, Serialize};

#[cfg(any(feature = "memory", feature = "sqlite", feature = "postgres"))]
mod change;
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod conformance;
mod ports;
pub mod records;
pub use ports::{AnchorStore, DriftPage, MAX_DRIFT_PAGE, SweepCursor};
pub use ports::{
    AuditStore, ConsentStore, HistoryStore, PatientStore, ProviderStore, RecordStore, SeriesStore,
    Store, WaitlistStore,
};
pub use records::{
    AuditEvent, AuditRecord, Patient, Provider, ProviderAvailability, RecordMeta, Schedule,
    StatusChange, TimeOff,
};
#[cfg(feature = "memory")]
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// How the SQL adapters answer a database error, by its cause: a lost or
/// unobtainable connection, a serialization failure (`40001`), a deadlock
/// (`40P01`), a lock or statement timeout (`55P03`, `57014` from a timeout)
/// and SQLite busy/locked are [`StoreError::Unavailable`] (retryable); data
/// the database refused (PostgreSQL classes `22`, `23`, `54`; SQLite
/// constraint, too big, mismatch, range) is [`StoreError::Invalid`] with the
/// code `invalid_request` and a message naming the problem, the code and the
/// constraint, never the values; anything else is [`StoreError::Internal`].
/// See `docs/storage.md`, "Errors".
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[must_use]
pub fn sql_error(e: sqlx::Error) -> StoreError {
    sql::classify(e)
}
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sweep;

/// Why a store call failed; [`StoreError::code`] is stable and
/// [`StoreError::is_retryable`] says whether the same call may succeed later.
/// The store knows no HTTP: mapping these to statuses is the server's job
/// (`docs/storage.md` lists the mapping the reference server uses).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such record.
    #[error("{what} {id} not found")]
    NotFound {
        /// The kind of record (`booking`, ...).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// Not booked: these resources are taken, by these bookings.
    #[error("conflict: {}", describe(conflicts))]
    Conflict {
        /// Every conflicting resource with every blocking booking on it, as the core reports them.
        conflicts: Vec<Conflict>,
    },
    /// A record with this id exists already (a create with no expected version).
    #[error("{what} {id} already exists")]
    AlreadyExists {
        /// The kind of record (`patient`, ...).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// An optimistic-concurrency check failed: someone changed the record first.
    #[error("{id}: expected version {expected}, found {found}")]
    VersionMismatch {
        /// The record's id.
        id: String,
        /// The version the caller read.
        expected: i64,
        /// The version in the store.
        found: i64,
    },
    /// The database could not be reached or is busy; retrying may succeed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Bad input, with the core's stable error code.
    #[error(transparent)]
    Invalid(#[from] hcas_core::Error),
    /// The store holds data it cannot read (a corrupt row) or broke an
    /// invariant of its own; retrying does not help. Never caused by input.
    #[error("internal store error: {0}")]
    Internal(String),
}

fn describe(conflicts: &[Conflict]) -> String {
    conflicts
        .iter()
        .map(|c| format!("{} taken by {}", c.resource, c.with.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

impl StoreError {
    /// The stable code: `not_found`, `conflict`, `already_exists`, `version_mismatch`,
    /// `unavailable`, `invalid` or `internal` (the core's own code is [`StoreError::core_code`]).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::AlreadyExists { .. } => "already_exists",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::Unavailable(_) => "unavailable",
            Self::Invalid(_) => "invalid",
            Self::Internal(_) => "internal",
        }
    }

    /// For [`StoreError::Invalid`], the core's stable code (`invalid_request`, ...).
    #[must_use]
    pub fn core_code(&self) -> Option<hcas_core::ErrorCode> {
        match self {
            Self::Invalid(e) => Some(e.code()),
            _ => None,
        }
    }

    /// Whether the same call may succeed when retried unchanged.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// How long an idempotency key is remembered after its first use, in
/// seconds: 24 h, as Stripe does. A key first used at `t` (the caller's
/// `now`) returns its booking while `now < t + IDEMPOTENCY_TTL_SECONDS`; from
/// then on it is forgotten (a repeat books anew) and the SQL adapters prune
/// it (at most [`IDEMPOTENCY_PRUNE_BATCH`] keys per booking). The memory
/// adapter keeps keys in the core ledger, which applies the same rule. This
/// is the core's [`hcas_core::booking::IDEMPOTENCY_TTL`], so every adapter agrees.
pub const IDEMPOTENCY_TTL_SECONDS: i64 = hcas_core::booking::IDEMPOTENCY_TTL;

/// Bookings longer than this many seconds (24 h) are "long" for the SQL
/// adapters' overlap bound (`resource_extent`, see `docs/storage.md`,
/// "Bounded overlap queries"): their rows are counted while their booking
/// occupies, so the bound shrinks once the last of them stops occupying
/// (cancelled, deleted, moved). Shorter rows only raise a grow-only per-resource
/// maximum, so an ordinary booking costs one index probe and no write. A check
/// therefore reaches back at most the longer of the resource's longest short
/// booking ever (at most `EXTENT_FLOOR`) and its longest long booking that
/// still occupies it. The migrations hold the same number (every use
/// marked `/* EXTENT_FLOOR */`; a test checks they agree).
pub const EXTENT_FLOOR: i64 = 24 * 3600;

/// Most expired idempotency keys one booking deletes (SQL adapters): a
/// bounded delete on the write path, so pruning never stalls a booking.
pub const IDEMPOTENCY_PRUNE_BATCH: i64 = 64;

/// A record with its optimistic-concurrency version (1 on creation, +1 per change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored<T> {
    /// The record.
    pub value: T,
    /// Its version.
    pub version: i64,
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
    /// reason, outcomes), which [`HistoryStore::history`] reads back.
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
    /// `cancelled` by `actor` with `reason` at `now`, decided as in
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
        actor: Party,
        reason: &str,
        now: Timestamp,
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

/// `docs/storage.md`, whose examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/storage.md")]
pub struct StorageDocDoctests;
