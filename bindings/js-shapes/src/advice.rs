//! Why a start is or is not offered (`hcas_core::advice`), as the packages'
//! `Availability#explain` and `Availability#explainWithLedger` answer it,
//! and the nearest free alternatives.
//!
//! An explanation goes back as JSON text the wrapper freezes: instants as
//! ISO strings in UTC, intervals as `{ start, end }`, the grid step in
//! minutes, and the package's names for the fields: a conflict names the
//! bookings that take its resource `bookings`, as `Ledger#check` does (the
//! engine's serde name is `with`), and the engine's `local_date` and
//! `override_date` are `localDate` and `overrideDate`.

use hcas_core::advice::{Alternatives, Explanation, Reason};
use hcas_core::{Interval, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::time::iso;

/// The wire names of every reason a start is not offered, in the engine's
/// order (`hcas_core::advice::Reason`'s serde tags): the packages' `REASONS`.
pub const REASONS: [&str; 9] = [
    "outside_query",
    "before_notice",
    "beyond_horizon",
    "outside_working_hours",
    "does_not_fit",
    "off_grid",
    "busy",
    "buffer",
    "conflict",
];

/// `[start, end)` as `{ start, end }` of ISO strings.
pub fn interval(iv: &Interval) -> Value {
    json!({ "start": iv.start().to_string(), "end": iv.end().to_string() })
}

/// One reason as the package's object: `reason` (the engine's wire name)
/// and the fields that reason carries.
pub fn reason(r: &Reason) -> Value {
    let engine = serde_json::to_value(r).unwrap_or(Value::Null);
    let name = engine.get("reason").cloned().unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("reason".to_string(), name);
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    match r {
        Reason::OutsideQuery { from, to } => {
            put("from", from.to_string().into());
            put("to", to.to_string().into());
        }
        Reason::BeforeNotice { earliest } => put("earliest", earliest.to_string().into()),
        Reason::BeyondHorizon { latest } => put("latest", latest.to_string().into()),
        Reason::OutsideWorkingHours {
            local_date,
            override_date,
            nearest,
        } => {
            put("localDate", local_date.to_string().into());
            put("overrideDate", (*override_date).into());
            put("nearest", nearest.iter().map(interval).collect());
        }
        Reason::DoesNotFit { window } => put("window", interval(window)),
        Reason::OffGrid {
            window,
            step,
            previous,
            next,
        } => {
            put("window", interval(window));
            put("step", step.get().into());
            put("previous", previous.to_string().into());
            put("next", next.to_string().into());
        }
        Reason::Busy { interval: iv } | Reason::Buffer { interval: iv } => {
            put("interval", interval(iv));
        }
        Reason::Conflict(c) => {
            put("resource", c.resource.clone().into());
            put("bookings", c.with.clone().into());
        }
        // A reason this crate does not know yet: the engine's own shape.
        _ => return engine,
    }
    Value::Object(out)
}

/// `{ start, offered, reasons }` of the parts of an explanation.
pub fn explanation_of(start: Timestamp, offered: bool, reasons: &[Reason]) -> Value {
    let reasons: Vec<Value> = reasons.iter().map(reason).collect();
    json!({ "start": start.to_string(), "offered": offered, "reasons": reasons })
}

/// An explanation as the JSON text of `{ start, offered, reasons }` the
/// wrapper parses and freezes.
pub fn explanation(why: &Explanation) -> String {
    explanation_of(why.start, why.offered, &why.reasons).to_string()
}

/// Nearest free starts, as ISO strings in UTC, one per line (the wrapper
/// splits them): `{ before, after }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlternativesOut {
    /// Free starts before the request's start, nearest first.
    pub before: String,
    /// Free starts after the request's start, nearest first.
    pub after: String,
}

