//! What the SQL adapters share for [`crate::AnchorStore`]: the tz-drift sweep's
//! paging and row reading, with no SQL of its own.
//!
//! The sweep pages through the future anchored bookings with a keyset query
//! on the partial index `bookings_anchored (start_s, id) WHERE anchor_zone IS
//! NOT NULL` ([`SCAN_PAGE`] rows per query, no long transaction), reading the
//! columns (`status`, `hold_expires_s`, `anchor_zone`, `anchor_start`,
//! `anchor_end`), not the payload; SQL pre-filters on the statuses that occupy
//! a resource, and the core decides the rest ([`Status::blocks`],
//! [`Drift::find`]: the tz data is the engine's, not the database's).
//! Each adapter runs the query of its dialect through [`drift_pages`]
//! (`sqlite/anchors.rs`, `postgres/anchors.rs`); re-anchoring is decided by
//! `crate::change::reanchor_plan` and persisted by the adapter under the same
//! locks as a reschedule.

use hcas_core::anchor::{Drift, WallAnchor};
use hcas_core::booking::Status;
use hcas_core::time::parse_local_datetime;
use hcas_core::{Timestamp, Zone};

use crate::sql::corrupt;
use crate::{StoreError, SweepCursor};

/// Rows one sweep query reads.
pub(crate) const SCAN_PAGE: i64 = 256;

/// A sweep row: id, start_s, end_s, status, hold_expires_s, anchor zone, local start, local end.
pub(crate) type AnchorRow = (
    String,
    i64,
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
);

/// The statuses that may block (the core's [`Status::occupies`]), for the SQL pre-filter.
pub(crate) fn occupying() -> Vec<&'static str> {
    Status::ALL
        .into_iter()
        .filter(|s| s.occupies())
        .map(Status::as_str)
        .collect()
}

/// The cursor's `(start_s, id)`, or one before every booking.
pub(crate) fn cursor_parts(cursor: Option<&SweepCursor>) -> (i64, String) {
    cursor.map_or((i64::MIN, String::new()), |c| {
        (c.start.unix(), c.id.clone())
    })
}

/// Add the drifted bookings among `rows` (in `(start, id)` order) to `out`,
/// moving `cursor` past every row looked at; true once `out` holds `limit`.
pub(crate) fn take(
    rows: Vec<AnchorRow>,
    now: Timestamp,
    limit: usize,
    out: &mut Vec<Drift>,
    cursor: &mut Option<SweepCursor>,
) -> Result<bool, StoreError> {
    for (id, start, end, status, hold, zone, local_start, local_end) in rows {
        let instant = |t: i64| Timestamp::from_unix(t).map_err(|e| corrupt("booking interval", e));
        let (start, end) = (instant(start)?, instant(end)?);
        *cursor = Some(SweepCursor {
            start,
            id: id.clone(),
        });
        let status = Status::parse(&status).map_err(|e| corrupt("status", e))?;
        let hold = hold.map(instant).transpose()?;
        if start <= now || !status.blocks(hold, now) {
            continue;
        }
        let anchor = WallAnchor::new(
            Zone::parse(&zone).map_err(|e| corrupt("anchor", e))?,
            parse_local_datetime(&local_start).map_err(|e| corrupt("anchor", e))?,
            parse_local_datetime(&local_end).map_err(|e| corrupt("anchor", e))?,
        );
        if let Some(d) = Drift::find(&id, start, end, &anchor) {
            out.push(d);
            if out.len() >= limit {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// A full page of a sweep, from rows read by `read(cursor_start, cursor_id)`.
macro_rules! drift_pages {
    ($now:expr, $after:expr, $limit:expr, |$c_start:ident, $c_id:ident| $read:expr) => {{
        $crate::ports::check_drift_limit($limit)?;
        let mut cursor = $after.cloned();
        let mut out = Vec::new();
        loop {
            let ($c_start, $c_id) = $crate::sweep::cursor_parts(cursor.as_ref());
            let rows: Vec<$crate::sweep::AnchorRow> = $read;
            let n = rows.len();
            if $crate::sweep::take(rows, $now, $limit, &mut out, &mut cursor)? {
                break Ok($crate::DriftPage {
                    drifted: out,
                    next: cursor,
                });
            }
            if i64::try_from(n).unwrap_or(i64::MAX) < $crate::sweep::SCAN_PAGE {
                break Ok($crate::DriftPage {
                    drifted: out,
                    next: None,
                });
            }
        }
    }};
}
pub(crate) use drift_pages;
