// The public hcas API, as every other client uses it. The access token
// lives in this module's memory only: never in localStorage, cookies or
// URLs (a reload signs out; that is the safe default for now).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export interface Provider {
  id: string;
  name: string;
  specialties: string[];
  active: boolean;
  timezone?: string;
  /** The room the provider's new bookings hold, if any. */
  room?: string;
}

export interface Slot {
  start: string;
  end: string;
  providers: string[];
}

export interface Appointment {
  id: string;
  provider?: string;
  patient?: string;
  start: string;
  end: string;
  status: string;
  hold_expires?: string;
  resources?: string[];
  series?: string;
  version?: number;
}

export interface WhoAmI {
  subject: string;
  org: string;
  roles: string[];
}

let token: string | null = null;
/** Server clock minus this clock, in ms (from the Date header). */
let skew = 0;

export function signedIn(): boolean {
  return token !== null;
}

export function signOut(): void {
  token = null;
}

/** Now by the server's clock (for countdowns). */
export function serverNow(): number {
  return Date.now() + skew;
}

interface Answer<T> {
  body: T;
  etag: string | null;
}

/** A form body (FHIR `_search`): sent as application/x-www-form-urlencoded. */
class Form {
  constructor(readonly params: URLSearchParams) {}
}

async function send(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<Response> {
  const h: Record<string, string> = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body instanceof Form) {
    h['Content-Type'] = 'application/x-www-form-urlencoded';
    payload = body.params.toString();
  } else if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, {
    method,
    headers: h,
    body: payload,
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  const date = res.headers.get('Date');
  if (date) {
    const server = Date.parse(date);
    if (!Number.isNaN(server)) skew = server - Date.now();
  }
  return res;
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.status === 401) token = null;
  const p = (parsed ?? {}) as {
    code?: string;
    detail?: string;
    title?: string;
    resourceType?: string;
    issue?: { diagnostics?: string; details?: { coding?: { code?: string }[] } }[];
  };
  if (p.resourceType === 'OperationOutcome') {
    // The FHIR API's errors: the stable hcas code is issue[0]'s coding.
    const issue = p.issue?.[0];
    return new ApiError(
      res.status,
      issue?.details?.coding?.[0]?.code ?? 'error',
      issue?.diagnostics ?? res.statusText,
      parsed,
    );
  }
  return new ApiError(res.status, p.code ?? 'error', p.detail ?? p.title ?? res.statusText, parsed);
}

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await send(method, path, body, headers);
  if (!res.ok) throw await failure(res);
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { body: parsed as T, etag: res.headers.get('ETag') };
}

function query(params: Record<string, string | number>): string {
  return new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, String(v)]),
  ).toString();
}

export async function login(org: string, username: string, password: string): Promise<WhoAmI> {
  const { body } = await call<{ access_token: string }>('POST', '/v1/auth/login', {
    org,
    username,
    password,
  });
  token = body.access_token;
  return (await call<WhoAmI>('GET', '/v1/auth/whoami')).body;
}

/** What a patient gives to register themself (`POST /v1/auth/register`). */
export interface Registration {
  org: string;
  username: string;
  password: string;
  name: string;
  birth_date?: string;
  timezone?: string;
  language?: string;
}

/** Register a new patient and sign in with the tokens the answer carries
 * (kept like a login's: in this module's memory only). */
export async function register(r: Registration): Promise<WhoAmI> {
  const { body } = await call<{ access_token: string }>('POST', '/v1/auth/register', r);
  token = body.access_token;
  return (await call<WhoAmI>('GET', '/v1/auth/whoami')).body;
}

export async function providers(): Promise<Provider[]> {
  return (await call<Provider[]>('GET', '/v1/providers?active=true')).body;
}

export interface SlotSearch {
  provider?: string;
  specialty?: string;
  from: string;
  to: string;
  duration: number;
}

export async function slots(s: SlotSearch): Promise<Slot[]> {
  const params: Record<string, string | number> = { from: s.from, to: s.to, duration: s.duration };
  if (s.provider) params.provider = s.provider;
  if (s.specialty) params.specialty = s.specialty;
  return (await call<{ slots: Slot[] }>('GET', `/v1/slots?${query(params)}`)).body.slots;
}

