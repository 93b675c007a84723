// End-to-end test of the web pages in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core; no browser download), against
// the real hcas-server binary (HCAS_SERVER_BIN) with --demo on port 0 and a
// fresh data dir. Run: HCAS_SERVER_BIN=target/debug/hcas-server node web/tests/e2e.mjs
//
// Expected local times are computed here from the API's own UTC answer
// (fetched independently with the same demo login), with fixed-offset zones
// and plain arithmetic where possible, so a wrong zone conversion in the
// page fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.HCAS_SERVER_BIN;
if (!bin) {
  console.error('set HCAS_SERVER_BIN to the hcas-server executable');
  process.exit(2);
}
const chromiumPath = process.env.HCAS_CHROMIUM ?? '/usr/bin/chromium';
const axeSource = readFileSync(join(here, '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

let passed = 0;
const failures = [];
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failures.push(name);
    console.log(`not ok - ${name}\n${e?.stack ?? e}`);
  }
}

// ------------------------------------------------------------ the server

function startServer() {
  const work = mkdtempSync(join(tmpdir(), 'hcas-web-e2e-'));
  const child = spawn(bin, ['--demo'], {
    env: {
      ...process.env,
      HCAS_LISTEN: '127.0.0.1:0',
      HCAS_DATA_DIR: join(work, 'data'),
      HCAS_RATE_LIMIT_PER_SECOND: '0',
      HCAS_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo server did not start:\n${err}\n${out}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^hcas demo clinic at (http\S+)/m);
      if (m && /^API: /m.test(out)) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hcas-server exited (${code}):\n${err}\n${out}`));
    });
  });
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(work, { recursive: true, force: true });
    },
  };
}

async function apiLogin(base, username, password) {
  const res = await fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ org: 'demo', username, password }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

async function apiSlots(base, token, params) {
  const res = await fetch(`${base}/v1/slots?${new URLSearchParams(params)}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).slots;
}

// ------------------------------------------------------------ helpers

/** "h:mm AM" of a UTC instant shifted by a fixed offset (plain arithmetic). */
function fixedOffsetClock(iso, offsetHours) {
  const d = new Date(Date.parse(iso) + offsetHours * 3_600_000);
  const h = d.getUTCHours();
  const m = String(d.getUTCMinutes()).padStart(2, '0');
  return { h24: h, text: `${((h + 11) % 12) + 1}:${m}\u202f${h < 12 ? 'AM' : 'PM'}`, day: d.toISOString().slice(0, 10) };
}

function norm(s) {
  // Intl may use U+202F or U+00A0 before AM/PM; compare with plain spaces.
  return s.replace(/[\u202f\u00a0]/g, ' ').trim();
}

async function runAxe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe (${label}): ${JSON.stringify(bad, null, 1)}`);
}

async function tabTo(page, predicate, max = 40) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate)) return;
  }
  throw new Error(`Tab never reached ${predicate}`);
}

async function signIn(page) {
  await page.fill('#username', 'alice');
  await page.fill('#password', 'demo-alice');
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#find-section:not([hidden])');
}

// ------------------------------------------------------------ the run

const server = startServer();
let browser;
try {
  const base = await server.url;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  const problems = [];
  const urls = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => urls.push(r.url()));
  // Every failed response must be one a step provokes on purpose.
  const expectedFailures = [
    [401, '/v1/auth/login'],
    [409, '/v1/appointments/holds'],
  ];
  const unexpected = [];
  const watch = (p) =>
    p.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() >= 400 && !expectedFailures.some(([s, q]) => s === r.status() && q === path)) {
        unexpected.push(`${r.status()} ${path}`);
      }
    });
  watch(page);

  const alice = await apiLogin(base, 'alice', 'demo-alice');
  const front = await apiLogin(base, 'frontdesk', 'demo-frontdesk');

  await check('the page is served with its security headers and caching', async () => {
    const res = await page.goto(base + '/');
    assert.equal(res.status(), 200);
    const h = res.headers();
    assert.match(h['content-type'], /^text\/html/);
    assert.equal(h['cache-control'], 'no-cache');
    assert.match(h['content-security-policy'], /default-src 'self'/);
    assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
    assert.doesNotMatch(h['content-security-policy'], /unsafe-inline/);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
    const js = await page.evaluate(() => document.querySelector('script[src]').getAttribute('src'));
    const asset = await fetch(base + js);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type'), /^text\/javascript/);
    assert.match(asset.headers.get('cache-control'), /immutable/);
  });

  await check('the zone select defaults to the browser zone; sign-in page passes axe', async () => {
    assert.equal(await page.inputValue('#zone'), 'Asia/Tokyo');
    await runAxe(page, 'sign in');
  });

  await check('a wrong password is refused with a message, and no token is kept', async () => {
    await page.fill('#username', 'alice');
    await page.fill('#password', 'wrong');
    await page.click('#signin button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#signin-error').textContent !== '');
    assert.equal(await page.isHidden('#find-section'), true);
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  });

  let tokyoSlots;
  await check("a doctor's slots, grouped by Tokyo day, at Tokyo times", async () => {
    await signIn(page);
    await page.selectOption('#doctor', 'dr-lee');
    await page.fill('#from', '2030-01-07');
    await page.fill('#to', '2030-01-08');
    await page.click('#search');
    await page.waitForSelector('#results .slot');
    // Tokyo is UTC+9 all year: its 7 and 8 January 2030 are this UTC window.
    tokyoSlots = await apiSlots(base, alice, {
      provider: 'dr-lee', from: '2030-01-06T15:00:00Z', to: '2030-01-08T15:00:00Z', duration: 30,
    });
    // Dr Lee works 09:00-12:00 and 13:00-17:00 New York time (EST, UTC-5 in
    // January): Monday 7 January's first start is 14:00Z, 23:00 in Tokyo.
    assert.equal(tokyoSlots[0].start, '2030-01-07T14:00:00Z');
    const shown = await page.$$eval('#results .slot', (bs) =>
      bs.map((b) => ({ start: b.dataset.start, time: b.querySelector('.time').textContent, day: b.closest('.day').dataset.day })),
    );
    assert.deepEqual(shown.map((s) => s.start), tokyoSlots.map((s) => s.start));
    for (const s of shown) {
      const want = fixedOffsetClock(s.start, 9);
      assert.equal(norm(s.time), norm(want.text), s.start);
      assert.equal(s.day, want.day, s.start);
    }
    const days = await page.$$eval('#results .day', (ds) => ds.map((d) => d.dataset.day));
    assert.deepEqual(days, ['2030-01-07', '2030-01-08']);
    assert.match(await page.textContent('#zone-note'), /Asia\/Tokyo/);
    await runAxe(page, 'results');
  });

  await check('"any doctor" across the US/EU DST gap: Berlin times move by an hour', async () => {
    await page.check('#by-specialty');
    await page.selectOption('#specialty', 'general-practice');
    await page.selectOption('#zone', 'Europe/Berlin');
    await page.fill('#from', '2030-03-08');
    await page.fill('#to', '2030-03-11');
    await page.click('#search');
    await page.waitForFunction(() => document.querySelector('#zone-note').textContent.includes('Europe/Berlin'));
    // Berlin is on CET (UTC+1) until 31 March 2030; New York moves to EDT on
    // 10 March, so 09:00 New York is 15:00 Berlin on Friday 8th and 14:00 on
    // Monday 11th.
    const api = await apiSlots(base, alice, {
      specialty: 'general-practice', from: '2030-03-07T23:00:00Z', to: '2030-03-11T23:00:00Z', duration: 30,
    });
    const shown = await page.$$eval('#results .slot', (bs) =>
      bs.map((b) => ({ start: b.dataset.start, time: b.querySelector('.time').textContent, who: b.querySelector('.who').textContent, day: b.closest('.day').dataset.day })),
    );
    assert.deepEqual(shown.map((s) => s.start), api.map((s) => s.start));
    for (const s of shown) assert.equal(norm(s.time), norm(fixedOffsetClock(s.start, 1).text), s.start);
    const days = [...new Set(shown.map((s) => s.day))];
    assert.deepEqual(days, ['2030-03-08', '2030-03-11']);
    const first = (day) => shown.find((s) => s.day === day);
    assert.equal(fixedOffsetClock(first('2030-03-08').start, 1).h24, 15);
    assert.equal(fixedOffsetClock(first('2030-03-11').start, 1).h24, 14);
    assert.match(first('2030-03-08').who, /Dr Maya Lee/);
    assert.match(first('2030-03-08').who, /Dr Chidi Okafor/);
  });

  await check('switching to Spanish translates the page and formats days in Spanish', async () => {
    await page.selectOption('#lang', 'es');
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
    assert.equal(await page.textContent('h1'), 'Buscar una cita');
    assert.equal(await page.textContent('label[for=zone]'), 'Su zona horaria');
    const heads = await page.$$eval('#results .day', (ds) =>
      ds.map((d) => ({ text: d.querySelector('h3').textContent, start: d.querySelector('.slot').dataset.start })),
    );
    for (const h of heads) {
      const want = new Intl.DateTimeFormat('es', { timeZone: 'Europe/Berlin', dateStyle: 'full' }).format(Date.parse(h.start));
      assert.equal(h.text, want);
    }
    assert.match(heads[0].text, /marzo/);
    try {
      await runAxe(page, 'results in Spanish');
    } finally {
      await page.selectOption('#lang', 'en');
    }
    assert.equal(await page.textContent('h1'), 'Find a time');
  });

  await check('a time taken since the search: a message and nearby alternatives', async () => {
    await page.check('#by-doctor');
    await page.selectOption('#doctor', 'dr-lee');
    await page.selectOption('#zone', 'Asia/Tokyo');
    await page.fill('#from', '2030-01-07');
    await page.fill('#to', '2030-01-08');
    await page.click('#search');
    await page.waitForFunction(() => document.querySelector('#zone-note').textContent.includes('Asia/Tokyo'));
    const taken = tokyoSlots[2].start;
    const res = await fetch(`${base}/v1/appointments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${front}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'e2e-taken' },
      body: JSON.stringify({ provider: 'dr-lee', patient: 'pat-bob', start: taken, duration: 30 }),
    });
    assert.equal(res.status, 201, await res.text());
    await page.click(`#results .slot[data-start="${taken}"]`);
    await page.waitForFunction(() => document.querySelector('#book-error').textContent !== '');
    assert.match(await page.textContent('#book-error'), /just taken/);
    const alts = await page.$$eval('#alternatives .slot', (bs) => bs.map((b) => b.dataset.start));
    assert.ok(alts.length > 0);
    assert.ok(!alts.includes(taken));
    assert.equal(await page.isHidden('#confirm'), true);
  });

  await check('keyboard only: sign in, search, hold with a countdown, confirm', async () => {
    const kb = await context.newPage();
    kb.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    kb.on('request', (r) => urls.push(r.url()));
    watch(kb);
    await kb.goto(base + '/');
    await tabTo(kb, () => document.activeElement?.id === 'username');
    await kb.keyboard.type('alice');
    await kb.keyboard.press('Tab');
    assert.equal(await kb.evaluate(() => document.activeElement?.id), 'password');
    await kb.keyboard.type('demo-alice');
    await kb.keyboard.press('Enter');
    await kb.waitForSelector('#find-section:not([hidden])');
    assert.equal(await kb.evaluate(() => document.activeElement?.id), 'doctor');
    await tabTo(kb, () => document.activeElement?.id === 'search');
    await kb.keyboard.press('Enter');
    await kb.waitForSelector('#results .slot');
    await tabTo(kb, () => document.activeElement?.classList.contains('slot'), 80);
    const start = await kb.evaluate(() => document.activeElement.dataset.start);
    const provider = await kb.evaluate(() => document.activeElement.dataset.provider);
    await kb.keyboard.press('Enter');
    await kb.waitForSelector('#confirm:not([hidden])');
    assert.equal(await kb.evaluate(() => document.activeElement?.id), 'book-h');
    const seconds = Number(await kb.getAttribute('#countdown', 'data-seconds'));
    assert.ok(seconds > 0 && seconds <= 600, String(seconds));
    assert.match(await kb.textContent('#countdown'), /^Hold ends in \d+:\d\d\.$/);
    await runAxe(kb, 'hold');
    await tabTo(kb, () => document.activeElement?.id === 'confirm');
    await kb.keyboard.press('Enter');
    await kb.waitForSelector('#book-section[data-status=booked]');
    assert.match(await kb.textContent('#book-summary'), /^Booked: /);
    // The booked start is no longer offered by the API.
    const after = await apiSlots(base, alice, {
      provider, from: start, to: new Date(Date.parse(start) + 60_000).toISOString().replace('.000', ''), duration: 30,
    });
    assert.deepEqual(after.map((s) => s.start), []);
    await kb.close();
  });

  await check('no console errors or CSP violations; no patient data in any URL', async () => {
    // The browser logs each failed fetch; those are checked by status below.
    assert.deepEqual(problems.filter((p) => !p.startsWith('Failed to load resource')), []);
    assert.deepEqual(unexpected, []);
    const leaked = urls.filter((u) => /pat-|alice|demo-alice|password/i.test(u));
    assert.deepEqual(leaked, []);
  });
} catch (e) {
  failures.push('setup');
  console.log(`not ok - setup\n${e?.stack ?? e}`);
} finally {
  await browser?.close();
  server.stop();
}
console.log(`\n${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
