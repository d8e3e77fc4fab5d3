// The full node and the miner: chain + mempool + p2p (gossip, sync, SPV
// service) + wallet, and for the miner the block producer. A role is a
// composition of these parts; this file assembles them and runs their
// lifecycle, FullNodeApi (full-node-api.ts) answers the API.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { blockHash } from '../core/block.js'
import { encodeBlock } from '../core/encoding.js'
import { getNetwork, type NetworkParams } from '../core/params.js'
import type { Block } from '../core/types.js'
import { Chain } from '../chain/chain.js'
import { createVerifier } from '../crypto/create-verifier.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { Mempool } from '../mempool/mempool.js'
import { Miner } from '../miner/miner.js'
import { miningControl } from './mining-control.js'
import { limitsFor, protocolsFor } from '../p2p/protocols.js'
import { SyncManager } from '../p2p/sync.js'
import { SpvServer } from '../p2p/spv-server.js'
import { blockValidator } from '../p2p/validation/block.js'
import { encodeHeaderAnnouncement, fullNodeHeaderValidator } from '../p2p/validation/header.js'
import { txValidator } from '../p2p/validation/tx.js'
import { decodeAddress } from '../wallet/address.js'
import { defaultConfirmations } from '../wallet/confirmations.js'
import { NodeWallet } from './wallet/node-wallet.js'
import type { NodeConfig } from './config.js'
import type { DemoPayments } from './demo.js'
import { FatalSignal } from './fatal.js'
import { FullNodeApi, type FullNodeApiParts } from './full-node-api.js'
import type { Logger } from '../telemetry/logger.js'
import { NodeMetrics } from '../telemetry/metrics.js'
import { assemble, createNetwork, startDemo } from './network-start.js'
import { openNodeWallet } from './open-wallet.js'
import { reportPeerEvents } from './peer-events.js'
import { blockView, difficultyOf, headerView } from './views.js'

export interface FullNodeParts extends FullNodeApiParts {
  config: NodeConfig
  verifier: SignatureVerifier
}

export class FullNode extends FullNodeApi {
  private readonly verifier: SignatureVerifier
  private readonly config: NodeConfig
  private spvServer: SpvServer | undefined
  private demo: DemoPayments | undefined
  private stopped = false
  private miningOnReady = false

  private constructor (parts: FullNodeParts) {
    super(parts)
    this.config = parts.config
    this.verifier = parts.verifier
    // nothing more is mined or paid once the disk failed; the daemon stops the rest
    this.fatal.onFatal(() => {
      this.demo?.stop()
      void this.miner?.stop()
    })
  }

  /** `opts.params` lets tests run a network that no config can select (e.g. one with cheap retargeting proof of work). */
  /**
   * `opts.miningOnReady`: a configured miner starts its search only on
   * ready() (the daemon calls it once its API answers and node.json is
   * written), so the nonce worker's start and the first blocks do not delay
   * the node's readiness; otherwise it starts with the services.
   */
  static async start (config: NodeConfig, log: Logger, opts: { params?: NetworkParams, miningOnReady?: boolean } = {}): Promise<FullNode> {
    const params = opts.params ?? getNetwork(config.network)
    mkdirSync(config.dataDir, { recursive: true })
    const metrics = new NodeMetrics({ network: params.id, role: config.role, targetBlockTime: params.targetBlockTime })
    const verifier = await createVerifier({ onWarning: msg => log.warn(msg), lazy: {} })
    const closers: Array<() => Promise<void>> = [async () => await verifier.close()]
    const fatal = new FatalSignal(log)
    return await assemble(closers, async () => {
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
      const role = config.role
      const { reputation, host, gossip } = await createNetwork({ config, role, params, metrics, log, demoAddress: keys.primaryAddress().address, closers })
      const sync = new SyncManager({ host, chain, protocols: protocolsFor(params.id), limits: limitsFor(params), reputation, metrics, log: log.child('sync') })
      const node = new FullNode({ role, config, log, params, metrics, verifier, chain, pool: mempool, nodeWallet: wallet, host, gossip, sync, reputation, fatal })
      node.miningOnReady = opts.miningOnReady === true
      await node.startServices()
      return node
    })
  }

