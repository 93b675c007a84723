//! Answers for people, not just programs: why a start is not offered, and the
//! nearest free alternatives when a request conflicts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::availability::{Availability, SlotQuery};
use crate::booking::{Conflict, Ledger, Request};
use crate::error::{Error, Result};
use crate::time::{DAY, Interval, MINUTE, Minutes, Timestamp};

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
        /// Grid step (minutes on the wire).
        step: Minutes,
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
#[non_exhaustive]
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
    /// use hcas_core::{Availability, LocalTime, Minutes, SlotQuery, WorkingRule, Zone};
    /// use hcas_core::advice::Reason;
    /// use chrono::NaiveDate;
    /// let rule = WorkingRule::daily(LocalTime::new(9, 0).unwrap(), LocalTime::new(12, 0).unwrap(),
    ///     NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap();
    /// let avail = Availability::new(Zone::parse("UTC").unwrap()).with_rule(rule);
    /// let q = SlotQuery::new("2026-01-01T00:00:00Z".parse().unwrap(), "2026-01-02T00:00:00Z".parse().unwrap(),
    ///     Minutes::new(30));
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
        let dur = query.duration.get() * MINUTE;
        let step = query.effective_step().get() * MINUTE;
        let mut reasons = Vec::new();
        if start < query.from || start >= query.to {
            reasons.push(Reason::OutsideQuery {
                from: query.from,
                to: query.to,
            });
        }
        if let Some(now) = query.now {
            let earliest = now.checked_add(query.min_notice)?;
            if start < earliest {
                reasons.push(Reason::BeforeNotice { earliest });
            }
            if let Some(h) = query.horizon {
                let latest = now.checked_add(h)?;
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
                        step: query.effective_step(),
                        previous: Timestamp::from_unix(ws + k * step)?,
                        next: Timestamp::from_unix(ws + (k + 1) * step)?,
                    });
                }
                if s + dur > w.end().unix() {
                    reasons.push(Reason::DoesNotFit { window: *w });
                }
            }
        }
        let end = start.checked_add(query.duration)?;
        let appt = Interval::new(start, end)?;
        let buffered = Interval::new(
            start.checked_sub(query.buffer_before)?,
            end.checked_add(query.buffer_after)?,
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

/// The ledger side of a question: the bookings, whose resources, and when
/// it is asked.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct LedgerContext<'a> {
    /// The bookings to check against.
    pub ledger: &'a Ledger,
    /// The resources the appointment would use.
    pub resources: &'a [String],
    /// The current instant (for expiring holds).
    pub now: Timestamp,
}

impl<'a> LedgerContext<'a> {
    /// `resources` in `ledger`, asked at `now`.
    #[must_use]
    pub const fn new(ledger: &'a Ledger, resources: &'a [String], now: Timestamp) -> Self {
        Self {
            ledger,
            resources,
            now,
        }
    }
}

