//! The PostgreSQL adapter's other ports (patients, providers and schedules,
//! availability, series, history, waitlist, consents, records, audit), on
//! the tables of `migrations/postgres/20261124000002_records.sql`.
//!
//! Every record is its JSON `payload` (jsonb) plus the columns its queries
//! filter and sort on; reads decode the payload (jsonb reorders keys, which
//! does not matter to serde).
//!
//! - `put_*` is ONE statement (so one transaction): a data-modifying CTE that
//!   inserts (`ON CONFLICT DO NOTHING`) or updates the row at the expected
//!   version, writes the outbox event (`consent.changed`,
//!   `schedule.changed`) only if the row was written, and returns, from the
//!   statement's own snapshot, the current version (to tell `not_found` from
//!   `version_mismatch`) and, for schedules, whether the provider exists.
//! - [`ProviderStore::availability`] loads the providers, their schedules and
//!   the bookings on their `provider:<id>` resources that overlap the window
//!   in one query for all providers; the core decides which bookings block.
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
//! - `audit_append` serialises appends (a transaction-scoped advisory lock
//!   taken in the same statement), so sequence numbers become visible in
//!   order and `audit_after` never skips an event committed later with a
//!   smaller number.
//!
//! PostgreSQL cannot store U+0000 in `text` or `jsonb`: a write carrying it
//! is refused as `invalid_request`; a read asking for it finds nothing.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use hcas_core::booking::{Booking, Ledger};
use hcas_core::consent::Consent;
use hcas_core::series::{
    CancelResult, EditResult, SeriesCancel, SeriesEdit, SeriesPolicy, SeriesResult, SeriesSpec,
    cancel_occurrences, plan_shift, shift_occurrences,
};
use hcas_core::waitlist::WaitEntry;
use hcas_core::{Error, ErrorCode, Interval, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{PgConnection, PgPool};

use crate::postgres::{
    Accepted, PgStore, RETRIES, Retryable, blocking, insert_accepted, is_retryable, retrying,
};
use crate::records::{
    AuditEvent, AuditRecord, Patient, Provider, ProviderAvailability, RecordMeta, Schedule,
    StatusChange, next_version, resource_of,
};
use crate::sql::{
    audit_records, busy_from_columns, corrupt, db, decode, json, limit_of, stored_rows,
};
use crate::{
    AuditStore, ConsentStore, HistoryStore, PatientStore, ProviderStore, RecordStore, SeriesStore,
    StoreError, Stored, WaitlistStore, kind,
};

// ---------------------------------------------------------------------------
// Helpers.

/// Why one attempt failed: a final answer, or a retryable database error.
enum Fail {
    Store(StoreError),
    Retry(String),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl Retryable for Fail {
    fn is_retry(&self) -> bool {
        matches!(self, Self::Retry(_))
    }
}

impl Fail {
    /// The caller's answer once retries are exhausted.
    fn exhausted(self) -> StoreError {
        match self {
            Self::Store(e) => e,
            Self::Retry(e) => StoreError::Unavailable(format!("retries exhausted: {e}")),
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            Self::Retry(e.to_string())
        } else {
            Self::Store(db(e))
        }
    }
}

/// Whether a key cannot be stored at all (PostgreSQL text has no U+0000),
/// so no row can have it.
pub(crate) fn unstorable(s: &str) -> bool {
    s.contains('\0')
}

pub(crate) fn nul_refused(at: &str) -> StoreError {
    Error::new(
        ErrorCode::InvalidRequest,
        "must not contain U+0000 (NUL): PostgreSQL cannot store it",
    )
    .at(at)
    .into()
}

/// Whether JSON text holds an escaped U+0000 (`\u0000`, not `\\u0000`).
fn json_has_nul(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'u') && b.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// A record as JSON text for a `payload` column; `at` names it if refused.
fn payload<T: Serialize>(value: &T, at: &str) -> Result<String, StoreError> {
    let text = json(value)?;
    if json_has_nul(&text) {
        return Err(nul_refused(at));
    }
    Ok(text)
}

/// A column besides id, payload and the version.
enum Col<'a> {
    Text(&'a str),
    Int(i64),
}

/// One versioned table's statements. Parameters: `$1` id, `$2` payload,
/// `$3` expected version (update only), `$4` now and `$5` event kind (tables
/// with events), then the table's other columns from `$6`. Each returns
/// (new version or NULL, current version or NULL, parent exists).
struct Table {
    what: &'static str,
    insert: &'static str,
    update: &'static str,
    event: Option<&'static str>,
}

const PATIENTS: Table = Table {
    what: "patient",
    insert: "WITH t AS (
                 INSERT INTO patients (id, version, payload) VALUES ($1, 1, $2::jsonb)
                 ON CONFLICT (id) DO NOTHING RETURNING version)
             SELECT (SELECT version FROM t), NULL::bigint, true",
    update: "WITH t AS (
                 UPDATE patients SET version = version + 1, payload = $2::jsonb
                 WHERE id = $1 AND version = $3 RETURNING version)
             SELECT (SELECT version FROM t), (SELECT version FROM patients WHERE id = $1), true",
    event: None,
};

