// Checked by `tsc -p tests` (strict, noEmit): the series API as declared in
// index.d.ts. Each @ts-expect-error line must be an error.
import * as hcas from '@hcas/engine'
import { Ledger, Recurrence, SeriesSpec, type CancelResult, type EditResult, type OccurrenceResult, type SeriesEdit, type ShiftPlan } from '@hcas/engine'

const spec = new SeriesSpec('physio', new Recurrence('FREQ=WEEKLY;COUNT=3', '2026-05-05T09:00', 'Europe/London'), 45, ['provider:P1'], { until: null })
const ledger = new Ledger()
const fields: [string, number, string[], string | null, Recurrence] = [spec.id, spec.duration, spec.resources, spec.until, spec.recurrence]
const starts: string[] = spec.occurrences().map((o) => o.start)
const plan: OccurrenceResult[] = spec.plan(ledger, Date.now())
const taken: string | undefined = plan[0]?.conflicts[0]?.resource
const booked: boolean = spec.book(ledger, new Date(), { policy: 'book_free' }).booked
const id: string = spec.occurrenceId('2026-05-05T09:00')
const hours = new hcas.Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-05-01', start: '09:00', end: '12:00' }] })
const advised: OccurrenceResult[] = spec.addAlternatives(plan, ledger, hours, { now: 0, count: 2, step: 15, searchDays: 3 })
const nearest: string | undefined = advised[0]?.alternatives?.after[0]
const edit: SeriesEdit = {
  occurrence: { id: 'physio', recurrenceId: '2026-05-05T09:00:00' },
  scope: 'this_and_following',
  zone: new hcas.Zone('Europe/London'),
  actor: 'staff',
  shift: { days: 7, minutes: -30 },
  duration: 60,
  policy: { lateCancelMinutes: 60 },
}
const shift: ShiftPlan = hcas.planShift(hcas.seriesBookings(ledger, 'physio'), edit, 0)
const moved: EditResult = hcas.shiftOccurrences(ledger, edit, 0)
const cancel = { occurrence: edit.occurrence, scope: 'all', actor: 'patient', reason: 'moving away' } as const
const planned: CancelResult = hcas.planCancel(hcas.seriesBookings(ledger, 'physio'), cancel, 0)
const done: CancelResult = hcas.cancelOccurrences(ledger, cancel, 0)
const why: hcas.ErrorCode | undefined = done.skipped[0]?.code
const scopes: readonly hcas.EditScope[] = hcas.EDIT_SCOPES
const policies: readonly hcas.SeriesPolicy[] = hcas.SERIES_POLICIES

// @ts-expect-error: addAlternatives needs the search options
spec.addAlternatives(plan, ledger, hours)
// @ts-expect-error: not a series policy
spec.book(ledger, 0, { policy: 'some' })
// @ts-expect-error: a cancellation needs a reason
hcas.cancelOccurrences(ledger, { occurrence: edit.occurrence, scope: 'all', actor: 'patient' }, 0)
// @ts-expect-error: not an edit scope
hcas.planShift([], { ...edit, scope: 'following' }, 0)

void [fields, starts, taken, booked, id, nearest, shift, moved, planned, why, scopes, policies]
