"""The consent engine (hcas_core::consent) through the typed classes. Every
expectation is worked out by hand from the five steps of CONSENT.md
(self, role gate, break-glass, consents, default), quoted where used."""

import copy
import datetime as dt
import pickle
from typing import Any, Optional

import pytest

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


def t(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


AT = t(2025, 6, 15, 12)
DR = Accessor("DrA", "Org1", [Role.DOCTOR])
NURSE = Accessor("Nu1", "Org1", ["nurse"])
DESK = Accessor("Fd1", "Org1", [Role.ADMIN])
RESEARCHER = Accessor("R7", "Org1", [Role.RESEARCHER])


def ask(
    actor: Accessor,
    category: Category,
    purpose: Purpose,
    action: Action = Action.READ,
    patient: str = "Pat1",
    at: dt.datetime = AT,
    **kw: Any,
) -> ConsentRequest:
    return ConsentRequest(actor, patient, category, action, purpose, at, **kw)


def decide(request: ConsentRequest, consents: Optional[list[Consent]] = None, policy: Optional[RolePolicy] = None) -> tuple[Any, ...]:
    d = hcas.decide(request, consents or [], policy)
    return (d.decision, d.basis, d.consent, d.path, d.obligations)


def test_enums_are_the_engines_vocabularies() -> None:
    enums = {
        "Role": Role,
        "Category": Category,
        "Action": Action,
        "Purpose": Purpose,
        "Effect": Effect,
        "ConsentStatus": ConsentStatus,
        "Basis": Basis,
        "AppointmentKind": AppointmentKind,
        "RefusalCheck": RefusalCheck,
    }
    assert set(hcas.CONSENT_VOCABULARY) == set(enums)
    for name, enum in enums.items():
        assert [m.value for m in enum] == hcas.CONSENT_VOCABULARY[name], name
    # CONSENT.md's vocabulary, by hand.
    assert [m.value for m in Purpose] == ["TREAT", "ETREAT", "HPAYMT", "HOPERAT", "HRESCH", "HMARKT"]
    assert [m.value for m in Basis] == ["self", "role", "break-glass", "consent", "default"]
    assert hcas.BOOKING_PURPOSE is Purpose.HOPERAT
    assert (hcas.AUDIT_BREAK_GLASS, hcas.BREAK_GLASS_SECONDS, hcas.TELEHEALTH_LABEL) == ("audit-break-glass", 3600, "telehealth")
    assert hcas.MAX_PROVISION_DEPTH >= 2


def test_the_engines_doc_example() -> None:
    # crates/hcas-core/src/consent.rs: Pat9 opts out (K2); DrX reads labs for
    # treatment. Steps 1-3 pass it on (a doctor may read labs for TREAT, no
    # break-glass); K2 applies and has no provisions: deny, by K2, path [].
    k2 = Consent.deny("K2", "Pat9", t(2025, 3, 1))
    req = ConsentRequest(Accessor("DrX", "OrgA", [Role.DOCTOR]), "Pat9", Category.LABS, Action.READ, Purpose.TREAT, t(2025, 9, 1, 10))
    d = hcas.decide(req, [k2], RolePolicy())
    assert d == Decision(Effect.DENY, Basis.CONSENT, "K2")
    assert (d.decision, d.basis, d.consent, d.path, d.obligations, d.is_permit()) == (Effect.DENY, Basis.CONSENT, "K2", (), (), False)


def test_step_1_self() -> None:
    me = Accessor("Pat1", "Org1", [Role.PATIENT])
    # Read every category but psychotherapy; write appointments only; basis self.
    assert decide(ask(me, Category.LABS, Purpose.TREAT))[:2] == (Effect.PERMIT, Basis.SELF)
    assert decide(ask(me, Category.PSYCHOTHERAPY, Purpose.TREAT))[:2] == (Effect.DENY, Basis.SELF)
    assert decide(ask(me, Category.APPOINTMENTS, Purpose.HMARKT, Action.WRITE))[:2] == (Effect.PERMIT, Basis.SELF)
    assert decide(ask(me, Category.RECORDS, Purpose.TREAT, Action.WRITE))[:2] == (Effect.DENY, Basis.SELF)
    # Even a consent denying everything does not reach step 4.
    assert decide(ask(me, Category.LABS, Purpose.TREAT), [Consent.deny("K1", "Pat1", t(2025, 1, 1))])[:2] == (Effect.PERMIT, Basis.SELF)
    # A patient-only actor on someone else's data: deny, basis role.
    assert decide(ask(me, Category.LABS, Purpose.TREAT, patient="Pat2"))[:2] == (Effect.DENY, Basis.ROLE)


def test_step_2_role_gate() -> None:
    # Default table: admin only appointments; nurse no psychotherapy; doctor
    # no payment; researcher reads records and labs for research only.
    assert decide(ask(DESK, Category.RECORDS, Purpose.HOPERAT))[:2] == (Effect.DENY, Basis.ROLE)
    assert decide(ask(NURSE, Category.PSYCHOTHERAPY, Purpose.TREAT))[:2] == (Effect.DENY, Basis.ROLE)
    assert decide(ask(DR, Category.LABS, Purpose.HPAYMT))[:2] == (Effect.DENY, Basis.ROLE)
    assert decide(ask(RESEARCHER, Category.LABS, Purpose.HRESCH, Action.WRITE))[:2] == (Effect.DENY, Basis.ROLE)
    # A permitting consent does not open the gate.
    everyone = Consent.permit("K1", "Pat1", t(2025, 1, 1))
    assert decide(ask(DESK, Category.RECORDS, Purpose.HOPERAT), [everyone])[:2] == (Effect.DENY, Basis.ROLE)
    # A custom table replaces the default one: with only a researcher row,
    # the doctor passes no gate, and the researcher may now read notes.
    notes = Rights([Category.NOTES], ["read"], [Purpose.HRESCH])
    custom = RolePolicy({Role.RESEARCHER: notes})
    assert decide(ask(DR, Category.LABS, Purpose.TREAT), policy=custom)[:2] == (Effect.DENY, Basis.ROLE)
    # Notes for research, no consent: the default step denies research (basis default).
    assert decide(ask(RESEARCHER, Category.NOTES, Purpose.HRESCH), policy=custom)[:2] == (Effect.DENY, Basis.DEFAULT)
    assert decide(ask(DR, Category.LABS, Purpose.TREAT), policy=RolePolicy.empty())[:2] == (Effect.DENY, Basis.ROLE)
    # Any one role passing is enough.
    both = Accessor("X", "Org1", [Role.ADMIN, Role.DOCTOR])
    assert decide(ask(both, Category.LABS, Purpose.TREAT))[:2] == (Effect.PERMIT, Basis.DEFAULT)
    assert decide(ask(Accessor("X", "Org1"), Category.APPOINTMENTS, Purpose.TREAT))[:2] == (Effect.DENY, Basis.ROLE)


def test_role_policy_values() -> None:
    default = RolePolicy()
    # The default table of CONSENT.md.
    assert set(default.roles) == {Role.DOCTOR, Role.NURSE, Role.ADMIN, Role.RESEARCHER}
    admin = default.rights("admin")
    assert admin == Rights([Category.APPOINTMENTS], [Action.READ, Action.WRITE], [Purpose.HOPERAT, Purpose.HPAYMT])
    assert default.rights(Role.PATIENT) is None
    assert Rights.all().allows("psychotherapy", "write", "HMARKT")
    assert not admin.allows(Category.RECORDS, Action.READ, Purpose.HOPERAT)
    wider = default.with_role(Role.ADMIN, Rights.all())
    assert wider != default and wider.rights(Role.ADMIN) == Rights.all() and default.rights(Role.ADMIN) == admin
    assert wider.without_role(Role.ADMIN).rights(Role.ADMIN) is None
    assert RolePolicy(default.roles) == default and hash(RolePolicy(default.roles)) == hash(default)
    assert default.allows(ask(DR, Category.LABS, Purpose.TREAT)) and not default.allows(ask(DESK, Category.LABS, Purpose.HOPERAT))
    with pytest.raises(hcas.InvalidRequestError, match="surgeon"):
        RolePolicy({"surgeon": Rights.all()})
    with pytest.raises(hcas.InvalidRequestError, match=r"roles\[\"doctor\"\] must be an hcas.Rights"):
        RolePolicy({"doctor": "all"})  # type: ignore[arg-type]


def test_step_3_break_glass() -> None:
    def glass(minutes_before: int, reason: str = "unconscious in ED", actor: Accessor = NURSE, purpose: Purpose = Purpose.ETREAT) -> tuple[Any, ...]:
        bg = BreakGlass(reason, AT - dt.timedelta(minutes=minutes_before))
        return decide(ask(actor, Category.RECORDS, purpose, break_glass=bg), [Consent.deny("K1", "Pat1", t(2025, 1, 1))])

    audit = ("audit-break-glass",)
    # A nurse with ETREAT, a reason, 30 minutes in: permitted over the deny consent.
    assert glass(30) == (Effect.PERMIT, Basis.BREAK_GLASS, None, (), audit)
    assert glass(60)[:2] == (Effect.PERMIT, Basis.BREAK_GLASS)  # no more than 60 minutes: inclusive
    assert glass(61) == (Effect.DENY, Basis.BREAK_GLASS, None, (), audit)
    assert glass(-1)[:2] == (Effect.DENY, Basis.BREAK_GLASS)  # started after `at`
    assert glass(10, reason="")[:2] == (Effect.DENY, Basis.BREAK_GLASS)
    # Not ETREAT: break-glass fails (denied, basis break-glass), still audited.
    assert glass(10, purpose=Purpose.TREAT) == (Effect.DENY, Basis.BREAK_GLASS, None, (), audit)
    # The gate decides first (admin may not read records), and the attempt is audited.
    assert glass(10, actor=DESK, purpose=Purpose.HOPERAT) == (Effect.DENY, Basis.ROLE, None, (), audit)


def test_step_4_consents_and_the_consent_md_example() -> None:
    # CONSENT.md's consent C1: permit in Org1 during 2025, except payment,
    # except (again) appointments for payment.
    c1 = Consent(
        "C1",
        "P1",
        t(2025, 3, 1),
        "permit",
        status="active",
        period=Period(t(2025, 1, 1), t(2026, 1, 1)),
        scope=Match(orgs=["Org1"]),
        provisions=[Provision(Match(purposes=[Purpose.HPAYMT]), [Provision(Match(categories=["appointments"]))])],
    )
    admin_all = RolePolicy().with_role(Role.ADMIN, Rights.all())
    # Appointments for payment: the provision matches (deny), its child too (permit): path [0, 0].
    assert decide(ask(DESK, Category.APPOINTMENTS, Purpose.HPAYMT, patient="P1"), [c1]) == (Effect.PERMIT, Basis.CONSENT, "C1", (0, 0), ())
    # Labs for payment (a wider policy lets the desk ask): the provision alone: deny, path [0].
    assert decide(ask(DESK, Category.LABS, Purpose.HPAYMT, patient="P1"), [c1], admin_all) == (Effect.DENY, Basis.CONSENT, "C1", (0,), ())
    # No provision matches: the base decision, path [].
    assert decide(ask(DESK, Category.APPOINTMENTS, Purpose.HOPERAT, patient="P1"), [c1]) == (Effect.PERMIT, Basis.CONSENT, "C1", (), ())
    # Outside its period (the end is exclusive) or scope: not applicable, so the
    # default step: payment is permitted, research would not be.
    assert decide(ask(DESK, Category.LABS, Purpose.HPAYMT, patient="P1", at=t(2026, 1, 1)), [c1], admin_all)[:3] == (Effect.PERMIT, Basis.DEFAULT, None)
    other_org = Accessor("Fd2", "Org2", [Role.ADMIN])
    assert decide(ask(other_org, Category.LABS, Purpose.HPAYMT, patient="P1"), [c1], admin_all)[:2] == (Effect.PERMIT, Basis.DEFAULT)
    assert c1.applies(ask(DESK, Category.LABS, Purpose.HPAYMT, patient="P1"))
    assert not c1.applies(ask(other_org, Category.LABS, Purpose.HPAYMT, patient="P1"))
    assert c1.scope is not None and c1.scope.holds(ask(DESK, Category.LABS, Purpose.HPAYMT))


def test_step_4_which_consent_decides() -> None:
    req = ask(DR, Category.LABS, Purpose.TREAT)
    old_deny = Consent.deny("K1", "Pat1", t(2025, 1, 1))
    new_permit = Consent.permit("K2", "Pat1", t(2025, 2, 1))
    # The latest date decides.
    assert decide(req, [old_deny, new_permit])[:3] == (Effect.PERMIT, Basis.CONSENT, "K2")
    # Same date: deny beats permit; then the smallest id.
    same_permit = Consent.permit("A0", "Pat1", t(2025, 1, 1))
    assert decide(req, [same_permit, old_deny])[:3] == (Effect.DENY, Basis.CONSENT, "K1")
    assert decide(req, [Consent.deny("K9", "Pat1", t(2025, 1, 1)), old_deny])[:3] == (Effect.DENY, Basis.CONSENT, "K1")
    # Inactive consents and other patients' do not count.
    revoked = Consent.permit("K3", "Pat1", t(2025, 3, 1), status=ConsentStatus.INACTIVE)
    theirs = Consent.permit("K4", "Pat2", t(2025, 3, 1))
    assert decide(req, [old_deny, revoked, theirs])[:3] == (Effect.DENY, Basis.CONSENT, "K1")
    # Sibling provisions that match with different effects: deny wins.
    k5 = Consent.permit(
        "K5", "Pat1", t(2025, 1, 1),
        provisions=[
            Provision(Match(roles=[Role.DOCTOR]), [Provision(Match(categories=[Category.LABS]))]),
            Provision(Match(purposes=[Purpose.TREAT])),
        ],
    )
    # First: doctor (deny), its child labs (permit) -> permit; second: TREAT -> deny; deny wins.
    assert decide(req, [k5]) == (Effect.DENY, Basis.CONSENT, "K5", (1,), ())
    # Labels and data periods need the request to carry them.
    k6 = Consent.deny("K6", "Pat1", t(2025, 1, 1), provisions=[Provision(Match(labels=["R"]))])
    assert decide(req, [k6])[:2] == (Effect.DENY, Basis.CONSENT)
    assert decide(ask(DR, Category.LABS, Purpose.TREAT, labels=["R"]), [k6]) == (Effect.PERMIT, Basis.CONSENT, "K6", (0,), ())
    old = Consent.deny("K7", "Pat1", t(2025, 1, 1), provisions=[Provision(Match(data_period=Period.until(t(2020, 1, 1))))])
    assert decide(req, [old])[0] is Effect.DENY  # no data_date: the provision does not hold
    assert decide(ask(DR, Category.LABS, Purpose.TREAT, data_date=t(2016, 3, 1)), [old])[0] is Effect.PERMIT


def test_step_5_defaults() -> None:
    # TREAT, ETREAT, HPAYMT, HOPERAT permitted; HRESCH, HMARKT denied.
    assert decide(ask(DR, Category.RECORDS, Purpose.TREAT))[:2] == (Effect.PERMIT, Basis.DEFAULT)
    assert decide(ask(DESK, Category.APPOINTMENTS, Purpose.HPAYMT))[:2] == (Effect.PERMIT, Basis.DEFAULT)
    assert decide(ask(RESEARCHER, Category.RECORDS, Purpose.HRESCH))[:2] == (Effect.DENY, Basis.DEFAULT)
    marketing = RolePolicy({Role.ADMIN: Rights.all()})
    assert decide(ask(DESK, Category.APPOINTMENTS, Purpose.HMARKT), policy=marketing)[:2] == (Effect.DENY, Basis.DEFAULT)
    # Psychotherapy: only to the data's originator.
    assert decide(ask(DR, Category.PSYCHOTHERAPY, Purpose.TREAT))[:2] == (Effect.DENY, Basis.DEFAULT)
    assert decide(ask(DR, Category.PSYCHOTHERAPY, Purpose.TREAT, originator="DrA"))[:2] == (Effect.PERMIT, Basis.DEFAULT)
    assert decide(ask(DR, Category.PSYCHOTHERAPY, Purpose.TREAT, originator="DrB"))[:2] == (Effect.DENY, Basis.DEFAULT)
    # The lib.rs example: a research authorisation refused by provision.
    no_research = Consent.permit("K1", "Pat1", t(2026, 1, 1), provisions=[Provision(Match(purposes=[Purpose.HRESCH]))])
    assert decide(ask(RESEARCHER, Category.RECORDS, Purpose.HRESCH, at=t(2026, 6, 1, 12)), [no_research])[:3] == (Effect.DENY, Basis.CONSENT, "K1")


def test_wire_names_are_accepted_and_unknown_codes_refused() -> None:
    a = ask(DR, Category.LABS, Purpose.TREAT)
    b = ConsentRequest(Accessor("DrA", "Org1", ["doctor"]), "Pat1", "labs", "read", "TREAT", AT)
    assert a == b and hash(a) == hash(b)
    assert (b.category, b.action, b.purpose, b.actor.roles) == (Category.LABS, Action.READ, Purpose.TREAT, (Role.DOCTOR,))
    with pytest.raises(hcas.InvalidRequestError, match=r"purpose must be an hcas.Purpose or its wire name \(TREAT, ETREAT"):
        ConsentRequest(DR, "Pat1", "labs", "read", "treat", AT)
    with pytest.raises(hcas.InvalidRequestError, match=r"roles\[0\] must be an hcas.Role"):
        Accessor("DrA", "Org1", ["surgeon"])
    with pytest.raises(hcas.InvalidRequestError, match="roles must be a list"):
        Accessor("DrA", "Org1", "doctor")
    # Inside a consent the model's code, as the engine's JSON gives it.
    with pytest.raises(hcas.InvalidConsentError, match=r"categories\[1\] must be an hcas.Category"):
        Match(categories=[Category.LABS, "lab"])
    with pytest.raises(hcas.InvalidConsentError, match="decision must be an hcas.Effect"):
        Consent("K1", "Pat1", AT, "allow")
    with pytest.raises(hcas.InvalidConsentError, match="status"):
        Consent.permit("K1", "Pat1", AT, status="revoked")


def test_values_are_checked_as_the_engine_checks_them() -> None:
    with pytest.raises(hcas.InvalidConsentError, match=r"match\.roles.*leave the field out"):
        Match(roles=[])
    with pytest.raises(hcas.InvalidConsentError, match=r"consent\.id"):
        Consent.permit("", "Pat1", AT)
    with pytest.raises(hcas.InvalidConsentError, match=r"consent\.patient"):
        Consent.permit("K1", "Pat 1", AT)
    with pytest.raises(hcas.InvalidConsentError, match="must be after the start"):
        Period(t(2025, 2, 1), t(2025, 1, 1))
    with pytest.raises(hcas.InvalidConsentError, match="must be after the start"):
        Period(AT, AT)
    with pytest.raises(hcas.InvalidRequestError, match=r"actor\.id"):
        Accessor("", "Org1")
    with pytest.raises(hcas.InvalidRequestError, match=r"request\.patient"):
        ConsentRequest(DR, "", "labs", "read", "TREAT", AT)
    with pytest.raises(hcas.InvalidRequestError, match=r"labels\[1\]"):
        ConsentRequest(DR, "Pat1", "labs", "read", "TREAT", AT, labels=["R", ""])
    with pytest.raises(hcas.InvalidConsentError, match=r"consents\[1\]\.id"):
        hcas.decide(ask(DR, Category.LABS, Purpose.TREAT), [Consent.permit("K1", "Pat1", AT), Consent.deny("K1", "Pat2", AT)])
    with pytest.raises(hcas.InvalidRequestError, match=r"consents\[0\] must be an hcas.Consent"):
        hcas.decide(ask(DR, Category.LABS, Purpose.TREAT), [{"id": "K1"}])  # type: ignore[list-item]
    with pytest.raises(hcas.InvalidRequestError, match=r"decision\.consent"):
        Decision(Effect.DENY, Basis.DEFAULT, consent="K1")
    with pytest.raises(hcas.InvalidRequestError, match=r"decision\.consent"):
        Decision(Effect.DENY, Basis.CONSENT)
    with pytest.raises(hcas.InvalidRequestError, match="sorted"):
        Decision(Effect.DENY, Basis.ROLE, obligations=["b", "a"])
    # MAX_PROVISION_DEPTH levels of provisions are fine, one more is not.
    deep = Provision()
    for _ in range(hcas.MAX_PROVISION_DEPTH - 1):
        deep = Provision(None, [deep])
    assert len(Consent.permit("K1", "Pat1", AT, provisions=[deep]).provisions) == 1
    with pytest.raises(hcas.InvalidConsentError, match="levels deep"):
        Provision(None, [deep])


def test_naive_datetimes_are_refused() -> None:
    naive = dt.datetime(2025, 6, 15, 12)
    for make in (
        lambda: ConsentRequest(DR, "Pat1", "labs", "read", "TREAT", naive),
        lambda: ConsentRequest(DR, "Pat1", "labs", "read", "TREAT", AT, data_date=naive),
        lambda: Consent.permit("K1", "Pat1", naive),
        lambda: Period(naive),
        lambda: Period.until(naive),
        lambda: BreakGlass("x", naive),
        lambda: BookingQuestion(DR, "Pat1", naive),
        lambda: Period().contains(naive),
    ):
        with pytest.raises(hcas.InvalidDatetimeError, match="naive datetime"):
            make()
    # Any aware datetime names its instant; results come back in UTC.
    paris = dt.timezone(dt.timedelta(hours=2))
    c = Consent.permit("K1", "Pat1", dt.datetime(2025, 3, 1, 2, tzinfo=paris))
    assert c.date == t(2025, 3, 1) and c.date.utcoffset() == dt.timedelta(0)


def value_examples() -> list[tuple[Any, Any, Any]]:
    """(value, an equal value built anew, a different value) for each class."""

    def consent(pid: str = "Pat1") -> Consent:
        return Consent.permit(
            "C1", pid, t(2025, 3, 1),
            period=Period.since(t(2025, 1, 1)),
            scope=Match(orgs=["Org1"], period=Period(t(2025, 1, 1), t(2026, 1, 1))),
            provisions=[Provision(Match(purposes=["HPAYMT"], roles=[Role.ADMIN]), [Provision(Match(labels=["R"]))])],
        )

    bg = BreakGlass("ED", t(2025, 6, 15, 11))
    return [
        (Period(t(2025, 1, 1)), Period.since(t(2025, 1, 1)), Period.until(t(2025, 1, 1))),
        (Match(roles=["doctor"], actors=["DrA"]), Match(actors=["DrA"], roles=[Role.DOCTOR]), Match(roles=[Role.NURSE])),
        (Provision(Match(orgs=["O"])), Provision(Match(orgs=["O"]), []), Provision()),
        (consent(), consent(), consent("Pat2")),
        (Consent.deny("K", "P", AT), Consent("K", "P", AT, Effect.DENY), Consent.permit("K", "P", AT)),
        (DR, Accessor("DrA", "Org1", ["doctor"]), Accessor("DrA", "Org2", ["doctor"])),
        (bg, BreakGlass("ED", t(2025, 6, 15, 11)), BreakGlass("ED", AT)),
        (
            ask(DR, Category.LABS, Purpose.ETREAT, labels=["R"], break_glass=bg, data_date=t(2016, 1, 1), originator="DrC"),
            ask(DR, Category.LABS, Purpose.ETREAT, labels=("R",), break_glass=bg, data_date=t(2016, 1, 1), originator="DrC"),
            ask(DR, Category.LABS, Purpose.ETREAT),
        ),
        (Rights(["labs"], ["read"], ["TREAT"]), Rights([Category.LABS], [Action.READ], [Purpose.TREAT]), Rights.all()),
        (RolePolicy(), RolePolicy(RolePolicy().roles), RolePolicy.empty()),
        (Decision("deny", "consent", "K1", [], [0, 1]), Decision(Effect.DENY, Basis.CONSENT, "K1", path=(0, 1)), Decision("deny", "consent", "K1")),
        (
            BookingQuestion(DESK, "Kid", AT, kind="telehealth", patient_is_minor=True, guardian="Mum"),
            BookingQuestion(DESK, "Kid", AT, kind=AppointmentKind.TELEHEALTH, patient_is_minor=True, guardian="Mum"),
            BookingQuestion(DESK, "Kid", AT),
        ),
        (Refusal("guardian_missing"), Refusal(RefusalCheck.GUARDIAN_MISSING), Refusal("telehealth")),
        (
            BookingVerdict([Refusal("access", Decision("deny", "role"))]),
            BookingVerdict((Refusal(RefusalCheck.ACCESS, Decision(Effect.DENY, Basis.ROLE)),)),
            BookingVerdict(),
        ),
    ]


def test_values_are_immutable_equal_by_value_hashable_and_picklable() -> None:
    for a, same, other in value_examples():
        assert a == same and hash(a) == hash(same) and a is not same, repr(a)
        assert a != other, repr(a)
        assert len({a, same, other}) == 2
        r = repr(a)
        assert r.startswith("hcas." + type(a).__name__ + "("), r
        assert repr(same) == r and repr(other) != r
        for attr in ("id", "decision", "start", "roles", "when", "allowed"):
            if hasattr(a, attr):
                with pytest.raises(AttributeError):
                    setattr(a, attr, None)
        for back in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
            assert back == a and hash(back) == hash(a) and type(back) is type(a)
            assert back != other and repr(back) == r


def test_value_accessors() -> None:
    c = Consent.permit("C1", "P1", t(2025, 3, 1), scope=Match(orgs=["Org1"]), provisions=[Provision(Match(purposes=["HPAYMT"]))])
    assert (c.id, c.patient, c.status, c.date, c.period, c.decision) == ("C1", "P1", ConsentStatus.ACTIVE, t(2025, 3, 1), None, Effect.PERMIT)
    assert c.scope == Match(orgs=["Org1"]) and c.provisions == (Provision(Match(purposes=[Purpose.HPAYMT])),)
    m = c.provisions[0].when
    assert (m.purposes, m.roles, m.actors, m.period) == ((Purpose.HPAYMT,), None, None, None)
    assert c.provisions[0].provisions == ()
    p = Period(t(2025, 1, 1), t(2026, 1, 1))
    assert (p.start, p.end) == (t(2025, 1, 1), t(2026, 1, 1))
    assert p.contains(t(2025, 1, 1)) and not p.contains(t(2026, 1, 1))
    assert Period().contains(t(1, 1, 1)) and Period().start is None
    r = ask(DR, Category.LABS, Purpose.ETREAT, break_glass=BreakGlass("ED", AT))
    assert (r.patient, r.at, r.data_date, r.labels, r.originator) == ("Pat1", AT, None, (), None)
    assert r.break_glass == BreakGlass("ED", AT) and r.actor == DR
    assert repr(Consent.deny("K2", "Pat9", t(2025, 3, 1))) == 'hcas.Consent("K2", "Pat9", "2025-03-01T00:00:00Z", "deny", status="active")'


def kid_consent() -> Consent:
    # crates/hcas-core/src/consent/appointment.rs: Kid's consent: nobody,
    # except Mum for appointments.
    return Consent.deny("T1", "Kid", t(2025, 1, 1), provisions=[Provision(Match(actors=["Mum"], categories=[Category.APPOINTMENTS]))])


def test_booking_allowed() -> None:
    consents = [kid_consent()]
    desk = Accessor("Fd1", "OrgA", [Role.ADMIN])
    q = BookingQuestion(desk, "Kid", t(2025, 6, 1, 9), patient_is_minor=True, guardian="Mum")
    # Access: the desk writes Kid's appointments for HOPERAT; T1 applies and
    # its provision names only Mum: deny by T1. Guardian: T1 permits Mum
    # (provision matched) and would not permit an unnamed actor: passes.
    v = hcas.booking_allowed(q, consents)
    assert v == BookingVerdict([Refusal(RefusalCheck.ACCESS, Decision(Effect.DENY, Basis.CONSENT, "T1"))])
    assert not v.allowed and not v and v.refusals[0].check is RefusalCheck.ACCESS
    # Mum books herself: the guardian check is her access check: allowed.
    mum = Accessor("Mum", "OrgA", [Role.PATIENT])
    mine = BookingQuestion(mum, "Kid", t(2025, 6, 1, 9), patient_is_minor=True, guardian="Mum")
    assert hcas.booking_allowed(mine, consents) == BookingVerdict() and hcas.booking_allowed(mine, consents).allowed
    # Telehealth by the desk: access, and no consent permits the desk telehealth.
    tele = BookingQuestion(desk, "Kid", t(2025, 6, 1, 9), kind=AppointmentKind.TELEHEALTH, patient_is_minor=True, guardian="Mum")
    assert [r.check for r in hcas.booking_allowed(tele, consents).refusals] == [RefusalCheck.ACCESS, RefusalCheck.TELEHEALTH]
    # A minor without a guardian; an adult booked in person without consents (default HOPERAT): allowed.
    alone = BookingQuestion(desk, "Kid", t(2025, 6, 1, 9), patient_is_minor=True)
    assert hcas.booking_allowed(alone, []).refusals == (Refusal(RefusalCheck.GUARDIAN_MISSING),)
    assert hcas.booking_allowed(BookingQuestion(desk, "Ann", t(2025, 6, 1, 9)), consents).allowed
    # Telehealth with no consent at all: the default step does not count.
    tv = hcas.booking_allowed(BookingQuestion(desk, "Ann", t(2025, 6, 1, 9), kind="telehealth"), [])
    assert tv.refusals == (Refusal("telehealth"),)
    with pytest.raises(hcas.InvalidRequestError, match="patient_is_minor=True"):
        BookingQuestion(desk, "Ann", AT, guardian="Mum")
    with pytest.raises(hcas.InvalidRequestError, match="required for RefusalCheck.ACCESS"):
        Refusal("access")


def test_compiled_consents_answer_as_decide() -> None:
    consents = [
        kid_consent(),
        Consent.permit("K1", "Pat1", t(2025, 1, 1), provisions=[Provision(Match(purposes=[Purpose.HPAYMT]))]),
        Consent.deny("K2", "Pat1", t(2025, 2, 1), status="draft"),
    ]
    compiled = CompiledConsents("Pat1", consents)
    assert len(compiled) == 1 and compiled.patient == "Pat1"  # Pat1's active ones
    for req in (
        ask(DR, Category.LABS, Purpose.TREAT),
        ask(DESK, Category.APPOINTMENTS, Purpose.HPAYMT),
        ask(RESEARCHER, Category.LABS, Purpose.HRESCH),
    ):
        assert compiled.decide(req) == hcas.decide(req, consents)
    assert compiled.by_consent(ask(DESK, Category.APPOINTMENTS, Purpose.HPAYMT)) == Decision(Effect.DENY, Basis.CONSENT, "K1", path=[0])
    q = BookingQuestion(DESK, "Pat1", AT)
    assert compiled.booking_allowed(q) == hcas.booking_allowed(q, consents)
    with pytest.raises(hcas.InvalidRequestError, match="compiled for patient `Pat1`"):
        compiled.decide(ask(DR, Category.LABS, Purpose.TREAT, patient="Pat2"))
    assert CompiledConsents("Nobody", []).by_consent(ask(DR, Category.LABS, Purpose.TREAT, patient="Nobody")) is None


def test_the_gil_is_released_while_deciding() -> None:
    from test_gil import ran_during

    many = [
        Consent.permit(f"K{i}", "Pat1", t(2025, 1, 1) + dt.timedelta(minutes=i), provisions=[Provision(Match(actors=[f"A{i}"]))])
        for i in range(3000)
    ]
    req = ask(DR, Category.LABS, Purpose.TREAT)
    assert ran_during(lambda: hcas.decide(req, many))
    q = BookingQuestion(DESK, "Pat1", AT)
    assert ran_during(lambda: hcas.booking_allowed(q, many))
