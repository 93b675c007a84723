//! The typed level's native classes, wrapped by the package's `Zone`,
//! `Recurrence` and `Availability` (index.js), which turn `Date`s into epoch
//! milliseconds and map errors to their classes. Conversions only: every
//! answer is the engine's.
//!
//! An instant arrives as epoch milliseconds (a number; sub-seconds are
//! truncated to the second, towards the past, as the engine keeps whole
//! seconds) or as an ISO 8601 instant string (`Timestamp::parse`). Wall times
//! are local ISO strings (`2026-03-07T02:30`). Instants go back as ISO strings
//! in UTC, or in bulk as a `Float64Array` of epoch milliseconds.
//!
//! The `...Async` methods check their arguments on the calling (JS) thread,
//! then run the engine's work as a napi `Task` on the libuv thread pool and
//! answer a Promise; the classes hold their engine values in `Arc`s so a task
//! shares them instead of copying.

use hcas_core::time::parse_local_datetime;
use hcas_core::{Availability, Error, ErrorCode, Minutes, Recurrence, SlotQuery, Timestamp, Zone};
use std::sync::Arc;

use hcas_core::PooledSlots;
pub(crate) use hcas_js_shapes::time::{self, iso};
use napi::Task;
use napi::bindgen_prelude::{AsyncTask, ClassInstance, Either, Float64Array, Uint32Array};
use napi_derive::napi;

use crate::{Result, coded_rejection, rejection, to_js};

/// An instant as the wrapper passes it: epoch milliseconds or an ISO string.
pub type InstantArg = Either<f64, String>;

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| to_js(&e))
}

/// An `invalid_*` error of `code` raised here.
fn error(code: ErrorCode, message: String) -> napi::Error<crate::Code> {
    to_js(&Error::new(code, message))
}

/// An instant argument named `name` (`hcas_js_shapes::time`'s rules,
/// shared with the wasm binding).
pub(crate) fn instant(v: &InstantArg, name: &str) -> Result<Timestamp> {
    match v {
        Either::A(ms) => js(time::instant_ms(*ms, name)),
        Either::B(text) => js(time::instant_text(text, name)),
    }
}

/// An optional instant argument.
fn opt_instant(v: Option<&InstantArg>, name: &str) -> Result<Option<Timestamp>> {
    v.map(|v| instant(v, name)).transpose()
}

/// Whole minutes named `name`: a fraction or a non-finite number is
/// `invalid_duration` (the engine's checks of sign and size come later).
pub(crate) fn minutes(v: f64, name: &str) -> Result<Minutes> {
    js(time::minutes(v, name))
}

/// Instants as epoch milliseconds, one typed array for the lot.
fn epoch_ms(items: &[Timestamp]) -> Float64Array {
    Float64Array::new(time::epoch_ms(items))
}

/// An IANA time zone of the engine's embedded tz database.
#[napi]
pub struct NativeZone(Zone);

#[napi]
impl NativeZone {
    /// The zone named `name` (`Europe/London`).
    #[napi(constructor)]
    pub fn new(name: String) -> Result<Self> {
        js(Zone::parse(&name)).map(Self)
    }

    /// The IANA name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.0.name().to_string()
    }

    /// The UTC offset in force at the instant `at`, in seconds east of UTC.
    #[napi]
    pub fn offset_at(&self, at: InstantArg) -> Result<i32> {
        Ok(self.0.offset_at(instant(&at, "at")?))
    }

    /// The wall time at the instant `at`, as `YYYY-MM-DDTHH:MM:SS`.
    #[napi]
    pub fn to_local(&self, at: InstantArg) -> Result<String> {
        let local = self.0.to_local(instant(&at, "at")?);
        Ok(local.format("%Y-%m-%dT%H:%M:%S").to_string())
    }

    /// The instant of the wall time `local`: in a DST gap it moves forward by
    /// the gap, in a fold it takes the earlier instant (RFC 5545).
    #[napi]
    pub fn resolve(&self, local: String) -> Result<String> {
        let l = js(parse_local_datetime(&local).map_err(|e| e.at("local")))?;
        Ok(self.0.resolve(l).to_string())
    }
}

/// A recurrence set: an RRULE from a wall-time `dtstart` in a zone, with
/// EXDATEs and RDATEs (wall times).
#[napi]
pub struct NativeRecurrence(pub(crate) Arc<Recurrence>);

