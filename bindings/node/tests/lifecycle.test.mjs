// The appointment lifecycle through the installed package. Expectations are
// read by hand off the engine's documented table and clock rules
// (crates/hcas-core/src/lifecycle: TRANSITIONS, legal_targets,
// reason_required, and the clock table in the module docs), not printed
// from the code.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Booking, Ledger, LifecyclePolicy, transition, apply } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

// Booked 09:00-09:30 on 4 May 2026.
const appt = new Booking('a1', ['provider:P1', 'patient:X1'], '2026-05-04T09:00:00Z', '2026-05-04T09:30:00Z')

test('the table: legalTargets, allowedActors, reasonRequired, isTerminal', () => {
  assert.deepEqual(hcas.PARTIES, ['patient', 'practitioner', 'staff', 'system'])
  assert.deepEqual(hcas.OUTCOME_KINDS, ['cancelled', 'late_cancellation', 'no_show', 'slot_freed'])
  assert.deepEqual(hcas.legalTargets('booked'), ['arrived', 'checked-in', 'cancelled', 'noshow', 'entered-in-error'])
  assert.deepEqual(hcas.legalTargets('fulfilled'), ['entered-in-error'])
  assert.deepEqual(hcas.legalTargets('entered-in-error'), [])
  // A patient cannot record a no-show; only staff corrects an error.
  assert.deepEqual(hcas.allowedActors('booked', 'noshow'), ['practitioner', 'staff', 'system'])
  assert.deepEqual(hcas.allowedActors('cancelled', 'entered-in-error'), ['staff'])
  assert.equal(hcas.allowedActors('booked', 'held'), null)
  assert.equal(hcas.reasonRequired('booked', 'cancelled'), true)
  assert.equal(hcas.reasonRequired('held', 'cancelled'), false)
  assert.equal(hcas.reasonRequired('fulfilled', 'entered-in-error'), true)
  assert.equal(hcas.isTerminal('noshow'), true)
  assert.equal(hcas.isTerminal('booked'), false)
  const bad = thrown(() => hcas.legalTargets('done'))
  assert.ok(bad instanceof hcas.InvalidRequestError && /done/.test(bad.message), String(bad))
  assert.ok(thrown(() => hcas.isTerminal(3)) instanceof hcas.InvalidRequestError)
})

test('LifecyclePolicy: defaults, overrides, bounds', () => {
  const d = new LifecyclePolicy()
  assert.deepEqual([d.lateCancelMinutes, d.noshowGraceMinutes, d.checkinOpensMinutes], [1440, 15, 60])
  assert.ok(Object.isFrozen(d))
  const p = new LifecyclePolicy({ lateCancelMinutes: 120, noshowGraceMinutes: 5 })
  assert.deepEqual([p.lateCancelMinutes, p.noshowGraceMinutes, p.checkinOpensMinutes], [120, 5, 60])
  // 366 days is the most any field may be.
  assert.equal(new LifecyclePolicy({ checkinOpensMinutes: 366 * 1440 }).checkinOpensMinutes, 527040)
  for (const bad of [-1, 366 * 1440 + 1, 1.5]) {
    const e = thrown(() => new LifecyclePolicy({ lateCancelMinutes: bad }))
    assert.ok(e instanceof hcas.InvalidDurationError, `${bad}: ${e}`)
  }
  assert.ok(thrown(() => new LifecyclePolicy({ lateCancelMinutes: '60' })) instanceof hcas.InvalidDurationError)
  assert.ok(thrown(() => new LifecyclePolicy({ lateCancel: 60 })) instanceof hcas.InvalidRequestError)
})

test('transition: cancellation outcomes under two policies', () => {
  // Cancelled by the patient at 07:00, two hours ahead: late under the 24-hour default.
  const req = { to: 'cancelled', actor: 'patient', now: '2026-05-04T07:00:00Z', reason: 'flu' }
  const done = transition(appt, req)
  assert.deepEqual(done, {
    from: 'booked',
    to: 'cancelled',
    outcomes: [{ kind: 'cancelled' }, { kind: 'late_cancellation', minutesBeforeStart: 120 }, { kind: 'slot_freed' }],
  })
  assert.ok(Object.isFrozen(done) && Object.isFrozen(done.outcomes) && Object.isFrozen(done.outcomes[1]))
  // Under a 1-hour policy (given as a class or as options) it is not late.
  const lenient = [{ kind: 'cancelled' }, { kind: 'slot_freed' }]
  assert.deepEqual(transition(appt, req, new LifecyclePolicy({ lateCancelMinutes: 60 })).outcomes, lenient)
  assert.deepEqual(transition(appt, req, { lateCancelMinutes: 60 }).outcomes, lenient)
  // 90 minutes and 30 seconds ahead: rounded down to 90.
  const late = transition(appt, { ...req, now: new Date('2026-05-04T07:29:30Z') }).outcomes[1]
  assert.deepEqual(late, { kind: 'late_cancellation', minutesBeforeStart: 90 })
  // Nothing changed: the booking is still booked.
  assert.equal(appt.status, 'booked')
})

