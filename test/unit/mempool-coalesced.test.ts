// Concurrent submissions through createVerifier's stacks: the coalescing
// verifier over the node's lazy native pool (a burst verified in the calling
// thread, in batches) and over the always-running worker pool (the batches
// verified in the workers). Either way, one bad signature rejects only its
// own transaction, with its own error.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { createVerifier } from '../../src/crypto/create-verifier.js'
import { CoalescingVerifier } from '../../src/crypto/coalescing-verifier.js'
import { LazyVerifierPool } from '../../src/crypto/lazy-verifier-pool.js'
import { NativeVerifierPool } from '../../src/crypto/native-verifier.js'
import { NobleVerifier, type SignatureCheck, type SignatureVerifier } from '../../src/crypto/verifier.js'
import { regtest } from '../../src/core/params.js'
import { toHex } from '../../src/core/bytes.js'
import { txid } from '../../src/core/tx.js'
import { ValidationError } from '../../src/core/errors.js'
import type { Transaction } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, type Key, type Spendable } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let verifier: SignatureVerifier | undefined
const batches: number[] = []

/** createVerifier's stack, recording the batch sizes its coalescing layer hands to the pool below. */
async function coalescing (lazy: boolean): Promise<SignatureVerifier> {
  const made = await createVerifier({ threads: 2, ...(lazy ? { lazy: {} } : {}) })
  expect(made).toBeInstanceOf(CoalescingVerifier)
  const inner = (made as CoalescingVerifier).inner
  expect(inner).toBeInstanceOf(lazy ? LazyVerifierPool : NativeVerifierPool)
  const verifyBatch = inner.verifyBatch.bind(inner)
  inner.verifyBatch = async (checks: SignatureCheck[]) => { batches.push(checks.length); return await verifyBatch(checks) }
  return made
}

/** A chain whose last block pays `n` coins of distinct keys, spendable at the next height. */
async function coinsOnChain (n: number): Promise<Spendable[]> {
  const miner = newKey()
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
  for (const b of mined.blocks) await chain.processBlock(b)
  const keys: Key[] = Array.from({ length: 16 }, () => newKey())
  const cb = mined.coinbases[0]
  const each = (cb.amount - 100_000n) / BigInt(n)
  const fan = spend([cb], Array.from({ length: n }, (_, i) => ({ address: keys[i % keys.length].address, amount: each })))
  const r = await chain.processBlock(mineBlock(mined.tip, [fan], miner, { fees: cb.amount - each * BigInt(n) }))
  expect(r.status).toBe('connected')
  const id = txid(fan)
  return fan.outputs.map((o, index) => ({ txid: id, index, amount: o.amount, key: keys[index % keys.length] }))
}

/** Two-input spends of consecutive coins; in `bad`, input 1 carries a valid signature of another transaction. */
function spends (coins: Spendable[], bad: number): Transaction[] {
  const txs: Transaction[] = []
  for (let i = 0; i + 1 < coins.length; i += 2) {
    const [a, b] = [coins[i], coins[i + 1]]
    txs.push(spend([a, b], [{ address: a.key.address, amount: a.amount + b.amount - 1_000n }]))
  }
  const victim = txs[bad]
  const donor = txs[(bad + 1) % txs.length]
  txs[bad] = { ...victim, inputs: [victim.inputs[0], { ...victim.inputs[1], signature: donor.inputs[1].signature }] }
  return txs
}

async function acceptAll (pool: Mempool, txs: Transaction[]): Promise<Array<'accepted' | ValidationError>> {
  return await Promise.all(txs.map(async tx => {
    try {
      await pool.accept(tx)
      return 'accepted' as const
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError)
      return err as ValidationError
    }
  }))
}

beforeEach(async () => {
  dir = tempDir()
  batches.length = 0
  chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
})

afterEach(async () => {
  await chain.close()
  await verifier?.close()
  verifier = undefined
  dir.remove()
})

describe('concurrent acceptance through the coalescing verifier', () => {
  const cases = [
    ['the node\'s lazy pool, a burst of 30 verified in the calling thread', true, 30, 17],
    ['the worker pool, a burst of 300 verified in the workers', false, 300, 211]
  ] as const
  for (const [name, lazy, count, bad] of cases) {
    it(`${name}: one bad signature rejects only its transaction, with its own error`, async () => {
      verifier = await coalescing(lazy)
      const coins = await coinsOnChain(2 * count)
      const txs = spends(coins, bad)
      const pool = new Mempool({ chain, verifier })
      const results = await acceptAll(pool, txs)
      // coalesced: fewer batches than transactions reached the pool
      expect(batches.reduce((s, n) => s + n, 0)).toBe(2 * count)
      expect(batches.length).toBeLessThan(count / 10)
      const refused = results.flatMap((r, i) => r === 'accepted' ? [] : [{ i, code: r.code, message: r.message, severity: r.severity }])
      expect(refused).toEqual([{ i: bad, code: 'tx-bad-signature', message: 'input 1 has an invalid signature', severity: 'reject' }])
      expect(pool.size).toBe(count - 1)
      expect(pool.has(toHex(txid(txs[bad])))).toBe(false)
      expect(pool.checkConsistency()).toEqual([])
      if (lazy) expect((verifier as CoalescingVerifier).inner).toHaveProperty('workersRunning', false)
    })
  }
})
