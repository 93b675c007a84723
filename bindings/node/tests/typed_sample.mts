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

void [verdict, kinds, tz, bad, sure]
