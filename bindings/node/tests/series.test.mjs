// Recurring series through the installed package. The scenarios are the
// engine's documented ones (crates/hcas-core/src/series), with every
// instant worked out by hand: Europe/London is GMT (UTC+0) until 29 March
// 2026 01:00Z and BST (UTC+1) after, so 09:00 local in May is 08:00Z and
// 10:00 local on 31 March is 09:00Z.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Booking, Ledger, Recurrence, SeriesSpec } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

const weekly = () =>
  new SeriesSpec('physio', new Recurrence('FREQ=WEEKLY;COUNT=3', '2026-05-05T09:00', 'Europe/London'), 45, ['provider:P1', 'patient:X1'])

test('SeriesSpec: fields, occurrences, ids', () => {
  assert.deepEqual(hcas.SERIES_POLICIES, ['all_or_nothing', 'book_free'])
  assert.deepEqual(hcas.EDIT_SCOPES, ['this', 'this_and_following', 'all'])
  const spec = weekly()
  assert.deepEqual([spec.id, spec.duration, spec.resources, spec.until], ['physio', 45, ['provider:P1', 'patient:X1'], null])
  assert.ok(spec.recurrence instanceof Recurrence)
  assert.deepEqual(spec.occurrences(), [
    { recurrenceId: '2026-05-05T09:00:00', start: '2026-05-05T08:00:00Z', end: '2026-05-05T08:45:00Z' },
    { recurrenceId: '2026-05-12T09:00:00', start: '2026-05-12T08:00:00Z', end: '2026-05-12T08:45:00Z' },
    { recurrenceId: '2026-05-19T09:00:00', start: '2026-05-19T08:00:00Z', end: '2026-05-19T08:45:00Z' },
  ])
  assert.equal(spec.occurrenceId('2026-05-12T09:00'), 'physio.20260512T090000')
  // An open-ended rule needs until; with it, the daily rule stops before it.
  const open = new Recurrence('FREQ=DAILY', '2026-05-04T09:00', 'UTC')
  const noEnd = thrown(() => new SeriesSpec('s1', open, 30, ['provider:P1']).occurrences())
  assert.ok(noEnd instanceof hcas.InvalidRequestError && /until/.test(noEnd.message), String(noEnd))
  const bounded = new SeriesSpec('s1', open, 30, ['provider:P1'], { until: '2026-05-06T09:00:00Z' })
  assert.equal(bounded.until, '2026-05-06T09:00:00Z')
  assert.deepEqual(bounded.occurrences().map((o) => o.start), ['2026-05-04T09:00:00Z', '2026-05-05T09:00:00Z'])
  // Bad parts.
  assert.ok(thrown(() => new SeriesSpec('a b', open, 30, ['provider:P1'], { until: 0 }).occurrences()) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => new SeriesSpec('s', 'FREQ=DAILY', 30, ['provider:P1'])) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => new SeriesSpec('s', open, 0, ['provider:P1'], { until: '2026-05-06T09:00:00Z' }).occurrences()) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => new SeriesSpec('s', open, 2.5, ['provider:P1'])) instanceof hcas.InvalidDurationError)
})

