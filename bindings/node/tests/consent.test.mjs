// The consent engine through the installed package: decide, bookingAllowed,
// CompiledConsents, Consent and its FHIR mapping. Every expected answer is
// worked out by hand from the five steps of CONSENT.md (../shared/vectors),
// quoted at each case, or from the booking table of docs/consent.md.
import test from 'node:test'
import assert from 'node:assert/strict'

import * as hcas from '@hcas/engine'
import { Consent, CompiledConsents, decide, bookingAllowed } from '@hcas/engine'

/** The error `f` throws (fails when it throws nothing). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

// CONSENT.md's example consent C1: permit, in force in 2025, for Org1 only;
// exception: payment (deny), with an exception to that: appointments (permit).
const C1 = {
  id: 'C1',
  patient: 'P1',
  status: 'active',
  date: '2025-03-01T00:00:00Z',
  period: { start: '2025-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z' },
  decision: 'permit',
  scope: { orgs: ['Org1'] },
  provisions: [{ purposes: ['HPAYMT'], provisions: [{ categories: ['appointments'] }] }],
}
// A later blanket deny for the same patient.
const K2 = { id: 'K2', patient: 'P1', status: 'active', date: '2025-04-01T00:00:00Z', decision: 'deny' }

const AT = '2025-06-15T12:00:00Z'
const drA = { id: 'DrA', roles: ['doctor'], org: 'Org1' }
const nurse = { id: 'Nu1', roles: ['nurse'], org: 'Org1' }
const admin = { id: 'Adm1', roles: ['admin'], org: 'Org1' }

const decision = (d, basis, consent = null, obligations = [], path = []) => ({ decision: d, basis, consent, obligations, path })

test('vocabularies are the wire names of CONSENT.md', () => {
  assert.deepEqual(hcas.ROLES, ['patient', 'doctor', 'nurse', 'admin', 'researcher'])
  assert.deepEqual(hcas.CATEGORIES, ['appointments', 'records', 'notes', 'labs', 'psychotherapy'])
  assert.deepEqual(hcas.ACTIONS, ['read', 'write'])
  assert.deepEqual(hcas.PURPOSES, ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'HMARKT'])
  assert.deepEqual(hcas.EFFECTS, ['permit', 'deny'])
  assert.deepEqual(hcas.CONSENT_STATUSES, ['active', 'inactive', 'draft', 'entered-in-error'])
  assert.deepEqual(hcas.BASES, ['self', 'role', 'break-glass', 'consent', 'default'])
  assert.deepEqual(hcas.APPOINTMENT_KINDS, ['in_person', 'telehealth'])
  assert.deepEqual(hcas.REFUSAL_CHECKS, ['access', 'telehealth', 'guardian_missing', 'guardian'])
  assert.ok(Object.isFrozen(hcas.ROLES))
})

test('decide: permits', () => {
  const req = (actor, category, purpose, extra = {}) => ({ actor, patient: 'P1', category, action: 'read', purpose, at: AT, ...extra })
  // Step 5: no consent, TREAT is permitted by default.
  assert.deepEqual(decide(req(drA, 'labs', 'TREAT'), []), decision('permit', 'default'))
  // Step 4, C1: the admin of Org1 reading appointments for payment: the
  // payment provision matches (deny) and its appointments child matches
  // (permit), so the effect is the child's, path [0, 0].
  assert.deepEqual(decide(req(admin, 'appointments', 'HPAYMT'), [C1]), decision('permit', 'consent', 'C1', [], [0, 0]))
  // For operations no provision matches: C1's base decision, path [].
  const d = decide(req(admin, 'appointments', 'HOPERAT'), [new Consent(C1)])
  assert.deepEqual(d, decision('permit', 'consent', 'C1'))
  assert.ok(Object.isFrozen(d) && Object.isFrozen(d.path))
  // Step 1: a patient reads their own labs (basis self); instants as Date.
  const self = { id: 'P1', roles: ['patient'], org: 'Org1' }
  assert.deepEqual(decide(req(self, 'labs', 'TREAT', { at: new Date(AT) }), [K2]), decision('permit', 'self'))
})

test('decide: denies', () => {
  const req = (actor, category, purpose, extra = {}) => ({ actor, patient: 'P1', category, action: 'read', purpose, at: AT, ...extra })
  // Step 4: C1 (March) and K2 (April) both apply; the latest, K2, decides.
  assert.deepEqual(decide(req(drA, 'labs', 'TREAT'), [C1, K2]), decision('deny', 'consent', 'K2'))
  // On a tie of dates a deny beats a permit.
  const K3 = { ...K2, id: 'K3', date: C1.date }
  assert.deepEqual(decide(req(drA, 'labs', 'TREAT'), [C1, K3]), decision('deny', 'consent', 'K3'))
  // Consents of other patients and inactive ones do not count: C1 alone.
  const other = { ...K2, id: 'X9', patient: 'P2' }
  const revoked = { ...K2, id: 'K4', status: 'inactive' }
  assert.deepEqual(decide(req(drA, 'labs', 'TREAT'), [C1, other, revoked]), decision('permit', 'consent', 'C1'))
  // Step 2: payment is outside the doctor's row of the default policy.
  assert.deepEqual(decide(req(drA, 'labs', 'HPAYMT'), [C1]), decision('deny', 'role'))
  // Step 1: psychotherapy notes are outside a patient's right of access.
  const self = { id: 'P1', roles: ['patient'], org: 'Org1' }
  assert.deepEqual(decide(req(self, 'psychotherapy', 'TREAT'), []), decision('deny', 'self'))
  // A patient-only actor on someone else's data: basis role.
  assert.deepEqual(decide(req({ ...self, id: 'P2' }, 'labs', 'TREAT'), []), decision('deny', 'role'))
  // Step 5: research needs an authorization.
  const researcher = { id: 'R1', roles: ['researcher'], org: 'Org1' }
  assert.deepEqual(decide(req(researcher, 'records', 'HRESCH'), []), decision('deny', 'default'))
  // A policy replaces the role table: doctors may only read appointments.
  const policy = { roles: { doctor: { categories: ['appointments'], actions: ['read'], purposes: ['*'] } } }
  assert.deepEqual(decide(req(drA, 'labs', 'TREAT'), [], policy), decision('deny', 'role'))
  assert.deepEqual(decide(req(drA, 'appointments', 'HMARKT'), [], policy), decision('deny', 'default'))
  assert.deepEqual(decide(req(drA, 'appointments', 'TREAT'), [], null), decision('permit', 'default'))
})

test('decide: break-glass', () => {
  const audit = ['audit-break-glass']
  const emergency = (startedAt, actor = nurse, extra = {}) => ({
    actor,
    patient: 'P1',
    category: 'records',
    action: 'read',
    purpose: 'ETREAT',
    at: new Date(AT),
    breakGlass: { reason: 'unconscious in ED', startedAt },
    ...extra,
  })
  // A nurse, ETREAT, started 30 minutes before: permitted over K2's deny.
  assert.deepEqual(decide(emergency('2025-06-15T11:30:00Z'), [K2]), decision('permit', 'break-glass', null, audit))
  // Exactly 60 minutes before is still in time (epoch ms in).
  assert.deepEqual(decide(emergency(Date.parse('2025-06-15T11:00:00Z')), [K2]), decision('permit', 'break-glass', null, audit))
  // 61 minutes before, or after `at`, or no reason: denied, basis break-glass, still audited.
  assert.deepEqual(decide(emergency('2025-06-15T10:59:00Z'), [K2]), decision('deny', 'break-glass', null, audit))
  assert.deepEqual(decide(emergency('2025-06-15T12:00:01Z'), [K2]), decision('deny', 'break-glass', null, audit))
  const noReason = emergency('2025-06-15T11:30:00Z')
  noReason.breakGlass = { ...noReason.breakGlass, reason: '' }
  assert.deepEqual(decide(noReason, []), decision('deny', 'break-glass', null, audit))
  // An admin may never use ETREAT: the role gate denies first, and the attempt is audited.
  assert.deepEqual(decide(emergency('2025-06-15T11:30:00Z', admin, { category: 'appointments' }), []), decision('deny', 'role', null, audit))
})

test('CompiledConsents: one patient, many requests', () => {
  const revoked = { ...K2, id: 'K4', status: 'inactive' }
  const other = { ...K2, id: 'X9', patient: 'P2' }
  const compiled = new CompiledConsents('P1', [C1, new Consent(K2), revoked, other])
  assert.equal(compiled.patient, 'P1')
  assert.equal(compiled.size, 2) // C1 and K2: the patient's active consents
  const req = { actor: drA, patient: 'P1', category: 'labs', action: 'read', purpose: 'TREAT', at: AT }
  assert.deepEqual(compiled.decide(req), decision('deny', 'consent', 'K2'))
  assert.deepEqual(compiled.decide(req), decide(req, [C1, K2]))
  // Step 4 alone: a payment request the role gate denies still has the consents' answer.
  const payment = { ...req, purpose: 'HPAYMT' }
  assert.deepEqual(compiled.decide(payment), decision('deny', 'role'))
  assert.deepEqual(compiled.byConsent(payment), decision('deny', 'consent', 'K2'))
  // No consent applies: C1 is over in 2026, or scoped to Org1.
  const onlyC1 = new CompiledConsents('P1', [C1])
  assert.deepEqual(onlyC1.byConsent(req), decision('permit', 'consent', 'C1'))
  for (const none of [{ ...req, at: '2026-02-01T00:00:00Z' }, { ...req, actor: { ...drA, org: 'Org2' } }]) {
    assert.equal(onlyC1.byConsent(none), null)
    assert.deepEqual(onlyC1.decide(none), decision('permit', 'default'))
  }
  // A request about another patient is refused.
  const e = thrown(() => compiled.decide({ ...req, patient: 'P2' }))
  assert.ok(e instanceof hcas.InvalidRequestError, String(e))
})

test('bookingAllowed: the checks of the booking table', () => {
  const at = '2025-06-01T09:00:00Z'
  const desk = { id: 'Fd1', roles: ['admin'], org: 'OrgA' }
  const mum = { id: 'Mum', roles: ['patient'], org: 'OrgA' }
  // Kid's consent: nobody, except Mum for appointments.
  const T1 = {
    id: 'T1',
    patient: 'Kid',
    status: 'active',
    date: '2025-01-01T00:00:00Z',
    decision: 'deny',
    provisions: [{ actors: ['Mum'], categories: ['appointments'] }],
  }
  const t1Deny = decision('deny', 'consent', 'T1')
  // The desk books for Kid with Mum as guardian: T1 denies the desk
  // (access); Mum is singled out, so the guardian check passes.
  const desk1 = bookingAllowed({ actor: desk, patient: 'Kid', at, patientIsMinor: true, guardian: 'Mum' }, [T1])
  assert.deepEqual(desk1, { allowed: false, refusals: [{ check: 'access', decision: t1Deny }] })
  assert.ok(Object.isFrozen(desk1) && Object.isFrozen(desk1.refusals[0]))
  // Mum books herself: her access is the guardian check; allowed, in person and by telehealth
  // (T1's provision permits her appointments, whatever the labels).
  assert.deepEqual(bookingAllowed({ actor: mum, patient: 'Kid', at, patientIsMinor: true, guardian: 'Mum' }, [T1]), { allowed: true, refusals: [] })
  assert.deepEqual(
    bookingAllowed({ actor: mum, patient: 'Kid', at: new Date(at), kind: 'telehealth', patientIsMinor: true, guardian: 'Mum' }, [T1]),
    { allowed: true, refusals: [] },
  )
  // The desk by telehealth: access and telehealth both refused by T1's base deny.
  assert.deepEqual(bookingAllowed({ actor: desk, patient: 'Kid', at, kind: 'telehealth', patientIsMinor: true, guardian: 'Mum' }, [T1]), {
    allowed: false,
    refusals: [
      { check: 'access', decision: t1Deny },
      { check: 'telehealth', decision: t1Deny },
    ],
  })
  // No consents: the desk may book an adult in person (HOPERAT by default),
  // not by telehealth (no consent applies: decision null), not a minor without a guardian.
  assert.deepEqual(bookingAllowed({ actor: desk, patient: 'P1', at }, []), { allowed: true, refusals: [] })
  assert.deepEqual(bookingAllowed({ actor: desk, patient: 'P1', at, kind: 'telehealth' }, []), {
    allowed: false,
    refusals: [{ check: 'telehealth', decision: null }],
  })
  assert.deepEqual(bookingAllowed({ actor: desk, patient: 'Kid', at, patientIsMinor: true }, []), {
    allowed: false,
    refusals: [{ check: 'guardian_missing', decision: null }],
  })
  // A consent open to anyone does not single the guardian out.
  const open = { id: 'O1', patient: 'Kid', status: 'active', date: '2025-01-01T00:00:00Z', decision: 'permit' }
  assert.deepEqual(bookingAllowed({ actor: desk, patient: 'Kid', at, patientIsMinor: true, guardian: 'Mum' }, [open]), {
    allowed: false,
    refusals: [{ check: 'guardian', decision: decision('permit', 'consent', 'O1') }],
  })
  // The compiled form answers the same.
  const compiled = new CompiledConsents('Kid', [T1])
  assert.deepEqual(compiled.bookingAllowed({ actor: desk, patient: 'Kid', at, patientIsMinor: true, guardian: 'Mum' }), desk1)
  // Question errors.
  for (const bad of [
    { actor: desk, patient: 'P1', at, guardian: 'Mum' }, // a guardian for an adult
    { actor: desk, patient: 'P1', at, kind: 'video' },
    { actor: desk, patient: 'P1', at, patientIsMinor: 'yes' },
    { actor: { id: 'Fd1', roles: ['clerk'], org: 'OrgA' }, patient: 'P1', at },
    { actor: desk, patient: 'P1', at, when: at },
  ]) {
    const e = thrown(() => bookingAllowed(bad, []))
    assert.ok(e instanceof hcas.InvalidRequestError && e.code === 'invalid_request', `${JSON.stringify(bad)}: ${e}`)
  }
})

test('invalid consents are InvalidConsentError naming the field', () => {
  const req = { actor: drA, patient: 'P1', category: 'labs', action: 'read', purpose: 'TREAT', at: AT }
  const cases = [
    [{ ...K2, status: 'revoked' }, /consent\.status/],
    [{ ...K2, decision: 'maybe' }, /consent\.decision/],
    [{ ...K2, provisions: [] }, /consent\.provisions/],
    [{ ...K2, period: { start: '2025-06-01T00:00:00Z', end: '2025-01-01T00:00:00Z' } }, /consent\.period/],
    [{ ...K2, scope: { roles: ['surgeon'] } }, /consent\.scope\.roles\[0\]/],
    [{ ...K2, scope: { actors: [] } }, /consent\.scope\.actors/],
    [{ ...K2, colour: 'red' }, /colour/],
    [{ ...K2, id: '' }, /consent\.id/],
  ]
  for (const [bad, where] of cases) {
    const e = thrown(() => new Consent(bad))
    assert.ok(e instanceof hcas.InvalidConsentError, `${JSON.stringify(bad)}: ${e}`)
    assert.equal(e.code, 'invalid_consent')
    assert.match(e.message, where)
  }
  // In a list, the consent is named by its index.
  const listed = thrown(() => decide(req, [K2, { ...K2, id: 'K5', status: 'revoked' }]))
  assert.ok(listed instanceof hcas.InvalidConsentError && /consents\[1\]\.status/.test(listed.message), String(listed))
  // Two consents with one id.
  const dup = thrown(() => decide(req, [K2, K2]))
  assert.ok(dup instanceof hcas.InvalidConsentError, String(dup))
  // A malformed instant is invalid_datetime, as everywhere.
  const when = thrown(() => new Consent({ ...K2, date: 'yesterday' }))
  assert.ok(when instanceof hcas.InvalidDatetimeError && /consent\.date/.test(when.message), String(when))
  // A Date is not JSON: a hint to give an ISO string.
  const date = thrown(() => new Consent({ ...K2, date: new Date(AT) }))
  assert.ok(date instanceof hcas.InvalidRequestError && /ISO 8601/.test(date.message), String(date))
})

test('invalid requests and policies are InvalidRequestError', () => {
  const req = { actor: drA, patient: 'P1', category: 'labs', action: 'read', purpose: 'TREAT', at: AT }
  for (const [bad, where] of [
    [{ ...req, category: 'xrays' }, /request\.category/],
    [{ ...req, purpose: 'treat' }, /request\.purpose/],
    [{ ...req, actor: { ...drA, org: '' } }, /request\.actor\.org/],
    [{ ...req, data_date: AT }, /request\.data_date: not a field/],
    [{ ...req, breakGlass: { reason: 'x', started_at: AT } }, /breakGlass\.started_at/],
    ['drA reads labs', /request/],
  ]) {
    const e = thrown(() => decide(bad, []))
    assert.ok(e instanceof hcas.InvalidRequestError, `${JSON.stringify(bad)}: ${e}`)
    assert.match(e.message, where)
  }
  const at = thrown(() => decide({ ...req, at: 'noon' }, []))
  assert.ok(at instanceof hcas.InvalidDatetimeError && /request\.at/.test(at.message), String(at))
  const missing = thrown(() => decide({ ...req, at: undefined }, []))
  assert.ok(missing instanceof hcas.InvalidDatetimeError, String(missing))
  const policy = thrown(() => decide(req, [], { roles: { surgeon: { categories: ['*'], actions: ['*'], purposes: ['*'] } } }))
  assert.ok(policy instanceof hcas.InvalidRequestError && /policy\.roles/.test(policy.message), String(policy))
  for (const consents of [undefined, 'C1', 7]) {
    const e = thrown(() => decide(req, consents))
    assert.ok(e instanceof hcas.InvalidRequestError, `${String(consents)}: ${e}`)
  }
  // An entry that is not a consent object breaks the consent model.
  const entry = thrown(() => decide(req, [7]))
  assert.ok(entry instanceof hcas.InvalidConsentError && /consents\[0\]/.test(entry.message), String(entry))
})

test('Consent: getters, toJSON and FHIR R4/R5', () => {
  const c = new Consent(C1)
  assert.deepEqual([c.id, c.patient, c.status, c.decision, c.date], ['C1', 'P1', 'active', 'permit', '2025-03-01T00:00:00Z'])
  assert.deepEqual(c.toJSON(), C1)
  assert.deepEqual(JSON.parse(JSON.stringify(c)), C1)
  // R4 (the default): patient.reference, dateTime, the root provision is
  // the consent itself, each nested provision the opposite type of its parent.
  const r4 = c.toFhir()
  assert.deepEqual(r4, c.toFhir({ version: 'r4' }))
  assert.equal(r4.resourceType, 'Consent')
  assert.deepEqual(r4.patient, { reference: 'Patient/P1' })
  assert.equal(r4.dateTime, '2025-03-01T00:00:00Z')
  assert.equal(r4.provision.type, 'permit')
  assert.equal(r4.provision.provision[0].type, 'deny')
  assert.equal(r4.provision.provision[0].provision[0].type, 'permit')
  // R5: subject, a day as `date`, `decision`.
  const r5 = c.toFhir({ version: 'r5' })
  assert.deepEqual(r5.subject, { reference: 'Patient/P1' })
  assert.equal(r5.date, '2025-03-01')
  assert.equal(r5.decision, 'permit')
  for (const [resource, version] of [
    [r4, 'r4'],
    [r5, 'r5'],
  ]) {
    const back = Consent.fromFhir(resource, { version })
    assert.ok(back instanceof Consent)
    assert.deepEqual(back.toJSON(), C1, version)
  }
  // A hand-written R4 resource: a date without a time is midnight UTC; a
  // period end given as a date includes that day (ends the next midnight).
  const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'
  const written = {
    resourceType: 'Consent',
    id: 'C1',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: 'Patient/P1' },
    dateTime: '2025-03-01',
    provision: { type: 'permit', period: { end: '2025-12-31' }, provision: [{ type: 'deny', purpose: [{ system: ACT_REASON, code: 'HMARKT' }] }] },
  }
  assert.deepEqual(Consent.fromFhir(written).toJSON(), {
    id: 'C1',
    patient: 'P1',
    status: 'active',
    date: '2025-03-01T00:00:00Z',
    period: { end: '2026-01-01T00:00:00Z' },
    decision: 'permit',
    provisions: [{ purposes: ['HMARKT'] }],
  })
  // Errors: an R5 resource read as R4, a bad version, a bad date, a bad period.
  assert.ok(thrown(() => Consent.fromFhir(r5, { version: 'r4' })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => Consent.fromFhir(r4, { version: 'R4' })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => c.toFhir({ version: 'r6' })) instanceof hcas.InvalidRequestError)
  assert.ok(thrown(() => Consent.fromFhir({ ...r4, dateTime: '2025-13-01' })) instanceof hcas.InvalidDatetimeError)
  const badPeriod = structuredClone(r4)
  badPeriod.provision.period = { start: '2025-06-01T00:00:00Z', end: '2025-01-01T00:00:00Z' }
  const e = thrown(() => Consent.fromFhir(badPeriod))
  assert.ok(e instanceof hcas.InvalidConsentError && /provision\.period/.test(e.message), String(e))
})
