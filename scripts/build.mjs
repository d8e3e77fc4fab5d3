// `npm run build`, also run by `npm ci` as the `prepare` script: compiles src/
// to dist/ (tsconfig.build.json) so bin/minicoin.js starts without compiling
// TypeScript. Plain JS because it runs before anything else is built.
//
// The build goes to a scratch folder first and replaces dist/ only when it is
// complete, so a node starting meanwhile sees the old build or none, never half
// of one. dist/build-info.json records when the build started: bin/minicoin.js
// treats any file in src/ changed after that as a stale build.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SRC = join(ROOT, 'src')
const DIST = join(ROOT, 'dist')
const startedAt = Date.now()

let tsc
try {
  tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc')
} catch {
  // `npm ci --omit=dev` leaves out typescript; tsx (a dependency) still runs the sources.
  process.stderr.write('minicoin build: typescript is not installed (dev dependencies omitted?); skipping the build, bin/minicoin.js will run src/ through tsx\n')
  process.exit(0)
}

const scratch = join(ROOT, `.dist-build-${process.pid}`)
rmSync(scratch, { recursive: true, force: true })
try {
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', scratch], { cwd: ROOT, stdio: 'inherit' })
  if (result.status !== 0) {
    process.stderr.write(`minicoin build: tsc failed (${result.status ?? result.signal})\n`)
    process.exit(1)
  }
  // Worker entries and the SHA-256 kernels they share are plain .mjs files
  // that tsc does not emit: copy them next to the compiled modules.
  let copied = 0
  for (const rel of readdirSync(SRC, { recursive: true })) {
    if (!rel.endsWith('.mjs')) continue
    mkdirSync(dirname(join(scratch, rel)), { recursive: true })
    copyFileSync(join(SRC, rel), join(scratch, rel))
    copied++
  }
  writeFileSync(join(scratch, 'build-info.json'), JSON.stringify({ startedAt, builtAt: Date.now() }) + '\n')
  rmSync(DIST, { recursive: true, force: true })
  renameSync(scratch, DIST)
  process.stderr.write(`minicoin build: dist/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${copied} .mjs files copied)\n`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
