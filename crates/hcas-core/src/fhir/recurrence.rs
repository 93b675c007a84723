//! R5 `Appointment.recurrenceTemplate` on an R4 `Appointment`, as the FHIR
//! cross-version extension, ⇄ an hcas series ([`SeriesSpec`]).
//!
//! The extension URL is
//! `http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceTemplate`
//! (HL7's cross-version extensions package, R5 → R4); its sub-extensions are
//! named for R5's child elements (relative URLs), with R5's types:
//!
//! | R5 element | sub-extension value | hcas |
//! |---|---|---|
//! | `timezone` (0..1) | `valueCodeableConcept`, an IANA zone code | the series' [`Zone`] (required by hcas: occurrences keep their wall-clock time in it) |
//! | `recurrenceType` (1..1) | `valueCodeableConcept`, UCUM `d`, `wk`, `mo`, `a` | `FREQ=DAILY`, `WEEKLY`, `MONTHLY`, `YEARLY` |
//! | `weeklyTemplate` (with `wk`) | `monday` … `sunday` (`valueBoolean`), `weekInterval` (`valuePositiveInt`) | `BYDAY`, `INTERVAL` |
//! | `monthlyTemplate` (with `mo`) | `dayOfMonth`, `monthInterval` (`valuePositiveInt`) | `BYMONTHDAY`, `INTERVAL` |
//! | `yearlyTemplate` (with `a`) | `yearInterval` (`valuePositiveInt`) | `INTERVAL` |
//! | `occurrenceCount` | `valuePositiveInt` | `COUNT` |
//! | `lastOccurrenceDate` | `valueDate` | `UNTIL` (a date: occurrences on local dates up to it) |
//! | `occurrenceDate` (0..*) | `valueDate` | `RDATE`s at the first occurrence's local time |
//! | `excludingDate` (0..*) | `valueDate` | `EXDATE`s at the first occurrence's local time |
//!
//! The first occurrence is the Appointment's own `start` (RFC 5545 `DTSTART`,
//! read in `timezone`); every occurrence lasts `end - start`.
//!
//! Refused, naming the element: a template without `timezone`, with both or
//! neither of `occurrenceCount` and `lastOccurrenceDate` (hcas books a finite
//! series), `monthlyTemplate.nthWeekOfMonth`/`dayOfWeek` and
//! `excludingRecurrenceId` (not supported: give `dayOfMonth`, `excludingDate`),
//! a pattern template that does not match `recurrenceType`, a second
//! `recurrenceTemplate`, and any sub-extension R5 does not define.
//!
//! ```
//! use hcas_core::fhir::recurrence::{Pattern, RecurrenceTemplate};
//! use hcas_core::chrono::Weekday;
//! use hcas_core::Zone;
//! let t = RecurrenceTemplate::new(Zone::parse("Europe/London").unwrap(),
//!     Pattern::Weekly { days: vec![Weekday::Tue], interval: 1 }).count(4);
//! let ext = t.to_fhir();
//! assert_eq!(ext["extension"][1]["valueCodeableConcept"]["coding"][0]["code"], "wk");
//! assert_eq!(RecurrenceTemplate::from_fhir(&ext, "extension[0]").unwrap(), t);
//! let dtstart = hcas_core::time::parse_local_datetime("2026-03-24T09:00").unwrap();
//! assert_eq!(t.recurrence(dtstart).unwrap().rule().to_string(), "FREQ=WEEKLY;COUNT=4;BYDAY=TU");
//! ```

use chrono::{NaiveDate, NaiveDateTime, Weekday};

use super::*;
use crate::recurrence::{Frequency, Recurrence, Until, WeekdayNum};
use crate::series::{OccurrenceResult, SeriesSpec};

/// R5 `Appointment.recurrenceTemplate` as an R4 cross-version extension.
pub const EXT_RECURRENCE_TEMPLATE: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceTemplate";
/// R5 `Appointment.occurrenceChanged` as an R4 cross-version extension (`valueBoolean`).
pub const EXT_OCCURRENCE_CHANGED: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.occurrenceChanged";
/// UCUM: the code system of R5's recurrence types (`d`, `wk`, `mo`, `a`).
pub const UCUM: &str = "http://unitsofmeasure.org";
/// The IANA time zone database, as hcas writes `timezone` codes.
pub const TIMEZONE_SYSTEM: &str = "https://www.iana.org/time-zones";

