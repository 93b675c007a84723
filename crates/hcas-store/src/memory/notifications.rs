//! [`NotificationStore`] for [`MemoryStore`]: the queue in the one locked
//! state, in enqueue order (a notification's id is its place, from 1).

use async_trait::async_trait;

use crate::notifications::{after, check_page, cut_error, no_notification};
use crate::{
    NewNotification, Notification, NotificationReport, NotificationStatus, NotificationStore,
    StoreError,
};

use super::MemoryStore;

fn index(id: i64) -> Option<usize> {
    usize::try_from(id).ok()?.checked_sub(1)
}

#[async_trait]
impl NotificationStore for MemoryStore {
    async fn notification_enqueue(&self, items: &[NewNotification]) -> Result<u64, StoreError> {
        let mut s = self.state.lock().await;
        let mut added = 0;
        for n in items {
            let taken = s.notes.iter().any(|x| {
                x.event_id == n.event_id && x.channel == n.channel && x.recipient == n.recipient
            });
            if taken {
                continue;
            }
            let id = i64::try_from(s.notes.len()).unwrap_or(i64::MAX - 1) + 1;
            s.notes.push(Notification {
                id,
                event_id: n.event_id.clone(),
                event_type: n.event_type.clone(),
                channel: n.channel,
                recipient: n.recipient.clone(),
                appointment: n.appointment.clone(),
                seq: n.seq,
                payload: n.payload.clone(),
                status: NotificationStatus::Pending,
                attempts: 0,
                next_attempt_ms: n.due_ms,
                last_error: None,
                created_ms: n.created_ms,
                sent_ms: None,
            });
            added += 1;
        }
        Ok(added)
    }

    async fn notification_claim(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        check_page(limit)?;
        let mut s = self.state.lock().await;
        let pending: Vec<&Notification> = s
            .notes
            .iter()
            .filter(|n| n.status == NotificationStatus::Pending)
            .collect();
        let mut due: Vec<(i64, i64, usize)> = Vec::new();
        for (i, n) in s.notes.iter().enumerate() {
            let first = !pending.iter().any(|e| {
                e.appointment == n.appointment
                    && e.channel == n.channel
                    && e.recipient == n.recipient
                    && e.seq < n.seq
            });
            if n.status == NotificationStatus::Pending && n.next_attempt_ms <= now_ms && first {
                due.push((n.next_attempt_ms, n.id, i));
            }
        }
        due.sort_unstable();
        let mut claimed = Vec::new();
        for (_, _, i) in due.into_iter().take(limit) {
            let n = &mut s.notes[i];
            claimed.push(n.clone());
            n.next_attempt_ms = lease_until_ms;
        }
        claimed.sort_by_key(|n| (n.seq, n.id));
        Ok(claimed)
    }

    async fn notification_record(
        &self,
        id: i64,
        report: &NotificationReport,
    ) -> Result<Notification, StoreError> {
        let mut s = self.state.lock().await;
        let n = index(id)
            .and_then(|i| s.notes.get_mut(i))
            .ok_or_else(|| no_notification(id))?;
        if n.status != NotificationStatus::Pending {
            return Ok(n.clone());
        }
        let (status, next, sent) = after(report, n.next_attempt_ms, n.sent_ms);
        n.attempts += 1;
        n.status = status;
        n.next_attempt_ms = next;
        n.sent_ms = sent;
        n.last_error = cut_error(report.error.as_deref());
        Ok(n.clone())
    }

    async fn notification_get(&self, id: i64) -> Result<Notification, StoreError> {
        let s = self.state.lock().await;
        index(id)
            .and_then(|i| s.notes.get(i))
            .cloned()
            .ok_or_else(|| no_notification(id))
    }

    async fn notifications_of(
        &self,
        appointment: &str,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        check_page(limit)?;
        let s = self.state.lock().await;
        let mut list: Vec<Notification> = s
            .notes
            .iter()
            .filter(|n| n.appointment == appointment)
            .cloned()
            .collect();
        list.sort_by_key(|n| (n.seq, n.id));
        list.truncate(limit);
        Ok(list)
    }

    async fn notification_resend(&self, id: i64, now_ms: i64) -> Result<Notification, StoreError> {
        let mut s = self.state.lock().await;
        let n = index(id)
            .and_then(|i| s.notes.get_mut(i))
            .ok_or_else(|| no_notification(id))?;
        if n.status != NotificationStatus::Pending {
            n.status = NotificationStatus::Pending;
            n.attempts = 0;
        }
        n.next_attempt_ms = now_ms;
        Ok(n.clone())
    }

    async fn notification_withdraw(
        &self,
        appointment: &str,
        event_type: &str,
        reason: &str,
    ) -> Result<u64, StoreError> {
        let mut s = self.state.lock().await;
        let mut withdrawn = 0;
        for n in &mut s.notes {
            if n.appointment == appointment
                && n.event_type == event_type
                && n.status == NotificationStatus::Pending
            {
                n.status = NotificationStatus::Dead;
                n.last_error = cut_error(Some(reason));
                withdrawn += 1;
            }
        }
        Ok(withdrawn)
    }
}
