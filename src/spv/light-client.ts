// The light node's network side over /minicoin/N/spv/1.0.0, composed of:
//   spv-peers.ts        which peers speak the protocol, requests, verdicts applied
//   spv-header-sync.ts  header gossip and header sync
//   proof-intake.ts     Merkle proofs checked against our headers
//   history-scans.ts    per-peer address history scans, cross-checked
// Nothing a peer says is believed until checked: headers go through our
// header chain's rules, proofs through verifyProof against it. A peer caught
// sending an invalid header or proof is banned and that reply's data
// dropped. Checks return verdicts (spv-verdicts.ts) and SpvPeers.judge
// applies them: the points are in the one penalty table, p2p/peer-actions.ts.
import type { PeerId } from '@libp2p/interface'
import { equalBytes } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { GossipService } from '../p2p/gossip.js'
import type { P2PHost } from '../p2p/host.js'
import type { ProtocolIds, WireLimits } from '../p2p/protocols.js'
import type { PeerReputation } from '../p2p/reputation.js'
import type { MerkleProof } from '../p2p/spv-messages.js'
import { lightHeaderValidator } from '../p2p/validation/header.js'
import type { HeaderChain, ReorgInfo } from './header-chain.js'
import { HistoryScans } from './history-scans.js'
import { ProofIntake } from './proof-intake.js'
import type { VerifiedProof } from './proof-verifier.js'
import type { ProvenTransactions } from './proven-txs.js'
import { SpvHeaderSync } from './spv-header-sync.js'
import { SpvPeers } from './spv-peers.js'

export interface LightClientOptions {
  host: P2PHost
  gossip: GossipService
  headers: HeaderChain
  proven: ProvenTransactions
  params: NetworkParams
  protocols: ProtocolIds
  limits: WireLimits
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  /** Address hashes to follow; read on every refresh, so new wallet addresses are picked up. */
  addresses: () => Uint8Array[]
  /** How many peers each address history is asked of (a peer can only hide transactions, not invent them). */
  peersPerQuery?: number
  /** Periodic header sync and proof refresh with every peer (heals missed gossip). */
  resyncIntervalMs?: number
  /** History pages one peer's refresh may ask for (it continues at the next refresh). */
  pagesPerRefresh?: number
  /** Time one peer's refresh may take. */
  peerRefreshMs?: number
}

export class LightClient {
  private readonly o: LightClientOptions
  private readonly peersPerQuery: number
  private readonly resyncIntervalMs: number
  private readonly peers: SpvPeers
  private readonly headerSync: SpvHeaderSync
  private readonly intake: ProofIntake
  private readonly scans: HistoryScans
  private timer: NodeJS.Timeout | undefined
  private readonly onTip = (): void => this.scheduleRefresh()
  private readonly onReorg = (r: ReorgInfo): void => this.reorged(r)

  constructor (opts: LightClientOptions) {
    this.o = opts
    this.peersPerQuery = opts.peersPerQuery ?? 3
    this.resyncIntervalMs = opts.resyncIntervalMs ?? 10_000
    this.peers = new SpvPeers(opts)
    this.headerSync = new SpvHeaderSync({ ...opts, peers: this.peers, onNewTip: () => this.scheduleRefresh() })
    this.intake = new ProofIntake({ ...opts, peers: this.peers, headerSync: this.headerSync })
    this.scans = new HistoryScans({
      ...opts,
      peers: this.peers,
      headerSync: this.headerSync,
      intake: this.intake,
      pagesPerRefresh: opts.pagesPerRefresh ?? 50,
      peerRefreshMs: opts.peerRefreshMs ?? 60_000
    })
  }

