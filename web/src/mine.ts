// "My appointments" (patients): the signed-in patient's appointments,
// upcoming first, in the chosen zone; cancel with the policy outcome shown
// before confirming; the server's iCalendar file per appointment or series.
import * as api from './api';
import { locale, t } from './i18n';
import { $, el, errorText, names, say, statusLabel, whenText } from './shared';
import { instantOf, localDay, rfc3339, wall } from './time';

const ORIGIN = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment';
const OPEN = ['held', 'pending', 'booked'];
const CLOSED = ['cancelled', 'noshow', 'fulfilled', 'entered-in-error'];

const ui = {
  heading: $<HTMLElement>('mine-h'),
  zone: $<HTMLParagraphElement>('mine-zone'),
  error: $<HTMLParagraphElement>('mine-error'),
  list: $<HTMLDivElement>('mine'),
};

interface Item {
  id: string;
  start: string;
  end: string;
  status: string;
  provider: string;
  series: string | null;
}

let data: { me: api.WhoAmI; zone: string; items: Item[]; now: number } | null = null;

export function reset(): void {
  data = null;
  ui.list.replaceChildren();
  ui.error.textContent = '';
}

function item(a: api.FhirAppointment): Item {
  const provider =
    a.participant
      ?.map((p) => p.actor?.reference ?? '')
      .find((r) => r.startsWith('Practitioner/'))
      ?.slice('Practitioner/'.length) ?? '';
  const origin = a.extension?.find((x) => x.url === ORIGIN)?.valueReference?.reference ?? '';
  // FHIR says "pending" for a hold; the lifecycle API says "held".
  return {
    id: a.id,
    start: a.start,
    end: a.end,
    status: a.status,
    provider,
    series: origin.startsWith('Appointment/') ? origin.slice('Appointment/'.length) : null,
  };
}

export async function load(me: api.WhoAmI, zone: string): Promise<void> {
  ui.error.textContent = '';
  ui.list.setAttribute('aria-busy', 'true');
  try {
    // The patient id goes in the form body of a POST, never in the URL.
    const found = await api.findAppointments([['patient', me.subject]]);
    data = { me, zone, items: found.appointments.map(item), now: api.serverNow() };
    render();
  } catch (e) {
    ui.error.textContent = errorText(e);
  } finally {
    ui.list.removeAttribute('aria-busy');
  }
}

function upcoming(i: Item, now: number): boolean {
  return !CLOSED.includes(i.status) && Date.parse(i.end) > now;
}

export function render(): void {
  if (!data) return;
  const { zone, items, now } = data;
  ui.zone.textContent = t('mineZone', { zone });
  const next = items.filter((i) => upcoming(i, now)).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const past = items.filter((i) => !upcoming(i, now)).sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  if (!items.length) {
    ui.list.replaceChildren(el('p', { textContent: t('noAppointments') }));
    return;
  }
  const parts: HTMLElement[] = [];
  for (const [key, list] of [
    ['upcoming', next],
    ['past', past],
  ] as const) {
    if (!list.length) continue;
    const h = el('h3', { textContent: t(key) });
    const ul = el('ul', { className: 'appts' });
    ul.dataset.group = key;
    // A series shows once, at its first occurrence in this group, with its
    // occurrences listed under it.
    const seen = new Set<string>();
    for (const i of list) {
      if (i.series) {
        if (seen.has(i.series)) continue;
        seen.add(i.series);
        ul.append(seriesItem(i.series, list.filter((o) => o.series === i.series), zone, now));
      } else {
        ul.append(appointmentItem(i, zone, now));
      }
    }
    parts.push(el('section', { className: 'appt-group' }, h, ul));
  }
  ui.list.replaceChildren(...parts);
}

function seriesItem(id: string, occurrences: Item[], zone: string, now: number): HTMLLIElement {
  const li = el('li', { className: 'series' });
  li.dataset.series = id;
  const h = el('h4', { textContent: t('series', { count: occurrences.length }) });
  const ics = el('button', { type: 'button', className: 'secondary', textContent: t('addSeries') });
  ics.addEventListener('click', () => void download('series', id));
  const ul = el('ul', { className: 'appts' });
  for (const o of occurrences) ul.append(appointmentItem(o, zone, now));
  li.append(h, ics, ul);
  return li;
}

