"""FHIR R4 and R5 `Consent` import and export (hcas_core::fhir::consent)
through `Consent.from_fhir` and `Consent.to_fhir`: resources are plain dicts.
Expected elements come from the mapping tables of the engine's module docs
(crates/hcas-core/src/fhir/consent/mod.rs)."""

import copy
import datetime as dt
import json
from typing import Any, Literal

import pytest

import hcas
from hcas import Category, Consent, ConsentStatus, Match, Period, Provision, Purpose, Role

UTC = dt.timezone.utc
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


def t(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


def consent_md_c1() -> Consent:
    # CONSENT.md's example consent C1.
    return Consent.permit(
        "C1", "P1", t(2025, 3, 1),
        period=Period(t(2025, 1, 1), t(2026, 1, 1)),
        scope=Match(orgs=["Org1"]),
        provisions=[Provision(Match(purposes=[Purpose.HPAYMT]), [Provision(Match(categories=[Category.APPOINTMENTS]))])],
    )


def examples() -> list[Consent]:
    """Consents both versions can carry."""
    return [
        consent_md_c1(),
        Consent.deny("C2", "P1", t(2025, 3, 1), period=Period.until(t(2026, 1, 1)), provisions=[Provision(Match(roles=[Role.DOCTOR]))]),
        Consent.deny("C3", "P1", t(2025, 3, 1, 9, 30), provisions=[Provision(Match(actors=["Mum"]))]),
        Consent.permit(
            "C4", "P2", t(2024, 12, 31, 23, 59), status=ConsentStatus.DRAFT,
            provisions=[
                Provision(
                    Match(roles=[Role.RESEARCHER], purposes=[Purpose.HRESCH], actions=["read"], labels=["R", "V"],
                          data_period=Period(t(2010, 1, 1), t(2020, 1, 1))),
                    [Provision(Match(categories=[Category.LABS, Category.RECORDS], period=Period.since(t(2025, 6, 1))))],
                ),
                Provision(Match(orgs=["Org7"], actions=[hcas.Action.WRITE])),
            ],
        ),
    ]


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_export_then_import_is_the_same_consent(version: Literal["r4", "r5"]) -> None:
    for c in examples():
        resource = c.to_fhir(version)
        assert isinstance(resource, dict) and resource["resourceType"] == "Consent" and resource["id"] == c.id
        json.dumps(resource)  # plain JSON values only
        back = Consent.from_fhir(resource, version)
        assert back == c and hash(back) == hash(c), (version, c)
        # And through JSON text, as it would travel.
        assert Consent.from_fhir(json.loads(json.dumps(resource)), version=version) == c


def test_r4_elements() -> None:
    r4 = consent_md_c1().to_fhir()  # R4 is the default
    assert r4 == consent_md_c1().to_fhir("r4")
    # R4: patient.reference, dateTime, the root provision is the consent
    # itself (type, period), scope.orgs in `organization`, policyRule to match.
    assert r4["patient"] == {"reference": "Patient/P1"}
    assert r4["dateTime"] == "2025-03-01T00:00:00Z"
    assert r4["organization"] == [{"reference": "Organization/Org1"}]
    assert r4["policyRule"]["coding"][0]["code"] == "OPTIN"
    root = r4["provision"]
    assert root["type"] == "permit"
    assert root["period"] == {"start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}
    # Each nested provision has the opposite type of its parent.
    assert root["provision"][0]["type"] == "deny"
    assert root["provision"][0]["purpose"] == [{"system": ACT_REASON, "code": "HPAYMT"}]
    assert root["provision"][0]["provision"][0]["type"] == "permit"


def test_r5_elements() -> None:
    r5 = consent_md_c1().to_fhir("r5")
    # R5: subject, `date` (a day), `decision`, `period`, top-level provisions.
    assert r5["subject"] == {"reference": "Patient/P1"}
    assert r5["date"] == "2025-03-01" and r5["decision"] == "permit"
    assert r5["period"] == {"start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}
    assert r5["provision"][0]["purpose"] == [{"system": ACT_REASON, "code": "HPAYMT"}]
    assert "type" not in r5["provision"][0]
    # A date not at midnight rides in an extension.
    c3 = Consent.deny("C3", "P1", t(2025, 3, 1, 9, 30), provisions=[Provision(Match(actors=["Mum"]))])
    r5 = c3.to_fhir("r5")
    assert r5["date"] == "2025-03-01"
    assert r5["extension"][0]["url"] == "https://hcas.dev/fhir/StructureDefinition/consent-date-time"
    assert r5["provision"][0]["actor"][0]["reference"]["reference"] == "Practitioner/Mum"


def test_import_of_a_hand_written_r4_resource() -> None:
    # A date without a time starts at 00:00:00Z; a period end given as a date
    # includes that whole day (the exclusive end is the next midnight).
    resource: dict[str, Any] = {
        "resourceType": "Consent", "id": "C1", "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": "Patient/P1"}, "dateTime": "2025-03-01",
        "provision": {
            "type": "permit",
            "period": {"end": "2025-12-31"},
            "provision": [{"type": "deny", "purpose": [{"system": ACT_REASON, "code": "HMARKT"}]}],
        },
    }
    got = Consent.from_fhir(resource)
    assert got == Consent.permit("C1", "P1", t(2025, 3, 1), period=Period.until(t(2026, 1, 1)), provisions=[Provision(Match(purposes=[Purpose.HMARKT]))])
    assert resource["provision"]["period"] == {"end": "2025-12-31"}  # the dict is not changed


def test_invalid_resources_name_the_field() -> None:
    r4 = consent_md_c1().to_fhir("r4")
    r5 = consent_md_c1().to_fhir("r5")
    # A period whose end is not after its start breaks the consent model.
    bad = copy.deepcopy(r4)
    bad["provision"]["period"] = {"start": "2025-06-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}
    with pytest.raises(hcas.InvalidConsentError) as e:
        Consent.from_fhir(bad, "r4")
    assert e.value.code == "invalid_consent" and "provision.period" in e.value.message
    bad5 = copy.deepcopy(r5)
    bad5["provision"][0]["period"] = {"start": "2025-06-01T00:00:00Z", "end": "2025-06-01T00:00:00Z"}
    with pytest.raises(hcas.InvalidConsentError, match=r"provision\[0\]\.period"):
        Consent.from_fhir(bad5, "r5")
    # What hcas cannot represent: invalid_request, naming the JSON path.
    with pytest.raises(hcas.InvalidRequestError, match="is an R5 element"):
        Consent.from_fhir(r5, "r4")
    odd = copy.deepcopy(r4)
    odd["provision"]["provision"][0]["type"] = "permit"  # must be the opposite of its parent's
    with pytest.raises(hcas.InvalidRequestError, match=r"provision\.provision\[0\]\.type"):
        Consent.from_fhir(odd)
    no_status = {k: v for k, v in r5.items() if k != "status"}
    with pytest.raises(hcas.InvalidRequestError, match="status"):
        Consent.from_fhir(no_status, "r5")
    bad_date = dict(r4, dateTime="2025-13-01")
    with pytest.raises(hcas.InvalidDatetimeError, match="dateTime"):
        Consent.from_fhir(bad_date)
    with pytest.raises(hcas.InvalidRequestError, match="resource"):
        Consent.from_fhir({"id": object()})


def test_what_a_version_cannot_carry_is_refused_on_export() -> None:
    scoped = Consent.permit("C9", "P1", t(2025, 3, 1), scope=Match(period=Period.since(t(2025, 1, 1))))
    with pytest.raises(hcas.InvalidRequestError, match=r"scope\.period"):
        scoped.to_fhir("r4")
    # R5 carries it, in the scope modifier extension.
    assert Consent.from_fhir(scoped.to_fhir("r5"), "r5") == scoped
    both = Consent.deny("C9", "P1", t(2025, 3, 1), provisions=[Provision(Match(actors=["A"], orgs=["O"]))])
    for version in ("r4", "r5"):
        with pytest.raises(hcas.InvalidRequestError, match=r"provisions\[0\]\.orgs"):
            both.to_fhir(version)


def test_the_version_is_r4_or_r5() -> None:
    with pytest.raises(hcas.InvalidRequestError, match='version must be "r4" or "r5"'):
        consent_md_c1().to_fhir("stu3")  # type: ignore[arg-type]
    with pytest.raises(hcas.InvalidRequestError, match='version must be "r4" or "r5"'):
        Consent.from_fhir({}, "r6")  # type: ignore[arg-type]
