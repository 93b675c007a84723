"""Validate every resource in a JSON file (an array of resources; a
Bundle's entries too) with the R4B models of fhir.resources (pydantic):
an implementation no one here wrote. Used by
crates/hcas-server/tests/fhir_audit.rs on what the server answered.

    python validate_file.py FILE

Exits non-zero on the first invalid resource (naming it); else prints
`validated N resources`.
"""

import json
import sys

from fhir.resources.R4B import get_fhir_model_class

n = 0


def validate(data):
    global n
    try:
        get_fhir_model_class(data["resourceType"]).model_validate(data)
    except Exception as e:  # noqa: BLE001 - report any refusal, with the resource
        sys.exit(f"invalid {data.get('resourceType')}/{data.get('id')}: {e}\n{json.dumps(data)}")
    n += 1
    for entry in data.get("entry", []):
        validate(entry["resource"])


with open(sys.argv[1], encoding="utf-8") as f:
    for resource in json.load(f):
        validate(resource)
print(f"validated {n} resources")
