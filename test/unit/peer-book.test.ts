// The address book is bounded and keeps no banned peer: past maxKnown the
// peers merely heard of go first, then the least recently useful; bootstrap
// and connected peers stay.
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { PeerBook, TAG_CHOSEN, TAG_HEARD } from '../../src/p2p/peer-book.js'
import { testLogger } from '../../bench/support/nodes.js'

let node: Libp2p | undefined
afterEach(async () => { await node?.stop(); node = undefined })

async function somePeers (n: number): Promise<PeerId[]> {
  return await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
}

describe('address book', () => {
  it('keeps at most maxKnown peers: heard-of first out, bootstrap and connected kept; banned peers out', async () => {
    node = await createLibp2p({ start: false })
    const [boot, connected, banned, ...rest] = await somePeers(23)
    const chosen = rest.slice(0, 10)
    const heard = rest.slice(10)
    const at = (i: number) => [multiaddr(`/ip4/10.0.0.${i + 1}/tcp/4001`)]
    await node.peerStore.merge(boot, { multiaddrs: at(200) })
    await node.peerStore.merge(connected, { multiaddrs: at(201), tags: { [TAG_HEARD]: { value: 0 } } })
    await node.peerStore.merge(banned, { multiaddrs: at(202), tags: { [TAG_CHOSEN]: { value: 50 } } })
    for (const [i, p] of chosen.entries()) await node.peerStore.merge(p, { multiaddrs: at(i), tags: { [TAG_CHOSEN]: { value: 50 } } })
    for (const [i, p] of heard.entries()) await node.peerStore.merge(p, { multiaddrs: at(100 + i), tags: { [TAG_HEARD]: { value: 0 } } })
    const book = new PeerBook({ peerStore: node.peerStore, self: node.peerId, bootstrapIds: new Set([boot.toString()]), maxKnown: 14, isBanned: id => id === banned.toString(), log: testLogger('book') })

    expect((await book.candidates()).map(p => p.id.toString())).not.toContain(banned.toString())
    await book.prune(new Set([connected.toString()]))
    const left = new Set((await node.peerStore.all()).map(p => p.id.toString()))
    expect(left.size).toBe(14)
    expect(left.has(banned.toString())).toBe(false)
    expect(left.has(boot.toString())).toBe(true)
    expect(left.has(connected.toString())).toBe(true)
    for (const p of chosen) expect(left.has(p.toString())).toBe(true)
    expect(heard.filter(p => left.has(p.toString())).length).toBe(2)
  })

  it('candidates of equal rank come in random order (every host of a LAN would otherwise dial the same few first), chosen peers first', async () => {
    node = await createLibp2p({ start: false })
    const [chosen, ...rest] = await somePeers(21)
    await node.peerStore.merge(chosen, { multiaddrs: [multiaddr('/ip4/10.0.1.1/tcp/4001')], tags: { [TAG_CHOSEN]: { value: 50 } } })
    for (const [i, p] of rest.entries()) await node.peerStore.merge(p, { multiaddrs: [multiaddr(`/ip4/10.0.0.${i + 1}/tcp/4001`)] })
    const book = new PeerBook({ peerStore: node.peerStore, self: node.peerId, bootstrapIds: new Set(), maxKnown: 64, isBanned: () => false, log: testLogger('book') })
    const seconds = new Set<string>()
    for (let i = 0; i < 10; i++) {
      const order = (await book.candidates()).map(p => p.id.toString())
      expect(order[0]).toBe(chosen.toString())
      expect(new Set(order).size).toBe(21)
      seconds.add(order[1])
    }
    // 20 equals: the same one second ten times in a row has probability 20^-9
    expect(seconds.size).toBeGreaterThan(1)
  })
})
