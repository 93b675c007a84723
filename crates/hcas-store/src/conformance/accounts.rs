//! [`AccountStore`](crate::AccountStore): accounts (unique ignoring case) and
//! refresh-token families (rotation, reuse detection, expiry).

use super::*;
use crate::{Account, RefreshOutcome};

fn account(username: &str, subject: &str) -> Account {
    Account {
        username: username.to_string(),
        subject: subject.to_string(),
        roles: vec!["doctor".to_string(), "admin".to_string()],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_string(),
        created: at(0),
        disabled: false,
    }
}

pub async fn suite_accounts(store: &dyn Store) {
    let a = account("Dr.Who@example.org", "staff-1");
    assert_eq!(store.create_account(a.clone()).await.unwrap(), a);
    // Found under any case, as created.
    assert_eq!(store.account("dr.who@EXAMPLE.org").await.unwrap(), a);
    // Unique ignoring case.
    let (code, _) = code_of(
        store
            .create_account(account("DR.WHO@example.org", "staff-2"))
            .await,
    );
    assert_eq!(code, "already_exists");
    assert_eq!(
        store.account("dr.who@example.org").await.unwrap().subject,
        "staff-1"
    );
    let (code, _) = code_of(store.account("nobody").await);
    assert_eq!(code, "not_found");
    let (code, _) = code_of(store.account("nul\0byte").await);
    assert_eq!(code, "not_found");
    // Disable and enable.
    let d = store
        .set_account_disabled("DR.WHO@example.org", true)
        .await
        .unwrap();
    assert!(d.disabled);
    assert!(store.account("dr.who@example.org").await.unwrap().disabled);
    let e = store
        .set_account_disabled("dr.who@example.org", false)
        .await
        .unwrap();
    assert!(!e.disabled);
    let (code, _) = code_of(store.set_account_disabled("nobody", true).await);
    assert_eq!(code, "not_found");
    // By subject: found, the disabled flag visible, not found.
    assert_eq!(store.account_by_subject("staff-1").await.unwrap(), a);
    store
        .set_account_disabled("dr.who@example.org", true)
        .await
        .unwrap();
    assert!(store.account_by_subject("staff-1").await.unwrap().disabled);
    // Of two accounts with one subject, a disabled one wins (fail closed),
    // whichever username sorts first.
    let z = account("zz-second", "staff-1");
    store.create_account(z.clone()).await.unwrap();
    let found = store.account_by_subject("staff-1").await.unwrap();
    assert_eq!(found.username, "Dr.Who@example.org");
    assert!(found.disabled);
    store
        .set_account_disabled("dr.who@example.org", false)
        .await
        .unwrap();
    assert_eq!(store.account_by_subject("staff-1").await.unwrap(), a);
    store.set_account_disabled("zz-second", true).await.unwrap();
    let found = store.account_by_subject("staff-1").await.unwrap();
    assert_eq!(
        (found.username.as_str(), found.disabled),
        ("zz-second", true)
    );
    store
        .set_account_disabled("zz-second", false)
        .await
        .unwrap();
    for nobody in ["staff-2", "STAFF-1", "nul\0byte", ""] {
        let (code, _) = code_of(store.account_by_subject(nobody).await);
        assert_eq!(code, "not_found", "{nobody:?}");
    }
    // Refused input changes nothing.
    for bad in [
        account("", "s"),
        account("two words", "s"),
        account("ok", "not an id"),
        Account {
            roles: vec![],
            ..account("ok", "s")
        },
        Account {
            roles: vec!["Doctor".into()],
            ..account("ok", "s")
        },
        Account {
            password_hash: "plain".into(),
            ..account("ok", "s")
        },
    ] {
        let (code, core) = code_of(store.create_account(bad).await);
        assert_eq!((code, core), ("invalid", Some(ErrorCode::InvalidRequest)));
    }
    let (code, _) = code_of(store.account("ok").await);
    assert_eq!(code, "not_found");
}