#[napi]
impl NativeRecurrence {
    /// Parse and check the parts (errors name the offending argument).
    #[napi(constructor)]
    pub fn new(
        rrule: String,
        dtstart: String,
        zone: String,
        exdates: Vec<String>,
        rdates: Vec<String>,
    ) -> Result<Self> {
        js(hcas_js_shapes::typed::recurrence(
            &rrule, &dtstart, &zone, &exdates, &rdates,
        ))
        .map(|r| Self(Arc::new(r)))
    }

    /// The rule as normalised RRULE text.
    #[napi(getter)]
    pub fn rrule(&self) -> String {
        self.0.rule().to_string()
    }

    /// The checked arguments of a `between` call.
    fn between_args(
        &self,
        start: &InstantArg,
        end: &InstantArg,
        limit: Option<u32>,
    ) -> Result<BetweenTask> {
        Ok(BetweenTask {
            rec: Arc::clone(&self.0),
            from: instant(start, "start")?,
            to: instant(end, "end")?,
            limit: limit.map(|l| l as usize),
        })
    }

    /// Every occurrence in `[start, end)`, ascending, at most `limit`.
    fn occurrences(
        &self,
        start: &InstantArg,
        end: &InstantArg,
        limit: Option<u32>,
    ) -> Result<Vec<Timestamp>> {
        js(self.between_args(start, end, limit)?.run())
    }

    /// Every occurrence `t` with `start <= t < end`, ascending, at most
    /// `limit` of them, as ISO strings in UTC, one per line.
    #[napi]
    pub fn between(
        &self,
        start: InstantArg,
        end: InstantArg,
        limit: Option<u32>,
    ) -> Result<String> {
        Ok(iso(&self.occurrences(&start, &end, limit)?))
    }

    /// As `between`, as epoch milliseconds in one `Float64Array`.
    #[napi]
    pub fn between_epoch_ms(
        &self,
        start: InstantArg,
        end: InstantArg,
        limit: Option<u32>,
    ) -> Result<Float64Array> {
        Ok(epoch_ms(&self.occurrences(&start, &end, limit)?))
    }

    /// As `between`, answering a Promise computed on the libuv thread pool.
    #[napi]
    pub fn between_async(
        &self,
        start: InstantArg,
        end: InstantArg,
        limit: Option<u32>,
    ) -> Result<AsyncTask<BetweenTask>> {
        Ok(AsyncTask::new(self.between_args(&start, &end, limit)?))
    }
}

/// A recurrence's `between` on the libuv thread pool.
pub struct BetweenTask {
    rec: Arc<Recurrence>,
    from: Timestamp,
    to: Timestamp,
    limit: Option<usize>,
}

impl BetweenTask {
    /// The engine's answer.
    fn run(&self) -> hcas_core::Result<Vec<Timestamp>> {
        self.rec.between(self.from, self.to, self.limit)
    }
}

#[napi]
impl Task for BetweenTask {
    type Output = hcas_core::Result<Vec<Timestamp>>;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: napi::Env, out: Self::Output) -> napi::Result<String> {
        out.map(|v| iso(&v)).map_err(|e| rejection(env, &e))
    }
}

/// A slot query's optional parts, as the wrapper passes them.
#[napi(object)]
pub struct NativeSlotOptions {
    /// Minutes between candidate starts (default: the duration).
    pub step: Option<f64>,
    /// Minutes kept free before a slot.
    pub buffer_before: Option<f64>,
    /// Minutes kept free after a slot.
    pub buffer_after: Option<f64>,
    /// The current instant, for `min_notice` and `horizon`.
    pub now: Option<InstantArg>,
    /// Minutes after `now` before the first offered slot.
    pub min_notice: Option<f64>,
    /// Minutes after `now` from which nothing is offered.
    pub horizon: Option<f64>,
}

/// A provider's availability: working rules, date overrides and busy
/// intervals in a zone.
#[napi]
pub struct NativeAvailability(pub(crate) Arc<Availability>);

#[napi]
impl NativeAvailability {
    /// `rules_json` and `overrides_json` are JSON text of the `slots` input's
    /// `rules` and `overrides` (docs/vectors.md); `busy` is the busy
    /// intervals' instants as a flat list `[start0, end0, start1, end1, ...]`.
    #[napi(constructor)]
    pub fn new(
        zone: String,
        rules_json: String,
        overrides_json: String,
        busy: Vec<InstantArg>,
    ) -> Result<Self> {
        let built = hcas_js_shapes::typed::availability(
            &zone,
            &rules_json,
            &overrides_json,
            &busy,
            instant,
            |e| to_js(&e),
        )?;
        Ok(Self(Arc::new(built)))
    }

