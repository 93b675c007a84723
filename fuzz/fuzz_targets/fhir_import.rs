//! The FHIR R4 importers (`Appointment`, `Slot`, `Schedule`) on arbitrary
//! bytes: the first byte picks the importer, the rest is read as JSON. They
//! must never panic, and whatever they accept must export and import back to
//! the same value.
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
    match which % 3 {
        0 => {
            if let Ok(b) = fhir::appointment_from_fhir(&doc) {
                let out = fhir::appointment_to_fhir(&b)
                    .unwrap_or_else(|e| panic!("imported booking does not export: {e}"));
                let back = fhir::appointment_from_fhir(&out)
                    .unwrap_or_else(|e| panic!("exported appointment does not import: {e}"));
                assert_eq!(back, b, "appointment round trip");
            }
        }
        1 => {
            if let Ok(s) = fhir::slot_from_fhir(&doc) {
                let out = fhir::slot_to_fhir(&s.schedule, s.start, s.end, s.status);
                let back = fhir::slot_from_fhir(&out)
                    .unwrap_or_else(|e| panic!("exported slot does not import: {e}"));
                assert_eq!((back.start, back.end, back.status), (s.start, s.end, s.status));
            }
        }
        _ => {
            if let Ok(s) = fhir::schedule_from_fhir(&doc) {
                let out = fhir::schedule_to_fhir(&s)
                    .unwrap_or_else(|e| panic!("imported schedule does not export: {e}"));
                let back = fhir::schedule_from_fhir(&out)
                    .unwrap_or_else(|e| panic!("exported schedule does not import: {e}"));
                assert_eq!(back, s, "schedule round trip");
            }
        }
    }
});
