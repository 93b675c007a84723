// The dict-level API through the installed package (ESM entry): answers,
// constants, and the HcasError hierarchy. Runs in the scratch project that
// bindings/node/build-pack installed the package into.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

// The codes of docs/vectors.md and their classes, written out here (not read
// from the package).
const FAMILIES = [
  ['invalid_rrule', 'InvalidRruleError'],
  ['invalid_timezone', 'InvalidTimezoneError'],
  ['invalid_datetime', 'InvalidDatetimeError'],
  ['invalid_interval', 'InvalidIntervalError'],
  ['invalid_duration', 'InvalidDurationError'],
  ['invalid_window', 'InvalidWindowError'],
  ['invalid_consent', 'InvalidConsentError'],
  ['invalid_request', 'InvalidRequestError'],
  ['invalid_transition', 'InvalidTransitionError'],
  ['not_permitted', 'NotPermittedError'],
  ['limit_exceeded', 'LimitExceededError'],
]

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

/** A recurrence input, with `over` replacing fields. */
function recurrence(over = {}) {
  return {
    rrule: 'FREQ=DAILY;COUNT=2',
    dtstart: '2026-03-07T02:30',
    timezone: 'America/New_York',
    from: '2026-03-01T00:00:00Z',
    to: '2026-04-01T00:00:00Z',
    ...over,
  }
}

test('one class per code, each with its code, all HcasError and Error', () => {
  assert.deepEqual([...hcas.ERROR_CODES].sort(), FAMILIES.map(([c]) => c).sort())
  for (const [code, name] of FAMILIES) {
    const cls = hcas[name]
    assert.equal(typeof cls, 'function', name)
    assert.equal(cls.code, code)
    assert.equal(cls.name, name)
    const e = new cls('what to fix')
    assert.ok(e instanceof hcas.HcasError && e instanceof Error)
    assert.equal(e.code, code)
    assert.equal(e.name, name)
    assert.equal(e.message, 'what to fix')
  }
  assert.equal(new Set(FAMILIES.map(([, n]) => hcas[n])).size, FAMILIES.length)
})

test('constants', () => {
  assert.deepEqual([...hcas.KINDS], ['recurrence', 'slots', 'conflict', 'series', 'transition', 'consent'])
  assert.match(hcas.TZDB_VERSION, /^\d{4}[a-z]$/)
  assert.match(hcas.version, /^\d+\.\d+\.\d+/)
  assert.ok(Object.isFrozen(hcas.KINDS) && Object.isFrozen(hcas.ERROR_CODES))
})

test('a bad RRULE throws InvalidRruleError with its code and a message', () => {
  const e = thrown(() => hcas.evaluate('recurrence', recurrence({ rrule: 'FREQ=FORTNIGHTLY' })))
  assert.ok(e instanceof hcas.InvalidRruleError, String(e))
  assert.equal(e.code, 'invalid_rrule')
  assert.equal(e.name, 'InvalidRruleError')
  assert.match(e.message, /FORTNIGHTLY/)
  assert.equal(e.cause?.code, 'invalid_rrule', 'the native error is kept as the cause')
})

test('a bad zone throws InvalidTimezoneError naming the zone', () => {
  const e = thrown(() => hcas.evaluate('recurrence', recurrence({ timezone: 'Mars/Olympus_Mons' })))
  assert.ok(e instanceof hcas.InvalidTimezoneError, String(e))
  assert.ok(!(e instanceof hcas.InvalidRruleError))
  assert.equal(e.code, 'invalid_timezone')
  assert.match(e.message, /Mars\/Olympus_Mons/)
})

test('an unknown kind throws InvalidRequestError naming the kind', () => {
  const e = thrown(() => hcas.evaluate('appointments', {}))
  assert.ok(e instanceof hcas.InvalidRequestError, String(e))
  assert.equal(e.code, 'invalid_request')
  assert.match(e.message, /appointments/)
  const k = thrown(() => hcas.evaluate(7, {}))
  assert.ok(k instanceof hcas.InvalidRequestError)
  assert.match(k.message, /kind/)
})

