//! FHIR R4 `Slot` ⇄ [`FhirSlot`].
//!
//! | hcas | FHIR R4 `Slot` |
//! |---|---|
//! | `id` (`<schedule>-<unix start>` from [`slot_to_fhir`]) | `id` |
//! | `schedule` (the schedule id) | `schedule.reference` = `Schedule/ID` |
//! | `status` ([`SlotStatus`]) | `status` |
//! | `start`, `end` | `start`, `end` |
//! | `service_types[k]` (hcas specialty codes, the schedule's) | `serviceType[k].coding[0]` with system [`super::SPECIALTY_SYSTEM`] (written only) |
//!
//! Ignored on import: `meta`, `language`, `text`, `contained`, `identifier`,
//! `serviceCategory`, `serviceType`, `specialty`, `appointmentType`,
//! `overbooked`, `comment`, `schedule.display`.

use super::*;

/// The R4 elements of `Slot`.
const SLOT_ELEMENTS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "identifier",
    "serviceCategory",
    "serviceType",
    "specialty",
    "appointmentType",
    "schedule",
    "status",
    "start",
    "end",
    "overbooked",
    "comment",
];

/// R4 `Slot.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlotStatus {
    /// `free`: available for booking.
    Free,
    /// `busy`: booked.
    Busy,
    /// `busy-tentative`: held tentatively.
    BusyTentative,
    /// `busy-unavailable`: not bookable (e.g. blocked out).
    BusyUnavailable,
    /// `entered-in-error`: recorded by mistake.
    EnteredInError,
}

