// A light node against real full nodes in this process, over loopback TCP
// with mDNS off: it syncs headers, follows new tips by gossip, proves its
// wallet's payments with Merkle proofs, pays from them; and it bans a server
// that forges a proof without ever counting the forged payment.
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { lpStream } from '@libp2p/utils'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { COIN, regtest } from '../../src/core/params.js'
import { txid as txidOf } from '../../src/core/tx.js'
import type { Block } from '../../src/core/types.js'
import { FullNode } from '../../src/node/full-node.js'
import { SpvNode } from '../../src/node/spv-node.js'
import { P2PHost } from '../../src/p2p/host.js'
import { loopbackHostOptions } from '../support/loopback-host.js'
import { limitsFor, protocolsFor } from '../../src/p2p/protocols.js'
import { decodeSpvRequest, encodeSpvResponse, spvLimitsOf, type SpvRequest, type SpvResponse } from '../../src/p2p/spv-messages.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { Wallet } from '../../src/wallet/wallet.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tipOf, type Key, type Spendable, type Tip } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const p2p = (bootstrap: string[] = []): ReturnType<typeof testConfig>['p2p'] => ({ host: '127.0.0.1', port: 0, bootstrap, mdns: false, maxPeers: 32 })

async function startFull (): Promise<FullNode> {
  const node = await FullNode.start(testConfig('full', cleanup.tempDir(), { p2p: p2p() }), testLogger('full'))
  cleanup.add(async () => await node.stop())
  return node
}

async function startLight (bootstrap: string[], dataDir = cleanup.tempDir()): Promise<SpvNode> {
  const node = await SpvNode.start(testConfig('spv', dataDir, { p2p: p2p(bootstrap) }), testLogger('spv'))
  cleanup.add(async () => await node.stop())
  return node
}

function dialAddress (listen: string[], peerId: string): string {
  return `${listen[0]}/p2p/${peerId}`
}

/** Blocks mined here (easy regtest proof of work) and handed to the full node, as if it had mined them. */
class ChainBuilder {
  tip: Tip = genesisTip()
  constructor (private readonly full: FullNode) {}

  async add (block: Block): Promise<Block> {
    expect((await this.full.chain.processBlock(block)).status).toBe('connected')
    this.tip = tipOf(block, this.tip.height + 1)
    return block
  }

  async empty (count: number, payTo: Key): Promise<Spendable[]> {
    const { blocks, coinbases } = mineChain(this.tip, count, payTo)
    for (const b of blocks) await this.add(b)
    return coinbases
  }
}

function blockHashOf (block: Block): Uint8Array {
  return blockHash(block.header)
}

function asKey (address: Uint8Array): Key {
  return { priv: new Uint8Array(0), pub: new Uint8Array(0), address }
}

async function metric (light: SpvNode, which: 'spvProofsVerifiedTotal' | 'spvProofsRejectedTotal' | 'syncTargetHeight' | 'syncProgress'): Promise<number> {
  return (await light.metrics[which].get()).values[0]?.value ?? 0
}

