// The connection gater's last word on an inbound connection (encrypted, so
// the peer paid for a handshake): per-IP cap first, then the inbound total,
// making room by Core-style eviction (inbound-slots.ts) when a peer can be
// evicted. Inbound peers can so never take the slots of the connections we
// chose (outbound, bootstrap).
import type { Connection, Libp2p, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Logger } from '../telemetry/logger.js'
import { chooseEviction, type SlotLimits } from './inbound-slots.js'
import { ipOfMultiaddr, type AddressPolicy } from './peer-address.js'
import type { PeerReputation } from './reputation.js'

/** An admitted inbound connection is counted until it opens (or this long). */
const PENDING_INBOUND_MS = 15_000

export interface InboundGateOptions {
  reputation: PeerReputation
  slots: SlotLimits
  /** Whether we chose this peer (bootstrap, or we hold an outbound connection to it): never evicted. */
  isChosen: (peer: PeerId) => boolean
  log: Logger
}

export class InboundGate {
  private readonly opts: InboundGateOptions
  private readonly policy: AddressPolicy
  private node: Libp2p | undefined
  /** Inbound connections admitted and not yet open, by peer id. */
  private readonly pending = new Map<string, { ip: string | undefined, at: number }>()
  /** Connections being closed to make room (not counted any more). */
  private readonly evicting = new Set<string>()

  constructor (opts: InboundGateOptions) {
    this.opts = opts
    this.policy = opts.reputation.addresses
  }

  /** The gater exists before the node; refuses everything until attached. */
  attach (node: Libp2p): void {
    this.node = node
    node.addEventListener('connection:open', (evt) => { this.pending.delete(evt.detail.remotePeer.toString()) })
  }

  private inbound (): Connection[] {
    return (this.node?.getConnections() ?? []).filter(c => c.direction === 'inbound' && c.status === 'open' && !this.evicting.has(c.id))
  }

  /** true refuses the connection. */
  refuse (peer: PeerId, maConn: MultiaddrConnection): boolean {
    const node = this.node
    if (node === undefined) return true
    const now = Date.now()
    for (const [k, p] of this.pending) if (now - p.at > PENDING_INBOUND_MS) this.pending.delete(k)
    const ip = ipOfMultiaddr(maConn.remoteAddr)
    if (ip !== undefined && this.opts.reputation.isIpBanned(ip)) return true
    // a second connection of a connected peer takes no new slot
    if (node.getConnections(peer).length > 0) return false
    const inbound = this.inbound()
    const pending = [...this.pending.values()]
    if (ip !== undefined && !this.policy.isExempt(ip)) {
      const fromIp = inbound.filter(c => ipOfMultiaddr(c.remoteAddr) === ip).length + pending.filter(p => p.ip === ip).length
      if (fromIp >= this.opts.slots.inboundPerIp) {
        this.opts.log.debug('inbound connection refused: too many from its IP', { peer: peer.toString(), ip, fromIp })
        return true
      }
    }
    if (inbound.length + pending.length >= this.opts.slots.inbound && !this.evictFor(peer, inbound)) {
      this.opts.log.debug('inbound connection refused: inbound slots full', { peer: peer.toString(), ip })
      return true
    }
    this.pending.set(peer.toString(), { ip, at: now })
    return false
  }

  /** Closes one evictable inbound connection to make room; false when none is evictable. */
  private evictFor (newcomer: PeerId, inbound: Connection[]): boolean {
    const candidates = inbound.flatMap(c => {
      const ip = ipOfMultiaddr(c.remoteAddr)
      // trusted addresses, bootstrap peers and peers we dialled are never evicted
      if (ip === undefined || this.policy.isExempt(ip) || this.opts.isChosen(c.remotePeer) || c.remotePeer.equals(newcomer)) return []
      return [{ id: c.id, group: ip, openedAt: c.timeline.open, score: this.opts.reputation.score(c.remotePeer.toString()) }]
    })
    const victim = chooseEviction(candidates)
    if (victim === undefined) return false
    const conn = inbound.find(c => c.id === victim.id)!
    this.evicting.add(conn.id)
    this.opts.log.debug('inbound peer evicted to make room', { peer: conn.remotePeer.toString(), for: newcomer.toString() })
    void conn.close().catch(err => { conn.abort(err as Error) }).finally(() => this.evicting.delete(conn.id))
    return true
  }
}
