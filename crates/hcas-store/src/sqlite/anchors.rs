//! [`AnchorStore`] for [`SqliteStore`]: the tz-drift sweep (a keyset query
//! per page, see [`crate::sweep`]) and re-anchoring under the write lock
//! (decided by [`crate::change`]).

use async_trait::async_trait;
use hcas_core::Timestamp;
use hcas_core::booking::Booking;

use crate::change::{at_version, check_free, reanchor_plan};
use crate::sql::{db, json};
use crate::sweep::{SCAN_PAGE, drift_pages, occupying};
use crate::{AnchorStore, DriftPage, StoreError, Stored, SweepCursor};

use super::SqliteStore;
use super::rows::*;

#[async_trait]
impl AnchorStore for SqliteStore {
    async fn drifted(
        &self,
        now: Timestamp,
        after: Option<&SweepCursor>,
        limit: usize,
    ) -> Result<DriftPage, StoreError> {
        let statuses = json(&occupying())?;
        drift_pages!(now, after, limit, |c_start, c_id| {
            sqlx::query_as(
                "SELECT id, start_s, end_s, status, hold_expires_s,
                        anchor_zone, anchor_start, anchor_end
                 FROM bookings
                 WHERE anchor_zone IS NOT NULL AND start_s > ?1
                   AND (start_s > ?2 OR (start_s = ?2 AND id > ?3))
                   AND status IN (SELECT value FROM json_each(?4))
                 ORDER BY start_s, id LIMIT ?5",
            )
            .bind(now.unix())
            .bind(c_start)
            .bind(&c_id)
            .bind(&statuses)
            .bind(SCAN_PAGE)
            .fetch_all(self.pool())
            .await
            .map_err(db)?
        })
    }

    async fn reanchor(
        &self,
        id: &str,
        expected_version: i64,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let cur = at_version(id, load(&mut tx, id).await?, expected_version)?;
        let Some(moved) = reanchor_plan(&cur.value, now)? else {
            return Ok(cur);
        };
        let ledger = ledger_for(&mut tx, &moved.resources, moved.start, moved.end).await?;
        check_free(&ledger, &moved, now, id)?;
        sqlx::query(
            "UPDATE bookings SET start_s = ?1, end_s = ?2, payload = ?3, version = version + 1
             WHERE id = ?4 AND version = ?5",
        )
        .bind(moved.start.unix())
        .bind(moved.end.unix())
        .bind(json(&moved)?)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE booking_resources SET start_s = ?1, end_s = ?2 WHERE booking_id = ?3")
            .bind(moved.start.unix())
            .bind(moved.end.unix())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        push_event(&mut tx, crate::kind::APPOINTMENT_REANCHORED, &moved, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: moved,
            version: expected_version + 1,
        })
    }
}
