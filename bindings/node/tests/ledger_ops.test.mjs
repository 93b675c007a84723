// The ledger's atomic operations through the installed package: book (with
// idempotency keys), hold / confirmHold, reschedule, moveBooking, blockingOn
// and check's options. Every expectation is worked out by hand from the
// engine's documented rules (crates/hcas-core/src/booking): a booking blocks
// over [start, end) while its status occupies (a hold only until it lapses),
// touching is not overlapping, a key is remembered for 24 hours after its
// first use, and a reschedule or move does not count the booking it changes.
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
const at = (hhmm) => `2026-03-02T${hhmm}:00Z`

/** A ledger holding a1: provider P1 and patient X1, 09:00-09:30 on 2 March. */
function withA1() {
  const ledger = new Ledger()
  const out = ledger.book(new Booking('a1', ['provider:P1', 'patient:X1'], at('09:00'), at('09:30')), NOW)
  assert.equal(out.kind, 'booked')
  return ledger
}

test('Booking links: series, cancelReason, replaces, replacedBy, sameRequest', () => {
  const b = new Booking('physio.20260302T090000', ['provider:P1'], at('09:00'), at('09:30'), {
    status: 'cancelled',
    series: { id: 'physio', recurrenceId: '2026-03-02T09:00:00' },
    cancelReason: 'flu',
    replaces: 'old',
    replacedBy: 'new',
  })
  assert.deepEqual(b.series, { id: 'physio', recurrenceId: '2026-03-02T09:00:00' })
  assert.ok(Object.isFrozen(b.series))
  assert.deepEqual([b.cancelReason, b.replaces, b.replacedBy], ['flu', 'old', 'new'])
  const plain = new Booking('x', ['provider:P1'], at('09:00'), at('09:30'))
  assert.deepEqual([plain.series, plain.cancelReason, plain.replaces, plain.replacedBy], [null, null, null, null])
  // Same interval and resources, another id and status: the same request.
  assert.equal(plain.sameRequest(b), true)
  assert.equal(plain.sameRequest(new Booking('y', ['provider:P1'], at('09:00'), at('09:45'))), false)
  assert.equal(plain.sameRequest(new Booking('y', ['provider:P2'], at('09:00'), at('09:30'))), false)
  assert.ok(thrown(() => plain.sameRequest({})) instanceof hcas.InvalidRequestError)
  const badRef = thrown(() => new Booking('x', ['provider:P1'], at('09:00'), at('09:30'), { series: { id: 'physio' } }))
  assert.ok(badRef instanceof hcas.InvalidRequestError && /series\.recurrenceId/.test(badRef.message), String(badRef))
  const unknown = thrown(() => new Booking('x', ['provider:P1'], at('09:00'), at('09:30'), { colour: 'red' }))
  assert.ok(unknown instanceof hcas.InvalidRequestError && /colour/.test(unknown.message), String(unknown))
})

test('book: booked, then a conflict that changes nothing', () => {
  const ledger = withA1()
  assert.deepEqual(hcas.BOOK_OUTCOME_KINDS, ['booked', 'existing', 'conflict'])
  const a1 = ledger.get('a1')
  assert.equal(a1.status, 'booked')
  // a2 wants P1 09:15-09:45: P1 is taken by a1; X2 is free.
  const out = ledger.book(new Booking('a2', ['provider:P1', 'patient:X2'], at('09:15'), at('09:45')), NOW)
  assert.equal(out.kind, 'conflict')
  assert.equal(out.ok, false)
  assert.equal(out.booking, null)
  assert.deepEqual(out.conflicts, [{ resource: 'provider:P1', bookings: ['a1'] }])
  assert.ok(Object.isFrozen(out) && Object.isFrozen(out.conflicts))
  assert.equal(ledger.size, 1)
  // The same shape as check answers for the same question.
  assert.deepEqual(ledger.check(['provider:P1', 'patient:X2'], at('09:15'), at('09:45'), NOW), out.conflicts.map((c) => ({ ...c })))
  // Touching a1's end is free.
  const touch = ledger.book(new Booking('a3', ['provider:P1'], at('09:30'), at('10:00')), NOW)
  assert.deepEqual([touch.kind, touch.ok, touch.booking.id, touch.conflicts], ['booked', true, 'a3', []])
  // A reused id at a free time is refused.
  const dup = thrown(() => ledger.book(new Booking('a1', ['provider:P9'], at('12:00'), at('12:30')), NOW))
  assert.ok(dup instanceof hcas.InvalidRequestError, String(dup))
  assert.ok(thrown(() => ledger.book({ id: 'a9' }, NOW)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => ledger.book(a1, 'yesterday')) instanceof hcas.InvalidDatetimeError)
})

