"""A sample using the FHIR operation and search shapes, checked by
`mypy --strict` (scripts/test) and run by test_typed_fhir_search.py: the stubs
must describe what the package does. It uses every name that area adds
(Parameter, read_parameters, Proposal, proposal_id, parse_proposal_id,
proposed_appointment, DateParam, SearchPrefix, SEARCH_PREFIXES, TokenParam,
ReferenceParam, parse_count, MAX_COUNT)."""

import datetime as dt
from typing import Any, Optional

import hcas

UTC = dt.timezone.utc


def find(query: dict[str, Any]) -> list[str]:
    """Read a $find Parameters resource and answer with one proposal."""
    params: list[hcas.Parameter] = hcas.read_parameters(query)
    by_name: dict[str, Optional[str]] = {p.name: p.text() for p in params}
    practitioner = hcas.ReferenceParam(by_name["practitioner"] or "", ["Practitioner"])
    patient = hcas.ReferenceParam(by_name["patient"] or "", ["Patient"])
    start = dt.datetime(2030, 1, 9, 14, tzinfo=UTC)
    appt: dict[str, Any] = hcas.proposed_appointment(practitioner.id, patient.id, start, start + dt.timedelta(minutes=30))
    pid: Optional[str] = hcas.proposal_id(practitioner.id, patient.id, start)
    back: Optional[hcas.Proposal] = hcas.parse_proposal_id(str(appt["id"]))
    assert back is not None and back.id() == pid
    extra = hcas.Parameter.string("note", "x")
    return [f"{back.provider} {back.patient} {back.start.isoformat()} {appt['status']}", f"{extra.element} {extra.value}"]


def search(now: dt.datetime) -> list[str]:
    """Parse search values and match with them."""
    date = hcas.DateParam("ge2026-05-04")
    prefix: hcas.SearchPrefix = date.prefix
    bounds: tuple[Optional[dt.datetime], Optional[dt.datetime]] = date.bounds()
    exact = date.instant_range()
    token = hcas.TokenParam("http://x|gp")
    count: int = hcas.parse_count("20")
    return [
        f"{prefix.value} {date.lower.isoformat()} {date.upper.isoformat()} {bounds[1]} {exact is not None}",
        f"{date.matches_instant(now)} {date.matches_period(now, now + dt.timedelta(hours=1))}",
        f"{token.system} {token.code} {token.matches('http://x', 'gp')} {token.text}",
        f"{count} {hcas.MAX_COUNT} {len(hcas.SEARCH_PREFIXES)}",
    ]


def main() -> list[str]:
    """Every line the sample prints."""
    query = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "practitioner", "valueReference": {"reference": "Practitioner/dr-lee"}},
            {"name": "patient", "valueString": "Patient/pat-alice"},
        ],
    }
    return find(query) + search(dt.datetime(2026, 5, 3, 23, 59, tzinfo=UTC))


if __name__ == "__main__":
    for line in main():
        print(line)
