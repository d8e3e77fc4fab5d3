// The libp2p host: TCP + Noise + yamux + identify + gossipsub, discovery by
// bootstrap list and (optionally) mDNS, banned peers and banned IPs refused
// both ways, inbound connections capped per IP and in total (with Core-style
// eviction, see inbound-slots.ts) so they never take the slots of outbound
// and bootstrap peers, and the peers we chose re-dialled with backoff after
// they drop.
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { bootstrap } from '@libp2p/bootstrap'
import { mdns } from '@libp2p/mdns'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection, MultiaddrConnection, PeerId, PrivateKey } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import type { Logger } from '../telemetry/logger.js'
import type { PeerReputation } from './reputation.js'
import { gossipScoreParams, gossipScoreThresholds } from './gossip-scoring.js'
import type { Topics } from './protocols.js'
import { contentMessageId } from './message-id.js'
import { chooseEviction, slotLimitsFor, type SlotLimits } from './inbound-slots.js'
import { ipOfMultiaddr, type AddressPolicy } from './peer-address.js'

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
  /** Inbound connections at most from one IP (loopback and trusted addresses exempt); default 3. */
  maxInboundPerIp?: number
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

function peerIdInMultiaddr (addr: string): string | undefined {
  try {
    return multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')?.value
  } catch {
    return undefined
  }
}

/** Peer-store tags: libp2p's connection pruner closes the lowest-valued connections first. */
const TAG_BOOTSTRAP = 'minicoin-bootstrap'
const TAG_OUTBOUND = 'minicoin-outbound'
/** An admitted inbound connection is counted until it opens (or this long). */
const PENDING_INBOUND_MS = 15_000

export class P2PHost {
  readonly node: Node
  private readonly log: Logger
  private readonly reputation: PeerReputation
  private readonly policy: AddressPolicy
  private readonly maxPeers: number
  readonly slots: SlotLimits
  private readonly bootstrapIds: Set<string>
  private readonly redialTimers = new Map<string, NodeJS.Timeout>()
  private readonly redialAttempts = new Map<string, number>()
  /**
   * Peers worth re-dialling: bootstrap peers and peers we dialled (never
   * inbound ones: their ids are free). Least recently connected go first
   * past `maxKnown`.
   */
  private readonly known = new Map<string, PeerId>()
  private readonly maxKnown: number
  /** Inbound connections admitted by the gater and not yet open, by peer id. */
  private readonly pendingInbound = new Map<string, { ip: string | undefined, at: number }>()
  /** Connections being closed to make room (not counted any more). */
  private readonly evicting = new Set<string>()
  private pruneTimer: NodeJS.Timeout | undefined
  private stopped = false

  private constructor (node: Node, opts: HostOptions, slots: SlotLimits, bootstrapIds: Set<string>) {
    this.node = node
    this.log = opts.log
    this.reputation = opts.reputation
    this.policy = opts.reputation.addresses
    this.maxPeers = opts.maxPeers
    this.slots = slots
    this.bootstrapIds = bootstrapIds
    this.maxKnown = Math.max(64, 4 * opts.maxPeers)
  }

