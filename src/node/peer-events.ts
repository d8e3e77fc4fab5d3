// Peer connects and disconnects as a metric and as node events, the same
// for every role.
import type { EventEmitter } from 'node:events'
import type { P2PHost } from '../p2p/host.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { NodeEvents } from './node-api.js'

export function reportPeerEvents (host: P2PHost, metrics: NodeMetrics, events: EventEmitter<NodeEvents>): void {
  const report = (type: 'connect' | 'disconnect') => (evt: CustomEvent) => {
    metrics.peers.set(host.node.getPeers().length)
    events.emit('peer', { type, peerId: String(evt.detail) })
  }
  host.node.addEventListener('peer:connect', report('connect'))
  host.node.addEventListener('peer:disconnect', report('disconnect'))
}
