//! [`SeriesStore`] for [`PgStore`].
//!
//! - [`SeriesStore::book_series`] takes the same advisory locks as
//!   `AppointmentStore::book` (the series' resources, sorted), reads the
//!   overlapping bookings, the capacities and any booking already using an
//!   occurrence id in one query, lets the core book the series on a ledger
//!   of those, and writes every booked occurrence with its resource rows and
//!   `appointment.created` event in one statement.
//! - [`SeriesStore::shift_series`] and [`SeriesStore::cancel_series`] lock
//!   every resource the series' bookings use (the same statement and
//!   order), re-read the series under the locks, let the core decide on a
//!   ledger of the series, the bookings overlapping the new times and the
//!   capacities, and write every change with its event in one statement
//!   (a shift deletes the moved occurrences' resource rows first, so a move
//!   onto a sibling's old time passes the exclusion constraint, and the
//!   re-inserted rows keep `resource_extent` right).

use std::collections::HashSet;

use async_trait::async_trait;
use hcas_core::booking::{Booking, Ledger};
use hcas_core::series::{
    CancelResult, EditResult, SeriesCancel, SeriesEdit, SeriesPolicy, SeriesResult, SeriesSpec,
    cancel_occurrences, shift_occurrences,
};
use hcas_core::{Interval, Timestamp};
use sqlx::{PgConnection, PgPool};

use crate::change::{booked_occurrences, shift_window, with_series};
use crate::sql::{corrupt, db, decode, stored_rows};
use crate::{SeriesStore, StoreError, Stored, kind};

use super::PgStore;
use super::bookings::*;
use super::locks::*;
use super::records::*;
use super::retry::*;
use super::rows::*;

/// A row of the series read: tag (`b` overlapping booking, `i` booking
/// using an occurrence id, `c` capacity), name, payload, number.
pub(super) type SeriesRow = (String, String, Option<String>, Option<i64>);

/// Fill `ledger` from [`SeriesRow`]s: `b`/`i` rows are bookings (a booking
/// both overlapping and named is loaded once), `c` rows capacities.
fn load_rows(ledger: &mut Ledger, rows: Vec<SeriesRow>) -> Result<(), SeriesFail> {
    let mut seen: HashSet<String> = HashSet::new();
    for (tag, name, text, n) in rows {
        match (tag.as_str(), text, n) {
            ("b" | "i", Some(text), _) => {
                if seen.insert(name) {
                    let b: Booking = decode("booking", &text)?;
                    ledger.insert(b).map_err(|e| corrupt("booking", e))?;
                }
            }
            ("c", _, Some(cap)) => {
                let cap = u32::try_from(cap).map_err(|e| corrupt("capacity", e))?;
                ledger
                    .set_capacity(&name, cap)
                    .map_err(|e| corrupt("capacity", e))?;
            }
            (tag, ..) => return Err(corrupt("row", format!("unexpected {tag} row")).into()),
        }
    }
    Ok(())
}

