//! [`AppointmentStore`] for [`SqliteStore`]: booking under the write lock,
//! status changes and reschedules (decided by [`crate::change`], persisted
//! here), capacities, busy time, the outbox.

use async_trait::async_trait;
use hcas_core::booking::{Booking, Ledger};
use hcas_core::lifecycle::TransitionRequest;
use hcas_core::{Error, ErrorCode, Interval, Timestamp};

use crate::RescheduleRequest;
use crate::change::{ReschedulePlan, StatusPlan, id_used};
use crate::sql::{busy_from_columns, corrupt, db, json, limit_of, outbox_events};
use crate::{
    AppointmentStore, Counts, IDEMPOTENCY_PRUNE_BATCH, IDEMPOTENCY_TTL_SECONDS, OutboxEvent,
    Rescheduled, StatusChanged, StoreError, Stored, kind,
};

use super::SqliteStore;
use super::rows::*;

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
        let found = load(&mut tx, id).await?;
        let plan = StatusPlan::new(id, found, expected_version, change, &self.policy)?;
        let new = &plan.booking;
        if plan.recheck {
            let ledger = ledger_for(&mut tx, &new.resources, new.start, new.end).await?;
            plan.check(&ledger)?;
        }
        let done = sqlx::query(
            "UPDATE bookings SET status = ?, hold_expires_s = ?, payload = ?, version = version + 1
             WHERE id = ? AND version = ?",
        )
        .bind(new.status.as_str())
        .bind(new.hold_expires.map(Timestamp::unix))
        .bind(json(new)?)
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
        push_change(&mut tx, plan.kind, id, &plan.payload, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(plan.done())
    }

    async fn reschedule(
        &self,
        id: &str,
        expected_version: i64,
        new: Booking,
        request: &RescheduleRequest,
    ) -> Result<Rescheduled, StoreError> {
        let (actor, reason, now) = (request.actor, request.reason.as_str(), request.now);
        ReschedulePlan::precheck(&new)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        let found = load(&mut tx, id).await?;
        let cancel = ReschedulePlan::cancel_request(actor, reason, now);
        let plan = ReschedulePlan::new(id, found, expected_version, &cancel, &self.policy)?;
        let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM bookings WHERE id = ?")
            .bind(&new.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if taken.is_some() {
            return Err(id_used(&new.id).into());
        }
        // The core decides on a ledger of what overlaps the new time (the
        // plan adds the old booking, which it leaves out of the check).
        let mut ledger = ledger_for(&mut tx, &new.resources, new.start, new.end).await?;
        let (old, new) = plan.apply(&mut ledger, new)?;
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
        push_change(
            &mut tx,
            kind::APPOINTMENT_CANCELLED,
            id,
            &plan.payload(&old),
            now,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(plan.done(old, new))
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

    async fn bookings_on(
        &self,
        resource: &str,
        window: Interval,
        limit: usize,
    ) -> Result<Vec<Stored<Booking>>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT b.payload, b.version
             FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
             WHERE r.resource = ?1 AND r.start_s < ?2 AND r.end_s > ?3
               AND r.start_s > ?3 - COALESCE(
                   (SELECT max_len FROM resource_extent WHERE resource = ?1), 0)
             ORDER BY r.start_s, b.id LIMIT ?4",
        )
        .bind(resource)
        .bind(window.end().unix())
        .bind(window.start().unix())
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        crate::sql::stored_rows("booking", rows)
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
