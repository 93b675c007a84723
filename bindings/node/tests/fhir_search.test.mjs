// The FHIR operation and search helpers (hcas_core::fhir::operation and
// ::search) through the installed package: the `Parameters` of
// $find/$hold/$book, the ids and Appointments of $find proposals, and search
// parameter values parsed and matched. Expectations from the module docs (the
// proposal id layout; R4's search prefixes: a date value is the range its
// precision implies) worked out by hand; unix seconds computed with JS `Date`.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { DateParam, TokenParam, ReferenceParam } = hcas

/** `f` throws the class `cls` with its code; its message matches `re` if given. */
function refuses(f, cls, re) {
  let e
  try {
    f()
  } catch (err) {
    e = err
  }
  assert.ok(e instanceof cls, `expected ${cls.name}, got ${e && e.name}: ${e && e.message}`)
  assert.equal(e.code, cls.code)
  if (re !== undefined) assert.match(e.message, re)
  return e
}

/** 2026-<month>-<day>T<h>:<m>:<s>Z. */
function t(day, h = 0, m = 0, s = 0, month = 5) {
  return new Date(Date.UTC(2026, month - 1, day, h, m, s)).toISOString().replace('.000Z', 'Z')
}

// --- operation ---

test('a proposal id carries start, provider and patient', () => {
  const start = '2030-01-09T14:00:00Z'
  const unix = Date.parse(start) / 1000
  // <unix seconds>-<length of the provider id>-<provider id><patient id>
  assert.equal(hcas.proposalId('dr-lee', 'pat-alice', start), `${unix}-6-dr-leepat-alice`)
  assert.equal(hcas.proposalId('dr-lee', 'pat-alice', new Date(start)), `${unix}-6-dr-leepat-alice`)
  const p = hcas.parseProposalId(`${unix}-6-dr-leepat-alice`)
  assert.deepEqual(p, { provider: 'dr-lee', patient: 'pat-alice', start })
  assert.ok(Object.isFrozen(p))
  // Dashes and dots in the ids: the length says where the provider ends.
  assert.deepEqual(hcas.parseProposalId(`${unix}-5-x.1-23-y`), { provider: 'x.1-2', patient: '3-y', start })
  for (const notOne of ['8c7e2f4a-1b2c-4d5e-8f90-123456789abc', `${unix}-0-ab`, `${unix}-9-ab`, 'x-1-ab']) {
    assert.equal(hcas.parseProposalId(notOne), null, notOne)
  }
  // 40 + 30 characters cannot fit a FHIR id (at most 64).
  assert.equal(hcas.proposalId('p'.repeat(40), 'q'.repeat(30), start), null)
  refuses(() => hcas.proposalId('dr-lee', 'pat-alice', '2030-01-09T14:00:00'), hcas.InvalidDatetimeError, /^start/)
})

test('a proposed Appointment is a proposed booking of both', () => {
  const start = '2030-01-09T14:00:00Z'
  const end = '2030-01-09T14:30:00Z'
  const appt = hcas.proposedAppointment('dr-lee', 'pat-alice', start, end)
  assert.equal(appt.resourceType, 'Appointment')
  assert.equal(appt.status, 'proposed')
  assert.equal(appt.id, hcas.proposalId('dr-lee', 'pat-alice', start))
  assert.deepEqual([appt.start, appt.end], [start, end])
  assert.deepEqual(new Set(appt.participant.map((p) => p.actor.reference)), new Set(['Practitioner/dr-lee', 'Patient/pat-alice']))
  const b = hcas.appointmentFromFhir(appt)
  assert.equal(b.status, 'proposed')
  assert.deepEqual(new Set(b.resources), new Set(['provider:dr-lee', 'patient:pat-alice']))
  refuses(() => hcas.proposedAppointment('p'.repeat(40), 'q'.repeat(30), start, end), hcas.InvalidRequestError, /no proposed Appointment id/)
  refuses(() => hcas.proposedAppointment('dr-lee', 'pat-alice', end, start), hcas.InvalidIntervalError)
})

