// The waitlist through the installed package: first come, first served, as
// documented in crates/hcas-core/src/waitlist.rs. Each expectation is
// worked out by hand from those rules: the earliest entry (by created, then
// id) that wants the freed provider, whose window holds the whole slot,
// whose minimum length it meets, and whose patient and provider are free.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Booking, Ledger, Waitlist, makeHold } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

const window = { start: '2026-05-04T00:00:00Z', end: '2026-05-09T00:00:00Z' }
const entry = (id, patient, created, more = {}) => ({ id, patient, provider: 'provider:P1', window, created, ...more })
// a1 (provider P1, patient X1) on 5 May 09:00-09:30 was cancelled.
const freed = new Booking('a1', ['provider:P1', 'patient:X1'], '2026-05-05T09:00:00Z', '2026-05-05T09:30:00Z', { status: 'cancelled' })
const NOW = '2026-05-04T08:00:00Z'

test('Waitlist: entries in serving order, get, remove, removeExpired', () => {
  assert.equal(hcas.MAX_HOLD_MINUTES, 7 * 24 * 60)
  const list = new Waitlist([
    entry('w2', 'patient:X2', '2026-05-01T10:00:00Z'),
    entry('w1', 'patient:X3', '2026-05-01T10:00:00Z', { preferences: { minDurationMinutes: 30 } }),
    { ...entry('w0', 'patient:X4', new Date('2026-05-01T09:00:00Z')), window: { start: window.start, end: '2026-05-05T00:00:00Z' } },
  ])
  assert.equal(list.size, 3)
  // By created, then id: w0 (09:00), then w1 and w2 (10:00).
  assert.deepEqual(list.entries().map((e) => e.id), ['w0', 'w1', 'w2'])
  assert.deepEqual(list.get('w1'), {
    id: 'w1',
    patient: 'patient:X3',
    provider: 'provider:P1',
    window: { start: '2026-05-04T00:00:00Z', end: '2026-05-09T00:00:00Z' },
    preferences: { minDurationMinutes: 30 },
    created: '2026-05-01T10:00:00Z',
  })
  assert.deepEqual(list.get('w2').preferences, {})
  assert.equal(list.get('zz'), null)
  // w0's window ends at midnight on 5 May: expired then, not a second before.
  assert.deepEqual(list.removeExpired('2026-05-04T23:59:59Z'), [])
  assert.deepEqual(list.removeExpired('2026-05-05T00:00:00Z').map((e) => e.id), ['w0'])
  assert.equal(list.remove('w2').id, 'w2')
  assert.equal(list.remove('w2'), null)
  assert.deepEqual(list.entries().map((e) => e.id), ['w1'])
  // Errors: a reused id, an empty patient, a minimum not positive, a window that ends before it starts.
  assert.ok(thrown(() => list.add(entry('w1', 'patient:X9', NOW))) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => list.add(entry('w5', '', NOW))) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => list.add(entry('w5', 'patient:X5', NOW, { preferences: { minDurationMinutes: 0 } }))) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => list.add({ ...entry('w5', 'patient:X5', NOW), window: { start: window.end, end: window.start } })) instanceof hcas.InvalidIntervalError)
  assert.ok(thrown(() => list.add({ ...entry('w5', 'patient:X5', NOW), colour: 'red' })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => list.add(entry('w5', 'patient:X5', 'soon'))) instanceof hcas.InvalidDatetimeError)
  assert.equal(list.size, 1)
})

test('offer: the first entry that wants and can have the slot; makeHold', () => {
  const ledger = new Ledger()
  // X3 is busy at the slot.
  ledger.insert(new Booking('x3', ['patient:X3'], '2026-05-05T09:00:00Z', '2026-05-05T10:00:00Z'))
  const list = new Waitlist([
    entry('w-long', 'patient:X5', '2026-05-01T07:00:00Z', { preferences: { minDurationMinutes: 45 } }), // wants 45 minutes: the slot is 30
    { ...entry('w-p2', 'patient:X6', '2026-05-01T07:30:00Z'), provider: 'provider:P2' }, // another provider
    entry('w-busy', 'patient:X3', '2026-05-01T08:00:00Z'), // patient busy
    { ...entry('w-late', 'patient:X7', '2026-05-01T08:30:00Z'), window: { start: '2026-05-05T09:15:00Z', end: window.end } }, // window starts after the slot
    entry('w1', 'patient:X2', '2026-05-01T10:00:00Z'),
    entry('w2', 'patient:X8', '2026-05-01T11:00:00Z'),
  ])
  const offer = list.offer(freed, ledger, NOW, 15)
  assert.deepEqual(offer, {
    entryId: 'w1',
    patient: 'patient:X2',
    start: '2026-05-05T09:00:00Z',
    end: '2026-05-05T09:30:00Z',
    holdExpires: '2026-05-04T08:15:00Z',
  })
  assert.ok(Object.isFrozen(offer))
  assert.equal(list.size, 6)
  const hold = makeHold(offer, 'provider:P1', 'h1')
  assert.ok(hold instanceof Booking)
  assert.deepEqual([hold.id, hold.status, hold.resources, hold.start, hold.end, hold.holdExpires], [
    'h1', 'held', ['provider:P1', 'patient:X2'], '2026-05-05T09:00:00Z', '2026-05-05T09:30:00Z', '2026-05-04T08:15:00Z',
  ])
  assert.equal(ledger.book(hold, NOW).kind, 'booked')
  // The slot is held now, so it is not offered twice; once the hold lapses it is again (to w1).
  assert.equal(list.offer(freed, ledger, NOW, 15), null)
  assert.equal(list.offer(freed, ledger, '2026-05-04T08:15:00Z', 15).entryId, 'w1')
  // A slot that has started is not offered.
  assert.equal(new Waitlist([entry('w1', 'patient:X2', NOW)]).offer(freed, new Ledger(), '2026-05-05T09:00:00Z', 15), null)
  // The hold's length: 1 to 10080 minutes.
  for (const bad of [0, hcas.MAX_HOLD_MINUTES + 1, 2.5]) {
    const e = thrown(() => list.offer(freed, ledger, NOW, bad))
    assert.ok(e instanceof hcas.InvalidDurationError, `${bad}: ${e}`)
  }
  assert.ok(thrown(() => list.offer(freed, ledger, NOW)) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => list.offer({}, ledger, NOW, 15)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => makeHold({ ...offer, holdExpires: 'later' }, 'provider:P1', 'h2')) instanceof hcas.InvalidDatetimeError)
  assert.ok(thrown(() => makeHold(offer, 'provider:P1', 'bad id')) instanceof hcas.InvalidRequestError)
})
