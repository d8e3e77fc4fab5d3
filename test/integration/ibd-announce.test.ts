// A full node catching up a chain from a peer does not announce every block
// it connects (history, as Bitcoin Core announces nothing in initial block
// download); the block that brings it to the best header it knows is
// announced, so SPV peers still learn the tip.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FullNode } from '../../src/node/full-node.js'
import { blockHashHex } from '../../src/core/block.js'
import { decodeHeaderAnnouncement } from '../../src/p2p/validation/header.js'
import { genesisTip, mineChain, newKey } from '../../bench/support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

async function startNode (bootstrap: FullNode[] = []): Promise<FullNode> {
  const list = bootstrap.map(n => `${n.listen[0]}/p2p/${n.peerId}`)
  const node = await FullNode.start(testConfig('full', cleanup.tempDir(), { p2p: { host: '127.0.0.1', port: 0, bootstrap: list, mdns: false, maxPeers: 8 } }), testLogger('full'))
  cleanup.add(async () => await node.stop())
  return node
}

describe('initial sync and header announcements', () => {
  it('announces only the block that reaches the best header, not each block it catches up', async () => {
    const { blocks } = mineChain(genesisTip(), 40, newKey())
    const source = await startNode()
    for (const b of blocks) await source.chain.processBlock(b)
    const fresh = await startNode()
    const published: string[] = []
    const gossip = (fresh as unknown as { gossip: { publish: (topic: string, data: Uint8Array) => void } }).gossip
    const publish = gossip.publish.bind(gossip)
    vi.spyOn(gossip, 'publish').mockImplementation((topic, data) => {
      if (topic === 'header') published.push(blockHashHex(decodeHeaderAnnouncement(data, 1_000_000)))
      publish(topic, data)
    })
    await fresh.host.node.dial(source.host.node.getMultiaddrs()[0])
    await waitFor(() => fresh.chain.height === 40, 'the fresh node at the source tip', 60_000)
    // headers come first, so most blocks connect behind the best header
    expect(published.length).toBeLessThan(10)
    expect(published).toContain(blockHashHex(blocks[39].header))
  })
})
