//! The JSON shapes of the conformance vectors (`docs/vectors.md`), shared by
//! every front door: the Rust vector runner, the bindings and the server all
//! parse requests here, so validation and error codes are the same everywhere.
//!
//! ```
//! let input = serde_json::json!({
//!     "rrule": "FREQ=DAILY;COUNT=2", "dtstart": "2026-03-07T02:30",
//!     "timezone": "America/New_York",
//!     "from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"
//! });
//! let out = hcas_core::wire::evaluate("recurrence", &input).unwrap();
//! assert_eq!(out["occurrences"][1], "2026-03-08T07:30:00Z");
//! ```

use crate::id::{MAX_BUSY, MAX_OVERRIDES, MAX_RECURRENCE_DATES, MAX_RULES, check_count};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::availability::{Availability, DateOverride, LocalWindow, SlotQuery, WorkingRule};
use crate::booking::{Booking, Check, Ledger, Request, Status};
use crate::error::{Error, ErrorCode, Result};
use crate::lifecycle::{LifecyclePolicy, Party, TransitionRequest, Transitioned, transition};
use crate::recurrence::{RRule, Recurrence, parse_local_list};
use crate::series::{SeriesBookOptions, SeriesPolicy, SeriesSpec};
use crate::time::{
    Interval, LocalTime, Minutes, Timestamp, parse_local_date, parse_local_datetime,
};
use crate::zone::Zone;

/// The vector kinds this version of the engine evaluates.
pub const KINDS: &[&str] = &[
    "recurrence",
    "slots",
    "conflict",
    "series",
    "transition",
    "consent",
];

/// Input of kind `recurrence`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RecurrenceRequest {
    /// RFC 5545 RRULE (`RRULE:` prefix optional).
    pub rrule: String,
    /// Local datetime the rule starts from.
    pub dtstart: String,
    /// IANA zone of the wall times.
    pub timezone: String,
    /// Local datetimes removed from the set.
    #[serde(default)]
    pub exdates: Vec<String>,
    /// Local datetimes added to the set.
    #[serde(default)]
    pub rdates: Vec<String>,
    /// Window start (inclusive instant).
    pub from: String,
    /// Window end (exclusive instant).
    pub to: String,
    /// At most this many occurrences.
    #[serde(default)]
    pub limit: Option<Value>,
}

/// Output of kind `recurrence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecurrenceResponse {
    /// Occurrences in the window, ascending, UTC.
    pub occurrences: Vec<Timestamp>,
    /// The IANA tz database release the answer was computed with
    /// ([`crate::TZDB_VERSION`]): a client caching answers re-asks when it changes.
    pub tzdb: String,
}

/// A working rule as written in a `slots` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RuleSpec {
    /// RRULE repeating days.
    pub rrule: String,
    /// Local date the rule starts on.
    pub dtstart: String,
    /// Local start time.
    pub start: String,
    /// Local end time (`24:00` allowed; `<= start` means the next day).
    pub end: String,
}

/// A window as written in an override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WindowSpec {
    /// Local start time.
    pub start: String,
    /// Local end time.
    pub end: String,
}

/// A date override as written in a `slots` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OverrideSpec {
    /// Local date.
    pub date: String,
    /// Replacement windows (empty: closed).
    pub windows: Vec<WindowSpec>,
}

/// A busy interval as written in a `slots` input.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IntervalSpec {
    /// Start instant.
    pub start: String,
    /// End instant (exclusive).
    pub end: String,
}

impl RuleSpec {
    /// A working rule in its wire form: RRULE text, local start date, local
    /// start and end times. Checked when parsed ([`parse_rules`]).
    ///
    /// ```
    /// let r = hcas_core::wire::RuleSpec::new("FREQ=WEEKLY;BYDAY=MO", "2026-01-05", "09:00", "12:00");
    /// assert_eq!(hcas_core::wire::parse_rules(&[r]).unwrap().len(), 1);
    /// ```
    #[must_use]
    pub fn new(
        rrule: impl Into<String>,
        dtstart: impl Into<String>,
        start: impl Into<String>,
        end: impl Into<String>,
    ) -> Self {
        Self {
            rrule: rrule.into(),
            dtstart: dtstart.into(),
            start: start.into(),
            end: end.into(),
        }
    }
}

