//! The SQLite adapter (feature `sqlite`): sqlx with bundled libsqlite3,
//! migrations from `migrations/sqlite` applied on open.
//!
//! Booking runs in a `BEGIN IMMEDIATE` transaction, which takes SQLite's
//! write lock up front, so two writers (connections, pools or processes on
//! the same file) are serialised before either reads. Inside it the adapter
//! loads the bookings that overlap the request on its resources (one indexed
//! query) and the resources' capacities, builds a small core [`Ledger`] from
//! them and asks [`Ledger::check`]; the conflict rules are the core's, not
//! re-implemented in SQL. Then it inserts the booking, its resources, its
//! idempotency key and the outbox event, and commits. Any error, or dropping
//! the future, rolls back.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use hcas_core::booking::{BookOutcome, Booking, Ledger, Status};
use hcas_core::lifecycle::{LifecyclePolicy, Party, TransitionRequest};
use hcas_core::{Error, ErrorCode, Interval, Timestamp};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};

use crate::records::{at_version, change_payload, decide, id_used};
use crate::sql::{busy_from_columns, corrupt, db, json, limit_of, outbox_events};
use crate::{
    AppointmentStore, Counts, IDEMPOTENCY_PRUNE_BATCH, IDEMPOTENCY_TTL_SECONDS, OutboxEvent,
    Rescheduled, StatusChanged, StoreError, Stored, kind,
};

#[doc(hidden)]
pub use crate::sqlite_ports::AVAILABILITY_SQL;
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

/// A SQLite [`AppointmentStore`].
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

/// The booking with this id, with its version.
pub(crate) async fn load(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<Stored<Booking>>, StoreError> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT payload, version FROM bookings WHERE id = ?")
            .bind(id)
            .fetch_optional(conn)
            .await
            .map_err(db)?;
    row.map(|(payload, version)| {
        serde_json::from_str(&payload)
            .map(|value| Stored { value, version })
            .map_err(|e| corrupt("booking", e))
    })
    .transpose()
}

/// A ledger holding every booking (any status) that overlaps `[start, end)`
/// on any of `resources`, and those resources' capacities: all the core needs
/// to decide a request on them.
pub(crate) async fn ledger_for(
    conn: &mut SqliteConnection,
    resources: &[String],
    start: Timestamp,
    end: Timestamp,
) -> Result<Ledger, StoreError> {
    let names = json(&resources)?;
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT b.payload FROM bookings b WHERE b.id IN (
             SELECT r.booking_id FROM booking_resources r
             WHERE r.resource IN (SELECT value FROM json_each(?1))
               AND r.start_s < ?2 AND r.end_s > ?3
               AND r.start_s > ?3 - (SELECT COALESCE(MAX(max_len), 0) FROM resource_extent
                                     WHERE resource IN (SELECT value FROM json_each(?1))))",
    )
    .bind(&names)
    .bind(end.unix())
    .bind(start.unix())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let caps: Vec<(String, i64)> = sqlx::query_as(
        "SELECT resource, capacity FROM capacities WHERE resource IN (SELECT value FROM json_each(?1))",
    )
    .bind(&names)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut ledger = Ledger::new();
    for (resource, cap) in caps {
        let cap = u32::try_from(cap).map_err(|e| corrupt("capacity", e))?;
        ledger
            .set_capacity(&resource, cap)
            .map_err(|e| corrupt("capacity", e))?;
    }
    for (payload,) in rows {
        let b: Booking = serde_json::from_str(&payload).map_err(|e| corrupt("booking", e))?;
        ledger.insert(b).map_err(|e| corrupt("booking", e))?;
    }
    Ok(ledger)
}