/// R5's `weeklyTemplate` day elements, Monday first.
const DAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

/// The R5 elements of `recurrenceTemplate`, for messages.
const TEMPLATE_ELEMENTS: &str = "timezone, recurrenceType, lastOccurrenceDate, occurrenceCount, \
     occurrenceDate, weeklyTemplate, monthlyTemplate, yearlyTemplate, excludingDate";

/// The pattern of a template: R5's `recurrenceType` with its template.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pattern {
    /// `d`: every day.
    Daily,
    /// `wk`: on `days`, every `interval` weeks.
    Weekly {
        /// The weekdays (at least one).
        days: Vec<Weekday>,
        /// Every how many weeks (1 or more).
        interval: u32,
    },
    /// `mo`: on day `day` of the month, every `interval` months.
    Monthly {
        /// The day of the month, 1 to 31.
        day: u8,
        /// Every how many months (1 or more).
        interval: u32,
    },
    /// `a`: every `interval` years.
    Yearly {
        /// Every how many years (1 or more).
        interval: u32,
    },
}

/// An R5 `Appointment.recurrenceTemplate` hcas can book (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecurrenceTemplate {
    /// `timezone`.
    pub zone: Zone,
    /// `recurrenceType` and its template.
    pub pattern: Pattern,
    /// `occurrenceCount`.
    pub occurrence_count: Option<u32>,
    /// `lastOccurrenceDate`.
    pub last_occurrence_date: Option<NaiveDate>,
    /// `occurrenceDate`: extra dates.
    pub occurrence_dates: Vec<NaiveDate>,
    /// `excludingDate`: dates left out.
    pub excluding_dates: Vec<NaiveDate>,
}

impl RecurrenceTemplate {
    /// A template of `pattern` in `zone`, with no end yet (give
    /// [`RecurrenceTemplate::count`] or [`RecurrenceTemplate::last_date`]).
    #[must_use]
    pub const fn new(zone: Zone, pattern: Pattern) -> Self {
        Self {
            zone,
            pattern,
            occurrence_count: None,
            last_occurrence_date: None,
            occurrence_dates: Vec::new(),
            excluding_dates: Vec::new(),
        }
    }

    /// This template with `n` occurrences.
    #[must_use]
    pub const fn count(mut self, n: u32) -> Self {
        self.occurrence_count = Some(n);
        self
    }

    /// This template ending on local date `date` (inclusive).
    #[must_use]
    pub const fn last_date(mut self, date: NaiveDate) -> Self {
        self.last_occurrence_date = Some(date);
        self
    }

    /// This template with extra dates and excluded dates.
    #[must_use]
    pub fn dates(mut self, occurrence: Vec<NaiveDate>, excluding: Vec<NaiveDate>) -> Self {
        self.occurrence_dates = occurrence;
        self.excluding_dates = excluding;
        self
    }

