//! The ports besides bookings for [`MemoryStore`]: patients, providers and
//! schedules, availability, series, history, waitlist, consents, records and
//! audit, each a map (or a list) in the one locked state.

use std::collections::HashMap;

use async_trait::async_trait;
use hcas_core::booking::Booking;
use hcas_core::{Interval, Timestamp};

use hcas_core::consent::Consent;
use hcas_core::series::{
    CancelResult, EditResult, SeriesCancel, SeriesEdit, SeriesPolicy, SeriesResult, SeriesSpec,
    cancel_occurrences, series_bookings, shift_occurrences,
};
use hcas_core::waitlist::WaitEntry;

use crate::change::booked_occurrences;
use crate::records::{
    AuditEvent, AuditRecord, Patient, Provider, ProviderAvailability, RecordMeta, Schedule,
    StatusChange, resource_of,
};
use crate::{
    AuditQuery, AuditStore, ConsentStore, HistoryStore, PatientStore, ProviderStore, RecordStore,
    SeriesStore, StoreError, Stored, WaitlistStore, kind,
};

use super::MemoryStore;

/// Create (`expected` is `None`) or replace (`Some(version)`) a versioned record.
fn put<T: Clone>(
    map: &mut HashMap<String, Stored<T>>,
    what: &'static str,
    id: &str,
    value: T,
    expected: Option<i64>,
) -> Result<Stored<T>, StoreError> {
    let version = crate::records::next_version(what, id, map.get(id).map(|s| s.version), expected)?;
    let stored = Stored { value, version };
    map.insert(id.to_string(), stored.clone());
    Ok(stored)
}

fn fetch<T: Clone>(
    map: &HashMap<String, Stored<T>>,
    what: &'static str,
    id: &str,
) -> Result<Stored<T>, StoreError> {
    map.get(id).cloned().ok_or_else(|| StoreError::NotFound {
        what,
        id: id.to_string(),
    })
}

#[async_trait]
impl PatientStore for MemoryStore {
    async fn put_patient(
        &self,
        patient: Patient,
        expected_version: Option<i64>,
    ) -> Result<Stored<Patient>, StoreError> {
        patient.validate()?;
        let mut s = self.state.lock().await;
        let id = patient.id.clone();
        put(&mut s.patients, "patient", &id, patient, expected_version)
    }

    async fn get_patient(&self, id: &str) -> Result<Stored<Patient>, StoreError> {
        fetch(&self.state.lock().await.patients, "patient", id)
    }
}

#[async_trait]
impl ProviderStore for MemoryStore {
    async fn put_provider(
        &self,
        provider: Provider,
        expected_version: Option<i64>,
    ) -> Result<Stored<Provider>, StoreError> {
        provider.validate()?;
        let mut s = self.state.lock().await;
        let id = provider.id.clone();
        put(
            &mut s.providers,
            "provider",
            &id,
            provider,
            expected_version,
        )
    }

    async fn get_provider(&self, id: &str) -> Result<Stored<Provider>, StoreError> {
        fetch(&self.state.lock().await.providers, "provider", id)
    }

    async fn providers(&self) -> Result<Vec<Stored<Provider>>, StoreError> {
        let s = self.state.lock().await;
        let mut all: Vec<Stored<Provider>> = s.providers.values().cloned().collect();
        all.sort_by(|a, b| a.value.id.cmp(&b.value.id));
        Ok(all)
    }

