// Every known header (active chain and side branches) with its height and
// cumulative work, kept in memory; the active chain as an array by height.
import { blockHash } from '../core/block.js'
import { toHex } from '../core/bytes.js'
import { workForBits } from '../core/pow.js'
import type { BlockHeader } from '../core/types.js'
import { STATUS_HAVE_DATA, STATUS_INVALID } from './records.js'

export interface IndexEntry {
  hash: Uint8Array
  hashHex: string
  header: BlockHeader
  height: number
  /** Cumulative work from genesis through this block. */
  work: bigint
  status: number
  parent: IndexEntry | undefined
}

export function hasData (e: IndexEntry): boolean {
  return (e.status & STATUS_HAVE_DATA) !== 0
}

export function isInvalid (e: IndexEntry): boolean {
  return (e.status & STATUS_INVALID) !== 0
}

export class BlockIndex {
  private readonly byHash = new Map<string, IndexEntry>()
  /** Active chain: active[h] is the block at height h. */
  active: IndexEntry[] = []

  get size (): number {
    return this.byHash.size
  }

  get tip (): IndexEntry {
    return this.active[this.active.length - 1]
  }

  get (hashHex: string): IndexEntry | undefined {
    return this.byHash.get(hashHex)
  }

  entries (): IterableIterator<IndexEntry> {
    return this.byHash.values()
  }

  /** Adds a header whose parent is already indexed (or genesis, with no parent). */
  add (header: BlockHeader, parent: IndexEntry | undefined, status: number): IndexEntry {
    const hash = blockHash(header)
    const entry: IndexEntry = {
      hash,
      hashHex: toHex(hash),
      header,
      height: parent === undefined ? 0 : parent.height + 1,
      work: (parent?.work ?? 0n) + workForBits(header.bits),
      status,
      parent
    }
    this.byHash.set(entry.hashHex, entry)
    return entry
  }

  /** Restores an entry read from disk; parents are linked afterwards by link(). */
  restore (entry: IndexEntry): void {
    this.byHash.set(entry.hashHex, entry)
  }

  isActive (e: IndexEntry): boolean {
    return this.active[e.height] === e
  }

  /** Ancestor of `e` at `height` (walking back; fast on the active chain). */
  ancestor (e: IndexEntry, height: number): IndexEntry {
    if (height > e.height || height < 0) throw new RangeError(`no ancestor at height ${height} of block at ${e.height}`)
    let cur: IndexEntry = e
    while (cur.height > height) {
      if (this.isActive(cur)) return this.active[height]
      cur = cur.parent!
    }
    return cur
  }

  /** The last block both branches share. */
  forkPoint (a: IndexEntry, b: IndexEntry): IndexEntry {
    let x = a.height > b.height ? this.ancestor(a, b.height) : a
    let y = b.height > a.height ? this.ancestor(b, a.height) : b
    while (x !== y) {
      x = x.parent!
      y = y.parent!
    }
    return x
  }

  /** Resets the active chain to end at `tip`. */
  setTip (tip: IndexEntry): void {
    const chain: IndexEntry[] = new Array(tip.height + 1)
    let cur: IndexEntry | undefined = tip
    while (cur !== undefined && this.active[cur.height] !== cur) {
      chain[cur.height] = cur
      cur = cur.parent
    }
    // below the fork point the old active chain is still right
    if (cur !== undefined) for (let h = cur.height; h >= 0; h--) chain[h] = this.active[h]
    this.active = chain
  }

  /** Bitcoin-style block locator of the active chain: dense near the tip, then exponentially sparse. */
  locator (from: IndexEntry = this.tip): Uint8Array[] {
    const hashes: Uint8Array[] = []
    let step = 1
    let height = from.height
    while (height > 0) {
      hashes.push(this.ancestor(from, height).hash)
      if (hashes.length >= 10) step *= 2
      height -= step
    }
    hashes.push(this.ancestor(from, 0).hash)
    return hashes
  }
}
