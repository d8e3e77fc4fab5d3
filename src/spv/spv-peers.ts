// The light node's peers that speak /minicoin/N/spv/1.0.0: which connected
// peers announced it, the one way to ask them (bounded, decoded, a garbled
// reply judged), and the one place a light-client check's verdict turns into
// a ban or a penalty (the points are in p2p/peer-actions.ts).
import type { PeerId } from '@libp2p/interface'
import { DecodeError } from '../core/errors.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { P2PHost } from '../p2p/host.js'
import type { ProtocolIds, WireLimits } from '../p2p/protocols.js'
import type { PeerReputation } from '../p2p/reputation.js'
import { rpcRequest } from '../p2p/rpc.js'
import { decodeSpvResponse, encodeSpvRequest, spvLimitsOf, type SpvRequest, type SpvResponse } from '../p2p/spv-messages.js'
import { decodeVerdict, penaltyOf, type SpvVerdict } from './spv-verdicts.js'

export interface SpvPeersOptions {
  host: P2PHost
  protocols: ProtocolIds
  limits: WireLimits
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
}

export class SpvPeers {
  /** Connected peers that announced the SPV protocol through identify. */
  private readonly capable = new Set<string>()
  private readonly abort = new AbortController()

  constructor (private readonly o: SpvPeersOptions) {}

  /** Aborted when the light client stops: every request and scan ends. */
  get signal (): AbortSignal {
    return this.abort.signal
  }

  get stopped (): boolean {
    return this.abort.signal.aborted
  }

  stop (): void {
    this.abort.abort()
  }

  add (peer: PeerId): void {
    this.capable.add(peer.toString())
  }

  remove (id: string): void {
    this.capable.delete(id)
  }

  has (id: string): boolean {
    return this.capable.has(id)
  }

  /** Connected SPV-capable peers. */
  connected (): PeerId[] {
    return this.o.host.node.getPeers().filter(p => this.capable.has(p.toString()))
  }

  /** Connected SPV-capable peers not banned, in random order (so one peer cannot keep us from hearing the others). */
  shuffled (): PeerId[] {
    const peers = this.connected().filter(p => !this.o.reputation.isBanned(p.toString()))
    for (let i = peers.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[peers[i], peers[j]] = [peers[j], peers[i]]
    }
    return peers
  }

  byId (id: string): PeerId | undefined {
    return this.capable.has(id) ? this.o.host.node.getPeers().find(p => p.toString() === id) : undefined
  }

  /** Applies what a check found: the one place the light client bans or penalises a peer. */
  judge (peer: string, verdict: SpvVerdict): void {
    if (verdict.kind === 'ban') {
      this.o.log.warn('banning peer for invalid SPV data', { peer, reason: verdict.reason, detail: verdict.detail })
      this.o.reputation.ban(peer, verdict.reason)
      return
    }
    const { action, reason } = penaltyOf(verdict)
    this.o.log.info('spv peer penalised', { peer, reason, detail: verdict.detail })
    this.o.reputation.penalize(peer, action, reason)
  }

  async request (peer: PeerId, req: SpvRequest, signal: AbortSignal = this.abort.signal): Promise<SpvResponse> {
    const { limits, metrics } = this.o
    const bytes = await rpcRequest(this.o.host.node, peer, this.o.protocols.spv, encodeSpvRequest(req), {
      maxResponseBytes: limits.responseBytes,
      timeoutMs: limits.streamTimeoutMs,
      label: 'spv',
      metrics,
      signal
    })
    try {
      return decodeSpvResponse(bytes, spvLimitsOf(limits, limits.responseBytes))
    } catch (err) {
      // garbage, oversized or non-canonical: nothing an honest server sends
      if (err instanceof DecodeError) this.judge(peer.toString(), decodeVerdict(err))
      throw err
    }
  }
}
