//! The in-process adapter: one lock around the core's [`Ledger`], with
//! versions, the outbox and idempotency keys (kept by the ledger itself).
//!
//! Booking is lock, [`Ledger::book`], outbox push, unlock: the conflict check
//! and the insert cannot interleave with another booking. Clones share the
//! same state (two "handles" on one store).
//!
//! `mod.rs` holds the state, [`MemoryStore`], [`AppointmentStore`] and
//! [`crate::AnchorStore`]; `ports.rs` every other port. Status changes,
//! reschedules and re-anchoring are decided by `crate::change`, as in the
//! SQL adapters.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use hcas_core::booking::{BookOutcome, Booking, Ledger};
use hcas_core::consent::Consent;
use hcas_core::lifecycle::{LifecyclePolicy, TransitionRequest};
use hcas_core::waitlist::WaitEntry;
use hcas_core::{Interval, Timestamp};
use tokio::sync::Mutex;

use crate::RescheduleRequest;
use crate::change::{ReschedulePlan, StatusPlan, at_version, check_free, id_used, reanchor_plan};
use crate::records::{AuditRecord, Patient, Provider, RecordMeta, Schedule};
use crate::{
    AppointmentStore, Counts, OutboxEvent, Rescheduled, StatusChanged, StoreError, Stored, kind,
};

mod accounts;
#[cfg(feature = "documents")]
mod documents;
mod feeds;
mod notifications;
mod ports;
mod webhooks;

#[derive(Debug, Default)]
struct State {
    ledger: Ledger,
    versions: HashMap<String, i64>,
    /// Events with their `sent` flag, in id order.
    outbox: Vec<(OutboxEvent, bool)>,
    next_event: i64,
    patients: HashMap<String, Stored<Patient>>,
    providers: HashMap<String, Stored<Provider>>,
    schedules: HashMap<String, Stored<Schedule>>,
    waitlist: HashMap<String, WaitEntry>,
    consents: HashMap<String, Stored<Consent>>,
    records: HashMap<String, Stored<RecordMeta>>,
    audit: Vec<AuditRecord>,
    /// Accounts by [`crate::username_key`].
    accounts: HashMap<String, crate::Account>,
    /// Refresh-token families by id.
    families: HashMap<String, accounts::Family>,
    /// Webhook subscriptions, deliveries and their log.
    hooks: webhooks::Hooks,
    /// The notification queue, in enqueue order (ids from 1).
    notes: Vec<crate::Notification>,
    /// Calendar feeds, in creation order.
    feeds: Vec<crate::FeedToken>,
    #[cfg(feature = "documents")]
    contents: HashMap<String, crate::documents::DocumentContent>,
}

impl State {
    fn push_event(&mut self, kind: &str, booking: &Booking, now: Timestamp) {
        self.push(kind, &booking.id, booking, now);
    }

    fn push<T: serde::Serialize>(&mut self, kind: &str, id: &str, value: &T, now: Timestamp) {
        self.next_event += 1;
        let event = OutboxEvent {
            id: self.next_event,
            kind: kind.to_string(),
            aggregate_id: id.to_string(),
            payload: serde_json::to_value(value).unwrap_or_default(),
            created: now,
        };
        self.outbox.push((event, false));
    }

    fn version(&self, id: &str) -> i64 {
        self.versions.get(id).copied().unwrap_or(1)
    }

    /// After the core changed booking `id` in the ledger: version +1 and
    /// one `kind` event with the booking as it is now.
    fn bump(&mut self, id: &str, kind: &str, now: Timestamp) -> Result<(), StoreError> {
        let b = self
            .ledger
            .get(id)
            .ok_or_else(|| StoreError::Internal(format!("booking {id} lost")))?;
        let payload = serde_json::to_value(b).unwrap_or_default();
        self.bump_with(id, kind, &payload, now);
        Ok(())
    }

    /// Version +1 and one `kind` event with `payload` (the booking, and for a
    /// status change its `transition`).
    fn bump_with(&mut self, id: &str, kind: &str, payload: &serde_json::Value, now: Timestamp) {
        let version = self.version(id) + 1;
        self.versions.insert(id.to_string(), version);
        self.push(kind, id, payload, now);
    }

    /// The booking with its version.
    fn stored(&self, id: &str) -> Option<Stored<Booking>> {
        self.ledger.get(id).map(|b| Stored {
            value: b.clone(),
            version: self.version(id),
        })
    }
}

