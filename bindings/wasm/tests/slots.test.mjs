// @hcas/engine-wasm/slots under Node, as installed from its tarball
// (build-pack): the slots module (the package's small module) exports the
// text level, zones, recurrences, availability and pooled slots, and nothing
// of the typed API beyond them. Answers are checked by hand (stated in the
// comments) and against the full module (`@hcas/engine-wasm`).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { test } from 'node:test'

import * as full from '@hcas/engine-wasm'
import * as slots from '@hcas/engine-wasm/slots'
import { Availability, evaluate, pooledSlots, Recurrence, Zone } from '@hcas/engine-wasm/slots'

const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('@hcas/engine-wasm/package.json'))

// What docs/wasm.md says the slots module exports, written out here so that
// a name added to or dropped from js/slots.js fails this test.
const SLOTS_API = [
  'evaluate', 'evaluateAsync', 'checkVector', 'KINDS', 'TZDB_VERSION', 'ERROR_CODES', 'version',
  'Zone', 'Recurrence', 'Availability', 'pooledSlots', 'pooledSlotsEpochMs', 'pooledSlotsAsync',
  'HcasError', 'InvalidRruleError', 'InvalidTimezoneError', 'InvalidDatetimeError', 'InvalidIntervalError',
  'InvalidDurationError', 'InvalidWindowError', 'InvalidConsentError', 'InvalidRequestError',
  'InvalidTransitionError', 'NotPermittedError', 'LimitExceededError',
  'registerZone', 'loadZone', 'loadZones',
]

test('the slots entry exports exactly the slots API, by import and by require', () => {
  const named = Object.keys(slots).filter((k) => k !== 'default')
  assert.deepEqual([...named].sort(), [...SLOTS_API].sort())
  const cjs = require('@hcas/engine-wasm/slots')
  assert.equal(slots.default, cjs)
  assert.deepEqual(Object.keys(cjs).sort(), [...SLOTS_API].sort())
  assert.equal(slots.Zone, cjs.Zone)
})

test('the typed API beyond slots is not exported from the slots entry', () => {
  const cjs = require('@hcas/engine-wasm/slots')
  for (const name of [
    'Ledger', 'Booking', 'transition', 'apply', 'LifecyclePolicy', 'SeriesSpec', 'planShift', 'decide',
    'bookingAllowed', 'Consent', 'CompiledConsents', 'Waitlist', 'makeHold', 'alternatives', 'appointmentToFhir',
    'STATUSES', 'MAX_HOLD_MINUTES',
  ]) {
    assert.equal(name in slots, false, name)
    assert.equal(cjs[name], undefined, name)
  }
  // Availability has no explain calls here (they are the full module's).
  const a = new Availability('UTC', { rules: [] })
  assert.equal(a.explain, undefined)
  assert.equal(a.explainWithLedger, undefined)
  // ...while the full entry, a separate wrapper instance, keeps them.
  assert.equal(typeof new full.Availability('UTC', { rules: [] }).explain, 'function')
})

test('the slots module is a smaller WebAssembly module without the typed classes', () => {
  const slotsWasm = readFileSync(join(pkgDir, 'slots', 'node', 'hcas_wasm_bg.wasm'))
  const fullWasm = readFileSync(join(pkgDir, 'node', 'hcas_wasm_bg.wasm'))
  assert.ok(slotsWasm.length < fullWasm.length, `${slotsWasm.length} < ${fullWasm.length}`)
  const instance = require(join(pkgDir, 'slots', 'node', 'hcas_wasm.js'))
  assert.equal(typeof instance.evaluateJson, 'function')
  assert.equal(typeof instance.NativeAvailability, 'function')
  assert.equal(instance.NativeLedger, undefined)
  assert.equal(instance.NativeConsent, undefined)
  assert.equal(instance.explainJson, undefined)
})

test('slots: evaluate, Zone, Recurrence, Availability and pooledSlots (hand-checked)', async () => {
  // Two days of 09:00-10:00 Europe/Paris (CET, UTC+1 in January) in 30-minute
  // slots: 08:00Z and 08:30Z each day.
  const rules = [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }]
  const want = ['2026-01-05T08:00:00Z', '2026-01-05T08:30:00Z', '2026-01-06T08:00:00Z', '2026-01-06T08:30:00Z']
  const query = { from: '2026-01-05T00:00:00Z', to: '2026-01-07T00:00:00Z', duration: 30 }
  assert.deepEqual(evaluate('slots', { timezone: 'Europe/Paris', rules, query }).slots, want)
  const a = new Availability('Europe/Paris', { rules })
  // Busy 08:30-09:00Z on the 5th takes that slot from b.
  const b = new Availability('Europe/Paris', { rules, busy: [{ start: '2026-01-05T08:30:00Z', end: '2026-01-05T09:00:00Z' }] })
  assert.deepEqual(a.slots(query.from, query.to, 30), want)
  assert.deepEqual(await b.slotsAsync(query.from, query.to, 30), [want[0], want[2], want[3]])
  assert.deepEqual(pooledSlots([a, b], query.from, query.to, 30), [
    { start: want[0], providers: [0, 1] },
    { start: want[1], providers: [0] },
    { start: want[2], providers: [0, 1] },
    { start: want[3], providers: [0, 1] },
  ])
  // Tokyo has no DST: UTC+9 all year.
  assert.equal(new Zone('Asia/Tokyo').offsetAt('2026-07-01T00:00:00Z'), 9 * 3600)
  // 09:00 New York on 2026-03-09 is EDT (UTC-4, after the 8 March change): 13:00Z.
  assert.deepEqual(new Recurrence('FREQ=DAILY;COUNT=2', '2026-03-08T09:00', 'America/New_York').between('2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'), [
    '2026-03-08T13:00:00Z',
    '2026-03-09T13:00:00Z',
  ])
  // evaluate covers every kind here too: a conflict input, answered as the full module answers it.
  const conflict = {
    existing: [{ id: 'a1', resources: ['provider:P1'], start: '2026-01-05T09:00:00Z', end: '2026-01-05T09:30:00Z' }],
    candidate: { resources: ['provider:P1'], start: '2026-01-05T09:15:00Z', end: '2026-01-05T09:45:00Z' },
  }
  let got
  let want2
  try {
    got = evaluate('conflict', conflict)
  } catch (e) {
    got = e.code
  }
  try {
    want2 = full.evaluate('conflict', conflict)
  } catch (e) {
    want2 = e.code
  }
  assert.deepEqual(got, want2)
})

test('slots: errors are the package classes with the stable codes', () => {
  assert.throws(() => new Zone('Mars/Olympus_Mons'), (e) => e instanceof slots.InvalidTimezoneError && e instanceof slots.HcasError && e.code === 'invalid_timezone')
  assert.throws(
    () => evaluate('slots', { timezone: 'UTC', rules: [], query: { from: '2026-01-05T00:00:00Z', to: '2026-01-06T00:00:00Z', duration: 0 } }),
    (e) => e instanceof slots.InvalidDurationError && e.code === 'invalid_duration',
  )
  assert.throws(() => pooledSlots([{}], '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 30), (e) => e instanceof slots.InvalidRequestError)
})
