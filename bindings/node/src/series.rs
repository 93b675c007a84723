//! Recurring series of appointments (`hcas_core::series`), behind the
//! package's `SeriesSpec`, `planShift`, `shiftOccurrences`, `planCancel`,
//! `cancelOccurrences` and `seriesBookings`. Argument extraction, error
//! mapping and the napi classes only: the wire names of scopes and policies
//! and the answers' shapes (instants as ISO strings in UTC, conflicts with
//! the names of `Ledger#check`, alternatives as `alternatives` answers them)
//! are `hcas_js_shapes::series`'s, which the wasm binding calls too.

use hcas_core::Zone;
use hcas_core::booking::{Booking, SeriesRef};
use hcas_core::series::{
    self, CancelResult, EditScope, OccurrenceResult, SeriesBookOptions, SeriesCancel, SeriesEdit,
    SeriesPolicy, SeriesSpec, WallShift,
};
use hcas_core::time::parse_local_datetime;
use hcas_js_shapes::series as shapes;
use napi::bindgen_prelude::ClassInstance;
use napi_derive::napi;

use crate::Result;
use crate::advice::{NativeAlternativeSearch, NativeAlternatives, alternative_search};
use crate::booking::{NativeBooking, NativeConflict, NativeLedger, NativeSeriesRef};
use crate::lifecycle::{NativeLifecyclePolicy, NativeOutcome, party, policy};
use crate::typed::{InstantArg, NativeAvailability, NativeRecurrence, instant, minutes};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| crate::to_js(&e))
}

/// A series booking policy's wire name (`all_or_nothing`, `book_free`).
fn series_policy(text: Option<&str>) -> Result<SeriesPolicy> {
    js(shapes::series_policy(text))
}

/// An edit scope's wire name (`this`, `this_and_following`, `all`).
fn scope(text: &str) -> Result<EditScope> {
    js(shapes::scope(text))
}

/// One occurrence of a series: its recurrence id and its instants.
#[napi(object, object_from_js = false)]
pub struct NativeOccurrence {
    /// The original local start, `YYYY-MM-DDTHH:MM:SS`.
    pub recurrence_id: String,
    /// Its start, an ISO string in UTC.
    pub start: String,
    /// Its end, an ISO string in UTC.
    pub end: String,
}

/// One occurrence's answer: free or not (with the conflicts), booked or not.
#[napi(object, object_from_js = false)]
pub struct NativeOccurrenceResult {
    /// The occurrence's booking id, `<series>.<YYYYMMDDTHHMMSS>`.
    pub id: String,
    /// The original local start, `YYYY-MM-DDTHH:MM:SS`.
    pub recurrence_id: String,
    /// Its start, an ISO string in UTC.
    pub start: String,
    /// Its end, an ISO string in UTC.
    pub end: String,
    /// Whether it is free.
    pub ok: bool,
    /// What stands in the way (empty when free).
    pub conflicts: Vec<NativeConflict>,
    /// Whether this call booked (or moved) it.
    pub booked: bool,
    /// For a conflicting occurrence after `addAlternatives`: the nearest
    /// free starts around it; else absent.
    pub alternatives: Option<NativeAlternatives>,
}

impl From<shapes::OccurrenceResultOut> for NativeOccurrenceResult {
    fn from(o: shapes::OccurrenceResultOut) -> Self {
        Self {
            id: o.id,
            recurrence_id: o.recurrence_id,
            start: o.start,
            end: o.end,
            ok: o.ok,
            conflicts: o.conflicts.into_iter().map(NativeConflict::from).collect(),
            booked: o.booked,
            alternatives: o.alternatives.map(NativeAlternatives::from),
        }
    }
}

/// Occurrence answers as the package answers them.
fn occurrence_results(items: Vec<OccurrenceResult>) -> Vec<NativeOccurrenceResult> {
    shapes::occurrence_results(items)
        .into_iter()
        .map(NativeOccurrenceResult::from)
        .collect()
}

/// A conflict of an occurrence answer, as the wrapper passes it back.
#[napi(object, object_to_js = false)]
pub struct NativeConflictInput {
    /// The resource taken.
    pub resource: String,
    /// The ids of the bookings that take it.
    pub bookings: Vec<String>,
}

