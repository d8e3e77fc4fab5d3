// A one-block reorganisation under a full mempool: what the mempool redoes
// when the tip block is replaced. 10,000-block chain, 20,000 pending
// transactions, the replaced block holding 100 transactions that 100 pending
// ones spend from.
import { type Bench, round } from './harness.js'
import { Chain } from '../src/chain/chain.js'
import { Mempool } from '../src/mempool/mempool.js'
import { createVerifier } from '../src/crypto/create-verifier.js'
import { NobleVerifier } from '../src/crypto/verifier.js'
import { regtest } from '../src/core/params.js'
import { sighash, txid, txSize } from '../src/core/tx.js'
import type { Block, Transaction } from '../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tempDir, tipOf, type Key, type Spendable, type Tip } from './support/chain-fixtures.js'

const CHAIN = 10_000
const POOL = 20_000
const IN_BLOCK = 100

interface Workload {
  /** Blocks up to (not including) the block that will be replaced. */
  prefix: Block[]
  /** The tip block with IN_BLOCK transactions, and the two blocks that replace it. */
  replaced: Block
  rival: Block[]
  pending: Transaction[]
}

function buildWorkload (): Workload {
  const miner = newKey()
  const keys: Key[] = Array.from({ length: 32 }, () => newKey())
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 12, miner)
  const coins: Spendable[] = []
  const fanouts: Transaction[] = []
  let fees = 0n
  for (let f = 0; f < 11; f++) {
    const cb = mined.coinbases[f]
    const each = (cb.amount - 100_000n) / 2000n
    const tx = spend([cb], Array.from({ length: 2000 }, (_, i) => ({ address: keys[i % keys.length].address, amount: each })))
    fees += cb.amount - each * 2000n
    fanouts.push(tx)
    const id = txid(tx)
    tx.outputs.forEach((o, index) => coins.push({ txid: id, index, amount: o.amount, key: keys[index % keys.length] }))
  }
  const prefix = [...mined.blocks]
  const fanBlock = mineBlock(mined.tip, fanouts, miner, { fees })
  prefix.push(fanBlock)
  let tip: Tip = tipOf(fanBlock, mined.tip.height + 1)
  while (tip.height < CHAIN - 1) {
    const b = mineBlock(tip, [], miner)
    prefix.push(b)
    tip = tipOf(b, tip.height + 1)
  }
  const inBlock = coins.slice(0, IN_BLOCK).map(c => spend([c], [{ address: c.key.address, amount: c.amount - 500n }]))
  const replaced = mineBlock(tip, inBlock, miner, { fees: 500n * BigInt(IN_BLOCK), tag: 1 })
  const r1 = mineBlock(tip, [], miner, { tag: 2 })
  const r2 = mineBlock(tipOf(r1, tip.height + 1), [], miner, { tag: 2 })
  // 100 children of the replaced block's transactions, then independent spends
  const pending: Transaction[] = inBlock.map((tx, i) => {
    const [out] = outputsOf(tx, keys[i % keys.length])
    return spend([out], [{ address: out.key.address, amount: out.amount - 500n }])
  })
  // varied fees, so that a capped pool has something to choose when it evicts
  coins.slice(IN_BLOCK, POOL).forEach((c, i) => pending.push(spend([c], [{ address: c.key.address, amount: c.amount - 500n - BigInt((i * 7919) % 1000) }])))
  return { prefix, replaced, rival: [r1, r2], pending }
}

async function settle (pool: Mempool, size: number): Promise<void> {
  const deadline = performance.now() + 600_000
  while (pool.size !== size) {
    if (performance.now() > deadline) throw new Error(`mempool stuck at ${pool.size}, expected ${size}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

export const benches: Bench[] = [
  {
    name: 'reorg_1block_mempool20k',
    group: 'chain',
    async run () {
      const w = buildWorkload()
      const dir = tempDir('minicoin-bench-')
      const verifier = await createVerifier({ backend: 'native' })
      const chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
      try {
        for (const b of w.prefix) await chain.processBlock(b)
        await chain.processBlock(w.replaced)
        const pool = new Mempool({ chain, verifier })
        for (let i = 0; i < w.pending.length; i += 1000) await Promise.all(w.pending.slice(i, i + 1000).map(async tx => await pool.accept(tx)))
        if (pool.size !== POOL) throw new Error(`only ${pool.size} of ${POOL} accepted`)
        await chain.processBlock(w.rival[0])
        // the mempool's own share: its tip handler, between a listener put first and one put last
        let tipStart = 0
        let tipEnd = 0
        chain.prependListener('tip', () => { tipStart = performance.now() })
        chain.on('tip', () => { tipEnd = performance.now() })
        const start = performance.now()
        await chain.processBlock(w.rival[1])
        await settle(pool, POOL + IN_BLOCK)
        const ms = performance.now() - start
        const handlerMs = tipEnd - tipStart
        if (chain.height !== CHAIN + 1) throw new Error(`reorg ended at height ${chain.height}`)
        // references from the same run: extending the tip (no reorg) with the
        // same pool, and verifying every pending signature (what re-admitting
        // the whole pool costs at least)
        const extStart = performance.now()
        await chain.processBlock(mineBlock(tipOf(w.rival[1], CHAIN + 1), [], newKey(), { tag: 4 }))
        const extendMs = performance.now() - extStart
        const checks = w.pending.map(tx => { const d = sighash(tx, regtest.id); return { digest: d, signature: tx.inputs[0].signature, publicKey: tx.inputs[0].publicKey } })
        const vStart = performance.now()
        await verifier.verifyBatch(checks)
        const verifyMs = performance.now() - vStart
        // eviction: the same 19,900 independent transactions into a pool
        // capped at half of them (each of the second half evicts one), and
        // into an uncapped pool for reference
        const independent = w.pending.slice(IN_BLOCK)
        const fill = async (maxBytes: number): Promise<number> => {
          const p = new Mempool({ chain, verifier, maxBytes })
          const t = performance.now()
          for (let i = 0; i < independent.length; i += 1000) {
            await Promise.all(independent.slice(i, i + 1000).map(async tx => await p.accept(tx).catch(() => {})))
          }
          return performance.now() - t
        }
        const uncappedMs = await fill(1_000_000_000)
        const cappedMs = await fill(Math.floor(independent.reduce((n, tx) => n + txSize(tx), 0) / 2))
        return [
          { bench: 'mempool_accept_evicting', value: round(cappedMs, 1), unit: 'ms', transactions: independent.length, evictions: Math.ceil(independent.length / 2), reference: 'mempool_accept_uncapped' },
          { bench: 'mempool_accept_uncapped', value: round(uncappedMs, 1), unit: 'ms', transactions: independent.length },
          { bench: 'reorg_1block_mempool20k', value: round(ms, 1), unit: 'ms', chain: CHAIN, mempool: POOL, returned: IN_BLOCK, reference: 'reorg_ref_extend_tip, reorg_ref_verify_pool_signatures' },
          { bench: 'reorg_1block_mempool_tip_handler', value: round(handlerMs, 1), unit: 'ms', note: 'part of the above: the mempool re-checking what the reorg touched' },
          { bench: 'reorg_ref_extend_tip', value: round(extendMs, 1), unit: 'ms', note: 'one block on the tip, same pool, no reorg' },
          { bench: 'reorg_ref_verify_pool_signatures', value: round(verifyMs, 1), unit: 'ms', note: 'the 20,000 pending signatures in the verifier pool: the floor of re-admitting everything' }
        ]
      } finally {
        await chain.close()
        await verifier.close()
        dir.remove()
      }
    }
  }
]
