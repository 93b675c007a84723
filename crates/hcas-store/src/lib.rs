#![doc = "Storage ports and adapters for hcas: race-proof booking with the core's rules."]
//!
//! Services and embedders program against the ports ([`AppointmentStore`]
//! and the others in [`Store`]); adapters implement them: [`memory`]
//! (default feature), `sqlite` (feature `sqlite`, sqlx) and `postgres`
//! (feature `postgres`, sqlx). Every adapter asks `hcas-core` whether a
//! booking conflicts ([`hcas_core::booking::Ledger::check`]) and how a
//! booking changes (one decision for all adapters, see below); no adapter
//! re-implements a rule. See `README.md` and `docs/storage.md` for the
//! storage model.
//!
//! # Layout
//!
//! | module | what |
//! |---|---|
//! | `accounts.rs` | the accounts port, [`AccountStore`]: login accounts and refresh-token families |
//! | `appointments.rs` | the appointments port, [`AppointmentStore`], and what it answers |
//! | `ports.rs` | every other port ([`SeriesStore`], [`HistoryStore`], [`AnchorStore`], …) and [`Store`], all of them |
//! | [`records`] | the records the ports store besides bookings, each with its `validate` |
//! | `error.rs` | [`StoreError`] and its stable codes |
//! | `change.rs` | what a status change, a reschedule and a re-anchoring decide, once for every adapter (the adapters only load and persist) |
//! | [`memory`] | the in-process adapter: one lock around the core's ledger |
//! | `sqlite/` | the SQLite adapter: `mod.rs` (opening), one file per port, `rows.rs` (shared booking rows) |
//! | `postgres/` | the PostgreSQL adapter: the same, plus `batch.rs` (group commit), `locks.rs` (every advisory lock), `retry.rs` |
//! | `sql.rs`, `sweep.rs` | what both SQL adapters share: error classification and row decoding; the tz-drift sweep's paging |
//! | `feeds.rs` | the calendar-feed port, [`FeedTokenStore`]: feed tokens (only their SHA-256), listed and revoked for good |
//! | `notifications.rs` | the notifications port, [`NotificationStore`]: the queue of messages to patients (once per event, channel and recipient; leases) and the delivery log per appointment |
//! | `webhooks.rs` | the webhooks port, [`WebhookStore`]: subscriptions, the delivery queue (order per appointment, leases) and its log |
//! | `documents/` | encrypted document storage (feature `documents`): object_store, envelope encryption (AES-256-GCM chunks, per-document data keys wrapped by a KMS), key rotation, crypto-shredding; see `docs/records.md` |
//! | `conformance/` | the suite every adapter passes, one file per port (feature `test-support`) |

mod accounts;
mod appointments;
#[cfg(any(feature = "memory", feature = "sqlite", feature = "postgres"))]
mod change;
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod conformance;
#[cfg(feature = "documents")]
pub mod documents;
mod error;
mod feeds;
#[cfg(feature = "memory")]
pub mod memory;
mod notifications;
mod ports;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod records;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sweep;
mod webhooks;

pub use accounts::{Account, AccountStore, MAX_USERNAME_LEN, RefreshOutcome, username_key};
pub use appointments::{
    AppointmentStore, Counts, OutboxEvent, RescheduleRequest, Rescheduled, StatusChanged, Stored,
    kind, series_version,
};
pub use error::StoreError;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use error::sql_error;
pub use feeds::{FeedToken, FeedTokenStore, MAX_FEED_ROLES, parse_subject};
pub use notifications::{
    MAX_NOTIFICATION_ERROR, MAX_NOTIFICATION_PAGE, NewNotification, Notification,
    NotificationReport, NotificationStatus, NotificationStore, channel_str, parse_channel,
};
pub use ports::{AnchorStore, AuditQuery, DriftPage, MAX_DRIFT_PAGE, SweepCursor};
pub use ports::{
    AuditStore, ConsentStore, HistoryStore, PatientStore, ProviderStore, RecordStore, SeriesStore,
    Store, WaitlistStore,
};
pub use records::{
    AuditEvent, AuditRecord, Channel, Patient, Provider, ProviderAvailability, RecordMeta,
    Schedule, StatusChange, TimeOff,
};
pub use webhooks::{
    Attempt, AttemptReport, Delivery, DeliveryStatus, MAX_EVENT_TYPES, MAX_SECRET_LEN, MAX_URL_LEN,
    MAX_WEBHOOK_PAGE, NewDelivery, Outcome, Subscription, WebhookStore,
};

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

/// `docs/storage.md`, whose examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/storage.md")]
pub struct StorageDocDoctests;
