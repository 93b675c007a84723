//! Answers for people (`hcas_core::advice`) on the typed [`Availability`]:
//! why a start is or is not offered (`explain`, every reason), and the
//! nearest free starts around a wanted one (`alternatives`). Conversions
//! only: the reasons and starts are the engine's.

use std::sync::Arc;

use hcas_core::advice::{self, AlternativeSearch, LedgerContext};
use hcas_core::booking::Request;
use hcas_core::{Minutes, SlotQuery, Timestamp};

use crate::{Availability, HcasError, Ledger};

/// A half-open interval of instants `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TimeInterval {
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
}

impl From<hcas_core::Interval> for TimeInterval {
    fn from(iv: hcas_core::Interval) -> Self {
        Self {
            start: iv.start(),
            end: iv.end(),
        }
    }
}

/// One reason a start is not offered (`hcas_core::advice::Reason`; the
/// variant is the engine's `reason`, `Busy` being `BusyTime`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Reason {
    /// The start lies outside the query's `[from, to)`.
    OutsideQuery {
        /// The query's start.
        from: Timestamp,
        /// The query's end (exclusive).
        to: Timestamp,
    },
    /// Closer to `now` than the minimum notice allows.
    BeforeNotice {
        /// The earliest start the notice allows.
        earliest: Timestamp,
    },
    /// Beyond the booking horizon.
    BeyondHorizon {
        /// Starts must be before this.
        latest: Timestamp,
    },
    /// No working window contains the start.
    OutsideWorkingHours {
        /// The provider's local date at the start (`2026-03-23`).
        local_date: String,
        /// Whether a date override replaces that date's rules.
        override_date: bool,
        /// The nearest working windows before and after, if any.
        nearest: Vec<TimeInterval>,
    },
    /// The start is in a working window but the appointment would run past
    /// its end.
    DoesNotFit {
        /// The merged working window.
        window: TimeInterval,
    },
    /// The start is in a working window but not on its grid of starts.
    OffGrid {
        /// The merged working window whose grid applies.
        window: TimeInterval,
        /// The grid step, in minutes.
        step_minutes: u32,
        /// The grid point before the start.
        previous: Timestamp,
        /// The grid point after the start (it may not fit the window).
        next: Timestamp,
    },
    /// The appointment itself would overlap busy time (the engine's `busy`).
    BusyTime {
        /// The busy interval.
        interval: TimeInterval,
    },
    /// Only the buffers around the appointment would overlap busy time.
    Buffer {
        /// The busy interval.
        interval: TimeInterval,
    },
    /// A ledger has blocking bookings on a resource (at capacity).
    Conflict {
        /// The resource.
        resource: String,
        /// The ids of the blocking bookings, sorted.
        bookings: Vec<String>,
    },
    /// A reason added to the engine after this binding: its wire name.
    Other {
        /// The engine's `reason` name.
        reason: String,
    },
}

fn minutes_u32(m: Minutes) -> u32 {
    u32::try_from(m.get()).unwrap_or(u32::MAX)
}

impl From<advice::Reason> for Reason {
    fn from(r: advice::Reason) -> Self {
        use advice::Reason as R;
        match r {
            R::OutsideQuery { from, to } => Self::OutsideQuery { from, to },
            R::BeforeNotice { earliest } => Self::BeforeNotice { earliest },
            R::BeyondHorizon { latest } => Self::BeyondHorizon { latest },
            R::OutsideWorkingHours {
                local_date,
                override_date,
                nearest,
            } => Self::OutsideWorkingHours {
                local_date: local_date.to_string(),
                override_date,
                nearest: nearest.into_iter().map(Into::into).collect(),
            },
            R::DoesNotFit { window } => Self::DoesNotFit {
                window: window.into(),
            },
            R::OffGrid {
                window,
                step,
                previous,
                next,
            } => Self::OffGrid {
                window: window.into(),
                step_minutes: minutes_u32(step),
                previous,
                next,
            },
            R::Busy { interval } => Self::BusyTime {
                interval: interval.into(),
            },
            R::Buffer { interval } => Self::Buffer {
                interval: interval.into(),
            },
            R::Conflict(c) => Self::Conflict {
                resource: c.resource,
                bookings: c.with,
            },
            other => Self::Other {
                reason: serde_json::to_value(&other)
                    .ok()
                    .and_then(|v| v.get("reason")?.as_str().map(str::to_string))
                    .unwrap_or_default(),
            },
        }
    }
}

