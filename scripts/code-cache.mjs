// Runs a build script (a CommonJS-style function expression that esbuild
// wrote, scripts/build.mjs) through vm.Script with a V8 code cache next to
// it. Node 20 has no module compile cache (22's module.enableCompileCache),
// so without one every daemon start parses and compiles the ~2 MB it runs;
// with one, V8 deserializes the bytecode of the functions the last start
// ran instead.
//
// The cache file: MAGIC, a SHA-256 of the script's bytes with the Node
// version and architecture (V8 itself only compares the source's length,
// so a rebuilt script of the same length would otherwise get the old
// bytecode), a SHA-256 of the V8 data (a damaged file is never handed to
// V8), then the data. Missing, stale, damaged or rejected by V8 (other V8
// flags): the script is compiled from its source, and the cache is written
// anew once the program says it is ready (`readyEvent` on `process`), so the
// functions its start ran are in it. A program that changes V8 flags while
// it runs passes `asCompiled`, which runs a function under the flags the
// script is compiled with: the cache is checked and made under it, so both
// carry the same flag hash. A cache that cannot be read or written
// (read-only installation, full disk) only costs that start its speed.
import { createHash } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { pathToFileURL } from 'node:url'
import vm from 'node:vm'

const MAGIC = Buffer.from('MCVMC001')
const HASH = 32
const HEADER = MAGIC.length + 2 * HASH

/** The key a cache must carry for this script on this Node. */
export function cacheKey (bytes) {
  return createHash('sha256').update(bytes).update(`\0${process.version}\0${process.arch}`).digest()
}

/** V8's data from a cache file made for `key`, or why there is none. */
export function readCache (cacheFile, key) {
  let file
  try {
    file = readFileSync(cacheFile)
  } catch {
    return { state: 'missing' }
  }
  if (file.length <= HEADER || !file.subarray(0, MAGIC.length).equals(MAGIC)) return { state: 'corrupt' }
  if (!file.subarray(MAGIC.length, MAGIC.length + HASH).equals(key)) return { state: 'stale' }
  const data = file.subarray(HEADER)
  const digest = createHash('sha256').update(data).digest()
  if (!file.subarray(MAGIC.length + HASH, HEADER).equals(digest)) return { state: 'corrupt' }
  return { state: 'found', data }
}

/** Writes the cache whole or not at all (a temporary file renamed over it); false when it cannot. */
export function writeCache (cacheFile, key, data) {
  const tmp = `${cacheFile}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, Buffer.concat([MAGIC, key, createHash('sha256').update(data).digest(), data]), { mode: 0o644 })
    renameSync(tmp, cacheFile)
    return true
  } catch {
    try { rmSync(tmp, { force: true }) } catch {} // ENOTDIR and the like: there is no file
    return false
  }
}

/**
 * Compiles and runs `file`, a function expression taking (exports, require,
 * module, __filename, __dirname, importMetaUrl). Returns how the cache
 * served ('used', or why not: 'missing', 'stale', 'corrupt', 'rejected',
 * 'off'), the script's module.exports, and `saved`: whether a new cache was
 * written once `readyEvent` was emitted on `process` (false at once when
 * none is needed or `enabled` is false).
 */
export function runCachedScript (file, { cacheFile = file.replace(/\.js$/, '') + '.cache', readyEvent = 'minicoin:ready', enabled = true, asCompiled = fn => fn() } = {}) {
  const bytes = readFileSync(file)
  // The build writes ASCII only (escapes in strings, comments removed), so
  // latin1 is its exact text and skips UTF-8 decoding.
  const source = bytes.toString('latin1')
  const key = cacheKey(bytes)
  const found = enabled ? readCache(cacheFile, key) : { state: 'off' }
  const script = asCompiled(() => new vm.Script(source, {
    filename: file,
    cachedData: found.data,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
  }))
  const cache = found.state === 'found' ? (script.cachedDataRejected === true ? 'rejected' : 'used') : found.state
  let saved = Promise.resolve(false)
  if (cache !== 'used' && cache !== 'off') {
    // After the program's start, off its path: the bytecode of every
    // function the start compiled goes into the cache.
    saved = new Promise(resolve => {
      process.once(readyEvent, () => setImmediate(() => {
        try {
          resolve(writeCache(cacheFile, key, asCompiled(() => script.createCachedData())))
        } catch {
          resolve(false) // never an uncaught exception in the daemon for a cache
        }
      }))
    })
  }
  const module = { exports: {} }
  const run = script.runInThisContext()
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), pathToFileURL(file).href)
  return { cache, exports: module.exports, saved }
}
