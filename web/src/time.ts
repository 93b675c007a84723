// Time zone arithmetic with Intl only (no zone data shipped): the wall
// clock of an instant in a zone, and the instant of a local midnight,
// DST-correct (a midnight inside a gap moves forward, as RFC 5545's
// "compatible" rule and hcas-core do).

const partsFormat = new Map<string, Intl.DateTimeFormat>();

function wallFormat(zone: string): Intl.DateTimeFormat {
  let f = partsFormat.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormat.set(zone, f);
  }
  return f;
}

interface Wall {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

export function wall(zone: string, t: number): Wall {
  const p: Record<string, number> = {};
  for (const part of wallFormat(zone).formatToParts(t)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return { y: p.year, m: p.month, d: p.day, h: p.hour % 24, mi: p.minute, s: p.second };
}

/** The zone's UTC offset at instant t, in ms. */
export function offsetAt(zone: string, t: number): number {
  const w = wall(zone, t);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s);
  return asUtc - (t - (((t % 1000) + 1000) % 1000));
}

/** "YYYY-MM-DD" of instant t in the zone. */
export function localDay(zone: string, t: number): string {
  const w = wall(zone, t);
  return `${String(w.y).padStart(4, '0')}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/** The instant the local day "YYYY-MM-DD" starts in the zone. */
export function startOfDay(zone: string, day: string): number {
  return instantOf(zone, day, '00:00');
}

/** The instant of local "YYYY-MM-DD" "HH:MM" in the zone: one of the two
 * when the clock repeats it (DST ends); when it does not exist (DST starts)
 * the wall time the clock shows after moving on (02:30 becomes 03:30). */
export function instantOf(zone: string, day: string, time: string): number {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const target = Date.UTC(y, m - 1, d, hh, mm);
  const t1 = target - offsetAt(zone, target);
  const t2 = target - offsetAt(zone, t1);
  if (t1 === t2) return t1;
  const w = wall(zone, t2);
  if (Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) === target) return t2;
  // The wall time does not exist (a gap): the later reading.
  return Math.max(t1, t2);
}

/** "YYYY-MM-DD" plus n days (calendar arithmetic, no zone). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Whole days from a to b ("YYYY-MM-DD"). */
export function daysBetween(a: string, b: string): number {
  const [ay, am, ad] = a.split('-').map(Number);
  const [by, bm, bd] = b.split('-').map(Number);
  return Math.round((Date.UTC(by, bm - 1, bd) - Date.UTC(ay, am - 1, ad)) / 86_400_000);
}

/** RFC 3339 UTC without milliseconds, as the API takes it. */
export function rfc3339(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "GMT+09:00"-style offset of the zone now, in the given locale. */
export function offsetName(zone: string, locale: string, t: number): string {
  const part = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(t)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? zone;
}

/** Every IANA zone the browser knows, with the browser's own first found. */
export function zones(): { list: string[]; own: string } {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  let list: string[] = [];
  try {
    list = Intl.supportedValuesOf('timeZone');
  } catch {
    list = [];
  }
  if (!list.includes('UTC')) list = [...list, 'UTC'];
  if (!list.includes(own)) list = [...list, own];
  return { list: list.sort(), own };
}
