//! The in-process adapter: one lock around the core's [`Ledger`], with
//! versions, the outbox and idempotency keys (kept by the ledger itself).
//!
//! Booking is lock, [`Ledger::book`], outbox push, unlock: the conflict check
//! and the insert cannot interleave with another booking. Clones share the
//! same state (two "handles" on one store).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use hcas_core::booking::{BookOutcome, Booking, Ledger, Request, Status};
use hcas_core::{Instant, Interval};
use tokio::sync::Mutex;

use crate::{AppointmentStore, Counts, OutboxEvent, StoreError, Stored, kind};

#[derive(Debug, Default)]
struct State {
    ledger: Ledger,
    versions: HashMap<String, i64>,
    /// Events with their `sent` flag, in id order.
    outbox: Vec<(OutboxEvent, bool)>,
    next_event: i64,
}

impl State {
    fn push_event(&mut self, kind: &str, booking: &Booking, now: Instant) {
        self.next_event += 1;
        let event = OutboxEvent {
            id: self.next_event,
            kind: kind.to_string(),
            aggregate_id: booking.id.clone(),
            payload: serde_json::to_value(booking).unwrap_or_default(),
            created: now,
        };
        self.outbox.push((event, false));
    }

    fn version(&self, id: &str) -> i64 {
        self.versions.get(id).copied().unwrap_or(1)
    }
}

/// An in-memory [`AppointmentStore`] (for embedding and tests).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
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
        now: Instant,
    ) -> Result<Stored<Booking>, StoreError> {
        let mut s = self.state.lock().await;
        match s.ledger.book(booking, now, idempotency_key)? {
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
        let s = self.state.lock().await;
        let b = s.ledger.get(id).ok_or_else(|| StoreError::NotFound {
            what: "booking",
            id: id.to_string(),
        })?;
        Ok(Stored {
            value: b.clone(),
            version: s.version(id),
        })
    }

    async fn set_status(
        &self,
        id: &str,
        status: Status,
        expected_version: i64,
        now: Instant,
    ) -> Result<Stored<Booking>, StoreError> {
        let mut s = self.state.lock().await;
        let cur = s
            .ledger
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::NotFound {
                what: "booking",
                id: id.to_string(),
            })?;
        let found = s.version(id);
        if found != expected_version {
            return Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected: expected_version,
                found,
            });
        }
        let mut new = cur.clone();
        new.status = status;
        if status != Status::Held {
            new.hold_expires = None;
        }
        new.validate()?;
        if new.blocks(now) && !cur.blocks(now) {
            let request = Request {
                start: new.start,
                end: new.end,
                resources: new.resources.clone(),
            };
            let check = s.ledger.check_excluding(&request, now, Some(id))?;
            if !check.ok {
                return Err(StoreError::Conflict {
                    conflicts: check.conflicts,
                });
            }
        }
        // The core's in-place status change is crate-private: replace the booking.
        s.ledger.remove(id);
        if let Err(e) = s.ledger.insert(new.clone()) {
            // Unreachable after `validate`, but never lose the old booking.
            s.ledger.insert(cur)?;
            return Err(e.into());
        }
        let version = found + 1;
        s.versions.insert(id.to_string(), version);
        s.push_event(kind::for_status(status), &new, now);
        Ok(Stored {
            value: new,
            version,
        })
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
        from: Instant,
        to: Instant,
        now: Instant,
    ) -> Result<Vec<Interval>, StoreError> {
        let window = Interval::new(from, to).map_err(|e| e.at("busy window"))?;
        let s = self.state.lock().await;
        // The core's per-resource index answers this; no scan of the ledger.
        let out = s
            .ledger
            .blocking_on(resource, &window, now)
            .into_iter()
            .filter_map(|b| b.interval().ok())
            .collect();
        Ok(out)
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
