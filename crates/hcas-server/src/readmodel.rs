//! The slot search read model (the design's cache): per organization, per
//! provider, the core's [`Availability`] built from the schedule (asked of
//! the doctors service) and the provider's busy time (from the appointments
//! store) over a horizon, so a slot search needs no database read.
//!
//! Freshness: an entry is loaded on first use; every event on the bus that
//! touches a provider (`schedule.changed`, `provider.changed`, any
//! `appointment.*` whose booking uses `provider:<id>` or the provider's
//! room `room:<id>`) drops it, so the next
//! search reloads it from the store; the appointments service also applies
//! its own writes at once ([`ReadModel::note_booked`]). Entries also expire
//! after [`TTL`] (holds lapse without an event). A lagging subscriber drops
//! everything. A provider's working hours and profile flag ([`Base`]) are
//! cached apart and dropped only by profile or schedule changes, so checking
//! a booking's start reads nothing while bookings pour in. Booking never trusts this cache: the store re-checks every
//! booking, so a stale entry can only offer a slot that then answers 409,
//! or hide one for a moment.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use hcas_core::availability::Availability;
use hcas_core::{Interval, Timestamp, Zone};
use hcas_store::{AppointmentStore, Provider};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::events::{Bus, Published};
use crate::services::doctors::{DoctorsClient, PROVIDER_CHANGED};
use crate::tenants::OrgId;

/// How long an entry is trusted without an event.
pub const TTL: Duration = Duration::from_secs(30);
/// How far ahead of now an entry covers (the slot window bound is smaller).
pub const HORIZON_DAYS: i64 = 100;

/// One provider's cached availability.
#[derive(Debug)]
pub struct Entry {
    /// Working hours and time off only (no bookings): "is this start inside
    /// the provider's availability at all?".
    pub base: Arc<Availability>,
    /// With the bookings that block: what slot search offers (the
    /// provider's own and, when it has a room, every booking of the room).
    pub full: Arc<Availability>,
    /// The room whose bookings are in `full`, if the provider has one.
    pub room: Option<String>,
    horizon: Interval,
    loaded: Instant,
}

/// One provider's working hours and whether it takes appointments, cached
/// apart from bookings: only a change of its profile or schedule (or the
/// [`TTL`]) drops it, so checking a booking's start needs no database read
/// however busy the provider is.
#[derive(Debug)]
pub struct Base {
    /// The provider takes appointments.
    pub active: bool,
    /// Working hours and time off (no bookings).
    pub availability: Arc<Availability>,
    /// The provider's room (its profile's `room`): new bookings hold it.
    pub room: Option<String>,
    loaded: Instant,
}

#[derive(Default)]
struct OrgModel {
    providers: HashMap<String, Arc<Entry>>,
    bases: HashMap<String, Arc<Base>>,
    /// Bumped by every profile or schedule change: a base loaded across one
    /// is not cached.
    base_generation: u64,
    directory: Option<(Instant, Arc<Vec<Provider>>)>,
    /// Bumped by every invalidation: a load that started before one is not cached.
    generation: u64,
}

/// The read model.
pub struct ReadModel {
    doctors: Arc<dyn DoctorsClient>,
    orgs: RwLock<HashMap<OrgId, OrgModel>>,
    listening: std::sync::Once,
}

impl ReadModel {
    /// An empty read model asking `doctors` for schedules.
    #[must_use]
    pub fn new(doctors: Arc<dyn DoctorsClient>) -> Self {
        Self {
            doctors,
            orgs: RwLock::new(HashMap::new()),
            listening: std::sync::Once::new(),
        }
    }

    /// Subscribe to `bus` (once; inside a tokio runtime).
    pub fn listen(self: &Arc<Self>, bus: &Bus) {
        self.listening.call_once(|| {
            let mut rx = bus.subscribe();
            let me: Weak<Self> = Arc::downgrade(self);
            tokio::spawn(async move {
                loop {
                    let got = rx.recv().await;
                    let Some(model) = me.upgrade() else { break };
                    match got {
                        Ok(p) => model.apply(&p),
                        Err(RecvError::Lagged(n)) => {
                            tracing::warn!(missed = n, "read model lagged; dropping the cache");
                            model.clear();
                        }
                        Err(RecvError::Closed) => break,
                    }
                }
            });
        });
    }

