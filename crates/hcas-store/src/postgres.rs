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

use std::str::FromStr;

use async_trait::async_trait;
use hcas_core::booking::{Booking, Ledger, Status};
use hcas_core::{Error, ErrorCode, Instant, Interval};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use crate::sql::{busy_from_payloads, corrupt, db, json};
use crate::{AppointmentStore, Counts, OutboxEvent, StoreError, Stored, kind};

#[doc(hidden)]
pub use sqlx;

/// How many times a booking or status change is retried after a retryable
/// SQLSTATE (`23P01`, `40P01`, `40001`).
pub const RETRIES: usize = 5;

/// A PostgreSQL [`AppointmentStore`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

/// Why one attempt failed: a final answer, or a retryable database error.
enum Fail {
    Store(StoreError),
    Retry(sqlx::Error),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
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
fn is_retryable(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .is_some_and(|c| matches!(c.as_ref(), "23P01" | "40P01" | "40001"))
}

/// Whether a status blocks regardless of time (the exclusion constraint's `blocking`).
const fn blocking(status: Status) -> bool {
    !matches!(status, Status::Held) && status.occupies()
}

impl PgStore {
    /// Connect to `url` (`postgres://user@host:port/db`) with a pool of up to
    /// `max_connections`, and apply the migrations.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the server cannot be reached or migrated.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(db)?;
        Self::open_with(options, max_connections).await
    }

