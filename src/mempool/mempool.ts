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
import { emitToEach, logListenerError } from '../chain/safe-emit.js'
import { descendantsOf, topological } from './graph.js'
import { NO_LINKS, type MempoolEntry } from './entry.js'
import { PoolStore } from './pool-store.js'
import { outpoint, txidHexOf, txidKey } from './keys.js'
import { checkPoolInputs, recheckAfterInsertions, type InputsChecked, type PoolPolicy } from './pool-inputs.js'
import { DEFAULT_LIMITS, type MempoolLimits } from './limits.js'
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

export class Mempool extends EventEmitter<MempoolEvents> {
  private readonly store = new PoolStore((e, reason) => this.emit('removed', e, reason))
  readonly entries = this.store.entries
  private readonly chain: Chain
  private readonly params: NetworkParams
  private readonly verifier: SignatureVerifier
  readonly maxBytes: number
  private readonly expiryMs: number
  readonly minFeeRate: bigint
  readonly limits: MempoolLimits
  /** minFeeRate and limits as checkPoolInputs takes them: made once, not per transaction. */
  private readonly policy: PoolPolicy
  private readonly now: () => number
  /** Blocks disconnected since the last tip event, tip first, and the height before the first. */
  private readonly disconnected: Block[] = []
  private heightBeforeReorg = 0

  constructor (opts: MempoolOptions) {
    super()
    this.chain = opts.chain
    this.params = opts.chain.params
    this.verifier = opts.verifier
    this.maxBytes = opts.maxBytes ?? 64_000_000
    this.expiryMs = opts.expiryMs ?? 14 * 24 * 3600_000
    this.minFeeRate = opts.minFeeRate ?? 1n
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.policy = { minFeeRate: this.minFeeRate, limits: this.limits }
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
    // nobody listening: nothing to call (emitToEach would copy the empty list of listeners)
    if (this.listenerCount(event) === 0) return false
    return emitToEach(this, event, args, (name, err) => {
      if (this.listenerCount('listenerError') > 0) super.emit('listenerError', name, err)
      else logListenerError('mempool')(name, err)
    })
  }

  get size (): number {
    return this.entries.size
  }

  get bytes (): number {
    return this.store.bytesUsed
  }

  has (txidHex: string): boolean {
    return this.entries.has(txidHex)
  }

  get (txidHex: string): MempoolEntry | undefined {
    return this.entries.get(txidHex)
  }

  /** Whether a pending transaction spends this outpoint. */
  spender (id: Uint8Array, index: number): MempoolEntry | undefined {
    return this.store.spentBy.get(outpoint(id, index))
  }

  /**
   * Validates and adds a transaction. Throws ValidationError: 'reject' codes
   * for invalid transactions, 'ignore' codes for ones merely not wanted now
   * (known, conflicting, missing inputs, fee too low, chain too long, pool full).
   */
  accept (tx: Transaction): Promise<MempoolEntry> {
    // Not an async function: the transaction waits on its signatures through
    // one `then`. A suspended async frame and its await cost ~400 more bytes
    // per transaction on the hot path (BENCHMARKS.md, session 7).
    const start = performance.now()
    try {
      const id = txid(tx)
      const idHex = txidHexOf(id)
      // [IGNORE] already pending or confirmed
      if (this.entries.has(idHex)) throw new ValidationError('txn-already-known', `transaction ${idHex} is already pending`, 'ignore')
      checkTransaction(tx, this.params)
      // [REJECT] a coinbase only exists inside its block
      if (isCoinbase(tx)) throw new ValidationError('tx-coinbase-loose', 'a coinbase cannot be relayed on its own')
      // [IGNORE] already confirmed: asked only when an input is missing (checkPoolInputs)

      const versionBefore = this.store.version
      const disruptionsBefore = this.store.disruptions
      // inputs, fee and chain limits first: all cheaper than the signatures
      const first = this.checkInputs(tx, id, true)
      return this.verifier.verifyBatch(first.checks).then(
        results => this.admit(tx, id, idHex, first, results, versionBefore !== this.store.version, disruptionsBefore !== this.store.disruptions, start),
        err => { throw this.counted(err, start) })
    } catch (err) {
      return Promise.reject(this.counted(err, start))
    }
  }

