//! The access matrix through the API: roles x categories x actions x
//! purposes x consent states x break-glass, each through
//! `POST /v1/patients/{id}/access`, checking the HTTP outcome against a
//! table written here from CONSENT.md's rules (not by calling the core) and
//! the audit record each request wrote. Then the purpose sources (token,
//! header, body, role default) and every route called with a valid token of
//! another organization (refused, the same answer whether the patient
//! exists or not, nothing written to the first organization's log).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::{Purpose, Role};
use serde_json::{Value, json};
use support::{ORG, OTHER, Server, patient};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    PatientSelf,
    PatientOther,
    Doctor,
    Nurse,
    Admin,
    Researcher,
}

const WHO: [Who; 6] = [
    Who::PatientSelf,
    Who::PatientOther,
    Who::Doctor,
    Who::Nurse,
    Who::Admin,
    Who::Researcher,
];
const CATEGORIES: [&str; 5] = ["appointments", "records", "notes", "labs", "psychotherapy"];
const ACTIONS: [&str; 2] = ["read", "write"];
const PURPOSES: [&str; 6] = ["TREAT", "ETREAT", "HPAYMT", "HOPERAT", "HRESCH", "HMARKT"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConsentState {
    None,
    Permit,
    Deny,
    Expired,
    Revoked,
}

const STATES: [(ConsentState, &str); 5] = [
    (ConsentState::None, "PNONE"),
    (ConsentState::Permit, "PPERMIT"),
    (ConsentState::Deny, "PDENY"),
    (ConsentState::Expired, "PEXPIRED"),
    (ConsentState::Revoked, "PREVOKED"),
];

/// Break-glass: none, with a reason, with a blank reason.
const GLASS: [Option<&str>; 3] = [None, Some("unconscious in ED"), Some("  ")];

/// CONSENT.md's default role table: may `who` use `category`, `action`, `purpose` at all?
fn role_allows(who: Who, category: &str, action: &str, purpose: &str) -> bool {
    let clinical = ["TREAT", "ETREAT", "HOPERAT"].contains(&purpose);
    match who {
        Who::Doctor => clinical,
        Who::Nurse => clinical && category != "psychotherapy",
        Who::Admin => category == "appointments" && ["HOPERAT", "HPAYMT"].contains(&purpose),
        Who::Researcher => {
            ["records", "labs"].contains(&category) && action == "read" && purpose == "HRESCH"
        }
        Who::PatientSelf | Who::PatientOther => false,
    }
}

/// CONSENT.md's decision steps, written out independently: (permit, basis).
fn expected(
    who: Who,
    category: &str,
    action: &str,
    purpose: &str,
    state: ConsentState,
    glass: Option<&str>,
) -> (bool, &'static str) {
    // 1. Self.
    if who == Who::PatientSelf {
        let ok = (action == "read" && category != "psychotherapy")
            || (action == "write" && category == "appointments");
        return (ok, "self");
    }
    if who == Who::PatientOther {
        return (false, "role");
    }
    // 2. Role gate.
    if !role_allows(who, category, action, purpose) {
        return (false, "role");
    }
    // 3. Break-glass.
    if let Some(reason) = glass {
        let ok = matches!(who, Who::Doctor | Who::Nurse)
            && purpose == "ETREAT"
            && !reason.trim().is_empty();
        return (ok, "break-glass");
    }
    // 4. Consents (expired and revoked ones do not apply).
    match state {
        ConsentState::Permit => return (true, "consent"),
        ConsentState::Deny => return (false, "consent"),
        _ => {}
    }
    // 5. Default.
    if category == "psychotherapy" {
        return (false, "default");
    }
    (
        ["TREAT", "ETREAT", "HPAYMT", "HOPERAT"].contains(&purpose),
        "default",
    )
}

fn roles_of(who: Who) -> Vec<Role> {
    match who {
        Who::PatientSelf | Who::PatientOther => vec![Role::Patient],
        Who::Doctor => vec![Role::Doctor],
        Who::Nurse => vec![Role::Nurse],
        Who::Admin => vec![Role::Admin],
        Who::Researcher => vec![Role::Researcher],
    }
}

fn subject_of(who: Who, patient: &str) -> String {
    match who {
        Who::PatientSelf => patient.to_string(),
        Who::PatientOther => "POTHER".to_string(),
        Who::Doctor => "dr1".to_string(),
        Who::Nurse => "n1".to_string(),
        Who::Admin => "desk1".to_string(),
        Who::Researcher => "rs1".to_string(),
    }
}

/// Five patients, one per consent state.
async fn setup(s: &Server) {
    let admin = s.token("desk0", &[Role::Admin]);
    for (state, id) in STATES {
        s.post(
            "/v1/patients",
            &admin,
            patient(id, "Pat Example", "1970-01-01", &[]),
        )
        .await
        .ok(201);
        let consent = match state {
            ConsentState::None => continue,
            ConsentState::Permit => json!({"id": format!("K{id}"), "status": "active",
                "date": "2025-01-01T00:00:00Z", "decision": "permit"}),
            ConsentState::Deny | ConsentState::Revoked => json!({"id": format!("K{id}"),
                "status": "active", "date": "2025-01-01T00:00:00Z", "decision": "deny"}),
            ConsentState::Expired => json!({"id": format!("K{id}"), "status": "active",
                "date": "2020-01-01T00:00:00Z", "decision": "deny",
                "period": {"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}}),
        };
        s.post(&format!("/v1/patients/{id}/consents"), &admin, consent)
            .await
            .ok(201);
        if state == ConsentState::Revoked {
            s.call(
                "POST",
                &format!("/v1/patients/{id}/consents/K{id}/revoke"),
                &admin,
                None,
                &[],
            )
            .await
            .ok(200);
        }
    }
}

#[tokio::test]
async fn the_access_matrix() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let store = s.store(ORG).await;
    let mut last_seq = store
        .audit_after(0, 100_000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .seq;
    let mut tokens = std::collections::HashMap::new();
    let mut n = 0usize;
    let mut permits = 0usize;
    for (state, pid) in STATES {
        for who in WHO {
            let subject = subject_of(who, pid);
            let token = tokens
                .entry(subject.clone())
                .or_insert_with(|| s.token(&subject, &roles_of(who)))
                .clone();
            for category in CATEGORIES {
                for action in ACTIONS {
                    for purpose in PURPOSES {
                        for glass in GLASS {
                            n += 1;
                            let mut body = json!({"category": category, "action": action});
                            if let Some(reason) = glass {
                                body["break_glass"] = json!({ "reason": reason });
                            }
                            // Half the requests name the purpose in the body,
                            // half in the header.
                            let headers: Vec<(&str, &str)> = if n.is_multiple_of(2) {
                                body["purpose"] = json!(purpose);
                                vec![]
                            } else {
                                vec![("x-purpose-of-use", purpose)]
                            };
                            let res = s
                                .call(
                                    "POST",
                                    &format!("/v1/patients/{pid}/access"),
                                    &token,
                                    Some(body),
                                    &headers,
                                )
                                .await;
                            let (permit, basis) =
                                expected(who, category, action, purpose, state, glass);
                            let case = format!(
                                "{who:?} {category} {action} {purpose} {state:?} glass={glass:?}"
                            );
                            if permit {
                                permits += 1;
                                assert_eq!(res.status, 200, "{case}: {}", res.json);
                                assert_eq!(res.json["decision"], "permit", "{case}");
                                assert_eq!(res.json["basis"], basis, "{case}");
                                assert_eq!(res.json["purpose"], purpose, "{case}");
                            } else {
                                let p = res.problem(403, "forbidden");
                                let detail = p["detail"].as_str().unwrap();
                                assert_eq!(
                                    detail,
                                    format!("access denied (basis: {basis})"),
                                    "{case}"
                                );
                                assert!(!p.to_string().contains(&format!("K{pid}")), "{case}");
                            }
                            // Exactly one audit record, saying all of it.
                            let recs = store.audit_after(last_seq, 10).await.unwrap();
                            assert_eq!(recs.len(), 1, "{case}");
                            let e = &recs[0].event;
                            last_seq = recs[0].seq;
                            assert_eq!(e.actor, subject, "{case}");
                            assert_eq!(e.patient.as_deref(), Some(pid), "{case}");
                            assert_eq!(e.action, "access.check", "{case}");
                            assert_eq!(e.purpose.as_deref(), Some(purpose), "{case}");
                            assert_eq!(e.outcome, if permit { "permit" } else { "deny" }, "{case}");
                            let d = &e.detail;
                            assert_eq!(d["category"], category, "{case}");
                            assert_eq!(d["access"], action, "{case}");
                            assert_eq!(d["basis"], basis, "{case}");
                            assert_eq!(d["request_id"], res.request_id().as_str(), "{case}");
                            assert_eq!(d["roles"], json!(roles_of(who)), "{case}");
                            assert_eq!(d["org"], ORG, "{case}");
                            let consent_expected = (basis == "consent").then(|| format!("K{pid}"));
                            assert_eq!(d["consent"], json!(consent_expected), "{case}");
                            match glass {
                                Some(reason) => {
                                    assert_eq!(d["break_glass"]["reason"], reason, "{case}");
                                    assert_eq!(
                                        d["obligations"],
                                        json!(["audit-break-glass"]),
                                        "{case}"
                                    );
                                }
                                None => {
                                    assert!(d.get("break_glass").is_none(), "{case}");
                                    assert_eq!(d["obligations"], json!([]), "{case}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(n, 5 * 6 * 5 * 2 * 6 * 3);
    // The table is not degenerate: both outcomes, every basis.
    assert!(permits > 100 && permits < n - 100, "{permits} of {n}");
    // /metrics agrees with the audit log: one consent denial per audited
    // deny the engine decided, one break-glass use per permit on that basis.
    let log = s.audit(ORG).await;
    let denials = log
        .iter()
        .filter(|r| r.event.outcome == "deny" && r.event.detail["basis"] != "purpose")
        .count();
    let glass = log
        .iter()
        .filter(|r| r.event.outcome == "permit" && r.event.detail["basis"] == "break-glass")
        .count();
    assert!(denials > 0 && glass > 0, "{denials} {glass}");
    let text = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counter = |name: &str| -> usize {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics"))
    };
    assert_eq!(counter("hcas_consent_denials_total"), denials);
    assert_eq!(counter("hcas_break_glass_total"), glass);
    s.stop().await;
}

/// Where the purpose comes from: the token, else the body or header, else
/// the role's default (ETREAT for break-glass); a request naming another
/// purpose than its token is denied and audited; an unknown code is 422.
#[tokio::test]
async fn purposes_from_token_header_body_and_role() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let store = s.store(ORG).await;
    let last = |recs: Vec<hcas_store::AuditRecord>| recs.last().unwrap().event.clone();
    let check = json!({"category": "appointments", "action": "read"});
    let path = "/v1/patients/PNONE/access";

    // Role defaults.
    for (roles, purpose) in [
        (vec![Role::Doctor], "TREAT"),
        (vec![Role::Nurse], "TREAT"),
        (vec![Role::Admin], "HOPERAT"),
        (vec![Role::Researcher], "HRESCH"),
    ] {
        let t = s.token("x1", &roles);
        let res = s.post(path, &t, check.clone()).await;
        let e = last(store.audit_after(0, 100_000).await.unwrap());
        assert_eq!(e.purpose.as_deref(), Some(purpose), "{roles:?}");
        assert_eq!(e.detail["request_id"], res.request_id().as_str());
    }
    let me = s.token("PNONE", &[Role::Patient]);
    s.post(path, &me, check.clone()).await.ok(200);
    assert_eq!(
        last(store.audit_after(0, 100_000).await.unwrap())
            .purpose
            .as_deref(),
        Some("TREAT")
    );
    // Break-glass without a purpose: ETREAT, granted to a doctor.
    let dr = s.token("dr1", &[Role::Doctor]);
    let res = s
        .post(
            path,
            &dr,
            json!({"category": "psychotherapy", "action": "read", "break_glass": {"reason": "overdose"}}),
        )
        .await;
    assert_eq!(res.ok(200)["purpose"], "ETREAT");
    assert_eq!(res.json["basis"], "break-glass");
    assert_eq!(res.json["obligations"], json!(["audit-break-glass"]));
    // A break-glass request without a reason member: refused and audited.
    let res = s
        .post(
            path,
            &dr,
            json!({"category": "labs", "action": "read", "break_glass": {}}),
        )
        .await;
    assert!(
        res.problem(403, "forbidden")["detail"]
            .as_str()
            .unwrap()
            .contains("basis: break-glass")
    );
    let e = last(store.audit_after(0, 100_000).await.unwrap());
    assert_eq!(e.detail["obligations"], json!(["audit-break-glass"]));
    assert_eq!(e.detail["break_glass"]["reason"], "");

    // The token's purpose: used, and a header or body naming another is denied.
    let tok = s.token_in(ORG, "dr2", &[Role::Doctor], Some(Purpose::Hoperat));
    assert_eq!(
        s.post(path, &tok, check.clone()).await.ok(200)["purpose"],
        "HOPERAT"
    );
    let res = s
        .call(
            "POST",
            path,
            &tok,
            Some(check.clone()),
            &[("x-purpose-of-use", "TREAT")],
        )
        .await;
    assert!(
        res.problem(403, "forbidden")["detail"]
            .as_str()
            .unwrap()
            .contains("basis: purpose")
    );
    let e = last(store.audit_after(0, 100_000).await.unwrap());
    assert_eq!(
        (e.outcome.as_str(), &e.detail["basis"]),
        ("deny", &json!("purpose"))
    );
    assert_eq!(e.detail["request_id"], res.request_id().as_str());
    let mut with_body = check.clone();
    with_body["purpose"] = json!("ETREAT");
    s.post(path, &tok, with_body)
        .await
        .problem(403, "forbidden");
    // The same purpose as the token's is fine.
    s.call(
        "POST",
        path,
        &tok,
        Some(check.clone()),
        &[("x-purpose-of-use", "HOPERAT")],
    )
    .await
    .ok(200);

    // A header purpose the role may not use: the engine's role gate.
    let admin = s.token("desk1", &[Role::Admin]);
    let res = s
        .call(
            "POST",
            path,
            &admin,
            Some(check.clone()),
            &[("x-purpose-of-use", "TREAT")],
        )
        .await;
    assert!(
        res.problem(403, "forbidden")["detail"]
            .as_str()
            .unwrap()
            .contains("basis: role")
    );
    // The header applies to every route: reading a profile for research
    // without a consent is denied by default.
    let rs = s.token("rs1", &[Role::Researcher]);
    let res = s
        .call(
            "GET",
            "/v1/patients/PNONE",
            &rs,
            None,
            &[("x-purpose-of-use", "HRESCH")],
        )
        .await;
    assert!(
        res.problem(403, "forbidden")["detail"]
            .as_str()
            .unwrap()
            .contains("basis: default")
    );
    let res = s
        .call(
            "GET",
            "/v1/patients/PPERMIT",
            &rs,
            None,
            &[("x-purpose-of-use", "HRESCH")],
        )
        .await;
    assert_eq!(res.ok(200)["id"], "PPERMIT");

    // Unknown codes: 422, before anything is read or audited.
    let before = store.audit_after(0, 100_000).await.unwrap().len();
    for bad in ["treat", "XYZ", ""] {
        s.call(
            "POST",
            path,
            &dr,
            Some(check.clone()),
            &[("x-purpose-of-use", bad)],
        )
        .await
        .problem(422, "invalid_purpose");
    }
    let mut bad_body = check.clone();
    bad_body["purpose"] = json!("NOPE");
    s.post(path, &dr, bad_body)
        .await
        .problem(422, "invalid_request");
    let mut bad_cat = check.clone();
    bad_cat["category"] = json!("genome");
    s.post(path, &dr, bad_cat)
        .await
        .problem(422, "invalid_request");
    assert_eq!(store.audit_after(0, 100_000).await.unwrap().len(), before);
    s.stop().await;
}

fn without_instance(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("instance");
    }
    v
}

/// Every route, called with a valid token of another organization: the
/// answer for organization A's patient is the same as for a patient that
/// exists nowhere, and A's log and data are untouched.
#[tokio::test]
async fn another_organizations_token_is_refused_revealing_nothing() {
    let s = Server::sqlite().await;
    let admin_a = s.token("desk1", &[Role::Admin]);
    s.post(
        "/v1/patients",
        &admin_a,
        patient("P1", "Ada Lovelace", "1990-12-10", &[]),
    )
    .await
    .ok(201);
    s.post(
        "/v1/patients/P1/consents",
        &admin_a,
        json!({"id": "K1", "status": "active", "decision": "permit"}),
    )
    .await
    .ok(201);
    let store_a = s.store(ORG).await;
    let log_a = store_a.audit_after(0, 100_000).await.unwrap().len();

    let body = patient("P1", "Mallory", "1990-12-10", &[]);
    let mut put_body = body.clone();
    put_body.as_object_mut().unwrap().remove("id");
    let consent = json!({"id": "K2", "status": "active", "decision": "permit"});
    let access = json!({"category": "records", "action": "read",
                        "break_glass": {"reason": "curious"}});
    // (method, path template, body, roles of the caller in B)
    let routes: Vec<(&str, &str, Option<Value>, Vec<Role>)> = vec![
        ("GET", "/v1/patients/{id}", None, vec![Role::Doctor]),
        (
            "PUT",
            "/v1/patients/{id}",
            Some(put_body),
            vec![Role::Doctor],
        ),
        (
            "POST",
            "/v1/patients/{id}/access",
            Some(access),
            vec![Role::Doctor],
        ),
        ("GET", "/v1/patients/{id}/consents", None, vec![Role::Admin]),
        (
            "POST",
            "/v1/patients/{id}/consents",
            Some(consent),
            vec![Role::Admin],
        ),
        (
            "POST",
            "/v1/patients/{id}/consents/K1/revoke",
            None,
            vec![Role::Admin],
        ),
    ];
    for org in [OTHER, "org-unserved"] {
        for (method, template, body, roles) in &routes {
            let t = s.token_in(org, "mallory", roles, None);
            let mut answers = Vec::new();
            for id in ["P1", "P-nowhere"] {
                let res = s
                    .call(
                        method,
                        &template.replace("{id}", id),
                        &t,
                        body.clone(),
                        &[("if-match", "1")],
                    )
                    .await;
                assert!(
                    [403, 404].contains(&res.status),
                    "{org} {method} {template}: {} {}",
                    res.status,
                    res.json
                );
                assert!(!res.json.to_string().contains("Ada"));
                answers.push((res.status, without_instance(res.json)));
            }
            assert_eq!(answers[0], answers[1], "{org} {method} {template}");
        }
    }
    // Registering with B's token creates B's own patient; A's is untouched.
    let admin_b = s.token_in(OTHER, "desk-b", &[Role::Admin], None);
    s.post("/v1/patients", &admin_b, body.clone()).await.ok(201);
    let a = store_a.get_patient("P1").await.unwrap();
    assert_eq!((a.version, a.value.name.as_str()), (1, "Ada Lovelace"));
    assert_eq!(store_a.consents_for("P1").await.unwrap().len(), 1);
    // B's verify sees B's log only; A's log got nothing from B.
    let v = s.get("/v1/audit/verify", &admin_b).await;
    assert_eq!(v.ok(200)["ok"], true);
    let log_b = s.audit(OTHER).await;
    assert_eq!(v.json["records"], log_b.len());
    assert!(log_b.iter().all(|r| r.event.detail["org"] == OTHER));
    assert_eq!(store_a.audit_after(0, 100_000).await.unwrap().len(), log_a);
    let unserved = s.token_in("org-unserved", "x", &[Role::Admin], None);
    s.get("/v1/audit/verify", &unserved)
        .await
        .problem(403, "forbidden");
    s.stop().await;
}
