// What every role holds the same way: the network parts from
// network-start.ts, the metrics, the event stream of NodeApi and the fatal
// signal. The roles' read models (full-node-api.ts, spv-node-api.ts) extend it.
import { EventEmitter } from 'node:events'
import type { NetworkParams } from '../core/params.js'
import type { GossipService } from '../p2p/gossip.js'
import type { P2PHost } from '../p2p/host.js'
import type { PeerReputation } from '../p2p/reputation.js'
import type { FatalSignal } from './fatal.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { NodeEvents } from './node-api.js'

export interface RoleBaseParts {
  log: Logger
  params: NetworkParams
  metrics: NodeMetrics
  reputation: PeerReputation
  host: P2PHost
  gossip: GossipService
  /** Resolves on a storage failure: the node stops taking work and the daemon stops it. */
  fatal: FatalSignal
}

export abstract class RoleBase {
  readonly params: NetworkParams
  readonly metrics: NodeMetrics
  readonly events = new EventEmitter<NodeEvents>()
  readonly reputation: PeerReputation
  readonly host: P2PHost
  readonly gossip: GossipService
  readonly fatal: FatalSignal
  protected readonly log: Logger
  protected readonly startedAt = Date.now()

  protected constructor (parts: RoleBaseParts) {
    this.log = parts.log
    this.params = parts.params
    this.metrics = parts.metrics
    this.reputation = parts.reputation
    this.host = parts.host
    this.gossip = parts.gossip
    this.fatal = parts.fatal
  }

  get peerId (): string {
    return this.host.peerId
  }

  get listen (): string[] {
    return this.host.listenAddresses()
  }
}
