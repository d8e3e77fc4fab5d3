// The node wallet's coins and history, kept in step with the chain.
//
// The state lives in its own LevelDB (layout in records.ts). A JSON file would
// have to be rewritten whole at every block (a miner's history grows by one
// line a block); LevelDB writes one small atomic batch a block, like the chain.
//
// It follows the chain one block at a time: each 'tip' event walks from the
// state's block to the chain's tip (disconnecting back to the fork, then
// connecting forward), one batch per block that touches the wallet; the
// tip alone (most blocks of a sync) is written with the next such block,
// after TIP_WRITE_EVERY blocks or at close, so a crash re-reads at most
// that many blocks, never a wrong state (BENCHMARKS.md, issue 12).
// Opening does the same from where the state is, so a restart costs nothing
// when the state is current and only the missing blocks when it is behind;
// a missing state, one for
// another wallet, or one at a block the chain does not know is rebuilt
// from genesis. The state is derived from the chain, so losing it loses
// nothing: a storage error is still fatal (the node stops, see StorageError).
import { equalBytes, toHex } from '../../core/bytes.js'
import { sha256 } from '../../core/hash.js'
import type { Block } from '../../core/types.js'
import type { IndexEntry } from '../../chain/block-index.js'
import type { Chain } from '../../chain/chain.js'
import { type BatchOp, ChainStore, StorageError } from '../../chain/store.js'
import { KeystoreError } from '../../wallet/keystore.js'
import type { Wallet } from '../../wallet/wallet.js'
import { connectEffects, disconnectEffects } from './block-effects.js'
import { RecentBlocks } from './recent-blocks.js'
import {
  decodeCoin, historyHeight, type HistoryJson, historyKey, META_OWNER, META_TIP,
  distinctAddresses, outpoint, outpointOfKey, P_COIN, P_HISTORY, parse, tipValue, undoKey, type WalletCoin
} from './records.js'

/** Catching up, blocks per batch (and a cap on its ops). */
const CATCH_UP_BATCH = 500
const CATCH_UP_BATCH_OPS = 50_000
/** Blocks that do not touch the wallet between two writes of its tip (see the top). */
const TIP_WRITE_EVERY = 100

export interface WalletStateOptions {
  wallet: Wallet
  chain: Chain
  /** Directory of the wallet's LevelDB. */
  location: string
  /** A storage (or keystore) write failed: the node must stop. */
  onFatal?: (err: Error) => void
  /** For recoverable surprises (e.g. a rebuilt state). */
  onWarning?: (message: string, fields?: Record<string, unknown>) => void
}

export class WalletState {
  /** Unspent coins of the wallet, by outpoint(). */
  readonly coins = new Map<string, WalletCoin>()
  private readonly wallet: Wallet
  private readonly chain: Chain
  private readonly store: ChainStore
  private readonly onFatal: (err: Error) => void
  private readonly onWarning: (message: string, fields?: Record<string, unknown>) => void
  /** The block the state is at (an entry of the chain's index). */
  private at: IndexEntry
  /** Blocks from recent 'connect' events (recent-blocks.ts). */
  private readonly recent = new RecentBlocks()
  private syncing: Promise<void> = Promise.resolve()
  private syncRequested = false
  private failed: Error | undefined
  private closed = false
  private readonly onTip = (): void => { this.scheduleSync() }
  /** Blocks connected since the stored tip was last written (all of them not the wallet's). */
  private unwrittenTips = 0
  private readonly onConnect = (block: Block, entry: IndexEntry): void => { this.recent.add(entry.hashHex, block) }

  private constructor (opts: WalletStateOptions, store: ChainStore) {
    this.wallet = opts.wallet
    this.chain = opts.chain
    this.store = store
    this.onFatal = opts.onFatal ?? (() => {})
    this.onWarning = opts.onWarning ?? (() => {})
    this.at = opts.chain.entryAt(0) as IndexEntry
  }

  /** Opens the state, brings it to the chain's tip (from where it is), then follows the chain. */
  static async open (opts: WalletStateOptions): Promise<WalletState> {
    const store = new ChainStore(opts.location, 'wallet database')
    await store.open()
    const state = new WalletState(opts, store)
    try {
      await state.load()
      await state.syncToTip()
    } catch (err) {
      await store.close()
      throw err
    }
    opts.chain.on('connect', state.onConnect)
    opts.chain.on('tip', state.onTip)
    return state
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.chain.off('connect', this.onConnect)
    this.chain.off('tip', this.onTip)
    await this.syncing.catch(() => {})
    // the tip of blocks that did not touch the wallet, so the next open starts here
    if (this.unwrittenTips > 0 && this.failed === undefined) {
      await this.store.write([{ type: 'put', key: META_TIP, value: tipValue(this.at.hash, this.at.height) }]).catch(err => { this.fail(err) })
    }
    await this.store.close()
  }

