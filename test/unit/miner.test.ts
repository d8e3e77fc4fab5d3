import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { Miner, type HeaderSearch } from '../../src/miner/miner.js'
import { buildTemplate } from '../../src/miner/template.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { blockReward, regtest } from '../../src/core/params.js'
import { checkBlock } from '../../src/core/validate.js'
import { coinbaseHeight, outputsTotal, txid } from '../../src/core/tx.js'
import { toHex } from '../../src/core/bytes.js'
import { dsha256 } from '../../src/core/hash.js'
import { hashMeetsTarget } from '../../src/core/pow.js'
import { blockHash } from '../../src/core/block.js'
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

  it('a start while a stop is finishing is not lost: the newest call wins', async () => {
    const miner = new Miner({ chain, payTo: newKey().address, threads: 1 })
    miner.start()
    const stopping = miner.stop()
    miner.start()
    await stopping
    try {
      expect(miner.running).toBe(true)
      const start = chain.height
      await waitFor(() => chain.height > start, 'a block after the restart')
      // and a stop after that start wins again
      const again = miner.stop()
      miner.start()
      const last = miner.stop()
      await Promise.all([again, last])
      expect(miner.running).toBe(false)
    } finally {
      await miner.stop()
    }
  })

  it('rolls the header time up to the clock while it searches: the block carries the time it was found', async () => {
    const t0 = Math.floor(Date.now() / 1000)
    let clock = t0
    const searched: number[] = []
    // a search that finds nothing until it was restarted twice, the clock
    // moving on meanwhile; then a real nonce for the header it was given
    const search: HeaderSearch = {
      threads: 1,
      start: () => {},
      stop: async () => {},
      hashRate: () => 0,
      search: async (header, target, signal) => {
        const h = header.slice()
        const view = new DataView(h.buffer)
        searched.push(view.getUint32(68, true))
        if (searched.length < 3) {
          clock += searched.length === 1 ? 7 : 6
          await new Promise(resolve => signal?.addEventListener('abort', resolve, { once: true }))
          return null
        }
        for (let nonce = 0; ; nonce++) {
          view.setUint32(76, nonce, true)
          if (hashMeetsTarget(dsha256(h), target)) return { nonce }
        }
      }
    }
    const miner = new Miner({ chain, payTo: newKey().address, threads: 1, search, rollMs: 10, now: () => clock })
    const blocks: Block[] = []
    miner.on('mined', b => blocks.push(b))
    miner.start()
    try {
      await waitFor(() => blocks.length >= 1, 'a mined block')
    } finally {
      await miner.stop()
    }
    expect(searched.slice(0, 3)).toEqual([t0, t0 + 7, t0 + 13])
    expect(blocks[0].header.time).toBe(t0 + 13)
    // the chain took it: valid proof of work for the rolled header, timestamp rules kept
    expect(chain.getEntry(toHex(blockHash(blocks[0].header)))?.height).toBe(1)
  })
})
