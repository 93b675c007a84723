//! [`AppointmentStore`] for [`PgStore`]: the single booking path, status
//! changes and reschedules (decided by [`crate::change`], persisted here),
//! capacities, busy time, the outbox.

use async_trait::async_trait;
use hcas_core::booking::{Booking, Ledger, Status};
use hcas_core::lifecycle::TransitionRequest;
use hcas_core::{Interval, Timestamp};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::RescheduleRequest;
use crate::change::{ReschedulePlan, StatusPlan, check_free};
use crate::sql::{busy_from_columns, db, json, limit_of, outbox_events};
use crate::{
    AppointmentStore, Counts, OutboxEvent, Rescheduled, StatusChanged, StoreError, Stored, kind,
};

use super::PgStore;
use super::batch::*;
use super::locks::*;
use super::records::*;
use super::retry::*;
use super::rows::*;

/// Whether a status blocks regardless of time (the exclusion constraint's `blocking`).
pub(crate) const fn blocking(status: Status) -> bool {
    !matches!(status, Status::Held) && status.occupies()
}

impl PgStore {
    /// The single path: book `booking` in its own transaction, retrying
    /// retryable SQLSTATEs, then re-reading the winners.
    pub(super) async fn book_direct(
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
        let plan = StatusPlan::new(id, Some(cur), expected_version, change, &self.policy)?;
        let new = &plan.booking;
        if plan.recheck {
            let ledger = ledger_for(&mut tx, &new.resources, new.start, new.end).await?;
            plan.check(&ledger)?;
        }
        let done = sqlx::query(
            "UPDATE bookings SET status = $1, hold_expires_s = $2, payload = $3::jsonb,
                 version = version + 1
             WHERE id = $4 AND version = $5",
        )
        .bind(new.status.as_str())
        .bind(new.hold_expires.map(Timestamp::unix))
        .bind(json(new)?)
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
        push_change(&mut tx, plan.kind, id, &plan.payload, now).await?;
        tx.commit().await?;
        Ok(plan.done())
    }

    async fn reschedule_once(
        &self,
        id: &str,
        expected_version: i64,
        new: &Booking,
        cancel: &TransitionRequest,
    ) -> Result<Rescheduled, Fail> {
        let now = cancel.now;
        ReschedulePlan::precheck(new)?;
        let mut tx = self.pool.begin().await?;
        let cur = lock_booking(&mut tx, id, expected_version, &new.resources).await?;
        let plan = ReschedulePlan::new(id, Some(cur), expected_version, cancel, &self.policy)?;
        if load(&mut tx, &new.id).await?.is_some() {
            return Err(id_used(&new.id).into());
        }
        // The core decides on a ledger of what overlaps the new time (the
        // plan adds the old booking, which it leaves out of the check).
        let mut ledger = ledger_for(&mut tx, &new.resources, new.start, new.end).await?;
        let (old, new) = plan.apply(&mut ledger, new.clone())?;
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
        push_change(
            &mut tx,
            kind::APPOINTMENT_CANCELLED,
            id,
            &plan.payload(&old),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(plan.done(old, new))
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
            check_free(&ledger, booking, now, &booking.id)
        };
        match reread.await {
            // No conflict now: the retries ran out on something else.
            Ok(()) => StoreError::Unavailable(format!("retries exhausted: {last}")),
            // The winners, or why the re-read failed.
            Err(e) => e,
        }
    }
}

/// PostgreSQL cannot store U+0000 (see `records.rs`): a status change's reason
/// carrying one is refused as `invalid_request` before anything is written,
/// not failed as a retryable database error.
pub(super) fn storable_reason(reason: Option<&str>) -> Result<(), StoreError> {
    if reason.is_some_and(unstorable) {
        return Err(nul_refused("reason"));
    }
    Ok(())
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
        request: &RescheduleRequest,
    ) -> Result<Rescheduled, StoreError> {
        let (actor, reason, now) = (request.actor, request.reason.as_str(), request.now);
        storable_reason(Some(reason))?;
        let cancel = ReschedulePlan::cancel_request(actor, reason, now);
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

    async fn bookings_on(
        &self,
        resource: &str,
        window: Interval,
        limit: usize,
    ) -> Result<Vec<Stored<Booking>>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT b.payload::text, b.version
             FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
             WHERE r.resource = $1 AND r.start_s < $2 AND r.end_s > $3
               AND r.start_s > $3 - COALESCE(
                   (SELECT max_len FROM resource_extent WHERE resource = $1), 0)
             ORDER BY r.start_s, b.id LIMIT $4",
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
