//! Zones loaded at run time (feature `zone-registry`) answer exactly as the
//! built-in chrono-tz zones do: the proof, for every zone chrono-tz knows.
//!
//! Each zone is encoded, loaded under its own name into a separate
//! [`Registry`] (so chrono-tz's zone and the loaded one coexist), and both are
//! asked the same questions: offsets at every transition and a second either
//! side, every 7 hours from 1900 to 2040, and at random instants over the
//! whole range a `Timestamp` holds; local times through every gap and fold;
//! the `VTIMEZONE` text. `a_corrupted_transition_is_caught` shows the
//! comparison fails when one transition is off by a minute.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hcas_core::chrono::NaiveDateTime;
use hcas_core::chrono_tz::{TZ_VARIANTS, Tz};
use hcas_core::ical::{Calendar, Event};
use hcas_core::zone::{Registry, ZoneDataCode, register};
use hcas_core::{Interval, Timestamp, Zone, ZoneSpans};

/// A fixed-seed xorshift: the same "random" instants on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix(secs).unwrap()
}

fn naive(secs: i64) -> NaiveDateTime {
    at(secs).naive_utc()
}

/// Where one transition sits in `.hcz` bytes, read by this file's own
/// reader of the format as `docs/zones.md` describes it (not the crate's).
#[derive(Debug, Clone, Copy)]
struct Change {
    at: i64,
    kind: u8,
    /// Byte range of its time field, and the byte of its type.
    time_bytes: (usize, usize),
    kind_byte: usize,
}

