// Which addresses and proven outputs are the light wallet's. "Ours" is every
// address the keystore watches (handed out, and the gap-limit window of each
// chain): the light client scans all of them, so a wallet restored from its
// phrase finds its change, and a payment found in the window moves the
// window on (markUsed). Every proven output to us is indexed by outpoint, so
// taking in a proof costs the same with 20 or 20,000 proofs held.
import { toHex } from '../core/bytes.js'
import type { Transaction } from '../core/types.js'
import { GAP_LIMIT, type Wallet } from '../wallet/wallet.js'
import { outpointKey as outpoint, type ProvenTransactions } from './proven-txs.js'
import { PendingStorageError } from './spv-wallet-types.js'

export interface OwnedOutputsOptions {
  keys: Wallet
  proven: ProvenTransactions
  /** The watched set grew (a change or newly used window address was recorded). */
  onAddressesChanged: () => void
  /** A keystore write failed; the node stops on it. */
  onStorageFailure: (err: Error) => void
}

export class OwnedOutputs {
  /** Watched addresses (hex) whose markUsed is under way. */
  private readonly noting = new Set<string>()
  private mine = new Set<string>()
  /** Outpoints of proven outputs to our addresses -> the proving transaction (hex). */
  private readonly own = new Map<string, string>()

  constructor (private readonly o: OwnedOutputsOptions) {
    this.refresh()
    o.proven.on('added', proof => {
      this.index(proof.txidHex)
      this.noteUsed(proof.tx)
    })
    // proofs of an earlier run to addresses of the window (a crash before markUsed was written)
    for (const hex of new Set(this.own.values())) {
      const p = o.proven.get(hex)
      if (p !== undefined) this.noteUsed(p.tx)
    }
    o.proven.on('dropped', proofs => {
      for (const p of proofs) p.tx.outputs.forEach((_, i) => this.own.delete(outpoint(p.txidHex, i)))
    })
  }

  isMine (address: Uint8Array): boolean {
    return this.mine.has(toHex(address))
  }

  /** Is this outpoint a proven output to us? */
  owns (outpointKey: string): boolean {
    return this.own.has(outpointKey)
  }

  /** Proven outputs to us: outpoint -> proving transaction (hex). */
  entries (): IterableIterator<[string, string]> {
    return this.own.entries()
  }

  /** A transaction that spends only our own proven coins (its change is ours to trust, as Core trusts its own change). */
  spendsOnlyOurs (tx: Transaction): boolean {
    return tx.inputs.length > 0 && tx.inputs.every(i => this.own.has(outpoint(i.prevTxid, i.prevIndex)))
  }

  /** Pays one of our addresses or spends one of our proven outputs. */
  touches (tx: Transaction): boolean {
    if (tx.outputs.some(o => this.isMine(o.address))) return true
    return tx.inputs.some(i => this.own.has(outpoint(i.prevTxid, i.prevIndex)))
  }

  /**
   * The internal chain's next unused address. One a proven transaction
   * already pays (a restored wallet whose markUsed is still being written)
   * is recorded as used and skipped.
   */
  async freshChangeAddress (): Promise<Uint8Array> {
    let change = this.o.keys.peekChangeAddress().hash
    for (let i = 0; i <= GAP_LIMIT && this.o.proven.txidsOf(toHex(change)).size > 0 && !this.o.keys.hasAddress(change); i++) {
      try {
        await this.o.keys.markUsed(change)
      } catch (err) {
        this.o.onStorageFailure(err as Error)
        throw new PendingStorageError(`cannot record a used address in the keystore: ${(err as Error).message}`, { cause: err })
      }
      change = this.o.keys.peekChangeAddress().hash
    }
    return change
  }

  /** Every address handed out or in the gap-limit window (what outputs to us may pay). */
  refresh (): void {
    this.mine = new Set(this.o.keys.watchedHashes().map(toHex))
    this.own.clear()
    for (const a of this.mine) for (const hex of this.o.proven.txidsOf(a)) this.index(hex)
  }

  /** The keystore handed out or recorded addresses: index again and tell the light client. */
  changed (): void {
    this.refresh()
    this.o.onAddressesChanged()
  }

  private index (txidHex: string): void {
    const p = this.o.proven.get(txidHex)
    p?.tx.outputs.forEach((o, i) => { if (this.isMine(o.address)) this.own.set(outpoint(txidHex, i), txidHex) })
  }

  /**
   * Records window addresses a proven transaction pays as handed out, so the
   * gap-limit window moves on (and change never goes to an address the chain
   * already shows). Asynchronous: the keystore write runs in the background;
   * the address counts as ours meanwhile, being watched.
   */
  private noteUsed (tx: Transaction): void {
    for (const o of tx.outputs) {
      const hex = toHex(o.address)
      if (!this.isMine(o.address) || this.o.keys.hasAddress(o.address) || this.noting.has(hex)) continue
      this.noting.add(hex)
      this.o.keys.markUsed(o.address)
        .then(moved => { if (moved) this.changed() })
        .catch(err => this.o.onStorageFailure(err as Error))
        .finally(() => this.noting.delete(hex))
    }
  }
}