function appointmentItem(i: Item, zone: string, now: number): HTMLLIElement {
  const li = el('li', { className: 'appt' });
  li.dataset.id = i.id;
  li.dataset.status = i.status;
  li.dataset.start = i.start;
  const when = el('p', { className: 'when', textContent: whenText(zone, i.start) });
  const who = el('p', { className: 'who' }, t('with', { names: names([i.provider]) }), ' ', el('span', { className: 'badge', textContent: statusLabel(i.status) }));
  const actions = el('div', { className: 'actions' });
  const ics = el('button', { type: 'button', className: 'secondary ics', textContent: t('addCalendar') });
  ics.addEventListener('click', () => void download('appointments', i.id));
  actions.append(ics);
  const panel = el('div', { className: 'cancel-panel' });
  panel.hidden = true;
  if (OPEN.includes(i.status) && Date.parse(i.start) > now) {
    const cancel = el('button', { type: 'button', className: 'secondary cancel', textContent: t('cancelButton') });
    cancel.addEventListener('click', () => void openCancel(i, zone, panel, cancel));
    actions.append(cancel);
    if (i.status === 'booked' && !i.series) {
      const move = el('button', { type: 'button', className: 'secondary reschedule', textContent: t('reschedButton') });
      move.addEventListener('click', () => void openReschedule(i, zone, panel, move));
      actions.append(move);
    }
  }
  li.append(when, who, actions, panel);
  return li;
}

async function download(kind: 'appointments' | 'series', id: string): Promise<void> {
  ui.error.textContent = '';
  try {
    const blob = await api.ics(kind, id);
    const url = URL.createObjectURL(blob);
    const a = el('a');
    a.href = url;
    a.download = kind === 'series' ? 'hcas-series.ics' : 'hcas-appointment.ics';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    ui.error.textContent = errorText(e);
  }
}

/** The cancel panel: read the appointment (its version), ask the engine
 * what cancelling now would lead to, show that, then cancel on confirm. */
