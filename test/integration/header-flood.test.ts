// Issue 9.2: a peer floods a node with headers of a branch that has far
// less work than the node's chain (cheap to make: a fork from genesis at the
// proof-of-work limit). Before the fix every header was stored, and read
// back at every start. Now headers of a branch that cannot win are checked
// and held in bounded memory for that peer, then dropped; nothing reaches
// disk, the peer is penalised, and honest sync goes on meanwhile.
//
// Bounds shown here: at most PRESYNC_HEADERS_PER_PEER (20,000) headers held
// per peer, 80 bytes each (1.6 MB; 6.4 MB for all peers together), none
// stored; the victim's data dir grows by less than 512 KiB while it takes
// in 100,000+ low-work headers and the 20 honest blocks it syncs.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { Chain } from '../../src/chain/chain.js'
import { antiDosWorkThreshold, PRESYNC_HEADERS_PER_PEER } from '../../src/chain/header-presync.js'
import { blockHash } from '../../src/core/block.js'
import { fromHex, toHex } from '../../src/core/bytes.js'
import { workForBits } from '../../src/core/pow.js'
import type { Block } from '../../src/core/types.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { FullNode } from '../../src/node/full-node.js'
import { limitsFor, protocolsFor } from '../../src/p2p/protocols.js'
import { decodeSyncRequest, encodeHeadersResponse, encodeStatusResponse } from '../../src/p2p/sync-messages.js'
import { newKey } from '../../bench/support/chain-fixtures.js'
import { cheapnet, heavyChain, LowWorkHeaders } from '../support/cheap-network.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import type { Libp2p } from 'libp2p'
import { plainPeer } from '../support/plain-peer.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const protocols = protocolsFor(cheapnet.id)
const PER_REPLY = limitsFor(cheapnet).headersPerReply
const FLOOD = 100_000
const DATA_DIR_GROWTH_BOUND = 512 * 1024

function dirBytes (dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const st = statSync(path)
    total += st.isDirectory() ? dirBytes(path) : st.size
  }
  return total
}

async function startNode (blocks: Block[]): Promise<{ node: FullNode, dataDir: string }> {
  const dataDir = cleanup.tempDir()
  mkdirSync(dataDir, { recursive: true })
  const chain = await Chain.open({ location: join(dataDir, 'chain'), params: cheapnet, verifier: new NobleVerifier() })
  for (const b of blocks) await chain.processBlock(b)
  await chain.close()
  const node = await FullNode.start(testConfig('full', dataDir), testLogger('full'), { params: cheapnet })
  cleanup.add(async () => await node.stop())
  return { node, dataDir }
}

interface Flooder { node: Libp2p, sent: number }
const replies = new Map<number, Uint8Array>()

/**
 * Claims huge work, and answers every getHeaders with the next 2,000 headers
 * of its low-work chain. `sent` counts what went to the victim: the honest
 * node may learn of the flooder by peer exchange and ask on its own account.
 */
async function startFlooder (chain: LowWorkHeaders, victimId: () => string): Promise<Flooder> {
  const node = await plainPeer()
  const flooder: Flooder = { node, sent: 0 }
  await node.handle(protocols.sync, async (stream, connection) => {
    const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024 })
    const req = decodeSyncRequest((await lp.read()).subarray(), 64 * 1024, 64, 16)
    if (req.kind === 'status') {
      await lp.write(encodeStatusResponse({ genesis: fromHex(cheapnet.genesisHash), tip: blockHash(chain.at(FLOOD)), height: FLOOD, work: 2n ** 200n }))
    } else if (req.kind === 'getHeaders') {
      let start = 0
      for (const h of req.locator) {
        const height = chain.height(toHex(h))
        if (height !== undefined) { start = height; break }
      }
      const count = Math.min(PER_REPLY, FLOOD - start)
      // every identity asks for the same replies: encode each once
      let reply = replies.get(start)
      if (reply === undefined) replies.set(start, reply = encodeHeadersResponse(Array.from({ length: count }, (_, i) => chain.at(start + i + 1))))
      if (connection.remotePeer.toString() === victimId()) flooder.sent += count
      await lp.write(reply)
    }
    await stream.close()
  })
  cleanup.add(async () => await node.stop())
  return flooder
}

