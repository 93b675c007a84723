// Independent check of hcas iCalendar output with ical.js (npm, pinned by
// package-lock.json; `npm ci` here). Used by crates/hcas-server/tests/feeds.rs.
//
// Usage: node check.mjs CALENDAR.ics EXPECTED.json
//
// Registers the calendar's own VTIMEZONEs (no other zone data), expands every
// event (RRULE, EXDATE, RECURRENCE-ID overrides) and compares the occurrences
// as UTC instants with their STATUS to EXPECTED.json (as check.py does).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [icsPath, wantPath] = process.argv.slice(2);
const cal = new ICAL.Component(ICAL.parse(readFileSync(icsPath, "utf8")));
for (const tz of cal.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(tz));
}

const utc = (t) => {
  if (t.zone === ICAL.Timezone.localTimezone) {
    throw new Error(`floating time ${t} (TZID not resolved from the calendar)`);
  }
  return new Date(t.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
};

const byUid = new Map();
for (const v of cal.getAllSubcomponents("vevent")) {
  const uid = v.getFirstPropertyValue("uid");
  if (!byUid.has(uid)) byUid.set(uid, []);
  byUid.get(uid).push(v);
}

const got = [];
for (const [uid, comps] of byUid) {
  const master = comps.find((c) => !c.hasProperty("recurrence-id"));
  if (!master) throw new Error(`${uid}: overrides without a master event`);
  const ev = new ICAL.Event(master);
  for (const c of comps) if (c !== master) ev.relateException(new ICAL.Event(c));
  if (!ev.isRecurring()) {
    got.push([utc(ev.startDate), utc(ev.endDate), String(master.getFirstPropertyValue("status"))]);
    continue;
  }
  const it = ev.iterator();
  for (let next = it.next(), n = 0; next; next = it.next(), n++) {
    if (n > 10000) throw new Error(`${uid}: endless recurrence`);
    const d = ev.getOccurrenceDetails(next);
    const status = d.item.component.getFirstPropertyValue("status");
    got.push([utc(d.startDate), utc(d.endDate), String(status)]);
  }
}

const key = (x) => x.join(" ");
const want = JSON.parse(readFileSync(wantPath, "utf8")).map((x) => [x.start, x.end, x.status]);
const g = got.map(key).sort();
const w = want.map(key).sort();
if (JSON.stringify(g) !== JSON.stringify(w)) {
  console.error("occurrences differ\n  calendar:", g, "\n  expected:", w);
  process.exit(1);
}
console.log(`ok: ${g.length} occurrences`);
