//! The typed level's classes, wrapped by the package's `Zone`, `Recurrence`
//! and `Availability` (bindings/node/index.js through js/adapter.js), with
//! the napi addon's conventions: an instant arrives as epoch milliseconds (a
//! number; sub-seconds are truncated to the second, towards the past) or as
//! an ISO 8601 instant string; wall times are local ISO strings
//! (`2026-03-07T02:30`); instants go back as ISO strings in UTC, one per line
//! in one string, or in bulk as a `Float64Array` of epoch milliseconds.
//! Conversions only: every answer is the engine's.

use std::sync::Arc;

use hcas_core::time::parse_local_datetime;
use hcas_core::{
    Availability, ErrorCode, Minutes, PooledSlots, Recurrence, SlotQuery, Timestamp, Zone,
};
use hcas_js_shapes::time::{self, epoch_ms, iso};
use wasm_bindgen::prelude::*;

use crate::{Result, error, js, to_js};

/// An instant argument named `name`: epoch milliseconds or an ISO string
/// (`hcas_js_shapes::time`'s rules, shared with the napi addon).
pub(crate) fn instant(v: &JsValue, name: &str) -> Result<Timestamp> {
    if let Some(ms) = v.as_f64() {
        return js(time::instant_ms(ms, name));
    }
    match v.as_string() {
        Some(text) => js(time::instant_text(&text, name)),
        None => Err(error(
            ErrorCode::InvalidDatetime,
            format!("{name}: not an instant (give epoch milliseconds or an ISO 8601 string)"),
        )),
    }
}

/// Whole minutes named `name`: a fraction or a non-finite number is
/// `invalid_duration` (the engine's checks of sign and size come later).
pub(crate) fn minutes(v: f64, name: &str) -> Result<Minutes> {
    js(time::minutes(v, name))
}

/// An IANA time zone of the engine's embedded tz database.
#[wasm_bindgen]
pub struct NativeZone(Zone);

#[wasm_bindgen]
impl NativeZone {
    /// The zone named `name` (`Europe/London`).
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str) -> Result<NativeZone> {
        js(Zone::parse(name)).map(Self)
    }

    /// The IANA name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.name().to_string()
    }

    /// The UTC offset in force at the instant `at`, in seconds east of UTC.
    #[wasm_bindgen(js_name = offsetAt)]
    pub fn offset_at(&self, at: &JsValue) -> Result<i32> {
        Ok(self.0.offset_at(instant(at, "at")?))
    }

    /// The wall time at the instant `at`, as `YYYY-MM-DDTHH:MM:SS`.
    #[wasm_bindgen(js_name = toLocal)]
    pub fn to_local(&self, at: &JsValue) -> Result<String> {
        let local = self.0.to_local(instant(at, "at")?);
        Ok(local.format("%Y-%m-%dT%H:%M:%S").to_string())
    }

    /// The instant of the wall time `local`: in a DST gap it moves forward by
    /// the gap, in a fold it takes the earlier instant (RFC 5545).
    pub fn resolve(&self, local: &str) -> Result<String> {
        let l = js(parse_local_datetime(local).map_err(|e| e.at("local")))?;
        Ok(self.0.resolve(l).to_string())
    }
}

/// A recurrence set: an RRULE from a wall-time `dtstart` in a zone, with
/// EXDATEs and RDATEs (wall times).
#[wasm_bindgen]
pub struct NativeRecurrence(pub(crate) Arc<Recurrence>);

#[wasm_bindgen]
impl NativeRecurrence {
    /// Parse and check the parts (errors name the offending argument).
    #[wasm_bindgen(constructor)]
    pub fn new(
        rrule: &str,
        dtstart: &str,
        zone: &str,
        exdates: Vec<String>,
        rdates: Vec<String>,
    ) -> Result<NativeRecurrence> {
        js(hcas_js_shapes::typed::recurrence(
            rrule, dtstart, zone, &exdates, &rdates,
        ))
        .map(|r| Self(Arc::new(r)))
    }

    /// The rule as normalised RRULE text.
    #[wasm_bindgen(getter)]
    pub fn rrule(&self) -> String {
        self.0.rule().to_string()
    }

    /// Every occurrence in `[start, end)`, ascending, at most `limit`.
    fn occurrences(
        &self,
        start: &JsValue,
        end: &JsValue,
        limit: Option<u32>,
    ) -> Result<Vec<Timestamp>> {
        let from = instant(start, "start")?;
        let to = instant(end, "end")?;
        js(self.0.between(from, to, limit.map(|l| l as usize)))
    }

    /// Every occurrence `t` with `start <= t < end`, ascending, at most
    /// `limit` of them, as ISO strings in UTC, one per line.
    pub fn between(&self, start: &JsValue, end: &JsValue, limit: Option<u32>) -> Result<String> {
        Ok(iso(&self.occurrences(start, end, limit)?))
    }

    /// As `between`, as epoch milliseconds (a `Float64Array`).
    #[wasm_bindgen(js_name = betweenEpochMs)]
    pub fn between_epoch_ms(
        &self,
        start: &JsValue,
        end: &JsValue,
        limit: Option<u32>,
    ) -> Result<Vec<f64>> {
        Ok(epoch_ms(&self.occurrences(start, end, limit)?))
    }
}

