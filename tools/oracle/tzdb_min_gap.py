#!/usr/bin/env python3
"""Check the tzdb property that hcas-core's ZoneSpans relies on.

ZoneSpans (crates/hcas-core/src/zone.rs) finds a zone's offset changes over a
range by sampling every 6 days and bisecting where the offset differs. That is
exact only if no two offset changes since 1970 are 6 days apart or closer (two
changes inside one sample step could cancel out). This script reads every TZif
file of the pinned `tzdata` package (tzdb 2025b, the database chrono-tz 0.10.4
embeds) and fails if any zone breaks the property.

Prints the closest pairs and ends with `N passed, N failed`.
"""
import datetime as dt
import pathlib
import struct
import sys

import tzdata

SAMPLE_DAYS = 6  # must match CHUNK in crates/hcas-core/src/zone.rs


def offset_changes(data):
    """UTC seconds of every real offset change in a TZif v2+ file's 64-bit block."""
    def counts(off):
        return struct.unpack(">6l", data[off + 20:off + 44])
    isutc, isstd, leap, timecnt, typecnt, charcnt = counts(0)
    off = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isutc
    isutc, isstd, leap, timecnt, typecnt, charcnt = counts(off)
    base = off + 44
    times = struct.unpack(">%dq" % timecnt, data[base:base + timecnt * 8])
    idx = data[base + timecnt * 8:base + timecnt * 9]
    tbase = base + timecnt * 9
    offsets = [struct.unpack(">l", data[tbase + i * 6:tbase + i * 6 + 4])[0] for i in range(typecnt)]
    out, prev = [], None
    for t, i in zip(times, idx):
        if offsets[i] != prev:
            if prev is not None:
                out.append(t)
            prev = offsets[i]
    return out


def main():
    root = pathlib.Path(tzdata.__file__).parent / "zoneinfo"
    pairs, zones = [], 0
    for path in sorted(root.rglob("*")):
        data = path.read_bytes() if path.is_file() else b""
        if data[:4] != b"TZif":
            continue
        zones += 1
        changes = [t for t in offset_changes(data) if t >= 0]
        pairs += [(b - a, str(path.relative_to(root)), a) for a, b in zip(changes, changes[1:])]
    pairs.sort()
    for gap, name, at in pairs[:3]:
        print("closest: %.3f days in %s from %s" % (gap / 86400, name, dt.datetime.fromtimestamp(at, dt.timezone.utc)))
    bad = [p for p in pairs if p[0] <= SAMPLE_DAYS * 86400]
    for gap, name, at in bad:
        print("FAIL %s: changes %.3f days apart from %s" % (name, gap / 86400, at))
    print("tzdb %s, %d zones: offset changes since 1970 more than %d days apart"
          % (tzdata.IANA_VERSION, zones, SAMPLE_DAYS))
    print("%d passed, %d failed" % (0 if bad else 1, 1 if bad else 0))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
