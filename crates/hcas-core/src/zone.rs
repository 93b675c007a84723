//! IANA time zones and the "compatible" resolution of local wall time.

use std::fmt;
use std::str::FromStr;

use chrono::{LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorCode, Result};
use crate::time::{DAY, Timestamp};

/// An IANA time zone (`America/New_York`), backed by `chrono-tz` (tzdb 2025b).
///
/// Local wall time becomes an instant only here, with the **compatible**
/// resolution of RFC 5545 §3.3.5 and JavaScript Temporal: a local time inside a
/// DST gap moves forward by the gap's length; a local time that happens twice
/// (DST fold) is the earlier instant.
///
/// ```
/// use hcas_core::Zone;
/// use chrono::NaiveDate;
/// let ny = Zone::parse("America/New_York").unwrap();
/// let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
/// // 02:30 does not exist on the spring-forward day: it becomes 03:30 EDT.
/// assert_eq!(ny.resolve(d.and_hms_opt(2, 30, 0).unwrap()).to_string(), "2026-03-08T07:30:00Z");
/// // 01:30 happens twice on the fall-back day: the earlier (EDT) wins.
/// let f = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
/// assert_eq!(ny.resolve(f.and_hms_opt(1, 30, 0).unwrap()).to_string(), "2026-11-01T05:30:00Z");
/// ```
///
/// With the `zone-registry` feature a zone can also be one whose data was
/// loaded at run time (`hcas_core::zone::register`): a build that leaves chrono-tz's tables
/// out still answers for it, identically (see `docs/zones.md`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Repr);

/// Where a zone's data lives.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Repr {
    /// Built into the binary by chrono-tz.
    Tz(Tz),
    /// Loaded at run time, leaked once per registration: no lock to read it.
    #[cfg(feature = "zone-registry")]
    Loaded(registry::Loaded),
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Tz(tz) => f.debug_tuple("Zone").field(&tz).finish(),
            #[cfg(feature = "zone-registry")]
            Repr::Loaded(z) => write!(f, "Zone(loaded {:?})", z.get().name()),
        }
    }
}

/// What is in force in a zone at an instant: the parts of its offset and
/// the abbreviation (`None` where tzdb writes a numeric one such as `+0545`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    /// The standard offset from UTC, in seconds.
    pub utc_offset: i32,
    /// The daylight saving part on top of it, in seconds (negative in a few zones).
    pub dst_offset: i32,
    /// `EST`, `CEST`, ... as tzdb spells it.
    pub abbreviation: Option<String>,
}

impl Zone {
    /// `UTC`: no offset, ever.
    pub const UTC: Self = Self(Repr::Tz(Tz::UTC));

    /// Look up an IANA zone name (case-sensitive, as IANA spells it): the
    /// zones built in first, then (feature `zone-registry`) the zones
    /// registered with `hcas_core::zone::register`.
    ///
    /// # Errors
    /// `invalid_timezone` for an unknown name.
    pub fn parse(name: &str) -> Result<Self> {
        if let Ok(tz) = Tz::from_str(name) {
            return Ok(Self(Repr::Tz(tz)));
        }
        #[cfg(feature = "zone-registry")]
        if let Some(z) = registry::registered(name) {
            return Ok(z);
        }
        #[cfg(not(feature = "zone-registry"))]
        let message =
            format!("`{name}` is not an IANA time zone name (like America/New_York or UTC)");
        // With loadable zones, a real name whose data was not registered is
        // refused the same way: say both possible fixes.
        #[cfg(feature = "zone-registry")]
        let message = format!(
            "`{name}` is not an IANA time zone name (like America/New_York or UTC), or its data is not loaded (zone::register)"
        );
        Err(Error::new(ErrorCode::InvalidTimezone, message))
    }

