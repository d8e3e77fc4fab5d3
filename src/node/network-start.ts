// The networking every role starts the same way: peer reputation, the libp2p
// host, gossip, and (when configured) the demo payments. The roles differ in
// what they subscribe to and serve, not in how the host comes up.
import { join } from 'node:path'
import type { NetworkParams } from '../core/params.js'
import { GossipService } from '../p2p/gossip.js'
import { P2PHost } from '../p2p/host.js'
import { loadOrCreatePeerKey } from '../p2p/identity.js'
import { limitsFor, protocolsFor, topicsFor } from '../p2p/protocols.js'
import { PeerReputation } from '../p2p/reputation.js'
import type { NodeConfig } from './config.js'
import { DemoPayments, userAgentFor, type DemoPayee } from './demo.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { Role } from './node-api.js'

/** Full nodes an SPV node keeps connections to at least, when the network has them. */
export const SPV_MIN_FULL_NODES = 3

export interface Network {
  reputation: PeerReputation
  host: P2PHost
  gossip: GossipService
}

export interface NetworkOptions {
  config: NodeConfig
  role: Role
  params: NetworkParams
  metrics: NodeMetrics
  log: Logger
  /** Advertised in the user agent when demo payments are on, so peers' demos can pay it. */
  demoAddress: string
  /** Where the host's stop is registered, for the caller's clean-up on a failed start. */
  closers: Array<() => Promise<void>>
}

/** Creates (does not start) the host and gossip; the role registers its handlers before starting them. */
export async function createNetwork (opts: NetworkOptions): Promise<Network> {
  const { config, params, metrics, log } = opts
  const reputation = new PeerReputation({ metrics, log: log.child('peers'), trustedAddresses: config.p2p.trustedAddresses })
  const topics = topicsFor(params.id)
  const host = await P2PHost.create({
    privateKey: await loadOrCreatePeerKey(config.dataDir),
    listenHost: config.p2p.host,
    listenPort: config.p2p.port,
    bootstrap: config.p2p.bootstrap,
    network: params.id,
    // the address book survives restarts (the data dir's lock keeps it to one node)
    peerStoreDir: join(config.dataDir, 'peers'),
    mdns: config.p2p.mdns,
    // an SPV node needs full nodes: it keeps three, or as many as it can reach, whatever its outbound slots hold
    minServing: opts.role === 'spv' ? { protocol: protocolsFor(params.id).spv, count: SPV_MIN_FULL_NODES } : undefined,
    maxPeers: config.p2p.maxPeers,
    topics,
    maxMessageBytes: limitsFor(params).gossipFrameBytes,
    reputation,
    userAgent: userAgentFor(opts.role, config.demo.enabled ? opts.demoAddress : undefined),
    metricsRegistry: metrics.registry,
    log: log.child('p2p')
  })
  opts.closers.push(async () => await host.stop())
  const gossip = new GossipService({ node: host.node, topics, reputation, metrics, log: log.child('gossip') })
  return { reputation, host, gossip }
}

/** Runs a role's assembly; on a failure closes what it opened (`closers`), newest first, and rethrows. */
export async function assemble<T> (closers: Array<() => Promise<void>>, build: () => Promise<T>): Promise<T> {
  try {
    return await build()
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {})
    throw err
  }
}

/** The configured demo payments, started; undefined when the demo is off. */
export function startDemo (
  config: NodeConfig,
  log: Logger,
  payees: () => DemoPayee[],
  send: (to: string, amount: bigint) => Promise<{ txid: string }>
): DemoPayments | undefined {
  if (!config.demo.enabled) return undefined
  const demo = new DemoPayments({ intervalMs: config.demo.intervalSeconds * 1000, amount: BigInt(config.demo.amount), payees, send, log: log.child('demo') })
  demo.start()
  return demo
}
