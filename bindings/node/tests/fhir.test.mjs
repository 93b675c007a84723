// The FHIR R4 mapping through the installed package. Expectations come from
// the FHIR R4 spec (Appointment.status / Slot.status codes, `Type/id`
// references, instants in UTC with `Z`), the mapping tables in the core's
// module docs (crates/hcas-core/src/fhir/) and docs/fhir.md; ids and instants
// are recomputed here with JS `Date`, and the Python binding's tests
// (bindings/python/tests/test_fhir*.py) were used to cross-check.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as hcas from '@hcas/engine'

const { Booking, Ledger, Availability } = hcas

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('expected an error')
}

/** `f` throws the class `cls`, with its code, the message starting with `start`. */
function refuses(f, cls, start) {
  const e = thrown(f)
  assert.ok(e instanceof cls, `${e && e.name}: ${e && e.message}`)
  assert.equal(e.code, cls.code)
  if (start !== undefined) assert.ok(e.message.startsWith(start), e.message)
  return e
}

/** 2026-05-<day>T<h>:<m>:00Z as an ISO string. */
function at(h, m = 0, day = 4) {
  return new Date(Date.UTC(2026, 4, day, h, m)).toISOString().replace('.000Z', 'Z')
}
/** Unix seconds of an ISO instant, computed by JS. */
const unix = (iso) => Date.parse(iso) / 1000

const HOLD_EXPIRES = 'https://hcas.dev/fhir/StructureDefinition/hold-expires'
const RECURRENCE_ID = 'https://hcas.dev/fhir/StructureDefinition/recurrence-id'
const R5_RECURRENCE_ID = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId'
const ORIGINATING = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment'
const RECURRENCE_TEMPLATE = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceTemplate'

/** The fields of a Booking, to compare. */
function fields(b) {
  return { id: b.id, resources: b.resources, start: b.start, end: b.end, status: b.status, holdExpires: b.holdExpires }
}

// --- Appointment ---

test('a booking round-trips through an Appointment', () => {
  const b = new Booking('a1', ['provider:P1', 'patient:X1', 'room:R2'], at(9), new Date(Date.UTC(2026, 4, 4, 9, 45)))
  const fhir = hcas.appointmentToFhir(b)
  // R4: status `booked`; participants are `Type/id` references, `accepted`;
  // minutesDuration = 45 (09:00-09:45).
  assert.deepEqual(fhir, {
    resourceType: 'Appointment',
    id: 'a1',
    status: 'booked',
    start: '2026-05-04T09:00:00Z',
    end: '2026-05-04T09:45:00Z',
    minutesDuration: 45,
    participant: [
      { actor: { reference: 'Practitioner/P1' }, status: 'accepted' },
      { actor: { reference: 'Patient/X1' }, status: 'accepted' },
      { actor: { reference: 'Location/R2' }, status: 'accepted' },
    ],
  })
  const back = hcas.appointmentFromFhir(fhir)
  assert.ok(back instanceof Booking)
  assert.deepEqual(fields(back), fields(b))
})

test('a hold is pending with its expiry; other statuses keep their R4 code', () => {
  const h = new Booking('h1', ['provider:P1'], at(9), at(9, 30), { status: 'held', holdExpires: at(8, 10) })
  const fhir = hcas.appointmentToFhir(h)
  assert.equal(fhir.status, 'pending')
  assert.deepEqual(fhir.extension, [{ url: HOLD_EXPIRES, valueInstant: '2026-05-04T08:10:00Z' }])
  const back = hcas.appointmentFromFhir(fhir)
  assert.equal(back.status, 'held')
  assert.equal(back.holdExpires, '2026-05-04T08:10:00Z')
  // The R4 AppointmentStatus codes hcas shares (a device is a Device).
  for (const status of ['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in']) {
    const b = new Booking('a1', ['device:D1'], at(9), at(10), { status })
    const out = hcas.appointmentToFhir(b)
    assert.equal(out.status, status)
    assert.deepEqual(out.participant, [{ actor: { reference: 'Device/D1' }, status: 'accepted' }])
    assert.deepEqual(fields(hcas.appointmentFromFhir(out)), fields(b))
  }
})

