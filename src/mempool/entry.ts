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
