//! Bookings and the ledger that decides whether a request can be booked.
//!
//! Semantics are the `conflict` kind of `docs/vectors.md`: a resource (any
//! string, by convention `provider:…`, `patient:…`, `room:…`, `device:…`) has a
//! capacity (1 unless said otherwise); a booking *blocks* when its status is
//! `pending`, `booked`, `arrived`, `checked-in` or `fulfilled`, or `held` with a
//! hold that expires after `now`; a request conflicts on a resource when, at
//! some instant inside it, the blocking bookings on that resource already
//! number its capacity. The answer lists **every** conflicting resource with
//! **every** blocking booking on it that overlaps the request.
//!
//! The ledger keeps, per resource, its bookings sorted by start in length
//! classes (powers of 4 seconds), so an overlap query is one binary search per
//! class plus a scan of the bookings that can reach the request: O(log n + k)
//! whatever the mix of lengths (a year-long block does not make checks of
//! short bookings scan the year), never a scan of the ledger.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::time::{Interval, Timestamp};

/// Appointment status: the FHIR R4 `Appointment.status` values plus `held`
/// (a tentative reservation with an expiry; FHIR has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Status {
    /// Suggested, not yet asked for.
    Proposed,
    /// Asked for, awaiting confirmation.
    Pending,
    /// Confirmed.
    Booked,
    /// The patient has arrived.
    Arrived,
    /// The patient has checked in.
    CheckedIn,
    /// The appointment took place.
    Fulfilled,
    /// Cancelled before it took place.
    Cancelled,
    /// The patient did not come.
    Noshow,
    /// Recorded by mistake.
    EnteredInError,
    /// On a waitlist for a slot.
    Waitlist,
    /// Tentatively reserved until `hold_expires`.
    Held,
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 11] = [
        Self::Proposed,
        Self::Pending,
        Self::Booked,
        Self::Arrived,
        Self::CheckedIn,
        Self::Fulfilled,
        Self::Cancelled,
        Self::Noshow,
        Self::EnteredInError,
        Self::Waitlist,
        Self::Held,
    ];

    /// The wire name (`checked-in`, `entered-in-error`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Pending => "pending",
            Self::Booked => "booked",
            Self::Arrived => "arrived",
            Self::CheckedIn => "checked-in",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
            Self::Noshow => "noshow",
            Self::EnteredInError => "entered-in-error",
            Self::Waitlist => "waitlist",
            Self::Held => "held",
        }
    }

    /// Whether a booking in this status occupies its resources at `now`; a
    /// hold only until `hold_expires` (the rule of [`Booking::blocks`], for
    /// callers that hold the columns rather than a whole booking).
    #[must_use]
    pub fn blocks(self, hold_expires: Option<Timestamp>, now: Timestamp) -> bool {
        match self {
            Self::Held => hold_expires.is_some_and(|e| e > now),
            s => s.occupies(),
        }
    }

    /// Parse a wire name.
    ///
    /// # Errors
    /// `invalid_request` for an unknown status.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                Error::request(format!(
                    "`{s}` is not a status; use one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }

    /// Whether a booking in this status occupies its resources (a hold only
    /// while it has not expired, which [`Booking::blocks`] checks).
    #[must_use]
    pub const fn occupies(self) -> bool {
        matches!(
            self,
            Self::Pending
                | Self::Booked
                | Self::Arrived
                | Self::CheckedIn
                | Self::Fulfilled
                | Self::Held
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One booking (appointment, hold, or any other use of resources).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Unique id.
    pub id: String,
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive), after `start`.
    pub end: Timestamp,
    /// Status.
    pub status: Status,
    /// For `held`: when the hold lapses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_expires: Option<Timestamp>,
    /// Resources used, e.g. `provider:P1`, `patient:X1`, `room:R2`.
    pub resources: Vec<String>,
    /// Why it was cancelled (or entered in error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// The booking this one replaces (a reschedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The booking that replaced this one (a reschedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The series this booking is an occurrence of, with its local recurrence id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesRef>,
    /// The local wall time and IANA zone it was booked for, so it can follow
    /// tz rule changes ([`crate::anchor`]); `None`: instants only. Boxed: most
    /// bookings have none, and it keeps `Booking` small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Box<crate::anchor::WallAnchor>>,
}

