//! [`AnchorStore`] for [`PgStore`]: the tz-drift sweep (a keyset query per
//! page, see [`crate::sweep`]) and re-anchoring under the booking's resource
//! locks (decided by [`crate::change`]), retried like a status change.

use async_trait::async_trait;
use hcas_core::Timestamp;
use hcas_core::anchor;
use hcas_core::booking::Booking;

use crate::change::{check_free, reanchor_plan};
use crate::sql::{db, json};
use crate::sweep::{SCAN_PAGE, drift_pages, occupying};
use crate::{AnchorStore, AppointmentStore, DriftPage, StoreError, Stored, SweepCursor};

use super::PgStore;
use super::locks::*;
use super::retry::*;
use super::rows::*;

/// One re-anchoring attempt under the booking's resource locks.
pub(super) async fn reanchor_once(
    store: &PgStore,
    id: &str,
    expected_version: i64,
    now: Timestamp,
) -> Result<Stored<Booking>, Fail> {
    let mut tx = store.pool().begin().await?;
    let cur = lock_booking(&mut tx, id, expected_version, &[]).await?;
    let Some(moved) = reanchor_plan(&cur.value, now)? else {
        return Ok(cur);
    };
    let ledger = ledger_for(&mut tx, &moved.resources, moved.start, moved.end).await?;
    check_free(&ledger, &moved, now, id)?;
    sqlx::query(
        "WITH b AS (
             UPDATE bookings SET start_s = $1, end_s = $2, payload = $3::jsonb,
                 version = version + 1
             WHERE id = $4 AND version = $5 RETURNING id)
         UPDATE booking_resources SET start_s = $1, end_s = $2
         WHERE booking_id IN (SELECT id FROM b)",
    )
    .bind(moved.start.unix())
    .bind(moved.end.unix())
    .bind(json(&moved)?)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await?;
    push_event(&mut tx, crate::kind::APPOINTMENT_REANCHORED, &moved, now).await?;
    tx.commit().await?;
    Ok(Stored {
        value: moved,
        version: expected_version + 1,
    })
}

#[async_trait]
impl AnchorStore for PgStore {
    async fn drifted(
        &self,
        now: Timestamp,
        after: Option<&SweepCursor>,
        limit: usize,
    ) -> Result<DriftPage, StoreError> {
        let statuses = occupying();
        drift_pages!(now, after, limit, |c_start, c_id| {
            sqlx::query_as(
                "SELECT id, start_s, end_s, status, hold_expires_s,
                        anchor_zone, anchor_start, anchor_end
                 FROM bookings
                 WHERE anchor_zone IS NOT NULL AND start_s > $1
                   AND (start_s, id COLLATE \"C\") > ($2, $3::text COLLATE \"C\")
                   AND status = ANY($4::text[])
                 ORDER BY start_s, id COLLATE \"C\" LIMIT $5",
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
        match retrying(|| reanchor_once(self, id, expected_version, now)).await {
            Ok(s) => Ok(s),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Retry(e)) => {
                let cur = self.get(id).await?;
                let moved = anchor::reanchored(&cur.value)?;
                Err(PgStore::current_conflict(self.pool(), &moved, now, e).await)
            }
        }
    }
}
