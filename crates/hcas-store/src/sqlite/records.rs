//! [`PatientStore`], [`ConsentStore`], [`RecordStore`] and [`AuditStore`] for
//! [`SqliteStore`], and the row writer the record ports share.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction (SQLite's write lock
//! first), so the version read and the write cannot interleave with another
//! writer; events go to the outbox in the same transaction. Reads are single
//! indexed queries.

use async_trait::async_trait;
use hcas_core::consent::Consent;
use hcas_core::{Interval, Timestamp};
use serde::de::DeserializeOwned;
use sqlx::{AssertSqlSafe, SqliteConnection};

use crate::records::{AuditEvent, AuditRecord, Patient, RecordMeta, check_id, next_version};
use crate::sql::{audit_records, db, decode, json, limit_of, stored_rows};
use crate::{
    AuditQuery, AuditStore, ConsentStore, PatientStore, RecordStore, StoreError, Stored, kind,
};

use super::SqliteStore;

/// A column value beside `id`, `version` and `payload`.
pub(super) enum Col<'a> {
    Text(&'a str),
    Int(i64),
}

/// A versioned table: its name and the columns written beside `id`, `version`, `payload`.
pub(super) struct Table {
    name: &'static str,
    id: &'static str,
    what: &'static str,
    extra: &'static [&'static str],
}

pub(super) const PATIENTS: Table = Table {
    name: "patients",
    id: "id",
    what: "patient",
    extra: &[],
};
pub(super) const PROVIDERS: Table = Table {
    name: "providers",
    id: "id",
    what: "provider",
    extra: &[],
};
pub(super) const SCHEDULES: Table = Table {
    name: "schedules",
    id: "provider_id",
    what: "schedule",
    extra: &[],
};
pub(super) const CONSENTS: Table = Table {
    name: "consents",
    id: "id",
    what: "consent",
    extra: &["patient"],
};
pub(super) const RECORDS: Table = Table {
    name: "records",
    id: "id",
    what: "record",
    extra: &["patient", "category", "created_s"],
};

/// Create (`expected` is `None`) or replace (`Some(version)`) a row of a
/// versioned table inside the caller's write transaction; the new version.
pub(super) async fn put_row<T: serde::Serialize>(
    conn: &mut SqliteConnection,
    table: &Table,
    id: &str,
    value: &T,
    extra: &[Col<'_>],
    expected: Option<i64>,
) -> Result<i64, StoreError> {
    // Table and column names come from the `Table` constants above, never from input.
    let found: Option<(i64,)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT version FROM {} WHERE {} = ?",
        table.name, table.id
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let version = next_version(table.what, id, found.map(|(v,)| v), expected)?;
    let mut cols = vec![table.id];
    cols.extend_from_slice(table.extra);
    cols.extend_from_slice(&["version", "payload"]);
    let marks = vec!["?"; cols.len()].join(", ");
    let updates = cols[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({marks}) ON CONFLICT ({}) DO UPDATE SET {updates}",
        table.name,
        cols.join(", "),
        table.id
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id);
    for c in extra {
        q = match c {
            Col::Text(s) => q.bind(*s),
            Col::Int(i) => q.bind(*i),
        };
    }
    q.bind(version)
        .bind(json(value)?)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(version)
}

/// One row of a versioned table.
pub(super) async fn get_row<T: DeserializeOwned>(
    store: &SqliteStore,
    table: &Table,
    id: &str,
) -> Result<Stored<T>, StoreError> {
    let row: Option<(String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT payload, version FROM {} WHERE {} = ?",
        table.name, table.id
    )))
    .bind(id)
    .fetch_optional(store.pool())
    .await
    .map_err(db)?;
    let (payload, version) = row.ok_or_else(|| StoreError::NotFound {
        what: table.what,
        id: id.to_string(),
    })?;
    Ok(Stored {
        value: decode(table.what, &payload)?,
        version,
    })
}

pub(super) async fn outbox_event<T: serde::Serialize>(
    conn: &mut SqliteConnection,
    kind: &str,
    aggregate_id: &str,
    value: &T,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (kind, aggregate_id, payload, created_s) VALUES (?, ?, ?, ?)")
        .bind(kind)
        .bind(aggregate_id)
        .bind(json(value)?)
        .bind(now.unix())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl PatientStore for SqliteStore {
    async fn put_patient(
        &self,
        patient: Patient,
        expected_version: Option<i64>,
    ) -> Result<Stored<Patient>, StoreError> {
        patient.validate()?;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let version = put_row(
            &mut tx,
            &PATIENTS,
            &patient.id,
            &patient,
            &[],
            expected_version,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: patient,
            version,
        })
    }

    async fn get_patient(&self, id: &str) -> Result<Stored<Patient>, StoreError> {
        get_row(self, &PATIENTS, id).await
    }
}

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn put_consent(
        &self,
        consent: Consent,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Consent>, StoreError> {
        consent.validate()?;
        check_id("consent.id", &consent.id)?;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let extra = [Col::Text(&consent.patient)];
        let version = put_row(
            &mut tx,
            &CONSENTS,
            &consent.id,
            &consent,
            &extra,
            expected_version,
        )
        .await?;
        outbox_event(&mut tx, kind::CONSENT_CHANGED, &consent.id, &consent, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: consent,
            version,
        })
    }

    async fn get_consent(&self, id: &str) -> Result<Stored<Consent>, StoreError> {
        get_row(self, &CONSENTS, id).await
    }

    async fn consents_for(&self, patient: &str) -> Result<Vec<Stored<Consent>>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT payload, version FROM consents WHERE patient = ? ORDER BY id")
                .bind(patient)
                .fetch_all(self.pool())
                .await
                .map_err(db)?;
        stored_rows("consent", rows)
    }
}

