//! Why a start is or is not offered, and the nearest free alternatives
//! (`hcas_core::advice`), behind the package's `Availability#explain`,
//! `Availability#explainWithLedger`, `alternatives` and `alternativesAsync`,
//! with the napi addon's names and shapes (bindings/node/src/advice.rs).
//! Conversions only.
//!
//! An explanation goes back as JSON text the wrapper freezes: instants as
//! ISO strings in UTC, intervals as `{ start, end }`, the grid step in
//! minutes, and the package's names for the fields (a conflict's bookings are
//! `bookings`, the engine's `local_date` and `override_date` are `localDate`
//! and `overrideDate`). The JSON building below is the napi addon's, line
//! for line: the two bindings must answer the same text.

use hcas_core::advice::{
    self, AlternativeSearch, Alternatives, Explanation, LedgerContext, Reason,
};
use hcas_core::booking::Request;
use hcas_core::{ErrorCode, Interval};
use serde_json::{Map, Value, json};
use wasm_bindgen::prelude::*;

use crate::booking::NativeLedger;
use crate::typed::{NativeAvailability, instant, iso, minutes, slot_query};
use crate::{Result, error, field, js, number_field, object};

/// `[start, end)` as `{ start, end }` of ISO strings.
fn interval(iv: &Interval) -> Value {
    json!({ "start": iv.start().to_string(), "end": iv.end().to_string() })
}

/// One reason as the package's object: `reason` (the engine's wire name)
/// and the fields that reason carries.
fn reason(r: &Reason) -> Value {
    let engine = serde_json::to_value(r).unwrap_or(Value::Null);
    let name = engine.get("reason").cloned().unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("reason".to_string(), name);
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    match r {
        Reason::OutsideQuery { from, to } => {
            put("from", from.to_string().into());
            put("to", to.to_string().into());
        }
        Reason::BeforeNotice { earliest } => put("earliest", earliest.to_string().into()),
        Reason::BeyondHorizon { latest } => put("latest", latest.to_string().into()),
        Reason::OutsideWorkingHours {
            local_date,
            override_date,
            nearest,
        } => {
            put("localDate", local_date.to_string().into());
            put("overrideDate", (*override_date).into());
            put("nearest", nearest.iter().map(interval).collect());
        }
        Reason::DoesNotFit { window } => put("window", interval(window)),
        Reason::OffGrid {
            window,
            step,
            previous,
            next,
        } => {
            put("window", interval(window));
            put("step", step.get().into());
            put("previous", previous.to_string().into());
            put("next", next.to_string().into());
        }
        Reason::Busy { interval: iv } | Reason::Buffer { interval: iv } => {
            put("interval", interval(iv));
        }
        Reason::Conflict(c) => {
            put("resource", c.resource.clone().into());
            put("bookings", c.with.clone().into());
        }
        // A reason this binding does not know yet: the engine's own shape.
        _ => return engine,
    }
    Value::Object(out)
}

/// An explanation as JSON text of `{ start, offered, reasons }`.
fn explanation(why: &Explanation) -> String {
    let reasons: Vec<Value> = why.reasons.iter().map(reason).collect();
    json!({ "start": why.start.to_string(), "offered": why.offered, "reasons": reasons })
        .to_string()
}

/// Why `at` is or is not among `availability`'s slots for the query of
/// `slots`: JSON text of `{ start, offered, reasons }`.
#[wasm_bindgen(js_name = explainJson)]
pub fn explain_json(
    availability: &NativeAvailability,
    at: &JsValue,
    start: &JsValue,
    end: &JsValue,
    duration: f64,
    options: &JsValue,
) -> Result<String> {
    let query = slot_query(start, end, duration, options)?;
    let at = instant(at, "at")?;
    Ok(explanation(&js(availability.0.explain(at, &query))?))
}

/// As [`explain_json`], adding the conflicts `ledger` has at `now` for the
/// `resources` the appointment would use (`conflict` reasons).
#[wasm_bindgen(js_name = explainWithLedgerJson)]
#[allow(clippy::too_many_arguments)]
pub fn explain_with_ledger_json(
    availability: &NativeAvailability,
    ledger: &NativeLedger,
    resources: Vec<String>,
    now: &JsValue,
    at: &JsValue,
    start: &JsValue,
    end: &JsValue,
    duration: f64,
    options: &JsValue,
) -> Result<String> {
    let query = slot_query(start, end, duration, options)?;
    let at = instant(at, "at")?;
    let now = instant(now, "now")?;
    let context = LedgerContext::new(&ledger.0, &resources, now);
    Ok(explanation(&js(advice::explain_with_ledger(
        &availability.0,
        &context,
        at,
        &query,
    ))?))
}

/// Alternatives as the plain `{ before, after }`: ISO strings in UTC, one
/// per line (the wrapper splits them).
pub(crate) fn alternatives_out(a: &Alternatives) -> Result<JsValue> {
    object(&[
        ("before", JsValue::from_str(&iso(&a.before))),
        ("after", JsValue::from_str(&iso(&a.after))),
    ])
}

/// The search `{ now, count, step, searchDays }` of an `alternatives` call
/// (also `SeriesSpec#addAlternatives`'s).
pub(crate) fn alternative_search(search: &JsValue) -> Result<AlternativeSearch> {
    let now = field(search, "now")?.unwrap_or(JsValue::UNDEFINED);
    let count = number_field(search, "count", "count", ErrorCode::InvalidRequest)?.unwrap_or(-1.0);
    if count.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&count) {
        return Err(error(
            ErrorCode::InvalidRequest,
            format!("count: {count} is not a whole number of starts (give at least 1)"),
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let mut s = AlternativeSearch::new(instant(&now, "now")?, count as usize);
    if let Some(step) = number_field(search, "step", "step", ErrorCode::InvalidDuration)? {
        s = s.step(minutes(step, "step")?);
    }
    if let Some(days) = number_field(
        search,
        "searchDays",
        "searchDays",
        ErrorCode::InvalidRequest,
    )? {
        if days.fract() != 0.0 || days.abs() >= 1e15 {
            return Err(error(
                ErrorCode::InvalidRequest,
                format!("searchDays: {days} is not a whole number of days (1 to 200)"),
            ));
        }
        #[allow(clippy::cast_possible_truncation)]
        let days = days as i64;
        s = s.search_days(days);
    }
    Ok(s)
}

/// Up to `search.count` free starts before and after a request for
/// `resources` over `[start, end)` (`hcas_core::advice::alternatives`):
/// `{ before, after }`.
#[wasm_bindgen]
pub fn alternatives(
    availability: &NativeAvailability,
    ledger: &NativeLedger,
    resources: Vec<String>,
    start: &JsValue,
    end: &JsValue,
    search: &JsValue,
) -> Result<JsValue> {
    let iv = js(Interval::new(
        instant(start, "start")?,
        instant(end, "end")?,
    ))?;
    let request = Request::new(resources, iv);
    let search = alternative_search(search)?;
    alternatives_out(&js(advice::alternatives(
        &availability.0,
        &ledger.0,
        &request,
        &search,
    ))?)
}
