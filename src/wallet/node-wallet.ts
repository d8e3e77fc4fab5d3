// The wallet of a full node (and miner): keys from the keystore, coins and
// history kept in step with the chain, pending effects read from the mempool.
//
// Its state lives in its own LevelDB in the data dir (<data-dir>/wallet-db):
// the wallet's unspent coins, one history line per transaction touching it,
// undo records (the coins a block spent, to put back when it is
// disconnected) and the block the state is at. A JSON file would have to be
// rewritten whole at every block (a miner's history grows by one line a
// block); LevelDB writes one small atomic batch a block, like the chain.
//
// It follows the chain one block at a time: each 'tip' event walks from the
// wallet's block to the chain's tip (disconnecting back to the fork, then
// connecting forward), one batch per block. Opening does the same from
// where the state is, so a restart costs nothing when the state is current
// and only the missing blocks when it is behind; a missing state, one for
// another wallet, or one at a block the chain does not know is rebuilt
// from genesis. The state is derived from the chain, so losing it loses
// nothing: a storage error is still fatal (the node stops, see StorageError).
//
// Confirmations: a payment counts as confirmed at `confirmations` blocks
// deep (config wallet.confirmations). Change of our own transactions (every
// input ours) counts once it is in a block, as Bitcoin Core trusts its own
// change. Only confirmed or own outputs are spent: a third party's
// unconfirmed payment can vanish with a double spend or a reorg, and our
// payment with it.
import { concatBytes, equalBytes, fromHex, toHex } from '../core/bytes.js'
import { sha256 } from '../core/hash.js'
import type { NetworkParams } from '../core/params.js'
import { isCoinbase, txid } from '../core/tx.js'
import type { Block, Transaction } from '../core/types.js'
import type { IndexEntry } from '../chain/block-index.js'
import type { Chain } from '../chain/chain.js'
import { type BatchOp, ChainStore, StorageError, u32be } from '../chain/store.js'
import type { Mempool } from '../mempool/mempool.js'
import { buildTransaction, type BuiltTransaction, type SpendableOutput } from './builder.js'
import { KeystoreError } from './keystore.js'
import type { Wallet } from './wallet.js'

/** Transactions in the decoded blocks NodeWallet keeps from 'connect' events (a few full blocks). */
const RECENT_MAX_TXS = 4_000

export interface WalletCoin {
  txid: Uint8Array
  index: number
  amount: bigint
  address: Uint8Array
  height: number
  coinbase: boolean
  /** Created by a transaction whose every input was ours (our change). */
  own: boolean
}

export interface WalletHistoryItem {
  txid: string
  delta: bigint
  height?: number
  time?: number
  /** 0 while pending. */
  confirmations: number
  /** At least the required depth (or own change in a block). */
  confirmed: boolean
}

export interface WalletBalance {
  /** Mature coins at the required depth, and own change in a block. */
  confirmed: bigint
  /** Payments in blocks not deep enough yet, plus the mempool's net effect. */
  pending: bigint
  /** Coinbase outputs before coinbaseMaturity. */
  immature: bigint
}

export interface NodeWalletOptions {
  wallet: Wallet
  chain: Chain
  mempool: Mempool
  /** Directory of the wallet's LevelDB. */
  location: string
  /** Depth at which a payment counts as confirmed (>= 1). */
  confirmations: number
  /** A storage (or keystore) write failed: the node must stop. */
  onFatal?: (err: Error) => void
  /** For recoverable surprises (e.g. a rebuilt state). */
  onWarning?: (message: string, fields?: Record<string, unknown>) => void
}

// ---- records ---------------------------------------------------------------

const P_COIN = 0x63 // 'c' + txid + index(u32 BE) -> coin
const P_HISTORY = 0x68 // 'h' + height(u32 BE) + position(u32 BE) -> history line
const P_UNDO = 0x75 // 'u' + block hash -> coins the block spent
const META_TIP = new Uint8Array([0x6d, 0x74]) // 'mt' -> block hash + height(u32 BE)
const META_OWNER = new Uint8Array([0x6d, 0x6f]) // 'mo' -> fingerprint of the wallet the state belongs to

/** Catching up, blocks per batch (and a cap on its ops). */
const CATCH_UP_BATCH = 500
const CATCH_UP_BATCH_OPS = 50_000

