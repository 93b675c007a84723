//! Idempotent booking: a key seen before returns the booking it created,
//! and keys are forgotten [`IDEMPOTENCY_TTL`] after their first use.

use super::{BookOptions, BookOutcome, Booking, Ledger};
use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;

/// How long an idempotency key is remembered after its first use: 24 hours
/// (as Stripe). A repeat at or after `first use + IDEMPOTENCY_TTL` books anew,
/// and expired keys are forgotten, so the key table cannot grow without bound.
pub const IDEMPOTENCY_TTL: i64 = 24 * 60 * 60;

impl Ledger {
    /// Book atomically: check, then insert only when free. With
    /// [`BookOptions::idempotency_key`], a key seen before returns the booking
    /// it created instead of a second one.
    ///
    /// ```
    /// use hcas_core::booking::{BookOptions, BookOutcome, Booking, Ledger};
    /// use hcas_core::Interval;
    /// let slot = Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap();
    /// let now = "2026-05-04T08:00:00Z".parse().unwrap();
    /// let mut ledger = Ledger::new();
    /// let a1 = Booking::new("a1", vec!["provider:P1".into(), "patient:X1".into()], slot);
    /// let opts = BookOptions::at(now).idempotency_key("req-1");
    /// assert!(matches!(ledger.book(a1.clone(), opts).unwrap(), BookOutcome::Booked(_)));
    /// // The same key again: the booking it made, nothing new.
    /// assert!(matches!(ledger.book(a1, opts).unwrap(), BookOutcome::Existing(_)));
    /// // Another booking of the same provider at the same time conflicts.
    /// let a2 = Booking::new("a2", vec!["provider:P1".into(), "patient:X2".into()], slot);
    /// let BookOutcome::Conflict(conflicts) = ledger.book(a2, BookOptions::at(now)).unwrap() else {
    ///     unreachable!()
    /// };
    /// assert_eq!((conflicts[0].resource.as_str(), conflicts[0].with.as_slice()), ("provider:P1", ["a1".to_string()].as_slice()));
    /// ```
    ///
    /// # Errors
    /// The booking's validation errors; `invalid_request` for a reused id or a
    /// key reused for a different booking.
    pub fn book(&mut self, booking: Booking, options: BookOptions<'_>) -> Result<BookOutcome> {
        let BookOptions {
            now,
            idempotency_key,
        } = options;
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
