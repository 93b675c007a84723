//! RFC 5545 recurrence rules, expanded in local wall time and resolved with
//! the "compatible" DST rule (see `docs/vectors.md`).
//!
//! Expansion follows the RFC's period model: for each period of the rule's
//! frequency (a year, month, week, day, hour, minute or second, stepping by
//! `INTERVAL`), the BY* parts select the days and times inside it, BYSETPOS
//! picks among them, and instances before `DTSTART` are dropped. Rules without
//! `COUNT` start at the period that contains the query window instead of at
//! `DTSTART`, so a rule that began decades ago costs the same as a new one.
//!
//! Layout, from text to instants:
//!
//! - `rule`: the values of a rule ([`RRule`], [`Frequency`], [`WeekdayNum`],
//!   [`Until`]), its RFC 5545 text (parse, Display, serde);
//! - `builder`: [`RRuleBuilder`], the typed way to make a rule and the one
//!   place its parts are checked (parsing ends there too);
//! - `expand`: the engine: a rule bound to its `DTSTART`, walked period by
//!   period in local wall time;
//! - `set`: [`Recurrence`] (`DTSTART` + `RRULE` + `RDATE`/`EXDATE` in a zone)
//!   and its window queries;
//! - `iter`: [`Occurrences`], the same answers as a lazy iterator.
//!
//! ```
//! use hcas_core::chrono::Weekday;
//! use hcas_core::time::parse_local_datetime;
//! use hcas_core::{Frequency, RRule, Recurrence, WeekdayNum, Zone};
//! // The last weekday of every month, at 17:00 in Chicago.
//! let rule = RRule::builder(Frequency::Monthly)
//!     .by_day([Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri].map(WeekdayNum::every))
//!     .by_set_pos([-1])
//!     .build()?;
//! let rec = Recurrence::new(rule, parse_local_datetime("2026-01-01T17:00")?, Zone::parse("America/Chicago")?);
//! let next: Vec<String> = rec.iter().take(2).map(|t| t.map(|t| t.to_string())).collect::<Result<_, _>>()?;
//! assert_eq!(next, ["2026-01-30T23:00:00Z", "2026-02-27T23:00:00Z"]);
//! # Ok::<(), hcas_core::Error>(())
//! ```

mod builder;
mod expand;
mod iter;
mod rule;
mod set;

pub use builder::RRuleBuilder;
pub use iter::Occurrences;
pub use rule::{Frequency, RRule, Until, WeekdayNum, parse_weekday, weekday_code};
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