const coinKey = (id: Uint8Array, index: number): Uint8Array => concatBytes(new Uint8Array([P_COIN]), id, u32be(index))
const outpoint = (id: Uint8Array | string, index: number): string => (typeof id === 'string' ? id : toHex(id)) + ':' + index
const FLAG_COINBASE = 1
const FLAG_OWN = 2

function encodeCoin (c: WalletCoin): Uint8Array {
  const b = new Uint8Array(8 + 20 + 4 + 1)
  const v = new DataView(b.buffer)
  v.setBigUint64(0, c.amount)
  b.set(c.address, 8)
  v.setUint32(28, c.height)
  b[32] = (c.coinbase ? FLAG_COINBASE : 0) | (c.own ? FLAG_OWN : 0)
  return b
}

function decodeCoin (k: Uint8Array, b: Uint8Array): WalletCoin {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const kv = new DataView(k.buffer, k.byteOffset, k.byteLength)
  return {
    txid: k.slice(1, 33),
    index: kv.getUint32(33),
    amount: v.getBigUint64(0),
    address: b.slice(8, 28),
    height: v.getUint32(28),
    coinbase: (b[32] & FLAG_COINBASE) !== 0,
    own: (b[32] & FLAG_OWN) !== 0
  }
}

interface HistoryJson { txid: string, delta: string, time: number }
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
const parse = <T>(b: Uint8Array): T => JSON.parse(new TextDecoder().decode(b)) as T

function historyKey (height: number, position: number): Uint8Array {
  return concatBytes(new Uint8Array([P_HISTORY]), u32be(height), u32be(position))
}

// ---- the wallet ------------------------------------------------------------

export class NodeWallet {
  readonly wallet: Wallet
  readonly confirmations: number
  private readonly chain: Chain
  private readonly mempool: Mempool
  private readonly params: NetworkParams
  private readonly store: ChainStore
  private readonly onFatal: (err: Error) => void
  private readonly onWarning: (message: string, fields?: Record<string, unknown>) => void
  private readonly coins = new Map<string, WalletCoin>()
  /** The block the state is at (an entry of the chain's index). */
  private at: IndexEntry
  /** Blocks from recent 'connect' events, so following the chain rarely decodes one. */
  private readonly recent = new Map<string, Block>()
  private syncing: Promise<void> = Promise.resolve()
  private syncRequested = false
  private failed: Error | undefined
  private closed = false
  private readonly onTip = (): void => { this.scheduleSync() }
  private recentTxs = 0
  private readonly onConnect = (block: Block, entry: IndexEntry): void => {
    this.recent.set(entry.hashHex, block)
    this.recentTxs += block.transactions.length
    // A long sync runs ahead of the wallet: keep the cache bounded, in blocks
    // and in transactions. A decoded 1,000-transaction block holds ~1.5 MiB
    // of objects; 64 of them were most of a syncing node's memory
    // (BENCHMARKS.md, footprint_chain), while decoding a block again costs ~5 ms.
    while (this.recent.size > 64 || (this.recent.size > 1 && this.recentTxs > RECENT_MAX_TXS)) {
      const [hash, old] = this.recent.entries().next().value as [string, Block]
      this.recent.delete(hash)
      this.recentTxs -= old.transactions.length
    }
  }

  private constructor (opts: NodeWalletOptions, store: ChainStore) {
    if (!Number.isInteger(opts.confirmations) || opts.confirmations < 1) throw new RangeError(`confirmations must be a positive integer, got ${opts.confirmations}`)
    this.wallet = opts.wallet
    this.chain = opts.chain
    this.mempool = opts.mempool
    this.params = opts.chain.params
    this.confirmations = opts.confirmations
    this.store = store
    this.onFatal = opts.onFatal ?? (() => {})
    this.onWarning = opts.onWarning ?? (() => {})
    this.at = opts.chain.entryAt(0) as IndexEntry
  }

  /** Opens the state, brings it to the chain's tip (from where it is), then follows the chain. */
  static async open (opts: NodeWalletOptions): Promise<NodeWallet> {
    const store = new ChainStore(opts.location, 'wallet database')
    await store.open()
    const w = new NodeWallet(opts, store)
    try {
      await w.load()
      await w.syncToTip()
    } catch (err) {
      await store.close()
      throw err
    }
    opts.chain.on('connect', w.onConnect)
    opts.chain.on('tip', w.onTip)
    return w
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.chain.off('connect', this.onConnect)
    this.chain.off('tip', this.onTip)
    await this.syncing.catch(() => {})
    await this.store.close()
  }

