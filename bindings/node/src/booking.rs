//! The bookings ledger, its conflict check and its atomic operations (book
//! with an idempotency key, hold, confirm, reschedule, move) of
//! `hcas_core::booking`, behind the package's `Booking` and `Ledger`
//! (index.js). Conversions only: statuses are the engine's wire names
//! (`"checked-in"`), instants go in as epoch milliseconds or ISO strings and
//! come back as ISO strings in UTC.

use hcas_core::booking::{
    BookOptions, BookOutcome, Booking, CheckOptions, Conflict, HoldOptions, Ledger, Request,
    RescheduleOptions, SeriesRef, Status,
};
use hcas_core::{Error, ErrorCode, Interval, Timestamp};
use hcas_js_shapes::series::ConflictOut;
use napi::bindgen_prelude::ClassInstance;
use napi_derive::napi;

use crate::Result;
use crate::typed::{InstantArg, instant, minutes};

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

/// A booking's place in a recurring series: the series id and the
/// occurrence's original local start (`RECURRENCE-ID`,
/// `YYYY-MM-DDTHH:MM:SS`), which names it even after it is moved.
#[napi(object)]
pub struct NativeSeriesRef {
    /// The series id.
    pub id: String,
    /// The occurrence's original local start, `YYYY-MM-DDTHH:MM:SS`.
    pub recurrence_id: String,
}

impl From<&SeriesRef> for NativeSeriesRef {
    fn from(s: &SeriesRef) -> Self {
        Self {
            id: s.id.clone(),
            recurrence_id: s.recurrence_id.clone(),
        }
    }
}

/// A booking's optional links, as the wrapper passes them.
#[napi(object)]
pub struct NativeBookingLinks {
    /// The series occurrence it is.
    pub series: Option<NativeSeriesRef>,
    /// Why it was cancelled (or entered in error).
    pub cancel_reason: Option<String>,
    /// The id of the booking it replaces (a reschedule).
    pub replaces: Option<String>,
    /// The id of the booking that replaced it (a reschedule).
    pub replaced_by: Option<String>,
}

