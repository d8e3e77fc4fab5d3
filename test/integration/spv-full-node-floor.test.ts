// Issue 11.4: an SPV node keeps connections to at least three full nodes
// when the network has them. Its outbound target may already be filled by
// peers that serve no proofs (other SPV nodes); it then dials past that
// target (never past maxPeers) until three peers serve the SPV protocol.
// Loopback only, mDNS off: the SPV node learns of the hosts through its
// address book, as it would from mDNS or peer exchange.
import { afterEach, describe, expect, it } from 'vitest'
import { P2PHost } from '../../src/p2p/host.js'
import { loopbackHostOptions } from '../support/loopback-host.js'
import { protocolsFor } from '../../src/p2p/protocols.js'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const SPV_PROTOCOL = protocolsFor('regtest').spv

async function host (name: string, maxPeers: number, minServing?: { protocol: string, count: number }): Promise<P2PHost> {
  const h = await P2PHost.create(await loopbackHostOptions(name, { maxPeers, minServing }))
  await h.start()
  cleanup.add(async () => await h.stop())
  return h
}

/** A host that serves the SPV protocol (identify lists it), as a full node does. */
async function fullNode (i: number): Promise<P2PHost> {
  const h = await host(`full-${i}`, 50)
  await h.node.handle(SPV_PROTOCOL, (stream) => { void stream.close() })
  return h
}

async function learnOf (spv: P2PHost, peers: P2PHost[]): Promise<void> {
  for (const p of peers) await spv.node.peerStore.merge(p.node.peerId, { multiaddrs: p.node.getMultiaddrs() })
  spv.keeper.wake()
}

describe('an SPV node and full nodes', () => {
  it('dials past its outbound target, within maxPeers, until three peers serve the SPV protocol', async () => {
    // maxPeers 6: an outbound target of 3, filled first by three peers that serve no proofs
    const spv = await host('spv', 6, { protocol: SPV_PROTOCOL, count: 3 })
    const others = await Promise.all([0, 1, 2].map(async i => await host(`other-${i}`, 50)))
    await learnOf(spv, others)
    await waitFor(() => others.every(o => spv.node.getConnections(o.node.peerId).length > 0), 'the SPV node to fill its outbound target with the other hosts', 30_000)

    const full = await Promise.all([0, 1, 2, 3].map(fullNode))
    await learnOf(spv, full)
    const connectedFull = (): number => full.filter(f => spv.node.getConnections(f.node.peerId).length > 0).length
    await waitFor(() => connectedFull() >= 3, 'the SPV node to reach three full nodes', 30_000)
    expect(spv.node.getPeers().length).toBeLessThanOrEqual(6)
  })
})
