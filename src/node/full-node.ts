// The full node and the miner: chain + mempool + p2p (gossip, sync, SPV
// service) + wallet, and for the miner the block producer. A role is a
// composition of these parts.
import { EventEmitter } from 'node:events'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { blockHash } from '../core/block.js'
import { fromHex, toHex } from '../core/bytes.js'
import { decodeTx, encodeBlock, encodeTx } from '../core/encoding.js'
import { isValidationError, ValidationError } from '../core/errors.js'
import { getNetwork, type NetworkParams } from '../core/params.js'
import { txid } from '../core/tx.js'
import type { Block, Transaction } from '../core/types.js'
import { Chain } from '../chain/chain.js'
import { SerialLock } from '../chain/serial-lock.js'
import { createVerifier } from '../crypto/create-verifier.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { Mempool } from '../mempool/mempool.js'
import { Miner } from '../miner/miner.js'
import { GossipService } from '../p2p/gossip.js'
import { P2PHost } from '../p2p/host.js'
import { loadOrCreatePeerKey } from '../p2p/identity.js'
import { limitsFor, protocolsFor, topicsFor } from '../p2p/protocols.js'
import { PeerReputation } from '../p2p/reputation.js'
import { SyncManager } from '../p2p/sync.js'
import { SpvServer } from '../p2p/spv-server.js'
import { blockValidator } from '../p2p/validation/block.js'
import { encodeHeaderAnnouncement, fullNodeHeaderValidator } from '../p2p/validation/header.js'
import { txValidator } from '../p2p/validation/tx.js'
import { AddressError, decodeAddress, encodeAddress } from '../wallet/address.js'
import { BuildError } from '../wallet/builder.js'
import { defaultConfirmations } from '../wallet/confirmations.js'
import { NodeWallet, type WalletHistoryItem } from '../wallet/node-wallet.js'
import type { NodeConfig } from './config.js'
import { FatalSignal } from './fatal.js'
import type { Logger } from '../telemetry/logger.js'
import { NodeMetrics } from '../telemetry/metrics.js'
import { openNodeWallet } from './open-wallet.js'
import { reportPeerEvents } from './peer-events.js'
import {
  ApiError, type AddressHistoryPage, type BlockTxPage, type BlockView, type HeaderView, type NodeApi, type NodeEvents, type PeerView, type Role, type SendOptions, type StatusView,
  type TreeNodeView, type TxView, type WalletTxView, type WalletView
} from './node-api.js'
import { blockView, difficultyOf, headerView, treeNodeView, txView, type SpentOutputLookup } from './views.js'
import { ChainExplorer } from './chain-explorer.js'
import { DemoPayments, userAgentFor } from './demo.js'
import { PeerDirectory } from './peer-directory.js'

/** Transactions in the first page of GET /api/blocks/:id. */
const FIRST_TX_PAGE = 25
/** GET /api/mempool views at most this many bytes of transactions. */
const MEMPOOL_VIEW_BYTES = 256 * 1024

export interface FullNodeParts {
  config: NodeConfig
  log: Logger
  params: NetworkParams
  metrics: NodeMetrics
  verifier: SignatureVerifier
  chain: Chain
  pool: Mempool
  nodeWallet: NodeWallet
  host: P2PHost
  gossip: GossipService
  sync: SyncManager
  reputation: PeerReputation
  fatal: FatalSignal
}

export class FullNode implements NodeApi {
  readonly role: Role
  readonly params: NetworkParams
  readonly metrics: NodeMetrics
  readonly events = new EventEmitter<NodeEvents>()
  readonly chain: Chain
  readonly pool: Mempool
  readonly nodeWallet: NodeWallet
  readonly host: P2PHost
  readonly gossip: GossipService
  readonly sync: SyncManager
  readonly reputation: PeerReputation
  readonly peerDirectory: PeerDirectory
  /** Block, transaction and address views at a bounded cost per request. */
  readonly explorer: ChainExplorer
  miner: Miner | undefined
  /** Resolves on a storage failure: the node stops taking work and the daemon stops it. */
  readonly fatal: FatalSignal
  /** One payment at a time, so two sends never pick the same coins. */
  private readonly sendLock = new SerialLock()
  private readonly verifier: SignatureVerifier
  private readonly log: Logger
  private readonly config: NodeConfig
  private readonly startedAt = Date.now()
  private demo: DemoPayments | undefined
  private stopped = false

