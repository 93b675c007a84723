//! The conversions the two JavaScript bindings share: `@hcas/engine`
//! (bindings/node, napi-rs) and `@hcas/engine-wasm` (bindings/wasm,
//! wasm-bindgen) answer the same TypeScript surface on purpose, so the
//! names and shapes of their answers, and the checks of plain input, live
//! here once instead of line for line in each.
//!
//! Pure functions over `hcas-core` types and `serde_json`: no napi, no
//! wasm-bindgen, no I/O, so this builds natively and for
//! `wasm32-unknown-unknown`. Errors are `hcas_core::Error`s (a stable code
//! and a message naming the field); each binding maps them to its JS error.
//!
//! Answers are either `serde_json::Value`s (an explanation, whose key order
//! the bindings never fixed) or `Serialize` structs whose field order is the
//! package's key order (serde_json's maps here sort their keys, so a struct
//! keeps `{ id, recurrenceId, start, ... }` as the packages answer it). The
//! wasm binding serialises them as they are; the napi addon copies them
//! into its `#[napi(object)]` types, field for field.

pub mod advice;
pub mod lifecycle;
pub mod series;
pub mod text;
pub mod time;
pub mod typed;
pub mod vocab;
pub mod waitlist;

pub use hcas_core::{Error, Result};
