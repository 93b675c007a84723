//! FHIR R4 `Schedule` ⇄ [`FhirSchedule`].
//!
//! | hcas | FHIR R4 `Schedule` |
//! |---|---|
//! | `id` | `id` |
//! | `actors[i]` (`provider:X`, ...) | `actor[i].reference` (`Practitioner/X`, ...) |
//! | `planning_horizon` | `planningHorizon.start`, `planningHorizon.end` (both required when present) |
//! | `active` | `active` (absent reads as `true`; always written) |
//! | `specialties[k]` | `specialty[k].coding[0]` with system [`super::SPECIALTY_SYSTEM`] (on import, codings of other systems are ignored) |
//! | `specialties[k]` | `serviceType[k].coding[0]`, the same codes (written only: the services booked in it) |
//! | `availability.zone` | `extension[url=https://hcas.dev/fhir/StructureDefinition/availability].extension[url=timezone].valueCode` |
//! | `availability.rules[j]` rrule | `… .extension[url=rule].extension[url=rrule].valueString` (normalised RRULE text) |
//! | `availability.rules[j]` dtstart | `… .extension[url=rule].extension[url=dtstart].valueDate` |
//! | `availability.rules[j]` window start | `… .extension[url=rule].extension[url=start].valueTime` (`HH:MM:SS`) |
//! | `availability.rules[j]` window end | `… .extension[url=rule].extension[url=end].valueString` (`HH:MM:SS`, `24:00:00` allowed) |
//!
//! Ignored on import: `meta`, `language`, `text`, `contained`, `identifier`,
//! `serviceCategory`, `serviceType`, `comment`, `actor.display`,
//! `actor.identifier`. Refused: an `actor` hcas cannot map (e.g.
//! `PractitionerRole/1`, `HealthcareService/1`), an open-ended
//! `planningHorizon`, a date-only horizon bound, and in the availability
//! extension any sub-extension other than `timezone` and `rule`.

use super::*;

/// Complex extension on a Schedule: the time zone and working rules.
pub const EXT_AVAILABILITY: &str = "https://hcas.dev/fhir/StructureDefinition/availability";

/// The R4 elements of `Schedule`.
const SCHEDULE_ELEMENTS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "identifier",
    "active",
    "serviceCategory",
    "serviceType",
    "specialty",
    "actor",
    "planningHorizon",
    "comment",
];

/// Working hours carried by a Schedule: a zone and working rules.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ScheduleAvailability {
    /// The IANA zone the rules' local times are in.
    pub zone: Zone,
    /// The working rules.
    pub rules: Vec<WorkingRule>,
}

impl ScheduleAvailability {
    /// The working `rules`, their local times in `zone`.
    #[must_use]
    pub const fn new(zone: Zone, rules: Vec<WorkingRule>) -> Self {
        Self { zone, rules }
    }

    /// An [`Availability`] with these rules, no overrides and no busy time.
    #[must_use]
    pub fn to_availability(&self) -> Availability {
        Availability::from_parts(self.zone, self.rules.clone(), vec![], vec![])
    }
}

impl PartialEq for ScheduleAvailability {
    fn eq(&self, other: &Self) -> bool {
        self.zone == other.zone
            && self.rules.len() == other.rules.len()
            && self.rules.iter().zip(&other.rules).all(|(a, b)| {
                a.rrule() == b.rrule() && a.window() == b.window() && a.dtstart() == b.dtstart()
            })
    }
}

impl Eq for ScheduleAvailability {}

/// An R4 `Schedule` as hcas models it. Build one with [`FhirSchedule::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FhirSchedule {
    /// The schedule id.
    pub id: String,
    /// The hcas resources whose availability this is (`provider:P1`, `room:R2`, ...); at least one.
    pub actors: Vec<String>,
    /// The period the schedule covers.
    pub planning_horizon: Option<Interval>,
    /// Whether the schedule is in use.
    pub active: bool,
    /// The zone and working rules, when hcas knows them.
    pub availability: Option<ScheduleAvailability>,
    /// Specialty codes (hcas codes, [`super::SPECIALTY_SYSTEM`]).
    pub specialties: Vec<String>,
}

