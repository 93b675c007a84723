//! Time-zone data loaded at run time (feature `zone-registry`).
//!
//! [`encode`] writes one chrono-tz zone in a compact binary form (`.hcz`),
//! [`register`] (or a separate [`Registry`]) reads it back after checking
//! every field, and the [`Zone`] it returns answers exactly as the built-in
//! chrono-tz zone does: proven for every zone by `tests/zone_registry.rs`.
//!
//! # Format, version 1 (all integers little-endian)
//!
//! | field | bytes | meaning |
//! |---|---|---|
//! | magic | 4 | `HCZ\0` |
//! | version | 1 | `1` |
//! | tzdb | 1 + n | length, then the tzdb release (`2025b`): must be the one this build embeds |
//! | name | 1 + n | length (1-255), then the IANA name (`A-Za-z0-9 _ + - /`) |
//! | types | 1 + ... | count (1-255), then per type: utc offset (signed LEB128 seconds), dst offset (signed LEB128 seconds), abbreviation (length, 0 = none, then `A-Za-z0-9 + -`) |
//! | transitions | LEB128 + ... | count, then per transition: time, type index (1 byte) |
//!
//! Type 0 is in force before the first transition. A transition's time is
//! the UTC second it takes effect: the first as signed LEB128 seconds, each
//! later one as the step from the one before, unsigned LEB128 `minutes << 1`
//! when the step is whole minutes, else `seconds << 1 | 1` (a step of zero is
//! `unsorted`; one of 6 days or less is `transitions_too_close`: tzdb's
//! closest are 6.9 days apart, and `ZoneSpans` samples every 6 days). A
//! transition must change the type in force; nothing may follow the last one.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use chrono::{LocalResult, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::{Observance, Repr, Zone};
use crate::error::{Error, ErrorCode};
use crate::time::{DAY, Timestamp};

/// The first four bytes of every file.
pub const HCZ_MAGIC: [u8; 4] = *b"HCZ\0";
/// The format version [`encode`] writes and [`register`] reads.
pub const HCZ_VERSION: u8 = 1;

/// Why zone data was refused: a stable, machine-readable reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZoneDataCode {
    /// The data does not start with `HCZ\0`: not a zone file.
    BadMagic,
    /// A format version this build cannot read.
    UnsupportedVersion,
    /// Written from another tzdb release than the one this build embeds.
    TzdbMismatch,
    /// The data ends inside a field.
    Truncated,
    /// Bytes after the last transition.
    TrailingBytes,
    /// A zone name that is empty or has a character IANA names never use.
    BadName,
    /// An abbreviation with a character tzdb never uses.
    BadAbbreviation,
    /// No offset types, or a transition naming a type that is not there.
    BadType,
    /// An offset of a day or more, or one that does not fit the field.
    OffsetOutOfRange,
    /// A transition not after the one before it.
    Unsorted,
    /// Two transitions 6 days apart or closer (tzdb's closest are 6.9 days
    /// apart; the engine's span tables sample every 6 days).
    TransitionsTooClose,
    /// A transition outside the years 0001-9999.
    TimeOutOfRange,
    /// A transition to the type already in force.
    RedundantTransition,
    /// The name is registered already, with other data.
    AlreadyRegistered,
}

impl ZoneDataCode {
    /// The stable string form, e.g. `"bad_magic"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadMagic => "bad_magic",
            Self::UnsupportedVersion => "unsupported_version",
            Self::TzdbMismatch => "tzdb_mismatch",
            Self::Truncated => "truncated",
            Self::TrailingBytes => "trailing_bytes",
            Self::BadName => "bad_name",
            Self::BadAbbreviation => "bad_abbreviation",
            Self::BadType => "bad_type",
            Self::OffsetOutOfRange => "offset_out_of_range",
            Self::Unsorted => "unsorted",
            Self::TransitionsTooClose => "transitions_too_close",
            Self::TimeOutOfRange => "time_out_of_range",
            Self::RedundantTransition => "redundant_transition",
            Self::AlreadyRegistered => "already_registered",
        }
    }
}

