// A LAN that runs by itself (issue 11): machines boot in any order, a
// restarted node finds the peers it knew, and nodes that each know only one
// bootstrap node learn of each other, so losing that node loses nothing.
// Real full nodes in this process over loopback, mDNS off.
import { afterEach, describe, expect, it } from 'vitest'
import { FullNode } from '../../src/node/full-node.js'
import { genesisTip, mineChain, newKey } from '../../bench/support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

interface Started { node: FullNode, stop: () => Promise<void> }

async function startNode (role: 'miner' | 'full', dataDir: string, bootstrap: string[], port = 0): Promise<Started> {
  const node = await FullNode.start(testConfig(role, dataDir, { p2p: { host: '127.0.0.1', port, bootstrap, mdns: false, maxPeers: 32 } }), testLogger(role))
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await node.stop()
  }
  cleanup.add(stop)
  return { node, stop }
}

function addressOf (node: FullNode): string {
  return `${node.listen[0]}/p2p/${node.peerId}`
}

function portOf (node: FullNode): number {
  return Number(node.listen[0].split('/tcp/')[1].split('/')[0])
}

describe('any boot order', () => {
  it('a node started before its bootstrap peer connects within seconds of that peer starting, and syncs from it', async () => {
    // the bootstrap peer's identity and port exist before the node that knows it starts
    const seedDir = cleanup.tempDir()
    const seed = await startNode('miner', seedDir, [])
    const seedAddr = addressOf(seed.node)
    const seedPort = portOf(seed.node)
    const { blocks } = mineChain(genesisTip(), 30, newKey())
    for (const b of blocks) await seed.node.chain.processBlock(b)
    const seedTip = seed.node.chain.tip.hashHex
    await seed.stop()

    const early = await startNode('full', cleanup.tempDir(), [seedAddr])
    // it tried, failed and is backing off (several attempts, not one)
    await waitFor(() => early.node.host.keeper.dials >= 3, 'the early node to retry its bootstrap peer', 30_000)
    expect(early.node.status().peers).toBe(0)

    await startNode('miner', seedDir, [], seedPort)
    await waitFor(() => early.node.status().peers === 1, 'the early node to reach its bootstrap peer once it is up', 20_000)
    await waitFor(() => early.node.chain.tip.hashHex === seedTip, 'the early node to sync from it')
    expect(early.node.chain.height).toBe(30)
  }, 90_000)
})

describe('address book', () => {
  it('a node restarted with an empty bootstrap list reconnects to the peers it knew', async () => {
    const a = await startNode('full', cleanup.tempDir(), [])
    const b = await startNode('full', cleanup.tempDir(), [])
    const dir = cleanup.tempDir()
    const first = await startNode('full', dir, [addressOf(a.node), addressOf(b.node)])
    await waitFor(() => first.node.status().peers === 2, 'the node to connect to both peers')
    const id = first.node.peerId
    await first.stop()
    await waitFor(() => a.node.status().peers === 0 && b.node.status().peers === 0, 'the peers to see it go')

    const again = await startNode('full', dir, [])
    expect(again.node.peerId).toBe(id)
    await waitFor(() => again.node.status().peers === 2, 'the restarted node to reconnect to the peers it knew', 20_000)
    expect(new Set(again.node.host.peers())).toEqual(new Set([a.node.peerId, b.node.peerId]))
  }, 90_000)
})

describe('peer exchange', () => {
  it('eight nodes knowing only one bootstrap node learn of each other; with it stopped, a miner\'s next blocks reach all eight', async () => {
    const hub = await startNode('full', cleanup.tempDir(), [])
    const hubAddr = addressOf(hub.node)
    const miner = await startNode('miner', cleanup.tempDir(), [hubAddr])
    const others: Started[] = []
    for (let i = 0; i < 7; i++) others.push(await startNode('full', cleanup.tempDir(), [hubAddr]))
    const eight = [miner, ...others]
    const ids = new Set(eight.map(s => s.node.peerId))
    const knownOthers = (s: Started): number => s.node.host.peers().filter(p => ids.has(p) && p !== s.node.peerId).length
    // each connected to at least four of the other seven, not only to the hub
    await waitFor(() => eight.every(s => knownOthers(s) >= 4), 'the eight nodes to learn of each other by peer exchange', 60_000)

    await hub.stop()
    await waitFor(() => eight.every(s => !s.node.host.peers().includes(hub.node.peerId)), 'the hub to be gone')
    const start = miner.node.chain.height
    miner.node.mining!.setEnabled(true)
    await waitFor(() => miner.node.chain.height >= start + 3, 'the miner to mine three blocks')
    miner.node.mining!.setEnabled(false)
    await waitFor(() => miner.node.miner?.running === false, 'mining to stop')
    const tip = miner.node.chain.tip.hashHex
    await waitFor(() => others.every(s => s.node.chain.tip.hashHex === tip), 'the miner\'s blocks to reach all eight without the hub')
  }, 150_000)
})
