//! [`HistoryStore`] for [`SqliteStore`]: a booking's changes, read back from
//! its `appointment.*` outbox events.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::change::history_from_events;
use crate::records::StatusChange;
use crate::sql::{corrupt, db, decode};
use crate::{HistoryStore, StoreError};

use super::SqliteStore;

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn history(&self, booking_id: &str) -> Result<Vec<StatusChange>, StoreError> {
        let mut conn = self.pool().acquire().await.map_err(db)?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM bookings WHERE id = ?")
            .bind(booking_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "booking",
                id: booking_id.to_string(),
            });
        }
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, payload, created_s FROM outbox
             WHERE aggregate_id = ? AND kind LIKE 'appointment.%' ORDER BY id",
        )
        .bind(booking_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        let events = rows
            .into_iter()
            .map(|(k, p, c)| {
                let at = Timestamp::from_unix(c).map_err(|e| corrupt("outbox event time", e))?;
                Ok((k, decode::<serde_json::Value>("outbox event", &p)?, at))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        history_from_events(events.iter().map(|(k, p, at)| (k.as_str(), p, *at)))
    }
}
