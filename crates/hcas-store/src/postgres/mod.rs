//! The PostgreSQL adapter (feature `postgres`): sqlx, migrations from
//! `migrations/postgres` applied on open.
//!
//! Booking runs in one transaction (READ COMMITTED) that first takes a
//! transaction-scoped advisory lock per resource
//! (`pg_advisory_xact_lock(hashtext(resource))`, in sorted order), so every
//! writer on a resource, on any pool or server instance, is serialised before
//! it reads. Under the locks the adapter loads the bookings that overlap the
//! request on its resources (one indexed query) and the resources'
//! capacities, builds a small core [`Ledger`] and asks [`Ledger::check`]:
//! the rules (capacities, statuses, live holds) are the core's. Then it
//! inserts the booking, its resources, its idempotency key and the outbox
//! event, and commits. Any error, a dropped future or a dropped connection
//! rolls back. Five round trips: `BEGIN`, all locks in one statement, one
//! read (overlaps, capacities, idempotency key), one data-modifying CTE for
//! every insert, `COMMIT`.
//!
//! Last line of defence: `booking_resources` carries an exclusion constraint
//! (`EXCLUDE USING gist (resource WITH =, during WITH &&) WHERE (blocking AND
//! capacity_one)`). `blocking` is true for statuses that occupy a resource
//! regardless of time (pending, booked, arrived, checked-in, fulfilled); holds
//! are not covered by the constraint, because a hold stops blocking when it
//! expires and a constraint cannot see the clock. Live holds are enforced by
//! the transactional check under the advisory lock.
//!
//! SQLSTATE `23P01` (exclusion violation), `40P01` (deadlock) and `40001`
//! (serialization failure) are retried up to [`RETRIES`] times; after that the
//! conflict is re-read and reported as [`StoreError::Conflict`] naming the
//! current winners.
//!
//! # Group commit
//!
//! By default [`AppointmentStore::book`] does not run its own transaction:
//! it queues the request for a batcher task (spawned by [`PgStore::open`] /
//! [`PgStore::open_with_options`] on the caller's tokio runtime, shared by
//! every clone of the store, ended when the last clone is dropped). The
//! batcher takes the first queued request and whatever else is already
//! queued (up to [`PgStoreOptions::max_batch`]) and runs them as ONE
//! transaction, with the same five round trips: `BEGIN`; one statement of
//! advisory **try**-locks (`pg_try_advisory_xact_lock`, which never waits)
//! over the union of the requests' resources (sorted, deduplicated) and then
//! all their `idem:<key>` keys (sorted), the same global order as the single
//! path and `set_status`; a request that needs a lock held elsewhere (a slow
//! transaction on that provider, another batch) is left out of the batch
//! and queued again for a later one after a short pause (1 ms doubling up to
//! 50 ms, holding no connection), until its locks are free or
//! [`PgStoreOptions::lock_timeout`] has passed since it was first left out
//! (then it is answered [`StoreError::Unavailable`], as a blocking lock
//! would be), so one busy provider never stalls the others' bookings
//! ([`BatchStats::deferred`] counts these); one read (overlaps of every request on its resources, capacities,
//! idempotency keys, used ids); the decisions in Rust, in arrival order, on
//! one core [`Ledger`] (each accepted booking is added to it, so later
//! requests of the batch conflict with it and name it); one data-modifying
//! CTE that writes every accepted booking, its resource rows, idempotency key
//! and outbox event; `COMMIT`; then every caller gets its answer. Each answer
//! is the one the single path would give if the requests ran one after the
//! other in arrival order. Up to [`PgStoreOptions::max_in_flight`] batches
//! run at once; while they are all busy new requests queue up, so the batch
//! size follows the load (1 when idle; before draining the queue the batcher
//! yields to the scheduler twice so that callers just answered can queue
//! their next request). The batch transaction runs with `SET LOCAL
//! plan_cache_mode = force_generic_plan` (sent with `BEGIN`, no extra round
//! trip): its statements are planned once per connection, and the read
//! probes the `(resource, start_s)` index once per requested resource
//! (a `LATERAL … OFFSET 0` subquery), whatever the table statistics say.
//!
//! Errors: a retryable SQLSTATE re-runs the whole batch (up to [`RETRIES`]
//! times), then each request is booked alone through the single path (with
//! its own retries). A database error that one request may have caused (data
//! the database refuses, a trigger, a limit: `invalid` or `internal` by
//! [`crate::sql_error`]) and undecodable rows make the batch fall back to the
//! single path too, so only the offending request fails, with its own
//! error, and every other request gets the answer it would get alone. Only
//! an error of the connection or a timeout (`unavailable`, retryable) is
//! every request's answer.
//!
//! # Timeouts
//!
//! Every connection of the pool starts with `lock_timeout` (default 5 s),
//! `statement_timeout` (30 s) and `idle_in_transaction_session_timeout`
//! (60 s), set in the connection's startup options from
//! [`PgStoreOptions`] (`None` leaves the server's setting). A statement that
//! hits one fails with [`StoreError::Unavailable`]: the single path, status
//! changes, reschedules and series wait at most `lock_timeout` for a
//! resource's lock; batched bookings wait for a busy lock at most as long
//! (see above).
//!
//! **A caller that goes away** (its `book` future dropped, e.g. a client
//! timeout) does not cancel its request once the request is in a batch: the
//! booking may still be committed, with its outbox event. A caller that
//! cannot tell should retry with the same idempotency key, which returns the
//! booking if it was made. (Requests whose caller is gone before their batch
//! starts are skipped.) With [`PgStoreOptions::max_batch`] = 1 there is no
//! batcher: each `book` is its own transaction on the caller's task, and
//! dropping the future rolls it back, as before.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use hcas_core::booking::{BookOutcome, Booking, Ledger, Status};
use hcas_core::lifecycle::{LifecyclePolicy, Party, TransitionRequest};
use hcas_core::{Error, ErrorCode, Interval, Timestamp};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::records::{at_version, change_payload, decide};
use crate::sql::{busy_from_columns, corrupt, db, json, limit_of, outbox_events};
use crate::{
    AppointmentStore, Counts, OutboxEvent, Rescheduled, StatusChanged, StoreError, Stored, kind,
};

#[doc(hidden)]
pub use sqlx;

/// How many times a booking or status change is retried after a retryable
/// SQLSTATE (`23P01`, `40P01`, `40001`).
pub const RETRIES: usize = 5;

/// Default [`PgStoreOptions::max_batch`].
pub const DEFAULT_MAX_BATCH: usize = 64;

/// Default [`PgStoreOptions::max_in_flight`] (capped at `max_connections - 1`).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 2;

/// Default [`PgStoreOptions::lock_timeout`]: 5 s.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Default [`PgStoreOptions::statement_timeout`]: 30 s.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default [`PgStoreOptions::idle_in_transaction_timeout`]: 60 s.
pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// Scheduler turns the batcher yields after the first request of a batch.
const GATHER_YIELDS: usize = 2;

