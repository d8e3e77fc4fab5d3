// How bin/minicoin.js starts the daemon from its one-script build: V8 flags
// the daemon sets for itself first, then the script through its code cache.
// The order matters: V8 stamps a code cache with a hash of its flags and
// rejects one made under others, and the cache is made after the daemon's
// start, when the flags are set. Set after compiling, the flag made every
// start reject the cache the start before wrote, and write it again.
import { boundHeapGrowth } from '../src/cli/heap-growth.mjs'
import { runCachedScript } from './code-cache.mjs'

/** Runs the daemon's script `file` with its flags in force; returns what runCachedScript returns. */
export function runDaemonScript (file, { env = process.env, readyEvent } = {}) {
  boundHeapGrowth(env)
  return runCachedScript(file, { enabled: env.MINICOIN_CODE_CACHE !== '0', ...(readyEvent === undefined ? {} : { readyEvent }) })
}
