// Issue 9.1: a peer that claims the most work and never delivers headers
// must not stall a late node, however often it comes back under a fresh
// peer id. The liar is plain libp2p speaking the sync protocol; an honest
// full node serves the real chain next to it.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { lpStream } from '@libp2p/utils'
import { Chain } from '../../src/chain/chain.js'
import { fromHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import type { Block } from '../../src/core/types.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { FullNode } from '../../src/node/full-node.js'
import { protocolsFor } from '../../src/p2p/protocols.js'
import { decodeSyncRequest, encodeErrorResponse, encodeStatusResponse } from '../../src/p2p/sync-messages.js'
import { genesisTip, mineChain, newKey, tipOf } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import type { Libp2p } from 'libp2p'
import { plainPeer } from '../support/plain-peer.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const protocols = protocolsFor('regtest')
const miner = newKey()

/** A full node whose data dir already holds `blocks`. */
async function startNode (blocks: Block[] = []): Promise<FullNode> {
  const dataDir = cleanup.tempDir()
  if (blocks.length > 0) {
    mkdirSync(dataDir, { recursive: true })
    const chain = await Chain.open({ location: join(dataDir, 'chain'), params: regtest, verifier: new NobleVerifier() })
    for (const b of blocks) await chain.processBlock(b)
    await chain.close()
  }
  const node = await FullNode.start(testConfig('full', dataDir), testLogger('full'))
  cleanup.add(async () => await node.stop())
  return node
}

/**
 * getHeaders counts only the victim's requests: other nodes may learn of the
 * liar by peer exchange and probe it on their own account.
 */
interface Liar { node: Libp2p, getHeaders: number }

/** Claims 2^250 work in Status; answers getHeaders with silence or an error. */
async function startLiar (mode: 'silent' | 'error', victim: FullNode): Promise<Liar> {
  const node = await plainPeer()
  const liar: Liar = { node, getHeaders: 0 }
  await node.handle(protocols.sync, async (stream, connection) => {
    const lp = lpStream(stream)
    const req = decodeSyncRequest((await lp.read()).subarray(), 64 * 1024, 64, 16)
    if (req.kind === 'status') {
      await lp.write(encodeStatusResponse({ genesis: fromHex(regtest.genesisHash), tip: rand(32), height: 1_000_000, work: 2n ** 250n }))
      await stream.close()
    } else if (req.kind === 'getHeaders') {
      if (connection.remotePeer.toString() === victim.host.peerId) liar.getHeaders++
      if (mode === 'error') {
        await lp.write(encodeErrorResponse('busy', 'not now'))
        await stream.close()
      } else {
        // say nothing until the asker gives up
        await new Promise(resolve => stream.addEventListener('close', resolve, { once: true }))
      }
    }
  })
  cleanup.add(async () => await node.stop())
  return liar
}

async function connectLiar (liar: Liar, victim: FullNode): Promise<void> {
  await liar.node.dial(victim.host.node.getMultiaddrs()[0])
  await waitFor(() => victim.sync.peerStates.get(liar.node.peerId.toString())?.work === 2n ** 250n, 'the victim to hear the liar\'s claim')
}

async function connectHonest (victim: FullNode, honest: FullNode): Promise<void> {
  await victim.host.node.dial(honest.host.node.getMultiaddrs()[0])
}

describe('a peer that claims the most work and never delivers', () => {
  it('delays nobody, is penalised and never preferred, however often it comes back under a fresh id', async () => {
    const chain = mineChain(genesisTip(), 40, miner).blocks
    const honest = await startNode(chain)
    const victim = await startNode()
    // the liar is there first and claims far more work than the honest node
    const first = await startLiar('silent', victim)
    await connectLiar(first, victim)
    await connectHonest(victim, honest)
    await waitFor(() => victim.chain.height === 40, 'the victim to catch up with the honest node')
    // caught up while the liar's request was still pending: catch-up did not wait for it to fail
    expect(victim.reputation.score(first.node.peerId.toString())).toBe(0)
    expect(first.getHeaders).toBe(1)

    // it comes back under fresh ids while the honest chain grows
    const liars = [first]
    let tip = tipOf(chain[chain.length - 1], 40)
    for (let round = 1; round <= 3; round++) {
      await liars[liars.length - 1].node.stop()
      const next = await startLiar('silent', victim)
      liars.push(next)
      await connectLiar(next, victim)
      const more = mineChain(tip, 10, miner, round).blocks
      for (const b of more) await honest.chain.processBlock(b)
      tip = tipOf(more[more.length - 1], tip.height + 10)
      await waitFor(() => victim.chain.height === tip.height, `the victim to follow the honest node (round ${round})`)
      expect(victim.reputation.score(next.node.peerId.toString())).toBe(0)
    }
    expect(victim.chain.tip.hashHex).toBe(honest.chain.tip.hashHex)

    // the last identity's request times out: it is penalised and not asked again
    const last = liars[liars.length - 1]
    const lastId = last.node.peerId.toString()
    await waitFor(() => victim.reputation.score(lastId) < 0, 'the silent liar to be penalised', 30_000)
    expect(victim.sync.peerStates.get(lastId)?.trustedAt).toBeUndefined()
    expect(victim.sync.peerStates.get(lastId)?.retryAfter).toBeGreaterThan(Date.now())
    // every identity was asked for headers at most once
    for (const l of liars) expect(l.getHeaders).toBeLessThanOrEqual(1)
    const penalties = await victim.metrics.registry.getSingleMetricAsString('minicoin_peer_penalties_total')
    expect(penalties).toMatch(/reason="sync-headers-not-delivered"} [1-9]/)
  }, 120_000)

  it('is penalised at once for an error reply, and the honest peer is used in the same round', async () => {
    const chain = mineChain(genesisTip(), 30, miner).blocks
    const honest = await startNode(chain)
    const victim = await startNode()
    const liar = await startLiar('error', victim)
    await connectLiar(liar, victim)
    await connectHonest(victim, honest)
    await waitFor(() => victim.chain.height === 30, 'the victim to catch up with the honest node')
    await waitFor(() => victim.reputation.score(liar.node.peerId.toString()) < 0, 'the liar to be penalised')
    expect(liar.getHeaders).toBe(1)
    const penalties = await victim.metrics.registry.getSingleMetricAsString('minicoin_peer_penalties_total')
    expect(penalties).toMatch(/reason="sync-headers-error-reply"} [1-9]/)
  })
})