    /// The IANA name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self.0 {
            Repr::Tz(tz) => tz.name(),
            #[cfg(feature = "zone-registry")]
            Repr::Loaded(z) => z.get().name(),
        }
    }

    /// The UTC offset in force at `t`, in seconds east of UTC.
    #[must_use]
    pub fn offset_at(&self, t: Timestamp) -> i32 {
        match self.0 {
            Repr::Tz(tz) => tz
                .offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
            #[cfg(feature = "zone-registry")]
            Repr::Loaded(z) => z.get().offset_at(t.unix()),
        }
    }

    /// The offset's parts and the abbreviation in force at `t` (what a
    /// `VTIMEZONE` observance says).
    #[must_use]
    pub fn observance_at(&self, t: Timestamp) -> Observance {
        use chrono_tz::{OffsetComponents, OffsetName};
        match self.0 {
            Repr::Tz(tz) => {
                let o = tz.offset_from_utc_datetime(&t.naive_utc());
                // Offsets are under a day: they always fit.
                let secs =
                    |d: chrono::TimeDelta| i32::try_from(d.num_seconds()).unwrap_or_default();
                Observance {
                    utc_offset: secs(o.base_utc_offset()),
                    dst_offset: secs(o.dst_offset()),
                    abbreviation: o.abbreviation().map(str::to_owned),
                }
            }
            #[cfg(feature = "zone-registry")]
            Repr::Loaded(z) => z.get().observance_at(t.unix()),
        }
    }

    /// The local wall time at `t`.
    #[must_use]
    pub fn to_local(&self, t: Timestamp) -> NaiveDateTime {
        crate::time::naive_from_secs(t.unix() + i64::from(self.offset_at(t)))
    }

    /// The offsets (seconds east of UTC) a local wall time can have: one, two
    /// (a fold, earlier instant's first) or none (a gap), as chrono-tz finds them.
    fn local_offsets(&self, local: &NaiveDateTime) -> LocalResult<i32> {
        match self.0 {
            Repr::Tz(tz) => match tz.offset_from_local_datetime(local) {
                LocalResult::Single(o) => LocalResult::Single(o.fix().local_minus_utc()),
                LocalResult::Ambiguous(a, b) => {
                    LocalResult::Ambiguous(a.fix().local_minus_utc(), b.fix().local_minus_utc())
                }
                LocalResult::None => LocalResult::None,
            },
            #[cfg(feature = "zone-registry")]
            Repr::Loaded(z) => z.get().local_offsets(local.and_utc().timestamp()),
        }
    }

    /// Resolve a local wall time to an instant ("compatible": gap forward, fold earlier).
    ///
    /// A local time whose instant would fall outside the years 0001-9999 (only
    /// possible within a day of those ends) resolves to [`Timestamp::MIN`] or
    /// [`Timestamp::MAX`].
    #[must_use]
    pub fn resolve(&self, local: NaiveDateTime) -> Timestamp {
        let wall = local.and_utc().timestamp();
        match self.local_offsets(&local) {
            LocalResult::Single(o) => Timestamp::clamped(wall - i64::from(o)),
            LocalResult::Ambiguous(a, b) => {
                let ia = wall - i64::from(a);
                let ib = wall - i64::from(b);
                Timestamp::clamped(ia.min(ib))
            }
            LocalResult::None => {
                // In a gap: use the offset in force before the transition, which
                // moves the wall time forward by the gap's length.
                let before = self.offset_at(Timestamp::clamped(wall - DAY));
                Timestamp::clamped(wall - i64::from(before))
            }
        }
    }

    /// Resolve local midnight-relative seconds on `date` (0..=86 400, where
    /// 86 400 is the midnight that ends `date`).
    #[must_use]
    pub fn resolve_date_seconds(&self, date: NaiveDate, secs: u32) -> Timestamp {
        let base =
            date.and_time(chrono::NaiveTime::MIN) + chrono::TimeDelta::seconds(i64::from(secs));
        self.resolve(base)
    }

    /// The underlying `chrono-tz` zone.
    ///
    /// # Panics
    /// For a zone loaded at run time (feature `zone-registry`), which has
    /// none: use [`Zone::builtin`] where a zone may be loaded.
    #[must_use]
    #[allow(
        clippy::panic,
        reason = "infallible before loaded zones existed; no caller in the workspace passes one (ical uses observance_at), and a wrong Tz would be a silent wrong answer"
    )]
    pub const fn tz(&self) -> Tz {
        match self.builtin() {
            Some(tz) => tz,
            None => panic!(
                "Zone::tz: this zone was loaded at run time (hcas_core::zone::register) and has no chrono-tz Tz; use Zone::builtin"
            ),
        }
    }

    /// Whether this is `UTC` (built in, or loaded under that name), whose
    /// times are written with `Z` rather than a zone.
    #[must_use]
    pub fn is_utc(&self) -> bool {
        match self.0 {
            Repr::Tz(tz) => tz == Tz::UTC,
            #[cfg(feature = "zone-registry")]
            Repr::Loaded(z) => z.get().name() == "UTC",
        }
    }

    /// The underlying `chrono-tz` zone, `None` for a zone loaded at run time.
    #[must_use]
    pub const fn builtin(&self) -> Option<Tz> {
        match self.0 {
            Repr::Tz(tz) => Some(tz),
            #[cfg(feature = "zone-registry")]
            Repr::Loaded(_) => None,
        }
    }
}

