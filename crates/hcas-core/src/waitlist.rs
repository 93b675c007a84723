//! A waitlist served first come, first served: when a slot is freed, it is
//! offered to the earliest entry that wants that provider, accepts the whole
//! slot, and whose patient is free then.
//!
//! The engine only decides; the caller turns an [`Offer`] into a `held`
//! booking with [`make_hold`], books it with [`Ledger::book`], tells the
//! patient, and removes the entry once the patient accepts (an entry is never
//! removed by [`Waitlist::offer`]).
//!
//! ```
//! use hcas_core::booking::{Booking, Ledger, Status};
//! use hcas_core::booking::BookOptions;
//! use hcas_core::waitlist::{make_hold, WaitEntry, Waitlist};
//! use hcas_core::{Interval, Minutes};
//! let t = |s: &str| s.parse().unwrap();
//! let mut list = Waitlist::new();
//! list.add(WaitEntry::builder("w1")
//!     .patient("patient:X2")
//!     .provider("provider:P1")
//!     .window(Interval::parse("2026-05-04T00:00:00Z", "2026-05-09T00:00:00Z").unwrap())
//!     .created(t("2026-05-01T10:00:00Z"))
//!     .build()
//!     .unwrap()).unwrap();
//!
//! let slot = Interval::parse("2026-05-05T09:00:00Z", "2026-05-05T09:30:00Z").unwrap();
//! let freed = Booking::new("a1", vec!["provider:P1".into(), "patient:X1".into()], slot)
//!     .status(Status::Cancelled);
//! let mut ledger = Ledger::new();
//! let now = t("2026-05-04T08:00:00Z");
//! let offer = list.offer(&freed, &ledger, now, Minutes::new(15)).unwrap().unwrap();
//! assert_eq!((offer.entry_id.as_str(), offer.patient.as_str()), ("w1", "patient:X2"));
//! assert_eq!(offer.hold_expires.to_string(), "2026-05-04T08:15:00Z");
//!
//! let hold = make_hold(&offer, "provider:P1", "h1".into());
//! assert_eq!(hold.status, Status::Held);
//! ledger.book(hold, BookOptions::at(now)).unwrap();
//! // The slot is held now, so it is not offered twice.
//! assert_eq!(list.offer(&freed, &ledger, now, Minutes::new(15)).unwrap(), None);
//! ```

use serde::{Deserialize, Serialize};

use crate::booking::{Booking, Ledger, Request, Status};
use crate::error::{Error, ErrorCode, Result};
use crate::time::{Interval, Minutes, Timestamp};

/// The longest hold an offer may carry: one week, in minutes.
pub const MAX_HOLD_MINUTES: Minutes = Minutes::days(7);

/// What a waiting patient accepts beyond provider and time window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Preferences {
    /// Only offer slots at least this many minutes long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration_minutes: Option<Minutes>,
}

impl Preferences {
    /// No condition beyond provider and window (the default).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            min_duration_minutes: None,
        }
    }

    /// These preferences accepting only slots at least `length` long.
    #[must_use]
    pub const fn min_duration(mut self, length: Minutes) -> Self {
        self.min_duration_minutes = Some(length);
        self
    }
}

/// One patient waiting for a slot with one provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WaitEntry {
    /// Unique id in the waitlist.
    pub id: String,
    /// The patient resource, e.g. `patient:X1`.
    pub patient: String,
    /// The provider resource wanted, e.g. `provider:P1`.
    pub provider: String,
    /// The time range the patient would accept: an offered slot lies wholly inside it.
    pub window: Interval,
    /// Further conditions on the slot.
    #[serde(default)]
    pub preferences: Preferences,
    /// When the patient joined the list; earlier is served first.
    pub created: Timestamp,
}

impl WaitEntry {
    /// Start an entry `id`; give it a patient, a provider, a window and when
    /// it was created, then [`WaitEntryBuilder::build`] it.
    pub fn builder(id: impl Into<String>) -> WaitEntryBuilder {
        WaitEntryBuilder {
            id: id.into(),
            patient: None,
            provider: None,
            window: None,
            preferences: Preferences::new(),
            created: None,
        }
    }

