// One pending transaction with its in-pool links. Its own file so that the
// pool and the template selection (package-selection.ts) both depend on it
// without depending on each other.
import type { Transaction } from '../core/types.js'

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
  /** Insertion order; a parent always precedes its children. */
  seq: number
  /** This entry with its in-pool descendants: count, bytes, fees. */
  descCount: number
  descSize: number
  descFee: bigint
  /** Spends a coinbase output or has a lock time: re-checked when the chain gets shorter. */
  heightSensitive: boolean
  /** Lowest key this entry has in the eviction index (internal). */
  evictKey: number
}

/** Throws instead of adding: NO_LINKS is shared by every entry without links. */
class NoLinks extends Set<MempoolEntry> {
  override add (): this {
    throw new Error('NO_LINKS is shared by every entry without links: give the entry a set of its own before linking it')
  }
}

/**
 * The parents or children of an entry that has none: one shared empty set,
 * so that the common case (a transaction that spends confirmed coins and
 * that nothing spends yet) makes no sets of its own on the hot path.
 * PoolStore.insert gives an entry its own set before it adds a link to it;
 * removing a link from a set that holds it never meets this one.
 */
export const NO_LINKS: Set<MempoolEntry> = new NoLinks()
