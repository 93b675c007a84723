// @hcas/engine, ESM entry: the CommonJS module `index.js` re-exported, so
// `import` and `require` share one module instance (the same classes).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const hcas = require('./index.js')

export const {
  evaluate,
  evaluateAsync,
  checkVector,
  KINDS,
  TZDB_VERSION,
  ERROR_CODES,
  version,
  Zone,
  Recurrence,
  Availability,
  pooledSlots,
  pooledSlotsEpochMs,
  pooledSlotsAsync,
  Booking,
  Ledger,
  STATUSES,
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
} = hcas
export default hcas
