//! Pooled availability ("any doctor of this specialty"):
//! `hcas_core::pooled_slots` over several [`Availability`] objects, each
//! start answered with the providers free at it.

use std::sync::Arc;

use hcas_core::{Minutes, SlotQuery, Timestamp};

use crate::HcasError;
use crate::typed::Availability;

/// One start of a pooled answer and the providers free at it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PooledSlot {
    /// The start.
    pub start: Timestamp,
    /// The providers free at it: indices into the list given to
    /// [`pooled_slots`], ascending, at least one.
    pub members: Vec<u32>,
}

/// The bookable starts `s` with `from <= s < to` of any of `providers`, for
/// appointments of `duration_minutes` on a grid of `step_minutes` (default:
/// the duration), ascending, each with the providers free at it. The same
/// query as [`Availability::slots`] for each provider, answered in one merge
/// (`hcas_core::pooled_slots`; the providers are lent, not copied).
///
/// # Errors
/// As [`Availability::slots`]; `limit_exceeded` when the answer would hold
/// more (start, provider) pairs than the engine's documented maximum.
#[uniffi::export(default(step_minutes = None))]
pub fn pooled_slots(
    providers: Vec<Arc<Availability>>,
    from: Timestamp,
    to: Timestamp,
    duration_minutes: u32,
    step_minutes: Option<u32>,
) -> Result<Vec<PooledSlot>, HcasError> {
    let mut query = SlotQuery::new(from, to, Minutes::new(i64::from(duration_minutes)));
    query.step = step_minutes.map(|s| Minutes::new(i64::from(s)));
    let pool: Vec<&hcas_core::Availability> = providers.iter().map(|p| &p.0).collect();
    let got = hcas_core::pooled_slots(&pool, &query)?;
    Ok(got
        .iter()
        .map(|(start, members)| PooledSlot {
            start,
            members: members.to_vec(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use crate::{Busy, WorkingHours, Zone};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn daily(start: &str, end: &str) -> WorkingHours {
        WorkingHours {
            rrule: "FREQ=DAILY".into(),
            dtstart: "2026-06-01".into(),
            start: start.into(),
            end: end.into(),
        }
    }

    #[test]
    fn pooled_rows_name_the_free_providers() {
        let utc = Zone::new("UTC".into()).unwrap();
        // Provider 0 works 09-12; provider 1 works 10-12 but is busy 10-11.
        let p0 = Availability::new(utc.clone(), vec![daily("09:00", "12:00")], vec![]).unwrap();
        let busy = Busy {
            start: t("2026-06-01T10:00:00Z"),
            end: t("2026-06-01T11:00:00Z"),
        };
        let p1 = Availability::new(utc, vec![daily("10:00", "12:00")], vec![busy]).unwrap();
        let (from, to) = (t("2026-06-01T00:00:00Z"), t("2026-06-02T00:00:00Z"));
        let got = pooled_slots(vec![p0.clone(), p1.clone()], from, to, 60, None).unwrap();
        let want = [
            ("2026-06-01T09:00:00Z", vec![0]),
            ("2026-06-01T10:00:00Z", vec![0]),
            ("2026-06-01T11:00:00Z", vec![0, 1]),
        ]
        .map(|(s, m)| PooledSlot {
            start: t(s),
            members: m,
        });
        assert_eq!(got, want);
        // The order of the list is the order of the indices.
        let swapped = pooled_slots(vec![p1, p0], from, to, 60, None).unwrap();
        assert_eq!(swapped[2].members, [0, 1]);
        assert_eq!(swapped[0].members, [1]);
        let e = pooled_slots(vec![], to, from, 60, None).unwrap_err();
        assert_eq!(e.code(), "invalid_interval");
        assert!(pooled_slots(vec![], from, to, 60, None).unwrap().is_empty());
    }
}
