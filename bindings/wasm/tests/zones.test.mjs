// Zone data loaded at run time (docs/wasm.md "Zones on demand"): the package's
// modules embed no zone but UTC; the Node entries register every zone of the
// shipped zones.bin at import, a page calls loadZone. Expected values worked
// out by hand from the tz rules (comments), not copied from output.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { test } from 'node:test'

import * as h from '@hcas/engine-wasm'
import * as s from '@hcas/engine-wasm/slots'

const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('@hcas/engine-wasm/package.json'))
const zoneFile = (name) => new Uint8Array(readFileSync(join(pkgDir, 'zones', `${name}.hcz`)))

/** A fresh instance of a module of the package, with nothing registered (what a page starts with). */
function freshModule(dir) {
  const path = join(pkgDir, dir, 'node', 'hcas_wasm.js')
  const cached = require.cache[path]
  delete require.cache[path]
  try {
    return require(path)
  } finally {
    if (cached !== undefined) require.cache[path] = cached
  }
}

// 09:00 Paris on 2026-03-28 is CET (UTC+1): 08:00Z; summer time starts at
// 01:00Z on Sunday 2026-03-29 (the last Sunday of March), so 09:00 on the
// 29th and 30th is CEST (UTC+2): 07:00Z.
const PARIS = {
  rrule: 'FREQ=DAILY;COUNT=3',
  dtstart: '2026-03-28T09:00',
  timezone: 'Europe/Paris',
  from: '2026-03-01T00:00:00Z',
  to: '2026-04-01T00:00:00Z',
}
const PARIS_WANT = ['2026-03-28T08:00:00Z', '2026-03-29T07:00:00Z', '2026-03-30T07:00:00Z']

test('the Node entries know every zone at import (zones.bin), with no call', () => {
  // Tokyo has no summer time: UTC+9 all year.
  assert.equal(new h.Zone('Asia/Tokyo').offsetAt('2026-07-01T00:00:00Z'), 9 * 3600)
  assert.equal(new s.Zone('Asia/Tokyo').offsetAt('2026-01-01T00:00:00Z'), 9 * 3600)
  // New York in July is EDT (UTC-4), in January EST (UTC-5).
  assert.equal(new h.Zone('America/New_York').offsetAt('2026-07-01T00:00:00Z'), -4 * 3600)
  assert.equal(new s.Zone('America/New_York').offsetAt('2026-01-15T00:00:00Z'), -5 * 3600)
  assert.deepEqual(new h.Recurrence(PARIS.rrule, PARIS.dtstart, PARIS.timezone).between(PARIS.from, PARIS.to), PARIS_WANT)
  assert.deepEqual(new s.Recurrence(PARIS.rrule, PARIS.dtstart, PARIS.timezone).between(PARIS.from, PARIS.to), PARIS_WANT)
  // zones.bin holds every file of zones/ (597 in tzdb 2025b: the modules know them all).
  const bin = readFileSync(join(pkgDir, 'zones.bin'))
  let count = 0
  for (let at = 0; at < bin.length; at += 4 + bin.readUInt32LE(at)) count += 1
  assert.ok(count > 500, `zones.bin holds ${count} zones`)
})

test('an unknown name is still invalid_timezone', async () => {
  assert.throws(() => new h.Zone('Mars/Base'), (e) => e instanceof h.InvalidTimezoneError && e.code === 'invalid_timezone')
  await assert.rejects(h.loadZone('Mars/Base'), (e) => e instanceof h.InvalidTimezoneError && e.code === 'invalid_timezone')
  await assert.rejects(s.loadZone('../../etc/passwd'), (e) => e instanceof s.InvalidTimezoneError)
  await assert.rejects(h.loadZones('Europe/Paris'), (e) => e instanceof h.InvalidRequestError)
})

test('loadZone and loadZones answer the names of zones already known', async () => {
  assert.equal(await h.loadZone('Europe/Paris'), 'Europe/Paris')
  assert.deepEqual(await s.loadZones(['UTC', 'Asia/Kolkata']), ['UTC', 'Asia/Kolkata'])
})