#[cfg(feature = "zone-registry")]
mod registry;
#[cfg(feature = "zone-registry")]
pub use registry::{
    HCZ_MAGIC, HCZ_VERSION, Registry, ZoneDataCode, ZoneDataError, encode, register,
};

/// Offset changes of tzdb since 1970 are at least 6.96 days apart (tzdb 2025b),
/// so sampling every 6 days cannot step over two changes at once. Proven on the
/// embedded data by `tests::offset_changes_are_further_apart_than_the_sampling_step`
/// and on the release's TZif files by `tools/oracle/tzdb_min_gap.py`.
const CHUNK: i64 = 6 * DAY;
/// The table is built only inside 1970-01-01..2100-01-01; elsewhere resolution
/// falls back to the zone's own lookup.
const TABLE_MIN: i64 = 0;
const TABLE_MAX: i64 = 4_102_444_800;

/// The offsets of one zone over a bounded UTC range, found once, so that many
/// local times in that range resolve by arithmetic instead of a tzdb search
/// each. Answers exactly as [`Zone::resolve`] does.
///
/// ```
/// use hcas_core::{Timestamp, Zone, ZoneSpans};
/// let ny = Zone::parse("America/New_York").unwrap();
/// let spans = ZoneSpans::new(ny, "2026-03-01T00:00:00Z".parse().unwrap(), "2026-04-01T00:00:00Z".parse().unwrap());
/// let local = hcas_core::time::parse_local_datetime("2026-03-08T02:30").unwrap();
/// assert_eq!(spans.resolve(local), ny.resolve(local));
/// ```
#[derive(Debug, Clone)]
pub struct ZoneSpans {
    zone: Zone,
    hi: i64,
    /// `(first UTC second, offset)` of each span, ascending; empty: no table.
    spans: Vec<(i64, i32)>,
}

impl ZoneSpans {
    /// Find the offsets of `zone` over `[lo, hi]`.
    #[must_use]
    pub fn new(zone: Zone, lo: Timestamp, hi: Timestamp) -> Self {
        let (lo, hi) = (lo.unix(), hi.unix());
        let mut spans = Vec::new();
        if lo >= TABLE_MIN && hi <= TABLE_MAX && lo < hi {
            let off = |t: i64| zone.offset_at(Timestamp::from_unix_unchecked(t));
            spans.push((lo, off(lo)));
            let mut t = lo;
            while t < hi {
                let t2 = (t + CHUNK).min(hi);
                let o = spans.last().map_or(0, |s| s.1);
                let o2 = off(t2);
                if o2 == o {
                    t = t2;
                    continue;
                }
                // The first second in (t, t2] whose offset is not `o`. Offsets
                // change on a quarter hour almost everywhere: find the quarter
                // first, then the second (one lookup confirms a boundary).
                const Q: i64 = 900;
                let (mut a, mut b) = (t, t2);
                let (lo, hi) = (a.div_euclid(Q) + 1, b.div_euclid(Q));
                if lo <= hi {
                    if off(hi * Q) == o {
                        a = hi * Q;
                    } else {
                        let (mut l, mut r) = (lo, hi);
                        while l < r {
                            let m = l + (r - l) / 2;
                            if off(m * Q) == o { l = m + 1 } else { r = m }
                        }
                        b = l * Q;
                        if l > lo {
                            a = (l - 1) * Q;
                        }
                    }
                }
                if !(b % Q == 0 && b - 1 > a && off(b - 1) == o) {
                    while b - a > 1 {
                        let m = a + (b - a) / 2;
                        if off(m) == o { a = m } else { b = m }
                    }
                }
                spans.push((b, off(b)));
                t = b;
            }
        }
        Self { zone, hi, spans }
    }

    /// The zone.
    #[must_use]
    pub const fn zone(&self) -> Zone {
        self.zone
    }

    /// Resolve local wall time (as seconds since 1970-01-01T00:00 local), compatible rule.
    #[must_use]
    pub fn resolve_seconds(&self, local: i64) -> Timestamp {
        let first = self
            .spans
            .partition_point(|s| s.0 <= local - NEAR)
            .saturating_sub(1);
        self.resolve_from(local, first)
    }

