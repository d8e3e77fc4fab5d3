// A layer of coin changes over the stored UTXO set: what a block spends and
// creates, before it is written. Outpoints are keyed by their database key
// (built once, into the block's slab) as a latin1 string, so the same bytes
// serve the lookup, the coin cache and the batch.
import type { Slab } from './batch-slab.js'
import { COIN_KEY_BYTES, coinKey } from './db-layout.js'
import type { Coin } from './records.js'

export interface CoinLookup {
  getCoin: (txid: Uint8Array, index: number) => Coin | undefined
  /** The same lookup by the coin's database key and that key as latin1 (the coin cache's map key). */
  getCoinAt?: (key: Uint8Array, s: string) => Coin | undefined
}

export class CoinView {
  /** Coins created in this view and not yet spent in it, by latin1 key. */
  readonly added = new Map<string, { key: Uint8Array, coin: Coin }>()
  /** Database keys of base coins spent in this view, by latin1 key. */
  readonly spent = new Map<string, Uint8Array>()

  constructor (private readonly base: CoinLookup, private readonly slab: Slab) {}

  add (txid: Uint8Array, index: number, coin: Coin): void {
    const k = coinKey(txid, index, this.slab.take(COIN_KEY_BYTES))
    this.added.set(this.slab.latin1(k), { key: k, coin })
  }

  /** Spends an outpoint; returns the coin, or undefined when missing or already spent. */
  spend (txid: Uint8Array, index: number): Coin | undefined {
    const k = coinKey(txid, index, this.slab.take(COIN_KEY_BYTES))
    const s = this.slab.latin1(k)
    const added = this.added.get(s)
    if (added !== undefined) {
      this.added.delete(s)
      return added.coin
    }
    if (this.spent.has(s)) return undefined
    const coin = this.base.getCoinAt !== undefined ? this.base.getCoinAt(k, s) : this.base.getCoin(txid, index)
    if (coin !== undefined) this.spent.set(s, k)
    return coin
  }
}
