// Full-node sync over /minicoin/N/sync/1.0.0: status exchange on connect,
// headers-first catch-up with block locators, then block download from
// several peers in parallel. This composes the three parts: the server
// (sync-server.ts), what each peer claims and how far we trust it
// (peer-status.ts), and the download itself (block-fetcher.ts), and runs
// the sync rounds.
import type { PeerId } from '@libp2p/interface'
import { DecodeError } from '../core/errors.js'
import type { Chain } from '../chain/chain.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { P2PHost } from './host.js'
import type { ProtocolIds, WireLimits } from './protocols.js'
import type { PeerReputation } from './reputation.js'
import { rpcRequest, serveWithinLimits } from './rpc.js'
import { PeerAction } from './peer-actions.js'
import { BlockFetcher } from './block-fetcher.js'
import { type PeerChainState, PeerStatus } from './peer-status.js'
import { chainStatusOf, SyncServer } from './sync-server.js'
import { type ChainStatus, decodeSyncResponse, encodeSyncRequest, type SyncRequest, type SyncResponse } from './sync-messages.js'

export interface SyncOptions {
  host: P2PHost
  chain: Chain
  protocols: ProtocolIds
  limits: WireLimits
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  /** Milliseconds between status refreshes with every peer (heals partitions). */
  statusIntervalMs?: number
}

export class SyncManager {
  private readonly host: P2PHost
  private readonly chain: Chain
  private readonly protocols: ProtocolIds
  private readonly limits: WireLimits
  readonly reputation: PeerReputation
  readonly metrics?: NodeMetrics
  readonly log: Logger
  private readonly server: SyncServer
  private readonly peers: PeerStatus
  private readonly fetcher: BlockFetcher
  private running: Promise<void> | undefined
  private again = false
  private stopped = false
  private readonly abort = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private readonly statusIntervalMs: number
  private progressAt = 0
  /** Called with every status a peer sends (the node's network view listens). */
  onPeerStatus: ((peerId: string, status: ChainStatus) => void) | undefined
  private progressHeight = 0
  /** The catch-up under way, for its start and "caught up" lines; undefined when in step with peers. */
  private catchUp: { fromHeight: number, at: number } | undefined

  constructor (opts: SyncOptions) {
    this.host = opts.host
    this.chain = opts.chain
    this.protocols = opts.protocols
    this.limits = opts.limits
    this.reputation = opts.reputation
    this.metrics = opts.metrics
    this.log = opts.log
    this.statusIntervalMs = opts.statusIntervalMs ?? 10_000
    const request = async (peer: PeerId, req: SyncRequest): Promise<SyncResponse> => await this.request(peer, req)
    this.peers = new PeerStatus({
      chain: this.chain,
      reputation: this.reputation,
      log: this.log,
      request,
      ourStatus: () => this.ourStatus(),
      connected: () => this.host.node.getPeers(),
      onBehind: () => this.schedule(),
      onStatus: (peerId, status) => this.onPeerStatus?.(peerId, status)
    })
    this.server = new SyncServer({ chain: this.chain, limits: this.limits, onStatus: (peer, status) => this.peers.record(peer, undefined, status) })
    this.fetcher = new BlockFetcher({
      chain: this.chain,
      limits: this.limits,
      peers: this.peers,
      reputation: this.reputation,
      request,
      log: this.log,
      metrics: this.metrics,
      schedule: () => this.schedule(),
      onBlock: () => this.reportProgress(false)
    })
  }

  /** What each peer claims about its chain, keyed by peer id. */
  get peerStates (): Map<string, PeerChainState> {
    return this.peers.states
  }

