// UI strings in English and Spanish. Dates and times are not here: they are
// formatted with Intl in the chosen language (see time.ts).

const en = {
  skip: 'Skip to content',
  brand: 'hcas clinic',
  language: 'Language',
  signOut: 'Sign out',
  title: 'Find a time',
  signIn: 'Sign in',
  org: 'Organization',
  username: 'Username',
  password: 'Password',
  signInButton: 'Sign in',
  findHeading: 'Search',
  searchBy: 'Search by',
  byDoctor: 'Doctor',
  bySpecialty: 'Specialty (any doctor)',
  doctor: 'Doctor',
  specialty: 'Specialty',
  from: 'From',
  to: 'To (inclusive)',
  duration: 'Length',
  zone: 'Your time zone',
  searchButton: 'Find times',
  results: 'Available times',
  bookHeading: 'Your appointment',
  confirm: 'Confirm appointment',
  // Messages ({name} is replaced).
  signedIn: 'Signed in as {name}.',
  signedOut: 'Signed out.',
  fillSignIn: 'Enter the organization, username and password.',
  loading: 'Searching…',
  found: '{count} times found.',
  none: 'No free times in this range. Try other dates or another doctor.',
  zoneNote: 'Times are shown in {zone} (now {offset}).',
  badRange: 'Choose a "To" date on or after the "From" date, at most 31 days later.',
  badDates: 'Choose both dates.',
  with: 'with {names}',
  holdButton: 'Hold {time}',
  held: 'Held for you: {when} {who}.',
  remaining: 'Hold ends in {time}.',
  lapsed: 'The hold has ended. Choose a time again.',
  booked: 'Booked: {when} {who}.',
  taken: 'That time was just taken. Nearby times:',
  noAlternatives: 'That time was just taken, and there are no free times nearby.',
  staffOnly: 'Booking here is for patients; staff booking comes later.',
  failed: 'The server refused: {detail}',
  offline: 'The server could not be reached. Check your connection and try again.',
  expired: 'Your session ended. Sign in again.',
};

export type Key = keyof typeof en;
type Strings = Record<Key, string>;

const es: Strings = {
  skip: 'Saltar al contenido',
  brand: 'Clínica hcas',
  language: 'Idioma',
  signOut: 'Cerrar sesión',
  title: 'Buscar una cita',
  signIn: 'Iniciar sesión',
  org: 'Organización',
  username: 'Usuario',
  password: 'Contraseña',
  signInButton: 'Entrar',
  findHeading: 'Búsqueda',
  searchBy: 'Buscar por',
  byDoctor: 'Médico',
  bySpecialty: 'Especialidad (cualquier médico)',
  doctor: 'Médico',
  specialty: 'Especialidad',
  from: 'Desde',
  to: 'Hasta (incluido)',
  duration: 'Duración',
  zone: 'Su zona horaria',
  searchButton: 'Buscar horarios',
  results: 'Horarios disponibles',
  bookHeading: 'Su cita',
  confirm: 'Confirmar la cita',
  signedIn: 'Sesión iniciada como {name}.',
  signedOut: 'Sesión cerrada.',
  fillSignIn: 'Escriba la organización, el usuario y la contraseña.',
  loading: 'Buscando…',
  found: '{count} horarios encontrados.',
  none: 'No hay horarios libres en estas fechas. Pruebe otras fechas u otro médico.',
  zoneNote: 'Las horas se muestran en {zone} (ahora {offset}).',
  badRange: 'Elija una fecha «Hasta» igual o posterior a «Desde», como máximo 31 días después.',
  badDates: 'Elija las dos fechas.',
  with: 'con {names}',
  holdButton: 'Reservar {time}',
  held: 'Reservado para usted: {when} {who}.',
  remaining: 'La reserva termina en {time}.',
  lapsed: 'La reserva ha terminado. Elija un horario de nuevo.',
  booked: 'Cita confirmada: {when} {who}.',
  taken: 'Ese horario acaba de ocuparse. Horarios cercanos:',
  noAlternatives: 'Ese horario acaba de ocuparse y no hay horarios libres cerca.',
  staffOnly: 'Aquí reservan los pacientes; la reserva del personal llegará más adelante.',
  failed: 'El servidor lo rechazó: {detail}',
  offline: 'No se pudo contactar con el servidor. Compruebe la conexión e inténtelo de nuevo.',
  expired: 'Su sesión terminó. Inicie sesión de nuevo.',
};

export const LANGS = { en, es } as const;
export type Lang = keyof typeof LANGS;

let current: Lang = 'en';

export function lang(): Lang {
  return current;
}

/** The first supported language the browser prefers, else English. */
export function preferredLang(): Lang {
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'en' || base === 'es') return base;
  }
  return 'en';
}

/** The locale for Intl: the browser's own when it is of the chosen language
 * (keeps en-GB's day-month order), else the language itself. */
export function locale(): string {
  for (const l of navigator.languages ?? [navigator.language]) {
    if (l.toLowerCase().split('-')[0] === current) return l;
  }
  return current;
}

export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return LANGS[current][key].replace(/\{(\w+)\}/g, (_, name: string) =>
    name in vars ? String(vars[name]) : `{${name}}`,
  );
}

/** Switch language: every [data-i18n] element and <html lang>. */
export function setLang(l: Lang): void {
  current = l;
  document.documentElement.lang = l;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = el.dataset.i18n as Key;
    if (key in en) el.textContent = t(key);
  }
  document.title = `hcas: ${t('title')}`;
}