test('book: idempotency keys answer the booking they made, for 24 hours', () => {
  assert.equal(hcas.IDEMPOTENCY_TTL_SECONDS, 24 * 60 * 60)
  const ledger = new Ledger()
  const first = ledger.book(new Booking('k1', ['provider:P1'], at('09:00'), at('09:30')), NOW, { idempotencyKey: 'req-1' })
  assert.equal(first.kind, 'booked')
  assert.equal(ledger.idempotencyKeys(), 1)
  // The same request again under the key (another id does not count): the first booking.
  const again = ledger.book(new Booking('k1-retry', ['provider:P1'], at('09:00'), at('09:30')), NOW, { idempotencyKey: 'req-1' })
  assert.deepEqual([again.kind, again.ok, again.booking.id], ['existing', true, 'k1'])
  assert.equal(ledger.size, 1)
  // The key for another interval: refused.
  const other = thrown(() => ledger.book(new Booking('k2', ['provider:P1'], at('10:00'), at('10:30')), NOW, { idempotencyKey: 'req-1' }))
  assert.ok(other instanceof hcas.InvalidRequestError && /req-1/.test(other.message), String(other))
  // First used at NOW: kept one second before NOW + 24 h, forgotten at it.
  ledger.expireIdempotencyKeys('2026-03-01T23:59:59Z')
  assert.equal(ledger.idempotencyKeys(), 1)
  ledger.expireIdempotencyKeys('2026-03-02T00:00:00Z')
  assert.equal(ledger.idempotencyKeys(), 0)
  const bad = thrown(() => ledger.book(new Booking('k3', ['provider:P1'], at('11:00'), at('11:30')), NOW, { idempotencyKey: 7 }))
  assert.ok(bad instanceof hcas.InvalidRequestError, String(bad))
  assert.ok(thrown(() => ledger.book(new Booking('k3', ['provider:P1'], at('11:00'), at('11:30')), NOW, { key: 'x' })) instanceof hcas.InvalidRequestError)
})

test('hold and confirmHold', () => {
  const ledger = new Ledger()
  // A 15-minute hold placed at midnight lapses at 00:15.
  const h = ledger.hold('h1', ['provider:P1'], at('10:00'), at('10:30'), NOW, { length: 15 })
  assert.deepEqual([h.kind, h.booking.status, h.booking.holdExpires], ['booked', 'held', '2026-03-01T00:15:00Z'])
  assert.deepEqual(ledger.check(['provider:P1'], at('10:00'), at('10:30'), '2026-03-01T00:14:00Z'), [{ resource: 'provider:P1', bookings: ['h1'] }])
  assert.deepEqual(ledger.check(['provider:P1'], at('10:00'), at('10:30'), '2026-03-01T00:15:00Z'), [])
  // Another hold on the same slot while h1 is live conflicts.
  const clash = ledger.hold('h2', ['provider:P1'], at('10:15'), at('10:45'), NOW, { expires: '2026-03-01T00:30:00Z' })
  assert.deepEqual([clash.kind, clash.conflicts], ['conflict', [{ resource: 'provider:P1', bookings: ['h1'] }]])
  // Confirmed before it lapses: booked, no expiry.
  const ok = ledger.confirmHold('h1', '2026-03-01T00:10:00Z')
  assert.deepEqual([ok.kind, ok.booking.id, ok.booking.status, ok.booking.holdExpires], ['booked', 'h1', 'booked', null])
  assert.equal(ledger.get('h1').status, 'booked')
  // A lapsed hold cannot be confirmed.
  ledger.hold('h3', ['provider:P1'], at('11:00'), at('11:30'), NOW, { expires: new Date('2026-03-01T00:05:00Z') })
  const lapsed = thrown(() => ledger.confirmHold('h3', '2026-03-01T00:06:00Z'))
  assert.ok(lapsed instanceof hcas.InvalidTransitionError, String(lapsed))
  // A hold whose slot was taken meanwhile (loaded with insert) answers the conflict.
  ledger.hold('h4', ['room:R9'], at('12:00'), at('12:30'), NOW, { length: 60 })
  ledger.insert(new Booking('x', ['room:R9'], at('12:00'), at('12:30')))
  const taken = ledger.confirmHold('h4', '2026-03-01T00:10:00Z')
  assert.deepEqual([taken.kind, taken.booking, taken.conflicts], ['conflict', null, [{ resource: 'room:R9', bookings: ['x'] }]])
  assert.equal(ledger.get('h4').status, 'held')
  // Errors: not a hold, unknown, neither or both of expires/length, a lapse not after now.
  assert.ok(thrown(() => ledger.confirmHold('x', NOW)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => ledger.confirmHold('zz', NOW)) instanceof hcas.InvalidRequestError)
  const slot = ['h9', ['provider:P2'], at('13:00'), at('13:30'), NOW]
  assert.ok(thrown(() => ledger.hold(...slot, {})) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => ledger.hold(...slot, { length: 5, expires: '2026-03-01T01:00:00Z' })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => ledger.hold(...slot, { expires: NOW })) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => ledger.hold(...slot, { length: 0 })) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => ledger.hold(...slot, { length: 1.5 })) instanceof hcas.InvalidDurationError)
  assert.equal(ledger.get('h9'), null)
})