/// Alternatives of an occurrence answer, as the wrapper passes them back.
#[napi(object, object_to_js = false)]
pub struct NativeAlternativesInput {
    /// Free starts before the occurrence, nearest first.
    pub before: Vec<InstantArg>,
    /// Free starts after the occurrence, nearest first.
    pub after: Vec<InstantArg>,
}

/// An occurrence answer (`plan`'s, `book`'s), as the wrapper passes it back.
#[napi(object, object_to_js = false)]
pub struct NativeOccurrenceInput {
    /// The occurrence's booking id.
    pub id: String,
    /// The original local start.
    pub recurrence_id: String,
    /// Its start.
    pub start: InstantArg,
    /// Its end.
    pub end: InstantArg,
    /// Whether it is free.
    pub ok: bool,
    /// What stands in the way.
    pub conflicts: Vec<NativeConflictInput>,
    /// Whether it was booked.
    pub booked: bool,
    /// The nearest free starts, if searched.
    pub alternatives: Option<NativeAlternativesInput>,
}

/// Instants named `name[i]`.
fn instants(items: &[InstantArg], name: &str) -> Result<Vec<hcas_core::Timestamp>> {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| instant(t, &format!("{name}[{i}]")))
        .collect()
}

/// The engine's occurrence answers of the wrapper's, named `name[i]`, built
/// with the core's constructors.
pub(crate) fn occurrence_inputs(
    items: &[NativeOccurrenceInput],
    name: &str,
) -> Result<Vec<OccurrenceResult>> {
    items
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let at = format!("{name}[{i}]");
            let conflicts = o
                .conflicts
                .iter()
                .map(|c| hcas_core::booking::Conflict::new(c.resource.clone(), c.bookings.clone()))
                .collect();
            let alternatives = match &o.alternatives {
                None => None,
                Some(a) => Some(hcas_core::advice::Alternatives::new(
                    instants(&a.before, &format!("{at}.alternatives.before"))?,
                    instants(&a.after, &format!("{at}.alternatives.after"))?,
                )),
            };
            Ok(OccurrenceResult::new(
                o.id.clone(),
                o.recurrence_id.clone(),
                instant(&o.start, &format!("{at}.start"))?,
                instant(&o.end, &format!("{at}.end"))?,
                o.ok,
            )
            .with_conflicts(conflicts)
            .with_booked(o.booked)
            .with_alternatives(alternatives))
        })
        .collect()
}

/// The answer for a whole series.
#[napi(object, object_from_js = false)]
pub struct NativeSeriesResult {
    /// Whether anything was booked.
    pub booked: bool,
    /// Every occurrence, in order.
    pub occurrences: Vec<NativeOccurrenceResult>,
}

/// A recurring appointment to book: an id, a recurrence, the length of each
/// occurrence in minutes, the resources each uses, and for an open-ended
/// rule the end of the series.
#[napi]
pub struct NativeSeriesSpec(pub(crate) SeriesSpec);

#[napi]
impl NativeSeriesSpec {
    /// The series; checked when its occurrences are listed, planned or booked.
    #[napi(constructor)]
    pub fn new(
        id: String,
        recurrence: &NativeRecurrence,
        duration: f64,
        resources: Vec<String>,
        until: Option<InstantArg>,
    ) -> Result<Self> {
        let mut spec = SeriesSpec::new(
            id,
            (*recurrence.0).clone(),
            minutes(duration, "duration")?,
            resources,
        );
        if let Some(u) = until {
            spec = spec.until(instant(&u, "until")?);
        }
        Ok(Self(spec))
    }

    /// The series id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// The length of each occurrence, in minutes.
    #[napi(getter)]
    pub fn duration(&self) -> i64 {
        self.0.duration.get()
    }

    /// The resources every occurrence uses.
    #[napi(getter)]
    pub fn resources(&self) -> Vec<String> {
        self.0.resources.clone()
    }

    /// The exclusive end of an open-ended rule (ISO string in UTC), or `null`.
    #[napi(getter)]
    pub fn until(&self) -> Option<String> {
        self.0.until.map(|t| t.to_string())
    }

    /// Validate and list the occurrences, by start.
    #[napi]
    pub fn occurrences(&self) -> Result<Vec<NativeOccurrence>> {
        Ok(js(self.0.occurrences())?
            .into_iter()
            .map(|(local, start, end)| {
                let o = shapes::occurrence(local, start, end);
                NativeOccurrence {
                    recurrence_id: o.recurrence_id,
                    start: o.start,
                    end: o.end,
                }
            })
            .collect())
    }

