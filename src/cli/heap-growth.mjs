// How far V8 lets the old space grow between major collections, for the
// daemon. By default V8 raises a heap's limit after each major GC by a factor
// it picks between 1.1 and 4 from how fast the program allocates; a syncing
// node allocates fast (every block decoded, verified, batched, written) and
// its decoded blocks live just long enough to be promoted, so the old space
// filled with garbage up to ~130 MiB over a live set of ~30 MiB, and the
// process sat at 450+ MiB RSS (BENCHMARKS.md, issue 12). A fixed factor of
// 1 + 20% keeps the old space within ~1.2× what is live, whatever the load.
//
// It is a growth factor, not a cap: a node whose live set is large (a full
// mempool costs ~7 heap bytes per byte it counts) still gets all the heap it
// needs, so no configuration can make it run out of heap. Unlike the heap
// size flags, V8 reads this one at every major GC, so the daemon sets it for
// itself at start (`v8.setFlagsFromString`): no Node flags, no re-exec (Node
// does not accept this flag in NODE_OPTIONS anyway). MINICOIN_HEAP_GROWING_PERCENT
// sets another percent (0: V8's own heuristic); a `--heap-growing-percent`
// on Node's command line wins over both.
//
// Plain JavaScript because bin/minicoin.js sets it before it compiles the
// daemon's script: V8 rejects a code cache made under other flags, and the
// cache is made after this is set (scripts/daemon-script.mjs).
import { constants, PerformanceObserver } from 'node:perf_hooks'
import v8 from 'node:v8'

export const HEAP_GROWING_PERCENT = 20

/** Sets V8's heap growing factor unless Node was given one; returns the percent in force (undefined: V8's own heuristic). */
export function boundHeapGrowth (env = process.env, execArgv = process.execArgv) {
  const given = execArgv.find(a => /^--heap[-_]growing[-_]percent=/.test(a))
  if (given !== undefined) return percentOrDefault(given.split('=')[1])
  const percent = env.MINICOIN_HEAP_GROWING_PERCENT === undefined ? HEAP_GROWING_PERCENT : percentOrDefault(env.MINICOIN_HEAP_GROWING_PERCENT)
  if (percent !== undefined) v8.setFlagsFromString(`--heap-growing-percent=${percent}`)
  return percent
}

/** A whole percent from 1 to 1000; anything else (0, garbage) leaves V8's heuristic. */
function percentOrDefault (text) {
  const n = Number(text)
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : undefined
}

// The main isolate's new space. V8 lets it grow to two 16 MiB semi-spaces
// (32 MiB) on this machine, and a syncing node reaches that within seconds;
// two 8 MiB ones took the syncing peak ~22 MiB lower (BENCHMARKS.md, issue
// 12). The size flag (--max-semi-space-size) only counts when the isolate
// is made, so it would take a Node flag, and a Node flag changes the hash
// V8 stamps on the code cache. The growth factor
// (--semi-space-growth-factor) is read at every growth, so the daemon sets
// it to 1: V8 does not grow the new space. The daemon grows it itself, one
// doubling at a time while that stays within the bound, when it allocates
// fast (GROW_SCAVENGES scavenges within a second, seen by a
// PerformanceObserver): factor 2, then short-lived objects held until a
// scavenge has grown the new space (V8 grows it once more than its size
// survived since the last growth), then factor 1 again, all in one
// synchronous call (`growOnce`, a few ms). A factor of 2 left in force
// between two looks was tried first: a syncing node's new space doubled
// twice within one busy stretch of the event loop and reached 32 MiB.
// V8 still shrinks the new space when the node idles (to whole pages); a
// size that cannot double within the bound stays.
//
// The factor is process-wide: a worker's isolate does not grow its new
// space either (the verify workers allocate little on their own heap),
// except when one of its collections falls within a window. And V8 sets a
// factor under 2 back to 2 whenever it makes an isolate, so each new
// Worker undoes it: the daemon writes it again when the worker is online
// and at every look; a growth V8 makes in between (from 8 MiB, past the
// bound) cannot be undone, and the figures show whether it happens.
//
// V8 hashes its flags into a code cache and rejects one made under other
// flags, so the script is compiled and its cache made with V8's default
// factor (`asCompiled`).
// MINICOIN_NEW_SPACE_MIB sets another bound in MiB (both semi-spaces, even,
// 2 to 64); 0 leaves V8 its own sizes, and so does a semi-space flag given
// to Node (command line or NODE_OPTIONS).
export const NEW_SPACE_MIB = 16
const DEFAULT_FACTOR = 2 // V8's --semi-space-growth-factor
const PAGE = 256 * 1024 // a new-space page; semi-spaces are whole pages
const MIB = 2 ** 20
const GROW_SCAVENGES = 10 // within a second: the node allocates fast enough that a larger new space pays
const ARRAY_BYTES = 8 * 1024 // new Array(1020): a regular new-space object (a large one would go to the large-object space)