impl WindowSpec {
    /// A window from local `start` to local `end` (`24:00` allowed).
    #[must_use]
    pub fn new(start: impl Into<String>, end: impl Into<String>) -> Self {
        Self {
            start: start.into(),
            end: end.into(),
        }
    }
}

impl OverrideSpec {
    /// Local `date` with these `windows` instead of its rules (none: closed).
    #[must_use]
    pub fn new(date: impl Into<String>, windows: Vec<WindowSpec>) -> Self {
        Self {
            date: date.into(),
            windows,
        }
    }
}

impl IntervalSpec {
    /// A busy interval from instant `start` to instant `end` (exclusive).
    #[must_use]
    pub fn new(start: impl Into<String>, end: impl Into<String>) -> Self {
        Self {
            start: start.into(),
            end: end.into(),
        }
    }
}

/// The query of a `slots` input; numbers are minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct QuerySpec {
    /// Window start (inclusive instant).
    pub from: String,
    /// Window end (exclusive instant).
    pub to: String,
    /// Slot length.
    pub duration: Value,
    /// Grid step (default: duration).
    #[serde(default)]
    pub step: Option<Value>,
    /// Buffer before.
    #[serde(default)]
    pub buffer_before: Option<Value>,
    /// Buffer after.
    #[serde(default)]
    pub buffer_after: Option<Value>,
    /// Current instant.
    #[serde(default)]
    pub now: Option<String>,
    /// Minimum notice.
    #[serde(default)]
    pub min_notice: Option<Value>,
    /// Horizon.
    #[serde(default)]
    pub horizon: Option<Value>,
}

/// Input of kind `slots`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SlotsRequest {
    /// IANA zone of the working rules.
    pub timezone: String,
    /// Working rules.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Date overrides.
    #[serde(default)]
    pub overrides: Vec<OverrideSpec>,
    /// Busy intervals (already including their own buffers).
    #[serde(default)]
    pub busy: Vec<IntervalSpec>,
    /// The query.
    pub query: QuerySpec,
}

/// Output of kind `slots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SlotsResponse {
    /// Offered starts, ascending, UTC.
    pub slots: Vec<Timestamp>,
    /// The IANA tz database release the answer was computed with
    /// ([`crate::TZDB_VERSION`]): a client caching answers re-asks when it changes.
    pub tzdb: String,
}

fn instant(field: &str, v: &str) -> Result<Timestamp> {
    Timestamp::parse(v).map_err(|e| e.at(field))
}

/// Whole minutes from a JSON number: a non-number is `invalid_request`, a
/// fractional number `invalid_duration`.
fn minutes(field: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15)
            {
                #[allow(clippy::cast_possible_truncation)]
                Ok(n.as_f64().map_or(0, |f| f as i64))
            } else {
                Err(Error::duration(format!(
                    "{field} must be a whole number of minutes, got {n}"
                )))
            }
        }
        other => Err(Error::request(format!(
            "{field} must be a number of minutes, got {other}"
        ))),
    }
}

fn opt_minutes(field: &str, v: Option<&Value>) -> Result<Option<i64>> {
    v.filter(|v| !v.is_null())
        .map(|v| minutes(field, v))
        .transpose()
}

impl RecurrenceRequest {
    /// Validate and build the domain values, then answer.
    ///
    /// # Errors
    /// The stable codes of `docs/vectors.md`.
    pub fn run(&self) -> Result<RecurrenceResponse> {
        let zone = Zone::parse(&self.timezone).map_err(|e| e.at("timezone"))?;
        let rule = RRule::parse(&self.rrule).map_err(|e| e.at("rrule"))?;
        let dtstart = parse_local_datetime(&self.dtstart).map_err(|e| e.at("dtstart"))?;
        check_count(
            "exdates",
            self.exdates.len(),
            "MAX_RECURRENCE_DATES",
            MAX_RECURRENCE_DATES,
        )?;
        check_count(
            "rdates",
            self.rdates.len(),
            "MAX_RECURRENCE_DATES",
            MAX_RECURRENCE_DATES,
        )?;
        let exdates = parse_local_list("exdates", &self.exdates)?;
        let rdates = parse_local_list("rdates", &self.rdates)?;
        let from = instant("from", &self.from)?;
        let to = instant("to", &self.to)?;
        let limit = match &self.limit {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        Error::request(format!("limit must be a non-negative integer, got {v}"))
                    })?,
            ),
        };
        let rec = Recurrence::new(rule, dtstart, zone)
            .with_exdates(exdates)?
            .with_rdates(rdates)?;
        Ok(RecurrenceResponse {
            occurrences: rec.between(from, to, limit)?,
            tzdb: crate::TZDB_VERSION.to_string(),
        })
    }
}

