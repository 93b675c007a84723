//! The records the ports store besides bookings: patients, providers and
//! their schedules, waitlist entries (the core's), consents (the core's),
//! medical-record metadata and audit events. Each has a `validate` that every
//! adapter calls before writing, so bad input is refused the same way
//! everywhere (`StoreError::Invalid` with the core's stable code, naming the
//! field) and leaves the store unchanged.

use chrono::NaiveDate;
use hcas_core::availability::Availability;
use hcas_core::lifecycle::{Outcome, Party};
use hcas_core::wire::{OverrideSpec, RuleSpec, parse_overrides, parse_rules};
use hcas_core::{Error, ErrorCode, Interval, Timestamp, Zone};
use serde::{Deserialize, Serialize};

/// Longest id accepted for any record: the core's one id rule
/// ([`hcas_core::id`]: 1 to 64 of `A-Z a-z 0-9 . -`, the FHIR id rule).
pub const MAX_ID_LEN: usize = hcas_core::id::MAX_ID_LEN;

fn request(at: &str, msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidRequest, msg).at(at)
}

/// An id under the core's one id rule ([`hcas_core::id::check_id`]).
pub(crate) fn check_id(at: &str, id: &str) -> Result<(), Error> {
    hcas_core::id::check_id(at, id)
}

/// A code, label, reference or actor name (not an id): 1..=200 bytes, no
/// whitespace or control characters.
fn check_code(at: &str, value: &str) -> Result<(), Error> {
    const MAX_CODE_LEN: usize = 200;
    if value.is_empty() || value.len() > MAX_CODE_LEN {
        return Err(request(
            at,
            format!(
                "must be 1 to {MAX_CODE_LEN} bytes long, got {}",
                value.len()
            ),
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(request(
            at,
            format!("must not contain whitespace or control characters: {value:?}"),
        ));
    }
    Ok(())
}

/// Non-blank text under the core's text rule ([`hcas_core::id::check_text`]).
fn check_text(at: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(request(at, "must not be empty"));
    }
    hcas_core::id::check_text(at, value)
}

/// A patient's demographic record (the minimum scheduling needs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// Unique id; the patient's booking resource is `patient:<id>`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Date of birth (decides whether a guardian must consent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// Ids of the people who may act for the patient (a minor's guardians).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardians: Vec<String>,
    /// Contact e-mail, for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Contact phone, for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The channels the patient wants notifications on, in order of
    /// preference (no duplicates); empty: the deployment's default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Preferred language, a BCP 47 tag (`en`, `pt-BR`, `zh-Hant-TW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The patient's IANA time zone (`Europe/Lisbon`), for showing times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// A notification channel a patient may prefer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// E-mail (needs `email`).
    Email,
    /// Text message (needs `phone`).
    Sms,
    /// Push notification to the patient's app.
    Push,
}

