//! The typed consent API: builders and constructors give the same values as
//! the JSON of `CONSENT.md`, every serialisable consent type reads back what
//! it writes, and what breaks a type's rules is refused on the way in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Debug;

use hcas_core::consent::{
    Accessor, Action, AppointmentKind, Basis, BookingQuestion, BookingVerdict, BreakGlass,
    Category, Consent, ConsentRequest, ConsentStatus, Decision, Effect, Match, Period, Provision,
    Purpose, Refusal, Rights, Role, RolePolicy, booking_allowed, decide,
};
use hcas_core::{ErrorCode, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn doctor() -> Accessor {
    Accessor::new("DrX", "OrgA").with_role(Role::Doctor)
}

/// A consent with every field set, built with the typed API.
fn full_consent() -> Consent {
    Consent::deny("K1", "Pat9", t("2025-03-01T09:30:00Z"))
        .with_status(ConsentStatus::Draft)
        .with_period(Period::between(t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")).unwrap())
        .with_scope(
            Match::any()
                .with_org("OrgA")
                .with_category(Category::Records)
                .with_category(Category::Labs)
                .with_data_period(Period::since(t("2010-01-01T00:00:00Z"))),
        )
        .with_provision(
            Provision::new(
                Match::any()
                    .with_role(Role::Doctor)
                    .with_purpose(Purpose::Treat)
                    .with_action(Action::Read)
                    .with_period(Period::until(t("2025-07-01T00:00:00Z"))),
            )
            .with_provision(Provision::new(
                Match::any().with_label("V").with_actor("DrY"),
            )),
        )
}

/// The same consent in the JSON of `CONSENT.md`.
fn full_consent_json() -> Value {
    json!({
        "id": "K1", "patient": "Pat9", "status": "draft", "date": "2025-03-01T09:30:00Z",
        "period": { "start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z" },
        "decision": "deny",
        "scope": { "orgs": ["OrgA"], "categories": ["records", "labs"],
                   "data_period": { "start": "2010-01-01T00:00:00Z" } },
        "provisions": [ {
            "roles": ["doctor"], "purposes": ["TREAT"], "actions": ["read"],
            "period": { "end": "2025-07-01T00:00:00Z" },
            "provisions": [ { "actors": ["DrY"], "labels": ["V"] } ]
        } ]
    })
}

// ------------------------------------------------------------------------------------------
// Builders and constructors

#[test]
fn the_consent_builder_gives_the_consent_of_the_json() {
    let built = full_consent();
    assert_eq!(
        built,
        Consent::from_json(&full_consent_json(), "consent").unwrap()
    );
    assert_eq!(serde_json::to_value(&built).unwrap(), full_consent_json());
    built.validate().unwrap();
}

#[test]
fn consent_constructors_set_status_and_decision() {
    let c = Consent::permit("K", "P", t("2025-01-01T00:00:00Z"));
    assert_eq!(
        (c.status, c.decision),
        (ConsentStatus::Active, Effect::Permit)
    );
    assert_eq!((c.id.as_str(), c.patient.as_str()), ("K", "P"));
    assert!(c.period.is_none() && c.scope.is_none() && c.provisions.is_empty());
    let d = Consent::deny("K", "P", t("2025-01-01T00:00:00Z"));
    assert_eq!(d.decision, Effect::Deny);
    assert_eq!(
        Consent::new("K", "P", t("2025-01-01T00:00:00Z"), Effect::Deny),
        d
    );
    // Nothing is checked on construction; validation names the field.
    let bad = Consent::permit("", "P", t("2025-01-01T00:00:00Z"));
    let e = bad.validate().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidConsent);
    assert!(e.message().starts_with("consent.id"), "{e}");
}

#[test]
fn periods_are_built_open_or_checked() {
    let (a, b) = (t("2025-01-01T00:00:00Z"), t("2025-02-01T00:00:00Z"));
    let since = Period::since(a);
    assert_eq!((since.start, since.end), (Some(a), None));
    let until = Period::until(b);
    assert_eq!((until.start, until.end), (None, Some(b)));
    let between = Period::between(a, b).unwrap();
    assert_eq!((between.start, between.end), (Some(a), Some(b)));
    assert!(between.contains(a) && !between.contains(b));
    for (s, e) in [(b, a), (a, a)] {
        let err = Period::between(s, e).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConsent, "{s} {e}");
    }
}

#[test]
fn match_builders_add_to_their_lists() {
    let m = Match::any()
        .with_actor("A1")
        .with_actor("A2")
        .with_role(Role::Nurse)
        .with_org("O1")
        .with_purpose(Purpose::Hresch)
        .with_category(Category::Notes)
        .with_action(Action::Write)
        .with_label("R");
    assert_eq!(m.actors, Some(vec!["A1".to_string(), "A2".to_string()]));
    assert_eq!(m.roles, Some(vec![Role::Nurse]));
    assert_eq!(m.orgs, Some(vec!["O1".to_string()]));
    assert_eq!(m.purposes, Some(vec![Purpose::Hresch]));
    assert_eq!(m.categories, Some(vec![Category::Notes]));
    assert_eq!(m.actions, Some(vec![Action::Write]));
    assert_eq!(m.labels, Some(vec!["R".to_string()]));
    assert_eq!(m.period, None);
    assert_eq!(Match::any(), Match::default());
    m.validate().unwrap();
    // A list may only be emptied by hand, and validation refuses that.
    let mut empty = Match::any();
    empty.labels = Some(vec![]);
    assert_eq!(
        empty.validate().unwrap_err().code(),
        ErrorCode::InvalidConsent
    );
}

#[test]
fn provisions_nest_with_the_builder_and_are_validated() {
    let p = Provision::new(Match::any().with_org("O"))
        .with_provision(Provision::new(Match::any().with_actor("A")))
        .with_provision(Provision::new(Match::any().with_actor("B")));
    assert_eq!(p.provisions.len(), 2);
    assert_eq!(p.when.orgs, Some(vec!["O".to_string()]));
    p.validate().unwrap();
    let mut deep = Provision::new(Match::any());
    for _ in 0..40 {
        deep = Provision::new(Match::any()).with_provision(deep);
    }
    assert_eq!(
        deep.validate().unwrap_err().code(),
        ErrorCode::InvalidConsent
    );
}

#[test]
fn the_request_builder_gives_the_request_of_the_json() {
    let built = ConsentRequest::builder(doctor(), "Pat9")
        .write(Category::Notes)
        .for_purpose(Purpose::Etreat)
        .at(t("2025-09-01T10:00:00Z"))
        .data_date(t("2020-01-01T00:00:00Z"))
        .label("V")
        .label("R")
        .originator("DrY")
        .break_glass(BreakGlass::new("coma", t("2025-09-01T09:30:00Z")))
        .build()
        .unwrap();
    let parsed = ConsentRequest::from_json(
        &json!({
            "actor": { "id": "DrX", "roles": ["doctor"], "org": "OrgA" },
            "patient": "Pat9", "category": "notes", "action": "write", "purpose": "ETREAT",
            "at": "2025-09-01T10:00:00Z", "data_date": "2020-01-01T00:00:00Z",
            "labels": ["V", "R"], "originator": "DrY",
            "break_glass": { "reason": "coma", "started_at": "2025-09-01T09:30:00Z" }
        }),
        "request",
    )
    .unwrap();
    assert_eq!(built, parsed);
    let read = ConsentRequest::builder(doctor(), "Pat9")
        .read(Category::Labs)
        .for_purpose(Purpose::Treat)
        .at(t("2025-09-01T10:00:00Z"))
        .build()
        .unwrap();
    assert_eq!((read.action, read.category), (Action::Read, Category::Labs));
    assert!(read.labels.is_empty() && read.break_glass.is_none() && read.data_date.is_none());
}

#[test]
fn the_request_builder_names_what_is_missing_or_invalid() {
    let start = || ConsentRequest::builder(doctor(), "Pat9");
    let at = t("2025-09-01T10:00:00Z");
    let cases = [
        (start().for_purpose(Purpose::Treat).at(at), "request.action"),
        (start().read(Category::Labs).at(at), "request.purpose"),
        (
            start().read(Category::Labs).for_purpose(Purpose::Treat),
            "request.at",
        ),
        (
            ConsentRequest::builder(Accessor::new("DrX", ""), "Pat9")
                .read(Category::Labs)
                .for_purpose(Purpose::Treat)
                .at(at),
            "request.actor.org",
        ),
        (
            ConsentRequest::builder(doctor(), "")
                .read(Category::Labs)
                .for_purpose(Purpose::Treat)
                .at(at),
            "request.patient",
        ),
        (
            start()
                .read(Category::Labs)
                .for_purpose(Purpose::Treat)
                .at(at)
                .label(""),
            "request.labels[0]",
        ),
    ];
    for (builder, field) in cases {
        let e = builder.build().unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest, "{field}");
        assert!(e.message().starts_with(field), "{field}: {e}");
    }
}

