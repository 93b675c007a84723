//! [`FeedTokenStore`] for [`SqliteStore`], on the table of
//! `migrations/sqlite/20261203000003_feed_tokens.sql`.

use async_trait::async_trait;
use hcas_core::Timestamp;

use crate::feeds::{feed_taken, no_feed};
use crate::sql::{FEED_COLUMNS, FeedRow, db, feed_from_row, json};
use crate::{FeedToken, FeedTokenStore, StoreError};

use super::SqliteStore;

#[async_trait]
impl FeedTokenStore for SqliteStore {
    async fn feed_create(&self, feed: FeedToken) -> Result<FeedToken, StoreError> {
        feed.validate()?;
        let done = sqlx::query(
            "INSERT INTO feed_tokens
               (id, token_hash, subject, creator, creator_roles, created_s, revoked_s)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&feed.id)
        .bind(&feed.token_hash)
        .bind(&feed.subject)
        .bind(&feed.creator)
        .bind(json(&feed.creator_roles)?)
        .bind(feed.created.unix())
        .bind(feed.revoked.map(Timestamp::unix))
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(feed_taken(&feed.id));
        }
        Ok(feed)
    }

    async fn feed_get(&self, id: &str) -> Result<FeedToken, StoreError> {
        let row: Option<FeedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feed_tokens WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        feed_from_row(row.ok_or_else(|| no_feed(id))?)
    }

    async fn feed_list(&self, subject: Option<&str>) -> Result<Vec<FeedToken>, StoreError> {
        let rows: Vec<FeedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feed_tokens WHERE (?1 IS NULL OR subject = ?1)
             ORDER BY created_s, id"
        )))
        .bind(subject)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.into_iter().map(feed_from_row).collect()
    }

    async fn feed_revoke(&self, id: &str, at: Timestamp) -> Result<FeedToken, StoreError> {
        let row: Option<FeedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE feed_tokens SET revoked_s = COALESCE(revoked_s, ?) WHERE id = ?
             RETURNING {FEED_COLUMNS}"
        )))
        .bind(at.unix())
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        feed_from_row(row.ok_or_else(|| no_feed(id))?)
    }

    async fn feed_find(&self, token_hash: &str) -> Result<FeedToken, StoreError> {
        let row: Option<FeedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLUMNS} FROM feed_tokens
             WHERE token_hash = ? AND revoked_s IS NULL"
        )))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        feed_from_row(row.ok_or_else(|| no_feed("token"))?)
    }
}