  /** accept, once the signatures are verified: `changed`, whether the pool changed meanwhile (`disrupted`: other than by insertions). */
  private admit (tx: Transaction, id: Uint8Array, idHex: string, first: InputsChecked, results: boolean[], changed: boolean, disrupted: boolean, start: number): MempoolEntry {
    try {
      const bad = results.indexOf(false)
      // [REJECT] every signature verifies
      if (bad !== -1) throw new ValidationError('tx-bad-signature', `input ${bad} has an invalid signature`)
      // a block bringing it will not verify them again (Core's signature cache)
      if (results.length === first.checks.length) this.chain.verifiedTxs.addKey(txidKey(id))
      // Other transactions or blocks may have arrived while signatures were checked.
      if (this.entries.has(idHex)) throw new ValidationError('txn-already-known', `transaction ${idHex} is already pending`, 'ignore')
      // Only insertions since (concurrent submissions): the two things they can
      // change are checked again; anything else, the whole check again.
      const checked = !changed ? first : !disrupted ? recheckAfterInsertions(tx, first, this.store, this.limits) : this.checkInputs(tx, id, false)

      const entry = this.newEntry(tx, id, idHex, this.now())
      this.store.insert(entry, checked)
      this.store.trimTo(this.maxBytes)
      // [IGNORE] evicted at once: pays less than everything already pending
      if (!this.store.isLive(entry)) throw new ValidationError('mempool-full', `mempool is full and fee rate ${feeRate(entry)} is too low`, 'ignore')
      this.emit('added', entry)
      this.emit('processed', 'accepted', (performance.now() - start) / 1000)
      return entry
    } catch (err) {
      throw this.counted(err, start)
    }
  }

  /** Reports a refused transaction ('processed' with the error's result) and returns the error. */
  private counted (err: unknown, start: number): unknown {
    if (err instanceof ValidationError) {
      const result = err.code === 'txn-already-known' || err.code === 'txn-already-confirmed' ? 'duplicate' : err.severity === 'reject' ? 'rejected' : 'ignored'
      this.emit('processed', result, (performance.now() - start) / 1000)
    }
    return err
  }

  /** An entry not in the pool yet: PoolStore.insert gives it its links. */
  private newEntry (tx: Transaction, id: Uint8Array, idHex: string, time: number): MempoolEntry {
    const size = txSize(tx)
    return { tx, txid: id, txidHex: idHex, fee: 0n, size, time, parents: NO_LINKS, children: NO_LINKS, seq: 0, descCount: 1, descSize: size, descFee: 0n, heightSensitive: false, evictKey: 0 }
  }

  /** The contextual checks against chain + pool (pool-inputs.ts); signature checks only when `withChecks`. */
  private checkInputs (tx: Transaction, id: Uint8Array, withChecks: boolean): InputsChecked {
    return checkPoolInputs(tx, id, this.chain, this.store, this.policy, withChecks)
  }

  /** Drops transactions older than the expiry time, with their descendants. */
  expire (): number {
    return this.store.expireBefore(this.now() - this.expiryMs)
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
    for (const e of this.store.clear()) this.emit('removed', e, 'reorg')
  }

  private onConnect (block: Block): void {
    // nothing pending, nothing to confirm or conflict with: an initial sync
    // connects every block into an empty pool (~1.5 µs a transaction saved)
    if (this.entries.size === 0 && this.store.spentBy.size === 0) return
    for (const tx of block.transactions) {
      const mine = this.entries.get(toHex(txid(tx)))
      // confirmed: its children now spend a confirmed output
      if (mine !== undefined) this.store.removeSet(new Set([mine]), 'block')
      for (const input of tx.inputs) {
        const conflict = this.store.spentBy.get(outpoint(input.prevTxid, input.prevIndex))
        if (conflict !== undefined) this.store.removeWithDescendants(conflict, 'conflict')
      }
    }
  }

  /** After the tip moves: expiry, and after a reorganisation the re-checks it calls for. */
  private onTip (): void {
    this.store.version++
    this.store.disruptions++
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
          const spender = this.store.spentBy.get(outpoint(id, i))
          if (spender !== undefined) touched.add(spender)
        }
        if (!isCoinbase(tx)) returning.push({ tx, id, idHex })
      }
    }
    if (this.chain.height < this.heightBeforeReorg) for (const e of this.store.heightSensitive) touched.add(e)
    const recheck = descendantsOf(touched)
    const ordered = topological(recheck)
    this.store.removeSet(recheck, 'reorg', true)
    for (const r of returning) {
      const entry = this.admitVerified(r.tx, this.newEntry(r.tx, r.id, r.idHex, this.now()))
      if (entry !== undefined) this.emit('added', entry)
    }
    for (const e of ordered) {
      if (this.admitVerified(e.tx, e) === undefined) this.emit('removed', e, 'reorg')
    }
    this.store.trimTo(this.maxBytes)
  }

  /** Adds a transaction whose signatures are known to be valid, if it passes every other check now. */
  private admitVerified (tx: Transaction, entry: MempoolEntry): MempoolEntry | undefined {
    if (this.entries.has(entry.txidHex) || this.chain.getTxLocation(entry.txid) !== undefined) return undefined
    try {
      this.store.insert(entry, this.checkInputs(tx, entry.txid, false))
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

  /** Internal invariants, for tests (see PoolStore.checkConsistency); empty when consistent. */
  checkConsistency (): string[] {
    return this.store.checkConsistency()
  }
}

export function feeRate (e: MempoolEntry): number {
  return Number(e.fee) / e.size
}