/// A booking's place in a recurring series (RFC 5545 `RECURRENCE-ID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesRef {
    /// The series id.
    pub id: String,
    /// The occurrence's original local start (`YYYY-MM-DDTHH:MM:SS`), which
    /// identifies it even after it is moved.
    pub recurrence_id: String,
}

impl Booking {
    /// A booking with no hold, links or series.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
        status: Status,
        resources: Vec<String>,
    ) -> Self {
        Self {
            id: id.into(),
            start,
            end,
            status,
            hold_expires: None,
            resources,
            cancel_reason: None,
            replaces: None,
            replaced_by: None,
            series: None,
            anchor: None,
        }
    }

    /// The request this booking answers: its interval and resources.
    #[must_use]
    pub fn request(&self) -> Request {
        Request {
            start: self.start,
            end: self.end,
            resources: self.resources.clone(),
        }
    }

    /// Whether `other` asks for the same interval and resources: the test by
    /// which a repeated idempotency key is the same request (stores use it too).
    #[must_use]
    pub fn same_request(&self, other: &Self) -> bool {
        self.start == other.start && self.end == other.end && self.resources == other.resources
    }

    /// Whether this booking occupies its resources at `now`.
    #[must_use]
    pub fn blocks(&self, now: Timestamp) -> bool {
        self.status.blocks(self.hold_expires, now)
    }

    /// The booked interval.
    ///
    /// # Errors
    /// `invalid_interval` when `end <= start`.
    pub fn interval(&self) -> Result<Interval> {
        Interval::new(self.start, self.end).map_err(|e| e.at(&format!("booking {}", self.id)))
    }

    /// Check the booking's own fields.
    ///
    /// # Errors
    /// `invalid_interval` for an empty interval; `invalid_request` for an empty
    /// id, no resources, an empty resource name, or a hold without expiry.
    pub fn validate(&self) -> Result<()> {
        crate::id::check_id("id", &self.id)?;
        self.interval()?;
        if self.resources.is_empty() {
            return Err(Error::request(format!(
                "booking {} uses no resources",
                self.id
            )));
        }
        crate::id::check_resources("resources", &self.resources)?;
        self.check_links()?;
        if self.status == Status::Held && self.hold_expires.is_none() {
            return Err(Error::request(format!(
                "booking {} is held without hold_expires; a hold must expire",
                self.id
            )));
        }
        Ok(())
    }
}

impl Booking {
    /// The id rule for the links and the text rule for the reason.
    fn check_links(&self) -> Result<()> {
        use crate::id::{check_id, check_text};
        for (field, v) in [
            ("replaces", &self.replaces),
            ("replaced_by", &self.replaced_by),
        ] {
            if let Some(v) = v {
                check_id(field, v)?;
            }
        }
        if let Some(r) = &self.cancel_reason {
            check_text("cancel_reason", r)?;
        }
        if let Some(s) = &self.series {
            check_id("series.id", &s.id)?;
            check_text("series.recurrence_id", &s.recurrence_id)?;
        }
        Ok(())
    }
}

/// A request to use resources over `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
    /// Resources wanted.
    pub resources: Vec<String>,
}

impl Request {
    /// Check the request's own fields.
    ///
    /// # Errors
    /// `invalid_interval` or `invalid_request`.
    pub fn validate(&self) -> Result<Interval> {
        let iv = Interval::new(self.start, self.end).map_err(|e| e.at("request"))?;
        if self.resources.is_empty() {
            return Err(Error::request(
                "a request needs at least one non-empty resource",
            ));
        }
        crate::id::check_resources("request.resources", &self.resources)?;
        Ok(iv)
    }
}

/// One conflicting resource and every blocking booking on it that overlaps the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The resource.
    pub resource: String,
    /// Ids of the blocking bookings that overlap the request, sorted.
    pub with: Vec<String>,
}

/// The answer to "can this be booked?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// True exactly when `conflicts` is empty.
    pub ok: bool,
    /// Conflicting resources, sorted by name.
    pub conflicts: Vec<Conflict>,
}

/// The ledger's maps: every key (booking id, resource name, idempotency
/// key) is chosen by a client, so they hash with std's keyed SipHash
/// ([`RandomState`], a fresh random key per ledger): a client cannot aim for
/// collisions (hash flooding). No answer depends on the maps' iteration order.
type KeyedMap<K, V> = HashMap<K, V, RandomState>;

