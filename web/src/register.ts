// The register form beside sign-in: a new patient creates their account
// (`POST /v1/auth/register`, on when the server's `self_registration` is)
// and is signed in by its answer, like a login. Errors are shown under their
// field (aria-invalid, aria-describedby), summed up in a role=alert line, and
// focus moves to the first field in error.
import * as api from './api';
import { type Key, lang, t } from './i18n';
import { $, errorText } from './shared';

type Field = 'org' | 'name' | 'birth' | 'username' | 'password';
const FIELDS: Field[] = ['org', 'name', 'birth', 'username', 'password'];
const LABELS: Record<Field, Key> = {
  org: 'org',
  name: 'regName',
  birth: 'regBirth',
  username: 'username',
  password: 'password',
};
const MIN_PASSWORD = 12;

const ui = {
  signinSection: $<HTMLElement>('signin-section'),
  section: $<HTMLElement>('register-section'),
  heading: $<HTMLElement>('register-h'),
  form: $<HTMLFormElement>('register'),
  error: $<HTMLParagraphElement>('register-error'),
  showRegister: $<HTMLButtonElement>('show-register'),
  showSignin: $<HTMLButtonElement>('show-signin'),
  submit: document.querySelector<HTMLButtonElement>('#register button[type=submit]')!,
  org: $<HTMLInputElement>('reg-org'),
  name: $<HTMLInputElement>('reg-name'),
  birth: $<HTMLInputElement>('reg-birth'),
  username: $<HTMLInputElement>('reg-username'),
  password: $<HTMLInputElement>('reg-password'),
};

/** The errors shown, by field (keys, so a language change re-renders them),
 * and a form-level one. */
let errors: Partial<Record<Field, Key>> = {};
let formError: { key: Key } | { text: string } | null = null;

function input(f: Field): HTMLInputElement {
  return ui[f];
}

/** Show `errors` and `formError`; move focus to the first field in error
 * (or the alert's form) when `focus`. */
function render(focus = false): void {
  for (const f of FIELDS) {
    const key = errors[f];
    input(f).setAttribute('aria-invalid', String(!!key));
    $(`reg-${f}-error`).textContent = key ? t(key) : '';
  }
  const bad = FIELDS.filter((f) => errors[f]);
  if (bad.length > 0) {
    ui.error.textContent = t('regFix', {
      count: bad.length,
      fields: bad.map((f) => t(LABELS[f]).replace(/\s*\(.*\)$/, '')).join(', '),
    });
  } else if (formError) {
    ui.error.textContent = 'key' in formError ? t(formError.key) : formError.text;
  } else {
    ui.error.textContent = '';
  }
  if (focus && bad.length > 0) input(bad[0]).focus();
}

/** The checks the server makes too, so most mistakes are caught here. */
function check(): void {
  errors = {};
  formError = null;
  const username = ui.username.value.trim();
  const password = ui.password.value;
  if (ui.org.value.trim() === '') errors.org = 'regNeedOrg';
  if (ui.name.value.trim() === '') errors.name = 'regNeedName';
  else if ([...ui.name.value.trim()].length > 200) errors.name = 'regBadName';
  if (ui.birth.value !== '' && ui.birth.value > new Date().toISOString().slice(0, 10)) errors.birth = 'regBadBirth';
  if (username === '' || /\s/.test(username) || new TextEncoder().encode(username).length > 100) {
    errors.username = 'regNeedUsername';
  }
  if ([...password].length < MIN_PASSWORD) errors.password = 'regShortPassword';
  else if (new TextEncoder().encode(password).length > 1024) errors.password = 'regLongPassword';
  else if (password.toLowerCase() === username.toLowerCase()) errors.password = 'regPasswordIsUsername';
}

/** The server's refusal, on the field its stable code names. */
function refused(e: unknown): void {
  errors = {};
  formError = null;
  const code = e instanceof api.ApiError ? e.code : '';
  const detail = e instanceof api.ApiError ? e.detail : '';
  const byCode: Record<string, [Field, Key]> = {
    username_taken: ['username', 'regUsernameTaken'],
    invalid_username: ['username', 'regNeedUsername'],
    weak_password: ['password', detail.includes('username') ? 'regPasswordIsUsername' : 'regShortPassword'],
    password_too_long: ['password', 'regLongPassword'],
    invalid_name: ['name', 'regBadName'],
    invalid_birth_date: ['birth', 'regBadBirth'],
    forbidden: ['org', 'regUnknownOrg'],
  };
  const hit = byCode[code];
  if (hit) errors[hit[0]] = hit[1];
  else if (code === 'invalid_request' && detail.startsWith('org')) errors.org = 'regUnknownOrg';
  else if (code === 'registration_disabled') formError = { key: 'regDisabled' };
  else formError = { text: errorText(e) };
}

/** Set up the form; `signedIn` takes over once the account exists. */
export function init(signedIn: (me: api.WhoAmI, username: string) => Promise<void>): void {
  ui.showRegister.addEventListener('click', () => {
    ui.signinSection.hidden = true;
    ui.section.hidden = false;
    ui.heading.focus();
  });
  ui.showSignin.addEventListener('click', () => {
    reset();
    $('username').focus();
  });
  ui.form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    check();
    if (FIELDS.some((f) => errors[f])) {
      render(true);
      return;
    }
    render();
    const username = ui.username.value.trim();
    ui.submit.disabled = true;
    try {
      const me = await api.register({
        org: ui.org.value.trim(),
        username,
        password: ui.password.value,
        name: ui.name.value.trim(),
        birth_date: ui.birth.value || undefined,
        // The zone the pages show times in (the browser's), and the language
        // chosen here: the clinic's messages use them.
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || undefined,
        language: lang(),
      });
      ui.password.value = '';
      ui.section.hidden = true;
      await signedIn(me, username);
    } catch (e) {
      api.signOut();
      refused(e);
      render(true);
      if (!FIELDS.some((f) => errors[f])) ui.submit.focus();
    } finally {
      ui.submit.disabled = false;
    }
  });
}

/** Re-render the messages in the current language. */
export function rerender(): void {
  render();
}

/** Back to sign-in: the form emptied (sign-out, "Sign in instead"). */
export function reset(): void {
  errors = {};
  formError = null;
  for (const f of FIELDS) if (f !== 'org') input(f).value = '';
  render();
  ui.section.hidden = true;
  ui.signinSection.hidden = false;
}
