// A series' conflicts with advice (SeriesSpec#addAlternatives), a refused
// series as an OperationOutcome (seriesConflictOutcome) and a FHIR series
// template as a SeriesSpec (seriesFromFhir(...).spec). Every expectation is
// worked out by hand: P1 works 09:00-12:00 UTC every day; the series is
// daily 09:00-09:30 UTC on 5, 6 and 7 May 2026; b6 holds P1 on 6 May
// 09:00-10:00, so only the 6 May occurrence conflicts. London is UTC+0
// until 29 March 2026 01:00Z and UTC+1 after.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Availability, Booking, Ledger, Recurrence, SeriesSpec } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

const HOURS = new Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-05-01', start: '09:00', end: '12:00' }] })
const NOW = '2026-05-01T00:00:00Z'

function threeDays() {
  const spec = new SeriesSpec('s', new Recurrence('FREQ=DAILY;COUNT=3', '2026-05-05T09:00', 'UTC'), 30, ['provider:P1'])
  const ledger = new Ledger([new Booking('b6', ['provider:P1'], '2026-05-06T09:00:00Z', '2026-05-06T10:00:00Z')])
  return { spec, ledger }
}

test('SeriesSpec#addAlternatives: the nearest free starts around each conflicting occurrence', () => {
  const { spec, ledger } = threeDays()
  const plan = spec.plan(ledger, NOW)
  assert.deepEqual(plan.map((o) => o.ok), [true, false, true])
  // Plain plan answers carry no alternatives.
  assert.deepEqual(plan.map((o) => o.alternatives), [null, null, null])
  const got = spec.addAlternatives(plan, ledger, HOURS, { now: NOW, count: 2 })
  assert.equal(got.length, 3)
  // Free occurrences come back as they were.
  assert.deepEqual(got[0], plan[0])
  assert.deepEqual(got[2], plan[2])
  const sixth = got[1]
  assert.ok(Object.isFrozen(sixth) && Object.isFrozen(sixth.alternatives) && Object.isFrozen(sixth.alternatives.before))
  assert.deepEqual([sixth.id, sixth.recurrenceId, sixth.start, sixth.end, sixth.ok, sixth.booked], [
    's.20260506T090000', '2026-05-06T09:00:00', '2026-05-06T09:00:00Z', '2026-05-06T09:30:00Z', false, false,
  ])
  assert.deepEqual(sixth.conflicts, [{ resource: 'provider:P1', bookings: ['b6'] }])
  // On the occurrence's half-hour grid: 09:00 and 09:30 on 6 May overlap b6,
  // so after it come 10:00 and 10:30; before it, the last starts of 5 May's
  // hours, 11:30 then 11:00 (plan books nothing: 5 May's occurrence is not in the way).
  assert.deepEqual(sixth.alternatives, {
    before: ['2026-05-05T11:30:00Z', '2026-05-05T11:00:00Z'],
    after: ['2026-05-06T10:00:00Z', '2026-05-06T10:30:00Z'],
  })
  // The same answer as alternatives() for that occurrence's interval and resources.
  assert.deepEqual(sixth.alternatives, hcas.alternatives(HOURS, ledger, ['provider:P1'], sixth.start, sixth.end, { now: NOW, count: 2 }))
  // The step and radius are the search's: on a 15-minute grid 11:45 would end
  // past 12:00, so 11:30 is still the nearest before; 10:00 the nearest after.
  const one = spec.addAlternatives(plan, ledger, HOURS, { now: new Date(NOW), count: 1, step: 15, searchDays: 1 })
  assert.deepEqual(one[1].alternatives, { before: ['2026-05-05T11:30:00Z'], after: ['2026-05-06T10:00:00Z'] })
  // Answers go back in, alternatives and all (they are searched again).
  assert.deepEqual(spec.addAlternatives(one, ledger, HOURS, { now: NOW, count: 2 }), got)
  // Results written by hand (instants as Date or epoch ms) are taken too.
  const byHand = { ...plan[1], start: new Date('2026-05-06T09:00:00Z'), end: Date.parse('2026-05-06T09:30:00Z'), alternatives: undefined }
  assert.deepEqual(spec.addAlternatives([byHand], ledger, HOURS, { now: NOW, count: 2 }), [sixth])
  assert.deepEqual(spec.addAlternatives([], ledger, HOURS, { now: NOW, count: 2 }), [])
})