  private constructor (parts: FullNodeParts) {
    this.config = parts.config
    this.role = parts.config.role
    this.log = parts.log
    this.params = parts.params
    this.metrics = parts.metrics
    this.verifier = parts.verifier
    this.chain = parts.chain
    this.pool = parts.pool
    this.nodeWallet = parts.nodeWallet
    this.host = parts.host
    this.gossip = parts.gossip
    this.sync = parts.sync
    this.reputation = parts.reputation
    this.peerDirectory = new PeerDirectory(this.host, this.gossip, this.reputation, this.sync)
    this.explorer = new ChainExplorer(this.chain, this.params)
    this.fatal = parts.fatal
    // nothing more is mined or paid once the disk failed; the daemon stops the rest
    this.fatal.onFatal(() => {
      this.demo?.stop()
      void this.miner?.stop()
    })
  }

  /** `opts.params` lets tests run a network that no config can select (e.g. one with cheap retargeting proof of work). */
  static async start (config: NodeConfig, log: Logger, opts: { params?: NetworkParams } = {}): Promise<FullNode> {
    const params = opts.params ?? getNetwork(config.network)
    mkdirSync(config.dataDir, { recursive: true })
    const metrics = new NodeMetrics()
    const verifier = await createVerifier({ onWarning: msg => log.warn(msg) })
    const closers: Array<() => Promise<void>> = [async () => await verifier.close()]
    const fatal = new FatalSignal(log)
    try {
      const chain = await Chain.open({ location: join(config.dataDir, 'chain'), params, verifier, log: log.child('chain') })
      closers.push(async () => await chain.close())
      chain.on('storageError', fatal.report)
      log.info('chain opened', { network: params.id, height: chain.height, tip: chain.tip.hashHex })
      const m = config.mempool
      const mempool = new Mempool({
        chain,
        verifier,
        maxBytes: m.maxBytes,
        limits: { ancestors: m.maxAncestors, ancestorBytes: m.maxAncestorBytes, descendants: m.maxDescendants, descendantBytes: m.maxDescendantBytes }
      })
      const keys = await openNodeWallet(config, params, log)
      const walletLog = log.child('wallet')
      const wallet = await NodeWallet.open({
        wallet: keys,
        chain,
        mempool,
        location: join(config.dataDir, 'wallet-db'),
        confirmations: config.wallet.confirmations ?? defaultConfirmations(config.network),
        onFatal: fatal.report,
        onWarning: (msg, fields) => walletLog.warn(msg, fields)
      })
      closers.push(async () => await wallet.close())
      walletLog.info('wallet opened', { height: wallet.height, confirmations: wallet.confirmations })
      const reputation = new PeerReputation({ metrics, log: log.child('peers'), trustedAddresses: config.p2p.trustedAddresses })
      const topics = topicsFor(params.id)
      const limits = limitsFor(params)
      const demoAddress = config.demo.enabled ? keys.primaryAddress().address : undefined
      const host: P2PHost = await P2PHost.create({
        privateKey: await loadOrCreatePeerKey(config.dataDir),
        listenHost: config.p2p.host,
        listenPort: config.p2p.port,
        bootstrap: config.p2p.bootstrap,
        mdns: config.p2p.mdns,
        maxPeers: config.p2p.maxPeers,
        topics,
        maxMessageBytes: limits.gossipFrameBytes,
        reputation,
        userAgent: userAgentFor(config.role, demoAddress),
        metricsRegistry: metrics.registry,
        log: log.child('p2p')
      })
      closers.push(async () => await host.stop())
      const gossip = new GossipService({ node: host.node, topics, reputation, metrics, log: log.child('gossip') })
      const sync = new SyncManager({ host, chain, protocols: protocolsFor(params.id), limits, reputation, metrics, log: log.child('sync') })
      const node = new FullNode({ config, log, params, metrics, verifier, chain, pool: mempool, nodeWallet: wallet, host, gossip, sync, reputation, fatal })
      await node.startServices()
      return node
    } catch (err) {
      for (const close of closers.reverse()) await close().catch(() => {})
      throw err
    }
  }