/// As [`Availability::explain`], adding the ledger's conflicts for the
/// context's resources.
///
/// ```
/// use hcas_core::{Availability, LocalTime, Minutes, SlotQuery, Timestamp, WorkingRule, Zone};
/// use hcas_core::advice::{LedgerContext, Reason, explain_with_ledger};
/// use hcas_core::booking::{Booking, Ledger};
/// use hcas_core::Interval;
/// use hcas_core::chrono::NaiveDate;
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let avail = Availability::new(Zone::parse("UTC").unwrap()).with_rule(WorkingRule::daily(
///     LocalTime::new(9, 0).unwrap(), LocalTime::new(12, 0).unwrap(),
///     NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap());
/// let mut ledger = Ledger::new();
/// let taken = Interval::new(t("2026-01-01T09:00:00Z"), t("2026-01-01T09:30:00Z")).unwrap();
/// ledger.insert(Booking::new("b1", vec!["provider:P1".into()], taken)).unwrap();
/// let q = SlotQuery::new(t("2026-01-01T00:00:00Z"), t("2026-01-02T00:00:00Z"), Minutes::new(30));
/// let resources = ["provider:P1".to_string()];
/// let ctx = LedgerContext::new(&ledger, &resources, t("2026-01-01T00:00:00Z"));
/// let why = explain_with_ledger(&avail, &ctx, t("2026-01-01T09:00:00Z"), &q).unwrap();
/// assert!(!why.offered);
/// assert!(matches!(why.reasons[0], Reason::Conflict(_)));
/// ```
///
/// # Errors
/// The query's and the request's validation errors.
pub fn explain_with_ledger(
    availability: &Availability,
    context: &LedgerContext<'_>,
    start: Timestamp,
    query: &SlotQuery,
) -> Result<Explanation> {
    let mut why = availability.explain(start, query)?;
    let check = context.ledger.check(
        &Request {
            start,
            end: start.checked_add(query.duration)?,
            resources: context.resources.to_vec(),
        },
        context.now,
    )?;
    why.reasons
        .extend(check.conflicts.into_iter().map(Reason::Conflict));
    why.offered = why.reasons.is_empty();
    Ok(why)
}

/// The nearest free starts around a conflicting request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Alternatives {
    /// Free starts before the request's start, nearest first.
    pub before: Vec<Timestamp>,
    /// Free starts after the request's start, nearest first.
    pub after: Vec<Timestamp>,
}

impl Alternatives {
    /// The free starts `before` and `after` a request's start, each nearest
    /// first, as [`alternatives`] answers them. Nothing is checked: this
    /// rebuilds an answer the engine gave, as its serde form does.
    #[must_use]
    pub const fn new(before: Vec<Timestamp>, after: Vec<Timestamp>) -> Self {
        Self { before, after }
    }
}

/// How [`alternatives`] searches: when it is asked, how many starts each
/// side, on which grid, how far.
///
/// ```
/// use hcas_core::{Minutes, Timestamp};
/// use hcas_core::advice::AlternativeSearch;
/// let now: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
/// let search = AlternativeSearch::new(now, 2).step(Minutes::new(15)).search_days(14);
/// assert_eq!((search.count, search.search_days), (2, 14));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AlternativeSearch {
    /// The current instant (no start before it is offered).
    pub now: Timestamp,
    /// Most starts to find on each side (>= 1).
    pub count: usize,
    /// Grid step; `None`: the request's length.
    pub step: Option<Minutes>,
    /// How far to search on each side, in days (1..=200).
    pub search_days: i64,
}

impl AlternativeSearch {
    /// The default search radius, in days.
    pub const DEFAULT_SEARCH_DAYS: i64 = 7;

    /// Up to `count` starts each side, asked at `now`, on the request's own
    /// grid, within [`AlternativeSearch::DEFAULT_SEARCH_DAYS`] days.
    #[must_use]
    pub const fn new(now: Timestamp, count: usize) -> Self {
        Self {
            now,
            count,
            step: None,
            search_days: Self::DEFAULT_SEARCH_DAYS,
        }
    }

    /// With candidate starts every `step`.
    #[must_use]
    pub const fn step(mut self, step: Minutes) -> Self {
        self.step = Some(step);
        self
    }

    /// Searching `days` days either side.
    #[must_use]
    pub const fn search_days(mut self, days: i64) -> Self {
        self.search_days = days;
        self
    }
}