#[async_trait]
impl RecordStore for SqliteStore {
    async fn put_record(
        &self,
        record: RecordMeta,
        expected_version: Option<i64>,
    ) -> Result<Stored<RecordMeta>, StoreError> {
        record.validate()?;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let extra = [
            Col::Text(&record.patient),
            Col::Text(&record.category),
            Col::Int(record.created.unix()),
        ];
        let version = put_row(
            &mut tx,
            &RECORDS,
            &record.id,
            &record,
            &extra,
            expected_version,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: record,
            version,
        })
    }

    async fn get_record(&self, id: &str) -> Result<Stored<RecordMeta>, StoreError> {
        get_row(self, &RECORDS, id).await
    }

    async fn records_for(
        &self,
        patient: &str,
        category: Option<&str>,
    ) -> Result<Vec<Stored<RecordMeta>>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT payload, version FROM records
             WHERE patient = ?1 AND (?2 IS NULL OR category = ?2) ORDER BY created_s, id",
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
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let found: Option<(i64,)> = sqlx::query_as("SELECT version FROM records WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some((version,)) = found else {
            return Err(StoreError::NotFound {
                what: "record",
                id: id.to_string(),
            });
        };
        if let Some(expected) = expected_version
            && expected != version
        {
            return Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected,
                found: version,
            });
        }
        sqlx::query("DELETE FROM records WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit_append(&self, event: AuditEvent) -> Result<i64, StoreError> {
        event.validate()?;
        let (seq,): (i64,) = sqlx::query_as(
            "INSERT INTO audit (at_s, patient, payload) VALUES (?, ?, ?) RETURNING seq",
        )
        .bind(event.at.unix())
        .bind(event.patient.as_deref())
        .bind(json(&event)?)
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        Ok(seq)
    }

    async fn audit_append_all(&self, events: &[AuditEvent]) -> Result<Vec<i64>, StoreError> {
        let mut rows = Vec::with_capacity(events.len());
        for e in events {
            e.validate()?;
            rows.push((e.at.unix(), e.patient.as_deref(), json(e)?));
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let mut seqs = Vec::with_capacity(rows.len());
        for (at, patient, text) in rows {
            let (seq,): (i64,) = sqlx::query_as(
                "INSERT INTO audit (at_s, patient, payload) VALUES (?, ?, ?) RETURNING seq",
            )
            .bind(at)
            .bind(patient)
            .bind(text)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            seqs.push(seq);
        }
        tx.commit().await.map_err(db)?;
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
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, payload FROM audit WHERE patient = ? AND at_s >= ? AND at_s < ?
             ORDER BY seq LIMIT ?",
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
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, payload FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")
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
        let encode = |v: &[String]| {
            serde_json::to_string(v)
                .map_err(|e| StoreError::Internal(format!("audit query not encodable: {e}")))
        };
        let verbs = encode(&AuditQuery::verb_patterns(&query.verbs))?;
        let verbs_not = encode(&AuditQuery::verb_patterns(&query.verbs_not))?;
        let outcomes = encode(&query.outcomes)?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, payload FROM audit
             WHERE seq > ?1
               AND (?2 IS NULL OR patient = ?2)
               AND (?3 IS NULL OR (patient IS NOT NULL) = ?3)
               AND (?4 IS NULL OR json_extract(payload, '$.actor') = ?4)
               AND (?5 IS NULL OR json_extract(payload, '$.target') = ?5)
               AND (?6 IS NULL OR at_s >= ?6)
               AND (?7 IS NULL OR at_s < ?7)
               AND (?8 = '[]' OR EXISTS (SELECT 1 FROM json_each(?8) v
                    WHERE json_extract(payload, '$.action') LIKE v.value ESCAPE '\\'))
               AND NOT EXISTS (SELECT 1 FROM json_each(?9) v
                    WHERE json_extract(payload, '$.action') LIKE v.value ESCAPE '\\')
               AND (?10 = '[]' OR json_extract(payload, '$.outcome') IN
                    (SELECT value FROM json_each(?10)))
             ORDER BY seq LIMIT ?11",
        )
        .bind(after)
        .bind(query.patient.as_deref())
        .bind(query.about_patient)
        .bind(query.actor.as_deref())
        .bind(query.target.as_deref())
        .bind(query.from.map(Timestamp::unix))
        .bind(query.to.map(Timestamp::unix))
        .bind(verbs)
        .bind(verbs_not)
        .bind(outcomes)
        .bind(limit_of(limit))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        audit_records(rows)
    }
}