const PROVIDERS: Table = Table {
    what: "provider",
    insert: "WITH t AS (
                 INSERT INTO providers (id, version, payload) VALUES ($1, 1, $2::jsonb)
                 ON CONFLICT (id) DO NOTHING RETURNING version)
             SELECT (SELECT version FROM t), NULL::bigint, true",
    update: "WITH t AS (
                 UPDATE providers SET version = version + 1, payload = $2::jsonb
                 WHERE id = $1 AND version = $3 RETURNING version)
             SELECT (SELECT version FROM t), (SELECT version FROM providers WHERE id = $1), true",
    event: None,
};

/// The provider must exist (checked in the same statement; the foreign key
/// backs it up).
const SCHEDULES: Table = Table {
    what: "schedule",
    insert: "WITH p AS (SELECT EXISTS (SELECT 1 FROM providers WHERE id = $1) AS ok),
             t AS (
                 INSERT INTO schedules (provider_id, version, payload)
                 SELECT $1, 1, $2::jsonb FROM p WHERE p.ok
                 ON CONFLICT (provider_id) DO NOTHING RETURNING version),
             o AS (
                 INSERT INTO outbox (kind, aggregate_id, payload, created_s)
                 SELECT $5, $1, $2::jsonb, $4 FROM t)
             SELECT (SELECT version FROM t), NULL::bigint, (SELECT ok FROM p)",
    update: "WITH p AS (SELECT EXISTS (SELECT 1 FROM providers WHERE id = $1) AS ok),
             t AS (
                 UPDATE schedules SET version = version + 1, payload = $2::jsonb
                 WHERE provider_id = $1 AND version = $3 RETURNING version),
             o AS (
                 INSERT INTO outbox (kind, aggregate_id, payload, created_s)
                 SELECT $5, $1, $2::jsonb, $4 FROM t)
             SELECT (SELECT version FROM t),
                    (SELECT version FROM schedules WHERE provider_id = $1),
                    (SELECT ok FROM p)",
    event: Some(kind::SCHEDULE_CHANGED),
};

/// `$6` patient.
const CONSENTS: Table = Table {
    what: "consent",
    insert: "WITH t AS (
                 INSERT INTO consents (id, patient, version, payload)
                 VALUES ($1, $6, 1, $2::jsonb)
                 ON CONFLICT (id) DO NOTHING RETURNING version),
             o AS (
                 INSERT INTO outbox (kind, aggregate_id, payload, created_s)
                 SELECT $5, $1, $2::jsonb, $4 FROM t)
             SELECT (SELECT version FROM t), NULL::bigint, true",
    update: "WITH t AS (
                 UPDATE consents SET version = version + 1, payload = $2::jsonb, patient = $6
                 WHERE id = $1 AND version = $3 RETURNING version),
             o AS (
                 INSERT INTO outbox (kind, aggregate_id, payload, created_s)
                 SELECT $5, $1, $2::jsonb, $4 FROM t)
             SELECT (SELECT version FROM t), (SELECT version FROM consents WHERE id = $1), true",
    event: Some(kind::CONSENT_CHANGED),
};