test('reschedule: book the new, cancel the old, linked both ways', () => {
  const ledger = withA1()
  ledger.insert(new Booking('b1', ['provider:P1'], at('11:00'), at('11:30')))
  // 09:15-09:45 overlaps a1 itself, which does not count against its replacement.
  const out = ledger.reschedule('a1', new Booking('a1b', ['provider:P1', 'patient:X1'], at('09:15'), at('09:45')), NOW, 'patient asked')
  assert.deepEqual([out.kind, out.booking.id, out.booking.replaces, out.booking.start], ['booked', 'a1b', 'a1', at('09:15')])
  const old = ledger.get('a1')
  assert.deepEqual([old.status, old.cancelReason, old.replacedBy], ['cancelled', 'patient asked', 'a1b'])
  // A cancelled booking cannot be rescheduled again.
  const again = thrown(() => ledger.reschedule('a1', new Booking('a1c', ['provider:P1'], at('15:00'), at('15:30')), NOW, 'x'))
  assert.ok(again instanceof hcas.InvalidRequestError && /cancelled/.test(again.message), String(again))
  // Onto b1's time: a conflict, nothing changed.
  const clash = ledger.reschedule('a1b', new Booking('a1d', ['provider:P1', 'patient:X1'], at('11:15'), at('11:45')), NOW, 'later')
  assert.deepEqual([clash.kind, clash.conflicts], ['conflict', [{ resource: 'provider:P1', bookings: ['b1'] }]])
  assert.equal(ledger.get('a1b').status, 'booked')
  assert.equal(ledger.get('a1d'), null)
  assert.ok(thrown(() => ledger.reschedule('zz', new Booking('n', ['provider:P1'], at('15:00'), at('15:30')), NOW, 'x')) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => ledger.reschedule('a1b', new Booking('n', ['provider:P1'], at('15:00'), at('15:30')), NOW)) instanceof hcas.InvalidRequestError)
})

test('moveBooking, blockingOn and check options', () => {
  const ledger = withA1()
  ledger.insert(new Booking('b1', ['provider:P1'], at('10:00'), at('10:30')))
  ledger.insert(new Booking('c1', ['provider:P1'], at('08:00'), at('08:30'), { status: 'cancelled' }))
  // Onto b1: a conflict, a1 stays.
  const clash = ledger.moveBooking('a1', at('10:15'), at('10:45'), NOW)
  assert.deepEqual([clash.kind, clash.conflicts], ['conflict', [{ resource: 'provider:P1', bookings: ['b1'] }]])
  assert.equal(ledger.get('a1').start, at('09:00'))
  // 09:10-09:40 overlaps only a1's own old time: moved, same id and resources.
  const moved = ledger.moveBooking('a1', at('09:10'), at('09:40'), NOW)
  assert.deepEqual([moved.kind, moved.booking.id, moved.booking.start, moved.booking.end], ['booked', 'a1', at('09:10'), at('09:40')])
  assert.deepEqual(ledger.get('a1').resources, ['provider:P1', 'patient:X1'])
  assert.ok(thrown(() => ledger.moveBooking('zz', at('09:10'), at('09:40'), NOW)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => ledger.moveBooking('a1', at('09:40'), at('09:10'), NOW)) instanceof hcas.InvalidIntervalError)
  // Blocking P1 over the morning, by start: a1 (09:10), b1 (10:00); the cancelled c1 does not block.
  assert.deepEqual(ledger.blockingOn('provider:P1', at('00:00'), at('12:00'), NOW).map((b) => b.id), ['a1', 'b1'])
  assert.deepEqual(ledger.blockingOn('provider:P1', at('09:40'), at('10:00'), NOW), [])
  // check: excluding a1 frees its time; an extra booking counts as if it were there.
  assert.deepEqual(ledger.check(['provider:P1'], at('09:00'), at('09:30'), NOW, { exclude: 'a1' }), [])
  const extra = new Booking('e1', ['provider:P1'], at('09:00'), at('09:20'))
  assert.deepEqual(ledger.check(['provider:P1'], at('09:00'), at('09:30'), NOW, { exclude: 'a1', extra: [extra] }), [
    { resource: 'provider:P1', bookings: ['e1'] },
  ])
  assert.deepEqual(ledger.check(['provider:P1'], at('09:00'), at('09:30'), NOW, { extra: [extra] }), [
    { resource: 'provider:P1', bookings: ['a1', 'e1'] },
  ])
  assert.ok(thrown(() => ledger.check(['provider:P1'], at('09:00'), at('09:30'), NOW, { extra: [{}] })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => ledger.check(['provider:P1'], at('09:00'), at('09:30'), NOW, { excluding: 'a1' })) instanceof hcas.InvalidRequestError)
})