impl SlotStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Free,
        Self::Busy,
        Self::BusyTentative,
        Self::BusyUnavailable,
        Self::EnteredInError,
    ];

    /// The R4 code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Busy => "busy",
            Self::BusyTentative => "busy-tentative",
            Self::BusyUnavailable => "busy-unavailable",
            Self::EnteredInError => "entered-in-error",
        }
    }

    /// Parse an R4 code.
    ///
    /// # Errors
    /// `invalid_request` for an unknown code.
    pub fn parse(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == code)
            .ok_or_else(|| {
                Error::request(format!(
                    "`{code}` is not an R4 Slot status; use one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }
}

impl fmt::Display for SlotStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An R4 `Slot` as hcas models it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FhirSlot {
    /// The slot id.
    pub id: String,
    /// The id of the Schedule it belongs to (`Schedule/<schedule>`).
    pub schedule: String,
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive), after `start`.
    pub end: Timestamp,
    /// Status.
    pub status: SlotStatus,
    /// The services bookable in it: hcas specialty codes (its schedule's).
    pub service_types: Vec<String>,
}

impl FhirSlot {
    /// The slot `[start, end)` of schedule `schedule_id` with status
    /// `status`, and the deterministic id `<schedule_id>-<unix seconds of
    /// start>` (as [`slot_to_fhir`] writes; [`FhirSlot::with_id`] sets another).
    ///
    /// ```
    /// use hcas_core::fhir::{FhirSlot, SlotStatus, slot_from_fhir};
    /// let t = |s: &str| s.parse().unwrap();
    /// let slot = FhirSlot::new("S1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"), SlotStatus::Busy);
    /// assert_eq!(slot.id, "S1-1777885200");
    /// assert_eq!(slot_from_fhir(&slot.to_fhir()).unwrap(), slot);
    /// ```
    #[must_use]
    pub fn new(
        schedule_id: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
        status: SlotStatus,
    ) -> Self {
        let schedule = schedule_id.into();
        Self {
            id: slot_id(&schedule, start),
            schedule,
            start,
            end,
            status,
            service_types: Vec::new(),
        }
    }

    /// With these service types (hcas specialty codes; blank ones are not
    /// written).
    #[must_use]
    pub fn with_service_types(
        mut self,
        codes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.service_types = codes.into_iter().map(Into::into).collect();
        self
    }

    /// With the id `id` instead.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The R4 `Slot` JSON, keeping this slot's id.
    ///
    /// The id and schedule should be FHIR ids and `end` after `start`, as
    /// [`slot_from_fhir`] guarantees; nothing is checked here.
    #[must_use]
    pub fn to_fhir(&self) -> Value {
        let mut out = json!({
            "resourceType": "Slot",
            "id": self.id,
            "schedule": { "reference": format!("Schedule/{}", self.schedule) },
            "status": self.status.as_str(),
            "start": self.start.to_string(),
            "end": self.end.to_string(),
        });
        let services: Vec<Value> = self
            .service_types
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| super::directory::concept(super::SPECIALTY_SYSTEM, c))
            .collect();
        if !services.is_empty() {
            out["serviceType"] = Value::Array(services);
        }
        out
    }
}

/// The deterministic id of the slot of `schedule_id` starting at `start`.
fn slot_id(schedule_id: &str, start: Timestamp) -> String {
    format!("{schedule_id}-{}", start.unix())
}

/// The schedule id and start a deterministic slot id
/// (`<schedule_id>-<unix seconds of start>`, as [`FhirSlot::new`] makes)
/// stands for, or `None` when `id` is not of that form.
///
/// ```
/// use hcas_core::fhir::parse_slot_id;
/// let (schedule, start) = parse_slot_id("dr-lee-1777885200").unwrap();
/// assert_eq!((schedule, start.to_string().as_str()), ("dr-lee", "2026-05-04T09:00:00Z"));
/// assert!(parse_slot_id("dr-lee").is_none() && parse_slot_id("-1777885200").is_none());
/// ```
#[must_use]
pub fn parse_slot_id(id: &str) -> Option<(&str, Timestamp)> {
    let (schedule, start) = id.rsplit_once('-')?;
    if schedule.is_empty() || start.is_empty() || !start.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let at = Timestamp::from_unix(start.parse().ok()?).ok()?;
    // Only the canonical form (no leading zeros) names the slot.
    (at.unix().to_string() == start).then_some((schedule, at))
}

/// The R4 `Slot` `[start, end)` of schedule `schedule_id`, with the
/// deterministic id `<schedule_id>-<unix seconds of start>`.
///
/// `schedule_id` should be a FHIR id of at most 52 characters (so the slot id
/// stays within 64) and `end` after `start`; nothing is checked here.
///
/// ```
/// use hcas_core::fhir::{SlotStatus, slot_from_fhir, slot_to_fhir};
/// let t = |s: &str| s.parse().unwrap();
/// let slot = slot_to_fhir("S1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"), SlotStatus::Free);
/// assert_eq!(slot["id"], "S1-1777885200");
/// assert_eq!(slot["schedule"]["reference"], "Schedule/S1");
/// assert_eq!(slot_from_fhir(&slot).unwrap().to_fhir(), slot);
/// ```
#[must_use]
pub fn slot_to_fhir(
    schedule_id: &str,
    start: Timestamp,
    end: Timestamp,
    status: SlotStatus,
) -> Value {
    FhirSlot::new(schedule_id, start, end, status).to_fhir()
}

/// `free` R4 Slots of length `duration` at each of `starts` (e.g. the answer
/// of [`Availability::slots`]), ids as in [`slot_to_fhir`].
///
/// `starts` should be unique (ids repeat otherwise) and `duration` positive.
///
/// ```
/// use hcas_core::Minutes;
/// use hcas_core::fhir::slots_to_fhir;
/// let starts = ["2026-05-04T09:00:00Z".parse().unwrap(), "2026-05-04T09:30:00Z".parse().unwrap()];
/// let slots = slots_to_fhir("S1", &starts, Minutes::new(30)).unwrap();
/// assert_eq!(slots[1]["end"], "2026-05-04T10:00:00Z");
/// assert_eq!(slots[1]["status"], "free");
/// ```
///
/// # Errors
/// `invalid_datetime` when a slot would end after the year 9999.
pub fn slots_to_fhir(
    schedule_id: &str,
    starts: &[Timestamp],
    duration: Minutes,
) -> Result<Vec<Value>> {
    starts
        .iter()
        .map(|&s| {
            Ok(slot_to_fhir(
                schedule_id,
                s,
                s.plus_minutes(duration.get())?,
                SlotStatus::Free,
            ))
        })
        .collect()
}

/// The slot an R4 `Slot` describes.
///
/// ```
/// use hcas_core::fhir::{SlotStatus, slot_from_fhir};
/// let slot = slot_from_fhir(&serde_json::json!({
///     "resourceType": "Slot", "id": "s9", "schedule": { "reference": "Schedule/S1" },
///     "status": "busy-tentative", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T09:30:00Z"
/// })).unwrap();
/// assert_eq!((slot.schedule.as_str(), slot.status), ("S1", SlotStatus::BusyTentative));
/// ```
///
/// # Errors
/// `invalid_request` naming the JSON path for a missing or malformed `id`,
/// `schedule.reference` (it must be `Schedule/ID`), `status`, or an element
/// hcas refuses (see the module docs); `invalid_datetime` /
/// `invalid_interval` for `start` and `end`.
pub fn slot_from_fhir(value: &Value) -> Result<FhirSlot> {
    let o = resource(value, "Slot", SLOT_ELEMENTS)?;
    let id = resource_id(o)?;
    let sv = required(o.get("schedule"), "", "schedule")?;
    let so = object(sv, "schedule")?;
    check_keys(so, REFERENCE_ELEMENTS, "schedule")?;
    let reference = required(
        string(so, "reference", "schedule")?,
        "schedule",
        "reference",
    )?;
    let schedule = reference.strip_prefix("Schedule/").ok_or_else(|| {
        invalid(
            "schedule.reference",
            format!("`{reference}` is not a relative reference Schedule/ID"),
        )
    })?;
    check_id(schedule, "schedule.reference")?;
    let code = required(string(o, "status", "")?, "", "status")?;
    let status = SlotStatus::parse(code).map_err(|e| e.at("status"))?;
    let (start, end) = period_instants(o, "")?;
    Ok(FhirSlot {
        id,
        schedule: schedule.to_string(),
        start,
        end,
        status,
        service_types: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_types_are_written_not_read() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let slot = FhirSlot::new(
            "P1",
            t("2026-05-04T09:00:00Z"),
            t("2026-05-04T09:30:00Z"),
            SlotStatus::Busy,
        )
        .with_service_types(["gp", " "]);
        let v = slot.to_fhir();
        assert_eq!(
            v["serviceType"],
            json!([{"coding": [{"system": super::super::SPECIALTY_SYSTEM, "code": "gp"}]}])
        );
        assert!(slot_from_fhir(&v).unwrap().service_types.is_empty());
        let bare = FhirSlot::new("P1", slot.start, slot.end, SlotStatus::Free).to_fhir();
        assert!(bare.get("serviceType").is_none());
    }

    #[test]
    fn slot_ids_parse_back() {
        let start: Timestamp = "2026-05-04T09:00:00Z".parse().unwrap();
        let id = FhirSlot::new("a-b", start, start, SlotStatus::Free).id;
        assert_eq!(parse_slot_id(&id), Some(("a-b", start)));
        for bad in ["a-b-01777885200", "a-b-x", "a-b-", "1777885200", "a-b-+1"] {
            assert_eq!(parse_slot_id(bad), None, "{bad}");
        }
    }
}
