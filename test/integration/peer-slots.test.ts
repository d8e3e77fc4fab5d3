// Issue 9.6, punishment escaped with a new peer id: inbound connections are
// capped per IP and in total, a ban reaches the IP so a fresh id from it is
// refused, and inbound peers never take the slots of the peers we dial.
// Loopback is normally exempt (a one-machine devnet); here it is not, and
// 127.0.0.x source addresses stand for different machines.
import { afterEach, describe, expect, it } from 'vitest'
import type { Libp2p } from 'libp2p'
import { P2PHost } from '../../src/p2p/host.js'
import { loopbackHostOptions } from '../support/loopback-host.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { ipOfMultiaddr } from '../../src/p2p/peer-address.js'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { plainPeer } from '../support/plain-peer.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

async function victim (maxPeers: number, maxInboundPerIp: number, reputation = new PeerReputation({ exemptLoopback: false })): Promise<P2PHost> {
  const host = await P2PHost.create(await loopbackHostOptions('victim', { maxPeers, maxInboundPerIp, reputation }))
  await host.start()
  cleanup.add(async () => await host.stop())
  return host
}

/** A plain libp2p peer dialling from `from`; listens on 127.0.0.1 when `listen` (so it can be dialled). */
async function peer (from: string, listen = false): Promise<Libp2p> {
  const node = await plainPeer({ from, listen })
  cleanup.add(async () => await node.stop())
  return node
}

/** Dials the victim and reports whether the connection is up once both sides have settled. */
async function tryConnect (p: Libp2p, host: P2PHost): Promise<boolean> {
  await p.dial(host.node.getMultiaddrs()[0]).catch(() => {})
  // a refused upgrade leaves the dialler with a connection the victim closes: wait until both agree
  await waitFor(() => (p.getConnections(host.node.peerId).length > 0) === (host.node.getConnections(p.peerId).length > 0), 'both sides to agree')
  return host.node.getConnections(p.peerId).length > 0
}

function inboundFrom (host: P2PHost, ip: string): number {
  return host.node.getConnections().filter(c => c.direction === 'inbound' && ipOfMultiaddr(c.remoteAddr) === ip).length
}

describe('per-IP limits', () => {
  it('accepts at most maxInboundPerIp connections from one IP whatever ids it uses, and other IPs still get in', async () => {
    const host = await victim(16, 2)
    let accepted = 0
    for (let i = 0; i < 5; i++) if (await tryConnect(await peer('127.0.0.1'), host)) accepted++
    expect(accepted).toBe(2)
    expect(inboundFrom(host, '127.0.0.1')).toBe(2)
    expect(await tryConnect(await peer('127.0.0.2'), host)).toBe(true)
  })

  it('a ban reaches the IP: its connections drop and a fresh id from it is refused, other IPs are not', async () => {
    const reputation = new PeerReputation({ exemptLoopback: false })
    const host = await victim(16, 4, reputation)
    const banned = await peer('127.0.0.3')
    const sibling = await peer('127.0.0.3')
    const other = await peer('127.0.0.4')
    for (const p of [banned, sibling, other]) expect(await tryConnect(p, host)).toBe(true)

    reputation.penalize(banned.peerId.toString(), 200, 'test')
    // the sibling id did nothing wrong, but shares the banned peer's IP
    await waitFor(() => inboundFrom(host, '127.0.0.3') === 0, 'every connection from the banned IP to drop', 10_000)
    expect(reputation.isIpBanned('127.0.0.3')).toBe(true)

    const fresh = await peer('127.0.0.3')
    expect(await tryConnect(fresh, host)).toBe(false)
    expect(host.node.getConnections(other.peerId).length).toBe(1)
    expect(await tryConnect(await peer('127.0.0.5'), host)).toBe(true)
  })
})

describe('inbound slots', () => {
  it('inbound peers from many IPs cannot take the slots of the peers we dial', async () => {
    // maxPeers 4: 2 outbound slots kept free, 2 inbound
    const host = await victim(4, 4)
    let accepted = 0
    for (let i = 0; i < 6; i++) if (await tryConnect(await peer(`127.0.0.${10 + i}`), host)) accepted++
    expect(accepted).toBe(2)

    // a peer we learn about is still dialled, and it stays while inbound peers keep knocking
    const chosen = await peer('127.0.0.1', true)
    host.node.safeDispatchEvent('peer:discovery', { detail: { id: chosen.peerId, multiaddrs: chosen.getMultiaddrs() } })
    await waitFor(() => host.node.getConnections(chosen.peerId).some(c => c.direction === 'outbound'), 'the discovered peer to be dialled')
    for (let i = 0; i < 3; i++) await tryConnect(await peer(`127.0.0.${20 + i}`), host)
    expect(host.node.getConnections(chosen.peerId).length).toBeGreaterThan(0)
    expect(host.node.getConnections().filter(c => c.direction === 'inbound').length).toBeLessThanOrEqual(2)
    expect(host.slots).toMatchObject({ outbound: 2, inbound: 2 })
  })

  it('when inbound slots are full, a newcomer evicts the youngest peer of the IP with the most connections', async () => {
    // maxPeers 12: 6 outbound slots, 6 inbound
    const host = await victim(12, 3)
    const honest = [await peer('127.0.0.30'), await peer('127.0.0.31'), await peer('127.0.0.32')]
    const sybils = [await peer('127.0.0.40'), await peer('127.0.0.40'), await peer('127.0.0.40')]
    for (const p of [...honest, ...sybils]) expect(await tryConnect(p, host)).toBe(true)

    const newcomer = await peer('127.0.0.50')
    expect(await tryConnect(newcomer, host)).toBe(true)
    await waitFor(() => host.node.getConnections(sybils[2].peerId).length === 0, 'the youngest sybil to be evicted', 10_000)
    for (const p of [...honest, sybils[0], sybils[1]]) expect(host.node.getConnections(p.peerId).length).toBe(1)
    expect(host.node.getConnections().filter(c => c.direction === 'inbound').length).toBe(6)
  })
})
