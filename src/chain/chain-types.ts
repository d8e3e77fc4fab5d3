// The types of the Chain's results and events (chain.ts), apart so that
// the engine file holds only the engine.
import type { ValidationError } from '../core/errors.js'
import type { Block } from '../core/types.js'
import type { IndexEntry } from './block-index.js'
import type { StorageError } from './store.js'

/** What processHeaders stored (the array, parents first) and how many headers it held in memory. */
export type HeaderBatch = IndexEntry[] & { held: number }

/** What precheckHeader found: a new header, one indexed without its block, a block we have, or an unknown parent. */
export type HeaderPrecheck = 'new' | 'header-known' | 'duplicate' | 'orphan'

export type BlockStatus = 'connected' | 'side' | 'duplicate' | 'orphan' | 'pending'

export interface ProcessResult {
  status: BlockStatus
  hash: string
  /** For orphans: the block that must arrive first. */
  missing?: Uint8Array
}

export interface ChainEvents {
  connect: [block: Block, entry: IndexEntry]
  disconnect: [block: Block, entry: IndexEntry]
  tip: [entry: IndexEntry]
  reorg: [info: { from: IndexEntry, to: IndexEntry, fork: IndexEntry, disconnected: number }]
  invalid: [entry: IndexEntry, err: ValidationError]
  /** Every processBlock call: its status or 'rejected'/'ignored', how long it took, and the block's hash when it got one. */
  processed: [result: BlockStatus | 'rejected' | 'ignored', seconds: number, hashHex?: string]
  /** A listener of another event threw; the other listeners still ran. */
  listenerError: [event: string, err: unknown]
  /** A read or write of the database failed: the chain takes no more changes; the node must stop. */
  storageError: [err: StorageError]
}
