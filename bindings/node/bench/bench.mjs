// Issue 14's speed comparison for the Node binding, run by scripts/bench-node
// (see there for the set-up; this file runs from the scratch project that
// holds the installed @hcas/engine and the pinned comparison libraries).
//
//   TZ=UTC node bench.mjs MONTH_QUERY_JSON POOL_QUERY_JSON CALCOM_STATUS
//
// Same inputs, same run, each answer checked against the others BEFORE
// anything is timed (a difference is an error, exit 1):
//
// 1. recurrence: a weekday rule for a year and a monthly last Friday for ten
//    years, both 09:00 America/New_York (DTSTART;TZID=...), through hcas,
//    rrule.js (npm `rrule`) and rrule-rust;
// 2. a month of slots for one provider (the anchor workload of
//    benches/src/lib.rs, read from what benches/src/bin/month_query.rs
//    printed) through hcas and `plainSlots` below, a straightforward luxon loop;
// 3. 20 providers pooled (benches/src/bin/pool_query.rs) through hcas
//    `pooledSlots` and the luxon loop per provider, merged;
// 4. the binding's overhead: the same month and pooled queries against the
//    pure-Rust times in those JSON files.
//
// Cal.com's engine (npm @calcom/platform-libraries) is not timed: see
// scripts/bench-node for why; CALCOM_STATUS says what happened this run.
//
// Times are medians of HCAS_BENCH_REPEATS batches (default 15) of enough calls
// to last about HCAS_BENCH_BATCH_SECONDS (default 0.05 s); nothing asserts a
// time. rrule.js's dates are real instants only when the process's own zone is
// UTC (with TZID it expresses the zone's wall times in the system zone), hence
// TZ=UTC; the script refuses to run otherwise.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

import * as hcas from '@hcas/engine'
import { DateTime } from 'luxon'
import rrulePkg from 'rrule'
import { DateTime as RustDateTime, RRuleSet } from 'rrule-rust'

const { rrulestr } = rrulePkg
const require = createRequire(import.meta.url)
const NY = 'America/New_York'
const REPEATS = Number(process.env.HCAS_BENCH_REPEATS ?? '15')
const BATCH_SECONDS = Number(process.env.HCAS_BENCH_BATCH_SECONDS ?? '0.05')

/** Something every timed answer feeds, so no call can be optimised away. */
let sink = 0

/** Median seconds per call of fn(), over REPEATS batches of a calibrated size. */
function medianSeconds(fn) {
  let n = 1
  let elapsed
  for (;;) {
    const t = performance.now()
    for (let i = 0; i < n; i++) sink ^= size(fn())
    elapsed = (performance.now() - t) / 1000
    if (elapsed >= BATCH_SECONDS / 10 || n >= 1 << 20) break
    n *= 2
  }
  n = Math.max(1, Math.floor(BATCH_SECONDS / Math.max(elapsed / n, 1e-9)))
  const runs = []
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) sink ^= size(fn())
    runs.push((performance.now() - t) / 1000 / n)
  }
  runs.sort((a, b) => a - b)
  return runs[Math.floor(runs.length / 2)]
}

/** The size of an answer (an array, a typed array or a pooled bulk answer). */
function size(a) {
  return a.length ?? a.starts.length
}

function fmt(seconds) {
  return seconds < 1e-3 ? `${(seconds * 1e6).toFixed(1)} us` : `${(seconds * 1e3).toFixed(2)} ms`
}

function fail(message) {
  console.error(`bench-node: ${message}`)
  process.exit(1)
}

/** Every answer (name -> list of comparable strings or numbers) equal, or exit 1; the count. */
function same(what, answers) {
  const [firstName, ...others] = Object.keys(answers)
  const first = answers[firstName]
  for (const name of others) {
    const other = answers[name]
    if (other.length !== first.length || other.some((v, i) => v !== first[i])) {
      const a = new Set(first)
      const b = new Set(other)
      const diff = [...first.filter((v) => !b.has(v)), ...other.filter((v) => !a.has(v))].slice(0, 5)
      fail(`${what}: ${firstName} gives ${first.length}, ${name} gives ${other.length}; first differences: ${diff.join(' ')}`)
    }
  }
  return first.length
}

