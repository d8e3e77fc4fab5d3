// The LAN test starts one node process per host. Run through tsx, each one
// compiles the TypeScript sources at start (~1.9 s of CPU: 50 hosts, ~95 s
// of both cores before anything happens), which starves the nodes already
// up. So the runner is bundled once per test run with esbuild (installed
// with tsx, the same tool scripts/build.mjs uses for dist/), from the
// current sources, so it can never be stale; without esbuild, or with
// LAN_FROM_SOURCE=1, the nodes run through tsx as before.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const ROOT = new URL('../../', import.meta.url).pathname
const SRC = join(ROOT, 'src')

export interface Runner {
  /** Arguments to node before the runner's own. */
  args: string[]
  how: 'bundle' | 'tsx'
  /** Deletes what the build wrote. */
  remove: () => void
}

export async function buildRunner (entry: string): Promise<Runner> {
  const tsx: Runner = { args: ['--import', 'tsx', entry], how: 'tsx', remove: () => {} }
  if (process.env.LAN_FROM_SOURCE === '1') return tsx
  let esbuild: typeof import('esbuild')
  try {
    esbuild = await import(createRequire(join(ROOT, 'package.json')).resolve('esbuild'))
  } catch {
    return tsx
  }
  // two levels below the root, like dist/cli/: paths relative to a module
  // (../../package.json, node_modules) resolve as they do for the sources
  const out = join(ROOT, `.lan-build-${process.pid}`)
  const remove = (): void => { rmSync(out, { recursive: true, force: true }) }
  try {
    const dir = join(out, 'lan')
    mkdirSync(dir, { recursive: true })
    await esbuild.build({
      entryPoints: [entry],
      outfile: join(dir, 'lan-node.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // native bindings load .node files found relative to their own package
      external: ['classic-level', 'secp256k1'],
      banner: { js: "import { createRequire as lanCreateRequire } from 'node:module'; const require = lanCreateRequire(import.meta.url);" },
      logLevel: 'warning'
    })
    // worker entries start by URL next to the module that starts them (now
    // the bundle) and import their kernels by relative path: both layouts
    for (const rel of readdirSync(SRC, { recursive: true }) as string[]) {
      if (!rel.endsWith('.mjs')) continue
      mkdirSync(dirname(join(out, rel)), { recursive: true })
      copyFileSync(join(SRC, rel), join(out, rel))
      copyFileSync(join(SRC, rel), join(dir, rel.split('/').pop()!))
    }
    return { args: [join(dir, 'lan-node.mjs')], how: 'bundle', remove }
  } catch (err) {
    remove()
    process.stderr.write(`LAN runner not bundled (${(err as Error).message}); running the sources through tsx\n`)
    return tsx
  }
}
