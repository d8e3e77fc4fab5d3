// Issue 16 items 1-4 against real full nodes and hostile SPV servers over
// loopback (mDNS off): a light node sees every entry of a crowded block, a
// withholding peer neither hides history from an honest one nor goes
// unpunished, a replaying server cannot keep it paging, a stalling one holds
// up nobody else, and proven payments survive a restart.
import { afterEach, describe, expect, it } from 'vitest'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import { txid as txidOf } from '../../src/core/tx.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import { FullNode } from '../../src/node/full-node.js'
import { SpvNode } from '../../src/node/spv-node.js'
import { P2PHost } from '../../src/p2p/host.js'
import { loopbackHostOptions } from '../support/loopback-host.js'
import { limitsFor, protocolsFor } from '../../src/p2p/protocols.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { decodeSpvRequest, decodeSpvResponse, encodeSpvResponse, spvLimitsOf, type SpvRequest, type SpvResponse } from '../../src/p2p/spv-messages.js'
import { SpvServer } from '../../src/p2p/spv-server.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tipOf, type Tip } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'
import { crowdedChain } from '../support/spv-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const limits = limitsFor(regtest)
const p2p = (bootstrap: string[] = []): ReturnType<typeof testConfig>['p2p'] => ({ host: '127.0.0.1', port: 0, bootstrap, mdns: false, maxPeers: 32 })

async function startFull (): Promise<FullNode> {
  const node = await FullNode.start(testConfig('full', cleanup.tempDir(), { p2p: p2p() }), testLogger('full'))
  cleanup.add(async () => await node.stop())
  return node
}

async function startLight (bootstrap: string[] = [], dataDir = cleanup.tempDir()): Promise<SpvNode> {
  const node = await SpvNode.start(testConfig('spv', dataDir, { p2p: p2p(bootstrap) }), testLogger('spv'))
  cleanup.add(async () => await node.stop())
  return node
}

function addressOf (listen: string[], peerId: string): string {
  return listen[0].includes('/p2p/') ? listen[0] : `${listen[0]}/p2p/${peerId}`
}

async function dial (light: SpvNode, addr: string): Promise<void> {
  await light.host.node.dial(multiaddr(addr))
}

/** The honest answer of a full node's SPV server to a request (decoded, to be edited by a hostile server). */
async function honest (full: FullNode, req: SpvRequest): Promise<SpvResponse> {
  const { encodeSpvRequest } = await import('../../src/p2p/spv-messages.js')
  const server = new SpvServer({ host: {} as unknown as P2PHost, chain: full.chain, protocols: protocolsFor(regtest.id), limits, reputation: new PeerReputation(), log: silentLogger })
  return decodeSpvResponse(await server.handle(encodeSpvRequest(req)), spvLimitsOf(limits, limits.responseBytes))
}

/** A plain libp2p node answering the SPV protocol however `answer` says (it may never answer). */
async function startServer (answer: (req: SpvRequest) => Promise<SpvResponse>): Promise<P2PHost> {
  const host = await P2PHost.create(await loopbackHostOptions('hostile', { maxPeers: 8, maxMessageBytes: limits.blockMessageBytes, userAgent: 'minicoin/0.1.0 (full)' }))
  cleanup.add(async () => await host.stop())
  await host.node.handle(protocolsFor(regtest.id).spv, async (stream) => {
    try {
      const lp = lpStream(stream)
      const req = decodeSpvRequest((await lp.read()).subarray(), spvLimitsOf(limits, limits.requestBytes))
      await lp.write(encodeSpvResponse(await answer(req)))
      await stream.close()
    } catch {}
  })
  await host.start()
  return host
}

/** Mines empty blocks onto the full node. */
async function extend (full: FullNode, tip: Tip, count: number, tag = 0): Promise<Tip> {
  const miner = newKey()
  const { blocks, tip: next } = mineChain(tip, count, miner, tag)
  for (const b of blocks) expect((await full.chain.processBlock(b)).status).toBe('connected')
  return next
}