/// `$6` patient, `$7` category, `$8` created.
const RECORDS: Table = Table {
    what: "record",
    insert: "WITH t AS (
                 INSERT INTO records (id, patient, category, created_s, version, payload)
                 VALUES ($1, $6, $7, $8, 1, $2::jsonb)
                 ON CONFLICT (id) DO NOTHING RETURNING version)
             SELECT (SELECT version FROM t), NULL::bigint, true",
    update: "WITH t AS (
                 UPDATE records SET version = version + 1, payload = $2::jsonb,
                     patient = $6, category = $7, created_s = $8
                 WHERE id = $1 AND version = $3 RETURNING version)
             SELECT (SELECT version FROM t), (SELECT version FROM records WHERE id = $1), true",
    event: None,
};

/// Create or replace a row (see [`Table`]); `value` is already validated.
/// Returns the new version.
async fn put_row<T: Serialize>(
    pool: &PgPool,
    table: &Table,
    id: &str,
    value: &T,
    columns: &[Col<'_>],
    expected: Option<i64>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let text = payload(value, table.what)?;
    let sql = if expected.is_some() {
        table.update
    } else {
        table.insert
    };
    let mut attempt = 0;
    loop {
        let mut q = sqlx::query_as::<_, (Option<i64>, Option<i64>, Option<bool>)>(sql)
            .bind(id)
            .bind(&text)
            .bind(expected)
            .bind(now.unix())
            .bind(table.event);
        for c in columns {
            q = match c {
                Col::Text(s) => q.bind(*s),
                Col::Int(n) => q.bind(*n),
            };
        }
        let (written, current, parent) = match q.fetch_one(pool).await {
            Ok(row) => row,
            // Another writer of the same row may make this transaction fail
            // to serialise (stricter isolation levels): run it again.
            Err(e) if is_retryable(&e) && attempt < RETRIES => {
                attempt += 1;
                continue;
            }
            Err(e) => return Err(db(e)),
        };
        if parent != Some(true) {
            // Only schedules have a parent: the provider.
            return Err(StoreError::NotFound {
                what: "provider",
                id: id.to_string(),
            });
        }
        if let Some(v) = written {
            return Ok(v);
        }
        // Nothing written: a create found the id taken, a replace found no
        // row or another version (the ports' convention answers) ...
        let found = if expected.is_none() {
            current.or(Some(0))
        } else {
            current
        };
        next_version(table.what, id, found, expected)?;
        // ... or the row changed after the statement's snapshot was taken (a
        // concurrent writer committed first): read it again.
        if attempt < RETRIES {
            attempt += 1;
        } else {
            return Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected: expected.unwrap_or(0),
                found: found.unwrap_or(0) + 1,
            });
        }
    }
}

/// One row by id: `sql` selects `payload::text, version` with `$1` the id.
async fn get_row<T: DeserializeOwned>(
    pool: &PgPool,
    sql: &'static str,
    what: &'static str,
    id: &str,
) -> Result<Stored<T>, StoreError> {
    let not_found = || StoreError::NotFound {
        what,
        id: id.to_string(),
    };
    if unstorable(id) {
        return Err(not_found());
    }
    let row: Option<(String, i64)> = sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    let (p, version) = row.ok_or_else(not_found)?;
    Ok(Stored {
        value: decode(what, &p)?,
        version,
    })
}

// ---------------------------------------------------------------------------
// Patients, providers, schedules, availability.

#[async_trait]
impl PatientStore for PgStore {
    async fn put_patient(
        &self,
        patient: Patient,
        expected_version: Option<i64>,
    ) -> Result<Stored<Patient>, StoreError> {
        patient.validate()?;
        let version = put_row(
            self.pool(),
            &PATIENTS,
            &patient.id,
            &patient,
            &[],
            expected_version,
            Timestamp::EPOCH,
        )
        .await?;
        Ok(Stored {
            value: patient,
            version,
        })
    }

    async fn get_patient(&self, id: &str) -> Result<Stored<Patient>, StoreError> {
        get_row(
            self.pool(),
            "SELECT payload::text, version FROM patients WHERE id = $1",
            "patient",
            id,
        )
        .await
    }
}