/// How long an idempotency key is remembered after its first use: 24 hours
/// (as Stripe). A repeat at or after `first use + IDEMPOTENCY_TTL` books anew,
/// and expired keys are forgotten, so the key table cannot grow without bound.
pub const IDEMPOTENCY_TTL: i64 = 24 * 60 * 60;

/// One booking in a resource's index, with what the conflict check needs so
/// it never has to load the booking itself unless there is a conflict.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: i64,
    end: i64,
    /// The booking blocks while `now < block_until` (`i64::MAX`: always; `i64::MIN`: never).
    block_until: i64,
    slot: u32,
}

fn block_until(b: &Booking) -> i64 {
    match b.status {
        Status::Held => b.hold_expires.map_or(i64::MIN, Timestamp::unix),
        s if s.occupies() => i64::MAX,
        _ => i64::MIN,
    }
}

/// A resource name stored inline when short (the common `provider:P1234`),
/// so the hash table compares keys without following a pointer.
#[derive(Debug, Clone)]
enum Key {
    Inline(u8, [u8; 38]),
    Heap(Box<[u8]>),
}

impl Key {
    fn new(name: &str) -> Self {
        let b = name.as_bytes();
        if b.len() <= 38 {
            let mut buf = [0u8; 38];
            buf[..b.len()].copy_from_slice(b);
            Self::Inline(u8::try_from(b.len()).unwrap_or(0), buf)
        } else {
            Self::Heap(b.into())
        }
    }

