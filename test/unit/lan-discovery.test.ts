// mDNS answers scale with N² per node: every query makes all N hosts answer
// by multicast. A node sends its periodic query only while it wants peers.
// (No real mDNS here: multicast must never leave this machine; the inner
// discovery is a stand-in shaped like @libp2p/mdns 12.)
import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { quietDiscovery } from '../../src/p2p/lan-discovery.js'

afterEach(() => { vi.useRealTimers() })

/** Like @libp2p/mdns: queries at start, then on its own timer. */
function fakeMdns (): { inner: any, queries: () => number } {
  let queries = 0
  const mdns = { query: () => { queries++ } }
  const inner = Object.assign(new EventTarget(), {
    mdns: undefined as typeof mdns | undefined,
    serviceTag: '_p2p._udp.local',
    _queryInterval: null as ReturnType<typeof setInterval> | null,
    async start () {
      this.mdns = mdns
      mdns.query()
      this._queryInterval = setInterval(() => { mdns.query() }, 1000)
    },
    async stop () {
      if (this._queryInterval !== null) clearInterval(this._queryInterval)
      this._queryInterval = null
      this.mdns = undefined
    }
  })
  return { inner, queries: () => queries }
}

describe('LAN discovery (mDNS) queries', () => {
  it('queries once at start, then only while the node wants peers; stop ends the queries', async () => {
    vi.useFakeTimers()
    const { inner, queries } = fakeMdns()
    let wants = false
    const counts = { passed: 0, dropped: 0, queries: 0 }
    const discovery = quietDiscovery(inner, counts, { wantsPeers: () => wants, intervalMs: 1000 })
    await discovery.start()
    expect(queries()).toBe(1)
    // outbound slots full: ten intervals, no query
    await vi.advanceTimersByTimeAsync(10_000)
    expect(queries()).toBe(1)
    // a peer left: the node asks again, every interval
    wants = true
    await vi.advanceTimersByTimeAsync(3_000)
    expect(queries()).toBe(4)
    expect(counts.queries).toBe(3)
    await discovery.stop()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(queries()).toBe(4)
  })

  it('does not ask while it has heard enough hosts recently, and asks again once they fall silent', async () => {
    vi.useFakeTimers()
    const { inner } = fakeMdns()
    const counts = { passed: 0, dropped: 0, queries: 0 }
    const discovery = quietDiscovery(inner, counts, { wantsPeers: () => true, intervalMs: 1000, enoughHeard: 3 })
    await discovery.start()
    const hear = async (i: number): Promise<void> => {
      const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      inner.dispatchEvent(new CustomEvent('peer', { detail: { id, multiaddrs: [multiaddr(`/ip4/10.0.0.${i}/tcp/4001`)] } }))
    }
    // wanting peers and knowing too few: it asks every interval
    await hear(1); await hear(2)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(counts.queries).toBe(2)
    // a third host heard: the keeper has candidates enough, no more queries
    await hear(3)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(counts.queries).toBe(2)
    // five minutes without hearing them: it asks again
    await vi.advanceTimersByTimeAsync(5 * 60_000)
    expect(counts.queries).toBeGreaterThan(2)
    await discovery.stop()
  })
})
