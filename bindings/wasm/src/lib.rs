//! The WebAssembly module of the npm package `@hcas/engine-wasm`
//! (`bindings/wasm`): conversions and error mapping only; every answer is
//! `hcas_core`'s.
//!
//! The package's public API is the Node package's JavaScript wrapper
//! (`bindings/node/index.js`, shipped unchanged, with its TypeScript
//! declarations), so an app can switch between the native addon on a server
//! and WebAssembly in a browser. That wrapper calls the napi addon's
//! functions; `js/adapter.js` stands in for the addon and calls the exports
//! here, which mirror the addon's argument and return conventions (instants
//! as epoch milliseconds or ISO strings, bulk answers as typed arrays, JSON
//! text in and out):
//!
//! - [`evaluate_json`] over `hcas_core::wire::evaluate` (the vector shapes of
//!   `docs/vectors.md`: recurrence, slots, conflict, series, transition,
//!   consent) and [`check_vector_json`] over `hcas_core::wire::check`;
//! - the constants the wrapper reads when it loads ([`constants`]);
//! - the typed level's classes ([`typed`]): zones, recurrences,
//!   availability and pooled slots;
//! - with the `typed` feature, the rest of the typed API: the ledger, the
//!   lifecycle, series, explain and alternatives, consent and the waitlist;
//!   with `fhir` (which implies `typed`), the FHIR Consent mapping.
//!
//! The package ships two modules of this crate (`bindings/wasm/build`): the
//! slots module, built without features (everything above but the last
//! item), and the full module, built with `typed,fhir`.
//!
//! Every error thrown from here is a JS `Error` whose `code` is the engine's
//! stable error code (`invalid_rrule`, ...) and whose `message` says what to
//! fix; the wrapper turns it into its `HcasError` subclass.

use hcas_core::{Error, ErrorCode};
use serde_json::Value;
use wasm_bindgen::prelude::*;

// The typed API beyond slots (feature `typed`): only in the full module.
#[cfg(feature = "typed")]
pub mod advice;
#[cfg(feature = "typed")]
pub mod booking;
#[cfg(feature = "typed")]
pub mod consent;
pub mod constants;
#[cfg(feature = "typed")]
pub mod lifecycle;
#[cfg(feature = "typed")]
pub mod series;
pub mod typed;
#[cfg(feature = "typed")]
pub mod waitlist;

/// A result whose error reaches JS as an `Error` with the engine's `code`.
pub type Result<T> = std::result::Result<T, JsValue>;

/// The one adapter from `hcas_core::Error` to a JS error: an `Error` with
/// the engine's message and its stable code as `code`.
pub(crate) fn to_js(err: &Error) -> JsValue {
    // A zone that may only be unloaded: name this package's calls, not the
    // Rust one (`hcas_core::Zone::parse`'s message with `zone-registry`).
    #[cfg(feature = "zone-registry")]
    let message = err.message().replace(
        "(zone::register)",
        "(in a browser: `await loadZone(name)` first, or embed it with HCAS_WASM_ZONES; see docs/wasm.md)",
    );
    #[cfg(feature = "zone-registry")]
    let e = js_sys::Error::new(&message);
    #[cfg(not(feature = "zone-registry"))]
    let e = js_sys::Error::new(err.message());
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(
        &e,
        &JsValue::from_str("code"),
        &JsValue::from_str(err.code().as_str()),
    );
    e.into()
}

/// The engine's result with its error mapped for JS.
pub(crate) fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| to_js(&e))
}

/// An error of `code` raised here, mapped for JS.
pub(crate) fn error(code: ErrorCode, message: String) -> JsValue {
    to_js(&Error::new(code, message))
}

/// JSON text from the wrapper as a value, its error mapped for JS
/// (`hcas_js_shapes::text::parse_value`).
pub(crate) fn parse(text: &str, what: &str) -> Result<Value> {
    js(hcas_js_shapes::text::parse_value(text, what))
}

/// The field `name` of the plain object `obj`: `None` when it is
/// `undefined` or `null` (or `obj` itself is).
#[cfg(feature = "typed")]
pub(crate) fn field(obj: &JsValue, name: &str) -> Result<Option<JsValue>> {
    if obj.is_undefined() || obj.is_null() {
        return Ok(None);
    }
    let v = js_sys::Reflect::get(obj, &JsValue::from_str(name))?;
    Ok(if v.is_undefined() || v.is_null() {
        None
    } else {
        Some(v)
    })
}

