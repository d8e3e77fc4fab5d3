// Coins in memory in front of the UTXO set in LevelDB, as Bitcoin Core's
// CCoinsViewCache keeps them, but write-through: the database stays the
// only truth. The cache learns of a change only from a batch that has been
// written (ChainStore.onCommitted), so a crash loses nothing but the cache,
// and a batch that failed changes nothing in it. Coins a block creates are
// remembered at once: they are the ones the next transactions spend (the
// mempool's lookups, then the next block's). Bounded: the oldest go first.
import type { CoinLookup } from './coin-view.js'
import type { Coin } from './records.js'
import { COIN_BYTES, decodeCoin } from './records.js'
import { COIN_KEY_BYTES, coinKey, Prefix, type BatchOp } from './db-layout.js'
import { latin1 } from './batch-slab.js'
import { type BlockBatch, isBlockBatch } from './block-batch.js'

/** ~200 bytes each (key string, its own 33-byte value): at most ~10 MiB. */
export const DEFAULT_MAX_COINS = 50_000

/** The map key of a coin: its database key as a latin1 string (cheaper than hex). */
const mapKey = latin1

export class CoinCache implements CoinLookup {
  /** Encoded coins (records.ts), decoded when asked for: most created coins are not asked for soon. */
  private readonly coins = new Map<string, Uint8Array>()
  /** Lookups answered from memory / from the database (for tests and benches). */
  hits = 0
  misses = 0

  constructor (
    /** A point read of the database. */
    private readonly read: (key: Uint8Array) => Uint8Array | undefined,
    readonly maxCoins = DEFAULT_MAX_COINS
  ) {}

  get size (): number {
    return this.coins.size
  }

  /** Bytes of memory the cached coins keep alive: the buffers their encodings are views of (for tests and benches). */
  retainedBytes (): number {
    const buffers = new Set<ArrayBufferLike>()
    for (const v of this.coins.values()) buffers.add(v.buffer)
    let total = 0
    for (const b of buffers) total += b.byteLength
    return total
  }

  /** The unspent output, or undefined. */
  getCoin (id: Uint8Array, index: number): Coin | undefined {
    const k = coinKey(id, index)
    return this.getCoinAt(k, mapKey(k))
  }

  /** getCoin by the coin's database key `k` and `s`, that key as latin1 (a block's lookups have both already). */
  getCoinAt (k: Uint8Array, s: string): Coin | undefined {
    const v = this.getEncodedAt(k, s)
    return v === undefined ? undefined : decodeCoin(v)
  }

  /**
   * The coin's encoding (records.ts: COIN_BYTES from offset 0), not decoded:
   * the mempool reads its fields in place (no Coin, no address subarray per
   * input). Read only: it is the cached copy.
   */
  getEncodedAt (k: Uint8Array, s: string): Uint8Array | undefined {
    const cached = this.coins.get(s)
    if (cached !== undefined) {
      this.hits++
      return cached
    }
    this.misses++
    const v = this.read(k)
    if (v === undefined) return undefined
    return this.remember(s, v)
  }

  /**
   * A batch reached the disk: its coin writes now hold. Called after the
   * write, on this thread, so a lookup before it read the state before the
   * batch (or after, the same answer for those keys), and one after sees this.
   */
  committed (ops: readonly BatchOp[] | BlockBatch): void {
    if (isBlockBatch(ops)) {
      // a block's coin changes: the spent ones go, the created ones are views of the block's coin buffer
      const { spent, added, values } = ops.coins
      spent.forEach(s => { this.coins.delete(s) })
      added.forEach((at, s) => {
        this.coins.delete(s)
        this.remember(s, new Uint8Array(values.buffer, values.byteOffset + at, COIN_BYTES))
      })
      return
    }
    for (const op of ops) {
      const k = op.key
      if (k.length !== COIN_KEY_BYTES || k[0] !== Prefix.coin) continue
      const s = op.text ?? mapKey(k)
      this.coins.delete(s)
      if (op.type === 'put') this.remember(s, op.value)
    }
  }

  /** Forgets everything (after a failed write the disk's state is not known for sure). */
  clear (): void {
    this.coins.clear()
  }

  /** Returns what it keeps (a copy of `value` when that is a view into more). */
  private remember (s: string, value: Uint8Array): Uint8Array {
    // A copy of its own when it is a view into more: a block's coin values
    // are cut from one buffer (its batch slab), and one coin of it cached
    // (its coinbase, left unspent) kept that whole buffer alive. A syncing
    // node held ~33 KB a block that way, 100 MiB at 3,000 blocks of 1,000
    // transactions (BENCHMARKS.md, session 7).
    const kept = value.byteLength === value.buffer.byteLength ? value : value.slice()
    this.coins.set(s, kept)
    if (this.coins.size > this.maxCoins) {
      // Map iterates in insertion order: the first key is the oldest
      const oldest = this.coins.keys().next().value as string
      this.coins.delete(oldest)
    }
    return kept
  }
}
