// pooledSlots (and its epoch-ms form) and the ...Async variants through the
// installed package. Expected values are worked out by hand in the comments
// (New York in July: EDT = UTC-4; Berlin in June: CEST = UTC+2); the async
// answers must equal the sync ones, and async errors must reject (never throw)
// with the right HcasError subclass.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Availability, Recurrence, pooledSlots, pooledSlotsEpochMs, pooledSlotsAsync } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

/** The error a Promise rejects with (it must reject); `p` must be a Promise. */
async function rejected(p) {
  assert.ok(p instanceof Promise, 'an async call answers a Promise, also for bad arguments')
  try {
    await p
  } catch (e) {
    return e
  }
  assert.fail('expected a rejection')
}

const NY = 'America/New_York'
// Monday 2026-07-06, a whole UTC day.
const [FROM, TO] = ['2026-07-06T00:00:00Z', '2026-07-07T00:00:00Z']

/**
 * Three providers in New York:
 * 0: weekdays 09:00-12:00 -> hourly slots 09, 10, 11 EDT = 13Z, 14Z, 15Z;
 * 1: daily 10:00-13:00, busy 11:00-12:00 EDT (15Z-16Z) -> 10, 12 EDT = 14Z, 16Z;
 * 2: Mondays 08:00-10:00 -> 08, 09 EDT = 12Z, 13Z.
 */
function clinic() {
  return [
    new Availability(NY, {
      rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', dtstart: '2026-07-06', start: '09:00', end: '12:00' }],
    }),
    new Availability(NY, {
      rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-07-01', start: '10:00', end: '13:00' }],
      busy: [{ start: '2026-07-06T15:00:00Z', end: new Date('2026-07-06T16:00:00Z') }],
    }),
    new Availability(NY, {
      rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-07-06', start: '08:00', end: '10:00' }],
    }),
  ]
}

// Each start with the providers free at it, from the list above.
const ROWS = [
  { start: '2026-07-06T12:00:00Z', providers: [2] },
  { start: '2026-07-06T13:00:00Z', providers: [0, 2] },
  { start: '2026-07-06T14:00:00Z', providers: [0, 1] },
  { start: '2026-07-06T15:00:00Z', providers: [0] },
  { start: '2026-07-06T16:00:00Z', providers: [1] },
]

test('pooledSlots: each start with the providers free at it', () => {
  const pool = clinic()
  assert.deepEqual(pooledSlots(pool, FROM, TO, 60), ROWS)
  // The same rows from each provider's own slots (the pool is their union).
  const union = new Map()
  pool.forEach((a, i) => {
    for (const s of a.slots(FROM, TO, 60)) union.set(s, [...(union.get(s) ?? []), i])
  })
  const fromEach = [...union.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([start, providers]) => ({ start, providers }))
  assert.deepEqual(fromEach, ROWS)
  // Order matters only for the indexes: reversed, provider i becomes 2 - i.
  const reversed = ROWS.map(({ start, providers }) => ({ start, providers: providers.map((i) => 2 - i).sort() }))
  assert.deepEqual(pooledSlots([...pool].reverse(), FROM, TO, 60), reversed)
  // Options as in slots: now 12:30Z with 60 minutes' notice leaves starts from 13:30Z on.
  assert.deepEqual(pooledSlots(pool, FROM, TO, 60, { now: '2026-07-06T12:30:00Z', minNotice: 60 }), ROWS.slice(2))
  assert.deepEqual(pooledSlots([], FROM, TO, 60), [])
})

test('pooledSlotsEpochMs: the same rows as typed arrays', () => {
  const got = pooledSlotsEpochMs(clinic(), Date.parse(FROM), new Date(TO), 60)
  assert.ok(got.starts instanceof Float64Array)
  assert.ok(got.offsets instanceof Uint32Array)
  assert.ok(got.members instanceof Uint32Array)
  assert.deepEqual([...got.starts], ROWS.map((r) => Date.parse(r.start)))
  // Row sizes 1, 2, 2, 1, 1.
  assert.deepEqual([...got.offsets], [0, 1, 3, 5, 6, 7])
  assert.deepEqual([...got.members], [2, 0, 2, 0, 1, 0, 1])
  const empty = pooledSlotsEpochMs([], FROM, TO, 60)
  assert.deepEqual([[...empty.starts], [...empty.offsets], [...empty.members]], [[], [0], []])
})

test('pooledSlots errors carry their class and code', () => {
  const pool = clinic()
  const notList = thrown(() => pooledSlots(pool[0], FROM, TO, 60))
  assert.ok(notList instanceof hcas.InvalidRequestError && /^providers/.test(notList.message), String(notList))
  const notAvailability = thrown(() => pooledSlots([pool[0], {}], FROM, TO, 60))
  assert.ok(notAvailability instanceof hcas.InvalidRequestError, String(notAvailability))
  assert.match(notAvailability.message, /providers\[1\]/)
  assert.ok(thrown(() => pooledSlots(pool, FROM, TO, 0)) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => pooledSlotsEpochMs(pool, TO, FROM, 60)) instanceof hcas.InvalidIntervalError)
})

