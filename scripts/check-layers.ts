// Checks the import arrows of src/: no import cycles between files, and no
// import from a lower layer up to a higher one. A layer is a top folder of
// src/; LAYERS lists them lowest first (folders on one line are peers and do
// not import each other). Relative imports only: packages are not layers.
// Usage: npx tsx scripts/check-layers.ts   (exit 1 on a cycle or an upward
// import not in UPWARD_ALLOWED; test/unit/layers.test.ts runs the same check)
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Lowest first; an import may point to its own layer or to an earlier one.
 * '(root)' is a file directly in src/ (polyfill.ts). crypto sits below core
 * because core/signatures.ts uses crypto's SignatureCheck type and crypto
 * needs nothing from core.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['(root)', 'telemetry', 'crypto'],
  ['core'],
  ['chain'],
  ['mempool'],
  ['miner', 'wallet'],
  ['p2p'],
  ['spv'],
  ['node'],
  ['api'],
  ['cli']
]

/**
 * Upward imports that remain, "from -> to" (paths under src/), each with why.
 * A new upward import fails the check; fixing one of these means deleting it here.
 */
export const UPWARD_ALLOWED: Readonly<Record<string, string>> = {}

export interface Arrow { from: string, to: string }
export interface LayerReport {
  files: number
  arrows: Arrow[]
  cycles: string[][]
  upward: Arrow[]
  /** Upward arrows not in the allow-list. */
  unexpected: Arrow[]
  /** Allow-list entries that no longer match an import (stale). */
  stale: string[]
}

const SOURCE = /\.(ts|mts|mjs)$/
// `import x from '…'`, `import type …`, `export … from '…'`, `import '…'`,
// `import('…')`; multi-line import lists are covered because only the
// `from '…'` tail is matched.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm

function listSources (dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...listSources(path))
    else if (SOURCE.test(entry.name)) out.push(path)
  }
  return out
}

/** The source file an import specifier names ('./x.js' is written for './x.ts'). */
function resolveImport (fromFile: string, spec: string, known: Set<string>): string | undefined {
  const base = resolve(dirname(fromFile), spec)
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base.replace(/\.mjs$/, '.d.mts'), base + '.ts', join(base, 'index.ts')]
  return candidates.find(c => known.has(c))
}

export function layerOf (srcPath: string): string {
  const parts = srcPath.split('/')
  return parts.length > 1 ? parts[0] : '(root)'
}

/** Position in LAYERS, -1 for a folder not listed. */
function rankOf (layer: string): number {
  return LAYERS.findIndex(peers => peers.includes(layer))
}

/** Elementary cycles would be exponential; one cycle per strongly connected component is enough to act on. */
function findCycles (nodes: string[], edges: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative (no recursion depth limit to worry about).
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const components: string[][] = []
  for (const root of nodes) {
    if (idx.has(root)) continue
    const work: Array<{ v: string, next: number }> = [{ v: root, next: 0 }]
    idx.set(root, index); low.set(root, index); index++
    stack.push(root); onStack.add(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]
      const outs = edges.get(frame.v) ?? []
      if (frame.next < outs.length) {
        const w = outs[frame.next++]
        if (!idx.has(w)) {
          idx.set(w, index); low.set(w, index); index++
          stack.push(w); onStack.add(w)
          work.push({ v: w, next: 0 })
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, idx.get(w)!))
        }
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1].v
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!))
      }
      if (low.get(frame.v) === idx.get(frame.v)) {
        const component: string[] = []
        let w: string
        do { w = stack.pop()!; onStack.delete(w); component.push(w) } while (w !== frame.v)
        const selfLoop = (edges.get(frame.v) ?? []).includes(frame.v)
        if (component.length > 1 || selfLoop) components.push(component.sort())
      }
    }
  }
  return components
}

export function checkLayers (srcDir: string): LayerReport {
  const files = listSources(srcDir).map(f => resolve(f))
  const known = new Set(files)
  const rel = (f: string): string => relative(srcDir, f).split(sep).join('/')
  const arrows: Arrow[] = []
  const edges = new Map<string, string[]>()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const targets = new Set<string>()
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolveImport(file, m[1], known)
      if (target !== undefined && target !== file) targets.add(rel(target))
    }
    edges.set(rel(file), [...targets])
    for (const to of targets) arrows.push({ from: rel(file), to })
  }
  const upward = arrows.filter(a => {
    const from = rankOf(layerOf(a.from))
    const to = rankOf(layerOf(a.to))
    if (layerOf(a.from) === layerOf(a.to)) return false
    // A folder missing from LAYERS is reported too, so a new folder gets a place.
    return from < 0 || to < 0 || to >= from
  })
  const key = (a: Arrow): string => `${a.from} -> ${a.to}`
  const unexpected = upward.filter(a => UPWARD_ALLOWED[key(a)] === undefined)
  const present = new Set(upward.map(key))
  const stale = Object.keys(UPWARD_ALLOWED).filter(k => !present.has(k))
  return { files: files.length, arrows, cycles: findCycles([...edges.keys()], edges), upward, unexpected, stale }
}

function main (): void {
  const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src')
  const report = checkLayers(srcDir)
  console.log(`${report.files} files, ${report.arrows.length} imports, ${report.upward.length} upward (${report.upward.length - report.unexpected.length} allowed)`)
  for (const c of report.cycles) console.log(`cycle: ${c.join(' <-> ')}`)
  for (const a of report.unexpected) console.log(`upward: ${a.from} -> ${a.to}`)
  for (const k of report.stale) console.log(`stale allow-list entry: ${k}`)
  if (report.cycles.length > 0 || report.unexpected.length > 0 || report.stale.length > 0) process.exitCode = 1
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
