//! The bookings ledger, its conflict check and its atomic operations (book
//! with an idempotency key, hold, confirm, reschedule, move) of
//! `hcas_core::booking`, behind the package's `Booking` and `Ledger`
//! (bindings/node/index.js through js/adapter.js), with the napi addon's
//! names and shapes (bindings/node/src/booking.rs). Conversions only:
//! statuses are the engine's wire names (`"checked-in"`), instants go in as
//! epoch milliseconds or ISO strings and come back as ISO strings in UTC.
//!
//! A list of bookings reaches here as a [`NativeBookingList`] the adapter
//! fills (a JS array of exported objects can only be moved, not borrowed).

use hcas_core::booking::{
    BookOptions, BookOutcome, Booking, CheckOptions, HoldOptions, Ledger, Request,
    RescheduleOptions, SeriesRef, Status,
};
use hcas_core::{ErrorCode, Interval};
use hcas_js_shapes::series as shapes;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::typed::{instant, minutes};
use crate::{Result, error, field, js, object, string_field, to_plain};

/// `[start, end)` from two instant arguments.
pub(crate) fn interval(start: &JsValue, end: &JsValue) -> Result<Interval> {
    js(Interval::new(
        instant(start, "start")?,
        instant(end, "end")?,
    ))
}

/// A series reference as the package answers it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SeriesRefOut<'a> {
    id: &'a str,
    recurrence_id: &'a str,
}

/// A series reference `{ id, recurrenceId }` named `at`.
pub(crate) fn series_ref(v: &JsValue, at: &str) -> Result<SeriesRef> {
    let id = crate::required_string(v, "id", &format!("{at}.id"))?;
    let rid = crate::required_string(v, "recurrenceId", &format!("{at}.recurrenceId"))?;
    Ok(SeriesRef::new(id, rid))
}

/// One booking: an id, the resources it uses (`"provider:P1"`), `[start,
/// end)`, its status (`booked` by default) and, for a hold, when it lapses;
/// for a series occurrence its series, why it was cancelled, and the
/// bookings it replaces or was replaced by.
#[wasm_bindgen]
pub struct NativeBooking(pub(crate) Booking);

#[wasm_bindgen]
impl NativeBooking {
    /// Build and check a booking (`Booking::build`): errors name the field.
    /// `links` is `{ series, cancelReason, replaces, replacedBy }`, each
    /// optional (`undefined` for none).
    #[wasm_bindgen(constructor)]
    pub fn new(
        id: String,
        resources: Vec<String>,
        start: &JsValue,
        end: &JsValue,
        status: Option<String>,
        hold_expires: &JsValue,
        links: &JsValue,
    ) -> Result<NativeBooking> {
        let mut b = Booking::new(id, resources, interval(start, end)?);
        if let Some(s) = status {
            b = b.status(js(Status::parse(&s).map_err(|e| e.at("status")))?);
        }
        if !hold_expires.is_undefined() && !hold_expires.is_null() {
            b = b.hold_until(instant(hold_expires, "holdExpires")?);
        }
        if let Some(s) = field(links, "series")? {
            b = b.series(series_ref(&s, "series")?);
        }
        if let Some(r) = string_field(links, "cancelReason", "cancelReason")? {
            b = b.cancel_reason(r);
        }
        if let Some(id) = string_field(links, "replaces", "replaces")? {
            b = b.replaces(id);
        }
        if let Some(id) = string_field(links, "replacedBy", "replacedBy")? {
            b = b.replaced_by(id);
        }
        js(b.build()).map(Self)
    }

    /// The booking's id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// The resources it uses, as given.
    #[wasm_bindgen(getter)]
    pub fn resources(&self) -> Vec<String> {
        self.0.resources.clone()
    }

    /// Its start, an ISO string in UTC.
    #[wasm_bindgen(getter)]
    pub fn start(&self) -> String {
        self.0.start.to_string()
    }

    /// Its end, an ISO string in UTC.
    #[wasm_bindgen(getter)]
    pub fn end(&self) -> String {
        self.0.end.to_string()
    }

    /// Its status's wire name (`"booked"`, `"held"`, `"checked-in"`, ...).
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> String {
        self.0.status.as_str().to_string()
    }

    /// For a hold: when it lapses (ISO string in UTC); else `undefined`.
    #[wasm_bindgen(getter, js_name = holdExpires)]
    pub fn hold_expires(&self) -> Option<String> {
        self.0.hold_expires.map(|t| t.to_string())
    }

    /// Whether it occupies its resources at the instant `now` (a hold only
    /// until it lapses).
    pub fn blocks(&self, now: &JsValue) -> Result<bool> {
        Ok(self.0.blocks(instant(now, "now")?))
    }

