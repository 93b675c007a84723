// Checked by `tsc -p tests` (strict, noEmit) against the installed package's
// declarations, ESM side. Each @ts-expect-error line must be an error: a
// declaration that became `any` fails the check.
import * as hcas from '@hcas/engine'
import defaultExport, { evaluate, HcasError, InvalidRruleError, type ErrorCode, type JsonObject } from '@hcas/engine'

const input: JsonObject = {
  rrule: 'FREQ=DAILY;COUNT=2',
  dtstart: '2026-03-07T02:30',
  timezone: 'America/New_York',
  from: '2026-03-01T00:00:00Z',
  to: '2026-04-01T00:00:00Z',
}
const out: JsonObject = evaluate('recurrence', input)
const verdict: string | null = hcas.checkVector({ id: 'x', expect: {} }, out)
const kinds: readonly string[] = defaultExport.KINDS
const tz: string = hcas.TZDB_VERSION

try {
  evaluate('recurrence', { ...input, rrule: 'FREQ=FORTNIGHTLY' })
} catch (e: unknown) {
  if (e instanceof InvalidRruleError) {
    const code: 'invalid_rrule' = e.code
    void code
  } else if (e instanceof HcasError) {
    const code: ErrorCode = e.code
    const fixed: string = e.message
    void [code, fixed]
  }
}

// @ts-expect-error: a kind is a string
evaluate(1, input)
// @ts-expect-error: the input is an object
evaluate('recurrence', 'FREQ=DAILY')
// @ts-expect-error: a Date is not JSON
evaluate('recurrence', { from: new Date() })
// @ts-expect-error: not an error code
const bad: ErrorCode = 'invalid_everything'
// @ts-expect-error: the verdict may be null
const sure: string = hcas.checkVector({}, 'invalid_rrule')

// The typed level.
const ny = new hcas.Zone('America/New_York')
const offset: number = ny.offsetAt(new Date())
const wall: string = ny.toLocal(Date.now())
const rec = new hcas.Recurrence('FREQ=DAILY;COUNT=3', '2026-03-07T02:30', ny, { exdates: ['2026-03-08T02:30'] })
const isos: string[] = rec.between('2026-03-01T00:00:00Z', new Date('2026-04-01T00:00:00Z'), 10)
const epoch: Float64Array = rec.betweenEpochMs(0, Date.UTC(2027, 0, 1))
const avail = new hcas.Availability('Europe/Berlin', {
  rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-06-01', start: '09:00', end: '11:00' }],
  busy: [{ start: new Date('2026-06-01T07:00:00Z'), end: '2026-06-01T07:20:00Z' }],
})
const slots: string[] = avail.slots('2026-06-01T00:00:00Z', '2026-06-03T00:00:00Z', 45, { step: 30, now: Date.now() })
const slotsMs: Float64Array = avail.slotsEpochMs(0, 1, 45)
// @ts-expect-error: an instant is a Date, a number or a string
ny.toLocal({ at: 0 })
// @ts-expect-error: not a slot option
avail.slots(0, 1, 45, { stepMinutes: 5 })
// @ts-expect-error: a working rule needs its start and end times
new hcas.Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-06-01' }] })

// Pooled slots and the async variants.
const rows: hcas.PooledSlot[] = hcas.pooledSlots([avail, avail], 0, 1, 45, { step: 30 })
const first: { start: string; providers: number[] } | undefined = rows[0]
const bulk: hcas.PooledSlotsEpochMs = hcas.pooledSlotsEpochMs([avail], 0, 1, 45)
const members: Uint32Array = bulk.members
const later: Promise<hcas.PooledSlot[]> = hcas.pooledSlotsAsync([avail], 0, 1, 45)
const slotsLater: Promise<string[]> = avail.slotsAsync(0, 1, 45, { step: 30 })
const isosLater: Promise<string[]> = rec.betweenAsync(0, 1, 10)
const outLater: Promise<JsonObject> = hcas.evaluateAsync('recurrence', input)
// @ts-expect-error: providers are Availability objects
hcas.pooledSlots([{ zone: 'UTC' }], 0, 1, 45)
// @ts-expect-error: an async answer is a Promise, not the array
const notYet: string[] = avail.slotsAsync(0, 1, 45)

void [verdict, kinds, tz, bad, sure, offset, wall, isos, epoch, slots, slotsMs]
void [first, members, later, slotsLater, isosLater, outLater, notYet]

// The bookings ledger.
const booking = new hcas.Booking('b1', ['provider:P1'], new Date(), Date.now() + 1800_000, { status: 'held', holdExpires: Date.now() })
const status: hcas.Status = booking.status
const lapses: string | null = booking.holdExpires
const ledger = new hcas.Ledger([booking])
const found: hcas.Booking | null = ledger.get('b1')
const conflicts: hcas.Conflict[] = ledger.check(['provider:P1'], 0, 1, Date.now())
const ids: string[] = conflicts.flatMap((c) => c.bookings)
const statuses: readonly hcas.Status[] = hcas.STATUSES
// @ts-expect-error: not a status
new hcas.Booking('b2', ['provider:P1'], 0, 1, { status: 'confirmed' })
// @ts-expect-error: resources are a list
new hcas.Booking('b3', 'provider:P1', 0, 1)
// @ts-expect-error: a ledger holds Booking objects
ledger.insert({ id: 'b4' })

void [status, lapses, found, ids, statuses]