    /// The engine's query, validated.
    pub(crate) fn query(
        start: &InstantArg,
        end: &InstantArg,
        duration: f64,
        options: Option<&NativeSlotOptions>,
    ) -> Result<SlotQuery> {
        let mut query = SlotQuery::new(
            instant(start, "start")?,
            instant(end, "end")?,
            minutes(duration, "duration")?,
        );
        if let Some(o) = options {
            let zero = Minutes::new(0);
            let opt = |v: Option<f64>, name: &str| v.map(|v| minutes(v, name)).transpose();
            query.step = opt(o.step, "step")?;
            query.buffer_before = opt(o.buffer_before, "bufferBefore")?.unwrap_or(zero);
            query.buffer_after = opt(o.buffer_after, "bufferAfter")?.unwrap_or(zero);
            query.now = opt_instant(o.now.as_ref(), "now")?;
            query.min_notice = opt(o.min_notice, "minNotice")?.unwrap_or(zero);
            query.horizon = opt(o.horizon, "horizon")?;
        }
        js(query.validate())?;
        Ok(query)
    }

    /// The offered slot starts in `[start, end)` for `duration` minutes, as
    /// ISO strings in UTC, one per line (docs/vectors.md, kind `slots`, for
    /// the rules).
    #[napi]
    pub fn slots(
        &self,
        start: InstantArg,
        end: InstantArg,
        duration: f64,
        options: Option<NativeSlotOptions>,
    ) -> Result<String> {
        let query = Self::query(&start, &end, duration, options.as_ref())?;
        Ok(iso(&js(self.0.slots(&query))?))
    }

    /// As `slots`, as epoch milliseconds in one `Float64Array`.
    #[napi]
    pub fn slots_epoch_ms(
        &self,
        start: InstantArg,
        end: InstantArg,
        duration: f64,
        options: Option<NativeSlotOptions>,
    ) -> Result<Float64Array> {
        let query = Self::query(&start, &end, duration, options.as_ref())?;
        Ok(epoch_ms(&js(self.0.slots(&query))?))
    }

    /// As `slots`, answering a Promise computed on the libuv thread pool.
    #[napi]
    pub fn slots_async(
        &self,
        start: InstantArg,
        end: InstantArg,
        duration: f64,
        options: Option<NativeSlotOptions>,
    ) -> Result<AsyncTask<SlotsTask>> {
        let query = Self::query(&start, &end, duration, options.as_ref())?;
        Ok(AsyncTask::new(SlotsTask {
            avail: Arc::clone(&self.0),
            query,
        }))
    }
}

/// An availability's `slots` on the libuv thread pool.
pub struct SlotsTask {
    avail: Arc<Availability>,
    query: SlotQuery,
}

#[napi]
impl Task for SlotsTask {
    type Output = hcas_core::Result<Vec<Timestamp>>;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.avail.slots(&self.query))
    }

    fn resolve(&mut self, env: napi::Env, out: Self::Output) -> napi::Result<String> {
        out.map(|v| iso(&v)).map_err(|e| rejection(env, &e))
    }
}

/// A pooled answer for the wrapper's `[{ start, providers }]` rows: the
/// starts as ISO strings in UTC, one per line, and the compressed rows of
/// [`NativePooledEpochMs`] (the wrapper builds the row objects: one object
/// per start made through Node-API costs more than the engine's answer).
#[napi(object, object_from_js = false)]
pub struct NativePooledRows {
    /// The distinct starts, ascending, as ISO strings, one per line.
    pub starts: String,
    /// One more entry than `starts`: where each start's members begin.
    pub offsets: Uint32Array,
    /// Provider indexes, each start's ascending.
    pub members: Uint32Array,
}

/// A pooled answer in bulk (`hcas_core::PooledSlots`' compressed rows): start
/// `i` (epoch milliseconds) is offered by `members[offsets[i]..offsets[i + 1]]`.
#[napi(object, object_from_js = false)]
pub struct NativePooledEpochMs {
    /// The distinct starts, ascending, as epoch milliseconds.
    pub starts: Float64Array,
    /// One more entry than `starts`: where each start's members begin.
    pub offsets: Uint32Array,
    /// Provider indexes, each start's ascending.
    pub members: Uint32Array,
}