  /** The block the state is at. */
  get tip (): IndexEntry {
    return this.at
  }

  /** Resolves once the state has followed the chain to its current tip. */
  async synced (): Promise<void> {
    if (this.failed !== undefined) throw this.failed
    if (this.at !== this.chain.tip) this.scheduleSync()
    await this.syncing
    if (this.failed !== undefined) throw this.failed
  }

  /** A storage or keystore failure stops the node; anything else is a warning (the next tip retries). */
  fail (err: unknown): void {
    const storage = err instanceof StorageError || (err instanceof KeystoreError && err.code === 'io')
    if (storage) {
      this.failed = err as Error
      this.onFatal(err as Error)
    } else {
      // a bug, not the disk: the next tip tries again from where the state is
      this.onWarning('the wallet could not follow the chain', { err: (err as Error)?.message ?? String(err) })
    }
  }

  /** Confirmed history lines, newest first, as (height, line). */
  async history (limit: number): Promise<Array<{ height: number, line: HistoryJson }>> {
    const out: Array<{ height: number, line: HistoryJson }> = []
    if (limit <= 0) return out
    const it = this.store.db.iterator({ gte: new Uint8Array([P_HISTORY]), lt: new Uint8Array([P_HISTORY + 1]), reverse: true, limit })
    try {
      for await (const [k, v] of it) out.push({ height: historyHeight(k), line: parse<HistoryJson>(v) })
    } catch (err) {
      throw new StorageError(this.store.what, this.store.location, 'read', err)
    } finally {
      await it.close()
    }
    return out
  }

  // ---- loading ---------------------------------------------------------------

  /** Identifies the keys the state was built for: another phrase or a new imported key needs a rebuild. */
  private fingerprint (): Uint8Array {
    const imported = this.wallet.addresses().filter(a => a.source === 'imported').map(a => toHex(a.hash)).sort()
    const hd = this.wallet.hasMnemonic ? toHex(this.wallet.addresses().find(a => a.source === 'hd' && a.index === 0)?.hash ?? new Uint8Array()) : ''
    return sha256(new TextEncoder().encode(JSON.stringify([this.chain.params.genesisHash, hd, imported])))
  }

  private async load (): Promise<void> {
    const owner = this.store.get(META_OWNER)
    const tip = this.store.get(META_TIP)
    const entry = tip === undefined ? undefined : this.chain.getEntry(tip.subarray(0, 32))
    let why: string | undefined
    if (owner === undefined || tip === undefined) why = owner === undefined && tip === undefined ? undefined : 'incomplete state'
    else if (!equalBytes(owner, this.fingerprint())) why = 'the state belongs to another wallet'
    else if (entry === undefined) why = 'the state is at a block the chain does not know'
    if (why !== undefined || entry === undefined) {
      if (why !== undefined) this.onWarning(`rebuilding the wallet state from the chain: ${why}`, { location: this.store.location })
      await this.reset()
      return
    }
    // entries in chunks: one await per entry would cost more than the decoding
    const it = this.store.db.iterator({ gte: new Uint8Array([P_COIN]), lt: new Uint8Array([P_COIN + 1]) })
    try {
      for (;;) {
        const chunk = await it.nextv(4096)
        if (chunk.length === 0) break
        for (const [k, v] of chunk) {
          this.coins.set(outpointOfKey(k), decodeCoin(k, v))
        }
      }
    } catch (err) {
      throw new StorageError(this.store.what, this.store.location, 'read', err)
    } finally {
      await it.close()
    }
    this.at = entry
    // coins at addresses past the handed-out ones (a wallet file restored with fewer addresses): record them, each address once (a miner's coinbases pay one)
    for (const address of distinctAddresses(this.coins.values())) await this.noteAddress(address)
  }

  /** Empties the state: the wallet then rebuilds from genesis. */
  private async reset (): Promise<void> {
    const ops: BatchOp[] = []
    for await (const [k] of this.store.scan(new Uint8Array(0))) ops.push({ type: 'del', key: k })
    const genesis = this.chain.entryAt(0) as IndexEntry
    ops.push({ type: 'put', key: META_OWNER, value: this.fingerprint() })
    ops.push({ type: 'put', key: META_TIP, value: tipValue(genesis.hash, 0) })
    await this.store.write(ops)
    this.coins.clear()
    this.at = genesis
  }

