// An adversarial peer, built here from plain libp2p, attacks a full node
// while an honest miner keeps working: nothing invalid may reach the chain
// or mempool, honest traffic keeps flowing, and the attacker is banned.
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { lpStream } from '@libp2p/utils'
import { randomBytes } from 'node:crypto'
import { FullNode } from '../../src/node/full-node.js'
import { encodeBlock, encodeTx } from '../../src/core/encoding.js'
import { bitsToTarget, hashMeetsTarget } from '../../src/core/pow.js'
import { blockHash, blockHashHex } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { txid } from '../../src/core/tx.js'
import { contentMessageId } from '../../src/p2p/message-id.js'
import { protocolsFor, topicsFor } from '../../src/p2p/protocols.js'
import { encodeSyncRequest } from '../../src/p2p/sync-messages.js'
import { mineBlock, newKey, spend, tipOf } from '../../bench/support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import type { Block } from '../../src/core/types.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const topics = topicsFor('regtest')
const protocols = protocolsFor('regtest')

async function startNode (role: 'miner' | 'full', bootstrap: string[] = []): Promise<FullNode> {
  const node = await FullNode.start(testConfig(role, cleanup.tempDir(), { p2p: { host: '127.0.0.1', port: 0, bootstrap, mdns: false, maxPeers: 32 } }), testLogger(role))
  cleanup.add(async () => await node.stop())
  return node
}

async function startAttacker (): Promise<Libp2p<{ pubsub: GossipSub, identify: ReturnType<ReturnType<typeof identify>> }>> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', msgIdFn: contentMessageId, allowPublishToZeroTopicPeers: true, emitSelf: false })
    }
  })
  cleanup.add(async () => await node.stop())
  return node
}

/** A block whose hash misses its (regtest) target. */
function badPowBlock (parent: Block, height: number): Block {
  const target = bitsToTarget(parent.header.bits)!
  const base = mineBlock(tipOf(parent, height), [], newKey())
  for (let nonce = 0; ; nonce++) {
    const header = { ...base.header, nonce }
    if (!hashMeetsTarget(blockHash(header), target)) return { ...base, header }
  }
}

describe('an adversarial peer', () => {
  it('is banned for invalid gossip while honest blocks keep flowing and nothing invalid is stored', async () => {
    const miner = await startNode('miner')
    const full = await startNode('full', [`${miner.listen[0]}/p2p/${miner.peerId}`])
    await waitFor(() => full.status().peers === 1, 'honest connection')
    miner.mining!.setEnabled(true)
    await waitFor(() => full.chain.height >= 4, 'honest blocks')

    const attacker = await startAttacker()
    await attacker.dial(full.host.node.getMultiaddrs()[0])
    await waitFor(() => attacker.services.pubsub.getSubscribers(topics.block).length > 0, 'the attacker to see the block topic')

    const heightBefore = full.chain.height
    const tipBlock = full.chain.getBlock(full.chain.tip.hash)!
    const bad = badPowBlock(tipBlock, full.chain.height)
    const key = newKey()
    const coinbase = tipBlock.transactions[0]
    const forgedTx = { ...spend([{ txid: txid(coinbase), index: 0, amount: coinbase.outputs[0].amount, key }], [{ address: key.address, amount: 1000n }]) }
    forgedTx.inputs = forgedTx.inputs.map(i => ({ ...i, signature: new Uint8Array(randomBytes(64)) }))

    // garbage, a block with bad proof of work, a transaction with a bad signature
    await attacker.services.pubsub.publish(topics.block, new Uint8Array(randomBytes(300)))
    await attacker.services.pubsub.publish(topics.block, encodeBlock(bad))
    await attacker.services.pubsub.publish(topics.tx, encodeTx(forgedTx))

    await waitFor(() => full.reputation.isBanned(attacker.peerId.toString()), 'the attacker to be banned')
    await waitFor(() => full.host.node.getConnections(attacker.peerId).length === 0, 'the attacker to be disconnected')
    // and it cannot come back while banned
    // and it cannot come back while banned: the gater drops the connection
    await attacker.dial(full.host.node.getMultiaddrs()[0]).catch(() => {})
    await waitFor(() => full.host.node.getConnections(attacker.peerId).length === 0 && attacker.getConnections(full.host.node.peerId).length === 0, 'the banned peer to stay out')

    // honest traffic kept flowing
    await waitFor(() => full.chain.height > heightBefore + 2, 'honest blocks after the attack')
    miner.mining!.setEnabled(false)
    expect(full.chain.getEntry(blockHashHex(bad.header))).toBeUndefined()
    expect(full.pool.has(toHex(txid(forgedTx)))).toBe(false)
    const metrics = await full.metrics.registry.getSingleMetricAsString('minicoin_gossip_messages_total')
    expect(metrics).toMatch(/topic="block",result="reject"} [1-9]/)
    expect(metrics).toMatch(/topic="tx",result="reject"} [1-9]/)
  })

  it('is rate limited, penalised and banned for a request flood', async () => {
    const full = await startNode('full')
    const attacker = await startAttacker()
    await attacker.dial(full.host.node.getMultiaddrs()[0])
    const request = encodeSyncRequest({ kind: 'getHeaders', locator: [], stop: new Uint8Array(0), max: 2000 })
    let answered = 0
    let refused = 0
    const ask = async (): Promise<void> => {
      try {
        const stream = await attacker.dialProtocol(full.host.node.peerId, protocols.sync)
        const lp = lpStream(stream)
        await lp.write(request)
        await lp.read({ signal: AbortSignal.timeout(15_000) })
        await stream.close()
        answered++
      } catch {
        refused++
      }
    }
    // a flood over a connection both sides have finished setting up (streams
    // opened before that count against yamux's early-stream limit and close
    // the connection instead of reaching the rate limiter)
    await waitFor(async () => (await attacker.peerStore.get(full.host.node.peerId).catch(() => undefined))?.protocols.includes(protocols.sync) === true, 'the attacker to identify the node')
    await waitFor(async () => { await ask(); return answered > 0 }, 'a first request to be answered')
    refused = 0
    // far more requests than the per-peer budget, in waves under the stream limit
    for (let wave = 0; wave < 25 && !full.reputation.isBanned(attacker.peerId.toString()); wave++) {
      await Promise.all(Array.from({ length: 20 }, ask))
    }
    expect(answered).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
    expect(full.reputation.isBanned(attacker.peerId.toString())).toBe(true)
    const metrics = await full.metrics.registry.getSingleMetricAsString('minicoin_rpc_requests_total')
    expect(metrics).toMatch(/protocol="sync",direction="inbound",result="rate_limited"} [1-9]/)
  })

  it('is penalised for an oversized request', async () => {
    const full = await startNode('full')
    const attacker = await startAttacker()
    await attacker.dial(full.host.node.getMultiaddrs()[0])
    // the length prefix alone is over the limit: refused before any decoding
    await waitFor(async () => {
      try {
        const stream = await attacker.dialProtocol(full.host.node.peerId, protocols.sync)
        await lpStream(stream, { maxDataLength: 10_000_000 }).write(new Uint8Array(1_000_000))
        await stream.close()
      } catch {}
      return full.reputation.isBanned(attacker.peerId.toString())
    }, 'the peer sending oversized requests to be banned')
    const metrics = await full.metrics.registry.getSingleMetricAsString('minicoin_rpc_requests_total')
    expect(metrics).toMatch(/protocol="sync",direction="inbound",result="invalid"} [1-9]/)
  })
})
