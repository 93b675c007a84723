//! The ports besides [`crate::AppointmentStore`], one per bounded context of
//! the system design. Every trait is object-safe (`Arc<dyn …>`); [`Store`] is
//! all of them at once, implemented by every adapter.
//!
//! Conventions shared by every `put_*`:
//! - `expected_version: None` creates the record and fails with
//!   [`StoreError::AlreadyExists`] when the id is taken;
//!   `Some(v)` replaces it only if it is still at version `v`
//!   ([`StoreError::VersionMismatch`] otherwise, [`StoreError::NotFound`] if
//!   it does not exist). The returned version is 1 on creation, +1 per change.
//! - The record is validated first (`StoreError::Invalid`, the core's code,
//!   naming the field); a refused write changes nothing.
//! - Events (`consent.changed`, `schedule.changed`) go to the outbox in the
//!   same transaction as the change.

use async_trait::async_trait;
use hcas_core::anchor::Drift;
use hcas_core::booking::Booking;
use hcas_core::consent::Consent;
use hcas_core::series::{
    CancelResult, EditResult, SeriesCancel, SeriesEdit, SeriesPolicy, SeriesResult, SeriesSpec,
};
use hcas_core::waitlist::WaitEntry;
use hcas_core::{Interval, Timestamp};

use crate::records::{
    AuditEvent, AuditRecord, Patient, Provider, ProviderAvailability, RecordMeta, Schedule,
    StatusChange,
};
use crate::{
    AccountStore, AppointmentStore, FeedTokenStore, NotificationStore, StoreError, Stored,
    WebhookStore,
};

/// Patients' demographic records.
#[async_trait]
pub trait PatientStore: Send + Sync {
    /// Create or replace a patient (see the module's conventions).
    ///
    /// # Errors
    /// `AlreadyExists`, `VersionMismatch`, `NotFound`, `Invalid`, `Unavailable`.
    async fn put_patient(
        &self,
        patient: Patient,
        expected_version: Option<i64>,
    ) -> Result<Stored<Patient>, StoreError>;

    /// The patient with this id.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn get_patient(&self, id: &str) -> Result<Stored<Patient>, StoreError>;
}

/// Providers: profiles, schedules (rules, overrides, time off) and the
/// availability built from them and the bookings.
#[async_trait]
pub trait ProviderStore: Send + Sync {
    /// Create or replace a provider's profile.
    ///
    /// # Errors
    /// `AlreadyExists`, `VersionMismatch`, `NotFound`, `Invalid`, `Unavailable`.
    async fn put_provider(
        &self,
        provider: Provider,
        expected_version: Option<i64>,
    ) -> Result<Stored<Provider>, StoreError>;

    /// The provider with this id.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn get_provider(&self, id: &str) -> Result<Stored<Provider>, StoreError>;

    /// Every provider (active or not), by id: the directory a doctors
    /// service filters by specialty, language or location.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn providers(&self) -> Result<Vec<Stored<Provider>>, StoreError>;

    /// Create or replace a provider's schedule, with a `schedule.changed`
    /// event. The provider must exist.
    ///
    /// # Errors
    /// `NotFound` (provider or, with a version, schedule), `AlreadyExists`,
    /// `VersionMismatch`, `Invalid` (the core's codes for rules and zones), `Unavailable`.
    async fn put_schedule(
        &self,
        schedule: Schedule,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Schedule>, StoreError>;

    /// The provider's schedule.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn get_schedule(&self, provider_id: &str) -> Result<Stored<Schedule>, StoreError>;

    /// Each provider's availability, in the order asked: schedule, time off,
    /// and the bookings on `provider:<id>` that block at `now` and overlap
    /// `busy_window`, loaded in one query for all providers (SQL adapters).
    /// Pass a `busy_window` that covers the slot query's window plus the
    /// longest appointment and buffers. A provider without a schedule has no
    /// working hours (no slots).
    ///
    /// # Errors
    /// `NotFound` for an unknown provider; `Invalid` for an empty list or a
    /// stored schedule the core refuses; `Unavailable`.
    async fn availability(
        &self,
        provider_ids: &[String],
        busy_window: Interval,
        now: Timestamp,
    ) -> Result<Vec<ProviderAvailability>, StoreError>;
}

/// Recurring series of appointments.
#[async_trait]
pub trait SeriesStore: Send + Sync {
    /// Book a series atomically with the core's rules
    /// ([`SeriesSpec::book`]): every occurrence checked against the stored
    /// bookings and the series' own earlier occurrences; `AllOrNothing` books
    /// all or none, `BookFree` the free ones. Every booked occurrence gets an
    /// `appointment.created` event, in the same transaction.
    ///
    /// # Errors
    /// `Invalid` (the core's codes; an occurrence id already used),
    /// `Unavailable`. Conflicts are not errors: they are in the result.
    async fn book_series(
        &self,
        spec: &SeriesSpec,
        policy: SeriesPolicy,
        now: Timestamp,
    ) -> Result<SeriesResult, StoreError>;