    async fn put_schedule(
        &self,
        schedule: Schedule,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Schedule>, StoreError> {
        schedule.validate()?;
        let mut s = self.state.lock().await;
        let id = schedule.provider_id.clone();
        if !s.providers.contains_key(&id) {
            return Err(StoreError::NotFound {
                what: "provider",
                id,
            });
        }
        let stored = put(
            &mut s.schedules,
            "schedule",
            &id,
            schedule,
            expected_version,
        )?;
        s.push(kind::SCHEDULE_CHANGED, &id, &stored.value, now);
        Ok(stored)
    }

    async fn get_schedule(&self, provider_id: &str) -> Result<Stored<Schedule>, StoreError> {
        fetch(&self.state.lock().await.schedules, "schedule", provider_id)
    }

    async fn availability(
        &self,
        provider_ids: &[String],
        busy_window: Interval,
        now: Timestamp,
    ) -> Result<Vec<ProviderAvailability>, StoreError> {
        crate::records::check_provider_list(provider_ids)?;
        let s = self.state.lock().await;
        let mut out = Vec::with_capacity(provider_ids.len());
        for id in provider_ids {
            if !s.providers.contains_key(id) {
                return Err(StoreError::NotFound {
                    what: "provider",
                    id: id.clone(),
                });
            }
            let busy: Vec<Interval> = s
                .ledger
                .blocking_on(&resource_of(id), &busy_window, now)
                .into_iter()
                .filter_map(|b| b.interval().ok())
                .collect();
            out.push(crate::records::provider_availability(
                id,
                s.schedules.get(id),
                busy,
            )?);
        }
        Ok(out)
    }
}

#[async_trait]
impl SeriesStore for MemoryStore {
    async fn book_series(
        &self,
        spec: &SeriesSpec,
        policy: SeriesPolicy,
        now: Timestamp,
    ) -> Result<SeriesResult, StoreError> {
        let mut s = self.state.lock().await;
        let result = spec.book(
            &mut s.ledger,
            hcas_core::series::SeriesBookOptions::at(now).policy(policy),
        )?;
        let made: Vec<Booking> = booked_occurrences(&s.ledger, &result.occurrences)?
            .into_iter()
            .cloned()
            .collect();
        for b in made {
            s.versions.insert(b.id.clone(), 1);
            s.push_event(kind::APPOINTMENT_CREATED, &b, now);
        }
        Ok(result)
    }

    async fn series_bookings(&self, series_id: &str) -> Result<Vec<Stored<Booking>>, StoreError> {
        let s = self.state.lock().await;
        Ok(series_bookings(&s.ledger, series_id)
            .into_iter()
            .map(|b| Stored {
                value: b.clone(),
                version: s.version(&b.id),
            })
            .collect())
    }

    async fn shift_series(
        &self,
        edit: &SeriesEdit,
        now: Timestamp,
    ) -> Result<EditResult, StoreError> {
        let mut s = self.state.lock().await;
        // The core checks every move, then makes all or none, on the ledger.
        let result = shift_occurrences(&mut s.ledger, edit, now)?;
        for o in result.occurrences.iter().filter(|o| o.booked) {
            s.bump(&o.id, kind::APPOINTMENT_UPDATED, now)?;
        }
        Ok(result)
    }

    async fn cancel_series(
        &self,
        cancel: &SeriesCancel,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<CancelResult, StoreError> {
        let mut s = self.state.lock().await;
        let all: Vec<Stored<Booking>> = series_bookings(&s.ledger, &cancel.series_id)
            .into_iter()
            .map(|b| Stored {
                value: b.clone(),
                version: s.version(&b.id),
            })
            .collect();
        crate::appointments::check_series_version(&cancel.series_id, &all, expected)?;
        let result = cancel_occurrences(&mut s.ledger, cancel, now)?;
        for c in &result.cancelled {
            let b = s
                .ledger
                .get(&c.id)
                .ok_or_else(|| StoreError::Internal(format!("occurrence {} lost", c.id)))?;
            let payload = crate::change::series_cancel_payload(b, c, cancel);
            s.bump_with(&c.id, kind::APPOINTMENT_CANCELLED, &payload, now);
        }
        Ok(result)
    }
}

#[async_trait]
impl HistoryStore for MemoryStore {
    async fn history(&self, booking_id: &str) -> Result<Vec<StatusChange>, StoreError> {
        let s = self.state.lock().await;
        if s.ledger.get(booking_id).is_none() {
            return Err(StoreError::NotFound {
                what: "booking",
                id: booking_id.to_string(),
            });
        }
        let events = s
            .outbox
            .iter()
            .map(|(e, _)| e)
            .filter(|e| e.aggregate_id == booking_id && e.kind.starts_with("appointment."));
        crate::change::history_from_events(events.map(|e| (e.kind.as_str(), &e.payload, e.created)))
    }
}

#[async_trait]
impl WaitlistStore for MemoryStore {
    async fn waitlist_add(&self, entry: WaitEntry) -> Result<WaitEntry, StoreError> {
        entry.validate()?;
        crate::records::check_id("waitlist entry.id", &entry.id)?;
        let mut s = self.state.lock().await;
        if s.waitlist.contains_key(&entry.id) {
            return Err(StoreError::AlreadyExists {
                what: "waitlist entry",
                id: entry.id,
            });
        }
        s.waitlist.insert(entry.id.clone(), entry.clone());
        Ok(entry)
    }

    async fn waitlist_remove(&self, id: &str) -> Result<WaitEntry, StoreError> {
        self.state
            .lock()
            .await
            .waitlist
            .remove(id)
            .ok_or_else(|| StoreError::NotFound {
                what: "waitlist entry",
                id: id.to_string(),
            })
    }

