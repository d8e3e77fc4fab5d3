// What each sync peer claims about its chain, and how far we trust it.
// A peer's Status (its work, height and tip) is a hint, never state: a liar
// can claim any work for free. Trust is earned by delivering headers we
// verify and store (block-fetcher.ts) and lost, with a growing back-off,
// by failing to back a claim.
import type { PeerId } from '@libp2p/interface'
import { toHex } from '../core/bytes.js'
import type { Chain } from '../chain/chain.js'
import { isInvalid, type IndexEntry } from '../chain/block-index.js'
import type { Logger } from '../telemetry/logger.js'
import type { PeerReputation } from './reputation.js'
import type { PeerActionSpec } from './peer-actions.js'
import type { ChainStatus, SyncRequest, SyncResponse } from './sync-messages.js'

/** One sync request to one peer, its reply decoded (throws on failure). */
export type SyncRequestFn = (peer: PeerId, req: SyncRequest) => Promise<SyncResponse>

export interface PeerChainState {
  peer: PeerId
  /** Claimed in its Status: hints, not verified. */
  height: number
  work: bigint
  tip: string
  updatedAt: number
  /** When we first heard its status (probes go oldest first). */
  since: number
  /** The most-work stored header this peer has shown it has. */
  proven?: IndexEntry
  /** Since when it has delivered headers we verified and stored; undefined: not trusted. */
  trustedAt?: number
  /** Not asked for headers before this time (it failed to back a claim). */
  retryAfter: number
  /** Header syncs with this peer that failed (drives the back-off). */
  failures: number
}

/** First back-off after a failed header sync; doubles per failure. */
const RETRY_BASE_MS = 30_000
const RETRY_MAX_MS = 30 * 60_000

export interface PeerStatusOptions {
  chain: Chain
  reputation: PeerReputation
  log: Logger
  request: SyncRequestFn
  /** Our own status, sent with every exchange. */
  ourStatus: () => ChainStatus
  /** Connected peers (any protocol). */
  connected: () => PeerId[]
  /** A peer knows more work than we have, or we lack blocks of our best header chain. */
  onBehind: () => void
  /** Every status a peer of our network sent (for the network view; a claim, not verified). */
  onStatus?: (peerId: string, status: ChainStatus) => void
}

export class PeerStatus {
  /** Keyed by peer id; one object per connected peer, updated in place (a running header sync holds it). */
  readonly states = new Map<string, PeerChainState>()
  private readonly chain: Chain
  private readonly reputation: PeerReputation
  private readonly log: Logger
  private readonly opts: PeerStatusOptions
  private readonly syncCapable = new Set<string>()
  private readonly inFlight = new Set<string>()
  private readonly again = new Set<string>()
  private stopped = false

  constructor (opts: PeerStatusOptions) {
    this.chain = opts.chain
    this.reputation = opts.reputation
    this.log = opts.log
    this.opts = opts
  }

  stop (): void {
    this.stopped = true
  }

  /** Identify said this peer speaks the sync protocol. */
  markSyncCapable (peer: string): void {
    this.syncCapable.add(peer)
  }

  forget (peer: string): void {
    this.states.delete(peer)
    this.syncCapable.delete(peer)
  }

  /** Connected peers that speak the sync protocol (learned from identify). */
  syncPeers (): PeerId[] {
    return this.opts.connected().filter(p => this.syncCapable.has(p.toString()))
  }

  /** Height of the best chain known: ours, our best header, or the claim of a peer that has delivered headers. */
  targetHeight (): number {
    let best = this.chain.bestHeader().height
    for (const s of this.states.values()) if (s.trustedAt !== undefined && s.work > this.chain.tip.work && s.height > best) best = s.height
    return best
  }

  record (peerId: string, peer: PeerId | undefined, status: ChainStatus): void {
    if (toHex(status.genesis) !== this.chain.params.genesisHash) {
      this.reputation.ban(peerId, 'wrong-genesis')
      return
    }
    const id = peer ?? this.opts.connected().find(p => p.toString() === peerId)
    if (id === undefined) return
    this.opts.onStatus?.(peerId, status)
    const now = Date.now()
    let state = this.states.get(peerId)
    if (state === undefined) {
      state = { peer: id, height: status.height, work: status.work, tip: toHex(status.tip), updatedAt: now, since: now, retryAfter: 0, failures: 0 }
      this.states.set(peerId, state)
    } else {
      Object.assign(state, { height: status.height, work: status.work, tip: toHex(status.tip), updatedAt: now })
    }
    // a tip we store is verified: the peer has shown it has that much work
    this.noteProven(state, this.chain.getEntry(state.tip))
    // more work than we know of, or headers whose blocks we still lack
    const best = this.chain.bestHeader()
    if (status.work > best.work || best.work > this.chain.tip.work) this.opts.onBehind()
  }

  /** Asks a peer for its chain status; starts syncing when it knows more work. */
  async exchange (peer: PeerId): Promise<void> {
    const id = peer.toString()
    // One exchange per peer at a time (announcements can trigger many); a
    // request that arrives meanwhile runs once more afterwards, so the
    // answer we act on is never older than the last announcement.
    if (this.stopped) return
    if (this.inFlight.has(id)) {
      this.again.add(id)
      return
    }
    this.inFlight.add(id)
    try {
      do {
        this.again.delete(id)
        try {
          const res = await this.opts.request(peer, { kind: 'status', status: this.opts.ourStatus() })
          if (res.kind !== 'status') throw new Error(`unexpected ${res.kind} reply to status`)
          this.record(id, peer, res.status)
        } catch (err) {
          this.log.debug('status exchange failed', { peer: id, err: (err as Error).message })
        }
      } while (this.again.has(id) && !this.stopped)
    } finally {
      this.inFlight.delete(id)
    }
  }

  /** Notes a peer's height when it relays a block we accept. */
  notePeerBlock (from: string, height: number, hashHex: string): void {
    const state = this.states.get(from)
    if (state !== undefined && height > state.height) {
      const entry = this.chain.getEntry(hashHex)
      Object.assign(state, { height, tip: hashHex, work: entry?.work ?? state.work, updatedAt: Date.now() })
      this.noteProven(state, entry)
    }
  }

  noteProven (state: PeerChainState, entry: IndexEntry | undefined): void {
    if (entry === undefined || isInvalid(entry)) return
    if (state.proven === undefined || entry.work > state.proven.work) state.proven = entry
  }

  /** Peers that claim more work than our best header and may be asked now. */
  claimers (): PeerChainState[] {
    const ours = this.chain.bestHeader().work
    const now = Date.now()
    const out: PeerChainState[] = []
    for (const s of this.states.values()) {
      if (s.work > ours && s.retryAfter <= now && !this.reputation.isBanned(s.peer.toString())) out.push(s)
    }
    return out
  }

  /** Penalises a peer whose headers did not back its claim; it loses its trust and waits a growing back-off. */
  distrust (state: PeerChainState, action: PeerActionSpec, reason: string, detail: string): 'failed' {
    const id = state.peer.toString()
    this.reputation.penalize(id, action, reason)
    state.trustedAt = undefined
    state.failures++
    state.retryAfter = Date.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(state.failures - 1, 16))
    this.log.debug('header sync failed', { peer: id, reason, detail })
    return 'failed'
  }
}
