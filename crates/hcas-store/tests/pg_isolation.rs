//! PostgreSQL group commit: one request's failure never answers another
//! request of its batch, a lock held elsewhere stalls only the bookings that
//! need it, and sessions carry lock and statement timeouts.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod pg_support;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use hcas_core::booking::Booking;
use hcas_store::conformance::{at, booked};
use hcas_store::postgres::sqlx::postgres::PgConnection;
use hcas_store::postgres::sqlx::{self, ConnectOptions};
use hcas_store::postgres::{PgStore, PgStoreOptions};
use hcas_store::{AppointmentStore, StoreError, Stored};

/// Longer than anything here takes when it works.
const LIVENESS: Duration = Duration::from_secs(30);

type Booked = Result<Stored<Booking>, StoreError>;

/// Wait until some session of this database waits for a lock of `locktype`.
async fn until_waiting(store: &PgStore, locktype: &str) {
    tokio::time::timeout(LIVENESS, async {
        loop {
            let (waiting,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM pg_locks
                 WHERE locktype = $1 AND NOT granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .bind(locktype)
            .fetch_one(store.pool())
            .await
            .unwrap();
            if waiting > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("nobody waits for the lock");
}

/// Good bookings and one poison request (it passes the core's checks, but a
/// trigger in the database refuses its resource) in ONE batch: every good
/// booking is made, the poison alone fails, with a non-retryable error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_request_fails_alone_in_its_batch() {
    let Some(db) = pg_support::fresh_db("poison_request_fails_alone_in_its_batch").await else {
        return;
    };
    let mut options = PgStoreOptions::new(3);
    options.max_in_flight = 1;
    let store = PgStore::open_with_options(db.options.clone(), options)
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.resource = 'provider:POISON' THEN
                 RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation';
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER poison BEFORE INSERT ON booking_resources
             FOR EACH ROW EXECUTE FUNCTION poison();",
    )
    .execute(store.pool())
    .await
    .unwrap();

    // Keep the only batch slot busy (a table lock stops a batch's read), so
    // that every request below queues up and goes into one batch.
    let mut holder: PgConnection = db.options.connect().await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE capacities IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let blocked = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .book(booked("blocker", 0, 30, &["provider:B"]), None, at(-60))
                .await
        })
    };
    until_waiting(&store, "relation").await;
    let before = store.batch_stats();

    let mut requests: Vec<Booking> = (0..6)
        .map(|n| booked(&format!("good{n}"), 0, 30, &[&format!("provider:G{n}")]))
        .collect();
    requests.insert(3, booked("poison", 0, 30, &["provider:POISON"]));
    let mut futures: Vec<Pin<Box<dyn Future<Output = Booked> + Send + '_>>> = requests
        .iter()
        .map(|b| store.book(b.clone(), None, at(-60)))
        .collect();
    // Poll each once, in order: that queues it.
    std::future::poll_fn(|cx| {
        for f in &mut futures {
            assert!(f.as_mut().poll(cx).is_pending(), "answered too early");
        }
        Poll::Ready(())
    })
    .await;
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    blocked.await.unwrap().unwrap();
    let mut answers = Vec::new();
    for f in futures {
        answers.push(tokio::time::timeout(LIVENESS, f).await.expect("answered"));
    }
    let stats = store.batch_stats();
    // They were one batch (which the poison made fail, then each alone).
    assert_eq!(stats.batches - before.batches, 1, "{stats:?}");
    for (b, answer) in requests.iter().zip(&answers) {
        if b.id == "poison" {
            let e = answer.as_ref().unwrap_err();
            assert!(!e.is_retryable(), "poison: {e}");
            assert_eq!(e.code(), "invalid", "poison: {e}");
        } else {
            assert_eq!(answer.as_ref().unwrap().value.id, b.id, "{answer:?}");
            store.get(&b.id).await.unwrap();
        }
    }
    assert!(matches!(
        store.get("poison").await,
        Err(StoreError::NotFound { .. })
    ));
    store.pool().close().await;
}

/// Hold `provider:SLOW`'s booking lock on another connection, in an open
/// transaction.
async fn hold_lock(db: &pg_support::TestDb, resource: &str) -> PgConnection {
    let mut holder: PgConnection = db.options.connect().await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(resource)
        .execute(&mut holder)
        .await
        .unwrap();
    holder
}

