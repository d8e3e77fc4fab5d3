// The libp2p host: TCP + Noise + yamux + identify + gossipsub, discovery by
// bootstrap list, (optionally) mDNS and peer exchange; banned peers and IPs
// refused both ways; inbound connections capped (inbound-gate.ts) so they
// never take the slots of the peers we chose. The address book
// (peer-book.ts) lives in the data dir and survives restarts; the peers we
// chose carry KEEP_ALIVE tags so libp2p's reconnect queue re-dials them when
// they drop, and the connection keeper (connection-keeper.ts) dials the
// rest: bootstrap peers not reached yet, forever, with capped backoff.
import { createLibp2p } from 'libp2p'
import type { Node } from './node-types.js'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { bootstrap } from '@libp2p/bootstrap'
import { gossipsub } from '@libp2p/gossipsub'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { MultiaddrConnection, PeerId, PrivateKey } from '@libp2p/interface'
import type { LevelDatastore } from 'datastore-level'
import type { Registry } from 'prom-client'
import type { Logger } from '../telemetry/logger.js'
import type { PeerReputation } from './reputation.js'
import { gossipScoreParams, gossipScoreThresholds } from './gossip-scoring.js'
import { protocolsFor, type Topics } from './protocols.js'
import { contentMessageId } from './message-id.js'
import { slotLimitsFor, type SlotLimits } from './inbound-slots.js'
import { ipOfMultiaddr, isLoopbackAddr } from './peer-address.js'
import { InboundGate } from './inbound-gate.js'
import { BOOK_MAX_AGE_MS, openPeerDatastore, PeerBook, TAG_BOOTSTRAP } from './peer-book.js'
import { ConnectionKeeper } from './connection-keeper.js'
import { lanDiscovery, type DiscoveryCounts } from './lan-discovery.js'
import { PeerExchange } from './peer-exchange.js'

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
  /** Network id, part of the peer-exchange protocol id (default: taken from the topics). */
  network?: string
  /**
   * Connections to peers serving this protocol that the node keeps at least
   * (an SPV node: three full nodes), dialling past its outbound slots (never
   * past maxPeers) while it has fewer.
   */
  minServing?: { protocol: string, count: number }
  /** Directory of the persistent address book (LevelDB); in memory when absent. */
  peerStoreDir?: string
  /** Inbound connections at most from one IP (loopback and trusted addresses exempt); default 3. */
  maxInboundPerIp?: number
  metricsRegistry?: Registry
  log: Logger
}

export type { Node, Services } from './node-types.js'

function peerIdInMultiaddr (addr: string): string | undefined {
  try {
    return multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')?.value
  } catch {
    return undefined
  }
}

/** libp2p's reconnect queue: quick re-dials of a dropped KEEP_ALIVE peer; the keeper takes over after. */
const RECONNECT = { reconnectRetries: 5, reconnectRetryInterval: 1000, reconnectBackoffFactor: 2, maxParallelReconnects: 4 }
/**
 * libp2p's dial queue, sized to what we start: the keeper's few dials, the
 * reconnect queue's and the start-up re-dial of KEEP_ALIVE peers (libp2p's
 * defaults are 100 parallel dials, 500 queued). A queued dial's timeout runs
 * while it waits, so a long queue only turns into timeouts on a busy machine.
 */
const DIALS = { maxParallelDials: 16, maxDialQueueLength: 64 }
/**
 * Patience with a busy machine. A LAN test of 16 hosts on a loaded 2-core
 * machine (load average ~29) lost most of its handshakes and connections to
 * libp2p's defaults: a dial or an inbound upgrade aborted after 10 s, at most
 * 10 inbound upgrades pending (the next refused: "remote closed connection
 * during opening"), and a connection aborted when one ping took 5 s. A slow
 * handshake is not a dead peer; Core waits 60 s for a handshake and 20 min
 * for a ping.
 */
const PATIENCE = { dialTimeout: 30_000, inboundUpgradeTimeout: 30_000, maxIncomingPendingConnections: 32 }
const CONNECTION_MONITOR = { pingTimeout: { minTimeout: 30_000, maxTimeout: 120_000 } }

