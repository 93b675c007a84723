// The bookings ledger and its conflict check through the installed package.
// Every expectation is worked out by hand from the rules in the comments:
// a booking blocks its resources over [start, end) when its status occupies
// (pending, booked, arrived, checked-in, fulfilled; held only until its hold
// lapses), touching is not overlapping, and a resource of capacity n takes n
// overlapping bookings before the next conflicts.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Booking, Ledger } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

const NOW = '2026-03-01T00:00:00Z'

test('Booking: fields, defaults and blocks', () => {
  const b = new Booking('b1', ['provider:P1', 'room:R1'], new Date('2026-03-02T09:00:00Z'), '2026-03-02T09:30:00Z')
  assert.equal(b.id, 'b1')
  assert.deepEqual(b.resources, ['provider:P1', 'room:R1'])
  assert.equal(b.start, '2026-03-02T09:00:00Z')
  assert.equal(b.end, '2026-03-02T09:30:00Z')
  assert.equal(b.status, 'booked')
  assert.equal(b.holdExpires, null)
  assert.equal(b.blocks(NOW), true)
  // A hold lapses at 10:00: it blocks at 09:59:59, not at 10:00.
  const h = new Booking('h1', ['provider:P1'], '2026-03-02T11:00:00Z', '2026-03-02T11:30:00Z', { status: 'held', holdExpires: '2026-03-02T10:00:00Z' })
  assert.equal(h.holdExpires, '2026-03-02T10:00:00Z')
  assert.equal(h.blocks('2026-03-02T09:59:59Z'), true)
  assert.equal(h.blocks('2026-03-02T10:00:00Z'), false)
  assert.equal(new Booking('c1', ['provider:P1'], NOW, '2026-03-01T01:00:00Z', { status: 'cancelled' }).blocks(NOW), false)
  assert.deepEqual(hcas.STATUSES, ['proposed', 'pending', 'booked', 'arrived', 'checked-in', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'waitlist', 'held'])
})

test('Booking errors carry their class and code', () => {
  const iv = thrown(() => new Booking('b', ['provider:P1'], '2026-03-02T10:00:00Z', '2026-03-02T09:00:00Z'))
  assert.ok(iv instanceof hcas.InvalidIntervalError, String(iv))
  const st = thrown(() => new Booking('b', ['provider:P1'], NOW, '2026-03-02T09:00:00Z', { status: 'confirmed' }))
  assert.ok(st instanceof hcas.InvalidRequestError && /confirmed/.test(st.message), String(st))
  const hold = thrown(() => new Booking('b', ['provider:P1'], NOW, '2026-03-02T09:00:00Z', { status: 'held' }))
  assert.ok(hold instanceof hcas.InvalidRequestError && /hold/.test(hold.message), String(hold))
  const none = thrown(() => new Booking('b', [], NOW, '2026-03-02T09:00:00Z'))
  assert.ok(none instanceof hcas.InvalidRequestError, String(none))
  const str = thrown(() => new Booking('b', 'provider:P1', NOW, '2026-03-02T09:00:00Z'))
  assert.ok(str instanceof hcas.InvalidRequestError && /^resources/.test(str.message), String(str))
  const when = thrown(() => new Booking('b', ['provider:P1'], 'monday', '2026-03-02T09:00:00Z'))
  assert.ok(when instanceof hcas.InvalidDatetimeError, String(when))
})

test('Ledger: insert, get, remove, bookings in order', () => {
  const b2 = new Booking('b2', ['provider:P1'], '2026-03-02T10:00:00Z', '2026-03-02T10:30:00Z')
  const a1 = new Booking('a1', ['provider:P2'], '2026-03-02T10:00:00Z', '2026-03-02T10:30:00Z')
  const b1 = new Booking('b1', ['provider:P1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z')
  const ledger = new Ledger([b2, a1, b1])
  assert.equal(ledger.size, 3)
  // By start, then id: b1 (09:00), then a1 and b2 (10:00).
  assert.deepEqual(ledger.bookings().map((b) => b.id), ['b1', 'a1', 'b2'])
  const got = ledger.get('a1')
  assert.ok(got instanceof Booking)
  assert.deepEqual([got.id, got.resources, got.start], ['a1', ['provider:P2'], '2026-03-02T10:00:00Z'])
  assert.equal(ledger.get('zz'), null)
  const dup = thrown(() => ledger.insert(new Booking('b1', ['provider:P3'], NOW, '2026-03-01T01:00:00Z')))
  assert.ok(dup instanceof hcas.InvalidRequestError, String(dup))
  assert.ok(thrown(() => ledger.insert({ id: 'x' })) instanceof hcas.InvalidRequestError)
  assert.equal(ledger.remove('b2').id, 'b2')
  assert.equal(ledger.remove('b2'), null)
  assert.equal(ledger.size, 2)
})

test('Ledger.check: overlaps, touching, holds, capacity', () => {
  const ledger = new Ledger([
    new Booking('b1', ['provider:P1', 'room:R1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z'),
    new Booking('h1', ['provider:P1'], '2026-03-02T10:00:00Z', '2026-03-02T10:30:00Z', { status: 'held', holdExpires: '2026-03-02T08:00:00Z' }),
    new Booking('c1', ['room:R1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z', { status: 'cancelled' }),
  ])
  // 09:15-09:45 overlaps b1 on both of its resources; the cancelled c1 does not block.
  assert.deepEqual(ledger.check(['room:R1', 'provider:P1'], '2026-03-02T09:15:00Z', '2026-03-02T09:45:00Z', NOW), [
    { resource: 'provider:P1', bookings: ['b1'] },
    { resource: 'room:R1', bookings: ['b1'] },
  ])
  // 09:30-10:00 touches b1's end: free.
  assert.deepEqual(ledger.check(['provider:P1'], '2026-03-02T09:30:00Z', '2026-03-02T10:00:00Z', NOW), [])
  // The hold blocks 10:00-10:30 before 08:00 and not after.
  const at = (now) => ledger.check(['provider:P1'], '2026-03-02T10:00:00Z', '2026-03-02T10:30:00Z', now)
  assert.deepEqual(at('2026-03-02T07:59:00Z'), [{ resource: 'provider:P1', bookings: ['h1'] }])
  assert.deepEqual(at('2026-03-02T08:00:00Z'), [])
  // A room of capacity 2 takes b1 plus one more overlapping booking.
  assert.equal(ledger.capacity('room:R1'), 1)
  ledger.setCapacity('room:R1', 2)
  assert.equal(ledger.capacity('room:R1'), 2)
  assert.deepEqual(ledger.check(['room:R1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z', NOW), [])
  ledger.insert(new Booking('b2', ['room:R1'], '2026-03-02T09:10:00Z', '2026-03-02T09:20:00Z'))
  assert.deepEqual(ledger.check(['room:R1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z', NOW), [
    { resource: 'room:R1', bookings: ['b1', 'b2'] },
  ])
  for (const bad of [0, 1.5, -1, '2']) {
    const e = thrown(() => ledger.setCapacity('room:R1', bad))
    assert.ok(e instanceof hcas.InvalidRequestError, `${bad}: ${e}`)
  }
  const iv = thrown(() => ledger.check(['provider:P1'], '2026-03-02T10:00:00Z', '2026-03-02T09:00:00Z', NOW))
  assert.ok(iv instanceof hcas.InvalidIntervalError, String(iv))
})