impl fmt::Display for ZoneDataCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Zone data refused by [`register`]: a [`ZoneDataCode`] and a message that
/// says where. Into [`Error`] it becomes `invalid_timezone` with the code
/// at the start of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zone data {code}: {message}")]
pub struct ZoneDataError {
    code: ZoneDataCode,
    message: String,
}

impl ZoneDataError {
    fn new(code: ZoneDataCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The stable reason.
    #[must_use]
    pub const fn code(&self) -> ZoneDataCode {
        self.code
    }

    /// What was wrong, and where (free text).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<ZoneDataError> for Error {
    fn from(e: ZoneDataError) -> Self {
        Self::new(ErrorCode::InvalidTimezone, e.to_string())
    }
}

/// One offset type of a loaded zone.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OffsetType {
    utc: i32,
    dst: i32,
    abbreviation: Option<Box<str>>,
}

impl OffsetType {
    const fn total(&self) -> i32 {
        self.utc + self.dst
    }
}

/// A zone's data as [`register`] keeps it (leaked: it lives as long as the
/// process, so a [`Zone`] can point at it without a lock).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct LoadedZone {
    name: Box<str>,
    types: Box<[OffsetType]>,
    /// UTC seconds of each transition, ascending.
    times: Box<[i64]>,
    /// The type each transition changes to.
    kinds: Box<[u8]>,
}

/// A registered zone, compared and hashed by identity (one per registration).
#[derive(Clone, Copy)]
pub(super) struct Loaded(&'static LoadedZone);

impl Loaded {
    pub(super) const fn get(self) -> &'static LoadedZone {
        self.0
    }
}

impl PartialEq for Loaded {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Loaded {}

impl Hash for Loaded {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state);
    }
}

