//! Group commit: the batcher task, one transaction for many bookings, the
//! slow lane for requests whose lock is busy (see the module docs of
//! [`crate::postgres`], "Group commit").

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hcas_core::Timestamp;
use hcas_core::booking::{Booking, Ledger};
use sqlx::{PgConnection, PgPool};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::sql::db;
use crate::{StoreError, Stored};

use super::locks::*;
use super::retry::*;
use super::rows::*;
use super::{PgStore, RETRIES, Stats};

/// Scheduler turns the batcher yields after the first request of a batch.
pub(super) const GATHER_YIELDS: usize = 2;

/// A booking waiting for its batch.
pub(super) struct Pending {
    pub(super) booking: Booking,
    pub(super) key: Option<String>,
    pub(super) now: Timestamp,
    pub(super) reply: oneshot::Sender<Result<Stored<Booking>, StoreError>>,
    /// When a batch first left it out because a lock it needs was busy,
    /// and how many times since.
    pub(super) deferred: Option<(tokio::time::Instant, u32)>,
}

/// The batcher task: one batch per free slot of `in_flight`, each batch the
/// first queued request plus whatever else is already queued (up to
/// `max_batch`). Ends when every sender (every clone of the store) is gone;
/// batches already running finish on their own tasks.
pub(super) async fn batcher(
    pool: PgPool,
    mut queue: mpsc::Receiver<Pending>,
    max_batch: usize,
    in_flight: usize,
    lane: Lane,
    stats: Arc<Stats>,
) {
    let slots = Arc::new(Semaphore::new(in_flight));
    loop {
        // A slot first, then the requests: while every slot is busy, requests
        // queue up and the next batch takes them all.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Some(first) = queue.recv().await else {
            return;
        };
        let mut batch = Vec::with_capacity(max_batch.min(64));
        batch.push(first);
        // Let the callers woken by the last answers queue up their next
        // requests (a few scheduler turns, no timer): bigger batches.
        for _ in 0..GATHER_YIELDS {
            tokio::task::yield_now().await;
        }
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        // Callers that went away before their batch started: skip them.
        batch.retain(|p| !p.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        // Each booking once (not again when it comes back deferred).
        let fresh = batch.iter().filter(|p| p.deferred.is_none()).count();
        stats.bookings.fetch_add(fresh as u64, Ordering::Relaxed);
        let pool = pool.clone();
        let stats = Arc::clone(&stats);
        let lane = lane.clone();
        tokio::spawn(async move {
            run_batch(&pool, batch, &stats, &lane).await;
            drop(slot);
        });
    }
}

/// Why a batch attempt failed.
pub(super) enum BatchFail {
    /// A retryable SQLSTATE, or an id inserted concurrently: run the batch again.
    Retry,
    /// Run every request through the single path, each with its own
    /// answer (undecodable rows, or a non-retryable database error that one
    /// request may have caused).
    Single,
    /// Every request's answer.
    Unavailable(String),
}

impl From<sqlx::Error> for BatchFail {
    fn from(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            return Self::Retry;
        }
        match db(e) {
            // Not caused by one request (the connection, a timeout): every
            // request's answer, retryable.
            StoreError::Unavailable(msg) => Self::Unavailable(msg),
            // Possibly caused by one request (data the database refuses, a
            // trigger, a limit): each request alone, so only its own fails.
            _ => Self::Single,
        }
    }
}

