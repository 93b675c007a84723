// The pages: patient "Find a time" and "Book" here, "My appointments"
// (mine.ts) and the staff day schedule (day.ts); public hcas API only.
import * as access from './access';
import * as api from './api';
import * as day from './day';
import { type Key, type Lang, LANGS, locale, preferredLang, setLang, t } from './i18n';
import * as mine from './mine';
import * as register from './register';
import * as sched from './schedule';
import {
  $,
  dayFormat,
  errorText,
  names,
  providerNames,
  providerZones,
  resay,
  say,
  timeFormat,
  whenText,
} from './shared';
import { addDays, daysBetween, instantOf, localDay, offsetName, rfc3339, startOfDay, zones } from './time';

const MAX_DAYS = 31;
const STAFF = ['admin', 'doctor', 'nurse'];
type View = 'find' | 'mine' | 'day' | 'access';

const ui = {
  lang: $<HTMLSelectElement>('lang'),
  signout: $<HTMLButtonElement>('signout'),
  status: $<HTMLParagraphElement>('status'),
  nav: $<HTMLElement>('nav'),
  navFind: $<HTMLButtonElement>('nav-find'),
  navMine: $<HTMLButtonElement>('nav-mine'),
  navDay: $<HTMLButtonElement>('nav-day'),
  navAccess: $<HTMLButtonElement>('nav-access'),
  accessSection: $<HTMLElement>('access-section'),
  findView: $<HTMLElement>('find-view'),
  mineSection: $<HTMLElement>('mine-section'),
  daySection: $<HTMLElement>('day-section'),
  signinSection: $<HTMLElement>('signin-section'),
  signin: $<HTMLFormElement>('signin'),
  org: $<HTMLInputElement>('org'),
  username: $<HTMLInputElement>('username'),
  password: $<HTMLInputElement>('password'),
  signinError: $<HTMLParagraphElement>('signin-error'),
  findSection: $<HTMLElement>('find-section'),
  find: $<HTMLFormElement>('find'),
  byDoctor: $<HTMLInputElement>('by-doctor'),
  bySpecialty: $<HTMLInputElement>('by-specialty'),
  doctorField: $<HTMLElement>('doctor-field'),
  specialtyField: $<HTMLElement>('specialty-field'),
  doctor: $<HTMLSelectElement>('doctor'),
  specialty: $<HTMLSelectElement>('specialty'),
  from: $<HTMLInputElement>('from'),
  to: $<HTMLInputElement>('to'),
  duration: $<HTMLSelectElement>('duration'),
  zone: $<HTMLSelectElement>('zone'),
  findError: $<HTMLParagraphElement>('find-error'),
  resultsSection: $<HTMLElement>('results-section'),
  resultsHeading: $<HTMLElement>('results-h'),
  zoneNote: $<HTMLParagraphElement>('zone-note'),
  results: $<HTMLDivElement>('results'),
  bookSection: $<HTMLElement>('book-section'),
  bookHeading: $<HTMLElement>('book-h'),
  bookSummary: $<HTMLParagraphElement>('book-summary'),
  countdown: $<HTMLParagraphElement>('countdown'),
  bookError: $<HTMLParagraphElement>('book-error'),
  alternatives: $<HTMLDivElement>('alternatives'),
  confirm: $<HTMLButtonElement>('confirm'),
  waitlist: $<HTMLDivElement>('waitlist'),
  waitJoin: $<HTMLButtonElement>('wait-join'),
  waitDone: $<HTMLParagraphElement>('wait-done'),
  waitError: $<HTMLParagraphElement>('wait-error'),
  why: $<HTMLFormElement>('why'),
  whyDate: $<HTMLInputElement>('why-date'),
  whyTime: $<HTMLInputElement>('why-time'),
  whyAnswer: $<HTMLDivElement>('why-answer'),
  whyError: $<HTMLParagraphElement>('why-error'),
  whySummary: $<HTMLParagraphElement>('why-summary'),
  whyReasons: $<HTMLUListElement>('why-reasons'),
  whyAlternatives: $<HTMLDivElement>('why-alternatives'),
};

