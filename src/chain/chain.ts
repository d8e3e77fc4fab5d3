// The chain engine: block index with side branches, most-work fork choice,
// reorganisation with undo data, orphans. All state changes run one at a
// time through a lock. A block's arrival is in block-acceptance.ts, reads of
// the database in chain-queries.ts (the key layout: db-layout.ts), start-up
// in index-loader.ts.
import { medianTimePast, type AncestorLookup } from '../core/contextual.js'
import { encodeBlock } from '../core/encoding.js'
import { ValidationError } from '../core/errors.js'
import { txid } from '../core/tx.js'
import type { Block, BlockHeader, Transaction } from '../core/types.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { hasData, isInvalid, type IndexEntry } from './block-index.js'
import { BestHeader } from './best-header.js'
import { BlockAcceptance } from './block-acceptance.js'
import { BlockRuns, processInRuns } from './block-run.js'
import { HeaderTree, type HeaderTreeOptions } from './header-tree.js'
import { preverifyBlock } from './block-signatures.js'
import { type AddressHistoryItem, ChainQueries } from './chain-queries.js'
import { CoinCache } from './coin-cache.js'
import { VerifiedTxs } from './verified-txs.js'
import { indexRecordOp, key, Prefix, u32be } from './db-layout.js'
import { ForkChoice } from './fork-choice.js'
import { precheckHeader } from './header-precheck.js'
import { loadIndex } from './index-loader.js'
import { InvalidBlocks } from './invalid-blocks.js'
import { OrphanPool } from './orphans.js'
import { emitToEach, logListenerError } from './safe-emit.js'
import { type Coin, encodeTxLocation, STATUS_HAVE_DATA, type TxLocation } from './records.js'
import type { StorageError } from './store.js'
import type { BlockStatus, ChainEvents, HeaderBatch, HeaderPrecheck, ProcessResult } from './chain-types.js'

export type { AddressHistoryItem }
export type { BlockStatus, ChainEvents, HeaderBatch, HeaderPrecheck, ProcessResult }

export interface ChainOptions extends HeaderTreeOptions {
  verifier: SignatureVerifier
  maxOrphans?: number
  /** Coins kept in memory in front of the UTXO set (default DEFAULT_MAX_COINS). */
  maxCachedCoins?: number
}

/** Presync key for headers whose sender is not named. */
const UNNAMED_PEER = ''

export class Chain extends HeaderTree<ChainEvents> {
  /**
   * Every listener hears every event: mempool, wallet and miner follow the
   * chain through them, so one that throws is reported ('listenerError', or
   * stderr when nobody listens) and the others still run.
   */
  override emit<K extends keyof ChainEvents> (event: K, ...args: ChainEvents[K]): boolean {
    if (event === 'listenerError') return super.emit('listenerError', ...(args as ChainEvents['listenerError']))
    return emitToEach(this, event, args, (name, err) => {
      if (this.listenerCount('listenerError') > 0) super.emit('listenerError', name, err)
      else logListenerError('chain')(name, err)
    })
  }

  readonly orphans: OrphanPool
  /** Recent coins in memory in front of the UTXO set (coin-cache.ts). */
  readonly coinCache: CoinCache
  /** Transactions whose signatures the mempool verified, so blocks skip them (verified-txs.ts). */
  readonly verifiedTxs = new VerifiedTxs()
  private readonly queries: ChainQueries
  private readonly verifier: SignatureVerifier
  /** Why blocks were found invalid (bounded). */
  private readonly invalid: InvalidBlocks
  private readonly forkChoice: ForkChoice
  /** A block's arrival: checks, then store or store-and-connect (block-acceptance.ts). */
  private readonly acceptance: BlockAcceptance
  /** Runs of downloaded blocks, one write each (block-run.ts). */
  private readonly runs: BlockRuns
  /** The most-work valid header, kept current as headers arrive (best-header.ts). */
  private readonly best: BestHeader

  private constructor (opts: ChainOptions) {
    super(opts, 'chain database', { blockFiles: true })
    this.coinCache = new CoinCache(k => this.store.get(k), opts.maxCachedCoins)
    // write-through: the cache follows every batch once it is on disk
    this.store.onCommitted = parts => { for (const part of parts) this.coinCache.committed(part) }
    this.queries = new ChainQueries(this.store, this.index, this.coinCache)
    this.verifier = opts.verifier
    this.orphans = new OrphanPool(opts.maxOrphans ?? 200)
    this.invalid = new InvalidBlocks(this.index)
    this.best = new BestHeader(this.index, () => this.tip)
    this.forkChoice = new ForkChoice({
      index: this.index,
      store: this.store,
      queries: this.queries,
      coins: this.coinCache,
      verified: this.verifiedTxs,
      verifier: this.verifier,
      params: this.params,
      invalid: this.invalid,
      emit: (event, ...args) => { this.emit(event, ...args) }
    })
    this.runs = new BlockRuns({
      index: this.index, store: this.store, coins: this.coinCache, verified: this.verifiedTxs, forkChoice: this.forkChoice, verifier: this.verifier, params: this.params,
      precheckHeader: header => this.precheckHeader(header), emit: (event, ...args) => { this.emit(event, ...args) }
    })
    this.acceptance = new BlockAcceptance({
      index: this.index,
      store: this.store,
      orphans: this.orphans,
      invalid: this.invalid,
      forkChoice: this.forkChoice,
      verifier: this.verifier,
      verified: this.verifiedTxs,
      params: this.params,
      precheckHeader: header => this.precheckHeader(header),
      noteHeader: entry => { this.best.note(entry) }
    })
  }

