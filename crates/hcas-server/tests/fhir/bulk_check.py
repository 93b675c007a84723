"""A SMART Scheduling Links slot publisher checked as the specification says.

Written from the specification
(https://github.com/smart-on-fhir/smart-scheduling-links, specification.md:
"Slot Publisher API"), not from hcas's output: the manifest, every file it
lists and every line of every file, each rule with the words it comes
from. Every resource is also validated with the R4B models of
fhir.resources (PyPI), an implementation no one here wrote. Driven by
crates/hcas-server/tests/fhir_bulk.rs, which passes:

  HCAS_BULK_URL    the manifest URL (ends with `$bulk-publish`)

Exits non-zero on the first violation (an AssertionError naming the rule)
and prints what it checked.
"""

import json
import os
import re
import sys
import urllib.parse
from datetime import datetime

import requests
from fhir.resources.R4B import get_fhir_model_class

MANIFEST = os.environ["HCAS_BULK_URL"]

# "Timestamps ... SHALL be in the format YYYY-MM-DDThh:mm:ss.sss+zz:zz ...
# specified at least to the second and SHALL include a time zone offset
# (for UTC, the offset MAY be Z)".
TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)
# "up to 64 alphanumeric characters and may include - and ."
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
EXT = "http://fhir-registry.smarthealthit.org/StructureDefinition/"
SLOT_EXTENSIONS = {
    EXT + "booking-deep-link": "valueUrl",
    EXT + "booking-phone": "valueString",
    EXT + "slot-capacity": "valueInteger",
}
SCHEDULE_EXTENSIONS = {
    EXT + "vaccine-product": "valueCoding",
    EXT + "vaccine-dose": "valueInteger",
    EXT + "has-availability": "valueCode",
}

checked = {}


def rule(ok, what):
    if not ok:
        raise AssertionError(what)


def timestamp(value, where):
    rule(isinstance(value, str) and TIMESTAMP.match(value),
         f"{where}: `{value}` is not a timestamp with seconds and an offset")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def absolute_url(value, where):
    u = urllib.parse.urlparse(value if isinstance(value, str) else "")
    rule(u.scheme in ("http", "https") and u.netloc, f"{where}: `{value}` is not a full URL")


def cache_control(r, where):
    # "Slot Publishers SHOULD include a Cache-Control: max-age=<seconds> header"
    cc = r.headers.get("Cache-Control", "")
    rule(re.search(r"(^|[ ,])max-age=\d+", cc), f"{where}: no Cache-Control max-age ({cc!r})")


def get_manifest(url):
    # "servers SHALL support ... No Accept header ... Accept: application/json,
    # returning the same FHIR JSON payload in all cases"
    bodies = []
    for accept in (None, "application/json"):
        headers = {"Accept": accept} if accept else {}
        r = requests.get(url, headers=headers, timeout=30)
        rule(r.status_code == 200, f"manifest {url} (Accept {accept}): {r.status_code}")
        ctype = r.headers.get("Content-Type", "").split(";")[0].strip()
        rule(ctype in ("application/json", "application/fhir+json"),
             f"manifest: content type {ctype}")
        cache_control(r, "manifest")
        bodies.append(r.json())
    rule(bodies[0]["output"] == bodies[1]["output"], "manifest differs by Accept")
    return bodies[1]


def check_manifest(m, url):
    rule(isinstance(m, dict), "manifest is not a JSON object")
    timestamp(m.get("transactionTime"), "transactionTime")
    # "request: the full URL of the manifest"
    rule(m.get("request") == url, f"request {m.get('request')!r} is not {url!r}")
    rule(urllib.parse.urlparse(url).path.endswith("$bulk-publish"),
         "the manifest URL does not end with $bulk-publish")
    outputs = m.get("output")
    rule(isinstance(outputs, list) and outputs, "output is not a non-empty array")
    for i, o in enumerate(outputs):
        rule(isinstance(o.get("type"), str), f"output[{i}].type")
        absolute_url(o.get("url"), f"output[{i}].url")
        if "extension" in o:
            ext = o["extension"]
            rule(isinstance(ext, dict), f"output[{i}].extension is not an object")
            if "state" in ext:
                rule(isinstance(ext["state"], list)
                     and all(isinstance(s, str) for s in ext["state"]),
                     f"output[{i}].extension.state is not an array of strings")
    rule(isinstance(m.get("error", []), list), "error is not an array")
    types = {o["type"] for o in outputs}
    rule({"Location", "Schedule", "Slot"} <= types, f"output types {types}")
    return outputs


