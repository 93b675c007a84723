//! Answers for people, not just programs: why a start is not offered, and the
//! nearest free alternatives when a request conflicts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::availability::{Availability, SlotQuery};
use crate::booking::{Conflict, Ledger, Request};
use crate::error::{Error, Result};
use crate::time::{DAY, Interval, MINUTE, Timestamp};

/// One reason a start is not offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// The start lies outside the query's `[from, to)`.
    OutsideQuery {
        /// Query start.
        from: Timestamp,
        /// Query end.
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
        /// The provider's local date at the start.
        local_date: NaiveDate,
        /// Whether an override replaces that date's rules.
        override_date: bool,
        /// The nearest working windows before and after, if any.
        nearest: Vec<Interval>,
    },
    /// The start is in a working window but the appointment would run past its end.
    DoesNotFit {
        /// The merged working window.
        window: Interval,
    },
    /// The start is in a working window but not on its grid of candidate starts.
    OffGrid {
        /// The merged working window whose grid applies.
        window: Interval,
        /// Grid step in minutes.
        step: i64,
        /// The grid point before the start.
        previous: Timestamp,
        /// The grid point after the start (may not fit the window).
        next: Timestamp,
    },
    /// The appointment itself would overlap busy time.
    Busy {
        /// The busy interval.
        interval: Interval,
    },
    /// Only the buffers around the appointment would overlap busy time.
    Buffer {
        /// The busy interval.
        interval: Interval,
    },
    /// The ledger has blocking bookings on a resource (at capacity).
    Conflict(Conflict),
}

/// Why a start is or is not offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The start asked about.
    pub start: Timestamp,
    /// Whether the slot engine offers it (exactly when `reasons` is empty).
    pub offered: bool,
    /// Every reason it is not.
    pub reasons: Vec<Reason>,
}

impl Availability {
    /// Why `start` is (not) among `self.slots(query)`: every reason, not just
    /// the first. `offered` equals `slots(query).contains(&start)`.
    ///
    /// ```
    /// use hcas_core::{Availability, LocalTime, SlotQuery, WorkingRule, Zone};
    /// use hcas_core::advice::Reason;
    /// use chrono::NaiveDate;
    /// let rule = WorkingRule::new("FREQ=DAILY".parse().unwrap(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    ///     LocalTime::parse("09:00", false).unwrap(), LocalTime::parse("12:00", true).unwrap()).unwrap();
    /// let avail = Availability::new(Zone::parse("UTC").unwrap(), vec![rule], vec![], vec![]);
    /// let q = SlotQuery::new("2026-01-01T00:00:00Z".parse().unwrap(), "2026-01-02T00:00:00Z".parse().unwrap(), 30);
    /// let why = avail.explain("2026-01-01T13:00:00Z".parse().unwrap(), &q).unwrap();
    /// assert!(!why.offered);
    /// assert!(matches!(why.reasons[0], Reason::OutsideWorkingHours { .. }));
    /// ```
    ///
    /// # Errors
    /// The query's validation errors.
    pub fn explain(&self, start: Timestamp, query: &SlotQuery) -> Result<Explanation> {
        query.validate()?;
        let s = start.unix();
        let dur = query.duration * MINUTE;
        let step = query.step.unwrap_or(query.duration) * MINUTE;
        let mut reasons = Vec::new();
        if start < query.from || start >= query.to {
            reasons.push(Reason::OutsideQuery {
                from: query.from,
                to: query.to,
            });
        }
        if let Some(now) = query.now {
            let earliest = now.plus_minutes(query.min_notice)?;
            if start < earliest {
                reasons.push(Reason::BeforeNotice { earliest });
            }
            if let Some(h) = query.horizon {
                let latest = now.plus_minutes(h)?;
                if start >= latest {
                    reasons.push(Reason::BeyondHorizon { latest });
                }
            }
        }
        let lo = Timestamp::clamped(s.min(query.from.unix()) - DAY);
        let hi = Timestamp::clamped((s + 1).max(query.to.unix()) + DAY);
        let windows = self.windows_for(lo, hi, dur)?;
        match windows.iter().find(|w| w.contains(start)) {
            None => {
                let i = windows.partition_point(|w| w.end() <= start);
                let nearest = [i.checked_sub(1), Some(i)]
                    .into_iter()
                    .flatten()
                    .filter_map(|k| windows.get(k).copied())
                    .collect();
                let local_date = self.zone().to_local(start).date();
                reasons.push(Reason::OutsideWorkingHours {
                    local_date,
                    override_date: self.has_override_on(local_date),
                    nearest,
                });
            }
            Some(w) => {
                let ws = w.start().unix();
                let k = (s - ws).div_euclid(step);
                if (s - ws).rem_euclid(step) != 0 {
                    reasons.push(Reason::OffGrid {
                        window: *w,
                        step: step / MINUTE,
                        previous: Timestamp::from_unix(ws + k * step)?,
                        next: Timestamp::from_unix(ws + (k + 1) * step)?,
                    });
                }
                if s + dur > w.end().unix() {
                    reasons.push(Reason::DoesNotFit { window: *w });
                }
            }
        }
        let appt = Interval::new(start, start.plus_minutes(query.duration)?)?;
        let buffered = Interval::new(
            start.plus_minutes(-query.buffer_before)?,
            start.plus_minutes(query.duration + query.buffer_after)?,
        )?;
        for b in self.busy().intervals() {
            if b.overlaps(&appt) {
                reasons.push(Reason::Busy { interval: *b });
            } else if b.overlaps(&buffered) {
                reasons.push(Reason::Buffer { interval: *b });
            }
        }
        Ok(Explanation {
            start,
            offered: reasons.is_empty(),
            reasons,
        })
    }
}

