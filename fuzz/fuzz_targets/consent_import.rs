//! The FHIR consent importers (R4 and R5) on arbitrary bytes: the first byte
//! picks the version, the rest is read as JSON. They must never panic, and a
//! consent they accept must export in the same version and import back equal.
#![no_main]

use hcas_core::fhir;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(doc) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let (import, export): (
        fn(&Value) -> hcas_core::Result<hcas_core::consent::Consent>,
        fn(&hcas_core::consent::Consent) -> hcas_core::Result<Value>,
    ) = if which % 2 == 0 {
        (fhir::consent_from_fhir_r4, fhir::consent_to_fhir_r4)
    } else {
        (fhir::consent_from_fhir_r5, fhir::consent_to_fhir_r5)
    };
    if let Ok(c) = import(&doc) {
        // Export may refuse what FHIR cannot say (documented); it must not panic.
        if let Ok(out) = export(&c) {
            let back = import(&out)
                .unwrap_or_else(|e| panic!("exported consent does not import: {e}\n{out}"));
            assert_eq!(back, c, "consent round trip");
        }
    }
});