/// Why a start is or is not offered.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Explanation {
    /// The start asked about.
    pub start: Timestamp,
    /// Whether `slots` offers it (exactly when `reasons` is empty).
    pub offered: bool,
    /// Every reason it is not, in the engine's order.
    pub reasons: Vec<Reason>,
}

/// The nearest free starts around a wanted one.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Alternatives {
    /// Free starts before the wanted start, nearest first.
    pub before: Vec<Timestamp>,
    /// Free starts after the wanted start, nearest first.
    pub after: Vec<Timestamp>,
}

fn slot_query(
    from: Timestamp,
    to: Timestamp,
    duration_minutes: u32,
    step_minutes: Option<u32>,
) -> SlotQuery {
    let mut query = SlotQuery::new(from, to, Minutes::new(i64::from(duration_minutes)));
    query.step = step_minutes.map(|s| Minutes::new(i64::from(s)));
    query
}

fn explanation(why: advice::Explanation) -> Explanation {
    Explanation {
        start: why.start,
        offered: why.offered,
        reasons: why.reasons.into_iter().map(Into::into).collect(),
    }
}

#[uniffi::export]
impl Availability {
    /// Why `start` is (not) among `slots(from, to, durationMinutes,
    /// stepMinutes)`: every reason, not just the first; `offered` is exactly
    /// whether `slots` offers it (`hcas_core::Availability::explain`).
    ///
    /// # Errors
    /// As `slots`: `invalid_duration`, `invalid_interval`, `invalid_window`
    /// for the query.
    pub fn explain(
        &self,
        start: Timestamp,
        from: Timestamp,
        to: Timestamp,
        duration_minutes: u32,
        step_minutes: Option<u32>,
    ) -> Result<Explanation, HcasError> {
        let query = slot_query(from, to, duration_minutes, step_minutes);
        Ok(explanation(self.0.explain(start, &query)?))
    }

    /// As [`Availability::explain`], adding the `ledger`'s conflicts for
    /// the `resources` the appointment would use, asked at `ledgerNow` (for
    /// expiring holds): a `Conflict(resource, bookings)` reason per resource
    /// at capacity (`hcas_core::advice::explain_with_ledger`).
    ///
    /// # Errors
    /// As `explain`.
    #[allow(clippy::too_many_arguments)]
    pub fn explain_with_ledger(
        &self,
        ledger: Arc<Ledger>,
        resources: Vec<String>,
        ledger_now: Timestamp,
        start: Timestamp,
        from: Timestamp,
        to: Timestamp,
        duration_minutes: u32,
        step_minutes: Option<u32>,
    ) -> Result<Explanation, HcasError> {
        let query = slot_query(from, to, duration_minutes, step_minutes);
        let ledger = ledger.lock();
        let context = LedgerContext::new(&ledger, &resources, ledger_now);
        Ok(explanation(advice::explain_with_ledger(
            &self.0, &context, start, &query,
        )?))
    }