describe('a flood of low-work headers', () => {
  it('is checked and held in bounded memory, never stored, the peer penalised, while honest sync goes on', async () => {
    const honestChain = heavyChain(330, newKey())
    const tipBits = honestChain[honestChain.length - 1].header.bits
    const lowWork = new LowWorkHeaders()
    // the flood is genuinely low-work: all 100,000 headers together have less work than the victim needs
    expect(BigInt(FLOOD) * workForBits(cheapnet.powLimitBits)).toBeLessThan(honestChain.slice(0, 310).reduce((w, b) => w + workForBits(b.header.bits), 0n) - 144n * workForBits(tipBits))

    const { node: honest } = await startNode(honestChain)
    const { node: victim, dataDir } = await startNode(honestChain.slice(0, 310))
    expect(antiDosWorkThreshold(victim.chain.tip)).toBeGreaterThan(BigInt(FLOOD) * workForBits(cheapnet.powLimitBits))
    const indexBefore = victim.chain.index.size
    const bytesBefore = dirBytes(dataDir)

    // the flooder connects first; the victim then also needs 20 blocks from the honest node
    let flooder = await startFlooder(lowWork, () => victim.host.peerId)
    await flooder.node.dial(victim.host.node.getMultiaddrs()[0])
    await victim.host.node.dial(honest.host.node.getMultiaddrs()[0])

    // each identity may have 20,000 low-work headers checked, then it is penalised and not asked again;
    // it comes back under fresh ids until it has sent 100,000
    let sent = 0
    const ids: string[] = []
    for (;;) {
      const id = flooder.node.peerId.toString()
      ids.push(id)
      await waitFor(() => victim.reputation.score(id) < 0, 'the flooder to be penalised', 60_000)
      // none of its headers was stored
      expect(victim.chain.getEntry(blockHash(lowWork.at(1)))).toBeUndefined()
      expect(victim.chain.getEntry(blockHash(lowWork.at(flooder.sent)))).toBeUndefined()
      expect(victim.chain.presync.peakHeld).toBeLessThanOrEqual(PRESYNC_HEADERS_PER_PEER)
      sent += flooder.sent
      await flooder.node.stop()
      if (sent >= FLOOD) break
      flooder = await startFlooder(lowWork, () => victim.host.peerId)
      await flooder.node.dial(victim.host.node.getMultiaddrs()[0])
    }
    // no more than one allowance and one reply per identity
    expect(sent).toBeLessThanOrEqual(ids.length * (PRESYNC_HEADERS_PER_PEER + PER_REPLY))

    // honest sync kept working
    await waitFor(() => victim.chain.height === 330, 'the victim to sync the honest blocks')
    expect(victim.chain.tip.hashHex).toBe(honest.chain.tip.hashHex)

    // nothing of the flood was stored, memory held for it is bounded and released
    expect(victim.chain.index.size).toBe(indexBefore + 20)
    expect(victim.chain.getEntry(blockHash(lowWork.at(1)))).toBeUndefined()
    expect(victim.chain.presync.peakHeld).toBeLessThanOrEqual(PRESYNC_HEADERS_PER_PEER)
    await waitFor(() => victim.chain.presync.held === 0, 'the held headers to be dropped')
    const growth = dirBytes(dataDir) - bytesBefore
    expect(growth).toBeLessThan(DATA_DIR_GROWTH_BOUND)
    const penalties = await victim.metrics.registry.getSingleMetricAsString('minicoin_peer_penalties_total')
    expect(penalties).toMatch(/reason="sync-low-work-headers"} [1-9]/)
    console.log(JSON.stringify({ lowWorkHeadersSent: sent, identities: ids.length, peakHeldHeaders: victim.chain.presync.peakHeld, dataDirGrowthBytes: growth }))
  }, 240_000) // ~10 s on an idle machine; 110,000 headers are checked, so allow for a loaded one
})
