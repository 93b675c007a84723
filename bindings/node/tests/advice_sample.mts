// Checked by `tsc -p tests` (strict, noEmit) against the installed package's
// declarations: Availability#explain, #explainWithLedger and alternatives.
// Each @ts-expect-error line must be an error.
import * as hcas from '@hcas/engine'
import { alternatives, alternativesAsync, type Explanation } from '@hcas/engine'

const avail = new hcas.Availability('Europe/Berlin', {
  rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '12:00' }],
})
const why: Explanation = avail.explain('2026-01-05T08:10:00Z', 0, Date.now(), 30, { step: 15 })
for (const r of why.reasons) {
  if (r.reason === 'off_grid') {
    const step: number = r.step
    const next: string = r.next
    void [step, next]
  } else if (r.reason === 'conflict') {
    const ids: readonly string[] = r.bookings
    void ids
  } else if (r.reason === 'outside_working_hours') {
    const local: string = r.localDate
    void local
  }
}
const ledger = new hcas.Ledger()
const withLedger: Explanation = avail.explainWithLedger({ ledger, resources: ['provider:P1'], now: new Date() }, 0, 0, 1, 30)
const alts: hcas.Alternatives = alternatives(avail, ledger, ['provider:P1'], 0, 1800_000, { now: 0, count: 2, step: 15, searchDays: 3 })
const first: string | undefined = alts.after[0]
const later: Promise<hcas.Alternatives> = alternativesAsync(avail, ledger, ['provider:P1'], 0, 1800_000, { now: 0, count: 1 })
const names: readonly hcas.ReasonName[] = hcas.REASONS
// @ts-expect-error: count is required
alternatives(avail, ledger, ['provider:P1'], 0, 1, { now: 0 })
// @ts-expect-error: the ledger context needs its resources
avail.explainWithLedger({ ledger, now: 0 }, 0, 0, 1, 30)
// @ts-expect-error: a conflict reason has no `with` (it is `bookings`)
const w = why.reasons.map((r) => (r.reason === 'conflict' ? r.with : []))

void [withLedger, first, later, names, w]