impl LoadedZone {
    pub(super) fn name(&'static self) -> &'static str {
        &self.name
    }

    /// The span (0 before the first transition) in force at UTC second `t`:
    /// a binary search, no allocation.
    fn span_at(&self, t: i64) -> usize {
        self.times.partition_point(|&x| x <= t)
    }

    fn span_type(&self, span: usize) -> &OffsetType {
        let k = if span == 0 { 0 } else { self.kinds[span - 1] };
        &self.types[usize::from(k)]
    }

    pub(super) fn offset_at(&self, t: i64) -> i32 {
        self.span_type(self.span_at(t)).total()
    }

    pub(super) fn observance_at(&self, t: i64) -> Observance {
        let o = self.span_type(self.span_at(t));
        Observance {
            utc_offset: o.utc,
            dst_offset: o.dst,
            abbreviation: o.abbreviation.as_deref().map(str::to_owned),
        }
    }

    /// Local span `i` as chrono-tz computes it: `[begin, end)` in local
    /// seconds, each end shifted by span `i`'s own offset.
    fn local_span(&self, i: usize) -> (Option<i64>, Option<i64>) {
        let off = i64::from(self.span_type(i).total());
        let begin = (i > 0).then(|| self.times[i - 1] + off);
        let end = self.times.get(i).map(|&t| t + off);
        (begin, end)
    }

    fn local_contains(&self, i: usize, x: i64) -> bool {
        match self.local_span(i) {
            (Some(a), Some(b)) => a <= x && x < b,
            (Some(a), None) => a <= x,
            (None, Some(b)) => b > x,
            (None, None) => true,
        }
    }

    fn local_cmp(&self, i: usize, x: i64) -> std::cmp::Ordering {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self.local_span(i) {
            (Some(a), Some(b)) if a <= x && x < b => Equal,
            (Some(a), Some(b)) if a <= x && b <= x => Less,
            (Some(_), Some(_)) => Greater,
            (Some(a), None) if a <= x => Equal,
            (Some(_), None) => Greater,
            (None, Some(b)) if b <= x => Less,
            (None, Some(_) | None) => Equal,
        }
    }

    /// The offsets local second `wall` can have, found the way chrono-tz
    /// 0.10.4's `offset_from_local_datetime` finds them (the same binary
    /// search over the same local spans, the same neighbour checks), so that
    /// every answer, odd corners included, is the same.
    pub(super) fn local_offsets(&self, wall: i64) -> LocalResult<i32> {
        let len = self.times.len() + 1;
        let total = |i: usize| self.span_type(i).total();
        let (mut start, mut end) = (0, len);
        let index = loop {
            let mid = start + (end - start) / 2;
            if mid == end {
                break None;
            }
            match self.local_cmp(mid, wall) {
                std::cmp::Ordering::Less => start = mid + 1,
                std::cmp::Ordering::Greater => end = mid,
                std::cmp::Ordering::Equal => break Some(mid),
            }
        };
        match index {
            None => LocalResult::None,
            Some(0) if len == 1 => LocalResult::Single(total(0)),
            Some(0) if self.local_contains(1, wall) => LocalResult::Ambiguous(total(0), total(1)),
            Some(0) => LocalResult::Single(total(0)),
            Some(i) if self.local_contains(i - 1, wall) => {
                LocalResult::Ambiguous(total(i - 1), total(i))
            }
            Some(i) if i == len - 1 => LocalResult::Single(total(i)),
            Some(i) if self.local_contains(i + 1, wall) => {
                LocalResult::Ambiguous(total(i), total(i + 1))
            }
            Some(i) => LocalResult::Single(total(i)),
        }
    }
}

/// Where [`encode`] looks for changes, in UTC seconds: 1800-01-01 to
/// 2101-01-01. chrono-tz 0.10.4 (tzdb 2025b) has no change outside it: its
/// first is 1844-12-31 (Pacific/Kosrae, the end of local mean time), its
/// last 2099-11-01 (its generator writes rule changes through 2099, then the
/// last offset holds for ever). `tests/zone_registry.rs` checks both ends
/// against chrono-tz (offsets at 0001-01-01 and 9999-12-31 are the ones at
/// the scan's edges) for every zone.
const SCAN_FROM: i64 = -5_364_662_400;
const SCAN_TO: i64 = 4_133_980_800;
/// Sampling step. A change is found when two samples differ, so a step
/// misses only an offset that lasts less than a step (or two changes that
/// cancel inside one). chrono-tz 0.10.4's closest changes are 6.9 days apart
/// (America/Cambridge_Bay, 2000: `597 600` s between two), and none lasts
/// under a day; one day leaves a margin of almost seven. The equivalence
/// test samples every 7 hours (1900-2040) on top of checking each change.
const STEP: i64 = DAY;

/// The chrono-tz observance at UTC second `t` (`t` inside the scan range).
fn tz_at(tz: Tz, t: i64) -> chrono_tz::TzOffset {
    let naive = crate::time::naive_from_secs(t);
    tz.offset_from_utc_datetime(&naive)
}

/// Encode chrono-tz's data for `tz` in the `.hcz` format (module docs).
///
/// chrono-tz keeps its transition table private, so the changes are found
/// through its public calls: a sample every day from 1800-01-01 to 2101-01-01 (UTC),
/// and a bisection to the second wherever the (utc offset, dst offset,
/// abbreviation) triple differs between two samples.
///
/// ```
/// use hcas_core::chrono_tz::Europe::Paris;
/// let bytes = hcas_core::zone::encode(Paris);
/// let paris = hcas_core::zone::Registry::new().register(&bytes).unwrap();
/// let t = "2026-07-01T12:00:00Z".parse().unwrap();
/// assert_eq!(paris.offset_at(t), 7200);
/// assert_eq!(paris.name(), "Europe/Paris");
/// ```
#[must_use]
#[allow(
    clippy::expect_used,
    reason = "bounds of tzdb itself (at most 11 offset types a zone, names and abbreviations under 40 bytes), checked for every zone by tests/zone_registry.rs"
)]
pub fn encode(tz: Tz) -> Vec<u8> {
    let mut types: Vec<chrono_tz::TzOffset> = Vec::new();
    let mut type_of = |o: chrono_tz::TzOffset| -> u8 {
        let i = types.iter().position(|t| *t == o).unwrap_or_else(|| {
            types.push(o);
            types.len() - 1
        });
        u8::try_from(i).expect("tzdb zones have far fewer than 256 offset types")
    };
    let first = tz_at(tz, SCAN_FROM);
    type_of(first);
    let mut changes: Vec<(i64, u8)> = Vec::new();
    let (mut t, mut o) = (SCAN_FROM, first);
    while t < SCAN_TO {
        let t2 = (t + STEP).min(SCAN_TO);
        let o2 = tz_at(tz, t2);
        if o2 != o {
            // The first second in (t, t2] whose observance is not `o`.
            let (mut a, mut b) = (t, t2);
            while b - a > 1 {
                let m = a + (b - a) / 2;
                if tz_at(tz, m) == o { a = m } else { b = m }
            }
            changes.push((b, type_of(tz_at(tz, b))));
        }
        (t, o) = (t2, o2);
    }

    let mut out = Vec::with_capacity(64 + changes.len() * 4);
    out.extend_from_slice(&HCZ_MAGIC);
    out.push(HCZ_VERSION);
    put_str(&mut out, crate::TZDB_VERSION);
    put_str(&mut out, tz.name());
    out.push(u8::try_from(types.len()).expect("under 256 types"));
    for o in &types {
        put_sleb(&mut out, o.base_utc_offset().num_seconds());
        put_sleb(&mut out, o.dst_offset().num_seconds());
        put_str(&mut out, o.abbreviation().unwrap_or(""));
    }
    put_uleb(&mut out, changes.len() as u64);
    let mut prev: Option<i64> = None;
    for (at, kind) in changes {
        match prev {
            None => put_sleb(&mut out, at),
            Some(p) => {
                let step = (at - p).unsigned_abs();
                put_uleb(
                    &mut out,
                    if step % 60 == 0 {
                        (step / 60) << 1
                    } else {
                        (step << 1) | 1
                    },
                );
            }
        }
        out.push(kind);
        prev = Some(at);
    }
    out
}