  /** Call once the host runs (gossip subscriptions need a started pubsub). */
  async start (): Promise<void> {
    const { host, gossip, headers, limits, protocols } = this.o
    const node = host.node
    gossip.subscribe('header', lightHeaderValidator(limits.headerMessageBytes, async (header, from) => await this.headerSync.onGossipHeader(header, from)))
    node.addEventListener('peer:identify', (evt) => {
      if (evt.detail.protocols.includes(protocols.spv)) this.addSpvPeer(evt.detail.peerId)
    })
    node.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString()
      this.peers.remove(id)
      this.headerSync.forget(id)
      this.scans.forget(id)
    })
    headers.on('tip', this.onTip)
    headers.on('reorg', this.onReorg)
    // peers identified before the listener was in place
    for (const peer of node.getPeers()) {
      const known = await node.peerStore.get(peer).catch(() => undefined)
      if (known?.protocols.includes(protocols.spv) === true) this.addSpvPeer(peer)
    }
    this.timer = setInterval(() => {
      for (const p of this.spvPeers()) void this.syncHeadersFrom(p)
      this.scheduleRefresh()
    }, this.resyncIntervalMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    this.peers.stop()
    if (this.timer !== undefined) clearInterval(this.timer)
    this.o.headers.off('tip', this.onTip)
    this.o.headers.off('reorg', this.onReorg)
    await Promise.allSettled([...this.headerSync.inFlight(), ...this.scans.inFlight()])
  }

  /** Catching up on headers from a peer (proof refreshes run on every tip and do not count). */
  get syncing (): boolean {
    return this.headerSync.syncing
  }

  /** Height of the last header each peer showed us (for the peer list). */
  get peerHeights (): ReadonlyMap<string, number> {
    return this.headerSync.peerHeights
  }

  spvPeers (): PeerId[] {
    return this.peers.connected()
  }

  private addSpvPeer (peer: PeerId): void {
    this.peers.add(peer)
    void this.syncHeadersFrom(peer).then(() => this.scheduleRefresh())
  }

  /** Pulls headers from a peer until it has nothing new (one sync per peer at a time). */
  async syncHeadersFrom (peer: PeerId): Promise<void> {
    await this.headerSync.syncFrom(peer)
  }

  /** Checks proofs and keeps the valid ones in memory only (tools and tests); undefined when the peer was banned. */
  acceptProofs (peer: PeerId, proofs: MerkleProof[], address?: Uint8Array): VerifiedProof[] | undefined {
    return this.intake.accept(peer, proofs, address)
  }

  /** Height through which every address's history is known complete (see HistoryScans). */
  historyCompleteThrough (): number {
    return this.scans.historyCompleteThrough()
  }

  /** Distinct peers that should have proven a payment before it counts. */
  witnessesWanted (): number {
    return this.scans.witnessesWanted()
  }

  /** Asks up to peersPerQuery peers for the history of every address; each peer runs on its own. */
  scheduleRefresh (): void {
    if (this.peers.stopped) return
    for (const peer of this.pickPeers()) this.scans.refreshPeer(peer)
  }

  /** Resolves when no refresh or header sync is running (tests, and callers that want fresh proofs). */
  async settled (): Promise<void> {
    for (;;) {
      const running = [...this.headerSync.inFlight(), ...this.scans.inFlight()]
      if (running.length === 0) return
      await Promise.allSettled(running)
    }
  }

  /** A different subset each time, so one peer cannot keep us from hearing the others. */
  private pickPeers (): PeerId[] {
    return this.peers.shuffled().slice(0, this.peersPerQuery)
  }

  /** Proofs whose block left the active chain are dropped; every peer's coverage falls back to the fork. */
  private reorged (r: ReorgInfo): void {
    const dropped = this.o.proven.recheck()
    this.o.log.warn('header chain reorganisation', { from: r.from.height, to: r.to.height, fork: r.fork.height, droppedProofs: dropped.length })
    this.scans.rewindTo(r.fork.height)
    this.scheduleRefresh()
  }

  /** A proof of one transaction from the first peer that has it. */
  async proveTx (id: Uint8Array): Promise<VerifiedProof | undefined> {
    for (const peer of this.pickPeers()) {
      try {
        const res = await this.peers.request(peer, { kind: 'getTxProof', txid: id })
        if (res.kind !== 'proofs') continue
        const checked = this.intake.judge(peer, res.proofs)
        const found = checked?.verified.find(v => equalBytes(v.txid, id))
        if (found === undefined) continue
        this.o.metrics?.spvProofsVerifiedTotal.inc()
        await this.o.proven.addAll([found], peer.toString())
        return found
      } catch (err) {
        this.o.log.debug('tx proof request failed', { peer: peer.toString(), err: (err as Error).message })
      }
    }
    return undefined
  }
}