    fn bytes(&self) -> &[u8] {
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
const FENCE: usize = 16;

/// The length class of a booking of `len` seconds: class `c` holds lengths in
/// `(4^(c-1), 4^c]` (class 0: up to 1 second), so an entry of class `c` that
/// overlaps `[qs, qe)` starts at or after `qs - 4^c`.
fn length_class(len: i64) -> u8 {
    let bits = 64 - u64::try_from(len.max(1) - 1).unwrap_or(0).leading_zeros();
    u8::try_from(bits.div_ceil(2)).unwrap_or(u8::MAX)
}

/// The longest booking a class can hold, in seconds (`4^class`, saturating).
fn class_reach(class: u8) -> i64 {
    1i64.checked_shl(2 * u32::from(class))
        .filter(|&r| r > 0)
        .unwrap_or(i64::MAX)
}

/// A resource's entries of one length class, sorted by (start, slot).
#[derive(Debug, Clone)]
struct LengthClass {
    class: u8,
    /// `4^class`: how far before a query an entry of this class can start.
    reach: i64,
    /// `entries[k * FENCE].start` for every k.
    fences: Vec<i64>,
    entries: Vec<Entry>,
}

impl LengthClass {
    fn new(class: u8) -> Self {
        Self {
            class,
            reach: class_reach(class),
            fences: Vec::new(),
            entries: Vec::new(),
        }
    }

    fn position(&self, start: i64, slot: u32) -> usize {
        self.entries
            .partition_point(|e| (e.start, e.slot) < (start, slot))
    }

    fn refence(&mut self, from: usize) {
        self.fences.truncate(from / FENCE);
        let mut k = self.fences.len() * FENCE;
        while k < self.entries.len() {
            self.fences.push(self.entries[k].start);
            k += FENCE;
        }
    }

    /// The first entry that can reach `start`: the fences find the block, a
    /// search inside the block finds the entry.
    fn first_reaching(&self, start: i64) -> usize {
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
    fn overlapping_from(&self, from: usize, start: i64, end: i64) -> impl Iterator<Item = &Entry> {
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
struct ResourceIndex {
    capacity: u32,
    /// Non-empty classes, by class.
    classes: Vec<LengthClass>,
}

impl ResourceIndex {
    const fn new() -> Self {
        Self {
            capacity: 1,
            classes: Vec::new(),
        }
    }

    fn class_mut(&mut self, start: i64, end: i64) -> Option<&mut LengthClass> {
        let c = length_class(end - start);
        self.classes.iter_mut().find(|x| x.class == c)
    }

    fn insert(&mut self, e: Entry) {
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
    fn remove(&mut self, start: i64, end: i64, slot: u32) {
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

    fn set_block_until(&mut self, start: i64, end: i64, slot: u32, until: i64) {
        if let Some(class) = self.class_mut(start, end) {
            let at = class.position(start, slot);
            if let Some(e) = class.entries.get_mut(at).filter(|e| e.slot == slot) {
                e.block_until = until;
            }
        }
    }

    /// Every entry overlapping `[start, end)`, class by class.
    fn overlapping(&self, start: i64, end: i64) -> impl Iterator<Item = &Entry> {
        self.classes
            .iter()
            .flat_map(move |c| c.overlapping_from(c.first_reaching(start), start, end))
    }
}

/// All bookings, indexed per resource, with capacities and idempotency keys.
///
/// ```
/// use hcas_core::booking::{Booking, Ledger, Request, Status};
/// let t = |s: &str| s.parse().unwrap();
/// let mut ledger = Ledger::new();
/// ledger.insert(Booking::new("a1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"),
///     Status::Booked, vec!["provider:P1".into(), "patient:X1".into()])).unwrap();
/// let check = ledger.check(&Request { start: t("2026-05-04T09:15:00Z"), end: t("2026-05-04T09:45:00Z"),
///     resources: vec!["provider:P2".into(), "patient:X1".into()] }, t("2026-05-04T08:00:00Z")).unwrap();
/// assert!(!check.ok);
/// assert_eq!(check.conflicts[0].resource, "patient:X1");
/// assert_eq!(check.conflicts[0].with, ["a1"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    slots: Vec<Option<Booking>>,
    free: Vec<u32>,
    by_id: KeyedMap<String, u32>,
    /// Resource name -> its index.
    index: KeyedMap<Key, ResourceIndex>,
    /// Idempotency key -> (booking id, first use, unix seconds).
    idempotency: KeyedMap<String, (String, i64)>,
    /// (first use, key) of every remembered idempotency key, oldest first,
    /// so expired keys are pruned without a scan.
    idempotency_by_age: BTreeSet<(i64, String)>,
}

impl Ledger {
    /// An empty ledger.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of bookings held (any status).
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the ledger holds no booking.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Set a resource's capacity (1 by default).
    ///
    /// # Errors
    /// `invalid_request` for a capacity of 0.
    pub fn set_capacity(&mut self, resource: &str, capacity: u32) -> Result<()> {
        if capacity == 0 {
            return Err(Error::request(format!(
                "capacity of {resource} must be at least 1"
            )));
        }
        self.resource_mut(resource).capacity = capacity;
        Ok(())
    }

    /// A resource's capacity.
    #[must_use]
    pub fn capacity(&self, resource: &str) -> u32 {
        self.resource(resource).map_or(1, |ix| ix.capacity)
    }

    /// The index of `resource`.
    fn resource(&self, resource: &str) -> Option<&ResourceIndex> {
        self.index.get(resource.as_bytes())
    }

    /// The index of `resource`, created on first use.
    fn resource_mut(&mut self, resource: &str) -> &mut ResourceIndex {
        self.index
            .entry(Key::new(resource))
            .or_insert_with(ResourceIndex::new)
    }

    /// The booking with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Booking> {
        self.by_id
            .get(id)
            .and_then(|&s| self.slots[s as usize].as_ref())
    }

    /// The booking with this id, for in-place changes that do not touch the index.
    fn get_mut(&mut self, id: &str) -> Option<&mut Booking> {
        let slot = *self.by_id.get(id)?;
        self.slots[slot as usize].as_mut()
    }

    /// Every booking, in no particular order.
    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        self.slots.iter().flatten()
    }

    /// Add a booking without a conflict check (loading existing data).
    ///
    /// # Errors
    /// The booking's validation errors; `invalid_request` for a duplicate id.
    pub fn insert(&mut self, booking: Booking) -> Result<()> {
        booking.validate()?;
        if self.by_id.contains_key(&booking.id) {
            return Err(Error::request(format!(
                "booking id {} is already used",
                booking.id
            )));
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => u32::try_from(self.slots.len())
                .map_err(|_| Error::request("the ledger is full (2^32 bookings)"))?,
        };
        let entry = Entry {
            start: booking.start.unix(),
            end: booking.end.unix(),
            block_until: block_until(&booking),
            slot,
        };
        for (i, r) in booking.resources.iter().enumerate() {
            if !booking.resources[..i].contains(r) {
                self.resource_mut(r).insert(entry);
            }
        }
        self.by_id.insert(booking.id.clone(), slot);
        if slot as usize == self.slots.len() {
            self.slots.push(Some(booking));
        } else {
            self.slots[slot as usize] = Some(booking);
        }
        Ok(())
    }

    /// Remove a booking entirely (not a cancellation: it leaves no trace).
    pub fn remove(&mut self, id: &str) -> Option<Booking> {
        let slot = self.by_id.remove(id)?;
        let booking = self.slots[slot as usize].take()?;
        for r in &booking.resources {
            if let Some(ix) = self.index.get_mut(r.as_bytes()) {
                ix.remove(booking.start.unix(), booking.end.unix(), slot);
            }
        }
        self.free.push(slot);
        Some(booking)
    }

    /// Change a booking's status (and hold expiry) in place, index included.
    pub(crate) fn set_status(
        &mut self,
        id: &str,
        status: Status,
        hold_expires: Option<Timestamp>,
    ) -> bool {
        let Some(&slot) = self.by_id.get(id) else {
            return false;
        };
        let Some(b) = self.slots[slot as usize].as_mut() else {
            return false;
        };
        b.status = status;
        b.hold_expires = hold_expires;
        let (start, end, until) = (b.start.unix(), b.end.unix(), block_until(b));
        for r in &b.resources {
            if let Some(ix) = self.index.get_mut(r.as_bytes()) {
                ix.set_block_until(start, end, slot, until);
            }
        }
        true
    }

    /// Move a booking to `[start, end)` in place (the index follows).
    fn set_times(&mut self, id: &str, start: Timestamp, end: Timestamp) -> Result<()> {
        let mut b = self
            .remove(id)
            .ok_or_else(|| Error::request(format!("no booking {id}")))?;
        b.start = start;
        b.end = end;
        self.insert(b)
    }

    /// Record why a booking was cancelled.
    pub(crate) fn set_cancel_reason(&mut self, id: &str, reason: Option<String>) {
        if let Some(b) = self.get_mut(id) {
            b.cancel_reason = reason;
        }
    }

    /// Place a hold on `request`'s resources until `expires` (a tentative
    /// reservation that blocks others until then, and then lapses by itself).
    ///
    /// # Errors
    /// `invalid_duration` when `expires <= now`; validation errors.
    pub fn hold(
        &mut self,
        id: &str,
        request: &Request,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<BookOutcome> {
        if expires <= now {
            return Err(Error::duration(format!(
                "hold {id} must expire after now ({now}), got {expires}"
            )));
        }
        let mut b = Booking::new(
            id,
            request.start,
            request.end,
            Status::Held,
            request.resources.clone(),
        );
        b.hold_expires = Some(expires);
        self.book(b, now, None)
    }

    /// Turn a live hold into a booking. The conflict check ignores the hold
    /// itself and runs in the same step as the status change, so nothing can
    /// slip in between.
    ///
    /// # Errors
    /// `invalid_request` for an unknown id or a booking that is not a hold;
    /// `invalid_transition` for a hold that has expired.
    pub fn confirm_hold(&mut self, id: &str, now: Timestamp) -> Result<BookOutcome> {
        let hold = self
            .get(id)
            .ok_or_else(|| Error::request(format!("no hold {id}")))?
            .clone();
        if hold.status != Status::Held {
            return Err(Error::request(format!(
                "booking {id} is {}, not a hold",
                hold.status
            )));
        }
        if !hold.blocks(now) {
            return Err(Error::new(
                ErrorCode::InvalidTransition,
                format!(
                    "hold {id} expired at {}; place a new hold",
                    hold.hold_expires
                        .map_or_else(String::new, |e| e.to_string())
                ),
            ));
        }
        let request = hold.request();
        let check = self.check_excluding(&request, now, Some(id))?;
        if !check.ok {
            return Ok(BookOutcome::Conflict(check.conflicts));
        }
        self.set_status(id, Status::Booked, None);
        Ok(BookOutcome::Booked(self.get(id).cloned().unwrap_or(hold)))
    }

    /// Reschedule: book `new` (linked to `id` as its replacement) and cancel
    /// `id` with `reason`, or change nothing when `new` conflicts. The old
    /// booking does not count against the new one.
    ///
    /// # Errors
    /// `invalid_request` for an unknown id or a booking not in a reschedulable
    /// status; validation errors of `new`.
    pub fn reschedule(
        &mut self,
        id: &str,
        mut new: Booking,
        reason: &str,
        now: Timestamp,
    ) -> Result<BookOutcome> {
        let old = self
            .get(id)
            .ok_or_else(|| Error::request(format!("no booking {id}")))?
            .clone();
        if !matches!(
            old.status,
            Status::Pending | Status::Booked | Status::Held | Status::Proposed
        ) {
            return Err(Error::request(format!(
                "booking {id} is {}; only proposed, pending, held or booked appointments can be rescheduled",
                old.status
            )));
        }
        new.validate()?;
        let request = new.request();
        let check = self.check_excluding(&request, now, Some(id))?;
        if !check.ok {
            return Ok(BookOutcome::Conflict(check.conflicts));
        }
        new.replaces = Some(id.to_string());
        let new_id = new.id.clone();
        self.insert(new.clone())?;
        self.set_status(id, Status::Cancelled, None);
        self.set_cancel_reason(id, Some(reason.to_string()));
        if let Some(b) = self.get_mut(id) {
            b.replaced_by = Some(new_id);
        }
        Ok(BookOutcome::Booked(new))
    }

    /// Move a booking to a new time after checking the new time against
    /// everything but itself (one occurrence of a series, a same-resource move).
    ///
    /// # Errors
    /// `invalid_request` for an unknown id; validation errors.
    pub fn move_booking(
        &mut self,
        id: &str,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> Result<BookOutcome> {
        let b = self
            .get(id)
            .ok_or_else(|| Error::request(format!("no booking {id}")))?
            .clone();
        let request = Request {
            start,
            end,
            resources: b.resources.clone(),
        };
        let check = self.check_excluding(&request, now, Some(id))?;
        if !check.ok {
            return Ok(BookOutcome::Conflict(check.conflicts));
        }
        self.set_times(id, start, end)?;
        Ok(BookOutcome::Booked(self.get(id).cloned().unwrap_or(b)))
    }

    /// The bookings that block `resource` at `now` and overlap `window`, by
    /// start, from the resource's index (no scan of the ledger).
    #[must_use]
    pub fn blocking_on(&self, resource: &str, window: &Interval, now: Timestamp) -> Vec<&Booking> {
        let (qs, qe, now) = (window.start().unix(), window.end().unix(), now.unix());
        self.resource(resource).map_or_else(Vec::new, |ix| {
            let mut hits: Vec<&Entry> = ix
                .overlapping(qs, qe)
                .filter(|e| e.block_until > now)
                .collect();
            hits.sort_unstable_by_key(|e| (e.start, e.slot));
            hits.into_iter()
                .filter_map(|e| self.slots[e.slot as usize].as_ref())
                .collect()
        })
    }

    /// Can `request` be booked at `now`? Every conflict, typed.
    ///
    /// # Errors
    /// The request's validation errors.
    pub fn check(&self, request: &Request, now: Timestamp) -> Result<Check> {
        self.check_excluding(request, now, None)
    }

    /// As [`Ledger::check`], ignoring the booking `exclude` (a hold being confirmed,
    /// a booking being moved).
    ///
    /// # Errors
    /// The request's validation errors.
    pub fn check_excluding(
        &self,
        request: &Request,
        now: Timestamp,
        exclude: Option<&str>,
    ) -> Result<Check> {
        self.check_with(request, now, exclude, &[])
    }

    /// As [`Ledger::check_excluding`], counting `extra` bookings as if they were
    /// in the ledger (a series' own earlier occurrences).
    ///
    /// # Errors
    /// The request's validation errors.
    pub fn check_with(
        &self,
        request: &Request,
        now: Timestamp,
        exclude: Option<&str>,
        extra: &[Booking],
    ) -> Result<Check> {
        let iv = request.validate()?;
        let mut checker = self.checker(&request.resources, now, exclude);
        Ok(checker.check(iv.start().unix(), iv.end().unix(), extra))
    }

    /// A checker for many intervals on the same resources (a series): the
    /// resources are looked up once and the scratch space is reused.
    pub(crate) fn checker<'a>(
        &'a self,
        resources: &'a [String],
        now: Timestamp,
        exclude: Option<&str>,
    ) -> Checker<'a> {
        let mut rs: Vec<(&'a str, Option<&'a ResourceIndex>)> = resources
            .iter()
            .map(|r| (r.as_str(), self.resource(r)))
            .collect();
        rs.sort_unstable_by_key(|r| r.0);
        rs.dedup_by_key(|r| r.0);
        Checker {
            ledger: self,
            resources: rs,
            now: now.unix(),
            skip: exclude
                .and_then(|id| self.by_id.get(id).copied())
                .into_iter()
                .collect(),
            hits: Vec::new(),
            firsts: Vec::new(),
        }
    }

    /// As [`Ledger::checker`], ignoring every booking in `exclude` (the
    /// occurrences a series edit moves); unknown ids are ignored.
    pub(crate) fn checker_excluding_all<'a>(
        &'a self,
        resources: &'a [String],
        now: Timestamp,
        exclude: &[&str],
    ) -> Checker<'a> {
        let mut checker = self.checker(resources, now, None);
        checker.skip = exclude
            .iter()
            .filter_map(|id| self.by_id.get(*id).copied())
            .collect();
        checker.skip.sort_unstable();
        checker
    }

    /// Move the booking `id` to `[start, end)` in place, keeping its slot,
    /// without any check: the caller has checked the new times (a series edit
    /// checks every move before it applies any). Cannot fail half-way.
    /// Returns false for an unknown id or an empty interval (nothing changes).
    pub(crate) fn move_unchecked(&mut self, id: &str, start: Timestamp, end: Timestamp) -> bool {
        let Some(&slot) = self.by_id.get(id) else {
            return false;
        };
        let Some(b) = self.slots[slot as usize].as_mut() else {
            return false;
        };
        if end <= start {
            return false;
        }
        let (old_start, old_end) = (b.start.unix(), b.end.unix());
        b.start = start;
        b.end = end;
        let entry = Entry {
            start: start.unix(),
            end: end.unix(),
            block_until: block_until(b),
            slot,
        };
        let resources = b.resources.clone();
        for (i, r) in resources.iter().enumerate() {
            if !resources[..i].contains(r) {
                let ix = self.resource_mut(r);
                ix.remove(old_start, old_end, slot);
                ix.insert(entry);
            }
        }
        true
    }

    /// Book atomically: check, then insert only when free. An `idempotency_key`
    /// seen before returns the booking it created instead of a second one.
    ///
    /// # Errors
    /// The booking's validation errors; `invalid_request` for a reused id or a
    /// key reused for a different booking.
    pub fn book(
        &mut self,
        booking: Booking,
        now: Timestamp,
        idempotency_key: Option<&str>,
    ) -> Result<BookOutcome> {
        self.expire_idempotency_keys(now);
        if let Some(key) = idempotency_key
            && let Some(existing) = self.idempotency.get(key).and_then(|(id, _)| self.get(id))
        {
            if !existing.same_request(&booking) {
                return Err(Error::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "idempotency key {key} was used for booking {} with other details",
                        existing.id
                    ),
                ));
            }
            return Ok(BookOutcome::Existing(existing.clone()));
        }
        booking.validate()?;
        let check = self.check(&booking.request(), now)?;
        if !check.ok {
            return Ok(BookOutcome::Conflict(check.conflicts));
        }
        let stored = booking.clone();
        self.insert(booking)?;
        if let Some(key) = idempotency_key {
            let first = now.unix();
            if let Some((_, old)) = self
                .idempotency
                .insert(key.to_string(), (stored.id.clone(), first))
            {
                // A key whose booking was removed is used anew.
                self.idempotency_by_age.remove(&(old, key.to_string()));
            }
            self.idempotency_by_age.insert((first, key.to_string()));
        }
        Ok(BookOutcome::Booked(stored))
    }

