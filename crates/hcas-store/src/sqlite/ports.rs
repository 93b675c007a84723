//! SQLite implementations of the ports besides bookings (see `crate::ports`).
//!
//! Every write is one `BEGIN IMMEDIATE` transaction (SQLite's write lock
//! first), so the version read and the write cannot interleave with another
//! writer; events go to the outbox in the same transaction. Reads are single
//! indexed queries; `availability` loads every provider's profile, schedule
//! and overlapping bookings in one statement.

use async_trait::async_trait;
use hcas_core::booking::{Booking, Ledger};
use hcas_core::consent::Consent;
use hcas_core::series::{
    CancelResult, EditResult, SeriesCancel, SeriesEdit, SeriesPolicy, SeriesResult, SeriesSpec,
    cancel_occurrences, plan_shift, shift_occurrences,
};
use hcas_core::waitlist::WaitEntry;
use hcas_core::{Interval, Timestamp};
use serde::de::DeserializeOwned;
use sqlx::{AssertSqlSafe, SqliteConnection};

use crate::records::{
    AuditEvent, AuditRecord, Patient, Provider, ProviderAvailability, RecordMeta, Schedule,
    StatusChange, check_id, check_provider_list, history_from_events, next_version,
    provider_availability, resource_of,
};
use crate::sql::{
    audit_records, busy_from_columns, corrupt, db, decode, json, limit_of, stored_rows,
};
use crate::sqlite::{
    SqliteStore, insert_booking, insert_resource_rows, ledger_for, push_change, push_event,
};
use crate::{
    AuditStore, ConsentStore, HistoryStore, PatientStore, ProviderStore, RecordStore, SeriesStore,
    StoreError, Stored, WaitlistStore, kind,
};

/// `availability`'s one statement: which providers exist (tag `p`), their
/// schedules (`s`), and the bookings on their resources overlapping the
/// window (`b`), through the `(resource, start_s)` index. `?1`: provider ids
/// (JSON array), `?2`: their resources (JSON array), `?3`/`?4`: window end/start.
#[doc(hidden)]
pub const AVAILABILITY_SQL: &str = "SELECT 'p', p.id, NULL, NULL, NULL, NULL FROM providers p
     WHERE p.id IN (SELECT value FROM json_each(?1))
     UNION ALL
     SELECT 's', s.provider_id, s.payload, s.version, NULL, NULL FROM schedules s
     WHERE s.provider_id IN (SELECT value FROM json_each(?1))
     UNION ALL
     SELECT 'b', r.resource, b.status, r.start_s, r.end_s, b.hold_expires_s
     FROM booking_resources r JOIN bookings b ON b.id = r.booking_id
     WHERE r.resource IN (SELECT value FROM json_each(?2))
       AND r.start_s < ?3 AND r.end_s > ?4
       AND r.start_s > ?4 - (SELECT COALESCE(MAX(max_len), 0) FROM resource_extent
                             WHERE resource IN (SELECT value FROM json_each(?2)))";

/// A row of [`AVAILABILITY_SQL`]: tag, name, text (payload or status), numbers.
type AvailabilityRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// A column value beside `id`, `version` and `payload`.
enum Col<'a> {
    Text(&'a str),
    Int(i64),
}

/// A versioned table: its name and the columns written beside `id`, `version`, `payload`.
struct Table {
    name: &'static str,
    id: &'static str,
    what: &'static str,
    extra: &'static [&'static str],
}

const PATIENTS: Table = Table {
    name: "patients",
    id: "id",
    what: "patient",
    extra: &[],
};
const PROVIDERS: Table = Table {
    name: "providers",
    id: "id",
    what: "provider",
    extra: &[],
};
const SCHEDULES: Table = Table {
    name: "schedules",
    id: "provider_id",
    what: "schedule",
    extra: &[],
};
const CONSENTS: Table = Table {
    name: "consents",
    id: "id",
    what: "consent",
    extra: &["patient"],
};
const RECORDS: Table = Table {
    name: "records",
    id: "id",
    what: "record",
    extra: &["patient", "category", "created_s"],
};

