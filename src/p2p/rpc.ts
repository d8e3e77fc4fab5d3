// One request, one response per stream, length-prefixed: the shape of the
// sync and SPV protocols. Both sides bound sizes and time; the server also
// rate-limits each peer and penalises malformed requests.
import { lpStream } from '@libp2p/utils'
import type { PeerId, Stream } from '@libp2p/interface'
import type { Logger } from '../node/logger.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { Node } from './host.js'
import { PeerRateLimiter } from './rate-limiter.js'
import type { WireLimits } from './protocols.js'
import type { PeerReputation } from './reputation.js'

/** A request the peer should not have sent: costs it `penalty` points. */
export class InvalidRequestError extends Error {
  constructor (message: string, readonly penalty = 20) {
    super(message)
    this.name = 'InvalidRequestError'
  }
}

const HALF_OPEN_GRACE_MS = 1000

export interface RpcServerOptions {
  protocol: string
  label: 'sync' | 'spv'
  maxRequestBytes: number
  maxResponseBytes: number
  timeoutMs: number
  limiter: PeerRateLimiter
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  handle: (request: Uint8Array, peerId: string) => Promise<Uint8Array>
}

export async function serveRpc (node: Node, opts: RpcServerOptions): Promise<void> {
  const count = (result: string): void => { opts.metrics?.rpcRequestsTotal.inc({ protocol: opts.label, direction: 'inbound', result }) }
  await node.handle(opts.protocol, async (stream: Stream, connection) => {
    const peer = connection.remotePeer.toString()
    const signal = AbortSignal.timeout(opts.timeoutMs)
    if (!opts.limiter.take(peer)) {
      count('rate_limited')
      opts.reputation.penalize(peer, 5, `${opts.label}-rate-limit`)
      stream.abort(new Error('rate limited'))
      return
    }
    try {
      const lp = lpStream(stream, { maxDataLength: opts.maxRequestBytes })
      const request = await lp.read({ signal })
      const response = await opts.handle(request.subarray(), peer)
      if (response.length > opts.maxResponseBytes) throw new Error(`response of ${response.length} bytes exceeds the limit`)
      await lp.write(response, { signal })
      await stream.close({ signal })
      count('ok')
      // A peer that never closes its end would hold a stream slot forever.
      if (stream.remoteWriteStatus !== 'closed') {
        const timer = setTimeout(() => {
          if (stream.status === 'closed') return
          stream.abort(new Error('request stream left open'))
          opts.reputation.penalize(peer, 2, `${opts.label}-stream-left-open`)
        }, HALF_OPEN_GRACE_MS)
        timer.unref()
        stream.addEventListener('close', () => clearTimeout(timer), { once: true })
      }
    } catch (err) {
      stream.abort(err as Error)
      if (err instanceof InvalidRequestError || (err as { name?: string }).name === 'InvalidDataLengthError') {
        count('invalid')
        opts.reputation.penalize(peer, err instanceof InvalidRequestError ? err.penalty : 50, `${opts.label}-invalid-request`)
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

/** Serves a request/response protocol within the network's wire limits. */
export async function serveWithinLimits (node: Node, protocol: string, label: 'sync' | 'spv', limits: WireLimits, deps: ProtocolServerDeps, handle: RpcServerOptions['handle']): Promise<void> {
  await serveRpc(node, {
    protocol,
    label,
    maxRequestBytes: limits.requestBytes,
    maxResponseBytes: limits.responseBytes,
    timeoutMs: limits.streamTimeoutMs,
    limiter: new PeerRateLimiter(limits.requestsPerSecond, limits.requestBurst),
    ...deps,
    handle
  })
}

export interface RpcRequestOptions {
  maxResponseBytes: number
  timeoutMs: number
  label: 'sync' | 'spv'
  metrics?: NodeMetrics
  signal?: AbortSignal
}

export async function rpcRequest (node: Node, peer: PeerId, protocol: string, request: Uint8Array, opts: RpcRequestOptions): Promise<Uint8Array> {
  const signal = opts.signal !== undefined ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs)
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
  }
}
