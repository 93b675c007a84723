//! SQLite-only tests: crash safety (a real process abort mid-booking, a
//! dropped transaction, a dropped `book` future) and rejected writes checked
//! on disk after a reopen. They need no external service.
#![cfg(feature = "sqlite")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::task::Poll;
use std::time::Duration;

use hcas_core::Timestamp;
use hcas_core::booking::{Booking, Status};
use hcas_core::lifecycle::Party;
use hcas_store::conformance::{at, booked, change};
use hcas_store::sqlite::SqliteStore;
use hcas_store::sqlite::sqlx::{self, SqliteConnection, SqlitePool};
use hcas_store::{AppointmentStore, Counts, StoreError, kind};

/// Set (to the database path) in the child process of
/// `process_killed_mid_booking_leaves_nothing`: run the child role.
const CHILD_ENV: &str = "HCAS_SQLITE_CRASH_CHILD";
/// The line the child prints (and writes to [`marker_path`]) once its
/// inserts are done, just before it aborts.
const MARKER: &str = "HCAS_SQLITE_CRASH_CHILD_INSERTED";
const CRASH_TEST: &str = "process_killed_mid_booking_leaves_nothing";
const CRASH_KEY: &str = "crash-key";
/// Longer than any of these operations takes, shorter than the store's
/// 30 s busy timeout: a write lock left held fails the test instead of
/// waiting it out.
const LOCK_FREE_WITHIN: Duration = Duration::from_secs(10);

fn url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

fn marker_path(db: &Path) -> PathBuf {
    db.with_file_name("child.marker")
}

fn crash_booking() -> Booking {
    booked("crash-1", 0, 30, &["provider:P1", "patient:X"])
}

/// Rows in (bookings, booking_resources, idempotency, outbox), as seen by `conn`.
async fn rows(conn: &mut SqliteConnection) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM bookings), (SELECT COUNT(*) FROM booking_resources),
                (SELECT COUNT(*) FROM idempotency), (SELECT COUNT(*) FROM outbox)",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

/// [`rows`] for one booking id: its booking row, resource rows, keys, events.
async fn rows_of(pool: &SqlitePool, id: &str) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM bookings WHERE id = ?1),
                (SELECT COUNT(*) FROM booking_resources WHERE booking_id = ?1),
                (SELECT COUNT(*) FROM idempotency WHERE booking_id = ?1),
                (SELECT COUNT(*) FROM outbox WHERE aggregate_id = ?1)",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Every stored row of every table (plus the outbox id counter), as text.
async fn dump(pool: &SqlitePool) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT json_group_array(json_array(id, start_s, end_s, status, hold_expires_s, version, payload))
         FROM (SELECT * FROM bookings ORDER BY id)",
        "SELECT json_group_array(json_array(booking_id, resource, start_s, end_s))
         FROM (SELECT * FROM booking_resources ORDER BY booking_id, resource)",
        "SELECT json_group_array(json_array(resource, capacity))
         FROM (SELECT * FROM capacities ORDER BY resource)",
        "SELECT json_group_array(json_array(key, booking_id))
         FROM (SELECT * FROM idempotency ORDER BY key)",
        "SELECT json_group_array(json_array(id, kind, aggregate_id, payload, created_s, sent))
         FROM (SELECT * FROM outbox ORDER BY id)",
        "SELECT json_group_array(json_array(name, seq))
         FROM (SELECT * FROM sqlite_sequence ORDER BY name)",
    ] {
        let (text,): (String,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
        out.push(text);
    }
    out
}

async fn integrity_ok(pool: &SqlitePool) {
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let dangling: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(dangling.is_empty(), "{dangling:?}");
}