impl FhirSchedule {
    /// The active schedule `id` of the hcas resources `actors` (`provider:P1`,
    /// ...), without planning horizon or working hours (add them with the
    /// `with_*` methods). Nothing is checked here; [`schedule_to_fhir`] does.
    #[must_use]
    pub fn new(id: impl Into<String>, actors: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            id: id.into(),
            actors: actors.into_iter().map(Into::into).collect(),
            planning_horizon: None,
            active: true,
            availability: None,
            specialties: Vec::new(),
        }
    }

    /// With these specialty codes (hcas codes).
    #[must_use]
    pub fn with_specialties(mut self, codes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.specialties = codes.into_iter().map(Into::into).collect();
        self
    }

    /// Covering `horizon`.
    #[must_use]
    pub const fn with_planning_horizon(mut self, horizon: Interval) -> Self {
        self.planning_horizon = Some(horizon);
        self
    }

    /// In use (`true`, the default) or not.
    #[must_use]
    pub const fn with_active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// With these working hours.
    #[must_use]
    pub fn with_availability(mut self, availability: ScheduleAvailability) -> Self {
        self.availability = Some(availability);
        self
    }
}

/// `HH:MM:SS`, the FHIR `time` form (`24:00:00` for the end of a day).
fn time_text(t: LocalTime) -> String {
    let s = t.seconds();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The R4 `Schedule`.
///
/// ```
/// use hcas_core::fhir::{FhirSchedule, ScheduleAvailability, schedule_from_fhir, schedule_to_fhir};
/// use hcas_core::{LocalTime, WorkingRule, Zone};
/// use chrono::NaiveDate;
/// let rule = WorkingRule::new("FREQ=WEEKLY;BYDAY=MO,TU".parse().unwrap(),
///     NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
///     LocalTime::parse("09:00").unwrap(), LocalTime::parse_end("24:00").unwrap()).unwrap();
/// let s = FhirSchedule::new("S1", ["provider:P1"])
///     .with_availability(ScheduleAvailability::new(Zone::parse("Europe/London").unwrap(), vec![rule]));
/// let fhir = schedule_to_fhir(&s).unwrap();
/// assert_eq!(fhir["actor"][0]["reference"], "Practitioner/P1");
/// assert_eq!(fhir["extension"][0]["extension"][1]["extension"][3]["valueString"], "24:00:00");
/// assert_eq!(schedule_from_fhir(&fhir).unwrap(), s);
/// ```
///
/// # Errors
/// `invalid_request` naming the hcas field for an id or actor FHIR cannot
/// carry (`actors[i]`), or no actor; `invalid_datetime` for an instant outside
/// the years 0001-9999.
pub fn schedule_to_fhir(schedule: &FhirSchedule) -> Result<Value> {
    check_id(&schedule.id, "id")?;
    if schedule.actors.is_empty() {
        return Err(invalid(
            "actors",
            "a FHIR Schedule needs at least one actor",
        ));
    }
    let mut out = Map::new();
    out.insert("resourceType".into(), "Schedule".into());
    out.insert("id".into(), schedule.id.clone().into());
    out.insert("active".into(), schedule.active.into());
    let mut actors = Vec::with_capacity(schedule.actors.len());
    for (i, a) in schedule.actors.iter().enumerate() {
        let reference = resource_to_reference(a, &format!("actors[{i}]"))?;
        actors.push(json!({ "reference": reference }));
    }
    out.insert("actor".into(), actors.into());
    if !schedule.specialties.is_empty() {
        let mut list = Vec::with_capacity(schedule.specialties.len());
        for (k, code) in schedule.specialties.iter().enumerate() {
            if code.trim().is_empty() {
                return Err(invalid(&format!("specialties[{k}]"), "is blank"));
            }
            list.push(super::directory::concept(super::SPECIALTY_SYSTEM, code));
        }
        out.insert("serviceType".into(), list.clone().into());
        out.insert("specialty".into(), list.into());
    }
    if let Some(h) = schedule.planning_horizon {
        out.insert(
            "planningHorizon".into(),
            json!({
                "start": instant_text(h.start(), "planning_horizon.start")?,
                "end": instant_text(h.end(), "planning_horizon.end")?,
            }),
        );
    }
    if let Some(a) = &schedule.availability {
        let mut sub = vec![json!({ "url": "timezone", "valueCode": a.zone.name() })];
        for rule in &a.rules {
            let dtstart = rule.dtstart();
            let window = rule.window();
            sub.push(json!({
                "url": "rule",
                "extension": [
                    { "url": "rrule", "valueString": rule.rrule().to_string() },
                    { "url": "dtstart", "valueDate": dtstart.format("%Y-%m-%d").to_string() },
                    { "url": "start", "valueTime": time_text(window.start()) },
                    { "url": "end", "valueString": time_text(window.end()) },
                ],
            }));
        }
        out.insert(
            "extension".into(),
            json!([{ "url": EXT_AVAILABILITY, "extension": sub }]),
        );
    }
    Ok(Value::Object(out))
}

/// The schedule an R4 `Schedule` describes.
///
/// ```
/// use hcas_core::fhir::{FhirSchedule, schedule_from_fhir};
/// use hcas_core::Interval;
/// let s = schedule_from_fhir(&serde_json::json!({
///     "resourceType": "Schedule", "id": "S1", "actor": [ { "reference": "Location/R1" } ],
///     "planningHorizon": { "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z" }
/// })).unwrap();
/// let horizon = Interval::parse("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z").unwrap();
/// assert_eq!(s, FhirSchedule::new("S1", ["room:R1"]).with_planning_horizon(horizon));
/// ```
///
/// # Errors
/// `invalid_request` naming the JSON path for a missing id or actor, an actor
/// hcas cannot map (`actor[1].reference`), an open-ended `planningHorizon`, a
/// malformed availability extension, or an element hcas refuses; the value
/// codes (`invalid_datetime`, `invalid_interval`, `invalid_rrule`,
/// `invalid_timezone`) for malformed values, also with their path.
pub fn schedule_from_fhir(value: &Value) -> Result<FhirSchedule> {
    let o = resource(value, "Schedule", SCHEDULE_ELEMENTS)?;
    let id = resource_id(o)?;
    let active = match o.get("active") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(invalid(
                "active",
                format!("expected a boolean, got {}", kind(v)),
            ));
        }
    };
    let list = array(o, "actor", "")?;
    if list.is_empty() {
        return Err(invalid(
            "actor",
            "is required: a Schedule belongs to at least one actor",
        ));
    }
    let mut actors = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        actors.push(actor_resource(a, &format!("actor[{i}]"))?);
    }
    let planning_horizon = match o.get("planningHorizon") {
        None => None,
        Some(v) => {
            let p = object(v, "planningHorizon")?;
            check_keys(p, PERIOD_ELEMENTS, "planningHorizon")?;
            for key in ["start", "end"] {
                if !p.contains_key(key) {
                    return Err(invalid(
                        &field("planningHorizon", key),
                        "is required: hcas models a planning horizon as a closed interval, \
                         an open-ended period cannot be represented",
                    ));
                }
            }
            let (start, end) = period_instants(p, "planningHorizon")?;
            Some(Interval::new(start, end).map_err(|e| e.at("planningHorizon.end"))?)
        }
    };
    let mut availability = None;
    for (i, e) in array(o, "extension", "")?.iter().enumerate() {
        let path = format!("extension[{i}]");
        let eo = object(e, &path)?;
        if required(string(eo, "url", &path)?, &path, "url")? == EXT_AVAILABILITY {
            let a = availability_extension(eo, &path)?;
            once(&mut availability, a, &path, EXT_AVAILABILITY)?;
        }
    }
    let mut specialties = Vec::new();
    for (k, c) in array(o, "specialty", "")?.iter().enumerate() {
        let path = format!("specialty[{k}]");
        let co = object(c, &path)?;
        check_keys(co, CODEABLE_CONCEPT_ELEMENTS, &path)?;
        for (j, coding) in array(co, "coding", &path)?.iter().enumerate() {
            let cp = format!("{path}.coding[{j}]");
            let cdo = object(coding, &cp)?;
            if string(cdo, "system", &cp)? == Some(super::SPECIALTY_SYSTEM)
                && let Some(code) = string(cdo, "code", &cp)?
            {
                specialties.push(code.to_string());
            }
        }
    }
    Ok(FhirSchedule {
        id,
        actors,
        planning_horizon,
        active,
        availability,
        specialties,
    })
}

