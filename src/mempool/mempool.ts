// Pending transactions: validated against the UTXO set plus other pending
// transactions, first seen wins a double spend, bounded in bytes with the
// lowest fee rates evicted first, expired after a while, and re-checked after
// reorganisations.
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
import { selectPackages } from './package-selection.js'

export interface MempoolEntry {
  tx: Transaction
  txid: Uint8Array
  txidHex: string
  fee: bigint
  size: number
  /** Arrival, unix milliseconds. */
  time: number
  /** In-pool transactions this one spends from / that spend from it. */
  parents: Set<MempoolEntry>
  children: Set<MempoolEntry>
}

export interface MempoolOptions {
  chain: Chain
  verifier: SignatureVerifier
  /** Cap on the summed size of pending transactions. */
  maxBytes?: number
  /** Pending transactions older than this are dropped (ms). */
  expiryMs?: number
  /** Policy: minimum fee in base units per byte. */
  minFeeRate?: bigint
  now?: () => number
}

export interface MempoolEvents {
  added: [entry: MempoolEntry]
  removed: [entry: MempoolEntry, reason: 'block' | 'conflict' | 'evicted' | 'expired' | 'reorg']
  /** Every accept call: 'accepted', or the error's severity ('rejected'/'ignored'), and how long it took. */
  processed: [result: 'accepted' | 'duplicate' | 'rejected' | 'ignored', seconds: number]
}

