// What a peer-exchange reply may make a node dial: bounded count, only TCP
// addresses of the right shape, loopback only from a loopback peer.
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { decodePeerList, dialableShape, encodePeerList, PX_MAX_ADDRS, PX_MAX_PEERS } from '../../src/p2p/peer-exchange.js'
import { backoffDelay, BOOTSTRAP_MAX_DELAY_MS } from '../../src/p2p/connection-keeper.js'

async function peerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

describe('peer exchange replies', () => {
  it('keeps TCP addresses of the right shape and drops the rest', async () => {
    const id = await peerId()
    const addrs = ['/ip4/10.0.0.7/tcp/4001', '/ip4/0.0.0.0/tcp/4001', '/ip4/224.0.0.251/tcp/5353', '/ip4/10.0.0.7/udp/4001', '/ip4/10.0.0.7/tcp/4001/p2p/' + id]
    const [entry] = decodePeerList(encodePeerList([{ id, addrs: addrs.slice(0, PX_MAX_ADDRS) }]), false)
    expect(entry.id.toString()).toBe(id)
    expect(entry.addrs.map(a => a.toString())).toEqual(['/ip4/10.0.0.7/tcp/4001'])
    expect(dialableShape(multiaddr('/ip6/fd00::1/tcp/9'))).toBe(true)
    expect(dialableShape(multiaddr('/ip4/10.0.0.1/tcp/0'))).toBe(false)
  })

  it('takes loopback addresses only from a peer on loopback', async () => {
    const id = await peerId()
    const reply = encodePeerList([{ id, addrs: ['/ip4/127.0.0.1/tcp/4001'] }])
    expect(decodePeerList(reply, false)[0].addrs).toEqual([])
    expect(decodePeerList(reply, true)[0].addrs.map(a => a.toString())).toEqual(['/ip4/127.0.0.1/tcp/4001'])
  })

  it('refuses more peers or addresses than allowed, bad ids and non-JSON', async () => {
    const id = await peerId()
    const many = Array.from({ length: PX_MAX_PEERS + 1 }, () => ({ id, addrs: ['/ip4/10.0.0.1/tcp/1'] }))
    expect(() => decodePeerList(encodePeerList(many), false)).toThrow(/at most/)
    const wide = [{ id, addrs: Array.from({ length: PX_MAX_ADDRS + 1 }, (_, i) => `/ip4/10.0.0.${i + 1}/tcp/1`) }]
    expect(() => decodePeerList(encodePeerList(wide), false)).toThrow(/wrong shape/)
    expect(() => decodePeerList(encodePeerList([{ id: 'not-a-peer', addrs: [] }]), false)).toThrow(/not a peer id/)
    expect(() => decodePeerList(new TextEncoder().encode('{"peers": 5'), false)).toThrow(/not JSON/)
    expect(() => decodePeerList(new TextEncoder().encode('{"nodes": []}'), false)).toThrow(/no "peers"/)
  })
})

describe('connection keeper backoff', () => {
  it('grows, is capped, and for bootstrap peers stays within seconds', () => {
    const mid = (): number => 0.5
    expect(backoffDelay(1, false, mid)).toBe(1000)
    expect(backoffDelay(3, false, mid)).toBe(4000)
    expect(backoffDelay(100, false, mid)).toBe(300_000)
    expect(backoffDelay(100, true, mid)).toBe(BOOTSTRAP_MAX_DELAY_MS)
    expect(backoffDelay(100, true, () => 0.999)).toBeLessThanOrEqual(1.2 * BOOTSTRAP_MAX_DELAY_MS)
  })
})