/// Lock the series' resources (the statements of `locks.rs`, so series,
/// bookings and status changes on a resource are serialised, in one global
/// order), read what the core needs, let it book, write the booked
/// occurrences; one transaction.
pub(super) async fn book_series_once(
    pool: &PgPool,
    spec: &SeriesSpec,
    ids: &[String],
    span: Interval,
    policy: SeriesPolicy,
    now: Timestamp,
) -> Result<SeriesResult, SeriesFail> {
    let mut tx = pool.begin().await?;
    let keys = lock_order(spec.resources.iter().map(String::as_str), None);
    lock(&mut tx, &keys).await?;
    let rows: Vec<SeriesRow> = sqlx::query_as(
        "SELECT 'b'::text, b.id, b.payload::text, NULL::bigint FROM bookings b
         WHERE b.id IN (
             SELECT r.booking_id FROM booking_resources r
             WHERE r.resource = ANY($1::text[]) AND r.start_s < $2 AND r.end_s > $3
               AND r.start_s > $3 - (SELECT COALESCE(max(max_len), 0) FROM resource_extent
                                     WHERE resource = ANY($1::text[])))
         UNION ALL
         SELECT 'i', b.id, b.payload::text, NULL FROM bookings b WHERE b.id = ANY($4::text[])
         UNION ALL
         SELECT 'c', c.resource, NULL, c.capacity::bigint FROM capacities c
         WHERE c.resource = ANY($1::text[])",
    )
    .bind(&keys)
    .bind(span.end().unix())
    .bind(span.start().unix())
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut ledger = Ledger::new();
    load_rows(&mut ledger, rows)?;
    // The core decides everything: conflicts, the policy, reused ids.
    let result = spec.book(
        &mut ledger,
        hcas_core::series::SeriesBookOptions::at(now).policy(policy),
    )?;
    let made = booked_occurrences(&ledger, &result.occurrences)?;
    if made.is_empty() {
        tx.rollback().await?;
        return Ok(result);
    }
    let n = made.len();
    let rows: Vec<Accepted<'_>> = made
        .iter()
        .map(|b| Accepted {
            booking: b,
            key: None,
            created: now,
        })
        .collect();
    // One statement: the bookings, their resource rows and their events (in
    // occurrence order). An id inserted meanwhile by another transaction
    // (ids are not locked) inserts nothing for it: then run it all again.
    let inserted = insert_accepted(&mut tx, &rows, &ledger).await?;
    if inserted != n {
        tx.rollback().await?;
        return Err(SeriesFail::Retry(
            "an occurrence id was taken by a concurrent booking".to_string(),
        ));
    }
    tx.commit().await?;
    Ok(result)
}

#[async_trait]
impl SeriesStore for PgStore {
    async fn book_series(
        &self,
        spec: &SeriesSpec,
        policy: SeriesPolicy,
        now: Timestamp,
    ) -> Result<SeriesResult, StoreError> {
        // The occurrences (local start, start, end), validating the spec
        // (the core's codes); ids as the core names them.
        let occurrences = spec.occurrences()?;
        let (Some(start), Some(end)) = (
            occurrences.iter().map(|o| o.1).min(),
            occurrences.iter().map(|o| o.2).max(),
        ) else {
            return Ok(spec.book(
                &mut Ledger::new(),
                hcas_core::series::SeriesBookOptions::at(now).policy(policy),
            )?);
        };
        if unstorable(&spec.id) {
            return Err(nul_refused("series.id"));
        }
        if let Some(i) = spec.resources.iter().position(|r| unstorable(r)) {
            return Err(nul_refused(&format!("series.resources[{i}]")));
        }
        // Every occurrence lies in this span: what can conflict overlaps it.
        let span = Interval::new(start, end)?;
        let ids: Vec<String> = occurrences
            .iter()
            .map(|o| spec.occurrence_id(o.0))
            .collect();
        retrying(|| book_series_once(self.pool(), spec, &ids, span, policy, now))
            .await
            .map_err(SeriesFail::exhausted)
    }

    async fn series_bookings(&self, series_id: &str) -> Result<Vec<Stored<Booking>>, StoreError> {
        if unstorable(series_id) {
            return Ok(Vec::new());
        }
        // This exact expression is the `bookings_series` index's.
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT payload::text, version FROM bookings
             WHERE (payload -> 'series' ->> 'id') = $1
             ORDER BY start_s, id COLLATE \"C\"",
        )
        .bind(series_id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        stored_rows("booking", rows)
    }

    async fn shift_series(
        &self,
        edit: &SeriesEdit,
        now: Timestamp,
    ) -> Result<EditResult, StoreError> {
        retrying(|| shift_series_once(self.pool(), edit, now))
            .await
            .map_err(SeriesFail::exhausted)
    }