fn uleb(b: &[u8], i: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let x = b[*i];
        *i += 1;
        v |= u64::from(x & 0x7f) << shift;
        if x & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

fn sleb(b: &[u8], i: &mut usize) -> i64 {
    let v = uleb(b, i);
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// The name's length byte offset and the transitions of `.hcz` bytes.
fn read_changes(b: &[u8]) -> (usize, Vec<Change>) {
    assert_eq!(&b[..5], b"HCZ\0\x01");
    let mut i = 5;
    i += 1 + usize::from(b[i]); // tzdb
    let name_at = i;
    i += 1 + usize::from(b[i]); // name
    let ntypes = b[i];
    i += 1;
    for _ in 0..ntypes {
        sleb(b, &mut i);
        sleb(b, &mut i);
        i += 1 + usize::from(b[i]);
    }
    let n = uleb(b, &mut i);
    let mut out: Vec<Change> = Vec::new();
    for _ in 0..n {
        let start = i;
        let t = match out.last() {
            None => sleb(b, &mut i),
            Some(p) => {
                let v = uleb(b, &mut i);
                let step = if v & 1 == 0 { (v >> 1) * 60 } else { v >> 1 };
                p.at + step as i64
            }
        };
        out.push(Change {
            at: t,
            kind: b[i],
            time_bytes: (start, i),
            kind_byte: i,
        });
        i += 1;
    }
    assert_eq!(i, b.len());
    (name_at, out)
}

/// The `VTIMEZONE` and events of a calendar in `zone` spanning 1950-2037.
fn ics(zone: Zone) -> String {
    let slot = Interval::new(ts("1950-06-01T09:00:00Z"), ts("1950-06-01T10:00:00Z")).unwrap();
    Calendar::new(zone)
        .event(Event::new("z", slot, "Visit", ts("2026-01-01T00:00:00Z")))
        .cover_until(ts("2037-12-31T00:00:00Z"))
        .to_ics()
}

/// Compare `loaded` with chrono-tz's `tz`; the first difference, if any.
fn compare(tz: Tz, loaded: Zone, changes: &[Change], rng: &mut Rng) -> Result<(), String> {
    let builtin = Zone::from(tz);
    let name = tz.name();
    macro_rules! same {
        ($what:expr, $a:expr, $b:expr) => {{
            let (a, b) = ($a, $b);
            if a != b {
                return Err(format!("{name}: {}: loaded {a:?}, chrono-tz {b:?}", $what));
            }
        }};
    }
    same!("name", loaded.name(), name);
    same!("Display", loaded.to_string(), builtin.to_string());
    same!(
        "serde",
        serde_json::to_string(&loaded).unwrap(),
        serde_json::to_string(&builtin).unwrap()
    );
    let instant = |t: Timestamp| {
        (
            loaded.offset_at(t),
            loaded.observance_at(t),
            loaded.to_local(t),
        )
    };
    let instant_b = |t: Timestamp| {
        (
            builtin.offset_at(t),
            builtin.observance_at(t),
            builtin.to_local(t),
        )
    };
    let local = |l: NaiveDateTime| {
        same!(
            format!("resolve({l})"),
            loaded.resolve(l),
            builtin.resolve(l)
        );
        let (d, s) = (l.date(), l.time().num_seconds_from_midnight());
        same!(
            format!("resolve_date_seconds({d}, {s})"),
            loaded.resolve_date_seconds(d, s),
            builtin.resolve_date_seconds(d, s)
        );
        Ok(())
    };
    use hcas_core::chrono::Timelike;

    // The ends of what a Timestamp holds: nothing changes beyond the scan.
    for t in [Timestamp::MIN, Timestamp::MAX] {
        same!(format!("at {t}"), instant(t), instant_b(t));
    }
    // Every transition: a real change, to the second.
    for c in changes {
        for d in -1..=1 {
            let t = at(c.at + d);
            same!(format!("at {t}"), instant(t), instant_b(t));
        }
        if builtin.observance_at(at(c.at - 1)) == builtin.observance_at(at(c.at)) {
            return Err(format!("{name}: no change at {}", at(c.at)));
        }
        // Every local time the change touches: from a second before the
        // earlier wall reading to a second after the later, each end, a
        // second inside each end, and every 15 minutes between (a gap or
        // fold is at most a day).
        let before = i64::from(builtin.offset_at(at(c.at - 1)));
        let after = i64::from(builtin.offset_at(at(c.at)));
        let (lo, hi) = (c.at + before.min(after), c.at + before.max(after));
        for w in [lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, (lo + hi) / 2] {
            local(naive(w))?;
        }
        let mut w = lo;
        while w < hi {
            local(naive(w))?;
            w += 900;
        }
    }
    // Every 7 hours 1900-2040 (offsets, and local times every 10th).
    let (mut t, end) = (
        ts("1900-01-01T00:00:00Z").unix(),
        ts("2040-01-01T00:00:00Z").unix(),
    );
    let mut n = 0;
    while t < end {
        same!(
            format!("offset at {}", at(t)),
            loaded.offset_at(at(t)),
            builtin.offset_at(at(t))
        );
        if n % 10 == 0 {
            local(naive(t))?;
        }
        t += 7 * 3600;
        n += 1;
    }
    // Random instants over 0001-9999 and over the table's 1800-2101.
    let (min, max) = (Timestamp::MIN.unix(), Timestamp::MAX.unix());
    let (tmin, tmax) = (
        ts("1800-01-01T00:00:00Z").unix(),
        ts("2101-01-01T00:00:00Z").unix(),
    );
    for i in 0..400 {
        let t = if i % 2 == 0 {
            min + rng.below((max - min) as u64) as i64
        } else {
            tmin + rng.below((tmax - tmin) as u64) as i64
        };
        same!(format!("at {}", at(t)), instant(at(t)), instant_b(at(t)));
        local(naive(t))?;
    }
    same!("VTIMEZONE", ics(loaded), ics(builtin));
    Ok(())
}

/// The proof, over a share of the zones (the four tests share them out so
/// the runner can use more than one core).
fn every_zone(part: usize) {
    let registry = Registry::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ part as u64);
    let mut failures = Vec::new();
    let mut zones = 0;
    for tz in TZ_VARIANTS.iter().skip(part).step_by(4) {
        let bytes = hcas_core::zone::encode(*tz);
        let loaded = registry.register(&bytes).unwrap();
        assert_eq!(registry.get(tz.name()), Some(loaded));
        assert_ne!(
            loaded,
            Zone::from(*tz),
            "a loaded zone is not the built-in one"
        );
        let (_, changes) = read_changes(&bytes);
        if let Err(e) = compare(*tz, loaded, &changes, &mut rng) {
            failures.push(e);
        }
        zones += 1;
    }
    assert!(zones >= TZ_VARIANTS.len() / 4, "only {zones} zones");
    assert!(
        failures.is_empty(),
        "{} zones differ: {failures:#?}",
        failures.len()
    );
}

#[test]
fn every_zone_answers_as_chrono_tz_part_0() {
    every_zone(0);
}

#[test]
fn every_zone_answers_as_chrono_tz_part_1() {
    every_zone(1);
}

#[test]
fn every_zone_answers_as_chrono_tz_part_2() {
    every_zone(2);
}

#[test]
fn every_zone_answers_as_chrono_tz_part_3() {
    every_zone(3);
}

/// The comparison is not blind: move one transition of New York a minute
/// later (the next one keeps its place), or give one another type, and it
/// reports the zone.
#[test]
fn a_corrupted_transition_is_caught() {
    let tz = hcas_core::chrono_tz::America::New_York;
    let good = hcas_core::zone::encode(tz);
    let (_, changes) = read_changes(&good);
    // The spring-forward of 1990 (04-01 07:00Z), a two-byte or longer
    // step whose low byte can take +2 (one minute) without a carry.
    let k = changes
        .iter()
        .position(|c| c.at == ts("1990-04-01T07:00:00Z").unix())
        .unwrap();
    let (s, _) = changes[k].time_bytes;
    let (s2, _) = changes[k + 1].time_bytes;
    assert!(
        good[s] & 0x7f < 0x7e && good[s2] & 0x7f >= 2,
        "pick another transition"
    );
    let mut moved = good.clone();
    moved[s] += 2;
    moved[s2] -= 2;
    let (_, mc) = read_changes(&moved);
    assert_eq!(mc[k].at, changes[k].at + 60);
    assert_eq!(mc[k + 1].at, changes[k + 1].at);

    let mut retyped = good.clone();
    // Give the 1990 spring-forward EWT (war time, the same -4 h as EDT but
    // another name) instead of EDT.
    let ewt = changes
        .iter()
        .find(|c| c.at == ts("1942-02-09T07:00:00Z").unix())
        .unwrap()
        .kind;
    assert_ne!(ewt, changes[k].kind);
    retyped[changes[k].kind_byte] = ewt;

    for (what, bytes) in [("moved", moved), ("retyped", retyped)] {
        let loaded = Registry::new().register(&bytes).unwrap();
        let (_, c) = read_changes(&bytes);
        let err = compare(tz, loaded, &c, &mut Rng(1)).unwrap_err();
        assert!(
            err.contains("America/New_York") && err.contains("1990-04-01"),
            "{what}: {err}"
        );
    }
    // And the good bytes pass the same comparison.
    let loaded = Registry::new().register(&good).unwrap();
    compare(tz, loaded, &changes, &mut Rng(1)).unwrap();
}

/// A zone registered process-wide under a name chrono-tz does not have is
/// found by `Zone::parse`, `FromStr` and serde, and works in a slot table.
#[test]
fn a_registered_zone_is_found_by_name() {
    let tz = hcas_core::chrono_tz::Australia::Lord_Howe;
    let good = hcas_core::zone::encode(tz);
    let (name_at, _) = read_changes(&good);
    let name = "Test/Lord_Howe_Copy";
    let mut bytes = good[..name_at].to_vec();
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(&good[name_at + 1 + good[name_at] as usize..]);

    // Before it is registered: invalid_timezone, saying it may only be unloaded.
    let err = Zone::parse(name).unwrap_err();
    assert_eq!(err.code(), hcas_core::ErrorCode::InvalidTimezone);
    assert!(
        err.message()
            .ends_with("or its data is not loaded (zone::register)"),
        "{}",
        err.message()
    );
    let z = register(&bytes).unwrap();
    assert_eq!(Zone::parse(name).unwrap(), z);
    assert_eq!(name.parse::<Zone>().unwrap(), z);
    assert_eq!(
        serde_json::from_str::<Zone>(&format!("\"{name}\"")).unwrap(),
        z
    );
    assert_eq!(z.to_string(), name);
    assert_eq!(format!("{z:?}"), format!("Zone(loaded {name:?})"));
    assert_eq!(z.builtin(), None);
    // The same data again: the same zone; other data under the name: refused.
    assert_eq!(register(&bytes).unwrap(), z);
    let mut other = bytes.clone();
    let lmt = other.windows(3).position(|w| w == b"LMT").unwrap();
    other[lmt + 2] = b'X';
    assert!(Registry::new().register(&other).is_ok(), "still valid data");
    assert_eq!(
        register(&other).unwrap_err().code(),
        ZoneDataCode::AlreadyRegistered
    );

    // A built-in name registers as the built-in zone.
    assert_eq!(register(&good).unwrap(), Zone::from(tz));

    // Lord Howe's half-hour shifts through a ZoneSpans table, as resolve.
    let (lo, hi) = (ts("2025-12-20T00:00:00Z"), ts("2027-01-10T00:00:00Z"));
    let spans = ZoneSpans::new(z, lo, hi);
    let mut l = lo.unix() + 2 * 86_400;
    while l < hi.unix() - 2 * 86_400 {
        let local = naive(l);
        assert_eq!(
            spans.resolve(local),
            Zone::from(tz).resolve(local),
            "{local}"
        );
        l += 7 * 60;
    }
}

/// `Zone::tz` has nothing to give for a loaded zone: it says so.
#[test]
#[should_panic(expected = "loaded at run time")]
fn tz_of_a_loaded_zone_panics_with_a_clear_message() {
    let z = Registry::new()
        .register(&hcas_core::zone::encode(
            hcas_core::chrono_tz::Europe::Paris,
        ))
        .unwrap();
    let _ = z.tz();
}

fn code(bytes: &[u8]) -> ZoneDataCode {
    Registry::new().register(bytes).unwrap_err().code()
}

#[test]
fn bad_data_is_refused_with_its_reason() {
    let good = hcas_core::zone::encode(hcas_core::chrono_tz::America::New_York);
    let (name_at, changes) = read_changes(&good);
    let edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    assert_eq!(code(&edit(&|b| b[0] = b'X')), ZoneDataCode::BadMagic);
    assert_eq!(code(b""), ZoneDataCode::BadMagic);
    assert_eq!(code(&edit(&|b| b[4] = 2)), ZoneDataCode::UnsupportedVersion);
    // "2025b" -> "2025a": another tzdb release.
    assert_eq!(code(&edit(&|b| b[10] = b'a')), ZoneDataCode::TzdbMismatch);
    assert_eq!(
        code(&edit(&|b| b[name_at + 1] = b'.')),
        ZoneDataCode::BadName
    );
    assert_eq!(
        code(&edit(&|b| b[name_at + 1] = b'/')),
        ZoneDataCode::BadName
    );
    let types_at = name_at + 1 + usize::from(good[name_at]);
    assert_eq!(code(&edit(&|b| b[types_at] = 0)), ZoneDataCode::BadType);
    // Type 0 is LMT (-4:56:02): its utc offset's first LEB128 byte set to
    // the largest two-byte-or-more value keeps the length but not the range.
    let mut big = good[..types_at + 1].to_vec();
    big.extend_from_slice(&[0xff, 0xff, 0x7f]); // zigzag 2^21 - 1: -1 048 576 s
    let mut i = types_at + 1;
    sleb(&good, &mut i);
    big.extend_from_slice(&good[i..]);
    assert_eq!(code(&big), ZoneDataCode::OffsetOutOfRange);
    // "LMT" -> "L.T".
    let abbr = good.windows(3).position(|w| w == b"LMT").unwrap();
    assert_eq!(
        code(&edit(&|b| b[abbr + 1] = b'.')),
        ZoneDataCode::BadAbbreviation
    );
    // A transition naming type 200.
    assert_eq!(
        code(&edit(&|b| b[changes[3].kind_byte] = 200)),
        ZoneDataCode::BadType
    );
    // A transition to the type in force already.
    assert_eq!(
        code(&edit(&|b| b[changes[3].kind_byte] = changes[2].kind)),
        ZoneDataCode::RedundantTransition
    );
    // A step of zero: two transitions at the same second.
    let (s, e) = changes[5].time_bytes;
    let mut zero = good[..s].to_vec();
    zero.push(0);
    zero.extend_from_slice(&good[e..]);
    assert_eq!(code(&zero), ZoneDataCode::Unsorted);
    // Steps of one minute and of exactly 6 days (both whole minutes, so
    // `minutes << 1`): closer than tzdb ever is.
    for minutes in [1u64, 6 * 24 * 60] {
        let mut close = good[..s].to_vec();
        let mut v = minutes << 1;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                close.push(b);
                break;
            }
            close.push(b | 0x80);
        }
        close.extend_from_slice(&good[e..]);
        assert_eq!(code(&close), ZoneDataCode::TransitionsTooClose, "{minutes}");
    }
    // The first transition moved before the year 0001.
    let (s, e) = changes[0].time_bytes;
    let mut early = good[..s].to_vec();
    early.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x07]); // zigzag: about -1.8e13 s
    early.extend_from_slice(&good[e..]);
    assert_eq!(code(&early), ZoneDataCode::TimeOutOfRange);
    assert_eq!(code(&edit(&|b| b.push(0))), ZoneDataCode::TrailingBytes);
    assert!(Registry::new().register(&good).is_ok());
    // Into the engine's error: invalid_timezone, the reason in the message.
    let e: hcas_core::Error = Registry::new().register(b"nope").unwrap_err().into();
    assert_eq!(e.code(), hcas_core::ErrorCode::InvalidTimezone);
    assert!(e.message().contains("bad_magic"), "{e}");
}

