// CommonJS and ESM both load the installed package and are one module: the
// same answer, the same error classes (so `instanceof` works across them).
const assert = require('node:assert/strict')
const { test } = require('node:test')

const cjs = require('@hcas/engine')

const input = {
  timezone: 'UTC',
  rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }],
  query: { from: '2026-01-05T00:00:00Z', to: '2026-01-07T00:00:00Z', duration: 30 },
}

test('require and import give the same answer and the same classes', async () => {
  const esm = await import('@hcas/engine')
  // Two days of 09:00-10:00 UTC in 30-minute slots: 09:00 and 09:30 each day.
  const want = ['2026-01-05T09:00:00Z', '2026-01-05T09:30:00Z', '2026-01-06T09:00:00Z', '2026-01-06T09:30:00Z']
  assert.deepEqual(cjs.evaluate('slots', input).slots, want)
  assert.deepEqual(esm.evaluate('slots', input), cjs.evaluate('slots', input))
  assert.equal(esm.default, cjs)
  assert.equal(esm.HcasError, cjs.HcasError)
  assert.equal(esm.InvalidDurationError, cjs.InvalidDurationError)
  assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort())
  const zero = { ...input, query: { ...input.query, duration: 0 } }
  for (const m of [cjs, esm]) {
    assert.throws(
      () => m.evaluate('slots', zero),
      (e) => e instanceof cjs.InvalidDurationError && e instanceof esm.HcasError && e.code === 'invalid_duration',
    )
  }
})