/// How a [`PgStore`] is opened: pool size, group commit and the session
/// timeouts. Build it with [`PgStoreOptions::new`] or
/// [`PgStoreOptions::unbatched`] and change the fields you need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgStoreOptions {
    /// Pool size (at least 1).
    pub max_connections: u32,
    /// Most bookings per batch transaction ([`DEFAULT_MAX_BATCH`]); 0 or 1
    /// turns group commit off: each `book` runs its own transaction.
    pub max_batch: usize,
    /// Most batch transactions at once; 0 means the default,
    /// `min(DEFAULT_MAX_IN_FLIGHT, max_connections - 1)`, at least 1 (one
    /// connection is left for `set_status`, `get`, the single-path fallback
    /// and the rest). Requests only coalesce while every slot is busy: with
    /// as many slots as clients each batch holds about one booking, so keep
    /// it near the number of server cores, not the pool size (see the README,
    /// "Bench").
    pub max_in_flight: usize,
    /// The session's `lock_timeout` ([`DEFAULT_LOCK_TIMEOUT`]): how long a
    /// statement waits for a lock (a resource's advisory lock, a row) before
    /// failing with [`StoreError::Unavailable`]. `None` leaves the server's
    /// setting (by default: wait for ever); zero disables it.
    pub lock_timeout: Option<Duration>,
    /// The session's `statement_timeout` ([`DEFAULT_STATEMENT_TIMEOUT`]):
    /// the longest a statement may run before it is cancelled
    /// ([`StoreError::Unavailable`]). `None` leaves the server's setting.
    pub statement_timeout: Option<Duration>,
    /// The session's `idle_in_transaction_session_timeout`
    /// ([`DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT`]): a connection that sits
    /// idle inside an open transaction this long (a stuck caller) is closed
    /// by the server, which releases its locks. `None` leaves the server's
    /// setting.
    pub idle_in_transaction_timeout: Option<Duration>,
}

impl PgStoreOptions {
    /// Group commit on, with the defaults, on a pool of `max_connections`.
    #[must_use]
    pub const fn new(max_connections: u32) -> Self {
        Self {
            max_connections,
            max_batch: DEFAULT_MAX_BATCH,
            max_in_flight: 0,
            lock_timeout: Some(DEFAULT_LOCK_TIMEOUT),
            statement_timeout: Some(DEFAULT_STATEMENT_TIMEOUT),
            idle_in_transaction_timeout: Some(DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT),
        }
    }

    /// Group commit off: every booking is its own transaction.
    #[must_use]
    pub const fn unbatched(max_connections: u32) -> Self {
        let mut options = Self::new(max_connections);
        options.max_batch = 1;
        options
    }

    /// The session settings these options ask for, as `(name, value)`
    /// pairs for the connection's startup options.
    fn session_settings(&self) -> Vec<(&'static str, String)> {
        [
            ("lock_timeout", self.lock_timeout),
            ("statement_timeout", self.statement_timeout),
            (
                "idle_in_transaction_session_timeout",
                self.idle_in_transaction_timeout,
            ),
        ]
        .into_iter()
        .filter_map(|(name, d)| d.map(|d| (name, format!("{}ms", d.as_millis()))))
        .collect()
    }

    /// The number of batches that may run at once.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        if self.max_in_flight > 0 {
            return self.max_in_flight;
        }
        let spare = usize::try_from(self.max_connections.saturating_sub(1)).unwrap_or(usize::MAX);
        spare.clamp(1, DEFAULT_MAX_IN_FLIGHT)
    }
}

/// A PostgreSQL [`AppointmentStore`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The batcher's queue; `None` when group commit is off.
    batcher: Option<mpsc::Sender<Pending>>,
    stats: Arc<Stats>,
    /// The lifecycle's timing rules for status changes (per handle).
    policy: LifecyclePolicy,
}

/// A booking waiting for its batch.
struct Pending {
    booking: Booking,
    key: Option<String>,
    now: Timestamp,
    reply: oneshot::Sender<Result<Stored<Booking>, StoreError>>,
    /// When a batch first left it out because a lock it needs was busy,
    /// and how many times since.
    deferred: Option<(tokio::time::Instant, u32)>,
}

/// Counters of the batcher (for benches and health checks).
#[derive(Debug, Default)]
struct Stats {
    batches: AtomicU64,
    bookings: AtomicU64,
    retries: AtomicU64,
    fallbacks: AtomicU64,
    deferred: AtomicU64,
}

/// What the batcher did since the store was opened (see [`PgStore::batch_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Batches started (each one transaction, plus its retries).
    pub batches: u64,
    /// Bookings answered through batches.
    pub bookings: u64,
    /// Batch attempts re-run after a retryable SQLSTATE (or an id taken meanwhile).
    pub retries: u64,
    /// Batches whose requests were booked one by one through the single path
    /// (retries exhausted, undecodable rows, or a non-retryable database
    /// error that one request may have caused).
    pub fallbacks: u64,
    /// Times a request was left out of its batch because a lock it needs
    /// was held elsewhere (it is queued again for a later batch).
    pub deferred: u64,
}

/// Why one attempt failed: a final answer, or a retryable database error.
pub(crate) enum Fail {
    Store(StoreError),
    Retry(sqlx::Error),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A failed attempt that may be worth running again.
pub(crate) trait Retryable {
    /// Whether the same attempt may succeed when run again.
    fn is_retry(&self) -> bool;
}

impl Retryable for Fail {
    fn is_retry(&self) -> bool {
        matches!(self, Self::Retry(_))
    }
}

/// Run `attempt` again after each retryable failure, at most [`RETRIES`]
/// more times. A retryable error at the end is the last one, for callers
/// that report something better than "retries exhausted" (the winner of a race).
pub(crate) async fn retrying<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    E: Retryable,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut retries = 0;
    loop {
        match attempt().await {
            Err(e) if e.is_retry() && retries < RETRIES => retries += 1,
            done => return done,
        }
    }
}

impl From<hcas_core::Error> for Fail {
    fn from(e: hcas_core::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            Self::Retry(e)
        } else {
            Self::Store(db(e))
        }
    }
}

/// `23P01` exclusion violation, `40P01` deadlock, `40001` serialization failure.
pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .is_some_and(|c| matches!(c.as_ref(), "23P01" | "40P01" | "40001"))
}

/// Whether a status blocks regardless of time (the exclusion constraint's `blocking`).
pub(crate) const fn blocking(status: Status) -> bool {
    !matches!(status, Status::Held) && status.occupies()
}

