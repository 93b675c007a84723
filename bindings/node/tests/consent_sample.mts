// Checked by `tsc -p tests` (strict, noEmit) against the installed package's
// declarations: the consent API. Each @ts-expect-error line must be an
// error: a declaration that became `any` fails the check.
import * as hcas from '@hcas/engine'
import {
  Consent,
  CompiledConsents,
  decide,
  bookingAllowed,
  type ConsentJson,
  type ConsentRequest,
  type Decision,
  type BookingVerdict,
} from '@hcas/engine'

// Consent.
const doc: ConsentJson = {
  id: 'C1',
  patient: 'P1',
  status: 'active',
  date: '2025-03-01T00:00:00Z',
  period: { start: '2025-01-01T00:00:00Z' },
  decision: 'permit',
  scope: { orgs: ['Org1'] },
  provisions: [{ purposes: ['HPAYMT'], provisions: [{ categories: ['appointments'], data_period: { end: '2025-01-01T00:00:00Z' } }] }],
}
const consent = new Consent(doc)
const r5: hcas.JsonObject = consent.toFhir({ version: 'r5' })
const back: Consent = Consent.fromFhir(r5, { version: 'r5' })
const again: ConsentJson = back.toJSON()
const status: hcas.ConsentStatus = consent.status
const effect: hcas.Effect = consent.decision
const request: ConsentRequest = {
  actor: { id: 'DrA', roles: ['doctor'], org: 'Org1' },
  patient: 'P1',
  category: 'labs',
  action: 'read',
  purpose: 'ETREAT',
  at: new Date(),
  dataDate: Date.now(),
  labels: ['R'],
  breakGlass: { reason: 'unconscious in ED', startedAt: '2025-06-15T11:30:00Z' },
}
const d: Decision = decide(request, [consent, doc], { roles: { doctor: { categories: ['*'], actions: ['read'], purposes: ['TREAT', 'ETREAT'] } } })
const basis: hcas.Basis = d.basis
const which: string | null = d.consent
const path: readonly number[] = d.path
const compiled = new CompiledConsents('P1', [consent])
const maybe: Decision | null = compiled.byConsent(request)
const size: number = compiled.size
const verdict: BookingVerdict = bookingAllowed(
  { actor: { id: 'Fd1', roles: ['admin'], org: 'Org1' }, patient: 'Kid', at: 0, kind: 'telehealth', patientIsMinor: true, guardian: 'Mum' },
  [doc],
)
const check: hcas.RefusalCheck | undefined = verdict.refusals[0]?.check
const lists: readonly string[][] = [
  [...hcas.ROLES],
  [...hcas.CATEGORIES],
  [...hcas.ACTIONS],
  [...hcas.PURPOSES],
  [...hcas.EFFECTS],
  [...hcas.CONSENT_STATUSES],
  [...hcas.BASES],
  [...hcas.APPOINTMENT_KINDS],
  [...hcas.REFUSAL_CHECKS],
]
// @ts-expect-error: not a status
new Consent({ ...doc, status: 'revoked' })
// @ts-expect-error: not a purpose
decide({ ...request, purpose: 'treat' }, [])
// @ts-expect-error: the request's fields are camelCase
decide({ actor: request.actor, patient: 'P1', category: 'labs', action: 'read', purpose: 'TREAT', at: 0, data_date: 0 }, [])
// @ts-expect-error: a decision is frozen
d.decision = 'deny'
// @ts-expect-error: not an appointment kind
compiled.bookingAllowed({ actor: request.actor, patient: 'P1', at: 0, kind: 'video' })

void [r5, again, status, effect, which, path, maybe, size, check, lists, basis]