describe('light wallet history (issue 16)', () => {
  it('proves all 1,000 payments an address received in one block (16.1)', async () => {
    const full = await startFull()
    const light = await startLight()
    const me = light.lightWallet.keys.primaryAddress().hash
    const crowded = crowdedChain(newKey(), me, 1000)
    for (const b of crowded.blocks) expect((await full.chain.processBlock(b)).status).toBe('connected')
    await dial(light, addressOf(full.listen, full.peerId))
    await waitFor(() => light.status().height === 6, 'the light node to sync headers')
    await waitFor(async () => { await light.client.settled(); return light.proven.size >= 1000 }, 'every payment to be proven', 60_000)
    await light.client.settled()
    expect(light.proven.size).toBe(1000)
    for (const t of crowded.payments) expect(light.proven.has(toHex(txidOf(t)))).toBe(true)
    expect((await light.wallet()).balance.confirmed).toBe(String(1000 * 1000))
  }, 120_000)

  it('a withholding peer that answers first hides nothing from an honest one, and pays for the omission (16.2)', async () => {
    const full = await startFull()
    const light = await startLight()
    const me = light.lightWallet.keys.primaryAddress().hash
    // a payment at height 4, then ten more blocks
    const miner = newKey()
    const { blocks, tip, coinbases } = mineChain(genesisTip(), 3, miner)
    for (const b of blocks) await full.chain.processBlock(b)
    const payment = spend([coinbases[0]], [{ address: me, amount: 4242n }])
    const b4 = mineBlock(tip, [payment], miner, { fees: coinbases[0].amount - 4242n })
    expect((await full.chain.processBlock(b4)).status).toBe('connected')
    await extend(full, tipOf(b4, 4), 10)

    // the withholder: honest headers, an empty history it calls complete through its (real) tip
    let withheld = 0
    const withholder = await startServer(async req => {
      if (req.kind !== 'getAddressHistory') return await honest(full, req)
      withheld++
      return { kind: 'proofs', proofs: [], more: false, tip: { hash: full.chain.tip.hash, height: full.chain.height } }
    })
    await dial(light, addressOf(withholder.listenAddresses(), withholder.peerId))
    await waitFor(async () => { await light.client.settled(); return light.status().height === 14 && withheld > 0 }, 'the withholder to answer first')
    expect(light.proven.size).toBe(0)

    // the honest full node scans from its own start, not from where the withholder left us
    await dial(light, addressOf(full.listen, full.peerId))
    await waitFor(() => light.proven.has(toHex(txidOf(payment))), 'the payment proven by the honest peer')
    expect((await light.wallet()).balance.confirmed).toBe('4242')
    await waitFor(() => light.reputation.score(withholder.peerId) < 0, 'the withholder to pay for the omission')
    // a spend proven by one peer is never lost because another leaves it out
    light.client.scheduleRefresh()
    await light.client.settled()
    expect((await light.wallet()).balance.confirmed).toBe('4242')
  }, 90_000)

  it('counts an answer complete only through a tip on our own chain (16.2)', async () => {
    const full = await startFull()
    await extend(full, genesisTip(), 5)
    const liar = await startServer(async req => req.kind === 'getAddressHistory'
      ? { kind: 'proofs', proofs: [], more: false, tip: { hash: rand(32), height: 1000 } }
      : await honest(full, req))
    const light = await startLight([addressOf(liar.listenAddresses(), liar.peerId)])
    await waitFor(() => light.status().height === 5, 'headers from the liar')
    await light.client.settled()
    expect(light.client.historyCompleteThrough()).toBe(-1)
    await dial(light, addressOf(full.listen, full.peerId))
    // the liar named a tip it never served headers to: it pays, and no longer holds up the cross-check
    await waitFor(() => light.reputation.score(liar.peerId) < 0, 'the liar to pay for its tip')
    await waitFor(async () => { await light.client.settled(); return light.client.historyCompleteThrough() === 5 }, 'the honest answer to cover the chain')
  }, 60_000)

  it('a server replaying an old proof with more: true is stopped and punished, not paged 10,000 times (16.3)', async () => {
    const full = await startFull()
    const light = await startLight()
    const me = light.lightWallet.keys.primaryAddress().hash
    const miner = newKey()
    const { blocks, tip, coinbases } = mineChain(genesisTip(), 3, miner)
    for (const b of blocks) await full.chain.processBlock(b)
    const payment = spend([coinbases[0]], [{ address: me, amount: 5n }])
    expect((await full.chain.processBlock(mineBlock(tip, [payment], miner, { fees: coinbases[0].amount - 5n }))).status).toBe('connected')

    let pages = 0
    const replayer = await startServer(async req => {
      if (req.kind !== 'getAddressHistory') return await honest(full, req)
      pages++
      const real = await honest(full, { ...req, fromHeight: 0, afterTxid: undefined })
      return real.kind === 'proofs' ? { ...real, more: true } : real
    })
    await dial(light, addressOf(replayer.listenAddresses(), replayer.peerId))
    await waitFor(() => light.reputation.isBanned(replayer.peerId), 'the replayer to be banned')
    // one page accepted, one page to see it repeat: per refresh; two refreshes to the ban
    expect(pages).toBeLessThanOrEqual(6)
    expect(light.proven.has(toHex(txidOf(payment)))).toBe(true)
  }, 60_000)

  it('a stalling server holds up no other peer (16.3)', async () => {
    const full = await startFull()
    const light = await startLight()
    const me = light.lightWallet.keys.primaryAddress().hash
    const miner = newKey()
    const { blocks, tip, coinbases } = mineChain(genesisTip(), 3, miner)
    for (const b of blocks) await full.chain.processBlock(b)

    let stalled = 0
    let release: () => void = () => {}
    const released = new Promise<void>(resolve => { release = resolve })
    cleanup.add(() => release())
    const staller = await startServer(async req => {
      if (req.kind !== 'getAddressHistory') return await honest(full, req)
      stalled++
      await released
      return { kind: 'error', code: 'late', message: '' }
    })
    await dial(light, addressOf(full.listen, full.peerId))
    await dial(light, addressOf(staller.listenAddresses(), staller.peerId))
    await waitFor(() => stalled === 1 && light.status().height === 3, 'the staller to hold its first history request')
    // a payment in a new block: the honest peer proves it while the staller still holds that request
    const payment = spend([coinbases[0]], [{ address: me, amount: 77n }])
    expect((await full.chain.processBlock(mineBlock(tip, [payment], miner, { fees: coinbases[0].amount - 77n }))).status).toBe('connected')
    await waitFor(() => light.proven.has(toHex(txidOf(payment))), 'the payment proven by the honest peer')
    expect(stalled).toBe(1)
  }, 60_000)

  it('keeps proven payments across a restart, before any peer is back (16.4)', async () => {
    const full = await startFull()
    const dir = cleanup.tempDir()
    const first = await startLight([], dir)
    const me = first.lightWallet.keys.primaryAddress().hash
    const miner = newKey()
    const { blocks, tip, coinbases } = mineChain(genesisTip(), 3, miner)
    for (const b of blocks) await full.chain.processBlock(b)
    const payment = spend([coinbases[0]], [{ address: me, amount: 999n }])
    await full.chain.processBlock(mineBlock(tip, [payment], miner, { fees: coinbases[0].amount - 999n }))
    await dial(first, addressOf(full.listen, full.peerId))
    await waitFor(async () => (await first.wallet()).balance.confirmed === '999', 'the payment')
    await first.stop()

    const offline = await startLight([], dir)
    expect(offline.proven.has(toHex(txidOf(payment)))).toBe(true)
    expect((await offline.wallet()).balance.confirmed).toBe('999')
  }, 60_000)
})