impl PgStore {
    /// Connect to `url` (`postgres://user@host:port/db`) with a pool of up to
    /// `max_connections`, and apply the migrations. Group commit is on, with
    /// the defaults of [`PgStoreOptions::new`]; call from a tokio runtime.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the server cannot be reached or migrated.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(db)?;
        Self::open_with(options, max_connections).await
    }

    /// Open with explicit connect options, and apply the migrations (group
    /// commit on, as [`PgStore::open`]).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn open_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        Self::open_with_options(options, PgStoreOptions::new(max_connections)).await
    }

    /// Open with explicit connect options and store options (group commit on
    /// or off, see the module docs), and apply the migrations. With group
    /// commit on, the batcher task is spawned on the current tokio runtime;
    /// it ends when the last clone of the store is dropped.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn open_with_options(
        options: PgConnectOptions,
        store: PgStoreOptions,
    ) -> Result<Self, StoreError> {
        let settings = store.session_settings();
        let options = if settings.is_empty() {
            options
        } else {
            options.options(settings)
        };
        let pool = PgPoolOptions::new()
            .max_connections(store.max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        let stats = Arc::new(Stats::default());
        let batcher = (store.max_batch > 1)
            .then(tokio::runtime::Handle::try_current)
            .and_then(Result::ok)
            .map(|rt| {
                let in_flight = store.in_flight();
                let (tx, rx) = mpsc::channel(store.max_batch.saturating_mul(in_flight).max(64));
                rt.spawn(batcher(
                    pool.clone(),
                    rx,
                    store.max_batch,
                    in_flight,
                    Lane {
                        queue: tx.downgrade(),
                        lock_timeout: store.lock_timeout,
                    },
                    Arc::clone(&stats),
                ));
                tx
            });
        Ok(Self {
            pool,
            batcher,
            stats,
            policy: LifecyclePolicy::default(),
        })
    }

    /// This handle with the clinic's lifecycle timing rules (late
    /// cancellation, no-show grace, check-in window; `LifecyclePolicy::default()`
    /// unless set), used by `set_status` and `reschedule`. The pool and the
    /// batcher stay shared with the other clones.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (`invalid_duration`) for an invalid policy.
    pub fn with_policy(mut self, policy: LifecyclePolicy) -> Result<Self, StoreError> {
        policy.validate()?;
        self.policy = policy;
        Ok(self)
    }

    /// The lifecycle timing rules of this handle.
    #[must_use]
    pub const fn policy(&self) -> LifecyclePolicy {
        self.policy
    }

    /// Whether bookings go through the batcher (group commit).
    #[must_use]
    pub const fn batched(&self) -> bool {
        self.batcher.is_some()
    }

    /// What the batcher did since the store was opened (shared by its
    /// clones; all zero with group commit off).
    #[must_use]
    pub fn batch_stats(&self) -> BatchStats {
        BatchStats {
            batches: self.stats.batches.load(Ordering::Relaxed),
            bookings: self.stats.bookings.load(Ordering::Relaxed),
            retries: self.stats.retries.load(Ordering::Relaxed),
            fallbacks: self.stats.fallbacks.load(Ordering::Relaxed),
            deferred: self.stats.deferred.load(Ordering::Relaxed),
        }
    }

    /// The connection pool (for health checks and tests).
    #[must_use]
    pub const fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The single path: book `booking` in its own transaction, retrying
    /// retryable SQLSTATEs, then re-reading the winners.
    async fn book_direct(
        pool: &PgPool,
        booking: &Booking,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError> {
        match retrying(|| Self::book_once(pool, booking, idempotency_key, now)).await {
            Ok(s) => Ok(s),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Retry(e)) => Err(Self::current_conflict(pool, booking, now, e).await),
        }
    }

    async fn book_once(
        pool: &PgPool,
        booking: &Booking,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<Stored<Booking>, Fail> {
        // Round trips: BEGIN, locks, one read, one write, COMMIT.
        let mut tx = pool.begin().await?;
        // Resource locks in sorted order, then the idempotency key's lock
        // (serialise writers of one key too: the key may be new).
        lock_resources(&mut tx, &booking.resources, idempotency_key).await?;
        let mut state = read_state(
            &mut tx,
            &booking.resources,
            booking.start,
            booking.end,
            idempotency_key.map(|k| (k, now)),
        )
        .await?;
        if let (Some(key), Some((id, existing))) = (idempotency_key, state.idempotent.take()) {
            return Ok(idempotent_hit(key, &id, existing.as_ref(), booking)?);
        }
        booking.validate()?;
        hcas_core::anchor::check(booking)?;
        let ledger = state.ledger()?;
        let check = ledger.check(&booking.request(), now)?;
        if !check.ok {
            return Err(StoreError::Conflict {
                conflicts: check.conflicts,
            }
            .into());
        }
        let row = Accepted {
            booking,
            key: idempotency_key,
            created: now,
        };
        let inserted = insert_accepted(&mut tx, &[row], &ledger).await?;
        if inserted != 1 {
            return Err(id_used(&booking.id).into());
        }
        tx.commit().await?;
        Ok(Stored {
            value: booking.clone(),
            version: 1,
        })
    }

    async fn set_status_once(
        &self,
        id: &str,
        expected_version: i64,
        change: &TransitionRequest,
    ) -> Result<StatusChanged, Fail> {
        let now = change.now;
        let mut tx = self.pool.begin().await?;
        let cur = lock_booking(&mut tx, id, expected_version, &[]).await?;
        let decided = decide(&cur.value, change, &self.policy)?;
        let new = decided.booking;
        if decided.recheck {
            let ledger = ledger_for(&mut tx, &new.resources, new.start, new.end).await?;
            let check = ledger.check_excluding(&new.request(), now, Some(id))?;
            if !check.ok {
                return Err(StoreError::Conflict {
                    conflicts: check.conflicts,
                }
                .into());
            }
        }
        let done = sqlx::query(
            "UPDATE bookings SET status = $1, hold_expires_s = $2, payload = $3::jsonb,
                 version = version + 1
             WHERE id = $4 AND version = $5",
        )
        .bind(new.status.as_str())
        .bind(new.hold_expires.map(Timestamp::unix))
        .bind(json(&new)?)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected: expected_version,
                found: expected_version + 1,
            }
            .into());
        }
        sqlx::query("UPDATE booking_resources SET blocking = $1 WHERE booking_id = $2")
            .bind(blocking(new.status))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let payload = change_payload(&new, &decided.transition, change);
        push_change(&mut tx, kind::for_status(new.status), id, &payload, now).await?;
        tx.commit().await?;
        Ok(StatusChanged {
            booking: Stored {
                value: new,
                version: expected_version + 1,
            },
            transition: decided.transition,
        })
    }

    async fn reschedule_once(
        &self,
        id: &str,
        expected_version: i64,
        new: &Booking,
        cancel: &TransitionRequest,
    ) -> Result<Rescheduled, Fail> {
        let (now, reason) = (cancel.now, cancel.reason.as_deref().unwrap_or_default());
        hcas_core::anchor::check(new)?;
        let mut tx = self.pool.begin().await?;
        let cur = lock_booking(&mut tx, id, expected_version, &new.resources).await?;
        let decided = decide(&cur.value, cancel, &self.policy)?;
        if load(&mut tx, &new.id).await?.is_some() {
            return Err(id_used(&new.id).into());
        }
        // The core decides on a ledger of what overlaps the new time, plus
        // the old booking (which it leaves out of the check).
        let mut ledger = ledger_for(&mut tx, &new.resources, new.start, new.end).await?;
        if ledger.get(id).is_none() {
            ledger
                .insert(cur.value.clone())
                .map_err(|e| corrupt("booking", e))?;
        }
        let new = match ledger.reschedule(id, new.clone(), reason, now)? {
            BookOutcome::Booked(new) => new,
            BookOutcome::Conflict(conflicts) => {
                return Err(StoreError::Conflict { conflicts }.into());
            }
            BookOutcome::Existing(_) => {
                return Err(StoreError::Internal(
                    "reschedule answered with an existing booking".to_string(),
                )
                .into());
            }
        };
        let old = ledger
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::Internal(format!("booking {id} lost")))?;
        // The old booking stops blocking first: the new one may overlap it,
        // and the exclusion constraint would refuse it otherwise.
        sqlx::query(
            "WITH b AS (
                 UPDATE bookings SET status = $1, hold_expires_s = NULL, payload = $2::jsonb,
                     version = version + 1
                 WHERE id = $3 RETURNING id)
             UPDATE booking_resources SET blocking = false
             WHERE booking_id IN (SELECT id FROM b)",
        )
        .bind(old.status.as_str())
        .bind(json(&old)?)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = Accepted {
            booking: &new,
            key: None,
            created: now,
        };
        if insert_accepted(&mut tx, &[row], &ledger).await? != 1 {
            return Err(id_used(&new.id).into());
        }
        let payload = change_payload(&old, &decided.transition, cancel);
        push_change(&mut tx, kind::APPOINTMENT_CANCELLED, id, &payload, now).await?;
        tx.commit().await?;
        Ok(Rescheduled {
            old: Stored {
                value: old,
                version: expected_version + 1,
            },
            new: Stored {
                value: new,
                version: 1,
            },
            transition: decided.transition,
        })
    }

    /// After the retries ran out: re-read the winners on the request's resources.
    pub(crate) async fn current_conflict(
        pool: &PgPool,
        booking: &Booking,
        now: Timestamp,
        last: sqlx::Error,
    ) -> StoreError {
        let reread = async {
            let mut tx = pool.begin().await.map_err(db)?;
            let ledger = ledger_for(&mut tx, &booking.resources, booking.start, booking.end)
                .await
                .map_err(|f| match f {
                    Fail::Store(e) => e,
                    Fail::Retry(e) => db(e),
                })?;
            let check = ledger.check_excluding(&booking.request(), now, Some(&booking.id))?;
            Ok::<_, StoreError>(check)
        };
        match reread.await {
            Ok(check) if !check.ok => StoreError::Conflict {
                conflicts: check.conflicts,
            },
            Ok(_) => StoreError::Unavailable(format!("retries exhausted: {last}")),
            Err(e) => e,
        }
    }
}

