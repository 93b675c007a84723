//! PostgreSQL-only tests of the ports besides bookings: the audit trail's
//! append-only trigger, series racing single bookings, byte-order listings
//! under a non-C collation, and U+0000.
#![cfg(feature = "postgres")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

mod pg_support;

use std::sync::Arc;

use hcas_core::ErrorCode;
use hcas_core::booking::{Booking, Status};
use hcas_core::lifecycle::Party;
use hcas_core::series::{SeriesPolicy, SeriesSpec};
use hcas_store::conformance::{at, booked, change, peaks};
use hcas_store::postgres::PgStore;
use hcas_store::postgres::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};
use hcas_store::{
    AppointmentStore, AuditEvent, AuditStore, ConsentStore, PatientStore, SeriesStore, StoreError,
};

fn audit(actor: &str, minutes: i64) -> AuditEvent {
    AuditEvent {
        at: at(minutes),
        actor: actor.into(),
        action: "read".into(),
        target: "record:r1".into(),
        patient: Some("Pat9".into()),
        purpose: None,
        outcome: "permit".into(),
        detail: serde_json::Value::Null,
    }
}

/// `UPDATE`, `DELETE` and `TRUNCATE` on the audit table fail with the
/// trigger's error and change nothing.
#[tokio::test]
async fn audit_is_append_only() {
    let Some(db) = pg_support::fresh_db("audit_is_append_only").await else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    let a = store.audit_append(audit("DrX", 0)).await.unwrap();
    let b = store.audit_append(audit("DrY", 1)).await.unwrap();
    let before = store.audit_after(0, 10).await.unwrap();
    assert_eq!(before.iter().map(|r| r.seq).collect::<Vec<_>>(), [a, b]);
    for sql in [
        "UPDATE audit SET at_s = 0",
        "UPDATE audit SET payload = '{}'::jsonb WHERE seq = 1",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE seq = 1",
        "TRUNCATE audit",
    ] {
        let err = sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .expect_err(sql);
        assert!(
            err.to_string().contains("audit is append-only"),
            "{sql}: {err}"
        );
    }
    assert_eq!(store.audit_after(0, 10).await.unwrap(), before);
}

