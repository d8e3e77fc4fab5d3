// The light node's chain: block headers only, in their own LevelDB. Every
// header is checked here, not taken on a peer's word: proof of work against
// its bits, bits against the retarget rule, time against the median of the
// last blocks and the local clock. Side branches are kept; the active chain
// is the one with the most work, so a reorg only moves the tip.
// Headers of a branch are stored only once it can win (the anti-DoS rule of
// chain/header-presync.ts, shared with the full node); until then they are
// checked and held in bounded memory for the peer that sent them.
import { ValidationError } from '../core/errors.js'
import type { BlockHeader } from '../core/types.js'
import type { IndexEntry } from '../chain/block-index.js'
import { indexRecordOp, META_TIP } from '../chain/db-layout.js'
import { HeaderTree, type HeaderTreeOptions } from '../chain/header-tree.js'
import { loadIndex } from '../chain/index-loader.js'
import type { BatchOp, StorageError } from '../chain/store.js'

export type { IndexEntry }

export type HeaderChainOptions = HeaderTreeOptions

export interface ReorgInfo {
  from: IndexEntry
  to: IndexEntry
  fork: IndexEntry
  /** Headers that left the active chain. */
  disconnected: number
}

export interface HeaderChainEvents {
  /** The active chain has a new tip (extension or reorg). */
  tip: [tip: IndexEntry, previous: IndexEntry]
  /** The new tip is not a descendant of the old one. */
  reorg: [info: ReorgInfo]
  /** A read or write of the database failed: no more headers are stored; the node must stop. */
  storageError: [err: StorageError]
}

export interface HeaderBatchResult {
  /** Headers new to the index, in the order given. */
  added: IndexEntry[]
  tipChanged: boolean
  /** Headers held in memory: their branch cannot win yet (header-presync.ts). */
  held: number
}

// Headers are stored as valid (status 0): invalid ones never enter the index.
const STATUS_VALID = 0
const MAX_REMEMBERED_INVALID = 1000

export class HeaderChain extends HeaderTree<HeaderChainEvents> {
  /** Hashes of headers found invalid, so their descendants are refused at once. */
  private readonly invalid = new Set<string>()

  private constructor (opts: HeaderChainOptions) {
    super(opts, 'header database')
  }

  static async open (opts: HeaderChainOptions): Promise<HeaderChain> {
    return await HeaderTree.openLoaded(new HeaderChain(opts))
  }

  protected storageFailed (err: StorageError): void {
    this.emit('storageError', err)
  }

  get (hash: Uint8Array | string): IndexEntry | undefined {
    return this.getEntry(hash)
  }

  isActive (entry: IndexEntry): boolean {
    return this.index.isActive(entry)
  }

  /** Blocks on top of `entry`'s, itself included; 0 when it is not on the active chain. */
  confirmations (entry: IndexEntry): number {
    return this.isActive(entry) ? this.height - entry.height + 1 : 0
  }

  entries (): IterableIterator<IndexEntry> {
    return this.index.entries()
  }

  // ---- loading -------------------------------------------------------------------

  protected async load (): Promise<void> {
    this.repairedOnLoad = await loadIndex({
      store: this.store,
      index: this.index,
      params: this.params,
      genesisStatus: STATUS_VALID,
      genesisOps: () => [],
      dropOps: () => [],
      log: this.log
    })
  }

  // ---- processing ----------------------------------------------------------------

  /**
   * Validates and stores headers (a run, each building on the one before,
   * the first on a stored header or on the end of the branch held for
   * `peer`) and moves the tip to the most-work header. Headers before the
   * first invalid one are kept (written, then indexed); then the
   * ValidationError is thrown: 'reject' when the header is provably
   * invalid, 'ignore' when it only cannot be used now (unknown parent, time
   * too far ahead, more low-work headers than a peer may send).
   */
  async processHeaders (headers: BlockHeader[], peer = ''): Promise<HeaderBatchResult> {
    if (this.closed) throw new Error('header chain is closed')
    // after a failed write nothing more is taken (the node is stopping): memory must not run ahead of the disk
    if (this.store.failure !== undefined) throw this.store.failure
    return await this.lock.run(async () => {
      const checked = this.presync.check(peer, headers, this.index, this.tip, this.now(), {
        refuseInvalid: (hashHex, parentHex) => {
          // [REJECT] a header already found invalid
          if (this.invalid.has(hashHex)) throw new ValidationError('header-known-invalid', `header ${hashHex} is known to be invalid`)
          // [REJECT] builds on a header found invalid
          if (this.invalid.has(parentHex)) {
            this.rememberInvalid(hashHex)
            throw new ValidationError('header-invalid-parent', `header ${hashHex} builds on invalid header ${parentHex}`)
          }
        }
      })
      if (checked.invalidHashHex !== undefined) this.rememberInvalid(checked.invalidHashHex)
      const tipChanged = await this.commit(checked.store)
      if (checked.failure !== undefined) throw checked.failure
      return { added: checked.store, tipChanged, held: checked.held }
    })
  }

  /** Stores new entries (made, not yet indexed) with the new tip if one brings more work, then indexes them. */
  private async commit (added: IndexEntry[]): Promise<boolean> {
    if (added.length === 0) return false
    const previous = this.tip
    let best = previous
    // ties keep the first seen: only strictly more work moves the tip
    for (const e of added) if (e.work > best.work) best = e
    const ops: BatchOp[] = added.map(indexRecordOp)
    if (best !== previous) ops.push({ type: 'put', key: META_TIP, value: best.hash })
    await this.store.write(ops)
    for (const e of added) this.index.insert(e)
    if (best === previous) return false
    const fork = this.index.forkPoint(previous, best)
    this.index.setTip(best)
    if (fork !== previous) this.emit('reorg', { from: previous, to: best, fork, disconnected: previous.height - fork.height })
    this.emit('tip', best, previous)
    return true
  }

  private rememberInvalid (hashHex: string): void {
    this.invalid.add(hashHex)
    if (this.invalid.size > MAX_REMEMBERED_INVALID) this.invalid.delete(this.invalid.values().next().value as string)
  }
}
