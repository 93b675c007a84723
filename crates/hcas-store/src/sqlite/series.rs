//! [`SeriesStore`] for [`SqliteStore`]: the core books, shifts and cancels
//! a series on a ledger read under the write lock; every change is written
//! with its event in the same transaction.

use async_trait::async_trait;
use hcas_core::Timestamp;
use hcas_core::booking::{Booking, Ledger};
use hcas_core::series::{
    CancelResult, EditResult, SeriesCancel, SeriesEdit, SeriesPolicy, SeriesResult, SeriesSpec,
    cancel_occurrences, shift_occurrences,
};
use sqlx::SqliteConnection;

use crate::change::{booked_occurrences, shift_window, with_series};
use crate::sql::{corrupt, db, decode, json, stored_rows};
use crate::{SeriesStore, StoreError, Stored, kind};

use super::SqliteStore;
use super::rows::*;

#[async_trait]
impl SeriesStore for SqliteStore {
    async fn book_series(
        &self,
        spec: &SeriesSpec,
        policy: SeriesPolicy,
        now: Timestamp,
    ) -> Result<SeriesResult, StoreError> {
        let occurrences = spec.occurrences()?;
        let (Some(first), Some(last)) = (occurrences.first(), occurrences.last()) else {
            return Ok(spec.book(
                &mut Ledger::new(),
                hcas_core::series::SeriesBookOptions::at(now).policy(policy),
            )?);
        };
        let span_end = occurrences.iter().map(|o| o.2).max().unwrap_or(last.2);
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        // Every booking on the series' resources over its whole span, and
        // any booking already holding one of the occurrence ids: the core
        // decides conflicts and reused ids from these.
        let mut ledger = ledger_for(&mut tx, &spec.resources, first.1, span_end).await?;
        let ids: Vec<String> = occurrences
            .iter()
            .map(|o| spec.occurrence_id(o.0))
            .collect();
        let taken: Vec<(String,)> = sqlx::query_as(
            "SELECT payload FROM bookings WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(json(&ids)?)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for (payload,) in taken {
            let b: Booking = decode("booking", &payload)?;
            if ledger.get(&b.id).is_none() {
                ledger.insert(b).map_err(|e| corrupt("booking", e))?;
            }
        }
        let result = spec.book(
            &mut ledger,
            hcas_core::series::SeriesBookOptions::at(now).policy(policy),
        )?;
        let made = booked_occurrences(&ledger, &result.occurrences)?;
        for b in made {
            insert_booking(&mut tx, b).await?;
            push_event(&mut tx, kind::APPOINTMENT_CREATED, b, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(result)
    }

    async fn series_bookings(&self, series_id: &str) -> Result<Vec<Stored<Booking>>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT payload, version FROM bookings
             WHERE json_extract(payload, '$.series.id') = ? ORDER BY start_s, id",
        )
        .bind(series_id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        stored_rows("booking", rows)
    }

    async fn shift_series(
        &self,
        edit: &SeriesEdit,
        now: Timestamp,
    ) -> Result<EditResult, StoreError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let series = series_rows(&mut tx, &edit.series_id).await?;
        // Where the moves go (the core's plan), so the ledger holds what
        // overlaps the new times on the moved occurrences' resources.
        let mut ledger = match shift_window(&series, edit, now)? {
            Some((resources, start, end)) => ledger_for(&mut tx, &resources, start, end).await?,
            None => Ledger::new(),
        };
        with_series(&mut ledger, &series)?;
        // The core decides and moves all or none on the ledger.
        let result = shift_occurrences(&mut ledger, edit, now)?;
        if !result.applied || result.occurrences.iter().all(|o| !o.booked) {
            return Ok(result);
        }
        let moved = booked_occurrences(&ledger, &result.occurrences)?;
        for b in moved {
            sqlx::query(
                "UPDATE bookings SET start_s = ?, end_s = ?, payload = ?, version = version + 1
                 WHERE id = ?",
            )
            .bind(b.start.unix())
            .bind(b.end.unix())
            .bind(json(b)?)
            .bind(&b.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            // Resource rows out and in again: the insert trigger keeps
            // `resource_extent` right for a longer occurrence.
            sqlx::query("DELETE FROM booking_resources WHERE booking_id = ?")
                .bind(&b.id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            insert_resource_rows(&mut tx, b).await?;
            push_event(&mut tx, kind::APPOINTMENT_UPDATED, b, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(result)
    }

    async fn cancel_series(
        &self,
        cancel: &SeriesCancel,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<CancelResult, StoreError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let all = series_rows(&mut tx, &cancel.series_id).await?;
        crate::appointments::check_series_version(&cancel.series_id, &all, expected)?;
        let mut ledger = Ledger::new();
        for s in all {
            ledger.insert(s.value).map_err(|e| corrupt("booking", e))?;
        }
        // The core decides through the lifecycle; a cancellation frees time,
        // so nothing else needs checking.
        let result = cancel_occurrences(&mut ledger, cancel, now)?;
        if result.cancelled.is_empty() {
            return Ok(result);
        }
        for c in &result.cancelled {
            let b = ledger
                .get(&c.id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", c.id)))?;
            sqlx::query(
                "UPDATE bookings SET status = ?, hold_expires_s = NULL, payload = ?,
                     version = version + 1
                 WHERE id = ?",
            )
            .bind(b.status.as_str())
            .bind(json(b)?)
            .bind(&b.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            let payload = crate::change::series_cancel_payload(b, c, cancel);
            push_change(&mut tx, kind::APPOINTMENT_CANCELLED, &b.id, &payload, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(result)
    }
}

/// Every booking of a series (any status), with versions, by start: read
/// inside the caller's write transaction.
pub(super) async fn series_rows(
    conn: &mut SqliteConnection,
    series_id: &str,
) -> Result<Vec<Stored<Booking>>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload, version FROM bookings
         WHERE json_extract(payload, '$.series.id') = ? ORDER BY start_s, id",
    )
    .bind(series_id)
    .fetch_all(conn)
    .await
    .map_err(db)?;
    stored_rows("booking", rows)
}