#[test]
fn accessors_and_break_glass_are_built_without_json() {
    let a = Accessor::new("Nu1", "OrgB")
        .with_role(Role::Nurse)
        .with_role(Role::Researcher);
    assert_eq!(
        a,
        serde_json::from_value(
            json!({ "id": "Nu1", "roles": ["nurse", "researcher"], "org": "OrgB" })
        )
        .unwrap()
    );
    a.validate().unwrap();
    let e = Accessor::new("", "OrgB").validate().unwrap_err();
    assert!(e.message().starts_with("actor.id"), "{e}");
    let b = BreakGlass::new("bleeding", t("2025-01-01T00:00:00Z"));
    assert_eq!(
        (b.reason.as_str(), b.started_at),
        ("bleeding", t("2025-01-01T00:00:00Z"))
    );
}

#[test]
fn the_default_policy_is_the_table_of_consent_md() {
    let table = RolePolicy::from_json(
        &json!({ "roles": {
            "doctor": { "categories": ["*"], "actions": ["*"], "purposes": ["TREAT", "ETREAT", "HOPERAT"] },
            "nurse": { "categories": ["appointments", "records", "notes", "labs"], "actions": ["read", "write"],
                       "purposes": ["TREAT", "ETREAT", "HOPERAT"] },
            "admin": { "categories": ["appointments"], "actions": ["read", "write"], "purposes": ["HOPERAT", "HPAYMT"] },
            "researcher": { "categories": ["records", "labs"], "actions": ["read"], "purposes": ["HRESCH"] }
        } }),
        "policy",
    )
    .unwrap();
    assert_eq!(RolePolicy::default(), table);
}