export async function alternatives(
  provider: string,
  start: string,
  duration: number,
): Promise<{ before: string[]; after: string[] }> {
  const q = query({ provider, start, duration, count: 3 });
  return (await call<{ before: string[]; after: string[] }>('GET', `/v1/slots/alternatives?${q}`))
    .body;
}

/** One reason the engine gives for a start it does not offer (`reason` is
 * the tag; the other fields depend on it). */
export interface Reason {
  reason: string;
  earliest?: string;
  latest?: string;
  nearest?: { start: string; end: string }[];
  window?: { start: string; end: string };
  step?: number;
  previous?: string;
  next?: string;
  interval?: { start: string; end: string };
}

export interface Explanation {
  start: string;
  offered: boolean;
  reasons: Reason[];
}

/** Why a start is (not) offered: `GET /v1/slots/explain`. */
export async function explain(provider: string, start: string, duration: number): Promise<Explanation> {
  const q = query({ provider, start, duration });
  return (await call<Explanation>('GET', `/v1/slots/explain?${q}`)).body;
}

export interface WaitEntry {
  id: string;
  provider: string;
  from: string;
  to: string;
}

/** Join a provider's waitlist for a window (`POST /v1/waitlist`). */
export async function joinWaitlist(
  provider: string,
  patient: string,
  from: string,
  to: string,
  minDuration: number,
): Promise<WaitEntry> {
  return (
    await call<WaitEntry>('POST', '/v1/waitlist', { provider, patient, from, to, min_duration: minDuration })
  ).body;
}

/** Move an appointment (`POST /v1/appointments/{id}/reschedule`, `If-Match`). */
export async function reschedule(
  id: string,
  etag: string,
  start: string,
  reason: string,
): Promise<{ old: Appointment; new: Appointment; transition: Transition }> {
  return (
    await call<{ old: Appointment; new: Appointment; transition: Transition }>(
      'POST',
      `/v1/appointments/${encodeURIComponent(id)}/reschedule`,
      { start, reason },
      { 'If-Match': etag },
    )
  ).body;
}

function idempotencyKey(): string {
  return crypto.randomUUID();
}

export async function hold(
  provider: string,
  patient: string,
  start: string,
  duration: number,
): Promise<Answer<Appointment>> {
  return call<Appointment>(
    'POST',
    '/v1/appointments/holds',
    { provider, patient, start, duration },
    { 'Idempotency-Key': idempotencyKey() },
  );
}

export async function confirm(id: string, etag: string): Promise<Appointment> {
  const { body } = await call<{ appointment?: Appointment } & Appointment>(
    'POST',
    `/v1/appointments/${encodeURIComponent(id)}/confirm`,
    {},
    { 'If-Match': etag },
  );
  return body.appointment ?? body;
}

// ------------------------------------------------------------ lists and lifecycle

/** The FHIR Appointment fields the pages read. */
export interface FhirAppointment {
  resourceType: 'Appointment';
  id: string;
  status: string;
  start: string;
  end: string;
  meta?: { versionId?: string };
  participant?: { actor?: { reference?: string } }[];
  extension?: { url: string; valueReference?: { reference?: string }; valueString?: string }[];
}

interface Bundle {
  entry?: { resource: { resourceType: string; id: string; name?: { text?: string; family?: string; given?: string[] }[] }; search?: { mode?: string } }[];
  link?: { relation: string; url: string }[];
}

export interface Found {
  appointments: FhirAppointment[];
  /** Display names of the included patients and practitioners, by reference. */
  names: Map<string, string>;
}

/** Search appointments through FHIR's `POST Appointment/_search`: the
 * parameters (a patient or practitioner id, dates) go in the form body,
 * never in the URL. */
