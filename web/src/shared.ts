// Helpers the pages share: element lookup, Intl formatting, provider
// names, the status line and error texts.
import * as api from './api';
import { type Key, LANGS, locale, t } from './i18n';

export function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<'className' | 'textContent' | 'id' | 'type', string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
}

/** Provider id -> name, filled at sign-in. */
export const providerNames = new Map<string, string>();
/** Provider id -> IANA zone (UTC when the provider has none). */
export const providerZones = new Map<string, string>();

export function names(ids: string[]): string {
  const list = ids.map((id) => providerNames.get(id) ?? id);
  return new Intl.ListFormat(locale(), { style: 'long', type: 'conjunction' }).format(list);
}

export function timeFormat(zone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, timeStyle: 'short' });
}

export function dayFormat(zone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, dateStyle: 'full' });
}

export function whenText(zone: string, start: string): string {
  return (
    new Intl.DateTimeFormat(locale(), {
      timeZone: zone,
      dateStyle: 'full',
      timeStyle: 'short',
    }).format(Date.parse(start)) + ` (${zone})`
  );
}

export function statusLabel(status: string): string {
  const key = `st_${status}`;
  return key in LANGS.en ? t(key as Key) : status;
}

// ------------------------------------------------------------ status line

const status = $<HTMLParagraphElement>('status');
let message: { key: Key; vars: () => Record<string, string | number> } | null = null;

export function say(key: Key, vars: () => Record<string, string | number> = () => ({})): void {
  message = { key, vars };
  status.textContent = t(key, vars());
}

export function clearStatus(): void {
  message = null;
  status.textContent = '';
}

export function resay(): void {
  if (message) status.textContent = t(message.key, message.vars());
}

export function errorText(e: unknown): string {
  if (e instanceof api.ApiError) {
    if (e.status === 401 && !api.signedIn()) return t('expired');
    return t('failed', { detail: e.detail });
  }
  return t('offline');
}

/** An error with its stable code, for staff. */
export function codeText(e: unknown): string {
  if (e instanceof api.ApiError) {
    if (e.status === 401 && !api.signedIn()) return t('expired');
    return t('failedCode', { code: e.code, detail: e.detail });
  }
  return t('offline');
}
