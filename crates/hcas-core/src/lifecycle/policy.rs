//! The clinic's timing rules: [`LifecyclePolicy`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};

/// The largest value any [`LifecyclePolicy`] field may take: 366 days, in minutes.
pub const MAX_POLICY_MINUTES: i64 = 366 * 24 * 60;

/// The clinic's timing rules for the lifecycle, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecyclePolicy {
    /// A cancellation less than this long before the start is late
    /// ([`Outcome::LateCancellation`]). Default 1440 (24 hours).
    pub late_cancel_minutes: i64,
    /// A booked patient becomes a no-show this long after the start. Default 15.
    pub noshow_grace_minutes: i64,
    /// Arrival and check-in open this long before the start. Default 60.
    pub checkin_opens_minutes: i64,
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        Self {
            late_cancel_minutes: 1440,
            noshow_grace_minutes: 15,
            checkin_opens_minutes: 60,
        }
    }
}

impl LifecyclePolicy {
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
            if !(0..=MAX_POLICY_MINUTES).contains(&value) {
                return Err(Error::new(
                    ErrorCode::InvalidDuration,
                    format!("{value} must be between 0 and {MAX_POLICY_MINUTES} minutes"),
                )
                .at(&format!("policy.{name}")));
            }
        }
        Ok(())
    }
}
