// The staff day schedule: one provider's or one room's appointments on one
// day or a week (seven local days from the chosen one, in the provider's
// zone; for a room, the zone of its providers), with check-in, no-show,
// complete and cancel through the lifecycle API. A room's list is every
// booking that holds it (FHIR `actor=Location/<room>`), of any provider,
// with a provider column. Refusals show their stable code.
import * as api from './api';
import { t } from './i18n';
import { $, codeText, dayFormat, el, providerNames, providerZones, say, statusLabel, timeFormat } from './shared';
import { addDays, localDay, rfc3339, startOfDay } from './time';

const ui = {
  heading: $<HTMLElement>('day-h'),
  form: $<HTMLFormElement>('day-form'),
  date: $<HTMLInputElement>('day-date'),
  provider: $<HTMLSelectElement>('day-provider'),
  providerField: $<HTMLDivElement>('day-provider-field'),
  kind: $<HTMLSelectElement>('day-kind'),
  kindField: $<HTMLDivElement>('day-kind-field'),
  room: $<HTMLSelectElement>('day-room'),
  roomField: $<HTMLDivElement>('day-room-field'),
  sched: $<HTMLElement>('sched'),
  span: $<HTMLSelectElement>('day-span'),
  zone: $<HTMLParagraphElement>('day-zone'),
  error: $<HTMLParagraphElement>('day-error'),
  list: $<HTMLDivElement>('day'),
};

interface Row {
  id: string;
  version: string;
  start: string;
  end: string;
  status: string;
  patient: string;
  /** The provider's name (shown in a room's list). */
  provider: string;
}

let data: { zone: string; day: string; span: number; rows: Row[]; room: boolean } | null = null;
/** Room id -> the ids of the active providers whose room it is. */
const rooms = new Map<string, string[]>();

/** Which actions a status offers; the core still decides (times, roles). */
const ACTIONS: Record<string, api.Action[]> = {
  held: ['cancel'],
  pending: ['cancel'],
  booked: ['check-in', 'no-show', 'cancel'],
  arrived: ['complete', 'no-show'],
  'checked-in': ['complete', 'no-show'],
};
const LABEL = { 'check-in': 'checkIn', 'no-show': 'noShow', complete: 'complete', cancel: 'cancelShort' } as const;

export function reset(): void {
  data = null;
  ui.list.replaceChildren();
  ui.error.textContent = '';
  ui.zone.textContent = '';
}

export function fillProviders(list: api.Provider[], me: api.WhoAmI): void {
  ui.provider.replaceChildren(
    ...list
      .filter((p) => p.active)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => new Option(p.name, p.id)),
  );
  // A doctor starts on their own day.
  if (list.some((p) => p.id === me.subject)) ui.provider.value = me.subject;
  ui.date.value = localDay(zoneOf(ui.provider.value), Date.now());
  rooms.clear();
  for (const p of list.filter((x) => x.active && x.room)) {
    const ids = rooms.get(p.room!) ?? [];
    ids.push(p.id);
    rooms.set(p.room!, ids);
  }
  ui.room.replaceChildren(
    ...[...rooms.keys()].sort().map((r) => new Option(`${r} (${(rooms.get(r) ?? []).map((id) => providerNames.get(id) ?? id).join(', ')})`, r)),
  );
  // The choice of a room only where the providers have rooms.
  ui.kindField.hidden = rooms.size === 0;
  ui.kind.value = 'provider';
  showKind();
}

function zoneOf(provider: string): string {
  return providerZones.get(provider) ?? 'UTC';
}

/** Whether the list is of a room (else of a provider). */
function byRoom(): boolean {
  return ui.kind.value === 'room' && rooms.size > 0;
}

/** The zone a room's day is shown in: its first provider's. */
function roomZone(room: string): string {
  const ids = rooms.get(room) ?? [];
  return ids.length ? zoneOf(ids[0]) : 'UTC';
}

/** Show the provider or the room choice; a room has no working hours to edit. */
function showKind(): void {
  const room = byRoom();
  ui.providerField.hidden = room;
  ui.roomField.hidden = !room;
  ui.sched.hidden = room;
}

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void load();
});

// Changing the provider, the date or the span reloads at once: the list on
// screen never stays under a choice it was not loaded for (it is cleared
// first, then filled from the new answer).
ui.kind.addEventListener('change', showKind);

for (const input of [ui.kind, ui.provider, ui.room, ui.date, ui.span]) {
  input.addEventListener('change', () => {
    data = null;
    ui.list.replaceChildren();
    ui.zone.textContent = '';
    delete ui.list.dataset.shown;
    void load();
  });
}

/** Only the newest load renders (a change and "Show" may overlap). */
let loads = 0;

