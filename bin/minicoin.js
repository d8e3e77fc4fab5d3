#!/usr/bin/env node
// Runs the compiled build in dist/ (`npm run build`, which `npm ci` runs as the
// `prepare` script). Without a build, or when a file in src/ changed after the
// build started (a development checkout), it runs the TypeScript sources
// through tsx instead, which costs ~1.5 s more CPU at every start.
// MINICOIN_FROM_SOURCE=1 forces the sources.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildState } from '../scripts/build-state.mjs'

const root = new URL('../', import.meta.url)
if (process.env.MINICOIN_FROM_SOURCE !== '1' && buildState(root) === 'current') {
  const script = new URL('dist/cli/minicoin.script.js', root)
  const bundle = new URL('dist/cli/minicoin.bundle.js', root)
  // The daemon runs the one-script build with a V8 code cache
  // (scripts/code-cache.mjs; MINICOIN_CODE_CACHE=0 leaves the cache out);
  // other commands the split bundle, which loads only what the command
  // needs (`--version` reads 5 KB). tsc's modules when nothing was bundled.
  const command = process.argv.slice(2).find(a => a !== '--debug')
  if (command === 'node' && existsSync(script)) {
    const { runDaemonScript } = await import('../scripts/daemon-script.mjs')
    runDaemonScript(fileURLToPath(script))
  } else {
    await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js')
  }
} else {
  let register
  try {
    ({ register } = await import('tsx/esm/api'))
  } catch {
    process.stderr.write('minicoin: no current build in dist/ and tsx is not installed: run `npm ci` (or `npm run build`)\n')
    process.exit(1)
  }
  register()
  await import('../src/cli/main.ts')
}
