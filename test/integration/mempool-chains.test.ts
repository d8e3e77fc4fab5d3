// A 10,000-deep chain of unconfirmed transactions offered to running nodes
// through the API (POST /api/tx's handler) and the tx gossip validator:
// bounded by the package limits, refused with too-long-mempool-chain, and
// the miner goes on mining valid blocks that confirm the chain 25 at a time.
import { afterEach, describe, expect, it } from 'vitest'
import { FullNode } from '../../src/node/full-node.js'
import { NodeError } from '../../src/node/errors.js'
import { errorResponse } from '../../src/api/respond.js'
import { encodeTx } from '../../src/core/encoding.js'
import { regtest } from '../../src/core/params.js'
import { toHex } from '../../src/core/bytes.js'
import { txid } from '../../src/core/tx.js'
import type { Transaction } from '../../src/core/types.js'
import { limitsFor } from '../../src/p2p/protocols.js'
import { txValidator } from '../../src/p2p/validation/tx.js'
import { judge } from '../../src/p2p/validation/result.js'
import { genesisTip, mineChain, newKey, spend } from '../../bench/support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

async function startNode (role: 'miner' | 'full'): Promise<FullNode> {
  const node = await FullNode.start(testConfig(role, cleanup.tempDir()), testLogger(role))
  cleanup.add(async () => await node.stop())
  return node
}

async function submit (node: FullNode, tx: Transaction): Promise<string> {
  try {
    await node.submitTx(encodeTx(tx))
    return 'accepted'
  } catch (err) {
    if (!(err instanceof NodeError)) throw err
    // the status the API answers with
    return `${errorResponse(err).status} ${err.code}`
  }
}

describe('a 10,000-deep chain of unconfirmed transactions', () => {
  it('is refused past 25 over the API and over gossip, and the miner keeps mining valid blocks', async () => {
    const key = newKey()
    const funding = mineChain(genesisTip(), regtest.coinbaseMaturity + 2, key)
    const miner = await startNode('miner')
    const full = await startNode('full')
    for (const b of funding.blocks) {
      await miner.chain.processBlock(b)
      await full.chain.processBlock(b)
    }
    const txs: Transaction[] = []
    let prev = funding.coinbases[0]
    for (let i = 0; i < 10_000; i++) {
      const tx = spend([prev], [{ address: key.address, amount: prev.amount - 300n }])
      txs.push(tx)
      prev = { txid: txid(tx), index: 0, amount: prev.amount - 300n, key }
    }
    const ids = txs.map(tx => toHex(txid(tx)))

    // over the API
    const api: string[] = []
    for (const tx of txs) api.push(await submit(miner, tx))
    expect(api.slice(0, 25)).toEqual(Array(25).fill('accepted'))
    expect(api[25]).toBe('400 too-long-mempool-chain')
    expect(new Set(api.slice(26))).toEqual(new Set(['400 tx-missing-inputs']))
    expect(miner.status().mempool).toBe(25)

    // over gossip, through the validator the node subscribes to the tx topic
    const validate = txValidator(full.pool, limitsFor(regtest).txMessageBytes)
    const gossip: string[] = []
    for (const tx of txs) { const o = await judge(validate, encodeTx(tx), 'peer'); gossip.push(`${o.verdict} ${o.code}`) }
    expect(gossip.slice(0, 25)).toEqual(Array(25).fill('accept ok'))
    expect(gossip[25]).toBe('ignore too-long-mempool-chain')
    expect(new Set(gossip.slice(26))).toEqual(new Set(['ignore tx-missing-inputs']))
    expect(full.pool.size).toBe(25)

    // the miner confirms the 25; then the next 25 are welcome, and confirmed too
    const height = miner.chain.height
    miner.mining!.setEnabled(true)
    await waitFor(() => miner.tx(ids[24])?.block !== undefined, 'the first 25 to confirm', 60_000)
    // no block while the next ones go in: one confirming some of them would make room for a 26th
    miner.mining!.setEnabled(false)
    await waitFor(() => miner.miner?.running === false, 'mining to pause')
    const again: string[] = []
    for (const tx of txs.slice(25, 60)) again.push(await submit(miner, tx))
    expect(again.slice(0, 25)).toEqual(Array(25).fill('accepted'))
    expect(again[25]).toBe('400 too-long-mempool-chain')
    miner.mining!.setEnabled(true)
    await waitFor(() => miner.tx(ids[49])?.block !== undefined, 'the next 25 to confirm', 60_000)
    await waitFor(() => miner.chain.height >= height + 3, 'more blocks', 60_000)
    miner.mining!.setEnabled(false)
    await waitFor(() => miner.miner?.running === false, 'mining to stop')
    // every block the miner made connected (processBlock validated it) and holds the chain in order
    const confirmed: string[] = []
    for (let h = height + 1; h <= miner.chain.height; h++) {
      const block = miner.chain.getBlock(miner.chain.entryAt(h)!.hash)!
      confirmed.push(...block.transactions.slice(1).map(tx => toHex(txid(tx))))
    }
    expect(confirmed).toEqual(ids.slice(0, 50))
    expect(miner.pool.size).toBe(0)
  }, 240_000)
})