    /// Check the entry's own fields.
    ///
    /// # Errors
    /// `invalid_request` for an empty id, patient or provider;
    /// `invalid_duration` for a `min_duration_minutes` that is not positive.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("id", &self.id),
            ("patient", &self.patient),
            ("provider", &self.provider),
        ] {
            if value.trim().is_empty() {
                return Err(Error::new(ErrorCode::InvalidRequest, "must not be empty")
                    .at(&format!("waitlist entry.{field}")));
            }
        }
        crate::id::check_id("waitlist entry.id", &self.id)?;
        crate::id::check_resource("waitlist entry.patient", &self.patient)?;
        crate::id::check_resource("waitlist entry.provider", &self.provider)?;
        if let Some(m) = self.preferences.min_duration_minutes.map(Minutes::get)
            && m <= 0
        {
            return Err(Error::new(
                ErrorCode::InvalidDuration,
                format!("{m} must be a positive number of minutes"),
            )
            .at(&format!(
                "waitlist entry {}.preferences.min_duration_minutes",
                self.id
            )));
        }
        Ok(())
    }

    /// Whether this entry would take the slot `[start, end)` of `provider` at
    /// `now`, leaving aside whether the patient is free.
    fn wants(
        &self,
        resources: &[String],
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> bool {
        let long_enough = self
            .preferences
            .min_duration_minutes
            .is_none_or(|m| end.unix() - start.unix() >= m.as_seconds());
        self.window.end() > now
            && resources.contains(&self.provider)
            && self.window.start() <= start
            && end <= self.window.end()
            && long_enough
    }
}

/// A [`WaitEntry`] being built: see [`WaitEntry::builder`].
///
/// ```
/// use hcas_core::waitlist::{Preferences, WaitEntry};
/// use hcas_core::{ErrorCode, Interval, Minutes};
/// let window = Interval::parse("2026-05-04T00:00:00Z", "2026-05-09T00:00:00Z").unwrap();
/// let entry = WaitEntry::builder("w1")
///     .patient("patient:X2")
///     .provider("provider:P1")
///     .window(window)
///     .preferences(Preferences::new().min_duration(Minutes::new(30)))
///     .created("2026-05-01T10:00:00Z".parse().unwrap())
///     .build()
///     .unwrap();
/// assert_eq!(entry.provider, "provider:P1");
/// // Every part but the preferences is required.
/// let e = WaitEntry::builder("w2").patient("patient:X3").window(window).build().unwrap_err();
/// assert_eq!(e.code(), ErrorCode::InvalidRequest);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct WaitEntryBuilder {
    id: String,
    patient: Option<String>,
    provider: Option<String>,
    window: Option<Interval>,
    preferences: Preferences,
    created: Option<Timestamp>,
}

impl WaitEntryBuilder {
    /// The patient resource waiting, e.g. `patient:X1`.
    pub fn patient(mut self, patient: impl Into<String>) -> Self {
        self.patient = Some(patient.into());
        self
    }

    /// The provider resource wanted, e.g. `provider:P1`.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// The time range the patient would accept.
    pub const fn window(mut self, window: Interval) -> Self {
        self.window = Some(window);
        self
    }

    /// Further conditions on the slot (none by default).
    pub const fn preferences(mut self, preferences: Preferences) -> Self {
        self.preferences = preferences;
        self
    }

    /// When the patient joined the list; earlier is served first.
    pub const fn created(mut self, created: Timestamp) -> Self {
        self.created = Some(created);
        self
    }

    /// The entry, checked by [`WaitEntry::validate`].
    ///
    /// # Errors
    /// `invalid_request` for a missing patient, provider, window or creation
    /// time; the errors of [`WaitEntry::validate`].
    pub fn build(self) -> Result<WaitEntry> {
        let missing = |field: &str| {
            Error::new(ErrorCode::InvalidRequest, "must be given")
                .at(&format!("waitlist entry {}.{field}", self.id))
        };
        let entry = WaitEntry {
            patient: self.patient.clone().ok_or_else(|| missing("patient"))?,
            provider: self.provider.clone().ok_or_else(|| missing("provider"))?,
            window: self.window.ok_or_else(|| missing("window"))?,
            created: self.created.ok_or_else(|| missing("created"))?,
            preferences: self.preferences,
            id: self.id,
        };
        entry.validate()?;
        Ok(entry)
    }
}

