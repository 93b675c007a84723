// Checked by `tsc -p tests` (strict, noEmit): the waitlist API as declared
// in index.d.ts. Each @ts-expect-error line must be an error.
import { Booking, Ledger, Waitlist, makeHold, MAX_HOLD_MINUTES, type Offer, type WaitEntry } from '@hcas/engine'

const list = new Waitlist([
  { id: 'w1', patient: 'patient:X2', provider: 'provider:P1', window: { start: new Date(), end: Date.now() + 86_400_000 }, created: 0 },
])
list.add({ id: 'w2', patient: 'patient:X3', provider: 'provider:P1', window: { start: 0, end: 1 }, preferences: { minDurationMinutes: 30 }, created: '2026-05-01T10:00:00Z' })
const size: number = list.size
const first: WaitEntry | null = list.get('w1')
const min: number | undefined = first?.preferences.minDurationMinutes
const all: WaitEntry[] = list.entries()
const gone: WaitEntry[] = list.removeExpired(Date.now())
const removed: WaitEntry | null = list.remove('w2')
const freed = new Booking('a1', ['provider:P1'], 0, 1, { status: 'cancelled' })
const offer: Offer | null = list.offer(freed, new Ledger(), 0, MAX_HOLD_MINUTES)
const hold: Booking | null = offer === null ? null : makeHold(offer, 'provider:P1', 'h1')

// @ts-expect-error: an entry needs a window
list.add({ id: 'w3', patient: 'patient:X3', provider: 'provider:P1', created: 0 })
// @ts-expect-error: an offer's fields are read-only
if (offer) offer.entryId = 'w9'

void [size, min, all, gone, removed, hold]
