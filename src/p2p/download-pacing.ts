// Two small parts of the block download (block-download.ts): how many blocks
// one request asks for, and the signal a worker waiting for another
// worker's block sleeps on.
import { blockBytes } from '../core/encoding.js'
import type { Block } from '../core/types.js'

/**
 * Bytes of blocks one request asks for, at most: each worker holds its reply
 * decoded (several times its bytes in objects) while its blocks connect and
 * their signatures are verified, so this bounds what a syncing node holds
 * whatever the blocks' size, while a reply of small blocks still fills
 * blocksPerReply (footprint_chain in BENCHMARKS.md).
 */
const REPLY_TARGET_BYTES = 1024 * 1024
/**
 * Transactions of blocks one request asks for, at most. A decoded
 * transaction costs ~2 KB of heap (its objects and byte arrays, measured in
 * a heap snapshot mid-sync) against ~100 bytes on the wire, so 1 MiB of
 * 1,000-transaction blocks held ~23 MB per worker: two workers' replies
 * were most of a syncing node's live heap. Small blocks still fill
 * blocksPerReply; full ones come two at a time.
 */
const REPLY_TARGET_TXS = 2000
/** Blocks asked for before any block's size is known. */
const FIRST_REQUEST_BLOCKS = 2

/** The average size (bytes, transactions) of the blocks received lately, and from it the blocks to ask for at once. */
export class ReplySizer {
  private blocks = 0
  private bytes = 0
  private txs = 0

  constructor (private readonly blocksPerReply: number) {}

  /** Blocks the next request asks for. */
  get count (): number {
    // before the first reply the size is unknown: a small first request
    if (this.blocks === 0) return Math.min(FIRST_REQUEST_BLOCKS, this.blocksPerReply)
    const bytes = this.bytes / this.blocks
    const txs = this.txs / this.blocks
    return Math.max(1, Math.min(this.blocksPerReply, Math.floor(REPLY_TARGET_BYTES / Math.max(bytes, 1)), Math.floor(REPLY_TARGET_TXS / Math.max(txs, 1))))
  }

  /** Notes a reply's blocks (recent blocks weigh more: the totals are halved past 256 blocks). */
  note (blocks: Block[]): void {
    for (const b of blocks) { this.blocks++; this.bytes += blockBytes(b).length; this.txs += b.transactions.length }
    if (this.blocks > 256) { this.blocks /= 2; this.bytes /= 2; this.txs /= 2 }
  }
}

/** A promise settled (and replaced) at every change, for waiters that re-check a condition. */
export class ChangeSignal {
  private resolve: () => void = () => {}
  private promise = this.next()

  private next (): Promise<void> {
    return new Promise<void>(resolve => { this.resolve = resolve })
  }

  /** Resolves at the next change. */
  async changed (): Promise<void> {
    await this.promise
  }

  notify (): void {
    this.resolve()
    this.promise = this.next()
  }
}
