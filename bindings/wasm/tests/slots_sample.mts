// The slots entry's declarations (slots/index.d.ts) type-check for a user of
// @hcas/engine-wasm/slots, and refuse the typed API it does not export:
// each `@ts-expect-error` below fails `tsc -p tests` if the line type-checks.
import { Availability, HcasError, Recurrence, Zone, evaluate, pooledSlots, type PooledSlot } from '@hcas/engine-wasm/slots'
import * as slots from '@hcas/engine-wasm/slots'
// @ts-expect-error: the ledger is the full module's
import { Ledger } from '@hcas/engine-wasm/slots'

const zone: Zone = new Zone('Europe/Paris')
const starts: string[] = new Recurrence('FREQ=DAILY;COUNT=3', '2026-01-01T09:00', zone).between('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')
const a = new Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }] })
const rows: PooledSlot[] = pooledSlots([a], '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 30)
// @ts-expect-error: explain is the full module's
a.explain('2026-01-05T09:00:00Z', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 30)
// @ts-expect-error: decide is the full module's
slots.decide({}, [])
try {
  evaluate('slots', {})
} catch (e) {
  if (e instanceof HcasError) console.log(e.code, starts.length, rows.length, Ledger)
}

// Zone data at run time (docs/wasm.md "Zones on demand").
import { loadZone, loadZones, registerZone } from '@hcas/engine-wasm/slots'
import * as full from '@hcas/engine-wasm'
const one: Promise<string> = loadZone('Asia/Tokyo')
const many: Promise<string[]> = loadZones(['Europe/Paris', 'America/New_York'])
const name: string = full.registerZone(new Uint8Array(0))
// @ts-expect-error: registerZone takes the file's bytes, not a name
registerZone('Asia/Tokyo')
console.log(one, many, name)
