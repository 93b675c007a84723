// @hcas/engine-wasm: time-zone data loaded at run time (docs/wasm.md, "Zones
// on demand"). Both modules are built with no zone but UTC inside (unless
// HCAS_WASM_ZONES embeds some) and with hcas-core's `zone-registry`; the
// package ships one `.hcz` file per IANA zone (zones/<Area>/<City>.hcz,
// written by hcas-core's `zonedata` example from the same chrono-tz) and
// zones.bin, all of them in one file.
//
// `zoneApi(w, wrapper, zoneUrl)` answers the package's calls over the
// wasm-bindgen module `w`:
// - registerZone(bytes): the data of one zone made known to every call of
//   this module; answers the zone's name. Refused data throws the wrapper's
//   InvalidTimezoneError (code `invalid_timezone`) with `reason`, the stable
//   ZoneDataCode (`bad_magic`, `tzdb_mismatch`, `truncated`, ...).
// - loadZone(name) / loadZones(names): async; a zone the module already knows
//   (built in, or loaded before) answers at once, else its file
//   `zoneUrl(name)` is fetched once and registered.
// - registerBundle(bytes): every zone of a zones.bin (the Node entries call
//   it at import, Deno's browser entry too): records of a 4-byte
//   little-endian length and that many bytes of one `.hcz`.
//
// The build script (bindings/wasm/build) puts this text into the entries
// after js/adapter.js; it defines one function and uses no module system.

/* eslint-disable no-unused-vars */
function zoneApi(w, wrapper, zoneUrl) {
  /** IANA spelling only: no `.`, so a name can never leave the zones/ directory. */
  const NAME = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/
  /** name -> the Promise of its loading (kept once it succeeded). */
  const pending = new Map()

  /** The wrapper's error class of `code` with `message` (after the wrapper loaded). */
  function classed(code, message, cause) {
    // While the wrapper itself is loading (zones.bin registered at import),
    // its classes are not there yet: a plain Error with the code.
    const h = wrapper() ?? {}
    const cls = code === 'invalid_timezone' ? h.InvalidTimezoneError : h.InvalidRequestError
    const e = typeof cls === 'function' ? new cls(message) : Object.assign(new Error(message), { code })
    if (cause !== undefined) {
      if (typeof cause.reason === 'string') e.reason = cause.reason
      Object.defineProperty(e, 'cause', { value: cause, enumerable: false, writable: true, configurable: true })
    }
    return e
  }

  function registerZone(bytes) {
    if (!(bytes instanceof Uint8Array)) {
      throw classed('invalid_request', 'registerZone: bytes must be a Uint8Array (the contents of a .hcz file)')
    }
    try {
      return w.registerZone(bytes)
    } catch (err) {
      throw err && err.code === 'invalid_timezone' ? classed('invalid_timezone', err.message, err) : err
    }
  }

  /** Whether the module answers for `name` now (built in or registered). */
  function known(name) {
    try {
      new w.NativeZone(name).free()
      return true
    } catch {
      return false
    }
  }

  async function fetchAndRegister(name) {
    // The Node entries registered every zone the package has at import.
    if (zoneUrl === null) {
      throw classed('invalid_timezone', `\`${name}\` is not an IANA time zone name (like America/New_York or UTC)`)
    }
    const url = zoneUrl(name)
    let res
    try {
      res = await fetch(url)
    } catch (err) {
      throw classed('invalid_timezone', `could not fetch the data of zone \`${name}\` from ${url}: ${err && err.message}`)
    }
    if (!res.ok) {
      throw classed(
        'invalid_timezone',
        `\`${name}\` is not an IANA time zone name this package has data for (${url}: HTTP ${res.status})`,
      )
    }
    const got = registerZone(new Uint8Array(await res.arrayBuffer()))
    if (got !== name) throw classed('invalid_timezone', `${url} holds the zone \`${got}\`, not \`${name}\``)
    return name
  }

  function loadZone(name) {
    if (typeof name !== 'string' || !NAME.test(name)) {
      return Promise.reject(classed('invalid_timezone', `loadZone: \`${name}\` is not an IANA time zone name (like America/New_York or UTC)`))
    }
    let p = pending.get(name)
    if (p === undefined) {
      p = known(name) ? Promise.resolve(name) : fetchAndRegister(name)
      pending.set(name, p)
      // A failed load may be retried (the network may come back).
      p.catch(() => pending.delete(name))
    }
    return p
  }

  function loadZones(names) {
    if (!Array.isArray(names)) return Promise.reject(classed('invalid_request', 'loadZones: names must be an array of zone names'))
    return Promise.all(names.map(loadZone))
  }

  function registerBundle(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let at = 0
    let count = 0
    while (at < bytes.byteLength) {
      if (at + 4 > bytes.byteLength) throw classed('invalid_timezone', `zones.bin: a record is cut short at byte ${at}`)
      const len = view.getUint32(at, true)
      at += 4
      if (at + len > bytes.byteLength) throw classed('invalid_timezone', `zones.bin: a record is cut short at byte ${at}`)
      registerZone(bytes.subarray(at, at + len))
      at += len
      count += 1
    }
    return count
  }

  return { registerZone, loadZone, loadZones, registerBundle }
}
