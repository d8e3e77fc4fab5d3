// Hostile gossip against real nodes, with the hostile peers built from plain
// libp2p here: an invalid side block (and its header announcement) must stop
// at the first honest node, a block whose header fails costs its sender, and
// the largest block consensus admits travels by gossip and by sync.
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import protobuf from 'protobufjs'
import { createRequire } from 'node:module'
import { FullNode } from '../../src/node/full-node.js'
import { blockHash, blockHashHex, computeMerkleRoot } from '../../src/core/block.js'
import { concatBytes, equalBytes, u32le } from '../../src/core/bytes.js'
import { encodeBlock, encodeHeaderMessage } from '../../src/core/encoding.js'
import { bitsToTarget, hashMeetsTarget } from '../../src/core/pow.js'
import { blockReward, COIN, regtest } from '../../src/core/params.js'
import { sighash, txid } from '../../src/core/tx.js'
import type { Block, BlockHeader, Transaction } from '../../src/core/types.js'
import { blockSize } from '../../src/core/validate.js'
import { contentMessageId } from '../../src/p2p/message-id.js'
import { limitsFor, topicsFor } from '../../src/p2p/protocols.js'
import { encodeHeaderAnnouncement } from '../../src/p2p/validation/header.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tipOf, type Key, type Spendable } from '../../bench/support/chain-fixtures.js'
import { rand, solve } from '../../bench/support/core-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const topics = topicsFor('regtest')
const limits = limitsFor(regtest)

type PlainPeer = Libp2p<{ pubsub: GossipSub, identify: ReturnType<ReturnType<typeof identify>> }>

async function startNode (role: 'miner' | 'full', bootstrap: FullNode[] = []): Promise<FullNode> {
  const list = bootstrap.map(n => `${n.listen[0]}/p2p/${n.peerId}`)
  const node = await FullNode.start(testConfig(role, cleanup.tempDir(), { p2p: { host: '127.0.0.1', port: 0, bootstrap: list, mdns: false, maxPeers: 32 } }), testLogger(role))
  cleanup.add(async () => await node.stop())
  return node
}

/** A peer running nothing but libp2p and gossipsub, subscribed to the block and header topics, recording what it receives. */
async function startPlainPeer (): Promise<{ peer: PlainPeer, received: Uint8Array[] }> {
  const peer: PlainPeer = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', msgIdFn: contentMessageId, allowPublishToZeroTopicPeers: true, emitSelf: false, maxInboundDataLength: limits.gossipFrameBytes })
    }
  })
  cleanup.add(async () => await peer.stop())
  const received: Uint8Array[] = []
  peer.services.pubsub.addEventListener('message', evt => { received.push(evt.detail.data) })
  peer.services.pubsub.subscribe(topics.block)
  peer.services.pubsub.subscribe(topics.header)
  return { peer, received }
}

async function gossipCount (node: FullNode, topic: string, result?: string): Promise<number> {
  const { values } = await node.metrics.gossipMessagesTotal.get()
  return values.filter(v => v.labels.topic === topic && (result === undefined || v.labels.result === result)).reduce((n, v) => n + v.value, 0)
}

function inMesh (node: FullNode, topic: string, peerId: string): boolean {
  const pubsub = node.host.node.services.pubsub as unknown as { getMeshPeers: (t: string) => string[] }
  return pubsub.getMeshPeers(topic).includes(peerId)
}

async function feed (node: FullNode, blocks: Block[]): Promise<void> {
  for (const b of blocks) await node.chain.processBlock(b)
}

