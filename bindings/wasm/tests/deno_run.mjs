// @hcas/engine-wasm under Deno (the `deno` npm package, pinned in
// bindings/wasm/package.json): the browser entry (browser.mjs, which fetches
// its .wasm beside it) imported from the scratch project build-pack made, a
// few typed calls checked against hand-checked answers and the stable error
// code; and the slots module's entry (slots/browser.mjs), two checks. Ends with `N passed, N failed`; exit 1 on any failure.
//
//   deno run --allow-read=<scratch> <scratch>/tests/deno_run.mjs
import * as h from '../node_modules/@hcas/engine-wasm/browser.mjs'
import * as s from '../node_modules/@hcas/engine-wasm/slots/browser.mjs'

const now = '2026-05-01T00:00:00Z'
const checks = []
const check = (name, got, want) => checks.push([name, JSON.stringify(got), JSON.stringify(want)])

const ledger = new h.Ledger()
const booked = ledger.book(new h.Booking('b1', ['provider:P1'], '2026-05-04T09:00:00Z', '2026-05-04T09:30:00Z'), now)
check('book', booked.kind, 'booked')
check('check', ledger.check(['provider:P1'], '2026-05-04T09:15:00Z', '2026-05-04T09:45:00Z', now), [{ resource: 'provider:P1', bookings: ['b1'] }])
// 60 minutes before the start, under the default 24-hour window: late.
const t = h.transition(ledger.get('b1'), { to: 'cancelled', actor: 'patient', now: '2026-05-04T08:00:00Z', reason: 'ill' })
check('transition', t.outcomes, [{ kind: 'cancelled' }, { kind: 'late_cancellation', minutesBeforeStart: 60 }, { kind: 'slot_freed' }])
const actor = { id: 'DrA', roles: ['doctor'], org: 'Org1' }
const consents = [{ id: 'K1', patient: 'P1', status: 'active', decision: 'deny', date: '2026-01-01T00:00:00Z' }]
check('decide', h.decide({ actor, patient: 'P1', category: 'records', action: 'read', purpose: 'TREAT', at: now }, consents).decision, 'deny')
// 09:00 London in May is 08:00Z (BST).
check('recurrence', new h.Recurrence('FREQ=DAILY;COUNT=2', '2026-05-04T09:00', 'Europe/London').between(now, '2026-06-01T00:00:00Z'), [
  '2026-05-04T08:00:00Z',
  '2026-05-05T08:00:00Z',
])
// The modules embed no zone but UTC; under Deno the browser entries register
// every zone of zones.bin at import. Tokyo is UTC+9 all year.
check('zones at import', new h.Zone('Asia/Tokyo').offsetAt('2026-07-01T00:00:00Z'), 9 * 3600)
check('zones at import, slots entry', new s.Zone('Asia/Tokyo').offsetAt('2026-01-01T00:00:00Z'), 9 * 3600)
let code
try {
  new h.Zone('Mars/Base')
} catch (e) {
  code = e instanceof h.InvalidTimezoneError ? e.code : String(e)
}
check('error code', code, 'invalid_timezone')

// The slots module's browser entry: 09:00 Paris in January is 08:00Z (CET);
// the typed API beyond slots is not exported.
check('slots entry', new s.Availability('Europe/Paris', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }] }).slots('2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 60), ['2026-01-05T08:00:00Z'])
check('slots entry without the ledger', ['Ledger', 'decide', 'transition'].filter((n) => n in s), [])

let failed = 0
for (const [name, got, want] of checks) {
  if (got !== want) {
    failed += 1
    console.log(`FAIL ${name}: got ${got}, want ${want}`)
  }
}
console.log(`@hcas/engine-wasm ${h.version} under Deno ${Deno.version.deno}`)
console.log(`${checks.length - failed} passed, ${failed} failed`)
if (failed > 0) Deno.exit(1)