#[test]
fn policies_are_built_row_by_row() {
    let rights = Rights::new([Category::Records], [Action::Read], [Purpose::Hresch]);
    let p = RolePolicy::empty().with_role(Role::Researcher, rights.clone());
    assert_eq!(p.rights(Role::Researcher), Some(&rights));
    assert_eq!(p.rights(Role::Doctor), None);
    assert_eq!(
        p,
        RolePolicy::from_json(
            &json!({ "roles": { "researcher": {
                "categories": ["records"], "actions": ["read"], "purposes": ["HRESCH"] } } }),
            "policy"
        )
        .unwrap()
    );
    // with_role replaces a row; without_role removes it.
    let p = RolePolicy::default().with_role(Role::Admin, Rights::all());
    assert!(p.rights(Role::Admin).unwrap().allows(
        Category::Psychotherapy,
        Action::Write,
        Purpose::Hmarkt
    ));
    let p = p.without_role(Role::Admin);
    assert_eq!(p.rights(Role::Admin), None);
    assert_eq!(Rights::default(), Rights::new([], [], []));
    assert!(!Rights::default().allows(Category::Records, Action::Read, Purpose::Treat));
    assert_eq!(Rights::all().categories, Category::ALL);
    assert_eq!(Rights::all().actions, Action::ALL);
    assert_eq!(Rights::all().purposes, Purpose::ALL);
}

