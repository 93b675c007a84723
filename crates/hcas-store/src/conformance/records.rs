//! [`WaitlistStore`](crate::WaitlistStore), [`ConsentStore`](crate::ConsentStore),
//! [`RecordStore`](crate::RecordStore) and [`AuditStore`](crate::AuditStore).

use super::*;

fn entry(id: &str, patient: &str, created: i64, window_end: i64) -> hcas_core::waitlist::WaitEntry {
    let mut e = hcas_core::waitlist::WaitEntry::builder(id)
        .patient("patient:X")
        .provider("provider:P1")
        .window(Interval::new(at(0), at(window_end)).unwrap())
        .created(at(created))
        .build()
        .unwrap();
    // Set after building: the suite also adds bad patients, to check that
    // stores refuse them.
    e.patient = patient.into();
    e
}

/// The waitlist keeps serving order (created, then id), drops ended windows
/// from the listing, refuses duplicates and bad entries.
pub async fn suite_waitlist(store: &dyn Store) {
    let now = at(0);
    store
        .waitlist_add(entry("w2", "patient:A", -30, 600))
        .await
        .unwrap();
    store
        .waitlist_add(entry("w1", "patient:B", -20, 600))
        .await
        .unwrap();
    store
        .waitlist_add(entry("w0", "patient:C", -30, 600))
        .await
        .unwrap();
    store
        .waitlist_add(entry("old", "patient:D", -90, 10))
        .await
        .unwrap();
    let mut other = entry("o1", "patient:E", -99, 600);
    other.provider = "provider:P2".into();
    store.waitlist_add(other).await.unwrap();
    let ids =
        |v: Vec<hcas_core::waitlist::WaitEntry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.waitlist("provider:P1", now).await.unwrap()),
        ["old", "w0", "w2", "w1"]
    );
    assert_eq!(
        ids(store.waitlist("provider:P1", at(10)).await.unwrap()),
        ["w0", "w2", "w1"]
    );
    assert_eq!(
        code_of(store.waitlist_add(entry("w1", "patient:Z", 0, 60)).await).0,
        "already_exists"
    );
    assert_eq!(
        code_of(store.waitlist_add(entry("w9", " ", 0, 60)).await).1,
        Some(ErrorCode::InvalidRequest)
    );
    let removed = store.waitlist_remove("w2").await.unwrap();
    assert_eq!(removed, entry("w2", "patient:A", -30, 600));
    assert_eq!(code_of(store.waitlist_remove("w2").await).0, "not_found");
    assert_eq!(
        ids(store.waitlist("provider:P1", now).await.unwrap()),
        ["old", "w0", "w1"]
    );
}

fn consent(id: &str, patient: &str, decision: &str) -> hcas_core::consent::Consent {
    let v = serde_json::json!({
        "id": id, "patient": patient, "status": "active",
        "date": "2026-01-01T00:00:00Z", "decision": decision,
    });
    hcas_core::consent::Consent::from_json(&v, "consent").unwrap()
}