/// An in-memory [`AppointmentStore`] (for embedding and tests).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// The lifecycle's timing rules for status changes (per handle).
    policy: LifecyclePolicy,
}

impl MemoryStore {
    /// An empty store, with the default lifecycle [`LifecyclePolicy`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// This handle with the clinic's lifecycle timing rules (late
    /// cancellation, no-show grace, check-in window), used by `set_status`
    /// and `reschedule`. The data stays shared with the other clones, so one
    /// store can serve clinics with different rules through several handles.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (`invalid_duration`) for an invalid policy.
    pub fn with_policy(mut self, policy: LifecyclePolicy) -> Result<Self, StoreError> {
        policy.validate()?;
        self.policy = policy;
        Ok(self)
    }

    /// The lifecycle timing rules of this handle.
    #[must_use]
    pub const fn policy(&self) -> LifecyclePolicy {
        self.policy
    }

    /// Every booking with its version, in no particular order (a snapshot).
    pub async fn bookings(&self) -> Vec<Stored<Booking>> {
        let s = self.state.lock().await;
        s.ledger
            .bookings()
            .map(|b| Stored {
                value: b.clone(),
                version: s.version(&b.id),
            })
            .collect()
    }

    /// A resource's capacity.
    pub async fn capacity(&self, resource: &str) -> u32 {
        self.state.lock().await.ledger.capacity(resource)
    }
}

#[async_trait]
impl AppointmentStore for MemoryStore {
    async fn book(
        &self,
        booking: Booking,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError> {
        hcas_core::anchor::check(&booking)?;
        let mut s = self.state.lock().await;
        match s.ledger.book(
            booking,
            hcas_core::booking::BookOptions::at(now).idempotency_key(idempotency_key),
        )? {
            BookOutcome::Booked(b) => {
                s.versions.insert(b.id.clone(), 1);
                s.push_event(kind::APPOINTMENT_CREATED, &b, now);
                Ok(Stored {
                    value: b,
                    version: 1,
                })
            }
            BookOutcome::Existing(b) => Ok(Stored {
                version: s.version(&b.id),
                value: b,
            }),
            BookOutcome::Conflict(conflicts) => Err(StoreError::Conflict { conflicts }),
        }
    }

    async fn get(&self, id: &str) -> Result<Stored<Booking>, StoreError> {
        self.state
            .lock()
            .await
            .stored(id)
            .ok_or_else(|| StoreError::NotFound {
                what: "booking",
                id: id.to_string(),
            })
    }

    async fn set_status(
        &self,
        id: &str,
        expected_version: i64,
        change: &TransitionRequest,
    ) -> Result<StatusChanged, StoreError> {
        let mut s = self.state.lock().await;
        let plan = StatusPlan::new(id, s.stored(id), expected_version, change, &self.policy)?;
        if plan.recheck {
            plan.check(&s.ledger)?;
        }
        // The core's in-place status change is crate-private: replace the booking.
        s.ledger.remove(id);
        if let Err(e) = s.ledger.insert(plan.booking.clone()) {
            // Unreachable after `validate`, but never lose the old booking.
            s.ledger.insert(plan.before.value)?;
            return Err(e.into());
        }
        s.versions.insert(id.to_string(), plan.version());
        s.push(plan.kind, id, &plan.payload, change.now);
        Ok(plan.done())
    }

    async fn reschedule(
        &self,
        id: &str,
        expected_version: i64,
        new: Booking,
        request: &RescheduleRequest,
    ) -> Result<Rescheduled, StoreError> {
        let (actor, reason, now) = (request.actor, request.reason.as_str(), request.now);
        ReschedulePlan::precheck(&new)?;
        let mut s = self.state.lock().await;
        let cancel = ReschedulePlan::cancel_request(actor, reason, now);
        let plan = ReschedulePlan::new(id, s.stored(id), expected_version, &cancel, &self.policy)?;
        if s.ledger.get(&new.id).is_some() {
            return Err(id_used(&new.id).into());
        }
        // The whole ledger is here: the core books and cancels in place.
        let (old, new) = plan.apply(&mut s.ledger, new)?;
        s.versions.insert(new.id.clone(), 1);
        s.versions.insert(id.to_string(), plan.version());
        s.push_event(kind::APPOINTMENT_CREATED, &new, now);
        s.push(kind::APPOINTMENT_CANCELLED, id, &plan.payload(&old), now);
        Ok(plan.done(old, new))
    }

    async fn set_capacity(&self, resource: &str, capacity: u32) -> Result<(), StoreError> {
        self.state
            .lock()
            .await
            .ledger
            .set_capacity(resource, capacity)?;
        Ok(())
    }

    async fn busy(
        &self,
        resource: &str,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Interval>, StoreError> {
        let window = Interval::new(from, to).map_err(|e| e.at("busy window"))?;
        let s = self.state.lock().await;
        // The core's per-resource index answers this; no scan of the ledger.
        let mut out: Vec<Interval> = s
            .ledger
            .blocking_on(resource, &window, now)
            .into_iter()
            .filter_map(|b| b.interval().ok())
            .collect();
        // By start, then end, as the SQL adapters order them.
        out.sort_by_key(|iv| (iv.start(), iv.end()));
        Ok(out)
    }

    async fn bookings_on(
        &self,
        resource: &str,
        window: Interval,
        limit: usize,
    ) -> Result<Vec<Stored<Booking>>, StoreError> {
        let s = self.state.lock().await;
        let mut found: Vec<&Booking> = s
            .ledger
            .bookings()
            .filter(|b| {
                b.start < window.end()
                    && b.end > window.start()
                    && b.resources.iter().any(|r| r == resource)
            })
            .collect();
        found.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        Ok(found
            .into_iter()
            .take(limit)
            .map(|b| Stored {
                value: b.clone(),
                version: s.version(&b.id),
            })
            .collect())
    }

    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEvent>, StoreError> {
        let s = self.state.lock().await;
        Ok(s.outbox
            .iter()
            .filter(|(_, sent)| !sent)
            .take(limit)
            .map(|(e, _)| e.clone())
            .collect())
    }

    async fn outbox_mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        let mut s = self.state.lock().await;
        for (e, sent) in &mut s.outbox {
            if ids.contains(&e.id) {
                *sent = true;
            }
        }
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let s = self.state.lock().await;
        Ok(Counts {
            bookings: s.ledger.len() as u64,
            outbox: s.outbox.len() as u64,
        })
    }
}

#[async_trait]
impl crate::AnchorStore for MemoryStore {
    async fn drifted(
        &self,
        now: Timestamp,
        after: Option<&crate::SweepCursor>,
        limit: usize,
    ) -> Result<crate::DriftPage, StoreError> {
        crate::ports::check_drift_limit(limit)?;
        let s = self.state.lock().await;
        let after = after.map(|c| (c.start, c.id.as_str()));
        let mut due: Vec<&Booking> = s
            .ledger
            .bookings()
            .filter(|b| hcas_core::anchor::due(b, now))
            .filter(|b| after.is_none_or(|a| (b.start, b.id.as_str()) > a))
            .collect();
        due.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        let mut drifted = Vec::new();
        for b in due {
            if let Some(d) = hcas_core::anchor::drift(b) {
                drifted.push(d);
                if drifted.len() == limit {
                    let next = Some(crate::SweepCursor {
                        start: b.start,
                        id: b.id.clone(),
                    });
                    return Ok(crate::DriftPage { drifted, next });
                }
            }
        }
        Ok(crate::DriftPage {
            drifted,
            next: None,
        })
    }

