//! Recurring series of appointments (`hcas_core::series`), behind the
//! package's `SeriesSpec`, `planShift`, `shiftOccurrences`, `planCancel`,
//! `cancelOccurrences` and `seriesBookings`, with the napi addon's names and
//! shapes. Argument extraction and error mapping only: the wire names of
//! scopes and policies and the answers' shapes (instants as ISO strings in
//! UTC, conflicts with the names of `Ledger#check`) are
//! `hcas_js_shapes::series`'s, shared with the napi addon.
//!
//! Not here (they throw the adapter's coded error): `SeriesSpec#addAlternatives`
//! and `SeriesSpec#recurrenceParts` (the latter only serves the FHIR mapping).

use hcas_core::booking::Booking;
use hcas_core::series::{
    self, CancelResult, EditScope, SeriesBookOptions, SeriesCancel, SeriesEdit, SeriesPolicy,
    SeriesSpec, WallShift,
};
use hcas_core::time::parse_local_datetime;
use hcas_core::{ErrorCode, Zone};
use hcas_js_shapes::series as shapes;
use wasm_bindgen::prelude::*;

use crate::booking::{NativeBooking, NativeBookingList, NativeLedger, series_ref};
use crate::lifecycle::{party, policy};
use crate::typed::{NativeRecurrence, instant, minutes};
use crate::{Result, field, js, number_field, required_string, string_field, to_plain};

/// A series booking policy's wire name (`all_or_nothing`, `book_free`).
fn series_policy(text: Option<&str>) -> Result<SeriesPolicy> {
    js(shapes::series_policy(text))
}

/// An edit scope's wire name (`this`, `this_and_following`, `all`).
fn scope(text: &str) -> Result<EditScope> {
    js(shapes::scope(text))
}

/// A recurring appointment to book: an id, a recurrence, the length of each
/// occurrence in minutes, the resources each uses, and for an open-ended
/// rule the end of the series.
#[wasm_bindgen]
pub struct NativeSeriesSpec(SeriesSpec);

#[wasm_bindgen]
impl NativeSeriesSpec {
    /// The series; checked when its occurrences are listed, planned or booked.
    #[wasm_bindgen(constructor)]
    pub fn new(
        id: String,
        recurrence: &NativeRecurrence,
        duration: f64,
        resources: Vec<String>,
        until: &JsValue,
    ) -> Result<NativeSeriesSpec> {
        let mut spec = SeriesSpec::new(
            id,
            (*recurrence.0).clone(),
            minutes(duration, "duration")?,
            resources,
        );
        if !until.is_undefined() && !until.is_null() {
            spec = spec.until(instant(until, "until")?);
        }
        Ok(Self(spec))
    }

    /// The series id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// The length of each occurrence, in minutes.
    #[wasm_bindgen(getter)]
    #[allow(clippy::cast_precision_loss)]
    pub fn duration(&self) -> f64 {
        self.0.duration.get() as f64
    }

    /// The resources every occurrence uses.
    #[wasm_bindgen(getter)]
    pub fn resources(&self) -> Vec<String> {
        self.0.resources.clone()
    }

    /// The exclusive end of an open-ended rule (ISO string in UTC), or `undefined`.
    #[wasm_bindgen(getter)]
    pub fn until(&self) -> Option<String> {
        self.0.until.map(|t| t.to_string())
    }

    /// Validate and list the occurrences, by start.
    pub fn occurrences(&self) -> Result<JsValue> {
        let list: Vec<_> = js(self.0.occurrences())?
            .into_iter()
            .map(|(local, start, end)| shapes::occurrence(local, start, end))
            .collect();
        to_plain(&list)
    }

    /// Check every occurrence against `ledger` at `now` without booking.
    pub fn plan(&self, ledger: &NativeLedger, now: &JsValue) -> Result<JsValue> {
        let now = instant(now, "now")?;
        to_plain(&shapes::occurrence_results(js(self
            .0
            .plan(&ledger.0, now))?))
    }

    /// Plan, then book into `ledger` at `now` by `policy` (`all_or_nothing`,
    /// the default, or `book_free`): `{ booked, occurrences }`.
    pub fn book(
        &self,
        ledger: &mut NativeLedger,
        now: &JsValue,
        policy: Option<String>,
    ) -> Result<JsValue> {
        let options =
            SeriesBookOptions::at(instant(now, "now")?).policy(series_policy(policy.as_deref())?);
        to_plain(&shapes::series_result(js(self
            .0
            .book(&mut ledger.0, options))?))
    }

    /// The booking id of the occurrence whose original local start is the
    /// wall time `local` (`<id>.<YYYYMMDDTHHMMSS>`).
    #[wasm_bindgen(js_name = occurrenceId)]
    pub fn occurrence_id(&self, local: &str) -> Result<String> {
        let l = js(parse_local_datetime(local).map_err(|e| e.at("local")))?;
        Ok(self.0.occurrence_id(l))
    }
}

/// Whole days named `name`.
fn days(v: f64, name: &str) -> Result<i64> {
    js(hcas_js_shapes::time::days(v, name))
}