interface State {
  me: api.WhoAmI | null;
  /** The last search and its answer, re-rendered on a language change. */
  search: {
    zone: string;
    duration: number;
    provider?: string;
    from: string;
    to: string;
    slots: api.Slot[];
  } | null;
  /** The waitlist entry joined for the current search, if any. */
  waiting: api.WaitEntry | null;
  /** The last "why not" answer, re-rendered on a language change. */
  why: {
    zone: string;
    provider: string;
    duration: number;
    explanation: api.Explanation;
    alternatives: string[] | null;
  } | null;
  held: { appointment: api.Appointment; etag: string; timer: number | null } | null;
  booked: api.Appointment | null;
}

const state: State = { me: null, search: null, waiting: null, why: null, held: null, booked: null };

// ------------------------------------------------------------ formatting

function specialtyLabel(s: string): string {
  const words = s.replace(/[-_]+/g, ' ');
  return words.charAt(0).toLocaleUpperCase(locale()) + words.slice(1);
}

// ------------------------------------------------------------ sign in

ui.signin.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  ui.signinError.textContent = '';
  const org = ui.org.value.trim();
  const username = ui.username.value.trim();
  const password = ui.password.value;
  for (const [input, ok] of [
    [ui.org, org !== ''],
    [ui.username, username !== ''],
    [ui.password, password !== ''],
  ] as const) {
    input.setAttribute('aria-invalid', String(!ok));
  }
  if (!org || !username || !password) {
    ui.signinError.textContent = t('fillSignIn');
    return;
  }
  try {
    const me = await api.login(org, username, password);
    ui.password.value = '';
    await enter(me, username, 'signedIn');
  } catch (e) {
    api.signOut();
    ui.signinError.textContent = errorText(e);
  }
});

/** Signed in (by a login or a registration): the pages for `me`'s roles. */
async function enter(me: api.WhoAmI, username: string, greeting: Key): Promise<void> {
  state.me = me;
  const list = await api.providers();
  fillProviders(list);
  day.fillProviders(list, state.me);
  ui.signinSection.hidden = true;
  ui.findSection.hidden = false;
  ui.signout.hidden = false;
  const staff = state.me.roles.some((r) => STAFF.includes(r));
  ui.nav.hidden = false;
  ui.navMine.parentElement!.hidden = !isPatient();
  ui.navDay.parentElement!.hidden = !staff;
  ui.navAccess.parentElement!.hidden = !staff;
  say(greeting, () => ({ name: username }));
  if (staff && !isPatient()) {
    show('day');
    $('day-h').focus();
    void day.load();
  } else {
    show('find');
    ui.doctor.focus();
  }
}

register.init((me, username) => enter(me, username, 'registered'));

ui.signout.addEventListener('click', () => {
  api.signOut();
  stopHold();
  state.me = null;
  state.search = null;
  state.why = null;
  state.waiting = null;
  clearWhy();
  state.booked = null;
  ui.findSection.hidden = true;
  ui.resultsSection.hidden = true;
  ui.bookSection.hidden = true;
  ui.signout.hidden = true;
  ui.nav.hidden = true;
  show('find');
  mine.reset();
  day.reset();
  sched.reset();
  access.reset();
  register.reset();
  ui.signinSection.hidden = false;
  say('signedOut');
  ui.username.focus();
});

function fillProviders(list: api.Provider[]): void {
  providerNames.clear();
  providerZones.clear();
  for (const p of list) {
    providerNames.set(p.id, p.name);
    providerZones.set(p.id, p.timezone ?? 'UTC');
  }
  ui.doctor.replaceChildren(
    ...list
      .filter((p) => p.active)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => new Option(p.name, p.id)),
  );
  const specialties = [...new Set(list.filter((p) => p.active).flatMap((p) => p.specialties))].sort();
  ui.specialty.replaceChildren(...specialties.map((s) => new Option(specialtyLabel(s), s)));
}

