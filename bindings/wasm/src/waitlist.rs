//! The waitlist (`hcas_core::waitlist`), behind the package's `Waitlist` and
//! `makeHold` with the napi addon's names (`NativeWaitlist`,
//! `makeHoldBooking`). Argument extraction and error mapping only: the engine
//! decides which entry a freed slot is offered to; the answers' shapes are
//! `hcas_js_shapes::waitlist`'s, shared with the napi addon.

use hcas_core::waitlist::{Offer, Preferences, WaitEntry, Waitlist, make_hold};
use hcas_core::{ErrorCode, Interval};
use hcas_js_shapes::waitlist as shapes;
use wasm_bindgen::prelude::*;

use crate::booking::{NativeBooking, NativeLedger};
use crate::typed::{instant, minutes};
use crate::{Result, error, field, js, number_field, required_string, to_plain};

/// The instant field `name` of `obj`, required, named `at` in errors.
fn instant_field(obj: &JsValue, name: &str, at: &str) -> Result<hcas_core::Timestamp> {
    match field(obj, name)? {
        Some(v) => instant(&v, at),
        None => Err(error(
            ErrorCode::InvalidDatetime,
            format!("{at}: missing (give epoch milliseconds or an ISO 8601 string)"),
        )),
    }
}

/// One entry, or `null`, as a plain object.
fn entry_out(e: Option<&WaitEntry>) -> Result<JsValue> {
    match e {
        Some(e) => to_plain(&shapes::wait_entry(e)),
        None => Ok(JsValue::NULL),
    }
}

/// Entries as an array of plain objects.
fn entries_out(items: &[WaitEntry]) -> Result<JsValue> {
    to_plain(&items.iter().map(shapes::wait_entry).collect::<Vec<_>>())
}

/// Waiting patients, kept in serving order: by `created`, then by `id`.
#[wasm_bindgen]
#[derive(Default)]
pub struct NativeWaitlist(Waitlist);

#[wasm_bindgen]
impl NativeWaitlist {
    /// An empty waitlist.
    #[wasm_bindgen(constructor)]
    pub fn new() -> NativeWaitlist {
        Self::default()
    }

    /// The number of entries.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Add an entry `{ id, patient, provider, windowStart, windowEnd,
    /// minDurationMinutes, created }` in its place in the serving order; a
    /// reused id is `invalid_request`.
    pub fn add(&mut self, entry: &JsValue) -> Result<()> {
        let window = js(Interval::new(
            instant_field(entry, "windowStart", "window.start")?,
            instant_field(entry, "windowEnd", "window.end")?,
        )
        .map_err(|e| e.at("window")))?;
        let mut preferences = Preferences::new();
        let at = "preferences.minDurationMinutes";
        if let Some(m) = number_field(entry, "minDurationMinutes", at, ErrorCode::InvalidDuration)?
        {
            preferences = preferences.min_duration(minutes(m, at)?);
        }
        let built = WaitEntry::builder(required_string(entry, "id", "id")?)
            .patient(required_string(entry, "patient", "patient")?)
            .provider(required_string(entry, "provider", "provider")?)
            .window(window)
            .preferences(preferences)
            .created(instant_field(entry, "created", "created")?)
            .build();
        js(self.0.add(js(built)?))
    }

    /// The entry with this id, or `null`.
    pub fn get(&self, id: &str) -> Result<JsValue> {
        entry_out(self.0.get(id))
    }

    /// Remove and return the entry with this id (`null` if none).
    pub fn remove(&mut self, id: &str) -> Result<JsValue> {
        entry_out(self.0.remove(id).as_ref())
    }

    /// The entries in serving order.
    pub fn entries(&self) -> Result<JsValue> {
        entries_out(self.0.entries())
    }

    /// Remove every entry whose window has ended by `now`; they are
    /// returned in serving order.
    #[wasm_bindgen(js_name = removeExpired)]
    pub fn remove_expired(&mut self, now: &JsValue) -> Result<JsValue> {
        let now = instant(now, "now")?;
        entries_out(&self.0.remove_expired(now))
    }

    /// The offer of the slot `freed` leaves to the first entry in serving
    /// order that wants it and can have it at `now`, held `hold_minutes`;
    /// `null` when none qualifies or the slot has started.
    pub fn offer(
        &self,
        freed: &NativeBooking,
        ledger: &NativeLedger,
        now: &JsValue,
        hold_minutes: f64,
    ) -> Result<JsValue> {
        let now = instant(now, "now")?;
        let hold = minutes(hold_minutes, "holdMinutes")?;
        match js(self.0.offer(&freed.0, &ledger.0, now, hold))? {
            Some(o) => to_plain(&shapes::offer(o)),
            None => Ok(JsValue::NULL),
        }
    }
}

/// The `held` booking `id` that reserves `offer` (`{ entryId, patient,
/// start, end, holdExpires }`) for its patient with `provider` until the
/// offer lapses (`hcas_core::waitlist::make_hold`).
#[wasm_bindgen(js_name = makeHoldBooking)]
pub fn make_hold_booking(offer: &JsValue, provider: &str, id: String) -> Result<NativeBooking> {
    let parsed = Offer::new(
        required_string(offer, "entryId", "offer.entryId")?,
        required_string(offer, "patient", "offer.patient")?,
        instant_field(offer, "start", "offer.start")?,
        instant_field(offer, "end", "offer.end")?,
        instant_field(offer, "holdExpires", "offer.holdExpires")?,
    );
    let hold = make_hold(&parsed, provider, id);
    js(hold.validate())?;
    Ok(NativeBooking(hold))
}
