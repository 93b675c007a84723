// The package's declarations (bindings/node/index.d.ts, shipped unchanged)
// type-check for a user of @hcas/engine-wasm: tsc --strict -p tests.
import { Availability, HcasError, Recurrence, Zone, evaluate, pooledSlots } from '@hcas/engine-wasm'

const zone: Zone = new Zone('Europe/Paris')
const offset: number = zone.offsetAt(new Date())
const starts: string[] = new Recurrence('FREQ=DAILY;COUNT=3', '2026-01-01T09:00', zone).between(
  '2026-01-01T00:00:00Z',
  '2026-02-01T00:00:00Z',
)
const a = new Availability('UTC', {
  rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }],
})
const rows = pooledSlots([a], '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 30)
const first: number[] | undefined = rows[0]?.providers
try {
  evaluate('slots', {})
} catch (e) {
  if (e instanceof HcasError) console.log(e.code, offset, starts.length, first)
}
