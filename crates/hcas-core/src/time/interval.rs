//! Half-open [`Interval`]s and [`IntervalSet`]s (sorted sweeps).

use super::*;

/// A half-open interval `[start, end)` of instants with `end > start`.
///
/// Two intervals that only touch do not overlap.
///
/// ```
/// use hcas_core::{Timestamp, Interval};
/// let a = Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap();
/// let b = Interval::parse("2026-05-04T09:30:00Z", "2026-05-04T10:00:00Z").unwrap();
/// assert!(!a.overlaps(&b));
/// assert_eq!(Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:00:00Z").unwrap_err().code(),
///            hcas_core::ErrorCode::InvalidInterval);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Interval {
    start: Timestamp,
    end: Timestamp,
}

impl Interval {
    /// `[start, end)`.
    ///
    /// # Errors
    /// `invalid_interval` when `end <= start`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self> {
        if end <= start {
            return Err(Error::new(
                crate::ErrorCode::InvalidInterval,
                format!("interval end {end} must be after its start {start}"),
            ));
        }
        Ok(Self { start, end })
    }

    /// Parse both ends as RFC 3339 instants.
    ///
    /// # Errors
    /// `invalid_datetime` for a malformed end, `invalid_interval` when `end <= start`.
    pub fn parse(start: &str, end: &str) -> Result<Self> {
        Self::new(Timestamp::parse(start)?, Timestamp::parse(end)?)
    }

    /// Inclusive start.
    #[must_use]
    pub const fn start(&self) -> Timestamp {
        self.start
    }

    /// Exclusive end.
    #[must_use]
    pub const fn end(&self) -> Timestamp {
        self.end
    }

    /// Length in seconds (always positive).
    #[must_use]
    pub const fn seconds(&self) -> i64 {
        self.end.0 - self.start.0
    }

    /// Whether the two share at least one instant.
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `t` lies in `[start, end)`.
    #[must_use]
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            start: Timestamp,
            end: Timestamp,
        }
        let raw = Raw::deserialize(d)?;
        Self::new(raw.start, raw.end).map_err(serde::de::Error::custom)
    }
}

/// A set of instants as sorted, disjoint, non-touching half-open intervals.
///
/// All operations are linear sweeps over the sorted lists.
///
/// ```
/// use hcas_core::{Interval, IntervalSet};
/// let i = |a: &str, b: &str| Interval::parse(a, b).unwrap();
/// let work = IntervalSet::from_intervals([i("2026-05-04T09:00:00Z", "2026-05-04T17:00:00Z")]);
/// let busy = IntervalSet::from_intervals([i("2026-05-04T12:00:00Z", "2026-05-04T13:00:00Z")]);
/// let free = work.subtract(&busy);
/// assert_eq!(free.len(), 2);
/// assert_eq!(free.total_seconds(), 7 * 3600);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<Interval>", into = "Vec<Interval>")]
pub struct IntervalSet {
    items: Vec<Interval>,
}

impl From<Vec<Interval>> for IntervalSet {
    fn from(v: Vec<Interval>) -> Self {
        Self::from_intervals(v)
    }
}

impl From<IntervalSet> for Vec<Interval> {
    fn from(s: IntervalSet) -> Self {
        s.items
    }
}

impl IntervalSet {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self { items: Vec::new() }
    }

    /// Normalise any intervals (unsorted, overlapping, touching) into a set.
    pub fn from_intervals(items: impl IntoIterator<Item = Interval>) -> Self {
        let mut items: Vec<Interval> = items.into_iter().collect();
        items.sort_unstable();
        Self {
            items: merge_sorted(items),
        }
    }

    /// The disjoint intervals, ascending.
    #[must_use]
    pub fn intervals(&self) -> &[Interval] {
        &self.items
    }

    /// Number of disjoint intervals.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Total covered seconds.
    #[must_use]
    pub fn total_seconds(&self) -> i64 {
        self.items.iter().map(Interval::seconds).sum()
    }

    /// Whether `t` is covered (binary search).
    #[must_use]
    pub fn contains(&self, t: Timestamp) -> bool {
        let i = self.items.partition_point(|iv| iv.end <= t);
        self.items.get(i).is_some_and(|iv| iv.start <= t)
    }

    /// Whether any covered instant lies in `iv` (binary search).
    #[must_use]
    pub fn overlaps(&self, iv: &Interval) -> bool {
        let i = self.items.partition_point(|x| x.end <= iv.start);
        self.items.get(i).is_some_and(|x| x.start < iv.end)
    }

    /// `self ∪ other`.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        let mut merged = Vec::with_capacity(self.items.len() + other.items.len());
        let (mut a, mut b) = (self.items.iter().peekable(), other.items.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => {
                    if x.start <= y.start {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            if let Some(iv) = next {
                merged.push(*iv);
            }
        }
        Self {
            items: merge_sorted(merged),
        }
    }

    /// `self ∩ other`.
    #[must_use]
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.items.len() && j < other.items.len() {
            let (x, y) = (self.items[i], other.items[j]);
            let start = x.start.max(y.start);
            let end = x.end.min(y.end);
            if start < end {
                out.push(Interval { start, end });
            }
            if x.end <= y.end {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { items: out }
    }

    /// `self \ other`.
    #[must_use]
    pub fn subtract(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let mut j = 0;
        for x in &self.items {
            let mut cur = x.start;
            while j < other.items.len() && other.items[j].end <= cur {
                j += 1;
            }
            let mut k = j;
            while k < other.items.len() && other.items[k].start < x.end {
                let y = other.items[k];
                if y.start > cur {
                    out.push(Interval {
                        start: cur,
                        end: y.start,
                    });
                }
                cur = cur.max(y.end);
                if y.end >= x.end {
                    break;
                }
                k += 1;
            }
            if cur < x.end {
                out.push(Interval {
                    start: cur,
                    end: x.end,
                });
            }
        }
        Self { items: out }
    }
}

/// Merge a sorted list in place: overlapping or touching intervals become one.
pub(crate) fn merge_sorted(mut items: Vec<Interval>) -> Vec<Interval> {
    let mut w = 0usize;
    for r in 0..items.len() {
        let cur = items[r];
        if w > 0 && cur.start <= items[w - 1].end {
            if cur.end > items[w - 1].end {
                items[w - 1].end = cur.end;
            }
        } else {
            items[w] = cur;
            w += 1;
        }
    }
    items.truncate(w);
    items
}
