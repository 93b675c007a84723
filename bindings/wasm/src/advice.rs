//! Why a start is or is not offered, and the nearest free alternatives
//! (`hcas_core::advice`), behind the package's `Availability#explain`,
//! `Availability#explainWithLedger`, `alternatives` and `alternativesAsync`,
//! with the napi addon's names and shapes. Argument extraction and error
//! mapping only: the explanation's JSON text and the alternatives' shape are
//! built by `hcas_js_shapes::advice`, which the napi addon calls too, so the
//! two bindings answer the same text.

use hcas_core::advice::{self, AlternativeSearch, Alternatives, LedgerContext};
use hcas_core::booking::Request;
use hcas_core::{ErrorCode, Interval};
use hcas_js_shapes::advice::explanation;
use wasm_bindgen::prelude::*;

use crate::booking::NativeLedger;
use crate::typed::{NativeAvailability, instant, minutes, slot_query};
use crate::{Result, error, field, js, number_field, object};

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
    let a = hcas_js_shapes::advice::alternatives(a);
    object(&[
        ("before", JsValue::from_str(&a.before)),
        ("after", JsValue::from_str(&a.after)),
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