/// Up to `search.count` free starts before and after `request.start`, for the
/// same resources and duration, inside `availability`'s working windows (grid
/// `search.step`, default the duration) and free in `ledger`, searched within
/// `search.search_days` days either side.
///
/// # Errors
/// `invalid_request` for a count of 0 or `search_days` outside 1..=200; the
/// request's and the slot query's validation errors.
pub fn alternatives(
    availability: &Availability,
    ledger: &Ledger,
    request: &Request,
    search: &AlternativeSearch,
) -> Result<Alternatives> {
    let AlternativeSearch {
        now,
        count: n,
        step,
        search_days,
    } = *search;
    let iv = request.validate()?;
    if n == 0 || !(1..=200).contains(&search_days) {
        return Err(Error::request(
            "alternatives need a count >= 1 and search_days within 1..=200",
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
        Minutes::new(minutes),
    )
    .now(now);
    q.step = step;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::Booking;
    use crate::{LocalTime, WorkingRule, Zone};

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn mornings() -> Availability {
        Availability::new(Zone::parse("UTC").unwrap()).with_rule(
            WorkingRule::daily(
                LocalTime::new(9, 0).unwrap(),
                LocalTime::new(12, 0).unwrap(),
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            )
            .unwrap(),
        )
    }

    fn request(start: &str, end: &str) -> Request {
        Request {
            start: t(start),
            end: t(end),
            resources: vec!["provider:P1".into()],
        }
    }

    #[test]
    fn alternative_search_defaults_and_setters() {
        let now = t("2026-01-01T00:00:00Z");
        let s = AlternativeSearch::new(now, 3);
        assert_eq!(
            (s.now, s.count, s.step, s.search_days),
            (now, 3, None, AlternativeSearch::DEFAULT_SEARCH_DAYS)
        );
        let s = s.step(Minutes::new(15)).search_days(30);
        assert_eq!((s.step, s.search_days), (Some(Minutes::new(15)), 30));
    }

    #[test]
    fn alternatives_follow_the_search_options() {
        let mut ledger = Ledger::new();
        ledger
            .insert(Booking::new(
                "b",
                vec!["provider:P1".into()],
                Interval::new(t("2026-01-05T10:00:00Z"), t("2026-01-05T11:00:00Z")).unwrap(),
            ))
            .unwrap();
        let req = request("2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z");
        let now = t("2026-01-01T00:00:00Z");
        let hourly =
            alternatives(&mornings(), &ledger, &req, &AlternativeSearch::new(now, 1)).unwrap();
        assert_eq!(hourly.before, [t("2026-01-05T09:00:00Z")]);
        assert_eq!(hourly.after, [t("2026-01-05T11:00:00Z")]);
        // A finer grid finds nearer starts; one day of search still reaches.
        let fine = AlternativeSearch::new(now, 2)
            .step(Minutes::new(20))
            .search_days(1);
        let got = alternatives(&mornings(), &ledger, &req, &fine).unwrap();
        assert_eq!(
            got.before,
            [t("2026-01-05T09:00:00Z"), t("2026-01-04T11:00:00Z")]
        );
        assert_eq!(
            got.after,
            [t("2026-01-05T11:00:00Z"), t("2026-01-06T09:00:00Z")]
        );
        for bad in [
            AlternativeSearch::new(now, 0),
            AlternativeSearch::new(now, 1).search_days(0),
            AlternativeSearch::new(now, 1).search_days(201),
        ] {
            let e = alternatives(&mornings(), &ledger, &req, &bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidRequest);
        }
    }

    #[test]
    fn explain_with_ledger_adds_the_context_conflicts() {
        let mut ledger = Ledger::new();
        ledger
            .insert(Booking::new(
                "b",
                vec!["room:R1".into()],
                Interval::new(t("2026-01-05T09:00:00Z"), t("2026-01-05T09:30:00Z")).unwrap(),
            ))
            .unwrap();
        let q = SlotQuery::new(
            t("2026-01-05T00:00:00Z"),
            t("2026-01-06T00:00:00Z"),
            Minutes::new(30),
        );
        let now = t("2026-01-01T00:00:00Z");
        let start = t("2026-01-05T09:00:00Z");
        let room = ["room:R1".to_string()];
        let other = ["room:R2".to_string()];
        let busy = explain_with_ledger(
            &mornings(),
            &LedgerContext::new(&ledger, &room, now),
            start,
            &q,
        )
        .unwrap();
        assert!(!busy.offered);
        assert!(matches!(busy.reasons.as_slice(), [Reason::Conflict(_)]));
        let free = explain_with_ledger(
            &mornings(),
            &LedgerContext::new(&ledger, &other, now),
            start,
            &q,
        )
        .unwrap();
        assert!(free.offered && free.reasons.is_empty());
        // The grid step in an off-grid reason is minutes on the wire, as before.
        let off = mornings().explain(t("2026-01-05T09:10:00Z"), &q).unwrap();
        let json = serde_json::to_value(&off.reasons[0]).unwrap();
        assert_eq!(json["reason"], "off_grid");
        assert_eq!(json["step"], 30);
    }
}