/// One provider's lock held elsewhere (a slow transaction) does not stall
/// the other providers: their bookings, sent together with the blocked
/// provider's, all complete while the lock is held. The blocked provider's
/// bookings wait for the lock (in the slow lane, up to `lock_timeout`) and
/// are made once it is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn held_lock_stalls_only_its_provider() {
    let Some(db) = pg_support::fresh_db("held_lock_stalls_only_its_provider").await else {
        return;
    };
    let mut options = PgStoreOptions::new(6);
    options.lock_timeout = Some(Duration::from_secs(120));
    let store = PgStore::open_with_options(db.options.clone(), options)
        .await
        .unwrap();
    let mut holder = hold_lock(&db, "provider:SLOW").await;

    let mut slow = Vec::new();
    let mut others = Vec::new();
    for wave in 0..5_i64 {
        let from = wave * 30;
        let store_ = store.clone();
        slow.push(tokio::spawn(async move {
            store_
                .book(
                    booked(&format!("slow{wave}"), from, from + 30, &["provider:SLOW"]),
                    None,
                    at(-60),
                )
                .await
        }));
        for p in 0..8 {
            let store = store.clone();
            others.push(tokio::spawn(async move {
                store
                    .book(
                        booked(
                            &format!("p{p}w{wave}"),
                            from,
                            from + 30,
                            &[&format!("provider:P{p}")],
                        ),
                        None,
                        at(-60),
                    )
                    .await
            }));
        }
    }
    for h in others {
        let answer = tokio::time::timeout(LIVENESS, h)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "another provider's booking stalled behind the held lock: {:?}",
                    store.batch_stats()
                )
            })
            .unwrap();
        answer.unwrap();
    }
    // The lock is still held: no booking of that provider is made yet.
    assert!(slow.iter().all(|h| !h.is_finished()));
    assert!(
        store.batch_stats().deferred >= 1,
        "{:?}",
        store.batch_stats()
    );
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    for h in slow {
        let answer = tokio::time::timeout(LIVENESS, h)
            .await
            .expect("the blocked provider's booking never finished")
            .unwrap();
        answer.unwrap();
    }
    store.pool().close().await;
}

/// With the lock still held when `lock_timeout` runs out, the blocked
/// provider's booking fails with `unavailable` (retryable), batched or not;
/// other providers are booked meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_lock_times_out_as_unavailable() {
    let Some(db) = pg_support::fresh_db("held_lock_times_out_as_unavailable").await else {
        return;
    };
    for batched in [true, false] {
        let mut options = if batched {
            PgStoreOptions::new(4)
        } else {
            PgStoreOptions::unbatched(4)
        };
        options.lock_timeout = Some(Duration::from_millis(200));
        let store = PgStore::open_with_options(db.options.clone(), options)
            .await
            .unwrap();
        let holder = hold_lock(&db, "provider:SLOW").await;
        let tag = if batched { "b" } else { "u" };
        let blocked = store.book(
            booked(&format!("slow-{tag}"), 0, 30, &["provider:SLOW"]),
            None,
            at(-60),
        );
        let other = store.book(
            booked(
                &format!("other-{tag}"),
                0,
                30,
                &[&format!("provider:OTHER-{tag}")],
            ),
            None,
            at(-60),
        );
        let (blocked, other) =
            tokio::time::timeout(LIVENESS, async { tokio::join!(blocked, other) })
                .await
                .expect("waited past lock_timeout");
        let e = blocked.unwrap_err();
        assert_eq!(e.code(), "unavailable", "{e}");
        assert!(e.is_retryable());
        other.unwrap();
        drop(holder);
        store.pool().close().await;
    }
}

/// Every session of the store carries the timeouts it was opened with (the
/// defaults unless changed).
#[tokio::test]
async fn sessions_carry_the_timeouts() {
    let Some(db) = pg_support::fresh_db("sessions_carry_the_timeouts").await else {
        return;
    };
    let show = |store: PgStore| async move {
        let (lock, statement, idle): (String, String, String) = sqlx::query_as(
            "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),
                    current_setting('idle_in_transaction_session_timeout')",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        store.pool().close().await;
        (lock, statement, idle)
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    assert_eq!(
        show(store).await,
        ("5s".to_string(), "30s".to_string(), "1min".to_string())
    );
    let mut options = PgStoreOptions::new(2);
    options.lock_timeout = Some(Duration::from_millis(1500));
    options.statement_timeout = None;
    let store = PgStore::open_with_options(db.options.clone(), options)
        .await
        .unwrap();
    let (lock, statement, _) = show(store).await;
    assert_eq!((lock.as_str(), statement.as_str()), ("1500ms", "0"));
}
