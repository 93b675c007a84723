// Staff: a provider's working hours and time off (block time), through
// GET/PUT /v1/providers/{id}/schedule with If-Match. Before a block is
// saved, the provider's bookings it overlaps are looked up (FHIR search)
// and listed; they stay booked. The server decides who may save: a
// refusal is shown with its code.
import * as api from './api';
import { locale, t } from './i18n';
import { $, codeText, el, providerZones, say } from './shared';
import { addDays, instantOf, localDay, rfc3339 } from './time';

const ui = {
  heading: $<HTMLElement>('sched-h'),
  load: $<HTMLButtonElement>('sched-load'),
  provider: $<HTMLSelectElement>('day-provider'),
  zone: $<HTMLParagraphElement>('sched-zone'),
  error: $<HTMLParagraphElement>('sched-error'),
  body: $<HTMLDivElement>('sched-body'),
  hours: $<HTMLDivElement>('sched-hours'),
  add: $<HTMLButtonElement>('hours-add'),
  save: $<HTMLButtonElement>('hours-save'),
  off: $<HTMLUListElement>('sched-off'),
  form: $<HTMLFormElement>('off-form'),
  fromDate: $<HTMLInputElement>('off-from-date'),
  fromTime: $<HTMLInputElement>('off-from-time'),
  toDate: $<HTMLInputElement>('off-to-date'),
  toTime: $<HTMLInputElement>('off-to-time'),
  reason: $<HTMLInputElement>('off-reason'),
  conflict: $<HTMLDivElement>('off-conflict'),
};

const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const WEEKLY = /^FREQ=WEEKLY;BYDAY=((?:MO|TU|WE|TH|FR|SA|SU)(?:,(?:MO|TU|WE|TH|FR|SA|SU))*)$/;
/** Statuses that hold the time (a block over them is a conflict). */
const ACTIVE = new Set(['booked', 'pending', 'arrived', 'checked-in', 'proposed']);

/** A weekly rule as edited; other rules are kept as they are. */
interface Hours {
  days: Set<string>;
  start: string;
  end: string;
  dtstart: string;
}

let sched: api.Schedule | null = null;
let hours: Hours[] = [];
let others: api.Rule[] = [];

export function reset(): void {
  sched = null;
  hours = [];
  others = [];
  ui.body.hidden = true;
  ui.error.textContent = '';
  ui.zone.textContent = '';
  ui.conflict.hidden = true;
}

ui.provider.addEventListener('change', reset);
ui.load.addEventListener('click', () => void load());

async function load(): Promise<void> {
  ui.error.textContent = '';
  ui.conflict.hidden = true;
  try {
    sched = await api.schedule(ui.provider.value);
  } catch (e) {
    reset();
    ui.error.textContent = codeText(e);
    return;
  }
  hours = [];
  others = [];
  for (const r of sched.rules) {
    const m = WEEKLY.exec(r.rrule);
    if (m) hours.push({ days: new Set(m[1].split(',')), start: r.start, end: r.end, dtstart: r.dtstart });
    else if (r.rrule === 'FREQ=DAILY') hours.push({ days: new Set<string>(DAYS), start: r.start, end: r.end, dtstart: r.dtstart });
    else others.push(r);
  }
  ui.hours.replaceChildren(); // nothing stale for render() to read back
  ui.body.hidden = false;
  render();
  ui.heading.focus();
}

function zone(): string {
  return sched?.timezone ?? providerZones.get(ui.provider.value) ?? 'UTC';
}

function dayNames(): string[] {
  const f = new Intl.DateTimeFormat(locale(), { weekday: 'long', timeZone: 'UTC' });
  // 1 January 2024 was a Monday.
  return DAYS.map((_, i) => f.format(Date.UTC(2024, 0, 1 + i)));
}

/** Read the edited hours back from the page. */
function collect(): void {
  ui.hours.querySelectorAll<HTMLFieldSetElement>('fieldset.hours').forEach((fs, i) => {
    const h = hours[i];
    if (!h) return;
    h.days = new Set(
      [...fs.querySelectorAll<HTMLInputElement>('input[type=checkbox]')].filter((c) => c.checked).map((c) => c.value),
    );
    h.start = fs.querySelector<HTMLInputElement>('.h-start')?.value ?? '';
    h.end = fs.querySelector<HTMLInputElement>('.h-end')?.value ?? '';
  });
}