  static async open (opts: ChainOptions): Promise<Chain> {
    return await HeaderTree.openLoaded(new Chain(opts))
  }

  /** Under the lock, once a run's write in flight is on disk and applied: every change but a run's staging starts here. */
  private async locked<T> (fn: () => Promise<T>): Promise<T> {
    return await this.lock.run(async () => {
      await this.runs.settled()
      return await fn()
    })
  }

  /** Waits for the change under way and a run's write in flight, then closes the store. */
  override async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.locked(async () => {})
    await this.store.close()
  }

  protected storageFailed (err: StorageError): void {
    this.coinCache.clear()
    this.emit('storageError', err)
  }

  /** The header with the most work that is not known invalid (may lack data). */
  bestHeader (): IndexEntry { return this.best.get() }

  /** Headers we know on the best header chain whose blocks we still need. */
  missingBlocks (max: number): IndexEntry[] { return this.best.missingBlocks(max) }

  // ---- loading ---------------------------------------------------------------

  protected async load (): Promise<void> {
    const p = this.params
    this.repairedOnLoad = await loadIndex({
      store: this.store,
      index: this.index,
      params: p,
      genesisStatus: STATUS_HAVE_DATA,
      // The genesis output is never spendable, so it is indexed but adds no coin.
      genesisOps: entry => [
        this.store.blockDataOp(entry.hash, encodeBlock(p.genesis)),
        { type: 'put', key: key(Prefix.height, u32be(0)), value: entry.hash },
        { type: 'put', key: key(Prefix.tx, txid(p.genesis.transactions[0])), value: encodeTxLocation({ blockHash: entry.hash, height: 0, index: 0 }) }
      ],
      // (the bytes stay in their block file: its space is not reused)
      dropOps: e => [{ type: 'del', key: key(Prefix.blockFile, e.hash) }, { type: 'del', key: key(Prefix.block, e.hash) }],
      log: this.log
    })
    // A crash in the middle of a reorg leaves a better chain with data: finish it.
    for (const e of this.index.entries()) {
      if (hasData(e) && !isInvalid(e)) this.forkChoice.consider(e)
    }
    if (this.forkChoice.hasCandidates) await this.lock.run(async () => await this.forkChoice.activateBestChain())
  }

  // ---- processing --------------------------------------------------------------

  private lookup (parent: IndexEntry): AncestorLookup {
    return { ancestor: (h: number) => this.index.ancestor(parent, h).header }
  }

  /**
   * Starts verifying the signatures of a block expected to connect soon (a
   * download), so that they are checked while earlier blocks connect.
   * processBlock with the same object then uses the result.
   */
  preverify (block: Block): void {
    if (!this.closed) preverifyBlock(block, this.verifier, this.params, this.verifiedTxs)
  }

  /** Many signatures are about to be verified (a download's blocks): the verifier gets ready (SignatureVerifier.prepare). */
  expectSignatures (): void {
    if (!this.closed) this.verifier.prepare?.()
  }

  /** Validates and stores a block, switching to it (or its branch) when it brings the most work. */
  async processBlock (block: Block): Promise<ProcessResult> {
    if (this.closed) throw new Error('chain is closed')
    const start = performance.now()
    try {
      const result = await this.processBlockLocked(block)
      this.emit('processed', result.status, (performance.now() - start) / 1000, result.hash)
      return result
    } catch (err) {
      if (err instanceof ValidationError) this.emit('processed', err.severity === 'reject' ? 'rejected' : 'ignored', (performance.now() - start) / 1000)
      throw err
    }
  }

  private async processBlockLocked (block: Block): Promise<ProcessResult> {
    return await this.locked(async () => {
      const result = await this.acceptance.accept(block)
      if (result.status !== 'orphan' && result.status !== 'duplicate') {
        await this.forkChoice.activateBestChain()
        await this.acceptance.connectOrphans(result.hash)
        const entry = this.index.get(result.hash)!
        if (isInvalid(entry)) {
          throw this.invalid.reasonFor(entry.hashHex) ?? new ValidationError('block-invalid-parent', `block ${entry.hashHex} builds on an invalid block`)
        }
        result.status = this.index.isActive(entry) ? 'connected' : 'side'
      }
      return result
    })
  }

  /**
   * Consecutive blocks of a download, in bounded runs of one write each
   * (block-run.ts, processInRuns); each block's verdict in order.
   */
  async processBlocks (blocks: Block[]): Promise<Array<ProcessResult | ValidationError>> {
    return await processInRuns(blocks, {
      closed: () => this.closed,
      // staged under the lock, written after it (the next run stages meanwhile)
      stage: async run => await this.lock.run(async () => await this.runs.stage(run)),
      connectOrphans: async hashes => { if (this.orphans.size > 0) await this.locked(async () => { for (const h of hashes) await this.acceptance.connectOrphans(h) }) },
      processBlock: async block => await this.processBlock(block),
      processed: (hash, seconds) => { this.emit('processed', 'connected', seconds, hash) }
    })
  }

  /** The checks a block's header must pass before anything is spent on its body (header-precheck.ts). */
  precheckHeader (header: BlockHeader): HeaderPrecheck {
    return precheckHeader(header, { index: this.index, invalid: this.invalid, orphans: this.orphans, params: this.params, now: this.now() })
  }

  /**
   * Headers-first sync: checks a batch of headers from `peer` and stores the
   * valid ones whose branch can win (header-presync.ts), so their blocks can
   * be fetched from several peers in any order. Headers of a branch that
   * cannot win yet are held in bounded memory for that peer; the next batch
   * from the same peer may extend them. The valid prefix of a batch is
   * written in one batch before it enters the in-memory index, so no record
   * is ever stored without its parent; then the first failure is thrown.
   */
  async processHeaders (headers: BlockHeader[], peer: string = UNNAMED_PEER): Promise<HeaderBatch> {
    if (this.closed) throw new Error('chain is closed')
    return await this.locked(async () => {
      const checked = this.presync.check(peer, headers, this.index, this.tip, this.now(), {
        refuseInvalid: (hashHex, parentHex) => this.invalid.refuse(hashHex, parentHex, 'header')
      })
      if (checked.invalidHashHex !== undefined && checked.failure !== undefined) this.invalid.remember(checked.invalidHashHex, checked.failure)
      if (checked.store.length > 0) await this.store.write(checked.store.map(indexRecordOp))
      for (const e of checked.store) {
        this.index.insert(e)
        this.best.note(e)
      }
      if (checked.failure !== undefined) throw checked.failure
      return Object.assign(checked.store, { held: checked.held })
    })
  }

  /** Forgets a disconnected peer's held headers and its low-work header count. */
  forgetPeerHeaders (peer: string): void {
    this.presync.forget(peer)
  }

  // ---- queries ---------------------------------------------------------------------

  // Reads of the database: chain-queries.ts.
  getBlock (hash: Uint8Array | string): Block | undefined { return this.queries.getBlock(hash) }
  getBlockBytes (hash: Uint8Array | string): Uint8Array | undefined { return this.queries.getBlockBytes(hash) }
  getCoin (id: Uint8Array, index: number): Coin | undefined { return this.queries.getCoin(id, index) }
  /** getCoin by its database key and that key as latin1, encoded (records.ts): the mempool's lookup. Read only. */
  getEncodedCoinAt (k: Uint8Array, s: string): Uint8Array | undefined { return this.queries.getEncodedCoinAt(k, s) }
  getTxLocation (id: Uint8Array): TxLocation | undefined { return this.queries.getTxLocation(id) }
  getTx (id: Uint8Array): { tx: Transaction, location: TxLocation } | undefined { return this.queries.getTx(id) }
  /** The undo record of an active-chain block: the coins its inputs spent, 33 bytes each, in input order. */
  getUndoBytes (hash: Uint8Array): Uint8Array | undefined { return this.queries.getUndoBytes(hash) }
  /** Every coin of the UTXO set (for audits and tests; walks the whole set). */
  coins (): AsyncGenerator<{ txid: Uint8Array, index: number, coin: Coin }> { return this.queries.coins() }
  /** Active-chain headers after the first locator hash we know, up to `max` (or through `stop`). */
  headersAfter (locator: Uint8Array[], max: number, stop?: Uint8Array): BlockHeader[] { return this.queries.headersAfter(locator, max, stop) }

  /** Confirmed transactions paying to or spending from `address`, oldest first, from `fromHeight`. */
  async addressHistory (address: Uint8Array, fromHeight: number, max: number): Promise<AddressHistoryItem[]> {
    return await this.queries.addressHistoryAfter(address, { height: fromHeight }, max)
  }

  /** One page of an address's history, newest first, before (height, txid): ChainQueries.addressHistoryNewestFirst. */
  async addressHistoryNewestFirst (address: Uint8Array, before: { height: number, txid: Uint8Array } | undefined, max: number): Promise<AddressHistoryItem[]> {
    return await this.queries.addressHistoryNewestFirst(address, before, max)
  }

  /** An address's history in (height, txid) order after a cursor: ChainQueries.addressHistoryAfter. */
  async addressHistoryAfter (address: Uint8Array, cursor: { height: number, txid?: Uint8Array }, max: number): Promise<AddressHistoryItem[]> {
    return await this.queries.addressHistoryAfter(address, cursor, max)
  }

  medianTimePast (): number {
    return medianTimePast(this.height, this.lookup(this.tip), this.params)
  }
}
