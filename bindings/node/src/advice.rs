//! Why a start is or is not offered, and the nearest free alternatives
//! (`hcas_core::advice`), behind the package's `Availability#explain`,
//! `Availability#explainWithLedger`, `alternatives` and `alternativesAsync`
//! (index.js). Conversions only.
//!
//! An explanation goes back as JSON text the wrapper freezes: instants as
//! ISO strings in UTC, intervals as `{ start, end }`, the grid step in
//! minutes, and the package's names for the fields: a conflict names the
//! bookings that take its resource `bookings`, as `Ledger#check` does (the
//! engine's serde name is `with`), and the engine's `local_date` and
//! `override_date` are `localDate` and `overrideDate`.

use hcas_core::advice::{
    self, AlternativeSearch, Alternatives, Explanation, LedgerContext, Reason,
};
use hcas_core::booking::{Ledger, Request};
use hcas_core::{Availability, Error, ErrorCode, Interval};
use napi::Task;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use serde_json::{Map, Value, json};
use std::sync::Arc;

use crate::booking::NativeLedger;
use crate::typed::{InstantArg, NativeAvailability, NativeSlotOptions, instant, iso, minutes};
use crate::{Result, rejection, to_js};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| to_js(&e))
}

/// The wire names of every reason a start is not offered, in the engine's
/// order (`hcas_core::advice::Reason`'s serde tags).
const REASONS: [&str; 9] = [
    "outside_query",
    "before_notice",
    "beyond_horizon",
    "outside_working_hours",
    "does_not_fit",
    "off_grid",
    "busy",
    "buffer",
    "conflict",
];

/// `[start, end)` as `{ start, end }` of ISO strings.
fn interval(iv: &Interval) -> Value {
    json!({ "start": iv.start().to_string(), "end": iv.end().to_string() })
}

/// One reason as the package's object: `reason` (the engine's wire name)
/// and the fields that reason carries.
fn reason(r: &Reason) -> Value {
    let engine = serde_json::to_value(r).unwrap_or(Value::Null);
    let name = engine.get("reason").cloned().unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("reason".to_string(), name);
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    match r {
        Reason::OutsideQuery { from, to } => {
            put("from", from.to_string().into());
            put("to", to.to_string().into());
        }
        Reason::BeforeNotice { earliest } => put("earliest", earliest.to_string().into()),
        Reason::BeyondHorizon { latest } => put("latest", latest.to_string().into()),
        Reason::OutsideWorkingHours {
            local_date,
            override_date,
            nearest,
        } => {
            put("localDate", local_date.to_string().into());
            put("overrideDate", (*override_date).into());
            put("nearest", nearest.iter().map(interval).collect());
        }
        Reason::DoesNotFit { window } => put("window", interval(window)),
        Reason::OffGrid {
            window,
            step,
            previous,
            next,
        } => {
            put("window", interval(window));
            put("step", step.get().into());
            put("previous", previous.to_string().into());
            put("next", next.to_string().into());
        }
        Reason::Busy { interval: iv } | Reason::Buffer { interval: iv } => {
            put("interval", interval(iv));
        }
        Reason::Conflict(c) => {
            put("resource", c.resource.clone().into());
            put("bookings", c.with.clone().into());
        }
        // A reason this binding does not know yet: the engine's own shape.
        _ => return engine,
    }
    Value::Object(out)
}

/// An explanation as JSON text of `{ start, offered, reasons }`.
fn explanation(why: &Explanation) -> String {
    let reasons: Vec<Value> = why.reasons.iter().map(reason).collect();
    json!({ "start": why.start.to_string(), "offered": why.offered, "reasons": reasons })
        .to_string()
}

/// Why `at` is or is not among `availability`'s slots for the query of
/// `slots` (`[start, end)`, `duration` minutes, options): JSON text of
/// `{ start, offered, reasons }` (`Availability::explain`).
#[napi]
pub fn explain_json(
    availability: &NativeAvailability,
    at: InstantArg,
    start: InstantArg,
    end: InstantArg,
    duration: f64,
    options: Option<NativeSlotOptions>,
) -> Result<String> {
    let query = NativeAvailability::query(&start, &end, duration, options.as_ref())?;
    let at = instant(&at, "at")?;
    Ok(explanation(&js(availability.0.explain(at, &query))?))
}

/// As [`explain_json`], adding the conflicts `ledger` has, at the instant
/// `now`, for the `resources` the appointment would use (`conflict` reasons,
/// by resource; `hcas_core::advice::explain_with_ledger`).
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn explain_with_ledger_json(
    availability: &NativeAvailability,
    ledger: &NativeLedger,
    resources: Vec<String>,
    now: InstantArg,
    at: InstantArg,
    start: InstantArg,
    end: InstantArg,
    duration: f64,
    options: Option<NativeSlotOptions>,
) -> Result<String> {
    let query = NativeAvailability::query(&start, &end, duration, options.as_ref())?;
    let at = instant(&at, "at")?;
    let now = instant(&now, "now")?;
    let context = LedgerContext::new(&ledger.0, &resources, now);
    Ok(explanation(&js(advice::explain_with_ledger(
        &availability.0,
        &context,
        at,
        &query,
    ))?))
}