  private async startServices (): Promise<void> {
    const { chain, pool: mempool, gossip, sync, params, metrics } = this
    const limits = limitsFor(params)
    this.wireEvents()
    await this.startSpvServer()
    // protocol handlers and listeners before the host dials anyone
    await sync.start()
    await this.host.start()
    gossip.subscribe('block', blockValidator(chain, limits.blockMessageBytes, {
      onOrphan: from => sync.onOrphan(from),
      onAccepted: (block, from) => {
        const entry = chain.getEntry(blockHash(block.header))
        if (entry !== undefined) sync.notePeerBlock(from, entry.height, entry.hashHex)
        metrics.blockPropagationSeconds.observe(Math.max(0, Date.now() / 1000 - block.header.time))
      }
    }))
    gossip.subscribe('tx', txValidator(mempool, limits.txMessageBytes))
    gossip.subscribe('header', fullNodeHeaderValidator(chain, limits.headerMessageBytes, from => sync.onOrphan(from)))
    gossip.start()
    this.log.info('p2p started', { peerId: this.host.peerId, listen: this.host.listenAddresses() })

    if (this.role === 'miner') {
      const payTo = this.config.mining.payout !== null ? decodeAddress(this.config.mining.payout, params) : this.nodeWallet.wallet.primaryAddress().hash
      this.miner = new Miner({ chain, mempool, payTo, threads: this.config.mining.threads })
      this.miner.on('mined', block => this.onMined(block))
      this.miner.on('error', err => this.log.error('miner error', { err: err.message }))
      const miner = this.miner
      metrics.hashRateSource = () => miner.hashRate()
      if (this.config.mining.enabled) this.setMining(true)
    }
    if (this.config.demo.enabled) {
      this.demo = new DemoPayments({
        intervalMs: this.config.demo.intervalSeconds * 1000,
        amount: BigInt(this.config.demo.amount),
        payees: () => this.peerDirectory.demoPayees(),
        send: async (to, amount) => await this.send(to, amount),
        log: this.log.child('demo')
      })
      this.demo.start()
    }
  }

  private spvServer: SpvServer | undefined

  private async startSpvServer (): Promise<void> {
    const { chain, params, metrics } = this
    const limits = limitsFor(params)
    const spv = new SpvServer({ host: this.host, chain, protocols: protocolsFor(params.id), limits, reputation: this.reputation, metrics, log: this.log.child('spv') })
    await spv.start()
    this.spvServer = spv
  }

  private wireEvents (): void {
    const { chain, pool: mempool, metrics, events } = this
    chain.on('processed', (result, seconds) => {
      const label = result === 'connected' ? 'accepted' : result === 'pending' ? 'accepted' : result
      metrics.blocksTotal.inc({ result: label })
      if (result === 'connected' || result === 'side') metrics.blockValidationSeconds.observe(seconds)
    })
    mempool.on('processed', (result, seconds) => {
      metrics.transactionsTotal.inc({ result })
      if (result === 'accepted') metrics.txValidationSeconds.observe(seconds)
    })
    chain.on('tip', entry => {
      metrics.chainHeight.set(entry.height)
      metrics.difficulty.set(difficultyOf(entry.header.bits))
      events.emit('tip', headerView(entry, entry.height, true))
    })
    chain.on('connect', (block, entry) => {
      // SPV peers follow the chain through header announcements; identical
      // announcements from several full nodes are one gossip message.
      this.gossip.publish('header', encodeHeaderAnnouncement(block.header))
      events.emit('block', blockView(block, entry, chain.height, true, this.params, undefined, false))
    })
    chain.on('reorg', r => this.log.warn('chain reorganisation', { from: r.from.height, to: r.to.height, fork: r.fork.height, disconnected: r.disconnected }))
    // a failing listener is reported here; the chain and the mempool still call all the others
    chain.on('listenerError', (event, err) => this.log.error('chain event listener failed', { event, err: err instanceof Error ? err.message : String(err) }))
    mempool.on('listenerError', (event, err) => this.log.error('mempool event listener failed', { event, err: err instanceof Error ? err.message : String(err) }))
    chain.on('invalid', (entry, err) => this.log.warn('invalid block', { hash: entry.hashHex, height: entry.height, code: err.code, reason: err.message }))
    const mempoolGauges = (): void => {
      metrics.mempoolTransactions.set(mempool.size)
      metrics.mempoolBytes.set(mempool.bytes)
    }
    mempool.on('added', e => {
      mempoolGauges()
      events.emit('tx', txView(e.tx, { params: this.params, tipHeight: chain.height, receivedAt: e.time, spent: this.spentLookup() }))
    })
    mempool.on('removed', (e, reason) => { mempoolGauges(); events.emit('txRemoved', e.txidHex, reason) })
    reportPeerEvents(this.host, metrics, events)
    metrics.chainHeight.set(chain.height)
    metrics.difficulty.set(difficultyOf(chain.tip.header.bits))
  }

