// The node's own judgement of peers, next to gossipsub's scores: penalties
// for invalid data on request/response protocols, and bans. A banned peer is
// disconnected and neither dialled nor accepted until the ban expires.
//
// Peer ids cost nothing, so every penalty is charged to the peer's remote IP
// too (unless that IP is exempt: loopback and trusted addresses), and a ban
// bans the IP as well: reconnecting under a fresh id starts from the IP's
// score, and a banned IP is refused whatever id it shows. Every map here is
// bounded and swept: entries whose score has decayed to ~0 and expired bans
// are dropped, and past `maxEntries` the least recently touched go.
import type { PeerId, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import { AddressPolicy, ipOfMultiaddr, normalizeIp } from './peer-address.js'
import type { PeerActionSpec } from './peer-actions.js'

export interface ReputationOptions {
  /** A peer (or IP) whose score falls below this is banned. */
  banThreshold?: number
  banMs?: number
  /** How long a banned peer's IP stays refused (Core's default ban is 24 h; a LAN's addresses move sooner). */
  ipBanMs?: number
  /** Fraction of a penalty forgiven per second (scores drift back to 0). */
  decayPerSecond?: number
  /** Bound of each map (peer scores, IP scores, peer bans, IP bans, peer → IP). */
  maxEntries?: number
  /** Exempt from per-IP scores and bans (config p2p.trustedAddresses); loopback is exempt unless exemptLoopback is false. */
  trustedAddresses?: readonly string[]
  exemptLoopback?: boolean
  metrics?: NodeMetrics
  log?: Logger
  now?: () => number
}

interface Standing { score: number, at: number }
interface Ban { until: number, reason: string }

/** A score this close to 0 is forgotten. */
const NEGLIGIBLE = 0.5

/** Insertion-ordered Map used as an LRU: touching an entry moves it to the end. */
class BoundedMap<V> extends Map<string, V> {
  constructor (private readonly max: number, private readonly sweep: (key: string, value: V) => boolean) { super() }

  touch (key: string, value: V): this {
    super.delete(key)
    super.set(key, value)
    if (this.size > this.max) {
      for (const [k, v] of this) if (this.sweep(k, v)) super.delete(k)
      // keep a tenth free so the sweep does not run on every insert
      while (this.size > this.max * 0.9) super.delete(this.keys().next().value as string)
    }
    return this
  }
}

export class PeerReputation {
  readonly addresses: AddressPolicy
  readonly banThreshold: number
  private readonly banMs: number
  private readonly ipBanMs: number
  private readonly decay: number
  private readonly metrics?: NodeMetrics
  private readonly log?: Logger
  private readonly now: () => number
  private readonly standings: BoundedMap<Standing>
  private readonly ipStandings: BoundedMap<Standing>
  private readonly bans: BoundedMap<Ban>
  private readonly ipBans: BoundedMap<Ban>
  /** Last remote IP seen for each peer, so a penalty can reach its IP after the peer has gone. */
  private readonly peerIps: BoundedMap<string>
  /** Called when a peer is banned: the host hangs up. */
  onBan: (peerId: string, reason: string) => void = () => {}
  /** Called when an IP is banned: the host hangs up on every peer from it. */
  onIpBan: (ip: string, reason: string) => void = () => {}

  constructor (opts: ReputationOptions = {}) {
    this.banThreshold = opts.banThreshold ?? -100
    this.banMs = opts.banMs ?? 10 * 60_000
    this.ipBanMs = opts.ipBanMs ?? 60 * 60_000
    this.decay = opts.decayPerSecond ?? 0.01
    this.metrics = opts.metrics
    this.log = opts.log
    this.now = opts.now ?? Date.now
    this.addresses = new AddressPolicy({ trusted: opts.trustedAddresses, exemptLoopback: opts.exemptLoopback })
    const max = opts.maxEntries ?? 10_000
    const negligible = (_: string, s: Standing): boolean => Math.abs(this.decayed(s)) < NEGLIGIBLE
    const expired = (_: string, b: Ban): boolean => b.until <= this.now()
    this.standings = new BoundedMap(max, negligible)
    this.ipStandings = new BoundedMap(max, negligible)
    this.bans = new BoundedMap(max, expired)
    this.ipBans = new BoundedMap(max, expired)
    this.peerIps = new BoundedMap(max, () => false)
  }

  private decayed (s: Standing): number {
    const seconds = Math.max(0, this.now() - s.at) / 1000
    return s.score * Math.pow(1 - this.decay, seconds)
  }

  /** Remembers a peer's remote IP (the host calls this for every new connection). */
  noteAddress (peerId: string, ip: string): void {
    this.peerIps.touch(peerId, normalizeIp(ip))
  }

  ipOf (peerId: string): string | undefined {
    return this.peerIps.get(peerId)
  }

  /** The peer's IP when per-IP rules apply to it (known and not exempt). */
  limitedIpOf (peerId: string): string | undefined {
    const ip = this.peerIps.get(peerId)
    return ip !== undefined && !this.addresses.isExempt(ip) ? ip : undefined
  }

  score (peerId: string): number {
    const s = this.standings.get(peerId)
    return s === undefined ? 0 : this.decayed(s)
  }

  ipScore (ip: string): number {
    const s = this.ipStandings.get(normalizeIp(ip))
    return s === undefined ? 0 : this.decayed(s)
  }

  /** Charges a peer (and its IP) for misbehaviour: `penalize(peer, PeerAction.X)` or the old `penalize(peer, points, reason)`. */
  penalize (peerId: string, action: PeerActionSpec | number, reason?: string): void {
    const points = typeof action === 'number' ? action : action.points
    const why = reason ?? (typeof action === 'number' ? 'unspecified' : action.name)
    const score = this.score(peerId) - points
    this.standings.touch(peerId, { score, at: this.now() })
    const ip = this.limitedIpOf(peerId)
    const ipScore = ip === undefined ? 0 : this.ipScore(ip) - points
    if (ip !== undefined) this.ipStandings.touch(ip, { score: ipScore, at: this.now() })
    this.metrics?.peerPenaltiesTotal.inc({ reason: why })
    this.log?.debug('peer penalised', { peer: peerId, ip, points, reason: why, score, ipScore })
    if (score < this.banThreshold) this.ban(peerId, why)
    else if (ipScore < this.banThreshold) this.ban(peerId, `${why} (ip score)`)
  }

  /** Bans a peer, and its IP unless exempt. */
  ban (peerId: string, reason: string): void {
    const ip = this.limitedIpOf(peerId)
    if (ip !== undefined) this.banIp(ip, reason)
    if (this.isBanned(peerId)) return
    this.bans.touch(peerId, { until: this.now() + this.banMs, reason })
    this.metrics?.peersBannedTotal.inc()
    this.log?.warn('peer banned', { peer: peerId, ip, reason, minutes: Math.round(this.banMs / 60_000) })
    this.onBan(peerId, reason)
  }

  banIp (address: string, reason: string): void {
    const ip = normalizeIp(address)
    if (this.addresses.isExempt(ip) || this.isIpBanned(ip)) return
    this.ipBans.touch(ip, { until: this.now() + this.ipBanMs, reason })
    this.log?.warn('ip banned', { ip, reason, minutes: Math.round(this.ipBanMs / 60_000) })
    this.onIpBan(ip, reason)
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

  isIpBanned (address: string): boolean {
    const ip = normalizeIp(address)
    const ban = this.ipBans.get(ip)
    if (ban === undefined) return false
    if (ban.until <= this.now() || this.addresses.isExempt(ip)) {
      this.ipBans.delete(ip)
      this.ipStandings.delete(ip)
      return false
    }
    return true
  }

  /** Whether a connection to or from this address is refused (its IP is banned). */
  isAddressBanned (ma: Multiaddr): boolean {
    const ip = ipOfMultiaddr(ma)
    return ip !== undefined && this.isIpBanned(ip)
  }

  /** Drops expired bans and forgotten scores (the host runs this every minute). */
  prune (): void {
    const now = this.now()
    for (const [k, s] of this.standings) if (Math.abs(this.decayed(s)) < NEGLIGIBLE) this.standings.delete(k)
    for (const [k, s] of this.ipStandings) if (Math.abs(this.decayed(s)) < NEGLIGIBLE) this.ipStandings.delete(k)
    for (const [k, b] of this.bans) if (b.until <= now) this.bans.delete(k)
    for (const [k, b] of this.ipBans) if (b.until <= now) this.ipBans.delete(k)
  }

  /** Entries held, per map (for tests and metrics). */
  sizes (): { standings: number, ipStandings: number, bans: number, ipBans: number, peerIps: number } {
    return { standings: this.standings.size, ipStandings: this.ipStandings.size, bans: this.bans.size, ipBans: this.ipBans.size, peerIps: this.peerIps.size }
  }

  /** libp2p connection gater hooks refusing banned peers and banned IPs both ways. */
  gater (): {
    denyDialPeer: (p: PeerId) => boolean
    denyDialMultiaddr: (ma: Multiaddr) => boolean
    denyInboundConnection: (c: MultiaddrConnection) => boolean
    denyInboundEncryptedConnection: (p: PeerId) => boolean
    denyOutboundEncryptedConnection: (p: PeerId) => boolean
  } {
    return {
      denyDialPeer: (p: PeerId) => this.isBanned(p.toString()),
      denyDialMultiaddr: (ma: Multiaddr) => this.isAddressBanned(ma),
      denyInboundConnection: (c: MultiaddrConnection) => this.isAddressBanned(c.remoteAddr),
      denyInboundEncryptedConnection: (p: PeerId) => this.isBanned(p.toString()),
      denyOutboundEncryptedConnection: (p: PeerId) => this.isBanned(p.toString())
    }
  }
}
