// A layer of coin changes over the stored UTXO set: what a block (or the
// mempool) spends and creates, before it is written.
import { toHex } from '../core/bytes.js'
import type { Coin } from './records.js'

export interface CoinLookup {
  getCoin: (txid: Uint8Array, index: number) => Coin | undefined
}

function outpointKey (txid: Uint8Array, index: number): string {
  return toHex(txid) + ':' + index
}

export class CoinView implements CoinLookup {
  /** Coins created in this view and not yet spent in it. */
  readonly added = new Map<string, { txid: Uint8Array, index: number, coin: Coin }>()
  /** Base coins spent in this view. */
  readonly spent = new Map<string, { txid: Uint8Array, index: number }>()

  constructor (private readonly base: CoinLookup) {}

  getCoin (txid: Uint8Array, index: number): Coin | undefined {
    const k = outpointKey(txid, index)
    const added = this.added.get(k)
    if (added !== undefined) return added.coin
    if (this.spent.has(k)) return undefined
    return this.base.getCoin(txid, index)
  }

  add (txid: Uint8Array, index: number, coin: Coin): void {
    this.added.set(outpointKey(txid, index), { txid, index, coin })
  }

  /** Spends an outpoint; returns the coin, or undefined when missing or already spent. */
  spend (txid: Uint8Array, index: number): Coin | undefined {
    const k = outpointKey(txid, index)
    const added = this.added.get(k)
    if (added !== undefined) {
      this.added.delete(k)
      return added.coin
    }
    if (this.spent.has(k)) return undefined
    const coin = this.base.getCoin(txid, index)
    if (coin !== undefined) this.spent.set(k, { txid, index })
    return coin
  }
}
