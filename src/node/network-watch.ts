// What this node hears of the rest of the network, for GET /api/network:
// each peer's last chain status (a claim, never trusted) and, for recent
// blocks, when each peer announced the block to us. Announcements come from
// gossip (the first delivery of a block or header announcement, and the
// duplicates that other peers relay afterwards) and from status exchanges
// naming a new tip. Everything is bounded by count: only blocks whose header
// we accepted (so each costs proof of work) get an entry, the oldest entry
// goes when a new one comes, a block keeps at most `peersPerBlock` peers,
// and at most `claims` peers' statuses are kept (least recently heard go).
import { blockHashHex } from '../core/block.js'
import { peekBlockHeader } from '../core/encoding.js'
import type { Topics } from '../p2p/protocols.js'
import type { Node } from '../p2p/host.js'
import type { BlockArrivalView } from './node-api.js'

export interface WatchLimits {
  blocks: number
  peersPerBlock: number
  claims: number
}

export const WATCH_LIMITS: WatchLimits = { blocks: 48, peersPerBlock: 32, claims: 128 }

export type ArrivalVia = BlockArrivalView['via']

export interface PeerClaim {
  height: number
  /** Absent when the peer only showed a height (an SPV node's view of a full node). */
  tip?: string
  work?: bigint
  /** First heard with this tip (unix ms). */
  since: number
  /** Last heard (unix ms). */
  heardAt: number
}

export interface BlockArrivals {
  hash: string
  local?: { at: number, how: 'mined' | 'connected' }
  /** Peer id → its first announcement. */
  peers: Map<string, { at: number, via: ArrivalVia }>
}

/** The gossip events and the duplicate hook this watch reads (gossipsub's own objects). */
interface GossipInternals {
  addEventListener: (type: 'gossipsub:message', fn: (evt: CustomEvent<{ propagationSource: { toString: () => string }, msgId: string, msg: { topic: string, data: Uint8Array } }>) => void) => void
  score: { duplicateMessage: (from: string, msgIdStr: string, topic: string) => void }
}

export class NetworkWatch {
  private readonly blocks = new Map<string, BlockArrivals>()
  private readonly claims = new Map<string, PeerClaim>()
  /** Gossip message id → block hash, for the duplicates (which carry only the id). */
  private readonly messageIds = new Map<string, { hash: string, via: ArrivalVia }>()

  /** `known`: the block's header is in our index (it passed proof of work). */
  constructor (private readonly known: (hash: string) => boolean, readonly limits: WatchLimits = WATCH_LIMITS) {}

  /**
   * Watches gossip for block and header announcements. gossipsub drops a
   * duplicate delivery before any event or validator sees it; its peer
   * score's `duplicateMessage` is the one place each duplicate is reported,
   * so it is wrapped here (the original still runs first).
   */
  attach (node: Node, topics: Topics): void {
    const pubsub = node.services.pubsub as unknown as GossipInternals
    const via = (topic: string): ArrivalVia | undefined => topic === topics.block ? 'block' : topic === topics.header ? 'header' : undefined
    pubsub.addEventListener('gossipsub:message', (evt) => {
      const { propagationSource, msgId, msg } = evt.detail
      const kind = via(msg.topic)
      if (kind === undefined) return
      let hash: string
      try {
        hash = blockHashHex(peekBlockHeader(msg.data, msg.data.length).header)
      } catch {
        return // validators rejected it already; nothing to note
      }
      this.noteMessage(msgId, hash, kind)
      // this event fires after validation, which connected the block: it arrived no later than that
      const local = this.blocks.get(hash)?.local
      const now = Date.now()
      this.noteArrival(hash, propagationSource.toString(), kind, local?.how === 'connected' ? Math.min(now, local.at) : now)
    })
    const score = pubsub.score
    const original = score.duplicateMessage.bind(score)
    score.duplicateMessage = (from, msgIdStr, topic) => {
      original(from, msgIdStr, topic)
      const seen = this.messageIds.get(msgIdStr)
      if (seen !== undefined) this.noteArrival(seen.hash, from, seen.via)
    }
  }

  private noteMessage (msgId: string, hash: string, via: ArrivalVia): void {
    this.messageIds.set(msgId, { hash, via })
    // two topics per block at most
    while (this.messageIds.size > 2 * this.limits.blocks) this.messageIds.delete(this.messageIds.keys().next().value as string)
  }

  /**
   * A peer's chain status (sync status exchange in either direction, or a height an SPV peer showed).
   * True when it names a chain other than the one this peer claimed last, so a view can refresh then.
   */
  noteClaim (peerId: string, claim: { height: number, tip?: string, work?: bigint }, now = Date.now()): boolean {
    const old = this.claims.get(peerId)
    const same = old !== undefined && old.tip === claim.tip && old.height === claim.height
    const since = same ? old.since : now
    // re-inserted: the map's order is least recently heard first
    this.claims.delete(peerId)
    this.claims.set(peerId, { ...claim, since, heardAt: now })
    while (this.claims.size > this.limits.claims) this.claims.delete(this.claims.keys().next().value as string)
    if (claim.tip !== undefined && this.known(claim.tip)) this.noteArrival(claim.tip, peerId, 'status', since)
    return !same
  }

  claim (peerId: string): PeerClaim | undefined {
    return this.claims.get(peerId)
  }

  claimants (): string[] {
    return [...this.claims.keys()]
  }

  /** This node had the block: it mined it or connected it. Peers that claimed it as their tip before are filled in. */
  noteLocal (hash: string, how: 'mined' | 'connected', now = Date.now()): void {
    const entry = this.entry(hash)
    if (entry === undefined) return
    if (entry.local === undefined || (how === 'mined' && entry.local.how !== 'mined')) entry.local = { at: Math.min(now, entry.local?.at ?? now), how }
    for (const [peer, c] of this.claims) if (c.tip === hash) this.addPeer(entry, peer, c.since, 'status')
  }

  noteArrival (hash: string, peerId: string, via: ArrivalVia, at = Date.now()): void {
    const entry = this.entry(hash)
    if (entry !== undefined) this.addPeer(entry, peerId, at, via)
  }

  private addPeer (entry: BlockArrivals, peerId: string, at: number, via: ArrivalVia): void {
    const old = entry.peers.get(peerId)
    if (old !== undefined) {
      if (at < old.at) entry.peers.set(peerId, { at, via })
      return
    }
    if (entry.peers.size >= this.limits.peersPerBlock) return
    entry.peers.set(peerId, { at, via })
  }

  /** The entry of a known block, created (evicting the oldest) on first sight. */
  private entry (hash: string): BlockArrivals | undefined {
    const found = this.blocks.get(hash)
    if (found !== undefined) return found
    if (!this.known(hash)) return undefined
    const created: BlockArrivals = { hash, peers: new Map() }
    this.blocks.set(hash, created)
    while (this.blocks.size > this.limits.blocks) this.blocks.delete(this.blocks.keys().next().value as string)
    return created
  }

  /** Recorded blocks, oldest first. */
  recent (): BlockArrivals[] {
    return [...this.blocks.values()]
  }
}
