// Checked by `tsc -p tests` (strict, noEmit): the CommonJS side of the
// installed package's declarations.
import hcas = require('@hcas/engine')

const out: hcas.JsonObject = hcas.evaluate('slots', {
  timezone: 'UTC',
  rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }],
  query: { from: '2026-01-05T00:00:00Z', to: '2026-01-06T00:00:00Z', duration: 30 },
})
const codes: readonly hcas.ErrorCode[] = hcas.ERROR_CODES
const e: hcas.HcasError = new hcas.InvalidTimezoneError('unknown zone')
// @ts-expect-error: the class's code is its own
const wrong: 'invalid_rrule' = hcas.InvalidTimezoneError.code

export { out, codes, e, wrong }
