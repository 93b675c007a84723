// @hcas/engine-wasm: the typed ledger, lifecycle, explain/alternatives and
// consent API (the Node package's names and shapes) over WebAssembly.
// Expected answers: the engine's text level in the same run (`evaluate` over
// every conformance vector of the conflict, transition and consent kinds,
// each of which scripts/vectors also judges against its stated answer), and
// hand-checked values; bad input must fail with its stable code.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import * as hcas from '@hcas/engine-wasm'

// The repository's vectors: HCAS_VECTORS, else the copy build-pack puts
// beside the scratch project's tests (DIR/vectors), else tests/vectors of
// the checkout when run in place. None found fails the tests.
const here = path.dirname(fileURLToPath(import.meta.url))
const vectorsDir =
  process.env.HCAS_VECTORS ??
  [path.resolve(here, '../vectors'), path.resolve(here, '../../../tests/vectors')].find((d) => fs.existsSync(d)) ??
  path.resolve(here, '../vectors')
function vectors(kind) {
  const dir = path.join(vectorsDir, kind)
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  assert.ok(files.length > 0, `no ${kind} vectors in ${dir}`)
  return files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
}

/** The code `f` throws, or the value it answers. */
function outcome(f) {
  try {
    return { value: f() }
  } catch (e) {
    assert.ok(e instanceof hcas.HcasError, `not an HcasError: ${e}`)
    assert.equal(typeof e.code, 'string')
    return { code: e.code }
  }
}

/** A vector's booking as a `Booking`. */
function booking(b) {
  return new hcas.Booking(b.id, b.resources, b.start, b.end, { status: b.status, holdExpires: b.hold_expires })
}

test('Ledger#check answers what evaluate("conflict") answers, for every conflict vector', () => {
  let compared = 0
  for (const v of vectors('conflict')) {
    const i = v.input
    // Ledger#check takes `now` always; the wire's optional `now` has its own vector.
    if (v.expect === undefined || i.now === undefined) continue
    const viaText = hcas.evaluate('conflict', i)
    const ledger = new hcas.Ledger()
    for (const [resource, n] of Object.entries(i.capacity ?? {})) ledger.setCapacity(resource, n)
    for (const b of i.bookings) ledger.insert(booking(b))
    const typed = ledger.check(i.request.resources, i.request.start, i.request.end, i.now)
    assert.deepEqual(
      typed.map((c) => ({ resource: c.resource, with: [...c.bookings] })),
      viaText.conflicts,
      v.id,
    )
    assert.equal(typed.length === 0, viaText.ok, v.id)
    compared++
  }
  assert.ok(compared > 40, `compared ${compared}`)
})

test('transition answers what evaluate("transition") answers (value or code), for every transition vector', () => {
  let compared = 0
  for (const v of vectors('transition')) {
    const i = v.input
    const text = outcome(() => hcas.evaluate('transition', i))
    const policy = i.policy === undefined ? undefined : { lateCancelMinutes: i.policy.late_cancel_minutes }
    const typed = outcome(() => hcas.transition(booking(i.booking), i.request, policy))
    if (text.code !== undefined) {
      assert.equal(typed.code, text.code, v.id)
    } else {
      const t = typed.value
      assert.ok(t !== undefined, `${v.id}: typed threw ${typed.code}`)
      assert.deepEqual(
        {
          from: t.from,
          to: t.to,
          outcomes: t.outcomes.map((o) =>
            o.minutesBeforeStart === undefined ? { outcome: o.kind } : { outcome: o.kind, minutes_before_start: o.minutesBeforeStart },
          ),
        },
        text.value,
        v.id,
      )
    }
    compared++
  }
  assert.equal(compared, vectors('transition').length)
})

/** A vector's consent request (CONSENT.md wire names) as `decide`'s option object. */
function requestOf(r) {
  const out = { actor: r.actor, patient: r.patient, category: r.category, action: r.action, purpose: r.purpose, at: r.at }
  if (r.data_date !== undefined) out.dataDate = r.data_date
  if (r.labels !== undefined) out.labels = r.labels
  if (r.originator !== undefined) out.originator = r.originator
  if (r.break_glass !== undefined) out.breakGlass = { reason: r.break_glass.reason, startedAt: r.break_glass.started_at }
  return out
}