    /// The stored occurrences of a series, by start.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn series_bookings(&self, series_id: &str) -> Result<Vec<Stored<Booking>>, StoreError>;

    /// Move occurrences of a series (one, this and following, or all) by a
    /// wall-clock shift in the series' zone, with the core's rules
    /// ([`hcas_core::series::shift_occurrences`]): decided by the core on a
    /// ledger of the series' bookings, the bookings overlapping the new times
    /// on their resources and those resources' capacities, under the same
    /// locks as booking. All or nothing: if any move conflicts, nothing is
    /// written (`applied: false`, the conflicts per occurrence); otherwise
    /// every move is written in one transaction, each moved occurrence keeps
    /// its id, goes up one version and gets an `appointment.updated` event
    /// (payload: the booking at its new time). Occurrences the lifecycle no
    /// longer lets change are left alone and listed in `skipped`, with why.
    ///
    /// # Errors
    /// `Invalid` (the core's codes: an unknown series or occurrence, a shift
    /// or duration out of range), `Unavailable`. Conflicts are not errors:
    /// they are in the result. On an error nothing changes.
    async fn shift_series(
        &self,
        edit: &SeriesEdit,
        now: Timestamp,
    ) -> Result<EditResult, StoreError>;

    /// Cancel occurrences of a series (one, this and following, or all)
    /// through the lifecycle ([`hcas_core::series::cancel_occurrences`]):
    /// each occurrence `cancel.actor` may cancel at `now` becomes `cancelled`
    /// with `cancel.reason`, goes up one version and gets an
    /// `appointment.cancelled` event, all in one transaction under the
    /// booking locks; the others (fulfilled, on site, already cancelled, ...)
    /// are left alone and listed in `skipped`, with why. With `expected`,
    /// the series must be at that version ([`crate::series_version`], the
    /// sum of its occurrences' versions), checked under the same locks, in
    /// the same transaction.
    ///
    /// # Errors
    /// `VersionMismatch` (the series changed since `expected`), `Invalid`
    /// (the core's codes: a blank reason, an unknown series or occurrence),
    /// `Unavailable`. On an error nothing changes.
    async fn cancel_series(
        &self,
        cancel: &SeriesCancel,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<CancelResult, StoreError>;
}

/// A booking's status history, read from the events written with each change.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Every change of the booking, oldest first (version 1: created).
    ///
    /// # Errors
    /// `NotFound` for an unknown booking, `Unavailable`.
    async fn history(&self, booking_id: &str) -> Result<Vec<StatusChange>, StoreError>;
}

/// Patients waiting for a slot (the core's [`WaitEntry`]); offers are made
/// with [`hcas_core::waitlist::Waitlist::offer`] and booked as holds.
#[async_trait]
pub trait WaitlistStore: Send + Sync {
    /// Add an entry.
    ///
    /// # Errors
    /// `AlreadyExists`, `Invalid`, `Unavailable`.
    async fn waitlist_add(&self, entry: WaitEntry) -> Result<WaitEntry, StoreError>;

    /// Remove an entry and return it.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn waitlist_remove(&self, id: &str) -> Result<WaitEntry, StoreError>;

    /// The entries waiting for `provider` (a resource, `provider:<id>`) whose
    /// window has not ended at `now`, in serving order (by `created`, then id).
    ///
    /// # Errors
    /// `Unavailable`.
    async fn waitlist(&self, provider: &str, now: Timestamp) -> Result<Vec<WaitEntry>, StoreError>;
}

/// Patients' consents (the core's [`Consent`]).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Create or replace a consent, with a `consent.changed` event.
    ///
    /// # Errors
    /// `AlreadyExists`, `VersionMismatch`, `NotFound`, `Invalid`
    /// (`invalid_consent`), `Unavailable`.
    async fn put_consent(
        &self,
        consent: Consent,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Consent>, StoreError>;

    /// The consent with this id.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn get_consent(&self, id: &str) -> Result<Stored<Consent>, StoreError>;

    /// Every consent of a patient (any status), by id: what the consent
    /// engine needs to decide a request about that patient.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn consents_for(&self, patient: &str) -> Result<Vec<Stored<Consent>>, StoreError>;
}

/// Medical-record metadata (not the documents themselves).
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Create or replace a record's metadata.
    ///
    /// # Errors
    /// `AlreadyExists`, `VersionMismatch`, `NotFound`, `Invalid`, `Unavailable`.
    async fn put_record(
        &self,
        record: RecordMeta,
        expected_version: Option<i64>,
    ) -> Result<Stored<RecordMeta>, StoreError>;

