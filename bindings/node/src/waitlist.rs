//! The waitlist (`hcas_core::waitlist`), behind the package's `Waitlist`
//! and `makeHold`. Conversions only: the engine decides which entry a freed
//! slot is offered to; instants go back as ISO strings in UTC.

use hcas_core::Interval;
use hcas_core::waitlist::{MAX_HOLD_MINUTES, Offer, Preferences, WaitEntry, Waitlist, make_hold};
use hcas_js_shapes::waitlist as shapes;
use napi_derive::napi;

use crate::Result;
use crate::booking::{NativeBooking, NativeLedger};
use crate::typed::{InstantArg, instant, minutes};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| crate::to_js(&e))
}

/// A waitlist entry as the wrapper passes it.
#[napi(object)]
pub struct NativeWaitEntryArgs {
    /// Unique id in the waitlist.
    pub id: String,
    /// The patient resource, e.g. `patient:X1`.
    pub patient: String,
    /// The provider resource wanted, e.g. `provider:P1`.
    pub provider: String,
    /// The start of the time range the patient would accept.
    pub window_start: InstantArg,
    /// The end of that range (exclusive).
    pub window_end: InstantArg,
    /// Only offer slots at least this many minutes long.
    pub min_duration_minutes: Option<f64>,
    /// When the patient joined the list; earlier is served first.
    pub created: InstantArg,
}

/// A waitlist entry as the package answers it.
#[napi(object, object_from_js = false)]
pub struct NativeWaitEntry {
    /// Unique id in the waitlist.
    pub id: String,
    /// The patient resource.
    pub patient: String,
    /// The provider resource wanted.
    pub provider: String,
    /// The window's start, an ISO string in UTC.
    pub window_start: String,
    /// The window's end, an ISO string in UTC.
    pub window_end: String,
    /// The shortest slot accepted, in minutes, or `null`.
    pub min_duration_minutes: Option<i64>,
    /// When the patient joined the list, an ISO string in UTC.
    pub created: String,
}

impl From<&WaitEntry> for NativeWaitEntry {
    fn from(e: &WaitEntry) -> Self {
        let e = shapes::wait_entry(e);
        Self {
            id: e.id,
            patient: e.patient,
            provider: e.provider,
            window_start: e.window_start,
            window_end: e.window_end,
            min_duration_minutes: e.min_duration_minutes,
            created: e.created,
        }
    }
}

/// An offer as the wrapper passes it back (instants as epoch milliseconds
/// or ISO strings).
#[napi(object)]
pub struct NativeOfferArgs {
    /// The waitlist entry served.
    pub entry_id: String,
    /// Its patient resource.
    pub patient: String,
    /// Slot start.
    pub start: InstantArg,
    /// Slot end.
    pub end: InstantArg,
    /// When the offer lapses.
    pub hold_expires: InstantArg,
}

/// A slot offered to a waiting patient, held for them until `hold_expires`.
#[napi(object, object_from_js = false)]
pub struct NativeOffer {
    /// The waitlist entry served.
    pub entry_id: String,
    /// Its patient resource.
    pub patient: String,
    /// Slot start, an ISO string in UTC.
    pub start: String,
    /// Slot end, an ISO string in UTC.
    pub end: String,
    /// When the offer lapses, an ISO string in UTC.
    pub hold_expires: String,
}

impl From<Offer> for NativeOffer {
    fn from(o: Offer) -> Self {
        let o = shapes::offer(o);
        Self {
            entry_id: o.entry_id,
            patient: o.patient,
            start: o.start,
            end: o.end,
            hold_expires: o.hold_expires,
        }
    }
}

/// Waiting patients, kept in serving order: by `created`, then by `id`.
#[napi]
#[derive(Default)]
pub struct NativeWaitlist(Waitlist);

#[napi]
impl NativeWaitlist {
    /// An empty waitlist.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Add an entry in its place in the serving order; a reused id is
    /// `invalid_request`.
    #[napi]
    pub fn add(&mut self, entry: NativeWaitEntryArgs) -> Result<()> {
        let window = js(Interval::new(
            instant(&entry.window_start, "window.start")?,
            instant(&entry.window_end, "window.end")?,
        )
        .map_err(|e| e.at("window")))?;
        let mut preferences = Preferences::new();
        if let Some(m) = entry.min_duration_minutes {
            preferences = preferences.min_duration(minutes(m, "preferences.minDurationMinutes")?);
        }
        let built = WaitEntry::builder(entry.id)
            .patient(entry.patient)
            .provider(entry.provider)
            .window(window)
            .preferences(preferences)
            .created(instant(&entry.created, "created")?)
            .build();
        js(self.0.add(js(built)?))
    }

    /// The entry with this id, or `null`.
    #[napi]
    pub fn get(&self, id: String) -> Option<NativeWaitEntry> {
        self.0.get(&id).map(NativeWaitEntry::from)
    }

    /// Remove and return the entry with this id (`null` if none).
    #[napi]
    pub fn remove(&mut self, id: String) -> Option<NativeWaitEntry> {
        self.0.remove(&id).as_ref().map(NativeWaitEntry::from)
    }

    /// The entries in serving order.
    #[napi]
    pub fn entries(&self) -> Vec<NativeWaitEntry> {
        self.0.entries().iter().map(NativeWaitEntry::from).collect()
    }

    /// Remove every entry whose window has ended by `now`; they are
    /// returned in serving order.
    #[napi]
    pub fn remove_expired(&mut self, now: InstantArg) -> Result<Vec<NativeWaitEntry>> {
        let now = instant(&now, "now")?;
        Ok(self
            .0
            .remove_expired(now)
            .iter()
            .map(NativeWaitEntry::from)
            .collect())
    }

    /// The offer of the slot `freed` leaves to the first entry in serving
    /// order that wants it and can have it at `now`, held `hold_minutes`;
    /// `null` when none qualifies or the slot has started.
    #[napi]
    pub fn offer(
        &self,
        freed: &NativeBooking,
        ledger: &NativeLedger,
        now: InstantArg,
        hold_minutes: f64,
    ) -> Result<Option<NativeOffer>> {
        let now = instant(&now, "now")?;
        let hold = minutes(hold_minutes, "holdMinutes")?;
        Ok(js(self.0.offer(&freed.0, &ledger.0, now, hold))?.map(NativeOffer::from))
    }
}

/// The `held` booking `id` that reserves `offer` for its patient with
/// `provider` until the offer lapses (`hcas_core::waitlist::make_hold`).
#[napi]
pub fn make_hold_booking(
    offer: NativeOfferArgs,
    provider: String,
    id: String,
) -> Result<NativeBooking> {
    let parsed = Offer::new(
        offer.entry_id,
        offer.patient,
        instant(&offer.start, "offer.start")?,
        instant(&offer.end, "offer.end")?,
        instant(&offer.hold_expires, "offer.holdExpires")?,
    );
    let hold = make_hold(&parsed, &provider, id);
    js(hold.validate())?;
    Ok(NativeBooking(hold))
}

/// The longest hold an offer may carry, in minutes (one week).
#[napi]
pub fn max_hold_minutes() -> i64 {
    MAX_HOLD_MINUTES.get()
}
