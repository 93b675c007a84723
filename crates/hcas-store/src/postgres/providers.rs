//! [`ProviderStore`] for [`PgStore`]: profiles and schedules (through the
//! shared row writer of [`super::records`]), and availability, which loads the
//! providers, their schedules and the bookings on their `provider:<id>`
//! resources that overlap the window in one query for all providers; the
//! core decides which bookings block.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use hcas_core::{Interval, Timestamp};

use crate::records::{Provider, ProviderAvailability, Schedule, resource_of};
use crate::sql::{busy_from_columns, corrupt, db, decode, stored_rows};
use crate::{ProviderStore, StoreError, Stored};

use super::PgStore;
use super::records::*;

/// What the availability query returns: tag (`p` provider, `s` schedule,
/// `b` booking), name (provider id or resource), payload, version.
pub(super) type AvailabilityRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Providers that exist, their schedules, and every booking (any status)
/// overlapping `[$4, $3)` on their resources `$2`: one query, the booking
/// part on the `(resource, start_s)` index.
pub(super) const AVAILABILITY_SQL: &str =
    "SELECT 'p'::text, p.id, NULL::text, NULL::bigint, NULL::bigint,
         NULL::bigint
     FROM providers p WHERE p.id = ANY($1::text[])
     UNION ALL
     SELECT 's', s.provider_id, s.payload::text, s.version, NULL, NULL
     FROM schedules s WHERE s.provider_id = ANY($1::text[])
     UNION ALL
     SELECT 'b', r.resource, b.status, r.start_s, r.end_s, b.hold_expires_s
     FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
     WHERE r.resource = ANY($2::text[]) AND r.start_s < $3 AND r.end_s > $4
       AND r.start_s > $4 - (SELECT COALESCE(max(max_len), 0) FROM resource_extent
                             WHERE resource = ANY($2::text[]))";

#[async_trait]
impl ProviderStore for PgStore {
    async fn put_provider(
        &self,
        provider: Provider,
        expected_version: Option<i64>,
    ) -> Result<Stored<Provider>, StoreError> {
        provider.validate()?;
        let version = put_row(
            self.pool(),
            &PROVIDERS,
            &provider.id,
            &provider,
            &[],
            expected_version,
            Timestamp::EPOCH,
        )
        .await?;
        Ok(Stored {
            value: provider,
            version,
        })
    }

    async fn get_provider(&self, id: &str) -> Result<Stored<Provider>, StoreError> {
        get_row(
            self.pool(),
            "SELECT payload::text, version FROM providers WHERE id = $1",
            "provider",
            id,
        )
        .await
    }

    async fn providers(&self) -> Result<Vec<Stored<Provider>>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT payload::text, version FROM providers ORDER BY id COLLATE \"C\"",
        )
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
        let version = put_row(
            self.pool(),
            &SCHEDULES,
            &schedule.provider_id,
            &schedule,
            &[],
            expected_version,
            now,
        )
        .await?;
        Ok(Stored {
            value: schedule,
            version,
        })
    }

    async fn get_schedule(&self, provider_id: &str) -> Result<Stored<Schedule>, StoreError> {
        get_row(
            self.pool(),
            "SELECT payload::text, version FROM schedules WHERE provider_id = $1",
            "schedule",
            provider_id,
        )
        .await
    }

    async fn availability(
        &self,
        provider_ids: &[String],
        busy_window: Interval,
        now: Timestamp,
    ) -> Result<Vec<ProviderAvailability>, StoreError> {
        crate::records::check_provider_list(provider_ids)?;
        let resources: Vec<String> = provider_ids.iter().map(|id| resource_of(id)).collect();
        let rows: Vec<AvailabilityRow> = sqlx::query_as(AVAILABILITY_SQL)
            .bind(provider_ids)
            .bind(&resources)
            .bind(busy_window.end().unix())
            .bind(busy_window.start().unix())
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let mut exists: HashSet<String> = HashSet::new();
        let mut schedules: HashMap<String, Stored<Schedule>> = HashMap::new();
        let mut busy: HashMap<String, Vec<Interval>> = HashMap::new();
        for (tag, name, text, n1, n2, n3) in rows {
            match (tag.as_str(), text, n1, n2) {
                ("p", ..) => {
                    exists.insert(name);
                }
                ("s", Some(text), Some(version), _) => {
                    let value = decode("schedule", &text)?;
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
        // In the order asked; the first error wins, as in the memory adapter.
        provider_ids
            .iter()
            .zip(&resources)
            .map(|(id, resource)| {
                if !exists.contains(id.as_str()) {
                    return Err(StoreError::NotFound {
                        what: "provider",
                        id: id.clone(),
                    });
                }
                let busy = busy.get(resource).cloned().unwrap_or_default();
                crate::records::provider_availability(id, schedules.get(id), busy)
            })
            .collect()
    }
}