    async fn cancel_series(
        &self,
        cancel: &SeriesCancel,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<CancelResult, StoreError> {
        retrying(|| cancel_series_once(self.pool(), cancel, expected, now))
            .await
            .map_err(SeriesFail::exhausted)
    }
}

/// Every booking of a series (any status), with versions, by start.
pub(super) async fn series_rows(
    conn: &mut PgConnection,
    series_id: &str,
) -> Result<Vec<Stored<Booking>>, SeriesFail> {
    if unstorable(series_id) {
        return Ok(Vec::new());
    }
    // This exact expression is the `bookings_series` index's.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload::text, version FROM bookings
         WHERE (payload -> 'series' ->> 'id') = $1
         ORDER BY start_s, id COLLATE \"C\"",
    )
    .bind(series_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(stored_rows("booking", rows)?)
}

/// The series' bookings, read under the advisory locks of every resource
/// they use, taken in the global order (sorted; the statement `book` and
/// `book_series` use), so a series edit is serialised with every booking,
/// status change and series on those resources. The series is read once to
/// learn its resources, locked, and read again; if it gained a resource
/// meanwhile, the attempt is run again.
pub(super) async fn lock_series(
    conn: &mut PgConnection,
    series_id: &str,
) -> Result<Vec<Stored<Booking>>, SeriesFail> {
    let resources_of = |rows: &[Stored<Booking>]| {
        lock_order(
            rows.iter()
                .flat_map(|s| s.value.resources.iter().map(String::as_str)),
            None,
        )
    };
    let keys = resources_of(&series_rows(conn, series_id).await?);
    lock(conn, &keys).await?;
    let rows = series_rows(conn, series_id).await?;
    if resources_of(&rows)
        .iter()
        .any(|r| keys.binary_search(r).is_err())
    {
        return Err(SeriesFail::Retry(format!(
            "series {series_id} gained a resource while being locked"
        )));
    }
    Ok(rows)
}

/// One attempt of a series shift: lock, read, let the core decide, write
/// every move and its event; one transaction.
pub(super) async fn shift_series_once(
    pool: &PgPool,
    edit: &SeriesEdit,
    now: Timestamp,
) -> Result<EditResult, SeriesFail> {
    let mut tx = pool.begin().await?;
    let series = lock_series(&mut tx, &edit.series_id).await?;
    // Where the moves go (the core's plan), so the ledger holds what
    // overlaps the new times on the moved occurrences' resources.
    let mut ledger = Ledger::new();
    if let Some((keys, start, end)) = shift_window(&series, edit, now)? {
        let rows: Vec<SeriesRow> = sqlx::query_as(
            "SELECT 'b'::text, b.id, b.payload::text, NULL::bigint FROM bookings b
             WHERE b.id IN (
                 SELECT r.booking_id FROM booking_resources r
                 WHERE r.resource = ANY($1::text[]) AND r.start_s < $2 AND r.end_s > $3
                   AND r.start_s > $3 - (SELECT COALESCE(max(max_len), 0) FROM resource_extent
                                         WHERE resource = ANY($1::text[])))
             UNION ALL
             SELECT 'c', c.resource, NULL, c.capacity::bigint FROM capacities c
             WHERE c.resource = ANY($1::text[])",
        )
        .bind(&keys)
        .bind(end.unix())
        .bind(start.unix())
        .fetch_all(&mut *tx)
        .await?;
        load_rows(&mut ledger, rows)?;
    }
    with_series(&mut ledger, &series)?;
    // The core decides and moves all or none on the ledger.
    let result = shift_occurrences(&mut ledger, edit, now)?;
    let moved = booked_occurrences(&ledger, &result.occurrences)?;
    if !result.applied || moved.is_empty() {
        tx.rollback().await?;
        return Ok(result);
    }
    let ids: Vec<&str> = moved.iter().map(|b| b.id.as_str()).collect();
    // Old resource rows out before the new ones go in: a move may land on a
    // sibling's old time, which the exclusion constraint would refuse.
    sqlx::query("DELETE FROM booking_resources WHERE booking_id = ANY($1::text[])")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    let mut starts = Vec::with_capacity(moved.len());
    let mut ends = Vec::with_capacity(moved.len());
    let mut payloads = Vec::with_capacity(moved.len());
    let (mut r_id, mut r_resource, mut r_start, mut r_end, mut r_blocking, mut r_one) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for b in &moved {
        starts.push(b.start.unix());
        ends.push(b.end.unix());
        payloads.push(payload(b, "booking")?);
        let mut resources: Vec<&str> = b.resources.iter().map(String::as_str).collect();
        resources.sort_unstable();
        resources.dedup();
        for r in resources {
            r_id.push(b.id.as_str());
            r_resource.push(r);
            r_start.push(b.start.unix());
            r_end.push(b.end.unix());
            r_blocking.push(blocking(b.status));
            r_one.push(ledger.capacity(r) == 1);
        }
    }
    // One statement: the bookings at their new times (version +1), their
    // resource rows (the insert trigger keeps `resource_extent`), and one
    // `appointment.updated` event each, in occurrence order.
    sqlx::query(
        "WITH b AS (
             UPDATE bookings SET start_s = u.s, end_s = u.e, payload = u.payload::jsonb,
                 version = bookings.version + 1
             FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])
                  AS u(id, s, e, payload)
             WHERE bookings.id = u.id
             RETURNING bookings.id),
         r AS (
             INSERT INTO booking_resources
                 (booking_id, resource, start_s, end_s, blocking, capacity_one)
             SELECT u.id, u.resource, u.s, u.e, u.blocking, u.one
             FROM unnest($5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::boolean[],
                         $10::boolean[]) AS u(id, resource, s, e, blocking, one))
         INSERT INTO outbox (kind, aggregate_id, payload, created_s)
         SELECT $11, u.id, u.payload::jsonb, $12
         FROM unnest($1::text[], $4::text[]) WITH ORDINALITY AS u(id, payload, n)
         WHERE u.id IN (SELECT id FROM b)
         ORDER BY u.n",
    )
    .bind(&ids)
    .bind(&starts)
    .bind(&ends)
    .bind(&payloads)
    .bind(&r_id)
    .bind(&r_resource)
    .bind(&r_start)
    .bind(&r_end)
    .bind(&r_blocking)
    .bind(&r_one)
    .bind(kind::APPOINTMENT_UPDATED)
    .bind(now.unix())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(result)
}