test('decide and CompiledConsents answer what evaluate("consent") answers, for every consent vector', () => {
  let compared = 0
  for (const v of vectors('consent')) {
    const i = v.input
    if (i.request.purpose_of_use !== undefined) continue // a wire-only field the option object has no name for
    const text = outcome(() => hcas.evaluate('consent', i))
    if (text.code !== undefined) {
      // The typed level checks the same things (consents, request, policy) and fails with the same code.
      const typed = outcome(() => hcas.decide(requestOf(i.request), i.consents, i.policy))
      assert.equal(typed.code, text.code, v.id)
    } else {
      const d = hcas.decide(requestOf(i.request), i.consents, i.policy)
      const want = text.value
      assert.deepEqual(
        { decision: d.decision, basis: d.basis, consent: d.consent, obligations: [...d.obligations] },
        { decision: want.decision, basis: want.basis, consent: want.consent ?? null, obligations: want.obligations },
        v.id,
      )
      const compiled = new hcas.CompiledConsents(i.request.patient, i.consents, i.policy)
      assert.deepEqual(compiled.decide(requestOf(i.request)), d, `${v.id} (compiled)`)
    }
    compared++
  }
  assert.ok(compared > 100, `compared ${compared}`)
})

const now = '2026-03-01T00:00:00Z'