#[allow(clippy::expect_used, reason = "as in encode")]
fn put_str(out: &mut Vec<u8>, s: &str) {
    out.push(u8::try_from(s.len()).expect("names and abbreviations are under 256 bytes"));
    out.extend_from_slice(s.as_bytes());
}

fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_sleb(out: &mut Vec<u8>, v: i64) {
    // Zigzag: small magnitudes of either sign take few bytes.
    put_uleb(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// `"{0} {1}{2}"`, e.g. "transition 7's time", formatted only when needed.
#[derive(Clone, Copy)]
struct Nth(&'static str, usize, &'static str);

impl fmt::Display for Nth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}{}", self.0, self.1, self.2)
    }
}

/// A reader over the bytes that turns every short read into `truncated`.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn err(&self, code: ZoneDataCode, what: &str) -> ZoneDataError {
        ZoneDataError::new(code, format!("{what} (at byte {})", self.at))
    }

    // `what` is only formatted when the data is refused: a zone's hundreds
    // of transitions are read without building a message for each.
    fn u8(&mut self, what: impl fmt::Display) -> Result<u8, ZoneDataError> {
        let b = *self.bytes.get(self.at).ok_or_else(|| {
            self.err(
                ZoneDataCode::Truncated,
                &format!("the data ends before {what}"),
            )
        })?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], ZoneDataError> {
        if self.bytes.len() - self.at < n {
            return Err(self.err(
                ZoneDataCode::Truncated,
                &format!("the data ends inside {what}"),
            ));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn uleb(&mut self, what: impl fmt::Display) -> Result<u64, ZoneDataError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8(&what)?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(self.err(
                    ZoneDataCode::OffsetOutOfRange,
                    &format!("{what} does not fit 64 bits"),
                ));
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err(
            ZoneDataCode::OffsetOutOfRange,
            &format!("{what} does not fit 64 bits"),
        ))
    }

    fn sleb(&mut self, what: impl fmt::Display) -> Result<i64, ZoneDataError> {
        let v = self.uleb(what)?;
        #[allow(clippy::cast_possible_wrap)]
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// A length-prefixed ASCII string whose bytes all pass `ok`.
    fn text(
        &mut self,
        what: &str,
        code: ZoneDataCode,
        ok: fn(u8) -> bool,
    ) -> Result<&str, ZoneDataError> {
        let n = usize::from(self.u8(what)?);
        let at = self.at;
        let bytes = self.take(n, what)?;
        if let Some(i) = bytes.iter().position(|&b| !ok(b)) {
            return Err(ZoneDataError::new(
                code,
                format!("{what} has byte 0x{:02x} (at byte {})", bytes[i], at + i),
            ));
        }
        // Every accepted byte is ASCII.
        Ok(std::str::from_utf8(bytes).unwrap_or_default())
    }
}

const fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'/')
}

const fn abbreviation_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-')
}

/// Check every field of `.hcz` data and build the zone it describes.
fn decode(bytes: &[u8]) -> Result<LoadedZone, ZoneDataError> {
    use ZoneDataCode as C;
    let mut r = Reader { bytes, at: 0 };
    if r.take(4, "the magic").ok() != Some(&HCZ_MAGIC[..]) {
        return Err(ZoneDataError::new(
            C::BadMagic,
            "the data does not start with `HCZ\\0`: not an hcas zone file (.hcz)",
        ));
    }
    let version = r.u8("the version")?;
    if version != HCZ_VERSION {
        return Err(ZoneDataError::new(
            C::UnsupportedVersion,
            format!(
                "format version {version}, this build reads version {HCZ_VERSION}: regenerate the file"
            ),
        ));
    }
    let tzdb = r.text("the tzdb release", C::TzdbMismatch, |b| {
        b.is_ascii_alphanumeric()
    })?;
    if tzdb != crate::TZDB_VERSION {
        return Err(ZoneDataError::new(
            C::TzdbMismatch,
            format!(
                "written from tzdb {tzdb}, this build embeds {}: regenerate the file with this build's generator",
                crate::TZDB_VERSION
            ),
        ));
    }
    let name = r.text("the zone name", C::BadName, name_byte)?.to_owned();
    if name.is_empty() || name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err(ZoneDataError::new(
            C::BadName,
            format!("`{name}` is not an IANA zone name"),
        ));
    }
    let ntypes = usize::from(r.u8("the type count")?);
    if ntypes == 0 {
        return Err(r.err(C::BadType, "no offset types"));
    }
    let mut types = Vec::with_capacity(ntypes);
    for i in 0..ntypes {
        let mut offset = |what: &str| -> Result<i32, ZoneDataError> {
            let v = r.sleb(what)?;
            i32::try_from(v)
                .ok()
                .filter(|v| v.abs() < 86_400)
                .ok_or_else(|| {
                    r.err(
                        C::OffsetOutOfRange,
                        &format!("{what} {v} s is not under a day"),
                    )
                })
        };
        let utc = offset(&format!("type {i}'s utc offset"))?;
        let dst = offset(&format!("type {i}'s dst offset"))?;
        if (utc + dst).abs() >= 86_400 {
            return Err(r.err(
                C::OffsetOutOfRange,
                &format!("type {i}'s total offset {} s is not under a day", utc + dst),
            ));
        }
        let abbreviation = r.text(
            &format!("type {i}'s abbreviation"),
            C::BadAbbreviation,
            abbreviation_byte,
        )?;
        let abbreviation = (!abbreviation.is_empty()).then(|| abbreviation.into());
        types.push(OffsetType {
            utc,
            dst,
            abbreviation,
        });
    }
    let count = r.uleb("the transition count")?;
    // Each transition takes at least two bytes: a count beyond that is a lie
    // (checked before anything is allocated for it).
    if count > ((bytes.len() - r.at) / 2) as u64 {
        return Err(r.err(
            C::Truncated,
            &format!("{count} transitions cannot fit the bytes left"),
        ));
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let (mut times, mut kinds) = (Vec::with_capacity(count), Vec::with_capacity(count));
    let (mut prev, mut kind_before): (Option<i64>, u8) = (None, 0);
    for i in 0..count {
        let what = Nth("transition", i, "'s time");
        let at = match prev {
            None => r.sleb(what)?,
            Some(p) => {
                let v = r.uleb(what)?;
                let step = if v & 1 == 0 {
                    (v >> 1).checked_mul(60)
                } else {
                    Some(v >> 1)
                };
                if step == Some(0) {
                    return Err(r.err(
                        C::Unsorted,
                        &format!("{what} is not after transition {}'s", i - 1),
                    ));
                }
                if let Some(s) = step.filter(|&s| s <= super::CHUNK.unsigned_abs()) {
                    return Err(r.err(
                        C::TransitionsTooClose,
                        &format!(
                            "{what} is {s} s after transition {}'s; the engine needs more than {} s (tzdb's closest: 597 600 s)",
                            i - 1,
                            super::CHUNK
                        ),
                    ));
                }
                step.and_then(|s| i64::try_from(s).ok())
                    .and_then(|s| p.checked_add(s))
                    .ok_or_else(|| {
                        r.err(C::TimeOutOfRange, &format!("{what} is past the year 9999"))
                    })?
            }
        };
        if !(Timestamp::MIN.unix()..=Timestamp::MAX.unix()).contains(&at) {
            return Err(r.err(
                C::TimeOutOfRange,
                &format!("{what} {at} is outside the years 0001-9999"),
            ));
        }
        let kind = r.u8(Nth("transition", i, "'s type"))?;
        if usize::from(kind) >= ntypes {
            return Err(r.err(
                C::BadType,
                &format!("transition {i} names type {kind}, there are {ntypes}"),
            ));
        }
        if kind == kind_before {
            return Err(r.err(
                C::RedundantTransition,
                &format!("transition {i} changes to type {kind}, already in force"),
            ));
        }
        times.push(at);
        kinds.push(kind);
        (prev, kind_before) = (Some(at), kind);
    }
    if r.at != bytes.len() {
        return Err(r.err(
            C::TrailingBytes,
            &format!("{} bytes after the last transition", bytes.len() - r.at),
        ));
    }
    Ok(LoadedZone {
        name: name.into(),
        types: types.into(),
        times: times.into(),
        kinds: kinds.into(),
    })
}

