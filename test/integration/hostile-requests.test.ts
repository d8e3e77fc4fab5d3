// Issue 9.7, small requests for large replies: duplicate hashes in getBlocks
// are refused and cost the peer, and the shared serving path (sync and SPV)
// holds each peer, and each IP, to a budget of bytes served per second while
// honest peers keep being served. Requests are sent one after another: the
// outcome depends on the order of requests, never on timing.
import { afterEach, describe, expect, it } from 'vitest'
import type { Libp2p } from 'libp2p'
import { lpStream } from '@libp2p/utils'
import { FullNode } from '../../src/node/full-node.js'
import { limitsFor, protocolsFor } from '../../src/p2p/protocols.js'
import { decodeSyncResponse, encodeSyncRequest } from '../../src/p2p/sync-messages.js'
import { P2PHost } from '../../src/p2p/host.js'
import { loopbackHostOptions } from '../support/loopback-host.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { PeerAction } from '../../src/p2p/peer-actions.js'
import { serveWithinLimits, type ServeBudget } from '../../src/p2p/rpc.js'
import { NodeMetrics } from '../../src/telemetry/metrics.js'
import { regtest } from '../../src/core/params.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { plainPeer as barePeer } from '../support/plain-peer.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const protocols = protocolsFor('regtest')

/** A plain libp2p peer; `from` picks its source address on loopback (127.0.0.x are distinct IPs). */
async function plainPeer (from = '127.0.0.1'): Promise<Libp2p> {
  const node = await barePeer({ from, listen: false })
  cleanup.add(async () => await node.stop())
  return node
}

/** One request on a fresh stream; the reply, or undefined when the server refused (aborted the stream). */
async function ask (from: Libp2p, to: Libp2p, protocol: string, request: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const stream = await from.dialProtocol(to.peerId, protocol)
    const lp = lpStream(stream, { maxDataLength: 32 * 1024 * 1024 })
    await lp.write(request)
    const reply = await lp.read({ signal: AbortSignal.timeout(10_000) })
    await stream.close().catch(() => {})
    return reply.subarray()
  } catch {
    return undefined
  }
}

describe('getBlocks with duplicate hashes', () => {
  it('is refused and costs the peer; the same blocks asked once each are served', async () => {
    const miner = await FullNode.start(testConfig('miner', cleanup.tempDir()), testLogger('miner'))
    cleanup.add(async () => await miner.stop())
    miner.mining!.setEnabled(true)
    await waitFor(() => miner.chain.height >= 2, 'two blocks')
    miner.mining!.setEnabled(false)
    const tip = miner.chain.tip
    const attacker = await plainPeer()
    await attacker.dial(miner.host.node.getMultiaddrs()[0])

    // the same block 16 times: an honest client never asks that
    const dup = await ask(attacker, miner.host.node, protocols.sync, encodeSyncRequest({ kind: 'getBlocks', hashes: Array.from({ length: 16 }, () => tip.hash) }))
    expect(dup).toBeUndefined()
    // (scores decay toward 0 by 1 % a second)
    expect(miner.reputation.score(attacker.peerId.toString())).toBeLessThan(-PeerAction.DUPLICATE_REQUEST_ITEMS.points * 0.9)
    expect(await miner.metrics.registry.getSingleMetricAsString('minicoin_peer_penalties_total')).toMatch(/reason="sync-duplicate-request-items"} [1-9]/)

    // two distinct blocks: served, once each
    const limits = limitsFor(regtest)
    const reply = await ask(attacker, miner.host.node, protocols.sync, encodeSyncRequest({ kind: 'getBlocks', hashes: [tip.hash, tip.parent!.hash] }))
    expect(reply).toBeDefined()
    const res = decodeSyncResponse(reply!, limits.responseBytes, limits.headersPerReply, limits.blocksPerReply)
    expect(res.kind).toBe('blocks')
    if (res.kind === 'blocks') expect(res.blocks.length).toBe(2)
  })
})

describe('the byte budget of the shared serving path', () => {
  const REPLY = 1024 * 1024
  const TEST_PROTOCOL = '/minicoin/regtest/test-bytes/1.0.0'
  // 3 MiB at once and (practically) nothing more: whatever the machine's speed, a peer gets 3 replies
  // from the bucket plus one that runs it into debt, then must wait far longer than maxWaitMs
  const budget: ServeBudget = { requestsPerSecond: 1000, requestBurst: 1000, bytesPerSecond: 1000, byteBurst: 3 * REPLY, ipFactor: 1, maxWaitMs: 200 }

  async function server (reputation: PeerReputation): Promise<{ host: P2PHost, metrics: NodeMetrics, served: () => number }> {
    const metrics = new NodeMetrics()
    const log = testLogger('server')
    const host = await P2PHost.create(await loopbackHostOptions('server', { maxPeers: 16, maxInboundPerIp: 8, reputation, log }))
    await host.start()
    cleanup.add(async () => await host.stop())
    let served = 0
    // a handler that ignores its allowance (as an SPV proof reply may): the shared path must still bound it
    await serveWithinLimits(host.node, TEST_PROTOCOL, 'spv', limitsFor(regtest), { reputation, metrics, log }, async () => {
      served++
      return new Uint8Array(REPLY)
    }, budget)
    return { host, metrics, served: () => served }
  }

  it('throttles a peer past its budget while another peer is still served', async () => {
    const reputation = new PeerReputation()
    const { host, metrics } = await server(reputation)
    const greedy = await plainPeer()
    const honest = await plainPeer()
    await greedy.dial(host.node.getMultiaddrs()[0])
    await honest.dial(host.node.getMultiaddrs()[0])

    let answered = 0
    for (let i = 0; i < 10; i++) if (await ask(greedy, host.node, TEST_PROTOCOL, new Uint8Array(1)) !== undefined) answered++
    // 3 MiB of burst, plus the one reply that ran into debt; 10 MiB without the budget
    expect(answered).toBe(4)
    expect(reputation.score(greedy.peerId.toString())).toBeLessThan(0)
    expect(await metrics.registry.getSingleMetricAsString('minicoin_rpc_requests_total')).toMatch(/protocol="spv",direction="inbound",result="rate_limited"} 6/)

    expect(await ask(honest, host.node, TEST_PROTOCOL, new Uint8Array(1))).toHaveLength(REPLY)
    expect(await ask(honest, host.node, TEST_PROTOCOL, new Uint8Array(1))).toHaveLength(REPLY)
  })

  it('holds every peer id from one IP to that IP\'s budget, and other IPs keep theirs', async () => {
    // loopback treated as any other IP: 127.0.0.1 and 127.0.0.2 are two machines here
    const reputation = new PeerReputation({ exemptLoopback: false })
    const { host } = await server(reputation)
    const ids = [await plainPeer('127.0.0.1'), await plainPeer('127.0.0.1'), await plainPeer('127.0.0.1')]
    const elsewhere = await plainPeer('127.0.0.2')
    for (const p of [...ids, elsewhere]) await p.dial(host.node.getMultiaddrs()[0])

    let answered = 0
    // fresh ids, one after another, all from 127.0.0.1
    for (const p of ids) for (let i = 0; i < 3; i++) if (await ask(p, host.node, TEST_PROTOCOL, new Uint8Array(1)) !== undefined) answered++
    expect(answered).toBe(4)
    expect(await ask(elsewhere, host.node, TEST_PROTOCOL, new Uint8Array(1))).toHaveLength(REPLY)
  })
})