/// Whether `tag` is a well-formed BCP 47 language tag (RFC 5646 syntax,
/// without checking the registry): a 2-3 letter (or 4-8 letter) language,
/// then subtags of 1-8 letters or digits, separated by `-`; or a private
/// use tag `x-...`. At most 64 bytes.
#[must_use]
pub fn is_language_tag(tag: &str) -> bool {
    if tag.is_empty() || tag.len() > 64 {
        return false;
    }
    let mut parts = tag.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let first_ok = (first.eq_ignore_ascii_case("x") || (2..=8).contains(&first.len()))
        && first.bytes().all(|b| b.is_ascii_alphabetic());
    let mut any = false;
    let rest_ok = parts.all(|p| {
        any = true;
        (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    first_ok && rest_ok && (any || !first.eq_ignore_ascii_case("x"))
}

impl Patient {
    /// A patient with only an id and a name.
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            birth_date: None,
            guardians: Vec::new(),
            email: None,
            phone: None,
            channels: Vec::new(),
            language: None,
            timezone: None,
        }
    }

    /// The booking resource of this patient, `patient:<id>`.
    #[must_use]
    pub fn resource(&self) -> String {
        format!("patient:{}", self.id)
    }

    /// Check every field.
    ///
    /// # Errors
    /// `invalid_request` naming the field (`patient.id`, `patient.name`, ...).
    pub fn validate(&self) -> Result<(), Error> {
        check_id("patient.id", &self.id)?;
        check_text("patient.name", &self.name)?;
        for (i, g) in self.guardians.iter().enumerate() {
            check_id(&format!("patient.guardians[{i}]"), g)?;
        }
        if let Some(e) = &self.email
            && (!e.contains('@') || e.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(request(
                "patient.email",
                format!("{e:?} is not an e-mail address"),
            ));
        }
        if let Some(p) = &self.phone {
            check_text("patient.phone", p)?;
        }
        for (i, c) in self.channels.iter().enumerate() {
            if self.channels[..i].contains(c) {
                return Err(request(
                    &format!("patient.channels[{i}]"),
                    "is listed twice; list each channel once",
                ));
            }
        }
        if let Some(l) = &self.language
            && !is_language_tag(l)
        {
            return Err(request(
                "patient.language",
                format!(
                    "{:?} is not a BCP 47 language tag (e.g. `en`, `pt-BR`)",
                    l.chars().take(70).collect::<String>()
                ),
            ));
        }
        if let Some(tz) = &self.timezone {
            Zone::parse(tz).map_err(|e| e.at("patient.timezone"))?;
        }
        Ok(())
    }
}

/// A provider's profile (doctor, nurse, therapist...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Unique id; the provider's booking resource is `provider:<id>`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Specialties (free codes, e.g. SNOMED CT or local).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specialties: Vec<String>,
    /// Whether the provider takes appointments.
    #[serde(default = "yes")]
    pub active: bool,
    /// Where the provider sees patients (a site or room name), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The room the provider sees patients in, if set: an id (the rules of
    /// other ids). Every booking made for the provider while it is set also
    /// holds the booking resource `room:<id>` ([`room_resource_of`]), so two
    /// providers sharing a room are never booked into it at once. A booking
    /// keeps the room it was made with when the provider later moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Languages the provider speaks (BCP 47 tags such as `en`, `pt-BR`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// The provider's IANA time zone (how their day is shown), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

const fn yes() -> bool {
    true
}

impl Provider {
    /// An active provider with an id and a name.
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            specialties: Vec::new(),
            active: true,
            location: None,
            room: None,
            languages: Vec::new(),
            timezone: None,
        }
    }

    /// The booking resource of this provider, `provider:<id>`.
    #[must_use]
    pub fn resource(&self) -> String {
        resource_of(&self.id)
    }

    /// Check every field.
    ///
    /// # Errors
    /// `invalid_request` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        check_id("provider.id", &self.id)?;
        check_text("provider.name", &self.name)?;
        for (i, s) in self.specialties.iter().enumerate() {
            check_text(&format!("provider.specialties[{i}]"), s)?;
        }
        if let Some(l) = &self.location {
            check_text("provider.location", l)?;
        }
        if let Some(r) = &self.room {
            check_id("provider.room", r)?;
        }
        for (i, l) in self.languages.iter().enumerate() {
            let at = format!("provider.languages[{i}]");
            let ok = (1..=35).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-');
            if !ok {
                return Err(request(
                    &at,
                    format!("{l:?} is not a language tag (BCP 47, e.g. `en`, `pt-BR`)"),
                ));
            }
        }
        if let Some(tz) = &self.timezone {
            Zone::parse(tz).map_err(|e| e.at("provider.timezone"))?;
        }
        Ok(())
    }
}

/// The booking resource of provider `id`: `provider:<id>`.
#[must_use]
pub fn resource_of(provider_id: &str) -> String {
    format!("provider:{provider_id}")
}

/// The booking resource of room `id`: `room:<id>`.
#[must_use]
pub fn room_resource_of(room_id: &str) -> String {
    format!("room:{room_id}")
}

/// Time off: an interval in which the provider is away (busy for slots).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeOff {
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive), after `start`.
    pub end: Timestamp,
    /// Why (shown to staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A provider's working schedule: rules and overrides in local wall time of