test('Ledger: book, idempotency, hold/confirm, reschedule, move (hand-checked)', () => {
  const ledger = new hcas.Ledger()
  const b1 = new hcas.Booking('b1', ['provider:P1', 'patient:X1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z')
  const first = ledger.book(b1, now, { idempotencyKey: 'k1' })
  assert.equal(first.kind, 'booked')
  assert.equal(first.booking.id, 'b1')
  assert.equal(ledger.book(b1, now, { idempotencyKey: 'k1' }).kind, 'existing')
  assert.equal(ledger.idempotencyKeys(), 1)
  // Overlapping on P1 (09:15-09:45): a conflict naming b1; touching (09:30) is not.
  const clash = ledger.book(new hcas.Booking('b2', ['provider:P1'], '2026-03-02T09:15:00Z', '2026-03-02T09:45:00Z'), now)
  assert.equal(clash.kind, 'conflict')
  assert.equal(clash.ok, false)
  assert.deepEqual(clash.conflicts, [{ resource: 'provider:P1', bookings: ['b1'] }])
  assert.equal(ledger.book(new hcas.Booking('b3', ['provider:P1'], '2026-03-02T09:30:00Z', '2026-03-02T10:00:00Z'), now).kind, 'booked')
  assert.equal(ledger.size, 2)
  // check with extra bookings and exclude.
  const extra = [new hcas.Booking('x', ['room:R1'], '2026-03-02T09:00:00Z', '2026-03-02T09:10:00Z')]
  assert.deepEqual(ledger.check(['provider:P1', 'room:R1'], '2026-03-02T09:05:00Z', '2026-03-02T09:20:00Z', now, { exclude: 'b1', extra }), [
    { resource: 'room:R1', bookings: ['x'] },
  ])
  assert.equal(extra[0].id, 'x', 'the wrapper keeps its booking after a check')
  // A hold of 10 minutes, confirmed in time.
  const h = ledger.hold('h1', ['provider:P1'], '2026-03-02T11:00:00Z', '2026-03-02T11:30:00Z', now, { length: 10 })
  assert.equal(h.booking.status, 'held')
  assert.equal(h.booking.holdExpires, '2026-03-01T00:10:00Z')
  assert.equal(ledger.confirmHold('h1', '2026-03-01T00:05:00Z').booking.status, 'booked')
  // Reschedule b1 to 12:00: a new booking replacing it, b1 cancelled.
  const moved = ledger.reschedule('b1', new hcas.Booking('b1r', ['provider:P1', 'patient:X1'], '2026-03-02T12:00:00Z', '2026-03-02T12:30:00Z'), now, 'patient asked')
  assert.equal(moved.kind, 'booked')
  assert.equal(moved.booking.replaces, 'b1')
  assert.equal(ledger.get('b1').status, 'cancelled')
  assert.equal(ledger.get('b1').replacedBy, 'b1r')
  assert.equal(ledger.get('b1').cancelReason, 'patient asked')
  // Move b3 onto the 12:00 booking: a conflict, nothing changes.
  const m = ledger.moveBooking('b3', '2026-03-02T12:00:00Z', '2026-03-02T12:30:00Z', now)
  assert.equal(m.kind, 'conflict')
  assert.equal(ledger.get('b3').start, '2026-03-02T09:30:00Z')
  assert.deepEqual(
    ledger.blockingOn('provider:P1', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z', now).map((b) => b.id),
    ['b3', 'h1', 'b1r'],
  )
  assert.deepEqual(ledger.bookings().map((b) => b.id), ['b1', 'b3', 'h1', 'b1r'])
  assert.equal(ledger.remove('h1').id, 'h1')
  assert.equal(ledger.get('h1'), null)
})

test('Booking: links round-trip, and sameRequest', () => {
  const b = new hcas.Booking('s1.20260302T090000', ['provider:P1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z', {
    series: { id: 's1', recurrenceId: '2026-03-02T09:00:00' },
    status: 'cancelled',
    cancelReason: 'ill',
  })
  assert.deepEqual(b.series, { id: 's1', recurrenceId: '2026-03-02T09:00:00' })
  assert.equal(b.cancelReason, 'ill')
  assert.equal(b.replaces, null)
  assert.equal(b.holdExpires, null)
  assert.equal(b.blocks(now), false, 'a cancelled booking blocks nothing')
  const same = new hcas.Booking('other', ['provider:P1'], Date.parse('2026-03-02T09:00:00Z'), new Date('2026-03-02T09:30:00Z'))
  assert.equal(b.sameRequest(same), true)
})

test('lifecycle: policy, transition outcomes, apply, the table', () => {
  const p = new hcas.LifecyclePolicy({ lateCancelMinutes: 120 })
  assert.deepEqual({ ...p }, { lateCancelMinutes: 120, noshowGraceMinutes: 15, checkinOpensMinutes: 60 })
  const b = new hcas.Booking('a1', ['provider:P1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z')
  // 90 minutes before the start, under a 2-hour window: late.
  const t = hcas.transition(b, { to: 'cancelled', actor: 'patient', now: '2026-03-02T07:30:00Z', reason: 'ill' }, p)
  assert.deepEqual(t.outcomes, [{ kind: 'cancelled' }, { kind: 'late_cancellation', minutesBeforeStart: 90 }, { kind: 'slot_freed' }])
  const ledger = new hcas.Ledger([b])
  assert.deepEqual(hcas.apply(ledger, 'a1', { to: 'arrived', actor: 'staff', now: '2026-03-02T08:30:00Z' }), { from: 'booked', to: 'arrived', outcomes: [] })
  assert.equal(ledger.get('a1').status, 'arrived')
  assert.deepEqual(hcas.legalTargets('booked'), ['arrived', 'checked-in', 'cancelled', 'noshow', 'entered-in-error'])
  assert.equal(hcas.allowedActors('booked', 'fulfilled'), null)
  assert.equal(hcas.reasonRequired('booked', 'cancelled'), true)
  assert.equal(hcas.isTerminal('cancelled'), true)
  assert.equal(hcas.isTerminal('booked'), false)
})

test('explain, explainWithLedger and alternatives (hand-checked)', async () => {
  const a = new hcas.Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }] })
  const q = ['2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 30]
  assert.deepEqual(a.explain('2026-01-05T09:00:00Z', ...q), { start: '2026-01-05T09:00:00Z', offered: true, reasons: [] })
  const off = a.explain('2026-01-05T09:10:00Z', ...q)
  assert.equal(off.offered, false)
  assert.deepEqual(off.reasons, [
    {
      reason: 'off_grid',
      window: { start: '2026-01-05T09:00:00Z', end: '2026-01-05T10:00:00Z' },
      step: 30,
      previous: '2026-01-05T09:00:00Z',
      next: '2026-01-05T09:30:00Z',
    },
  ])
  assert.equal(a.explain('2026-01-05T11:00:00Z', ...q).reasons[0].reason, 'outside_working_hours')
  const ledger = new hcas.Ledger([new hcas.Booking('b1', ['provider:P1'], '2026-01-05T09:00:00Z', '2026-01-05T09:30:00Z')])
  const why = a.explainWithLedger({ ledger, resources: ['provider:P1'], now: '2026-01-01T00:00:00Z' }, '2026-01-05T09:00:00Z', ...q)
  assert.deepEqual(why.reasons, [{ reason: 'conflict', resource: 'provider:P1', bookings: ['b1'] }])
  const args = [a, ledger, ['provider:P1'], '2026-01-05T09:00:00Z', '2026-01-05T09:30:00Z', { now: '2026-01-01T00:00:00Z', count: 2 }]
  const alt = hcas.alternatives(...args)
  assert.deepEqual(alt, { before: ['2026-01-04T09:30:00Z', '2026-01-04T09:00:00Z'], after: ['2026-01-05T09:30:00Z', '2026-01-06T09:00:00Z'] })
  assert.deepEqual(await hcas.alternativesAsync(...args), alt)
  // Every start offered by alternatives is one `explainWithLedger` says is offered.
  for (const s of [...alt.before, ...alt.after]) {
    const day = s.slice(0, 10)
    const from = `${day}T00:00:00Z`
    const to = new Date(Date.parse(from) + 86400000).toISOString().replace('.000Z', 'Z')
    assert.equal(a.explainWithLedger({ ledger, resources: ['provider:P1'], now: '2026-01-01T00:00:00Z' }, s, from, to, 30).offered, true, s)
  }
})

test('consent: Consent, bookingAllowed, and the FHIR R4/R5 Consent mapping (the full module has it)', () => {
  const consent = {
    id: 'K1',
    patient: 'Pat1',
    status: 'active',
    decision: 'deny',
    date: '2026-01-01T00:00:00Z',
  }
  const c = new hcas.Consent(consent)
  assert.deepEqual([c.id, c.patient, c.status, c.decision, c.date], ['K1', 'Pat1', 'active', 'deny', '2026-01-01T00:00:00Z'])
  assert.deepEqual(new hcas.Consent(c.toJSON()).toJSON(), c.toJSON(), 'toJSON round-trips')
  // The FHIR mapping (the `fhir` feature, in the full module): R4 names the
  // patient `patient` and the date `dateTime`, the root provision carries the
  // decision; R5 names the patient `subject`, the day `date`, and has `decision`.
  const r4 = c.toFhir({ version: 'r4' })
  assert.equal(r4.resourceType, 'Consent')
  assert.deepEqual(r4.patient, { reference: 'Patient/Pat1' })
  assert.equal(r4.dateTime, '2026-01-01T00:00:00Z')
  assert.equal(r4.provision.type, 'deny')
  const r5 = c.toFhir({ version: 'r5' })
  assert.deepEqual(r5.subject, { reference: 'Patient/Pat1' })
  assert.equal(r5.date, '2026-01-01')
  assert.equal(r5.decision, 'deny')
  for (const [resource, version] of [[r4, 'r4'], [r5, 'r5']]) {
    assert.deepEqual(hcas.Consent.fromFhir(resource, { version }).toJSON(), c.toJSON(), version)
  }
  // An R5 resource read as R4 is refused with a code.
  assert.throws(() => hcas.Consent.fromFhir(r5, { version: 'r4' }), (e) => e instanceof hcas.InvalidRequestError)
  const actor = { id: 'DrA', roles: ['doctor'], org: 'Org1' }
  const request = { actor, patient: 'Pat1', category: 'records', action: 'read', purpose: 'TREAT', at: '2026-02-01T00:00:00Z' }
  // A blanket deny consent of the patient beats the doctor's default permit.
  const d = hcas.decide(request, [c])
  assert.equal(d.decision, 'deny')
  assert.equal(d.consent, 'K1')
  const compiled = new hcas.CompiledConsents('Pat1', [c])
  assert.equal(compiled.size, 1)
  assert.equal(compiled.byConsent(request).decision, 'deny')
  const q = { actor, patient: 'Pat1', at: '2026-02-01T00:00:00Z' }
  const verdict = hcas.bookingAllowed(q, [c])
  assert.deepEqual(compiled.bookingAllowed(q), verdict)
  assert.equal(typeof verdict.allowed, 'boolean')
  assert.equal(hcas.bookingAllowed(q, []).allowed, true, 'no consent: the doctor may book under the default policy')
})

test('bad input fails with its stable code and says what to fix', () => {
  const code = (f) => outcome(f).code
  const ledger = new hcas.Ledger()
  assert.equal(code(() => new hcas.Booking('b', ['provider:P1'], 'yesterday', '2026-03-02T09:30:00Z')), 'invalid_datetime')
  assert.equal(code(() => new hcas.Booking('b', ['provider:P1'], '2026-03-02T10:00:00Z', '2026-03-02T09:30:00Z')), outcome(() => hcas.evaluate('conflict', { now, bookings: [], request: { resources: ['provider:P1'], start: '2026-03-02T10:00:00Z', end: '2026-03-02T09:30:00Z' } })).code)
  assert.equal(code(() => new hcas.Booking('b', ['provider:P1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z', { status: 'maybe' })), 'invalid_request')
  assert.equal(code(() => ledger.setCapacity('room:R1', 0)), 'invalid_request')
  assert.equal(code(() => ledger.hold('h', ['provider:P1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z', now, {})), 'invalid_request')
  assert.equal(code(() => ledger.confirmHold('nope', now)), 'invalid_request')
  assert.equal(code(() => new hcas.LifecyclePolicy({ lateCancelMinutes: 1.5 })), 'invalid_duration')
  const b = new hcas.Booking('a1', ['provider:P1'], '2026-03-02T09:00:00Z', '2026-03-02T09:30:00Z')
  assert.equal(code(() => hcas.transition(b, { to: 'cancelled', actor: 'robot', now })), 'invalid_request')
  assert.equal(code(() => hcas.transition(b, { to: 'fulfilled', actor: 'practitioner', now })), 'invalid_transition')
  assert.equal(code(() => hcas.legalTargets('maybe')), 'invalid_request')
  const a = new hcas.Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }] })
  assert.equal(code(() => a.explain('soon', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 30)), 'invalid_datetime')
  assert.equal(code(() => a.explain('2026-01-05T09:00:00Z', '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 0)), 'invalid_duration')
  assert.equal(code(() => hcas.alternatives(a, ledger, ['provider:P1'], '2026-01-05T09:00:00Z', '2026-01-05T09:30:00Z', { now, count: 1, searchDays: 500 })), 'invalid_request')
  const e = outcome(() => hcas.decide({ actor: { id: 'D', roles: ['doctor'], org: 'O' }, patient: 'P', category: 'nope', action: 'read', purpose: 'TREAT', at: now }, []))
  assert.equal(e.code, 'invalid_request')
  assert.throws(() => hcas.decide({ actor: { id: 'D', roles: ['doctor'], org: 'O' }, patient: 'P', category: 'nope', action: 'read', purpose: 'TREAT', at: now }, []), /category/)
  assert.equal(code(() => new hcas.Consent({ id: 'K1' })), 'invalid_consent')
})

test('SeriesSpec#book answers what evaluate("series") answers, for every series vector', () => {
  let compared = 0
  for (const v of vectors('series')) {
    const i = v.input
    if (v.expect === undefined) continue
    const s = i.series
    const viaText = hcas.evaluate('series', i)
    const rec = new hcas.Recurrence(s.rrule, s.dtstart, s.timezone, { exdates: s.exdates, rdates: s.rdates })
    const spec = new hcas.SeriesSpec(s.id ?? 'S', rec, s.duration, s.resources, { until: s.until })
    const ledger = new hcas.Ledger()
    for (const [resource, n] of Object.entries(i.capacity ?? {})) ledger.setCapacity(resource, n)
    for (const b of i.bookings ?? []) ledger.insert(booking(b))
    const got = spec.book(ledger, i.now ?? '2000-01-01T00:00:00Z', { policy: i.policy })
    assert.equal(got.booked, viaText.booked, v.id)
    assert.deepEqual(
      got.occurrences.map((o) => ({
        recurrence_id: o.recurrenceId,
        start: o.start,
        end: o.end,
        ok: o.ok,
        booked: o.booked,
        conflicts: o.conflicts.map((c) => ({ resource: c.resource, with: [...c.bookings] })),
      })),
      viaText.occurrences.map((o) => ({ ...o, conflicts: o.conflicts ?? [] })),
      v.id,
    )
    assert.equal(hcas.seriesBookings(ledger, spec.id).length, got.occurrences.filter((o) => o.booked).length, v.id)
    compared++
  }
  assert.ok(compared > 30, `compared ${compared}`)
})

test('series edits: planShift, shiftOccurrences, planCancel, cancelOccurrences (hand-checked)', () => {
  // Mondays 09:00 London, three of them; 30 minutes each.
  const rec = new hcas.Recurrence('FREQ=WEEKLY;COUNT=3', '2026-05-04T09:00', 'Europe/London')
  const spec = new hcas.SeriesSpec('physio', rec, 30, ['provider:P1'])
  assert.deepEqual(spec.occurrences().map((o) => o.start), ['2026-05-04T08:00:00Z', '2026-05-11T08:00:00Z', '2026-05-18T08:00:00Z'])
  assert.equal(spec.occurrenceId('2026-05-11T09:00'), 'physio.20260511T090000')
  const ledger = new hcas.Ledger()
  const now = '2026-05-01T00:00:00Z'
  assert.equal(spec.book(ledger, now).booked, true)
  const second = { id: 'physio', recurrenceId: '2026-05-11T09:00:00' }
  const edit = { occurrence: second, scope: 'this_and_following', zone: 'Europe/London', actor: 'staff', shift: { minutes: 60 } }
  const plan = hcas.planShift(hcas.seriesBookings(ledger, 'physio'), edit, now)
  assert.deepEqual(plan.moves.map((m) => m.start), ['2026-05-11T09:00:00Z', '2026-05-18T09:00:00Z'])
  const shifted = hcas.shiftOccurrences(ledger, edit, now)
  assert.equal(shifted.applied, true)
  assert.equal(ledger.get('physio.20260518T090000').start, '2026-05-18T09:00:00Z')
  const cancel = { occurrence: second, scope: 'this', actor: 'patient', reason: 'away' }
  const planned = hcas.planCancel(hcas.seriesBookings(ledger, 'physio'), cancel, now)
  assert.deepEqual(planned.cancelled.map((c) => c.id), ['physio.20260511T090000'])
  assert.equal(ledger.get('physio.20260511T090000').status, 'booked', 'a plan changes nothing')
  const done = hcas.cancelOccurrences(ledger, cancel, now)
  assert.deepEqual(done.cancelled.map((c) => [c.id, c.from]), [['physio.20260511T090000', 'booked']])
  assert.equal(ledger.get('physio.20260511T090000').status, 'cancelled')
  // Bad input: its stable code.
  assert.equal(outcome(() => hcas.shiftOccurrences(ledger, { ...edit, scope: 'some' }, now)).code, 'invalid_request')
  assert.equal(outcome(() => hcas.shiftOccurrences(ledger, { ...edit, zone: 'Mars/Base' }, now)).code, 'invalid_timezone')
  assert.equal(outcome(() => spec.book(ledger, 'later')).code, 'invalid_datetime')
  // Not in this build: a coded error naming the call.
  const a = new hcas.Availability('UTC', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }] })
  assert.throws(() => spec.addAlternatives(spec.plan(ledger, now), ledger, a, { now, count: 1 }), (e) => e.code === 'invalid_request' && /addAlternatives/.test(e.message))
})
