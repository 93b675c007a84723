// Checked by `tsc -p tests` (strict, noEmit) for a user of @hcas/engine-wasm:
// the ledger, lifecycle, explain/alternatives and consent API this build
// holds, under the declarations shipped with it (bindings/node/index.d.ts).
// Each @ts-expect-error line must be an error: a declaration that became
// `any` fails the check.
import * as hcas from '@hcas/engine-wasm'
import {
  Booking,
  CompiledConsents,
  Consent,
  Ledger,
  LifecyclePolicy,
  alternatives,
  bookingAllowed,
  decide,
  transition,
  type BookOutcome,
  type BookingVerdict,
  type Decision,
  type Explanation,
  type Party,
  type Transitioned,
} from '@hcas/engine-wasm'

const now = '2026-03-01T00:00:00Z'
const ledger = new Ledger()
const b = new Booking('a1', ['provider:P1'], '2026-03-02T09:00:00Z', new Date('2026-03-02T09:30:00Z'), {
  series: { id: 'physio', recurrenceId: '2026-03-02T09:00:00' },
})
const out: BookOutcome = ledger.book(b, now, { idempotencyKey: 'req-1' })
const booked: Booking | null = out.booking
const taken: string | undefined = out.conflicts[0]?.bookings[0]
ledger.check(['provider:P1'], 0, 1, now, { exclude: 'a1', extra: [b] })
ledger.hold('h1', ['provider:P1'], 0, 1, now, { length: 15 })
const blocking: Booking[] = ledger.blockingOn('provider:P1', 0, 1, now)

const policy = new LifecyclePolicy({ lateCancelMinutes: 60 })
const done: Transitioned = transition(b, { to: 'cancelled', actor: 'patient', now: Date.now(), reason: 'flu' }, policy)
const applied: Transitioned = hcas.apply(ledger, 'a1', { to: 'arrived', actor: 'staff', now }, { noshowGraceMinutes: 5 })
const actors: Party[] | null = hcas.allowedActors('booked', 'noshow')

const avail = new hcas.Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }] })
const why: Explanation = avail.explainWithLedger({ ledger, resources: ['provider:P1'], now }, 0, 0, 1, 30)
const alts: hcas.Alternatives = alternatives(avail, ledger, ['provider:P1'], 0, 1800_000, { now: 0, count: 2 })

const consent = new Consent({ id: 'K1', patient: 'P1', status: 'active', decision: 'deny', date: now })
const request = { actor: { id: 'DrA', roles: ['doctor' as const], org: 'Org1' }, patient: 'P1', category: 'records' as const, action: 'read' as const, purpose: 'TREAT' as const, at: now }
const d: Decision = decide(request, [consent])
const compiled = new CompiledConsents('P1', [consent])
const verdict: BookingVerdict = bookingAllowed({ actor: request.actor, patient: 'P1', at: now }, [consent])
const again: Decision = compiled.decide(request)

// @ts-expect-error: a hold takes expires or length, not both
ledger.hold('h3', ['provider:P1'], 0, 1, now, { length: 15, expires: now })
// @ts-expect-error: not a party
transition(b, { to: 'cancelled', actor: 'doctor', now: 0 })
// @ts-expect-error: count is required
alternatives(avail, ledger, ['provider:P1'], 0, 1, { now: 0 })
// @ts-expect-error: the decision is permit or deny
const wrong: 'maybe' = d.decision

void [booked, taken, blocking, done, applied, actors, why, alts, verdict, again, wrong]