/// Parse working rules as written in a `slots` input (or a stored schedule);
/// errors name `rules[i].<field>`.
///
/// # Errors
/// `invalid_rrule`, `invalid_datetime`, as for a `slots` input.
pub fn parse_rules(specs: &[RuleSpec]) -> Result<Vec<WorkingRule>> {
    check_count("rules", specs.len(), "MAX_RULES", MAX_RULES)?;
    let mut rules = Vec::with_capacity(specs.len());
    for (i, r) in specs.iter().enumerate() {
        let at = |f: &str| format!("rules[{i}].{f}");
        let rrule = RRule::parse(&r.rrule).map_err(|e| e.at(&at("rrule")))?;
        let dtstart = parse_local_date(&r.dtstart).map_err(|e| e.at(&at("dtstart")))?;
        let start = LocalTime::parse(&r.start).map_err(|e| e.at(&at("start")))?;
        let end = LocalTime::parse_end(&r.end).map_err(|e| e.at(&at("end")))?;
        rules.push(
            WorkingRule::new(rrule, dtstart, start, end)
                .map_err(|e| e.at(&format!("rules[{i}]")))?,
        );
    }
    Ok(rules)
}

/// Parse date overrides as written in a `slots` input (or a stored
/// schedule); errors name `overrides[i]...`.
///
/// # Errors
/// `invalid_datetime`, `invalid_interval`, as for a `slots` input.
pub fn parse_overrides(specs: &[OverrideSpec]) -> Result<Vec<DateOverride>> {
    check_count("overrides", specs.len(), "MAX_OVERRIDES", MAX_OVERRIDES)?;
    let mut overrides = Vec::with_capacity(specs.len());
    for (i, o) in specs.iter().enumerate() {
        let date = parse_local_date(&o.date).map_err(|e| e.at(&format!("overrides[{i}].date")))?;
        let mut windows = Vec::with_capacity(o.windows.len());
        for (j, w) in o.windows.iter().enumerate() {
            let at = |f: &str| format!("overrides[{i}].windows[{j}].{f}");
            let start = LocalTime::parse(&w.start).map_err(|e| e.at(&at("start")))?;
            let end = LocalTime::parse_end(&w.end).map_err(|e| e.at(&at("end")))?;
            windows.push(LocalWindow::new(start, end)?);
        }
        overrides.push(DateOverride::hours(date, windows));
    }
    Ok(overrides)
}

impl SlotsRequest {
    /// Validate into an [`Availability`] and a [`SlotQuery`].
    ///
    /// # Errors
    /// The stable codes of `docs/vectors.md`, naming the offending field.
    pub fn build(&self) -> Result<(Availability, SlotQuery)> {
        let zone = Zone::parse(&self.timezone).map_err(|e| e.at("timezone"))?;
        let rules = parse_rules(&self.rules)?;
        let overrides = parse_overrides(&self.overrides)?;
        check_count("busy", self.busy.len(), "MAX_BUSY", MAX_BUSY)?;
        let mut busy = Vec::with_capacity(self.busy.len());
        for (i, b) in self.busy.iter().enumerate() {
            let at = |f: &str| format!("busy[{i}].{f}");
            let s = instant(&at("start"), &b.start)?;
            let e = instant(&at("end"), &b.end)?;
            busy.push(Interval::new(s, e).map_err(|e| e.at(&format!("busy[{i}]")))?);
        }
        let q = &self.query;
        let mut query = SlotQuery::new(
            instant("query.from", &q.from)?,
            instant("query.to", &q.to)?,
            Minutes::new(minutes("query.duration", &q.duration)?),
        );
        query.step = opt_minutes("query.step", q.step.as_ref())?.map(Minutes::new);
        let buffer = |name: &str, v: Option<&Value>| -> Result<Minutes> {
            Ok(Minutes::new(opt_minutes(name, v)?.unwrap_or(0)))
        };
        query.buffer_before = buffer("query.buffer_before", q.buffer_before.as_ref())?;
        query.buffer_after = buffer("query.buffer_after", q.buffer_after.as_ref())?;
        query.now = q
            .now
            .as_deref()
            .map(|n| instant("query.now", n))
            .transpose()?;
        query.min_notice = buffer("query.min_notice", q.min_notice.as_ref())?;
        query.horizon = opt_minutes("query.horizon", q.horizon.as_ref())?.map(Minutes::new);
        query.validate()?;
        Ok((
            Availability::from_parts(zone, rules, overrides, busy),
            query,
        ))
    }