    /// The recurrence this template describes, from local `dtstart` (the
    /// first occurrence's local start).
    ///
    /// # Errors
    /// `invalid_request` naming the element for both or neither of
    /// `occurrenceCount` and `lastOccurrenceDate`; `invalid_rrule` for a
    /// pattern the engine refuses (no weekday, a day of month out of range).
    pub fn recurrence(&self, dtstart: NaiveDateTime) -> Result<Recurrence> {
        let mut rule = match &self.pattern {
            Pattern::Daily => RRule::builder(Frequency::Daily),
            Pattern::Weekly { days, interval } => RRule::builder(Frequency::Weekly)
                .interval(u64::from(*interval))
                .by_day(days.iter().map(|&d| WeekdayNum::every(d))),
            Pattern::Monthly { day, interval } => RRule::builder(Frequency::Monthly)
                .interval(u64::from(*interval))
                .by_month_day([i8::try_from(*day).unwrap_or(i8::MAX)]),
            Pattern::Yearly { interval } => {
                RRule::builder(Frequency::Yearly).interval(u64::from(*interval))
            }
        };
        rule = match (self.occurrence_count, self.last_occurrence_date) {
            (Some(n), None) => rule.count(u64::from(n)),
            (None, Some(d)) => rule.until(Until::Date(d)),
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "recurrenceTemplate.occurrenceCount",
                    "give occurrenceCount or lastOccurrenceDate, not both",
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "recurrenceTemplate.occurrenceCount",
                    "hcas books a finite series: give occurrenceCount or lastOccurrenceDate",
                ));
            }
        };
        let rule = rule.build().map_err(|e| e.at("recurrenceTemplate"))?;
        let at = |dates: &[NaiveDate]| -> Vec<NaiveDateTime> {
            dates.iter().map(|d| d.and_time(dtstart.time())).collect()
        };
        Recurrence::new(rule, dtstart, self.zone)
            .with_rdates(at(&self.occurrence_dates))
            .map_err(|e| e.at("recurrenceTemplate.occurrenceDate"))?
            .with_exdates(at(&self.excluding_dates))
            .map_err(|e| e.at("recurrenceTemplate.excludingDate"))
    }

    /// The `recurrenceTemplate` extension of this template.
    #[must_use]
    pub fn to_fhir(&self) -> Value {
        let sub = |url: &str, element: &str, v: Value| json!({ "url": url, element: v });
        let code =
            |system: &str, code: &str| json!({ "coding": [{ "system": system, "code": code }] });
        let mut ext = vec![
            sub(
                "timezone",
                "valueCodeableConcept",
                code(TIMEZONE_SYSTEM, self.zone.name()),
            ),
            sub(
                "recurrenceType",
                "valueCodeableConcept",
                code(
                    UCUM,
                    match self.pattern {
                        Pattern::Daily => "d",
                        Pattern::Weekly { .. } => "wk",
                        Pattern::Monthly { .. } => "mo",
                        Pattern::Yearly { .. } => "a",
                    },
                ),
            ),
        ];
        if let Some(d) = self.last_occurrence_date {
            ext.push(sub("lastOccurrenceDate", "valueDate", date_text(d).into()));
        }
        if let Some(n) = self.occurrence_count {
            ext.push(sub("occurrenceCount", "valuePositiveInt", n.into()));
        }
        for d in &self.occurrence_dates {
            ext.push(sub("occurrenceDate", "valueDate", date_text(*d).into()));
        }
        let nested = |url: &str, parts: Vec<Value>| json!({ "url": url, "extension": parts });
        match &self.pattern {
            Pattern::Daily => {}
            Pattern::Weekly { days, interval } => {
                let mut parts: Vec<Value> = DAYS
                    .iter()
                    .filter(|(_, d)| days.contains(d))
                    .map(|(name, _)| sub(name, "valueBoolean", true.into()))
                    .collect();
                parts.push(sub("weekInterval", "valuePositiveInt", (*interval).into()));
                ext.push(nested("weeklyTemplate", parts));
            }
            Pattern::Monthly { day, interval } => ext.push(nested(
                "monthlyTemplate",
                vec![
                    sub("dayOfMonth", "valuePositiveInt", (*day).into()),
                    sub("monthInterval", "valuePositiveInt", (*interval).into()),
                ],
            )),
            Pattern::Yearly { interval } => ext.push(nested(
                "yearlyTemplate",
                vec![sub("yearInterval", "valuePositiveInt", (*interval).into())],
            )),
        }
        for d in &self.excluding_dates {
            ext.push(sub("excludingDate", "valueDate", date_text(*d).into()));
        }
        json!({ "url": EXT_RECURRENCE_TEMPLATE, "extension": ext })
    }

    /// The template of a `recurrenceTemplate` extension at JSON path `path`.
    ///
    /// # Errors
    /// `invalid_request` naming the JSON path for anything hcas cannot book
    /// (see the module docs); `invalid_timezone`, `invalid_datetime` for a
    /// malformed zone or date.
    pub fn from_fhir(ext: &Value, path: &str) -> Result<Self> {
        let o = object(ext, path)?;
        check_keys(o, &["id", "url", "extension"], path)?;
        let mut zone = None;
        let mut kind: Option<(String, String)> = None;
        let mut count = None;
        let mut last = None;
        let mut occurrence_dates = Vec::new();
        let mut excluding_dates = Vec::new();
        let mut template: Option<(String, Pattern, String)> = None;
        for (i, e) in array(o, "extension", path)?.iter().enumerate() {
            let p = format!("{}[{i}]", field(path, "extension"));
            let eo = object(e, &p)?;
            let url = required(string(eo, "url", &p)?, &p, "url")?;
            match url {
                "timezone" => {
                    let (code, at) = code_of(
                        sub_value(eo, &p, "valueCodeableConcept")?,
                        &field(&p, "valueCodeableConcept"),
                    )?;
                    let z = Zone::parse(&code).map_err(|e| e.at(&at))?;
                    once(&mut zone, z, &p, url)?;
                }
                "recurrenceType" => {
                    let (code, at) = code_of(
                        sub_value(eo, &p, "valueCodeableConcept")?,
                        &field(&p, "valueCodeableConcept"),
                    )?;
                    once(&mut kind, (code, at), &p, url)?;
                }
                "occurrenceCount" => {
                    let n = positive(sub_value(eo, &p, "valuePositiveInt")?, &p)?;
                    once(&mut count, n, &p, url)?;
                }
                "lastOccurrenceDate" => {
                    let d = date(sub_value(eo, &p, "valueDate")?, &p)?;
                    once(&mut last, d, &p, url)?;
                }
                "occurrenceDate" => {
                    occurrence_dates.push(date(sub_value(eo, &p, "valueDate")?, &p)?)
                }
                "excludingDate" => excluding_dates.push(date(sub_value(eo, &p, "valueDate")?, &p)?),
                "weeklyTemplate" | "monthlyTemplate" | "yearlyTemplate" => {
                    let pattern = pattern_of(url, eo, &p)?;
                    once(
                        &mut template,
                        (url.to_string(), pattern, p.clone()),
                        &p,
                        url,
                    )?;
                }
                "excludingRecurrenceId" => {
                    return Err(invalid(
                        &p,
                        "excludingRecurrenceId is not supported; leave dates out with excludingDate",
                    ));
                }
                other => {
                    return Err(invalid(
                        &field(&p, "url"),
                        format!(
                            "`{other}` is not an element of R5 Appointment.recurrenceTemplate \
                             hcas reads (one of: {TEMPLATE_ELEMENTS})"
                        ),
                    ));
                }
            }
        }
        let zone = zone.ok_or_else(|| {
            invalid(
                &field(path, "timezone"),
                "is required: hcas keeps every occurrence at the same wall-clock time in this \
                 IANA zone (e.g. Europe/London)",
            )
        })?;
        let (kind, at) = kind.ok_or_else(|| {
            invalid(
                &field(path, "recurrenceType"),
                "is required (UCUM d, wk, mo or a)",
            )
        })?;
        let (wanted, pattern) = match (kind.as_str(), template) {
            ("d", None) => (None, Pattern::Daily),
            ("wk", Some((t, p, _))) if t == "weeklyTemplate" => (None, p),
            ("mo", Some((t, p, _))) if t == "monthlyTemplate" => (None, p),
            ("a", Some((t, p, _))) if t == "yearlyTemplate" => (None, p),
            ("d", Some((t, _, p))) => (
                Some((p, format!("recurrenceType d takes no {t}"))),
                Pattern::Daily,
            ),
            (k @ ("wk" | "mo" | "a"), t) => {
                let need = match k {
                    "wk" => "weeklyTemplate",
                    "mo" => "monthlyTemplate",
                    _ => "yearlyTemplate",
                };
                let place = t.map_or_else(|| path.to_string(), |(_, _, p)| p);
                (
                    Some((
                        place,
                        format!("recurrenceType {k} needs a {need} (and no other)"),
                    )),
                    Pattern::Daily,
                )
            }
            (other, _) => {
                return Err(invalid(
                    &at,
                    format!("`{other}` is not an R5 recurrence type (UCUM d, wk, mo or a)"),
                ));
            }
        };
        if let Some((place, message)) = wanted {
            return Err(invalid(&place, message));
        }
        Ok(Self {
            zone,
            pattern,
            occurrence_count: count,
            last_occurrence_date: last,
            occurrence_dates,
            excluding_dates,
        })
    }
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The one value `element` of sub-extension `eo` (no other keys).
fn sub_value<'a>(eo: &'a Map<String, Value>, path: &str, element: &str) -> Result<&'a Value> {
    check_keys(eo, &["id", "url", element], path)?;
    required(eo.get(element), path, element)
}