/// Consents: versioned, one `consent.changed` event per change, listed per patient by id.
pub async fn suite_consents(store: &dyn Store) {
    let now = at(0);
    let before = store.counts().await.unwrap();
    store
        .put_consent(consent("K2", "Pat9", "deny"), None, now)
        .await
        .unwrap();
    store
        .put_consent(consent("K1", "Pat9", "permit"), None, now)
        .await
        .unwrap();
    store
        .put_consent(consent("K3", "Pat8", "permit"), None, now)
        .await
        .unwrap();
    let v2 = store
        .put_consent(consent("K2", "Pat9", "permit"), Some(1), at(5))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(
        code_of(
            store
                .put_consent(consent("K2", "Pat9", "deny"), Some(1), now)
                .await
        )
        .0,
        "version_mismatch"
    );
    assert_eq!(
        code_of(
            store
                .put_consent(consent("K1", "Pat9", "deny"), None, now)
                .await
        )
        .0,
        "already_exists"
    );
    let mut bad = consent("K4", "Pat9", "deny");
    bad.patient = String::new();
    assert_eq!(
        code_of(store.put_consent(bad, None, now).await).1,
        Some(ErrorCode::InvalidConsent)
    );
    let list = store.consents_for("Pat9").await.unwrap();
    let got: Vec<(&str, i64)> = list
        .iter()
        .map(|c| (c.value.id.as_str(), c.version))
        .collect();
    assert_eq!(got, [("K1", 1), ("K2", 2)]);
    assert_eq!(list[1].value, consent("K2", "Pat9", "permit"));
    assert_eq!(store.get_consent("K3").await.unwrap().value.patient, "Pat8");
    assert!(store.consents_for("Nobody").await.unwrap().is_empty());
    let after = store.counts().await.unwrap();
    assert_eq!(after.outbox, before.outbox + 4);
    let events = store.outbox_pending(100).await.unwrap();
    let k2: Vec<(&str, Timestamp)> = events
        .iter()
        .filter(|e| e.aggregate_id == "K2")
        .map(|e| (e.kind.as_str(), e.created))
        .collect();
    assert_eq!(
        k2,
        [(kind::CONSENT_CHANGED, now), (kind::CONSENT_CHANGED, at(5))]
    );
    assert_eq!(
        events
            .iter()
            .find(|e| e.aggregate_id == "K2")
            .unwrap()
            .payload["decision"],
        "deny"
    );
}

fn record(id: &str, patient: &str, category: &str, created: i64) -> RecordMeta {
    RecordMeta {
        id: id.into(),
        patient: patient.into(),
        category: category.into(),
        labels: vec!["N".into()],
        title: format!("Record {id}"),
        author: "DrX".into(),
        created: at(created),
        content_ref: Some(format!("s3://records/{id}")),
    }
}

/// Record metadata: versioned, listed per patient by creation, filtered by category.
pub async fn suite_records(store: &dyn Store) {
    store
        .put_record(record("r2", "Pat9", "lab-results", 10), None)
        .await
        .unwrap();
    store
        .put_record(record("r1", "Pat9", "clinical-notes", 20), None)
        .await
        .unwrap();
    store
        .put_record(record("r3", "Pat9", "lab-results", 5), None)
        .await
        .unwrap();
    store
        .put_record(record("r4", "Pat8", "lab-results", 1), None)
        .await
        .unwrap();
    let ids = |v: Vec<Stored<RecordMeta>>| v.into_iter().map(|r| r.value.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.records_for("Pat9", None).await.unwrap()),
        ["r3", "r2", "r1"]
    );
    assert_eq!(
        ids(store
            .records_for("Pat9", Some("lab-results"))
            .await
            .unwrap()),
        ["r3", "r2"]
    );
    let mut r = record("r1", "Pat9", "clinical-notes", 20);
    r.labels.push("PSY".into());
    assert_eq!(
        store.put_record(r.clone(), Some(1)).await.unwrap().version,
        2
    );
    assert_eq!(store.get_record("r1").await.unwrap().value, r);
    assert_eq!(
        code_of(store.put_record(r.clone(), Some(1)).await).0,
        "version_mismatch"
    );
    let mut bad = r.clone();
    bad.title = String::new();
    assert_eq!(code_of(store.put_record(bad, Some(2)).await).0, "invalid");
    assert_eq!(store.get_record("r1").await.unwrap().version, 2);
    assert_eq!(code_of(store.get_record("r9").await).0, "not_found");

    // Deleting: a stale version is refused and keeps the record; then it
    // is gone from reads and lists; a second delete finds nothing.
    assert_eq!(
        code_of(store.delete_record("r1", Some(1)).await).0,
        "version_mismatch"
    );
    assert_eq!(store.get_record("r1").await.unwrap().version, 2);
    store.delete_record("r1", Some(2)).await.unwrap();
    assert_eq!(code_of(store.get_record("r1").await).0, "not_found");
    store.delete_record("r2", None).await.unwrap();
    assert_eq!(ids(store.records_for("Pat9", None).await.unwrap()), ["r3"]);
    assert_eq!(
        code_of(store.delete_record("r1", None).await).0,
        "not_found"
    );
    assert_eq!(
        code_of(store.delete_record("r9", Some(1)).await).0,
        "not_found"
    );
}