  private onMined (block: Block): void {
    const entry = this.chain.getEntry(blockHash(block.header))
    this.log.info('mined a block', { height: entry?.height, hash: entry?.hashHex, txs: block.transactions.length })
    // like any block, relayed only once on the active chain (one that lost a race stays local)
    if (entry !== undefined && this.chain.index.isActive(entry)) this.gossip.publish('block', encodeBlock(block))
  }

  get peerId (): string {
    return this.host.peerId
  }

  get listen (): string[] {
    return this.host.listenAddresses()
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.demo?.stop()
    await this.miner?.stop()
    this.gossip.stop()
    await this.sync.stop()
    await this.spvServer?.stop()
    await this.host.stop()
    await this.nodeWallet.close()
    await this.chain.close()
    await this.verifier.close()
    this.log.info('stopped')
  }

  // ---- NodeApi ---------------------------------------------------------------

  status (): StatusView {
    const tip = this.chain.tip
    const status: StatusView = {
      role: this.role,
      network: this.params.id,
      peerId: this.host.peerId,
      listen: this.host.listenAddresses().map(a => a.includes('/p2p/') ? a : `${a}/p2p/${this.host.peerId}`),
      height: tip.height,
      tip: tip.hashHex,
      peers: this.host.node.getPeers().length,
      mempool: this.pool.size,
      syncing: this.sync.syncing,
      bestHeaderHeight: Math.max(this.sync.targetHeight(), tip.height),
      difficulty: difficultyOf(tip.header.bits),
      startedAt: this.startedAt
    }
    if (this.miner !== undefined) {
      const hashRate = this.miner.hashRate()
      status.mining = { enabled: this.miner.running, threads: this.miner.threads, hashRate, blocksMined: this.miner.blocksMined }
    }
    return status
  }

  /** Outputs spent by a transaction: pending parents, unspent coins, or the confirmed transaction. */
  private spentLookup (): SpentOutputLookup {
    return (prev, index) => this.pool.get(toHex(prev))?.tx.outputs[index] ?? this.explorer.spentOutput(prev, index)
  }

