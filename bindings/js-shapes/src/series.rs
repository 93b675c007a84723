//! Recurring series of appointments (`hcas_core::series`) and the ledger's
//! conflicts, as the packages' `SeriesSpec`, `planShift`,
//! `shiftOccurrences`, `planCancel`, `cancelOccurrences` and
//! `Ledger#check` take and answer them: scopes and policies are the
//! engine's wire names; instants go back as ISO strings in UTC; a conflict
//! is `{ resource, bookings }`.

use hcas_core::booking::Conflict;
use hcas_core::chrono::NaiveDateTime;
use hcas_core::series::{
    CancelResult, EditResult, EditScope, OccurrenceResult, SeriesPolicy, SeriesResult, ShiftPlan,
    Skipped,
};
use hcas_core::{Error, ErrorCode, Result, Timestamp};
use serde::Serialize;

use crate::advice::{AlternativesOut, alternatives};
use crate::lifecycle::{OutcomeOut, outcomes};

/// An `invalid_request` error saying `message`.
fn refuse(message: String) -> Error {
    Error::new(ErrorCode::InvalidRequest, message)
}

/// A series booking policy's wire name (`all_or_nothing`, the default, or
/// `book_free`).
pub fn series_policy(text: Option<&str>) -> Result<SeriesPolicy> {
    match text {
        None | Some("all_or_nothing") => Ok(SeriesPolicy::AllOrNothing),
        Some("book_free") => Ok(SeriesPolicy::BookFree),
        Some(other) => Err(refuse(format!(
            "policy: `{other}` is not a series policy; give all_or_nothing or book_free"
        ))),
    }
}

/// An edit scope's wire name (`this`, `this_and_following`, `all`).
pub fn scope(text: &str) -> Result<EditScope> {
    match text {
        "this" => Ok(EditScope::This),
        "this_and_following" => Ok(EditScope::ThisAndFollowing),
        "all" => Ok(EditScope::All),
        other => Err(refuse(format!(
            "scope: `{other}` is not an edit scope; give this, this_and_following or all"
        ))),
    }
}

/// A conflicting resource and the bookings that take it:
/// `{ resource, bookings }` (the engine's `with`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConflictOut {
    /// The resource taken.
    pub resource: String,
    /// The ids of the bookings that take it, sorted.
    pub bookings: Vec<String>,
}

/// Conflicts as the package answers them.
pub fn conflicts(cs: Vec<Conflict>) -> Vec<ConflictOut> {
    cs.into_iter()
        .map(|c| ConflictOut {
            resource: c.resource,
            bookings: c.with,
        })
        .collect()
}

/// One occurrence of a series: `{ recurrenceId, start, end }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OccurrenceOut {
    /// The original local start, `YYYY-MM-DDTHH:MM:SS`.
    pub recurrence_id: String,
    /// Its start, an ISO string in UTC.
    pub start: String,
    /// Its end, an ISO string in UTC.
    pub end: String,
}

/// An occurrence as `SeriesSpec#occurrences` lists it, from the engine's
/// `(local start, start, end)`.
pub fn occurrence(local: NaiveDateTime, start: Timestamp, end: Timestamp) -> OccurrenceOut {
    OccurrenceOut {
        recurrence_id: local.format("%Y-%m-%dT%H:%M:%S").to_string(),
        start: start.to_string(),
        end: end.to_string(),
    }
}

/// One occurrence's answer: free or not (with the conflicts), booked or
/// not, and the nearest free starts when they were searched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OccurrenceResultOut {
    /// The occurrence's booking id, `<series>.<YYYYMMDDTHHMMSS>`.
    pub id: String,
    /// The original local start, `YYYY-MM-DDTHH:MM:SS`.
    pub recurrence_id: String,
    /// Its start, an ISO string in UTC.
    pub start: String,
    /// Its end, an ISO string in UTC.
    pub end: String,
    /// Whether it is free.
    pub ok: bool,
    /// What stands in the way (empty when free).
    pub conflicts: Vec<ConflictOut>,
    /// Whether this call booked (or moved) it.
    pub booked: bool,
    /// The nearest free starts around it, or `null`.
    pub alternatives: Option<AlternativesOut>,
}