test('readParameters answers the parameters in order with their text', () => {
  const coding = { system: 'http://snomed.info/sct', code: '394814009' }
  const got = hcas.readParameters({
    resourceType: 'Parameters',
    parameter: [
      { name: 'start', valueDate: '2030-01-09' },
      { name: 'practitioner', valueReference: { reference: 'Practitioner/dr-lee' } },
      { name: 'specialty', valueCoding: coding },
      { name: 'count', valueInteger: 3 },
      { name: 'when', valuePeriod: { start: '2030-01-09' } },
    ],
  })
  assert.deepEqual(got, [
    { name: 'start', element: 'valueDate', value: '2030-01-09', text: '2030-01-09' },
    { name: 'practitioner', element: 'valueReference', value: { reference: 'Practitioner/dr-lee' }, text: 'Practitioner/dr-lee' },
    { name: 'specialty', element: 'valueCoding', value: coding, text: 'http://snomed.info/sct|394814009' },
    { name: 'count', element: 'valueInteger', value: 3, text: '3' },
    { name: 'when', element: 'valuePeriod', value: { start: '2030-01-09' }, text: null },
  ])
  assert.ok(Object.isFrozen(got) && Object.isFrozen(got[1].value))
})

test('readParameters refuses what the operations cannot take', () => {
  refuses(() => hcas.readParameters({ resourceType: 'Patient' }), hcas.InvalidRequestError)
  const bad = [
    [{ name: 'x' }, /has no value/],
    [{ name: 'x', valueString: 'a', valueInteger: 1 }, /more than one value/],
    [{ name: 'x', part: [], valueString: 'a' }, /nested/],
    [{ valueString: 'a' }, /name/],
  ]
  for (const [param, why] of bad) {
    const e = refuses(() => hcas.readParameters({ resourceType: 'Parameters', parameter: [param] }), hcas.InvalidRequestError, why)
    assert.match(e.message, /parameter\[0\]/)
  }
})

// --- search ---