  async start (): Promise<void> {
    await serveWithinLimits(this.host.node, this.protocols.sync, 'sync', this.limits, this, async (bytes, peer, budget) => await this.server.serve(bytes, peer, budget))
    this.host.node.addEventListener('peer:identify', (evt) => {
      if (!evt.detail.protocols.includes(this.protocols.sync)) return
      this.peers.markSyncCapable(evt.detail.peerId.toString())
      void this.exchangeStatus(evt.detail.peerId)
    })
    this.host.node.addEventListener('peer:disconnect', (evt) => {
      this.peers.forget(evt.detail.toString())
      this.chain.forgetPeerHeaders(evt.detail.toString())
    })
    this.timer = setInterval(() => { for (const p of this.peers.syncPeers()) void this.exchangeStatus(p) }, this.statusIntervalMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.peers.stop()
    this.fetcher.halt()
    this.abort.abort()
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.host.node.unhandle(this.protocols.sync).catch(() => {})
    await this.running?.catch(() => {})
    await this.fetcher.settled()
  }

  /** Behind the best chain our peers told us about (or still fetching it). */
  get syncing (): boolean {
    // a probe of an untrusted peer does not count: a silent liar must not keep us "syncing"
    return this.running !== undefined || this.chain.bestHeader().height > this.chain.height
  }

  /** Height of the best chain known: ours, our best header, or the claim of a peer that has delivered headers. */
  targetHeight (): number {
    return this.peers.targetHeight()
  }

  ourStatus (): ChainStatus {
    return chainStatusOf(this.chain)
  }

  /** Asks a peer for its chain status; starts syncing when it knows more work. */
  async exchangeStatus (peer: PeerId): Promise<void> {
    await this.peers.exchange(peer)
  }

  /** A gossiped block did not connect: its sender has blocks we lack. */
  onOrphan (from: string): void {
    const peer = this.host.node.getPeers().find(p => p.toString() === from)
    if (peer !== undefined) void this.exchangeStatus(peer)
  }

  /** Notes a peer's height when it relays a block we accept. */
  notePeerBlock (from: string, height: number, hashHex: string): void {
    this.peers.notePeerBlock(from, height, hashHex)
  }

  private async request (peer: PeerId, req: SyncRequest): Promise<SyncResponse> {
    const bytes = await rpcRequest(this.host.node, peer, this.protocols.sync, encodeSyncRequest(req), {
      maxResponseBytes: this.limits.responseBytes,
      timeoutMs: this.limits.streamTimeoutMs,
      label: 'sync',
      metrics: this.metrics,
      signal: this.abort.signal
    })
    try {
      return decodeSyncResponse(bytes, this.limits.responseBytes, this.limits.headersPerReply, this.limits.blocksPerReply)
    } catch (err) {
      if (err instanceof DecodeError) this.reputation.penalize(peer.toString(), PeerAction.MALFORMED_REPLY, 'sync-bad-response')
      throw err
    }
  }

  private schedule (): void {
    if (this.stopped) return
    if (this.running !== undefined) { this.again = true; return }
    this.running = this.run().finally(() => {
      this.running = undefined
      if (this.again) { this.again = false; this.schedule() }
    })
  }

  private async run (): Promise<void> {
    this.reportProgress(false)
    const tipBefore = this.chain.tip.hashHex
    try {
      for (let round = 0; round < 100 && !this.stopped; round++) {
        const bestBefore = this.chain.bestHeader()
        this.fetcher.startProbes()
        await this.fetcher.syncFromTrusted()
        this.reportProgress(false)
        const gotHeaders = this.chain.bestHeader() !== bestBefore
        const gotBlocks = await this.fetcher.downloadBlocks()
        // nothing moved: a probe that delivers, a status refresh or an announcement starts another round
        if (!gotHeaders && !gotBlocks) break
      }
    } catch (err) {
      if (!this.stopped) this.log.warn('sync round failed', { err: (err as Error).message })
    }
    this.reportProgress(true)
    if (this.chain.tip.hashHex !== tipBefore && !this.stopped) this.announceTip()
  }

  /**
   * Blocks we synced rather than received by gossip are not relayed by
   * gossip: a block whose parent we lacked (it built on a block that lost a
   * race here) was ignored as an orphan, and gossip's seen-cache keeps us
   * from publishing it or its header later. So, as Core announces every new
   * tip to its peers, we send our status to every peer once a sync round
   * moved our tip; one that lacks the blocks syncs them from us and does
   * the same. Without it such blocks spread by the 10 s status refresh.
   */
  private announceTip (): void {
    for (const p of this.peers.syncPeers()) void this.exchangeStatus(p)
  }

  /**
   * Log lines a person can follow: one when a catch-up starts, progress
   * every few seconds while it runs, one when it is done. One block behind
   * is a new block on its way (gossip brings it), not a catch-up: no lines,
   * and no ETA for it.
   */
  private reportProgress (force: boolean): void {
    const now = Date.now()
    const height = this.chain.height
    const target = Math.max(this.targetHeight(), height)
    this.metrics?.syncTargetHeight.set(target)
    this.metrics?.syncProgress.set(target === 0 ? 1 : height / target)
    this.logProgress(now, height, this.claimedHeight(target), force)
  }

  /**
   * The log lines only: what peers claim counts here before they have shown
   * headers (a new peer is a probe at first, and a short catch-up ends before
   * it is trusted). A liar can only keep the line from saying "caught up".
   */
  private claimedHeight (target: number): number {
    let best = target
    for (const s of this.peers.states.values()) if (s.height > best) best = s.height
    return best
  }

  private logProgress (now: number, height: number, target: number, force: boolean): void {
    if (this.catchUp === undefined) {
      if (target - height <= 1) return
      this.catchUp = { fromHeight: height, at: now }
      this.progressAt = now
      this.progressHeight = height
      this.log.info(`syncing: at height ${height}, peers are at ${target}`, { behind: target - height })
      return
    }
    if (height >= target) {
      const seconds = Math.round((now - this.catchUp.at) / 100) / 10
      this.log.info(`caught up at height ${height}`, { blocks: height - this.catchUp.fromHeight, seconds })
      this.catchUp = undefined
      return
    }
    if (!force && now - this.progressAt < 2000) return
    if (height > this.progressHeight) {
      const rate = (height - this.progressHeight) / ((now - this.progressAt) / 1000)
      const remaining = target - height
      // an ETA only for a remainder worth estimating
      const eta = rate > 0 && remaining > 1 ? { etaSeconds: Math.round(remaining / rate) } : {}
      this.log.info('syncing', { height, target, blocksPerSecond: Math.round(rate * 10) / 10, ...eta })
    }
    this.progressAt = now
    this.progressHeight = height
  }
}
