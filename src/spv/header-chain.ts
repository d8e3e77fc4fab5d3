// The light node's chain: block headers only, in their own LevelDB. Every
// header is checked here, not taken on a peer's word: proof of work against
// its bits, bits against the retarget rule, time against the median of the
// last blocks and the local clock. Side branches are kept; the active chain
// is the one with the most work, so a reorg only moves the tip.
import { EventEmitter } from 'node:events'
import { blockHash } from '../core/block.js'
import { fromHex, toHex } from '../core/bytes.js'
import { checkHeaderContext, type AncestorLookup } from '../core/contextual.js'
import { ValidationError } from '../core/errors.js'
import type { NetworkParams } from '../core/params.js'
import type { BlockHeader } from '../core/types.js'
import { checkHeaderPow } from '../core/validate.js'
import { SerialLock } from '../chain/serial-lock.js'
import { BlockIndex, type IndexEntry } from '../chain/block-index.js'
import { decodeIndexRecord, encodeIndexRecord } from '../chain/records.js'
import { type BatchOp, ChainStore, key, META_NETWORK, META_TIP, Prefix, type StorageError } from '../chain/store.js'

export type { IndexEntry }

export interface HeaderChainOptions {
  /** Directory of the LevelDB database. */
  location: string
  params: NetworkParams
  /** Local clock in unix seconds (tests move it). */
  now?: () => number
}

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
}

// Headers are stored as valid (status 0): invalid ones never enter the index.
const STATUS_VALID = 0
const MAX_REMEMBERED_INVALID = 1000

export class HeaderChain extends EventEmitter<HeaderChainEvents> {
  readonly params: NetworkParams
  readonly index = new BlockIndex()
  private readonly store: ChainStore
  private readonly now: () => number
  /** Hashes of headers found invalid, so their descendants are refused at once. */
  private readonly invalid = new Set<string>()
  private readonly lock = new SerialLock()
  private closed = false

