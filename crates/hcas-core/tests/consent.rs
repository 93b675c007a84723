//! The consent engine: a naive evaluator written straight from the text of
//! `CONSENT.md` (no compilation, no shortcuts), unit tests of each sentence,
//! `booking_allowed`, error codes, and property tests (compiled == naive,
//! determinism, order independence, monotonicity of deny exceptions).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use hcas_core::ErrorCode;
use hcas_core::Timestamp;
use hcas_core::consent::{
    Accessor, Action, AppointmentKind, Basis, BookingQuestion, BreakGlass, Category,
    CompiledConsents, Consent, ConsentRequest, ConsentStatus, Decision, Effect, Match, Period,
    Provision, Purpose, Refusal, Rights, Role, RolePolicy, booking_allowed, decide,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The decision procedure of `CONSENT.md`, read sentence by sentence.
mod naive {
    use super::*;

    fn effect(permitted: bool) -> Effect {
        if permitted {
            Effect::Permit
        } else {
            Effect::Deny
        }
    }

    /// "Periods are half-open `[start, end)`, either end optional."
    fn inside(p: &Period, t: Timestamp) -> bool {
        let after_start = match p.start {
            Some(s) => s <= t,
            None => true,
        };
        let before_end = match p.end {
            Some(e) => t < e,
            None => true,
        };
        after_start && before_end
    }

    /// "A match holds when every field it has holds (AND); a list field holds
    /// when any of its values matches (OR; `labels` holds when the data
    /// carries any of them); an absent field holds always. A field that needs
    /// a value the request does not carry (`data_period` without
    /// `data_date`, `labels` on unlabelled data) does not hold."
    pub(super) fn holds(m: &Match, r: &ConsentRequest) -> bool {
        let mut every = true;
        if let Some(actors) = &m.actors {
            every &= actors.contains(&r.actor.id);
        }
        if let Some(roles) = &m.roles {
            every &= roles.iter().any(|x| r.actor.roles.contains(x));
        }
        if let Some(orgs) = &m.orgs {
            every &= orgs.contains(&r.actor.org);
        }
        if let Some(purposes) = &m.purposes {
            every &= purposes.contains(&r.purpose);
        }
        if let Some(categories) = &m.categories {
            every &= categories.contains(&r.category);
        }
        if let Some(actions) = &m.actions {
            every &= actions.contains(&r.action);
        }
        if let Some(labels) = &m.labels {
            every &= labels.iter().any(|l| r.labels.contains(l));
        }
        if let Some(period) = &m.period {
            every &= inside(period, r.at);
        }
        if let Some(period) = &m.data_period {
            every &= match r.data_date {
                Some(d) => inside(period, d),
                None => false,
            };
        }
        every
    }

    /// "A consent applies when it is `active`, is the request's patient's,
    /// `at` is inside its `period`, and its `scope` matches."
    pub(super) fn applies(c: &Consent, r: &ConsentRequest) -> bool {
        c.status == ConsentStatus::Active
            && c.patient == r.patient
            && c.period.as_ref().is_none_or(|p| inside(p, r.at))
            && c.scope.as_ref().is_none_or(|s| holds(s, r))
    }

    /// "provisions are exceptions, each with the opposite effect of its
    /// parent: a matching provision's effect is the effect of its own
    /// matching children when it has any, else its own; when several sibling
    /// provisions match and their effects differ, deny wins."
    ///
    /// The result of a node whose own effect is `own` and whose exceptions
    /// are `kids`, with the path (first matching child whose result equals
    /// the combined result, then down).
    pub(super) fn result(
        own: Effect,
        kids: &[Provision],
        r: &ConsentRequest,
    ) -> (Effect, Vec<usize>) {
        let mut matching = Vec::new();
        for (i, k) in kids.iter().enumerate() {
            if holds(&k.when, r) {
                let opposite = match own {
                    Effect::Permit => Effect::Deny,
                    Effect::Deny => Effect::Permit,
                };
                let (e, below) = result(opposite, &k.provisions, r);
                matching.push((i, e, below));
            }
        }
        if matching.is_empty() {
            return (own, Vec::new());
        }
        let combined = if matching.iter().any(|m| m.1 == Effect::Deny) {
            Effect::Deny
        } else {
            Effect::Permit
        };
        let (i, _, below) = matching.into_iter().find(|m| m.1 == combined).unwrap();
        let mut path = vec![i];
        path.extend(below);
        (combined, path)
    }

    /// Step 4 alone: "Among applicable consents the one with the latest
    /// `date` decides; between consents of the same `date` a deny beats a
    /// permit, and then the smallest `id` decides."
    pub(super) fn by_consent(r: &ConsentRequest, consents: &[Consent]) -> Option<Decision> {
        let applicable: Vec<(&Consent, Effect, Vec<usize>)> = consents
            .iter()
            .filter(|c| applies(c, r))
            .map(|c| {
                let (e, p) = result(c.decision, &c.provisions, r);
                (c, e, p)
            })
            .collect();
        let latest = applicable.iter().map(|a| a.0.date).max()?;
        let same_date: Vec<&(&Consent, Effect, Vec<usize>)> =
            applicable.iter().filter(|a| a.0.date == latest).collect();
        let wins = if same_date.iter().any(|a| a.1 == Effect::Deny) {
            Effect::Deny
        } else {
            Effect::Permit
        };
        let (c, e, path) = same_date
            .into_iter()
            .filter(|a| a.1 == wins)
            .min_by(|a, b| a.0.id.cmp(&b.0.id))?;
        let mut d = Decision::by_consent(*e, c.id.clone(), path.clone());
        d.obligations = obligations(r);
        Some(d)
    }

    /// "Every request that carries `break_glass` carries the obligation
    /// `audit-break-glass`, whatever its decision and at whichever step it
    /// was decided."
    fn obligations(r: &ConsentRequest) -> Vec<String> {
        match r.break_glass {
            Some(_) => vec!["audit-break-glass".to_string()],
            None => vec![],
        }
    }

    /// Steps 1-5, "first that decides wins".
    pub(super) fn decide(
        r: &ConsentRequest,
        consents: &[Consent],
        policy: &RolePolicy,
    ) -> Decision {
        let plain = |decision, basis| {
            let mut d = Decision::new(decision, basis);
            d.obligations = obligations(r);
            d
        };
        // 1. Self.
        let has_patient_role = r.actor.roles.contains(&Role::Patient);
        if has_patient_role && r.actor.id == r.patient {
            let may = match r.action {
                Action::Read => r.category != Category::Psychotherapy,
                Action::Write => r.category == Category::Appointments,
            };
            return plain(effect(may), Basis::SelfAccess);
        }
        let only_patient =
            !r.actor.roles.is_empty() && r.actor.roles.iter().all(|x| *x == Role::Patient);
        if only_patient && r.actor.id != r.patient {
            return plain(Effect::Deny, Basis::Role);
        }
        // 2. Role gate: "An actor with several roles passes if any role passes."
        let mut passes = false;
        for role in &r.actor.roles {
            if let Some(row) = policy.roles.get(role)
                && row.categories.contains(&r.category)
                && row.actions.contains(&r.action)
                && row.purposes.contains(&r.purpose)
            {
                passes = true;
            }
        }
        if !passes {
            return plain(Effect::Deny, Basis::Role);
        }
        // 3. Break-glass.
        if let Some(bg) = &r.break_glass {
            let doctor_or_nurse = r
                .actor
                .roles
                .iter()
                .any(|x| *x == Role::Doctor || *x == Role::Nurse);
            let not_after_at = bg.started_at <= r.at;
            let within_60_minutes = r.at.unix() - bg.started_at.unix() <= 60 * 60;
            let granted = doctor_or_nurse
                && r.purpose == Purpose::Etreat
                && !bg.reason.trim().is_empty()
                && not_after_at
                && within_60_minutes;
            return plain(effect(granted), Basis::BreakGlass);
        }
        // 4. Consents.
        if let Some(d) = by_consent(r, consents) {
            return d;
        }
        // 5. Default.
        let purpose_permitted = matches!(
            r.purpose,
            Purpose::Treat | Purpose::Etreat | Purpose::Hpaymt | Purpose::Hoperat
        );
        let psychotherapy_allowed = r.category != Category::Psychotherapy
            || r.originator.as_deref() == Some(r.actor.id.as_str());
        plain(
            effect(purpose_permitted && psychotherapy_allowed),
            Basis::Default,
        )
    }
}

// ------------------------------------------------------------------------------------------
// Helpers

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn consent(v: Value) -> Consent {
    Consent::from_json(&v, "consent").unwrap()
}

fn request(v: Value) -> ConsentRequest {
    ConsentRequest::from_json(&v, "request").unwrap()
}

fn doctor_labs() -> Value {
    json!({
        "actor": { "id": "DrA", "roles": ["doctor"], "org": "Org1" },
        "patient": "P1", "category": "labs", "action": "read", "purpose": "TREAT",
        "at": "2025-06-15T12:00:00Z"
    })
}

fn with(mut base: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn both(r: &ConsentRequest, consents: &[Consent], policy: &RolePolicy) -> Decision {
    let fast = decide(r, consents, policy).unwrap();
    let slow = naive::decide(r, consents, policy);
    assert_eq!(fast, slow, "compiled and naive disagree on {r:?}");
    fast
}

fn code_of(input: Value) -> ErrorCode {
    hcas_core::wire::evaluate("consent", &input)
        .unwrap_err()
        .code()
}

// ------------------------------------------------------------------------------------------
// Unit tests

#[test]
fn default_policy_is_the_table_of_consent_md() {
    let p = RolePolicy::default();
    let row = |r: Role| p.roles.get(&r).unwrap().clone();
    use Category::*;
    use Purpose::*;
    assert_eq!(row(Role::Doctor).categories, Category::ALL.to_vec());
    assert_eq!(row(Role::Doctor).actions, vec![Action::Read, Action::Write]);
    assert_eq!(row(Role::Doctor).purposes, vec![Treat, Etreat, Hoperat]);
    assert_eq!(
        row(Role::Nurse).categories,
        vec![Appointments, Records, Notes, Labs]
    );
    assert_eq!(row(Role::Nurse).purposes, vec![Treat, Etreat, Hoperat]);
    assert_eq!(row(Role::Admin).categories, vec![Appointments]);
    assert_eq!(row(Role::Admin).purposes, vec![Hoperat, Hpaymt]);
    assert_eq!(row(Role::Researcher).categories, vec![Records, Labs]);
    assert_eq!(row(Role::Researcher).actions, vec![Action::Read]);
    assert_eq!(row(Role::Researcher).purposes, vec![Hresch]);
    assert!(!p.roles.contains_key(&Role::Patient));
    // The JSON form with "*" parses to the same table.
    let parsed = RolePolicy::from_json(
        &json!({ "roles": {
            "doctor": { "categories": ["*"], "actions": ["read", "write"], "purposes": ["TREAT", "ETREAT", "HOPERAT"] },
            "nurse": { "categories": ["appointments", "records", "notes", "labs"], "actions": ["*"], "purposes": ["TREAT", "ETREAT", "HOPERAT"] },
            "admin": { "categories": ["appointments"], "actions": ["read", "write"], "purposes": ["HOPERAT", "HPAYMT"] },
            "researcher": { "categories": ["records", "labs"], "actions": ["read"], "purposes": ["HRESCH"] }
        }}),
        "policy",
    )
    .unwrap();
    assert_eq!(parsed, p);
}

#[test]
fn the_consent_md_example_request_and_consent() {
    // The request of CONSENT.md carries break_glass: doctor, ETREAT? No: TREAT, so
    // break-glass fails and denies, with the obligation.
    let c = consent(json!({
        "id": "C1", "patient": "P1", "status": "active", "date": "2025-03-01T00:00:00Z",
        "period": { "start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z" },
        "decision": "permit", "scope": { "orgs": ["Org1"] },
        "provisions": [ { "purposes": ["HPAYMT"], "provisions": [ { "categories": ["appointments"] } ] } ]
    }));
    let r = request(json!({
        "actor": { "id": "DrA", "roles": ["doctor"], "org": "Org1" },
        "patient": "P1", "category": "labs", "action": "read", "purpose": "TREAT",
        "at": "2025-06-15T12:00:00Z", "data_date": "2016-03-01T00:00:00Z", "labels": ["R"],
        "originator": "DrC",
        "break_glass": { "reason": "unconscious in ED", "started_at": "2025-06-15T11:30:00Z" }
    }));
    let d = both(&r, std::slice::from_ref(&c), &RolePolicy::default());
    assert_eq!(d.decision, Effect::Deny);
    assert_eq!(d.basis, Basis::BreakGlass);
    assert_eq!(d.obligations, ["audit-break-glass"]);
    // Without break_glass the consent decides: TREAT is not the HPAYMT exception.
    let mut r2 = r.clone();
    r2.break_glass = None;
    let d = both(&r2, std::slice::from_ref(&c), &RolePolicy::default());
    assert_eq!(
        (d.decision, d.basis, d.consent.as_deref()),
        (Effect::Permit, Basis::Consent, Some("C1"))
    );
    assert!(d.path.is_empty());
    assert!(d.obligations.is_empty());
}

#[test]
fn paths_name_the_deciding_provision() {
    let c = consent(json!({
        "id": "C1", "patient": "P1", "status": "active", "date": "2025-03-01T00:00:00Z",
        "decision": "permit",
        "provisions": [
            { "purposes": ["HMARKT"] },
            { "categories": ["labs"], "provisions": [
                { "actors": ["DrB"] },
                { "actors": ["DrA"], "provisions": [ { "labels": ["V"] } ] }
            ] },
            { "actions": ["read"] }
        ]
    }));
    let cs = [c];
    let p = RolePolicy::default();
    // Matches [1] (deny) -> [1,1] (permit); [2] (deny) also matches: deny wins at the top,
    // and the first deny sibling is [2].
    let d = both(&request(doctor_labs()), &cs, &p);
    assert_eq!((d.decision, d.path.clone()), (Effect::Deny, vec![2]));
    // A write: [2] does not match; [1] -> [1,1] permits.
    let d = both(
        &request(with(doctor_labs(), json!({ "action": "write" }))),
        &cs,
        &p,
    );
    assert_eq!((d.decision, d.path.clone()), (Effect::Permit, vec![1, 1]));
    // A write on V-labelled data: [1,1,0] denies again.
    let d = both(
        &request(with(
            doctor_labs(),
            json!({ "action": "write", "labels": ["V"] }),
        )),
        &cs,
        &p,
    );
    assert_eq!((d.decision, d.path.clone()), (Effect::Deny, vec![1, 1, 0]));
    // Records write: nothing matches, the base permit decides.
    let d = both(
        &request(with(
            doctor_labs(),
            json!({ "action": "write", "category": "records" }),
        )),
        &cs,
        &p,
    );
    assert_eq!((d.decision, d.path.clone()), (Effect::Permit, vec![]));
}

#[test]
fn decision_json_has_consent_exactly_for_basis_consent() {
    let out = hcas_core::wire::evaluate(
        "consent",
        &json!({ "consents": [], "request": doctor_labs() }),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({ "decision": "permit", "basis": "default", "obligations": [], "path": [] })
    );
    let out = hcas_core::wire::evaluate(
        "consent",
        &json!({ "consents": [ { "id": "K", "patient": "P1", "status": "active",
            "date": "2025-01-01T00:00:00Z", "decision": "deny" } ],
            "policy": null, "request": doctor_labs() }),
    )
    .unwrap();
    assert_eq!(out["consent"], "K");
    assert_eq!(out["basis"], "consent");
}

#[test]
fn self_access_ignores_purpose_and_consents() {
    let deny_all = consent(json!({ "id": "K", "patient": "P1", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny" }));
    let me = json!({ "id": "P1", "roles": ["patient"], "org": "Portal" });
    for (category, action, permit) in [
        ("appointments", "read", true),
        ("records", "read", true),
        ("notes", "read", true),
        ("labs", "read", true),
        ("psychotherapy", "read", false),
        ("appointments", "write", true),
        ("records", "write", false),
        ("psychotherapy", "write", false),
    ] {
        let r = request(with(
            doctor_labs(),
            json!({ "actor": me, "category": category, "action": action, "purpose": "HMARKT" }),
        ));
        let d = both(&r, std::slice::from_ref(&deny_all), &RolePolicy::default());
        assert_eq!(d.basis, Basis::SelfAccess, "{category} {action}");
        assert_eq!(d.is_permit(), permit, "{category} {action}");
    }
}

#[test]
fn a_patient_doctor_on_own_data_is_decided_by_self() {
    // Role patient and id == patient: step 1 decides even for a doctor.
    let r = request(with(
        doctor_labs(),
        json!({ "actor": { "id": "P1", "roles": ["doctor", "patient"], "org": "Org1" },
                "category": "labs", "action": "write" }),
    ));
    let d = both(&r, &[], &RolePolicy::default());
    assert_eq!((d.decision, d.basis), (Effect::Deny, Basis::SelfAccess));
    // The same person on another patient's labs: not patient-only, so the gate and default.
    let r = request(with(
        doctor_labs(),
        json!({ "actor": { "id": "P1", "roles": ["doctor", "patient"], "org": "Org1" },
                "patient": "P2", "action": "write" }),
    ));
    let d = both(&r, &[], &RolePolicy::default());
    assert_eq!((d.decision, d.basis), (Effect::Permit, Basis::Default));
}

#[test]
fn an_actor_without_roles_is_stopped_by_the_gate() {
    let r = request(with(
        doctor_labs(),
        json!({ "actor": { "id": "X", "roles": [], "org": "Org1" } }),
    ));
    let d = both(&r, &[], &RolePolicy::default());
    assert_eq!((d.decision, d.basis), (Effect::Deny, Basis::Role));
}

#[test]
fn break_glass_window_in_seconds() {
    let base = with(
        doctor_labs(),
        json!({ "purpose": "ETREAT", "at": "2025-06-15T12:00:00Z" }),
    );
    for (started, permit) in [
        ("2025-06-15T11:00:00Z", true),      // exactly 60 minutes
        ("2025-06-15T10:59:59Z", false),     // 60 minutes and a second
        ("2025-06-15T12:00:00Z", true),      // at `at`
        ("2025-06-15T12:00:01Z", false),     // after `at`
        ("2025-06-15T13:00:00+01:00", true), // = 12:00Z, offsets are instants
    ] {
        let r = request(with(
            base.clone(),
            json!({ "break_glass": { "reason": "code blue", "started_at": started } }),
        ));
        let d = both(&r, &[], &RolePolicy::default());
        assert_eq!(d.basis, Basis::BreakGlass, "{started}");
        assert_eq!(d.is_permit(), permit, "{started}");
        assert_eq!(d.obligations, ["audit-break-glass"]);
    }
    // A blank reason is no reason.
    let r = request(with(
        base,
        json!({ "break_glass": { "reason": "  \t", "started_at": "2025-06-15T11:30:00Z" } }),
    ));
    assert!(!both(&r, &[], &RolePolicy::default()).is_permit());
}

#[test]
fn same_date_ties_go_to_deny_then_smallest_id_in_byte_order() {
    let mk = |id: &str, decision: &str| {
        consent(json!({ "id": id, "patient": "P1", "status": "active",
            "date": "2025-01-01T00:00:00Z", "decision": decision }))
    };
    let r = request(doctor_labs());
    let p = RolePolicy::default();
    let d = both(&r, &[mk("K9", "permit"), mk("K10", "permit")], &p);
    assert_eq!(d.consent.as_deref(), Some("K10"));
    let d = both(
        &r,
        &[mk("A", "permit"), mk("B", "deny"), mk("C", "deny")],
        &p,
    );
    assert_eq!(
        (d.decision, d.consent.as_deref()),
        (Effect::Deny, Some("B"))
    );
}

#[test]
fn errors_name_the_field() {
    let base = |consent: Value| json!({ "consents": [consent], "request": doctor_labs() });
    let ok = json!({ "id": "K", "patient": "P1", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny" });
    let err = |input: Value| hcas_core::wire::evaluate("consent", &input).unwrap_err();
    let e = err(base(with(
        ok.clone(),
        json!({ "provisions": [ { "provisions": [ { "roles": ["surgeon"] } ] } ] }),
    )));
    assert_eq!(e.code(), ErrorCode::InvalidConsent);
    assert!(
        e.message()
            .starts_with("consents[0].provisions[0].provisions[0].roles[0]:"),
        "{e}"
    );
    let e = err(base(with(
        ok.clone(),
        json!({ "period": { "start": "2025-02-01T00:00:00Z", "end": "2025-02-01T00:00:00Z" } }),
    )));
    assert_eq!(e.code(), ErrorCode::InvalidConsent);
    assert!(e.message().starts_with("consents[0].period:"), "{e}");
    let e = err(base(with(ok.clone(), json!({ "date": "2025-01-01" }))));
    assert_eq!(e.code(), ErrorCode::InvalidDatetime);
    assert!(e.message().starts_with("consents[0].date:"), "{e}");
    let e = err(
        json!({ "consents": [], "request": with(doctor_labs(), json!({ "purpose": "treat" })) }),
    );
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    assert!(e.message().starts_with("request.purpose:"), "{e}");
    let e = err(
        json!({ "consents": [], "policy": { "roles": { "surgeon": { "categories": [], "actions": [], "purposes": [] } } }, "request": doctor_labs() }),
    );
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    assert!(e.message().starts_with("policy.roles:"), "{e}");
}

#[test]
fn programmatic_consents_are_validated_too() {
    let mut c = consent(json!({ "id": "K", "patient": "P1", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny" }));
    let mut empty_roles = Match::any();
    empty_roles.roles = Some(vec![]);
    c.provisions = vec![Provision::new(empty_roles)];
    let e = CompiledConsents::new("P1", &[c.clone()], &RolePolicy::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConsent);
    // Too deep.
    let mut deep = Provision::default();
    for _ in 0..40 {
        deep = Provision::new(Match::any()).with_provision(deep);
    }
    c.provisions = vec![deep];
    assert_eq!(c.validate().unwrap_err().code(), ErrorCode::InvalidConsent);
    // Duplicate ids, even across patients.
    let a = consent(json!({ "id": "K", "patient": "P1", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny" }));
    let b = consent(json!({ "id": "K", "patient": "P2", "status": "draft",
        "date": "2025-01-01T00:00:00Z", "decision": "permit" }));
    let e = CompiledConsents::new("P1", &[a, b], &RolePolicy::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConsent);
    assert!(e.message().starts_with("consents[1].id:"), "{e}");
}

#[test]
fn compiled_consents_refuse_another_patient() {
    let compiled = CompiledConsents::new("P2", &[], &RolePolicy::default()).unwrap();
    let e = compiled.decide(&request(doctor_labs())).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    assert!(compiled.is_empty());
}

#[test]
fn serde_goes_through_validation() {
    let bad: Result<Consent, _> = serde_json::from_value(json!({ "id": "K", "patient": "P1",
        "status": "revoked", "date": "2025-01-01T00:00:00Z", "decision": "deny" }));
    assert!(bad.unwrap_err().to_string().contains("invalid_consent"));
    let c = consent(
        json!({ "id": "K", "patient": "P1", "status": "entered-in-error",
        "date": "2025-01-01T00:00:00+02:00", "decision": "deny",
        "scope": { "orgs": ["O"], "data_period": { "end": "2020-01-01T00:00:00Z" } },
        "provisions": [ { "labels": ["R"], "provisions": [ { "actors": ["A"] } ] } ] }),
    );
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["date"], "2024-12-31T22:00:00Z");
    assert_eq!(v["status"], "entered-in-error");
    assert_eq!(v["provisions"][0]["provisions"][0]["actors"][0], "A");
    let back: Consent = serde_json::from_value(v).unwrap();
    assert_eq!(back, c);
}

// ------------------------------------------------------------------------------------------
// booking_allowed

fn actor(id: &str, roles: &[Role]) -> Accessor {
    roles
        .iter()
        .fold(Accessor::new(id, "OrgA"), |a, r| a.with_role(*r))
}

fn question<'a>(a: &'a Accessor, patient: &'a str) -> BookingQuestion<'a> {
    BookingQuestion::new(a, patient, t("2025-06-01T09:00:00Z"))
}

#[test]
fn booking_in_person_needs_access_only() {
    let p = RolePolicy::default();
    let desk = actor("Fd1", &[Role::Admin]);
    let me = actor("Pat", &[Role::Patient]);
    let other = actor("Pat2", &[Role::Patient]);
    let researcher = actor("R", &[Role::Researcher]);
    assert!(
        booking_allowed(&[], &p, &question(&desk, "Pat"))
            .unwrap()
            .allowed
    );
    assert!(
        booking_allowed(&[], &p, &question(&me, "Pat"))
            .unwrap()
            .allowed
    );
    let v = booking_allowed(&[], &p, &question(&other, "Pat")).unwrap();
    assert!(
        matches!(v.refusals.as_slice(), [Refusal::Access { decision }] if decision.basis == Basis::Role)
    );
    let v = booking_allowed(&[], &p, &question(&researcher, "Pat")).unwrap();
    assert!(!v.allowed);
    // An opt-out refuses staff bookings but not the patient's own.
    let opt_out = consent(json!({ "id": "K", "patient": "Pat", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny" }));
    let cs = [opt_out];
    assert!(
        !booking_allowed(&cs, &p, &question(&desk, "Pat"))
            .unwrap()
            .allowed
    );
    assert!(
        booking_allowed(&cs, &p, &question(&me, "Pat"))
            .unwrap()
            .allowed
    );
}

#[test]
fn telehealth_needs_a_consent() {
    let p = RolePolicy::default();
    let desk = actor("Fd1", &[Role::Admin]);
    let me = actor("Pat", &[Role::Patient]);
    let mut q = question(&desk, "Pat");
    q.kind = AppointmentKind::Telehealth;
    // No consent: the default permits booking, but not telehealth.
    let v = booking_allowed(&[], &p, &q).unwrap();
    assert_eq!(v.refusals, [Refusal::Telehealth { decision: None }]);
    // A deny-based consent with a telehealth exception.
    let tele = consent(json!({ "id": "T", "patient": "Pat", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny",
        "provisions": [
            { "purposes": ["TREAT"], "categories": ["appointments"], "labels": ["telehealth"] },
            { "purposes": ["HOPERAT"], "categories": ["appointments"] }
        ] }));
    assert!(
        booking_allowed(std::slice::from_ref(&tele), &p, &q)
            .unwrap()
            .allowed
    );
    q.actor = &me;
    assert!(
        booking_allowed(std::slice::from_ref(&tele), &p, &q)
            .unwrap()
            .allowed
    );
    // Revoked later: a newer deny wins.
    let revoked = consent(json!({ "id": "U", "patient": "Pat", "status": "active",
        "date": "2025-05-01T00:00:00Z", "decision": "permit",
        "provisions": [ { "labels": ["telehealth"] } ] }));
    let v = booking_allowed(&[tele.clone(), revoked], &p, &q).unwrap();
    assert!(matches!(v.refusals.as_slice(),
        [Refusal::Telehealth { decision: Some(d) }] if d.consent.as_deref() == Some("U")));
    // Out of its period: no consent applies.
    q.at = t("2024-06-01T09:00:00Z");
    let mut dated = tele;
    dated.period = Some(Period::since(t("2025-01-01T00:00:00Z")));
    let v = booking_allowed(&[dated], &p, &q).unwrap();
    assert_eq!(v.refusals, [Refusal::Telehealth { decision: None }]);
}

#[test]
fn a_minor_needs_a_guardian_singled_out_by_a_consent() {
    let p = RolePolicy::default();
    let desk = actor("Fd1", &[Role::Admin]);
    let mum = actor("Mum", &[Role::Patient]);
    let kid = actor("Kid", &[Role::Patient]);
    let guardian = consent(json!({ "id": "G", "patient": "Kid", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "permit",
        "scope": { "categories": ["appointments"], "purposes": ["TREAT"] },
        "provisions": [ { "provisions": [ { "actors": ["Mum", "Dad"] } ] } ] }));
    let cs = [guardian];
    let mut q = question(&desk, "Kid");
    q.patient_is_minor = true;
    assert_eq!(
        booking_allowed(&cs, &p, &q).unwrap().refusals,
        [Refusal::GuardianMissing]
    );
    q.guardian = Some("Mum");
    assert!(booking_allowed(&cs, &p, &q).unwrap().allowed);
    q.guardian = Some("Stranger");
    let v = booking_allowed(&cs, &p, &q).unwrap();
    assert!(
        matches!(v.refusals.as_slice(), [Refusal::Guardian { decision: Some(d) }] if !d.is_permit())
    );
    // The guardian books herself.
    q.actor = &mum;
    q.guardian = Some("Mum");
    assert!(booking_allowed(&cs, &p, &q).unwrap().allowed);
    // The child books, the guardian named: allowed (step 1 lets the child book).
    q.actor = &kid;
    assert!(booking_allowed(&cs, &p, &q).unwrap().allowed);
    // A consent letting everybody in does not single anyone out.
    let open = consent(json!({ "id": "O", "patient": "Kid", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "permit" }));
    q.actor = &desk;
    let v = booking_allowed(&[open], &p, &q).unwrap();
    assert!(matches!(v.refusals.as_slice(), [Refusal::Guardian { .. }]));
    // No consent at all: the default is no guardianship.
    let v = booking_allowed(&[], &p, &q).unwrap();
    assert_eq!(v.refusals, [Refusal::Guardian { decision: None }]);
}

#[test]
fn booking_reports_every_failed_check() {
    let p = RolePolicy::default();
    let other = actor("Pat2", &[Role::Patient]);
    let mut q = question(&other, "Kid");
    q.kind = AppointmentKind::Telehealth;
    q.patient_is_minor = true;
    let v = booking_allowed(&[], &p, &q).unwrap();
    assert_eq!(v.refusals.len(), 3);
    assert!(matches!(v.refusals[0], Refusal::Access { .. }));
    assert!(matches!(v.refusals[1], Refusal::Telehealth { .. }));
    assert!(matches!(v.refusals[2], Refusal::GuardianMissing));
}

// ------------------------------------------------------------------------------------------
// Property tests

const BASE: i64 = 1_748_736_000; // 2025-06-01T00:00:00Z
const HOUR: i64 = 3600;

fn at_hour(h: i64) -> Timestamp {
    Timestamp::from_unix(BASE + h * HOUR).unwrap()
}

fn subset<T: Clone + std::fmt::Debug + 'static>(all: &'static [T]) -> BoxedStrategy<Vec<T>> {
    prop::sample::subsequence(all.to_vec(), 1..=all.len()).boxed()
}

fn strings(all: &'static [&'static str]) -> BoxedStrategy<Vec<String>> {
    prop::sample::subsequence(all.to_vec(), 1..=all.len())
        .prop_map(|v| v.into_iter().map(String::from).collect())
        .boxed()
}

fn rare<T: std::fmt::Debug + Clone + 'static>(s: BoxedStrategy<T>) -> BoxedStrategy<Option<T>> {
    prop_oneof![3 => Just(None), 1 => s.prop_map(Some)].boxed()
}

/// Periods with ends on whole hours 0..=8, so `at` falls on their bounds often.
fn arb_period() -> BoxedStrategy<Period> {
    (prop::option::of(0i64..8), prop::option::of(1i64..9))
        .prop_map(|(s, e)| match (s, e) {
            (Some(s), Some(e)) if e <= s => {
                Period::between(at_hour(e - 1), at_hour(s + 1)).unwrap()
            }
            (Some(s), Some(e)) => Period::between(at_hour(s), at_hour(e)).unwrap(),
            (Some(s), None) => Period::since(at_hour(s)),
            (None, Some(e)) => Period::until(at_hour(e)),
            (None, None) => Period::default(),
        })
        .boxed()
}

const ACTORS: &[&str] = &["A1", "A2", "P1"];
const ORGS: &[&str] = &["O1", "O2"];
const LABELS: &[&str] = &["R", "V"];

fn arb_match() -> BoxedStrategy<Match> {
    (
        (
            rare(strings(ACTORS)),
            rare(subset(Role::ALL)),
            rare(strings(ORGS)),
            rare(subset(Purpose::ALL)),
        ),
        (
            rare(subset(Category::ALL)),
            rare(subset(Action::ALL)),
            rare(strings(LABELS)),
            rare(arb_period()),
            rare(arb_period()),
        ),
    )
        .prop_map(
            |(
                (actors, roles, orgs, purposes),
                (categories, actions, labels, period, data_period),
            )| {
                let mut m = Match::any();
                m.actors = actors;
                m.roles = roles;
                m.orgs = orgs;
                m.purposes = purposes;
                m.categories = categories;
                m.actions = actions;
                m.labels = labels;
                m.period = period;
                m.data_period = data_period;
                m
            },
        )
        .boxed()
}

fn arb_provision() -> BoxedStrategy<Provision> {
    let leaf = arb_match().prop_map(Provision::new).boxed();
    leaf.prop_recursive(3, 24, 3, |inner| {
        (arb_match(), prop::collection::vec(inner, 0..3))
            .prop_map(|(when, provisions)| {
                provisions
                    .into_iter()
                    .fold(Provision::new(when), Provision::with_provision)
            })
            .boxed()
    })
    .boxed()
}

fn arb_consent_body() -> BoxedStrategy<Consent> {
    (
        prop_oneof![
            6 => Just(ConsentStatus::Active),
            1 => Just(ConsentStatus::Inactive),
            1 => Just(ConsentStatus::Draft),
            1 => Just(ConsentStatus::EnteredInError),
        ],
        prop_oneof![4 => Just("P1"), 1 => Just("P2")],
        0i64..3,
        rare(arb_period()),
        prop_oneof![Just(Effect::Permit), Just(Effect::Deny)],
        rare(arb_match()),
        prop::collection::vec(arb_provision(), 0..4),
    )
        .prop_map(
            |(status, patient, day, period, decision, scope, provisions)| {
                let date = Timestamp::from_unix(BASE - 86_400 * (10 - day)).unwrap();
                let mut c =
                    Consent::new(String::new(), patient, date, decision).with_status(status);
                c.period = period;
                c.scope = scope;
                c.provisions = provisions;
                c
            },
        )
        .boxed()
}

/// Up to 5 consents with unique ids (numbers, so `K10 < K9` in byte order shows up).
fn arb_consents() -> BoxedStrategy<Vec<Consent>> {
    prop::collection::btree_set(0u8..40, 0..6)
        .prop_flat_map(|ids| {
            let n = ids.len();
            (Just(ids), prop::collection::vec(arb_consent_body(), n..=n))
        })
        .prop_map(|(ids, bodies)| {
            ids.into_iter()
                .zip(bodies)
                .map(|(id, mut c)| {
                    c.id = format!("K{id}");
                    c
                })
                .collect()
        })
        .boxed()
}

/// A policy row's list: often everything (`"*"`), else any subset (empty included).
fn row<T: Clone + std::fmt::Debug + 'static>(all: &'static [T]) -> BoxedStrategy<Vec<T>> {
    prop_oneof![
        1 => Just(all.to_vec()),
        1 => prop::sample::subsequence(all.to_vec(), 0..=all.len()),
    ]
    .boxed()
}

fn arb_policy() -> BoxedStrategy<RolePolicy> {
    prop_oneof![
        2 => Just(RolePolicy::default()),
        1 => prop::collection::btree_map(
            prop::sample::select(Role::ALL.to_vec()),
            (
                row(Category::ALL),
                row(Action::ALL),
                row(Purpose::ALL),
            )
                .prop_map(|(categories, actions, purposes)| Rights::new(categories, actions, purposes)),
            0..6,
        )
        .prop_map(|roles: BTreeMap<Role, Rights>| {
            roles
                .into_iter()
                .fold(RolePolicy::empty(), |p, (role, rights)| p.with_role(role, rights))
        }),
    ]
    .boxed()
}

fn arb_request() -> BoxedStrategy<ConsentRequest> {
    (
        (
            prop::sample::select(vec!["A1", "A2", "P1", "P2"]),
            prop_oneof![
                3 => Just(vec![Role::Doctor]),
                1 => Just(vec![Role::Nurse]),
                2 => prop::sample::subsequence(Role::ALL.to_vec(), 0..=3),
            ],
            prop::sample::select(ORGS.to_vec()),
            prop_oneof![4 => Just("P1"), 1 => Just("P2")],
        ),
        (
            prop::sample::select(Category::ALL.to_vec()),
            prop::sample::select(Action::ALL.to_vec()),
            prop_oneof![
                3 => prop::sample::select(vec![Purpose::Treat, Purpose::Etreat, Purpose::Hoperat]),
                2 => prop::sample::select(Purpose::ALL.to_vec()),
            ],
            0i64..36, // at, in 15-minute steps over 9 hours
        ),
        (
            prop::option::of(0i64..9),
            prop::sample::subsequence(LABELS.to_vec(), 0..=2),
            prop::option::of(prop::sample::select(vec!["A1", "A2", "P1"])),
            prop_oneof![
                3 => Just(None),
                1 => (
                    prop::sample::select(vec!["", " ", "code blue"]),
                    prop::sample::select(vec![-900i64, -1, 0, 1800, 3599, 3600, 3601, 5400]),
                    any::<bool>(),
                )
                    .prop_map(Some),
            ],
        ),
    )
        .prop_map(
            |(
                (id, roles, org, patient),
                (category, action, purpose, q),
                (dd, labels, orig, bg),
            )| {
                let at = Timestamp::from_unix(BASE + q * 900).unwrap();
                // Break-glass is asked for emergency treatment more often than not.
                let purpose = match bg {
                    Some((_, _, true)) => Purpose::Etreat,
                    _ => purpose,
                };
                let actor = roles
                    .into_iter()
                    .fold(Accessor::new(id, org), Accessor::with_role);
                let mut b = ConsentRequest::builder(actor, patient)
                    .access(action, category)
                    .for_purpose(purpose)
                    .at(at);
                if let Some(d) = dd {
                    b = b.data_date(at_hour(d));
                }
                for l in labels {
                    b = b.label(l);
                }
                if let Some(o) = orig {
                    b = b.originator(o);
                }
                if let Some((reason, before, _)) = bg {
                    // Seconds before `at`: after it, at it, inside, on 60 minutes, beyond.
                    let started = Timestamp::from_unix(at.unix() - before).unwrap();
                    b = b.break_glass(BreakGlass::new(reason, started));
                }
                b.build().unwrap()
            },
        )
        .boxed()
}

/// The nodes whose own effect is permit: `None` is a permit consent's root,
/// `Some(path)` a provision.
fn permit_sites(c: &Consent) -> Vec<Option<Vec<usize>>> {
    fn walk(
        list: &[Provision],
        own: Effect,
        prefix: &mut Vec<usize>,
        out: &mut Vec<Option<Vec<usize>>>,
    ) {
        for (i, p) in list.iter().enumerate() {
            prefix.push(i);
            let e = own.flip();
            if e == Effect::Permit {
                out.push(Some(prefix.clone()));
            }
            walk(&p.provisions, e, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    if c.decision == Effect::Permit {
        out.push(None);
    }
    walk(&c.provisions, c.decision, &mut Vec::new(), &mut out);
    out
}

fn children_at<'a>(c: &'a mut Consent, site: &Option<Vec<usize>>) -> &'a mut Vec<Provision> {
    let mut list = &mut c.provisions;
    if let Some(path) = site {
        for &i in path {
            list = &mut list[i].provisions;
        }
    }
    list
}

proptest! {
    #![proptest_config(ProptestConfig::default())] // cases: $PROPTEST_CASES (default 256)

    /// The compiled evaluator answers exactly what the naive reading of CONSENT.md answers,
    /// path and obligations included; so does step 4 alone.
    #[test]
    fn compiled_equals_naive(consents in arb_consents(), policy in arb_policy(), r in arb_request()) {
        let fast = decide(&r, &consents, &policy).unwrap();
        let slow = naive::decide(&r, &consents, &policy);
        prop_assert_eq!(&fast, &slow);
        let compiled = CompiledConsents::new(&r.patient, &consents, &policy).unwrap();
        prop_assert_eq!(compiled.by_consent(&r).unwrap(), naive::by_consent(&r, &consents));
        // The public one-consent helpers read the text the same way.
        for c in &consents {
            prop_assert_eq!(c.applies(&r), naive::applies(c, &r));
            for p in &c.provisions {
                prop_assert_eq!(p.when.holds(&r), naive::holds(&p.when, &r));
            }
        }
        // `consent` is present exactly when the basis is `consent`; obligations exactly with break_glass.
        prop_assert_eq!(fast.consent.is_some(), fast.basis == Basis::Consent);
        prop_assert_eq!(!fast.obligations.is_empty(), r.break_glass.is_some());
        prop_assert!(fast.path.is_empty() || fast.basis == Basis::Consent);
    }

    /// The same question gets the same answer: twice from one compiled form, and from
    /// a second compilation.
    #[test]
    fn decisions_are_deterministic(consents in arb_consents(), policy in arb_policy(), r in arb_request()) {
        let a = CompiledConsents::new(&r.patient, &consents, &policy).unwrap();
        let b = CompiledConsents::new(&r.patient, &consents, &policy).unwrap();
        let first = a.decide(&r).unwrap();
        prop_assert_eq!(&first, &a.decide(&r).unwrap());
        prop_assert_eq!(&first, &b.decide(&r).unwrap());
    }

    /// The order of the consent list never matters.
    #[test]
    fn consent_order_does_not_matter(
        (consents, shuffled) in arb_consents().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        policy in arb_policy(),
        r in arb_request(),
    ) {
        prop_assert_eq!(decide(&r, &consents, &policy).unwrap(), decide(&r, &shuffled, &policy).unwrap());
    }

    /// Adding a deny provision (with any exceptions of its own) under a node whose effect
    /// is permit never turns a deny into a permit.
    #[test]
    fn deny_under_permit_never_loosens(
        consents in arb_consents(),
        policy in arb_policy(),
        r in arb_request(),
        pick in any::<prop::sample::Index>(),
        added in arb_provision(),
    ) {
        let sites: Vec<(usize, Option<Vec<usize>>)> = consents
            .iter()
            .enumerate()
            .flat_map(|(i, c)| permit_sites(c).into_iter().map(move |s| (i, s)))
            .collect();
        if sites.is_empty() {
            // No consent or only deny consents without provisions: nothing to add under.
            return Ok(());
        }
        let (ci, site) = pick.get(&sites).clone();
        let before = decide(&r, &consents, &policy).unwrap();
        let mut more = consents.clone();
        children_at(&mut more[ci], &site).push(added);
        let after = decide(&r, &more, &policy).unwrap();
        prop_assert!(
            !(before.decision == Effect::Deny && after.decision == Effect::Permit),
            "{:?} -> {:?}", before, after
        );
    }

    /// Steps 1-3 never look at consents: when one of them decides, dropping every consent
    /// changes nothing.
    #[test]
    fn steps_before_consents_ignore_them(consents in arb_consents(), policy in arb_policy(), r in arb_request()) {
        let d = decide(&r, &consents, &policy).unwrap();
        if matches!(d.basis, Basis::SelfAccess | Basis::Role | Basis::BreakGlass) {
            prop_assert_eq!(d, decide(&r, &[], &policy).unwrap());
        }
    }

    /// Consents, requests and policies survive a JSON round trip through the strict parsers.
    #[test]
    fn json_round_trip(consents in arb_consents(), policy in arb_policy(), r in arb_request()) {
        for c in &consents {
            let v = serde_json::to_value(c).unwrap();
            prop_assert_eq!(&Consent::from_json(&v, "c").unwrap(), c);
        }
        let v = serde_json::to_value(&r).unwrap();
        prop_assert_eq!(ConsentRequest::from_json(&v, "r").unwrap(), r);
        let v = serde_json::to_value(&policy).unwrap();
        prop_assert_eq!(RolePolicy::from_json(&v, "p").unwrap(), policy);
    }
}

#[test]
fn error_codes_by_place() {
    let ok_consent = json!({ "id": "K", "patient": "P1", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny" });
    let input = |c: Value, r: Value| json!({ "consents": [c], "request": r });
    assert_eq!(
        code_of(input(
            with(ok_consent.clone(), json!({ "scope": { "purposes": [] } })),
            doctor_labs()
        )),
        ErrorCode::InvalidConsent
    );
    assert_eq!(
        code_of(input(
            with(
                ok_consent.clone(),
                json!({ "scope": { "provisions": [ {} ] } })
            ),
            doctor_labs()
        )),
        ErrorCode::InvalidConsent
    );
    assert_eq!(
        code_of(input(
            with(ok_consent.clone(), json!({ "provisions": [] })),
            doctor_labs()
        )),
        ErrorCode::InvalidConsent
    );
    assert_eq!(
        code_of(input(
            with(
                ok_consent.clone(),
                json!({ "scope": { "categories": ["*"] } })
            ),
            doctor_labs()
        )),
        ErrorCode::InvalidConsent
    );
    assert_eq!(
        code_of(input(
            ok_consent.clone(),
            with(doctor_labs(), json!({ "data_date": "yesterday" }))
        )),
        ErrorCode::InvalidDatetime
    );
    assert_eq!(
        code_of(input(
            ok_consent.clone(),
            with(doctor_labs(), json!({ "labels": [""] }))
        )),
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        code_of(json!({ "consents": {}, "request": doctor_labs() })),
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        code_of(json!({ "consents": [], "request": doctor_labs(), "extra": 1 })),
        ErrorCode::InvalidRequest
    );
}
