// The connection keeper paces outbound dials the way Bitcoin Core's
// ThreadOpenConnections does: a few at a time, to a target count. A LAN of
// 50 hosts whose nodes dialled every discovered peer at once drowned in
// handshakes and ended with no peers at all.
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { ConnectionKeeper, MAX_IN_FLIGHT } from '../../src/p2p/connection-keeper.js'
import { P2PHost } from '../../src/p2p/host.js'
import { loopbackHostOptions } from '../support/loopback-host.js'
import type { PeerBook } from '../../src/p2p/peer-book.js'
import { Cleanup, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

async function somePeers (n: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

/** Dials that stay pending until the test settles them; counts how many were in flight at once. */
class HeldDials {
  started: string[] = []
  inFlight = 0
  maxInFlight = 0
  private readonly waiting: Array<{ id: string, settle: (ok: boolean) => void }> = []

  dial = async (peer: PeerId): Promise<void> => {
    this.started.push(peer.toString())
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    const ok = await new Promise<boolean>(resolve => this.waiting.push({ id: peer.toString(), settle: resolve }))
    this.inFlight--
    if (!ok) throw new Error('connection refused')
  }

  /** Settles every dial pending now; returns the peers dialled. */
  settleAll (ok: boolean): string[] {
    const now = this.waiting.splice(0)
    for (const w of now) w.settle(ok)
    return now.map(w => w.id)
  }
}

describe('connection keeper', () => {
  it('forty candidates: at most MAX_IN_FLIGHT dials at once, and dialling stops at the outbound target', async () => {
    const ids = await somePeers(40)
    const outbound = new Set<string>()
    const dials = new HeldDials()
    const node = Object.assign(new EventTarget(), {
      getPeers: () => [...outbound].map(id => ids.find(p => p.toString() === id)!),
      getConnections: (peer?: PeerId) => peer === undefined ? [...outbound].map(id => ({ direction: 'outbound', id })) : outbound.has(peer.toString()) ? [{ direction: 'outbound' }] : [],
      dial: dials.dial
    })
    const book = { candidates: async () => ids.map(id => ({ id })) } as unknown as PeerBook
    const TARGET = 8
    const keeper = new ConnectionKeeper({ node: node as any, book, bootstrapIds: new Set(), freeOutbound: () => TARGET - outbound.size, log: testLogger('keeper') })
    keeper.start()
    cleanup.add(() => { keeper.stop() })

    for (let round = 0; round < 10; round++) {
      for (let t = 0; t < 5; t++) await keeper.tick()
      expect(dials.inFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT)
      // every dial succeeds: the peer becomes an outbound connection
      for (const id of dials.settleAll(true)) outbound.add(id)
      await new Promise(resolve => setImmediate(resolve))
    }
    expect(dials.maxInFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT)
    expect(dials.maxInFlight).toBeGreaterThan(1)
    expect(outbound.size).toBe(TARGET)
    expect(dials.started.length).toBe(TARGET)
  })

  it('a host that discovers forty peers dials them through the keeper: a few at a time, not all at once', async () => {
    // the keeper's MAX_IN_FLIGHT, spelled out so the check does not depend on the module under test
    const AT_ONCE = 4
    const host = await P2PHost.create(await loopbackHostOptions('host', { maxPeers: 50 }))
    cleanup.add(async () => { dials.settleAll(false); await host.stop() })
    const dials = new HeldDials()
    host.node.dial = dials.dial as unknown as typeof host.node.dial
    await host.start()
    const ids = await somePeers(40)
    // what mDNS would report: forty hosts of the LAN at once
    for (const [i, id] of ids.entries()) host.node.safeDispatchEvent('peer:discovery', { detail: { id, multiaddrs: [multiaddr(`/ip4/10.9.0.${i + 1}/tcp/4001`)] } })
    await waitFor(async () => (await host.node.peerStore.all()).length >= 40, 'the discovered peers to be in the address book')
    await waitFor(() => dials.started.length >= AT_ONCE, 'the keeper to dial')
    for (let t = 0; t < 5; t++) await host.keeper.tick()
    expect(dials.maxInFlight).toBeLessThanOrEqual(AT_ONCE)
    // failed dials free their places; the keeper goes on, still a few at a time
    dials.settleAll(false)
    await waitFor(() => dials.started.length >= 2 * AT_ONCE, 'the keeper to dial the next candidates')
    expect(dials.maxInFlight).toBeLessThanOrEqual(AT_ONCE)
  })
})
