// Block template selection by ancestor-package fee rate (child pays for
// parent). A max-heap keyed by an upper bound of each entry's package rate;
// when an entry surfaces, its package (its unselected ancestors and itself)
// is computed and, if its rate fell below the key, it is filed again under
// the real rate, so every selection uses the current rate. All walks are
// iterative: a deep chain costs time, never stack.
import { Heap } from './heap.js'
import type { MempoolEntry } from './entry.js'

interface Scored { entry: MempoolEntry, rate: number }

/** Rates computed along different paths may differ in the last bits. */
const sameRate = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))

const ownRate = (e: MempoolEntry): number => Number(e.fee) / e.size

/** Unselected ancestors of `e`, parents before children, ending with `e` (iterative post-order walk). */
function packageOf (e: MempoolEntry, selected: Set<MempoolEntry>): MempoolEntry[] {
  const out: MempoolEntry[] = []
  const seen = new Set<MempoolEntry>([e])
  const stack: Array<{ x: MempoolEntry, parents: Iterator<MempoolEntry> }> = [{ x: e, parents: e.parents.values() }]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]
    const next = top.parents.next()
    if (next.done === true) {
      stack.pop()
      out.push(top.x)
      continue
    }
    const p = next.value
    if (selected.has(p) || seen.has(p)) continue
    seen.add(p)
    stack.push({ x: p, parents: p.parents.values() })
  }
  return out
}

function packageRate (pkg: MempoolEntry[]): number {
  let fee = 0n
  let size = 0
  for (const x of pkg) { fee += x.fee; size += x.size }
  return Number(fee) / size
}

/**
 * The best rate any package ending at each entry can have: a package's rate
 * is an average of its members' rates, so it is at most their maximum. One
 * pass in insertion order (parents first).
 */
function rateBounds (entries: MempoolEntry[]): Map<MempoolEntry, number> {
  const bound = new Map<MempoolEntry, number>()
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
    let b = ownRate(e)
    for (const p of e.parents) b = Math.max(b, bound.get(p) ?? ownRate(p))
    bound.set(e, b)
  }
  return bound
}

export function selectPackages (entries: Iterable<MempoolEntry>, maxBytes: number): MempoolEntry[] {
  const all = [...entries]
  const selected = new Set<MempoolEntry>()
  const dropped = new Set<MempoolEntry>()
  const chosen: MempoolEntry[] = []
  const heap = new Heap<Scored>((a, b) => a.rate > b.rate)
  const bound = rateBounds(all)
  let bytes = 0
  for (const e of all) heap.push({ entry: e, rate: bound.get(e)! })
  while (heap.size > 0) {
    const top = heap.pop()!
    if (selected.has(top.entry) || dropped.has(top.entry)) continue
    const pkg = packageOf(top.entry, selected)
    const rate = packageRate(pkg)
    if (!sameRate(rate, top.rate) && rate < top.rate) { heap.push({ entry: top.entry, rate }); continue }
    if (pkg.some(x => dropped.has(x))) { dropped.add(top.entry); continue }
    let size = 0
    for (const x of pkg) size += x.size
    if (bytes + size > maxBytes) { dropped.add(top.entry); continue }
    for (const x of pkg) { selected.add(x); chosen.push(x) }
    bytes += size
    // children of what was just taken may now form better packages than their filed rate
    for (const x of pkg) {
      for (const c of x.children) if (!selected.has(c) && !dropped.has(c)) heap.push({ entry: c, rate: bound.get(c) ?? ownRate(c) })
    }
  }
  return chosen
}
