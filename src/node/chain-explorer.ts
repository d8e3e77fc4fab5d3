// What the HTTP API shows of a full node's chain (blocks, transactions,
// address history) at a cost bounded per request, whoever asks: lists are
// summaries, transactions come in pages, and only the transactions a page
// shows are decoded. A block's bytes are read once per page and its
// transactions located by walking their lengths (block-layout.ts); spent
// coins come from the block's undo record, not from decoding the blocks
// that created them. Requests that read several blocks yield to the event
// loop between blocks and stop at a byte budget, answering with a cursor.
import { equalBytes, toHex } from '../core/bytes.js'
import { decodeTx } from '../core/encoding.js'
import type { NetworkParams } from '../core/params.js'
import { txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import { blockSize } from '../core/validate.js'
import { blockLayout, txBytesAt, type BlockLayout } from '../chain/block-layout.js'
import { hasData, type IndexEntry } from '../chain/block-index.js'
import type { Chain } from '../chain/chain.js'
import { decodeCoin } from '../chain/records.js'
import type { AddressHistoryPage, BlockTxPage, BlockView, TxView, WalletTxView } from './node-api.js'
import { decodeHistoryCursor, encodeHistoryCursor, Lru, Pacer, yieldToEventLoop } from './explorer-paging.js'
import { blockSummaryView, txView, type SpentOutput } from './views.js'

/** Bytes of one undo coin (records.ts). */
const UNDO_COIN_BYTES = 33
/** A page of transactions stops after this many bytes of them (at least one transaction). */
export const PAGE_TX_BYTES = 128 * 1024
/** A request that reads several blocks stops after this many bytes read (at least one block). */
export const REQUEST_READ_BYTES = 8 * 1024 * 1024
/** An address-history page stops after decoding this many bytes of transactions (at least one). */
export const HISTORY_TX_BYTES = 512 * 1024

/** Work done so far, for tests, benchmarks and metrics. */
export interface ExplorerWork {
  blocksRead: number
  blockBytes: number
  undoBytes: number
  txsDecoded: number
}

interface BlockSummary { size: number, txCount: number }

interface LoadedBlock { entry: IndexEntry, bytes: Uint8Array, layout: BlockLayout }

export class ChainExplorer {
  readonly work: ExplorerWork = { blocksRead: 0, blockBytes: 0, undoBytes: 0, txsDecoded: 0 }
  // Blocks never change: summaries (a few numbers each) of many, layouts of a few.
  private readonly summaries = new Lru<string, BlockSummary>(10_000)
  private readonly layouts = new Lru<string, BlockLayout>(16)

  constructor (private readonly chain: Chain, private readonly params: NetworkParams) {
    // Blocks connected while we run are summarised for free.
    chain.on('connect', (block, entry) => {
      this.summaries.set(entry.hashHex, { size: blockSize(block), txCount: block.transactions.length })
    })
  }

  private entryFor (hashOrHeight: string): IndexEntry | undefined {
    if (/^\d{1,10}$/.test(hashOrHeight)) return this.chain.entryAt(Number(hashOrHeight))
    if (/^[0-9a-fA-F]{64}$/.test(hashOrHeight)) return this.chain.getEntry(hashOrHeight.toLowerCase())
    return undefined
  }

  private load (entry: IndexEntry): LoadedBlock | undefined {
    const bytes = this.chain.getBlockBytes(entry.hash)
    if (bytes === undefined) return undefined
    this.work.blocksRead++
    this.work.blockBytes += bytes.length
    let layout = this.layouts.get(entry.hashHex)
    if (layout === undefined) {
      layout = blockLayout(bytes)
      this.layouts.set(entry.hashHex, layout)
    }
    if (this.summaries.get(entry.hashHex) === undefined) {
      // a block's size is its canonical encoding: the stored bytes
      this.summaries.set(entry.hashHex, { size: bytes.length, txCount: layout.txCount })
    }
    return { entry, bytes, layout }
  }

  private decodeAt (block: LoadedBlock, i: number): Transaction {
    this.work.txsDecoded++
    return decodeTx(txBytesAt(block.bytes, block.layout, i), this.params.maxBlockSize)
  }

  /** The coins an active block's inputs spent, when its undo record matches its layout. */
  private undoOf (block: LoadedBlock): Uint8Array | undefined {
    if (!this.chain.index.isActive(block.entry)) return undefined
    const undo = this.chain.getUndoBytes(block.entry.hash)
    if (undo === undefined) return undefined
    this.work.undoBytes += undo.length
    return undo.length === block.layout.inputsBefore[block.layout.txCount] * UNDO_COIN_BYTES ? undo : undefined
  }

  private spentInBlock (block: LoadedBlock, undo: Uint8Array | undefined, i: number): (input: number) => SpentOutput | undefined {
    return (input) => {
      if (undo === undefined) return undefined
      const at = block.layout.inputsBefore[i] + input
      if (at >= block.layout.inputsBefore[i + 1]) return undefined
      return decodeCoin(undo, at * UNDO_COIN_BYTES)
    }
  }

  private txViewIn (block: LoadedBlock, undo: Uint8Array | undefined, i: number, tx: Transaction): TxView {
    const e = block.entry
    return txView(tx, { params: this.params, tipHeight: this.chain.height, block: { hash: e.hashHex, height: e.height, index: i }, spentAt: this.spentInBlock(block, undo, i) })
  }

  /** Transactions from `offset`: at most `limit` of them and about PAGE_TX_BYTES of them. */
  private async page (block: LoadedBlock, offset: number, limit: number): Promise<{ transactions: TxView[], next?: number }> {
    const undo = this.undoOf(block)
    const pacer = new Pacer()
    await pacer.done(block.bytes.length)
    const transactions: TxView[] = []
    let bytes = 0
    let i = offset
    for (; i < block.layout.txCount && transactions.length < limit && (transactions.length === 0 || bytes < PAGE_TX_BYTES); i++) {
      const size = block.layout.txEnd[i] - block.layout.txStart[i]
      bytes += size
      transactions.push(this.txViewIn(block, undo, i, this.decodeAt(block, i)))
      await pacer.done(size)
    }
    return i < block.layout.txCount ? { transactions, next: i } : { transactions }
  }

  /** Summaries, newest first; reads only blocks not summarised yet, and stops at the read budget. */
  async blockSummaries (from: number | undefined, limit: number): Promise<BlockView[]> {
    const top = Math.min(from ?? this.chain.height, this.chain.height)
    const out: BlockView[] = []
    let read = 0
    for (let h = top; h >= 0 && out.length < limit; h--) {
      const e = this.chain.entryAt(h)
      if (e === undefined) break
      let summary = this.summaries.get(e.hashHex)
      if (summary === undefined) {
        if (read >= REQUEST_READ_BYTES) break
        if (read > 0) await yieldToEventLoop()
        const block = this.load(e)
        if (block === undefined) break
        read += block.bytes.length
        summary = this.summaries.get(e.hashHex)!
      }
      out.push(blockSummaryView(e, this.chain.height, this.chain.index.isActive(e), summary))
    }
    return out
  }

  /** The summary and the first page of transactions. */
  async block (hashOrHeight: string, limit: number): Promise<BlockView | undefined> {
    const e = this.entryFor(hashOrHeight)
    if (e === undefined || !hasData(e)) return undefined
    const block = this.load(e)
    if (block === undefined) return undefined
    const { transactions, next } = await this.page(block, 0, limit)
    const view = blockSummaryView(e, this.chain.height, this.chain.index.isActive(e), this.summaries.get(e.hashHex)!)
    view.transactions = transactions
    if (next !== undefined) view.nextTxOffset = next
    return view
  }

  async blockTxs (hashOrHeight: string, offset: number, limit: number): Promise<BlockTxPage | undefined> {
    const e = this.entryFor(hashOrHeight)
    if (e === undefined || !hasData(e)) return undefined
    const block = this.load(e)
    if (block === undefined) return undefined
    const { transactions, next } = await this.page(block, Math.min(offset, block.layout.txCount), limit)
    const page: BlockTxPage = { hash: e.hashHex, height: e.height, txCount: block.layout.txCount, offset, transactions }
    if (next !== undefined) page.nextOffset = next
    return page
  }

  /** A confirmed transaction: one block read, one transaction decoded. */
  confirmedTx (id: Uint8Array): TxView | undefined {
    const found = this.locate(id)
    if (found === undefined) return undefined
    return this.txViewIn(found.block, this.undoOf(found.block), found.index, found.tx)
  }

  private locate (id: Uint8Array): { block: LoadedBlock, index: number, tx: Transaction } | undefined {
    const location = this.chain.getTxLocation(id)
    if (location === undefined) return undefined
    const e = this.chain.getEntry(location.blockHash)
    const block = e === undefined ? undefined : this.load(e)
    if (block === undefined || location.index >= block.layout.txCount) return undefined
    const tx = this.decodeAt(block, location.index)
    return equalBytes(txid(tx), id) ? { block, index: location.index, tx } : undefined
  }

  /** An output of a confirmed transaction, spent or not: the coin when unspent, else one transaction decoded. */
  spentOutput (prev: Uint8Array, index: number): SpentOutput | undefined {
    const coin = this.chain.getCoin(prev, index)
    if (coin !== undefined) return coin
    return this.locate(prev)?.tx.outputs[index]
  }

  /**
   * One page of an address's confirmed history, newest first, after `cursor`.
   * Costs one index scan of `limit` keys and, per entry, its block and undo
   * record (one read for entries sharing a block), up to the read budget.
   */
  async addressHistory (address: string, hash: Uint8Array, cursor: string | undefined, limit: number): Promise<AddressHistoryPage> {
    const before = cursor === undefined ? undefined : decodeHistoryCursor(cursor)
    const items = await this.chain.addressHistoryNewestFirst(hash, before, limit + 1)
    const more = items.length > limit
    const transactions: WalletTxView[] = []
    let read = 0
    let decoded = 0
    const pacer = new Pacer()
    let block: LoadedBlock | undefined
    let undo: Uint8Array | undefined
    let stoppedEarly = false
    let consumed: { height: number, txid: Uint8Array } | undefined
    for (const item of items.slice(0, limit)) {
      if (decoded >= HISTORY_TX_BYTES) { stoppedEarly = true; break }
      if (block === undefined || !equalBytes(block.entry.hash, item.blockHash)) {
        if (read >= REQUEST_READ_BYTES) { stoppedEarly = true; break }
        if (read > 0) await yieldToEventLoop()
        const e = this.chain.getEntry(item.blockHash)
        block = e === undefined ? undefined : this.load(e)
        consumed = item
        if (block === undefined) continue
        read += block.bytes.length
        undo = this.undoOf(block)
      }
      consumed = item
      if (item.index >= block.layout.txCount) continue
      const size = block.layout.txEnd[item.index] - block.layout.txStart[item.index]
      decoded += size
      const tx = this.decodeAt(block, item.index)
      let delta = 0n
      for (const o of tx.outputs) if (equalBytes(o.address, hash)) delta += o.amount
      const spentAt = this.spentInBlock(block, undo, item.index)
      for (let n = 0; n < tx.inputs.length; n++) {
        const spent = spentAt(n)
        if (spent !== undefined && equalBytes(spent.address, hash)) delta -= spent.amount
      }
      transactions.push({
        txid: toHex(item.txid),
        delta: delta.toString(),
        height: item.height,
        confirmations: this.chain.height - item.height + 1,
        time: block.entry.header.time
      })
      await pacer.done(size)
    }
    const page: AddressHistoryPage = { address, transactions }
    if ((more || stoppedEarly) && consumed !== undefined) page.next = encodeHistoryCursor(consumed.height, consumed.txid)
    return page
  }
}