/// The adapter's booking inserts (`SqliteStore::book`), in its order, on
/// `conn` (inside a `BEGIN IMMEDIATE` transaction).
async fn insert_like_adapter(
    conn: &mut SqliteConnection,
    b: &Booking,
    key: Option<&str>,
    now: Timestamp,
) {
    sqlx::query(
        "INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
         VALUES (?, ?, ?, ?, ?, 1, ?)",
    )
    .bind(&b.id)
    .bind(b.start.unix())
    .bind(b.end.unix())
    .bind(b.status.as_str())
    .bind(b.hold_expires.map(Timestamp::unix))
    .bind(serde_json::to_string(b).unwrap())
    .execute(&mut *conn)
    .await
    .unwrap();
    for r in &b.resources {
        sqlx::query(
            "INSERT OR IGNORE INTO booking_resources (booking_id, resource, start_s, end_s)
             VALUES (?, ?, ?, ?)",
        )
        .bind(&b.id)
        .bind(r)
        .bind(b.start.unix())
        .bind(b.end.unix())
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    if let Some(key) = key {
        sqlx::query("INSERT INTO idempotency (key, booking_id, created_s) VALUES (?, ?, ?)")
            .bind(key)
            .bind(&b.id)
            .bind(now.unix())
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO outbox (kind, aggregate_id, payload, created_s) VALUES (?, ?, ?, ?)")
        .bind(kind::APPOINTMENT_CREATED)
        .bind(&b.id)
        .bind(serde_json::to_string(b).unwrap())
        .bind(now.unix())
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// The child role: open the file through the store (migrations run), make
/// the adapter's inserts in a `BEGIN IMMEDIATE` transaction, report them,
/// and abort the process before the commit.
async fn crash_child(db: &Path) -> ! {
    let store = SqliteStore::open(&url(db), 1).await.unwrap();
    let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    insert_like_adapter(&mut tx, &crash_booking(), Some(CRASH_KEY), at(-60)).await;
    // What the transaction sees of its own writes.
    let (b, r, k, o) = rows(&mut tx).await;
    let line = format!("{MARKER} bookings={b} resources={r} keys={k} outbox={o}");
    std::fs::write(marker_path(db), &line).unwrap();
    // On a line of its own: libtest has printed "test … " without a newline.
    println!("\n{line}");
    std::io::stdout().flush().unwrap();
    // Crash: no COMMIT, no ROLLBACK, no destructor, no clean close of the file.
    std::process::abort();
}

/// A real crash. The test binary re-runs this test in a child process
/// (`HCAS_SQLITE_CRASH_CHILD=<db>`), which opens the database with the
/// store, inserts a booking, its two resource rows, its idempotency key and
/// its outbox event in a `BEGIN IMMEDIATE` transaction exactly as the adapter
/// does, and calls `abort()` before COMMIT. Reopening the file afterwards
/// (WAL recovery) shows none of it, and the slot and the key can be booked.
#[tokio::test]
async fn process_killed_mid_booking_leaves_nothing() {
    if let Some(db) = std::env::var_os(CHILD_ENV) {
        crash_child(Path::new(&db)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CRASH_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &db)
        // Any core dump lands in the temporary directory.
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let context = format!(
        "child {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(!out.status.success(), "the child did not crash: {context}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        // SIGABRT: killed by abort(), not a panic's exit code 101.
        assert_eq!(out.status.signal(), Some(6), "{context}");
    }
    let expected = format!("{MARKER} bookings=1 resources=2 keys=1 outbox=1");
    assert!(
        stdout.lines().any(|l| l == expected),
        "no insert marker: {context}"
    );
    assert_eq!(std::fs::read_to_string(marker_path(&db)).unwrap(), expected);
    // The file was not closed cleanly: its write-ahead log is still there.
    assert!(db.with_file_name("store.db-wal").exists(), "{context}");

    let store = SqliteStore::open(&url(&db), 2).await.unwrap();
    let now = at(-60);
    match store.get("crash-1").await {
        Err(StoreError::NotFound { what, id }) => {
            assert_eq!((what, id.as_str()), ("booking", "crash-1"))
        }
        other => panic!("expected not_found, got {other:?}"),
    }
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 0,
            outbox: 0
        }
    );
    let mut conn = store.pool().acquire().await.unwrap();
    assert_eq!(rows(&mut conn).await, (0, 0, 0, 0));
    drop(conn);
    assert!(store.outbox_pending(10).await.unwrap().is_empty());
    assert!(
        store
            .busy("provider:P1", at(0), at(30), now)
            .await
            .unwrap()
            .is_empty()
    );
    integrity_ok(store.pool()).await;

    // The slot and the key are free, and the write lock died with the child.
    let stored = tokio::time::timeout(
        LOCK_FREE_WITHIN,
        store.book(crash_booking(), Some(CRASH_KEY), now),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!((stored.value.id.as_str(), stored.version), ("crash-1", 1));
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 1,
            outbox: 1
        }
    );
    assert_eq!(rows_of(store.pool(), "crash-1").await, (1, 2, 1, 1));
    let events = store.outbox_pending(10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind.as_str(), events[0].aggregate_id.as_str()),
        (kind::APPOINTMENT_CREATED, "crash-1")
    );
    // The same key again is an idempotent replay, not a second booking.
    let replay = store
        .book(crash_booking(), Some(CRASH_KEY), now)
        .await
        .unwrap();
    assert_eq!(replay, stored);
    assert_eq!(store.counts().await.unwrap().bookings, 1);
    store.pool().close().await;
}