test('registerZone: the name of good data, the stable reason of bad data', () => {
  // Registering the data of a zone already registered (same bytes) is fine.
  assert.equal(h.registerZone(zoneFile('America/New_York')), 'America/New_York')
  assert.equal(s.registerZone(zoneFile('Europe/London')), 'Europe/London')
  const bad = (bytes, reason) =>
    assert.throws(
      () => h.registerZone(bytes),
      (e) => e instanceof h.InvalidTimezoneError && e.code === 'invalid_timezone' && e.reason === reason && e.message.includes(reason),
    )
  bad(new TextEncoder().encode('not a zone'), 'bad_magic')
  // A real file cut short.
  bad(zoneFile('Europe/Paris').subarray(0, 20), 'truncated')
  // A real file with a byte after its end.
  const longer = new Uint8Array([...zoneFile('Asia/Tokyo'), 0])
  bad(longer, 'trailing_bytes')
  // A file of another format version (byte 4 is the version, 1).
  const v2 = zoneFile('Asia/Tokyo')
  v2[4] = 2
  bad(v2, 'unsupported_version')
})

test('registerZone refuses what is not a Uint8Array', () => {
  assert.throws(() => h.registerZone('America/New_York'), (e) => e instanceof h.InvalidRequestError && e.code === 'invalid_request')
  assert.throws(() => s.registerZone([1, 2, 3]), (e) => e instanceof s.InvalidRequestError)
})

test('a fresh module (a page before loadZone): an unloaded zone is invalid_timezone saying to load it; once registered, the same answers', () => {
  for (const dir of ['.', 'slots']) {
    const w = freshModule(dir)
    let err
    try {
      new w.NativeZone('Europe/Paris')
    } catch (e) {
      err = e
    }
    assert.equal(err?.code, 'invalid_timezone', dir)
    assert.match(err.message, /`Europe\/Paris` is not an IANA time zone name .*or its data is not loaded .*loadZone/)
    assert.throws(() => w.evaluateJson('recurrence', JSON.stringify(PARIS)), (e) => e.code === 'invalid_timezone')
    // UTC is built in.
    assert.equal(new w.NativeZone('UTC').name, 'UTC')
    assert.equal(w.registerZone(zoneFile('Europe/Paris')), 'Europe/Paris')
    const out = JSON.parse(w.evaluateJson('recurrence', JSON.stringify(PARIS)))
    assert.deepEqual(out, h.evaluate('recurrence', PARIS), dir)
    assert.ok(PARIS_WANT.every((t) => JSON.stringify(out).includes(t)), JSON.stringify(out))
    // New York in July is EDT (UTC-4).
    assert.equal(w.registerZone(zoneFile('America/New_York')), 'America/New_York')
    assert.equal(new w.NativeZone('America/New_York').offsetAt('2026-07-01T00:00:00Z'), -4 * 3600)
  }
})

test('with the native addon (HCAS_NODE_SCRATCH), a loaded zone answers as the built-in one', { skip: !process.env.HCAS_NODE_SCRATCH }, () => {
  const native = createRequire(join(process.env.HCAS_NODE_SCRATCH, 'package.json'))('@hcas/engine')
  const w = freshModule('slots')
  // Every zone file the package ships, registered into a fresh module and
  // compared with the addon's built-in chrono-tz zone: wall times every 97
  // hours (every hour of the day in turn) over 1990-2035.
  const bin = readFileSync(join(pkgDir, 'zones.bin'))
  let zones = 0
  for (let at = 0; at < bin.length; at += 4 + bin.readUInt32LE(at)) {
    const name = w.registerZone(new Uint8Array(bin.subarray(at + 4, at + 4 + bin.readUInt32LE(at))))
    const input = { rrule: 'FREQ=HOURLY;INTERVAL=97;COUNT=4100', dtstart: '1990-01-01T00:30', timezone: name, from: '1989-01-01T00:00:00Z', to: '2036-01-01T00:00:00Z' }
    assert.deepEqual(JSON.parse(w.evaluateJson('recurrence', JSON.stringify(input))), native.evaluate('recurrence', input), name)
    zones += 1
  }
  assert.ok(zones > 500, `${zones} zones`)
})