/// A FHIR `date` (`YYYY-MM-DD`) at `path`.
fn date(v: &Value, path: &str) -> Result<NaiveDate> {
    let text = v
        .as_str()
        .ok_or_else(|| invalid(path, format!("expected a date YYYY-MM-DD, got {}", kind(v))))?;
    parse_local_date(text).map_err(|e| e.at(path))
}

/// The code of a `CodeableConcept`'s first coding that has one, and its path.
fn code_of(v: &Value, path: &str) -> Result<(String, String)> {
    let o = object(v, path)?;
    check_keys(o, CODEABLE_CONCEPT_ELEMENTS, path)?;
    for (i, c) in array(o, "coding", path)?.iter().enumerate() {
        let cp = format!("{}[{i}]", field(path, "coding"));
        let co = object(c, &cp)?;
        if let Some(code) = string(co, "code", &cp)? {
            return Ok((code.to_string(), field(&cp, "code")));
        }
    }
    Err(invalid(&field(path, "coding"), "give a coding with a code"))
}

/// A `weeklyTemplate`, `monthlyTemplate` or `yearlyTemplate` sub-extension.
fn pattern_of(url: &str, eo: &Map<String, Value>, path: &str) -> Result<Pattern> {
    check_keys(eo, &["id", "url", "extension"], path)?;
    let mut days = Vec::new();
    let mut interval = None;
    let mut day = None;
    for (i, e) in array(eo, "extension", path)?.iter().enumerate() {
        let p = format!("{}[{i}]", field(path, "extension"));
        let o = object(e, &p)?;
        let name = required(string(o, "url", &p)?, &p, "url")?;
        match (url, name) {
            ("weeklyTemplate", _) if DAYS.iter().any(|(n, _)| *n == name) => {
                let on = sub_value(o, &p, "valueBoolean")?
                    .as_bool()
                    .ok_or_else(|| invalid(&p, "expected valueBoolean true or false"))?;
                let weekday = DAYS.iter().find(|(n, _)| *n == name).map(|d| d.1);
                if on
                    && let Some(w) = weekday
                    && !days.contains(&w)
                {
                    days.push(w);
                }
            }
            ("weeklyTemplate", "weekInterval")
            | ("monthlyTemplate", "monthInterval")
            | ("yearlyTemplate", "yearInterval") => {
                let n = positive(sub_value(o, &p, "valuePositiveInt")?, &p)?;
                once(&mut interval, n, &p, name)?;
            }
            ("monthlyTemplate", "dayOfMonth") => {
                let n = positive(sub_value(o, &p, "valuePositiveInt")?, &p)?;
                let d = u8::try_from(n)
                    .ok()
                    .filter(|d| *d <= 31)
                    .ok_or_else(|| invalid(&p, format!("day of month {n} is not 1 to 31")))?;
                once(&mut day, d, &p, name)?;
            }
            ("monthlyTemplate", "nthWeekOfMonth" | "dayOfWeek") => {
                return Err(invalid(
                    &p,
                    format!("{name} is not supported; give the day of the month as dayOfMonth"),
                ));
            }
            _ => {
                return Err(invalid(
                    &field(&p, "url"),
                    format!("`{name}` is not an element of R5 {url} hcas reads"),
                ));
            }
        }
    }
    match url {
        "weeklyTemplate" => {
            if days.is_empty() {
                return Err(invalid(
                    path,
                    "names no weekday (set monday … sunday to true)",
                ));
            }
            days.sort_by_key(Weekday::num_days_from_monday);
            Ok(Pattern::Weekly {
                days,
                interval: interval.unwrap_or(1),
            })
        }
        "monthlyTemplate" => Ok(Pattern::Monthly {
            day: day.ok_or_else(|| invalid(&field(path, "dayOfMonth"), "is required"))?,
            interval: interval
                .ok_or_else(|| invalid(&field(path, "monthInterval"), "is required"))?,
        }),
        _ => Ok(Pattern::Yearly {
            interval: interval
                .ok_or_else(|| invalid(&field(path, "yearInterval"), "is required"))?,
        }),
    }
}