/// The options of a slot query as the wrapper passes them: an object with
/// `step`, `bufferBefore`, `bufferAfter`, `minNotice`, `horizon` (minutes)
/// and `now` (an instant), each possibly `undefined`; `undefined` or `null`
/// for none.
pub(crate) fn slot_query(
    start: &JsValue,
    end: &JsValue,
    duration: f64,
    options: &JsValue,
) -> Result<SlotQuery> {
    let mut query = SlotQuery::new(
        instant(start, "start")?,
        instant(end, "end")?,
        minutes(duration, "duration")?,
    );
    if !options.is_undefined() && !options.is_null() {
        let field = |name: &str| -> Result<Option<JsValue>> {
            let v = js_sys::Reflect::get(options, &JsValue::from_str(name))?;
            Ok(if v.is_undefined() || v.is_null() {
                None
            } else {
                Some(v)
            })
        };
        let mins = |name: &str| -> Result<Option<Minutes>> {
            match field(name)? {
                None => Ok(None),
                Some(v) => match v.as_f64() {
                    Some(n) => minutes(n, name).map(Some),
                    None => Err(error(
                        ErrorCode::InvalidDuration,
                        format!("{name}: not a number of minutes"),
                    )),
                },
            }
        };
        let zero = Minutes::new(0);
        query.step = mins("step")?;
        query.buffer_before = mins("bufferBefore")?.unwrap_or(zero);
        query.buffer_after = mins("bufferAfter")?.unwrap_or(zero);
        query.now = field("now")?.map(|v| instant(&v, "now")).transpose()?;
        query.min_notice = mins("minNotice")?.unwrap_or(zero);
        query.horizon = mins("horizon")?;
    }
    js(query.validate())?;
    Ok(query)
}

/// A provider's availability: working rules, date overrides and busy
/// intervals in a zone.
#[wasm_bindgen]
pub struct NativeAvailability(pub(crate) Arc<Availability>);

#[wasm_bindgen]
impl NativeAvailability {
    /// `rules_json` and `overrides_json` are JSON text of the `slots` input's
    /// `rules` and `overrides` (docs/vectors.md); `busy` is the busy
    /// intervals' instants as a flat list `[start0, end0, start1, end1, ...]`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        zone: &str,
        rules_json: &str,
        overrides_json: &str,
        busy: Vec<JsValue>,
    ) -> Result<NativeAvailability> {
        let built = hcas_js_shapes::typed::availability(
            zone,
            rules_json,
            overrides_json,
            &busy,
            instant,
            |e| to_js(&e),
        )?;
        Ok(Self(Arc::new(built)))
    }

    /// The offered slot starts in `[start, end)` for `duration` minutes, as
    /// ISO strings in UTC, one per line.
    pub fn slots(
        &self,
        start: &JsValue,
        end: &JsValue,
        duration: f64,
        options: &JsValue,
    ) -> Result<String> {
        let query = slot_query(start, end, duration, options)?;
        Ok(iso(&js(self.0.slots(&query))?))
    }

    /// As `slots`, as epoch milliseconds (a `Float64Array`).
    #[wasm_bindgen(js_name = slotsEpochMs)]
    pub fn slots_epoch_ms(
        &self,
        start: &JsValue,
        end: &JsValue,
        duration: f64,
        options: &JsValue,
    ) -> Result<Vec<f64>> {
        let query = slot_query(start, end, duration, options)?;
        Ok(epoch_ms(&js(self.0.slots(&query))?))
    }
}

/// The providers of a pooled query, gathered one at a time (a JS array of
/// exported objects cannot be borrowed in one call); the availabilities are
/// shared, not copied.
#[wasm_bindgen]
#[derive(Default)]
pub struct NativePool(Vec<Arc<Availability>>);

#[wasm_bindgen]
impl NativePool {
    /// An empty pool.
    #[wasm_bindgen(constructor)]
    pub fn new() -> NativePool {
        Self::default()
    }

    /// Add a provider; its index is the number added before it.
    pub fn add(&mut self, provider: &NativeAvailability) {
        self.0.push(Arc::clone(&provider.0));
    }

    /// Pooled slots (`hcas_core::pooled_slots`): the query of `slots` over
    /// the providers added, each start with the indexes of the providers
    /// free at it.
    pub fn slots(
        &self,
        start: &JsValue,
        end: &JsValue,
        duration: f64,
        options: &JsValue,
    ) -> Result<NativePooled> {
        let query = slot_query(start, end, duration, options)?;
        js(hcas_core::pooled_slots(&self.0, &query)).map(NativePooled)
    }
}

/// A pooled answer: start `i` is offered by the providers
/// `members[offsets[i]..offsets[i + 1]]`.
#[wasm_bindgen]
pub struct NativePooled(PooledSlots);

#[wasm_bindgen]
impl NativePooled {
    /// The distinct starts, ascending, as ISO strings in UTC, one per line.
    #[wasm_bindgen(js_name = startsIso)]
    pub fn starts_iso(&self) -> String {
        iso(self.0.starts())
    }

    /// The distinct starts, ascending, as epoch milliseconds.
    #[wasm_bindgen(js_name = startsEpochMs)]
    pub fn starts_epoch_ms(&self) -> Vec<f64> {
        epoch_ms(self.0.starts())
    }

    /// One more entry than the starts: where each start's members begin.
    pub fn offsets(&self) -> Result<Vec<u32>> {
        let mut offsets = Vec::with_capacity(self.0.len() + 1);
        offsets.push(0);
        let mut end = 0usize;
        for (_, m) in self.0.iter() {
            end += m.len();
            // The engine counts its members in u32 too, so this always fits.
            offsets.push(u32::try_from(end).map_err(|_| {
                error(
                    ErrorCode::LimitExceeded,
                    "a pooled answer holds more than 2^32 (start, provider) pairs".to_string(),
                )
            })?);
        }
        Ok(offsets)
    }

    /// Provider indexes, each start's ascending.
    pub fn members(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for (_, m) in self.0.iter() {
            out.extend_from_slice(m);
        }
        out
    }
}
