// What the full node's Chain and the light node's HeaderChain share: a block
// index over headers in its own database, loaded at open (index-loader.ts),
// changed one step at a time through a lock, with low-work header branches
// held per peer (header-presync.ts) until they can win.
import { EventEmitter } from 'node:events'
import { toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { BlockIndex, type IndexEntry } from './block-index.js'
import { HeaderPresync } from './header-presync.js'
import { SerialLock } from './serial-lock.js'
import { ChainStore, type StorageError } from './store.js'

export interface HeaderTreeOptions {
  /** Directory of the LevelDB database. */
  location: string
  params: NetworkParams
  /** Local clock in unix seconds (tests move it). */
  now?: () => number
  /** Where load() reports the records it had to drop. */
  log?: { warn: (msg: string, fields?: Record<string, unknown>) => void }
}

export abstract class HeaderTree<Events extends Record<keyof Events, any[]>> extends EventEmitter<Events> {
  readonly params: NetworkParams
  readonly index = new BlockIndex()
  /** Low-work header branches held per peer until they can win (header anti-DoS rule). */
  readonly presync: HeaderPresync
  /** Index records load() dropped because they did not link to genesis. */
  repairedOnLoad = 0
  protected readonly store: ChainStore
  protected readonly now: () => number
  protected readonly lock = new SerialLock()
  protected readonly log: NonNullable<HeaderTreeOptions['log']>
  protected closed = false

  /** `blockFiles`: the store keeps block bytes (the full node's chain, store.ts). */
  protected constructor (opts: HeaderTreeOptions, what: string, storeOpts: { blockFiles?: boolean } = {}) {
    super()
    this.params = opts.params
    this.store = new ChainStore(opts.location, what, storeOpts)
    // the store refuses every write after its first failure (so memory never runs ahead of the disk); the owner hears of it
    this.store.onFailure = err => { this.storageFailed(err) }
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000))
    this.presync = new HeaderPresync(opts.params)
    this.log = opts.log ?? { warn: (msg, fields) => console.warn(msg, fields ?? '') }
  }

  /** Tells listeners of the first storage failure (the node must stop). */
  protected abstract storageFailed (err: StorageError): void

  /** Reads the index from the open store (index-loader.ts) and finishes what start-up needs. */
  protected abstract load (): Promise<void>

  /** Opens the store and loads; closes the store again when loading fails. */
  protected static async openLoaded<T extends HeaderTree<any>> (tree: T): Promise<T> {
    await tree.store.open()
    try {
      await tree.load()
    } catch (err) {
      await tree.store.close()
      throw err
    }
    return tree
  }

  /** Waits for the change under way, then closes the store. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.lock.idle()
    await this.store.close()
  }

  get tip (): IndexEntry {
    return this.index.tip
  }

  get height (): number {
    return this.index.tip.height
  }

  getEntry (hash: Uint8Array | string): IndexEntry | undefined {
    return this.index.get(typeof hash === 'string' ? hash : toHex(hash))
  }

  entryAt (height: number): IndexEntry | undefined {
    return this.index.active[height]
  }

  locator (): Uint8Array[] {
    return this.index.locator()
  }

  /** Drops the low-work headers held for a peer (its header sync ended). */
  releaseHeldHeaders (peer: string): void {
    this.presync.release(peer)
  }
}
