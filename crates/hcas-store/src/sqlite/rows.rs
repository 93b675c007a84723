//! The booking rows every write path shares: loading a booking, the ledger
//! of what overlaps a request, inserting a booking with its resource rows,
//! outbox events.

use hcas_core::Timestamp;
use hcas_core::booking::{Booking, Ledger};
use sqlx::SqliteConnection;

use crate::sql::{corrupt, db, json};
use crate::{StoreError, Stored};

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

#[cfg(feature = "test-support")]
impl super::SqliteStore {
    /// Test support: store a booking as `book` would, without the anchor
    /// check (a booking made under older tz data).
    #[allow(clippy::expect_used)]
    pub(crate) async fn plant_unchecked(&self, b: Booking, now: Timestamp) {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .expect("a transaction");
        insert_booking(&mut tx, &b).await.expect("an insert");
        push_event(&mut tx, crate::kind::APPOINTMENT_CREATED, &b, now)
            .await
            .expect("an event");
        tx.commit().await.expect("a commit");
    }
}
