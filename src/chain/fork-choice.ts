// Most-work fork choice and reorganisation. Blocks with data and more work
// than the tip are candidates; the best one whose path from the active chain
// has all its data becomes the tip, by disconnecting back to the fork and
// connecting forward (block-connector.ts). A block that fails to connect is
// marked invalid with everything built on it, and the next best candidate
// is tried. Every step writes the database before memory changes.
import { decodeBlock } from '../core/encoding.js'
import { ValidationError } from '../core/errors.js'
import type { NetworkParams } from '../core/params.js'
import type { Block } from '../core/types.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { hasData, isInvalid, type BlockIndex, type IndexEntry } from './block-index.js'
import { connectBlock, disconnectBlock } from './block-connector.js'
import type { ChainQueries } from './chain-queries.js'
import type { CoinLookup } from './coin-view.js'
import type { VerifiedTxs } from './verified-txs.js'
import type { ChainEvents } from './chain-types.js'
import { indexRecordOp } from './db-layout.js'
import type { InvalidBlocks } from './invalid-blocks.js'
import { STATUS_INVALID } from './records.js'
import type { BatchOp, ChainStore, PreparedBatch } from './store.js'

export interface ForkChoiceParts {
  index: BlockIndex
  store: ChainStore
  queries: ChainQueries
  /** The UTXO set as of the tip (the coin cache in front of the store). */
  coins: CoinLookup
  /** Transactions whose signatures the mempool verified (verified-txs.ts). */
  verified: VerifiedTxs
  verifier: SignatureVerifier
  params: NetworkParams
  invalid: InvalidBlocks
  emit: <K extends keyof ChainEvents>(event: K, ...args: ChainEvents[K]) => void
}

export class ForkChoice {
  /** Blocks with data and more work than the tip at the time they arrived. */
  private readonly candidates = new Set<IndexEntry>()
  /** Blocks stored since the last activation, so connecting them needs no decoding. */
  private readonly blockCache = new Map<string, Block>()

  constructor (private readonly p: ForkChoiceParts) {}

  /** A block whose data was just stored: kept for connecting, and a candidate if it has more work than the tip. */
  stored (entry: IndexEntry, block: Block): void {
    this.blockCache.set(entry.hashHex, block)
    this.consider(entry)
  }

  /** A candidate when it has more work than the tip (e.g. found on load after a crash mid-reorg). */
  consider (entry: IndexEntry): void {
    if (entry.work > this.p.index.tip.work) this.candidates.add(entry)
  }

  get hasCandidates (): boolean {
    return this.candidates.size > 0
  }

  /** Whether a block with data on the tip would be the first to connect: no candidate has as much work. */
  wouldConnectFirst (entry: IndexEntry): boolean {
    if (entry.work <= this.p.index.tip.work) return false
    for (const c of this.candidates) if (!isInvalid(c) && c.work >= entry.work) return false
    return true
  }

  /**
   * Connects a block on the tip whose data is not stored yet: its data
   * (`dataOps`) and its connection are written in one batch, so a sync
   * writes once per block instead of twice. `remember` puts the stored block
   * in the index (memory follows the disk). A block that fails to connect
   * is stored and marked invalid, as any other.
   */
  async connectArriving (entry: IndexEntry, block: Block, dataOps: BatchOp[], remember: () => IndexEntry): Promise<void> {
    const { index, store, verifier, params, emit } = this.p
    let batch: PreparedBatch
    try {
      // coins through the cache; the batch (the block's data and its connection) staged while the signatures verify
      batch = (await connectBlock(block, entry, store, verifier, params, { coins: this.p.coins, verified: this.p.verified, stage: true, alongside: dataOps })).batch!
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      await store.write(dataOps)
      await this.markInvalid(remember(), err)
      emit('tip', index.tip)
      return
    }
    await batch.write()
    const stored = remember()
    index.setTip(stored)
    emit('connect', block, stored)
    emit('tip', index.tip)
  }

  /** Moves the tip to the best candidate until none has more work (call under the chain's lock). */
  async activateBestChain (): Promise<void> {
    for (;;) {
      let best: IndexEntry | undefined
      for (const c of this.candidates) {
        if (isInvalid(c) || c.work <= this.p.index.tip.work) { this.candidates.delete(c); continue }
        if ((best === undefined || c.work > best.work) && this.pathHasData(c)) best = c
      }
      if (best === undefined) break
      await this.reorganizeTo(best)
    }
    this.blockCache.clear()
  }

  private readBlock (entry: IndexEntry): Block {
    const cached = this.blockCache.get(entry.hashHex)
    if (cached !== undefined) return cached
    const bytes = this.p.queries.getBlockBytes(entry.hash)
    if (bytes === undefined) throw new Error(`block data missing for ${entry.hashHex}`)
    return decodeBlock(bytes, Number.MAX_SAFE_INTEGER)
  }

  /** Whether every block from the active chain up to `e` has its data. */
  private pathHasData (e: IndexEntry): boolean {
    let cur: IndexEntry | undefined = e
    while (cur !== undefined && !this.p.index.isActive(cur)) {
      if (!hasData(cur) || isInvalid(cur)) return false
      cur = cur.parent
    }
    return true
  }

  private async reorganizeTo (target: IndexEntry): Promise<void> {
    const { index, store, verifier, params, emit } = this.p
    const from = index.tip
    const fork = index.forkPoint(from, target)
    let disconnected = 0
    while (index.tip !== fork) {
      await this.disconnectTip()
      disconnected++
    }
    const path: IndexEntry[] = []
    for (let e: IndexEntry = target; e !== fork; e = e.parent!) path.push(e)
    path.reverse()
    for (const entry of path) {
      const block = this.readBlock(entry)
      try {
        // staged while the signatures verify: only the write is left after the verdict
        const { batch } = await connectBlock(block, entry, store, verifier, params, { coins: this.p.coins, verified: this.p.verified, stage: true })
        await batch!.write()
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        await this.markInvalid(entry, err)
        break
      }
      index.setTip(entry)
      this.candidates.delete(entry)
      emit('connect', block, entry)
    }
    if (disconnected > 0) emit('reorg', { from, to: index.tip, fork, disconnected })
    emit('tip', index.tip)
  }

  private async disconnectTip (): Promise<void> {
    const { index, store } = this.p
    const entry = index.tip
    if (entry.parent === undefined) throw new Error('cannot disconnect genesis')
    const block = this.readBlock(entry)
    await store.write(disconnectBlock(block, entry, store))
    index.setTip(entry.parent)
    // It may become the best chain again if the other branch fails.
    this.candidates.add(entry)
    this.p.emit('disconnect', block, entry)
  }

  /** Marks a block and everything built on it invalid. */
  private async markInvalid (entry: IndexEntry, err: ValidationError): Promise<void> {
    const { index, store, invalid } = this.p
    const bad = new Set<IndexEntry>([entry])
    for (const e of index.entries()) {
      if (e.height <= entry.height || isInvalid(e)) continue
      if (index.ancestor(e, entry.height) === entry) bad.add(e)
    }
    // the records as they will be; memory changes only after they are stored
    await store.write([...bad].map(e => indexRecordOp({ ...e, status: e.status | STATUS_INVALID })))
    for (const e of bad) e.status |= STATUS_INVALID
    for (const e of bad) {
      this.candidates.delete(e)
      invalid.remember(e.hashHex, e === entry ? err : new ValidationError('block-invalid-parent', `block ${e.hashHex} builds on invalid block ${entry.hashHex} (${err.code}: ${err.message})`))
    }
    this.p.emit('invalid', entry, err)
  }
}