export function render(): void {
  if (!sched) return;
  if (!ui.body.hidden) collect();
  const z = zone();
  ui.zone.textContent = t('schedNote', { zone: z });
  const names = dayNames();
  const rows: HTMLElement[] = hours.map((h, i) => {
    const fs = el('fieldset', { className: 'hours' });
    fs.append(el('legend', { textContent: t('hoursRow', { n: i + 1 }) }));
    const days = el('div', { className: 'days' });
    DAYS.forEach((d, k) => {
      const id = `h${i}-${d}`;
      const box = el('input', { id, type: 'checkbox' });
      box.value = d;
      box.checked = h.days.has(d);
      const label = el('label', { textContent: names[k] });
      label.htmlFor = id;
      days.append(el('span', { className: 'day-box' }, box, label));
    });
    const field = (cls: string, key: 'hoursStart' | 'hoursEnd', value: string): HTMLElement => {
      const id = `h${i}-${cls}`;
      const input = el('input', { id, type: 'time', className: cls });
      input.value = value === '24:00' ? '00:00' : value;
      const label = el('label', { textContent: t(key) });
      label.htmlFor = id;
      return el('div', { className: 'field' }, label, input);
    };
    const remove = el('button', { type: 'button', className: 'secondary h-remove', textContent: t('hoursRemove') });
    remove.setAttribute('aria-label', `${t('hoursRemove')}: ${t('hoursRow', { n: i + 1 })}`);
    remove.addEventListener('click', () => {
      collect();
      hours.splice(i, 1);
      render();
      ui.add.focus();
    });
    fs.append(days, el('div', { className: 'row' }, field('h-start', 'hoursStart', h.start), field('h-end', 'hoursEnd', h.end)), remove);
    return fs;
  });
  for (const r of others) {
    rows.push(el('p', { className: 'note', textContent: t('hoursOther', { rule: r.rrule, start: r.start, end: r.end }) }));
  }
  ui.hours.replaceChildren(...rows);
  const time = new Intl.DateTimeFormat(locale(), { timeZone: z, dateStyle: 'medium', timeStyle: 'short' });
  const off = sched.time_off.map((o, i) => {
    const text = `${time.format(Date.parse(o.start))} – ${time.format(Date.parse(o.end))}${o.reason ? ` (${o.reason})` : ''}`;
    const b = el('button', { type: 'button', className: 'secondary off-remove', textContent: t('offRemove') });
    b.setAttribute('aria-label', `${t('offRemove')}: ${text}`);
    b.addEventListener('click', () => void removeOff(i));
    const li = el('li', {}, el('span', { textContent: `${text} ` }), b);
    li.dataset.start = o.start;
    li.dataset.end = o.end;
    return li;
  });
  ui.off.replaceChildren(...(off.length ? off : [el('li', { textContent: t('offNone') })]));
}

ui.add.addEventListener('click', () => {
  if (!sched) return;
  collect();
  hours.push({ days: new Set(), start: '09:00', end: '17:00', dtstart: localDay(zone(), Date.now()) });
  render();
  ui.hours.querySelector<HTMLInputElement>('fieldset.hours:last-of-type input')?.focus();
});

ui.save.addEventListener('click', () => void saveHours());

async function saveHours(): Promise<void> {
  if (!sched) return;
  ui.error.textContent = '';
  collect();
  const bad = hours.findIndex((h) => !h.days.size || !h.start || !h.end);
  if (bad >= 0) {
    ui.error.textContent = t('hoursBad', { n: bad + 1 });
    ui.hours.querySelectorAll<HTMLFieldSetElement>('fieldset.hours')[bad]?.querySelector('input')?.focus();
    return;
  }
  const rules: api.Rule[] = [
    ...hours.map((h) => ({
      rrule: `FREQ=WEEKLY;BYDAY=${DAYS.filter((d) => h.days.has(d)).join(',')}`,
      dtstart: h.dtstart,
      start: h.start,
      // An end at midnight is the end of the day.
      end: h.end === '00:00' ? '24:00' : h.end,
    })),
    ...others,
  ];
  await write({ ...sched, rules }, () => say('hoursSaved'));
}

