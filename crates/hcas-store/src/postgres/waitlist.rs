//! [`WaitlistStore`] for [`PgStore`].

use async_trait::async_trait;
use hcas_core::Timestamp;
use hcas_core::waitlist::WaitEntry;

use crate::sql::{db, decode};
use crate::{StoreError, WaitlistStore};

use super::PgStore;
use super::records::*;

#[async_trait]
impl WaitlistStore for PgStore {
    async fn waitlist_add(&self, entry: WaitEntry) -> Result<WaitEntry, StoreError> {
        entry.validate()?;
        crate::records::check_id("waitlist entry.id", &entry.id)?;
        let text = payload(&entry, "waitlist entry")?;
        let done = sqlx::query(
            "INSERT INTO waitlist (id, provider, created_s, window_end_s, payload)
             VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&entry.id)
        .bind(&entry.provider)
        .bind(entry.created.unix())
        .bind(entry.window.end().unix())
        .bind(text)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::AlreadyExists {
                what: "waitlist entry",
                id: entry.id,
            });
        }
        Ok(entry)
    }

    async fn waitlist_remove(&self, id: &str) -> Result<WaitEntry, StoreError> {
        let not_found = || StoreError::NotFound {
            what: "waitlist entry",
            id: id.to_string(),
        };
        if unstorable(id) {
            return Err(not_found());
        }
        let row: Option<(String,)> =
            sqlx::query_as("DELETE FROM waitlist WHERE id = $1 RETURNING payload::text")
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        let (p,) = row.ok_or_else(not_found)?;
        decode("waitlist entry", &p)
    }

    async fn waitlist(&self, provider: &str, now: Timestamp) -> Result<Vec<WaitEntry>, StoreError> {
        if unstorable(provider) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT payload::text FROM waitlist
             WHERE provider = $1 AND window_end_s > $2
             ORDER BY created_s, id COLLATE \"C\"",
        )
        .bind(provider)
        .bind(now.unix())
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|(p,)| decode("waitlist entry", p))
            .collect()
    }
}