async function openCancel(i: Item, zone: string, panel: HTMLDivElement, opener: HTMLButtonElement): Promise<void> {
  const h = el('h4', { textContent: t('cancelHeading') });
  h.tabIndex = -1;
  const policy = el('p', { className: 'policy' });
  const reasonId = `reason-${i.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const label = el('label', { textContent: t('reason') });
  label.htmlFor = reasonId;
  const reason = el('input', { id: reasonId });
  reason.name = 'reason';
  reason.autocomplete = 'off';
  const field = el('div', { className: 'field' }, label, reason);
  const error = el('p', { className: 'error' });
  error.setAttribute('role', 'alert');
  const go = el('button', { type: 'button', className: 'danger confirm-cancel', textContent: t('confirmCancel') });
  const keep = el('button', { type: 'button', className: 'secondary keep', textContent: t('keep') });
  panel.replaceChildren(h, policy, field, error, el('div', { className: 'actions' }, go, keep));
  panel.hidden = false;
  opener.hidden = true;
  h.focus();
  keep.addEventListener('click', () => {
    panel.hidden = true;
    panel.replaceChildren();
    opener.hidden = false;
    opener.focus();
  });
  let etag = '';
  go.disabled = true;
  try {
    const read = await api.appointment(i.id);
    etag = read.etag ?? '';
    try {
      const preview = await api.previewCancel(read.body, api.serverNow());
      const late = preview.outcomes.find((o) => o.outcome === 'late_cancellation');
      policy.dataset.outcome = late ? 'late' : 'free';
      policy.textContent = late
        ? t('policyLate', { minutes: late.minutes_before_start ?? 0 })
        : t('policyFree');
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 422) {
        policy.dataset.outcome = 'refused';
        policy.textContent = t('policyRefused', { code: e.code });
        return;
      }
      policy.dataset.outcome = 'unknown';
      policy.textContent = t('policyUnknown');
    }
    go.disabled = false;
  } catch (e) {
    error.textContent = errorText(e);
    return;
  }
  go.addEventListener('click', async () => {
    error.textContent = '';
    const why = reason.value.trim();
    reason.setAttribute('aria-invalid', String(!why));
    if (!why) {
      error.textContent = t('reasonMissing');
      reason.focus();
      return;
    }
    try {
      const done = await api.change(i.id, 'cancel', etag, why);
      const late = done.transition.outcomes.find((o) => o.outcome === 'late_cancellation');
      const when = whenText(zone, i.start);
      if (late) say('cancelledLate', () => ({ when, minutes: late.minutes_before_start ?? 0 }));
      else say('cancelled', () => ({ when }));
      if (data) await load(data.me, zone);
      ui.heading.focus();
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
}

/** The reschedule panel: a new local date and time in the chosen zone and a
 * reason; a time that is not free shows the nearest free ones to choose. */
async function openReschedule(i: Item, zone: string, panel: HTMLDivElement, opener: HTMLButtonElement): Promise<void> {
  const key = i.id.replace(/[^A-Za-z0-9_-]/g, '_');
  const h = el('h4', { textContent: t('reschedHeading') });
  h.tabIndex = -1;
  const input = (id: string, type: string, text: string): [HTMLDivElement, HTMLInputElement] => {
    const label = el('label', { textContent: text });
    label.htmlFor = `${id}-${key}`;
    const box = el('input', { id: `${id}-${key}` });
    box.type = type;
    box.name = id;
    box.autocomplete = 'off';
    return [el('div', { className: 'field' }, label, box), box];
  };
  const [dateField, date] = input('new-date', 'date', t('reschedDate'));
  const [timeField, time] = input('new-time', 'time', t('reschedTime'));
  const [reasonField, reason] = input('move-reason', 'text', t('reason'));
  const w = wall(zone, Date.parse(i.start));
  date.value = localDay(zone, Date.parse(i.start));
  time.value = `${String(w.h).padStart(2, '0')}:${String(w.mi).padStart(2, '0')}`;
  const error = el('p', { className: 'error' });
  error.setAttribute('role', 'alert');
  const alternatives = el('div', { className: 'alternatives' });
  const go = el('button', { type: 'button', className: 'confirm-move', textContent: t('reschedGo') });
  const keep = el('button', { type: 'button', className: 'secondary keep', textContent: t('keep') });
  panel.replaceChildren(
    h,
    el('div', { className: 'row' }, dateField, timeField),
    reasonField,
    error,
    alternatives,
    el('div', { className: 'actions' }, go, keep),
  );
  panel.hidden = false;
  opener.hidden = true;
  h.focus();
  keep.addEventListener('click', () => {
    panel.hidden = true;
    panel.replaceChildren();
    opener.hidden = false;
    opener.focus();
  });
  const minutes = Math.round((Date.parse(i.end) - Date.parse(i.start)) / 60_000);
  go.addEventListener('click', async () => {
    error.textContent = '';
    alternatives.replaceChildren();
    const why = reason.value.trim();
    for (const [box, ok] of [
      [date, !!date.value],
      [time, !!time.value],
      [reason, !!why],
    ] as const) {
      box.setAttribute('aria-invalid', String(!ok));
    }
    if (!date.value || !time.value || !why) {
      error.textContent = t('reschedFill');
      return;
    }
    const start = rfc3339(instantOf(zone, date.value, time.value));
    try {
      // The version now (the row may have changed since the list was read).
      const read = await api.appointment(i.id);
      const done = await api.reschedule(i.id, read.etag ?? '', start, why);
      const when = whenText(zone, done.new.start);
      const who = t('with', { names: names([done.new.provider ?? i.provider]) });
      say('reschedDone', () => ({ when, who }));
      if (data) await load(data.me, zone);
      ui.heading.focus();
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 409) {
        await offer(i.provider, start, minutes);
      } else {
        error.textContent = errorText(e);
      }
    }
  });

  async function offer(provider: string, start: string, length: number): Promise<void> {
    try {
      const alt = await api.alternatives(provider, start, length);
      const all = [...alt.before.slice().reverse(), ...alt.after];
      error.textContent = t(all.length ? 'reschedTaken' : 'reschedNoAlt');
      const fmt = new Intl.DateTimeFormat(locale(), { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' });
      const ul = el('ul', { className: 'slots' });
      for (const a of all) {
        const b = el('button', { type: 'button', className: 'slot', textContent: fmt.format(Date.parse(a)) });
        b.dataset.start = a;
        b.addEventListener('click', () => {
          const aw = wall(zone, Date.parse(a));
          date.value = localDay(zone, Date.parse(a));
          time.value = `${String(aw.h).padStart(2, '0')}:${String(aw.mi).padStart(2, '0')}`;
          go.focus();
        });
        ul.append(el('li', {}, b));
      }
      alternatives.replaceChildren(ul);
    } catch (e) {
      error.textContent = errorText(e);
    }
  }
}
