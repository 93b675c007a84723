// The WebAssembly package's speed against the native Node addon and rrule.js,
// same inputs, same run (scripts/bench-wasm sets it up; this runs from the
// wasm scratch project, with the native package's scratch project given):
//
//   TZ=UTC node bench.mjs NODE_SCRATCH_DIR
//
// 1. a weekday rule for a year (09:00 America/New_York, TZID) through
//    @hcas/engine-wasm, @hcas/engine (napi) and rrule.js (npm `rrule`);
// 2. a month of slots for one provider (weekdays 09:00-17:00 New York, 30
//    minutes, busy intervals) through the wasm and the native package.
// Every answer is compared with the others BEFORE anything is timed (a
// difference exits 1). Times are the process's CPU time (process.cpuUsage:
// the machine may be loaded, and wall time then measures the neighbours),
// medians of HCAS_BENCH_REPEATS batches (default 15) of about
// HCAS_BENCH_BATCH_SECONDS (default 0.05 s) of CPU, the batches of the
// contenders of one line interleaved; the ratios are printed, nothing asserts
// a time. rrule.js's dates are real instants
// only when the process's zone is UTC, hence TZ=UTC (refused otherwise).
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import process from 'node:process'

import * as wasm from '@hcas/engine-wasm'
import rrulePkg from 'rrule'

const { rrulestr } = rrulePkg
const REPEATS = Number(process.env.HCAS_BENCH_REPEATS ?? '15')
const BATCH_SECONDS = Number(process.env.HCAS_BENCH_BATCH_SECONDS ?? '0.05')
const NY = 'America/New_York'

if (new Date(0).getTimezoneOffset() !== 0 || process.env.TZ !== 'UTC') {
  console.error('bench-wasm: run with TZ=UTC (rrule.js expresses TZID wall times in the system zone)')
  process.exit(2)
}
const nodeScratch = process.argv[2]
if (!nodeScratch) {
  console.error('usage: TZ=UTC node bench.mjs NODE_SCRATCH_DIR')
  process.exit(2)
}
const native = createRequire(join(nodeScratch, 'package.json'))('@hcas/engine')

let sink = 0
/** CPU seconds (user + system) of this process: a loaded machine preempts a
 * wall-clock batch at random, the CPU time it was given is what it cost. */
function cpuSeconds() {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** Calls of `fn` per batch of about BATCH_SECONDS of CPU. */
function calibrate(fn) {
  let n = 1
  let elapsed
  for (;;) {
    const t = cpuSeconds()
    for (let i = 0; i < n; i++) sink ^= fn().length
    elapsed = cpuSeconds() - t
    if (elapsed >= BATCH_SECONDS / 10 || n >= 1 << 20) break
    n *= 2
  }
  return Math.max(1, Math.floor(BATCH_SECONDS / Math.max(elapsed / n, 1e-9)))
}

/** The median CPU seconds per call of each of `fns` ({ name: fn }), their
 * batches interleaved (one batch of each per round) so that a change of load
 * during the run falls on all of them alike. */
function medianSeconds(fns) {
  const names = Object.keys(fns)
  const counts = names.map((name) => calibrate(fns[name]))
  const runs = names.map(() => [])
  for (let r = 0; r < REPEATS; r++) {
    names.forEach((name, k) => {
      const fn = fns[name]
      const t = cpuSeconds()
      for (let i = 0; i < counts[k]; i++) sink ^= fn().length
      runs[k].push((cpuSeconds() - t) / counts[k])
    })
  }
  return names.map((name, k) => {
    const sorted = runs[k].sort((a, b) => a - b)
    return [name, sorted[Math.floor(sorted.length / 2)]]
  })
}

const fmt = (s) => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} us` : `${(s * 1e3).toFixed(2)} ms`)
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z')

function same(what, answers) {
  const names = Object.keys(answers)
  const first = answers[names[0]]
  for (const name of names.slice(1)) {
    const other = answers[name]
    if (other.length !== first.length || other.some((v, i) => v !== first[i])) {
      console.error(`bench-wasm: ${what}: ${names[0]} gives ${first.length}, ${name} gives ${other.length} (first: ${first[0]} vs ${other[0]})`)
      process.exit(1)
    }
  }
  return first.length
}

function report(fns) {
  const [[baseName, base], ...rest] = medianSeconds(fns)
  console.log(`${baseName}: ${fmt(base)}`)
  for (const [name, t] of rest) console.log(`${name}: ${fmt(t)}; ${name} / ${baseName} = ${(t / base).toFixed(2)}x`)
}

// 1. A weekday rule for a year.
{
  const rule = 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'
  const dtstart = '2026-01-05T09:00'
  const [start, end] = [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z')]
  const text = `DTSTART;TZID=${NY}:20260105T090000\nRRULE:${rule}`
  // Each call parses its rule, as a request handler would.
  const withWasm = () => new wasm.Recurrence(rule, dtstart, NY).between(start, end)
  const withNative = () => new native.Recurrence(rule, dtstart, NY).between(start, end)
  const withWasmMs = () => new wasm.Recurrence(rule, dtstart, NY).betweenEpochMs(start, end)
  const withNativeMs = () => new native.Recurrence(rule, dtstart, NY).betweenEpochMs(start, end)
  const withRruleJs = () => rrulestr(text).between(new Date(start), new Date(end))
  const n = same('a year of weekdays', {
    native: withNative(),
    wasm: withWasm(),
    'wasm epoch ms': [...withWasmMs()].map(iso),
    'rrule.js': withRruleJs().map((d) => iso(d.getTime())),
  })
  console.log(`-- a year of a weekday rule (${rule}, 09:00 ${NY}): ${n} occurrences`)
  report({
    'native Recurrence.between': withNative,
    'wasm Recurrence.between': withWasm,
  })
  report({
    'native Recurrence.betweenEpochMs': withNativeMs,
    'wasm Recurrence.betweenEpochMs': withWasmMs,
  })
  // rrule.js is ~1000x slower: timed on its own, against the wasm call.
  report({ 'wasm Recurrence.between': withWasm, 'rrule.js between': withRruleJs })
}

// 2. A month of slots for one provider.
{
  const rules = [{ rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', dtstart: '2026-01-05', start: '09:00', end: '17:00' }]
  // A busy hour every weekday of March at 13:00 New York (17:00Z or 18:00Z).
  const busy = []
  for (let d = 2; d <= 31; d++) {
    const day = `2026-03-${String(d).padStart(2, '0')}`
    const at = new native.Zone(NY).resolve(`${day}T13:00`)
    busy.push({ start: at, end: new Date(Date.parse(at) + 3_600_000).toISOString() })
  }
  const [from, to] = ['2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z']
  const w = new wasm.Availability(NY, { rules, busy })
  const nat = new native.Availability(NY, { rules, busy })
  const n = same('a month of slots', {
    native: nat.slots(from, to, 30),
    wasm: w.slots(from, to, 30),
    'wasm epoch ms': [...w.slotsEpochMs(from, to, 30)].map(iso),
  })
  console.log(`-- a month of slots (weekdays 09:00-17:00 ${NY}, 30 minutes, a busy hour a day): ${n} slots`)
  report({
    'native Availability.slots': () => nat.slots(from, to, 30),
    'wasm Availability.slots': () => w.slots(from, to, 30),
  })
  report({
    'native Availability.slotsEpochMs': () => nat.slotsEpochMs(from, to, 30),
    'wasm Availability.slotsEpochMs': () => w.slotsEpochMs(from, to, 30),
  })
}
console.log(`(target: wasm within 3x of native; Cal.com's engine cannot be installed offline: scripts/bench-node)`)