describe('light client against full nodes', () => {
  it('syncs headers, proves its payments, shows the balance and pays from it', async () => {
    const full = await startFull()
    const chain = new ChainBuilder(full)
    const miner = newKey()
    const coinbases = await chain.empty(5, miner)

    const light = await startLight([dialAddress(full.listen, full.peerId)])
    await waitFor(() => light.status().height === 5, 'the light node to sync 5 headers')
    expect(light.status().tip).toBe(full.chain.tip.hashHex)
    expect(light.status().role).toBe('spv')

    // block 6: its coinbase and a payment from the miner both go to the light wallet
    const me = light.lightWallet.keys.primaryAddress().hash
    const payment = spend([coinbases[0]], [{ address: me, amount: 1234n }, { address: miner.address, amount: coinbases[0].amount - 1334n }])
    await chain.add(mineBlock(chain.tip, [payment], asKey(me), { fees: 100n }))
    const reward = 50n * COIN + 100n
    // the new tip arrives by header gossip, then the proofs
    await waitFor(async () => (await light.wallet()).balance.confirmed === '1234', 'the proven payment')
    expect((await light.wallet()).balance.immature).toBe(reward.toString())
    expect(light.status().height).toBe(6)
    // sync gauges as a full node reports them: the best height peers showed, and our share of it
    expect(await metric(light, 'syncTargetHeight')).toBe(6)
    expect(await metric(light, 'syncProgress')).toBe(1)
    expect(await metric(light, 'spvProofsVerifiedTotal')).toBeGreaterThanOrEqual(2)
    expect(await metric(light, 'spvProofsRejectedTotal')).toBe(0)
    const paymentView = light.tx(toHex(txidOf(payment)))
    expect(paymentView?.block?.height).toBe(6)
    const history = (await light.wallet()).transactions
    expect(history.find(t => t.txid === toHex(txidOf(payment)))?.proof?.merkleRoot).toBe(toHex(full.chain.entryAt(6)!.header.merkleRoot))

    // two more blocks mature the coinbase
    await chain.empty(2, miner)
    await waitFor(async () => (await light.wallet()).balance.confirmed === (1234n + reward).toString(), 'the matured coinbase')
    expect(light.block('8')?.hash).toBe(full.chain.entryAt(8)!.hashHex)
    expect(light.block('8')?.transactions).toBeUndefined()

    // the light wallet pays the miner; the full node gets it by gossip and we mine it
    const { txid } = await light.send(encodeAddress(miner.address, regtest), 5000n, 200n)
    expect(light.mempool().map(t => t.txid)).toEqual([txid])
    // the coinbase (the largest coin) paid: its change is pending, the 1234 stays confirmed
    expect((await light.wallet()).balance).toEqual({ confirmed: '1234', pending: (reward - 5200n).toString(), immature: '0' })
    await waitFor(() => full.pool.has(txid), 'the payment to reach the full node mempool')
    const tx = full.pool.get(txid)!.tx
    await chain.add(mineBlock(chain.tip, [tx], miner, { fees: 200n }))
    await waitFor(() => light.tx(txid)?.block !== undefined, 'the payment to be proven')
    const after = await light.wallet()
    expect(after.balance).toEqual({ confirmed: (1234n + reward - 5200n).toString(), pending: '0', immature: '0' })
    expect(light.mempool()).toEqual([])
    expect(light.status().height).toBe(9)
    // new tips came by header gossip, checked by the light node's own header chain
    const gossip = (await light.metrics.gossipMessagesTotal.get()).values
    expect(gossip.find(v => v.labels.topic === 'header' && v.labels.result === 'accept')?.value).toBeGreaterThan(0)
    expect(gossip.find(v => v.labels.topic === 'header' && v.labels.result === 'reject')?.value).toBe(0)
  })

  it('drops a proof when a reorg takes its block away, and proves it again in the new branch', async () => {
    const full = await startFull()
    const chain = new ChainBuilder(full)
    const miner = newKey()
    const coinbases = await chain.empty(3, miner)
    const light = await startLight([dialAddress(full.listen, full.peerId)])
    const me = light.lightWallet.keys.primaryAddress().hash
    const payment = spend([coinbases[0]], [{ address: me, amount: 4321n }])
    const id = toHex(txidOf(payment))
    const fork = chain.tip
    const a4 = await chain.add(mineBlock(fork, [payment], miner, { fees: coinbases[0].amount - 4321n, tag: 1 }))
    await waitFor(() => light.tx(id)?.block?.hash === toHex(blockHashOf(a4)), 'the payment proven in branch A')

    // branch B: two blocks without the payment, then one with it
    const b4 = mineBlock(fork, [], miner, { tag: 2 })
    const b5 = mineBlock(tipOf(b4, 4), [], miner, { tag: 2 })
    for (const b of [b4, b5]) await full.chain.processBlock(b)
    await waitFor(() => light.status().tip === toHex(blockHashOf(b5)), 'the light node to follow the reorg')
    await waitFor(async () => (await light.wallet()).balance.confirmed === '0', 'the stale proof to be dropped')
    expect(light.tx(id)?.block).toBeUndefined()
    const b6 = mineBlock(tipOf(b5, 5), [payment], miner, { fees: coinbases[0].amount - 4321n, tag: 2 })
    await full.chain.processBlock(b6)
    await waitFor(() => light.tx(id)?.block?.hash === toHex(blockHashOf(b6)), 'the payment proven again in branch B')
    expect((await light.wallet()).balance.confirmed).toBe('4321')
  })

  it('restarts from its data dir: same identity, headers at once, proofs fetched again', async () => {
    const full = await startFull()
    const chain = new ChainBuilder(full)
    const miner = newKey()
    const coinbases = await chain.empty(4, miner)
    const dir = cleanup.tempDir()
    const first = await startLight([dialAddress(full.listen, full.peerId)], dir)
    const me = first.lightWallet.keys.primaryAddress().hash
    await chain.add(mineBlock(chain.tip, [spend([coinbases[0]], [{ address: me, amount: 999n }])], miner, { fees: coinbases[0].amount - 999n }))
    await waitFor(async () => (await first.wallet()).balance.confirmed === '999', 'the payment')
    const peerId = first.peerId
    await first.stop()

    // no peer to ask: the header chain alone comes back from disk
    const offline = await startLight([], dir)
    expect(offline.peerId).toBe(peerId)
    expect(offline.status().height).toBe(5)
    expect(offline.status().tip).toBe(full.chain.tip.hashHex)
    await offline.stop()

    const again = await startLight([dialAddress(full.listen, full.peerId)], dir)
    await waitFor(async () => (await again.wallet()).balance.confirmed === '999', 'the payment proven again after the restart')
  })

  it('pays change to fresh internal-chain addresses, and a wallet restored from its phrase finds that change by scanning (10.6)', async () => {
    const full = await startFull()
    const chain = new ChainBuilder(full)
    const miner = newKey()
    const to = encodeAddress(miner.address, regtest)
    const coinbases = await chain.empty(3, miner)
    const light = await startLight([dialAddress(full.listen, full.peerId)])
    const me = light.lightWallet.keys.primaryAddress().hash
    // received on a second receiving address: a restored wallet (one address handed out) finds it only in the window
    const second = (await light.lightWallet.keys.newAddress()).hash
    await chain.add(mineBlock(chain.tip, [spend([coinbases[0]], [{ address: second, amount: 100_000n }])], miner, { fees: coinbases[0].amount - 100_000n }))
    await waitFor(async () => (await light.wallet()).balance.confirmed === '100000', 'the payment')
    /** Pays the miner; the full node gets it by gossip and it is mined and proven. */
    const pay = async (confirmedAfter: string): Promise<Uint8Array> => {
      const { txid } = await light.send(to, 10_000n, 200n)
      await waitFor(() => full.pool.has(txid), 'the payment to reach the full node')
      const tx = full.pool.get(txid)!.tx
      await chain.add(mineBlock(chain.tip, [tx], miner, { fees: 200n }))
      await waitFor(async () => (await light.wallet()).balance.confirmed === confirmedAfter, 'the change to be proven')
      return tx.outputs[1].address
    }
    // the second payment spends the first one's change: it touches change addresses only, not the primary one
    const changes = [await pay('89800'), await pay('79600')]
    expect(light.lightWallet.keys.changeAddresses().map(a => toHex(a.hash))).toEqual(changes.map(toHex))
    expect(changes.map(toHex)).not.toContain(toHex(me))
    // and a payment to the internal chain's next address (as a copy of this wallet elsewhere would make), found only by scanning the window
    await chain.add(mineBlock(chain.tip, [spend([coinbases[1]], [{ address: light.lightWallet.keys.peekChangeAddress().hash, amount: 555n }])], miner, { fees: coinbases[1].amount - 555n }))
    await waitFor(async () => (await light.wallet()).balance.confirmed === '80155', 'the payment to the window')

    const dir = cleanup.tempDir()
    await Wallet.restore(join(dir, 'wallet.json'), light.lightWallet.keys.exportMnemonic(), { params: regtest, protection: { unencrypted: true } })
    const restored = await startLight([dialAddress(full.listen, full.peerId)], dir)
    await waitFor(async () => (await restored.wallet()).balance.confirmed === '80155', 'the restored wallet to find its change')
    await waitFor(() => restored.lightWallet.keys.changeAddresses().length === 3, 'the found change addresses to be recorded')
    expect(restored.lightWallet.keys.addresses()).toHaveLength(2)
    // scanning the window (some 40 more addresses per tip) stays inside the server's request budget
    const served = (await full.metrics.rpcRequestsTotal.get()).values.filter(v => v.labels.protocol === 'spv' && v.labels.direction === 'inbound')
    expect(served.find(v => v.labels.result === 'rate_limited')?.value ?? 0).toBe(0)
    expect(served.find(v => v.labels.result === 'ok')?.value).toBeGreaterThan(40)
  })

  it('bans a server that forges a Merkle proof and never counts the forged payment', async () => {
    const full = await startFull()
    const chain = new ChainBuilder(full)
    const miner = newKey()
    const coinbases = await chain.empty(3, miner)

    // the forger: honest headers (copied from the full node), forged proofs of a big payment
    let forgedSent = 0
    const forger = await startForger(req => {
      if (req.kind === 'getHeaders') return { kind: 'headers', headers: full.chain.headersAfter(req.locator, 2000) }
      if (req.kind === 'getTxProof') return { kind: 'error', code: 'not-found', message: '' }
      forgedSent++
      const at = full.chain.entryAt(2)!
      const fake = spend([{ txid: rand(32), index: 0, amount: 1_000_001n, key: miner }], [{ address: req.address, amount: 1_000_000n }])
      return { kind: 'proofs', proofs: [{ blockHash: at.hash, height: 2, index: 1, branch: [rand(32)], tx: fake }], more: false }
    })

    const light = await startLight([dialAddress(forger.listenAddresses(), forger.peerId), dialAddress(full.listen, full.peerId)])
    await waitFor(() => light.reputation.isBanned(forger.peerId), 'the forger to be banned')
    expect(forgedSent).toBeGreaterThan(0)
    expect(await metric(light, 'spvProofsRejectedTotal')).toBeGreaterThanOrEqual(1)
    await waitFor(() => !light.host.peers().includes(forger.peerId), 'the forger to be disconnected')
    expect(light.proven.size).toBe(0)

    // an honest payment still arrives through the full node; the forged one never counts
    const me = light.lightWallet.keys.primaryAddress().hash
    const payment = spend([coinbases[0]], [{ address: me, amount: 777n }])
    await chain.add(mineBlock(chain.tip, [payment], miner, { fees: coinbases[0].amount - 777n }))
    await waitFor(async () => (await light.wallet()).balance.confirmed === '777', 'the honest payment')
    expect((await light.wallet()).transactions.map(t => t.delta)).toEqual(['777'])
    expect(light.status().height).toBe(4)
  })

  it('bans a server that serves a header breaking the chain rules, keeping the valid ones before it', async () => {
    const miner = newKey()
    const { blocks, tip } = mineChain(genesisTip(), 3, miner)
    // valid proof of work, but a target the difficulty rule does not allow
    const bad = mineBlock(tip, [], miner, { header: { bits: 0x1f7fffff } })
    const forger = await startForger(req => req.kind === 'getHeaders'
      ? { kind: 'headers', headers: [...blocks, bad].map(b => b.header) }
      : { kind: 'proofs', proofs: [], more: false })
    const light = await startLight([dialAddress(forger.listenAddresses(), forger.peerId)])
    await waitFor(() => light.reputation.isBanned(forger.peerId), 'the forger to be banned')
    expect(light.status().height).toBe(3)
    expect(light.status().tip).toBe(toHex(blockHashOf(blocks[2])))
  })
})

/** A plain libp2p node answering the SPV protocol however `answer` says. */
async function startForger (answer: (req: SpvRequest) => SpvResponse): Promise<P2PHost> {
  const limits = limitsFor(regtest)
  const forger = await P2PHost.create(await loopbackHostOptions('forger', { maxPeers: 8, maxMessageBytes: limits.blockMessageBytes, userAgent: 'minicoin/0.1.0 (full)' }))
  cleanup.add(async () => await forger.stop())
  await forger.node.handle(protocolsFor(regtest.id).spv, async (stream) => {
    const lp = lpStream(stream)
    const req = decodeSpvRequest((await lp.read()).subarray(), spvLimitsOf(limits, limits.requestBytes))
    await lp.write(encodeSpvResponse(answer(req)))
    await stream.close()
  })
  await forger.start()
  return forger
}