const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z')

// ---------------------------------------------------------------------------
// 1. Recurrence.

function recurrenceCase(title, rule, dtstart, startIso, endIso) {
  const [start, end] = [Date.parse(startIso), Date.parse(endIso)]
  const text = `DTSTART;TZID=${NY}:${dtstart.replaceAll('-', '').replaceAll(':', '')}00\nRRULE:${rule}`
  // Each call parses its rule, as each library's users would per request (and
  // so rrule-rust's per-instance cache cannot carry answers across calls).
  const withHcas = () => new hcas.Recurrence(rule, dtstart, NY).between(start, end)
  const withHcasEpoch = () => new hcas.Recurrence(rule, dtstart, NY).betweenEpochMs(start, end)
  // between() excludes both ends in rrule.js and rrule-rust; no occurrence
  // falls on them (midnight UTC).
  const withRruleJs = () => rrulestr(text).between(new Date(start), new Date(end))
  const rustBounds = [RustDateTime.fromTimestamp(start), RustDateTime.fromTimestamp(end)]
  const withRruleRust = () => RRuleSet.fromString(text).between(...rustBounds)
  const n = same(title, {
    hcas: withHcas(),
    'hcas betweenEpochMs': [...withHcasEpoch()].map(iso),
    'rrule.js': withRruleJs().map((d) => iso(d.getTime())),
    'rrule-rust': withRruleRust().map((d) => iso(d.toTimestamp())),
  })
  const ours = medianSeconds(withHcas)
  const oursEpoch = medianSeconds(withHcasEpoch)
  console.log(`-- ${title}: ${rule} from ${dtstart} ${NY}, ${n} occurrences`)
  console.log(`hcas Recurrence.between (ISO strings): ${fmt(ours)}`)
  console.log(`hcas Recurrence.betweenEpochMs (Float64Array): ${fmt(oursEpoch)}`)
  for (const [name, fn, target] of [
    ['rrule.js (TZID)', withRruleJs, ' (target >= 500x)'],
    ['rrule-rust (TZID)', withRruleRust, ' (target >= 1x: no slower)'],
  ]) {
    const theirs = medianSeconds(fn)
    console.log(
      `${name}: ${fmt(theirs)}; ratio ${name} / hcas = ${(theirs / ours).toFixed(1)}x (between), ` +
        `${(theirs / oursEpoch).toFixed(1)}x (betweenEpochMs)${target}`,
    )
  }
}

// ---------------------------------------------------------------------------
// 2. and 3. Slots.

const WEEKDAYS = { MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6, SU: 7 }

/** The luxon weekdays (1 = Monday) of a working rule; only what the workloads use. */
function ruleDays(rrule) {
  if (rrule === 'FREQ=DAILY') return new Set([1, 2, 3, 4, 5, 6, 7])
  const m = /^FREQ=WEEKLY;BYDAY=([A-Z,]+)$/.exec(rrule)
  if (!m) fail(`plainSlots handles FREQ=DAILY and FREQ=WEEKLY;BYDAY=... only, not ${rrule}`)
  return new Set(m[1].split(',').map((d) => WEEKDAYS[d]))
}

/**
 * Slot starts (epoch ms) the way a JavaScript team would write them with
 * luxon, for the bench's workloads: working rules (days of the week, opening
 * and closing wall times, closing after opening), no date overrides, slots on
 * a grid of `minutes` from each window's opening, offered when inside
 * [start, end), inside the window and overlapping no busy interval.
 */
