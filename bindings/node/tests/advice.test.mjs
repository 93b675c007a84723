// Availability#explain, #explainWithLedger and alternatives through the
// installed package. The provider works 09:00-12:00 every day in Berlin; in
// January that is UTC+1, so every window is 08:00-11:00Z, and a 30-minute
// grid runs 08:00, 08:30, ... 10:30 (10:30 + 30 min is the window's end).
// Expectations are worked out by hand from those facts and the rules of the
// engine's `advice` module (every reason, not just the first; conflicts
// after the availability's own reasons, by resource).
import test from 'node:test'
import assert from 'node:assert/strict'

import * as hcas from '@hcas/engine'
import { Availability, Booking, Ledger, alternatives, alternativesAsync } from '@hcas/engine'

const rules = [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '12:00' }]
const busy = [{ start: '2026-01-05T09:00:00Z', end: '2026-01-05T09:30:00Z' }]
const avail = new Availability('Europe/Berlin', { rules, busy })
const DAY = ['2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z']
const window = { start: '2026-01-05T08:00:00Z', end: '2026-01-05T11:00:00Z' }

/** The error `f` throws (fails when it throws nothing). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

const why = (at, options) => avail.explain(at, ...DAY, 30, options)

test('REASONS are the engine wire names', () => {
  assert.deepEqual(hcas.REASONS, [
    'outside_query',
    'before_notice',
    'beyond_horizon',
    'outside_working_hours',
    'does_not_fit',
    'off_grid',
    'busy',
    'buffer',
    'conflict',
  ])
})

test('explain: offered, busy, buffer, off the grid, not fitting', () => {
  const ok = why('2026-01-05T08:00:00Z')
  assert.deepEqual(ok, { start: '2026-01-05T08:00:00Z', offered: true, reasons: [] })
  assert.ok(Object.isFrozen(ok) && Object.isFrozen(ok.reasons))
  // 09:00-09:30 is the busy interval itself (a Date in).
  assert.deepEqual(why(new Date('2026-01-05T09:00:00Z')), {
    start: '2026-01-05T09:00:00Z',
    offered: false,
    reasons: [{ reason: 'busy', interval: busy[0] }],
  })
  // 09:30-10:00 only touches it, but 15 minutes of buffer before reach into it.
  assert.deepEqual(why('2026-01-05T09:30:00Z'), { start: '2026-01-05T09:30:00Z', offered: true, reasons: [] })
  assert.deepEqual(why('2026-01-05T09:30:00Z', { bufferBefore: 15 }).reasons, [{ reason: 'buffer', interval: busy[0] }])
  // 08:10 is between the grid points 08:00 and 08:30.
  assert.deepEqual(why('2026-01-05T08:10:00Z').reasons, [
    { reason: 'off_grid', window, step: 30, previous: '2026-01-05T08:00:00Z', next: '2026-01-05T08:30:00Z' },
  ])
  // 10:45 is off the grid and 10:45 + 30 min runs past 11:00.
  assert.deepEqual(why(Date.parse('2026-01-05T10:45:00Z')).reasons, [
    { reason: 'off_grid', window, step: 30, previous: '2026-01-05T10:30:00Z', next: '2026-01-05T11:00:00Z' },
    { reason: 'does_not_fit', window },
  ])
})

test('explain: outside the query, the hours, the notice and the horizon', () => {
  // 13:00 in Berlin: no window; the nearest are this morning's and tomorrow's.
  assert.deepEqual(why('2026-01-05T12:00:00Z').reasons, [
    {
      reason: 'outside_working_hours',
      localDate: '2026-01-05',
      overrideDate: false,
      nearest: [window, { start: '2026-01-06T08:00:00Z', end: '2026-01-06T11:00:00Z' }],
    },
  ])
  // Tomorrow's first start is a slot of the provider, but not in the query.
  assert.deepEqual(why('2026-01-06T08:00:00Z').reasons, [{ reason: 'outside_query', from: DAY[0], to: DAY[1] }])
  const now = '2026-01-05T08:00:00Z'
  assert.deepEqual(why('2026-01-05T08:30:00Z', { now, minNotice: 60 }).reasons, [
    { reason: 'before_notice', earliest: '2026-01-05T09:00:00Z' },
  ])
  assert.deepEqual(why('2026-01-05T10:00:00Z', { now, horizon: 120 }).reasons, [
    { reason: 'beyond_horizon', latest: '2026-01-05T10:00:00Z' },
  ])
  // A date override closing 7 January: outside the hours on an override date.
  const closed = new Availability('Europe/Berlin', { rules, overrides: [{ date: '2026-01-07', windows: [] }] })
  assert.deepEqual(closed.explain('2026-01-07T08:00:00Z', '2026-01-07T00:00:00Z', '2026-01-08T00:00:00Z', 30).reasons, [
    {
      reason: 'outside_working_hours',
      localDate: '2026-01-07',
      overrideDate: true,
      nearest: [
        { start: '2026-01-06T08:00:00Z', end: '2026-01-06T11:00:00Z' },
        { start: '2026-01-08T08:00:00Z', end: '2026-01-08T11:00:00Z' },
      ],
    },
  ])
})

test('explain agrees with slots: offered exactly for the offered starts', () => {
  const options = { step: 15, bufferAfter: 10 }
  const offered = new Set(avail.slots(...DAY, 30, options))
  assert.ok(offered.size > 0)
  for (let ms = Date.parse(DAY[0]); ms < Date.parse(DAY[1]); ms += 5 * 60_000) {
    const e = avail.explain(ms, ...DAY, 30, options)
    assert.equal(e.offered, offered.has(e.start), e.start)
    assert.equal(e.offered, e.reasons.length === 0, e.start)
  }
})

test('explain: errors', () => {
  const e = thrown(() => why('2026-01-05T08:00:00Z', { step: 0 }))
  assert.ok(e instanceof hcas.InvalidDurationError, String(e))
  assert.ok(thrown(() => avail.explain('noon', ...DAY, 30)) instanceof hcas.InvalidDatetimeError)
  assert.ok(thrown(() => avail.explain('2026-01-05T08:00:00Z', DAY[1], DAY[0], 30)) instanceof hcas.HcasError)
})

test('explainWithLedger: conflicts named as Ledger#check names them', () => {
  const ledger = new Ledger([
    new Booking('b0', ['provider:P1', 'room:R1'], '2026-01-05T08:45:00Z', '2026-01-05T09:15:00Z'),
    new Booking('b1', ['provider:P1'], '2026-01-05T09:30:00Z', '2026-01-05T10:00:00Z'),
  ])
  const context = { ledger, resources: ['room:R1', 'provider:P1'], now: '2026-01-01T00:00:00Z' }
  // 09:30: the availability offers it, the ledger has b1 on P1.
  const at930 = avail.explainWithLedger(context, '2026-01-05T09:30:00Z', ...DAY, 30)
  assert.deepEqual(at930, {
    start: '2026-01-05T09:30:00Z',
    offered: false,
    reasons: [{ reason: 'conflict', resource: 'provider:P1', bookings: ['b1'] }],
  })
  // The same conflict as Ledger#check answers, field for field.
  assert.deepEqual(
    at930.reasons.map(({ resource, bookings }) => ({ resource, bookings })),
    ledger.check(context.resources, '2026-01-05T09:30:00Z', '2026-01-05T10:00:00Z', context.now),
  )
  // 09:00: busy in the availability, and b0 takes both resources (by resource name).
  assert.deepEqual(avail.explainWithLedger(context, '2026-01-05T09:00:00Z', ...DAY, 30).reasons, [
    { reason: 'busy', interval: busy[0] },
    { reason: 'conflict', resource: 'provider:P1', bookings: ['b0'] },
    { reason: 'conflict', resource: 'room:R1', bookings: ['b0'] },
  ])
  // 10:00 touches b1's end: offered. Another provider's ledger is free at 09:30.
  assert.equal(avail.explainWithLedger(context, '2026-01-05T10:00:00Z', ...DAY, 30).offered, true)
  assert.equal(avail.explainWithLedger({ ...context, resources: ['provider:P2'] }, '2026-01-05T09:30:00Z', ...DAY, 30).offered, true)
  for (const bad of [{ ...context, ledger: {} }, { ...context, resources: 'provider:P1' }, { ...context, when: 1 }, null]) {
    const e = thrown(() => avail.explainWithLedger(bad, '2026-01-05T09:30:00Z', ...DAY, 30))
    assert.ok(e instanceof hcas.InvalidRequestError, `${JSON.stringify(bad)}: ${e}`)
  }
})

test('alternatives: nearest free starts either side', async () => {
  // b1 takes 09:30-10:00 on P1; it is 08:15, so 08:00 is past; 09:00 is busy.
  const ledger = new Ledger([new Booking('b1', ['provider:P1'], '2026-01-05T09:30:00Z', '2026-01-05T10:00:00Z')])
  const request = [['provider:P1'], '2026-01-05T09:30:00Z', '2026-01-05T10:00:00Z']
  const now = '2026-01-05T08:15:00Z'
  const two = alternatives(avail, ledger, ...request, { now, count: 2, searchDays: 1 })
  assert.deepEqual(two, { before: ['2026-01-05T08:30:00Z'], after: ['2026-01-05T10:00:00Z', '2026-01-05T10:30:00Z'] })
  assert.ok(Object.isFrozen(two) && Object.isFrozen(two.after))
  // Three after: tomorrow's first start follows (searchDays 7 by default).
  const three = { before: ['2026-01-05T08:30:00Z'], after: ['2026-01-05T10:00:00Z', '2026-01-05T10:30:00Z', '2026-01-06T08:00:00Z'] }
  assert.deepEqual(alternatives(avail, ledger, ...request, { now: new Date(now), count: 3 }), three)
  assert.deepEqual(await alternativesAsync(avail, ledger, ...request, { now, count: 3 }), three)
  // On a 15-minute grid, 10:15 is free too (10:15-10:45).
  assert.deepEqual(alternatives(avail, ledger, ...request, { now, count: 2, step: 15 }).after, ['2026-01-05T10:00:00Z', '2026-01-05T10:15:00Z'])
  // Errors: the engine's (count 0, searchDays beyond 200, end before start) and the wrapper's.
  for (const [options, cls] of [
    [{ now, count: 0 }, hcas.InvalidRequestError],
    [{ now, count: 1, searchDays: 201 }, hcas.InvalidRequestError],
    [{ now, count: 1.5 }, hcas.InvalidRequestError],
    [{ now, count: 1, searchDays: 1.5 }, hcas.InvalidRequestError],
    [{ count: 1 }, hcas.InvalidDatetimeError],
    [{ now, count: 1, days: 3 }, hcas.InvalidRequestError],
  ]) {
    const e = thrown(() => alternatives(avail, ledger, ...request, options))
    assert.ok(e instanceof cls, `${JSON.stringify(options)}: ${e}`)
    await assert.rejects(alternativesAsync(avail, ledger, ...request, options), cls)
  }
  const iv = thrown(() => alternatives(avail, ledger, ['provider:P1'], '2026-01-05T10:00:00Z', '2026-01-05T09:30:00Z', { now, count: 1 }))
  assert.ok(iv instanceof hcas.InvalidIntervalError, String(iv))
  assert.ok(thrown(() => alternatives(avail, {}, ...request, { now, count: 1 })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => alternatives({}, ledger, ...request, { now, count: 1 })) instanceof hcas.InvalidRequestError)
})