test('a malformed Appointment is refused with its family, naming the JSON path', () => {
  const good = hcas.appointmentToFhir(new Booking('a1', ['provider:P1', 'patient:X1'], at(9), at(10)))
  for (const key of ['id', 'status', 'start', 'end']) {
    const bad = { ...good }
    delete bad[key]
    refuses(() => hcas.appointmentFromFhir(bad), hcas.InvalidRequestError, key)
  }
  refuses(() => hcas.appointmentFromFhir({ ...good, resourceType: 'Slot' }), hcas.InvalidRequestError, 'resourceType')
  const org = structuredClone(good)
  org.participant[1].actor.reference = 'Organization/O1'
  refuses(() => hcas.appointmentFromFhir(org), hcas.InvalidRequestError, 'participant[1].actor.reference:')
  refuses(() => hcas.appointmentFromFhir({ ...good, start: '2026-05-04T09:00:00' }), hcas.InvalidDatetimeError, 'start')
  refuses(() => hcas.appointmentFromFhir({ ...good, end: '2026-05-04T08:00:00Z' }), hcas.InvalidIntervalError, 'end')
  // 09:00-10:00 is 60 minutes, not 30.
  refuses(() => hcas.appointmentFromFhir({ ...good, minutesDuration: 30 }), hcas.InvalidRequestError, 'minutesDuration')
  // Not JSON, or not a resource object: refused by the wrapper, naming it.
  refuses(() => hcas.appointmentFromFhir({ ...good, start: new Date() }), hcas.InvalidRequestError, 'resource.start')
  refuses(() => hcas.appointmentFromFhir('{"resourceType":"Appointment"}'), hcas.InvalidRequestError, 'resource')
  refuses(() => hcas.appointmentToFhir({ id: 'a1' }), hcas.InvalidRequestError, 'booking')
  // An export refuses what FHIR cannot carry, naming the hcas field.
  refuses(() => hcas.appointmentToFhir(new Booking('a1', ['provider:P1', 'kind:X'], at(9), at(10))), hcas.InvalidRequestError, 'resources[1]')
})

/** An occurrence of series s at 09:00Z on 2026-05-<day>, as the core writes it. */
function occurrence(id, day) {
  const d = String(day).padStart(2, '0')
  return {
    resourceType: 'Appointment',
    id,
    status: 'booked',
    start: `2026-05-${d}T09:00:00Z`,
    end: `2026-05-${d}T09:30:00Z`,
    minutesDuration: 30,
    participant: [{ actor: { reference: 'Practitioner/P1' }, status: 'accepted' }],
    extension: [
      { url: RECURRENCE_ID, valueString: `2026-05-${d}T09:00:00` },
      { url: ORIGINATING, valueReference: { reference: 'Appointment/s' } },
    ],
  }
}

test('series occurrences keep their recurrence id and are numbered earliest first', () => {
  const fhir = [occurrence('s-12', 12), occurrence('s-05', 5), occurrence('s-19', 19)]
  const series = fhir.map(hcas.appointmentFromFhir)
  // FHIR -> Booking -> FHIR keeps the series extensions (the Booking keeps them natively).
  assert.deepEqual(series.map(hcas.appointmentToFhir), fhir)
  // Places among 5, 12, 19 May.
  assert.deepEqual(hcas.recurrenceNumbers(series), [2, 1, 3])
  const numbered = hcas.occurrenceToFhir(series[0], 2)
  assert.deepEqual(numbered.extension.at(-1), { url: R5_RECURRENCE_ID, valuePositiveInt: 2 })
  assert.deepEqual(fields(hcas.appointmentFromFhir(numbered)), fields(series[0]))
  const single = new Booking('a1', ['provider:P1'], at(9), at(10))
  refuses(() => hcas.occurrenceToFhir(single, 1), hcas.InvalidRequestError, 'series')
  refuses(() => hcas.recurrenceNumbers([series[0], single]), hcas.InvalidRequestError)
  assert.match(thrown(() => hcas.recurrenceNumbers([series[0], single])).message, /occurrences\[1\]/)
  refuses(() => hcas.occurrenceToFhir(series[0], 0), hcas.InvalidRequestError, 'number')
  refuses(() => hcas.occurrenceToFhir(series[0], 1.5), hcas.InvalidRequestError, 'number')
})

// --- Slot ---