// ------------------------------------------------------------ search

function syncBy(): void {
  const byDoctor = ui.byDoctor.checked;
  ui.doctorField.hidden = !byDoctor;
  ui.specialtyField.hidden = byDoctor;
}
ui.byDoctor.addEventListener('change', syncBy);
ui.bySpecialty.addEventListener('change', syncBy);

ui.find.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void search();
});

ui.zone.addEventListener('change', () => {
  if (state.search) void search();
});

/** Only the latest search may render (a zone change searches too, and
 * answers can arrive out of order). */
let searchSeq = 0;

async function search(): Promise<void> {
  const seq = ++searchSeq;
  ui.findError.textContent = '';
  const zone = ui.zone.value;
  const from = ui.from.value;
  const to = ui.to.value;
  ui.from.setAttribute('aria-invalid', String(!from));
  ui.to.setAttribute('aria-invalid', String(!to));
  if (!from || !to) {
    ui.findError.textContent = t('badDates');
    return;
  }
  const days = daysBetween(from, to);
  if (days < 0 || days >= MAX_DAYS) {
    ui.to.setAttribute('aria-invalid', 'true');
    ui.findError.textContent = t('badRange');
    return;
  }
  const duration = Number(ui.duration.value);
  const query: api.SlotSearch = {
    from: rfc3339(startOfDay(zone, from)),
    to: rfc3339(startOfDay(zone, addDays(to, 1))),
    duration,
  };
  if (ui.byDoctor.checked) query.provider = ui.doctor.value;
  else query.specialty = ui.specialty.value;
  say('loading');
  ui.resultsSection.setAttribute('aria-busy', 'true');
  try {
    const slots = await api.slots(query);
    if (seq !== searchSeq) return;
    // The speed figure (answer arrived -> list painted), read by
    // the e2e from the Performance timeline; no effect on the page.
    const answered = performance.now();
    state.search = { zone, duration, provider: query.provider, from: query.from, to: query.to, slots };
    state.waiting = null;
    if (!ui.whyDate.value) ui.whyDate.value = from;
    renderResults();
    requestAnimationFrame(() =>
      setTimeout(() => {
        performance.measure('hcas:slots-shown', { start: answered, end: performance.now(), detail: { slots: slots.length } });
      }),
    );
    say(slots.length ? 'found' : 'none', () => ({ count: state.search?.slots.length ?? 0 }));
  } catch (e) {
    ui.findError.textContent = errorText(e);
    ui.status.textContent = '';
  } finally {
    ui.resultsSection.removeAttribute('aria-busy');
  }
}

function slotButton(
  zone: string,
  start: string,
  providers: string[],
  duration: number,
  withDate = false,
): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'slot';
  b.dataset.start = start;
  b.dataset.provider = providers[0] ?? '';
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = withDate ? shortWhen(zone, start) : timeFormat(zone).format(Date.parse(start));
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = names(providers);
  // The accessible name starts with the visible text (WCAG 2.5.3), then
  // the full date and zone for screen readers.
  const when = document.createElement('span');
  when.className = 'sr-only';
  when.textContent = `, ${whenText(zone, start)}`;
  b.append(time, ' ', who, when);
  b.addEventListener('click', () => void holdSlot(zone, start, providers, duration));
  return b;
}