/// A set of zones loaded at run time, by name.
///
/// The process-wide one is behind [`register`] and [`Zone::parse`]; a
/// separate one (`Registry::new()`) keeps its zones to itself, which is how
/// the equivalence test loads zones under the names chrono-tz already has.
/// Zones live as long as the process, also after their registry is dropped
/// (a [`Zone`] is `Copy` and may be anywhere): register each name once.
#[derive(Debug, Default)]
pub struct Registry {
    zones: RwLock<BTreeMap<&'static str, Loaded>>,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.name)
    }
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            zones: RwLock::new(BTreeMap::new()),
        }
    }

    /// Check `.hcz` data and add its zone. The same data twice gives the
    /// same zone back.
    ///
    /// # Errors
    /// A [`ZoneDataError`] naming what is wrong with the data, or
    /// `already_registered` for a name registered with other data.
    pub fn register(&self, bytes: &[u8]) -> Result<Zone, ZoneDataError> {
        let zone = decode(bytes)?;
        let mut zones = self
            .zones
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(old) = zones.get(&*zone.name) {
            if *old.0 == zone {
                return Ok(Zone(Repr::Loaded(*old)));
            }
            return Err(ZoneDataError::new(
                ZoneDataCode::AlreadyRegistered,
                format!("`{}` is registered already, with other data", zone.name),
            ));
        }
        let leaked: &'static LoadedZone = Box::leak(Box::new(zone));
        zones.insert(&leaked.name, Loaded(leaked));
        Ok(Zone(Repr::Loaded(Loaded(leaked))))
    }

    /// The zone registered under `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Zone> {
        let zones = self
            .zones
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        zones.get(name).map(|z| Zone(Repr::Loaded(*z)))
    }

    /// The names registered, in order.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        let zones = self
            .zones
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        zones.keys().copied().collect()
    }
}