    /// Check every occurrence against `ledger` at `now` (and against the
    /// series' own earlier free occurrences) without booking anything.
    #[napi]
    pub fn plan(
        &self,
        ledger: &NativeLedger,
        now: InstantArg,
    ) -> Result<Vec<NativeOccurrenceResult>> {
        let now = instant(&now, "now")?;
        Ok(occurrence_results(js(self.0.plan(&ledger.0, now))?))
    }

    /// `results` (this series' occurrence answers, e.g. `plan`'s) with, for
    /// every conflicting one, up to `search.count` free starts before and
    /// after it (`alternatives`): inside `availability`'s working windows,
    /// free in `ledger` for all the series' resources at `search.now`,
    /// within `search.searchDays` days either side
    /// (`hcas_core::series::SeriesSpec::add_alternatives`); free occurrences
    /// come back unchanged.
    #[napi]
    pub fn add_alternatives(
        &self,
        results: Vec<NativeOccurrenceInput>,
        ledger: &NativeLedger,
        availability: &NativeAvailability,
        search: NativeAlternativeSearch,
    ) -> Result<Vec<NativeOccurrenceResult>> {
        let mut list = occurrence_inputs(&results, "results")?;
        let search = alternative_search(&search)?;
        js(self
            .0
            .add_alternatives(&mut list, &ledger.0, &availability.0, &search))?;
        Ok(occurrence_results(list))
    }

    /// Plan, then book into `ledger` at `now` by `policy` (`all_or_nothing`,
    /// the default, or `book_free`).
    #[napi]
    pub fn book(
        &self,
        ledger: &mut NativeLedger,
        now: InstantArg,
        policy: Option<String>,
    ) -> Result<NativeSeriesResult> {
        let options =
            SeriesBookOptions::at(instant(&now, "now")?).policy(series_policy(policy.as_deref())?);
        let got = shapes::series_result(js(self.0.book(&mut ledger.0, options))?);
        Ok(NativeSeriesResult {
            booked: got.booked,
            occurrences: got
                .occurrences
                .into_iter()
                .map(NativeOccurrenceResult::from)
                .collect(),
        })
    }

    /// The recurrence, as its parts (for the wrapper's `Recurrence` of a
    /// series it did not build, e.g. a FHIR template's).
    #[napi]
    pub fn recurrence_parts(&self) -> crate::fhir::NativeRecurrenceParts {
        crate::fhir::recurrence_parts(&self.0.recurrence)
    }

    /// The booking id of the occurrence whose original local start is the
    /// wall time `local` (`<id>.<YYYYMMDDTHHMMSS>`).
    #[napi]
    pub fn occurrence_id(&self, local: String) -> Result<String> {
        let l = js(parse_local_datetime(&local).map_err(|e| e.at("local")))?;
        Ok(self.0.occurrence_id(l))
    }
}

/// A shift in wall-clock time: calendar days, then minutes.
#[napi(object)]
pub struct NativeWallShift {
    /// Calendar days (negative: earlier).
    pub days: Option<f64>,
    /// Minutes of wall-clock time (negative: earlier).
    pub minutes: Option<f64>,
}

/// A series edit that moves occurrences, as the wrapper passes it.
#[napi(object)]
pub struct NativeSeriesEdit {
    /// The occurrence the scope starts from.
    pub occurrence: NativeSeriesRef,
    /// `this`, `this_and_following` or `all`.
    pub scope: String,
    /// The series' zone (IANA name): the shift is in its wall-clock time.
    pub zone: String,
    /// Who asks.
    pub actor: String,
    /// How far to move each occurrence.
    pub shift: Option<NativeWallShift>,
    /// New length of each occurrence, minutes.
    pub duration: Option<f64>,
    /// Why.
    pub reason: Option<String>,
    /// The clinic's lifecycle timing rules.
    pub policy: Option<NativeLifecyclePolicy>,
}

