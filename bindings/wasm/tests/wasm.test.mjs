// @hcas/engine-wasm under Node, as installed from its tarball (build-pack):
// the Node package's API over WebAssembly. The answers are checked against
// the engine's own other level (typed calls against `evaluate`), against
// facts stated in the inputs, and, for errors, against the stable codes.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import * as hcas from '@hcas/engine-wasm'

const require = createRequire(import.meta.url)

// Two days of 09:00-10:00 UTC in 30-minute slots: 09:00 and 09:30 each day.
const input = {
  timezone: 'UTC',
  rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }],
  query: { from: '2026-01-05T00:00:00Z', to: '2026-01-07T00:00:00Z', duration: 30 },
}
const want = ['2026-01-05T09:00:00Z', '2026-01-05T09:30:00Z', '2026-01-06T09:00:00Z', '2026-01-06T09:30:00Z']

test('import and require load one module with the same classes', () => {
  const cjs = require('@hcas/engine-wasm')
  assert.equal(hcas.default, cjs)
  assert.equal(hcas.HcasError, cjs.HcasError)
  assert.deepEqual(cjs.evaluate('slots', input).slots, want)
  assert.deepEqual(hcas.evaluate('slots', input), cjs.evaluate('slots', input))
})

test('the constants read at load time are the engine lists', () => {
  for (const kind of ['recurrence', 'slots', 'conflict', 'series', 'transition', 'consent']) {
    assert.ok(hcas.KINDS.includes(kind), kind)
  }
  assert.ok(hcas.ERROR_CODES.includes('invalid_timezone'))
  assert.match(hcas.TZDB_VERSION, /^\d{4}[a-z]$/)
  assert.equal(hcas.version, require('@hcas/engine-wasm/package.json').version)
  assert.ok(Object.isFrozen(hcas.STATUSES) && hcas.STATUSES.length > 0)
  assert.equal(typeof hcas.MAX_COUNT, 'number')
})

test('an engine error is its class with the stable code, sync and async', async () => {
  const zero = { ...input, query: { ...input.query, duration: 0 } }
  assert.throws(
    () => hcas.evaluate('slots', zero),
    (e) => e instanceof hcas.InvalidDurationError && e instanceof hcas.HcasError && e.code === 'invalid_duration',
  )
  await assert.rejects(hcas.evaluateAsync('slots', zero), (e) => e instanceof hcas.InvalidDurationError)
  assert.throws(() => new hcas.Zone('Mars/Olympus_Mons'), (e) => e instanceof hcas.InvalidTimezoneError)
  assert.throws(
    () => new hcas.Recurrence('FREQ=SOMETIMES', '2026-01-01T09:00', 'UTC'),
    (e) => e.code === 'invalid_rrule' && /rrule/.test(e.message),
  )
})

test('Zone: offsets and DST resolution (RFC 5545: a gap moves forward)', () => {
  const ny = new hcas.Zone('America/New_York')
  assert.equal(ny.name, 'America/New_York')
  // EST is UTC-5 in January, EDT UTC-4 in July.
  assert.equal(ny.offsetAt('2026-01-15T12:00:00Z'), -5 * 3600)
  assert.equal(ny.offsetAt(Date.UTC(2026, 6, 15, 12)), -4 * 3600)
  assert.equal(ny.toLocal(new Date('2026-01-15T12:00:00Z')), '2026-01-15T07:00:00')
  // 2026-03-08 02:30 does not exist in New York: an hour later, 03:30 EDT = 07:30Z.
  assert.equal(ny.resolve('2026-03-08T02:30'), '2026-03-08T07:30:00Z')
})

test('Recurrence: the typed level answers what evaluate answers', async () => {
  const rule = 'FREQ=WEEKLY;BYDAY=MO,WE,FR'
  const from = '2026-03-01T00:00:00Z'
  const to = '2026-04-15T00:00:00Z'
  const r = new hcas.Recurrence(rule, '2026-03-02T09:00', 'Europe/London', { exdates: ['2026-03-04T09:00'] })
  const viaEvaluate = hcas.evaluate('recurrence', {
    rrule: rule,
    dtstart: '2026-03-02T09:00',
    timezone: 'Europe/London',
    exdates: ['2026-03-04T09:00'],
    from,
    to,
  }).occurrences
  const typed = r.between(from, to)
  assert.deepEqual(typed, viaEvaluate)
  assert.ok(!typed.includes('2026-03-04T09:00:00Z'), 'the EXDATE is left out')
  // After the UK's change on 29 March, 09:00 BST is 08:00Z.
  assert.ok(typed.includes('2026-03-30T08:00:00Z'))
  const ms = r.betweenEpochMs(Date.parse(from), Date.parse(to))
  assert.ok(ms instanceof Float64Array)
  assert.deepEqual([...ms].map((t) => new Date(t).toISOString().replace('.000Z', 'Z')), typed)
  assert.deepEqual(await r.betweenAsync(from, to, 2), typed.slice(0, 2))
})

test('Availability and pooledSlots: the typed level answers what evaluate answers', async () => {
  const rules = input.rules
  const busy = [{ start: '2026-01-05T09:30:00Z', end: '2026-01-05T10:00:00Z' }]
  const a = new hcas.Availability('UTC', { rules })
  const b = new hcas.Availability('UTC', { rules, busy })
  const [from, to] = [input.query.from, input.query.to]
  assert.deepEqual(a.slots(from, to, 30), want)
  const bSlots = b.slots(from, to, 30)
  assert.deepEqual(bSlots, want.filter((s) => s !== '2026-01-05T09:30:00Z'))
  assert.deepEqual(await b.slotsAsync(from, to, 30), bSlots)
  assert.deepEqual([...a.slotsEpochMs(from, to, 30, { step: 30 })], want.map((s) => Date.parse(s)))
  const pooled = hcas.pooledSlots([a, b], from, to, 30)
  assert.deepEqual(
    pooled,
    want.map((start) => ({ start, providers: bSlots.includes(start) ? [0, 1] : [0] })),
  )
  assert.deepEqual(await hcas.pooledSlotsAsync([a, b], from, to, 30), pooled)
  const bulk = hcas.pooledSlotsEpochMs([a, b], from, to, 30)
  assert.deepEqual([...bulk.starts], want.map((s) => Date.parse(s)))
  assert.equal(bulk.offsets.length, want.length + 1)
  assert.throws(() => a.slots(from, to, 30, { now: {} }), (e) => e instanceof hcas.InvalidDatetimeError)
})

test('what the WebAssembly build leaves out loads, and throws a coded error when called', () => {
  const b = new hcas.Booking('a1', ['provider:P1'], '2026-01-05T09:00:00Z', '2026-01-05T09:30:00Z')
  assert.throws(
    () => hcas.appointmentToFhir(b),
    (e) => e instanceof hcas.InvalidRequestError && /WebAssembly build/.test(e.message) && /appointmentToFhir/.test(e.message),
  )
})
