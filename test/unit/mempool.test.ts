import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { regtest } from '../../src/core/params.js'
import { toHex } from '../../src/core/bytes.js'
import { txid, txSize } from '../../src/core/tx.js'
import { ValidationError } from '../../src/core/errors.js'
import type { Transaction } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tempDir, tipOf, type Key, type Spendable, type Tip } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let pool: Mempool
let miner: Key
let coins: Spendable[]
let tip: Tip
let clock: number

async function setup (opts: { maxBytes?: number } = {}): Promise<void> {
  chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  pool = new Mempool({ chain, verifier: new NobleVerifier(), now: () => clock, maxBytes: opts.maxBytes, expiryMs: 60_000 })
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 6, miner)
  for (const b of mined.blocks) await chain.processBlock(b)
  // the first 7 coinbases are mature at the next height
  coins = mined.coinbases.slice(0, 7)
  tip = mined.tip
}

async function code (tx: Transaction): Promise<string> {
  try {
    await pool.accept(tx)
    return 'accepted'
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return (err as ValidationError).code
  }
}

/** Pays `fee` and sends the rest back to the miner. */
function pay (coin: Spendable, fee: bigint, to: Key = miner): Transaction {
  return spend([coin], [{ address: to.address, amount: coin.amount - fee }])
}

