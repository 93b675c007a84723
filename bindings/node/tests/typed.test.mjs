// The typed level (Zone, Recurrence, Availability) through the installed
// package: instants as Date, epoch milliseconds or ISO strings; answers as
// ISO strings or Float64Array of epoch milliseconds. Every expected value is
// derived by hand in the comments (New York: EST = UTC-5, EDT = UTC-4 from
// 2026-03-08 07:00Z to 2026-11-01 06:00Z; Berlin in June: CEST = UTC+2).
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Availability, Recurrence, Zone } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

/** Epoch milliseconds of ISO strings, by JavaScript's own Date parser. */
const ms = (isos) => isos.map((s) => Date.parse(s))

test('Zone: offsets, wall times, gaps and folds', () => {
  const ny = new Zone('America/New_York')
  assert.equal(ny.name, 'America/New_York')
  assert.equal(String(ny), 'America/New_York')
  assert.equal(ny.offsetAt('2026-03-08T06:59:59Z'), -5 * 3600)
  assert.equal(ny.offsetAt('2026-03-08T07:00:00Z'), -4 * 3600)
  assert.equal(ny.toLocal(new Date('2026-03-08T12:00:00Z')), '2026-03-08T08:00:00')
  // 02:30 on 2026-03-08 is in the gap (02:00 -> 03:00): forward by an hour,
  // 03:30 EDT = 07:30Z. 01:30 on 2026-11-01 happens twice: the earlier is EDT.
  assert.equal(ny.resolve('2026-03-08T02:30'), '2026-03-08T07:30:00Z')
  assert.equal(ny.resolve('2026-11-01T01:30'), '2026-11-01T05:30:00Z')
  const e = thrown(() => new Zone('Mars/Olympus_Mons'))
  assert.ok(e instanceof hcas.InvalidTimezoneError, String(e))
  assert.match(e.message, /Mars\/Olympus_Mons/)
})

test('an instant may be a Date, epoch milliseconds or an ISO string', () => {
  const ny = new Zone('America/New_York')
  const iso = '2026-07-01T16:00:00Z'
  const forms = [iso, Date.parse(iso), new Date(iso), '2026-07-01T12:00:00-04:00']
  for (const at of forms) assert.equal(ny.toLocal(at), '2026-07-01T12:00:00', String(at))
  // Sub-seconds are truncated towards the past, also before 1970.
  assert.equal(ny.toLocal(Date.parse(iso) + 999), '2026-07-01T12:00:00')
  assert.equal(new Zone('UTC').toLocal(-1), '1969-12-31T23:59:59')
  for (const bad of [new Date(Number.NaN), Number.NaN, Infinity, 1e17, {}, null, 'yesterday']) {
    const e = thrown(() => ny.toLocal(bad))
    assert.ok(e instanceof hcas.InvalidDatetimeError, `${String(bad)}: ${e}`)
    assert.match(e.message, /^at/)
  }
})

test('Recurrence: between as ISO strings and as Float64Array, EXDATEs, RDATEs, limit', () => {
  // Daily at 02:30 New York from 2026-03-07, three times: 03-07 02:30 EST =
  // 07:30Z; 03-08 02:30 does not exist and becomes 03:30 EDT = 07:30Z (an
  // EXDATE removes it here); 03-09 02:30 EDT = 06:30Z. The RDATE 03-20 10:00
  // EDT = 14:00Z.
  const rec = new Recurrence('FREQ=DAILY;COUNT=3', '2026-03-07T02:30', 'America/New_York', {
    exdates: ['2026-03-08T02:30'],
    rdates: ['2026-03-20T10:00'],
  })
  assert.equal(rec.rrule, 'FREQ=DAILY;COUNT=3')
  const want = ['2026-03-07T07:30:00Z', '2026-03-09T06:30:00Z', '2026-03-20T14:00:00Z']
  const start = new Date('2026-03-01T00:00:00Z')
  assert.deepEqual(rec.between(start, '2026-04-01T00:00:00Z'), want)
  const epoch = rec.betweenEpochMs(start.getTime(), '2026-04-01T00:00:00Z')
  assert.ok(epoch instanceof Float64Array)
  assert.deepEqual([...epoch], ms(want))
  assert.deepEqual(rec.between(start, '2026-04-01T00:00:00Z', 2), want.slice(0, 2))
  // start is inclusive, end exclusive.
  assert.deepEqual(rec.between(want[1], want[2]), [want[1]])
  // A Zone does as well as its name.
  const same = new Recurrence('FREQ=DAILY;COUNT=3', '2026-03-07T02:30', new Zone('America/New_York'))
  assert.deepEqual(same.between(start, '2026-04-01T00:00:00Z'), [want[0], '2026-03-08T07:30:00Z', want[1]])
})

test('Recurrence errors carry their class and code', () => {
  const r = thrown(() => new Recurrence('FREQ=FORTNIGHTLY', '2026-01-05T09:00', 'UTC'))
  assert.ok(r instanceof hcas.InvalidRruleError && r.code === 'invalid_rrule', String(r))
  assert.match(r.message, /rrule/)
  const z = thrown(() => new Recurrence('FREQ=DAILY', '2026-01-05T09:00', 'Mars/Olympus_Mons'))
  assert.ok(z instanceof hcas.InvalidTimezoneError, String(z))
  const d = thrown(() => new Recurrence('FREQ=DAILY', '2026-02-30T09:00', 'UTC'))
  assert.ok(d instanceof hcas.InvalidDatetimeError && /dtstart/.test(d.message), String(d))
  const x = thrown(() => new Recurrence('FREQ=DAILY', '2026-01-05T09:00', 'UTC', { exdates: ['2026-01-06', 7] }))
  assert.ok(x instanceof hcas.HcasError && /exdates\[1\]/.test(x.message), String(x))
  const rec = new Recurrence('FREQ=DAILY', '2026-01-05T09:00', 'UTC')
  const t = '2026-02-01T00:00:00Z'
  assert.ok(thrown(() => rec.between(t, t)) instanceof hcas.InvalidIntervalError)
  // A recurrence query may span at most 36,525 days.
  assert.ok(thrown(() => rec.between(t, Date.parse(t) + 40_000 * 86_400_000)) instanceof hcas.InvalidWindowError)
  assert.ok(thrown(() => rec.between(t, '2026-03-01T00:00:00Z', -1)) instanceof hcas.InvalidRequestError)
})