    /// The record with this id.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn get_record(&self, id: &str) -> Result<Stored<RecordMeta>, StoreError>;

    /// A patient's records, optionally of one category, by `created` then id.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn records_for(
        &self,
        patient: &str,
        category: Option<&str>,
    ) -> Result<Vec<Stored<RecordMeta>>, StoreError>;

    /// Remove a record's metadata for good (its content is shredded by the
    /// document store, not here); with `expected_version`, only if the
    /// record is still at that version.
    ///
    /// # Errors
    /// `NotFound`, `VersionMismatch`, `Unavailable`.
    async fn delete_record(
        &self,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError>;
}

/// The audit trail: append-only (no port updates or deletes an event; the
/// SQL adapters also refuse `UPDATE`/`DELETE` with a trigger).
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Append an event; returns its sequence number.
    ///
    /// # Errors
    /// `Invalid`, `Unavailable`.
    async fn audit_append(&self, event: AuditEvent) -> Result<i64, StoreError>;

    /// Append `events` in order, all or none (one transaction: one commit
    /// for the lot, which is what lets a busy writer batch its appends);
    /// returns their sequence numbers, increasing, in the same order. An
    /// empty list appends nothing.
    ///
    /// # Errors
    /// `Invalid` (naming the first bad event; nothing is appended),
    /// `Unavailable`.
    async fn audit_append_all(&self, events: &[AuditEvent]) -> Result<Vec<i64>, StoreError>;

    /// Up to `limit` events about `patient` with `at` in `[from, to)`, by sequence.
    ///
    /// # Errors
    /// `Invalid` for `to <= from`, `Unavailable`.
    async fn audit_for_patient(
        &self,
        patient: &str,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError>;

    /// Up to `limit` events with a sequence number above `seq`, in order
    /// (for shipping the trail elsewhere).
    ///
    /// # Errors
    /// `Unavailable`.
    async fn audit_after(&self, seq: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;

    /// Up to `limit` events with a sequence number above `after` that
    /// match every member `query` gives, by sequence (keyset paging: pass
    /// the last `seq` of a page as the next `after`). The SQL adapters
    /// filter in the database, reading one page.
    ///
    /// # Errors
    /// `Invalid` for `to <= from`, `Unavailable`.
    async fn audit_search(
        &self,
        query: &AuditQuery,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}

/// What [`AuditStore::audit_search`] looks for: every member given must
/// match (`None` or empty: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// The patient whose data the event touched.
    pub patient: Option<String>,
    /// Whether the event touched a patient's data at all.
    pub about_patient: Option<bool>,
    /// The actor.
    pub actor: Option<String>,
    /// The target (`booking:a1`).
    pub target: Option<String>,
    /// `at` at or after this.
    pub from: Option<Timestamp>,
    /// `at` before this.
    pub to: Option<Timestamp>,
    /// The action's verb (its last `.`-separated part: `read` of
    /// `patient.read`; an action without `.` is its own verb) is one of these.
    pub verbs: Vec<String>,
    /// The action's verb is none of these.
    pub verbs_not: Vec<String>,
    /// The outcome is one of these.
    pub outcomes: Vec<String>,
}

impl AuditQuery {
    /// `to <= from` is refused.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            Interval::new(from, to).map_err(|e| e.at("audit window"))?;
        }
        Ok(())
    }

    /// Whether `event` matches (the memory adapter; the SQL adapters say
    /// the same in SQL).
    pub(crate) fn matches(&self, event: &AuditEvent) -> bool {
        let verb = event
            .action
            .rsplit_once('.')
            .map_or(event.action.as_str(), |(_, v)| v);
        self.patient
            .as_ref()
            .is_none_or(|p| event.patient.as_ref() == Some(p))
            && self
                .about_patient
                .is_none_or(|a| a == event.patient.is_some())
            && self.actor.as_ref().is_none_or(|a| *a == event.actor)
            && self.target.as_ref().is_none_or(|t| *t == event.target)
            && self.from.is_none_or(|f| event.at >= f)
            && self.to.is_none_or(|t| event.at < t)
            && (self.verbs.is_empty() || self.verbs.iter().any(|v| v == verb))
            && !self.verbs_not.iter().any(|v| v == verb)
            && (self.outcomes.is_empty() || self.outcomes.contains(&event.outcome))
    }

    /// The verbs as `LIKE` patterns on the action (`%.read` and `read`):
    /// verbs are codes (checked by [`AuditEvent::validate`]'s rules on
    /// actions), and `_`/`%` in one are escaped.
    pub(crate) fn verb_patterns(verbs: &[String]) -> Vec<String> {
        let mut out = Vec::with_capacity(verbs.len() * 2);
        for v in verbs {
            let v = v
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            out.push(format!("%.{v}"));
            out.push(v);
        }
        out
    }
}