/// Create (`expected` is `None`) or replace (`Some(version)`) a row of a
/// versioned table inside the caller's write transaction; the new version.
async fn put_row<T: serde::Serialize>(
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
async fn get_row<T: DeserializeOwned>(
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

async fn outbox_event<T: serde::Serialize>(
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
impl ProviderStore for SqliteStore {
    async fn put_provider(
        &self,
        provider: Provider,
        expected_version: Option<i64>,
    ) -> Result<Stored<Provider>, StoreError> {
        provider.validate()?;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let version = put_row(
            &mut tx,
            &PROVIDERS,
            &provider.id,
            &provider,
            &[],
            expected_version,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: provider,
            version,
        })
    }

    async fn get_provider(&self, id: &str) -> Result<Stored<Provider>, StoreError> {
        get_row(self, &PROVIDERS, id).await
    }

    async fn put_schedule(
        &self,
        schedule: Schedule,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Schedule>, StoreError> {
        schedule.validate()?;
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let provider: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM providers WHERE id = ?")
            .bind(&schedule.provider_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if provider.is_none() {
            return Err(StoreError::NotFound {
                what: "provider",
                id: schedule.provider_id,
            });
        }
        let id = schedule.provider_id.clone();
        let version = put_row(&mut tx, &SCHEDULES, &id, &schedule, &[], expected_version).await?;
        outbox_event(&mut tx, kind::SCHEDULE_CHANGED, &id, &schedule, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Stored {
            value: schedule,
            version,
        })
    }

    async fn get_schedule(&self, provider_id: &str) -> Result<Stored<Schedule>, StoreError> {
        get_row(self, &SCHEDULES, provider_id).await
    }

    async fn availability(
        &self,
        provider_ids: &[String],
        busy_window: Interval,
        now: Timestamp,
    ) -> Result<Vec<ProviderAvailability>, StoreError> {
        check_provider_list(provider_ids)?;
        let ids = json(&provider_ids)?;
        let resources: Vec<String> = provider_ids.iter().map(|id| resource_of(id)).collect();
        let rows: Vec<AvailabilityRow> = sqlx::query_as(AVAILABILITY_SQL)
            .bind(&ids)
            .bind(json(&resources)?)
            .bind(busy_window.end().unix())
            .bind(busy_window.start().unix())
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        let mut exists = std::collections::HashSet::new();
        let mut schedules = std::collections::HashMap::new();
        let mut busy: std::collections::HashMap<String, Vec<Interval>> =
            std::collections::HashMap::new();
        for (tag, name, text, n1, n2, n3) in rows {
            match (tag.as_str(), text, n1, n2) {
                ("p", ..) => {
                    exists.insert(name);
                }
                ("s", Some(payload), Some(version), _) => {
                    let value: Schedule = decode("schedule", &payload)?;
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
        let mut out = Vec::with_capacity(provider_ids.len());
        for (id, resource) in provider_ids.iter().zip(&resources) {
            if !exists.contains(id) {
                return Err(StoreError::NotFound {
                    what: "provider",
                    id: id.clone(),
                });
            }
            let b = busy.get(resource).cloned().unwrap_or_default();
            out.push(provider_availability(id, schedules.get(id), b)?);
        }
        Ok(out)
    }
}

#[async_trait]
impl SeriesStore for SqliteStore {
    async fn book_series(
        &self,
        spec: &SeriesSpec,
        policy: SeriesPolicy,
        now: Timestamp,
    ) -> Result<SeriesResult, StoreError> {
        let occurrences = spec.occurrences()?;
        let (Some(first), Some(last)) = (occurrences.first(), occurrences.last()) else {
            return Ok(spec.book(&mut Ledger::new(), policy, now)?);
        };
        let span_end = occurrences.iter().map(|o| o.2).max().unwrap_or(last.2);
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        // Every booking on the series' resources over its whole span, and
        // any booking already holding one of the occurrence ids: the core
        // decides conflicts and reused ids from these.
        let mut ledger = ledger_for(&mut tx, &spec.resources, first.1, span_end).await?;
        let ids: Vec<String> = occurrences
            .iter()
            .map(|o| spec.occurrence_id(o.0))
            .collect();
        let taken: Vec<(String,)> = sqlx::query_as(
            "SELECT payload FROM bookings WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(json(&ids)?)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for (payload,) in taken {
            let b: Booking = decode("booking", &payload)?;
            if ledger.get(&b.id).is_none() {
                ledger.insert(b).map_err(|e| corrupt("booking", e))?;
            }
        }
        let result = spec.book(&mut ledger, policy, now)?;
        for o in result.occurrences.iter().filter(|o| o.booked) {
            let b = ledger
                .get(&o.id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", o.id)))?;
            insert_booking(&mut tx, b).await?;
            push_event(&mut tx, kind::APPOINTMENT_CREATED, b, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(result)
    }

    async fn series_bookings(&self, series_id: &str) -> Result<Vec<Stored<Booking>>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT payload, version FROM bookings
             WHERE json_extract(payload, '$.series.id') = ? ORDER BY start_s, id",
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
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let series = series_rows(&mut tx, &edit.series_id).await?;
        // Where the moves go (the core's plan), so the ledger holds what
        // overlaps the new times on the moved occurrences' resources.
        let plan = {
            let refs: Vec<&Booking> = series.iter().map(|s| &s.value).collect();
            plan_shift(&refs, edit, now)?
        };
        let mut ledger = match (
            plan.moves.iter().map(|m| m.start).min(),
            plan.moves.iter().map(|m| m.end).max(),
        ) {
            (Some(start), Some(end)) => {
                let mut resources: Vec<String> = series
                    .iter()
                    .filter(|s| plan.moves.iter().any(|m| m.id == s.value.id))
                    .flat_map(|s| s.value.resources.iter().cloned())
                    .collect();
                resources.sort_unstable();
                resources.dedup();
                ledger_for(&mut tx, &resources, start, end).await?
            }
            _ => Ledger::new(),
        };
        for s in &series {
            if ledger.get(&s.value.id).is_none() {
                ledger
                    .insert(s.value.clone())
                    .map_err(|e| corrupt("booking", e))?;
            }
        }
        // The core decides and moves all or none on the ledger.
        let result = shift_occurrences(&mut ledger, edit, now)?;
        if !result.applied || result.occurrences.iter().all(|o| !o.booked) {
            return Ok(result);
        }
        for o in result.occurrences.iter().filter(|o| o.booked) {
            let b = ledger
                .get(&o.id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", o.id)))?;
            sqlx::query(
                "UPDATE bookings SET start_s = ?, end_s = ?, payload = ?, version = version + 1
                 WHERE id = ?",
            )
            .bind(b.start.unix())
            .bind(b.end.unix())
            .bind(json(b)?)
            .bind(&b.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            // Resource rows out and in again: the insert trigger keeps
            // `resource_extent` right for a longer occurrence.
            sqlx::query("DELETE FROM booking_resources WHERE booking_id = ?")
                .bind(&b.id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            insert_resource_rows(&mut tx, b).await?;
            push_event(&mut tx, kind::APPOINTMENT_UPDATED, b, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(result)
    }

    async fn cancel_series(
        &self,
        cancel: &SeriesCancel,
        now: Timestamp,
    ) -> Result<CancelResult, StoreError> {
        let mut tx = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        let mut ledger = Ledger::new();
        for s in series_rows(&mut tx, &cancel.series_id).await? {
            ledger.insert(s.value).map_err(|e| corrupt("booking", e))?;
        }
        // The core decides through the lifecycle; a cancellation frees time,
        // so nothing else needs checking.
        let result = cancel_occurrences(&mut ledger, cancel, now)?;
        if result.cancelled.is_empty() {
            return Ok(result);
        }
        for c in &result.cancelled {
            let b = ledger
                .get(&c.id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", c.id)))?;
            sqlx::query(
                "UPDATE bookings SET status = ?, hold_expires_s = NULL, payload = ?,
                     version = version + 1
                 WHERE id = ?",
            )
            .bind(b.status.as_str())
            .bind(json(b)?)
            .bind(&b.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            let payload = crate::records::series_cancel_payload(b, c, cancel);
            push_change(&mut tx, kind::APPOINTMENT_CANCELLED, &b.id, &payload, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(result)
    }
}

/// Every booking of a series (any status), with versions, by start: read
/// inside the caller's write transaction.
async fn series_rows(
    conn: &mut SqliteConnection,
    series_id: &str,
) -> Result<Vec<Stored<Booking>>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload, version FROM bookings
         WHERE json_extract(payload, '$.series.id') = ? ORDER BY start_s, id",
    )
    .bind(series_id)
    .fetch_all(conn)
    .await
    .map_err(db)?;
    stored_rows("booking", rows)
}

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn history(&self, booking_id: &str) -> Result<Vec<StatusChange>, StoreError> {
        let mut conn = self.pool().acquire().await.map_err(db)?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM bookings WHERE id = ?")
            .bind(booking_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "booking",
                id: booking_id.to_string(),
            });
        }
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, payload, created_s FROM outbox
             WHERE aggregate_id = ? AND kind LIKE 'appointment.%' ORDER BY id",
        )
        .bind(booking_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        let events = rows
            .into_iter()
            .map(|(k, p, c)| {
                let at = Timestamp::from_unix(c).map_err(|e| corrupt("outbox event time", e))?;
                Ok((k, decode::<serde_json::Value>("outbox event", &p)?, at))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        history_from_events(events.iter().map(|(k, p, at)| (k.as_str(), p, *at)))
    }
}

#[async_trait]
impl WaitlistStore for SqliteStore {
    async fn waitlist_add(&self, entry: WaitEntry) -> Result<WaitEntry, StoreError> {
        entry.validate()?;
        check_id("waitlist entry.id", &entry.id)?;
        let done = sqlx::query(
            "INSERT INTO waitlist (id, provider, created_s, window_end_s, payload)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&entry.id)
        .bind(&entry.provider)
        .bind(entry.created.unix())
        .bind(entry.window.end().unix())
        .bind(json(&entry)?)
        .execute(self.pool())
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists {
                what: "waitlist entry",
                id: entry.id,
            });
        }
        Ok(entry)
    }

    async fn waitlist_remove(&self, id: &str) -> Result<WaitEntry, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("DELETE FROM waitlist WHERE id = ? RETURNING payload")
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        let (payload,) = row.ok_or_else(|| StoreError::NotFound {
            what: "waitlist entry",
            id: id.to_string(),
        })?;
        decode("waitlist entry", &payload)
    }

    async fn waitlist(&self, provider: &str, now: Timestamp) -> Result<Vec<WaitEntry>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT payload FROM waitlist WHERE provider = ? AND window_end_s > ?
             ORDER BY created_s, id",
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
}
