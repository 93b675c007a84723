//! Pooled availability: one query over many providers ("any doctor of this specialty").

use std::borrow::Borrow;

use super::slots::{capacity_hint, cut_slots};
use super::*;

/// Slots of several providers over one query: each start with the providers free at it.
///
/// Compressed rows: start `i` is offered by `members[offsets[i]..offsets[i+1]]`,
/// indices into the slice given to [`pooled_slots`], ascending.
///
/// Deserialising checks the rows (see [`PooledSlots::iter`]): starts strictly
/// ascending, one row per start with at least one member, members of a row
/// strictly ascending, offsets that stay inside `members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PooledSlotsRaw")]
pub struct PooledSlots {
    starts: Vec<Timestamp>,
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl Default for PooledSlots {
    fn default() -> Self {
        Self {
            starts: Vec::new(),
            offsets: vec![0],
            members: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PooledSlotsRaw {
    starts: Vec<Timestamp>,
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl TryFrom<PooledSlotsRaw> for PooledSlots {
    type Error = Error;
    fn try_from(r: PooledSlotsRaw) -> Result<Self> {
        let bad = |what: &str| Err(Error::request(format!("pooled slots: {what}")));
        if r.offsets.len() != r.starts.len() + 1 || r.offsets.first() != Some(&0) {
            return bad("`offsets` must start at 0 and hold one more entry than `starts`");
        }
        if r.offsets.last().map(|&o| o as usize) != Some(r.members.len()) {
            return bad("the last offset must be the number of members");
        }
        if r.starts.windows(2).any(|w| w[0] >= w[1]) {
            return bad("`starts` must be strictly ascending");
        }
        // All offsets ascending first: with the last one equal to
        // `members.len()`, every row below is then in bounds.
        if r.offsets.windows(2).any(|w| w[0] >= w[1]) {
            return bad("every start needs at least one member (offsets strictly ascending)");
        }
        for w in r.offsets.windows(2) {
            let row = &r.members[w[0] as usize..w[1] as usize];
            if row.windows(2).any(|m| m[0] >= m[1]) {
                return bad("the members of a start must be strictly ascending");
            }
        }
        Ok(Self {
            starts: r.starts,
            offsets: r.offsets,
            members: r.members,
        })
    }
}

impl PooledSlots {
    /// Number of distinct starts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether no start is offered by anyone.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The distinct starts, ascending.
    #[must_use]
    pub fn starts(&self) -> &[Timestamp] {
        &self.starts
    }

    /// Each start with the indices of the providers free at it.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &[u32])> + '_ {
        self.starts.iter().enumerate().map(move |(i, &s)| {
            let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
            (s, &self.members[a..b])
        })
    }
}

/// Pooled availability ("any doctor of this specialty"): the same query over
/// many providers, answering each start with the providers free at it.
///
/// ```
/// use hcas_core::{Availability, LocalTime, Minutes, PooledSlots, SlotQuery, WorkingRule, Zone, pooled_slots};
/// use hcas_core::chrono::NaiveDate;
/// let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
/// let mk = |start: u32| Availability::new(Zone::parse("UTC").unwrap()).with_rule(
///     WorkingRule::daily(LocalTime::new(start, 0).unwrap(), LocalTime::new(12, 0).unwrap(), from).unwrap());
/// let pool = [mk(9), mk(10)];
/// let q = SlotQuery::new("2026-01-01T00:00:00Z".parse().unwrap(), "2026-01-02T00:00:00Z".parse().unwrap(),
///     Minutes::new(60));
/// let got = pooled_slots(&pool, &q).unwrap();
/// let rows: Vec<(String, Vec<u32>)> = got.iter().map(|(s, m)| (s.to_string(), m.to_vec())).collect();
/// assert_eq!(rows, [("2026-01-01T09:00:00Z".to_string(), vec![0]),
///                   ("2026-01-01T10:00:00Z".to_string(), vec![0, 1]),
///                   ("2026-01-01T11:00:00Z".to_string(), vec![0, 1])]);
/// // The answer serialises compactly and is checked when read back.
/// let json = serde_json::to_string(&got).unwrap();
/// assert_eq!(serde_json::from_str::<PooledSlots>(&json).unwrap(), got);
/// ```
///
///
/// `providers` may hold the availabilities themselves or anything that
/// borrows one (`&Availability`, `Arc<Availability>`), so a caller that shares
/// them (a binding handing the work to another thread) need not copy them.
///
/// # Errors
/// As [`Availability::slots`]; `invalid_request` for more than `u32::MAX` providers.
pub fn pooled_slots<P: Borrow<Availability>>(
    providers: &[P],
    query: &SlotQuery,
) -> Result<PooledSlots> {
    query.validate()?;
    if u32::try_from(providers.len()).is_err() {
        return Err(Error::request("too many providers in one pooled query"));
    }
    // Every provider's slots in one buffer, each list closed by a sentinel, so
    // the merge below needs no bounds or end checks. `Timestamp::MAX` is never a
    // start: starts lie before `query.to`, which is at most `Timestamp::MAX`.
    const END: Timestamp = Timestamp::MAX;
    let mut flat: Vec<Timestamp> = Vec::new();
    let mut pos: Vec<usize> = Vec::with_capacity(providers.len());
    let mut windows = Vec::new();
    // Providers of one clinic share a zone: its offsets are found once.
    let mut cache = SpanCache::default();
    for p in providers {
        let p: &Availability = p.borrow();
        p.windows_into(
            query.from,
            query.to,
            query.duration.get() * MINUTE,
            &mut cache,
            &mut windows,
        )?;
        flat.reserve(capacity_hint(&windows, query) + 1);
        pos.push(flat.len());
        cut_slots(&windows, p.busy.intervals(), query, &mut flat);
        // Counted while sweeping: at most one provider's slots past the limit
        // are ever held (a single query's slots are bounded by its window).
        let entries = flat.len() + 1 - pos.len();
        if entries > crate::id::MAX_POOLED_ENTRIES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "a pooled answer may hold at most MAX_POOLED_ENTRIES = {} (start, provider) pairs; \
                     this query reaches {entries} by provider {}: shorten the window, widen the step \
                     or ask fewer providers",
                    crate::id::MAX_POOLED_ENTRIES,
                    pos.len() - 1
                ),
            ));
        }
        flat.push(END);
    }
    let mut out = PooledSlots {
        starts: Vec::new(),
        offsets: vec![0],
        members: Vec::with_capacity(flat.len() - providers.len()),
    };
    // k-way merge over the lists' current heads, kept in one array so the
    // minimum is a tight scan; providers of one clinic share most starts, so
    // each pass emits many (start, provider) pairs.
    let mut cur: Vec<i64> = pos.iter().map(|&p| flat[p].unix()).collect();
    let too_many = || Error::request("too many (start, provider) pairs in one pooled answer");
    while let Some(m) = cur.iter().copied().min().filter(|&m| m != END.unix()) {
        for (i, c) in cur.iter_mut().enumerate() {
            if *c == m {
                out.members.push(u32::try_from(i).map_err(|_| too_many())?);
                pos[i] += 1;
                *c = flat[pos[i]].unix();
            }
        }
        // In range: `m` is one of the slots' starts.
        out.starts.push(Timestamp::from_unix_unchecked(m));
        out.offsets
            .push(u32::try_from(out.members.len()).map_err(|_| too_many())?);
    }
    Ok(out)
}