test('the async variants answer what the sync calls answer', async () => {
  const pool = clinic()
  assert.deepEqual(await pooledSlotsAsync(pool, FROM, TO, 60), ROWS)
  // Berlin, Mondays 09:00-11:00 CEST = 07:00-09:00Z, busy 07:00-07:20Z,
  // 45 minutes every 30: 07:00 is busy, 07:30 and 08:00 fit (08:30 + 45 does not).
  const berlin = new Availability('Europe/Berlin', {
    rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-06-01', start: '09:00', end: '11:00' }],
    busy: [{ start: '2026-06-01T07:00:00Z', end: '2026-06-01T07:20:00Z' }],
  })
  const args = ['2026-06-01T00:00:00Z', '2026-06-03T00:00:00Z', 45, { step: 30 }]
  const want = ['2026-06-01T07:30:00Z', '2026-06-01T08:00:00Z']
  assert.deepEqual(await berlin.slotsAsync(...args), want)
  assert.deepEqual(berlin.slots(...args), want)
  // Daily at 09:00 New York (13Z in July), three times from 2026-07-06.
  const rec = new Recurrence('FREQ=DAILY;COUNT=3', '2026-07-06T09:00', NY)
  const days = ['2026-07-06T13:00:00Z', '2026-07-07T13:00:00Z', '2026-07-08T13:00:00Z']
  assert.deepEqual(await rec.betweenAsync('2026-07-01T00:00:00Z', '2026-08-01T00:00:00Z'), days)
  assert.deepEqual(await rec.betweenAsync('2026-07-01T00:00:00Z', '2026-08-01T00:00:00Z', 2), days.slice(0, 2))
  const input = {
    timezone: 'Europe/Berlin',
    rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-06-01', start: '09:00', end: '11:00' }],
    busy: [{ start: '2026-06-01T07:00:00Z', end: '2026-06-01T07:20:00Z' }],
    query: { from: args[0], to: args[1], duration: 45, step: 30 },
  }
  const viaJson = await hcas.evaluateAsync('slots', input)
  assert.deepEqual(viaJson.slots, want)
  assert.deepEqual(viaJson, hcas.evaluate('slots', input))
  // Many at once on the thread pool: every one the same answer.
  const many = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? berlin.slotsAsync(...args) : pooledSlotsAsync(pool, FROM, TO, 60))))
  many.forEach((got, i) => assert.deepEqual(got, i % 2 ? want : ROWS))
})

test('async errors reject with their class, whether found in the arguments or by the engine', async () => {
  const pool = clinic()
  const [a] = pool
  // Found while the arguments are checked (on the calling thread): still a rejection.
  const d = await rejected(a.slotsAsync(FROM, TO, 0))
  assert.ok(d instanceof hcas.InvalidDurationError, String(d))
  const iv = await rejected(pooledSlotsAsync(pool, TO, FROM, 60))
  assert.ok(iv instanceof hcas.InvalidIntervalError, String(iv))
  const who = await rejected(pooledSlotsAsync([{}], FROM, TO, 60))
  assert.ok(who instanceof hcas.InvalidRequestError && /providers\[0\]/.test(who.message), String(who))
  const kind = await rejected(hcas.evaluateAsync(42, {}))
  assert.ok(kind instanceof hcas.InvalidRequestError, String(kind))
  const json = await rejected(hcas.evaluateAsync('slots', { query: { from: new Date() } }))
  assert.ok(json instanceof hcas.InvalidRequestError && /input\.query\.from/.test(json.message), String(json))
  // Found by the engine on the thread pool.
  const tz = await rejected(hcas.evaluateAsync('slots', { timezone: 'Europe/Atlantis', rules: [], query: { from: FROM, to: TO, duration: 30 } }))
  assert.ok(tz instanceof hcas.InvalidTimezoneError, String(tz))
  assert.equal(tz.code, 'invalid_timezone')
  assert.match(tz.message, /Europe\/Atlantis/)
  assert.equal(tz.code, thrown(() => hcas.evaluate('slots', { timezone: 'Europe/Atlantis', rules: [], query: { from: FROM, to: TO, duration: 30 } })).code)
  // 12 providers open all day, minute slots every minute for 400 days:
  // 12 x 576,000 = 6,912,000 (start, provider) pairs, over the 5,000,000 limit.
  const allDay = new Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '00:00', end: '24:00' }] })
  const big = Array.from({ length: 12 }, () => allDay)
  const end = Date.parse('2026-01-01T00:00:00Z') + 400 * 86_400_000
  const lim = await rejected(pooledSlotsAsync(big, '2026-01-01T00:00:00Z', end, 1, { step: 1 }))
  assert.ok(lim instanceof hcas.LimitExceededError, String(lim))
  assert.match(lim.message, /MAX_POOLED_ENTRIES/)
})