export class P2PHost {
  readonly node: Node
  readonly slots: SlotLimits
  readonly book: PeerBook
  readonly keeper: ConnectionKeeper
  readonly exchange: PeerExchange
  /** mDNS discovery events passed on and dropped as repeats (lan-discovery.ts). */
  readonly mdnsCounts: DiscoveryCounts
  private readonly log: Logger
  private readonly reputation: PeerReputation
  private readonly maxPeers: number
  private readonly minServing: { protocol: string, count: number } | undefined
  /** Connected peers that identify serving `minServing.protocol`. */
  private readonly serving = new Set<string>()
  private readonly bootstrapIds: Set<string>
  private readonly datastore: LevelDatastore | undefined
  private pruneTimer: NodeJS.Timeout | undefined
  private stopped = false

  private constructor (node: Node, opts: HostOptions, slots: SlotLimits, bootstrapIds: Set<string>, datastore: LevelDatastore | undefined, mdnsCounts: DiscoveryCounts) {
    this.node = node
    this.mdnsCounts = mdnsCounts
    this.log = opts.log
    this.reputation = opts.reputation
    this.maxPeers = opts.maxPeers
    this.minServing = opts.minServing
    this.slots = slots
    this.bootstrapIds = bootstrapIds
    this.datastore = datastore
    const isBanned = (id: string): boolean => opts.reputation.isBanned(id)
    this.book = new PeerBook({ peerStore: node.peerStore, self: node.peerId, bootstrapIds, maxKnown: Math.max(64, 2 * opts.maxPeers), isBanned, log: opts.log })
    this.keeper = new ConnectionKeeper({ node, book: this.book, bootstrapIds, freeOutbound: () => this.freeOutbound(), log: opts.log })
    const network = opts.network ?? opts.topics.block.split('/')[2]
    this.exchange = new PeerExchange({ node, protocol: protocolsFor(network).peers, reputation: opts.reputation, wantsPeers: () => this.freeOutbound() > 0, onLearnt: () => { this.keeper.wake() }, log: opts.log })
  }