test('values that are not JSON are InvalidRequestError naming where they are', () => {
  const cases = [
    [{ ...recurrence(), from: new Date(Date.UTC(2026, 2, 1)) }, /input\.from: a Date is not JSON.*ISO/],
    [{ ...recurrence(), exdates: [undefined] }, /input\.exdates\[0\]: undefined/],
    [{ ...recurrence(), limit: Number.NaN }, /input\.limit: NaN is not a JSON number/],
    [{ ...recurrence(), limit: 10n }, /input\.limit: a bigint is not JSON/],
    [{ ...recurrence(), rrule: () => 'FREQ=DAILY' }, /input\.rrule: a function/],
    [new Map(), /input: a Map is not JSON/],
    [undefined, /input: undefined/],
  ]
  for (const [input, message] of cases) {
    const e = thrown(() => hcas.evaluate('recurrence', input))
    assert.ok(e instanceof hcas.InvalidRequestError, String(e))
    assert.match(e.message, message)
  }
  const loop = recurrence()
  loop.self = loop
  const e = thrown(() => hcas.evaluate('recurrence', loop))
  assert.ok(e instanceof hcas.InvalidRequestError)
  assert.match(e.message, /nested more than 128 levels/)
})

test('an undefined property is absent, as in JSON.stringify', () => {
  const out = hcas.evaluate('recurrence', recurrence({ exdates: undefined }))
  assert.deepEqual(out, hcas.evaluate('recurrence', recurrence()))
})

test('recurrence across the New York spring-forward gap (docs/vectors.md example)', () => {
  // 02:30 on 2026-03-08 does not exist in New York (clocks jump 02:00 -> 03:00):
  // RFC 5545 moves it forward by the gap's length, to 03:30 EDT = 07:30Z; the
  // day before, 02:30 EST = 07:30Z too.
  const out = hcas.evaluate('recurrence', recurrence())
  assert.deepEqual(out.occurrences, ['2026-03-07T07:30:00Z', '2026-03-08T07:30:00Z'])
  assert.equal(out.tzdb, hcas.TZDB_VERSION)
})

test('slots for an input derived by hand', () => {
  // Berlin is UTC+2 in June (CEST). Mondays 09:00-11:00 local = 07:00-09:00Z;
  // 2026-06-01 is a Monday. Duration 45, step 30: candidates 07:00, 07:30,
  // 08:00 (08:30 + 45 ends after 09:00). Busy 07:00-07:20Z takes 07:00.
  // The query covers Monday and Tuesday (no hours on Tuesday).
  const out = hcas.evaluate('slots', {
    timezone: 'Europe/Berlin',
    rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2026-06-01', start: '09:00', end: '11:00' }],
    busy: [{ start: '2026-06-01T07:00:00Z', end: '2026-06-01T07:20:00Z' }],
    query: { from: '2026-06-01T00:00:00Z', to: '2026-06-03T00:00:00Z', duration: 45, step: 30 },
  })
  assert.deepEqual(out.slots, ['2026-06-01T07:30:00Z', '2026-06-01T08:00:00Z'])
  assert.equal(out.tzdb, hcas.TZDB_VERSION)
})

test('checkVector passes a right answer and explains a wrong one', () => {
  const kase = { id: 'x/one', kind: 'recurrence', input: recurrence(), expect: { occurrences: ['2026-03-07T07:30:00Z'] } }
  assert.equal(hcas.checkVector(kase, { occurrences: ['2026-03-07T07:30:00Z'], tzdb: 'any' }), null)
  const line = hcas.checkVector(kase, { occurrences: [] })
  assert.match(line, /^x\/one: occurrences: expected/)
  assert.match(hcas.checkVector(kase, 'invalid_rrule'), /x\/one: expected .* got error invalid_rrule/)
  const err = { id: 'x/two', expect_error: { code: 'invalid_rrule' } }
  assert.equal(hcas.checkVector(err, 'invalid_rrule'), null)
  assert.match(hcas.checkVector(err, 'invalid_timezone'), /expected error invalid_rrule got error invalid_timezone/)
})

test('ESM entry: the package resolves to index.mjs for import and index.js for require', async () => {
  const { createRequire } = await import('node:module')
  assert.match(import.meta.resolve('@hcas/engine'), /\/@hcas\/engine\/index\.mjs$/)
  assert.match(createRequire(import.meta.url).resolve('@hcas/engine'), /\/@hcas\/engine\/index\.js$/)
})
