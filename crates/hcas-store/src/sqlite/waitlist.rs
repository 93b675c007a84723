//! [`WaitlistStore`] for [`SqliteStore`].

use async_trait::async_trait;
use hcas_core::Timestamp;
use hcas_core::waitlist::WaitEntry;

use crate::records::check_id;
use crate::sql::{db, decode, json};
use crate::{StoreError, WaitlistStore};

use super::SqliteStore;

#[async_trait]
impl WaitlistStore for SqliteStore {
    async fn waitlist_add(&self, entry: WaitEntry) -> Result<WaitEntry, StoreError> {
        entry.validate()?;
        check_id("waitlist entry.id", &entry.id)?;
        let done = sqlx::query(
            "INSERT INTO waitlist (id, provider, created_s, window_end_s, payload)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&entry.id)
        .bind(&entry.provider)
        .bind(entry.created.unix())
        .bind(entry.window.end().unix())
        .bind(json(&entry)?)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists {
                what: "waitlist entry",
                id: entry.id,
            });
        }
        Ok(entry)
    }

    async fn waitlist_remove(&self, id: &str) -> Result<WaitEntry, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("DELETE FROM waitlist WHERE id = ? RETURNING payload")
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        let (payload,) = row.ok_or_else(|| StoreError::NotFound {
            what: "waitlist entry",
            id: id.to_string(),
        })?;
        decode("waitlist entry", &payload)
    }

    async fn waitlist(&self, provider: &str, now: Timestamp) -> Result<Vec<WaitEntry>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT payload FROM waitlist WHERE provider = ? AND window_end_s > ?
             ORDER BY created_s, id",
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
