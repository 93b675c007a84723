//! The bookings ledger and its conflict check (`hcas_core::booking`), behind
//! the package's `Booking` and `Ledger` (index.js). Conversions only:
//! statuses are the engine's wire names (`"checked-in"`), instants go in as
//! epoch milliseconds or ISO strings and come back as ISO strings in UTC.

use hcas_core::booking::{Booking, Ledger, Request, Status};
use hcas_core::{Interval, Timestamp};
use napi_derive::napi;

use crate::Result;
use crate::typed::{InstantArg, instant};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| crate::to_js(&e))
}

/// `[start, end)` from two instant arguments.
fn interval(start: &InstantArg, end: &InstantArg) -> Result<Interval> {
    js(Interval::new(
        instant(start, "start")?,
        instant(end, "end")?,
    ))
}

/// One booking: an id, the resources it uses (`"provider:P1"`), `[start,
/// end)`, its status (`booked` by default) and, for a hold, when it lapses.
#[napi]
pub struct NativeBooking(Booking);

#[napi]
impl NativeBooking {
    /// Build and check a booking (`Booking::build`): errors name the field.
    #[napi(constructor)]
    pub fn new(
        id: String,
        resources: Vec<String>,
        start: InstantArg,
        end: InstantArg,
        status: Option<String>,
        hold_expires: Option<InstantArg>,
    ) -> Result<Self> {
        let mut b = Booking::new(id, resources, interval(&start, &end)?);
        if let Some(s) = status {
            b = b.status(js(Status::parse(&s).map_err(|e| e.at("status")))?);
        }
        if let Some(h) = hold_expires {
            b = b.hold_until(instant(&h, "holdExpires")?);
        }
        js(b.build()).map(Self)
    }

    /// The booking's id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// The resources it uses, as given.
    #[napi(getter)]
    pub fn resources(&self) -> Vec<String> {
        self.0.resources.clone()
    }

    /// Its start, an ISO string in UTC.
    #[napi(getter)]
    pub fn start(&self) -> String {
        self.0.start.to_string()
    }

    /// Its end, an ISO string in UTC.
    #[napi(getter)]
    pub fn end(&self) -> String {
        self.0.end.to_string()
    }

    /// Its status's wire name (`"booked"`, `"held"`, `"checked-in"`, ...).
    #[napi(getter)]
    pub fn status(&self) -> String {
        self.0.status.as_str().to_string()
    }

    /// For a hold: when it lapses (ISO string in UTC); else `null`.
    #[napi(getter)]
    pub fn hold_expires(&self) -> Option<String> {
        self.0.hold_expires.map(|t| t.to_string())
    }

    /// Whether it occupies its resources at the instant `now` (a hold only
    /// until it lapses).
    #[napi]
    pub fn blocks(&self, now: InstantArg) -> Result<bool> {
        Ok(self.0.blocks(instant(&now, "now")?))
    }
}

/// One conflicting resource and the ids of the blocking bookings on it that
/// overlap the request, sorted.
#[napi(object, object_from_js = false)]
pub struct NativeConflict {
    /// The resource taken.
    pub resource: String,
    /// The ids of the bookings that take it, sorted.
    pub bookings: Vec<String>,
}

/// The bookings ledger: bookings indexed by resource, capacities (1 unless
/// set), and the conflict check.
#[napi]
#[derive(Default)]
pub struct NativeLedger(Ledger);

#[napi]
impl NativeLedger {
    /// An empty ledger.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of bookings.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Add a booking without a conflict check (loading existing data); a
    /// duplicate id is `invalid_request`.
    #[napi]
    pub fn insert(&mut self, booking: &NativeBooking) -> Result<()> {
        js(self.0.insert(booking.0.clone()))
    }

    /// The booking with this id, or `null`.
    #[napi]
    pub fn get(&self, id: String) -> Option<NativeBooking> {
        self.0.get(&id).cloned().map(NativeBooking)
    }

    /// Take the booking with this id out of the ledger (`null` if none).
    #[napi]
    pub fn remove(&mut self, id: String) -> Option<NativeBooking> {
        self.0.remove(&id).map(NativeBooking)
    }

    /// Every booking, ordered by start, then id.
    #[napi]
    pub fn bookings(&self) -> Vec<NativeBooking> {
        let mut all: Vec<Booking> = self.0.bookings().cloned().collect();
        all.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        all.into_iter().map(NativeBooking).collect()
    }

    /// Let `capacity` bookings overlap on `resource` (at least 1).
    #[napi]
    pub fn set_capacity(&mut self, resource: String, capacity: u32) -> Result<()> {
        js(self.0.set_capacity(&resource, capacity))
    }

    /// The capacity of `resource` (1 unless set).
    #[napi]
    pub fn capacity(&self, resource: String) -> u32 {
        self.0.capacity(&resource)
    }

    /// The conflicts that stand in the way of booking `resources` over
    /// `[start, end)` at the instant `now` (empty: it can be booked), by
    /// resource name. Touching is not overlapping.
    #[napi]
    pub fn check(
        &self,
        resources: Vec<String>,
        start: InstantArg,
        end: InstantArg,
        now: InstantArg,
    ) -> Result<Vec<NativeConflict>> {
        let request = Request::new(resources, interval(&start, &end)?);
        let now: Timestamp = instant(&now, "now")?;
        let check = js(self.0.check(&request, now))?;
        Ok(check
            .conflicts
            .into_iter()
            .map(|c| NativeConflict {
                resource: c.resource,
                bookings: c.with,
            })
            .collect())
    }
}

/// The wire names of every booking status, in the engine's order.
#[napi]
pub fn statuses() -> Vec<String> {
    Status::ALL.iter().map(|s| s.as_str().to_string()).collect()
}
