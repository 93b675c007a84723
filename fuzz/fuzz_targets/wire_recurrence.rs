//! `wire::evaluate("recurrence", json)` on arbitrary bytes read as JSON: it
//! must never panic, and an answer must hold `occurrences` that are RFC 3339
//! instants, strictly ascending, inside the query's `[from, to)`.
#![no_main]

use hcas_core::{Timestamp, wire};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(out) = wire::evaluate("recurrence", &input) else {
        return;
    };
    let list = out
        .get("occurrences")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("answer has no `occurrences` array: {out}"));
    let got: Vec<Timestamp> = list
        .iter()
        .map(|v| {
            v.as_str()
                .and_then(|s| Timestamp::parse(s).ok())
                .unwrap_or_else(|| panic!("occurrence {v} is not an instant the engine reads back"))
        })
        .collect();
    for w in got.windows(2) {
        assert!(
            w[0] < w[1],
            "occurrences not strictly ascending: {} then {} (input {input})",
            w[0],
            w[1]
        );
    }
    // An accepted request has parseable `from`/`to`.
    let bound = |k: &str| input[k].as_str().and_then(|s| Timestamp::parse(s).ok());
    if let (Some(from), Some(to)) = (bound("from"), bound("to")) {
        for t in &got {
            assert!(
                from <= *t && *t < to,
                "occurrence {t} outside [{from}, {to}) (input {input})"
            );
        }
    }
});
