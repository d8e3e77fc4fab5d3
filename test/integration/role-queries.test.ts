// The NodeApi queries written once in role-base.ts for both roles (header
// list, block tree, network, search), asked of a real full node and a real
// SPV node that follows it: each answers from its own header tree, and
// search finds what that role can show (an SPV node: only its own wallet's
// transactions and addresses). Loopback TCP, mDNS off.
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import { txid as txidOf } from '../../src/core/tx.js'
import { FullNode } from '../../src/node/full-node.js'
import { SpvNode } from '../../src/node/spv-node.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tipOf } from '../../bench/support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

const p2p = (bootstrap: string[] = []): ReturnType<typeof testConfig>['p2p'] => ({ host: '127.0.0.1', port: 0, bootstrap, mdns: false, maxPeers: 32 })

describe('queries shared by the roles (role-base.ts)', () => {
  it('a full node and an SPV node answer headers, tree, network and search from their own data', async () => {
    const full = await FullNode.start(testConfig('full', cleanup.tempDir(), { p2p: p2p() }), testLogger('full'))
    cleanup.add(async () => await full.stop())
    const miner = newKey()
    const { blocks, coinbases } = mineChain(genesisTip(), 3, miner)
    for (const b of blocks) expect((await full.chain.processBlock(b)).status).toBe('connected')

    const light = await SpvNode.start(testConfig('spv', cleanup.tempDir(), { p2p: p2p([`${full.listen[0]}/p2p/${full.peerId}`]) }), testLogger('spv'))
    cleanup.add(async () => await light.stop())
    const me = light.lightWallet.keys.primaryAddress().hash
    const payment = spend([coinbases[0]], [{ address: me, amount: 1234n }, { address: miner.address, amount: coinbases[0].amount - 1334n }])
    const block4 = mineBlock(tipOf(blocks[2], 3), [payment], miner, { fees: 100n })
    expect((await full.chain.processBlock(block4)).status).toBe('connected')
    const paymentId = toHex(txidOf(payment))
    await waitFor(() => light.tx(paymentId)?.block !== undefined, 'the light node to prove the payment in block 4')

    // the same active headers, newest first, from either role
    const fullHeaders = full.headerList(undefined, 3)
    expect(fullHeaders.map(h => h.height)).toEqual([4, 3, 2])
    expect(light.headerList(undefined, 3)).toEqual(fullHeaders)
    expect(light.headerList(1, 5).map(h => h.height)).toEqual([1, 0])

    // the block tree: the same blocks; only the full node has their data
    const shape = (t: ReturnType<FullNode['blockTree']>): unknown[] => t.map(n => [n.height, n.hash, n.active])
    expect(shape(light.blockTree(10))).toEqual(shape(full.blockTree(10)))
    expect(full.blockTree(2).map(n => n.height)).toEqual([2, 3, 4])
    expect(full.blockTree(10).every(n => n.hasData)).toBe(true)

    // network: each node describes itself from its own tree
    const tip = full.chain.tip.hashHex
    expect((await full.network()).self).toMatchObject({ role: 'full', height: 4, tip, peerId: full.peerId })
    expect((await light.network()).self).toMatchObject({ role: 'spv', height: 4, tip, peerId: light.peerId })

    // search: heights and block hashes on both; transactions and addresses as far as the role can show them
    const block2 = full.chain.entryAt(2)!.hashHex
    const coinbase1 = toHex(txidOf(blocks[0].transactions[0]))
    const own = encodeAddress(me, regtest)
    const other = encodeAddress(miner.address, regtest)
    for (const node of [full, light]) {
      expect(node.search('2')).toEqual({ kind: 'block', id: '2' })
      expect(node.search('9')).toBeUndefined()
      expect(node.search(block2.toUpperCase())).toEqual({ kind: 'block', id: block2 })
      expect(node.search(paymentId)).toEqual({ kind: 'tx', id: paymentId })
      expect(node.search(` ${own} `)).toEqual({ kind: 'address', id: own })
      expect(node.search('not-a-thing')).toBeUndefined()
    }
    expect(full.search(coinbase1)).toEqual({ kind: 'tx', id: coinbase1 })
    expect(light.search(coinbase1)).toBeUndefined()
    expect(full.search(other)).toEqual({ kind: 'address', id: other })
    expect(light.search(other)).toBeUndefined()
  })
})