/// Every prefix of real data is refused as truncated (never a panic, never
/// a zone).
#[test]
fn every_truncation_is_refused() {
    for tz in [
        hcas_core::chrono_tz::America::New_York,
        hcas_core::chrono_tz::Australia::Lord_Howe,
        hcas_core::chrono_tz::UTC,
    ] {
        let bytes = hcas_core::zone::encode(tz);
        for n in 0..bytes.len() {
            let c = code(&bytes[..n]);
            let want = if n < 4 {
                ZoneDataCode::BadMagic
            } else {
                ZoneDataCode::Truncated
            };
            assert_eq!(c, want, "{} cut at {n}", tz.name());
        }
    }
}

/// Random bytes, and real data with random bytes changed, never panic; what
/// is accepted answers without panicking either.
#[test]
fn random_and_mutated_data_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let good = hcas_core::zone::encode(hcas_core::chrono_tz::Europe::Dublin);
    let mut accepted = 0;
    for i in 0..20_000 {
        let bytes: Vec<u8> = if i % 2 == 0 {
            let n = rng.below(64) as usize;
            let mut b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            if i % 4 == 0 && b.len() >= 5 {
                b[..5].copy_from_slice(b"HCZ\0\x01");
            }
            b
        } else {
            let mut b = good.clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(b.len() as u64) as usize;
                b[at] = rng.next() as u8;
            }
            b
        };
        if let Ok(z) = Registry::new().register(&bytes) {
            accepted += 1;
            for t in [
                Timestamp::MIN,
                Timestamp::EPOCH,
                ts("2026-03-29T01:30:00Z"),
                Timestamp::MAX,
            ] {
                let _ = z.offset_at(t);
                let _ = z.observance_at(t);
                let _ = z.resolve(t.naive_utc());
            }
            if accepted % 50 == 1 {
                let _ = ics(z);
            }
        }
    }
    // Mutations that keep the data valid exist (an abbreviation letter, an
    // offset's value): some must have been accepted, or the test is blind.
    assert!(accepted > 0);
}