test('SeriesSpec: plan and book by both policies', () => {
  const spec = weekly()
  const ledger = new Ledger()
  // The provider is away on 12 May 08:00Z-09:00Z (09:00-10:00 BST).
  ledger.insert(new Booking('leave', ['provider:P1'], '2026-05-12T08:00:00Z', '2026-05-12T09:00:00Z'))
  const now = '2026-05-01T00:00:00Z'
  const plan = spec.plan(ledger, now)
  assert.deepEqual(plan.map((o) => [o.id, o.ok, o.booked]), [
    ['physio.20260505T090000', true, false],
    ['physio.20260512T090000', false, false],
    ['physio.20260519T090000', true, false],
  ])
  assert.deepEqual(plan[1].conflicts, [{ resource: 'provider:P1', bookings: ['leave'] }])
  assert.deepEqual([plan[1].recurrenceId, plan[1].start, plan[1].end], ['2026-05-12T09:00:00', '2026-05-12T08:00:00Z', '2026-05-12T08:45:00Z'])
  // All or nothing (the default): nothing booked.
  const all = spec.book(ledger, now)
  assert.equal(all.booked, false)
  assert.equal(ledger.size, 1)
  // Book free: the first and third.
  const free = spec.book(ledger, now, { policy: 'book_free' })
  assert.equal(free.booked, true)
  assert.deepEqual(free.occurrences.map((o) => o.booked), [true, false, true])
  const first = ledger.get('physio.20260505T090000')
  assert.deepEqual([first.status, first.series, first.start], ['booked', { id: 'physio', recurrenceId: '2026-05-05T09:00:00' }, '2026-05-05T08:00:00Z'])
  assert.deepEqual(hcas.seriesBookings(ledger, 'physio').map((b) => b.id), ['physio.20260505T090000', 'physio.20260519T090000'])
  assert.deepEqual(hcas.seriesBookings(ledger, 'other'), [])
  // The same series id on a free provider: its occurrence ids are taken.
  const again = new SeriesSpec('physio', spec.recurrence, 45, ['provider:P9'])
  const taken = thrown(() => again.book(ledger, now, { policy: 'book_free' }))
  assert.ok(taken instanceof hcas.InvalidRequestError && /physio\.20260505T090000/.test(taken.message), String(taken))
  assert.equal(ledger.size, 3)
  assert.ok(thrown(() => spec.book(ledger, now, { policy: 'some' })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => spec.plan({}, now)) instanceof hcas.InvalidRequestError)
})

test('planShift and shiftOccurrences: a week later in wall time, all or nothing', () => {
  const london = new hcas.Zone('Europe/London')
  const spec = new SeriesSpec('physio', new Recurrence('FREQ=WEEKLY;COUNT=3', '2026-03-17T10:00', london), 60, ['provider:P1'])
  const now = '2026-03-01T00:00:00Z'
  const ledger = new Ledger()
  assert.equal(spec.book(ledger, now).booked, true)
  const edit = { occurrence: { id: 'physio', recurrenceId: '2026-03-17T10:00:00' }, scope: 'all', zone: london, actor: 'staff', shift: { days: 7 } }
  // 17 and 24 March are GMT; 31 March and 7 April BST: 10:00 local stays 10:00 local.
  const plan = hcas.planShift(hcas.seriesBookings(ledger, 'physio'), edit, now)
  assert.deepEqual(plan.moves, [
    { id: 'physio.20260317T100000', recurrenceId: '2026-03-17T10:00:00', start: '2026-03-24T10:00:00Z', end: '2026-03-24T11:00:00Z' },
    { id: 'physio.20260324T100000', recurrenceId: '2026-03-24T10:00:00', start: '2026-03-31T09:00:00Z', end: '2026-03-31T10:00:00Z' },
    { id: 'physio.20260331T100000', recurrenceId: '2026-03-31T10:00:00', start: '2026-04-07T09:00:00Z', end: '2026-04-07T10:00:00Z' },
  ])
  assert.deepEqual(plan.skipped, [])
  // A blocker on the last new time: nothing moves.
  ledger.insert(new Booking('block', ['provider:P1'], '2026-04-07T09:30:00Z', '2026-04-07T10:30:00Z'))
  const blocked = hcas.shiftOccurrences(ledger, edit, now)
  assert.equal(blocked.applied, false)
  assert.deepEqual(blocked.occurrences.map((o) => o.ok), [true, true, false])
  assert.deepEqual(blocked.occurrences[2].conflicts, [{ resource: 'provider:P1', bookings: ['block'] }])
  assert.equal(ledger.get('physio.20260317T100000').start, '2026-03-17T10:00:00Z')
  // Without it, every move is made; each lands on the next one's old slot, which does not count.
  ledger.remove('block')
  const done = hcas.shiftOccurrences(ledger, edit, now)
  assert.equal(done.applied, true)
  assert.deepEqual(done.occurrences.map((o) => o.booked), [true, true, true])
  assert.equal(ledger.get('physio.20260317T100000').start, '2026-03-24T10:00:00Z')
  assert.equal(ledger.get('physio.20260324T100000').start, '2026-03-31T09:00:00Z')
  // Errors: an unknown occurrence, a shift beyond 400 days, a bad scope, a fractional day.
  const unknown = thrown(() => hcas.shiftOccurrences(ledger, { ...edit, occurrence: { id: 'physio', recurrenceId: '2026-03-18T10:00:00' } }, now))
  assert.ok(unknown instanceof hcas.InvalidRequestError, String(unknown))
  assert.ok(thrown(() => hcas.shiftOccurrences(ledger, { ...edit, shift: { days: 401 } }, now)) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => hcas.shiftOccurrences(ledger, { ...edit, scope: 'some' }, now)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => hcas.planShift([], { ...edit, shift: { days: 0.5 } }, now)) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => hcas.planShift([], { ...edit, zone: 'Mars/Base' }, now)) instanceof hcas.InvalidTimezoneError)
  assert.ok(thrown(() => hcas.planShift([], { ...edit, occurrence: undefined }, now)) instanceof hcas.InvalidRequestError)
})