test('transition: the errors, in the engine order', () => {
  const at = (now, to, actor, reason) => () => transition(appt, { to, actor, now, reason })
  // Same status, and a change not in the table.
  assert.ok(thrown(at('2026-05-04T07:00:00Z', 'booked', 'staff')) instanceof hcas.InvalidTransitionError)
  const held = thrown(at('2026-05-04T07:00:00Z', 'held', 'staff'))
  assert.ok(held instanceof hcas.InvalidTransitionError && /arrived/.test(held.message), String(held))
  // The actor: a patient cannot record their own no-show.
  const who = thrown(at('2026-05-04T09:20:00Z', 'noshow', 'patient'))
  assert.ok(who instanceof hcas.NotPermittedError && who.code === 'not_permitted', String(who))
  // The clock: a no-show from 09:15 (15 minutes' grace), check-in from 08:00 (60 minutes ahead).
  assert.ok(thrown(at('2026-05-04T09:14:59Z', 'noshow', 'staff')) instanceof hcas.InvalidTransitionError)
  assert.deepEqual(transition(appt, { to: 'noshow', actor: 'staff', now: '2026-05-04T09:15:00Z' }).outcomes, [{ kind: 'no_show' }])
  assert.ok(thrown(at('2026-05-04T07:59:59Z', 'arrived', 'staff')) instanceof hcas.InvalidTransitionError)
  assert.deepEqual(transition(appt, { to: 'arrived', actor: 'staff', now: '2026-05-04T08:00:00Z' }), { from: 'booked', to: 'arrived', outcomes: [] })
  // Cancelling after the start is refused; before it, a reason is required.
  assert.ok(thrown(at('2026-05-04T09:00:00Z', 'cancelled', 'staff', 'x')) instanceof hcas.InvalidTransitionError)
  const why = thrown(at('2026-05-04T07:00:00Z', 'cancelled', 'staff', '  '))
  assert.ok(why instanceof hcas.InvalidRequestError && /reason/.test(why.message), String(why))
  // Wrapper checks: the party, the request's shape, the booking.
  const party = thrown(at('2026-05-04T07:00:00Z', 'cancelled', 'doctor', 'x'))
  assert.ok(party instanceof hcas.InvalidRequestError && /doctor/.test(party.message), String(party))
  assert.ok(thrown(() => transition(appt, { to: 'cancelled', actor: 'staff', now: '2026-05-04T07:00:00Z', why: 'x' })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => transition({}, { to: 'cancelled', actor: 'staff', now: 0 })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => transition(appt, { to: 'cancelled', actor: 'staff' })) instanceof hcas.InvalidDatetimeError)
  assert.ok(thrown(() => transition(appt, { to: 'cancelled', actor: 'staff', now: 0, reason: 'x' }, { lateCancelMinutes: -5 })) instanceof hcas.InvalidDurationError)
  // A hold cannot be confirmed once it has lapsed.
  const hold = new Booking('h1', ['provider:P1'], '2026-05-04T10:00:00Z', '2026-05-04T10:30:00Z', { status: 'held', holdExpires: '2026-05-04T08:00:00Z' })
  assert.deepEqual(transition(hold, { to: 'booked', actor: 'patient', now: '2026-05-04T07:59:00Z' }).outcomes, [])
  assert.ok(thrown(() => transition(hold, { to: 'booked', actor: 'patient', now: '2026-05-04T08:00:00Z' })) instanceof hcas.InvalidTransitionError)
})

test('apply: records the status and reason, refuses to overbook', () => {
  const ledger = new Ledger([appt])
  const done = apply(ledger, 'a1', { to: 'cancelled', actor: 'staff', now: '2026-05-01T09:00:00Z', reason: 'provider ill' })
  // Three days ahead: not late; the slot is freed.
  assert.deepEqual(done.outcomes, [{ kind: 'cancelled' }, { kind: 'slot_freed' }])
  const a1 = ledger.get('a1')
  assert.deepEqual([a1.status, a1.cancelReason], ['cancelled', 'provider ill'])
  // A proposed booking on a provider already booked then cannot become booked.
  ledger.insert(new Booking('b1', ['provider:P2'], '2026-05-05T09:00:00Z', '2026-05-05T09:30:00Z'))
  ledger.insert(new Booking('p1', ['provider:P2'], '2026-05-05T09:15:00Z', '2026-05-05T09:45:00Z', { status: 'proposed' }))
  const over = thrown(() => apply(ledger, 'p1', { to: 'booked', actor: 'staff', now: '2026-05-01T09:00:00Z' }))
  assert.ok(over instanceof hcas.InvalidTransitionError && /b1/.test(over.message), String(over))
  assert.equal(ledger.get('p1').status, 'proposed')
  const none = thrown(() => apply(ledger, 'zz', { to: 'cancelled', actor: 'staff', now: 0, reason: 'x' }))
  assert.ok(none instanceof hcas.InvalidRequestError, String(none))
  assert.ok(thrown(() => apply([], 'a1', { to: 'cancelled', actor: 'staff', now: 0 })) instanceof hcas.InvalidRequestError)
})