/// As [`Availability::explain`], adding the ledger's conflicts for `resources`.
///
/// # Errors
/// The query's and the request's validation errors.
pub fn explain_with_ledger(
    availability: &Availability,
    ledger: &Ledger,
    resources: &[String],
    start: Timestamp,
    query: &SlotQuery,
    now: Timestamp,
) -> Result<Explanation> {
    let mut why = availability.explain(start, query)?;
    let check = ledger.check(
        &Request {
            start,
            end: start.plus_minutes(query.duration)?,
            resources: resources.to_vec(),
        },
        now,
    )?;
    why.reasons
        .extend(check.conflicts.into_iter().map(Reason::Conflict));
    why.offered = why.reasons.is_empty();
    Ok(why)
}

/// The nearest free starts around a conflicting request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Alternatives {
    /// Free starts before the request's start, nearest first.
    pub before: Vec<Timestamp>,
    /// Free starts after the request's start, nearest first.
    pub after: Vec<Timestamp>,
}

/// Up to `n` free starts before and `n` after `request.start`, for the same
/// resources and duration, inside `availability`'s working windows (grid `step`
/// minutes, default the duration) and free in `ledger`, searched within
/// `search_days` days either side.
///
/// # Errors
/// `invalid_request` for `n == 0` or `search_days` outside 1..=200; the
/// request's and the slot query's validation errors.
pub fn alternatives(
    availability: &Availability,
    ledger: &Ledger,
    request: &Request,
    now: Timestamp,
    n: usize,
    step: Option<i64>,
    search_days: i64,
) -> Result<Alternatives> {
    let iv = request.validate()?;
    if n == 0 || !(1..=200).contains(&search_days) {
        return Err(Error::request(
            "alternatives need n >= 1 and search_days within 1..=200",
        ));
    }
    let minutes = iv.seconds() / MINUTE;
    if minutes * MINUTE != iv.seconds() {
        return Err(Error::duration(
            "the request's length must be whole minutes",
        ));
    }
    let mut q = SlotQuery::new(
        Timestamp::clamped(iv.start().unix() - search_days * DAY),
        Timestamp::clamped(iv.start().unix() + search_days * DAY),
        minutes,
    );
    q.step = step;
    q.now = Some(now);
    let slots = availability.slots(&q)?;
    // A slot lies inside a working window, so its end is an instant too.
    let free = |s: Timestamp| {
        s.plus_minutes(minutes).is_ok_and(|end| {
            ledger
                .check(
                    &Request {
                        start: s,
                        end,
                        resources: request.resources.clone(),
                    },
                    now,
                )
                .is_ok_and(|c| c.ok)
        })
    };
    let split = slots.partition_point(|s| *s < request.start);
    let before = slots[..split]
        .iter()
        .rev()
        .copied()
        .filter(|s| free(*s))
        .take(n)
        .collect();
    let after = slots[split..]
        .iter()
        .copied()
        .filter(|s| *s > request.start && free(*s))
        .take(n)
        .collect();
    Ok(Alternatives { before, after })
}
