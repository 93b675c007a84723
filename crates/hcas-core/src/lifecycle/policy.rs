//! The clinic's timing rules: [`LifecyclePolicy`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::time::Minutes;

/// The largest value any [`LifecyclePolicy`] field may take: 366 days.
pub const MAX_POLICY_MINUTES: Minutes = Minutes::days(366);

/// The clinic's timing rules for the lifecycle, in whole minutes.
///
/// On the wire each field is an integer number of minutes and a missing one
/// takes its default; in Rust, start from [`LifecyclePolicy::new`] (the
/// defaults) and change what differs:
///
/// ```
/// use hcas_core::Minutes;
/// use hcas_core::lifecycle::LifecyclePolicy;
/// let policy = LifecyclePolicy::new()
///     .late_cancel(Minutes::hours(2))
///     .noshow_grace(Minutes::new(5));
/// assert_eq!(policy.late_cancel_minutes, Minutes::new(120));
/// assert_eq!(policy.checkin_opens_minutes, Minutes::new(60)); // the default
/// policy.validate().unwrap();
/// let wire: LifecyclePolicy = serde_json::from_str(r#"{"late_cancel_minutes": 120, "noshow_grace_minutes": 5}"#).unwrap();
/// assert_eq!(wire, policy);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct LifecyclePolicy {
    /// A cancellation less than this long before the start is late
    /// ([`super::Outcome::LateCancellation`]). Default 1440 (24 hours).
    pub late_cancel_minutes: Minutes,
    /// A booked patient becomes a no-show this long after the start. Default 15.
    pub noshow_grace_minutes: Minutes,
    /// Arrival and check-in open this long before the start. Default 60.
    pub checkin_opens_minutes: Minutes,
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl LifecyclePolicy {
    /// The default policy: late cancellation within 24 hours of the start,
    /// no-show 15 minutes after it, check-in from 60 minutes before it.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            late_cancel_minutes: Minutes::new(1440),
            noshow_grace_minutes: Minutes::new(15),
            checkin_opens_minutes: Minutes::new(60),
        }
    }

    /// This policy with cancellations less than `window` before the start late.
    #[must_use]
    pub const fn late_cancel(mut self, window: Minutes) -> Self {
        self.late_cancel_minutes = window;
        self
    }

    /// This policy with a no-show recordable `grace` after the start.
    #[must_use]
    pub const fn noshow_grace(mut self, grace: Minutes) -> Self {
        self.noshow_grace_minutes = grace;
        self
    }

    /// This policy with arrival and check-in open `ahead` of the start.
    #[must_use]
    pub const fn checkin_opens(mut self, ahead: Minutes) -> Self {
        self.checkin_opens_minutes = ahead;
        self
    }

    /// Check the policy's own fields.
    ///
    /// # Errors
    /// `invalid_duration` for a negative field or one above [`MAX_POLICY_MINUTES`].
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("late_cancel_minutes", self.late_cancel_minutes),
            ("noshow_grace_minutes", self.noshow_grace_minutes),
            ("checkin_opens_minutes", self.checkin_opens_minutes),
        ] {
            if !(Minutes::ZERO..=MAX_POLICY_MINUTES).contains(&value) {
                return Err(Error::new(
                    ErrorCode::InvalidDuration,
                    format!(
                        "{} must be between 0 and {} minutes",
                        value.get(),
                        MAX_POLICY_MINUTES.get()
                    ),
                )
                .at(&format!("policy.{name}")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_change_one_field_each() {
        let p = LifecyclePolicy::new()
            .late_cancel(Minutes::new(1))
            .noshow_grace(Minutes::new(2))
            .checkin_opens(Minutes::new(3));
        assert_eq!(
            (
                p.late_cancel_minutes.get(),
                p.noshow_grace_minutes.get(),
                p.checkin_opens_minutes.get()
            ),
            (1, 2, 3)
        );
        assert_eq!(LifecyclePolicy::new(), LifecyclePolicy::default());
        assert_eq!(
            LifecyclePolicy::new().noshow_grace(Minutes::new(5)),
            LifecyclePolicy {
                noshow_grace_minutes: Minutes::new(5),
                ..LifecyclePolicy::default()
            }
        );
    }

    #[test]
    fn serde_is_integer_minutes_both_ways() {
        let p = LifecyclePolicy::new().late_cancel(Minutes::hours(2));
        let v = serde_json::to_value(p).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"late_cancel_minutes": 120, "noshow_grace_minutes": 15, "checkin_opens_minutes": 60})
        );
        assert_eq!(serde_json::from_value::<LifecyclePolicy>(v).unwrap(), p);
    }
}
