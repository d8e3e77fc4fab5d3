// mDNS discovery, quieted. @libp2p/mdns answers every query by multicast, so
// every host hears every host's answer to every query: with N hosts each
// querying every I seconds a node handles N²/I discovery events a second
// (40 hosts at the old 2 s interval: ~780/s per node, each one a peer-store
// write and a dial check, on every node at once). That CPU storm is what left
// 40-host LANs with 3-12 peers per node. Two changes fix it: a longer query
// interval (one query from any host informs every host, so discovery still
// takes about I/N), and this filter, which passes a peer on only when it is
// new, its addresses changed, or it was last passed on long ago; and drops
// the loopback addresses each host announces (unreachable from other hosts)
// before libp2p stores them.
//
// That filter still parses every answer, and answers are what scale: a query
// from any host makes all N hosts answer by multicast, so with every host
// querying every I seconds each node parses N²/I answers a second. A 50-host
// LAN on 2 cores (~250 a second per node) never completed a handshake. So a
// node queries only while it wants peers (outbound slots free), like Core,
// which asks its DNS seeds only when its address book cannot fill its
// outbound slots; it always answers, so newcomers still find everyone.
// Wanting peers is not enough either: while starved nodes fail their
// handshakes, every one of them wants peers and keeps asking, and the
// answers starve them further. A node that has heard enough hosts recently
// (ENOUGH_HEARD within HEARD_WINDOW_MS) has candidates in its address book
// for the connection keeper to dial, so it does not ask; once it has heard
// too few for a while (nobody asked, hosts left) it asks again.
import { peerDiscoverySymbol, type PeerDiscovery, type PeerInfo, type Startable } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import type { Multiaddr } from '@multiformats/multiaddr'
import { isLoopbackAddr } from './peer-address.js'

/** Query interval (libp2p's default): discovery latency on a LAN of N hosts is about this / N. */
export const MDNS_INTERVAL_MS = 10_000
/** A peer already passed on is passed on again (for a new dial attempt) after this long. */
const REPEAT_AFTER_MS = 30_000
/** Hosts heard within HEARD_WINDOW_MS that make a query unnecessary (twice the keeper's outbound target). */
export const ENOUGH_HEARD = 16
const HEARD_WINDOW_MS = 5 * 60_000
/** Peers remembered by the filter; beyond it the oldest are forgotten (and may be passed on again). */
const MAX_REMEMBERED = 1024

type Inner = PeerDiscovery & Startable

class QuietDiscovery extends EventTarget implements Startable {
  readonly [peerDiscoverySymbol] = this as unknown as PeerDiscovery
  readonly [Symbol.toStringTag] = 'minicoin-lan-discovery'
  private readonly inner: Inner
  private readonly seen = new Map<string, { addrs: string, at: number }>()
  private readonly counts: DiscoveryCounts
  private readonly opts: QueryPolicy

  constructor (inner: Inner, counts: DiscoveryCounts, opts: QueryPolicy) {
    super()
    this.inner = inner
    this.counts = counts
    this.opts = opts
    inner.addEventListener('peer', (evt) => { this.onPeer(evt.detail) })
  }

  private onPeer (peer: PeerInfo): void {
    const reachable = peer.multiaddrs.filter((ma: Multiaddr) => !isLoopbackAddr(ma))
    if (reachable.length === 0) { this.counts.dropped++; return }
    const id = peer.id.toString()
    const addrs = reachable.map(a => a.toString()).sort().join(' ')
    const now = Date.now()
    const last = this.seen.get(id)
    if (last !== undefined && last.addrs === addrs && now - last.at < REPEAT_AFTER_MS) { this.counts.dropped++; return }
    this.seen.delete(id)
    this.seen.set(id, { addrs, at: now })
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string)
    this.counts.passed++
    this.dispatchEvent(new CustomEvent<PeerInfo>('peer', { detail: { id: peer.id, multiaddrs: reachable } }))
  }

  async start (): Promise<void> {
    await this.inner.start()
    // @libp2p/mdns queried once at start and set its own timer: ours asks
    // only while the node wants peers (its stop() clears whichever is set)
    const inner = this.inner as unknown as MdnsInternals
    if (inner._queryInterval === undefined || inner.mdns === undefined || inner.serviceTag === undefined) return
    if (inner._queryInterval !== null) clearInterval(inner._queryInterval)
    const { mdns, serviceTag } = inner
    inner._queryInterval = setInterval(() => {
      if (!this.opts.wantsPeers() || this.heardRecently() >= this.opts.enoughHeard) return
      this.counts.queries++
      mdns.query({ questions: [{ name: serviceTag, type: 'PTR' }] })
    }, this.opts.intervalMs)
  }

  /** Distinct hosts whose answer was passed on within the window. */
  private heardRecently (): number {
    const since = Date.now() - HEARD_WINDOW_MS
    let n = 0
    for (const { at } of this.seen.values()) if (at >= since) n++
    return n
  }

  async stop (): Promise<void> {
    await this.inner.stop()
    this.seen.clear()
  }
}

/** What this module touches inside @libp2p/mdns 12 (checked at start; without it, libp2p's own timer stays). */
interface MdnsInternals {
  _queryInterval?: ReturnType<typeof setInterval> | null
  mdns?: { query: (q: { questions: Array<{ name: string, type: string }> }) => void }
  serviceTag?: string
}

/** Answers passed on and dropped, and periodic queries sent (the one at start not counted). */
export interface DiscoveryCounts { passed: number, dropped: number, queries: number }

export interface QueryPolicy {
  /** Whether to query now (the node has free outbound slots). */
  wantsPeers: () => boolean
  intervalMs: number
  /** Hosts heard recently enough that asking is not needed. */
  enoughHeard: number
}

/** The filter and query policy around a discovery that behaves like @libp2p/mdns (exported for tests). */
export function quietDiscovery (inner: Inner, counts: DiscoveryCounts, policy: Partial<QueryPolicy> = {}): PeerDiscovery & Startable {
  return new QuietDiscovery(inner, counts, { wantsPeers: () => true, intervalMs: MDNS_INTERVAL_MS, enoughHeard: ENOUGH_HEARD, ...policy }) as unknown as PeerDiscovery & Startable
}

/** mDNS for libp2p's `peerDiscovery`, with the quieting filter above. */
export function lanDiscovery (counts: DiscoveryCounts, policy: Partial<QueryPolicy> = {}): (components: any) => PeerDiscovery {
  const opts: QueryPolicy = { wantsPeers: () => true, intervalMs: MDNS_INTERVAL_MS, enoughHeard: ENOUGH_HEARD, ...policy }
  const factory = mdns({ interval: opts.intervalMs })
  return (components) => new QuietDiscovery(factory(components) as Inner, counts, opts) as unknown as PeerDiscovery
}