fn audit(actor: &str, patient: Option<&str>, minutes: i64) -> AuditEvent {
    AuditEvent {
        at: at(minutes),
        actor: actor.into(),
        action: "read".into(),
        target: "record:r1".into(),
        patient: patient.map(Into::into),
        purpose: Some("TREAT".into()),
        outcome: "permit".into(),
        detail: serde_json::json!({"basis": "consent", "consent": "K1"}),
    }
}

/// The audit trail: increasing sequence numbers, queries by patient and
/// window, export after a sequence number; bad events refused.
pub async fn suite_audit(store: &dyn Store) {
    let a = store
        .audit_append(audit("DrX", Some("Pat9"), 0))
        .await
        .unwrap();
    let b = store
        .audit_append(audit("DrY", Some("Pat8"), 5))
        .await
        .unwrap();
    let c = store
        .audit_append(audit("DrZ", Some("Pat9"), 10))
        .await
        .unwrap();
    let d = store.audit_append(audit("svc", None, 11)).await.unwrap();
    assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
    let mut bad = audit("DrX", Some("Pat9"), 0);
    bad.actor = String::new();
    assert_eq!(code_of(store.audit_append(bad).await).0, "invalid");
    let got = store
        .audit_for_patient("Pat9", at(0), at(11), 10)
        .await
        .unwrap();
    let seen: Vec<(i64, &str)> = got
        .iter()
        .map(|r| (r.seq, r.event.actor.as_str()))
        .collect();
    assert_eq!(seen, [(a, "DrX"), (c, "DrZ")]);
    assert_eq!(got[1].event, audit("DrZ", Some("Pat9"), 10));
    assert_eq!(
        store
            .audit_for_patient("Pat9", at(1), at(10), 10)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        store
            .audit_for_patient("Pat9", at(0), at(11), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        code_of(store.audit_for_patient("Pat9", at(5), at(5), 1).await).0,
        "invalid"
    );
    let after: Vec<i64> = store
        .audit_after(a, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(after, [b, c, d]);
    assert_eq!(store.audit_after(d, 10).await.unwrap().len(), 0);

    // Many at once: in order, all or none.
    assert!(store.audit_append_all(&[]).await.unwrap().is_empty());
    let mut bad = audit("DrX", Some("Pat7"), 20);
    bad.actor = String::new();
    let batch = vec![audit("DrA", Some("Pat7"), 20), bad, audit("DrB", None, 21)];
    assert_eq!(code_of(store.audit_append_all(&batch).await).0, "invalid");
    assert_eq!(
        store.audit_after(d, 10).await.unwrap().len(),
        0,
        "nothing of a refused batch"
    );
    let batch = vec![
        audit("DrA", Some("Pat7"), 20),
        audit("DrB", None, 21),
        audit("DrC", Some("Pat7"), 22),
    ];
    let seqs = store.audit_append_all(&batch).await.unwrap();
    assert_eq!(seqs.len(), 3);
    assert!(
        d < seqs[0] && seqs[0] < seqs[1] && seqs[1] < seqs[2],
        "{d} {seqs:?}"
    );
    let stored = store.audit_after(d, 10).await.unwrap();
    let got: Vec<(i64, AuditEvent)> = stored.into_iter().map(|r| (r.seq, r.event)).collect();
    let want: Vec<(i64, AuditEvent)> = seqs.iter().copied().zip(batch).collect();
    assert_eq!(got, want);
    let e = store.audit_append(audit("DrD", None, 23)).await.unwrap();
    assert!(e > seqs[2]);
}

/// Audit search: each filter alone and together, verbs by the action's
/// last part, outcomes, with or without a patient, keyset paging by
/// sequence, and a window with `to <= from` refused.
pub async fn suite_audit_search(store: &dyn Store) {
    let ev = |actor: &str, action: &str, target: &str, patient: Option<&str>, m: i64, out: &str| {
        let mut e = audit(actor, patient, m);
        e.action = action.into();
        e.target = target.into();
        e.outcome = out.into();
        e
    };
    let events = [
        ev(
            "DrX",
            "patient.read",
            "patient:Pat9",
            Some("Pat9"),
            0,
            "permit",
        ),
        ev(
            "DrX",
            "appointment.book",
            "booking:b1",
            Some("Pat9"),
            5,
            "permit",
        ),
        ev(
            "DrY",
            "patient.read",
            "patient:Pat8",
            Some("Pat8"),
            10,
            "deny",
        ),
        ev(
            "DrY",
            "appointment.xyread",
            "booking:b2",
            Some("Pat8"),
            15,
            "permit",
        ),
        ev("svc", "read", "provider:P1", None, 20, "ok"),
        ev(
            "DrX",
            "appointment.cancel",
            "booking:b1",
            Some("Pat9"),
            25,
            "error",
        ),
    ];
    let mut seqs = Vec::new();
    for e in events {
        seqs.push(store.audit_append(e).await.unwrap());
    }
    let find = |q: AuditQuery, after: i64, limit: usize| async move {
        store
            .audit_search(&q, after, limit)
            .await
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect::<Vec<i64>>()
    };
    let pick = |idx: &[usize]| idx.iter().map(|&i| seqs[i]).collect::<Vec<i64>>();
    assert_eq!(
        find(AuditQuery::default(), 0, 100).await,
        pick(&[0, 1, 2, 3, 4, 5])
    );
    let q = |f: &dyn Fn(&mut AuditQuery)| {
        let mut q = AuditQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        find(q(&|q| q.patient = Some("Pat9".into())), 0, 100).await,
        pick(&[0, 1, 5])
    );
    assert_eq!(
        find(q(&|q| q.about_patient = Some(false)), 0, 100).await,
        pick(&[4])
    );
    assert_eq!(
        find(q(&|q| q.about_patient = Some(true)), 0, 100).await,
        pick(&[0, 1, 2, 3, 5])
    );
    assert_eq!(
        find(q(&|q| q.actor = Some("DrY".into())), 0, 100).await,
        pick(&[2, 3])
    );
    assert_eq!(
        find(q(&|q| q.target = Some("booking:b1".into())), 0, 100).await,
        pick(&[1, 5])
    );
    assert_eq!(
        find(
            q(&|q| {
                q.from = Some(at(5));
                q.to = Some(at(20));
            }),
            0,
            100
        )
        .await,
        pick(&[1, 2, 3])
    );
    // `read` is the verb of `patient.read` and `read`, not of
    // `appointment.xyread`; `_` is not a wildcard (`x_read` would match
    // `appointment.xyread` if it were).
    assert_eq!(
        find(q(&|q| q.verbs = vec!["read".into()]), 0, 100).await,
        pick(&[0, 2, 4])
    );
    assert_eq!(
        find(q(&|q| q.verbs = vec!["x_read".into()]), 0, 100).await,
        pick(&[])
    );
    assert_eq!(
        find(
            q(&|q| q.verbs = vec!["book".into(), "cancel".into()]),
            0,
            100
        )
        .await,
        pick(&[1, 5])
    );
    assert_eq!(
        find(
            q(&|q| q.verbs_not = vec!["read".into(), "book".into()]),
            0,
            100
        )
        .await,
        pick(&[3, 5])
    );
    assert_eq!(
        find(
            q(&|q| q.outcomes = vec!["deny".into(), "error".into()]),
            0,
            100
        )
        .await,
        pick(&[2, 5])
    );
    // Together, and paged by sequence.
    let mine = q(&|q| {
        q.actor = Some("DrX".into());
        q.patient = Some("Pat9".into());
    });
    assert_eq!(find(mine.clone(), 0, 2).await, pick(&[0, 1]));
    assert_eq!(find(mine.clone(), seqs[1], 2).await, pick(&[5]));
    assert_eq!(find(mine, seqs[5], 2).await, pick(&[]));
    let bad = q(&|q| {
        q.from = Some(at(5));
        q.to = Some(at(5));
    });
    assert_eq!(code_of(store.audit_search(&bad, 0, 10).await).0, "invalid");
}