/// Take the per-resource advisory locks in sorted order (no lock-order
/// deadlocks between our own writers; a hash collision at worst gives a
/// `40P01`, retried), then the idempotency key's lock, last: one statement.
/// A booking the core has accepted, to be written: with its idempotency key
/// and the instant of its `appointment.created` event.
pub(crate) struct Accepted<'a> {
    pub(crate) booking: &'a Booking,
    pub(crate) key: Option<&'a str>,
    pub(crate) created: Timestamp,
}

/// Write accepted bookings (capacities from `ledger`) in ONE data-modifying
/// statement: bookings, resource rows (`blocking`, `capacity_one`),
/// idempotency keys and `appointment.created` events in the given order (FK
/// checks run at the statement's end). A key replaces an expired row of the
/// same key (the caller read only live keys, under the key's lock), and rows
/// with keys delete up to [`crate::IDEMPOTENCY_PRUNE_BATCH`] expired keys.
/// Every write path uses it: a single booking, a batch, a series, a reschedule. Returns how many bookings were
/// inserted: an id inserted meanwhile by another transaction (ids are not
/// locked) inserts nothing for that booking, so a count below `rows.len()`
/// means "used id" (a single booking) or "run again" (a batch, a series).
pub(crate) async fn insert_accepted(
    conn: &mut PgConnection,
    rows: &[Accepted<'_>],
    ledger: &Ledger,
) -> Result<usize, sqlx::Error> {
    let n = rows.len();
    let mut ids = Vec::with_capacity(n);
    let mut starts = Vec::with_capacity(n);
    let mut ends = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut holds = Vec::with_capacity(n);
    let mut payloads = Vec::with_capacity(n);
    let mut created = Vec::with_capacity(n);
    let (mut r_id, mut r_resource, mut r_start, mut r_end, mut r_blocking, mut r_one) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let (mut k_key, mut k_id, mut k_created) = (Vec::new(), Vec::new(), Vec::new());
    for a in rows {
        let b = a.booking;
        ids.push(b.id.as_str());
        starts.push(b.start.unix());
        ends.push(b.end.unix());
        statuses.push(b.status.as_str());
        holds.push(b.hold_expires.map(Timestamp::unix));
        payloads.push(serde_json::to_string(b).map_err(|e| sqlx::Error::Encode(Box::new(e)))?);
        created.push(a.created.unix());
        for r in unique(&b.resources) {
            r_id.push(b.id.as_str());
            r_resource.push(r);
            r_start.push(b.start.unix());
            r_end.push(b.end.unix());
            r_blocking.push(blocking(b.status));
            r_one.push(ledger.capacity(r) == 1);
        }
        if let Some(key) = a.key {
            k_key.push(key);
            k_id.push(b.id.as_str());
            k_created.push(a.created.unix());
        }
    }
    let (inserted,): (i64,) = sqlx::query_as(
        "WITH b AS (
             INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
             SELECT u.id, u.s, u.e, u.status, u.hold, 1, u.payload::jsonb
             FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[],
                         $6::text[]) AS u(id, s, e, status, hold, payload)
             ON CONFLICT (id) DO NOTHING
             RETURNING id),
         r AS (
             INSERT INTO booking_resources
                 (booking_id, resource, start_s, end_s, blocking, capacity_one)
             SELECT u.id, u.resource, u.s, u.e, u.blocking, u.one
             FROM unnest($8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::boolean[],
                         $13::boolean[]) AS u(id, resource, s, e, blocking, one)
             WHERE u.id IN (SELECT id FROM b)),
         i AS (
             INSERT INTO idempotency (key, booking_id, created_s)
             SELECT u.key, u.id, u.created
             FROM unnest($14::text[], $15::text[], $17::bigint[]) AS u(key, id, created)
             WHERE u.id IN (SELECT id FROM b)
             ON CONFLICT (key) DO UPDATE
                 SET booking_id = EXCLUDED.booking_id, created_s = EXCLUDED.created_s),
         p AS (
             DELETE FROM idempotency WHERE key IN (
                 SELECT x.key FROM idempotency x
                 WHERE cardinality($14::text[]) > 0 AND x.created_s <= $18
                   AND x.key <> ALL($14::text[])
                 ORDER BY x.created_s LIMIT $19 FOR UPDATE SKIP LOCKED)),
         o AS (
             INSERT INTO outbox (kind, aggregate_id, payload, created_s)
             SELECT $16, u.id, u.payload::jsonb, u.created
             FROM unnest($1::text[], $6::text[], $7::bigint[]) WITH ORDINALITY
                  AS u(id, payload, created, n)
             WHERE u.id IN (SELECT id FROM b)
             ORDER BY u.n)
         SELECT count(*) FROM b",
    )
    .bind(&ids)
    .bind(&starts)
    .bind(&ends)
    .bind(&statuses)
    .bind(&holds)
    .bind(&payloads)
    .bind(&created)
    .bind(&r_id)
    .bind(&r_resource)
    .bind(&r_start)
    .bind(&r_end)
    .bind(&r_blocking)
    .bind(&r_one)
    .bind(&k_key)
    .bind(&k_id)
    .bind(kind::APPOINTMENT_CREATED)
    .bind(&k_created)
    .bind(k_created.iter().min().copied().unwrap_or(0) - crate::IDEMPOTENCY_TTL_SECONDS)
    .bind(crate::IDEMPOTENCY_PRUNE_BATCH)
    .fetch_one(&mut *conn)
    .await?;
    Ok(usize::try_from(inserted).unwrap_or(0))
}

