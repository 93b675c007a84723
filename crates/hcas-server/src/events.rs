//! The in-process event bus: one outbox relay task per open organization
//! reads the store's unsent events (`outbox_pending`), publishes them on a
//! tokio broadcast channel and marks them sent. Subscribers (the slot read
//! model) receive every organization's events, tagged with the organization.
//!
//! Delivery is at least once: an event is published before it is marked
//! sent, so a crash in between publishes it again; subscribers must be
//! idempotent. A subscriber that falls behind gets `Lagged` and must
//! resynchronise (the read model drops its cache). A message broker replaces
//! this bus when the services run as separate processes.
//!
//! Webhooks do not listen on the channel (it may lag): each relay pass
//! enqueues the pass's webhook deliveries durably in the store
//! ([`crate::webhooks::enqueue`]) before it marks the events sent, and the
//! bus starts each organization's delivery worker with its relay.
//! Notifications to patients ([`crate::notifications::enqueue`]) are
//! enqueued the same way, in the same pass, after the webhook deliveries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hcas_store::{OutboxEvent, Store};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

use crate::notifications::Notifier;
use crate::tenants::OrgId;
use crate::webhooks::Dispatcher;

/// Events buffered for slow subscribers before they lag.
const CAPACITY: usize = 4096;
/// Most events one relay pass reads.
const BATCH: usize = 256;
/// How long an idle relay waits before looking again without a nudge.
const IDLE: Duration = Duration::from_millis(250);
/// How long a relay waits after the store failed.
const BACKOFF: Duration = Duration::from_secs(1);

/// An event of one organization.
#[derive(Debug, Clone)]
pub struct Published {
    /// The organization whose store wrote it.
    pub org: OrgId,
    /// The event (id 0 for an in-process event that was never in an outbox).
    pub event: OutboxEvent,
}

struct Relay {
    nudge: Arc<Notify>,
    task: JoinHandle<()>,
}

/// The bus: a broadcast channel and the relays feeding it.
pub struct Bus {
    tx: broadcast::Sender<Arc<Published>>,
    relays: Mutex<HashMap<OrgId, Relay>>,
    webhooks: Arc<Dispatcher>,
    notifier: Arc<Notifier>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    /// A bus with no relay yet, delivering webhooks with the default settings.
    #[must_use]
    pub fn new() -> Self {
        Self::with_webhooks(Arc::new(Dispatcher::new(
            crate::config::WebhookConfig::default(),
        )))
    }

    /// A bus with no relay yet whose relays feed `webhooks` (and no notifications).
    #[must_use]
    pub fn with_webhooks(webhooks: Arc<Dispatcher>) -> Self {
        Self::with_services(webhooks, Arc::new(Notifier::disabled()))
    }

    /// A bus with no relay yet whose relays feed `webhooks` and `notifier`.
    #[must_use]
    pub fn with_services(webhooks: Arc<Dispatcher>, notifier: Arc<Notifier>) -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self {
            tx,
            relays: Mutex::new(HashMap::new()),
            webhooks,
            notifier,
        }
    }

    /// The notification workers.
    #[must_use]
    pub fn notifier(&self) -> &Arc<Notifier> {
        &self.notifier
    }

    /// The webhook delivery workers.
    #[must_use]
    pub fn webhooks(&self) -> &Arc<Dispatcher> {
        &self.webhooks
    }

    /// Receive every event published from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    /// Publish an in-process event (one no outbox holds, e.g.
    /// `provider.changed`). Nobody listening is not an error.
    pub fn publish(&self, org: &OrgId, event: OutboxEvent) {
        let _ = self.tx.send(Arc::new(Published {
            org: org.clone(),
            event,
        }));
    }

    /// Start the relay of `org` if it is not running (inside a tokio
    /// runtime), without waking it: call on every request that uses the
    /// organization (a read must not make the relay query the outbox).
    pub fn ensure(&self, org: &OrgId, store: Arc<dyn Store>) {
        self.start(org, store, false);
    }

    /// Start the relay of `org` if needed and wake it: call after every
    /// write so its events go out promptly.
    pub fn relay(&self, org: &OrgId, store: Arc<dyn Store>) {
        self.start(org, store, true);
    }

    fn start(&self, org: &OrgId, store: Arc<dyn Store>, wake: bool) {
        let Ok(mut relays) = self.relays.lock() else {
            return;
        };
        if let Some(r) = relays.get(org)
            && !r.task.is_finished()
        {
            if wake {
                r.nudge.notify_one();
            }
            return;
        }
        self.webhooks.ensure(org, Arc::clone(&store));
        self.notifier.ensure(org, Arc::clone(&store));
        let nudge = Arc::new(Notify::new());
        let task = tokio::spawn(run_relay(
            org.clone(),
            store,
            self.tx.clone(),
            Arc::clone(&nudge),
            Arc::clone(&self.webhooks),
            Arc::clone(&self.notifier),
        ));
        relays.insert(org.clone(), Relay { nudge, task });
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        if let Ok(relays) = self.relays.lock() {
            for r in relays.values() {
                r.task.abort();
            }
        }
    }
}

async fn run_relay(
    org: OrgId,
    store: Arc<dyn Store>,
    tx: broadcast::Sender<Arc<Published>>,
    nudge: Arc<Notify>,
    webhooks: Arc<Dispatcher>,
    notifier: Arc<Notifier>,
) {
    loop {
        match store.outbox_pending(BATCH).await {
            Ok(events) if !events.is_empty() => {
                let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
                let full = events.len() == BATCH;
                // Durably, before the events are marked sent (see the module docs).
                match crate::webhooks::enqueue(&org, &store, &events).await {
                    Ok(0) => {}
                    Ok(_) => webhooks.wake(&org),
                    Err(e) => {
                        tracing::warn!(org = %org, code = e.code(), "webhook deliveries not enqueued; the events stay unsent");
                        tokio::time::sleep(BACKOFF).await;
                        continue;
                    }
                }
                if notifier.enabled() {
                    match crate::notifications::enqueue(
                        &org,
                        &store,
                        &events,
                        &notifier.reminders(),
                    )
                    .await
                    {
                        Ok(0) => {}
                        Ok(_) => notifier.wake(&org),
                        Err(e) => {
                            tracing::warn!(org = %org, code = e.code(), "notifications not enqueued; the events stay unsent");
                            tokio::time::sleep(BACKOFF).await;
                            continue;
                        }
                    }
                }
                for event in events {
                    let _ = tx.send(Arc::new(Published {
                        org: org.clone(),
                        event,
                    }));
                }
                if let Err(e) = store.outbox_mark_sent(&ids).await {
                    tracing::warn!(org = %org, code = e.code(), "outbox events not marked sent; they will be published again");
                    tokio::time::sleep(BACKOFF).await;
                } else if !full {
                    idle(&nudge).await;
                }
            }
            Ok(_) => idle(&nudge).await,
            Err(e) => {
                tracing::warn!(org = %org, code = e.code(), "outbox unreadable; retrying");
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

async fn idle(nudge: &Notify) {
    tokio::select! {
        () = nudge.notified() => {}
        () = tokio::time::sleep(IDLE) => {}
    }
}