test('SeriesSpec#addAlternatives refuses what the search refuses, and bad results', () => {
  const { spec, ledger } = threeDays()
  const plan = spec.plan(ledger, NOW)
  for (const [options, cls] of [
    [{ now: NOW, count: 0 }, hcas.InvalidRequestError],
    [{ now: NOW, count: 1, searchDays: 0 }, hcas.InvalidRequestError],
    [{ now: NOW, count: 1, searchDays: 1.5 }, hcas.InvalidRequestError],
    [{ count: 1 }, hcas.InvalidDatetimeError],
    [{ now: NOW, count: 1, days: 3 }, hcas.InvalidRequestError],
  ]) {
    const e = thrown(() => spec.addAlternatives(plan, ledger, HOURS, options))
    assert.ok(e instanceof cls, `${JSON.stringify(options)}: ${e}`)
  }
  const refused = (results, field) => {
    const e = thrown(() => spec.addAlternatives(results, ledger, HOURS, { now: NOW, count: 1 }))
    assert.ok(e instanceof hcas.HcasError && e.message.includes(field), `${field}: ${e}`)
    return e
  }
  assert.ok(refused(['x'], 'results[0]') instanceof hcas.InvalidRequestError)
  assert.ok(refused(plan[0], 'results') instanceof hcas.InvalidRequestError)
  assert.ok(refused([{ ...plan[1], ok: 'no' }], 'results[0].ok') instanceof hcas.InvalidRequestError)
  assert.ok(refused([{ ...plan[1], conflicts: undefined }], 'results[0].conflicts') instanceof hcas.InvalidRequestError)
  assert.ok(refused([plan[0], { ...plan[1], extra: 1 }], 'results[1].extra') instanceof hcas.InvalidRequestError)
  assert.ok(refused([{ ...plan[1], start: 'soon' }], 'results[0].start') instanceof hcas.InvalidDatetimeError)
  assert.ok(refused([{ ...plan[1], alternatives: { before: ['x'], after: [] } }], 'results[0].alternatives.before[0]') instanceof hcas.InvalidDatetimeError)
  assert.ok(thrown(() => spec.addAlternatives(plan, {}, HOURS, { now: NOW, count: 1 })) instanceof hcas.InvalidRequestError)
  const e = thrown(() => spec.addAlternatives(plan, ledger, 'HOURS', { now: NOW, count: 1 }))
  assert.ok(e instanceof hcas.InvalidRequestError && /Availability/.test(e.message), String(e))
})

test('seriesConflictOutcome: a refused series as an OperationOutcome', () => {
  const { spec, ledger } = threeDays()
  const plan = spec.plan(ledger, NOW)
  const oo = hcas.seriesConflictOutcome('taken', plan)
  // The conflict issue of operationOutcome, then one issue for the 6 May occurrence.
  assert.equal(oo.resourceType, 'OperationOutcome')
  assert.equal(oo.issue.length, 2)
  assert.deepEqual(oo.issue[0], hcas.operationOutcome('conflict', 'conflict', 'taken').issue[0])
  const text = 'occurrence 2026-05-06T09:00:00 (start 2026-05-06T09:00:00Z): Appointment/b6 holds Practitioner/P1'
  assert.deepEqual(oo.issue[1], {
    severity: 'error',
    code: 'conflict',
    details: { coding: [{ system: hcas.ERROR_SYSTEM, code: 'conflict' }], text },
    diagnostics: text,
  })
  // Free occurrences add nothing; answers with alternatives are taken too.
  assert.equal(hcas.seriesConflictOutcome('taken', [plan[0], plan[2]]).issue.length, 1)
  const advised = spec.addAlternatives(plan, ledger, HOURS, { now: NOW, count: 1 })
  assert.deepEqual(hcas.seriesConflictOutcome('taken', advised), oo)
  // Two resources taken by one booking, in the order given.
  const both = { ...plan[1], conflicts: [{ resource: 'patient:X1', bookings: ['b6'] }, { resource: 'provider:P1', bookings: ['b6', 'b9'] }] }
  assert.deepEqual(hcas.seriesConflictOutcome('taken', [both]).issue.map((i) => i.diagnostics), [
    'taken',
    'occurrence 2026-05-06T09:00:00 (start 2026-05-06T09:00:00Z): Appointment/b6 holds Patient/X1, Practitioner/P1; Appointment/b9 holds Practitioner/P1',
  ])
  for (const [args, field] of [
    [[1, plan], 'text'],
    [['taken', 'plan'], 'occurrences'],
    [['taken', [{ ...plan[1], booked: undefined }]], 'occurrences[0].booked'],
    [['taken', [{ ...plan[1], conflicts: [{ resource: 'provider:P1' }] }]], 'occurrences[0].conflicts[0]'],
  ]) {
    const e = thrown(() => hcas.seriesConflictOutcome(...args))
    assert.ok(e instanceof hcas.InvalidRequestError && e.message.includes(field), `${field}: ${e}`)
  }
})

