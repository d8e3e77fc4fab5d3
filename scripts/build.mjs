// `npm run build`, also run by `npm ci` as the `prepare` script: compiles src/
// to dist/ (tsconfig.build.json) so bin/minicoin.js starts without compiling
// TypeScript. Plain JS because it runs before anything else is built.
//
// tsc's output is then bundled with its dependencies into
// dist/cli/minicoin.bundle.js and the chunks it loads on demand (esbuild,
// installed with tsx): Node 20 spends
// more CPU resolving and reading libp2p's ~1,000 small modules than compiling
// them. Native modules stay outside. The bundle sits in dist/cli/ like
// main.js, so paths relative to its module URL (the repository root, the
// worker entries copied next to it) are what they are for the unbundled files.
//
// The build goes to a scratch folder first and replaces dist/ only when it is
// complete, so a node starting meanwhile sees the old build or none, never half
// of one. dist/build-info.json records when the build started: bin/minicoin.js
// treats any file in src/ changed after that as a stale build.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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
  const bundled = await bundle(scratch)
  writeFileSync(join(scratch, 'build-info.json'), JSON.stringify({ startedAt, builtAt: Date.now() }) + '\n')
  rmSync(DIST, { recursive: true, force: true })
  renameSync(scratch, DIST)
  process.stderr.write(`minicoin build: dist/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${copied} .mjs files copied, ${bundled})\n`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

/** classic-level's `require('./binding')` stays a require of the package's own binding.js (node-gyp-build finds the .node file from there). */
function nativeBindingsOutside () {
  return {
    name: 'native-bindings-outside',
    setup (build) {
      build.onResolve({ filter: /^\.\/binding(\.js)?$/ }, args => /[\\/]classic-level[\\/]/.test(args.importer) ? { path: 'classic-level/binding.js', external: true } : undefined)
    }
  }
}

/**
 * @chainsafe/is-ip (multiaddr's and libp2p's IP checks) resolves to our
 * src/p2p/is-ip.ts: the same answers as its Node build (node:net), without
 * the first run of isIPv6's regular expression at every start.
 */
function isIpFromSource (out) {
  return {
    name: 'is-ip-from-source',
    setup (build) {
      build.onResolve({ filter: /^@chainsafe\/is-ip$/ }, () => ({ path: join(out, 'p2p', 'is-ip.js') }))
    }
  }
}

/**
 * prom-client's index requires its Pushgateway client, and with it https
 * (TLS, ~10-20 ms of CPU at every start) and zlib, which minicoin never
 * uses (Prometheus scrapes /metrics): the build puts a stub in its place.
 */
function noPushgateway () {
  return {
    name: 'no-pushgateway',
    setup (build) {
      build.onResolve({ filter: /^\.\/lib\/pushgateway$/ }, args => /[\\/]prom-client[\\/]index\.js$/.test(args.importer) ? { path: 'pushgateway', namespace: 'minicoin-stub' } : undefined)
      build.onLoad({ filter: /.*/, namespace: 'minicoin-stub' }, () => ({
        contents: "module.exports = class Pushgateway { constructor () { throw new Error('prom-client\\'s Pushgateway is not part of the minicoin build') } }",
        loader: 'js'
      }))
    }
  }
}

/** Bundles scratch/cli/main.js into scratch/cli/minicoin.bundle.js; returns what it did. */
async function bundle (out) {
  let esbuild
  try {
    esbuild = await import(createRequire(join(ROOT, 'package.json')).resolve('esbuild'))
  } catch {
    return 'no esbuild: not bundled, bin/minicoin.js runs dist/cli/main.js'
  }
  await esbuild.build({
    entryPoints: { 'minicoin.bundle': join(out, 'cli', 'main.js') },
    outdir: join(out, 'cli'),
    // The modules a command (and a role) imports only when it runs
    // (main.ts, start-node.ts) go into chunks loaded then: `--version` reads
    // no libp2p, an SPV node no mempool or miner. The chunks sit next to the
    // bundle, so paths relative to a module's URL stay what they were.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Native bindings load .node files found relative to their own package:
    // those stay outside; classic-level's JavaScript (and abstract-level's)
    // is bundled, so that Node's CommonJS loader does not resolve and read
    // its ~30 files at every start.
    external: ['secp256k1'],
    plugins: [nativeBindingsOutside(), isIpFromSource(out), noPushgateway()],
    // Bundled CommonJS packages call require(): give the ESM bundle one.
    banner: { js: "import { createRequire as minicoinCreateRequire } from 'node:module'; const require = minicoinCreateRequire(import.meta.url);" },
    logLevel: 'warning'
  })
  await bundleScript(esbuild, out)
  // Workers are started by URL relative to the module that starts them, now the bundle.
  for (const file of readdirSync(SRC, { recursive: true })) {
    if (file.endsWith('.mjs')) copyFileSync(join(SRC, file), join(out, 'cli', file.split('/').pop()))
  }
  return 'bundled into dist/cli/minicoin.bundle.js and its chunks, and dist/cli/minicoin.script.js'
}

/**
 * The daemon's build (`minicoin node`): the same program as one script that
 * bin/minicoin.js compiles with a V8 code cache (scripts/code-cache.mjs),
 * which Node 20 offers for scripts but not for ES modules. A function
 * expression taking what a CommonJS module gets, plus import.meta.url; the
 * modules main.ts and start-node.ts import on demand stay unevaluated
 * until then (esbuild's lazy module wrappers), as in the split bundle.
 */
async function bundleScript (esbuild, out) {
  const file = join(out, 'cli', 'minicoin.script.js')
  await esbuild.build({
    entryPoints: [join(out, 'cli', 'main.js')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['secp256k1'],
    plugins: [nativeBindingsOutside(), isIpFromSource(out), noPushgateway()],
    define: { 'import.meta.url': 'minicoinImportMetaUrl' },
    // ES modules are strict mode: so is the script that holds them.
    banner: { js: "(function (exports, require, module, __filename, __dirname, minicoinImportMetaUrl) { 'use strict';" },
    footer: { js: '})' },
    // Less text to read and hash at every start; names are kept (no
    // identifier minification), so stack traces still name functions.
    minifyWhitespace: true,
    logLevel: 'warning'
  })
  // code-cache.mjs reads the script as latin1: every character must be
  // ASCII. esbuild escapes strings and regular expressions; what is left
  // (legal comments) is escaped here, which keeps the meaning anywhere.
  const text = readFileSync(file, 'utf8')
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(file, text.replace(/[^\x00-\x7f]/g, c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')))
}