/// One attempt of a series cancellation: lock, read, check the series
/// version, let the core decide through the lifecycle, write every
/// cancellation and its event; one transaction.
pub(super) async fn cancel_series_once(
    pool: &PgPool,
    cancel: &SeriesCancel,
    expected: Option<i64>,
    now: Timestamp,
) -> Result<CancelResult, SeriesFail> {
    let mut tx = pool.begin().await?;
    let all = lock_series(&mut tx, &cancel.series_id).await?;
    crate::appointments::check_series_version(&cancel.series_id, &all, expected)?;
    let mut ledger = Ledger::new();
    for s in all {
        ledger.insert(s.value).map_err(|e| corrupt("booking", e))?;
    }
    if unstorable(&cancel.reason) {
        return Err(nul_refused("reason").into());
    }
    // A cancellation frees time: nothing else needs checking.
    let result = cancel_occurrences(&mut ledger, cancel, now)?;
    if result.cancelled.is_empty() {
        tx.rollback().await?;
        return Ok(result);
    }
    let mut ids = Vec::with_capacity(result.cancelled.len());
    let mut statuses = Vec::with_capacity(result.cancelled.len());
    let mut payloads = Vec::with_capacity(result.cancelled.len());
    let mut events = Vec::with_capacity(result.cancelled.len());
    for c in &result.cancelled {
        let b = ledger
            .get(&c.id)
            .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", c.id)))?;
        ids.push(b.id.as_str());
        statuses.push(b.status.as_str());
        payloads.push(payload(b, "booking")?);
        events.push(crate::change::series_cancel_payload(b, c, cancel).to_string());
    }
    // One statement: status, version +1, rows no longer blocking, one
    // `appointment.cancelled` event each, in occurrence order.
    sqlx::query(
        "WITH b AS (
             UPDATE bookings SET status = u.status, hold_expires_s = NULL,
                 payload = u.payload::jsonb, version = bookings.version + 1
             FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, status, payload)
             WHERE bookings.id = u.id
             RETURNING bookings.id),
         r AS (
             UPDATE booking_resources SET blocking = false
             WHERE booking_id IN (SELECT id FROM b))
         INSERT INTO outbox (kind, aggregate_id, payload, created_s)
         SELECT $4, u.id, u.payload::jsonb, $5
         FROM unnest($1::text[], $6::text[]) WITH ORDINALITY AS u(id, payload, n)
         WHERE u.id IN (SELECT id FROM b)
         ORDER BY u.n",
    )
    .bind(&ids)
    .bind(&statuses)
    .bind(&payloads)
    .bind(kind::APPOINTMENT_CANCELLED)
    .bind(now.unix())
    .bind(&events)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(result)
}
