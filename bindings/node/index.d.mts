// Type declarations of @hcas/engine's ESM entry (index.mjs): the same API as
// the CommonJS entry (index.d.ts), which index.mjs re-exports.
export * from './index.js'
import * as hcas from './index.js'
export default hcas