test('planCancel and cancelOccurrences: through the lifecycle', () => {
  const spec = new SeriesSpec('physio', new Recurrence('FREQ=DAILY;COUNT=3', '2026-05-04T09:00', 'UTC'), 30, ['provider:P1', 'patient:X1'])
  const ledger = new Ledger()
  spec.book(ledger, '2026-05-01T00:00:00Z')
  const all = { occurrence: { id: 'physio', recurrenceId: '2026-05-04T09:00:00' }, scope: 'all', actor: 'patient', reason: 'moving away' }
  // At 09:10 on 4 May the first has started (skipped); the second is 23 h 50 min ahead (late), the third 47 h 50 min (not).
  const plan = hcas.planCancel(hcas.seriesBookings(ledger, 'physio'), all, '2026-05-04T09:10:00Z')
  assert.deepEqual(plan.cancelled, [
    { id: 'physio.20260505T090000', recurrenceId: '2026-05-05T09:00:00', from: 'booked', outcomes: [{ kind: 'cancelled' }, { kind: 'late_cancellation', minutesBeforeStart: 1430 }, { kind: 'slot_freed' }] },
    { id: 'physio.20260506T090000', recurrenceId: '2026-05-06T09:00:00', from: 'booked', outcomes: [{ kind: 'cancelled' }, { kind: 'slot_freed' }] },
  ])
  assert.equal(plan.skipped.length, 1)
  const s = plan.skipped[0]
  assert.deepEqual([s.id, s.recurrenceId, s.status, s.code], ['physio.20260504T090000', '2026-05-04T09:00:00', 'booked', 'invalid_transition'])
  assert.ok(/physio\.20260504T090000/.test(s.message), s.message)
  assert.equal(ledger.get('physio.20260505T090000').status, 'booked')
  // This and following from the second, at 06:00 on 5 May: three hours ahead, late.
  const from2 = { ...all, occurrence: { id: 'physio', recurrenceId: '2026-05-05T09:00:00' }, scope: 'this_and_following' }
  const done = hcas.cancelOccurrences(ledger, from2, '2026-05-05T06:00:00Z')
  assert.deepEqual(done.cancelled.map((c) => c.id), ['physio.20260505T090000', 'physio.20260506T090000'])
  assert.deepEqual(done.cancelled[0].outcomes[1], { kind: 'late_cancellation', minutesBeforeStart: 180 })
  assert.equal(ledger.get('physio.20260504T090000').status, 'booked')
  const third = ledger.get('physio.20260506T090000')
  assert.deepEqual([third.status, third.cancelReason], ['cancelled', 'moving away'])
  // Errors: a blank reason, no reason, an unknown party.
  const blank = thrown(() => hcas.cancelOccurrences(ledger, { ...all, reason: ' ' }, '2026-05-01T00:00:00Z'))
  assert.ok(blank instanceof hcas.InvalidRequestError && /reason/.test(blank.message), String(blank))
  assert.ok(thrown(() => hcas.planCancel([], { ...all, reason: undefined }, 0)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => hcas.planCancel([], { ...all, actor: 'doctor' }, 0)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => hcas.planCancel([{}], all, 0)) instanceof hcas.InvalidRequestError)
})
