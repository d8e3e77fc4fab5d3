// A layer of coin changes over the stored UTXO set: what a block spends and
// creates, before it is written. Outpoints are keyed by their database key
// as a latin1 string (the coin cache's map key too). Nothing here is an
// object per coin: a created coin is its encoding in one buffer sized to the
// block's outputs (a map from key to offset), a spent one its key string;
// coins handed out are decoded on demand and die young (BENCHMARKS.md,
// issue 12 session 7: objects alive until the write are what the collector
// copies at each scavenge of a connect).
import type { CoinChanges } from './block-batch.js'
import { COIN_KEY_BYTES, coinKey } from './db-layout.js'
import { type Coin, COIN_BYTES, decodeCoin, encodeCoin } from './records.js'

export interface CoinLookup {
  getCoin: (txid: Uint8Array, index: number) => Coin | undefined
  /**
   * The same lookup by the coin's database key and that key as latin1 (the
   * coin cache's map key). `key` is only valid during the call: a caller may
   * reuse its bytes.
   */
  getCoinAt?: (key: Uint8Array, s: string) => Coin | undefined
}

export class CoinView implements CoinChanges {
  /** Coins created in this view and not yet spent in it: latin1 key to the offset of the coin in `values`. */
  readonly added = new Map<string, number>()
  /** Latin1 keys of base coins spent in this view. */
  readonly spent = new Set<string>()
  /** The encoded coins created here, in creation order. */
  readonly values: Uint8Array
  private used = 0
  /** The key being looked up (off the heap: a database read takes it without moving it). */
  private readonly scratch = Buffer.allocUnsafeSlow(COIN_KEY_BYTES)

  /** `outputs`: how many coins at most this view creates (a block's outputs). */
  constructor (private readonly base: CoinLookup, outputs: number) {
    // a plain Uint8Array over memory off the heap: a Buffer's subarray (a decoded coin's address) is slower to make
    const b = Buffer.allocUnsafeSlow(Math.max(1, outputs) * COIN_BYTES)
    this.values = new Uint8Array(b.buffer, b.byteOffset, b.length)
  }

  add (txid: Uint8Array, index: number, coin: Coin): void {
    if (this.used + COIN_BYTES > this.values.length) throw new RangeError('more coins created than the view was sized for')
    coinKey(txid, index, this.scratch)
    const at = this.used
    encodeCoin(coin, this.values, at)
    this.used += COIN_BYTES
    this.added.set(this.scratch.toString('latin1', 0, COIN_KEY_BYTES), at)
  }

  /** Spends an outpoint; returns the coin, or undefined when missing or already spent. */
  spend (txid: Uint8Array, index: number): Coin | undefined {
    const k = coinKey(txid, index, this.scratch)
    const s = this.scratch.toString('latin1', 0, COIN_KEY_BYTES)
    const added = this.added.get(s)
    if (added !== undefined) {
      this.added.delete(s)
      return decodeCoin(this.values, added)
    }
    if (this.spent.has(s)) return undefined
    const coin = this.base.getCoinAt !== undefined ? this.base.getCoinAt(k, s) : this.base.getCoin(txid, index)
    if (coin !== undefined) this.spent.add(s)
    return coin
  }
}
