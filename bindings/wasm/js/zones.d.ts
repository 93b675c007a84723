// Zone data loaded at run time (@hcas/engine-wasm only; docs/wasm.md "Zones on demand").
// Appended to the package's index.d.ts by bindings/wasm/build.

/**
 * Make one zone known to every call of this module from its `.hcz` data (the
 * package's `zones/<name>.hcz`, docs/zones.md); answers the zone's IANA name.
 * Throws `InvalidTimezoneError` whose `reason` is the stable reason the data
 * was refused (`bad_magic`, `tzdb_mismatch`, `truncated`, ...), and
 * `InvalidRequestError` when `bytes` is not a `Uint8Array`.
 */
export declare function registerZone(bytes: Uint8Array): string
/**
 * Load the zone `name` if this module does not know it yet: in a browser, fetch
 * `zones/<name>.hcz` beside the package's module once and register it. Node and
 * Deno register every zone at import, so there it only checks the name.
 * Rejects with `InvalidTimezoneError` for a name the package has no data for.
 */
export declare function loadZone(name: string): Promise<string>
/** `loadZone` for each name, in parallel; the names, in order. */
export declare function loadZones(names: readonly string[]): Promise<string[]>