/// The pooled answer as ISO starts and compressed rows.
fn pooled_rows(p: &PooledSlots) -> Result<NativePooledRows> {
    let (offsets, members) = compressed(p)?;
    Ok(NativePooledRows {
        starts: iso(p.starts()),
        offsets,
        members,
    })
}

/// The offsets and members of a pooled answer's rows.
fn compressed(p: &PooledSlots) -> Result<(Uint32Array, Uint32Array)> {
    let mut offsets = Vec::with_capacity(p.len() + 1);
    let mut members = Vec::new();
    offsets.push(0);
    for (_, m) in p.iter() {
        members.extend_from_slice(m);
        // The engine counts its members in u32 too, so this always fits.
        let end = u32::try_from(members.len()).map_err(|_| {
            error(
                ErrorCode::LimitExceeded,
                "a pooled answer holds more than 2^32 (start, provider) pairs".to_string(),
            )
        })?;
        offsets.push(end);
    }
    Ok((Uint32Array::new(offsets), Uint32Array::new(members)))
}

/// The pooled answer as typed arrays.
fn pooled_epoch_ms(p: &PooledSlots) -> Result<NativePooledEpochMs> {
    let (offsets, members) = compressed(p)?;
    Ok(NativePooledEpochMs {
        starts: epoch_ms(p.starts()),
        offsets,
        members,
    })
}

/// The checked arguments of a pooled query.
fn pooled_args(
    providers: &[ClassInstance<NativeAvailability>],
    start: &InstantArg,
    end: &InstantArg,
    duration: f64,
    options: Option<&NativeSlotOptions>,
) -> Result<PooledTask> {
    Ok(PooledTask {
        pool: providers.iter().map(|p| Arc::clone(&p.0)).collect(),
        query: NativeAvailability::query(start, end, duration, options)?,
    })
}

/// Pooled slots ("any doctor of this specialty", `hcas_core::pooled_slots`):
/// the query of `slots` over several providers, each start (ISO string in
/// UTC) with the indexes of the providers free at it, in the order given, as
/// [`NativePooledRows`] (the wrapper makes them `[{ start, providers }]`).
#[napi]
pub fn pooled_slots(
    providers: Vec<ClassInstance<NativeAvailability>>,
    start: InstantArg,
    end: InstantArg,
    duration: f64,
    options: Option<NativeSlotOptions>,
) -> Result<NativePooledRows> {
    let task = pooled_args(&providers, &start, &end, duration, options.as_ref())?;
    pooled_rows(&js(task.run())?)
}

/// As `pooled_slots`, as typed arrays (compressed rows, epoch milliseconds).
#[napi]
pub fn pooled_slots_epoch_ms(
    providers: Vec<ClassInstance<NativeAvailability>>,
    start: InstantArg,
    end: InstantArg,
    duration: f64,
    options: Option<NativeSlotOptions>,
) -> Result<NativePooledEpochMs> {
    let task = pooled_args(&providers, &start, &end, duration, options.as_ref())?;
    pooled_epoch_ms(&js(task.run())?)
}

/// As `pooled_slots`, answering a Promise computed on the libuv thread pool.
#[napi]
pub fn pooled_slots_async(
    providers: Vec<ClassInstance<NativeAvailability>>,
    start: InstantArg,
    end: InstantArg,
    duration: f64,
    options: Option<NativeSlotOptions>,
) -> Result<AsyncTask<PooledTask>> {
    let task = pooled_args(&providers, &start, &end, duration, options.as_ref())?;
    Ok(AsyncTask::new(task))
}

/// A pooled query on the libuv thread pool.
pub struct PooledTask {
    pool: Vec<Arc<Availability>>,
    query: SlotQuery,
}

impl PooledTask {
    /// The engine's answer.
    fn run(&self) -> hcas_core::Result<PooledSlots> {
        hcas_core::pooled_slots(&self.pool, &self.query)
    }
}

#[napi]
impl Task for PooledTask {
    type Output = hcas_core::Result<PooledSlots>;
    type JsValue = NativePooledRows;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.run())
    }

    fn resolve(&mut self, env: napi::Env, out: Self::Output) -> napi::Result<NativePooledRows> {
        let p = out.map_err(|e| rejection(env, &e))?;
        pooled_rows(&p).map_err(|e| coded_rejection(env, e))
    }
}