export async function load(): Promise<void> {
  const mine = (loads += 1);
  ui.error.textContent = '';
  const room = byRoom();
  const who = room ? ui.room.value : ui.provider.value;
  const day = ui.date.value;
  ui.date.setAttribute('aria-invalid', String(!day));
  if (!day || !who) {
    ui.error.textContent = t('badDates');
    return;
  }
  const zone = room ? roomZone(who) : zoneOf(who);
  const span = ui.span.value === '7' ? 7 : 1;
  const from = rfc3339(startOfDay(zone, day));
  const to = rfc3339(startOfDay(zone, addDays(day, span)));
  ui.list.setAttribute('aria-busy', 'true');
  try {
    const found = await api.findAppointments([
      room ? ['actor', `Location/${who}`] : ['practitioner', who],
      ['date', `ge${from}`],
      ['date', `lt${to}`],
      ['_include', 'Appointment:patient'],
    ]);
    const rows = found.appointments
      .map((a) => {
        const refs = a.participant?.map((p) => p.actor?.reference ?? '') ?? [];
        const patient = refs.find((r) => r.startsWith('Patient/')) ?? '';
        const provider = (refs.find((r) => r.startsWith('Practitioner/')) ?? '').slice('Practitioner/'.length);
        return {
          id: a.id,
          version: a.meta?.versionId ?? '',
          start: a.start,
          end: a.end,
          status: a.status,
          patient: found.names.get(patient) ?? patient.slice('Patient/'.length),
          provider: providerNames.get(provider) ?? provider,
        };
      })
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    if (mine !== loads) return;
    data = { zone, day, span, rows, room };
    render();
    // What the list on screen was loaded for (the e2e waits on it).
    ui.list.dataset.shown = `${room ? `room:${who}` : who} ${day} ${span}`;
  } catch (e) {
    if (mine === loads) ui.error.textContent = codeText(e);
  } finally {
    if (mine === loads) ui.list.removeAttribute('aria-busy');
  }
}

export function render(): void {
  if (!data) return;
  const { zone, day, span, rows, room } = data;
  if (span === 1) {
    ui.zone.textContent = t(room ? 'roomZone' : 'dayZone', { zone });
    ui.list.replaceChildren(rows.length ? table(rows, zone, '', room) : el('p', { textContent: t('dayEmpty') }));
    return;
  }
  // A week: one part per local day, empty days said so; the same rows and
  // actions as the day view.
  const days = dayFormat(zone);
  const first = Date.parse(rfc3339(startOfDay(zone, day)));
  ui.zone.textContent = t(room ? 'roomWeekZone' : 'weekZone', { from: days.format(first), zone });
  const parts: HTMLElement[] = [];
  for (let i = 0; i < span; i += 1) {
    const d = addDays(day, i);
    const mine = rows.filter((r) => localDay(zone, Date.parse(r.start)) === d);
    const part = el('section', { className: 'week-day' });
    part.dataset.day = d;
    const name = days.format(Date.parse(rfc3339(startOfDay(zone, d))));
    part.append(el('h3', { textContent: name }), mine.length ? table(mine, zone, name, room) : el('p', { className: 'note', textContent: t('dayEmpty') }));
    parts.push(part);
  }
  ui.list.replaceChildren(...parts);
}

function table(rows: Row[], zone: string, dayName = '', room = false): HTMLTableElement {
  const table = el('table', { className: 'day' });
  table.append(el('caption', { className: 'sr-only', textContent: t('dayCount', { count: rows.length }) }));
  const head = el('tr');
  const cols = room
    ? (['colTime', 'colPatient', 'colProvider', 'colStatus', 'colActions'] as const)
    : (['colTime', 'colPatient', 'colStatus', 'colActions'] as const);
  for (const k of cols) {
    const th = el('th', { textContent: t(k) });
    th.scope = 'col';
    head.append(th);
  }
  table.append(el('thead', {}, head));
  const body = el('tbody');
  const time = timeFormat(zone);
  for (const r of rows) {
    const tr = el('tr');
    tr.dataset.id = r.id;
    tr.dataset.status = r.status;
    const when = `${time.format(Date.parse(r.start))}–${time.format(Date.parse(r.end))}`;
    const th = el('th', { textContent: when });
    th.scope = 'row';
    const actions = el('td', { className: 'actions' });
    for (const action of ACTIONS[r.status] ?? []) {
      const b = el('button', { type: 'button', className: `secondary act-${action}`, textContent: t(LABEL[action]) });
      b.setAttribute('aria-label', `${t(LABEL[action])}: ${r.patient}, ${dayName ? `${dayName}, ` : ''}${when}`);
      b.addEventListener('click', () => {
        if (action === 'cancel') askReason(r, when, actions);
        else void act(r, when, action);
      });
      actions.append(b);
    }
    tr.append(th, el('td', { textContent: r.patient }));
    if (room) tr.append(el('td', { className: 'provider', textContent: r.provider }));
    tr.append(el('td', { textContent: statusLabel(r.status) }), actions);
    body.append(tr);
  }
  table.append(body);
  return table;
}

function askReason(r: Row, when: string, cell: HTMLTableCellElement): void {
  const id = `day-reason-${r.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const label = el('label', { className: 'sr-only', textContent: t('reason') });
  label.htmlFor = id;
  const input = el('input', { id });
  input.placeholder = t('reason');
  const go = el('button', { type: 'button', className: 'danger confirm-cancel', textContent: t('confirmCancel') });
  const keep = el('button', { type: 'button', className: 'secondary keep', textContent: t('keep') });
  keep.addEventListener('click', () => render());
  go.addEventListener('click', () => {
    const why = input.value.trim();
    input.setAttribute('aria-invalid', String(!why));
    if (!why) {
      ui.error.textContent = t('reasonMissing');
      input.focus();
      return;
    }
    void act(r, when, 'cancel', why);
  });
  cell.replaceChildren(label, input, go, keep);
  input.focus();
}

async function act(r: Row, when: string, action: api.Action, reason?: string): Promise<void> {
  ui.error.textContent = '';
  try {
    await api.change(r.id, action, `"${r.version}"`, reason);
    say('done', () => ({ action: t(LABEL[action]), who: r.patient, time: when }));
    await load();
    ui.heading.focus();
  } catch (e) {
    ui.error.textContent = codeText(e);
  }
}
