// The `node` front door of scripts/vectors: every conformance vector under
// $HCAS_VECTORS (default tests/vectors/; a relative path is taken from the
// repository root $HCAS_ROOT) through the installed package @hcas/engine,
// judged by checkVector (hcas_core::wire::check, the comparison every door
// uses). One line per failure, then `N passed, N failed`, as the other doors.
//
// It runs from the scratch project bindings/node/build-pack made (a copy of
// this file in DIR/tests), so `@hcas/engine` resolves to the installed package.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import process from 'node:process'

import * as hcas from '@hcas/engine'

/** Every *.json file below `dir`, sorted by path. */
function vectorFiles(dir) {
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...vectorFiles(p))
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(p)
  }
  return out.sort()
}

/** Run one vector file: null when it passes, else the failure line. */
function run(path) {
  let kase
  try {
    kase = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    return `${path}: not a readable JSON file: ${e.message}`
  }
  if (kase === null || typeof kase !== 'object' || Array.isArray(kase)) {
    return `${path}: not a JSON object`
  }
  const vid = typeof kase.id === 'string' ? kase.id : '<no id>'
  const kind = kase.kind
  if (!hcas.KINDS.includes(kind)) return `${vid}: unknown kind \`${kind}\` (file ${path})`
  let out
  try {
    out = hcas.evaluate(kind, kase.input)
  } catch (e) {
    if (!(e instanceof hcas.HcasError)) throw e
    const line = hcas.checkVector(kase, e.code)
    return line === null ? null : `${line} (${e.code}: ${e.message})`
  }
  return hcas.checkVector(kase, out)
}

function main() {
  const given = process.env.HCAS_VECTORS
  const base = process.env.HCAS_ROOT
  if ((!given || !isAbsolute(given)) && !base) {
    console.log('set HCAS_ROOT to the repository root (or HCAS_VECTORS to an absolute path)')
    console.log('0 passed, 1 failed')
    return 1
  }
  const root = given ? resolve(base ?? '/', given) : join(base, 'tests', 'vectors')
  let isDir = false
  try {
    isDir = statSync(root).isDirectory()
  } catch {
    isDir = false
  }
  if (!isDir) {
    console.log(`cannot read vectors in ${root}`)
    console.log('0 passed, 1 failed')
    return 1
  }
  const files = vectorFiles(root)
  let passed = 0
  let failed = 0
  for (const f of files) {
    const line = run(f)
    if (line === null) {
      passed += 1
    } else {
      failed += 1
      console.log(`FAIL ${line}`)
    }
  }
  if (files.length === 0) {
    console.log(`no *.json vectors below ${root}`)
    failed += 1
  }
  console.log(`vectors from ${root} (@hcas/engine ${hcas.version}, tzdb ${hcas.TZDB_VERSION})`)
  console.log(`${passed} passed, ${failed} failed`)
  return failed === 0 ? 0 : 1
}

process.exitCode = main()