/** Mondays 09:00-11:00 in Berlin (07:00-09:00Z in June), busy 07:00-07:20Z on 2026-06-01. */
function berlin() {
  return new Availability('Europe/Berlin', {
    rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-06-01', start: '09:00', end: '11:00' }],
    busy: [{ start: new Date('2026-06-01T07:00:00Z'), end: '2026-06-01T07:20:00Z' }],
  })
}

test('Availability: slots as ISO strings and as Float64Array', () => {
  // Duration 45, step 30 in 07:00-09:00Z: candidates 07:00, 07:30, 08:00
  // (08:30 + 45 ends after 09:00); the busy 07:00-07:20 takes 07:00.
  const a = berlin()
  const from = Date.parse('2026-06-01T00:00:00Z')
  const to = new Date('2026-06-03T00:00:00Z')
  const want = ['2026-06-01T07:30:00Z', '2026-06-01T08:00:00Z']
  assert.deepEqual(a.slots(from, to, 45, { step: 30 }), want)
  const epoch = a.slotsEpochMs(from, to, 45, { step: 30 })
  assert.ok(epoch instanceof Float64Array)
  assert.deepEqual([...epoch], ms(want))
  // Without a step the grid steps by the duration: 07:00 (busy), 07:45; 08:30 does not fit.
  assert.deepEqual(a.slots(from, to, 45), ['2026-06-01T07:45:00Z'])
  // now 07:00Z with 45 minutes' notice: only starts from 07:45 on.
  assert.deepEqual(a.slots(from, to, 45, { step: 30, now: '2026-06-01T07:00:00Z', minNotice: 45 }), [want[1]])
  // now 06:00Z with a 120-minute horizon: only starts before 08:00.
  assert.deepEqual(a.slots(from, to, 45, { step: 30, now: new Date('2026-06-01T06:00:00Z'), horizon: 120 }), [want[0]])
  // 10 minutes kept free after a slot: 07:30's slot ends 08:15 +10 = 08:25, free; a
  // 10-minute buffer before 07:30 reaches 07:20, touching the busy end (free).
  assert.deepEqual(a.slots(from, to, 45, { step: 30, bufferBefore: 10, bufferAfter: 10 }), want)
  // With 15 minutes before, 07:30 reaches back to 07:15, inside the busy time.
  assert.deepEqual(a.slots(from, to, 45, { step: 30, bufferBefore: 15 }), [want[1]])
})

test('Availability: overrides, and the same answer as evaluate("slots")', () => {
  const rules = [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-06-01', start: '09:00', end: '11:00' }]
  // On 2026-06-08 the override opens 14:00-15:00 CEST = 12:00-13:00Z instead.
  const overrides = [{ date: '2026-06-08', windows: [{ start: '14:00', end: '15:00' }] }]
  const a = new Availability('Europe/Berlin', { rules, overrides })
  const got = a.slots('2026-06-01T00:00:00Z', '2026-06-09T00:00:00Z', 60)
  assert.deepEqual(got, ['2026-06-01T07:00:00Z', '2026-06-01T08:00:00Z', '2026-06-08T12:00:00Z'])
  const viaJson = hcas.evaluate('slots', {
    timezone: 'Europe/Berlin',
    rules,
    overrides,
    query: { from: '2026-06-01T00:00:00Z', to: '2026-06-09T00:00:00Z', duration: 60 },
  })
  assert.deepEqual(viaJson.slots, got)
})

test('Availability errors carry their class and code', () => {
  const a = berlin()
  const [from, to] = ['2026-06-01T00:00:00Z', '2026-06-02T00:00:00Z']
  for (const d of [0, -15, 1.5, Number.NaN]) {
    const e = thrown(() => a.slots(from, to, d))
    assert.ok(e instanceof hcas.InvalidDurationError, `${d}: ${e}`)
  }
  assert.ok(thrown(() => a.slots(from, to, '45')) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => a.slots(to, from, 45)) instanceof hcas.InvalidIntervalError)
  assert.ok(thrown(() => a.slots(from, to, 45, { stepMinutes: 5 })) instanceof hcas.InvalidRequestError)
  const rrule = thrown(
    () => new Availability('UTC', { rules: [{ rrule: 'FREQ=HOURLY', dtstart: '2026-06-01', start: '09:00', end: '10:00' }] }),
  )
  assert.ok(rrule instanceof hcas.InvalidRruleError, String(rrule))
  const shape = thrown(() => new Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY' }] }))
  assert.ok(shape instanceof hcas.InvalidRequestError && /rules/.test(shape.message), String(shape))
  const busy = thrown(() => new Availability('UTC', { busy: [{ start: '2026-06-01T10:00:00Z', end: '2026-06-01T09:00:00Z' }] }))
  assert.ok(busy instanceof hcas.InvalidIntervalError && /busy\[0\]/.test(busy.message), String(busy))
  const when = thrown(() => new Availability('UTC', { busy: [{ start: 'soon', end: '2026-06-01T09:00:00Z' }] }))
  assert.ok(when instanceof hcas.InvalidDatetimeError && /busy\[0\]\.start/.test(when.message), String(when))
})
