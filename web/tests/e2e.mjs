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
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
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
// Screenshots of the main pages, referenced from docs/web.md; rewritten on
// every run at a fixed viewport.
const shots = join(here, '..', '..', 'docs', 'img');
const VIEWPORT = { width: 1024, height: 768 };
mkdirSync(shots, { recursive: true });

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

async function api(base, token, method, path, body, headers = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The next offered start of a provider from now (15 minutes). */
async function nextStart(base, token, provider, afterMinutes = 0) {
  const from = new Date(Date.now() + afterMinutes * 60_000);
  from.setUTCSeconds(0, 0);
  const to = new Date(from.getTime() + 2 * 86_400_000);
  const list = await apiSlots(base, token, {
    provider, from: from.toISOString().replace('.000', ''), to: to.toISOString().replace('.000', ''), duration: 15,
  });
  assert.ok(list.length > 0, `no slot for ${provider}`);
  return list[0].start;
}

async function book(base, token, provider, patient, start, duration = 15) {
  const r = await api(base, token, 'POST', '/v1/appointments', { provider, patient, start, duration });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
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

async function tabTo(page, predicate, max = 40, arg = undefined, key = 'Tab') {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(key);
    if (await page.evaluate(predicate, arg)) return;
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
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Tokyo', viewport: VIEWPORT });
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
    [401, /^\/v1\/auth\/login$/],
    // Registering with a username taken (shown on its field).
    [409, /^\/v1\/auth\/register$/],
    [409, /^\/v1\/appointments\/holds$/],
    // The staff page's refused no-show (its code shown).
    [409, /^\/v1\/appointments\/[^/]+\/no-show$/],
    // A doctor's check-in from the week view (refused: staff at the desk
    // check patients in: `not_permitted`, shown).
    [403, /^\/v1\/appointments\/[^/]+\/check-in$/],
    // Rescheduling onto Bob's time (alternatives shown).
    [409, /^\/v1\/appointments\/[^/]+\/reschedule$/],
    // A doctor asking for a patient's consents and access log.
    [403, /^\/fhir\/r4\/(Consent|AuditEvent)\/_search$/],
    // A schedule saved from an older copy (version_mismatch, shown).
    [412, /^\/v1\/providers\/[^/]+\/schedule$/],
    // A doctor saving working hours (administrators only).
    [403, /^\/v1\/providers\/[^/]+\/schedule$/],
  ];
  const unexpected = [];
  const watch = (p) =>
    p.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() >= 400 && !expectedFailures.some(([s, q]) => s === r.status() && q.test(path))) {
        unexpected.push(`${r.status()} ${path}`);
      }
    });
  watch(page);
  /** A page of its own context, watched like the first. */
  async function newPage(options) {
    const ctx = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Tokyo', viewport: VIEWPORT, ...options });
    const p = await ctx.newPage();
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    p.on('pageerror', (e) => problems.push(String(e)));
    p.on('request', (r) => urls.push(r.url()));
    watch(p);
    return p;
  }
  async function signInAs(p, username, password) {
    await p.goto(base + '/');
    await p.fill('#username', username);
    await p.fill('#password', password);
    await p.click('#signin button[type=submit]');
    await p.waitForSelector('#nav:not([hidden])');
  }

  const alice = await apiLogin(base, 'alice', 'demo-alice');
  const front = await apiLogin(base, 'frontdesk', 'demo-frontdesk');

  // A provider who works around the clock in UTC, so the staff page has
  // appointments today whatever the time (check-in opens an hour before
  // the start): Bob's next start, and two later ones (Bob's, Alice's).
  let r = await api(base, front, 'POST', '/v1/providers', {
    id: 'dr-e2e', name: 'Dr Zoe Walker', specialties: ['walk-in'], timezone: 'UTC',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  r = await api(base, front, 'PUT', '/v1/providers/dr-e2e/schedule', {
    timezone: 'UTC', rules: [{ rrule: 'FREQ=DAILY', dtstart: '2026-01-01', start: '00:00', end: '24:00' }],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const bobSoon = await nextStart(base, front, 'dr-e2e');
  const bobSoonId = await book(base, front, 'dr-e2e', 'pat-bob', bobSoon);
  const bobLaterId = await book(base, front, 'dr-e2e', 'pat-bob', await nextStart(base, front, 'dr-e2e', 60));
  // Alice's appointment two hours ahead is booked after the keyboard test
  // books hers (they must not overlap: a patient is one resource).
  let aliceLate;
  let aliceLateId;
  // Alice's later appointment and a weekly series (April 2030, New York).
  const aliceFarId = await book(base, alice, 'dr-lee', 'pat-alice', '2030-01-09T14:00:00Z', 30);
  r = await api(base, front, 'POST', '/v1/series', {
    id: 'e2e-physio', provider: 'dr-okafor', patient: 'pat-alice', rrule: 'FREQ=WEEKLY;COUNT=3',
    dtstart: '2030-04-01T10:00:00', timezone: 'America/New_York', duration: 30,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));

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

  // Self-registration (issue 18; --demo turns `self_registration` on): a
  // page of its own, so the other checks' sign-in state is untouched.
  const regPassword = 'a long e2e passphrase';
  let regPage;
  let registerCalls = 0;
  await check('register form: labelled, passes axe; mistakes are announced and focus moves to the first', async () => {
    const p = await newPage();
    regPage = p;
    p.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/auth/register') registerCalls += 1;
    });
    await p.goto(base + '/');
    await p.click('#show-register');
    await p.waitForSelector('#register-section:not([hidden])');
    assert.equal(await p.isHidden('#signin-section'), true);
    assert.equal(await p.evaluate(() => document.activeElement?.id), 'register-h');
    for (const id of ['reg-org', 'reg-name', 'reg-birth', 'reg-username', 'reg-password']) {
      assert.equal((await p.$$(`label[for="${id}"]`)).length, 1, `a label for #${id}`);
      assert.match(await p.getAttribute(`#${id}`, 'aria-describedby'), new RegExp(`\\b${id}-error\\b`));
    }
    assert.equal(await p.getAttribute('#reg-password', 'autocomplete'), 'new-password');
    await runAxe(p, 'register form');
    await p.screenshot({ path: join(shots, 'web-register.png'), fullPage: true });
    // No name, a username with a space, a short password: caught in the
    // page (nothing sent), each under its field, summed up in the alert.
    await p.fill('#reg-username', 'nora q');
    await p.fill('#reg-password', 'short');
    await p.click('#register button[type=submit]');
    await p.waitForFunction(() => document.querySelector('#register-error').textContent !== '');
    assert.equal(await p.evaluate(() => document.activeElement?.id), 'reg-name');
    assert.equal(await p.getAttribute('#register-error', 'role'), 'alert');
    assert.equal(await p.textContent('#register-error'), 'Please correct 3 field(s): Your full name, Username, Password.');
    const invalid = async (id) => p.getAttribute(`#${id}`, 'aria-invalid');
    assert.deepEqual(
      [await invalid('reg-org'), await invalid('reg-name'), await invalid('reg-birth'), await invalid('reg-username'), await invalid('reg-password')],
      ['false', 'true', 'false', 'true', 'true'],
    );
    assert.equal(await p.textContent('#reg-name-error'), 'Enter your name.');
    assert.equal(await p.textContent('#reg-password-error'), 'Use at least 12 characters.');
    await runAxe(p, 'register form with errors');
    // The messages follow the language.
    await p.selectOption('#lang', 'es');
    assert.equal(await p.textContent('#register-h'), 'Cree su cuenta de paciente');
    assert.equal(await p.textContent('#reg-password-error'), 'Use al menos 12 caracteres.');
    assert.equal(await p.textContent('#register-error'), 'Corrija 3 campo(s): Nombre completo, Usuario, Contraseña.');
    await runAxe(p, 'register form with errors, Spanish');
    await p.selectOption('#lang', 'en');
    // A password equal to the username (any case) is caught too.
    await p.fill('#reg-name', 'Nora Quinn');
    await p.fill('#reg-username', 'nora.quinn.e2e');
    await p.fill('#reg-password', 'Nora.Quinn.E2E');
    await p.click('#register button[type=submit]');
    await p.waitForFunction(() => document.querySelector('#reg-password-error').textContent.includes('username'));
    assert.equal(await p.evaluate(() => document.activeElement?.id), 'reg-password');
    assert.equal(registerCalls, 0, 'nothing was sent for mistakes the page can see');
  });

  await check("a taken username: the server's refusal on the username field, focus there", async () => {
    const p = regPage;
    await p.fill('#reg-birth', '1988-04-02');
    await p.fill('#reg-username', 'Alice'); // the demo's alice, in another case
    await p.fill('#reg-password', regPassword);
    await p.click('#register button[type=submit]');
    await p.waitForFunction(() => document.querySelector('#reg-username-error').textContent !== '');
    assert.equal(registerCalls, 1);
    assert.equal(await p.textContent('#reg-username-error'), 'This username is taken. Choose another one, or sign in.');
    assert.equal(await p.evaluate(() => document.activeElement?.id), 'reg-username');
    assert.equal(await p.getAttribute('#reg-password', 'aria-invalid'), 'false');
    assert.equal(await p.isHidden('#find-section'), true);
    assert.equal(await p.evaluate(() => localStorage.length + sessionStorage.length), 0);
  });

  await check('a new patient registers, books a slot, and the booking shows in My appointments', async () => {
    const p = regPage;
    await p.fill('#reg-username', 'nora.q');
    await p.click('#register button[type=submit]');
    await p.waitForSelector('#find-section:not([hidden])');
    assert.equal(await p.isHidden('#register-section'), true);
    assert.equal(await p.textContent('#status'), 'Account created. Signed in as nora.q.');
    assert.equal(await p.evaluate(() => document.activeElement?.id), 'doctor');
    assert.equal(await p.isVisible('#nav-mine'), true);
    assert.equal(await p.isHidden('#nav-day'), true);
    // Tokens only in the page's memory, like a sign-in's.
    assert.equal(await p.evaluate(() => localStorage.length + sessionStorage.length), 0);
    assert.deepEqual((await p.context().cookies()).map((c) => c.name), []);
    // The account stands on its own: a login through the API, a patient
    // record with what the form sent (zone and language from the page).
    const nora = await apiLogin(base, 'nora.q', regPassword);
    const me = await (await fetch(`${base}/v1/auth/whoami`, { headers: { Authorization: `Bearer ${nora}` } })).json();
    assert.deepEqual(me.roles, ['patient']);
    const record = await api(base, nora, 'GET', `/v1/patients/${me.subject}`);
    assert.equal(record.status, 200, JSON.stringify(record.body));
    assert.deepEqual(
      [record.body.name, record.body.birth_date, record.body.timezone, record.body.language],
      ['Nora Quinn', '1988-04-02', 'Asia/Tokyo', 'en'],
    );
    // Book with Dr Santos (no other check uses her) on Monday 6 May 2030.
    await p.check('#by-doctor');
    await p.selectOption('#doctor', 'dr-santos');
    await p.fill('#from', '2030-05-06');
    await p.fill('#to', '2030-05-06');
    await p.click('#search');
    await p.waitForSelector('#results .slot');
    const start = await p.getAttribute('#results .slot', 'data-start');
    await p.click('#results .slot');
    await p.waitForSelector('#confirm:not([hidden])');
    await p.click('#confirm');
    await p.waitForSelector('#book-section[data-status=booked]');
    await p.click('#nav-mine');
    const appt = `#mine .appt[data-start="${start}"]`;
    await p.waitForSelector(appt);
    // The API agrees: Nora's booking, with Dr Santos, at that time.
    const booked = await api(base, nora, 'GET', `/v1/appointments/${await p.getAttribute(appt, 'data-id')}`);
    assert.equal(booked.status, 200, JSON.stringify(booked.body));
    assert.deepEqual([booked.body.patient, booked.body.provider, booked.body.start], [me.subject, 'dr-santos', start]);
    await runAxe(p, 'my appointments of a new patient');
    await p.context().close();
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
    await page.setViewportSize(VIEWPORT);
    await page.screenshot({ path: join(shots, 'web-find.png'), fullPage: true });
  });

  await check('speed: a month of slots, from the answer arriving to the list on screen (printed, not asserted)', async () => {
    // The issue's figure is "within 300 ms of the answer arriving"; tests
    // must not assert timing, so the page's own measure is printed here
    // and the figure is recorded in docs/web.md.
    await page.check('#by-specialty');
    await page.selectOption('#specialty', 'general-practice');
    await page.fill('#from', '2030-02-01');
    await page.fill('#to', '2030-02-28');
    await page.evaluate(() => performance.clearMeasures('hcas:slots-shown'));
    await page.click('#search');
    await page.waitForFunction(() => performance.getEntriesByName('hcas:slots-shown').length > 0);
    const m = await page.evaluate(() => {
      const e = performance.getEntriesByName('hcas:slots-shown')[0];
      return { ms: e.duration, slots: e.detail.slots, buttons: document.querySelectorAll('#results .slot').length };
    });
    // The month's slots are all on screen (the measure covers the real list).
    assert.ok(m.slots > 100, `a month should offer many slots, got ${m.slots}`);
    assert.equal(m.buttons, m.slots);
    console.log(`# speed: ${m.slots} slots of February 2030 on screen ${m.ms.toFixed(1)} ms after the answer arrived`);
    await page.check('#by-doctor');
  });

  await check('"any doctor" across the US/EU DST gap: Berlin times move by an hour', async () => {
    await page.check('#by-specialty');
    await page.selectOption('#specialty', 'general-practice');
    await page.selectOption('#zone', 'Europe/Berlin');
    await page.fill('#from', '2030-03-08');
    await page.fill('#to', '2030-03-11');
    await page.click('#search');
    // Changing the zone searched again with the old dates; wait for March.
    await page.waitForFunction(() => document.querySelector('#zone-note').textContent.includes('Europe/Berlin') &&
      document.querySelector('#results .slot')?.dataset.start.startsWith('2030-03'));
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
    await page.waitForFunction(() => document.querySelector('#zone-note').textContent.includes('Asia/Tokyo') &&
      document.querySelector('#results .slot')?.dataset.start.startsWith('2030-01-07'));
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

  await check('why a wanted time is not offered: the engine\'s reasons at Tokyo times, then the nearest free times', async () => {
    // 23:20 in Tokyo on 7 January 2030 is 14:20Z: inside Dr Lee's hours, off
    // the 30-minute grid of 14:00Z and 14:30Z (23:00 and 23:30 in Tokyo).
    await page.fill('#why-date', '2030-01-07');
    await page.fill('#why-time', '23:20');
    await page.click('#why-ask');
    await page.waitForSelector('#why-reasons li');
    const reasons = await page.$$eval('#why-reasons li', (ls) => ls.map((l) => ({ reason: l.dataset.reason, text: l.textContent })));
    const want = await (await fetch(`${base}/v1/slots/explain?${new URLSearchParams({ provider: 'dr-lee', start: '2030-01-07T14:20:00Z', duration: '30' })}`, {
      headers: { Authorization: `Bearer ${alice}` },
    })).json();
    assert.equal(want.offered, false);
    assert.deepEqual(reasons.map((r) => r.reason), want.reasons.map((r) => r.reason));
    assert.deepEqual(reasons.map((r) => r.reason), ['off_grid']);
    const offGrid = norm(reasons[0].text);
    assert.match(offGrid, /every 30 minutes/);
    assert.ok(offGrid.includes(norm(fixedOffsetClock('2030-01-07T14:00:00Z', 9).text)), offGrid);
    assert.ok(offGrid.includes(norm(fixedOffsetClock('2030-01-07T14:30:00Z', 9).text)), offGrid);
    assert.match(norm(await page.textContent('#why-summary')), /Monday, January 7, 2030 at 11:20 PM \(Asia\/Tokyo\) with Dr Maya Lee is not offered/);
    const alt = (await api(base, alice, 'GET', '/v1/slots/alternatives?provider=dr-lee&start=2030-01-07T14:20:00Z&duration=30&count=3')).body;
    const shown = await page.$$eval('#why-alternatives .slot', (bs) => bs.map((b) => b.dataset.start));
    assert.deepEqual(shown, [...alt.before.slice().reverse(), ...alt.after]);
    assert.ok(shown.length > 0);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'why-answer');
    await runAxe(page, 'why not');

    // The time Bob took above: busy, shown from-to at Tokyo times.
    const taken = tokyoSlots[2].start;
    const local = fixedOffsetClock(taken, 9);
    await page.fill('#why-date', local.day);
    await page.fill('#why-time', `${String(local.h24).padStart(2, '0')}:${taken.slice(14, 16)}`);
    await page.click('#why-ask');
    await page.waitForSelector('#why-reasons li[data-reason="busy"]');
    assert.ok(norm(await page.textContent('#why-reasons')).includes(norm(local.text)));
    const alts = await page.$$eval('#why-alternatives .slot', (bs) => bs.map((b) => b.dataset.start));
    assert.ok(alts.length > 0 && !alts.includes(taken));

    // A free time: offered, with a button that holds it.
    const free = tokyoSlots[0].start;
    await page.fill('#why-date', fixedOffsetClock(free, 9).day);
    await page.fill('#why-time', `${String(fixedOffsetClock(free, 9).h24).padStart(2, '0')}:${free.slice(14, 16)}`);
    await page.click('#why-ask');
    await page.waitForSelector('#why-answer[data-offered="true"]');
    assert.equal(await page.$$eval('#why-reasons li', (ls) => ls.length), 0);
    assert.deepEqual(await page.$$eval('#why-alternatives .slot', (bs) => bs.map((b) => b.dataset.start)), [free]);
    assert.match(await page.textContent('#why-summary'), /is offered/);

    // Spanish: the same answer translated.
    await page.fill('#why-time', '23:20');
    await page.fill('#why-date', '2030-01-07');
    await page.click('#why-ask');
    await page.waitForSelector('#why-reasons li[data-reason="off_grid"]');
    await page.selectOption('#lang', 'es');
    try {
      assert.match(await page.textContent('#why-reasons'), /cada 30 minutos/);
      assert.match(await page.textContent('#why-summary'), /no se ofrece/);
      await runAxe(page, 'why not in Spanish');
    } finally {
      await page.selectOption('#lang', 'en');
    }
  });

  await check('nothing fits: join the waitlist, with a confirmation the API agrees with', async () => {
    // Sunday 13 January 2030 in Tokyo is Saturday 10:00 to Sunday 10:00 in
    // New York: Dr Lee does not work then.
    await page.fill('#from', '2030-01-13');
    await page.fill('#to', '2030-01-13');
    await page.click('#search');
    await page.waitForSelector('#waitlist:not([hidden])');
    assert.deepEqual(await apiSlots(base, alice, {
      provider: 'dr-lee', from: '2030-01-12T15:00:00Z', to: '2030-01-13T15:00:00Z', duration: 30,
    }), []);
    assert.equal(await page.$$eval('#results .slot', (bs) => bs.length), 0);
    await runAxe(page, 'nothing fits');
    // Keyboard: from "Find times", Tab reaches "Join the waitlist"; Enter.
    await page.focus('#search');
    await tabTo(page, () => document.activeElement?.id === 'wait-join');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#wait-done').textContent !== '');
    const done = norm(await page.textContent('#wait-done'));
    assert.match(done, /waitlist for Dr Maya Lee from Sunday, January 13, 2030 at 12:00 AM \(Asia\/Tokyo\) to Monday, January 14, 2030 at 12:00 AM/);
    assert.equal(await page.isHidden('#wait-join'), true);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'wait-done');
    const list = (await api(base, front, 'GET', '/v1/waitlist?provider=dr-lee')).body;
    assert.deepEqual(list.map((w) => [w.patient, w.from, w.to]), [['pat-alice', '2030-01-12T15:00:00Z', '2030-01-13T15:00:00Z']]);
    await runAxe(page, 'waitlist joined');
    await page.selectOption('#lang', 'es');
    try {
      assert.match(await page.textContent('#wait-done'), /lista de espera de Dr Maya Lee/);
    } finally {
      await page.selectOption('#lang', 'en');
    }
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
    await kb.keyboard.press('Space');
    await kb.waitForSelector('#book-section[data-status=booked]');
    assert.match(await kb.textContent('#book-summary'), /^Booked: /);
    // The booked start is no longer offered by the API.
    const after = await apiSlots(base, alice, {
      provider, from: start, to: new Date(Date.parse(start) + 60_000).toISOString().replace('.000', ''), duration: 30,
    });
    assert.deepEqual(after.map((s) => s.start), []);
    // Still keyboard only: My appointments, then cancel that booking.
    await tabTo(kb, () => document.activeElement?.id === 'nav-mine', 400, undefined, 'Shift+Tab');
    await kb.keyboard.press('Space');
    await kb.waitForSelector(`#mine .appt[data-start="${start}"]`);
    await tabTo(kb, (s) => document.activeElement?.matches(`.appt[data-start="${s}"] .cancel`), 80, start);
    await kb.keyboard.press('Enter');
    await kb.waitForSelector(`.appt[data-start="${start}"] .policy[data-outcome]`);
    assert.equal(await kb.evaluate(() => document.activeElement?.tagName), 'H4');
    await kb.keyboard.press('Tab');
    assert.equal(await kb.evaluate(() => document.activeElement?.name), 'reason');
    await kb.keyboard.type('plans changed');
    await kb.keyboard.press('Tab');
    await kb.keyboard.press('Space');
    await kb.waitForSelector(`[data-group=past] .appt[data-start="${start}"][data-status=cancelled]`);
    assert.equal(await kb.evaluate(() => document.activeElement?.id), 'mine-h');
    await kb.close();
  });


  await check('two browsers race for one time: one holds it, the other sees the conflict and alternatives', async () => {
    const [a, b] = [await newPage(), await newPage()];
    for (const p of [a, b]) {
      await p.goto(base + '/');
      await signIn(p);
    }
    const starts = [];
    for (const p of [a, b]) {
      await p.selectOption('#doctor', 'dr-lee');
      await p.selectOption('#zone', 'Asia/Tokyo');
      await p.fill('#from', '2030-01-10');
      await p.fill('#to', '2030-01-10');
      await p.click('#search');
      await p.waitForSelector('#results .slot');
      starts.push(await p.$eval('#results .slot', (s) => s.dataset.start));
    }
    assert.equal(starts[0], starts[1]);
    const sel = `#results .slot[data-start="${starts[0]}"]`;
    await Promise.all([a.click(sel), b.click(sel)]);
    const outcome = async (p) => {
      await p.waitForFunction(() => !document.querySelector('#confirm').hidden || document.querySelector('#book-error').textContent !== '');
      return (await p.isVisible('#confirm')) ? 'held' : 'refused';
    };
    const results = [await outcome(a), await outcome(b)];
    assert.deepEqual([...results].sort(), ['held', 'refused'], results.join());
    const loser = results[0] === 'refused' ? a : b;
    assert.match(await loser.textContent('#book-error'), /just taken/);
    const alts = await loser.$$eval('#alternatives .slot', (bs) => bs.map((x) => x.dataset.start));
    assert.ok(alts.length > 0, 'alternatives offered');
    assert.ok(!alts.includes(starts[0]));
    await a.context().close();
    await b.context().close();
  });

  let minePage;
  await check('My appointments (setup): Alice books Dr Walker about two hours ahead', async () => {
    for (let after = 120; after < 240 && !aliceLateId; after += 15) {
      const start = await nextStart(base, front, 'dr-e2e', after);
      const r = await api(base, alice, 'POST', '/v1/appointments', { provider: 'dr-e2e', patient: 'pat-alice', start, duration: 15 });
      if (r.status === 201) [aliceLate, aliceLateId] = [start, r.body.id];
      else assert.equal(r.status, 409, JSON.stringify(r.body));
    }
    assert.ok(aliceLateId);
  });

  await check('My appointments: upcoming first in the chosen zone, series grouped, .ics from the server', async () => {
    const p = (minePage = await newPage());
    await p.goto(base + '/');
    await signIn(p);
    await p.selectOption('#zone', 'Asia/Tokyo');
    await p.click('#nav-mine');
    await p.waitForSelector('#mine .appt');
    assert.equal(await p.getAttribute('#nav-mine', 'aria-current'), 'page');
    assert.equal(await p.isHidden('#nav-day'), true, 'patients have no day schedule');
    // What the page should list, from the FHIR API directly.
    const res = await fetch(`${base}/fhir/r4/Appointment/_search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'patient=pat-alice&_count=500',
    });
    const all = ((await res.json()).entry ?? []).map((e) => e.resource).filter((x) => x.resourceType === 'Appointment');
    const now = Date.now();
    const open = all
      .filter((x) => !['cancelled', 'noshow', 'fulfilled'].includes(x.status) && Date.parse(x.end) > now)
      .sort((x, y) => Date.parse(x.start) - Date.parse(y.start));
    const seriesOf = (x) => (x.extension ?? []).find((e) => e.url.endsWith('originatingAppointment'))?.valueReference?.reference?.slice(12);
    const want = [];
    for (const x of open) {
      const key = seriesOf(x) ? `series:${seriesOf(x)}` : x.id;
      if (!want.includes(key)) want.push(key);
    }
    const shown = await p.$$eval('#mine [data-group=upcoming] > li', (ls) =>
      ls.map((l) => (l.dataset.series ? `series:${l.dataset.series}` : l.dataset.id)),
    );
    assert.deepEqual(shown, want);
    assert.ok(shown.indexOf(aliceLateId) < shown.indexOf(aliceFarId));
    assert.equal(shown.at(-1), 'series:e2e-physio');
    assert.equal(await p.$$eval('[data-series=e2e-physio] .appt', (ls) => ls.length), 3);
    assert.match(await p.textContent('[data-series=e2e-physio] h4'), /Recurring series: 3 visits/);
    // Each start at its Tokyo (UTC+9) wall time.
    for (const { id, start, when } of await p.$$eval('#mine .appt', (ls) =>
      ls.map((l) => ({ id: l.dataset.id, start: l.dataset.start, when: l.querySelector('.when').textContent })),
    )) {
      const want = fixedOffsetClock(start, 9);
      assert.ok(norm(when).includes(norm(want.text)), `${id}: ${when} lacks ${want.text}`);
      assert.ok(when.endsWith('(Asia/Tokyo)'), when);
    }
    // The server's iCalendar file, downloaded through the page.
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      p.click(`.appt[data-id="${aliceFarId}"] .ics`),
    ]);
    const ics = readFileSync(await download.path(), 'utf8');
    assert.match(ics, /^BEGIN:VCALENDAR/);
    assert.ok(ics.includes(`UID:${aliceFarId}@hcas`), ics);
    const [seriesDownload] = await Promise.all([
      p.waitForEvent('download'),
      p.click('[data-series=e2e-physio] > button'),
    ]);
    assert.match(readFileSync(await seriesDownload.path(), 'utf8'), /RRULE:FREQ=WEEKLY;COUNT=3/);
    await runAxe(p, 'my appointments');
  });

  await check('cancel from My appointments: the policy outcome is shown before confirming', async () => {
    const p = minePage;
    // Far ahead: within the policy.
    await p.click(`.appt[data-id="${aliceFarId}"] .cancel`);
    await p.waitForSelector(`.appt[data-id="${aliceFarId}"] .policy[data-outcome]`);
    assert.equal(await p.getAttribute(`.appt[data-id="${aliceFarId}"] .policy`, 'data-outcome'), 'free');
    await p.click(`.appt[data-id="${aliceFarId}"] .keep`);
    // Two hours ahead: a late cancellation (the default policy: 24 h).
    const li = `.appt[data-id="${aliceLateId}"]`;
    await p.click(`${li} .cancel`);
    await p.waitForSelector(`${li} .policy[data-outcome]`);
    assert.equal(await p.getAttribute(`${li} .policy`, 'data-outcome'), 'late');
    const minutes = Number((await p.textContent(`${li} .policy`)).match(/(\d+) minutes/)[1]);
    const expected = (Date.parse(aliceLate) - Date.now()) / 60_000;
    assert.ok(Math.abs(minutes - expected) <= 2, `${minutes} vs ${expected}`);
    await runAxe(p, 'cancel panel');
    await p.click(`${li} .confirm-cancel`);
    assert.match(await p.textContent(`${li} .error`), /Write a reason/);
    await p.fill(`${li} input[name=reason]`, 'feeling better');
    await p.click(`${li} .confirm-cancel`);
    await p.waitForFunction(() => /late cancellation/.test(document.querySelector('#status').textContent));
    await p.waitForSelector(`[data-group=past] .appt[data-id="${aliceLateId}"][data-status=cancelled]`);
    const after = await api(base, alice, 'GET', `/v1/appointments/${aliceLateId}`);
    assert.equal(after.body.status, 'cancelled');
    assert.equal(after.body.cancel_reason, 'feeling better');
    await p.setViewportSize(VIEWPORT);
    await p.screenshot({ path: join(shots, 'web-mine.png'), fullPage: true });
  });

  await check('reschedule from My appointments: a conflict offers alternatives, then the new time is shown', async () => {
    const p = minePage;
    // Alice at 09:00 New York on Thursday 10 January 2030; Bob at 11:00.
    const moveId = await book(base, alice, 'dr-lee', 'pat-alice', '2030-01-10T14:00:00Z', 30);
    await book(base, front, 'dr-lee', 'pat-bob', '2030-01-10T16:00:00Z', 30);
    await p.click('#nav-mine');
    const li = `.appt[data-id="${moveId}"]`;
    await p.waitForSelector(`${li} .reschedule`);
    await p.click(`${li} .reschedule`);
    assert.equal(await p.evaluate(() => document.activeElement?.tagName), 'H4');
    // The inputs start at the current Tokyo time: 23:00 on 10 January.
    assert.equal(await p.inputValue(`${li} input[name=new-date]`), '2030-01-10');
    assert.equal(await p.inputValue(`${li} input[name=new-time]`), '23:00');
    await p.click(`${li} .confirm-move`);
    assert.match(await p.textContent(`${li} .error`), /reason/);
    // Bob's time: 01:00 on 11 January in Tokyo.
    await p.fill(`${li} input[name=new-date]`, '2030-01-11');
    await p.fill(`${li} input[name=new-time]`, '01:00');
    await p.fill(`${li} input[name=move-reason]`, 'a meeting');
    await p.click(`${li} .confirm-move`);
    await p.waitForSelector(`${li} .alternatives .slot`);
    assert.match(await p.textContent(`${li} .error`), /not free/);
    const alt = (await api(base, alice, 'GET', '/v1/slots/alternatives?provider=dr-lee&start=2030-01-10T16:00:00Z&duration=30&count=3')).body;
    const shown = await p.$$eval(`${li} .alternatives .slot`, (bs) => bs.map((b) => b.dataset.start));
    assert.deepEqual(shown, [...alt.before.slice().reverse(), ...alt.after]);
    assert.ok(!shown.includes('2030-01-10T16:00:00Z'));
    assert.equal((await api(base, alice, 'GET', `/v1/appointments/${moveId}`)).body.status, 'booked', 'a conflict changes nothing');
    await runAxe(p, 'reschedule conflict');
    const target = alt.after[0];
    // Keyboard: Tab to that alternative, Enter fills the time and moves
    // focus to "Move it", Enter moves the appointment.
    await tabTo(p, (t) => document.activeElement?.dataset?.start === t, 40, target);
    await p.keyboard.press('Enter');
    const local = fixedOffsetClock(target, 9);
    assert.equal(await p.inputValue(`${li} input[name=new-time]`), `${String(local.h24).padStart(2, '0')}:${target.slice(14, 16)}`);
    assert.equal(await p.evaluate(() => document.activeElement?.className), 'confirm-move');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => /^Moved: now/.test(document.querySelector('#status').textContent));
    assert.ok(norm(await p.textContent('#status')).includes(norm(local.text)));
    await p.waitForSelector(`[data-group=past] .appt[data-id="${moveId}"][data-status=cancelled]`);
    const old = (await api(base, alice, 'GET', `/v1/appointments/${moveId}`)).body;
    assert.equal(old.status, 'cancelled');
    assert.ok(old.replaced_by);
    const moved = (await api(base, alice, 'GET', `/v1/appointments/${old.replaced_by}`)).body;
    assert.equal(moved.start, target);
    assert.equal(moved.status, 'booked');
    await p.waitForSelector(`[data-group=upcoming] .appt[data-id="${old.replaced_by}"]`);
  });

  await check('a booking across the US DST change: booked in New York time, listed at the right wall times', async () => {
    const p = minePage;
    // Friday 8 March 2030, 10:00 EST (UTC-5), through the API; Monday 11
    // March, 10:00 EDT (UTC-4, from 10 March), through the page.
    const beforeId = await book(base, alice, 'dr-okafor', 'pat-alice', '2030-03-08T15:00:00Z', 30);
    await p.click('#nav-find');
    await p.selectOption('#zone', 'America/New_York');
    await p.check('#by-doctor');
    await p.selectOption('#doctor', 'dr-okafor');
    await p.fill('#from', '2030-03-11');
    await p.fill('#to', '2030-03-11');
    await p.selectOption('#duration', '30');
    await p.click('#search');
    await p.waitForFunction(() => document.querySelector('#zone-note').textContent.includes('America/New_York') &&
      document.querySelector('#results .slot')?.dataset.start.startsWith('2030-03-11'));
    const slot = '#results .slot[data-start="2030-03-11T14:00:00Z"]';
    assert.equal(norm(await p.textContent(`${slot} .time`)), norm(fixedOffsetClock('2030-03-11T14:00:00Z', -4).text));
    assert.equal(norm(await p.textContent(`${slot} .time`)), '10:00 AM');
    await p.click(slot);
    await p.waitForSelector('#confirm:not([hidden])');
    await p.click('#confirm');
    await p.waitForSelector('#book-section[data-status=booked]');
    assert.match(norm(await p.textContent('#book-summary')), /Booked: Monday, March 11, 2030 at 10:00 AM \(America\/New_York\)/);
    await runAxe(p, 'booked across DST');
    await p.click('#nav-mine');
    await p.waitForSelector(`.appt[data-id="${beforeId}"]`);
    await p.waitForSelector('.appt[data-start="2030-03-11T14:00:00Z"]');
    const when = async (start) => norm(await p.textContent(`.appt[data-start="${start}"] .when`));
    // The same 10:00 wall time on both sides of the change, 71 hours apart.
    assert.equal(await when('2030-03-08T15:00:00Z'), 'Friday, March 8, 2030 at 10:00 AM (America/New_York)');
    assert.equal(await when('2030-03-11T14:00:00Z'), 'Monday, March 11, 2030 at 10:00 AM (America/New_York)');
    // Berlin keeps CET until 31 March: 16:00 and then 15:00.
    await p.click('#nav-find');
    await p.selectOption('#zone', 'Europe/Berlin');
    await p.click('#nav-mine');
    await p.waitForFunction(() => document.querySelector('#mine-zone').textContent.includes('Europe/Berlin'));
    await p.waitForSelector('.appt[data-start="2030-03-11T14:00:00Z"]');
    assert.equal(await when('2030-03-08T15:00:00Z'), `Friday, March 8, 2030 at ${fixedOffsetClock('2030-03-08T15:00:00Z', 1).text.replace('\u202f', ' ')} (Europe/Berlin)`);
    assert.equal(await when('2030-03-11T14:00:00Z'), 'Monday, March 11, 2030 at 3:00 PM (Europe/Berlin)');
  });

  await check('Spanish on My appointments', async () => {
    const p = minePage;
    await p.selectOption('#lang', 'es');
    assert.equal(await p.textContent('#mine-h'), 'Mis citas');
    assert.equal(await p.textContent('#nav-mine'), 'Mis citas');
    assert.equal(await p.textContent('.appt-group h3'), 'Próximas');
    assert.match(await p.textContent('[data-series=e2e-physio] h4'), /^Serie periódica: 3 visitas$/);
    assert.equal(await p.textContent(`.appt[data-id="${aliceFarId}"] .ics`), 'Añadir al calendario');
    assert.equal(await p.textContent(`.appt[data-id="${aliceLateId}"] .badge`), 'Cancelada');
    await runAxe(p, 'my appointments in Spanish');
    await p.context().close();
  });

  await check('staff day schedule: check-in, a refused no-show with its code, a cancellation', async () => {
    const p = await newPage({ timezoneId: 'America/New_York' });
    await signInAs(p, 'frontdesk', 'demo-frontdesk');
    // Staff start on the day schedule; no "My appointments".
    await p.waitForSelector('#day-section:not([hidden])');
    assert.equal(await p.isHidden('#nav-mine'), true);
    await p.selectOption('#day-provider', 'dr-e2e');
    await p.fill('#day-date', bobSoon.slice(0, 10));
    await p.click('#day-show');
    const row = `#day tr[data-id="${bobSoonId}"]`;
    await p.waitForSelector(row);
    assert.match(await p.textContent('#day-zone'), /UTC/);
    // The patient's name when the consent gate lets this caller read the
    // Patient record (the FHIR include), else the patient id.
    const search = await fetch(`${base}/fhir/r4/Appointment/_search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${front}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'practitioner=dr-e2e&_include=Appointment:patient',
    });
    const bob = ((await search.json()).entry ?? []).find((e) => e.resource.resourceType === 'Patient' && e.resource.id === 'pat-bob');
    const bobLabel = bob ? bob.resource.name[0].text ?? `${bob.resource.name[0].given.join(' ')} ${bob.resource.name[0].family}` : 'pat-bob';
    assert.equal(await p.textContent(`${row} td`), bobLabel);
    const clock = fixedOffsetClock(bobSoon, 0).text;
    assert.ok(norm(await p.textContent(`${row} th`)).startsWith(norm(clock)));
    await runAxe(p, 'day schedule');
    await p.click(`${row} .act-check-in`);
    await p.waitForSelector(`${row}[data-status=checked-in]`);
    assert.equal((await api(base, front, 'GET', `/v1/appointments/${bobSoonId}`)).body.status, 'checked-in');
    assert.equal(await p.textContent('#status'), `Check in: ${bobLabel}, ${await p.textContent(`${row} th`)}.`);
    // A no-show before the start (and its grace period) is refused: the
    // stable code is shown.
    await p.click(`${row} .act-no-show`);
    await p.waitForFunction(() => document.querySelector('#day-error').textContent !== '');
    assert.match(await p.textContent('#day-error'), /^Refused \((invalid_transition|not_permitted)\): /);
    // Cancel Bob's later one, with a reason.
    const later = `#day tr[data-id="${bobLaterId}"]`;
    if (!(await p.$(later))) {
      // After midnight UTC it is on the next day.
      await p.fill('#day-date', (await api(base, front, 'GET', `/v1/appointments/${bobLaterId}`)).body.start.slice(0, 10));
      await p.click('#day-show');
      await p.waitForSelector(later);
    }
    await p.click(`${later} .act-cancel`);
    await p.fill(`${later} input`, 'clinic closed early');
    await p.click(`${later} .confirm-cancel`);
    await p.waitForSelector(`${later}[data-status=cancelled]`);
    const cancelled = (await api(base, front, 'GET', `/v1/appointments/${bobLaterId}`)).body;
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.cancel_reason, 'clinic closed early');
    await p.fill('#day-date', bobSoon.slice(0, 10));
    await p.click('#day-show');
    await p.waitForSelector(row);
    // Another provider chosen without "Show": the list reloads for them
    // (Bob's row, dr-e2e's, is gone; their own appointments that day are
    // listed, the API's answer), never dr-e2e's list under Dr Lee's name.
    const day = bobSoon.slice(0, 10);
    await p.selectOption('#day-provider', 'dr-lee');
    await p.waitForFunction((d) => document.querySelector('#day').dataset.shown === `dr-lee ${d} 1`, day);
    assert.equal(await p.$(row), null);
    const leeDay = await fetch(`${base}/fhir/r4/Appointment/_search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${front}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `practitioner=dr-lee&date=ge${day}T00:00:00Z&date=lt${new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)}T00:00:00Z`,
    });
    const leeIds = ((await leeDay.json()).entry ?? []).map((e) => e.resource.id).sort();
    assert.deepEqual((await p.$$eval('#day tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id))).sort(), leeIds);
    // Back to dr-e2e, again without "Show": Bob's row returns.
    await p.selectOption('#day-provider', 'dr-e2e');
    await p.waitForSelector(row);
    assert.equal(await p.evaluate(() => document.querySelector('#day').dataset.shown), `dr-e2e ${day} 1`);
    await p.screenshot({ path: join(shots, 'web-day.png'), fullPage: true });
    await p.selectOption('#lang', 'es');
    assert.equal(await p.textContent('#day-h'), 'Agenda del día');
    assert.equal(await p.textContent('#day thead th'), 'Hora');
    assert.equal(await p.textContent(`${row} .act-complete`), 'Completar');
    await runAxe(p, 'day schedule in Spanish');
    await p.context().close();
  });

  await check("a doctor's day schedule starts on their own calendar", async () => {
    const p = await newPage();
    await signInAs(p, 'dr.lee', 'demo-dr.lee');
    await p.waitForSelector('#day-section:not([hidden])');
    assert.equal(await p.inputValue('#day-provider'), 'dr-lee');
    await p.fill('#day-date', '2030-01-09');
    await p.click('#day-show');
    await p.waitForSelector(`#day tr[data-id="${aliceFarId}"]`);
    assert.equal(await p.textContent(`#day tr[data-id="${aliceFarId}"] td`), 'Alice Moreno');
    // 14:00Z is 09:00 in New York (EST).
    assert.ok(norm(await p.textContent(`#day tr[data-id="${aliceFarId}"] th`)).startsWith('9:00 AM'));
    // Another date without "Show": that day is loaded, Alice's row leaves.
    await p.fill('#day-date', '2030-01-10');
    await p.waitForFunction(() => document.querySelector('#day').dataset.shown === 'dr-lee 2030-01-10 1');
    assert.equal(await p.$(`#day tr[data-id="${aliceFarId}"]`), null);
    await p.context().close();
  });

  await check("a doctor's week: seven New York days, the API's appointments under their local day, the same actions", async () => {
    const p = await newPage();
    await signInAs(p, 'dr.lee', 'demo-dr.lee');
    await p.waitForSelector('#day-section:not([hidden])');
    await p.fill('#day-date', '2030-01-07');
    await p.selectOption('#day-span', '7');
    await p.click('#day-show');
    await p.waitForSelector('#day .week-day');
    // Seven parts, one per New York day from Monday 7 January 2030.
    assert.deepEqual(
      await p.$$eval('#day .week-day', (ps) => ps.map((x) => x.dataset.day)),
      ['2030-01-07', '2030-01-08', '2030-01-09', '2030-01-10', '2030-01-11', '2030-01-12', '2030-01-13'],
    );
    assert.equal(await p.textContent('#day .week-day[data-day="2030-01-09"] h3'), 'Wednesday, January 9, 2030');
    assert.match(await p.textContent('#day-zone'), /^Seven days from Monday, January 7, 2030; .*America\/New_York/);
    // The API's own answer for that week (New York is UTC-5 in January):
    // every appointment under the day its start falls on at UTC-5.
    const lee = await apiLogin(base, 'dr.lee', 'demo-dr.lee');
    const res = await fetch(`${base}/fhir/r4/Appointment/_search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${lee}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'practitioner=dr-lee&date=ge2030-01-07T05:00:00Z&date=lt2030-01-14T05:00:00Z',
    });
    assert.equal(res.status, 200);
    const want = ((await res.json()).entry ?? [])
      .map((e) => e.resource)
      .filter((a) => a.resourceType === 'Appointment')
      .map((a) => ({ id: a.id, day: new Date(Date.parse(a.start) - 5 * 3600e3).toISOString().slice(0, 10), status: a.status }))
      .sort((a, b) => a.id.localeCompare(b.id));
    assert.ok(want.some((a) => a.id === aliceFarId), 'the API lists Alice 9 January');
    const shown = (await p.$$eval('#day .week-day tr[data-id]', (rs) =>
      rs.map((r) => ({ id: r.dataset.id, day: r.closest('.week-day').dataset.day, status: r.dataset.status })),
    )).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(shown, want);
    assert.ok(norm(await p.textContent(`#day tr[data-id="${aliceFarId}"] th`)).startsWith('9:00 AM'));
    // An empty day says so.
    assert.ok(!want.some((a) => a.day === '2030-01-13'));
    assert.equal(await p.textContent('#day .week-day[data-day="2030-01-13"] p'), 'No appointments on this day.');
    // The same actions as the day view: check-in reachable by keyboard; the
    // server refuses it to a doctor, and the page shows that code.
    const row = `#day tr[data-id="${aliceFarId}"]`;
    assert.equal(await p.getAttribute(`${row} .act-check-in`, 'aria-label'), `Check in: Alice Moreno, Wednesday, January 9, 2030, ${await p.textContent(`${row} th`)}`);
    assert.equal(await p.$$eval(`${row} button`, (bs) => bs.map((b) => b.className.split(' ').pop()).join(',')), 'act-check-in,act-no-show,act-cancel');
    await p.focus(`${row} .act-check-in`);
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.querySelector('#day-error').textContent !== '');
    assert.match(await p.textContent('#day-error'), /^Refused \(not_permitted\): .*only patient, staff, system may/);
    assert.equal((await api(base, lee, 'GET', `/v1/appointments/${aliceFarId}`)).body.status, 'booked');
    await runAxe(p, 'week view');
    await p.selectOption('#lang', 'es');
    assert.equal(await p.textContent('#day .week-day[data-day="2030-01-09"] h3'), 'miércoles, 9 de enero de 2030');
    assert.match(await p.textContent('#day-zone'), /^Siete días desde el lunes, 7 de enero de 2030/);
    await runAxe(p, 'week view in Spanish');
    await p.context().close();
  });

  await check('a room\'s day and week: both providers sharing room-2, not room-1\'s, the same actions; axe clean', async () => {
    // The demo's Dr Okafor and Dr Santos share room-2 (Dr Lee is in room-1).
    // Tuesday 12 February 2030, New York (UTC-5): 10:00 and 11:00.
    const okaforId = await book(base, front, 'dr-okafor', 'pat-alice', '2030-02-12T15:00:00Z', 30);
    const santosId = await book(base, front, 'dr-santos', 'pat-bob', '2030-02-12T16:00:00Z', 30);
    const leeId = await book(base, front, 'dr-lee', 'pat-bob', '2030-02-12T14:00:00Z', 30);
    // The room is one resource: Dr Santos cannot have it while Dr Okafor does.
    const clash = await api(base, front, 'POST', '/v1/appointments', {
      provider: 'dr-santos', patient: 'pat-bob', start: '2030-02-12T15:00:00Z', duration: 30,
    });
    assert.equal(clash.status, 409);
    assert.deepEqual(clash.body.conflicts, [{ resource: 'room:room-2', with: [okaforId] }]);
    const p = await newPage();
    await signInAs(p, 'frontdesk', 'demo-frontdesk');
    await p.waitForSelector('#day-section:not([hidden])');
    assert.equal(await p.isHidden('#day-room-field'), true);
    await p.selectOption('#day-kind', 'room');
    assert.equal(await p.isHidden('#day-provider-field'), true);
    assert.equal(await p.isHidden('#sched'), true, 'a room has no working hours to edit');
    assert.deepEqual(await p.$$eval('#day-room option', (os) => os.map((o) => o.value)), ['room-1', 'room-2']);
    await p.selectOption('#day-room', 'room-2');
    await p.fill('#day-date', '2030-02-12');
    await p.waitForFunction(() => document.querySelector('#day').dataset.shown === 'room:room-2 2030-02-12 1');
    const rows = await p.$$eval('#day tr[data-id]', (trs) =>
      trs.map((tr) => ({ id: tr.dataset.id, time: tr.querySelector('th').textContent, provider: tr.querySelector('td.provider').textContent })),
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r, time: norm(r.time) })),
      [
        { id: okaforId, time: '10:00 AM–10:30 AM', provider: 'Dr Chidi Okafor' },
        { id: santosId, time: '11:00 AM–11:30 AM', provider: 'Dr Rita Santos' },
      ],
    );
    assert.ok(!rows.some((r) => r.id === leeId));
    assert.deepEqual(await p.$$eval('#day thead th', (ths) => ths.map((th) => th.textContent)), ['Time', 'Patient', 'Provider', 'Status', 'Actions']);
    assert.match(await p.textContent('#day-zone'), /this room; times are in America\/New_York/);
    await runAxe(p, 'room day');
    // The same actions: cancel Dr Santos' booking from the room's list.
    const row = `#day tr[data-id="${santosId}"]`;
    await p.click(`${row} .act-cancel`);
    await p.fill(`${row} input`, 'room closed');
    await p.click(`${row} .confirm-cancel`);
    await p.waitForSelector(`${row}[data-status=cancelled]`);
    assert.equal((await api(base, front, 'GET', `/v1/appointments/${santosId}`)).body.status, 'cancelled');
    // The week from Monday 11 February: both under Tuesday 12, other days empty.
    await p.fill('#day-date', '2030-02-11');
    await p.selectOption('#day-span', '7');
    await p.waitForFunction(() => document.querySelector('#day').dataset.shown === 'room:room-2 2030-02-11 7');
    assert.deepEqual(
      (await p.$$eval('#day .week-day[data-day="2030-02-12"] tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id))),
      [okaforId, santosId],
    );
    assert.equal(await p.$$eval('#day .week-day tr[data-id]', (trs) => trs.length), 2);
    assert.match(await p.textContent('#day-zone'), /^Seven days from Monday, February 11, 2030: /);
    await runAxe(p, 'room week');
    await p.screenshot({ path: join(shots, 'web-room.png'), fullPage: true });
    await p.selectOption('#lang', 'es');
    assert.equal(await p.textContent('label[for=day-room]'), 'Sala');
    assert.deepEqual(await p.$$eval('#day .week-day[data-day="2030-02-12"] thead th', (ths) => ths.map((th) => th.textContent)), ['Hora', 'Paciente', 'Profesional', 'Estado', 'Acciones']);
    await runAxe(p, 'room week in Spanish');
    // Back to a provider: their list and their schedule editor return.
    await p.selectOption('#day-kind', 'provider');
    assert.equal(await p.isHidden('#sched'), false);
    assert.equal(await p.isHidden('#day-room-field'), true);
    await p.context().close();
  });

  await check("a patient's consents and access log: refused with who may for a doctor, shown to the front desk", async () => {
    const r = await api(base, front, 'POST', '/v1/patients/pat-bob/consents', {
      id: 'e2e-bob-1', status: 'active', date: '2026-01-01T00:00:00Z', decision: 'deny',
      provisions: [{ categories: ['appointments'] }],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    // Dr Lee may neither (consents: the patient, a guardian, administrators;
    // the log: administrators).
    const d = await newPage();
    await signInAs(d, 'dr.lee', 'demo-dr.lee');
    await d.waitForSelector('#day-section:not([hidden])');
    await d.click('#nav-access');
    assert.equal(await d.evaluate(() => document.activeElement?.id), 'access-patient');
    await d.click('#access-show');
    assert.match(await d.textContent('#access-error'), /Enter a patient id/);
    await d.fill('#access-patient', 'pat-bob');
    await d.click('#access-show');
    await d.waitForSelector('#access-result:not([hidden])');
    assert.match(await d.textContent('#consents-error'), /may not see this patient's consents \(forbidden\): only the patient, a guardian or an administrator/);
    assert.match(await d.textContent('#audit-error'), /may not see the access log \(forbidden\): only administrators/);
    assert.equal(await d.$$eval('#consents li, #audit tr', (x) => x.length), 0);
    await runAxe(d, 'access refused');
    await d.context().close();

    const p = await newPage();
    await signInAs(p, 'frontdesk', 'demo-frontdesk');
    await p.waitForSelector('#day-section:not([hidden])');
    await p.click('#nav-access');
    await p.fill('#access-patient', 'pat-bob');
    await p.click('#access-show');
    await p.waitForSelector('#consents li[data-id="e2e-bob-1"]');
    const consent = await p.textContent('#consents li[data-id="e2e-bob-1"]');
    assert.match(consent, /Active/);
    assert.match(consent, /Denies/);
    assert.match(consent, /Except: Permits/);
    // The log as the FHIR API answers it (read after the page: the page's own
    // searches are audited too, so the page shows a prefix of it).
    const res = await fetch(`${base}/fhir/r4/AuditEvent/_search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${front}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'patient=Patient/pat-bob&_count=200',
    });
    assert.equal(res.status, 200);
    const events = ((await res.json()).entry ?? []).map((e) => e.resource);
    const rows = await p.$$eval('#audit tbody tr', (trs) => trs.map((tr) => ({ id: tr.dataset.id, outcome: tr.dataset.outcome, cells: [...tr.cells].map((c) => c.textContent) })));
    assert.ok(rows.length > 0);
    assert.deepEqual(rows.map((x) => x.id), events.slice(0, rows.length).map((e) => e.id));
    // Dr Lee's refused consent search is in it, shown as denied.
    const denied = rows.filter((x) => x.outcome === '4' && /dr[.-]lee/.test(x.cells[1]));
    assert.ok(denied.length > 0, JSON.stringify(rows.filter((x) => x.outcome === '4')));
    assert.ok(denied.every((x) => x.cells[3] === 'Denied'));
    await runAxe(p, 'consents and access log');
    await p.setViewportSize(VIEWPORT);
    await p.screenshot({ path: join(shots, 'web-access.png'), fullPage: true });
    await p.selectOption('#lang', 'es');
    assert.equal(await p.textContent('#consents-h'), 'Consentimientos');
    assert.match(await p.textContent('#consents li[data-id="e2e-bob-1"]'), /Deniega/);
    await runAxe(p, 'consents and access log in Spanish');
    await p.context().close();
  });

  await check("working hours and time off: a block over Bob's booking explained first, saved, removed; hours edited; a doctor refused", async () => {
    const p = await newPage({ timezoneId: 'America/New_York' });
    await signInAs(p, 'frontdesk', 'demo-frontdesk');
    await p.waitForSelector('#day-section:not([hidden])');
    await p.selectOption('#day-provider', 'dr-e2e');
    await p.click('#sched-load');
    await p.waitForSelector('#sched-body:not([hidden])');
    assert.match(await p.textContent('#sched-zone'), /zone, UTC\./);
    // Dr Walker works around the clock (FREQ=DAILY 00:00-24:00): one row,
    // every day ticked.
    assert.equal(await p.$$eval('#sched-hours fieldset.hours', (f) => f.length), 1);
    assert.equal(await p.$$eval('#sched-hours input[type=checkbox]:checked', (c) => c.length), 7);
    assert.equal(await p.textContent('#sched-off li'), 'No time off.');
    await runAxe(p, 'schedule editor');
    // A block over Bob's first booking (checked in earlier): the page lists
    // it before anything is saved; his cancelled one is not listed.
    const end = new Date(Date.parse(bobSoon) + 15 * 60_000).toISOString().replace('.000', '');
    await p.fill('#off-from-date', bobSoon.slice(0, 10));
    await p.fill('#off-from-time', bobSoon.slice(11, 16));
    await p.fill('#off-to-date', end.slice(0, 10));
    await p.fill('#off-to-time', end.slice(11, 16));
    await p.fill('#off-reason', 'training');
    await p.click('#off-add');
    await p.waitForSelector('#off-conflict:not([hidden])');
    assert.deepEqual(await p.$$eval('#off-conflict li', (ls) => ls.map((l) => l.dataset.id)), [bobSoonId]);
    assert.match(await p.textContent('#off-conflict p'), /^This overlaps 1 booking\(s\), which stay booked/);
    assert.equal(await p.evaluate(() => document.activeElement.className), 'danger off-anyway');
    assert.deepEqual((await api(base, front, 'GET', '/v1/providers/dr-e2e/schedule')).body.time_off, [], 'nothing saved yet');
    await runAxe(p, 'block conflict');
    await p.screenshot({ path: join(shots, 'web-schedule.png'), fullPage: true });
    await p.keyboard.press('Enter');
    await p.waitForSelector('#sched-off li[data-start]');
    const saved = (await api(base, front, 'GET', '/v1/providers/dr-e2e/schedule')).body;
    assert.deepEqual(saved.time_off, [{ start: bobSoon, end, reason: 'training' }]);
    assert.match(await p.textContent('#status'), /^Blocked: /);
    assert.equal((await api(base, front, 'GET', `/v1/appointments/${bobSoonId}`)).body.status, 'checked-in', 'the booking stays');
    // Removing it: the API's schedule has no time off again.
    await p.click('#sched-off .off-remove');
    await p.waitForSelector('#sched-off li:not([data-start])');
    assert.deepEqual((await api(base, front, 'GET', '/v1/providers/dr-e2e/schedule')).body.time_off, []);
    // A block with its end before its start is refused at the edge.
    await p.fill('#off-to-date', '2020-01-01');
    await p.click('#off-add');
    assert.equal(await p.textContent('#sched-error'), 'Choose a start and an end, the end after the start.');
    // Working hours: no days is refused with what to fix; then Monday to
    // Saturday 08:00-20:00.
    for (const d of ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']) await p.uncheck(`#h0-${d}`);
    await p.click('#hours-save');
    assert.equal(await p.textContent('#sched-error'), 'Hours 1: choose at least one day, and a start and an end time.');
    for (const d of ['MO', 'TU', 'WE', 'TH', 'FR', 'SA']) await p.check(`#h0-${d}`);
    await p.fill('#h0-h-start', '08:00');
    await p.fill('#h0-h-end', '20:00');
    await p.click('#hours-save');
    await p.waitForFunction(() => document.querySelector('#status').textContent === 'Working hours saved.');
    assert.deepEqual((await api(base, front, 'GET', '/v1/providers/dr-e2e/schedule')).body.rules, [
      { rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA', dtstart: '2026-01-01', start: '08:00', end: '20:00' },
    ]);
    // Slot search follows: nothing on Sunday 13 January 2030, Monday from 08:00 UTC.
    assert.deepEqual(await apiSlots(base, front, { provider: 'dr-e2e', from: '2030-01-13T00:00:00Z', to: '2030-01-14T00:00:00Z', duration: 15 }), []);
    const monday = await apiSlots(base, front, { provider: 'dr-e2e', from: '2030-01-14T00:00:00Z', to: '2030-01-15T00:00:00Z', duration: 15 });
    assert.equal(monday[0].start, '2030-01-14T08:00:00Z');
    assert.equal(monday.at(-1).end, '2030-01-14T20:00:00Z');
    // Changed elsewhere meanwhile (the API, with the version): saving the
    // page's older copy is refused with the API's code, nothing overwritten.
    const now = (await api(base, front, 'GET', '/v1/providers/dr-e2e/schedule')).body;
    const other = await api(base, front, 'PUT', '/v1/providers/dr-e2e/schedule',
      { timezone: 'UTC', rules: now.rules, overrides: [], time_off: [{ start: '2031-01-01T00:00:00Z', end: '2031-01-02T00:00:00Z' }] },
      { 'If-Match': `"${now.version}"` });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    await p.fill('#h0-h-end', '19:00');
    await p.click('#hours-save');
    await p.waitForFunction(() => document.querySelector('#sched-error').textContent !== '');
    assert.match(await p.textContent('#sched-error'), /^Refused \(version_mismatch\): /);
    const kept = (await api(base, front, 'GET', '/v1/providers/dr-e2e/schedule')).body;
    assert.equal(kept.rules[0].end, '20:00');
    assert.equal(kept.time_off.length, 1);
    await p.click('#sched-load');
    await p.waitForSelector('#sched-off li[data-start="2031-01-01T00:00:00Z"]');
    // Spanish.
    await p.selectOption('#lang', 'es');
    assert.equal(await p.textContent('#sched-h'), 'Horario de trabajo y ausencias');
    assert.equal(await p.textContent('label[for="h0-MO"]'), 'lunes');
    await runAxe(p, 'schedule editor in Spanish');
    await p.context().close();
    // A doctor may read but not save: the API's refusal with its code.
    const d = await newPage();
    await signInAs(d, 'dr.lee', 'demo-dr.lee');
    await d.waitForSelector('#day-section:not([hidden])');
    await d.click('#sched-load');
    await d.waitForSelector('#sched-body:not([hidden])');
    await d.click('#hours-save');
    await d.waitForFunction(() => document.querySelector('#sched-error').textContent !== '');
    assert.match(await d.textContent('#sched-error'), /^Refused \(forbidden\): /);
    await d.context().close();
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
