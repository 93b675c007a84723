//! The SQLite adapter (feature `sqlite`): sqlx with bundled libsqlite3,
//! migrations from `migrations/sqlite` applied on open.
//!
//! Booking runs in a `BEGIN IMMEDIATE` transaction, which takes SQLite's
//! write lock up front, so two writers (connections, pools or processes on
//! the same file) are serialised before either reads. Inside it the adapter
//! loads the bookings that overlap the request on its resources (one indexed
//! query) and the resources' capacities, builds a small core [`Ledger`](hcas_core::booking::Ledger) from
//! them and asks [`Ledger::check`](hcas_core::booking::Ledger::check); the conflict rules are the core's, not
//! re-implemented in SQL. Then it inserts the booking, its resources, its
//! idempotency key and the outbox event, and commits. Any error, or dropping
//! the future, rolls back.

//!
//! # Layout
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`SqliteStore`], [`Durability`], opening and migrating |
//! | `bookings.rs` | [`AppointmentStore`](crate::AppointmentStore): booking, status changes, reschedules, capacities, busy time, outbox |
//! | `rows.rs` | the booking rows every write path shares: load, the ledger of overlaps, inserts, outbox events |
//! | `series.rs` | [`crate::SeriesStore`] |
//! | `history.rs` | [`crate::HistoryStore`] |
//! | `anchors.rs` | [`crate::AnchorStore`] |
//! | `accounts.rs` | [`crate::AccountStore`] |
//! | `waitlist.rs` | [`crate::WaitlistStore`] |
//! | `providers.rs` | [`crate::ProviderStore`] |
//! | `records.rs` | [`crate::PatientStore`], [`crate::ConsentStore`], [`crate::RecordStore`], [`crate::AuditStore`] |

mod accounts;
mod anchors;
mod bookings;
#[cfg(feature = "documents")]
mod documents;
mod feeds;
mod history;
mod notifications;
mod providers;
mod records;
mod rows;
mod series;
mod waitlist;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use hcas_core::lifecycle::LifecyclePolicy;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreError;
use crate::sql::db;

#[doc(hidden)]
pub use providers::AVAILABILITY_SQL;
#[doc(hidden)]
pub use sqlx;

/// How long a writer waits for SQLite's write lock before giving up with
/// [`StoreError::Unavailable`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How durable a commit is (SQLite's `synchronous` pragma, in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = FULL` (the default): every commit is synced to disk
    /// before it returns, so a booking that was answered (and whose outbox
    /// event may have gone out) survives a power loss or an OS crash.
    #[default]
    Full,
    /// `synchronous = NORMAL`: the WAL is synced only at checkpoints, so
    /// commits are faster but the last ones before a power loss or an OS
    /// crash can be lost (an application crash loses nothing). Opt in only
    /// when losing recently committed bookings is acceptable; see
    /// `docs/storage.md`, "Durability".
    Normal,
}

impl Durability {
    const fn synchronous(self) -> SqliteSynchronous {
        match self {
            Self::Full => SqliteSynchronous::Full,
            Self::Normal => SqliteSynchronous::Normal,
        }
    }
}

/// A SQLite [`AppointmentStore`](crate::AppointmentStore).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The lifecycle's timing rules for status changes (per handle).
    policy: LifecyclePolicy,
}

impl SqliteStore {
    /// Open (creating if missing) the database at `url` (`sqlite://path.db`,
    /// `sqlite:path.db` or a plain path) with a pool of up to
    /// `max_connections`, in WAL mode with `synchronous = FULL` (every
    /// commit durable, [`Durability::Full`]), and apply the migrations.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened or migrated.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::open_with_durability(url, max_connections, Durability::Full).await
    }

    /// [`SqliteStore::open`] with an explicit [`Durability`]
    /// ([`Durability::Normal`] trades the last commits before a power loss
    /// for speed).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened or migrated.
    pub async fn open_with_durability(
        url: &str,
        max_connections: u32,
        durability: Durability,
    ) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(durability.synchronous())
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        Self::open_with(options, max_connections).await
    }

    /// Open with explicit connect options, and apply the migrations. The
    /// options are used as given: set `synchronous` (sqlx's default is
    /// `FULL`), the journal mode and the busy timeout yourself.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn open_with(
        options: SqliteConnectOptions,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        Ok(Self {
            pool,
            policy: LifecyclePolicy::default(),
        })
    }

    /// This handle with the clinic's lifecycle timing rules (late
    /// cancellation, no-show grace, check-in window; `LifecyclePolicy::default()`
    /// unless set), used by `set_status` and `reschedule`. The pool stays
    /// shared with the other clones.
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

    /// The connection pool (for health checks and tests).
    #[must_use]
    pub const fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
