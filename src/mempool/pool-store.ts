// The mempool's data: pending entries, the outpoints they spend, byte count,
// descendant totals and the two ordered indexes (eviction by descendant
// score, expiry by age). What may enter is mempool.ts's decision; this file
// keeps the structure consistent as entries come and go.
import { toHex } from '../core/bytes.js'
import { NO_LINKS, type MempoolEntry } from './entry.js'
import { descendantsOf, topological, walkAncestors } from './graph.js'
import { KeyedMinHeap } from './keyed-heap.js'
import { describeOutpoint, outpoint, txidPrefix } from './keys.js'

export type RemovalReason = 'block' | 'conflict' | 'evicted' | 'expired' | 'reorg'

/** What the contextual checks found for a transaction about to be inserted. */
export interface InsertFacts {
  fee: bigint
  parents: Set<MempoolEntry>
  /** Only read (it may be a shared empty set). */
  ancestors: ReadonlySet<MempoolEntry>
  heightSensitive: boolean
  /** The inputs' outpoint keys (keys.ts `outpoint`), in input order: made once, by the checks. */
  outpoints: readonly string[]
}

export { outpoint } from './keys.js'

/** What eviction orders by (Core's descendant score): the better of the entry alone and with its descendants. */
export function evictionScore (e: MempoolEntry): number {
  return Math.max(Number(e.fee) / e.size, Number(e.descFee) / e.descSize)
}

export class PoolStore {
  readonly entries = new Map<string, MempoolEntry>()
  /**
   * How many entries' txids start with each 30-bit prefix (keys.ts
   * `txidPrefix`): whether an input may spend a pending parent, asked
   * without making the txid's hex (`mayHold`). ~15 bytes an entry, against
   * ~65 for a second map by txid.
   */
  private readonly idPrefixes = new Map<number, number>()
  /** outpoint -> the pending transaction spending it */
  readonly spentBy = new Map<string, MempoolEntry>()
  readonly heightSensitive = new Set<MempoolEntry>()
  bytesUsed = 0
  /** Bumped on every change of the pool (and of the tip, by the mempool): an unchanged version means checks still hold. */
  version = 0
  /**
   * Bumped on every change but an insertion (a removal, a tip move): while it
   * is unchanged the pool has only gained transactions, which can spend an
   * outpoint or grow a package, but take no coin away (pool-inputs.ts).
   */
  disruptions = 0
  private seq = 0
  /** Lowest eviction score first, keyed by the score when pushed; stale items are skipped when they surface. */
  private readonly evictIndex = new KeyedMinHeap<MempoolEntry>()
  /** Oldest first, keyed by arrival time, for expiry; stale items likewise skipped. */
  private readonly expiryIndex = new KeyedMinHeap<MempoolEntry>()

  constructor (private readonly onRemoved: (e: MempoolEntry, reason: RemovalReason) => void) {}

  /** False when no entry has this txid; true when one may (then look it up in `entries`). */
  mayHold (id: Uint8Array): boolean {
    return this.idPrefixes.has(txidPrefix(id))
  }

  isLive (e: MempoolEntry): boolean {
    return this.entries.get(e.txidHex) === e
  }

