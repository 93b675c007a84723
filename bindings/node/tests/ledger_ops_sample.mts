// Checked by `tsc -p tests` (strict, noEmit): the ledger's atomic operations
// and the booking links, as declared in index.d.ts. Each @ts-expect-error
// line must be an error.
import * as hcas from '@hcas/engine'
import { Booking, Ledger, BOOK_OUTCOME_KINDS, IDEMPOTENCY_TTL_SECONDS, type BookOutcome, type BookOutcomeKind, type SeriesRef } from '@hcas/engine'

const now = '2026-03-01T00:00:00Z'
const ledger = new Ledger()
const occurrence: SeriesRef = { id: 'physio', recurrenceId: '2026-03-02T09:00:00' }
const b = new Booking('a1', ['provider:P1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z', { series: occurrence, cancelReason: null })
const series: SeriesRef | null = b.series
const links: (string | null)[] = [b.cancelReason, b.replaces, b.replacedBy]
const same: boolean = b.sameRequest(b)

const out: BookOutcome = ledger.book(b, now, { idempotencyKey: 'req-1' })
const kind: BookOutcomeKind = out.kind
const booked: Booking | null = out.booking
const firstTaken: string | undefined = out.conflicts[0]?.bookings[0]
const ok: boolean = out.ok
const held: BookOutcome = ledger.hold('h1', ['provider:P1'], new Date(), Date.now() + 1_800_000, now, { length: 15 })
ledger.hold('h2', ['provider:P1'], 0, 1, now, { expires: new Date() })
ledger.confirmHold('h1', Date.now())
ledger.reschedule('a1', new Booking('a2', ['provider:P1'], 0, 1), now, 'patient asked')
ledger.moveBooking('a2', 0, 1, now)
const blocking: Booking[] = ledger.blockingOn('provider:P1', 0, 1, now)
ledger.check(['provider:P1'], 0, 1, now, { exclude: 'a1', extra: [b] })
ledger.expireIdempotencyKeys(now)
const keys: number = ledger.idempotencyKeys()
const kinds: readonly BookOutcomeKind[] = BOOK_OUTCOME_KINDS
const ttl: number = IDEMPOTENCY_TTL_SECONDS + hcas.IDEMPOTENCY_TTL_SECONDS

// @ts-expect-error: a hold takes expires or length, not both
ledger.hold('h3', ['provider:P1'], 0, 1, now, { length: 15, expires: now })
// @ts-expect-error: a reschedule needs a reason
ledger.reschedule('a1', b, now)
// @ts-expect-error: the outcome's kind is a closed union
const wrong: 'cancelled' = out.kind
// @ts-expect-error: a series reference needs its recurrence id
new Booking('x', ['provider:P1'], 0, 1, { series: { id: 'physio' } })

void [series, links, same, kind, booked, firstTaken, ok, held, blocking, keys, kinds, ttl, wrong]