    /// Validate, then answer.
    ///
    /// # Errors
    /// The stable codes of `docs/vectors.md`.
    pub fn run(&self) -> Result<SlotsResponse> {
        let (avail, query) = self.build()?;
        Ok(SlotsResponse {
            slots: avail.slots(&query)?,
            tzdb: crate::TZDB_VERSION.to_string(),
        })
    }
}

/// A booking as written in a `conflict` input.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BookingSpec {
    /// Unique id.
    pub id: String,
    /// Start instant.
    pub start: String,
    /// End instant (exclusive).
    pub end: String,
    /// Status (`booked`, `held`, `cancelled`, ...).
    pub status: String,
    /// For `held`: when the hold lapses.
    #[serde(default)]
    pub hold_expires: Option<String>,
    /// Resources used.
    pub resources: Vec<String>,
}

impl BookingSpec {
    /// Validate into a [`Booking`].
    ///
    /// # Errors
    /// `invalid_datetime`, `invalid_interval` or `invalid_request`, naming the field.
    pub fn build(&self, at: &str) -> Result<Booking> {
        let mut b = Booking::from_parts(
            self.id.clone(),
            instant(&format!("{at}.start"), &self.start)?,
            instant(&format!("{at}.end"), &self.end)?,
            Status::parse(&self.status).map_err(|e| e.at(&format!("{at}.status")))?,
            self.resources.clone(),
        );
        b.hold_expires = self
            .hold_expires
            .as_deref()
            .map(|h| instant(&format!("{at}.hold_expires"), h))
            .transpose()?;
        b.validate().map_err(|e| e.at(at))?;
        Ok(b)
    }
}

/// A ledger from a vector's `capacity` and `bookings`.
fn ledger_from(
    capacity: &std::collections::BTreeMap<String, Value>,
    bookings: &[BookingSpec],
) -> Result<Ledger> {
    let mut ledger = Ledger::new();
    for (r, v) in capacity {
        let cap = v
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
            .filter(|c| *c >= 1)
            .ok_or_else(|| {
                Error::request(format!("capacity.{r} must be a whole number >= 1, got {v}"))
            })?;
        ledger.set_capacity(r, cap)?;
    }
    for (i, b) in bookings.iter().enumerate() {
        ledger.insert(b.build(&format!("bookings[{i}]"))?)?;
    }
    Ok(ledger)
}

/// `now` when given.
fn now_from(now: Option<&str>) -> Result<Option<Timestamp>> {
    now.map(|n| instant("now", n)).transpose()
}

/// The ledger's `now` for an optional one: without a `now` every hold counts
/// as live, which is what a ledger asked at the first instant answers.
fn ledger_now(now: Option<Timestamp>) -> Timestamp {
    now.unwrap_or(Timestamp::MIN)
}

/// The request of a `conflict` input.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RequestSpec {
    /// Start instant.
    pub start: String,
    /// End instant (exclusive).
    pub end: String,
    /// Resources wanted.
    pub resources: Vec<String>,
}

/// Input of kind `conflict`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConflictRequest {
    /// The current instant, which decides whether holds are live. Without it
    /// every hold counts as live (never double-book on missing data).
    #[serde(default)]
    pub now: Option<String>,
    /// Capacities of resources that take more than one booking at once.
    #[serde(default)]
    pub capacity: std::collections::BTreeMap<String, Value>,
    /// Existing bookings.
    #[serde(default)]
    pub bookings: Vec<BookingSpec>,
    /// The request to check.
    pub request: RequestSpec,
}

