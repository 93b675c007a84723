// @hcas/engine-wasm: the stand-in for the napi addon (`native.js`) that the
// Node package's wrapper (bindings/node/index.js, shipped unchanged) loads.
// `makeNative(w, wrapper)` takes the wasm-bindgen module `w`
// (bindings/wasm/src) and a function answering the loaded wrapper's exports,
// and answers an object with the addon's surface for what this build holds:
// conversions only, every answer is the engine's.
//
// - Functions and classes with the addon's names and conventions come
//   straight from `w` (the Rust side mirrors the napi signatures).
// - The addon's `...Async` calls answer a Promise computed synchronously
//   (WebAssembly here runs on the calling thread; use a Worker to keep a
//   page responsive), settled with the same value or coded error.
// - Pooled queries gather the providers into a `NativePool` one by one, and
//   calls taking a list of bookings or consents gather them into a
//   `NativeBookingList` / `NativeConsentList` (a JS array of wasm-bindgen
//   objects can only be moved into Rust, which would free the wrapper's).
// - Anything else the wrapper reaches (FHIR beyond the Consent mapping,
//   `SeriesSpec#addAlternatives`) is not in this build: it loads, and throws an `invalid_request` error naming it
//   when CALLED, so the wrapper's constants and everything else keep working.
// - Over the slots module (built without the `typed` feature: no
//   `NativeLedger`), only the text level, the zones, recurrences,
//   availability and pooled slots, and the constants are given; the slots
//   entries (js/slots.js) export nothing that would reach the rest.
//
// The build script (bindings/wasm/build) puts this text into the package's
// entries for Node (CommonJS) and browsers (ES module); it defines one
// function and uses no module system of its own.

