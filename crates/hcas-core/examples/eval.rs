//! Evaluate one vector input from stdin: `cargo run -p hcas-core --example eval -- KIND < input.json`.
//! Prints the answer (or the error) as JSON. A debugging aid for vector authors.

#![allow(clippy::print_stdout)]

use std::io::Read;

fn main() {
    let kind = std::env::args().nth(1).unwrap_or_default();
    let mut text = String::new();
    if std::io::stdin().read_to_string(&mut text).is_err() {
        println!("{{\"error\": \"cannot read stdin\"}}");
        return;
    }
    let out = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| hcas_core::Error::new(hcas_core::ErrorCode::InvalidRequest, e.to_string()))
        .and_then(|v| hcas_core::wire::evaluate(&kind, v.get("input").unwrap_or(&v)));
    match out {
        Ok(v) => println!("{v}"),
        Err(e) => println!(
            "{}",
            serde_json::json!({"error": {"code": e.code(), "message": e.message()}})
        ),
    }
}
