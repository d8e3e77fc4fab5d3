// Transactions whose every input signature this node has verified already
// (on acceptance into its mempool), so that a block bringing them verifies
// only the others. This is Bitcoin Core's signature cache
// (src/script/sigcache.cpp), which makes connecting a relayed block cheap
// because its transactions were checked when they were relayed; on a LAN,
// where a block's transactions reach every node before the block does, it
// is most of a block's signatures.
//
// Keyed by txid, which is the double SHA-256 of the whole transaction,
// signatures included: the same txid means the same signatures over the
// same digest with the same keys, and a signature's validity depends on
// nothing else (the network id is fixed per chain, and this cache belongs
// to one chain). What does depend on the chain (the spent coins, that each
// key hashes to its coin's address) is checked at connect as always.
// Only a verified transaction is ever added. Bounded, oldest first; an entry
// a block used is forgotten, as Core erases it, since a confirmed
// transaction is not relayed again.
import { latin1 } from './batch-slab.js'
import { OldestFirst } from '../core/oldest-first.js'

/** ~80 bytes each (a 32-char key and the set's slot): at most ~4 MiB. */
export const DEFAULT_MAX_VERIFIED_TXS = 50_000

export class VerifiedTxs {
  private readonly ids = new Set<string>()
  /** The oldest txid first, for the bound (a cursor across evictions: oldest-first.ts says why). */
  private readonly oldest = new OldestFirst(this.ids)
  /** Transactions a block did / did not find here (for tests and benches). */
  hits = 0
  misses = 0

  constructor (readonly max = DEFAULT_MAX_VERIFIED_TXS) {}

  get size (): number {
    return this.ids.size
  }

  /** Records that every input signature of the transaction `txid` verified. */
  add (txid: Uint8Array): void {
    this.addKey(keyOf(txid))
  }

  /** add, by the txid's 32 bytes as a latin1 string (the mempool has it already). */
  addKey (k: string): void {
    this.ids.delete(k) // re-added: now the newest
    this.ids.add(k)
    if (this.ids.size > this.max) this.oldest.evict()
  }

  /** Whether the transaction's signatures were verified here; forgets it (a block is using it). */
  take (txid: Uint8Array): boolean {
    // empty (an initial sync, a node without relayed transactions): no key string per transaction
    const found = this.ids.size > 0 && this.ids.delete(keyOf(txid))
    if (found) this.hits++
    else this.misses++
    return found
  }

  clear (): void {
    this.ids.clear()
  }
}

/** The txid as a latin1 string: a set key without hex. */
const keyOf = latin1