    /// Apply one event: drop what it changes.
    pub fn apply(&self, p: &Published) {
        let e = &p.event;
        if e.kind == hcas_store::kind::SCHEDULE_CHANGED || e.kind == PROVIDER_CHANGED {
            self.provider_changed(&p.org, &e.aggregate_id);
        } else if e.kind.starts_with("appointment.") {
            let resources: Vec<String> = e
                .payload
                .get("resources")
                .and_then(|r| r.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            self.bookings_changed(&p.org, &resources);
        }
    }

    fn with_org<R>(&self, org: &OrgId, f: impl FnOnce(&mut OrgModel) -> R) -> Option<R> {
        let mut orgs = self.orgs.write().ok()?;
        Some(f(orgs.entry(org.clone()).or_default()))
    }

    /// A provider's profile or schedule changed: drop its entry and the directory.
    pub fn provider_changed(&self, org: &OrgId, provider_id: &str) {
        self.with_org(org, |m| {
            m.generation += 1;
            m.base_generation += 1;
            m.providers.remove(provider_id);
            m.bases.remove(provider_id);
            m.directory = None;
        });
    }

    /// Bookings on `resources` changed: drop the entries of their providers
    /// and of every provider whose room is among them.
    pub fn bookings_changed(&self, org: &OrgId, resources: &[String]) {
        self.with_org(org, |m| {
            m.generation += 1;
            let rooms: Vec<&str> = resources
                .iter()
                .filter_map(|r| r.strip_prefix("room:"))
                .collect();
            for r in resources {
                if let Some(id) = r.strip_prefix("provider:") {
                    m.providers.remove(id);
                }
            }
            if !rooms.is_empty() {
                m.providers
                    .retain(|_, e| e.room.as_deref().is_none_or(|r| !rooms.contains(&r)));
            }
        });
    }

    /// This process just booked `interval` on `resources`: mark it busy now
    /// (the event that follows reloads the entries from the store).
    pub fn note_booked(&self, org: &OrgId, resources: &[String], interval: Interval) {
        self.with_org(org, |m| {
            // The providers it blocks: its own, and those whose room it holds.
            let hit: Vec<String> = m
                .providers
                .iter()
                .filter(|(id, e)| {
                    resources.iter().any(|r| {
                        r.strip_prefix("provider:") == Some(id.as_str())
                            || e.room
                                .as_deref()
                                .is_some_and(|room| r.strip_prefix("room:") == Some(room))
                    })
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in hit {
                if let Some(e) = m.providers.get(&id) {
                    let mut full = (*e.full).clone();
                    full.add_busy([interval]);
                    let entry = Entry {
                        base: Arc::clone(&e.base),
                        full: Arc::new(full),
                        room: e.room.clone(),
                        horizon: e.horizon,
                        loaded: e.loaded,
                    };
                    m.providers.insert(id, Arc::new(entry));
                }
            }
        });
    }

    /// Drop everything.
    pub fn clear(&self) {
        if let Ok(mut orgs) = self.orgs.write() {
            for m in orgs.values_mut() {
                m.generation += 1;
                m.base_generation += 1;
                m.providers.clear();
                m.bases.clear();
                m.directory = None;
            }
        }
    }

    /// The organization's providers (from the doctors service, cached).
    ///
    /// # Errors
    /// 503 when the doctors service cannot answer.
    pub async fn directory(&self, org: &OrgId) -> Result<Arc<Vec<Provider>>, ApiError> {
        let cached = self.read_org(org, |m| {
            m.directory
                .as_ref()
                .filter(|(at, _)| at.elapsed() < TTL)
                .map(|(_, d)| Arc::clone(d))
        });
        if let Some(d) = cached {
            return Ok(d);
        }
        let generation = self.generation(org);
        let all: Vec<Provider> = self
            .doctors
            .providers(org)
            .await?
            .into_iter()
            .map(|s| s.value)
            .collect();
        let all = Arc::new(all);
        self.with_org(org, |m| {
            if m.generation == generation {
                m.directory = Some((Instant::now(), Arc::clone(&all)));
            }
        });
        Ok(all)
    }

    fn generation(&self, org: &OrgId) -> u64 {
        self.read_org(org, |m| Some(m.generation)).unwrap_or(0)
    }

    /// `f` of the organization's model, if it has one (read lock).
    fn read_org<R>(&self, org: &OrgId, f: impl FnOnce(&OrgModel) -> Option<R>) -> Option<R> {
        self.orgs.read().ok().and_then(|o| o.get(org).and_then(f))
    }

    /// Provider `id`'s availability covering `span` (the slot window plus
    /// the appointment length): from the cache, or loaded (the schedule
    /// from the doctors service, the busy time from `store`) and cached when
    /// `span` lies within the standard horizon.
    ///
    /// # Errors
    /// 404 for an unknown provider; 422 for a stored schedule the engine
    /// refuses; 503 when a store cannot answer.
    pub async fn entry(
        &self,
        org: &OrgId,
        store: &Arc<dyn AppointmentStore>,
        id: &str,
        span: Interval,
        now: Timestamp,
    ) -> Result<Arc<Entry>, ApiError> {
        let cached = self.read_org(org, |m| {
            m.providers
                .get(id)
                .filter(|e| e.loaded.elapsed() < TTL && covers(e.horizon, span))
                .map(Arc::clone)
        });
        if let Some(e) = cached {
            return Ok(e);
        }
        let generation = self.generation(org);
        let standard = Interval::new(
            now.plus_minutes(-24 * 60)?,
            now.plus_minutes(HORIZON_DAYS * 24 * 60)?,
        )?;
        let cacheable = covers(standard, span);
        let horizon = if cacheable { standard } else { span };
        let base = self.base(org, id).await?;
        let busy = store
            .busy(
                &hcas_store::records::resource_of(id),
                horizon.start(),
                horizon.end(),
                now,
            )
            .await?;
        let mut full = (*base.availability).clone();
        full.add_busy(busy);
        if let Some(room) = &base.room {
            // The room is busy whenever any booking holds it (capacity 1):
            // another provider's, or this one's made before a move.
            let taken = store
                .busy(
                    &hcas_store::records::room_resource_of(room),
                    horizon.start(),
                    horizon.end(),
                    now,
                )
                .await?;
            full.add_busy(taken);
        }
        let entry = Arc::new(Entry {
            base: Arc::clone(&base.availability),
            full: Arc::new(full),
            room: base.room.clone(),
            horizon,
            loaded: Instant::now(),
        });
        if cacheable {
            self.with_org(org, |m| {
                if m.generation == generation {
                    m.providers.insert(id.to_string(), Arc::clone(&entry));
                }
            });
        }
        Ok(entry)
    }
}

impl ReadModel {
    /// A provider's [`Base`]: cached, or asked of the doctors service.
    ///
    /// # Errors
    /// 404 for an unknown provider; 422 for a stored schedule the engine
    /// refuses; 503 when the doctors service cannot answer.
    pub async fn base(&self, org: &OrgId, id: &str) -> Result<Arc<Base>, ApiError> {
        let cached = self.read_org(org, |m| {
            m.bases
                .get(id)
                .filter(|b| b.loaded.elapsed() < TTL)
                .map(Arc::clone)
        });
        if let Some(b) = cached {
            return Ok(b);
        }
        let generation = self.read_org(org, |m| Some(m.base_generation)).unwrap_or(0);
        let provider = self.doctors.provider(org, id).await?;
        let schedule = self.doctors.schedule(org, id).await?;
        let availability = match &schedule {
            Some(s) => s.value.availability(Vec::new())?,
            None => Availability::new(Zone::parse("UTC")?),
        };
        let base = Arc::new(Base {
            active: provider.value.active,
            availability: Arc::new(availability),
            room: provider.value.room.clone(),
            loaded: Instant::now(),
        });
        self.with_org(org, |m| {
            if m.base_generation == generation {
                m.bases.insert(id.to_string(), Arc::clone(&base));
            }
        });
        Ok(base)
    }
}

fn covers(outer: Interval, inner: Interval) -> bool {
    outer.start() <= inner.start() && inner.end() <= outer.end()
}