/// A series edit that cancels occurrences, as the wrapper passes it.
#[napi(object)]
pub struct NativeSeriesCancel {
    /// The occurrence the scope starts from.
    pub occurrence: NativeSeriesRef,
    /// `this`, `this_and_following` or `all`.
    pub scope: String,
    /// Who asks.
    pub actor: String,
    /// Why (required, non-blank).
    pub reason: String,
    /// The clinic's lifecycle timing rules.
    pub policy: Option<NativeLifecyclePolicy>,
}

/// Whole days named `name`.
fn days(v: f64, name: &str) -> Result<i64> {
    js(hcas_js_shapes::time::days(v, name))
}

/// The engine's edit.
fn edit(e: NativeSeriesEdit) -> Result<SeriesEdit> {
    let zone = js(Zone::parse(&e.zone).map_err(|x| x.at("edit.zone")))?;
    let from = SeriesRef::new(e.occurrence.id, e.occurrence.recurrence_id);
    let mut out = SeriesEdit::new(from, scope(&e.scope)?, zone, party(&e.actor, "edit.actor")?);
    if let Some(s) = e.shift {
        let mut shift = WallShift::days(
            s.days
                .map(|d| days(d, "edit.shift.days"))
                .transpose()?
                .unwrap_or(0),
        );
        if let Some(m) = s.minutes {
            shift.minutes = minutes(m, "edit.shift.minutes")?;
        }
        out = out.shift(shift);
    }
    if let Some(d) = e.duration {
        out = out.duration(minutes(d, "edit.duration")?);
    }
    if let Some(r) = e.reason {
        out = out.reason(r);
    }
    Ok(out.policy(policy(e.policy.as_ref())?))
}

/// The engine's cancellation.
fn cancel(c: NativeSeriesCancel) -> Result<SeriesCancel> {
    let from = SeriesRef::new(c.occurrence.id, c.occurrence.recurrence_id);
    let out = SeriesCancel::new(
        from,
        scope(&c.scope)?,
        party(&c.actor, "cancel.actor")?,
        c.reason,
    );
    Ok(out.policy(policy(c.policy.as_ref())?))
}

/// An occurrence in scope that an edit left alone, and why (the lifecycle's
/// error: its code and message).
#[napi(object, object_from_js = false)]
pub struct NativeSkipped {
    /// The occurrence's booking id.
    pub id: String,
    /// Its recurrence id.
    pub recurrence_id: String,
    /// Its status, unchanged.
    pub status: String,
    /// The error's stable code.
    pub code: String,
    /// The error's message.
    pub message: String,
}

impl From<shapes::SkippedOut> for NativeSkipped {
    fn from(s: shapes::SkippedOut) -> Self {
        Self {
            id: s.id,
            recurrence_id: s.recurrence_id,
            status: s.status.to_string(),
            code: s.code.to_string(),
            message: s.message,
        }
    }
}

/// Skipped occurrences as the package answers them.
fn skipped(items: Vec<shapes::SkippedOut>) -> Vec<NativeSkipped> {
    items.into_iter().map(NativeSkipped::from).collect()
}

/// One planned move of a series edit.
#[napi(object, object_from_js = false)]
pub struct NativeMove {
    /// The occurrence's booking id.
    pub id: String,
    /// Its recurrence id.
    pub recurrence_id: String,
    /// New start, an ISO string in UTC.
    pub start: String,
    /// New end, an ISO string in UTC.
    pub end: String,
}

/// What a shift would do, before any conflict check.
#[napi(object, object_from_js = false)]
pub struct NativeShiftPlan {
    /// The moves, by original start.
    pub moves: Vec<NativeMove>,
    /// Occurrences in scope the lifecycle does not let change.
    pub skipped: Vec<NativeSkipped>,
}

/// The answer to a shift.
#[napi(object, object_from_js = false)]
pub struct NativeEditResult {
    /// Whether every move was made (false: nothing changed).
    pub applied: bool,
    /// Every occurrence the edit moves (or would move), with its new times.
    pub occurrences: Vec<NativeOccurrenceResult>,
    /// Occurrences in scope the lifecycle does not let change.
    pub skipped: Vec<NativeSkipped>,
}

/// One occurrence cancelled (or to be cancelled).
#[napi(object, object_from_js = false)]
pub struct NativeCancelledOccurrence {
    /// The occurrence's booking id.
    pub id: String,
    /// Its recurrence id.
    pub recurrence_id: String,
    /// Its status before.
    pub from: String,
    /// What follows.
    pub outcomes: Vec<NativeOutcome>,
}