/// The booking `id` for a change at `expected` version, read after locking
/// its resources (which never change) and `also` (e.g. a replacement's), all
/// in the one global order.
pub(crate) async fn lock_booking(
    conn: &mut PgConnection,
    id: &str,
    expected: i64,
    also: &[String],
) -> Result<Stored<Booking>, Fail> {
    let peek = load(conn, id).await?.ok_or_else(|| StoreError::NotFound {
        what: "booking",
        id: id.to_string(),
    })?;
    let mut resources = peek.value.resources;
    resources.extend(also.iter().cloned());
    lock_resources(conn, &resources, None).await?;
    Ok(at_version(id, load(conn, id).await?, expected)?)
}

/// The keys are sorted and deduplicated here and locked in array order (the
/// sorted subquery is not flattened, so the calls run in that order).
async fn lock_resources(
    conn: &mut PgConnection,
    resources: &[String],
    idempotency_key: Option<&str>,
) -> Result<(), Fail> {
    let mut keys: Vec<&str> = resources.iter().map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    let idem = idempotency_key.map(|k| format!("idem:{k}"));
    if let Some(k) = &idem {
        keys.push(k);
    }
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext(s.k))
         FROM (SELECT u.k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, o) ORDER BY u.o) s",
    )
    .bind(&keys)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A booking row as read (payload text, version), parsed on use.
struct Row {
    payload: String,
    version: i64,
}

impl Row {
    fn parse(&self) -> Result<Stored<Booking>, StoreError> {
        serde_json::from_str(&self.payload)
            .map(|value| Stored {
                value,
                version: self.version,
            })
            .map_err(|e| corrupt("booking", e))
    }
}

/// What one read under the locks returns: the overlapping bookings, the
/// capacities, and the idempotency key's booking (id, row if it exists).
struct State {
    bookings: Vec<String>,
    capacities: Vec<(String, i64)>,
    idempotent: Option<(String, Option<Row>)>,
}

impl State {
    /// A ledger holding the overlapping bookings and the capacities.
    fn ledger(self) -> Result<Ledger, StoreError> {
        state_ledger(self.capacities, self.bookings)
    }
}

/// A row of [`read_state`]'s query: tag, name (resource or booking id), payload, number.
type Tagged = (String, Option<String>, Option<String>, Option<i64>);

/// One query: every booking (any status) that overlaps `[start, end)` on any
/// of `resources` (tag `b`), those resources' capacities (tag `c`), and the
/// booking stored under the idempotency key (tag `k`) unless the key has
/// expired at the request's `now` ([`crate::IDEMPOTENCY_TTL_SECONDS`]).
async fn read_state(
    conn: &mut PgConnection,
    resources: &[String],
    start: Timestamp,
    end: Timestamp,
    idempotency_key: Option<(&str, Timestamp)>,
) -> Result<State, Fail> {
    let rows: Vec<Tagged> = sqlx::query_as(
        "SELECT 'b'::text, NULL::text, b.payload::text, NULL::bigint FROM bookings b
         WHERE b.id IN (
             SELECT r.booking_id FROM booking_resources r
             WHERE r.resource = ANY($1) AND r.start_s < $2 AND r.end_s > $3
               AND r.start_s > $3 - (SELECT COALESCE(max(max_len), 0) FROM resource_extent
                                     WHERE resource = ANY($1)))
         UNION ALL
         SELECT 'c', c.resource, NULL, c.capacity::bigint FROM capacities c
         WHERE c.resource = ANY($1)
         UNION ALL
         SELECT 'k', i.booking_id, b.payload::text, b.version
         FROM idempotency i LEFT JOIN bookings b ON b.id = i.booking_id
         WHERE i.key = $4::text AND i.created_s > $5",
    )
    .bind(resources)
    .bind(end.unix())
    .bind(start.unix())
    .bind(idempotency_key.map(|(k, _)| k))
    .bind(idempotency_key.map_or(0, |(_, now)| now.unix() - crate::IDEMPOTENCY_TTL_SECONDS))
    .fetch_all(&mut *conn)
    .await?;
    let mut state = State {
        bookings: Vec::new(),
        capacities: Vec::new(),
        idempotent: None,
    };
    for (tag, name, payload, n) in rows {
        match (tag.as_str(), name, payload, n) {
            ("b", _, Some(payload), _) => state.bookings.push(payload),
            ("c", Some(resource), _, Some(cap)) => state.capacities.push((resource, cap)),
            ("k", Some(id), payload, version) => {
                let row = payload
                    .zip(version)
                    .map(|(payload, version)| Row { payload, version });
                state.idempotent = Some((id, row));
            }
            (tag, ..) => return Err(corrupt("row", format!("unexpected {tag} row")).into()),
        }
    }
    Ok(state)
}

/// The booking with this id, with its version.
async fn load(conn: &mut PgConnection, id: &str) -> Result<Option<Stored<Booking>>, Fail> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT payload::text, version FROM bookings WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row
        .map(|(payload, version)| {
            serde_json::from_str(&payload)
                .map(|value| Stored { value, version })
                .map_err(|e| corrupt("booking", e))
        })
        .transpose()?)
}

/// A ledger holding every booking (any status) that overlaps `[start, end)`
/// on any of `resources`, and those resources' capacities.
pub(crate) async fn ledger_for(
    conn: &mut PgConnection,
    resources: &[String],
    start: Timestamp,
    end: Timestamp,
) -> Result<Ledger, Fail> {
    Ok(read_state(conn, resources, start, end, None)
        .await?
        .ledger()?)
}

/// An outbox event whose payload is the booking after the change.
pub(crate) async fn push_event(
    conn: &mut PgConnection,
    kind: &str,
    booking: &Booking,
    now: Timestamp,
) -> Result<(), Fail> {
    let payload = serde_json::to_value(booking)
        .map_err(|e| StoreError::Internal(format!("booking {}: {e}", booking.id)))?;
    push_change(conn, kind, &booking.id, &payload, now).await
}

/// PostgreSQL cannot store U+0000 (see `pg_ports`): a status change's reason
/// carrying one is refused as `invalid_request` before anything is written,
/// not failed as a retryable database error.
fn storable_reason(reason: Option<&str>) -> Result<(), StoreError> {
    if reason.is_some_and(crate::pg_ports::unstorable) {
        return Err(crate::pg_ports::nul_refused("reason"));
    }
    Ok(())
}

/// An outbox event with a ready payload (a status change's: the booking and
/// its `transition`).
pub(crate) async fn push_change(
    conn: &mut PgConnection,
    kind: &str,
    id: &str,
    payload: &serde_json::Value,
    now: Timestamp,
) -> Result<(), Fail> {
    sqlx::query(
        "INSERT INTO outbox (kind, aggregate_id, payload, created_s) VALUES ($1, $2, $3::jsonb, $4)",
    )
    .bind(kind)
    .bind(id)
    .bind(json(payload)?)
    .bind(now.unix())
    .execute(conn)
    .await?;
    Ok(())
}