    /// As [`ZoneSpans::resolve_seconds`] for local times asked in ascending
    /// order: `cursor` (0 before the first) keeps the place between calls.
    fn resolve_ascending(&self, local: i64, cursor: &mut usize) -> Timestamp {
        while self
            .spans
            .get(*cursor + 1)
            .is_some_and(|s| s.0 <= local - NEAR)
        {
            *cursor += 1;
        }
        self.resolve_from(local, *cursor)
    }

    /// Resolve `local` looking only at the spans from `first` (at or before the
    /// last span starting by `local - NEAR`) that start by `local + NEAR`: no
    /// other span can hold its instant (`local` minus an offset under a day)
    /// or a change it falls into (a gap).
    fn resolve_from(&self, local: i64, first: usize) -> Timestamp {
        let spans = &self.spans;
        let mut best: Option<i64> = None;
        let mut i = first;
        while i < spans.len() && spans[i].0 <= local + NEAR {
            let (start, off) = spans[i];
            let end = spans.get(i + 1).map_or(self.hi, |s| s.0);
            let u = local - i64::from(off);
            if start <= u && u < end {
                best = Some(best.map_or(u, |b: i64| b.min(u)));
            }
            i += 1;
        }
        if let Some(u) = best {
            return Timestamp::clamped(u);
        }
        for j in first.max(1)..i {
            let ((_, before), (t, after)) = (spans[j - 1], spans[j]);
            if local - i64::from(before) >= t && local - i64::from(after) < t {
                return Timestamp::clamped(local - i64::from(before));
            }
        }
        self.zone.resolve(crate::time::naive_from_secs(local))
    }

    /// Resolve a local wall time, compatible rule.
    #[must_use]
    pub fn resolve(&self, local: NaiveDateTime) -> Timestamp {
        self.resolve_seconds(local.and_utc().timestamp())
    }
}

/// More than any UTC offset (tzdb's are under a day) plus any gap.
const NEAR: i64 = 2 * DAY;

/// Resolves ascending local wall times over a UTC range the way
/// [`Zone::resolve`] does, choosing the cheaper way as it goes: a tzdb lookup
/// each while they come far apart (a monthly rule over ten years: 120
/// lookups), a [`ZoneSpans`] table of the rest of the range once they come
/// closer together than the table's sampling step (a table costs a lookup
/// per 6 days of range: 600 for ten years). Both answer alike.
#[derive(Debug, Clone)]
pub(crate) struct Resolver {
    zone: Zone,
    hi: Timestamp,
    /// The first local time asked, and how many were looked up since.
    first: Option<i64>,
    looked_up: i64,
    table: Option<ZoneSpans>,
    /// The table's span of the last local time asked.
    cursor: usize,
}

impl Resolver {
    /// Lookups before a table can be chosen (a short query never needs one).
    const MIN_LOOKUPS: i64 = 8;

    /// For local times whose instants lie up to `hi` (with margin).
    pub(crate) const fn new(zone: Zone, hi: Timestamp) -> Self {
        Self {
            zone,
            hi,
            first: None,
            looked_up: 0,
            table: None,
            cursor: 0,
        }
    }

    /// Resolve local seconds, compatible rule; `local` never below the last one asked.
    pub(crate) fn resolve_seconds(&mut self, local: i64) -> Timestamp {
        if let Some(table) = &self.table {
            return table.resolve_ascending(local, &mut self.cursor);
        }
        let first = *self.first.get_or_insert(local);
        self.looked_up += 1;
        if self.looked_up >= Self::MIN_LOOKUPS && self.looked_up * CHUNK > local - first {
            let table = ZoneSpans::new(self.zone, Timestamp::clamped(local - 2 * NEAR), self.hi);
            let t = table.resolve_ascending(local, &mut self.cursor);
            self.table = Some(table);
            return t;
        }
        self.zone.resolve(crate::time::naive_from_secs(local))
    }
}

/// Any `chrono-tz` zone is a [`Zone`] (the same tzdb release, so no lookup
/// can fail).
///
/// ```
/// use hcas_core::Zone;
/// use hcas_core::chrono_tz::{Europe::Paris, Tz};
/// let z = Zone::from(Paris);
/// assert_eq!(z, Zone::parse("Europe/Paris").unwrap());
/// assert_eq!(Tz::from(z), Paris);
/// ```
impl From<Tz> for Zone {
    fn from(tz: Tz) -> Self {
        Self(Repr::Tz(tz))
    }
}