    /// Up to `count` starts before and after `start` for an appointment of
    /// `durationMinutes` on `resources`, nearest first, none before `now`,
    /// that this availability offers and the `ledger` has room for, on a
    /// grid of `stepMinutes` (default: the duration), searched within
    /// `searchDays` days either side (default 7, at most 200): the engine's
    /// `hcas_core::advice::alternatives`.
    ///
    /// # Errors
    /// `invalid_request` for a count of 0 or `searchDays` outside 1..=200;
    /// `invalid_interval` for a zero duration; the request's validation
    /// errors for `resources`.
    #[allow(clippy::too_many_arguments)]
    pub fn alternatives(
        &self,
        ledger: Arc<Ledger>,
        resources: Vec<String>,
        start: Timestamp,
        duration_minutes: u32,
        now: Timestamp,
        count: u32,
        step_minutes: Option<u32>,
        search_days: Option<u32>,
    ) -> Result<Alternatives, HcasError> {
        let duration = Minutes::new(i64::from(duration_minutes));
        let wanted = hcas_core::Interval::new(start, start.checked_add(duration)?)?;
        let request = Request::new(resources, wanted);
        let mut search = AlternativeSearch::new(now, count as usize);
        if let Some(s) = step_minutes {
            search = search.step(Minutes::new(i64::from(s)));
        }
        if let Some(d) = search_days {
            search = search.search_days(i64::from(d));
        }
        let found = advice::alternatives(&self.0, &ledger.lock(), &request, &search)?;
        Ok(Alternatives {
            before: found.before,
            after: found.after,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use super::*;
    use crate::{Busy, WorkingHours, Zone};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    /// 09:00-12:00 UTC daily from 2026-06-01, busy 10:00-10:30 on 06-01.
    fn avail() -> Arc<Availability> {
        let hours = WorkingHours {
            rrule: "FREQ=DAILY".into(),
            dtstart: "2026-06-01".into(),
            start: "09:00".into(),
            end: "12:00".into(),
        };
        let busy = Busy {
            start: t("2026-06-01T10:00:00Z"),
            end: t("2026-06-01T10:30:00Z"),
        };
        Availability::new(Zone::new("UTC".into()).unwrap(), vec![hours], vec![busy]).unwrap()
    }

    #[test]
    fn explain_names_the_busy_interval_and_off_hours() {
        let (from, to) = (t("2026-06-01T00:00:00Z"), t("2026-06-02T00:00:00Z"));
        let why = avail()
            .explain(t("2026-06-01T10:00:00Z"), from, to, 30, None)
            .unwrap();
        assert!(!why.offered);
        assert_eq!(
            why.reasons,
            [Reason::BusyTime {
                interval: TimeInterval {
                    start: t("2026-06-01T10:00:00Z"),
                    end: t("2026-06-01T10:30:00Z"),
                },
            }]
        );
        let ok = avail()
            .explain(t("2026-06-01T09:30:00Z"), from, to, 30, None)
            .unwrap();
        assert!(ok.offered && ok.reasons.is_empty());
        let late = avail()
            .explain(t("2026-06-01T13:00:00Z"), from, to, 30, None)
            .unwrap();
        assert!(
            matches!(&late.reasons[..], [Reason::OutsideWorkingHours { local_date, .. }] if local_date == "2026-06-01"),
            "{late:?}"
        );
    }

    #[test]
    fn alternatives_skip_busy_time() {
        // Wanted 10:00 (busy until 10:30), 30-minute grid from 09:00:
        // before 09:30, 09:00; after 10:30, 11:00.
        let alt = avail()
            .alternatives(
                Ledger::new(),
                vec!["provider:P1".into()],
                t("2026-06-01T10:00:00Z"),
                30,
                t("2026-06-01T00:00:00Z"),
                2,
                None,
                Some(1),
            )
            .unwrap();
        assert_eq!(
            alt.before,
            [t("2026-06-01T09:30:00Z"), t("2026-06-01T09:00:00Z")]
        );
        assert_eq!(
            alt.after,
            [t("2026-06-01T10:30:00Z"), t("2026-06-01T11:00:00Z")]
        );
        let e = avail()
            .alternatives(
                Ledger::new(),
                vec!["provider:P1".into()],
                t("2026-06-01T10:00:00Z"),
                30,
                t("2026-06-01T00:00:00Z"),
                0,
                None,
                None,
            )
            .unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }

    #[test]
    fn a_ledger_booking_blocks_a_start() {
        // b1 books provider:P1 10:30-11:00; the availability's own busy
        // time is 10:00-10:30. Wanted 10:00 on the 30-minute grid: after it
        // 10:30 is now taken, so 11:00 and 11:30 remain.
        let ledger = Ledger::new();
        ledger
            .insert(crate::Booking {
                id: "b1".into(),
                resources: vec!["provider:P1".into()],
                start: t("2026-06-01T10:30:00Z"),
                end: t("2026-06-01T11:00:00Z"),
                status: crate::BookingStatus::Booked,
                hold_expires: None,
                series: None,
                cancel_reason: None,
                replaces: None,
                replaced_by: None,
            })
            .unwrap();
        let now = t("2026-06-01T00:00:00Z");
        let p1 = vec!["provider:P1".to_string()];
        let alt = avail()
            .alternatives(
                ledger.clone(),
                p1.clone(),
                t("2026-06-01T10:00:00Z"),
                30,
                now,
                2,
                None,
                Some(1),
            )
            .unwrap();
        assert_eq!(
            alt.after,
            [t("2026-06-01T11:00:00Z"), t("2026-06-01T11:30:00Z")]
        );
        let why = avail()
            .explain_with_ledger(
                ledger,
                p1,
                now,
                t("2026-06-01T10:30:00Z"),
                now,
                t("2026-06-02T00:00:00Z"),
                30,
                None,
            )
            .unwrap();
        assert!(!why.offered);
        assert_eq!(
            why.reasons,
            [Reason::Conflict {
                resource: "provider:P1".into(),
                bookings: vec!["b1".into()],
            }]
        );
    }
}