  static async create (opts: HostOptions): Promise<P2PHost> {
    const peerDiscovery = []
    // bootstrap peers get a KEEP_ALIVE tag as soon as they are known: re-dialled whenever they drop
    if (opts.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: opts.bootstrap, timeout: 100, tagName: TAG_BOOTSTRAP, tagValue: 100 }))
    const mdnsCounts = { passed: 0, dropped: 0, queries: 0 }
    // the host exists only after libp2p: until then, mDNS may query
    let self: P2PHost | undefined
    if (opts.mdns) peerDiscovery.push(lanDiscovery(mdnsCounts, { wantsPeers: () => self === undefined || self.freeOutbound() > 0 }))
    const ip = opts.listenHost.includes(':') ? 'ip6' : 'ip4'
    const slots = slotLimitsFor(opts.maxPeers, opts.maxInboundPerIp)
    const bootstrapIds = new Set(opts.bootstrap.map(peerIdInMultiaddr).filter((id): id is string => id !== undefined))
    const policy = opts.reputation.addresses
    // the gate needs the node, which needs the gate: attached once the node exists
    let node: Node | undefined
    const gate = new InboundGate({
      reputation: opts.reputation,
      slots,
      isChosen: (peer) => bootstrapIds.has(peer.toString()) || (node?.getConnections(peer).some(c => c.direction === 'outbound') ?? false),
      log: opts.log
    })
    const datastore = opts.peerStoreDir !== undefined ? await openPeerDatastore(opts.peerStoreDir) : undefined
    try {
      node = await createLibp2p({
        privateKey: opts.privateKey,
        start: false,
        datastore,
        // addresses unheard of for 30 days are dropped, not after libp2p's default hour
        peerStore: { maxAddressAge: BOOK_MAX_AGE_MS, maxPeerAge: BOOK_MAX_AGE_MS },
        nodeInfo: { name: 'minicoin', version: '0.1.0', userAgent: opts.userAgent },
        addresses: { listen: [`/${ip}/${opts.listenHost}/tcp/${opts.listenPort}`] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery,
        connectionGater: {
          ...opts.reputation.gater(),
          denyInboundUpgradedConnection: (peer: PeerId, maConn: MultiaddrConnection) => gate.refuse(peer, maConn)
        },
        // exempt addresses skip libp2p's own per-host rate and pruning too
        connectionManager: { maxConnections: opts.maxPeers * 2, allow: policy.allowMultiaddrs(), ...RECONNECT, ...DIALS, ...PATIENCE },
        connectionMonitor: CONNECTION_MONITOR,
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
    } catch (err) {
      await datastore?.close()
      throw err
    }
    gate.attach(node)
    const host = new P2PHost(node, opts, slots, bootstrapIds, datastore, mdnsCounts)
    self = host
    host.wire()
    return host
  }

  /**
   * Outbound connections we may still open: a target count (Core: 8
   * full-relay outbound), not every free peer slot, so a LAN of N hosts
   * makes ~8N connections, not N²/2; the other slots are for inbound peers.
   */
  freeOutbound (): number {
    const outbound = new Set(this.node.getConnections().filter(c => c.direction === 'outbound').map(c => c.remotePeer.toString()))
    const free = this.slots.outbound - outbound.size
    const short = this.minServing === undefined ? 0 : Math.min(this.minServing.count - this.serving.size, this.maxPeers - this.node.getPeers().length)
    return Math.max(0, free, short)
  }

  private hangUpAndForget (peer: PeerId): void {
    void this.node.hangUp(peer).catch(() => {}).then(async () => await this.book.forget(peer))
  }

  private wire (): void {
    const node = this.node
    this.reputation.onBan = (peerId) => {
      try { this.hangUpAndForget(peerIdFromString(peerId)) } catch {}
    }
    this.reputation.onIpBan = (ip) => {
      for (const c of node.getConnections()) if (ipOfMultiaddr(c.remoteAddr) === ip) this.hangUpAndForget(c.remotePeer)
    }
    // discovery only records the peer and wakes the keeper, which dials at
    // its own pace while outbound slots are free: dialling every discovered
    // peer at once (50 hosts: ~2,450 Noise handshakes on 2 cores) overran
    // libp2p's dial and upgrade timeouts and left every node with no peers
    node.addEventListener('peer:discovery', (evt) => {
      const { id, multiaddrs } = evt.detail
      if (id.equals(node.peerId) || this.reputation.isBanned(id.toString())) return
      // loopback addresses only when the peer has nothing else (one machine)
      const reachable = multiaddrs.filter(ma => (!isLoopbackAddr(ma) || multiaddrs.every(isLoopbackAddr)) && !this.reputation.isAddressBanned(ma))
      if (reachable.length === 0) return
      void node.peerStore.merge(id, { multiaddrs: reachable }).then(() => { this.keeper.wake() }, err => {
        this.log.debug('discovered peer not recorded', { peer: id.toString(), err: (err as Error).message })
      })
    })
    node.addEventListener('peer:identify', (evt) => {
      if (this.minServing !== undefined && evt.detail.protocols.includes(this.minServing.protocol)) this.serving.add(evt.detail.peerId.toString())
    })
    node.addEventListener('peer:disconnect', (evt) => {
      this.serving.delete(evt.detail.toString())
    })
    node.addEventListener('connection:open', (evt) => {
      const c = evt.detail
      const id = c.remotePeer.toString()
      const ip = ipOfMultiaddr(c.remoteAddr)
      if (ip !== undefined) this.reputation.noteAddress(id, ip)
      if (c.direction === 'outbound' || this.bootstrapIds.has(id)) void this.book.tagChosen(c.remotePeer)
    })
  }

  async start (): Promise<void> {
    await this.book.prune(new Set())
    await this.node.start()
    await this.exchange.start()
    this.keeper.start()
    this.pruneTimer = setInterval(() => {
      this.reputation.prune()
      void this.book.prune(new Set(this.peers())).catch(() => {})
    }, 60_000)
    this.pruneTimer.unref()
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer)
    this.keeper.stop()
    this.exchange.stop()
    await this.node.stop()
    await this.datastore?.close()
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
    try {
      await this.node.hangUp(peerIdFromString(peerId)).catch(() => {})
    } catch {}
  }
}