/// The batcher task: one batch per free slot of `in_flight`, each batch the
/// first queued request plus whatever else is already queued (up to
/// `max_batch`). Ends when every sender (every clone of the store) is gone;
/// batches already running finish on their own tasks.
async fn batcher(
    pool: PgPool,
    mut queue: mpsc::Receiver<Pending>,
    max_batch: usize,
    in_flight: usize,
    lane: Lane,
    stats: Arc<Stats>,
) {
    let slots = Arc::new(Semaphore::new(in_flight));
    loop {
        // A slot first, then the requests: while every slot is busy, requests
        // queue up and the next batch takes them all.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Some(first) = queue.recv().await else {
            return;
        };
        let mut batch = Vec::with_capacity(max_batch.min(64));
        batch.push(first);
        // Let the callers woken by the last answers queue up their next
        // requests (a few scheduler turns, no timer): bigger batches.
        for _ in 0..GATHER_YIELDS {
            tokio::task::yield_now().await;
        }
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        // Callers that went away before their batch started: skip them.
        batch.retain(|p| !p.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        // Each booking once (not again when it comes back deferred).
        let fresh = batch.iter().filter(|p| p.deferred.is_none()).count();
        stats.bookings.fetch_add(fresh as u64, Ordering::Relaxed);
        let pool = pool.clone();
        let stats = Arc::clone(&stats);
        let lane = lane.clone();
        tokio::spawn(async move {
            run_batch(&pool, batch, &stats, &lane).await;
            drop(slot);
        });
    }
}

/// Why a batch attempt failed.
enum BatchFail {
    /// A retryable SQLSTATE, or an id inserted concurrently: run the batch again.
    Retry,
    /// Run every request through the single path, each with its own
    /// answer (undecodable rows, or a non-retryable database error that one
    /// request may have caused).
    Single,
    /// Every request's answer.
    Unavailable(String),
}

impl From<sqlx::Error> for BatchFail {
    fn from(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            return Self::Retry;
        }
        match db(e) {
            // Not caused by one request (the connection, a timeout): every
            // request's answer, retryable.
            StoreError::Unavailable(msg) => Self::Unavailable(msg),
            // Possibly caused by one request (data the database refuses, a
            // trigger, a limit): each request alone, so only its own fails.
            _ => Self::Single,
        }
    }
}

