//! The booking rows every write path shares: the one read under the locks
//! (overlaps, capacities, idempotency key), loading a booking, writing
//! accepted bookings with their resource rows, keys and events, and outbox
//! events.

use hcas_core::booking::{Booking, Ledger};
use hcas_core::{Error, ErrorCode, Timestamp};
use sqlx::PgConnection;

use crate::sql::{corrupt, json};
use crate::{StoreError, Stored, kind};

use super::bookings::*;
use super::retry::*;

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

/// A booking row as read (payload text, version), parsed on use.
pub(super) struct Row {
    pub(super) payload: String,
    pub(super) version: i64,
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
pub(super) struct State {
    pub(super) bookings: Vec<String>,
    pub(super) capacities: Vec<(String, i64)>,
    pub(super) idempotent: Option<(String, Option<Row>)>,
}

impl State {
    /// A ledger holding the overlapping bookings and the capacities.
    pub(super) fn ledger(self) -> Result<Ledger, StoreError> {
        state_ledger(self.capacities, self.bookings)
    }
}

/// A row of [`read_state`]'s query: tag, name (resource or booking id), payload, number.
pub(super) type Tagged = (String, Option<String>, Option<String>, Option<i64>);

/// One query: every booking (any status) that overlaps `[start, end)` on any
/// of `resources` (tag `b`), those resources' capacities (tag `c`), and the
/// booking stored under the idempotency key (tag `k`) unless the key has
/// expired at the request's `now` ([`crate::IDEMPOTENCY_TTL_SECONDS`]).
pub(super) async fn read_state(
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
pub(super) async fn load(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<Stored<Booking>>, Fail> {
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

/// `resources` without repeats, first occurrence first.
pub(super) fn unique(resources: &[String]) -> Vec<&str> {
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
pub(super) fn idempotent_hit(
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

pub(super) fn key_reused(key: &str, id: &str) -> StoreError {
    Error::new(
        ErrorCode::InvalidRequest,
        format!("idempotency key {key} was used for booking {id} with other details"),
    )
    .into()
}

pub(super) fn id_used(id: &str) -> StoreError {
    crate::change::id_used(id).into()
}

/// A ledger holding `bookings` (payloads) with `capacities`.
pub(super) fn state_ledger(
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

#[cfg(feature = "test-support")]
impl super::PgStore {
    /// Test support: store a booking as `book` would, without the anchor
    /// check (a booking made under older tz data).
    #[allow(clippy::expect_used)]
    pub(crate) async fn plant_unchecked(&self, b: Booking, now: Timestamp) {
        let mut tx = self.pool().begin().await.expect("a transaction");
        let row = Accepted {
            booking: &b,
            key: None,
            created: now,
        };
        let n = insert_accepted(&mut tx, &[row], &Ledger::new())
            .await
            .expect("an insert");
        assert_eq!(n, 1, "booking {} planted", b.id);
        tx.commit().await.expect("a commit");
    }
}
