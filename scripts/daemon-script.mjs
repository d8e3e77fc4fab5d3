// How bin/minicoin.js starts the daemon from its one-script build: V8 flags
// the daemon sets for itself first, then the script through its code cache.
// The order matters: V8 stamps a code cache with a hash of its flags and
// rejects one made under others, and the cache is made after the daemon's
// start, when the flags are set. Set after compiling, the flag made every
// start reject the cache the start before wrote, and write it again. The
// new-space bound changes a flag while the daemon runs; the script is
// compiled and its cache made with that flag as V8 has it by default.
import { boundHeapGrowth, boundNewSpace } from '../src/cli/heap-growth.mjs'
import { runCachedScript } from './code-cache.mjs'

/** Runs the daemon's script `file` with its flags in force; returns what runCachedScript returns. */
export function runDaemonScript (file, { env = process.env, readyEvent } = {}) {
  boundHeapGrowth(env)
  const newSpace = boundNewSpace(env)
  return runCachedScript(file, {
    enabled: env.MINICOIN_CODE_CACHE !== '0',
    ...(readyEvent === undefined ? {} : { readyEvent }),
    ...(newSpace === undefined ? {} : { asCompiled: newSpace.asCompiled })
  })
}