function renderResults(): void {
  const s = state.search;
  if (!s) return;
  ui.resultsSection.hidden = false;
  ui.zoneNote.textContent = t('zoneNote', { zone: s.zone, offset: offsetName(s.zone, locale(), Date.now()) });
  const days = new Map<string, api.Slot[]>();
  for (const slot of s.slots) {
    const key = localDay(s.zone, Date.parse(slot.start));
    const list = days.get(key) ?? [];
    list.push(slot);
    days.set(key, list);
  }
  const groups: HTMLElement[] = [];
  for (const [day, slots] of days) {
    const section = document.createElement('section');
    section.className = 'day';
    section.dataset.day = day;
    const h = document.createElement('h3');
    h.textContent = dayFormat(s.zone).format(Date.parse(slots[0].start));
    const ul = document.createElement('ul');
    ul.className = 'slots';
    for (const slot of slots) {
      const li = document.createElement('li');
      li.append(slotButton(s.zone, slot.start, slot.providers, s.duration));
      ul.append(li);
    }
    section.append(h, ul);
    groups.push(section);
  }
  ui.results.replaceChildren(...groups);
  renderWaitlist();
}

// ------------------------------------------------------------ waitlist

/** Nothing fits a search by doctor: the patient may wait for that doctor
 * in the searched window (the first freed time that fits is held for them). */
function renderWaitlist(): void {
  const s = state.search;
  const show = !!s && s.slots.length === 0 && !!s.provider && isPatient();
  ui.waitlist.hidden = !show;
  ui.waitError.textContent = '';
  ui.waitJoin.hidden = !!state.waiting;
  const w = state.waiting;
  ui.waitDone.textContent =
    w && s
      ? t('waitDone', {
          who: names([w.provider]),
          from: whenText(s.zone, w.from),
          to: whenText(s.zone, w.to),
        })
      : '';
}

ui.waitJoin.addEventListener('click', async () => {
  const s = state.search;
  const me = state.me;
  if (!s?.provider || !me) return;
  ui.waitError.textContent = '';
  try {
    state.waiting = await api.joinWaitlist(s.provider, me.subject, s.from, s.to, s.duration);
    renderWaitlist();
    ui.waitDone.focus();
  } catch (e) {
    ui.waitError.textContent = errorText(e);
  }
});

// ------------------------------------------------------------ why not

function clearWhy(): void {
  ui.whyError.textContent = '';
  ui.whySummary.textContent = '';
  ui.whyReasons.replaceChildren();
  ui.whyAlternatives.replaceChildren();
}

ui.why.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void askWhy();
});

async function askWhy(): Promise<void> {
  clearWhy();
  state.why = null;
  const s = state.search;
  const date = ui.whyDate.value;
  const time = ui.whyTime.value;
  ui.whyDate.setAttribute('aria-invalid', String(!date));
  ui.whyTime.setAttribute('aria-invalid', String(!time));
  if (!date || !time) {
    ui.whyError.textContent = t('whyFill');
    return;
  }
  if (!s?.provider) {
    ui.whyError.textContent = t('whyDoctor');
    return;
  }
  const { zone, duration, provider } = s;
  const start = rfc3339(instantOf(zone, date, time));
  try {
    const explanation = await api.explain(provider, start, duration);
    let alternatives: string[] | null = null;
    if (!explanation.offered) {
      const alt = await api.alternatives(provider, start, duration);
      alternatives = [...alt.before.slice().reverse(), ...alt.after];
    }
    state.why = { zone, provider, duration, explanation, alternatives };
    renderWhy();
  } catch (e) {
    ui.whyError.textContent = errorText(e);
  }
  ui.whyAnswer.focus();
}

function shortWhen(zone: string, at: string): string {
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' }).format(
    Date.parse(at),
  );
}