/// `timezone` (the `slots` input's shapes, see `docs/vectors.md`), and time off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The provider it belongs to.
    pub provider_id: String,
    /// IANA zone of the rules and overrides.
    pub timezone: String,
    /// Working rules (RRULEs repeating days, local start/end).
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Date overrides (replace the rules' windows on a local date).
    #[serde(default)]
    pub overrides: Vec<OverrideSpec>,
    /// Time off (absolute instants).
    #[serde(default)]
    pub time_off: Vec<TimeOff>,
}

impl Schedule {
    /// An empty schedule (no working hours) in `timezone`.
    #[must_use]
    pub fn new(provider_id: impl Into<String>, timezone: impl Into<String>) -> Self {
        Self {
            provider_id: provider_id.into(),
            timezone: timezone.into(),
            rules: Vec::new(),
            overrides: Vec::new(),
            time_off: Vec::new(),
        }
    }

    /// Check every field by building the availability it describes.
    ///
    /// # Errors
    /// The core's codes (`invalid_timezone`, `invalid_rrule`,
    /// `invalid_datetime`, `invalid_interval`), naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        self.availability(Vec::new()).map(|_| ())
    }

    /// The provider's availability: the rules and overrides in the zone, the
    /// time off and `busy` as busy time.
    ///
    /// # Errors
    /// As [`Schedule::validate`].
    pub fn availability(&self, busy: Vec<Interval>) -> Result<Availability, Error> {
        check_id("schedule.provider_id", &self.provider_id)?;
        let zone = Zone::parse(&self.timezone).map_err(|e| e.at("schedule.timezone"))?;
        let rules = parse_rules(&self.rules).map_err(|e| e.at("schedule"))?;
        let overrides = parse_overrides(&self.overrides).map_err(|e| e.at("schedule"))?;
        let mut all = busy;
        all.reserve(self.time_off.len());
        for (i, t) in self.time_off.iter().enumerate() {
            all.push(
                Interval::new(t.start, t.end)
                    .map_err(|e| e.at(&format!("schedule.time_off[{i}]")))?,
            );
        }
        Ok(Availability::from_parts(zone, rules, overrides, all))
    }
}

/// What [`crate::ProviderStore::availability`] returns per provider.
#[derive(Debug, Clone)]
pub struct ProviderAvailability {
    /// The provider.
    pub provider_id: String,
    /// The version of the schedule it was built from (`None`: no schedule
    /// stored yet, so no working hours).
    pub schedule_version: Option<i64>,
    /// Rules, overrides, time off and the blocking bookings, ready for
    /// [`Availability::slots`] or [`hcas_core::availability::pooled_slots`].
    pub availability: Availability,
}

/// Metadata of one medical record (the content lives elsewhere, at `content_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordMeta {
    /// Unique id.
    pub id: String,
    /// The patient's id.
    pub patient: String,
    /// The consent data category (e.g. `clinical-notes`, `lab-results`; see
    /// `docs/consent.md`), which decides who may read it.
    pub category: String,
    /// Security labels (e.g. `R` restricted, `PSY`), matched by consent provisions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Title shown in lists.
    pub title: String,
    /// Who wrote it (an actor id).
    pub author: String,
    /// When it was written.
    pub created: Timestamp,
    /// Where the content is (a URI of the document store), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_ref: Option<String>,
}

impl RecordMeta {
    /// Check every field.
    ///
    /// # Errors
    /// `invalid_request` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        check_id("record.id", &self.id)?;
        check_id("record.patient", &self.patient)?;
        check_code("record.category", &self.category)?;
        for (i, l) in self.labels.iter().enumerate() {
            check_code(&format!("record.labels[{i}]"), l)?;
        }
        check_text("record.title", &self.title)?;
        check_code("record.author", &self.author)?;
        if let Some(r) = &self.content_ref {
            check_code("record.content_ref", r)?;
        }
        Ok(())
    }
}