impl ConflictRequest {
    /// Validate into a ledger, a request and `now` (`None`: every hold is live).
    ///
    /// # Errors
    /// The stable codes of `docs/vectors.md`, naming the offending field.
    pub fn build(&self) -> Result<(Ledger, Request, Option<Timestamp>)> {
        let ledger = ledger_from(&self.capacity, &self.bookings)?;
        let request = Request {
            start: instant("request.start", &self.request.start)?,
            end: instant("request.end", &self.request.end)?,
            resources: self.request.resources.clone(),
        };
        request.validate()?;
        Ok((ledger, request, now_from(self.now.as_deref())?))
    }

    /// Validate, then answer.
    ///
    /// # Errors
    /// The stable codes of `docs/vectors.md`.
    pub fn run(&self) -> Result<Check> {
        let (ledger, request, now) = self.build()?;
        ledger.check(&request, ledger_now(now))
    }
}

/// The series of a `series` input.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SeriesSpecWire {
    /// Series id (default `S`); occurrence ids are `<id>.<YYYYMMDDTHHMMSS>`.
    #[serde(default)]
    pub id: Option<String>,
    /// RFC 5545 RRULE.
    pub rrule: String,
    /// Local datetime of the first occurrence.
    pub dtstart: String,
    /// IANA zone.
    pub timezone: String,
    /// Minutes per occurrence.
    pub duration: Value,
    /// Resources every occurrence uses.
    pub resources: Vec<String>,
    /// Local datetimes removed from the series.
    #[serde(default)]
    pub exdates: Vec<String>,
    /// End (exclusive instant) of a rule without COUNT or UNTIL.
    #[serde(default)]
    pub until: Option<String>,
}

/// Input of kind `series`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SeriesRequest {
    /// The current instant (decides live holds).
    #[serde(default)]
    pub now: Option<String>,
    /// Capacities.
    #[serde(default)]
    pub capacity: std::collections::BTreeMap<String, Value>,
    /// Existing bookings.
    #[serde(default)]
    pub bookings: Vec<BookingSpec>,
    /// The series to book.
    pub series: SeriesSpecWire,
    /// `all_or_nothing` (default) or `book_free`.
    #[serde(default)]
    pub policy: SeriesPolicy,
}

/// One occurrence in a `series` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OccurrenceWire {
    /// Original local start (`RECURRENCE-ID`).
    pub recurrence_id: String,
    /// Start instant.
    pub start: Timestamp,
    /// End instant.
    pub end: Timestamp,
    /// Free to book.
    pub ok: bool,
    /// Booked by this request.
    pub booked: bool,
    /// What stands in the way (empty when `ok`).
    pub conflicts: Vec<crate::booking::Conflict>,
}

/// Output of kind `series`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SeriesResponse {
    /// Whether anything was booked.
    pub booked: bool,
    /// Every occurrence.
    pub occurrences: Vec<OccurrenceWire>,
}

impl SeriesRequest {
    /// Validate, book the series into a ledger of `bookings`, answer per occurrence.
    ///
    /// # Errors
    /// The stable codes of `docs/vectors.md`.
    pub fn run(&self) -> Result<SeriesResponse> {
        let mut ledger = ledger_from(&self.capacity, &self.bookings)?;
        let now = ledger_now(now_from(self.now.as_deref())?);
        let w = &self.series;
        let zone = Zone::parse(&w.timezone).map_err(|e| e.at("series.timezone"))?;
        let rule = RRule::parse(&w.rrule).map_err(|e| e.at("series.rrule"))?;
        let dtstart = parse_local_datetime(&w.dtstart).map_err(|e| e.at("series.dtstart"))?;
        check_count(
            "series.exdates",
            w.exdates.len(),
            "MAX_RECURRENCE_DATES",
            MAX_RECURRENCE_DATES,
        )?;
        let exdates = parse_local_list("series.exdates", &w.exdates)?;
        let spec = SeriesSpec {
            id: w.id.clone().unwrap_or_else(|| "S".to_string()),
            recurrence: Recurrence::new(rule, dtstart, zone).with_exdates(exdates)?,
            duration: Minutes::new(minutes("series.duration", &w.duration)?),
            resources: w.resources.clone(),
            until: w
                .until
                .as_deref()
                .map(|u| instant("series.until", u))
                .transpose()?,
        };
        let result = spec.book(&mut ledger, SeriesBookOptions::at(now).policy(self.policy))?;
        Ok(SeriesResponse {
            booked: result.booked,
            occurrences: result
                .occurrences
                .into_iter()
                .map(|o| OccurrenceWire {
                    recurrence_id: o.recurrence_id,
                    start: o.start,
                    end: o.end,
                    ok: o.ok,
                    booked: o.booked,
                    conflicts: o.conflicts,
                })
                .collect(),
        })
    }
}