pub(crate) async fn push_event(
    conn: &mut SqliteConnection,
    kind: &str,
    booking: &Booking,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (kind, aggregate_id, payload, created_s) VALUES (?, ?, ?, ?)")
        .bind(kind)
        .bind(&booking.id)
        .bind(json(booking)?)
        .bind(now.unix())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// An outbox event with a ready payload (a status change's: the booking and
/// its `transition`).
pub(crate) async fn push_change(
    conn: &mut SqliteConnection,
    kind: &str,
    id: &str,
    payload: &serde_json::Value,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (kind, aggregate_id, payload, created_s) VALUES (?, ?, ?, ?)")
        .bind(kind)
        .bind(id)
        .bind(json(payload)?)
        .bind(now.unix())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Insert a checked booking and its resource rows.
pub(crate) async fn insert_booking(
    conn: &mut SqliteConnection,
    b: &Booking,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
         VALUES (?, ?, ?, ?, ?, 1, ?)",
    )
    .bind(&b.id)
    .bind(b.start.unix())
    .bind(b.end.unix())
    .bind(b.status.as_str())
    .bind(b.hold_expires.map(Timestamp::unix))
    .bind(json(b)?)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    insert_resource_rows(conn, b).await
}

/// A booking's resource rows, at its interval (the insert trigger keeps the
/// overlap bound in step).
pub(crate) async fn insert_resource_rows(
    conn: &mut SqliteConnection,
    b: &Booking,
) -> Result<(), StoreError> {
    for r in &b.resources {
        sqlx::query(
            "INSERT OR IGNORE INTO booking_resources (booking_id, resource, start_s, end_s)
             VALUES (?, ?, ?, ?)",
        )
        .bind(&b.id)
        .bind(r)
        .bind(b.start.unix())
        .bind(b.end.unix())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl AppointmentStore for SqliteStore {
    async fn book(
        &self,
        booking: Booking,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        if let Some(key) = idempotency_key {
            // A key older than the TTL is forgotten: the request books anew.
            let hit: Option<(String,)> = sqlx::query_as(
                "SELECT booking_id FROM idempotency WHERE key = ? AND created_s > ?",
            )
            .bind(key)
            .bind(now.unix() - IDEMPOTENCY_TTL_SECONDS)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if let Some((id,)) = hit {
                let existing = load(&mut tx, &id)
                    .await?
                    .ok_or_else(|| corrupt("idempotency key", format!("{key} -> {id}")))?;
                if !existing.value.same_request(&booking) {
                    return Err(Error::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "idempotency key {key} was used for booking {id} with other details"
                        ),
                    )
                    .into());
                }
                return Ok(existing);
            }
        }
        booking.validate()?;
        hcas_core::anchor::check(&booking)?;
        let ledger = ledger_for(&mut tx, &booking.resources, booking.start, booking.end).await?;
        let check = ledger.check(&booking.request(), now)?;
        if !check.ok {
            return Err(StoreError::Conflict {
                conflicts: check.conflicts,
            });
        }
        let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM bookings WHERE id = ?")
            .bind(&booking.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if taken.is_some() {
            return Err(id_used(&booking.id).into());
        }
        insert_booking(&mut tx, &booking).await?;
        if let Some(key) = idempotency_key {
            // Replaces an expired row of the same key; then prunes a few expired keys.
            sqlx::query(
                "INSERT INTO idempotency (key, booking_id, created_s) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE
                     SET booking_id = excluded.booking_id, created_s = excluded.created_s",
            )
            .bind(key)
            .bind(&booking.id)
            .bind(now.unix())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            // Each new key removes up to a batch of expired ones: keys cannot pile up.
            sqlx::query(
                "DELETE FROM idempotency WHERE key IN (
                     SELECT key FROM idempotency WHERE created_s <= ?1
                     ORDER BY created_s LIMIT ?2)",
            )
            .bind(now.unix() - IDEMPOTENCY_TTL_SECONDS)
            .bind(IDEMPOTENCY_PRUNE_BATCH)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        push_event(&mut tx, kind::APPOINTMENT_CREATED, &booking, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: booking,
            version: 1,
        })
    }

    async fn get(&self, id: &str) -> Result<Stored<Booking>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        load(&mut conn, id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "booking",
                id: id.to_string(),
            })
    }

    async fn set_status(
        &self,
        id: &str,
        expected_version: i64,
        change: &TransitionRequest,
    ) -> Result<StatusChanged, StoreError> {
        let now = change.now;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let cur = at_version(id, load(&mut tx, id).await?, expected_version)?;
        let decided = decide(&cur.value, change, &self.policy)?;
        let new = decided.booking;
        if decided.recheck {
            let ledger = ledger_for(&mut tx, &new.resources, new.start, new.end).await?;
            let check = ledger.check_excluding(&new.request(), now, Some(id))?;
            if !check.ok {
                return Err(StoreError::Conflict {
                    conflicts: check.conflicts,
                });
            }
        }
        let done = sqlx::query(
            "UPDATE bookings SET status = ?, hold_expires_s = ?, payload = ?, version = version + 1
             WHERE id = ? AND version = ?",
        )
        .bind(new.status.as_str())
        .bind(new.hold_expires.map(Timestamp::unix))
        .bind(json(&new)?)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() != 1 {
            // Unreachable under the write lock; kept as the optimistic check's last word.
            return Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected: expected_version,
                found: expected_version + 1,
            });
        }
        let payload = change_payload(&new, &decided.transition, change);
        push_change(&mut tx, kind::for_status(new.status), id, &payload, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(StatusChanged {
            booking: Stored {
                value: new,
                version: expected_version + 1,
            },
            transition: decided.transition,
        })
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
        hcas_core::anchor::check(&new)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let cur = at_version(id, load(&mut tx, id).await?, expected_version)?;
        let cancel = TransitionRequest {
            to: Status::Cancelled,
            actor,
            reason: Some(reason.to_string()),
            now,
        };
        let decided = decide(&cur.value, &cancel, &self.policy)?;
        let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM bookings WHERE id = ?")
            .bind(&new.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if taken.is_some() {
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
        let new = match ledger.reschedule(id, new, reason, now)? {
            BookOutcome::Booked(new) => new,
            BookOutcome::Conflict(conflicts) => return Err(StoreError::Conflict { conflicts }),
            BookOutcome::Existing(_) => {
                return Err(StoreError::Internal(
                    "reschedule answered with an existing booking".to_string(),
                ));
            }
        };
        let old = ledger
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::Internal(format!("booking {id} lost")))?;
        insert_booking(&mut tx, &new).await?;
        push_event(&mut tx, kind::APPOINTMENT_CREATED, &new, now).await?;
        sqlx::query(
            "UPDATE bookings SET status = ?, hold_expires_s = NULL, payload = ?, version = version + 1
             WHERE id = ?",
        )
        .bind(old.status.as_str())
        .bind(json(&old)?)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let payload = change_payload(&old, &decided.transition, &cancel);
        push_change(&mut tx, kind::APPOINTMENT_CANCELLED, id, &payload, now).await?;
        tx.commit().await.map_err(db)?;
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

    async fn set_capacity(&self, resource: &str, capacity: u32) -> Result<(), StoreError> {
        // Validate with the core's rule before writing.
        Ledger::new().set_capacity(resource, capacity)?;
        sqlx::query(
            "INSERT INTO capacities (resource, capacity) VALUES (?, ?)
             ON CONFLICT (resource) DO UPDATE SET capacity = excluded.capacity",
        )
        .bind(resource)
        .bind(i64::from(capacity))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
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
             WHERE r.resource = ?1 AND r.start_s < ?2 AND r.end_s > ?3
               AND r.start_s > ?3 - COALESCE(
                   (SELECT max_len FROM resource_extent WHERE resource = ?1), 0)
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
            "SELECT id, kind, aggregate_id, payload, created_s FROM outbox
             WHERE sent = 0 ORDER BY id LIMIT ?",
        )
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        outbox_events(rows)
    }

    async fn outbox_mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent = 1 WHERE id IN (SELECT value FROM json_each(?))")
            .bind(json(&ids)?)
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