  /** The block the wallet's state is at. */
  get height (): number {
    return this.at.height
  }

  get tipHash (): string {
    return this.at.hashHex
  }

  // ---- loading ---------------------------------------------------------------

  /** Identifies the keys the state was built for: another phrase or a new imported key needs a rebuild. */
  private fingerprint (): Uint8Array {
    const imported = this.wallet.addresses().filter(a => a.source === 'imported').map(a => toHex(a.hash)).sort()
    const hd = this.wallet.hasMnemonic ? toHex(this.wallet.addresses().find(a => a.source === 'hd' && a.index === 0)?.hash ?? new Uint8Array()) : ''
    return sha256(new TextEncoder().encode(JSON.stringify([this.params.genesisHash, hd, imported])))
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
          const c = decodeCoin(k, v)
          this.coins.set(outpoint(c.txid, c.index), c)
        }
      }
    } catch (err) {
      throw new StorageError(this.store.what, this.store.location, 'read', err)
    } finally {
      await it.close()
    }
    this.at = entry
    // coins at addresses past the handed-out ones (a wallet file restored with fewer addresses): record them
    for (const c of this.coins.values()) await this.noteAddress(c.address)
  }

  /** Empties the state: the wallet then rebuilds from genesis. */
  private async reset (): Promise<void> {
    const ops: BatchOp[] = []
    for await (const [k] of this.store.scan(new Uint8Array(0))) ops.push({ type: 'del', key: k })
    const genesis = this.chain.entryAt(0) as IndexEntry
    ops.push({ type: 'put', key: META_OWNER, value: this.fingerprint() })
    ops.push({ type: 'put', key: META_TIP, value: concatBytes(genesis.hash, u32be(0)) })
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

  private fail (err: unknown): void {
    const storage = err instanceof StorageError || (err instanceof KeystoreError && err.code === 'io')
    if (storage) {
      this.failed = err as Error
      this.onFatal(err as Error)
    } else {
      // a bug, not the disk: the next tip tries again from where the state is
      this.onWarning('the wallet could not follow the chain', { err: (err as Error)?.message ?? String(err) })
    }
  }

  /** Resolves once the wallet has followed the chain to its current tip. */
  async synced (): Promise<void> {
    if (this.failed !== undefined) throw this.failed
    if (this.at !== this.chain.tip) this.scheduleSync()
    await this.syncing
    if (this.failed !== undefined) throw this.failed
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
      this.recentTxs = 0
    }
  }

  private blockOf (entry: IndexEntry): Block {
    const block = this.recent.get(entry.hashHex) ?? this.chain.getBlock(entry.hash)
    if (block === undefined) throw new Error(`block ${entry.hashHex} (height ${entry.height}) is missing from the chain database`)
    return block
  }

  /** Applies one block; with `batch`, its ops join the caller's batch (written by the caller before anything reads them back). */
  private async connect (entry: IndexEntry, batch?: BatchOp[]): Promise<void> {
    const block = this.blockOf(entry)
    const ops: BatchOp[] = []
    const undo: Array<[string, string]> = []
    const spent: string[] = []
    const created = new Map<string, WalletCoin>()
    const used: Uint8Array[] = []
    block.transactions.forEach((tx, position) => {
      const id = txid(tx)
      let delta = 0n
      let touches = false
      let allOurs = tx.inputs.length > 0
      for (const input of tx.inputs) {
        const k = outpoint(input.prevTxid, input.prevIndex)
        const mine = created.get(k) ?? this.coins.get(k)
        if (mine === undefined) { allOurs = false; continue }
        delta -= mine.amount
        touches = true
        const ck = coinKey(input.prevTxid, input.prevIndex)
        ops.push({ type: 'del', key: ck })
        if (created.delete(k)) continue
        spent.push(k)
        undo.push([toHex(ck), toHex(encodeCoin(mine))])
      }
      tx.outputs.forEach((o, index) => {
        if (!this.wallet.isWatched(o.address)) return
        touches = true
        delta += o.amount
        used.push(o.address)
        const coin: WalletCoin = { txid: id, index, amount: o.amount, address: o.address, height: entry.height, coinbase: isCoinbase(tx), own: allOurs }
        created.set(outpoint(id, index), coin)
        ops.push({ type: 'put', key: coinKey(id, index), value: encodeCoin(coin) })
      })
      if (touches) ops.push({ type: 'put', key: historyKey(entry.height, position), value: json({ txid: toHex(id), delta: delta.toString(), time: block.header.time } satisfies HistoryJson) })
    })
    if (undo.length > 0) ops.push({ type: 'put', key: concatBytes(new Uint8Array([P_UNDO]), entry.hash), value: json(undo) })
    ops.push({ type: 'put', key: META_TIP, value: concatBytes(entry.hash, u32be(entry.height)) })
    // disk first, then memory: what the wallet shows is what it has stored (catching up: up to one batch ahead)
    if (batch === undefined) await this.store.write(ops)
    else batch.push(...ops)
    for (const k of spent) this.coins.delete(k)
    for (const [k, c] of created) this.coins.set(k, c)
    this.at = entry
    // a payment to an address in the gap-limit window: record it as handed out so the window moves on
    for (const address of used) await this.noteAddress(address)
  }

  private async disconnect (entry: IndexEntry): Promise<void> {
    const parent = entry.parent
    if (parent === undefined) throw new Error('cannot disconnect genesis')
    const block = this.blockOf(entry)
    const ops: BatchOp[] = []
    const removed: string[] = []
    for (const tx of block.transactions) {
      const id = txid(tx)
      tx.outputs.forEach((_, index) => {
        const k = outpoint(id, index)
        if (this.coins.has(k)) { removed.push(k); ops.push({ type: 'del', key: coinKey(id, index) }) }
      })
    }
    const undoKey = concatBytes(new Uint8Array([P_UNDO]), entry.hash)
    const undoBytes = this.store.get(undoKey)
    const restored: WalletCoin[] = []
    for (const [k, v] of undoBytes === undefined ? [] : parse<Array<[string, string]>>(undoBytes)) {
      const key = fromHex(k)
      restored.push(decodeCoin(key, fromHex(v)))
      ops.push({ type: 'put', key, value: fromHex(v) })
    }
    ops.push({ type: 'del', key: undoKey })
    for await (const [k] of this.store.scan(concatBytes(new Uint8Array([P_HISTORY]), u32be(entry.height)))) ops.push({ type: 'del', key: k })
    ops.push({ type: 'put', key: META_TIP, value: concatBytes(parent.hash, u32be(parent.height)) })
    await this.store.write(ops)
    for (const k of removed) this.coins.delete(k)
    for (const c of restored) this.coins.set(outpoint(c.txid, c.index), c)
    this.at = parent
  }

  private async noteAddress (address: Uint8Array): Promise<void> {
    if (this.wallet.isWatched(address) && !this.wallet.hasAddress(address)) await this.wallet.markUsed(address)
  }

  // ---- balances ----------------------------------------------------------------

  private isMine (address: Uint8Array): boolean {
    return this.wallet.isWatched(address)
  }

  private mature (c: WalletCoin, nextHeight: number): boolean {
    return !c.coinbase || nextHeight - c.height >= this.params.coinbaseMaturity
  }

  /** Confirmations of something in the block at `height` of the active chain. */
  private depth (height: number): number {
    return Math.max(0, this.chain.height - height + 1)
  }

  private counts (c: WalletCoin): boolean {
    return this.depth(c.height) >= this.confirmations || (c.own && this.depth(c.height) >= 1)
  }

  balance (): WalletBalance {
    const next = this.chain.height + 1
    let confirmed = 0n
    let immature = 0n
    let pending = 0n
    for (const c of this.coins.values()) {
      if (!this.mature(c, next)) immature += c.amount
      else if (this.counts(c)) confirmed += c.amount
      else pending += c.amount
    }
    return { confirmed, pending: pending + this.pendingDelta(), immature }
  }

  /** Net effect of pending transactions on this wallet. */
  private pendingDelta (): bigint {
    let delta = 0n
    for (const e of this.mempool.entries.values()) delta += this.pendingEffect(e.tx)
    return delta
  }

  private pendingEffect (tx: Transaction): bigint {
    let delta = 0n
    for (const input of tx.inputs) {
      const c = this.coins.get(outpoint(input.prevTxid, input.prevIndex))
      if (c !== undefined) delta -= c.amount
      else {
        const parent = this.mempool.get(toHex(input.prevTxid))
        const out = parent?.tx.outputs[input.prevIndex]
        if (out !== undefined && this.isMine(out.address)) delta -= out.amount
      }
    }
    for (const o of tx.outputs) if (this.isMine(o.address)) delta += o.amount
    return delta
  }

  /**
   * Pending transactions whose every input is ours: a coin of ours or an
   * output of another such transaction. Computed by passes to a fixpoint
   * (no recursion over the mempool's graph).
   */
  private ownPending (): Set<string> {
    const own = new Set<string>()
    let changed = true
    while (changed) {
      changed = false
      for (const e of this.mempool.entries.values()) {
        if (own.has(e.txidHex) || e.tx.inputs.length === 0) continue
        const allOurs = e.tx.inputs.every(i => {
          if (this.coins.has(outpoint(i.prevTxid, i.prevIndex))) return true
          const parentHex = toHex(i.prevTxid)
          const out = this.mempool.get(parentHex)?.tx.outputs[i.prevIndex]
          return out !== undefined && own.has(parentHex) && this.isMine(out.address)
        })
        if (allOurs) { own.add(e.txidHex); changed = true }
      }
    }
    return own
  }

  /** What a payment may spend: mature coins that count as confirmed, and own pending change; none spent by anything pending. */
  spendable (): SpendableOutput[] {
    const next = this.chain.height + 1
    const out: SpendableOutput[] = []
    for (const c of this.coins.values()) {
      if (this.mature(c, next) && this.counts(c) && this.mempool.spender(c.txid, c.index) === undefined && this.wallet.privateKeyFor(c.address) !== undefined) {
        out.push({ txid: c.txid, index: c.index, amount: c.amount, address: c.address })
      }
    }
    for (const hex of this.ownPending()) {
      const e = this.mempool.get(hex)
      e?.tx.outputs.forEach((o, index) => {
        if (this.isMine(o.address) && this.mempool.spender(e.txid, index) === undefined) out.push({ txid: e.txid, index, amount: o.amount, address: o.address })
      })
    }
    return out
  }

  /**
   * Builds and signs a payment (change to a fresh internal-chain address,
   * recorded in the keystore before this returns); the caller submits it.
   * Throws BuildError (FeeTooHighError above the cap unless `force`).
   */
  async build (to: string, amount: bigint, fee?: bigint, options: { force?: boolean } = {}): Promise<BuiltTransaction> {
    await this.synced()
    const change = this.wallet.peekChangeAddress()
    const built = buildTransaction({
      utxos: this.spendable(),
      to,
      amount,
      ...(fee !== undefined ? { fee } : {}),
      force: options.force === true,
      changeAddress: change.hash,
      keys: (hash: Uint8Array) => this.wallet.privateKeyFor(hash),
      params: this.params
    })
    if (built.change > 0n) {
      try {
        await this.wallet.commitChangeAddress(change.hash)
      } catch (err) {
        // the keystore could not record the change address: nothing is published, and a failed write stops the node
        this.fail(err)
        throw err
      }
    }
    return built
  }

  async newAddress (): Promise<string> {
    return (await this.wallet.newAddress()).address
  }

  addresses (): string[] {
    return this.wallet.addressStrings()
  }

  /** Newest first: pending, then confirmed history read from the wallet's database. */
  async transactions (limit = 100): Promise<WalletHistoryItem[]> {
    const pending: WalletHistoryItem[] = []
    for (const e of this.mempool.entries.values()) {
      const delta = this.pendingEffect(e.tx)
      const touches = delta !== 0n || e.tx.outputs.some(o => this.isMine(o.address))
      if (touches) pending.push({ txid: e.txidHex, delta, time: Math.floor(e.time / 1000), confirmations: 0, confirmed: false })
    }
    pending.sort((a, b) => (b.time ?? 0) - (a.time ?? 0))
    const out = pending.slice(0, limit)
    if (out.length >= limit) return out
    const it = this.store.db.iterator({ gte: new Uint8Array([P_HISTORY]), lt: new Uint8Array([P_HISTORY + 1]), reverse: true, limit: limit - out.length })
    try {
      for await (const [k, v] of it) {
        const height = new DataView(k.buffer, k.byteOffset + 1, 4).getUint32(0)
        const h = parse<HistoryJson>(v)
        const confirmations = this.depth(height)
        out.push({ txid: h.txid, delta: BigInt(h.delta), height, time: h.time, confirmations, confirmed: confirmations >= this.confirmations })
      }
    } catch (err) {
      throw new StorageError(this.store.what, this.store.location, 'read', err)
    } finally {
      await it.close()
    }
    return out
  }
}