fn availability_extension(eo: &Map<String, Value>, path: &str) -> Result<ScheduleAvailability> {
    check_keys(eo, &["id", "url", "extension"], path)?;
    let mut zone = None;
    let mut rules = Vec::new();
    for (j, s) in array(eo, "extension", path)?.iter().enumerate() {
        let sp = format!("{path}.extension[{j}]");
        let so = object(s, &sp)?;
        match required(string(so, "url", &sp)?, &sp, "url")? {
            "timezone" => {
                check_keys(so, &["id", "url", "valueCode"], &sp)?;
                let name = required(string(so, "valueCode", &sp)?, &sp, "valueCode")?;
                let z = Zone::parse(name).map_err(|e| e.at(&field(&sp, "valueCode")))?;
                once(&mut zone, z, &sp, "timezone")?;
            }
            "rule" => rules.push(rule_extension(so, &sp)?),
            other => {
                return Err(invalid(
                    &field(&sp, "url"),
                    format!(
                        "`{other}` is not a sub-extension of availability (use timezone or rule)"
                    ),
                ));
            }
        }
    }
    let zone = zone.ok_or_else(|| {
        invalid(
            path,
            "the availability extension needs a `timezone` sub-extension",
        )
    })?;
    Ok(ScheduleAvailability { zone, rules })
}

