// One request, one response per stream, length-prefixed: the shape of the
// sync and SPV protocols. Both sides bound sizes and time; the server also
// rate-limits each peer and each remote IP (requests per second, and bytes
// served per second), and penalises malformed requests.
import { setTimeout as sleep } from 'node:timers/promises'
import { lpStream } from '@libp2p/utils'
import type { PeerId, Stream } from '@libp2p/interface'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { Node } from './node-types.js'
import { PeerAction, type PeerActionSpec } from './peer-actions.js'
import { ipOfMultiaddr } from './peer-address.js'
import { TokenBuckets } from './rate-limiter.js'
import type { WireLimits } from './protocols.js'
import type { PeerReputation } from './reputation.js'
import { deadlineSignal } from './deadline-signal.js'

/** A request the peer should not have sent: costs it the action's points. */
export class InvalidRequestError extends Error {
  constructor (message: string, readonly action: PeerActionSpec = PeerAction.INVALID_REQUEST) {
    super(message)
    this.name = 'InvalidRequestError'
  }

  get penalty (): number {
    return this.action.points
  }
}

const HALF_OPEN_GRACE_MS = 1000

/**
 * What a handler may spend on one reply. `maxBytes` is the peer's byte
 * allowance right now: a handler that serves items (blocks, proofs) stops
 * adding them once the next would go past it (the first item is always
 * served, so progress never stalls on one large block). Bytes beyond the
 * allowance are charged as a debt that the peer's next requests wait out.
 */
export interface ReplyBudget {
  maxBytes: number
}

/** Per-peer and per-IP budgets of a protocol server. */
export interface ServeBudget {
  requestsPerSecond: number
  requestBurst: number
  /** Reply bytes per second; the bucket holds `byteBurst`. */
  bytesPerSecond: number
  byteBurst: number
  /** An IP's budgets are this many times a peer's (several honest peers may share an IP). */
  ipFactor: number
  /** Longest a request waits for its peer's byte debt to be paid before it is refused. */
  maxWaitMs: number
}

/** Budgets derived from the wire limits: a peer may pull one full block reply per second. */
export function serveBudgetFor (limits: WireLimits): ServeBudget {
  return {
    requestsPerSecond: limits.requestsPerSecond,
    requestBurst: limits.requestBurst,
    bytesPerSecond: limits.blockReplyBytes,
    byteBurst: Math.max(2 * limits.blockReplyBytes, limits.responseBytes),
    ipFactor: 2,
    maxWaitMs: Math.floor(limits.streamTimeoutMs / 2)
  }
}

export interface RpcServerOptions {
  protocol: string
  label: 'sync' | 'spv' | 'peers'
  maxRequestBytes: number
  maxResponseBytes: number
  timeoutMs: number
  budget: ServeBudget
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  handle: (request: Uint8Array, peerId: string, budget: ReplyBudget) => Promise<Uint8Array>
}

/** Request and byte buckets, each kept per peer and per (non-exempt) IP. */
class ServeLimits {
  private readonly peerRequests: TokenBuckets
  private readonly ipRequests: TokenBuckets
  private readonly peerBytes: TokenBuckets
  private readonly ipBytes: TokenBuckets

  constructor (readonly budget: ServeBudget) {
    const b = budget
    this.peerRequests = new TokenBuckets({ perSecond: b.requestsPerSecond, burst: b.requestBurst })
    this.ipRequests = new TokenBuckets({ perSecond: b.requestsPerSecond * b.ipFactor, burst: b.requestBurst * b.ipFactor })
    this.peerBytes = new TokenBuckets({ perSecond: b.bytesPerSecond, burst: b.byteBurst })
    this.ipBytes = new TokenBuckets({ perSecond: b.bytesPerSecond * b.ipFactor, burst: b.byteBurst * b.ipFactor })
  }

  takeRequest (peer: string, ip: string | undefined): boolean {
    if (ip !== undefined && !this.ipRequests.take(ip)) return false
    return this.peerRequests.take(peer)
  }

  /** Waits (up to maxWaitMs) until the peer and its IP have no byte debt; false if they still do. */
  async waitForBytes (peer: string, ip: string | undefined, signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + this.budget.maxWaitMs
    for (;;) {
      const wait = Math.max(this.peerBytes.msUntil(peer, 1), ip === undefined ? 0 : this.ipBytes.msUntil(ip, 1))
      if (wait === 0) return true
      if (Date.now() + wait > deadline) return false
      await sleep(wait, undefined, { signal })
    }
  }

  /** Takes what the peer may spend on this reply now, at most `max`. */
  reserve (peer: string, ip: string | undefined, max: number): number {
    const allowance = Math.floor(Math.max(0, Math.min(max, this.peerBytes.available(peer), ip === undefined ? max : this.ipBytes.available(ip))))
    this.settle(peer, ip, allowance)
    return allowance
  }

  /** Charges `bytes` (negative: gives back). */
  settle (peer: string, ip: string | undefined, bytes: number): void {
    if (bytes >= 0) {
      this.peerBytes.charge(peer, bytes)
      if (ip !== undefined) this.ipBytes.charge(ip, bytes)
    } else {
      this.peerBytes.refund(peer, -bytes)
      if (ip !== undefined) this.ipBytes.refund(ip, -bytes)
    }
  }
}