/// Alternatives as the package answers them.
pub fn alternatives(a: &Alternatives) -> AlternativesOut {
    AlternativesOut {
        before: iso(&a.before),
        after: iso(&a.after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcas_core::booking::Conflict;
    use hcas_core::chrono::NaiveDate;
    use hcas_core::{Error, ErrorCode, Minutes, Result};

    /// The instant `h`:`m` on 2026-03-09 (a Monday) in UTC.
    fn at(h: i64, m: i64) -> Result<Timestamp> {
        // 2026-03-09 is day 20_521 after the epoch (56 years with 14 leap
        // days to 2026-01-01: 20_454; then 31 + 28 + 8 days).
        Timestamp::from_unix(20_521 * 86_400 + h * 3_600 + m * 60)
    }

    fn date() -> Result<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 3, 8)
            .ok_or_else(|| Error::new(ErrorCode::InvalidRequest, "no such date"))
    }

    #[test]
    fn reasons_are_the_engines_tags_in_order() -> Result<()> {
        // One reason of each kind, in the engine's declaration order: the
        // tag the engine gives it is the name REASONS lists at that place.
        let iv = Interval::new(at(9, 0)?, at(12, 0)?)?;
        let each = [
            Reason::OutsideQuery {
                from: at(9, 0)?,
                to: at(10, 0)?,
            },
            Reason::BeforeNotice {
                earliest: at(9, 0)?,
            },
            Reason::BeyondHorizon { latest: at(9, 0)? },
            Reason::OutsideWorkingHours {
                local_date: date()?,
                override_date: false,
                nearest: vec![],
            },
            Reason::DoesNotFit { window: iv },
            Reason::OffGrid {
                window: iv,
                step: Minutes::new(15),
                previous: at(9, 0)?,
                next: at(9, 15)?,
            },
            Reason::Busy { interval: iv },
            Reason::Buffer { interval: iv },
            Reason::Conflict(Conflict::new("room-1", vec!["b1".to_string()])),
        ];
        assert_eq!(each.len(), REASONS.len());
        for (r, name) in each.iter().zip(REASONS) {
            assert_eq!(reason(r)["reason"], name);
        }
        Ok(())
    }

    #[test]
    fn reasons_carry_the_packages_names() -> Result<()> {
        let window = Interval::new(at(9, 0)?, at(12, 0)?)?;
        let hours = Reason::OutsideWorkingHours {
            local_date: date()?,
            override_date: true,
            nearest: vec![window],
        };
        assert_eq!(
            reason(&hours),
            json!({
                "reason": "outside_working_hours",
                "localDate": "2026-03-08",
                "overrideDate": true,
                "nearest": [{ "start": "2026-03-09T09:00:00Z", "end": "2026-03-09T12:00:00Z" }],
            })
        );
        let grid = Reason::OffGrid {
            window,
            step: Minutes::new(20),
            previous: at(9, 0)?,
            next: at(9, 20)?,
        };
        assert_eq!(
            reason(&grid),
            json!({
                "reason": "off_grid",
                "window": { "start": "2026-03-09T09:00:00Z", "end": "2026-03-09T12:00:00Z" },
                "step": 20,
                "previous": "2026-03-09T09:00:00Z",
                "next": "2026-03-09T09:20:00Z",
            })
        );
        // The engine's `with` is the package's `bookings` (sorted by the engine).
        let taken = Reason::Conflict(Conflict::new(
            "dr-a",
            vec!["b2".to_string(), "b1".to_string()],
        ));
        assert_eq!(
            reason(&taken),
            json!({ "reason": "conflict", "resource": "dr-a", "bookings": ["b1", "b2"] })
        );
        assert_eq!(
            reason(&Reason::OutsideQuery {
                from: at(8, 0)?,
                to: at(8, 30)?
            }),
            json!({ "reason": "outside_query", "from": "2026-03-09T08:00:00Z", "to": "2026-03-09T08:30:00Z" })
        );
        Ok(())
    }

    #[test]
    fn an_explanation_is_start_offered_and_reasons() -> Result<()> {
        let busy = Reason::Busy {
            interval: Interval::new(at(10, 0)?, at(10, 30)?)?,
        };
        let text = explanation_of(at(10, 0)?, false, &[busy]).to_string();
        let back: Value = serde_json::from_str(&text)
            .map_err(|e| Error::new(ErrorCode::InvalidRequest, e.to_string()))?;
        assert_eq!(
            back,
            json!({
                "start": "2026-03-09T10:00:00Z",
                "offered": false,
                "reasons": [{
                    "reason": "busy",
                    "interval": { "start": "2026-03-09T10:00:00Z", "end": "2026-03-09T10:30:00Z" },
                }],
            })
        );
        assert_eq!(
            explanation_of(at(11, 0)?, true, &[]),
            json!({ "start": "2026-03-09T11:00:00Z", "offered": true, "reasons": [] })
        );
        Ok(())
    }

    #[test]
    fn alternatives_are_one_iso_string_per_line() -> Result<()> {
        let a = Alternatives::new(vec![at(9, 30)?, at(9, 0)?], vec![at(11, 0)?]);
        assert_eq!(
            alternatives(&a),
            AlternativesOut {
                before: "2026-03-09T09:30:00Z\n2026-03-09T09:00:00Z".to_string(),
                after: "2026-03-09T11:00:00Z".to_string(),
            }
        );
        Ok(())
    }
}
