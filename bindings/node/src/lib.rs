//! The native addon of the npm package `@hcas/engine` (`bindings/node`):
//! conversions and error mapping only; every answer is `hcas_core`'s.
//!
//! The package's JavaScript wrapper (`index.js`, `index.mjs`) is the public
//! API. It turns plain JS values into JSON text (refusing what is not JSON,
//! with the path of the offending value), calls the functions here, and turns
//! a native error into its `HcasError` subclass by the error's `code`:
//!
//! - [`evaluate_json`] over `hcas_core::wire::evaluate` (the vector JSON
//!   shapes of `docs/vectors.md`), [`check_vector_json`] over
//!   `hcas_core::wire::check`, the comparison every front door uses;
//! - [`evaluate_json_async`] and the typed level's `...Async` methods: the
//!   same work as napi `Task`s on the libuv thread pool, answering Promises;
//! - the constants [`kinds`], [`error_codes`], [`tzdb_version`], [`version`];
//! - the typed level's native classes ([`typed`]): zones, recurrences and
//!   availability, with instants as epoch milliseconds or ISO strings;
//! - the bookings ledger and its atomic operations ([`booking`]) and the
//!   appointment lifecycle ([`lifecycle`]), recurring series and their
//!   edits ([`series`]), and the waitlist ([`waitlist`]).
//!
//! Every error thrown from here is a JS `Error` whose `code` is the engine's
//! stable error code (`invalid_rrule`, ...) and whose `message` says what to
//! fix: [`Code`] is the napi status that carries it.

use hcas_core::{Error, ErrorCode};
use hcas_js_shapes::text::evaluate_text;
use napi::Task;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use serde_json::Value;

pub mod advice;
pub mod booking;
pub mod consent;
pub mod fhir;
pub mod lifecycle;
pub mod series;
pub mod typed;
pub mod waitlist;

/// An engine error code as a napi error status: napi-rs creates the thrown JS
/// error with this string as its `code` property, which the wrapper maps to
/// the error's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(ErrorCode);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

/// A result whose error reaches JS with the engine's stable code. (Named
/// `Result` because #[napi] recognises a fallible function by that name.)
pub type Result<T> = napi::Result<T, Code>;

/// The one adapter from `hcas_core::Error` to a JS error: its code and message.
fn to_js(err: &Error) -> napi::Error<Code> {
    napi::Error::new(Code(err.code()), err.message().to_string())
}

/// JSON text from the wrapper as a value, its error mapped for JS
/// (`hcas_js_shapes::text::parse_value`).
fn parse(text: &str, what: &str) -> Result<Value> {
    hcas_js_shapes::text::parse_value(text, what).map_err(|e| to_js(&e))
}

/// An engine error as the rejection of a Promise: the same JS error (with the
/// engine's `code`) that a synchronous call throws, made on the JS thread
/// from a task's answer (a `Task`'s own errors carry only napi's statuses).
fn rejection(env: napi::Env, err: &Error) -> napi::Error {
    coded_rejection(env, to_js(err))
}

/// [`rejection`] of an error already mapped for JS (its code kept).
fn coded_rejection(env: napi::Env, err: napi::Error<Code>) -> napi::Error {
    napi::Error::from(napi::JsError::from(err).into_unknown(env))
}

/// Evaluate one input of `kind` (one of [`kinds`]) given as JSON text in its
/// vector shape (`docs/vectors.md`), answering JSON text in the same shape.
/// The wrapper's `evaluate(kind, input)` takes and returns plain objects.
#[napi]
pub fn evaluate_json(kind: String, input: String) -> Result<String> {
    evaluate_text(&kind, &input).map_err(|e| to_js(&e))
}

/// `evaluate` on the libuv thread pool: the JSON text work of
/// [`evaluate_json`] off the event loop.
pub struct EvaluateTask {
    kind: String,
    input: String,
}

#[napi]
impl Task for EvaluateTask {
    type Output = hcas_core::Result<String>;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(evaluate_text(&self.kind, &self.input))
    }

    fn resolve(&mut self, env: napi::Env, out: Self::Output) -> napi::Result<String> {
        out.map_err(|e| rejection(env, &e))
    }
}

/// As [`evaluate_json`], answering a Promise computed on the libuv thread
/// pool; an engine error rejects it with the same error a call throws.
#[napi]
pub fn evaluate_json_async(kind: String, input: String) -> AsyncTask<EvaluateTask> {
    AsyncTask::new(EvaluateTask { kind, input })
}

/// Judge a front door's answer to one conformance vector: `case_json` is the
/// whole vector file as JSON text, `answer_json` the output object as JSON
/// text, or a JSON string holding the error code that was thrown. `null` when
/// it passes, else the failure line. This is `hcas_core::wire::check`.
#[napi]
pub fn check_vector_json(case_json: String, answer_json: String) -> Result<Option<String>> {
    let case = parse(&case_json, "case")?;
    let answer = parse(&answer_json, "answer")?;
    let verdict = match &answer {
        Value::String(code) => hcas_core::wire::check(&case, Err(code)),
        out => hcas_core::wire::check(&case, Ok(out)),
    };
    Ok(verdict.err())
}

/// The vector kinds this engine evaluates (`hcas_core::wire::KINDS`).
#[napi]
pub fn kinds() -> Vec<String> {
    hcas_core::wire::KINDS
        .iter()
        .map(|k| (*k).to_string())
        .collect()
}

/// Every stable error code, in the engine's order (`hcas_core::ErrorCode::ALL`).
#[napi]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}

/// The IANA tz database release embedded in the engine (`hcas_core::TZDB_VERSION`).
#[napi]
pub fn tzdb_version() -> String {
    hcas_core::TZDB_VERSION.to_string()
}

/// This crate's version, which is the package's.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
