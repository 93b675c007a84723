//! [`ProviderStore`] for [`SqliteStore`]: profiles, schedules, and
//! availability, which loads every provider's profile, schedule and
//! overlapping bookings in one statement.

use async_trait::async_trait;
use hcas_core::{Interval, Timestamp};

use crate::records::{
    Provider, ProviderAvailability, Schedule, check_provider_list, provider_availability,
    resource_of,
};
use crate::sql::{busy_from_columns, corrupt, db, decode, json, stored_rows};
use crate::{ProviderStore, StoreError, Stored, kind};

use super::SqliteStore;
use super::records::*;

/// `availability`'s one statement: which providers exist (tag `p`), their
/// schedules (`s`), and the bookings on their resources overlapping the
/// window (`b`), through the `(resource, start_s)` index. `?1`: provider ids
/// (JSON array), `?2`: their resources (JSON array), `?3`/`?4`: window end/start.
#[doc(hidden)]
pub const AVAILABILITY_SQL: &str = "SELECT 'p', p.id, NULL, NULL, NULL, NULL FROM providers p
     WHERE p.id IN (SELECT value FROM json_each(?1))
     UNION ALL
     SELECT 's', s.provider_id, s.payload, s.version, NULL, NULL FROM schedules s
     WHERE s.provider_id IN (SELECT value FROM json_each(?1))
     UNION ALL
     SELECT 'b', r.resource, b.status, r.start_s, r.end_s, b.hold_expires_s
     FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
     WHERE r.resource IN (SELECT value FROM json_each(?2))
       AND r.start_s < ?3 AND r.end_s > ?4
       AND r.start_s > ?4 - (SELECT COALESCE(MAX(max_len), 0) FROM resource_extent
                             WHERE resource IN (SELECT value FROM json_each(?2)))";

/// A row of [`AVAILABILITY_SQL`]: tag, name, text (payload or status), numbers.
pub(super) type AvailabilityRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

#[async_trait]
impl ProviderStore for SqliteStore {
    async fn put_provider(
        &self,
        provider: Provider,
        expected_version: Option<i64>,
    ) -> Result<Stored<Provider>, StoreError> {
        provider.validate()?;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let version = put_row(
            &mut tx,
            &PROVIDERS,
            &provider.id,
            &provider,
            &[],
            expected_version,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: provider,
            version,
        })
    }

    async fn get_provider(&self, id: &str) -> Result<Stored<Provider>, StoreError> {
        get_row(self, &PROVIDERS, id).await
    }

    async fn providers(&self) -> Result<Vec<Stored<Provider>>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT payload, version FROM providers ORDER BY id")
                .fetch_all(self.pool())
                .await
                .map_err(db)?;
        stored_rows("provider", rows)
    }

    async fn put_schedule(
        &self,
        schedule: Schedule,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Schedule>, StoreError> {
        schedule.validate()?;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let provider: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM providers WHERE id = ?")
            .bind(&schedule.provider_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if provider.is_none() {
            return Err(StoreError::NotFound {
                what: "provider",
                id: schedule.provider_id,
            });
        }
        let id = schedule.provider_id.clone();
        let version = put_row(&mut tx, &SCHEDULES, &id, &schedule, &[], expected_version).await?;
        outbox_event(&mut tx, kind::SCHEDULE_CHANGED, &id, &schedule, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: schedule,
            version,
        })
    }

    async fn get_schedule(&self, provider_id: &str) -> Result<Stored<Schedule>, StoreError> {
        get_row(self, &SCHEDULES, provider_id).await
    }

    async fn availability(
        &self,
        provider_ids: &[String],
        busy_window: Interval,
        now: Timestamp,
    ) -> Result<Vec<ProviderAvailability>, StoreError> {
        check_provider_list(provider_ids)?;
        let ids = json(&provider_ids)?;
        let resources: Vec<String> = provider_ids.iter().map(|id| resource_of(id)).collect();
        let rows: Vec<AvailabilityRow> = sqlx::query_as(AVAILABILITY_SQL)
            .bind(&ids)
            .bind(json(&resources)?)
            .bind(busy_window.end().unix())
            .bind(busy_window.start().unix())
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let mut exists = std::collections::HashSet::new();
        let mut schedules = std::collections::HashMap::new();
        let mut busy: std::collections::HashMap<String, Vec<Interval>> =
            std::collections::HashMap::new();
        for (tag, name, text, n1, n2, n3) in rows {
            match (tag.as_str(), text, n1, n2) {
                ("p", ..) => {
                    exists.insert(name);
                }
                ("s", Some(payload), Some(version), _) => {
                    let value: Schedule = decode("schedule", &payload)?;
                    schedules.insert(name, Stored { value, version });
                }
                // Bookings come as columns (status, start, end, hold expiry):
                // whether one blocks is the core's rule; no JSON to decode.
                ("b", Some(status), Some(start), Some(end)) => {
                    if let Some(iv) = busy_from_columns(&status, start, end, n3, now)? {
                        busy.entry(name).or_default().push(iv);
                    }
                }
                (tag, ..) => return Err(corrupt("row", format!("unexpected {tag} row"))),
            }
        }
        let mut out = Vec::with_capacity(provider_ids.len());
        for (id, resource) in provider_ids.iter().zip(&resources) {
            if !exists.contains(id) {
                return Err(StoreError::NotFound {
                    what: "provider",
                    id: id.clone(),
                });
            }
            let b = busy.get(resource).cloned().unwrap_or_default();
            out.push(provider_availability(id, schedules.get(id), b)?);
        }
        Ok(out)
    }
}