/// One booking: an id, the resources it uses (`"provider:P1"`), `[start,
/// end)`, its status (`booked` by default) and, for a hold, when it lapses;
/// for a series occurrence its series, why it was cancelled, and the
/// bookings it replaces or was replaced by.
#[napi]
pub struct NativeBooking(pub(crate) Booking);

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
        links: Option<NativeBookingLinks>,
    ) -> Result<Self> {
        let mut b = Booking::new(id, resources, interval(&start, &end)?);
        if let Some(s) = status {
            b = b.status(js(Status::parse(&s).map_err(|e| e.at("status")))?);
        }
        if let Some(h) = hold_expires {
            b = b.hold_until(instant(&h, "holdExpires")?);
        }
        if let Some(l) = links {
            if let Some(s) = l.series {
                b = b.series(SeriesRef::new(s.id, s.recurrence_id));
            }
            if let Some(r) = l.cancel_reason {
                b = b.cancel_reason(r);
            }
            if let Some(id) = l.replaces {
                b = b.replaces(id);
            }
            if let Some(id) = l.replaced_by {
                b = b.replaced_by(id);
            }
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

    /// The series occurrence it is, or `null`.
    #[napi(getter)]
    pub fn series(&self) -> Option<NativeSeriesRef> {
        self.0.series.as_ref().map(NativeSeriesRef::from)
    }

    /// Why it was cancelled (or entered in error), or `null`.
    #[napi(getter)]
    pub fn cancel_reason(&self) -> Option<String> {
        self.0.cancel_reason.clone()
    }

    /// The id of the booking it replaces (a reschedule), or `null`.
    #[napi(getter)]
    pub fn replaces(&self) -> Option<String> {
        self.0.replaces.clone()
    }

    /// The id of the booking that replaced it (a reschedule), or `null`.
    #[napi(getter)]
    pub fn replaced_by(&self) -> Option<String> {
        self.0.replaced_by.clone()
    }

    /// Whether `other` asks for the same interval and resources: the test by
    /// which a repeated idempotency key is the same request (ids, statuses
    /// and links do not count).
    #[napi]
    pub fn same_request(&self, other: &NativeBooking) -> bool {
        self.0.same_request(&other.0)
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

impl From<ConflictOut> for NativeConflict {
    fn from(c: ConflictOut) -> Self {
        Self {
            resource: c.resource,
            bookings: c.bookings,
        }
    }
}

/// Conflicts as the package answers them (`resource`, `bookings`).
pub(crate) fn conflicts(cs: Vec<Conflict>) -> Vec<NativeConflict> {
    hcas_js_shapes::series::conflicts(cs)
        .into_iter()
        .map(NativeConflict::from)
        .collect()
}

/// What a booking operation of the ledger did
/// (`hcas_core::booking::BookOutcome`): `kind` is `booked` (written now:
/// `booking`), `existing` (an idempotency key seen before: `booking` is the
/// one it made, nothing new written) or `conflict` (nothing written:
/// `conflicts` lists every conflicting resource with the bookings in the way).
#[napi(object, object_from_js = false)]
pub struct NativeBookOutcome {
    /// `booked`, `existing` or `conflict`.
    pub kind: String,
    /// The booking written now or before; `null` for a conflict.
    pub booking: Option<NativeBooking>,
    /// For a conflict: every conflicting resource with the bookings in the way.
    pub conflicts: Vec<NativeConflict>,
}

impl From<BookOutcome> for NativeBookOutcome {
    fn from(o: BookOutcome) -> Self {
        let (kind, booking, cs) = match o {
            BookOutcome::Booked(b) => ("booked", Some(NativeBooking(b)), Vec::new()),
            BookOutcome::Existing(b) => ("existing", Some(NativeBooking(b)), Vec::new()),
            BookOutcome::Conflict(cs) => ("conflict", None, conflicts(cs)),
        };
        Self {
            kind: kind.to_string(),
            booking,
            conflicts: cs,
        }
    }
}

/// The bookings ledger: bookings indexed by resource, capacities (1 unless
/// set), the conflict check and the atomic booking operations.
#[napi]
#[derive(Default)]
pub struct NativeLedger(pub(crate) Ledger);

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
    /// resource name. Touching is not overlapping. `exclude`: the id of a
    /// booking to ignore; `extra`: bookings to count as if they were in the
    /// ledger.
    #[napi]
    pub fn check(
        &self,
        resources: Vec<String>,
        start: InstantArg,
        end: InstantArg,
        now: InstantArg,
        exclude: Option<String>,
        extra: Option<Vec<ClassInstance<NativeBooking>>>,
    ) -> Result<Vec<NativeConflict>> {
        let request = Request::new(resources, interval(&start, &end)?);
        let now: Timestamp = instant(&now, "now")?;
        let extra: Vec<Booking> = extra
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.0.clone())
            .collect();
        let mut options = CheckOptions::at(now).extra(&extra);
        if let Some(id) = exclude.as_deref() {
            options = options.exclude(id);
        }
        let check = js(self.0.check_with(&request, options))?;
        Ok(conflicts(check.conflicts))
    }

    /// Book atomically at `now`: check, then insert only when free. With
    /// `idempotency_key`, a key seen within the TTL answers the booking it
    /// made (`existing`); the same key for another interval or other
    /// resources, or a reused booking id, is `invalid_request`.
    #[napi]
    pub fn book(
        &mut self,
        booking: &NativeBooking,
        now: InstantArg,
        idempotency_key: Option<String>,
    ) -> Result<NativeBookOutcome> {
        let options =
            BookOptions::at(instant(&now, "now")?).idempotency_key(idempotency_key.as_deref());
        js(self.0.book(booking.0.clone(), options)).map(NativeBookOutcome::from)
    }

    /// Place the hold `id` on `resources` over `[start, end)` at `now`, lapsing
    /// at `expires` or after `length` minutes (exactly one of the two).
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn hold(
        &mut self,
        id: String,
        resources: Vec<String>,
        start: InstantArg,
        end: InstantArg,
        now: InstantArg,
        expires: Option<InstantArg>,
        length: Option<f64>,
    ) -> Result<NativeBookOutcome> {
        let request = Request::new(resources, interval(&start, &end)?);
        let now = instant(&now, "now")?;
        let options = match (expires, length) {
            (Some(e), None) => HoldOptions::new(now, instant(&e, "expires")?),
            (None, Some(l)) => js(HoldOptions::lasting(now, minutes(l, "length")?))?,
            _ => {
                return Err(crate::to_js(&Error::new(
                    ErrorCode::InvalidRequest,
                    "give exactly one of expires (an instant) and length (minutes) for a hold",
                )));
            }
        };
        js(self.0.hold(&id, &request, options)).map(NativeBookOutcome::from)
    }

    /// Turn the live hold `id` into a booking at `now`, checked against
    /// everything but the hold itself in the same step.
    #[napi]
    pub fn confirm_hold(&mut self, id: String, now: InstantArg) -> Result<NativeBookOutcome> {
        let now = instant(&now, "now")?;
        js(self.0.confirm_hold(&id, now)).map(NativeBookOutcome::from)
    }

    /// Reschedule the booking `id` to `new`: book `new` (replacing `id`) and
    /// cancel `id` with `reason`, or change nothing when `new` conflicts.
    #[napi]
    pub fn reschedule(
        &mut self,
        id: String,
        new: &NativeBooking,
        now: InstantArg,
        reason: String,
    ) -> Result<NativeBookOutcome> {
        let options = RescheduleOptions::new(instant(&now, "now")?, &reason);
        js(self.0.reschedule(&id, new.0.clone(), options)).map(NativeBookOutcome::from)
    }

    /// Move the booking `id` to `[start, end)` (same resources, same id),
    /// checked against everything but itself at `now`.
    #[napi]
    pub fn move_booking(
        &mut self,
        id: String,
        start: InstantArg,
        end: InstantArg,
        now: InstantArg,
    ) -> Result<NativeBookOutcome> {
        let to = interval(&start, &end)?;
        let now = instant(&now, "now")?;
        js(self.0.move_booking(&id, to, now)).map(NativeBookOutcome::from)
    }

    /// The bookings that block `resource` at `now` and overlap
    /// `[start, end)`, by start.
    #[napi]
    pub fn blocking_on(
        &self,
        resource: String,
        start: InstantArg,
        end: InstantArg,
        now: InstantArg,
    ) -> Result<Vec<NativeBooking>> {
        let window = interval(&start, &end)?;
        let now = instant(&now, "now")?;
        Ok(self
            .0
            .blocking_on(&resource, &window, now)
            .into_iter()
            .cloned()
            .map(NativeBooking)
            .collect())
    }

    /// Forget every idempotency key first used at or before `now` less the TTL.
    #[napi]
    pub fn expire_idempotency_keys(&mut self, now: InstantArg) -> Result<()> {
        self.0.expire_idempotency_keys(instant(&now, "now")?);
        Ok(())
    }

    /// How many idempotency keys the ledger remembers.
    #[napi]
    pub fn idempotency_keys(&self) -> u32 {
        u32::try_from(self.0.idempotency_keys()).unwrap_or(u32::MAX)
    }
}

/// How long an idempotency key is remembered after its first use, in
/// seconds (`hcas_core::booking::IDEMPOTENCY_TTL`).
#[napi]
pub fn idempotency_ttl_seconds() -> i64 {
    hcas_core::booking::IDEMPOTENCY_TTL
}

/// The wire names of every booking status, in the engine's order.
#[napi]
pub fn statuses() -> Vec<String> {
    Status::ALL.iter().map(|s| s.as_str().to_string()).collect()
}