describe('hostile gossip', () => {
  it('an invalid side block sent to A is neither relayed to C nor announced; honest blocks still propagate', async () => {
    const a = await startNode('miner')
    const { blocks } = mineChain(genesisTip(), 3, newKey())
    await feed(a, blocks)
    const c = await startNode('full', [a])
    await waitFor(() => c.chain.height === 3, 'C to sync from A')
    const attacker = await startPlainPeer()
    const observer = await startPlainPeer()
    await attacker.peer.dial(a.host.node.getMultiaddrs()[0])
    await observer.peer.dial(a.host.node.getMultiaddrs()[0])
    await waitFor(() => inMesh(a, topics.block, c.peerId) && inMesh(a, topics.block, observer.peer.peerId.toString()) && inMesh(a, topics.header, observer.peer.peerId.toString()), 'C and the observer in A\'s mesh')
    await waitFor(() => attacker.peer.services.pubsub.getSubscribers(topics.block).length > 0, 'the attacker to see A on the block topic')

    // on A's tip's parent (as much work as A's tip): a 500,000-coin coinbase and a
    // spend of an output that does not exist, with a garbage signature
    const forged: Transaction = {
      version: 1,
      inputs: [{ prevTxid: rand(32), prevIndex: 0, publicKey: newKey().pub, signature: rand(64) }],
      outputs: [{ amount: 1000n, address: newKey().address }],
      lockTime: 0,
      coinbase: new Uint8Array(0)
    }
    const side = mineBlock(tipOf(blocks[1], 2), [forged], newKey(), { coinbaseAmount: 500_000n * COIN })
    const sideBytes = encodeBlock(side)
    const sideHeader = encodeHeaderAnnouncement(side.header)
    const headersBefore = await gossipCount(a, 'header')
    await attacker.peer.services.pubsub.publish(topics.block, sideBytes)
    await attacker.peer.services.pubsub.publish(topics.header, sideHeader)
    await waitFor(async () => await gossipCount(a, 'block') >= 1 && await gossipCount(a, 'header') > headersBefore, 'A to judge both messages')
    expect(a.chain.getEntry(blockHashHex(side.header))).toBeDefined()

    // honest blocks mined on A still reach C and the observer, after anything A relayed before them
    a.mining!.setEnabled(true)
    await waitFor(() => c.chain.height >= 4, 'an honest block to reach C')
    a.mining!.setEnabled(false)
    const honest = c.chain.getBlock(c.chain.entryAt(4)!.hash)!
    await waitFor(() => observer.received.some(d => equalBytes(d, encodeHeaderAnnouncement(honest.header))), 'the honest header announcement to reach the observer')
    expect(c.chain.getEntry(blockHashHex(side.header))).toBeUndefined()
    expect(observer.received.some(d => equalBytes(d, sideBytes))).toBe(false)
    expect(observer.received.some(d => equalBytes(d, sideHeader))).toBe(false)
    expect(await gossipCount(a, 'block', 'ignore')).toBe(1)
  }, 60_000)

  it('a 2 MB block with wrong bits is rejected on its header alone and costs its sender', async () => {
    const a = await startNode('full')
    const { blocks } = mineChain(genesisTip(), 2, newKey())
    await feed(a, blocks)
    const attacker = await startPlainPeer()
    await attacker.peer.dial(a.host.node.getMultiaddrs()[0])
    await waitFor(() => attacker.peer.services.pubsub.getSubscribers(topics.block).length > 0, 'the attacker to see A on the block topic')
    // proof of work valid for bits harder than the chain requires, then ~2 MB that decode as nothing
    const header = solve({ header: { version: 1, prevHash: blockHash(blocks[1].header), merkleRoot: rand(32), time: blocks[1].header.time + 1, bits: 0x2000ffff, nonce: 0 }, transactions: [] }).header
    const bytes = protobuf.Writer.create()
      .uint32((1 << 3) | 2).bytes(encodeHeaderMessage(header))
      .uint32((2 << 3) | 2).bytes(rand(limits.blockMessageBytes - 200))
      .finish()
    await attacker.peer.services.pubsub.publish(topics.block, bytes)
    await waitFor(async () => await gossipCount(a, 'block', 'reject') === 1, 'A to reject the block')
    await waitFor(() => a.gossip.score(attacker.peer.peerId.toString()) < 0, 'the sender to lose score')
    expect(a.chain.height).toBe(2)
  }, 60_000)

  it('the largest block consensus admits, of minimal transactions, travels by gossip and by sync', async () => {
    const { block, chain } = largestBlockOfMinimalTxs()
    expect(blockSize(block)).toBe(regtest.maxBlockSize)
    const a = await startNode('full')
    await feed(a, chain)
    // the relay's receiver is a plain gossipsub peer with our nodes' frame limit (it does not validate: one node's validation is enough here)
    const publisher = await startPlainPeer()
    const receiver = await startPlainPeer()
    await publisher.peer.dial(a.host.node.getMultiaddrs()[0])
    await receiver.peer.dial(a.host.node.getMultiaddrs()[0])
    await waitFor(() => inMesh(a, topics.block, receiver.peer.peerId.toString()) && publisher.peer.services.pubsub.getSubscribers(topics.block).length > 0, 'the gossip mesh')

    // by gossip: publisher -> A (validates, connects, relays) -> receiver
    const bytes = encodeBlock(block)
    await publisher.peer.services.pubsub.publish(topics.block, bytes)
    const hash = blockHashHex(block.header)
    await waitFor(() => receiver.received.some(d => equalBytes(d, bytes)), 'the block to be relayed by A', 60_000)
    expect(a.chain.tip.hashHex).toBe(hash)
    expect(await gossipCount(a, 'block', 'accept')).toBe(1)

    // by sync: a node started now catches up from A
    const d = await startNode('full', [a])
    await waitFor(() => d.chain.tip.hashHex === hash, 'a late node to sync the block from A', 60_000)
  }, 120_000)
})

