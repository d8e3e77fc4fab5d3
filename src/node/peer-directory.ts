// What a node knows about its peers, for the API and the dashboard: role and
// payable address from identify, chain status from sync, score from gossip
// plus the node's own penalties.
import type { P2PHost } from '../p2p/host.js'
import type { GossipService } from '../p2p/gossip.js'
import type { PeerReputation } from '../p2p/reputation.js'
import type { SyncManager } from '../p2p/sync.js'
import { ipOfAddr, parseUserAgent, type DemoPayee } from './demo.js'
import type { PeerView } from './node-api.js'

export class PeerDirectory {
  private readonly agents = new Map<string, { role?: string, pay?: string }>()

  constructor (
    private readonly host: P2PHost,
    private readonly gossip: GossipService | undefined,
    private readonly reputation: PeerReputation,
    private readonly sync?: SyncManager
  ) {
    host.node.addEventListener('peer:identify', (evt) => {
      this.agents.set(evt.detail.peerId.toString(), parseUserAgent(evt.detail.agentVersion))
    })
    host.node.addEventListener('peer:disconnect', (evt) => { this.agents.delete(evt.detail.toString()) })
  }

  info (peerId: string): { role?: string, pay?: string } {
    return this.agents.get(peerId) ?? {}
  }

  /** Addresses connected peers asked to be paid at (demo mode). */
  demoAddresses (): string[] {
    const out: string[] = []
    for (const p of this.host.node.getPeers()) {
      const pay = this.agents.get(p.toString())?.pay
      if (pay !== undefined) out.push(pay)
    }
    return out
  }

  /** The demo addresses of connected peers with the IP each connection comes from (demo mode pays per IP). */
  demoPayees (): DemoPayee[] {
    const out: DemoPayee[] = []
    for (const conn of this.host.node.getConnections()) {
      const pay = this.agents.get(conn.remotePeer.toString())?.pay
      if (pay !== undefined) out.push({ ip: ipOfAddr(conn.remoteAddr.getComponents(), conn.remoteAddr.toString()), address: pay })
    }
    return out
  }

  views (): PeerView[] {
    return this.host.node.getConnections().map(conn => {
      const id = conn.remotePeer.toString()
      const state = this.sync?.peerStates.get(id)
      const view: PeerView & { role?: string } = {
        peerId: id,
        addresses: [conn.remoteAddr.toString()],
        direction: conn.direction,
        score: Math.round(((this.gossip?.score(id) ?? 0) + this.reputation.score(id)) * 100) / 100,
        connectedAt: conn.timeline.open
      }
      if (state !== undefined) { view.height = state.height; view.tip = state.tip }
      const role = this.agents.get(id)?.role
      if (role !== undefined) view.role = role
      return view
    })
  }
}