  private constructor (opts: HeaderChainOptions) {
    super()
    this.params = opts.params
    this.store = new ChainStore(opts.location, 'header database')
    // the store refuses every write after its first failure (so no tip moves past what is on disk)
    this.store.onFailure = err => { this.emit('storageError', err) }
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000))
  }

  static async open (opts: HeaderChainOptions): Promise<HeaderChain> {
    const chain = new HeaderChain(opts)
    await chain.store.open()
    try {
      await chain.load()
    } catch (err) {
      await chain.store.close()
      throw err
    }
    return chain
  }

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

  get (hash: Uint8Array | string): IndexEntry | undefined {
    return this.index.get(typeof hash === 'string' ? hash : toHex(hash))
  }

  entryAt (height: number): IndexEntry | undefined {
    return this.index.active[height]
  }

  isActive (entry: IndexEntry): boolean {
    return this.index.isActive(entry)
  }

  /** Blocks on top of `entry`'s, itself included; 0 when it is not on the active chain. */
  confirmations (entry: IndexEntry): number {
    return this.isActive(entry) ? this.height - entry.height + 1 : 0
  }

  locator (): Uint8Array[] {
    return this.index.locator()
  }

  entries (): IterableIterator<IndexEntry> {
    return this.index.entries()
  }

  // ---- loading -------------------------------------------------------------------

  private async load (): Promise<void> {
    const p = this.params
    const network = this.store.get(META_NETWORK)
    if (network === undefined) {
      const genesis = this.index.add(p.genesis.header, undefined, STATUS_VALID)
      await this.store.write([
        recordOp(genesis),
        { type: 'put', key: META_TIP, value: genesis.hash },
        { type: 'put', key: META_NETWORK, value: fromHex(p.genesisHash) }
      ])
      this.index.setTip(genesis)
      return
    }
    if (toHex(network) !== p.genesisHash) {
      throw new Error(`this header database belongs to another network (genesis ${toHex(network)}), not ${p.id} (genesis ${p.genesisHash})`)
    }
    for await (const [k, v] of this.store.scan(new Uint8Array([Prefix.index]))) {
      const rec = decodeIndexRecord(v)
      const hash = k.slice(1)
      this.index.restore({ hash, hashHex: toHex(hash), header: rec.header, height: rec.height, work: rec.work, status: rec.status, parent: undefined })
    }
    for (const e of this.index.entries()) {
      if (e.height > 0) e.parent = this.index.get(toHex(e.header.prevHash))
    }
    const tipHash = this.store.get(META_TIP)
    const tip = tipHash === undefined ? undefined : this.index.get(toHex(tipHash))
    if (tip === undefined) throw new Error('header database is corrupt: its tip is not in the index')
    this.index.setTip(tip)
  }

  // ---- processing ----------------------------------------------------------------

  private lookup (parent: IndexEntry): AncestorLookup {
    return { ancestor: (h: number) => this.index.ancestor(parent, h).header }
  }

  /**
   * Validates and stores headers (each must build on a known header or on an
   * earlier one of the batch) and moves the tip to the most-work header.
   * Headers before the first invalid one are kept; then the ValidationError
   * is thrown: 'reject' when the header is provably invalid, 'ignore' when it
   * only cannot be used now (unknown parent, time too far ahead).
   */
  async processHeaders (headers: BlockHeader[]): Promise<HeaderBatchResult> {
    if (this.closed) throw new Error('header chain is closed')
    // after a failed write nothing more is taken (the node is stopping): memory must not run ahead of the disk
    if (this.store.failure !== undefined) throw this.store.failure
    return await this.lock.run(async () => {
      const added: IndexEntry[] = []
      let failure: unknown
      for (const header of headers) {
        try {
          const entry = this.accept(header)
          if (entry !== undefined) added.push(entry)
        } catch (err) {
          failure = err
          break
        }
      }
      const tipChanged = await this.commit(added)
      if (failure !== undefined) throw failure
      return { added, tipChanged }
    })
  }

  /** Checks one header against its parent; returns its new entry, or undefined when already known. */
  private accept (header: BlockHeader): IndexEntry | undefined {
    const hash = blockHash(header)
    const hashHex = toHex(hash)
    // [REJECT] a header already found invalid
    if (this.invalid.has(hashHex)) throw new ValidationError('header-known-invalid', `header ${hashHex} is known to be invalid`)
    // [IGNORE] already have it
    if (this.index.get(hashHex) !== undefined) return undefined
    const parentHex = toHex(header.prevHash)
    // [REJECT] builds on a header found invalid
    if (this.invalid.has(parentHex)) {
      this.rememberInvalid(hashHex)
      throw new ValidationError('header-invalid-parent', `header ${hashHex} builds on invalid header ${parentHex}`)
    }
    const parent = this.index.get(parentHex)
    // [IGNORE] does not connect to any header we know (yet): sync from the sender
    if (parent === undefined) throw new ValidationError('header-orphan', `header ${hashHex} does not connect to the header chain`, 'ignore')
    try {
      // [REJECT] version, hash lengths, bits within the network limit, proof of work
      checkHeaderPow(header, this.params)
      // [REJECT] bits against the retarget rule; time after the median time past
      // [IGNORE] time too far ahead of the local clock
      checkHeaderContext(header, parent.height + 1, this.lookup(parent), this.params, this.now())
    } catch (err) {
      if (err instanceof ValidationError && err.severity === 'reject') this.rememberInvalid(hashHex)
      throw err
    }
    return this.index.add(header, parent, STATUS_VALID)
  }

  /** Stores the new entries and, when one of them brings more work than the tip, the new tip. */
  private async commit (added: IndexEntry[]): Promise<boolean> {
    if (added.length === 0) return false
    const previous = this.tip
    let best = previous
    // ties keep the first seen: only strictly more work moves the tip
    for (const e of added) if (e.work > best.work) best = e
    const ops: BatchOp[] = added.map(recordOp)
    if (best !== previous) ops.push({ type: 'put', key: META_TIP, value: best.hash })
    await this.store.write(ops)
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

function recordOp (e: IndexEntry): BatchOp {
  return { type: 'put', key: key(Prefix.index, e.hash), value: encodeIndexRecord({ header: e.header, height: e.height, work: e.work, status: e.status }) }
}
