//! Why a start is or is not offered, and the nearest free alternatives
//! (`hcas_core::advice`), behind the package's `Availability#explain`,
//! `Availability#explainWithLedger`, `alternatives` and `alternativesAsync`
//! (index.js). Argument extraction, error mapping and the napi task only:
//! an explanation's JSON text (instants as ISO strings in UTC, intervals as
//! `{ start, end }`, the package's field names), the alternatives' shape and
//! the list of reasons are `hcas_js_shapes::advice`'s, which the wasm
//! binding calls too, so the two answer the same text.

use hcas_core::advice::{self, AlternativeSearch, Alternatives, LedgerContext};
use hcas_core::booking::{Ledger, Request};
use hcas_core::{Availability, Error, ErrorCode, Interval};
use hcas_js_shapes::advice::{self as shapes, AlternativesOut, explanation};
use napi::Task;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use std::sync::Arc;

use crate::booking::NativeLedger;
use crate::typed::{InstantArg, NativeAvailability, NativeSlotOptions, instant, minutes};
use crate::{Result, rejection, to_js};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| to_js(&e))
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

impl From<AlternativesOut> for NativeAlternatives {
    fn from(a: AlternativesOut) -> Self {
        Self {
            before: a.before,
            after: a.after,
        }
    }
}

impl From<&Alternatives> for NativeAlternatives {
    fn from(a: &Alternatives) -> Self {
        Self::from(shapes::alternatives(a))
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
    shapes::REASONS.iter().map(|s| (*s).to_string()).collect()
}
