// Pending transactions: validated against the UTXO set plus other pending
// transactions, first seen wins a double spend, chains of unconfirmed
// transactions bounded (Bitcoin Core's package limits), bounded in bytes with
// the lowest fee rates evicted first (from an ordered index), expired after a
// while, and after a reorganisation re-checked only where the reorg touched.
import { EventEmitter } from 'node:events'
import { toHex } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import type { NetworkParams } from '../core/params.js'
import { isCoinbase, txid, txSize } from '../core/tx.js'
import type { Block, Transaction } from '../core/types.js'
import { checkTransaction } from '../core/validate.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import type { Chain } from '../chain/chain.js'
import type { Coin } from '../chain/records.js'
import { checkTxInputs } from '../chain/tx-verify.js'
import { emitToEach, logListenerError } from '../chain/safe-emit.js'
import { descendantsOf, topological, walkAncestors } from './graph.js'
import type { MempoolEntry } from './entry.js'
import { Heap } from './heap.js'
import { ancestorsWithinLimits, DEFAULT_LIMITS, type MempoolLimits } from './limits.js'
import { selectPackages } from './package-selection.js'

export { DEFAULT_LIMITS, type MempoolLimits } from './limits.js'
export type { MempoolEntry } from './entry.js'

export interface MempoolOptions {
  chain: Chain
  verifier: SignatureVerifier
  /** Cap on the summed size of pending transactions. */
  maxBytes?: number
  /** Pending transactions older than this are dropped (ms). */
  expiryMs?: number
  /** Policy: minimum fee in base units per byte. */
  minFeeRate?: bigint
  /** Chains of unconfirmed transactions (default: Bitcoin Core's 25 / 101 kvB each way). */
  limits?: Partial<MempoolLimits>
  now?: () => number
}

export interface MempoolEvents {
  added: [entry: MempoolEntry]
  removed: [entry: MempoolEntry, reason: 'block' | 'conflict' | 'evicted' | 'expired' | 'reorg']
  /** Every accept call: 'accepted', or the error's severity ('rejected'/'ignored'), and how long it took. */
  processed: [result: 'accepted' | 'duplicate' | 'rejected' | 'ignored', seconds: number]
  /** A listener of another event threw; the other listeners still ran. */
  listenerError: [event: string, err: unknown]
}

type RemovalReason = MempoolEvents['removed'][1]

interface InputsChecked {
  fee: bigint
  parents: Set<MempoolEntry>
  ancestors: Set<MempoolEntry>
  heightSensitive: boolean
  checks: ReturnType<typeof checkTxInputs>['checks']
}

const outpoint = (id: Uint8Array | string, index: number): string => (typeof id === 'string' ? id : toHex(id)) + ':' + index

/** What eviction orders by (Core's descendant score): the better of the entry alone and with its descendants. */
function evictionScore (e: MempoolEntry): number {
  return Math.max(Number(e.fee) / e.size, Number(e.descFee) / e.descSize)
}

export class Mempool extends EventEmitter<MempoolEvents> {
  readonly entries = new Map<string, MempoolEntry>()
  /** outpoint -> the pending transaction spending it */
  private readonly spentBy = new Map<string, MempoolEntry>()
  private readonly chain: Chain
  private readonly params: NetworkParams
  private readonly verifier: SignatureVerifier
  readonly maxBytes: number
  private readonly expiryMs: number
  readonly minFeeRate: bigint
  readonly limits: MempoolLimits
  private readonly now: () => number
  private bytesUsed = 0
  private seq = 0
  /** Lowest eviction score first; stale items are skipped when they surface. */
  private readonly evictIndex = new Heap<{ entry: MempoolEntry, key: number }>((a, b) => a.key < b.key)
  /** Oldest first, for expiry; stale items likewise skipped. */
  private readonly expiryIndex = new Heap<{ entry: MempoolEntry, time: number }>((a, b) => a.time < b.time)
  private readonly heightSensitive = new Set<MempoolEntry>()
  /** Blocks disconnected since the last tip event, tip first, and the height before the first. */
  private readonly disconnected: Block[] = []
  private heightBeforeReorg = 0
  /** Bumped on every change of pool or tip: an unchanged version means checks still hold. */
  private version = 0

  constructor (opts: MempoolOptions) {
    super()
    this.chain = opts.chain
    this.params = opts.chain.params
    this.verifier = opts.verifier
    this.maxBytes = opts.maxBytes ?? 64_000_000
    this.expiryMs = opts.expiryMs ?? 14 * 24 * 3600_000
    this.minFeeRate = opts.minFeeRate ?? 1n
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.now = opts.now ?? Date.now
    this.chain.on('connect', block => { this.guarded(() => this.onConnect(block)) })
    this.chain.on('disconnect', (block, entry) => {
      if (this.disconnected.length === 0) this.heightBeforeReorg = entry.height
      this.disconnected.push(block)
    })
    this.chain.on('tip', () => { this.guarded(() => this.onTip()) })
  }

