// The `wasm` front door of scripts/vectors: every conformance vector under
// $HCAS_VECTORS (default tests/vectors/; a relative path is taken from the
// repository root $HCAS_ROOT) through BOTH modules of the installed package:
// the full module (`@hcas/engine-wasm`) and the slots module
// (`@hcas/engine-wasm/slots`); `evaluate` is in both, over every vector kind.
// Each answer is judged by the package's checkVector
// (hcas_core::wire::check, the comparison every door uses). One line per
// failure (naming the module), then `N passed, N failed` for the door as a
// whole: one count per vector and module.
//
// It runs from the scratch project bindings/wasm/build-pack made (a copy of
// this file in DIR/tests), so the package resolves to the installed one.
// The logic per vector is the node door's (bindings/node/tests/vectors_door.mjs).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import process from 'node:process'

import * as full from '@hcas/engine-wasm'
import * as slots from '@hcas/engine-wasm/slots'

const MODULES = [
  ['full module', '@hcas/engine-wasm', full],
  ['slots module', '@hcas/engine-wasm/slots', slots],
]

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

/** Run one vector `kase` (read from `path`) through `hcas`: null when it passes, else the failure line. */
function run(hcas, kase, path) {
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

/** The vector in `path`, or the failure line when it is not a JSON object. */
function readCase(path) {
  let kase
  try {
    kase = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    return { line: `${path}: not a readable JSON file: ${e.message}` }
  }
  if (kase === null || typeof kase !== 'object' || Array.isArray(kase)) return { line: `${path}: not a JSON object` }
  return { kase }
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
  const cases = files.map(readCase)
  let passed = 0
  let failed = 0
  for (const [label, name, hcas] of MODULES) {
    let modulePassed = 0
    files.forEach((f, i) => {
      const { kase, line: unreadable } = cases[i]
      const line = unreadable ?? run(hcas, kase, f)
      if (line === null) {
        modulePassed += 1
      } else {
        console.log(`FAIL [${label}] ${line}`)
      }
    })
    passed += modulePassed
    failed += files.length - modulePassed
    console.log(`${name} (${label}, ${hcas.version}, tzdb ${hcas.TZDB_VERSION}): ${modulePassed} of ${files.length} vectors pass`)
  }
  if (files.length === 0) {
    console.log(`no *.json vectors below ${root}`)
    failed += 1
  }
  console.log(`vectors from ${root}, each through both modules`)
  console.log(`${passed} passed, ${failed} failed`)
  return failed === 0 ? 0 : 1
}

process.exitCode = main()
