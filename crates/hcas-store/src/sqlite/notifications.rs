//! [`NotificationStore`] for [`SqliteStore`], on the table of
//! `migrations/sqlite/20261204001800_notifications.sql`. Enqueue runs in one
//! `BEGIN IMMEDIATE` transaction; the claim is one `UPDATE ... RETURNING`
//! (SQLite's write lock makes it atomic).

use async_trait::async_trait;

use crate::notifications::{after, check_page, cut_error, no_notification};
use crate::sql::{NOTIFICATION_COLUMNS, NotificationRow, db, limit_of, notification_from_row};
use crate::{
    NewNotification, Notification, NotificationReport, NotificationStatus, NotificationStore,
    StoreError, channel_str,
};

use super::SqliteStore;

impl SqliteStore {
    async fn notification_row(&self, id: i64) -> Result<Notification, StoreError> {
        let row: Option<NotificationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        notification_from_row(row.ok_or_else(|| no_notification(id))?)
    }
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn notification_enqueue(&self, items: &[NewNotification]) -> Result<u64, StoreError> {
        if items.is_empty() {
            return Ok(0);
        }
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let mut added = 0;
        for n in items {
            let done = sqlx::query(
                "INSERT INTO notifications
                   (event_id, event_type, channel, recipient, appointment_id, seq, payload,
                    next_attempt_ms, created_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (event_id, channel, recipient) DO NOTHING",
            )
            .bind(&n.event_id)
            .bind(&n.event_type)
            .bind(channel_str(n.channel))
            .bind(&n.recipient)
            .bind(&n.appointment)
            .bind(n.seq)
            .bind(&n.payload)
            .bind(n.due_ms)
            .bind(n.created_ms)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            added += done.rows_affected();
        }
        tx.commit().await.map_err(db)?;
        Ok(added)
    }

    async fn notification_claim(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        check_page(limit)?;
        let rows: Vec<NotificationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE notifications SET next_attempt_ms = ?
             WHERE id IN (
               SELECT n.id FROM notifications n
               WHERE n.status = 'pending' AND n.next_attempt_ms <= ?
                 AND NOT EXISTS (
                   SELECT 1 FROM notifications e
                   WHERE e.appointment_id = n.appointment_id
                     AND e.channel = n.channel AND e.recipient = n.recipient
                     AND e.status = 'pending' AND e.seq < n.seq)
               ORDER BY n.next_attempt_ms, n.id LIMIT ?)
             RETURNING {NOTIFICATION_COLUMNS}"
        )))
        .bind(lease_until_ms)
        .bind(now_ms)
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let mut claimed = rows
            .into_iter()
            .map(notification_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order.
        claimed.sort_by_key(|n| (n.seq, n.id));
        Ok(claimed)
    }

    async fn notification_record(
        &self,
        id: i64,
        report: &NotificationReport,
    ) -> Result<Notification, StoreError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let row: Option<NotificationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let mut n = notification_from_row(row.ok_or_else(|| no_notification(id))?)?;
        if n.status == NotificationStatus::Pending {
            let (status, next, sent) = after(report, n.next_attempt_ms, n.sent_ms);
            n.attempts += 1;
            n.status = status;
            n.next_attempt_ms = next;
            n.sent_ms = sent;
            n.last_error = cut_error(report.error.as_deref());
            sqlx::query(
                "UPDATE notifications SET status = ?, attempts = ?, next_attempt_ms = ?,
                   last_error = ?, sent_ms = ? WHERE id = ?",
            )
            .bind(status.as_str())
            .bind(i64::from(n.attempts))
            .bind(next)
            .bind(&n.last_error)
            .bind(sent)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    async fn notification_get(&self, id: i64) -> Result<Notification, StoreError> {
        self.notification_row(id).await
    }

    async fn notifications_of(
        &self,
        appointment: &str,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        check_page(limit)?;
        let rows: Vec<NotificationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE appointment_id = ?
             ORDER BY seq, id LIMIT ?"
        )))
        .bind(appointment)
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.into_iter().map(notification_from_row).collect()
    }

    async fn notification_resend(&self, id: i64, now_ms: i64) -> Result<Notification, StoreError> {
        let done = sqlx::query(
            "UPDATE notifications SET
               attempts = CASE WHEN status = 'pending' THEN attempts ELSE 0 END,
               status = 'pending', next_attempt_ms = ?
             WHERE id = ?",
        )
        .bind(now_ms)
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(no_notification(id));
        }
        self.notification_row(id).await
    }

    async fn notification_withdraw(
        &self,
        appointment: &str,
        event_type: &str,
        reason: &str,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE notifications SET status = 'dead', last_error = ?
             WHERE appointment_id = ? AND event_type = ? AND status = 'pending'",
        )
        .bind(cut_error(Some(reason)))
        .bind(appointment)
        .bind(event_type)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }
}