  /** Listeners of the mempool's events are each called, whatever the others do. */
  override emit<K extends keyof MempoolEvents> (event: K, ...args: MempoolEvents[K]): boolean {
    if (event === 'listenerError') return super.emit('listenerError', ...(args as MempoolEvents['listenerError']))
    return emitToEach(this, event, args, (name, err) => {
      if (this.listenerCount('listenerError') > 0) super.emit('listenerError', name, err)
      else logListenerError('mempool')(name, err)
    })
  }

  get size (): number {
    return this.entries.size
  }

  get bytes (): number {
    return this.bytesUsed
  }

  has (txidHex: string): boolean {
    return this.entries.has(txidHex)
  }

  get (txidHex: string): MempoolEntry | undefined {
    return this.entries.get(txidHex)
  }

  /** Whether a pending transaction spends this outpoint. */
  spender (id: Uint8Array, index: number): MempoolEntry | undefined {
    return this.spentBy.get(outpoint(id, index))
  }

  /**
   * Validates and adds a transaction. Throws ValidationError: 'reject' codes
   * for invalid transactions, 'ignore' codes for ones merely not wanted now
   * (known, conflicting, missing inputs, fee too low, chain too long, pool full).
   */
  async accept (tx: Transaction): Promise<MempoolEntry> {
    const start = performance.now()
    try {
      const entry = await this.acceptUncounted(tx)
      this.emit('processed', 'accepted', (performance.now() - start) / 1000)
      return entry
    } catch (err) {
      if (err instanceof ValidationError) {
        const result = err.code === 'txn-already-known' || err.code === 'txn-already-confirmed' ? 'duplicate' : err.severity === 'reject' ? 'rejected' : 'ignored'
        this.emit('processed', result, (performance.now() - start) / 1000)
      }
      throw err
    }
  }

  private async acceptUncounted (tx: Transaction): Promise<MempoolEntry> {
    const id = txid(tx)
    const idHex = toHex(id)
    // [IGNORE] already pending or confirmed
    if (this.entries.has(idHex)) throw new ValidationError('txn-already-known', `transaction ${idHex} is already pending`, 'ignore')
    checkTransaction(tx, this.params)
    // [REJECT] a coinbase only exists inside its block
    if (isCoinbase(tx)) throw new ValidationError('tx-coinbase-loose', 'a coinbase cannot be relayed on its own')
    if (this.chain.getTxLocation(id) !== undefined) throw new ValidationError('txn-already-confirmed', `transaction ${idHex} is already in the chain`, 'ignore')

    const versionBefore = this.version
    // inputs, fee and chain limits first: all cheaper than the signatures
    const first = this.checkInputs(tx, true)
    const results = await this.verifier.verifyBatch(first.checks)
    const bad = results.indexOf(false)
    // [REJECT] every signature verifies
    if (bad !== -1) throw new ValidationError('tx-bad-signature', `input ${bad} has an invalid signature`)

    // Other transactions or blocks may have arrived while signatures were checked.
    if (this.entries.has(idHex)) throw new ValidationError('txn-already-known', `transaction ${idHex} is already pending`, 'ignore')
    const checked = this.version === versionBefore ? first : this.checkInputs(tx, false)

    const entry = this.newEntry(tx, id, idHex, this.now())
    this.insert(entry, checked)
    this.trimToSize()
    // [IGNORE] evicted at once: pays less than everything already pending
    if (!this.isLive(entry)) throw new ValidationError('mempool-full', `mempool is full and fee rate ${feeRate(entry)} is too low`, 'ignore')
    this.emit('added', entry)
    return entry
  }

  private newEntry (tx: Transaction, id: Uint8Array, idHex: string, time: number): MempoolEntry {
    const size = txSize(tx)
    return { tx, txid: id, txidHex: idHex, fee: 0n, size, time, parents: new Set(), children: new Set(), seq: 0, descCount: 1, descSize: size, descFee: 0n, heightSensitive: false, evictKey: 0 }
  }

  private isLive (e: MempoolEntry): boolean {
    return this.entries.get(e.txidHex) === e
  }