/// A series template Appointment: the Appointment's own fields (its `start`
/// and `end` are the first occurrence's) and its recurrence template.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FhirSeries {
    /// The Appointment read as a booking: id, status, first occurrence,
    /// participants, cancellation reason.
    pub template: Booking,
    /// The `recurrenceTemplate`.
    pub recurrence: RecurrenceTemplate,
}

impl FhirSeries {
    /// A series template `template` (its first occurrence) recurring by `recurrence`.
    #[must_use]
    pub const fn new(template: Booking, recurrence: RecurrenceTemplate) -> Self {
        Self {
            template,
            recurrence,
        }
    }

    /// The series `id` to book: every occurrence as long as the template,
    /// using its resources, from its start read in the template's zone.
    ///
    /// # Errors
    /// As [`RecurrenceTemplate::recurrence`]; `invalid_request` for a length
    /// that is not whole minutes.
    pub fn spec(&self, id: &str) -> Result<SeriesSpec> {
        let b = &self.template;
        let seconds = b.end.unix() - b.start.unix();
        if seconds % 60 != 0 {
            return Err(invalid("end", "an occurrence lasts whole minutes"));
        }
        let dtstart = self.recurrence.zone.to_local(b.start);
        Ok(SeriesSpec::new(
            id,
            self.recurrence.recurrence(dtstart)?,
            Minutes::new(seconds / 60),
            b.resources.clone(),
        ))
    }
}

