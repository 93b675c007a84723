// Checked by `tsc -p tests` (strict, noEmit): the lifecycle API as declared
// in index.d.ts. Each @ts-expect-error line must be an error.
import * as hcas from '@hcas/engine'
import { Booking, Ledger, LifecyclePolicy, transition, apply, type Outcome, type Party, type Transitioned } from '@hcas/engine'

const appt = new Booking('a1', ['provider:P1'], '2026-05-04T09:00:00Z', '2026-05-04T09:30:00Z')
const policy = new LifecyclePolicy({ lateCancelMinutes: 60 })
const late: number = policy.lateCancelMinutes + policy.noshowGraceMinutes + policy.checkinOpensMinutes
const done: Transitioned = transition(appt, { to: 'cancelled', actor: 'patient', now: new Date(), reason: 'flu' }, policy)
const first: Outcome | undefined = done.outcomes[0]
const minutes: number | undefined = first?.kind === 'late_cancellation' ? first.minutesBeforeStart : undefined
const ledger = new Ledger([appt])
const applied: Transitioned = apply(ledger, 'a1', { to: 'cancelled', actor: 'staff', now: Date.now(), reason: 'x' }, { noshowGraceMinutes: 5 })
const targets: hcas.Status[] = hcas.legalTargets(applied.to)
const actors: Party[] | null = hcas.allowedActors('booked', 'noshow')
const flags: boolean[] = [hcas.reasonRequired('booked', 'cancelled'), hcas.isTerminal('noshow')]
const names: readonly Party[] = hcas.PARTIES
const kinds: readonly hcas.OutcomeKind[] = hcas.OUTCOME_KINDS

// @ts-expect-error: not a party
transition(appt, { to: 'cancelled', actor: 'doctor', now: 0 })
// @ts-expect-error: not a status
hcas.legalTargets('done')
// @ts-expect-error: only a late cancellation has minutesBeforeStart
const wrong: number = done.outcomes[0]!.minutesBeforeStart
// @ts-expect-error: policy fields are read-only
policy.lateCancelMinutes = 5

void [late, minutes, targets, actors, flags, names, kinds, wrong]