  private async startServices (): Promise<void> {
    const { chain, pool: mempool, gossip, sync, params, metrics } = this
    const limits = limitsFor(params)
    this.wireEvents()
    this.spvServer = new SpvServer({ host: this.host, chain, protocols: protocolsFor(params.id), limits, reputation: this.reputation, metrics, log: this.log.child('spv') })
    await this.spvServer.start()
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
    if (this.role === 'miner') this.startMiner()
    this.demo = startDemo(this.config, this.log, () => this.peerDirectory.demoPayees(), async (to, amount) => await this.send(to, amount))
  }

  /** The miner's capability: a block producer paying to the configured address or the wallet's first. */
  private startMiner (): void {
    const { chain, pool: mempool, params, metrics } = this
    const payTo = this.config.mining.payout !== null ? decodeAddress(this.config.mining.payout, params) : this.nodeWallet.wallet.primaryAddress().hash
    const miner = new Miner({ chain, mempool, payTo, threads: this.config.mining.threads })
    this.miner = miner
    this.mining = miningControl(miner, params, this.log)
    miner.on('mined', block => this.onMined(block))
    miner.on('error', err => this.log.error('miner error', { err: err.message }))
    metrics.hashRateSource = () => miner.hashRate()
    if (this.config.mining.enabled && !this.miningOnReady) this.mining.setEnabled(true)
  }

  /** The daemon is ready: a miner started with `miningOnReady` starts mining now (once). */
  ready (): void {
    if (!this.miningOnReady || this.stopped) return
    this.miningOnReady = false
    if (this.config.mining.enabled) this.mining?.setEnabled(true)
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
      metrics.setTip(entry.height, entry.header.time, difficultyOf(entry.header.bits))
      events.emit('tip', headerView(entry, entry.height, true))
    })
    chain.on('connect', (block, entry) => {
      // SPV peers follow the chain through header announcements; identical
      // announcements from several full nodes are one gossip message. A block
      // behind the best header this node knows is history it is catching up
      // (an initial sync): not announced, as Bitcoin Core announces nothing in
      // IBD; the block that reaches the best header is.
      if (entry.work >= chain.bestHeader().work) this.gossip.publish('header', encodeHeaderAnnouncement(block.header))
      if (events.listenerCount('block') > 0) events.emit('block', blockView(block, entry, chain.height, true, this.params, undefined, false))
    })
    chain.on('reorg', r => this.log.warn('chain reorganisation', { from: r.from.height, to: r.to.height, fork: r.fork.height, disconnected: r.disconnected }))
    // a failing listener is reported here; the chain and the mempool still call all the others
    chain.on('listenerError', (event, err) => this.log.error('chain event listener failed', { event, err: err instanceof Error ? err.message : String(err) }))
    mempool.on('listenerError', (event, err) => this.log.error('mempool event listener failed', { event, err: err instanceof Error ? err.message : String(err) }))
    chain.on('invalid', (entry, err) => this.log.warn('invalid block', { hash: entry.hashHex, height: entry.height, code: err.code, reason: err.message }))
    // the gauges read the pool when scraped: nothing to set per transaction
    metrics.mempoolSource = () => ({ transactions: mempool.size, bytes: mempool.bytes })
    mempool.on('added', e => {
      // the view costs more than some acceptances: built only for a listener (an open event stream)
      if (events.listenerCount('tx') > 0) events.emit('tx', this.pendingTxView(e.tx, e.time))
    })
    mempool.on('removed', (e, reason) => { events.emit('txRemoved', e.txidHex, reason) })
    reportPeerEvents(this.host, metrics, events, this.log.child('peers'))
    metrics.setTip(chain.height, chain.tip.header.time, difficultyOf(chain.tip.header.bits))
    metrics.mempoolMaxBytes.set(mempool.maxBytes)
  }

  private onMined (block: Block): void {
    const entry = this.chain.getEntry(blockHash(block.header))
    this.log.info('mined a block', { height: entry?.height, hash: entry?.hashHex, txs: block.transactions.length })
    if (entry !== undefined) this.watch.noteLocal(entry.hashHex, 'mined')
    // like any block, relayed only once on the active chain (one that lost a race stays local)
    if (entry !== undefined && this.chain.index.isActive(entry)) this.gossip.publish('block', encodeBlock(block))
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
}