  /**
   * The contextual checks against chain + pool: inputs exist and are not
   * spent by another pending transaction, maturity, lock time, fee policy and
   * the chain limits. Signature checks only when `withChecks`.
   */
  private checkInputs (tx: Transaction, withChecks: boolean): InputsChecked {
    const parents = new Set<MempoolEntry>()
    const spendHeight = this.chain.height + 1
    let heightSensitive = tx.lockTime > 0
    const lookup = (prev: Uint8Array, index: number): Coin | undefined => {
      const key = outpoint(prev, index)
      const other = this.spentBy.get(key)
      // [IGNORE] first seen wins a double spend
      if (other !== undefined) throw new ValidationError('txn-mempool-conflict', `outpoint ${key} is already spent by pending transaction ${other.txidHex}`, 'ignore')
      const parent = this.entries.get(toHex(prev))
      if (parent !== undefined) {
        const out = parent.tx.outputs[index]
        if (out === undefined) return undefined
        parents.add(parent)
        return { amount: out.amount, address: out.address, height: spendHeight, coinbase: false }
      }
      const coin = this.chain.getCoin(prev, index)
      if (coin?.coinbase === true) heightSensitive = true
      return coin
    }
    let result
    try {
      result = checkTxInputs(tx, lookup, spendHeight, this.params, withChecks)
    } catch (err) {
      // An unknown input may be a parent we have not seen yet: not the sender's fault.
      if (err instanceof ValidationError && err.code === 'tx-missing-inputs') throw new ValidationError(err.code, err.message, 'ignore')
      throw err
    }
    const size = txSize(tx)
    const minFee = this.minFeeRate * BigInt(size)
    // [IGNORE] policy: pays too little to relay
    if (result.fee < minFee) throw new ValidationError('tx-fee-too-low', `fee ${result.fee} is below the minimum ${minFee} (${this.minFeeRate}/byte)`, 'ignore')
    // [IGNORE] policy: too many or too large unconfirmed ancestors or descendants
    const ancestors = ancestorsWithinLimits(parents, size, this.limits)
    return { fee: result.fee, parents, ancestors, heightSensitive, checks: result.checks }
  }

  private insert (entry: MempoolEntry, checked: InputsChecked): void {
    this.version++
    entry.seq = ++this.seq
    entry.fee = checked.fee
    entry.parents = checked.parents
    entry.children = new Set()
    entry.descCount = 1
    entry.descSize = entry.size
    entry.descFee = entry.fee
    entry.heightSensitive = checked.heightSensitive
    this.entries.set(entry.txidHex, entry)
    this.bytesUsed += entry.size
    for (const input of entry.tx.inputs) this.spentBy.set(outpoint(input.prevTxid, input.prevIndex), entry)
    for (const p of entry.parents) p.children.add(entry)
    for (const a of checked.ancestors) {
      a.descCount++
      a.descSize += entry.size
      a.descFee += entry.fee
      this.noteEvictionScore(a)
    }
    if (entry.heightSensitive) this.heightSensitive.add(entry)
    entry.evictKey = evictionScore(entry)
    this.evictIndex.push({ entry, key: entry.evictKey })
    this.expiryIndex.push({ entry, time: entry.time })
  }

  /** Keeps an item at or below the entry's score in the eviction index (scores that rise are found lazily). */
  private noteEvictionScore (e: MempoolEntry): void {
    const score = evictionScore(e)
    if (score < e.evictKey) {
      e.evictKey = score
      this.evictIndex.push({ entry: e, key: score })
    }
  }