/// Bookings anchored to local wall time ([`hcas_core::anchor`]): find the
/// future ones a tz rule change has moved on the wall clock, and move them
/// back. A sweep job calls [`AnchorStore::drifted`] page by page (after each
/// tz data update, or daily) and [`AnchorStore::reanchor`] for each booking
/// it lists (or tells a person about the ones that conflict).
#[async_trait]
pub trait AnchorStore: Send + Sync {
    /// Up to `limit` bookings that start after `now`, still block at `now`,
    /// have an anchor, and whose instants are not what their wall time
    /// resolves to under the current tz data, by `(start, id)` after `after`,
    /// each with the instants it should have ([`Drift`]). `next` is where the
    /// next page starts (`None`: the sweep is done). The adapters page through
    /// the future anchored bookings (an index on `(start_s, id)`), reading
    /// columns, not payloads; the tz computation is the core's.
    ///
    /// # Errors
    /// `Invalid` for `limit` 0 or above [`MAX_DRIFT_PAGE`]; `Internal` for an
    /// anchor the store cannot read; `Unavailable`.
    async fn drifted(
        &self,
        now: Timestamp,
        after: Option<&SweepCursor>,
        limit: usize,
    ) -> Result<DriftPage, StoreError>;

    /// Move booking `id` (at `expected_version`) onto its wall time
    /// ([`hcas_core::anchor::reanchored`]): same id, resources and status,
    /// new `start`/`end`, version + 1, with an `appointment.reanchored` event,
    /// in one transaction; checked for conflicts like a reschedule (the
    /// booking does not count against itself). A booking already on its wall
    /// time comes back unchanged (no new version, no event).
    ///
    /// # Errors
    /// `NotFound`; `VersionMismatch`; `Conflict` naming what blocks the new
    /// time (nothing changes); `Invalid`: no anchor, not a future booking that
    /// still blocks at `now`, or a wall time that now resolves to an empty
    /// interval; `Unavailable`.
    async fn reanchor(
        &self,
        id: &str,
        expected_version: i64,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError>;
}

/// Most drifted bookings one [`AnchorStore::drifted`] call returns.
pub const MAX_DRIFT_PAGE: usize = 1000;

/// Where a sweep stands: the last booking looked at, by `(start, id)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SweepCursor {
    /// Its stored start.
    pub start: Timestamp,
    /// Its id.
    pub id: String,
}

/// One page of a sweep.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DriftPage {
    /// The drifted bookings, by stored `(start, id)`.
    pub drifted: Vec<Drift>,
    /// Pass it as `after` for the next page; `None` when no booking is left.
    pub next: Option<SweepCursor>,
}

/// `limit` of [`AnchorStore::drifted`], checked.
pub(crate) fn check_drift_limit(limit: usize) -> Result<(), StoreError> {
    if limit == 0 || limit > MAX_DRIFT_PAGE {
        return Err(hcas_core::Error::new(
            hcas_core::ErrorCode::InvalidRequest,
            format!("limit: give 1 to {MAX_DRIFT_PAGE} (MAX_DRIFT_PAGE), got {limit}"),
        )
        .into());
    }
    Ok(())
}

/// Every port at once; implemented by every adapter. A service that owns
/// one bounded context holds the narrower trait it needs.
pub trait Store:
    AppointmentStore
    + SeriesStore
    + HistoryStore
    + WaitlistStore
    + PatientStore
    + ProviderStore
    + ConsentStore
    + RecordStore
    + AuditStore
    + AnchorStore
    + AccountStore
    + WebhookStore
    + NotificationStore
    + FeedTokenStore
{
}

impl<T> Store for T where
    T: AppointmentStore
        + SeriesStore
        + HistoryStore
        + WaitlistStore
        + PatientStore
        + ProviderStore
        + ConsentStore
        + RecordStore
        + AuditStore
        + AnchorStore
        + AccountStore
        + WebhookStore
        + NotificationStore
        + FeedTokenStore
        + ?Sized
{
}