/// The change asked for in a `transition` input.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TransitionSpec {
    /// Target status.
    pub to: String,
    /// `patient`, `practitioner`, `staff` or `system`.
    pub actor: Party,
    /// Why (required for cancellations and corrections).
    #[serde(default)]
    pub reason: Option<String>,
    /// The current instant.
    pub now: String,
}

/// Input of kind `transition`: one lifecycle step of one appointment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TransitionVector {
    /// The appointment as it is.
    pub booking: BookingSpec,
    /// The change asked for.
    pub request: TransitionSpec,
    /// Cancellation, no-show and check-in windows (defaults: 1440, 15, 60 minutes).
    #[serde(default)]
    pub policy: Option<LifecyclePolicy>,
}

impl TransitionVector {
    /// Validate, then answer.
    ///
    /// # Errors
    /// `invalid_transition`, `not_permitted`, `invalid_request` and the field codes.
    pub fn run(&self) -> Result<Transitioned> {
        let booking = self.booking.build("booking")?;
        let req = TransitionRequest {
            to: Status::parse(&self.request.to).map_err(|e| e.at("request.to"))?,
            actor: self.request.actor,
            reason: self.request.reason.clone(),
            now: instant("request.now", &self.request.now)?,
        };
        let policy = self.policy.unwrap_or_default();
        policy.validate()?;
        transition(&booking, &req, &policy)
    }
}

/// Input of kind `consent` (`CONSENT.md`). Each consent is parsed on its own,
/// so a malformed consent is `invalid_consent` (naming `consents[i]...`),
/// while a malformed request or policy is `invalid_request`; a malformed
/// instant anywhere is `invalid_datetime`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConsentVector {
    /// The consents (any patients'; only the request's patient's count).
    #[serde(default)]
    pub consents: Vec<Value>,
    /// The role table; null or absent: the default table of `CONSENT.md`.
    #[serde(default)]
    pub policy: Option<Value>,
    /// The access request.
    pub request: Value,
}

impl ConsentVector {
    /// Validate (consents, then policy, then request), then decide.
    ///
    /// # Errors
    /// `invalid_consent`, `invalid_request`, `invalid_datetime`, naming the field.
    pub fn run(&self) -> Result<crate::consent::Decision> {
        let consents = self
            .consents
            .iter()
            .enumerate()
            .map(|(i, c)| crate::consent::Consent::from_json(c, &format!("consents[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        let policy = match &self.policy {
            None => crate::consent::RolePolicy::default(),
            Some(p) => crate::consent::RolePolicy::from_json(p, "policy")?,
        };
        let request = crate::consent::ConsentRequest::from_json(&self.request, "request")?;
        crate::consent::decide(&request, &consents, &policy)
    }
}

fn parse<T: DeserializeOwned>(kind: &str, input: &Value) -> Result<T> {
    T::deserialize(input).map_err(|e| {
        Error::request(format!(
            "{kind} input does not have the documented shape: {e}"
        ))
    })
}

/// Evaluate one vector input of `kind`, answering the `expect` JSON.
///
/// # Errors
/// `invalid_request` for an unknown kind or a malformed input; otherwise the
/// kind's own codes.
pub fn evaluate(kind: &str, input: &Value) -> Result<Value> {
    let out = match kind {
        "recurrence" => serde_json::to_value(parse::<RecurrenceRequest>(kind, input)?.run()?),
        "slots" => serde_json::to_value(parse::<SlotsRequest>(kind, input)?.run()?),
        "conflict" => serde_json::to_value(parse::<ConflictRequest>(kind, input)?.run()?),
        "series" => serde_json::to_value(parse::<SeriesRequest>(kind, input)?.run()?),
        "transition" => serde_json::to_value(parse::<TransitionVector>(kind, input)?.run()?),
        "consent" => serde_json::to_value(parse::<ConsentVector>(kind, input)?.run()?),
        other => {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!("unknown vector kind `{other}`; this engine knows {KINDS:?}"),
            ));
        }
    };
    out.map_err(|e| Error::request(format!("could not encode the answer: {e}")))
}