test('seriesFromFhir(...).spec(id): a FHIR series template as a SeriesSpec', () => {
  // Tuesdays at 09:00 London, 45 minutes, four times from 24 March 2026 (09:00 GMT).
  const template = new Booking('tpl', ['provider:P1', 'patient:X1'], '2026-03-24T09:00:00Z', '2026-03-24T09:45:00Z')
  const recurrence = { zone: 'Europe/London', recurrenceType: 'wk', days: ['TU'], occurrenceCount: 4 }
  const series = hcas.seriesFromFhir(hcas.seriesToFhir({ template, recurrence }))
  assert.ok(series !== null && Object.isFrozen(series))
  const spec = series.spec('s1')
  assert.ok(spec instanceof SeriesSpec && spec.recurrence instanceof Recurrence)
  assert.deepEqual([spec.id, spec.duration, spec.resources, spec.until], ['s1', 45, ['provider:P1', 'patient:X1'], null])
  // 09:00 local each Tuesday: GMT on 24 March, BST (08:00Z) after 29 March.
  assert.deepEqual(spec.occurrences(), [
    { recurrenceId: '2026-03-24T09:00:00', start: '2026-03-24T09:00:00Z', end: '2026-03-24T09:45:00Z' },
    { recurrenceId: '2026-03-31T09:00:00', start: '2026-03-31T08:00:00Z', end: '2026-03-31T08:45:00Z' },
    { recurrenceId: '2026-04-07T09:00:00', start: '2026-04-07T08:00:00Z', end: '2026-04-07T08:45:00Z' },
    { recurrenceId: '2026-04-14T09:00:00', start: '2026-04-14T08:00:00Z', end: '2026-04-14T08:45:00Z' },
  ])
  // A working spec: booked into a ledger, its occurrences carry the series.
  const ledger = new Ledger()
  assert.equal(spec.book(ledger, '2026-03-01T00:00:00Z').booked, true)
  assert.deepEqual(hcas.seriesBookings(ledger, 's1').map((b) => b.id), [
    's1.20260324T090000', 's1.20260331T090000', 's1.20260407T090000', 's1.20260414T090000',
  ])
  // Excluded dates stay excluded (the recurrence's EXDATEs).
  const skipping = hcas.seriesFromFhir(hcas.seriesToFhir({ template, recurrence: { ...recurrence, excludingDates: ['2026-03-31'] } }))
  assert.deepEqual(skipping.spec('s2').occurrences().map((o) => o.recurrenceId), [
    '2026-03-24T09:00:00', '2026-04-07T09:00:00', '2026-04-14T09:00:00',
  ])
  // A length that is not whole minutes, and a bad id.
  const odd = new Booking('tpl', ['provider:P1'], '2026-03-24T09:00:00Z', '2026-03-24T09:45:30Z')
  const e = thrown(() => hcas.seriesFromFhir(hcas.seriesToFhir({ template: odd, recurrence })).spec('s1'))
  assert.ok(e instanceof hcas.InvalidRequestError && /whole minutes/.test(e.message), String(e))
  assert.ok(thrown(() => series.spec(7)) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => series.spec('a b').occurrences()) instanceof hcas.InvalidRequestError)
})
