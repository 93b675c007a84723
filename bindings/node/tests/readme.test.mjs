// README.md's example, run as a user's module in this project, prints what
// the README says it prints. (build-pack copies README.md beside this file.)
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** The body of the first fenced block of `lang` after the heading `## Example`. */
function block(text, lang) {
  const section = text.slice(text.indexOf('## Example'))
  const m = section.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'))
  assert.ok(m, `README.md has a ${lang} block under ## Example`)
  return m[1]
}

test("the README example prints the README's output", () => {
  const readme = readFileSync(join(here, 'README.md'), 'utf8')
  const file = join(here, 'readme-example.mjs')
  writeFileSync(file, block(readme, 'js'))
  try {
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' })
    assert.equal(out, block(readme, 'text'))
  } finally {
    rmSync(file, { force: true })
  }
})