  headerList (from: number | undefined, limit: number): HeaderView[] {
    return this.explorer.headers(from, limit)
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
    if (!/^[0-9a-fA-F]{64}$/.test(id)) return undefined
    const hex = id.toLowerCase()
    const pending = this.pool.get(hex)
    if (pending !== undefined) return txView(pending.tx, { params: this.params, tipHeight: this.chain.height, receivedAt: pending.time, spent: this.spentLookup() })
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
      out.push(txView(e.tx, { params: this.params, tipHeight: this.chain.height, receivedAt: e.time, spent: this.spentLookup() }))
    }
    return out
  }

  peers (): PeerView[] {
    return this.peerDirectory.views()
  }

  blockTree (depth: number): TreeNodeView[] {
    const minHeight = Math.max(0, this.chain.height - depth)
    const out: TreeNodeView[] = []
    for (const e of this.chain.index.entries()) {
      if (e.height >= minHeight) out.push(treeNodeView(e, this.chain.index.isActive(e)))
    }
    return out.sort((a, b) => a.height - b.height)
  }

  async wallet (): Promise<WalletView> {
    const w = this.nodeWallet
    // the wallet follows the chain a moment behind its events: answer for the chain's tip
    // (after a storage failure, for the last block it stored)
    await w.synced().catch(() => {})
    const balance = w.balance()
    return {
      addresses: w.addresses(),
      changeAddresses: w.wallet.changeAddresses().map(a => a.address),
      balance: { confirmed: balance.confirmed.toString(), pending: balance.pending.toString(), immature: balance.immature.toString() },
      confirmationsRequired: w.confirmations,
      transactions: (await w.transactions(50)).map(t => this.walletTx(t))
    }
  }

  private walletTx (t: WalletHistoryItem): WalletTxView {
    return { txid: t.txid, delta: t.delta.toString(), height: t.height, time: t.time, confirmations: t.confirmations, confirmed: t.confirmed }
  }

  async newAddress (): Promise<string> {
    return await this.nodeWallet.newAddress()
  }

  async send (to: string, amount: bigint, fee?: bigint, options: SendOptions = {}): Promise<{ txid: string }> {
    this.refuseIfFailed()
    return await this.sendLock.run(async () => {
      let built
      try {
        decodeAddress(to, this.params)
        built = await this.nodeWallet.build(to, amount, fee, { force: options.force === true })
      } catch (err) {
        if (err instanceof AddressError) throw new ApiError(400, 'bad-address', err.message)
        if (err instanceof BuildError) throw new ApiError(400, err.code, err.message)
        throw err
      }
      return await this.submit(built.tx)
    })
  }

  /** After a storage failure nothing new is accepted: it could not be stored. */
  private refuseIfFailed (): void {
    if (this.fatal.failed !== undefined) throw new ApiError(503, 'node-failed', `the node is stopping after a storage failure: ${this.fatal.failed.message}`)
  }

  async submitTx (bytes: Uint8Array): Promise<{ txid: string }> {
    this.refuseIfFailed()
    let tx: Transaction
    try {
      tx = decodeTx(bytes, this.params.maxTxSize)
    } catch (err) {
      if (isValidationError(err)) throw new ApiError(400, err.code, err.message)
      throw err
    }
    return await this.submit(tx)
  }

  /** Validates into the mempool first (a node validates its own messages), then gossips. */
  private async submit (tx: Transaction): Promise<{ txid: string }> {
    try {
      await this.pool.accept(tx)
    } catch (err) {
      if (err instanceof ValidationError) throw new ApiError(err.code === 'txn-already-known' ? 409 : 400, err.code, err.message)
      throw err
    }
    this.gossip.publish('tx', encodeTx(tx))
    return { txid: toHex(txid(tx)) }
  }

  setMining (enabled: boolean): void {
    if (this.miner === undefined) throw new ApiError(400, 'not-a-miner', `a ${this.role} node does not mine`)
    if (enabled) {
      this.miner.start()
      this.log.info('mining started', { threads: this.miner.threads, payTo: encodeAddress(this.miner.payTo, this.params) })
    } else {
      void this.miner.stop().then(() => this.log.info('mining stopped'))
    }
  }

  search (query: string): { kind: 'block' | 'tx' | 'address', id: string } | undefined {
    const q = query.trim()
    if (/^\d{1,10}$/.test(q)) return this.chain.entryAt(Number(q)) !== undefined ? { kind: 'block', id: q } : undefined
    if (/^[0-9a-fA-F]{64}$/.test(q)) {
      const hex = q.toLowerCase()
      if (this.chain.getEntry(hex) !== undefined) return { kind: 'block', id: hex }
      if (this.pool.get(hex) !== undefined || this.chain.getTxLocation(fromHex(hex)) !== undefined) return { kind: 'tx', id: hex }
      return undefined
    }
    try {
      decodeAddress(q, this.params)
      return { kind: 'address', id: q }
    } catch {
      return undefined
    }
  }

  async addressHistory (address: string, cursor: string | undefined, limit: number): Promise<AddressHistoryPage> {
    let hash: Uint8Array
    try {
      hash = decodeAddress(address, this.params)
    } catch (err) {
      throw new ApiError(400, 'bad-address', (err as Error).message)
    }
    return await this.explorer.addressHistory(address, hash, cursor, limit)
  }
}