const outpoint = (id: Uint8Array | string, index: number): string => (typeof id === 'string' ? id : toHex(id)) + ':' + index

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
  private readonly now: () => number
  private bytesUsed = 0
  private readonly disconnected: Block[] = []
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
    this.now = opts.now ?? Date.now
    this.chain.on('connect', block => this.onConnect(block))
    this.chain.on('disconnect', block => { this.disconnected.push(block) })
    this.chain.on('tip', () => { this.version++; void this.onTip() })
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
   * (known, conflicting, missing inputs, fee too low, pool full).
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
    const first = this.checkInputs(tx)
    const results = await this.verifier.verifyBatch(first.checks)
    const bad = results.indexOf(false)
    // [REJECT] every signature verifies
    if (bad !== -1) throw new ValidationError('tx-bad-signature', `input ${bad} has an invalid signature`)

    // Other transactions or blocks may have arrived while signatures were checked.
    if (this.entries.has(idHex)) throw new ValidationError('txn-already-known', `transaction ${idHex} is already pending`, 'ignore')
    const { fee, parents } = this.version === versionBefore ? first : this.checkInputs(tx)

    const size = txSize(tx)
    const entry: MempoolEntry = { tx, txid: id, txidHex: idHex, fee, size, time: this.now(), parents, children: new Set() }
    this.insert(entry)
    this.trimToSize()
    // [IGNORE] evicted at once: pays less than everything already pending
    if (!this.entries.has(idHex)) throw new ValidationError('mempool-full', `mempool is full and fee rate ${feeRate(entry)} is too low`, 'ignore')
    this.emit('added', entry)
    return entry
  }

  private checkInputs (tx: Transaction): { fee: bigint, parents: Set<MempoolEntry>, checks: ReturnType<typeof checkTxInputs>['checks'] } {
    const parents = new Set<MempoolEntry>()
    const spendHeight = this.chain.height + 1
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
      return this.chain.getCoin(prev, index)
    }
    let result
    try {
      result = checkTxInputs(tx, lookup, spendHeight, this.params)
    } catch (err) {
      // An unknown input may be a parent we have not seen yet: not the sender's fault.
      if (err instanceof ValidationError && err.code === 'tx-missing-inputs') throw new ValidationError(err.code, err.message, 'ignore')
      throw err
    }
    const minFee = this.minFeeRate * BigInt(txSize(tx))
    // [IGNORE] policy: pays too little to relay
    if (result.fee < minFee) throw new ValidationError('tx-fee-too-low', `fee ${result.fee} is below the minimum ${minFee} (${this.minFeeRate}/byte)`, 'ignore')
    return { fee: result.fee, parents, checks: result.checks }
  }

  private insert (entry: MempoolEntry): void {
    this.version++
    this.entries.set(entry.txidHex, entry)
    this.bytesUsed += entry.size
    for (const input of entry.tx.inputs) this.spentBy.set(outpoint(input.prevTxid, input.prevIndex), entry)
    for (const p of entry.parents) p.children.add(entry)
  }

  /** Removes an entry and everything that spends from it. */
  private removeWithDescendants (entry: MempoolEntry, reason: MempoolEvents['removed'][1]): void {
    if (!this.entries.has(entry.txidHex)) return
    for (const child of [...entry.children]) this.removeWithDescendants(child, reason)
    this.removeOne(entry, reason)
  }

  private removeOne (entry: MempoolEntry, reason: MempoolEvents['removed'][1]): void {
    if (!this.entries.delete(entry.txidHex)) return
    this.version++
    this.bytesUsed -= entry.size
    for (const input of entry.tx.inputs) {
      const key = outpoint(input.prevTxid, input.prevIndex)
      if (this.spentBy.get(key) === entry) this.spentBy.delete(key)
    }
    for (const p of entry.parents) p.children.delete(entry)
    for (const c of entry.children) c.parents.delete(entry)
    this.emit('removed', entry, reason)
  }

  /** Lowest fee rate (with descendants) goes first until the pool fits. */
  private trimToSize (): void {
    while (this.bytesUsed > this.maxBytes && this.entries.size > 0) {
      let worst: MempoolEntry | undefined
      let worstRate = 0
      for (const e of this.entries.values()) {
        if (e.children.size > 0) continue // evict leaves; their parents follow if still lowest
        const rate = feeRate(e)
        if (worst === undefined || rate < worstRate) { worst = e; worstRate = rate }
      }
      if (worst === undefined) break
      this.removeWithDescendants(worst, 'evicted')
    }
  }

  expire (): number {
    const cutoff = this.now() - this.expiryMs
    let removed = 0
    for (const e of [...this.entries.values()]) {
      if (e.time < cutoff && this.entries.has(e.txidHex)) {
        const before = this.entries.size
        this.removeWithDescendants(e, 'expired')
        removed += before - this.entries.size
      }
    }
    return removed
  }

  private onConnect (block: Block): void {
    for (const tx of block.transactions) {
      const mine = this.entries.get(toHex(txid(tx)))
      if (mine !== undefined) {
        // confirmed: its children now spend a confirmed output
        for (const c of mine.children) c.parents.delete(mine)
        mine.children.clear()
        this.removeOne(mine, 'block')
      }
      for (const input of tx.inputs) {
        const conflict = this.spentBy.get(outpoint(input.prevTxid, input.prevIndex))
        if (conflict !== undefined) this.removeWithDescendants(conflict, 'conflict')
      }
    }
  }

  /**
   * After the tip moves. If blocks were disconnected, every pending
   * transaction is checked again (coinbase spends may be immature now, inputs
   * may be gone) together with the transactions of the disconnected blocks.
   */
  private async onTip (): Promise<void> {
    this.expire()
    if (this.disconnected.length === 0) return
    // disconnect events come tip first; re-add oldest block first
    const returning = this.disconnected.splice(0).reverse().flatMap(b => b.transactions.filter(tx => !isCoinbase(tx)))
    const pending = [...this.entries.values()].sort((a, b) => a.time - b.time)
    for (const e of pending) this.removeOne(e, 'reorg')
    for (const tx of [...returning, ...pending.map(e => e.tx)]) {
      try {
        await this.acceptUncounted(tx)
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
      }
    }
  }

  /**
   * Transactions for a block template, best package fee rate first: a child
   * paying for its parent counts with it. Parents always precede children.
   */
  selectForBlock (maxBytes: number): MempoolEntry[] {
    return selectPackages(this.entries.values(), maxBytes)
  }
}

export function feeRate (e: MempoolEntry): number {
  return Number(e.fee) / e.size
}
