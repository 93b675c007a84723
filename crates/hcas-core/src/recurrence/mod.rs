//! RFC 5545 recurrence rules, expanded in local wall time and resolved with
//! the "compatible" DST rule (see `docs/vectors.md`).
//!
//! Expansion follows the RFC's period model: for each period of the rule's
//! frequency (a year, month, week, day, hour, minute or second, stepping by
//! `INTERVAL`), the BY* parts select the days and times inside it, BYSETPOS
//! picks among them, and instances before `DTSTART` are dropped. Rules without
//! `COUNT` start at the period that contains the query window instead of at
//! `DTSTART`, so a rule that began decades ago costs the same as a new one.

mod expand;
mod iter;
mod rule;
mod set;

pub use iter::Occurrences;
pub use rule::{Frequency, RRule, RRuleBuilder, Until, WeekdayNum};
pub use set::Recurrence;

use chrono::NaiveDateTime;

use crate::error::Result;
use crate::time::{DAY, parse_local_datetime};

/// Maximum span of a recurrence query window, in days (100 Julian years).
pub const MAX_RECURRENCE_WINDOW_DAYS: i64 = 36_525;
/// Maximum number of occurrences one query returns when it sets no `limit`.
pub const MAX_OCCURRENCES: usize = 100_000;
/// Local-time slack around a query window: any zone offset plus any DST gap.
const WALK_MARGIN: i64 = 2 * DAY;

/// Maximum number of rule periods one query may step through.
pub const MAX_PERIODS: u64 = 50_000_000;

/// Parse a list of local datetimes (EXDATE/RDATE values).
///
/// # Errors
/// `invalid_datetime` naming the bad entry.
pub fn parse_local_list(field: &str, values: &[String]) -> Result<Vec<NaiveDateTime>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| parse_local_datetime(v).map_err(|e| e.at(&format!("{field}[{i}]"))))
        .collect()
}