  // ---- following the chain -----------------------------------------------------

  private scheduleSync (): void {
    if (this.closed || this.failed !== undefined) return
    if (this.syncRequested) return
    this.syncRequested = true
    this.syncing = this.syncing.then(async () => {
      this.syncRequested = false
      if (this.closed || this.failed !== undefined) return
      try {
        await this.syncToTip()
      } catch (err) {
        this.fail(err)
      }
    })
  }

  /**
   * Walks from the state's block to the chain's tip: back to the fork one
   * block (one batch) at a time, then forward. Forward runs of many blocks
   * (a first open, a restore, a node that was offline) are written up to
   * CATCH_UP_BATCH blocks per batch, each batch with the block it reaches,
   * so a crash or a failure leaves the state at a block it fully holds.
   */
  private async syncToTip (): Promise<void> {
    const batch: BatchOp[] = []
    let pendingAt: IndexEntry | undefined
    const flush = async (): Promise<void> => {
      if (pendingAt === undefined) return
      await this.store.write(batch.splice(0))
      pendingAt = undefined
    }
    try {
      for (;;) {
        if (this.closed) return
        const tip = this.chain.tip
        if (this.at === tip) break
        const fork = this.chain.index.forkPoint(this.at, tip)
        if (this.at !== fork) {
          // disconnecting reads undo records from the database: everything before must be there
          await flush()
          await this.disconnect(this.at)
        } else if (tip.height - this.at.height > 1 || pendingAt !== undefined) {
          pendingAt = this.chain.index.ancestor(tip, this.at.height + 1)
          await this.connect(pendingAt, batch)
          if (batch.length >= CATCH_UP_BATCH_OPS || pendingAt.height % CATCH_UP_BATCH === 0) await flush()
        } else {
          await this.connect(this.chain.index.ancestor(tip, this.at.height + 1))
        }
      }
      await flush()
    } finally {
      this.recent.clear()
    }
  }

  private blockOf (entry: IndexEntry): Block {
    const block = this.recent.get(entry.hashHex) ?? this.chain.getBlock(entry.hash)
    if (block === undefined) throw new Error(`block ${entry.hashHex} (height ${entry.height}) is missing from the chain database`)
    return block
  }

  /** Applies one block; with `batch`, its ops join the caller's batch (written by the caller before anything reads them back). */
  private async connect (entry: IndexEntry, batch?: BatchOp[]): Promise<void> {
    const effects = connectEffects(this.blockOf(entry), entry, this.coins, a => this.wallet.isWatched(a))
    // disk first, then memory: what the wallet shows is what it has stored (catching up: up to one batch ahead)
    const tipOnly = effects.ops.length === 1 && effects.used.length === 0
    if (batch !== undefined) {
      batch.push(...effects.ops)
      this.unwrittenTips = 0
    } else if (tipOnly && this.unwrittenTips < TIP_WRITE_EVERY) {
      this.unwrittenTips++
    } else {
      await this.store.write(effects.ops)
      this.unwrittenTips = 0
    }
    for (const k of effects.spent) this.coins.delete(k)
    for (const [k, c] of effects.created) this.coins.set(k, c)
    this.at = entry
    // a payment to an address in the gap-limit window: record it as handed out so the window moves on
    for (const address of effects.used) await this.noteAddress(address)
  }

  private async disconnect (entry: IndexEntry): Promise<void> {
    const parent = entry.parent
    if (parent === undefined) throw new Error('cannot disconnect genesis')
    const history: Uint8Array[] = []
    for await (const [k] of this.store.scan(historyKey(entry.height))) history.push(k)
    const effects = disconnectEffects(this.blockOf(entry), entry, parent, this.coins, this.store.get(undoKey(entry.hash)), history)
    await this.store.write(effects.ops)
    this.unwrittenTips = 0
    for (const k of effects.removed) this.coins.delete(k)
    for (const c of effects.restored) this.coins.set(outpoint(c.txid, c.index), c)
    this.at = parent
  }

  private async noteAddress (address: Uint8Array): Promise<void> {
    if (this.wallet.isWatched(address) && !this.wallet.hasAddress(address)) await this.wallet.markUsed(address)
  }
}