/// One audit event: who did what to which data, for what purpose, and with
/// what outcome. Append-only: no port updates or deletes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// When it happened.
    pub at: Timestamp,
    /// Who (an actor id; never a credential).
    pub actor: String,
    /// What: `read`, `create`, `update`, `cancel`, `break-glass`, ...
    pub action: String,
    /// The target, e.g. `booking:a1`, `record:r9`.
    pub target: String,
    /// The patient whose data it touched, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// The purpose of use (`treatment`, ...), if asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The outcome: `permit`, `deny`, `ok`, `error`.
    pub outcome: String,
    /// More detail (the consent decision's basis, an error code...). Never secrets.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// Check every field.
    ///
    /// # Errors
    /// `invalid_request` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        check_code("audit.actor", &self.actor)?;
        check_code("audit.action", &self.action)?;
        check_code("audit.target", &self.target)?;
        if let Some(p) = &self.patient {
            check_id("audit.patient", p)?;
        }
        if let Some(p) = &self.purpose {
            check_code("audit.purpose", p)?;
        }
        check_code("audit.outcome", &self.outcome)?;
        Ok(())
    }
}

/// An audit event with its sequence number (increasing in append order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Sequence number, from 1.
    pub seq: i64,
    /// The event.
    pub event: AuditEvent,
}

/// One entry of a booking's status history: who changed it, when, from
/// what to what, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The booking's version after the change (1: created).
    pub version: i64,
    /// The status after the change.
    pub status: hcas_core::booking::Status,
    /// When (the caller's `now`).
    pub at: Timestamp,
    /// The outbox event kind that recorded it.
    pub kind: String,
    /// The status before the change; `None` for the creation (and for events
    /// written before the store recorded transitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<hcas_core::booking::Status>,
    /// Who made the change; `None` for the creation (and for older events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Party>,
    /// The reason given, if any (non-blank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What followed from the change (cancelled, late cancellation, no-show,
    /// slot freed); empty for the creation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<Outcome>,
}

/// Most providers one availability call may load.
pub const MAX_PROVIDERS_PER_QUERY: usize = 500;

/// A non-empty list of valid provider ids, at most [`MAX_PROVIDERS_PER_QUERY`].
pub(crate) fn check_provider_list(ids: &[String]) -> Result<(), Error> {
    if ids.is_empty() || ids.len() > MAX_PROVIDERS_PER_QUERY {
        return Err(request(
            "provider_ids",
            format!(
                "give 1 to {MAX_PROVIDERS_PER_QUERY} provider ids, got {}",
                ids.len()
            ),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        check_id(&format!("provider_ids[{i}]"), id)?;
    }
    Ok(())
}

/// Build one provider's availability from its stored schedule (if any) and busy time.
pub(crate) fn provider_availability(
    provider_id: &str,
    schedule: Option<&crate::Stored<Schedule>>,
    busy: Vec<Interval>,
) -> Result<ProviderAvailability, crate::StoreError> {
    let (availability, schedule_version) = match schedule {
        Some(s) => (s.value.availability(busy)?, Some(s.version)),
        None => (
            Availability::from_parts(Zone::parse("UTC")?, Vec::new(), Vec::new(), busy),
            None,
        ),
    };
    Ok(ProviderAvailability {
        provider_id: provider_id.to_string(),
        schedule_version,
        availability,
    })
}

/// The version a `put_*` writes, given the stored version (`found`) and the
/// caller's `expected` one (the ports' create/replace convention): 1 for a
/// create, +1 for a replace at the expected version; otherwise the error.
pub(crate) fn next_version(
    what: &'static str,
    id: &str,
    found: Option<i64>,
    expected: Option<i64>,
) -> Result<i64, crate::StoreError> {
    use crate::StoreError;
    match (found, expected) {
        (None, None) => Ok(1),
        (Some(_), None) => Err(StoreError::AlreadyExists {
            what,
            id: id.to_string(),
        }),
        (None, Some(_)) => Err(StoreError::NotFound {
            what,
            id: id.to_string(),
        }),
        (Some(found), Some(expected)) if found != expected => Err(StoreError::VersionMismatch {
            id: id.to_string(),
            expected,
            found,
        }),
        (Some(found), Some(_)) => Ok(found + 1),
    }
}