    /// Open with explicit connect options, and apply the migrations.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn open_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        Ok(Self { pool })
    }

    /// The connection pool (for health checks and tests).
    #[must_use]
    pub const fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn book_once(
        &self,
        booking: &Booking,
        idempotency_key: Option<&str>,
        now: Instant,
    ) -> Result<Stored<Booking>, Fail> {
        // Round trips: BEGIN, locks, one read, one write, COMMIT.
        let mut tx = self.pool.begin().await?;
        // Resource locks in sorted order, then the idempotency key's lock
        // (serialise writers of one key too: the key may be new).
        lock_resources(&mut tx, &booking.resources, idempotency_key).await?;
        let mut state = read_state(
            &mut tx,
            &booking.resources,
            booking.start,
            booking.end,
            idempotency_key,
        )
        .await?;
        if let (Some(key), Some((id, existing))) = (idempotency_key, state.idempotent.take()) {
            let existing =
                existing.ok_or_else(|| corrupt("idempotency key", format!("{key} -> {id}")))?;
            let existing = existing.parse()?;
            if !existing.value.same_request(booking) {
                return Err(Error::new(
                    ErrorCode::InvalidRequest,
                    format!("idempotency key {key} was used for booking {id} with other details"),
                )
                .into());
            }
            return Ok(existing);
        }
        booking.validate()?;
        let ledger = state.ledger()?;
        let check = ledger.check(&booking.request(), now)?;
        if !check.ok {
            return Err(StoreError::Conflict {
                conflicts: check.conflicts,
            }
            .into());
        }
        let mut resources: Vec<&str> = Vec::new();
        for r in &booking.resources {
            if !resources.contains(&r.as_str()) {
                resources.push(r);
            }
        }
        let capacity_one: Vec<bool> = resources.iter().map(|r| ledger.capacity(r) == 1).collect();
        let payload = json(booking)?;
        // One statement: booking, its resources, the idempotency key and the
        // outbox event (FK checks run at the end of the statement). A used id
        // inserts nothing at all.
        let (inserted,): (i64,) = sqlx::query_as(
            "WITH b AS (
                 INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
                 VALUES ($1, $2, $3, $4, $5, 1, $6::jsonb) ON CONFLICT (id) DO NOTHING
                 RETURNING id),
             r AS (
                 INSERT INTO booking_resources
                     (booking_id, resource, start_s, end_s, blocking, capacity_one)
                 SELECT b.id, u.resource, $2, $3, $7, u.one
                 FROM b, unnest($8::text[], $9::boolean[]) AS u(resource, one)),
             i AS (
                 INSERT INTO idempotency (key, booking_id)
                 SELECT $10::text, b.id FROM b WHERE $10::text IS NOT NULL),
             o AS (
                 INSERT INTO outbox (kind, aggregate_id, payload, created_s)
                 SELECT $11, b.id, $6::jsonb, $12 FROM b)
             SELECT count(*) FROM b",
        )
        .bind(&booking.id)
        .bind(booking.start.unix())
        .bind(booking.end.unix())
        .bind(booking.status.as_str())
        .bind(booking.hold_expires.map(Instant::unix))
        .bind(payload)
        .bind(blocking(booking.status))
        .bind(&resources)
        .bind(&capacity_one)
        .bind(idempotency_key)
        .bind(kind::APPOINTMENT_CREATED)
        .bind(now.unix())
        .fetch_one(&mut *tx)
        .await?;
        if inserted != 1 {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!("booking id {} is already used", booking.id),
            )
            .into());
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
        status: Status,
        expected_version: i64,
        now: Instant,
    ) -> Result<Stored<Booking>, Fail> {
        let mut tx = self.pool.begin().await?;
        let peek = load(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "booking",
                id: id.to_string(),
            })?;
        // Resources never change, so locking the peeked ones is enough.
        lock_resources(&mut tx, &peek.value.resources, None).await?;
        let cur = load(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "booking",
                id: id.to_string(),
            })?;
        if cur.version != expected_version {
            return Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected: expected_version,
                found: cur.version,
            }
            .into());
        }
        let mut new = cur.value.clone();
        new.status = status;
        if status != Status::Held {
            new.hold_expires = None;
        }
        new.validate()?;
        if new.blocks(now) && !cur.value.blocks(now) {
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
        .bind(status.as_str())
        .bind(new.hold_expires.map(Instant::unix))
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
            .bind(blocking(status))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        push_event(&mut tx, kind::for_status(status), &new, now).await?;
        tx.commit().await?;
        Ok(Stored {
            value: new,
            version: expected_version + 1,
        })
    }

    /// After the retries ran out: re-read the winners on the request's resources.
    async fn current_conflict(
        &self,
        booking: &Booking,
        now: Instant,
        last: sqlx::Error,
    ) -> StoreError {
        let reread = async {
            let mut tx = self.pool.begin().await.map_err(db)?;
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
    fn parse(self) -> Result<Stored<Booking>, StoreError> {
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
        let mut ledger = Ledger::new();
        for (resource, cap) in self.capacities {
            let cap = u32::try_from(cap).map_err(|e| corrupt("capacity", e))?;
            ledger
                .set_capacity(&resource, cap)
                .map_err(|e| corrupt("capacity", e))?;
        }
        for payload in self.bookings {
            let b: Booking = serde_json::from_str(&payload).map_err(|e| corrupt("booking", e))?;
            ledger.insert(b).map_err(|e| corrupt("booking", e))?;
        }
        Ok(ledger)
    }
}

/// A row of [`read_state`]'s query: tag, name (resource or booking id), payload, number.
type Tagged = (String, Option<String>, Option<String>, Option<i64>);

/// One query: every booking (any status) that overlaps `[start, end)` on any
/// of `resources` (tag `b`), those resources' capacities (tag `c`), and the
/// booking stored under `idempotency_key` (tag `k`).
async fn read_state(
    conn: &mut PgConnection,
    resources: &[String],
    start: Instant,
    end: Instant,
    idempotency_key: Option<&str>,
) -> Result<State, Fail> {
    let rows: Vec<Tagged> = sqlx::query_as(
        "SELECT 'b'::text, NULL::text, b.payload::text, NULL::bigint FROM bookings b
         WHERE b.id IN (
             SELECT r.booking_id FROM booking_resources r
             WHERE r.resource = ANY($1) AND r.start_s < $2 AND r.end_s > $3)
         UNION ALL
         SELECT 'c', c.resource, NULL, c.capacity::bigint FROM capacities c
         WHERE c.resource = ANY($1)
         UNION ALL
         SELECT 'k', i.booking_id, b.payload::text, b.version
         FROM idempotency i LEFT JOIN bookings b ON b.id = i.booking_id
         WHERE i.key = $4::text",
    )
    .bind(resources)
    .bind(end.unix())
    .bind(start.unix())
    .bind(idempotency_key)
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
async fn ledger_for(
    conn: &mut PgConnection,
    resources: &[String],
    start: Instant,
    end: Instant,
) -> Result<Ledger, Fail> {
    Ok(read_state(conn, resources, start, end, None)
        .await?
        .ledger()?)
}

async fn push_event(
    conn: &mut PgConnection,
    kind: &str,
    booking: &Booking,
    now: Instant,
) -> Result<(), Fail> {
    sqlx::query(
        "INSERT INTO outbox (kind, aggregate_id, payload, created_s) VALUES ($1, $2, $3::jsonb, $4)",
    )
    .bind(kind)
    .bind(&booking.id)
    .bind(json(booking)?)
    .bind(now.unix())
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl AppointmentStore for PgStore {
    async fn book(
        &self,
        booking: Booking,
        idempotency_key: Option<&str>,
        now: Instant,
    ) -> Result<Stored<Booking>, StoreError> {
        let mut attempt = 0;
        loop {
            match self.book_once(&booking, idempotency_key, now).await {
                Ok(s) => return Ok(s),
                Err(Fail::Store(e)) => return Err(e),
                Err(Fail::Retry(e)) if attempt >= RETRIES => {
                    return Err(self.current_conflict(&booking, now, e).await);
                }
                Err(Fail::Retry(_)) => attempt += 1,
            }
        }
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
        status: Status,
        expected_version: i64,
        now: Instant,
    ) -> Result<Stored<Booking>, StoreError> {
        let mut attempt = 0;
        loop {
            match self
                .set_status_once(id, status, expected_version, now)
                .await
            {
                Ok(s) => return Ok(s),
                Err(Fail::Store(e)) => return Err(e),
                Err(Fail::Retry(e)) if attempt >= RETRIES => {
                    let cur = self.get(id).await?;
                    let mut new = cur.value;
                    new.status = status;
                    return Err(self.current_conflict(&new, now, e).await);
                }
                Err(Fail::Retry(_)) => attempt += 1,
            }
        }
    }

    async fn set_capacity(&self, resource: &str, capacity: u32) -> Result<(), StoreError> {
        Ledger::new().set_capacity(resource, capacity)?;
        sqlx::query(
            "INSERT INTO capacities (resource, capacity) VALUES ($1, $2)
             ON CONFLICT (resource) DO UPDATE SET capacity = excluded.capacity",
        )
        .bind(resource)
        .bind(i32::try_from(capacity).unwrap_or(i32::MAX))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn busy(
        &self,
        resource: &str,
        from: Instant,
        to: Instant,
        now: Instant,
    ) -> Result<Vec<Interval>, StoreError> {
        let window = Interval::new(from, to).map_err(|e| e.at("busy window"))?;
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT b.payload::text FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
             WHERE r.resource = $1 AND r.start_s < $2 AND r.end_s > $3
             ORDER BY r.start_s, r.end_s",
        )
        .bind(resource)
        .bind(window.end().unix())
        .bind(window.start().unix())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        busy_from_payloads(rows.into_iter().map(|(p,)| p), now)
    }

    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, kind, aggregate_id, payload::text, created_s FROM outbox
             WHERE NOT sent ORDER BY id LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(id, kind, aggregate_id, payload, created)| {
                Ok(OutboxEvent {
                    id,
                    kind,
                    aggregate_id,
                    payload: serde_json::from_str(&payload)
                        .map_err(|e| corrupt("outbox event", e))?,
                    created: Instant::from_unix(created),
                })
            })
            .collect()
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