test('date values are the ranges their precision implies', () => {
  assert.deepEqual(new Set(hcas.SEARCH_PREFIXES), new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb']))
  assert.equal(hcas.SEARCH_PREFIXES.length, 8)
  const year = new DateParam('2026')
  assert.deepEqual([year.prefix, year.lower, year.upper], ['eq', t(1, 0, 0, 0, 1), '2027-01-01T00:00:00Z'])
  const month = new DateParam('2026-05')
  assert.deepEqual([month.lower, month.upper], [t(1), t(1, 0, 0, 0, 6)])
  const day = new DateParam('ge2026-05-04')
  assert.deepEqual([day.text, day.prefix, day.lower, day.upper], ['ge2026-05-04', 'ge', t(4), t(5)])
  // 10:00 at +02:00 is 08:00Z; a second's precision is a one-second range.
  const second = new DateParam('lt2026-05-04T10:00:00+02:00')
  assert.deepEqual([second.prefix, second.lower, second.upper], ['lt', t(4, 8), t(4, 8, 0, 1)])
  refuses(() => new DateParam('2026-05-04T10:00:00'), hcas.InvalidRequestError, /not a FHIR date search value/)
  refuses(() => new DateParam('ge2026-02-30'), hcas.InvalidRequestError)
  refuses(() => new DateParam(20260504), hcas.InvalidRequestError, /^text/)
})

test('date prefixes compare ranges as R4 defines them', () => {
  assert.ok(new DateParam('ge2026-05-04').matchesInstant(t(4)))
  assert.ok(!new DateParam('ge2026-05-04').matchesInstant(t(3, 23, 59, 59)))
  assert.ok(new DateParam('ge2026-05-04').matchesInstant(Date.UTC(2026, 4, 4, 12)))
  const lt = new DateParam('lt2026-05-04T10:00:00Z')
  // Part of 09:30-10:30 lies before 10:00:00; nothing of 10:00-10:30 does.
  assert.ok(lt.matchesPeriod(t(4, 9, 30), t(4, 10, 30)))
  assert.ok(!lt.matchesPeriod(t(4, 10), t(4, 10, 30)))
  const day = new DateParam('2026-05-04')
  // eq: the whole target inside the day; a period reaching into the 5th is not.
  assert.ok(day.matchesPeriod(t(4, 9), t(5)))
  assert.ok(!day.matchesPeriod(t(4, 23), t(5, 1)))
  assert.ok(new DateParam('ne2026-05-04').matchesPeriod(t(4, 23), t(5, 1)))
  // sa / eb: the whole target after / before the day.
  assert.ok(new DateParam('sa2026-05-04').matchesInstant(t(5)))
  assert.ok(!new DateParam('sa2026-05-04').matchesInstant(t(4, 23)))
  assert.ok(new DateParam('eb2026-05-04').matchesPeriod(t(3, 23), t(4)))
  assert.ok(!new DateParam('eb2026-05-04').matchesPeriod(t(3, 23), t(4, 0, 1)))
  // Ranges for a store query.
  assert.deepEqual(new DateParam('lt2026-05-04').instantRange(), { start: null, end: t(4) })
  assert.deepEqual(day.instantRange(), { start: t(4), end: t(5) })
  assert.equal(new DateParam('ne2026').instantRange(), null)
  assert.deepEqual(new DateParam('sa2026-05-04').bounds(), { start: t(5), end: null })
  assert.deepEqual(new DateParam('eb2026-05-04').bounds(), { start: null, end: t(4) })
  assert.deepEqual(new DateParam('ne2026').bounds(), { start: null, end: null })
  refuses(() => day.matchesInstant({}), hcas.InvalidDatetimeError, /^t/)
})

test('tokens', () => {
  const t1 = new TokenParam('http://x|gp')
  assert.deepEqual([t1.system, t1.code], ['http://x', 'gp'])
  assert.ok(t1.matches('http://x', 'gp') && !t1.matches('http://y', 'gp') && !t1.matches(null, 'gp'))
  const bare = new TokenParam('gp')
  assert.equal(bare.system, null)
  assert.ok(bare.matches(null, 'gp') && bare.matches('http://y', 'gp') && !bare.matches(null, 'gq'))
  const noSystem = new TokenParam('|gp')
  assert.equal(noSystem.system, '')
  assert.ok(noSystem.matches(null, 'gp') && !noSystem.matches('http://x', 'gp'))
  const anyCode = new TokenParam('http://x|')
  assert.equal(anyCode.code, null)
  assert.ok(anyCode.matches('http://x', 'whatever') && !anyCode.matches(null, 'whatever'))
  for (const bad of ['', '|']) refuses(() => new TokenParam(bad), hcas.InvalidRequestError, /not a token/)
  assert.equal(String(t1), 'http://x|gp')
})

test('references and _count', () => {
  const types = ['Practitioner', 'Patient']
  const r = new ReferenceParam('Practitioner/P1', types)
  assert.deepEqual([r.resourceType, r.id, [...r.types]], ['Practitioner', 'P1', types])
  assert.ok(r.names('Practitioner', 'P1') && !r.names('Patient', 'P1') && !r.names('Practitioner', 'P2'))
  const bare = new ReferenceParam('P1', types)
  assert.equal(bare.resourceType, null)
  assert.ok(bare.names('Patient', 'P1') && bare.names('Practitioner', 'P1'))
  for (const bad of ['Device/D1', 'http://example.org/Practitioner/P1', 'Practitioner/P1/_history/2', 'Practitioner/']) {
    refuses(() => new ReferenceParam(bad, types), hcas.InvalidRequestError)
  }
  refuses(() => new ReferenceParam('P1', 'Practitioner'), hcas.InvalidRequestError, /^types/)
  assert.equal(hcas.MAX_COUNT, 500)
  assert.deepEqual([hcas.parseCount('0'), hcas.parseCount('500')], [0, 500])
  for (const bad of ['501', '-1', 'ten', '']) refuses(() => hcas.parseCount(bad), hcas.InvalidRequestError, /_count/)
})