def get_file(url, ty):
    # "servers SHALL support ... No Accept header ... Accept:
    # application/fhir+ndjson, returning the same FHIR NDJSON payload"
    texts = []
    for accept in (None, "application/fhir+ndjson"):
        headers = {"Accept": accept} if accept else {}
        r = requests.get(url, headers=headers, timeout=30)
        rule(r.status_code == 200, f"{ty} file {url}: {r.status_code}")
        ctype = r.headers.get("Content-Type", "").split(";")[0].strip()
        rule(ctype == "application/fhir+ndjson", f"{ty} file: content type {ctype}")
        cache_control(r, f"{ty} file")
        texts.append(r.content.decode("utf-8"))
    rule(texts[0] == texts[1], f"{ty} file differs by Accept")
    resources = []
    for n, line in enumerate(texts[1].split("\n")):
        if line == "" and n == len(texts[1].split("\n")) - 1:
            continue  # the newline ending the last line
        where = f"{ty} file line {n + 1}"
        rule(line.strip() != "", f"{where}: blank line")
        r = json.loads(line)
        # "Each line contains a minified JSON object"
        rule(isinstance(r, dict), f"{where}: not a JSON object")
        rule(json.dumps(r, separators=(",", ":"), ensure_ascii=False) == line,
             f"{where}: not minified")
        rule(r.get("resourceType") == ty, f"{where}: resourceType {r.get('resourceType')}")
        rule(isinstance(r.get("id"), str) and ID.match(r["id"]), f"{where}: id {r.get('id')!r}")
        get_fhir_model_class(ty).model_validate(r)
        checked[ty] = checked.get(ty, 0) + 1
        resources.append(r)
    ids = [r["id"] for r in resources]
    rule(len(ids) == len(set(ids)), f"{ty}: ids repeat")
    return resources


def check_location(r):
    where = f"Location/{r['id']}"
    rule(isinstance(r.get("name"), str) and r["name"], f"{where}: name")
    telecom = r.get("telecom")
    # "The array SHALL include at least one contact point"
    rule(isinstance(telecom, list) and telecom, f"{where}: telecom needs a contact point")
    for t in telecom:
        rule(t.get("system") in ("phone", "url") and isinstance(t.get("value"), str)
             and t["value"], f"{where}: telecom {t}")
    a = r.get("address")
    rule(isinstance(a, dict), f"{where}: address")
    rule(isinstance(a.get("line"), list) and a["line"]
         and all(isinstance(x, str) and x for x in a["line"]), f"{where}: address.line")
    for key in ("city", "state", "postalCode"):
        rule(isinstance(a.get(key), str) and a[key], f"{where}: address.{key}")
    if "district" in a:
        rule(isinstance(a["district"], str), f"{where}: address.district")
    if "position" in r:
        p = r["position"]
        rule(isinstance(p.get("latitude"), (int, float))
             and isinstance(p.get("longitude"), (int, float)), f"{where}: position")
    ids = r.get("identifier")
    rule(isinstance(ids, list) and ids, f"{where}: identifier")
    for i in ids:
        rule(isinstance(i.get("system"), str) and isinstance(i.get("value"), str),
             f"{where}: identifier {i}")


