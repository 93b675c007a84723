//! One background task per organization, started on demand and woken by a
//! nudge: the registry the webhook dispatcher and the notifier share.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::tenants::OrgId;

struct Worker {
    nudge: Arc<Notify>,
    task: JoinHandle<()>,
}

/// The running workers, by organization; dropping it aborts them all.
#[derive(Default)]
pub(crate) struct OrgWorkers {
    workers: Mutex<HashMap<OrgId, Worker>>,
}

impl OrgWorkers {
    /// Start the worker of `org` unless one is running (inside a tokio
    /// runtime): `start` gets the worker's nudge and gives its loop.
    pub(crate) fn ensure<F, Fut>(&self, org: &OrgId, start: F)
    where
        F: FnOnce(Arc<Notify>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Ok(mut workers) = self.workers.lock() else {
            return;
        };
        if workers.get(org).is_some_and(|w| !w.task.is_finished()) {
            return;
        }
        let nudge = Arc::new(Notify::new());
        let task = tokio::spawn(start(Arc::clone(&nudge)));
        workers.insert(org.clone(), Worker { nudge, task });
    }

    /// Wake the worker of `org`, if it runs.
    pub(crate) fn wake(&self, org: &OrgId) {
        if let Ok(workers) = self.workers.lock()
            && let Some(w) = workers.get(org)
        {
            w.nudge.notify_one();
        }
    }
}

impl Drop for OrgWorkers {
    fn drop(&mut self) {
        if let Ok(workers) = self.workers.lock() {
            for w in workers.values() {
                w.task.abort();
            }
        }
    }
}