/// Occurrence answers as the package answers them.
pub fn occurrence_results(items: Vec<OccurrenceResult>) -> Vec<OccurrenceResultOut> {
    items
        .into_iter()
        .map(|o| OccurrenceResultOut {
            alternatives: o.alternatives.as_ref().map(alternatives),
            id: o.id,
            recurrence_id: o.recurrence_id,
            start: o.start.to_string(),
            end: o.end.to_string(),
            ok: o.ok,
            conflicts: conflicts(o.conflicts),
            booked: o.booked,
        })
        .collect()
}

/// The answer for a whole series: `{ booked, occurrences }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesResultOut {
    /// Whether anything was booked.
    pub booked: bool,
    /// Every occurrence, in order.
    pub occurrences: Vec<OccurrenceResultOut>,
}

/// A series' answer as the package answers it.
pub fn series_result(r: SeriesResult) -> SeriesResultOut {
    SeriesResultOut {
        booked: r.booked,
        occurrences: occurrence_results(r.occurrences),
    }
}

/// An occurrence in scope that an edit left alone, and why (the engine's
/// error code and message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedOut {
    /// The occurrence's booking id.
    pub id: String,
    /// The original local start.
    pub recurrence_id: String,
    /// Its status.
    pub status: &'static str,
    /// The stable error code saying why it was left alone.
    pub code: &'static str,
    /// The message.
    pub message: String,
}

/// Skipped occurrences as the package answers them.
pub fn skipped(items: Vec<Skipped>) -> Vec<SkippedOut> {
    items
        .into_iter()
        .map(|s| SkippedOut {
            status: s.status.as_str(),
            code: s.error.code().as_str(),
            message: s.error.message().to_string(),
            id: s.id,
            recurrence_id: s.recurrence_id,
        })
        .collect()
}

/// One planned move of a series edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveOut {
    /// The occurrence's booking id.
    pub id: String,
    /// The original local start.
    pub recurrence_id: String,
    /// The new start, an ISO string in UTC.
    pub start: String,
    /// The new end, an ISO string in UTC.
    pub end: String,
}

/// What a shift would do, before any conflict check: `{ moves, skipped }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShiftPlanOut {
    /// The moves, by start.
    pub moves: Vec<MoveOut>,
    /// The occurrences in scope left alone.
    pub skipped: Vec<SkippedOut>,
}

/// A shift plan as the package answers it.
pub fn shift_plan(plan: ShiftPlan) -> ShiftPlanOut {
    ShiftPlanOut {
        moves: plan
            .moves
            .into_iter()
            .map(|m| MoveOut {
                id: m.id,
                recurrence_id: m.recurrence_id,
                start: m.start.to_string(),
                end: m.end.to_string(),
            })
            .collect(),
        skipped: skipped(plan.skipped),
    }
}

/// The answer to a shift: `{ applied, occurrences, skipped }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditResultOut {
    /// Whether the moves were made.
    pub applied: bool,
    /// Every moved occurrence's answer.
    pub occurrences: Vec<OccurrenceResultOut>,
    /// The occurrences in scope left alone.
    pub skipped: Vec<SkippedOut>,
}

/// A shift's answer as the package answers it.
pub fn edit_result(r: EditResult) -> EditResultOut {
    EditResultOut {
        applied: r.applied,
        occurrences: occurrence_results(r.occurrences),
        skipped: skipped(r.skipped),
    }
}

/// One occurrence cancelled (or to be cancelled).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelledOut {
    /// The occurrence's booking id.
    pub id: String,
    /// The original local start.
    pub recurrence_id: String,
    /// Its status before.
    pub from: &'static str,
    /// What follows, in the engine's order.
    pub outcomes: Vec<OutcomeOut>,
}

/// The answer to a cancellation: `{ cancelled, skipped }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CancelResultOut {
    /// The occurrences cancelled (or to be).
    pub cancelled: Vec<CancelledOut>,
    /// The occurrences in scope left alone.
    pub skipped: Vec<SkippedOut>,
}