test('slots across a DST change keep their wall time, written in UTC', () => {
  // Weekdays 09:00-10:00 London; the clocks go forward on Sunday 29 March 2026.
  const avail = new Availability('Europe/London', {
    rules: [{ rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', dtstart: '2026-03-02', start: '09:00', end: '10:00' }],
  })
  const starts = avail.slots('2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z', 60)
  const slots = hcas.slotsToFhir('dr-lee', starts, 60)
  // Friday 09:00 GMT is 09:00Z; Monday 09:00 BST is 08:00Z.
  assert.deepEqual(
    slots.map((s) => [s.start, s.end]),
    [
      ['2026-03-27T09:00:00Z', '2026-03-27T10:00:00Z'],
      ['2026-03-30T08:00:00Z', '2026-03-30T09:00:00Z'],
    ],
  )
  for (const s of slots) {
    assert.equal(s.resourceType, 'Slot')
    assert.equal(s.status, 'free')
    assert.deepEqual(s.schedule, { reference: 'Schedule/dr-lee' })
    assert.equal(s.id, `dr-lee-${unix(s.start)}`)
    assert.deepEqual(hcas.slotFromFhir(s), { id: s.id, schedule: 'dr-lee', start: s.start, end: s.end, status: 'free', serviceTypes: [] })
    assert.deepEqual(hcas.parseSlotId(s.id), { schedule: 'dr-lee', start: s.start })
  }
  refuses(() => hcas.slotsToFhir('S1', ['2026-05-04T09:00:00'], 30), hcas.InvalidDatetimeError, 'starts[0]')
  refuses(() => hcas.slotsToFhir('S1', [at(9)], 0), hcas.InvalidDurationError, 'duration')
})

test('a slot round-trips; statuses are the R4 codes', () => {
  assert.deepEqual([...hcas.SLOT_STATUSES], ['free', 'busy', 'busy-tentative', 'busy-unavailable', 'entered-in-error'])
  assert.ok(Object.isFrozen(hcas.SLOT_STATUSES))
  const slot = hcas.slotToFhir({ schedule: 'S1', start: at(9), end: Date.UTC(2026, 4, 4, 9, 30), status: 'busy-tentative' })
  assert.equal(slot.id, `S1-${unix(at(9))}`)
  assert.equal(slot.status, 'busy-tentative')
  assert.equal(slot.end, '2026-05-04T09:30:00Z')
  const got = hcas.slotFromFhir(slot)
  assert.ok(Object.isFrozen(got) && Object.isFrozen(got.serviceTypes))
  assert.deepEqual(got, { id: slot.id, schedule: 'S1', start: at(9), end: at(9, 30), status: 'busy-tentative', serviceTypes: [] })
  assert.deepEqual(hcas.slotToFhir(got), slot)
  const tagged = hcas.slotToFhir({ schedule: 'S1', start: at(9), end: at(9, 30), status: 'free', id: 'x9', serviceTypes: ['cardiology'] })
  assert.equal(tagged.id, 'x9')
  assert.equal(tagged.serviceType[0].coding[0].code, 'cardiology')
  // The core writes service types but does not read them back (slot.rs: service_types_are_written_not_read).
  assert.deepEqual(hcas.slotFromFhir(tagged).serviceTypes, [])
  // Not deterministic ids: no dash, or digits that are not the canonical unix seconds.
  assert.equal(hcas.parseSlotId('dr-lee'), null)
  assert.equal(hcas.parseSlotId('dr-lee-0012'), null)
  refuses(() => hcas.slotToFhir({ schedule: 'S1', start: at(9), end: at(9, 30), status: 'open' }), hcas.InvalidRequestError, 'status')
  refuses(() => hcas.slotToFhir({ schedule: 'S1', start: at(9), end: at(9, 30) }), hcas.InvalidRequestError, 'slot.status')
  refuses(() => hcas.slotToFhir({ schedule: 'S1', start: at(9), end: at(9, 30), status: 'free', colour: 'red' }), hcas.InvalidRequestError, 'slot.colour')
  refuses(() => hcas.slotFromFhir({ ...slot, schedule: { reference: 'Practitioner/P1' } }), hcas.InvalidRequestError, 'schedule')
  refuses(() => hcas.slotFromFhir({ ...slot, end: slot.start }), hcas.InvalidIntervalError, 'end')
})

// --- Schedule ---

test('a schedule round-trips with its working hours', () => {
  const rules = [{ rrule: 'FREQ=WEEKLY;BYDAY=MO,TU', dtstart: '2026-01-05', start: '09:00', end: '24:00' }]
  const input = {
    id: 'S1',
    actors: ['provider:P1'],
    planningHorizon: { start: at(0), end: at(0, 0, 11) },
    availability: { zone: 'Europe/London', rules },
    specialties: ['cardiology'],
  }
  const fhir = hcas.scheduleToFhir(input)
  assert.equal(fhir.resourceType, 'Schedule')
  assert.equal(fhir.id, 'S1')
  assert.equal(fhir.active, true)
  assert.deepEqual(fhir.actor, [{ reference: 'Practitioner/P1' }])
  assert.deepEqual(fhir.planningHorizon, { start: '2026-05-04T00:00:00Z', end: '2026-05-11T00:00:00Z' })
  const ext = fhir.extension[0].extension
  assert.deepEqual(ext[0], { url: 'timezone', valueCode: 'Europe/London' })
  assert.deepEqual(ext[1].extension, [
    { url: 'rrule', valueString: 'FREQ=WEEKLY;BYDAY=MO,TU' },
    { url: 'dtstart', valueDate: '2026-01-05' },
    { url: 'start', valueTime: '09:00:00' },
    { url: 'end', valueString: '24:00:00' },
  ])
  const back = hcas.scheduleFromFhir(fhir)
  assert.ok(Object.isFrozen(back) && Object.isFrozen(back.availability.rules[0]))
  assert.deepEqual(back, { ...input, active: true })
  assert.deepEqual(hcas.scheduleToFhir(back), fhir)
  // The working hours give the slots the rule describes: Monday 4 May, 09:00 BST = 08:00Z.
  const avail = new Availability(back.availability.zone, { rules: back.availability.rules })
  assert.equal(avail.slots(at(0), at(12), 60)[0], '2026-05-04T08:00:00Z')
  const inactive = hcas.scheduleToFhir({ id: 'S2', actors: ['room:R1'], active: false })
  assert.equal(inactive.active, false)
  assert.deepEqual(inactive.actor, [{ reference: 'Location/R1' }])
  assert.deepEqual(hcas.scheduleFromFhir(inactive), {
    id: 'S2', actors: ['room:R1'], planningHorizon: null, active: false, availability: null, specialties: [],
  })
})

test('an invalid schedule names the field', () => {
  const fhir = hcas.scheduleToFhir({ id: 'S1', actors: ['provider:P1'] })
  refuses(() => hcas.scheduleFromFhir({ ...fhir, actor: [{ reference: 'Organization/O1' }] }), hcas.InvalidRequestError, 'actor[0].reference')
  refuses(() => hcas.scheduleToFhir({ id: 'S1', actors: [] }), hcas.InvalidRequestError, 'actors')
  refuses(() => hcas.scheduleToFhir({ id: 'S1', actors: ['kind:X'] }), hcas.InvalidRequestError, 'actors[0]')
  refuses(() => hcas.scheduleFromFhir({ ...fhir, planningHorizon: { start: '2026-05-04T00:00:00Z' } }), hcas.InvalidRequestError, 'planningHorizon.end')
  refuses(() => hcas.scheduleToFhir({ id: 'S1', actors: ['provider:P1'], planningHorizon: { start: at(10), end: at(9) } }), hcas.InvalidIntervalError, 'planningHorizon')
  refuses(() => hcas.scheduleToFhir({ id: 'S1', actors: ['provider:P1'], availability: { zone: 'Mars/Olympus' } }), hcas.InvalidTimezoneError, 'availability.zone')
  refuses(
    () => hcas.scheduleToFhir({ id: 'S1', actors: ['provider:P1'], availability: { zone: 'UTC', rules: [{ rrule: 'FREQ=HOURLY', dtstart: '2026-01-05', start: '09:00', end: '10:00' }] } }),
    hcas.InvalidRruleError,
  )
})

// --- Bundle, OperationOutcome ---

test('a searchset Bundle', () => {
  const appt = hcas.appointmentToFhir(new Booking('a1', ['provider:P1'], at(9), at(10)))
  const b = hcas.searchset({
    total: 3,
    self: 'http://h/x?_count=2',
    next: 'http://h/x?_count=2&_offset=2',
    entries: [
      { base: 'http://h/fhir/r4', resource: appt },
      { base: 'http://h/fhir/r4', resource: { resourceType: 'Practitioner', id: 'P1' }, mode: 'include' },
    ],
  })
  assert.equal(b.resourceType, 'Bundle')
  assert.equal(b.type, 'searchset')
  assert.equal(b.total, 3)
  assert.deepEqual(b.link, [
    { relation: 'self', url: 'http://h/x?_count=2' },
    { relation: 'next', url: 'http://h/x?_count=2&_offset=2' },
  ])
  assert.deepEqual(b.entry.map((e) => [e.fullUrl, e.search.mode]), [
    ['http://h/fhir/r4/Appointment/a1', 'match'],
    ['http://h/fhir/r4/Practitioner/P1', 'include'],
  ])
  assert.deepEqual(b.entry[0].resource, appt)
  const page = hcas.searchsetPage({ self: 'http://h/x' })
  assert.equal(page.type, 'searchset')
  assert.ok(!('total' in page) && !('entry' in page))
  assert.deepEqual(page.link, [{ relation: 'self', url: 'http://h/x' }])
  refuses(() => hcas.searchset({ self: 'http://h/x', entries: [{ base: 'b', resource: appt, mode: 'other' }] }), hcas.InvalidRequestError, 'entries[0].mode')
  refuses(() => hcas.searchset({ total: -1, self: 'http://h/x' }), hcas.InvalidRequestError, 'total')
  refuses(() => hcas.searchset({ total: 1 }), hcas.InvalidRequestError, 'self')
})

test('OperationOutcomes carry the hcas code; a conflict names what holds it', () => {
  const oo = hcas.operationOutcome('not-found', 'not_found', 'no such patient')
  const issue = oo.issue[0]
  assert.equal(oo.resourceType, 'OperationOutcome')
  assert.equal(issue.severity, 'error')
  assert.equal(issue.code, 'not-found')
  assert.equal(hcas.ERROR_SYSTEM, 'https://hcas.dev/fhir/CodeSystem/error')
  assert.deepEqual(issue.details.coding, [{ system: hcas.ERROR_SYSTEM, code: 'not_found' }])
  assert.equal(issue.details.text, 'no such patient')
  assert.equal(issue.diagnostics, 'no such patient')
  // b1 holds P1 and X1 09:00-10:00, b2 holds P1 09:30-10:00: both stand in
  // the way of P1 + X1 at 09:30-10:00. Ledger#check answers by resource name
  // (patient: before provider:); the outcome lists bookings by id.
  const ledger = new Ledger([
    new Booking('b1', ['provider:P1', 'patient:X1'], at(9), at(10)),
    new Booking('b2', ['provider:P1'], at(9, 30), at(10)),
  ])
  const conflicts = ledger.check(['provider:P1', 'patient:X1'], at(9, 30), at(10), at(8))
  const out = hcas.conflictOutcome('taken', conflicts)
  assert.deepEqual(out.issue.map((i) => i.diagnostics), [
    'taken',
    'Appointment/b1 holds Patient/X1, Practitioner/P1',
    'Appointment/b2 holds Practitioner/P1',
  ])
  assert.ok(out.issue.every((i) => i.code === 'conflict'))
  refuses(() => hcas.conflictOutcome('taken', [{ resource: 'provider:P1', bookings: 'b1' }]), hcas.InvalidRequestError, 'conflicts[0].bookings')
})

// --- AuditEvent ---

test('an audit record as an AuditEvent', () => {
  const facts = {
    id: '42',
    recorded: new Date(Date.UTC(2026, 4, 4, 9)),
    actor: 'D1',
    action: 'patient.read',
    target: 'patient:X1',
    outcome: 'permit',
    roles: ['doctor'],
    patient: 'X1',
    purpose: 'TREAT',
    details: [['basis', 'consent']],
    site: 'org-a',
  }
  const e = hcas.auditEventToFhir(facts)
  assert.equal(e.resourceType, 'AuditEvent')
  assert.equal(e.id, '42')
  assert.equal(e.recorded, '2026-05-04T09:00:00Z')
  assert.equal(e.type.code, '110110') // DICOM "Patient Record"
  assert.deepEqual([e.action, e.outcome], ['R', '0']) // R4 AuditEventAction Read, outcome Success
  assert.equal(e.entity[0].what.reference, 'Patient/X1')
  assert.equal(e.agent[0].who.identifier.value, 'D1')
  assert.equal(e.agent[0].requestor, true)
  assert.equal(e.purposeOfEvent[0].coding[0].code, 'TREAT')
  // Details as a plain object give the same event.
  assert.deepEqual(hcas.auditEventToFhir({ ...facts, details: { basis: 'consent' } }), e)
  // A refused booking by a patient: Create, outcome 4 (minor failure), a REST interaction.
  const d = hcas.auditEventToFhir({ id: '43', recorded: at(9), actor: 'X1', action: 'appointment.book', target: 'booking:a1', outcome: 'deny', roles: ['patient'] })
  assert.deepEqual([d.action, d.outcome, d.type.code], ['C', '4', 'rest'])
  assert.deepEqual(d.agent[0].who, { reference: 'Patient/X1' })
  assert.equal(d.entity[0].what.reference, 'Appointment/a1')
  refuses(() => hcas.auditEventToFhir({ ...facts, id: '4_2' }), hcas.InvalidRequestError, 'id')
  refuses(() => hcas.auditEventToFhir({ ...facts, actor: '' }), hcas.InvalidRequestError, 'actor')
  refuses(() => hcas.auditEventToFhir({ ...facts, recorded: '2026-05-04T09:00:00' }), hcas.InvalidDatetimeError, 'recorded')
  refuses(() => hcas.auditEventToFhir({ ...facts, details: [['basis']] }), hcas.InvalidRequestError, 'facts.details[0]')
})

// --- Series template (R5 recurrenceTemplate) ---

/** Four Tuesdays at 09:00 London, as the core writes the extension. */
function weeklyTuesdays() {
  return {
    url: RECURRENCE_TEMPLATE,
    extension: [
      { url: 'timezone', valueCodeableConcept: { coding: [{ system: 'https://www.iana.org/time-zones', code: 'Europe/London' }] } },
      { url: 'recurrenceType', valueCodeableConcept: { coding: [{ system: 'http://unitsofmeasure.org', code: 'wk' }] } },
      { url: 'occurrenceCount', valuePositiveInt: 4 },
      { url: 'weeklyTemplate', extension: [{ url: 'tuesday', valueBoolean: true }, { url: 'weekInterval', valuePositiveInt: 1 }] },
    ],
  }
}

test('a series template round-trips and keeps its wall time across BST', () => {
  const first = '2026-03-24T09:00:00Z' // a Tuesday, 09:00 GMT
  const template = new Booking('s1', ['provider:P1'], first, '2026-03-24T09:30:00Z')
  const appt = { ...hcas.appointmentToFhir(template), extension: [weeklyTuesdays()] }
  const series = hcas.seriesFromFhir(appt)
  assert.ok(series !== null && Object.isFrozen(series))
  assert.deepEqual(fields(series.template), fields(template))
  const expected = {
    zone: 'Europe/London', recurrenceType: 'wk', days: ['TU'], day: null, interval: 1,
    occurrenceCount: 4, lastOccurrenceDate: null, occurrenceDates: [], excludingDates: [],
  }
  assert.deepEqual(series.recurrence, expected)
  assert.deepEqual(hcas.seriesToFhir(series), appt)
  assert.deepEqual(hcas.seriesToFhir({ template, recurrence: { zone: 'Europe/London', recurrenceType: 'wk', days: ['TU'], occurrenceCount: 4 } }), appt)
  assert.deepEqual(hcas.recurrenceTemplateToFhir(series.recurrence), weeklyTuesdays())
  assert.deepEqual(hcas.recurrenceTemplateFromFhir(weeklyTuesdays()), expected)
  // 09:00 local each Tuesday: GMT before 29 March, BST (08:00Z) after.
  const rec = hcas.templateRecurrence(series.recurrence, '2026-03-24T09:00')
  assert.ok(rec instanceof hcas.Recurrence)
  assert.deepEqual(rec.between(first, '2026-05-23T00:00:00Z'), [
    '2026-03-24T09:00:00Z',
    '2026-03-31T08:00:00Z',
    '2026-04-07T08:00:00Z',
    '2026-04-14T08:00:00Z',
  ])
  assert.equal(hcas.seriesFromFhir(hcas.appointmentToFhir(template)), null)
})

test('recurrence templates of each type', () => {
  const monthly = { zone: 'UTC', recurrenceType: 'mo', day: 31, interval: 2, lastOccurrenceDate: '2026-12-31', excludingDates: ['2026-03-31'] }
  const ext = hcas.recurrenceTemplateToFhir(monthly).extension
  assert.ok(ext.some((e) => e.url === 'lastOccurrenceDate' && e.valueDate === '2026-12-31'))
  assert.deepEqual(ext.at(-1), { url: 'excludingDate', valueDate: '2026-03-31' })
  assert.deepEqual(ext.find((e) => e.url === 'monthlyTemplate'), {
    url: 'monthlyTemplate',
    extension: [{ url: 'dayOfMonth', valuePositiveInt: 31 }, { url: 'monthInterval', valuePositiveInt: 2 }],
  })
  assert.deepEqual(hcas.recurrenceTemplateFromFhir({ url: RECURRENCE_TEMPLATE, extension: ext }), {
    ...monthly, days: [], occurrenceCount: null, occurrenceDates: [],
  })
  // Every other month on the 31st from 31 January: January, (March excluded), May, July.
  const got = hcas.templateRecurrence(monthly, '2026-01-31T10:00').between('2026-01-01T00:00:00Z', '2026-08-01T00:00:00Z')
  assert.deepEqual(got, ['2026-01-31T10:00:00Z', '2026-05-31T10:00:00Z', '2026-07-31T10:00:00Z'])
  // Daily, twice from 1 January, plus 1 February.
  const daily = hcas.templateRecurrence({ zone: 'UTC', recurrenceType: 'd', occurrenceCount: 2, occurrenceDates: ['2026-02-01'] }, '2026-01-01T08:00')
  assert.deepEqual(daily.between('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'), ['2026-01-01T08:00:00Z', '2026-01-02T08:00:00Z', '2026-02-01T08:00:00Z'])
  assert.deepEqual([...hcas.RECURRENCE_TYPES], ['d', 'wk', 'mo', 'a'])
})

test('a template hcas cannot book is refused naming the element', () => {
  const unsupported = weeklyTuesdays()
  unsupported.extension.push({ url: 'excludingRecurrenceId', valueString: '2026-03-31T09:00:00' })
  refuses(() => hcas.recurrenceTemplateFromFhir(unsupported), hcas.InvalidRequestError, 'extension[0].extension[4]')
  refuses(() => hcas.recurrenceTemplateFromFhir(unsupported, { path: 'extension[2]' }), hcas.InvalidRequestError, 'extension[2].extension[4]')
  const noZone = weeklyTuesdays()
  noZone.extension.shift()
  assert.match(refuses(() => hcas.recurrenceTemplateFromFhir(noZone), hcas.InvalidRequestError).message, /timezone/)
  // No end: it reads and writes, but hcas books a finite series only.
  refuses(() => hcas.templateRecurrence({ zone: 'UTC', recurrenceType: 'wk', days: ['MO'] }, '2026-01-05T09:00'), hcas.InvalidRequestError, 'recurrenceTemplate.occurrenceCount')
  refuses(() => hcas.recurrenceTemplateToFhir({ zone: 'UTC', recurrenceType: 'mo', occurrenceCount: 1 }), hcas.InvalidRequestError, 'day')
  refuses(() => hcas.recurrenceTemplateToFhir({ zone: 'UTC', recurrenceType: 'd', days: ['MO'], occurrenceCount: 1 }), hcas.InvalidRequestError, 'days')
  refuses(() => hcas.recurrenceTemplateToFhir({ zone: 'UTC', recurrenceType: 'wk', days: ['MO', 'Tuesday'], occurrenceCount: 1 }), hcas.InvalidRequestError, 'days[1]')
  refuses(() => hcas.recurrenceTemplateToFhir({ zone: 'UTC', recurrenceType: 'hourly', occurrenceCount: 1 }), hcas.InvalidRequestError, 'recurrenceType')
  refuses(() => hcas.recurrenceTemplateToFhir({ zone: 'UTC', recurrenceType: 'wk', days: ['MO'], lastOccurrenceDate: '2026-02-30' }), hcas.InvalidDatetimeError, 'lastOccurrenceDate')
  refuses(() => hcas.templateRecurrence({ zone: 'UTC', recurrenceType: 'wk', days: ['MO'], occurrenceCount: 1 }, '2026-01-05T09:00:00Z'), hcas.InvalidDatetimeError, 'dtstart')
  refuses(() => hcas.seriesToFhir({ template: 's1', recurrence: {} }), hcas.InvalidRequestError, 'series.template')
})
