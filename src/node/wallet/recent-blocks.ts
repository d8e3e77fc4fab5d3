// Blocks from the chain's recent 'connect' events, so a node wallet that
// follows the chain rarely decodes one again. A long sync runs ahead of the
// wallet, so the cache is bounded in blocks and in transactions: a decoded
// 1,000-transaction block holds ~1.5 MiB of objects, and 64 of them were most
// of a syncing node's memory (BENCHMARKS.md, footprint_chain), while decoding
// a block again costs ~5 ms.
import type { Block } from '../../core/types.js'

/** Blocks kept at most ... */
const RECENT_BLOCKS = 64
/** ... and at most this many transactions in them (a few full blocks). */
const RECENT_MAX_TXS = 4_000

export class RecentBlocks {
  private readonly blocks = new Map<string, Block>()
  private txs = 0

  constructor (
    private readonly maxBlocks = RECENT_BLOCKS,
    private readonly maxTxs = RECENT_MAX_TXS
  ) {}

  /** Remembers a connected block, dropping the oldest beyond the bounds (the newest is always kept). */
  add (hashHex: string, block: Block): void {
    const old = this.blocks.get(hashHex)
    if (old !== undefined) this.txs -= old.transactions.length
    this.blocks.set(hashHex, block)
    this.txs += block.transactions.length
    while (this.blocks.size > this.maxBlocks || (this.blocks.size > 1 && this.txs > this.maxTxs)) {
      const [hash, dropped] = this.blocks.entries().next().value as [string, Block]
      this.blocks.delete(hash)
      this.txs -= dropped.transactions.length
    }
  }

  get (hashHex: string): Block | undefined {
    return this.blocks.get(hashHex)
  }

  clear (): void {
    this.blocks.clear()
    this.txs = 0
  }

  /** Blocks and transactions held (for tests). */
  get size (): { blocks: number, txs: number } {
    return { blocks: this.blocks.size, txs: this.txs }
  }
}