/// A cancellation's answer as the package answers it.
pub fn cancel_result(r: CancelResult) -> CancelResultOut {
    CancelResultOut {
        cancelled: r
            .cancelled
            .into_iter()
            .map(|c| CancelledOut {
                from: c.from.as_str(),
                outcomes: outcomes(&c.outcomes),
                id: c.id,
                recurrence_id: c.recurrence_id,
            })
            .collect(),
        skipped: skipped(r.skipped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcas_core::advice::Alternatives;
    use hcas_core::chrono::NaiveDate;
    use serde_json::json;

    fn code<T>(r: Result<T>) -> Option<ErrorCode> {
        r.err().map(|e| e.code())
    }

    #[test]
    fn policies_and_scopes_are_wire_names() -> Result<()> {
        assert_eq!(series_policy(None)?, SeriesPolicy::AllOrNothing);
        assert_eq!(
            series_policy(Some("all_or_nothing"))?,
            SeriesPolicy::AllOrNothing
        );
        assert_eq!(series_policy(Some("book_free"))?, SeriesPolicy::BookFree);
        assert_eq!(
            series_policy(Some("some"))
                .err()
                .map(|e| e.message().to_string())
                .as_deref(),
            Some("policy: `some` is not a series policy; give all_or_nothing or book_free")
        );
        assert_eq!(scope("this")?, EditScope::This);
        assert_eq!(scope("this_and_following")?, EditScope::ThisAndFollowing);
        assert_eq!(scope("all")?, EditScope::All);
        assert_eq!(code(scope("All")), Some(ErrorCode::InvalidRequest));
        Ok(())
    }

    #[test]
    fn an_occurrence_is_its_local_start_and_instants() -> Result<()> {
        let local = NaiveDate::from_ymd_opt(2026, 3, 9)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .ok_or_else(|| refuse("no such time".to_string()))?;
        // 09:30 in Europe/Berlin (UTC+1 in March before the change) is 08:30Z;
        // 2026-03-09 is day 20_521 after the epoch.
        let start = Timestamp::from_unix(20_521 * 86_400 + 8 * 3_600 + 30 * 60)?;
        let end = Timestamp::from_unix(20_521 * 86_400 + 9 * 3_600)?;
        assert_eq!(
            serde_json::to_string(&occurrence(local, start, end))
                .ok()
                .as_deref(),
            Some(
                r#"{"recurrenceId":"2026-03-09T09:30:00","start":"2026-03-09T08:30:00Z","end":"2026-03-09T09:00:00Z"}"#
            )
        );
        Ok(())
    }

    #[test]
    fn occurrence_results_keep_the_packages_names_and_order() -> Result<()> {
        let start = Timestamp::from_unix(20_521 * 86_400 + 8 * 3_600)?;
        let end = Timestamp::from_unix(20_521 * 86_400 + 9 * 3_600)?;
        let later = Timestamp::from_unix(20_521 * 86_400 + 10 * 3_600)?;
        let taken = OccurrenceResult::new(
            "s1.20260309T090000".to_string(),
            "2026-03-09T09:00:00".to_string(),
            start,
            end,
            false,
        )
        .with_conflicts(vec![Conflict::new("room-1", vec!["b9".to_string()])])
        .with_alternatives(Some(Alternatives::new(vec![], vec![later])));
        let got = SeriesResultOut {
            booked: false,
            occurrences: occurrence_results(vec![taken]),
        };
        assert_eq!(
            serde_json::to_value(&got).ok(),
            Some(json!({
                "booked": false,
                "occurrences": [{
                    "id": "s1.20260309T090000",
                    "recurrenceId": "2026-03-09T09:00:00",
                    "start": "2026-03-09T08:00:00Z",
                    "end": "2026-03-09T09:00:00Z",
                    "ok": false,
                    "conflicts": [{ "resource": "room-1", "bookings": ["b9"] }],
                    "booked": false,
                    "alternatives": { "before": "", "after": "2026-03-09T10:00:00Z" },
                }],
            }))
        );
        // Key order as the packages answer it (serialised text, not a map).
        let text = serde_json::to_string(&got.occurrences[0]).unwrap_or_default();
        let keys = [
            "\"id\"",
            "\"recurrenceId\"",
            "\"start\"",
            "\"end\"",
            "\"ok\"",
            "\"conflicts\"",
            "\"booked\"",
            "\"alternatives\"",
        ];
        let places: Vec<usize> = keys.iter().filter_map(|k| text.find(k)).collect();
        assert_eq!(places.len(), keys.len());
        assert!(places.windows(2).all(|w| w[0] < w[1]), "{text}");
        Ok(())
    }
}
