// Every conformance vector through @hcas/engine-wasm in headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core), the page and the
// package served on loopback: the page imports the package's browser entry
// (browser.mjs, the ES module bundlers and browsers get) and evaluates each
// vector's input, then runs one scenario of the typed API (ledger,
// lifecycle, series, explain, alternatives, consent: `typedScenario`); it
// also imports the slots module's entry (slots/browser.mjs), evaluates every
// vector through it, and checks that entry by hand (`slotsScenario`). Each
// answer must be identical (same JSON) to the native
// engine's: the Node addon @hcas/engine installed in $HCAS_NODE_SCRATCH
// (bindings/node/build-pack), else, with a note, the WebAssembly package
// under Node; and each must pass its vector (checkVector). Ends with
// `N passed, N failed`; exit 1 on any failure.
//
//   HCAS_ROOT=<repo> [HCAS_VECTORS=dir] [HCAS_NODE_SCRATCH=dir] node tests/browser_run.mjs
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, extname, isAbsolute, join, resolve } from 'node:path'
import process from 'node:process'

import * as wasmInNode from '@hcas/engine-wasm'
import { chromium } from 'playwright-core'

const require = createRequire(import.meta.url)
const pkgDir = dirname(require.resolve('@hcas/engine-wasm/package.json'))

function vectorFiles(dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...vectorFiles(p))
    else if (e.isFile() && e.name.endsWith('.json')) out.push(p)
  }
  return out.sort()
}

/** What an engine answers for one vector: `{ out }` or `{ error: code }`. */
function answer(engine, kind, input) {
  try {
    return { out: engine.evaluate(kind, input) }
  } catch (e) {
    if (e instanceof engine.HcasError) return { error: e.code }
    return { crash: String(e) }
  }
}

/**
 * The typed API (ledger, lifecycle, series, explain, alternatives, consent)
 * on one small scenario, as plain JSON: run in the page on the browser entry
 * and here on the reference, and compared (its text goes to the page).
 */
