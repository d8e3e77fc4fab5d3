// The light wallet's own transactions that no proof has confirmed yet. It
// cannot see the mempool, so this set is all it knows of "pending". The set
// is saved (pending-file.ts) before anything changes in memory, so what it
// holds is what a restart finds.
import { toHex } from '../core/bytes.js'
import { txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import type { PendingPersistence } from './pending-file.js'
import { outpointKey as outpoint, type ProvenOutput, type ProvenTransactions } from './proven-txs.js'
import { PendingStorageError, type PendingTx } from './spv-wallet-types.js'

export type SettleReason = 'proven' | 'conflict' | 'expired'

export interface PendingSetOptions {
  proven: ProvenTransactions
  persistence?: PendingPersistence
  now: () => number
  /** Our transactions no proof has confirmed after this long are forgotten. */
  expiryMs: number
  /** Whether our addresses' history is known complete through the tip (expiry waits for it). */
  historyComplete: () => boolean
  onAdded: (p: PendingTx) => void
  onSettled: (p: PendingTx, reason: SettleReason) => void
}

export class PendingSet {
  private readonly pending = new Map<string, PendingTx>()

  /** Loads the saved set; a damaged file throws (the node refuses to start rather than forget payments it made). */
  constructor (private readonly o: PendingSetOptions) {
    for (const { tx, publishedAt } of o.persistence?.load() ?? []) {
      const id = txid(tx)
      this.pending.set(toHex(id), { tx, txid: id, txidHex: toHex(id), publishedAt })
    }
  }

  get size (): number {
    return this.pending.size
  }

  values (): IterableIterator<PendingTx> {
    return this.pending.values()
  }

  get (txidHex: string): PendingTx | undefined {
    return this.pending.get(txidHex)
  }

  has (txidHex: string): boolean {
    return this.pending.has(txidHex)
  }

  /** The output at an outpoint, from a proven or one of our pending transactions (to price inputs). */
  outputAt (outpointKey: string): ProvenOutput | undefined {
    const proven = this.o.proven.outputAt(outpointKey)
    if (proven !== undefined) return proven
    const colon = outpointKey.indexOf(':')
    return this.pending.get(outpointKey.slice(0, colon))?.tx.outputs[Number(outpointKey.slice(colon + 1))]
  }

  /** Adds (and saves) a transaction unless held already; throws PendingStorageError and keeps nothing when the save fails. */
  add (tx: Transaction): PendingTx {
    const id = txid(tx)
    const hex = toHex(id)
    const known = this.pending.get(hex)
    if (known !== undefined) return known
    const pending = { tx, txid: id, txidHex: hex, publishedAt: this.o.now() }
    this.save([...this.pending.values(), pending])
    this.pending.set(hex, pending)
    this.o.onAdded(pending)
    return pending
  }

  /**
   * Drops pending transactions that were proven, lost a double spend to a
   * proven one, or expired. Expiry waits until our history is known
   * complete through the tip (a block may hold the transaction unproven yet).
   * When the file cannot be saved the set stays as it was (and is retried at
   * the next call): forgetting in memory only would free coins that a
   * restart would lock again.
   */
  settle (): void {
    if (this.pending.size === 0) return
    const { proven } = this.o
    const cutoff = this.o.now() - this.o.expiryMs
    let complete: boolean | undefined
    const settled: Array<[PendingTx, SettleReason]> = []
    for (const [hex, p] of this.pending) {
      let reason: SettleReason | undefined
      if (proven.has(hex)) reason = 'proven'
      else if (p.tx.inputs.some(i => { const by = proven.spenderOf(outpoint(i.prevTxid, i.prevIndex)); return by !== undefined && by !== hex })) reason = 'conflict'
      else if (p.publishedAt < cutoff && (complete ??= this.o.historyComplete())) reason = 'expired'
      if (reason !== undefined) settled.push([p, reason])
    }
    if (settled.length === 0) return
    const left = [...this.pending.values()].filter(p => !settled.some(([s]) => s === p))
    try {
      this.save(left)
    } catch {
      return
    }
    for (const [p, reason] of settled) {
      this.pending.delete(p.txidHex)
      this.o.onSettled(p, reason)
    }
  }

  /** Persists the pending set; throws PendingStorageError. */
  private save (pending: PendingTx[]): void {
    if (this.o.persistence === undefined) return
    try {
      this.o.persistence.save(pending)
    } catch (err) {
      throw new PendingStorageError(`cannot save the pending-transaction file: ${(err as Error).message}`, { cause: err })
    }
  }
}