  insert (entry: MempoolEntry, facts: InsertFacts): void {
    const keys = facts.outpoints
    if (keys.length !== entry.tx.inputs.length) throw new Error(`${keys.length} outpoint keys for ${entry.tx.inputs.length} inputs of ${entry.txidHex}`)
    this.version++
    entry.seq = ++this.seq
    entry.fee = facts.fee
    entry.parents = facts.parents
    entry.children = NO_LINKS // until a child arrives
    entry.descCount = 1
    entry.descSize = entry.size
    entry.descFee = entry.fee
    entry.heightSensitive = facts.heightSensitive
    this.entries.set(entry.txidHex, entry)
    const prefix = txidPrefix(entry.txid)
    this.idPrefixes.set(prefix, (this.idPrefixes.get(prefix) ?? 0) + 1)
    this.bytesUsed += entry.size
    for (let i = 0; i < keys.length; i++) this.spentBy.set(keys[i], entry)
    // (most transactions spend confirmed coins: no iterator for an empty set)
    if (entry.parents.size > 0) {
      for (const p of entry.parents) {
        if (p.children === NO_LINKS) p.children = new Set()
        p.children.add(entry)
      }
    }
    if (facts.ancestors.size > 0) {
      for (const a of facts.ancestors) {
        a.descCount++
        a.descSize += entry.size
        a.descFee += entry.fee
        this.noteEvictionScore(a)
      }
    }
    if (entry.heightSensitive) this.heightSensitive.add(entry)
    entry.evictKey = evictionScore(entry)
    this.evictIndex.push(entry.evictKey, entry)
    this.expiryIndex.push(entry.time, entry)
  }

  /** Keeps an item at or below the entry's score in the eviction index (scores that rise are found lazily). */
  private noteEvictionScore (e: MempoolEntry): void {
    const score = evictionScore(e)
    if (score < e.evictKey) {
      e.evictKey = score
      this.evictIndex.push(score, e)
    }
  }

  /**
   * Removes a set of entries. In-pool ancestors outside the set recount their
   * descendants; children outside the set (a confirmed parent) keep theirs.
   */
  removeSet (set: Set<MempoolEntry>, reason: RemovalReason, silent = false): void {
    const outsideParents: MempoolEntry[] = []
    for (const e of set) for (const p of e.parents) if (!set.has(p)) outsideParents.push(p)
    const outside = walkAncestors(outsideParents, x => set.has(x)).found
    const removed: MempoolEntry[] = []
    for (const e of topological(set).reverse()) {
      if (!this.isLive(e)) continue
      this.version++
      this.disruptions++
      this.entries.delete(e.txidHex)
      const prefix = txidPrefix(e.txid)
      const left = (this.idPrefixes.get(prefix) ?? 0) - 1
      if (left > 0) this.idPrefixes.set(prefix, left)
      else this.idPrefixes.delete(prefix)
      this.bytesUsed -= e.size
      for (const input of e.tx.inputs) {
        const key = outpoint(input.prevTxid, input.prevIndex)
        if (this.spentBy.get(key) === e) this.spentBy.delete(key)
      }
      for (const p of e.parents) p.children.delete(e)
      for (const c of e.children) c.parents.delete(e)
      this.heightSensitive.delete(e)
      removed.push(e)
    }
    for (const a of outside) this.recountDescendants(a)
    if (!silent) for (const e of removed) this.onRemoved(e, reason)
  }

  private recountDescendants (a: MempoolEntry): void {
    let count = 0
    let size = 0
    let fee = 0n
    for (const d of descendantsOf([a])) { count++; size += d.size; fee += d.fee }
    a.descCount = count
    a.descSize = size
    a.descFee = fee
    this.noteEvictionScore(a)
  }

  /** Removes an entry and everything that spends from it. */
  removeWithDescendants (entry: MempoolEntry, reason: RemovalReason): number {
    const set = descendantsOf([entry])
    this.removeSet(set, reason)
    return set.size
  }

  /** Lowest descendant score goes first, with its descendants, until the pool fits. */
  trimTo (maxBytes: number): void {
    while (this.bytesUsed > maxBytes && this.entries.size > 0) {
      const key = this.evictIndex.peekKey()
      const e = this.evictIndex.pop()
      if (key === undefined || e === undefined) break
      if (!this.isLive(e) || key !== e.evictKey) continue // stale item
      const score = evictionScore(e)
      if (score > key) {
        // its descendants changed since: file it under its current score
        e.evictKey = score
        this.evictIndex.push(score, e)
        continue
      }
      this.removeWithDescendants(e, 'evicted')
    }
    this.compactIndexes()
  }