#[test]
fn the_role_gate_takes_the_request() {
    let ask = |who: Accessor, purpose| {
        ConsentRequest::builder(who, "Pat9")
            .read(Category::Labs)
            .for_purpose(purpose)
            .at(t("2025-09-01T10:00:00Z"))
            .build()
            .unwrap()
    };
    let policy = RolePolicy::default();
    assert!(policy.allows(&ask(doctor(), Purpose::Treat)));
    assert!(!policy.allows(&ask(doctor(), Purpose::Hresch)));
    let both = Accessor::new("X", "O")
        .with_role(Role::Admin)
        .with_role(Role::Researcher);
    assert!(
        policy.allows(&ask(both, Purpose::Hresch)),
        "any role is enough"
    );
    assert!(!RolePolicy::empty().allows(&ask(doctor(), Purpose::Treat)));
    // decide agrees: the gate is step 2.
    let d = decide(&ask(doctor(), Purpose::Treat), &[], &RolePolicy::empty()).unwrap();
    assert_eq!((d.decision, d.basis), (Effect::Deny, Basis::Role));
}

#[test]
fn decisions_are_built_for_reference_models() {
    let d = Decision::new(Effect::Permit, Basis::Default);
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        json!({ "decision": "permit", "basis": "default", "obligations": [], "path": [] })
    );
    let d = Decision::by_consent(Effect::Deny, "K1", vec![0, 1])
        .with_obligation("b")
        .with_obligation("a")
        .with_obligation("b");
    assert_eq!(d.basis, Basis::Consent);
    assert_eq!(d.consent.as_deref(), Some("K1"));
    assert_eq!(d.path, [0, 1]);
    assert_eq!(d.obligations, ["a", "b"], "sorted, without repeats");
    d.validate().unwrap();
}

#[test]
fn booking_questions_are_built_without_struct_literals() {
    let desk = Accessor::new("Fd1", "OrgA").with_role(Role::Admin);
    let mum = Accessor::new("Mum", "OrgA").with_role(Role::Patient);
    let at = t("2025-06-01T09:00:00Z");
    let q = BookingQuestion::new(&desk, "Kid", at);
    assert_eq!(
        (q.kind, q.patient_is_minor, q.guardian),
        (AppointmentKind::InPerson, false, None)
    );
    let q = q
        .with_kind(AppointmentKind::Telehealth)
        .for_minor(Some("Mum"))
        .by(&mum);
    assert_eq!(q.actor.id, "Mum");
    assert_eq!(
        (q.kind, q.patient_is_minor, q.guardian),
        (AppointmentKind::Telehealth, true, Some("Mum"))
    );
    // No consents: the guardian is singled out by none, and telehealth has no consent.
    let v = booking_allowed(&[], &RolePolicy::default(), &q).unwrap();
    assert!(!v.allowed);
    assert!(matches!(
        v.refusals.as_slice(),
        [
            Refusal::Telehealth { decision: None },
            Refusal::Guardian { decision: None }
        ]
    ));
    let v = booking_allowed(
        &[],
        &RolePolicy::default(),
        &BookingQuestion::new(&desk, "Kid", at),
    )
    .unwrap();
    assert!(v.allowed && v.refusals.is_empty());
}

// ------------------------------------------------------------------------------------------
// Symmetric serde: what is written reads back equal; what breaks the rules is refused

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let json = serde_json::to_value(value).unwrap();
    let back: T = serde_json::from_value(json.clone()).unwrap_or_else(|e| {
        panic!(
            "{} does not read back: {e}\n{json}",
            std::any::type_name::<T>()
        )
    });
    assert_eq!(&back, value, "{json}");
    let text = serde_json::to_string(value).unwrap();
    assert_eq!(&serde_json::from_str::<T>(&text).unwrap(), value);
}

