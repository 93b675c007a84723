"""A sample using explain, alternatives and the FHIR mapping, checked by
`mypy --strict` (scripts/test) and run by test_typed_fhir.py: the stubs must
describe what the package does. It uses every name those areas add."""

import datetime as dt
from typing import Any, Optional

import hcas

UTC = dt.timezone.utc
NINE = dt.datetime(2026, 5, 4, 9, tzinfo=UTC)  # a Monday; 10:00 in London (BST)
HALF = dt.timedelta(minutes=30)


def london_mornings() -> hcas.Availability:
    """Weekdays 09:00-12:00 in London."""
    rule = hcas.WorkingRule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "09:00", "12:00", dtstart=dt.date(2026, 1, 5))
    return hcas.Availability("Europe/London", [rule])


def why_not(avail: hcas.Availability, at: dt.datetime) -> list[str]:
    """Each reason `at` is not offered, with what it carries, as text."""
    why: hcas.Explanation = avail.explain(at, NINE - dt.timedelta(hours=9), NINE + dt.timedelta(hours=15), HALF)
    out: list[str] = []
    for r in why.reasons:
        kind: hcas.Reason = r.reason
        parts: list[Any] = [kind.value, r.from_, r.to, r.earliest, r.latest, r.local_date, r.override_date]
        parts += [r.nearest, r.window, r.step, r.previous, r.next, r.interval, r.conflict]
        out.append(" ".join(str(p) for p in parts if p is not None))
    again: hcas.Explanation = hcas.Explanation.from_dict(why.to_dict())
    same: list[hcas.ExplanationReason] = [hcas.ExplanationReason.from_dict(r.to_dict()) for r in again.reasons]
    out.append(f"offered={why.offered} start={why.start.isoformat()} same={list(why.reasons) == same}")
    return out


def around(avail: hcas.Availability, ledger: hcas.Ledger) -> list[str]:
    """The ledger's conflict at 09:00Z and the nearest free starts around it."""
    ctx = hcas.LedgerContext(ledger, ["provider:P1"], NINE - dt.timedelta(days=1))
    held: hcas.Ledger = ctx.ledger
    why = hcas.explain_with_ledger(avail, ctx, NINE, NINE - dt.timedelta(hours=9), NINE + dt.timedelta(hours=15), HALF)
    alt: hcas.Alternatives = hcas.alternatives(
        avail, held, ctx.resources, NINE, NINE + HALF, now=ctx.now, count=1, step=None, search_days=1
    )
    same = alt == hcas.Alternatives(before=alt.before, after=alt.after)
    return [str(why.reasons[0].reason), " ".join(t.isoformat() for t in alt.before + alt.after), str(same)]