/// A booking transaction on a pooled connection makes the adapter's inserts,
/// then its future is dropped (the task is aborted) before the commit: the
/// transaction rolls back, the connection goes back to the pool clean, the
/// write lock is released, and a second pool on the same file never sees the
/// rows and can book the slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_booking_future_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    // One connection: every later call on `store` reuses the dropped transaction's.
    let store = SqliteStore::open(&url(&db), 1).await.unwrap();
    let other = SqliteStore::open(&url(&db), 2).await.unwrap();
    let now = at(-60);
    let b = booked("dropped-1", 0, 30, &["provider:P1", "patient:X"]);

    let (inserted, seen) = tokio::sync::oneshot::channel();
    let pool = store.pool().clone();
    let task = {
        let b = b.clone();
        tokio::spawn(async move {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
            insert_like_adapter(&mut tx, &b, Some("k-dropped"), now).await;
            inserted.send(rows(&mut tx).await).unwrap();
            // Never commits.
            std::future::pending::<()>().await;
        })
    };
    assert_eq!(seen.await.unwrap(), (1, 2, 1, 1));
    // While it is open, other connections see only committed data.
    assert_eq!(other.counts().await.unwrap(), Counts::default());
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());

    // The same (only) connection of `store`: an open transaction would show its own rows.
    assert!(matches!(
        store.get("dropped-1").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.counts().await.unwrap(), Counts::default());
    assert_eq!(other.counts().await.unwrap(), Counts::default());
    assert_eq!(rows_of(other.pool(), "dropped-1").await, (0, 0, 0, 0));

    // The write lock is free: the other pool books the slot with the same key.
    let stored = tokio::time::timeout(
        LOCK_FREE_WITHIN,
        other.book(b.clone(), Some("k-dropped"), now),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(rows_of(store.pool(), "dropped-1").await, (1, 2, 1, 1));
    // And `store` can still write on its connection: the slot is now taken.
    let r = tokio::time::timeout(
        LOCK_FREE_WITHIN,
        store.book(booked("dropped-2", 0, 30, &["provider:P1"]), None, now),
    )
    .await
    .unwrap();
    match r {
        Err(StoreError::Conflict { conflicts }) => {
            assert_eq!(conflicts.len(), 1);
            assert_eq!(conflicts[0].resource, "provider:P1");
            assert_eq!(conflicts[0].with, vec!["dropped-1".to_string()]);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    tokio::time::timeout(
        LOCK_FREE_WITHIN,
        store.book(booked("dropped-3", 30, 60, &["provider:P1"]), None, now),
    )
    .await
    .unwrap()
    .unwrap();
    let both = Counts {
        bookings: 2,
        outbox: 2,
    };
    assert_eq!(store.counts().await.unwrap(), both);
    assert_eq!(other.counts().await.unwrap(), both);
    integrity_ok(other.pool()).await;
    store.pool().close().await;
    other.pool().close().await;
}

/// `SqliteStore::book` itself, dropped at each of its await points in turn:
/// attempt `k` polls the real `book` future until it has returned `Pending`
/// `k + 1` times, then drops it (so it stops after acquiring, after `BEGIN
/// IMMEDIATE`, after each read and insert, with the COMMIT in flight, …),
/// until `book` completes within the budget three times in a row. Each
/// booking is all or nothing (booking, both resource rows, key and event, or
/// none of them); the store's single connection keeps working; a booking
/// dropped before its commit can be made again with the same key.
#[tokio::test]
async fn dropped_book_future_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    // One connection: every attempt reuses the previous attempt's.
    let store = SqliteStore::open(&url(&db), 1).await.unwrap();
    let now = at(-60);
    let (mut rolled_back, mut committed_anyway, mut completed) = (0_i64, 0_i64, 0_i64);
    let mut in_a_row = 0;
    let mut attempts = 0_i64;
    while in_a_row < 3 {
        assert!(attempts < 500, "book never completed");
        let k = attempts;
        attempts += 1;
        let id = format!("d{k}");
        let key = format!("k{k}");
        let b = booked(&id, k * 30, k * 30 + 30, &["provider:P1", "patient:X"]);
        let mut fut = store.book(b.clone(), Some(&key), now);
        let mut pendings = 0;
        let outcome = std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
            Poll::Ready(r) => Poll::Ready(Some(r)),
            Poll::Pending if pendings == k => Poll::Ready(None),
            Poll::Pending => {
                pendings += 1;
                Poll::Pending
            }
        })
        .await;
        drop(fut);
        let on_disk = tokio::time::timeout(LOCK_FREE_WITHIN, rows_of(store.pool(), &id))
            .await
            .unwrap();
        if let Some(r) = outcome {
            assert_eq!(r.unwrap().version, 1);
            assert_eq!(on_disk, (1, 2, 1, 1), "{id} completed");
            completed += 1;
            in_a_row += 1;
            continue;
        }
        in_a_row = 0;
        if on_disk == (1, 2, 1, 1) {
            // Dropped with the COMMIT already sent.
            committed_anyway += 1;
            continue;
        }
        assert_eq!(on_disk, (0, 0, 0, 0), "{id} dropped: partial rows");
        assert!(matches!(
            store.get(&id).await,
            Err(StoreError::NotFound { .. })
        ));
        let again = tokio::time::timeout(LOCK_FREE_WITHIN, store.book(b, Some(&key), now))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.version, 1);
        assert_eq!(rows_of(store.pool(), &id).await, (1, 2, 1, 1));
        rolled_back += 1;
    }
    println!(
        "attempts {attempts}: dropped and rolled back {rolled_back}, \
         dropped after the commit {committed_anyway}, completed {completed}"
    );
    // Several await points come before the COMMIT (acquire, BEGIN, reads,
    // inserts); how many of them a drop lands on depends on the driver's worker
    // thread and the machine's load (with `synchronous = FULL` more drops land
    // while the COMMIT is in flight), so the test asks for the rollback path to
    // have been taken at all, not for a count that scheduling decides.
    assert!(
        rolled_back >= 1,
        "no drop landed before the commit ({attempts} attempts)"
    );
    assert_eq!(rolled_back + committed_anyway + completed, attempts);
    let n = u64::try_from(attempts).unwrap();
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: n,
            outbox: n
        }
    );
    integrity_ok(store.pool()).await;
    store.pool().close().await;
}

