// The SPV role: a header chain it validates itself, Merkle proofs for its own
// wallet's transactions from full nodes, and a wallet that counts only what
// those proofs show. It stores no blocks and no UTXO set, so it cannot check
// other people's transactions: it relays nothing but its own. This file
// assembles the parts and runs their lifecycle; SpvNodeApi (spv-node-api.ts)
// answers the API.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { getNetwork } from '../core/params.js'
import { HeaderChain, type IndexEntry } from '../spv/header-chain.js'
import type { LightClient } from '../spv/light-client.js'
import { pendingFile } from '../spv/pending-file.js'
import { ProofStore } from '../spv/proof-store.js'
import { ProvenTransactions } from '../spv/proven-txs.js'
import { SpvWallet } from '../spv/spv-wallet.js'
import { defaultConfirmations } from '../wallet/confirmations.js'
import type { NodeConfig } from './config.js'
import type { DemoPayments } from './demo.js'
import { FatalSignal } from './fatal.js'
import type { Logger } from '../telemetry/logger.js'
import { NodeMetrics } from '../telemetry/metrics.js'
import { assemble, createNetwork, startDemo } from './network-start.js'
import { openNodeWallet } from './open-wallet.js'
import { reportPeerEvents } from './peer-events.js'
import { SpvNodeApi, type SpvNodeApiParts } from './spv-node-api.js'
import { difficultyOf } from './views.js'

interface SpvNodeParts extends SpvNodeApiParts {
  config: NodeConfig
  proofStore: ProofStore
}

export class SpvNode extends SpvNodeApi {
  private readonly config: NodeConfig
  private readonly proofStore: ProofStore
  private demo: DemoPayments | undefined
  private stopped = false

  private constructor (parts: SpvNodeParts) {
    super(parts)
    this.fatal.onFatal(() => this.demo?.stop())
    this.config = parts.config
    this.proofStore = parts.proofStore
  }

  static async start (config: NodeConfig, log: Logger): Promise<SpvNode> {
    const params = getNetwork(config.network)
    mkdirSync(config.dataDir, { recursive: true })
    const metrics = new NodeMetrics({ network: params.id, role: 'spv', targetBlockTime: params.targetBlockTime })
    const closers: Array<() => Promise<void>> = []
    const fatal = new FatalSignal(log)
    return await assemble(closers, async () => {
      const headers = await HeaderChain.open({ location: join(config.dataDir, 'headers'), params, log: log.child('headers') })
      closers.push(async () => await headers.close())
      headers.on('storageError', fatal.report)
      log.info('header chain opened', { network: params.id, height: headers.height, tip: headers.tip.hashHex })
      const keys = await openNodeWallet(config, params, log)
      const { reputation, host, gossip } = await createNetwork({ config, role: 'spv', params, metrics, log, demoAddress: keys.primaryAddress().address, closers })
      // verified proofs of earlier runs, each checked again against the header chain
      const proofStore = await ProofStore.open(join(config.dataDir, 'proofs'), params.maxTxSize + 64 * 1024)
      closers.push(async () => await proofStore.close())
      const proven = await ProvenTransactions.open(headers, params, proofStore)
      let client: LightClient | undefined
      const wallet = new SpvWallet({
        wallet: keys,
        proven,
        headers,
        params,
        publish: bytes => gossip.publish('tx', bytes),
        persistence: pendingFile(join(config.dataDir, 'pending-txs.json'), params, { onFailure: fatal.report }),
        confirmations: config.wallet.confirmations ?? defaultConfirmations(config.network),
        witnessesWanted: () => client?.witnessesWanted() ?? 1,
        historyComplete: () => client !== undefined && client.historyCompleteThrough() >= headers.height,
        onStorageFailure: fatal.report
      })
      const node = new SpvNode({ config, log, params, metrics, reputation, headers, host, gossip, proven, wallet, proofStore, fatal })
      client = node.client
      await node.startServices()
      return node
    })
  }

  private async startServices (): Promise<void> {
    this.wireEvents()
    await this.host.start()
    // the light node subscribes to headers only; it publishes its own transactions to the tx topic
    await this.client.start()
    this.gossip.start()
    // payments published before a restart and not proven yet: announce them again (queued until a peer listens)
    this.lightWallet.republish()
    this.log.info('p2p started', { peerId: this.host.peerId, listen: this.host.listenAddresses() })
    this.demo = startDemo(this.config, this.log, () => this.peerDirectory.demoPayees(), async (to, amount) => await this.send(to, amount))
  }

  private wireEvents (): void {
    const { headers, metrics, events, proven, lightWallet: wallet } = this
    headers.on('tip', (tip, previous) => {
      metrics.setTip(tip.height, tip.header.time, difficultyOf(tip.header.bits))
      this.reportSyncProgress()
      // header-only 'block' events for what joined the active chain (the newest few after a long sync)
      const joined: IndexEntry[] = []
      const fork = headers.index.forkPoint(previous, tip)
      for (let e: IndexEntry | undefined = tip; e !== undefined && e !== fork && joined.length < 20; e = e.parent) joined.push(e)
      for (const e of joined.reverse()) events.emit('block', this.blockViewOf(e))
      events.emit('tip', this.headerViewOf(tip))
      // a peer may have missed our transaction; a new block is a natural moment to repeat it
      wallet.republish()
    })
    proven.on('added', proof => events.emit('proof', this.walletTxView(wallet.entryOf(proof))))
    wallet.on('published', p => events.emit('tx', this.txViewOf(p.tx, undefined, p.publishedAt)))
    wallet.on('settled', (p, reason) => { if (reason !== 'proven') events.emit('txRemoved', p.txidHex, reason) })
    wallet.on('addresses', () => this.client.scheduleRefresh())
    reportPeerEvents(this.host, metrics, events, this.log.child('peers'))
    metrics.setTip(headers.height, headers.tip.header.time, difficultyOf(headers.tip.header.bits))
    this.reportSyncProgress()
    metrics.mempoolTransactions.set(0)
  }

  /**
   * Sync gauges as a full node reports them: the best header height a peer
   * has shown us (a light node takes every valid header in, so this is its
   * own tip unless a peer's headers are still being checked) over our tip.
   */
  private reportSyncProgress (): void {
    const height = this.headers.height
    const target = Math.max(height, ...this.client.peerHeights.values())
    this.metrics.syncTargetHeight.set(target)
    this.metrics.syncProgress.set(target === 0 ? 1 : height / target)
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.demo?.stop()
    this.gossip.stop()
    await this.client.stop()
    await this.host.stop()
    await this.proven.flush()
    await this.proofStore.close()
    await this.headers.close()
    this.log.info('stopped')
  }
}
