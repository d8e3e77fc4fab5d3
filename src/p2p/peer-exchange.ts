// Peer exchange: a node asks its peers which other peers they are connected
// to, so a node that knows one bootstrap peer ends up connected to several
// and no single node (the bootstrap node included) is a point of failure.
// A small request/response protocol of our own rather than gossipsub's PX
// (which only speaks when a mesh is over-full: eight nodes on one hub never
// hear of each other) or a kad-dht (a whole routing table for a LAN).
//
// What a peer may make us dial is bounded: a reply lists at most
// PX_MAX_PEERS peers of at most PX_MAX_ADDRS TCP addresses each (more, or
// anything that does not decode, costs MALFORMED_REPLY); addresses of the
// wrong shape are dropped; loopback addresses are taken only from a peer
// that is itself on loopback; peers already in the address book keep their
// addresses. A claim is a hint: it lands in the address book with the
// lowest rank, and the connection keeper dials from the book at its own
// pace, only while outbound slots are free. Serving is rate-limited per
// peer and IP (rpc.ts), asking is paced here.
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Logger } from '../telemetry/logger.js'
import type { Node } from './node-types.js'
import { PeerAction } from './peer-actions.js'
import { isLoopbackAddr } from './peer-address.js'
import { TAG_HEARD } from './peer-book.js'
import type { PeerReputation } from './reputation.js'
import { rpcRequest, serveRpc } from './rpc.js'

export const PX_MAX_PEERS = 16
export const PX_MAX_ADDRS = 4
const PX_MAX_REPLY_BYTES = 16 * 1024
const PX_TIMEOUT_MS = 5000
/** How often we ask one connected peer again (and at most how often any one peer is asked). */
export const PX_INTERVAL_MS = 20_000
/** A peer may ask us this often, with a small burst (a reconnect asks again). */
const PX_SERVE_PER_SECOND = 1 / 10
const PX_SERVE_BURST = 3

export interface ExchangedPeer { id: string, addrs: string[] }

/** A TCP address we may dial: /ip4|ip6/<addr>/tcp/<port>, nothing more, not unspecified or multicast. */
export function dialableShape (ma: Multiaddr): boolean {
  const c = ma.getComponents()
  if (c.length !== 2 || (c[0].name !== 'ip4' && c[0].name !== 'ip6') || c[1].name !== 'tcp') return false
  const ip = c[0].value ?? ''
  const port = Number(c[1].value)
  if (!Number.isInteger(port) || port < 1 || port > 65535) return false
  if (ip === '0.0.0.0' || ip === '::' || ip === '255.255.255.255') return false
  const first = Number(ip.split('.')[0])
  if (c[0].name === 'ip4' && first >= 224) return false
  if (c[0].name === 'ip6' && ip.toLowerCase().startsWith('ff')) return false
  return true
}

export function encodePeerList (peers: ExchangedPeer[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ peers }))
}

/**
 * Decodes and checks a reply. Throws on anything a well-behaved peer never
 * sends (bad JSON, too many peers or addresses, bad peer ids); addresses of
 * an undialable shape are only dropped.
 */
export function decodePeerList (bytes: Uint8Array, allowLoopback: boolean): Array<{ id: PeerId, addrs: Multiaddr[] }> {
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new Error('peer list is not JSON')
  }
  const peers = (body as { peers?: unknown })?.peers
  if (!Array.isArray(peers)) throw new Error('peer list has no "peers" array')
  if (peers.length > PX_MAX_PEERS) throw new Error(`peer list of ${peers.length} peers (at most ${PX_MAX_PEERS})`)
  return peers.map((p: unknown) => {
    const { id, addrs } = (p ?? {}) as { id?: unknown, addrs?: unknown }
    if (typeof id !== 'string' || id.length > 128 || !Array.isArray(addrs) || addrs.length > PX_MAX_ADDRS) throw new Error('peer list entry of the wrong shape')
    let peerId: PeerId
    try { peerId = peerIdFromString(id) } catch { throw new Error(`"${id.slice(0, 64)}" is not a peer id`) }
    const good = addrs.flatMap((a: unknown) => {
      if (typeof a !== 'string' || a.length > 128) throw new Error('peer list address of the wrong shape')
      try {
        const ma = multiaddr(a)
        return dialableShape(ma) && (allowLoopback || !isLoopbackAddr(ma)) ? [ma] : []
      } catch {
        return []
      }
    })
    return { id: peerId, addrs: good }
  })
}

export interface PeerExchangeOptions {
  node: Node
  protocol: string
  reputation: PeerReputation
  /** Whether to ask for more peers now (outbound slots free). */
  wantsPeers: () => boolean
  /** Called when a reply added peers to the address book. */
  onLearnt?: () => void
  log: Logger
}

export class PeerExchange {
  private readonly opts: PeerExchangeOptions
  private readonly askedAt = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  /** Peers learnt (new to the address book), for tests and the LAN report. */
  learnt = 0