pub async fn suite_refresh_rotation(store: &dyn Store) {
    store
        .create_account(account("Nurse", "staff-9"))
        .await
        .unwrap();
    let (code, _) = code_of(store.refresh_start("f1", "nobody", "j1", at(60)).await);
    assert_eq!(code, "not_found");
    store
        .refresh_start("f1", "nurse", "j1", at(60))
        .await
        .unwrap();
    let (code, _) = code_of(store.refresh_start("f1", "nurse", "j9", at(60)).await);
    assert_eq!(code, "already_exists");
    let (code, _) = code_of(store.refresh_start("f 2", "nurse", "j1", at(60)).await);
    assert_eq!(code, "invalid");

    // The current jti rotates, once.
    let r = store
        .refresh_rotate("f1", "j1", "j2", at(120), at(10))
        .await
        .unwrap();
    assert_eq!(
        r,
        RefreshOutcome::Rotated {
            username: "nurse".into()
        }
    );
    let r = store
        .refresh_rotate("f1", "j2", "j3", at(180), at(20))
        .await
        .unwrap();
    assert_eq!(
        r,
        RefreshOutcome::Rotated {
            username: "nurse".into()
        }
    );
    // An old jti again: reuse, the family is revoked ...
    let r = store
        .refresh_rotate("f1", "j1", "j4", at(180), at(30))
        .await
        .unwrap();
    assert_eq!(r, RefreshOutcome::Reused);
    // ... so even the current one no longer works.
    let r = store
        .refresh_rotate("f1", "j3", "j5", at(180), at(31))
        .await
        .unwrap();
    assert_eq!(r, RefreshOutcome::Invalid);

    // Unknown families and unstorable input are invalid, not errors.
    for (family, jti) in [("nope", "j1"), ("f\0", "j1"), ("f1", "j\0"), ("", "")] {
        let r = store
            .refresh_rotate(family, jti, "jx", at(180), at(31))
            .await
            .unwrap();
        assert_eq!(r, RefreshOutcome::Invalid, "{family:?} {jti:?}");
    }
    let (code, _) = code_of(
        store
            .refresh_rotate("f1", "j3", "bad jti", at(180), at(31))
            .await,
    );
    assert_eq!(code, "invalid");

    // Expiry: the current jti at or after `expires` is invalid and changes nothing.
    store
        .refresh_start("f2", "NURSE", "k1", at(60))
        .await
        .unwrap();
    let r = store
        .refresh_rotate("f2", "k1", "k2", at(120), at(60))
        .await
        .unwrap();
    assert_eq!(r, RefreshOutcome::Invalid);
    let r = store
        .refresh_rotate("f2", "k1", "k2", at(120), at(59))
        .await
        .unwrap();
    assert_eq!(
        r,
        RefreshOutcome::Rotated {
            username: "nurse".into()
        }
    );
    // A new family of the same account is independent of the revoked one.
    store
        .refresh_start("f3", "nurse", "m1", at(60))
        .await
        .unwrap();
    let r = store
        .refresh_rotate("f3", "m1", "m2", at(120), at(1))
        .await
        .unwrap();
    assert!(matches!(r, RefreshOutcome::Rotated { .. }));
}

/// Two handles present the same current jti at once: exactly one rotates and
/// the other is treated as reuse (the family ends revoked).
pub async fn race_refresh_rotation(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    a.create_account(account("racer", "staff-7")).await.unwrap();
    a.refresh_start("fr", "racer", "r1", at(600)).await.unwrap();
    let (x, y) = tokio::join!(
        a.refresh_rotate("fr", "r1", "ra", at(900), at(1)),
        b.refresh_rotate("fr", "r1", "rb", at(900), at(1)),
    );
    let mut outcomes = [x.unwrap(), y.unwrap()];
    outcomes.sort_by_key(|o| matches!(o, RefreshOutcome::Rotated { .. }));
    assert_eq!(outcomes[0], RefreshOutcome::Reused, "{outcomes:?}");
    assert_eq!(
        outcomes[1],
        RefreshOutcome::Rotated {
            username: "racer".into()
        }
    );
    // The loser revoked the family: neither new jti works.
    for (jti, next) in [("ra", "rc"), ("rb", "rd")] {
        let r = a
            .refresh_rotate("fr", jti, next, at(900), at(2))
            .await
            .unwrap();
        assert_eq!(r, RefreshOutcome::Invalid, "{jti}");
    }
}