    /// Forget every idempotency key first used at or before
    /// `now - IDEMPOTENCY_TTL` (see [`IDEMPOTENCY_TTL`]). [`Ledger::book`]
    /// calls it; a store may call it to prune without booking.
    pub fn expire_idempotency_keys(&mut self, now: Timestamp) {
        let cutoff = now.unix().saturating_sub(IDEMPOTENCY_TTL);
        while let Some((first, _)) = self.idempotency_by_age.first()
            && *first <= cutoff
        {
            if let Some((_, key)) = self.idempotency_by_age.pop_first() {
                self.idempotency.remove(&key);
            }
        }
    }

    /// Number of idempotency keys remembered (not yet expired by a call at a
    /// later `now`).
    #[must_use]
    pub fn idempotency_keys(&self) -> usize {
        self.idempotency.len()
    }
}

/// Conflict checks of many intervals against one set of resources.
pub(crate) struct Checker<'a> {
    ledger: &'a Ledger,
    resources: Vec<(&'a str, Option<&'a ResourceIndex>)>,
    now: i64,
    /// Slots of bookings to ignore, sorted.
    skip: Vec<u32>,
    /// (start, end, slot); slots at or past `EXTRA` index into `extra`.
    hits: Vec<(i64, i64, u32)>,
    /// Per resource and length class, the first entry that can reach the interval.
    firsts: Vec<usize>,
}