async function write(next: api.Schedule, done: () => void): Promise<boolean> {
  try {
    sched = await api.putSchedule(next);
  } catch (e) {
    ui.error.textContent = codeText(e);
    return false;
  }
  done();
  ui.body.hidden = true; // re-read the rules as saved
  await load();
  return true;
}

async function removeOff(i: number): Promise<void> {
  if (!sched) return;
  ui.error.textContent = '';
  collect();
  const time_off = sched.time_off.filter((_, k) => k !== i);
  await write({ ...sched, time_off }, () => say('offRemoved'));
}

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void block(false);
});

async function block(anyway: boolean): Promise<void> {
  if (!sched) return;
  ui.error.textContent = '';
  const z = zone();
  const ok = ui.fromDate.value && ui.fromTime.value && ui.toDate.value && ui.toTime.value;
  const start = ok ? instantOf(z, ui.fromDate.value, ui.fromTime.value) : NaN;
  const end = ok ? instantOf(z, ui.toDate.value, ui.toTime.value) : NaN;
  const valid = ok && end > start;
  for (const i of [ui.fromDate, ui.fromTime, ui.toDate, ui.toTime]) i.setAttribute('aria-invalid', String(!valid && !i.value));
  if (!valid) {
    ui.error.textContent = t('offBad');
    ui.fromDate.focus();
    return;
  }
  if (!anyway) {
    // The bookings the block would overlap: searched from a day before
    // (a long visit starting earlier) to the block's end, then filtered.
    let found: Awaited<ReturnType<typeof api.findAppointments>>;
    try {
      found = await api.findAppointments([
        ['practitioner', ui.provider.value],
        ['date', `ge${rfc3339(instantOf(z, addDays(ui.fromDate.value, -1), '00:00'))}`],
        ['date', `lt${rfc3339(end)}`],
        ['_include', 'Appointment:patient'],
      ]);
    } catch (e) {
      ui.error.textContent = codeText(e);
      return;
    }
    const hit = found.appointments
      .filter((a) => ACTIVE.has(a.status) && Date.parse(a.start) < end && Date.parse(a.end) > start)
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    if (hit.length) {
      const time = new Intl.DateTimeFormat(locale(), { timeZone: z, dateStyle: 'medium', timeStyle: 'short' });
      const list = el('ul');
      for (const a of hit) {
        const ref = a.participant?.map((p) => p.actor?.reference ?? '').find((r) => r.startsWith('Patient/')) ?? '';
        const li = el('li', {
          textContent: `${time.format(Date.parse(a.start))} – ${time.format(Date.parse(a.end))}: ${found.names.get(ref) ?? ref.slice('Patient/'.length)}`,
        });
        li.dataset.id = a.id;
        list.append(li);
      }
      const go = el('button', { type: 'button', className: 'danger off-anyway', textContent: t('offAnyway') });
      const keep = el('button', { type: 'button', className: 'secondary off-keep', textContent: t('offKeep') });
      go.addEventListener('click', () => void block(true));
      keep.addEventListener('click', () => {
        ui.conflict.hidden = true;
        ui.fromDate.focus();
      });
      ui.conflict.replaceChildren(el('p', { textContent: t('offConflict', { count: hit.length }) }), list, go, keep);
      ui.conflict.hidden = false;
      go.focus();
      return;
    }
  }
  ui.conflict.hidden = true;
  const reason = ui.reason.value.trim();
  const entry: api.TimeOff = { start: rfc3339(start), end: rfc3339(end), ...(reason ? { reason } : {}) };
  const time = new Intl.DateTimeFormat(locale(), { timeZone: z, dateStyle: 'medium', timeStyle: 'short' });
  await write({ ...sched, time_off: [...sched.time_off, entry] }, () =>
    say('offSaved', () => ({ from: time.format(start), to: time.format(end) })),
  );
}
