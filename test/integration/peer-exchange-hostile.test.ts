// A peer answering peer exchange with more than it may: the node penalises
// it and dials none of it; an honest-sized list of junk lands in the address
// book as hints only (no known peer's addresses are replaced).
import { afterEach, describe, expect, it } from 'vitest'
import { lpStream } from '@libp2p/utils'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p } from 'libp2p'
import { FullNode } from '../../src/node/full-node.js'
import { protocolsFor } from '../../src/p2p/protocols.js'
import { encodePeerList, PX_MAX_PEERS, type ExchangedPeer } from '../../src/p2p/peer-exchange.js'
import { TAG_HEARD } from '../../src/p2p/peer-book.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { plainPeer } from '../support/plain-peer.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

async function randomPeers (n: number, addr: (i: number) => string): Promise<ExchangedPeer[]> {
  const out: ExchangedPeer[] = []
  for (let i = 0; i < n; i++) out.push({ id: peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString(), addrs: [addr(i)] })
  return out
}

async function liar (node: FullNode, reply: Uint8Array): Promise<{ peer: Libp2p, asked: () => number }> {
  const peer = await plainPeer()
  cleanup.add(async () => await peer.stop())
  let asked = 0
  await peer.handle(protocolsFor(node.params.id).peers, async (stream) => {
    asked++
    const lp = lpStream(stream)
    await lp.read()
    await lp.write(reply)
    await stream.close()
  })
  await peer.dial(node.host.node.getMultiaddrs()[0])
  return { peer, asked: () => asked }
}

async function startNode (): Promise<FullNode> {
  const node = await FullNode.start(testConfig('full', cleanup.tempDir()), testLogger('full'))
  cleanup.add(async () => await node.stop())
  return node
}

describe('peer exchange from a hostile peer', () => {
  it('a list longer than allowed costs the peer and adds nobody to the address book', async () => {
    const node = await startNode()
    const listed = await randomPeers(PX_MAX_PEERS + 1, i => `/ip4/127.0.0.${i + 2}/tcp/9`)
    const { peer, asked } = await liar(node, encodePeerList(listed))
    await waitFor(() => asked() > 0, 'the node to ask the peer')
    await waitFor(() => node.reputation.score(peer.peerId.toString()) < 0, 'the peer to be penalised')
    for (const p of listed) expect(await node.host.node.peerStore.has(peerIdFromString(p.id))).toBe(false)
  })

  it('an allowed list is stored as hints, and cannot change the addresses of a peer the node knows', async () => {
    const node = await startNode()
    const other = await startNode()
    // the node knows `other` (it connected), then a liar claims `other` lives elsewhere
    await node.host.node.dial(other.host.node.getMultiaddrs()[0])
    const listed = await randomPeers(3, i => `/ip4/127.0.0.${i + 2}/tcp/9`)
    listed.push({ id: other.peerId, addrs: ['/ip4/127.0.0.99/tcp/9'] })
    const { asked } = await liar(node, encodePeerList(listed))
    await waitFor(() => asked() > 0, 'the node to ask the peer')
    await waitFor(async () => await node.host.node.peerStore.has(peerIdFromString(listed[0].id)), 'the heard peers to be stored')
    for (const p of listed.slice(0, 3)) {
      const stored = await node.host.node.peerStore.get(peerIdFromString(p.id))
      expect(stored.tags.has(TAG_HEARD)).toBe(true)
    }
    const known = await node.host.node.peerStore.get(peerIdFromString(other.peerId))
    expect(known.addresses.map(a => a.multiaddr.toString())).not.toContain('/ip4/127.0.0.99/tcp/9')
  })
})