function typedScenario(h) {
  const run = (f) => {
    try {
      return { out: JSON.parse(JSON.stringify(f())) }
    } catch (e) {
      return e instanceof h.HcasError ? { error: e.code } : { crash: String(e) }
    }
  }
  const now = '2026-05-01T00:00:00Z'
  const ledger = new h.Ledger()
  const b = (id, s, e) => new h.Booking(id, ['provider:P1'], s, e)
  // A Booking's fields are private: its getters, as a list.
  const fields = (x) => x && [x.id, x.status, x.start, x.end, x.holdExpires, x.replaces]
  const outcome = (o) => ({ ...o, booking: fields(o.booking) })
  const out = {}
  out.book = run(() => outcome(ledger.book(b('b1', '2026-05-04T09:00:00Z', '2026-05-04T09:30:00Z'), now, { idempotencyKey: 'k' })))
  out.clash = run(() => ledger.book(b('b2', '2026-05-04T09:15:00Z', '2026-05-04T09:45:00Z'), now))
  out.check = run(() => ledger.check(['provider:P1'], '2026-05-04T09:00:00Z', '2026-05-04T10:00:00Z', now, { extra: [b('x', '2026-05-04T09:40:00Z', '2026-05-04T09:50:00Z')] }))
  out.hold = run(() => outcome(ledger.hold('h1', ['provider:P1'], '2026-05-04T11:00:00Z', '2026-05-04T11:30:00Z', now, { length: 10 })))
  out.transition = run(() => h.transition(ledger.get('b1'), { to: 'cancelled', actor: 'patient', now: '2026-05-04T08:00:00Z', reason: 'ill' }))
  out.badParty = run(() => h.transition(ledger.get('b1'), { to: 'cancelled', actor: 'robot', now }))
  out.bookings = run(() => ledger.bookings().map(fields))
  const rec = new h.Recurrence('FREQ=WEEKLY;COUNT=3', '2026-05-04T10:00', 'Europe/London')
  const spec = new h.SeriesSpec('s', rec, 30, ['provider:P1'])
  out.series = run(() => spec.book(ledger, now, { policy: 'book_free' }))
  out.shift = run(() => h.shiftOccurrences(ledger, { occurrence: { id: 's', recurrenceId: '2026-05-11T10:00:00' }, scope: 'all', zone: 'Europe/London', actor: 'staff', shift: { minutes: 30 } }, now))
  const a = new h.Availability('Europe/London', { rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-05-01', start: '09:00', end: '12:00' }] })
  const ctx = { ledger, resources: ['provider:P1'], now }
  out.explain = run(() => a.explainWithLedger(ctx, '2026-05-04T08:00:00Z', '2026-05-04T00:00:00Z', '2026-05-05T00:00:00Z', 30))
  out.alternatives = run(() => h.alternatives(a, ledger, ['provider:P1'], '2026-05-04T08:00:00Z', '2026-05-04T08:30:00Z', { now, count: 2 }))
  const actor = { id: 'DrA', roles: ['doctor'], org: 'Org1' }
  const consents = [{ id: 'K1', patient: 'P1', status: 'active', decision: 'deny', date: '2026-01-01T00:00:00Z' }]
  out.decide = run(() => h.decide({ actor, patient: 'P1', category: 'records', action: 'read', purpose: 'TREAT', at: now }, consents))
  out.bookingAllowed = run(() => h.bookingAllowed({ actor, patient: 'P1', at: now }, consents))
  return out
}

/**
 * The slots module's entry in the page: what it exports beyond the slots API
 * (nothing), and a few hand-checked calls, as plain JSON.
 */
function slotsScenario(s) {
  const run = (f) => {
    try {
      return { out: JSON.parse(JSON.stringify(f())) }
    } catch (e) {
      return e instanceof s.HcasError ? { error: e.code } : { crash: String(e) }
    }
  }
  const out = {}
  out.typedExported = run(() => ['Ledger', 'Booking', 'transition', 'SeriesSpec', 'decide', 'Consent', 'Waitlist', 'alternatives'].filter((n) => n in s))
  const rules = [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '09:00', end: '10:00' }]
  const a = new s.Availability('Europe/Paris', { rules })
  out.explain = run(() => typeof a.explain)
  // 09:00-10:00 Paris (UTC+1 in January) in 30-minute slots: 08:00Z, 08:30Z.
  out.slots = run(() => a.slots('2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 30))
  out.pooled = run(() => s.pooledSlots([a], '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z', 60))
  out.badZone = run(() => new s.Zone('Mars/Base'))
  return out
}

/**
 * What the page's zone checks must answer, by hand: Tokyo is UTC+9 all year
 * (32,400 s); a name with no file is a 404, so invalid_timezone.
 */
const ZONES_WANT = {
  unloaded: { error: 'invalid_timezone', hint: true },
  unloadedSlots: { error: 'invalid_timezone', hint: true },
  loaded: { out: true },
  loadedSlots: { out: true },
  tokyo: { out: 32400 },
  again: { out: 'UTC' },
  noData: { error: 'invalid_timezone', hint: false },
}

/** Every string in `value` (a vector's input) that names a zone file of the package. */
function zoneNames(value, found) {
  if (typeof value === 'string') {
    if (/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(value) && existsSync(join(pkgDir, 'zones', `${value}.hcz`))) found.add(value)
  } else if (Array.isArray(value)) value.forEach((v) => zoneNames(v, found))
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => zoneNames(v, found))
  return found
}

/** What `slotsScenario` must answer, worked out by hand (see its comments). */
const SLOTS_WANT = {
  typedExported: { out: [] },
  explain: { out: 'undefined' },
  slots: { out: ['2026-01-05T08:00:00Z', '2026-01-05T08:30:00Z'] },
  pooled: { out: [{ start: '2026-01-05T08:00:00Z', providers: [0] }] },
  badZone: { error: 'invalid_timezone' },
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>hcas wasm vectors</title>
<script type="module">
import * as hcas from '/pkg/browser.mjs'
import * as slots from '/pkg/slots/browser.mjs'
const cases = await (await fetch('/vectors.json')).json()
// The modules embed no zone but UTC: before loading, a zone is
// invalid_timezone with a message saying to load it; then the page loads the
// zones the vectors and scenarios name (zones/<name>.hcz beside the modules).
const zoneChecks = {}
const attempt = async (f) => {
  try {
    return { out: await f() }
  } catch (e) {
    return e instanceof hcas.HcasError || e instanceof slots.HcasError ? { error: e.code, hint: /loadZone/.test(e.message) } : { crash: String(e) }
  }
}
zoneChecks.unloaded = await attempt(() => new hcas.Zone('Asia/Tokyo').name)
zoneChecks.unloadedSlots = await attempt(() => new slots.Zone('Asia/Tokyo').name)
const zones = await (await fetch('/zones.json')).json()
zoneChecks.loaded = await attempt(() => hcas.loadZones(zones).then((n) => n.length === zones.length))
zoneChecks.loadedSlots = await attempt(() => slots.loadZones(zones).then((n) => n.length === zones.length))
zoneChecks.tokyo = await attempt(() => hcas.loadZone('Asia/Tokyo').then(() => new hcas.Zone('Asia/Tokyo').offsetAt('2026-07-01T00:00:00Z')))
zoneChecks.again = await attempt(() => slots.loadZone('UTC'))
zoneChecks.noData = await attempt(() => slots.loadZone('Mars/Base'))
const evaluateAll = (h) => cases.map(({ kind, input }) => {
  try {
    return { out: h.evaluate(kind, input) }
  } catch (e) {
    return e instanceof h.HcasError ? { error: e.code } : { crash: String(e) }
  }
})
const answers = evaluateAll(hcas)
const slotsAnswers = evaluateAll(slots)
const typed = (${typedScenario.toString()})(hcas)
const slotsChecks = (${slotsScenario.toString()})(slots)
window.hcasDone = { answers, slotsAnswers, typed, slotsChecks, zoneChecks, version: hcas.version, tzdb: hcas.TZDB_VERSION }
</script>`

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' }

async function main() {
  const base = process.env.HCAS_ROOT
  const given = process.env.HCAS_VECTORS
  if ((!given || !isAbsolute(given)) && !base) {
    console.log('set HCAS_ROOT to the repository root (or HCAS_VECTORS to an absolute path)')
    console.log('0 passed, 1 failed')
    return 1
  }
  const root = given ? resolve(base ?? '/', given) : join(base, 'tests', 'vectors')
  const files = vectorFiles(root)
  const cases = files.map((f) => JSON.parse(readFileSync(f, 'utf8')))

  let reference = wasmInNode
  let referenceName = '@hcas/engine-wasm under Node (HCAS_NODE_SCRATCH not set: no native addon to compare with)'
  if (process.env.HCAS_NODE_SCRATCH) {
    const nodeRequire = createRequire(join(process.env.HCAS_NODE_SCRATCH, 'package.json'))
    reference = nodeRequire('@hcas/engine')
    referenceName = `the native addon @hcas/engine ${reference.version}`
  }

  const body = JSON.stringify(cases.map((c) => ({ kind: c.kind, input: c.input })))
  // The zones the page loads: those the vectors name, and the scenarios'.
  const zonesBody = JSON.stringify([...zoneNames(cases.map((c) => c.input), new Set(['Europe/London', 'Europe/Paris']))].sort())
  let zoneFetches = 0
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    let data
    let type = 'text/html'
    if (url.pathname === '/') data = PAGE
    else if (url.pathname === '/vectors.json') [data, type] = [body, TYPES['.json']]
    else if (url.pathname === '/zones.json') [data, type] = [zonesBody, TYPES['.json']]
    else if (url.pathname.startsWith('/pkg/')) {
      const p = resolve(pkgDir, `.${url.pathname.slice(4)}`)
      if (url.pathname.startsWith('/pkg/zones/')) zoneFetches += 1
      if (!p.startsWith(pkgDir)) {
        res.writeHead(403).end()
        return
      }
      try {
        data = readFileSync(p)
        type = TYPES[extname(p)] ?? 'application/octet-stream'
      } catch {
        res.writeHead(404).end()
        return
      }
    } else {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': type }).end(data)
  })
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address()

  const browser = await chromium.launch({
    executablePath: process.env.HCAS_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  let done
  const errors = []
  try {
    const page = await browser.newPage()
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`http://127.0.0.1:${port}/`)
    await page.waitForFunction(() => window.hcasDone !== undefined, null, { timeout: 120_000 })
    done = await page.evaluate(() => window.hcasDone)
  } catch (e) {
    console.log(`the page did not finish: ${e.message}${errors.length ? `; page errors: ${errors.join('; ')}` : ''}`)
    console.log(`0 passed, ${Math.max(files.length, 1)} failed`)
    return 1
  } finally {
    await browser.close()
    server.close()
  }

  let passed = 0
  let failed = 0
  // Every vector through each module's browser entry.
  for (const [label, got_] of [
    ['full module', done.answers],
    ['slots module', done.slotsAnswers],
  ]) {
    cases.forEach((kase, i) => {
      const got = got_[i]
      const want = answer(reference, kase.kind, kase.input)
      let line = null
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        line = `${kase.id}: Chromium answered ${JSON.stringify(got).slice(0, 200)}, the reference ${JSON.stringify(want).slice(0, 200)}`
      } else if (got.crash !== undefined) {
        line = `${kase.id}: ${got.crash}`
      } else {
        line = wasmInNode.checkVector(kase, got.error ?? got.out)
      }
      if (line === null) passed += 1
      else {
        failed += 1
        console.log(`FAIL [${label}] ${line} (file ${files[i]})`)
      }
    })
  }
  // The slots entry: nothing of the typed API exported, hand-checked calls.
  for (const [name, want] of Object.entries(SLOTS_WANT)) {
    const got = done.slotsChecks[name]
    if (JSON.stringify(got) === JSON.stringify(want)) passed += 1
    else {
      failed += 1
      console.log(`FAIL slots ${name}: Chromium answered ${JSON.stringify(got).slice(0, 200)}, by hand ${JSON.stringify(want).slice(0, 200)}`)
    }
  }
  // Zones on demand: unloaded, loaded, unknown.
  for (const [name, want] of Object.entries(ZONES_WANT)) {
    const got = done.zoneChecks[name]
    if (JSON.stringify(got) === JSON.stringify(want)) passed += 1
    else {
      failed += 1
      console.log(`FAIL zones ${name}: Chromium answered ${JSON.stringify(got).slice(0, 200)}, by hand ${JSON.stringify(want).slice(0, 200)}`)
    }
  }
  // The typed API: the same scenario's answers, call by call.
  const wantTyped = typedScenario(reference)
  for (const [name, want] of Object.entries(wantTyped)) {
    const got = done.typed[name]
    if (JSON.stringify(got) === JSON.stringify(want) && want.crash === undefined) passed += 1
    else {
      failed += 1
      console.log(`FAIL typed ${name}: Chromium answered ${JSON.stringify(got).slice(0, 200)}, the reference ${JSON.stringify(want).slice(0, 200)}`)
    }
  }
  if (files.length === 0) {
    console.log(`no *.json vectors below ${root}`)
    failed += 1
  }
  console.log(`the page loaded ${JSON.parse(zonesBody).length} zones into each module with loadZones (${zoneFetches} zone file requests)`)
  console.log(
    `vectors from ${root} through the full and the slots module, ${Object.keys(ZONES_WANT).length} zone checks, ${Object.keys(wantTyped).length} typed calls and ${Object.keys(SLOTS_WANT).length} slots-entry checks in headless Chromium (@hcas/engine-wasm ${done.version}, tzdb ${done.tzdb}), compared with ${referenceName}`,
  )
  console.log(`${passed} passed, ${failed} failed`)
  return failed === 0 ? 0 : 1
}

process.exitCode = await main()
