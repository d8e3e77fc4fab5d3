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