function plainSlots(zone, rules, busy, start, end, minutes) {
  const out = new Set()
  const first = DateTime.fromMillis(start, { zone }).startOf('day').minus({ days: 1 })
  const last = DateTime.fromMillis(end, { zone }).startOf('day').plus({ days: 1 })
  for (const rule of rules) {
    const days = ruleDays(rule.rrule)
    const [oh, om] = rule.start.split(':').map(Number)
    const [ch, cm] = rule.end.split(':').map(Number)
    const since = DateTime.fromISO(rule.dtstart, { zone })
    for (let day = first; day <= last; day = day.plus({ days: 1 })) {
      if (day < since || !days.has(day.weekday)) continue
      let s = day.set({ hour: oh, minute: om })
      const close = day.set({ hour: ch, minute: cm })
      for (let e = s.plus({ minutes }); e <= close; s = e, e = s.plus({ minutes })) {
        const [sm, em] = [s.toMillis(), e.toMillis()]
        if (sm >= start && sm < end && !busy.some(([b0, b1]) => b0 < em && sm < b1)) out.add(sm)
      }
    }
  }
  return [...out].sort((a, b) => a - b)
}

/** The luxon loop per provider, merged into `[start, [provider, ...]]` rows. */
function plainPooled(zone, providers, start, end, minutes) {
  const rows = new Map()
  providers.forEach((p, i) => {
    for (const s of plainSlots(zone, p.rules, p.busy, start, end, minutes)) {
      const row = rows.get(s)
      if (row) row.push(i)
      else rows.set(s, [i])
    }
  })
  return [...rows.entries()].sort(([a], [b]) => a - b)
}

/** A provider of a query JSON as an hcas Availability. */
function availability(zone, rules, busy) {
  return new hcas.Availability(zone, { rules, busy: busy.map(([start, end]) => ({ start, end })) })
}

function slotsCase(month) {
  const ms = (s) => s * 1000
  const busy = month.busy.map(([a, b]) => [ms(a), ms(b)])
  const [start, end, minutes] = [ms(month.from), ms(month.to), month.duration_minutes]
  const a = availability(month.zone, month.rules, busy)
  const withHcas = () => a.slots(start, end, minutes)
  const withHcasEpoch = () => a.slotsEpochMs(start, end, minutes)
  const withPlain = () => plainSlots(month.zone, month.rules, busy, start, end, minutes)
  const n = same('a month of slots', {
    'the Rust engine (month_query)': month.slots.map((s) => iso(ms(s))),
    hcas: withHcas(),
    'hcas slotsEpochMs': [...withHcasEpoch()].map(iso),
    'luxon loop': withPlain().map(iso),
  })
  const ours = medianSeconds(withHcas)
  const oursEpoch = medianSeconds(withHcasEpoch)
  const plain = medianSeconds(withPlain)
  const rust = month.ns_per_query / 1e9
  console.log(`-- a month of slots, one provider (${month.zone}, ${month.rules[0].rrule}, busy intervals ${busy.length}): ${n} slots`)
  console.log(`hcas Availability.slots (ISO strings): ${fmt(ours)}`)
  console.log(`hcas Availability.slotsEpochMs (Float64Array): ${fmt(oursEpoch)}`)
  console.log(`luxon loop: ${fmt(plain)}; ratio luxon / hcas = ${(plain / ours).toFixed(0)}x (slots), ${(plain / oursEpoch).toFixed(0)}x (slotsEpochMs) (target >= 100x)`)
  console.log(
    `the binding's overhead: pure Rust (month_query, ${month.repeats} x ${month.iterations}) ${fmt(rust)}; ` +
      `ratio Node / Rust = ${(ours / rust).toFixed(2)}x for slots, ${(oursEpoch / rust).toFixed(2)}x for slotsEpochMs`,
  )
}