static GLOBAL: Registry = Registry::new();

/// Check `.hcz` data and make its zone known to [`Zone::parse`] (and so to
/// serde and every request that names it) for the rest of the process.
///
/// A name this build has built in (chrono-tz) gives the built-in zone once
/// the data has passed every check: [`Zone::parse`] finds that first, and
/// the answers are the same (same tzdb release, checked).
///
/// # Errors
/// As [`Registry::register`].
pub fn register(bytes: &[u8]) -> Result<Zone, ZoneDataError> {
    let zone = decode(bytes)?;
    if let Ok(tz) = zone.name.parse::<Tz>() {
        return Ok(Zone::from(tz));
    }
    GLOBAL.register(bytes)
}

/// The zone registered process-wide under `name`.
pub(super) fn registered(name: &str) -> Option<Zone> {
    GLOBAL.get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_at_the_edges() {
        for v in [0, 1, -1, 63, -64, 64, 86_399, -86_399, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            put_sleb(&mut out, v);
            let mut r = Reader { bytes: &out, at: 0 };
            assert_eq!(r.sleb("v").unwrap(), v);
            assert_eq!(r.at, out.len());
        }
        // Ten bytes whose last carries more than bit 63: refused, not wrapped.
        let mut r = Reader {
            bytes: &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            at: 0,
        };
        assert_eq!(
            r.uleb("v").unwrap_err().code(),
            ZoneDataCode::OffsetOutOfRange
        );
    }

    #[test]
    fn loaded_offsets_and_local_offsets_follow_the_table() {
        // A made-up zone: +1 h, then +2 h (dst) from t = 1000, back at 5000.
        let z = LoadedZone {
            name: "Test/Zone".into(),
            types: vec![
                OffsetType {
                    utc: 3600,
                    dst: 0,
                    abbreviation: Some("A".into()),
                },
                OffsetType {
                    utc: 3600,
                    dst: 3600,
                    abbreviation: None,
                },
            ]
            .into(),
            times: vec![1000, 5000].into(),
            kinds: vec![1, 0].into(),
        };
        assert_eq!(z.offset_at(999), 3600);
        assert_eq!(z.offset_at(1000), 7200);
        assert_eq!(z.offset_at(4999), 7200);
        assert_eq!(z.offset_at(5000), 3600);
        // Local 4600 (UTC 1000 + 3600) is the gap's first second; local
        // 8200 is in the fold (UTC 1000 + 7200 .. 5000 + 3600 twice).
        assert_eq!(z.local_offsets(4599), LocalResult::Single(3600));
        assert_eq!(z.local_offsets(4600), LocalResult::None);
        assert_eq!(z.local_offsets(8199), LocalResult::None);
        assert_eq!(z.local_offsets(8200), LocalResult::Single(7200));
        assert_eq!(z.local_offsets(8600), LocalResult::Ambiguous(7200, 3600));
        assert_eq!(z.local_offsets(12_199), LocalResult::Ambiguous(7200, 3600));
        assert_eq!(z.local_offsets(12_200), LocalResult::Single(3600));
    }
}
