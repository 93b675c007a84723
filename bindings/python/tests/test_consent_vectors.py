"""Every consent vector (tests/vectors/consent) through the typed API: the
input dict is turned into typed values HERE (not in the package), decided
with `hcas.decide`, and compared with the vector's `expect` and with
`hcas.evaluate("consent", input)` (the dict front door). Error vectors must
fail the same way when the typed values can express the mistake at all."""

import datetime as dt
import json
from pathlib import Path
from typing import Any, Optional

import pytest

import hcas

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "consent"


class Unrepresentable(Exception):
    """The input has a mistake typed values cannot even be asked to hold
    (a missing or unknown field, a malformed instant): Python's types
    already rule it out."""


def fields(d: Any, required: set[str], optional: set[str], at: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise Unrepresentable(f"{at} is not an object")
    keys = set(d)
    if not required <= keys or not keys <= required | optional:
        raise Unrepresentable(f"{at}: fields {sorted(keys)}")
    return d


def instant(text: Any) -> dt.datetime:
    if not isinstance(text, str):
        raise Unrepresentable(f"{text!r} is not text")
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise Unrepresentable(str(e)) from e
    if t.tzinfo is None or "T" not in text:
        raise Unrepresentable(f"{text} is not an instant")
    return t


def period(d: Any, at: str) -> hcas.Period:
    p = fields(d, set(), {"start", "end"}, at)
    return hcas.Period(
        instant(p["start"]) if "start" in p else None,
        instant(p["end"]) if "end" in p else None,
    )


MATCH_FIELDS = {"actors", "roles", "orgs", "purposes", "categories", "actions", "labels", "period", "data_period"}


def match(d: dict[str, Any]) -> hcas.Match:
    kw: dict[str, Any] = {k: d[k] for k in MATCH_FIELDS - {"period", "data_period"} if k in d}
    if "period" in d:
        kw["period"] = period(d["period"], "period")
    if "data_period" in d:
        kw["data_period"] = period(d["data_period"], "data_period")
    return hcas.Match(**kw)


def sub_provisions(d: dict[str, Any], at: str) -> Optional[list[Any]]:
    subs = d.get("provisions")
    if subs is not None and not isinstance(subs, list):
        raise Unrepresentable(f"{at}.provisions is not a list")
    if subs == []:
        # The engine's JSON refuses `"provisions": []`; typed provisions are
        # a plain list (as in hcas_core), where empty is the same as none.
        raise Unrepresentable(f"{at}.provisions is present but empty")
    return subs


def provision(d: Any, at: str) -> hcas.Provision:
    p = fields(d, set(), MATCH_FIELDS | {"provisions"}, at)
    subs = sub_provisions(p, at)
    return hcas.Provision(
        match({k: v for k, v in p.items() if k != "provisions"}),
        None if subs is None else [provision(s, f"{at}.provisions[{i}]") for i, s in enumerate(subs)],
    )


def consent(d: Any, at: str) -> hcas.Consent:
    c = fields(d, {"id", "patient", "status", "date", "decision"}, {"period", "scope", "provisions"}, at)
    subs = sub_provisions(c, at)
    scope = c.get("scope")
    return hcas.Consent(
        c["id"],
        c["patient"],
        instant(c["date"]),
        c["decision"],
        status=c["status"],
        period=period(c["period"], "period") if "period" in c else None,
        scope=None if scope is None else match(fields(scope, set(), MATCH_FIELDS, f"{at}.scope")),
        provisions=None if subs is None else [provision(s, f"{at}.provisions[{i}]") for i, s in enumerate(subs)],
    )


def policy(d: Any) -> Optional[hcas.RolePolicy]:
    if d is None:
        return None
    roles = fields(d, {"roles"}, set(), "policy")["roles"]
    if not isinstance(roles, dict):
        raise Unrepresentable("policy.roles is not an object")
    rows = {}
    for role, row in roles.items():
        r = fields(row, {"categories", "actions", "purposes"}, set(), f"policy.roles.{role}")
        every = {"categories": list(hcas.Category), "actions": list(hcas.Action), "purposes": list(hcas.Purpose)}
        lists: dict[str, Any] = {k: every[k] if r[k] == ["*"] else r[k] for k in every}
        rows[role] = hcas.Rights(lists["categories"], lists["actions"], lists["purposes"])
    return hcas.RolePolicy(rows)


def request(d: Any) -> hcas.ConsentRequest:
    r = fields(
        d,
        {"actor", "patient", "category", "action", "purpose", "at"},
        {"data_date", "labels", "originator", "break_glass"},
        "request",
    )
    a = fields(r["actor"], {"id", "roles", "org"}, set(), "request.actor")
    bg = r.get("break_glass")
    if bg is not None:
        g = fields(bg, {"reason", "started_at"}, set(), "request.break_glass")
        bg = hcas.BreakGlass(g["reason"], instant(g["started_at"]))
    return hcas.ConsentRequest(
        hcas.Accessor(a["id"], a["org"], a["roles"]),
        r["patient"],
        r["category"],
        r["action"],
        r["purpose"],
        instant(r["at"]),
        data_date=instant(r["data_date"]) if "data_date" in r else None,
        labels=r.get("labels"),
        originator=r.get("originator"),
        break_glass=bg,
    )


def typed_decision(inp: dict[str, Any]) -> hcas.Decision:
    """The engine's order (wire::ConsentVector::run): consents, policy, request."""
    fields(inp, {"consents", "request"}, {"policy"}, "input")
    consents = [consent(c, f"consents[{i}]") for i, c in enumerate(inp["consents"])]
    pol = policy(inp.get("policy"))
    return hcas.decide(request(inp["request"]), consents, pol)


def as_dict(d: hcas.Decision) -> dict[str, Any]:
    out: dict[str, Any] = {"decision": d.decision.value, "basis": d.basis.value, "obligations": list(d.obligations)}
    if d.consent is not None:
        out["consent"] = d.consent
    return out


CASES = sorted(VECTORS.glob("*.json"))


def test_there_are_consent_vectors() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_vector_through_the_typed_api(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert case["kind"] == "consent"
    inp = case["input"]
    if "expect_error" in case:
        code = case["expect_error"]["code"]
        with pytest.raises(hcas.HcasError) as wire:
            hcas.evaluate("consent", inp)
        assert wire.value.code == code
        try:
            typed_decision(inp)
        except Unrepresentable:
            return
        except hcas.HcasError as e:
            assert e.code == code, f"{case['id']}: typed {e.code}: {e.message}"
            return
        pytest.fail(f"{case['id']}: the typed API accepted what the engine refuses ({code})")
    expect = dict(case["expect"])
    expect.setdefault("obligations", [])
    typed = typed_decision(inp)
    wire_out = hcas.evaluate("consent", inp)
    assert as_dict(typed) == expect
    assert wire_out["decision"] == typed.decision.value and wire_out["basis"] == typed.basis.value
    assert wire_out.get("consent") == typed.consent
    assert wire_out.get("obligations", []) == list(typed.obligations)
    assert wire_out.get("path", []) == list(typed.path)
    assert hcas.check_vector(case, wire_out) is None


def test_most_error_vectors_are_typed_errors() -> None:
    """The typed values catch the model's mistakes themselves (not only the
    shapes Python rules out): count how many error vectors get the same code."""
    same = 0
    errors = 0
    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        if "expect_error" not in case:
            continue
        errors += 1
        try:
            typed_decision(case["input"])
        except Unrepresentable:
            continue
        except hcas.HcasError as e:
            same += e.code == case["expect_error"]["code"]
    assert errors >= 20 and same >= errors // 2, (same, errors)
