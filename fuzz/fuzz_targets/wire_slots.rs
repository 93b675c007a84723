//! `wire::evaluate("slots", json)` on arbitrary bytes read as JSON: it must
//! never panic, and an answer must hold `slots` that are RFC 3339 instants,
//! strictly ascending, inside the query's `[from, to)`.
#![no_main]

use hcas_core::{Timestamp, wire};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(out) = wire::evaluate("slots", &input) else {
        return;
    };
    let list = out
        .get("slots")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("answer has no `slots` array: {out}"));
    let got: Vec<Timestamp> = list
        .iter()
        .map(|v| {
            v.as_str()
                .and_then(|s| Timestamp::parse(s).ok())
                .unwrap_or_else(|| panic!("slot {v} is not an instant the engine reads back"))
        })
        .collect();
    for w in got.windows(2) {
        assert!(
            w[0] < w[1],
            "slots not strictly ascending: {} then {} (input {input})",
            w[0],
            w[1]
        );
    }
    let q = &input["query"];
    let bound = |k: &str| q[k].as_str().and_then(|s| Timestamp::parse(s).ok());
    if let (Some(from), Some(to)) = (bound("from"), bound("to")) {
        for t in &got {
            assert!(
                from <= *t && *t < to,
                "slot {t} outside [{from}, {to}) (input {input})"
            );
        }
    }
});
