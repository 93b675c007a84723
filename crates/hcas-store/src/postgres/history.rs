//! [`HistoryStore`] for [`PgStore`]: a booking's changes, read back from its
//! `appointment.*` outbox events.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::records::StatusChange;
use crate::sql::{corrupt, db, decode};
use crate::{HistoryStore, StoreError};

use super::PgStore;
use super::records::*;

#[async_trait]
impl HistoryStore for PgStore {
    async fn history(&self, booking_id: &str) -> Result<Vec<StatusChange>, StoreError> {
        let not_found = || StoreError::NotFound {
            what: "booking",
            id: booking_id.to_string(),
        };
        if unstorable(booking_id) {
            return Err(not_found());
        }
        // The events, and whether the booking exists, in one query.
        // (missing, kind, payload, created, event id): the "missing" row first.
        type HistoryRow = (
            bool,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT true, NULL::text, NULL::text, NULL::bigint, NULL::bigint
             WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE id = $1)
             UNION ALL
             SELECT false, o.kind, o.payload::text, o.created_s, o.id FROM outbox o
             WHERE o.aggregate_id = $1 AND o.kind LIKE 'appointment.%'
             ORDER BY 1 DESC, 5",
        )
        .bind(booking_id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        if rows.first().is_some_and(|r| r.0) {
            return Err(not_found());
        }
        let mut events = Vec::with_capacity(rows.len());
        for (_, k, p, created, _) in rows {
            let (Some(k), Some(p), Some(created)) = (k, p, created) else {
                return Err(corrupt("outbox event", "a NULL column"));
            };
            let value: serde_json::Value = decode("outbox event", &p)?;
            events.push((
                k,
                value,
                Timestamp::from_unix(created).map_err(|e| corrupt("outbox event time", e))?,
            ));
        }
        crate::change::history_from_events(events.iter().map(|(k, p, at)| (k.as_str(), p, *at)))
    }
}