/// Judge what a front door answered for one conformance vector `case` (the
/// whole vector file: `id`, `expect` or `expect_error`): `answer` is the
/// output object, or the error code it answered. Every door (the Rust runner,
/// the server over HTTP, the bindings) compares through this one function, so
/// they agree on what passing means: each field named in `expect` must be in
/// the output with that value (other output fields are not compared), and an
/// `expect_error` must be answered with its `code`.
///
/// ```
/// use serde_json::json;
/// let case = json!({ "id": "v1", "expect": { "n": 2 } });
/// assert!(hcas_core::wire::check(&case, Ok(&json!({ "n": 2, "more": true }))).is_ok());
/// assert!(hcas_core::wire::check(&case, Err("invalid_request")).is_err());
/// ```
///
/// # Errors
/// The failure line (`<id>: expected ... got ...`) when the answer is not
/// the expected one, or the case has not exactly one of `expect` and
/// `expect_error`.
pub fn check(
    case: &Value,
    answer: core::result::Result<&Value, &str>,
) -> core::result::Result<(), String> {
    let id = case["id"].as_str().unwrap_or("<no id>");
    match (case.get("expect"), case.get("expect_error")) {
        (Some(expect), None) => {
            let out = answer.map_err(|code| format!("{id}: expected {expect} got error {code}"))?;
            let Some(fields) = expect.as_object() else {
                return Err(format!("{id}: `expect` is not an object"));
            };
            for (k, want) in fields {
                if out.get(k) != Some(want) {
                    return Err(format!(
                        "{id}: {k}: expected {want} got {}",
                        out.get(k).unwrap_or(&Value::Null)
                    ));
                }
            }
            Ok(())
        }
        (None, Some(want)) => {
            let code = want["code"].as_str().unwrap_or("");
            match answer {
                Err(c) if c == code => Ok(()),
                Err(c) => Err(format!("{id}: expected error {code} got error {c}")),
                Ok(out) => Err(format!("{id}: expected error {code} got {out}")),
            }
        }
        _ => Err(format!(
            "{id}: needs exactly one of `expect` and `expect_error`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_answers_name_the_tzdb_release() {
        let slots = evaluate(
            "slots",
            &serde_json::json!({
                "timezone": "America/New_York",
                "rules": [{ "rrule": "FREQ=DAILY", "dtstart": "2026-03-01", "start": "09:00", "end": "10:00" }],
                "query": { "from": "2026-03-09T00:00:00Z", "to": "2026-03-10T00:00:00Z", "duration": 60 }
            }),
        )
        .unwrap();
        assert_eq!(slots["tzdb"], "2025b");
        assert_eq!(slots["slots"], serde_json::json!(["2026-03-09T13:00:00Z"]));
        let rec = evaluate(
            "recurrence",
            &serde_json::json!({
                "rrule": "FREQ=DAILY;COUNT=1", "dtstart": "2026-03-09T09:00",
                "timezone": "America/New_York",
                "from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"
            }),
        )
        .unwrap();
        assert_eq!(rec["tzdb"], crate::TZDB_VERSION);
    }

    #[test]
    fn a_conflict_input_without_now_has_no_now() {
        let input = |now: Option<&str>| ConflictRequest {
            now: now.map(str::to_string),
            capacity: std::collections::BTreeMap::new(),
            bookings: vec![],
            request: RequestSpec {
                start: "2026-05-04T09:00:00Z".into(),
                end: "2026-05-04T09:30:00Z".into(),
                resources: vec!["provider:a".into()],
            },
        };
        assert_eq!(input(None).build().unwrap().2, None);
        assert_eq!(
            input(Some("2026-05-04T08:00:00Z")).build().unwrap().2,
            Some(Timestamp::parse("2026-05-04T08:00:00Z").unwrap())
        );
    }
}