fn rule_extension(so: &Map<String, Value>, path: &str) -> Result<WorkingRule> {
    check_keys(so, &["id", "url", "extension"], path)?;
    let (mut rrule, mut dtstart, mut start, mut end) = (None, None, None, None);
    for (k, p) in array(so, "extension", path)?.iter().enumerate() {
        let pp = format!("{path}.extension[{k}]");
        let po = object(p, &pp)?;
        let url = required(string(po, "url", &pp)?, &pp, "url")?;
        let value_key = match url {
            "rrule" | "end" => "valueString",
            "dtstart" => "valueDate",
            "start" => "valueTime",
            other => {
                return Err(invalid(
                    &field(&pp, "url"),
                    format!("`{other}` is not a part of a rule (use rrule, dtstart, start, end)"),
                ));
            }
        };
        check_keys(po, &["id", "url", value_key], &pp)?;
        let text = required(string(po, value_key, &pp)?, &pp, value_key)?;
        let at = field(&pp, value_key);
        match url {
            "rrule" => once(
                &mut rrule,
                RRule::parse(text).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
            "dtstart" => once(
                &mut dtstart,
                parse_local_date(text).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
            "start" => once(
                &mut start,
                LocalTime::parse(text).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
            _ => once(
                &mut end,
                LocalTime::parse_end(text).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
        }
    }
    let missing = |name: &str| invalid(path, format!("the rule has no `{name}` sub-extension"));
    WorkingRule::new(
        rrule.ok_or_else(|| missing("rrule"))?,
        dtstart.ok_or_else(|| missing("dtstart"))?,
        start.ok_or_else(|| missing("start"))?,
        end.ok_or_else(|| missing("end"))?,
    )
    .map_err(|e| e.at(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_fhir_times() {
        let t = |s: &str| LocalTime::parse_end(s).unwrap();
        assert_eq!(time_text(t("09:05")), "09:05:00");
        assert_eq!(time_text(t("23:59:59")), "23:59:59");
        assert_eq!(time_text(t("24:00")), "24:00:00");
    }

    #[test]
    fn specialties_round_trip_and_foreign_codings_are_ignored() {
        let s = FhirSchedule::new("P1", ["provider:P1"]).with_specialties(["gp", "cardiology"]);
        let mut fhir = schedule_to_fhir(&s).unwrap();
        assert_eq!(fhir["specialty"][1]["coding"][0]["code"], "cardiology");
        assert_eq!(fhir["serviceType"], fhir["specialty"]);
        assert_eq!(schedule_from_fhir(&fhir).unwrap(), s);
        fhir["specialty"][0]["coding"]
            .as_array_mut()
            .unwrap()
            .push(json!({"system": "http://snomed.info/sct", "code": "394814009"}));
        assert_eq!(schedule_from_fhir(&fhir).unwrap(), s);
        let blank = FhirSchedule::new("P1", ["provider:P1"]).with_specialties([" "]);
        assert!(
            schedule_to_fhir(&blank)
                .unwrap_err()
                .message()
                .starts_with("specialties[0]")
        );
    }
}
