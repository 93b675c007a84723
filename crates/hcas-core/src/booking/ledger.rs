//! The [`Ledger`]: every booking, indexed per resource, and the operations
//! that change it atomically (insert, hold, confirm, reschedule, move).

use std::collections::BTreeSet;

use super::check::Checker;
use super::index::{Entry, Key, KeyedMap, ResourceIndex, block_until};
use super::{
    BookOptions, BookOutcome, Booking, Check, CheckOptions, HoldOptions, Request,
    RescheduleOptions, Status,
};
use crate::error::{Error, ErrorCode, Result};
use crate::time::{Interval, Timestamp};

/// All bookings, indexed per resource, with capacities and idempotency keys.
///
/// ```
/// use hcas_core::booking::{Booking, Ledger, Request};
/// use hcas_core::Interval;
/// let iv = |a, b| Interval::parse(a, b).unwrap();
/// let mut ledger = Ledger::new();
/// ledger.set_capacity("room:R1", 2).unwrap();
/// ledger.insert(Booking::new("a1", vec!["room:R1".into()], iv("2026-05-04T09:00:00Z", "2026-05-04T10:00:00Z"))).unwrap();
/// let now = "2026-05-04T08:00:00Z".parse().unwrap();
/// let second = Request::new(vec!["room:R1".into()], iv("2026-05-04T09:30:00Z", "2026-05-04T10:30:00Z"));
/// assert!(ledger.check(&second, now).unwrap().ok); // room for two
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub(super) slots: Vec<Option<Booking>>,
    pub(super) free: Vec<u32>,
    pub(super) by_id: KeyedMap<String, u32>,
    /// Resource name -> its index.
    pub(super) index: KeyedMap<Key, ResourceIndex>,
    /// Idempotency key -> (booking id, first use, unix seconds).
    pub(super) idempotency: KeyedMap<String, (String, i64)>,
    /// (first use, key) of every remembered idempotency key, oldest first,
    /// so expired keys are pruned without a scan.
    pub(super) idempotency_by_age: BTreeSet<(i64, String)>,
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

    /// Place a hold `id` on `request`'s resources until `options.expires` (a
    /// tentative reservation that blocks others until then, and then lapses
    /// by itself).
    ///
    /// # Errors
    /// `invalid_duration` when `expires <= now`; validation errors.
    pub fn hold(
        &mut self,
        id: &str,
        request: &Request,
        options: HoldOptions,
    ) -> Result<BookOutcome> {
        let HoldOptions { now, expires } = options;
        if expires <= now {
            return Err(Error::duration(format!(
                "hold {id} must expire after now ({now}), got {expires}"
            )));
        }
        let b = Booking::from_parts(
            id,
            request.start,
            request.end,
            Status::Held,
            request.resources.clone(),
        )
        .hold_until(expires);
        self.book(b, BookOptions::at(now))
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
    /// `id` with `options.reason`, or change nothing when `new` conflicts. The old
    /// booking does not count against the new one.
    ///
    /// # Errors
    /// `invalid_request` for an unknown id or a booking not in a reschedulable
    /// status; validation errors of `new`.
    pub fn reschedule(
        &mut self,
        id: &str,
        mut new: Booking,
        options: RescheduleOptions<'_>,
    ) -> Result<BookOutcome> {
        let RescheduleOptions { now, reason } = options;
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

    /// Move a booking to `to` after checking the new time against
    /// everything but itself (one occurrence of a series, a same-resource move).
    ///
    /// # Errors
    /// `invalid_request` for an unknown id; validation errors.
    pub fn move_booking(&mut self, id: &str, to: Interval, now: Timestamp) -> Result<BookOutcome> {
        let (start, end) = (to.start(), to.end());
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

    /// Can `request` be booked at `now`? Every conflict, typed: each
    /// conflicting resource with every blocking booking on it that overlaps
    /// the request. Changes nothing.
    ///
    /// ```
    /// use hcas_core::booking::{Booking, Ledger, Request};
    /// use hcas_core::Interval;
    /// let iv = |a, b| Interval::parse(a, b).unwrap();
    /// let mut ledger = Ledger::new();
    /// ledger.insert(Booking::new("a1", vec!["provider:P1".into(), "patient:X1".into()],
    ///     iv("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z"))).unwrap();
    /// let now = "2026-05-04T08:00:00Z".parse().unwrap();
    /// let wanted = Request::new(vec!["provider:P2".into(), "patient:X1".into()],
    ///     iv("2026-05-04T09:15:00Z", "2026-05-04T09:45:00Z"));
    /// let check = ledger.check(&wanted, now).unwrap();
    /// assert!(!check.ok);
    /// assert_eq!((check.conflicts[0].resource.as_str(), check.conflicts[0].with.as_slice()),
    ///     ("patient:X1", ["a1".to_string()].as_slice()));
    /// // Touching is not overlapping.
    /// let after = Request::new(vec!["patient:X1".into()], iv("2026-05-04T09:30:00Z", "2026-05-04T10:00:00Z"));
    /// assert!(ledger.check(&after, now).unwrap().ok);
    /// ```
    ///
    /// # Errors
    /// The request's validation errors.
    pub fn check(&self, request: &Request, now: Timestamp) -> Result<Check> {
        self.check_with(request, CheckOptions::at(now))
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
        self.check_with(
            request,
            CheckOptions {
                exclude,
                ..CheckOptions::at(now)
            },
        )
    }

    /// As [`Ledger::check`], with every option: a booking to ignore
    /// ([`CheckOptions::exclude`]) and bookings to count as if they were in
    /// the ledger ([`CheckOptions::extra`], a series' own earlier occurrences).
    ///
    /// # Errors
    /// The request's validation errors.
    pub fn check_with(&self, request: &Request, options: CheckOptions<'_>) -> Result<Check> {
        let CheckOptions {
            now,
            exclude,
            extra,
        } = options;
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
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::super::index::{class_reach, length_class};
    use super::*;

    /// 10,000 hourly half-hour bookings on one room from 2026-01-01, and a
    /// year-long block at the start.
    fn room_with_a_year_block() -> Ledger {
        const BASE: i64 = 1_767_225_600;
        let mut ledger = Ledger::new();
        for i in 0..10_000i64 {
            let s = BASE + i * 3600;
            ledger
                .insert(Booking::from_parts(
                    format!("b{i}"),
                    Timestamp::from_unix(s).unwrap(),
                    Timestamp::from_unix(s + 1800).unwrap(),
                    Status::Booked,
                    vec!["room:R1".into()],
                ))
                .unwrap();
        }
        ledger
            .insert(Booking::from_parts(
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