    /// The series occurrence it is (`{ id, recurrenceId }`), or `null`.
    #[wasm_bindgen(getter)]
    pub fn series(&self) -> Result<JsValue> {
        match &self.0.series {
            None => Ok(JsValue::NULL),
            Some(s) => to_plain(&SeriesRefOut {
                id: &s.id,
                recurrence_id: &s.recurrence_id,
            }),
        }
    }

    /// Why it was cancelled (or entered in error), or `undefined`.
    #[wasm_bindgen(getter, js_name = cancelReason)]
    pub fn cancel_reason(&self) -> Option<String> {
        self.0.cancel_reason.clone()
    }

    /// The id of the booking it replaces (a reschedule), or `undefined`.
    #[wasm_bindgen(getter)]
    pub fn replaces(&self) -> Option<String> {
        self.0.replaces.clone()
    }

    /// The id of the booking that replaced it (a reschedule), or `undefined`.
    #[wasm_bindgen(getter, js_name = replacedBy)]
    pub fn replaced_by(&self) -> Option<String> {
        self.0.replaced_by.clone()
    }

    /// Whether `other` asks for the same interval and resources.
    #[wasm_bindgen(js_name = sameRequest)]
    pub fn same_request(&self, other: &NativeBooking) -> bool {
        self.0.same_request(&other.0)
    }
}

/// Bookings gathered one at a time by the adapter (copies).
#[wasm_bindgen]
#[derive(Default)]
pub struct NativeBookingList(pub(crate) Vec<Booking>);

#[wasm_bindgen]
impl NativeBookingList {
    /// An empty list.
    #[wasm_bindgen(constructor)]
    pub fn new() -> NativeBookingList {
        Self::default()
    }

    /// Add a copy of `booking`.
    pub fn add(&mut self, booking: &NativeBooking) {
        self.0.push(booking.0.clone());
    }
}

/// What a booking operation did, as the plain object
/// `{ kind, booking, conflicts }` of the napi addon: `kind` is `booked`,
/// `existing` or `conflict`; `booking` a [`NativeBooking`] or `null`.
fn outcome(o: BookOutcome) -> Result<JsValue> {
    let (kind, booking, cs) = match o {
        BookOutcome::Booked(b) => ("booked", NativeBooking(b).into(), Vec::new()),
        BookOutcome::Existing(b) => ("existing", NativeBooking(b).into(), Vec::new()),
        BookOutcome::Conflict(cs) => ("conflict", JsValue::NULL, shapes::conflicts(cs)),
    };
    object(&[
        ("kind", JsValue::from_str(kind)),
        ("booking", booking),
        ("conflicts", to_plain(&cs)?),
    ])
}