def check_schedule(r, locations):
    where = f"Schedule/{r['id']}"
    actor = r.get("actor")
    # "actor: array with one JSON object ... Location + / + the id value of
    # an entry in a Location File"
    rule(isinstance(actor, list) and len(actor) == 1, f"{where}: actor is not one object")
    ref = actor[0].get("reference", "")
    rule(ref.startswith("Location/") and ref[len("Location/"):] in locations,
         f"{where}: actor {ref} is no Location of the Location files")
    st = r.get("serviceType")
    rule(isinstance(st, list) and st, f"{where}: serviceType")
    for c in st:
        rule(isinstance(c, dict) and (c.get("coding") or c.get("text")),
             f"{where}: serviceType {c}")
        for coding in c.get("coding", []):
            rule(isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str),
                 f"{where}: serviceType coding {coding}")
    for e in r.get("extension", []):
        if e.get("url") in SCHEDULE_EXTENSIONS:
            rule(SCHEDULE_EXTENSIONS[e["url"]] in e, f"{where}: extension {e}")


def check_slot(r, schedules, deep_links):
    where = f"Slot/{r['id']}"
    ref = r.get("schedule", {}).get("reference", "")
    rule(ref.startswith("Schedule/") and ref[len("Schedule/"):] in schedules,
         f"{where}: schedule {ref} is no Schedule of the Schedule files")
    rule(r.get("status") in ("free", "busy"), f"{where}: status {r.get('status')}")
    start = timestamp(r.get("start"), f"{where}.start")
    end = timestamp(r.get("end"), f"{where}.end")
    rule(end > start, f"{where}: end not after start")
    links = []
    for e in r.get("extension", []):
        kind = SLOT_EXTENSIONS.get(e.get("url"))
        if kind is None:
            continue
        rule(kind in e, f"{where}: extension {e['url']} without {kind}")
        if kind == "valueUrl":
            absolute_url(e[kind], f"{where}: booking-deep-link")
            links.append(e[kind])
        if kind == "valueInteger":
            rule(isinstance(e[kind], int) and e[kind] >= 0, f"{where}: capacity {e[kind]}")
        if kind == "valueString":
            rule(isinstance(e[kind], str) and e[kind], f"{where}: booking-phone")
    if deep_links and r["status"] == "free":
        rule(len(links) == 1, f"{where}: a free slot without one booking-deep-link")
    return start


def check_roles(roles, locations):
    for r in roles:
        for loc in r.get("location", []):
            ref = loc.get("reference", "")
            rule(ref.startswith("Location/") and ref[len("Location/"):] in locations,
                 f"PractitionerRole/{r['id']}: location {ref} is not published")


def main():
    m = get_manifest(MANIFEST)
    outputs = check_manifest(m, MANIFEST)
    files = {}
    for o in outputs:
        # "Clients SHOULD ignore any output items with types other than
        # Location, Schedule, or Slot": those are still FHIR, so validated.
        files.setdefault(o["type"], []).extend(get_file(o["url"], o["type"]))
    locations = {r["id"] for r in files["Location"]}
    for r in files["Location"]:
        check_location(r)
    schedules = {r["id"] for r in files["Schedule"]}
    for r in files["Schedule"]:
        check_schedule(r, locations)
    deep_links = os.environ.get("HCAS_BULK_DEEP_LINKS") == "1"
    for r in files["Slot"]:
        check_slot(r, schedules, deep_links)
    check_roles(files.get("PractitionerRole", []), locations)
    # "?_since={} ... with a timestamp when retrieving a manifest file":
    # the answer is still a manifest of the same shape.
    since = m["transactionTime"]
    url = MANIFEST + "?" + urllib.parse.urlencode({"_since": since})
    again = get_manifest(url)
    rule(again["request"] == url, f"_since: request {again['request']!r} is not {url!r}")
    for o in check_manifest(again, url):
        get_file(o["url"], o["type"])
    statuses = sorted({r["status"] for r in files["Slot"]})
    print(f"checked {json.dumps(checked, sort_keys=True)} statuses {statuses}")
    print("validated " + " ".join(f"{k}={v}" for k, v in sorted(checked.items())))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"violation: {e}", file=sys.stderr)
        sys.exit(1)
