// Staff: one patient's consents (FHIR Consent) and the audit trail of their
// record (FHIR AuditEvent), each through POST _search so the patient id is
// never in a URL. Who may see them is the server's decision; a refusal says
// who may, with its stable code.
import * as api from './api';
import { locale, t } from './i18n';
import { $, el, errorText } from './shared';

const ui = {
  heading: $<HTMLElement>('access-h'),
  form: $<HTMLFormElement>('access-form'),
  patient: $<HTMLInputElement>('access-patient'),
  error: $<HTMLParagraphElement>('access-error'),
  result: $<HTMLDivElement>('access-result'),
  consentsError: $<HTMLParagraphElement>('consents-error'),
  consents: $<HTMLDivElement>('consents'),
  auditNote: $<HTMLParagraphElement>('audit-note'),
  auditError: $<HTMLParagraphElement>('audit-error'),
  audit: $<HTMLDivElement>('audit'),
};

const PATIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const AUDIT_PAGE = 200;

interface Coding {
  code?: string;
}
interface Provision {
  type?: string;
  period?: { start?: string; end?: string };
  purpose?: Coding[];
  actor?: { role?: { coding?: Coding[] }; reference?: { reference?: string; display?: string } }[];
  class?: Coding[];
  action?: { coding?: Coding[] }[];
  provision?: Provision[];
}
interface Consent {
  id: string;
  status: string;
  dateTime?: string;
  provision?: Provision;
}
interface AuditEvent {
  id: string;
  recorded: string;
  action?: string;
  outcome?: string;
  outcomeDesc?: string;
  subtype?: { code?: string; display?: string }[];
  agent?: { who?: { reference?: string; identifier?: { value?: string } }; role?: { coding?: Coding[] }[] }[];
  entity?: { what?: { reference?: string; identifier?: { value?: string } } }[];
  purposeOfEvent?: { coding?: Coding[] }[];
}

let data: {
  consents: Consent[] | api.ApiError | Error;
  audit: AuditEvent[] | api.ApiError | Error;
} | null = null;

export function reset(): void {
  data = null;
  ui.result.hidden = true;
  ui.consents.replaceChildren();
  ui.audit.replaceChildren();
  ui.error.textContent = '';
  ui.patient.value = '';
}

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void load();
});

async function load(): Promise<void> {
  ui.error.textContent = '';
  const id = ui.patient.value.trim();
  const ok = PATIENT_ID.test(id);
  ui.patient.setAttribute('aria-invalid', String(!ok));
  if (!ok) {
    ui.error.textContent = t('accessBadId');
    return;
  }
  const settle = async <T>(p: Promise<T>): Promise<T | Error> => p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  const [consents, audit] = await Promise.all([
    settle(api.fhirSearch<Consent>('Consent', [['patient', id]])),
    settle(
      api.fhirSearch<AuditEvent>('AuditEvent', [
        ['patient', `Patient/${id}`],
        ['_count', String(AUDIT_PAGE)],
      ]),
    ),
  ]);
  data = { consents, audit };
  render();
  ui.heading.focus();
}

function refusal(e: Error, which: 'accessNoConsents' | 'accessNoAudit'): string {
  if (e instanceof api.ApiError && e.status === 403) return t(which, { code: e.code });
  return errorText(e);
}

const codes = (list: Coding[] | undefined): string[] => (list ?? []).map((c) => c.code ?? '').filter(Boolean);

/** In the zone chosen under "Find a time" (the browser's by default). */
function when(at: string): string {
  const zone = $<HTMLSelectElement>('zone').value || undefined;
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, dateStyle: 'medium', timeStyle: 'medium' }).format(
    Date.parse(at),
  );
}