/// Run one batch and answer every request.
async fn run_batch(pool: &PgPool, batch: Vec<Pending>, stats: &Stats, lane: &Lane) {
    let mut attempt = 0;
    let fail = loop {
        match book_batch(pool, &batch).await {
            Ok(answers) => {
                for (p, answer) in batch.into_iter().zip(answers) {
                    match answer {
                        // The caller may be gone; its booking stands.
                        Some(answer) => {
                            let _ = p.reply.send(answer);
                        }
                        None => {
                            stats.deferred.fetch_add(1, Ordering::Relaxed);
                            defer(pool, lane, p);
                        }
                    }
                }
                return;
            }
            Err(BatchFail::Retry) if attempt < RETRIES => {
                attempt += 1;
                stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            Err(f) => break f,
        }
    };
    match fail {
        BatchFail::Unavailable(msg) => {
            for p in batch {
                let _ = p.reply.send(Err(StoreError::Unavailable(msg.clone())));
            }
        }
        BatchFail::Retry | BatchFail::Single => {
            stats.fallbacks.fetch_add(1, Ordering::Relaxed);
            for p in batch {
                if p.reply.is_closed() {
                    continue;
                }
                let answer = PgStore::book_direct(pool, &p.booking, p.key.as_deref(), p.now).await;
                let _ = p.reply.send(answer);
            }
        }
    }
}

/// Where deferred requests go back to: the batcher's queue (weak, so that
/// the batcher still ends with the last store), and how long they may wait.
#[derive(Clone)]
struct Lane {
    queue: mpsc::WeakSender<Pending>,
    lock_timeout: Option<Duration>,
}

/// Longest pause before a deferred request is queued again.
const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// A request whose lock was busy in its batch: queued again for a later
/// batch after a short pause (1, 2, 4 … up to 50 ms), holding no connection
/// meanwhile, until the lock is free; once `lock_timeout` has passed since
/// it was first deferred it is answered [`StoreError::Unavailable`], as a
/// blocking lock would be.
fn defer(pool: &PgPool, lane: &Lane, mut p: Pending) {
    let now = tokio::time::Instant::now();
    let (since, times) = p.deferred.get_or_insert((now, 0));
    *times = times.saturating_add(1);
    let (since, times) = (*since, *times);
    if let Some(limit) = lane.lock_timeout.filter(|d| !d.is_zero())
        && now.saturating_duration_since(since) >= limit
    {
        let _ = p.reply.send(Err(StoreError::Unavailable(format!(
            "a lock booking {} needs is held by another transaction (lock_timeout {} ms passed)",
            p.booking.id,
            limit.as_millis()
        ))));
        return;
    }
    let pause = Duration::from_millis(1u64 << times.min(6).saturating_sub(1)).min(MAX_BACKOFF);
    let pool = pool.clone();
    let queue = lane.queue.clone();
    tokio::spawn(async move {
        tokio::time::sleep(pause).await;
        if p.reply.is_closed() {
            return;
        }
        let p = match queue.upgrade() {
            Some(queue) => match queue.send(p).await {
                Ok(()) => return,
                Err(mpsc::error::SendError(p)) => p,
            },
            None => p,
        };
        // The batcher is gone: the single path.
        let answer = PgStore::book_direct(&pool, &p.booking, p.key.as_deref(), p.now).await;
        let _ = p.reply.send(answer);
    });
}

/// What the batch read returns.
#[derive(Default)]
struct BatchState {
    /// Payloads of the bookings overlapping any request on its resources.
    bookings: Vec<String>,
    capacities: Vec<(String, i64)>,
    /// Idempotency key -> (booking id, its row if it exists).
    keys: HashMap<String, (String, Option<Row>)>,
    /// The requests' ids that are already used.
    used: HashSet<String>,
}

/// A row of the batch read: tag, name, booking id, payload, number.
type BatchRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// A request's answer from one batch attempt: decided, or `None` when a lock
/// it needs is held elsewhere (it goes to the slow lane).
type Answer = Option<Result<Stored<Booking>, StoreError>>;

/// One batch attempt: one transaction, five round trips; the answers in
/// arrival order.
async fn book_batch(pool: &PgPool, batch: &[Pending]) -> Result<Vec<Answer>, BatchFail> {
    // Generic plans: the batch statements are planned once per connection
    // (re-planning them costs more than running them); the read is written so
    // that its generic plan probes the index once per requested resource.
    let mut tx = pool
        .begin_with("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
        .await?;
    // Locks: every resource (sorted, deduplicated), then every key (sorted).
    let mut resources: Vec<&str> = batch
        .iter()
        .flat_map(|p| p.booking.resources.iter().map(String::as_str))
        .collect();
    resources.sort_unstable();
    resources.dedup();
    let mut idem: Vec<String> = batch
        .iter()
        .filter_map(|p| p.key.as_deref().map(|k| format!("idem:{k}")))
        .collect();
    idem.sort_unstable();
    idem.dedup();
    let mut locks: Vec<&str> = resources.clone();
    locks.extend(idem.iter().map(String::as_str));
    // Try-locks, in the same global order: they never wait, so a lock held
    // elsewhere (a slow transaction on one provider) cannot stall the batch;
    // the requests that need a busy lock are deferred to the slow lane.
    let busy: HashSet<String> = if locks.is_empty() {
        HashSet::new()
    } else {
        let rows: Vec<(String, bool)> = sqlx::query_as(
            "SELECT s.k, pg_try_advisory_xact_lock(hashtext(s.k))
             FROM (SELECT u.k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, o) ORDER BY u.o) s",
        )
        .bind(&locks)
        .fetch_all(&mut *tx)
        .await?;
        rows.into_iter()
            .filter_map(|(k, got)| (!got).then_some(k))
            .collect()
    };
    let ready: Vec<bool> = batch
        .iter()
        .map(|p| {
            !p.booking.resources.iter().any(|r| busy.contains(r))
                && !p
                    .key
                    .as_deref()
                    .is_some_and(|k| busy.contains(&format!("idem:{k}")))
        })
        .collect();
    let live: Vec<&Pending> = batch
        .iter()
        .zip(&ready)
        .filter_map(|(p, &ok)| ok.then_some(p))
        .collect();
    let live_resources: Vec<&str> = if busy.is_empty() {
        resources
    } else {
        resources
            .into_iter()
            .filter(|r| {
                live.iter()
                    .any(|p| p.booking.resources.iter().any(|x| x == r))
            })
            .collect()
    };
    let state = read_batch(&mut tx, &live, &live_resources).await?;
    let Ok(mut ledger) = state_ledger(state.capacities, state.bookings) else {
        return Err(BatchFail::Single);
    };
    let mut used = state.used;
    // Keys of the bookings accepted in this batch -> index in `batch`.
    let mut batch_keys: HashMap<&str, usize> = HashMap::new();
    let mut accepted: Vec<usize> = Vec::new();
    let mut answers = Vec::with_capacity(batch.len());
    for (n, p) in batch.iter().enumerate() {
        if !ready[n] {
            answers.push(None);
            continue;
        }
        let booking = &p.booking;
        if let Some(key) = p.key.as_deref() {
            if let Some(&first) = batch_keys.get(key) {
                let existing = &batch[first].booking;
                answers.push(Some(if existing.same_request(booking) {
                    Ok(Stored {
                        value: existing.clone(),
                        version: 1,
                    })
                } else {
                    Err(key_reused(key, &existing.id))
                }));
                continue;
            }
            if let Some((id, row)) = state.keys.get(key) {
                answers.push(Some(idempotent_hit(key, id, row.as_ref(), booking)));
                continue;
            }
        }
        if let Err(e) = booking
            .validate()
            .and_then(|()| hcas_core::anchor::check(booking))
        {
            answers.push(Some(Err(e.into())));
            continue;
        }
        let check = match ledger.check(&booking.request(), p.now) {
            Ok(c) => c,
            Err(e) => {
                answers.push(Some(Err(e.into())));
                continue;
            }
        };
        if !check.ok {
            answers.push(Some(Err(StoreError::Conflict {
                conflicts: check.conflicts,
            })));
            continue;
        }
        if used.contains(&booking.id) {
            answers.push(Some(Err(id_used(&booking.id))));
            continue;
        }
        if ledger.insert(booking.clone()).is_err() {
            return Err(BatchFail::Single);
        }
        used.insert(booking.id.clone());
        if let Some(key) = p.key.as_deref() {
            batch_keys.insert(key, n);
        }
        accepted.push(n);
        answers.push(Some(Ok(Stored {
            value: booking.clone(),
            version: 1,
        })));
    }
    if accepted.is_empty() {
        tx.rollback().await?;
        return Ok(answers);
    }
    write_batch(&mut tx, batch, &accepted, &ledger).await?;
    tx.commit().await?;
    Ok(answers)
}

/// The batch read: one query for every request (overlaps, capacities,
/// idempotency keys, used ids).
async fn read_batch(
    conn: &mut PgConnection,
    batch: &[&Pending],
    resources: &[&str],
) -> Result<BatchState, BatchFail> {
    let (mut q_resource, mut q_start, mut q_end) = (Vec::new(), Vec::new(), Vec::new());
    for p in batch {
        for r in unique(&p.booking.resources) {
            q_resource.push(r);
            q_start.push(p.booking.start.unix());
            q_end.push(p.booking.end.unix());
        }
    }
    let keys: Vec<&str> = batch.iter().filter_map(|p| p.key.as_deref()).collect();
    // Each key as of its own request's `now`: an expired key is not read.
    let key_cutoffs: Vec<i64> = batch
        .iter()
        .filter(|p| p.key.is_some())
        .map(|p| p.now.unix() - crate::IDEMPOTENCY_TTL_SECONDS)
        .collect();
    let ids: Vec<&str> = batch.iter().map(|p| p.booking.id.as_str()).collect();
    let rows: Vec<BatchRow> = sqlx::query_as(
        "SELECT 'b'::text, NULL::text, NULL::text, b.payload::text, NULL::bigint FROM bookings b
         WHERE b.id IN (
             SELECT r.booking_id
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS q(resource, s, e)
             CROSS JOIN LATERAL (
                 SELECT r.booking_id FROM booking_resources r
                 WHERE r.resource = q.resource AND r.start_s < q.e AND r.end_s > q.s
                   AND r.start_s > q.s - COALESCE(
                       (SELECT x.max_len FROM resource_extent x WHERE x.resource = q.resource), 0)
                 OFFSET 0) r)
         UNION ALL
         SELECT 'c', c.resource, NULL, NULL, c.capacity::bigint FROM capacities c
         WHERE c.resource = ANY($4::text[])
         UNION ALL
         SELECT 'k', i.key, i.booking_id, b.payload::text, b.version
         FROM unnest($5::text[], $7::bigint[]) AS q(key, cutoff)
         JOIN idempotency i ON i.key = q.key AND i.created_s > q.cutoff
         LEFT JOIN bookings b ON b.id = i.booking_id
         UNION ALL
         SELECT 'i', b.id, NULL, NULL, NULL FROM bookings b WHERE b.id = ANY($6::text[])",
    )
    .bind(&q_resource)
    .bind(&q_start)
    .bind(&q_end)
    .bind(resources)
    .bind(&keys)
    .bind(&ids)
    .bind(&key_cutoffs)
    .fetch_all(&mut *conn)
    .await?;
    let mut state = BatchState::default();
    for (tag, name, id, payload, n) in rows {
        match (tag.as_str(), name, id, payload, n) {
            ("b", _, _, Some(payload), _) => state.bookings.push(payload),
            ("c", Some(resource), _, _, Some(cap)) => state.capacities.push((resource, cap)),
            ("k", Some(key), Some(id), payload, version) => {
                let row = payload
                    .zip(version)
                    .map(|(payload, version)| Row { payload, version });
                state.keys.insert(key, (id, row));
            }
            ("i", Some(id), ..) => {
                state.used.insert(id);
            }
            _ => return Err(BatchFail::Single),
        }
    }
    Ok(state)
}

/// The batch write: every accepted booking in arrival order, in one
/// statement ([`insert_accepted`]). An id inserted meanwhile by another
/// transaction (ids are not locked) makes the batch run again.
async fn write_batch(
    conn: &mut PgConnection,
    batch: &[Pending],
    accepted: &[usize],
    ledger: &Ledger,
) -> Result<(), BatchFail> {
    let rows: Vec<Accepted<'_>> = accepted
        .iter()
        .map(|&n| Accepted {
            booking: &batch[n].booking,
            key: batch[n].key.as_deref(),
            created: batch[n].now,
        })
        .collect();
    if insert_accepted(conn, &rows, ledger).await? != rows.len() {
        return Err(BatchFail::Retry);
    }
    Ok(())
}

/// `resources` without repeats, first occurrence first.
fn unique(resources: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::with_capacity(resources.len());
    for r in resources {
        if !out.contains(&r.as_str()) {
            out.push(r);
        }
    }
    out
}

/// A key seen before, for `booking`: the booking it made, or `Invalid` when
/// the details differ; a key whose booking is missing is corrupt.
fn idempotent_hit(
    key: &str,
    id: &str,
    row: Option<&Row>,
    booking: &Booking,
) -> Result<Stored<Booking>, StoreError> {
    let row = row.ok_or_else(|| corrupt("idempotency key", format!("{key} -> {id}")))?;
    let existing = row.parse()?;
    if !existing.value.same_request(booking) {
        return Err(key_reused(key, id));
    }
    Ok(existing)
}

fn key_reused(key: &str, id: &str) -> StoreError {
    Error::new(
        ErrorCode::InvalidRequest,
        format!("idempotency key {key} was used for booking {id} with other details"),
    )
    .into()
}

fn id_used(id: &str) -> StoreError {
    crate::records::id_used(id).into()
}

/// A ledger holding `bookings` (payloads) with `capacities`.
fn state_ledger(
    capacities: Vec<(String, i64)>,
    bookings: Vec<String>,
) -> Result<Ledger, StoreError> {
    let mut ledger = Ledger::new();
    for (resource, cap) in capacities {
        let cap = u32::try_from(cap).map_err(|e| corrupt("capacity", e))?;
        ledger
            .set_capacity(&resource, cap)
            .map_err(|e| corrupt("capacity", e))?;
    }
    for payload in bookings {
        let b: Booking = serde_json::from_str(&payload).map_err(|e| corrupt("booking", e))?;
        ledger.insert(b).map_err(|e| corrupt("booking", e))?;
    }
    Ok(ledger)
}

#[async_trait]
impl AppointmentStore for PgStore {
    async fn book(
        &self,
        booking: Booking,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError> {
        let Some(queue) = &self.batcher else {
            return Self::book_direct(&self.pool, &booking, idempotency_key, now).await;
        };
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            booking,
            key: idempotency_key.map(str::to_owned),
            now,
            reply,
            deferred: None,
        };
        if let Err(mpsc::error::SendError(p)) = queue.send(pending).await {
            // The batcher is gone (its runtime shut down); nothing was queued.
            return Self::book_direct(&self.pool, &p.booking, p.key.as_deref(), p.now).await;
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the booking batcher stopped before answering".to_string(),
            ))
        })
    }

    async fn get(&self, id: &str) -> Result<Stored<Booking>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        match load(&mut conn, id).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(StoreError::NotFound {
                what: "booking",
                id: id.to_string(),
            }),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Retry(e)) => Err(db(e)),
        }
    }

    async fn set_status(
        &self,
        id: &str,
        expected_version: i64,
        change: &TransitionRequest,
    ) -> Result<StatusChanged, StoreError> {
        storable_reason(change.reason.as_deref())?;
        match retrying(|| self.set_status_once(id, expected_version, change)).await {
            Ok(s) => Ok(s),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Retry(e)) => {
                let cur = self.get(id).await?;
                let mut new = cur.value;
                new.status = change.to;
                Err(Self::current_conflict(&self.pool, &new, change.now, e).await)
            }
        }
    }

    async fn reschedule(
        &self,
        id: &str,
        expected_version: i64,
        new: Booking,
        actor: Party,
        reason: &str,
        now: Timestamp,
    ) -> Result<Rescheduled, StoreError> {
        storable_reason(Some(reason))?;
        let cancel = TransitionRequest {
            to: Status::Cancelled,
            actor,
            reason: Some(reason.to_string()),
            now,
        };
        match retrying(|| self.reschedule_once(id, expected_version, &new, &cancel)).await {
            Ok(r) => Ok(r),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Retry(e)) => Err(Self::current_conflict(&self.pool, &new, now, e).await),
        }
    }

    async fn set_capacity(&self, resource: &str, capacity: u32) -> Result<(), StoreError> {
        Ledger::new().set_capacity(resource, capacity)?;
        let cap = i32::try_from(capacity).unwrap_or(i32::MAX);
        let run = async {
            // Under the resource's lock, so no booking interleaves.
            let mut tx = self.pool.begin().await?;
            lock_resources(&mut tx, std::slice::from_ref(&resource.to_string()), None).await?;
            sqlx::query(
                "INSERT INTO capacities (resource, capacity) VALUES ($1, $2)
                 ON CONFLICT (resource) DO UPDATE SET capacity = excluded.capacity",
            )
            .bind(resource)
            .bind(cap)
            .execute(&mut *tx)
            .await?;
            // The exclusion constraint follows the capacity: rows enter it at
            // capacity 1 and leave it above. Rows that already overlap another
            // blocking row (booked while the capacity was higher) stay out of
            // it: they were valid when made; the core's check still counts them.
            sqlx::query(
                "UPDATE booking_resources r SET capacity_one = ($2 = 1)
                 WHERE r.resource = $1 AND r.capacity_one <> ($2 = 1)
                   AND ($2 <> 1 OR NOT EXISTS (
                       SELECT 1 FROM booking_resources o
                       WHERE o.resource = r.resource AND o.booking_id <> r.booking_id
                         AND o.blocking AND o.start_s < r.end_s AND o.end_s > r.start_s))",
            )
            .bind(resource)
            .bind(cap)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<(), Fail>(())
        };
        match run.await {
            Ok(()) => Ok(()),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Retry(e)) => Err(db(e)),
        }
    }

    async fn busy(
        &self,
        resource: &str,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Interval>, StoreError> {
        let window = Interval::new(from, to).map_err(|e| e.at("busy window"))?;
        let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT b.status, r.start_s, r.end_s, b.hold_expires_s
             FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
             WHERE r.resource = $1 AND r.start_s < $2 AND r.end_s > $3
               AND r.start_s > $3 - COALESCE(
                   (SELECT max_len FROM resource_extent WHERE resource = $1), 0)
             ORDER BY r.start_s, r.end_s",
        )
        .bind(resource)
        .bind(window.end().unix())
        .bind(window.start().unix())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for (status, start, end, hold) in rows {
            out.extend(busy_from_columns(&status, start, end, hold, now)?);
        }
        Ok(out)
    }

    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, kind, aggregate_id, payload::text, created_s FROM outbox
             WHERE NOT sent ORDER BY id LIMIT $1",
        )
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        outbox_events(rows)
    }

    async fn outbox_mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent = true WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let (bookings, outbox): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM bookings), (SELECT COUNT(*) FROM outbox)")
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
        Ok(Counts {
            bookings: u64::try_from(bookings).unwrap_or(0),
            outbox: u64::try_from(outbox).unwrap_or(0),
        })
    }
}
