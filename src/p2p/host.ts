// The libp2p host: TCP + Noise + yamux + identify + gossipsub, discovery by
// bootstrap list and (optionally) mDNS, banned peers refused both ways, and
// known peers re-dialled with backoff after they drop.
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { bootstrap } from '@libp2p/bootstrap'
import { mdns } from '@libp2p/mdns'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import type { Logger } from '../node/logger.js'
import type { PeerReputation } from './reputation.js'
import { gossipScoreParams, gossipScoreThresholds } from './gossip-scoring.js'
import type { Topics } from './protocols.js'
import { contentMessageId } from './gossip.js'

export interface HostOptions {
  privateKey: PrivateKey
  listenHost: string
  listenPort: number
  bootstrap: string[]
  mdns: boolean
  maxPeers: number
  topics: Topics
  maxMessageBytes: number
  reputation: PeerReputation
  /** Sent to peers by identify: role and, in demo mode, an address to pay. */
  userAgent: string
  metricsRegistry?: Registry
  log: Logger
}

export type Services = {
  identify: Identify
  pubsub: GossipSub
}

export type Node = Libp2p<Services>

function isLoopback (ma: Multiaddr): boolean {
  const host = ma.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? ''
  return host === '::1' || host.startsWith('127.')
}

export class P2PHost {
  readonly node: Node
  private readonly log: Logger
  private readonly reputation: PeerReputation
  private readonly maxPeers: number
  private readonly redialTimers = new Map<string, NodeJS.Timeout>()
  private readonly redialAttempts = new Map<string, number>()
  /** Peers worth keeping: bootstrap peers and any peer we were connected to. */
  private readonly known = new Map<string, PeerId>()
  private stopped = false

  private constructor (node: Node, opts: HostOptions) {
    this.node = node
    this.log = opts.log
    this.reputation = opts.reputation
    this.maxPeers = opts.maxPeers
  }

  static async create (opts: HostOptions): Promise<P2PHost> {
    const peerDiscovery = []
    if (opts.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: opts.bootstrap, timeout: 100 }))
    if (opts.mdns) peerDiscovery.push(mdns({ interval: 2000 }))
    const ip = opts.listenHost.includes(':') ? 'ip6' : 'ip4'
    const node = await createLibp2p({
      privateKey: opts.privateKey,
      start: false,
      nodeInfo: { name: 'minicoin', version: '0.1.0', userAgent: opts.userAgent },
      addresses: { listen: [`/${ip}/${opts.listenHost}/tcp/${opts.listenPort}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery,
      connectionGater: opts.reputation.gater(),
      connectionManager: { maxConnections: opts.maxPeers * 2 },
      metrics: opts.metricsRegistry !== undefined ? prometheusMetrics({ registry: opts.metricsRegistry, preserveExistingMetrics: true, collectDefaultMetrics: false }) : undefined,
      services: {
        identify: identify(),
        pubsub: gossipsub({
          emitSelf: false,
          // content authenticates itself (signatures, proof of work): no
          // envelope signatures, and the message id is the content's hash
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: contentMessageId,
          allowedTopics: Object.values(opts.topics),
          maxInboundDataLength: opts.maxMessageBytes,
          scoreParams: gossipScoreParams(opts.topics, peer => opts.reputation.score(peer)),
          scoreThresholds: gossipScoreThresholds,
          // blocks and transactions are validated asynchronously against chain state
          asyncValidation: false
        })
      }
    })
    const host = new P2PHost(node, opts)
    host.wire()
    return host
  }

  private wire (): void {
    const node = this.node
    this.reputation.onBan = (peerId) => {
      const timer = this.redialTimers.get(peerId)
      if (timer !== undefined) clearTimeout(timer)
      this.redialTimers.delete(peerId)
      this.known.delete(peerId)
      const id = this.peerIdOf(peerId)
      if (id !== undefined) void node.hangUp(id).catch(() => {})
    }
    node.addEventListener('peer:discovery', (evt) => {
      const { id, multiaddrs } = evt.detail
      if (id.equals(node.peerId) || this.reputation.isBanned(id.toString())) return
      if (node.getConnections(id).length > 0 || node.getPeers().length >= this.maxPeers) return
      // mDNS announces each host's 127.0.0.1 too, which other hosts cannot reach
      const reachable = multiaddrs.filter(ma => !isLoopback(ma) || multiaddrs.every(isLoopback))
      if (reachable.length === 0) return
      this.known.set(id.toString(), id)
      void node.peerStore.merge(id, { multiaddrs: reachable }).then(async () => await node.dial(id)).catch(err => {
        this.log.debug('dial of discovered peer failed', { peer: id.toString(), err: (err as Error).message })
      })
    })
    node.addEventListener('peer:connect', (evt) => {
      const id = evt.detail.toString()
      this.known.set(id, evt.detail)
      this.redialAttempts.delete(id)
      const timer = this.redialTimers.get(id)
      if (timer !== undefined) { clearTimeout(timer); this.redialTimers.delete(id) }
    })
    node.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString()
      if (!this.stopped && this.known.has(id) && !this.reputation.isBanned(id)) this.scheduleRedial(evt.detail)
    })
  }

  private peerIdOf (id: string): PeerId | undefined {
    return this.known.get(id) ?? this.node.getPeers().find(p => p.toString() === id)
  }

  private scheduleRedial (peer: PeerId): void {
    const id = peer.toString()
    if (this.redialTimers.has(id)) return
    const attempt = (this.redialAttempts.get(id) ?? 0) + 1
    this.redialAttempts.set(id, attempt)
    const delay = Math.min(60_000, 500 * 2 ** Math.min(attempt, 7))
    const timer = setTimeout(() => {
      this.redialTimers.delete(id)
      if (this.stopped || this.reputation.isBanned(id) || this.node.getConnections(peer).length > 0) return
      this.node.dial(peer).catch(() => {
        if (!this.stopped) this.scheduleRedial(peer)
      })
    }, delay)
    timer.unref()
    this.redialTimers.set(id, timer)
  }

  async start (): Promise<void> {
    await this.node.start()
  }

  async stop (): Promise<void> {
    this.stopped = true
    for (const t of this.redialTimers.values()) clearTimeout(t)
    this.redialTimers.clear()
    await this.node.stop()
  }

  get peerId (): string {
    return this.node.peerId.toString()
  }

  listenAddresses (): string[] {
    return this.node.getMultiaddrs().map(ma => ma.toString())
  }

  /** Peer ids as strings of connected peers. */
  peers (): string[] {
    return this.node.getPeers().map(p => p.toString())
  }

  /** Hangs up on a peer now (it stays dialable unless banned). */
  async disconnect (peerId: string): Promise<void> {
    const id = this.peerIdOf(peerId)
    if (id !== undefined) await this.node.hangUp(id).catch(() => {})
  }
}