fn refused<T: DeserializeOwned + Debug>(doc: Value) {
    let got = serde_json::from_value::<T>(doc.clone());
    assert!(
        got.is_err(),
        "{} accepted {doc}: {got:?}",
        std::any::type_name::<T>()
    );
}

fn request() -> ConsentRequest {
    ConsentRequest::builder(doctor(), "Pat9")
        .read(Category::Labs)
        .for_purpose(Purpose::Etreat)
        .at(t("2025-09-01T10:00:00Z"))
        .label("V")
        .break_glass(BreakGlass::new("coma", t("2025-09-01T09:59:00Z")))
        .build()
        .unwrap()
}

#[test]
fn every_consent_type_round_trips() {
    let c = full_consent();
    round_trip(&c);
    round_trip(&Consent::permit("K", "P", t("2025-01-01T00:00:00Z")));
    round_trip(&c.provisions[0]);
    round_trip(&c.provisions[0].provisions[0]);
    round_trip(c.scope.as_ref().unwrap());
    round_trip(&Match::any());
    round_trip(&c.period.unwrap());
    round_trip(&Period::since(t("2025-01-01T00:00:00Z")));
    round_trip(&Period::until(t("2025-01-01T00:00:00Z")));
    round_trip(&Rights::new(
        [Category::Labs],
        [Action::Read],
        [Purpose::Treat],
    ));
    round_trip(&Rights::all());
    round_trip(&Rights::default());
    round_trip(&RolePolicy::default());
    round_trip(&RolePolicy::empty());
    round_trip(&doctor());
    round_trip(&BreakGlass::new("  ", t("2025-01-01T00:00:00Z")));
    round_trip(&request());
    for &e in &[Effect::Permit, Effect::Deny] {
        round_trip(&e);
    }
    for s in [
        ConsentStatus::Active,
        ConsentStatus::Inactive,
        ConsentStatus::Draft,
        ConsentStatus::EnteredInError,
    ] {
        round_trip(&s);
    }
    for b in [
        Basis::SelfAccess,
        Basis::Role,
        Basis::BreakGlass,
        Basis::Consent,
        Basis::Default,
    ] {
        round_trip(&b);
    }
    for &r in Role::ALL {
        round_trip(&r);
    }
    for &x in Category::ALL {
        round_trip(&x);
    }
    for &x in Action::ALL {
        round_trip(&x);
    }
    for &x in Purpose::ALL {
        round_trip(&x);
    }
    round_trip(&AppointmentKind::InPerson);
    round_trip(&AppointmentKind::Telehealth);
}

#[test]
fn decisions_and_verdicts_round_trip() {
    let d = decide(&request(), &[full_consent()], &RolePolicy::default()).unwrap();
    round_trip(&d);
    round_trip(&Decision::by_consent(Effect::Permit, "K1", vec![2, 0]));
    round_trip(&Decision::new(Effect::Deny, Basis::Role).with_obligation("audit-break-glass"));
    // Verdicts, from the engine, with every refusal.
    let desk = Accessor::new("Fd1", "OrgA").with_role(Role::Researcher);
    let q = BookingQuestion::new(&desk, "Kid", t("2025-06-01T09:00:00Z"))
        .with_kind(AppointmentKind::Telehealth)
        .for_minor(None);
    let v = booking_allowed(&[], &RolePolicy::default(), &q).unwrap();
    assert_eq!(v.refusals.len(), 3, "{v:?}");
    round_trip(&v);
    for r in &v.refusals {
        round_trip(r);
    }
    round_trip(&BookingVerdict::new(vec![]));
    round_trip(&Refusal::Guardian {
        decision: Some(Decision::by_consent(Effect::Deny, "G", vec![])),
    });
}