fn patient_account(username: &str, subject: &str) -> Account {
    let mut a = account(username, subject);
    a.roles = vec!["patient".to_string()];
    a
}

fn assert_no_patient(what: &str, r: Result<Stored<Patient>, StoreError>) {
    match r {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("{what}: the refused registration left a patient: {other:?}"),
    }
}

/// [`crate::AccountStore::register_patient`]: patient and account both
/// written; a taken username, a taken patient id, a subject that is not the
/// patient and an invalid patient each refused with NOTHING written (no
/// patient without its account, no account without its patient).
pub async fn suite_register_patient(store: &dyn Store) {
    let mut p = Patient::new("self-1", "Rosa Parks");
    p.timezone = Some("America/Chicago".to_string());
    let a = patient_account("Rosa", "self-1");
    let stored = store.register_patient(p.clone(), a.clone()).await.unwrap();
    assert_eq!((stored.version, &stored.value), (1, &p));
    assert_eq!(store.get_patient("self-1").await.unwrap(), stored);
    assert_eq!(store.account("rosa").await.unwrap(), a);
    assert_eq!(store.account_by_subject("self-1").await.unwrap(), a);

    // The username is taken (ignoring case): the new patient is not written.
    let r = store
        .register_patient(
            Patient::new("self-2", "Other Rosa"),
            patient_account("ROSA", "self-2"),
        )
        .await;
    match r {
        Err(StoreError::AlreadyExists { what, .. }) => assert_eq!(what, "account"),
        other => panic!("expected the username taken, got {other:?}"),
    }
    assert_no_patient("username taken", store.get_patient("self-2").await);
    assert_eq!(store.account("rosa").await.unwrap().subject, "self-1");

    // The patient id is taken: the new account is not written.
    let r = store
        .register_patient(
            Patient::new("self-1", "Someone Else"),
            patient_account("someone", "self-1"),
        )
        .await;
    match r {
        Err(StoreError::AlreadyExists { what, .. }) => assert_eq!(what, "patient"),
        other => panic!("expected the patient id taken, got {other:?}"),
    }
    assert_eq!(code_of(store.account("someone").await).0, "not_found");
    assert_eq!(
        store.get_patient("self-1").await.unwrap().value.name,
        "Rosa Parks"
    );

    // The account must name the patient it is registered with.
    let (code, _) = code_of(
        store
            .register_patient(
                Patient::new("self-3", "Mismatch"),
                patient_account("mismatch", "self-1"),
            )
            .await,
    );
    assert_eq!(code, "invalid");
    assert_no_patient("subject mismatch", store.get_patient("self-3").await);
    assert_eq!(code_of(store.account("mismatch").await).0, "not_found");

    // An invalid patient (blank name) or account (whitespace in the username).
    let (code, _) = code_of(
        store
            .register_patient(
                Patient::new("self-4", " "),
                patient_account("blank", "self-4"),
            )
            .await,
    );
    assert_eq!(code, "invalid");
    assert_no_patient("blank name", store.get_patient("self-4").await);
    assert_eq!(code_of(store.account("blank").await).0, "not_found");
    let (code, _) = code_of(
        store
            .register_patient(
                Patient::new("self-5", "Spaced"),
                patient_account("has space", "self-5"),
            )
            .await,
    );
    assert_eq!(code, "invalid");
    assert_no_patient("bad username", store.get_patient("self-5").await);
}
