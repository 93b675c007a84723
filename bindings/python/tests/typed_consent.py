"""A sample using the consent API, checked by `mypy --strict` (scripts/test)
and run by test_typed_consent.py: the stubs must describe what the package
does. It uses every consent name the package exports."""

import datetime as dt
from typing import Any, Optional

import hcas
from hcas import (
    Accessor,
    Action,
    AppointmentKind,
    Basis,
    BookingQuestion,
    BookingVerdict,
    BreakGlass,
    Category,
    CompiledConsents,
    Consent,
    ConsentRequest,
    ConsentStatus,
    Decision,
    Effect,
    Match,
    Period,
    Provision,
    Purpose,
    Refusal,
    RefusalCheck,
    Rights,
    Role,
    RolePolicy,
)

UTC = dt.timezone.utc


def no_marketing(patient: str, given: dt.datetime) -> Consent:
    """Everything but marketing, except marketing by Org1 in 2026."""
    in_2026: Period = Period(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))
    except_org1 = Provision(Match(orgs=["Org1"], period=in_2026))
    return Consent.permit(patient, patient, given, provisions=[Provision(Match(purposes=[Purpose.HMARKT]), [except_org1])])


def explain(d: Decision) -> str:
    """A decision in one line."""
    effect: Effect = d.decision
    basis: Basis = d.basis
    consent: Optional[str] = d.consent
    path: tuple[int, ...] = d.path
    obligations: tuple[str, ...] = d.obligations
    return f"{effect.value} {basis.value} {consent} {list(path)} {list(obligations)} {d.is_permit()}"


def main() -> list[str]:
    """Decisions, a booking verdict and a FHIR round trip, as text."""
    at = dt.datetime(2026, 6, 1, 12, tzinfo=UTC)
    consent = no_marketing("Pat1", dt.datetime(2026, 1, 1, tzinfo=UTC))
    desk = Accessor("Fd1", "Org1", [Role.ADMIN])
    lines: list[str] = []
    marketing = RolePolicy().with_role(Role.ADMIN, Rights.all())
    for purpose in (Purpose.HMARKT, "HOPERAT"):
        request = ConsentRequest(desk, "Pat1", Category.APPOINTMENTS, Action.READ, purpose, at)
        lines.append(explain(hcas.decide(request, [consent], marketing)))
    nurse = Accessor("Nu1", "Org2", ["nurse"])
    glass = BreakGlass("unconscious", at - dt.timedelta(minutes=20))
    urgent = ConsentRequest(nurse, "Pat1", "records", "read", "ETREAT", at, break_glass=glass, labels=["R"])
    lines.append(explain(hcas.decide(urgent, [consent])))
    compiled = CompiledConsents("Pat1", [consent], marketing)
    found: Optional[Decision] = compiled.by_consent(urgent)
    lines.append(f"{len(compiled)} {found is not None}")
    question = BookingQuestion(desk, "Pat1", at, kind=AppointmentKind.TELEHEALTH)
    verdict: BookingVerdict = hcas.booking_allowed(question, [consent])
    checks: list[RefusalCheck] = [r.check for r in verdict.refusals]
    first: Optional[Refusal] = verdict.refusals[0] if verdict.refusals else None
    lines.append(f"{verdict.allowed} {[c.value for c in checks]} {first is not None and first.decision is None}")
    r4: dict[str, Any] = consent.to_fhir("r4")
    back = Consent.from_fhir(r4, version="r4")
    status: ConsentStatus = back.status
    lines.append(f"{back == consent} {status.value} {Consent.from_fhir(consent.to_fhir('r5'), 'r5') == consent}")
    vocabulary: dict[str, list[str]] = hcas.CONSENT_VOCABULARY
    booking: Purpose = hcas.BOOKING_PURPOSE
    limits: tuple[str, int, int, str] = (
        hcas.AUDIT_BREAK_GLASS, hcas.BREAK_GLASS_SECONDS, hcas.MAX_PROVISION_DEPTH, hcas.TELEHEALTH_LABEL
    )
    lines.append(f"{vocabulary['Effect']} {booking.value} {limits[0]} {limits[1]} {limits[3]}")
    try:
        Consent.deny("K", "Pat1", dt.datetime(2026, 1, 1))
    except hcas.InvalidDatetimeError as e:
        lines.append(e.code)
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
