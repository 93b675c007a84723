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
  // Navigation and the new pages.
  navLabel: 'Pages',
  navFind: 'Find a time',
  navMine: 'My appointments',
  navDay: 'Day schedule',
  mineHeading: 'My appointments',
  upcoming: 'Upcoming',
  past: 'Past and cancelled',
  noAppointments: 'You have no appointments.',
  mineZone: 'Times are shown in {zone}. Change the zone under "Find a time".',
  series: 'Recurring series: {count} visits',
  addCalendar: 'Add to calendar',
  addSeries: 'Add the series to calendar',
  cancelButton: 'Cancel…',
  cancelHeading: 'Cancel this appointment?',
  reason: 'Reason',
  reasonMissing: 'Write a reason for the cancellation.',
  policyFree: 'Cancelling now is within the policy: not a late cancellation, and the time is freed for others.',
  policyLate: 'This is a late cancellation: {minutes} minutes before the start. The clinic may record it.',
  policyRefused: 'This appointment can no longer be cancelled here ({code}).',
  policyUnknown: 'The outcome could not be checked in advance; it is shown after cancelling.',
  confirmCancel: 'Cancel the appointment',
  keep: 'Keep it',
  cancelled: 'Cancelled: {when}.',
  cancelledLate: 'Cancelled: {when}. Recorded as a late cancellation ({minutes} minutes before the start).',
  dayHeading: 'Day schedule',
  dayDate: 'Day',
  dayProvider: 'Provider',
  showDay: 'Show the day',
  dayZone: "Times are in the provider's zone, {zone}.",
  dayEmpty: 'No appointments on this day.',
  dayCount: '{count} appointments.',
  colTime: 'Time',
  colPatient: 'Patient',
  colStatus: 'Status',
  colActions: 'Actions',
  checkIn: 'Check in',
  noShow: 'No-show',
  complete: 'Complete',
  cancelShort: 'Cancel',
  done: '{action}: {who}, {time}.',
  failedCode: 'Refused ({code}): {detail}',
  staffOnlyPage: 'The day schedule is for staff.',
  st_held: 'Held',
  st_pending: 'Pending',
  st_booked: 'Booked',
  'st_checked-in': 'Checked in',
  st_arrived: 'Arrived',
  st_fulfilled: 'Completed',
  st_cancelled: 'Cancelled',
  st_noshow: 'No-show',
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
  navLabel: 'Páginas',
  navFind: 'Buscar una cita',
  navMine: 'Mis citas',
  navDay: 'Agenda del día',
  mineHeading: 'Mis citas',
  upcoming: 'Próximas',
  past: 'Pasadas y canceladas',
  noAppointments: 'No tiene citas.',
  mineZone: 'Las horas se muestran en {zone}. Cambie la zona en «Buscar una cita».',
  series: 'Serie periódica: {count} visitas',
  addCalendar: 'Añadir al calendario',
  addSeries: 'Añadir la serie al calendario',
  cancelButton: 'Cancelar…',
  cancelHeading: '¿Cancelar esta cita?',
  reason: 'Motivo',
  reasonMissing: 'Escriba un motivo para la cancelación.',
  policyFree: 'Cancelar ahora está dentro de la política: no es una cancelación tardía y el horario queda libre para otros.',
  policyLate: 'Es una cancelación tardía: {minutes} minutos antes del inicio. La clínica puede registrarla.',
  policyRefused: 'Esta cita ya no se puede cancelar aquí ({code}).',
  policyUnknown: 'No se pudo comprobar el resultado de antemano; se muestra después de cancelar.',
  confirmCancel: 'Cancelar la cita',
  keep: 'Mantenerla',
  cancelled: 'Cancelada: {when}.',
  cancelledLate: 'Cancelada: {when}. Registrada como cancelación tardía ({minutes} minutos antes del inicio).',
  dayHeading: 'Agenda del día',
  dayDate: 'Día',
  dayProvider: 'Profesional',
  showDay: 'Mostrar el día',
  dayZone: 'Las horas están en la zona del profesional, {zone}.',
  dayEmpty: 'No hay citas este día.',
  dayCount: '{count} citas.',
  colTime: 'Hora',
  colPatient: 'Paciente',
  colStatus: 'Estado',
  colActions: 'Acciones',
  checkIn: 'Registrar llegada',
  noShow: 'No se presentó',
  complete: 'Completar',
  cancelShort: 'Cancelar',
  done: '{action}: {who}, {time}.',
  failedCode: 'Rechazado ({code}): {detail}',
  staffOnlyPage: 'La agenda del día es para el personal.',
  st_held: 'Reservada',
  st_pending: 'Pendiente',
  st_booked: 'Confirmada',
  'st_checked-in': 'Llegada registrada',
  st_arrived: 'Llegó',
  st_fulfilled: 'Completada',
  st_cancelled: 'Cancelada',
  st_noshow: 'No se presentó',
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
  const h1 = document.getElementById('title');
  document.title = `hcas: ${t((h1?.dataset.i18n as Key | undefined) ?? 'title')}`;
}