function pooledCase(pool) {
  const ms = (s) => s * 1000
  const providers = pool.providers.map((p) => ({ rules: p.rules, busy: p.busy.map(([a, b]) => [ms(a), ms(b)]) }))
  const [start, end, minutes] = [ms(pool.from), ms(pool.to), pool.duration_minutes]
  const avails = providers.map((p) => availability(pool.zone, p.rules, p.busy))
  const withHcas = () => hcas.pooledSlots(avails, start, end, minutes)
  const withHcasEpoch = () => hcas.pooledSlotsEpochMs(avails, start, end, minutes)
  const withPlain = () => plainPooled(pool.zone, providers, start, end, minutes)
  const bulkRows = (b) =>
    [...b.starts].map((s, i) => `${iso(s)} ${[...b.members.subarray(b.offsets[i], b.offsets[i + 1])].join(',')}`)
  const n = same(`${providers.length} providers pooled`, {
    'the Rust engine (pool_query)': pool.rows.map(([s, m]) => `${iso(ms(s))} ${m.join(',')}`),
    'hcas pooledSlots': withHcas().map((r) => `${r.start} ${r.providers.join(',')}`),
    'hcas pooledSlotsEpochMs': bulkRows(withHcasEpoch()),
    'luxon loop, merged': withPlain().map(([s, m]) => `${iso(s)} ${m.join(',')}`),
  })
  const pairs = pool.rows.reduce((k, [, m]) => k + m.length, 0)
  const ours = medianSeconds(withHcas)
  const oursEpoch = medianSeconds(withHcasEpoch)
  const plain = medianSeconds(withPlain)
  const rust = pool.ns_per_query / 1e9
  console.log(`-- ${providers.length} providers pooled, each on its own hours, a month: ${n} starts, ${pairs} (start, provider) pairs`)
  console.log(`hcas pooledSlots ([{ start, providers }]): ${fmt(ours)}`)
  console.log(`hcas pooledSlotsEpochMs (typed arrays): ${fmt(oursEpoch)}`)
  console.log(`luxon loop per provider, merged: ${fmt(plain)}; ratio luxon / hcas = ${(plain / ours).toFixed(0)}x (pooledSlots), ${(plain / oursEpoch).toFixed(0)}x (pooledSlotsEpochMs)`)
  console.log(
    `the binding's overhead: pure Rust (pool_query, ${pool.repeats} x ${pool.iterations}) ${fmt(rust)}; ` +
      `ratio Node / Rust = ${(ours / rust).toFixed(2)}x for pooledSlots, ${(oursEpoch / rust).toFixed(2)}x for pooledSlotsEpochMs`,
  )
}

function main() {
  const [monthPath, poolPath, calcom] = process.argv.slice(2)
  if (!poolPath) fail('usage: bench.mjs MONTH_QUERY_JSON POOL_QUERY_JSON [CALCOM_STATUS]')
  if (new Date(0).getTimezoneOffset() !== 0 || Intl.DateTimeFormat().resolvedOptions().timeZone !== 'UTC') {
    fail('run with TZ=UTC: rrule.js gives real instants for a TZID rule only in a UTC process')
  }
  const month = JSON.parse(readFileSync(monthPath, 'utf8'))
  const pool = JSON.parse(readFileSync(poolPath, 'utf8'))
  const version = (p) => `${p} ${require(`${p}/package.json`).version}`
  console.log(`== Node ${process.version}; ${['@hcas/engine', 'luxon', 'rrule', 'rrule-rust'].map(version).join(', ')}; hcas tzdb ${hcas.TZDB_VERSION}`)
  console.log(`medians of ${REPEATS} batches of about ${BATCH_SECONDS} s each`)
  recurrenceCase('weekdays for a year', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', '2026-01-01T09:00', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')
  recurrenceCase('last Friday of the month for ten years', 'FREQ=MONTHLY;BYDAY=-1FR', '2026-01-30T09:00', '2026-01-01T00:00:00Z', '2036-01-01T00:00:00Z')
  slotsCase(month)
  pooledCase(pool)
  console.log(`-- Cal.com's slot engine (month, team availability): not timed: ${calcom ?? 'not tried'}`)
  if (sink === 0.5) console.log('') // never: keeps `sink` live
}

main()