beforeEach(async () => {
  dir = tempDir()
  miner = newKey()
  clock = 1_000_000
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

describe('mempool acceptance', () => {
  beforeEach(async () => { await setup() })

  it('accepts a valid spend and refuses it twice', async () => {
    const tx = pay(coins[0], 1000n)
    expect(await code(tx)).toBe('accepted')
    expect(pool.size).toBe(1)
    expect(pool.get(toHex(txid(tx)))?.fee).toBe(1000n)
    expect(await code(tx)).toBe('txn-already-known')
  })

  it('refuses a confirmed transaction as already confirmed, and one spending a spent coin as missing inputs', async () => {
    const tx = pay(coins[0], 1000n)
    const other = spend([coins[1], coins[2]], [{ address: miner.address, amount: coins[1].amount + coins[2].amount - 1000n }])
    expect((await chain.processBlock(mineBlock(tip, [tx, other], miner, { fees: 2000n }))).status).toBe('connected')
    expect(pool.size).toBe(0)
    expect(await code(tx)).toBe('txn-already-confirmed')
    expect(await code(other)).toBe('txn-already-confirmed')
    // a different transaction spending one of the same coins: not confirmed, its input is gone
    expect(await code(pay(coins[0], 2000n))).toBe('tx-missing-inputs')
    // one input confirmed-spent, the other unspent: still a missing input, not "confirmed"
    expect(await code(spend([coins[1], coins[3]], [{ address: miner.address, amount: 1000n }]))).toBe('tx-missing-inputs')
  })

  it('lets the first seen spend win a double spend', async () => {
    const a = pay(coins[0], 1000n)
    const b = pay(coins[0], 5000n, newKey())
    expect(await code(a)).toBe('accepted')
    expect(await code(b)).toBe('txn-mempool-conflict')
    expect(pool.has(toHex(txid(a)))).toBe(true)
    // the error names the outpoint as people read it, and the pool finds the spender by it
    await expect(pool.accept(b)).rejects.toThrow(`outpoint ${toHex(coins[0].txid)}:${coins[0].index} is already spent by pending transaction ${toHex(txid(a))}`)
    expect(pool.spender(coins[0].txid, coins[0].index)?.txidHex).toBe(toHex(txid(a)))
    expect(pool.spender(coins[0].txid, coins[0].index + 1)).toBeUndefined()
  })

  it('checks a pending parent\'s outputs as it checks confirmed ones: owner, amount, index', async () => {
    const other = newKey()
    const parent = spend([coins[0]], [{ address: miner.address, amount: 1000n }, { address: other.address, amount: coins[0].amount - 2000n }])
    expect(await code(parent)).toBe('accepted')
    const [mine] = outputsOf(parent, miner)
    const [theirs] = outputsOf(parent, other)
    // the miner's key does not own output 1
    expect(await code(spend([{ ...theirs, key: miner }], [{ address: miner.address, amount: 500n }]))).toBe('tx-pubkey-mismatch')
    expect(await code(spend([mine], [{ address: miner.address, amount: 1001n }]))).toBe('tx-insufficient-input')
    expect(await code(spend([{ ...mine, index: 2 }], [{ address: miner.address, amount: 500n }]))).toBe('tx-missing-inputs')
    expect(await code(spend([mine, theirs], [{ address: miner.address, amount: coins[0].amount - 3000n }]))).toBe('accepted')
    expect(pool.checkConsistency()).toEqual([])
  })

  it('settles concurrent double spends to exactly one', async () => {
    const results = await Promise.all([pay(coins[1], 1000n), pay(coins[1], 2000n), pay(coins[1], 3000n)].map(code))
    expect(results.filter(r => r === 'accepted')).toHaveLength(1)
    expect(pool.size).toBe(1)
  })

  it('accepts chains of unconfirmed transactions', async () => {
    const parent = pay(coins[0], 1000n)
    const child = spend(outputsOf(parent, miner), [{ address: miner.address, amount: coins[0].amount - 3000n }])
    const grandchild = spend(outputsOf(child, miner), [{ address: miner.address, amount: coins[0].amount - 5000n }])
    expect(await code(child)).toBe('tx-missing-inputs') // parent not seen yet
    expect(await code(parent)).toBe('accepted')
    expect(await code(child)).toBe('accepted')
    expect(await code(grandchild)).toBe('accepted')
    expect([...pool.get(toHex(txid(child)))!.parents].map(p => p.txidHex)).toEqual([toHex(txid(parent))])
  })

  it('rejects invalid transactions with their reason', async () => {
    const good = pay(coins[0], 1000n)
    const forged = { ...good, outputs: [{ ...good.outputs[0], amount: good.outputs[0].amount + 1n }] }
    expect(await code(forged)).toBe('tx-bad-signature')
    expect(await code(pay(coins[0], 0n))).toBe('tx-fee-too-low')
    expect(await code(mineBlock(tip, [], miner).transactions[0])).toBe('tx-coinbase-loose')
    expect(await code({ ...good, outputs: [] })).toBe('tx-no-outputs')
    const immature = mineChain(tip, 1, miner)
    await chain.processBlock(immature.blocks[0])
    expect(await code(pay(immature.coinbases[0], 1000n))).toBe('tx-premature-coinbase-spend')
    const confirmedTx = chain.getBlock(chain.entryAt(1)!.hash)!.transactions[0]
    expect(await code({ ...confirmedTx })).toBe('tx-coinbase-loose')
    const severities: Record<string, string> = {}
    for (const tx of [forged, pay(coins[2], 0n)]) {
      try { await pool.accept(tx) } catch (err) { severities[(err as ValidationError).code] = (err as ValidationError).severity }
    }
    expect(severities).toEqual({ 'tx-bad-signature': 'reject', 'tx-fee-too-low': 'ignore' })
  })
})

describe('mempool and blocks', () => {
  beforeEach(async () => { await setup() })

  it('drops confirmed transactions and conflicts of confirmed ones, with descendants', async () => {
    const a = pay(coins[0], 1000n)
    const aChild = spend(outputsOf(a, miner), [{ address: miner.address, amount: coins[0].amount - 2000n }])
    const b = pay(coins[1], 1000n)
    await pool.accept(a)
    await pool.accept(aChild)
    await pool.accept(b)
    // a block confirms b and a double spend of a's coin
    const doubleSpend = pay(coins[0], 4000n, newKey())
    const block = mineBlock(tip, [b, doubleSpend], miner, { fees: 5000n })
    const removed: string[] = []
    pool.on('removed', (e, reason) => removed.push(`${reason}`))
    await chain.processBlock(block)
    expect(pool.size).toBe(0)
    expect(removed.sort()).toEqual(['block', 'conflict', 'conflict'])
  })

  it('returns transactions of disconnected blocks, without the ones the new chain double-spent', async () => {
    const alice = newKey()
    const toAlice = pay(coins[0], 1000n, alice)
    const keep = pay(coins[1], 1000n)
    const losing = mineBlock(tip, [toAlice, keep], miner, { fees: 2000n, tag: 1 })
    await chain.processBlock(losing)
    expect(pool.size).toBe(0)
    const pendingBefore = pay(coins[2], 1500n)
    await pool.accept(pendingBefore)

    const toBob = pay(coins[0], 3000n, newKey())
    const w1 = mineBlock(tip, [toBob], miner, { fees: 3000n, tag: 2 })
    const w2 = mineBlock(tipOf(w1, tip.height + 1), [], miner, { tag: 2 })
    await chain.processBlock(w1)
    await chain.processBlock(w2)
    // wait for the asynchronous re-admission after the reorg
    const deadline = Date.now() + 10_000
    while (pool.size < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
    expect(new Set([...pool.entries.keys()])).toEqual(new Set([toHex(txid(keep)), toHex(txid(pendingBefore))]))
  })

  it('orders a block template by package fee rate (child pays for parent)', async () => {
    const cheapParent = pay(coins[0], 200n) // ~1/byte
    const richChild = spend(outputsOf(cheapParent, miner), [{ address: miner.address, amount: coins[0].amount - 200n - 20_000n }])
    const medium = pay(coins[1], 5_000n)
    const low = pay(coins[2], 500n)
    for (const tx of [cheapParent, richChild, medium, low]) await pool.accept(tx)
    const order = pool.selectForBlock(1_000_000).map(e => e.txidHex)
    expect(order).toEqual([cheapParent, richChild, medium, low].map(tx => toHex(txid(tx))))
    // with room for only one small transaction, the best single one wins
    const one = pool.selectForBlock(txSize(medium))
    expect(one.map(e => e.txidHex)).toEqual([toHex(txid(medium))])
  })

  it('expires old transactions with their descendants', async () => {
    const a = pay(coins[0], 1000n)
    await pool.accept(a)
    clock += 30_000
    const child = spend(outputsOf(a, miner), [{ address: miner.address, amount: coins[0].amount - 2000n }])
    const b = pay(coins[1], 1000n)
    await pool.accept(child)
    await pool.accept(b)
    clock += 31_000
    expect(pool.expire()).toBe(2)
    expect([...pool.entries.keys()]).toEqual([toHex(txid(b))])
  })
})

describe('mempool size cap', () => {
  it('evicts the lowest fee rate first and refuses a newcomer that pays least', async () => {
    const probe = pay({ txid: new Uint8Array(32).fill(1), index: 0, amount: 10_000n, key: newKey() }, 100n)
    await setup({ maxBytes: txSize(probe) * 3 + 10 })
    const txs = [pay(coins[0], 3000n), pay(coins[1], 1000n), pay(coins[2], 2000n)]
    for (const tx of txs) await pool.accept(tx)
    expect(pool.size).toBe(3)
    expect(await code(pay(coins[3], 5000n))).toBe('accepted')
    expect(pool.has(toHex(txid(txs[1])))).toBe(false) // the cheapest went
    expect(await code(pay(coins[4], 500n))).toBe('mempool-full')
    expect(pool.size).toBe(3)
    expect(pool.bytes).toBeLessThanOrEqual(pool.maxBytes)
  })
})