/// Run one batch and answer every request.
pub(super) async fn run_batch(pool: &PgPool, batch: Vec<Pending>, stats: &Stats, lane: &Lane) {
    let mut attempt = 0;
    let fail = loop {
        match book_batch(pool, &batch).await {
            Ok(answers) => {
                for (p, answer) in batch.into_iter().zip(answers) {
                    match answer {
                        // The caller may be gone; its booking stands.
                        Some(answer) => {
                            let _ = p.reply.send(answer);
                        }
                        None => {
                            stats.deferred.fetch_add(1, Ordering::Relaxed);
                            defer(pool, lane, p);
                        }
                    }
                }
                return;
            }
            Err(BatchFail::Retry) if attempt < RETRIES => {
                attempt += 1;
                stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            Err(f) => break f,
        }
    };
    match fail {
        BatchFail::Unavailable(msg) => {
            for p in batch {
                let _ = p.reply.send(Err(StoreError::Unavailable(msg.clone())));
            }
        }
        BatchFail::Retry | BatchFail::Single => {
            stats.fallbacks.fetch_add(1, Ordering::Relaxed);
            for p in batch {
                if p.reply.is_closed() {
                    continue;
                }
                let answer = PgStore::book_direct(pool, &p.booking, p.key.as_deref(), p.now).await;
                let _ = p.reply.send(answer);
            }
        }
    }
}

/// Where deferred requests go back to: the batcher's queue (weak, so that
/// the batcher still ends with the last store), and how long they may wait.
#[derive(Clone)]
pub(super) struct Lane {
    pub(super) queue: mpsc::WeakSender<Pending>,
    pub(super) lock_timeout: Option<Duration>,
}

/// Longest pause before a deferred request is queued again.
pub(super) const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// A request whose lock was busy in its batch: queued again for a later
/// batch after a short pause (1, 2, 4 … up to 50 ms), holding no connection
/// meanwhile, until the lock is free; once `lock_timeout` has passed since
/// it was first deferred it is answered [`StoreError::Unavailable`], as a
/// blocking lock would be.
pub(super) fn defer(pool: &PgPool, lane: &Lane, mut p: Pending) {
    let now = tokio::time::Instant::now();
    let (since, times) = p.deferred.get_or_insert((now, 0));
    *times = times.saturating_add(1);
    let (since, times) = (*since, *times);
    if let Some(limit) = lane.lock_timeout.filter(|d| !d.is_zero())
        && now.saturating_duration_since(since) >= limit
    {
        let _ = p.reply.send(Err(StoreError::Unavailable(format!(
            "a lock booking {} needs is held by another transaction (lock_timeout {} ms passed)",
            p.booking.id,
            limit.as_millis()
        ))));
        return;
    }
    let pause = Duration::from_millis(1u64 << times.min(6).saturating_sub(1)).min(MAX_BACKOFF);
    let pool = pool.clone();
    let queue = lane.queue.clone();
    tokio::spawn(async move {
        tokio::time::sleep(pause).await;
        if p.reply.is_closed() {
            return;
        }
        let p = match queue.upgrade() {
            Some(queue) => match queue.send(p).await {
                Ok(()) => return,
                Err(mpsc::error::SendError(p)) => p,
            },
            None => p,
        };
        // The batcher is gone: the single path.
        let answer = PgStore::book_direct(&pool, &p.booking, p.key.as_deref(), p.now).await;
        let _ = p.reply.send(answer);
    });
}

/// What the batch read returns.
#[derive(Default)]
pub(super) struct BatchState {
    /// Payloads of the bookings overlapping any request on its resources.
    bookings: Vec<String>,
    capacities: Vec<(String, i64)>,
    /// Idempotency key -> (booking id, its row if it exists).
    keys: HashMap<String, (String, Option<Row>)>,
    /// The requests' ids that are already used.
    used: HashSet<String>,
}

/// A row of the batch read: tag, name, booking id, payload, number.
pub(super) type BatchRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// A request's answer from one batch attempt: decided, or `None` when a lock
/// it needs is held elsewhere (it goes to the slow lane).
pub(super) type Answer = Option<Result<Stored<Booking>, StoreError>>;

/// One batch attempt: one transaction, five round trips; the answers in
/// arrival order.
pub(super) async fn book_batch(pool: &PgPool, batch: &[Pending]) -> Result<Vec<Answer>, BatchFail> {
    // Generic plans: the batch statements are planned once per connection
    // (re-planning them costs more than running them); the read is written so
    // that its generic plan probes the index once per requested resource.
    let mut tx = pool
        .begin_with("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
        .await?;
    // Locks: every resource (sorted, deduplicated), then every key (sorted).
    let mut resources: Vec<&str> = batch
        .iter()
        .flat_map(|p| p.booking.resources.iter().map(String::as_str))
        .collect();
    resources.sort_unstable();
    resources.dedup();
    let locks = lock_order(
        resources.iter().copied(),
        batch.iter().filter_map(|p| p.key.as_deref()),
    );
    // Try-locks, in the same global order: they never wait, so a lock held
    // elsewhere (a slow transaction on one provider) cannot stall the batch;
    // the requests that need a busy lock are deferred to the slow lane.
    let busy = try_lock(&mut tx, &locks).await?;
    let ready: Vec<bool> = batch
        .iter()
        .map(|p| {
            !p.booking.resources.iter().any(|r| busy.contains(r))
                && !p
                    .key
                    .as_deref()
                    .is_some_and(|k| busy.contains(&idem_lock(k)))
        })
        .collect();
    let live: Vec<&Pending> = batch
        .iter()
        .zip(&ready)
        .filter_map(|(p, &ok)| ok.then_some(p))
        .collect();
    let live_resources: Vec<&str> = if busy.is_empty() {
        resources
    } else {
        resources
            .into_iter()
            .filter(|r| {
                live.iter()
                    .any(|p| p.booking.resources.iter().any(|x| x == r))
            })
            .collect()
    };
    let state = read_batch(&mut tx, &live, &live_resources).await?;
    let Ok(mut ledger) = state_ledger(state.capacities, state.bookings) else {
        return Err(BatchFail::Single);
    };
    let mut used = state.used;
    // Keys of the bookings accepted in this batch -> index in `batch`.
    let mut batch_keys: HashMap<&str, usize> = HashMap::new();
    let mut accepted: Vec<usize> = Vec::new();
    let mut answers = Vec::with_capacity(batch.len());
    for (n, p) in batch.iter().enumerate() {
        if !ready[n] {
            answers.push(None);
            continue;
        }
        let booking = &p.booking;
        if let Some(key) = p.key.as_deref() {
            if let Some(&first) = batch_keys.get(key) {
                let existing = &batch[first].booking;
                answers.push(Some(if existing.same_request(booking) {
                    Ok(Stored {
                        value: existing.clone(),
                        version: 1,
                    })
                } else {
                    Err(key_reused(key, &existing.id))
                }));
                continue;
            }
            if let Some((id, row)) = state.keys.get(key) {
                answers.push(Some(idempotent_hit(key, id, row.as_ref(), booking)));
                continue;
            }
        }
        if let Err(e) = booking
            .validate()
            .and_then(|()| hcas_core::anchor::check(booking))
        {
            answers.push(Some(Err(e.into())));
            continue;
        }
        let check = match ledger.check(&booking.request(), p.now) {
            Ok(c) => c,
            Err(e) => {
                answers.push(Some(Err(e.into())));
                continue;
            }
        };
        if !check.ok {
            answers.push(Some(Err(StoreError::Conflict {
                conflicts: check.conflicts,
            })));
            continue;
        }
        if used.contains(&booking.id) {
            answers.push(Some(Err(id_used(&booking.id))));
            continue;
        }
        if ledger.insert(booking.clone()).is_err() {
            return Err(BatchFail::Single);
        }
        used.insert(booking.id.clone());
        if let Some(key) = p.key.as_deref() {
            batch_keys.insert(key, n);
        }
        accepted.push(n);
        answers.push(Some(Ok(Stored {
            value: booking.clone(),
            version: 1,
        })));
    }
    if accepted.is_empty() {
        tx.rollback().await?;
        return Ok(answers);
    }
    write_batch(&mut tx, batch, &accepted, &ledger).await?;
    tx.commit().await?;
    Ok(answers)
}

/// The batch read: one query for every request (overlaps, capacities,
/// idempotency keys, used ids).
pub(super) async fn read_batch(
    conn: &mut PgConnection,
    batch: &[&Pending],
    resources: &[&str],
) -> Result<BatchState, BatchFail> {
    let (mut q_resource, mut q_start, mut q_end) = (Vec::new(), Vec::new(), Vec::new());
    for p in batch {
        for r in unique(&p.booking.resources) {
            q_resource.push(r);
            q_start.push(p.booking.start.unix());
            q_end.push(p.booking.end.unix());
        }
    }
    let keys: Vec<&str> = batch.iter().filter_map(|p| p.key.as_deref()).collect();
    // Each key as of its own request's `now`: an expired key is not read.
    let key_cutoffs: Vec<i64> = batch
        .iter()
        .filter(|p| p.key.is_some())
        .map(|p| p.now.unix() - crate::IDEMPOTENCY_TTL_SECONDS)
        .collect();
    let ids: Vec<&str> = batch.iter().map(|p| p.booking.id.as_str()).collect();
    let rows: Vec<BatchRow> = sqlx::query_as(
        "SELECT 'b'::text, NULL::text, NULL::text, b.payload::text, NULL::bigint FROM bookings b
         WHERE b.id IN (
             SELECT r.booking_id
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS q(resource, s, e)
             CROSS JOIN LATERAL (
                 SELECT r.booking_id FROM booking_resources r
                 WHERE r.resource = q.resource AND r.start_s < q.e AND r.end_s > q.s
                   AND r.start_s > q.s - COALESCE(
                       (SELECT x.max_len FROM resource_extent x WHERE x.resource = q.resource), 0)
                 OFFSET 0) r)
         UNION ALL
         SELECT 'c', c.resource, NULL, NULL, c.capacity::bigint FROM capacities c
         WHERE c.resource = ANY($4::text[])
         UNION ALL
         SELECT 'k', i.key, i.booking_id, b.payload::text, b.version
         FROM unnest($5::text[], $7::bigint[]) AS q(key, cutoff)
         JOIN idempotency i ON i.key = q.key AND i.created_s > q.cutoff
         LEFT JOIN bookings b ON b.id = i.booking_id
         UNION ALL
         SELECT 'i', b.id, NULL, NULL, NULL FROM bookings b WHERE b.id = ANY($6::text[])",
    )
    .bind(&q_resource)
    .bind(&q_start)
    .bind(&q_end)
    .bind(resources)
    .bind(&keys)
    .bind(&ids)
    .bind(&key_cutoffs)
    .fetch_all(&mut *conn)
    .await?;
    let mut state = BatchState::default();
    for (tag, name, id, payload, n) in rows {
        match (tag.as_str(), name, id, payload, n) {
            ("b", _, _, Some(payload), _) => state.bookings.push(payload),
            ("c", Some(resource), _, _, Some(cap)) => state.capacities.push((resource, cap)),
            ("k", Some(key), Some(id), payload, version) => {
                let row = payload
                    .zip(version)
                    .map(|(payload, version)| Row { payload, version });
                state.keys.insert(key, (id, row));
            }
            ("i", Some(id), ..) => {
                state.used.insert(id);
            }
            _ => return Err(BatchFail::Single),
        }
    }
    Ok(state)
}

/// The batch write: every accepted booking in arrival order, in one
/// statement ([`insert_accepted`]). An id inserted meanwhile by another
/// transaction (ids are not locked) makes the batch run again.
pub(super) async fn write_batch(
    conn: &mut PgConnection,
    batch: &[Pending],
    accepted: &[usize],
    ledger: &Ledger,
) -> Result<(), BatchFail> {
    let rows: Vec<Accepted<'_>> = accepted
        .iter()
        .map(|&n| Accepted {
            booking: &batch[n].booking,
            key: batch[n].key.as_deref(),
            created: batch[n].now,
        })
        .collect();
    if insert_accepted(conn, &rows, ledger).await? != rows.len() {
        return Err(BatchFail::Retry);
    }
    Ok(())
}
