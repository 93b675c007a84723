//! The per-resource interval index of the [`Ledger`](super::Ledger): length
//! classes of entries sorted by start, with fences for the binary search.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;

use super::{Booking, Status};
use crate::time::Timestamp;

/// The ledger's maps: every key (booking id, resource name, idempotency
/// key) is chosen by a client, so they hash with std's keyed SipHash
/// ([`RandomState`], a fresh random key per ledger): a client cannot aim for
/// collisions (hash flooding). No answer depends on the maps' iteration order.
pub(super) type KeyedMap<K, V> = HashMap<K, V, RandomState>;

/// One booking in a resource's index, with what the conflict check needs so
/// it never has to load the booking itself unless there is a conflict.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub(super) start: i64,
    pub(super) end: i64,
    /// The booking blocks while `now < block_until` (`i64::MAX`: always; `i64::MIN`: never).
    pub(super) block_until: i64,
    pub(super) slot: u32,
}

pub(super) fn block_until(b: &Booking) -> i64 {
    match b.status {
        Status::Held => b.hold_expires.map_or(i64::MIN, Timestamp::unix),
        s if s.occupies() => i64::MAX,
        _ => i64::MIN,
    }
}

/// A resource name stored inline when short (the common `provider:P1234`),
/// so the hash table compares keys without following a pointer.
#[derive(Debug, Clone)]
pub(super) enum Key {
    Inline(u8, [u8; 38]),
    Heap(Box<[u8]>),
}

impl Key {
    pub(super) fn new(name: &str) -> Self {
        let b = name.as_bytes();
        if b.len() <= 38 {
            let mut buf = [0u8; 38];
            buf[..b.len()].copy_from_slice(b);
            Self::Inline(u8::try_from(b.len()).unwrap_or(0), buf)
        } else {
            Self::Heap(b.into())
        }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Self::Inline(n, b) => &b[..usize::from(*n)],
            Self::Heap(b) => b,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}
impl Eq for Key {}
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}
impl std::borrow::Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

/// Every `FENCE`-th start of a class's entries, kept small so the search
/// touches few cache lines before it reaches the entries.
pub(super) const FENCE: usize = 16;

/// The length class of a booking of `len` seconds: class `c` holds lengths in
/// `(4^(c-1), 4^c]` (class 0: up to 1 second), so an entry of class `c` that
/// overlaps `[qs, qe)` starts at or after `qs - 4^c`.
pub(super) fn length_class(len: i64) -> u8 {
    let bits = 64 - u64::try_from(len.max(1) - 1).unwrap_or(0).leading_zeros();
    u8::try_from(bits.div_ceil(2)).unwrap_or(u8::MAX)
}

/// The longest booking a class can hold, in seconds (`4^class`, saturating).
pub(super) fn class_reach(class: u8) -> i64 {
    1i64.checked_shl(2 * u32::from(class))
        .filter(|&r| r > 0)
        .unwrap_or(i64::MAX)
}

/// A resource's entries of one length class, sorted by (start, slot).
#[derive(Debug, Clone)]
pub(super) struct LengthClass {
    pub(super) class: u8,
    /// `4^class`: how far before a query an entry of this class can start.
    pub(super) reach: i64,
    /// `entries[k * FENCE].start` for every k.
    pub(super) fences: Vec<i64>,
    pub(super) entries: Vec<Entry>,
}

impl LengthClass {
    pub(super) fn new(class: u8) -> Self {
        Self {
            class,
            reach: class_reach(class),
            fences: Vec::new(),
            entries: Vec::new(),
        }
    }

    pub(super) fn position(&self, start: i64, slot: u32) -> usize {
        self.entries
            .partition_point(|e| (e.start, e.slot) < (start, slot))
    }

    pub(super) fn refence(&mut self, from: usize) {
        self.fences.truncate(from / FENCE);
        let mut k = self.fences.len() * FENCE;
        while k < self.entries.len() {
            self.fences.push(self.entries[k].start);
            k += FENCE;
        }
    }

    /// The first entry that can reach `start`: the fences find the block, a
    /// search inside the block finds the entry.
    pub(super) fn first_reaching(&self, start: i64) -> usize {
        let reach = start.saturating_sub(self.reach);
        let block = self
            .fences
            .partition_point(|&f| f < reach)
            .saturating_sub(1);
        let lo = block * FENCE;
        let hi = (lo + FENCE).min(self.entries.len());
        lo + self.entries[lo..hi].partition_point(|e| e.start < reach)
    }

    /// Every entry overlapping `[start, end)`, scanning from `from` (see
    /// [`LengthClass::first_reaching`]).
    pub(super) fn overlapping_from(
        &self,
        from: usize,
        start: i64,
        end: i64,
    ) -> impl Iterator<Item = &Entry> {
        self.entries[from.min(self.entries.len())..]
            .iter()
            .take_while(move |e| e.start < end)
            .filter(move |e| e.end > start)
    }
}

/// Per-resource interval index: entries split by length class (powers of 4
/// seconds), each class sorted by (start, slot). A query searches each
/// non-empty class from `start - 4^class`, so a long booking (a year of
/// leave) only widens the search of its own class. An entry of class `c`
/// scanned without overlapping the query starts in `[qs - 4^c, qs - 4^(c-1))`
/// and is longer than `4^(c-1)`, so at most about 3 times the number of
/// entries covering one instant are scanned in vain per class: a check is
/// O(classes * (log n + depth) + k) whatever the mix of lengths.
#[derive(Debug, Clone)]
pub(super) struct ResourceIndex {
    pub(super) capacity: u32,
    /// Non-empty classes, by class.
    pub(super) classes: Vec<LengthClass>,
}

impl ResourceIndex {
    pub(super) const fn new() -> Self {
        Self {
            capacity: 1,
            classes: Vec::new(),
        }
    }

    pub(super) fn class_mut(&mut self, start: i64, end: i64) -> Option<&mut LengthClass> {
        let c = length_class(end - start);
        self.classes.iter_mut().find(|x| x.class == c)
    }

    pub(super) fn insert(&mut self, e: Entry) {
        let c = length_class(e.end - e.start);
        let k = match self.classes.binary_search_by_key(&c, |x| x.class) {
            Ok(k) => k,
            Err(k) => {
                self.classes.insert(k, LengthClass::new(c));
                k
            }
        };
        let class = &mut self.classes[k];
        let at = class.position(e.start, e.slot);
        class.entries.insert(at, e);
        class.refence(at);
    }

    /// Remove the entry of `slot` that spans `[start, end)`.
    pub(super) fn remove(&mut self, start: i64, end: i64, slot: u32) {
        let Some(class) = self.class_mut(start, end) else {
            return;
        };
        let at = class.position(start, slot);
        if class.entries.get(at).is_some_and(|e| e.slot == slot) {
            class.entries.remove(at);
            class.refence(at);
        }
        if class.entries.is_empty() {
            let c = class.class;
            self.classes.retain(|x| x.class != c);
        }
    }

    pub(super) fn set_block_until(&mut self, start: i64, end: i64, slot: u32, until: i64) {
        if let Some(class) = self.class_mut(start, end) {
            let at = class.position(start, slot);
            if let Some(e) = class.entries.get_mut(at).filter(|e| e.slot == slot) {
                e.block_until = until;
            }
        }
    }

    /// Every entry overlapping `[start, end)`, class by class.
    pub(super) fn overlapping(&self, start: i64, end: i64) -> impl Iterator<Item = &Entry> {
        self.classes
            .iter()
            .flat_map(move |c| c.overlapping_from(c.first_reaching(start), start, end))
    }
}
