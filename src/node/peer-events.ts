// Peer connects and disconnects as a metric, as node events and as log lines
// a person can follow, the same for every role. The log line waits for
// identify, which tells the peer's role (its user agent); a connection that
// ends before identify was never a peer worth a line (debug only).
import type { EventEmitter } from 'node:events'
import type { P2PHost } from '../p2p/host.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import { parseUserAgent } from './demo.js'
import type { NodeEvents } from './node-api.js'

export function reportPeerEvents (host: P2PHost, metrics: NodeMetrics, events: EventEmitter<NodeEvents>, log: Logger): void {
  const report = (type: 'connect' | 'disconnect') => (evt: CustomEvent) => {
    metrics.peers.set(host.node.getPeers().length)
    events.emit('peer', { type, peerId: String(evt.detail) })
  }
  host.node.addEventListener('peer:connect', report('connect'))
  host.node.addEventListener('peer:disconnect', report('disconnect'))

  const announced = new Map<string, string>()
  host.node.addEventListener('peer:identify', (evt) => {
    const id = evt.detail.peerId.toString()
    if (announced.has(id)) return
    const role = parseUserAgent(evt.detail.agentVersion).role ?? 'unknown'
    announced.set(id, role)
    const conn = host.node.getConnections(evt.detail.peerId)[0]
    log.info(`connected to ${role} peer ${id}`, { address: conn?.remoteAddr.toString(), direction: conn?.direction, peers: host.node.getPeers().length })
  })
  host.node.addEventListener('peer:disconnect', (evt) => {
    const id = evt.detail.toString()
    const role = announced.get(id)
    announced.delete(id)
    if (role === undefined) log.debug(`disconnected from peer ${id} before identify`)
    else log.info(`disconnected from ${role} peer ${id}`, { peers: host.node.getPeers().length })
  })
}
