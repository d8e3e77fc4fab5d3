// The node's own judgement of peers, next to gossipsub's scores: penalties
// for invalid data on request/response protocols, and bans. A banned peer is
// disconnected and neither dialled nor accepted until the ban expires.
import type { PeerId } from '@libp2p/interface'
import type { Logger } from '../node/logger.js'
import type { NodeMetrics } from '../node/metrics.js'

export interface ReputationOptions {
  /** A peer whose score falls below this is banned. */
  banThreshold?: number
  banMs?: number
  /** Fraction of a penalty forgiven per second (scores drift back to 0). */
  decayPerSecond?: number
  metrics?: NodeMetrics
  log?: Logger
  now?: () => number
}

interface Standing { score: number, at: number }

export class PeerReputation {
  private readonly standings = new Map<string, Standing>()
  private readonly bans = new Map<string, { until: number, reason: string }>()
  readonly banThreshold: number
  private readonly banMs: number
  private readonly decay: number
  private readonly metrics?: NodeMetrics
  private readonly log?: Logger
  private readonly now: () => number
  /** Called when a peer is banned: the host hangs up. */
  onBan: (peerId: string, reason: string) => void = () => {}

  constructor (opts: ReputationOptions = {}) {
    this.banThreshold = opts.banThreshold ?? -100
    this.banMs = opts.banMs ?? 10 * 60_000
    this.decay = opts.decayPerSecond ?? 0.01
    this.metrics = opts.metrics
    this.log = opts.log
    this.now = opts.now ?? Date.now
  }

  score (peerId: string): number {
    const s = this.standings.get(peerId)
    if (s === undefined) return 0
    const seconds = (this.now() - s.at) / 1000
    return s.score * Math.pow(1 - this.decay, seconds)
  }

  penalize (peerId: string, points: number, reason: string): void {
    const score = this.score(peerId) - points
    this.standings.set(peerId, { score, at: this.now() })
    this.metrics?.peerPenaltiesTotal.inc({ reason })
    this.log?.debug('peer penalised', { peer: peerId, points, reason, score })
    if (score < this.banThreshold) this.ban(peerId, reason)
  }

  ban (peerId: string, reason: string): void {
    if (this.isBanned(peerId)) return
    this.bans.set(peerId, { until: this.now() + this.banMs, reason })
    this.metrics?.peersBannedTotal.inc()
    this.log?.warn('peer banned', { peer: peerId, reason, minutes: Math.round(this.banMs / 60_000) })
    this.onBan(peerId, reason)
  }

  isBanned (peerId: string): boolean {
    const ban = this.bans.get(peerId)
    if (ban === undefined) return false
    if (ban.until <= this.now()) {
      this.bans.delete(peerId)
      this.standings.delete(peerId)
      return false
    }
    return true
  }

  /** libp2p connection gater hooks refusing banned peers both ways. */
  gater (): { denyDialPeer: (p: PeerId) => boolean, denyInboundEncryptedConnection: (p: PeerId) => boolean, denyOutboundEncryptedConnection: (p: PeerId) => boolean } {
    return {
      denyDialPeer: (p: PeerId) => this.isBanned(p.toString()),
      denyInboundEncryptedConnection: (p: PeerId) => this.isBanned(p.toString()),
      denyOutboundEncryptedConnection: (p: PeerId) => this.isBanned(p.toString())
    }
  }
}