/// The series template an Appointment describes, or `None` when it has no
/// `recurrenceTemplate` extension (a single appointment).
///
/// # Errors
/// As [`appointment_from_fhir`] and [`RecurrenceTemplate::from_fhir`];
/// `invalid_request` for a second template, or a template on an occurrence
/// (`recurrenceId`/`originatingAppointment`).
pub fn series_from_fhir(value: &Value) -> Result<Option<FhirSeries>> {
    let mut found = None;
    if let Some(list) = value.get("extension").and_then(Value::as_array) {
        for (i, e) in list.iter().enumerate() {
            if e.get("url").and_then(Value::as_str) == Some(EXT_RECURRENCE_TEMPLATE) {
                let path = format!("extension[{i}]");
                let t = RecurrenceTemplate::from_fhir(e, &path)?;
                once(&mut found, t, &path, EXT_RECURRENCE_TEMPLATE).map_err(|e| {
                    Error::request(format!(
                        "{}; hcas books one pattern per series",
                        e.message()
                    ))
                })?;
            }
        }
    }
    let Some(recurrence) = found else {
        return Ok(None);
    };
    let template = appointment_from_fhir(value)?;
    if template.series.is_some() {
        return Err(invalid(
            "extension",
            "an Appointment with a recurrenceTemplate is the series itself, not one of its \
             occurrences; drop recurrenceId and originatingAppointment",
        ));
    }
    Ok(Some(FhirSeries::new(template, recurrence)))
}

/// The series template Appointment of `series`: [`appointment_to_fhir`] of
/// its template booking with the `recurrenceTemplate` extension.
///
/// # Errors
/// As [`appointment_to_fhir`].
pub fn series_to_fhir(series: &FhirSeries) -> Result<Value> {
    let mut out = appointment_to_fhir(&series.template)?;
    let ext = series.recurrence.to_fhir();
    match out.get_mut("extension").and_then(Value::as_array_mut) {
        Some(list) => list.push(ext),
        None => out["extension"] = json!([ext]),
    }
    Ok(out)
}