/// The string field `name` of `obj` (`None` when absent); anything but a
/// string is `invalid_request` naming `at`.
#[cfg(feature = "typed")]
pub(crate) fn string_field(obj: &JsValue, name: &str, at: &str) -> Result<Option<String>> {
    match field(obj, name)? {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| error(ErrorCode::InvalidRequest, format!("{at}: not a string"))),
    }
}

/// The string field `name` of `obj`, required.
#[cfg(feature = "typed")]
pub(crate) fn required_string(obj: &JsValue, name: &str, at: &str) -> Result<String> {
    string_field(obj, name, at)?
        .ok_or_else(|| error(ErrorCode::InvalidRequest, format!("{at}: missing")))
}

/// The number field `name` of `obj` (`None` when absent); anything but a
/// number is `err` naming `at`.
#[cfg(feature = "typed")]
pub(crate) fn number_field(
    obj: &JsValue,
    name: &str,
    at: &str,
    err: ErrorCode,
) -> Result<Option<f64>> {
    match field(obj, name)? {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| error(err, format!("{at}: not a number"))),
    }
}

/// A serializable value as the plain JS value of its JSON (objects, arrays,
/// strings, numbers, booleans, `null`).
#[cfg(feature = "typed")]
pub(crate) fn to_plain<T: serde::Serialize>(v: &T) -> Result<JsValue> {
    let text = serde_json::to_string(v).map_err(|e| {
        error(
            ErrorCode::InvalidRequest,
            format!("could not encode the answer: {e}"),
        )
    })?;
    js_sys::JSON::parse(&text)
}

/// A fresh plain object with the fields `pairs`.
#[cfg(feature = "typed")]
pub(crate) fn object(pairs: &[(&str, JsValue)]) -> Result<JsValue> {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v)?;
    }
    Ok(o.into())
}

/// Evaluate one input of `kind` (one of the kinds) given as JSON text in its
/// vector shape (`docs/vectors.md`), answering JSON text in the same shape.
#[wasm_bindgen(js_name = evaluateJson)]
pub fn evaluate_json(kind: &str, input: &str) -> Result<String> {
    js(hcas_js_shapes::text::evaluate_text(kind, input))
}

/// Make a zone known to every call of this module from its `.hcz` data
/// (`docs/zones.md`; the package ships one file per zone, and the JS
/// `loadZone` fetches and passes it here), answering the zone's IANA name.
/// Data the engine refuses is an `invalid_timezone` error whose `reason` is
/// the stable `ZoneDataCode` (`bad_magic`, `tzdb_mismatch`, `truncated`, ...).
#[cfg(feature = "zone-registry")]
#[wasm_bindgen(js_name = registerZone)]
pub fn register_zone(bytes: &[u8]) -> Result<String> {
    match hcas_core::zone::register(bytes) {
        Ok(zone) => Ok(zone.name().to_owned()),
        Err(e) => {
            let reason = e.code().as_str();
            let js = to_js(&Error::from(e));
            // Setting a property on a fresh Error object cannot fail.
            let _ = js_sys::Reflect::set(
                &js,
                &JsValue::from_str("reason"),
                &JsValue::from_str(reason),
            );
            Err(js)
        }
    }
}

/// Judge a front door's answer to one conformance vector: `case_json` is the
/// whole vector file as JSON text, `answer_json` the output object as JSON
/// text, or a JSON string holding the error code that was thrown. `undefined`
/// when it passes, else the failure line (`hcas_core::wire::check`).
#[wasm_bindgen(js_name = checkVectorJson)]
pub fn check_vector_json(case_json: &str, answer_json: &str) -> Result<Option<String>> {
    let case = parse(case_json, "case")?;
    let answer = parse(answer_json, "answer")?;
    let verdict = match &answer {
        Value::String(code) => hcas_core::wire::check(&case, Err(code)),
        out => hcas_core::wire::check(&case, Ok(out)),
    };
    Ok(verdict.err())
}
