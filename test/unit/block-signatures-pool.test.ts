// A block's signatures through the native worker pool, where every worker is
// sent every chunk and the first to claim one verifies it: each verdict must
// still land on the right transaction, whatever chunk or slice the bad
// signature sits in, with malformed checks among good ones, and when a worker
// dies in the middle of a chunk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyBlockSignatures } from '../../src/chain/block-signatures.js'
import { regtest } from '../../src/core/params.js'
import { sighash } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { NativeVerifierPool } from '../../src/crypto/native-verifier.js'
import { VerifyCancelled, type SignatureCheck } from '../../src/crypto/verifier.js'
import { genesisTip, mineBlock, newKey, spend, type Key } from '../../bench/support/chain-fixtures.js'

// 700 transactions of two inputs: 1,400 checks, three slices of the block
// verifier (512 each), each cut into chunks of 8 by the pool below.
const TXS = 700
const keys: Key[] = Array.from({ length: 8 }, () => newKey())
const miner = newKey()
let txs: Transaction[]
let pool: NativeVerifierPool

function fakeCoin (i: number, k: number): { txid: Uint8Array, index: number, amount: bigint, key: Key } {
  const txid = new Uint8Array(32)
  txid[0] = i & 0xff; txid[1] = i >> 8; txid[2] = k
  return { txid, index: k, amount: 1000n, key: keys[(2 * i + k) % keys.length] }
}

/** The block with input `input` of transaction `at` (1-based, after the coinbase) given a bad signature, or none. */
function blockWithBadInput (at?: number, input = 0): Block {
  const list = txs.slice()
  if (at !== undefined) {
    const tx = list[at - 1]
    const sig = tx.inputs[input].signature.slice()
    sig[20] ^= 1
    list[at - 1] = { ...tx, inputs: tx.inputs.map((inp, j) => j === input ? { ...inp, signature: sig } : inp) }
  }
  return mineBlock(genesisTip(), list, miner)
}

beforeAll(async () => {
  txs = Array.from({ length: TXS }, (_, i) => spend([fakeCoin(i, 0), fakeCoin(i, 1)], [{ address: miner.address, amount: 1500n }]))
  pool = await NativeVerifierPool.create({ threads: 2, inlineBelow: 0, maxChunk: 8 })
})

afterAll(async () => {
  await pool.close()
})

describe('block signatures through the worker pool', () => {
  it('a valid block verifies', async () => {
    expect(await verifyBlockSignatures(blockWithBadInput(), pool, regtest)).toBe(-1)
  })

  // first transaction, chunk edges (8 checks: 4 transactions), the edge of
  // the first slice (512 checks: transactions 256/257), the last one
  for (const [at, input] of [[1, 0], [4, 1], [5, 0], [256, 1], [257, 0], [300, 1], [699, 0], [700, 1]]) {
    it(`a bad signature in input ${input} of transaction ${at} is reported as transaction ${at}`, async () => {
      expect(await verifyBlockSignatures(blockWithBadInput(at, input), pool, regtest)).toBe(at)
    })
  }

  it('the first of several bad transactions is reported', async () => {
    const block = blockWithBadInput(600, 1)
    const second = blockWithBadInput(90, 0).transactions[90]
    block.transactions[90] = second
    expect(await verifyBlockSignatures(block, pool, regtest)).toBe(90)
  })

  it('malformed checks among good ones verify as false, in place', async () => {
    const good: SignatureCheck[] = txs.slice(0, 100).flatMap(tx => tx.inputs.map(input => ({
      digest: sighash(tx, regtest.id), signature: input.signature, publicKey: input.publicKey
    })))
    const checks = good.map((c, i) => {
      if (i % 17 === 3) return { ...c, publicKey: c.publicKey.subarray(0, 32) } // short key
      if (i % 17 === 9) return { ...c, signature: new Uint8Array(65) } // long signature
      if (i % 17 === 12) return { ...c, publicKey: Uint8Array.from([0x04, ...c.publicKey.subarray(1)]) } // not a compressed key
      if (i % 17 === 15) return null as unknown as SignatureCheck // not a check at all
      return c
    })
    const verdicts = await pool.verifyBatch(checks)
    expect(verdicts).toEqual(checks.map((_, i) => ![3, 9, 12, 15].includes(i % 17)))
  })

  it('a worker that dies while verifying a chunk has the chunk redone, and the verdict is right', async () => {
    const one = await NativeVerifierPool.create({ threads: 1, inlineBelow: 0, maxChunk: 8, maxAttempts: 2 })
    try {
      const before = one.threadIds()
      // one thread: it claims the first chunk it is sent, then dies
      one.injectWorkerCrash(0)
      expect(await verifyBlockSignatures(blockWithBadInput(333, 1), one, regtest)).toBe(333)
      expect(one.threadCount).toBe(1)
      expect(one.threadIds()).not.toContain(before[0])
      one.injectWorkerCrash(0)
      expect(await verifyBlockSignatures(blockWithBadInput(), one, regtest)).toBe(-1)
    } finally {
      await one.close()
    }
  })

  it('a cancelled batch rejects as cancelled, and the pool goes on', async () => {
    const cancel = new AbortController()
    // 1,400 checks in chunks of 8: most are still unclaimed when it is cancelled
    const verdict = verifyBlockSignatures(blockWithBadInput(), pool, regtest, undefined, cancel.signal)
    cancel.abort()
    await expect(verdict).rejects.toBeInstanceOf(VerifyCancelled)
    // cancelled before the call: nothing is sent
    await expect(pool.verifyBatch(txs.slice(0, 50).flatMap(tx => tx.inputs.map(input => ({
      digest: sighash(tx, regtest.id), signature: input.signature, publicKey: input.publicKey
    }))), cancel.signal)).rejects.toBeInstanceOf(VerifyCancelled)
    expect(await verifyBlockSignatures(blockWithBadInput(500, 0), pool, regtest)).toBe(500)
  })

  it('a batch whose chunk has used its tries rejects, and the pool goes on', async () => {
    const one = await NativeVerifierPool.create({ threads: 1, inlineBelow: 0, maxChunk: 8, maxAttempts: 1 })
    try {
      one.injectWorkerCrash(0)
      await expect(verifyBlockSignatures(blockWithBadInput(), one, regtest)).rejects.toThrow(/crashed.*after 1 tries/)
      expect(await verifyBlockSignatures(blockWithBadInput(2, 1), one, regtest)).toBe(2)
    } finally {
      await one.close()
    }
  })
})