const EXTRA: u32 = u32::MAX / 2;

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

/// What [`Ledger::book`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum BookOutcome {
    /// Booked now.
    Booked(Booking),
    /// The idempotency key had already booked this; nothing new was written.
    Existing(Booking),
    /// Not booked: these conflicts stand in the way.
    Conflict(Vec<Conflict>),
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

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    /// 10,000 hourly half-hour bookings on one room from 2026-01-01, and a
    /// year-long block at the start.
    fn room_with_a_year_block() -> Ledger {
        const BASE: i64 = 1_767_225_600;
        let mut ledger = Ledger::new();
        for i in 0..10_000i64 {
            let s = BASE + i * 3600;
            ledger
                .insert(Booking::new(
                    format!("b{i}"),
                    Timestamp::from_unix(s).unwrap(),
                    Timestamp::from_unix(s + 1800).unwrap(),
                    Status::Booked,
                    vec!["room:R1".into()],
                ))
                .unwrap();
        }
        ledger
            .insert(Booking::new(
                "closed",
                Timestamp::from_unix(BASE).unwrap(),
                Timestamp::from_unix(BASE + 365 * 86_400).unwrap(),
                Status::Booked,
                vec!["room:R1".into()],
            ))
            .unwrap();
        ledger
    }

    #[test]
    fn a_year_long_block_does_not_widen_the_search_of_short_bookings() {
        // A free half hour after the block's year: the old index searched from
        // `start - longest booking` and scanned the year's ~8,760 bookings.
        let ledger = room_with_a_year_block();
        let qs = 1_767_225_600 + 9000 * 3600 + 1800;
        let qe = qs + 1800;
        let ix = ledger.resource("room:R1").unwrap();
        let scanned: usize = ix
            .classes
            .iter()
            .map(|c| {
                c.entries[c.first_reaching(qs)..]
                    .iter()
                    .take_while(|e| e.start < qe)
                    .count()
            })
            .sum();
        assert!(scanned <= 4, "a check scanned {scanned} entries");
        let req = Request {
            start: Timestamp::from_unix(qs).unwrap(),
            end: Timestamp::from_unix(qe).unwrap(),
            resources: vec!["room:R1".into()],
        };
        assert!(
            ledger
                .check(&req, Timestamp::from_unix(0).unwrap())
                .unwrap()
                .ok
        );
        // Removing the block leaves only the short class.
        let mut ledger = ledger;
        ledger.remove("closed").unwrap();
        assert_eq!(ledger.resource("room:R1").unwrap().classes.len(), 1);
    }

    #[test]
    fn length_classes_are_powers_of_four() {
        assert_eq!(length_class(1), 0);
        assert_eq!(length_class(2), 1);
        assert_eq!(length_class(4), 1);
        assert_eq!(length_class(5), 2);
        assert_eq!(length_class(1800), 6); // 1024 < 1800 <= 4096
        assert_eq!(length_class(4096), 6);
        assert_eq!(length_class(4097), 7);
        for len in [
            1,
            2,
            3,
            4,
            5,
            16,
            17,
            1800,
            3600,
            86_400,
            31_536_000,
            i64::MAX,
        ] {
            let c = length_class(len);
            assert!(len <= class_reach(c), "{len} beyond its class {c}");
            assert!(
                c == 0 || len > class_reach(c - 1),
                "{len} fits class {}",
                c - 1
            );
        }
    }

    #[test]
    fn client_chosen_keys_hash_with_a_per_ledger_random_key() {
        // An unkeyed hash gives every ledger the same hash for a key, so a
        // client can precompute colliding ids; a keyed one differs per ledger.
        let (a, b) = (Ledger::new(), Ledger::new());
        for key in ["a1", "provider:P1", "idem-0001"] {
            assert_ne!(
                a.by_id.hasher().hash_one(key),
                b.by_id.hasher().hash_one(key),
                "ids hash alike in two ledgers"
            );
            assert_ne!(
                a.idempotency.hasher().hash_one(key),
                b.idempotency.hasher().hash_one(key),
                "idempotency keys hash alike in two ledgers"
            );
            assert_ne!(
                a.index.hasher().hash_one(key.as_bytes()),
                b.index.hasher().hash_one(key.as_bytes()),
                "resource names hash alike in two ledgers"
            );
        }
    }
}