export async function serveRpc (node: Node, opts: RpcServerOptions): Promise<void> {
  const count = (result: string): void => { opts.metrics?.rpcRequestsTotal.inc({ protocol: opts.label, direction: 'inbound', result }) }
  const limits = new ServeLimits(opts.budget)
  const penalize = (peer: string, action: PeerActionSpec): void => { opts.reputation.penalize(peer, action, `${opts.label}-${action.name}`) }
  await node.handle(opts.protocol, async (stream: Stream, connection) => {
    const peer = connection.remotePeer.toString()
    const remoteIp = ipOfMultiaddr(connection.remoteAddr)
    // per-IP buckets only for IPs the rules apply to (not loopback or trusted)
    const ip = remoteIp !== undefined && !opts.reputation.addresses.isExempt(remoteIp) ? remoteIp : undefined
    const signal = AbortSignal.timeout(opts.timeoutMs)
    if (!limits.takeRequest(peer, ip)) {
      count('rate_limited')
      penalize(peer, PeerAction.RATE_LIMIT)
      stream.abort(new Error('rate limited'))
      return
    }
    let reserved: number | undefined
    try {
      const lp = lpStream(stream, { maxDataLength: opts.maxRequestBytes })
      const request = await lp.read({ signal })
      // a peer still in debt for bytes served waits; one that stays in debt is refused
      if (!await limits.waitForBytes(peer, ip, signal)) {
        count('rate_limited')
        penalize(peer, PeerAction.RATE_LIMIT)
        stream.abort(new Error('byte budget exhausted'))
        return
      }
      reserved = limits.reserve(peer, ip, opts.maxResponseBytes)
      const response = await opts.handle(request.subarray(), peer, { maxBytes: reserved })
      if (response.length > opts.maxResponseBytes) throw new Error(`response of ${response.length} bytes exceeds the limit`)
      // what the reply took beyond the reservation is a debt; what it left is given back
      limits.settle(peer, ip, response.length - reserved)
      reserved = undefined
      await lp.write(response, { signal })
      await stream.close({ signal })
      count('ok')
      // A peer that never closes its end would hold a stream slot forever.
      if (stream.remoteWriteStatus !== 'closed') {
        const timer = setTimeout(() => {
          if (stream.status === 'closed') return
          stream.abort(new Error('request stream left open'))
          penalize(peer, PeerAction.STREAM_LEFT_OPEN)
        }, HALF_OPEN_GRACE_MS)
        timer.unref()
        stream.addEventListener('close', () => clearTimeout(timer), { once: true })
      }
    } catch (err) {
      if (reserved !== undefined) limits.settle(peer, ip, -reserved)
      stream.abort(err as Error)
      if (err instanceof InvalidRequestError) {
        count('invalid')
        penalize(peer, err.action)
      } else if ((err as { name?: string }).name === 'InvalidDataLengthError') {
        count('invalid')
        penalize(peer, PeerAction.OVERSIZED_REQUEST)
      } else if (signal.aborted) {
        count('timeout')
      } else {
        count('error')
        opts.log.debug('request handling failed', { protocol: opts.label, peer, err: (err as Error).message })
      }
    }
  }, { maxInboundStreams: 32, runOnLimitedConnection: false })
}

export interface ProtocolServerDeps {
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
}

/** Serves a request/response protocol within the network's wire limits and the per-peer, per-IP budgets. */
export async function serveWithinLimits (node: Node, protocol: string, label: 'sync' | 'spv', limits: WireLimits, deps: ProtocolServerDeps, handle: RpcServerOptions['handle'], budget: ServeBudget = serveBudgetFor(limits)): Promise<void> {
  await serveRpc(node, {
    protocol,
    label,
    maxRequestBytes: limits.requestBytes,
    maxResponseBytes: limits.responseBytes,
    timeoutMs: limits.streamTimeoutMs,
    budget,
    reputation: deps.reputation,
    metrics: deps.metrics,
    log: deps.log,
    handle
  })
}

export interface RpcRequestOptions {
  maxResponseBytes: number
  timeoutMs: number
  label: 'sync' | 'spv' | 'peers'
  metrics?: NodeMetrics
  signal?: AbortSignal
}

export async function rpcRequest (node: Node, peer: PeerId, protocol: string, request: Uint8Array, opts: RpcRequestOptions): Promise<Uint8Array> {
  const deadline = deadlineSignal(opts.timeoutMs, opts.signal)
  const signal = deadline.signal
  const count = (result: string): void => { opts.metrics?.rpcRequestsTotal.inc({ protocol: opts.label, direction: 'outbound', result }) }
  let stream: Stream | undefined
  try {
    stream = await node.dialProtocol(peer, protocol, { signal })
    const lp = lpStream(stream, { maxDataLength: opts.maxResponseBytes })
    await lp.write(request, { signal })
    const response = await lp.read({ signal })
    await stream.close({ signal }).catch(() => {})
    count('ok')
    return response.subarray()
  } catch (err) {
    stream?.abort(err as Error)
    count(signal.aborted ? 'timeout' : 'error')
    throw err
  } finally {
    deadline.clear()
  }
}