function reasonText(zone: string, r: api.Reason): string {
  const w = (at: string | undefined): string => (at ? shortWhen(zone, at) : '');
  switch (r.reason) {
    case 'outside_query':
      return t('r_outside_query');
    case 'before_notice':
      return t('r_before_notice', { when: w(r.earliest) });
    case 'beyond_horizon':
      return t('r_beyond_horizon', { when: w(r.latest) });
    case 'outside_working_hours': {
      const near = r.nearest ?? [];
      if (!near.length) return t('r_outside_working_hours');
      const list = new Intl.ListFormat(locale(), { type: 'disjunction' }).format(
        near.map((i) => `${w(i.start)} – ${timeFormat(zone).format(Date.parse(i.end))}`),
      );
      return t('r_outside_working_hours_near', { list });
    }
    case 'does_not_fit':
      return t('r_does_not_fit', { end: w(r.window?.end) });
    case 'off_grid':
      return t('r_off_grid', { step: r.step ?? '', previous: w(r.previous), next: w(r.next) });
    case 'busy':
    case 'buffer':
      return t(`r_${r.reason}` as Key, { start: w(r.interval?.start), end: w(r.interval?.end) });
    case 'conflict':
      return t('r_conflict');
    default:
      return t('r_other', { code: r.reason });
  }
}

function renderWhy(): void {
  const y = state.why;
  if (!y) return;
  clearWhy();
  const ex = y.explanation;
  const vars = { when: whenText(y.zone, ex.start), who: names([y.provider]) };
  ui.whySummary.textContent = t(ex.offered ? 'whyOffered' : 'whyNot', vars);
  ui.whyAnswer.dataset.offered = String(ex.offered);
  ui.whyReasons.replaceChildren(
    ...ex.reasons.map((r) => {
      const li = document.createElement('li');
      li.dataset.reason = r.reason;
      li.textContent = reasonText(y.zone, r);
      return li;
    }),
  );
  const offer = ex.offered ? [ex.start] : (y.alternatives ?? []);
  const parts: HTMLElement[] = [];
  if (!ex.offered) {
    const p = document.createElement('p');
    p.textContent = t(offer.length ? 'whyNearby' : 'whyNoNearby');
    parts.push(p);
  }
  if (offer.length) {
    const ul = document.createElement('ul');
    ul.className = 'slots';
    for (const a of offer) {
      const li = document.createElement('li');
      li.append(slotButton(y.zone, a, [y.provider], y.duration, true));
      ul.append(li);
    }
    parts.push(ul);
  }
  ui.whyAlternatives.replaceChildren(...parts);
}

// ------------------------------------------------------------ book

function stopHold(): void {
  if (state.held?.timer != null) window.clearInterval(state.held.timer);
  state.held = null;
}

function isPatient(): boolean {
  return state.me?.roles.includes('patient') ?? false;
}

async function holdSlot(zone: string, start: string, providers: string[], duration: number): Promise<void> {
  stopHold();
  state.booked = null;
  ui.bookSection.hidden = false;
  ui.bookError.textContent = '';
  ui.bookSummary.textContent = '';
  ui.countdown.textContent = '';
  ui.alternatives.replaceChildren();
  ui.confirm.hidden = true;
  const me = state.me;
  if (!me || !isPatient()) {
    ui.bookError.textContent = t('staffOnly');
    ui.bookHeading.focus();
    return;
  }
  const provider = providers[0];
  try {
    const { body, etag } = await api.hold(provider, me.subject, start, duration);
    state.held = { appointment: body, etag: etag ?? '', timer: null };
    ui.bookSummary.textContent = t('held', { when: whenText(zone, body.start), who: t('with', { names: names([provider]) }) });
    ui.confirm.hidden = false;
    tick();
    state.held.timer = window.setInterval(tick, 1000);
    ui.bookHeading.focus();
  } catch (e) {
    if (e instanceof api.ApiError && (e.status === 409 || e.code === 'slot_unavailable')) {
      await offerAlternatives(zone, provider, start, duration);
    } else {
      ui.bookError.textContent = errorText(e);
    }
    ui.bookHeading.focus();
  }
}

