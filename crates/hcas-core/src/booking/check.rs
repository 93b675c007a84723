//! The conflict check itself: many intervals against one set of resources.

use super::index::ResourceIndex;
use super::{Booking, Check, Conflict, Ledger};
use crate::time::Timestamp;

/// Conflict checks of many intervals against one set of resources.
pub(crate) struct Checker<'a> {
    pub(super) ledger: &'a Ledger,
    pub(super) resources: Vec<(&'a str, Option<&'a ResourceIndex>)>,
    pub(super) now: i64,
    /// Slots of bookings to ignore, sorted.
    pub(super) skip: Vec<u32>,
    /// (start, end, slot); slots at or past `EXTRA` index into `extra`.
    pub(super) hits: Vec<(i64, i64, u32)>,
    /// Per resource and length class, the first entry that can reach the interval.
    pub(super) firsts: Vec<usize>,
}

pub(super) const EXTRA: u32 = u32::MAX / 2;

impl Checker<'_> {
    /// Conflicts of `[qs, qe)` (a valid interval), counting `extra` bookings too.
    pub(crate) fn check(&mut self, qs: i64, qe: i64, extra: &[Booking]) -> Check {
        let mut conflicts = Vec::new();
        let now = self.now;
        // First every resource's search, then every scan: the searches are
        // independent, so their cache misses overlap instead of queueing.
        self.firsts.clear();
        self.firsts.extend(
            self.resources
                .iter()
                .flat_map(|(_, ix)| ix.iter().flat_map(|ix| ix.classes.iter()))
                .map(|c| c.first_reaching(qs)),
        );
        let mut next = 0;
        for &(r, ix) in &self.resources {
            self.hits.clear();
            if let Some(ix) = ix {
                for class in &ix.classes {
                    let from = self.firsts[next];
                    next += 1;
                    self.hits.extend(
                        class
                            .overlapping_from(from, qs, qe)
                            .filter(|e| {
                                e.block_until > now && self.skip.binary_search(&e.slot).is_err()
                            })
                            .map(|e| (e.start, e.end, e.slot)),
                    );
                }
            }
            for (i, b) in extra.iter().enumerate() {
                let (s, e) = (b.start.unix(), b.end.unix());
                if s < qe
                    && qs < e
                    && b.blocks(Timestamp::clamped(now))
                    && b.resources.iter().any(|x| x == r)
                {
                    self.hits
                        .push((s, e, EXTRA + u32::try_from(i).unwrap_or(0)));
                }
            }
            if self.hits.is_empty() {
                continue;
            }
            let cap = ix.map_or(1, |ix| ix.capacity);
            if cap == 1 || peak(&self.hits, qs, qe) >= cap {
                let mut with: Vec<String> = self
                    .hits
                    .iter()
                    .filter_map(|&(_, _, slot)| {
                        if slot >= EXTRA {
                            extra.get((slot - EXTRA) as usize).map(|b| b.id.clone())
                        } else {
                            self.ledger.slots[slot as usize]
                                .as_ref()
                                .map(|b| b.id.clone())
                        }
                    })
                    .collect();
                with.sort_unstable();
                with.dedup();
                conflicts.push(Conflict {
                    resource: r.to_string(),
                    with,
                });
            }
        }
        Check {
            ok: conflicts.is_empty(),
            conflicts,
        }
    }
}

/// The largest number of `hits` covering one instant inside `[qs, qe)`.
fn peak(hits: &[(i64, i64, u32)], qs: i64, qe: i64) -> u32 {
    let mut events: Vec<(i64, i32)> = Vec::with_capacity(hits.len() * 2);
    for &(s, e, _) in hits {
        events.push((s.max(qs), 1));
        events.push((e.min(qe), -1));
    }
    // Ends before starts at the same instant: half-open intervals that touch do not overlap.
    events.sort_unstable();
    let (mut cur, mut best) = (0i32, 0i32);
    for (_, d) in events {
        cur += d;
        best = best.max(cur);
    }
    u32::try_from(best).unwrap_or(0)
}
