//! [`WebhookStore`] for [`SqliteStore`], on the tables of
//! `migrations/sqlite/20261203000002_webhooks.sql`. Writes that touch more
//! than one row run in one `BEGIN IMMEDIATE` transaction; the claim is one
//! `UPDATE ... RETURNING` (SQLite's write lock makes it atomic).

use async_trait::async_trait;

use crate::sql::{
    AttemptRow, DELIVERY_COLUMNS, DeliveryRow, SUBSCRIPTION_COLUMNS, SubscriptionRow,
    attempts_from_rows, db, delivery_from_row, json, limit_of, subscription_from_row,
};
use crate::webhooks::{after, check_page, no_delivery, no_subscription};
use crate::{
    Attempt, AttemptReport, Delivery, DeliveryStatus, NewDelivery, StoreError, Subscription,
    WebhookStore,
};

use super::SqliteStore;

impl SqliteStore {
    async fn check_subscription(&self, id: &str) -> Result<(), StoreError> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM webhook_subscriptions WHERE id = ?")
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        found.map(|_| ()).ok_or_else(|| no_subscription(id))
    }
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn webhook_create(&self, subscription: Subscription) -> Result<Subscription, StoreError> {
        subscription.validate()?;
        let done = sqlx::query(
            "INSERT INTO webhook_subscriptions (id, url, events, secret, active, created_s)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&subscription.id)
        .bind(&subscription.url)
        .bind(json(&subscription.events)?)
        .bind(&subscription.secret)
        .bind(subscription.active)
        .bind(subscription.created.unix())
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists {
                what: "webhook subscription",
                id: subscription.id,
            });
        }
        Ok(subscription)
    }

    async fn webhook_get(&self, id: &str) -> Result<Subscription, StoreError> {
        let row: Option<SubscriptionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        subscription_from_row(row.ok_or_else(|| no_subscription(id))?)
    }

    async fn webhook_list(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows: Vec<SubscriptionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY created_s, id"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.into_iter().map(subscription_from_row).collect()
    }

    async fn webhook_delete(&self, id: &str) -> Result<(), StoreError> {
        // The deliveries and their log go with it (ON DELETE CASCADE).
        let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE id = ?")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(no_subscription(id));
        }
        Ok(())
    }

    async fn webhook_enqueue(&self, deliveries: &[NewDelivery]) -> Result<u64, StoreError> {
        if deliveries.is_empty() {
            return Ok(0);
        }
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let mut added = 0;
        for n in deliveries {
            let done = sqlx::query(
                "INSERT INTO webhook_deliveries
                   (subscription_id, event_id, event_type, aggregate_id, seq, body,
                    next_attempt_ms, created_ms)
                 SELECT ?, ?, ?, ?, ?, ?, ?, ?
                 WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = ?)
                 ON CONFLICT (subscription_id, event_id) DO NOTHING",
            )
            .bind(&n.subscription)
            .bind(&n.event_id)
            .bind(&n.event_type)
            .bind(&n.aggregate)
            .bind(n.seq)
            .bind(&n.body)
            .bind(n.due_ms)
            .bind(n.due_ms)
            .bind(&n.subscription)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            added += done.rows_affected();
        }
        tx.commit().await.map_err(db)?;
        Ok(added)
    }

    async fn webhook_claim(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        check_page(limit)?;
        let rows: Vec<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_deliveries SET next_attempt_ms = ?
             WHERE id IN (
               SELECT d.id FROM webhook_deliveries d
               JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active = 1
               WHERE d.status = 'pending' AND d.next_attempt_ms <= ?
                 AND NOT EXISTS (
                   SELECT 1 FROM webhook_deliveries e
                   WHERE e.subscription_id = d.subscription_id
                     AND e.aggregate_id = d.aggregate_id
                     AND e.status = 'pending' AND e.seq < d.seq)
               ORDER BY d.next_attempt_ms, d.seq LIMIT ?)
             RETURNING {DELIVERY_COLUMNS}"
        )))
        .bind(lease_until_ms)
        .bind(now_ms)
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let mut claimed = rows
            .into_iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order; restore the claim's (earliest due first).
        claimed.sort_by_key(|d| d.seq);
        Ok(claimed)
    }

    async fn webhook_record(
        &self,
        subscription: &str,
        event_id: &str,
        report: &AttemptReport,
    ) -> Result<Delivery, StoreError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let row: Option<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, status, attempts, next_attempt_ms FROM webhook_deliveries
             WHERE subscription_id = ? AND event_id = ?",
        )
        .bind(subscription)
        .bind(event_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let (id, status, attempts, due) = row.ok_or_else(|| no_delivery(event_id))?;
        if status == DeliveryStatus::Pending.as_str() {
            let (status, next) = after(report, due);
            sqlx::query(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_ms = ?,
                   last_status = ?, last_error = ? WHERE id = ?",
            )
            .bind(status.as_str())
            .bind(attempts + 1)
            .bind(next)
            .bind(report.http_status.map(i64::from))
            .bind(&report.error)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempt, at_ms, http_status, error, status)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(attempts + 1)
            .bind(report.at_ms)
            .bind(report.http_status.map(i64::from))
            .bind(&report.error)
            .bind(status.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        let row: DeliveryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        delivery_from_row(row)
    }

    async fn webhook_deliveries(
        &self,
        subscription: &str,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        check_page(limit)?;
        self.check_subscription(subscription).await?;
        let rows: Vec<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
             WHERE subscription_id = ? AND (? IS NULL OR status = ?)
             ORDER BY created_ms DESC, seq DESC LIMIT ?"
        )))
        .bind(subscription)
        .bind(status.map(DeliveryStatus::as_str))
        .bind(status.map(DeliveryStatus::as_str))
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.into_iter().map(delivery_from_row).collect()
    }

    async fn webhook_delivery(
        &self,
        subscription: &str,
        event_id: &str,
    ) -> Result<(Delivery, Vec<Attempt>), StoreError> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let row: Option<(
            i64,
            String,
            String,
            String,
            String,
            i64,
            String,
            String,
            i64,
            i64,
            Option<i64>,
            Option<String>,
            i64,
        )> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, {DELIVERY_COLUMNS} FROM webhook_deliveries
                 WHERE subscription_id = ? AND event_id = ?"
        )))
        .bind(subscription)
        .bind(event_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let (id, s, e, t, g, seq, body, status, attempts, next, last, err, created) =
            row.ok_or_else(|| no_delivery(event_id))?;
        let rows: Vec<AttemptRow> = sqlx::query_as(
            "SELECT attempt, at_ms, http_status, error, status FROM webhook_attempts
             WHERE delivery_id = ? ORDER BY at_ms, rowid",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let delivery = delivery_from_row((
            s, e, t, g, seq, body, status, attempts, next, last, err, created,
        ))?;
        Ok((delivery, attempts_from_rows(rows)?))
    }

    async fn webhook_replay(&self, subscription: &str, now_ms: i64) -> Result<u64, StoreError> {
        self.check_subscription(subscription).await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_ms = ?
             WHERE subscription_id = ? AND status = 'dead'",
        )
        .bind(now_ms)
        .bind(subscription)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }
}