  /** Drops stale index items once they outnumber live ones. */
  private compactIndexes (): void {
    const live = this.entries.size
    if (this.evictIndex.size > 2 * live + 1024) {
      const all = [...this.entries.values()]
      this.evictIndex.rebuild(all.map(entry => (entry.evictKey = evictionScore(entry))), all)
    }
    if (this.expiryIndex.size > 2 * live + 1024) {
      const all = [...this.entries.values()]
      this.expiryIndex.rebuild(all.map(entry => entry.time), all)
    }
  }

  /** Drops entries that arrived before `cutoff`, with their descendants; oldest first from the time index. */
  expireBefore (cutoff: number): number {
    let removed = 0
    for (;;) {
      const time = this.expiryIndex.peekKey()
      if (time === undefined || time >= cutoff) break
      const e = this.expiryIndex.pop() as MempoolEntry
      if (this.isLive(e) && e.time === time) removed += this.removeWithDescendants(e, 'expired')
    }
    this.compactIndexes()
    return removed
  }

  /** Empties the store; returns what it held. */
  clear (): MempoolEntry[] {
    const all = [...this.entries.values()]
    this.entries.clear()
    this.idPrefixes.clear()
    this.spentBy.clear()
    this.heightSensitive.clear()
    this.evictIndex.clear()
    this.expiryIndex.clear()
    this.bytesUsed = 0
    this.version++
    this.disruptions++
    return all
  }

  /**
   * Internal invariants, for tests: links symmetric and in the pool, parents
   * before children, spent outpoints indexed, byte count and descendant
   * totals exact. Returns the problems found (empty when consistent).
   */
  checkConsistency (): string[] {
    const problems: string[] = []
    let bytes = 0
    for (const [k, e] of this.entries) {
      bytes += e.size
      if (k !== e.txidHex) problems.push(`${k}: keyed under the wrong txid`)
      for (const p of e.parents) {
        if (!this.isLive(p)) problems.push(`${k}: parent ${p.txidHex} not in the pool`)
        if (!p.children.has(e)) problems.push(`${k}: parent ${p.txidHex} does not list it as a child`)
        if (p.seq >= e.seq) problems.push(`${k}: parent ${p.txidHex} after it`)
      }
      for (const c of e.children) if (!this.isLive(c) || !c.parents.has(e)) problems.push(`${k}: child ${c.txidHex} not linked back`)
      for (const input of e.tx.inputs) {
        if (this.spentBy.get(outpoint(input.prevTxid, input.prevIndex)) !== e) problems.push(`${k}: input ${describeOutpoint(outpoint(input.prevTxid, input.prevIndex))} not indexed`)
        const parent = this.entries.get(toHex(input.prevTxid))
        if (parent !== undefined && !e.parents.has(parent)) problems.push(`${k}: spends pending ${parent.txidHex} without the link`)
      }
      let count = 0
      let size = 0
      let fee = 0n
      for (const d of descendantsOf([e])) { count++; size += d.size; fee += d.fee }
      if (count !== e.descCount || size !== e.descSize || fee !== e.descFee) problems.push(`${k}: descendant totals ${e.descCount}/${e.descSize}/${e.descFee}, actual ${count}/${size}/${fee}`)
      if (e.evictKey > evictionScore(e) + 1e-9) problems.push(`${k}: eviction index above its score`)
    }
    if (bytes !== this.bytesUsed) problems.push(`bytes ${this.bytesUsed}, actual ${bytes}`)
    for (const [key, e] of this.spentBy) if (!this.isLive(e)) problems.push(`outpoint ${describeOutpoint(key)}: spent by a removed entry`)
    const prefixes = new Map<number, number>()
    for (const e of this.entries.values()) prefixes.set(txidPrefix(e.txid), (prefixes.get(txidPrefix(e.txid)) ?? 0) + 1)
    if (prefixes.size !== this.idPrefixes.size || [...prefixes].some(([p, n]) => this.idPrefixes.get(p) !== n)) problems.push('txid prefix counts differ from the entries')
    return problems
  }
}
