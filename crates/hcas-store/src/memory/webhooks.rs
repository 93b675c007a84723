//! [`WebhookStore`] for [`MemoryStore`]: subscriptions and deliveries (each
//! with its attempts) in the one locked state.

use async_trait::async_trait;

use crate::webhooks::{after, check_page, no_delivery, no_subscription};
use crate::{
    Attempt, AttemptReport, Delivery, DeliveryStatus, NewDelivery, StoreError, Subscription,
    WebhookStore,
};

use super::MemoryStore;

/// The webhook tables.
#[derive(Debug, Default)]
pub(super) struct Hooks {
    subscriptions: Vec<Subscription>,
    /// In enqueue order, each with its log.
    deliveries: Vec<(Delivery, Vec<Attempt>)>,
}

impl Hooks {
    fn find(
        &mut self,
        subscription: &str,
        event_id: &str,
    ) -> Option<&mut (Delivery, Vec<Attempt>)> {
        self.deliveries
            .iter_mut()
            .find(|(d, _)| d.subscription == subscription && d.event_id == event_id)
    }

    fn has(&self, subscription: &str) -> bool {
        self.subscriptions.iter().any(|s| s.id == subscription)
    }
}

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn webhook_create(&self, subscription: Subscription) -> Result<Subscription, StoreError> {
        subscription.validate()?;
        let mut s = self.state.lock().await;
        if s.hooks.has(&subscription.id) {
            return Err(StoreError::AlreadyExists {
                what: "webhook subscription",
                id: subscription.id,
            });
        }
        s.hooks.subscriptions.push(subscription.clone());
        Ok(subscription)
    }

    async fn webhook_get(&self, id: &str) -> Result<Subscription, StoreError> {
        let s = self.state.lock().await;
        s.hooks
            .subscriptions
            .iter()
            .find(|x| x.id == id)
            .cloned()
            .ok_or_else(|| no_subscription(id))
    }

    async fn webhook_list(&self) -> Result<Vec<Subscription>, StoreError> {
        let s = self.state.lock().await;
        let mut all = s.hooks.subscriptions.clone();
        all.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(all)
    }

    async fn webhook_delete(&self, id: &str) -> Result<(), StoreError> {
        let mut s = self.state.lock().await;
        if !s.hooks.has(id) {
            return Err(no_subscription(id));
        }
        s.hooks.subscriptions.retain(|x| x.id != id);
        s.hooks.deliveries.retain(|(d, _)| d.subscription != id);
        Ok(())
    }

    async fn webhook_enqueue(&self, deliveries: &[NewDelivery]) -> Result<u64, StoreError> {
        let mut s = self.state.lock().await;
        let mut added = 0;
        for n in deliveries {
            if !s.hooks.has(&n.subscription) || s.hooks.find(&n.subscription, &n.event_id).is_some()
            {
                continue;
            }
            s.hooks.deliveries.push((
                Delivery {
                    subscription: n.subscription.clone(),
                    event_id: n.event_id.clone(),
                    event_type: n.event_type.clone(),
                    aggregate: n.aggregate.clone(),
                    seq: n.seq,
                    body: n.body.clone(),
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    next_attempt_ms: n.due_ms,
                    last_status: None,
                    last_error: None,
                    created_ms: n.due_ms,
                },
                Vec::new(),
            ));
            added += 1;
        }
        Ok(added)
    }

    async fn webhook_claim(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        check_page(limit)?;
        let mut s = self.state.lock().await;
        let active: Vec<String> = s
            .hooks
            .subscriptions
            .iter()
            .filter(|x| x.active)
            .map(|x| x.id.clone())
            .collect();
        let pending: Vec<&Delivery> = s
            .hooks
            .deliveries
            .iter()
            .map(|(d, _)| d)
            .filter(|d| d.status == DeliveryStatus::Pending)
            .collect();
        let mut due: Vec<(i64, i64, usize)> = Vec::new();
        for (i, (d, _)) in s.hooks.deliveries.iter().enumerate() {
            let first = !pending.iter().any(|e| {
                e.subscription == d.subscription && e.aggregate == d.aggregate && e.seq < d.seq
            });
            if d.status == DeliveryStatus::Pending
                && d.next_attempt_ms <= now_ms
                && first
                && active.contains(&d.subscription)
            {
                due.push((d.next_attempt_ms, d.seq, i));
            }
        }
        due.sort_unstable();
        let mut claimed = Vec::new();
        for (_, _, i) in due.into_iter().take(limit) {
            let d = &mut s.hooks.deliveries[i].0;
            claimed.push(d.clone());
            d.next_attempt_ms = lease_until_ms;
        }
        Ok(claimed)
    }

    async fn webhook_record(
        &self,
        subscription: &str,
        event_id: &str,
        report: &AttemptReport,
    ) -> Result<Delivery, StoreError> {
        let mut s = self.state.lock().await;
        let (d, log) = s
            .hooks
            .find(subscription, event_id)
            .ok_or_else(|| no_delivery(event_id))?;
        if d.status != DeliveryStatus::Pending {
            return Ok(d.clone());
        }
        let (status, next) = after(report, d.next_attempt_ms);
        d.attempts += 1;
        d.status = status;
        d.next_attempt_ms = next;
        d.last_status = report.http_status;
        d.last_error.clone_from(&report.error);
        log.push(Attempt {
            attempt: d.attempts,
            at_ms: report.at_ms,
            http_status: report.http_status,
            error: report.error.clone(),
            status,
        });
        Ok(d.clone())
    }

    async fn webhook_deliveries(
        &self,
        subscription: &str,
        status: Option<DeliveryStatus>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        check_page(limit)?;
        let s = self.state.lock().await;
        if !s.hooks.has(subscription) {
            return Err(no_subscription(subscription));
        }
        let mut list: Vec<Delivery> = s
            .hooks
            .deliveries
            .iter()
            .map(|(d, _)| d)
            .filter(|d| d.subscription == subscription && status.is_none_or(|st| d.status == st))
            .cloned()
            .collect();
        list.sort_by_key(|d| std::cmp::Reverse((d.created_ms, d.seq)));
        list.truncate(limit);
        Ok(list)
    }

    async fn webhook_delivery(
        &self,
        subscription: &str,
        event_id: &str,
    ) -> Result<(Delivery, Vec<Attempt>), StoreError> {
        let mut s = self.state.lock().await;
        s.hooks
            .find(subscription, event_id)
            .map(|(d, log)| (d.clone(), log.clone()))
            .ok_or_else(|| no_delivery(event_id))
    }

    async fn webhook_replay(&self, subscription: &str, now_ms: i64) -> Result<u64, StoreError> {
        let mut s = self.state.lock().await;
        if !s.hooks.has(subscription) {
            return Err(no_subscription(subscription));
        }
        let mut n = 0;
        for (d, _) in &mut s.hooks.deliveries {
            if d.subscription == subscription && d.status == DeliveryStatus::Dead {
                d.status = DeliveryStatus::Pending;
                d.attempts = 0;
                d.next_attempt_ms = now_ms;
                n += 1;
            }
        }
        Ok(n)
    }
}