/// The `OperationOutcome` of a series refused for conflicts: the error issue
/// of [`operation_outcome`] (`conflict`), then one issue per conflicting
/// occurrence, naming its recurrence id, its start and what holds it
/// (`Appointment/<id> holds Practitioner/<id>`), by start.
///
/// ```
/// use hcas_core::booking::{Booking, Ledger};
/// use hcas_core::fhir::series_conflict_outcome;
/// use hcas_core::series::SeriesSpec;
/// use hcas_core::{Interval, Minutes, Recurrence, Zone};
/// let rule = "FREQ=DAILY;COUNT=3".parse().unwrap();
/// let dtstart = hcas_core::time::parse_local_datetime("2026-05-05T09:00").unwrap();
/// let spec = SeriesSpec::new("s", Recurrence::new(rule, dtstart, Zone::UTC), Minutes::new(30),
///     vec!["provider:P1".into()]);
/// let mut ledger = Ledger::new();
/// ledger.insert(Booking::new("b7", vec!["provider:P1".into()],
///     Interval::parse("2026-05-07T09:00:00Z", "2026-05-07T09:30:00Z").unwrap())).unwrap();
/// let plan = spec.plan(&ledger, "2026-05-01T00:00:00Z".parse().unwrap()).unwrap();
/// let oo = series_conflict_outcome("taken", &plan);
/// assert_eq!(oo["issue"].as_array().unwrap().len(), 2);
/// assert_eq!(oo["issue"][1]["diagnostics"],
///     "occurrence 2026-05-07T09:00:00 (start 2026-05-07T09:00:00Z): Appointment/b7 holds Practitioner/P1");
/// ```
#[must_use]
pub fn series_conflict_outcome(text: &str, occurrences: &[OccurrenceResult]) -> Value {
    let mut out = operation_outcome("conflict", "conflict", text);
    if let Some(issues) = out["issue"].as_array_mut() {
        for o in occurrences.iter().filter(|o| !o.ok) {
            let what = conflict_outcome("", &o.conflicts)["issue"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .skip(1)
                        .filter_map(|i| i["diagnostics"].as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            let text = format!("occurrence {} (start {}): {what}", o.recurrence_id, o.start);
            issues.push(json!({
                "severity": "error",
                "code": "conflict",
                "details": {
                    "coding": [{ "system": ERROR_SYSTEM, "code": "conflict" }],
                    "text": text,
                },
                "diagnostics": text,
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_local_date(s).unwrap()
    }

    fn appointment(template: Value) -> Value {
        json!({
            "resourceType": "Appointment", "id": "physio", "status": "booked",
            "start": "2026-03-24T09:00:00Z", "end": "2026-03-24T09:45:00Z",
            "participant": [{ "actor": { "reference": "Practitioner/P1" } },
                            { "actor": { "reference": "Patient/X1" } }],
            "extension": [template],
        })
    }

    fn weekly() -> Value {
        json!({ "url": EXT_RECURRENCE_TEMPLATE, "extension": [
            { "url": "timezone", "valueCodeableConcept": { "coding": [{ "system": TIMEZONE_SYSTEM, "code": "Europe/London" }] } },
            { "url": "recurrenceType", "valueCodeableConcept": { "coding": [{ "system": UCUM, "code": "wk" }] } },
            { "url": "occurrenceCount", "valuePositiveInt": 4 },
            { "url": "weeklyTemplate", "extension": [
                { "url": "tuesday", "valueBoolean": true },
                { "url": "friday", "valueBoolean": false },
                { "url": "weekInterval", "valuePositiveInt": 1 } ] },
            { "url": "excludingDate", "valueDate": "2026-04-07" },
        ]})
    }

    #[test]
    fn a_weekly_template_across_bst_keeps_nine_local() {
        let s = series_from_fhir(&appointment(weekly())).unwrap().unwrap();
        assert_eq!(
            s.recurrence.pattern,
            Pattern::Weekly {
                days: vec![Weekday::Tue],
                interval: 1
            }
        );
        let spec = s.spec("physio").unwrap();
        let occ = spec.occurrences().unwrap();
        // By hand: Tuesdays from 24 March 2026 at 09:00 London, COUNT=4 counts
        // the excluded 7 April too (RFC 5545: EXDATE removes after COUNT).
        // 24 Mar is GMT (09:00Z); BST starts 29 Mar, so 31 Mar and 14 Apr are 08:00Z.
        let starts: Vec<String> = occ.iter().map(|o| o.1.to_string()).collect();
        assert_eq!(
            starts,
            [
                "2026-03-24T09:00:00Z",
                "2026-03-31T08:00:00Z",
                "2026-04-14T08:00:00Z"
            ]
        );
        assert!(occ.iter().all(|o| o.2.unix() - o.1.unix() == 45 * 60));
    }

    #[test]
    fn templates_write_and_read_back() {
        let london = Zone::parse("Europe/London").unwrap();
        for t in [
            RecurrenceTemplate::new(london, Pattern::Daily).count(3),
            RecurrenceTemplate::new(
                london,
                Pattern::Weekly {
                    days: vec![Weekday::Mon, Weekday::Thu],
                    interval: 2,
                },
            )
            .last_date(d("2026-06-30"))
            .dates(vec![d("2026-07-03")], vec![d("2026-05-04")]),
            RecurrenceTemplate::new(
                london,
                Pattern::Monthly {
                    day: 15,
                    interval: 1,
                },
            )
            .count(6),
            RecurrenceTemplate::new(london, Pattern::Yearly { interval: 1 }).count(2),
        ] {
            let back = RecurrenceTemplate::from_fhir(&t.to_fhir(), "extension[0]").unwrap();
            assert_eq!(back, t);
        }
        let s = series_from_fhir(&appointment(weekly())).unwrap().unwrap();
        let out = series_to_fhir(&s).unwrap();
        assert_eq!(series_from_fhir(&out).unwrap().unwrap(), s);
    }

    #[test]
    fn unsupported_parts_are_refused_by_name() {
        let refused = |f: &dyn Fn(&mut Value)| {
            let mut t = weekly();
            f(&mut t);
            series_from_fhir(&appointment(t))
                .unwrap_err()
                .message()
                .to_string()
        };
        assert!(
            refused(&|t| {
                t["extension"].as_array_mut().unwrap().remove(0);
            })
            .starts_with("extension[0].timezone: is required")
        );
        let m = refused(&|t| {
            t["extension"][1]["valueCodeableConcept"]["coding"][0]["code"] = "h".into()
        });
        assert!(
            m.starts_with("extension[0].extension[1].valueCodeableConcept.coding[0].code:"),
            "{m}"
        );
        let m = refused(&|t| {
            t["extension"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "url": "excludingRecurrenceId", "valuePositiveInt": 2 }));
        });
        assert!(
            m.starts_with("extension[0].extension[5]: excludingRecurrenceId"),
            "{m}"
        );
        let m = refused(&|t| t["extension"][3]["extension"][0]["url"] = "someday".into());
        assert!(
            m.starts_with("extension[0].extension[3].extension[0].url:"),
            "{m}"
        );
        let m = refused(&|t| {
            t["extension"][1]["valueCodeableConcept"]["coding"][0]["code"] = "mo".into()
        });
        assert!(m.contains("needs a monthlyTemplate"), "{m}");
        let m = refused(&|t| {
            t["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "Mars/Base".into()
        });
        assert!(m.contains("Mars/Base"), "{m}");
        // Both ends, or none: the engine books finite series only.
        let mut t = weekly();
        t["extension"][2] = json!({ "url": "lastOccurrenceDate", "valueDate": "2026-05-01" });
        let s = series_from_fhir(&appointment(t.clone())).unwrap().unwrap();
        assert_eq!(s.spec("x").unwrap().occurrences().unwrap().len(), 5);
        t["extension"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "url": "occurrenceCount", "valuePositiveInt": 2 }));
        let s = series_from_fhir(&appointment(t)).unwrap().unwrap();
        assert!(s.spec("x").unwrap_err().message().contains("not both"));
        // An occurrence is not a template.
        let mut a = appointment(weekly());
        a["extension"].as_array_mut().unwrap().extend([
            json!({ "url": EXT_RECURRENCE_ID, "valueString": "2026-03-24T09:00:00" }),
            json!({ "url": EXT_ORIGINATING_APPOINTMENT, "valueReference": { "reference": "Appointment/s" } }),
        ]);
        assert!(series_from_fhir(&a).is_err());
        // No template: a single appointment.
        let mut single = appointment(weekly());
        single.as_object_mut().unwrap().remove("extension");
        assert!(series_from_fhir(&single).unwrap().is_none());
    }
}
