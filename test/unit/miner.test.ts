import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { Miner } from '../../src/miner/miner.js'
import { buildTemplate } from '../../src/miner/template.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { blockReward, regtest } from '../../src/core/params.js'
import { checkBlock } from '../../src/core/validate.js'
import { coinbaseHeight, outputsTotal, txid } from '../../src/core/tx.js'
import { toHex } from '../../src/core/bytes.js'
import type { Block } from '../../src/core/types.js'
import { genesisTip, mineChain, newKey, outputsOf, spend, tempDir, type Key } from '../../bench/support/chain-fixtures.js'
import { waitFor } from '../../bench/support/wait.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let pool: Mempool
let key: Key

beforeEach(async () => {
  dir = tempDir()
  key = newKey()
  chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  pool = new Mempool({ chain, verifier: new NobleVerifier() })
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

describe('block template', () => {
  it('pays reward + fees to the miner, commits the height and orders transactions', async () => {
    const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, key)
    for (const b of mined.blocks) await chain.processBlock(b)
    const parent = spend([mined.coinbases[0]], [{ address: key.address, amount: mined.coinbases[0].amount - 300n }])
    const child = spend(outputsOf(parent, key), [{ address: key.address, amount: mined.coinbases[0].amount - 10_300n }])
    await pool.accept(parent)
    await pool.accept(child)
    const payTo = newKey().address
    const t = buildTemplate(chain, pool, payTo, 7n, Math.floor(Date.now() / 1000))
    expect(t.height).toBe(chain.height + 1)
    expect(t.fees).toBe(10_300n)
    const cb = t.block.transactions[0]
    expect(coinbaseHeight(cb)).toBe(t.height)
    expect(outputsTotal(cb)).toBe(blockReward(t.height, regtest) + 10_300n)
    expect(cb.outputs[0].address).toEqual(payTo)
    expect(t.block.transactions.slice(1).map(tx => toHex(txid(tx)))).toEqual([parent, child].map(tx => toHex(txid(tx))))
    expect(t.block.header.time).toBeGreaterThan(chain.medianTimePast())
    // different extra-nonces give different coinbases (and so different work)
    const t2 = buildTemplate(chain, pool, payTo, 8n, Math.floor(Date.now() / 1000))
    expect(toHex(txid(t2.block.transactions[0]))).not.toBe(toHex(txid(cb)))
  })
})

describe('miner', () => {
  it('mines valid blocks that connect, including pending transactions', async () => {
    const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, key)
    for (const b of mined.blocks) await chain.processBlock(b)
    const tx = spend([mined.coinbases[0]], [{ address: newKey().address, amount: mined.coinbases[0].amount - 500n }])
    await pool.accept(tx)
    const payTo = newKey().address
    const miner = new Miner({ chain, mempool: pool, payTo, threads: 1 })
    const blocks: Block[] = []
    miner.on('mined', b => blocks.push(b))
    const start = chain.height
    miner.start()
    try {
      await waitFor(() => chain.height >= start + 3, 'three mined blocks')
    } finally {
      await miner.stop()
    }
    expect(miner.running).toBe(false)
    expect(blocks.length).toBeGreaterThanOrEqual(3)
    for (const b of blocks) {
      expect(() => checkBlock(b, regtest)).not.toThrow()
      expect(b.transactions[0].outputs[0].address).toEqual(payTo)
    }
    expect(chain.getTxLocation(txid(tx))).toBeDefined()
    expect(pool.size).toBe(0)
    const height = chain.height
    // stopped means stopped: no more blocks
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(chain.height).toBe(height)
  })
})