function provisionText(p: Provision | undefined): string {
  if (!p) return '';
  const parts: string[] = [t(p.type === 'deny' ? 'decisionDeny' : 'decisionPermit')];
  const purposes = codes(p.purpose);
  if (purposes.length) parts.push(t('forPurposes', { list: purposes.join(', ') }));
  const roles = (p.actor ?? []).flatMap((a) => codes(a.role?.coding)).filter((c) => c !== 'PRCP');
  const actors = (p.actor ?? []).map((a) => a.reference?.reference ?? '').filter(Boolean);
  if (roles.length) parts.push(t('toRoles', { list: [...new Set(roles)].join(', ') }));
  if (actors.length) parts.push(t('toActors', { list: [...new Set(actors)].join(', ') }));
  const classes = codes(p.class);
  if (classes.length) parts.push(t('ofData', { list: classes.join(', ') }));
  if (p.period?.start || p.period?.end) {
    parts.push(t('inPeriod', { from: p.period.start ? when(p.period.start) : '…', to: p.period.end ? when(p.period.end) : '…' }));
  }
  return parts.join('; ');
}

export function render(): void {
  if (!data) return;
  ui.result.hidden = false;
  const { consents, audit } = data;
  ui.consentsError.textContent = '';
  ui.auditError.textContent = '';
  ui.auditNote.textContent = '';
  if (consents instanceof Error) {
    ui.consentsError.textContent = refusal(consents, 'accessNoConsents');
    ui.consents.replaceChildren();
  } else if (!consents.length) {
    ui.consents.replaceChildren(el('p', { textContent: t('noConsents') }));
  } else {
    const ul = el('ul', { className: 'consents' });
    for (const c of consents) {
      const li = el('li');
      li.dataset.id = c.id;
      li.dataset.status = c.status;
      const head = el('p', { className: 'who' }, el('span', { className: 'badge', textContent: t(c.status === 'active' ? 'consentActive' : 'consentInactive') }), ' ', c.dateTime ? t('consentSince', { when: when(c.dateTime) }) : '');
      const main = el('p', { className: 'provision', textContent: provisionText(c.provision) });
      li.append(head, main);
      const nested = c.provision?.provision ?? [];
      if (nested.length) {
        const sub = el('ul');
        for (const n of nested) sub.append(el('li', { textContent: t('except', { what: provisionText(n) }) }));
        li.append(sub);
      }
      ul.append(li);
    }
    ui.consents.replaceChildren(ul);
  }
  if (audit instanceof Error) {
    ui.auditError.textContent = refusal(audit, 'accessNoAudit');
    ui.audit.replaceChildren();
    return;
  }
  if (!audit.length) {
    ui.audit.replaceChildren(el('p', { textContent: t('noAudit') }));
    return;
  }
  ui.auditNote.textContent = t(audit.length >= AUDIT_PAGE ? 'auditFirst' : 'auditAll', { count: audit.length });
  const table = el('table', { className: 'audit' });
  const head = el('tr');
  for (const k of ['auditWhen', 'auditWho', 'auditWhat', 'auditOutcome', 'auditPurpose'] as const) {
    const th = el('th', { textContent: t(k) });
    th.scope = 'col';
    head.append(th);
  }
  const body = el('tbody');
  for (const e of audit) {
    const tr = el('tr');
    tr.dataset.id = e.id;
    const agent = e.agent?.[0];
    const who = agent?.who?.reference ?? agent?.who?.identifier?.value ?? '';
    const role = codes(agent?.role?.[0]?.coding)[0];
    const what = e.entity?.[0]?.what?.reference ?? e.entity?.[0]?.what?.identifier?.value ?? '';
    const outcome = e.outcome === '0' ? t('auditOk') : e.outcome === '4' ? t('auditDenied') : t('auditError');
    const purpose = codes(e.purposeOfEvent?.[0]?.coding)[0] ?? '';
    const cells = [when(e.recorded), role ? `${who} (${role})` : who, `${e.subtype?.[0]?.code ?? e.action ?? ''} ${what}`.trim(), outcome, purpose];
    tr.dataset.outcome = e.outcome ?? '';
    for (const c of cells) tr.append(el('td', { textContent: c }));
    body.append(tr);
  }
  table.append(el('thead', {}, head), body);
  ui.audit.replaceChildren(table);
}
