//! [`PatientStore`], [`ConsentStore`], [`RecordStore`] and [`AuditStore`] for
//! [`PgStore`], on the tables of `migrations/postgres/20261124000002_records.sql`.
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
//! - `audit_append` serialises appends (the audit lock of [`super::locks`],
//!   taken in the same statement), so sequence numbers become visible in
//!   order and `audit_after` never skips an event committed later with a
//!   smaller number.
//!
//! PostgreSQL cannot store U+0000 in `text` or `jsonb`: a write carrying it
//! is refused as `invalid_request`; a read asking for it finds nothing.

use async_trait::async_trait;
use hcas_core::consent::Consent;
use hcas_core::{Error, ErrorCode, Interval, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;

use crate::records::{AuditEvent, AuditRecord, Patient, RecordMeta, next_version};
use crate::sql::{audit_records, db, decode, json, limit_of, stored_rows};
use crate::{
    AuditQuery, AuditStore, ConsentStore, PatientStore, RecordStore, StoreError, Stored, kind,
};

use super::locks::*;
use super::retry::*;
use super::{PgStore, RETRIES};

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
pub(super) fn json_has_nul(text: &str) -> bool {
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
pub(super) fn payload<T: Serialize>(value: &T, at: &str) -> Result<String, StoreError> {
    let text = json(value)?;
    if json_has_nul(&text) {
        return Err(nul_refused(at));
    }
    Ok(text)
}

/// A column besides id, payload and the version.
pub(super) enum Col<'a> {
    Text(&'a str),
    Int(i64),
}

/// One versioned table's statements. Parameters: `$1` id, `$2` payload,
/// `$3` expected version (update only), `$4` now and `$5` event kind (tables
/// with events), then the table's other columns from `$6`. Each returns
/// (new version or NULL, current version or NULL, parent exists).
pub(super) struct Table {
    what: &'static str,
    insert: &'static str,
    update: &'static str,
    event: Option<&'static str>,
}

pub(super) const PATIENTS: Table = Table {
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

pub(super) const PROVIDERS: Table = Table {
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
pub(super) const SCHEDULES: Table = Table {
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
pub(super) const CONSENTS: Table = Table {
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
pub(super) const RECORDS: Table = Table {
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
pub(super) async fn put_row<T: Serialize>(
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
pub(super) async fn get_row<T: DeserializeOwned>(
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

    async fn delete_record(
        &self,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        if unstorable(id) {
            return Err(StoreError::NotFound {
                what: "record",
                id: id.to_string(),
            });
        }
        // One statement: the row goes only at the expected version; the
        // CTE tells a missing row from a stale version.
        let row: (Option<i64>, bool) = sqlx::query_as(
            "WITH cur AS (SELECT version FROM records WHERE id = $1),
                  del AS (DELETE FROM records WHERE id = $1
                          AND ($2::bigint IS NULL OR version = $2::bigint) RETURNING 1)
             SELECT (SELECT version FROM cur), EXISTS (SELECT 1 FROM del)",
        )
        .bind(id)
        .bind(expected_version)
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        match row {
            (_, true) => Ok(()),
            (None, false) => Err(StoreError::NotFound {
                what: "record",
                id: id.to_string(),
            }),
            (Some(found), false) => Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected: expected_version.unwrap_or(found),
                found,
            }),
        }
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn audit_append(&self, event: AuditEvent) -> Result<i64, StoreError> {
        event.validate()?;
        let text = payload(&event, "audit")?;
        // Under the audit lock, in the same statement (see `AUDIT_APPEND`).
        let (seq,): (i64,) = sqlx::query_as(AUDIT_APPEND)
            .bind(event.at.unix())
            .bind(event.patient.as_deref())
            .bind(text)
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        Ok(seq)
    }

    async fn audit_append_all(&self, events: &[AuditEvent]) -> Result<Vec<i64>, StoreError> {
        let (mut ats, mut patients, mut texts) = (Vec::new(), Vec::new(), Vec::new());
        for e in events {
            e.validate()?;
            ats.push(e.at.unix());
            patients.push(e.patient.clone());
            texts.push(payload(e, "audit")?);
        }
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // One statement under the audit lock (see `AUDIT_APPEND_ALL`):
        // rows in the given order, so their sequence numbers increase in it.
        let rows: Vec<(i64,)> = sqlx::query_as(AUDIT_APPEND_ALL)
            .bind(ats)
            .bind(patients)
            .bind(texts)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let mut seqs: Vec<i64> = rows.into_iter().map(|(s,)| s).collect();
        // RETURNING has no defined order; the sequence was drawn in row order.
        seqs.sort_unstable();
        Ok(seqs)
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

    async fn audit_search(
        &self,
        query: &AuditQuery,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        query.check()?;
        let texts = [&query.patient, &query.actor, &query.target];
        if texts.iter().any(|t| t.as_deref().is_some_and(unstorable))
            || query.outcomes.iter().any(|o| unstorable(o))
            || query.verbs.iter().any(|v| unstorable(v))
            || query.verbs_not.iter().any(|v| unstorable(v))
        {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, payload::text FROM audit
             WHERE seq > $1
               AND ($2::text IS NULL OR patient = $2)
               AND ($3::boolean IS NULL OR (patient IS NOT NULL) = $3)
               AND ($4::text IS NULL OR payload->>'actor' = $4)
               AND ($5::text IS NULL OR payload->>'target' = $5)
               AND ($6::bigint IS NULL OR at_s >= $6)
               AND ($7::bigint IS NULL OR at_s < $7)
               AND (cardinality($8::text[]) = 0 OR payload->>'action' LIKE ANY ($8))
               AND NOT (payload->>'action' LIKE ANY ($9::text[]))
               AND (cardinality($10::text[]) = 0 OR payload->>'outcome' = ANY ($10))
             ORDER BY seq LIMIT $11",
        )
        .bind(after)
        .bind(query.patient.as_deref())
        .bind(query.about_patient)
        .bind(query.actor.as_deref())
        .bind(query.target.as_deref())
        .bind(query.from.map(Timestamp::unix))
        .bind(query.to.map(Timestamp::unix))
        .bind(AuditQuery::verb_patterns(&query.verbs))
        .bind(AuditQuery::verb_patterns(&query.verbs_not))
        .bind(&query.outcomes)
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        audit_records(rows)
    }
}
