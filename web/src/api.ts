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

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const h: Record<string, string> = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  const date = res.headers.get('Date');
  if (date) {
    const server = Date.parse(date);
    if (!Number.isNaN(server)) skew = server - Date.now();
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as { code?: string; detail?: string; title?: string };
    if (res.status === 401) token = null;
    throw new ApiError(res.status, p.code ?? 'error', p.detail ?? p.title ?? res.statusText, parsed);
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
