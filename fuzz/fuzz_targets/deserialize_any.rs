//! Every public `Deserialize` type of hcas-core on arbitrary bytes: the first
//! byte picks the type, the rest is read as that type's JSON. Decoding must
//! never panic; a value that decodes must encode, decode again (to an equal
//! value where the type compares), and survive its read accessors.
#![no_main]

use hcas_core::availability::{
    Availability, DateOverride, LocalWindow, PooledSlots, SlotQuery, WorkingRule,
};
use hcas_core::{Frequency, Timestamp, Interval, IntervalSet, LocalTime, RRule, Zone};
use hcas_core::{advice, booking, consent, error, fhir, lifecycle, series, waitlist, wire};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decode, encode, decode again, compare.
fn eq<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) -> Option<T> {
    let v: T = serde_json::from_slice(data).ok()?;
    let text = serde_json::to_string(&v).unwrap_or_else(|e| panic!("{v:?} does not encode: {e}"));
    let back: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{v:?} encodes as {text}, which does not decode: {e}"));
    assert_eq!(back, v, "round trip through {text}");
    Some(v)
}

/// As `eq` for types without `PartialEq`.
fn rt<T: DeserializeOwned + Serialize + std::fmt::Debug>(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let text = serde_json::to_string(&v).unwrap_or_else(|e| panic!("{v:?} does not encode: {e}"));
    if let Err(e) = serde_json::from_str::<T>(&text) {
        panic!("{v:?} encodes as {text}, which does not decode: {e}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 70 {
        0 => drop(eq::<Timestamp>(rest)),
        1 => drop(eq::<Interval>(rest)),
        2 => {
            if let Some(s) = eq::<IntervalSet>(rest) {
                assert!(s.intervals().windows(2).all(|w| w[0].end() < w[1].start()));
            }
        }
        3 => drop(eq::<LocalTime>(rest)),
        4 => drop(eq::<Zone>(rest)),
        5 => drop(eq::<RRule>(rest)),
        6 => drop(eq::<Frequency>(rest)),
        7 => drop(eq::<LocalWindow>(rest)),
        8 => drop(eq::<DateOverride>(rest)),
        9 => drop(eq::<SlotQuery>(rest)),
        10 => {
            if let Some(p) = eq::<PooledSlots>(rest) {
                assert_eq!(p.iter().count(), p.len());
            }
        }
        11 => drop(eq::<error::Error>(rest)),
        12 => drop(eq::<error::ErrorCode>(rest)),
        13 => drop(eq::<advice::Reason>(rest)),
        14 => drop(eq::<advice::Explanation>(rest)),
        15 => drop(eq::<advice::Alternatives>(rest)),
        16 => drop(eq::<booking::Status>(rest)),
        17 => drop(eq::<booking::Booking>(rest)),
        18 => drop(eq::<booking::SeriesRef>(rest)),
        19 => drop(eq::<booking::Request>(rest)),
        20 => drop(eq::<booking::Conflict>(rest)),
        21 => drop(eq::<booking::Check>(rest)),
        22 => drop(eq::<booking::BookOutcome>(rest)),
        23 => drop(eq::<consent::Effect>(rest)),
        24 => drop(eq::<consent::ConsentStatus>(rest)),
        25 => drop(eq::<consent::Period>(rest)),
        26 => drop(eq::<consent::Match>(rest)),
        27 => drop(eq::<consent::Provision>(rest)),
        28 => drop(eq::<consent::Consent>(rest)),
        29 => drop(eq::<consent::Rights>(rest)),
        30 => drop(eq::<consent::RolePolicy>(rest)),
        31 => drop(eq::<consent::Accessor>(rest)),
        32 => drop(eq::<consent::BreakGlass>(rest)),
        33 => drop(eq::<consent::ConsentRequest>(rest)),
        34 => drop(eq::<consent::Basis>(rest)),
        35 => drop(eq::<consent::Decision>(rest)),
        36 => drop(eq::<consent::AppointmentKind>(rest)),
        37 => drop(eq::<consent::Refusal>(rest)),
        38 => drop(eq::<consent::BookingVerdict>(rest)),
        39 => drop(eq::<fhir::SlotStatus>(rest)),
        40 => drop(eq::<lifecycle::Party>(rest)),
        41 => drop(eq::<lifecycle::LifecyclePolicy>(rest)),
        42 => drop(eq::<lifecycle::TransitionRequest>(rest)),
        43 => drop(eq::<lifecycle::Outcome>(rest)),
        44 => drop(eq::<lifecycle::Transitioned>(rest)),
        45 => drop(eq::<series::SeriesPolicy>(rest)),
        46 => drop(eq::<series::OccurrenceResult>(rest)),
        47 => drop(eq::<series::SeriesResult>(rest)),
        48 => drop(eq::<series::EditScope>(rest)),
        49 => drop(eq::<waitlist::Preferences>(rest)),
        50 => drop(eq::<waitlist::WaitEntry>(rest)),
        51 => drop(eq::<waitlist::Offer>(rest)),
        52 => drop(eq::<waitlist::Waitlist>(rest)),
        53 => rt::<wire::RecurrenceRequest>(rest),
        54 => rt::<wire::SlotsRequest>(rest),
        55 => rt::<wire::ConflictRequest>(rest),
        56 => rt::<wire::SeriesRequest>(rest),
        57 => rt::<wire::TransitionVector>(rest),
        58 => rt::<wire::ConsentVector>(rest),
        59 => drop(eq::<wire::RecurrenceResponse>(rest)),
        60 => drop(eq::<wire::SlotsResponse>(rest)),
        61 => drop(eq::<wire::SeriesResponse>(rest)),
        62 => drop(eq::<consent::Role>(rest)),
        63 => drop(eq::<consent::Category>(rest)),
        64 => drop(eq::<WorkingRule>(rest)),
        65 => drop(eq::<Availability>(rest)),
        66 => drop(eq::<hcas_core::Recurrence>(rest)),
        67 => drop(eq::<hcas_core::Minutes>(rest)),
        68 => drop(eq::<hcas_core::WeekdayNum>(rest)),
        _ => drop(eq::<hcas_core::Until>(rest)),
    }
});