/// Beyond `suite_rejected_writes_change_nothing` (same store, counts,
/// outbox, one booking): every rejected write, including a `set_status`
/// conflict, leaves every row of every table (and the outbox id counter)
/// byte-identical, as seen by a second pool, and after both pools are closed
/// and the file is reopened; the write lock is free afterwards.
#[tokio::test]
async fn rejected_writes_change_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let store = SqliteStore::open(&url(&db), 2).await.unwrap();
    let now = at(-60);
    store.set_capacity("room:R1", 1).await.unwrap();
    store
        .book(
            booked("a1", 0, 30, &["provider:P1", "patient:X1"]),
            Some("k1"),
            now,
        )
        .await
        .unwrap();
    store
        .book(booked("r1", 0, 30, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(booked("c1", 0, 30, &["provider:P2"]), None, now)
        .await
        .unwrap();
    store
        .set_status(
            "c1",
            1,
            &change(Status::Cancelled, Party::Staff, Some("moved"), now),
        )
        .await
        .unwrap();
    // A proposal that would overlap d1 once booked.
    let mut p1 = booked("p1", 0, 30, &["provider:P2"]);
    p1.status = Status::Proposed;
    store.book(p1, None, now).await.unwrap();
    store
        .book(booked("d1", 0, 30, &["provider:P2"]), None, now)
        .await
        .unwrap();
    let other = SqliteStore::open(&url(&db), 1).await.unwrap();
    let before = dump(store.pool()).await;
    assert_eq!(dump(other.pool()).await, before);
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 5,
            outbox: 6
        }
    );

    let conflict = |r: Result<_, StoreError>| match r {
        Err(StoreError::Conflict { conflicts }) => conflicts
            .into_iter()
            .map(|c| (c.resource, c.with))
            .collect::<Vec<_>>(),
        other => panic!("expected a conflict, got {other:?}"),
    };
    let one = |resource: &str, with: &str| vec![(resource.to_string(), vec![with.to_string()])];
    assert_eq!(
        conflict(
            store
                .book(booked("x1", 10, 20, &["provider:P1"]), None, now)
                .await
        ),
        one("provider:P1", "a1")
    );
    assert_eq!(
        conflict(
            store
                .book(booked("x2", 10, 20, &["room:R1"]), None, now)
                .await
        ),
        one("room:R1", "r1")
    );
    // Booking the proposal p1 would overlap d1.
    assert_eq!(
        conflict(
            store
                .set_status("p1", 1, &change(Status::Booked, Party::Staff, None, now))
                .await
                .map(|c| c.booking)
        ),
        one("provider:P2", "d1")
    );
    for (what, r) in [
        (
            "duplicate id",
            store
                .book(booked("a1", 100, 130, &["provider:P9"]), None, now)
                .await,
        ),
        (
            "key reused for other details",
            store
                .book(booked("x3", 100, 130, &["provider:P9"]), Some("k1"), now)
                .await,
        ),
        (
            "end before start",
            store
                .book(booked("x4", 20, 10, &["provider:P9"]), None, now)
                .await,
        ),
    ] {
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{what}: {r:?}");
    }
    for (what, id, version, req) in [
        (
            "to held",
            "a1",
            1,
            change(Status::Held, Party::Staff, None, now),
        ),
        (
            "cancelled -> booked",
            "c1",
            2,
            change(Status::Booked, Party::Staff, None, now),
        ),
        (
            "patient no-show",
            "a1",
            1,
            change(Status::Noshow, Party::Patient, None, at(20)),
        ),
        (
            "no reason",
            "a1",
            1,
            change(Status::Cancelled, Party::Staff, None, now),
        ),
    ] {
        let r = store.set_status(id, version, &req).await;
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{what}: {r:?}");
    }
    let cancel = change(Status::Cancelled, Party::Staff, Some("x"), now);
    assert!(matches!(
        store.set_status("a1", 7, &cancel).await,
        Err(StoreError::VersionMismatch {
            expected: 7,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        store.set_status("nope", 1, &cancel).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.set_capacity("room:R1", 0).await,
        Err(StoreError::Invalid(_))
    ));

    assert_eq!(dump(store.pool()).await, before);
    assert_eq!(dump(other.pool()).await, before);
    store.pool().close().await;
    other.pool().close().await;

    let reopened = SqliteStore::open(&url(&db), 1).await.unwrap();
    assert_eq!(dump(reopened.pool()).await, before);
    integrity_ok(reopened.pool()).await;
    // Nothing holds the write lock; room:R1 still has capacity 1.
    tokio::time::timeout(
        LOCK_FREE_WITHIN,
        reopened.book(booked("x5", 30, 60, &["provider:P1"]), None, now),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        conflict(
            reopened
                .book(booked("x6", 0, 30, &["room:R1"]), None, now)
                .await
        ),
        one("room:R1", "r1")
    );
    assert_eq!(
        reopened.counts().await.unwrap(),
        Counts {
            bookings: 6,
            outbox: 7
        }
    );
    reopened.pool().close().await;
}

/// `availability` is one statement whose every table access is an index
/// search: providers and schedules by key, bookings through
/// `booking_resources (resource, start_s)` in a range bounded on both sides
/// (below by the resources' longest booking); no table is scanned.
#[tokio::test]
async fn availability_query_is_one_indexed_statement() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&url(&dir.path().join("plan.db")), 1)
        .await
        .unwrap();
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {}",
        hcas_store::sqlite::AVAILABILITY_SQL
    )))
    .bind(r#"["P1","P2"]"#)
    .bind(r#"["provider:P1","provider:P2"]"#)
    .bind(at(600).unix())
    .bind(at(0).unix())
    .fetch_all(store.pool())
    .await
    .unwrap();
    let steps: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
    let has = |s: &str| steps.iter().any(|d| d.contains(s));
    assert!(has("SEARCH p USING COVERING INDEX"), "{steps:#?}");
    assert!(has("SEARCH s USING INDEX"), "{steps:#?}");
    assert!(
        has(
            "SEARCH r USING INDEX booking_resources_resource_start (resource=? AND start_s>? AND start_s<?)"
        ),
        "{steps:#?}"
    );
    assert!(has("SEARCH b USING INDEX"), "{steps:#?}");
    // Only the JSON parameter lists are scanned, never a table.
    let scans: Vec<&&str> = steps
        .iter()
        .filter(|d| d.starts_with("SCAN") && !d.contains("json_each"))
        .collect();
    assert!(scans.is_empty(), "table scans: {scans:?}");
}

/// A row the store cannot read is `internal` (HTTP 500, not retryable), not
/// `unavailable`: retrying would never help.
#[tokio::test]
async fn corrupt_rows_are_internal_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&url(&dir.path().join("corrupt.db")), 1)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO bookings (id, start_s, end_s, status, version, payload)
         VALUES ('bad', 0, 60, 'booked', 1, '{\"not\": \"a booking\"}')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO booking_resources (booking_id, resource, start_s, end_s)
         VALUES ('bad', 'provider:P1', 0, 60)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let err = store.get("bad").await.unwrap_err();
    assert_eq!(err.code(), "internal", "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("corrupt booking"), "{err}");
    // `busy` reads the columns, not the payload: a status the core does not
    // know is corrupt too.
    sqlx::query("UPDATE bookings SET status = 'nonsense' WHERE id = 'bad'")
        .execute(store.pool())
        .await
        .unwrap();
    let err = store
        .busy(
            "provider:P1",
            Timestamp::from_unix(0).unwrap(),
            Timestamp::from_unix(60).unwrap(),
            Timestamp::from_unix(0).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "internal", "{err}");
}

/// `PRAGMA synchronous` on `n` connections of `pool` held at once (so each is
/// a different connection of the pool).
async fn synchronous_of(pool: &SqlitePool, n: usize) -> Vec<i64> {
    let mut conns = Vec::new();
    let mut out = Vec::new();
    for _ in 0..n {
        let mut c = pool.acquire().await.unwrap();
        let (s,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        out.push(s);
        conns.push(c);
    }
    out
}

/// A committed booking is durable by default: every connection of a store
/// opened with `open` syncs each commit (`synchronous = FULL`, 2); the
/// faster `NORMAL` (1) is an explicit opt-in.
#[tokio::test]
async fn default_store_syncs_every_commit() {
    use hcas_store::sqlite::Durability;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&url(&dir.path().join("full.db")), 3)
        .await
        .unwrap();
    assert_eq!(synchronous_of(store.pool(), 3).await, [2, 2, 2]);
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    store.pool().close().await;

    let relaxed = SqliteStore::open_with_durability(
        &url(&dir.path().join("normal.db")),
        3,
        Durability::Normal,
    )
    .await
    .unwrap();
    assert_eq!(synchronous_of(relaxed.pool(), 3).await, [1, 1, 1]);
    relaxed.pool().close().await;
}