/// The `chrono-tz` zone behind a [`Zone`], as [`Zone::tz`] (which panics for
/// a zone loaded at run time: see [`Zone::builtin`]).
impl From<Zone> for Tz {
    fn from(z: Zone) -> Self {
        z.tz()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Zone {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The property behind [`CHUNK`], on the data the engine embeds: in every
    /// zone chrono-tz knows, consecutive offset changes inside the table's range
    /// (1970-2099) are more than `CHUNK` apart, so a 6-day sample cannot step
    /// over two changes that cancel out.
    ///
    /// chrono-tz keeps its transition list private, so changes are found by
    /// sampling every `PROBE` seconds and bisecting to the second; an offset
    /// that lasted less than `PROBE` would be missed, which is why
    /// `tools/oracle/run tzdb-gap` (the same tzdb release's TZif transition
    /// lists) stays as the exact check of that corner.
    /// The pins agree: chrono-tz `=0.10.4` embeds 2025b, which is what the
    /// docs, `tools/oracle/requirements.txt` (tzdata 2025.2) and the vectors
    /// were checked against. A chrono-tz upgrade fails here until they follow.
    #[test]
    fn embedded_tzdb_is_the_documented_release() {
        assert_eq!(crate::TZDB_VERSION, "2025b");
        assert_eq!(crate::TZDB_VERSION, chrono_tz::IANA_TZDB_VERSION);
    }

    #[test]
    fn offset_changes_are_further_apart_than_the_sampling_step() {
        const PROBE: i64 = 6 * 3600;
        let mut zones = 0;
        let mut closest = (i64::MAX, "", 0);
        let mut bad = Vec::new();
        for tz in chrono_tz::TZ_VARIANTS {
            let zone = Zone::from(tz);
            let off = |t: i64| zone.offset_at(Timestamp::from_unix_unchecked(t));
            let mut last_change: Option<i64> = None;
            let (mut t, mut o) = (TABLE_MIN, off(TABLE_MIN));
            while t < TABLE_MAX {
                let t2 = (t + PROBE).min(TABLE_MAX);
                let o2 = off(t2);
                if o2 != o {
                    let (mut a, mut b) = (t, t2);
                    while b - a > 1 {
                        let m = a + (b - a) / 2;
                        if off(m) == o { a = m } else { b = m }
                    }
                    if let Some(prev) = last_change {
                        if b - prev < closest.0 {
                            closest = (b - prev, tz.name(), prev);
                        }
                        if b - prev <= CHUNK {
                            bad.push((tz.name(), prev, b));
                        }
                    }
                    last_change = Some(b);
                }
                (t, o) = (t2, o2);
            }
            zones += 1;
        }
        assert!(zones > 500, "only {zones} zones");
        assert!(bad.is_empty(), "offset changes within {CHUNK} s: {bad:?}");
        // The closest pair is known (tzdb 2025b: 6.96 days); a new tzdb whose
        // closest pair moves is worth a look even when it still passes.
        assert!(closest.0 > CHUNK, "{closest:?}");
    }

    fn local(s: &str) -> NaiveDateTime {
        crate::time::parse_local_datetime(s).unwrap()
    }

    /// Boundary table to the second, worked out from the tzdb rules by hand.
    #[test]
    fn gaps_and_folds_in_odd_zones() {
        let cases = [
            // New York spring forward 02:00 EST -> 03:00 EDT.
            (
                "America/New_York",
                "2026-03-08T01:59:59",
                "2026-03-08T06:59:59Z",
            ),
            (
                "America/New_York",
                "2026-03-08T02:00",
                "2026-03-08T07:00:00Z",
            ),
            (
                "America/New_York",
                "2026-03-08T03:00",
                "2026-03-08T07:00:00Z",
            ),
            // Fold: 01:00-02:00 twice; earlier is EDT (-4).
            (
                "America/New_York",
                "2026-11-01T01:00",
                "2026-11-01T05:00:00Z",
            ),
            (
                "America/New_York",
                "2026-11-01T02:00",
                "2026-11-01T07:00:00Z",
            ),
            // Lord Howe: 30-minute shift, 02:00 +10:30 -> 02:30 +11 on 2026-10-04.
            (
                "Australia/Lord_Howe",
                "2026-10-04T02:15",
                "2026-10-03T15:45:00Z",
            ),
            // Lord Howe fold on 2026-04-05: 01:30-02:00 twice, earlier is +11.
            (
                "Australia/Lord_Howe",
                "2026-04-05T01:45",
                "2026-04-04T14:45:00Z",
            ),
            // Kathmandu +05:45 all year.
            ("Asia/Kathmandu", "2026-06-01T09:00", "2026-06-01T03:15:00Z"),
            // St Johns -02:30 in summer.
            (
                "America/St_Johns",
                "2026-07-01T09:00",
                "2026-07-01T11:30:00Z",
            ),
            // Santiago: 2026-09-06 00:00 -> 01:00 (midnight gap).
            (
                "America/Santiago",
                "2026-09-06T00:30",
                "2026-09-06T04:30:00Z",
            ),
            // Dublin: negative DST in tzdb, still +01 in summer.
            ("Europe/Dublin", "2026-07-01T09:00", "2026-07-01T08:00:00Z"),
            ("Europe/Dublin", "2026-03-29T01:30", "2026-03-29T01:30:00Z"),
        ];
        for (tz, l, want) in cases {
            let z = Zone::parse(tz).unwrap();
            assert_eq!(z.resolve(local(l)).to_string(), want, "{tz} {l}");
        }
    }

    #[test]
    fn span_table_agrees_with_direct_resolution() {
        for tz in [
            "America/New_York",
            "Australia/Lord_Howe",
            "America/Santiago",
            "Africa/Casablanca",
            "Europe/Dublin",
            "Asia/Gaza",
        ] {
            let z = Zone::parse(tz).unwrap();
            let (lo, hi) = (
                Timestamp::parse("2025-12-20T00:00:00Z").unwrap(),
                Timestamp::parse("2027-01-10T00:00:00Z").unwrap(),
            );
            let spans = ZoneSpans::new(z, lo, hi);
            // Every 7 minutes of local time across the year, gaps and folds included.
            let mut l = lo.unix() + 2 * DAY;
            while l < hi.unix() - 2 * DAY {
                let local = Timestamp::from_unix(l).unwrap().naive_utc();
                assert_eq!(spans.resolve(local), z.resolve(local), "{tz} {local}");
                l += 7 * 60;
            }
        }
    }

    #[test]
    fn resolver_agrees_with_direct_resolution_sparse_or_dense() {
        // A local time every 29 days (lookups), then every 97 minutes (a
        // table from the first close ones on), through gaps and folds.
        for tz in ["America/New_York", "Australia/Lord_Howe", "Europe/Dublin"] {
            let z = Zone::parse(tz).unwrap();
            let hi = Timestamp::parse("2036-01-10T00:00:00Z").unwrap();
            let mut r = Resolver::new(z, hi);
            let mut l = Timestamp::parse("2026-01-01T00:00:00Z").unwrap().unix();
            let mut step = 29 * DAY;
            while l < hi.unix() - 2 * DAY {
                let local = Timestamp::from_unix(l).unwrap().naive_utc();
                assert_eq!(r.resolve_seconds(l), z.resolve(local), "{tz} {local}");
                if l > Timestamp::parse("2031-01-01T00:00:00Z").unwrap().unix() {
                    step = 97 * 60;
                }
                l += step;
            }
            assert!(r.table.is_some(), "{tz}: the dense part chose a table");
        }
    }

    #[test]
    fn zones_convert_to_and_from_chrono_tz() {
        assert_eq!(Zone::UTC, Zone::parse("UTC").unwrap());
        assert_eq!(Zone::UTC.offset_at(Timestamp::EPOCH), 0);
        for tz in [Tz::Asia__Kathmandu, Tz::America__St_Johns, Tz::UTC] {
            let z = Zone::from(tz);
            assert_eq!(z.name(), tz.name());
            assert_eq!(Tz::from(z), tz);
            assert_eq!(z.tz(), tz);
        }
    }

    #[test]
    fn unknown_zone_is_an_error() {
        assert_eq!(
            Zone::parse("Mars/Base").unwrap_err().code(),
            ErrorCode::InvalidTimezone
        );
        assert!(Zone::parse("").is_err());
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
    }

    #[test]
    fn to_local_round_trips_outside_gaps() {
        let z = Zone::parse("Pacific/Chatham").unwrap();
        let l = local("2026-01-15T10:00");
        assert_eq!(z.to_local(z.resolve(l)), l);
    }
}
