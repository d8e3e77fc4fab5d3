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
import { OldestFirst } from '../core/oldest-first.js'

/** ~150 bytes of heap each (key string, value string, the Map's entry; measured by scripts/coin-cache-memory.ts): at most ~7 MiB. */
export const DEFAULT_MAX_COINS = 50_000

/** The map key of a coin: its database key as a latin1 string (cheaper than hex). */
const mapKey = latin1

/** A coin's encoding as a latin1 string: one small string on the heap, no ArrayBuffer, backing store and view per coin. */
function coinText (bytes: Uint8Array, at: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, COIN_BYTES).toString('latin1')
}

/** The bytes of coinText's string, written into `out`. */
function fromText (text: string, out: Uint8Array): Uint8Array {
  for (let j = 0; j < COIN_BYTES; j++) out[j] = text.charCodeAt(j)
  return out
}

export class CoinCache implements CoinLookup {
  /**
   * Encoded coins (records.ts) as latin1 strings, decoded when asked for:
   * most created coins are not asked for soon. Strings, not Uint8Arrays: a
   * typed array of its own per coin was an ArrayBuffer, a backing store and
   * a view, all long-lived (~2 MB promoted per connect of 3,000
   * transactions, BENCHMARKS.md, issue 12 mark 3, session 8), and a coin
   * kept as a view pinned the block buffer it was cut from (session 7).
   */
  private readonly coins = new Map<string, string>()
  /** The oldest coin first, for the bound (a cursor across evictions: oldest-first.ts says why). */
  private readonly oldest = new OldestFirst(this.coins)
  /** getEncodedAt's answer: rewritten by each call. */
  private readonly scratch = new Uint8Array(COIN_BYTES)
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

  /**
   * Bytes of coin data the cache holds: the characters of its value
   * strings (for tests and benches). A value is a string of its own, so no
   * buffer it was read from is kept alive; this counts what is.
   */
  retainedBytes (): number {
    let total = 0
    this.coins.forEach(v => { total += v.length })
    return total
  }

  /** The unspent output, or undefined. */
  getCoin (id: Uint8Array, index: number): Coin | undefined {
    const k = coinKey(id, index)
    return this.getCoinAt(k, mapKey(k))
  }

  /** getCoin by the coin's database key `k` and `s`, that key as latin1 (a block's lookups have both already). */
  getCoinAt (k: Uint8Array, s: string): Coin | undefined {
    const cached = this.coins.get(s)
    if (cached !== undefined) {
      this.hits++
      // an array of its own (small: on the heap, no backing store): the
      // coin's address is a view of it and must outlive the next lookup
      // (not Buffer.from, whose slice of a shared pool chunk it would pin)
      return decodeCoin(fromText(cached, new Uint8Array(COIN_BYTES)))
    }
    const v = this.readThrough(k, s)
    return v === undefined ? undefined : decodeCoin(v)
  }

  /**
   * The coin's encoding (records.ts: COIN_BYTES from offset 0), not decoded:
   * the mempool reads its fields in place (no Coin, no address subarray per
   * input). Read only, and only until the next call: it may be this cache's
   * scratch buffer.
   */
  getEncodedAt (k: Uint8Array, s: string): Uint8Array | undefined {
    const cached = this.coins.get(s)
    if (cached !== undefined) {
      this.hits++
      return fromText(cached, this.scratch)
    }
    return this.readThrough(k, s)
  }

  /** A miss: the database's answer, remembered. */
  private readThrough (k: Uint8Array, s: string): Uint8Array | undefined {
    this.misses++
    const v = this.read(k)
    if (v !== undefined) this.remember(s, coinText(v, 0))
    return v
  }

  /**
   * A batch reached the disk: its coin writes now hold. Called after the
   * write, on this thread, so a lookup before it read the state before the
   * batch (or after, the same answer for those keys), and one after sees this.
   */
  committed (ops: readonly BatchOp[] | BlockBatch): void {
    if (isBlockBatch(ops)) {
      // a block's coin changes: the spent ones go, the created ones are cut from the block's coin buffer
      const { spent, added, values } = ops.coins
      const text = Buffer.from(values.buffer, values.byteOffset, values.byteLength)
      spent.forEach(s => { this.coins.delete(s) })
      added.forEach((at, s) => {
        this.coins.delete(s)
        this.remember(s, text.toString('latin1', at, at + COIN_BYTES))
      })
      return
    }
    for (const op of ops) {
      const k = op.key
      if (k.length !== COIN_KEY_BYTES || k[0] !== Prefix.coin) continue
      const s = op.text ?? mapKey(k)
      this.coins.delete(s)
      if (op.type === 'put') this.remember(s, coinText(op.value, 0))
    }
  }

  /** Forgets everything (after a failed write the disk's state is not known for sure). */
  clear (): void {
    this.coins.clear()
  }

  /** `value`: the coin's encoding as a latin1 string (a copy: never a view of a block's buffer). */
  private remember (s: string, value: string): void {
    this.coins.set(s, value)
    if (this.coins.size > this.maxCoins) this.oldest.evict()
  }
}