/// Concurrent appends while a reader follows the trail with `audit_after`
/// (as a shipper would): the reader sees every event exactly once, in
/// sequence order; no number becomes visible after a larger one was read.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_after_never_skips() {
    let Some(db) = pg_support::fresh_db("audit_after_never_skips").await else {
        return;
    };
    let store = Arc::new(PgStore::open_with(db.options.clone(), 8).await.unwrap());
    let writers: Vec<_> = (0..6)
        .map(|t| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..40 {
                    store
                        .audit_append(audit(&format!("w{t}"), i))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, done) = (Arc::clone(&store), Arc::clone(&done));
        tokio::spawn(async move {
            let (mut cursor, mut seen) = (0, Vec::new());
            loop {
                // Every append has committed if `done` was set before the read.
                let last_read = done.load(std::sync::atomic::Ordering::SeqCst);
                let batch = store.audit_after(cursor, 7).await.unwrap();
                let Some(last) = batch.last() else {
                    if last_read {
                        return seen;
                    }
                    continue;
                };
                cursor = last.seq;
                seen.extend(batch.into_iter().map(|r| r.seq));
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let all: Vec<(i64,)> = sqlx::query_as("SELECT seq FROM audit ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(seen, all.into_iter().map(|(s,)| s).collect::<Vec<_>>());
}

/// Mondays 09:00 UTC (10:00 London in May) from `at(0)`, 30 minutes, on
/// `provider:P1` and the series' own patient.
fn mondays(id: &str, count: u32) -> SeriesSpec {
    let rule: hcas_core::RRule = format!("FREQ=WEEKLY;COUNT={count}").parse().unwrap();
    let zone = hcas_core::Zone::parse("Europe/London").unwrap();
    let dtstart = chrono::NaiveDate::from_ymd_opt(2026, 5, 4)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    SeriesSpec::new(
        id.to_string(),
        hcas_core::Recurrence::new(rule, dtstart, zone),
        hcas_core::Minutes::new(30),
        vec!["provider:P1".into(), format!("patient:{id}")],
    )
}

/// Series and single bookings racing for the same Monday slots of one
/// provider, on several handles (batched and unbatched): never two
/// blocking bookings at once on the provider, every booked occurrence stored
/// with exactly one event, and every slot taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn series_race_single_bookings() {
    let Some(db) = pg_support::fresh_db("series_race_single_bookings").await else {
        return;
    };
    let batched = PgStore::open_with(db.options.clone(), 6).await.unwrap();
    let single = PgStore::open_with_options(
        db.options.clone(),
        hcas_store::postgres::PgStoreOptions::unbatched(4),
    )
    .await
    .unwrap();
    let stores = [Arc::new(batched), Arc::new(single)];
    let now = at(-600);
    let weeks = 8_i64;
    let mut handles = Vec::new();
    for t in 0..8_usize {
        let store = Arc::clone(&stores[t % 2]);
        handles.push(tokio::spawn(async move {
            let mut booked_ids = Vec::new();
            if t.is_multiple_of(2) {
                // A series; BookFree, so it takes what is left.
                let spec = mondays(&format!("S{t}"), u32::try_from(weeks).unwrap());
                let r = store
                    .book_series(&spec, SeriesPolicy::BookFree, now)
                    .await
                    .unwrap();
                booked_ids.extend(r.occurrences.into_iter().filter(|o| o.booked).map(|o| o.id));
            } else {
                // Single bookings on every other week, from a different offset.
                for k in 0..weeks {
                    let week = (k + i64::try_from(t).unwrap()) % weeks;
                    let start = week * 7 * 24 * 60;
                    let id = format!("b{t}-{week}");
                    let patient = format!("patient:{id}");
                    match store
                        .book(
                            booked(&id, start, start + 30, &["provider:P1", &patient]),
                            None,
                            now,
                        )
                        .await
                    {
                        Ok(_) => booked_ids.push(id),
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => panic!("{id}: {e}"),
                    }
                }
            }
            booked_ids
        }));
    }
    let mut winners = Vec::new();
    for h in handles {
        winners.extend(h.await.unwrap());
    }
    let store = &stores[0];
    let rows: Vec<(String,)> = sqlx::query_as("SELECT payload::text FROM bookings")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let all: Vec<Booking> = rows
        .iter()
        .map(|(p,)| serde_json::from_str(p).unwrap())
        .collect();
    assert_eq!(peaks(&all)["provider:P1"], 1);
    let mut stored: Vec<String> = all.iter().map(|b| b.id.clone()).collect();
    stored.sort();
    winners.sort();
    assert_eq!(stored, winners);
    assert_eq!(
        usize::try_from(weeks).unwrap(),
        all.len(),
        "every Monday taken once"
    );
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.outbox, counts.bookings);
    for b in all.iter().filter(|b| b.series.is_some()) {
        let series = b.series.as_ref().unwrap();
        assert!(b.id.starts_with(&format!("{}.", series.id)), "{b:?}");
        let got = store.series_bookings(&series.id).await.unwrap();
        assert!(got.iter().any(|s| s.value == *b && s.version == 1));
    }
}

/// Listings sort ids by byte order (as the memory adapter does) also in a
/// database whose default collation would not (ICU, case-insensitive
/// first); skipped when the server has no ICU.
#[tokio::test]
async fn listings_in_byte_order_under_icu() {
    let Some(base) = pg_support::fresh_db("listings_in_byte_order_under_icu").await else {
        return;
    };
    let name = format!("{}_icu", base.name);
    let mut admin = base.options.connect().await.unwrap();
    let created = sqlx::raw_sql(AssertSqlSafe(format!(
        "CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en'"
    )))
    .execute(&mut admin)
    .await;
    admin.close().await.unwrap();
    if let Err(e) = created {
        println!("skipped: no ICU database ({e})");
        return;
    }
    let db = pg_support::TestDb {
        options: base.options.clone().database(&name),
        name,
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    let consent = |id: &str| {
        let v = serde_json::json!({
            "id": id, "patient": "Pat9", "status": "active",
            "date": "2026-01-01T00:00:00Z", "decision": "permit",
        });
        hcas_core::consent::Consent::from_json(&v, "consent").unwrap()
    };
    for id in ["b1", "B2", "a3", "A4"] {
        store.put_consent(consent(id), None, at(0)).await.unwrap();
    }
    let ids: Vec<String> = store
        .consents_for("Pat9")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.value.id)
        .collect();
    assert_eq!(ids, ["A4", "B2", "a3", "b1"]);
}

/// PostgreSQL cannot store U+0000: writes carrying one are refused as
/// `invalid_request` (not a retryable `unavailable`), reads asking for one
/// find nothing.
#[tokio::test]
async fn nul_characters() {
    let Some(db) = pg_support::fresh_db("nul_characters").await else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    let mut p = hcas_store::Patient::new("X1", "Ada");
    p.phone = Some("+44\u{0}1".into());
    // The record's own validation refuses control characters first.
    let e = store.put_patient(p, None).await.unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest));
    let mut a = audit("DrX", 0);
    a.detail = serde_json::json!({"note": "a\u{0}b", "ok": "back\\u0000slash"});
    let e = store.audit_append(a).await.unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest), "{e}");
    let mut a = audit("DrX", 0);
    a.detail = serde_json::json!({"ok": "back\\u0000slash"});
    let seq = store.audit_append(a.clone()).await.unwrap();
    assert_eq!(store.audit_after(seq - 1, 1).await.unwrap()[0].event, a);
    assert_eq!(
        store.get_patient("X\u{0}").await.unwrap_err().code(),
        "not_found"
    );
    assert!(store.consents_for("P\u{0}").await.unwrap().is_empty());
    // A status change's reason is written to the outbox: refused the same way,
    // and nothing is written.
    store
        .book(booked("a1", 0, 30, &["provider:P1"]), None, at(-60))
        .await
        .unwrap();
    let before = store.counts().await.unwrap();
    let cancel = change(Status::Cancelled, Party::Patient, Some("a\u{0}b"), at(-60));
    let e = store.set_status("a1", 1, &cancel).await.unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest), "{e}");
    let e = store
        .reschedule(
            "a1",
            1,
            booked("a2", 60, 90, &["provider:P1"]),
            &hcas_store::RescheduleRequest::new(Party::Patient, "a\u{0}b", at(-60)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest), "{e}");
    assert_eq!(store.counts().await.unwrap(), before);
    assert_eq!(store.get("a1").await.unwrap().version, 1);
}

/// Racing writers of one record: one create wins, the others get
/// `already_exists`; of the updates at one version one wins, the others get
/// `version_mismatch` naming the winner's version (never `expected == found`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_puts() {
    let Some(db) = pg_support::fresh_db("racing_puts").await else {
        return;
    };
    let store = Arc::new(PgStore::open_with(db.options.clone(), 8).await.unwrap());
    for round in 0..5_i64 {
        let expected = (round > 0).then_some(round);
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let p = hcas_store::Patient::new("X1", format!("Name {t}"));
                    store.put_patient(p, expected).await
                })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(s) => {
                    assert_eq!(s.version, round + 1);
                    wins += 1;
                }
                Err(StoreError::AlreadyExists { .. }) if expected.is_none() => {}
                Err(StoreError::VersionMismatch {
                    expected: e, found, ..
                }) => assert_eq!((Some(e), found), (expected, round + 1)),
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
    assert_eq!(store.get_patient("X1").await.unwrap().version, 5);
}