/// A slot offered to a waiting patient, held for them until `hold_expires`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Offer {
    /// The waitlist entry served.
    pub entry_id: String,
    /// Its patient resource.
    pub patient: String,
    /// Slot start.
    pub start: Timestamp,
    /// Slot end (exclusive).
    pub end: Timestamp,
    /// When the offer lapses: `now + hold_minutes`.
    pub hold_expires: Timestamp,
}

impl Offer {
    /// The offer of the slot `[start, end)` to `patient` for the waitlist
    /// entry `entry_id`, held until `hold_expires`. Nothing is checked: this
    /// rebuilds an offer the engine made (e.g. one kept by a binding or a
    /// store), as its serde form does; [`make_hold`] turns it into a hold.
    ///
    /// ```
    /// use hcas_core::waitlist::Offer;
    /// let t = |s: &str| s.parse().unwrap();
    /// let o = Offer::new(
    ///     "w1",
    ///     "X1",
    ///     t("2026-05-05T09:00:00Z"),
    ///     t("2026-05-05T09:30:00Z"),
    ///     t("2026-05-04T12:15:00Z"),
    /// );
    /// assert_eq!((o.entry_id.as_str(), o.patient.as_str()), ("w1", "X1"));
    /// ```
    #[must_use]
    pub fn new(
        entry_id: impl Into<String>,
        patient: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
        hold_expires: Timestamp,
    ) -> Self {
        Self {
            entry_id: entry_id.into(),
            patient: patient.into(),
            start,
            end,
            hold_expires,
        }
    }
}

/// Waiting patients, kept in serving order: by `created`, then by `id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<WaitEntry>", into = "Vec<WaitEntry>")]
pub struct Waitlist {
    entries: Vec<WaitEntry>,
}

impl TryFrom<Vec<WaitEntry>> for Waitlist {
    type Error = Error;
    fn try_from(entries: Vec<WaitEntry>) -> Result<Self> {
        let mut list = Self::new();
        for e in entries {
            list.add(e)?;
        }
        Ok(list)
    }
}

impl From<Waitlist> for Vec<WaitEntry> {
    fn from(list: Waitlist) -> Self {
        list.entries
    }
}

impl Waitlist {
    /// An empty waitlist.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no one is waiting.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in serving order (by `created`, then `id`).
    #[must_use]
    pub fn entries(&self) -> &[WaitEntry] {
        &self.entries
    }

    /// The entry with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&WaitEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Add an entry in its place in the serving order.
    ///
    /// # Errors
    /// The entry's validation errors ([`WaitEntry::validate`]); `invalid_request`
    /// for an id already on the list.
    pub fn add(&mut self, entry: WaitEntry) -> Result<()> {
        entry.validate()?;
        if self.get(&entry.id).is_some() {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!("waitlist entry id {} is already used", entry.id),
            ));
        }
        let at = self
            .entries
            .partition_point(|e| (e.created, e.id.as_str()) < (entry.created, entry.id.as_str()));
        self.entries.insert(at, entry);
        Ok(())
    }

    /// Remove and return the entry with this id.
    pub fn remove(&mut self, id: &str) -> Option<WaitEntry> {
        let at = self.entries.iter().position(|e| e.id == id)?;
        Some(self.entries.remove(at))
    }

    /// Remove every entry whose window has ended by `now`; they are returned
    /// in serving order.
    pub fn remove_expired(&mut self, now: Timestamp) -> Vec<WaitEntry> {
        let (gone, kept) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|e| e.window.end() <= now);
        self.entries = kept;
        gone
    }

    /// The offer of the slot `freed` leaves, to the first entry in serving
    /// order that:
    ///
    /// - wants one of `freed`'s resources as its provider;
    /// - has a window that contains `[freed.start, freed.end)` (so it has not
    ///   ended by `now`) and a slot at least `min_duration_minutes` long;
    /// - can have it: its patient and its provider are free over the slot at
    ///   `now` according to `ledger` (ignoring `freed` itself, which may still
    ///   be in the ledger, cancelled or not). A provider that is no longer free
    ///   (e.g. the slot was already offered and held) means no offer.
    ///
    /// `None` when no entry qualifies, or when the slot has already started
    /// (`freed.start <= now`): a slot in the past is not offered.
    ///
    /// # Errors
    /// `invalid_duration` when `hold_minutes` is not positive or above
    /// [`MAX_HOLD_MINUTES`]; `invalid_interval` when `freed` ends before it starts.
    pub fn offer(
        &self,
        freed: &Booking,
        ledger: &Ledger,
        now: Timestamp,
        hold_minutes: Minutes,
    ) -> Result<Option<Offer>> {
        if !(Minutes::new(1)..=MAX_HOLD_MINUTES).contains(&hold_minutes) {
            return Err(Error::new(
                ErrorCode::InvalidDuration,
                format!(
                    "{} must be between 1 and {} minutes",
                    hold_minutes.get(),
                    MAX_HOLD_MINUTES.get()
                ),
            )
            .at("hold_minutes"));
        }
        let slot = freed.interval()?;
        let (start, end) = (slot.start(), slot.end());
        if start <= now {
            return Ok(None);
        }
        for entry in &self.entries {
            if !entry.wants(&freed.resources, start, end, now) {
                continue;
            }
            let request = Request {
                start,
                end,
                resources: vec![entry.provider.clone(), entry.patient.clone()],
            };
            if ledger.check_excluding(&request, now, Some(&freed.id))?.ok {
                return Ok(Some(Offer {
                    entry_id: entry.id.clone(),
                    patient: entry.patient.clone(),
                    start,
                    end,
                    hold_expires: now.plus_minutes(hold_minutes.get())?,
                }));
            }
        }
        Ok(None)
    }
}