/// The answer to a cancellation.
#[napi(object, object_from_js = false)]
pub struct NativeCancelResult {
    /// Occurrences cancelled, by start.
    pub cancelled: Vec<NativeCancelledOccurrence>,
    /// Occurrences in scope the lifecycle does not let cancel.
    pub skipped: Vec<NativeSkipped>,
}

impl From<CancelResult> for NativeCancelResult {
    fn from(r: CancelResult) -> Self {
        let r = shapes::cancel_result(r);
        Self {
            cancelled: r
                .cancelled
                .into_iter()
                .map(|c| NativeCancelledOccurrence {
                    id: c.id,
                    recurrence_id: c.recurrence_id,
                    from: c.from.to_string(),
                    outcomes: c.outcomes.into_iter().map(NativeOutcome::from).collect(),
                })
                .collect(),
            skipped: skipped(r.skipped),
        }
    }
}

/// The engine's bookings of native ones.
fn bookings(items: &[ClassInstance<NativeBooking>]) -> Vec<Booking> {
    items.iter().map(|b| b.0.clone()).collect()
}

/// Plan a shift on `bookings` (a series' bookings, any order; others are
/// ignored) without conflict checks (`hcas_core::series::plan_shift`).
#[napi]
pub fn plan_shift(
    bookings: Vec<ClassInstance<NativeBooking>>,
    edit: NativeSeriesEdit,
    now: InstantArg,
) -> Result<NativeShiftPlan> {
    let all = self::bookings(&bookings);
    let refs: Vec<&Booking> = all.iter().collect();
    let edit = self::edit(edit)?;
    let plan = shapes::shift_plan(js(series::plan_shift(&refs, &edit, instant(&now, "now")?))?);
    Ok(NativeShiftPlan {
        moves: plan
            .moves
            .into_iter()
            .map(|m| NativeMove {
                id: m.id,
                recurrence_id: m.recurrence_id,
                start: m.start,
                end: m.end,
            })
            .collect(),
        skipped: skipped(plan.skipped),
    })
}

/// Move occurrences of a series in `ledger`, all or nothing
/// (`hcas_core::series::shift_occurrences`).
#[napi]
pub fn shift_occurrences(
    ledger: &mut NativeLedger,
    edit: NativeSeriesEdit,
    now: InstantArg,
) -> Result<NativeEditResult> {
    let edit = self::edit(edit)?;
    let now = instant(&now, "now")?;
    let got = shapes::edit_result(js(series::shift_occurrences(&mut ledger.0, &edit, now))?);
    Ok(NativeEditResult {
        applied: got.applied,
        occurrences: got
            .occurrences
            .into_iter()
            .map(NativeOccurrenceResult::from)
            .collect(),
        skipped: skipped(got.skipped),
    })
}

/// Plan a cancellation on `bookings` without changing anything
/// (`hcas_core::series::plan_cancel`).
#[napi]
pub fn plan_cancel(
    bookings: Vec<ClassInstance<NativeBooking>>,
    cancel: NativeSeriesCancel,
    now: InstantArg,
) -> Result<NativeCancelResult> {
    let all = self::bookings(&bookings);
    let refs: Vec<&Booking> = all.iter().collect();
    let cancel = self::cancel(cancel)?;
    js(series::plan_cancel(&refs, &cancel, instant(&now, "now")?)).map(NativeCancelResult::from)
}

/// Cancel occurrences of a series in `ledger` through the lifecycle
/// (`hcas_core::series::cancel_occurrences`).
#[napi]
pub fn cancel_occurrences(
    ledger: &mut NativeLedger,
    cancel: NativeSeriesCancel,
    now: InstantArg,
) -> Result<NativeCancelResult> {
    let cancel = self::cancel(cancel)?;
    let now = instant(&now, "now")?;
    js(series::cancel_occurrences(&mut ledger.0, &cancel, now)).map(NativeCancelResult::from)
}

/// The bookings of series `series_id` in `ledger` (any status), by start, then id.
#[napi]
pub fn series_bookings(ledger: &NativeLedger, series_id: String) -> Vec<NativeBooking> {
    series::series_bookings(&ledger.0, &series_id)
        .into_iter()
        .map(|b| NativeBooking(b.clone()))
        .collect()
}
