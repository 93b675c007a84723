//! [`SlotQuery`]: the window, length, grid, buffers, notice and horizon of a slot question.

use super::*;

/// A slot query: the window of starts, the appointment length, the grid step,
/// buffers, notice and horizon.
///
/// Built with [`SlotQuery::new`] and its by-value setters; every field is
/// public to read (and to set, then [`SlotQuery::validate`]). On the wire the
/// durations are integers of minutes and unknown fields are refused;
/// deserialising checks as [`SlotQuery::validate`] does.
///
/// ```
/// use hcas_core::{Minutes, SlotQuery, Timestamp};
/// let now: Timestamp = "2026-03-01T08:00:00Z".parse().unwrap();
/// let q = SlotQuery::new(now, "2026-03-08T00:00:00Z".parse().unwrap(), Minutes::new(30))
///     .step(Minutes::new(15))
///     .buffers(Minutes::ZERO, Minutes::new(5))
///     .now(now)
///     .notice(Minutes::hours(2))
///     .horizon(Minutes::days(90));
/// assert!(q.validate().is_ok());
/// assert_eq!(q.effective_step(), Minutes::new(15));
/// let json = serde_json::to_value(q).unwrap();
/// assert_eq!(json["duration"], 30);
/// assert_eq!(json["min_notice"], 120);
/// assert_eq!(serde_json::from_value::<SlotQuery>(json).unwrap(), q);
/// // Setting a field directly skips no check: the engine validates every query.
/// let mut bad = q;
/// bad.duration = Minutes::ZERO;
/// assert_eq!(bad.validate().unwrap_err().code(), hcas_core::ErrorCode::InvalidDuration);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SlotQueryRaw")]
#[non_exhaustive]
pub struct SlotQuery {
    /// Earliest offered start (inclusive).
    pub from: Timestamp,
    /// Latest offered start (exclusive).
    pub to: Timestamp,
    /// Appointment length (> 0).
    pub duration: Minutes,
    /// Grid step (> 0); `None`: the duration.
    pub step: Option<Minutes>,
    /// Free time required before the appointment (>= 0).
    pub buffer_before: Minutes,
    /// Free time required after the appointment (>= 0).
    pub buffer_after: Minutes,
    /// The current instant; enables `min_notice` and `horizon`.
    pub now: Option<Timestamp>,
    /// Minimum time between `now` and a start (>= 0).
    pub min_notice: Minutes,
    /// Starts must be before `now + horizon` (>= 0).
    pub horizon: Option<Minutes>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotQueryRaw {
    from: Timestamp,
    to: Timestamp,
    duration: Minutes,
    #[serde(default)]
    step: Option<Minutes>,
    #[serde(default)]
    buffer_before: Minutes,
    #[serde(default)]
    buffer_after: Minutes,
    #[serde(default)]
    now: Option<Timestamp>,
    #[serde(default)]
    min_notice: Minutes,
    #[serde(default)]
    horizon: Option<Minutes>,
}

impl TryFrom<SlotQueryRaw> for SlotQuery {
    type Error = Error;
    fn try_from(r: SlotQueryRaw) -> Result<Self> {
        let q = Self {
            from: r.from,
            to: r.to,
            duration: r.duration,
            step: r.step,
            buffer_before: r.buffer_before,
            buffer_after: r.buffer_after,
            now: r.now,
            min_notice: r.min_notice,
            horizon: r.horizon,
        };
        q.validate()?;
        Ok(q)
    }
}

impl SlotQuery {
    /// A query for `duration`-long slots starting in `[from, to)`, every other
    /// field at its default: step = duration, no buffers, no `now` (so no
    /// notice or horizon).
    #[must_use]
    pub const fn new(from: Timestamp, to: Timestamp, duration: Minutes) -> Self {
        Self {
            from,
            to,
            duration,
            step: None,
            buffer_before: Minutes::ZERO,
            buffer_after: Minutes::ZERO,
            now: None,
            min_notice: Minutes::ZERO,
            horizon: None,
        }
    }

    /// With candidate starts every `step` along each working window.
    #[must_use]
    pub const fn step(mut self, step: Minutes) -> Self {
        self.step = Some(step);
        self
    }

    /// With free time required `before` and `after` each appointment.
    #[must_use]
    pub const fn buffers(mut self, before: Minutes, after: Minutes) -> Self {
        self.buffer_before = before;
        self.buffer_after = after;
        self
    }

    /// With the current instant, which [`SlotQuery::notice`] and
    /// [`SlotQuery::horizon`] count from (without it they have no effect).
    #[must_use]
    pub const fn now(mut self, now: Timestamp) -> Self {
        self.now = Some(now);
        self
    }

    /// With starts at least `min_notice` after `now`.
    #[must_use]
    pub const fn notice(mut self, min_notice: Minutes) -> Self {
        self.min_notice = min_notice;
        self
    }

    /// With starts before `now + horizon`.
    #[must_use]
    pub const fn horizon(mut self, horizon: Minutes) -> Self {
        self.horizon = Some(horizon);
        self
    }

    /// The grid step in force: `step`, or the duration when unset.
    #[must_use]
    pub fn effective_step(&self) -> Minutes {
        self.step.unwrap_or(self.duration)
    }

    /// Check every field; called by the slot engine before any work.
    ///
    /// # Errors
    /// `invalid_interval`, `invalid_duration` or `invalid_window`, naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.to <= self.from {
            return Err(Error::new(
                ErrorCode::InvalidInterval,
                format!(
                    "query.to ({}) must be after query.from ({})",
                    self.to, self.from
                ),
            ));
        }
        if self.to.unix() - self.from.unix() > MAX_SLOT_WINDOW_DAYS * DAY {
            return Err(Error::window(format!(
                "a slot query may span at most {MAX_SLOT_WINDOW_DAYS} days; split {}..{} into smaller windows",
                self.from, self.to
            )));
        }
        let max = MAX_SLOT_WINDOW_DAYS * 24 * 60;
        // Buffers, notice and horizon only need to stay clear of overflow: a
        // booking horizon of 18 months is ordinary.
        let long = LONG_MINUTES;
        let positive = |name: &str, v: i64| {
            if v <= 0 || v > max {
                Err(Error::duration(format!(
                    "query.{name} must be a positive number of minutes (1..={max}), got {v}"
                )))
            } else {
                Ok(())
            }
        };
        let non_negative = |name: &str, v: i64| {
            if v < 0 || v > long {
                Err(Error::duration(format!(
                    "query.{name} must be zero or a positive number of minutes (0..={long}), got {v}"
                )))
            } else {
                Ok(())
            }
        };
        positive("duration", self.duration.get())?;
        if let Some(step) = self.step {
            positive("step", step.get())?;
        }
        non_negative("buffer_before", self.buffer_before.get())?;
        non_negative("buffer_after", self.buffer_after.get())?;
        non_negative("min_notice", self.min_notice.get())?;
        if let Some(h) = self.horizon {
            non_negative("horizon", h.get())?;
        }
        Ok(())
    }

    /// The effective `[lo, hi)` range of offered starts (from/to, notice, horizon).
    pub(super) fn start_range(&self) -> (i64, i64) {
        let mut lo = self.from.unix();
        let mut hi = self.to.unix();
        if let Some(now) = self.now {
            lo = lo.max(now.unix() + self.min_notice.get() * MINUTE);
            if let Some(h) = self.horizon {
                hi = hi.min(now.unix() + h.get() * MINUTE);
            }
        }
        (lo, hi)
    }
}