/* eslint-disable no-unused-vars */
function makeNative(w, wrapper) {
  /** A JS Error with an engine code, as the Rust side throws. */
  function coded(code, message) {
    const e = new Error(message)
    e.code = code
    return e
  }

  /** `f()` as a Promise: its value, or its error as the rejection. */
  function settle(f) {
    try {
      return Promise.resolve(f())
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** The pooled answer of `providers` (native availabilities) as a `NativePooled`, freed by `use`. */
  function pooled(providers, start, end, duration, options, use) {
    const pool = new w.NativePool()
    try {
      for (const p of providers) pool.add(p)
      const answer = pool.slots(start, end, duration, options)
      try {
        return use(answer)
      } finally {
        answer.free()
      }
    } finally {
      pool.free()
    }
  }

  function pooledSlots(providers, start, end, duration, options) {
    return pooled(providers, start, end, duration, options, (a) => ({
      starts: a.startsIso(),
      offsets: a.offsets(),
      members: a.members(),
    }))
  }

  function pooledSlotsEpochMs(providers, start, end, duration, options) {
    return pooled(providers, start, end, duration, options, (a) => ({
      starts: a.startsEpochMs(),
      offsets: a.offsets(),
      members: a.members(),
    }))
  }

  w.NativeRecurrence.prototype.betweenAsync = function betweenAsync(start, end, limit) {
    return settle(() => this.between(start, end, limit))
  }
  w.NativeAvailability.prototype.slotsAsync = function slotsAsync(start, end, duration, options) {
    return settle(() => this.slots(start, end, duration, options))
  }

  /** `use(list)` over a fresh `List` holding `items` (each `add`ed), freed after. */
  function withList(List, items, use) {
    const list = new List()
    try {
      for (const item of items ?? []) list.add(item)
      return use(list)
    } finally {
      list.free()
    }
  }

  const native = {
    // The text level.
    evaluateJson: w.evaluateJson,
    evaluateJsonAsync: (kind, input) => settle(() => w.evaluateJson(kind, input)),
    checkVectorJson: (kase, answer) => w.checkVectorJson(kase, answer) ?? null,
    // The typed level.
    NativeZone: w.NativeZone,
    NativeRecurrence: w.NativeRecurrence,
    NativeAvailability: w.NativeAvailability,
    pooledSlots,
    pooledSlotsEpochMs,
    pooledSlotsAsync: (...args) => settle(() => pooledSlots(...args)),
  }
  // The full module (feature `typed`): the ledger, lifecycle, explain,
  // series, consent and waitlist.
  if (typeof w.NativeLedger === 'function') Object.assign(native, typedNative())
  // The constants the wrapper reads when it loads.
  for (const name of [
    'kinds', 'errorCodes', 'tzdbVersion', 'version', 'statuses', 'idempotencyTtlSeconds', 'parties',
    'maxHoldMinutes', 'roles', 'categories', 'actions', 'purposes', 'effects', 'consentStatuses', 'bases',
    'appointmentKinds', 'refusalChecks', 'reasons', 'slotStatuses', 'errorSystem', 'searchPrefixes', 'maxCount',
  ]) {
    native[name] = w[name]
  }

  /** The addon's typed calls beyond slots, over the full module (patching its classes as needed). */
  function typedNative() {
    w.NativeLedger.prototype.check = function check(resources, start, end, now, exclude, extra) {
      return withList(w.NativeBookingList, extra, (l) => this.checkList(resources, start, end, now, exclude, l))
    }

    /** The addon's `NativeCompiledConsents` constructor (`new` answers the wasm object). */
    function NativeCompiledConsents(patient, consents, policy) {
      return withList(w.NativeConsentList, consents, (l) => new w.NativeCompiledConsents(patient, l, policy))
    }

    // The FHIR Consent mapping (the `fhir` feature of bindings/wasm, on in the
    // full module): a build without it throws the coded error of `missing`.
    if (typeof w.NativeConsent.fromFhir !== 'function') w.NativeConsent.fromFhir = missing('NativeConsent.fromFhir')
    if (typeof w.NativeConsent.prototype.toFhir !== 'function') w.NativeConsent.prototype.toFhir = missing('NativeConsent#toFhir')

    // SeriesSpec#addAlternatives and #recurrenceParts (the FHIR template's) are not here.
    for (const name of ['addAlternatives', 'recurrenceParts']) {
      if (typeof w.NativeSeriesSpec.prototype[name] !== 'function') w.NativeSeriesSpec.prototype[name] = missing(`NativeSeriesSpec#${name}`)
    }

    return {
      // The ledger and the lifecycle.
      NativeBooking: w.NativeBooking,
      NativeLedger: w.NativeLedger,
      // The waitlist.
      NativeWaitlist: w.NativeWaitlist,
      makeHoldBooking: w.makeHoldBooking,
      lifecyclePolicy: w.lifecyclePolicy,
      transition: w.transition,
      applyTransition: w.applyTransition,
      legalTargets: w.legalTargets,
      allowedActors: w.allowedActors,
      reasonRequired: w.reasonRequired,
      isTerminal: w.isTerminal,
      // Explain and alternatives.
      explainJson: w.explainJson,
      explainWithLedgerJson: w.explainWithLedgerJson,
      alternatives: w.alternatives,
      alternativesAsync: (...args) => settle(() => w.alternatives(...args)),
      // Series.
      NativeSeriesSpec: w.NativeSeriesSpec,
      planShift: (bookings, edit, now) => withList(w.NativeBookingList, bookings, (l) => w.planShiftList(l, edit, now)),
      shiftOccurrences: w.shiftOccurrences,
      planCancel: (bookings, cancel, now) => withList(w.NativeBookingList, bookings, (l) => w.planCancelList(l, cancel, now)),
      cancelOccurrences: w.cancelOccurrences,
      seriesBookings: w.seriesBookings,
      // Consent.
      NativeConsent: w.NativeConsent,
      NativeCompiledConsents,
      decideJson: (request, consents, policy) =>
        withList(w.NativeConsentList, consents, (l) => w.decideJsonList(request, l, policy)),
      bookingAllowedJson: (question, consents, policy) =>
        withList(w.NativeConsentList, consents, (l) => w.bookingAllowedJsonList(question, l, policy)),
    }
  }

  /**
   * What the wrapper reaches that this build lacks: a function (also a
   * class: `new` and static members) that throws a coded error when used.
   */
  function missing(name) {
    const fail = () => {
      const message = `${name} is not in the WebAssembly build of the hcas engine (docs/wasm.md lists what is); use @hcas/engine (Node) or the server`
      // The wrapper's own class (it is loaded by the time anything is called):
      // some of its calls reach the addon without mapping errors.
      const cls = wrapper().InvalidRequestError
      throw cls === undefined ? coded('invalid_request', message) : new cls(message)
    }
    return new Proxy(function () {}, {
      apply: fail,
      construct: fail,
      get: (target, key) => (typeof key === 'symbol' || key === 'prototype' ? target[key] : missing(`${name}.${key}`)),
    })
  }

  return new Proxy(native, {
    get: (target, key) => (key in target || typeof key === 'symbol' ? target[key] : missing(key)),
  })
}