def fhir_round_trips() -> list[str]:
    """Each mapping out and back, as text."""
    booking = hcas.Booking("a1", ["provider:P1", "patient:X1"], NINE, NINE + HALF)
    appt: dict[str, Any] = hcas.appointment_to_fhir(booking)
    back: hcas.Booking = hcas.appointment_from_fhir(appt)
    lines = [f"{appt['status']} {appt['participant'][1]['actor']['reference']} {back == booking}"]
    occ = {**appt, "extension": [
        {"url": "https://hcas.dev/fhir/StructureDefinition/recurrence-id", "valueString": "2026-05-04T10:00:00"},
        {"url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment",
         "valueReference": {"reference": "Appointment/s1"}},
    ]}
    occurrence = hcas.appointment_from_fhir(occ)
    numbers: list[int] = hcas.recurrence_numbers([occurrence])
    numbered = hcas.occurrence_to_fhir(occurrence, numbers[0])
    lines.append(f"{numbers} {numbered['extension'][-1]['valuePositiveInt']}")

    starts = london_mornings().slots(NINE, NINE + dt.timedelta(hours=2), HALF)
    slots: list[dict[str, Any]] = hcas.slots_to_fhir("dr-lee", starts, HALF)
    one: hcas.FhirSlot = hcas.slot_from_fhir(slots[0])
    status: hcas.SlotStatus = one.status
    made = hcas.FhirSlot(one.schedule, one.start, one.end, hcas.SlotStatus.FREE, id=one.id, service_types=one.service_types)
    parsed: Optional[tuple[str, dt.datetime]] = hcas.parse_slot_id(one.id)
    single = hcas.slot_to_fhir("dr-lee", NINE, NINE + HALF, "busy")
    lines.append(f"{len(slots)} {one.id} {status.value} {made == one} {made.to_fhir() == slots[0]} {parsed} {single['status']}")
    lines.append(",".join(hcas.SLOT_STATUSES))

    hours = hcas.ScheduleAvailability("Europe/London", london_mornings().rules)
    sched = hcas.FhirSchedule("dr-lee", ["provider:P1"], planning_horizon=(NINE, NINE + dt.timedelta(days=7)), availability=hours)
    res: dict[str, Any] = hcas.schedule_to_fhir(sched)
    read: hcas.FhirSchedule = hcas.schedule_from_fhir(res)
    avail: Optional[hcas.ScheduleAvailability] = read.availability
    zone: Optional[hcas.Zone] = avail.zone if avail is not None else None
    rules = len(avail.rules) if avail is not None else 0
    got = avail.to_availability() == london_mornings() if avail is not None else False
    lines.append(f"{read == sched} {read.id} {read.actors} {read.active} {read.specialties} {read.planning_horizon is not None} {zone} {rules} {got}")

    entry = hcas.SearchEntry.matched("http://h/fhir/r4", appt)
    inc = hcas.SearchEntry.included("http://h/fhir/r4", res)
    bundle = hcas.searchset(2, "http://h/x", None, [entry, inc])
    page = hcas.searchset_page("http://h/x", "http://h/x?page=2", [entry])
    lines.append(f"{bundle['total']} {entry.full_url} {inc.mode} {entry.resource == appt} {page['link'][1]['relation']}")
    oo = hcas.operation_outcome("invalid", "invalid_request", "bad")
    conflict = hcas.conflict_outcome("taken", [hcas.Conflict("provider:P1", ["b1"])])
    lines.append(f"{oo['issue'][0]['details']['coding'][0]['system'] == hcas.ERROR_SYSTEM} {conflict['issue'][1]['diagnostics']}")

    facts = hcas.AuditFacts("7", NINE, "D1", "patient.read", "patient:X1", "permit", roles=["doctor"], patient="X1")
    event = hcas.audit_event_to_fhir(facts)
    lines.append(
        f"{event['action']} {event['outcome']} {facts.id} {facts.recorded.isoformat()} {facts.actor} {facts.action} "
        f"{facts.target} {facts.outcome} {facts.roles} {facts.patient} {facts.purpose} {facts.details} {facts.site}"
    )

    weekly = hcas.RecurrenceTemplate(
        "Europe/London", hcas.RecurrenceType.WEEKLY, days=["MO"], interval=1, occurrence_count=3,
        last_occurrence_date=None, occurrence_dates=[dt.date(2026, 5, 6)], excluding_dates=[dt.date(2026, 5, 11)],
    )
    series = hcas.FhirSeries(booking, weekly)
    template_appt: dict[str, Any] = hcas.series_to_fhir(series)
    read_series: Optional[hcas.FhirSeries] = hcas.series_from_fhir(template_appt)
    ext: dict[str, Any] = weekly.to_fhir()
    again = hcas.RecurrenceTemplate.from_fhir(ext, path="extension[0]")
    rec: hcas.Recurrence = weekly.recurrence(dt.datetime(2026, 5, 4, 10))
    kind: hcas.RecurrenceType = again.recurrence_type
    lines.append(
        f"{read_series == series} {again == weekly} {kind.value} {again.days} {again.day} {again.interval} "
        f"{again.occurrence_count} {again.last_occurrence_date} {again.occurrence_dates} {again.excluding_dates} {again.zone} "
        f"{[t.isoformat() for t in rec.between(NINE, NINE + dt.timedelta(days=30))]} "
        f"{series.template.id} {series.recurrence == weekly}"
    )
    return lines


def main() -> list[str]:
    """Everything above, as text."""
    avail = london_mornings()
    lines = why_not(avail, NINE + dt.timedelta(hours=4))
    ledger = hcas.Ledger([hcas.Booking("b1", ["provider:P1"], NINE, NINE + HALF)])
    lines += around(avail, ledger)
    try:
        avail.explain(dt.datetime(2026, 5, 4, 9), NINE, NINE + HALF, HALF)
    except hcas.InvalidDatetimeError as e:
        lines.append(e.code)
    return lines + fhir_round_trips()


if __name__ == "__main__":
    print("\n".join(main()))