    async fn waitlist(&self, provider: &str, now: Timestamp) -> Result<Vec<WaitEntry>, StoreError> {
        let s = self.state.lock().await;
        let mut v: Vec<WaitEntry> = s
            .waitlist
            .values()
            .filter(|e| e.provider == provider && e.window.end() > now)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(v)
    }
}

#[async_trait]
impl ConsentStore for MemoryStore {
    async fn put_consent(
        &self,
        consent: Consent,
        expected_version: Option<i64>,
        now: Timestamp,
    ) -> Result<Stored<Consent>, StoreError> {
        consent.validate()?;
        crate::records::check_id("consent.id", &consent.id)?;
        let mut s = self.state.lock().await;
        let id = consent.id.clone();
        let stored = put(&mut s.consents, "consent", &id, consent, expected_version)?;
        s.push(kind::CONSENT_CHANGED, &id, &stored.value, now);
        Ok(stored)
    }

    async fn get_consent(&self, id: &str) -> Result<Stored<Consent>, StoreError> {
        fetch(&self.state.lock().await.consents, "consent", id)
    }

    async fn consents_for(&self, patient: &str) -> Result<Vec<Stored<Consent>>, StoreError> {
        let s = self.state.lock().await;
        let mut v: Vec<Stored<Consent>> = s
            .consents
            .values()
            .filter(|c| c.value.patient == patient)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.value.id.cmp(&b.value.id));
        Ok(v)
    }
}

#[async_trait]
impl RecordStore for MemoryStore {
    async fn put_record(
        &self,
        record: RecordMeta,
        expected_version: Option<i64>,
    ) -> Result<Stored<RecordMeta>, StoreError> {
        record.validate()?;
        let mut s = self.state.lock().await;
        let id = record.id.clone();
        put(&mut s.records, "record", &id, record, expected_version)
    }

    async fn get_record(&self, id: &str) -> Result<Stored<RecordMeta>, StoreError> {
        fetch(&self.state.lock().await.records, "record", id)
    }

    async fn records_for(
        &self,
        patient: &str,
        category: Option<&str>,
    ) -> Result<Vec<Stored<RecordMeta>>, StoreError> {
        let s = self.state.lock().await;
        let mut v: Vec<Stored<RecordMeta>> = s
            .records
            .values()
            .filter(|r| {
                r.value.patient == patient && category.is_none_or(|c| r.value.category == c)
            })
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.value.created, &a.value.id).cmp(&(b.value.created, &b.value.id)));
        Ok(v)
    }

    async fn delete_record(
        &self,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut s = self.state.lock().await;
        let found = fetch(&s.records, "record", id)?;
        if let Some(expected) = expected_version
            && expected != found.version
        {
            return Err(StoreError::VersionMismatch {
                id: id.to_string(),
                expected,
                found: found.version,
            });
        }
        s.records.remove(id);
        Ok(())
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn audit_append(&self, event: AuditEvent) -> Result<i64, StoreError> {
        event.validate()?;
        let mut s = self.state.lock().await;
        let seq = i64::try_from(s.audit.len()).unwrap_or(i64::MAX - 1) + 1;
        s.audit.push(AuditRecord { seq, event });
        Ok(seq)
    }

    async fn audit_append_all(&self, events: &[AuditEvent]) -> Result<Vec<i64>, StoreError> {
        for e in events {
            e.validate()?;
        }
        let mut s = self.state.lock().await;
        let mut seqs = Vec::with_capacity(events.len());
        for event in events {
            let seq = i64::try_from(s.audit.len()).unwrap_or(i64::MAX - 1) + 1;
            s.audit.push(AuditRecord {
                seq,
                event: event.clone(),
            });
            seqs.push(seq);
        }
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
        let s = self.state.lock().await;
        Ok(s.audit
            .iter()
            .filter(|r| {
                r.event.patient.as_deref() == Some(patient) && r.event.at >= from && r.event.at < to
            })
            .take(limit)
            .cloned()
            .collect())
    }

    async fn audit_after(&self, seq: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let s = self.state.lock().await;
        Ok(s.audit
            .iter()
            .filter(|r| r.seq > seq)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn audit_search(
        &self,
        query: &AuditQuery,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        query.check()?;
        let s = self.state.lock().await;
        Ok(s.audit
            .iter()
            .filter(|r| r.seq > after && query.matches(&r.event))
            .take(limit)
            .cloned()
            .collect())
    }
}
