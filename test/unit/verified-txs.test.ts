// A block's transactions that the mempool verified are not verified again
// (Bitcoin Core's signature cache): only a verified transaction is
// remembered, only by its txid (which commits to its signatures), a block's
// other transactions are still verified, and the memory is bounded.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { VerifiedTxs } from '../../src/chain/verified-txs.js'
import { decodeBlock, encodeBlock } from '../../src/core/encoding.js'
import { ValidationError } from '../../src/core/errors.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Transaction } from '../../src/core/types.js'
import { CountingVerifier } from '../support/counting-verifier.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, tipOf, type Key, type Spendable } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let mempool: Mempool
let verifier: CountingVerifier
let miner: Key
let coins: Spendable[]
let tip: ReturnType<typeof tipOf>

beforeEach(async () => {
  dir = tempDir()
  verifier = new CountingVerifier()
  chain = await Chain.open({ location: dir.path, params: regtest, verifier })
  mempool = new Mempool({ chain, verifier })
  miner = newKey()
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 3, miner)
  coins = mined.coinbases
  tip = mined.tip
  for (const b of mined.blocks) await chain.processBlock(b)
  verifier.checked = 0
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

const pay = (c: Spendable): Transaction => spend([c], [{ address: miner.address, amount: c.amount - 1000n }])

function badSignature (tx: Transaction): Transaction {
  const sig = tx.inputs[0].signature.slice()
  sig[10] ^= 1
  return { ...tx, inputs: [{ ...tx.inputs[0], signature: sig }] }
}

/** The block as a peer's bytes decode: other objects than the mempool's. */
function received (txs: Transaction[]): ReturnType<typeof decodeBlock> {
  const block = mineBlock(tip, txs, miner, { fees: 1000n * BigInt(txs.length) })
  return decodeBlock(encodeBlock(block), regtest.maxBlockSize)
}

describe('transactions verified by the mempool', () => {
  it('are not verified again when a block brings them', async () => {
    const txs = coins.slice(0, 3).map(pay)
    for (const tx of txs) await mempool.accept(tx)
    expect(verifier.checked).toBe(3)
    expect(chain.verifiedTxs.size).toBe(3)

    expect((await chain.processBlock(received(txs))).status).toBe('connected')
    expect(verifier.checked).toBe(3)
    expect(chain.verifiedTxs.hits).toBe(3)
    // used by the block: forgotten
    expect(chain.verifiedTxs.size).toBe(0)
  })

  it('spare only themselves: the block\'s other transactions are verified', async () => {
    const known = pay(coins[0])
    await mempool.accept(known)
    const unseen = pay(coins[1])
    expect((await chain.processBlock(received([known, unseen]))).status).toBe('connected')
    expect(verifier.checked).toBe(2) // the mempool's one, the block's unseen one
    expect(chain.verifiedTxs.misses).toBe(1)
  })

  it('and a bad signature next to them still rejects the block', async () => {
    const known = pay(coins[0])
    await mempool.accept(known)
    const err = await chain.processBlock(received([known, badSignature(pay(coins[1]))])).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).code).toBe('tx-bad-signature')
    expect(chain.height).toBe(tip.height)
  })

  it('exclude a transaction whose signature failed: a block bringing it is refused', async () => {
    const forged = badSignature(pay(coins[0]))
    await expect(mempool.accept(forged)).rejects.toMatchObject({ code: 'tx-bad-signature' })
    expect(chain.verifiedTxs.size).toBe(0)
    const err = await chain.processBlock(received([forged])).then(() => undefined, (e: unknown) => e)
    expect((err as ValidationError).code).toBe('tx-bad-signature')
    expect(chain.height).toBe(tip.height)
  })

  it('are told apart by their signatures: the same payment re-signed is verified', async () => {
    const tx = pay(coins[0])
    await mempool.accept(tx)
    // the same inputs and outputs with a signature that does not verify: another txid
    const forged = badSignature(tx)
    expect(txid(forged)).not.toEqual(txid(tx))
    const err = await chain.processBlock(received([forged])).then(() => undefined, (e: unknown) => e)
    expect((err as ValidationError).code).toBe('tx-bad-signature')
  })
})

describe('VerifiedTxs', () => {
  const id = (n: number): Uint8Array => { const b = new Uint8Array(32); b[0] = n; b[31] = n; return b }

  it('holds at most `max`, forgetting the oldest first', () => {
    const cache = new VerifiedTxs(3)
    for (let n = 0; n < 5; n++) cache.add(id(n))
    expect(cache.size).toBe(3)
    expect(cache.take(id(0))).toBe(false)
    expect(cache.take(id(1))).toBe(false)
    expect(cache.take(id(4))).toBe(true)
  })

  it('counts a re-added transaction as the newest', () => {
    const cache = new VerifiedTxs(2)
    cache.add(id(1))
    cache.add(id(2))
    cache.add(id(1))
    cache.add(id(3))
    expect(cache.take(id(2))).toBe(false)
    expect(cache.take(id(1))).toBe(true)
  })

  it('forgets what a block took', () => {
    const cache = new VerifiedTxs()
    cache.add(id(7))
    expect(cache.take(id(7))).toBe(true)
    expect(cache.take(id(7))).toBe(false)
    expect([cache.hits, cache.misses]).toEqual([1, 1])
  })
})
