// Checked by `tsc -p tests` (strict, noEmit): the FHIR API's declarations,
// ESM side. Each @ts-expect-error line must be an error.
import * as hcas from '@hcas/engine'
import {
  Booking,
  DateParam,
  ReferenceParam,
  TokenParam,
  type FhirResource,
  type FhirSeries,
  type Parameter,
  type RecurrenceTemplate,
  type Schedule,
  type SearchPrefix,
  type Slot,
  type SlotStatus,
} from '@hcas/engine'

const b = new Booking('a1', ['provider:P1', 'patient:X1'], '2026-05-04T09:00:00Z', '2026-05-04T09:30:00Z')
const appt: FhirResource = hcas.appointmentToFhir(b)
const back: Booking = hcas.appointmentFromFhir(appt)
const numbered: FhirResource = hcas.occurrenceToFhir(back, 1)
const numbers: number[] = hcas.recurrenceNumbers([back])

const statuses: readonly SlotStatus[] = hcas.SLOT_STATUSES
const slotRes: FhirResource = hcas.slotToFhir({ schedule: 'S1', start: new Date(), end: Date.now() + 60_000, status: 'free', serviceTypes: ['gp'] })
const slot: Slot = hcas.slotFromFhir(slotRes)
const slotStatus: SlotStatus = slot.status
const many: FhirResource[] = hcas.slotsToFhir('S1', ['2026-05-04T09:00:00Z'], 30)
const parsedId: { readonly schedule: string; readonly start: string } | null = hcas.parseSlotId(slot.id)
// @ts-expect-error a slot status is one of the R4 codes
hcas.slotToFhir({ schedule: 'S1', start: 0, end: 1, status: 'open' })

const schedRes: FhirResource = hcas.scheduleToFhir({
  id: 'S1',
  actors: ['provider:P1'],
  planningHorizon: { start: '2026-05-04T00:00:00Z', end: new Date('2026-05-11T00:00:00Z') },
  availability: { zone: new hcas.Zone('Europe/London'), rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-01-05', start: '09:00', end: '17:00' }] },
  specialties: ['cardiology'],
})
const sched: Schedule = hcas.scheduleFromFhir(schedRes)
const zone: string | undefined = sched.availability?.zone
// @ts-expect-error a Schedule needs its actors
hcas.scheduleToFhir({ id: 'S1' })

const bundle: FhirResource = hcas.searchset({ total: 1, self: 'http://h/x', entries: [{ base: 'http://h', resource: appt }] })
const page: FhirResource = hcas.searchsetPage({ self: 'http://h/x', next: null, entries: [{ base: 'http://h', resource: appt, mode: 'include' }] })
const oo: FhirResource = hcas.operationOutcome('invalid', 'invalid_request', 'bad')
const system: string = hcas.ERROR_SYSTEM
const ledger = new hcas.Ledger([b])
const conflict: FhirResource = hcas.conflictOutcome('taken', ledger.check(['provider:P1'], 0, 1, 0))

const audit: FhirResource = hcas.auditEventToFhir({
  id: '42',
  recorded: new Date(),
  actor: 'D1',
  action: 'patient.read',
  target: 'patient:X1',
  outcome: 'permit',
  roles: ['doctor'],
  details: [['basis', 'consent']],
})
hcas.auditEventToFhir({ id: '43', recorded: 0, actor: 'X1', action: 'a', target: 't', outcome: 'deny', details: { basis: 'consent' } })

const ext: FhirResource = hcas.recurrenceTemplateToFhir({ zone: 'UTC', recurrenceType: 'wk', days: ['TU'], occurrenceCount: 4 })
const tmpl: RecurrenceTemplate = hcas.recurrenceTemplateFromFhir(ext, { path: 'extension[0]' })
const rec: hcas.Recurrence = hcas.templateRecurrence(tmpl, '2026-03-24T09:00')
const series: FhirSeries | null = hcas.seriesFromFhir(appt)
const seriesSpec: hcas.SeriesSpec | undefined = series?.spec('s1')
const refused: FhirResource = hcas.seriesConflictOutcome('taken', seriesSpec?.plan(ledger, 0) ?? [])
const seriesRes: FhirResource = hcas.seriesToFhir({ template: b, recurrence: tmpl })
// @ts-expect-error weekdays are RFC 5545 codes
hcas.recurrenceTemplateToFhir({ zone: 'UTC', recurrenceType: 'wk', days: ['Tuesday'] })

const params: Parameter[] = hcas.readParameters({ resourceType: 'Parameters', parameter: [] })
const text: string | null = params.length > 0 ? params[0].text : null
const pid: string | null = hcas.proposalId('dr-lee', 'pat-alice', Date.now())
const proposal = hcas.parseProposalId(pid ?? '')
const proposed: FhirResource = hcas.proposedAppointment('dr-lee', 'pat-alice', 0, 1_800_000)

const d = new DateParam('ge2026-05-04')
const prefix: SearchPrefix = d.prefix
const hit: boolean = d.matchesInstant(new Date()) && d.matchesPeriod(0, 1000)
const range = d.instantRange()
const lower: string | null = d.bounds().start
const tok = new TokenParam('http://x|gp')
const tokHit: boolean = tok.matches(null, 'gp')
const ref = new ReferenceParam('Practitioner/P1', ['Practitioner'])
const refType: string | null = ref.resourceType
const count: number = hcas.parseCount('20') + hcas.MAX_COUNT
const prefixes: readonly SearchPrefix[] = hcas.SEARCH_PREFIXES

export {
  numbered, numbers, statuses, slotStatus, many, parsedId, zone, bundle, page, oo, system, conflict, audit,
  rec, series, seriesRes, text, proposal, proposed, hit, range, lower, tokHit, refType, count, prefixes,
}