/// What the availability query returns: tag (`p` provider, `s` schedule,
/// `b` booking), name (provider id or resource), payload, version.
type AvailabilityRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Providers that exist, their schedules, and every booking (any status)
/// overlapping `[$4, $3)` on their resources `$2`: one query, the booking
/// part on the `(resource, start_s)` index.
const AVAILABILITY_SQL: &str = "SELECT 'p'::text, p.id, NULL::text, NULL::bigint, NULL::bigint,
         NULL::bigint
     FROM providers p WHERE p.id = ANY($1::text[])
     UNION ALL
     SELECT 's', s.provider_id, s.payload::text, s.version, NULL, NULL
     FROM schedules s WHERE s.provider_id = ANY($1::text[])
     UNION ALL
     SELECT 'b', r.resource, b.status, r.start_s, r.end_s, b.hold_expires_s
     FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
     WHERE r.resource = ANY($2::text[]) AND r.start_s < $3 AND r.end_s > $4
       AND r.start_s > $4 - (SELECT COALESCE(max(max_len), 0) FROM resource_extent
                             WHERE resource = ANY($2::text[]))";

#[async_trait]
impl ProviderStore for PgStore {
    async fn put_provider(
        &self,
        provider: Provider,
        expected_version: Option<i64>,
    ) -> Result<Stored<Provider>, StoreError> {
        provider.validate()?;
        let version = put_row(
            self.pool(),
            &PROVIDERS,
            &provider.id,
            &provider,
            &[],
            expected_version,
            Timestamp::EPOCH,
        )
        .await?;
        Ok(Stored {
            value: provider,
            version,
        })
    }

    async fn get_provider(&self, id: &str) -> Result<Stored<Provider>, StoreError> {
        get_row(
            self.pool(),
            "SELECT payload::text, version FROM providers WHERE id = $1",
            "provider",
            id,
        )
        .await
    }