export async function findAppointments(params: [string, string][]): Promise<Found> {
  const form = new URLSearchParams(params);
  form.append('_count', '500');
  const { body } = await call<Bundle>('POST', '/fhir/r4/Appointment/_search', new Form(form), {
    Accept: 'application/fhir+json',
  });
  const appointments: FhirAppointment[] = [];
  const names = new Map<string, string>();
  for (const e of body.entry ?? []) {
    const r = e.resource;
    if (r.resourceType === 'Appointment') appointments.push(r as unknown as FhirAppointment);
    else {
      const n = r.name?.[0];
      const text = n?.text ?? [...(n?.given ?? []), n?.family ?? ''].join(' ').trim();
      if (text) names.set(`${r.resourceType}/${r.id}`, text);
    }
  }
  return { appointments, names };
}

/** Any FHIR search by `POST <Type>/_search` (the parameters, a patient id
 * among them, go in the form body): the matching resources of the first page. */
export async function fhirSearch<T>(type: 'Consent' | 'AuditEvent', params: [string, string][]): Promise<T[]> {
  const { body } = await call<{ entry?: { resource: T; search?: { mode?: string } }[] }>(
    'POST',
    `/fhir/r4/${type}/_search`,
    new Form(new URLSearchParams(params)),
    { Accept: 'application/fhir+json' },
  );
  return (body.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource);
}

export async function appointment(id: string): Promise<Answer<Appointment>> {
  return call<Appointment>('GET', `/v1/appointments/${encodeURIComponent(id)}`);
}

export interface Outcome {
  outcome: string;
  minutes_before_start?: number;
}

export interface Transition {
  from: string;
  to: string;
  outcomes: Outcome[];
  late_cancellation?: boolean;
}

export type Action = 'check-in' | 'complete' | 'no-show' | 'cancel';

/** A lifecycle step (`If-Match` the version read). */
export async function change(
  id: string,
  action: Action,
  etag: string,
  reason?: string,
): Promise<{ appointment: Appointment; transition: Transition }> {
  const { body } = await call<{ appointment: Appointment; transition: Transition }>(
    'POST',
    `/v1/appointments/${encodeURIComponent(id)}/${action}`,
    reason === undefined ? {} : { reason },
    { 'If-Match': etag },
  );
  return body;
}

/** What cancelling would lead to, by the public engine (`POST
 * /v1/engine/transition`, stateless, no patient record read: only the
 * times and status are sent) with the server's default policy. */
export async function previewCancel(a: Appointment, now: number): Promise<Transition> {
  const booking = {
    id: 'preview',
    start: a.start,
    end: a.end,
    status: a.status,
    resources: ['provider:preview', 'patient:preview'],
  };
  const request = {
    to: 'cancelled',
    actor: 'patient',
    reason: 'preview',
    now: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const res = await fetch('/v1/engine/transition', {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify({ booking, request }),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as Transition;
}

/** The server's iCalendar file of an appointment or a series, as a Blob. */
export async function ics(kind: 'appointments' | 'series', id: string): Promise<Blob> {
  const res = await send('GET', `/v1/${kind}/${encodeURIComponent(id)}/ics`, undefined, {
    Accept: 'text/calendar',
  });
  if (!res.ok) throw await failure(res);
  return res.blob();
}

export interface Rule {
  rrule: string;
  dtstart: string;
  start: string;
  end: string;
}

export interface TimeOff {
  start: string;
  end: string;
  reason?: string;
}

export interface Schedule {
  provider_id: string;
  timezone: string;
  rules: Rule[];
  overrides: unknown[];
  time_off: TimeOff[];
  version: number;
}

/** A provider's schedule (`GET /v1/providers/{id}/schedule`). */
export async function schedule(provider: string): Promise<Schedule> {
  return (await call<Schedule>('GET', `/v1/providers/${encodeURIComponent(provider)}/schedule`)).body;
}

/** Replace a provider's schedule (`PUT`, `If-Match`: the version read). */
export async function putSchedule(s: Schedule): Promise<Schedule> {
  const { rules, overrides, time_off, timezone } = s;
  return (
    await call<Schedule>(
      'PUT',
      `/v1/providers/${encodeURIComponent(s.provider_id)}/schedule`,
      { timezone, rules, overrides, time_off },
      { 'If-Match': `"${s.version}"` },
    )
  ).body;
}
