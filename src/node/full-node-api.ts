// What a full node (and a miner) answers through NodeApi: chain, mempool and
// wallet views at a bounded cost per request, and the payments it makes.
// FullNode (full-node.ts) assembles the parts and runs their lifecycle.
import { fromHex, toHex } from '../core/bytes.js'
import { decodeTx } from '../core/encoding.js'
import { isValidationError, ValidationError } from '../core/errors.js'
import { txBytes, txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import type { Chain } from '../chain/chain.js'
import { SerialLock } from '../chain/serial-lock.js'
import type { Mempool } from '../mempool/mempool.js'
import type { Miner } from '../miner/miner.js'
import type { MiningControl } from './mining-control.js'
import type { SyncManager } from '../p2p/sync.js'
import type { NodeWallet, WalletHistoryItem } from './wallet/node-wallet.js'
import { ChainExplorer } from './chain-explorer.js'
import { NodeError } from './errors.js'
import type {
  AddressHistoryPage, BlockTxPage, BlockView, NodeApi, PeerView, Role, SendOptions, SendResult, StatusView, TxView, WalletTxView, WalletView
} from './node-api.js'
import { PeerDirectory } from './peer-directory.js'
import { NetworkWatch } from './network-watch.js'
import { balanceView, HEX64, parseAddress, sendRefusal, statusBase } from './read-helpers.js'
import { RoleBase, type FullRoleParts, type RoleBaseParts } from './role-base.js'
import { txView, type SpentOutputLookup } from './views.js'

/** Transactions in the first page of GET /api/blocks/:id. */
const FIRST_TX_PAGE = 25
/** GET /api/mempool views at most this many bytes of transactions. */
const MEMPOOL_VIEW_BYTES = 256 * 1024

export interface FullNodeApiParts extends RoleBaseParts {
  role: Role
  chain: Chain
  pool: Mempool
  nodeWallet: NodeWallet
  sync: SyncManager
}

export class FullNodeApi extends RoleBase implements NodeApi {
  readonly role: Role
  readonly chain: Chain
  readonly pool: Mempool
  readonly nodeWallet: NodeWallet
  readonly sync: SyncManager
  readonly peerDirectory: PeerDirectory
  readonly watch: NetworkWatch
  /** Block, transaction and address views at a bounded cost per request. */
  readonly explorer: ChainExplorer
  protected readonly roleParts: FullRoleParts
  /** The block producer: a miner has one, a full node none. */
  miner: Miner | undefined
  /** The mining capability (NodeApi's), over `miner`. */
  mining: MiningControl | undefined
  /** One payment at a time, so two sends never pick the same coins. */
  private readonly sendLock = new SerialLock()

  protected constructor (parts: FullNodeApiParts) {
    super(parts)
    this.role = parts.role
    this.chain = parts.chain
    this.pool = parts.pool
    this.nodeWallet = parts.nodeWallet
    this.sync = parts.sync
    this.peerDirectory = new PeerDirectory(this.host, this.gossip, this.reputation, this.sync)
    this.explorer = new ChainExplorer(this.chain, this.params)
    this.roleParts = { kind: 'full', chain: this.chain, pool: this.pool, explorer: this.explorer, wallet: this.nodeWallet, sync: this.sync }
    this.watch = new NetworkWatch(hash => this.chain.getEntry(hash) !== undefined)
    this.watch.attach(this.host.node, this.gossip.topics)
    // a claim that names a new tip is an event: the LAN view refreshes when peers tell their
    // tips, not only on its timer or our own tip changes (at which moment every claim is a block old)
    this.sync.onPeerStatus = (peerId, s) => {
      if (this.watch.noteClaim(peerId, { height: s.height, tip: toHex(s.tip), work: s.work })) this.events.emit('peer', { type: 'status', peerId })
    }
    this.chain.on('connect', (_block, entry) => this.watch.noteLocal(entry.hashHex, 'connected'))
  }

  status (): StatusView {
    const tip = this.chain.tip
    const status: StatusView = {
      ...statusBase(this.role, this.params, this.host, tip, this.startedAt),
      mempool: this.pool.size,
      syncing: this.sync.syncing,
      bestHeaderHeight: Math.max(this.sync.targetHeight(), tip.height)
    }
    if (this.mining !== undefined) status.mining = this.mining.status()
    return status
  }

  /** Outputs spent by a transaction: pending parents, unspent coins, or the confirmed transaction. */
  private spentLookup (): SpentOutputLookup {
    return (prev, index) => this.pool.get(toHex(prev))?.tx.outputs[index] ?? this.explorer.spentOutput(prev, index)
  }

  /** A pending transaction as the API and the event stream show it. */
  protected pendingTxView (tx: Transaction, receivedAt: number): TxView {
    return txView(tx, { params: this.params, tipHeight: this.chain.height, receivedAt, spent: this.spentLookup() })
  }

  async blocks (from: number | undefined, limit: number): Promise<BlockView[]> {
    return await this.explorer.blockSummaries(from, limit)
  }

  async block (hashOrHeight: string): Promise<BlockView | undefined> {
    return await this.explorer.block(hashOrHeight, FIRST_TX_PAGE)
  }

  async blockTxs (hashOrHeight: string, offset: number, limit: number): Promise<BlockTxPage | undefined> {
    return await this.explorer.blockTxs(hashOrHeight, offset, limit)
  }

  tx (id: string): TxView | undefined {
    if (!HEX64.test(id)) return undefined
    const hex = id.toLowerCase()
    const pending = this.pool.get(hex)
    if (pending !== undefined) return this.pendingTxView(pending.tx, pending.time)
    return this.explorer.confirmedTx(fromHex(hex))
  }

  /** The newest 500 pending transactions, at most about MEMPOOL_VIEW_BYTES of them (a full pool is 32 MB). */
  mempool (): TxView[] {
    const newest = [...this.pool.entries.values()].sort((a, b) => b.time - a.time)
    const out: TxView[] = []
    let bytes = 0
    for (const e of newest) {
      if (out.length >= 500 || (out.length > 0 && bytes + e.size > MEMPOOL_VIEW_BYTES)) break
      bytes += e.size
      out.push(this.pendingTxView(e.tx, e.time))
    }
    return out
  }

  peers (): PeerView[] {
    return this.peerDirectory.views()
  }

  async wallet (): Promise<WalletView> {
    const w = this.nodeWallet
    // the wallet follows the chain a moment behind its events: answer for the chain's tip
    // (after a storage failure, for the last block it stored)
    await w.synced().catch(() => {})
    return {
      addresses: w.addresses(),
      changeAddresses: w.wallet.changeAddresses().map(a => a.address),
      balance: balanceView(w.balance()),
      confirmationsRequired: w.confirmations,
      transactions: (await w.transactions(50)).map(t => walletTx(t))
    }
  }

  async newAddress (): Promise<string> {
    return await this.nodeWallet.newAddress()
  }

  async send (to: string, amount: bigint, fee?: bigint, options: SendOptions = {}): Promise<SendResult> {
    this.refuseIfFailed()
    return await this.sendLock.run(async () => {
      let built
      try {
        parseAddress(to, this.params)
        built = await this.nodeWallet.build(to, amount, fee, { force: options.force === true })
      } catch (err) {
        throw sendRefusal(err)
      }
      const { txid } = await this.submit(built.tx)
      return { txid, fee: built.fee.toString() }
    })
  }

  /** After a storage failure nothing new is accepted: it could not be stored. */
  private refuseIfFailed (): void {
    if (this.fatal.failed !== undefined) throw new NodeError('unavailable', 'node-failed', `the node is stopping after a storage failure: ${this.fatal.failed.message}`)
  }

  async submitTx (bytes: Uint8Array): Promise<{ txid: string }> {
    this.refuseIfFailed()
    let tx: Transaction
    try {
      tx = decodeTx(bytes, this.params.maxTxSize)
    } catch (err) {
      if (isValidationError(err)) throw new NodeError('invalid', err.code, err.message)
      throw err
    }
    return await this.submit(tx)
  }

  /** Validates into the mempool first (a node validates its own messages), then gossips. */
  private async submit (tx: Transaction): Promise<{ txid: string }> {
    try {
      await this.pool.accept(tx)
    } catch (err) {
      if (err instanceof ValidationError) throw new NodeError(err.code === 'txn-already-known' ? 'conflict' : 'invalid', err.code, err.message)
      throw err
    }
    // the canonical bytes decodeTx or txid already produced, not a second encoding
    this.gossip.publish('tx', txBytes(tx))
    return { txid: toHex(txid(tx)) }
  }

  async addressHistory (address: string, cursor: string | undefined, limit: number): Promise<AddressHistoryPage> {
    const hash = parseAddress(address, this.params)
    return await this.explorer.addressHistory(address, hash, cursor, limit)
  }
}

function walletTx (t: WalletHistoryItem): WalletTxView {
  return { txid: t.txid, delta: t.delta.toString(), height: t.height, time: t.time, confirmations: t.confirmations, confirmed: t.confirmed }
}