    async fn put_schedule(
        &self,
        schedule: Schedule,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Schedule>, StoreError> {
        schedule.validate()?;
        let version = put_row(
            self.pool(),
            &SCHEDULES,
            &schedule.provider_id,
            &schedule,
            &[],
            expected_version,
            now,
        )
        .await?;
        Ok(Stored {
            value: schedule,
            version,
        })
    }

    async fn get_schedule(&self, provider_id: &str) -> Result<Stored<Schedule>, StoreError> {
        get_row(
            self.pool(),
            "SELECT payload::text, version FROM schedules WHERE provider_id = $1",
            "schedule",
            provider_id,
        )
        .await
    }

    async fn availability(
        &self,
        provider_ids: &[String],
        busy_window: Interval,
        now: Timestamp,
    ) -> Result<Vec<ProviderAvailability>, StoreError> {
        crate::records::check_provider_list(provider_ids)?;
        let resources: Vec<String> = provider_ids.iter().map(|id| resource_of(id)).collect();
        let rows: Vec<AvailabilityRow> = sqlx::query_as(AVAILABILITY_SQL)
            .bind(provider_ids)
            .bind(&resources)
            .bind(busy_window.end().unix())
            .bind(busy_window.start().unix())
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let mut exists: HashSet<String> = HashSet::new();
        let mut schedules: HashMap<String, Stored<Schedule>> = HashMap::new();
        let mut busy: HashMap<String, Vec<Interval>> = HashMap::new();
        for (tag, name, text, n1, n2, n3) in rows {
            match (tag.as_str(), text, n1, n2) {
                ("p", ..) => {
                    exists.insert(name);
                }
                ("s", Some(text), Some(version), _) => {
                    let value = decode("schedule", &text)?;
                    schedules.insert(name, Stored { value, version });
                }
                // Bookings come as columns (status, start, end, hold expiry):
                // whether one blocks is the core's rule; no JSON to decode.
                ("b", Some(status), Some(start), Some(end)) => {
                    if let Some(iv) = busy_from_columns(&status, start, end, n3, now)? {
                        busy.entry(name).or_default().push(iv);
                    }
                }
                (tag, ..) => return Err(corrupt("row", format!("unexpected {tag} row"))),
            }
        }
        // In the order asked; the first error wins, as in the memory adapter.
        provider_ids
            .iter()
            .zip(&resources)
            .map(|(id, resource)| {
                if !exists.contains(id.as_str()) {
                    return Err(StoreError::NotFound {
                        what: "provider",
                        id: id.clone(),
                    });
                }
                let busy = busy.get(resource).cloned().unwrap_or_default();
                crate::records::provider_availability(id, schedules.get(id), busy)
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Series and history.

/// A row of the series read: tag (`b` overlapping booking, `i` booking
/// using an occurrence id, `c` capacity), name, payload, number.
type SeriesRow = (String, String, Option<String>, Option<i64>);

/// Lock the series' resources (the statement `postgres.rs` uses, so series,
/// bookings and status changes on a resource are serialised, in one global
/// order), read what the core needs, let it book, write the booked
/// occurrences; one transaction.
async fn book_series_once(
    pool: &PgPool,
    spec: &SeriesSpec,
    ids: &[String],
    span: Interval,
    policy: SeriesPolicy,
    now: Timestamp,
) -> Result<SeriesResult, Fail> {
    let mut tx = pool.begin().await?;
    let mut keys: Vec<&str> = spec.resources.iter().map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext(s.k))
         FROM (SELECT u.k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, o) ORDER BY u.o) s",
    )
    .bind(&keys)
    .execute(&mut *tx)
    .await?;
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
    // The core decides everything: conflicts, the policy, reused ids.
    let result = spec.book(&mut ledger, policy, now)?;
    let booked: Vec<&Booking> = result
        .occurrences
        .iter()
        .filter(|o| o.booked)
        .map(|o| {
            ledger
                .get(&o.id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", o.id)))
        })
        .collect::<Result<_, _>>()?;
    if booked.is_empty() {
        tx.rollback().await?;
        return Ok(result);
    }
    let n = booked.len();
    let rows: Vec<Accepted<'_>> = booked
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
        return Err(Fail::Retry(
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
            return Ok(spec.book(&mut Ledger::new(), policy, now)?);
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
            .map_err(Fail::exhausted)
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
            .map_err(Fail::exhausted)
    }

    async fn cancel_series(
        &self,
        cancel: &SeriesCancel,
        now: Timestamp,
    ) -> Result<CancelResult, StoreError> {
        retrying(|| cancel_series_once(self.pool(), cancel, now))
            .await
            .map_err(Fail::exhausted)
    }
}

/// Every booking of a series (any status), with versions, by start.
async fn series_rows(
    conn: &mut PgConnection,
    series_id: &str,
) -> Result<Vec<Stored<Booking>>, Fail> {
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
async fn lock_series(
    conn: &mut PgConnection,
    series_id: &str,
) -> Result<Vec<Stored<Booking>>, Fail> {
    let resources_of = |rows: &[Stored<Booking>]| {
        let mut keys: Vec<String> = rows
            .iter()
            .flat_map(|s| s.value.resources.iter().cloned())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    let keys = resources_of(&series_rows(conn, series_id).await?);
    if !keys.is_empty() {
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtext(s.k))
             FROM (SELECT u.k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, o) ORDER BY u.o) s",
        )
        .bind(&keys)
        .execute(&mut *conn)
        .await?;
    }
    let rows = series_rows(conn, series_id).await?;
    if resources_of(&rows)
        .iter()
        .any(|r| keys.binary_search(r).is_err())
    {
        return Err(Fail::Retry(format!(
            "series {series_id} gained a resource while being locked"
        )));
    }
    Ok(rows)
}

/// One attempt of a series shift: lock, read, let the core decide, write
/// every move and its event; one transaction.
async fn shift_series_once(
    pool: &PgPool,
    edit: &SeriesEdit,
    now: Timestamp,
) -> Result<EditResult, Fail> {
    let mut tx = pool.begin().await?;
    let series = lock_series(&mut tx, &edit.series_id).await?;
    // Where the moves go (the core's plan), so the ledger holds what
    // overlaps the new times on the moved occurrences' resources.
    let plan = {
        let refs: Vec<&Booking> = series.iter().map(|s| &s.value).collect();
        plan_shift(&refs, edit, now)?
    };
    let mut ledger = Ledger::new();
    if let (Some(start), Some(end)) = (
        plan.moves.iter().map(|m| m.start).min(),
        plan.moves.iter().map(|m| m.end).max(),
    ) {
        let mut keys: Vec<&str> = series
            .iter()
            .filter(|s| plan.moves.iter().any(|m| m.id == s.value.id))
            .flat_map(|s| s.value.resources.iter().map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
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
        for (tag, name, text, n) in rows {
            match (tag.as_str(), text, n) {
                ("b", Some(text), _) => {
                    let b: Booking = decode("booking", &text)?;
                    ledger.insert(b).map_err(|e| corrupt("booking", e))?;
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
    }
    for s in &series {
        if ledger.get(&s.value.id).is_none() {
            ledger
                .insert(s.value.clone())
                .map_err(|e| corrupt("booking", e))?;
        }
    }
    // The core decides and moves all or none on the ledger.
    let result = shift_occurrences(&mut ledger, edit, now)?;
    let moved: Vec<&Booking> = result
        .occurrences
        .iter()
        .filter(|o| o.booked)
        .map(|o| {
            ledger
                .get(&o.id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", o.id)))
        })
        .collect::<Result<_, _>>()?;
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

/// One attempt of a series cancellation: lock, read, let the core decide
/// through the lifecycle, write every cancellation and its event; one
/// transaction.
async fn cancel_series_once(
    pool: &PgPool,
    cancel: &SeriesCancel,
    now: Timestamp,
) -> Result<CancelResult, Fail> {
    let mut tx = pool.begin().await?;
    let mut ledger = Ledger::new();
    for s in lock_series(&mut tx, &cancel.series_id).await? {
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
        events.push(crate::records::series_cancel_payload(b, c, cancel).to_string());
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

#[async_trait]
impl HistoryStore for PgStore {
    async fn history(&self, booking_id: &str) -> Result<Vec<StatusChange>, StoreError> {
        let not_found = || StoreError::NotFound {
            what: "booking",
            id: booking_id.to_string(),
        };
        if unstorable(booking_id) {
            return Err(not_found());
        }
        // The events, and whether the booking exists, in one query.
        // (missing, kind, payload, created, event id): the "missing" row first.
        type HistoryRow = (
            bool,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT true, NULL::text, NULL::text, NULL::bigint, NULL::bigint
             WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE id = $1)
             UNION ALL
             SELECT false, o.kind, o.payload::text, o.created_s, o.id FROM outbox o
             WHERE o.aggregate_id = $1 AND o.kind LIKE 'appointment.%'
             ORDER BY 1 DESC, 5",
        )
        .bind(booking_id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        if rows.first().is_some_and(|r| r.0) {
            return Err(not_found());
        }
        let mut events = Vec::with_capacity(rows.len());
        for (_, k, p, created, _) in rows {
            let (Some(k), Some(p), Some(created)) = (k, p, created) else {
                return Err(corrupt("outbox event", "a NULL column"));
            };
            let value: serde_json::Value = decode("outbox event", &p)?;
            events.push((
                k,
                value,
                Timestamp::from_unix(created).map_err(|e| corrupt("outbox event time", e))?,
            ));
        }
        crate::records::history_from_events(events.iter().map(|(k, p, at)| (k.as_str(), p, *at)))
    }
}

// ---------------------------------------------------------------------------
// Waitlist, consents, records, audit.

#[async_trait]
impl WaitlistStore for PgStore {
    async fn waitlist_add(&self, entry: WaitEntry) -> Result<WaitEntry, StoreError> {
        entry.validate()?;
        crate::records::check_id("waitlist entry.id", &entry.id)?;
        let text = payload(&entry, "waitlist entry")?;
        let done = sqlx::query(
            "INSERT INTO waitlist (id, provider, created_s, window_end_s, payload)
             VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&entry.id)
        .bind(&entry.provider)
        .bind(entry.created.unix())
        .bind(entry.window.end().unix())
        .bind(text)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::AlreadyExists {
                what: "waitlist entry",
                id: entry.id,
            });
        }
        Ok(entry)
    }

    async fn waitlist_remove(&self, id: &str) -> Result<WaitEntry, StoreError> {
        let not_found = || StoreError::NotFound {
            what: "waitlist entry",
            id: id.to_string(),
        };
        if unstorable(id) {
            return Err(not_found());
        }
        let row: Option<(String,)> =
            sqlx::query_as("DELETE FROM waitlist WHERE id = $1 RETURNING payload::text")
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        let (p,) = row.ok_or_else(not_found)?;
        decode("waitlist entry", &p)
    }

    async fn waitlist(&self, provider: &str, now: Timestamp) -> Result<Vec<WaitEntry>, StoreError> {
        if unstorable(provider) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT payload::text FROM waitlist
             WHERE provider = $1 AND window_end_s > $2
             ORDER BY created_s, id COLLATE \"C\"",
        )
        .bind(provider)
        .bind(now.unix())
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|(p,)| decode("waitlist entry", p))
            .collect()
    }
}

#[async_trait]
impl ConsentStore for PgStore {
    async fn put_consent(
        &self,
        consent: Consent,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Consent>, StoreError> {
        consent.validate()?;
        crate::records::check_id("consent.id", &consent.id)?;
        let version = put_row(
            self.pool(),
            &CONSENTS,
            &consent.id,
            &consent,
            &[Col::Text(&consent.patient)],
            expected_version,
            now,
        )
        .await?;
        Ok(Stored {
            value: consent,
            version,
        })
    }

    async fn get_consent(&self, id: &str) -> Result<Stored<Consent>, StoreError> {
        get_row(
            self.pool(),
            "SELECT payload::text, version FROM consents WHERE id = $1",
            "consent",
            id,
        )
        .await
    }

    async fn consents_for(&self, patient: &str) -> Result<Vec<Stored<Consent>>, StoreError> {
        if unstorable(patient) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT payload::text, version FROM consents WHERE patient = $1
             ORDER BY id COLLATE \"C\"",
        )
        .bind(patient)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        stored_rows("consent", rows)
    }
}

#[async_trait]
impl RecordStore for PgStore {
    async fn put_record(
        &self,
        record: RecordMeta,
        expected_version: Option<i64>,
    ) -> Result<Stored<RecordMeta>, StoreError> {
        record.validate()?;
        let version = put_row(
            self.pool(),
            &RECORDS,
            &record.id,
            &record,
            &[
                Col::Text(&record.patient),
                Col::Text(&record.category),
                Col::Int(record.created.unix()),
            ],
            expected_version,
            Timestamp::EPOCH,
        )
        .await?;
        Ok(Stored {
            value: record,
            version,
        })
    }

    async fn get_record(&self, id: &str) -> Result<Stored<RecordMeta>, StoreError> {
        get_row(
            self.pool(),
            "SELECT payload::text, version FROM records WHERE id = $1",
            "record",
            id,
        )
        .await
    }

    async fn records_for(
        &self,
        patient: &str,
        category: Option<&str>,
    ) -> Result<Vec<Stored<RecordMeta>>, StoreError> {
        if unstorable(patient) || category.is_some_and(unstorable) {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT payload::text, version FROM records
             WHERE patient = $1 AND ($2::text IS NULL OR category = $2::text)
             ORDER BY created_s, id COLLATE \"C\"",
        )
        .bind(patient)
        .bind(category)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        stored_rows("record", rows)
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn audit_append(&self, event: AuditEvent) -> Result<i64, StoreError> {
        event.validate()?;
        let text = payload(&event, "audit")?;
        // One statement: the lock is taken before the sequence number is
        // drawn and held until the commit, so numbers become visible in
        // order. The two-key form is a key space of its own: no resource
        // lock (one key) can collide with it.
        let (seq,): (i64,) = sqlx::query_as(
            "WITH l AS (SELECT pg_advisory_xact_lock(hashtext('hcas'), hashtext('audit')))
             INSERT INTO audit (at_s, patient, payload)
             SELECT $1, $2, $3::jsonb FROM l
             RETURNING seq",
        )
        .bind(event.at.unix())
        .bind(event.patient.as_deref())
        .bind(text)
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        Ok(seq)
    }

    async fn audit_for_patient(
        &self,
        patient: &str,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        Interval::new(from, to).map_err(|e| e.at("audit window"))?;
        if unstorable(patient) {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, payload::text FROM audit
             WHERE patient = $1 AND at_s >= $2 AND at_s < $3
             ORDER BY seq LIMIT $4",
        )
        .bind(patient)
        .bind(from.unix())
        .bind(to.unix())
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        audit_records(rows)
    }

    async fn audit_after(&self, seq: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, payload::text FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        audit_records(rows)
    }
}