    async fn reanchor(
        &self,
        id: &str,
        expected_version: i64,
        now: Timestamp,
    ) -> Result<Stored<Booking>, StoreError> {
        let mut s = self.state.lock().await;
        let cur = at_version(id, s.stored(id), expected_version)?;
        let Some(moved) = reanchor_plan(&cur.value, now)? else {
            return Ok(cur);
        };
        check_free(&s.ledger, &moved, now, id)?;
        s.ledger.remove(id);
        if let Err(e) = s.ledger.insert(moved.clone()) {
            // Unreachable (the same booking, moved), but never lose it.
            s.ledger.insert(cur.value)?;
            return Err(e.into());
        }
        let version = cur.version + 1;
        s.versions.insert(id.to_string(), version);
        s.push_event(kind::APPOINTMENT_REANCHORED, &moved, now);
        Ok(Stored {
            value: moved,
            version,
        })
    }
}

#[cfg(feature = "test-support")]
impl MemoryStore {
    /// Test support: store a booking as `book` would, without the anchor
    /// check (a booking made under older tz data).
    #[allow(clippy::expect_used)]
    pub(crate) async fn plant_unchecked(&self, b: Booking, now: Timestamp) {
        let mut s = self.state.lock().await;
        s.versions.insert(b.id.clone(), 1);
        s.push_event(kind::APPOINTMENT_CREATED, &b, now);
        s.ledger.insert(b).expect("a valid booking");
    }
}