  static async create (opts: HostOptions): Promise<P2PHost> {
    const peerDiscovery = []
    if (opts.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: opts.bootstrap, timeout: 100 }))
    if (opts.mdns) peerDiscovery.push(mdns({ interval: 2000 }))
    const ip = opts.listenHost.includes(':') ? 'ip6' : 'ip4'
    const slots = slotLimitsFor(opts.maxPeers, opts.maxInboundPerIp)
    const bootstrapIds = new Set(opts.bootstrap.map(peerIdInMultiaddr).filter((id): id is string => id !== undefined))
    const policy = opts.reputation.addresses
    // the gater needs the host, which needs the node: the node is not started before the host exists
    let host: P2PHost | undefined
    const node = await createLibp2p({
      privateKey: opts.privateKey,
      start: false,
      nodeInfo: { name: 'minicoin', version: '0.1.0', userAgent: opts.userAgent },
      addresses: { listen: [`/${ip}/${opts.listenHost}/tcp/${opts.listenPort}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery,
      connectionGater: {
        ...opts.reputation.gater(),
        denyInboundUpgradedConnection: (peer: PeerId, maConn: MultiaddrConnection) => host?.refuseInbound(peer, maConn) ?? true
      },
      // exempt addresses skip libp2p's own per-host rate and pruning too
      connectionManager: { maxConnections: opts.maxPeers * 2, allow: policy.allowMultiaddrs() },
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
          scoreParams: gossipScoreParams(opts.topics, peer => opts.reputation.score(peer), policy.exemptSet()),
          scoreThresholds: gossipScoreThresholds,
          // blocks and transactions are validated asynchronously against chain state
          asyncValidation: false
        })
      }
    })
    host = new P2PHost(node, opts, slots, bootstrapIds)
    host.wire()
    return host
  }

  private inboundConnections (): Connection[] {
    return this.node.getConnections().filter(c => c.direction === 'inbound' && c.status === 'open' && !this.evicting.has(c.id))
  }

  /** Whether we have a connection to this peer that we opened (or it is a bootstrap peer). */
  private isChosen (peer: PeerId): boolean {
    return this.bootstrapIds.has(peer.toString()) || this.node.getConnections(peer).some(c => c.direction === 'outbound')
  }

  /**
   * The gater's last word on an inbound connection (encrypted, so the peer
   * paid for a handshake): true refuses it. Per-IP cap first, then the
   * inbound total, making room by eviction when a peer can be evicted.
   */
  refuseInbound (peer: PeerId, maConn: MultiaddrConnection): boolean {
    const now = Date.now()
    for (const [k, p] of this.pendingInbound) if (now - p.at > PENDING_INBOUND_MS) this.pendingInbound.delete(k)
    const ip = ipOfMultiaddr(maConn.remoteAddr)
    if (ip !== undefined && this.reputation.isIpBanned(ip)) return true
    // a second connection of a connected peer takes no new slot
    if (this.node.getConnections(peer).length > 0) return false
    const inbound = this.inboundConnections()
    const pending = [...this.pendingInbound.values()]
    if (ip !== undefined && !this.policy.isExempt(ip)) {
      const fromIp = inbound.filter(c => ipOfMultiaddr(c.remoteAddr) === ip).length + pending.filter(p => p.ip === ip).length
      if (fromIp >= this.slots.inboundPerIp) {
        this.log.debug('inbound connection refused: too many from its IP', { peer: peer.toString(), ip, fromIp })
        return true
      }
    }
    if (inbound.length + pending.length >= this.slots.inbound && !this.evictFor(peer, inbound)) {
      this.log.debug('inbound connection refused: inbound slots full', { peer: peer.toString(), ip })
      return true
    }
    this.pendingInbound.set(peer.toString(), { ip, at: now })
    return false
  }

  /** Closes one evictable inbound connection to make room; false when none is evictable. */
  private evictFor (newcomer: PeerId, inbound: Connection[]): boolean {
    const candidates = inbound.flatMap(c => {
      const ip = ipOfMultiaddr(c.remoteAddr)
      // trusted addresses, bootstrap peers and peers we dialled are never evicted
      if (ip === undefined || this.policy.isExempt(ip) || this.isChosen(c.remotePeer) || c.remotePeer.equals(newcomer)) return []
      return [{ id: c.id, group: ip, openedAt: c.timeline.open, score: this.reputation.score(c.remotePeer.toString()) }]
    })
    const victim = chooseEviction(candidates)
    if (victim === undefined) return false
    const conn = inbound.find(c => c.id === victim.id)!
    this.evicting.add(conn.id)
    this.log.debug('inbound peer evicted to make room', { peer: conn.remotePeer.toString(), for: newcomer.toString() })
    void conn.close().catch(err => { conn.abort(err as Error) }).finally(() => this.evicting.delete(conn.id))
    return true
  }

  private rememberKnown (peer: PeerId): void {
    const id = peer.toString()
    this.known.delete(id)
    this.known.set(id, peer)
    while (this.known.size > this.maxKnown) {
      const oldest = [...this.known.keys()].find(k => !this.bootstrapIds.has(k))
      if (oldest === undefined) break
      this.forget(oldest)
    }
  }

  private forget (id: string): void {
    const timer = this.redialTimers.get(id)
    if (timer !== undefined) clearTimeout(timer)
    this.redialTimers.delete(id)
    this.redialAttempts.delete(id)
    this.known.delete(id)
  }

  /** Room for a connection we open: our outbound slots, or any free peer slot. */
  private wantsOutbound (): boolean {
    const outbound = new Set(this.node.getConnections().filter(c => c.direction === 'outbound').map(c => c.remotePeer.toString()))
    return outbound.size < this.slots.outbound || this.node.getPeers().length < this.maxPeers
  }

  private wire (): void {
    const node = this.node
    this.reputation.onBan = (peerId) => {
      this.forget(peerId)
      const id = this.peerIdOf(peerId)
      if (id !== undefined) void node.hangUp(id).catch(() => {})
    }
    this.reputation.onIpBan = (ip) => {
      for (const c of node.getConnections()) {
        if (ipOfMultiaddr(c.remoteAddr) !== ip) continue
        this.forget(c.remotePeer.toString())
        void node.hangUp(c.remotePeer).catch(() => {})
      }
    }
    node.addEventListener('peer:discovery', (evt) => {
      const { id, multiaddrs } = evt.detail
      if (id.equals(node.peerId) || this.reputation.isBanned(id.toString())) return
      if (node.getConnections(id).length > 0 || !this.wantsOutbound()) return
      // mDNS announces each host's 127.0.0.1 too, which other hosts cannot reach
      const reachable = multiaddrs.filter(ma => (!isLoopback(ma) || multiaddrs.every(isLoopback)) && !this.reputation.isAddressBanned(ma))
      if (reachable.length === 0) return
      this.rememberKnown(id)
      void node.peerStore.merge(id, { multiaddrs: reachable }).then(async () => await node.dial(id)).catch(err => {
        this.log.debug('dial of discovered peer failed', { peer: id.toString(), err: (err as Error).message })
      })
    })
    node.addEventListener('connection:open', (evt) => {
      const c = evt.detail
      const id = c.remotePeer.toString()
      this.pendingInbound.delete(id)
      const ip = ipOfMultiaddr(c.remoteAddr)
      if (ip !== undefined) this.reputation.noteAddress(id, ip)
      if (c.direction === 'outbound' || this.bootstrapIds.has(id)) {
        this.rememberKnown(c.remotePeer)
        // libp2p's pruner (past maxConnections) closes untagged inbound peers first
        void node.peerStore.merge(c.remotePeer, { tags: { [this.bootstrapIds.has(id) ? TAG_BOOTSTRAP : TAG_OUTBOUND]: { value: this.bootstrapIds.has(id) ? 100 : 50 } } }).catch(() => {})
      }
    })
    node.addEventListener('peer:connect', (evt) => {
      const id = evt.detail.toString()
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
    this.pruneTimer = setInterval(() => { this.reputation.prune() }, 60_000)
    this.pruneTimer.unref()
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer)
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