  /**
   * Removes a set of entries. In-pool ancestors outside the set recount their
   * descendants; children outside the set (a confirmed parent) keep theirs.
   */
  private removeSet (set: Set<MempoolEntry>, reason: RemovalReason, silent = false): void {
    const outsideParents: MempoolEntry[] = []
    for (const e of set) for (const p of e.parents) if (!set.has(p)) outsideParents.push(p)
    const outside = walkAncestors(outsideParents, x => set.has(x)).found
    const removed: MempoolEntry[] = []
    for (const e of topological(set).reverse()) {
      if (!this.isLive(e)) continue
      this.version++
      this.entries.delete(e.txidHex)
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
    if (!silent) for (const e of removed) this.emit('removed', e, reason)
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
  private removeWithDescendants (entry: MempoolEntry, reason: RemovalReason): number {
    const set = descendantsOf([entry])
    this.removeSet(set, reason)
    return set.size
  }

  /** Lowest descendant score goes first, with its descendants, until the pool fits. */
  private trimToSize (): void {
    while (this.bytesUsed > this.maxBytes && this.entries.size > 0) {
      const top = this.evictIndex.pop()
      if (top === undefined) break
      const e = top.entry
      if (!this.isLive(e) || top.key !== e.evictKey) continue // stale item
      const score = evictionScore(e)
      if (score > top.key) {
        // its descendants changed since: file it under its current score
        e.evictKey = score
        this.evictIndex.push({ entry: e, key: score })
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
      this.evictIndex.rebuild([...this.entries.values()].map(entry => ({ entry, key: (entry.evictKey = evictionScore(entry)) })))
    }
    if (this.expiryIndex.size > 2 * live + 1024) {
      this.expiryIndex.rebuild([...this.entries.values()].map(entry => ({ entry, time: entry.time })))
    }
  }

  /** Drops transactions older than the expiry time, with their descendants; oldest first from the time index. */
  expire (): number {
    const cutoff = this.now() - this.expiryMs
    let removed = 0
    for (;;) {
      const top = this.expiryIndex.peek()
      if (top === undefined || top.time >= cutoff) break
      this.expiryIndex.pop()
      if (this.isLive(top.entry) && top.entry.time === top.time) removed += this.removeWithDescendants(top.entry, 'expired')
    }
    this.compactIndexes()
    return removed
  }

  /**
   * A handler that leaves the pool half-updated would let the miner build
   * invalid blocks; on an unexpected error the pool is emptied instead (always
   * consistent with the chain) and the error re-thrown for the chain to report.
   */
  private guarded (handler: () => void): void {
    try {
      handler()
    } catch (err) {
      this.clear()
      throw err
    }
  }

  /** Empties the pool. */
  clear (): void {
    const all = [...this.entries.values()]
    this.entries.clear()
    this.spentBy.clear()
    this.heightSensitive.clear()
    this.evictIndex.clear()
    this.expiryIndex.clear()
    this.bytesUsed = 0
    this.version++
    for (const e of all) this.emit('removed', e, 'reorg')
  }

  private onConnect (block: Block): void {
    for (const tx of block.transactions) {
      const mine = this.entries.get(toHex(txid(tx)))
      // confirmed: its children now spend a confirmed output
      if (mine !== undefined) this.removeSet(new Set([mine]), 'block')
      for (const input of tx.inputs) {
        const conflict = this.spentBy.get(outpoint(input.prevTxid, input.prevIndex))
        if (conflict !== undefined) this.removeWithDescendants(conflict, 'conflict')
      }
    }
  }

  /** After the tip moves: expiry, and after a reorganisation the re-checks it calls for. */
  private onTip (): void {
    this.version++
    this.expire()
    if (this.disconnected.length > 0) this.afterReorg()
  }

  /**
   * Returns the disconnected blocks' transactions and re-checks only what
   * the reorganisation touched: entries spending outputs of disconnected
   * transactions (their inputs now come from the pool, or are gone) and, when
   * the chain got shorter, entries whose maturity or lock time depends on the
   * height; each with its descendants. Everything else stays as it is.
   * Signatures are not verified again: they commit to the transaction alone,
   * so a transaction whose signatures once verified (in the pool, or in a
   * block the chain connected) still has valid ones.
   */
  private afterReorg (): void {
    const blocks = this.disconnected.splice(0).reverse() // oldest first
    const touched = new Set<MempoolEntry>()
    const returning: Array<{ tx: Transaction, id: Uint8Array, idHex: string }> = []
    for (const block of blocks) {
      for (const tx of block.transactions) {
        const id = txid(tx)
        const idHex = toHex(id)
        for (let i = 0; i < tx.outputs.length; i++) {
          const spender = this.spentBy.get(outpoint(idHex, i))
          if (spender !== undefined) touched.add(spender)
        }
        if (!isCoinbase(tx)) returning.push({ tx, id, idHex })
      }
    }
    if (this.chain.height < this.heightBeforeReorg) for (const e of this.heightSensitive) touched.add(e)
    const recheck = descendantsOf(touched)
    const ordered = topological(recheck)
    this.removeSet(recheck, 'reorg', true)
    for (const r of returning) {
      const entry = this.admitVerified(r.tx, this.newEntry(r.tx, r.id, r.idHex, this.now()))
      if (entry !== undefined) this.emit('added', entry)
    }
    for (const e of ordered) {
      if (this.admitVerified(e.tx, e) === undefined) this.emit('removed', e, 'reorg')
    }
    this.trimToSize()
  }

  /** Adds a transaction whose signatures are known to be valid, if it passes every other check now. */
  private admitVerified (tx: Transaction, entry: MempoolEntry): MempoolEntry | undefined {
    if (this.entries.has(entry.txidHex) || this.chain.getTxLocation(entry.txid) !== undefined) return undefined
    try {
      this.insert(entry, this.checkInputs(tx, false))
      return entry
    } catch (err) {
      if (err instanceof ValidationError) return undefined
      throw err
    }
  }

  /**
   * Transactions for a block template, best package fee rate first: a child
   * paying for its parent counts with it. Parents always precede children.
   */
  selectForBlock (maxBytes: number): MempoolEntry[] {
    return selectPackages(this.entries.values(), maxBytes)
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
        if (this.spentBy.get(outpoint(input.prevTxid, input.prevIndex)) !== e) problems.push(`${k}: input ${outpoint(input.prevTxid, input.prevIndex)} not indexed`)
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
    for (const [key, e] of this.spentBy) if (!this.isLive(e)) problems.push(`outpoint ${key}: spent by a removed entry`)
    return problems
  }
}

export function feeRate (e: MempoolEntry): number {
  return Number(e.fee) / e.size
}
