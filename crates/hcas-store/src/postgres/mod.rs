//! The PostgreSQL adapter (feature `postgres`): sqlx, migrations from
//! `migrations/postgres` applied on open.
//!
//! Booking runs in one transaction (READ COMMITTED) that first takes a
//! transaction-scoped advisory lock per resource
//! (`pg_advisory_xact_lock(hashtext(resource))`, in sorted order), so every
//! writer on a resource, on any pool or server instance, is serialised before
//! it reads. Under the locks the adapter loads the bookings that overlap the
//! request on its resources (one indexed query) and the resources'
//! capacities, builds a small core [`Ledger`](hcas_core::booking::Ledger) and asks [`Ledger::check`](hcas_core::booking::Ledger::check):
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
//! By default [`AppointmentStore::book`](crate::AppointmentStore::book) does not run its own transaction:
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
//! one core [`Ledger`](hcas_core::booking::Ledger) (each accepted booking is added to it, so later
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
//!
//! # Layout
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`PgStore`], [`PgStoreOptions`], opening and migrating |
//! | `bookings.rs` | [`AppointmentStore`](crate::AppointmentStore): the single booking path, status changes, reschedules, capacities, busy time, outbox |
//! | `batch.rs` | group commit: the batcher, one transaction for many bookings, the slow lane |
//! | `rows.rs` | the booking rows every write path shares: the read under the locks, the insert of accepted bookings, outbox events |
//! | `locks.rs` | every advisory lock (resources, idempotency keys, the audit log) and their one global order |
//! | `retry.rs` | which SQLSTATEs are retried and the retry loop |
//! | `series.rs` | [`crate::SeriesStore`] |
//! | `history.rs` | [`crate::HistoryStore`] |
//! | `anchors.rs` | [`crate::AnchorStore`] |
//! | `accounts.rs` | [`crate::AccountStore`] |
//! | `waitlist.rs` | [`crate::WaitlistStore`] |
//! | `providers.rs` | [`crate::ProviderStore`] |
//! | `records.rs` | [`crate::PatientStore`], [`crate::ConsentStore`], [`crate::RecordStore`], [`crate::AuditStore`], NUL refusals |

mod accounts;
mod anchors;
mod batch;
mod bookings;
#[cfg(feature = "documents")]
mod documents;
mod feeds;
mod history;
mod locks;
mod notifications;
mod providers;
mod records;
mod retry;
mod rows;
mod series;
mod waitlist;
mod webhooks;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hcas_core::lifecycle::LifecyclePolicy;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::mpsc;

use crate::StoreError;
use crate::sql::db;
use batch::{Lane, Pending, batcher};

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

/// A PostgreSQL [`AppointmentStore`](crate::AppointmentStore).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The batcher's queue; `None` when group commit is off.
    batcher: Option<mpsc::Sender<Pending>>,
    stats: Arc<Stats>,
    /// The lifecycle's timing rules for status changes (per handle).
    policy: LifecyclePolicy,
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

    /// The schemas of the database at `options` whose names start with
    /// `prefix`, sorted (the reference server lists its organizations'
    /// schemas, `org_*`, with it to migrate them all).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn schemas_with_prefix(
        options: PgConnectOptions,
        prefix: &str,
    ) -> Result<Vec<String>, StoreError> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(db)?;
        let all: Vec<String> =
            sqlx::query_scalar("SELECT nspname::text FROM pg_namespace ORDER BY nspname")
                .fetch_all(&mut conn)
                .await
                .map_err(db)?;
        conn.close().await.map_err(db)?;
        Ok(all.into_iter().filter(|s| s.starts_with(prefix)).collect())
    }

    /// Whether schema `schema` exists in the database at `options`.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad schema name (as
    /// [`PgStore::open_in_schema`]); [`StoreError::Unavailable`].
    pub async fn schema_exists(
        options: PgConnectOptions,
        schema: &str,
    ) -> Result<bool, StoreError> {
        use sqlx::Connection;
        check_schema_name(schema)?;
        let mut conn = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(db)?;
        let found: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM pg_namespace WHERE nspname = $1")
                .bind(schema)
                .fetch_optional(&mut conn)
                .await
                .map_err(db)?;
        conn.close().await.map_err(db)?;
        Ok(found.is_some())
    }

    /// Open the store inside PostgreSQL schema `schema`, creating the schema
    /// (and the `btree_gist` extension, in `public`) if missing, then apply
    /// the migrations there. Every connection of the pool has
    /// `search_path = <schema>, public`, so stores of different schemas in
    /// one database share nothing but the server: this is how the reference
    /// server keeps organizations apart (one schema each).
    ///
    /// `schema` must be 1 to 63 characters of `a-z`, `0-9` and `_`, not
    /// starting with a digit, and not `public` or a `pg_` name.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (`invalid_request`) for a bad schema name;
    /// [`StoreError::Unavailable`] when the server cannot be reached or migrated.
    pub async fn open_in_schema(
        options: PgConnectOptions,
        schema: &str,
        store: PgStoreOptions,
    ) -> Result<Self, StoreError> {
        check_schema_name(schema)?;
        {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect_with(&options)
                .await
                .map_err(db)?;
            // Concurrent first opens may race on the extension's catalog row;
            // the loser's unique violation means it exists now.
            for statement in [
                "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public".to_string(),
                format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""),
            ] {
                if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(statement))
                    .execute(&mut conn)
                    .await
                {
                    let unique = e
                        .as_database_error()
                        .and_then(|d| d.code())
                        .is_some_and(|c| c == "23505" || c == "42P06" || c == "42710");
                    if !unique {
                        return Err(db(e));
                    }
                }
            }
            conn.close().await.map_err(db)?;
        }
        let options = options.options([("search_path", format!("{schema},public"))]);
        Self::open_with_options(options, store).await
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
}

/// A schema name [`PgStore::open_in_schema`] accepts.
fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let ok = (1..=63).contains(&schema.len())
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit()
        && schema != "public"
        && !schema.starts_with("pg_");
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(hcas_core::Error::new(
            hcas_core::ErrorCode::InvalidRequest,
            format!(
                "schema name `{schema}`: use 1 to 63 of a-z, 0-9 and _, not starting with a digit, not `public` or `pg_*`"
            ),
        )))
    }
}
