// Type declarations of @hcas/engine-wasm/slots (slots/index.js, slots/index.mjs,
// slots/browser.mjs): the slots module's API, a part of the full package's
// (../index.d.ts, the Node package's declarations). The ledger, lifecycle,
// series, explain, consent, waitlist and FHIR calls are the full module's
// (`@hcas/engine-wasm`) and are not declared here, so using one is a type
// error. Keep the value names in step with SLOTS_NAMES in js/slots.js.
import type { BusyInterval, DateOverrideSpec, Instant, PooledSlot, PooledSlotsEpochMs, SlotOptions, WorkingRuleSpec, Zone } from '../index.js'

export type {
  BusyInterval,
  DateOverrideSpec,
  ErrorCode,
  Instant,
  JsonObject,
  JsonValue,
  PooledSlot,
  PooledSlotsEpochMs,
  SlotOptions,
  WallTime,
  WorkingRuleSpec,
} from '../index.js'
export {
  evaluate,
  evaluateAsync,
  checkVector,
  KINDS,
  TZDB_VERSION,
  ERROR_CODES,
  version,
  Zone,
  Recurrence,
  HcasError,
  InvalidRruleError,
  InvalidTimezoneError,
  InvalidDatetimeError,
  InvalidIntervalError,
  InvalidDurationError,
  InvalidWindowError,
  InvalidConsentError,
  InvalidRequestError,
  InvalidTransitionError,
  NotPermittedError,
  LimitExceededError,
  registerZone,
  loadZone,
  loadZones,
} from '../index.js'

/**
 * A provider's availability in `zone`: the full package's `Availability`
 * without `explain` and `explainWithLedger` (the full module's).
 */
export declare class Availability {
  constructor(
    zone: string | Zone,
    parts?: { rules?: WorkingRuleSpec[]; overrides?: DateOverrideSpec[]; busy?: BusyInterval[] },
  )
  /**
   * The offered slot starts in `[start, end)` for `duration` minutes, as ISO
   * strings in UTC (the rules of docs/vectors.md, kind `slots`).
   */
  slots(start: Instant, end: Instant, duration: number, options?: SlotOptions): string[]
  /** As `slots`, as epoch milliseconds in one `Float64Array`. */
  slotsEpochMs(start: Instant, end: Instant, duration: number, options?: SlotOptions): Float64Array
  /** As `slots`, as a Promise (computed on the calling thread); rejects with an `HcasError` subclass. */
  slotsAsync(start: Instant, end: Instant, duration: number, options?: SlotOptions): Promise<string[]>
}

/**
 * Pooled slots ("any doctor of this specialty"): the query of
 * `Availability.slots` over several providers, each start with the indexes of
 * the providers free at it.
 */
export declare function pooledSlots(
  providers: readonly Availability[],
  start: Instant,
  end: Instant,
  duration: number,
  options?: SlotOptions,
): PooledSlot[]
/** As `pooledSlots`, in bulk as typed arrays (compressed rows). */
export declare function pooledSlotsEpochMs(
  providers: readonly Availability[],
  start: Instant,
  end: Instant,
  duration: number,
  options?: SlotOptions,
): PooledSlotsEpochMs
/** As `pooledSlots`, as a Promise (computed on the calling thread); rejects with an `HcasError` subclass. */
export declare function pooledSlotsAsync(
  providers: readonly Availability[],
  start: Instant,
  end: Instant,
  duration: number,
  options?: SlotOptions,
): Promise<PooledSlot[]>
