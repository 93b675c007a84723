// Every conformance vector through @hcas/engine-wasm in headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core), the page and the
// package served on loopback: the page imports the package's browser entry
// (browser.mjs, the ES module bundlers and browsers get) and evaluates each
// vector's input. Each answer must be identical (same JSON) to the native
// engine's: the Node addon @hcas/engine installed in $HCAS_NODE_SCRATCH
// (bindings/node/build-pack), else, with a note, the WebAssembly package
// under Node; and each must pass its vector (checkVector). Ends with
// `N passed, N failed`; exit 1 on any failure.
//
//   HCAS_ROOT=<repo> [HCAS_VECTORS=dir] [HCAS_NODE_SCRATCH=dir] node tests/browser_run.mjs
import { readFileSync, readdirSync } from 'node:fs'
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

const PAGE = `<!doctype html><meta charset="utf-8"><title>hcas wasm vectors</title>
<script type="module">
import * as hcas from '/pkg/browser.mjs'
const cases = await (await fetch('/vectors.json')).json()
const answers = cases.map(({ kind, input }) => {
  try {
    return { out: hcas.evaluate(kind, input) }
  } catch (e) {
    return e instanceof hcas.HcasError ? { error: e.code } : { crash: String(e) }
  }
})
window.hcasDone = { answers, version: hcas.version, tzdb: hcas.TZDB_VERSION }
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
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    let data
    let type = 'text/html'
    if (url.pathname === '/') data = PAGE
    else if (url.pathname === '/vectors.json') [data, type] = [body, TYPES['.json']]
    else if (url.pathname.startsWith('/pkg/')) {
      const p = resolve(pkgDir, `.${url.pathname.slice(4)}`)
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
  cases.forEach((kase, i) => {
    const got = done.answers[i]
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
      console.log(`FAIL ${line} (file ${files[i]})`)
    }
  })
  if (files.length === 0) {
    console.log(`no *.json vectors below ${root}`)
    failed += 1
  }
  console.log(`vectors from ${root} in headless Chromium (@hcas/engine-wasm ${done.version}, tzdb ${done.tzdb}), compared with ${referenceName}`)
  console.log(`${passed} passed, ${failed} failed`)
  return failed === 0 ? 0 : 1
}

process.exitCode = await main()
