// Block template selection by ancestor-package fee rate (child pays for
// parent). A max-heap keyed by each entry's package rate; when an entry pops
// with a stale rate (some ancestors were taken meanwhile) it is re-scored and
// pushed back, so every selection uses the current rate.
import type { MempoolEntry } from './mempool.js'

interface Scored { entry: MempoolEntry, rate: number }

class MaxHeap {
  private readonly items: Scored[] = []
  get size (): number { return this.items.length }
  push (x: Scored): void {
    const a = this.items
    a.push(x)
    let i = a.length - 1
    while (i > 0) {
      const up = (i - 1) >> 1
      if (a[up].rate >= a[i].rate) break;
      [a[up], a[i]] = [a[i], a[up]]
      i = up
    }
  }

  pop (): Scored | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && a[l].rate > a[m].rate) m = l
        if (r < a.length && a[r].rate > a[m].rate) m = r
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]]
        i = m
      }
    }
    return top
  }
}

/** Unselected ancestors of `e`, parents before children, ending with `e`. */
function packageOf (e: MempoolEntry, selected: Set<MempoolEntry>): MempoolEntry[] {
  const out: MempoolEntry[] = []
  const seen = new Set<MempoolEntry>()
  const visit = (x: MempoolEntry): void => {
    for (const p of x.parents) {
      if (selected.has(p) || seen.has(p)) continue
      seen.add(p)
      visit(p)
      out.push(p)
    }
  }
  visit(e)
  out.push(e)
  return out
}

function packageRate (pkg: MempoolEntry[]): number {
  let fee = 0n
  let size = 0
  for (const x of pkg) { fee += x.fee; size += x.size }
  return Number(fee) / size
}

export function selectPackages (entries: Iterable<MempoolEntry>, maxBytes: number): MempoolEntry[] {
  const selected = new Set<MempoolEntry>()
  const dropped = new Set<MempoolEntry>()
  const chosen: MempoolEntry[] = []
  const heap = new MaxHeap()
  let bytes = 0
  for (const e of entries) heap.push({ entry: e, rate: packageRate(packageOf(e, selected)) })
  while (heap.size > 0) {
    const top = heap.pop()!
    if (selected.has(top.entry) || dropped.has(top.entry)) continue
    const pkg = packageOf(top.entry, selected)
    const rate = packageRate(pkg)
    if (rate !== top.rate) { heap.push({ entry: top.entry, rate }); continue }
    if (pkg.some(x => dropped.has(x))) { dropped.add(top.entry); continue }
    const size = pkg.reduce((s, x) => s + x.size, 0)
    if (bytes + size > maxBytes) { dropped.add(top.entry); continue }
    for (const x of pkg) { selected.add(x); chosen.push(x) }
    bytes += size
  }
  return chosen
}