#[test]
fn invalid_values_are_refused_on_the_way_in() {
    let consent = full_consent_json();
    let mut empty_id = consent.clone();
    empty_id["id"] = "".into();
    refused::<Consent>(empty_id);
    refused::<Consent>(json!({ "id": "K", "patient": "P", "status": "active",
        "date": "2025-01-01T00:00:00Z", "decision": "deny", "provisions": [] }));
    refused::<Provision>(json!({ "roles": [] }));
    refused::<Provision>(json!({ "roles": ["doctor"], "extra": 1 }));
    refused::<Match>(json!({ "actors": [""] }));
    refused::<Match>(json!({ "roles": ["surgeon"] }));
    refused::<Match>(json!({ "provisions": [ {} ] }));
    refused::<Period>(json!({ "start": "2025-02-01T00:00:00Z", "end": "2025-01-01T00:00:00Z" }));
    refused::<Period>(json!({ "start": "2025-02-01" }));
    refused::<Rights>(json!({ "categories": ["records"], "actions": ["delete"], "purposes": [] }));
    refused::<Rights>(json!({ "categories": [], "actions": [] }));
    refused::<Rights>(json!({ "categories": [], "actions": [], "purposes": [], "roles": [] }));
    refused::<RolePolicy>(
        json!({ "roles": { "surgeon": { "categories": [], "actions": [], "purposes": [] } } }),
    );
    refused::<Accessor>(json!({ "id": "", "roles": [], "org": "O" }));
    refused::<Accessor>(json!({ "id": "A", "roles": [], "org": "" }));
    refused::<Accessor>(json!({ "id": "A", "roles": ["Doctor"], "org": "O" }));
    refused::<Accessor>(json!({ "id": "A", "roles": [], "org": "O", "name": "Dr A" }));
    refused::<BreakGlass>(json!({ "reason": "x", "started_at": "yesterday" }));
    refused::<BreakGlass>(
        json!({ "reason": "x", "started_at": "2025-01-01T00:00:00Z", "by": "A" }),
    );
    let mut no_patient = serde_json::to_value(request()).unwrap();
    no_patient["patient"] = "".into();
    refused::<ConsentRequest>(no_patient);
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "consent", "obligations": [], "path": [] }),
    );
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "consent", "consent": "", "obligations": [], "path": [] }),
    );
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "role", "consent": "K1", "obligations": [], "path": [] }),
    );
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "default", "obligations": [], "path": [0] }),
    );
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "role", "obligations": ["b", "a"], "path": [] }),
    );
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "role", "obligations": ["a", "a"], "path": [] }),
    );
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "role", "obligations": [""], "path": [] }),
    );
    refused::<Decision>(
        json!({ "decision": "deny", "basis": "role", "obligations": [], "why": 1 }),
    );
    refused::<Basis>(json!("step-6"));
    refused::<BookingVerdict>(
        json!({ "allowed": true, "refusals": [ { "check": "guardian_missing" } ] }),
    );
    refused::<BookingVerdict>(json!({ "allowed": false, "refusals": [] }));
    refused::<Refusal>(json!({ "check": "access", "decision": {
        "decision": "deny", "basis": "consent", "obligations": [], "path": [] } }));
}

#[test]
fn the_wire_json_of_a_decision_is_unchanged() {
    // As the conformance vectors expect it: `consent` only with basis consent.
    let d = decide(&request(), &[], &RolePolicy::default()).unwrap();
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        json!({ "decision": "permit", "basis": "break-glass",
                "obligations": ["audit-break-glass"], "path": [] })
    );
}

#[cfg(feature = "fhir")]
#[test]
fn the_fhir_consent_mapping_keeps_its_old_path() {
    let c = full_consent();
    assert_eq!(
        hcas_core::consent::fhir::consent_to_fhir_r5(&c).unwrap(),
        hcas_core::fhir::consent_to_fhir_r5(&c).unwrap()
    );
    assert_eq!(
        hcas_core::fhir::consent::consent_from_fhir_r5(
            &hcas_core::fhir::consent_to_fhir_r5(&c).unwrap()
        )
        .unwrap(),
        c
    );
}