function tick(): void {
  const held = state.held;
  if (!held?.appointment.hold_expires) return;
  const left = Math.max(0, Math.floor((Date.parse(held.appointment.hold_expires) - api.serverNow()) / 1000));
  if (left === 0) {
    stopHold();
    ui.confirm.hidden = true;
    ui.countdown.textContent = '';
    ui.bookError.textContent = t('lapsed');
    return;
  }
  const m = Math.floor(left / 60);
  const s = left % 60;
  ui.countdown.textContent = t('remaining', { time: `${m}:${String(s).padStart(2, '0')}` });
  ui.countdown.dataset.seconds = String(left);
}

async function offerAlternatives(zone: string, provider: string, start: string, duration: number): Promise<void> {
  try {
    const alt = await api.alternatives(provider, start, duration);
    const all = [...alt.before, ...alt.after];
    if (!all.length) {
      ui.bookError.textContent = t('noAlternatives');
      return;
    }
    ui.bookError.textContent = t('taken');
    const ul = document.createElement('ul');
    ul.className = 'slots';
    for (const a of all) {
      const li = document.createElement('li');
      li.append(slotButton(zone, a, [provider], duration));
      ul.append(li);
    }
    ui.alternatives.replaceChildren(ul);
  } catch (e) {
    ui.bookError.textContent = errorText(e);
  }
}

ui.confirm.addEventListener('click', async () => {
  const held = state.held;
  if (!held) return;
  ui.bookError.textContent = '';
  try {
    const done = await api.confirm(held.appointment.id, held.etag);
    stopHold();
    state.booked = done;
    ui.confirm.hidden = true;
    ui.countdown.textContent = '';
    const zone = state.search?.zone ?? ui.zone.value;
    ui.bookSummary.textContent = t('booked', {
      when: whenText(zone, done.start),
      who: t('with', { names: names(done.provider ? [done.provider] : []) }),
    });
    ui.bookSection.dataset.status = done.status;
    ui.bookHeading.focus();
  } catch (e) {
    ui.bookError.textContent = errorText(e);
  }
});

// ------------------------------------------------------------ start

ui.lang.addEventListener('change', () => {
  const l = ui.lang.value as Lang;
  if (!(l in LANGS)) return;
  setLang(l);
  ui.nav.setAttribute('aria-label', t('navLabel'));
  renderResults();
  renderWhy();
  mine.render();
  day.render();
  sched.render();
  access.render();
  register.rerender();
  resay();
});

// ------------------------------------------------------------ navigation

const tabs: [View, HTMLButtonElement][] = [
  ['find', ui.navFind],
  ['mine', ui.navMine],
  ['day', ui.navDay],
  ['access', ui.navAccess],
];

const TITLES = { find: 'title', mine: 'navMine', day: 'navDay', access: 'navAccess' } as const;

function show(view: View): void {
  // The page's h1 and title name the view (and follow a language change).
  const h1 = $<HTMLElement>('title');
  h1.dataset.i18n = TITLES[view];
  h1.textContent = t(TITLES[view]);
  document.title = `hcas: ${t(TITLES[view])}`;
  ui.findView.hidden = view !== 'find';
  ui.mineSection.hidden = view !== 'mine';
  ui.daySection.hidden = view !== 'day';
  ui.accessSection.hidden = view !== 'access';
  for (const [v, b] of tabs) {
    if (v === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
}

for (const [view, button] of tabs) {
  button.addEventListener('click', () => {
    show(view);
    if (view === 'mine' && state.me) void mine.load(state.me, ui.zone.value);
    if (view === 'day') void day.load();
    if (view === 'find') ui.doctor.focus();
    if (view === 'access') $('access-patient').focus();
  });
}

function start(): void {
  const l = preferredLang();
  ui.lang.value = l;
  setLang(l);
  ui.nav.setAttribute('aria-label', t('navLabel'));
  const { list, own } = zones();
  ui.zone.replaceChildren(...list.map((z) => new Option(z.replace(/_/g, ' '), z)));
  ui.zone.value = own;
  const today = localDay(own, Date.now());
  ui.from.value = today;
  ui.to.value = addDays(today, 6);
  syncBy();
}

start();