  constructor (opts: PeerExchangeOptions) {
    this.opts = opts
  }

  async start (): Promise<void> {
    const { node } = this.opts
    await serveRpc(node, {
      protocol: this.opts.protocol,
      label: 'peers',
      maxRequestBytes: 16,
      maxResponseBytes: PX_MAX_REPLY_BYTES,
      timeoutMs: PX_TIMEOUT_MS,
      budget: { requestsPerSecond: PX_SERVE_PER_SECOND, requestBurst: PX_SERVE_BURST, bytesPerSecond: PX_MAX_REPLY_BYTES, byteBurst: 4 * PX_MAX_REPLY_BYTES, ipFactor: 4, maxWaitMs: 1000 },
      reputation: this.opts.reputation,
      log: this.opts.log,
      handle: async (_request, peerId) => encodePeerList(await this.sample(peerId))
    })
    // identify must have run (the peer speaks our protocol) before we ask
    node.addEventListener('peer:identify', (evt) => {
      if (evt.detail.protocols.includes(this.opts.protocol)) this.ask(evt.detail.connection)
    })
    this.timer = setInterval(() => { this.askOne() }, PX_INTERVAL_MS)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Up to PX_MAX_PEERS connected peers (not the asker) with their listen addresses, in random order. */
  private async sample (askerId: string): Promise<ExchangedPeer[]> {
    const { node } = this.opts
    const asker = node.getConnections().find(c => c.remotePeer.toString() === askerId)
    const loopbackAsker = asker !== undefined && isLoopbackAddr(asker.remoteAddr)
    const peers = node.getPeers().filter(p => p.toString() !== askerId).sort(() => Math.random() - 0.5)
    const out: ExchangedPeer[] = []
    for (const p of peers) {
      if (out.length >= PX_MAX_PEERS) break
      const stored = await node.peerStore.get(p).catch(() => undefined)
      const addrs = (stored?.addresses ?? []).map(a => a.multiaddr)
        .filter(ma => dialableShape(ma) && (loopbackAsker || !isLoopbackAddr(ma)))
        .slice(0, PX_MAX_ADDRS).map(ma => ma.toString())
      if (addrs.length > 0) out.push({ id: p.toString(), addrs })
    }
    return out
  }

  /** Asks a random connected peer not asked lately, while we want more peers. */
  private askOne (): void {
    if (!this.opts.wantsPeers()) return
    const now = Date.now()
    const conns = this.opts.node.getConnections().filter(c => c.status === 'open' && now - (this.askedAt.get(c.remotePeer.toString()) ?? 0) >= PX_INTERVAL_MS)
    if (conns.length > 0) this.ask(conns[Math.floor(Math.random() * conns.length)])
  }

  private ask (conn: Connection): void {
    const { node, reputation, log } = this.opts
    const id = conn.remotePeer.toString()
    const now = Date.now()
    if (now - (this.askedAt.get(id) ?? 0) < PX_INTERVAL_MS || this.timer === undefined) return
    this.askedAt.set(id, now)
    if (this.askedAt.size > 4096) this.askedAt.delete(this.askedAt.keys().next().value as string)
    void (async () => {
      let reply: Uint8Array
      try {
        reply = await rpcRequest(node, conn.remotePeer, this.opts.protocol, new Uint8Array([1]), { maxResponseBytes: PX_MAX_REPLY_BYTES, timeoutMs: PX_TIMEOUT_MS, label: 'peers' })
      } catch (err) {
        if ((err as { name?: string }).name === 'InvalidDataLengthError') reputation.penalize(id, PeerAction.MALFORMED_REPLY, 'peers-oversized')
        log.debug('peer exchange request failed', { peer: id, err: (err as Error).message })
        return
      }
      let heard
      try {
        heard = decodePeerList(reply, isLoopbackAddr(conn.remoteAddr))
      } catch (err) {
        reputation.penalize(id, PeerAction.MALFORMED_REPLY, 'peers-malformed')
        log.debug('malformed peer list', { peer: id, err: (err as Error).message })
        return
      }
      // the node may be stopping (its address book closed): a lost hint is no loss
      await this.remember(heard).catch((err: Error) => { log.debug('peer list not stored', { peer: id, err: err.message }) })
    })()
  }

  /** New peers go into the address book as hints; known peers keep their addresses. */
  private async remember (heard: Array<{ id: PeerId, addrs: Multiaddr[] }>): Promise<void> {
    const { node, reputation } = this.opts
    const before = this.learnt
    for (const { id, addrs } of heard) {
      if (this.timer === undefined) return
      if (addrs.length === 0 || id.equals(node.peerId) || reputation.isBanned(id.toString())) continue
      if (await node.peerStore.has(id)) continue
      await node.peerStore.merge(id, { multiaddrs: addrs, tags: { [TAG_HEARD]: { value: 0 } } }).catch(() => {})
      this.learnt++
    }
    if (this.learnt > before) this.opts.onLearnt?.()
  }
}
