// Every known header (active chain and side branches) with its height and
// cumulative work, kept in memory; the active chain as an array by height.
import { blockHash } from '../core/block.js'
import { equalBytes, toHex } from '../core/bytes.js'
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

/**
 * The header with hashes of their own. An index entry lives as long as the
 * node, and a decoded block's header hashes are views of the whole block's
 * bytes: kept as they are, every block that arrived on its own (gossip)
 * would keep its bytes in memory for good.
 */
export function ownedHeader (h: BlockHeader): BlockHeader {
  return { ...h, prevHash: h.prevHash.slice(), merkleRoot: h.merkleRoot.slice() }
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
    const entry = BlockIndex.create(header, parent, status)
    this.insert(entry)
    return entry
  }

  /**
   * An entry for `header` on `parent` that is not (yet) in the index: a
   * batch is checked and written to disk first, then inserted, so memory
   * never holds an entry that is not stored.
   */
  static create (header: BlockHeader, parent: IndexEntry | undefined, status: number): IndexEntry {
    const hash = blockHash(header)
    return {
      hash,
      hashHex: toHex(hash),
      header,
      height: parent === undefined ? 0 : parent.height + 1,
      work: (parent?.work ?? 0n) + workForBits(header.bits),
      status,
      parent
    }
  }

  /** Inserts an entry made by create() once it is stored. */
  insert (entry: IndexEntry): void {
    this.byHash.set(entry.hashHex, entry)
  }

  /** Forgets an entry (load() drops records it cannot link to genesis). */
  remove (hashHex: string): void {
    this.byHash.delete(hashHex)
  }

  /** Restores an entry read from disk; parents are linked afterwards by link(). */
  restore (entry: IndexEntry): void {
    this.byHash.set(entry.hashHex, entry)
  }

  /**
   * Links entries restored from disk to their parents, lowest height first,
   * and removes every entry that does not lead back to genesis through
   * stored parents with consecutive heights (a record written without its
   * parent by an older version, or a damaged one). Returns the removed
   * entries so the caller can delete their records. Iterative: the index may
   * be large and its shape comes from peers.
   */
  linkAndPrune (genesisHex: string): IndexEntry[] {
    const all = [...this.byHash.values()].sort((a, b) => a.height - b.height)
    const removed: IndexEntry[] = []
    // A parent is a linked entry one height lower: looked for among those
    // (one on a plain chain) by comparing hashes: no hex key made per entry
    // when a node opens an index of thousands of blocks.
    let below: IndexEntry[] = []
    let here: IndexEntry[] = []
    let height = -1
    let byHex: Map<string, IndexEntry> | undefined
    for (const e of all) {
      if (e.height !== height) {
        below = e.height === height + 1 ? here : []
        here = []
        height = e.height
        byHex = undefined
      }
      let linked: boolean
      if (e.height === 0) {
        e.parent = undefined
        linked = e.hashHex === genesisHex
      } else {
        let parent: IndexEntry | undefined
        if (below.length <= 8) {
          for (const b of below) if (equalBytes(b.hash, e.header.prevHash)) { parent = b; break }
        } else {
          // many branches at one height (cheap headers on a test network): one lookup table for them
          byHex ??= new Map(below.map(b => [b.hashHex, b]))
          parent = byHex.get(toHex(e.header.prevHash))
        }
        e.parent = parent
        linked = parent !== undefined
      }
      if (linked) here.push(e)
      else {
        this.byHash.delete(e.hashHex)
        removed.push(e)
      }
    }
    return removed
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