function newSpaceStatistics () {
  return v8.getHeapSpaceStatistics().find(x => x.space_name === 'new_space')
}

/** One semi-space's capacity in bytes, as V8 reports it (usable area rounded up to whole pages). */
function semiSpaceBytes () {
  const s = newSpaceStatistics()
  if (s === undefined) return undefined
  return Math.ceil((s.space_used_size + s.space_available_size) / PAGE) * PAGE
}

/** Whether a semi-space of `semi` bytes may double and stay within `limit` bytes. */
export function mayDouble (semi, limit) {
  return 2 * semi <= limit
}

/**
 * Under factor 2: holds new objects until a scavenge has grown the new space
 * (more than its size survived), then drops them. At most 4 semi-spaces of
 * them.
 */
function growOnce (semi) {
  const hold = []
  for (let bytes = 0; bytes < 4 * semi; bytes += ARRAY_BYTES) {
    hold.push(new Array(1020))
    if (hold.length % 64 === 0 && semiSpaceBytes() !== semi) return
  }
}

// One bound a process: the daemon's build bundles its own copy of this
// module, which must find the one bin/minicoin.js set up.
const ACTIVE = Symbol.for('minicoin.newSpaceBound')

/**
 * Keeps the main isolate's new space within `MINICOIN_NEW_SPACE_MIB` (default
 * NEW_SPACE_MIB) unless Node was given a semi-space flag. Once per process.
 * Returns undefined when off, else { mib, asCompiled(fn), stop() }:
 * asCompiled runs fn with V8's default growth factor (the code cache is made and checked under the same flags).
 */
export function boundNewSpace (env = process.env, execArgv = process.execArgv) {
  if (globalThis[ACTIVE] !== undefined) return globalThis[ACTIVE]
  const semiFlag = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/
  if (execArgv.some(a => semiFlag.test(a)) || semiFlag.test(env.NODE_OPTIONS ?? '')) return undefined
  const mib = env.MINICOIN_NEW_SPACE_MIB === undefined ? NEW_SPACE_MIB : Number(env.MINICOIN_NEW_SPACE_MIB)
  if (!(Number.isInteger(mib) && mib >= 2 && mib <= 64 && mib % 2 === 0)) return undefined
  const limit = (mib / 2) * MIB
  let factor = DEFAULT_FACTOR
  let compiling = false
  let growing = false
  let recent = [] // start times of the last second's scavenges, the daemon's own left out
  // Always written, never taken from `factor`: V8 puts a factor under 2 back to 2 whenever it makes an
  // isolate, so every Worker the daemon starts undoes it (seen: the verify workers let the new space grow to 32 MiB).
  const set = (f) => {
    v8.setFlagsFromString(`--semi-space-growth-factor=${f}`)
    factor = f
  }
  const steer = (list) => {
    if (compiling || growing) return
    set(1)
    const now = performance.now()
    recent = recent.filter(t => now - t < 1000)
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) recent.push(e.startTime)
    const semi = semiSpaceBytes()
    if (semi === undefined || !mayDouble(semi, limit) || recent.length < GROW_SCAVENGES) return
    growing = true
    set(DEFAULT_FACTOR)
    try {
      growOnce(semi)
    } finally {
      set(1)
      // this window's own scavenges are not the program's: they reach the observer later, so count from here
      recent = []
      setImmediate(() => { growing = false })
    }
  }
  const observer = new PerformanceObserver(steer)
  observer.observe({ entryTypes: ['gc'] })
  // a new Worker's isolate has reset the factor to 2 once it runs; the next collection's look would too, later
  const onWorker = (worker) => worker.once('online', () => { if (!compiling && !growing) set(1) })
  process.on('worker', onWorker)
  set(1)
  const bound = {
    mib,
    asCompiled (fn) {
      const was = factor
      compiling = true
      set(DEFAULT_FACTOR)
      try {
        return fn()
      } finally {
        compiling = false
        set(was)
      }
    },
    stop () {
      observer.disconnect()
      process.off('worker', onWorker)
      set(DEFAULT_FACTOR)
      globalThis[ACTIVE] = undefined
    }
  }
  globalThis[ACTIVE] = bound
  return bound
}
