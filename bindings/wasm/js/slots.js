// @hcas/engine-wasm/slots: the API of the slots module, the small one of the
// package's two WebAssembly modules (docs/wasm.md, "Two modules"). The
// module (bindings/wasm built without the `typed` feature) holds the text
// level and the typed zones, recurrences, availability and pooled slots; the
// Node package's wrapper (bindings/node/index.js) runs over it through
// js/adapter.js as over the full module, and `slotsApi` answers only what the
// slots module can serve, so the ledger, lifecycle, series, explain, consent,
// waitlist and FHIR calls are not exported at all (an import of one is
// `undefined`, and a TypeScript error with slots/index.d.ts).
//
// The build script (bindings/wasm/build) puts this text into the slots
// entries for Node (CommonJS) and browsers (ES module), after the adapter; it
// defines one constant and one function and uses no module system of its own.

/* eslint-disable no-unused-vars */
/** The names the slots entries export, in the order of their `export const` list. */
const SLOTS_NAMES = [
  'evaluate',
  'evaluateAsync',
  'checkVector',
  'KINDS',
  'TZDB_VERSION',
  'ERROR_CODES',
  'version',
  'Zone',
  'Recurrence',
  'Availability',
  'pooledSlots',
  'pooledSlotsEpochMs',
  'pooledSlotsAsync',
  'HcasError',
  'InvalidRruleError',
  'InvalidTimezoneError',
  'InvalidDatetimeError',
  'InvalidIntervalError',
  'InvalidDurationError',
  'InvalidWindowError',
  'InvalidConsentError',
  'InvalidRequestError',
  'InvalidTransitionError',
  'NotPermittedError',
  'LimitExceededError',
  'registerZone',
  'loadZone',
  'loadZones',
]

/**
 * The slots API out of the wrapper's exports `h` (a wrapper instance of its
 * own, over the slots module): the names of `SLOTS_NAMES`, frozen, and
 * `Availability` without `explain` and `explainWithLedger` (the full
 * module's explain code).
 */
function slotsApi(h) {
  delete h.Availability.prototype.explain
  delete h.Availability.prototype.explainWithLedger
  const api = {}
  for (const name of SLOTS_NAMES) {
    if (h[name] === undefined) throw new Error(`@hcas/engine-wasm/slots: the wrapper has no ${name}`)
    api[name] = h[name]
  }
  return Object.freeze(api)
}