/// A resource capacity: a whole number from 1 to 2^32 - 1.
fn capacity_arg(v: f64) -> Result<u32> {
    if v.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&v) {
        return Err(error(
            ErrorCode::InvalidRequest,
            format!("capacity: {v} is not a whole number of bookings (give at least 1)"),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(v as u32)
}

/// The bookings ledger: bookings indexed by resource, capacities (1 unless
/// set), the conflict check and the atomic booking operations.
#[wasm_bindgen]
#[derive(Default)]
pub struct NativeLedger(pub(crate) Ledger);

#[wasm_bindgen]
impl NativeLedger {
    /// An empty ledger.
    #[wasm_bindgen(constructor)]
    pub fn new() -> NativeLedger {
        Self::default()
    }

    /// The number of bookings.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Add a booking without a conflict check; a duplicate id is
    /// `invalid_request`.
    pub fn insert(&mut self, booking: &NativeBooking) -> Result<()> {
        js(self.0.insert(booking.0.clone()))
    }

    /// The booking with this id, or `undefined`.
    pub fn get(&self, id: &str) -> Option<NativeBooking> {
        self.0.get(id).cloned().map(NativeBooking)
    }

    /// Take the booking with this id out of the ledger (`undefined` if none).
    pub fn remove(&mut self, id: &str) -> Option<NativeBooking> {
        self.0.remove(id).map(NativeBooking)
    }

    /// Every booking, ordered by start, then id.
    pub fn bookings(&self) -> Vec<NativeBooking> {
        let mut all: Vec<Booking> = self.0.bookings().cloned().collect();
        all.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        all.into_iter().map(NativeBooking).collect()
    }

    /// Let `capacity` bookings overlap on `resource` (at least 1).
    #[wasm_bindgen(js_name = setCapacity)]
    pub fn set_capacity(&mut self, resource: &str, capacity: f64) -> Result<()> {
        js(self.0.set_capacity(resource, capacity_arg(capacity)?))
    }

    /// The capacity of `resource` (1 unless set).
    pub fn capacity(&self, resource: &str) -> u32 {
        self.0.capacity(resource)
    }

    /// The conflicts that stand in the way of booking `resources` over
    /// `[start, end)` at `now`: `[{ resource, bookings }]`. `exclude`: a
    /// booking id to ignore; `extra`: bookings to count as if they were in
    /// the ledger (the adapter's `check` fills it).
    #[wasm_bindgen(js_name = checkList)]
    pub fn check_list(
        &self,
        resources: Vec<String>,
        start: &JsValue,
        end: &JsValue,
        now: &JsValue,
        exclude: Option<String>,
        extra: &NativeBookingList,
    ) -> Result<JsValue> {
        let request = Request::new(resources, interval(start, end)?);
        let now = instant(now, "now")?;
        let mut options = CheckOptions::at(now).extra(&extra.0);
        if let Some(id) = exclude.as_deref() {
            options = options.exclude(id);
        }
        let check = js(self.0.check_with(&request, options))?;
        to_plain(&shapes::conflicts(check.conflicts))
    }

    /// Book atomically at `now`: check, then insert only when free, with an
    /// optional idempotency key. `{ kind, booking, conflicts }`.
    pub fn book(
        &mut self,
        booking: &NativeBooking,
        now: &JsValue,
        idempotency_key: Option<String>,
    ) -> Result<JsValue> {
        let options =
            BookOptions::at(instant(now, "now")?).idempotency_key(idempotency_key.as_deref());
        outcome(js(self.0.book(booking.0.clone(), options))?)
    }

    /// Place the hold `id` on `resources` over `[start, end)` at `now`,
    /// lapsing at `expires` or after `length` minutes (exactly one).
    #[allow(clippy::too_many_arguments)]
    pub fn hold(
        &mut self,
        id: &str,
        resources: Vec<String>,
        start: &JsValue,
        end: &JsValue,
        now: &JsValue,
        expires: &JsValue,
        length: Option<f64>,
    ) -> Result<JsValue> {
        let request = Request::new(resources, interval(start, end)?);
        let now = instant(now, "now")?;
        let given = !expires.is_undefined() && !expires.is_null();
        let options = match (given, length) {
            (true, None) => HoldOptions::new(now, instant(expires, "expires")?),
            (false, Some(l)) => js(HoldOptions::lasting(now, minutes(l, "length")?))?,
            _ => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    "give exactly one of expires (an instant) and length (minutes) for a hold"
                        .to_string(),
                ));
            }
        };
        outcome(js(self.0.hold(id, &request, options))?)
    }

    /// Turn the live hold `id` into a booking at `now`.
    #[wasm_bindgen(js_name = confirmHold)]
    pub fn confirm_hold(&mut self, id: &str, now: &JsValue) -> Result<JsValue> {
        let now = instant(now, "now")?;
        outcome(js(self.0.confirm_hold(id, now))?)
    }

    /// Reschedule the booking `id` to `new` (cancelling `id` with `reason`),
    /// or change nothing when `new` conflicts.
    pub fn reschedule(
        &mut self,
        id: &str,
        new: &NativeBooking,
        now: &JsValue,
        reason: &str,
    ) -> Result<JsValue> {
        let options = RescheduleOptions::new(instant(now, "now")?, reason);
        outcome(js(self.0.reschedule(id, new.0.clone(), options))?)
    }

    /// Move the booking `id` to `[start, end)` (same resources, same id).
    #[wasm_bindgen(js_name = moveBooking)]
    pub fn move_booking(
        &mut self,
        id: &str,
        start: &JsValue,
        end: &JsValue,
        now: &JsValue,
    ) -> Result<JsValue> {
        let to = interval(start, end)?;
        let now = instant(now, "now")?;
        outcome(js(self.0.move_booking(id, to, now))?)
    }

    /// The bookings that block `resource` at `now` and overlap
    /// `[start, end)`, by start.
    #[wasm_bindgen(js_name = blockingOn)]
    pub fn blocking_on(
        &self,
        resource: &str,
        start: &JsValue,
        end: &JsValue,
        now: &JsValue,
    ) -> Result<Vec<NativeBooking>> {
        let window = interval(start, end)?;
        let now = instant(now, "now")?;
        Ok(self
            .0
            .blocking_on(resource, &window, now)
            .into_iter()
            .cloned()
            .map(NativeBooking)
            .collect())
    }

    /// Forget every idempotency key first used at or before `now` less the TTL.
    #[wasm_bindgen(js_name = expireIdempotencyKeys)]
    pub fn expire_idempotency_keys(&mut self, now: &JsValue) -> Result<()> {
        self.0.expire_idempotency_keys(instant(now, "now")?);
        Ok(())
    }

    /// How many idempotency keys the ledger remembers.
    #[wasm_bindgen(js_name = idempotencyKeys)]
    pub fn idempotency_keys(&self) -> u32 {
        u32::try_from(self.0.idempotency_keys()).unwrap_or(u32::MAX)
    }
}