// ---- the largest block of minimal transactions -----------------------------------

const native = createRequire(import.meta.url)('secp256k1/bindings') as { ecdsaSign: (msg: Uint8Array, key: Uint8Array) => { signature: Uint8Array } }

/** Signs like the wallet, with libsecp256k1 (low-S, 64-byte compact) because thousands are needed. */
function quickSpend (coin: Spendable, outputs: Array<{ address: Uint8Array, amount: bigint }>): Transaction {
  const unsigned: Transaction = { version: 1, inputs: [{ prevTxid: coin.txid, prevIndex: coin.index, publicKey: coin.key.pub, signature: new Uint8Array(64) }], outputs, lockTime: 0, coinbase: new Uint8Array(0) }
  const signature = native.ecdsaSign(sighash(unsigned, regtest.id), coin.key.priv).signature
  return { ...unsigned, inputs: [{ ...unsigned.inputs[0], signature }] }
}

/**
 * A chain that funds thousands of coins, and on it a block filled with
 * one-input one-output spends up to the block size limit exactly, as core's
 * blockSize counts it (the coinbase data and one wider last spend pad the
 * remainder). Its nonce is searched from 2^28, so the header's encoding has
 * its final length before the search.
 */
function largestBlockOfMinimalTxs (): { block: Block, chain: Block[] } {
  const key = newKey()
  const payee: Key = newKey()
  const { blocks, tip, coinbases } = mineChain(genesisTip(), 6, key)
  const perTx = 3000
  const amount = 1_000_000n
  const funding = coinbases.slice(0, 4).map(cb => spend([cb], Array.from({ length: perTx }, () => ({ address: key.address, amount }))))
  const fundingFees = coinbases.slice(0, 4).reduce((n, cb) => n + cb.amount - BigInt(perTx) * amount, 0n)
  const fundingBlock = mineBlock(tip, funding, key, { fees: fundingFees })
  const coins: Spendable[] = funding.flatMap(tx => tx.outputs.map((_, index) => ({ txid: txid(tx), index, amount, key })))

  const height = tip.height + 2
  const fee = 1000n
  const coinbaseWith = (pad: number, fees: bigint): Transaction => ({
    version: 1, inputs: [], outputs: [{ amount: blockReward(height, regtest) + fees, address: key.address }], lockTime: 0, coinbase: concatBytes(u32le(height), new Uint8Array(pad))
  })
  const header: BlockHeader = { version: 1, prevHash: blockHash(fundingBlock.header), merkleRoot: new Uint8Array(32), time: fundingBlock.header.time + 1, bits: regtest.powLimitBits, nonce: 1 << 28 }
  const sizeOf = (txs: Transaction[]): number => blockSize({ header, transactions: txs })
  // fill with minimal spends while the next still fits
  const spends: Transaction[] = []
  let size = sizeOf([coinbaseWith(0, 0n)])
  for (const coin of coins) {
    const tx = quickSpend(coin, [{ address: payee.address, amount: amount - fee }])
    const grows = sizeOf([coinbaseWith(0, 0n), tx]) - sizeOf([coinbaseWith(0, 0n)])
    if (size + grows > regtest.maxBlockSize) break
    spends.push(tx)
    size += grows
  }
  expect(spends.length).toBeLessThan(coins.length)
  // pad the remainder: widen the last spend by a few outputs, then coinbase data
  const fees = fee * BigInt(spends.length)
  const last = spends.pop()!
  const lastCoin = coins[spends.length]
  for (let extra = 0; extra < 8; extra++) {
    const outputs = Array.from({ length: extra + 1 }, (_, i) => ({ address: payee.address, amount: i === 0 ? amount - fee - BigInt(extra) : 1n }))
    const widened = extra === 0 ? last : quickSpend(lastCoin, outputs)
    for (let pad = 0; pad <= regtest.maxCoinbaseDataSize - 4; pad++) {
      const txs = [coinbaseWith(pad, fees), ...spends, widened]
      if (sizeOf(txs) !== regtest.maxBlockSize) continue
      const block: Block = { header: { ...header }, transactions: txs }
      block.header.merkleRoot = computeMerkleRoot(block)
      const target = bitsToTarget(block.header.bits)!
      while (!hashMeetsTarget(blockHash(block.header), target)) block.header = { ...block.header, nonce: block.header.nonce + 1 }
      return { block, chain: [...blocks, fundingBlock] }
    }
  }
  throw new Error('could not pad the block to the limit exactly')
}
