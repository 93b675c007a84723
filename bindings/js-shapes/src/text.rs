//! JSON text to and from the wrapper: the text level (`evaluateJson`) and
//! the typed level's JSON arguments (rules, overrides).

use hcas_core::{Error, ErrorCode, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// JSON text from the wrapper as a value; text that is not JSON (a caller
/// using the native module directly) is `invalid_request` naming `what`.
pub fn parse_value(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorCode::InvalidRequest,
            format!("{what} is not JSON text: {e}"),
        )
    })
}

/// JSON text from the wrapper as `T` (the wire shapes of `docs/vectors.md`);
/// text that is not JSON, or the wrong shape, is `invalid_request` naming
/// `what`.
pub fn shaped<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    let value = parse_value(text, what)?;
    serde_json::from_value(value).map_err(|e| {
        Error::new(
            ErrorCode::InvalidRequest,
            format!("{what} does not have the documented shape: {e}"),
        )
    })
}

/// `hcas_core::wire::evaluate` from JSON text to JSON text.
pub fn evaluate_text(kind: &str, input: &str) -> Result<String> {
    let input = parse_value(input, "input")?;
    let out = hcas_core::wire::evaluate(kind, &input)?;
    serde_json::to_string(&out).map_err(|e| {
        Error::new(
            ErrorCode::InvalidRequest,
            format!("could not encode the answer: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_json_names_what_it_was() {
        let e = parse_value("{not json", "input").err();
        assert_eq!(e.as_ref().map(Error::code), Some(ErrorCode::InvalidRequest));
        assert!(e.is_some_and(|e| e.message().starts_with("input is not JSON text: ")));
    }

    #[test]
    fn the_wrong_shape_is_invalid_request() {
        let ok: Result<Vec<u32>> = shaped("[1, 2]", "rules");
        assert_eq!(ok.ok(), Some(vec![1, 2]));
        let e = shaped::<Vec<u32>>("{\"a\": 1}", "rules").err();
        assert_eq!(e.as_ref().map(Error::code), Some(ErrorCode::InvalidRequest));
        assert!(e.is_some_and(|e| {
            e.message()
                .starts_with("rules does not have the documented shape")
        }));
    }

    #[test]
    fn evaluate_text_answers_the_engine_shape() -> Result<()> {
        let input = r#"{"rrule":"FREQ=DAILY;COUNT=3","dtstart":"2026-03-27T09:00","timezone":"Europe/London","from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z"}"#;
        let out = parse_value(&evaluate_text("recurrence", input)?, "out")?;
        let direct = hcas_core::wire::evaluate("recurrence", &parse_value(input, "input")?)?;
        assert_eq!(out, direct);
        Ok(())
    }

    #[test]
    fn an_unknown_kind_is_the_engines_error() {
        assert!(evaluate_text("no_such_kind", "{}").is_err());
        let e = evaluate_text("recurrence", "{not json").err();
        assert_eq!(e.map(|e| e.code()), Some(ErrorCode::InvalidRequest));
    }
}