/// The `held` booking `id` that reserves `offer` for its patient with
/// `provider` until the offer lapses; book it with [`Ledger::book`].
#[must_use]
pub fn make_hold(offer: &Offer, provider: &str, id: String) -> Booking {
    let mut hold = Booking::from_parts(
        id,
        offer.start,
        offer.end,
        Status::Held,
        vec![provider.to_string(), offer.patient.clone()],
    );
    hold.hold_expires = Some(offer.hold_expires);
    hold
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::BookOutcome;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn iv(a: &str, b: &str) -> Interval {
        Interval::parse(a, b).unwrap()
    }

    /// Tuesday 09:00-09:30 with provider P1, freed by patient X1.
    fn freed() -> Booking {
        Booking::from_parts(
            "a1",
            t("2026-05-05T09:00:00Z"),
            t("2026-05-05T09:30:00Z"),
            Status::Cancelled,
            vec!["provider:P1".into(), "patient:X1".into(), "room:R1".into()],
        )
    }

    fn now() -> Timestamp {
        t("2026-05-04T08:00:00Z")
    }

    fn entry(id: &str, patient: &str, created: &str) -> WaitEntry {
        WaitEntry {
            id: id.into(),
            patient: format!("patient:{patient}"),
            provider: "provider:P1".into(),
            window: iv("2026-05-04T00:00:00Z", "2026-05-09T00:00:00Z"),
            preferences: Preferences::default(),
            created: t(created),
        }
    }

    fn list(entries: Vec<WaitEntry>) -> Waitlist {
        Waitlist::try_from(entries).unwrap()
    }

    fn offered(list: &Waitlist, ledger: &Ledger) -> Option<String> {
        list.offer(&freed(), ledger, now(), Minutes::new(15))
            .unwrap()
            .map(|o| o.entry_id)
    }

    #[test]
    fn first_come_first_served() {
        let l = list(vec![
            entry("w3", "X3", "2026-05-02T10:00:00Z"),
            entry("w2", "X2", "2026-05-01T10:00:00Z"),
            entry("w1", "X4", "2026-05-02T10:00:00Z"),
        ]);
        let order: Vec<&str> = l.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(order, ["w2", "w1", "w3"]);
        let offer = l
            .offer(&freed(), &Ledger::new(), now(), Minutes::new(20))
            .unwrap()
            .unwrap();
        assert_eq!(
            offer,
            Offer {
                entry_id: "w2".into(),
                patient: "patient:X2".into(),
                start: t("2026-05-05T09:00:00Z"),
                end: t("2026-05-05T09:30:00Z"),
                hold_expires: t("2026-05-04T08:20:00Z"),
            }
        );
        // Same `created`: the smaller id first.
        let mut l = l;
        l.remove("w2").unwrap();
        assert_eq!(offered(&l, &Ledger::new()).as_deref(), Some("w1"));
    }

    #[test]
    fn offer_new_is_the_engines_offer() {
        let made = Offer::new(
            "w2",
            "patient:X2",
            t("2026-05-05T09:00:00Z"),
            t("2026-05-05T09:30:00Z"),
            t("2026-05-04T08:20:00Z"),
        );
        // The engine's own offer of the freed slot, held 20 minutes from 08:00.
        let l = list(vec![entry("w2", "X2", "2026-05-01T10:00:00Z")]);
        let engine = l
            .offer(&freed(), &Ledger::new(), now(), Minutes::new(20))
            .unwrap()
            .unwrap();
        assert_eq!(made, engine);
        // The same value as its serde form, written by hand.
        let json: Offer = serde_json::from_str(
            r#"{"entry_id": "w2", "patient": "patient:X2",
                "start": "2026-05-05T09:00:00Z", "end": "2026-05-05T09:30:00Z",
                "hold_expires": "2026-05-04T08:20:00Z"}"#,
        )
        .unwrap();
        assert_eq!(made, json);
        // It makes the hold the engine's offer makes.
        let hold = make_hold(&made, "provider:P1", "h1".into());
        assert_eq!(hold, make_hold(&engine, "provider:P1", "h1".into()));
        assert_eq!(hold.status, Status::Held);
        assert_eq!(hold.hold_expires, Some(t("2026-05-04T08:20:00Z")));
        assert_eq!(hold.resources, ["provider:P1", "patient:X2"]);
    }

    #[test]
    fn a_busy_patient_is_skipped() {
        let l = list(vec![
            entry("w1", "X2", "2026-05-01T10:00:00Z"),
            entry("w2", "X3", "2026-05-02T10:00:00Z"),
        ]);
        let mut ledger = Ledger::new();
        // X2 is booked elsewhere, overlapping the freed slot by a minute.
        ledger
            .insert(Booking::from_parts(
                "b9",
                t("2026-05-05T09:29:00Z"),
                t("2026-05-05T10:00:00Z"),
                Status::Booked,
                vec!["provider:P7".into(), "patient:X2".into()],
            ))
            .unwrap();
        assert_eq!(offered(&l, &ledger).as_deref(), Some("w2"));
        // Touching is not overlapping; a cancelled booking does not block.
        let mut ledger = Ledger::new();
        ledger
            .insert(Booking::from_parts(
                "b8",
                t("2026-05-05T09:30:00Z"),
                t("2026-05-05T10:00:00Z"),
                Status::Booked,
                vec!["patient:X2".into()],
            ))
            .unwrap();
        ledger
            .insert(Booking::from_parts(
                "b7",
                t("2026-05-05T09:00:00Z"),
                t("2026-05-05T09:30:00Z"),
                Status::Cancelled,
                vec!["patient:X2".into()],
            ))
            .unwrap();
        assert_eq!(offered(&l, &ledger).as_deref(), Some("w1"));
    }

    #[test]
    fn the_freed_booking_itself_does_not_block() {
        // The caller may ask before recording the cancellation.
        let mut still_booked = freed();
        still_booked.status = Status::Booked;
        let mut ledger = Ledger::new();
        ledger.insert(still_booked.clone()).unwrap();
        let l = list(vec![entry("w1", "X2", "2026-05-01T10:00:00Z")]);
        let offer = l
            .offer(&still_booked, &ledger, now(), Minutes::new(15))
            .unwrap();
        assert_eq!(offer.map(|o| o.entry_id).as_deref(), Some("w1"));
    }

    #[test]
    fn a_window_that_does_not_contain_the_slot_is_skipped() {
        let mut early = entry("w1", "X2", "2026-05-01T10:00:00Z");
        early.window = iv("2026-05-05T08:00:00Z", "2026-05-05T09:15:00Z");
        let mut late = entry("w2", "X3", "2026-05-01T11:00:00Z");
        late.window = iv("2026-05-05T09:01:00Z", "2026-05-05T12:00:00Z");
        let mut other_provider = entry("w3", "X4", "2026-05-01T12:00:00Z");
        other_provider.provider = "provider:P2".into();
        let mut exact = entry("w4", "X5", "2026-05-01T13:00:00Z");
        exact.window = iv("2026-05-05T09:00:00Z", "2026-05-05T09:30:00Z");
        let l = list(vec![early, late, other_provider, exact]);
        assert_eq!(offered(&l, &Ledger::new()).as_deref(), Some("w4"));
        let mut l = l;
        l.remove("w4").unwrap();
        assert_eq!(offered(&l, &Ledger::new()), None);
    }

    #[test]
    fn a_slot_shorter_than_preferred_is_skipped() {
        let mut picky = entry("w1", "X2", "2026-05-01T10:00:00Z");
        picky.preferences.min_duration_minutes = Some(Minutes::new(31));
        let mut ok = entry("w2", "X3", "2026-05-01T11:00:00Z");
        ok.preferences.min_duration_minutes = Some(Minutes::new(30));
        let l = list(vec![picky, ok]);
        assert_eq!(offered(&l, &Ledger::new()).as_deref(), Some("w2"));
    }

    #[test]
    fn an_expired_entry_or_a_past_slot_is_never_offered() {
        let mut expired = entry("w1", "X2", "2026-05-01T10:00:00Z");
        expired.window = iv("2026-05-01T00:00:00Z", "2026-05-05T09:30:00Z");
        let live = entry("w2", "X3", "2026-05-02T10:00:00Z");
        let l = list(vec![expired, live]);
        // Before the slot, w1's window is still open: it is served first.
        assert_eq!(offered(&l, &Ledger::new()).as_deref(), Some("w1"));
        // Once the window has ended (and so has the slot) no one is offered it.
        for now in [
            t("2026-05-05T09:00:00Z"),
            t("2026-05-05T09:30:00Z"),
            t("2026-05-06T00:00:00Z"),
        ] {
            assert_eq!(
                l.offer(&freed(), &Ledger::new(), now, Minutes::new(15))
                    .unwrap(),
                None
            );
        }
        // A later slot inside w2's window only goes to w2, since w1 has ended.
        let mut later = freed();
        later.start = t("2026-05-07T09:00:00Z");
        later.end = t("2026-05-07T09:30:00Z");
        let offer = l
            .offer(
                &later,
                &Ledger::new(),
                t("2026-05-06T00:00:00Z"),
                Minutes::new(15),
            )
            .unwrap();
        assert_eq!(offer.map(|o| o.entry_id).as_deref(), Some("w2"));

        let mut l = l;
        let gone = l.remove_expired(t("2026-05-05T09:30:00Z"));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].id, "w1");
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn hold_minutes_must_be_positive_and_bounded() {
        let l = list(vec![entry("w1", "X2", "2026-05-01T10:00:00Z")]);
        for bad in [0, -5, MAX_HOLD_MINUTES.get() + 1, i64::MAX].map(Minutes::new) {
            let e = l.offer(&freed(), &Ledger::new(), now(), bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidDuration, "{bad}");
        }
        assert!(
            l.offer(&freed(), &Ledger::new(), now(), MAX_HOLD_MINUTES)
                .is_ok()
        );
        let mut empty = freed();
        empty.end = empty.start;
        let e = l
            .offer(&empty, &Ledger::new(), now(), Minutes::new(15))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInterval);
    }

    #[test]
    fn a_hold_reserves_the_slot_once() {
        let l = list(vec![
            entry("w1", "X2", "2026-05-01T10:00:00Z"),
            entry("w2", "X3", "2026-05-02T10:00:00Z"),
        ]);
        let mut ledger = Ledger::new();
        ledger.insert(freed()).unwrap();
        let offer = l
            .offer(&freed(), &ledger, now(), Minutes::new(15))
            .unwrap()
            .unwrap();
        let hold = make_hold(&offer, "provider:P1", "h1".into());
        assert_eq!(hold.status, Status::Held);
        assert_eq!(hold.hold_expires, Some(t("2026-05-04T08:15:00Z")));
        assert_eq!(hold.resources, ["provider:P1", "patient:X2"]);
        assert!(hold.validate().is_ok());
        assert!(matches!(
            ledger
                .book(hold, crate::booking::BookOptions::at(now()))
                .unwrap(),
            BookOutcome::Booked(_)
        ));
        // While the hold lives, the slot is not offered again, to anyone.
        assert_eq!(offered(&l, &ledger), None);
        // Once it lapses, the slot goes round again.
        let lapsed = t("2026-05-04T08:15:00Z");
        let again = l
            .offer(&freed(), &ledger, lapsed, Minutes::new(15))
            .unwrap()
            .unwrap();
        assert_eq!(again.entry_id, "w1");
    }

    #[test]
    fn adding_checks_ids_and_fields() {
        let mut l = list(vec![entry("w1", "X2", "2026-05-01T10:00:00Z")]);
        let e = l
            .add(entry("w1", "X3", "2026-05-02T10:00:00Z"))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        assert!(e.message().contains("w1"), "{e}");
        let mut blank = entry("w2", "X3", "2026-05-02T10:00:00Z");
        blank.patient = " ".into();
        assert_eq!(l.add(blank).unwrap_err().code(), ErrorCode::InvalidRequest);
        let mut zero = entry("w3", "X3", "2026-05-02T10:00:00Z");
        zero.preferences.min_duration_minutes = Some(Minutes::new(0));
        assert_eq!(l.add(zero).unwrap_err().code(), ErrorCode::InvalidDuration);
        assert_eq!(l.len(), 1);
        assert!(l.remove("w9").is_none());
        assert_eq!(l.remove("w1").map(|e| e.id).as_deref(), Some("w1"));
        assert!(l.is_empty());
    }

    #[test]
    fn the_builder_needs_every_part_but_the_preferences() {
        let built = WaitEntry::builder("w1")
            .patient("patient:X2")
            .provider("provider:P1")
            .window(iv("2026-05-04T00:00:00Z", "2026-05-09T00:00:00Z"))
            .created(t("2026-05-01T10:00:00Z"))
            .build()
            .unwrap();
        assert_eq!(built, entry("w1", "X2", "2026-05-01T10:00:00Z"));
        let full = || {
            WaitEntry::builder("w1")
                .patient("patient:X2")
                .provider("provider:P1")
                .window(iv("2026-05-04T00:00:00Z", "2026-05-09T00:00:00Z"))
                .created(t("2026-05-01T10:00:00Z"))
        };
        let mut missing = [full(), full(), full(), full()];
        missing[0].patient = None;
        missing[1].provider = None;
        missing[2].window = None;
        missing[3].created = None;
        for (b, field) in missing
            .into_iter()
            .zip(["patient", "provider", "window", "created"])
        {
            let e = b.build().unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest);
            assert!(e.message().contains(field), "{e}");
        }
        // build() validates too.
        let e = full()
            .preferences(Preferences::new().min_duration(Minutes::ZERO))
            .build()
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidDuration);
        let picky = full()
            .preferences(Preferences::new().min_duration(Minutes::new(45)))
            .build()
            .unwrap();
        assert_eq!(
            picky.preferences.min_duration_minutes,
            Some(Minutes::new(45))
        );
        assert_eq!(Preferences::new(), Preferences::default());
    }

    #[test]
    fn entries_offers_and_preferences_round_trip() {
        let mut e = entry("w1", "X2", "2026-05-01T10:00:00Z");
        e.preferences = Preferences::new().min_duration(Minutes::new(20));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["preferences"]["min_duration_minutes"], 20);
        assert_eq!(serde_json::from_value::<WaitEntry>(v).unwrap(), e);
        let offer = list(vec![e])
            .offer(&freed(), &Ledger::new(), now(), Minutes::new(15))
            .unwrap()
            .unwrap();
        let back: Offer = serde_json::from_value(serde_json::to_value(&offer).unwrap()).unwrap();
        assert_eq!(back, offer);
    }

    #[test]
    fn serde_round_trip_keeps_the_order_and_rejects_duplicates() {
        let l = list(vec![
            entry("w2", "X3", "2026-05-02T10:00:00Z"),
            entry("w1", "X2", "2026-05-01T10:00:00Z"),
        ]);
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json[0]["id"], "w1");
        assert_eq!(json[0]["window"]["start"], "2026-05-04T00:00:00Z");
        assert!(json[0]["preferences"].as_object().unwrap().is_empty());
        let back: Waitlist = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, l);
        let mut dup = json;
        dup[1]["id"] = "w1".into();
        assert!(serde_json::from_value::<Waitlist>(dup).is_err());
    }
}