/// The nearest free starts on each side of a request, nearest first, as ISO
/// strings in UTC, one per line.
#[napi(object, object_from_js = false)]
pub struct NativeAlternatives {
    /// Free starts before the request's start, nearest first.
    pub before: String,
    /// Free starts after the request's start, nearest first.
    pub after: String,
}

impl From<&Alternatives> for NativeAlternatives {
    fn from(a: &Alternatives) -> Self {
        Self {
            before: iso(&a.before),
            after: iso(&a.after),
        }
    }
}

/// The search of an `alternatives` call, as the wrapper passes it.
#[napi(object, object_to_js = false)]
pub struct NativeAlternativeSearch {
    /// The current instant (no start before it is offered).
    pub now: InstantArg,
    /// Most starts to find on each side (at least 1).
    pub count: u32,
    /// Minutes between candidate starts (default: the request's length).
    pub step: Option<f64>,
    /// How far to search on each side, in days (1 to 200, default 7).
    pub search_days: Option<i64>,
}

/// The engine's search of an `alternatives` call (also `SeriesSpec#addAlternatives`'s).
pub(crate) fn alternative_search(search: &NativeAlternativeSearch) -> Result<AlternativeSearch> {
    let count = usize::try_from(search.count).map_err(|_| {
        to_js(&Error::new(
            ErrorCode::InvalidRequest,
            "count: too many starts for this machine",
        ))
    })?;
    let mut s = AlternativeSearch::new(instant(&search.now, "now")?, count);
    if let Some(step) = search.step {
        s = s.step(minutes(step, "step")?);
    }
    if let Some(days) = search.search_days {
        s = s.search_days(days);
    }
    Ok(s)
}

/// The checked arguments of an `alternatives` call; the ledger is copied
/// (an async call must not see later changes to it).
pub struct AlternativesTask {
    avail: Arc<Availability>,
    ledger: Ledger,
    request: Request,
    search: AlternativeSearch,
}

impl AlternativesTask {
    /// Check the arguments.
    fn new(
        availability: &NativeAvailability,
        ledger: &NativeLedger,
        resources: Vec<String>,
        start: &InstantArg,
        end: &InstantArg,
        search: &NativeAlternativeSearch,
    ) -> Result<Self> {
        let iv = js(Interval::new(
            instant(start, "start")?,
            instant(end, "end")?,
        ))?;
        Ok(Self {
            avail: Arc::clone(&availability.0),
            ledger: ledger.0.clone(),
            request: Request::new(resources, iv),
            search: alternative_search(search)?,
        })
    }

    /// The engine's answer.
    fn run(&self) -> hcas_core::Result<Alternatives> {
        advice::alternatives(&self.avail, &self.ledger, &self.request, &self.search)
    }
}

/// Up to `search.count` free starts before and after a request for
/// `resources` over `[start, end)`, for the same resources and length:
/// inside `availability`'s working windows, free in `ledger` at
/// `search.now` (no start before it), within `search.searchDays` days either
/// side (`hcas_core::advice::alternatives`).
#[napi]
pub fn alternatives(
    availability: &NativeAvailability,
    ledger: &NativeLedger,
    resources: Vec<String>,
    start: InstantArg,
    end: InstantArg,
    search: NativeAlternativeSearch,
) -> Result<NativeAlternatives> {
    let task = AlternativesTask::new(availability, ledger, resources, &start, &end, &search)?;
    Ok(NativeAlternatives::from(&js(task.run())?))
}

/// As [`alternatives`], answering a Promise computed on the libuv thread
/// pool (with a copy of the ledger taken at the call).
#[napi]
pub fn alternatives_async(
    availability: &NativeAvailability,
    ledger: &NativeLedger,
    resources: Vec<String>,
    start: InstantArg,
    end: InstantArg,
    search: NativeAlternativeSearch,
) -> Result<AsyncTask<AlternativesTask>> {
    let task = AlternativesTask::new(availability, ledger, resources, &start, &end, &search)?;
    Ok(AsyncTask::new(task))
}

#[napi]
impl Task for AlternativesTask {
    type Output = hcas_core::Result<Alternatives>;
    type JsValue = NativeAlternatives;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: napi::Env, out: Self::Output) -> napi::Result<NativeAlternatives> {
        out.map(|a| NativeAlternatives::from(&a))
            .map_err(|e| rejection(env, &e))
    }
}

/// The wire names of every reason a start is not offered, in the engine's order.
#[napi]
pub fn reasons() -> Vec<String> {
    REASONS.iter().map(|s| (*s).to_string()).collect()
}
