//! `RRule::parse` on arbitrary text: it must never panic, and every rule it
//! accepts must print (`Display`) as text that parses back to an equal rule.
#![no_main]

use hcas_core::RRule;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rule) = RRule::parse(text) else {
        return;
    };
    let printed = rule.to_string();
    let again = match RRule::parse(&printed) {
        Ok(r) => r,
        Err(e) => {
            panic!("round trip: {text:?} parsed, but its printed form {printed:?} does not: {e}")
        }
    };
    assert_eq!(
        rule, again,
        "round trip: {text:?} printed as {printed:?}, which parses to a different rule"
    );
    // Printing is a fixed point once normalised.
    assert_eq!(
        printed,
        again.to_string(),
        "round trip: printing is not stable for {text:?}"
    );
});