/// The engine's edit of the wrapper's `{ occurrence, scope, zone, actor,
/// shift, duration, reason, policy }`.
fn edit(e: &JsValue) -> Result<SeriesEdit> {
    let zone_name = required_string(e, "zone", "edit.zone")?;
    let zone = js(Zone::parse(&zone_name).map_err(|x| x.at("edit.zone")))?;
    let occurrence = field(e, "occurrence")?.unwrap_or(JsValue::UNDEFINED);
    let from = series_ref(&occurrence, "edit.occurrence")?;
    let scope = scope(&required_string(e, "scope", "edit.scope")?)?;
    let actor = party(&required_string(e, "actor", "edit.actor")?, "edit.actor")?;
    let mut out = SeriesEdit::new(from, scope, zone, actor);
    if let Some(s) = field(e, "shift")? {
        let d = number_field(&s, "days", "edit.shift.days", ErrorCode::InvalidDuration)?;
        let mut shift = WallShift::days(
            d.map(|d| days(d, "edit.shift.days"))
                .transpose()?
                .unwrap_or(0),
        );
        if let Some(m) = number_field(
            &s,
            "minutes",
            "edit.shift.minutes",
            ErrorCode::InvalidDuration,
        )? {
            shift.minutes = minutes(m, "edit.shift.minutes")?;
        }
        out = out.shift(shift);
    }
    if let Some(d) = number_field(e, "duration", "edit.duration", ErrorCode::InvalidDuration)? {
        out = out.duration(minutes(d, "edit.duration")?);
    }
    if let Some(r) = string_field(e, "reason", "edit.reason")? {
        out = out.reason(r);
    }
    let p = field(e, "policy")?.unwrap_or(JsValue::UNDEFINED);
    Ok(out.policy(policy(&p, "policy.")?))
}

/// The engine's cancellation of the wrapper's `{ occurrence, scope, actor,
/// reason, policy }`.
fn cancel(c: &JsValue) -> Result<SeriesCancel> {
    let occurrence = field(c, "occurrence")?.unwrap_or(JsValue::UNDEFINED);
    let from = series_ref(&occurrence, "cancel.occurrence")?;
    let out = SeriesCancel::new(
        from,
        scope(&required_string(c, "scope", "cancel.scope")?)?,
        party(
            &required_string(c, "actor", "cancel.actor")?,
            "cancel.actor",
        )?,
        required_string(c, "reason", "cancel.reason")?,
    );
    let p = field(c, "policy")?.unwrap_or(JsValue::UNDEFINED);
    Ok(out.policy(policy(&p, "policy.")?))
}

/// A cancellation as the plain `{ cancelled, skipped }`.
fn cancel_result(r: CancelResult) -> Result<JsValue> {
    to_plain(&shapes::cancel_result(r))
}

/// Plan a shift on `bookings` without conflict checks
/// (`hcas_core::series::plan_shift`).
#[wasm_bindgen(js_name = planShiftList)]
pub fn plan_shift_list(
    bookings: &NativeBookingList,
    edit: &JsValue,
    now: &JsValue,
) -> Result<JsValue> {
    let refs: Vec<&Booking> = bookings.0.iter().collect();
    let edit = self::edit(edit)?;
    let plan = js(series::plan_shift(&refs, &edit, instant(now, "now")?))?;
    to_plain(&shapes::shift_plan(plan))
}

/// Move occurrences of a series in `ledger`, all or nothing
/// (`hcas_core::series::shift_occurrences`).
#[wasm_bindgen(js_name = shiftOccurrences)]
pub fn shift_occurrences(
    ledger: &mut NativeLedger,
    edit: &JsValue,
    now: &JsValue,
) -> Result<JsValue> {
    let edit = self::edit(edit)?;
    let now = instant(now, "now")?;
    to_plain(&shapes::edit_result(js(series::shift_occurrences(
        &mut ledger.0,
        &edit,
        now,
    ))?))
}

/// Plan a cancellation on `bookings` without changing anything
/// (`hcas_core::series::plan_cancel`).
#[wasm_bindgen(js_name = planCancelList)]
pub fn plan_cancel_list(
    bookings: &NativeBookingList,
    cancel: &JsValue,
    now: &JsValue,
) -> Result<JsValue> {
    let refs: Vec<&Booking> = bookings.0.iter().collect();
    let cancel = self::cancel(cancel)?;
    cancel_result(js(series::plan_cancel(
        &refs,
        &cancel,
        instant(now, "now")?,
    ))?)
}

/// Cancel occurrences of a series in `ledger` through the lifecycle
/// (`hcas_core::series::cancel_occurrences`).
#[wasm_bindgen(js_name = cancelOccurrences)]
pub fn cancel_occurrences(
    ledger: &mut NativeLedger,
    cancel: &JsValue,
    now: &JsValue,
) -> Result<JsValue> {
    let cancel = self::cancel(cancel)?;
    let now = instant(now, "now")?;
    cancel_result(js(series::cancel_occurrences(&mut ledger.0, &cancel, now))?)
}

/// The bookings of series `series_id` in `ledger` (any status), by start, then id.
#[wasm_bindgen(js_name = seriesBookings)]
pub fn series_bookings(ledger: &NativeLedger, series_id: &str) -> Vec<NativeBooking> {
    series::series_bookings(&ledger.0, series_id)
        .into_iter()
        .map(|b| NativeBooking(b.clone()))
        .collect()
}
